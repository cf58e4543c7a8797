//! Scale rules of the tools that produce quantized checkpoints, so that lowp can write (or check)
//! their bytes exactly.
//!
//! lowp's own quantizers ([`super::mx`], [`super::scaled`], [`super::int`]) follow one
//! documented rule each. The producers of real checkpoints each follow their own, and they
//! differ in ways that change bytes:
//!
//! | producer | rule | here |
//! |---|---|---|
//! | compressed-tensors (llm-compressor) | every step in the weight's own dtype (bf16/f16/f32, as PyTorch computes), scale = amax / ((qmax − qmin) / 2), 0 → the dtype's eps | [`TorchDtype`], [`ct_scale`], [`ct_quantize_int`], [`ct_quantize_fp8`] |
//! | compressed-tensors NVFP4 | global = dtype(2688 / amax) (1 if not finite); block = E4M3(global · dtype(amax_b / 6)); elements x / (block / global) | [`ct_nvfp4_global_scale`], [`ct_nvfp4_block_scale`], [`ct_quantize_fp4`] |
//! | compressed-tensors, torchao `EVEN` | E8M0: amax's mantissa rounded at 0.75 to a power of two, minus the element's emax | [`E8m0Rule::Even`], [`ct_mx_scale`] |
//! | OCP MX v1.0, torchao `FLOOR` | 2^(⌊log2 amax⌋ − emax) | [`E8m0Rule::Floor`] |
//! | torchao `CEIL` | 2^(⌈log2 amax⌉ − emax) | [`E8m0Rule::Ceil`] |
//! | torchao `RCEIL`, DeepGEMM, cuBLAS, Transformer Engine | 2^⌈log2(amax / max_elem)⌉ | [`E8m0Rule::RCeil`] |
//! | lowp, torchao ≤ 0.16 NVFP4 | block = E4M3(amax / 6 / s), elements x / (block · s) | [`Nvfp4Rule::Divide`] |
//! | torchao ≥ 0.17 NVFP4 | block scale clamped up to 2^−6 before E4M3; elements x · (1 / (block · s)) | [`Nvfp4Rule::Reciprocal`] |
//! | ModelOpt NVFP4 | block = E4M3(amax / (6 · s2)), elements x / (block · s2) | [`Nvfp4Rule::ModelOpt`] |
//!
//! Every function here is exact: each step is one IEEE operation in `f32` followed, where the
//! producer computes in a narrower dtype, by one round-to-nearest-even into that dtype (for
//! bf16 and f16, an `f32` division or product rounded again is the correctly rounded result,
//! since `f32` carries more than twice their precision plus two bits). Results never depend
//! on the FP environment. NaN and infinite inputs give what the producer's formula gives;
//! callers that must refuse them check first.

use super::mx::MxFormat;
use crate::fenv::{div, is_zero, lt, mul};
use crate::kernels::scaled::quotients;
use crate::round::round_half_even;
use crate::{Error, Format, Overflow, Rounding, F4E2M1FN, F8E4M3FN};
use half::{bf16, f16};

/// The dtype in which a PyTorch producer computes (the weight's own dtype).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TorchDtype {
    /// `torch.float32`: steps are plain `f32` operations.
    F32,
    /// `torch.float16`: each step rounded to nearest even into binary16 (overflow to ±∞).
    F16,
    /// `torch.bfloat16`: each step rounded to nearest even into bfloat16.
    BF16,
}

impl TorchDtype {
    /// `x` rounded to this dtype (nearest, ties to even; ±∞ past its range), as an `f32`.
    ///
    /// ```
    /// use lowp::quant::producer::TorchDtype;
    /// assert_eq!(TorchDtype::BF16.round(1.0 + 1.0 / 256.0), 1.0); // tie to even
    /// assert_eq!(TorchDtype::F16.round(70000.0), f32::INFINITY);
    /// ```
    #[inline(always)]
    pub fn round(self, x: f32) -> f32 {
        match self {
            TorchDtype::F32 => x,
            TorchDtype::F16 => f16::from_f32(x).to_f32(),
            TorchDtype::BF16 => round_bf16(x),
        }
    }

    /// `torch.finfo(dtype).eps`: 2^−23, 2^−10, 2^−7.
    pub fn eps(self) -> f32 {
        match self {
            TorchDtype::F32 => f32::EPSILON,
            TorchDtype::F16 => 1.0 / 1024.0,
            TorchDtype::BF16 => 1.0 / 128.0,
        }
    }

    /// `torch.finfo(dtype).tiny` (smallest normal): 2^−126, 2^−14, 2^−126.
    pub fn tiny(self) -> f32 {
        match self {
            TorchDtype::F16 => 1.0 / 16384.0,
            _ => f32::MIN_POSITIVE,
        }
    }

    /// Mantissa bits (23, 10, 7).
    pub fn mantissa_bits(self) -> u32 {
        match self {
            TorchDtype::F32 => 23,
            TorchDtype::F16 => 10,
            TorchDtype::BF16 => 7,
        }
    }
}

