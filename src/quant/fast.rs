//! The quantizers' fast drivers: the scaled-float, MX and NVFP4 quantizers run through the
//! conversions' lanes ([`crate::kernels::scaled`]) in loops ([`Job`]s) compiled for the widest
//! instruction set the CPU has, instead of one scalar-core call per element.
//!
//! Same bits as the per-element formulas of `scaled` and `mx`, which stay as the reference:
//! they run where the active kernel level is [`Level::Scalar`] (and for the layouts that have
//! no fast driver: MX blocks along a non-last axis, MX block sizes other than 32), and
//! `tests/quant_fast.rs` compares every level with them.
//!
//! The MX and NVFP4 drivers work on chunks of [`CHUNK`] consecutive elements; the last chunk
//! runs zero-padded (a zero changes no block's amax, and encodes to code 0, the value packed
//! storage wants in unused bits). A block's amax is a maximum of the magnitudes' bits (for
//! finite values the order of the floats, NaN or ∞ above every finite one).
//! - MX float elements, a block at a time: the amax, the shared exponent and the block's grid
//!   ([`MxGrid`]), then one fused integer lane per element ([`mx_element_code`],
//!   [`mx_element_value`]): the exact scaling by 2^-E and the element rounding in one step, the
//!   round trip without codes, decode or product. Blocks of tiny values (E below the grid's
//!   limit, [`MxGrid::lanes_exact`]) take x · 2^-E, the encode lane, the decode lane and the
//!   product instead; so does MXINT8 quantization. MXINT8 fake quantization is float lanes
//!   that FTZ/DAZ cannot change for E ≥ [`INT8_FLOAT_MIN_E`] ([`int8_float_values`]: two
//!   products by powers of two and a rounding to an integer), one integer lane per element
//!   below ([`mx_int8_value`]: the code q and its exact value q · 2^(E − 6)).
//! - NVFP4, a chunk at a time: every block's amax, then its scale code (branch-free: the lanes
//!   vectorise across the 16 blocks); then each block's elements from the row of its scale
//!   code ([`NvRow`], computed once per code and call: the code depends on the block scale and
//!   the tensor scale only): the E2M1 code of x / s is the number of the row's 7 edges that
//!   |x| reaches (`f32` magnitudes order as their bits), each edge the smallest `f32` whose
//!   quotient rounds past an E2M1 midpoint, exact from integer products ([`nv_edge`]); the
//!   value decode(code) · s is the row's saturating product for that code. No division and no
//!   product per element. At the AVX-512 and AVX2 levels `kernels::x86::nvfp4` does the same
//!   with one register per block (two with AVX2: a binary search over the edges, table
//!   lookups by `vpermd`).
//!   At the AVX-512 level (with VBMI) `kernels::x86::mx` does the same for the float element
//!   formats with a block in two registers: the 8 blocks' amax, shared exponents and grids
//!   together, the same integer lanes, the codes packed in registers (one `vpermt2b` a
//!   block) and stored straight to the output; chunks with a block of tiny values and the
//!   last, partial chunk by the portable lanes here ([`mx_float_quantize_portable`],
//!   [`mx_float_fake_portable`]).
//! - Element codes are held one a byte and packed by the crate's byte packer
//!   ([`crate::packing::pack_bytes`], the one packer's bytes).
//!
//! The steps that a later rule may change are each one function of the lanes:
//! [`lane::quotients`] (x / scale) and [`lane::products`] (decode · scale), which give the
//! default environment's bits whatever FTZ/DAZ say (CONTRACT.md §14) by redoing exactly the
//! rare lanes whose operands or results are subnormal.

use super::mx::{MxFormat, MxScaleRule, MX_BLOCK, NVFP4_BLOCK};
use super::{Plan, Run};
use crate::formats::{F4E2M1FN, F6E2M3FN, F6E3M2FN, F8E4M3FN, F8E5M2, F8E8M0FNU};
use crate::kernels::blocks::{mx_element_code, mx_element_value, mx_int8_value, MxGrid};
use crate::kernels::scaled::{self as lane, run, Job};
use crate::kernels::{self, Level};
use crate::Format;
use core::marker::PhantomData;

/// Whether the fast drivers run: not where the active kernel level is [`Level::Scalar`] (the
/// reference).
pub(crate) fn enabled() -> bool {
    kernels::active_level() != Level::Scalar
}

/// Elements per chunk of the MX and NVFP4 drivers (whole blocks, and a multiple of 4 so
/// that every chunk starts on a byte of packed FP6 or FP4 storage).
pub(crate) const CHUNK: usize = 256;

/// Bits of a magnitude from which on a value is not finite.
const INF: u32 = 0x7F80_0000;

// ---------------------------------------------------------------------------------------------
// amax.

/// The largest magnitude's bits over the non-NaN values (an integer maximum: for finite values
/// and ∞ the order of the floats).
struct AmaxBits<'a> {
    x: &'a [f32],
    out: &'a mut u32,
}

impl Job for AmaxBits<'_> {
    #[inline(always)]
    fn run(self) {
        let mut m = 0u32;
        for &v in self.x {
            let a = v.to_bits() & 0x7FFF_FFFF;
            let a = if a > INF { 0 } else { a }; // NaN: skipped
            m = if a > m { a } else { m };
        }
        *self.out = m;
    }
}

/// The largest finite magnitude's bits (a maximum over the bits of the values below ∞;
/// NaN and ±∞ skipped), for the NVFP4 tensor scale.
struct FiniteAmaxBits<'a> {
    x: &'a [f32],
    out: &'a mut u32,
}

impl Job for FiniteAmaxBits<'_> {
    #[inline(always)]
    fn run(self) {
        let mut m = 0u32;
        for &v in self.x {
            let a = v.to_bits() & 0x7FFF_FFFF;
            let a = if a >= INF { 0 } else { a };
            m = m.max(a);
        }
        *self.out = m;
    }
}

/// The largest finite |x| (+0 for none): the amax of `mx::nvfp4_tensor_scale`.
pub(crate) fn finite_amax(x: &[f32]) -> f32 {
    let mut m = 0;
    run(FiniteAmaxBits { x, out: &mut m });
    f32::from_bits(m)
}

/// The largest |x| over the non-NaN values (+0 for none; ∞ if there is one): the value of
/// `scaled::amax`.
pub(crate) fn amax(x: &[f32]) -> f32 {
    let mut m = 0;
    run(AmaxBits { x, out: &mut m });
    f32::from_bits(m)
}

// ---------------------------------------------------------------------------------------------
// Scaled floats: q = Saturate(NearestEven(x / scale)), x' = decode(q) · scale.

/// `out[i]` = q(`x[i]`, `scales[i / block]`): runs of one scale.
struct ScaledRuns<'a, F> {
    x: &'a [f32],
    scales: &'a [f32],
    block: usize,
    out: &'a mut [F],
}

