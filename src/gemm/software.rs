//! The software level that real kernels add around the instruction: operand scales, promotion
//! of the instruction's accumulator into an f32 accumulator, and reference accumulators.

use super::alloc::vec;
use super::alloc::vec::Vec;
use super::driver::{decode_operand, matmul};
use super::exact::{decode_f32, fma_f32, mul_f32, BigFixed, Class};
use super::preset::{Mma, Operand};
use crate::format::{Format, Overflow, Rounding};
use crate::formats::table;
use crate::quant::{amax, quantize_scaled, scale_from_amax};
use crate::Error;

/// The scales of one operand: a grid of blocks over the operand (A is m×k, B is k×n), one
/// `f32` scale per block (row-major over the grid), times a tensor-wide scale.
///
/// The value an element stands for is `tensor · scales[block] · element`. E8M0 (MX) and E4M3
/// (NVFP4) scales are exactly representable as `f32`, so every scheme is one of these:
/// per tensor, per row of A / column of B ([`Scaling::rows`], [`Scaling::cols`]),
/// DeepSeek-V3's 1×128 activation and 128×128 weight blocks ([`Scaling::blocks`]), MX
/// (blocks of 32 along k with E8M0 values) and NVFP4 (16 along k with E4M3 values and a
/// tensor scale).
#[derive(Clone, Debug, PartialEq)]
pub struct Scaling {
    /// Block height (rows of the operand per block).
    pub block_rows: usize,
    /// Block width (columns of the operand per block).
    pub block_cols: usize,
    /// One scale per block, row-major over the block grid (empty: every block scale is 1).
    pub scales: Vec<f32>,
    /// The tensor-wide scale.
    pub tensor: f32,
}

impl Scaling {
    /// No scaling (every scale 1).
    pub fn none() -> Scaling {
        Scaling {
            block_rows: usize::MAX,
            block_cols: usize::MAX,
            scales: Vec::new(),
            tensor: 1.0,
        }
    }
    /// One scale for the whole operand.
    pub fn tensor(scale: f32) -> Scaling {
        Scaling {
            tensor: scale,
            ..Scaling::none()
        }
    }
    /// Blocks of `rows` × `cols` with their scales (row-major over the grid of blocks).
    pub fn blocks(rows: usize, cols: usize, scales: Vec<f32>) -> Scaling {
        Scaling {
            block_rows: rows,
            block_cols: cols,
            scales,
            tensor: 1.0,
        }
    }
    /// One scale per row (of A: per token / per output row).
    pub fn rows(scales: Vec<f32>) -> Scaling {
        Scaling::blocks(1, usize::MAX, scales)
    }
    /// One scale per column (of B: per output channel).
    pub fn cols(scales: Vec<f32>) -> Scaling {
        Scaling::blocks(usize::MAX, 1, scales)
    }
    /// The same scaling with a tensor-wide scale (NVFP4's second level).
    pub fn with_tensor(mut self, tensor: f32) -> Scaling {
        self.tensor = tensor;
        self
    }

    fn grid(&self, rows: usize, cols: usize) -> (usize, usize) {
        (
            rows.div_ceil(self.block_rows.max(1)),
            cols.div_ceil(self.block_cols.max(1)),
        )
    }

    fn check(&self, rows: usize, cols: usize) -> Result<(), Error> {
        if self.block_rows == 0 || self.block_cols == 0 {
            return Err(Error::ZeroBlockSize);
        }
        if !(self.tensor.is_finite() && self.tensor > 0.0) {
            return Err(Error::InvalidScale { scale: self.tensor });
        }
        if !self.scales.is_empty() {
            let (gr, gc) = self.grid(rows, cols);
            if self.scales.len() != gr * gc {
                return Err(Error::ParamCountMismatch {
                    expected: gr * gc,
                    found: self.scales.len(),
                });
            }
        }
        Ok(())
    }

