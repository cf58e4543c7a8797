//! Every code of every format: decoding is exact, classification is right, and encoding the
//! decoded value gives the code back (for every non-NaN code, in every mode and policy).

mod common;

use common::Value;
use core::num::FpCategory;
use lowp::{Overflow, Rounding};

#[test]
fn every_code_decodes_exactly_classifies_and_round_trips() {
    for_each_format!(|row, F| {
        let mut nans = 0;
        for code in 0..row.codes() {
            let x = F::from_bits_u32(code << row.shift);
            assert_eq!(x.to_bits_u32(), code << row.shift, "{}: storage", row.name);
            let got = x.to_f32();
            let got64 = x.to_f64();
            let class = x.classify_value();
            match row.decode(code) {
                Value::Nan => {
                    nans += 1;
                    assert!(got.is_nan() && got64.is_nan(), "{} {code:#x}", row.name);
                    assert_eq!(class, FpCategory::Nan);
                    // Decoded NaNs are quiet.
                    assert!(got.to_bits() & 0x40_0000 != 0);
                }
                Value::Inf(neg) => {
                    let want = if neg {
                        f32::NEG_INFINITY
                    } else {
                        f32::INFINITY
                    };
                    assert_eq!(got, want, "{} {code:#x}", row.name);
                    assert_eq!(class, FpCategory::Infinite);
                    for mode in Rounding::ALL {
                        assert_eq!(
                            F::from_f32_with(got, mode, Overflow::Ieee).to_bits_u32(),
                            code << row.shift
                        );
                    }
                }
                Value::Finite(v) => {
                    assert_eq!(got as f64, v, "{} {code:#x}: decode", row.name);
                    assert_eq!(got64, v, "{} {code:#x}: decode f64", row.name);
                    assert_eq!(got.is_sign_negative(), code & row.sign_bit() != 0);
                    let want_class = if v == 0.0 {
                        FpCategory::Zero
                    } else if v.abs() < row.min_normal {
                        FpCategory::Subnormal
                    } else {
                        FpCategory::Normal
                    };
                    assert_eq!(class, want_class, "{} {code:#x}: class", row.name);
                    for mode in Rounding::ALL {
                        for ov in [Overflow::Ieee, Overflow::Saturate] {
                            let a = F::from_f32_with(got, mode, ov).to_bits_u32();
                            let b = F::from_f64_with(got64, mode, ov).to_bits_u32();
                            assert_eq!(a, code << row.shift, "{} {code:#x} {mode:?}", row.name);
                            assert_eq!(b, code << row.shift, "{} {code:#x} {mode:?}", row.name);
                        }
                    }
                }
            }
            // The Spec agrees with the table on NaN and infinity codes.
            assert_eq!(
                F::SPEC.is_nan_code(code),
                row.is_nan(code),
                "{} {code:#x}",
                row.name
            );
            assert_eq!(F::SPEC.is_infinite_code(code), row.is_inf(code));
        }
        let ladder = row.ladder();
        let n = ladder.len();
        assert_eq!(F::NAME, row.name);
        assert_eq!(ladder[n - 1].0, row.max, "{}: max", row.name);
        let positive: Vec<f64> = ladder.iter().map(|p| p.0).filter(|&v| v > 0.0).collect();
        match row.min_subnormal {
            Some(s) => assert_eq!(positive[0], s, "{}: min subnormal", row.name),
            None => assert_eq!(positive[0], row.min_normal),
        }
        // Spec-derived limits agree with the table.
        assert_eq!(
            F::from_bits_u32(F::SPEC.max_code() << row.shift).to_f64(),
            row.max
        );
        let expected_nans = match row.nans {
            common::Nans::None => 0,
            common::Nans::Codes(l) => l.iter().map(|&(a, b)| b - a + 1).sum(),
            common::Nans::Ieee => 2 * ((1 << row.m) - 1),
        };
        assert_eq!(nans, expected_nans, "{}: NaN count", row.name);
    });
}

