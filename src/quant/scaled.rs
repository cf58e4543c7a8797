//! Scaled float quantization (FP8 and any other [`Format`]): q = Saturate(NearestEven(x /
//! scale)), x' = decode(q) · scale — bit-exact with onnxruntime `QuantizeLinear` /
//! `DequantizeLinear` to float8 with `saturate=1`. Per tensor, per axis and blocked, with
//! scales from amax, and Transformer Engine-style delayed scaling.
//!
//! NaN stays NaN (the format's NaN; formats without NaN give +0, see [`crate::round`]); ±∞ and
//! finite values beyond the range give ±max.

use super::alloc::vec;
use super::alloc::vec::Vec;
use super::{check_len, check_scale, fabs, Plan, Run};
use crate::{Error, Format, Overflow, Rounding};
use core::marker::PhantomData;

#[inline(always)]
fn enc<F: Format>(x: f32, scale: f32) -> F {
    F::from_f32_with(
        crate::exact::div(x, scale),
        Rounding::NearestEven,
        Overflow::Saturate,
    )
}

/// The largest |x| over the non-NaN values of `x` (0 for an empty or all-NaN input; ∞ if there
/// is one).
///
/// ```
/// assert_eq!(lowp::quant::amax(&[1.0, -3.0, f32::NAN]), 3.0);
/// ```
pub fn amax(x: &[f32]) -> f32 {
    let mut m = 0.0f32;
    for &v in x {
        let a = fabs(v);
        m = if crate::exact::abs_gt(a, m) { a } else { m }; // NaN: skipped
    }
    m
}

/// The scale that maps `amax` onto the format's largest finite value: amax / `F::MAX` in `f32`;
/// 1 where amax is 0, NaN or infinite, or where the quotient is not a valid scale.
///
/// ```
/// use lowp::{quant::scale_from_amax, F8E4M3FN};
/// assert_eq!(scale_from_amax::<F8E4M3FN>(896.0), 2.0);
/// assert_eq!(scale_from_amax::<F8E4M3FN>(0.0), 1.0);
/// ```
pub fn scale_from_amax<F: Format>(amax: f32) -> f32 {
    let max = max_of::<F>();
    let s = crate::exact::div(amax, max);
    if amax.is_finite() && crate::exact::gt(s, 0.0) && s.is_finite() {
        s
    } else {
        1.0
    }
}

/// The format's largest finite value as an `f32`.
pub(crate) fn max_of<F: Format>() -> f32 {
    F::from_bits_u32(F::SPEC.max_code() << F::SPEC.storage_shift).to_f32()
}

fn quantize_plan<F: Format>(
    plan: &Plan,
    x: &[f32],
    scales: &[f32],
    out: &mut [F],
) -> Result<(), Error> {
    plan.check_params(scales.len())?;
    scales.iter().try_for_each(|&s| check_scale(s))?;
    check_len(x.len(), out.len())?;
    plan.for_each_run(|start, n, run| {
        let (x, out) = (&x[start..start + n], &mut out[start..start + n]);
        match run {
            Run::Uniform(i) => {
                // x / s a chunk at a time, then the batch kernels (the scalar core's bits).
                let s = scales[i];
                let mut q = [0f32; 256];
                for (xc, oc) in x.chunks(256).zip(out.chunks_mut(256)) {
                    crate::exact::div_by(xc, s, &mut q[..xc.len()]);
                    crate::encode_with(
                        &q[..xc.len()],
                        oc,
                        Rounding::NearestEven,
                        Overflow::Saturate,
                    );
                }
            }
            Run::Each(i0) => {
                for ((o, &v), &s) in out.iter_mut().zip(x).zip(&scales[i0..i0 + n]) {
                    *o = enc(v, s);
                }
            }
        }
    });
    Ok(())
}

fn dequantize_plan<F: Format>(
    plan: &Plan,
    q: &[F],
    scales: &[f32],
    out: &mut [f32],
) -> Result<(), Error> {
    plan.check_params(scales.len())?;
    scales.iter().try_for_each(|&s| check_scale(s))?;
    check_len(q.len(), out.len())?;
    plan.for_each_run(|start, n, run| {
        let (q, out) = (&q[start..start + n], &mut out[start..start + n]);
        match run {
            Run::Uniform(i) => {
                let s = scales[i];
                for (o, &v) in out.iter_mut().zip(q) {
                    *o = crate::exact::mul(v.to_f32(), s);
                }
            }
            Run::Each(i0) => {
                for ((o, &v), &s) in out.iter_mut().zip(q).zip(&scales[i0..i0 + n]) {
                    *o = crate::exact::mul(v.to_f32(), s);
                }
            }
        }
    });
    Ok(())
}

