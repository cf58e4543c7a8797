//! 8-bit formats → f32 by table lookup with AVX-512 VBMI byte permutes, 64 codes a step.
//!
//! Every value of a format of 8 bits or fewer is an f32 whose low 16 bits are zero (at most
//! 4 mantissa bits), so the decode table ([`crate::round::decode_table`], the scalar core's
//! own) splits into two byte planes (f32 bits 31–24 and 23–16), each 256 bytes: four zmm
//! registers, looked up with two `vpermi2b` (7-bit index) and a blend on the code's top bit.
//! Two rounds of unpacking with zero then widen the byte pairs to f32; the codes are permuted
//! beforehand (one `vpermb`) so that the unpacks, which work within 128-bit lanes, leave the
//! results in order.

use core::arch::x86_64::*;
use core::sync::atomic::{AtomicU8, Ordering};

use crate::format::Format;
use crate::round::decode_table;

/// The two byte planes of `F`'s decode table, as constants.
struct Planes<F>(core::marker::PhantomData<F>);
impl<F: Format> Planes<F> {
    const TABLE: [u32; 256] = decode_table(&F::SPEC);
    const HI: [u8; 256] = plane(&Self::TABLE, 24);
    const LO: [u8; 256] = plane(&Self::TABLE, 16);
    /// Whether every entry has its low 16 bits zero (true for every format of ≤ 8 bits).
    const FITS: bool = low_bits_zero(&Self::TABLE);
}

const fn plane(t: &[u32; 256], shift: u32) -> [u8; 256] {
    let mut p = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        p[i] = (t[i] >> shift) as u8;
        i += 1;
    }
    p
}

const fn low_bits_zero(t: &[u32; 256]) -> bool {
    let mut i = 0;
    while i < 256 {
        if t[i] & 0xFFFF != 0 {
            return false;
        }
        i += 1;
    }
    true
}

/// Byte `16k + 4j + i` of the permuted block is code `16j + 4k + i`.
const PERM: [u8; 64] = {
    let mut p = [0u8; 64];
    let mut k = 0;
    while k < 4 {
        let mut j = 0;
        while j < 4 {
            let mut i = 0;
            while i < 4 {
                p[16 * k + 4 * j + i] = (16 * j + 4 * k + i) as u8;
                i += 1;
            }
            j += 1;
        }
        k += 1;
    }
    p
};

static VBMI: AtomicU8 = AtomicU8::new(0);

/// Whether the CPU has AVX-512 VBMI (detected once, cached).
pub(super) fn has_vbmi() -> bool {
    match VBMI.load(Ordering::Relaxed) {
        1 => false,
        2 => true,
        _ => {
            #[cfg(feature = "std")]
            let yes = std::arch::is_x86_feature_detected!("avx512vbmi");
            #[cfg(not(feature = "std"))]
            let yes = cfg!(target_feature = "avx512vbmi");
            VBMI.store(1 + yes as u8, Ordering::Relaxed);
            yes
        }
    }
}

/// Decode by table lookup where `F` has at most 8 bits and the CPU has VBMI; false otherwise
/// (then nothing was written). Compiled with AVX-512 F/BW, so that only code compiled with
/// them (the AVX-512 level, entered after its run-time check) calls it without `unsafe`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
pub(crate) fn decode<F: Format>(src: &[F], dst: &mut [f32]) -> bool {
    if F::SPEC.bits > 8 || !Planes::<F>::FITS || !has_vbmi() {
        return false;
    }
    // SAFETY: the CPU has AVX-512 VBMI (just checked) and AVX-512 F/BW (this function's
    // features, which its callers have).
    unsafe { decode_vbmi::<F>(src, dst) };
    true
}

/// Load 64 bytes.
#[inline]
#[target_feature(enable = "avx512f")]
fn load(t: &[u8]) -> __m512i {
    assert!(t.len() >= 64);
    // SAFETY: `t` has at least 64 readable bytes (just checked); no alignment requirement.
    unsafe { _mm512_loadu_si512(t.as_ptr().cast()) }
}

/// The four zmm registers of a 256-byte plane.
#[inline]
#[target_feature(enable = "avx512f")]
fn plane_regs(p: &[u8; 256]) -> [__m512i; 4] {
    [
        load(&p[0..]),
        load(&p[64..]),
        load(&p[128..]),
        load(&p[192..]),
    ]
}

/// Decode 64 codes with the planes `h` (f32 bits 31–24) and `l` (23–16).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn block(codes: &[u8; 64], out: &mut [f32; 64], h: &[__m512i; 4], l: &[__m512i; 4]) {
    let c = _mm512_permutexvar_epi8(load(&PERM), load(codes));
    let top = _mm512_movepi8_mask(c);
    let b3 = _mm512_mask_blend_epi8(
        top,
        _mm512_permutex2var_epi8(h[0], c, h[1]),
        _mm512_permutex2var_epi8(h[2], c, h[3]),
    );
    let b2 = _mm512_mask_blend_epi8(
        top,
        _mm512_permutex2var_epi8(l[0], c, l[1]),
        _mm512_permutex2var_epi8(l[2], c, l[3]),
    );
    let w_lo = _mm512_unpacklo_epi8(b2, b3);
    let w_hi = _mm512_unpackhi_epi8(b2, b3);
    let z = _mm512_setzero_si512();
    let q = [
        _mm512_unpacklo_epi16(z, w_lo),
        _mm512_unpackhi_epi16(z, w_lo),
        _mm512_unpacklo_epi16(z, w_hi),
        _mm512_unpackhi_epi16(z, w_hi),
    ];
    for (k, q) in q.into_iter().enumerate() {
        // SAFETY: `out` has 64 writable f32; `out[16k..16k + 16]` is 64 bytes.
        unsafe { _mm512_storeu_si512(out[16 * k..].as_mut_ptr().cast(), q) };
    }
}

#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn decode_vbmi<F: Format>(src: &[F], dst: &mut [f32]) {
    let h = plane_regs(&Planes::<F>::HI);
    let l = plane_regs(&Planes::<F>::LO);
    let mut s = src.chunks_exact(64);
    let mut d = dst.chunks_exact_mut(64);
    for (s, d) in (&mut s).zip(&mut d) {
        let codes: [u8; 64] = core::array::from_fn(|j| s[j].to_bits_u32() as u8);
        block(&codes, d.try_into().unwrap(), &h, &l);
    }
    let (s, d) = (s.remainder(), d.into_remainder());
    if !s.is_empty() {
        let codes: [u8; 64] =
            core::array::from_fn(|j| s.get(j).map_or(0, |x| x.to_bits_u32() as u8));
        let mut out = [0.0f32; 64];
        block(&codes, &mut out, &h, &l);
        d.copy_from_slice(&out[..d.len()]);
    }
}
