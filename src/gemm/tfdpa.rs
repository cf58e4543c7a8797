//! T-FDPA on 8-bit operands (Hopper FP8 `wgmma`, Ada FP8 `mma`, …) as a register-blocked
//! integer GEMM.
//!
//! Every operand is decoded once, through a table of its format's codes, into three 16-bit
//! integers: the exponent e, the significand magnitude |s| (A's pre-shifted left by
//! s0 = F − q, q the two formats' fraction bits) and the sign (0 or −1). A product
//! (−1)^(σa⊕σb) · |sa|·|sb| · 2^(ea+eb−q) is then an exact integer below 2^15 in units of
//! 2^(ea+eb−F), and the model's steps are integer operations on 16-bit lanes:
//!
//! 1. e_max: the largest ea+eb over the chunk and the accumulator's exponent (a zero
//!    accumulator takes `e_zero`; zero operands take an exponent so low it never wins —
//!    [`plan`](super::fast::plan) checks that `e_zero` is below every nonzero term, so
//!    including it for zero products cannot change e_max);
//! 2. each product truncated toward zero at F fraction bits below 2^e_max:
//!    (|sa|·|sb|) >> (e_max − ea − eb), signed, and summed exactly in 32-bit lanes;
//! 3. the accumulator's term, c's significand shifted right by (23 − F) + (e_max − e_c),
//!    added; the sum rounded toward zero to 13 (E8M13) or 23 (FP32) fraction bits.
//!
//! A result that is not a normal f32 (overflow to ±∞, or a subnormal), an accumulator that is
//! ∞ or NaN, or an operand that is ∞ or NaN, sends that output's chunk to the scalar model
//! ([`super::model`]), from the accumulator as it was: the common path has no branch per
//! product. No step uses floating point, so no result depends on the FP environment.
//!
//! Tiling: [`MR`] rows of A × [`NR`] columns of B per microkernel call, one call per chunk;
//! B packed in panels of [`NR`] columns, k-major, two elements of k interleaved per column (the
//! 32-bit lane of a 16-bit pair), so that the AVX-512 kernel (`crate::kernels::x86::gemm_tfdpa`)
//! holds 16 columns × 2 elements of k per register and sums a pair per lane with one
//! `vpdpwssd`. The portable kernel here runs the same steps lane by lane; it is the AVX2 level
//! too (compiled with AVX2 enabled). Every level gives the scalar model's bits (tests/gemm_tfdpa.rs).

use super::alloc::vec;
use super::alloc::vec::Vec;
use super::driver::{decode_operand, Problem};
use super::exact::{decode, Class, Val};
use super::model::{chunk, Chunk, Model, OutputRounding};
use crate::format::{Format, Spec};
use crate::formats::table;

/// Rows of A per microkernel call.
pub(crate) const MR: usize = 4;
/// Columns of B per microkernel call (and per packed panel).
pub(crate) const NR: usize = 32;
/// Exponent of a zero (or ∞/NaN) operand: two of them still fit `i16`, and a zero product's
/// shift (e_max − 2·ZERO_EXP ≤ 127 + 16000) too.
const ZERO_EXP: i16 = -8000;
/// Output rows per parallel task (a multiple of [`MR`]): 64 rows of A and one panel of B
/// (k × [`NR`]) stay in L2 while every row tile of the block passes over the panel.
const MC: usize = 64;

/// One chunk of one tile: [`MR`] rows of A (row stride `k`, the chunk at `lo .. lo + l`) and
/// one panel chunk of B (`l/2` pairs × [`NR`] columns × 2).
pub(crate) struct TileArgs<'a> {
    /// A: |s|·2^s0, exponent, sign (0 or −1); `MR` rows of `k` from the tile's first row.
    pub a_mag: &'a [i16],
    pub a_exp: &'a [i16],
    pub a_sgn: &'a [i16],
    pub k: usize,
    pub lo: usize,
    /// Elements of k in the chunk (even).
    pub l: usize,
    /// B: `(l/2) · NR · 2` each, pair-interleaved.
    pub b_mag: &'a [i16],
    pub b_exp: &'a [i16],
    pub b_sgn: &'a [i16],
    /// F (≤ 23).
    pub f: i32,
    /// Fraction bits of the output rounding (13 or 23).
    pub fb: u32,
    /// The model's exponent of a zero term.
    pub e_zero: i32,
}

