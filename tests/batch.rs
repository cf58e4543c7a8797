//! `lowp::batch` (one options value) gives the bits of the scalar core, sequential and parallel,
//! and leaves its output untouched on a length error.

use lowp::batch::{self, Options, Round};
use lowp::{Error, Format, Overflow, Rounding, BF16, F16, F4E2M1FN, F6E3M2FN, F8E4M3FN, F8E5M2};

/// Inputs with every kind of value: tiny, subnormal, ties, huge, ±∞, NaN, and a long random run
/// (longer than a parallel piece, so that several pieces run).
fn inputs() -> Vec<f32> {
    let mut v = vec![
        0.0,
        -0.0,
        1e-45,
        -1e-45,
        1.0e-39,
        0.1,
        -0.3,
        1.0625,
        464.0,
        465.0,
        1e6,
        -1e6,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        f32::MAX,
        f32::MIN_POSITIVE,
    ];
    let mut z = 0x1234_5678_9ABC_DEF0u64;
    for _ in 0..70_000 {
        z = z
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        v.push(f32::from_bits((z >> 32) as u32));
    }
    v
}

fn expected<F: Format>(x: &[f32], opts: Options) -> Vec<u32> {
    let seed_word = |seed: u64, i: u64| {
        let mut z = seed.wrapping_add((i + 1).wrapping_mul(0x9E3779B97F4A7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        ((z ^ (z >> 31)) >> 32) as u32
    };
    x.iter()
        .enumerate()
        .map(|(i, &v)| match opts.round {
            Round::Mode(r) => F::from_f32_with(v, r, opts.overflow).to_bits_u32(),
            Round::Stochastic { seed } => {
                F::from_f32_stochastic(v, seed_word(seed, i as u64), opts.overflow).to_bits_u32()
            }
        })
        .collect()
}

fn all_options() -> Vec<Options> {
    let mut v = Vec::new();
    for parallel in [false, true] {
        for overflow in [Overflow::Ieee, Overflow::Saturate] {
            for r in Rounding::ALL {
                v.push(
                    Options::new()
                        .rounding(r)
                        .overflow(overflow)
                        .parallel(parallel),
                );
            }
            v.push(
                Options::new()
                    .stochastic(7)
                    .overflow(overflow)
                    .parallel(parallel),
            );
        }
    }
    v
}

fn check<F: Format + PartialEq + core::fmt::Debug>() {
    let x = inputs();
    for opts in all_options() {
        let mut q = vec![F::from_bits_u32(0); x.len()];
        batch::encode(&x, opts, &mut q).unwrap();
        let got: Vec<u32> = q.iter().map(|v| v.to_bits_u32()).collect();
        assert_eq!(got, expected::<F>(&x, opts), "{} {opts:?}", F::NAME);
        let mut back = vec![0f32; x.len()];
        batch::decode(&q, opts, &mut back).unwrap();
        let mut fake = vec![0f32; x.len()];
        batch::fake_quantize::<F>(&x, opts, &mut fake).unwrap();
        let mut in_place = x.clone();
        batch::fake_quantize_in_place::<F>(&mut in_place, opts).unwrap();
        for i in 0..x.len() {
            assert_eq!(back[i].to_bits(), q[i].to_f32().to_bits());
            assert_eq!(
                fake[i].to_bits(),
                back[i].to_bits(),
                "{} {opts:?} {i}",
                F::NAME
            );
            assert_eq!(in_place[i].to_bits(), back[i].to_bits());
        }
    }
}

#[test]
fn every_option_gives_the_scalar_bits() {
    check::<F8E4M3FN>();
    check::<F8E5M2>();
    check::<F16>();
    check::<BF16>();
    check::<F4E2M1FN>();
}

#[test]
fn convert_and_packed_match_the_scalar_path() {
    let x = inputs();
    let h: Vec<F16> = x.iter().map(|&v| F16::from_f32(v)).collect();
    for opts in all_options() {
        let mut q = vec![F8E4M3FN::ZERO; h.len()];
        batch::convert(&h, opts, &mut q).unwrap();
        let wide: Vec<f32> = h.iter().map(|v| v.to_f32()).collect();
        let want = expected::<F8E4M3FN>(&wide, opts);
        assert!(q.iter().map(|v| v.to_bits() as u32).eq(want), "{opts:?}");

        let mut p4 = vec![0u8; lowp::packing::packed_len::<F4E2M1FN>(x.len())];
        batch::encode_packed::<F4E2M1FN>(&x, opts, &mut p4).unwrap();
        let mut codes = vec![F4E2M1FN::ZERO; x.len()];
        lowp::packing::unpack(&p4, &mut codes);
        let want = expected::<F4E2M1FN>(&x, opts);
        assert!(
            codes.iter().map(|v| v.to_bits() as u32).eq(want),
            "{opts:?}"
        );
        let mut back = vec![0f32; x.len()];
        batch::decode_packed::<F4E2M1FN>(&p4, opts, &mut back).unwrap();
        assert!(back
            .iter()
            .zip(&codes)
            .all(|(b, c)| b.to_bits() == c.to_f32().to_bits()));

        let mut p6 = vec![0u8; lowp::packing::packed_len::<F6E3M2FN>(x.len())];
        batch::encode_packed::<F6E3M2FN>(&x, opts, &mut p6).unwrap();
        let mut codes = vec![F6E3M2FN::ZERO; x.len()];
        lowp::packing::unpack(&p6, &mut codes);
        let want = expected::<F6E3M2FN>(&x, opts);
        assert!(
            codes.iter().map(|v| v.to_bits() as u32).eq(want),
            "{opts:?}"
        );
    }
}

#[test]
fn a_length_error_writes_nothing() {
    let x = [1.0f32, 2.0, 3.0];
    let mut q = [F8E4M3FN::MAX; 2];
    let e = batch::encode(&x, Options::new(), &mut q).unwrap_err();
    assert_eq!(
        e,
        Error::LengthMismatch {
            expected: 3,
            found: 2
        }
    );
    assert_eq!(q.map(|v| v.to_bits()), [0x7e, 0x7e]);
    let mut f = [9.0f32; 2];
    assert!(batch::fake_quantize::<F8E4M3FN>(&x, Options::new(), &mut f).is_err());
    assert!(batch::decode(&q, Options::new(), &mut f[..1]).is_err());
    assert_eq!(f, [9.0, 9.0]);
    let mut p = [0xAAu8; 1];
    assert!(batch::encode_packed::<F4E2M1FN>(&x, Options::new(), &mut p).is_err());
    assert_eq!(p, [0xAA]);
    assert!(batch::decode_packed::<F4E2M1FN>(&[0u8; 1], Options::new(), &mut f).is_ok());
    assert!(batch::decode_packed::<F4E2M1FN>(&[0u8; 2], Options::new(), &mut f).is_err());
}

#[test]
fn options_read_as_english() {
    let o = Options::new()
        .saturate()
        .rounding(Rounding::TowardZero)
        .parallel(true);
    assert_eq!(o.overflow, Overflow::Saturate);
    assert_eq!(o.round, Round::Mode(Rounding::TowardZero));
    assert!(o.parallel);
    assert_eq!(Options::default(), Options::new());
    assert_eq!(Round::from(Rounding::Odd), Round::Mode(Rounding::Odd));
    assert_eq!(
        Options::new().stochastic(5).round,
        Round::Stochastic { seed: 5 }
    );
}