/// `x` rounded to the nearest bfloat16 (ties to even) on its bits: add 0x7FFF plus the lowest
/// kept bit, clear the low half (a carry into the exponent is the correct rounding up, to ∞ past
/// the largest bf16); NaN is kept (quieted).
#[inline(always)]
fn round_bf16(x: f32) -> f32 {
    let b = x.to_bits();
    if x.is_nan() {
        return f32::from_bits(b | 0x0040_0000);
    }
    let r = b.wrapping_add(0x7FFF + ((b >> 16) & 1));
    f32::from_bits(r & 0xFFFF_0000)
}

/// `Err(LengthMismatch)` unless the output has the input's length (checked before anything is
/// written).
fn same_len(x: usize, out: usize) -> Result<(), Error> {
    if x == out {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            expected: x,
            found: out,
        })
    }
}

/// The element types compressed-tensors quantizes weights to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CtElement {
    /// int8, q ∈ [−128, 127].
    Int8,
    /// int4, q ∈ [−8, 7].
    Int4,
    /// float8_e4m3fn, ±448.
    Fp8E4M3,
    /// float4_e2m1, ±6.
    Fp4E2M1,
}

impl CtElement {
    /// (qmin, qmax) as compressed-tensors' `calculate_range` gives them.
    pub fn range(self) -> (f32, f32) {
        match self {
            CtElement::Int8 => (-128.0, 127.0),
            CtElement::Int4 => (-8.0, 7.0),
            CtElement::Fp8E4M3 => (-448.0, 448.0),
            CtElement::Fp4E2M1 => (-6.0, 6.0),
        }
    }

    /// (qmax − qmin) / 2: 127.5, 7.5, 448, 6.
    pub fn half_range(self) -> f32 {
        let (lo, hi) = self.range();
        (hi - lo) / 2.0
    }
}

/// The largest magnitude of a group as compressed-tensors' min-max observer sees it:
/// max(|min(x, 0)|, max(x, 0)), i.e. max |x| (0 for an empty group). NaN where any element is
/// NaN.
pub fn ct_amax(x: &[f32]) -> f32 {
    // Integer max of the magnitude bits: the same order as the values for non-NaN floats,
    // and it vectorizes; any NaN magnitude exceeds every other.
    let mut m = 0u32;
    for &v in x {
        m = m.max(v.to_bits() & 0x7FFF_FFFF);
    }
    if m > 0x7F80_0000 {
        f32::NAN
    } else {
        f32::from_bits(m)
    }
}

/// compressed-tensors' symmetric scale (no `scale_dtype`): `dtype(amax / half_range)`, and the
/// dtype's eps where that is 0. The scale is stored in the weight's dtype.
///
/// ```
/// use lowp::quant::producer::{ct_scale, CtElement, TorchDtype};
/// assert_eq!(ct_scale(448.0, CtElement::Fp8E4M3, TorchDtype::BF16), 1.0);
/// assert_eq!(ct_scale(1.0, CtElement::Int8, TorchDtype::BF16), 0.007873535); // bf16(1/127.5)
/// assert_eq!(ct_scale(0.0, CtElement::Int4, TorchDtype::F16), 1.0 / 1024.0);
/// ```
pub fn ct_scale(amax: f32, element: CtElement, dtype: TorchDtype) -> f32 {
    let s = dtype.round(div(amax, element.half_range()));
    if is_zero(s) {
        dtype.eps()
    } else {
        s
    }
}

/// compressed-tensors' integer quantization of `x` (values of the weight's dtype) with a scale
/// of that dtype: q = round_half_even(clamp(dtype(x / scale), qmin, qmax)). `element` is
/// [`CtElement::Int8`] or [`CtElement::Int4`] (any other is treated as int8). NaN gives 0.
///
/// ```
/// use lowp::quant::producer::{ct_quantize_int, CtElement, TorchDtype};
/// let mut q = [0i8; 3];
/// ct_quantize_int(&[0.25, -1.0, 3.0], 0.5, CtElement::Int4, TorchDtype::BF16, &mut q).unwrap();
/// assert_eq!(q, [0, -2, 6]);
/// // A length mismatch is an error, and nothing is written.
/// assert!(ct_quantize_int(&[1.0], 0.5, CtElement::Int8, TorchDtype::BF16, &mut q).is_err());
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] if `out.len() != x.len()` (`out` untouched).
pub fn ct_quantize_int(
    x: &[f32],
    scale: f32,
    element: CtElement,
    dtype: TorchDtype,
    out: &mut [i8],
) -> Result<(), Error> {
    same_len(x.len(), out.len())?;
    let (lo, hi) = match element {
        CtElement::Int4 => CtElement::Int4.range(),
        _ => CtElement::Int8.range(),
    };
    let mut q = [0f32; 256];
    for (xs, os) in x.chunks(256).zip(out.chunks_mut(256)) {
        let q = &mut q[..xs.len()];
        quotients(xs, scale, q);
        for (o, &y) in os.iter_mut().zip(q.iter()) {
            let y = dtype.round(y);
            let y = if y.is_nan() { 0.0 } else { y.clamp(lo, hi) };
            *o = round_half_even(y) as i8;
        }
    }
    Ok(())
}

