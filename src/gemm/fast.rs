//! The fast level: the same arithmetic as the scalar models on compact integer arrays.
//!
//! - T-FDPA on operands of at most 16 bits (every FP8/FP6/FP4/FP16/BF16/TF32 `mma`, `wgmma`
//!   and `tcgen05.mma` without block scales): per chunk, the largest exponent, the products
//!   shifted and truncated, summed in `i64`, and the truncating output rounding done inline;
//!   a chunk with a NaN/∞ operand or accumulator goes to the scalar model.
//! - The exact reference accumulator on operands whose products fit a 63-bit (or 127-bit)
//!   fixed point: an integer dot product, rounded once — as a blocked binary64 GEMM
//!   (`super::exact_gemm`) where every partial sum stays below 2^53.
//!
//! The inner loops are written once ([`tfdpa_sum`], [`dot_i32`]) and compiled for the
//! build's baseline and, where the CPU has it, AVX-512 (`crate::kernels::x86::gemm`).

use super::alloc::vec;
use super::alloc::vec::Vec;
use super::driver::Problem;
use super::exact::{round_wide, shift_trunc, Class, Val};
use super::model::{chunk, output, Chunk, Model, OutputRounding};
use crate::format::{Overflow, Rounding};
use crate::formats::table;

/// Exponent given to zero operands: far below any product, so a zero never wins the maximum.
const ZERO_EXP: i32 = -100_000;

/// Σ trunc(|p_l| · 2^s0 / 2^(e_max − e_l)) · sign(p_l) over one chunk: the T-FDPA sum of the
/// products (`p_l` = sa·sb, e_l = ea + eb).
#[inline(always)]
pub(crate) fn tfdpa_sum(
    sa: &[i32],
    ea: &[i32],
    sb: &[i32],
    eb: &[i32],
    s0: u32,
    e_max: i32,
) -> i64 {
    let mut s = 0i64;
    for l in 0..sa.len().min(sb.len()).min(ea.len()).min(eb.len()) {
        let p = sa[l] as i64 * sb[l] as i64;
        let d = (e_max - (ea[l] + eb[l])).clamp(0, 63) as u32;
        let t = (p.abs() << s0) >> d;
        s += if p < 0 { -t } else { t };
    }
    s
}

/// The largest e_a + e_b over one chunk.
#[inline(always)]
pub(crate) fn max_exp(ea: &[i32], eb: &[i32]) -> i32 {
    let mut m = i32::MIN / 2;
    for (x, y) in ea.iter().zip(eb) {
        m = m.max(x + y);
    }
    m
}

/// Σ a_l · b_l in `i64` (wrapping).
#[inline(always)]
pub(crate) fn dot_i32(a: &[i32], b: &[i32]) -> i64 {
    let mut s = 0i64;
    for (x, y) in a.iter().zip(b) {
        s = s.wrapping_add(*x as i64 * *y as i64);
    }
    s
}

/// The signature of [`tfdpa_sum`].
pub(crate) type TfdpaSum = fn(&[i32], &[i32], &[i32], &[i32], u32, i32) -> i64;

/// Outputs per panel: one row of A against 16 columns of B, one SIMD lane each.
pub(crate) const W: usize = 16;

/// One chunk of T-FDPA for one row of A against a panel of [`W`] columns of B, with the
/// truncating output roundings (`fb` = 23 for RZ-FP32, 13 for RZ-E8M13) done per lane.
pub(crate) struct PanelArgs<'a> {
    /// Row of A (signed significands, exponents; zeros: 0 and [`ZERO_EXP`]), this chunk.
    pub asig: &'a [i32],
    pub aexp: &'a [i32],
    /// The panel of B, this chunk: one `[_; W]` per element of k.
    pub bsig: &'a [[i32; W]],
    pub bexp: &'a [[i32; W]],
    pub s0: u32,
    pub f: i32,
    pub e_zero: i32,
    pub fb: u32,
}

/// The signature of [`tfdpa_panel`].
pub(crate) type TfdpaPanel = fn(&PanelArgs, &mut [u32; W]) -> u32;

