//! f32 ↔ f16 with F16C's `vcvtps2ph` / `vcvtph2ps`, where they give the scalar core's bits
//! (the exhaustive tests check every input):
//!
//! - `vcvtps2ph` rounds in the mode of its immediate — nearest-even, toward −∞, toward +∞,
//!   toward zero — honours f32 subnormal inputs, produces f16 subnormals, overflows the IEEE
//!   way of each mode (±∞ or ±max) and quiets NaN keeping the payload's top bits: all as
//!   CONTRACT.md §3 asks. [`Overflow::Saturate`](crate::Overflow) is one fix-up (an ∞ code
//!   becomes max). Ties-away and round-to-odd are not among its modes: those take the lane code.
//!   It ignores MXCSR.FTZ but honours DAZ, reading an f32 subnormal input as ±0: that changes
//!   nothing in nearest-even and toward zero (such an input is below half f16's smallest
//!   subnormal), and toward ±∞ one fix-up from the input's bits restores the smallest
//!   subnormal on the side of the sign (CONTRACT.md §14).
//! - `vcvtph2ps` is exact, and quiets NaN keeping the payload, as §2 asks; it ignores FTZ and
//!   DAZ (`tests/fenv.rs` checks every code under both).
//!
//! The element type is only known as `F: Format` with f16's row; values go through
//! `from_bits_u32`/`to_bits_u32` (which compile to plain 16-bit moves for `half::f16`), so no
//! layout is assumed.

use core::arch::x86_64::*;

use crate::format::Format;
use crate::kernels::lanes::{EncodeParams, NE, TN, TP, TZ};

/// Whether `F` is IEEE binary16.
const fn is_f16<F: Format>() -> bool {
    let s = F::SPEC;
    s.bits == 16 && s.exponent_bits == 5 && s.mantissa_bits == 10 && s.storage_shift == 0
}

/// Encode with `vcvtps2ph` where `F` is f16 and the mode is one it has; false otherwise (then
/// nothing was written).
#[inline]
#[target_feature(enable = "avx,f16c")]
pub(crate) fn encode<F: Format, const MODE: u8, const SAT: bool>(
    src: &[f32],
    dst: &mut [F],
    _p: &EncodeParams,
) -> bool {
    if !is_f16::<F>() {
        return false;
    }
    match MODE {
        NE => run::<F, SAT, { _MM_FROUND_TO_NEAREST_INT }>(src, dst),
        TN => run::<F, SAT, { _MM_FROUND_TO_NEG_INF }>(src, dst),
        TP => run::<F, SAT, { _MM_FROUND_TO_POS_INF }>(src, dst),
        TZ => run::<F, SAT, { _MM_FROUND_TO_ZERO }>(src, dst),
        _ => return false,
    }
    true
}

/// Eight f32 → eight f16 bit patterns in the rounding mode `IMM`.
#[inline]
#[target_feature(enable = "avx,f16c")]
fn eight<const SAT: bool, const IMM: i32>(s: &[f32; 8]) -> [u16; 8] {
    // SAFETY: `s` is 8 readable f32 (32 bytes); the load has no alignment requirement.
    let v = unsafe { _mm256_loadu_ps(s.as_ptr()) };
    let mut h = _mm256_cvtps_ph::<IMM>(v);
    if IMM == _MM_FROUND_TO_POS_INF || IMM == _MM_FROUND_TO_NEG_INF {
        // `vcvtps2ph` reads an f32 subnormal input as ±0 when MXCSR.DAZ is set (it ignores
        // FTZ), which toward ±∞ must round to the smallest f16 subnormal on the side of its
        // sign: set bit 0 of those lanes (±0 then, ±2^-24 already without DAZ), found from
        // the input's bits, which DAZ does not touch.
        let lo = _mm256_castsi256_si128(_mm256_castps_si256(v));
        let hi = _mm256_extractf128_si256::<1>(_mm256_castps_si256(v));
        // Positive subnormals are the i32 bits in (0, 2^23); negative ones in
        // (i32::MIN, i32::MIN + 2^23).
        let (above, below) = if IMM == _MM_FROUND_TO_POS_INF {
            (0, 0x80_0000)
        } else {
            (i32::MIN, i32::MIN + 0x80_0000)
        };
        let sub = |b: __m128i| {
            _mm_and_si128(
                _mm_cmpgt_epi32(b, _mm_set1_epi32(above)),
                _mm_cmpgt_epi32(_mm_set1_epi32(below), b),
            )
        };
        let mask = _mm_packs_epi32(sub(lo), sub(hi)); // −1 (16-bit) where subnormal
        h = _mm_or_si128(h, _mm_and_si128(mask, _mm_set1_epi16(1)));
    }
    if SAT {
        // ±∞ (magnitude 0x7C00, from an ∞ input or an overflow) becomes ±max (0x7BFF).
        let mag = _mm_and_si128(h, _mm_set1_epi16(0x7FFF));
        let inf = _mm_cmpeq_epi16(mag, _mm_set1_epi16(0x7C00));
        h = _mm_add_epi16(h, inf); // −1 where ∞
    }
    let mut out = [0u16; 8];
    // SAFETY: `out` is 8 writable u16 (16 bytes); the store has no alignment requirement.
    unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), h) };
    out
}

#[inline]
#[target_feature(enable = "avx,f16c")]
fn run<F: Format, const SAT: bool, const IMM: i32>(src: &[f32], dst: &mut [F]) {
    let mut s = src.chunks_exact(8);
    let mut d = dst.chunks_exact_mut(8);
    for (s, d) in (&mut s).zip(&mut d) {
        let h = eight::<SAT, IMM>(s.try_into().unwrap());
        for (d, h) in d.iter_mut().zip(h) {
            *d = F::from_bits_u32(h as u32);
        }
    }
    let (s, d) = (s.remainder(), d.into_remainder());
    if !s.is_empty() {
        let mut buf = [0.0f32; 8];
        buf[..s.len()].copy_from_slice(s);
        let h = eight::<SAT, IMM>(&buf);
        for (d, h) in d.iter_mut().zip(h) {
            *d = F::from_bits_u32(h as u32);
        }
    }
}

/// Decode with `vcvtph2ps` where `F` is f16; false otherwise.
#[inline]
#[target_feature(enable = "avx,f16c")]
pub(crate) fn decode<F: Format>(src: &[F], dst: &mut [f32]) -> bool {
    if !is_f16::<F>() {
        return false;
    }
    let mut s = src.chunks_exact(8);
    let mut d = dst.chunks_exact_mut(8);
    for (s, d) in (&mut s).zip(&mut d) {
        let out = widen8(&core::array::from_fn(|j| s[j].to_bits_u32() as u16));
        d.copy_from_slice(&out);
    }
    let (s, d) = (s.remainder(), d.into_remainder());
    if !s.is_empty() {
        let out = widen8(&core::array::from_fn(|j| {
            s.get(j).map_or(0, |x| x.to_bits_u32() as u16)
        }));
        d.copy_from_slice(&out[..d.len()]);
    }
    true
}

#[inline]
#[target_feature(enable = "avx,f16c")]
fn widen8(h: &[u16; 8]) -> [f32; 8] {
    // SAFETY: `h` is 8 readable u16 (16 bytes); the load has no alignment requirement.
    let v = unsafe { _mm_loadu_si128(h.as_ptr().cast()) };
    let f = _mm256_cvtph_ps(v);
    let mut out = [0.0f32; 8];
    // SAFETY: `out` is 8 writable f32 (32 bytes); the store has no alignment requirement.
    unsafe { _mm256_storeu_ps(out.as_mut_ptr(), f) };
    out
}
