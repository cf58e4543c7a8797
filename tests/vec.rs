//! The allocating helpers give the slice functions' bits.

use lowp::packing::packed_len;
use lowp::*;

fn inputs() -> Vec<f32> {
    let mut s: u32 = 7;
    let mut v: Vec<f32> = vec![
        0.0,
        -0.0,
        1.0,
        0.1,
        464.0,
        465.0,
        1e30,
        -1e-30,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
    ];
    for _ in 0..1000 {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        v.push(f32::from_bits(s));
    }
    v
}

macro_rules! same_as_slices {
    ($($t:ident),*) => {$(
        let x = inputs();
        let v: Vec<$t> = encode_vec(&x);
        let mut s = vec![<$t as Format>::from_bits_u32(0); x.len()];
        encode(&x, &mut s);
        assert_eq!(v.len(), x.len());
        for (i, (a, b)) in v.iter().zip(&s).enumerate() {
            assert_eq!(a.to_bits_u32(), b.to_bits_u32(), "{} {i}", stringify!($t));
            assert_eq!(a.to_bits_u32(), <$t as Format>::from_f32(x[i]).to_bits_u32());
        }
        let d = decode_vec(&v);
        let mut ds = vec![0.0f32; v.len()];
        decode(&s, &mut ds);
        assert_eq!(d.iter().map(|f| f.to_bits()).collect::<Vec<_>>(),
                   ds.iter().map(|f| f.to_bits()).collect::<Vec<_>>());
        assert!(encode_vec::<$t>(&[]).is_empty() && decode_vec::<$t>(&[]).is_empty());
    )*};
}

#[test]
fn encode_and_decode_vec_give_the_slice_bits() {
    same_as_slices!(
        F16,
        BF16,
        TF32,
        F8E4M3FN,
        F8E5M2,
        F8E4M3FNUZ,
        F8E5M2FNUZ,
        F8E4M3B11FNUZ,
        F8E3M4,
        F8E4M3,
        F8E8M0FNU,
        F6E2M3FN,
        F6E3M2FN,
        F4E2M1FN
    );
    let q: Vec<F8E4M3FN> = encode_vec(&[0.1, 464.0, 465.0]);
    assert_eq!(
        q.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        [0x1d, 0x7e, 0x7f]
    );
}

macro_rules! packed_same_as_slices {
    ($($t:ident),*) => {$(
        let x = inputs();
        for n in [0, 1, 2, 3, 4, 5, 7, 8, 9, x.len()] {
            let x = &x[..n];
            let p = encode_packed_vec::<$t>(x);
            let mut ps = vec![0u8; packed_len::<$t>(n)];
            encode_packed::<$t>(x, &mut ps);
            assert_eq!(p, ps, "{} {n}", stringify!($t));
            let d = decode_packed_vec::<$t>(&p, n).unwrap();
            let mut ds = vec![0.0f32; n];
            decode_packed::<$t>(&ps, &mut ds);
            assert_eq!(d.iter().map(|f| f.to_bits()).collect::<Vec<_>>(),
                       ds.iter().map(|f| f.to_bits()).collect::<Vec<_>>());
            // The wrong count is an error, not a panic.
            assert_eq!(
                decode_packed_vec::<$t>(&p, n + 8),
                Err(Error::LengthMismatch { expected: packed_len::<$t>(n + 8), found: p.len() })
            );
        }
        assert!(decode_packed_vec::<$t>(&[0], usize::MAX).is_err());
    )*};
}

#[test]
fn packed_vec_gives_the_slice_bits() {
    packed_same_as_slices!(F4E2M1FN, F6E2M3FN, F6E3M2FN);
    assert_eq!(
        encode_packed_vec::<F4E2M1FN>(&[1.0, -6.0, 100.0]),
        [0xF2, 0x07]
    );
    assert_eq!(
        encode_packed_vec::<F6E3M2FN>(&[0.0625, 0.125]),
        [0x81, 0x00]
    );
}
