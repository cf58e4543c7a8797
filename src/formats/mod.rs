//! The format types: one row of one table each ([`FORMATS`] lists them all).
//!
//! Suffixes follow ml_dtypes and the LLVM/MLIR names:
//! - `fn`: *finite*, no infinities; NaN is the all-ones magnitude (`S.1111.111`).
//! - `fnuz`: *finite, NaN, unsigned zero*: no infinities, no −0; the lone NaN is `0x80`.
//! - `b11`: exponent bias 11 instead of the IEEE-style 7.
//! - `fnu`: finite, NaN, unsigned (E8M0: no sign bit, no zero, NaN `0xFF`).
//! - no suffix (`float8_e5m2`, `float8_e4m3`, `float8_e3m4`): IEEE 754 style, with ±∞ and the
//!   usual NaN codes.
//!
//! FP6 and FP4 (the OCP MX element types) have neither ∞ nor NaN.

use crate::format::{NanEncoding, Spec};

pub(crate) mod common;
pub(crate) mod num;
pub(crate) mod traits;

#[allow(clippy::too_many_arguments)] // one table row: the columns read left to right
const fn spec(
    name: &'static str,
    bits: u32,
    exponent_bits: u32,
    mantissa_bits: u32,
    bias: i32,
    signed: bool,
    infinity: bool,
    nan: NanEncoding,
) -> Spec {
    Spec {
        name,
        bits,
        exponent_bits,
        mantissa_bits,
        bias,
        signed,
        infinity,
        nan,
        subnormals: true,
        nan_payload: false,
        storage_shift: 0,
    }
}

use NanEncoding::{AllOnes, AllOnesUnsigned, Ieee, NegativeZero};

/// The formats table. Columns: reference name, bits, exponent bits, mantissa bits, bias,
/// signed, has ∞, NaN encoding; then per-row exceptions.
pub mod table {
    use super::*;
    /// float32.
    pub const F32: Spec = Spec {
        nan_payload: true,
        ..spec("float32", 32, 8, 23, 127, true, true, Ieee)
    };
    /// tf32: f32 storage with the low 13 bits zero.
    pub const TF32: Spec = Spec {
        nan_payload: true,
        storage_shift: 13,
        ..spec("tf32", 19, 8, 10, 127, true, true, Ieee)
    };
    /// float16 (IEEE binary16).
    pub const F16: Spec = Spec {
        nan_payload: true,
        ..spec("float16", 16, 5, 10, 15, true, true, Ieee)
    };
    /// bfloat16.
    pub const BF16: Spec = Spec {
        nan_payload: true,
        ..spec("bfloat16", 16, 8, 7, 127, true, true, Ieee)
    };
    /// float8_e4m3fn (OCP FP8 E4M3, NVIDIA/PyTorch `float8_e4m3fn`).
    pub const F8E4M3FN: Spec = spec("float8_e4m3fn", 8, 4, 3, 7, true, false, AllOnes);
    /// float8_e5m2 (OCP FP8 E5M2).
    pub const F8E5M2: Spec = spec("float8_e5m2", 8, 5, 2, 15, true, true, Ieee);
    /// float8_e4m3fnuz (AMD/Graphcore).
    pub const F8E4M3FNUZ: Spec = spec("float8_e4m3fnuz", 8, 4, 3, 8, true, false, NegativeZero);
    /// float8_e5m2fnuz (AMD/Graphcore).
    pub const F8E5M2FNUZ: Spec = spec("float8_e5m2fnuz", 8, 5, 2, 16, true, false, NegativeZero);
    /// float8_e4m3b11fnuz (Google TPU).
    pub const F8E4M3B11FNUZ: Spec =
        spec("float8_e4m3b11fnuz", 8, 4, 3, 11, true, false, NegativeZero);
    /// float8_e3m4 (IEEE style).
    pub const F8E3M4: Spec = spec("float8_e3m4", 8, 3, 4, 3, true, true, Ieee);
    /// float8_e4m3 (IEEE style, with ∞).
    pub const F8E4M3: Spec = spec("float8_e4m3", 8, 4, 3, 7, true, true, Ieee);
    /// float8_e8m0fnu (OCP MX scale).
    pub const F8E8M0FNU: Spec = Spec {
        subnormals: false,
        ..spec(
            "float8_e8m0fnu",
            8,
            8,
            0,
            127,
            false,
            false,
            AllOnesUnsigned,
        )
    };
    /// float6_e2m3fn (OCP MXFP6 E2M3).
    pub const F6E2M3FN: Spec = spec("float6_e2m3fn", 6, 2, 3, 1, true, false, NanEncoding::None);
    /// float6_e3m2fn (OCP MXFP6 E3M2).
    pub const F6E3M2FN: Spec = spec("float6_e3m2fn", 6, 3, 2, 3, true, false, NanEncoding::None);
    /// float4_e2m1fn (OCP MXFP4 E2M1).
    pub const F4E2M1FN: Spec = spec("float4_e2m1fn", 4, 2, 1, 1, true, false, NanEncoding::None);
}

/// Every format's row, for iteration (tests, the `inspect` example).
pub const FORMATS: [Spec; 15] = [
    table::F32,
    table::TF32,
    table::F16,
    table::BF16,
    table::F8E4M3FN,
    table::F8E5M2,
    table::F8E4M3FNUZ,
    table::F8E5M2FNUZ,
    table::F8E4M3B11FNUZ,
    table::F8E3M4,
    table::F8E4M3,
    table::F8E8M0FNU,
    table::F6E2M3FN,
    table::F6E3M2FN,
    table::F4E2M1FN,
];

