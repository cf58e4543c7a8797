//! The one macro that declares a format type from its row of the table, and the helpers it
//! shares with the `half` types.

use crate::error::Error;
use crate::format::{Overflow, Rounding, Spec};
use crate::round::{self, Source};

/// Checked rounding (nearest even): an `Err` where [`crate::Format::from_f32`] would give a
/// NaN, an infinity or a saturated value that the input did not ask for.
pub(crate) fn checked(spec: &Spec, src: Source, value: f64) -> Result<u32, Error> {
    let format = spec.name;
    match src {
        Source::Nan { .. } if spec.quiet_nan_code().is_none() => {
            return Err(Error::NanNotRepresentable { format })
        }
        Source::Infinite { sign } if !spec.infinity || (sign && !spec.signed) => {
            return Err(if spec.signed || !sign {
                Error::InfinityNotRepresentable { format }
            } else {
                Error::NotRepresentable { format, value }
            });
        }
        Source::Zero { .. } if !spec.subnormals => {
            return Err(Error::NotRepresentable { format, value })
        }
        Source::Finite(u) if u.sign && !spec.signed => {
            return Err(Error::NotRepresentable { format, value })
        }
        Source::Finite(_) if round::overflows(spec, src, Rounding::NearestEven) => {
            return Err(Error::Overflow { format, value });
        }
        _ => {}
    }
    Ok(round::encode_source(
        spec,
        src,
        Rounding::NearestEven,
        Overflow::Ieee,
    ))
}