/// compressed-tensors' FP8 (E4M3FN) quantization of `x` with a scale of the weight's dtype:
/// E4M3FN(clamp(dtype(x / scale), −448, 448)), nearest even (through lowp's batch encoder).
/// NaN stays NaN (0x7F with its sign).
///
/// ```
/// use lowp::quant::producer::{ct_quantize_fp8, TorchDtype};
/// use lowp::F8E4M3FN;
/// let mut q = [F8E4M3FN::ZERO; 2];
/// ct_quantize_fp8(&[1000.0, -0.5], 1.0, TorchDtype::BF16, &mut q).unwrap();
/// assert_eq!([q[0].to_bits(), q[1].to_bits()], [0x7E, 0xB0]); // 448 (clamped), −0.5
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] if `out.len() != x.len()` (`out` untouched).
pub fn ct_quantize_fp8(
    x: &[f32],
    scale: f32,
    dtype: TorchDtype,
    out: &mut [F8E4M3FN],
) -> Result<(), Error> {
    same_len(x.len(), out.len())?;
    let mut tmp = [0f32; 256];
    for (xs, os) in x.chunks(256).zip(out.chunks_mut(256)) {
        let t = &mut tmp[..xs.len()];
        match dtype {
            // One loop per dtype, so that each vectorizes.
            TorchDtype::BF16 => fp8_stage(xs, scale, t, round_bf16),
            TorchDtype::F16 => fp8_stage(xs, scale, t, |v| f16::from_f32(v).to_f32()),
            TorchDtype::F32 => fp8_stage(xs, scale, t, |v| v),
        }
        crate::slice::encode_with(t, os, Rounding::NearestEven, Overflow::Saturate);
    }
    Ok(())
}

#[inline(always)]
fn fp8_stage(x: &[f32], scale: f32, t: &mut [f32], round: impl Fn(f32) -> f32) {
    // x / scale as the default environment divides (CONTRACT.md §14), then the dtype.
    quotients(x, scale, t);
    for t in t.iter_mut() {
        let y = round(*t);
        *t = if y.is_nan() {
            y
        } else {
            y.clamp(-448.0, 448.0)
        };
    }
}

/// compressed-tensors' NVFP4 global scale of a set of weights whose largest magnitude is
/// `amax`: `dtype(dtype(1 / max(amax, tiny)) · 2688)` as `f32` (PyTorch evaluates
/// `2688 / t` as `t.reciprocal() * 2688`, two roundings), and 1 where that is not finite (an
/// all-zero or tiny set; in f16 any amax below 2688 / 65504 ≈ 0.041).
///
/// ```
/// use lowp::quant::producer::{ct_nvfp4_global_scale, TorchDtype};
/// assert_eq!(ct_nvfp4_global_scale(2688.0, TorchDtype::BF16), 1.0);
/// assert_eq!(ct_nvfp4_global_scale(0.0, TorchDtype::BF16), 1.0);
/// assert_eq!(ct_nvfp4_global_scale(0.01, TorchDtype::F16), 1.0); // 268800 overflows f16
/// assert_eq!(ct_nvfp4_global_scale(3.0, TorchDtype::BF16), 896.0);
/// ```
pub fn ct_nvfp4_global_scale(amax: f32, dtype: TorchDtype) -> f32 {
    let a = if lt(amax, dtype.tiny()) {
        dtype.tiny()
    } else {
        amax
    };
    let g = dtype.round(mul(dtype.round(div(1.0, a)), 2688.0));
    if g.is_finite() {
        g
    } else {
        1.0
    }
}

/// compressed-tensors' NVFP4 block scale: E4M3FN(clamp(global · dtype(amax / 6), ±448)),
/// nearest even, and 0.125 where that is 0.
///
/// ```
/// use lowp::quant::producer::{ct_nvfp4_block_scale, TorchDtype};
/// assert_eq!(ct_nvfp4_block_scale(6.0, 448.0, TorchDtype::BF16).to_f32(), 448.0);
/// assert_eq!(ct_nvfp4_block_scale(0.0, 448.0, TorchDtype::BF16).to_f32(), 0.125);
/// ```
pub fn ct_nvfp4_block_scale(amax: f32, global: f32, dtype: TorchDtype) -> F8E4M3FN {
    let local = dtype.round(div(amax, 6.0));
    let s = mul(global, local);
    let s = if s.is_nan() {
        s
    } else {
        s.clamp(-448.0, 448.0)
    };
    let q = F8E4M3FN::from_f32_with(s, Rounding::NearestEven, Overflow::Saturate);
    if q.to_f32() == 0.0 {
        F8E4M3FN::from_f32(0.125)
    } else {
        q
    }
}

