//! The parameters of an affine integer quantization ([`QParams`]), the options of the
//! quantizers ([`QuantOptions`], [`ScaleRule`]), and their choice from a range or from data
//! ([`Scheme`], [`choose_qparams`], [`qparams_from_data`], [`qparams_per_axis`],
//! [`qparams_blocked`]).

use super::super::alloc::vec;
use super::super::alloc::vec::Vec;
use super::super::{check_scale, Plan, Run};
use super::QuantInt;
use crate::Error;

/// The parameters of an affine integer quantization: x ≈ (q − zero_point) · scale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QParams {
    /// The step between adjacent integers; must be finite and greater than zero.
    pub scale: f32,
    /// The integer that represents 0.0; must lie in the integer type's range.
    pub zero_point: i32,
}

impl QParams {
    /// The parameters `scale`, `zero_point` (not checked until used).
    pub const fn new(scale: f32, zero_point: i32) -> QParams {
        QParams { scale, zero_point }
    }

    /// Check these parameters for the integer type `Q`: the scale must be finite and positive,
    /// the zero point inside `[Q::MIN, Q::MAX]`.
    ///
    /// ```
    /// use lowp::quant::QParams;
    /// assert!(QParams::new(0.1, 128).check::<u8>().is_ok());
    /// assert!(QParams::new(0.1, 128).check::<i8>().is_err());
    /// assert!(QParams::new(f32::NAN, 0).check::<i8>().is_err());
    /// ```
    pub fn check<Q: QuantInt>(&self) -> Result<(), Error> {
        check_scale(self.scale)?;
        if self.zero_point < Q::MIN || self.zero_point > Q::MAX {
            return Err(Error::ZeroPointOutOfRange {
                zero_point: self.zero_point,
                min: Q::MIN,
                max: Q::MAX,
            });
        }
        Ok(())
    }
}

/// How x / scale is computed before rounding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ScaleRule {
    /// One `f32` division x / scale (ONNX, onnxruntime; the default).
    #[default]
    Divide,
    /// x · (1.0f32 / scale), the reciprocal rounded to `f32` first (PyTorch `quantize_val`,
    /// `fake_quantize_per_tensor_affine`, FBGEMM). Differs from [`ScaleRule::Divide`] on some
    /// inputs near ties.
    Reciprocal,
}

/// Options of the quantizers' `_with` forms. The default is ONNX: divide, full range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct QuantOptions {
    /// Division or reciprocal multiplication.
    pub rule: ScaleRule,
    /// Clamp to [qmin + 1, qmax] (e.g. [−127, 127] for `i8`) instead of the type's full range:
    /// the "restricted range" of symmetric quantization.
    pub restricted_range: bool,
}

/// How parameters are chosen from a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Scheme {
    /// Affine: the range [min(min, 0), max(max, 0)] maps onto [qmin, qmax] (ONNX
    /// `DynamicQuantizeLinear`, PyTorch `per_tensor_affine`).
    #[default]
    Asymmetric,
    /// Symmetric, restricted range: zero point 0 (the middle, 128 or 8, for unsigned types),
    /// scale = amax / 127 (8-bit) or amax / 7 (4-bit); use with
    /// [`QuantOptions::restricted_range`] to keep q ∈ [−127, 127] for data beyond the range.
    Symmetric,
    /// Symmetric, full range (PyTorch `per_tensor_symmetric`): scale = amax / 127.5 (8-bit) or
    /// amax / 7.5 (4-bit), q ∈ [−128, 127].
    SymmetricFullRange,
}

/// The smallest and largest non-NaN value of `x` (None if there is none).
fn min_max(x: &[f32]) -> Option<(f32, f32)> {
    let mut lo = f32::INFINITY;
    let mut hi = f32::NEG_INFINITY;
    let mut any = false;
    for &v in x {
        if !v.is_nan() {
            any = true;
            lo = if crate::fenv::lt(v, lo) { v } else { lo };
            hi = if crate::fenv::gt(v, hi) { v } else { hi };
        }
    }
    any.then_some((lo, hi))
}

