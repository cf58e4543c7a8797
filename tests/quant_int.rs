//! Integer quantization: every error writes nothing; properties against an f64 reference; the
//! per-axis and blocked layouts against index arithmetic; parameter choice; observers; scaled
//! FP8 and delayed scaling; metrics.

mod rng;

use lowp::quant::{self, QParams, QuantInt, QuantOptions, ScaleRule, Scheme, I4, U4};
use lowp::{Error, Format, F8E4M3FN, F8E5M2};
use proptest::prelude::*;
use rng::Rng;

/// The reference: exact real arithmetic on the f32 quotient (or product), ties to even.
fn reference<Q: QuantInt>(x: f32, p: QParams, o: QuantOptions) -> i32 {
    let v = match o.rule {
        ScaleRule::Divide => x / p.scale,
        ScaleRule::Reciprocal => x * (1.0 / p.scale),
    };
    if v.is_nan() {
        return p.zero_point;
    }
    let qmin = Q::MIN + o.restricted_range as i32;
    let r = (v as f64).round_ties_even();
    (r + p.zero_point as f64).clamp(qmin as f64, Q::MAX as f64) as i32
}

fn any_x() -> impl Strategy<Value = f32> {
    prop_oneof![
        -300.0f32..300.0,
        any::<f32>(),
        (-400i32..400, 0u32..4).prop_map(|(k, n)| (k as f32 + 0.5) * 0.1 + (n as f32 - 2.0) * 1e-6),
    ]
}

