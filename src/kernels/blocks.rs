//! The slice drivers, written once: they run the lane code over blocks of [`N`] elements (a
//! loop of fixed length that LLVM vectorises for whatever ISA the caller enables) and run the
//! tail through the very same block code on a zero-padded stack buffer.
//!
//! Everything here is `#[inline(always)]`, so that each per-ISA wrapper (`portable`, `x86`)
//! gets its own copy compiled with its target features.

use super::lanes::{
    decode_lane, encode_lane_any, splitmix_high, splitmix_state, stochastic_threshold,
    EncodeParams, GAMMA, SR,
};
use crate::format::Format;
use crate::packing::{packed_len, Packable};

/// Elements per block.
pub(crate) const N: usize = 32;

/// γ·N: the SplitMix64 state of a block's first element from the previous block's.
const GAMMA_N: u64 = GAMMA.wrapping_mul(N as u64);

/// Where the random words of stochastic rounding come from, a block at a time: the
/// thresholds ([`stochastic_threshold`], which rounds as the complement `!r` of the
/// SplitMix64 word, CONTRACT.md §3) of the [`N`] elements whose states are `z`, `z + γ`, …,
/// `z + (N − 1)·γ` (the lanes round up iff the dropped fraction exceeds the threshold).
/// [`Portable`] computes them in scalar code that LLVM vectorises; an ISA module may give its
/// own (x86: AVX-512, whose 64-bit multiplies LLVM emits from the portable code too, but
/// whose narrowing to the high halves it does not find: one `vpermt2d`). A value of the type
/// is a token that the CPU can run the implementation.
pub(crate) trait Words: Copy {
    /// The thresholds of one block.
    fn thresholds(self, z: u64) -> [u32; N];
}

/// The words in portable code.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Portable;

impl Words for Portable {
    #[inline(always)]
    fn thresholds(self, z: u64) -> [u32; N] {
        let mut out = [0u32; N];
        let mut z = z;
        for o in out.iter_mut() {
            *o = stochastic_threshold(splitmix_high(z));
            z = z.wrapping_add(GAMMA);
        }
        out
    }
}

