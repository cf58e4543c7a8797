//! Every midpoint between adjacent values of every format, and its f32 and f64 neighbours, in
//! every rounding mode and both overflow policies, through the f32 and the f64 paths, against
//! the reference of `common`. Also the f64 inputs whose deciding bits lie below f32 precision.

mod common;

use common::{reference, Row};
use lowp::{Format, Overflow, Rounding, BF16, F16, F8E4M3FN};

/// Check one exact input magnitude `a` (both signs, all modes and policies).
fn check<F: Format>(row: &Row, ladder: &[(f64, u32)], beyond: f64, a: f64) {
    if a.is_nan() || a <= 0.0 || a.is_infinite() {
        return;
    }
    let f32_exact = (a as f32) as f64 == a;
    for neg in [false, true] {
        let x = if neg { -a } else { a };
        for mode in Rounding::ALL {
            for ov in [Overflow::Ieee, Overflow::Saturate] {
                let want = reference(row, ladder, beyond, a, neg, mode, ov);
                let got = common::lowp_code_f64::<F>(row, x, mode, ov);
                assert_eq!(
                    got,
                    want,
                    "{}: f64 input {x:e} ({:#018x}) {mode:?} {ov:?}",
                    row.name,
                    x.to_bits()
                );
                if f32_exact {
                    let got = common::lowp_code_f32::<F>(row, x as f32, mode, ov);
                    assert_eq!(got, want, "{}: f32 input {x:e} {mode:?} {ov:?}", row.name);
                }
            }
        }
    }
}

#[test]
fn every_midpoint_and_neighbours_in_every_mode() {
    for_each_format!(|row, F| {
        let ladder = row.ladder();
        let beyond = row.beyond_max(&ladder);
        // TF32 has 2^18 values: a debug build takes every 61st pair.
        let stride = if cfg!(debug_assertions) && ladder.len() > 70_000 {
            61
        } else {
            1
        };
        let mut pairs: Vec<(f64, f64)> = ladder
            .windows(2)
            .step_by(stride)
            .map(|w| (w[0].0, w[1].0))
            .collect();
        pairs.push((ladder[ladder.len() - 1].0, beyond));
        pairs.push((beyond, 2.0 * beyond));
        for (lo, hi) in pairs {
            let mid = (lo + hi) / 2.0;
            let m32 = mid as f32;
            for a in [
                lo,
                hi,
                mid,
                mid.next_up(),
                mid.next_down(),
                m32.next_up() as f64,
                m32.next_down() as f64,
                lo.next_up(),
                hi.next_down(),
            ] {
                check::<F>(row, &ladder, beyond, a);
            }
        }
        // Below the smallest positive value: half of it and around.
        let tiny = ladder.iter().find(|p| p.0 > 0.0).unwrap().0;
        for a in [tiny / 2.0, tiny / 4.0, (tiny / 2.0).next_up(), 1e-300] {
            check::<F>(row, &ladder, beyond, a);
        }
    });
}

/// The deciding bits are below f32's precision: rounding through f32 would give a tie and round
/// to even (down); the exact f64 is above the midpoint and rounds up.
#[test]
fn f64_sticky_bits_below_f32_precision() {
    let p = |k: i32| 2f64.powi(k);
    let x = 1.0 + p(-11) + p(-40);
    assert_eq!(<F16 as Format>::from_f64(x).to_bits(), 0x3C01);
    assert_eq!(<F16 as Format>::from_f32(x as f32).to_bits(), 0x3C00);
    let x = 1.0 + p(-8) + p(-40);
    assert_eq!(<BF16 as Format>::from_f64(x).to_bits(), 0x3F81);
    assert_eq!(<BF16 as Format>::from_f32(x as f32).to_bits(), 0x3F80);
    let x = 1.0625 + p(-40);
    assert_eq!(F8E4M3FN::from_f64(x).to_bits(), 0x39);
    assert_eq!(F8E4M3FN::from_f32(x as f32).to_bits(), 0x38);
    // Odd keeps the sticky information too: 1 + 2^-40 is inexact in f16.
    let x = 1.0 + p(-40);
    assert_eq!(
        <F16 as Format>::from_f64_with(x, Rounding::Odd, Overflow::Ieee).to_bits(),
        0x3C01
    );
    assert_eq!(
        <F16 as Format>::from_f64_with(x, Rounding::TowardPositive, Overflow::Ieee).to_bits(),
        0x3C01
    );
    assert_eq!(
        <F16 as Format>::from_f64_with(-x, Rounding::TowardPositive, Overflow::Ieee).to_bits(),
        0xBC00
    );
    // The smallest f64 subnormal rounds up only in the directed-up modes.
    let t = f64::from_bits(1);
    assert_eq!(<F16 as Format>::from_f64(t).to_bits(), 0);
    assert_eq!(
        <F16 as Format>::from_f64_with(t, Rounding::TowardPositive, Overflow::Ieee).to_bits(),
        1
    );
    assert_eq!(
        F8E4M3FN::from_f64_with(-t, Rounding::TowardNegative, Overflow::Ieee).to_bits(),
        0x81
    );
    // Huge f64 inputs overflow by the policy.
    assert!(F8E4M3FN::from_f64(1e300).is_nan());
    assert_eq!(
        F8E4M3FN::from_f64_with(-1e300, Rounding::NearestEven, Overflow::Saturate),
        F8E4M3FN::MIN
    );
}

