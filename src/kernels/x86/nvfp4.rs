//! NVFP4 quantization and fake quantization with AVX-512: one block of 16 elements is one
//! zmm register, its E2M1 codes found among its scale's row of edges by a three-step binary
//! search (`vpermd` picks each lane's next edge), its values by one `vpermd` from the row's
//! eight values, its codes packed two a byte by one 64-bit shift and `vpmovqb`.
//!
//! The drivers are `quant::fast`'s: the same chunks of 256 elements, the same block scale
//! codes ([`fast::nvfp4_block_scales`], compiled here for AVX-512) and the same rows
//! ([`NvRow`]: the 7 edges, each the smallest `f32` magnitude whose quotient by the block's
//! scale rounds past an E2M1 midpoint, exact from integer products; the 8 values decode(code)
//! · s). Only the per-element step differs from the portable lanes (which count the edges
//! |x| reaches one compare at a time): the count is the same, since the edges do not decrease
//! (c ≥ 4 iff |x| ≥ edge 3; then c ≥ b + 2 iff |x| ≥ edge b + 1; then c ≥ b + 1 iff |x| ≥
//! edge b). Integer compares and table lookups only: no floating-point operation per element,
//! so nothing here depends on FTZ/DAZ. The last, partial chunk goes through the portable
//! lanes. [`avx2`] has the same kernels for AVX2 (two ymm registers a block).

use core::arch::x86_64::*;

use crate::formats::F8E4M3FN;
use crate::kernels::Level;
use crate::quant::fast::{self, NvRow, NvRows, CHUNK};
use crate::quant::mx::NVFP4_BLOCK;

/// NVFP4 quantization of consecutive blocks of 16 (arguments already checked, as
/// `fast::nvfp4_quantize` takes them); `false` (nothing written) where the CPU lacks AVX-512.
pub(crate) fn quantize(x: &[f32], ts: f32, scales: &mut [F8E4M3FN], packed: &mut [u8]) -> bool {
    if !Level::Avx512.is_available() {
        return false;
    }
    // SAFETY: the CPU has every feature the function enables (just checked).
    unsafe { quantize_avx512(x, ts, scales, packed) };
    true
}

/// NVFP4 fake quantization of consecutive blocks of 16 with the tensor scale from the data
/// (`mx::nvfp4_tensor_scale`), returned (arguments already checked); `None` (nothing
/// written) where the CPU lacks AVX-512.
///
/// Two passes, as the tensor scale needs every element: the first finds the largest finite
/// magnitude and, while the data streams by, each whole chunk's 16 block amax, which it parks
/// in the first 16 elements of that chunk's output (as `f32` bits); the second reads them
/// back just before it overwrites them with the chunk's values.
pub(crate) fn fake_quantize(x: &[f32], out: &mut [f32]) -> Option<f32> {
    if !Level::Avx512.is_available() {
        return None;
    }
    // SAFETY: the CPU has every feature the function enables (just checked).
    Some(unsafe { fake_quantize_avx512(x, out) })
}

#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")]
fn quantize_avx512(x: &[f32], ts: f32, scales: &mut [F8E4M3FN], packed: &mut [u8]) {
    let mut rows = NvRows::new(ts);
    let whole = x.len() / CHUNK * CHUNK;
    let (xb, xt) = x.split_at(whole);
    let (sb, st) = scales.split_at_mut(whole / NVFP4_BLOCK);
    let (pb, pt) = packed.split_at_mut(whole / 2);
    let chunks = xb.chunks_exact(CHUNK).zip(sb.chunks_exact_mut(fast::NV_NB));
    for (k, ((c, s), p)) in chunks.zip(pb.chunks_exact_mut(CHUNK / 2)).enumerate() {
        prefetch(xb, k);
        let c: &[f32; CHUNK] = c.try_into().unwrap();
        let bs = fast::nvfp4_scales_of_amax(&block_amax(c), ts);
        let blocks = c.chunks_exact(NVFP4_BLOCK).zip(p.chunks_exact_mut(8));
        for ((xs, ps), (&b, so)) in blocks.zip(bs.iter().zip(s.iter_mut())) {
            *so = F8E4M3FN::from_bits(b);
            codes16(xs.try_into().unwrap(), rows.get(b), ps.try_into().unwrap());
        }
    }
    fast::nvfp4_quantize_tail(&mut rows, xt, st, pt);
}

