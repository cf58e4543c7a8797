//! The public signatures that the issues name (outside checks compile against them): each is
//! coerced to its exact function-pointer type here, so a changed signature fails to compile.
#![allow(clippy::type_complexity)] // the point is to spell each signature out in full

use lowp::quant::{self, MxFormat, QParams, QuantInt};
use lowp::{Error, Format, Overflow, Rounding, F8E4M3FN};

#[test]
fn format_trait_and_modes() {
    fn takes<F: Format>() {
        let _: &'static str = F::NAME;
        let _: fn(F) -> f32 = F::to_f32;
        let _: fn(F) -> f64 = F::to_f64;
        let _: fn(f32) -> F = F::from_f32;
        let _: fn(f64) -> F = F::from_f64;
        let _: fn(f32, Rounding, Overflow) -> F = F::from_f32_with;
        let _: fn(f64, Rounding, Overflow) -> F = F::from_f64_with;
        let _: fn(f32, u32, Overflow) -> F = F::from_f32_stochastic;
        let _: fn(f64, u32, Overflow) -> F = F::from_f64_stochastic;
    }
    takes::<F8E4M3FN>();
    takes::<lowp::F16>();
    takes::<lowp::BF16>();
    takes::<f32>();
    for r in [
        Rounding::NearestEven,
        Rounding::NearestAway,
        Rounding::TowardZero,
        Rounding::TowardPositive,
        Rounding::TowardNegative,
        Rounding::Odd,
    ] {
        let _ = (r, Overflow::Ieee, Overflow::Saturate);
    }
}

#[test]
fn batch_signatures() {
    let _: fn(&[f32], &mut [F8E4M3FN]) = lowp::encode::<F8E4M3FN>;
    let _: fn(&[f32], &mut [F8E4M3FN], Rounding, Overflow) = lowp::encode_with::<F8E4M3FN>;
    let _: fn(&[f32], &mut [F8E4M3FN], u64, Overflow) = lowp::encode_stochastic::<F8E4M3FN>;
    let _: fn(&[F8E4M3FN], &mut [f32]) = lowp::decode::<F8E4M3FN>;
}

#[test]
fn quant_signatures() {
    let p = QParams {
        scale: 0.5,
        zero_point: 0,
    };
    let _ = (p, p == p, format!("{p:?}"));
    fn takes<Q: QuantInt>() {}
    takes::<i8>();
    takes::<u8>();
    let _: fn(&[f32], QParams, &mut [i8]) -> Result<(), Error> = quant::quantize::<i8>;
    let _: fn(&[u8], QParams, &mut [f32]) -> Result<(), Error> = quant::dequantize::<u8>;
    let _: fn(&[f32], &[usize], usize, &[QParams], &mut [i8]) -> Result<(), Error> =
        quant::quantize_per_axis::<i8>;
    let _: fn(&[f32], &[usize], usize, usize, &[QParams], &mut [i8]) -> Result<(), Error> =
        quant::quantize_blocked::<i8>;
    let _: fn(&[f32], &mut [u8]) -> Result<QParams, Error> = quant::dynamic_quantize_u8;
    let _: fn(&[f32], f32, &mut [F8E4M3FN]) -> Result<(), Error> =
        quant::quantize_scaled::<F8E4M3FN>;
    let _: fn(&[f32], MxFormat, &mut [f32]) -> Result<(), Error> = quant::mx_fake_quantize;
    for f in [
        MxFormat::E4M3,
        MxFormat::E5M2,
        MxFormat::E2M3,
        MxFormat::E3M2,
        MxFormat::E2M1,
        MxFormat::Int8,
    ] {
        let _ = f;
    }
    let _: lowp::Error = Error::ZeroBlockSize;
}
