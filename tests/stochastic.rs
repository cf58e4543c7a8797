//! Stochastic rounding: exact for given random words (the "add the word to the dropped fraction,
//! keep the carry" rule), unbiased in expectation, and overflowing by the policy.

mod common;

use common::Row;
use lowp::{Format, Overflow};
use proptest::prelude::*;

/// ⌊f · 2^32⌋ for the exact fraction f = (a − lo) / (hi − lo) (all exact in f64).
fn frac32(a: f64, lo: f64, hi: f64) -> u64 {
    (((a - lo) / (hi - lo)) * 2f64.powi(32)).floor() as u64
}

fn code<F: Format>(row: &Row, x: f32, r: u32, ov: Overflow) -> u32 {
    F::from_f32_stochastic(x, r, ov).to_bits_u32() >> row.shift
}

#[test]
fn exact_for_given_words() {
    for_each_format!(|row, F| {
        let ladder = row.ladder();
        let step = if ladder.len() > 1000 { 97 } else { 1 };
        for w in ladder.windows(2).step_by(step) {
            let ((lo, lo_c), (hi, hi_c)) = (w[0], w[1]);
            // Inputs at several fractions of the gap that are exact in f32.
            for k in [1u32, 3, 7, 8, 9, 15] {
                let a = lo + (hi - lo) * k as f64 / 16.0;
                let x = a as f32;
                if x as f64 != a {
                    continue;
                }
                let f = frac32(a, lo, hi);
                assert!(f > 0);
                let threshold = ((1u64 << 32) - f) as u32; // smallest word that rounds up
                for neg in [false, true] {
                    if neg && !row.signed {
                        continue;
                    }
                    let xs = if neg { -x } else { x };
                    for ov in [Overflow::Ieee, Overflow::Saturate] {
                        let down = row.signed_code(lo_c, neg);
                        let up = row.signed_code(hi_c, neg);
                        let at = |r: u32| code::<F>(row, xs, r, ov);
                        assert_eq!(at(threshold - 1), down, "{} {a} k={k}", row.name);
                        assert_eq!(at(threshold), up, "{} {a} k={k}", row.name);
                        assert_eq!(at(0), down);
                        assert_eq!(at(u32::MAX), up);
                    }
                }
            }
            // Exact values never move.
            for r in [0, 1 << 31, u32::MAX] {
                assert_eq!(code::<F>(row, lo as f32, r, Overflow::Ieee), lo_c);
            }
        }
        // Between max and the first value beyond it: rounding up overflows by the policy.
        let (max, max_c) = ladder[ladder.len() - 1];
        let beyond = row.beyond_max(&ladder);
        let a = (max + beyond) / 2.0;
        if let Some(x) = Some(a as f32).filter(|x| *x as f64 == a) {
            assert_eq!(code::<F>(row, x, 0, Overflow::Ieee), max_c);
            let over = if row.signed {
                row.overflow_code(false)
            } else {
                0xFF
            };
            assert_eq!(code::<F>(row, x, u32::MAX, Overflow::Ieee), over);
            assert_eq!(code::<F>(row, x, u32::MAX, Overflow::Saturate), max_c);
        }
    });
}

/// With the words k·2^20 (k = 0..4096) the proportion of "up" is f to within 2^-12, so the mean
/// of the results is x to within a 4096th of the gap: no bias, whatever the fraction.
fn mean_error<F: Format>(x: f32) -> Option<(f64, f64)> {
    let lo = F::from_f32_with(x, lowp::Rounding::TowardNegative, Overflow::Saturate).to_f64();
    let hi = F::from_f32_with(x, lowp::Rounding::TowardPositive, Overflow::Saturate).to_f64();
    if !lo.is_finite() || !hi.is_finite() {
        return None;
    }
    let n = 4096u32;
    let sum: f64 = (0..n)
        .map(|k| F::from_f32_stochastic(x, k << 20, Overflow::Saturate).to_f64())
        .sum();
    Some(((sum / n as f64 - x as f64).abs(), hi - lo))
}

proptest! {
    #[test]
    fn unbiased_in_expectation_e4m3fn(x in -448.0f32..448.0) {
        if let Some((err, gap)) = mean_error::<lowp::F8E4M3FN>(x) {
            prop_assert!(err <= gap / 4096.0 * 1.0001, "x={x} err={err} gap={gap}");
        }
    }
    #[test]
    fn unbiased_in_expectation_e5m2(x in -57344.0f32..57344.0) {
        if let Some((err, gap)) = mean_error::<lowp::F8E5M2>(x) {
            prop_assert!(err <= gap / 4096.0 * 1.0001, "x={x} err={err} gap={gap}");
        }
    }
    #[test]
    fn unbiased_in_expectation_bf16(x in -1e30f32..1e30) {
        if let Some((err, gap)) = mean_error::<lowp::BF16>(x) {
            prop_assert!(err <= gap / 4096.0 * 1.0001, "x={x} err={err} gap={gap}");
        }
    }
    #[test]
    fn unbiased_in_expectation_fp4(x in -6.0f32..6.0) {
        if let Some((err, gap)) = mean_error::<lowp::F4E2M1FN>(x) {
            prop_assert!(err <= gap / 4096.0 * 1.0001, "x={x} err={err} gap={gap}");
        }
    }
    /// f64 and f32 sources agree where the f64 is an f32.
    #[test]
    fn f64_source_agrees_with_f32(bits in any::<u32>(), r in any::<u32>()) {
        let x = f32::from_bits(bits);
        prop_assume!(!x.is_nan());
        for ov in [Overflow::Ieee, Overflow::Saturate] {
            prop_assert_eq!(
                <lowp::F16 as Format>::from_f32_stochastic(x, r, ov).to_bits(),
                <lowp::F16 as Format>::from_f64_stochastic(x as f64, r, ov).to_bits()
            );
            prop_assert_eq!(
                lowp::F8E5M2::from_f32_stochastic(x, r, ov).to_bits(),
                lowp::F8E5M2::from_f64_stochastic(x as f64, r, ov).to_bits()
            );
        }
    }
}

/// For an f64 input the deciding fraction can lie below f32 precision.
#[test]
fn f64_fraction_below_f32_precision() {
    // 1 + 2^-11 + 2^-40 in f16: the dropped fraction is 1/2 + 2^-30, so ⌊f·2^32⌋ = 2^31 + 4.
    let x = 1.0 + 2f64.powi(-11) + 2f64.powi(-40);
    let t = (1u64 << 32) - ((1 << 31) + 4);
    let f16 = |r: u64| <lowp::F16 as Format>::from_f64_stochastic(x, r as u32, Overflow::Ieee);
    assert_eq!(f16(t - 1).to_bits(), 0x3C00);
    assert_eq!(f16(t).to_bits(), 0x3C01);
}