    /// The scale of element (r, c) as f32 bits: tensor · block (one f32 rounding).
    fn at(&self, rows: usize, cols: usize, r: usize, c: usize) -> u32 {
        if self.scales.is_empty() {
            return self.tensor.to_bits();
        }
        let (_, gc) = self.grid(rows, cols);
        let s = self.scales[(r / self.block_rows) * gc + c / self.block_cols];
        if self.tensor == 1.0 {
            s.to_bits()
        } else {
            mul_f32(self.tensor.to_bits(), s.to_bits())
        }
    }
}

/// How a [`Gemm`] accumulates along k.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Accumulation {
    /// The instruction's own accumulator over all of k (from +0), then the scales:
    /// `y = (s_a · s_b) · acc` in f32. The scales must be constant along k.
    Instruction,
    /// DeepGEMM-style promotion: every `every` elements of k the instruction's partial sum
    /// (accumulated from +0) is added into an f32 accumulator as `acc = fma(s_a · s_b,
    /// partial, acc)` (the scale product rounded to f32 first). `every` must be a multiple of
    /// the instruction's k and divide k; the scales must be constant within each segment.
    Promoted {
        /// Elements of k per promotion (128 in DeepGEMM).
        every: usize,
    },
    /// Exact: the exact sum of the scaled products `s_a·a·s_b·b`, rounded once to f32
    /// (nearest even). NaN if any product is NaN or ∞·0 or ∞ − ∞; ±∞ if one is infinite.
    Exact,
    /// Sequential f32 FMA over the dequantized operands: `acc = fma(s_a·a, s_b·b, acc)`
    /// for l = 0, 1, …, k−1 (each dequantized operand one f32 rounding), from +0.
    SequentialFma,
}

/// A matrix product as a kernel computes it: one instruction, operand scales, and how k is
/// accumulated.
///
/// ```
/// use lowp::gemm::{Accumulation, Gemm, Mma, Scaling};
/// use lowp::F8E4M3FN;
/// let mma = Mma::nvidia("Hopper", "wgmma", "m64n8k32.f32.e4m3.e4m3").unwrap();
/// let (m, n, k) = (1, 1, 256);
/// let a = vec![F8E4M3FN::from_f32(1.0); k];
/// let b = vec![F8E4M3FN::from_f32(1.0); k];
/// let mut y = [0f32];
/// // DeepSeek-V3: 1×128 blocks of A, 128×128 of B, promotion every 128 elements.
/// let g = Gemm::new(mma)
///     .with_scales(Scaling::blocks(1, 128, vec![0.5, 0.25]), Scaling::blocks(128, 128, vec![2.0, 2.0]))
///     .with_accumulation(Accumulation::Promoted { every: 128 });
/// g.run(m, n, k, &a, &b, &mut y).unwrap();
/// assert_eq!(y[0], 128.0 * 1.0 + 128.0 * 0.5);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Gemm {
    /// The instruction.
    pub mma: Mma,
    /// Scales of A (m×k).
    pub a_scaling: Scaling,
    /// Scales of B (k×n).
    pub b_scaling: Scaling,
    /// How k is accumulated.
    pub accumulation: Accumulation,
}

impl Gemm {
    /// The instruction alone: no scales, its own accumulator over all of k.
    pub fn new(mma: Mma) -> Gemm {
        Gemm {
            mma,
            a_scaling: Scaling::none(),
            b_scaling: Scaling::none(),
            accumulation: Accumulation::Instruction,
        }
    }
    /// With operand scales.
    pub fn with_scales(mut self, a: Scaling, b: Scaling) -> Gemm {
        self.a_scaling = a;
        self.b_scaling = b;
        self
    }
    /// With an accumulation.
    pub fn with_accumulation(mut self, accumulation: Accumulation) -> Gemm {
        self.accumulation = accumulation;
        self
    }

