//! A small test of the portable kernels, sized for `cargo +nightly miri test --test
//! kernels_miri` (Miri checks the safe drivers for undefined behaviour; the SIMD levels are
//! `#[target_feature]` code that Miri does not run). Every result is compared with the scalar
//! core.

use lowp::packing::packed_len;
use lowp::{Format, Level, Overflow, Rounding, BF16, F16, F4E2M1FN, F8E4M3FN, F8E5M2, F8E8M0FNU};

fn values(n: usize) -> Vec<f32> {
    let special = [
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NAN,
        448.0,
        464.0,
        1e-9,
        -3.0e38,
        1e-40,
    ];
    (0..n)
        .map(|i| {
            if i < special.len() {
                special[i]
            } else {
                f32::from_bits((i as u32).wrapping_mul(0x9E37_79B9))
            }
        })
        .collect()
}

fn check<F: Format>() {
    for len in [0, 1, 31, 32, 33, 70] {
        let src = values(len);
        for (r, o) in [
            (Rounding::NearestEven, Overflow::Ieee),
            (Rounding::TowardNegative, Overflow::Saturate),
            (Rounding::Odd, Overflow::Ieee),
        ] {
            let mut a = vec![F::from_bits_u32(0); len];
            let mut b = vec![F::from_bits_u32(0); len];
            Level::Portable.encode_with(&src, &mut a, r, o);
            Level::Scalar.encode_with(&src, &mut b, r, o);
            assert!(a
                .iter()
                .zip(&b)
                .all(|(x, y)| x.to_bits_u32() == y.to_bits_u32()));
            let mut x = src.clone();
            let mut y = src.clone();
            Level::Portable.fake_quantize::<F>(&mut x, r, o);
            Level::Scalar.fake_quantize::<F>(&mut y, r, o);
            assert!(x.iter().zip(&y).all(|(p, q)| p.to_bits() == q.to_bits()));
        }
        let mut a = vec![F::from_bits_u32(0); len];
        let mut b = vec![F::from_bits_u32(0); len];
        Level::Portable.encode_stochastic(&src, &mut a, 9, Overflow::Ieee);
        Level::Scalar.encode_stochastic(&src, &mut b, 9, Overflow::Ieee);
        assert!(a
            .iter()
            .zip(&b)
            .all(|(x, y)| x.to_bits_u32() == y.to_bits_u32()));
        let mut x = vec![0.0f32; len];
        let mut y = vec![0.0f32; len];
        Level::Portable.decode(&a, &mut x);
        Level::Scalar.decode(&a, &mut y);
        assert!(x.iter().zip(&y).all(|(p, q)| p.to_bits() == q.to_bits()));
    }
}

#[test]
fn portable_matches_scalar() {
    check::<F8E4M3FN>();
    check::<F8E5M2>();
    check::<F8E8M0FNU>();
    check::<F16>();
    check::<BF16>();
}

#[test]
fn portable_packed_and_convert() {
    for len in [0, 1, 33, 70] {
        let src = values(len);
        let mut a = vec![0u8; packed_len::<F4E2M1FN>(len)];
        let mut b = vec![0u8; packed_len::<F4E2M1FN>(len)];
        Level::Portable.encode_packed_with::<F4E2M1FN>(
            &src,
            &mut a,
            Rounding::NearestEven,
            Overflow::Ieee,
        );
        Level::Scalar.encode_packed_with::<F4E2M1FN>(
            &src,
            &mut b,
            Rounding::NearestEven,
            Overflow::Ieee,
        );
        assert_eq!(a, b);
        let mut x = vec![0.0f32; len];
        let mut y = vec![0.0f32; len];
        Level::Portable.decode_packed::<F4E2M1FN>(&a, &mut x);
        Level::Scalar.decode_packed::<F4E2M1FN>(&a, &mut y);
        assert!(x.iter().zip(&y).all(|(p, q)| p.to_bits() == q.to_bits()));
        let h: Vec<F16> = src.iter().map(|&v| F16::from_f32(v)).collect();
        let mut c = vec![F8E4M3FN::ZERO; len];
        let mut d = vec![F8E4M3FN::ZERO; len];
        Level::Portable.convert_with(&h, &mut c, Rounding::NearestEven, Overflow::Saturate);
        Level::Scalar.convert_with(&h, &mut d, Rounding::NearestEven, Overflow::Saturate);
        assert!(c.iter().zip(&d).all(|(p, q)| p.to_bits() == q.to_bits()));
    }
}
