//! `num-traits` implementations, generated for every format type.
//!
//! Every function computes in `f32` (which holds every value of every format exactly) and rounds
//! the result once to nearest even. Integer sources are rounded once from the exact integer
//! (`from_i64(2^60 + 1)` does not pass through `f64`). For formats without ∞, `Float::infinity()`
//! is what an f32 ∞ rounds to ([`crate::Overflow::Ieee`]): NaN for the `fn`/`fnuz` formats, ±max
//! for FP6/FP4, and `Float::nan()` of FP6/FP4 (which have no NaN) is +0. `Num::from_str_radix`
//! in radix 10 is `FromStr` (the decimal's exact value rounded once); other radixes parse to
//! `f64` first, then round once.
//!
//! `num_traits::Float` is there with and without `std`: its functions are `f32`'s through
//! `num_traits::Float`, which calls the standard library with `std` and the `libm` crate
//! without it.

use crate::format::{Overflow, Rounding, Spec};
use crate::round::{self, Source, Unpacked};

/// The exact integer ±`mag` as a rounding source.
pub(crate) fn integer_source(sign: bool, mag: u64) -> Source {
    if mag == 0 {
        return Source::Zero { sign: false };
    }
    let lz = mag.leading_zeros();
    Source::Finite(Unpacked {
        sign,
        exp: 63 - lz as i32,
        sig: mag << lz,
        sticky: false,
    })
}

/// Round the exact integer `n` (nearest even, IEEE overflow).
pub(crate) fn from_i64_bits(spec: &Spec, n: i64) -> u32 {
    round::encode_source(
        spec,
        integer_source(n < 0, n.unsigned_abs()),
        Rounding::NearestEven,
        Overflow::Ieee,
    )
}

/// Round the exact integer `n` (nearest even, IEEE overflow).
pub(crate) fn from_u64_bits(spec: &Spec, n: u64) -> u32 {
    round::encode_source(
        spec,
        integer_source(false, n),
        Rounding::NearestEven,
        Overflow::Ieee,
    )
}

macro_rules! base_num {
    ($name:ident) => {
        impl num_traits::One for $name {
            #[inline]
            fn one() -> Self {
                Self::ONE
            }
        }
        impl num_traits::Bounded for $name {
            #[inline]
            fn min_value() -> Self {
                Self::MIN
            }
            #[inline]
            fn max_value() -> Self {
                Self::MAX
            }
        }
        impl num_traits::ToPrimitive for $name {
            #[inline]
            fn to_i64(&self) -> Option<i64> {
                num_traits::ToPrimitive::to_i64(&$name::to_f32(*self))
            }
            #[inline]
            fn to_u64(&self) -> Option<u64> {
                num_traits::ToPrimitive::to_u64(&$name::to_f32(*self))
            }
            #[inline]
            fn to_i128(&self) -> Option<i128> {
                num_traits::ToPrimitive::to_i128(&$name::to_f32(*self))
            }
            #[inline]
            fn to_u128(&self) -> Option<u128> {
                num_traits::ToPrimitive::to_u128(&$name::to_f32(*self))
            }
            #[inline]
            fn to_f32(&self) -> Option<f32> {
                Some($name::to_f32(*self))
            }
            #[inline]
            fn to_f64(&self) -> Option<f64> {
                Some($name::to_f64(*self))
            }
        }
        impl num_traits::FromPrimitive for $name {
            #[inline]
            fn from_i64(n: i64) -> Option<Self> {
                Some(<$name as $crate::Format>::from_bits_u32(
                    $crate::formats::num::from_i64_bits(&<$name as $crate::Format>::SPEC, n),
                ))
            }
            #[inline]
            fn from_u64(n: u64) -> Option<Self> {
                Some(<$name as $crate::Format>::from_bits_u32(
                    $crate::formats::num::from_u64_bits(&<$name as $crate::Format>::SPEC, n),
                ))
            }
            #[inline]
            fn from_f32(x: f32) -> Option<Self> {
                Some($name::from_f32(x))
            }
            #[inline]
            fn from_f64(x: f64) -> Option<Self> {
                Some($name::from_f64(x))
            }
        }
        impl num_traits::NumCast for $name {
            /// Integers (and integral floats within `i64`/`u64`) are rounded once from the
            /// exact integer; other values through their `f64` value.
            fn from<T: num_traits::ToPrimitive>(n: T) -> Option<Self> {
                use num_traits::FromPrimitive;
                let f = n.to_f64()?;
                if f.is_finite() && f == (f as i128) as f64 {
                    if let Some(i) = n.to_i64() {
                        return Self::from_i64(i);
                    }
                    if let Some(u) = n.to_u64() {
                        return Self::from_u64(u);
                    }
                }
                <Self as FromPrimitive>::from_f64(f)
            }
        }
    };
}
pub(crate) use base_num;