#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")]
fn fake_quantize_avx512(x: &[f32], out: &mut [f32]) -> f32 {
    let whole = x.len() / CHUNK * CHUNK;
    let (xb, xt) = x.split_at(whole);
    let (ob, ot) = out.split_at_mut(whole);
    // The first pass: the finite amax (a maximum of the magnitudes' bits below ∞) and the
    // block amax.
    let mut fm = _mm512_setzero_si512();
    for (k, (c, o)) in xb
        .chunks_exact(CHUNK)
        .zip(ob.chunks_exact_mut(CHUNK))
        .enumerate()
    {
        prefetch(xb, k);
        let c: &[f32; CHUNK] = c.try_into().unwrap();
        let mut v = [_mm512_setzero_si512(); 16];
        for (v, xs) in v.iter_mut().zip(c.chunks_exact(NVFP4_BLOCK)) {
            *v = load16(xs.try_into().unwrap()).1;
            let finite = _mm512_cmplt_epu32_mask(*v, _mm512_set1_epi32(0x7F80_0000));
            fm = _mm512_mask_max_epu32(fm, finite, fm, *v);
        }
        // SAFETY: `o` is at least 16 writable f32 (64 bytes), no alignment requirement.
        unsafe { _mm512_storeu_si512(o.as_mut_ptr().cast(), amax16(&v)) };
    }
    let m = _mm512_reduce_max_epu32(fm).max(fast::finite_amax(xt).to_bits());
    let ts = crate::quant::mx::nvfp4_tensor_scale_of_amax(f32::from_bits(m));
    // The second pass.
    let mut rows = NvRows::new(ts);
    let ahead = ob.as_ptr() as usize;
    for (k, (c, o)) in xb
        .chunks_exact(CHUNK)
        .zip(ob.chunks_exact_mut(CHUNK))
        .enumerate()
    {
        prefetch(xb, k);
        prefetch_w(ahead, whole, k);
        let c: &[f32; CHUNK] = c.try_into().unwrap();
        let mut am = [0u32; fast::NV_NB];
        for (a, &v) in am.iter_mut().zip(&*o) {
            *a = v.to_bits();
        }
        let bs = fast::nvfp4_scales_of_amax(&am, ts);
        let blocks = c
            .chunks_exact(NVFP4_BLOCK)
            .zip(o.chunks_exact_mut(NVFP4_BLOCK));
        for ((xs, os), &b) in blocks.zip(&bs) {
            values16(xs.try_into().unwrap(), rows.get(b), os.try_into().unwrap());
        }
    }
    fast::nvfp4_fake_tail(&mut rows, xt, ot);
    ts
}

/// Chunks ahead that [`prefetch`] asks for.
const AHEAD: usize = 4;

/// Ask for the cache lines of chunk `k + AHEAD` of `x` (if there is one).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")]
fn prefetch(x: &[f32], k: usize) {
    if let Some(c) = x.get((k + AHEAD) * CHUNK..(k + AHEAD + 1) * CHUNK) {
        for line in c.chunks_exact(16) {
            _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast());
        }
    }
}

/// Ask for the cache lines of chunk `k + AHEAD` of the output (`len` f32 from the address
/// `out`; an address only, as the output is borrowed for writing), to be written.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")]
fn prefetch_w(out: usize, len: usize, k: usize) {
    if (k + AHEAD + 1) * CHUNK <= len {
        for line in 0..CHUNK / 16 {
            let a = out + ((k + AHEAD) * CHUNK + line * 16) * 4;
            _mm_prefetch::<_MM_HINT_ET0>(a as *const i8);
        }
    }
}

