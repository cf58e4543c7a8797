//! No traps: the call a user would type gives the right bits, no panic on data, no silent wrong
//! answer. Each test here failed before the fix it guards (issue 9).

use lowp::quant::{
    self, error_stats, mx_element_bytes, mx_fake_quantize_with, nvfp4_fake_quantize,
    nvfp4_tensor_scale, quantize_scaled, DelayedScaling, MovingAverageMinMaxObserver, MseObserver,
    MxFormat, MxOptions, MxScaleRule, PercentileObserver, QParams, Scheme,
};
use lowp::{
    packing, Error, Format, Overflow, Rounding, BF16, F16, F4E2M1FN, F6E2M3FN, F6E3M2FN, F8E3M4,
    F8E4M3, F8E4M3B11FNUZ, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0FNU, TF32,
};
use std::panic::{catch_unwind, AssertUnwindSafe};

// ---------------------------------------------------------------------------------------------
// The obvious call is the correct one.

/// 1 + 2^-11 + 2^-40: just above the f16 midpoint between 1 and 1 + 2^-10. Rounded once it goes
/// up (0x3C01); through f32 (which drops the 2^-40) it is a tie and goes to even (0x3C00).
fn f16_trap() -> f64 {
    1.0 + 2f64.powi(-11) + 2f64.powi(-40)
}
/// The same for bf16: 1 + 2^-8 + 2^-40.
fn bf16_trap() -> f64 {
    1.0 + 2f64.powi(-8) + 2f64.powi(-40)
}

#[test]
fn the_free_functions_round_f64_once() {
    assert_eq!(lowp::round::<F16>(f16_trap()).to_bits(), 0x3C01);
    assert_eq!(lowp::round::<BF16>(bf16_trap()).to_bits(), 0x3F81);
    let t = Rounding::NearestEven;
    assert_eq!(
        lowp::round_with::<F16>(f16_trap(), t, Overflow::Ieee).to_bits(),
        0x3C01
    );
    assert_eq!(
        lowp::try_round::<F16>(f16_trap()).unwrap().to_bits(),
        0x3C01
    );
    assert_eq!(
        lowp::try_round::<BF16>(bf16_trap()).unwrap().to_bits(),
        0x3F81
    );
}

/// The crate docs warn that `F16::from_f64` is half's and double-rounds. If half ever fixes
/// it, this fails and the warning (crate docs, README) must go.
#[test]
fn the_docs_warning_about_half_is_still_true() {
    assert_eq!(F16::from_f64(f16_trap()).to_bits(), 0x3C00);
    assert_eq!(BF16::from_f64(bf16_trap()).to_bits(), 0x3F80);
    // With the trait in scope the inherent method still wins: the same call, the same trap.
    #[allow(unused_imports)]
    use lowp::Format as _;
    assert_eq!(F16::from_f64(f16_trap()).to_bits(), 0x3C00);
    // Only the fully qualified trait call (or lowp::round) is right.
    assert_eq!(<F16 as Format>::from_f64(f16_trap()).to_bits(), 0x3C01);
}

/// A deterministic spread of f32 bit patterns, specials included.
fn sample_f32() -> Vec<f32> {
    let mut v: Vec<f32> = [
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        -f32::NAN,
        f32::MAX,
        f32::MIN_POSITIVE,
        f32::from_bits(1),
        464.0,
        465.0,
        480.0,
        57344.0,
        61440.0,
        6.0,
        7.0,
        1e-45,
        2f32.powi(-127),
        2f32.powi(127),
        3.0 * 2f32.powi(126),
    ]
    .to_vec();
    let mut s: u32 = 0x9E37_79B9;
    for _ in 0..20_000 {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        v.push(f32::from_bits(s));
    }
    v
}

