//! The loops of the integer quantizers, as [`Job`]s: each call runs in one dispatched job,
//! compiled for the active kernel level's instruction set (AVX-512 or AVX2 through
//! `kernels::x86::jobs`, else the build's baseline), whatever its layout (per tensor, per axis
//! along any axis, blocked along any axis). [`Level::Scalar`](crate::Level::Scalar) runs the
//! per-element formula instead, one [`Kernel`] per element or run: the reference that the
//! other levels are compared with (`tests/quant_int.rs`, `tests/quant_fast.rs`).
//!
//! Three loops cover every layout:
//! - [`whole`]: a run with one parameter set (per tensor; per axis with an inner size > 1,
//!   a run per index along the axis), 64 elements at a time;
//! - [`each`]: a run with a parameter per element (per axis along the last axis: a row against
//!   the parameter vector; blocked along another axis), on the raw [`QParams`] (an integer
//!   clamp instead of the kernel's float clamps, see [`q_each`]);
//! - [`blocks`]: blocks along the last axis, a kernel per block (blocks of 32 unrolled).
//!
//! A parameter set whose scale is tiny takes the exact helpers (CONTRACT.md §14): a run with
//! one parameter set through [`Kernel::q_exact`]; where any of a call's parameters is tiny,
//! its runs of per-element parameters go element by element. The packed forms quantize into a buffer on the stack, 96 values (per tensor) or a
//! piece of 3840 (per axis) at a time, and pack it with the crate's packer
//! ([`crate::packing`]'s `pack_groups`, and `pack_bits` for the tail).

use super::super::{check_len, Plan, Run};
use super::{Nibble, QParams, QuantInt, QuantOptions, ScaleRule};
use crate::kernels::scaled::{run, Job};
use crate::packing::{pack_bits, pack_groups, unpack_bits, unpack_groups};
use crate::round::round_half_even_i32;
use crate::Error;
use core::marker::PhantomData;

/// Run `job` compiled for the active level when the fast paths are on, else as the baseline
/// build compiles it (the reference path that tests compare against).
fn dispatch<J: Job>(job: J) {
    if super::super::fast::enabled() {
        run(job)
    } else {
        job.run()
    }
}

/// One parameter set, prepared for the inner loop.
#[derive(Clone, Copy, Debug)]
pub(super) struct Kernel {
    /// The scale (divide rule) or its reciprocal rounded to `f32` (reciprocal rule).
    s: f32,
    /// The dequantization scale.
    scale: f32,
    /// qmin − zero_point and qmax − zero_point, as `f32`.
    lo: f32,
    hi: f32,
    zp: i32,
    /// Whether the run takes the exact helpers (CONTRACT.md §14): where the scale is below
    /// 2^-125 (an f32 subnormal x, which DAZ reads as 0, can then round away from the zero
    /// point; and a subnormal scale is itself read as 0), or the reciprocal is subnormal.
    /// Otherwise the environment cannot change a code: |x / scale| < 1/2 for every subnormal
    /// x, and a quotient that FTZ flushes rounds to 0 either way; nor, as the scale is normal
    /// and |q − zero_point| ≥ 1 or 0, a dequantized value.
    exact: bool,
}

impl Kernel {
    #[inline(always)]
    pub(super) fn new<Q: QuantInt>(p: QParams, o: QuantOptions) -> Kernel {
        let qmin = Q::MIN + o.restricted_range as i32;
        let s = match o.rule {
            ScaleRule::Divide => p.scale,
            ScaleRule::Reciprocal => crate::fenv::div(1.0, p.scale),
        };
        Kernel {
            s,
            exact: p.scale.to_bits() < 0x0100_0000 || crate::fenv::is_tiny(s),
            scale: p.scale,
            lo: (qmin - p.zero_point) as f32,
            hi: (Q::MAX - p.zero_point) as f32,
            zp: p.zero_point,
        }
    }