/// One microkernel: evaluate one chunk for the `MR × NR` accumulators (f32 bits, row-major)
/// in place; returns per row the mask of columns to redo on the scalar model (accumulator ∞
/// or NaN, result not a normal f32), whose accumulators it leaves as they were.
pub(crate) type Ukernel = fn(&TileArgs, &mut [u32; MR * NR]) -> [u32; MR];

/// The portable microkernel (the AVX2 level compiles it with AVX2 enabled).
#[inline(always)]
pub(crate) fn ukernel_portable(t: &TileArgs, acc: &mut [u32; MR * NR]) -> [u32; MR] {
    let mut bad = [0u32; MR];
    let pairs = t.l / 2;
    let bm = &t.b_mag[..pairs * NR * 2];
    let be = &t.b_exp[..pairs * NR * 2];
    let bs = &t.b_sgn[..pairs * NR * 2];
    for (r, bad_r) in bad.iter_mut().enumerate() {
        let row = r * t.k + t.lo;
        let am = &t.a_mag[row..row + t.l];
        let ae = &t.a_exp[row..row + t.l];
        let asg = &t.a_sgn[row..row + t.l];
        let accr = &mut acc[r * NR..(r + 1) * NR];
        // The accumulators, decoded.
        let mut csig = [0i32; NR];
        let mut cexp = [0i32; NR];
        let mut cneg = [false; NR];
        let mut emax = [0i32; NR];
        for j in 0..NR {
            let bits = accr[j];
            let field = ((bits >> 23) & 0xFF) as i32;
            let mant = (bits & 0x7F_FFFF) as i32;
            csig[j] = if field == 0 { mant } else { mant | 1 << 23 };
            cexp[j] = field.max(1) - 127;
            cneg[j] = bits >> 31 != 0;
            *bad_r |= ((field == 0xFF) as u32) << j;
            emax[j] = if csig[j] == 0 { t.e_zero } else { cexp[j] };
        }
        // Pass 1: the largest exponent.
        for (p, &ea) in ae.iter().enumerate() {
            let ea = ea as i32;
            let base = (p / 2) * NR * 2 + p % 2;
            for j in 0..NR {
                emax[j] = emax[j].max(ea + be[base + 2 * j] as i32);
            }
        }
        // Pass 2: the truncated products, summed.
        let mut sum = [0i32; NR];
        for p in 0..t.l {
            let (ea, ma, sa) = (ae[p] as i32, am[p] as i32, asg[p]);
            let base = (p / 2) * NR * 2 + p % 2;
            for j in 0..NR {
                let d = (emax[j] - ea - be[base + 2 * j] as i32).min(31) as u32;
                let v = (ma * bm[base + 2 * j] as i32) >> d;
                sum[j] += if sa ^ bs[base + 2 * j] != 0 { -v } else { v };
            }
        }
        // The accumulator's term, the sum, the output rounding.
        for j in 0..NR {
            let d = ((23 - t.f) + emax[j] - cexp[j]).clamp(0, 31) as u32;
            let v = csig[j] >> d;
            let s = sum[j] + if cneg[j] { -v } else { v };
            let mag = s.unsigned_abs();
            let bl = 32 - mag.leading_zeros() as i32;
            let lead = emax[j] - t.f + bl - 1;
            let sh = bl - 1 - t.fb as i32;
            let mant = if sh >= 0 { mag >> sh } else { mag << -sh };
            let out = (((s < 0) as u32) << 31)
                | ((((lead + 127) as u32) & 0xFF) << 23)
                | ((mant & ((1 << t.fb) - 1)) << (23 - t.fb));
            *bad_r |= ((s != 0 && !(-126..128).contains(&lead)) as u32) << j;
            if *bad_r >> j & 1 == 0 {
                accr[j] = if s == 0 { 0 } else { out };
            }
        }
    }
    bad
}

fn ukernel() -> Ukernel {
    #[cfg(target_arch = "x86_64")]
    {
        if let Some(u) = crate::kernels::x86::gemm_tfdpa::ukernel(crate::kernels::active_level()) {
            return u;
        }
    }
    ukernel_portable
}

/// One operand format's codes decoded: (|s|, e, sign) per code, and whether it is ∞/NaN.
struct Table {
    mag: Vec<i16>,
    exp: Vec<i16>,
    sgn: Vec<i16>,
    special: Vec<bool>,
    max_sig: u64,
    min_exp: i32,
}