/// Declare a format type stored in `$storage` whose row is `$spec`. Flags add what only some
/// formats have: `signed` (negation, zero, `num_traits::Float`), `nan`, `neg_zero`, `infinity`.
macro_rules! small_format {
    ($(#[$doc:meta])* $name:ident, $storage:ty, $spec:path $(, $flag:ident)*) => {
        $(#[$doc])*
        ///
        /// A `#[repr(transparent)]` wrapper of its encoding; see the crate docs for the
        /// rounding and overflow rules of every conversion into it.
        #[derive(Clone, Copy)]
        #[repr(transparent)]
        #[cfg_attr(feature = "bytemuck", derive(bytemuck::Pod, bytemuck::Zeroable))]
        pub struct $name($storage);

        impl $name {
            const CODE_MASK: $storage = ($spec.code_mask() << $spec.storage_shift) as $storage;
            /// The largest finite value.
            pub const MAX: Self =
                Self(($spec.max_code() << $spec.storage_shift) as $storage);
            /// The smallest finite value (the most negative; for unsigned formats the least).
            pub const MIN: Self = Self(
                (if $spec.signed {
                    $spec.max_code() | $spec.sign_mask()
                } else {
                    0
                } << $spec.storage_shift) as $storage,
            );
            /// The smallest positive normal value.
            pub const MIN_POSITIVE: Self =
                Self($crate::round::pow2_bits(&$spec, $spec.min_exponent()) as $storage);
            /// The difference between 1.0 and the next larger value: 2^-mantissa_bits.
            pub const EPSILON: Self =
                Self($crate::round::pow2_bits(&$spec, -($spec.mantissa_bits as i32)) as $storage);
            /// One.
            pub const ONE: Self = Self($crate::round::pow2_bits(&$spec, 0) as $storage);

            /// The value whose encoding is `bits`. Bits above the format's width are cleared.
            #[inline]
            pub const fn from_bits(bits: $storage) -> Self {
                Self(bits & Self::CODE_MASK)
            }
            /// The encoding.
            #[inline]
            pub const fn to_bits(self) -> $storage {
                self.0
            }
            /// The exact value as an `f32`.
            #[inline]
            pub fn to_f32(self) -> f32 {
                <Self as $crate::Format>::to_f32(self)
            }
            /// The exact value as an `f64`.
            #[inline]
            pub fn to_f64(self) -> f64 {
                $crate::fenv::widen(self.to_f32())
            }
            /// `x` rounded to nearest even, with [`Overflow::Ieee`](crate::Overflow::Ieee).
            #[inline]
            pub fn from_f32(x: f32) -> Self {
                <Self as $crate::Format>::from_f32(x)
            }
            /// `x` rounded once (from the `f64` itself) to nearest even.
            #[inline]
            pub fn from_f64(x: f64) -> Self {
                <Self as $crate::Format>::from_f64(x)
            }
            /// `x` rounded to nearest even, or an error where that would turn a number into a
            /// NaN, an infinity or a saturated value, or where a NaN or ∞ input has no
            /// encoding.
            pub fn try_from_f32(x: f32) -> Result<Self, $crate::Error> {
                $crate::formats::common::checked(&$spec, $crate::round::unpack_f32(x), x as f64)
                    .map(<Self as $crate::Format>::from_bits_u32)
            }
            /// As [`Self::try_from_f32`], rounding the exact `f64` once.
            pub fn try_from_f64(x: f64) -> Result<Self, $crate::Error> {
                $crate::formats::common::checked(&$spec, $crate::round::unpack_f64(x), x)
                    .map(<Self as $crate::Format>::from_bits_u32)
            }
            /// The IEEE class of the value.
            #[inline]
            pub fn classify(self) -> core::num::FpCategory {
                $spec.classify_code(self.0 as u32 >> $spec.storage_shift)
            }
            /// Whether the value is a NaN.
            #[inline]
            pub fn is_nan(self) -> bool {
                $spec.is_nan_code(self.0 as u32 >> $spec.storage_shift)
            }
            /// Whether the value is ±∞ (never, for formats without ∞).
            #[inline]
            pub fn is_infinite(self) -> bool {
                $spec.is_infinite_code(self.0 as u32 >> $spec.storage_shift)
            }
            /// Whether the value is neither NaN nor ∞.
            #[inline]
            pub fn is_finite(self) -> bool {
                !self.is_nan() && !self.is_infinite()
            }
            /// Whether the value is normal (not zero, subnormal, ∞ or NaN).
            #[inline]
            pub fn is_normal(self) -> bool {
                self.classify() == core::num::FpCategory::Normal
            }
            /// Whether the value is subnormal.
            #[inline]
            pub fn is_subnormal(self) -> bool {
                self.classify() == core::num::FpCategory::Subnormal
            }
            /// Whether the sign bit is set (NaN included; never for unsigned formats).
            #[inline]
            pub fn is_sign_negative(self) -> bool {
                $spec.is_negative_code(self.0 as u32 >> $spec.storage_shift)
            }
            /// Whether the sign bit is clear.
            #[inline]
            pub fn is_sign_positive(self) -> bool {
                !self.is_sign_negative()
            }
            /// The bit fields of the encoding; `Display` renders them like `0 1000 110`.
            #[inline]
            pub fn fields(self) -> $crate::Fields {
                $crate::Fields::of(&$spec, self.0 as u32)
            }
        }

        impl $crate::Format for $name {
            const NAME: &'static str = $spec.name;
            const SPEC: $crate::Spec = $spec;
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
                if $spec.bits <= 8 {
                    static TABLE: [u32; 256] = $crate::round::decode_table(&$spec);
                    f32::from_bits(TABLE[(self.0 as u32 & 0xFF) as usize])
                } else {
                    f32::from_bits($crate::round::decode_to_f32_bits(&$spec, self.0 as u32))
                }
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("value", &self.to_f32())
                    .field(
                        "bits",
                        &format_args!("{:#0w$x}", self.0, w = 2 + 2 * core::mem::size_of::<$storage>()),
                    )
                    .finish()
            }
        }
        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Display::fmt(&self.to_f32(), f)
            }
        }
        impl core::fmt::LowerExp for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::LowerExp::fmt(&self.to_f32(), f)
            }
        }
        impl core::fmt::LowerHex for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::LowerHex::fmt(&self.0, f)
            }
        }
        impl core::fmt::UpperHex for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::UpperHex::fmt(&self.0, f)
            }
        }
        impl core::fmt::Binary for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Binary::fmt(&self.0, f)
            }
        }
        /// IEEE equality: NaN ≠ NaN, +0 = −0.
        impl PartialEq for $name {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                self.to_f32() == other.to_f32()
            }
        }
        /// IEEE order: NaN is unordered.
        impl PartialOrd for $name {
            #[inline]
            fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
                self.to_f32().partial_cmp(&other.to_f32())
            }
        }
        impl From<$name> for f32 {
            #[inline]
            fn from(x: $name) -> f32 {
                x.to_f32()
            }
        }
        impl From<$name> for f64 {
            #[inline]
            fn from(x: $name) -> f64 {
                x.to_f64()
            }
        }
        $crate::formats::common::arith!($name, Add, add, AddAssign, add_assign, +);
        $crate::formats::common::arith!($name, Sub, sub, SubAssign, sub_assign, -);
        $crate::formats::common::arith!($name, Mul, mul, MulAssign, mul_assign, *);
        $crate::formats::common::arith!($name, Div, div, DivAssign, div_assign, /);
        $crate::formats::common::arith!($name, Rem, rem, RemAssign, rem_assign, %);
        $crate::formats::num::base_num!($name);
        $crate::formats::traits::user_traits!($name, $storage, $spec);
        $( $crate::formats::common::flag!($name, $spec, $storage, $flag); )*
    };
}
pub(crate) use small_format;

