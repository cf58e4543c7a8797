//! Exact integer building blocks of the arithmetic models: operands decoded into integer
//! significands, a 640-bit fixed-point accumulator for exact sums, and the final roundings
//! through lowp's rounding core ([`mod@crate::round`]). No floating-point instruction is used,
//! so no result depends on the FP environment (FTZ/DAZ).

use crate::format::{Overflow, Rounding, Spec};
use crate::formats::table;
use crate::round::{encode_source, Source, Unpacked};
use core::num::FpCategory;

/// Class of a decoded operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// A finite value (zero included).
    Finite,
    /// ±∞.
    Inf,
    /// NaN.
    Nan,
}

/// One operand as MMA-Sim's `frexp_and_normalize` sees it: the value is
/// `(−1)^neg · sig · 2^(exp − frac)`, where `frac` is the format's mantissa width; a normal
/// value has its leading one at bit `frac` of `sig`, a subnormal (or zero) one has
/// `exp` = the format's minimum exponent and `sig` < 2^frac.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Val {
    pub class: Class,
    pub neg: bool,
    pub sig: u64,
    pub exp: i32,
}

impl Val {
    pub const ZERO: Val = Val {
        class: Class::Finite,
        neg: false,
        sig: 0,
        exp: 0,
    };

    #[inline(always)]
    pub fn is_zero(&self) -> bool {
        self.class == Class::Finite && self.sig == 0
    }
}

/// Decode an encoding (storage shift already removed) of `spec`.
#[inline(always)]
pub(crate) fn decode(spec: &Spec, code: u32) -> Val {
    let code = code & spec.code_mask();
    let neg = spec.is_negative_code(code);
    match spec.classify_code(code) {
        FpCategory::Nan => Val {
            class: Class::Nan,
            neg,
            sig: 0,
            exp: 0,
        },
        FpCategory::Infinite => Val {
            class: Class::Inf,
            neg,
            sig: 0,
            exp: 0,
        },
        _ => {
            let m = spec.mantissa_bits;
            let field = (code & spec.magnitude_mask()) >> m;
            let mant = (code & spec.mantissa_mask()) as u64;
            if field == 0 && spec.subnormals {
                Val {
                    class: Class::Finite,
                    neg,
                    sig: mant,
                    exp: spec.min_exponent(),
                }
            } else {
                Val {
                    class: Class::Finite,
                    neg,
                    sig: mant | (1u64 << m),
                    exp: field as i32 - spec.bias,
                }
            }
        }
    }
}

/// Decode an `f32` bit pattern.
#[inline(always)]
pub(crate) fn decode_f32(bits: u32) -> Val {
    decode(&table::F32, bits)
}

/// Shift a magnitude left (`s` ≥ 0) or right, truncating (`s` < 0); bits shifted beyond 127
/// are gone.
#[inline(always)]
pub(crate) fn shift_trunc(mag: u128, s: i32) -> u128 {
    if s >= 0 {
        mag << s
    } else if s > -128 {
        mag >> (-s)
    } else {
        0
    }
}

/// ⌊x · 2^s⌋ for a signed `x` (an arithmetic shift: floor, toward −∞).
#[inline(always)]
pub(crate) fn shift_floor(x: i128, s: i32) -> i128 {
    if s >= 0 {
        x << s
    } else if s > -127 {
        x >> (-s)
    } else if x < 0 {
        -1
    } else {
        0
    }
}

/// Round the finite value `(−1)^neg · mag · 2^exp` once into `spec` (lowp's rounding core),
/// returning the storage bits. A zero magnitude gives a zero of the given sign.
pub(crate) fn round_wide(
    spec: &Spec,
    neg: bool,
    mag: u128,
    exp: i32,
    rounding: Rounding,
    overflow: Overflow,
) -> u32 {
    if mag == 0 {
        return encode_source(spec, Source::Zero { sign: neg }, rounding, overflow);
    }
    let bl = 128 - mag.leading_zeros() as i32;
    let (sig, sticky) = if bl <= 64 {
        ((mag as u64) << (64 - bl), false)
    } else {
        let drop = bl - 64;
        ((mag >> drop) as u64, mag & ((1u128 << drop) - 1) != 0)
    };
    encode_source(
        spec,
        Source::Finite(Unpacked {
            sign: neg,
            exp: exp + bl - 1,
            sig,
            sticky,
        }),
        rounding,
        overflow,
    )
}

/// Exponent of the leading bit of `mag · 2^exp` (`mag` ≠ 0).
#[inline(always)]
pub(crate) fn lead_exp(mag: u128, exp: i32) -> i32 {
    exp + 127 - mag.leading_zeros() as i32
}

const LIMBS: usize = 20;

/// A 1280-bit two's-complement fixed-point number with its least significant bit worth
/// 2^[`BigFixed::LSB`]: every product of four f32 values (a scale, a value, a scale, a value:
/// ≥ 2^-688 in magnitude, < 2^512) and sums of up to 2^60 of them fit exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BigFixed {
    limbs: [u64; LIMBS],
}

