//! The integer types that values are quantized to ([`QuantInt`]), the 4-bit ones ([`I4`],
//! [`U4`]) and their nibble encoding ([`Nibble`]).

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::I4 {}
    impl Sealed for super::U4 {}
}

/// An integer type that values are quantized to: [`i8`], [`u8`], [`I4`], [`U4`], [`i16`], [`u16`].
pub trait QuantInt:
    Copy + Send + Sync + Default + PartialEq + core::fmt::Debug + 'static + sealed::Sealed
{
    /// The smallest value.
    const MIN: i32;
    /// The largest value.
    const MAX: i32;
    /// Width in bits.
    const BITS: u32;
    /// The ONNX element type name (`"int8"`, `"uint8"`, `"int4"`, `"uint4"`, `"int16"`, `"uint16"`).
    const NAME: &'static str;
    /// The value as an `i32`.
    fn to_i32(self) -> i32;
    /// The value `v`, which must lie in `[MIN, MAX]` (other values keep their low bits).
    fn from_i32(v: i32) -> Self;
}

/// The `QuantInt` impl of a primitive integer type: its range from the type itself.
macro_rules! primitive_quant_int {
    ($($t:ty => $name:literal, $doc:literal;)*) => {$(
        impl sealed::Sealed for $t {}

        #[doc = $doc]
        impl QuantInt for $t {
            const MIN: i32 = <$t>::MIN as i32;
            const MAX: i32 = <$t>::MAX as i32;
            const BITS: u32 = <$t>::BITS;
            const NAME: &'static str = $name;
            #[inline(always)]
            fn to_i32(self) -> i32 {
                self as i32
            }
            #[inline(always)]
            fn from_i32(v: i32) -> Self {
                v as $t
            }
        }
    )*};
}

primitive_quant_int! {
    i8 => "int8", "int8 (ONNX `QuantizeLinear` / `DequantizeLinear`).";
    u8 => "uint8", "uint8 (ONNX `QuantizeLinear` / `DequantizeLinear`, `DynamicQuantizeLinear`).";
    i16 => "int16", "int16 (ONNX opset 21 `QuantizeLinear` / `DequantizeLinear`; bit-exact with onnxruntime).";
    u16 => "uint16", "uint16 (ONNX opset 21 `QuantizeLinear` / `DequantizeLinear`; bit-exact with onnxruntime).";
}

/// A signed 4-bit integer in [−8, 7], one per byte (see [`pack_4bit`](super::pack_4bit) for two per byte).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(transparent)]
pub struct I4(i8);

impl I4 {
    /// −8.
    pub const MIN: I4 = I4(-8);
    /// 7.
    pub const MAX: I4 = I4(7);
    /// `v` if it lies in [−8, 7].
    pub const fn new(v: i8) -> Option<I4> {
        if v >= -8 && v <= 7 {
            Some(I4(v))
        } else {
            None
        }
    }
    /// The value.
    pub const fn get(self) -> i8 {
        self.0
    }
}

/// An unsigned 4-bit integer in [0, 15], one per byte (see [`pack_4bit`](super::pack_4bit) for two per byte).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(transparent)]
pub struct U4(u8);

impl U4 {
    /// 0.
    pub const MIN: U4 = U4(0);
    /// 15.
    pub const MAX: U4 = U4(15);
    /// `v` if it lies in [0, 15].
    pub const fn new(v: u8) -> Option<U4> {
        if v <= 15 {
            Some(U4(v))
        } else {
            None
        }
    }
    /// The value.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl QuantInt for I4 {
    const MIN: i32 = -8;
    const MAX: i32 = 7;
    const BITS: u32 = 4;
    const NAME: &'static str = "int4";
    #[inline(always)]
    fn to_i32(self) -> i32 {
        self.0 as i32
    }
    #[inline(always)]
    fn from_i32(v: i32) -> Self {
        I4(((v << 28) >> 28) as i8)
    }
}

impl QuantInt for U4 {
    const MIN: i32 = 0;
    const MAX: i32 = 15;
    const BITS: u32 = 4;
    const NAME: &'static str = "uint4";
    #[inline(always)]
    fn to_i32(self) -> i32 {
        self.0 as i32
    }
    #[inline(always)]
    fn from_i32(v: i32) -> Self {
        U4((v & 15) as u8)
    }
}

/// A 4-bit type, stored two per byte by [`pack_4bit`](super::pack_4bit): element 0 in the low nibble.
pub trait Nibble: QuantInt {
    /// The low 4 bits of the two's complement encoding.
    fn to_nibble(self) -> u8;
    /// The value from the low 4 bits of `b` (the high bits are ignored).
    fn from_nibble(b: u8) -> Self;
}

impl Nibble for I4 {
    #[inline(always)]
    fn to_nibble(self) -> u8 {
        self.0 as u8 & 15
    }
    #[inline(always)]
    fn from_nibble(b: u8) -> Self {
        I4(((b << 4) as i8) >> 4)
    }
}

impl Nibble for U4 {
    #[inline(always)]
    fn to_nibble(self) -> u8 {
        self.0
    }
    #[inline(always)]
    fn from_nibble(b: u8) -> Self {
        U4(b & 15)
    }
}
