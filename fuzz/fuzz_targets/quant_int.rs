//! Integer quantization: every entry point with fuzzed shapes, axes, block sizes, parameters
//! and options. Invariants: no panic; an `Err` leaves the output untouched; fake quantization
//! is dequantize ∘ quantize; per axis with equal parameters is per tensor; parameters chosen
//! from data are valid.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;
use common::{fbits, R};
use lowp::quant::{self, Nibble, QParams, QuantInt, QuantOptions, ScaleRule, Scheme, I4, U4};

fn params(r: &mut R, n: usize) -> Vec<QParams> {
    (0..n)
        .map(|_| {
            let scale = if r.u8() < 8 {
                r.f32()
            } else {
                (r.u16() as f32 + 1.0) / 256.0
            };
            let zp = if r.u8() < 4 {
                r.u32() as i32
            } else {
                r.u8() as i32 - 128
            };
            QParams::new(scale, zp)
        })
        .collect()
}

fn shape(r: &mut R) -> Vec<usize> {
    let rank = r.upto(4);
    (0..rank)
        .map(|_| if r.u8() < 4 { r.size() } else { r.upto(5) })
        .collect()
}

fn run<Q: QuantInt>(r: &mut R) {
    let sh = shape(r);
    let n = if r.u8() < 250 {
        sh.iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .unwrap_or(7)
            .min(400)
    } else {
        r.upto(64)
    };
    let x = r.f32s(n);
    let axis = r.upto(4);
    let block = r.size();
    let o = QuantOptions {
        rule: if r.bool() {
            ScaleRule::Reciprocal
        } else {
            ScaleRule::Divide
        },
        restricted_range: r.bool(),
    };
    let np = r.upto(12);
    let ps = params(r, np);
    let sentinel = Q::from_i32(r.u8() as i32);

    // Per tensor.
    let p = ps.first().copied().unwrap_or(QParams::new(1.0, 0));
    let mut q = vec![sentinel; n];
    let res = quant::quantize_with(&x, p, o, &mut q);
    assert_eq!(res.is_ok(), p.check::<Q>().is_ok());
    if res.is_err() {
        assert!(q.iter().all(|&v| v == sentinel));
    } else {
        let mut y = vec![0f32; n];
        quant::dequantize(&q, p, &mut y).unwrap();
        let mut f = vec![0f32; n];
        quant::fake_quantize_with::<Q>(&x, p, o, &mut f).unwrap();
        assert_eq!(fbits(&f), fbits(&y), "fake = dequantize ∘ quantize");
        if o == QuantOptions::default() {
            let mut g = x.clone();
            quant::fake_quantize_in_place::<Q>(&mut g, p).unwrap();
            assert_eq!(fbits(&g), fbits(&y));
        }
    }

    // Per axis and blocked, against the per-tensor result when all parameters are equal.
    let mut qa = vec![sentinel; n];
    let ra = quant::quantize_per_axis_with(&x, &sh, axis, &ps, o, &mut qa);
    if ra.is_err() {
        assert!(qa.iter().all(|&v| v == sentinel));
    } else if ps.iter().all(|&v| v == p) {
        assert_eq!(qa, q);
    }
    if ra.is_ok() {
        let mut ya = vec![1f32; n];
        quant::dequantize_per_axis(&qa, &sh, axis, &ps, &mut ya).unwrap();
        let mut fa = vec![2f32; n];
        quant::fake_quantize_per_axis_with::<Q>(&x, &sh, axis, &ps, o, &mut fa).unwrap();
        assert_eq!(fbits(&fa), fbits(&ya));
    }
    let mut qb = vec![sentinel; n];
    let rb = quant::quantize_blocked_with(&x, &sh, axis, block, &ps, o, &mut qb);
    if rb.is_err() {
        assert!(qb.iter().all(|&v| v == sentinel));
    } else {
        if ps.iter().all(|&v| v == p) {
            assert_eq!(qb, q);
        }
        let mut yb = vec![1f32; n];
        quant::dequantize_blocked(&qb, &sh, axis, block, &ps, &mut yb).unwrap();
        let mut fb = vec![2f32; n];
        quant::fake_quantize_blocked_with::<Q>(&x, &sh, axis, block, &ps, o, &mut fb).unwrap();
        assert_eq!(fbits(&fb), fbits(&yb));
    }

    // Parameters from data.
    let scheme = [
        Scheme::Asymmetric,
        Scheme::Symmetric,
        Scheme::SymmetricFullRange,
    ][r.upto(2)];
    if let Ok(p) = quant::qparams_from_data::<Q>(&x, scheme) {
        p.check::<Q>().unwrap();
    }
    let lo = r.f32();
    let hi = r.f32();
    if let Ok(p) = quant::choose_qparams::<Q>(lo, hi, scheme) {
        p.check::<Q>().unwrap();
    }
    let sent = QParams::new(-5.0, 3);
    let mut pa = vec![sent; np];
    match quant::qparams_per_axis::<Q>(&x, &sh, axis, scheme, &mut pa) {
        Ok(()) => pa.iter().for_each(|p| p.check::<Q>().unwrap()),
        Err(_) => assert!(pa.iter().all(|&v| v == sent)),
    }
    let mut pb = vec![sent; np];
    match quant::qparams_blocked::<Q>(&x, &sh, axis, block, scheme, &mut pb) {
        Ok(()) => pb.iter().for_each(|p| p.check::<Q>().unwrap()),
        Err(_) => assert!(pb.iter().all(|&v| v == sent)),
    }
}

fn packed<Q: Nibble>(r: &mut R) {
    let n = r.upto(40);
    let x = r.f32s(n);
    let p = params(r, 1)[0];
    let len = if r.u8() < 8 {
        r.upto(30)
    } else {
        n.div_ceil(2)
    };
    let mut b = vec![0xA5u8; len];
    let res = quant::quantize_packed::<Q>(&x, p, &mut b);
    if res.is_err() {
        assert!(b.iter().all(|&v| v == 0xA5));
        return;
    }
    let mut q = vec![Q::default(); n];
    quant::quantize(&x, p, &mut q).unwrap();
    let mut b2 = vec![0u8; len];
    quant::pack_4bit(&q, &mut b2).unwrap();
    assert_eq!(b, b2);
    let mut y = vec![0f32; n];
    quant::dequantize_packed::<Q>(&b, p, &mut y).unwrap();
    let mut y2 = vec![0f32; n];
    quant::dequantize(&q, p, &mut y2).unwrap();
    assert_eq!(fbits(&y), fbits(&y2));
    let mut u = vec![Q::default(); n];
    quant::unpack_4bit(&b, &mut u).unwrap();
    assert_eq!(u, q);
}

fuzz_target!(|data: &[u8]| {
    let mut r = R(data);
    match r.u8() % 7 {
        0 => run::<i8>(&mut r),
        1 => run::<u8>(&mut r),
        2 => run::<I4>(&mut r),
        3 => run::<U4>(&mut r),
        4 => packed::<I4>(&mut r),
        5 => packed::<U4>(&mut r),
        _ => {
            let n = r.upto(64);
            let x = r.f32s(n);
            let len = if r.bool() { n } else { r.upto(64) };
            let mut q = vec![0x5Au8; len];
            match quant::dynamic_quantize_u8(&x, &mut q) {
                Ok(p) => p.check::<u8>().unwrap(),
                Err(_) => assert!(q.iter().all(|&v| v == 0x5A)),
            }
        }
    }
});
