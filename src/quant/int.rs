//! Integer quantization with a scale and a zero point (ONNX `QuantizeLinear`,
//! `DequantizeLinear`, `DynamicQuantizeLinear`), per tensor, per axis and blocked.
//!
//! quantize: q = clamp(round_half_even(x / scale) + zero_point, qmin, qmax), one `f32`
//! division (or, with [`ScaleRule::Reciprocal`], one multiply by `1.0f32 / scale` as PyTorch's
//! `quantize_val` and FBGEMM do). dequantize: (q − zero_point) as `f32` × scale, one multiply.
//!
//! Special inputs: ±∞ saturate to qmax / qmin; **NaN gives the zero point** (it dequantizes to
//! 0). onnxruntime gives qmin for NaN instead; that is the one documented divergence.

use super::alloc::vec;
use super::alloc::vec::Vec;
use super::{check_len, check_scale, fabs, Plan, Run};
use crate::Error;

/// The parameters of an affine integer quantization: x ≈ (q − zero_point) · scale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QParams {
    /// The step between adjacent integers; must be finite and greater than zero.
    pub scale: f32,
    /// The integer that represents 0.0; must lie in the integer type's range.
    pub zero_point: i32,
}

impl QParams {
    /// The parameters `scale`, `zero_point` (not checked until used).
    pub const fn new(scale: f32, zero_point: i32) -> QParams {
        QParams { scale, zero_point }
    }

    /// Check these parameters for the integer type `Q`: the scale must be finite and positive,
    /// the zero point inside `[Q::MIN, Q::MAX]`.
    ///
    /// ```
    /// use lowp::quant::QParams;
    /// assert!(QParams::new(0.1, 128).check::<u8>().is_ok());
    /// assert!(QParams::new(0.1, 128).check::<i8>().is_err());
    /// assert!(QParams::new(f32::NAN, 0).check::<i8>().is_err());
    /// ```
    pub fn check<Q: QuantInt>(&self) -> Result<(), Error> {
        check_scale(self.scale)?;
        if self.zero_point < Q::MIN || self.zero_point > Q::MAX {
            return Err(Error::ZeroPointOutOfRange {
                zero_point: self.zero_point,
                min: Q::MIN,
                max: Q::MAX,
            });
        }
        Ok(())
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for i8 {}
    impl Sealed for u8 {}
    impl Sealed for super::I4 {}
    impl Sealed for super::U4 {}
}

/// An integer type that values are quantized to: [`i8`], [`u8`], [`I4`], [`U4`], [`i16`], [`u16`].
pub trait QuantInt:
    Copy + Send + Sync + Default + PartialEq + core::fmt::Debug + 'static + sealed::Sealed
{
    /// The smallest value.
    const MIN: i32;
    /// The largest value.
    const MAX: i32;
    /// Width in bits.
    const BITS: u32;
    /// The ONNX element type name (`"int8"`, `"uint8"`, `"int4"`, `"uint4"`).
    const NAME: &'static str;
    /// The value as an `i32`.
    fn to_i32(self) -> i32;
    /// The value `v`, which must lie in `[MIN, MAX]` (other values keep their low bits).
    fn from_i32(v: i32) -> Self;
}

impl QuantInt for i8 {
    const MIN: i32 = -128;
    const MAX: i32 = 127;
    const BITS: u32 = 8;
    const NAME: &'static str = "int8";
    #[inline(always)]
    fn to_i32(self) -> i32 {
        self as i32
    }
    #[inline(always)]
    fn from_i32(v: i32) -> Self {
        v as i8
    }
}

impl QuantInt for u8 {
    const MIN: i32 = 0;
    const MAX: i32 = 255;
    const BITS: u32 = 8;
    const NAME: &'static str = "uint8";
    #[inline(always)]
    fn to_i32(self) -> i32 {
        self as i32
    }
    #[inline(always)]
    fn from_i32(v: i32) -> Self {
        v as u8
    }
}

impl sealed::Sealed for i16 {}
impl sealed::Sealed for u16 {}

/// int16 (ONNX opset 21 `QuantizeLinear` / `DequantizeLinear`; bit-exact with onnxruntime).
impl QuantInt for i16 {
    const MIN: i32 = -32768;
    const MAX: i32 = 32767;
    const BITS: u32 = 16;
    const NAME: &'static str = "int16";
    #[inline(always)]
    fn to_i32(self) -> i32 {
        self as i32
    }
    #[inline(always)]
    fn from_i32(v: i32) -> Self {
        v as i16
    }
}

/// uint16 (ONNX opset 21 `QuantizeLinear` / `DequantizeLinear`; bit-exact with onnxruntime).
impl QuantInt for u16 {
    const MIN: i32 = 0;
    const MAX: i32 = 65535;
    const BITS: u32 = 16;
    const NAME: &'static str = "uint16";
    #[inline(always)]
    fn to_i32(self) -> i32 {
        self as i32
    }
    #[inline(always)]
    fn from_i32(v: i32) -> Self {
        v as u16
    }
}

/// A signed 4-bit integer in [−8, 7], one per byte (see [`pack_4bit`] for two per byte).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(transparent)]
pub struct I4(i8);

impl I4 {
    /// −8.
    pub const MIN: I4 = I4(-8);
    /// 7.
    pub const MAX: I4 = I4(7);
    /// `v` if it lies in [−8, 7].
    pub const fn new(v: i8) -> Option<I4> {
        if v >= -8 && v <= 7 {
            Some(I4(v))
        } else {
            None
        }
    }
    /// The value.
    pub const fn get(self) -> i8 {
        self.0
    }
}

/// An unsigned 4-bit integer in [0, 15], one per byte (see [`pack_4bit`] for two per byte).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(transparent)]
pub struct U4(u8);

impl U4 {
    /// 0.
    pub const MIN: U4 = U4(0);
    /// 15.
    pub const MAX: U4 = U4(15);
    /// `v` if it lies in [0, 15].
    pub const fn new(v: u8) -> Option<U4> {
        if v <= 15 {
            Some(U4(v))
        } else {
            None
        }
    }
    /// The value.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl QuantInt for I4 {
    const MIN: i32 = -8;
    const MAX: i32 = 7;
    const BITS: u32 = 4;
    const NAME: &'static str = "int4";
    #[inline(always)]
    fn to_i32(self) -> i32 {
        self.0 as i32
    }
    #[inline(always)]
    fn from_i32(v: i32) -> Self {
        I4(((v << 28) >> 28) as i8)
    }
}

impl QuantInt for U4 {
    const MIN: i32 = 0;
    const MAX: i32 = 15;
    const BITS: u32 = 4;
    const NAME: &'static str = "uint4";
    #[inline(always)]
    fn to_i32(self) -> i32 {
        self.0 as i32
    }
    #[inline(always)]
    fn from_i32(v: i32) -> Self {
        U4((v & 15) as u8)
    }
}

/// A 4-bit type, stored two per byte by [`pack_4bit`]: element 0 in the low nibble.
pub trait Nibble: QuantInt {
    /// The low 4 bits of the two's complement encoding.
    fn to_nibble(self) -> u8;
    /// The value from the low 4 bits of `b` (the high bits are ignored).
    fn from_nibble(b: u8) -> Self;
}

impl Nibble for I4 {
    #[inline(always)]
    fn to_nibble(self) -> u8 {
        self.0 as u8 & 15
    }
    #[inline(always)]
    fn from_nibble(b: u8) -> Self {
        I4(((b << 4) as i8) >> 4)
    }
}

impl Nibble for U4 {
    #[inline(always)]
    fn to_nibble(self) -> u8 {
        self.0
    }
    #[inline(always)]
    fn from_nibble(b: u8) -> Self {
        U4(b & 15)
    }
}

/// Bytes that `n` packed 4-bit values take: ⌈n / 2⌉.
pub const fn packed_4bit_len(n: usize) -> usize {
    n.div_ceil(2)
}

/// Pack 4-bit values two per byte, element 0 in the low nibble (ONNX `int4`/`uint4`); the
/// unused high nibble of an odd-length tail is 0. `dst.len()` must be ⌈`src.len()` / 2⌉.
///
/// ```
/// use lowp::quant::{pack_4bit, I4};
/// let v = [I4::new(-1).unwrap(), I4::new(2).unwrap(), I4::new(7).unwrap()];
/// let mut b = [0u8; 2];
/// pack_4bit(&v, &mut b)?;
/// assert_eq!(b, [0x2F, 0x07]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn pack_4bit<Q: Nibble>(src: &[Q], dst: &mut [u8]) -> Result<(), Error> {
    check_len(packed_4bit_len(src.len()), dst.len())?;
    let mut pairs = src.chunks_exact(2);
    for (d, p) in dst.iter_mut().zip(&mut pairs) {
        *d = p[0].to_nibble() | (p[1].to_nibble() << 4);
    }
    if let ([last], Some(d)) = (pairs.remainder(), dst.last_mut()) {
        *d = last.to_nibble();
    }
    Ok(())
}