impl<F: Format> Job for ScaledRuns<'_, F> {
    #[inline(always)]
    fn run(self) {
        if self.block == 32 {
            // The common block: a loop of fixed length (no remainder loop per block).
            let whole = self.x.len() / 32 * 32;
            let (xb, xt) = self.x.split_at(whole);
            let (ob, ot) = self.out.split_at_mut(whole);
            let blocks = xb.chunks_exact(32).zip(ob.chunks_exact_mut(32));
            for ((xc, oc), &s) in blocks.zip(self.scales) {
                let mut q = [0f32; 32];
                lane::quotients(xc, s, &mut q);
                for (o, &q) in oc.iter_mut().zip(&q) {
                    *o = F::from_bits_u32(lane::encode_quotient::<F>(q));
                }
            }
            if let Some(&s) = self.scales.get(whole / 32) {
                scaled_run(xt, s, ot);
            }
            return;
        }
        let runs = self
            .x
            .chunks(self.block)
            .zip(self.out.chunks_mut(self.block));
        for ((xc, oc), &s) in runs.zip(self.scales) {
            scaled_run(xc, s, oc);
        }
    }
}

/// `out[i]` = q(`x[i]`, `s`), [`lane::RUN`] elements at a time.
#[inline(always)]
fn scaled_run<F: Format>(x: &[f32], s: f32, out: &mut [F]) {
    let mut q = [0f32; lane::RUN];
    for (xc, oc) in x.chunks(lane::RUN).zip(out.chunks_mut(lane::RUN)) {
        let q = &mut q[..xc.len()];
        lane::quotients(xc, s, q);
        for (o, &q) in oc.iter_mut().zip(q.iter()) {
            *o = F::from_bits_u32(lane::encode_quotient::<F>(q));
        }
    }
}

/// `out[i]` = q(`x[i]`, `scales[i]`).
struct ScaledEach<'a, F> {
    x: &'a [f32],
    scales: &'a [f32],
    out: &'a mut [F],
}

impl<F: Format> Job for ScaledEach<'_, F> {
    #[inline(always)]
    fn run(self) {
        let mut q = [0f32; lane::RUN];
        let runs = self.x.chunks(lane::RUN).zip(self.scales.chunks(lane::RUN));
        for ((xc, sc), oc) in runs.zip(self.out.chunks_mut(lane::RUN)) {
            let q = &mut q[..xc.len()];
            lane::quotients_each(xc, sc, q);
            for (o, &q) in oc.iter_mut().zip(q.iter()) {
                *o = F::from_bits_u32(lane::encode_quotient::<F>(q));
            }
        }
    }
}

/// Scaled-float quantization over a plan (arguments already checked).
pub(crate) fn scaled_quantize<F: Format>(plan: &Plan, x: &[f32], scales: &[f32], out: &mut [F]) {
    if plan.len == 0 {
        return;
    }
    if let (Some(block), false, 1) = (plan.block, plan.per_tensor, plan.inner) {
        // Blocked along the last axis: a row at a time (one call, not one per block).
        let nb = plan.blocks_along_axis();
        let rows = x.chunks(plan.dim).zip(out.chunks_mut(plan.dim));
        for ((x, out), scales) in rows.zip(scales.chunks(nb)) {
            run(ScaledRuns {
                x,
                scales,
                block,
                out,
            });
        }
        return;
    }
    plan.for_each_run(|start, n, r| {
        let (x, out) = (&x[start..start + n], &mut out[start..start + n]);
        match r {
            Run::Uniform(i) => run(ScaledRuns {
                x,
                scales: &scales[i..i + 1],
                block: n,
                out,
            }),
            Run::Each(i0) => run(ScaledEach {
                x,
                scales: &scales[i0..i0 + n],
                out,
            }),
        }
    });
}

// ---------------------------------------------------------------------------------------------
// MX.

/// An MX element format as the lanes see it.
trait MxElem {
    /// The scale is 2^E; the element code is that of x · 2^(OFFSET − E) (MXINT8 counts in
    /// units of 2^-6) and its value decode(code) · 2^(E − OFFSET).
    const OFFSET: i32;
    /// Bits of an element code in packed storage (a constant, so that the packer's loops
    /// are compiled for it).
    const WIDTH: u32;
    /// The element code of x · 2^k (`f32` bits `b`).
    fn code(b: u32, k: i32) -> u32;
    /// decode(code), the value before the scale 2^(E − OFFSET).
    fn decoded(code: u32) -> f32;
    /// One chunk of MX quantization: element codes into `codes`, the scale codes returned.
    /// By default the two steps per element: the exact x · 2^(OFFSET − E), then [`Self::code`].
    #[inline(always)]
    fn codes_chunk(x: &[f32; CHUNK], rule: Rule, codes: &mut [u8; CHUNK]) -> [u8; MX_NB] {
        mx_codes_chunk::<Self>(x, rule, codes)
    }
    /// One chunk of MX fake quantization. By default [`Self::code`], [`Self::decoded`] and the
    /// product by the scale.
    #[inline(always)]
    fn values_chunk(x: &[f32; CHUNK], rule: Rule, out: &mut [f32; CHUNK]) {
        mx_values_chunk::<Self>(x, rule, out)
    }
}

/// A float element format.
struct FloatElem<F>(PhantomData<F>);

impl<F: Format> MxElem for FloatElem<F> {
    const OFFSET: i32 = 0;
    const WIDTH: u32 = F::SPEC.bits;
    #[inline(always)]
    fn code(b: u32, k: i32) -> u32 {
        lane::encode_saturate::<F>(lane::mul_pow2_bits(b, k))
    }
    #[inline(always)]
    fn decoded(code: u32) -> f32 {
        lane::decode::<F>(code)
    }
    /// The scaling and the element rounding fused in one integer lane per element
    /// ([`mx_element_code`]), the blocks of tiny values (rare) by the two steps.
    #[inline(always)]
    fn codes_chunk(x: &[f32; CHUNK], rule: Rule, codes: &mut [u8; CHUNK]) -> [u8; MX_NB] {
        let mut scales = [0u8; MX_NB];
        let blocks = x
            .chunks_exact(MX_BLOCK)
            .zip(codes.chunks_exact_mut(MX_BLOCK));
        for ((xs, cs), sc) in blocks.zip(scales.iter_mut()) {
            let b = float_block::<F>(xs, rule);
            *sc = b.scale;
            if b.fused {
                for (c, &v) in cs.iter_mut().zip(xs) {
                    let code = mx_element_code::<F>(v.to_bits(), b.grid);
                    *c = if b.bad { 0 } else { code } as u8;
                }
            } else {
                for (c, &v) in cs.iter_mut().zip(xs) {
                    *c = Self::code(v.to_bits(), -b.e) as u8;
                }
            }
        }
        scales
    }
    /// The round trip fused in one integer lane per element ([`mx_element_value`]: no codes,
    /// no decode, no multiplication), the blocks of tiny values (rare) by the two steps.
    #[inline(always)]
    fn values_chunk(x: &[f32; CHUNK], rule: Rule, out: &mut [f32; CHUNK]) {
        let blocks = x.chunks_exact(MX_BLOCK).zip(out.chunks_exact_mut(MX_BLOCK));
        for (xs, os) in blocks {
            let b = float_block::<F>(xs, rule);
            if b.fused {
                for (o, &v) in os.iter_mut().zip(xs) {
                    let r = mx_element_value::<F>(v.to_bits(), b.grid);
                    *o = f32::from_bits(if b.bad { f32::NAN.to_bits() } else { r });
                }
            } else {
                let mut v = [0f32; MX_BLOCK];
                for (v, &x) in v.iter_mut().zip(xs) {
                    *v = Self::decoded(Self::code(x.to_bits(), -b.e));
                }
                lane::products(&v, lane::pow2_f32(b.e), os);
            }
        }
    }
}