    /// Quantize one value: branch-free (selects), so that loops of it vectorize.
    ///
    /// (Computing the quotient as `f32(f64(x) · f64(1 / scale))` gives the same integer — see
    /// the test `f64_reciprocal_product_is_the_f32_quotient` — but measured slower than the
    /// vector `f32` division on the machines tried, so the division stays.)
    #[inline(always)]
    pub(super) fn q<const RECIP: bool>(&self, x: f32) -> i32 {
        let v = if RECIP { x * self.s } else { x / self.s };
        self.round(v)
    }

    /// [`Kernel::q`] with the quotient from the exact helpers, for the `exact` runs.
    #[inline(always)]
    pub(super) fn q_exact<const RECIP: bool>(&self, x: f32) -> i32 {
        use crate::fenv::{div, mul};
        self.round(if RECIP {
            mul(x, self.s)
        } else {
            div(x, self.s)
        })
    }

    /// [`Kernel::dq`] by the exact product, for the `exact` runs.
    #[inline(always)]
    pub(super) fn dq_exact(&self, q: i32) -> f32 {
        crate::fenv::mul((q - self.zp) as f32, self.scale)
    }

    /// round_half_even(clamp(v)) + zero_point.
    #[inline(always)]
    fn round(&self, v: f32) -> i32 {
        let v = if v < self.lo { self.lo } else { v };
        let v = if v > self.hi { self.hi } else { v };
        // NaN passed both selects: make it 0, i.e. the zero point.
        let v = if v.is_nan() { 0.0 } else { v };
        // |v| ≤ 2^17 (the bounds are integer ranges of at most 16 bits).
        round_half_even_i32(v) + self.zp
    }

    /// (q − zero_point) · scale.
    #[inline(always)]
    pub(super) fn dq(&self, q: i32) -> f32 {
        (q - self.zp) as f32 * self.scale
    }
}

/// Whether [`Kernel::new`] makes the parameters `p` (checked: a finite positive scale) an
/// `exact` kernel, computed branch-free (a loop over a parameter vector vectorises): a scale
/// below 2^-125, or (reciprocal rule) a tiny reciprocal. For a scale of at least 2^-125 the
/// native 1 / scale is the exact one unless that is tiny, which a flushed result is too.
#[inline(always)]
fn exact_params(p: QParams, recip: bool) -> bool {
    (p.scale.to_bits() < 0x0100_0000) | (recip & crate::fenv::is_tiny(1.0 / p.scale))
}

/// Whether none of `params` makes an exact kernel for `O` (then their runs take [`Op::each`]).
#[inline(always)]
fn all_fast<O: Op>(params: &[QParams]) -> bool {
    !params
        .iter()
        .fold(false, |a, &p| a | exact_params(p, O::RECIP))
}

/// round_half_even(x / scale) + zero_point clamped to [`qmin`, `qmax`], NaN giving the zero
/// point, for non-exact raw parameters (no [`Kernel`] per element): [`Kernel::q`]'s integer.
/// The quotient is clamped to ±2^22 (the integer form's range, beyond every bound) and the
/// integer to [`qmin`, `qmax`]: rounding is monotonic and the kernel's bounds are integers,
/// so that clamping before or after it gives the same integer.
#[inline(always)]
fn q_each<const RECIP: bool>(p: QParams, qmin: i32, qmax: i32, x: f32) -> i32 {
    const LIM: f32 = 4_194_304.0; // 2^22
    let v = if RECIP {
        x * (1.0 / p.scale)
    } else {
        x / p.scale
    };
    let nan = v.is_nan();
    let c = if v < -LIM { -LIM } else { v };
    let c = if c > LIM { LIM } else { c };
    let c = if nan { 0.0 } else { c };
    let r = (round_half_even_i32(c) + p.zero_point).max(qmin).min(qmax);
    // The zero point even outside a restricted range, as the kernel gives it.
    if nan {
        p.zero_point
    } else {
        r
    }
}

