//! One granularity value instead of `_per_axis` / `_blocked` families.
//!
//! [`Granularity`] says which elements share a parameter; each operation then is one function
//! that takes its data first, then the granularity and the parameters, then its output — in
//! quantize and dequantize alike:
//!
//! | | integers ([`QParams`]) | scaled floats (f32 scales) |
//! |---|---|---|
//! | choose parameters | [`qparams`] | [`scales`] |
//! | quantize | [`quantize_int`] | [`quantize_float`] |
//! | dequantize | [`dequantize_int`] | [`dequantize_float`] |
//! | quantize and dequantize | [`fake_quantize_int`] | [`fake_quantize_float`] |
//!
//! Each gives the bits of the per-tensor, per-axis or blocked function it stands for (the
//! older names stay for code written against them).
//!
//! ```
//! use lowp::quant::{self, Granularity, QParams, QuantOptions, Scheme};
//! // A 2×4 weight, one scale per output row (axis 0), symmetric int8.
//! let w = [0.5f32, -1.0, 0.25, 2.0, 10.0, -3.0, 0.0, 1.0];
//! let per_row = Granularity::PerAxis { shape: &[2, 4], axis: 0 };
//! let mut p = [QParams::new(1.0, 0); 2];
//! quant::qparams::<i8>(&w, per_row, Scheme::Symmetric, &mut p)?;
//! let mut q = [0i8; 8];
//! quant::quantize_int(&w, per_row, &p, QuantOptions::default(), &mut q)?;
//! assert_eq!(q, [32, -64, 16, 127, 127, -38, 0, 13]);
//! let mut back = [0f32; 8];
//! quant::dequantize_int(&q, per_row, &p, &mut back)?;
//! # Ok::<(), lowp::Error>(())
//! ```

use super::int::{self, QParams, QuantInt, QuantOptions, Scheme};
use super::scaled;
use crate::{Error, Format};

/// Which elements of a row-major tensor share a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Granularity<'a> {
    /// One parameter for the whole tensor (any length).
    #[default]
    PerTensor,
    /// One parameter per index along `axis` of a tensor of `shape` (`shape[axis]` parameters):
    /// per channel.
    PerAxis {
        /// The tensor's shape (its product must be the data's length).
        shape: &'a [usize],
        /// The axis whose indices pick the parameter.
        axis: usize,
    },
    /// ONNX opset 21 blocked: along `axis`, index `i` uses block ⌊i / block_size⌋; the
    /// parameters form the tensor's shape with that axis made ⌈D / block_size⌉, row-major.
    Blocked {
        /// The tensor's shape (its product must be the data's length).
        shape: &'a [usize],
        /// The axis the blocks run along.
        axis: usize,
        /// Elements per block (non-zero).
        block_size: usize,
    },
}

/// Integer parameters for `x` at this granularity, one per group into `out` (one for
/// [`Granularity::PerTensor`]): [`int::qparams_from_data`], [`int::qparams_per_axis`] or
/// [`int::qparams_blocked`].
///
/// # Errors
/// As those functions: a shape that does not match, an axis out of range, a zero block, a
/// wrong parameter count, a non-finite range.
pub fn qparams<Q: QuantInt>(
    x: &[f32],
    granularity: Granularity<'_>,
    scheme: Scheme,
    out: &mut [QParams],
) -> Result<(), Error> {
    match granularity {
        Granularity::PerTensor => {
            super::check_len(1, out.len())?;
            out[0] = int::qparams_from_data::<Q>(x, scheme)?;
            Ok(())
        }
        Granularity::PerAxis { shape, axis } => {
            int::qparams_per_axis::<Q>(x, shape, axis, scheme, out)
        }
        Granularity::Blocked {
            shape,
            axis,
            block_size,
        } => int::qparams_blocked::<Q>(x, shape, axis, block_size, scheme, out),
    }
}

/// Quantize `x` into integers: q = clamp(round_half_even(x / scale) + zero_point) with each
/// element's parameter (see [`super::int`] for the rules and `options`).
///
/// # Errors
/// A parameter count, shape or length that does not match, an invalid parameter; `out` is
/// then untouched.
pub fn quantize_int<Q: QuantInt>(
    x: &[f32],
    granularity: Granularity<'_>,
    params: &[QParams],
    options: QuantOptions,
    out: &mut [Q],
) -> Result<(), Error> {
    match granularity {
        Granularity::PerTensor => {
            super::check_len(1, params.len())?;
            int::quantize_with(x, params[0], options, out)
        }
        Granularity::PerAxis { shape, axis } => {
            int::quantize_per_axis_with(x, shape, axis, params, options, out)
        }
        Granularity::Blocked {
            shape,
            axis,
            block_size,
        } => int::quantize_blocked_with(x, shape, axis, block_size, params, options, out),
    }
}

/// Dequantize integers: x' = (q − zero_point) · scale with each element's parameter.
///
/// # Errors
/// A parameter count, shape or length that does not match, an invalid parameter; `out` is
/// then untouched.
pub fn dequantize_int<Q: QuantInt>(
    q: &[Q],
    granularity: Granularity<'_>,
    params: &[QParams],
    out: &mut [f32],
) -> Result<(), Error> {
    match granularity {
        Granularity::PerTensor => {
            super::check_len(1, params.len())?;
            int::dequantize(q, params[0], out)
        }
        Granularity::PerAxis { shape, axis } => {
            int::dequantize_per_axis(q, shape, axis, params, out)
        }
        Granularity::Blocked {
            shape,
            axis,
            block_size,
        } => int::dequantize_blocked(q, shape, axis, block_size, params, out),
    }
}

