//! Allocating forms of the batch conversions: encode into a new `Vec`, decode into a new
//! `Vec`, for one value a byte and for the packed FP4/FP6 layouts. Each calls the slice
//! function of the same name (so the same kernels, the same bits) on a buffer of the right
//! length, which it allocates (zero-filled first: filling it without that would take `unsafe`,
//! which lowp keeps to its x86 kernels).
//!
//! Always available, `std` or not: lowp links `alloc` in every build (its quantizers
//! allocate).

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

use crate::packing::{packed_len, Packable};
use crate::{Error, Format};

/// [`encode`](crate::encode) into a new `Vec`: nearest even with
/// [`Overflow::Ieee`](crate::Overflow::Ieee), element for element the bits of
/// [`Format::from_f32`].
///
/// ```
/// use lowp::F8E4M3FN;
/// let q: Vec<F8E4M3FN> = lowp::encode_vec(&[0.1, 464.0, 465.0]);
/// assert_eq!(q.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), [0x1d, 0x7e, 0x7f]);
/// ```
pub fn encode_vec<F: Format>(src: &[f32]) -> Vec<F> {
    let mut dst = vec![F::from_bits_u32(0); src.len()];
    crate::encode(src, &mut dst);
    dst
}

/// [`decode`](fn@crate::decode) into a new `Vec`, exactly.
///
/// ```
/// use lowp::F8E5M2;
/// let x = lowp::decode_vec(&[F8E5M2::from_bits(0x3c), F8E5M2::from_bits(0x7c)]);
/// assert_eq!(x, [1.0, f32::INFINITY]);
/// ```
pub fn decode_vec<F: Format>(src: &[F]) -> Vec<f32> {
    let mut dst = vec![0.0f32; src.len()];
    crate::decode(src, &mut dst);
    dst
}

/// [`encode_packed`](crate::encode_packed) into a new `Vec` of
/// [`packed_len`]`::<F>(src.len())` bytes (FP4 two a byte, element 0 in the low nibble; FP6
/// four in three bytes; unused high bits of the last byte zero).
///
/// ```
/// use lowp::F4E2M1FN;
/// assert_eq!(lowp::encode_packed_vec::<F4E2M1FN>(&[1.0, -6.0, 100.0]), [0xF2, 0x07]);
/// ```
pub fn encode_packed_vec<F: Packable>(src: &[f32]) -> Vec<u8> {
    let mut dst = vec![0u8; packed_len::<F>(src.len())];
    crate::encode_packed::<F>(src, &mut dst);
    dst
}

/// [`decode_packed`](crate::decode_packed) of `n` elements into a new `Vec` (`n` is needed:
/// one packed length serves more than one element count). Error: `src.len()` is not
/// [`packed_len`]`::<F>(n)` ([`Error::LengthMismatch`]).
///
/// ```
/// use lowp::F4E2M1FN;
/// assert_eq!(lowp::decode_packed_vec::<F4E2M1FN>(&[0xF2, 0x07], 3)?, [1.0, -6.0, 6.0]);
/// assert!(lowp::decode_packed_vec::<F4E2M1FN>(&[0xF2, 0x07], 5).is_err());
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn decode_packed_vec<F: Packable>(src: &[u8], n: usize) -> Result<Vec<f32>, Error> {
    // n beyond what any slice could pack is a mismatch too (and must not overflow).
    let expected = match n.checked_mul(F::WIDTH as usize) {
        Some(_) => packed_len::<F>(n),
        None => usize::MAX,
    };
    if src.len() != expected {
        return Err(Error::LengthMismatch {
            expected,
            found: src.len(),
        });
    }
    let mut dst = vec![0.0f32; n];
    crate::decode_packed::<F>(src, &mut dst);
    Ok(dst)
}