/// Unpack `dst.len()` 4-bit values from `src` (⌈`dst.len()` / 2⌉ bytes, element 0 in the low
/// nibble).
pub fn unpack_4bit<Q: Nibble>(src: &[u8], dst: &mut [Q]) -> Result<(), Error> {
    check_len(packed_4bit_len(dst.len()), src.len())?;
    for (i, d) in dst.iter_mut().enumerate() {
        let b = src[i / 2];
        *d = Q::from_nibble(if i % 2 == 0 { b } else { b >> 4 });
    }
    Ok(())
}

/// How x / scale is computed before rounding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ScaleRule {
    /// One `f32` division x / scale (ONNX, onnxruntime; the default).
    #[default]
    Divide,
    /// x · (1.0f32 / scale), the reciprocal rounded to `f32` first (PyTorch `quantize_val`,
    /// `fake_quantize_per_tensor_affine`, FBGEMM). Differs from [`ScaleRule::Divide`] on some
    /// inputs near ties.
    Reciprocal,
}

/// Options of the quantizers' `_with` forms. The default is ONNX: divide, full range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct QuantOptions {
    /// Division or reciprocal multiplication.
    pub rule: ScaleRule,
    /// Clamp to [qmin + 1, qmax] (e.g. [−127, 127] for `i8`) instead of the type's full range:
    /// the "restricted range" of symmetric quantization.
    pub restricted_range: bool,
}

/// How parameters are chosen from a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Scheme {
    /// Affine: the range [min(min, 0), max(max, 0)] maps onto [qmin, qmax] (ONNX
    /// `DynamicQuantizeLinear`, PyTorch `per_tensor_affine`).
    #[default]
    Asymmetric,
    /// Symmetric, restricted range: zero point 0 (the middle, 128 or 8, for unsigned types),
    /// scale = amax / 127 (8-bit) or amax / 7 (4-bit); use with
    /// [`QuantOptions::restricted_range`] to keep q ∈ [−127, 127] for data beyond the range.
    Symmetric,
    /// Symmetric, full range (PyTorch `per_tensor_symmetric`): scale = amax / 127.5 (8-bit) or
    /// amax / 7.5 (4-bit), q ∈ [−128, 127].
    SymmetricFullRange,
}

const MAGIC: f32 = 12_582_912.0; // 1.5 · 2^23
const MAGIC_BITS: i32 = 0x4B40_0000;

/// One parameter set, prepared for the inner loop.
#[derive(Clone, Copy, Debug)]
struct Kernel {
    /// The scale (divide rule) or its reciprocal rounded to `f32` (reciprocal rule).
    s: f32,
    /// The dequantization scale.
    scale: f32,
    /// qmin − zero_point and qmax − zero_point, as `f32`.
    lo: f32,
    hi: f32,
    zp: i32,
    /// MAGIC_BITS − zero_point: `(v + MAGIC).to_bits() − bias` is round(v) + zero_point.
    bias: i32,
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
    fn new<Q: QuantInt>(p: QParams, o: QuantOptions) -> Kernel {
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
            bias: MAGIC_BITS - p.zero_point,
        }
    }

    /// Quantize one value: branch-free (selects), so that loops of it vectorize.
    ///
    /// (Computing the quotient as `f32(f64(x) · f64(1 / scale))` gives the same integer — see
    /// the test `f64_reciprocal_product_is_the_f32_quotient` — but measured slower than the
    /// vector `f32` division on the machines tried, so the division stays.)
    #[inline(always)]
    fn q<const RECIP: bool>(&self, x: f32) -> i32 {
        let v = if RECIP { x * self.s } else { x / self.s };
        self.round(v)
    }

    /// [`Kernel::q`] with the quotient from the exact helpers, for the `exact` runs.
    #[inline(always)]
    fn q_exact<const RECIP: bool>(&self, x: f32) -> i32 {
        use crate::fenv::{div, mul};
        self.round(if RECIP {
            mul(x, self.s)
        } else {
            div(x, self.s)
        })
    }

    /// [`Kernel::dq`] by the exact product, for the `exact` runs.
    #[inline(always)]
    fn dq_exact(&self, q: i32) -> f32 {
        crate::fenv::mul((q - self.zp) as f32, self.scale)
    }

    /// [`Kernel::q`] (divide rule) or [`Kernel::q_exact`], as the run asks: for the scalar
    /// callers.
    #[inline(always)]
    fn q_any(&self, x: f32) -> i32 {
        if self.exact {
            self.q_exact::<false>(x)
        } else {
            self.q::<false>(x)
        }
    }

    /// [`Kernel::dq`] or [`Kernel::dq_exact`], as the run asks: for the scalar callers.
    #[inline(always)]
    fn dq_any(&self, q: i32) -> f32 {
        if self.exact {
            self.dq_exact(q)
        } else {
            self.dq(q)
        }
    }

    /// round_half_even(clamp(v)) + zero_point.
    #[inline(always)]
    fn round(&self, v: f32) -> i32 {
        let v = if v < self.lo { self.lo } else { v };
        let v = if v > self.hi { self.hi } else { v };
        // NaN passed both selects: make it 0, i.e. the zero point.
        let v = if v.is_nan() { 0.0 } else { v };
        // |v| ≤ 2^22, so v + 1.5·2^23 lies in [2^23, 2^24), whose ulp is 1: the addition rounds
        // to an integer, ties to even, and that integer sits in the low mantissa bits.
        (v + MAGIC).to_bits() as i32 - self.bias
    }

    #[inline(always)]
    fn dq(&self, q: i32) -> f32 {
        (q - self.zp) as f32 * self.scale
    }
}