/// Quantize per tensor to a float format: q = Saturate(NearestEven(x / scale)), one `f32`
/// division then one rounding (bit-exact with onnxruntime `QuantizeLinear` to float8,
/// `saturate=1`).
///
/// NaN → the format's NaN (+0 for FP6/FP4, which have none); ±∞ and overflow → ±max. Errors
/// (nothing written): scale zero, negative, NaN or infinite; `out.len() != x.len()`.
///
/// ```
/// use lowp::{quant::quantize_scaled, F8E4M3FN};
/// let mut q = [F8E4M3FN::ZERO; 4];
/// quantize_scaled(&[1.0, 1e6, -0.0, f32::NAN], 2.0, &mut q)?;
/// assert_eq!(q.map(|v| v.to_bits()), [0x30, 0x7e, 0x80, 0x7f]); // 0.5, 448, −0, NaN
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn quantize_scaled<F: Format>(x: &[f32], scale: f32, out: &mut [F]) -> Result<(), Error> {
    quantize_plan(&Plan::tensor(x.len()), x, &[scale], out)
}

/// Dequantize per tensor: decode(q) · scale (one `f32` multiply; ONNX `DequantizeLinear`).
///
/// ```
/// use lowp::{quant::dequantize_scaled, F8E5M2};
/// let mut y = [0f32; 2];
/// dequantize_scaled(&[F8E5M2::from_bits(0x3c), F8E5M2::from_bits(0x7b)], 0.5, &mut y)?;
/// assert_eq!(y, [0.5, 28672.0]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn dequantize_scaled<F: Format>(q: &[F], scale: f32, out: &mut [f32]) -> Result<(), Error> {
    dequantize_plan(&Plan::tensor(q.len()), q, &[scale], out)
}

/// Quantize then dequantize per tensor (NaN stays NaN for formats with NaN; overflow → ±max ·
/// scale).
pub fn fake_quantize_scaled<F: Format>(
    x: &[f32],
    scale: f32,
    out: &mut [f32],
) -> Result<(), Error> {
    check_scale(scale)?;
    check_len(x.len(), out.len())?;
    for (o, &v) in out.iter_mut().zip(x) {
        *o = crate::exact::mul(enc::<F>(v, scale).to_f32(), scale);
    }
    Ok(())
}

/// Quantize per axis: index `j` along `axis` uses `scales[j]`. Otherwise as
/// [`quantize_scaled`]. Errors: shape/axis/count mismatches, any invalid scale, output length.
pub fn quantize_scaled_per_axis<F: Format>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    scales: &[f32],
    out: &mut [F],
) -> Result<(), Error> {
    quantize_plan(&Plan::new(x.len(), shape, axis, None)?, x, scales, out)
}

/// Dequantize per axis.
pub fn dequantize_scaled_per_axis<F: Format>(
    q: &[F],
    shape: &[usize],
    axis: usize,
    scales: &[f32],
    out: &mut [f32],
) -> Result<(), Error> {
    dequantize_plan(&Plan::new(q.len(), shape, axis, None)?, q, scales, out)
}

/// Quantize blocked along `axis` (the ONNX opset 21 layout, as
/// [`quantize_blocked`](super::quantize_blocked)).
pub fn quantize_scaled_blocked<F: Format>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    block_size: usize,
    scales: &[f32],
    out: &mut [F],
) -> Result<(), Error> {
    let plan = Plan::new(x.len(), shape, axis, Some(block_size))?;
    quantize_plan(&plan, x, scales, out)
}

/// Dequantize blocked along `axis`.
pub fn dequantize_scaled_blocked<F: Format>(
    q: &[F],
    shape: &[usize],
    axis: usize,
    block_size: usize,
    scales: &[f32],
    out: &mut [f32],
) -> Result<(), Error> {
    let plan = Plan::new(q.len(), shape, axis, Some(block_size))?;
    dequantize_plan(&plan, q, scales, out)
}

fn scales_plan<F: Format>(plan: &Plan, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
    plan.check_params(out.len())?;
    let mut m = vec![0.0f32; out.len()];
    plan.for_each_run(|start, n, run| {
        for (t, &v) in x[start..start + n].iter().enumerate() {
            let i = match run {
                Run::Uniform(i) => i,
                Run::Each(i0) => i0 + t,
            };
            let a = fabs(v);
            if crate::exact::abs_gt(a, m[i]) {
                m[i] = a;
            }
        }
    });
    for (o, a) in out.iter_mut().zip(m) {
        *o = scale_from_amax::<F>(a);
    }
    Ok(())
}

/// Per-axis scales from the data: [`scale_from_amax`] of each index's amax along `axis`.
pub fn scales_per_axis<F: Format>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    out: &mut [f32],
) -> Result<(), Error> {
    scales_plan::<F>(&Plan::new(x.len(), shape, axis, None)?, x, out)
}

/// Blocked scales from the data, in the layout [`quantize_scaled_blocked`] expects.
///
/// ```
/// use lowp::{quant::scales_blocked, F8E4M3FN};
/// let mut s = [0f32; 2];
/// scales_blocked::<F8E4M3FN>(&[448.0, 1.0, 0.0, 896.0], &[4], 0, 2, &mut s)?;
/// assert_eq!(s, [1.0, 2.0]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn scales_blocked<F: Format>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    block_size: usize,
    out: &mut [f32],
) -> Result<(), Error> {
    scales_plan::<F>(&Plan::new(x.len(), shape, axis, Some(block_size))?, x, out)
}