/// The E2M1 code (sign in bit 3) of `y` as compressed-tensors' CPU `cast_to_fp4` and
/// `pack_fp4_to_uint8` give it: clamp to ±6, nearest even; a zero result keeps the sign of a
/// negative input (−0.1 → 0x8) but an input of ±0 gives 0x0.
#[inline]
pub fn ct_fp4_code(y: f32) -> u8 {
    if is_zero(y) || y.is_nan() {
        return 0;
    }
    F4E2M1FN::from_f32_with(
        y.clamp(-6.0, 6.0),
        Rounding::NearestEven,
        Overflow::Saturate,
    )
    .to_bits()
}

/// compressed-tensors' FP4 elements for NVFP4 (`divisor` = block scale / global scale,
/// computed in `f32`, and y = x / divisor in `f32`) or MXFP4 (`divisor` = the power-of-two
/// scale as the weight's dtype holds it, y = dtype(x / divisor)): pass the dtype the division
/// is rounded to ([`TorchDtype::F32`] for NVFP4). Codes as [`ct_fp4_code`], packed two per
/// byte, element 2i in the low nibble of byte i (`pack_fp4_to_uint8`), through lowp's batch
/// encoder.
///
/// ```
/// use lowp::quant::producer::{ct_quantize_fp4, TorchDtype};
/// let mut p = [0u8; 2];
/// ct_quantize_fp4(&[6.0, -1.25, -0.0, -0.1], 1.0, TorchDtype::F32, &mut p).unwrap();
/// assert_eq!(p, [0xA7, 0x80]); // 6 → 0x7, −1.25 → −1 (0xA); −0 → 0x0, −0.1 → −0 (0x8)
/// ```
///
/// # Errors
/// [`Error::InvalidInput`] if `x.len()` is odd (codes are packed two per byte);
/// [`Error::LengthMismatch`] (counted in bytes) if `packed.len() != x.len() / 2`. `packed` is
/// untouched on an error.
pub fn ct_quantize_fp4(
    x: &[f32],
    divisor: f32,
    dtype: TorchDtype,
    packed: &mut [u8],
) -> Result<(), Error> {
    if !x.len().is_multiple_of(2) {
        return Err(Error::InvalidInput(
            "ct_quantize_fp4: an odd element count (FP4 codes are packed two per byte)",
        ));
    }
    same_len(x.len() / 2, packed.len())?;
    let mut tmp = [0f32; 256];
    for (xs, ps) in x.chunks(256).zip(packed.chunks_mut(128)) {
        let t = &mut tmp[..xs.len()];
        match dtype {
            TorchDtype::BF16 => fp4_stage(xs, divisor, t, round_bf16),
            TorchDtype::F16 => fp4_stage(xs, divisor, t, |v| f16::from_f32(v).to_f32()),
            TorchDtype::F32 => fp4_stage(xs, divisor, t, |v| v),
        }
        crate::slice::encode_packed_with::<F4E2M1FN>(
            t,
            ps,
            Rounding::NearestEven,
            Overflow::Saturate,
        );
    }
    Ok(())
}

#[inline(always)]
fn fp4_stage(x: &[f32], divisor: f32, t: &mut [f32], round: impl Fn(f32) -> f32) {
    quotients(x, divisor, t);
    for t in t.iter_mut() {
        let y = round(*t);
        // ±0 (and NaN) → +0: `sign(±0) = 0` in the CPU cast; tiny negatives keep their sign.
        *t = if is_zero(y) || y.is_nan() {
            0.0
        } else {
            y.clamp(-6.0, 6.0)
        };
    }
}

/// compressed-tensors' MX (E8M0) scale of a group of 32 whose largest magnitude is `amax`
/// (a value of the weight's dtype), for FP4 elements: returns (the E8M0 code it stores, the
/// scale it divides by, as the weight's dtype holds it). The exponent is amax rounded to a
/// power of two by adding half of the element's mantissa step at the dtype's bit level
/// ([`E8m0Rule::Even`]), minus 2; clamped to a code in [0, 255]. Where 2^(code − 127) is 0 in
/// the dtype (f16 below 2^−24) the divisor is 1 and the stored code 127.
///
/// ```
/// use lowp::quant::producer::{ct_mx_scale, TorchDtype};
/// assert_eq!(ct_mx_scale(7.0, TorchDtype::BF16), (127 + 1, 2.0)); // 1.75·2^2 → 8 → 2^(3−2)
/// assert_eq!(ct_mx_scale(6.0, TorchDtype::BF16), (127, 1.0));     // 1.5·2^2 → 4 (6 / 1 = 6 fits)
/// assert_eq!(ct_mx_scale(5.0, TorchDtype::BF16), (127, 1.0));     // 1.25·2^2 → 4
/// assert_eq!(ct_mx_scale(0.0, TorchDtype::BF16).0, 0);
/// ```
pub fn ct_mx_scale(amax: f32, dtype: TorchDtype) -> (u8, f32) {
    let m = dtype.mantissa_bits();
    // round_to_power_2 on the dtype's bits: add 1 << (m − 1 − 1), keep sign and exponent.
    let p2 = match dtype {
        TorchDtype::F32 => {
            let b = amax.to_bits().wrapping_add(1 << (m - 2)) & 0xFF80_0000;
            f32::from_bits(b)
        }
        TorchDtype::BF16 => {
            let b = bf16::from_f32(amax).to_bits();
            let b = b.wrapping_add(1 << (m - 2)) & 0xFF80;
            bf16::from_bits(b).to_f32()
        }
        TorchDtype::F16 => {
            let b = f16::from_f32(amax).to_bits();
            let b = b.wrapping_add(1 << (m - 2)) & 0xFC00;
            f16::from_bits(b).to_f32()
        }
    };
    let code: i32 = if is_zero(p2) {
        0
    } else if !p2.is_finite() {
        255
    } else {
        (127 + super::mx::floor_log2(p2) - 2).clamp(0, 255)
    };
    let s = dtype.round(pow2(code - 127));
    if is_zero(s) || !s.is_finite() {
        let s = if is_zero(s) { 1.0 } else { s };
        let stored = if s.is_finite() {
            127 + super::mx::floor_log2(s)
        } else {
            255
        };
        return (stored.clamp(0, 255) as u8, s);
    }
    (code as u8, s)
}