/// One MX block for the float element format `F`: its scale code, shared exponent, grid,
/// whether it is a NaN block, and whether it takes the fused lanes (every block but those
/// of tiny values: [`MxGrid::lanes_exact`]).
struct FloatBlock {
    scale: u8,
    e: i32,
    grid: MxGrid,
    bad: bool,
    fused: bool,
}

/// The [`FloatBlock`] of the 32 values `xs`: their amax (one maximum reduction of the
/// magnitudes' bits, inside the loop over blocks whose body holds the element loops, so
/// that LLVM vectorises it within the block rather than across blocks with gathers), then
/// the scalar block parameters. An all-zero block (E = −127) takes a grid of a larger E, on
/// which its zeros give the same codes and values, and the fused lanes.
#[inline(always)]
fn float_block<F: Format>(xs: &[f32], rule: Rule) -> FloatBlock {
    let mut am = 0u32;
    for &v in xs {
        am = am.max(v.to_bits() & 0x7FFF_FFFF);
    }
    let e = rule.exponent(am);
    let bad = am >= INF;
    let zero_e = 1 - 127 - F::SPEC.min_exponent();
    let grid = MxGrid::new::<F>(if am == 0 { e.max(zero_e) } else { e });
    FloatBlock {
        scale: if bad { 0xFF } else { (e + 127) as u8 },
        e,
        grid,
        bad,
        fused: grid.lanes_exact() | bad,
    }
}

/// MXINT8.
struct Int8Elem;

impl MxElem for Int8Elem {
    const OFFSET: i32 = 6;
    const WIDTH: u32 = 8;
    #[inline(always)]
    fn code(b: u32, k: i32) -> u32 {
        lane::mx_int8_code(b, k)
    }
    #[inline(always)]
    fn decoded(code: u32) -> f32 {
        code as u8 as i8 as f32
    }
    /// The round trip a block at a time: for E ≥ [`INT8_FLOAT_MIN_E`] (every block but those
    /// of tiny values) by [`int8_float_values`] (two exact products by powers of two and a
    /// rounding to an integer, all on normal numbers or to zero), else in one integer lane
    /// per element ([`mx_int8_value`]: the code and its value q · 2^(E − 6) without decode
    /// or product).
    #[inline(always)]
    fn values_chunk(x: &[f32; CHUNK], rule: Rule, out: &mut [f32; CHUNK]) {
        let blocks = x.chunks_exact(MX_BLOCK).zip(out.chunks_exact_mut(MX_BLOCK));
        for (xs, os) in blocks {
            let mut am = 0u32;
            for &v in xs {
                am = am.max(v.to_bits() & 0x7FFF_FFFF);
            }
            let e = rule.exponent(am);
            if am >= INF {
                os.fill(f32::NAN);
            } else if e >= INT8_FLOAT_MIN_E {
                int8_float_values(xs, e, os);
            } else {
                for (o, &v) in os.iter_mut().zip(xs) {
                    *o = f32::from_bits(mx_int8_value(v.to_bits(), e));
                }
            }
        }
    }
}

/// The least shared exponent E for which [`int8_float_values`] gives the bits of
/// [`mx_int8_value`] whatever FTZ/DAZ say: from it on 2^(6 − E) and 2^(E − 6) are normal
/// (E ≤ 127 gives 2^(6 − E) ≥ 2^-121), a non-zero result q · 2^(E − 6) ≥ 2^-125 is normal,
/// and an `f32` subnormal x (which DAZ reads as ±0) has |x| · 2^(6 − E) < 2^-126 · 2^125 = ½,
/// which rounds to 0 all the same (as does a tiny product that FTZ flushes).
const INT8_FLOAT_MIN_E: i32 = -119;

/// MXINT8 values of one block (finite, shared exponent `e` ≥ [`INT8_FLOAT_MIN_E`]): q =
/// NearestEven(clamp(x · 2^(6 − e), ±127)) (the clamp before the rounding gives the same q as
/// after it: 127 < |r| < 127.5 rounds to 127), by adding and subtracting 1.5 · 2^23 (exact
/// for |r| ≤ 2^22: the sum's unit is 1, its ties go to the even integer), then q · 2^(e − 6);
/// a zero q gives +0 (the code 0 decodes without sign). Float lanes that vectorise on every
/// instruction set (no rounding instruction needed), against ~25 integer operations per
/// element in [`mx_int8_value`].
#[inline(always)]
fn int8_float_values(xs: &[f32], e: i32, os: &mut [f32]) {
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2^23
    let up = lane::pow2_f32(6 - e);
    let down = lane::pow2_f32(e - 6);
    for (o, &v) in os.iter_mut().zip(xs) {
        let r = v * up;
        let r = if r > 127.0 { 127.0 } else { r };
        let r = if r < -127.0 { -127.0 } else { r };
        let q = (r + MAGIC) - MAGIC;
        let y = q * down;
        *o = if q == 0.0 { 0.0 } else { y };
    }
}

/// The scale rule with the element format's constants.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rule {
    pub(crate) round_up: bool,
    pub(crate) emax: i32,
    pub(crate) max_log2: i32,
    pub(crate) max_fraction: u32,
}

impl Rule {
    fn new(format: MxFormat, rule: MxScaleRule) -> Rule {
        let (max_log2, max_fraction) = lane::log2_fraction(format.max().to_bits());
        Rule {
            round_up: rule == MxScaleRule::RoundUp,
            emax: format.emax(),
            max_log2,
            max_fraction,
        }
    }

    /// The shared exponent of a block whose amax has the (finite) bits `a`.
    #[inline(always)]
    pub(crate) fn exponent(self, a: u32) -> i32 {
        lane::mx_exponent(
            a,
            self.round_up,
            self.emax,
            self.max_log2,
            self.max_fraction,
        )
    }
}

