//! MX quantization and fake quantization with float elements (E4M3, E5M2, E2M3, E3M2, E2M1)
//! with AVX-512: one block of 32 elements is two zmm registers, held there from the amax to
//! the packed codes or the values.
//!
//! The drivers are `quant::fast`'s: chunks of 256 elements (8 blocks), the same shared
//! exponents ([`Rule::exponent`] of each block's amax, the magnitudes' largest bits, found for
//! the 8 blocks together by `nvfp4`'s transpose-reduce), the same grid per block and the same
//! per-element lanes as the portable `mx_element_code` / `mx_element_value`
//! (`kernels::blocks`), written here with AVX-512 integer instructions: the rounding of |x| on
//! its `f32` binade to the block's grid by variable shifts (`vpsrlvd`), the code or the value
//! from the step count. Integer operations only, so nothing here depends on FTZ/DAZ.
//!
//! Codes are packed in registers (VBMI's byte permutes) and stored straight to the output: a
//! block's FP8 codes are byte 0 of each lane, picked by one `vpermt2b`; FP4 codes are first
//! paired in 64-bit lanes (one shift), then picked the same way; FP6 codes a chunk at a time:
//! made bytes, merged into 24-bit lanes by two multiply-adds (`vpmaddubsw`, `vpmaddwd`), and
//! the three bytes of each lane gathered into three full registers.
//!
//! A chunk holding a block of tiny values (whose grid's smallest normal value is below 2^-126,
//! where the lanes would not be exact: the portable drivers take two steps there too) and the
//! last, partial chunk go through the portable lanes.

use core::arch::x86_64::*;

use crate::formats::F8E8M0FNU;
use crate::kernels::Level;
use crate::quant::fast::{self, Rule, CHUNK};
use crate::quant::mx::MX_BLOCK;
use crate::Format;

/// Blocks of a chunk.
const NB: usize = CHUNK / MX_BLOCK;

/// Bits of a magnitude from which on a value is not finite.
const INF: u32 = 0x7F80_0000;

/// Whether the kernels can run here: AVX-512 (F, BW, VL, DQ) and VBMI.
fn available() -> bool {
    Level::Avx512.is_available() && super::vbmi::has_vbmi()
}

/// MX quantization of consecutive blocks of 32 (the last may be shorter) with the float
/// element format `F` (arguments already checked, as `fast::mx_quantize` takes them for one
/// row: `scales` ⌈n / 32⌉ long, `elements` the packed bytes of n codes); `false` (nothing
/// written) where the CPU lacks AVX-512 or VBMI.
pub(crate) fn quantize<F: Format>(
    x: &[f32],
    rule: Rule,
    scales: &mut [F8E8M0FNU],
    elements: &mut [u8],
) -> bool {
    if !available() || !matches!(F::SPEC.bits, 4 | 6 | 8) {
        return false;
    }
    // SAFETY: the CPU has every feature the function enables (just checked).
    unsafe { quantize_avx512::<F>(x, rule, scales, elements) };
    true
}

/// MX fake quantization of consecutive blocks of 32 (the last may be shorter) with the float
/// element format `F` (arguments already checked); `false` (nothing written) where the CPU
/// lacks AVX-512 or VBMI.
pub(crate) fn fake<F: Format>(x: &[f32], rule: Rule, out: &mut [f32]) -> bool {
    if !available() || !matches!(F::SPEC.bits, 4 | 6 | 8) {
        return false;
    }
    // SAFETY: the CPU has every feature the function enables (just checked).
    unsafe { fake_avx512::<F>(x, rule, out) };
    true
}

/// One block's constants for the lanes (those of `kernels::blocks::MxGrid` for the block's
/// shared exponent), broadcast.
#[derive(Clone, Copy)]
struct Block {
    /// The grid's subnormal spacing 2^S as S + 150.
    k: __m512i,
    /// The biased `f32` exponent of the grid's smallest normal value.
    tmin: __m512i,
    /// The bits of max · 2^E, at most `f32::MAX`'s.
    max_bits: __m512i,
    /// All lanes, or none for a NaN block.
    keep: __mmask16,
}

