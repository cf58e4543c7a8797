//! The standard traits that users of `half`, ml_dtypes and PyTorch expect on a number type:
//! `Default`, `FromStr`, `Sum`/`Product`, `total_cmp`, and (feature `serde`) `Serialize` /
//! `Deserialize`. One macro, `user_traits!`, adds them to every format type; the helpers it
//! calls are generic over the format's [`Spec`].
//!
//! The rules (also in `CONTRACT.md`, section "Standard traits, allocating helpers, per-channel
//! quantization"):
//! - `Default` is +0 where the format has a zero, and 1.0 for `float8_e8m0fnu`, which has none
//!   (the identity scale: its all-zero code is 2^-127, which would silently flush what it
//!   scales).
//! - `FromStr` gives the decimal string's exact value rounded once to nearest even (so not
//!   merely the string's `f64` rounded again: a decimal just off a tie is decided by its exact
//!   digits). It accepts what `f64::from_str` accepts, `inf`/`infinity`/`nan` included, and
//!   fails with `core::num::ParseFloatError` where that fails.
//! - `Sum` and `Product` accumulate in `f64` and round the result once (nearest even,
//!   `Overflow::Ieee`); the empty sum is −0 (as for Rust's `f32`), the empty product 1, and a
//!   NaN total the positive quiet NaN.
//! - `total_cmp` is IEEE 754 totalOrder on the encoding; a NaN in the −0 slot (`fnuz`: `0x80`)
//!   sorts after +∞/max, where a positive NaN sorts.
//! - `serde`: the encoding, as `half` does (a newtype struct holding the storage integer).

use core::cmp::Ordering;
use core::num::ParseFloatError;

use crate::format::{Overflow, Rounding, Spec};
use crate::round;

/// The encoding that `Default` gives: +0, or 1.0 where the format has no zero.
pub(crate) fn default_bits(spec: &Spec) -> u32 {
    if spec.classify_code(0) == core::num::FpCategory::Zero {
        0
    } else {
        round::pow2_bits(spec, 0)
    }
}

/// A key whose integer order is IEEE 754 totalOrder on the encodings of `spec`:
/// −NaN < −∞ < … < −0 < +0 < … < +∞ < +NaN. Unsigned formats order by code (their NaN code is
/// the largest); a NaN in the −0 slot (the `fnuz` formats' `0x80`) sorts last, like a positive
/// NaN.
pub(crate) fn total_key(spec: &Spec, bits: u32) -> i64 {
    let code = (bits >> spec.storage_shift) & spec.code_mask();
    let mag = code & spec.magnitude_mask();
    if spec.is_nan_code(code) && mag == 0 {
        return i64::MAX;
    }
    if spec.is_negative_code(code) {
        -(mag as i64) - 1
    } else {
        code as i64
    }
}

/// IEEE totalOrder of two encodings of `spec`.
pub(crate) fn total_cmp(spec: &Spec, a: u32, b: u32) -> Ordering {
    total_key(spec, a).cmp(&total_key(spec, b))
}

/// Round an accumulated `f64` once; a NaN becomes the positive quiet NaN first (the sign of
/// a NaN that the hardware creates, as for ∞ − ∞, differs between CPUs).
fn round_total(spec: &Spec, t: f64) -> u32 {
    let t = if t.is_nan() { f64::NAN } else { t };
    round::encode_f64(spec, t, Rounding::NearestEven, Overflow::Ieee)
}

/// `f64` addition of every value, the result rounded once (nearest even, IEEE overflow).
pub(crate) fn sum_bits(spec: &Spec, values: impl Iterator<Item = f64>) -> u32 {
    round_total(spec, values.fold(-0.0f64, |acc, v| acc + v))
}

/// `f64` product of every value, the result rounded once (nearest even, IEEE overflow).
pub(crate) fn product_bits(spec: &Spec, values: impl Iterator<Item = f64>) -> u32 {
    round_total(spec, values.fold(1.0f64, |acc, v| acc * v))
}

