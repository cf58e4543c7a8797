//! ONNX integer matrix products, bit-exact with onnxruntime: `MatMulInteger` and
//! `QLinearMatMul`.

use super::exact::{decode_f32, mul_f32, round_wide, Class};
use super::int8;
use crate::format::{Overflow, Rounding};
use crate::formats::table;
use crate::quant::{QParams, QuantInt};
use crate::Error;

fn check_len(expected: usize, found: usize) -> Result<(), Error> {
    if expected != found {
        Err(Error::LengthMismatch { expected, found })
    } else {
        Ok(())
    }
}

fn check_count(found: usize, per: usize) -> Result<(), Error> {
    if found == 1 || found == per {
        Ok(())
    } else {
        Err(Error::ParamCountMismatch {
            expected: per,
            found,
        })
    }
}

fn sizes(m: usize, n: usize, k: usize) -> Result<(usize, usize, usize), Error> {
    let over = Error::InvalidInput("matrix dimensions overflow usize");
    Ok((
        m.checked_mul(k).ok_or(over)?,
        k.checked_mul(n).ok_or(over)?,
        m.checked_mul(n).ok_or(over)?,
    ))
}

/// Every output conv(i, j, Σ_l (a_il − a_zp(i))·(b_lj − b_zp(j))), the sum in i32 wrapping
/// around as onnxruntime's i32 accumulators (no wrap for k ≤ 33025 with 8-bit operands): the
/// blocked 8-bit GEMM (`super::int8`, VNNI's `vpdpbusd` on AVX-512) for 8-bit (and 4-bit)
/// operands, the scalar model for 16-bit ones or when the scalar level is forced.
fn products<A: QuantInt, B: QuantInt, T: Send>(
    m: usize,
    n: usize,
    k: usize,
    a: &[A],
    azp: impl Fn(usize) -> i32 + Sync,
    b: &[B],
    bzp: impl Fn(usize) -> i32 + Sync,
    y: &mut [T],
    conv: impl Fn(usize, usize, i32) -> T + Sync,
) {
    if A::BITS <= 8 && B::BITS <= 8 && !int8::scalar_requested() {
        int8::products(m, n, k, a, azp, b, bzp, y, conv);
    } else {
        int8::products_scalar(n, k, a, azp, b, bzp, y, conv);
    }
}

/// ONNX `MatMulInteger`: y = (a − a_zero_point)·(b − b_zero_point), exact in i32 (wrapping
/// as onnxruntime's i32 accumulator on overflow, which needs k > 33025 with 8-bit operands;
/// 16-bit operands, beyond ONNX, give every product and sum modulo 2^32).
/// `a` m×k, `b` k×n, `y` m×n row-major; `a_zero_point` has 1 (per tensor) or m (per row)
/// elements, `b_zero_point` 1 or n (per column).
///
/// ```
/// use lowp::gemm::matmul_integer;
/// let a: [u8; 4] = [130, 128, 120, 255];
/// let b: [i8; 4] = [1, -2, 3, 4];
/// let mut y = [0i32; 4];
/// matmul_integer(2, 2, 2, &a, &[128u8], &b, &[0i8], &mut y).unwrap();
/// assert_eq!(y, [2 * 1, 2 * -2, -8 * 1 + 127 * 3, -8 * -2 + 127 * 4]);
/// ```
pub fn matmul_integer<A: QuantInt, B: QuantInt>(
    m: usize,
    n: usize,
    k: usize,
    a: &[A],
    a_zero_point: &[A],
    b: &[B],
    b_zero_point: &[B],
    y: &mut [i32],
) -> Result<(), Error> {
    let (mk, kn, mn) = sizes(m, n, k)?;
    check_len(mk, a.len())?;
    check_len(kn, b.len())?;
    check_len(mn, y.len())?;
    check_count(a_zero_point.len(), m)?;
    check_count(b_zero_point.len(), n)?;
    let azp = |i: usize| a_zero_point[if a_zero_point.len() == 1 { 0 } else { i }].to_i32();
    let bzp = |j: usize| b_zero_point[if b_zero_point.len() == 1 { 0 } else { j }].to_i32();
    products(m, n, k, a, azp, b, bzp, y, |_, _, s| s);
    Ok(())
}

/// The f32 quotient `x / y`, nearest even, computed exactly (`y` finite and positive).
fn div_f32(x: u32, y: u32) -> u32 {
    let (a, b) = (decode_f32(x), decode_f32(y));
    if a.class != Class::Finite || b.sig == 0 {
        return 0x7FC0_0000;
    }
    // a.sig·2^64 / b.sig with the remainder as a sticky bit.
    let num = (a.sig as u128) << 64;
    let q = num / b.sig as u128;
    let sticky = !num.is_multiple_of(b.sig as u128) as u128;
    round_wide(
        &table::F32,
        a.neg ^ b.neg,
        (q << 1) | sticky,
        a.exp - b.exp - 65,
        Rounding::NearestEven,
        Overflow::Ieee,
    )
}

