//! Calibration observers: each is fed batch by batch ([`observe`](MinMaxObserver::observe)) and
//! then gives a range and quantization parameters.
//!
//! - [`MinMaxObserver`]: the running minimum and maximum.
//! - [`MovingAverageMinMaxObserver`]: the first batch sets min and max, then each batch moves
//!   them by m += c · (batch − m) with c = 0.01 by default (PyTorch's
//!   `MovingAverageMinMaxObserver`), in `f32`.
//! - [`PercentileObserver`]: clips at a percentile of |x| (symmetric) or at the lower and upper
//!   percentiles (asymmetric), read from a histogram.
//! - [`MseObserver`]: searches clip ranges α·[min, max] for the one whose quantize/dequantize
//!   round trip has the smallest squared error over the histogram.
//!
//! NaN and ±∞ are skipped by every observer (they cannot set a finite range). The histogram
//! ([`HistogramObserver`]) has 2048 bins on each side of 0 over [−R, R), R a power of two that
//! doubles (merging bin pairs exactly) when a batch exceeds it; so it is independent of how the
//! data is split into batches.

use super::alloc::vec;
use super::alloc::vec::Vec;
use super::fabs;
use super::int::{choose_qparams, QParams, QuantInt, QuantOptions, Scheme};
use crate::Error;

fn finite_min_max(x: &[f32]) -> Option<(f32, f32)> {
    let (mut lo, mut hi, mut any) = (f32::INFINITY, f32::NEG_INFINITY, false);
    for &v in x {
        if v.is_finite() {
            any = true;
            lo = if crate::fenv::lt(v, lo) { v } else { lo };
            hi = if crate::fenv::gt(v, hi) { v } else { hi };
        }
    }
    any.then_some((lo, hi))
}

/// The running minimum and maximum of the finite values seen.
///
/// ```
/// use lowp::quant::{MinMaxObserver, QParams, Scheme};
/// let mut o = MinMaxObserver::new();
/// o.observe(&[0.5, -1.0]);
/// o.observe(&[2.0, f32::NAN]);
/// assert_eq!(o.range(), Some((-1.0, 2.0)));
/// assert_eq!(o.qparams::<u8>(Scheme::Asymmetric)?, QParams::new(3.0 / 255.0, 85));
/// # Ok::<(), lowp::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MinMaxObserver {
    range: Option<(f32, f32)>,
}

impl MinMaxObserver {
    /// An observer that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }
    /// Take in one batch.
    pub fn observe(&mut self, x: &[f32]) {
        if let Some((lo, hi)) = finite_min_max(x) {
            self.range = Some(match self.range {
                None => (lo, hi),
                Some((a, b)) => (
                    if crate::fenv::lt(lo, a) { lo } else { a },
                    if crate::fenv::gt(hi, b) { hi } else { b },
                ),
            });
        }
    }
    /// The range seen so far (None before any finite value).
    pub fn range(&self) -> Option<(f32, f32)> {
        self.range
    }
    /// Parameters for the range ([`choose_qparams`]; [0, 0] before any data: scale 1).
    pub fn qparams<Q: QuantInt>(&self, scheme: Scheme) -> Result<QParams, Error> {
        let (lo, hi) = self.range.unwrap_or((0.0, 0.0));
        choose_qparams::<Q>(lo, hi, scheme)
    }
    /// Forget everything.
    pub fn reset(&mut self) {
        self.range = None;
    }
}

/// Moving-average min and max: the first batch sets them, each later batch moves them by
/// m += c · (batch − m) (PyTorch's `MovingAverageMinMaxObserver`, c = 0.01 by default).
///
/// ```
/// use lowp::quant::MovingAverageMinMaxObserver;
/// let mut o = MovingAverageMinMaxObserver::new(0.5);
/// o.observe(&[-1.0, 1.0]);
/// o.observe(&[-3.0, 2.0]);
/// assert_eq!(o.range(), Some((-2.0, 1.5)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MovingAverageMinMaxObserver {
    constant: f32,
    range: Option<(f32, f32)>,
}

impl Default for MovingAverageMinMaxObserver {
    /// Averaging constant 0.01.
    fn default() -> Self {
        Self::new(0.01)
    }
}