fn check_type<Q: QuantInt>(xs: &[f32], scale: f32, zp_frac: f64, o: QuantOptions) {
    let zp = Q::MIN + ((Q::MAX - Q::MIN) as f64 * zp_frac) as i32;
    let p = QParams::new(scale, zp);
    let mut q = vec![Q::default(); xs.len()];
    quant::quantize_with(xs, p, o, &mut q).unwrap();
    let mut deq = vec![0f32; xs.len()];
    quant::dequantize(&q, p, &mut deq).unwrap();
    let mut fake = vec![0f32; xs.len()];
    quant::fake_quantize_with::<Q>(xs, p, o, &mut fake).unwrap();
    for i in 0..xs.len() {
        let want = reference::<Q>(xs[i], p, o);
        assert_eq!(
            q[i].to_i32(),
            want,
            "{} x={:e} p={p:?} {o:?}",
            Q::NAME,
            xs[i]
        );
        assert_eq!(deq[i].to_bits(), ((want - zp) as f32 * scale).to_bits());
        assert_eq!(fake[i].to_bits(), deq[i].to_bits());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn matches_reference(
        xs in prop::collection::vec(any_x(), 0..150),
        scale in prop_oneof![1e-3f32..10.0, Just(0.1f32), Just(0.615_769_74f32)],
        zf in 0.0f64..1.0,
        recip in any::<bool>(),
        restricted in any::<bool>(),
    ) {
        let o = QuantOptions {
            rule: if recip { ScaleRule::Reciprocal } else { ScaleRule::Divide },
            restricted_range: restricted,
        };
        check_type::<i8>(&xs, scale, zf, o);
        check_type::<u8>(&xs, scale, zf, o);
        check_type::<I4>(&xs, scale, zf, o);
        check_type::<U4>(&xs, scale, zf, o);
    }

    #[test]
    fn per_axis_and_blocked_layouts(
        dims in prop::collection::vec(1usize..5, 1..4),
        axis_pick in 0usize..8,
        block in 1usize..5,
        seed in any::<u64>(),
    ) {
        let axis = axis_pick % dims.len();
        let n: usize = dims.iter().product();
        let mut s = seed;
        let mut next = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 33) as u32
        };
        let x: Vec<f32> = (0..n).map(|_| (next() % 2000) as f32 * 0.01 - 10.0).collect();
        // Row-major strides.
        let mut strides = vec![1usize; dims.len()];
        for d in (0..dims.len() - 1).rev() {
            strides[d] = strides[d + 1] * dims[d + 1];
        }
        let coord = |i: usize| -> Vec<usize> { (0..dims.len()).map(|d| i / strides[d] % dims[d]).collect() };
        // Per axis.
        let pa: Vec<QParams> = (0..dims[axis])
            .map(|_| QParams::new(0.01 + (next() % 100) as f32 * 0.003, (next() % 256) as i32 - 128))
            .collect();
        let mut q = vec![0i8; n];
        quant::quantize_per_axis(&x, &dims, axis, &pa, &mut q).unwrap();
        let mut d = vec![0f32; n];
        quant::dequantize_per_axis(&q, &dims, axis, &pa, &mut d).unwrap();
        for i in 0..n {
            let p = pa[coord(i)[axis]];
            prop_assert_eq!(q[i] as i32, reference::<i8>(x[i], p, Default::default()));
            prop_assert_eq!(d[i], (q[i] as i32 - p.zero_point) as f32 * p.scale);
        }
        // Blocked: the parameter tensor has the axis made ⌈D / block⌉.
        let mut pdims = dims.clone();
        pdims[axis] = dims[axis].div_ceil(block);
        let np: usize = pdims.iter().product();
        let pb: Vec<QParams> = (0..np)
            .map(|_| QParams::new(0.01 + (next() % 100) as f32 * 0.003, (next() % 16) as i32))
            .collect();
        let mut qb = vec![U4::default(); n];
        quant::quantize_blocked(&x, &dims, axis, block, &pb, &mut qb).unwrap();
        let mut db = vec![0f32; n];
        quant::dequantize_blocked(&qb, &dims, axis, block, &pb, &mut db).unwrap();
        let mut fb = vec![0f32; n];
        quant::fake_quantize_blocked::<U4>(&x, &dims, axis, block, &pb, &mut fb).unwrap();
        for i in 0..n {
            let mut c = coord(i);
            c[axis] /= block;
            let mut pi = 0;
            for k in 0..dims.len() {
                pi = pi * pdims[k] + c[k];
            }
            let p = pb[pi];
            prop_assert_eq!(qb[i].to_i32(), reference::<U4>(x[i], p, Default::default()));
            prop_assert_eq!(db[i].to_bits(), fb[i].to_bits());
        }
    }

    #[test]
    fn dynamic_range_is_used_and_zero_exact(xs in prop::collection::vec(-1e3f32..1e3, 1..100)) {
        let mut q = vec![0u8; xs.len()];
        let p = quant::dynamic_quantize_u8(&xs, &mut q).unwrap();
        // 0 is exactly representable.
        let mut z = [0f32];
        quant::dequantize(&[p.zero_point as u8], p, &mut z).unwrap();
        prop_assert_eq!(z[0], 0.0);
        // Every value dequantizes within a step of itself (nothing is far outside the range).
        let mut d = vec![0f32; xs.len()];
        quant::dequantize(&q, p, &mut d).unwrap();
        for (a, b) in xs.iter().zip(&d) {
            prop_assert!((a - b).abs() <= p.scale * 1.01);
        }
    }

    #[test]
    fn observers_do_not_depend_on_batching(
        xs in prop::collection::vec(-50.0f32..50.0, 2..300), cut in 0usize..300,
    ) {
        let cut = cut % xs.len();
        let (a, b) = xs.split_at(cut);
        let mut one = quant::MinMaxObserver::new();
        one.observe(&xs);
        let mut two = quant::MinMaxObserver::new();
        two.observe(a);
        two.observe(b);
        prop_assert_eq!(one, two);
        let mut p1 = quant::PercentileObserver::new(99.0);
        p1.observe(&xs);
        let mut p2 = quant::PercentileObserver::new(99.0);
        p2.observe(a);
        p2.observe(b);
        prop_assert_eq!(p1.amax(), p2.amax());
        prop_assert_eq!(p1.range(), p2.range());
        let mut m1 = quant::MseObserver::new(20);
        m1.observe(&xs);
        let mut m2 = quant::MseObserver::new(20);
        m2.observe(a);
        m2.observe(b);
        prop_assert_eq!(m1.qparams::<i8>(Scheme::Symmetric).unwrap(), m2.qparams::<i8>(Scheme::Symmetric).unwrap());
    }

    #[test]
    fn scaled_fp8_matches_format_rounding(
        xs in prop::collection::vec(any::<f32>(), 0..100), scale in 1e-3f32..100.0,
    ) {
        let mut q = vec![F8E4M3FN::ZERO; xs.len()];
        quant::quantize_scaled(&xs, scale, &mut q).unwrap();
        let mut d = vec![0f32; xs.len()];
        quant::dequantize_scaled(&q, scale, &mut d).unwrap();
        let mut f = vec![0f32; xs.len()];
        quant::fake_quantize_scaled::<F8E4M3FN>(&xs, scale, &mut f).unwrap();
        for i in 0..xs.len() {
            let want = F8E4M3FN::from_f32_with(xs[i] / scale, lowp::Rounding::NearestEven, lowp::Overflow::Saturate);
            prop_assert_eq!(q[i].to_bits(), want.to_bits());
            prop_assert!(d[i].to_bits() == f[i].to_bits() || (d[i].is_nan() && f[i].is_nan()));
            if !xs[i].is_nan() {
                prop_assert!(d[i].abs() <= 448.0 * scale);
            }
        }
    }
}

