//! The one rounding core: every encoding in lowp (scalar, and the reference for every SIMD
//! kernel) goes through [`round_magnitude`] and [`finish`].
//!
//! A finite non-zero input is unpacked exactly into a sign, the exponent of its leading bit, a
//! significand left-aligned in a `u64` and a sticky bit for anything below it (zero for f32 and
//! f64 sources, whose significands fit). Rounding then works in four steps:
//!
//! 1. Pick the target exponent: the input's, or the format's minimum normal exponent if the
//!    input is smaller (the subnormal range).
//! 2. Split the significand at that exponent's ulp into the kept integer and the dropped
//!    fraction, left-aligned in a `u64` with everything below jammed into its last bit.
//! 3. Decide the increment from the mode, the kept integer's last bit, the round bit (top bit
//!    of the fraction) and the sticky bits.
//! 4. Form the magnitude code as `((exponent + bias − 1) << M) + kept`: a carry out of the
//!    mantissa flows into the exponent by plain addition. A code above the format's largest
//!    finite code is an overflow, handled by [`finish`] according to the policy.

use crate::spec::{
    infinity_or_substitute, quiet_nan_or_zero, with_sign, Overflow, Rounding, Saturation, Spec,
    StochasticVariant,
};

// Decoding and the special codes of a row live in `decode` and `spec` (which this core uses
// and which never use it); these paths stay for the code that names them here.
pub use crate::decode::{decode_table, decode_to_f32_bits};
pub(crate) use crate::spec::nan_code;
pub use crate::spec::{negate_bits, pow2_bits};

/// A finite, non-zero input, unpacked exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unpacked {
    /// Sign (true for negative).
    pub sign: bool,
    /// Unbiased exponent of the leading significand bit: the value is `sig · 2^(exp − 63)`.
    pub exp: i32,
    /// Significand with its leading one at bit 63.
    pub sig: u64,
    /// Whether any non-zero bits lie below `sig` (never for f32/f64 sources).
    pub sticky: bool,
}

/// What a source number is, before rounding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A NaN, with its sign and its mantissa payload left-aligned in a `u64`.
    Nan {
        /// The sign bit.
        sign: bool,
        /// The mantissa bits, left-aligned.
        payload: u64,
    },
    /// ±∞.
    Infinite {
        /// The sign bit.
        sign: bool,
    },
    /// ±0.
    Zero {
        /// The sign bit.
        sign: bool,
    },
    /// Anything else.
    Finite(Unpacked),
}

/// Unpack an `f32` exactly.
#[inline(always)]
pub fn unpack_f32(x: f32) -> Source {
    let bits = x.to_bits();
    let sign = bits >> 31 != 0;
    let field = ((bits >> 23) & 0xFF) as i32;
    let mant = bits & 0x7F_FFFF;
    if field == 0xFF {
        if mant == 0 {
            Source::Infinite { sign }
        } else {
            Source::Nan {
                sign,
                payload: (mant as u64) << 41,
            }
        }
    } else if field == 0 {
        if mant == 0 {
            Source::Zero { sign }
        } else {
            let lz = mant.leading_zeros() as i32; // ≥ 9
            Source::Finite(Unpacked {
                sign,
                exp: -149 + (31 - lz),
                sig: (mant as u64) << (32 + lz),
                sticky: false,
            })
        }
    } else {
        Source::Finite(Unpacked {
            sign,
            exp: field - 127,
            sig: ((mant | 0x80_0000) as u64) << 40,
            sticky: false,
        })
    }
}

/// Unpack an `f64` exactly.
#[inline(always)]
pub fn unpack_f64(x: f64) -> Source {
    let bits = x.to_bits();
    let sign = bits >> 63 != 0;
    let field = ((bits >> 52) & 0x7FF) as i32;
    let mant = bits & ((1u64 << 52) - 1);
    if field == 0x7FF {
        if mant == 0 {
            Source::Infinite { sign }
        } else {
            Source::Nan {
                sign,
                payload: mant << 12,
            }
        }
    } else if field == 0 {
        if mant == 0 {
            Source::Zero { sign }
        } else {
            let lz = mant.leading_zeros() as i32; // ≥ 12
            Source::Finite(Unpacked {
                sign,
                exp: -1074 + (63 - lz),
                sig: mant << lz,
                sticky: false,
            })
        }
    } else {
        Source::Finite(Unpacked {
            sign,
            exp: field - 1023,
            sig: (mant | (1u64 << 52)) << 11,
            sticky: false,
        })
    }
}

