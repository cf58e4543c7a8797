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
//!   product instead; so does MXINT8.
//! - NVFP4, a chunk at a time: every block's amax, then its scale (branch-free: the lanes
//!   vectorise across the 16 blocks), then the elements' quotients, codes and (fake) products
//!   over the chunk with one scale per element. Codes are packed by the crate's one packer
//!   ([`crate::packing::pack_groups`]).
//!
//! The steps that a later rule may change are each one function of the lanes:
//! [`lane::quotients`] (x / scale) and [`lane::products`] (decode · scale), which give the
//! default environment's bits whatever FTZ/DAZ say (CONTRACT.md §14) by redoing exactly the
//! rare lanes whose operands or results are subnormal.

use super::mx::{MxFormat, MxScaleRule, MX_BLOCK, NVFP4_BLOCK};
use super::{Plan, Run};
use crate::formats::{F4E2M1FN, F6E2M3FN, F6E3M2FN, F8E4M3FN, F8E5M2, F8E8M0FNU};
use crate::kernels::blocks::{mx_element_code, mx_element_value, products_each, MxGrid};
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
const CHUNK: usize = 256;

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

/// `out[i]` = decode(q(`x[i]`, `scale`)) · `scale`.
struct ScaledFake<'a, F> {
    x: &'a [f32],
    scale: f32,
    out: &'a mut [f32],
    format: PhantomData<F>,
}