/// Parse a decimal string and round its exact value once to `spec` (nearest even, IEEE
/// overflow).
///
/// The string is parsed to the nearest `f64` r first (Rust's parser is correctly rounded).
/// Where r's neighbours on both sides round to the same code as r, so does the exact decimal d
/// (it lies within half an `f64` ulp of r). Otherwise r sits on a point that matters to
/// `spec` — a tie between two codes, or the overflow threshold — whose side d is on decides:
/// the exact digits of d are compared with the exact expansion of r, and d is replaced by r's
/// neighbour on d's side. That neighbour and d round alike, because every value and midpoint
/// of a format of at most 24 significant bits is an `f64` with at most 25, and none lies
/// between them.
pub(crate) fn parse_bits(spec: &Spec, s: &str) -> Result<u32, ParseFloatError> {
    let r: f64 = s.parse()?;
    let enc = |v: f64| round::encode_f64(spec, v, Rounding::NearestEven, Overflow::Ieee);
    let bits = enc(r);
    if !r.is_finite() {
        // NaN, ±inf, or a decimal beyond f64's range: beyond every format's range too.
        return Ok(bits);
    }
    let (down, up) = (r.next_down(), r.next_up());
    if enc(down) == bits && enc(up) == bits {
        return Ok(bits);
    }
    Ok(match compare_decimal(s, r) {
        Ordering::Less => enc(down),
        Ordering::Equal => bits,
        Ordering::Greater => enc(up),
    })
}

/// A decimal literal as ±0.d₁d₂d₃…·10^exp with d₁ ≠ 0 (or zero).
struct Decimal<'a> {
    negative: bool,
    /// The digits before and after the point, as written (leading zeros included).
    int: &'a [u8],
    frac: &'a [u8],
    /// Leading zeros of `int ++ frac`.
    skip: usize,
    /// The power of ten of the first significant digit's place plus one; `None` for zero.
    exp: Option<i64>,
}

impl<'a> Decimal<'a> {
    /// Split a literal that `f64::from_str` accepted and that is not inf/nan.
    fn new(s: &'a str) -> Decimal<'a> {
        let b = s.as_bytes();
        let (negative, b) = match b.first() {
            Some(b'-') => (true, &b[1..]),
            Some(b'+') => (false, &b[1..]),
            _ => (false, b),
        };
        let (mant, e) = match b.iter().position(|&c| c == b'e' || c == b'E') {
            Some(i) => (&b[..i], &b[i + 1..]),
            None => (b, &b[..0]),
        };
        let (int, frac) = match mant.iter().position(|&c| c == b'.') {
            Some(i) => (&mant[..i], &mant[i + 1..]),
            None => (mant, &mant[..0]),
        };
        let (eneg, edigits) = match e.first() {
            Some(b'-') => (true, &e[1..]),
            Some(b'+') => (false, &e[1..]),
            _ => (false, e),
        };
        // Saturate: beyond ±10^18 the value is far outside f64's range anyway.
        let mut e10: i64 = 0;
        for &c in edigits {
            e10 = e10
                .saturating_mul(10)
                .saturating_add((c - b'0') as i64)
                .min(1_000_000_000_000_000_000);
        }
        let e10 = if eneg { -e10 } else { e10 };
        let digits = int.len() + frac.len();
        let skip = int
            .iter()
            .chain(frac)
            .position(|&c| c != b'0')
            .unwrap_or(digits);
        let exp = (skip < digits).then(|| int.len() as i64 - skip as i64 + e10);
        Decimal {
            negative,
            int,
            frac,
            skip,
            exp,
        }
    }

    /// The significant digits, then zeros forever.
    fn digits(&self) -> impl Iterator<Item = u8> + '_ {
        self.int
            .iter()
            .chain(self.frac)
            .skip(self.skip)
            .copied()
            .chain(core::iter::repeat(b'0'))
    }