/// The kept integer and the dropped fraction of a significand at a target exponent.
#[derive(Clone, Copy, Debug)]
struct Split {
    /// The kept significand (at most M + 1 bits).
    kept: u64,
    /// The dropped fraction of an ulp, left-aligned; bits below 64 are jammed into bit 0.
    frac: u64,
    /// The (target exponent + bias − 1), the base of the code.
    base: i64,
}

/// Step 1 and 2: split `u` at the ulp of the exponent it lands in.
#[inline(always)]
fn split(spec: &Spec, u: &Unpacked) -> Split {
    let m = spec.mantissa_bits as i32;
    let emin = spec.min_exponent();
    let e = if u.exp > emin { u.exp } else { emin };
    // Bits of `sig` below the target ulp: at least 63 − 23 = 40.
    let drop = 63 - m + (e - u.exp);
    let sticky = u.sticky as u64;
    let (kept, frac) = if drop < 64 {
        (u.sig >> drop, (u.sig << (64 - drop)) | sticky)
    } else if drop == 64 {
        (0, u.sig | sticky)
    } else if drop < 128 {
        let lost = (u.sig << (128 - drop)) != 0;
        (0, (u.sig >> (drop - 64)) | lost as u64 | sticky)
    } else {
        (0, 1)
    };
    Split {
        kept,
        frac,
        base: (e + spec.bias - 1) as i64,
    }
}

/// Step 4: the unbounded magnitude code.
#[inline(always)]
fn code_of(spec: &Spec, s: &Split, kept: u64) -> u64 {
    ((s.base << spec.mantissa_bits) + kept as i64) as u64
}

/// Round a finite non-zero magnitude; the result is the magnitude code with an unbounded
/// exponent, so it may exceed [`Spec::max_code`] (an overflow for [`finish`] to resolve).
///
/// The E8M0 rule for magnitudes below its smallest value 2^-127 (every mode gives 2^-127) is
/// applied here too.
#[inline(always)]
pub fn round_magnitude(spec: &Spec, u: &Unpacked, rounding: Rounding) -> u64 {
    if !spec.subnormals && u.exp < spec.min_exponent() {
        return 0;
    }
    let s = split(spec, u);
    let half = 1u64 << 63;
    let round_bit = s.frac >= half;
    let inexact = s.frac != 0;
    // P3109 decides ties and odd rounding on the parity of the code, which is the kept
    // significand's for every format with a stored fraction, and the exponent field's when
    // there is none (precision 1); elsewhere (E8M0) the significand's, which is always odd.
    let odd = if spec.is_p3109() {
        code_of(spec, &s, s.kept) & 1 == 1
    } else {
        s.kept & 1 == 1
    };
    let kept = match rounding {
        Rounding::NearestEven => {
            let tie_or_more = round_bit && (s.frac != half || odd);
            s.kept + tie_or_more as u64
        }
        Rounding::NearestAway => s.kept + round_bit as u64,
        Rounding::TowardZero => s.kept,
        Rounding::TowardPositive => s.kept + (inexact && !u.sign) as u64,
        Rounding::TowardNegative => s.kept + (inexact && u.sign) as u64,
        // Round to odd: up where inexact and the truncated code is even (the kept bit set).
        Rounding::Odd if spec.is_p3109() => s.kept + (inexact && !odd) as u64,
        Rounding::Odd => s.kept | inexact as u64,
    };
    code_of(spec, &s, kept)
}

/// Stochastic rounding of a finite non-zero magnitude: up iff ⌊frac · 2^32⌋ + random ≥ 2^32.
#[inline(always)]
pub fn round_magnitude_stochastic(spec: &Spec, u: &Unpacked, random: u32) -> u64 {
    if !spec.subnormals && u.exp < spec.min_exponent() {
        return 0;
    }
    let s = split(spec, u);
    let up = ((s.frac >> 32) + random as u64) >> 32;
    code_of(spec, &s, s.kept + up)
}