#[test]
fn every_length_hits_the_same_result() {
    // Chunk remainders: lengths 0..200 give the elementwise result.
    let p = QParams::new(0.37, 5);
    for n in 0..200 {
        let x: Vec<f32> = (0..n).map(|i| i as f32 * 0.77 - 60.0).collect();
        let mut q = vec![0i8; n];
        quant::quantize(&x, p, &mut q).unwrap();
        for i in 0..n {
            assert_eq!(q[i] as i32, reference::<i8>(x[i], p, Default::default()));
        }
    }
}

#[test]
fn bad_input_errors_and_writes_nothing() {
    let x = [1.0f32, 2.0, 3.0, 4.0];
    let mut q = [9i8; 4];
    let mut y = [9f32; 4];
    let good = QParams::new(0.5, 0);
    for s in [0.0, -1.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let p = QParams::new(s, 0);
        assert!(matches!(
            quant::quantize(&x, p, &mut q),
            Err(Error::InvalidScale { .. })
        ));
        assert!(matches!(
            quant::dequantize(&q, p, &mut y),
            Err(Error::InvalidScale { .. })
        ));
        assert!(matches!(
            quant::fake_quantize::<i8>(&x, p, &mut y),
            Err(Error::InvalidScale { .. })
        ));
        assert!(quant::quantize_scaled::<F8E5M2>(&x, s, &mut [F8E5M2::ZERO; 4]).is_err());
    }
    assert_eq!(
        quant::quantize(&x, QParams::new(1.0, 128), &mut q),
        Err(Error::ZeroPointOutOfRange {
            zero_point: 128,
            min: -128,
            max: 127
        })
    );
    let mut u = [9u8; 4];
    assert!(quant::quantize(&x, QParams::new(1.0, -1), &mut u).is_err());
    let mut i4 = [I4::MAX; 4];
    assert_eq!(
        quant::quantize(&x, QParams::new(1.0, 8), &mut i4),
        Err(Error::ZeroPointOutOfRange {
            zero_point: 8,
            min: -8,
            max: 7
        })
    );
    assert_eq!(
        quant::quantize(&x, good, &mut q[..3]),
        Err(Error::LengthMismatch {
            expected: 4,
            found: 3
        })
    );
    // Shapes, axes, counts, block size.
    let pp = [good, good];
    assert_eq!(
        quant::quantize_per_axis(&x, &[2, 3], 0, &pp, &mut q),
        Err(Error::ShapeMismatch {
            elements: 6,
            len: 4
        })
    );
    assert_eq!(
        quant::quantize_per_axis(&x, &[2, 2], 2, &pp, &mut q),
        Err(Error::AxisOutOfRange { axis: 2, rank: 2 })
    );
    assert_eq!(
        quant::quantize_per_axis(&x, &[4], 0, &pp, &mut q),
        Err(Error::ParamCountMismatch {
            expected: 4,
            found: 2
        })
    );
    assert_eq!(
        quant::quantize_blocked(&x, &[4], 0, 0, &pp, &mut q),
        Err(Error::ZeroBlockSize)
    );
    assert_eq!(
        quant::quantize_blocked(&x, &[2, 2], 1, 1, &pp, &mut q),
        Err(Error::ParamCountMismatch {
            expected: 4,
            found: 2
        })
    );
    // One bad parameter among good ones: nothing written.
    let bad = [good, QParams::new(0.0, 0)];
    assert!(quant::quantize_per_axis(&x, &[2, 2], 0, &bad, &mut q).is_err());
    assert!(quant::dequantize_blocked(&q, &[4], 0, 2, &bad, &mut y).is_err());
    assert!(quant::fake_quantize_per_axis::<i8>(&x, &[2, 2], 1, &bad, &mut y).is_err());
    // Packed lengths.
    let mut b = [9u8; 3];
    assert!(quant::quantize_packed::<I4>(&x, good, &mut b).is_err());
    assert!(quant::dequantize_packed::<U4>(&b, QParams::new(1.0, 0), &mut y).is_err());
    // Parameter choice from a bad range.
    assert!(quant::choose_qparams::<i8>(f32::NAN, 1.0, Scheme::Asymmetric).is_err());
    assert!(quant::choose_qparams::<i8>(2.0, 1.0, Scheme::Asymmetric).is_err());
    assert!(quant::choose_qparams::<u8>(-3e38, 3e38, Scheme::Asymmetric).is_err());
    let mut d = [9u8; 2];
    assert!(quant::dynamic_quantize_u8(&[1.0, f32::INFINITY], &mut d).is_err());
    assert!(quant::dynamic_quantize_u8(&[1.0, 2.0], &mut d[..1]).is_err());
    let mut ps = [good; 2];
    assert!(
        quant::qparams_per_axis::<i8>(&x, &[2, 2], 0, Scheme::Symmetric, &mut ps[..1]).is_err()
    );
    assert!(quant::qparams_per_axis::<i8>(
        &[1.0, f32::NEG_INFINITY, 0.0, 0.0],
        &[2, 2],
        0,
        Scheme::Symmetric,
        &mut ps
    )
    .is_err());
    assert!(q == [9; 4] && u == [9; 4] && i4 == [I4::MAX; 4] && b == [9; 3] && d == [9; 2]);
    assert!(y.iter().all(|&v| v == 9.0));
    assert_eq!(ps, [good; 2]);
}

