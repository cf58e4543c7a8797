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

/// The one bit packer: codes of `width` bits (at most 8) little-endian into `dst`, which must
/// hold ⌈n·width / 8⌉ bytes; bits of a code above `width` are dropped, and unused high bits of
/// the last byte are zero. [`pack_groups`] is its fast path for whole groups of codes.
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

/// The one bit unpacker, [`pack_bits`]' inverse: `n` codes of `width` bits (at most 8) from
/// `src` (⌈n·width / 8⌉ bytes), each passed to `f` in order.
pub(crate) fn unpack_bits(src: &[u8], width: u32, n: usize, mut f: impl FnMut(u32)) {
    let mask = (1u32 << width) - 1;
    let mut acc: u32 = 0;
    let mut nbits = 0;
    let mut bytes = src.iter();
    for _ in 0..n {
        while nbits < width {
            acc |= (*bytes.next().unwrap_or(&0) as u32) << nbits;
            nbits += 8;
        }
        f(acc & mask);
        acc >>= width;
        nbits -= width;
    }
}

/// The fast path of [`pack_bits`] for whole groups, which the batch kernels use on blocks of
/// 32: FP4 two codes a byte, FP6 four codes in three bytes, 8-bit codes one a byte. The codes
/// must already fit in `width` bits and `codes.len() · width` must be a multiple of 24 (so
/// that every group is whole); it writes `codes.len() · width / 8` bytes, the same bytes as
/// [`pack_bits`] (tested on random codes: `fast_paths_equal_the_one_packer`).
#[inline(always)]
pub(crate) fn pack_groups(codes: &[u32], width: u32, out: &mut [u8]) {
    match width {
        4 => {
            for (o, c) in out.iter_mut().zip(codes.chunks_exact(2)) {
                *o = (c[0] | c[1] << 4) as u8;
            }
        }
        6 => {
            for (o, c) in out.chunks_exact_mut(3).zip(codes.chunks_exact(4)) {
                let w = c[0] | c[1] << 6 | c[2] << 12 | c[3] << 18;
                o[0] = w as u8;
                o[1] = (w >> 8) as u8;
                o[2] = (w >> 16) as u8;
            }
        }
        8 => {
            for (o, c) in out.iter_mut().zip(codes) {
                *o = *c as u8;
            }
        }
        _ => pack_bits(codes.iter().copied(), width, out),
    }
}

/// The fast path of [`pack_bits`] for codes held one a byte (the MX and NVFP4 quantizers'
/// element codes), whole groups of 8 codes at a time: each group is read as one
/// little-endian `u64` and its codes are drawn together by shifts and masks within that word
/// (lane-local operations, which vectorise on every instruction set), FP4 to 4 bytes, FP6 to
/// 6, in runs of 256 codes; 8-bit codes are copied. The codes must already fit in `width` bits and `codes.len()` must
/// be a multiple of 8; it writes `codes.len() · width / 8` bytes, the same bytes as
/// [`pack_bits`] (tested on every code: `byte_packer_equals_the_one_packer`).
#[inline(always)]
pub(crate) fn pack_bytes(codes: &[u8], width: u32, out: &mut [u8]) {
    if width == 8 {
        out.copy_from_slice(&codes[..out.len()]);
        return;
    }
    if width != 4 && width != 6 {
        pack_bits(codes.iter().map(|&c| c as u32), width, out);
        return;
    }
    // Runs of 256 codes (32 words: loops of constant lengths), then the last groups.
    let w = width as usize;
    let mut cs = codes.chunks_exact(256);
    let mut os = out.chunks_exact_mut(32 * w);
    for (c, o) in (&mut cs).zip(&mut os) {
        pack_256(c.try_into().unwrap(), width, o);
    }
    let groups = cs.remainder().chunks_exact(8);
    for (c, o) in groups.zip(os.into_remainder().chunks_exact_mut(w)) {
        let g = pack_group(u64::from_le_bytes(c.try_into().unwrap()), width);
        o.copy_from_slice(&g.to_le_bytes()[..w]);
    }
}

/// One group of 8 codes (one a byte of the little-endian word `x`) drawn together into the
/// low 4 (FP4) or 6 (FP6) bytes.
#[inline(always)]
fn pack_group(x: u64, width: u32) -> u64 {
    if width == 4 {
        // Pairs of nibbles into the low byte of each 16-bit lane, then the 4 bytes.
        let y = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
        let z = (y | (y >> 8)) & 0x0000_FFFF_0000_FFFF;
        (z | (z >> 16)) & 0xFFFF_FFFF
    } else {
        // 2 codes in 12 bits of each 16-bit lane, 4 in 24 bits of each 32-bit lane, then
        // all 8 in the low 48 bits.
        let y = (x & 0x003F_003F_003F_003F) | ((x >> 2) & 0x0FC0_0FC0_0FC0_0FC0);
        let z = (y & 0x0000_0FFF_0000_0FFF) | ((y >> 4) & 0x00FF_F000_00FF_F000);
        (z & 0x0000_0000_00FF_FFFF) | ((z >> 8) & 0x0000_FFFF_FF00_0000)
    }
}

