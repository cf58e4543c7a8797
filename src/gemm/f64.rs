//! The f64 instructions (NVIDIA `mma …f64.f64.f64.f64`, AMD `mfma_f64_*`): sequential fused
//! multiply-add in binary64, as MMA-Sim models them, computed exactly in integers.

use super::preset::{Mma, Operand};
use crate::Error;

/// The quiet NaN that [`matmul_f64`] writes for every NaN result.
pub const F64_NAN: u64 = 0x7FF8_0000_0000_0000;
const INF: u64 = 0x7FF0_0000_0000_0000;

/// A finite binary64 as sign, significand and exponent (value = sig · 2^exp).
fn decode(bits: u64) -> (bool, u128, i32) {
    let neg = bits >> 63 != 0;
    let field = ((bits >> 52) & 0x7FF) as i32;
    let mant = (bits & ((1 << 52) - 1)) as u128;
    if field == 0 {
        (neg, mant, -1074)
    } else {
        (neg, mant | (1 << 52), field - 1075)
    }
}

/// (−1)^neg · mag · 2^e (mag ≠ 0; bit 0 may be a jammed sticky bit lying at least two bits
/// below the rounding position) rounded to nearest even into binary64, ±∞ on overflow.
fn round(neg: bool, mag: u128, e: i32) -> u64 {
    let s = (neg as u64) << 63;
    let bl = 128 - mag.leading_zeros() as i32;
    let top = e + bl - 1;
    if top > 1023 {
        return s | INF;
    }
    let mut lsb = (top - 52).max(-1074);
    let sh = lsb - e;
    let mut q: u128 = if sh <= 0 {
        mag << (-sh)
    } else if sh > bl {
        0 // below half the smallest step
    } else if sh == bl {
        (mag > 1 << (bl - 1)) as u128 // at least half: up unless exactly half (0 is even)
    } else {
        let q = mag >> sh;
        let rem = mag & ((1 << sh) - 1);
        let half = 1u128 << (sh - 1);
        q + (rem > half || (rem == half && q & 1 == 1)) as u128
    };
    if q == 1 << 53 {
        q >>= 1;
        lsb += 1;
    }
    if q < 1 << 52 {
        return s | q as u64; // subnormal (lsb = −1074) or zero
    }
    let field = lsb + 1075;
    if field >= 2047 {
        return s | INF;
    }
    s | ((field as u64) << 52) | (q as u64 & ((1 << 52) - 1))
}

/// `a·b + c` in binary64 with one rounding (IEEE 754 fusedMultiplyAdd, nearest even),
/// computed exactly in integers; NaN results are [`F64_NAN`].
pub(crate) fn fma_f64(a: u64, b: u64, c: u64) -> u64 {
    let nan = |x: u64| x & 0x7FFF_FFFF_FFFF_FFFF > INF;
    let inf = |x: u64| x & 0x7FFF_FFFF_FFFF_FFFF == INF;
    let zero = |x: u64| x & 0x7FFF_FFFF_FFFF_FFFF == 0;
    let pneg = (a ^ b) >> 63 != 0;
    if nan(a) || nan(b) || nan(c) {
        return F64_NAN;
    }
    if inf(a) || inf(b) {
        if zero(a) || zero(b) || (inf(c) && (c >> 63 != 0) != pneg) {
            return F64_NAN;
        }
        return ((pneg as u64) << 63) | INF;
    }
    if inf(c) {
        return c;
    }
    let (_, sa, ea) = decode(a);
    let (_, sb, eb) = decode(b);
    let (cneg, sc, ec) = decode(c);
    let (sp, ep) = (sa * sb, ea + eb);
    if sp == 0 && sc == 0 {
        // IEEE: the sum of two zeros is −0 only when both are −0.
        return ((pneg && cneg) as u64) << 63;
    }
    // Align both terms at e0: no more than 121 bits above it; a term reaching below e0 is
    // shifted right with its lost bits jammed into bit 0. Bits are lost only where the other
    // term is more than two binades larger, so the result's rounding position lies far above.
    let top = |m: u128, e: i32| e + 127 - m.leading_zeros() as i32;
    let t = match (sp, sc) {
        (0, _) => top(sc, ec),
        (_, 0) => top(sp, ep),
        _ => top(sp, ep).max(top(sc, ec)),
    };
    let lo = match (sp, sc) {
        (0, _) => ec,
        (_, 0) => ep,
        _ => ep.min(ec),
    };
    let e0 = lo.max(t - 120);
    let align = |m: u128, e: i32| -> i128 {
        if m == 0 {
            0
        } else if e >= e0 {
            (m << (e - e0)) as i128
        } else {
            let d = e0 - e;
            if d >= 128 {
                1
            } else {
                ((m >> d) | ((m & ((1 << d) - 1) != 0) as u128)) as i128
            }
        }
    };
    let (p, q) = (align(sp, ep), align(sc, ec));
    let sum = if pneg { -p } else { p } + if cneg { -q } else { q };
    if sum == 0 {
        return 0; // an exact zero of non-zero terms is +0 in nearest even
    }
    round(sum < 0, sum.unsigned_abs(), e0)
}

