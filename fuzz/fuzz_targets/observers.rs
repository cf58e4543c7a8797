//! Observers and error metrics. Invariants: no panic for any parameter or data; parameters
//! they give are valid; the metrics are consistent (a failed reconstruction shows in all of
//! them; otherwise they are finite where defined and |cosine| ≤ 1 up to rounding).
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;
use common::R;
use lowp::quant::{
    self, HistogramObserver, MinMaxObserver, MovingAverageMinMaxObserver, MseObserver,
    PercentileObserver, QuantInt, Scheme, I4,
};

fn check<Q: QuantInt>(p: Result<quant::QParams, lowp::Error>) {
    if let Ok(p) = p {
        p.check::<Q>().unwrap();
    }
}

fuzz_target!(|data: &[u8]| {
    let mut r = R(data);
    let pct = if r.bool() {
        r.f64()
    } else {
        r.upto(1000) as f64 / 10.0
    };
    let c = if r.bool() {
        r.f32()
    } else {
        r.upto(100) as f32 / 100.0
    };
    // Few candidates: the search costs candidates × histogram bins per call.
    let cand = r.upto(9) as u32;
    let mut mm = MinMaxObserver::new();
    let mut ma = MovingAverageMinMaxObserver::try_new(c).ok();
    assert_eq!(ma.is_some(), c > 0.0 && c <= 1.0);
    let mut po = PercentileObserver::try_new(pct).ok();
    assert_eq!(po.is_some(), pct > 0.0 && pct <= 100.0);
    let mut mo = MseObserver::try_new(cand).ok();
    let mut h = HistogramObserver::new();
    for _ in 0..r.upto(4) {
        let n = r.upto(40);
        let x = r.f32s(n);
        mm.observe(&x);
        h.observe(&x);
        if let Some(o) = ma.as_mut() {
            o.observe(&x);
            if let Some((lo, hi)) = o.range() {
                assert!(lo.is_finite() && hi.is_finite());
            }
        }
        if let Some(o) = po.as_mut() {
            o.observe(&x);
        }
        if let Some(o) = mo.as_mut() {
            o.observe(&x);
        }
    }
    let scheme = [
        Scheme::Asymmetric,
        Scheme::Symmetric,
        Scheme::SymmetricFullRange,
    ][r.upto(2)];
    check::<i8>(mm.qparams::<i8>(scheme));
    if let Some(o) = &ma {
        check::<u8>(o.qparams::<u8>(scheme));
    }
    if let Some(o) = &po {
        let a = o.amax();
        assert!(a.is_finite() && a >= 0.0);
        check::<i8>(o.qparams::<i8>(scheme));
    }
    if let Some(o) = &mo {
        check::<I4>(o.qparams::<I4>(scheme));
    }
    let p = r.f64();
    let a = h.abs_percentile(p);
    if let Some((lo, hi)) = h.range() {
        assert!(a <= lo.abs().max(hi.abs()));
        if let Some((l, u)) = h.percentile_range(p) {
            assert!(l >= lo && u <= hi, "{l} {u} in {lo} {hi}");
        }
    }

    // Metrics.
    let n = r.upto(30);
    let x = r.f32s(n);
    let m = if r.u8() < 8 { r.upto(30) } else { n };
    let y = r.f32s(m);
    match quant::error_stats(&x, &y) {
        Err(_) => assert_ne!(x.len(), y.len()),
        Ok(s) => {
            let failed = x
                .iter()
                .zip(&y)
                .any(|(a, b)| a.is_finite() && !b.is_finite());
            if failed {
                assert!(s.mse == f64::INFINITY && s.max_abs == f64::INFINITY);
                assert!(s.max_rel == f64::INFINITY && s.sqnr_db == f64::NEG_INFINITY);
                assert!(s.cosine.is_nan());
            } else {
                assert!(s.mse.is_finite() && s.mse >= 0.0, "{s:?}");
                assert!(s.max_abs.is_finite() && s.max_rel.is_finite(), "{s:?}");
                assert!(!s.sqnr_db.is_nan(), "{s:?}");
                assert!(s.cosine.abs() <= 1.0 + 1e-9, "{s:?}");
            }
        }
    }
});