fn agree_with_trait<F: Format>() {
    let bits = |x: F| x.to_bits_u32();
    for &x in &sample_f32() {
        assert_eq!(bits(lowp::round::<F>(x)), bits(F::from_f32(x)), "{x:e}");
        let d = x as f64 * (1.0 + 2f64.powi(-30));
        assert_eq!(bits(lowp::round::<F>(d)), bits(F::from_f64(d)), "{d:e}");
        for r in Rounding::ALL {
            for o in [Overflow::Ieee, Overflow::Saturate] {
                assert_eq!(
                    bits(lowp::round_with::<F>(x, r, o)),
                    bits(F::from_f32_with(x, r, o))
                );
                assert_eq!(
                    bits(lowp::round_with::<F>(d, r, o)),
                    bits(F::from_f64_with(d, r, o))
                );
            }
        }
        let w = x.to_bits().rotate_left(7);
        assert_eq!(
            bits(lowp::round_stochastic::<F>(x, w, Overflow::Ieee)),
            bits(F::from_f32_stochastic(x, w, Overflow::Ieee))
        );
        assert_eq!(
            bits(lowp::round_stochastic::<F>(d, w, Overflow::Saturate)),
            bits(F::from_f64_stochastic(d, w, Overflow::Saturate))
        );
    }
}

#[test]
fn the_free_functions_are_the_trait_methods() {
    agree_with_trait::<f32>();
    agree_with_trait::<TF32>();
    agree_with_trait::<F16>();
    agree_with_trait::<BF16>();
    agree_with_trait::<F8E4M3FN>();
    agree_with_trait::<F8E5M2>();
    agree_with_trait::<F8E4M3FNUZ>();
    agree_with_trait::<F8E5M2FNUZ>();
    agree_with_trait::<F8E4M3B11FNUZ>();
    agree_with_trait::<F8E3M4>();
    agree_with_trait::<F8E4M3>();
    agree_with_trait::<F8E8M0FNU>();
    agree_with_trait::<F6E2M3FN>();
    agree_with_trait::<F6E3M2FN>();
    agree_with_trait::<F4E2M1FN>();
}

macro_rules! checked_agree {
    ($($t:ty),*) => {$(
        for &x in &sample_f32() {
            let a = lowp::try_round::<$t>(x).map(|v| v.to_bits());
            let b = <$t>::try_from_f32(x).map(|v| v.to_bits());
            assert_eq!(a, b, "{} {x:e}", stringify!($t));
            let d = x as f64 * (1.0 - 2f64.powi(-40));
            let a = lowp::try_round::<$t>(d).map(|v| v.to_bits());
            let b = <$t>::try_from_f64(d).map(|v| v.to_bits());
            assert_eq!(a, b, "{} {d:e}", stringify!($t));
            // The batch form rejects exactly what the scalar form rejects, with its error.
            let mut q = [<$t>::from_bits(0); 1];
            let e = lowp::try_encode(&[x], &mut q);
            assert_eq!(e, <$t>::try_from_f32(x).map(|_| ()), "try_encode {} {x:e}", stringify!($t));
        }
    )*};
}

#[test]
fn try_round_and_try_encode_reject_what_try_from_f32_rejects() {
    checked_agree!(
        F8E4M3FN,
        F8E5M2,
        F8E4M3FNUZ,
        F8E5M2FNUZ,
        F8E4M3B11FNUZ,
        F8E3M4,
        F8E4M3,
        F8E8M0FNU,
        F6E2M3FN,
        F6E3M2FN,
        F4E2M1FN
    );
}

#[test]
fn try_encode_reports_the_first_bad_element_and_writes_nothing() {
    let mut q = [F8E4M3FN::from_bits(0x11); 4];
    let e = lowp::try_encode(&[1.0, 2.0, 500.0, 1e30], &mut q);
    assert_eq!(
        e,
        Err(Error::Overflow {
            format: "float8_e4m3fn",
            value: 500.0
        })
    );
    assert!(q.iter().all(|v| v.to_bits() == 0x11));
    // f16 too (no inherent try_from_f32 there): 65520 rounds to ∞.
    let mut h = [F16::ZERO; 2];
    assert!(lowp::try_encode(&[65504.0, 65519.0], &mut h).is_ok());
    assert!(matches!(
        lowp::try_encode(&[65520.0], &mut h[..1]),
        Err(Error::Overflow { .. })
    ));
    assert!(lowp::try_encode(&[f32::INFINITY, f32::NAN], &mut h).is_ok()); // f16 holds both
}

// ---------------------------------------------------------------------------------------------
// No panic on data.