/// The constants of every own format type, against the table.
#[test]
fn constants_match_the_table() {
    use lowp::*;
    macro_rules! limits {
        ($t:ty, $max:expr, $minpos:expr, $sub:expr, $eps:expr) => {
            assert_eq!(<$t>::MAX.to_f64(), $max, stringify!($t));
            assert_eq!(<$t>::MIN_POSITIVE.to_f64(), $minpos, stringify!($t));
            assert_eq!(<$t>::MIN_POSITIVE_SUBNORMAL.to_f64(), $sub, stringify!($t));
            assert_eq!(<$t>::MIN.to_f64(), -$max, stringify!($t));
            assert_eq!(<$t>::EPSILON.to_f64(), $eps, stringify!($t));
            assert_eq!(<$t>::ONE.to_f64(), 1.0);
            assert_eq!(<$t>::ZERO.to_f64(), 0.0);
            // EPSILON is the gap above one.
            let next = <$t>::from_bits(<$t>::ONE.to_bits() + 1).to_f64();
            assert_eq!(next - 1.0, $eps);
        };
    }
    let p2 = |k: i32| 2f64.powi(k);
    limits!(F8E4M3FN, 448.0, p2(-6), p2(-9), 0.125);
    limits!(F8E5M2, 57344.0, p2(-14), p2(-16), 0.25);
    limits!(F8E4M3FNUZ, 240.0, p2(-7), p2(-10), 0.125);
    limits!(F8E5M2FNUZ, 57344.0, p2(-15), p2(-17), 0.25);
    limits!(F8E4M3B11FNUZ, 30.0, p2(-10), p2(-13), 0.125);
    limits!(F8E3M4, 15.5, 0.25, p2(-6), 0.0625);
    limits!(F8E4M3, 240.0, p2(-6), p2(-9), 0.125);
    limits!(F6E2M3FN, 7.5, 1.0, 0.125, 0.125);
    limits!(F6E3M2FN, 28.0, 0.25, 0.0625, 0.25);
    limits!(F4E2M1FN, 6.0, 1.0, 0.5, 0.5);
    assert_eq!(TF32::MAX.to_f64(), (2.0 - p2(-10)) * p2(127));
    assert_eq!(TF32::MIN_POSITIVE_SUBNORMAL.to_f64(), p2(-136));
    assert_eq!(TF32::EPSILON.to_f64(), p2(-10));
    assert_eq!(F8E8M0FNU::MAX.to_f64(), p2(127));
    assert_eq!(F8E8M0FNU::MIN.to_f64(), p2(-127));
    assert_eq!(F8E8M0FNU::MIN_POSITIVE.to_f64(), p2(-127));
    assert_eq!(F8E8M0FNU::EPSILON.to_f64(), 1.0);
    assert_eq!(F8E8M0FNU::ONE.to_bits(), 0x7F);

    // Infinity and NaN only where they exist, with the right codes.
    assert_eq!(F8E5M2::INFINITY.to_bits(), 0x7C);
    assert_eq!(F8E5M2::NEG_INFINITY.to_bits(), 0xFC);
    assert_eq!(F8E4M3::INFINITY.to_bits(), 0x78);
    assert_eq!(F8E3M4::INFINITY.to_bits(), 0x70);
    assert_eq!(TF32::INFINITY.to_f32(), f32::INFINITY);
    assert_eq!(F8E4M3FN::NAN.to_bits(), 0x7F);
    assert_eq!(F8E5M2::NAN.to_bits(), 0x7E);
    assert_eq!(F8E4M3::NAN.to_bits(), 0x7C);
    assert_eq!(F8E3M4::NAN.to_bits(), 0x78);
    assert_eq!(F8E4M3FNUZ::NAN.to_bits(), 0x80);
    assert_eq!(F8E5M2FNUZ::NAN.to_bits(), 0x80);
    assert_eq!(F8E4M3B11FNUZ::NAN.to_bits(), 0x80);
    assert_eq!(F8E8M0FNU::NAN.to_bits(), 0xFF);
    assert_eq!(F8E4M3FN::NEG_ZERO.to_bits(), 0x80);
    assert_eq!(F4E2M1FN::NEG_ZERO.to_bits(), 0x8);
    assert_eq!(F6E2M3FN::NEG_ZERO.to_bits(), 0x20);
    // E4M3FN has no infinity: its largest code is NaN, not a finite "infinity" of 480.
    assert!(F8E4M3FN::from_bits(0x7F).is_nan());
    assert!(!F8E4M3FN::from_bits(0x7F).is_infinite());
    assert!(F8E4M3FN::MAX.is_finite());
}

