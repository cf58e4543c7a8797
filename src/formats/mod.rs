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

use NanEncoding::{AllOnes, AllOnesUnsigned, Ieee, NegativeZero};

common::format_table! {
    /// float32.
    F32: native f32 = ("float32", 32, 8, 23, 127, true, true, Ieee; nan_payload: true);
    /// TF32 (NVIDIA TensorFloat-32): 8 exponent bits, 10 mantissa bits, kept as an f32 bit
    /// pattern whose low 13 bits are zero.
    TF32: small u32 [signed, nan, neg_zero, infinity] =
        ("tf32", 19, 8, 10, 127, true, true, Ieee; nan_payload: true, storage_shift: 13);
    /// The IEEE binary16 type (`half::f16`), float16.
    F16: half half::f16 = ("float16", 16, 5, 10, 15, true, true, Ieee; nan_payload: true);
    /// The bfloat16 type (`half::bf16`).
    BF16: half half::bf16 = ("bfloat16", 16, 8, 7, 127, true, true, Ieee; nan_payload: true);
    /// FP8 E4M3FN: 4 exponent bits (bias 7), 3 mantissa bits, no ∞, NaN `S.1111.111`,
    /// max 448 (OCP FP8, NVIDIA Hopper/Blackwell, PyTorch `float8_e4m3fn`).
    F8E4M3FN: small u8 [signed, nan, neg_zero] =
        ("float8_e4m3fn", 8, 4, 3, 7, true, false, AllOnes), mx(E4M3, "MXFP8 (E4M3)");
    /// FP8 E5M2: 5 exponent bits (bias 15), 2 mantissa bits, IEEE style with ±∞, max 57344
    /// (OCP FP8).
    F8E5M2: small u8 [signed, nan, neg_zero, infinity] =
        ("float8_e5m2", 8, 5, 2, 15, true, true, Ieee), mx(E5M2, "MXFP8 (E5M2)");
    /// FP8 E4M3FNUZ: bias 8, no ∞, no −0, NaN `0x80`, max 240 (AMD MI300, Graphcore).
    F8E4M3FNUZ: small u8 [signed, nan] =
        ("float8_e4m3fnuz", 8, 4, 3, 8, true, false, NegativeZero);
    /// FP8 E5M2FNUZ: bias 16, no ∞, no −0, NaN `0x80`, max 57344 (AMD MI300, Graphcore).
    F8E5M2FNUZ: small u8 [signed, nan] =
        ("float8_e5m2fnuz", 8, 5, 2, 16, true, false, NegativeZero);
    /// FP8 E4M3B11FNUZ: bias 11, no ∞, no −0, NaN `0x80`, max 30 (Google TPU).
    F8E4M3B11FNUZ: small u8 [signed, nan] =
        ("float8_e4m3b11fnuz", 8, 4, 3, 11, true, false, NegativeZero);
    /// FP8 E3M4: 3 exponent bits (bias 3), 4 mantissa bits, IEEE style with ±∞, max 15.5.
    F8E3M4: small u8 [signed, nan, neg_zero, infinity] =
        ("float8_e3m4", 8, 3, 4, 3, true, true, Ieee);
    /// FP8 E4M3: bias 7, IEEE style with ±∞ (`0x78`), max 240.
    F8E4M3: small u8 [signed, nan, neg_zero, infinity] =
        ("float8_e4m3", 8, 4, 3, 7, true, true, Ieee);
    /// FP8 E8M0FNU: the OCP MX scale format. Unsigned, exponent only (bias 127): the values
    /// 2^-127 … 2^127; `0xFF` is NaN; there is no zero.
    F8E8M0FNU: small u8 [nan] =
        ("float8_e8m0fnu", 8, 8, 0, 127, false, false, AllOnesUnsigned; subnormals: false);
    /// FP6 E2M3FN (OCP MXFP6): 2 exponent bits (bias 1), 3 mantissa bits, max 7.5, no ∞ or
    /// NaN. Stored in the low 6 bits of a byte.
    F6E2M3FN: small u8 [signed, neg_zero] =
        ("float6_e2m3fn", 6, 2, 3, 1, true, false, NanEncoding::None),
        packed, mx(E2M3, "MXFP6 (E2M3)");
    /// FP6 E3M2FN (OCP MXFP6): 3 exponent bits (bias 3), 2 mantissa bits, max 28, no ∞ or
    /// NaN. Stored in the low 6 bits of a byte.
    F6E3M2FN: small u8 [signed, neg_zero] =
        ("float6_e3m2fn", 6, 3, 2, 3, true, false, NanEncoding::None),
        packed, mx(E3M2, "MXFP6 (E3M2)");
    /// FP4 E2M1FN (OCP MXFP4, NVFP4 elements): values ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}, no ∞ or
    /// NaN. Stored in the low 4 bits of a byte.
    F4E2M1FN: small u8 [signed, neg_zero] =
        ("float4_e2m1fn", 4, 2, 1, 1, true, false, NanEncoding::None),
        packed, mx(E2M1, "MXFP4 (E2M1)");
}

/// An MX element format's row: the `quant::MxFormat` variant it belongs to, its OCP name and
/// its `Spec` (emax, max and the element width all come from the `Spec`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct MxElement {
    /// The `MxFormat` variant's name, e.g. `"E4M3"` (read by the table's test).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) variant: &'static str,
    /// The OCP name, e.g. `"MXFP8 (E4M3)"`.
    pub(crate) name: &'static str,
    /// The element format's row.
    pub(crate) spec: Spec,
}

/// How many rows have an MX column.
const fn mx_count(all: &[Option<MxElement>]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < all.len() {
        n += all[i].is_some() as usize;
        i += 1;
    }
    n
}