/// One of the three element operations: on a prepared [`Kernel`] (native or exact
/// arithmetic), and on raw non-exact parameters.
pub(super) trait Op {
    /// The integer type.
    type Int: QuantInt;
    /// The input element.
    type Src: Copy;
    /// The output element.
    type Dst: Copy;
    /// Whether x / scale is x · (1 / scale) ([`ScaleRule::Reciprocal`]).
    const RECIP: bool;
    /// The operation with a non-exact kernel.
    fn fast(k: &Kernel, v: Self::Src) -> Self::Dst;
    /// The operation through the exact helpers.
    fn exact(k: &Kernel, v: Self::Src) -> Self::Dst;
    /// [`Op::fast`] with the raw parameters `p` (non-exact), the range [`qmin`, `qmax`].
    fn each(p: QParams, qmin: i32, qmax: i32, v: Self::Src) -> Self::Dst;
    /// [`Op::fast`] or [`Op::exact`], as the kernel asks (the per-element reference).
    #[inline(always)]
    fn one(k: &Kernel, v: Self::Src) -> Self::Dst {
        if k.exact {
            Self::exact(k, v)
        } else {
            Self::fast(k, v)
        }
    }
}

/// x → q.
pub(super) struct Quantize<Q, const RECIP: bool>(PhantomData<Q>);
/// q → (q − zero_point) · scale.
pub(super) struct Dequantize<Q>(PhantomData<Q>);
/// x → q → (q − zero_point) · scale.
pub(super) struct Fake<Q, const RECIP: bool>(PhantomData<Q>);

impl<Q: QuantInt, const RECIP: bool> Op for Quantize<Q, RECIP> {
    type Int = Q;
    type Src = f32;
    type Dst = Q;
    const RECIP: bool = RECIP;
    #[inline(always)]
    fn fast(k: &Kernel, v: f32) -> Q {
        Q::from_i32(k.q::<RECIP>(v))
    }
    #[inline(always)]
    fn exact(k: &Kernel, v: f32) -> Q {
        Q::from_i32(k.q_exact::<RECIP>(v))
    }
    #[inline(always)]
    fn each(p: QParams, qmin: i32, qmax: i32, v: f32) -> Q {
        Q::from_i32(q_each::<RECIP>(p, qmin, qmax, v))
    }
}

impl<Q: QuantInt> Op for Dequantize<Q> {
    type Int = Q;
    type Src = Q;
    type Dst = f32;
    const RECIP: bool = false;
    #[inline(always)]
    fn fast(k: &Kernel, v: Q) -> f32 {
        k.dq(v.to_i32())
    }
    #[inline(always)]
    fn exact(k: &Kernel, v: Q) -> f32 {
        k.dq_exact(v.to_i32())
    }
    #[inline(always)]
    fn each(p: QParams, _: i32, _: i32, v: Q) -> f32 {
        (v.to_i32() - p.zero_point) as f32 * p.scale
    }
}

impl<Q: QuantInt, const RECIP: bool> Op for Fake<Q, RECIP> {
    type Int = Q;
    type Src = f32;
    type Dst = f32;
    const RECIP: bool = RECIP;
    #[inline(always)]
    fn fast(k: &Kernel, v: f32) -> f32 {
        k.dq(k.q::<RECIP>(v))
    }
    #[inline(always)]
    fn exact(k: &Kernel, v: f32) -> f32 {
        k.dq_exact(k.q_exact::<RECIP>(v))
    }
    #[inline(always)]
    fn each(p: QParams, qmin: i32, qmax: i32, v: f32) -> f32 {
        (q_each::<RECIP>(p, qmin, qmax, v) - p.zero_point) as f32 * p.scale
    }
}

/// Elements per iteration of the loops with one kernel (a fixed trip count vectorises without
/// a remainder loop per chunk).
const CHUNK: usize = 64;