impl MovingAverageMinMaxObserver {
    /// An observer with averaging constant `c` (the weight of each new batch), which must lie
    /// in (0, 1] (PyTorch's bound).
    ///
    /// # Panics
    /// If `c` is not in (0, 1] (NaN included); [`MovingAverageMinMaxObserver::try_new`] returns
    /// an `Err` instead.
    #[track_caller]
    pub fn new(c: f32) -> Self {
        match Self::try_new(c) {
            Ok(o) => o,
            Err(e) => panic!("MovingAverageMinMaxObserver::new: {e}"),
        }
    }
    /// As [`MovingAverageMinMaxObserver::new`], but an [`Error::InvalidParameter`] for a
    /// constant outside (0, 1].
    ///
    /// ```
    /// use lowp::quant::MovingAverageMinMaxObserver;
    /// assert!(MovingAverageMinMaxObserver::try_new(0.01).is_ok());
    /// assert!(MovingAverageMinMaxObserver::try_new(1.5).is_err());
    /// assert!(MovingAverageMinMaxObserver::try_new(f32::NAN).is_err());
    /// ```
    pub fn try_new(c: f32) -> Result<Self, Error> {
        check_averaging(c)?;
        Ok(MovingAverageMinMaxObserver {
            constant: c,
            range: None,
        })
    }
    /// Take in one batch (a batch without finite values changes nothing). Each bound moves by
    /// m += c · (batch − m) in `f32`; where batch − m overflows `f32` (bounds of opposite signs
    /// near ±`f32::MAX`), the step is taken in `f64` and rounded once, so the averaged bound stays
    /// finite, between the old bound and the batch's.
    pub fn observe(&mut self, x: &[f32]) {
        if let Some((lo, hi)) = finite_min_max(x) {
            let c = self.constant;
            self.range = Some(match self.range {
                None => (lo, hi),
                Some((a, b)) => (moving_step(a, lo, c), moving_step(b, hi, c)),
            });
        }
    }
    /// The averaged range (None before any finite value).
    pub fn range(&self) -> Option<(f32, f32)> {
        self.range
    }
    /// Parameters for the averaged range ([`choose_qparams`]).
    pub fn qparams<Q: QuantInt>(&self, scheme: Scheme) -> Result<QParams, Error> {
        let (lo, hi) = self.range.unwrap_or((0.0, 0.0));
        choose_qparams::<Q>(lo, hi, scheme)
    }
}

/// One moving-average step m + c · (v − m) in `f32` (PyTorch's), or, where v − m overflows
/// `f32`, the same step in `f64` rounded once — finite, between m and v, for c in (0, 1].
pub(crate) fn moving_step(m: f32, v: f32, c: f32) -> f32 {
    // m + c·(batch − m), each step as the default environment rounds it (FTZ/DAZ-immune).
    use crate::fenv::{add, mul, sub};
    let r = add(m, mul(c, sub(v, m)));
    if r.is_finite() {
        r
    } else {
        use crate::fenv::{narrow, widen};
        narrow(widen(m) + widen(c) * (widen(v) - widen(m)))
    }
}

/// Check an averaging constant: in (0, 1] (PyTorch's bound).
pub(crate) fn check_averaging(c: f32) -> Result<(), Error> {
    if c > 0.0 && c <= 1.0 {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: "averaging constant",
            value: c as f64,
            valid: "in (0, 1]",
        })
    }
}

/// Bins on each side of zero.
const HALF_BINS: usize = 2048;

/// A histogram of the finite values seen, over [−R, R) with R a power of two (see the module
/// docs), plus the exact min and max. The base of [`PercentileObserver`] and [`MseObserver`].
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramObserver {
    bins: Vec<u64>,
    /// log2 R; meaningful once `r_set`.
    log2_r: i32,
    r_set: bool,
    total: u64,
    minmax: MinMaxObserver,
}

impl Default for HistogramObserver {
    fn default() -> Self {
        Self::new()
    }
}

fn pow2(e: i32) -> f64 {
    f64::from_bits(((1023 + e) as u64) << 52)
}

use super::mx::floor_log2;

/// A percentage clamped to [0, 100], NaN taken as 100.
fn clamp_percent(p: f64) -> f64 {
    if p.is_nan() {
        100.0
    } else {
        p.clamp(0.0, 100.0)
    }
}

