//! The slice drivers, written once: they run the lane code over blocks of [`N`] elements (a
//! loop of fixed length that LLVM vectorises for whatever ISA the caller enables) and run the
//! tail through the very same block code on a zero-padded stack buffer.
//!
//! Everything here is `#[inline(always)]`, so that each per-ISA wrapper (`portable`, `x86`)
//! gets its own copy compiled with its target features.

use super::lanes::{decode_lane, encode_lane_any, splitmix_word, EncodeParams, SR};
use crate::format::Format;
use crate::packing::{packed_len, Packable};

/// Elements per block.
pub(crate) const N: usize = 32;

/// The random words of elements `index .. index + N`.
#[inline(always)]
fn words<const MODE: u8>(p: &EncodeParams, index: u64) -> [u32; N] {
    let mut r = [0u32; N];
    if MODE == SR {
        for (j, w) in r.iter_mut().enumerate() {
            *w = splitmix_word(p.seed, index.wrapping_add(j as u64));
        }
    }
    r
}

/// Encode one block; `index` is the element index of `s[0]` in the whole call.
#[inline(always)]
fn encode_block<F: Format, const MODE: u8, const SAT: bool>(
    s: &[f32; N],
    d: &mut [F; N],
    p: &EncodeParams,
    index: u64,
) {
    let r = words::<MODE>(p, index);
    for j in 0..N {
        d[j] = F::from_bits_u32(encode_lane_any::<F, MODE, SAT>(p, s[j].to_bits(), r[j]));
    }
}

/// Run `block` over every whole block of `src`/`dst` and over the zero-padded tail.
#[inline(always)]
fn drive<S: Copy, D: Copy>(
    src: &[S],
    dst: &mut [D],
    s_pad: S,
    d_pad: D,
    mut block: impl FnMut(&[S; N], &mut [D; N], u64),
) {
    debug_assert_eq!(src.len(), dst.len());
    let whole = src.len() / N * N;
    let (src_body, src_tail) = src.split_at(whole);
    let (dst_body, dst_tail) = dst.split_at_mut(whole);
    let mut index = 0u64;
    for (s, d) in src_body.chunks_exact(N).zip(dst_body.chunks_exact_mut(N)) {
        // The conversions cannot fail: chunks_exact gives exactly N elements.
        let s: &[S; N] = s.try_into().unwrap();
        let d: &mut [D; N] = d.try_into().unwrap();
        block(s, d, index);
        index += N as u64;
    }
    if !src_tail.is_empty() {
        let mut s = [s_pad; N];
        let mut d = [d_pad; N];
        s[..src_tail.len()].copy_from_slice(src_tail);
        block(&s, &mut d, index);
        dst_tail.copy_from_slice(&d[..src_tail.len()]);
    }
}

/// f32 → `F`. `start` is the element index of `src[0]` (for the stochastic words).
#[inline(always)]
pub(crate) fn encode<F: Format, const MODE: u8, const SAT: bool>(
    src: &[f32],
    dst: &mut [F],
    p: &EncodeParams,
    start: u64,
) {
    drive(src, dst, 0.0, F::from_bits_u32(0), |s, d, i| {
        encode_block::<F, MODE, SAT>(s, d, p, start.wrapping_add(i))
    });
}

/// `F` → f32.
#[inline(always)]
pub(crate) fn decode<F: Format>(src: &[F], dst: &mut [f32]) {
    drive(src, dst, F::from_bits_u32(0), 0.0, |s, d, _| {
        for j in 0..N {
            d[j] = f32::from_bits(decode_lane::<F>(s[j].to_bits_u32()));
        }
    });
}

/// f32 → `F` → f32 (fake quantization), out of place.
#[inline(always)]
pub(crate) fn fake_quantize<F: Format, const MODE: u8, const SAT: bool>(
    src: &[f32],
    dst: &mut [f32],
    p: &EncodeParams,
    start: u64,
) {
    drive(src, dst, 0.0, 0.0, |s, d, i| {
        let r = words::<MODE>(p, start.wrapping_add(i));
        for j in 0..N {
            let code = encode_lane_any::<F, MODE, SAT>(p, s[j].to_bits(), r[j]);
            d[j] = f32::from_bits(decode_lane::<F>(code));
        }
    });
}

/// f32 → `F` → f32 in place.
#[inline(always)]
pub(crate) fn fake_quantize_in_place<F: Format, const MODE: u8, const SAT: bool>(
    data: &mut [f32],
    p: &EncodeParams,
    start: u64,
) {
    let mut index = start;
    let mut chunks = data.chunks_exact_mut(N);
    for d in &mut chunks {
        let d: &mut [f32; N] = d.try_into().unwrap();
        let r = words::<MODE>(p, index);
        for j in 0..N {
            let code = encode_lane_any::<F, MODE, SAT>(p, d[j].to_bits(), r[j]);
            d[j] = f32::from_bits(decode_lane::<F>(code));
        }
        index = index.wrapping_add(N as u64);
    }
    let tail = chunks.into_remainder();
    if !tail.is_empty() {
        let mut s = [0.0f32; N];
        s[..tail.len()].copy_from_slice(tail);
        let mut d = [0.0f32; N];
        fake_quantize::<F, MODE, SAT>(&s, &mut d, p, index);
        tail.copy_from_slice(&d[..tail.len()]);
    }
}

