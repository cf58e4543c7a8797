//! Blocked quantization (ONNX opset 21 `QuantizeLinear` with `block_size`): a parameter set
//! per block of consecutive indices along one axis.

use super::super::Plan;
use super::jobs::{dequantize_plan, fake_plan, quantize_plan};
use super::{QParams, QuantInt, QuantOptions};
use crate::Error;

/// Blocked quantization (ONNX opset 21 `QuantizeLinear` with `block_size`): along `axis`,
/// index `i` uses the parameter at index ⌊i / block_size⌋ of a parameter tensor that has the
/// input's shape with that axis made ⌈D / block_size⌉ (row-major). Rounding, NaN and overflow
/// as [`quantize`](super::quantize).
///
/// Errors (nothing written): block size 0, axis out of range, shape/length mismatch, wrong
/// parameter count, any invalid parameter, `out.len() != x.len()`.
///
/// ```
/// use lowp::quant::{quantize_blocked, QParams};
/// let p = [QParams::new(1.0, 0), QParams::new(0.25, 0)];
/// let mut q = [0i8; 3];
/// quantize_blocked(&[1.0, 1.0, 1.0], &[3], 0, 2, &p, &mut q)?; // blocks {0, 1}, {2}
/// assert_eq!(q, [1, 1, 4]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn quantize_blocked<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    block_size: usize,
    params: &[QParams],
    out: &mut [Q],
) -> Result<(), Error> {
    quantize_blocked_with(
        x,
        shape,
        axis,
        block_size,
        params,
        QuantOptions::default(),
        out,
    )
}

/// [`quantize_blocked`] with options.
pub fn quantize_blocked_with<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    block_size: usize,
    params: &[QParams],
    options: QuantOptions,
    out: &mut [Q],
) -> Result<(), Error> {
    let plan = Plan::new(x.len(), shape, axis, Some(block_size))?;
    quantize_plan(&plan, x, params, options, out)
}

/// Blocked dequantization (ONNX opset 21 `DequantizeLinear` with `block_size`).
pub fn dequantize_blocked<Q: QuantInt>(
    q: &[Q],
    shape: &[usize],
    axis: usize,
    block_size: usize,
    params: &[QParams],
    out: &mut [f32],
) -> Result<(), Error> {
    let plan = Plan::new(q.len(), shape, axis, Some(block_size))?;
    dequantize_plan(&plan, q, params, out)
}

/// Blocked fake quantization (quantize then dequantize; NaN → 0.0).
pub fn fake_quantize_blocked<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    block_size: usize,
    params: &[QParams],
    out: &mut [f32],
) -> Result<(), Error> {
    fake_quantize_blocked_with::<Q>(
        x,
        shape,
        axis,
        block_size,
        params,
        QuantOptions::default(),
        out,
    )
}

/// [`fake_quantize_blocked`] with options.
pub fn fake_quantize_blocked_with<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    block_size: usize,
    params: &[QParams],
    options: QuantOptions,
    out: &mut [f32],
) -> Result<(), Error> {
    let plan = Plan::new(x.len(), shape, axis, Some(block_size))?;
    fake_plan::<Q>(&plan, x, params, options, out)
}
