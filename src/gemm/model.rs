//! The arithmetic models of MMA-Sim as data ([`Model`]) and their scalar, exact evaluation.
//!
//! Every model consumes one *chunk* of k (at most its group length L) and the accumulator c,
//! and returns the new accumulator in the instruction's output format; an instruction of
//! shape k walks its k in chunks of L = min(k, L_max), in order.

use super::exact::{
    add_f32, decode, decode_f32, fma_f32, inf_f16, inf_f32, lead_exp, round_wide, shift_floor,
    shift_trunc, BigFixed, Class, Val, F16_NAN_FDPA, F32_NAN, F32_NAN_FDPA,
};
use crate::format::{Overflow, Rounding, Spec};
use crate::formats::table;

/// How a fused model rounds its exact (or truncated) sum into the output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutputRounding {
    /// Round to nearest, ties to even, into FP16 (overflow to ±∞). MMA-Sim's `RNE-FP16`.
    NearestEvenF16,
    /// Round to nearest, ties to even, into FP32 (overflow to ±∞). `RNE-FP32`.
    NearestEvenF32,
    /// Truncate toward zero to FP32's 23 fraction bits (subnormals at 2^-149; a leading
    /// exponent ≥ 128 gives ±∞). `RZ-FP32`.
    TowardZeroF32,
    /// Truncate toward zero to 13 fraction bits with FP32's exponent range (E8M13, subnormals
    /// at 2^-139), stored as FP32; a leading exponent ≥ 128 gives ±∞. `RZ-E8M13`.
    TowardZeroE8M13,
}

impl OutputRounding {
    /// The format the result is stored in (FP16 or FP32).
    pub fn output_spec(self) -> Spec {
        match self {
            OutputRounding::NearestEvenF16 => table::F16,
            _ => table::F32,
        }
    }
}

/// One arithmetic model with its parameters (MMA-Sim's names in the variant docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Model {
    /// T-FDPA, truncated fused dot-product-add: the L products and c are aligned to the
    /// largest exponent (a zero term takes exponent `e_zero`), each truncated toward zero to
    /// `f` fraction bits, summed exactly, and the sum rounded by `rounding`. A zero result is
    /// +0.
    TFdpa {
        /// Fraction bits kept of each aligned term (F).
        f: u32,
        /// Output rounding (ρ).
        rounding: OutputRounding,
        /// Group length L_max.
        group: usize,
        /// Exponent given to zero terms.
        e_zero: i32,
    },
    /// ST-FDPA, scaled T-FDPA: as T-FDPA with every product multiplied by the block's two
    /// E8M0 scales (their exponents added to the product's).
    StFdpa {
        /// F.
        f: u32,
        /// ρ.
        rounding: OutputRounding,
        /// L_max (the block).
        group: usize,
        /// Exponent of zero terms.
        e_zero: i32,
    },
    /// GST-FDPA, group-scaled T-FDPA: the products of each group of `g` elements are summed
    /// exactly first; each group sum times its block's two scales is one term of a T-FDPA (a
    /// group whose products are all zero, or whose scale product is zero, takes `e_zero`).
    GstFdpa {
        /// Elements per exactly summed group (G).
        g: usize,
        /// F.
        f: u32,
        /// ρ.
        rounding: OutputRounding,
        /// L_max.
        group: usize,
        /// Exponent of zero terms.
        e_zero: i32,
    },
    /// TR-FDPA (AMD CDNA3): the products are truncated to `f` bits at their largest exponent
    /// (a product ≥ 2^128 is ±∞) and summed; that sum is floored to `f2`+1 bits and c to `f`
    /// bits at the exponent of the larger; their sum is normalised, floored to `f2` fraction
    /// bits and rounded to nearest even into FP32.
    TrFdpa {
        /// F.
        f: u32,
        /// F2.
        f2: u32,
        /// ρ.
        rounding: OutputRounding,
        /// L_max.
        group: usize,
    },
    /// GTR-FDPA (AMD CDNA3 FP8): as TR-FDPA, but the even- and odd-indexed products are
    /// T-summed separately, each floored to `f` bits at the larger of their exponents and
    /// added; a c more than `f`+1 binades below the largest exponent is dropped (even ∞ or
    /// NaN).
    GtrFdpa {
        /// F.
        f: u32,
        /// F2.
        f2: u32,
        /// ρ.
        rounding: OutputRounding,
        /// L_max.
        group: usize,
    },
    /// E-FDPA (AMD CDNA1): the L products and c summed exactly, rounded once to nearest even
    /// into FP32.
    EFdpa {
        /// L_max.
        group: usize,
    },
    /// FTZ multiply-add (AMD CDNA2 FP16/BF16): subnormal inputs flush to +0; each product is
    /// rounded to FP32 and flushed (sign kept) if subnormal; products are added in pairs
    /// (`pairs` = 2) or in a tree of four (`pairs` = 4), each sum flushed, then added to c.
    FtzMulAdd {
        /// P: products per step (2 or 4).
        pairs: usize,
    },
    /// Sequential fused multiply-add in the accumulator's precision (FP32 or FP64), one
    /// element of k at a time.
    Fma,
}

