//! Scaled float quantization (FP8 and any other [`Format`]): q = Saturate(NearestEven(x /
//! scale)), x' = decode(q) · scale — bit-exact with onnxruntime `QuantizeLinear` /
//! `DequantizeLinear` to float8 with `saturate=1`. Per tensor, per axis and blocked, with
//! scales from amax, and Transformer Engine-style delayed scaling.
//!
//! NaN stays NaN (the format's NaN; formats without NaN give +0, see [`mod@crate::round`]); ±∞ and
//! finite values beyond the range give ±max.

use super::alloc::vec;
use super::alloc::vec::Vec;
use super::{check_len, check_scale, fabs, Plan, Run};
use crate::kernels::scaled::{self as lane, Job};
use crate::{Error, Format, Overflow, Rounding};
use core::marker::PhantomData;

#[inline(always)]
fn enc<F: Format>(x: f32, scale: f32) -> F {
    F::from_f32_with(
        saturate::<F>(crate::fenv::div(x, scale)),
        Rounding::NearestEven,
        Overflow::Saturate,
    )
}

/// An infinite quotient x / scale (an ∞ input, or an `f32` overflow of the division) made
/// ±`F::MAX`: what [`Overflow::Saturate`] gives for ±∞ in every format — done here because the
/// target `f32` itself takes its input unchanged.
#[inline(always)]
fn saturate<F: Format>(t: f32) -> f32 {
    if t.is_infinite() {
        let max = max_of::<F>();
        if t < 0.0 {
            -max
        } else {
            max
        }
    } else {
        t
    }
}

/// The largest |x| over the non-NaN values of `x` (0 for an empty or all-NaN input; ∞ if there
/// is one).
///
/// ```
/// assert_eq!(lowp::quant::amax(&[1.0, -3.0, f32::NAN]), 3.0);
/// ```
pub fn amax(x: &[f32]) -> f32 {
    if super::fast::enabled() {
        return super::fast::amax(x);
    }
    let mut m = 0.0f32;
    for &v in x {
        let a = fabs(v);
        m = if crate::fenv::abs_gt(a, m) { a } else { m }; // NaN: skipped
    }
    m
}

/// The scale that maps `amax` onto the format's largest finite value: amax / `F::MAX` in `f32`;
/// 1 where amax is 0, NaN or infinite. A quotient below the smallest positive `f32` (amax
/// tiny) gives that smallest value, 2^-149, not 0 (which is no scale).
///
/// ```
/// use lowp::{quant::scale_from_amax, F8E4M3FN};
/// assert_eq!(scale_from_amax::<F8E4M3FN>(896.0), 2.0);
/// assert_eq!(scale_from_amax::<F8E4M3FN>(0.0), 1.0);
/// assert_eq!(scale_from_amax::<F8E4M3FN>(1e-45), f32::from_bits(1));
/// ```
pub fn scale_from_amax<F: Format>(amax: f32) -> f32 {
    let max = max_of::<F>();
    if !(amax.is_finite() && crate::fenv::gt(amax, 0.0)) {
        return 1.0;
    }
    valid_scale(crate::fenv::div(amax, max))
}

/// A non-negative, non-NaN quotient made a valid scale: 0 → 2^-149 (the smallest positive
/// `f32`), +∞ → `f32::MAX`.
fn valid_scale(s: f32) -> f32 {
    if crate::fenv::is_zero(s) {
        f32::from_bits(1)
    } else if s == f32::INFINITY {
        f32::MAX
    } else {
        s
    }
}

