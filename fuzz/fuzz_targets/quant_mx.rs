//! MX and NVFP4 block quantization, every entry point. Invariants: no panic; an `Err` leaves
//! the outputs untouched; fake = dequantize ∘ quantize (bits); a block of finite values never
//! fake-quantizes to ∞ or NaN; a block with a NaN or ∞ becomes NaN.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;
use common::{fbits, R};
use lowp::quant::{self, MxFormat, MxOptions, MxScaleRule, NVFP4_BLOCK};
use lowp::{F8E4M3FN, F8E8M0FNU};

fn mx(r: &mut R) {
    let f = MxFormat::ALL[r.upto(5)];
    let rank = r.upto(3);
    let sh: Vec<usize> = (0..rank)
        .map(|_| if r.u8() < 4 { r.size() } else { r.upto(40) })
        .collect();
    let n = sh
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .unwrap_or(3)
        .min(600);
    let x = r.f32s(n);
    let axis = r.upto(3);
    let o = MxOptions {
        rule: if r.bool() {
            MxScaleRule::RoundUp
        } else {
            MxScaleRule::Floor
        },
        block_size: if r.u8() < 200 {
            [32, 16, 1, 7, 64][r.upto(4)]
        } else {
            r.size()
        },
    };
    let ns = if r.u8() < 8 {
        r.upto(40)
    } else {
        quant::mx_scale_count(n, o.block_size)
    };
    let ne = if r.u8() < 8 {
        r.upto(700)
    } else {
        quant::mx_element_bytes(f, n)
    };
    let sent = F8E8M0FNU::from_bits(0x42);
    let mut s = vec![sent; ns];
    let mut e = vec![0x99u8; ne];
    let res = quant::mx_quantize_with(&x, f, o, &mut s, &mut e);
    let mut y = vec![0f32; n];
    let fres = quant::mx_fake_quantize_with(&x, f, o, &mut y);
    match res {
        Err(_) => {
            assert!(s.iter().all(|v| v.to_bits() == 0x42) && e.iter().all(|&b| b == 0x99));
        }
        Ok(()) => {
            fres.unwrap();
            let mut z = vec![0f32; n];
            quant::mx_dequantize_with(f, o, &s, &e, &mut z).unwrap();
            assert_eq!(fbits(&z), fbits(&y));
            for (k, chunk) in x.chunks(o.block_size.max(1)).enumerate() {
                let finite = chunk.iter().all(|v| v.is_finite());
                let out = &y[k * o.block_size..][..chunk.len()];
                for &v in out {
                    assert_eq!(v.is_finite(), finite, "{f:?} {o:?} block {k}: {v:e}");
                }
            }
        }
    }
    // Along an axis.
    let mut s = vec![sent; ns];
    let mut e = vec![0x99u8; ne];
    match quant::mx_quantize_axis(&x, &sh, axis, f, o, &mut s, &mut e) {
        Err(_) => assert!(s.iter().all(|v| v.to_bits() == 0x42) && e.iter().all(|&b| b == 0x99)),
        Ok(()) => {
            let mut z = vec![0f32; n];
            quant::mx_dequantize_axis(&sh, axis, f, o, &s, &e, &mut z).unwrap();
            let mut y = vec![0f32; n];
            quant::mx_fake_quantize_axis(&x, &sh, axis, f, o, &mut y).unwrap();
            assert_eq!(fbits(&z), fbits(&y));
        }
    }
    // Dequantizing arbitrary bytes never panics, and never gives ∞ from a finite element code
    // (E5M2 has ∞ codes of its own).
    let raw_s: Vec<F8E8M0FNU> = (0..ns).map(|_| F8E8M0FNU::from_bits(r.u8())).collect();
    let raw_e: Vec<u8> = (0..ne).map(|_| r.u8()).collect();
    let mut z = vec![7f32; n];
    if quant::mx_dequantize_with(f, o, &raw_s, &raw_e, &mut z).is_err() {
        assert!(z.iter().all(|&v| v == 7.0));
    } else if f != MxFormat::E5M2 {
        assert!(z.iter().all(|v| !v.is_infinite()));
    }
    let _ = quant::mx_shared_exponent(r.f32(), f, o.rule);
}

fn nvfp4(r: &mut R) {
    let n = r.upto(100);
    let x = r.f32s(n);
    let ts = if r.bool() {
        quant::nvfp4_tensor_scale(&x)
    } else {
        r.f32()
    };
    let nb = if r.u8() < 8 {
        r.upto(10)
    } else {
        n.div_ceil(NVFP4_BLOCK)
    };
    let np = if r.u8() < 8 {
        r.upto(60)
    } else {
        n.div_ceil(2)
    };
    let sent = F8E4M3FN::from_bits(0x33);
    let mut bs = vec![sent; nb];
    let mut p = vec![0x77u8; np];
    match quant::nvfp4_quantize(&x, ts, &mut bs, &mut p) {
        Err(_) => assert!(bs.iter().all(|v| v.to_bits() == 0x33) && p.iter().all(|&b| b == 0x77)),
        Ok(()) => {
            let mut z = vec![0f32; n];
            quant::nvfp4_dequantize(&p, &bs, ts, &mut z).unwrap();
            if ts == quant::nvfp4_tensor_scale(&x) {
                let mut y = vec![0f32; n];
                assert_eq!(quant::nvfp4_fake_quantize(&x, &mut y).unwrap(), ts);
                assert_eq!(fbits(&z), fbits(&y));
            }
            for (k, chunk) in x.chunks(NVFP4_BLOCK).enumerate() {
                let finite = chunk.iter().all(|v| v.is_finite());
                for &v in &z[k * NVFP4_BLOCK..][..chunk.len()] {
                    assert_eq!(v.is_finite(), finite, "block {k}: {v:e} (ts {ts:e})");
                }
            }
        }
    }
    let raw_bs: Vec<F8E4M3FN> = (0..nb).map(|_| F8E4M3FN::from_bits(r.u8())).collect();
    let raw_p: Vec<u8> = (0..np).map(|_| r.u8()).collect();
    let mut z = vec![3f32; n];
    if quant::nvfp4_dequantize(&raw_p, &raw_bs, ts, &mut z).is_err() {
        assert!(z.iter().all(|&v| v == 3.0));
    } else {
        assert!(z.iter().all(|v| !v.is_infinite()));
    }
}

fuzz_target!(|data: &[u8]| {
    let mut r = R(data);
    if r.bool() {
        mx(&mut r)
    } else {
        nvfp4(&mut r)
    }
});
