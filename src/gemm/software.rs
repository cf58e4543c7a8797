//! The software level that real kernels add around the instruction: operand scales, promotion
//! of the instruction's accumulator into an f32 accumulator, and reference accumulators.

use super::alloc::vec;
use super::alloc::vec::Vec;
use super::driver::{decode_operand, matmul};
use super::exact::{decode_f32, fma_f32, mul_f32, BigFixed, Class};
use super::preset::{Mma, Operand};
use crate::format::{Format, Overflow, Rounding};
use crate::formats::table;
use crate::quant::{
    amax, mx_quantize_axis, nvfp4_quantize, nvfp4_tensor_scale, quantize_scaled, scale_from_amax,
    MxFormat, MxOptions, MxScaleRule, MX_BLOCK, NVFP4_BLOCK,
};
use crate::Error;
use crate::{F8E4M3FN, F8E8M0FNU};

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
            // Checked (fuzz: a huge operand with blocks of 1 overflowed the grid's size).
            let expected = gr
                .checked_mul(gc)
                .ok_or(Error::InvalidInput("the scale grid's size overflows usize"))?;
            if self.scales.len() != expected {
                return Err(Error::ParamCountMismatch {
                    expected,
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

/// Which of lowp's quantizers [`Gemm::quantize_run`] uses to turn f32 operands into the
/// instruction's formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Quantizer {
    /// lowp's scaled quantizer ([`crate::quant::quantize_scaled`], nearest even, saturating)
    /// over the block grids of the [`Gemm`]'s scalings, each block's scale `amax / max`
    /// ([`crate::quant::scale_from_amax`]).
    #[default]
    Scaled,
    /// MX (OCP MX v1.0): blocks of 32 along k (1×32 of A, 32×1 of B) with E8M0 scales, by
    /// [`crate::quant::mx_quantize_axis`] with this scale rule. Operand formats: F8E4M3FN,
    /// F8E5M2, F6E2M3FN, F6E3M2FN, F4E2M1FN.
    Mx(MxScaleRule),
    /// NVFP4: F4E2M1FN elements in blocks of 16 along k with E4M3 scales, and one f32 tensor
    /// scale per operand from its data ([`crate::quant::nvfp4_tensor_scale`]), by
    /// [`crate::quant::nvfp4_quantize`] (one row of A, one column of B at a time).
    Nvfp4,
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
    /// The quantizer of [`Gemm::quantize_run`].
    pub quantizer: Quantizer,
}

impl Gemm {
    /// The instruction alone: no scales, its own accumulator over all of k.
    pub fn new(mma: Mma) -> Gemm {
        Gemm {
            mma,
            a_scaling: Scaling::none(),
            b_scaling: Scaling::none(),
            accumulation: Accumulation::Instruction,
            quantizer: Quantizer::Scaled,
        }
    }
    /// With a quantizer for [`Gemm::quantize_run`].
    pub fn with_quantizer(mut self, quantizer: Quantizer) -> Gemm {
        self.quantizer = quantizer;
        self
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

    /// Quantize `a` (m×k) and `b` (k×n), f32, into the instruction's operand formats with
    /// lowp's own quantizer ([`Gemm::quantizer`]), then multiply; returns the scalings used.
    ///
    /// - [`Quantizer::Scaled`]: blocks over this description's scaling grids (their `scales`
    ///   are replaced; the tensor scales are kept), then [`Gemm::run`].
    /// - [`Quantizer::Mx`] / [`Quantizer::Nvfp4`]: blocks of 32 (16) along k; this
    ///   description's scalings are ignored and replaced by the quantizer's (E8M0 / E4M3 block
    ///   scales as f32, NVFP4's tensor scales). On a block-scaled instruction of the same block
    ///   and scale format (`kind::mxf8f6f4` / `mxf4` block32 with `ue8m0`, `mxf4nvf4` block16
    ///   with `ue4m3`) with [`Accumulation::Instruction`], the codes and scales go to the
    ///   instruction itself ([`super::matmul_scaled`], from c = +0), and NVFP4's tensor scales
    ///   multiply its result as cuBLAS's alpha does: `y = (t_a · t_b) · d` (two f32
    ///   roundings). Otherwise [`Gemm::run`] applies the scales in software, which needs an
    ///   accumulation that allows scales varying along k (promotion every 32 for MX, or the
    ///   [`Accumulation::Exact`] / [`Accumulation::SequentialFma`] references).
    ///
    /// Errors (and `y` untouched): slice lengths, operand formats the quantizer does not
    /// produce, and [`Gemm::run`]'s or [`super::matmul_scaled`]'s errors.
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
        match self.quantizer {
            Quantizer::Scaled => {
                let (qa, sa) = quantize_grid::<A>(a, m, k, &self.a_scaling)?;
                let (qb, sb) = quantize_grid::<B>(b, k, n, &self.b_scaling)?;
                let g = self.clone().with_scales(sa.clone(), sb.clone());
                g.run(m, n, k, &qa, &qb, y)?;
                Ok((sa, sb))
            }
            Quantizer::Mx(rule) => self.mx_run::<A, B>(m, n, k, a, b, rule, y),
            Quantizer::Nvfp4 => self.nvfp4_run::<A, B>(m, n, k, a, b, y),
        }
    }

    fn mx_run<A: Format, B: Format>(
        &self,
        m: usize,
        n: usize,
        k: usize,
        a: &[f32],
        b: &[f32],
        rule: MxScaleRule,
        y: &mut [f32],
    ) -> Result<(Scaling, Scaling), Error> {
        let (fa, fb) = (mx_format::<A>()?, mx_format::<B>()?);
        let opts = MxOptions {
            rule,
            block_size: MX_BLOCK,
        };
        let kb = k.div_ceil(MX_BLOCK);
        let mut sa = vec![F8E8M0FNU::from_bits(0); m * kb];
        let mut sb = vec![F8E8M0FNU::from_bits(0); kb * n];
        let mut ea = vec![0u8; crate::quant::mx_element_bytes(fa, m * k)];
        let mut eb = vec![0u8; crate::quant::mx_element_bytes(fb, k * n)];
        mx_quantize_axis(a, &[m, k], 1, fa, opts, &mut sa, &mut ea)?;
        mx_quantize_axis(b, &[k, n], 0, fb, opts, &mut sb, &mut eb)?;
        let (qa, qb) = (unpack_codes::<A>(&ea, m * k), unpack_codes::<B>(&eb, k * n));
        let scaling = |rows, cols, s: &[F8E8M0FNU]| {
            Scaling::blocks(rows, cols, s.iter().map(|v| v.to_f32()).collect())
        };
        let (ga, gb) = (scaling(1, MX_BLOCK, &sa), scaling(MX_BLOCK, 1, &sb));
        let hw = self
            .mma
            .block_scale()
            .is_some_and(|bs| bs.block == MX_BLOCK && bs.format == table::F8E8M0FNU);
        if hw && self.accumulation == Accumulation::Instruction {
            let mut d = vec![0f32; y.len()];
            super::matmul_scaled(&self.mma, m, n, k, &qa, &sa, &qb, &sb, &mut d)?;
            y.copy_from_slice(&d);
        } else {
            let g = self.clone().with_scales(ga.clone(), gb.clone());
            g.run(m, n, k, &qa, &qb, y)?;
        }
        Ok((ga, gb))
    }

    fn nvfp4_run<A: Format, B: Format>(
        &self,
        m: usize,
        n: usize,
        k: usize,
        a: &[f32],
        b: &[f32],
        y: &mut [f32],
    ) -> Result<(Scaling, Scaling), Error> {
        if A::SPEC != table::F4E2M1FN || B::SPEC != table::F4E2M1FN {
            return Err(Error::InvalidInput(
                "NVFP4 quantization needs F4E2M1FN operands",
            ));
        }
        // B's columns, contiguous.
        let mut bt = vec![0f32; k * n];
        for l in 0..k {
            for j in 0..n {
                bt[j * k + l] = b[l * n + j];
            }
        }
        let (ta, tb) = (nvfp4_tensor_scale(a), nvfp4_tensor_scale(b));
        let kb = k.div_ceil(NVFP4_BLOCK);
        // Codes (one per byte) and block scales of each row of A and each column of B.
        let quantize =
            |x: &[f32], rows: usize, t: f32| -> Result<(Vec<u8>, Vec<F8E4M3FN>), Error> {
                let mut codes = vec![0u8; rows * k];
                let mut scales = vec![F8E4M3FN::ZERO; rows * kb];
                let mut packed = vec![0u8; k.div_ceil(2)];
                for r in (0..rows).filter(|_| k > 0) {
                    nvfp4_quantize(
                        &x[r * k..(r + 1) * k],
                        t,
                        &mut scales[r * kb..(r + 1) * kb],
                        &mut packed,
                    )?;
                    let mut row = codes[r * k..(r + 1) * k].iter_mut();
                    crate::packing::unpack_bits(&packed, 4, k, |c| {
                        if let Some(o) = row.next() {
                            *o = c as u8;
                        }
                    });
                }
                Ok((codes, scales))
            };
        let (ca, sa) = quantize(a, m, ta)?;
        let (cbt, sbt) = quantize(&bt, n, tb)?;
        let qa: Vec<A> = ca
            .iter()
            .map(|&c| A::from_bits_u32((c as u32) << A::SPEC.storage_shift))
            .collect();
        let mut qb = vec![B::from_bits_u32(0); k * n];
        let mut sb = vec![F8E4M3FN::ZERO; kb * n];
        for j in 0..n {
            for l in 0..k {
                qb[l * n + j] = B::from_bits_u32((cbt[j * k + l] as u32) << B::SPEC.storage_shift);
            }
            for g in 0..kb {
                sb[g * n + j] = sbt[j * kb + g];
            }
        }
        let f = |s: &[F8E4M3FN]| s.iter().map(|v| v.to_f32()).collect::<Vec<f32>>();
        let ga = Scaling::blocks(1, NVFP4_BLOCK, f(&sa)).with_tensor(ta);
        let gb = Scaling::blocks(NVFP4_BLOCK, 1, f(&sb)).with_tensor(tb);
        let hw = self
            .mma
            .block_scale()
            .is_some_and(|bs| bs.block == NVFP4_BLOCK && bs.format == table::F8E4M3FN);
        if hw && self.accumulation == Accumulation::Instruction {
            let mut d = vec![0f32; y.len()];
            super::matmul_scaled(&self.mma, m, n, k, &qa, &sa, &qb, &sb, &mut d)?;
            let t = mul_f32(ta.to_bits(), tb.to_bits());
            for (o, v) in y.iter_mut().zip(&d) {
                *o = f32::from_bits(mul_f32(t, v.to_bits()));
            }
        } else {
            let g = self.clone().with_scales(ga.clone(), gb.clone());
            g.run(m, n, k, &qa, &qb, y)?;
        }
        Ok((ga, gb))
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
        // Formats of at most 8 bits: every code decoded once, into a table.
        let table_of = |slot: &crate::Spec, bits: u32| -> Option<Vec<u32>> {
            (bits <= 8).then(|| {
                (0..1u32 << bits)
                    .map(|c| to32(super::exact::decode(slot, c), slot.mantissa_bits))
                    .collect()
            })
        };
        let a32: Vec<u32> = match table_of(&pa, A::SPEC.bits) {
            Some(t) if A::SPEC == pa => a.iter().map(|&x| t[x.encoding() as usize]).collect(),
            _ => a
                .iter()
                .map(|&x| to32(decode_operand(x, &pa), pa.mantissa_bits))
                .collect(),
        };
        let b32: Vec<u32> = match table_of(&pb, B::SPEC.bits) {
            Some(t) if B::SPEC == pb => b.iter().map(|&x| t[x.encoding() as usize]).collect(),
            _ => b
                .iter()
                .map(|&x| to32(decode_operand(x, &pb), pb.mantissa_bits))
                .collect(),
        };
        if exact
            && self.a_scaling.scales.is_empty()
            && self.b_scaling.scales.is_empty()
            && super::driver::level() == super::driver::Level::Fast
        {
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

/// The MX element format of operand type `F`.
fn mx_format<F: Format>() -> Result<MxFormat, Error> {
    Ok(match F::SPEC {
        s if s == table::F8E4M3FN => MxFormat::E4M3,
        s if s == table::F8E5M2 => MxFormat::E5M2,
        s if s == table::F6E2M3FN => MxFormat::E2M3,
        s if s == table::F6E3M2FN => MxFormat::E3M2,
        s if s == table::F4E2M1FN => MxFormat::E2M1,
        _ => {
            return Err(Error::InvalidInput(
                "MX quantization needs F8E4M3FN, F8E5M2, F6E2M3FN, F6E3M2FN or F4E2M1FN operands",
            ))
        }
    })
}

/// `count` codes of `F` (one per element) from the MX quantizer's element bytes: packed
/// little-endian at `F::SPEC.bits` bits each (one byte each for 8-bit formats).
fn unpack_codes<F: Format>(bytes: &[u8], count: usize) -> Vec<F> {
    let mut codes = Vec::with_capacity(count);
    crate::packing::unpack_bits(bytes, F::SPEC.bits, count, |c| {
        codes.push(F::from_bits_u32(c << F::SPEC.storage_shift))
    });
    codes
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