impl HistogramObserver {
    /// An empty histogram.
    pub fn new() -> Self {
        let bins = vec![0; 2 * HALF_BINS];
        HistogramObserver {
            bins,
            log2_r: 0,
            r_set: false,
            total: 0,
            minmax: MinMaxObserver::new(),
        }
    }

    /// Take in one batch.
    pub fn observe(&mut self, x: &[f32]) {
        let Some((lo, hi)) = finite_min_max(x) else {
            return;
        };
        self.minmax.observe(x);
        // On the bits (CONTRACT.md §14): DAZ reads a subnormal as 0 in `max` and `> 0`.
        let a = if crate::fenv::abs_gt(fabs(lo), fabs(hi)) {
            fabs(lo)
        } else {
            fabs(hi)
        };
        if !crate::fenv::is_zero(a) {
            let need = floor_log2(a) + 1; // a < 2^need
            if !self.r_set {
                self.log2_r = need;
                self.r_set = true;
            }
            if self.log2_r < need {
                self.double(need - self.log2_r);
            }
        }
        let width = pow2(self.log2_r) / HALF_BINS as f64;
        let r = pow2(self.log2_r);
        for &v in x {
            if v.is_finite() {
                // floor: the argument is ≥ 0 (`widen`: `v as f64` is 0 for a subnormal under DAZ)
                let i = ((crate::fenv::widen(v) + r) / width) as usize;
                self.bins[i.min(2 * HALF_BINS - 1)] += 1;
                self.total += 1;
            }
        }
    }

    /// Double R `k` times in one pass, exactly as `k` single doublings (each moves bin b to
    /// ⌊b / 2⌋ + HALF_BINS/2): by induction, k of them move b to
    /// HALF_BINS + ⌊(b − HALF_BINS) / 2^k⌋, which for k > 12 is HALF_BINS − 1 or HALF_BINS (the
    /// sign of the bin) — so a batch 2^270 times larger than the last costs one pass, not 270.
    fn double(&mut self, k: i32) {
        let d = 1i64 << k.min(13);
        let mut merged = vec![0u64; 2 * HALF_BINS];
        for (b, &c) in self.bins.iter().enumerate() {
            let to = HALF_BINS as i64 + (b as i64 - HALF_BINS as i64).div_euclid(d);
            merged[to as usize] += c;
        }
        self.bins = merged;
        self.log2_r += k;
    }

    /// Values seen.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The exact range seen (None before any finite value).
    pub fn range(&self) -> Option<(f32, f32)> {
        self.minmax.range()
    }

    fn width(&self) -> f64 {
        pow2(self.log2_r) / HALF_BINS as f64
    }

    /// The smallest bin edge t ≥ 0 with at least `p`% of the values having |x| ≤ t (clamped to
    /// the true amax); 0 before any data. `p` is clamped to [0, 100]; NaN is taken as 100.
    pub fn abs_percentile(&self, p: f64) -> f32 {
        let p = clamp_percent(p);
        let Some((lo, hi)) = self.range() else {
            return 0.0;
        };
        let amax = if crate::fenv::abs_gt(fabs(lo), fabs(hi)) {
            fabs(lo)
        } else {
            fabs(hi)
        };
        let want = p / 100.0 * self.total as f64;
        let mut cum = 0u64;
        for k in 0..HALF_BINS {
            cum += self.bins[HALF_BINS + k] + self.bins[HALF_BINS - 1 - k];
            if cum as f64 >= want {
                let a = crate::fenv::widen(amax);
                return crate::fenv::narrow(((k + 1) as f64 * self.width()).min(a));
            }
        }
        amax
    }

    /// The lower and upper `p`-percentile bin edges of the signed values (clamped to the true
    /// range): about (100 − p)% lie below the first and above the second. `p` is clamped to
    /// [0, 100]; NaN is taken as 100.
    pub fn percentile_range(&self, p: f64) -> Option<(f32, f32)> {
        let p = clamp_percent(p);
        let (lo, hi) = self.range()?;
        let r = pow2(self.log2_r);
        let w = self.width();
        let tail = (100.0 - p) / 100.0 * self.total as f64;
        let mut cum = 0u64;
        use crate::fenv::{narrow, widen};
        let mut low = widen(lo);
        for (b, &c) in self.bins.iter().enumerate() {
            cum += c;
            if cum as f64 > tail {
                low = -r + b as f64 * w;
                break;
            }
        }
        let mut cum = 0u64;
        let mut high = widen(hi);
        for (b, &c) in self.bins.iter().enumerate().rev() {
            cum += c;
            if cum as f64 > tail {
                high = -r + (b + 1) as f64 * w;
                break;
            }
        }
        Some((narrow(low.max(widen(lo))), narrow(high.min(widen(hi)))))
    }