/// Generate the panel kernel for one sum type: `i64` always fits; `i32` fits when the
/// products' bits, the shift `s0` and the chunk length leave room (FP8 with F = 13).
macro_rules! panel_kernel {
    ($name:ident, $t:ty) => {
        /// Evaluate one chunk for [`W`] accumulators (f32 bits) in place. Returns the mask of
        /// lanes whose accumulator is not finite or whose result is not a normal f32: those
        /// must be redone on the scalar model (from the accumulator as it was).
        #[inline(always)]
        pub(crate) fn $name(a: &PanelArgs, acc: &mut [u32; W]) -> u32 {
            let mut ec = [0i32; W];
            let mut sc = [0 as $t; W];
            let mut bad = 0u32;
            for j in 0..W {
                let bits = acc[j];
                let field = ((bits >> 23) & 0xFF) as i32;
                let mant = (bits & 0x7F_FFFF) as $t;
                let sig = if field == 0 { mant } else { mant | (1 << 23) };
                let e = if field == 0 { -126 } else { field - 127 };
                bad |= ((field == 0xFF) as u32) << j;
                ec[j] = if sig == 0 { a.e_zero } else { e };
                sc[j] = if bits >> 31 != 0 { -sig } else { sig };
            }
            let mut emax = ec;
            let n = a
                .asig
                .len()
                .min(a.aexp.len())
                .min(a.bsig.len())
                .min(a.bexp.len());
            // Pass 1: the largest exponent (zero products at e_zero).
            for t in 0..n {
                let (sa, ea) = (a.asig[t], a.aexp[t]);
                let (bs, be) = (&a.bsig[t], &a.bexp[t]);
                for j in 0..W {
                    let p = sa * bs[j];
                    let e = if p == 0 { a.e_zero } else { ea + be[j] };
                    emax[j] = emax[j].max(e);
                }
            }
            // Pass 2: each product aligned to the maximum, truncated toward zero, summed.
            let mut sum = [0 as $t; W];
            for t in 0..n {
                let (sa, ea) = (a.asig[t], a.aexp[t]);
                let (bs, be) = (&a.bsig[t], &a.bexp[t]);
                for j in 0..W {
                    let p = (sa * bs[j]) as $t;
                    let d = (emax[j] - (ea + be[j])).clamp(0, <$t>::BITS as i32 - 1) as u32;
                    let v = (p.abs() << a.s0) >> d;
                    sum[j] += if p < 0 { -v } else { v };
                }
            }
            for j in 0..W {
                // The c term (shifts bounded so that neither side overflows $t).
                let sh = a.f + ec[j] - emax[j] - 23;
                let m = sc[j].abs();
                let v = if sh >= 0 {
                    m << sh.min(<$t>::BITS as i32 - 2)
                } else {
                    m >> (-sh).min(<$t>::BITS as i32 - 1)
                };
                let s = sum[j] + if sc[j] < 0 { -v } else { v };
                let mag = s.unsigned_abs();
                let bl = <$t>::BITS as i32 - mag.leading_zeros() as i32;
                let lead = emax[j] - a.f + bl - 1;
                let ok = s == 0 || (-126..128).contains(&lead);
                let sh = bl - 1 - a.fb as i32;
                let mant = if sh >= 0 {
                    mag >> sh.clamp(0, <$t>::BITS as i32 - 1)
                } else {
                    mag << (-sh).clamp(0, <$t>::BITS as i32 - 1)
                } as u32;
                let out = (((s < 0) as u32) << 31)
                    | ((((lead + 127) as u32) & 0xFF) << 23)
                    | ((mant & ((1 << a.fb) - 1)) << (23 - a.fb));
                bad |= (!ok as u32) << j;
                acc[j] = if s == 0 { 0 } else { out };
            }
            bad
        }
    };
}

panel_kernel!(tfdpa_panel, i64);
panel_kernel!(tfdpa_panel32, i32);

/// The inner loops of one instruction set.
#[derive(Clone, Copy)]
pub(crate) struct Kernels {
    pub tfdpa_sum: TfdpaSum,
    pub max_exp: fn(&[i32], &[i32]) -> i32,
    pub dot_i32: fn(&[i32], &[i32]) -> i64,
    pub tfdpa_panel: TfdpaPanel,
    pub tfdpa_panel32: TfdpaPanel,
}