/// 2^e as `f32` for e in [−149, 127] (0 below, ∞ above).
fn pow2(e: i32) -> f32 {
    if e > 127 {
        f32::INFINITY
    } else if e >= -126 {
        f32::from_bits(((e + 127) as u32) << 23)
    } else if e >= -149 {
        f32::from_bits(1 << (e + 149))
    } else {
        0.0
    }
}

/// The four ways producers choose an MX (E8M0) shared exponent from a block's amax.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum E8m0Rule {
    /// OCP MX v1.0 and torchao `FLOOR`: ⌊log2 amax⌋ − emax_elem (lowp's default,
    /// [`super::MxScaleRule::Floor`]).
    #[default]
    Floor,
    /// torchao `CEIL`: ⌈log2 amax⌉ − emax_elem.
    Ceil,
    /// torchao `EVEN` and compressed-tensors: amax rounded to a power of two at the element's
    /// mantissa width (up where its f32 mantissa reaches the midpoint of the element's last
    /// step), then log2 − emax_elem.
    Even,
    /// torchao `RCEIL`, DeepGEMM, cuBLAS and Transformer Engine: ⌈log2(amax / max_elem)⌉
    /// (lowp's [`super::MxScaleRule::RoundUp`]); never saturates.
    RCeil,
}

/// The unbiased shared exponent E (scale 2^E) for a block whose largest magnitude is `amax`
/// under `rule`, clamped to [−127, 127]; `None` where amax is NaN or infinite; −127 for 0.
///
/// ```
/// use lowp::quant::producer::{e8m0_exponent, E8m0Rule::*};
/// use lowp::quant::MxFormat;
/// let f = MxFormat::E2M1; // emax 2, max 6
/// assert_eq!(e8m0_exponent(5.0, f, Floor), Some(0));
/// assert_eq!(e8m0_exponent(5.0, f, Ceil), Some(1));
/// assert_eq!(e8m0_exponent(5.0, f, Even), Some(0));   // 1.25 · 2^2 rounds down
/// assert_eq!(e8m0_exponent(7.0, f, Even), Some(1));   // 1.75 · 2^2 rounds up
/// assert_eq!(e8m0_exponent(6.5, f, RCeil), Some(1));  // 6.5 / 6 > 1
/// assert_eq!(e8m0_exponent(6.0, f, RCeil), Some(0));
/// ```
pub fn e8m0_exponent(amax: f32, format: MxFormat, rule: E8m0Rule) -> Option<i32> {
    let a = f32::from_bits(amax.to_bits() & 0x7FFF_FFFF);
    if !a.is_finite() {
        return None;
    }
    if is_zero(a) {
        return Some(-127);
    }
    let emax = format.emax();
    let e = match rule {
        E8m0Rule::Floor => super::mx::floor_log2(a) - emax,
        E8m0Rule::Ceil => {
            let f = super::mx::floor_log2(a);
            let exact = pow2(f).to_bits() == a.to_bits(); // on the bits: DAZ-proof
            f + i32::from(!exact) - emax
        }
        E8m0Rule::Even => {
            // Add half an element step (element mantissa bits m: 1 << (23 − m − 1)) to the
            // f32 bits, then keep sign and exponent.
            let m = element_mantissa_bits(format);
            let b = (a.to_bits() + (1u32 << (23 - m - 1))) & 0xFF80_0000;
            let p = f32::from_bits(b);
            if !p.is_finite() {
                128 - emax
            } else {
                super::mx::floor_log2(p) - emax
            }
        }
        E8m0Rule::RCeil => {
            return super::mx::mx_shared_exponent(a, format, super::MxScaleRule::RoundUp);
        }
    };
    Some(e.clamp(-127, 127))
}

/// Mantissa bits of an MX element format.
fn element_mantissa_bits(format: MxFormat) -> u32 {
    match format {
        MxFormat::E4M3 => 3,
        MxFormat::E5M2 => 2,
        MxFormat::E2M3 => 3,
        MxFormat::E3M2 => 2,
        MxFormat::E2M1 => 1,
        MxFormat::Int8 => 6,
    }
}

