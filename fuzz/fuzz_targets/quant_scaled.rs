//! Scaled float quantization and delayed scaling, every entry point. Invariants: no panic; an
//! `Err` leaves the output untouched; a finite input never quantizes to ∞ or NaN and never
//! fake-quantizes to ∞; fake = dequantize ∘ quantize wherever the dequantized value is finite;
//! per axis / blocked with equal scales is per tensor; scales from data are valid.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;
use common::{bits, fbits, R};
use lowp::quant::{self, AmaxReduction, DelayedScaling};
use lowp::Format;

fn scale(r: &mut R) -> f32 {
    if r.u8() < 16 {
        r.f32()
    } else {
        f32::from_bits(r.u32() & 0x7FFF_FFFF)
            .max(f32::from_bits(1))
            .min(f32::MAX)
    }
}

fn valid(s: f32) -> bool {
    s.is_finite() && s > 0.0
}

fn run<F: Format>(r: &mut R) {
    let rank = r.upto(3);
    let sh: Vec<usize> = (0..rank)
        .map(|_| if r.u8() < 4 { r.size() } else { r.upto(4) })
        .collect();
    let n = sh
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .unwrap_or(5)
        .min(64);
    let x = r.f32s(n);
    let axis = r.upto(3);
    let block = r.size();
    let s = scale(r);
    let ns = r.upto(10);
    let same = r.bool();
    let scales: Vec<f32> = (0..ns).map(|_| if same { s } else { scale(r) }).collect();
    let sent = F::from_bits_u32(r.u8() as u32);

    let mut q = vec![sent; n];
    let res = quant::quantize_scaled(&x, s, &mut q);
    assert_eq!(res.is_ok(), valid(s));
    if res.is_err() {
        assert_eq!(bits(&q), bits(&vec![sent; n]));
    } else {
        for (&v, c) in x.iter().zip(&q) {
            let d = c.to_f32();
            if v.is_finite() {
                assert!(!d.is_infinite(), "{v:e} / {s:e} → {d:e}");
                assert!(
                    !d.is_nan() || F::SPEC.signed == false,
                    "{v:e} / {s:e} → NaN"
                );
            }
        }
        let mut y = vec![0f32; n];
        quant::dequantize_scaled(&q, s, &mut y).unwrap();
        let mut f = vec![0f32; n];
        quant::fake_quantize_scaled::<F>(&x, s, &mut f).unwrap();
        for i in 0..n {
            if x[i].is_finite() {
                assert!(!f[i].is_infinite(), "fake {:e} / {s:e} → ∞", x[i]);
            }
            if y[i].is_finite() {
                assert_eq!(f[i].to_bits(), y[i].to_bits());
            }
        }
    }
    let mut qa = vec![sent; n];
    match quant::quantize_scaled_per_axis(&x, &sh, axis, &scales, &mut qa) {
        Err(_) => assert_eq!(bits(&qa), bits(&vec![sent; n])),
        Ok(()) => {
            if same && res.is_ok() {
                assert_eq!(bits(&qa), bits(&q));
            }
            let mut y = vec![0f32; n];
            quant::dequantize_scaled_per_axis(&qa, &sh, axis, &scales, &mut y).unwrap();
        }
    }
    let mut qb = vec![sent; n];
    match quant::quantize_scaled_blocked(&x, &sh, axis, block, &scales, &mut qb) {
        Err(_) => assert_eq!(bits(&qb), bits(&vec![sent; n])),
        Ok(()) => {
            if same && res.is_ok() {
                assert_eq!(bits(&qb), bits(&q));
            }
            let mut y = vec![0f32; n];
            quant::dequantize_scaled_blocked(&qb, &sh, axis, block, &scales, &mut y).unwrap();
        }
    }
    let mut so = vec![-1f32; ns];
    match quant::scales_per_axis::<F>(&x, &sh, axis, &mut so) {
        Ok(()) => assert!(so.iter().all(|&v| valid(v)), "{so:?}"),
        Err(_) => assert!(so.iter().all(|&v| v == -1.0)),
    }
    let mut so = vec![-1f32; ns];
    match quant::scales_blocked::<F>(&x, &sh, axis, block, &mut so) {
        Ok(()) => assert!(so.iter().all(|&v| valid(v)), "{so:?}"),
        Err(_) => assert!(so.iter().all(|&v| v == -1.0)),
    }
    assert!(valid(quant::scale_from_amax::<F>(r.f32())));

    // Delayed scaling: any configuration; the scale stays valid.
    let len = r.size();
    let red = if r.bool() {
        AmaxReduction::Max
    } else {
        AmaxReduction::MostRecent
    };
    let margin = r.u32() as i32 % 300;
    let mut ds = match DelayedScaling::<F>::try_new(len, red, margin) {
        Ok(d) => d,
        Err(_) => {
            assert!(len == 0 || !(-126..=126).contains(&margin));
            DelayedScaling::<F>::new(len, red, margin)
        }
    };
    for _ in 0..r.upto(6) {
        if r.bool() {
            ds.record(r.f32());
        } else {
            let mut out = vec![sent; n];
            let used = ds.quantize(&x, &mut out).unwrap();
            assert!(valid(used));
        }
        assert!(valid(ds.scale()), "{}", ds.scale());
    }
    let _ = fbits(&[]);
}

fuzz_target!(|data: &[u8]| {
    let mut r = R(data);
    let fi = r.u8() as usize;
    crate::with_format!(fi, F => { run::<F>(&mut r) });
});
