//! The [`Format`] trait, and (re-exported from the spec module) the rounding and overflow
//! modes and [`Spec`]: a format described as data (one row of the table in
//! [`crate::formats`]).

use core::num::FpCategory;

pub use crate::spec::{
    Fields, NanEncoding, Overflow, Rounding, Saturation, Spec, StochasticVariant,
};

/// A number format that lowp can convert to and from exactly.
///
/// Every method follows `CONTRACT.md` §2–3: decoding is exact; encoding rounds the exact input
/// once (an `f64` is never rounded through `f32`), produces and honours subnormals, and handles
/// overflow by the [`Overflow`] policy.
pub trait Format: Copy + Send + Sync + 'static {
    /// The reference name, e.g. `"float8_e4m3fn"`.
    const NAME: &'static str;
    /// The format's row of the formats table.
    const SPEC: Spec;

    /// The encoding in the low bits of a `u32` (for TF32, the f32 bit pattern).
    fn to_bits_u32(self) -> u32;
    /// A value from its encoding in the low bits of a `u32`; bits beyond the storage are dropped.
    fn from_bits_u32(bits: u32) -> Self;

    /// The exact value as an `f32`.
    fn to_f32(self) -> f32;
    /// The exact value as an `f64`.
    #[inline]
    fn to_f64(self) -> f64 {
        crate::fenv::widen(self.to_f32())
    }
    /// Round to nearest, ties to even, with [`Overflow::Ieee`].
    #[inline]
    fn from_f32(x: f32) -> Self {
        Self::from_f32_with(x, Rounding::NearestEven, Overflow::Ieee)
    }
    /// Correctly rounded from the `f64` itself (nearest even, [`Overflow::Ieee`]).
    #[inline]
    fn from_f64(x: f64) -> Self {
        Self::from_f64_with(x, Rounding::NearestEven, Overflow::Ieee)
    }
    /// Round `x` once in the given mode, with the given overflow policy.
    #[inline]
    fn from_f32_with(x: f32, rounding: Rounding, overflow: Overflow) -> Self {
        Self::from_bits_u32(crate::round::encode_f32(&Self::SPEC, x, rounding, overflow))
    }
    /// Round `x` once (from the exact `f64`, never via `f32`) in the given mode.
    #[inline]
    fn from_f64_with(x: f64, rounding: Rounding, overflow: Overflow) -> Self {
        Self::from_bits_u32(crate::round::encode_f64(&Self::SPEC, x, rounding, overflow))
    }
    /// Stochastic rounding with the 32-bit random word `random` (see `CONTRACT.md` §3): the
    /// magnitude rounds up iff ⌊f·2^32⌋ + random ≥ 2^32, where f is the dropped fraction of an
    /// ulp. Overflow follows `overflow` as for nearest-even.
    #[inline]
    fn from_f32_stochastic(x: f32, random: u32, overflow: Overflow) -> Self {
        Self::from_bits_u32(crate::round::encode_f32_stochastic(
            &Self::SPEC,
            x,
            random,
            overflow,
        ))
    }
    /// Stochastic rounding of the exact `f64`, as [`Format::from_f32_stochastic`].
    #[inline]
    fn from_f64_stochastic(x: f64, random: u32, overflow: Overflow) -> Self {
        Self::from_bits_u32(crate::round::encode_f64_stochastic(
            &Self::SPEC,
            x,
            random,
            overflow,
        ))
    }

    /// A bit-field view of the encoding (sign, exponent, mantissa, class).
    fn fields(self) -> Fields {
        Fields::of(&Self::SPEC, self.to_bits_u32())
    }
    /// The IEEE class of the value.
    fn classify_value(self) -> FpCategory {
        Self::SPEC.classify_code(self.encoding())
    }
    /// The encoding with the storage shift removed (sign, exponent and mantissa in the low bits).
    fn encoding(self) -> u32 {
        self.to_bits_u32() >> Self::SPEC.storage_shift
    }
}
