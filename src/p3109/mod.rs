#![doc = include_str!("README.md")]

use core::cmp::Ordering;
use core::fmt;
use core::num::FpCategory;

use crate::error::Error;
use crate::format::{Fields, Format, Spec};
use crate::round::{self, P3109Rounding, Source, Unpacked};

pub use crate::format::{Rounding, Saturation, StochasticVariant};

mod names;
pub mod ops;

pub use ops::{
    add, block_dot, class, compare, fma, fused_add_add, maximum, maximum_number, minimum,
    minimum_number, multiply, scaled_add, scaled_dot, scaled_fma, scaled_multiply, subtract,
    total_order, Class, Projection,
};

/// A member of the P3109 family: the format's parameters as constants, on top of [`Format`]
/// (whose [`Format::SPEC`] is the row [`Spec::p3109`] builds from them).
///
/// [`Format`]'s conversions read [`crate::Overflow::Ieee`] as [`Saturation::SatNone`] and
/// [`crate::Overflow::Saturate`] as [`Saturation::SatFinite`]; [`convert_f64`] and
/// [`convert_f32`] take any of the three saturation modes.
pub trait P3109Format: Format + PartialEq + PartialOrd + fmt::Debug {
    /// Bit width K.
    const K: u32;
    /// Precision P (significand bits, the implicit one included).
    const P: u32;
    /// Whether the format is signed.
    const SIGNED: bool;
    /// Whether the format is extended (has ±∞) rather than finite.
    const EXTENDED: bool;
}

/// A stochastic rounding: the [`StochasticVariant`] and its N random bits R.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stochastic {
    variant: StochasticVariant,
    bits: u32,
    random: u32,
}

impl Stochastic {
    /// Variant `variant` with `bits` = N random bits `random` = R.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] unless 1 ≤ N ≤ 32 and R < 2^N.
    pub fn new(variant: StochasticVariant, bits: u32, random: u32) -> Result<Self, Error> {
        if !(1..=32).contains(&bits) {
            return Err(Error::InvalidInput(
                "P3109 stochastic rounding: the number of random bits must be in 1..=32",
            ));
        }
        if bits < 32 && random >> bits != 0 {
            return Err(Error::InvalidInput(
                "P3109 stochastic rounding: the random number must be below 2^bits",
            ));
        }
        Ok(Stochastic {
            variant,
            bits,
            random,
        })
    }
    /// lowp's own rule ([`Format::from_f32_stochastic`]): variant A with 32 random bits.
    pub const fn lowp(random: u32) -> Self {
        Stochastic {
            variant: StochasticVariant::A,
            bits: 32,
            random,
        }
    }
    /// The variant.
    pub const fn variant(self) -> StochasticVariant {
        self.variant
    }
    /// N.
    pub const fn bits(self) -> u32 {
        self.bits
    }
    /// R.
    pub const fn random(self) -> u32 {
        self.random
    }
    pub(crate) const fn core(self) -> P3109Rounding {
        P3109Rounding::Stochastic {
            variant: self.variant,
            bits: self.bits,
            random: self.random,
        }
    }
}

/// `x` projected into `F` (P3109 ωProject: rounded once from the exact `f64` in `rounding`,
/// then saturated by `saturation`). NaN gives NaN, ±0 gives 0 (there is no −0), ±∞ follows
/// `saturation` (report §4.7.5). Negative inputs to an unsigned format give 0 where they
/// round to zero, and otherwise 0 (`SatFinite`, `SatPropagate`, or `SatNone` rounding toward
/// zero or +∞) or NaN (`SatNone` in the other modes).
///
/// ```
/// use lowp::p3109::{convert_f64, Binary8p3se, Binary8p4sf, Binary8p3ue, Rounding, Saturation};
/// use lowp::Format;
/// let x: Binary8p3se = convert_f64(1e9, Rounding::NearestEven, Saturation::SatNone);
/// assert_eq!(x.to_bits_u32(), 0x7F); // +∞
/// let y: Binary8p4sf = convert_f64(1e9, Rounding::NearestEven, Saturation::SatNone);
/// assert_eq!(y.to_bits_u32(), 0x7F); // max finite, 224: the finite domain has no ∞
/// let z: Binary8p3ue = convert_f64(-1.0, Rounding::NearestEven, Saturation::SatNone);
/// assert_eq!(z.to_bits_u32(), 0xFF); // NaN
/// let w: Binary8p3ue = convert_f64(-1.0, Rounding::NearestEven, Saturation::SatFinite);
/// assert_eq!(w.to_bits_u32(), 0x00); // 0
/// ```
pub fn convert_f64<F: P3109Format>(x: f64, rounding: Rounding, saturation: Saturation) -> F {
    project(
        round::unpack_f64(x),
        P3109Rounding::Mode(rounding),
        saturation,
    )
}