#[test]
fn nan_and_infinity() {
    let p = QParams::new(0.5, 10);
    let mut q = [0u8; 4];
    quant::quantize(
        &[f32::NAN, -f32::NAN, f32::INFINITY, f32::NEG_INFINITY],
        p,
        &mut q,
    )
    .unwrap();
    assert_eq!(q, [10, 10, 255, 0]);
    let mut y = [1f32; 4];
    quant::fake_quantize::<u8>(&[f32::NAN, 0.0, f32::INFINITY, -1e30], p, &mut y).unwrap();
    assert_eq!(y, [0.0, 0.0, 122.5, -5.0]);
}

#[test]
fn parameter_choice() {
    // Asymmetric u8 is ONNX DynamicQuantizeLinear.
    let p = quant::choose_qparams::<u8>(-1.0, 3.0, Scheme::Asymmetric).unwrap();
    assert_eq!(p, QParams::new(4.0 / 255.0, 64)); // 0 − (−1)/(4/255) = 63.75 → 64
                                                  // Symmetric restricted: amax / 127, zero 0 (i8) / 128 (u8).
    let p = quant::choose_qparams::<i8>(-1.27, 0.5, Scheme::Symmetric).unwrap();
    assert_eq!(p, QParams::new(1.27f32 / 127.0, 0));
    let p = quant::choose_qparams::<u8>(-1.27, 0.5, Scheme::Symmetric).unwrap();
    assert_eq!(p.zero_point, 128);
    // Full range (PyTorch): amax / 127.5.
    let p = quant::choose_qparams::<i8>(-2.55, 0.5, Scheme::SymmetricFullRange).unwrap();
    assert_eq!(p.scale, 2.55f32 / 127.5);
    // 4-bit: 7 and 7.5; u4 centre 8.
    assert_eq!(
        quant::choose_qparams::<I4>(0.0, 7.0, Scheme::Symmetric).unwrap(),
        QParams::new(1.0, 0)
    );
    assert_eq!(
        quant::choose_qparams::<U4>(0.0, 7.5, Scheme::SymmetricFullRange).unwrap(),
        QParams::new(1.0, 8)
    );
    // The restricted range keeps −128 out.
    let o = QuantOptions {
        restricted_range: true,
        ..Default::default()
    };
    let mut q = [0i8; 2];
    quant::quantize_with(&[-1000.0, 1000.0], QParams::new(1.0, 0), o, &mut q).unwrap();
    assert_eq!(q, [-127, 127]);
    // Blocked parameters from data, in the ONNX layout.
    let x = [1.0f32, -2.0, 4.0, 0.5, 8.0, 0.0];
    let mut ps = [QParams::new(1.0, 0); 4];
    quant::qparams_blocked::<i8>(&x, &[2, 3], 1, 2, Scheme::Symmetric, &mut ps).unwrap();
    let s: Vec<f32> = ps.iter().map(|p| p.scale).collect();
    assert_eq!(s, [2.0 / 127.0, 4.0 / 127.0, 8.0 / 127.0, 1.0]);
}