/// One arithmetic operator: computed in f32, rounded to nearest even.
macro_rules! arith {
    ($name:ident, $tr:ident, $m:ident, $tra:ident, $ma:ident, $op:tt) => {
        /// Computed in `f32` and rounded to nearest even ([`Overflow::Ieee`](crate::Overflow)).
        impl core::ops::$tr for $name {
            type Output = $name;
            #[inline]
            fn $m(self, rhs: $name) -> $name {
                $name::from_f32(self.to_f32() $op rhs.to_f32())
            }
        }
        impl core::ops::$tra for $name {
            #[inline]
            fn $ma(&mut self, rhs: $name) {
                *self = *self $op rhs;
            }
        }
    };
}
pub(crate) use arith;

/// What a flag adds.
macro_rules! flag {
    ($name:ident, $spec:path, $storage:ty, signed) => {
        impl $name {
            /// Positive zero.
            pub const ZERO: Self = Self(0);
            /// The smallest positive subnormal value.
            pub const MIN_POSITIVE_SUBNORMAL: Self = Self((1 << $spec.storage_shift) as $storage);
            /// The absolute value (the sign bit cleared; NaN stays NaN).
            #[inline]
            pub fn abs(self) -> Self {
                if self.is_nan() {
                    self
                } else {
                    Self(self.0 & !(($spec.sign_mask() << $spec.storage_shift) as $storage))
                }
            }
        }
        /// Flips the sign bit (FNUZ zero stays zero: its `0x80` is NaN).
        impl core::ops::Neg for $name {
            type Output = $name;
            #[inline]
            fn neg(self) -> $name {
                $name($crate::round::negate_bits(&$spec, self.0 as u32) as $storage)
            }
        }
        $crate::formats::num::signed_num!($name);
    };
    ($name:ident, $spec:path, $storage:ty, nan) => {
        impl $name {
            /// The canonical quiet NaN (the one that NaN inputs become).
            pub const NAN: Self = Self(
                (match $spec.quiet_nan_code() {
                    Some(c) => c,
                    None => 0,
                } << $spec.storage_shift) as $storage,
            );
        }
    };
    ($name:ident, $spec:path, $storage:ty, neg_zero) => {
        impl $name {
            /// Negative zero.
            pub const NEG_ZERO: Self = Self(($spec.sign_mask() << $spec.storage_shift) as $storage);
        }
    };
    ($name:ident, $spec:path, $storage:ty, infinity) => {
        impl $name {
            /// +∞.
            pub const INFINITY: Self =
                Self(($spec.infinity_code() << $spec.storage_shift) as $storage);
            /// −∞.
            pub const NEG_INFINITY: Self = Self(
                (($spec.infinity_code() | $spec.sign_mask()) << $spec.storage_shift) as $storage,
            );
        }
    };
}
pub(crate) use flag;

