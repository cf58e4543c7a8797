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

// ---------------------------------------------------------------------------------------------
// Default, FromStr, Sum/Product, total_cmp (and serde under the `serde` feature), on every
// format type.

/// Run `$body` once per format type, with `$t` the type and `$w` its width in bits.
macro_rules! every_format {
    (|$t:ident, $w:ident| $body:block) => {{
        every_format!(@one $t, $w, $body, F8E4M3FN, 8);
        every_format!(@one $t, $w, $body, F8E5M2, 8);
        every_format!(@one $t, $w, $body, F8E4M3FNUZ, 8);
        every_format!(@one $t, $w, $body, F8E5M2FNUZ, 8);
        every_format!(@one $t, $w, $body, F8E4M3B11FNUZ, 8);
        every_format!(@one $t, $w, $body, F8E3M4, 8);
        every_format!(@one $t, $w, $body, F8E4M3, 8);
        every_format!(@one $t, $w, $body, F8E8M0FNU, 8);
        every_format!(@one $t, $w, $body, F6E2M3FN, 6);
        every_format!(@one $t, $w, $body, F6E3M2FN, 6);
        every_format!(@one $t, $w, $body, F4E2M1FN, 4);
        every_format!(@one $t, $w, $body, TF32, 19);
    }};
    (@one $t:ident, $w:ident, $body:block, $ty:ident, $bits:expr) => {{
        #[allow(dead_code)]
        type $t = $ty;
        #[allow(unused_variables)]
        let $w: u32 = $bits;
        $body
    }};
}

/// Every encoding of a format of width `w` (for TF32 a sample: the 19-bit codes shifted into
/// place, every 97th).
fn codes(w: u32) -> Vec<u32> {
    if w <= 8 {
        (0..1u32 << w).collect()
    } else {
        (0..1u32 << w)
            .filter(|c| c % 97 == 0 || *c < 64 || (*c >> 10) & 0xFF >= 0xFE)
            .map(|c| c << 13)
            .collect()
    }
}

#[test]
fn default_is_zero_or_the_identity_scale() {
    let mut seen = Vec::new();
    every_format!(|T, w| {
        seen.push((<T as Format>::NAME, T::default().to_bits_u32()));
    });
    for (name, bits) in seen {
        let want = if name == "float8_e8m0fnu" { 0x7F } else { 0 };
        assert_eq!(bits, want, "{name}");
    }
    assert_eq!(F8E8M0FNU::default().to_f32(), 1.0);
    assert_eq!(F16::default().to_bits(), 0);
    assert_eq!(BF16::default().to_bits(), 0);
}

/// The exact decimal expansion of `x`, without trailing zeros: "d.ddd…e±N".
fn exact(x: f64) -> String {
    let s = format!("{:.800e}", x);
    let (m, e) = s.split_once('e').unwrap();
    let m = m.trim_end_matches('0').trim_end_matches('.');
    format!("{m}e{e}")
}

/// A decimal just above (`up`) or below the exact value of `x` (x > 0), by about 10^-30 of it:
/// both parse to the same f64 as `x`.
fn nudged(x: f64, up: bool) -> String {
    let s = exact(x);
    let (m, e) = s.split_once('e').unwrap();
    let m = if m.contains('.') {
        m.to_string()
    } else {
        format!("{m}.")
    };
    if up {
        format!("{m}{}1e{e}", "0".repeat(30))
    } else {
        // Decrement the last (non-zero) digit, then append nines.
        let mut b = m.into_bytes();
        let last = b.iter().rposition(|c| c.is_ascii_digit()).unwrap();
        b[last] -= 1;
        format!("{}{}e{e}", String::from_utf8(b).unwrap(), "9".repeat(30))
    }
}