const CHUNK: usize = 64;

#[inline(always)]
fn quantize_run<Q: QuantInt, const RECIP: bool>(x: &[f32], k: &Kernel, out: &mut [Q]) {
    if k.exact {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = Q::from_i32(k.q_exact::<RECIP>(v));
        }
        return;
    }
    let mut xs = x.chunks_exact(CHUNK);
    let mut os = out.chunks_exact_mut(CHUNK);
    for (xc, oc) in (&mut xs).zip(&mut os) {
        for (o, &v) in oc.iter_mut().zip(xc) {
            *o = Q::from_i32(k.q::<RECIP>(v));
        }
    }
    for (o, &v) in os.into_remainder().iter_mut().zip(xs.remainder()) {
        *o = Q::from_i32(k.q::<RECIP>(v));
    }
}

#[inline(always)]
fn dequantize_run<Q: QuantInt>(q: &[Q], k: &Kernel, out: &mut [f32]) {
    if k.exact {
        for (o, &v) in out.iter_mut().zip(q) {
            *o = k.dq_exact(v.to_i32());
        }
        return;
    }
    let mut qs = q.chunks_exact(CHUNK);
    let mut os = out.chunks_exact_mut(CHUNK);
    for (qc, oc) in (&mut qs).zip(&mut os) {
        for (o, &v) in oc.iter_mut().zip(qc) {
            *o = k.dq(v.to_i32());
        }
    }
    for (o, &v) in os.into_remainder().iter_mut().zip(qs.remainder()) {
        *o = k.dq(v.to_i32());
    }
}

#[inline(always)]
fn fake_run<const RECIP: bool>(x: &[f32], k: &Kernel, out: &mut [f32]) {
    if k.exact {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = k.dq_exact(k.q_exact::<RECIP>(v));
        }
        return;
    }
    let mut xs = x.chunks_exact(CHUNK);
    let mut os = out.chunks_exact_mut(CHUNK);
    for (xc, oc) in (&mut xs).zip(&mut os) {
        for (o, &v) in oc.iter_mut().zip(xc) {
            *o = k.dq(k.q::<RECIP>(v));
        }
    }
    for (o, &v) in os.into_remainder().iter_mut().zip(xs.remainder()) {
        *o = k.dq(k.q::<RECIP>(v));
    }
}

// The per-run loops as one-argument function items, for `kernels::vectorize` (which compiles
// them for the widest instruction set the CPU has).
#[inline(always)]
fn quantize_job<Q: QuantInt, const RECIP: bool>((x, k, out): (&[f32], &Kernel, &mut [Q])) {
    quantize_run::<Q, RECIP>(x, k, out)
}
#[inline(always)]
fn dequantize_job<Q: QuantInt>((q, k, out): (&[Q], &Kernel, &mut [f32])) {
    dequantize_run(q, k, out)
}
#[inline(always)]
fn fake_job<const RECIP: bool>((x, k, out): (&[f32], &Kernel, &mut [f32])) {
    fake_run::<RECIP>(x, k, out)
}

// Runs of several parameters, for the same dispatch: `out[i]` = op(`src[i]`,
// `params[i / block]`), a kernel per block (per element where `block` is 1: a run of
// per-element parameters; blocks of a row otherwise), so that the loop over a row or a run
// vectorizes instead of taking one element at a time. A block whose kernel is `exact` (a
// tiny scale or reciprocal, CONTRACT.md §14) takes `exact` instead of `op`; a run of
// per-element parameters takes it for the whole run if any of them is.
#[inline(always)]
fn blocks_run<S: Copy, D>(
    src: &[S],
    params: &[QParams],
    block: usize,
    out: &mut [D],
    new: impl Fn(QParams) -> Kernel,
    op: impl Fn(S, &Kernel) -> D,
    exact: impl Fn(S, &Kernel) -> D,
) {
    if block == 1 {
        let n = out.len().min(src.len());
        if params[..n].iter().any(|&p| new(p).exact) {
            for ((d, &v), &p) in out.iter_mut().zip(src).zip(params) {
                *d = exact(v, &new(p));
            }
        } else {
            for ((d, &v), &p) in out.iter_mut().zip(src).zip(params) {
                *d = op(v, &new(p));
            }
        }
    } else if block == 32 {
        // The common block: a loop of fixed length (no remainder loop per block).
        let whole = src.len() / 32 * 32;
        let (sb, st) = src.split_at(whole);
        let (ob, ot) = out.split_at_mut(whole);
        for ((sc, oc), &p) in sb.chunks_exact(32).zip(ob.chunks_exact_mut(32)).zip(params) {
            let k = new(p);
            let (sc, oc): (&[S; 32], &mut [D; 32]) =
                (sc.try_into().unwrap(), oc.try_into().unwrap());
            if k.exact {
                for t in 0..32 {
                    oc[t] = exact(sc[t], &k);
                }
            } else {
                for t in 0..32 {
                    oc[t] = op(sc[t], &k);
                }
            }
        }
        if let Some(&p) = params.get(whole / 32) {
            let k = new(p);
            for (d, &v) in ot.iter_mut().zip(st) {
                *d = if k.exact { exact(v, &k) } else { op(v, &k) };
            }
        }
    } else {
        for ((sc, oc), &p) in src.chunks(block).zip(out.chunks_mut(block)).zip(params) {
            let k = new(p);
            if k.exact {
                for (d, &v) in oc.iter_mut().zip(sc) {
                    *d = exact(v, &k);
                }
            } else {
                for (d, &v) in oc.iter_mut().zip(sc) {
                    *d = op(v, &k);
                }
            }
        }
    }
}
/// A run of several parameters as a [`Job`](crate::kernels::scaled::Job) (compiled for the
/// active level's instruction set): `OP` is [`QUANTIZE`], [`DEQUANTIZE`] or [`FAKE`].
struct Blocks<'a, Q, S, D, const OP: u8, const RECIP: bool> {
    src: &'a [S],
    params: &'a [QParams],
    block: usize,
    o: QuantOptions,
    out: &'a mut [D],
    q: core::marker::PhantomData<Q>,
}
const QUANTIZE: u8 = 0;
const DEQUANTIZE: u8 = 1;
const FAKE: u8 = 2;