/// `out[i]` = op(`src[i]`) with one kernel.
#[inline(always)]
fn whole<O: Op>(src: &[O::Src], k: &Kernel, out: &mut [O::Dst]) {
    if k.exact {
        for (o, &v) in out.iter_mut().zip(src) {
            *o = O::exact(k, v);
        }
        return;
    }
    let mut xs = src.chunks_exact(CHUNK);
    let mut os = out.chunks_exact_mut(CHUNK);
    for (xc, oc) in (&mut xs).zip(&mut os) {
        for (o, &v) in oc.iter_mut().zip(xc) {
            *o = O::fast(k, v);
        }
    }
    for (o, &v) in os.into_remainder().iter_mut().zip(xs.remainder()) {
        *o = O::fast(k, v);
    }
}

/// `out[i]` = op(`src[i]`, `params[i]`): on the raw parameters where `fast` (none of the
/// call's parameters is exact), else a kernel per element.
#[inline(always)]
fn each<O: Op>(
    src: &[O::Src],
    params: &[QParams],
    o: QuantOptions,
    fast: bool,
    out: &mut [O::Dst],
) {
    if fast {
        let (qmin, qmax) = (O::Int::MIN + o.restricted_range as i32, O::Int::MAX);
        for ((d, &v), &p) in out.iter_mut().zip(src).zip(params) {
            *d = O::each(p, qmin, qmax, v);
        }
    } else {
        for ((d, &v), &p) in out.iter_mut().zip(src).zip(params) {
            *d = O::one(&Kernel::new::<O::Int>(p, o), v);
        }
    }
}

/// Blocks of `block` (≥ 2) along a row: `out[i]` = op(`src[i]`, `params[i / block]`), a
/// kernel per block. (The raw-parameter form of [`each`] measured slower here: 1.2–2.7× memcpy
/// against 1.0–1.8×.)
#[inline(always)]
fn blocks<O: Op>(
    src: &[O::Src],
    params: &[QParams],
    block: usize,
    o: QuantOptions,
    out: &mut [O::Dst],
) {
    if block == 32 {
        // The common block: a loop of fixed length (no remainder loop per block).
        let whole = src.len() / 32 * 32;
        let (sb, st) = src.split_at(whole);
        let (ob, ot) = out.split_at_mut(whole);
        for ((sc, oc), &p) in sb.chunks_exact(32).zip(ob.chunks_exact_mut(32)).zip(params) {
            let k = Kernel::new::<O::Int>(p, o);
            let (sc, oc): (&[O::Src; 32], &mut [O::Dst; 32]) =
                (sc.try_into().unwrap(), oc.try_into().unwrap());
            if k.exact {
                for t in 0..32 {
                    oc[t] = O::exact(&k, sc[t]);
                }
            } else {
                for t in 0..32 {
                    oc[t] = O::fast(&k, sc[t]);
                }
            }
        }
        if let Some(&p) = params.get(whole / 32) {
            let k = Kernel::new::<O::Int>(p, o);
            for (d, &v) in ot.iter_mut().zip(st) {
                *d = O::one(&k, v);
            }
        }
    } else {
        for ((sc, oc), &p) in src.chunks(block).zip(out.chunks_mut(block)).zip(params) {
            let k = Kernel::new::<O::Int>(p, o);
            if k.exact {
                for (d, &v) in oc.iter_mut().zip(sc) {
                    *d = O::exact(&k, v);
                }
            } else {
                for (d, &v) in oc.iter_mut().zip(sc) {
                    *d = O::fast(&k, v);
                }
            }
        }
    }
}

/// A whole quantize, dequantize or fake quantize call (checked), in one job.
struct PlanJob<'a, O: Op> {
    plan: &'a Plan,
    src: &'a [O::Src],
    params: &'a [QParams],
    o: QuantOptions,
    out: &'a mut [O::Dst],
}