/// P3109's stochastic rounding of a finite non-zero magnitude with `bits` = N random bits
/// `random` = R (1 ≤ N ≤ 32, R < 2^N; see [`StochasticVariant`] for the three rules). Variant
/// `A` with N = 32 is [`round_magnitude_stochastic`].
#[inline(always)]
pub fn round_magnitude_stochastic_n(
    spec: &Spec,
    u: &Unpacked,
    variant: StochasticVariant,
    bits: u32,
    random: u32,
) -> u64 {
    let s = split(spec, u);
    let n = bits;
    let r = random as u64;
    // The fraction is left-aligned in 64 bits with anything lower jammed into bit 0, so its
    // top N + 1 ≤ 33 bits are exact and the rest says only "more than zero".
    let up = match variant {
        StochasticVariant::A => (s.frac >> (64 - n)) + r >= 1 << n,
        StochasticVariant::B => (s.frac >> (63 - n)) + 2 * r + 1 >= 1 << (n + 1),
        StochasticVariant::C => {
            let t = s.frac >> (64 - n);
            let rest = s.frac << n;
            let half = 1u64 << 63;
            let rounded = t + (rest > half || (rest == half && t & 1 == 1)) as u64;
            rounded + r >= 1 << n
        }
    };
    code_of(spec, &s, s.kept + up as u64)
}

/// The code of a finite result beyond max, by mode and policy (the IEEE rule, or ±max).
#[inline(always)]
pub(crate) const fn overflow_code(
    spec: &Spec,
    sign: bool,
    rounding: Rounding,
    overflow: Overflow,
) -> u32 {
    if spec.is_p3109() {
        return p3109_overflow_code(spec, sign, rounding, Saturation::of(overflow));
    }
    if sign && !spec.signed {
        // Only E8M0 is unsigned: a negative input has no representation.
        return quiet_nan_or_zero(spec);
    }
    let toward_infinity = match overflow {
        Overflow::Saturate => false,
        Overflow::Ieee => match rounding {
            Rounding::NearestEven | Rounding::NearestAway => true,
            Rounding::TowardZero | Rounding::Odd => false,
            Rounding::TowardPositive => !sign,
            Rounding::TowardNegative => sign,
        },
    };
    if toward_infinity {
        infinity_or_substitute(spec, sign)
    } else {
        with_sign(spec, spec.max_code(), sign)
    }
}

/// The code of an infinite input, in any mode.
#[inline]
pub(crate) const fn infinity_input_code(spec: &Spec, sign: bool, overflow: Overflow) -> u32 {
    if spec.is_p3109() {
        return p3109_infinity_code(spec, sign, Saturation::of(overflow));
    }
    if sign && !spec.signed {
        quiet_nan_or_zero(spec)
    } else if matches!(overflow, Overflow::Saturate) {
        with_sign(spec, spec.max_code(), sign)
    } else {
        infinity_or_substitute(spec, sign)
    }
}

/// P3109's ωSaturate (interim report v4.0 §4.7.5) for a finite rounded value R beyond the
/// finite range: R > max (`sign` false) or R < min (`sign` true; for unsigned formats every
/// negative R, whose min is 0). The code, by saturation mode, rounding mode, signedness and
/// domain.
#[inline]
pub const fn p3109_overflow_code(
    spec: &Spec,
    sign: bool,
    rounding: Rounding,
    saturation: Saturation,
) -> u32 {
    let max = spec.max_code();
    // The extremal finite value on the side of R: max, −max, or 0 (unsigned, R < 0).
    let extremal = if !sign {
        max
    } else if spec.signed {
        max | spec.sign_mask()
    } else {
        0
    };
    let nan = match spec.quiet_nan_code() {
        Some(n) => n,
        None => 0,
    };
    match saturation {
        Saturation::SatFinite | Saturation::SatPropagate => extremal,
        Saturation::SatNone => {
            if !sign {
                match rounding {
                    Rounding::Odd if !spec.signed && spec.infinity => max,
                    Rounding::TowardZero | Rounding::TowardNegative => max,
                    _ if spec.infinity => spec.infinity_code(),
                    _ => max,
                }
            } else {
                match rounding {
                    Rounding::TowardZero | Rounding::TowardPositive => extremal,
                    _ if spec.signed && spec.infinity => spec.infinity_code() | spec.sign_mask(),
                    _ if !spec.signed => nan,
                    _ => extremal,
                }
            }
        }
    }
}