impl<Q: QuantInt, const RECIP: bool> crate::kernels::scaled::Job
    for Blocks<'_, Q, f32, Q, QUANTIZE, RECIP>
{
    #[inline(always)]
    fn run(self) {
        let o = self.o;
        blocks_run(
            self.src,
            self.params,
            self.block,
            self.out,
            #[inline(always)]
            |p| Kernel::new::<Q>(p, o),
            #[inline(always)]
            |v, k| Q::from_i32(k.q::<RECIP>(v)),
            #[inline(always)]
            |v, k| Q::from_i32(k.q_exact::<RECIP>(v)),
        )
    }
}

impl<Q: QuantInt> crate::kernels::scaled::Job for Blocks<'_, Q, Q, f32, DEQUANTIZE, false> {
    #[inline(always)]
    fn run(self) {
        let o = self.o;
        blocks_run(
            self.src,
            self.params,
            self.block,
            self.out,
            #[inline(always)]
            |p| Kernel::new::<Q>(p, o),
            #[inline(always)]
            |v, k| k.dq(v.to_i32()),
            #[inline(always)]
            |v, k| k.dq_exact(v.to_i32()),
        )
    }
}

impl<Q: QuantInt, const RECIP: bool> crate::kernels::scaled::Job
    for Blocks<'_, Q, f32, f32, FAKE, RECIP>
{
    #[inline(always)]
    fn run(self) {
        let o = self.o;
        blocks_run(
            self.src,
            self.params,
            self.block,
            self.out,
            #[inline(always)]
            |p| Kernel::new::<Q>(p, o),
            #[inline(always)]
            |v, k| k.dq(k.q::<RECIP>(v)),
            #[inline(always)]
            |v, k| k.dq_exact(k.q_exact::<RECIP>(v)),
        )
    }
}

/// Run a [`Blocks`] job.
#[inline(always)]
fn blocks<Q, S, D, const OP: u8, const RECIP: bool>(
    (src, params, block, o, out): (&[S], &[QParams], usize, QuantOptions, &mut [D]),
) where
    for<'a> Blocks<'a, Q, S, D, OP, RECIP>: crate::kernels::scaled::Job,
{
    crate::kernels::scaled::run(Blocks::<Q, S, D, OP, RECIP> {
        src,
        params,
        block,
        o,
        out,
        q: core::marker::PhantomData,
    })
}

fn check_all<Q: QuantInt>(params: &[QParams]) -> Result<(), Error> {
    params.iter().try_for_each(|p| p.check::<Q>())
}

/// The shared driver of quantize, dequantize and fake quantize: check the parameters and
/// lengths (nothing is written on `Err`), then `out[i] = op(src[i])` run by run: a run with
/// one set of parameters through `whole` (the dispatched kernels), a run of per-element
/// parameters (per-axis with an inner size of 1) through `blocks` with a block of 1 (the
/// dispatched per-element loop), and blocks along the last axis a row at a time through
/// `blocks`; at [`Level::Scalar`](crate::Level::Scalar) (the reference) a run of per-element
/// parameters goes through `one`, element by element, and blocks a run at a time.
#[allow(clippy::too_many_arguments)]
fn run_plan<Q: QuantInt, S: Copy, D>(
    plan: &Plan,
    src: &[S],
    params: &[QParams],
    o: QuantOptions,
    out: &mut [D],
    whole: impl Fn(&[S], &Kernel, &mut [D]),
    one: impl Fn(S, &Kernel) -> D,
    blocks: impl Fn(&[S], &[QParams], usize, &mut [D]),
) -> Result<(), Error> {
    plan.check_params(params.len())?;
    check_all::<Q>(params)?;
    check_len(src.len(), out.len())?;
    let fast = super::fast::enabled();
    if let (true, Some(b), false, 1, false) =
        (fast, plan.block, plan.per_tensor, plan.inner, plan.len == 0)
    {
        // Blocked along the last axis: a row at a time.
        let nb = plan.blocks_along_axis();
        let rows = src.chunks(plan.dim).zip(out.chunks_mut(plan.dim));
        for ((sr, or), pr) in rows.zip(params.chunks(nb)) {
            blocks(sr, pr, b, or);
        }
        return Ok(());
    }
    plan.for_each_run(|start, n, run| {
        let (src, out) = (&src[start..start + n], &mut out[start..start + n]);
        match run {
            Run::Uniform(i) => whole(src, &Kernel::new::<Q>(params[i], o), out),
            Run::Each(i0) if fast => blocks(src, &params[i0..i0 + n], 1, out),
            Run::Each(i0) => {
                for ((d, &v), &p) in out.iter_mut().zip(src).zip(&params[i0..i0 + n]) {
                    *d = one(v, &Kernel::new::<Q>(p, o));
                }
            }
        }
    });
    Ok(())
}

/// Quantize `x` into `out` run by run.
fn quantize_plan<Q: QuantInt>(
    plan: &Plan,
    x: &[f32],
    params: &[QParams],
    o: QuantOptions,
    out: &mut [Q],
) -> Result<(), Error> {
    let recip = o.rule == ScaleRule::Reciprocal;
    run_plan::<Q, f32, Q>(
        plan,
        x,
        params,
        o,
        out,
        |x, k, out| match recip {
            true => crate::kernels::vectorize(quantize_job::<Q, true>, (x, k, out)),
            false => crate::kernels::vectorize(quantize_job::<Q, false>, (x, k, out)),
        },
        |v, k| {
            Q::from_i32(match (recip, k.exact) {
                (true, false) => k.q::<true>(v),
                (false, false) => k.q::<false>(v),
                (true, true) => k.q_exact::<true>(v),
                (false, true) => k.q_exact::<false>(v),
            })
        },
        |x, p, b, out| match recip {
            true => blocks::<Q, f32, Q, QUANTIZE, true>((x, p, b, o, out)),
            false => blocks::<Q, f32, Q, QUANTIZE, false>((x, p, b, o, out)),
        },
    )
}

/// Dequantize `q` into `out` run by run.
fn dequantize_plan<Q: QuantInt>(
    plan: &Plan,
    q: &[Q],
    params: &[QParams],
    out: &mut [f32],
) -> Result<(), Error> {
    run_plan::<Q, Q, f32>(
        plan,
        q,
        params,
        QuantOptions::default(),
        out,
        |q, k, out| crate::kernels::vectorize(dequantize_job::<Q>, (q, k, out)),
        |v, k| match k.exact {
            false => k.dq(v.to_i32()),
            true => k.dq_exact(v.to_i32()),
        },
        |q, p, b, out| {
            let o = QuantOptions::default();
            blocks::<Q, Q, f32, DEQUANTIZE, false>((q, p, b, o, out))
        },
    )
}

