//! Properties over random inputs: random f64 inputs against the reference in every mode,
//! monotonicity, sign symmetry, saturation within ±max, and the f32 and f64 paths agreeing.

mod common;

use common::{expected, Row};
use lowp::{Format, Overflow, Rounding};
use proptest::prelude::*;

fn mode_strategy() -> impl Strategy<Value = Rounding> {
    prop::sample::select(Rounding::ALL.to_vec())
}

fn policy_strategy() -> impl Strategy<Value = Overflow> {
    prop::sample::select(vec![Overflow::Ieee, Overflow::Saturate])
}

/// A random f64 near the format's range: mantissa bits random, exponent within ±4 of it.
fn near_range(row: &Row, bits: u64, e: i32) -> f64 {
    let lo = row.min_subnormal.unwrap_or(row.min_normal).log2() as i32 - 4;
    let hi = row.max.log2() as i32 + 4;
    let exp = lo + e.rem_euclid(hi - lo + 1);
    let m = f64::from_bits((bits & ((1 << 52) - 1)) | (1023u64 << 52)); // [1, 2)
    let v = m * 2f64.powi(exp);
    if bits >> 63 == 1 {
        -v
    } else {
        v
    }
}

fn check_f64<F: Format>(row: &Row, x: f64, mode: Rounding, ov: Overflow) -> Result<(), String> {
    let ladder = row.ladder();
    let beyond = row.beyond_max(&ladder);
    let want = expected(row, &ladder, beyond, x, 0, mode, ov);
    let got = common::lowp_code_f64::<F>(row, x, mode, ov);
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{}: {x:e} {mode:?} {ov:?}: lowp {got:#x}, reference {want:#x}",
            row.name
        ))
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random f64 inputs (full 52-bit mantissas: rounded once, never through f32).
    #[test]
    fn random_f64_matches_reference(bits in any::<u64>(), e in any::<i32>(),
                                    mode in mode_strategy(), ov in policy_strategy()) {
        let mut failure: Option<String> = None;
        let rows = common::rows();
        macro_rules! one {
            ($t:ty, $name:expr) => {
                let row = rows.iter().find(|r| r.name == $name).unwrap();
                let x = near_range(row, bits, e);
                if let Err(m) = check_f64::<$t>(row, x, mode, ov) { failure = Some(m); }
            };
        }
        one!(lowp::F8E4M3FN, "float8_e4m3fn");
        one!(lowp::F8E5M2, "float8_e5m2");
        one!(lowp::F8E4M3FNUZ, "float8_e4m3fnuz");
        one!(lowp::F8E5M2FNUZ, "float8_e5m2fnuz");
        one!(lowp::F8E4M3B11FNUZ, "float8_e4m3b11fnuz");
        one!(lowp::F8E3M4, "float8_e3m4");
        one!(lowp::F8E4M3, "float8_e4m3");
        one!(lowp::F8E8M0FNU, "float8_e8m0fnu");
        one!(lowp::F6E2M3FN, "float6_e2m3fn");
        one!(lowp::F6E3M2FN, "float6_e3m2fn");
        one!(lowp::F4E2M1FN, "float4_e2m1fn");
        one!(lowp::F16, "float16");
        one!(lowp::BF16, "bfloat16");
        prop_assert!(failure.is_none(), "{}", failure.unwrap());
    }

    /// Rounding is monotone (with saturation, so that overflow is not NaN).
    #[test]
    fn monotone(a in any::<u32>(), b in any::<u32>(), mode in mode_strategy()) {
        let (x, y) = (f32::from_bits(a), f32::from_bits(b));
        prop_assume!(!x.is_nan() && !y.is_nan());
        let (x, y) = if x <= y { (x, y) } else { (y, x) };
        macro_rules! mono {
            ($($t:ty),*) => {$(
                let fx = <$t>::from_f32_with(x, mode, Overflow::Saturate).to_f32();
                let fy = <$t>::from_f32_with(y, mode, Overflow::Saturate).to_f32();
                prop_assert!(fx <= fy, "{}: {x} → {fx}, {y} → {fy}", stringify!($t));
            )*};
        }
        mono!(lowp::F8E4M3FN, lowp::F8E5M2, lowp::F8E4M3FNUZ, lowp::F8E3M4, lowp::F6E2M3FN,
              lowp::F4E2M1FN, lowp::TF32);
        let fx = <lowp::F16 as Format>::from_f32_with(x, mode, Overflow::Saturate).to_f32();
        let fy = <lowp::F16 as Format>::from_f32_with(y, mode, Overflow::Saturate).to_f32();
        prop_assert!(fx <= fy);
    }

    /// −x rounds to −(x rounded) in the symmetric modes; the directed modes swap.
    #[test]
    fn sign_symmetry(a in any::<u32>(), ov in policy_strategy()) {
        let x = f32::from_bits(a & 0x7FFF_FFFF);
        prop_assume!(!x.is_nan());
        macro_rules! sym {
            ($($t:ty),*) => {$(
                for mode in [Rounding::NearestEven, Rounding::NearestAway, Rounding::TowardZero,
                             Rounding::Odd] {
                    let p = <$t>::from_f32_with(x, mode, ov);
                    let n = <$t>::from_f32_with(-x, mode, ov);
                    prop_assert_eq!((-p).to_bits(), n.to_bits(), "{} {}", stringify!($t), x);
                }
                let up = <$t>::from_f32_with(x, Rounding::TowardPositive, ov);
                let down = <$t>::from_f32_with(-x, Rounding::TowardNegative, ov);
                prop_assert_eq!((-up).to_bits(), down.to_bits());
            )*};
        }
        sym!(lowp::F8E4M3FN, lowp::F8E5M2, lowp::F8E4M3FNUZ, lowp::F8E5M2FNUZ,
             lowp::F8E4M3B11FNUZ, lowp::F8E3M4, lowp::F8E4M3, lowp::F6E2M3FN, lowp::F6E3M2FN,
             lowp::F4E2M1FN, lowp::TF32);
    }

    /// Saturation never leaves [−max, max] and never makes a NaN out of a number.
    #[test]
    fn saturate_within_max(a in any::<u32>(), mode in mode_strategy()) {
        let x = f32::from_bits(a);
        prop_assume!(!x.is_nan());
        macro_rules! sat {
            ($($t:ty),*) => {$(
                let y = <$t>::from_f32_with(x, mode, Overflow::Saturate);
                prop_assert!(!y.is_nan() && y.to_f32().abs() <= <$t>::MAX.to_f32(),
                    "{} {x}", stringify!($t));
            )*};
        }
        sat!(lowp::F8E4M3FN, lowp::F8E5M2, lowp::F8E4M3FNUZ, lowp::F8E5M2FNUZ,
             lowp::F8E4M3B11FNUZ, lowp::F8E3M4, lowp::F8E4M3, lowp::F6E2M3FN, lowp::F6E3M2FN,
             lowp::F4E2M1FN, lowp::TF32);
    }

    /// The f64 path equals the f32 path on every f32 input, in every mode.
    #[test]
    fn f64_path_equals_f32_path(a in any::<u32>(), mode in mode_strategy(), ov in policy_strategy()) {
        let x = f32::from_bits(a);
        prop_assume!(!x.is_nan());
        macro_rules! same {
            ($($t:ty),*) => {$(
                prop_assert_eq!(<$t as Format>::from_f32_with(x, mode, ov).to_bits_u32(),
                                <$t as Format>::from_f64_with(x as f64, mode, ov).to_bits_u32());
            )*};
        }
        same!(lowp::F8E4M3FN, lowp::F8E5M2, lowp::F8E4M3FNUZ, lowp::F8E8M0FNU, lowp::F6E3M2FN,
              lowp::F4E2M1FN, lowp::TF32, lowp::F16, lowp::BF16);
    }
}
