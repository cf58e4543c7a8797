//! Per-channel quantization as PyTorch users set it up: custom quantized ranges ([`QRange`]:
//! `quant_min`/`quant_max`, `reduce_range`) for choosing parameters ([`choose_qparams_in`]),
//! a per-channel observer ([`PerChannelMinMaxObserver`]: one min/max per index along an axis,
//! plain or moving-average), and per-channel 4-bit quantization packed two per byte
//! ([`quantize_per_axis_packed`], [`dequantize_per_axis_packed`]).
//!
//! ```
//! use lowp::quant::{dequantize_per_axis_packed, quantize_per_axis_packed};
//! use lowp::quant::{PerChannelMinMaxObserver, QRange, Scheme, I4};
//! // A 2×3 weight, one channel per row (axis 0).
//! let w = [0.7, -0.35, 0.0, 3.0, 1.5, -6.0];
//! let mut obs = PerChannelMinMaxObserver::new(0, 2);
//! obs.observe(&w, &[2, 3])?;
//! let p = obs.qparams::<I4>(Scheme::Symmetric, QRange::full::<I4>())?;
//! assert_eq!((p[0].scale, p[1].scale), (0.1, 6.0 / 7.0));
//! let mut packed = [0u8; 3];
//! quantize_per_axis_packed::<I4>(&w, &[2, 3], 0, &p, &mut packed)?;
//! // Row 0: 7, −3.5 → −4 (ties to even), 0; row 1: 3.5 → 4, 1.75 → 2, −7. Two a byte, low
//! // nibble first, in two's complement: 0xC7, 0x40, 0x92.
//! assert_eq!(packed, [0xC7, 0x40, 0x92]);
//! let mut back = [0f32; 6];
//! dequantize_per_axis_packed::<I4>(&packed, &[2, 3], 0, &p, &mut back)?;
//! assert_eq!(back[0], 0.7);
//! # Ok::<(), lowp::Error>(())
//! ```

use super::alloc::vec;
use super::alloc::vec::Vec;
use super::int::{Nibble, QParams, QuantInt, Scheme};
use super::{Plan, Run};
use crate::Error;

/// A range [qmin, qmax] of quantized integers that parameters are chosen for, inside the
/// integer type's range and containing 0 (PyTorch observers' `quant_min` / `quant_max`, and
/// `reduce_range`).
///
/// ```
/// use lowp::quant::{QRange, I4};
/// assert_eq!(QRange::full::<u8>(), QRange::new::<u8>(0, 255)?);
/// assert_eq!(QRange::reduced::<u8>(), QRange::new::<u8>(0, 127)?);
/// assert_eq!(QRange::reduced::<i8>(), QRange::new::<i8>(-64, 63)?);
/// assert_eq!(QRange::reduced::<I4>(), QRange::new::<I4>(-4, 3)?);
/// assert!(QRange::new::<i8>(-200, 10).is_err()); // beyond i8
/// assert!(QRange::new::<u8>(10, 100).is_err()); // without 0
/// # Ok::<(), lowp::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QRange {
    qmin: i32,
    qmax: i32,
}

impl QRange {
    /// The whole range of `Q` (what [`choose_qparams`](super::choose_qparams) uses).
    pub fn full<Q: QuantInt>() -> QRange {
        QRange {
            qmin: Q::MIN,
            qmax: Q::MAX,
        }
    }

    /// PyTorch's `reduce_range`: the whole range of `Q` with one bit less, each end halved
    /// and rounded down (u8 [0, 127], i8 [−64, 63], u4 [0, 7], i4 [−4, 3], i16 [−16384,
    /// 16383]) — room for the sums of FBGEMM's 16-bit accumulation on x86.
    pub fn reduced<Q: QuantInt>() -> QRange {
        Self::full::<Q>().halved()
    }

    /// [qmin, qmax] for `Q`. Errors ([`Error::InvalidInput`]): not inside `Q`'s range,
    /// qmin ≥ qmax, or 0 not inside (as PyTorch requires of a custom range).
    pub fn new<Q: QuantInt>(qmin: i32, qmax: i32) -> Result<QRange, Error> {
        let r = QRange { qmin, qmax };
        r.check::<Q>()?;
        Ok(r)
    }

    /// This range with each end halved and rounded down (PyTorch's `reduce_range` applied to
    /// a custom range).
    pub fn halved(self) -> QRange {
        QRange {
            qmin: self.qmin.div_euclid(2),
            qmax: self.qmax.div_euclid(2),
        }
    }