/// Quantize and dequantize `x` into `out` run by run.
fn fake_plan<Q: QuantInt>(
    plan: &Plan,
    x: &[f32],
    params: &[QParams],
    o: QuantOptions,
    out: &mut [f32],
) -> Result<(), Error> {
    let recip = o.rule == ScaleRule::Reciprocal;
    run_plan::<Q, f32, f32>(
        plan,
        x,
        params,
        o,
        out,
        |x, k, out| match recip {
            true => crate::kernels::vectorize(fake_job::<true>, (x, k, out)),
            false => crate::kernels::vectorize(fake_job::<false>, (x, k, out)),
        },
        |v, k| match (recip, k.exact) {
            (true, false) => k.dq(k.q::<true>(v)),
            (false, false) => k.dq(k.q::<false>(v)),
            (true, true) => k.dq_exact(k.q_exact::<true>(v)),
            (false, true) => k.dq_exact(k.q_exact::<false>(v)),
        },
        |x, p, b, out| match recip {
            true => blocks::<Q, f32, f32, FAKE, true>((x, p, b, o, out)),
            false => blocks::<Q, f32, f32, FAKE, false>((x, p, b, o, out)),
        },
    )
}

/// Quantize per tensor (ONNX `QuantizeLinear`, bit-exact with onnxruntime):
/// q = clamp(round_half_even(x / scale) + zero_point, qmin, qmax), one `f32` division.
///
/// ±∞ and values beyond the range saturate to qmax / qmin; **NaN gives the zero point**
/// (onnxruntime gives qmin). Errors (nothing written): invalid scale, zero point outside the
/// type, `out.len() != x.len()`.
///
/// ```
/// use lowp::quant::{quantize, QParams};
/// let mut q = [0u8; 6];
/// let p = QParams { scale: 0.61576974, zero_point: 10 };
/// quantize(&[56.34293, 0.0, -1e30, f32::INFINITY, f32::NAN, -0.0], p, &mut q)?;
/// assert_eq!(q, [102, 10, 0, 255, 10, 10]); // 56.34293 / s = 91.5 → 92 (ties to even)
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn quantize<Q: QuantInt>(x: &[f32], p: QParams, out: &mut [Q]) -> Result<(), Error> {
    quantize_with(x, p, QuantOptions::default(), out)
}

/// [`quantize`] with a choice of [`ScaleRule`] and range.
///
/// ```
/// use lowp::quant::{quantize_with, QParams, QuantOptions, ScaleRule};
/// let p = QParams { scale: 0.61576974, zero_point: 0 };
/// let o = QuantOptions { rule: ScaleRule::Reciprocal, restricted_range: true };
/// let mut q = [0i8; 2];
/// quantize_with(&[56.34293, -1000.0], p, o, &mut q)?;
/// assert_eq!(q, [91, -127]); // x · (1/s) = 91.49999 → 91; restricted range stops at −127
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn quantize_with<Q: QuantInt>(
    x: &[f32],
    p: QParams,
    options: QuantOptions,
    out: &mut [Q],
) -> Result<(), Error> {
    quantize_plan(&Plan::tensor(x.len()), x, &[p], options, out)
}

/// Dequantize per tensor (ONNX `DequantizeLinear`): (q − zero_point) as `f32` × scale, one
/// `f32` multiply (exact except for the rounding of that product, which overflows to ±∞ as in
/// onnxruntime where the scale is within 255× of `f32::MAX`).
///
/// ```
/// use lowp::quant::{dequantize, QParams};
/// let mut y = [0f32; 3];
/// dequantize(&[0u8, 128, 255], QParams { scale: 0.5, zero_point: 128 }, &mut y)?;
/// assert_eq!(y, [-64.0, 0.0, 63.5]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn dequantize<Q: QuantInt>(q: &[Q], p: QParams, out: &mut [f32]) -> Result<(), Error> {
    dequantize_plan(&Plan::tensor(q.len()), q, &[p], out)
}

/// Quantize then dequantize (QAT-style fake quantization), per tensor, in one pass. NaN gives
/// 0.0 (it quantizes to the zero point); ±∞ give the range's ends.
///
/// ```
/// use lowp::quant::{fake_quantize, QParams};
/// let mut y = [0f32; 3];
/// fake_quantize::<i8>(&[0.3, 100.0, f32::NAN], QParams { scale: 0.25, zero_point: 0 }, &mut y)?;
/// assert_eq!(y, [0.25, 31.75, 0.0]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn fake_quantize<Q: QuantInt>(x: &[f32], p: QParams, out: &mut [f32]) -> Result<(), Error> {
    fake_quantize_with::<Q>(x, p, QuantOptions::default(), out)
}

/// [`fake_quantize`] with options.
pub fn fake_quantize_with<Q: QuantInt>(
    x: &[f32],
    p: QParams,
    options: QuantOptions,
    out: &mut [f32],
) -> Result<(), Error> {
    fake_plan::<Q>(&Plan::tensor(x.len()), x, &[p], options, out)
}

/// [`fake_quantize`] in place.
pub fn fake_quantize_in_place<Q: QuantInt>(x: &mut [f32], p: QParams) -> Result<(), Error> {
    p.check::<Q>()?;
    let k = Kernel::new::<Q>(p, QuantOptions::default());
    for v in x.iter_mut() {
        *v = k.dq_any(k.q_any(*v));
    }
    Ok(())
}

/// Quantize per axis (ONNX `QuantizeLinear` with a 1-D scale): element `(…, j, …)` with index
/// `j` along `axis` of the row-major tensor `shape` uses `params[j]`. Rounding, NaN and
/// overflow as [`quantize`].
///
/// Errors (nothing written): shape/length mismatch, axis out of range, `params.len()` not the
/// axis length, any invalid parameter, `out.len() != x.len()`.
///
/// ```
/// use lowp::quant::{quantize_per_axis, QParams};
/// let p = [QParams::new(1.0, 0), QParams::new(0.5, 0)];
/// let mut q = [0i8; 4];
/// quantize_per_axis(&[1.0, 1.0, 2.5, 2.5], &[2, 2], 1, &p, &mut q)?; // one per column
/// assert_eq!(q, [1, 2, 2, 5]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn quantize_per_axis<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    params: &[QParams],
    out: &mut [Q],
) -> Result<(), Error> {
    quantize_per_axis_with(x, shape, axis, params, QuantOptions::default(), out)
}

/// [`quantize_per_axis`] with options.
pub fn quantize_per_axis_with<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    params: &[QParams],
    options: QuantOptions,
    out: &mut [Q],
) -> Result<(), Error> {
    let plan = Plan::new(x.len(), shape, axis, None)?;
    quantize_plan(&plan, x, params, options, out)
}