/// The rows that have an MX column, in table order.
const fn mx_rows<const N: usize>(all: &[Option<MxElement>]) -> [MxElement; N] {
    let mut out = [MxElement {
        variant: "",
        name: "",
        spec: table::F32,
    }; N];
    let (mut i, mut n) = (0, 0);
    while i < all.len() {
        if let Some(e) = all[i] {
            out[n] = e;
            n += 1;
        }
        i += 1;
    }
    out
}

/// What the table generated for one row (the test below checks that they agree).
#[cfg(test)]
pub(crate) struct TableRow {
    id: &'static str,
    spec: Spec,
    type_spec: Spec,
    type_name: &'static str,
    size: usize,
    decode: fn(u32) -> f32,
    to_bits: fn(u32) -> u32,
    flags: &'static [&'static str],
    packed_len: Option<fn(usize) -> usize>,
    mx: Option<MxElement>,
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode_to_f32_bits;
    use crate::quant::{mx_element_bytes, MxFormat};

    /// Every item the table generates agrees with its row: `FORMATS[i]` is row i's `Spec`, the
    /// row's type has that `Spec`, name, storage size and decoding, its flags are the ones the
    /// `Spec` calls for, it is `Packable` (with width = bits) exactly when it is narrower than
    /// a byte, and the MX element rows are `MxFormat::ALL`'s, with the same names and widths.
    #[test]
    fn every_generated_item_agrees_with_its_row() {
        let rows = rows();
        assert_eq!(rows.len(), FORMATS.len());
        let mut names = std::collections::HashSet::new();
        for (spec, row) in FORMATS.iter().zip(&rows) {
            let id = row.id;
            assert!(names.insert(spec.name), "{id}: duplicate name");
            assert_eq!(*spec, row.spec, "{id}: FORMATS entry");
            assert_eq!(row.type_spec, row.spec, "{id}: the type's SPEC");
            assert_eq!(row.type_name, spec.name, "{id}: the type's NAME");
            // The smallest of 1, 2 or 4 bytes that holds the encoding and its shift.
            let width = spec.bits + spec.storage_shift;
            let bytes = [1usize, 2, 4]
                .into_iter()
                .find(|&b| width as usize <= 8 * b)
                .unwrap();
            assert_eq!(row.size, bytes, "{id}: storage for {width} bits");
            assert!(
                spec.flags_agree(row.flags) || row.flags.is_empty(),
                "{id}: flags"
            );
            // The type decodes as its row does, and keeps exactly the row's bits.
            let step = if spec.bits <= 8 { 1 } else { 0x101 };
            for code in (0..spec.code_mask().min(0xFFFF)).step_by(step) {
                let bits = code << spec.storage_shift;
                assert_eq!(
                    (row.decode)(bits).to_bits(),
                    if id == "F32" {
                        bits
                    } else {
                        decode_to_f32_bits(spec, bits)
                    },
                    "{id}: decode of {bits:#x}"
                );
                assert_eq!((row.to_bits)(bits), bits, "{id}: to_bits of {bits:#x}");
            }
            match row.packed_len {
                Some(len) => {
                    assert!(spec.bits < 8, "{id}: packed but a byte wide");
                    assert_eq!(len(8), spec.bits as usize, "{id}: packed width");
                }
                None => assert!(spec.bits >= 8, "{id}: narrower than a byte but not packed"),
            }
        }
        // The MX element rows, against MxFormat.
        let mx: Vec<_> = rows.iter().filter_map(|r| r.mx.map(|m| (r, m))).collect();
        assert_eq!(mx.len(), MX_ELEMENTS.len());
        assert_eq!(
            MxFormat::ALL.len(),
            mx.len() + 1,
            "every MX format but MXINT8"
        );
        for (i, ((row, m), f)) in mx.iter().zip(MxFormat::ALL).enumerate() {
            assert_eq!(format!("{f:?}"), m.variant, "MX row {i}");
            assert_eq!(m.spec, row.spec);
            assert_eq!(MX_ELEMENTS[i].spec, row.spec);
            assert_eq!(f.element_spec(), Some(row.spec));
            assert_eq!(f.name(), m.name);
            assert_eq!(f.element_bits(), row.spec.bits);
            assert_eq!(f.emax(), row.spec.max_exponent());
            assert_eq!(
                f.max().to_bits(),
                decode_to_f32_bits(&row.spec, row.spec.max_code())
            );
            for n in [0, 1, 7, 32, 33] {
                let want = row.packed_len.map_or(n, |len| len(n));
                assert_eq!(mx_element_bytes(f, n), want, "{}: {n} elements", f.name());
            }
        }
        assert_eq!(MxFormat::Int8.element_spec(), None);
        assert_eq!(MxFormat::Int8.name(), "MXINT8");
    }

    /// The compile-time flag check refuses what it should.
    #[test]
    fn flags_agree_is_strict() {
        assert!(table::F8E4M3FN.flags_agree(&["signed", "nan", "neg_zero"]));
        assert!(!table::F8E4M3FN.flags_agree(&["signed", "nan"]));
        assert!(!table::F8E4M3FN.flags_agree(&["signed", "nan", "neg_zero", "infinity"]));
        assert!(!table::F8E4M3FN.flags_agree(&["signed", "nan", "neg_zero", "other"]));
        assert!(table::F8E4M3FNUZ.flags_agree(&["signed", "nan"]));
        assert!(table::F8E8M0FNU.flags_agree(&["nan"]));
        assert!(!table::F8E8M0FNU.flags_agree(&["nan", "signed"]));
        assert!(table::F4E2M1FN.same(&table::F4E2M1FN));
        assert!(!table::F8E4M3.same(&table::F8E4M3FN));
    }
}