/// P3109's ωSaturate for an infinite rounded value (an ∞ input, exact in every mode).
pub const fn p3109_infinity_code(spec: &Spec, sign: bool, saturation: Saturation) -> u32 {
    let max = spec.max_code();
    let keep = !matches!(saturation, Saturation::SatFinite);
    if !sign {
        if keep && spec.infinity {
            spec.infinity_code()
        } else {
            max
        }
    } else if spec.signed {
        if keep && spec.infinity {
            spec.infinity_code() | spec.sign_mask()
        } else {
            max | spec.sign_mask()
        }
    } else if matches!(saturation, Saturation::SatNone) {
        match spec.quiet_nan_code() {
            Some(n) => n,
            None => 0,
        }
    } else {
        0
    }
}

/// P3109's ωSaturate and ωEncode for a finite non-zero input whose magnitude rounded to the
/// unbounded code `code`: a zero result is +0 (there is no −0; a negative input that rounds
/// to zero gives 0 in unsigned formats too), a result in range keeps its sign, any other is
/// [`p3109_overflow_code`]'s.
#[inline(always)]
pub fn p3109_finish(
    spec: &Spec,
    sign: bool,
    code: u64,
    rounding: Rounding,
    saturation: Saturation,
) -> u32 {
    if code == 0 {
        0
    } else if code <= spec.max_code() as u64 && (spec.signed || !sign) {
        with_sign(spec, code as u32, sign)
    } else {
        p3109_overflow_code(spec, sign, rounding, saturation)
    }
}

/// How a P3109 conversion rounds: one of the six deterministic modes, or a stochastic
/// variant with its N random bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum P3109Rounding {
    /// A deterministic mode.
    Mode(Rounding),
    /// A stochastic variant with `bits` = N (1..=32) random bits `random` (< 2^N).
    Stochastic {
        /// The variant.
        variant: StochasticVariant,
        /// N.
        bits: u32,
        /// R.
        random: u32,
    },
}

/// P3109's ωProject (round to precision, saturate, encode) of an unpacked source: the code.
/// Stochastic rounding saturates as the nearest modes do (the report's rules name only the
/// directed modes and to-odd).
#[inline(always)]
pub fn encode_source_p3109(
    spec: &Spec,
    src: Source,
    rounding: P3109Rounding,
    saturation: Saturation,
) -> u32 {
    match src {
        Source::Nan { .. } => quiet_nan_or_zero(spec),
        Source::Zero { .. } => 0,
        Source::Infinite { sign } => p3109_infinity_code(spec, sign, saturation),
        Source::Finite(u) => {
            let (code, mode) = match rounding {
                P3109Rounding::Mode(r) => (round_magnitude(spec, &u, r), r),
                P3109Rounding::Stochastic {
                    variant,
                    bits,
                    random,
                } => (
                    round_magnitude_stochastic_n(spec, &u, variant, bits, random),
                    Rounding::NearestEven,
                ),
            };
            p3109_finish(spec, u.sign, code, mode, saturation)
        }
    }
}

/// Resolve the sign and the overflow of an unbounded magnitude code for a finite input.
#[inline(always)]
pub fn finish(spec: &Spec, sign: bool, code: u64, rounding: Rounding, overflow: Overflow) -> u32 {
    if spec.is_p3109() {
        return p3109_finish(spec, sign, code, rounding, Saturation::of(overflow));
    }
    if code <= spec.max_code() as u64 {
        if sign && !spec.signed {
            // Only E8M0 is unsigned: a negative input has no representation.
            return quiet_nan_or_zero(spec);
        }
        return with_sign(spec, code as u32, sign);
    }
    overflow_code(spec, sign, rounding, overflow)
}