#[test]
fn from_str_rounds_the_exact_decimal_once() {
    every_format!(|T, w| {
        let name = <T as Format>::NAME;
        let values: Vec<f64> = codes(w)
            .into_iter()
            .map(T::from_bits_u32)
            .filter(|x| x.is_finite())
            .map(|x| x.to_f64())
            .collect();
        // Every value, written exactly and shortest, parses to its own code.
        for &v in &values {
            let want = T::from_f64(v).to_bits_u32();
            for s in [exact(v), format!("{v}"), format!("{v:e}")] {
                assert_eq!(s.parse::<T>().unwrap().to_bits_u32(), want, "{name} {s}");
            }
        }
        // Every midpoint of adjacent positive values, and the overflow threshold: exactly, just
        // above and just below. A decimal that parses to the f64 m but lies above it rounds
        // as m's f64 successor does.
        let mut pos: Vec<f64> = values.iter().copied().filter(|v| *v > 0.0).collect();
        pos.sort_by(f64::total_cmp);
        pos.dedup();
        let mut points: Vec<f64> = pos.windows(2).map(|p| (p[0] + p[1]) / 2.0).collect();
        let max = *pos.last().unwrap();
        let below_max = pos[pos.len() - 2];
        if name != "float8_e8m0fnu" {
            points.push(max + (max - below_max) / 2.0);
        }
        let mut ties_decided_by_digits = 0;
        for m in points {
            for (s, wanted) in [
                (exact(m), m),
                (nudged(m, true), m.next_up()),
                (nudged(m, false), m.next_down()),
            ] {
                assert_eq!(s.parse::<f64>().unwrap(), m, "{s}");
                let want = T::from_f64(wanted).to_bits_u32();
                let got = s.parse::<T>().unwrap().to_bits_u32();
                assert_eq!(got, want, "{name} {s}");
                if want != T::from_f64(m).to_bits_u32() {
                    ties_decided_by_digits += 1;
                }
                // Negative too (E8M0 has no negatives: NaN).
                let neg = format!("-{s}");
                let want = T::from_f64(-wanted).to_bits_u32();
                assert_eq!(
                    neg.parse::<T>().unwrap().to_bits_u32(),
                    want,
                    "{name} {neg}"
                );
            }
        }
        // Every format has ties that only the exact digits decide.
        assert!(ties_decided_by_digits > 0, "{name}");
    });
    // Examples, bits asserted.
    let p = |s: &str| s.parse::<F8E4M3FN>().map(|x| x.to_bits());
    assert_eq!(p("0.1"), Ok(0x1d));
    assert_eq!(p("1.0625"), Ok(0x38)); // tie → 1.0 (even)
    assert_eq!(p("1.0625000000000000000000000001"), Ok(0x39)); // above the tie: 1.125
    assert_eq!(p("1.0624999999999999999999999999"), Ok(0x38));
    assert_eq!(p("464"), Ok(0x7E)); // the overflow threshold ties to 448
    assert_eq!(p("464.00000000000000000000001"), Ok(0x7F)); // NaN (no ∞)
    assert_eq!(p("-0"), Ok(0x80));
    assert_eq!(p("NaN"), Ok(0x7F));
    assert_eq!(p("-inf"), Ok(0xFF));
    assert_eq!(p("1e-400"), Ok(0x00));
    assert_eq!(p("-1e-400"), Ok(0x80));
    assert_eq!(p("+1E0"), Ok(0x38));
    assert_eq!(p(".5"), Ok(0x30));
    assert_eq!(p("5."), Ok(0x4A));
    assert_eq!(p("1e99999999999999999999999"), Ok(0x7F));
    assert_eq!(p("0e99999999999999999999999"), Ok(0x00));
    assert_eq!(p("abc"), Err("abc".parse::<f64>().unwrap_err()));
    assert!(p("").is_err() && p("1.0.0").is_err() && p(" 1").is_err() && p("1_0").is_err());
    let e = |s: &str| s.parse::<F8E8M0FNU>().map(|x| x.to_bits());
    assert_eq!(e("1e-400"), Ok(0x00)); // tiny positive: 2^-127
    assert_eq!(e("0"), Ok(0xFF)); // no zero: NaN
    assert_eq!(e("-1e-400"), Ok(0xFF));
    assert_eq!(e("1.5"), Ok(0x80)); // the midpoint rounds up
    assert_eq!(e("1.4999999999999999999999999"), Ok(0x7F));
    assert_eq!(e("inf"), Ok(0xFF));
    let f = |s: &str| s.parse::<F4E2M1FN>().map(|x| x.to_bits());
    assert_eq!(f("nan"), Ok(0x0)); // no NaN: +0
    assert_eq!(f("-infinity"), Ok(0xF)); // no ∞: −max
    assert_eq!(f("5"), Ok(0x6)); // tie between 4 and 6 → 4
    assert_eq!(f("5.000000000000000000000000001"), Ok(0x7));
    assert_eq!(f("-1e-400"), Ok(0x8));
    assert_eq!(f("0.25"), Ok(0x0)); // tie between 0 and 0.5 → 0
    assert_eq!(f("0.2500000000000000000000000001"), Ok(0x1));
    let t = |s: &str| s.parse::<TF32>().map(|x| x.to_bits());
    // 1 + 2^-11 is a tie in TF32 (10 fraction bits).
    assert_eq!(t("1.00048828125"), Ok(0x3F80_0000));
    assert_eq!(t("1.00048828125000000000000000001"), Ok(0x3F80_2000));
    assert_eq!(
        <F8E4M3FN as num_traits::Num>::from_str_radix("1.0625000000000000000000000001", 10)
            .unwrap()
            .to_bits(),
        0x39
    );
}

