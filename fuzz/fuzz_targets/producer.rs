//! `quant::producer`: every compressed-tensors / torchao / ModelOpt rule on arbitrary data,
//! scales, dtypes and output lengths. Invariants: no panic; an output length that does not fit
//! the input (an odd count for FP4) is an `Err` that writes nothing, any other is `Ok`; codes in
//! range (int4 in [−8, 7], FP4 nibbles < 16); dtype rounding is
//! idempotent; `mx_block`'s scale byte is `e8m0_exponent` + 127 (255 for a NaN/∞ block),
//! `nvfp4_block` of a block with NaN or ∞ is NaN with codes 0.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;
use common::R;
use lowp::quant::producer::{self as pr, CtElement, E8m0Rule, Nvfp4Rule, TorchDtype};
use lowp::quant::MxFormat;

fuzz_target!(|data: &[u8]| {
    let mut r = R(data);
    let dtype = [TorchDtype::F32, TorchDtype::F16, TorchDtype::BF16][r.u8() as usize % 3];
    let n = r.upto(48);
    let x = r.f32s(n);
    // The output length: usually the right one, sometimes any (an `Err` then, nothing written).
    let out_len = |r: &mut R, want: usize| if r.u8() < 200 { want } else { r.upto(50) };
    let s = r.f32();
    let v = dtype.round(s);
    assert_eq!(
        dtype.round(v).to_bits() | 0x0040_0000,
        v.to_bits() | 0x0040_0000
    );
    let element = [CtElement::Int8, CtElement::Int4, CtElement::Fp8E4M3][r.u8() as usize % 3];
    let _ = pr::ct_scale(r.f32(), element, dtype);
    let mut q = vec![99i8; out_len(&mut r, n)];
    let res = pr::ct_quantize_int(&x, s, element, dtype, &mut q);
    assert_eq!(res.is_ok(), q.len() == n);
    if res.is_err() {
        assert!(q.iter().all(|&c| c == 99));
    } else if element == CtElement::Int4 {
        assert!(q.iter().all(|&c| (-8..=7).contains(&c)));
    }
    let mut f8 = vec![lowp::F8E4M3FN::from_bits(0x55); out_len(&mut r, n)];
    let res = pr::ct_quantize_fp8(&x, s, dtype, &mut f8);
    assert_eq!(res.is_ok(), f8.len() == n);
    if res.is_err() {
        assert!(f8.iter().all(|c| c.to_bits() == 0x55));
    }
    let mut p = vec![0xEEu8; out_len(&mut r, n / 2)];
    let res = pr::ct_quantize_fp4(&x, s, dtype, &mut p);
    assert_eq!(res.is_ok(), n % 2 == 0 && p.len() == n / 2);
    if res.is_err() {
        assert!(p.iter().all(|&c| c == 0xEE));
    }
    assert!(pr::ct_fp4_code(r.f32()) < 16);
    let g = pr::ct_nvfp4_global_scale(r.f32(), dtype);
    assert!(g.is_finite());
    let _ = pr::ct_nvfp4_block_scale(r.f32(), g, dtype);
    let (code, div) = pr::ct_mx_scale(r.f32(), dtype);
    let _ = (code, div);
    let _ = pr::ct_amax(&x);
    let format = MxFormat::ALL[r.u8() as usize % MxFormat::ALL.len()];
    let rule = [
        E8m0Rule::Floor,
        E8m0Rule::Ceil,
        E8m0Rule::Even,
        E8m0Rule::RCeil,
    ][r.u8() as usize % 4];
    let _ = pr::e8m0_exponent(r.f32(), format, rule);
    let bad = x.iter().any(|v| !v.is_finite());
    if matches!(format, MxFormat::E4M3 | MxFormat::E2M1) {
        let mut c = vec![0x55u8; out_len(&mut r, n)];
        match pr::mx_block(&x, format, rule, &mut c) {
            Ok(byte) => {
                assert_eq!(c.len(), n);
                let e = pr::e8m0_exponent(pr::ct_amax(&x), format, rule);
                assert_eq!(byte, e.map_or(255, |e| (e + 127) as u8));
                if bad {
                    assert!(c.iter().all(|&c| c == 0));
                }
            }
            Err(_) => assert!(c.len() != n && c.iter().all(|&c| c == 0x55)),
        }
    }
    let nrule = [
        Nvfp4Rule::Divide,
        Nvfp4Rule::Reciprocal,
        Nvfp4Rule::ModelOpt,
    ][r.u8() as usize % 3];
    let mut c = vec![0x55u8; out_len(&mut r, n)];
    match pr::nvfp4_block(&x, s, nrule, &mut c) {
        Ok(bs) => {
            assert_eq!(c.len(), n);
            assert!(c.iter().all(|&c| c < 16));
            if bad {
                assert!(bs.to_f32().is_nan() && c.iter().all(|&c| c == 0));
            }
        }
        Err(_) => assert!(c.len() != n && c.iter().all(|&c| c == 0x55)),
    }
});