/// Blocks of a chunk.
const MX_NB: usize = CHUNK / MX_BLOCK;
pub(crate) const NV_NB: usize = CHUNK / NVFP4_BLOCK;

/// The amax bits of each block of `B` elements of a chunk (≥ [`INF`] where a block holds a
/// NaN or ∞): per block, lane-wise maxima of its vectors of 16, then a tree of maxima over
/// the 16 lanes, each step a loop of constant length (shuffles; written as one reduction
/// per block, LLVM vectorises across the blocks instead, with gathers).
#[inline(always)]
fn block_amax<const B: usize, const NB: usize>(x: &[f32; CHUNK]) -> [u32; NB] {
    let mut am = [0u32; NB];
    for (a, blk) in am.iter_mut().zip(x.chunks_exact(B)) {
        let mut m = [0u32; 16];
        for c in blk.chunks_exact(16) {
            for t in 0..16 {
                m[t] = m[t].max(c[t].to_bits() & 0x7FFF_FFFF);
            }
        }
        for t in 0..8 {
            m[t] = m[t].max(m[t + 8]);
        }
        for t in 0..4 {
            m[t] = m[t].max(m[t + 4]);
        }
        for t in 0..2 {
            m[t] = m[t].max(m[t + 2]);
        }
        *a = m[0].max(m[1]);
    }
    am
}

/// The parameters of the blocks of one MX chunk: scale codes (E + 127, or 0xFF), the element
/// shifts OFFSET − E, the value multipliers 2^(E − OFFSET), whether the block is NaN.
#[inline(always)]
fn mx_params<E: MxElem + ?Sized>(
    x: &[f32; CHUNK],
    rule: Rule,
) -> ([u8; MX_NB], [i32; MX_NB], [f32; MX_NB], [bool; MX_NB]) {
    let am = block_amax::<MX_BLOCK, MX_NB>(x);
    let mut scales = [0u8; MX_NB];
    let mut ks = [0i32; MX_NB];
    let mut muls = [0f32; MX_NB];
    let mut bad = [false; MX_NB];
    for j in 0..MX_NB {
        let e = rule.exponent(am[j]);
        bad[j] = am[j] >= INF;
        scales[j] = if bad[j] { 0xFF } else { (e + 127) as u8 };
        ks[j] = E::OFFSET - e;
        muls[j] = lane::pow2_f32(e - E::OFFSET);
    }
    (scales, ks, muls, bad)
}

/// One chunk of MX quantization: scale codes and element codes.
#[inline(always)]
fn mx_codes_chunk<E: MxElem + ?Sized>(
    x: &[f32; CHUNK],
    rule: Rule,
    codes: &mut [u8; CHUNK],
) -> [u8; MX_NB] {
    let (scales, ks, _, bad) = mx_params::<E>(x, rule);
    for j in 0..MX_NB {
        for t in 0..MX_BLOCK {
            let i = j * MX_BLOCK + t;
            let c = E::code(x[i].to_bits(), ks[j]);
            codes[i] = if bad[j] { 0 } else { c as u8 };
        }
    }
    scales
}

/// One chunk of MX fake quantization.
#[inline(always)]
fn mx_values_chunk<E: MxElem + ?Sized>(x: &[f32; CHUNK], rule: Rule, out: &mut [f32; CHUNK]) {
    let (_, ks, muls, bad) = mx_params::<E>(x, rule);
    for j in 0..MX_NB {
        let mut v = [0f32; MX_BLOCK];
        for t in 0..MX_BLOCK {
            v[t] = E::decoded(E::code(x[j * MX_BLOCK + t].to_bits(), ks[j]));
        }
        let o = &mut out[j * MX_BLOCK..(j + 1) * MX_BLOCK];
        lane::products(&v, muls[j], o);
        if bad[j] {
            o.fill(f32::NAN);
        }
    }
}

/// The last, partial chunk of `x` (fewer than [`CHUNK`] elements), zero-padded.
#[inline(always)]
pub(crate) fn padded(tail: &[f32]) -> [f32; CHUNK] {
    let mut c = [0f32; CHUNK];
    c[..tail.len()].copy_from_slice(tail);
    c
}

/// Pack the codes of one chunk (`n` of them, the rest 0) of `width` bits into `dst`, which
/// holds ⌈n · width / 8⌉ bytes: by the crate's byte packer for whole groups
/// ([`crate::packing::pack_bytes`], the bytes of the one packer: a chunk is 256 codes, whole
/// groups of 8), straight into `dst` but for the last, partial chunk.
#[inline(always)]
fn pack_chunk(codes: &[u8; CHUNK], n: usize, width: u32, dst: &mut [u8]) {
    let bytes = (n * width as usize).div_ceil(8);
    if bytes == CHUNK * width as usize / 8 {
        crate::packing::pack_bytes(codes, width, &mut dst[..bytes]);
    } else {
        let mut buf = [0u8; CHUNK];
        crate::packing::pack_bytes(codes, width, &mut buf[..CHUNK * width as usize / 8]);
        dst[..bytes].copy_from_slice(&buf[..bytes]);
    }
}

/// MX quantization of consecutive blocks of 32 (the last may be shorter).
struct MxQuantize<'a, E> {
    x: &'a [f32],
    rule: Rule,
    scales: &'a mut [F8E8M0FNU],
    elements: &'a mut [u8],
    elem: PhantomData<E>,
}

impl<E: MxElem> MxQuantize<'_, E> {
    #[inline(always)]
    fn chunk(&mut self, start: usize, n: usize, x: &[f32; CHUNK]) {
        let mut codes = [0u8; CHUNK];
        let s = E::codes_chunk(x, self.rule, &mut codes);
        let b0 = start / MX_BLOCK;
        for (o, &v) in self.scales[b0..].iter_mut().zip(&s[..n.div_ceil(MX_BLOCK)]) {
            *o = F8E8M0FNU::from_bits(v);
        }
        let byte = start * E::WIDTH as usize / 8;
        pack_chunk(&codes, n, E::WIDTH, &mut self.elements[byte..]);
    }
}

impl<E: MxElem> Job for MxQuantize<'_, E> {
    #[inline(always)]
    fn run(mut self) {
        let x = self.x;
        let whole = x.len() / CHUNK * CHUNK;
        for (k, c) in x[..whole].chunks_exact(CHUNK).enumerate() {
            self.chunk(k * CHUNK, CHUNK, c.try_into().unwrap());
        }
        if whole < x.len() {
            self.chunk(whole, x.len() - whole, &padded(&x[whole..]));
        }
    }
}

/// MX fake quantization of consecutive blocks of 32 (the last may be shorter).
struct MxFake<'a, E> {
    x: &'a [f32],
    rule: Rule,
    out: &'a mut [f32],
    elem: PhantomData<E>,
}