impl Model {
    /// MMA-Sim's name of the model.
    pub fn name(&self) -> &'static str {
        match self {
            Model::TFdpa { .. } => "T-FDPA",
            Model::StFdpa { .. } => "ST-FDPA",
            Model::GstFdpa { .. } => "GST-FDPA",
            Model::TrFdpa { .. } => "TR-FDPA",
            Model::GtrFdpa { .. } => "GTR-FDPA",
            Model::EFdpa { .. } => "E-FDPA",
            Model::FtzMulAdd { .. } => "FTZ-MUL-ADD",
            Model::Fma => "FMA",
        }
    }

    /// The group length L_max (1 for FMA, P for the FTZ multiply-add).
    pub fn group(&self) -> usize {
        match *self {
            Model::TFdpa { group, .. }
            | Model::StFdpa { group, .. }
            | Model::GstFdpa { group, .. }
            | Model::TrFdpa { group, .. }
            | Model::GtrFdpa { group, .. }
            | Model::EFdpa { group } => group,
            Model::FtzMulAdd { pairs } => pairs,
            Model::Fma => 1,
        }
    }

    /// The format of the accumulator the model writes (FP16 or FP32).
    pub fn output_spec(&self) -> Spec {
        match *self {
            Model::TFdpa { rounding, .. }
            | Model::StFdpa { rounding, .. }
            | Model::GstFdpa { rounding, .. }
            | Model::TrFdpa { rounding, .. }
            | Model::GtrFdpa { rounding, .. } => rounding.output_spec(),
            _ => table::F32,
        }
    }
}

/// The operands of one chunk, decoded, with their formats' fraction widths.
pub(crate) struct Chunk<'a> {
    pub a: &'a [Val],
    pub fa: u32,
    pub b: &'a [Val],
    pub fb: u32,
    /// Block scales of a and b for this chunk (one per block), with their fraction widths.
    pub scales: Option<Scales<'a>>,
}

/// Block scales of one chunk.
pub(crate) struct Scales<'a> {
    pub a: &'a [Val],
    pub b: &'a [Val],
    pub f: u32,
}

/// Specials of a dot product under IEEE product semantics: `Some(bits)` (NaN or ±∞ in the
/// output format) when any product or c is not finite.
#[inline]
fn special_products(ch: &Chunk, c: &Val) -> (bool, bool, bool) {
    let (mut nan, mut pinf, mut ninf) = (false, false, false);
    for (x, y) in ch.a.iter().zip(ch.b) {
        if x.class == Class::Finite && y.class == Class::Finite {
            continue;
        }
        if x.class == Class::Nan || y.class == Class::Nan || x.is_zero() || y.is_zero() {
            nan = true;
        } else if x.neg ^ y.neg {
            ninf = true;
        } else {
            pinf = true;
        }
    }
    match c.class {
        Class::Nan => nan = true,
        Class::Inf if c.neg => ninf = true,
        Class::Inf => pinf = true,
        Class::Finite => {}
    }
    (nan, pinf, ninf)
}

fn nan_out(rounding: OutputRounding) -> u32 {
    match rounding {
        OutputRounding::NearestEvenF16 => F16_NAN_FDPA,
        _ => F32_NAN_FDPA,
    }
}

