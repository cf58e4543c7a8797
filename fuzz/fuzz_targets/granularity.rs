//! `quant::Granularity`, every operation (qparams, scales, quantize/dequantize/fake-quantize,
//! integer and float), with arbitrary shapes, axes, block sizes and parameter counts.
//! Invariants: no panic; an `Err` leaves the output untouched; on `Ok`, the granularity
//! functions give the bits of the layout-specific functions they stand for, and fake
//! quantization is dequantize ∘ quantize.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;
use common::{fbits, R};
use lowp::quant::{self, Granularity, QParams, QuantOptions, ScaleRule, Scheme};
use lowp::F8E4M3FN;

fn shape(r: &mut R) -> Vec<usize> {
    let rank = r.upto(3);
    (0..rank)
        .map(|_| if r.u8() < 4 { r.size() } else { r.upto(5) })
        .collect()
}

fn run(r: &mut R) {
    let sh = shape(r);
    let n = sh
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .unwrap_or(7)
        .min(96);
    let n = if r.u8() < 8 { r.upto(96) } else { n }; // sometimes a wrong length
    let x = r.f32s(n);
    let axis = r.upto(3);
    let block = if r.u8() < 8 { r.size() } else { r.upto(6) };
    let g = match r.u8() % 3 {
        0 => Granularity::PerTensor,
        1 => Granularity::PerAxis { shape: &sh, axis },
        _ => Granularity::Blocked {
            shape: &sh,
            axis,
            block_size: block,
        },
    };
    let np = r.upto(40);
    let scheme = [
        Scheme::Asymmetric,
        Scheme::Symmetric,
        Scheme::SymmetricFullRange,
    ][r.u8() as usize % 3];
    let o = QuantOptions {
        rule: if r.bool() {
            ScaleRule::Reciprocal
        } else {
            ScaleRule::Divide
        },
        restricted_range: r.bool(),
    };
    let sent = QParams::new(0.25, 1);
    let mut ps = vec![sent; np];
    let res = quant::qparams::<i8>(&x, g, scheme, &mut ps);
    if res.is_err() {
        assert!(ps.iter().all(|p| *p == sent));
        // Arbitrary parameters instead (some invalid).
        for p in ps.iter_mut() {
            *p = QParams::new(r.f32(), (r.u8() as i8) as i32);
        }
    } else {
        for p in &ps {
            assert!(p.check::<i8>().is_ok(), "{p:?}");
        }
    }
    let mut q = vec![7i8; x.len()];
    let rq = quant::quantize_int(&x, g, &ps, o, &mut q);
    if rq.is_err() {
        assert!(q.iter().all(|&v| v == 7));
    }
    let mut y = vec![0.5f32; x.len()];
    let rf = quant::fake_quantize_int::<i8>(&x, g, &ps, o, &mut y);
    assert_eq!(rq.is_ok(), rf.is_ok());
    if rf.is_err() {
        assert!(y.iter().all(|&v| v == 0.5));
    }
    let mut d = vec![0.5f32; x.len()];
    let rd = quant::dequantize_int(&q, g, &ps, &mut d);
    if rq.is_ok() {
        assert!(rd.is_ok());
        assert_eq!(fbits(&d), fbits(&y), "fake = dequantize ∘ quantize");
        // The layout-specific form gives the same codes.
        let mut q2 = vec![0i8; x.len()];
        let r2 = match g {
            Granularity::PerTensor => quant::quantize_with(&x, ps[0], o, &mut q2),
            Granularity::PerAxis { shape, axis } => {
                quant::quantize_per_axis_with(&x, shape, axis, &ps, o, &mut q2)
            }
            Granularity::Blocked {
                shape,
                axis,
                block_size,
            } => quant::quantize_blocked_with(&x, shape, axis, block_size, &ps, o, &mut q2),
        };
        assert!(r2.is_ok());
        assert_eq!(q, q2);
    } else if rd.is_err() {
        assert!(d.iter().all(|&v| v == 0.5));
    }
    // Floats.
    let mut ss = vec![3.0f32; np];
    let rs = quant::scales::<F8E4M3FN>(&x, g, &mut ss);
    if rs.is_err() {
        assert!(ss.iter().all(|&v| v == 3.0));
        for s in ss.iter_mut() {
            *s = r.f32();
        }
    } else {
        for &s in &ss {
            assert!(s.is_finite() && s > 0.0, "{s:e}");
        }
    }
    let mut qf = vec![F8E4M3FN::from_bits(0x11); x.len()];
    let rq = quant::quantize_float(&x, g, &ss, &mut qf);
    if rq.is_err() {
        assert!(qf.iter().all(|v| v.to_bits() == 0x11));
    }
    let mut y = vec![0.5f32; x.len()];
    let rf = quant::fake_quantize_float::<F8E4M3FN>(&x, g, &ss, &mut y);
    assert_eq!(rq.is_ok(), rf.is_ok());
    let mut d = vec![0.5f32; x.len()];
    let rd = quant::dequantize_float(&qf, g, &ss, &mut d);
    if rq.is_ok() {
        assert!(rd.is_ok());
        assert_eq!(fbits(&d), fbits(&y), "fake = dequantize ∘ quantize (float)");
        for (&v, &f) in x.iter().zip(&y) {
            if v.is_finite() {
                assert!(!f.is_infinite(), "{v:e} → {f:e}");
            }
        }
    } else {
        assert!(y.iter().all(|&v| v == 0.5));
        if rd.is_err() {
            assert!(d.iter().all(|&v| v == 0.5));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut r = R(data);
    run(&mut r);
});