impl<E: MxElem> Job for MxFake<'_, E> {
    #[inline(always)]
    fn run(self) {
        let whole = self.x.len() / CHUNK * CHUNK;
        let (xb, xt) = self.x.split_at(whole);
        let (ob, ot) = self.out.split_at_mut(whole);
        for (c, o) in xb.chunks_exact(CHUNK).zip(ob.chunks_exact_mut(CHUNK)) {
            E::values_chunk(c.try_into().unwrap(), self.rule, o.try_into().unwrap());
        }
        if !xt.is_empty() {
            let mut v = [0f32; CHUNK];
            E::values_chunk(&padded(xt), self.rule, &mut v);
            ot.copy_from_slice(&v[..xt.len()]);
        }
    }
}

/// MX quantization of at most [`CHUNK`] elements `x` (from a chunk boundary; `scales` and
/// `elements` from that chunk's block and byte) of the float element format `F` by the
/// portable lanes, zero-padded where `x` is short: for the SIMD kernel
/// (`kernels::x86::mx`), which leaves them the last, partial chunk and the rare chunks
/// holding a block of tiny values.
#[inline(always)]
pub(crate) fn mx_float_quantize_portable<F: Format>(
    x: &[f32],
    rule: Rule,
    scales: &mut [F8E8M0FNU],
    elements: &mut [u8],
) {
    if x.is_empty() {
        return;
    }
    let mut q = MxQuantize::<FloatElem<F>> {
        x,
        rule,
        scales,
        elements,
        elem: PhantomData,
    };
    q.chunk(0, x.len(), &padded(x));
}

/// MX fake quantization of at most [`CHUNK`] elements `x` of the float element format `F` by
/// the portable lanes (zero-padded where `x` is short), into `out` (as long as `x`): for the
/// SIMD kernel (`kernels::x86::mx`), as [`mx_float_quantize_portable`].
#[inline(always)]
pub(crate) fn mx_float_fake_portable<F: Format>(x: &[f32], rule: Rule, out: &mut [f32]) {
    if x.is_empty() {
        return;
    }
    let mut v = [0f32; CHUNK];
    FloatElem::<F>::values_chunk(&padded(x), rule, &mut v);
    out.copy_from_slice(&v[..x.len()]);
}

/// MX quantization of one row by the AVX-512 kernel ([`crate::kernels::x86::mx`]) where that
/// is the active level and the element format is a float one; `false` (nothing written)
/// otherwise.
#[allow(unused_variables)]
fn mx_quantize_simd(
    format: MxFormat,
    x: &[f32],
    rule: Rule,
    scales: &mut [F8E8M0FNU],
    elements: &mut [u8],
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if kernels::active_level() == Level::Avx512 {
        use crate::kernels::x86::mx;
        return match format {
            MxFormat::E4M3 => mx::quantize::<F8E4M3FN>(x, rule, scales, elements),
            MxFormat::E5M2 => mx::quantize::<F8E5M2>(x, rule, scales, elements),
            MxFormat::E2M3 => mx::quantize::<F6E2M3FN>(x, rule, scales, elements),
            MxFormat::E3M2 => mx::quantize::<F6E3M2FN>(x, rule, scales, elements),
            MxFormat::E2M1 => mx::quantize::<F4E2M1FN>(x, rule, scales, elements),
            MxFormat::Int8 => false,
        };
    }
    false
}

/// MX fake quantization of one row by the AVX-512 kernel, as [`mx_quantize_simd`].
#[allow(unused_variables)]
fn mx_fake_simd(format: MxFormat, x: &[f32], rule: Rule, out: &mut [f32]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if kernels::active_level() == Level::Avx512 {
        use crate::kernels::x86::mx;
        return match format {
            MxFormat::E4M3 => mx::fake::<F8E4M3FN>(x, rule, out),
            MxFormat::E5M2 => mx::fake::<F8E5M2>(x, rule, out),
            MxFormat::E2M3 => mx::fake::<F6E2M3FN>(x, rule, out),
            MxFormat::E3M2 => mx::fake::<F6E3M2FN>(x, rule, out),
            MxFormat::E2M1 => mx::fake::<F4E2M1FN>(x, rule, out),
            MxFormat::Int8 => false,
        };
    }
    false
}

/// The rows of consecutive blocks of 32 that a plan is made of, if it is one: `None` for
/// blocks along a non-last axis, or of another size. Rows are `dim` long (the whole tensor
/// where `dim` is a multiple of 32).
fn mx_rows(plan: &Plan) -> Option<usize> {
    if plan.block != Some(MX_BLOCK) || plan.inner != 1 || plan.per_tensor || plan.len == 0 {
        return None;
    }
    Some(if plan.dim.is_multiple_of(MX_BLOCK) {
        plan.len
    } else {
        plan.dim
    })
}

/// Run the job `$job { …, elem: PhantomData }` for the element type of `$format`.
macro_rules! by_element {
    ($format:expr, $job:ident { $($field:ident),* }) => {
        match $format {
            MxFormat::E4M3 => run($job::<FloatElem<F8E4M3FN>> { $($field,)* elem: PhantomData }),
            MxFormat::E5M2 => run($job::<FloatElem<F8E5M2>> { $($field,)* elem: PhantomData }),
            MxFormat::E2M3 => run($job::<FloatElem<F6E2M3FN>> { $($field,)* elem: PhantomData }),
            MxFormat::E3M2 => run($job::<FloatElem<F6E3M2FN>> { $($field,)* elem: PhantomData }),
            MxFormat::E2M1 => run($job::<FloatElem<F4E2M1FN>> { $($field,)* elem: PhantomData }),
            MxFormat::Int8 => run($job::<Int8Elem> { $($field,)* elem: PhantomData }),
        }
    };
}

/// MX quantization over a plan (arguments already checked); `false` where the plan has no
/// fast driver (then nothing is written).
pub(crate) fn mx_quantize(
    plan: &Plan,
    x: &[f32],
    format: MxFormat,
    rule: MxScaleRule,
    scales: &mut [F8E8M0FNU],
    elements: &mut [u8],
) -> bool {
    let Some(row) = mx_rows(plan) else {
        return false;
    };
    let rule = Rule::new(format, rule);
    let width = format.element_bits();
    if row != plan.len && width != 8 {
        // Packed rows that need not start on a byte: the reference.
        return false;
    }
    let nb = row.div_ceil(MX_BLOCK);
    let bytes = super::mx::mx_element_bytes(format, row);
    let rows = x.chunks(row).zip(scales.chunks_mut(nb));
    for ((x, scales), elements) in rows.zip(elements.chunks_mut(bytes.max(1))) {
        if mx_quantize_simd(format, x, rule, scales, elements) {
            continue;
        }
        by_element!(
            format,
            MxQuantize {
                x,
                rule,
                scales,
                elements
            }
        );
    }
    true
}

