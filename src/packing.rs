//! Packed storage of the sub-byte formats: FP4 two per byte (element 0 in the low nibble), FP6
//! four per three bytes (element 0 in the lowest bits, little-endian), as the OCP MX
//! specification and ml_dtypes lay them out.

/// A format that is stored packed: FP4 (4 bits) or FP6 (6 bits). The impls come from the
/// formats table (a row marked `packed`, see [`crate::formats`]), with the row's width.
pub trait Packable: crate::Format {
    /// Bits per element.
    const WIDTH: u32;
}

/// Bytes that `n` packed elements of `F` take: ⌈n·width / 8⌉, computed without overflow for
/// every `n` (the result is at most `n`).
///
/// ```
/// use lowp::{packing::packed_len, F4E2M1FN, F6E2M3FN};
/// assert_eq!(packed_len::<F6E2M3FN>(5), 4);
/// assert_eq!(packed_len::<F4E2M1FN>(usize::MAX), usize::MAX / 2 + 1);
/// ```
pub const fn packed_len<F: Packable>(n: usize) -> usize {
    bits_to_bytes(n, F::WIDTH)
}

/// ⌈n·width / 8⌉ for a width of at most 8 bits, without forming n·width (which overflows for
/// large n): with n = 8q + r it is q·width + ⌈r·width / 8⌉, and q·width ≤ n.
pub(crate) const fn bits_to_bytes(n: usize, width: u32) -> usize {
    let w = width as usize;
    (n / 8) * w + ((n % 8) * w).div_ceil(8)
}

/// Pack `src` into `dst`, which must be exactly [`packed_len`]`(src.len())` bytes. Unused high
/// bits of the last byte are zero.
///
/// # Panics
/// If `dst.len() != packed_len::<F>(src.len())`.
pub fn pack<F: Packable>(src: &[F], dst: &mut [u8]) {
    assert_eq!(
        dst.len(),
        packed_len::<F>(src.len()),
        "pack: destination length must be packed_len(src.len())"
    );
    pack_bits(src.iter().map(|x| x.to_bits_u32()), F::WIDTH, dst);
}

/// Pack codes of `width` bits (at most 8) little-endian into `dst`, which must hold
/// ⌈n·width / 8⌉ bytes; bits of a code above `width` are dropped.
pub(crate) fn pack_bits(codes: impl Iterator<Item = u32>, width: u32, dst: &mut [u8]) {
    let mask = (1u32 << width) - 1;
    let mut acc: u32 = 0;
    let mut nbits = 0;
    let mut out = 0;
    for c in codes {
        acc |= (c & mask) << nbits;
        nbits += width;
        while nbits >= 8 {
            dst[out] = acc as u8;
            out += 1;
            acc >>= 8;
            nbits -= 8;
        }
    }
    if nbits > 0 {
        dst[out] = acc as u8;
    }
}

/// Unpack `dst.len()` elements from `src`, which must be exactly
/// [`packed_len`]`(dst.len())` bytes.
///
/// # Panics
/// If `src.len() != packed_len::<F>(dst.len())`.
pub fn unpack<F: Packable>(src: &[u8], dst: &mut [F]) {
    assert_eq!(
        src.len(),
        packed_len::<F>(dst.len()),
        "unpack: source length must be packed_len(dst.len())"
    );
    let w = F::WIDTH;
    let mask = (1u32 << w) - 1;
    let mut acc: u32 = 0;
    let mut nbits = 0;
    let mut bytes = src.iter();
    for d in dst.iter_mut() {
        while nbits < w {
            acc |= (*bytes.next().unwrap_or(&0) as u32) << nbits;
            nbits += 8;
        }
        *d = F::from_bits_u32(acc & mask);
        acc >>= w;
        nbits -= w;
    }
}

/// As [`pack`], but an `Err` instead of a panic on a length mismatch.
pub fn try_pack<F: Packable>(src: &[F], dst: &mut [u8]) -> Result<(), crate::Error> {
    let expected = packed_len::<F>(src.len());
    if dst.len() != expected {
        return Err(crate::Error::LengthMismatch {
            expected,
            found: dst.len(),
        });
    }
    pack(src, dst);
    Ok(())
}

/// As [`unpack`], but an `Err` instead of a panic on a length mismatch.
pub fn try_unpack<F: Packable>(src: &[u8], dst: &mut [F]) -> Result<(), crate::Error> {
    let expected = packed_len::<F>(dst.len());
    if src.len() != expected {
        return Err(crate::Error::LengthMismatch {
            expected,
            found: src.len(),
        });
    }
    unpack(src, dst);
    Ok(())
}