const PORTABLE: Kernels = Kernels {
    tfdpa_sum,
    max_exp,
    dot_i32,
    tfdpa_panel,
    tfdpa_panel32,
};

/// The best kernels for this CPU.
pub(crate) fn kernels() -> Kernels {
    #[cfg(target_arch = "x86_64")]
    {
        if let Some(k) = crate::kernels::x86::gemm::kernels() {
            return k;
        }
    }
    PORTABLE
}

/// Operands of one side in compact form: signed significand and exponent per element (zero:
/// significand 0, exponent [`ZERO_EXP`]), and per chunk a zero mask and a special flag.
struct Side {
    sig: Vec<i32>,
    exp: Vec<i32>,
    zeros: Vec<u64>,
    special: Vec<bool>,
}

fn side(v: &[Val], rows: usize, k: usize, l: usize) -> Side {
    let chunks = k / l;
    let mut s = Side {
        sig: vec![0; v.len()],
        exp: vec![0; v.len()],
        zeros: vec![0; rows * chunks],
        special: vec![false; rows * chunks],
    };
    for r in 0..rows {
        for c in 0..chunks {
            let (mut z, mut sp) = (0u64, false);
            for t in 0..l {
                let idx = r * k + c * l + t;
                let x = &v[idx];
                match x.class {
                    Class::Finite if x.sig == 0 => {
                        z |= 1 << t;
                        s.exp[idx] = ZERO_EXP;
                    }
                    Class::Finite => {
                        s.sig[idx] = if x.neg { -(x.sig as i32) } else { x.sig as i32 };
                        s.exp[idx] = x.exp;
                    }
                    _ => {
                        sp = true;
                        s.exp[idx] = ZERO_EXP;
                    }
                }
            }
            s.zeros[r * chunks + c] = z;
            s.special[r * chunks + c] = sp;
        }
    }
    s
}

/// A prepared fast evaluation of one problem (T-FDPA on small operands).
pub(crate) struct Fast<'a> {
    p: &'a Problem,
    av: &'a [Val],
    bt: &'a [Val],
    a: Side,
    b: Side,
    l: usize,
    f: u32,
    s0: u32,
    rounding: OutputRounding,
    e_zero: i32,
    k: Kernels,
    /// B in panels of [`W`] columns (for the truncating f32 outputs), with per-chunk masks of
    /// lanes holding a NaN/∞ operand.
    panels: Option<Panels>,
}

struct Panels {
    sig: Vec<[i32; W]>,
    exp: Vec<[i32; W]>,
    special: Vec<u32>,
    /// Fraction bits of the truncating output rounding (23 or 13).
    fb: u32,
    /// Whether the sums fit `i32` lanes.
    narrow: bool,
}

/// A fast plan for `p`, or `None` where only the scalar model applies.
pub(crate) fn plan<'a>(p: &'a Problem, av: &'a [Val], bt: &'a [Val]) -> Option<Fast<'a>> {
    let Model::TFdpa {
        f,
        rounding,
        e_zero,
        ..
    } = p.model
    else {
        return None;
    };
    let q = p.fa + p.fb;
    if p.block != 0 || f < q || p.fa > 10 || p.fb > 10 {
        return None;
    }
    let l = p.chunk_len();
    if l > 64 || l == 0 || !p.k.is_multiple_of(l) {
        return None;
    }
    let (m, n) = (av.len() / p.k, bt.len() / p.k);
    let b = side(bt, n, p.k, l);
    let fb = match rounding {
        OutputRounding::TowardZeroF32 => 23,
        OutputRounding::TowardZeroE8M13 => 13,
        _ => 0,
    };
    let panels = (fb != 0).then(|| {
        let np = n.div_ceil(W);
        let chunks = p.k / l;
        let mut pn = Panels {
            sig: vec![[0; W]; np * p.k],
            exp: vec![[ZERO_EXP; W]; np * p.k],
            special: vec![0; np * chunks],
            fb,
            // |p| < 2^(fa + fb + 2), shifted by s0, L + 1 terms, the c term < 2^(F + 1).
            narrow: (p.fa + p.fb + 2) + (f - q) + (usize::BITS - (l + 2).leading_zeros()) <= 30
                && f + 2 <= 30,
        };
        for j in 0..n {
            let (q, lane) = (j / W, j % W);
            for t in 0..p.k {
                pn.sig[q * p.k + t][lane] = b.sig[j * p.k + t];
                pn.exp[q * p.k + t][lane] = b.exp[j * p.k + t];
            }
            for c in 0..chunks {
                pn.special[q * chunks + c] |= (b.special[j * chunks + c] as u32) << lane;
            }
        }
        pn
    });
    Some(Fast {
        p,
        av,
        bt,
        a: side(av, m, p.k, l),
        b,
        l,
        f,
        s0: f - q,
        rounding,
        e_zero,
        k: kernels(),
        panels,
    })
}

