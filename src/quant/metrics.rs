//! Error metrics of a round trip (`CONTRACT.md` §6): mean squared error, largest absolute and
//! relative error, signal-to-quantization-noise ratio in dB, cosine similarity.
//!
//! Sums run in `f64`. Pairs whose original value is NaN or infinite are skipped (they have no
//! finite error). A NaN or infinite reconstruction of a finite original is an infinite error,
//! and every metric says so at once: mse, max_abs and max_rel are +∞, sqnr_db is −∞ and cosine
//! is NaN (undefined) — no metric looks healthy while another reports the failure. Otherwise
//! the relative error skips originals that are 0.

use super::check_len;
use crate::Error;

/// All the metrics of one round trip.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ErrorStats {
    /// Pairs measured (those whose original is finite).
    pub count: usize,
    /// Mean of (x' − x)².
    pub mse: f64,
    /// Largest |x' − x|.
    pub max_abs: f64,
    /// Largest |x' − x| / |x| over x ≠ 0 (+∞ when a reconstruction of a finite original is
    /// NaN or infinite, whatever that original).
    pub max_rel: f64,
    /// 10 · log10(Σx² / Σ(x' − x)²): +∞ for an exact round trip, −∞ for a zero signal with
    /// noise.
    pub sqnr_db: f64,
    /// Σx·x' / (‖x‖·‖x'‖): 1 when both are zero, 0 when only one is; NaN when a
    /// reconstruction of a finite original is NaN or infinite.
    pub cosine: f64,
}

/// √x: the standard library's with `std`, the `libm` crate's without (through num-traits).
fn sqrt(x: f64) -> f64 {
    num_traits::Float::sqrt(x)
}

/// log10 x: the standard library's with `std`, the `libm` crate's without.
fn log10(x: f64) -> f64 {
    num_traits::Float::log10(x)
}

/// Every metric of the round trip `original` → `reconstructed` (see the [module docs](self)
/// for NaN and ∞). Errors: different lengths.
///
/// ```
/// use lowp::quant::error_stats;
/// let s = error_stats(&[1.0, -2.0, 0.0, f32::NAN], &[1.0, -1.0, 0.5, 0.0])?;
/// assert_eq!((s.count, s.mse, s.max_abs, s.max_rel), (3, 1.25 / 3.0, 1.0, 0.5));
/// assert_eq!(s.sqnr_db, 10.0 * (5.0f64 / 1.25).log10());
/// let bad = error_stats(&[1.0, 2.0], &[1.0, f32::NAN])?; // a failed reconstruction
/// assert_eq!((bad.mse, bad.max_rel, bad.sqnr_db), (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY));
/// assert!(bad.cosine.is_nan());
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn error_stats(original: &[f32], reconstructed: &[f32]) -> Result<ErrorStats, Error> {
    check_len(original.len(), reconstructed.len())?;
    let (mut n, mut se, mut sx, mut sr, mut sxr) = (0usize, 0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let (mut max_abs, mut max_rel) = (0.0f64, 0.0f64);
    let mut failed = false;
    for (&x, &r) in original.iter().zip(reconstructed) {
        if !x.is_finite() {
            continue;
        }
        n += 1;
        let (x, r) = (crate::fenv::widen(x), crate::fenv::widen(r));
        let e = if r.is_finite() {
            let d = r - x;
            if d < 0.0 {
                -d
            } else {
                d
            }
        } else {
            failed = true;
            f64::INFINITY
        };
        se += e * e;
        max_abs = if e > max_abs { e } else { max_abs };
        if x != 0.0 {
            let rel = e / if x < 0.0 { -x } else { x };
            max_rel = if rel > max_rel { rel } else { max_rel };
        }
        sx += x * x;
        if r.is_finite() {
            sr += r * r;
            sxr += x * r;
        }
    }
    if failed {
        return Ok(ErrorStats {
            count: n,
            mse: f64::INFINITY,
            max_abs: f64::INFINITY,
            max_rel: f64::INFINITY,
            sqnr_db: f64::NEG_INFINITY,
            cosine: f64::NAN,
        });
    }
    let mse = if n == 0 { 0.0 } else { se / n as f64 };
    let sqnr_db = if se == 0.0 {
        f64::INFINITY
    } else if sx == 0.0 {
        f64::NEG_INFINITY
    } else {
        10.0 * log10(sx / se)
    };
    let cosine = if sx == 0.0 && sr == 0.0 {
        1.0
    } else if sx == 0.0 || sr == 0.0 {
        0.0
    } else {
        sxr / (sqrt(sx) * sqrt(sr))
    };
    Ok(ErrorStats {
        count: n,
        mse,
        max_abs,
        max_rel,
        sqnr_db,
        cosine,
    })
}

/// Mean squared error (see [`error_stats`]).
///
/// ```
/// assert_eq!(lowp::quant::mse(&[1.0, 2.0], &[1.5, 2.0])?, 0.125);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn mse(original: &[f32], reconstructed: &[f32]) -> Result<f64, Error> {
    error_stats(original, reconstructed).map(|s| s.mse)
}

/// Largest absolute error (see [`error_stats`]).
pub fn max_abs_error(original: &[f32], reconstructed: &[f32]) -> Result<f64, Error> {
    error_stats(original, reconstructed).map(|s| s.max_abs)
}

/// Largest relative error over non-zero originals (see [`error_stats`]).
pub fn max_rel_error(original: &[f32], reconstructed: &[f32]) -> Result<f64, Error> {
    error_stats(original, reconstructed).map(|s| s.max_rel)
}

/// SQNR in dB (see [`error_stats`]).
///
/// ```
/// let db = lowp::quant::sqnr_db(&[3.0, 4.0], &[3.0, 4.5])?; // 25 / 0.25 = 100 → 20 dB
/// assert_eq!(db, 20.0);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn sqnr_db(original: &[f32], reconstructed: &[f32]) -> Result<f64, Error> {
    error_stats(original, reconstructed).map(|s| s.sqnr_db)
}

/// Cosine similarity (see [`error_stats`]).
///
/// ```
/// assert_eq!(lowp::quant::cosine_similarity(&[1.0, 0.0], &[0.0, 2.0])?, 0.0);
/// assert_eq!(lowp::quant::cosine_similarity(&[3.0, 4.0], &[6.0, 8.0])?, 1.0);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn cosine_similarity(original: &[f32], reconstructed: &[f32]) -> Result<f64, Error> {
    error_stats(original, reconstructed).map(|s| s.cosine)
}