/// Dequantize per axis (the inverse layout of [`quantize_per_axis`]).
pub fn dequantize_per_axis<Q: QuantInt>(
    q: &[Q],
    shape: &[usize],
    axis: usize,
    params: &[QParams],
    out: &mut [f32],
) -> Result<(), Error> {
    let plan = Plan::new(q.len(), shape, axis, None)?;
    dequantize_plan(&plan, q, params, out)
}

/// Fake-quantize per axis (quantize then dequantize; NaN → 0.0).
pub fn fake_quantize_per_axis<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    params: &[QParams],
    out: &mut [f32],
) -> Result<(), Error> {
    fake_quantize_per_axis_with::<Q>(x, shape, axis, params, QuantOptions::default(), out)
}

/// [`fake_quantize_per_axis`] with options.
pub fn fake_quantize_per_axis_with<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    params: &[QParams],
    options: QuantOptions,
    out: &mut [f32],
) -> Result<(), Error> {
    let plan = Plan::new(x.len(), shape, axis, None)?;
    fake_plan::<Q>(&plan, x, params, options, out)
}

/// Blocked quantization (ONNX opset 21 `QuantizeLinear` with `block_size`): along `axis`,
/// index `i` uses the parameter at index ⌊i / block_size⌋ of a parameter tensor that has the
/// input's shape with that axis made ⌈D / block_size⌉ (row-major). Rounding, NaN and overflow
/// as [`quantize`].
///
/// Errors (nothing written): block size 0, axis out of range, shape/length mismatch, wrong
/// parameter count, any invalid parameter, `out.len() != x.len()`.
///
/// ```
/// use lowp::quant::{quantize_blocked, QParams};
/// let p = [QParams::new(1.0, 0), QParams::new(0.25, 0)];
/// let mut q = [0i8; 3];
/// quantize_blocked(&[1.0, 1.0, 1.0], &[3], 0, 2, &p, &mut q)?; // blocks {0, 1}, {2}
/// assert_eq!(q, [1, 1, 4]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn quantize_blocked<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    block_size: usize,
    params: &[QParams],
    out: &mut [Q],
) -> Result<(), Error> {
    quantize_blocked_with(
        x,
        shape,
        axis,
        block_size,
        params,
        QuantOptions::default(),
        out,
    )
}

/// [`quantize_blocked`] with options.
pub fn quantize_blocked_with<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    block_size: usize,
    params: &[QParams],
    options: QuantOptions,
    out: &mut [Q],
) -> Result<(), Error> {
    let plan = Plan::new(x.len(), shape, axis, Some(block_size))?;
    quantize_plan(&plan, x, params, options, out)
}

/// Blocked dequantization (ONNX opset 21 `DequantizeLinear` with `block_size`).
pub fn dequantize_blocked<Q: QuantInt>(
    q: &[Q],
    shape: &[usize],
    axis: usize,
    block_size: usize,
    params: &[QParams],
    out: &mut [f32],
) -> Result<(), Error> {
    let plan = Plan::new(q.len(), shape, axis, Some(block_size))?;
    dequantize_plan(&plan, q, params, out)
}

/// Blocked fake quantization (quantize then dequantize; NaN → 0.0).
pub fn fake_quantize_blocked<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    block_size: usize,
    params: &[QParams],
    out: &mut [f32],
) -> Result<(), Error> {
    fake_quantize_blocked_with::<Q>(
        x,
        shape,
        axis,
        block_size,
        params,
        QuantOptions::default(),
        out,
    )
}

/// [`fake_quantize_blocked`] with options.
pub fn fake_quantize_blocked_with<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    block_size: usize,
    params: &[QParams],
    options: QuantOptions,
    out: &mut [f32],
) -> Result<(), Error> {
    let plan = Plan::new(x.len(), shape, axis, Some(block_size))?;
    fake_plan::<Q>(&plan, x, params, options, out)
}

/// Quantize per tensor to a 4-bit type packed two per byte (element 0 in the low nibble; an
/// odd tail leaves the last high nibble 0). `out.len()` must be ⌈`x.len()` / 2⌉. Rounding, NaN
/// and overflow as [`quantize`].
///
/// ```
/// use lowp::quant::{quantize_packed, QParams, I4};
/// let mut b = [0u8; 2];
/// quantize_packed::<I4>(&[-1.0, 2.0, 100.0], QParams::new(1.0, 0), &mut b)?;
/// assert_eq!(b, [0x2F, 0x07]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn quantize_packed<Q: Nibble>(x: &[f32], p: QParams, out: &mut [u8]) -> Result<(), Error> {
    p.check::<Q>()?;
    check_len(packed_4bit_len(x.len()), out.len())?;
    let k = Kernel::new::<Q>(p, QuantOptions::default());
    let mut pairs = x.chunks_exact(2);
    for (d, v) in out.iter_mut().zip(&mut pairs) {
        let a = Q::from_i32(k.q_any(v[0])).to_nibble();
        let b = Q::from_i32(k.q_any(v[1])).to_nibble();
        *d = a | (b << 4);
    }
    if let ([v], Some(d)) = (pairs.remainder(), out.last_mut()) {
        *d = Q::from_i32(k.q_any(*v)).to_nibble();
    }
    Ok(())
}

/// Dequantize `out.len()` packed 4-bit values (⌈`out.len()` / 2⌉ bytes in `packed`).
///
/// ```
/// use lowp::quant::{dequantize_packed, QParams, U4};
/// let mut y = [0f32; 3];
/// dequantize_packed::<U4>(&[0xF0, 0x08], QParams::new(0.5, 8), &mut y)?;
/// assert_eq!(y, [-4.0, 3.5, 0.0]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn dequantize_packed<Q: Nibble>(
    packed: &[u8],
    p: QParams,
    out: &mut [f32],
) -> Result<(), Error> {
    p.check::<Q>()?;
    check_len(packed_4bit_len(out.len()), packed.len())?;
    let k = Kernel::new::<Q>(p, QuantOptions::default());
    for (i, o) in out.iter_mut().enumerate() {
        let b = packed[i / 2];
        *o = k.dq_any(Q::from_nibble(if i % 2 == 0 { b } else { b >> 4 }).to_i32());
    }
    Ok(())
}

/// ONNX `DynamicQuantizeLinear` (bit-exact with onnxruntime): parameters from the data's range
/// widened to include 0 ([`Scheme::Asymmetric`] for `u8`), then [`quantize`]. Returns them.
///
/// NaNs are skipped when finding the range (and quantize to the zero point); an infinity makes
/// the scale infinite and is an error. An all-zero (or empty) input gives scale 1, zero point 0.
///
/// ```
/// use lowp::quant::{dynamic_quantize_u8, QParams};
/// let mut q = [0u8; 4];
/// let p = dynamic_quantize_u8(&[-1.0, 0.0, 1.0, 2.0], &mut q)?;
/// assert_eq!(p, QParams { scale: 3.0 / 255.0, zero_point: 85 });
/// assert_eq!(q, [0, 85, 170, 255]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn dynamic_quantize_u8(x: &[f32], out: &mut [u8]) -> Result<QParams, Error> {
    check_len(x.len(), out.len())?;
    let p = qparams_from_data::<u8>(x, Scheme::Asymmetric)?;
    quantize(x, p, out)?;
    Ok(p)
}