/// amax · 2^margin / max rounded once to `f32`, made a valid scale ([`valid_scale`]). The `f64`
/// quotient is correctly rounded to 53 bits and the power of two scales it exactly, and
/// 53 ≥ 2·24 + 2 makes the final rounding to `f32` give the correctly rounded result — the
/// `f32` expression amax · 2^margin / max wherever that does not overflow, where it does.
fn margin_scale(amax: f32, margin: i32, max: f32) -> f32 {
    let pow = f64::from_bits(((1023 + margin) as u64) << 52); // |margin| ≤ 126
    use crate::fenv::{narrow, widen};
    valid_scale(narrow(widen(amax) / widen(max) * pow))
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
    if super::fast::enabled() {
        super::fast::scaled_quantize(plan, x, scales, out);
        return Ok(());
    }
    plan.for_each_run(|start, n, run| {
        let (x, out) = (&x[start..start + n], &mut out[start..start + n]);
        match run {
            Run::Uniform(i) => {
                // x / s a chunk at a time, then the batch kernels (the scalar core's bits).
                let s = scales[i];
                let mut q = [0f32; 256];
                for (xc, oc) in x.chunks(256).zip(out.chunks_mut(256)) {
                    crate::fenv::div_by(xc, s, &mut q[..xc.len()]);
                    for t in q[..xc.len()].iter_mut() {
                        *t = saturate::<F>(*t);
                    }
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
                    *o = crate::fenv::mul(v.to_f32(), s);
                }
            }
            Run::Each(i0) => {
                for ((o, &v), &s) in out.iter_mut().zip(q).zip(&scales[i0..i0 + n]) {
                    *o = crate::fenv::mul(v.to_f32(), s);
                }
            }
        }
    });
    Ok(())
}

/// Fake quantization over a plan (arguments already checked), one element at a time:
/// decode(q) · scale with the product saturated at ±`f32::MAX` ([`super::mul_saturating`]).
/// The reference that the fused job ([`FakeJob`]) gives the bits of.
fn fake_reference<F: Format>(plan: &Plan, x: &[f32], scales: &[f32], out: &mut [f32]) {
    plan.for_each_run(|start, n, run| {
        let (x, out) = (&x[start..start + n], &mut out[start..start + n]);
        for (t, (o, &v)) in out.iter_mut().zip(x).enumerate() {
            let s = match run {
                Run::Uniform(i) => scales[i],
                Run::Each(i0) => scales[i0 + t],
            };
            *o = super::mul_saturating(enc::<F>(v, s).to_f32(), s);
        }
    });
}

/// Fused scaled-float fake quantization over a whole plan, as one kernel job (compiled for the
/// active level's instruction set): the runs of [`Plan::for_each_run`] walked here without a
/// closure, each through the fused lanes ([`lane::fake_values`] with one scale,
/// [`lane::fake_values_each`] with a scale per element), [`lane::RUN`] elements at a time.
struct FakeJob<'a, F> {
    plan: &'a Plan,
    x: &'a [f32],
    scales: &'a [f32],
    out: &'a mut [f32],
    format: PhantomData<F>,
}

/// `out` = fake(`x`) with the one scale `s`, [`lane::RUN`] elements at a time.
#[inline(always)]
fn fake_uniform<F: Format>(x: &[f32], s: f32, out: &mut [f32]) {
    for (xc, oc) in x.chunks(lane::RUN).zip(out.chunks_mut(lane::RUN)) {
        lane::fake_values::<F>(xc, s, oc);
    }
}

/// `out[i]` = fake(`x[i]`) with the scale `s[i]`, [`lane::RUN`] elements at a time.
#[inline(always)]
fn fake_each<F: Format>(x: &[f32], s: &[f32], out: &mut [f32]) {
    let runs = x.chunks(lane::RUN).zip(s.chunks(lane::RUN));
    for ((xc, sc), oc) in runs.zip(out.chunks_mut(lane::RUN)) {
        lane::fake_values_each::<F>(xc, sc, oc);
    }
}

