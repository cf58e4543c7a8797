//! Where the peer crates differ from the references and lowp does not: the facts that the
//! README's comparison quotes. The peers' versions are pinned by Cargo.lock; if a peer changes
//! (or fixes) a behaviour, this test fails and the README must be updated with it.

use lowp::{Format, F16, F8E4M3FN};

/// `half` converts f64 → f16 through f32, which double-rounds: 1 + 2^-11 + 2^-40 lies above the
/// midpoint between 1 and 1 + 2^-10, but rounds to the midpoint in f32 and then to even (1.0).
#[test]
fn half_double_rounds_f64() {
    let x = 1.0 + 2f64.powi(-11) + 2f64.powi(-40);
    assert_eq!(half::f16::from_f64(x).to_bits(), 0x3C00);
    assert_eq!(<F16 as Format>::from_f64(x).to_bits(), 0x3C01);
}

/// `float8`'s E4M3 constants: MAX = 416 (the real max is 448) and a finite "INFINITY" (448; the
/// format has no infinity); and an overflow of 465 saturates, where ml_dtypes, PyTorch and ONNX
/// (saturate=0) give NaN.
#[test]
fn float8_limits_and_overflow() {
    assert_eq!(float8::F8E4M3::MAX.to_f32(), 416.0);
    assert_eq!(float8::F8E4M3::INFINITY.to_f32(), 448.0);
    assert_eq!(float8::F8E4M3::from_f32(465.0).to_bits(), 0x7E);
    assert_eq!(F8E4M3FN::MAX.to_f32(), 448.0);
    assert!(F8E4M3FN::from_f32(465.0).is_nan());
}