/// The smallest and largest non-NaN value of `x` (None if there is none).
pub(crate) fn min_max(x: &[f32]) -> Option<(f32, f32)> {
    let mut lo = f32::INFINITY;
    let mut hi = f32::NEG_INFINITY;
    let mut any = false;
    for &v in x {
        if !v.is_nan() {
            any = true;
            lo = if crate::fenv::lt(v, lo) { v } else { lo };
            hi = if crate::fenv::gt(v, hi) { v } else { hi };
        }
    }
    any.then_some((lo, hi))
}

/// Parameters for the integer type `Q` from a range (`CONTRACT.md` §4). The range is first
/// widened to include 0.
///
/// - [`Scheme::Asymmetric`]: scale = (max − min) / (qmax − qmin) in `f32` (1 if that is 0),
///   zero_point = clamp(round_half_even(qmin − min / scale), qmin, qmax) — ONNX
///   `DynamicQuantizeLinear` and onnxruntime exactly, for `u8` (and the same rule for the
///   other types).
/// - [`Scheme::Symmetric`]: scale = amax / 127 (8-bit) or amax / 7 (4-bit), zero point 0
///   (128 / 8 for unsigned types).
/// - [`Scheme::SymmetricFullRange`] (PyTorch): scale = amax / 127.5 or amax / 7.5.
///
/// A non-empty range so narrow that the scale underflows to 0 gets the smallest positive scale,
/// 2^-149, instead of 1 (which would quantize all of it to the zero point).
///
/// Errors: NaN or infinite bounds, min > max, or a range so wide that the scale overflows.
///
/// ```
/// use lowp::quant::{choose_qparams, QParams, Scheme, I4};
/// assert_eq!(choose_qparams::<u8>(0.5, 2.0, Scheme::Asymmetric)?, QParams::new(2.0 / 255.0, 0));
/// assert_eq!(choose_qparams::<i8>(-2.54, 1.0, Scheme::Symmetric)?, QParams::new(0.02, 0));
/// assert_eq!(choose_qparams::<u8>(-1.0, 1.0, Scheme::SymmetricFullRange)?.zero_point, 128);
/// assert_eq!(choose_qparams::<I4>(-7.0, 0.0, Scheme::Symmetric)?, QParams::new(1.0, 0));
/// assert_eq!(choose_qparams::<i8>(0.0, 0.0, Scheme::Asymmetric)?, QParams::new(1.0, -128));
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn choose_qparams<Q: QuantInt>(min: f32, max: f32, scheme: Scheme) -> Result<QParams, Error> {
    if !min.is_finite() || !max.is_finite() {
        return Err(Error::InvalidInput("range bounds must be finite"));
    }
    // The comparisons and arithmetic are DAZ/FTZ-proof (CONTRACT.md §14).
    use crate::fenv::{div, gt, lt, sub};
    if gt(min, max) {
        return Err(Error::InvalidInput("range minimum exceeds its maximum"));
    }
    let min = if lt(min, 0.0) { min } else { 0.0 };
    let max = if gt(max, 0.0) { max } else { 0.0 };
    let (qmin, qmax) = (Q::MIN, Q::MAX);
    let p = match scheme {
        Scheme::Asymmetric => {
            let scale = div(sub(max, min), (qmax - qmin) as f32);
            let scale = nonzero_scale(scale, sub(max, min));
            let z = sub(qmin as f32, div(min, scale));
            let z = z.clamp(qmin as f32, qmax as f32);
            QParams::new(scale, round_half_even(z) as i32)
        }
        Scheme::Symmetric | Scheme::SymmetricFullRange => {
            let amax = if gt(-min, max) { -min } else { max };
            let steps = (qmax - qmin) as f32 / 2.0;
            let half = if scheme == Scheme::Symmetric {
                steps - 0.5
            } else {
                steps
            };
            let scale = div(amax, half);
            let scale = nonzero_scale(scale, amax);
            QParams::new(scale, (qmin + qmax + 1) / 2)
        }
    };
    if !p.scale.is_finite() {
        return Err(Error::InvalidInput(
            "range too wide: the scale overflows f32",
        ));
    }
    Ok(p)
}

/// A computed scale made valid: 1 for an empty range (`width` 0, the ONNX rule), 2^-149 (the
/// smallest positive `f32`) where a non-empty range is so narrow that the quotient underflows.
fn nonzero_scale(scale: f32, width: f32) -> f32 {
    // (Zero tests on the bits: under DAZ a subnormal compares equal to 0.)
    if !crate::fenv::is_zero(scale) {
        scale
    } else if crate::fenv::is_zero(width) {
        1.0
    } else {
        f32::from_bits(1)
    }
}

/// Round half to even, for |v| ≤ 2^22 (used on clamped values).
#[inline(always)]
pub(crate) fn round_half_even(v: f32) -> f32 {
    if fabs(v) >= 4_194_304.0 {
        return v; // already an integer (or out of the trick's range; callers clamp first)
    }
    if v < 0.0 {
        -((-v + 8_388_608.0) - 8_388_608.0)
    } else {
        (v + 8_388_608.0) - 8_388_608.0
    }
}

/// Parameters from the data's range: [`choose_qparams`] on the smallest and largest non-NaN
/// values (an empty or all-NaN input gives the range [0, 0]). An infinity is an error.
pub fn qparams_from_data<Q: QuantInt>(x: &[f32], scheme: Scheme) -> Result<QParams, Error> {
    let (lo, hi) = min_max(x).unwrap_or((0.0, 0.0));
    if !lo.is_finite() || !hi.is_finite() {
        return Err(Error::InvalidInput(
            "the data contains an infinity: no finite range",
        ));
    }
    choose_qparams::<Q>(lo, hi, scheme)
}

/// Per-group ranges over a plan, then parameters written to `out` (only if all succeed).
fn qparams_plan<Q: QuantInt>(
    plan: &Plan,
    x: &[f32],
    scheme: Scheme,
    out: &mut [QParams],
) -> Result<(), Error> {
    plan.check_params(out.len())?;
    let mut ranges = vec![(0.0f32, 0.0f32); out.len()];
    let mut update = |i: usize, v: f32| {
        let r: &mut (f32, f32) = &mut ranges[i];
        if crate::fenv::lt(v, r.0) {
            r.0 = v;
        }
        if crate::fenv::gt(v, r.1) {
            r.1 = v;
        }
    };
    plan.for_each_run(|start, n, run| {
        for (t, &v) in x[start..start + n].iter().enumerate() {
            match run {
                Run::Uniform(i) => update(i, v),
                Run::Each(i0) => update(i0 + t, v),
            }
        }
    });
    let mut params = Vec::with_capacity(out.len());
    for &(lo, hi) in &ranges {
        if !lo.is_finite() || !hi.is_finite() {
            return Err(Error::InvalidInput(
                "the data contains an infinity: no finite range",
            ));
        }
        params.push(choose_qparams::<Q>(lo, hi, scheme)?);
    }
    out.copy_from_slice(&params);
    Ok(())
}

