//! The microkernels of `lowp::gemm`'s 8-bit integer GEMM (`crate::gemm::int8`, which documents
//! the packed layout and proves them equal to the scalar model through its tests):
//!
//! - AVX-512 VNNI: `vpdpbusd`, four u8 × i8 products summed into each i32 lane, an 8×32
//!   block in 16 zmm accumulators;
//! - AVX2: the bytes widened to i16 and `vpmaddwd` (pairs of i16 products into i32, exact:
//!   `vpmaddubsw` would saturate u8·i8 pairs), 4×8 sub-blocks.
//!
//! Both wrap around modulo 2^32 on overflow, as the scalar model does.

use crate::gemm::int8::{Ukernel, MR, NR};
use crate::kernels::Level;
use core::arch::x86_64::*;

/// Bytes of one group (four k) of an A panel and of a B panel.
const GA: usize = MR * 4;
const GB: usize = NR * 4;

#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn vnni_tf(kg: usize, a: &[u8], b: &[i8], c: &mut [i32; MR * NR]) {
    let (a, b) = (&a[..kg * GA], &b[..kg * GB]);
    let mut acc = [[_mm512_setzero_si512(); 2]; MR];
    for (ag, bg) in a.chunks_exact(GA).zip(b.chunks_exact(GB)) {
        // SAFETY: `bg` holds GB = 128 bytes: two unaligned 64-byte loads inside it.
        let (b0, b1) = unsafe {
            (
                _mm512_loadu_si512(bg.as_ptr().cast()),
                _mm512_loadu_si512(bg.as_ptr().add(64).cast()),
            )
        };
        for (r, acc_r) in acc.iter_mut().enumerate() {
            let av = i32::from_le_bytes([ag[r * 4], ag[r * 4 + 1], ag[r * 4 + 2], ag[r * 4 + 3]]);
            let av = _mm512_set1_epi32(av);
            acc_r[0] = _mm512_dpbusd_epi32(acc_r[0], av, b0);
            acc_r[1] = _mm512_dpbusd_epi32(acc_r[1], av, b1);
        }
    }
    for (r, acc_r) in acc.iter().enumerate() {
        for (h, v) in acc_r.iter().enumerate() {
            let dst = &mut c[r * NR + h * 16..][..16];
            // SAFETY: `dst` holds 16 i32 = 64 bytes: one unaligned load and store inside it.
            unsafe {
                let old = _mm512_loadu_si512(dst.as_ptr().cast());
                _mm512_storeu_si512(dst.as_mut_ptr().cast(), _mm512_add_epi32(old, *v));
            }
        }
    }
}

#[target_feature(enable = "avx2")]
fn avx2_tf(kg: usize, a: &[u8], b: &[i8], c: &mut [i32; MR * NR]) {
    let (a, b) = (&a[..kg * GA], &b[..kg * GB]);
    for rq in 0..MR / 4 {
        for co in 0..NR / 8 {
            let mut acc = [[_mm256_setzero_si256(); 2]; 4];
            for (ag, bg) in a.chunks_exact(GA).zip(b.chunks_exact(GB)) {
                let bs = &bg[co * 32..][..32];
                // SAFETY: `bs` holds 32 bytes: one unaligned 32-byte load inside it.
                let raw = unsafe { _mm256_loadu_si256(bs.as_ptr().cast()) };
                // Columns 0–3 and 4–7 of the octet, four k each, as i16.
                let lo = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(raw));
                let hi = _mm256_cvtepi8_epi16(_mm256_extracti128_si256::<1>(raw));
                for (r, acc_r) in acc.iter_mut().enumerate() {
                    let o = (rq * 4 + r) * 4;
                    let av = i32::from_le_bytes([ag[o], ag[o + 1], ag[o + 2], ag[o + 3]]);
                    // The row's four a′ as i16, repeated in every 64-bit lane.
                    let a16 = _mm256_broadcastq_epi64(_mm_cvtepu8_epi16(_mm_cvtsi32_si128(av)));
                    acc_r[0] = _mm256_add_epi32(acc_r[0], _mm256_madd_epi16(a16, lo));
                    acc_r[1] = _mm256_add_epi32(acc_r[1], _mm256_madd_epi16(a16, hi));
                }
            }
            for (r, acc_r) in acc.iter().enumerate() {
                // Lane pairs hold the two halves of each column's sum: add them, and put the
                // columns back in order ([c0 c1 c4 c5 | c2 c3 c6 c7] → c0 … c7).
                let s = _mm256_hadd_epi32(acc_r[0], acc_r[1]);
                let s = _mm256_permute4x64_epi64::<0xD8>(s);
                let dst = &mut c[(rq * 4 + r) * NR + co * 8..][..8];
                // SAFETY: `dst` holds 8 i32 = 32 bytes: one unaligned load and store inside it.
                unsafe {
                    let old = _mm256_loadu_si256(dst.as_ptr().cast());
                    _mm256_storeu_si256(dst.as_mut_ptr().cast(), _mm256_add_epi32(old, s));
                }
            }
        }
    }
}

fn vnni(kg: usize, a: &[u8], b: &[i8], c: &mut [i32; MR * NR]) {
    // SAFETY: handed out by `ukernel` only after detecting AVX-512 F/BW and VNNI.
    unsafe { vnni_tf(kg, a, b, c) }
}

fn avx2(kg: usize, a: &[u8], b: &[i8], c: &mut [i32; MR * NR]) {
    // SAFETY: handed out by `ukernel` only after detecting AVX2.
    unsafe { avx2_tf(kg, a, b, c) }
}

/// Whether the CPU has AVX-512 VNNI.
fn has_vnni() -> bool {
    #[cfg(feature = "std")]
    {
        std::arch::is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(feature = "std"))]
    {
        cfg!(target_feature = "avx512vnni")
    }
}

/// The microkernel for kernel level `level` (`None`: the portable one). AVX-512 without VNNI
/// runs the AVX2 kernel.
pub(crate) fn ukernel(level: Level) -> Option<Ukernel> {
    match level {
        Level::Avx512 if Level::Avx512.is_available() && has_vnni() => Some(vnni),
        Level::Avx512 | Level::Avx2 if Level::Avx2.is_available() => Some(avx2),
        _ => None,
    }
}