/// The amax bits of the 16 blocks of a chunk (the magnitudes' largest bits, as
/// `fast::block_amax` has them): each block one zmm, reduced together by halving — two
/// blocks' halves folded into one register (`vshufi32x4`), then two registers' quarters, then
/// pairs and single lanes within 128-bit lanes (`vpunpck*`, `vpshufd`) — and put in block
/// order by one `vpermd`: 47 instructions for the 16 horizontal maxima.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")]
fn block_amax(x: &[f32; CHUNK]) -> [u32; fast::NV_NB] {
    let mut v = [_mm512_setzero_si512(); 16];
    for (v, xs) in v.iter_mut().zip(x.chunks_exact(NVFP4_BLOCK)) {
        *v = load16(xs.try_into().unwrap()).1;
    }
    let mut am = [0u32; fast::NV_NB];
    // SAFETY: `am` is 16 writable u32 (64 bytes); the store has no alignment requirement.
    unsafe { _mm512_storeu_si512(am.as_mut_ptr().cast(), amax16(&v)) };
    am
}

/// The largest lane of each of the 16 registers `v` (unsigned), lane j from `v[j]`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")]
pub(super) fn amax16(v: &[__m512i; 16]) -> __m512i {
    // Quads (128-bit lanes) of c[i]: block 2i's 8 partial maxima, then block 2i + 1's.
    let mut c = [_mm512_setzero_si512(); 8];
    for (i, c) in c.iter_mut().enumerate() {
        let (a, b) = (v[2 * i], v[2 * i + 1]);
        *c = _mm512_max_epu32(
            _mm512_shuffle_i32x4::<0x44>(a, b),
            _mm512_shuffle_i32x4::<0xEE>(a, b),
        );
    }
    // Quad k of e[i]: block 4i + k's 4 partial maxima.
    let mut e = [_mm512_setzero_si512(); 4];
    for (i, e) in e.iter_mut().enumerate() {
        let (a, b) = (c[2 * i], c[2 * i + 1]);
        *e = _mm512_max_epu32(
            _mm512_shuffle_i32x4::<0x88>(a, b),
            _mm512_shuffle_i32x4::<0xDD>(a, b),
        );
    }
    // Quad k of g[i]: block 8i + k's 2 partial maxima, then block 8i + 4 + k's.
    let mut g = [_mm512_setzero_si512(); 2];
    for (i, g) in g.iter_mut().enumerate() {
        let (a, b) = (e[2 * i], e[2 * i + 1]);
        *g = _mm512_max_epu32(_mm512_unpacklo_epi64(a, b), _mm512_unpackhi_epi64(a, b));
    }
    // Each lane with its pair's other: quad k of m holds blocks k, k, 4 + k, 4 + k; of n,
    // blocks 8 + k, 8 + k, 12 + k, 12 + k; the blend: k, 8 + k, 4 + k, 12 + k.
    let m = _mm512_max_epu32(g[0], _mm512_shuffle_epi32::<0xB1>(g[0]));
    let n = _mm512_max_epu32(g[1], _mm512_shuffle_epi32::<0xB1>(g[1]));
    let l = _mm512_mask_blend_epi32(0xAAAA, m, n);
    // Block j's lane in l.
    let order = _mm512_setr_epi32(0, 4, 8, 12, 2, 6, 10, 14, 1, 5, 9, 13, 3, 7, 11, 15);
    _mm512_permutexvar_epi32(order, l)
}

/// The 16 elements' bits and their magnitudes' bits.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")]
fn load16(x: &[f32; NVFP4_BLOCK]) -> (__m512i, __m512i) {
    // SAFETY: `x` is 16 readable f32 (64 bytes); the load has no alignment requirement.
    let b = unsafe { _mm512_loadu_si512(x.as_ptr().cast()) };
    (b, _mm512_and_si512(b, _mm512_set1_epi32(0x7FFF_FFFF)))
}