/// The constants of a chunk's 8 blocks, block j's in lane 2j (broadcast a block at a time:
/// [`Self::get`]).
struct Params {
    k: [i32; 16],
    tmin: [i32; 16],
    max_bits: [i32; 16],
    keep: [i32; 16],
}

impl Params {
    /// Block `j`'s constants, broadcast.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,avx2,fma,f16c")]
    fn get(&self, j: usize) -> Block {
        Block {
            k: _mm512_set1_epi32(self.k[2 * j]),
            tmin: _mm512_set1_epi32(self.tmin[2 * j]),
            max_bits: _mm512_set1_epi32(self.max_bits[2 * j]),
            keep: if self.keep[2 * j] != 0 { 0xFFFF } else { 0 },
        }
    }
}

/// Store the 16 lanes of `v`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,avx2,fma,f16c")]
fn lanes(v: __m512i) -> [i32; 16] {
    let mut l = [0i32; 16];
    // SAFETY: `l` is 16 writable i32 (64 bytes); the store has no alignment requirement.
    unsafe { _mm512_storeu_si512(l.as_mut_ptr().cast(), v) };
    l
}

/// The scale codes (E + 127, or 0xFF for a NaN block) of the blocks of a chunk (`x`: 256
/// elements), written to `codes`, and their lanes' constants; `None` where a block is of tiny
/// values (not NaN, and its grid's smallest normal value below 2^-126), which the portable
/// lanes take.
///
/// The 8 blocks together, in the even lanes of one register: the amax by `nvfp4`'s
/// transpose-reduce; the shared exponent as `lane::mx_exponent` (⌊log2 amax⌋ and the fraction
/// from the bits, an `f32` subnormal amax normalised by the exact conversion of its bits as an
/// integer, which no FTZ/DAZ setting changes: the result is normal); the grid constants as
/// `MxGrid::new`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,avx2,fma,f16c")]
fn blocks<F: Format>(x: &[f32; CHUNK], rule: Rule, codes: &mut [u8; NB]) -> Option<Params> {
    let mut v = [_mm512_setzero_si512(); 16];
    for (v, xs) in v.iter_mut().zip(x.chunks_exact(16)) {
        *v = magnitudes(xs.try_into().unwrap());
    }
    // Lane j: half-block j's amax; then lane 2i: block i's.
    let h = super::nvfp4::amax16(&v);
    let a = _mm512_max_epu32(h, _mm512_srli_epi64::<32>(h));
    let s = F::SPEC;
    let m = s.mantissa_bits as i32;
    let emin = s.min_exponent();
    let max = F::from_bits_u32(s.max_code()).to_f32().to_bits();
    let set = _mm512_set1_epi32;
    let mant = set(0x007F_FFFF);
    // ⌊log2 a⌋ + 127 and the fraction (0 gives −149 − 127 + 127 and 0, set apart below).
    let sub = _mm512_cmplt_epu32_mask(a, set(0x0080_0000));
    let n = _mm512_castps_si512(_mm512_cvtepi32_ps(a));
    let biased = _mm512_mask_sub_epi32(
        _mm512_srli_epi32::<23>(a),
        sub,
        _mm512_srli_epi32::<23>(n),
        set(149),
    );
    let frac = _mm512_and_si512(_mm512_mask_mov_epi32(a, sub, n), mant);
    let l = _mm512_sub_epi32(biased, set(127));
    let e = if rule.round_up {
        let more = _mm512_cmpgt_epu32_mask(frac, set(rule.max_fraction as i32));
        let up = _mm512_sub_epi32(l, set(rule.max_log2));
        _mm512_mask_add_epi32(up, more, up, set(1))
    } else {
        _mm512_sub_epi32(l, set(rule.emax))
    };
    let e = _mm512_min_epi32(_mm512_max_epi32(e, set(-127)), set(127));
    let zero = _mm512_cmpeq_epi32_mask(a, _mm512_setzero_si512());
    let e = _mm512_mask_mov_epi32(e, zero, set(-127));
    let bad = _mm512_cmpge_epu32_mask(a, set(INF as i32));
    // An all-zero block takes a grid of a larger E, on which its zeros give the same codes
    // and values (as `fast::float_block`).
    let g = _mm512_mask_max_epi32(e, zero, e, set(1 - 127 - emin));
    let tmin = _mm512_add_epi32(g, set(emin + 127));
    let tiny = _mm512_cmplt_epi32_mask(tmin, set(1)) & !bad & 0x5555;
    if tiny != 0 {
        return None;
    }
    // max · 2^g: its exponent field moved (max · 2^-127 is still normal), saturated at
    // f32::MAX's bits (no bits lie between those and ∞'s).
    let scaled = _mm512_add_epi32(set(max as i32), _mm512_slli_epi32::<23>(g));
    let max_bits = _mm512_min_epu32(scaled, set(0x7F7F_FFFF));
    let scale = _mm512_mask_mov_epi32(_mm512_add_epi32(e, set(127)), bad, set(0xFF));
    // SAFETY: `codes` is 8 writable bytes; the store writes the low 8 bytes, unaligned.
    unsafe { _mm_storel_epi64(codes.as_mut_ptr().cast(), _mm512_cvtepi64_epi8(scale)) };
    Some(Params {
        k: lanes(_mm512_add_epi32(g, set(emin - m + 150))),
        tmin: lanes(tmin),
        max_bits: lanes(max_bits),
        keep: lanes(_mm512_maskz_mov_epi32(!bad, set(-1))),
    })
}