/// `x` projected into `F`, as [`convert_f64`].
pub fn convert_f32<F: P3109Format>(x: f32, rounding: Rounding, saturation: Saturation) -> F {
    project(
        round::unpack_f32(x),
        P3109Rounding::Mode(rounding),
        saturation,
    )
}

/// Encode `src` into `dst` through the batch kernels (run-time SIMD dispatch, as
/// [`crate::encode_with`]): element `i` is [`convert_f32`]`(src[i], rounding, saturation)`.
///
/// `SatNone` and `SatFinite` are the kernels' [`crate::Overflow::Ieee`] and
/// [`crate::Overflow::Saturate`]. `SatPropagate` differs from `SatFinite` only on ±∞ inputs
/// of an extended member (they stay ±∞; a finite value beyond the range still saturates, and
/// in a finite member ±∞ saturates too, report §4.7.5): the `SatFinite` kernel, then those
/// lanes set to the ∞ codes in one more pass over the slices, on the same level.
///
/// ```
/// use lowp::p3109::{encode_with, Binary8p4se, Rounding, Saturation};
/// let src = [1e9f32, f32::INFINITY, -f32::INFINITY, 1.0];
/// let mut q = [Binary8p4se::ZERO; 4];
/// encode_with(&src, &mut q, Rounding::NearestEven, Saturation::SatPropagate);
/// assert_eq!(q.map(|v| v.to_bits()), [0x7E, 0x7F, 0xFF, 0x40]); // 224, +∞, −∞, 1
/// encode_with(&src, &mut q, Rounding::NearestEven, Saturation::SatFinite);
/// assert_eq!(q.map(|v| v.to_bits()), [0x7E, 0x7E, 0xFE, 0x40]);
/// ```
///
/// # Panics
/// If `src.len() != dst.len()`.
#[track_caller]
pub fn encode_with<F: P3109Format>(
    src: &[f32],
    dst: &mut [F],
    rounding: Rounding,
    saturation: Saturation,
) {
    let overflow = match saturation {
        Saturation::SatNone => crate::Overflow::Ieee,
        Saturation::SatFinite | Saturation::SatPropagate => crate::Overflow::Saturate,
    };
    crate::encode_with(src, dst, rounding, overflow);
    if saturation == Saturation::SatPropagate && F::EXTENDED {
        let spec = F::SPEC;
        let pos = F::from_bits_u32(round::p3109_infinity_code(&spec, false, saturation));
        let neg = F::from_bits_u32(round::p3109_infinity_code(&spec, true, saturation));
        // ±∞ back from the SatFinite codes: a scan on the active level's ISA (the level of the
        // conversion), then the rare groups with an ∞.
        crate::kernels::set_infinities(crate::kernels::active_level(), src, dst, pos, neg);
    }
}

/// `x` projected into `F` with stochastic rounding (saturating as the nearest modes do).
///
/// ```
/// use lowp::p3109::{convert_f64_stochastic, Binary8p4se, Saturation, Stochastic, StochasticVariant};
/// use lowp::Format;
/// // 1 + 1/32 lies a quarter of the way from 1 (0x40) to 1.125 (0x41).
/// let sr = |r| Stochastic::new(StochasticVariant::A, 2, r).unwrap();
/// let up = |r| convert_f64_stochastic::<Binary8p4se>(1.03125, sr(r), Saturation::SatFinite);
/// assert_eq!([0, 1, 2, 3].map(|r| up(r).to_bits_u32()), [0x40, 0x40, 0x40, 0x41]);
/// ```
pub fn convert_f64_stochastic<F: P3109Format>(
    x: f64,
    stochastic: Stochastic,
    saturation: Saturation,
) -> F {
    project(round::unpack_f64(x), stochastic.core(), saturation)
}

/// `x` projected into `F` with stochastic rounding, as [`convert_f64_stochastic`].
pub fn convert_f32_stochastic<F: P3109Format>(
    x: f32,
    stochastic: Stochastic,
    saturation: Saturation,
) -> F {
    project(round::unpack_f32(x), stochastic.core(), saturation)
}