#[test]
fn huge_sizes_do_not_panic() {
    let exact = |n: usize, w: u128| ((n as u128 * w).div_ceil(8)) as usize;
    for n in [
        0,
        1,
        7,
        8,
        9,
        1000,
        usize::MAX / 6,
        usize::MAX - 1,
        usize::MAX,
    ] {
        assert_eq!(packing::packed_len::<F4E2M1FN>(n), exact(n, 4), "{n}");
        assert_eq!(packing::packed_len::<F6E2M3FN>(n), exact(n, 6), "{n}");
        assert_eq!(packing::packed_len::<F6E3M2FN>(n), exact(n, 6), "{n}");
        for f in MxFormat::ALL {
            let w = f.element_bits() as u128;
            assert_eq!(mx_element_bytes(f, n), exact(n, w), "{f:?} {n}");
        }
    }
    let mut ds = DelayedScaling::<F8E4M3FN>::new(usize::MAX, Default::default(), 0);
    ds.record(896.0);
    ds.record(448.0);
    assert_eq!(ds.scale(), 2.0);
    assert_eq!(ds.history().collect::<Vec<_>>(), [896.0, 448.0]);
}

#[test]
fn delayed_scaling_window_is_a_ring() {
    let mut ds = DelayedScaling::<F8E4M3FN>::new(3, quant::AmaxReduction::Max, 0);
    for a in [1.0, 2.0, 3.0, 4.0, 5.0] {
        ds.record(a * 448.0);
    }
    assert_eq!(ds.history().collect::<Vec<_>>(), [1344.0, 1792.0, 2240.0]);
    assert_eq!(ds.scale(), 5.0);
    for a in [0.5, 0.5, 0.5] {
        ds.record(a * 448.0);
    }
    assert_eq!(ds.scale(), 0.5); // 5 · 448 has left the window
}

// ---------------------------------------------------------------------------------------------
// No silent wrong answers.

#[test]
fn an_infinity_does_not_reset_the_nvfp4_tensor_scale() {
    let mut x: Vec<f32> = (0..64).map(|i| (i as f32 - 20.0) * 37.5).collect();
    let clean_ts = nvfp4_tensor_scale(&x);
    assert_eq!(clean_ts, 1612.5 / 2688.0);
    let mut clean = vec![0f32; 64];
    nvfp4_fake_quantize(&x, &mut clean).unwrap();
    x[40] = f32::INFINITY;
    x[41] = f32::NAN;
    assert_eq!(nvfp4_tensor_scale(&x), clean_ts);
    let mut y = vec![0f32; 64];
    assert_eq!(nvfp4_fake_quantize(&x, &mut y).unwrap(), clean_ts);
    for i in 0..64 {
        if (32..48).contains(&i) {
            assert!(y[i].is_nan(), "{i}"); // the block with the ∞ and NaN
        } else {
            assert_eq!(y[i].to_bits(), clean[i].to_bits(), "{i}"); // others unchanged
        }
    }
}

#[test]
fn delayed_scaling_margin_does_not_overflow() {
    let mut ds = DelayedScaling::<F8E4M3FN>::new(8, Default::default(), 8);
    ds.record(2e38);
    assert!(ds.scale() != 1.0);
    assert_eq!(ds.scale(), 2e38f32 / 448.0 * 256.0);
    // Beyond f32: the largest scale, not the old one.
    let mut ds = DelayedScaling::<F8E4M3FN>::new(8, Default::default(), 126);
    ds.record(1e30);
    assert_eq!(ds.scale(), f32::MAX);
    // Below f32: the smallest positive scale.
    let mut ds = DelayedScaling::<F8E4M3FN>::new(8, Default::default(), -126);
    ds.record(1e-40);
    assert_eq!(ds.scale(), f32::from_bits(1));
    // Margins that did not overflow keep their bits.
    let mut ds = DelayedScaling::<F8E5M2>::new(8, Default::default(), -3);
    ds.record(1000.0);
    assert_eq!(ds.scale(), 1000.0f32 * 0.125 / 57344.0);
}

#[test]
fn delayed_scaling_try_new_validates() {
    type D = DelayedScaling<F8E4M3FN>;
    assert!(D::try_new(1, Default::default(), 126).is_ok());
    assert!(D::try_new(1, Default::default(), -126).is_ok());
    assert_eq!(
        D::try_new(0, Default::default(), 0),
        Err(Error::InvalidParameter {
            name: "amax history length",
            value: 0.0,
            valid: "at least 1"
        })
    );
    assert!(matches!(
        D::try_new(4, Default::default(), 127),
        Err(Error::InvalidParameter { value, .. }) if value == 127.0
    ));
}