/// The worked examples of CONTRACT.md §3.
#[test]
fn semantics_examples() {
    use lowp::*;
    assert_eq!(F8E4M3FN::from_f32(464.0).to_bits(), 0x7E);
    assert_eq!(F8E4M3FN::from_f32(465.0).to_bits(), 0x7F);
    for x in [449.0f32, 470.0, 479.0] {
        assert_eq!(
            F8E4M3FN::from_f32_with(x, Rounding::Odd, Overflow::Ieee).to_bits(),
            0x7E
        );
    }
    assert_eq!(
        F8E4M3FN::from_f32_with(1e9, Rounding::TowardZero, Overflow::Ieee).to_bits(),
        0x7E
    );
    assert_eq!(
        F8E5M2::from_f32_with(1e9, Rounding::TowardZero, Overflow::Ieee).to_bits(),
        0x7B
    );
    assert_eq!(F8E5M2::from_f32(1e9).to_bits(), 0x7C);
    assert_eq!(
        F8E5M2::from_f32_with(-1e9, Rounding::TowardPositive, Overflow::Ieee).to_bits(),
        0xFB
    );
    assert_eq!(F4E2M1FN::from_f32(100.0).to_bits(), 0x7);
    assert_eq!(F4E2M1FN::from_f32(f32::NEG_INFINITY).to_bits(), 0xF);
    assert_eq!(F8E4M3FNUZ::from_f32(-0.0).to_bits(), 0);
    assert_eq!(F8E4M3FNUZ::from_f32(-1e-9).to_bits(), 0);
    assert_eq!(
        F8E4M3FNUZ::from_f32_with(f32::INFINITY, Rounding::NearestEven, Overflow::Saturate)
            .to_bits(),
        0x7F
    );
    // NaN codes with the input's sign.
    assert_eq!(F8E4M3FN::from_f32(-f32::NAN).to_bits(), 0xFF);
    assert_eq!(F8E5M2::from_f32(-f32::NAN).to_bits(), 0xFE);
    assert_eq!(F8E4M3::from_f32(f32::NAN).to_bits(), 0x7C);
    assert_eq!(F8E3M4::from_f32(-f32::NAN).to_bits(), 0xF8);
    assert_eq!(F8E5M2FNUZ::from_f32(-f32::NAN).to_bits(), 0x80);
    assert_eq!(F6E3M2FN::from_f32(f32::NAN).to_bits(), 0);
    // E8M0.
    let e = |x: f32, r, o| F8E8M0FNU::from_f32_with(x, r, o).to_bits();
    use Overflow::{Ieee, Saturate};
    use Rounding::*;
    assert_eq!(e(0.0, NearestEven, Ieee), 0xFF);
    assert_eq!(e(-1.0, NearestEven, Saturate), 0xFF);
    assert_eq!(e(f32::INFINITY, NearestEven, Ieee), 0xFF);
    assert_eq!(e(f32::INFINITY, NearestEven, Saturate), 0xFE);
    assert_eq!(e(1.5, NearestEven, Ieee), 0x80); // midpoint rounds up
    assert_eq!(e(1.5, Odd, Ieee), 0x7F); // Odd is truncation
    assert_eq!(e(3.0e38, NearestEven, Ieee), 0xFF);
    assert_eq!(e(3.0e38, TowardZero, Ieee), 0xFE);
    assert_eq!(e(3.0e38, TowardPositive, Ieee), 0xFF);
    assert_eq!(e(3.0e38, NearestEven, Saturate), 0xFE);
    assert_eq!(e(1e-45, TowardZero, Ieee), 0x00);
    // f32 subnormals in (2^-127, 2^-126) round to nearest (ml_dtypes rounds them all up).
    assert_eq!(e(f32::from_bits(0x0040_0001), NearestEven, Ieee), 0x00);
    assert_eq!(e(f32::from_bits(0x0060_0000), NearestEven, Ieee), 0x01);
}