impl<O: Op> Job for PlanJob<'_, O> {
    #[inline(always)]
    fn run(self) {
        let PlanJob {
            plan,
            src,
            params,
            o,
            out,
        } = self;
        if plan.per_tensor {
            return whole::<O>(src, &Kernel::new::<O::Int>(params[0], o), out);
        }
        let (dim, inner) = (plan.dim, plan.inner);
        match plan.block {
            // Along the last axis (per axis, or blocks of 1): each row against the parameter
            // vector (per axis) or its own row of parameters (blocks of 1).
            None | Some(1) if inner == 1 => {
                let fast = all_fast::<O>(params);
                let own = plan.block.is_some();
                let rows = src.chunks_exact(dim).zip(out.chunks_exact_mut(dim));
                for (r, (s, d)) in rows.enumerate() {
                    let ps = if own {
                        &params[r * dim..][..dim]
                    } else {
                        params
                    };
                    each::<O>(s, ps, o, fast, d);
                }
            }
            // Along another axis: a run of `inner` elements per index along it.
            None => {
                let runs = src.chunks_exact(inner).zip(out.chunks_exact_mut(inner));
                for ((s, d), &p) in runs.zip(params.iter().cycle()) {
                    whole::<O>(s, &Kernel::new::<O::Int>(p, o), d);
                }
            }
            // Blocks along the last axis: a row at a time.
            Some(b) if inner == 1 => {
                let nb = plan.blocks_along_axis();
                let rows = src.chunks_exact(dim).zip(out.chunks_exact_mut(dim));
                for ((s, d), ps) in rows.zip(params.chunks_exact(nb)) {
                    blocks::<O>(s, ps, b, o, d);
                }
            }
            // Blocks along another axis: runs of `inner` against a row of parameters.
            Some(b) => {
                let fast = all_fast::<O>(params);
                let nb = plan.blocks_along_axis();
                let runs = src.chunks_exact(inner).zip(out.chunks_exact_mut(inner));
                for (r, (s, d)) in runs.enumerate() {
                    let (outer, j) = (r / dim, r % dim);
                    let first = (outer * nb + j / b) * inner;
                    each::<O>(s, &params[first..first + inner], o, fast, d);
                }
            }
        }
    }
}

/// The shared driver of quantize, dequantize and fake quantize: check the parameters and
/// lengths (nothing is written on `Err`), then `out[i] = op(src[i])`: in one [`PlanJob`], or
/// at [`Level::Scalar`](crate::Level::Scalar) run by run, element by element (the reference).
fn run_plan<O: Op>(
    plan: &Plan,
    src: &[O::Src],
    params: &[QParams],
    o: QuantOptions,
    out: &mut [O::Dst],
) -> Result<(), Error> {
    plan.check_params(params.len())?;
    params.iter().try_for_each(|p| p.check::<O::Int>())?;
    check_len(src.len(), out.len())?;
    if plan.len == 0 {
        return Ok(());
    }
    if super::super::fast::enabled() {
        run(PlanJob::<O> {
            plan,
            src,
            params,
            o,
            out,
        });
        return Ok(());
    }
    plan.for_each_run(|start, n, run| {
        let (src, out) = (&src[start..start + n], &mut out[start..start + n]);
        match run {
            Run::Uniform(i) => {
                let k = Kernel::new::<O::Int>(params[i], o);
                for (d, &v) in out.iter_mut().zip(src) {
                    *d = O::one(&k, v);
                }
            }
            Run::Each(i0) => {
                for ((d, &v), &p) in out.iter_mut().zip(src).zip(&params[i0..i0 + n]) {
                    *d = O::one(&Kernel::new::<O::Int>(p, o), v);
                }
            }
        }
    });
    Ok(())
}

/// Quantize `x` into `out` (checked).
pub(super) fn quantize_plan<Q: QuantInt>(
    plan: &Plan,
    x: &[f32],
    params: &[QParams],
    o: QuantOptions,
    out: &mut [Q],
) -> Result<(), Error> {
    match o.rule {
        ScaleRule::Reciprocal => run_plan::<Quantize<Q, true>>(plan, x, params, o, out),
        ScaleRule::Divide => run_plan::<Quantize<Q, false>>(plan, x, params, o, out),
    }
}

