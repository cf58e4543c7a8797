//! The scalar conversions: the free functions equal the trait methods, the checked forms
//! (`try_round`, `try_from_f32`, batch `try_encode`) agree, every code round-trips, and
//! rounding is monotone.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;
use common::R;
use lowp::{Format, Overflow, Rounding};

fn one<F: Format>(r: &mut R, fi: usize) {
    let x = r.f32();
    let d = r.f64();
    let rounding = r.rounding();
    let ov = r.overflow();
    let w = r.u32();
    let b = |v: F| v.to_bits_u32();
    assert_eq!(b(lowp::round::<F>(x)), b(F::from_f32(x)));
    assert_eq!(b(lowp::round::<F>(d)), b(F::from_f64(d)));
    assert_eq!(
        b(lowp::round_with::<F>(x, rounding, ov)),
        b(F::from_f32_with(x, rounding, ov))
    );
    assert_eq!(
        b(lowp::round_with::<F>(d, rounding, ov)),
        b(F::from_f64_with(d, rounding, ov))
    );
    assert_eq!(
        b(lowp::round_stochastic::<F>(x, w, ov)),
        b(F::from_f32_stochastic(x, w, ov))
    );
    assert_eq!(
        b(lowp::round_stochastic::<F>(d, w, ov)),
        b(F::from_f64_stochastic(d, w, ov))
    );
    // An f32 widened to f64 rounds to the same bits. Excepted, for the target f32 itself (whose
    // `from_f32_with` is the identity, on every kernel level too): NaN payloads, which
    // `from_f64_with` quiets. (±∞ under `Overflow::Saturate` was excepted too, until the f32
    // identity learned to saturate: `saturate_into_f32_gives_max_for_infinities` in
    // tests/traps.rs.)
    let f32_identity = fi == 0 && x.is_nan();
    if !f32_identity {
        assert_eq!(
            b(F::from_f64_with(x as f64, rounding, ov)),
            b(F::from_f32_with(x, rounding, ov)),
            "{x:e} {rounding:?} {ov:?}"
        );
    }
    // Checked: Ok is the nearest-even result; the batch form agrees with the scalar one.
    match lowp::try_round::<F>(x) {
        Ok(v) => assert_eq!(b(v), b(F::from_f32(x))),
        Err(e) => {
            let _ = e.to_string();
        }
    }
    let mut q = [F::from_bits_u32(0); 1];
    assert_eq!(
        lowp::try_encode(&[x], &mut q),
        lowp::try_round::<F>(x).map(|_| ())
    );
    if let Ok(v) = lowp::try_round::<F>(d) {
        assert_eq!(b(v), b(F::from_f64(d)));
    }
    // Every code decodes exactly and encodes back (NaN codes to a NaN).
    let c = F::from_bits_u32(r.u32());
    let v = c.to_f32();
    let back = lowp::round::<F>(v);
    if v.is_nan() {
        assert!(back.to_f32().is_nan());
    } else {
        assert_eq!(back.to_f32().to_bits(), v.to_bits(), "{v:e}");
        assert_eq!(lowp::round::<F>(v as f64).to_f32().to_bits(), v.to_bits());
    }
    // Monotone (saturating, so that overflow gives no NaN).
    let y = r.f32();
    if !x.is_nan() && !y.is_nan() {
        let (lo, hi) = if x <= y { (x, y) } else { (y, x) };
        let a = F::from_f32_with(lo, rounding, Overflow::Saturate).to_f32();
        let c = F::from_f32_with(hi, rounding, Overflow::Saturate).to_f32();
        if !a.is_nan() && !c.is_nan() {
            assert!(a <= c, "{lo:e} → {a:e} but {hi:e} → {c:e} ({rounding:?})");
        }
    }
    let _ = Rounding::NearestEven;
}

fuzz_target!(|data: &[u8]| {
    let mut r = R(data);
    let fi = r.u8() as usize % 15;
    crate::with_format!(fi, F => { one::<F>(&mut r, fi) });
});
