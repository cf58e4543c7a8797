//! The `Vec` helpers (`encode_vec`, `decode_vec`, `encode_packed_vec`, `decode_packed_vec`).
//! Invariants: no panic; each gives the bits of the slice API it wraps; `decode_packed_vec`
//! accepts exactly the element counts that fit the bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;
use common::{bits, fbits, R};
use lowp::packing::{packed_len, Packable};
use lowp::{decode_packed_vec, decode_vec, encode_packed_vec, encode_vec};
use lowp::{Format, F4E2M1FN, F6E2M3FN, F6E3M2FN};

fn packed<F: Packable>(r: &mut R, x: &[f32]) {
    let p = encode_packed_vec::<F>(x);
    let mut want = vec![0u8; packed_len::<F>(x.len())];
    lowp::encode_packed_with::<F>(
        x,
        &mut want,
        lowp::Rounding::NearestEven,
        lowp::Overflow::Ieee,
    );
    assert_eq!(p, want);
    let n = if r.bool() { x.len() } else { r.size() };
    let bytes: Vec<u8> = if r.bool() {
        p.clone()
    } else {
        (0..r.upto(40)).map(|_| r.u8()).collect()
    };
    match decode_packed_vec::<F>(&bytes, n) {
        Ok(v) => {
            assert_eq!(v.len(), n);
            assert_eq!(packed_len::<F>(n), bytes.len());
            let mut w = vec![0f32; n];
            lowp::decode_packed::<F>(&bytes, &mut w);
            assert_eq!(fbits(&v), fbits(&w));
        }
        Err(_) => assert!(n
            .checked_mul(F::WIDTH as usize)
            .map_or(true, |b| b.div_ceil(8) != bytes.len())),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut r = R(data);
    let n = r.upto(80);
    let x = r.f32s(n);
    let f = r.u8();
    crate::with_format!(f, F => {
        let e = encode_vec::<F>(&x);
        let want: Vec<u32> = x.iter().map(|&v| F::from_f32(v).to_bits_u32()).collect();
        assert_eq!(bits(&e), want);
        let d = decode_vec(&e);
        let want: Vec<u32> = e.iter().map(|c| c.to_f32().to_bits()).collect();
        assert_eq!(fbits(&d), want);
    });
    match r.u8() % 3 {
        0 => packed::<F4E2M1FN>(&mut r, &x),
        1 => packed::<F6E2M3FN>(&mut r, &x),
        _ => packed::<F6E3M2FN>(&mut r, &x),
    }
});