fn inf_out(rounding: OutputRounding, neg: bool) -> u32 {
    match rounding {
        OutputRounding::NearestEvenF16 => inf_f16(neg),
        _ => inf_f32(neg),
    }
}

/// Round `(−1)^neg · mag · 2^exp` by ρ. A zero magnitude gives +0.
pub(crate) fn output(rounding: OutputRounding, neg: bool, mag: u128, exp: i32) -> u32 {
    if mag == 0 {
        return 0;
    }
    match rounding {
        OutputRounding::NearestEvenF16 => round_wide(
            &table::F16,
            neg,
            mag,
            exp,
            Rounding::NearestEven,
            Overflow::Ieee,
        ),
        OutputRounding::NearestEvenF32 => round_wide(
            &table::F32,
            neg,
            mag,
            exp,
            Rounding::NearestEven,
            Overflow::Ieee,
        ),
        OutputRounding::TowardZeroF32 | OutputRounding::TowardZeroE8M13 => {
            let lead = lead_exp(mag, exp);
            if lead >= 128 {
                return inf_f32(neg);
            }
            let (mut mag, mut exp) = (mag, exp);
            if rounding == OutputRounding::TowardZeroE8M13 {
                let lsb = lead.max(-126) - 13;
                if lsb > exp {
                    mag = shift_trunc(mag, exp - lsb);
                    exp = lsb;
                }
            }
            round_wide(
                &table::F32,
                neg,
                mag,
                exp,
                Rounding::TowardZero,
                Overflow::Ieee,
            )
        }
    }
}

/// The T-FDPA family's final step: a signed sum `s` worth `s · 2^(e_max − f)`, rounded by ρ;
/// −0 becomes +0 (MMA-Sim adds +0.0).
#[inline]
fn t_out(rounding: OutputRounding, s: i128, e_max: i32, f: u32) -> u32 {
    let bits = output(rounding, s < 0, s.unsigned_abs(), e_max - f as i32);
    let sign = match rounding {
        OutputRounding::NearestEvenF16 => 0x8000,
        _ => 0x8000_0000,
    };
    if bits == sign {
        0
    } else {
        bits
    }
}

/// Evaluate one chunk of `model` with accumulator bits `c` (in the model's output format, or
/// `c_spec` for the first chunk of an instruction whose C type differs).
pub(crate) fn chunk(model: &Model, ch: &Chunk, c: u32, c_spec: &Spec) -> u32 {
    let cv = decode(c_spec, c >> c_spec.storage_shift);
    match *model {
        Model::TFdpa {
            f,
            rounding,
            e_zero,
            ..
        } => t_fdpa(ch, &cv, c_spec.mantissa_bits, f, rounding, e_zero),
        Model::StFdpa {
            f,
            rounding,
            e_zero,
            ..
        } => t_fdpa(ch, &cv, c_spec.mantissa_bits, f, rounding, e_zero),
        Model::GstFdpa {
            g,
            f,
            rounding,
            e_zero,
            ..
        } => gst_fdpa(ch, &cv, c_spec.mantissa_bits, g, f, rounding, e_zero),
        Model::TrFdpa {
            f, f2, rounding, ..
        } => tr_fdpa(ch, &cv, c_spec.mantissa_bits, f, f2, rounding, false),
        Model::GtrFdpa {
            f, f2, rounding, ..
        } => tr_fdpa(ch, &cv, c_spec.mantissa_bits, f, f2, rounding, true),
        Model::EFdpa { .. } => e_fdpa(ch, &cv, c_spec.mantissa_bits),
        Model::FtzMulAdd { pairs } => ftz_mul_add(ch, c, c_spec, pairs),
        Model::Fma => {
            let mut acc = c;
            for (x, y) in ch.a.iter().zip(ch.b) {
                acc = fma_f32(val_to_f32(x, ch.fa), val_to_f32(y, ch.fb), acc);
            }
            acc
        }
    }
}

/// A decoded operand back to f32 bits (exact: every operand format is a subset of f32).
fn val_to_f32(v: &Val, frac: u32) -> u32 {
    match v.class {
        Class::Nan => F32_NAN,
        Class::Inf => inf_f32(v.neg),
        Class::Finite => round_wide(
            &table::F32,
            v.neg,
            v.sig as u128,
            v.exp - frac as i32,
            Rounding::NearestEven,
            Overflow::Ieee,
        ),
    }
}