/// onnxruntime's requantization (MLAS `MlasRequantizeOutput`): the i32 converted to f32
/// (nearest even), times the f32 multiplier, clamped to [qmin − zp, qmax − zp], rounded half
/// to even, plus zp. Computed exactly in integers.
fn requantize(acc: i32, multiplier: u32, zp: i32, qmin: i32, qmax: i32) -> i32 {
    let accf = round_wide(
        &table::F32,
        acc < 0,
        acc.unsigned_abs() as u128,
        0,
        Rounding::NearestEven,
        Overflow::Ieee,
    );
    let p = mul_f32(accf, multiplier);
    // p is a finite f32 (or ±∞ on overflow); clamp then round half to even to an integer.
    let v = decode_f32(p);
    let lo = (qmin - zp) as i64;
    let hi = (qmax - zp) as i64;
    let r: i64 = if v.class != Class::Finite {
        if v.neg {
            lo
        } else {
            hi
        }
    } else {
        // |p| = sig · 2^(exp − 23): round half even to an integer (saturating the magnitude).
        let sh = v.exp - 23;
        let mag: i64 = if sh >= 0 {
            if sh > 40 {
                i64::MAX / 2
            } else {
                (v.sig as i64) << sh
            }
        } else if sh < -40 {
            0
        } else {
            let d = (-sh) as u32;
            let q = v.sig >> d;
            let rem = v.sig & ((1u64 << d) - 1);
            let half = 1u64 << (d - 1);
            (q + (rem > half || (rem == half && q & 1 == 1)) as u64) as i64
        };
        let s = if v.neg { -mag } else { mag };
        // Clamping before or after rounding agrees: the bounds are integers.
        s.clamp(lo, hi)
    };
    (r + zp as i64) as i32
}

/// ONNX `QLinearMatMul`: y = saturate(round((a − a_zp)·(b − b_zp) · (a_scale·b_scale /
/// y_scale)) + y_zp), exactly as onnxruntime computes it: the i32 product sum converted to
/// f32, the multiplier `(a_scale · b_scale) / y_scale` in f32 (two roundings), one f32
/// multiply, a clamp to the output range, rounding half to even. `a_params` has 1 or m
/// elements (per row), `b_params` 1 or n (per column); `y_params` is per tensor. All
/// parameters are checked ([`QParams::check`]).
///
/// ```
/// use lowp::gemm::qlinear_matmul;
/// use lowp::quant::QParams;
/// let a: [u8; 2] = [130, 126];
/// let b: [i8; 2] = [50, 50];
/// let mut y = [0u8; 1];
/// let (pa, pb, py) = (QParams::new(0.5, 128), QParams::new(0.25, 0), QParams::new(1.0, 10));
/// qlinear_matmul(1, 1, 2, &a, &[pa], &b, &[pb], py, &mut y).unwrap();
/// assert_eq!(y, [10]); // (2·50 − 2·50)·0.125 + 10
/// ```
pub fn qlinear_matmul<A: QuantInt, B: QuantInt, Y: QuantInt>(
    m: usize,
    n: usize,
    k: usize,
    a: &[A],
    a_params: &[QParams],
    b: &[B],
    b_params: &[QParams],
    y_params: QParams,
    y: &mut [Y],
) -> Result<(), Error> {
    let (mk, kn, mn) = sizes(m, n, k)?;
    check_len(mk, a.len())?;
    check_len(kn, b.len())?;
    check_len(mn, y.len())?;
    check_count(a_params.len(), m)?;
    check_count(b_params.len(), n)?;
    for p in a_params {
        p.check::<A>()?;
    }
    for p in b_params {
        p.check::<B>()?;
    }
    y_params.check::<Y>()?;
    let ap = |i: usize| a_params[if a_params.len() == 1 { 0 } else { i }];
    let bp = |j: usize| b_params[if b_params.len() == 1 { 0 } else { j }];
    let ys = y_params.scale.to_bits();
    let mult =
        |i: usize, j: usize| div_f32(mul_f32(ap(i).scale.to_bits(), bp(j).scale.to_bits()), ys);
    let (yzp, qmin, qmax) = (y_params.zero_point, Y::MIN, Y::MAX);
    products(
        m,
        n,
        k,
        a,
        |i| ap(i).zero_point,
        b,
        |j| bp(j).zero_point,
        y,
        |i, j, s| Y::from_i32(requantize(s, mult(i, j), yzp, qmin, qmax)),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_f32_mul_and_div_agree_with_the_hardware() {
        let xs = [0.1f32, 3.0, 7.5e-3, 1.0e-20, 123456.7, 2.0e-38];
        for &x in &xs {
            for &y in &xs {
                assert_eq!(
                    mul_f32(x.to_bits(), y.to_bits()),
                    (x * y).to_bits(),
                    "{x}*{y}"
                );
                assert_eq!(
                    div_f32(x.to_bits(), y.to_bits()),
                    (x / y).to_bits(),
                    "{x}/{y}"
                );
            }
        }
    }

    #[test]
    fn requantize_rounds_half_to_even_and_clamps() {
        let half = 0.5f32.to_bits();
        assert_eq!(requantize(5, half, 0, -128, 127), 2); // 2.5 → 2
        assert_eq!(requantize(7, half, 0, -128, 127), 4); // 3.5 → 4
        assert_eq!(requantize(-7, half, 0, -128, 127), -4);
        assert_eq!(requantize(1000, half, 3, -128, 127), 127);
        assert_eq!(requantize(-1000, half, 3, 0, 255), 0);
    }
}