/// MX fake quantization over a plan (arguments already checked); `false` where the plan has
/// no fast driver (then nothing is written).
pub(crate) fn mx_fake(
    plan: &Plan,
    x: &[f32],
    format: MxFormat,
    rule: MxScaleRule,
    out: &mut [f32],
) -> bool {
    let Some(row) = mx_rows(plan) else {
        return false;
    };
    let rule = Rule::new(format, rule);
    for (x, out) in x.chunks(row).zip(out.chunks_mut(row)) {
        if mx_fake_simd(format, x, rule, out) {
            continue;
        }
        by_element!(format, MxFake { x, rule, out });
    }
    true
}

// ---------------------------------------------------------------------------------------------
// NVFP4: blocks of 16 FP4 (E2M1) values with an E4M3FN scale and an `f32` tensor scale.

/// The block scale codes of one NVFP4 chunk: E4M3FN(Saturate(NearestEven((amax / 6) /
/// tensor scale))), the NaN code 0x7F for a block holding a NaN or ±∞. Branch-free across the
/// 16 blocks (the divisions and the E4M3FN encode vectorise), with the quantizers' exact
/// division ([`lane::quotients`]) where the environment could differ.
#[inline(always)]
pub(crate) fn nvfp4_block_scales(x: &[f32; CHUNK], ts: f32) -> [u8; NV_NB] {
    nvfp4_scales_of_amax(&block_amax::<NVFP4_BLOCK, NV_NB>(x), ts)
}

/// The block scale codes of [`nvfp4_block_scales`] from the blocks' amax bits `am` (≥
/// [`INF`] for a block holding a NaN or ±∞).
#[inline(always)]
pub(crate) fn nvfp4_scales_of_amax(am: &[u32; NV_NB], ts: f32) -> [u8; NV_NB] {
    let mut m = [0f32; NV_NB];
    for j in 0..NV_NB {
        m[j] = f32::from_bits(if am[j] >= INF { 0 } else { am[j] });
    }
    // The native quotients, and whether the environment may have changed one (a non-zero
    // amax or quotient below 2^-126: a subnormal operand or a tiny result; a subnormal tensor
    // scale changes them all): then all 16 again by the exact division.
    let tiny = |b: u32| (b & 0x7FFF_FFFF) < 0x0080_0000;
    let mut q = [0f32; NV_NB];
    let mut redo = tiny(ts.to_bits()) as u32;
    for j in 0..NV_NB {
        let t = m[j] / 6.0;
        let u = t / ts;
        q[j] = u;
        let nonzero = m[j].to_bits() != 0;
        redo |= (nonzero & (tiny(m[j].to_bits()) | tiny(t.to_bits()) | tiny(u.to_bits()))) as u32;
    }
    if redo != 0 {
        exact_block_quotients(&m, ts, &mut q);
    }
    let mut codes = [0u8; NV_NB];
    for j in 0..NV_NB {
        let bs = lane::encode_saturate::<F8E4M3FN>(q[j].to_bits());
        codes[j] = if am[j] >= INF { 0x7F } else { bs as u8 };
    }
    codes
}

/// (amax / 6) / tensor scale by the exact division, for the rare chunks whose native
/// quotients the environment may have changed.
#[cold]
#[inline(never)]
fn exact_block_quotients(m: &[f32; NV_NB], ts: f32, q: &mut [f32; NV_NB]) {
    for (q, &m) in q.iter_mut().zip(m) {
        *q = crate::fenv::div(crate::fenv::div(m, 6.0), ts);
    }
}

/// The E2M1 midpoints t (between grid values g and g + 1: ¼, ¾, 1¼, 1¾, 2½, 3½, 5) moved to
/// where the `f32` quotient starts to round past them, in units of 2^-27: for even g (a tie
/// goes down, to the even code) the quotient must exceed t, i.e. the real x / s must exceed
/// t + ½ ulp(t) (there the `f32` rounding goes up from t; at that point itself, to t, whose
/// significand is even); for odd g (a tie goes up) it must reach t, i.e. x / s ≥ t − ½ of the
/// gap below t.
const NV_EDGES: [(u64, bool); 7] = [
    ((1 << 25) + 2, true),   // ¼ + 2^-26
    ((3 << 25) - 4, false),  // ¾ − 2^-25
    ((5 << 25) + 8, true),   // 1¼ + 2^-24
    ((7 << 25) - 8, false),  // 1¾ − 2^-24
    ((5 << 26) + 16, true),  // 2½ + 2^-23
    ((7 << 26) - 16, false), // 3½ − 2^-23
    ((5 << 27) + 32, true),  // 5 + 2^-22
];

/// The smallest `f32` magnitude (bits) whose quotient by `s` (positive, finite; bits `sb`)
/// rounds past the E2M1 edge `(t, strict)` of [`NV_EDGES`]: the least `f32` a with a > t·s
/// (strict) or a ≥ t·s, where t·s = t · S · 2^(es − 27) is exact as an integer product (t <
/// 2^30, the significand S < 2^24) and its floor on the `f32` grid is read off the product's
/// bits; 0x7F80_0000 (no finite value) where it lies beyond `f32::MAX`. Integer arithmetic
/// only.
fn nv_edge(t: u64, strict: bool, sb: u32) -> u32 {
    let ex = (sb >> 23) as i64;
    let sig = u64::from((sb & 0x007F_FFFF) | (((ex != 0) as u32) << 23));
    let p = t * sig; // t·s = p · 2^k
    let k = ex.max(1) - 150 - 27;
    let top = 63 - i64::from(p.leading_zeros()); // 2^top ≤ p < 2^(top + 1)
                                                 // The f32 ulp at t·s (2^u; 2^-149 below the normal range), and the bits to drop.
    let u = (top + k - 23).max(-149);
    let shift = (u - k) as u32; // ≥ 2: p has at least 25 significant bits
    let m = p >> shift;
    let rest = p & ((1u64 << shift) - 1) != 0;
    let floor = (((u + 149) as u64) << 23) + m;
    let edge = floor + u64::from(strict || rest);
    edge.min(0x7F80_0000) as u32
}

/// What the element lanes of one block scale code need (one row per code, filled on first use
/// in a call: it depends on the code and the tensor scale only). With s = decode(code) ·
/// tensor scale (the saturating product), the E2M1 code of x is the number of edges `edge`
/// that |x| reaches (magnitudes order as their bits), with x's sign; its value is `value[code]`
/// = decode(code) · s with x's sign. s = 0: every code ±0; a NaN code: codes 0, values NaN.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NvRow {
    /// The 7 edges, then [`INF`] (never reached by a finite |x|: eight lanes for the SIMD
    /// kernels' table lookups, `kernels::x86::nvfp4`). Non-decreasing.
    pub(crate) edge: [i32; 8],
    pub(crate) value: [u32; 8],
    /// 0 for a NaN block (codes 0), else all ones.
    pub(crate) keep: u32,
    /// The sign bit of the code (8) and of the value, or 0 for a NaN block.
    pub(crate) code_sign: u32,
    pub(crate) value_sign: u32,
}