#[test]
fn observers_validate_their_parameters() {
    for p in [0.0, -1.0, 100.0001, f64::NAN, f64::INFINITY] {
        let e = PercentileObserver::try_new(p).unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidParameter {
                    name: "percentile",
                    ..
                }
            ),
            "{p}"
        );
        let msg = catch_unwind(|| PercentileObserver::new(p)).unwrap_err();
        let msg = msg.downcast_ref::<String>().unwrap();
        assert!(
            msg.contains("PercentileObserver::new") && msg.contains("percentile"),
            "{msg}"
        );
    }
    for p in [1e-9, 50.0, 99.999, 100.0] {
        assert!(PercentileObserver::try_new(p).is_ok(), "{p}");
    }
    for c in [0.0, -0.5, 1.0001, f32::NAN, f32::INFINITY] {
        assert!(MovingAverageMinMaxObserver::try_new(c).is_err(), "{c}");
        assert!(
            catch_unwind(|| MovingAverageMinMaxObserver::new(c)).is_err(),
            "{c}"
        );
    }
    for c in [1e-6, 0.01, 1.0] {
        assert!(MovingAverageMinMaxObserver::try_new(c).is_ok(), "{c}");
    }
    assert!(MseObserver::try_new(0).is_err());
    assert!(MseObserver::try_new(1).is_ok());
    // A huge candidate count made `search` loop candidates × bins (hours for u32::MAX).
    assert!(MseObserver::try_new(MseObserver::MAX_CANDIDATES).is_ok());
    for c in [MseObserver::MAX_CANDIDATES + 1, u32::MAX] {
        assert!(MseObserver::try_new(c).is_err(), "{c}");
        assert_eq!(
            MseObserver::new(c),
            MseObserver::new(MseObserver::MAX_CANDIDATES)
        );
    }
}

#[test]
fn moving_average_stays_finite() {
    let mut o = MovingAverageMinMaxObserver::new(0.5);
    o.observe(&[3e38, 3e38]);
    o.observe(&[-3e38, -3e38]); // batch − m = −6e38 overflows f32
    let (lo, hi) = o.range().unwrap();
    assert!(lo.is_finite() && hi.is_finite(), "{lo} {hi}");
    assert_eq!((lo, hi), (0.0, 0.0));
}

#[test]
fn error_stats_metrics_agree_on_a_failed_reconstruction() {
    let x = [1.0f32, -2.0, 3.0, 0.0];
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        for i in 0..4 {
            let mut r = x;
            r[i] = bad;
            let s = error_stats(&x, &r).unwrap();
            assert_eq!(s.count, 4);
            assert_eq!(s.mse, f64::INFINITY);
            assert_eq!(s.max_abs, f64::INFINITY);
            assert_eq!(s.max_rel, f64::INFINITY);
            assert_eq!(s.sqnr_db, f64::NEG_INFINITY);
            assert!(s.cosine.is_nan(), "{bad} at {i}: cosine {}", s.cosine);
            assert!(quant::cosine_similarity(&x, &r).unwrap().is_nan());
        }
    }
    // A non-finite original is skipped, not a failure.
    let s = error_stats(&[1.0, f32::NAN], &[1.0, 5.0]).unwrap();
    assert_eq!((s.count, s.mse, s.cosine), (1, 0.0, 1.0));
}

#[test]
fn mx_fake_quantize_of_a_finite_value_is_finite() {
    for f in MxFormat::ALL {
        for rule in [MxScaleRule::Floor, MxScaleRule::RoundUp] {
            let o = MxOptions {
                rule,
                block_size: 32,
            };
            for &v in &[f32::MAX, -f32::MAX, 3.3e38, f32::from_bits(0x7F7F_FF00)] {
                let mut y = [0f32; 2];
                mx_fake_quantize_with(&[v, 1.0], f, o, &mut y).unwrap();
                assert!(y[0].is_finite(), "{f:?} {rule:?} {v:e}: {}", y[0]);
                assert_eq!(y[0].is_sign_negative(), v < 0.0);
                // And the two-step form agrees.
                let mut s = [F8E8M0FNU::from_bits(0); 1];
                let mut e = vec![0u8; mx_element_bytes(f, 2)];
                quant::mx_quantize_with(&[v, 1.0], f, o, &mut s, &mut e).unwrap();
                let mut z = [0f32; 2];
                quant::mx_dequantize_with(f, o, &s, &e, &mut z).unwrap();
                assert_eq!(z.map(f32::to_bits), y.map(f32::to_bits));
            }
        }
    }
    let mut y = [0f32; 1];
    let o = MxOptions {
        rule: MxScaleRule::RoundUp,
        block_size: 32,
    };
    mx_fake_quantize_with(&[f32::MAX], MxFormat::E4M3, o, &mut y).unwrap();
    assert_eq!(y[0], f32::MAX);
}