    /// y ← the scaled product of `a` (m×k) and `b` (k×n), row-major, as described; `y` is m×n
    /// and overwritten. Errors (and `y` untouched): the instruction's errors of
    /// [`super::matmul`], scales whose count does not match the block grid, invalid tensor
    /// scales, scales not constant where the accumulation needs them, a bad promotion interval.
    pub fn run<A: Format, B: Format>(
        &self,
        m: usize,
        n: usize,
        k: usize,
        a: &[A],
        b: &[B],
        y: &mut [f32],
    ) -> Result<(), Error> {
        self.a_scaling.check(m, k)?;
        self.b_scaling.check(k, n)?;
        let mn = m
            .checked_mul(n)
            .ok_or(Error::InvalidInput("matrix dimensions overflow usize"))?;
        if y.len() != mn {
            return Err(Error::LengthMismatch {
                expected: mn,
                found: y.len(),
            });
        }
        // The operands' lengths, checked (fuzz: a huge m·k with n = 0 overflowed a buffer size).
        for (rows, cols, len) in [(m, k, a.len()), (k, n, b.len())] {
            let want = rows
                .checked_mul(cols)
                .ok_or(Error::InvalidInput("matrix dimensions overflow usize"))?;
            if len != want {
                return Err(Error::LengthMismatch {
                    expected: want,
                    found: len,
                });
            }
        }
        match self.accumulation {
            Accumulation::Instruction => self.promoted(m, n, k, k.max(1), a, b, y),
            Accumulation::Promoted { every } => {
                if every == 0 || !every.is_multiple_of(self.mma.k()) || !k.is_multiple_of(every) {
                    return Err(Error::InvalidInput(
                        "the promotion interval must be a multiple of the instruction's k and divide k",
                    ));
                }
                self.promoted(m, n, k, every, a, b, y)
            }
            Accumulation::Exact => self.reference(m, n, k, a, b, y, true),
            Accumulation::SequentialFma => self.reference(m, n, k, a, b, y, false),
        }
    }

    /// Quantize `a` and `b` (f32) into the instruction's operand formats with lowp's scaled
    /// quantizer (nearest even, saturating; each block's scale from its amax, `amax / max`,
    /// as [`crate::quant::scale_from_amax`]), over the block grids of this description's
    /// scalings (their `scales` are replaced; the tensor scales are kept), then [`Gemm::run`].
    /// Returns the scalings used.
    pub fn quantize_run<A: Format, B: Format>(
        &self,
        m: usize,
        n: usize,
        k: usize,
        a: &[f32],
        b: &[f32],
        y: &mut [f32],
    ) -> Result<(Scaling, Scaling), Error> {
        let (mk, kn) = (
            m.checked_mul(k).ok_or(Error::InvalidInput("overflow"))?,
            k.checked_mul(n).ok_or(Error::InvalidInput("overflow"))?,
        );
        if a.len() != mk {
            return Err(Error::LengthMismatch {
                expected: mk,
                found: a.len(),
            });
        }
        if b.len() != kn {
            return Err(Error::LengthMismatch {
                expected: kn,
                found: b.len(),
            });
        }
        let (qa, sa) = quantize_grid::<A>(a, m, k, &self.a_scaling)?;
        let (qb, sb) = quantize_grid::<B>(b, k, n, &self.b_scaling)?;
        let g = self.clone().with_scales(sa.clone(), sb.clone());
        g.run(m, n, k, &qa, &qb, y)?;
        Ok((sa, sb))
    }