impl Fast<'_> {
    /// Whether whole rows go through the panel kernel ([`Fast::rows`]).
    pub fn has_panels(&self) -> bool {
        self.panels.is_some()
    }

    /// Rows `i0 ..` of outputs (`c`: their accumulator bits, row-major, n per row), panel by
    /// panel and, within a panel, row by row: one panel of B (k×[`W`]) stays in cache for
    /// every row of the block. Without panels, output by output.
    pub fn rows(&self, i0: usize, n: usize, c: &mut [u32]) {
        if n == 0 {
            return;
        }
        let Some(pn) = &self.panels else {
            for (r, crow) in c.chunks_mut(n).enumerate() {
                for (j, x) in crow.iter_mut().enumerate() {
                    *x = self.dot(i0 + r, j, *x);
                }
            }
            return;
        };
        let rows = c.len() / n;
        for q in 0..n.div_ceil(W) {
            let (j0, w) = (q * W, W.min(n - q * W));
            for r in 0..rows {
                self.panel(pn, i0 + r, q, n, &mut c[r * n + j0..r * n + j0 + w]);
            }
        }
    }

    /// Outputs (i, qW ..) of panel q (`cols`: their accumulator bits), chunk by chunk.
    fn panel(&self, pn: &Panels, i: usize, q: usize, n: usize, cols: &mut [u32]) {
        let (k, l) = (self.p.k, self.l);
        let chunks = k / l;
        let mut acc = [0u32; W];
        acc[..cols.len()].copy_from_slice(cols);
        for ch in 0..chunks {
            let lo = ch * l;
            let before = acc;
            let mut redo = pn.special[q * chunks + ch];
            if self.a.special[i * chunks + ch] {
                redo = u32::MAX;
            } else {
                let args = PanelArgs {
                    asig: &self.a.sig[i * k + lo..i * k + lo + l],
                    aexp: &self.a.exp[i * k + lo..i * k + lo + l],
                    bsig: &pn.sig[q * k + lo..q * k + lo + l],
                    bexp: &pn.exp[q * k + lo..q * k + lo + l],
                    s0: self.s0,
                    f: self.f as i32,
                    e_zero: self.e_zero,
                    fb: pn.fb,
                };
                redo |= if pn.narrow {
                    (self.k.tfdpa_panel32)(&args, &mut acc)
                } else {
                    (self.k.tfdpa_panel)(&args, &mut acc)
                };
            }
            for (lane, x) in acc.iter_mut().enumerate().take(cols.len()) {
                if redo >> lane & 1 != 0 {
                    let j = q * W + lane;
                    if j < n {
                        let chk = Chunk {
                            a: &self.av[i * k + lo..i * k + lo + l],
                            fa: self.p.fa,
                            b: &self.bt[j * k + lo..j * k + lo + l],
                            fb: self.p.fb,
                            scales: None,
                        };
                        *x = chunk(&self.p.model, &chk, before[lane], &table::F32);
                    }
                }
            }
        }
        cols.copy_from_slice(&acc[..cols.len()]);
    }

    /// One output: every chunk of every issue, from accumulator bits `c`.
    pub fn dot(&self, i: usize, j: usize, c: u32) -> u32 {
        let (k, l) = (self.p.k, self.l);
        let chunks = k / l;
        let f16 = self.rounding == OutputRounding::NearestEvenF16;
        let (fc, cspec) = if f16 {
            (10, table::F16)
        } else {
            (23, table::F32)
        };
        let mut acc = c;
        for ch in 0..chunks {
            let (ia, ib) = (i * chunks + ch, j * chunks + ch);
            let lo = ch * l;
            let cv = decode_acc(acc, f16);
            if self.a.special[ia] || self.b.special[ib] || cv.class != Class::Finite {
                let chk = Chunk {
                    a: &self.av[i * k + lo..i * k + lo + l],
                    fa: self.p.fa,
                    b: &self.bt[j * k + lo..j * k + lo + l],
                    fb: self.p.fb,
                    scales: None,
                };
                acc = chunk(&self.p.model, &chk, acc, &cspec);
                continue;
            }
            let (ra, rb) = (i * k + lo..i * k + lo + l, j * k + lo..j * k + lo + l);
            let (ea, eb) = (&self.a.exp[ra.clone()], &self.b.exp[rb.clone()]);
            let mut e_max = (self.k.max_exp)(ea, eb);
            let any_zero = (self.a.zeros[ia] | self.b.zeros[ib]) != 0 || cv.sig == 0;
            if any_zero {
                e_max = e_max.max(self.e_zero);
            }
            if cv.sig != 0 {
                e_max = e_max.max(cv.exp);
            }
            let mut s = (self.k.tfdpa_sum)(&self.a.sig[ra], ea, &self.b.sig[rb], eb, self.s0, e_max)
                as i128;
            if cv.sig != 0 {
                let t = shift_trunc(cv.sig as u128, self.f as i32 + cv.exp - e_max - fc) as i128;
                s += if cv.neg { -t } else { t };
            }
            acc = out_fast(self.rounding, s, e_max - self.f as i32);
        }
        acc
    }
}