impl<F: Format> Job for ScaledFake<'_, F> {
    #[inline(always)]
    fn run(self) {
        let s = self.scale;
        let mut q = [0f32; lane::RUN];
        for (xc, oc) in self.x.chunks(lane::RUN).zip(self.out.chunks_mut(lane::RUN)) {
            let q = &mut q[..xc.len()];
            lane::quotients(xc, s, q);
            for t in q.iter_mut() {
                *t = lane::decode::<F>(lane::encode_quotient::<F>(*t));
            }
            lane::products(q, s, oc);
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

/// Scaled-float fake quantization per tensor (arguments already checked).
pub(crate) fn scaled_fake<F: Format>(x: &[f32], scale: f32, out: &mut [f32]) {
    run(ScaledFake::<F> {
        x,
        scale,
        out,
        format: PhantomData,
    });
}

// ---------------------------------------------------------------------------------------------
// MX.

/// An MX element format as the lanes see it.
trait MxElem {
    /// The scale is 2^E; the element code is that of x · 2^(OFFSET − E) (MXINT8 counts in
    /// units of 2^-6) and its value decode(code) · 2^(E − OFFSET).
    const OFFSET: i32;
    /// The element code of x · 2^k (`f32` bits `b`).
    fn code(b: u32, k: i32) -> u32;
    /// decode(code), the value before the scale 2^(E − OFFSET).
    fn decoded(code: u32) -> f32;
    /// One chunk of MX quantization: element codes into `codes`, the scale codes returned.
    /// By default the two steps per element: the exact x · 2^(OFFSET − E), then [`Self::code`].
    #[inline(always)]
    fn codes_chunk(x: &[f32; CHUNK], rule: Rule, codes: &mut [u32; CHUNK]) -> [u8; MX_NB] {
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
    fn codes_chunk(x: &[f32; CHUNK], rule: Rule, codes: &mut [u32; CHUNK]) -> [u8; MX_NB] {
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
                    *c = if b.bad { 0 } else { code };
                }
            } else {
                for (c, &v) in cs.iter_mut().zip(xs) {
                    *c = Self::code(v.to_bits(), -b.e);
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
    #[inline(always)]
    fn code(b: u32, k: i32) -> u32 {
        lane::mx_int8_code(b, k)
    }
    #[inline(always)]
    fn decoded(code: u32) -> f32 {
        code as u8 as i8 as f32
    }
}

/// The scale rule with the element format's constants.
#[derive(Clone, Copy, Debug)]
struct Rule {
    round_up: bool,
    emax: i32,
    max_log2: i32,
    max_fraction: u32,
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
    fn exponent(self, a: u32) -> i32 {
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
const NV_NB: usize = CHUNK / NVFP4_BLOCK;

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
    codes: &mut [u32; CHUNK],
) -> [u8; MX_NB] {
    let (scales, ks, _, bad) = mx_params::<E>(x, rule);
    for j in 0..MX_NB {
        for t in 0..MX_BLOCK {
            let i = j * MX_BLOCK + t;
            let c = E::code(x[i].to_bits(), ks[j]);
            codes[i] = if bad[j] { 0 } else { c & 0xFF };
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
fn padded(tail: &[f32]) -> [f32; CHUNK] {
    let mut c = [0f32; CHUNK];
    c[..tail.len()].copy_from_slice(tail);
    c
}

/// Pack the codes of one chunk (`n` of them, the rest 0) of `width` bits into `dst`, which
/// holds ⌈n · width / 8⌉ bytes: by the crate's one packer, through its fast path for whole
/// groups ([`crate::packing::pack_groups`]: a chunk is 256 codes, whole groups of every width).
#[inline(always)]
fn pack_chunk(codes: &[u32; CHUNK], n: usize, width: u32, dst: &mut [u8]) {
    let bytes = (n * width as usize).div_ceil(8);
    if bytes == CHUNK * width as usize / 8 {
        crate::packing::pack_groups(codes, width, &mut dst[..bytes]);
    } else {
        let mut buf = [0u8; CHUNK];
        crate::packing::pack_groups(codes, width, &mut buf[..CHUNK * width as usize / 8]);
        dst[..bytes].copy_from_slice(&buf[..bytes]);
    }
}

/// MX quantization of consecutive blocks of 32 (the last may be shorter).
struct MxQuantize<'a, E> {
    x: &'a [f32],
    rule: Rule,
    width: u32,
    scales: &'a mut [F8E8M0FNU],
    elements: &'a mut [u8],
    elem: PhantomData<E>,
}

impl<E: MxElem> MxQuantize<'_, E> {
    #[inline(always)]
    fn chunk(&mut self, start: usize, n: usize, x: &[f32; CHUNK]) {
        let mut codes = [0u32; CHUNK];
        let s = E::codes_chunk(x, self.rule, &mut codes);
        let b0 = start / MX_BLOCK;
        for (o, &v) in self.scales[b0..].iter_mut().zip(&s[..n.div_ceil(MX_BLOCK)]) {
            *o = F8E8M0FNU::from_bits(v);
        }
        let byte = start * self.width as usize / 8;
        pack_chunk(&codes, n, self.width, &mut self.elements[byte..]);
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
        by_element!(
            format,
            MxQuantize {
                x,
                rule,
                width,
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
        by_element!(format, MxFake { x, rule, out });
    }
    true
}

// ---------------------------------------------------------------------------------------------
// NVFP4: blocks of 16 FP4 (E2M1) values with an E4M3FN scale and an `f32` tensor scale.

/// The blocks of one NVFP4 chunk: scale codes, scales decode(block scale) · tensor scale,
/// whether the block is NaN. Branch-free across the 16 blocks (the divisions, the E4M3FN
/// encode and decode and the product vectorise), with the quantizers' exact division and
/// product ([`lane::quotients`], [`lane::products`]) where the environment could differ.
#[inline(always)]
fn nvfp4_params(x: &[f32; CHUNK], ts: f32) -> ([u8; NV_NB], [f32; NV_NB], [bool; NV_NB]) {
    let am = block_amax::<NVFP4_BLOCK, NV_NB>(x);
    let mut m = [0f32; NV_NB];
    let mut bad = [false; NV_NB];
    for j in 0..NV_NB {
        bad[j] = am[j] >= INF;
        m[j] = f32::from_bits(if bad[j] { 0 } else { am[j] });
    }
    // Saturate(NearestEven((amax / 6) / tensor scale)), NaN for a NaN block.
    let mut q6 = [0f32; NV_NB];
    lane::quotients(&m, 6.0, &mut q6);
    let mut q = [0f32; NV_NB];
    lane::quotients(&q6, ts, &mut q);
    let mut codes = [0u8; NV_NB];
    let mut d = [0f32; NV_NB];
    for j in 0..NV_NB {
        let bs = lane::encode_saturate::<F8E4M3FN>(q[j].to_bits());
        let bs = if bad[j] {
            F8E4M3FN::NAN.to_bits_u32()
        } else {
            bs
        };
        codes[j] = bs as u8;
        d[j] = lane::decode::<F8E4M3FN>(bs);
    }
    let mut s = [0f32; NV_NB];
    lane::products(&d, ts, &mut s);
    (codes, s, bad)
}

/// Each element's scale: `s[i / 16]`, for the element loops of a whole chunk (loops of
/// [`lane::RUN`] elements, which vectorise with the quotients' environment check; written
/// per block, 16 lanes unrolled, that check went scalar).
#[inline(always)]
fn nvfp4_each(s: &[f32; NV_NB]) -> [f32; CHUNK] {
    let mut sx = [0f32; CHUNK];
    for (o, &s) in sx.chunks_exact_mut(NVFP4_BLOCK).zip(s) {
        for o in o.iter_mut() {
            *o = s;
        }
    }
    sx
}

/// The E2M1 codes of a chunk whose elements' scales are `sx` (decode(block scale) · tensor
/// scale): E2M1(Saturate(NearestEven(x / s))), ±0 (the sign of x) where s is 0, and 0 where
/// s is NaN (a NaN block).
#[inline(always)]
fn nvfp4_codes(x: &[f32; CHUNK], sx: &[f32; CHUNK], codes: &mut [u32; CHUNK]) {
    let mut q = [0f32; lane::RUN];
    let runs = x.chunks_exact(lane::RUN).zip(sx.chunks_exact(lane::RUN));
    for ((xs, ss), cs) in runs.zip(codes.chunks_exact_mut(lane::RUN)) {
        lane::quotients_each(xs, ss, &mut q);
        for (((c, &q), &s), &v) in cs.iter_mut().zip(&q).zip(ss).zip(xs) {
            let code = lane::encode_quotient::<F4E2M1FN>(q);
            let code = if crate::fenv::is_zero(s) {
                (v.to_bits() >> 31) << 3
            } else {
                code
            };
            *c = if s.to_bits() & 0x7FFF_FFFF > INF {
                0
            } else {
                code
            };
        }
    }
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
    fn chunk(&mut self, start: usize, n: usize, x: &[f32; CHUNK]) {
        let (bs, s, _) = nvfp4_params(x, self.ts);
        let mut codes = [0u32; CHUNK];
        nvfp4_codes(x, &nvfp4_each(&s), &mut codes);
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
        let whole = x.len() / CHUNK * CHUNK;
        for (k, c) in x[..whole].chunks_exact(CHUNK).enumerate() {
            self.chunk(k * CHUNK, CHUNK, c.try_into().unwrap());
        }
        if whole < x.len() {
            self.chunk(whole, x.len() - whole, &padded(&x[whole..]));
        }
    }
}

/// One chunk of NVFP4 fake quantization: the codes as [`nvfp4_codes`] (kept in registers and
/// a stack buffer, never written out), then decode · scale.
#[inline(always)]
fn nvfp4_values_chunk(x: &[f32; CHUNK], ts: f32, out: &mut [f32; CHUNK]) {
    let (_, s, _) = nvfp4_params(x, ts);
    let sx = nvfp4_each(&s);
    let mut codes = [0u32; CHUNK];
    nvfp4_codes(x, &sx, &mut codes);
    let mut v = [0f32; lane::RUN];
    let runs = codes
        .chunks_exact(lane::RUN)
        .zip(sx.chunks_exact(lane::RUN));
    for ((cs, ss), os) in runs.zip(out.chunks_exact_mut(lane::RUN)) {
        for (v, &c) in v.iter_mut().zip(cs) {
            *v = lane::decode::<F4E2M1FN>(c);
        }
        products_each(&v, ss, os);
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
        let whole = self.x.len() / CHUNK * CHUNK;
        let (xb, xt) = self.x.split_at(whole);
        let (ob, ot) = self.out.split_at_mut(whole);
        for (c, o) in xb.chunks_exact(CHUNK).zip(ob.chunks_exact_mut(CHUNK)) {
            nvfp4_values_chunk(c.try_into().unwrap(), self.ts, o.try_into().unwrap());
        }
        if !xt.is_empty() {
            let mut v = [0f32; CHUNK];
            nvfp4_values_chunk(&padded(xt), self.ts, &mut v);
            ot.copy_from_slice(&v[..xt.len()]);
        }
    }
}

/// NVFP4 quantization of consecutive blocks of 16 (arguments already checked).
pub(crate) fn nvfp4_quantize(x: &[f32], ts: f32, scales: &mut [F8E4M3FN], packed: &mut [u8]) {
    run(Nvfp4Quantize {
        x,
        ts,
        scales,
        packed,
    });
}

/// NVFP4 fake quantization of consecutive blocks of 16 (arguments already checked).
pub(crate) fn nvfp4_fake(x: &[f32], ts: f32, out: &mut [f32]) {
    run(Nvfp4Fake { x, ts, out });
}