/// T-FDPA and ST-FDPA (the scales, if any, add their exponents to every product).
fn t_fdpa(ch: &Chunk, c: &Val, fc: u32, f: u32, rounding: OutputRounding, e_zero: i32) -> u32 {
    let (mut nan, pinf, ninf) = special_products(ch, c);
    let mut scale_exp = 0;
    if let Some(s) = &ch.scales {
        let (x, y) = (&s.a[0], &s.b[0]);
        if x.class != Class::Finite || y.class != Class::Finite {
            nan = true;
        } else {
            // E8M0 scales: sig = 1, frac = 0.
            scale_exp = x.exp + y.exp;
        }
    }
    if nan || (pinf && ninf) {
        return nan_out(rounding);
    }
    if pinf || ninf {
        return inf_out(rounding, ninf);
    }
    let q = (ch.fa + ch.fb) as i32;
    let ez = |mag: u64, e: i32| if mag == 0 { e_zero } else { e };
    let mut e_max = ez(c.sig, c.exp);
    for (x, y) in ch.a.iter().zip(ch.b) {
        let p = x.sig * y.sig;
        e_max = e_max.max(ez(p, x.exp + y.exp + scale_exp));
    }
    let f = f as i32;
    let mut s: i128 = 0;
    for (x, y) in ch.a.iter().zip(ch.b) {
        let p = x.sig * y.sig;
        if p == 0 {
            continue;
        }
        let t = shift_trunc(p as u128, f + x.exp + y.exp + scale_exp - e_max - q) as i128;
        s += if x.neg ^ y.neg { -t } else { t };
    }
    if c.sig != 0 {
        let t = shift_trunc(c.sig as u128, f + c.exp - e_max - fc as i32) as i128;
        s += if c.neg { -t } else { t };
    }
    t_out(rounding, s, e_max, f as u32)
}

/// GST-FDPA.
fn gst_fdpa(
    ch: &Chunk,
    c: &Val,
    fc: u32,
    g: usize,
    f: u32,
    rounding: OutputRounding,
    e_zero: i32,
) -> u32 {
    let (mut nan, pinf, ninf) = special_products(ch, c);
    let scales = ch.scales.as_ref().expect("GST-FDPA needs scales");
    let groups = ch.a.len() / g;
    let block = ch.a.len() / scales.a.len();
    if scales
        .a
        .iter()
        .chain(scales.b)
        .any(|x| x.class != Class::Finite)
    {
        nan = true;
    }
    if nan || (pinf && ninf) {
        return nan_out(rounding);
    }
    if pinf || ninf {
        return inf_out(rounding, ninf);
    }
    let q = (ch.fa + ch.fb) as i32;
    let qs = 2 * scales.f as i32;
    // Each group: its exact sum P (worth P · 2^-(q + pmin)) and its scale.
    let mut terms = [(0i128, 0i32, false); 8];
    let mut e_max = if c.sig == 0 { e_zero } else { c.exp };
    for (gi, term) in terms.iter_mut().enumerate().take(groups) {
        let lo = gi * g;
        // The products of one group, summed exactly at the smallest product exponent.
        let mut pmin = i32::MAX;
        let mut all_zero = true;
        for (x, y) in ch.a[lo..lo + g].iter().zip(&ch.b[lo..lo + g]) {
            if x.sig * y.sig != 0 {
                all_zero = false;
            }
            pmin = pmin.min(x.exp + y.exp);
        }
        let mut p: i128 = 0;
        for (x, y) in ch.a[lo..lo + g].iter().zip(&ch.b[lo..lo + g]) {
            let t = ((x.sig * y.sig) as i128) << (x.exp + y.exp - pmin);
            p += if x.neg ^ y.neg { -t } else { t };
        }
        let blk = lo / block;
        let (sa, sb) = (&scales.a[blk], &scales.b[blk]);
        let smag = (sa.sig * sb.sig) as i128;
        let e_scale = sa.exp + sb.exp;
        // The term: p · 2^(pmin − q) · smag · 2^(−qs) at exponent e_scale; as a magnitude
        // worth 2^(e − f) after alignment, computed below.
        let e = if all_zero || smag == 0 {
            e_zero
        } else {
            e_scale
        };
        e_max = e_max.max(e);
        *term = (p * smag, e + pmin - q - qs, p == 0 || smag == 0);
    }
    let f = f as i32;
    let mut s: i128 = 0;
    for &(v, lsb_exp, zero) in terms.iter().take(groups) {
        if zero {
            continue;
        }
        // v is worth v · 2^lsb_exp relative to 2^e: aligned to e_max with f fraction bits.
        let t = shift_trunc(v.unsigned_abs(), f + lsb_exp - e_max) as i128;
        s += if v < 0 { -t } else { t };
    }
    if c.sig != 0 {
        let t = shift_trunc(c.sig as u128, f + c.exp - e_max - fc as i32) as i128;
        s += if c.neg { -t } else { t };
    }
    t_out(rounding, s, e_max, f as u32)
}