/// An f32 (or f16) accumulator decoded as [`super::exact::decode`] does, without the
/// format-generic classification.
#[inline(always)]
fn decode_acc(bits: u32, f16: bool) -> Val {
    let (ebits, m, bias) = if f16 { (5, 10, 15) } else { (8, 23, 127) };
    let field = (bits >> m) & ((1 << ebits) - 1);
    let mant = (bits & ((1 << m) - 1)) as u64;
    let neg = bits >> (m + ebits) & 1 != 0;
    if field == (1 << ebits) - 1 {
        return Val {
            class: if mant == 0 { Class::Inf } else { Class::Nan },
            neg,
            sig: 0,
            exp: 0,
        };
    }
    if field == 0 {
        Val {
            class: Class::Finite,
            neg,
            sig: mant,
            exp: 1 - bias,
        }
    } else {
        Val {
            class: Class::Finite,
            neg,
            sig: mant | (1 << m),
            exp: field as i32 - bias,
        }
    }
}

/// ρ applied to `s · 2^exp`, with the truncating roundings of normal results done inline; a
/// zero (or −0) result is +0.
#[inline(always)]
fn out_fast(rounding: OutputRounding, s: i128, exp: i32) -> u32 {
    if s == 0 {
        return 0;
    }
    let neg = s < 0;
    let mag = s.unsigned_abs();
    let fb = match rounding {
        OutputRounding::TowardZeroF32 => 23,
        OutputRounding::TowardZeroE8M13 => 13,
        _ => {
            let bits = output(rounding, neg, mag, exp);
            return if bits == 0x8000 || bits == 0x8000_0000 {
                0
            } else {
                bits
            };
        }
    };
    let bl = 128 - mag.leading_zeros() as i32;
    let lead = exp + bl - 1;
    if !(-126..128).contains(&lead) {
        let bits = output(rounding, neg, mag, exp);
        return if bits == 0x8000_0000 { 0 } else { bits };
    }
    let sh = bl - 1 - fb;
    let mant = if sh >= 0 { mag >> sh } else { mag << -sh } as u32;
    ((neg as u32) << 31) | (((lead + 127) as u32) << 23) | ((mant & ((1 << fb) - 1)) << (23 - fb))
}