/// Chunks ahead that [`prefetch`] asks for.
const AHEAD: usize = 4;

/// Ask for the cache lines of chunk `i + AHEAD` of `x` (if there is one).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,avx2,fma,f16c")]
fn prefetch(x: &[f32], i: usize) {
    if let Some(c) = x.get((i + AHEAD) * CHUNK..(i + AHEAD + 1) * CHUNK) {
        for line in c.chunks_exact(16) {
            _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast());
        }
    }
}

/// The magnitudes' bits of 16 elements.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,avx2,fma,f16c")]
fn magnitudes(x: &[f32; 16]) -> __m512i {
    _mm512_and_si512(load(x), _mm512_set1_epi32(0x7FFF_FFFF))
}

/// The bits of 16 elements.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,avx2,fma,f16c")]
fn load(x: &[f32; 16]) -> __m512i {
    // SAFETY: `x` is 16 readable f32 (64 bytes); the load has no alignment requirement.
    unsafe { _mm512_loadu_si512(x.as_ptr().cast()) }
}

/// The rounding of 16 elements (bits `x`) to the block's grid, as `blocks::mx_grid_steps`:
/// their magnitudes' biased exponents, the step counts q = NearestEven(|x| / step) and the
/// steps' sizes d (2^d ulps of the binade).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,avx2,fma,f16c")]
fn steps<F: Format>(x: __m512i, blk: &Block) -> (__m512i, __m512i, __m512i, __m512i) {
    let m = F::SPEC.mantissa_bits as i32;
    let one = _mm512_set1_epi32(1);
    let a = _mm512_and_si512(x, _mm512_set1_epi32(0x7FFF_FFFF));
    let ex = _mm512_srli_epi32::<23>(a);
    let exm = _mm512_max_epi32(ex, one);
    // d = clamp(k − max(ex, 1), 23 − M, 25).
    let d = _mm512_sub_epi32(blk.k, exm);
    let d = _mm512_min_epi32(
        _mm512_max_epi32(d, _mm512_set1_epi32(23 - m)),
        _mm512_set1_epi32(25),
    );
    // The significand with its hidden bit: a − (max(ex, 1) − 1) · 2^23.
    let base = _mm512_slli_epi32::<23>(_mm512_sub_epi32(exm, one));
    let sig = _mm512_sub_epi32(a, base);
    // (1 << d >> 1) − 1 = 2^(d − 1) − 1 (d ≥ 20) as 0x7FFF_FFFF >> (32 − d).
    let half_less = _mm512_srlv_epi32(
        _mm512_set1_epi32(0x7FFF_FFFF),
        _mm512_sub_epi32(_mm512_set1_epi32(32), d),
    );
    let odd = _mm512_and_si512(_mm512_srlv_epi32(sig, d), one);
    let q = _mm512_srlv_epi32(_mm512_add_epi32(_mm512_add_epi32(sig, half_less), odd), d);
    (ex, base, q, d)
}