#[test]
fn quantize_scaled_saturates_for_f32_too() {
    let mut q = [0f32; 4];
    let s = 2f32.powi(-10);
    quantize_scaled::<f32>(&[1e38, -1e38, f32::INFINITY, 2.0], s, &mut q).unwrap();
    assert_eq!(q, [f32::MAX, -f32::MAX, f32::MAX, 2048.0]);
    // The per-element path (per axis with inner size 1) too.
    let mut q = [0f32; 2];
    quant::quantize_scaled_per_axis::<f32>(&[1e38, 1.0], &[2], 0, &[s, s], &mut q).unwrap();
    assert_eq!(q, [f32::MAX, 1024.0]);
    // And a fake quantization never turns a finite value into ∞, also where the plain product
    // decode(q) · scale would overflow (q rounded up near the top of f32).
    let mut overflowed = 0;
    for k in 0..2000 {
        let scale = f32::MAX / (64000 + k) as f32;
        let q =
            lowp::round_with::<F16>(f32::MAX / scale, Rounding::NearestEven, Overflow::Saturate);
        overflowed += (q.to_f32() * scale).is_infinite() as u32;
        let mut y = [0f32; 1];
        quant::fake_quantize_scaled::<F16>(&[f32::MAX], scale, &mut y).unwrap();
        assert!(y[0].is_finite(), "{scale:e}: {}", y[0]);
    }
    assert!(overflowed > 0);
}

#[test]
fn tiny_ranges_get_a_tiny_scale_not_one() {
    let tiny = f32::from_bits(3);
    assert_eq!(quant::scale_from_amax::<F8E4M3FN>(tiny), f32::from_bits(1));
    let p = quant::choose_qparams::<u8>(0.0, tiny, Scheme::Asymmetric).unwrap();
    assert_eq!(p.scale, f32::from_bits(1));
    let mut q = [0u8; 1];
    quant::quantize(&[tiny], p, &mut q).unwrap();
    assert_eq!(q[0], 3);
    let p = quant::choose_qparams::<i8>(-tiny, 0.0, Scheme::Symmetric).unwrap();
    assert_eq!(p, QParams::new(f32::from_bits(1), 0));
    // The empty range keeps the ONNX scale 1.
    assert_eq!(
        quant::choose_qparams::<u8>(0.0, 0.0, Scheme::Asymmetric).unwrap(),
        QParams::new(1.0, 0)
    );
}

fn panic_message(f: impl FnOnce()) -> String {
    let e = catch_unwind(AssertUnwindSafe(f)).unwrap_err();
    match e.downcast::<String>() {
        Ok(s) => *s,
        Err(e) => e.downcast_ref::<&str>().unwrap().to_string(),
    }
}

#[test]
fn panic_messages_name_the_function_called_and_the_unit() {
    let h = [F16::ZERO; 3];
    let mut q = [F8E4M3FN::ZERO; 2];
    let m = panic_message(|| lowp::convert(&h, &mut q));
    assert!(m.starts_with("lowp::convert:"), "{m}");
    assert!(m.contains("expected 3 elements, found 2"), "{m}");
    let m = panic_message(|| lowp::encode(&[1.0; 3], &mut q));
    assert!(m.starts_with("lowp::encode:"), "{m}");
    let m = panic_message(|| lowp::decode(&q, &mut [0.0; 3]));
    assert!(m.starts_with("lowp::decode:"), "{m}");
    let m = panic_message(|| lowp::encode_packed::<F4E2M1FN>(&[1.0; 3], &mut [0u8; 1]));
    assert!(m.starts_with("lowp::encode_packed:"), "{m}");
    assert!(m.contains("expected 2 bytes, found 1"), "{m}");
    let m = panic_message(|| lowp::decode_packed::<F6E2M3FN>(&[0u8; 2], &mut [0.0; 4]));
    assert!(m.starts_with("lowp::decode_packed:"), "{m}");
    assert!(m.contains("expected 3 bytes, found 2"), "{m}");
    let m = panic_message(|| {
        lowp::Level::Scalar.convert_with(&h, &mut q, Rounding::Odd, Overflow::Ieee)
    });
    assert!(m.starts_with("lowp::Level::convert_with:"), "{m}");
    // The Err of a packed buffer speaks of lengths, not elements.
    let e = lowp::try_decode_packed::<F4E2M1FN>(&[0u8; 1], &mut [0.0; 3]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "length mismatch: expected a length of 2, found 1"
    );
}