/// TR-FDPA (`grouped` = false) and GTR-FDPA (`grouped` = true).
fn tr_fdpa(
    ch: &Chunk,
    c: &Val,
    fc: u32,
    f: u32,
    f2: u32,
    rounding: OutputRounding,
    grouped: bool,
) -> u32 {
    let q = (ch.fa + ch.fb) as i32;
    let (f, f2) = (f as i32, f2 as i32);
    // Specials of the products, with TR-FDPA's product overflow (|p| ≥ 2^128 is ±∞).
    let (mut nan, mut pinf, mut ninf) = (false, false, false);
    // frexp gives ∞/NaN the exponent 0 (e = −1 after normalisation).
    let mut special_e = i32::MIN;
    for (x, y) in ch.a.iter().zip(ch.b) {
        let neg = x.neg ^ y.neg;
        if x.class != Class::Finite || y.class != Class::Finite {
            if x.class == Class::Nan || y.class == Class::Nan || x.is_zero() || y.is_zero() {
                nan = true;
            } else if neg {
                ninf = true;
            } else {
                pinf = true;
            }
            let ex = if x.class == Class::Finite { x.exp } else { -1 };
            let ey = if y.class == Class::Finite { y.exp } else { -1 };
            special_e = special_e.max(ex + ey);
            continue;
        }
        let p = x.sig * y.sig;
        if !grouped && p != 0 {
            let e = x.exp + y.exp;
            let ge2 = (p >> (q + 1)) != 0;
            if e + ge2 as i32 >= 128 {
                if neg {
                    ninf = true;
                } else {
                    pinf = true;
                }
            }
        }
    }
    // The truncated sum of a set of products (every `step`-th from `first`).
    let tsum = |first: usize, step: usize| -> (i128, i32) {
        let mut e_max = -999;
        for (x, y) in ch.a.iter().zip(ch.b).skip(first).step_by(step) {
            if x.sig * y.sig != 0 {
                e_max = e_max.max(x.exp + y.exp);
            }
        }
        let mut s: i128 = 0;
        for (x, y) in ch.a.iter().zip(ch.b).skip(first).step_by(step) {
            let p = x.sig * y.sig;
            if p == 0 {
                continue;
            }
            let t = shift_trunc(p as u128, f + x.exp + y.exp - e_max - q) as i128;
            s += if x.neg ^ y.neg { -t } else { t };
        }
        (s, e_max)
    };
    // s_dot, worth s_dot · 2^(e_dot − f).
    let (s_dot, e_dot) = if grouped {
        let (se, ee) = tsum(0, 2);
        let (so, eo) = tsum(1, 2);
        let e = ee.max(eo);
        (shift_floor(se, ee - e) + shift_floor(so, eo - e), e)
    } else {
        tsum(0, 1)
    };
    let e_dot_all = e_dot.max(special_e);
    // c: frexp_and_normalize of an f32 (zero at −126; ∞/NaN at −1).
    let e_c = match c.class {
        Class::Finite => c.exp,
        _ => -1,
    };
    let e_max = e_dot_all.max(e_c);
    let c_dropped = grouped && e_c < e_max - f - 1;
    if !c_dropped {
        match c.class {
            Class::Nan => nan = true,
            Class::Inf if c.neg => ninf = true,
            Class::Inf => pinf = true,
            Class::Finite => {}
        }
    }
    if nan || (pinf && ninf) {
        return F32_NAN_FDPA;
    }
    if pinf || ninf {
        return inf_out(rounding, ninf);
    }
    // Units of 2^(e_max − f2 − 1).
    let d = shift_floor(s_dot, e_dot - e_max + f2 + 1 - f);
    let cc = if c_dropped || c.sig == 0 {
        0
    } else {
        let sc = if c.neg {
            -(c.sig as i128)
        } else {
            c.sig as i128
        };
        shift_floor(sc, c.exp - e_max + f - fc as i32)
    };
    let t = d + shift_floor(cc, f2 + 1 - f);
    if t == 0 {
        return 0;
    }
    let unit = e_max - f2 - 1;
    let lead = lead_exp(t.unsigned_abs(), unit);
    let e = lead.max(-126);
    // ⌊v · 2^(f2 − e)⌋, worth 2^(e − f2).
    let r = shift_floor(t, unit - (e - f2));
    output(rounding, r < 0, r.unsigned_abs(), e - f2)
}