/// The exact reference accumulator as an integer dot product, where the operands' products
/// fit: `a32` (m×k) and `b32` (k×n) are f32 bits; the exact sum times `scale` = (mag, exp),
/// worth mag · 2^exp (at most 48 bits), is rounded once. `None` (nothing written) where a
/// value is not finite or the range is too wide.
pub(crate) fn exact_dot(
    m: usize,
    n: usize,
    k: usize,
    a32: &[u32],
    b32: &[u32],
    scale: (u128, i32),
    y: &mut [f32],
) -> Option<()> {
    // Each value as (signed significand with trailing zeros stripped, exponent of its lsb).
    let split = |bits: u32| -> Option<(i64, i32)> {
        let v = super::exact::decode_f32(bits);
        if v.class != Class::Finite {
            return None;
        }
        if v.sig == 0 {
            return Some((0, i32::MAX));
        }
        let tz = v.sig.trailing_zeros();
        let s = (v.sig >> tz) as i64;
        Some((if v.neg { -s } else { s }, v.exp - 23 + tz as i32))
    };
    let sa: Vec<(i64, i32)> = a32.iter().map(|&x| split(x)).collect::<Option<_>>()?;
    let sb: Vec<(i64, i32)> = b32.iter().map(|&x| split(x)).collect::<Option<_>>()?;
    let range = |s: &[(i64, i32)]| -> (i32, i32) {
        // Over the nonzero values: a zero's exponent is i32::MAX (fuzz crash: two all-zero
        // operands overflowed `alo + blo`).
        let lo = s
            .iter()
            .filter(|x| x.0 != 0)
            .map(|x| x.1)
            .min()
            .unwrap_or(0);
        let hi = s
            .iter()
            .filter(|x| x.0 != 0)
            .map(|x| x.1 + 64 - x.0.unsigned_abs().leading_zeros() as i32)
            .max()
            .unwrap_or(lo);
        (lo, hi)
    };
    let ((alo, ahi), (blo, bhi)) = (range(&sa), range(&sb));
    let (abits, bbits) = ((ahi - alo).max(0), (bhi - blo).max(0));
    let kbits = 64 - (k as u64).leading_zeros() as i32;
    if abits > 31 || bbits > 31 || abits + bbits + kbits > 62 {
        return None;
    }
    let fix = |(s, e): (i64, i32), lo: i32| -> i32 {
        if s == 0 {
            0
        } else {
            (s << (e - lo)) as i32
        }
    };
    let out = |s: i64| -> f32 {
        f32::from_bits(round_wide(
            &table::F32,
            s < 0,
            s.unsigned_abs() as u128 * scale.0,
            alo + blo + scale.1,
            Rounding::NearestEven,
            Overflow::Ieee,
        ))
    };
    // Sums below 2^53 are exact in binary64: the blocked f64 GEMM.
    if abits + bbits + kbits <= 53 {
        super::exact_gemm::products(
            m,
            n,
            k,
            |x| fix(sa[x], alo) as f64,
            |x| fix(sb[x], blo) as f64,
            y,
            out,
        );
        return Some(());
    }
    let af: Vec<i32> = sa.iter().map(|&x| fix(x, alo)).collect();
    let mut bf = vec![0i32; k * n];
    for l in 0..k {
        for j in 0..n {
            bf[j * k + l] = fix(sb[l * n + j], blo);
        }
    }
    let kern = kernels();
    let row = |i: usize, yr: &mut [f32]| {
        for (j, o) in yr.iter_mut().enumerate() {
            *o = out((kern.dot_i32)(
                &af[i * k..(i + 1) * k],
                &bf[j * k..(j + 1) * k],
            ));
        }
    };
    if n == 0 {
        return Some(()); // no output (and `chunks_mut(0)` panics: a fuzz crash)
    }
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        y.par_chunks_mut(n).enumerate().for_each(|(i, r)| row(i, r));
    }
    #[cfg(not(feature = "rayon"))]
    {
        for (i, r) in y.chunks_mut(n).enumerate() {
            row(i, r);
        }
    }
    Some(())
}