    /// (bin centre, count) for every non-empty bin.
    fn centres(&self) -> impl Iterator<Item = (f32, u64)> + '_ {
        let r = pow2(self.log2_r);
        let w = self.width();
        self.bins
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(move |(b, &c)| (crate::fenv::narrow(-r + (b as f64 + 0.5) * w), c))
    }
}

/// Clips at a percentile: symmetric schemes use the `p`-th percentile of |x|, the asymmetric
/// scheme the lower and upper `p`-th percentiles (onnxruntime's and TensorRT's "percentile"
/// calibration; `p` = 99.999 is common).
///
/// ```
/// use lowp::quant::{PercentileObserver, Scheme};
/// let mut o = PercentileObserver::new(99.0);
/// let mut x: Vec<f32> = (0..1000).map(|i| i as f32 / 1000.0).collect();
/// x[999] = 100.0; // an outlier
/// o.observe(&x);
/// let a = o.amax();
/// assert!(a > 0.98 && a < 1.1);
/// let p = o.qparams::<i8>(Scheme::Symmetric)?;
/// assert_eq!(p.scale, a / 127.0);
/// # Ok::<(), lowp::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PercentileObserver {
    hist: HistogramObserver,
    percentile: f64,
}

impl PercentileObserver {
    /// An observer that clips at `percentile` (in percent, e.g. 99.99), which must lie in
    /// (0, 100].
    ///
    /// # Panics
    /// If `percentile` is not in (0, 100] (NaN included); [`PercentileObserver::try_new`]
    /// returns an `Err` instead.
    #[track_caller]
    pub fn new(percentile: f64) -> Self {
        match Self::try_new(percentile) {
            Ok(o) => o,
            Err(e) => panic!("PercentileObserver::new: {e}"),
        }
    }
    /// As [`PercentileObserver::new`], but an [`Error::InvalidParameter`] for a percentile
    /// outside (0, 100].
    ///
    /// ```
    /// use lowp::quant::PercentileObserver;
    /// assert!(PercentileObserver::try_new(99.99).is_ok());
    /// assert!(PercentileObserver::try_new(0.9999e2 * 2.0).is_err()); // 199.98: not a percentile
    /// assert!(PercentileObserver::try_new(0.0).is_err());
    /// ```
    pub fn try_new(percentile: f64) -> Result<Self, Error> {
        if !(percentile > 0.0 && percentile <= 100.0) {
            return Err(Error::InvalidParameter {
                name: "percentile",
                value: percentile,
                valid: "in (0, 100]",
            });
        }
        Ok(PercentileObserver {
            hist: HistogramObserver::new(),
            percentile,
        })
    }
    /// Take in one batch.
    pub fn observe(&mut self, x: &[f32]) {
        self.hist.observe(x);
    }
    /// The clip value for symmetric schemes.
    pub fn amax(&self) -> f32 {
        self.hist.abs_percentile(self.percentile)
    }
    /// The clip range for the asymmetric scheme.
    pub fn range(&self) -> Option<(f32, f32)> {
        self.hist.percentile_range(self.percentile)
    }
    /// Parameters from the clipped range.
    pub fn qparams<Q: QuantInt>(&self, scheme: Scheme) -> Result<QParams, Error> {
        let (lo, hi) = match scheme {
            Scheme::Asymmetric => self.range().unwrap_or((0.0, 0.0)),
            _ => (-self.amax(), self.amax()),
        };
        choose_qparams::<Q>(lo, hi, scheme)
    }
    /// The underlying histogram.
    pub fn histogram(&self) -> &HistogramObserver {
        &self.hist
    }
}