#[test]
fn sum_and_product_round_once() {
    every_format!(|T, w| {
        let name = <T as Format>::NAME;
        let empty_sum = core::iter::empty::<T>().sum::<T>();
        let want = T::from_f64(-0.0).to_bits_u32();
        assert_eq!(empty_sum.to_bits_u32(), want, "{name}");
        let empty_product = core::iter::empty::<T>().product::<T>();
        assert_eq!(empty_product.to_bits_u32(), T::ONE.to_bits_u32(), "{name}");
        for c in codes(w) {
            let x = T::from_bits_u32(c);
            let one = [x];
            if x.is_nan() {
                assert!(one.iter().sum::<T>().is_nan() && one.iter().product::<T>().is_nan());
                continue;
            }
            // A one-element sum or product is the element itself, −0 included.
            assert_eq!(one.iter().sum::<T>().to_bits_u32(), c, "{name} {c:#x}");
            assert_eq!(
                one.into_iter().product::<T>().to_bits_u32(),
                c,
                "{name} {c:#x}"
            );
            assert_eq!(
                [x, T::ONE].iter().product::<T>().to_bits_u32(),
                c,
                "{name} {c:#x}"
            );
            // Three equal terms: the exact 3x rounded once.
            let want = T::from_f64(3.0 * x.to_f64()).to_bits_u32();
            assert_eq!(
                [x, x, x].into_iter().sum::<T>().to_bits_u32(),
                want,
                "{name}"
            );
        }
    });
    // Once, not per step: 32 × 0.0625 is 2, where repeated `+` sticks at 1 (1 + 0.0625 ties
    // back to 1).
    let v = [F8E4M3FN::from_f32(0.0625); 32];
    assert_eq!(v.iter().sum::<F8E4M3FN>().to_bits(), 0x40);
    assert_eq!(v.iter().fold(F8E4M3FN::ZERO, |a, &b| a + b).to_bits(), 0x38);
    assert_eq!(
        [F8E4M3FN::MAX, F8E4M3FN::from_f32(16.0)]
            .iter()
            .sum::<F8E4M3FN>()
            .to_bits(),
        0x7E
    );
    assert_eq!(
        [F8E4M3FN::MAX, F8E4M3FN::from_f32(18.0)]
            .iter()
            .sum::<F8E4M3FN>()
            .to_bits(),
        0x7F
    );
    // ∞ − ∞: the positive quiet NaN on every CPU.
    assert_eq!(
        [F8E5M2::INFINITY, F8E5M2::NEG_INFINITY]
            .iter()
            .sum::<F8E5M2>()
            .to_bits(),
        0x7E
    );
    assert_eq!(
        [F8E5M2::INFINITY, F8E5M2::ZERO]
            .iter()
            .product::<F8E5M2>()
            .to_bits(),
        0x7E
    );
    assert_eq!(
        [F4E2M1FN::MAX; 3].iter().product::<F4E2M1FN>().to_bits(),
        0x7
    ); // 216 → max
    let p = [1.5f32, 1.5, 1.5].map(F8E4M3FN::from_f32);
    assert_eq!(p.iter().product::<F8E4M3FN>().to_bits(), 0x46); // 3.375 ties to 3.5, once
    let e = [F8E8M0FNU::from_f32(2.0), F8E8M0FNU::from_f32(4.0)];
    assert_eq!(e.iter().sum::<F8E8M0FNU>().to_bits(), 0x82); // 6 = 1.5·4 → 8 (ties up)
    assert_eq!(e.iter().product::<F8E8M0FNU>().to_bits(), 0x82); // 8
}