/// Dequantize `q` into `out` (checked).
pub(super) fn dequantize_plan<Q: QuantInt>(
    plan: &Plan,
    q: &[Q],
    params: &[QParams],
    out: &mut [f32],
) -> Result<(), Error> {
    run_plan::<Dequantize<Q>>(plan, q, params, QuantOptions::default(), out)
}

/// Quantize and dequantize `x` into `out` (checked).
pub(super) fn fake_plan<Q: QuantInt>(
    plan: &Plan,
    x: &[f32],
    params: &[QParams],
    o: QuantOptions,
    out: &mut [f32],
) -> Result<(), Error> {
    match o.rule {
        ScaleRule::Reciprocal => run_plan::<Fake<Q, true>>(plan, x, params, o, out),
        ScaleRule::Divide => run_plan::<Fake<Q, false>>(plan, x, params, o, out),
    }
}

/// Fake quantization in place with one kernel.
struct InPlace<'a, Q> {
    data: &'a mut [f32],
    k: Kernel,
    q: PhantomData<Q>,
}

impl<Q: QuantInt> Job for InPlace<'_, Q> {
    #[inline(always)]
    fn run(self) {
        let k = &self.k;
        if k.exact {
            for v in self.data.iter_mut() {
                *v = Fake::<Q, false>::exact(k, *v);
            }
            return;
        }
        for c in self.data.chunks_mut(CHUNK) {
            for v in c.iter_mut() {
                *v = Fake::<Q, false>::fast(k, *v);
            }
        }
    }
}

/// Fake-quantize `data` in place per tensor (checked), default options.
pub(super) fn fake_in_place<Q: QuantInt>(data: &mut [f32], p: QParams) -> Result<(), Error> {
    p.check::<Q>()?;
    let k = Kernel::new::<Q>(p, QuantOptions::default());
    if super::super::fast::enabled() {
        run(InPlace::<Q> {
            data,
            k,
            q: PhantomData,
        });
    } else {
        for v in data.iter_mut() {
            *v = Fake::<Q, false>::one(&k, *v);
        }
    }
    Ok(())
}

/// Elements per group of the packed loops: 96 4-bit codes, 48 bytes (whole groups for
/// [`pack_groups`], whose width-4 groups are 6 codes).
const PACK: usize = 96;

/// Per-tensor quantization to packed nibbles (default options).
struct PackedQuantize<'a, Q> {
    x: &'a [f32],
    k: Kernel,
    out: &'a mut [u8],
    q: PhantomData<Q>,
}

impl<Q: Nibble> Job for PackedQuantize<'_, Q> {
    #[inline(always)]
    fn run(self) {
        let k = &self.k;
        let code = |v: f32| Quantize::<Q, false>::one(k, v).to_nibble() as u32;
        let groups = self.x.len() / PACK;
        let (xb, xt) = self.x.split_at(groups * PACK);
        let (ob, ot) = self.out.split_at_mut(groups * PACK / 2);
        let (xs, os) = (xb.chunks_exact(PACK), ob.chunks_exact_mut(PACK / 2));
        let mut codes = [0u32; PACK];
        if k.exact {
            for (xc, oc) in xs.zip(os) {
                for (c, &v) in codes.iter_mut().zip(xc) {
                    *c = code(v);
                }
                pack_groups(&codes, 4, oc);
            }
        } else {
            for (xc, oc) in xs.zip(os) {
                for (c, &v) in codes.iter_mut().zip(xc) {
                    *c = Quantize::<Q, false>::fast(k, v).to_nibble() as u32;
                }
                pack_groups(&codes, 4, oc);
            }
        }
        pack_bits(xt.iter().map(|&v| code(v)), 4, ot);
    }
}

