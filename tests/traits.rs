//! The type-level API: formatting, comparison, negation, arithmetic, num-traits, checked
//! conversion, bit fields, bytemuck and packing.

use lowp::packing::{pack, packed_len, try_unpack, unpack};
use lowp::*;
use num_traits::{Bounded, Float, FromPrimitive, NumCast, One, ToPrimitive, Zero};

#[test]
fn formatting() {
    let x = F8E4M3FN::from_f32(3.5);
    assert_eq!(format!("{x}"), "3.5");
    assert_eq!(format!("{x:?}"), "F8E4M3FN { value: 3.5, bits: 0x46 }");
    assert_eq!(format!("{x:x}"), "46");
    assert_eq!(format!("{x:#010b}"), "0b01000110");
    assert_eq!(format!("{}", x.fields()), "0 1000 110");
    assert_eq!(format!("{}", F4E2M1FN::from_f32(-3.0).fields()), "1 10 1");
    assert_eq!(format!("{}", F8E8M0FNU::from_f32(1.0).fields()), "01111111");
    assert_eq!(
        format!("{}", <F16 as Format>::from_f32(1.0).fields()),
        "0 01111 0000000000"
    );
    assert_eq!(
        format!("{}", Format::fields(1.0f32)),
        "0 01111111 00000000000000000000000"
    );
    let f = F8E5M2::from_f32(-0.00003).fields();
    assert!(f.sign);
    assert_eq!(f.class, core::num::FpCategory::Subnormal);
    assert_eq!((f.biased_exponent, f.exponent, f.mantissa), (0, -14, 2));
    assert_eq!(
        format!("{:?}", TF32::ONE),
        "TF32 { value: 1.0, bits: 0x3f800000 }"
    );
}

#[test]
fn ieee_comparison_and_negation() {
    assert_eq!(F8E4M3FN::ZERO, F8E4M3FN::NEG_ZERO);
    assert_ne!(F8E4M3FN::NAN, F8E4M3FN::NAN);
    assert!(F8E4M3FN::NAN.partial_cmp(&F8E4M3FN::ONE).is_none());
    assert!(F8E4M3FN::MIN < F8E4M3FN::MAX);
    assert_eq!((-F8E4M3FN::ONE).to_f32(), -1.0);
    assert_eq!((-F8E4M3FN::ZERO).to_bits(), 0x80);
    // FNUZ: −0 does not exist; negating zero keeps +0 (0x80 is NaN).
    assert_eq!((-F8E4M3FNUZ::ZERO).to_bits(), 0);
    assert!((-F8E4M3FNUZ::NAN).is_nan());
    assert_eq!((-F8E4M3FNUZ::MAX).to_f32(), -240.0);
    assert_eq!((-F8E5M2::INFINITY), F8E5M2::NEG_INFINITY);
    assert_eq!(F6E2M3FN::from_f32(-7.5).abs(), F6E2M3FN::MAX);
}

#[test]
fn arithmetic_rounds_to_nearest_even() {
    let a = F8E4M3FN::from_f32(1.0);
    let b = F8E4M3FN::from_f32(0.0625);
    // 1.0625 is a tie between 1.0 and 1.125: even is 1.0.
    assert_eq!((a + b).to_f32(), 1.0);
    assert_eq!((a - b).to_f32(), 0.9375);
    assert_eq!((F8E4M3FN::MAX * F8E4M3FN::from_f32(2.0)).to_bits(), 0x7F); // NaN
    assert_eq!((a / F8E4M3FN::from_f32(3.0)).to_f32(), 0.34375);
    assert_eq!(
        (F8E4M3FN::from_f32(7.0) % F8E4M3FN::from_f32(4.0)).to_f32(),
        3.0
    );
    let mut c = a;
    c += a;
    c *= a;
    assert_eq!(<f32 as From<F8E4M3FN>>::from(c), 2.0);
    assert_eq!(<f64 as From<F4E2M1FN>>::from(F4E2M1FN::MAX), 6.0);
}