#[test]
fn total_cmp_is_ieee_total_order_on_the_encoding() {
    every_format!(|T, w| {
        let name = <T as Format>::NAME;
        let mut xs: Vec<T> = codes(w).into_iter().map(T::from_bits_u32).collect();
        xs.sort_by(|a, b| a.total_cmp(b));
        // A strict order: distinct codes never compare equal.
        for p in xs.windows(2) {
            assert_eq!(p[0].total_cmp(&p[1]), core::cmp::Ordering::Less, "{name}");
            assert_eq!(
                p[1].total_cmp(&p[0]),
                core::cmp::Ordering::Greater,
                "{name}"
            );
            assert_eq!(p[0].total_cmp(&p[0]), core::cmp::Ordering::Equal);
            // Wherever the decoded f32s differ in f32's totalOrder, the order is the same.
            // (NaN payloads aside: decoding quiets a signalling TF32 NaN.)
            let (a, b) = (T::to_f32(p[0]), T::to_f32(p[1]));
            if !a.is_nan() && !b.is_nan() {
                assert_ne!(
                    a.total_cmp(&b),
                    core::cmp::Ordering::Greater,
                    "{name} {a} {b}"
                );
            }
        }
        // Negative NaNs first, positive NaNs (and the fnuz NaN) last, +0 after everything
        // negative and before everything positive.
        let last = xs.last().unwrap();
        assert!(
            last.is_nan() || last.to_bits_u32() == T::MAX.to_bits_u32(),
            "{name}"
        );
        if T::to_f32(T::from_bits_u32(0)) == 0.0 {
            let z = xs.iter().position(|x| x.to_bits_u32() == 0).unwrap();
            assert!(xs[..z].iter().all(|&x| x.is_sign_negative()), "{name}");
            assert!(
                xs[z + 1..]
                    .iter()
                    .all(|&x| x.is_nan() || T::to_f32(x) > 0.0),
                "{name}"
            );
        }
    });
    let sorted = |mut v: Vec<F8E4M3FN>| {
        v.sort_by(F8E4M3FN::total_cmp);
        v.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    };
    assert_eq!(
        sorted(
            [0x7F, 0x00, 0x80, 0xFF, 0x7E, 0xFE, 0x01]
                .map(F8E4M3FN::from_bits)
                .to_vec()
        ),
        [0xFF, 0xFE, 0x80, 0x00, 0x01, 0x7E, 0x7F]
    );
    let mut u: Vec<F8E4M3FNUZ> = [0x80, 0x00, 0xFF, 0x7F, 0x81]
        .map(F8E4M3FNUZ::from_bits)
        .to_vec();
    u.sort_by(F8E4M3FNUZ::total_cmp);
    assert_eq!(
        u.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        [0xFF, 0x81, 0x00, 0x7F, 0x80]
    );
    let mut e: Vec<F8E8M0FNU> = [0xFF, 0x00, 0x7F].map(F8E8M0FNU::from_bits).to_vec();
    e.sort_by(F8E8M0FNU::total_cmp);
    assert_eq!(
        e.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        [0x00, 0x7F, 0xFF]
    );
    let mut f: Vec<F4E2M1FN> = (0..16).map(F4E2M1FN::from_bits).collect();
    f.sort_by(F4E2M1FN::total_cmp);
    assert_eq!(
        f.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        [0xF, 0xE, 0xD, 0xC, 0xB, 0xA, 0x9, 0x8, 0, 1, 2, 3, 4, 5, 6, 7]
    );
    assert_eq!(
        TF32::from_bits(0xFFC0_0000).total_cmp(&TF32::NEG_INFINITY),
        core::cmp::Ordering::Less
    );
    assert_eq!(
        TF32::NEG_ZERO.total_cmp(&TF32::ZERO),
        core::cmp::Ordering::Less
    );
}