fn project<F: P3109Format>(src: Source, rounding: P3109Rounding, saturation: Saturation) -> F {
    F::from_bits_u32(round::encode_source_p3109(
        &F::SPEC,
        src,
        rounding,
        saturation,
    ))
}

/// A decoded value: NaN, ±∞, or sign · sig · 2^exp exactly (zero: `sig` 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    Nan,
    Infinite(bool),
    Finite { sign: bool, sig: u64, exp: i32 },
}

/// ωDecode (report §4.7.2) of a code of `spec`.
pub(crate) const fn decode(spec: &Spec, code: u32) -> Value {
    let code = code & spec.code_mask();
    if spec.is_nan_code(code) {
        return Value::Nan;
    }
    let sign = spec.is_negative_code(code);
    if spec.is_infinite_code(code) {
        return Value::Infinite(sign);
    }
    let mag = code & spec.magnitude_mask();
    let m = spec.mantissa_bits;
    let field = mag >> m;
    let t = (mag & spec.mantissa_mask()) as u64;
    let (sig, exp) = if field == 0 {
        (t, spec.min_exponent() - m as i32)
    } else {
        (t | 1 << m, field as i32 - spec.bias - m as i32)
    };
    Value::Finite { sign, sig, exp }
}

/// The source that the rounding core takes for sign · sig · 2^exp (sig < 2^64, or zero).
pub(crate) fn source_of(sign: bool, sig: u64, exp: i32, sticky: bool) -> Source {
    if sig == 0 {
        return Source::Zero { sign };
    }
    let lz = sig.leading_zeros();
    Source::Finite(Unpacked {
        sign,
        exp: exp + 63 - lz as i32,
        sig: sig << lz,
        sticky,
    })
}

/// The exact value sign · sig · 2^exp as an `f64`, rounded to nearest even where it is not
/// one (beyond f64's range: the wide P3109 members with small precision).
fn to_f64_rounded(sign: bool, sig: u64, exp: i32) -> f64 {
    if sig == 0 {
        return if sign { -0.0 } else { 0.0 };
    }
    let lead = exp + 63 - sig.leading_zeros() as i32;
    let mag = if lead > 1023 {
        f64::INFINITY
    } else if exp >= -1074 {
        // Exact: sig < 2^17 and its lowest bit is on f64's grid.
        sig as f64 * pow2(exp.max(-1022)) * pow2((exp + 1022).min(0))
    } else {
        // Below f64's subnormal spacing: nearest even at 2^-1074.
        let shift = (-1074 - exp) as u32;
        let (q, rest) = if shift >= 64 {
            (0, sig != 0)
        } else {
            (sig >> shift, false)
        };
        let q = if shift >= 64 {
            // sig < 2^17 ≤ half of 2^shift: rounds to 0.
            let _ = rest;
            0
        } else {
            let half = 1u64 << (shift - 1);
            let r = sig & ((1u64 << shift) - 1);
            q + (r > half || (r == half && q & 1 == 1)) as u64
        };
        q as f64 * pow2(-1074)
    };
    if sign {
        -mag
    } else {
        mag
    }
}