    /// How many significant digits there are (a bound for comparing).
    fn len(&self) -> usize {
        (self.int.len() + self.frac.len()).saturating_sub(self.skip)
    }
}

/// Compare magnitudes.
fn cmp_magnitude(a: &Decimal, b: &Decimal) -> Ordering {
    match (a.exp, b.exp) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) if x != y => x.cmp(&y),
        _ => {
            let n = a.len().max(b.len());
            a.digits().take(n).cmp(b.digits().take(n))
        }
    }
}

/// The sign of d − r, for the decimal literal `s` (finite, accepted by `f64::from_str`) and
/// the finite `r`.
fn compare_decimal(s: &str, r: f64) -> Ordering {
    // r's exact decimal expansion: an f64 has at most 767 significant digits.
    let mut buf = Buffer {
        bytes: [0; 800],
        len: 0,
    };
    // Writing into a buffer big enough cannot fail.
    let _ = core::fmt::write(&mut buf, format_args!("{:.770e}", r));
    let exact = core::str::from_utf8(&buf.bytes[..buf.len]).unwrap_or("0");
    let (d, r) = (Decimal::new(s), Decimal::new(exact));
    let sign_of = |x: &Decimal| match (x.exp, x.negative) {
        (None, _) => 0,
        (Some(_), true) => -1,
        (Some(_), false) => 1,
    };
    match sign_of(&d).cmp(&sign_of(&r)) {
        Ordering::Equal if sign_of(&d) < 0 => cmp_magnitude(&r, &d),
        Ordering::Equal => cmp_magnitude(&d, &r),
        other => other,
    }
}

/// A fixed buffer for `core::fmt`.
struct Buffer {
    bytes: [u8; 800],
    len: usize,
}