/// How the amax history is reduced to one amax.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum AmaxReduction {
    /// The largest amax in the window (Transformer Engine's default `"max"`).
    #[default]
    Max,
    /// The most recent amax (`"most_recent"`).
    MostRecent,
}

/// Transformer Engine-style delayed scaling for the float format `F`: the scale used for a
/// tensor comes from the amax of *earlier* tensors.
///
/// A window keeps the last `history_len` amax values (default 1024). After each step the
/// scale becomes reduce(window) · 2^margin / `F::MAX` (in `f32`), except that it keeps its
/// previous value when the reduced amax is 0 or not finite. The first scale is 1. The
/// "hybrid" recipe uses `DelayedScaling<F8E4M3FN>` for forward tensors and
/// `DelayedScaling<F8E5M2>` for gradients.
///
/// ```
/// use lowp::{quant::DelayedScaling, F8E4M3FN};
/// let mut ds = DelayedScaling::<F8E4M3FN>::new(4, Default::default(), 0);
/// let mut q = [F8E4M3FN::ZERO; 2];
/// assert_eq!(ds.quantize(&[896.0, -1.0], &mut q)?, 1.0); // scale 1: 896 saturates
/// assert_eq!(q[0], F8E4M3FN::MAX);
/// assert_eq!(ds.scale(), 2.0);                            // from amax 896
/// assert_eq!(ds.quantize(&[1.0, 0.0], &mut q)?, 2.0);
/// assert_eq!(ds.scale(), 2.0);                            // the window's max is still 896
/// # Ok::<(), lowp::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DelayedScaling<F: Format> {
    history: Vec<f32>,
    next: usize,
    len: usize,
    reduction: AmaxReduction,
    margin: i32,
    scale: f32,
    _format: PhantomData<F>,
}

impl<F: Format> Default for DelayedScaling<F> {
    /// Window 1024, [`AmaxReduction::Max`], margin 0.
    fn default() -> Self {
        Self::new(1024, AmaxReduction::Max, 0)
    }
}

impl<F: Format> DelayedScaling<F> {
    /// A window of `history_len` amax values (at least 1), reduction and margin (the scale is
    /// multiplied by 2^margin; the margin is clamped to ±126).
    pub fn new(history_len: usize, reduction: AmaxReduction, margin: i32) -> Self {
        let n = history_len.max(1);
        let history = vec![0.0; n];
        DelayedScaling {
            history,
            next: 0,
            len: 0,
            reduction,
            margin: margin.clamp(-126, 126),
            scale: 1.0,
            _format: PhantomData,
        }
    }

    /// The scale that the next tensor will be quantized with.
    pub fn scale(&self) -> f32 {
        self.scale
    }

    /// The amax values in the window, oldest first.
    pub fn history(&self) -> impl Iterator<Item = f32> + '_ {
        let n = self.history.len();
        let first = (self.next + n - self.len) % n;
        (0..self.len).map(move |t| self.history[(first + t) % n])
    }

    /// Record one amax (NaN and ∞ are recorded too; they leave the scale unchanged while they
    /// dominate the reduction), then update the scale.
    pub fn record(&mut self, amax: f32) {
        let n = self.history.len();
        self.history[self.next] = amax;
        self.next = (self.next + 1) % n;
        self.len = (self.len + 1).min(n);
        let reduced = match self.reduction {
            AmaxReduction::MostRecent => amax,
            AmaxReduction::Max => {
                let mut m = 0.0f32;
                let mut bad = false;
                for v in self.history() {
                    bad |= !v.is_finite();
                    m = if crate::exact::gt(v, m) { v } else { m };
                }
                if bad {
                    f32::NAN
                } else {
                    m
                }
            }
        };
        if reduced.is_finite() && crate::exact::gt(reduced, 0.0) {
            let pow = f32::from_bits(((127 + self.margin) as u32) << 23);
            let s = crate::exact::div(crate::exact::mul(reduced, pow), max_of::<F>());
            if s.is_finite() && crate::exact::gt(s, 0.0) {
                self.scale = s;
            }
        }
    }

    /// Quantize `x` with the current scale ([`quantize_scaled`]), then record its amax and
    /// update the scale. Returns the scale used. Errors (nothing written or recorded): length
    /// mismatch.
    pub fn quantize(&mut self, x: &[f32], out: &mut [F]) -> Result<f32, Error> {
        let s = self.scale;
        quantize_scaled(x, s, out)?;
        self.record(amax(x));
        Ok(s)
    }

    /// Fake-quantize `x` with the current scale, then record its amax. Returns the scale used.
    pub fn fake_quantize(&mut self, x: &[f32], out: &mut [f32]) -> Result<f32, Error> {
        let s = self.scale;
        fake_quantize_scaled::<F>(x, s, out)?;
        self.record(amax(x));
        Ok(s)
    }
}