#[test]
fn errors_leave_outputs_untouched() {
    let x = [1.0f32, f32::INFINITY, -3.0, 0.5];
    // Observers' parameters, scaled and MX quantizers with a bad count.
    let mut s = [F8E8M0FNU::from_bits(9); 1];
    let mut e = [7u8; 3];
    assert!(quant::mx_quantize(&x, MxFormat::E4M3, &mut s, &mut e).is_err());
    assert_eq!((s[0].to_bits(), e), (9, [7; 3]));
    let mut y = [5f32; 4];
    assert!(quant::fake_quantize_scaled::<F8E4M3FN>(&x, 0.0, &mut y).is_err());
    assert_eq!(y, [5.0; 4]);
    assert!(quant::qparams_from_data::<i8>(&x, Scheme::Symmetric).is_err());
    let mut p = [QParams::new(3.0, 1); 1];
    assert!(quant::qparams_blocked::<i8>(&x, &[4], 0, 4, Scheme::Symmetric, &mut p).is_err());
    assert_eq!(p, [QParams::new(3.0, 1)]);
}

/// Found by `fuzz/` (target `checked`): `try_round::<f32>` of a signalling NaN gave a quiet
/// NaN while `round::<f32>` (f32's identity) kept it: the checked form must return the very
/// bits of the unchecked one.
#[test]
fn try_round_returns_rounds_bits_for_f32_nan_payloads() {
    for bits in [
        0xff85_2dffu32,
        0xff85_2c3b,
        0x7f80_0001,
        0x7fc0_0000,
        0xffff_ffff,
    ] {
        let x = f32::from_bits(bits);
        assert_eq!(
            lowp::try_round::<f32>(x).unwrap().to_bits(),
            lowp::round::<f32>(x).to_bits(),
            "{bits:#x}"
        );
        let mut q = [0f32; 1];
        lowp::try_encode(&[x], &mut q).unwrap();
        assert_eq!(q[0].to_bits(), lowp::round::<f32>(x).to_bits());
    }
}

/// The per-channel observer (added on main after issue 9 was filed) had the same traps: a
/// capacity-overflow panic, any averaging constant accepted, an overflowing average.
#[test]
fn per_channel_observer_has_no_traps() {
    use lowp::quant::PerChannelMinMaxObserver as P;
    assert!(matches!(
        P::try_new(0, usize::MAX),
        Err(Error::InvalidParameter {
            name: "channel count",
            ..
        })
    ));
    assert!(catch_unwind(|| P::new(0, usize::MAX)).is_err());
    for c in [0.0, -1.0, 2.0, f32::NAN] {
        assert!(P::try_moving_average(0, 2, c).is_err(), "{c}");
        assert!(catch_unwind(|| P::moving_average(0, 2, c)).is_err(), "{c}");
    }
    let mut o = P::moving_average(0, 2, 0.5);
    o.observe(&[3e38, 1.0], &[2]).unwrap();
    o.observe(&[-3e38, 1.0], &[2]).unwrap();
    assert_eq!(o.ranges()[0], Some((0.0, 0.0)));
    assert_eq!(o.ranges()[1], Some((1.0, 1.0)));
}