impl BigFixed {
    /// Weight of bit 0.
    pub const LSB: i32 = -704;

    pub fn new() -> BigFixed {
        BigFixed { limbs: [0; LIMBS] }
    }

    /// Add `(−1)^neg · mag · 2^exp`; `exp` must be ≥ [`BigFixed::LSB`] and the value must fit.
    pub fn add(&mut self, neg: bool, mag: u128, exp: i32) {
        if mag == 0 {
            return;
        }
        debug_assert!(exp >= Self::LSB);
        let pos = (exp - Self::LSB) as u32;
        let (limb, off) = ((pos / 64) as usize, pos % 64);
        // mag · 2^off spread over three limbs.
        let lo = (mag << off) as u64;
        let mid = ((mag << off) >> 64) as u64;
        let hi = if off == 0 {
            0
        } else {
            (mag >> (128 - off)) as u64
        };
        let parts = [lo, mid, hi];
        if !neg {
            let mut carry = 0u64;
            for i in limb..LIMBS {
                let p = if i - limb < 3 { parts[i - limb] } else { 0 };
                let (s1, c1) = self.limbs[i].overflowing_add(p);
                let (s2, c2) = s1.overflowing_add(carry);
                self.limbs[i] = s2;
                carry = (c1 as u64) + (c2 as u64);
                if carry == 0 && i - limb >= 2 {
                    break;
                }
            }
        } else {
            let mut borrow = 0u64;
            for i in limb..LIMBS {
                let p = if i - limb < 3 { parts[i - limb] } else { 0 };
                let (s1, b1) = self.limbs[i].overflowing_sub(p);
                let (s2, b2) = s1.overflowing_sub(borrow);
                self.limbs[i] = s2;
                borrow = (b1 as u64) + (b2 as u64);
                if borrow == 0 && i - limb >= 2 {
                    break;
                }
            }
        }
    }

    fn is_negative(&self) -> bool {
        self.limbs[LIMBS - 1] >> 63 != 0
    }

    /// The value as sign, magnitude and sticky: `(neg, mag, exp, sticky)` with the value's
    /// leading 126 bits in `mag` (worth `mag · 2^exp`) and `sticky` set when non-zero bits
    /// lie below. `None` for zero.
    pub fn to_parts(&self) -> Option<(bool, u128, i32, bool)> {
        let neg = self.is_negative();
        let mut l = self.limbs;
        if neg {
            // Two's-complement negation.
            let mut carry = 1u64;
            for x in l.iter_mut() {
                let (s, c) = (!*x).overflowing_add(carry);
                *x = s;
                carry = c as u64;
            }
        }
        let top = (0..LIMBS).rev().find(|&i| l[i] != 0)?;
        let bit = top as i32 * 64 + 63 - l[top].leading_zeros() as i32; // index of the leading one
        let low = (bit - 125).max(0); // keep bits [low, bit]
        let mut mag = 0u128;
        for b in (low..=bit).rev() {
            let v = (l[(b / 64) as usize] >> (b % 64)) & 1;
            mag = (mag << 1) | v as u128;
        }
        let mut sticky = false;
        let full = (low / 64) as usize;
        for x in l.iter().take(full) {
            sticky |= *x != 0;
        }
        if low % 64 != 0 {
            sticky |= l[full] & ((1u64 << (low % 64)) - 1) != 0;
        }
        Some((neg, mag, low + Self::LSB, sticky))
    }

    /// Round the exact value once into `spec`; an exact zero gives a zero of sign `zero_neg`.
    pub fn round(
        &self,
        spec: &Spec,
        rounding: Rounding,
        overflow: Overflow,
        zero_neg: bool,
    ) -> u32 {
        match self.to_parts() {
            None => encode_source(spec, Source::Zero { sign: zero_neg }, rounding, overflow),
            Some((neg, mag, exp, sticky)) => {
                // 126 bits are far more than any target needs: fold the sticky into bit 0.
                round_wide(
                    spec,
                    neg,
                    (mag << 1) | sticky as u128,
                    exp - 1,
                    rounding,
                    overflow,
                )
            }
        }
    }
}

/// The canonical quiet NaN of the f32 outputs that MMA-Sim's FDPA models write: 0x7FFFFFFF.
pub(crate) const F32_NAN_FDPA: u32 = 0x7FFF_FFFF;
/// The canonical quiet NaN of their f16 outputs: 0x7FFF.
pub(crate) const F16_NAN_FDPA: u32 = 0x7FFF;
/// The quiet NaN that the IEEE-arithmetic models (FMA, FTZ multiply-add, E-FDPA) write.
pub(crate) const F32_NAN: u32 = 0x7FC0_0000;