/// `Format` for the `half` crate's types (whose inherent API half already provides).
macro_rules! half_format {
    ($name:ident, $storage:ty, $spec:path) => {
        impl $crate::Format for $name {
            const NAME: &'static str = $spec.name;
            const SPEC: $crate::Spec = $spec;
            #[inline]
            fn to_bits_u32(self) -> u32 {
                self.to_bits() as u32
            }
            #[inline]
            fn from_bits_u32(bits: u32) -> Self {
                $name::from_bits(bits as $storage)
            }
            #[inline]
            fn to_f32(self) -> f32 {
                f32::from_bits($crate::round::decode_to_f32_bits(
                    &$spec,
                    self.to_bits() as u32,
                ))
            }
        }
    };
}
pub(crate) use half_format;

/// The formats table: one row per format, and every item a format has comes from its row.
///
/// A row reads
/// `NAME: kind type [flags] = (columns; exceptions), extras;` where
/// - `kind` is `small` (a lowp type stored in `type`, declared by [`small_format!`] with the
///   `flags`), `half` (`type` is `half`'s, and the row adds [`Format`](crate::Format) to it) or
///   `native` (`f32`, whose `Format` impl is written out below the table);
/// - the columns are those of `Spec::row` (reference name, bits, exponent bits, mantissa bits,
///   bias, signed, has ∞, NaN encoding) and the exceptions override its defaults;
/// - the extras are `packed` (a [`Packable`](crate::packing::Packable) impl of width `bits`)
///   and `mx(Variant, "OCP name")` (the format's row in `MX_ELEMENTS`, the element row of
///   `quant::MxFormat::Variant`).
///
/// From the rows it produces `table::NAME` (the `Spec`), `FORMATS` (every row, in order), the
/// types, their flags, the packing impls, `MX_ELEMENTS`, and compile-time checks that each
/// type's `Format::SPEC` is its row and that its flags are the ones the row calls for.
macro_rules! format_table {
    ($(
        $(#[$doc:meta])*
        $id:ident: $kind:ident $t:ty $([$($flag:ident),*])? = (
            $name:literal, $bits:literal, $e:literal, $m:literal, $bias:literal,
            $signed:literal, $inf:literal, $nan:expr $(; $($field:ident: $val:expr),*)?
        ) $(, $extra:ident $(($($xa:tt)*))?)*;
    )*) => {
        /// The formats table, one `Spec` per row. Columns: reference name, bits, exponent bits,
        /// mantissa bits, bias, signed, has ∞, NaN encoding; then per-row exceptions.
        pub mod table {
            #[allow(unused_imports)]
            use super::*;
            $(
                $(#[$doc])*
                pub const $id: Spec = Spec {
                    $($($field: $val,)*)?
                    ..Spec::row($name, $bits, $e, $m, $bias, $signed, $inf, $nan)
                };
            )*
        }

        /// The format types, for the crate root's re-export (`f32` is the language's own).
        pub(crate) mod types {
            $( $crate::formats::common::format_table!(@reexport $kind $id); )*
        }

        /// Every format's row, in table order, for iteration (tests, the `inspect` command).
        pub const FORMATS: [Spec; [$(stringify!($id)),*].len()] = [$(table::$id),*];

        /// The MX element rows: every row with an `mx(…)` column, in table order, which is the
        /// order of `quant::MxFormat::ALL` (MXINT8, whose elements are integers, comes last
        /// there and has no row).
        pub(crate) const MX_ELEMENTS: [MxElement; mx_count(&[$($crate::formats::common::format_table!(@mx $id; $($extra $(($($xa)*))?)*)),*])] =
            mx_rows(&[$($crate::formats::common::format_table!(@mx $id; $($extra $(($($xa)*))?)*)),*]);

        $(
            $crate::formats::common::format_table!(
                @type $kind $t, $id, [$(#[$doc])*] $(, $($flag),*)?
            );
            $( $crate::formats::common::format_table!(@extra $id, $extra $(($($xa)*))?); )*
            const _: () = assert!(
                <$crate::formats::common::format_table!(@ty $kind $t, $id) as $crate::Format>::SPEC
                    .same(&table::$id),
                concat!("the type of row ", stringify!($id), " has another Spec")
            );
        )*

        /// One entry per row, for the test that walks [`FORMATS`] and checks every generated
        /// item against it.
        #[cfg(test)]
        pub(crate) fn rows() -> [TableRow; FORMATS.len()] {
            [$(
                TableRow {
                    id: stringify!($id),
                    spec: table::$id,
                    type_spec: <$crate::formats::common::format_table!(@ty $kind $t, $id) as $crate::Format>::SPEC,
                    type_name: <$crate::formats::common::format_table!(@ty $kind $t, $id) as $crate::Format>::NAME,
                    size: core::mem::size_of::<$crate::formats::common::format_table!(@ty $kind $t, $id)>(),
                    decode: |b| $crate::Format::to_f32(
                        <$crate::formats::common::format_table!(@ty $kind $t, $id) as $crate::Format>::from_bits_u32(b)),
                    to_bits: |b| $crate::Format::to_bits_u32(
                        <$crate::formats::common::format_table!(@ty $kind $t, $id) as $crate::Format>::from_bits_u32(b)),
                    flags: &[$($(stringify!($flag)),*)?],
                    packed_len: $crate::formats::common::format_table!(@packed_len $id; $($extra)*),
                    mx: $crate::formats::common::format_table!(@mx $id; $($extra $(($($xa)*))?)*),
                },
            )*]
        }
    };

    // The Rust type of a row.
    (@ty small $t:ty, $id:ident) => { $id };
    (@ty half $t:ty, $id:ident) => { $t };
    (@ty native $t:ty, $id:ident) => { $t };

    // The crate root's re-export of a row's type.
    (@reexport native $id:ident) => {};
    (@reexport $kind:ident $id:ident) => {
        pub use super::$id;
    };

    // The type a row declares.
    (@type small $t:ty, $id:ident, [$(#[$doc:meta])*] $(, $flag:ident)*) => {
        $crate::formats::common::small_format!($(#[$doc])* $id, $t, table::$id $(, $flag)*);
        const _: () = assert!(
            table::$id.flags_agree(&[$(stringify!($flag)),*]),
            concat!("the flags of row ", stringify!($id), " differ from its Spec")
        );
    };
    (@type half $t:ty, $id:ident, [$(#[$doc:meta])*]) => {
        $(#[$doc])*
        pub type $id = $t;
        $crate::formats::common::half_format!($id, u16, table::$id);
    };
    // f32's `Format` impl is written out below the table (every f32 is exact).
    (@type native $t:ty, $id:ident, [$(#[$doc:meta])*]) => {};

    // The extras.
    (@extra $id:ident, packed) => {
        impl $crate::packing::Packable for $id {
            const WIDTH: u32 = table::$id.bits;
        }
        const _: () = assert!(
            table::$id.bits < 8 && table::$id.storage_shift == 0,
            concat!("row ", stringify!($id), " is packed but not narrower than a byte")
        );
    };
    (@extra $id:ident, mx($($xa:tt)*)) => {};

    // A row's MX element entry.
    (@mx $id:ident;) => { None };
    (@mx $id:ident; mx($variant:ident, $mxname:literal) $($rest:tt)*) => {
        Some(MxElement { variant: stringify!($variant), name: $mxname, spec: table::$id })
    };
    (@mx $id:ident; $other:ident $($rest:tt)*) => {
        $crate::formats::common::format_table!(@mx $id; $($rest)*)
    };

    // A row's packed length function (tests).
    (@packed_len $id:ident;) => { None };
    (@packed_len $id:ident; packed $($rest:ident)*) => {
        Some($crate::packing::packed_len::<$id> as fn(usize) -> usize)
    };
    (@packed_len $id:ident; $other:ident $($rest:ident)*) => {
        $crate::formats::common::format_table!(@packed_len $id; $($rest)*)
    };
}
pub(crate) use format_table;
