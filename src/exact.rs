//! The obvious call: free functions that round one `f32` or `f64` into any format, once.
//!
//! [`F16`](crate::F16) and [`BF16`](crate::BF16) are `half`'s own types, and `half`'s inherent
//! `f16::from_f64` / `bf16::from_f64` round through `f32` (two roundings, so
//! 1 + 2^-11 + 2^-40 becomes 0x3C00 instead of 0x3C01). An inherent method always wins over a
//! trait method of the same name, so `F16::from_f64(x)` calls `half`'s even with
//! [`Format`] in scope. [`round()`], [`round_with`], [`round_stochastic`] and [`try_round`] name
//! the target format in a turbofish and give lowp's single correct rounding for every format,
//! from `f32` and `f64` alike.

use crate::error::Error;
use crate::format::{Format, Overflow, Rounding};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A number that [`round()`] and its siblings accept: `f32` or `f64` (sealed).
///
/// Both are rounded from their exact value, once; an `f64` is never rounded through `f32`.
pub trait FloatInput: Copy + sealed::Sealed {
    #[doc(hidden)]
    fn round_to<F: Format>(self, rounding: Rounding, overflow: Overflow) -> F;
    #[doc(hidden)]
    fn round_stochastic_to<F: Format>(self, random: u32, overflow: Overflow) -> F;
    #[doc(hidden)]
    fn checked_to<F: Format>(self) -> Result<F, Error>;
}

impl FloatInput for f32 {
    #[inline]
    fn round_to<F: Format>(self, rounding: Rounding, overflow: Overflow) -> F {
        F::from_f32_with(self, rounding, overflow)
    }
    #[inline]
    fn round_stochastic_to<F: Format>(self, random: u32, overflow: Overflow) -> F {
        F::from_f32_stochastic(self, random, overflow)
    }
    fn checked_to<F: Format>(self) -> Result<F, Error> {
        // The check, then the very bits of `round` (f32's own identity keeps NaN payloads).
        crate::formats::common::checked(&F::SPEC, crate::round::unpack_f32(self), self as f64)?;
        Ok(F::from_f32(self))
    }
}

impl FloatInput for f64 {
    #[inline]
    fn round_to<F: Format>(self, rounding: Rounding, overflow: Overflow) -> F {
        F::from_f64_with(self, rounding, overflow)
    }
    #[inline]
    fn round_stochastic_to<F: Format>(self, random: u32, overflow: Overflow) -> F {
        F::from_f64_stochastic(self, random, overflow)
    }
    fn checked_to<F: Format>(self) -> Result<F, Error> {
        crate::formats::common::checked(&F::SPEC, crate::round::unpack_f64(self), self)?;
        Ok(F::from_f64(self))
    }
}

/// `x` (an `f32` or `f64`) rounded once to the format `F`: nearest, ties to even, with
/// [`Overflow::Ieee`] — the same bits as [`Format::from_f32`] / [`Format::from_f64`], for
/// `F16` and `BF16` too (whose inherent `from_f64`, `half`'s, rounds through `f32`).
///
/// Overflow gives ±∞, NaN where the format has no ∞, ±max in FP6/FP4; NaN gives the format's
/// quiet NaN (+0 in FP6/FP4); subnormal results are kept (see the crate docs).
///
/// ```
/// use lowp::{F16, BF16, F8E4M3FN};
/// let x = 1.0 + 2f64.powi(-11) + 2f64.powi(-40); // just above the f16 midpoint 1 + 2^-11
/// assert_eq!(lowp::round::<F16>(x).to_bits(), 0x3C01); // rounded once: up
/// assert_eq!(F16::from_f64(x).to_bits(), 0x3C00);      // half's method: via f32, a tie, even
/// let y = 1.0 + 2f64.powi(-8) + 2f64.powi(-40);
/// assert_eq!(lowp::round::<BF16>(y).to_bits(), 0x3F81);
/// assert_eq!(lowp::round::<F8E4M3FN>(0.1f32).to_bits(), 0x1d);
/// ```
#[inline]
pub fn round<F: Format>(x: impl FloatInput) -> F {
    x.round_to(Rounding::NearestEven, Overflow::Ieee)
}

/// `x` (an `f32` or `f64`) rounded once to `F` in the given mode, with the given overflow
/// policy — the bits of [`Format::from_f32_with`] / [`Format::from_f64_with`].
///
/// ```
/// use lowp::{Overflow, Rounding, F16, F8E4M3FN};
/// let t = lowp::round_with::<F8E4M3FN>(1e6f32, Rounding::NearestEven, Overflow::Saturate);
/// assert_eq!(t, F8E4M3FN::MAX);
/// let x = 1.0 + 2f64.powi(-40);
/// assert_eq!(lowp::round_with::<F16>(x, Rounding::TowardPositive, Overflow::Ieee).to_bits(), 0x3C01);
/// ```
#[inline]
pub fn round_with<F: Format>(x: impl FloatInput, rounding: Rounding, overflow: Overflow) -> F {
    x.round_to(rounding, overflow)
}

/// `x` rounded to `F` stochastically with the 32-bit random word `random` (the rule of
/// [`Format::from_f32_stochastic`]: the magnitude rounds up iff ⌊f·2^32⌋ + random ≥ 2^32, f
/// the dropped fraction of an ulp, from the exact `f32` or `f64`).
///
/// ```
/// use lowp::{Overflow, F8E4M3FN};
/// let x = 1.0f64 + 1.0 / 32.0; // a quarter of the way from 1 to 1.125: f·2^32 = 2^30
/// assert_eq!(lowp::round_stochastic::<F8E4M3FN>(x, 3 << 30, Overflow::Ieee).to_bits(), 0x39);
/// assert_eq!(lowp::round_stochastic::<F8E4M3FN>(x, (3 << 30) - 1, Overflow::Ieee).to_bits(), 0x38);
/// ```
#[inline]
pub fn round_stochastic<F: Format>(x: impl FloatInput, random: u32, overflow: Overflow) -> F {
    x.round_stochastic_to(random, overflow)
}

/// `x` rounded to `F` (nearest even: the bits of [`round()`]), or an `Err` where [`round()`]
/// would turn a number into
/// something else: an overflow to ∞, NaN or max ([`Error::Overflow`]), a NaN or ∞ that the
/// format cannot hold ([`Error::NanNotRepresentable`], [`Error::InfinityNotRepresentable`]), or
/// a value with no encoding at all (0 or a negative number in `F8E8M0FNU`:
/// [`Error::NotRepresentable`]). The checked conversion of every format, `F16` and `BF16`
/// included; the small formats' inherent `try_from_f32`/`try_from_f64` agree with it.
///
/// ```
/// use lowp::{Error, F16, F4E2M1FN, F8E4M3FN};
/// assert_eq!(lowp::try_round::<F8E4M3FN>(464.0f32)?.to_bits(), 0x7e); // a tie, to 448
/// assert!(matches!(lowp::try_round::<F8E4M3FN>(465.0f32), Err(Error::Overflow { .. })));
/// assert!(matches!(lowp::try_round::<F16>(1e6f64), Err(Error::Overflow { .. })));
/// assert_eq!(lowp::try_round::<F16>(f64::INFINITY)?, F16::INFINITY); // ∞ is exact in f16
/// assert!(lowp::try_round::<F4E2M1FN>(f32::NAN).is_err());
/// # Ok::<(), lowp::Error>(())
/// ```
#[inline]
pub fn try_round<F: Format>(x: impl FloatInput) -> Result<F, Error> {
    x.checked_to()
}
