//! The drivers: checks, operand decoding, and the loop of instruction issues over k for every
//! output, on the scalar model or a faster level that gives the same bits.

use super::alloc::vec::Vec;
use super::exact::{decode, Val};
use super::model::{chunk, Chunk, Model, Scales};
use super::preset::{Mma, Operand};
use crate::format::{Format, Spec};
use crate::formats::table;
use crate::Error;

/// Which code evaluates the models. Every level gives the same bits as [`Level::Scalar`];
/// they differ only in speed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// The reference: the model as written, one chunk at a time, on decoded operands.
    Scalar,
    /// Specialised integer kernels for the T-FDPA family on operands of at most 16 bits
    /// (the FP8/FP6/FP4/FP16/BF16 instructions), falling back to [`Level::Scalar`] elsewhere.
    /// FP8 with F ≤ 23 and a truncating f32 output (Hopper `wgmma`, Ada `mma`) runs a
    /// register-blocked 16-bit integer GEMM (AVX-512 VNNI, AVX2 or portable, chosen by
    /// [`crate::set_level`]); an output chunk with ∞/NaN, or whose result is not a normal
    /// f32, is computed by the scalar model.
    Fast,
}

use core::sync::atomic::{AtomicU8, Ordering};
static LEVEL: AtomicU8 = AtomicU8::new(1);

/// Choose the level that [`matmul`] and [`matmul_scaled`] use in this process (the default is
/// [`Level::Fast`]); for tests and comparisons.
pub fn set_level(level: Level) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

pub(crate) fn level() -> Level {
    if LEVEL.load(Ordering::Relaxed) == 0 {
        Level::Scalar
    } else {
        Level::Fast
    }
}

/// The operand slot's format, or an `Err` saying what is wrong with `X`.
fn check_operand<X: Format>(slot: Operand, what: &'static str) -> Result<Spec, Error> {
    match slot {
        Operand::F64 => Err(Error::InvalidInput(
            "an f64 instruction: use gemm::matmul_f64 (f64 is not a lowp Format)",
        )),
        Operand::Format(s) if X::SPEC == s => Ok(s),
        Operand::Format(s) if s == table::TF32 && X::SPEC == table::F32 => Ok(s),
        Operand::Format(_) => Err(Error::InvalidInput(what)),
    }
}

/// Decode one operand of type `X` into the slot `slot` (an f32 in a TF32 slot is truncated to
/// TF32, as the hardware reads it).
#[inline(always)]
pub(crate) fn decode_operand<X: Format>(x: X, slot: &Spec) -> Val {
    if X::SPEC.bits == 32 && slot.storage_shift == 13 {
        decode(slot, x.to_bits_u32() >> 13)
    } else {
        decode(slot, x.encoding())
    }
}

fn check_len(expected: usize, found: usize) -> Result<(), Error> {
    if expected != found {
        Err(Error::LengthMismatch { expected, found })
    } else {
        Ok(())
    }
}

/// Checked m·n·k sizes: `Err` on overflow.
fn dims(m: usize, n: usize, k: usize) -> Result<(usize, usize, usize), Error> {
    let over = Error::InvalidInput("matrix dimensions overflow usize");
    Ok((
        m.checked_mul(k).ok_or(over)?,
        k.checked_mul(n).ok_or(over)?,
        m.checked_mul(n).ok_or(over)?,
    ))
}

/// c ← a·b + c exactly as issuing `mma` k/k_instr times in order over one accumulator per
/// output (each issue computed as MMA-Sim models that instruction). `a` is m×k, `b` k×n, `c`
/// m×n, all row-major; k must be a multiple of the instruction's k.
///
/// `A` and `B` must be the instruction's operand formats (an `f32` is accepted for TF32 and
/// `xf32` operands and truncated to TF32, as the hardware reads it); `C` must be the format
/// of the accumulator the instruction writes (`f32`, or [`crate::F16`] for the f16-output
/// instructions). For Volta's `m8n8k4.f32.f16.f16.f16`, whose C is f16 but D f32, `c` is the
/// f32 accumulator. Block-scaled instructions go through [`matmul_scaled`].
///
/// Errors (and `c` untouched): wrong operand or accumulator types, slice lengths that do not
/// match m, n, k, or k not a multiple of the instruction's k.
pub fn matmul<A: Format, B: Format, C: Format>(
    mma: &Mma,
    m: usize,
    n: usize,
    k: usize,
    a: &[A],
    b: &[B],
    c: &mut [C],
) -> Result<(), Error> {
    if mma.scale.is_some() {
        return Err(Error::InvalidInput(
            "a block-scaled instruction: use gemm::matmul_scaled",
        ));
    }
    run::<A, B, C, crate::F8E8M0FNU>(mma, m, n, k, a, None, b, None, c)
}

