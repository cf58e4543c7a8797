//! `p3109`: `convert_f64` / `convert_f32` (every mode and saturation, stochastic with every
//! variant and bit count) and the operations, on several family members. Invariants: no
//! panic; the f32 and f64 conversions of an f32 agree; `SatFinite` never gives ±∞; a NaN
//! input gives NaN; `Stochastic::new` accepts exactly the documented bit counts; the
//! operations' results are codes of the result format.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;
use common::R;
use lowp::p3109::{self as p, P3109Format, Projection, Saturation, Stochastic, StochasticVariant};

fn sat(r: &mut R) -> Saturation {
    [
        Saturation::SatFinite,
        Saturation::SatPropagate,
        Saturation::SatNone,
    ][r.u8() as usize % 3]
}

fn conv<F: P3109Format>(r: &mut R) -> F {
    let x = r.f32();
    let mode = r.rounding();
    let s = sat(r);
    let a: F = p::convert_f32(x, mode, s);
    let b: F = p::convert_f64(x as f64, mode, s);
    assert_eq!(a.to_bits_u32(), b.to_bits_u32(), "{x:e} {mode:?} {s:?}");
    if x.is_nan() {
        assert!(a.to_f64().is_nan());
    }
    if s == Saturation::SatFinite {
        assert!(!a.to_f64().is_infinite(), "{x:e} {mode:?}");
    }
    let _: F = p::convert_f64(r.f64(), mode, s);
    let variant = [
        StochasticVariant::A,
        StochasticVariant::B,
        StochasticVariant::C,
    ][r.u8() as usize % 3];
    let bits = r.u8() as u32 % 40;
    if let Ok(st) = Stochastic::new(variant, bits, r.u32()) {
        let c: F = p::convert_f32_stochastic(x, st, s);
        let d: F = p::convert_f64_stochastic(x as f64, st, s);
        assert_eq!(c.to_bits_u32(), d.to_bits_u32());
    }
    a
}

fn ops<X: P3109Format, Y: P3109Format, R_: P3109Format>(r: &mut R) {
    let x: X = conv(r);
    let y: Y = conv(r);
    let z: X = conv(r);
    let pr = Projection::new(r.rounding(), sat(r));
    let check = |v: R_| assert!(v.to_bits_u32() < 1 << R_::K);
    check(p::add(x, y, pr));
    check(p::subtract(x, y, pr));
    check(p::multiply(x, y, pr));
    check(p::fma(x, y, z, pr));
    check(p::fused_add_add(x, y, z, pr));
    check(p::minimum(x, y, pr));
    check(p::maximum(x, y, pr));
    check(p::minimum_number(x, y, pr));
    check(p::maximum_number(x, y, pr));
    let _ = p::compare(x, y);
    let _ = p::total_order(x, y);
    let _ = p::class(x);
    let s: X = conv(r);
    check(p::scaled_add(s, x, s, z, pr));
    check(p::scaled_multiply(s, x, s, y, pr));
    check(p::scaled_dot(s, x, s, y, pr));
    check(p::scaled_fma(s, x, s, z, s, x, pr));
    let n = r.upto(12);
    let xs: Vec<X> = (0..n).map(|_| conv(r)).collect();
    let m = if r.bool() { n } else { r.upto(12) };
    let ys: Vec<Y> = (0..m).map(|_| conv(r)).collect();
    match p::block_dot::<X, X, Y, R_>(s, &xs, s, &ys, pr) {
        Ok(v) => {
            assert_eq!(n, m);
            check(v)
        }
        Err(_) => assert_ne!(n, m),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut r = R(data);
    match r.u8() % 5 {
        0 => ops::<p::Binary8p3se, p::Binary8p4sf, p::Binary8p3se>(&mut r),
        1 => ops::<p::Binary8p1ue, p::Binary8p7uf, p::Binary8p5se>(&mut r),
        2 => ops::<p::Binary4p2sf, p::Binary3p1ue, p::Binary6p3se>(&mut r),
        3 => ops::<p::Binary8p4se, p::Binary8p4se, p::Binary3p2uf>(&mut r),
        _ => ops::<p::Binary5p4sf, p::Binary8p8uf, p::Binary4p4ue>(&mut r),
    }
});
