//! Per-tensor quantization: one parameter set for the whole slice.

use super::super::{check_len, Plan};
use super::jobs::{self, dequantize_plan, fake_plan, quantize_plan};
use super::{qparams_from_data, QParams, QuantInt, QuantOptions, Scheme};
use crate::Error;

/// Quantize per tensor (ONNX `QuantizeLinear`, bit-exact with onnxruntime):
/// q = clamp(round_half_even(x / scale) + zero_point, qmin, qmax), one `f32` division.
///
/// ±∞ and values beyond the range saturate to qmax / qmin; **NaN gives the zero point**
/// (onnxruntime gives qmin). Errors (nothing written): invalid scale, zero point outside the
/// type, `out.len() != x.len()`.
///
/// ```
/// use lowp::quant::{quantize, QParams};
/// let mut q = [0u8; 6];
/// let p = QParams { scale: 0.61576974, zero_point: 10 };
/// quantize(&[56.34293, 0.0, -1e30, f32::INFINITY, f32::NAN, -0.0], p, &mut q)?;
/// assert_eq!(q, [102, 10, 0, 255, 10, 10]); // 56.34293 / s = 91.5 → 92 (ties to even)
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn quantize<Q: QuantInt>(x: &[f32], p: QParams, out: &mut [Q]) -> Result<(), Error> {
    quantize_with(x, p, QuantOptions::default(), out)
}

/// [`quantize`] with a choice of [`ScaleRule`](super::ScaleRule) and range.
///
/// ```
/// use lowp::quant::{quantize_with, QParams, QuantOptions, ScaleRule};
/// let p = QParams { scale: 0.61576974, zero_point: 0 };
/// let o = QuantOptions { rule: ScaleRule::Reciprocal, restricted_range: true };
/// let mut q = [0i8; 2];
/// quantize_with(&[56.34293, -1000.0], p, o, &mut q)?;
/// assert_eq!(q, [91, -127]); // x · (1/s) = 91.49999 → 91; restricted range stops at −127
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn quantize_with<Q: QuantInt>(
    x: &[f32],
    p: QParams,
    options: QuantOptions,
    out: &mut [Q],
) -> Result<(), Error> {
    quantize_plan(&Plan::tensor(x.len()), x, &[p], options, out)
}

/// Dequantize per tensor (ONNX `DequantizeLinear`): (q − zero_point) as `f32` × scale, one
/// `f32` multiply (exact except for the rounding of that product, which overflows to ±∞ as in
/// onnxruntime where the scale is within 255× of `f32::MAX`).
///
/// ```
/// use lowp::quant::{dequantize, QParams};
/// let mut y = [0f32; 3];
/// dequantize(&[0u8, 128, 255], QParams { scale: 0.5, zero_point: 128 }, &mut y)?;
/// assert_eq!(y, [-64.0, 0.0, 63.5]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn dequantize<Q: QuantInt>(q: &[Q], p: QParams, out: &mut [f32]) -> Result<(), Error> {
    dequantize_plan(&Plan::tensor(q.len()), q, &[p], out)
}

/// Quantize then dequantize (QAT-style fake quantization), per tensor, in one pass. NaN gives
/// 0.0 (it quantizes to the zero point); ±∞ give the range's ends.
///
/// ```
/// use lowp::quant::{fake_quantize, QParams};
/// let mut y = [0f32; 3];
/// fake_quantize::<i8>(&[0.3, 100.0, f32::NAN], QParams { scale: 0.25, zero_point: 0 }, &mut y)?;
/// assert_eq!(y, [0.25, 31.75, 0.0]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn fake_quantize<Q: QuantInt>(x: &[f32], p: QParams, out: &mut [f32]) -> Result<(), Error> {
    fake_quantize_with::<Q>(x, p, QuantOptions::default(), out)
}

/// [`fake_quantize`] with options.
pub fn fake_quantize_with<Q: QuantInt>(
    x: &[f32],
    p: QParams,
    options: QuantOptions,
    out: &mut [f32],
) -> Result<(), Error> {
    fake_plan::<Q>(&Plan::tensor(x.len()), x, &[p], options, out)
}

/// [`fake_quantize`] in place.
pub fn fake_quantize_in_place<Q: QuantInt>(x: &mut [f32], p: QParams) -> Result<(), Error> {
    jobs::fake_in_place::<Q>(x, p)
}

/// ONNX `DynamicQuantizeLinear` (bit-exact with onnxruntime): parameters from the data's range
/// widened to include 0 ([`Scheme::Asymmetric`] for `u8`), then [`quantize`]. Returns them.
///
/// NaNs are skipped when finding the range (and quantize to the zero point); an infinity makes
/// the scale infinite and is an error. An all-zero (or empty) input gives scale 1, zero point 0.
///
/// ```
/// use lowp::quant::{dynamic_quantize_u8, QParams};
/// let mut q = [0u8; 4];
/// let p = dynamic_quantize_u8(&[-1.0, 0.0, 1.0, 2.0], &mut q)?;
/// assert_eq!(p, QParams { scale: 3.0 / 255.0, zero_point: 85 });
/// assert_eq!(q, [0, 85, 170, 255]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn dynamic_quantize_u8(x: &[f32], out: &mut [u8]) -> Result<QParams, Error> {
    check_len(x.len(), out.len())?;
    let p = qparams_from_data::<u8>(x, Scheme::Asymmetric)?;
    quantize(x, p, out)?;
    Ok(p)
}