#[test]
fn moving_average_and_percentile_observers() {
    let mut o = quant::MovingAverageMinMaxObserver::default();
    o.observe(&[-1.0, 1.0]);
    o.observe(&[-2.0, 3.0]);
    assert_eq!(
        o.range(),
        Some((-1.0 + 0.01 * (-2.0 - -1.0), 1.0 + 0.01 * (3.0 - 1.0)))
    );
    o.observe(&[f32::NAN]);
    assert_eq!(o.range(), Some((-1.01, 1.02)));
    // Percentile: 1000 values in [0, 1) and one outlier.
    let mut p = quant::PercentileObserver::new(99.9);
    let mut x: Vec<f32> = (0..1000).map(|i| i as f32 / 1000.0).collect();
    x.push(1000.0);
    p.observe(&x);
    assert!(p.amax() < 1.5, "{}", p.amax());
    let (lo, hi) = p.range().unwrap();
    assert!(lo == 0.0 && hi < 1.5);
    let mut m = quant::MinMaxObserver::new();
    m.observe(&x);
    assert_eq!(m.range(), Some((0.0, 1000.0)));
}

#[test]
fn delayed_scaling_window() {
    let mut ds = quant::DelayedScaling::<F8E5M2>::new(2, quant::AmaxReduction::Max, 1);
    ds.record(57344.0);
    assert_eq!(ds.scale(), 2.0); // 57344 · 2^1 / 57344
    ds.record(0.5 * 57344.0);
    assert_eq!(ds.scale(), 2.0); // the window still holds 57344
    ds.record(0.25 * 57344.0);
    assert_eq!(ds.scale(), 1.0); // 57344 left the window of 2
    ds.record(f32::INFINITY);
    assert_eq!(ds.scale(), 1.0); // kept
    ds.record(0.0);
    assert_eq!(ds.scale(), 1.0); // ∞ still in the window
    ds.record(0.0);
    assert_eq!(ds.scale(), 1.0); // amax 0: kept
    assert_eq!(ds.history().collect::<Vec<_>>(), vec![0.0, 0.0]);
    let mut mr = quant::DelayedScaling::<F8E4M3FN>::new(8, quant::AmaxReduction::MostRecent, 0);
    mr.record(896.0);
    mr.record(448.0);
    assert_eq!(mr.scale(), 1.0);
    let mut y = [0f32; 2];
    assert_eq!(mr.fake_quantize(&[448.0, 1000.0], &mut y).unwrap(), 1.0);
    assert_eq!(y, [448.0, 448.0]);
    assert_eq!(mr.scale(), 1000.0 / 448.0);
}

#[test]
fn scaled_per_axis_and_blocked() {
    let x = [448.0f32, 1.0, 896.0, -2.0, 0.0, 3.0];
    let mut s = [0f32; 2];
    quant::scales_per_axis::<F8E4M3FN>(&x, &[3, 2], 1, &mut s).unwrap();
    assert_eq!(s, [2.0, 3.0 / 448.0]);
    let mut q = [F8E4M3FN::ZERO; 6];
    quant::quantize_scaled_per_axis(&x, &[3, 2], 1, &s, &mut q).unwrap();
    let mut y = [0f32; 6];
    quant::dequantize_scaled_per_axis(&q, &[3, 2], 1, &s, &mut y).unwrap();
    assert_eq!((y[0], y[2]), (448.0, 896.0));
    assert_eq!(y[1], 144.0 * s[1]); // 1 / (3/448) = 149.3 → 144 in E4M3FN
    let mut sb = [0f32; 2];
    quant::scales_blocked::<F8E4M3FN>(&x, &[6], 0, 4, &mut sb).unwrap();
    assert_eq!(sb, [2.0, 3.0 / 448.0]);
    quant::quantize_scaled_blocked(&x, &[6], 0, 4, &sb, &mut q).unwrap();
    quant::dequantize_scaled_blocked(&q, &[6], 0, 4, &sb, &mut y).unwrap();
    assert_eq!(y[2], 896.0);
    assert_eq!(y[5], 3.0);
    // Scale from amax: amax / max, 1 for 0 / NaN / ∞.
    assert_eq!(quant::scale_from_amax::<F8E5M2>(57344.0 * 4.0), 4.0);
    for a in [0.0, f32::NAN, f32::INFINITY] {
        assert_eq!(quant::scale_from_amax::<F8E5M2>(a), 1.0);
    }
}

