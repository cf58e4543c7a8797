//! `lowp::batch` (the options API): encode, decode, convert, fake_quantize (out of place and in
//! place), encode_packed, decode_packed, with any `Options` (every mode, stochastic with its
//! seed, either overflow policy, parallel or not) and arbitrary slice lengths. Invariants: no
//! panic; a length mismatch is an `Err` that writes nothing; on `Ok`, each element has the
//! scalar core's bits, stochastic rounding with the word SplitMix64(seed, i) (CONTRACT.md §3).
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;
use common::{bits, fbits, R};
use lowp::batch::{self, Options};
use lowp::packing::{packed_len, Packable};
use lowp::{Format, F4E2M1FN, F6E3M2FN};

fn splitmix(seed: u64, i: u64) -> u32 {
    let mut z = seed.wrapping_add((i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 32) as u32
}

fn options(r: &mut R) -> Options {
    let o = Options::new().overflow(r.overflow()).parallel(r.bool());
    if r.u8() < 64 {
        o.stochastic(r.u64())
    } else {
        o.rounding(r.rounding())
    }
}

fn want<F: Format>(x: &[f32], o: Options) -> Vec<u32> {
    x.iter()
        .enumerate()
        .map(|(i, &v)| match o.round {
            batch::Round::Mode(m) => F::from_f32_with(v, m, o.overflow).to_bits_u32(),
            batch::Round::Stochastic { seed } => {
                F::from_f32_stochastic(v, splitmix(seed, i as u64), o.overflow).to_bits_u32()
            }
        })
        .collect()
}

fn run<F: Format>(r: &mut R) {
    let n = r.upto(70);
    let x = r.f32s(n);
    let o = options(r);
    let m = if r.u8() < 16 { r.upto(70) } else { n };
    // A sentinel every format holds (TF32 masks its low bits: `from_bits_u32(1)` is 0).
    let sent = F::from_f32(1.0);
    let mut q = vec![sent; m];
    let res = batch::encode(&x, o, &mut q);
    assert_eq!(res.is_ok(), m == n);
    let w = want::<F>(&x, o);
    if res.is_ok() {
        assert_eq!(bits(&q), w, "encode {o:?}");
        let mut d = vec![0.5f32; n];
        batch::decode(&q, o, &mut d).unwrap();
        let dec: Vec<u32> = q.iter().map(|c| c.to_f32().to_bits()).collect();
        assert_eq!(fbits(&d), dec);
        let mut f = vec![0.5f32; n];
        batch::fake_quantize::<F>(&x, o, &mut f).unwrap();
        assert_eq!(fbits(&f), dec, "fake_quantize {o:?}");
        let mut g = x.clone();
        batch::fake_quantize_in_place::<F>(&mut g, o).unwrap();
        assert_eq!(fbits(&g), dec, "fake_quantize_in_place {o:?}");
        // Convert from bf16 values of x into F: the core on the bf16 values.
        let src: Vec<lowp::BF16> = x
            .iter()
            .map(|&v| <lowp::BF16 as Format>::from_f32(v))
            .collect();
        let mut c = vec![sent; n];
        batch::convert(&src, o, &mut c).unwrap();
        let sv: Vec<f32> = src.iter().map(|v| v.to_f32()).collect();
        assert_eq!(bits(&c), want::<F>(&sv, o), "convert {o:?}");
    } else {
        assert!(q.iter().all(|v| v.to_bits_u32() == sent.to_bits_u32()));
        let mut d = vec![0.5f32; m + 1];
        assert!(batch::decode(&vec![sent; m], o, &mut d).is_err());
        assert!(d.iter().all(|&v| v == 0.5));
        let mut f = vec![0.5f32; m];
        assert!(batch::fake_quantize::<F>(&x, o, &mut f).is_err());
        assert!(f.iter().all(|&v| v == 0.5));
    }
}

fn packed<F: Packable>(r: &mut R) {
    let n = r.upto(70);
    let x = r.f32s(n);
    let o = options(r);
    let len = if r.u8() < 16 {
        r.upto(60)
    } else {
        packed_len::<F>(n)
    };
    let mut p = vec![0xA5u8; len];
    let res = batch::encode_packed::<F>(&x, o, &mut p);
    assert_eq!(res.is_ok(), len == packed_len::<F>(n));
    if res.is_err() {
        assert!(p.iter().all(|&b| b == 0xA5));
        return;
    }
    let codes: Vec<F> = want::<F>(&x, o).into_iter().map(F::from_bits_u32).collect();
    let mut want_p = vec![0u8; len];
    lowp::packing::pack(&codes, &mut want_p);
    assert_eq!(p, want_p, "encode_packed {o:?}");
    let mut d = vec![0.5f32; n];
    batch::decode_packed::<F>(&p, o, &mut d).unwrap();
    let dec: Vec<u32> = codes.iter().map(|c| c.to_f32().to_bits()).collect();
    assert_eq!(fbits(&d), dec);
}

fuzz_target!(|data: &[u8]| {
    let mut r = R(data);
    let f = r.u8();
    match f % 4 {
        0 => packed::<F4E2M1FN>(&mut r),
        1 => packed::<F6E3M2FN>(&mut r),
        _ => crate::with_format!(r.u8(), F => { run::<F>(&mut r) }),
    }
});