/// The `F` codes (with sign; 0 in a NaN block) of 16 elements (bits `x`), as
/// `blocks::mx_element_code`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,avx2,fma,f16c")]
fn codes16<F: Format>(x: __m512i, blk: &Block) -> __m512i {
    let s = F::SPEC;
    let (ex, _, q, _) = steps::<F>(x, blk);
    let t = _mm512_max_epi32(_mm512_sub_epi32(ex, blk.tmin), _mm512_setzero_si512());
    let code = _mm512_add_epi32(
        _mm512_sllv_epi32(t, _mm512_set1_epi32(s.mantissa_bits as i32)),
        q,
    );
    // Saturated at the largest code, and 0 in a NaN block; then the sign (of x < 0, not in
    // a NaN block).
    let code = _mm512_maskz_min_epu32(blk.keep, code, _mm512_set1_epi32(s.max_code() as i32));
    let neg = _mm512_movepi32_mask(x) & blk.keep;
    _mm512_mask_or_epi32(code, neg, code, _mm512_set1_epi32(s.sign_mask() as i32))
}

/// The `f32` bits of decode(code) · 2^E of 16 elements (bits `x`; NaN in a NaN block), as
/// `blocks::mx_element_value`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,avx2,fma,f16c")]
fn values16<F: Format>(x: __m512i, blk: &Block) -> __m512i {
    let (_, base, q, d) = steps::<F>(x, blk);
    // q steps of 2^d ulps from the binade's start; 0 where q = 0.
    let nonzero = _mm512_test_epi32_mask(q, q);
    let r = _mm512_maskz_add_epi32(nonzero, base, _mm512_sllv_epi32(q, d));
    let r = _mm512_min_epu32(r, blk.max_bits);
    let r = _mm512_or_si512(r, _mm512_and_si512(x, _mm512_set1_epi32(i32::MIN)));
    // A NaN block: every value NaN (f32::NAN's bits).
    let nan = _mm512_set1_epi32(f32::NAN.to_bits() as i32);
    _mm512_mask_mov_epi32(nan, blk.keep, r)
}

/// The byte indices for `vpermt2b` that pick a block's packed codes from its two registers
/// (after [`pair`]), for codes of `width` bits: FP8 byte 0 of each 32-bit lane, FP4 byte 0 of
/// each 64-bit lane; the first register's, then the second's (indices + 64); the rest of the
/// 64 bytes unused.
const fn pick(width: u32) -> [u8; 64] {
    let mut p = [0u8; 64];
    let mut i = 0;
    while i < 64 {
        let (reg, j) = if width == 4 {
            (i / 8, 8 * (i % 8))
        } else {
            (i / 16, 4 * (i % 16))
        };
        p[i] = if reg < 2 { (64 * reg + j) as u8 } else { 0 };
        i += 1;
    }
    p
}