#[cfg(feature = "serde")]
#[test]
fn serde_round_trips_the_encoding() {
    every_format!(|T, w| {
        let name = <T as Format>::NAME;
        for c in codes(w) {
            let x = T::from_bits_u32(c);
            let j = serde_json::to_string(&x).unwrap();
            // The encoding itself, as an integer.
            assert_eq!(j, format!("{}", c), "{name}");
            let back: T = serde_json::from_str(&j).unwrap();
            assert_eq!(back.to_bits_u32(), c, "{name} {j}");
        }
        // A binary format (CBOR, not human-readable) holds the storage integer too.
        for c in codes(w) {
            let x = T::from_bits_u32(c);
            let mut buf = Vec::new();
            ciborium::into_writer(&x, &mut buf).unwrap();
            let back: T = ciborium::from_reader(&buf[..]).unwrap();
            assert_eq!(back.to_bits_u32(), c, "{name} cbor");
        }
        // A decimal string is parsed as a value.
        let one: T = serde_json::from_str("\"1\"").unwrap();
        assert_eq!(one.to_bits_u32(), T::ONE.to_bits_u32(), "{name}");
        // Bits outside the format are an error, as are negative numbers.
        assert!(serde_json::from_str::<T>("-1").is_err(), "{name}");
        assert!(serde_json::from_str::<T>("4294967296").is_err(), "{name}");
    });
    assert!(serde_json::from_str::<F4E2M1FN>("16").is_err());
    assert!(serde_json::from_str::<F6E2M3FN>("64").is_err());
    assert!(serde_json::from_str::<TF32>("1").is_err()); // low 13 bits of TF32 must be 0
    assert!(serde_json::from_str::<F8E4M3FN>("256").is_err());
    assert_eq!(
        serde_json::from_str::<F8E4M3FN>("\"0.1\"")
            .unwrap()
            .to_bits(),
        0x1d
    );
    assert_eq!(serde_json::to_string(&F8E4M3FN::NAN).unwrap(), "127");
    // A float is neither an encoding nor a string: an error that says what is expected.
    let e = serde_json::from_str::<F8E4M3FN>("0.5")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("expected the encoding of a float8_e4m3fn value"),
        "{e}"
    );
    // CBOR bytes: one unsigned integer (0x18 0x1d = 29), as for a bare u8.
    let mut buf = Vec::new();
    ciborium::into_writer(&F8E4M3FN::from_f32(0.1), &mut buf).unwrap();
    assert_eq!(buf, [0x18, 0x1d]);
    assert!(ciborium::from_reader::<F4E2M1FN, _>(&[0x10u8][..]).is_err()); // 16: beyond FP4
                                                                           // In a struct.
    #[derive(serde::Serialize, serde::Deserialize)]
    struct S {
        scale: F8E8M0FNU,
        v: Vec<F8E5M2>,
        h: F16,
    }
    let s = S {
        scale: F8E8M0FNU::from_f32(0.5),
        v: vec![F8E5M2::NEG_ZERO, F8E5M2::INFINITY],
        h: F16::from_f32(1.0),
    };
    let j = serde_json::to_string(&s).unwrap();
    assert_eq!(j, r#"{"scale":126,"v":[128,124],"h":15360}"#);
    let b: S = serde_json::from_str(&j).unwrap();
    assert_eq!(
        (b.scale.to_bits(), b.v[0].to_bits(), b.v[1].to_bits()),
        (126, 128, 124)
    );
}

/// F16 and BF16 are `half`'s types, whose own impls give these traits (FromStr through `f32`,
/// sums in `f32`): the same names work on them, with half's bits.
#[test]
fn half_types_have_the_same_traits() {
    assert_eq!("0.1".parse::<F16>().unwrap().to_bits(), 0x2E66);
    assert_eq!("0.1".parse::<BF16>().unwrap().to_bits(), 0x3DCD);
    let v = [F16::from_f32(1.0), F16::from_f32(0.5)];
    assert_eq!(v.iter().sum::<F16>().to_bits(), 0x3E00);
    assert_eq!(v.iter().product::<F16>().to_bits(), 0x3800);
    assert_eq!(
        F16::NEG_ZERO.total_cmp(&F16::ZERO),
        core::cmp::Ordering::Less
    );
    assert_eq!(
        BF16::NAN.total_cmp(&BF16::INFINITY),
        core::cmp::Ordering::Greater
    );
    let h = <F16 as Format>::from_f32(2.0);
    assert_eq!(num_traits::Float::sqrt(h).to_bits(), 0x3DA8);
}