#[test]
fn metrics() {
    let x = [1.0f32, 2.0, 3.0, 4.0];
    let mut y = [0f32; 4];
    quant::fake_quantize::<i8>(&x, QParams::new(1.5, 0), &mut y).unwrap();
    assert_eq!(y, [1.5, 1.5, 3.0, 4.5]);
    let s = quant::error_stats(&x, &y).unwrap();
    assert_eq!(s.mse, (0.25 + 0.25 + 0.0 + 0.25) / 4.0);
    assert_eq!(s.max_abs, 0.5);
    assert_eq!(s.max_rel, 0.5);
    assert_eq!(s.sqnr_db, 10.0 * (30.0f64 / 0.75).log10());
    assert!((s.cosine - 31.5 / (30f64.sqrt() * 33.75f64.sqrt())).abs() < 1e-15);
    assert_eq!(quant::sqnr_db(&x, &x).unwrap(), f64::INFINITY);
    assert_eq!(
        quant::max_abs_error(&[1.0], &[f32::NAN]).unwrap(),
        f64::INFINITY
    );
    assert!(quant::mse(&x, &y[..3]).is_err());
}

#[test]
fn packing_4bit() {
    let v: Vec<I4> = (-8..8).map(|i| I4::new(i).unwrap()).collect();
    let mut b = vec![0u8; 8];
    quant::pack_4bit(&v, &mut b).unwrap();
    assert_eq!(b[0], 0x98); // −8 = 0x8 low, −7 = 0x9 high
    let mut back = vec![I4::default(); 16];
    quant::unpack_4bit(&b, &mut back).unwrap();
    assert_eq!(back, v);
    let u: Vec<U4> = (0..5).map(|i| U4::new(i).unwrap()).collect();
    let mut b = vec![0xFFu8; 3];
    quant::pack_4bit(&u, &mut b).unwrap();
    assert_eq!(b, [0x10, 0x32, 0x04]);
    assert!(I4::new(8).is_none() && U4::new(16).is_none());
}

#[test]
fn format_trait_reachable() {
    // quantize_scaled works for any Format, including f32 itself (x / scale exactly).
    let mut q = [0f32; 2];
    quant::quantize_scaled(&[1.0f32, 3.0], 2.0, &mut q).unwrap();
    assert_eq!(q, [0.5, 1.5]);
    assert_eq!(<f32 as Format>::NAME, "float32");
}

#[test]
fn huge_shapes_with_a_zero_dimension_do_not_panic() {
    let big = 1usize << 40;
    let mut q: [i8; 0] = [];
    let p = [QParams::new(1.0, 0)];
    assert!(quant::quantize_per_axis(&[], &[0, big, big], 0, &p, &mut q).is_err());
    assert!(quant::quantize_blocked(&[], &[big, big, 0], 2, 1, &p, &mut q).is_err());
    assert!(quant::quantize_blocked(&[], &[big, big, 0], 1, 1, &p, &mut q).is_err());
    // A legitimately empty tensor is fine.
    assert!(quant::quantize_blocked(&[], &[3, 0], 1, 2, &[], &mut q).is_ok());
    let mut y: [f32; 0] = [];
    assert!(quant::mx_fake_quantize(&[], quant::MxFormat::E2M1, &mut y).is_ok());
}

// ---------------------------------------------------------------------------------------------
// Every kernel level against the reference.

/// Inputs with what the loops must get right: ordinary values, ties of common scales, NaN,
/// ±∞, ±0, f32 subnormals, huge values, random bits.
fn level_data(n: usize, seed: u64) -> Vec<f32> {
    let mut r = Rng(seed | 1);
    (0..n)
        .map(|_| {
            let b = r.next();
            let s = if b & 1 == 1 { -1.0f32 } else { 1.0 };
            match r.below(10) {
                0 => f32::NAN,
                1 => s * f32::INFINITY,
                2 => s * 0.0,
                3 => s * f32::from_bits(1 + r.below(0x7F_FFFF)),
                4 => {
                    s * (r.below(300) as f32 + 0.5) * [0.05f32, 0.1, 0.5, 1.0][r.below(4) as usize]
                }
                5 => s * 3e38,
                6 => f32::from_bits(b),
                _ => s * (r.below(1 << 20) as f32) * 1e-3,
            }
        })
        .collect()
}

/// `count` parameter sets for `Q`: scales from tiny (which take the exact helpers) to huge
/// (whose reciprocal is tiny) where `tiny`, else ordinary ones; zero points over the whole
/// range, its ends included.
fn level_params<Q: QuantInt>(count: usize, tiny: bool, seed: u64) -> Vec<QParams> {
    let mut r = Rng(seed | 1);
    (0..count)
        .map(|_| {
            let scale = match r.below(if tiny { 6 } else { 3 }) {
                0 => 0.05,
                1 => (r.below(999) + 1) as f32 * 3.1e-3,
                2 => 2f32.powi(r.below(30) as i32 - 15),
                3 => f32::from_bits(1 + r.below(1000)),
                4 => f32::from_bits(0x0080_0000 + r.below(0x0100_0000)),
                _ => f32::from_bits(0x7F00_0000 + r.below(0x7F_FFFF)),
            };
            let zero_point = match r.below(4) {
                0 => Q::MIN,
                1 => Q::MAX,
                _ => Q::MIN + r.below((Q::MAX - Q::MIN) as u32 + 1) as i32,
            };
            QParams::new(scale, zero_point)
        })
        .collect()
}