/// 2^e for −1074 ≤ e ≤ 1023.
fn pow2(e: i32) -> f64 {
    if e >= -1022 {
        f64::from_bits(((e + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (e + 1074))
    }
}

/// Declare the P3109 family type `$name` stored in `$storage` for K in `$lo..=$hi`.
macro_rules! family {
    ($(#[$doc:meta])* $name:ident, $storage:ty, $lo:literal, $hi:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Default)]
        #[repr(transparent)]
        #[cfg_attr(feature = "bytemuck", derive(bytemuck::Pod, bytemuck::Zeroable))]
        pub struct $name<const K: u32, const P: u32, const SIGNED: bool, const EXTENDED: bool>(
            $storage,
        );

        impl<const K: u32, const P: u32, const SIGNED: bool, const EXTENDED: bool>
            $name<K, P, SIGNED, EXTENDED>
        {
            /// The format's row (a compile-time error for parameters outside the family or
            /// this type's widths).
            pub const SPEC: Spec = {
                assert!(K >= $lo && K <= $hi, "this P3109 type holds other widths");
                Spec::p3109(names::name(K, P, SIGNED, EXTENDED), K, P, SIGNED, EXTENDED)
            };
            /// Zero (the only one: there is no −0).
            pub const ZERO: Self = Self(0);
            /// NaN (`0x80` signed, all ones unsigned, for K = 8).
            pub const NAN: Self = Self(match Self::SPEC.quiet_nan_code() {
                Some(n) => n as $storage,
                None => 0,
            });
            /// The largest finite value, MaxFiniteOf.
            pub const MAX: Self = Self(Self::SPEC.max_code() as $storage);
            /// The smallest finite value, MinFiniteOf: −MAX, or 0 for unsigned formats.
            pub const MIN: Self = Self(if SIGNED {
                (Self::SPEC.max_code() | Self::SPEC.sign_mask()) as $storage
            } else {
                0
            });
            /// The smallest positive value, MinPositiveOf (code 1).
            pub const MIN_POSITIVE_SUBNORMAL: Self = Self(1);
            /// The smallest positive normal value, MinNormalOf.
            pub const MIN_POSITIVE: Self = Self(round::pow2_bits(
                &Self::SPEC,
                Self::SPEC.min_exponent(),
            ) as $storage);
            /// One.
            pub const ONE: Self = Self(round::pow2_bits(&Self::SPEC, 0) as $storage);

            /// The value whose code is `bits`; bits above K are cleared.
            #[inline]
            pub const fn from_bits(bits: $storage) -> Self {
                Self(bits & Self::SPEC.code_mask() as $storage)
            }
            /// The code.
            #[inline]
            pub const fn to_bits(self) -> $storage {
                self.0
            }
            /// `x` rounded to nearest even, `SatNone`.
            #[inline]
            pub fn from_f32(x: f32) -> Self {
                <Self as Format>::from_f32(x)
            }
            /// `x` rounded once (from the `f64` itself) to nearest even, `SatNone`.
            #[inline]
            pub fn from_f64(x: f64) -> Self {
                <Self as Format>::from_f64(x)
            }
            /// The value as an `f32`: exact for K ≤ 8; for wider members rounded to nearest
            /// even where the value lies beyond f32's range or precision.
            #[inline]
            pub fn to_f32(self) -> f32 {
                <Self as Format>::to_f32(self)
            }
            /// The value as an `f64`: exact unless a wide, low-precision member's value lies
            /// beyond f64's range (then rounded to nearest even, overflowing to ±∞).
            #[inline]
            pub fn to_f64(self) -> f64 {
                <Self as Format>::to_f64(self)
            }
            /// Whether the value is NaN.
            #[inline]
            pub const fn is_nan(self) -> bool {
                Self::SPEC.is_nan_code(self.0 as u32)
            }
            /// Whether the value is ±∞.
            #[inline]
            pub const fn is_infinite(self) -> bool {
                Self::SPEC.is_infinite_code(self.0 as u32)
            }
            /// Whether the value is neither NaN nor ±∞.
            #[inline]
            pub const fn is_finite(self) -> bool {
                !self.is_nan() && !self.is_infinite()
            }
            /// IsSignMinus: whether the value is below zero (false for NaN).
            #[inline]
            pub const fn is_sign_minus(self) -> bool {
                !self.is_nan() && Self::SPEC.is_negative_code(self.0 as u32)
            }
            /// The IEEE class (NaN, infinite, zero, subnormal, normal).
            #[inline]
            pub const fn classify(self) -> FpCategory {
                Self::SPEC.classify_code(self.0 as u32)
            }
            /// P3109's eight-way class (report §4.13.1).
            #[inline]
            pub fn class(self) -> Class {
                ops::class(self)
            }
            /// The bit fields of the code; `Display` renders them like `0 1000 110`.
            #[inline]
            pub const fn fields(self) -> Fields {
                Fields::of(&Self::SPEC, self.0 as u32)
            }
        }

        impl<const K: u32, const P: u32, const SIGNED: bool, const EXTENDED: bool> Format
            for $name<K, P, SIGNED, EXTENDED>
        {
            const NAME: &'static str = Self::SPEC.name;
            const SPEC: Spec = Self::SPEC;
            #[inline]
            fn to_bits_u32(self) -> u32 {
                self.0 as u32
            }
            #[inline]
            fn from_bits_u32(bits: u32) -> Self {
                Self::from_bits(bits as $storage)
            }
            #[inline]
            fn to_f32(self) -> f32 {
                if K <= 8 {
                    f32::from_bits(round::decode_to_f32_bits(&Self::SPEC, self.0 as u32))
                } else {
                    match decode(&Self::SPEC, self.0 as u32) {
                        Value::Nan => f32::NAN,
                        Value::Infinite(s) => if s { f32::NEG_INFINITY } else { f32::INFINITY },
                        Value::Finite { sign, sig, exp } => f32::from_bits(round::encode_source(
                            &crate::formats::table::F32,
                            source_of(sign, sig, exp, false),
                            Rounding::NearestEven,
                            crate::Overflow::Ieee,
                        )),
                    }
                }
            }
            #[inline]
            fn to_f64(self) -> f64 {
                match decode(&Self::SPEC, self.0 as u32) {
                    Value::Nan => f64::NAN,
                    Value::Infinite(s) => if s { f64::NEG_INFINITY } else { f64::INFINITY },
                    Value::Finite { sign, sig, exp } => to_f64_rounded(sign, sig, exp),
                }
            }
        }

        impl<const K: u32, const P: u32, const SIGNED: bool, const EXTENDED: bool> P3109Format
            for $name<K, P, SIGNED, EXTENDED>
        {
            const K: u32 = K;
            const P: u32 = P;
            const SIGNED: bool = SIGNED;
            const EXTENDED: bool = EXTENDED;
        }

        impl<const K: u32, const P: u32, const SIGNED: bool, const EXTENDED: bool> fmt::Debug
            for $name<K, P, SIGNED, EXTENDED>
        {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(Self::SPEC.name)
                    .field("value", &self.to_f64())
                    .field("bits", &format_args!("{:#0w$x}", self.0, w = 2 + (K as usize).div_ceil(4)))
                    .finish()
            }
        }
        impl<const K: u32, const P: u32, const SIGNED: bool, const EXTENDED: bool> fmt::Display
            for $name<K, P, SIGNED, EXTENDED>
        {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.to_f64(), f)
            }
        }
        /// P3109 CompareEqual: NaN equals nothing, not even itself.
        impl<const K: u32, const P: u32, const SIGNED: bool, const EXTENDED: bool> PartialEq
            for $name<K, P, SIGNED, EXTENDED>
        {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                ops::compare(*self, *other) == Some(Ordering::Equal)
            }
        }
        /// P3109's comparisons: NaN is unordered.
        impl<const K: u32, const P: u32, const SIGNED: bool, const EXTENDED: bool> PartialOrd
            for $name<K, P, SIGNED, EXTENDED>
        {
            #[inline]
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                ops::compare(*self, *other)
            }
        }
        /// P3109 Negate (exact in signed formats: NaN stays NaN, 0 stays 0).
        impl<const K: u32, const P: u32, const EXTENDED: bool> core::ops::Neg
            for $name<K, P, true, EXTENDED>
        {
            type Output = Self;
            #[inline]
            fn neg(self) -> Self {
                Self::from_bits(round::negate_bits(&Self::SPEC, self.0 as u32) as $storage)
            }
        }
        /// P3109 Add, rounded to nearest even with `SatNone` ([`ops::add`] takes any projection).
        impl<const K: u32, const P: u32, const SIGNED: bool, const EXTENDED: bool> core::ops::Add
            for $name<K, P, SIGNED, EXTENDED>
        {
            type Output = Self;
            #[inline]
            fn add(self, rhs: Self) -> Self {
                ops::add(self, rhs, Projection::default())
            }
        }
        /// P3109 Subtract, rounded to nearest even with `SatNone`.
        impl<const K: u32, const P: u32, const SIGNED: bool, const EXTENDED: bool> core::ops::Sub
            for $name<K, P, SIGNED, EXTENDED>
        {
            type Output = Self;
            #[inline]
            fn sub(self, rhs: Self) -> Self {
                ops::subtract(self, rhs, Projection::default())
            }
        }
        /// P3109 Multiply, rounded to nearest even with `SatNone`.
        impl<const K: u32, const P: u32, const SIGNED: bool, const EXTENDED: bool> core::ops::Mul
            for $name<K, P, SIGNED, EXTENDED>
        {
            type Output = Self;
            #[inline]
            fn mul(self, rhs: Self) -> Self {
                ops::multiply(self, rhs, Projection::default())
            }
        }
    };
}

family!(
    /// A P3109 format of K = 3..=8 bits, stored in one byte: Binary{K}p{P}{s|u}{e|f} is
    /// `P3109<K, P, SIGNED, EXTENDED>` (the aliases below name every member).
    ///
    /// Parameters outside the family (K not in 3..=8, P not in 1..K signed or 1..=K
    /// unsigned) are a compile-time error where the type is used.
    P3109,
    u8,
    3,
    8
);
family!(
    /// A P3109 format of K = 9..=16 bits, stored in a `u16` (the low K bits), as [`P3109`].
    P3109Wide,
    u16,
    9,
    16
);

pub use names::*;