/// `Overflow::Saturate` into `f32` itself gives ±`f32::MAX` for ±∞, as for every other
/// format (CONTRACT.md §2): the scalar core (`from_f32_with`, stochastic too, and the f64
/// path it already matched), every kernel level's encode, fake quantization and conversion.
#[test]
fn saturate_into_f32_gives_max_for_infinities() {
    use lowp::Overflow::{Ieee, Saturate};
    for (inf, max) in [(f32::INFINITY, f32::MAX), (f32::NEG_INFINITY, -f32::MAX)] {
        for r in Rounding::ALL {
            assert_eq!(
                <f32 as Format>::from_f32_with(inf, r, Saturate),
                max,
                "{r:?}"
            );
            assert_eq!(<f32 as Format>::from_f64_with(inf as f64, r, Saturate), max);
            assert_eq!(<f32 as Format>::from_f32_with(inf, r, Ieee), inf);
        }
        assert_eq!(<f32 as Format>::from_f32_stochastic(inf, 7, Saturate), max);
        assert_eq!(<f32 as Format>::from_f32_stochastic(inf, 7, Ieee), inf);
        let src = [inf, 1.5, f32::NAN, -0.0];
        let want = [max, 1.5];
        for level in lowp::Level::available() {
            let mut out = [0f32; 4];
            level.encode_with(&src, &mut out, Rounding::TowardZero, Saturate);
            assert_eq!(out[..2], want, "{level:?} encode_with");
            assert!(out[2].is_nan() && out[3].to_bits() == 0x8000_0000);
            level.encode_stochastic(&src, &mut out, 3, Saturate);
            assert_eq!(out[..2], want, "{level:?} encode_stochastic");
            let mut fq = src;
            level.fake_quantize::<f32>(&mut fq, Rounding::NearestEven, Saturate);
            assert_eq!(fq[..2], want, "{level:?} fake_quantize");
            let bf = [
                <lowp::BF16 as Format>::from_f32(inf),
                <lowp::BF16 as Format>::from_f32(1.5),
            ];
            let mut c = [0f32; 2];
            level.convert_with(&bf, &mut c, Rounding::NearestEven, Saturate);
            assert_eq!(c, want, "{level:?} convert_with");
            level.encode_with(&src, &mut out, Rounding::NearestEven, Ieee);
            assert_eq!(out[0], inf, "{level:?} Ieee keeps ∞");
        }
        let o = lowp::batch::Options::new().saturate();
        let mut out = [0f32; 4];
        lowp::batch::encode(&src, o, &mut out).unwrap();
        assert_eq!(out[..2], want, "batch::encode");
    }
}

/// Fuzzing (`fuzz/fuzz_targets/gemm.rs`) found that the software `Gemm::run` sized a buffer
/// m·k without checking it (a multiply overflow panic for a huge m·k with n = 0) and never
/// checked the operands' lengths: now an `Err`, the output untouched.
#[test]
fn software_gemm_checks_operand_sizes() {
    use lowp::gemm::{Gemm, Mma};
    let mma = Mma::all()
        .into_iter()
        .find_map(|(v, arch, op, name)| match v {
            "nvidia" => Mma::nvidia(arch, op, &name).ok(),
            _ => Mma::amd(arch, &name).ok(),
        })
        .unwrap();
    let g = Gemm::new(mma);
    let mut y: [f32; 0] = [];
    let r = g.run::<lowp::F16, lowp::F16>(usize::MAX, 0, 3, &[], &[], &mut y);
    assert!(r.is_err());
    // k = 0, n = 0: every product is 0 and the call is valid (a capacity overflow before).
    let r = g.run::<lowp::F16, lowp::F16>(usize::MAX, 0, 0, &[], &[], &mut y);
    assert!(r.is_ok());
    // n = 0 with the exact accumulation (a `chunks_mut(0)` panic before).
    let e = g.clone().with_accumulation(lowp::gemm::Accumulation::Exact);
    let a = [lowp::F16::from_bits(0x3C00); 6];
    assert!(e
        .run::<lowp::F16, lowp::F16>(2, 0, 3, &a, &[], &mut y)
        .is_ok());
    // A block grid whose size overflows usize (blocks of 1 over a huge operand): an Err, not
    // a multiply overflow (found by the gemm fuzz target).
    let s = lowp::gemm::Scaling {
        block_rows: 1,
        block_cols: 1,
        scales: vec![1.0],
        tensor: 1.0,
    };
    let huge = g
        .clone()
        .with_scales(s.clone(), lowp::gemm::Scaling::none());
    let r = huge.run::<lowp::F16, lowp::F16>(usize::MAX, 0, 3, &[], &[], &mut y);
    assert!(matches!(r, Err(Error::InvalidInput(_))), "{r:?}");
    let huge = g.clone().with_scales(lowp::gemm::Scaling::none(), s);
    let r = huge.run::<lowp::F16, lowp::F16>(0, 3, usize::MAX, &[], &[], &mut y);
    assert!(matches!(r, Err(Error::InvalidInput(_))), "{r:?}");
    let mut y = [7.0f32; 4];
    let a = [lowp::F16::from_bits(0x3C00); 3];
    let r = g.run::<lowp::F16, lowp::F16>(2, 2, 2, &a, &a, &mut y);
    assert!(matches!(
        r,
        Err(Error::LengthMismatch {
            expected: 4,
            found: 3
        })
    ));
    assert_eq!(y, [7.0; 4]);
}