fn table(spec: &Spec, shift: u32) -> Table {
    let codes = 1usize << spec.bits;
    let mut t = Table {
        mag: vec![0; codes],
        exp: vec![ZERO_EXP; codes],
        sgn: vec![0; codes],
        special: vec![false; codes],
        max_sig: 0,
        min_exp: i32::MAX,
    };
    for code in 0..codes {
        let v = decode(spec, code as u32);
        match v.class {
            Class::Finite if v.sig != 0 => {
                t.mag[code] = (v.sig << shift) as i16;
                t.exp[code] = v.exp as i16;
                t.sgn[code] = -(v.neg as i16);
                t.max_sig = t.max_sig.max(v.sig);
                t.min_exp = t.min_exp.min(v.exp);
            }
            Class::Finite => {}
            _ => t.special[code] = true,
        }
    }
    t
}

/// Run T-FDPA `p` on this kernel when it applies (8-bit operands whose shifted products fit
/// 15 bits, F ≤ 23, a truncating f32 output, an even chunk, `e_zero` below every nonzero
/// term, an f32 accumulator): `c` updated and `true`; else `false` and `c` untouched.
pub(crate) fn try_matmul<A: Format, B: Format, C: Format>(
    p: &Problem,
    sa: &Spec,
    sb: &Spec,
    m: usize,
    n: usize,
    a: &[A],
    b: &[B],
    c: &mut [C],
) -> bool {
    let Model::TFdpa {
        f,
        rounding,
        e_zero,
        ..
    } = p.model
    else {
        return false;
    };
    let fb = match rounding {
        OutputRounding::TowardZeroE8M13 => 13,
        OutputRounding::TowardZeroF32 => 23,
        _ => return false,
    };
    let (k, l) = (p.k, p.chunk_len());
    let q = sa.mantissa_bits + sb.mantissa_bits;
    if C::SPEC != table::F32
        || A::SPEC.bits > 8
        || B::SPEC.bits > 8
        || sa.bits > 8
        || sb.bits > 8
        || f > 23
        || f < q
        || l == 0
        || !l.is_multiple_of(2)
        || !k.is_multiple_of(l)
    {
        return false;
    }
    let s0 = f - q;
    let (ta, tb) = (table(sa, s0), table(sb, 0));
    // The shifted product magnitudes must fit 15 bits, and e_zero must lie at or below every
    // nonzero product's exponent and every f32 accumulator's (≥ −126).
    if ((ta.max_sig * tb.max_sig) << s0) >= 1 << 15
        || e_zero > -126
        || (ta.min_exp != i32::MAX && tb.min_exp != i32::MAX && e_zero > ta.min_exp + tb.min_exp)
    {
        return false;
    }
    let chunks = k / l;
    let mp = m.div_ceil(MR) * MR;
    // A, row-major (padded with zero rows), and per (row, chunk) whether an operand is ∞/NaN.
    let mut a_mag = vec![0i16; mp * k];
    let mut a_exp = vec![ZERO_EXP; mp * k];
    let mut a_sgn = vec![0i16; mp * k];
    let mut a_special = vec![false; mp * chunks];
    for (idx, x) in a.iter().enumerate() {
        let code = x.encoding() as usize & ((1 << sa.bits) - 1);
        a_mag[idx] = ta.mag[code];
        a_exp[idx] = ta.exp[code];
        a_sgn[idx] = ta.sgn[code];
        if ta.special[code] {
            a_special[(idx / k) * chunks + (idx % k) / l] = true;
        }
    }
    // B in panels of NR columns: [panel][pair of k][column][2]; per (panel, chunk) the mask
    // of columns with an ∞/NaN operand.
    let panels = n.div_ceil(NR);
    let psz = k * NR;
    let mut b_mag = vec![0i16; panels * psz];
    let mut b_exp = vec![ZERO_EXP; panels * psz];
    let mut b_sgn = vec![0i16; panels * psz];
    let mut b_special = vec![0u32; panels * chunks];
    for (t, brow) in b.chunks_exact(n).enumerate() {
        for (j, x) in brow.iter().enumerate() {
            let code = x.encoding() as usize & ((1 << sb.bits) - 1);
            let (qp, lane) = (j / NR, j % NR);
            let idx = qp * psz + (t / 2) * NR * 2 + lane * 2 + t % 2;
            b_mag[idx] = tb.mag[code];
            b_exp[idx] = tb.exp[code];
            b_sgn[idx] = tb.sgn[code];
            if tb.special[code] {
                b_special[qp * chunks + t / l] |= 1 << lane;
            }
        }
    }
    let uk = ukernel();
    let (fa_bits, fb_bits) = (p.fa, p.fb);
    let model = p.model;
    // One output chunk on the scalar model.
    let scalar = |i: usize, j: usize, lo: usize, before: u32| -> u32 {
        if before & 0x7FFF_FFFF > 0x7F80_0000 {
            // A NaN accumulator gives the model's NaN whatever the products: the model on an
            // empty chunk says so without decoding them (a NaN propagates through every
            // later chunk of its output).
            let ch = Chunk {
                a: &[],
                fa: fa_bits,
                b: &[],
                fb: fb_bits,
                scales: None,
            };
            return chunk(&model, &ch, before, &table::F32);
        }
        let va: Vec<Val> = (lo..lo + l)
            .map(|t| decode_operand(a[i * k + t], sa))
            .collect();
        let vb: Vec<Val> = (lo..lo + l)
            .map(|t| decode_operand(b[t * n + j], sb))
            .collect();
        let ch = Chunk {
            a: &va,
            fa: fa_bits,
            b: &vb,
            fb: fb_bits,
            scales: None,
        };
        chunk(&model, &ch, before, &table::F32)
    };
    // Rows i0 .. of C (`cblk`, row-major, n per row), panel by panel, MR rows at a time.
    let block = |bi: usize, cblk: &mut [C]| {
        let i0 = bi * MC;
        let rows = cblk.len() / n;
        for qp in 0..panels {
            let (j0, w) = (qp * NR, NR.min(n - qp * NR));
            for r0 in (0..rows).step_by(MR) {
                let h = MR.min(rows - r0);
                let mut acc = [0u32; MR * NR];
                for r in 0..h {
                    for (x, y) in acc[r * NR..r * NR + w]
                        .iter_mut()
                        .zip(&cblk[(r0 + r) * n + j0..(r0 + r) * n + j0 + w])
                    {
                        *x = y.to_bits_u32();
                    }
                }
                let ia = (i0 + r0) * k;
                for ch in 0..chunks {
                    let lo = ch * l;
                    // The kernel leaves the lanes it cannot do as they were; lanes with an
                    // ∞/NaN operand it computes as if zero, so keep those accumulators.
                    let bsp = b_special[qp * chunks + ch];
                    let asp = (0..h).any(|r| a_special[(i0 + r0 + r) * chunks + ch]);
                    let before = if bsp != 0 || asp { acc } else { [0; MR * NR] };
                    let pb = qp * psz + lo * NR;
                    let args = TileArgs {
                        a_mag: &a_mag[ia..ia + MR * k],
                        a_exp: &a_exp[ia..ia + MR * k],
                        a_sgn: &a_sgn[ia..ia + MR * k],
                        k,
                        lo,
                        l,
                        b_mag: &b_mag[pb..pb + l * NR],
                        b_exp: &b_exp[pb..pb + l * NR],
                        b_sgn: &b_sgn[pb..pb + l * NR],
                        f: f as i32,
                        fb,
                        e_zero,
                    };
                    let bad = uk(&args, &mut acc);
                    for (r, &bad_r) in bad.iter().enumerate().take(h) {
                        let i = i0 + r0 + r;
                        let mask = if w == NR { u32::MAX } else { (1 << w) - 1 };
                        let mut redo = bad_r & mask;
                        while redo != 0 {
                            let lane = redo.trailing_zeros() as usize;
                            redo &= redo - 1;
                            let x = &mut acc[r * NR + lane];
                            *x = scalar(i, j0 + lane, lo, *x);
                        }
                        let mut redo = if a_special[i * chunks + ch] {
                            u32::MAX
                        } else {
                            bsp
                        } & mask
                            & !bad_r;
                        while redo != 0 {
                            let lane = redo.trailing_zeros() as usize;
                            redo &= redo - 1;
                            acc[r * NR + lane] = scalar(i, j0 + lane, lo, before[r * NR + lane]);
                        }
                    }
                }
                for r in 0..h {
                    for (y, &x) in cblk[(r0 + r) * n + j0..(r0 + r) * n + j0 + w]
                        .iter_mut()
                        .zip(&acc[r * NR..r * NR + w])
                    {
                        *y = C::from_bits_u32(x);
                    }
                }
            }
        }
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        c.par_chunks_mut(MC * n)
            .enumerate()
            .for_each(|(bi, cblk)| block(bi, cblk));
    }
    #[cfg(not(feature = "rayon"))]
    {
        for (bi, cblk) in c.chunks_mut(MC * n).enumerate() {
            block(bi, cblk);
        }
    }
    true
}