/// The number of the row's edges that each magnitude `a` reaches (0 ..= 7): a binary search
/// over the non-decreasing edges, each lane's next edge picked by `vpermd`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")]
fn count(a: __m512i, r: &NvRow) -> __m512i {
    // SAFETY: `r.edge` is 8 readable i32 (32 bytes), no alignment requirement.
    let e = _mm512_castsi256_si512(unsafe { _mm256_loadu_si256(r.edge.as_ptr().cast()) });
    let one = _mm512_set1_epi32(1);
    let k = _mm512_cmpge_epi32_mask(a, _mm512_set1_epi32(r.edge[3]));
    let b = _mm512_maskz_mov_epi32(k, _mm512_set1_epi32(4));
    let k = _mm512_cmpge_epi32_mask(a, _mm512_permutexvar_epi32(_mm512_or_si512(b, one), e));
    let b = _mm512_mask_add_epi32(b, k, b, _mm512_set1_epi32(2));
    let k = _mm512_cmpge_epi32_mask(a, _mm512_permutexvar_epi32(b, e));
    _mm512_mask_add_epi32(b, k, b, one)
}

/// The E2M1 codes of one block (row `r`), packed two a byte (the first code in the low
/// nibble, as the crate's packer has it) into `out`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")]
fn codes16(x: &[f32; NVFP4_BLOCK], r: &NvRow, out: &mut [u8; 8]) {
    let (b, a) = load16(x);
    let c = _mm512_and_si512(count(a, r), _mm512_set1_epi32(r.keep as i32));
    let sign = _mm512_and_si512(
        _mm512_srli_epi32(b, 28),
        _mm512_set1_epi32(r.code_sign as i32),
    );
    let c = _mm512_or_si512(c, sign);
    // Each 64-bit lane holds two codes (< 16): the odd one's bits 32.. move down to 4..
    let pairs = _mm512_or_si512(c, _mm512_srli_epi64(c, 28));
    let bytes = _mm512_cvtepi64_epi8(pairs);
    // SAFETY: `out` is 8 writable bytes; the store writes the low 8 bytes, unaligned.
    unsafe { _mm_storel_epi64(out.as_mut_ptr().cast(), bytes) };
}

/// The values decode(code) · s of one block (row `r`), with x's sign, into `out`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")]
fn values16(x: &[f32; NVFP4_BLOCK], r: &NvRow, out: &mut [f32; NVFP4_BLOCK]) {
    let (b, a) = load16(x);
    // SAFETY: `r.value` is 8 readable u32 (32 bytes), no alignment requirement.
    let table = _mm512_castsi256_si512(unsafe { _mm256_loadu_si256(r.value.as_ptr().cast()) });
    let v = _mm512_permutexvar_epi32(count(a, r), table);
    let sign = _mm512_and_si512(b, _mm512_set1_epi32(r.value_sign as i32));
    let v = _mm512_or_si512(v, sign);
    // SAFETY: `out` is 16 writable f32 (64 bytes); the store has no alignment requirement.
    unsafe { _mm512_storeu_si512(out.as_mut_ptr().cast(), v) };
}

/// The same kernels with AVX2: a block is two ymm registers (`vpermd` over 8 lanes: the 8
/// edges and the 8 values fit one register each), compares by `vpcmpgtd` (magnitudes and
/// edges are below 2^31: the signed order is theirs), the codes packed by a 64-bit shift and a
/// byte shuffle, the block amax by a transpose-reduce over 128-bit lanes.
pub(crate) mod avx2 {
    use core::arch::x86_64::*;

    use crate::formats::F8E4M3FN;
    use crate::kernels::Level;
    use crate::quant::fast::{self, NvRow, NvRows, CHUNK};
    use crate::quant::mx::NVFP4_BLOCK;