/// The byte indices for `vpermt2b` that make output bytes 64t … 64t + 63 of a chunk's FP6
/// codes (row t) from registers t and t + 1 of 16 lanes of 24 bits (four codes each, the
/// lane's low three bytes): packed byte o is byte o mod 3 of lane (o mod 48) / 3 of register
/// o / 48.
const FP6_OUT: [[u8; 64]; 3] = [fp6_out(0), fp6_out(1), fp6_out(2)];

/// The indices of [`FP6_OUT`] for output register `t`.
const fn fp6_out(t: usize) -> [u8; 64] {
    let mut p = [0u8; 64];
    let mut i = 0;
    while i < 64 {
        let o = 64 * t + i;
        let (r, b) = (o / 48, o % 48);
        p[i] = (64 * (r - t) + 4 * (b / 3) + b % 3) as u8;
        i += 1;
    }
    p
}

/// The codes of 16 elements (one a 32-bit lane, below 2^width) drawn together for
/// [`pick`]: FP4 pairs in byte 0 of each 64-bit lane; FP8 codes as they are.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,avx2,fma,f16c")]
fn pair(c: __m512i, width: u32) -> __m512i {
    match width {
        // The odd code's bits 32.. move to 4.. (bits 32.. keep it: not picked).
        4 => _mm512_or_si512(c, _mm512_srli_epi64::<28>(c)),
        _ => c,
    }
}

/// The 256 FP6 codes of one chunk (`x`, its blocks' constants `prm`), packed into the
/// chunk's 192 bytes `out`: 64 codes at a time made bytes (two `vpermt2b` with `bytes`, the
/// FP8 [`pick`]), then pairs of bytes into 12 bits (`vpmaddubsw` by 1 and 64) and pairs of
/// those into 24 bits (`vpmaddwd` by 1 and 4096), and the 4 registers' low three bytes of each
/// lane into 3 full registers ([`FP6_OUT`]), stored whole.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,avx2,fma,f16c")]
fn fp6_chunk<F: Format>(x: &[f32; CHUNK], prm: &Params, bytes: __m512i, out: &mut [u8; 192]) {
    let mut m = [_mm512_setzero_si512(); 4];
    for (r, m) in m.iter_mut().enumerate() {
        let mut c = [_mm512_setzero_si512(); 4];
        for (h, c) in c.iter_mut().enumerate() {
            let j = 2 * r + h / 2;
            let xs: &[f32; 16] = x[16 * (4 * r + h)..][..16].try_into().unwrap();
            *c = codes16::<F>(load(xs), &prm.get(j));
        }
        let lo = _mm512_permutex2var_epi8(c[0], bytes, c[1]);
        let hi = _mm512_permutex2var_epi8(c[2], bytes, c[3]);
        let b = _mm512_inserti64x4::<1>(lo, _mm512_castsi512_si256(hi));
        let w = _mm512_maddubs_epi16(b, _mm512_set1_epi16(0x4001));
        *m = _mm512_madd_epi16(w, _mm512_set1_epi32(0x1000_0001));
    }
    for t in 0..3 {
        // SAFETY: `FP6_OUT[t]` is 64 readable bytes, no alignment requirement.
        let idx = unsafe { _mm512_loadu_si512(FP6_OUT[t].as_ptr().cast()) };
        let v = _mm512_permutex2var_epi8(m[t], idx, m[t + 1]);
        // SAFETY: `out[64t..64t + 64]` is 64 writable bytes; the store has no alignment
        // requirement.
        unsafe { _mm512_storeu_si512(out.as_mut_ptr().add(64 * t).cast(), v) };
    }
}