impl NvRow {
    const EMPTY: NvRow = NvRow {
        edge: [0; 8],
        value: [0; 8],
        keep: 0,
        code_sign: 0,
        value_sign: 0,
    };

    /// The row of the E4M3FN block scale code `bs` (0 ..= 0x7F) under the tensor scale `ts`:
    /// the scalar formulas once per code (the exact saturating products).
    #[cold]
    #[inline(never)]
    fn new(bs: u8, ts: f32) -> NvRow {
        let s = super::mul_saturating(F8E4M3FN::from_bits(bs).to_f32(), ts);
        let mut value = [0u32; 8];
        for (c, v) in value.iter_mut().enumerate() {
            *v = super::mul_saturating(F4E2M1FN::from_bits(c as u8).to_f32(), s).to_bits();
        }
        let sb = s.to_bits();
        let nan = sb & 0x7FFF_FFFF > INF;
        let mut edge = [INF as i32; 8];
        if !nan && sb & 0x7FFF_FFFF != 0 {
            for (e, &(t, strict)) in edge.iter_mut().zip(&NV_EDGES) {
                *e = nv_edge(t, strict, sb) as i32;
            }
        }
        NvRow {
            edge,
            value,
            keep: if nan { 0 } else { u32::MAX },
            code_sign: if nan { 0 } else { 8 },
            value_sign: if nan { 0 } else { 0x8000_0000 },
        }
    }
}

/// The rows of one call, filled as their codes appear.
pub(crate) struct NvRows {
    ts: f32,
    rows: [NvRow; 128],
    filled: [bool; 128],
}

impl NvRows {
    pub(crate) fn new(ts: f32) -> NvRows {
        NvRows {
            ts,
            rows: [NvRow::EMPTY; 128],
            filled: [false; 128],
        }
    }

    /// The row of the block scale code `bs` (at most 0x7F).
    #[inline(always)]
    pub(crate) fn get(&mut self, bs: u8) -> &NvRow {
        let i = usize::from(bs & 0x7F);
        if !self.filled[i] {
            self.rows[i] = NvRow::new(i as u8, self.ts);
            self.filled[i] = true;
        }
        &self.rows[i]
    }
}

/// The E2M1 code (with sign) of x (bits `b`, finite unless the block is NaN) in a block of row
/// `r`: E2M1(Saturate(NearestEven(x / s))) without the division.
#[inline(always)]
fn nv_code(b: u32, r: &NvRow) -> u8 {
    let a = (b & 0x7FFF_FFFF) as i32;
    let mut c = 0u32;
    for &e in &r.edge[..7] {
        c += (a >= e) as u32;
    }
    ((c & r.keep) | ((b >> 28) & r.code_sign)) as u8
}

/// The `f32` bits of decode(code) · s for the code of [`nv_code`], from the row's values.
#[inline(always)]
fn nv_value(b: u32, r: &NvRow) -> u32 {
    let a = (b & 0x7FFF_FFFF) as i32;
    let mut v = r.value[0];
    for (&e, &w) in r.edge.iter().zip(&r.value[1..]) {
        v = if a >= e { w } else { v };
    }
    v | (b & r.value_sign)
}

/// NVFP4 quantization of consecutive blocks of 16 (the last may be shorter).
struct Nvfp4Quantize<'a> {
    x: &'a [f32],
    ts: f32,
    scales: &'a mut [F8E4M3FN],
    packed: &'a mut [u8],
}

impl Nvfp4Quantize<'_> {
    #[inline(always)]
    fn chunk(&mut self, rows: &mut NvRows, start: usize, n: usize, x: &[f32; CHUNK]) {
        let bs = nvfp4_block_scales(x, self.ts);
        let mut codes = [0u8; CHUNK];
        let blocks = x
            .chunks_exact(NVFP4_BLOCK)
            .zip(codes.chunks_exact_mut(NVFP4_BLOCK));
        for ((xs, cs), &b) in blocks.zip(&bs) {
            let r = rows.get(b);
            // Arrays of the block's length: one loop of constant length, no remainder.
            let (xs, cs): (&[f32; NVFP4_BLOCK], &mut [u8; NVFP4_BLOCK]) =
                (xs.try_into().unwrap(), cs.try_into().unwrap());
            for t in 0..NVFP4_BLOCK {
                cs[t] = nv_code(xs[t].to_bits(), r);
            }
        }
        let b0 = start / NVFP4_BLOCK;
        for (o, &v) in self.scales[b0..]
            .iter_mut()
            .zip(&bs[..n.div_ceil(NVFP4_BLOCK)])
        {
            *o = F8E4M3FN::from_bits(v);
        }
        pack_chunk(&codes, n, 4, &mut self.packed[start / 2..]);
    }
}

impl Job for Nvfp4Quantize<'_> {
    #[inline(always)]
    fn run(mut self) {
        let x = self.x;
        let mut rows = NvRows::new(self.ts);
        let whole = x.len() / CHUNK * CHUNK;
        for (k, c) in x[..whole].chunks_exact(CHUNK).enumerate() {
            self.chunk(&mut rows, k * CHUNK, CHUNK, c.try_into().unwrap());
        }
        if whole < x.len() {
            self.chunk(&mut rows, whole, x.len() - whole, &padded(&x[whole..]));
        }
    }
}

/// One chunk of NVFP4 fake quantization: the block scale codes, then each element's value
/// from its block's row ([`nv_value`]).
#[inline(always)]
fn nvfp4_values_chunk(rows: &mut NvRows, x: &[f32; CHUNK], out: &mut [f32; CHUNK]) {
    let bs = nvfp4_block_scales(x, rows.ts);
    let blocks = x
        .chunks_exact(NVFP4_BLOCK)
        .zip(out.chunks_exact_mut(NVFP4_BLOCK));
    for ((xs, os), &b) in blocks.zip(&bs) {
        let r = rows.get(b);
        let (xs, os): (&[f32; NVFP4_BLOCK], &mut [f32; NVFP4_BLOCK]) =
            (xs.try_into().unwrap(), os.try_into().unwrap());
        for t in 0..NVFP4_BLOCK {
            os[t] = f32::from_bits(nv_value(xs[t].to_bits(), r));
        }
    }
}

/// NVFP4 fake quantization of consecutive blocks of 16 (the last may be shorter).
struct Nvfp4Fake<'a> {
    x: &'a [f32],
    ts: f32,
    out: &'a mut [f32],
}