    /// The smallest integer.
    pub fn qmin(self) -> i32 {
        self.qmin
    }

    /// The largest integer.
    pub fn qmax(self) -> i32 {
        self.qmax
    }

    /// Whether the range fits `Q`, is not empty and contains 0.
    pub fn check<Q: QuantInt>(self) -> Result<(), Error> {
        if self.qmin < Q::MIN || self.qmax > Q::MAX {
            return Err(Error::InvalidInput(
                "quantized range outside the integer type",
            ));
        }
        if self.qmin >= self.qmax {
            return Err(Error::InvalidInput(
                "quantized range: qmin must be below qmax",
            ));
        }
        if self.qmin > 0 || self.qmax < 0 {
            return Err(Error::InvalidInput("quantized range must contain 0"));
        }
        Ok(())
    }
}

/// Parameters for the range [min, max] (first widened to include 0) over the quantized range
/// `range`: [`choose_qparams`](super::choose_qparams)'s rules with `range.qmin()` and
/// `range.qmax()` in place of the type's ends (with [`QRange::full`] it gives exactly what
/// `choose_qparams` gives).
///
/// - [`Scheme::Asymmetric`]: scale = (max − min) / (qmax − qmin) in `f32` (1 if that is 0),
///   zero_point = clamp(round_half_even(qmin − min / scale), qmin, qmax).
/// - [`Scheme::Symmetric`]: scale = amax / ((qmax − qmin) / 2 − 1/2) (amax / 127 for i8),
///   [`Scheme::SymmetricFullRange`]: scale = amax / ((qmax − qmin) / 2) (amax / 127.5). The
///   zero point is 0 for signed types; for unsigned types the middle of the range, rounded up
///   for the type's full range (128 for u8, as PyTorch) and down for any other (63 for
///   [0, 127], as PyTorch does for a custom range).
///
/// The parameters do not clamp: data beyond the observed range still quantizes to the ends of
/// the *type* (as PyTorch's `quantize_per_tensor` and ONNX do).
///
/// Errors: a range not valid for `Q` ([`QRange::check`]), NaN or infinite bounds, min > max,
/// or a scale that overflows `f32`.
///
/// ```
/// use lowp::quant::{choose_qparams_in, QParams, QRange, Scheme};
/// let r = QRange::reduced::<u8>();
/// assert_eq!(choose_qparams_in::<u8>(-1.0, 1.0, Scheme::Asymmetric, r)?, QParams::new(2.0 / 127.0, 64));
/// assert_eq!(choose_qparams_in::<u8>(-1.0, 1.0, Scheme::SymmetricFullRange, r)?, QParams::new(1.0 / 63.5, 63));
/// let r = QRange::reduced::<i8>();
/// assert_eq!(choose_qparams_in::<i8>(-6.3, 1.0, Scheme::Symmetric, r)?, QParams::new(0.1, 0));
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn choose_qparams_in<Q: QuantInt>(
    min: f32,
    max: f32,
    scheme: Scheme,
    range: QRange,
) -> Result<QParams, Error> {
    range.check::<Q>()?;
    if !min.is_finite() || !max.is_finite() {
        return Err(Error::InvalidInput("range bounds must be finite"));
    }
    // The comparisons and arithmetic are DAZ/FTZ-proof (CONTRACT.md §14).
    use crate::fenv::{div, gt, is_zero, lt, sub};
    if gt(min, max) {
        return Err(Error::InvalidInput("range minimum exceeds its maximum"));
    }
    let min = if lt(min, 0.0) { min } else { 0.0 };
    let max = if gt(max, 0.0) { max } else { 0.0 };
    let (qmin, qmax) = (range.qmin, range.qmax);
    let p = match scheme {
        Scheme::Asymmetric => {
            let scale = div(sub(max, min), (qmax - qmin) as f32);
            let scale = if is_zero(scale) { 1.0 } else { scale };
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
            let scale = if is_zero(scale) { 1.0 } else { scale };
            let zero_point = if Q::MIN < 0 {
                0
            } else if range == QRange::full::<Q>() {
                (qmin + qmax + 1) / 2
            } else {
                (qmin + qmax).div_euclid(2)
            };
            QParams::new(scale, zero_point)
        }
    };
    if !p.scale.is_finite() {
        return Err(Error::InvalidInput(
            "range too wide: the scale overflows f32",
        ));
    }
    Ok(p)
}