/// The formats table against this test's own oracle (`tests/common`), through the public API
/// only: every `FORMATS` entry but float32 has an oracle row and a type in `for_each_format!`
/// whose `SPEC` is that entry; the row's columns agree with the `Spec`; the packed types are
/// exactly the ones narrower than a byte, packed at their width; and every MX element row is a
/// `FORMATS` entry of the width the MX functions pack.
#[test]
fn formats_table_agrees_with_the_oracle_types_packing_and_mx() {
    use lowp::packing::{packed_len, Packable};
    use lowp::quant::{mx_element_bytes, MxFormat};
    use lowp::{Spec, FORMATS};
    use std::collections::HashMap;

    for_each_format!(|row, F| {
        let spec = F::SPEC;
        let entry = FORMATS
            .iter()
            .find(|s| s.name == row.name)
            .expect("in FORMATS");
        assert_eq!(
            spec, *entry,
            "{}: the type's SPEC is its FORMATS entry",
            row.name
        );
        assert_eq!(F::NAME, row.name);
        assert_eq!(
            (spec.bits, spec.exponent_bits, spec.mantissa_bits, spec.bias),
            (row.bits, row.e, row.m, row.bias),
            "{}: columns",
            row.name
        );
        assert_eq!(
            (spec.infinity, spec.signed),
            (row.inf, row.signed),
            "{}",
            row.name
        );
        assert_eq!(spec.storage_shift, row.shift, "{}: storage shift", row.name);
    });
    // Which names for_each_format! covers (a separate pass: its body is a fn item).
    for_each_format!(|row, F| {
        let _ = F::NAME;
        NAMES.with(|n| n.borrow_mut().push(row.name));
    });
    let seen: HashMap<&str, ()> = NAMES.with(|n| n.borrow().iter().map(|&s| (s, ())).collect());
    for spec in FORMATS.iter().filter(|s| s.name != "float32") {
        assert!(
            seen.contains_key(spec.name),
            "{}: not in for_each_format!",
            spec.name
        );
    }
    assert_eq!(
        seen.len() + 1,
        FORMATS.len(),
        "float32 and one type per other row"
    );

    // Packing: the packed types are the sub-byte rows, at their width.
    fn width<F: Packable>() -> (&'static str, u32, usize) {
        (F::NAME, F::WIDTH, packed_len::<F>(8))
    }
    let packed = [
        width::<lowp::F4E2M1FN>(),
        width::<lowp::F6E2M3FN>(),
        width::<lowp::F6E3M2FN>(),
    ];
    let narrow: Vec<&Spec> = FORMATS.iter().filter(|s| s.bits < 8).collect();
    assert_eq!(narrow.len(), packed.len());
    for (name, w, bytes8) in packed {
        let spec = FORMATS.iter().find(|s| s.name == name).unwrap();
        assert_eq!((w, bytes8), (spec.bits, spec.bits as usize), "{name}");
    }

    // MX: every element row is a FORMATS entry; the widths agree with the packing.
    for f in MxFormat::ALL {
        match f.element_spec() {
            None => assert_eq!(f, MxFormat::Int8),
            Some(spec) => {
                assert!(FORMATS.contains(&spec), "{}: element row", f.name());
                assert_eq!(f.element_bits(), spec.bits);
                assert_eq!(
                    mx_element_bytes(f, 32),
                    4 * spec.bits as usize,
                    "{}",
                    f.name()
                );
                assert_eq!(f.emax(), spec.max_exponent(), "{}", f.name());
            }
        }
    }
}

thread_local! {
    static NAMES: std::cell::RefCell<Vec<&'static str>> = const { std::cell::RefCell::new(Vec::new()) };
}