/// How NVFP4 block scales and elements are computed (the tensor scale `s` = amax / 2688 in
/// lowp's and torchao's convention, its reciprocal `global` in compressed-tensors').
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Nvfp4Rule {
    /// lowp and torchao ≤ 0.16: block = E4M3(amax / 6 / s) (two `f32` divisions), elements
    /// x / (block · s).
    #[default]
    Divide,
    /// torchao ≥ 0.17: block = E4M3(max(amax / 6 / s, 2^−6)) (the block scale clamped up to
    /// E4M3's smallest normal), then elements x · (1 / (block · s)): the reciprocal is
    /// rounded first, so some FP4 ties go the other way.
    Reciprocal,
    /// NVIDIA ModelOpt: block = E4M3(amax / (6 · s)) (one product then one division), elements
    /// x / (block · s).
    ModelOpt,
}

/// One NVFP4 block (≤ 16 values) under `rule` with tensor scale `s` (amax / 2688): returns the
/// E4M3FN block scale and writes FP4 codes (sign in bit 3) to `codes`.
///
/// - [`Nvfp4Rule::Divide`]: block = E4M3(amax / 6 / s) saturated; y = x / (block · s); a zero
///   divisor gives ±0 codes (lowp's [`super::nvfp4_quantize`]).
/// - [`Nvfp4Rule::Reciprocal`] (torchao 0.17+ `nvfp4_quantize` with a per-tensor scale):
///   block = E4M3(clamp((amax / 6) / s, 2^−6, 448)); y = x · ((1 / s) / block); the sign of a
///   zero result is kept.
/// - [`Nvfp4Rule::ModelOpt`] (`NVFP4QTensor.quantize`): block = amax / (6 · s), 1 where 0,
///   E4M3(clamp(·, 2^−9, 448)); y = x / (block · s); ±0 gives 0x0, a negative rounding to 0
///   gives 0x8.
///
/// Every element is clamped to ±6 and rounded to nearest even. Non-finite blocks give the NaN
/// scale and codes 0.
///
/// ```
/// use lowp::quant::producer::{nvfp4_block, Nvfp4Rule};
/// let mut c = [0u8; 2];
/// let s = nvfp4_block(&[6.0, -1.25], 1.0, Nvfp4Rule::Divide, &mut c).unwrap();
/// assert_eq!((s.to_f32(), c), (1.0, [0x7, 0xA])); // −1.25 ties to −1.0
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] if `codes.len() != x.len()` (`codes` untouched).
pub fn nvfp4_block(
    x: &[f32],
    s: f32,
    rule: Nvfp4Rule,
    codes: &mut [u8],
) -> Result<F8E4M3FN, Error> {
    same_len(x.len(), codes.len())?;
    let amax = ct_amax(x);
    if !amax.is_finite() {
        codes.fill(0);
        return Ok(F8E4M3FN::NAN);
    }
    let e4m3 = |v: f32| F8E4M3FN::from_f32_with(v, Rounding::NearestEven, Overflow::Saturate);
    let fp4 = |y: f32| {
        F4E2M1FN::from_f32_with(
            y.clamp(-6.0, 6.0),
            Rounding::NearestEven,
            Overflow::Saturate,
        )
        .to_bits()
    };
    match rule {
        Nvfp4Rule::Divide => {
            let bs = e4m3(div(div(amax, 6.0), s));
            let total = mul(bs.to_f32(), s);
            for (c, &v) in codes.iter_mut().zip(x) {
                *c = if is_zero(total) {
                    ((v.to_bits() >> 31) as u8) << 3
                } else {
                    fp4(div(v, total))
                };
            }
            Ok(bs)
        }
        Nvfp4Rule::Reciprocal => {
            let bs = e4m3(div(div(amax, 6.0), s).clamp(1.0 / 64.0, 448.0));
            let r = div(div(1.0, s), bs.to_f32());
            for (c, &v) in codes.iter_mut().zip(x) {
                *c = fp4(mul(v, r));
            }
            Ok(bs)
        }
        Nvfp4Rule::ModelOpt => {
            let b = div(amax, mul(6.0, s));
            let b = if is_zero(b) { 1.0 } else { b };
            let bs = e4m3(b.clamp(1.0 / 512.0, 448.0));
            let total = mul(bs.to_f32(), s);
            for (c, &v) in codes.iter_mut().zip(x) {
                *c = ct_fp4_code(div(v, total));
            }
            Ok(bs)
        }
    }
}