/// c ← a·b + c for the block-scaled instructions (`kind::mxf8f6f4`, `kind::mxf4`,
/// `kind::mxf4nvf4`): as [`matmul`], with `a_scales` m×(k/block) and `b_scales` (k/block)×n,
/// row-major. `S` is [`crate::F8E8M0FNU`] for `ue8m0`, or [`crate::F8E4M3FN`] for `ue4m3`
/// (its sign bit is ignored, as the hardware reads UE4M3). The accumulator is f32.
pub fn matmul_scaled<A: Format, B: Format, S: Format>(
    mma: &Mma,
    m: usize,
    n: usize,
    k: usize,
    a: &[A],
    a_scales: &[S],
    b: &[B],
    b_scales: &[S],
    c: &mut [f32],
) -> Result<(), Error> {
    let bs = mma.scale.ok_or(Error::InvalidInput(
        "not a block-scaled instruction: use gemm::matmul",
    ))?;
    if S::SPEC != bs.format {
        return Err(Error::InvalidInput(
            "wrong scale type for this instruction (F8E8M0FNU for ue8m0, F8E4M3FN for ue4m3)",
        ));
    }
    if !k.is_multiple_of(mma.k) {
        return Err(Error::InvalidInput(
            "k is not a multiple of the instruction's k",
        ));
    }
    let blocks = k / bs.block;
    check_len(
        m.checked_mul(blocks)
            .ok_or(Error::InvalidInput("overflow"))?,
        a_scales.len(),
    )?;
    check_len(
        n.checked_mul(blocks)
            .ok_or(Error::InvalidInput("overflow"))?,
        b_scales.len(),
    )?;
    run::<A, B, f32, S>(mma, m, n, k, a, Some(a_scales), b, Some(b_scales), c)
}