/// Searches clip ranges α · [min, max], α = k / candidates for k = 1 … candidates (default 100),
/// for the parameters whose quantize/dequantize round trip of the histogram's bin centres has
/// the smallest total squared error (the MSE calibration of onnxruntime / TensorRT / NNCF, on
/// a histogram so that it is incremental).
///
/// ```
/// use lowp::quant::{MseObserver, Scheme, I4};
/// let mut x: Vec<f32> = (0..4000).map(|i| ((i as f32) * 0.37).sin()).collect();
/// x.push(5.0); // one outlier: min-max would spend the 4-bit range on it
/// let mut o = MseObserver::new(100);
/// o.observe(&x);
/// let p = o.qparams::<I4>(Scheme::Symmetric)?;
/// assert!(p.scale < 5.0 / 7.0 / 2.0);
/// # Ok::<(), lowp::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MseObserver {
    hist: HistogramObserver,
    candidates: u32,
}

impl Default for MseObserver {
    /// 100 candidates.
    fn default() -> Self {
        Self::new(100)
    }
}

impl MseObserver {
    /// The most candidates an observer tries: 2^16 (finer steps of α than 2^-16 change no
    /// 8-bit parameter, and the search costs candidates × histogram bins per call, so a huge
    /// count would only make [`MseObserver::search`] run for hours).
    pub const MAX_CANDIDATES: u32 = 1 << 16;
    /// An observer that tries `candidates` clip ranges; 0 is taken as 1 and more than
    /// [`MseObserver::MAX_CANDIDATES`] as that many ([`MseObserver::try_new`] rejects both
    /// instead).
    pub fn new(candidates: u32) -> Self {
        MseObserver {
            hist: HistogramObserver::new(),
            candidates: candidates.clamp(1, Self::MAX_CANDIDATES),
        }
    }
    /// As [`MseObserver::new`], but an [`Error::InvalidParameter`] for 0 candidates or more
    /// than [`MseObserver::MAX_CANDIDATES`].
    pub fn try_new(candidates: u32) -> Result<Self, Error> {
        if candidates == 0 || candidates > Self::MAX_CANDIDATES {
            return Err(Error::InvalidParameter {
                name: "number of MSE candidates",
                value: candidates as f64,
                valid: "1 to 65536",
            });
        }
        Ok(Self::new(candidates))
    }
    /// Take in one batch.
    pub fn observe(&mut self, x: &[f32]) {
        self.hist.observe(x);
    }
    /// The underlying histogram.
    pub fn histogram(&self) -> &HistogramObserver {
        &self.hist
    }
    /// The parameters with the smallest estimated squared error, and that error (the sum over
    /// bins of count · (centre − fake_quantize(centre))²). Ties go to the wider range.
    pub fn search<Q: QuantInt>(&self, scheme: Scheme) -> Result<(QParams, f64), Error> {
        let (lo, hi) = self.hist.range().unwrap_or((0.0, 0.0));
        let centres: Vec<(f32, u64)> = self.hist.centres().collect();
        let n = self.candidates;
        let mut best: Option<(QParams, f64)> = None;
        let mut buf = [0f32; 1];
        for k in (1..=n).rev() {
            use crate::fenv::{gt, lt, mul, sub, widen};
            let a = k as f32 / n as f32;
            let p = choose_qparams::<Q>(mul(lo, a), mul(hi, a), scheme)?;
            let mut err = 0.0f64;
            for &(c, count) in &centres {
                let c = if lt(c, lo) {
                    lo
                } else if gt(c, hi) {
                    hi
                } else {
                    c
                };
                super::int::fake_quantize_with::<Q>(&[c], p, QuantOptions::default(), &mut buf)?;
                let d = widen(sub(buf[0], c));
                err += d * d * count as f64;
            }
            if best.is_none_or(|(_, e)| err < e) {
                best = Some((p, err));
            }
        }
        best.ok_or(Error::InvalidInput("no candidates"))
    }
    /// The parameters with the smallest estimated squared error ([`MseObserver::search`]).
    pub fn qparams<Q: QuantInt>(&self, scheme: Scheme) -> Result<QParams, Error> {
        self.search::<Q>(scheme).map(|(p, _)| p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One pass of k doublings equals k single ones, for every k that matters.
    #[test]
    fn multi_doubling_is_repeated_doubling() {
        let mut base = HistogramObserver::new();
        for (b, c) in base.bins.iter_mut().enumerate() {
            *c = (b as u64 * 2_654_435_761) % 1000;
        }
        for k in 1..=20 {
            let mut one = base.clone();
            for _ in 0..k {
                one.double(1);
            }
            let mut many = base.clone();
            many.double(k);
            assert_eq!(one, many, "k = {k}");
        }
    }
}