    /// As [`super::quantize`], with AVX2; `false` (nothing written) where the CPU lacks it.
    pub(crate) fn quantize(x: &[f32], ts: f32, scales: &mut [F8E4M3FN], packed: &mut [u8]) -> bool {
        if !Level::Avx2.is_available() {
            return false;
        }
        // SAFETY: the CPU has every feature the function enables (just checked).
        unsafe { quantize_avx2(x, ts, scales, packed) };
        true
    }

    /// As [`super::fake_quantize`], with AVX2; `None` (nothing written) where the CPU lacks
    /// it.
    pub(crate) fn fake_quantize(x: &[f32], out: &mut [f32]) -> Option<f32> {
        if !Level::Avx2.is_available() {
            return None;
        }
        // SAFETY: the CPU has every feature the function enables (just checked).
        Some(unsafe { fake_quantize_avx2(x, out) })
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    fn quantize_avx2(x: &[f32], ts: f32, scales: &mut [F8E4M3FN], packed: &mut [u8]) {
        let mut rows = NvRows::new(ts);
        let whole = x.len() / CHUNK * CHUNK;
        let (xb, xt) = x.split_at(whole);
        let (sb, st) = scales.split_at_mut(whole / NVFP4_BLOCK);
        let (pb, pt) = packed.split_at_mut(whole / 2);
        let chunks = xb.chunks_exact(CHUNK).zip(sb.chunks_exact_mut(fast::NV_NB));
        for ((c, s), p) in chunks.zip(pb.chunks_exact_mut(CHUNK / 2)) {
            let c: &[f32; CHUNK] = c.try_into().unwrap();
            let (am, _) = block_amax(c);
            let bs = fast::nvfp4_scales_of_amax(&am, ts);
            let blocks = c.chunks_exact(NVFP4_BLOCK).zip(p.chunks_exact_mut(8));
            for ((xs, ps), (&b, so)) in blocks.zip(bs.iter().zip(s.iter_mut())) {
                *so = F8E4M3FN::from_bits(b);
                codes16(xs.try_into().unwrap(), rows.get(b), ps.try_into().unwrap());
            }
        }
        fast::nvfp4_quantize_tail(&mut rows, xt, st, pt);
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    fn fake_quantize_avx2(x: &[f32], out: &mut [f32]) -> f32 {
        let whole = x.len() / CHUNK * CHUNK;
        let (xb, xt) = x.split_at(whole);
        let (ob, ot) = out.split_at_mut(whole);
        // The first pass: the finite amax and the block amax, parked in the output.
        let mut fm = _mm256_setzero_si256();
        for (c, o) in xb.chunks_exact(CHUNK).zip(ob.chunks_exact_mut(CHUNK)) {
            let (am, f) = block_amax(c.try_into().unwrap());
            fm = _mm256_max_epu32(fm, f);
            for (o, &a) in o.iter_mut().zip(&am) {
                *o = f32::from_bits(a);
            }
        }
        let mut lanes = [0u32; 8];
        // SAFETY: `lanes` is 8 writable u32 (32 bytes), no alignment requirement.
        unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), fm) };
        let m = lanes
            .iter()
            .fold(fast::finite_amax(xt).to_bits(), |m, &v| m.max(v));
        let ts = crate::quant::mx::nvfp4_tensor_scale_of_amax(f32::from_bits(m));
        // The second pass.
        let mut rows = NvRows::new(ts);
        for (c, o) in xb.chunks_exact(CHUNK).zip(ob.chunks_exact_mut(CHUNK)) {
            let mut am = [0u32; fast::NV_NB];
            for (a, &v) in am.iter_mut().zip(&*o) {
                *a = v.to_bits();
            }
            let bs = fast::nvfp4_scales_of_amax(&am, ts);
            let blocks = c
                .chunks_exact(NVFP4_BLOCK)
                .zip(o.chunks_exact_mut(NVFP4_BLOCK));
            for ((xs, os), &b) in blocks.zip(&bs) {
                values16(xs.try_into().unwrap(), rows.get(b), os.try_into().unwrap());
            }
        }
        fast::nvfp4_fake_tail(&mut rows, xt, ot);
        ts
    }

    /// The bits and the magnitudes' bits of a block's two halves.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    fn load16(x: &[f32; NVFP4_BLOCK]) -> ([__m256i; 2], [__m256i; 2]) {
        // SAFETY: `x` is 16 readable f32 (64 bytes); the loads have no alignment requirement.
        let b = unsafe {
            [
                _mm256_loadu_si256(x.as_ptr().cast()),
                _mm256_loadu_si256(x.as_ptr().add(8).cast()),
            ]
        };
        let m = _mm256_set1_epi32(0x7FFF_FFFF);
        (b, [_mm256_and_si256(b[0], m), _mm256_and_si256(b[1], m)])
    }

    /// The amax bits of the 16 blocks of a chunk, and the lane-wise maxima of its finite
    /// magnitudes (below ∞; others count as 0). Per block one register of 8 partial maxima,
    /// then: two blocks' halves folded together (`vperm2i128`), pairs of 64 bits
    /// (`vpunpck*qdq`), pairs of lanes (`vpshufd`, a blend), and block order by `vpermd`.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    fn block_amax(x: &[f32; CHUNK]) -> ([u32; fast::NV_NB], __m256i) {
        let inf = _mm256_set1_epi32(0x7F80_0000);
        let mut f = _mm256_setzero_si256();
        let mut m = [_mm256_setzero_si256(); 16];
        for (m, xs) in m.iter_mut().zip(x.chunks_exact(NVFP4_BLOCK)) {
            let (_, a) = load16(xs.try_into().unwrap());
            *m = _mm256_max_epu32(a[0], a[1]);
            for a in a {
                f = _mm256_max_epu32(f, _mm256_and_si256(a, _mm256_cmpgt_epi32(inf, a)));
            }
        }
        // 128-bit lane 0 of c[i]: block 2i's 4 partial maxima; lane 1: block 2i + 1's.
        let mut c = [_mm256_setzero_si256(); 8];
        for (i, c) in c.iter_mut().enumerate() {
            let (a, b) = (m[2 * i], m[2 * i + 1]);
            *c = _mm256_max_epu32(
                _mm256_permute2x128_si256::<0x20>(a, b),
                _mm256_permute2x128_si256::<0x31>(a, b),
            );
        }
        // Lane 0 of e[i]: blocks 4i, 4i + 2 (2 partial maxima each); lane 1: 4i + 1, 4i + 3.
        let mut e = [_mm256_setzero_si256(); 4];
        for (i, e) in e.iter_mut().enumerate() {
            let (a, b) = (c[2 * i], c[2 * i + 1]);
            *e = _mm256_max_epu32(_mm256_unpacklo_epi64(a, b), _mm256_unpackhi_epi64(a, b));
        }
        // Lane 0 of r[i]: blocks 8i, 8i + 4, 8i + 2, 8i + 6; lane 1: 8i + 1, 8i + 5, 8i + 3,
        // 8i + 7 — put in order by one `vpermd` (its own inverse).
        let order = _mm256_setr_epi32(0, 4, 2, 6, 1, 5, 3, 7);
        let mut am = [0u32; fast::NV_NB];
        for (i, am) in am.chunks_exact_mut(8).enumerate() {
            let (g, h) = (e[2 * i], e[2 * i + 1]);
            let g = _mm256_max_epu32(g, _mm256_shuffle_epi32::<0xB1>(g));
            let h = _mm256_max_epu32(h, _mm256_shuffle_epi32::<0xB1>(h));
            let r = _mm256_blend_epi32::<0xAA>(g, h);
            let r = _mm256_permutevar8x32_epi32(r, order);
            // SAFETY: `am` is 8 writable u32 (32 bytes), no alignment requirement.
            unsafe { _mm256_storeu_si256(am.as_mut_ptr().cast(), r) };
        }
        (am, f)
    }

    /// The number of the row's edges (`e`, 8 lanes) that each magnitude `a` reaches: the
    /// binary search of [`super::count`].
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    fn count(a: __m256i, e: __m256i, e3: __m256i) -> __m256i {
        let one = _mm256_set1_epi32(1);
        // Lanes where a < edge: the search steps are taken where not.
        let b = _mm256_andnot_si256(_mm256_cmpgt_epi32(e3, a), _mm256_set1_epi32(4));
        let e1 = _mm256_permutevar8x32_epi32(e, _mm256_or_si256(b, one));
        let two = _mm256_set1_epi32(2);
        let b = _mm256_add_epi32(b, _mm256_andnot_si256(_mm256_cmpgt_epi32(e1, a), two));
        let e0 = _mm256_permutevar8x32_epi32(e, b);
        _mm256_add_epi32(b, _mm256_andnot_si256(_mm256_cmpgt_epi32(e0, a), one))
    }

    /// The row's edges as one register, and edge 3 in every lane.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    fn edges(r: &NvRow) -> (__m256i, __m256i) {
        // SAFETY: `r.edge` is 8 readable i32 (32 bytes), no alignment requirement.
        let e = unsafe { _mm256_loadu_si256(r.edge.as_ptr().cast()) };
        (e, _mm256_set1_epi32(r.edge[3]))
    }

    /// As [`super::codes16`], with AVX2.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    fn codes16(x: &[f32; NVFP4_BLOCK], r: &NvRow, out: &mut [u8; 8]) {
        let (b, a) = load16(x);
        let (e, e3) = edges(r);
        let keep = _mm256_set1_epi32(r.keep as i32);
        let sign = _mm256_set1_epi32(r.code_sign as i32);
        // Byte 0 and byte 8 of each 128-bit lane to its bytes 0 and 1.
        let gather = _mm256_setr_epi8(
            0, 8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, //
            0, 8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        );
        for h in 0..2 {
            let c = _mm256_and_si256(count(a[h], e, e3), keep);
            let c = _mm256_or_si256(c, _mm256_and_si256(_mm256_srli_epi32(b[h], 28), sign));
            // Each 64-bit lane holds two codes (< 16): the odd one's bits 32.. move to 4..
            let pairs = _mm256_or_si256(c, _mm256_srli_epi64(c, 28));
            let bytes = _mm256_shuffle_epi8(pairs, gather);
            let lo = _mm256_extract_epi16::<0>(bytes) as u16;
            let hi = _mm256_extract_epi16::<8>(bytes) as u16;
            out[4 * h..4 * h + 2].copy_from_slice(&lo.to_le_bytes());
            out[4 * h + 2..4 * h + 4].copy_from_slice(&hi.to_le_bytes());
        }
    }

    /// As [`super::values16`], with AVX2.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    fn values16(x: &[f32; NVFP4_BLOCK], r: &NvRow, out: &mut [f32; NVFP4_BLOCK]) {
        let (b, a) = load16(x);
        let (e, e3) = edges(r);
        // SAFETY: `r.value` is 8 readable u32 (32 bytes), no alignment requirement.
        let table = unsafe { _mm256_loadu_si256(r.value.as_ptr().cast()) };
        let sign = _mm256_set1_epi32(r.value_sign as i32);
        for h in 0..2 {
            let v = _mm256_permutevar8x32_epi32(table, count(a[h], e, e3));
            let v = _mm256_or_si256(v, _mm256_and_si256(b[h], sign));
            // SAFETY: `out[8h..8h + 8]` is 8 writable f32 (32 bytes), no alignment requirement.
            unsafe { _mm256_storeu_si256(out.as_mut_ptr().add(8 * h).cast(), v) };
        }
    }
}