    fn promoted<A: Format, B: Format>(
        &self,
        m: usize,
        n: usize,
        k: usize,
        every: usize,
        a: &[A],
        b: &[B],
        y: &mut [f32],
    ) -> Result<(), Error> {
        let (sa, sb) = (&self.a_scaling, &self.b_scaling);
        // The scales must be constant within each segment of k.
        let a_ok = sa.scales.is_empty() || sa.block_cols % every == 0 || sa.block_cols >= k;
        let b_ok = sb.scales.is_empty() || sb.block_rows % every == 0 || sb.block_rows >= k;
        if !(a_ok && b_ok) {
            return Err(Error::InvalidInput(
                "the scales vary within a segment of k: promote at least as often as the scale blocks change",
            ));
        }
        let out_f16 = self.mma.model().output_spec().bits == 16;
        let segs = if k == 0 { 0 } else { k / every };
        let mut acc = vec![0u32; m * n];
        // m·every ≤ m·k = a.len() where k > 0; no segment (and no buffer) where k = 0.
        let mut asub: Vec<A> = Vec::with_capacity(if segs == 0 { 0 } else { m * every });
        let mut part32 = vec![0f32; m * n];
        let mut part16 = vec![crate::F16::from_bits(0); if out_f16 { m * n } else { 0 }];
        for s in 0..segs {
            let lo = s * every;
            asub.clear();
            for i in 0..m {
                asub.extend_from_slice(&a[i * k + lo..i * k + lo + every]);
            }
            let bsub = &b[lo * n..(lo + every) * n];
            if out_f16 {
                part16
                    .iter_mut()
                    .for_each(|x| *x = crate::F16::from_bits(0));
                matmul(&self.mma, m, n, every, &asub, bsub, &mut part16)?;
                for (p, h) in part32.iter_mut().zip(&part16) {
                    *p = h.to_f32();
                }
            } else {
                part32.iter_mut().for_each(|x| *x = 0.0);
                matmul(&self.mma, m, n, every, &asub, bsub, &mut part32)?;
            }
            for i in 0..m {
                let sai = sa.at(m, k, i, lo);
                for j in 0..n {
                    let s = mul_f32(sai, sb.at(k, n, lo, j));
                    let idx = i * n + j;
                    acc[idx] =
                        if segs == 1 && matches!(self.accumulation, Accumulation::Instruction) {
                            mul_f32(s, part32[idx].to_bits())
                        } else {
                            fma_f32(s, part32[idx].to_bits(), acc[idx])
                        };
                }
            }
        }
        for (o, v) in y.iter_mut().zip(&acc) {
            *o = f32::from_bits(*v);
        }
        Ok(())
    }

    fn reference<A: Format, B: Format>(
        &self,
        m: usize,
        n: usize,
        k: usize,
        a: &[A],
        b: &[B],
        y: &mut [f32],
        exact: bool,
    ) -> Result<(), Error> {
        let slot = |o: Operand, what: &'static str| -> Result<crate::Spec, Error> {
            match o {
                Operand::Format(s) if s == A::SPEC || s == B::SPEC => Ok(s),
                Operand::Format(s) if s == table::TF32 => Ok(s),
                _ => Err(Error::InvalidInput(what)),
            }
        };
        let pa = slot(self.mma.a(), "A is not this instruction's A format")?;
        let pb = slot(self.mma.b(), "B is not this instruction's B format")?;
        if A::SPEC != pa && !(pa == table::TF32 && A::SPEC == table::F32) {
            return Err(Error::InvalidInput("A is not this instruction's A format"));
        }
        if B::SPEC != pb && !(pb == table::TF32 && B::SPEC == table::F32) {
            return Err(Error::InvalidInput("B is not this instruction's B format"));
        }
        if a.len() != m * k || b.len() != k * n {
            return Err(Error::LengthMismatch {
                expected: m * k,
                found: a.len(),
            });
        }
        // Dequantized operands as f32 bits (one rounding: scale · value).
        let deq = |bits: u32, s: u32| -> u32 {
            if s == 1.0f32.to_bits() {
                bits
            } else {
                mul_f32(s, bits)
            }
        };
        let to32 = |v: super::exact::Val, f: u32| -> u32 {
            match v.class {
                Class::Nan => 0x7FC0_0000,
                Class::Inf => 0x7F80_0000 | ((v.neg as u32) << 31),
                Class::Finite => super::exact::round_wide(
                    &table::F32,
                    v.neg,
                    v.sig as u128,
                    v.exp - f as i32,
                    Rounding::NearestEven,
                    Overflow::Ieee,
                ),
            }
        };
        let a32: Vec<u32> = a
            .iter()
            .map(|&x| to32(decode_operand(x, &pa), pa.mantissa_bits))
            .collect();
        let b32: Vec<u32> = b
            .iter()
            .map(|&x| to32(decode_operand(x, &pb), pb.mantissa_bits))
            .collect();
        if exact && self.a_scaling.scales.is_empty() && self.b_scaling.scales.is_empty() {
            // Tensor scales only: Σ s_a·a·s_b·b = (s_a·s_b)·Σ a·b exactly.
            let (ta, tb) = (
                decode_f32(self.a_scaling.tensor.to_bits()),
                decode_f32(self.b_scaling.tensor.to_bits()),
            );
            let scale = (ta.sig as u128 * tb.sig as u128, ta.exp + tb.exp - 46);
            if let Some(()) = super::fast::exact_dot(m, n, k, &a32, &b32, scale, y) {
                return Ok(());
            }
        }
        for i in 0..m {
            for j in 0..n {
                let out = if exact {
                    let mut sum = BigFixed::new();
                    let (mut nan, mut pinf, mut ninf) = (false, false, false);
                    for l in 0..k {
                        let x = decode_f32(a32[i * k + l]);
                        let s1 = decode_f32(self.a_scaling.at(m, k, i, l));
                        let z = decode_f32(b32[l * n + j]);
                        let s2 = decode_f32(self.b_scaling.at(k, n, l, j));
                        let neg = x.neg ^ z.neg ^ s1.neg ^ s2.neg;
                        let vals = [x, s1, z, s2];
                        if vals.iter().any(|v| v.class == Class::Nan) {
                            nan = true;
                            continue;
                        }
                        if vals.iter().any(|v| v.class == Class::Inf) {
                            if vals.iter().any(|v| v.is_zero()) {
                                nan = true;
                            } else if neg {
                                ninf = true;
                            } else {
                                pinf = true;
                            }
                            continue;
                        }
                        let mag =
                            (x.sig as u128 * z.sig as u128) * (s1.sig as u128 * s2.sig as u128);
                        sum.add(neg, mag, x.exp + z.exp + s1.exp + s2.exp - 92);
                    }
                    if nan || (pinf && ninf) {
                        0x7FC0_0000
                    } else if pinf || ninf {
                        0x7F80_0000 | ((ninf as u32) << 31)
                    } else {
                        sum.round(&table::F32, Rounding::NearestEven, Overflow::Ieee, false)
                    }
                } else {
                    let mut acc = 0u32;
                    for l in 0..k {
                        let x = deq(a32[i * k + l], self.a_scaling.at(m, k, i, l));
                        let z = deq(b32[l * n + j], self.b_scaling.at(k, n, l, j));
                        acc = fma_f32(x, z, acc);
                    }
                    acc
                };
                y[i * n + j] = f32::from_bits(out);
            }
        }
        Ok(())
    }
}