/// Blocks of `block` elements along a row, block `k` with `scales[k]` (blocks of 32, the
/// common size, eight at a time in loops of fixed length).
#[inline(always)]
fn fake_blocks<F: Format>(x: &[f32], scales: &[f32], block: usize, out: &mut [f32]) {
    if block == 32 {
        let whole = x.len() / 256 * 256;
        let (xb, xt) = x.split_at(whole);
        let (ob, ot) = out.split_at_mut(whole);
        let runs = xb.chunks_exact(256).zip(ob.chunks_exact_mut(256));
        for ((xc, oc), sc) in runs.zip(scales.chunks_exact(8)) {
            if let (Ok(xc), Ok(oc), Ok(sc)) = (xc.try_into(), oc.try_into(), sc.try_into()) {
                lane::fake_blocks32::<F>(xc, sc, oc);
            }
        }
        let runs = xt.chunks(32).zip(ot.chunks_mut(32));
        for ((xc, oc), &s) in runs.zip(&scales[whole / 32..]) {
            lane::fake_values::<F>(xc, s, oc);
        }
        return;
    }
    let runs = x.chunks(block).zip(out.chunks_mut(block));
    for ((xc, oc), &s) in runs.zip(scales) {
        fake_uniform::<F>(xc, s, oc);
    }
}

impl<F: Format> Job for FakeJob<'_, F> {
    #[inline(always)]
    fn run(self) {
        let FakeJob {
            plan,
            x,
            scales,
            out,
            ..
        } = self;
        if plan.len == 0 {
            return;
        }
        if plan.per_tensor {
            fake_uniform::<F>(x, scales[0], out);
            return;
        }
        let (dim, inner) = (plan.dim, plan.inner);
        let nb = plan.blocks_along_axis();
        // The outer index's slab of dim · inner elements.
        let slabs = x.chunks(dim * inner).zip(out.chunks_mut(dim * inner));
        for (o, (xs, os)) in slabs.enumerate() {
            match (plan.block, inner) {
                // Per axis along the last axis: the row against the scale vector.
                (None, 1) => fake_each::<F>(xs, scales, os),
                // Per axis along another axis: a run of `inner` elements per index.
                (None, _) => {
                    let runs = xs.chunks(inner).zip(os.chunks_mut(inner));
                    for ((xr, or), &s) in runs.zip(scales) {
                        fake_uniform::<F>(xr, s, or);
                    }
                }
                // Blocked along the last axis: the row's blocks.
                (Some(b), 1) => fake_blocks::<F>(xs, &scales[o * nb..(o + 1) * nb], b, os),
                // Blocked along another axis: index j's run against its block's scale row.
                (Some(b), _) => {
                    let runs = xs.chunks(inner).zip(os.chunks_mut(inner));
                    for (j, (xr, or)) in runs.enumerate() {
                        let at = (o * nb + j / b) * inner;
                        fake_each::<F>(xr, &scales[at..at + inner], or);
                    }
                }
            }
        }
    }
}