/// The code of a special (non-finite or zero) source, in any mode.
#[inline(always)]
fn special(spec: &Spec, src: Source, overflow: Overflow) -> u32 {
    match src {
        Source::Nan { sign, payload } => {
            let mut code = nan_code(spec, sign);
            if spec.nan_payload {
                code |= (payload >> (64 - spec.mantissa_bits)) as u32;
            }
            code
        }
        Source::Infinite { sign } => infinity_input_code(spec, sign, overflow),
        Source::Zero { sign } => {
            if !spec.subnormals {
                // E8M0 has no zero.
                quiet_nan_or_zero(spec)
            } else {
                with_sign(spec, 0, sign)
            }
        }
        Source::Finite(_) => unreachable!(),
    }
}

/// Encode an unpacked source (the shared path of f32 and f64 sources).
#[inline(always)]
pub fn encode_source(spec: &Spec, src: Source, rounding: Rounding, overflow: Overflow) -> u32 {
    let code = match src {
        Source::Finite(u) => finish(
            spec,
            u.sign,
            round_magnitude(spec, &u, rounding),
            rounding,
            overflow,
        ),
        _ => special(spec, src, overflow),
    };
    code << spec.storage_shift
}

/// Encode an unpacked source with stochastic rounding.
#[inline(always)]
pub fn encode_source_stochastic(spec: &Spec, src: Source, random: u32, overflow: Overflow) -> u32 {
    let code = match src {
        Source::Finite(u) => finish(
            spec,
            u.sign,
            round_magnitude_stochastic(spec, &u, random),
            Rounding::NearestEven,
            overflow,
        ),
        _ => special(spec, src, overflow),
    };
    code << spec.storage_shift
}

/// Encode an `f32`: the storage bits of the rounded value.
#[inline(always)]
pub fn encode_f32(spec: &Spec, x: f32, rounding: Rounding, overflow: Overflow) -> u32 {
    encode_source(spec, unpack_f32(x), rounding, overflow)
}

/// Encode an `f64` (rounded once from the exact `f64`).
#[inline(always)]
pub fn encode_f64(spec: &Spec, x: f64, rounding: Rounding, overflow: Overflow) -> u32 {
    encode_source(spec, unpack_f64(x), rounding, overflow)
}

/// Encode an `f32` with stochastic rounding.
#[inline(always)]
pub fn encode_f32_stochastic(spec: &Spec, x: f32, random: u32, overflow: Overflow) -> u32 {
    encode_source_stochastic(spec, unpack_f32(x), random, overflow)
}

/// Encode an `f64` with stochastic rounding.
#[inline(always)]
pub fn encode_f64_stochastic(spec: &Spec, x: f64, random: u32, overflow: Overflow) -> u32 {
    encode_source_stochastic(spec, unpack_f64(x), random, overflow)
}

/// Whether rounding the finite `x` overflows the format (for the checked conversions).
pub fn overflows(spec: &Spec, src: Source, rounding: Rounding) -> bool {
    match src {
        Source::Finite(u) => round_magnitude(spec, &u, rounding) > spec.max_code() as u64,
        _ => false,
    }
}

/// The one round-half-to-even to an integer (the quantizers' `round_half_even`, ONNX's and
/// PyTorch's `nearbyint` under the default mode): `v` rounded to the nearest integer, ties to
/// the even one, as an `f32`. Exact for every input: |v| ≥ 2^23 is already an integer and is
/// returned as is (so are NaN and ±∞); below, 2^23 + |v| lies in [2^23, 2^24), where the `f32`
/// spacing is 1, so that one IEEE addition (nearest even, the only rounding mode Rust code
/// runs under) rounds the fraction away and subtracting 2^23 is exact; the sign is put back
/// (−0.3 gives −0). The result does not depend on the FTZ/DAZ flags: the sums are integers far
/// from the subnormal range, and a subnormal `v` read as 0 rounds to the same ±0.
#[inline(always)]
pub(crate) fn round_half_even(v: f32) -> f32 {
    const TWO_23: f32 = 8_388_608.0;
    let a = f32::from_bits(v.to_bits() & 0x7FFF_FFFF);
    if a < TWO_23 {
        ((a + TWO_23) - TWO_23).copysign(v)
    } else {
        v
    }
}