impl Job for Nvfp4Fake<'_> {
    #[inline(always)]
    fn run(self) {
        let mut rows = NvRows::new(self.ts);
        let whole = self.x.len() / CHUNK * CHUNK;
        let (xb, xt) = self.x.split_at(whole);
        let (ob, ot) = self.out.split_at_mut(whole);
        for (c, o) in xb.chunks_exact(CHUNK).zip(ob.chunks_exact_mut(CHUNK)) {
            nvfp4_values_chunk(&mut rows, c.try_into().unwrap(), o.try_into().unwrap());
        }
        nvfp4_fake_tail(&mut rows, xt, ot);
    }
}

/// The last, partial chunk of NVFP4 quantization (`x`: fewer than [`CHUNK`] elements, from a
/// chunk boundary; `scales` and `packed` from that chunk's block and byte), zero-padded, by
/// the portable lanes: for the SIMD kernels (`kernels::x86::nvfp4`), which do whole chunks.
pub(crate) fn nvfp4_quantize_tail(
    rows: &mut NvRows,
    x: &[f32],
    scales: &mut [F8E4M3FN],
    packed: &mut [u8],
) {
    if x.is_empty() {
        return;
    }
    let mut q = Nvfp4Quantize {
        x,
        ts: rows.ts,
        scales,
        packed,
    };
    q.chunk(rows, 0, x.len(), &padded(x));
}

/// The last, partial chunk of NVFP4 fake quantization (`x`: fewer than [`CHUNK`] elements),
/// zero-padded, by the portable lanes: for the SIMD kernels (`kernels::x86::nvfp4`).
pub(crate) fn nvfp4_fake_tail(rows: &mut NvRows, x: &[f32], out: &mut [f32]) {
    if x.is_empty() {
        return;
    }
    let mut v = [0f32; CHUNK];
    nvfp4_values_chunk(rows, &padded(x), &mut v);
    out.copy_from_slice(&v[..x.len()]);
}

/// NVFP4 quantization of consecutive blocks of 16 (arguments already checked): the AVX-512
/// kernel where that is the active level ([`crate::kernels::x86::nvfp4`]), else the lanes.
pub(crate) fn nvfp4_quantize(x: &[f32], ts: f32, scales: &mut [F8E4M3FN], packed: &mut [u8]) {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::kernels::x86::nvfp4;
        let done = match kernels::active_level() {
            Level::Avx512 => nvfp4::quantize(x, ts, scales, packed),
            Level::Avx2 => nvfp4::avx2::quantize(x, ts, scales, packed),
            _ => false,
        };
        if done {
            return;
        }
    }
    run(Nvfp4Quantize {
        x,
        ts,
        scales,
        packed,
    });
}

/// NVFP4 fake quantization of consecutive blocks of 16 with the tensor scale from the data
/// (`mx::nvfp4_tensor_scale`), returned (arguments already checked): the AVX-512 kernel where
/// that is the active level (which finds the blocks' amax in the tensor scale's pass,
/// [`crate::kernels::x86::nvfp4`]), else the tensor scale, then the lanes.
pub(crate) fn nvfp4_fake_quantize(x: &[f32], out: &mut [f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::kernels::x86::nvfp4;
        let ts = match kernels::active_level() {
            Level::Avx512 => nvfp4::fake_quantize(x, out),
            Level::Avx2 => nvfp4::avx2::fake_quantize(x, out),
            _ => None,
        };
        if let Some(ts) = ts {
            return ts;
        }
    }
    let ts = super::mx::nvfp4_tensor_scale_of_amax(finite_amax(x));
    run(Nvfp4Fake { x, ts, out });
    ts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The E2M1 code of x / s as the scalar formula gives it (the default environment: the
    /// test threads run without FTZ/DAZ).
    fn want_code(x: f32, s: f32) -> u8 {
        let q = crate::fenv::div(x, s);
        F4E2M1FN::from_f32_with(q, crate::Rounding::NearestEven, crate::Overflow::Saturate)
            .to_bits()
    }

    /// The edges are exact: at each edge the code steps up, one ulp below it does not, for
    /// scales of every kind (normal, f32 subnormal, the smallest, near f32::MAX, with every
    /// significand pattern); and the row's codes and values are the formula's around every
    /// edge, at ties (x / s exactly a midpoint) and at zero.
    #[test]
    fn nvfp4_edges_and_rows_are_the_formula() {
        let mut z = 0x5DEE_CE66_D1CE_F00Du64;
        let mut next = move || {
            z = z.wrapping_add(crate::kernels::lanes::GAMMA);
            crate::kernels::lanes::splitmix_high(z)
        };
        let mut scales: Vec<u32> = vec![1, 2, 3, 0x7F_FFFF, 0x80_0000, 0x7F7F_FFFF, 0x3F80_0000];
        for _ in 0..3000 {
            let w = next();
            scales.push(match w % 4 {
                0 => w & 0x007F_FFFF,
                1 => (w % 0x7F80_0000).max(1),
                2 => 0x3F80_0000 + (w & 0x00FF_FFFF) - 0x0080_0000,
                _ => (w & 0xFF00_0000 | 0x0000_0001) % 0x7F80_0000,
            });
        }
        let mut checked = 0;
        for &sb in &scales {
            let s = f32::from_bits(sb);
            for (g, &(t, strict)) in NV_EDGES.iter().enumerate() {
                let e = nv_edge(t, strict, sb);
                if e < INF {
                    assert!(want_code(f32::from_bits(e), s) > g as u8, "s={s:e} g={g}");
                }
                if e > 0 && e <= INF {
                    let below = f32::from_bits(e - 1);
                    assert!(want_code(below, s) <= g as u8, "s={s:e} g={g}");
                }
            }
            // A row from a scale: take the E4M3FN codes whose s is this one with ts = s.
            let r = NvRow::new(0x38, s); // decode(0x38) = 1
            let mut xs = vec![0u32, 1, 0x8000_0000, 0x7F7F_FFFF];
            for &e in &r.edge[..7] {
                xs.extend([e.wrapping_sub(1) as u32, e as u32, e as u32 + 1]);
            }
            for m in [0.25f32, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, 0.5, 6.0, 7.0] {
                xs.push(crate::fenv::mul(m, s).to_bits());
            }
            for &a in &xs {
                let a = a & 0x7FFF_FFFF;
                if a >= INF {
                    continue;
                }
                for b in [a, a | 0x8000_0000] {
                    let x = f32::from_bits(b);
                    let c = want_code(x, s);
                    assert_eq!(nv_code(b, &r), c, "s={s:e} x={x:e}");
                    let v = super::super::mul_saturating(F4E2M1FN::from_bits(c).to_f32(), s);
                    assert_eq!(nv_value(b, &r), v.to_bits(), "s={s:e} x={x:e}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 100_000, "{checked}");
    }
}
