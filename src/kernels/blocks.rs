//! The slice drivers, written once: they run the lane code over blocks of [`N`] elements (a
//! loop of fixed length that LLVM vectorises for whatever ISA the caller enables) and run the
//! tail through the very same block code on a zero-padded stack buffer.
//!
//! Everything here is `#[inline(always)]`, so that each per-ISA wrapper (`portable`, `x86`)
//! gets its own copy compiled with its target features.

use super::lanes::{
    decode_lane, encode_lane_any, splitmix_mix, splitmix_state, EncodeParams, GAMMA, SR,
};
use crate::format::Format;
use crate::packing::{packed_len, Packable};

/// Elements per block.
pub(crate) const N: usize = 32;

/// Set `$dst[k] = $e` where `$x` is `$src[k]` and `$z` its SplitMix64 state (`$z0` for
/// element 0, then stepping by γ: a vector induction, not a multiplication per element): a
/// flat loop over the whole blocks (the innermost loop, which LLVM vectorises at the caller's
/// ISA width), then the same expression over the tail, padded with `$s_pad` to a whole block.
///
/// A macro rather than a function taking a closure: a closure is a function of its own, which
/// does not inherit the `#[target_feature]`s of the function it is written in and need not be
/// inlined into it; the body of a macro is compiled with the caller's features.
macro_rules! drive {
    ($src:expr, $dst:expr, $z0:expr, $s_pad:expr, $d_pad:expr, |$x:ident, $z:ident| $e:expr) => {{
        let (src, dst) = ($src, $dst);
        debug_assert_eq!(src.len(), dst.len());
        let whole = src.len() / N * N;
        let (src_body, src_tail) = src.split_at(whole);
        let (dst_body, dst_tail) = dst.split_at_mut(whole);
        let mut z: u64 = $z0;
        for (s, d) in src_body.iter().zip(dst_body.iter_mut()) {
            let ($x, $z) = (*s, z);
            *d = $e;
            z = z.wrapping_add(GAMMA);
        }
        if !src_tail.is_empty() {
            let mut s = [$s_pad; N];
            let mut d = [$d_pad; N];
            s[..src_tail.len()].copy_from_slice(src_tail);
            for k in 0..N {
                let ($x, $z) = (s[k], z);
                d[k] = $e;
                z = z.wrapping_add(GAMMA);
            }
            dst_tail.copy_from_slice(&d[..src_tail.len()]);
        }
    }};
}

/// The random word of the element with SplitMix64 state `z` (0 unless stochastic).
#[inline(always)]
fn word<const MODE: u8>(z: u64) -> u32 {
    if MODE == SR {
        splitmix_mix(z)
    } else {
        0
    }
}

/// The SplitMix64 state of element `index` (0 unless stochastic, so that nothing of it is
/// left in the deterministic kernels).
#[inline(always)]
fn state<const MODE: u8>(p: &EncodeParams, index: u64) -> u64 {
    if MODE == SR {
        splitmix_state(p.seed, index)
    } else {
        0
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
    drive!(
        src,
        dst,
        state::<MODE>(p, start),
        0.0f32,
        F::from_bits_u32(0),
        |x, z| {
            let r = word::<MODE>(z);
            F::from_bits_u32(encode_lane_any::<F, MODE, SAT>(x.to_bits(), r))
        }
    );
}

/// `F` → f32.
#[inline(always)]
pub(crate) fn decode<F: Format>(src: &[F], dst: &mut [f32]) {
    drive!(src, dst, 0, F::from_bits_u32(0), 0.0f32, |x, _z| {
        f32::from_bits(decode_lane::<F>(x.to_bits_u32()))
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
    drive!(src, dst, state::<MODE>(p, start), 0.0f32, 0.0f32, |x, z| {
        let r = word::<MODE>(z);
        f32::from_bits(decode_lane::<F>(encode_lane_any::<F, MODE, SAT>(
            x.to_bits(),
            r,
        )))
    });
}

/// f32 → `F` → f32 in place.
#[inline(always)]
pub(crate) fn fake_quantize_in_place<F: Format, const MODE: u8, const SAT: bool>(
    data: &mut [f32],
    p: &EncodeParams,
    start: u64,
) {
    let whole = data.len() / N * N;
    let (body, tail) = data.split_at_mut(whole);
    let mut z = state::<MODE>(p, start);
    for x in body.iter_mut() {
        let r = word::<MODE>(z);
        let code = encode_lane_any::<F, MODE, SAT>(x.to_bits(), r);
        *x = f32::from_bits(decode_lane::<F>(code));
        z = z.wrapping_add(GAMMA);
    }
    if !tail.is_empty() {
        let mut s = [0.0f32; N];
        s[..tail.len()].copy_from_slice(tail);
        let mut d = [0.0f32; N];
        fake_quantize::<F, MODE, SAT>(&s, &mut d, p, start.wrapping_add(whole as u64));
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
    drive!(
        src,
        dst,
        state::<MODE>(p, start),
        S::from_bits_u32(0),
        D::from_bits_u32(0),
        |x, z| {
            let r = word::<MODE>(z);
            let bits = decode_lane::<S>(x.to_bits_u32());
            D::from_bits_u32(encode_lane_any::<D, MODE, SAT>(bits, r))
        }
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

/// Encode one block into codes.
#[inline(always)]
fn encode_codes<F: Format, const MODE: u8, const SAT: bool>(
    s: &[f32; N],
    c: &mut [u32; N],
    p: &EncodeParams,
    index: u64,
) {
    let mut z = state::<MODE>(p, index);
    for j in 0..N {
        c[j] = encode_lane_any::<F, MODE, SAT>(s[j].to_bits(), word::<MODE>(z));
        z = z.wrapping_add(GAMMA);
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
    let whole = src.len() / N;
    for (s, d) in src
        .chunks_exact(N)
        .zip(dst.chunks_exact_mut(bb))
        .take(whole)
    {
        encode_codes::<F, MODE, SAT>(s.try_into().unwrap(), &mut codes, p, index);
        pack_block::<F>(&codes, d);
        index = index.wrapping_add(N as u64);
    }
    let rest = src.len() - whole * N;
    if rest > 0 {
        let mut s = [0.0f32; N];
        s[..rest].copy_from_slice(&src[whole * N..]);
        encode_codes::<F, MODE, SAT>(&s, &mut codes, p, index);
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