/// The parameter index of element `i` (row-major `shape`, along `axis`, blocks of `block`).
fn param_index(shape: &[usize], axis: usize, block: Option<usize>, i: usize) -> usize {
    let inner: usize = shape[axis + 1..].iter().product();
    let dim = shape[axis];
    let (outer, j, k) = (i / (inner * dim), (i / inner) % dim, i % inner);
    match block {
        None => j,
        Some(b) => (outer * dim.div_ceil(b) + j / b) * inner + k,
    }
}

/// The layouts of `n` = 3 · `b` elements: per tensor (`None`), per axis along both axes of
/// both shapes, blocked (32, 5 and 1) along both axes.
type Layout = Option<(Vec<usize>, usize, Option<usize>)>;
fn level_layouts(b: usize) -> (usize, Vec<Layout>) {
    let a = 3;
    let mut out = vec![None];
    for shape in [vec![a, b], vec![b, a]] {
        for axis in 0..2 {
            for block in [None, Some(32), Some(5), Some(1)] {
                out.push(Some((shape.clone(), axis, block)));
            }
        }
    }
    (a * b, out)
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Assert `got == want`, naming the first difference only (the slices are long).
fn same<T: PartialEq + std::fmt::Debug>(got: &[T], want: &[T], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(i) = (0..got.len()).find(|&i| got[i] != want[i]) {
        panic!("{what}: element {i}: {:?}, want {:?}", got[i], want[i]);
    }
}

/// Quantize, dequantize and fake quantize of `Q` in every layout, both option sets, at the
/// active level, against [`reference`].
fn check_layouts<Q: QuantInt>(level: lowp::Level) {
    // 1401 elements: rows of 467 and 3, runs of 3 and 467, across the loops' chunks of 64.
    let (n, layouts) = level_layouts(467);
    let x = level_data(n, 41 + Q::BITS as u64);
    for (li, layout) in layouts.iter().enumerate() {
        let count = match layout {
            None => 1,
            Some((shape, axis, None)) => shape[*axis],
            Some((shape, axis, Some(b))) => n / shape[*axis] * shape[*axis].div_ceil(*b),
        };
        for tiny in [false, true] {
            let params = level_params::<Q>(count, tiny, li as u64 * 2 + tiny as u64);
            let index = |i: usize| match layout {
                None => 0,
                Some((shape, axis, block)) => param_index(shape, *axis, *block, i),
            };
            for o in [
                QuantOptions::default(),
                QuantOptions {
                    rule: ScaleRule::Reciprocal,
                    restricted_range: true,
                },
            ] {
                let want: Vec<i32> = (0..n)
                    .map(|i| reference::<Q>(x[i], params[index(i)], o))
                    .collect();
                let want_deq: Vec<f32> = (0..n)
                    .map(|i| {
                        let p = params[index(i)];
                        (want[i] - p.zero_point) as f32 * p.scale
                    })
                    .collect();
                let codes: Vec<Q> = want.iter().map(|&q| Q::from_i32(q)).collect();
                let mut q = vec![Q::default(); n];
                let mut deq = vec![0f32; n];
                let mut fake = vec![0f32; n];
                match layout {
                    None => {
                        quant::quantize_with(&x, params[0], o, &mut q).unwrap();
                        quant::dequantize(&codes, params[0], &mut deq).unwrap();
                        quant::fake_quantize_with::<Q>(&x, params[0], o, &mut fake).unwrap();
                    }
                    Some((shape, axis, None)) => {
                        quant::quantize_per_axis_with(&x, shape, *axis, &params, o, &mut q)
                            .unwrap();
                        quant::dequantize_per_axis(&codes, shape, *axis, &params, &mut deq)
                            .unwrap();
                        quant::fake_quantize_per_axis_with::<Q>(
                            &x, shape, *axis, &params, o, &mut fake,
                        )
                        .unwrap();
                    }
                    Some((shape, axis, Some(b))) => {
                        quant::quantize_blocked_with(&x, shape, *axis, *b, &params, o, &mut q)
                            .unwrap();
                        quant::dequantize_blocked(&codes, shape, *axis, *b, &params, &mut deq)
                            .unwrap();
                        quant::fake_quantize_blocked_with::<Q>(
                            &x, shape, *axis, *b, &params, o, &mut fake,
                        )
                        .unwrap();
                    }
                }
                let what = format!("{} {layout:?} tiny={tiny} {o:?} {level:?}", Q::NAME);
                same(&q, &codes, &format!("quantize {what}"));
                same(&bits(&deq), &bits(&want_deq), &format!("dequantize {what}"));
                same(&bits(&fake), &bits(&want_deq), &format!("fake {what}"));
                if layout.is_none() && o == QuantOptions::default() {
                    let mut z = x.clone();
                    quant::fake_quantize_in_place::<Q>(&mut z, params[0]).unwrap();
                    same(&bits(&z), &bits(&want_deq), &format!("in place {what}"));
                }
            }
        }
    }
}

/// 4-bit values packed two per byte, per tensor and per axis, at the active level, against
/// [`reference`] and `pack_4bit` (lengths odd and even, across the loops' group sizes).
fn check_packed<Q: quant::Nibble>(level: lowp::Level) {
    // 4101 elements: more than one piece (3840) of the per-axis packed loops.
    let (n, layouts) = level_layouts(1367);
    let o = QuantOptions::default();
    for m in [n, n - 1] {
        let x = level_data(m, 7 + m as u64);
        for (li, layout) in layouts.iter().enumerate() {
            let per_axis = match layout {
                None => None,
                Some((shape, axis, None)) if m == n => Some((shape, *axis)),
                _ => continue,
            };
            for tiny in [false, true] {
                let count = per_axis.map_or(1, |(s, a)| s[a]);
                let params = level_params::<Q>(count, tiny, 100 + li as u64 * 2 + tiny as u64);
                let index = |i: usize| per_axis.map_or(0, |(s, a)| param_index(s, a, None, i));
                let codes: Vec<Q> = (0..m)
                    .map(|i| Q::from_i32(reference::<Q>(x[i], params[index(i)], o)))
                    .collect();
                let mut want = vec![0u8; quant::packed_4bit_len(m)];
                quant::pack_4bit(&codes, &mut want).unwrap();
                let want_deq: Vec<f32> = (0..m)
                    .map(|i| {
                        let p = params[index(i)];
                        (codes[i].to_i32() - p.zero_point) as f32 * p.scale
                    })
                    .collect();
                let mut got = vec![0xAAu8; want.len()];
                let mut deq = vec![0f32; m];
                match per_axis {
                    None => {
                        quant::quantize_packed::<Q>(&x, params[0], &mut got).unwrap();
                        quant::dequantize_packed::<Q>(&want, params[0], &mut deq).unwrap();
                    }
                    Some((shape, axis)) => {
                        quant::quantize_per_axis_packed::<Q>(&x, shape, axis, &params, &mut got)
                            .unwrap();
                        quant::dequantize_per_axis_packed::<Q>(
                            &want, shape, axis, &params, &mut deq,
                        )
                        .unwrap();
                    }
                }
                let what = format!("{} m={m} {per_axis:?} tiny={tiny} {level:?}", Q::NAME);
                same(&got, &want, &format!("packed quantize {what}"));
                same(
                    &bits(&deq),
                    &bits(&want_deq),
                    &format!("packed dequantize {what}"),
                );
                let mut back = vec![Q::default(); m];
                quant::unpack_4bit(&want, &mut back).unwrap();
                same(&back, &codes, &format!("unpack_4bit {what}"));
            }
        }
    }
}

/// Every integer quantizer's loops (the kernel jobs of `quant::int`, compiled per level) give
/// the reference's bits at every available kernel level, `Level::Scalar` (the per-element
/// formula) included: every type, layout (per tensor, per axis along each axis, blocked along
/// each axis with blocks of 32, 5 and 1), option set, tiny and huge scales (the exact helpers)
/// and zero points at the range's ends, lengths across the loops' chunk sizes.
#[test]
fn every_level_gives_the_reference_bits() {
    for level in lowp::Level::available() {
        lowp::set_level(Some(level)).unwrap();
        check_layouts::<i8>(level);
        check_layouts::<u8>(level);
        check_layouts::<I4>(level);
        check_layouts::<U4>(level);
        check_layouts::<i16>(level);
        check_layouts::<u16>(level);
        check_packed::<I4>(level);
        check_packed::<U4>(level);
    }
    lowp::set_level(None).unwrap();
}