/// Per-tensor dequantization of packed nibbles.
struct PackedDequantize<'a, Q> {
    packed: &'a [u8],
    k: Kernel,
    out: &'a mut [f32],
    q: PhantomData<Q>,
}

impl<Q: Nibble> Job for PackedDequantize<'_, Q> {
    #[inline(always)]
    fn run(self) {
        let k = &self.k;
        let groups = self.out.len() / PACK;
        let (pb, pt) = self.packed.split_at(groups * PACK / 2);
        let (ob, ot) = self.out.split_at_mut(groups * PACK);
        let mut codes = [0u32; PACK];
        for (pc, oc) in pb.chunks_exact(PACK / 2).zip(ob.chunks_exact_mut(PACK)) {
            unpack_groups(pc, 4, &mut codes);
            if k.exact {
                for (o, &c) in oc.iter_mut().zip(&codes) {
                    *o = Dequantize::<Q>::exact(k, Q::from_nibble(c as u8));
                }
            } else {
                for (o, &c) in oc.iter_mut().zip(&codes) {
                    *o = Dequantize::<Q>::fast(k, Q::from_nibble(c as u8));
                }
            }
        }
        let mut it = ot.iter_mut();
        unpack_bits(pt, 4, it.len(), |c| {
            if let Some(o) = it.next() {
                *o = Dequantize::<Q>::one(k, Q::from_nibble(c as u8));
            }
        });
    }
}

/// Quantize per tensor into packed nibbles (lengths checked by the caller).
pub(super) fn quantize_packed<Q: Nibble>(x: &[f32], p: QParams, out: &mut [u8]) {
    let k = Kernel::new::<Q>(p, QuantOptions::default());
    let job = PackedQuantize::<Q> {
        x,
        k,
        out,
        q: PhantomData,
    };
    dispatch(job);
}

/// Dequantize packed nibbles per tensor (lengths checked by the caller).
pub(super) fn dequantize_packed<Q: Nibble>(packed: &[u8], p: QParams, out: &mut [f32]) {
    let k = Kernel::new::<Q>(p, QuantOptions::default());
    let job = PackedDequantize::<Q> {
        packed,
        k,
        out,
        q: PhantomData,
    };
    dispatch(job);
}

/// Elements per piece of the per-axis packed loops: whole groups of the packer's fast path
/// (96 nibbles), quantized into a buffer on the stack and packed from it.
const PIECE: usize = 96 * 40;

/// Elements `e0..e0 + src.len()` of a per-axis tensor (`dim` parameters, `inner` elements per
/// index along the axis) through `O`, in spans that share a layout: along the last axis a row
/// piece against its parameters, else a run piece with one kernel.
#[inline(always)]
fn axis_span<O: Op>(
    src: &[O::Src],
    e0: usize,
    (dim, inner): (usize, usize),
    params: &[QParams],
    fast: bool,
    out: &mut [O::Dst],
) {
    let o = QuantOptions::default();
    let mut done = 0;
    while done < src.len() {
        let e = e0 + done;
        let left = src.len() - done;
        let (s, d) = (&src[done..], &mut out[done..]);
        let len = if inner == 1 {
            let j = e % dim;
            let len = left.min(dim - j);
            each::<O>(&s[..len], &params[j..j + len], o, fast, &mut d[..len]);
            len
        } else {
            let (j, i) = ((e / inner) % dim, e % inner);
            let len = left.min(inner - i);
            whole::<O>(
                &s[..len],
                &Kernel::new::<O::Int>(params[j], o),
                &mut d[..len],
            );
            len
        };
        done += len;
    }
}

/// Per-axis quantization to packed nibbles (default options), a piece at a time.
struct AxisPackedQuantize<'a, Q> {
    x: &'a [f32],
    layout: (usize, usize),
    params: &'a [QParams],
    out: &'a mut [u8],
    q: PhantomData<Q>,
}