/// Quantize to `Q` and dequantize again, in one pass.
///
/// # Errors
/// As [`quantize_int`].
pub fn fake_quantize_int<Q: QuantInt>(
    x: &[f32],
    granularity: Granularity<'_>,
    params: &[QParams],
    options: QuantOptions,
    out: &mut [f32],
) -> Result<(), Error> {
    match granularity {
        Granularity::PerTensor => {
            super::check_len(1, params.len())?;
            int::fake_quantize_with::<Q>(x, params[0], options, out)
        }
        Granularity::PerAxis { shape, axis } => {
            int::fake_quantize_per_axis_with::<Q>(x, shape, axis, params, options, out)
        }
        Granularity::Blocked {
            shape,
            axis,
            block_size,
        } => int::fake_quantize_blocked_with::<Q>(x, shape, axis, block_size, params, options, out),
    }
}

/// Scales for a scaled float format `F` (amax / `F`'s max per group; 1 where the amax is 0 or
/// not finite), one per group into `out`.
///
/// # Errors
/// A shape, axis, block or count that does not match.
pub fn scales<F: Format>(
    x: &[f32],
    granularity: Granularity<'_>,
    out: &mut [f32],
) -> Result<(), Error> {
    match granularity {
        Granularity::PerTensor => {
            super::check_len(1, out.len())?;
            out[0] = scaled::scale_from_amax::<F>(scaled::amax(x));
            Ok(())
        }
        Granularity::PerAxis { shape, axis } => scaled::scales_per_axis::<F>(x, shape, axis, out),
        Granularity::Blocked {
            shape,
            axis,
            block_size,
        } => scaled::scales_blocked::<F>(x, shape, axis, block_size, out),
    }
}

/// Quantize into a float format with scales: q = Saturate(NearestEven(x / scale)) (ONNX
/// `QuantizeLinear` to float8 with `saturate=1`).
///
/// # Errors
/// A scale that is not finite and positive, a count, shape or length that does not match;
/// `out` is then untouched.
pub fn quantize_float<F: Format>(
    x: &[f32],
    granularity: Granularity<'_>,
    scales: &[f32],
    out: &mut [F],
) -> Result<(), Error> {
    match granularity {
        Granularity::PerTensor => {
            super::check_len(1, scales.len())?;
            scaled::quantize_scaled(x, scales[0], out)
        }
        Granularity::PerAxis { shape, axis } => {
            scaled::quantize_scaled_per_axis(x, shape, axis, scales, out)
        }
        Granularity::Blocked {
            shape,
            axis,
            block_size,
        } => scaled::quantize_scaled_blocked(x, shape, axis, block_size, scales, out),
    }
}

/// Dequantize a scaled float format: decode(q) · scale (one f32 multiply).
///
/// # Errors
/// A scale that is not finite and positive, a count, shape or length that does not match;
/// `out` is then untouched.
pub fn dequantize_float<F: Format>(
    q: &[F],
    granularity: Granularity<'_>,
    scales: &[f32],
    out: &mut [f32],
) -> Result<(), Error> {
    match granularity {
        Granularity::PerTensor => {
            super::check_len(1, scales.len())?;
            scaled::dequantize_scaled(q, scales[0], out)
        }
        Granularity::PerAxis { shape, axis } => {
            scaled::dequantize_scaled_per_axis(q, shape, axis, scales, out)
        }
        Granularity::Blocked {
            shape,
            axis,
            block_size,
        } => scaled::dequantize_scaled_blocked(q, shape, axis, block_size, scales, out),
    }
}

/// Quantize into `F` with scales and dequantize again, in one pass: decode(q) · scale, where q
/// is what [`quantize_float`] gives — the bits of [`quantize_float`] then [`dequantize_float`],
/// except that the product saturates at ±`f32::MAX` (as [`scaled::fake_quantize_scaled`] and
/// every fake quantizer: a finite input never comes back infinite, where `dequantize_float`
/// keeps ONNX `DequantizeLinear`'s IEEE product). NaN stays NaN (+0 for formats without
/// NaN); ±∞ and overflow give ±max · scale. Below the scalar level the division, the rounding
/// to `F`, the decoding and the product run fused in one pass of SIMD lanes per element,
/// without codes in memory; the result is the same bits at every kernel level and whatever
/// FTZ/DAZ say (a subnormal result is kept).
///
/// ```
/// use lowp::quant::{self, Granularity};
/// use lowp::F8E4M3FN;
/// // Two rows, one scale each: 1.1/0.5 = 2.2 rounds to 2.25 in E4M3FN; 1000/2 saturates at 448.
/// let g = Granularity::PerAxis { shape: &[2, 2], axis: 0 };
/// let mut y = [0f32; 4];
/// quant::fake_quantize_float::<F8E4M3FN>(&[1.1, -0.0, 1000.0, f32::NAN], g, &[0.5, 2.0], &mut y)?;
/// assert_eq!(y[..3], [1.125, -0.0, 896.0]);
/// assert!(y[3].is_nan());
/// # Ok::<(), lowp::Error>(())
/// ```
///
/// # Errors
/// As [`quantize_float`], and an `out` whose length is not `x`'s; `out` is then untouched.
pub fn fake_quantize_float<F: Format>(
    x: &[f32],
    granularity: Granularity<'_>,
    scales: &[f32],
    out: &mut [f32],
) -> Result<(), Error> {
    let plan = match granularity {
        Granularity::PerTensor => super::Plan::tensor(x.len()),
        Granularity::PerAxis { shape, axis } => super::Plan::new(x.len(), shape, axis, None)?,
        Granularity::Blocked {
            shape,
            axis,
            block_size,
        } => super::Plan::new(x.len(), shape, axis, Some(block_size))?,
    };
    scaled::fake_plan::<F>(&plan, x, scales, out)
}
