//! AVX-512's stochastic words (as the lanes' thresholds): SplitMix64 (CONTRACT.md §3) on
//! eight 64-bit lanes, the high halves taken with one `vpermt2d` per 16 words.
//!
//! From the portable code LLVM emits the same multiplies (`vpmullq`) but narrows the 64-bit
//! lanes to their high halves with two shifts, two `vpmovqd` and an insert per 16 words;
//! here the high halves are one `vpermt2d`, and the threshold the lanes compare with one xor.

use crate::kernels::blocks::{Words, N};
use crate::kernels::lanes::{GAMMA, SPLITMIX_M1, SPLITMIX_M2};
use core::arch::x86_64::*;

/// The AVX2 level's words: the portable code (compiled with AVX2, whose 64-bit multiplies it
/// uses), with AVX2's per-lane variable shifts (`vpsrlvd`) for the lanes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2Words;

impl Words for Avx2Words {
    const VARIABLE_SHIFTS: bool = true;
    #[inline(always)]
    fn thresholds(self, z: u64) -> [u32; N] {
        crate::kernels::blocks::Portable.thresholds(z)
    }
}

/// A token that the CPU has AVX-512 F and DQ: only made by [`Avx512Words::new`], which only
/// code compiled with those features can call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512Words(());

impl Avx512Words {
    /// The token (callable without `unsafe` only where the features are enabled).
    #[target_feature(enable = "avx512f,avx512dq")]
    #[inline]
    pub(crate) fn new() -> Self {
        Avx512Words(())
    }
}

/// SplitMix64's mix of eight states, up to the last xor-shift.
#[target_feature(enable = "avx512f,avx512dq")]
#[inline]
fn mix(z: __m512i) -> __m512i {
    let z = _mm512_xor_si512(z, _mm512_srli_epi64::<30>(z));
    let z = _mm512_mullo_epi64(z, _mm512_set1_epi64(SPLITMIX_M1 as i64));
    let z = _mm512_xor_si512(z, _mm512_srli_epi64::<27>(z));
    _mm512_mullo_epi64(z, _mm512_set1_epi64(SPLITMIX_M2 as i64))
}

/// `k·γ` for the eight lanes `k = j, j + 1, …, j + 7`.
#[target_feature(enable = "avx512f")]
#[inline]
fn offsets(j: u64) -> __m512i {
    let o = |k: u64| (j + k).wrapping_mul(GAMMA) as i64;
    _mm512_setr_epi64(o(0), o(1), o(2), o(3), o(4), o(5), o(6), o(7))
}

/// The thresholds of the 16 elements with states `z + j·γ … z + (j + 15)·γ`.
#[target_feature(enable = "avx512f,avx512dq")]
#[inline]
fn sixteen(base: __m512i, j: u64) -> __m512i {
    let lo = mix(_mm512_add_epi64(base, offsets(j)));
    let hi = mix(_mm512_add_epi64(base, offsets(j + 8)));
    // The odd 32-bit halves (the high ones, little-endian) of lo, then of hi.
    let odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    let h = _mm512_permutex2var_epi32(lo, odd, hi);
    // The thresholds (`lanes::stochastic_threshold`): !(h ^ 1).
    _mm512_xor_si512(h, _mm512_set1_epi32(0xFFFF_FFFEu32 as i32))
}

const _: () = assert!(N == 32, "a block is two vectors of sixteen words");

#[target_feature(enable = "avx512f,avx512dq")]
#[inline]
fn block(z: u64) -> [u32; N] {
    let base = _mm512_set1_epi64(z as i64);
    let w = [sixteen(base, 0), sixteen(base, 16)];
    // SAFETY: two 64-byte vectors are 32 u32s (both plain data, any bits valid).
    unsafe { core::mem::transmute::<[__m512i; 2], [u32; N]>(w) }
}

impl Words for Avx512Words {
    const VARIABLE_SHIFTS: bool = true;
    #[inline(always)]
    fn thresholds(self, z: u64) -> [u32; N] {
        // SAFETY: the token exists, so the CPU has AVX-512 F and DQ (see `new`).
        unsafe { block(z) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::blocks::Portable;
    use crate::kernels::Level;

    /// The AVX-512 words are the portable ones (SplitMix64 as CONTRACT.md fixes it), for
    /// states across the whole u64 range.
    #[test]
    fn avx512_words_are_the_portable_ones() {
        if !Level::Avx512.is_available() {
            return;
        }
        #[target_feature(enable = "avx512f,avx512dq")]
        fn token() -> Avx512Words {
            Avx512Words::new()
        }
        // SAFETY: just checked that the CPU has the features.
        let w = unsafe { token() };
        let mut z = 0x0123_4567_89AB_CDEFu64;
        for _ in 0..10_000 {
            assert_eq!(w.thresholds(z), Portable.thresholds(z), "z = {z:#x}");
            z = z.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        }
        for z in [0, u64::MAX, GAMMA, GAMMA.wrapping_neg()] {
            assert_eq!(w.thresholds(z), Portable.thresholds(z), "z = {z:#x}");
        }
    }
}