/// E-FDPA: exact sum, one rounding to nearest even into FP32.
fn e_fdpa(ch: &Chunk, c: &Val, fc: u32) -> u32 {
    let (nan, pinf, ninf) = special_products(ch, c);
    if nan || (pinf && ninf) {
        return F32_NAN;
    }
    if pinf || ninf {
        return inf_f32(ninf);
    }
    let q = (ch.fa + ch.fb) as i32;
    let mut acc = BigFixed::new();
    let mut all_neg_zero = c.sig == 0 && c.neg;
    for (x, y) in ch.a.iter().zip(ch.b) {
        let p = x.sig * y.sig;
        all_neg_zero &= p == 0 && (x.neg ^ y.neg);
        acc.add(x.neg ^ y.neg, p as u128, x.exp + y.exp - q);
    }
    acc.add(c.neg, c.sig as u128, c.exp - fc as i32);
    acc.round(
        &table::F32,
        Rounding::NearestEven,
        Overflow::Ieee,
        all_neg_zero,
    )
}

/// f32 bits with a magnitude below 2^-126 (a subnormal or a zero) replaced by a zero: of its
/// sign if `keep_sign`, else +0 (MMA-Sim's `flush_subnormal`).
#[inline]
fn flush(bits: u32, keep_sign: bool) -> u32 {
    if bits & 0x7F80_0000 == 0 {
        if keep_sign {
            bits & 0x8000_0000
        } else {
            0
        }
    } else {
        bits
    }
}

/// The FTZ multiply-add (CDNA2).
fn ftz_mul_add(ch: &Chunk, c: u32, c_spec: &Spec, pairs: usize) -> u32 {
    let prod = |x: &Val, fx: u32, y: &Val, fy: u32| -> u32 {
        // Subnormal inputs flush to +0.
        let xs = if x.class == Class::Finite && x.sig >> fx == 0 {
            Val::ZERO
        } else {
            *x
        };
        let ys = if y.class == Class::Finite && y.sig >> fy == 0 {
            Val::ZERO
        } else {
            *y
        };
        let bits = fma_f32(val_to_f32(&xs, fx), val_to_f32(&ys, fy), 0x8000_0000);
        flush(bits, true)
    };
    let c32 = if c_spec.bits == 32 {
        c
    } else {
        val_to_f32(&decode(c_spec, c), c_spec.mantissa_bits)
    };
    let mut acc = flush(c32, false);
    let n = ch.a.len();
    let mut i = 0;
    while i + pairs <= n {
        let p = |j: usize| prod(&ch.a[i + j], ch.fa, &ch.b[i + j], ch.fb);
        let mut s = flush(add_f32(p(0), p(1)), true);
        if pairs == 4 {
            let s2 = flush(add_f32(p(2), p(3)), true);
            s = flush(add_f32(s, s2), true);
        }
        acc = flush(add_f32(acc, s), true);
        i += pairs;
    }
    acc
}

/// Decode f32 bits (re-exported for the drivers).
#[allow(dead_code)]
pub(crate) fn decode_acc(bits: u32) -> Val {
    decode_f32(bits)
}