/// The IEEE binary16 type (`half::f16`).
pub type F16 = half::f16;
/// The bfloat16 type (`half::bf16`).
pub type BF16 = half::bf16;

common::small_format!(
    /// FP8 E4M3FN: 4 exponent bits (bias 7), 3 mantissa bits, no ∞, NaN `S.1111.111`,
    /// max 448 (OCP FP8, NVIDIA Hopper/Blackwell, PyTorch `float8_e4m3fn`).
    F8E4M3FN, u8, table::F8E4M3FN, signed, nan, neg_zero
);
common::small_format!(
    /// FP8 E5M2: 5 exponent bits (bias 15), 2 mantissa bits, IEEE style with ±∞, max 57344.
    F8E5M2, u8, table::F8E5M2, signed, nan, neg_zero, infinity
);
common::small_format!(
    /// FP8 E4M3FNUZ: bias 8, no ∞, no −0, NaN `0x80`, max 240 (AMD MI300, Graphcore).
    F8E4M3FNUZ, u8, table::F8E4M3FNUZ, signed, nan
);
common::small_format!(
    /// FP8 E5M2FNUZ: bias 16, no ∞, no −0, NaN `0x80`, max 57344 (AMD MI300, Graphcore).
    F8E5M2FNUZ, u8, table::F8E5M2FNUZ, signed, nan
);
common::small_format!(
    /// FP8 E4M3B11FNUZ: bias 11, no ∞, no −0, NaN `0x80`, max 30 (Google TPU).
    F8E4M3B11FNUZ, u8, table::F8E4M3B11FNUZ, signed, nan
);
common::small_format!(
    /// FP8 E3M4: 3 exponent bits (bias 3), 4 mantissa bits, IEEE style with ±∞, max 15.5.
    F8E3M4, u8, table::F8E3M4, signed, nan, neg_zero, infinity
);
common::small_format!(
    /// FP8 E4M3: bias 7, IEEE style with ±∞ (`0x78`), max 240.
    F8E4M3, u8, table::F8E4M3, signed, nan, neg_zero, infinity
);
common::small_format!(
    /// FP8 E8M0FNU: the OCP MX scale format. Unsigned, exponent only (bias 127): the values
    /// 2^-127 … 2^127; `0xFF` is NaN; there is no zero.
    F8E8M0FNU, u8, table::F8E8M0FNU, nan
);
common::small_format!(
    /// FP6 E2M3FN (OCP MXFP6): 2 exponent bits (bias 1), 3 mantissa bits, max 7.5, no ∞ or
    /// NaN. Stored in the low 6 bits of a byte.
    F6E2M3FN, u8, table::F6E2M3FN, signed, neg_zero
);
common::small_format!(
    /// FP6 E3M2FN (OCP MXFP6): 3 exponent bits (bias 3), 2 mantissa bits, max 28, no ∞ or
    /// NaN. Stored in the low 6 bits of a byte.
    F6E3M2FN, u8, table::F6E3M2FN, signed, neg_zero
);
common::small_format!(
    /// FP4 E2M1FN (OCP MXFP4, NVFP4 elements): values ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}, no ∞ or
    /// NaN. Stored in the low 4 bits of a byte.
    F4E2M1FN, u8, table::F4E2M1FN, signed, neg_zero
);
common::small_format!(
    /// TF32 (NVIDIA TensorFloat-32): 8 exponent bits, 10 mantissa bits, kept as an f32 bit
    /// pattern whose low 13 bits are zero.
    TF32, u32, table::TF32, signed, nan, neg_zero, infinity
);

common::half_format!(F16, u16, table::F16);
common::half_format!(BF16, u16, table::BF16);

/// `x`, or ±`f32::MAX` for ±∞ under [`crate::Overflow::Saturate`] (on the bits).
#[inline(always)]
fn saturate_f32(x: f32, overflow: crate::Overflow) -> f32 {
    let b = x.to_bits();
    if overflow == crate::Overflow::Saturate && b & 0x7FFF_FFFF == 0x7F80_0000 {
        f32::from_bits((b & 0x8000_0000) | 0x7F7F_FFFF)
    } else {
        x
    }
}

impl crate::format::Format for f32 {
    const NAME: &'static str = "float32";
    const SPEC: Spec = table::F32;
    #[inline]
    fn to_bits_u32(self) -> u32 {
        self.to_bits()
    }
    #[inline]
    fn from_bits_u32(bits: u32) -> Self {
        f32::from_bits(bits)
    }
    #[inline]
    fn to_f32(self) -> f32 {
        self
    }
    /// The identity (every f32 is exact), except that [`crate::Overflow::Saturate`] makes ±∞
    /// ±`f32::MAX`, as for every other format (CONTRACT.md §2).
    #[inline]
    fn from_f32_with(x: f32, _: crate::Rounding, overflow: crate::Overflow) -> Self {
        saturate_f32(x, overflow)
    }
    /// The identity, with ±∞ made ±`f32::MAX` under [`crate::Overflow::Saturate`].
    #[inline]
    fn from_f32_stochastic(x: f32, _: u32, overflow: crate::Overflow) -> Self {
        saturate_f32(x, overflow)
    }
}