macro_rules! signed_num {
    ($name:ident) => {
        impl num_traits::Zero for $name {
            #[inline]
            fn zero() -> Self {
                Self::ZERO
            }
            #[inline]
            fn is_zero(&self) -> bool {
                self.to_f32() == 0.0
            }
        }
        impl num_traits::Num for $name {
            type FromStrRadixErr = num_traits::ParseFloatError;
            /// Radix 10 is [`FromStr`](core::str::FromStr) (the decimal's exact value rounded
            /// once); other radixes parse to `f64` first, then round once.
            fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
                if radix == 10 {
                    if let Ok(x) = s.parse::<$name>() {
                        return Ok(x);
                    }
                }
                <f64 as num_traits::Num>::from_str_radix(s, radix).map($name::from_f64)
            }
        }
        $crate::formats::num::float_impl!($name);
    };
}
pub(crate) use signed_num;

macro_rules! float_impl {
    ($name:ident) => {
        impl num_traits::Float for $name {
            fn nan() -> Self {
                $name::from_f32(f32::NAN)
            }
            fn infinity() -> Self {
                $name::from_f32(f32::INFINITY)
            }
            fn neg_infinity() -> Self {
                $name::from_f32(f32::NEG_INFINITY)
            }
            fn neg_zero() -> Self {
                $name::from_f32(-0.0)
            }
            fn min_value() -> Self {
                Self::MIN
            }
            fn min_positive_value() -> Self {
                Self::MIN_POSITIVE
            }
            fn epsilon() -> Self {
                Self::EPSILON
            }
            fn max_value() -> Self {
                Self::MAX
            }
            fn is_nan(self) -> bool {
                $name::is_nan(self)
            }
            fn is_infinite(self) -> bool {
                $name::is_infinite(self)
            }
            fn is_finite(self) -> bool {
                $name::is_finite(self)
            }
            fn is_normal(self) -> bool {
                $name::is_normal(self)
            }
            fn is_subnormal(self) -> bool {
                $name::is_subnormal(self)
            }
            fn classify(self) -> core::num::FpCategory {
                $name::classify(self)
            }
            fn is_sign_positive(self) -> bool {
                $name::is_sign_positive(self)
            }
            fn is_sign_negative(self) -> bool {
                $name::is_sign_negative(self)
            }
            fn abs(self) -> Self {
                $name::abs(self)
            }
            fn integer_decode(self) -> (u64, i16, i8) {
                num_traits::Float::integer_decode(self.to_f32())
            }
            $crate::formats::num::float_impl!(@unary $name: floor ceil round trunc fract signum
                recip sqrt exp exp2 ln log2 log10 cbrt sin cos tan asin acos atan exp_m1 ln_1p
                sinh cosh tanh asinh acosh atanh);
            $crate::formats::num::float_impl!(@binary $name: powf log max min abs_sub hypot atan2);
            fn mul_add(self, a: Self, b: Self) -> Self {
                // fused in f64, which holds the exact product of two f32s, then rounded once
                // from the f64 sum (itself exact for every format but f32 and TF32).
                $name::from_f64(self.to_f64() * a.to_f64() + b.to_f64())
            }
            fn powi(self, n: i32) -> Self {
                $name::from_f32(<f32 as num_traits::Float>::powi(self.to_f32(), n))
            }
            fn sin_cos(self) -> (Self, Self) {
                let (s, c) = <f32 as num_traits::Float>::sin_cos(self.to_f32());
                ($name::from_f32(s), $name::from_f32(c))
            }
        }
    };
    (@unary $name:ident: $($f:ident)*) => {
        $(
            fn $f(self) -> Self {
                $name::from_f32(<f32 as num_traits::Float>::$f(self.to_f32()))
            }
        )*
    };
    (@binary $name:ident: $($f:ident)*) => {
        $(
            #[allow(deprecated)]
            fn $f(self, other: Self) -> Self {
                $name::from_f32(<f32 as num_traits::Float>::$f(self.to_f32(), other.to_f32()))
            }
        )*
    };
}
pub(crate) use float_impl;