/// The smaller of two non-NaN values, compared on the bits (DAZ-proof).
fn min_of(a: f32, b: f32) -> f32 {
    if crate::fenv::lt(b, a) {
        b
    } else {
        a
    }
}

/// The larger of two non-NaN values, compared on the bits (DAZ-proof).
fn max_of(a: f32, b: f32) -> f32 {
    if crate::fenv::gt(b, a) {
        b
    } else {
        a
    }
}

/// One min/max per channel — per index along `axis` of row-major tensors — over the finite
/// values seen (NaN and ±∞ are skipped, as by every observer): PyTorch's
/// `PerChannelMinMaxObserver`, or with [`moving_average`](Self::moving_average) its
/// `MovingAveragePerChannelMinMaxObserver` (a channel's first finite batch sets its range,
/// each later one moves it by m += c · (batch − m), in `f32`).
///
/// Batches may differ in shape, but not in `axis`'s length (the channel count).
///
/// ```
/// use lowp::quant::{PerChannelMinMaxObserver, QParams, QRange, Scheme};
/// let mut o = PerChannelMinMaxObserver::new(1, 2); // columns of [rows, 2]
/// o.observe(&[1.0, -2.0, 3.0, f32::NAN], &[2, 2])?;
/// o.observe(&[-1.0, 0.5], &[1, 2])?;
/// assert_eq!(o.ranges(), [Some((-1.0, 3.0)), Some((-2.0, 0.5))]);
/// let p = o.qparams::<u8>(Scheme::Asymmetric, QRange::full::<u8>())?;
/// assert_eq!(p, [QParams::new(4.0 / 255.0, 64), QParams::new(2.5 / 255.0, 204)]);
/// assert!(o.observe(&[1.0; 3], &[1, 3]).is_err()); // 3 channels, not 2
/// # Ok::<(), lowp::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PerChannelMinMaxObserver {
    axis: usize,
    averaging: Option<f32>,
    ranges: Vec<Option<(f32, f32)>>,
}

impl PerChannelMinMaxObserver {
    /// An observer of `channels` channels along `axis`, with the running min and max.
    ///
    /// # Panics
    /// If the `channels` ranges cannot be allocated (e.g. `usize::MAX` channels);
    /// [`PerChannelMinMaxObserver::try_new`] returns an `Err` instead.
    #[track_caller]
    pub fn new(axis: usize, channels: usize) -> Self {
        match Self::try_new(axis, channels) {
            Ok(o) => o,
            Err(e) => panic!("PerChannelMinMaxObserver::new: {e}"),
        }
    }

    /// As [`PerChannelMinMaxObserver::new`], but an [`Error::InvalidParameter`] where the
    /// `channels` ranges cannot be allocated.
    ///
    /// ```
    /// use lowp::quant::PerChannelMinMaxObserver;
    /// assert!(PerChannelMinMaxObserver::try_new(0, 64).is_ok());
    /// assert!(PerChannelMinMaxObserver::try_new(0, usize::MAX).is_err());
    /// ```
    pub fn try_new(axis: usize, channels: usize) -> Result<Self, Error> {
        let mut ranges = Vec::new();
        ranges
            .try_reserve_exact(channels)
            .map_err(|_| Error::InvalidParameter {
                name: "channel count",
                value: channels as f64,
                valid: "small enough to allocate one range per channel",
            })?;
        ranges.resize(channels, None);
        Ok(PerChannelMinMaxObserver {
            axis,
            averaging: None,
            ranges,
        })
    }

    /// An observer of `channels` channels along `axis` whose ranges are moving averages with
    /// constant `c` in (0, 1] (PyTorch's default is 0.01), each step as
    /// [`MovingAverageMinMaxObserver`](super::MovingAverageMinMaxObserver)'s (finite where
    /// `f32` would overflow).
    ///
    /// # Panics
    /// If `c` is not in (0, 1] (NaN included), or as [`PerChannelMinMaxObserver::new`];
    /// [`PerChannelMinMaxObserver::try_moving_average`] returns an `Err` instead.
    #[track_caller]
    pub fn moving_average(axis: usize, channels: usize, c: f32) -> Self {
        match Self::try_moving_average(axis, channels, c) {
            Ok(o) => o,
            Err(e) => panic!("PerChannelMinMaxObserver::moving_average: {e}"),
        }
    }