/// Quantize `x` (rows×cols) block by block over `scaling`'s grid into `F`.
fn quantize_grid<F: Format>(
    x: &[f32],
    rows: usize,
    cols: usize,
    scaling: &Scaling,
) -> Result<(Vec<F>, Scaling), Error> {
    scaling.check(rows, cols)?;
    let br = scaling.block_rows.min(rows.max(1));
    let bc = scaling.block_cols.min(cols.max(1));
    let (gr, gc) = (rows.div_ceil(br), cols.div_ceil(bc));
    let mut scales = vec![1.0f32; gr * gc];
    let mut q = vec![F::from_bits_u32(0); rows * cols];
    let mut buf: Vec<f32> = Vec::new();
    let mut out: Vec<F> = Vec::new();
    for g in 0..gr {
        for h in 0..gc {
            buf.clear();
            let (r0, r1) = (g * br, ((g + 1) * br).min(rows));
            let (c0, c1) = (h * bc, ((h + 1) * bc).min(cols));
            for r in r0..r1 {
                buf.extend(
                    x[r * cols + c0..r * cols + c1]
                        .iter()
                        .map(|v| v / scaling.tensor),
                );
            }
            let s = scale_from_amax::<F>(amax(&buf));
            scales[g * gc + h] = s;
            out.clear();
            out.resize(buf.len(), F::from_bits_u32(0));
            quantize_scaled(&buf, s, &mut out)?;
            let w = c1 - c0;
            for (t, r) in (r0..r1).enumerate() {
                q[r * cols + c0..r * cols + c1].copy_from_slice(&out[t * w..(t + 1) * w]);
            }
        }
    }
    Ok((
        q,
        Scaling {
            block_rows: br,
            block_cols: bc,
            scales,
            tensor: scaling.tensor,
        },
    ))
}