#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,avx2,fma,f16c")]
fn quantize_avx512<F: Format>(
    x: &[f32],
    rule: Rule,
    scales: &mut [F8E8M0FNU],
    elements: &mut [u8],
) {
    let width = F::SPEC.bits;
    let bb = MX_BLOCK * width as usize / 8; // bytes a block
    let whole = x.len() / CHUNK * CHUNK;
    let (xb, xt) = x.split_at(whole);
    let (sb, st) = scales.split_at_mut(whole / MX_BLOCK);
    let (pb, pt) = elements.split_at_mut(whole / MX_BLOCK * bb);
    // FP6 codes are made bytes first, as FP8 codes are picked.
    let pk = pick(if width == 6 { 8 } else { width });
    // SAFETY: `pk` is 64 readable bytes, no alignment requirement.
    let idx = unsafe { _mm512_loadu_si512(pk.as_ptr().cast()) };
    let chunks = xb.chunks_exact(CHUNK).zip(sb.chunks_exact_mut(NB));
    for (i, ((c, s), p)) in chunks.zip(pb.chunks_exact_mut(NB * bb)).enumerate() {
        prefetch(xb, i);
        let c: &[f32; CHUNK] = c.try_into().unwrap();
        let mut codes = [0u8; NB];
        let Some(prm) = blocks::<F>(c, rule, &mut codes) else {
            fast::mx_float_quantize_portable::<F>(c, rule, s, p);
            continue;
        };
        for (s, &v) in s.iter_mut().zip(&codes) {
            *s = F8E8M0FNU::from_bits(v);
        }
        if width == 6 {
            fp6_chunk::<F>(c, &prm, idx, p.try_into().unwrap());
            continue;
        }
        for (j, xs) in c.chunks_exact(MX_BLOCK).enumerate() {
            let blk = &prm.get(j);
            let lo = pair(codes16::<F>(load(xs[..16].try_into().unwrap()), blk), width);
            let hi = pair(codes16::<F>(load(xs[16..].try_into().unwrap()), blk), width);
            let packed = _mm512_castsi512_si256(_mm512_permutex2var_epi8(lo, idx, hi));
            let dst = p[j * bb..(j + 1) * bb].as_mut_ptr();
            if width == 4 {
                // SAFETY: `dst` starts 16 writable bytes (the block's); the store writes them,
                // unaligned.
                unsafe { _mm_storeu_si128(dst.cast(), _mm256_castsi256_si128(packed)) };
            } else {
                // SAFETY: `dst` starts 32 writable bytes (the block's); the store writes them,
                // unaligned.
                unsafe { _mm256_storeu_si256(dst.cast(), packed) };
            }
        }
    }
    fast::mx_float_quantize_portable::<F>(xt, rule, st, pt);
}

#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,avx2,fma,f16c")]
fn fake_avx512<F: Format>(x: &[f32], rule: Rule, out: &mut [f32]) {
    let whole = x.len() / CHUNK * CHUNK;
    let (xb, xt) = x.split_at(whole);
    let (ob, ot) = out.split_at_mut(whole);
    for (i, (c, o)) in xb
        .chunks_exact(CHUNK)
        .zip(ob.chunks_exact_mut(CHUNK))
        .enumerate()
    {
        prefetch(xb, i);
        let c: &[f32; CHUNK] = c.try_into().unwrap();
        let Some(prm) = blocks::<F>(c, rule, &mut [0u8; NB]) else {
            fast::mx_float_fake_portable::<F>(c, rule, o);
            continue;
        };
        for (j, (xs, os)) in c
            .chunks_exact(MX_BLOCK)
            .zip(o.chunks_exact_mut(MX_BLOCK))
            .enumerate()
        {
            let blk = &prm.get(j);
            for h in 0..2 {
                let xs: &[f32; 16] = xs[16 * h..16 * h + 16].try_into().unwrap();
                let v = values16::<F>(load(xs), blk);
                // SAFETY: `os[16h..16h + 16]` is 16 writable f32 (64 bytes); the store has
                // no alignment requirement.
                unsafe { _mm512_storeu_si512(os.as_mut_ptr().add(16 * h).cast(), v) };
            }
        }
    }
    fast::mx_float_fake_portable::<F>(xt, rule, ot);
}