/// Fake quantization over a plan: checks, then the fused job (the reference formula at
/// [`Level::Scalar`](crate::Level::Scalar)). Errors leave `out` untouched.
pub(crate) fn fake_plan<F: Format>(
    plan: &Plan,
    x: &[f32],
    scales: &[f32],
    out: &mut [f32],
) -> Result<(), Error> {
    plan.check_params(scales.len())?;
    scales.iter().try_for_each(|&s| check_scale(s))?;
    check_len(x.len(), out.len())?;
    if super::fast::enabled() {
        lane::run(FakeJob::<F> {
            plan,
            x,
            scales,
            out,
            format: PhantomData,
        });
    } else {
        fake_reference::<F>(plan, x, scales, out);
    }
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
/// scale). The product decode(q) · scale saturates at ±`f32::MAX`: a finite input never comes
/// back infinite.
pub fn fake_quantize_scaled<F: Format>(
    x: &[f32],
    scale: f32,
    out: &mut [f32],
) -> Result<(), Error> {
    fake_plan::<F>(&Plan::tensor(x.len()), x, &[scale], out)
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
            if crate::fenv::abs_gt(a, m[i]) {
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
    /// The amax values: filled up to `window` entries, then a ring whose oldest entry is at
    /// `next`. Grown as amax values arrive, so a large window costs nothing up front.
    history: Vec<f32>,
    window: usize,
    next: usize,
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
    /// A window of `history_len` amax values, reduction and margin (the scale is multiplied by
    /// 2^margin). Lenient: a window of 0 is taken as 1 and the margin is clamped to ±126;
    /// [`DelayedScaling::try_new`] rejects those instead. The window's memory is allocated as
    /// amax values arrive, so any `history_len` (even `usize::MAX`) is accepted.
    pub fn new(history_len: usize, reduction: AmaxReduction, margin: i32) -> Self {
        DelayedScaling {
            history: Vec::new(),
            window: history_len.max(1),
            next: 0,
            reduction,
            margin: margin.clamp(-126, 126),
            scale: 1.0,
            _format: PhantomData,
        }
    }

    /// As [`DelayedScaling::new`], but an [`Error::InvalidParameter`] for a window of 0 or a
    /// margin outside [−126, 126] (beyond it every scale would saturate).
    ///
    /// ```
    /// use lowp::{quant::DelayedScaling, Error, F8E4M3FN};
    /// assert!(DelayedScaling::<F8E4M3FN>::try_new(16, Default::default(), 2).is_ok());
    /// assert!(matches!(
    ///     DelayedScaling::<F8E4M3FN>::try_new(0, Default::default(), 0),
    ///     Err(Error::InvalidParameter { name: "amax history length", .. })
    /// ));
    /// ```
    pub fn try_new(
        history_len: usize,
        reduction: AmaxReduction,
        margin: i32,
    ) -> Result<Self, Error> {
        if history_len == 0 {
            return Err(Error::InvalidParameter {
                name: "amax history length",
                value: 0.0,
                valid: "at least 1",
            });
        }
        if !(-126..=126).contains(&margin) {
            return Err(Error::InvalidParameter {
                name: "delayed scaling margin",
                value: margin as f64,
                valid: "in [-126, 126]",
            });
        }
        Ok(Self::new(history_len, reduction, margin))
    }

    /// The scale that the next tensor will be quantized with.
    pub fn scale(&self) -> f32 {
        self.scale
    }

    /// The amax values in the window, oldest first.
    pub fn history(&self) -> impl Iterator<Item = f32> + '_ {
        let (newer, older) = self.history.split_at(self.next);
        older.iter().chain(newer).copied()
    }

    /// Record one amax (NaN and ∞ are recorded too; they leave the scale unchanged while they
    /// dominate the reduction), then update the scale to reduce(window) · 2^margin / `F::MAX`,
    /// rounded once to `f32` (computed so that it cannot overflow in between) and made a valid
    /// scale: a quotient beyond `f32::MAX` gives `f32::MAX`, one below 2^-149 gives 2^-149.
    ///
    /// ```
    /// use lowp::{quant::DelayedScaling, F8E4M3FN};
    /// let mut ds = DelayedScaling::<F8E4M3FN>::new(4, Default::default(), 4);
    /// ds.record(3.0e38); // 3e38 · 16 overflows f32, 3e38 / 448 · 16 does not
    /// assert_eq!(ds.scale(), 3.0e38 / 448.0 * 16.0);
    /// ```
    pub fn record(&mut self, amax: f32) {
        if self.history.len() < self.window {
            self.history.push(amax);
        } else {
            self.history[self.next] = amax;
            self.next = (self.next + 1) % self.window;
        }
        let reduced = match self.reduction {
            AmaxReduction::MostRecent => amax,
            AmaxReduction::Max => {
                let mut m = 0.0f32;
                let mut bad = false;
                for v in self.history() {
                    bad |= !v.is_finite();
                    m = if crate::fenv::gt(v, m) { v } else { m };
                }
                if bad {
                    f32::NAN
                } else {
                    m
                }
            }
        };
        if reduced.is_finite() && crate::fenv::gt(reduced, 0.0) {
            self.scale = margin_scale(reduced, self.margin, max_of::<F>());
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
