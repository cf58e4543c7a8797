//! The packers: FP4/FP6 `pack`/`unpack` and the packed batch conversions on every level, and the
//! 4-bit integer packers. Invariants: round trips; `try_` forms reject exactly the wrong lengths
//! and then write nothing; packed encode = pack ∘ encode; packed decode = decode ∘ unpack.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;
use common::{bits, fbits, R};
use lowp::packing::{self, Packable};
use lowp::{Level, F4E2M1FN, F6E2M3FN, F6E3M2FN};

fn run<F: Packable>(r: &mut R) {
    let n = r.upto(90);
    let codes: Vec<F> = (0..n).map(|_| F::from_bits_u32(r.u8() as u32)).collect();
    let need = packing::packed_len::<F>(n);
    assert_eq!(need, (n * F::WIDTH as usize).div_ceil(8));
    let len = if r.u8() < 16 { r.upto(80) } else { need };
    let mut b = vec![0xC3u8; len];
    match packing::try_pack(&codes, &mut b) {
        Err(_) => {
            assert_ne!(len, need);
            assert!(b.iter().all(|&v| v == 0xC3));
        }
        Ok(()) => {
            let mut u = vec![F::from_bits_u32(0); n];
            packing::try_unpack(&b, &mut u).unwrap();
            assert_eq!(bits(&u), bits(&codes));
        }
    }
    let raw: Vec<u8> = (0..len).map(|_| r.u8()).collect();
    let mut u = vec![F::from_bits_u32(9); n];
    if packing::try_unpack(&raw, &mut u).is_ok() {
        let mut again = vec![0u8; len];
        packing::pack(&u, &mut again);
        // Every bit except the unused high bits of the last byte comes back.
        let used = n * F::WIDTH as usize;
        for bit in 0..used {
            assert_eq!(
                (raw[bit / 8] >> (bit % 8)) & 1,
                (again[bit / 8] >> (bit % 8)) & 1
            );
        }
    } else {
        assert!(u.iter().all(|v| v.to_bits_u32() == 9));
    }

    // Packed batch conversions against pack ∘ encode and decode ∘ unpack, on every level.
    let x = r.f32s(n);
    let rounding = r.rounding();
    let ov = r.overflow();
    let mut q = vec![F::from_bits_u32(0); n];
    lowp::encode_with(&x, &mut q, rounding, ov);
    let mut want = vec![0u8; need];
    packing::pack(&q, &mut want);
    let mut dec = vec![0f32; n];
    lowp::decode(&q, &mut dec);
    for level in Level::available() {
        let mut p = vec![0u8; need];
        level.encode_packed_with::<F>(&x, &mut p, rounding, ov);
        assert_eq!(p, want, "{level:?}");
        let mut y = vec![0f32; n];
        level.decode_packed::<F>(&p, &mut y);
        assert_eq!(fbits(&y), fbits(&dec), "{level:?}");
    }
    let mut p = vec![0x11u8; len];
    match lowp::try_encode_packed_with::<F>(&x, &mut p, rounding, ov) {
        Ok(()) => assert_eq!(p, want),
        Err(_) => assert!(p.iter().all(|&v| v == 0x11)),
    }
    let mut y = vec![4f32; n];
    match lowp::try_decode_packed::<F>(&raw, &mut y) {
        Ok(()) => {
            let mut d = vec![0f32; n];
            lowp::decode(&u, &mut d);
            assert_eq!(fbits(&y), fbits(&d));
        }
        Err(_) => assert!(y.iter().all(|&v| v == 4.0)),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut r = R(data);
    match r.u8() % 3 {
        0 => run::<F4E2M1FN>(&mut r),
        1 => run::<F6E2M3FN>(&mut r),
        _ => run::<F6E3M2FN>(&mut r),
    }
});