/// `S` → `D` through the exact f32 value.
#[inline(always)]
pub(crate) fn convert<S: Format, D: Format, const MODE: u8, const SAT: bool>(
    src: &[S],
    dst: &mut [D],
    p: &EncodeParams,
    start: u64,
) {
    drive(
        src,
        dst,
        S::from_bits_u32(0),
        D::from_bits_u32(0),
        |s, d, i| {
            let r = words::<MODE>(p, start.wrapping_add(i));
            for j in 0..N {
                let x = decode_lane::<S>(s[j].to_bits_u32());
                d[j] = D::from_bits_u32(encode_lane_any::<D, MODE, SAT>(p, x, r[j]));
            }
        },
    );
}

/// Bytes of one packed block of `F`.
const fn block_bytes<F: Packable>() -> usize {
    N * F::WIDTH as usize / 8
}

/// Pack one block of codes (FP4: two a byte; FP6: four in three bytes), into `out`.
#[inline(always)]
fn pack_block<F: Packable>(c: &[u32; N], out: &mut [u8]) {
    if F::WIDTH == 4 {
        for j in 0..N / 2 {
            out[j] = (c[2 * j] | c[2 * j + 1] << 4) as u8;
        }
    } else {
        for j in 0..N / 4 {
            let w = c[4 * j] | c[4 * j + 1] << 6 | c[4 * j + 2] << 12 | c[4 * j + 3] << 18;
            out[3 * j] = w as u8;
            out[3 * j + 1] = (w >> 8) as u8;
            out[3 * j + 2] = (w >> 16) as u8;
        }
    }
}

/// Unpack one block of codes from `inp`.
#[inline(always)]
fn unpack_block<F: Packable>(inp: &[u8], c: &mut [u32; N]) {
    if F::WIDTH == 4 {
        for j in 0..N / 2 {
            let b = inp[j] as u32;
            c[2 * j] = b & 0xF;
            c[2 * j + 1] = b >> 4;
        }
    } else {
        for j in 0..N / 4 {
            let w =
                inp[3 * j] as u32 | (inp[3 * j + 1] as u32) << 8 | (inp[3 * j + 2] as u32) << 16;
            c[4 * j] = w & 0x3F;
            c[4 * j + 1] = (w >> 6) & 0x3F;
            c[4 * j + 2] = (w >> 12) & 0x3F;
            c[4 * j + 3] = w >> 18;
        }
    }
}

/// f32 → packed `F`; `dst.len()` must be `packed_len::<F>(src.len())`.
#[inline(always)]
pub(crate) fn encode_packed<F: Packable, const MODE: u8, const SAT: bool>(
    src: &[f32],
    dst: &mut [u8],
    p: &EncodeParams,
    start: u64,
) {
    debug_assert_eq!(dst.len(), packed_len::<F>(src.len()));
    let bb = block_bytes::<F>();
    let mut index = start;
    let mut codes = [0u32; N];
    let one = |s: &[f32; N], c: &mut [u32; N], index: u64| {
        let r = words::<MODE>(p, index);
        for j in 0..N {
            c[j] = encode_lane_any::<F, MODE, SAT>(p, s[j].to_bits(), r[j]);
        }
    };
    let whole = src.len() / N;
    for (s, d) in src
        .chunks_exact(N)
        .zip(dst.chunks_exact_mut(bb))
        .take(whole)
    {
        one(s.try_into().unwrap(), &mut codes, index);
        pack_block::<F>(&codes, d);
        index = index.wrapping_add(N as u64);
    }
    let rest = src.len() - whole * N;
    if rest > 0 {
        let mut s = [0.0f32; N];
        s[..rest].copy_from_slice(&src[whole * N..]);
        one(&s, &mut codes, index);
        for c in &mut codes[rest..] {
            *c = 0; // unused high bits of the last byte are zero
        }
        let mut buf = [0u8; N];
        pack_block::<F>(&codes, &mut buf);
        let out = &mut dst[whole * bb..];
        let n = out.len();
        out.copy_from_slice(&buf[..n]);
    }
}

/// Packed `F` → f32; `src.len()` must be `packed_len::<F>(dst.len())`.
#[inline(always)]
pub(crate) fn decode_packed<F: Packable>(src: &[u8], dst: &mut [f32]) {
    debug_assert_eq!(src.len(), packed_len::<F>(dst.len()));
    let bb = block_bytes::<F>();
    let mut codes = [0u32; N];
    let whole = dst.len() / N;
    for (s, d) in src
        .chunks_exact(bb)
        .zip(dst.chunks_exact_mut(N))
        .take(whole)
    {
        unpack_block::<F>(s, &mut codes);
        for j in 0..N {
            d[j] = f32::from_bits(decode_lane::<F>(codes[j]));
        }
    }
    let rest = dst.len() - whole * N;
    if rest > 0 {
        let mut buf = [0u8; N];
        let inp = &src[whole * bb..];
        buf[..inp.len()].copy_from_slice(inp);
        unpack_block::<F>(&buf, &mut codes);
        for (j, d) in dst[whole * N..].iter_mut().enumerate() {
            *d = f32::from_bits(decode_lane::<F>(codes[j]));
        }
    }
}