/// [`round_half_even`] of a clamped `v` (|v| ≤ 2^22) as an `i32`, in two branch-free steps
/// (the form the integer quantizers' and MXINT8's vector loops use): 1.5·2^23 + v lies in
/// [2^23, 2^24), where the `f32` spacing is 1, so that the IEEE addition rounds v to an
/// integer, ties to even, and the sum's bits minus those of 1.5·2^23 are that integer (−0.3
/// gives 0). Independent of FTZ/DAZ for the same reason as [`round_half_even`]. A larger |v|
/// gives a meaningless integer: callers clamp first (a NaN too).
#[inline(always)]
pub(crate) fn round_half_even_i32(v: f32) -> i32 {
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2^23
    ((v + MAGIC).to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32)
}

/// [`round_half_even`] for an `f64` (with 2^52: |v| ≥ 2^52 is already an integer), for exact
/// quotients that must not be rounded through `f32` first (MXINT8's elements).
#[inline(always)]
pub(crate) fn round_half_even_f64(v: f64) -> f64 {
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    let a = f64::from_bits(v.to_bits() & 0x7FFF_FFFF_FFFF_FFFF);
    if a < TWO_52 {
        ((a + TWO_52) - TWO_52).copysign(v)
    } else {
        v
    }
}

#[cfg(test)]
mod half_even_tests {
    use super::{round_half_even, round_half_even_f64, round_half_even_i32};

    /// The integer form is the float form on every f32 in [−2^22, 2^22] of a stride, every
    /// quarter near 0 and the range's ends, and does not depend on the sign of a zero result.
    #[test]
    fn round_half_even_i32_is_round_half_even() {
        let lim = 4_194_304.0f32;
        let mut xs: Vec<f32> = (-4096..=4096).map(|i| i as f32 * 0.25).collect();
        xs.extend([
            lim,
            -lim,
            lim - 0.5,
            0.5 - lim,
            -0.0,
            1e-40,
            -1e-40,
            0.49999997,
        ]);
        xs.extend(
            (0..=u32::MAX)
                .step_by(4_099)
                .map(f32::from_bits)
                .filter(|v| v.abs() <= lim),
        );
        for x in xs {
            assert_eq!(round_half_even_i32(x), round_half_even(x) as i32, "{x:e}");
        }
    }

    /// Against the standard library's `round_ties_even`, bit for bit (−0 included), on every
    /// quarter in ±2^10, the boundaries of the magic-number range, specials and a stride of
    /// all f32 bit patterns.
    #[test]
    fn round_half_even_is_round_ties_even() {
        let mut xs: Vec<f32> = (-4096..=4096).map(|i| i as f32 * 0.25).collect();
        for e in [22, 23, 24, 30] {
            let p = (1u64 << e) as f32;
            for d in [-1.5f32, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5] {
                xs.extend([p + d, -(p + d)]);
            }
        }
        xs.extend([0.0, -0.0, 0.49999997, -0.49999997, 0.5, -0.5, 1e-40, -1e-40]);
        xs.extend([
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::MAX,
            f32::MIN,
            f32::NAN,
        ]);
        xs.extend((0..=u32::MAX).step_by(65_521).map(f32::from_bits));
        for x in xs {
            let (got, want) = (round_half_even(x), x.round_ties_even());
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "{x:e}: {got:e}, want {want:e}"
            );
            let (got, want) = (round_half_even_f64(x as f64), (x as f64).round_ties_even());
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "{x:e} (f64): {got:e}, want {want:e}"
            );
        }
        for x in [
            2_251_799_813_685_247.5f64,
            -4_503_599_627_370_495.5,
            0.5 + 1e-17,
        ] {
            assert_eq!(round_half_even_f64(x), x.round_ties_even(), "{x:e}");
        }
    }
}
