//! The batch conversions on every kernel level give the scalar core's bits, element by element.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;
use common::{bits, fbits, R};
use lowp::{Format, Level};

fn run<F: Format>(r: &mut R) {
    let n = r.upto(40);
    let x = r.f32s(n);
    let rounding = r.rounding();
    let ov = r.overflow();
    let seed = r.u64();
    let want: Vec<u32> = x
        .iter()
        .map(|&v| F::from_f32_with(v, rounding, ov).to_bits_u32())
        .collect();
    let zero = F::from_bits_u32(0);
    // One level per execution (chosen by the input), against the scalar core and the scalar
    // level's stochastic words.
    let levels: Vec<Level> = Level::available().collect();
    let level = levels[r.upto(levels.len() - 1)];
    let mut first_sto: Option<Vec<u32>> = None;
    if level != Level::Scalar {
        let mut s = vec![zero; n];
        Level::Scalar.encode_stochastic(&x, &mut s, seed, ov);
        first_sto = Some(bits(&s));
    }
    {
        let mut q = vec![zero; n];
        level.encode_with(&x, &mut q, rounding, ov);
        assert_eq!(bits(&q), want, "{level:?} encode_with");
        let mut back = vec![0f32; n];
        level.decode(&q, &mut back);
        let dec: Vec<u32> = q.iter().map(|v| v.to_f32().to_bits()).collect();
        assert_eq!(fbits(&back), dec, "{level:?} decode");
        let mut fq = vec![0f32; n];
        level.fake_quantize_into::<F>(&x, &mut fq, rounding, ov);
        assert_eq!(fbits(&fq), dec, "{level:?} fake_quantize_into");
        let mut fi = x.clone();
        level.fake_quantize::<F>(&mut fi, rounding, ov);
        assert_eq!(fbits(&fi), dec, "{level:?} fake_quantize");
        let mut s = vec![zero; n];
        level.encode_stochastic(&x, &mut s, seed, ov);
        match &first_sto {
            None => first_sto = Some(bits(&s)),
            Some(f) => assert_eq!(&bits(&s), f, "{level:?} encode_stochastic"),
        }
        // f16 → F through the exact value.
        let h: Vec<lowp::F16> = x.iter().map(|&v| lowp::round::<lowp::F16>(v)).collect();
        let mut c = vec![zero; n];
        level.convert_with(&h, &mut c, rounding, ov);
        let cw: Vec<u32> = h
            .iter()
            .map(|v| F::from_f32_with(v.to_f32(), rounding, ov).to_bits_u32())
            .collect();
        assert_eq!(bits(&c), cw, "{level:?} convert_with");
    }
    // The stochastic words: element i uses SplitMix64 word i (spot-check one element).
    if let (Some(s), true) = (&first_sto, n > 0) {
        let i = r.upto(n - 1);
        let mut z = seed.wrapping_add((i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let w = (z >> 32) as u32;
        assert_eq!(s[i], F::from_f32_stochastic(x[i], w, ov).to_bits_u32());
    }
}

fuzz_target!(|data: &[u8]| {
    let mut r = R(data);
    let fi = r.u8() as usize;
    crate::with_format!(fi, F => { run::<F>(&mut r) });
});