/// The exact accumulation of all-zero operands: every product is +0 (found by the gemm fuzz
/// target: the exponent of the lowest bit of an all-zero operand was `i32::MAX`, and the sum
/// of two such exponents overflowed).
#[test]
fn exact_gemm_of_zero_operands_is_zero() {
    use lowp::gemm::{Accumulation, Gemm, Mma};
    let mma = Mma::nvidia("Hopper", "wgmma", "m64n8k32.f32.e4m3.e4m3").unwrap();
    let g = Gemm::new(mma).with_accumulation(Accumulation::Exact);
    let z = [lowp::F8E4M3FN::ZERO; 6];
    let mut y = [7.0f32; 4];
    g.run::<lowp::F8E4M3FN, lowp::F8E4M3FN>(2, 2, 3, &z, &z, &mut y)
        .unwrap();
    assert_eq!(y.map(f32::to_bits), [0; 4]);
}

/// The producer rules that write into a caller's slice return an `Err` for a length that does
/// not fit, and write nothing (they panicked before).
#[test]
fn producer_rules_reject_wrong_lengths_without_writing() {
    use lowp::quant::producer::{self as pr, CtElement, E8m0Rule, Nvfp4Rule, TorchDtype};
    use lowp::quant::MxFormat;
    let x = [1.0f32, -2.0, 3.0, 0.5];
    let mut q = [9i8; 3];
    let r = pr::ct_quantize_int(&x, 0.5, CtElement::Int8, TorchDtype::BF16, &mut q);
    assert_eq!(
        r,
        Err(Error::LengthMismatch {
            expected: 4,
            found: 3
        })
    );
    assert_eq!(q, [9; 3]);
    let mut f8 = [lowp::F8E4M3FN::from_bits(0x55); 5];
    let r = pr::ct_quantize_fp8(&x, 1.0, TorchDtype::F16, &mut f8);
    assert_eq!(
        r,
        Err(Error::LengthMismatch {
            expected: 4,
            found: 5
        })
    );
    assert!(f8.iter().all(|v| v.to_bits() == 0x55));
    let mut p = [0xEEu8; 1];
    let r = pr::ct_quantize_fp4(&x, 1.0, TorchDtype::F32, &mut p);
    assert_eq!(
        r,
        Err(Error::LengthMismatch {
            expected: 2,
            found: 1
        })
    );
    let r = pr::ct_quantize_fp4(&x[..3], 1.0, TorchDtype::F32, &mut p);
    assert!(matches!(r, Err(Error::InvalidInput(_))), "{r:?}");
    assert_eq!(p, [0xEE]);
    let mut c = [0x55u8; 3];
    let r = pr::mx_block(&x, MxFormat::E2M1, E8m0Rule::Floor, &mut c);
    assert_eq!(
        r,
        Err(Error::LengthMismatch {
            expected: 4,
            found: 3
        })
    );
    let r = pr::nvfp4_block(&x, 1.0, Nvfp4Rule::Divide, &mut c);
    assert_eq!(
        r,
        Err(Error::LengthMismatch {
            expected: 4,
            found: 3
        })
    );
    assert_eq!(c, [0x55; 3]);
    // The right lengths still work.
    let mut c = [0u8; 4];
    assert!(pr::mx_block(&x, MxFormat::E2M1, E8m0Rule::Floor, &mut c).is_ok());
    assert!(pr::nvfp4_block(&x, 1.0, Nvfp4Rule::Divide, &mut c).is_ok());
}
