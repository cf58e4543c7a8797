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
    /// Whether the code this source is compiled into has per-lane variable shifts (every
    /// vector ISA but x86-64's baseline SSE2, which has to emulate them): the lanes' toward
    /// zero and stochastic rounding then shift the significand in the format's subnormal
    /// range, and otherwise take float operations instead ([`encode_lane_any`]'s `shifts`).
    const VARIABLE_SHIFTS: bool;
    /// The thresholds of one block.
    fn thresholds(self, z: u64) -> [u32; N];
}

/// The words in portable code.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Portable;

impl Words for Portable {
    const VARIABLE_SHIFTS: bool = !cfg!(target_arch = "x86_64") || cfg!(target_feature = "avx2");
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
        |x, nr| F::from_bits_u32(encode_lane_any::<F, MODE, SAT>(
            x.to_bits(),
            nr,
            W::VARIABLE_SHIFTS
        ))
    );
}

/// Where `src[i]` is ±∞, set `dst[i]` to `pos` or `neg` (P3109's SatPropagate, after the
/// saturating kernel has given ±∞ the SatFinite code): a scan without an early exit over
/// groups of 8·[`N`] elements, which vectorises at the caller's ISA width, then the rare groups
/// that hold an ∞, element by element.
#[inline(always)]
pub(crate) fn set_infinities<F: Format>(src: &[f32], dst: &mut [F], pos: F, neg: F) {
    let is_inf = |x: &f32| x.to_bits() & 0x7FFF_FFFF == 0x7F80_0000;
    for (d, x) in dst.chunks_mut(8 * N).zip(src.chunks(8 * N)) {
        // The minimum of |x|'s bits xor ∞'s: 0 iff one is ±∞ (a minimum, and an `and` and
        // an `xor` that fuse, per vector).
        let min = x.iter().fold(u32::MAX, |m, x| {
            m.min((x.to_bits() & 0x7FFF_FFFF) ^ 0x7F80_0000)
        });
        if min == 0 {
            for (d, x) in d.iter_mut().zip(x).filter(|(_, x)| is_inf(x)) {
                *d = if x.is_sign_negative() { neg } else { pos };
            }
        }
    }
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
fn round_trip<W: Words, F: Format, const MODE: u8, const SAT: bool>(x: f32, nr: u32) -> f32 {
    f32::from_bits(decode_lane::<F>(encode_lane_any::<F, MODE, SAT>(
        x.to_bits(),
        nr,
        W::VARIABLE_SHIFTS,
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
        |x, nr| round_trip::<W, F, MODE, SAT>(x, nr)
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
                block[k] = round_trip::<W, F, MODE, SAT>(block[k], nrs[k]);
            }
            z = z.wrapping_add(GAMMA_N);
        }
    } else {
        for x in body.iter_mut() {
            *x = round_trip::<W, F, MODE, SAT>(*x, 0);
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
            D::from_bits_u32(encode_lane_any::<D, MODE, SAT>(
                bits,
                nr,
                W::VARIABLE_SHIFTS,
            ))
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
        c[j] = encode_lane_any::<F, MODE, SAT>(s[j].to_bits(), nrs[j], W::VARIABLE_SHIFTS);
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

// ---------------------------------------------------------------------------------------------
// MX float elements: the block's exact scaling and the element rounding in one integer lane.

/// The constants of one MX block for the float element format `F` (OCP MX: element code =
/// `F`(Saturate(NearestEven(x · 2^-E))), value = decode(code) · 2^E): the element grid scaled by
/// 2^E, as [`mx_element_code`] and [`mx_element_value`] use it.
///
/// The lanes round |x| on its own `f32` binade, which holds one binade of the grid or lies in
/// the grid's subnormal range: true for every `f32` where the grid's smallest normal value is
/// at least 2^-126 ([`MxGrid::lanes_exact`]); a block whose E is smaller (a block of tiny
/// values, amax < 2^(emax − 126 − emin)) holds `f32` subnormals that span several grid
/// binades, and takes the two-step lanes (exact x · 2^-E, then the element encode).
#[derive(Clone, Copy, Debug)]
pub(crate) struct MxGrid {
    /// The scaled grid's subnormal spacing 2^S as S + 150 (S = emin − M + E): at an `f32`
    /// binade of biased exponent `ex` (≥ 1) that spacing is 2^(k − ex) ulps.
    k: i32,
    /// The biased `f32` exponent of the scaled grid's smallest normal value (emin + E + 127).
    tmin: i32,
    /// The bits of the largest element value times 2^E, at most `f32::MAX`'s (the product
    /// that overflows saturates, as the scalar `mul_saturating`).
    max_bits: u32,
}

impl MxGrid {
    /// The grid of a block with the shared exponent `e` (in [−127, 127], as the scale rules
    /// give it for a finite amax).
    #[inline(always)]
    pub(crate) fn new<F: Format>(e: i32) -> MxGrid {
        let s = F::SPEC;
        let m = s.mantissa_bits as i32;
        let emin = s.min_exponent();
        let max = decode_lane::<F>(s.max_code()) as i64;
        // max · 2^E is at least 2^-125 for every element format (E ≥ −127): a normal `f32`,
        // so adding E to its exponent field is the exact product, unless it overflows.
        let scaled = max + ((e as i64) << 23);
        MxGrid {
            k: emin - m + 150 + e,
            tmin: emin + 127 + e,
            max_bits: if scaled >= 0x7F80_0000 {
                0x7F7F_FFFF
            } else {
                scaled as u32
            },
        }
    }

    /// Whether [`mx_element_code`] and [`mx_element_value`] hold for every `f32` of the
    /// block: the grid's smallest normal value is at least 2^-126.
    #[inline(always)]
    pub(crate) fn lanes_exact(self) -> bool {
        self.tmin >= 1
    }
}

/// The rounding of |x| (finite, bits `a` without sign) to the grid: its biased exponent `ex`
/// and the count of grid steps `q` = NearestEven(|x| / step), the step being x's binade's
/// spacing on the grid, 2^d `f32` ulps (d = M's dropped bits in the normal range, more below
/// it); the step count of a carry is `q` = 2^(M+1) (normal) or 2^M (subnormal), both the next
/// code up, so that the code is linear in `q`. Integer arithmetic only: exact for every `f32`
/// including subnormals (which, where [`MxGrid::lanes_exact`] holds, lie in the grid's
/// subnormal range: one spacing for the whole `f32` subnormal binade), whatever FTZ/DAZ say.
#[inline(always)]
fn mx_grid_steps<F: Format>(a: u32, g: MxGrid) -> (i32, u32, u32) {
    let m = F::SPEC.mantissa_bits as i32;
    let ex = (a >> 23) as i32;
    // The binade's ulp is 2^(max(ex, 1) − 150); a shift by ≥ 25 leaves 0 of a 24-bit
    // significand (even a tie: 2^23 + 2^24 − 1 < 2^25), hence the clamp.
    let d = (g.k - ex.max(1)).clamp(23 - m, 25) as u32;
    let sig = (a & 0x007F_FFFF) | (((ex != 0) as u32) << 23);
    let half_less = (1u32 << d >> 1) - 1;
    let q = (sig + half_less + ((sig >> d) & 1)) >> d;
    (ex, q, d)
}

/// The `F` code (with sign) of x (`f32` bits `b`, finite) on the grid `g`:
/// `F`(Saturate(NearestEven(x · 2^-E))), the exact scaling and the rounding in one lane
/// (where [`MxGrid::lanes_exact`] holds).
#[inline(always)]
pub(crate) fn mx_element_code<F: Format>(b: u32, g: MxGrid) -> u32 {
    let s = F::SPEC;
    let (ex, q, _) = mx_grid_steps::<F>(b & 0x7FFF_FFFF, g);
    // Codes below the normal range are the step counts; from it on, the binades above the
    // smallest add 2^M each (a normal code is (binade << M) + 2^M + fraction = … + q).
    let code = ((((ex - g.tmin).max(0)) as u32) << s.mantissa_bits) + q;
    let code = if code < s.max_code() {
        code
    } else {
        s.max_code()
    };
    code | (((b >> 31) * s.sign_mask()) & s.sign_mask())
}

/// The `f32` bits of decode(code) · 2^E for the code of [`mx_element_code`]: x (bits `b`,
/// finite) rounded to the grid `g`, saturated at max · 2^E (and at `f32::MAX`), with x's sign
/// (where [`MxGrid::lanes_exact`] holds).
#[inline(always)]
pub(crate) fn mx_element_value<F: Format>(b: u32, g: MxGrid) -> u32 {
    let a = b & 0x7FFF_FFFF;
    let (ex, q, d) = mx_grid_steps::<F>(a, g);
    // q steps of 2^d ulps from the binade's start; a binade rounded down to nothing is 0
    // (only where the step exceeds the binade: d ≥ 24, never for an `f32` subnormal).
    let base = ((ex.max(1) - 1) as u32) << 23;
    let r = if q == 0 { 0 } else { base + (q << d) };
    let r = if r < g.max_bits { r } else { g.max_bits };
    r | (b & 0x8000_0000)
}

/// The `f32` bits of an MXINT8 element's value for x (bits `b`, finite, |x| at most the block's
/// amax) in a block of shared exponent `e`: the code q = clamp(NearestEven(x · 2^(6 − e)),
/// −127, 127) and its value q · 2^(e − 6), in one integer lane (no product, no float
/// operation on a subnormal: exact whatever FTZ/DAZ say). A code of 0 is +0, as the `i8` code
/// decodes (the sign of a zero is not kept). The step 2^(e − 6) is 2^d ulps of x's binade,
/// d ≥ 16 for every value of the block (e ≥ ⌊log2 amax⌋ by both scale rules); q ≤ 128 before
/// the clamp, and q · 2^(e − 6) is exact in `f32` (normal, or a multiple of 2^-149 below
/// 2^-126, as e − 6 ≥ −133).
#[inline(always)]
pub(crate) fn mx_int8_value(b: u32, e: i32) -> u32 {
    let a = b & 0x7FFF_FFFF;
    let ex = (a >> 23) as i32;
    // The step is 2^(e − 6) = 2^(k − 150); x's ulp is 2^(max(ex, 1) − 150). A shift by 25
    // or more leaves 0 (as in `mx_grid_steps`), hence the clamp.
    let d = (e + 144 - ex.max(1)).clamp(1, 25) as u32;
    let sig = (a & 0x007F_FFFF) | (((ex != 0) as u32) << 23);
    let half_less = (1u32 << d >> 1) - 1;
    let q = (sig + half_less + ((sig >> d) & 1)) >> d;
    let q = if q > 127 { 127 } else { q };
    // q · 2^(e − 6): the exact conversion of q, its exponent field moved by e − 6 where the
    // result is normal; below 2^-126 the bits are q · 2^(e − 6 + 149) (a shift of at most 22
    // there, as q < 2^7 and the result < 2^-126).
    let qf = (q as f32).to_bits() as i32;
    let normal = qf.wrapping_add((e - 6).wrapping_shl(23));
    let field = (qf >> 23) + e - 6;
    let sub = q << (e + 143).clamp(0, 31) as u32;
    let r = if q == 0 {
        0
    } else if field >= 1 {
        normal as u32
    } else {
        sub
    };
    r | if q == 0 { 0 } else { b & 0x8000_0000 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{F4E2M1FN, F6E2M3FN, F6E3M2FN, F8E4M3FN, F8E5M2};
    use crate::{Overflow, Rounding};

    /// The MX element lanes against the scalar core's formula, on every shared exponent whose
    /// grid takes them and on values of every binade that matters: the grid's ties (k + ½
    /// spacings), its saturation boundary, `f32` subnormals and the smallest normals, random
    /// bits. Reference: code = `F`(Saturate(NearestEven(x · 2^-E))) in `f64` (exact), value =
    /// decode(code) · 2^E in `f64`, saturated at `f32::MAX` (exact below it).
    fn lanes_are_the_formula<F: Format>() {
        let s = F::SPEC;
        let mut z = 0x1234_5678_9ABC_DEF0u64;
        let mut next = move || {
            z = z.wrapping_add(GAMMA);
            splitmix_high(z)
        };
        let mut checked = 0;
        for e in -127i32..=127 {
            let g = MxGrid::new::<F>(e);
            if !g.lanes_exact() {
                continue;
            }
            let scale = 2f64.powi(e);
            let step = 2f64.powi(s.min_exponent() - s.mantissa_bits as i32 + e);
            let max = f64::from(f32::from_bits(decode_lane::<F>(s.max_code()))) * scale;
            let mut xs: Vec<f32> = vec![0.0, -0.0, f32::MAX, f32::MIN_POSITIVE];
            for k in 0..64u32 {
                // Ties and neighbours on the subnormal spacing and in the normal binades.
                for v in [
                    (f64::from(k) + 0.5) * step,
                    (f64::from(k) + 0.5) * step * 2f64.powi((k % 9) as i32),
                    max * (1.0 + f64::from(k) / 256.0),
                    max / (1.0 + f64::from(k) / 64.0),
                ] {
                    let f = v as f32;
                    xs.extend([f, f32::from_bits(f.to_bits() + 1), -f]);
                    xs.push(f32::from_bits(f.to_bits().wrapping_sub(1)));
                }
                xs.push(f32::from_bits(next() & 0x807F_FFFF)); // subnormals
                xs.push(f32::from_bits(next() % 0x7F80_0000)); // any finite
                xs.push(f32::from_bits(0x0080_0000 + (next() & 0x00FF_FFFF)));
            }
            for &x in &xs {
                if !x.is_finite() {
                    continue;
                }
                let t = f64::from(x) / scale;
                let want = F::from_f64_with(t, Rounding::NearestEven, Overflow::Saturate);
                let code = mx_element_code::<F>(x.to_bits(), g);
                assert_eq!(code, want.to_bits_u32(), "{} e={e} x={x:e}", s.name);
                let v = f64::from(want.to_f32()) * scale;
                let v = if v.abs() > f64::from(f32::MAX) {
                    f32::MAX.copysign(v as f32)
                } else {
                    v as f32
                };
                let got = mx_element_value::<F>(x.to_bits(), g);
                assert_eq!(got, v.to_bits(), "{} e={e} x={x:e}", s.name);
                checked += 1;
            }
        }
        assert!(checked > 100_000, "{checked}");
    }

    /// The MXINT8 value lane against the formula in `f64` (exact): clamp(NearestEven(x ·
    /// 2^(6 − e)), ±127) · 2^(e − 6), +0 for a zero code; on every shared exponent, with
    /// values at most 2^(e + 1) (the blocks' bound), their ties, `f32` subnormals.
    #[test]
    fn mx_int8_lane_is_the_formula() {
        let mut z = 0x0F1E_2D3C_4B5A_6978u64;
        let mut next = move || {
            z = z.wrapping_add(GAMMA);
            splitmix_high(z)
        };
        let mut checked = 0;
        for e in -127i32..=127 {
            let step = 2f64.powi(e - 6);
            let top = 2f64.powi(e + 1);
            let mut xs: Vec<f32> = vec![0.0, -0.0, f32::from_bits(1)];
            for k in 0..300u32 {
                let kf = f64::from(k % 140);
                for v in [
                    (kf + 0.5) * step,
                    kf * step,
                    top * f64::from(next()) / 2f64.powi(33),
                ] {
                    let f = v as f32;
                    if f64::from(f).abs() < top && f.is_finite() {
                        xs.extend([f, -f, f32::from_bits(f.to_bits().wrapping_sub(1))]);
                        if f64::from(f32::from_bits(f.to_bits() + 1)) < top {
                            xs.push(f32::from_bits(f.to_bits() + 1));
                        }
                    }
                }
                let sub = f32::from_bits(next() & 0x807F_FFFF);
                if f64::from(sub.abs()) < top {
                    xs.push(sub);
                }
            }
            for &x in &xs {
                if !x.is_finite() || f64::from(x).abs() >= top {
                    continue;
                }
                let t = (f64::from(x) / step).clamp(-127.0, 127.0);
                let q = crate::round::round_half_even_f64(t);
                let want = if q == 0.0 { 0.0f32 } else { (q * step) as f32 };
                let got = mx_int8_value(x.to_bits(), e);
                assert_eq!(got, want.to_bits(), "e={e} x={x:e}");
                checked += 1;
            }
        }
        assert!(checked > 100_000, "{checked}");
    }

    #[test]
    fn mx_element_lanes_are_the_formula() {
        lanes_are_the_formula::<F8E4M3FN>();
        lanes_are_the_formula::<F8E5M2>();
        lanes_are_the_formula::<F6E2M3FN>();
        lanes_are_the_formula::<F6E3M2FN>();
        lanes_are_the_formula::<F4E2M1FN>();
    }
}