#[test]
fn num_traits() {
    assert!(F8E5M2::zero().is_zero());
    assert_eq!(F8E5M2::one().to_f32(), 1.0);
    assert_eq!(<F8E4M3FN as Bounded>::max_value().to_f32(), 448.0);
    assert_eq!(<F8E4M3FN as Bounded>::min_value().to_f32(), -448.0);
    assert_eq!(
        <F8E8M0FNU as Bounded>::min_value().to_f64(),
        2f64.powi(-127)
    );
    assert_eq!(F8E4M3FN::from_f32(-3.75).to_i64(), Some(-3));
    assert_eq!(F8E4M3FN::from_f32(-3.75).to_u64(), None);
    assert_eq!(F8E4M3FN::NAN.to_i32(), None);
    // Integers round once from the exact integer: 2^24 + 2^13 + 1 is just above the TF32
    // midpoint between 2^24 and 2^24 + 2^14, which a detour through f32 (a tie there, to even)
    // would lose.
    let n: i64 = (1 << 24) + (1 << 13) + 1;
    assert_eq!(
        <TF32 as FromPrimitive>::from_i64(n).unwrap().to_f32(),
        16_793_600.0
    );
    assert_eq!(TF32::from_f32(n as f32).to_f32(), 16_777_216.0);
    assert_eq!(
        <F8E5M2 as FromPrimitive>::from_u64(u64::MAX).unwrap(),
        F8E5M2::INFINITY
    );
    assert_eq!(
        <F8E4M3FN as FromPrimitive>::from_i32(-17).unwrap().to_f32(),
        -16.0
    );
    assert_eq!(<F8E4M3FN as NumCast>::from(1.75f64).unwrap().to_f32(), 1.75);
    assert_eq!(<F8E4M3FN as NumCast>::from(9u8).unwrap().to_f32(), 9.0);
    // i64::MAX → TF32 rounds once (f64 would first round to 2^63, the same here).
    assert_eq!(
        <TF32 as NumCast>::from(i64::MAX).unwrap().to_f64(),
        2f64.powi(63)
    );
    // Float: computed in f32, rounded once.
    let x = F8E4M3FN::from_f32(2.0);
    assert_eq!(Float::sqrt(x).to_f32(), 1.375);
    assert_eq!(Float::powi(x, 3).to_f32(), 8.0);
    assert_eq!(Float::mul_add(x, x, F8E4M3FN::ONE).to_f32(), 5.0);
    assert!(<F8E4M3FN as Float>::nan().is_nan());
    // No infinity in E4M3FN: what an f32 ∞ rounds to (NaN), documented.
    assert!(<F8E4M3FN as Float>::infinity().is_nan());
    assert_eq!(<F4E2M1FN as Float>::infinity().to_f32(), 6.0);
    assert_eq!(<F8E5M2 as Float>::infinity(), F8E5M2::INFINITY);
    assert_eq!(
        Float::integer_decode(F8E4M3FN::from_f32(-1.5)),
        (12582912, -23, -1)
    );
    assert_eq!(Float::floor(F8E4M3FN::from_f32(-1.5)).to_f32(), -2.0);
    assert_eq!(
        <F8E4M3FN as num_traits::Num>::from_str_radix("0.1", 10)
            .unwrap()
            .to_bits(),
        0x1d
    );
}

#[test]
fn checked_conversion() {
    assert_eq!(F8E4M3FN::try_from_f32(448.0).unwrap().to_bits(), 0x7E);
    assert_eq!(F8E4M3FN::try_from_f32(464.0).unwrap().to_bits(), 0x7E);
    assert!(matches!(
        F8E4M3FN::try_from_f32(465.0),
        Err(Error::Overflow {
            format: "float8_e4m3fn",
            ..
        })
    ));
    assert!(matches!(
        F4E2M1FN::try_from_f32(7.0),
        Err(Error::Overflow { .. })
    ));
    assert!(matches!(
        F4E2M1FN::try_from_f32(f32::NAN),
        Err(Error::NanNotRepresentable {
            format: "float4_e2m1fn"
        })
    ));
    assert!(F8E4M3FN::try_from_f32(f32::NAN).unwrap().is_nan());
    assert!(matches!(
        F8E4M3FN::try_from_f32(f32::INFINITY),
        Err(Error::InfinityNotRepresentable { .. })
    ));
    assert_eq!(
        F8E5M2::try_from_f32(f32::INFINITY).unwrap(),
        F8E5M2::INFINITY
    );
    assert!(matches!(
        F8E8M0FNU::try_from_f32(0.0),
        Err(Error::NotRepresentable { .. })
    ));
    assert!(matches!(
        F8E8M0FNU::try_from_f64(-2.0),
        Err(Error::NotRepresentable { .. })
    ));
    assert_eq!(F8E8M0FNU::try_from_f64(0.25).unwrap().to_bits(), 0x7D);
    assert!(matches!(
        TF32::try_from_f64(1e39),
        Err(Error::Overflow { .. })
    ));
    let e = F8E4M3FN::try_from_f32(1000.0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "1000 overflows float8_e4m3fn (beyond its largest finite value)"
    );
}

