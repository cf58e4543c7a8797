//! `num_traits::Float` on every signed format type, with and without `std` (CI runs this file
//! with `--no-default-features` too, where the functions come from `libm`): computed in `f32`,
//! rounded once to nearest even.

use lowp::{F4E2M1FN, F6E2M3FN, F6E3M2FN, F8E3M4, F8E4M3, F8E4M3B11FNUZ, F8E4M3FN, F8E4M3FNUZ};
use lowp::{F8E5M2, F8E5M2FNUZ, TF32};
use num_traits::Float;

macro_rules! check {
    ($($t:ident),*) => {$(
        {
            let two = <$t>::from_f32(2.0);
            // Every result is the f32 function's value rounded once.
            let r = |v: f32| <$t>::from_f32(v).to_bits();
            assert_eq!(Float::sqrt(two).to_bits(), r(2f32.sqrt()), stringify!($t));
            assert_eq!(Float::ln(two).to_bits(), r(2f32.ln()), stringify!($t));
            assert_eq!(Float::log10(two).to_bits(), r(2f32.log10()), stringify!($t));
            assert_eq!(Float::exp(two).to_bits(), r(2f32.exp()), stringify!($t));
            assert_eq!(Float::sin(two).to_bits(), r(2f32.sin()), stringify!($t));
            assert_eq!(Float::powf(two, two).to_bits(), r(4.0), stringify!($t));
            assert_eq!(Float::powi(two, 2).to_bits(), r(4.0), stringify!($t));
            assert_eq!(Float::floor(<$t>::from_f32(-1.5)).to_bits(), r(-2.0), stringify!($t));
            assert_eq!(Float::abs(<$t>::from_f32(-1.5)).to_bits(), r(1.5), stringify!($t));
            assert!(Float::is_finite(two));
        }
    )*};
}

#[test]
fn float_functions_round_once() {
    check!(
        F8E4M3FN,
        F8E5M2,
        F8E4M3FNUZ,
        F8E5M2FNUZ,
        F8E4M3B11FNUZ,
        F8E3M4,
        F8E4M3,
        F6E2M3FN,
        F6E3M2FN,
        F4E2M1FN,
        TF32
    );
    // Bits asserted: √2 = 1.41421… → 1.375 in E4M3FN (0x3B), 1.5 in FP4 (0x3).
    assert_eq!(Float::sqrt(F8E4M3FN::from_f32(2.0)).to_bits(), 0x3B);
    assert_eq!(Float::sqrt(F4E2M1FN::from_f32(2.0)).to_bits(), 0x3);
    // log10(2) = 0.30103 → 0.3125 in E4M3FN (0x2A).
    assert_eq!(Float::log10(F8E4M3FN::from_f32(2.0)).to_bits(), 0x2A);
    // TF32: √2 to 10 fraction bits, 1.4140625 (0x3FB5_0000).
    assert_eq!(Float::sqrt(TF32::from_f32(2.0)).to_bits(), 0x3FB5_0000);
}