fn run<A: Format, B: Format, C: Format, S: Format>(
    mma: &Mma,
    m: usize,
    n: usize,
    k: usize,
    a: &[A],
    a_scales: Option<&[S]>,
    b: &[B],
    b_scales: Option<&[S]>,
    c: &mut [C],
) -> Result<(), Error> {
    let sa = check_operand::<A>(mma.a, "A is not this instruction's A format")?;
    let sb = check_operand::<B>(mma.b, "B is not this instruction's B format")?;
    let d_spec = mma.model.output_spec();
    if C::SPEC != d_spec {
        return Err(Error::InvalidInput(
            "C is not the format of this instruction's accumulator (f32, or F16 for f16 outputs)",
        ));
    }
    let (mk, kn, mn) = dims(m, n, k)?;
    check_len(mk, a.len())?;
    check_len(kn, b.len())?;
    check_len(mn, c.len())?;
    if !k.is_multiple_of(mma.k) {
        return Err(Error::InvalidInput(
            "k is not a multiple of the instruction's k",
        ));
    }
    if m == 0 || n == 0 || k == 0 {
        return Ok(());
    }
    let prob = Problem {
        model: mma.model,
        k,
        k_instr: mma.k,
        fa: sa.mantissa_bits,
        fb: sb.mantissa_bits,
        d_spec,
        block: mma.scale.map(|s| s.block).unwrap_or(0),
        fs: mma.scale.map(|s| s.format.mantissa_bits).unwrap_or(0),
    };
    if level() == Level::Fast
        && mma.scale.is_none()
        && super::tfdpa::try_matmul(&prob, &sa, &sb, m, n, a, b, c)
    {
        return Ok(());
    }
    let av: Vec<Val> = a.iter().map(|&x| decode_operand(x, &sa)).collect();
    let mut bt: Vec<Val> = Vec::with_capacity(kn);
    for j in 0..n {
        bt.extend((0..k).map(|l| decode_operand(b[l * n + j], &sb)));
    }
    let (asv, bsv) = match (a_scales, b_scales, mma.scale) {
        (Some(x), Some(y), Some(bs)) => {
            let blocks = k / bs.block;
            let dec = |s: S| {
                if bs.format == table::F8E4M3FN {
                    decode(&bs.format, s.encoding() & 0x7F)
                } else {
                    decode(&bs.format, s.encoding())
                }
            };
            let av: Vec<Val> = x.iter().map(|&s| dec(s)).collect();
            let mut bt = Vec::with_capacity(n * blocks);
            for j in 0..n {
                bt.extend((0..blocks).map(|l| dec(y[l * n + j])));
            }
            (av, bt)
        }
        _ => (Vec::new(), Vec::new()),
    };
    let lvl = level();
    let fast = if lvl == Level::Fast {
        super::fast::plan(&prob, &av, &bt)
    } else {
        None
    };
    let row = |i: usize, crow: &mut [C]| {
        let ar = &av[i * k..(i + 1) * k];
        for (j, cj) in crow.iter_mut().enumerate() {
            let bc = &bt[j * k..(j + 1) * k];
            let (sa_r, sb_c) = if let Some(blocks) = k.checked_div(prob.block) {
                (
                    &asv[i * blocks..(i + 1) * blocks],
                    &bsv[j * blocks..(j + 1) * blocks],
                )
            } else {
                (&[][..], &[][..])
            };
            let bits = match &fast {
                Some(f) => f.dot(i, j, cj.to_bits_u32()),
                None => dot(&prob, ar, bc, sa_r, sb_c, cj.to_bits_u32()),
            };
            *cj = C::from_bits_u32(bits);
        }
    };
    // Blocks of ROWS rows: the panel kernel keeps one panel of B in cache for all of them.
    const ROWS: usize = 8;
    let block = |b: usize, cblk: &mut [C]| {
        let i0 = b * ROWS;
        if let Some(f) = fast.as_ref().filter(|f| f.has_panels()) {
            let mut bits: Vec<u32> = cblk.iter().map(|x| x.to_bits_u32()).collect();
            f.rows(i0, n, &mut bits);
            for (x, b) in cblk.iter_mut().zip(bits) {
                *x = C::from_bits_u32(b);
            }
            return;
        }
        for (r, crow) in cblk.chunks_mut(n.max(1)).enumerate() {
            row(i0 + r, crow);
        }
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        c.par_chunks_mut((ROWS * n).max(1))
            .enumerate()
            .for_each(|(b, cblk)| block(b, cblk));
    }
    #[cfg(not(feature = "rayon"))]
    {
        for (b, cblk) in c.chunks_mut((ROWS * n).max(1)).enumerate() {
            block(b, cblk);
        }
    }
    Ok(())
}

/// What the loop over k needs of an instruction.
pub(crate) struct Problem {
    pub model: Model,
    pub k: usize,
    pub k_instr: usize,
    pub fa: u32,
    pub fb: u32,
    pub d_spec: Spec,
    pub block: usize,
    pub fs: u32,
}

impl Problem {
    /// Elements of k per model chunk: L = min(k_instr, L_max); the FTZ multiply-add and FMA
    /// consume a whole instruction at once.
    pub fn chunk_len(&self) -> usize {
        match self.model {
            Model::FtzMulAdd { .. } | Model::Fma => self.k_instr,
            _ => self.k_instr.min(self.model.group()),
        }
    }
}

/// One output on the scalar model: the chunks of every issue, in order.
pub(crate) fn dot(p: &Problem, a: &[Val], b: &[Val], sa: &[Val], sb: &[Val], c: u32) -> u32 {
    let l = p.chunk_len();
    let mut acc = c;
    let mut i = 0;
    while i < p.k {
        let scales = if let Some(lo) = i.checked_div(p.block) {
            let hi = (i + l).div_ceil(p.block);
            Some(Scales {
                a: &sa[lo..hi],
                b: &sb[lo..hi],
                f: p.fs,
            })
        } else {
            None
        };
        let ch = Chunk {
            a: &a[i..i + l],
            fa: p.fa,
            b: &b[i..i + l],
            fb: p.fb,
            scales,
        };
        acc = chunk(&p.model, &ch, acc, &p.d_spec);
        i += l;
    }
    acc
}