#[test]
fn storage_is_transparent_and_pod() {
    let bytes = [0x38u8, 0x7E, 0xFF];
    let v: &[F8E4M3FN] = bytemuck::cast_slice(&bytes);
    assert_eq!(v[0].to_f32(), 1.0);
    assert_eq!(v[1].to_f32(), 448.0);
    assert!(v[2].is_nan());
    assert_eq!(core::mem::size_of::<TF32>(), 4);
    assert_eq!(core::mem::size_of::<F4E2M1FN>(), 1);
    // High bits of a sub-byte format are ignored by from_bits.
    assert_eq!(F4E2M1FN::from_bits(0xF3).to_bits(), 0x3);
    assert_eq!(TF32::from_bits(0x3F80_1FFF).to_bits(), 0x3F80_0000);
}

#[test]
fn packing_round_trips() {
    let xs: Vec<F4E2M1FN> = (0..16).map(|c| F4E2M1FN::from_bits(c as u8)).collect();
    let mut packed = vec![0u8; packed_len::<F4E2M1FN>(xs.len())];
    pack(&xs, &mut packed);
    assert_eq!(&packed[..2], &[0x10, 0x32]); // element 0 in the low nibble
    let mut back = vec![F4E2M1FN::ZERO; 16];
    unpack(&packed, &mut back);
    assert!(xs
        .iter()
        .zip(&back)
        .all(|(a, b)| a.to_bits() == b.to_bits()));

    let ys: Vec<F6E2M3FN> = (0..64).map(|c| F6E2M3FN::from_bits(c as u8)).collect();
    for n in 0..=ys.len() {
        let mut p = vec![0u8; packed_len::<F6E2M3FN>(n)];
        pack(&ys[..n], &mut p);
        let mut back = vec![F6E2M3FN::ZERO; n];
        unpack(&p, &mut back);
        assert!(ys[..n]
            .iter()
            .zip(&back)
            .all(|(a, b)| a.to_bits() == b.to_bits()));
    }
    // Four FP6 elements in three bytes, element 0 in the lowest bits, little-endian.
    let four = [1u8, 2, 3, 4].map(F6E3M2FN::from_bits);
    let mut p = [0u8; 3];
    pack(&four, &mut p);
    let word = p[0] as u32 | (p[1] as u32) << 8 | (p[2] as u32) << 16;
    assert_eq!(word, 1 | 2 << 6 | 3 << 12 | 4 << 18);
    let mut out = [F6E3M2FN::ZERO; 4];
    assert_eq!(
        try_unpack(&p[..2], &mut out),
        Err(Error::LengthMismatch {
            expected: 3,
            found: 2
        })
    );
}

/// The inherent classification methods agree with the IEEE class on every code.
#[test]
fn classification_on_every_code() {
    use core::num::FpCategory::*;
    macro_rules! every_code {
        ($($t:ty),*) => {$(
            for c in 0..=255u8 {
                let x = <$t>::from_bits(c);
                let class = x.classify();
                let v = x.to_f32();
                assert_eq!(x.is_nan(), class == Nan, "{} {c:#x}", stringify!($t));
                assert_eq!(x.is_nan(), v.is_nan());
                assert_eq!(x.is_infinite(), class == Infinite);
                assert_eq!(x.is_infinite(), v.is_infinite());
                assert_eq!(x.is_finite(), v.is_finite());
                assert_eq!(x.is_normal(), class == Normal);
                assert_eq!(x.is_subnormal(), class == Subnormal);
                if !x.is_nan() {
                    // The format's own class: its subnormals are f32 normals.
                    assert_eq!(class == Zero, v == 0.0, "{} {c:#x}", stringify!($t));
                    let tiny = v != 0.0 && v.abs() < <$t>::MIN_POSITIVE.to_f32();
                    assert_eq!(x.is_subnormal(), tiny, "{} {c:#x}", stringify!($t));
                    assert_eq!(x.is_sign_negative(), v.is_sign_negative());
                }
            }
        )*};
    }
    every_code!(
        F8E4M3FN,
        F8E5M2,
        F8E4M3FNUZ,
        F8E5M2FNUZ,
        F8E4M3B11FNUZ,
        F8E3M4,
        F8E4M3,
        F6E2M3FN,
        F6E3M2FN,
        F4E2M1FN
    );
    // E8M0: no zero, no subnormal, no sign; 2^-127 is normal in E8M0 (it is an f32 subnormal).
    for c in 0..=255u8 {
        let x = F8E8M0FNU::from_bits(c);
        assert_eq!(x.is_nan(), c == 0xFF);
        assert_eq!(x.is_normal(), c != 0xFF);
        assert!(!x.is_sign_negative() && !x.is_infinite() && !x.is_subnormal());
    }
}