/// Per-axis parameters from the data: one [`choose_qparams`] per index along `axis` (ranges
/// always include 0; NaNs are skipped; an infinity is an error). `out.len()` must be the axis
/// length.
///
/// ```
/// use lowp::quant::{qparams_per_axis, QParams, Scheme};
/// let mut p = [QParams::new(1.0, 0); 2];
/// qparams_per_axis::<i8>(&[1.27, -2.54, 0.5, 0.0], &[2, 2], 1, Scheme::Symmetric, &mut p)?;
/// assert_eq!(p, [QParams::new(0.01, 0), QParams::new(0.02, 0)]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn qparams_per_axis<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    scheme: Scheme,
    out: &mut [QParams],
) -> Result<(), Error> {
    let plan = Plan::new(x.len(), shape, axis, None)?;
    qparams_plan::<Q>(&plan, x, scheme, out)
}

/// Blocked parameters from the data, laid out as [`quantize_blocked`] expects them.
pub fn qparams_blocked<Q: QuantInt>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    block_size: usize,
    scheme: Scheme,
    out: &mut [QParams],
) -> Result<(), Error> {
    let plan = Plan::new(x.len(), shape, axis, Some(block_size))?;
    qparams_plan::<Q>(&plan, x, scheme, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_vs_reciprocal() {
        let p = QParams::new(0.615_769_74, 0);
        let mut a = [0i8; 1];
        quantize(&[56.342_93], p, &mut a).unwrap();
        let mut b = [0i8; 1];
        let o = QuantOptions {
            rule: ScaleRule::Reciprocal,
            ..Default::default()
        };
        quantize_with(&[56.342_93], p, o, &mut b).unwrap();
        assert_eq!((a[0], b[0]), (92, 91));
    }

    #[test]
    fn kernel_matches_reference() {
        // Compare the magic-number kernel with a plain f64 reference on many values.
        let mut s: u32 = 1;
        for _ in 0..200_000 {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let x = f32::from_bits(s);
            if x.is_nan() {
                continue;
            }
            let p = QParams::new(0.037, 3);
            let k = Kernel::new::<i8>(p, QuantOptions::default());
            let v = x / p.scale;
            let want = if v.is_nan() {
                3
            } else {
                let r = (v as f64).clamp(-131.0, 124.0);
                let fl = r.floor();
                let d = r - fl;
                let rr = if d > 0.5 || (d == 0.5 && fl % 2.0 != 0.0) {
                    fl + 1.0
                } else {
                    fl
                };
                rr as i32 + 3
            };
            assert_eq!(k.q::<false>(x), want, "x = {x:e}");
        }
    }

    /// An alternative for SIMD kernels without a fast vector division: f32(f64(x) · f64(1/s))
    /// equals the f32 quotient x / s unless that quotient is subnormal. Why: the f64 product
    /// has relative error < 2^-52, while a quotient of two f32 values is never within 2^-49
    /// (relative) of a midpoint m = (2k+1)·2^(e−24) between adjacent f32 values — x and m·s
    /// are multiples of 2^(e+e_s−47) and differ, because the odd part of m·s has ≥ 25 bits
    /// and x has ≤ 24 — so both round to the same f32 (the overflow threshold is such a
    /// midpoint too).
    #[test]
    fn f64_reciprocal_product_is_the_f32_quotient() {
        let mut s: u64 = 0x1234_5678_9ABC_DEF1;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let n = if cfg!(debug_assertions) {
            200_000
        } else {
            20_000_000
        };
        for i in 0..n {
            let r = next();
            let x = f32::from_bits(r as u32);
            // Scales: random positive finite, often with short significands (common scales).
            let sb = (r >> 32) as u32 & 0x7FFF_FFFF;
            let sb = if i % 3 == 0 { sb & 0x7FFF_0000 } else { sb };
            let scale = f32::from_bits(sb);
            if !(scale.is_finite() && scale > 0.0) || x.is_nan() {
                continue;
            }
            let q = x / scale;
            let p = (x as f64 * (1.0 / scale as f64)) as f32;
            if q.abs() < f32::MIN_POSITIVE {
                // Subnormal quotients may differ in their last bits (the f64 product rounds
                // twice there); both round to the integer 0.
                assert!(p.abs() <= f32::MIN_POSITIVE);
                continue;
            }
            assert!(
                q.to_bits() == p.to_bits(),
                "x = {x:e}, scale = {scale:e}: {q:e} vs {p:e}"
            );
        }
        // Ties: x = (k + 0.5)·scale rounded to f32, and neighbours.
        for &scale in &[0.615_769_74f32, 0.1, 1.0 / 3.0, 3e-5, 0.0123, 7.0] {
            for k in -300..300 {
                let t = ((k as f64 + 0.5) * scale as f64) as f32;
                for x in [
                    f32::from_bits(t.to_bits() - 1),
                    t,
                    f32::from_bits(t.to_bits() + 1),
                ] {
                    let p = (x as f64 * (1.0 / scale as f64)) as f32;
                    assert_eq!((x / scale).to_bits(), p.to_bits(), "{x:e} {scale:e}");
                }
            }
        }
    }

    #[test]
    fn errors_write_nothing() {
        let mut q = [7i8; 2];
        assert_eq!(
            quantize(&[1.0, 2.0], QParams::new(0.0, 0), &mut q),
            Err(Error::InvalidScale { scale: 0.0 })
        );
        assert_eq!(
            quantize(&[1.0, 2.0], QParams::new(1.0, 200), &mut q),
            Err(Error::ZeroPointOutOfRange {
                zero_point: 200,
                min: -128,
                max: 127
            })
        );
        let p = [QParams::new(1.0, 0), QParams::new(-1.0, 0)];
        assert!(quantize_per_axis(&[1.0, 2.0], &[2], 0, &p, &mut q).is_err());
        assert_eq!(q, [7, 7]);
    }

    #[test]
    fn i4_roundtrip() {
        for v in -8..=7 {
            assert_eq!(I4::from_i32(v).to_i32(), v);
            assert_eq!(I4::from_nibble(I4::from_i32(v).to_nibble()).to_i32(), v);
        }
        for v in 0..=15 {
            assert_eq!(U4::from_nibble(U4::from_i32(v).to_nibble()).to_i32(), v);
        }
    }
}
