//! Per-axis quantization (ONNX `QuantizeLinear` with a 1-D scale): a parameter set per index
//! along one axis of a row-major tensor.

use super::super::Plan;
use super::jobs::{dequantize_plan, fake_plan, quantize_plan};
use super::{QParams, QuantInt, QuantOptions};
use crate::Error;

/// Quantize per axis (ONNX `QuantizeLinear` with a 1-D scale): element `(…, j, …)` with index
/// `j` along `axis` of the row-major tensor `shape` uses `params[j]`. Rounding, NaN and
/// overflow as [`quantize`](super::quantize).
///
/// Errors (nothing written): shape/length mismatch, axis out of range, `params.len()` not the
/// axis length, any invalid parameter, `out.len() != x.len()`.
///
/// ```
/// use lowp::quant::{quantize_per_axis, QParams};
/// let p = [QParams::new(1.0, 0), QParams::new(0.5, 0)];
/// let mut q = [0i8; 4];
/// quantize_per_axis(&[1.0, 1.0, 2.5, 2.5], &[2, 2], 1, &p, &mut q)?; // one per column
/// assert_eq!(q, [1, 2, 2, 5]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn quantize_per_axis<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    params: &[QParams],
    out: &mut [Q],
) -> Result<(), Error> {
    quantize_per_axis_with(x, shape, axis, params, QuantOptions::default(), out)
}

/// [`quantize_per_axis`] with options.
pub fn quantize_per_axis_with<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    params: &[QParams],
    options: QuantOptions,
    out: &mut [Q],
) -> Result<(), Error> {
    let plan = Plan::new(x.len(), shape, axis, None)?;
    quantize_plan(&plan, x, params, options, out)
}

/// Dequantize per axis (the inverse layout of [`quantize_per_axis`]).
pub fn dequantize_per_axis<Q: QuantInt>(
    q: &[Q],
    shape: &[usize],
    axis: usize,
    params: &[QParams],
    out: &mut [f32],
) -> Result<(), Error> {
    let plan = Plan::new(q.len(), shape, axis, None)?;
    dequantize_plan(&plan, q, params, out)
}

/// Fake-quantize per axis (quantize then dequantize; NaN → 0.0).
pub fn fake_quantize_per_axis<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    params: &[QParams],
    out: &mut [f32],
) -> Result<(), Error> {
    fake_quantize_per_axis_with::<Q>(x, shape, axis, params, QuantOptions::default(), out)
}

/// [`fake_quantize_per_axis`] with options.
pub fn fake_quantize_per_axis_with<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    params: &[QParams],
    options: QuantOptions,
    out: &mut [f32],
) -> Result<(), Error> {
    let plan = Plan::new(x.len(), shape, axis, None)?;
    fake_plan::<Q>(&plan, x, params, options, out)
}