    /// As [`PerChannelMinMaxObserver::moving_average`], but an [`Error::InvalidParameter`] for
    /// a constant outside (0, 1] or a channel count that cannot be allocated.
    pub fn try_moving_average(axis: usize, channels: usize, c: f32) -> Result<Self, Error> {
        super::observer::check_averaging(c)?;
        Ok(PerChannelMinMaxObserver {
            averaging: Some(c),
            ..Self::try_new(axis, channels)?
        })
    }

    /// The axis along which channels lie.
    pub fn axis(&self) -> usize {
        self.axis
    }

    /// Take in one batch `x` of row-major `shape`. Errors (nothing changes): a shape that does
    /// not match `x.len()`, an axis beyond it, or a channel count other than the observer's
    /// ([`Error::ParamCountMismatch`]: one parameter set per channel).
    pub fn observe(&mut self, x: &[f32], shape: &[usize]) -> Result<(), Error> {
        let plan = Plan::new(x.len(), shape, self.axis, None)?;
        if plan.dim != self.ranges.len() {
            return Err(Error::ParamCountMismatch {
                expected: self.ranges.len(),
                found: plan.dim,
            });
        }
        let mut batch: Vec<Option<(f32, f32)>> = vec![None; self.ranges.len()];
        let mut update = |c: usize, v: f32| {
            if v.is_finite() {
                batch[c] = Some(match batch[c] {
                    None => (v, v),
                    Some((lo, hi)) => (min_of(lo, v), max_of(hi, v)),
                });
            }
        };
        plan.for_each_run(|start, n, run| {
            for (t, &v) in x[start..start + n].iter().enumerate() {
                match run {
                    Run::Uniform(c) => update(c, v),
                    Run::Each(c0) => update(c0 + t, v),
                }
            }
        });
        for (r, b) in self.ranges.iter_mut().zip(batch) {
            let Some((lo, hi)) = b else { continue };
            *r = Some(match (*r, self.averaging) {
                (None, _) => (lo, hi),
                (Some((a, b)), None) => (min_of(a, lo), max_of(b, hi)),
                (Some((a, b)), Some(c)) => (
                    super::observer::moving_step(a, lo, c),
                    super::observer::moving_step(b, hi, c),
                ),
            });
        }
        Ok(())
    }

    /// Each channel's range so far (None before any finite value in it).
    pub fn ranges(&self) -> &[Option<(f32, f32)>] {
        &self.ranges
    }

    /// One parameter set per channel ([`choose_qparams_in`] on its range, [0, 0] for a
    /// channel without data: scale 1), in channel order — what
    /// [`quantize_per_axis`](super::quantize_per_axis) takes. Errors: as
    /// [`choose_qparams_in`].
    pub fn qparams<Q: QuantInt>(
        &self,
        scheme: Scheme,
        range: QRange,
    ) -> Result<Vec<QParams>, Error> {
        self.ranges
            .iter()
            .map(|r| {
                let (lo, hi) = r.unwrap_or((0.0, 0.0));
                choose_qparams_in::<Q>(lo, hi, scheme, range)
            })
            .collect()
    }

    /// Forget every range (the channel count stays).
    pub fn reset(&mut self) {
        self.ranges.iter_mut().for_each(|r| *r = None);
    }
}

/// Quantize per axis ([`quantize_per_axis`](super::quantize_per_axis): element `(…, j, …)` uses `params[j]`) to a 4-bit
/// type, packed two per byte in row-major element order: element 0 in the low nibble, an odd
/// tail's high nibble 0 (ONNX's `int4`/`uint4` tensor layout). `out.len()` must be
/// ⌈`x.len()` / 2⌉. Rounding, NaN and overflow as [`quantize`](super::quantize).
///
/// Errors (nothing written): those of [`quantize_per_axis`](super::quantize_per_axis), and a wrong `out` length.
pub fn quantize_per_axis_packed<Q: Nibble>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    params: &[QParams],
    out: &mut [u8],
) -> Result<(), Error> {
    super::int::quantize_per_axis_packed::<Q>(x, shape, axis, params, out)
}

/// Dequantize `out.len()` 4-bit values packed as [`quantize_per_axis_packed`] writes them
/// (⌈`out.len()` / 2⌉ bytes), per axis.
///
/// Errors (nothing written): those of [`dequantize_per_axis`](super::dequantize_per_axis), and a wrong `packed` length.
pub fn dequantize_per_axis_packed<Q: Nibble>(
    packed: &[u8],
    shape: &[usize],
    axis: usize,
    params: &[QParams],
    out: &mut [f32],
) -> Result<(), Error> {
    super::int::dequantize_per_axis_packed::<Q>(packed, shape, axis, params, out)
}