impl core::fmt::Write for Buffer {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        if end > self.bytes.len() {
            return Err(core::fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The visitor behind every format type's `Deserialize`: the storage integer `S` (through a
/// newtype struct, as `Serialize` writes it), checked to be a valid encoding; in
/// human-readable formats also a string holding a value (parsed with `FromStr`).
#[cfg(feature = "serde")]
pub(crate) struct BitsVisitor<T, S>(pub(crate) core::marker::PhantomData<(T, S)>);

#[cfg(feature = "serde")]
impl<T, S> BitsVisitor<T, S>
where
    T: crate::Format,
{
    fn from_u64<E: serde::de::Error>(v: u64) -> Result<T, E> {
        let b = u32::try_from(v).ok();
        match b.map(T::from_bits_u32) {
            Some(x) if Some(x.to_bits_u32()) == b => Ok(x),
            _ => Err(E::invalid_value(
                serde::de::Unexpected::Unsigned(v),
                &"an encoding of the format (bits outside it set)",
            )),
        }
    }
}

#[cfg(feature = "serde")]
impl<'de, T, S> serde::de::Visitor<'de> for BitsVisitor<T, S>
where
    T: crate::Format + core::str::FromStr,
    S: serde::Deserialize<'de> + Into<u64>,
{
    type Value = T;

    fn expecting(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        write!(
            f,
            "the encoding of a {} value (an unsigned integer) or a decimal string",
            T::NAME
        )
    }

    fn visit_newtype_struct<D: serde::Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        if d.is_human_readable() {
            d.deserialize_any(self)
        } else {
            Self::from_u64(S::deserialize(d)?.into())
        }
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<T, E> {
        Self::from_u64(v)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<T, E> {
        match u64::try_from(v) {
            Ok(u) => Self::from_u64(u),
            Err(_) => Err(E::invalid_value(
                serde::de::Unexpected::Signed(v),
                &"a non-negative encoding",
            )),
        }
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        v.parse()
            .map_err(|_| E::invalid_value(serde::de::Unexpected::Str(v), &self))
    }
}

/// `Default`, `FromStr`, `Sum`, `Product`, `total_cmp` and the serde impls of one format type.
macro_rules! user_traits {
    ($name:ident, $storage:ty, $spec:path) => {
        /// +0 where the format has a zero; 1.0 (the identity scale) for `float8_e8m0fnu`, which
        /// has none.
        impl Default for $name {
            #[inline]
            fn default() -> Self {
                <Self as $crate::Format>::from_bits_u32($crate::formats::traits::default_bits(
                    &$spec,
                ))
            }
        }

        /// The decimal string's exact value rounded once to nearest even with
        /// [`Overflow::Ieee`](crate::Overflow::Ieee) — not the string's `f64` rounded again, so
        /// a decimal just off a tie goes the right way. Accepts what `f64::from_str` accepts
        /// (`inf`, `infinity`, `nan` in any case included); its error where that fails.
        impl core::str::FromStr for $name {
            type Err = core::num::ParseFloatError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $crate::formats::traits::parse_bits(&$spec, s)
                    .map(<Self as $crate::Format>::from_bits_u32)
            }
        }

        /// Adds in `f64` and rounds the total once (nearest even, IEEE overflow): exact, so
        /// correctly rounded, wherever the `f64` sum is — every FP8 (but E8M0), FP6 and FP4
        /// sum of up to 2^20 terms. The empty sum is −0 (+0 in the `fnuz` formats, NaN in E8M0,
        /// which has no zero); a NaN total gives the format's positive quiet NaN.
        impl core::iter::Sum for $name {
            fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
                <Self as $crate::Format>::from_bits_u32($crate::formats::traits::sum_bits(
                    &$spec,
                    iter.map(|x| x.to_f64()),
                ))
            }
        }
        /// As `Sum<Self>`.
        impl<'a> core::iter::Sum<&'a $name> for $name {
            fn sum<I: Iterator<Item = &'a $name>>(iter: I) -> Self {
                iter.copied().sum()
            }
        }
        /// Multiplies in `f64` and rounds the product once (nearest even, IEEE overflow).
        /// The empty product is 1; a NaN total gives the format's positive quiet NaN.
        impl core::iter::Product for $name {
            fn product<I: Iterator<Item = Self>>(iter: I) -> Self {
                <Self as $crate::Format>::from_bits_u32($crate::formats::traits::product_bits(
                    &$spec,
                    iter.map(|x| x.to_f64()),
                ))
            }
        }
        /// As `Product<Self>`.
        impl<'a> core::iter::Product<&'a $name> for $name {
            fn product<I: Iterator<Item = &'a $name>>(iter: I) -> Self {
                iter.copied().product()
            }
        }

        impl $name {
            /// IEEE 754 totalOrder on the encoding, as [`f32::total_cmp`]: −NaN < −∞ < … <
            /// −0 < +0 < … < +∞ < +NaN, every code in its own place. In the `fnuz` formats the
            /// NaN `0x80` sorts last (like the positive NaN it decodes to); in the unsigned
            /// E8M0 codes sort as integers (NaN `0xFF` last).
            #[inline]
            pub fn total_cmp(&self, other: &Self) -> core::cmp::Ordering {
                $crate::formats::traits::total_cmp(
                    &$spec,
                    <Self as $crate::Format>::to_bits_u32(*self),
                    <Self as $crate::Format>::to_bits_u32(*other),
                )
            }
        }

        /// The encoding, as a newtype struct holding the storage integer (as `half` does):
        /// exact for every code, NaNs and −0 included.
        #[cfg(feature = "serde")]
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_newtype_struct(stringify!($name), &self.to_bits())
            }
        }
        /// The encoding written by `Serialize` (bits beyond the format's width are an error),
        /// or, in human-readable formats, a decimal string parsed by `FromStr`.
        #[cfg(feature = "serde")]
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_newtype_struct(
                    stringify!($name),
                    $crate::formats::traits::BitsVisitor::<$name, $storage>(
                        core::marker::PhantomData,
                    ),
                )
            }
        }
    };
}
pub(crate) use user_traits;