/// `a·b + c` in f32 with one rounding (IEEE 754 fusedMultiplyAdd, nearest even), computed
/// exactly in integers.
pub(crate) fn fma_f32(a: u32, b: u32, c: u32) -> u32 {
    let (va, vb, vc) = (decode_f32(a), decode_f32(b), decode_f32(c));
    if va.class == Class::Nan || vb.class == Class::Nan || vc.class == Class::Nan {
        return F32_NAN;
    }
    let pneg = va.neg ^ vb.neg;
    let p_inf = va.class == Class::Inf || vb.class == Class::Inf;
    if p_inf {
        if (va.class == Class::Finite && va.sig == 0) || (vb.class == Class::Finite && vb.sig == 0)
        {
            return F32_NAN;
        }
        if vc.class == Class::Inf && vc.neg != pneg {
            return F32_NAN;
        }
        return inf_f32(pneg);
    }
    if vc.class == Class::Inf {
        return c;
    }
    let pmag = va.sig as u128 * vb.sig as u128;
    let pexp = va.exp + vb.exp - 46;
    let mut acc = BigFixed::new();
    acc.add(pneg, pmag, pexp);
    acc.add(vc.neg, vc.sig as u128, vc.exp - 23);
    // IEEE: an exact zero sum is −0 only when both addends are −0 (or the product −0 and c −0).
    let zero_neg = (pmag == 0 && pneg) && (vc.sig == 0 && vc.neg);
    acc.round(&table::F32, Rounding::NearestEven, Overflow::Ieee, zero_neg)
}

/// `a + b` in f32, nearest even (IEEE 754), computed exactly in integers.
pub(crate) fn add_f32(a: u32, b: u32) -> u32 {
    let (va, vb) = (decode_f32(a), decode_f32(b));
    if va.class == Class::Nan || vb.class == Class::Nan {
        return F32_NAN;
    }
    match (va.class, vb.class) {
        (Class::Inf, Class::Inf) => {
            if va.neg != vb.neg {
                F32_NAN
            } else {
                a
            }
        }
        (Class::Inf, _) => a,
        (_, Class::Inf) => b,
        _ => {
            let mut acc = BigFixed::new();
            acc.add(va.neg, va.sig as u128, va.exp - 23);
            acc.add(vb.neg, vb.sig as u128, vb.exp - 23);
            let zero_neg = va.sig == 0 && va.neg && vb.sig == 0 && vb.neg;
            acc.round(&table::F32, Rounding::NearestEven, Overflow::Ieee, zero_neg)
        }
    }
}

/// ±∞ as f32 bits.
#[inline(always)]
pub(crate) const fn inf_f32(neg: bool) -> u32 {
    0x7F80_0000 | ((neg as u32) << 31)
}

/// ±∞ as f16 bits.
#[inline(always)]
pub(crate) const fn inf_f16(neg: bool) -> u32 {
    0x7C00 | ((neg as u32) << 15)
}

/// The f32 product `x·y`, nearest even, computed exactly (finite operands).
pub(crate) fn mul_f32(x: u32, y: u32) -> u32 {
    let (a, b) = (decode_f32(x), decode_f32(y));
    if a.class != Class::Finite || b.class != Class::Finite {
        return fma_f32(x, y, 0x8000_0000);
    }
    round_wide(
        &table::F32,
        a.neg ^ b.neg,
        a.sig as u128 * b.sig as u128,
        a.exp + b.exp - 46,
        Rounding::NearestEven,
        Overflow::Ieee,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bigfixed_round_trips_f32_sums() {
        let xs = [1.5f32, -3.25e-30, 7.0e30, -7.0e30, 1.0e-45, 2.5];
        let mut acc = BigFixed::new();
        for x in xs {
            let v = decode_f32(x.to_bits());
            acc.add(v.neg, v.sig as u128, v.exp - 23);
        }
        // 1.5 − 3.25e-30 + 1e-45 + 2.5 rounds to 4.0 in f32.
        let r = acc.round(&table::F32, Rounding::NearestEven, Overflow::Ieee, false);
        assert_eq!(f32::from_bits(r), 4.0);
    }

    #[test]
    fn fma_matches_the_hardware_on_plain_values() {
        let cases = [
            (1.0f32 + f32::EPSILON, 1.0 - f32::EPSILON, -1.0f32),
            (3.0, 1.0e-40, 1.0e-39),
            (-2.5, 4.0, 10.0),
            (1.0e20, 1.0e20, -1.0e38),
        ];
        for (a, b, c) in cases {
            assert_eq!(
                fma_f32(a.to_bits(), b.to_bits(), c.to_bits()),
                a.mul_add(b, c).to_bits(),
                "{a} {b} {c}"
            );
            assert_eq!(add_f32(a.to_bits(), c.to_bits()), (a + c).to_bits());
        }
        assert_eq!(
            add_f32((-0.0f32).to_bits(), (-0.0f32).to_bits()),
            (-0.0f32).to_bits()
        );
        assert_eq!(add_f32((-1.0f32).to_bits(), 1.0f32.to_bits()), 0);
    }
}