/// Set `$dst[k] = $e` where `$x` is `$src[k]` and `$nr` its stochastic threshold
/// (0 unless `MODE` is [`SR`]; `$z0` is element 0's SplitMix64 state, and `$w` the
/// [`Words`] source): a flat loop over the whole blocks (the innermost loop, which LLVM
/// vectorises at the caller's ISA width), or, when stochastic, a loop over blocks that first
/// takes the block's words; then the same expression over the tail, padded with `$s_pad` to a
/// whole block.
///
/// A macro rather than a function taking a closure: a closure is a function of its own, which
/// does not inherit the `#[target_feature]`s of the function it is written in and need not be
/// inlined into it; the body of a macro is compiled with the caller's features.
macro_rules! drive {
    ($w:expr, $sr:expr, $src:expr, $dst:expr, $z0:expr, $s_pad:expr, $d_pad:expr,
     |$x:ident, $nr:ident| $e:expr) => {{
        let (w, src, dst) = ($w, $src, $dst);
        debug_assert_eq!(src.len(), dst.len());
        let whole = src.len() / N * N;
        let (src_body, src_tail) = src.split_at(whole);
        let (dst_body, dst_tail) = dst.split_at_mut(whole);
        let mut z: u64 = $z0;
        if $sr {
            for (s, d) in src_body.chunks_exact(N).zip(dst_body.chunks_exact_mut(N)) {
                let nrs = w.thresholds(z);
                for k in 0..N {
                    let ($x, $nr) = (s[k], nrs[k]);
                    d[k] = $e;
                }
                z = z.wrapping_add(GAMMA_N);
            }
        } else {
            for (s, d) in src_body.iter().zip(dst_body.iter_mut()) {
                let ($x, $nr) = (*s, 0u32);
                *d = $e;
            }
        }
        if !src_tail.is_empty() {
            let mut s = [$s_pad; N];
            let mut d = [$d_pad; N];
            s[..src_tail.len()].copy_from_slice(src_tail);
            let nrs = if $sr { w.thresholds(z) } else { [0u32; N] };
            for k in 0..N {
                let ($x, $nr) = (s[k], nrs[k]);
                d[k] = $e;
            }
            dst_tail.copy_from_slice(&d[..src_tail.len()]);
        }
    }};
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
pub(crate) fn encode<W: Words, F: Format, const MODE: u8, const SAT: bool>(
    w: W,
    src: &[f32],
    dst: &mut [F],
    p: &EncodeParams,
    start: u64,
) {
    drive!(
        w,
        MODE == SR,
        src,
        dst,
        state::<MODE>(p, start),
        0.0f32,
        F::from_bits_u32(0),
        |x, nr| F::from_bits_u32(encode_lane_any::<F, MODE, SAT>(x.to_bits(), nr))
    );
}

/// `F` → f32.
#[inline(always)]
pub(crate) fn decode<F: Format>(src: &[F], dst: &mut [f32]) {
    drive!(
        Portable,
        false,
        src,
        dst,
        0,
        F::from_bits_u32(0),
        0.0f32,
        |x, _nr| f32::from_bits(decode_lane::<F>(x.to_bits_u32()))
    );
}

/// One element f32 → `F` → f32 (`nr`: the stochastic threshold, 0 otherwise).
#[inline(always)]
fn round_trip<F: Format, const MODE: u8, const SAT: bool>(x: f32, nr: u32) -> f32 {
    f32::from_bits(decode_lane::<F>(encode_lane_any::<F, MODE, SAT>(
        x.to_bits(),
        nr,
    )))
}

/// f32 → `F` → f32 (fake quantization), out of place.
#[inline(always)]
pub(crate) fn fake_quantize<W: Words, F: Format, const MODE: u8, const SAT: bool>(
    w: W,
    src: &[f32],
    dst: &mut [f32],
    p: &EncodeParams,
    start: u64,
) {
    drive!(
        w,
        MODE == SR,
        src,
        dst,
        state::<MODE>(p, start),
        0.0f32,
        0.0f32,
        |x, nr| round_trip::<F, MODE, SAT>(x, nr)
    );
}

/// f32 → `F` → f32 in place.
#[inline(always)]
pub(crate) fn fake_quantize_in_place<W: Words, F: Format, const MODE: u8, const SAT: bool>(
    w: W,
    data: &mut [f32],
    p: &EncodeParams,
    start: u64,
) {
    let whole = data.len() / N * N;
    let (body, tail) = data.split_at_mut(whole);
    if MODE == SR {
        let mut z = state::<MODE>(p, start);
        for block in body.chunks_exact_mut(N) {
            let nrs = w.thresholds(z);
            for k in 0..N {
                block[k] = round_trip::<F, MODE, SAT>(block[k], nrs[k]);
            }
            z = z.wrapping_add(GAMMA_N);
        }
    } else {
        for x in body.iter_mut() {
            *x = round_trip::<F, MODE, SAT>(*x, 0);
        }
    }
    if !tail.is_empty() {
        let mut s = [0.0f32; N];
        s[..tail.len()].copy_from_slice(tail);
        let mut d = [0.0f32; N];
        fake_quantize::<W, F, MODE, SAT>(w, &s, &mut d, p, start.wrapping_add(whole as u64));
        tail.copy_from_slice(&d[..tail.len()]);
    }
}

/// `S` → `D` through the exact f32 value.
#[inline(always)]
pub(crate) fn convert<W: Words, S: Format, D: Format, const MODE: u8, const SAT: bool>(
    w: W,
    src: &[S],
    dst: &mut [D],
    p: &EncodeParams,
    start: u64,
) {
    drive!(
        w,
        MODE == SR,
        src,
        dst,
        state::<MODE>(p, start),
        S::from_bits_u32(0),
        D::from_bits_u32(0),
        |x, nr| {
            let bits = decode_lane::<S>(x.to_bits_u32());
            D::from_bits_u32(encode_lane_any::<D, MODE, SAT>(bits, nr))
        }
    );
}

/// Bytes of one packed block of `F`.
const fn block_bytes<F: Packable>() -> usize {
    N * F::WIDTH as usize / 8
}

/// Pack one block of codes (FP4: two a byte; FP6: four in three bytes) into `out`, by the
/// one packer's fast path for whole groups.
#[inline(always)]
fn pack_block<F: Packable>(c: &[u32; N], out: &mut [u8]) {
    crate::packing::pack_groups(c, F::WIDTH, out);
}

/// Unpack one block of codes from `inp`.
#[inline(always)]
fn unpack_block<F: Packable>(inp: &[u8], c: &mut [u32; N]) {
    crate::packing::unpack_groups(inp, F::WIDTH, c);
}

/// Encode one block into codes.
#[inline(always)]
fn encode_codes<W: Words, F: Format, const MODE: u8, const SAT: bool>(
    w: W,
    s: &[f32; N],
    c: &mut [u32; N],
    p: &EncodeParams,
    index: u64,
) {
    let nrs = if MODE == SR {
        w.thresholds(state::<MODE>(p, index))
    } else {
        [0; N]
    };
    for j in 0..N {
        c[j] = encode_lane_any::<F, MODE, SAT>(s[j].to_bits(), nrs[j]);
    }
}

/// f32 → packed `F`; `dst.len()` must be `packed_len::<F>(src.len())`.
#[inline(always)]
pub(crate) fn encode_packed<W: Words, F: Packable, const MODE: u8, const SAT: bool>(
    w: W,
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
        encode_codes::<W, F, MODE, SAT>(w, s.try_into().unwrap(), &mut codes, p, index);
        pack_block::<F>(&codes, d);
        index = index.wrapping_add(N as u64);
    }
    let rest = src.len() - whole * N;
    if rest > 0 {
        let mut s = [0.0f32; N];
        s[..rest].copy_from_slice(&src[whole * N..]);
        encode_codes::<W, F, MODE, SAT>(w, &s, &mut codes, p, index);
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