/// One MX block as torchao's `to_mx` quantizes it under `rule`: returns the biased E8M0 scale
/// byte (255 for a NaN block) and writes element codes (FP4: sign in bit 3; FP8 E4M3FN: the
/// byte) to `codes`. `format` is [`MxFormat::E2M1`] or [`MxFormat::E4M3`].
///
/// Floor, Ceil, Even: the exponent from amax's `f32` bits, clamped to [−127, 127]; elements
/// x / max(2^E, 2^−126) (torchao keeps the scale normal). RCeil: E = ⌈log2(amax / max_elem)⌉
/// clamped to [−127, 127]; elements x · 2^−E (1 where the byte is 0), clamped to ±max. Elements
/// round to nearest even, saturating, keeping the sign of zero.
///
/// ```
/// use lowp::quant::producer::{mx_block, E8m0Rule};
/// use lowp::quant::MxFormat;
/// let mut c = [0u8; 2];
/// assert_eq!(mx_block(&[7.0, -0.5], MxFormat::E2M1, E8m0Rule::Even, &mut c), Ok(128));
/// assert_eq!(c, [0x6, 0x8]); // 7 / 2 = 3.5 ties to 4 (0x6); −0.5 / 2 = −0.25 ties to −0 (0x8)
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] if `codes.len() != x.len()` (`codes` untouched).
pub fn mx_block(
    x: &[f32],
    format: MxFormat,
    rule: E8m0Rule,
    codes: &mut [u8],
) -> Result<u8, Error> {
    same_len(x.len(), codes.len())?;
    let amax = ct_amax(x);
    let Some(e) = e8m0_exponent(amax, format, rule) else {
        codes.fill(0);
        return Ok(255);
    };
    let byte = (e + 127) as u8;
    let max = format.max();
    let enc = |y: f32| -> u8 {
        match format {
            MxFormat::E4M3 => {
                F8E4M3FN::from_f32_with(y, Rounding::NearestEven, Overflow::Saturate).to_bits()
            }
            _ => F4E2M1FN::from_f32_with(y, Rounding::NearestEven, Overflow::Saturate).to_bits(),
        }
    };
    if rule == E8m0Rule::RCeil {
        let r = if byte == 0 { 1.0 } else { pow2(-e) };
        for (c, &v) in codes.iter_mut().zip(x) {
            *c = enc(mul(v, r).clamp(-max, max));
        }
    } else {
        let scale = pow2(e).max(f32::MIN_POSITIVE);
        for (c, &v) in codes.iter_mut().zip(x) {
            *c = enc(div(v, scale).clamp(-max, max));
        }
    }
    Ok(byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_at(b: &[u8], i: usize) -> u32 {
        u32::from_le_bytes(b[i..i + 4].try_into().unwrap())
    }

    fn f32s(b: &[u8], n: usize) -> Vec<f32> {
        (0..n).map(|i| f32::from_bits(u32_at(b, 4 * i))).collect()
    }

    /// torchao's own `to_mx` outputs, every scale mode, FP4 and FP8 elements.
    #[test]
    fn mx_rules_match_torchao() {
        let files: [(&str, &[u8]); 8] = [
            (
                "floor fp4",
                include_bytes!("../../tests/data/producer/mx_floor_fp4.bin"),
            ),
            (
                "floor fp8",
                include_bytes!("../../tests/data/producer/mx_floor_fp8.bin"),
            ),
            (
                "ceil fp4",
                include_bytes!("../../tests/data/producer/mx_ceil_fp4.bin"),
            ),
            (
                "ceil fp8",
                include_bytes!("../../tests/data/producer/mx_ceil_fp8.bin"),
            ),
            (
                "even fp4",
                include_bytes!("../../tests/data/producer/mx_even_fp4.bin"),
            ),
            (
                "even fp8",
                include_bytes!("../../tests/data/producer/mx_even_fp8.bin"),
            ),
            (
                "rceil fp4",
                include_bytes!("../../tests/data/producer/mx_rceil_fp4.bin"),
            ),
            (
                "rceil fp8",
                include_bytes!("../../tests/data/producer/mx_rceil_fp8.bin"),
            ),
        ];
        for (name, b) in files {
            let rule = match &name[..name.find(' ').unwrap()] {
                "floor" => E8m0Rule::Floor,
                "ceil" => E8m0Rule::Ceil,
                "even" => E8m0Rule::Even,
                _ => E8m0Rule::RCeil,
            };
            let fp4 = name.ends_with("fp4");
            let format = if fp4 { MxFormat::E2M1 } else { MxFormat::E4M3 };
            let n = u32_at(b, 0) as usize;
            let rec = 128 + 1 + if fp4 { 16 } else { 32 };
            assert_eq!(b.len(), 4 + n * rec, "{name}");
            for k in 0..n {
                let r = &b[4 + k * rec..4 + (k + 1) * rec];
                let x = f32s(r, 32);
                let mut codes = [0u8; 32];
                let byte = mx_block(&x, format, rule, &mut codes).unwrap();
                assert_eq!(
                    byte,
                    r[128],
                    "{name} block {k}: scale byte (amax {})",
                    ct_amax(&x)
                );
                let want: Vec<u8> = if fp4 {
                    r[129..].iter().flat_map(|p| [p & 0xF, p >> 4]).collect()
                } else {
                    r[129..].to_vec()
                };
                assert_eq!(&codes[..], &want[..], "{name} block {k}: elements");
            }
        }
    }

    fn check_nvfp4(name: &str, b: &[u8], rule: Nvfp4Rule) {
        let (rows, cols) = (u32_at(b, 0) as usize, u32_at(b, 4) as usize);
        let s = f32::from_bits(u32_at(b, 8));
        let n = rows * cols;
        let x = f32s(&b[12..], n);
        let scales = &b[12 + 4 * n..12 + 4 * n + n / 16];
        let packed = &b[12 + 4 * n + n / 16..];
        assert_eq!(packed.len(), n / 2, "{name}");
        let mut codes = [0u8; 16];
        for blk in 0..n / 16 {
            let bs = nvfp4_block(&x[blk * 16..blk * 16 + 16], s, rule, &mut codes).unwrap();
            assert_eq!(bs.to_bits(), scales[blk], "{name} block {blk}: scale");
            let want: Vec<u8> = packed[blk * 8..blk * 8 + 8]
                .iter()
                .flat_map(|p| [p & 0xF, p >> 4])
                .collect();
            assert_eq!(&codes[..], &want[..], "{name} block {blk}: elements");
        }
    }

    /// torchao 0.18's two-level `nvfp4_quantize` (reciprocal elements, block scale ≥ 2^−6).
    #[test]
    fn nvfp4_reciprocal_matches_torchao() {
        check_nvfp4(
            "torchao",
            include_bytes!("../../tests/data/producer/nvfp4_torchao.bin"),
            Nvfp4Rule::Reciprocal,
        );
    }

    /// ModelOpt 0.47's `NVFP4QTensor.quantize`.
    #[test]
    fn nvfp4_modelopt_matches_modelopt() {
        check_nvfp4(
            "modelopt",
            include_bytes!("../../tests/data/producer/nvfp4_modelopt.bin"),
            Nvfp4Rule::ModelOpt,
        );
    }

    /// The vectors tell the rules apart: another rule disagrees with each producer somewhere.
    #[test]
    fn the_vectors_separate_the_rules() {
        let differs = |b: &[u8], rule: Nvfp4Rule| {
            std::panic::catch_unwind(|| check_nvfp4("other", b, rule)).is_err()
        };
        let t: &[u8] = include_bytes!("../../tests/data/producer/nvfp4_torchao.bin");
        let m: &[u8] = include_bytes!("../../tests/data/producer/nvfp4_modelopt.bin");
        assert!(differs(t, Nvfp4Rule::Divide) && differs(t, Nvfp4Rule::ModelOpt));
        assert!(differs(m, Nvfp4Rule::Divide) && differs(m, Nvfp4Rule::Reciprocal));
        let even: &[u8] = include_bytes!("../../tests/data/producer/mx_even_fp4.bin");
        let n = u32_at(even, 0) as usize;
        let mut seen = [false; 3];
        for k in 0..n {
            let r = &even[4 + k * 145..4 + (k + 1) * 145];
            let x = f32s(r, 32);
            let mut c = [0u8; 32];
            for (i, rule) in [E8m0Rule::Floor, E8m0Rule::Ceil, E8m0Rule::RCeil]
                .into_iter()
                .enumerate()
            {
                seen[i] |= mx_block(&x, MxFormat::E2M1, rule, &mut c).unwrap() != r[128];
            }
        }
        assert_eq!(seen, [true; 3]);
    }

    /// The default rule is lowp's own NVFP4 quantizer, unchanged.
    #[test]
    fn nvfp4_divide_is_lowps_quantizer() {
        let x: Vec<f32> = (0..64)
            .map(|i| ((i * 37 % 23) as f32 - 11.0) * 0.173)
            .collect();
        let s = super::super::nvfp4_tensor_scale(&x);
        let mut bs = [F8E4M3FN::ZERO; 4];
        let mut p = [0u8; 32];
        super::super::nvfp4_quantize(&x, s, &mut bs, &mut p).unwrap();
        let mut codes = [0u8; 16];
        for b in 0..4 {
            assert_eq!(
                nvfp4_block(&x[b * 16..b * 16 + 16], s, Nvfp4Rule::Divide, &mut codes).unwrap(),
                bs[b]
            );
            let want: Vec<u8> = p[b * 8..b * 8 + 8]
                .iter()
                .flat_map(|q| [q & 0xF, q >> 4])
                .collect();
            assert_eq!(&codes[..], &want[..]);
        }
    }

    /// Floor and RCeil are lowp's MX rules.
    #[test]
    fn floor_and_rceil_are_lowps_mx_rules() {
        for a in [0.0f32, 1e-30, 0.37, 5.0, 6.0, 6.5, 448.0, 449.0, 1e30] {
            for f in [MxFormat::E2M1, MxFormat::E4M3] {
                assert_eq!(
                    e8m0_exponent(a, f, E8m0Rule::Floor),
                    super::super::mx_shared_exponent(a, f, super::super::MxScaleRule::Floor)
                );
                assert_eq!(
                    e8m0_exponent(a, f, E8m0Rule::RCeil),
                    super::super::mx_shared_exponent(a, f, super::super::MxScaleRule::RoundUp)
                );
            }
        }
    }
}