impl<Q: Nibble> Job for AxisPackedQuantize<'_, Q> {
    #[inline(always)]
    fn run(self) {
        type O<Q> = Quantize<Q, false>;
        let fast = all_fast::<O<Q>>(self.params);
        let mut buf = [Q::default(); PIECE];
        let mut codes = [0u32; PIECE];
        let pieces = self.x.chunks(PIECE).zip(self.out.chunks_mut(PIECE / 2));
        for (n, (xs, os)) in pieces.enumerate() {
            let (buf, codes) = (&mut buf[..xs.len()], &mut codes[..xs.len()]);
            axis_span::<O<Q>>(xs, n * PIECE, self.layout, self.params, fast, buf);
            for (c, q) in codes.iter_mut().zip(buf.iter()) {
                *c = q.to_nibble() as u32;
            }
            let whole = xs.len() / PACK * PACK;
            let (ob, ot) = os.split_at_mut(whole / 2);
            pack_groups(&codes[..whole], 4, ob);
            pack_bits(codes[whole..].iter().copied(), 4, ot);
        }
    }
}

/// Per-axis dequantization of packed nibbles, a piece at a time.
struct AxisPackedDequantize<'a, Q> {
    packed: &'a [u8],
    layout: (usize, usize),
    params: &'a [QParams],
    out: &'a mut [f32],
    q: PhantomData<Q>,
}

impl<Q: Nibble> Job for AxisPackedDequantize<'_, Q> {
    #[inline(always)]
    fn run(self) {
        type O<Q> = Dequantize<Q>;
        let fast = all_fast::<O<Q>>(self.params);
        let mut buf = [Q::default(); PIECE];
        let mut codes = [0u32; PIECE];
        let pieces = self
            .packed
            .chunks(PIECE / 2)
            .zip(self.out.chunks_mut(PIECE));
        for (n, (ps, os)) in pieces.enumerate() {
            let (buf, codes) = (&mut buf[..os.len()], &mut codes[..os.len()]);
            let whole = os.len() / PACK * PACK;
            unpack_groups(&ps[..whole / 2], 4, &mut codes[..whole]);
            let mut it = codes[whole..].iter_mut();
            unpack_bits(&ps[whole / 2..], 4, it.len(), |v| {
                if let Some(c) = it.next() {
                    *c = v;
                }
            });
            for (q, &c) in buf.iter_mut().zip(codes.iter()) {
                *q = Q::from_nibble(c as u8);
            }
            axis_span::<O<Q>>(buf, n * PIECE, self.layout, self.params, fast, os);
        }
    }
}

/// Quantize per axis into packed nibbles (the parameters checked here, the lengths by the
/// caller; default options).
pub(super) fn quantize_per_axis_packed<Q: Nibble>(
    plan: &Plan,
    x: &[f32],
    params: &[QParams],
    out: &mut [u8],
) -> Result<(), Error> {
    plan.check_params(params.len())?;
    params.iter().try_for_each(|p| p.check::<Q>())?;
    if plan.len == 0 {
        return Ok(());
    }
    let job = AxisPackedQuantize::<Q> {
        x,
        layout: (plan.dim, plan.inner),
        params,
        out,
        q: PhantomData,
    };
    dispatch(job);
    Ok(())
}

/// Dequantize packed nibbles per axis (the parameters checked here, the lengths by the
/// caller).
pub(super) fn dequantize_per_axis_packed<Q: Nibble>(
    plan: &Plan,
    packed: &[u8],
    params: &[QParams],
    out: &mut [f32],
) -> Result<(), Error> {
    plan.check_params(params.len())?;
    params.iter().try_for_each(|p| p.check::<Q>())?;
    if plan.len == 0 {
        return Ok(());
    }
    let job = AxisPackedDequantize::<Q> {
        packed,
        layout: (plan.dim, plan.inner),
        params,
        out,
        q: PhantomData,
    };
    dispatch(job);
    Ok(())
}