/// Parameters for the integer type `Q` from a range (`CONTRACT.md` §4). The range is first
/// widened to include 0.
///
/// - [`Scheme::Asymmetric`]: scale = (max − min) / (qmax − qmin) in `f32` (1 if that is 0),
///   zero_point = clamp(round_half_even(qmin − min / scale), qmin, qmax) — ONNX
///   `DynamicQuantizeLinear` and onnxruntime exactly, for `u8` (and the same rule for the
///   other types).
/// - [`Scheme::Symmetric`]: scale = amax / 127 (8-bit) or amax / 7 (4-bit), zero point 0
///   (128 / 8 for unsigned types).
/// - [`Scheme::SymmetricFullRange`] (PyTorch): scale = amax / 127.5 or amax / 7.5.
///
/// A non-empty range so narrow that the scale underflows to 0 gets the smallest positive scale,
/// 2^-149, instead of 1 (which would quantize all of it to the zero point).
///
/// Errors: NaN or infinite bounds, min > max, or a range so wide that the scale overflows.
///
/// ```
/// use lowp::quant::{choose_qparams, QParams, Scheme, I4};
/// assert_eq!(choose_qparams::<u8>(0.5, 2.0, Scheme::Asymmetric)?, QParams::new(2.0 / 255.0, 0));
/// assert_eq!(choose_qparams::<i8>(-2.54, 1.0, Scheme::Symmetric)?, QParams::new(0.02, 0));
/// assert_eq!(choose_qparams::<u8>(-1.0, 1.0, Scheme::SymmetricFullRange)?.zero_point, 128);
/// assert_eq!(choose_qparams::<I4>(-7.0, 0.0, Scheme::Symmetric)?, QParams::new(1.0, 0));
/// assert_eq!(choose_qparams::<i8>(0.0, 0.0, Scheme::Asymmetric)?, QParams::new(1.0, -128));
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn choose_qparams<Q: QuantInt>(min: f32, max: f32, scheme: Scheme) -> Result<QParams, Error> {
    if !min.is_finite() || !max.is_finite() {
        return Err(Error::InvalidInput("range bounds must be finite"));
    }
    // The comparisons and arithmetic are DAZ/FTZ-proof (CONTRACT.md §14).
    use crate::fenv::{div, gt, lt, sub};
    if gt(min, max) {
        return Err(Error::InvalidInput("range minimum exceeds its maximum"));
    }
    let min = if lt(min, 0.0) { min } else { 0.0 };
    let max = if gt(max, 0.0) { max } else { 0.0 };
    let (qmin, qmax) = (Q::MIN, Q::MAX);
    let p = match scheme {
        Scheme::Asymmetric => {
            let scale = div(sub(max, min), (qmax - qmin) as f32);
            let scale = nonzero_scale(scale, sub(max, min));
            let z = sub(qmin as f32, div(min, scale));
            let z = z.clamp(qmin as f32, qmax as f32);
            QParams::new(scale, crate::round::round_half_even(z) as i32)
        }
        Scheme::Symmetric | Scheme::SymmetricFullRange => {
            let amax = if gt(-min, max) { -min } else { max };
            let steps = (qmax - qmin) as f32 / 2.0;
            let half = if scheme == Scheme::Symmetric {
                steps - 0.5
            } else {
                steps
            };
            let scale = div(amax, half);
            let scale = nonzero_scale(scale, amax);
            QParams::new(scale, (qmin + qmax + 1) / 2)
        }
    };
    if !p.scale.is_finite() {
        return Err(Error::InvalidInput(
            "range too wide: the scale overflows f32",
        ));
    }
    Ok(p)
}

/// A computed scale made valid: 1 for an empty range (`width` 0, the ONNX rule), 2^-149 (the
/// smallest positive `f32`) where a non-empty range is so narrow that the quotient underflows.
fn nonzero_scale(scale: f32, width: f32) -> f32 {
    // (Zero tests on the bits: under DAZ a subnormal compares equal to 0.)
    if !crate::fenv::is_zero(scale) {
        scale
    } else if crate::fenv::is_zero(width) {
        1.0
    } else {
        f32::from_bits(1)
    }
}

/// Parameters from the data's range: [`choose_qparams`] on the smallest and largest non-NaN
/// values (an empty or all-NaN input gives the range [0, 0]). An infinity is an error.
pub fn qparams_from_data<Q: QuantInt>(x: &[f32], scheme: Scheme) -> Result<QParams, Error> {
    let (lo, hi) = min_max(x).unwrap_or((0.0, 0.0));
    if !lo.is_finite() || !hi.is_finite() {
        return Err(Error::InvalidInput(
            "the data contains an infinity: no finite range",
        ));
    }
    choose_qparams::<Q>(lo, hi, scheme)
}

/// Per-group ranges over a plan, then parameters written to `out` (only if all succeed).
fn qparams_plan<Q: QuantInt>(
    plan: &Plan,
    x: &[f32],
    scheme: Scheme,
    out: &mut [QParams],
) -> Result<(), Error> {
    plan.check_params(out.len())?;
    let mut ranges = vec![(0.0f32, 0.0f32); out.len()];
    let mut update = |i: usize, v: f32| {
        let r: &mut (f32, f32) = &mut ranges[i];
        if crate::fenv::lt(v, r.0) {
            r.0 = v;
        }
        if crate::fenv::gt(v, r.1) {
            r.1 = v;
        }
    };
    plan.for_each_run(|start, n, run| {
        for (t, &v) in x[start..start + n].iter().enumerate() {
            match run {
                Run::Uniform(i) => update(i, v),
                Run::Each(i0) => update(i0 + t, v),
            }
        }
    });
    let mut params = Vec::with_capacity(out.len());
    for &(lo, hi) in &ranges {
        if !lo.is_finite() || !hi.is_finite() {
            return Err(Error::InvalidInput(
                "the data contains an infinity: no finite range",
            ));
        }
        params.push(choose_qparams::<Q>(lo, hi, scheme)?);
    }
    out.copy_from_slice(&params);
    Ok(())
}

/// Per-axis parameters from the data: one [`choose_qparams`] per index along `axis` (ranges
/// always include 0; NaNs are skipped; an infinity is an error). `out.len()` must be the axis
/// length.
///
/// ```
/// use lowp::quant::{qparams_per_axis, QParams, Scheme};
/// let mut p = [QParams::new(1.0, 0); 2];
/// qparams_per_axis::<i8>(&[1.27, -2.54, 0.5, 0.0], &[2, 2], 1, Scheme::Symmetric, &mut p)?;
/// assert_eq!(p, [QParams::new(0.01, 0), QParams::new(0.02, 0)]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn qparams_per_axis<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    scheme: Scheme,
    out: &mut [QParams],
) -> Result<(), Error> {
    let plan = Plan::new(x.len(), shape, axis, None)?;
    qparams_plan::<Q>(&plan, x, scheme, out)
}

/// Blocked parameters from the data, laid out as [`quantize_blocked`](super::quantize_blocked) expects them.
pub fn qparams_blocked<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    block_size: usize,
    scheme: Scheme,
    out: &mut [QParams],
) -> Result<(), Error> {
    let plan = Plan::new(x.len(), shape, axis, Some(block_size))?;
    qparams_plan::<Q>(&plan, x, scheme, out)
}