/// c ← a·b + c for the f64 instructions (`Operand::F64` presets: NVIDIA `mma` `…f64.f64.f64.f64`
/// on Ampere and later, AMD `mfma_f64_*` on CDNA2/3), exactly as issuing the instruction
/// k/k_instr times in order: MMA-Sim models them as sequential FMA over k, so each output is
/// c ← fma(a_il, b_lj, c) for l = 0, 1, …, k−1, one IEEE binary64 rounding (nearest even)
/// each, computed in integers (no FP environment dependence: subnormals are kept whatever
/// FTZ/DAZ say). NaN results are [`F64_NAN`] (quiet, no payload), a zero sum of non-zero
/// terms is +0, and ±0 + ±0 is −0 only when both are −0. `a` m×k, `b` k×n, `c` m×n,
/// row-major. (`f64` is not a lowp [`crate::Format`], hence this entry point beside
/// [`super::matmul`].)
///
/// Errors (and `c` untouched): not an f64 instruction, slice lengths that do not match, or k
/// not a multiple of the instruction's k.
///
/// ```
/// use lowp::gemm::{matmul_f64, Mma};
/// let mma = Mma::nvidia("Ampere", "mma", "m8n8k4.f64.f64.f64.f64").unwrap();
/// let a = [1.0, 1e-17, 1e-17, 1e-17];
/// let b = [1.0; 4];
/// let mut c = [0.0f64];
/// matmul_f64(&mma, 1, 1, 4, &a, &b, &mut c).unwrap();
/// assert_eq!(c, [1.0]); // each 1e-17 is lost against 1.0, one FMA at a time
/// ```
pub fn matmul_f64(
    mma: &Mma,
    m: usize,
    n: usize,
    k: usize,
    a: &[f64],
    b: &[f64],
    c: &mut [f64],
) -> Result<(), Error> {
    if mma.a() != Operand::F64 || mma.b() != Operand::F64 {
        return Err(Error::InvalidInput(
            "not an f64 instruction: use gemm::matmul",
        ));
    }
    let over = Error::InvalidInput("matrix dimensions overflow usize");
    let (mk, kn, mn) = (
        m.checked_mul(k).ok_or(over)?,
        k.checked_mul(n).ok_or(over)?,
        m.checked_mul(n).ok_or(over)?,
    );
    for (expected, found) in [(mk, a.len()), (kn, b.len()), (mn, c.len())] {
        if expected != found {
            return Err(Error::LengthMismatch { expected, found });
        }
    }
    if !k.is_multiple_of(mma.k()) {
        return Err(Error::InvalidInput(
            "k must be a multiple of the instruction's k",
        ));
    }
    for i in 0..m {
        for j in 0..n {
            let mut acc = c[i * n + j].to_bits();
            for l in 0..k {
                acc = fma_f64(a[i * k + l].to_bits(), b[l * n + j].to_bits(), acc);
            }
            c[i * n + j] = f64::from_bits(acc);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fma_matches_the_hardware_fma_on_edge_cases() {
        let xs = [
            0.0f64,
            -0.0,
            1.0,
            -1.5,
            3.0e-308,
            4.9e-324,
            -2.2250738585072014e-308,
            1.0 + f64::EPSILON,
            1.7976931348623157e308,
            -1.0e300,
            1.0e-300,
            0.1,
            7.0e15,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for &x in &xs {
            for &y in &xs {
                for &z in &xs {
                    let want = x.mul_add(y, z);
                    let got = f64::from_bits(fma_f64(x.to_bits(), y.to_bits(), z.to_bits()));
                    if want.is_nan() {
                        assert_eq!(got.to_bits(), F64_NAN, "{x} {y} {z}");
                    } else {
                        assert_eq!(got.to_bits(), want.to_bits(), "{x}*{y}+{z}");
                    }
                }
            }
        }
    }

    /// Random operands: every exponent, and c near ±a·b (cancellation), near the subnormal
    /// range and near overflow; compared with the CPU's correctly rounded `mul_add`.
    #[test]
    fn fma_matches_the_hardware_fma_on_random_operands() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..200_000 {
            let (r1, r2, r3) = (next(), next(), next());
            let (a, b) = match i % 4 {
                0 => (f64::from_bits(r1), f64::from_bits(r2)),
                // Exponents near 1, or near the subnormal range.
                1 => (
                    f64::from_bits(r1 & 0x800F_FFFF_FFFF_FFFF | 0x3FF0_0000_0000_0000),
                    f64::from_bits(r2 & 0x801F_FFFF_FFFF_FFFF | 0x3FE0_0000_0000_0000),
                ),
                2 => (
                    f64::from_bits(r1 & 0x803F_FFFF_FFFF_FFFF),
                    f64::from_bits(r2 & 0x800F_FFFF_FFFF_FFFF | 0x3FF0_0000_0000_0000),
                ),
                _ => (
                    f64::from_bits(r1 & 0x800F_FFFF_FFFF_FFFF | 0x7FE0_0000_0000_0000),
                    f64::from_bits(r2 & 0x800F_FFFF_FFFF_FFFF | 0x3FF0_0000_0000_0000),
                ),
            };
            let c = match (r3 >> 60) % 4 {
                0 => f64::from_bits(r3),
                // −a·b rounded, perturbed in the last bits: deep cancellation.
                1 => f64::from_bits((-(a * b)).to_bits() ^ (r3 & 0xFF)),
                2 => f64::from_bits((a * b).to_bits().wrapping_add(r3 & 0xFFFF_FFFF)),
                _ => f64::from_bits(r3 & 0x800F_FFFF_FFFF_FFFF),
            };
            let want = a.mul_add(b, c);
            let got = f64::from_bits(fma_f64(a.to_bits(), b.to_bits(), c.to_bits()));
            if want.is_nan() {
                assert_eq!(got.to_bits(), F64_NAN, "{a:e} {b:e} {c:e}");
            } else {
                assert_eq!(got.to_bits(), want.to_bits(), "{a:e}*{b:e}+{c:e}");
            }
        }
    }
}