/// 256 codes into 128 (FP4) or 192 (FP6) bytes of `out`: the 32 groups' words side by side
/// (one loop over `u64` lanes), then written out whole (FP6: four codes in the low 24 bits of
/// each 32-bit half, and every four halves' 12 bytes as three 32-bit words).
#[inline(always)]
fn pack_256(c: &[u8; 256], width: u32, out: &mut [u8]) {
    let mut w = [0u64; 32];
    for (w, c) in w.iter_mut().zip(c.chunks_exact(8)) {
        let x = u64::from_le_bytes(c.try_into().unwrap());
        *w = if width == 4 {
            pack_group(x, 4)
        } else {
            // Two codes in 12 bits of each 16-bit lane, then four in 24 bits of each half.
            let y = (x & 0x003F_003F_003F_003F) | ((x >> 2) & 0x0FC0_0FC0_0FC0_0FC0);
            (y & 0x0000_0FFF_0000_0FFF) | ((y >> 4) & 0x00FF_F000_00FF_F000)
        };
    }
    if width == 4 {
        let mut b = [0u32; 32];
        for (b, &w) in b.iter_mut().zip(&w) {
            *b = w as u32;
        }
        for (o, b) in out.chunks_exact_mut(4).zip(&b) {
            o.copy_from_slice(&b.to_le_bytes());
        }
    } else {
        let mut h = [0u32; 64];
        for (h, &w) in h.chunks_exact_mut(2).zip(&w) {
            h[0] = w as u32;
            h[1] = (w >> 32) as u32;
        }
        let mut b = [0u32; 48];
        for (b, h) in b.chunks_exact_mut(3).zip(h.chunks_exact(4)) {
            b[0] = h[0] | h[1] << 24;
            b[1] = h[1] >> 8 | h[2] << 16;
            b[2] = h[2] >> 16 | h[3] << 8;
        }
        for (o, b) in out.chunks_exact_mut(4).zip(&b) {
            o.copy_from_slice(&b.to_le_bytes());
        }
    }
}

/// The fast path of [`unpack_bits`] for whole groups (the inverse of [`pack_groups`]): fills
/// `codes` from `codes.len() · width / 8` bytes of `inp`.
#[inline(always)]
pub(crate) fn unpack_groups(inp: &[u8], width: u32, codes: &mut [u32]) {
    match width {
        4 => {
            for (c, b) in codes.chunks_exact_mut(2).zip(inp) {
                c[0] = *b as u32 & 0xF;
                c[1] = *b as u32 >> 4;
            }
        }
        6 => {
            for (c, i) in codes.chunks_exact_mut(4).zip(inp.chunks_exact(3)) {
                let w = i[0] as u32 | (i[1] as u32) << 8 | (i[2] as u32) << 16;
                c[0] = w & 0x3F;
                c[1] = (w >> 6) & 0x3F;
                c[2] = (w >> 12) & 0x3F;
                c[3] = w >> 18;
            }
        }
        8 => {
            for (c, b) in codes.iter_mut().zip(inp) {
                *c = *b as u32;
            }
        }
        _ => {
            let mut it = codes.iter_mut();
            unpack_bits(inp, width, it.len(), |v| {
                if let Some(c) = it.next() {
                    *c = v;
                }
            });
        }
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
    let mut out = dst.iter_mut();
    unpack_bits(src, F::WIDTH, out.len(), |c| {
        if let Some(d) = out.next() {
            *d = F::from_bits_u32(c);
        }
    });
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (SplitMix64), so that the test needs no dependency.
    fn words(seed: u64, n: usize) -> impl Iterator<Item = u32> {
        (0..n as u64).map(move |i| {
            let mut z = seed.wrapping_add((i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as u32
        })
    }

    /// The kernels' fast paths give the one packer's bytes, and unpack what it packed.
    #[test]
    fn fast_paths_equal_the_one_packer() {
        for width in [4u32, 6, 8] {
            for (seed, n) in [(1u64, 32usize), (2, 64), (3, 96), (4, 24), (5, 320)] {
                let codes: Vec<u32> = words(seed, n).map(|w| w & ((1 << width) - 1)).collect();
                let bytes = n * width as usize / 8;
                let mut slow = vec![0u8; bytes];
                pack_bits(codes.iter().copied(), width, &mut slow);
                let mut fast = vec![0u8; bytes];
                pack_groups(&codes, width, &mut fast);
                assert_eq!(fast, slow, "width {width}, {n} codes");
                let mut back = vec![0u32; n];
                unpack_groups(&slow, width, &mut back);
                assert_eq!(back, codes, "width {width}, {n} codes");
                let mut back = Vec::new();
                unpack_bits(&slow, width, n, |c| back.push(c));
                assert_eq!(back, codes, "width {width}, {n} codes");
            }
        }
    }

    /// The byte packer gives the one packer's bytes: every code in every position of a group
    /// (each code value at each of the 8 places, the others random), and random groups.
    #[test]
    fn byte_packer_equals_the_one_packer() {
        for width in [4u32, 6, 8] {
            let mask = (1u32 << width) - 1;
            let mut codes: Vec<u8> = Vec::new();
            let mut rnd = words(width as u64, 1 << 14);
            for c in 0..=mask {
                for place in 0..8 {
                    for k in 0..8 {
                        let r = rnd.next().unwrap() & mask;
                        codes.push(if k == place { c } else { r } as u8);
                    }
                }
            }
            codes.extend(rnd.map(|w| (w & mask) as u8).take(8 * 100));
            let bytes = codes.len() * width as usize / 8;
            let mut slow = vec![0u8; bytes];
            pack_bits(codes.iter().map(|&c| c as u32), width, &mut slow);
            let mut fast = vec![0u8; bytes];
            pack_bytes(&codes, width, &mut fast);
            assert_eq!(fast, slow, "width {width}");
        }
    }

    /// The one packer drops bits above the width and zeroes the last byte's unused bits.
    #[test]
    fn pack_bits_masks_and_pads() {
        let mut b = [0xFFu8; 2];
        pack_bits([0x1F, 0x12, 0x3].into_iter(), 4, &mut b);
        assert_eq!(b, [0x2F, 0x03]);
        let mut b = [0xFFu8; 2];
        pack_bits([0x7F, 0x01].into_iter(), 6, &mut b);
        assert_eq!(b, [0x7F, 0x0]);
    }
}
