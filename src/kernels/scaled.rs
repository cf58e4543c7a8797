//! Lanes of the scaled quantizers: the step before the encode lane (a division by the scale,
//! or an exact multiplication by a power of two) fused with it, and the block parameters of MX
//! and NVFP4 computed branch-free, so that the quantizers' loops vectorise like the
//! conversions' (the drivers are in `quant::fast` and `quant::int`, each loop a [`Job`] run
//! through [`run`]).
//!
//! Scaled-float fake quantization is fused here ([`fake_values`], [`fake_values_each`],
//! [`fake_blocks32`]): per element the division, the rounding to the format, the decoding and
//! the product in one pass, the rounding and decoding one step on the quotient's bits
//! ([`grid_round`]) where the format allows ([`grid_lane`]).
//!
//! Every function here gives the bits of the quantizers' per-element formulas (the scalar
//! path of `quant`, kept as the [`Level::Scalar`] reference; the test `tests/quant_fast.rs`
//! compares them on random and adversarial data): the encode and decode lanes are the
//! conversions' own ([`super::lanes`]), which give the scalar core's bits.

use super::lanes::{decode_lane, encode_lane_any, NE};
use super::{active_level, Level};
use crate::format::Format;

/// A loop over slices, to run compiled for the active level's instruction set: every impl
/// marks `run` `#[inline(always)]`, and keeps its hot loops free of closures (a closure is a
/// function of its own, which need not be inlined into the `#[target_feature]` function).
pub(crate) trait Job {
    /// Do the work.
    fn run(self);
}

/// Run `job` compiled for the active level: AVX-512 or AVX2 where the level is one of them
/// (through `x86::jobs`), else as compiled for the build's baseline.
#[inline]
pub(crate) fn run<J: Job>(job: J) {
    match active_level() {
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => super::x86::jobs::avx512(job),
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => super::x86::jobs::avx2(job),
        _ => job.run(),
    }
}

/// Elements per run of the quotient and product helpers ([`quotients`], [`products`]).
pub(crate) const RUN: usize = 64;

/// Whether the native quotient `q` of x / s may differ from the default environment's
/// (CONTRACT.md §14): a subnormal operand (which DAZ reads as ±0), or a tiny quotient of a
/// non-tiny `x` (which FTZ may have flushed). On the bits: a zero `x` gives an exact ±0.
#[inline(always)]
fn div_redo(x: f32, s: f32, q: f32) -> bool {
    use crate::fenv::{is_subnormal, is_tiny};
    is_subnormal(x) | is_subnormal(s) | (is_tiny(q) & !is_tiny(x))
}

/// Whether the native product `p` of v · s may differ from the default environment's: a
/// subnormal operand, or a tiny product of two non-tiny factors.
#[inline(always)]
fn mul_redo(v: f32, s: f32, p: f32) -> bool {
    use crate::fenv::{is_subnormal, is_tiny};
    is_subnormal(v) | is_subnormal(s) | (is_tiny(p) & !is_tiny(v) & !is_tiny(s))
}

/// `q[i]` = `x[i]` / `s`, the one `f32` division of the scaled quantizers, as the default
/// environment gives it whatever FTZ/DAZ say: the native (vectorised) division first, then,
/// only where some lane's operands or quotient are subnormal or tiny, those lanes again through
/// the exact [`crate::fenv::div`]. `q.len()` must be `x.len()` (at most [`RUN`] for the
/// loops to vectorise well).
#[inline(always)]
pub(crate) fn quotients(x: &[f32], s: f32, q: &mut [f32]) {
    let mut redo = false;
    for (q, &v) in q.iter_mut().zip(x) {
        let t = v / s;
        redo |= div_redo(v, s, t);
        *q = t;
    }
    if redo {
        redo_quotients(x, core::slice::from_ref(&s), q);
    }
}

/// `q[i]` = `x[i]` / `s[i]`, as [`quotients`].
#[inline(always)]
pub(crate) fn quotients_each(x: &[f32], s: &[f32], q: &mut [f32]) {
    let mut redo = false;
    for ((q, &v), &s) in q.iter_mut().zip(x).zip(s) {
        let t = v / s;
        redo |= div_redo(v, s, t);
        *q = t;
    }
    if redo {
        redo_quotients(x, s, q);
    }
}

/// The lanes of [`quotients`] that the environment may have changed, divided exactly (`s`: one
/// scale, or one per element).
#[cold]
#[inline(never)]
fn redo_quotients(x: &[f32], s: &[f32], q: &mut [f32]) {
    for (i, (q, &v)) in q.iter_mut().zip(x).enumerate() {
        let s = if s.len() == 1 { s[0] } else { s[i] };
        if div_redo(v, s, *q) {
            *q = crate::fenv::div(v, s);
        }
    }
}

/// `out[i]` = `v[i]` · `s`, the one `f32` multiplication of every dequantization and fake
/// quantization, as the default environment gives it whatever FTZ/DAZ say (a subnormal
/// product is kept, not flushed: CONTRACT.md §14), then [`saturate_product`]. The native
/// product first; the lanes the environment may have changed again through the exact
/// [`crate::fenv::mul`].
#[inline(always)]
pub(crate) fn products(v: &[f32], s: f32, out: &mut [f32]) {
    let mut redo = false;
    for (o, &v) in out.iter_mut().zip(v) {
        let p = v * s;
        redo |= mul_redo(v, s, p);
        *o = p;
    }
    if redo {
        redo_products(v, s, out);
    }
    for (o, &v) in out.iter_mut().zip(v) {
        *o = saturate_product(*o, v, s);
    }
}

/// The lanes of [`products`] that the environment may have changed, multiplied exactly.
#[cold]
#[inline(never)]
fn redo_products(v: &[f32], s: f32, out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(v) {
        if mul_redo(v, s, *o) {
            *o = crate::fenv::mul(v, s);
        }
    }
}

/// The product `p` of two finite factors that overflowed `f32` made ±`f32::MAX` (the
/// quantizers' rule, as the scalar `mul_saturating`): fake quantization never makes ∞ from a
/// finite input. Integer tests only.
#[inline(always)]
fn saturate_product(p: f32, value: f32, scale: f32) -> f32 {
    let finite = |v: f32| v.to_bits() & 0x7F80_0000 != 0x7F80_0000;
    let overflow = p.to_bits() & 0x7FFF_FFFF == 0x7F80_0000 && finite(value) && finite(scale);
    f32::from_bits(sel(
        overflow,
        (p.to_bits() & 0x8000_0000) | 0x7F7F_FFFF,
        p.to_bits(),
    ))
}

/// One fake-quantized element as the default environment gives it: decode(q) · `s` (the
/// exact [`crate::fenv`] division and product), the product saturated at ±`f32::MAX`
/// ([`saturate_product`]). The lanes of [`fake_values`] that the environment may have changed
/// are redone through it.
#[inline(always)]
fn fake_exact<F: Format>(v: f32, s: f32) -> f32 {
    let r = decode::<F>(encode_quotient::<F>(crate::fenv::div(v, s)));
    saturate_product(crate::fenv::mul(r, s), r, s)
}

/// Whether [`grid_round`] gives decode(`F`(Saturate(NearestEven(q)))) for every non-NaN `f32`
/// q, whatever FTZ/DAZ say: the formats with a sign, a −0, subnormals, whose every non-zero
/// value is at least 2^-125 (emin − M ≥ −125: an `f32` subnormal q, which DAZ reads as ±0 and
/// FTZ may have made ±0, rounds to ±0 either way) and which have at most 10 fraction bits, whose NaN (if any)
/// is not the −0 code and which are not P3109's (whose ties go by the code's parity) — the OCP
/// FP8/FP6/FP4 formats, E4M3, E3M4 and f16. The unit test `grid_round_is_the_round_trip` checks
/// it on every code's neighbourhood and the midpoints between codes, and on random inputs.
pub(crate) const fn grid_lane<F: Format>() -> bool {
    use crate::spec::NanEncoding;
    let s = F::SPEC;
    s.signed
        && s.subnormals
        && matches!(
            s.nan,
            NanEncoding::Ieee | NanEncoding::AllOnes | NanEncoding::None
        )
        && s.storage_shift == 0
        && s.bias != 127
        && s.mantissa_bits >= 1
        && s.mantissa_bits <= 10
        && s.min_exponent() - s.mantissa_bits as i32 >= -125
}

/// decode(`F`(Saturate(NearestEven(q)))) for a quotient `q` that is not NaN, where
/// [`grid_lane`] holds: q rounded on `F`'s grid directly, without code or decode. From
/// `F`'s smallest normal 2^emin on, nearest-even on q's bits at `F`'s last fraction bit (the
/// carry flows into the exponent by addition); below it, |q| + C − C with C = 2^(emin − M + 23),
/// whose ulp is `F`'s subnormal spacing (both operations exact but the one rounding, C and
/// the result a normal `f32` or 0; an `f32` subnormal |q|, below half that spacing, gives 0
/// whether DAZ reads it as 0 or not, so that FTZ/DAZ change nothing); then the magnitude
/// clamped at `F`'s max (Saturate: ∞ too), and q's sign. A NaN q gives an unspecified value
/// (the caller redoes those lanes).
#[inline(always)]
fn grid_round<F: Format>(q: f32) -> f32 {
    let s = F::SPEC;
    let d = 23 - s.mantissa_bits;
    let b = q.to_bits();
    let a = b & 0x7FFF_FFFF;
    let emin = s.min_exponent();
    let min_normal = ((emin + 127) as u32) << 23;
    let normal = (a + ((1 << (d - 1)) - 1) + ((a >> d) & 1)) & !((1u32 << d) - 1);
    let c = f32::from_bits(((emin - s.mantissa_bits as i32 + 23 + 127) as u32) << 23);
    let sub = ((f32::from_bits(a) + c) - c).to_bits();
    let r = if a < min_normal { sub } else { normal };
    let max = decode_lane::<F>(s.max_code());
    let r = if r < max { r } else { max };
    f32::from_bits(r | (b & 0x8000_0000))
}

/// One fake-quantized element natively: decode(`F`(Saturate(NearestEven(`v` / `s`)))) · `s`
/// saturated, and whether it must be redone through [`fake_exact`] (where the environment may
/// have changed its quotient or its product).
#[inline(always)]
fn fake_native<F: Format>(v: f32, s: f32) -> (f32, bool) {
    use crate::fenv::{is_subnormal, is_tiny};
    let t = v / s;
    if grid_lane::<F>() {
        // The grid lane: r is finite and never an `f32` subnormal (emin − M ≥ −125), and the
        // scale is finite. A quotient that FTZ flushed was an `f32` subnormal, which the lane
        // rounds to the same ±0: no test for it. NaN quotients (which the lane does not take)
        // are redone.
        let r = grid_round::<F>(t);
        let p = r * s;
        let pb = p.to_bits();
        let y = sel(
            pb & 0x7FFF_FFFF == 0x7F80_0000,
            (pb & 0x8000_0000) | 0x7F7F_FFFF,
            pb,
        );
        let nan = t.to_bits() & 0x7FFF_FFFF > 0x7F80_0000;
        let redo =
            is_subnormal(v) | is_subnormal(s) | nan | (is_tiny(p) & !is_tiny(r) & !is_tiny(s));
        return (f32::from_bits(y), redo);
    }
    let r = decode::<F>(encode_quotient::<F>(t));
    let p = r * s;
    (
        saturate_product(p, r, s),
        div_redo(v, s, t) | mul_redo(r, s, p),
    )
}

/// Scaled-float fake quantization with one scale, fused: `out[i]` =
/// decode(`F`(Saturate(NearestEven(`x[i]` / `s`)))) · `s`, saturated at ±`f32::MAX` — the one
/// `f32` division, the encode and decode lanes and the one product in a single pass of lanes,
/// without codes in memory. The bits of the scalar formula (`enc`, `to_f32`,
/// `mul_saturating`) whatever FTZ/DAZ say: the rare lanes whose quotient or product the
/// environment may have changed (a subnormal operand, a tiny result) are redone through the
/// exact helpers. `out.len()` must be `x.len()` (at most [`RUN`] for the loop to vectorise
/// well).
#[inline(always)]
pub(crate) fn fake_values<F: Format>(x: &[f32], s: f32, out: &mut [f32]) {
    let mut redo = false;
    for (o, &v) in out.iter_mut().zip(x) {
        let (y, r) = fake_native::<F>(v, s);
        redo |= r;
        *o = y;
    }
    if redo {
        redo_fake::<F>(x, core::slice::from_ref(&s), out);
    }
}

/// [`fake_values`] with one scale per element: `out[i]` from `x[i]` and `s[i]`.
#[inline(always)]
pub(crate) fn fake_values_each<F: Format>(x: &[f32], s: &[f32], out: &mut [f32]) {
    let mut redo = false;
    for ((o, &v), &s) in out.iter_mut().zip(x).zip(s) {
        let (y, r) = fake_native::<F>(v, s);
        redo |= r;
        *o = y;
    }
    if redo {
        redo_fake::<F>(x, s, out);
    }
}

/// [`fake_values`] over whole blocks of 32 elements, block `k` with the scale `s[k]`: 256
/// elements (8 blocks) per pass, one test for the lanes to redo per pass.
#[inline(always)]
pub(crate) fn fake_blocks32<F: Format>(x: &[f32; 256], s: &[f32; 8], out: &mut [f32; 256]) {
    let mut redo = false;
    let blocks = x.chunks_exact(32).zip(out.chunks_exact_mut(32));
    for ((xb, ob), &s) in blocks.zip(s) {
        for (o, &v) in ob.iter_mut().zip(xb) {
            let (y, r) = fake_native::<F>(v, s);
            redo |= r;
            *o = y;
        }
    }
    if redo {
        let blocks = x.chunks_exact(32).zip(out.chunks_exact_mut(32));
        for ((xb, ob), s) in blocks.zip(s) {
            redo_fake::<F>(xb, core::slice::from_ref(s), ob);
        }
    }
}

/// The lanes of [`fake_values`] that the environment may have changed, again through the
/// exact helpers (`s`: one scale, or one per element).
#[cold]
#[inline(never)]
fn redo_fake<F: Format>(x: &[f32], s: &[f32], out: &mut [f32]) {
    for (i, (o, &v)) in out.iter_mut().zip(x).enumerate() {
        let s = if s.len() == 1 { s[0] } else { s[i] };
        if fake_native::<F>(v, s).1 {
            *o = fake_exact::<F>(v, s);
        }
    }
}

/// The storage bits of `F`(Saturate(NearestEven(f32 bits `b`))): the quantizers' rounding.
#[inline(always)]
pub(crate) fn encode_saturate<F: Format>(b: u32) -> u32 {
    // Nearest-even: `shifts` (which only toward zero reads) changes nothing.
    encode_lane_any::<F, NE, true>(b, 0, true)
}

/// The storage bits of `F`(Saturate(NearestEven(q))) for a quotient `q` = x / scale (from
/// [`quotients`]): the scaled-float quantizer. An infinite quotient (an ∞ input or an f32
/// overflow) is ±f32::MAX first: what Saturate gives for ±∞ in every format, and what the
/// target f32 itself (the identity) needs.
#[inline(always)]
pub(crate) fn encode_quotient<F: Format>(q: f32) -> u32 {
    let q = q.to_bits();
    let inf = q & 0x7FFF_FFFF == 0x7F80_0000;
    encode_saturate::<F>(sel(inf, (q & 0x8000_0000) | 0x7F7F_FFFF, q))
}

/// The exact value of `F`'s storage bits, as an `f32`.
#[inline(always)]
pub(crate) fn decode<F: Format>(bits: u32) -> f32 {
    f32::from_bits(decode_lane::<F>(bits))
}

/// `a` if `c`, else `b` (a select, which vectorises to a blend).
#[inline(always)]
fn sel(c: bool, a: u32, b: u32) -> u32 {
    let m = (c as u32).wrapping_neg();
    (a & m) | (b & !m)
}

/// The biased exponent (as the field of a normal `f32`, ≤ 0 below 2^-126) and the 23 fraction
/// bits of the finite magnitude `a` (`f32` bits without sign), f32 subnormals normalised by an
/// exact integer conversion (never an operation on a subnormal float, so the result does not
/// depend on FTZ/DAZ). Zero gives exponent −149 (and a fraction of 0).
#[inline(always)]
fn exponent_fraction(a: u32) -> (i32, u32) {
    // a < 2^23 converts exactly: a·2^-149 = 1.f · 2^(field − 127 − 149).
    let n = (a as i32 as f32).to_bits();
    let sub = a < 0x0080_0000;
    let e = sel(sub, (n >> 23).wrapping_sub(149), a >> 23) as i32;
    let f = sel(sub, n, a) & 0x007F_FFFF;
    (e, f)
}

/// The `f32` bits of x · 2^k, exact, for finite `x` (bits `b`) and `k` in [−127, 133] for
/// which |x| · 2^k < 2^128; where the exact product lies below 2^-126 (`f32`'s normal range) it
/// gives ±0 with x's sign. The MX element lanes use it: such a product is below half the
/// smallest subnormal of every MX element format, so that it rounds to ±0 whatever its
/// digits. Integer arithmetic only (no subnormal float operand or result: FTZ/DAZ-immune).
#[inline(always)]
pub(crate) fn mul_pow2_bits(b: u32, k: i32) -> u32 {
    let a = b & 0x7FFF_FFFF;
    // |x| as (exponent field << 23) + fraction, the exponent field ≤ 0 for an f32 subnormal
    // (normalised by the exact conversion of `a` < 2^23: a·2^-149 = 1.f · 2^(field − 276)).
    let n = sel(
        a < 0x0080_0000,
        (a as i32 as f32).to_bits().wrapping_sub(149 << 23),
        a,
    ) as i32;
    // The exponent field plus k; a normal result iff that is ≥ 1, i.e. r ≥ 2^23 (the fraction
    // stays below 2^23). No overflow for a non-zero `a` (field ≥ −22, |k| ≤ 133); zero, whose
    // field reads −149, may wrap, hence its own test.
    let r = n.wrapping_add(k.wrapping_shl(23));
    sel(r >= 0x0080_0000 && a != 0, r as u32, 0) | (b & 0x8000_0000)
}

/// ⌊log2 a⌋ and the 23 fraction bits of the finite positive magnitude `a` (`f32` bits).
#[inline(always)]
pub(crate) fn log2_fraction(a: u32) -> (i32, u32) {
    let (e, f) = exponent_fraction(a);
    (e - 127, f)
}

/// The MX shared exponent of a block from the bits `a` of its amax (`a` < 2^31, finite):
/// −127 for 0; by the floor rule ⌊log2 amax⌋ − emax, or by the round-up rule the smallest E
/// with amax ≤ max · 2^E — which is ⌊log2 amax⌋ − ⌊log2 max⌋, plus 1 where amax's fraction
/// exceeds max's (`max_log2`, `max_fraction`: [`log2_fraction`] of max); clamped to
/// [−127, 127]. Branch-free (a loop over a batch of blocks vectorises).
#[inline(always)]
pub(crate) fn mx_exponent(
    a: u32,
    round_up: bool,
    emax: i32,
    max_log2: i32,
    max_fraction: u32,
) -> i32 {
    let (l, f) = log2_fraction(a);
    let up = (l - max_log2).wrapping_add((f > max_fraction) as i32);
    let e = if round_up { up } else { l - emax };
    let e = e.clamp(-127, 127);
    sel(a == 0, -127i32 as u32, e as u32) as i32
}

/// 2^e as an `f32`, for e in [−149, 127] (the power of two that MX dequantization multiplies
/// by, as its scalar formula).
#[inline(always)]
pub(crate) fn pow2_f32(e: i32) -> f32 {
    if e >= -126 {
        f32::from_bits(((e + 127) as u32) << 23)
    } else {
        f32::from_bits(1 << (e + 149))
    }
}

/// The MXINT8 element code of x · 2^k (bits `b`, `k` = 6 − E: the quotient by the scale in
/// units of 2^-6): round half to even ([`crate::round::round_half_even_i32`]), clamped to
/// [−127, 127], as a two's complement byte.
#[inline(always)]
pub(crate) fn mx_int8_code(b: u32, k: i32) -> u32 {
    let v = f32::from_bits(mul_pow2_bits(b, k));
    let v = if v < -127.0 { -127.0 } else { v };
    let v = if v > 127.0 { 127.0 } else { v };
    crate::round::round_half_even_i32(v) as u32 & 0xFF
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference_mul_pow2(x: f32, k: i32) -> f32 {
        let v = x as f64 * 2f64.powi(k);
        if v.abs() < f32::MIN_POSITIVE as f64 {
            if x.is_sign_negative() {
                -0.0
            } else {
                0.0
            }
        } else {
            v as f32
        }
    }

    /// x · 2^k is exact, and ±0 below 2^-126, for normal, subnormal and zero inputs.
    #[test]
    fn mul_pow2_is_exact() {
        let mut s = 0x1234_5678u32;
        for i in 0..200_000u32 {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let b = match i % 8 {
                0 | 4 => s & 0x807F_FFFF, // subnormals
                1 => s & 0x8000_0000,     // zeros
                _ => s,
            };
            let x = f32::from_bits(b);
            if !x.is_finite() {
                continue;
            }
            let k = (i % 261) as i32 - 127;
            if (x.abs() as f64) * 2f64.powi(k) >= 2f64.powi(128) {
                continue;
            }
            let want = reference_mul_pow2(x, k);
            assert_eq!(mul_pow2_bits(b, k), want.to_bits(), "{x:e} · 2^{k}");
        }
    }

    /// On the [`grid_lane`] formats the grid lane is the round trip through the codes, on
    /// every code's value, its neighbours, the midpoints between adjacent codes and their
    /// neighbours (both signs), zeros, `f32` subnormals, ±∞, and random bits (not NaN, which
    /// the lane leaves to the exact path).
    fn grid_is_round_trip<F: Format>() {
        assert!(grid_lane::<F>(), "{}", F::NAME);
        let want = |b: u32| decode_lane::<F>(encode_quotient::<F>(f32::from_bits(b)));
        let check = |b: u32| {
            if b & 0x7FFF_FFFF > 0x7F80_0000 {
                return;
            }
            let got = grid_round::<F>(f32::from_bits(b)).to_bits();
            assert_eq!(got, want(b), "{} {b:#x}", F::NAME);
        };
        let codes = 1u32 << F::SPEC.bits;
        let mut values: Vec<u32> = (0..codes)
            .map(|c| decode_lane::<F>(c << F::SPEC.storage_shift) & 0x7FFF_FFFF)
            .filter(|&a| a < 0x7F80_0000)
            .collect();
        values.sort_unstable();
        values.dedup();
        let mut points = Vec::new();
        for w in values.windows(2) {
            let mid = ((f32::from_bits(w[0]) as f64 + f32::from_bits(w[1]) as f64) / 2.0) as f32;
            points.extend([w[0], mid.to_bits()]);
        }
        points.push(*values.last().unwrap());
        for p in points {
            for d in [-2i32, -1, 0, 1, 2] {
                let a = (p as i32).wrapping_add(d) as u32;
                if a < 0x7F80_0000 {
                    check(a);
                    check(a | 0x8000_0000);
                }
            }
        }
        for b in (0..0x0080_0000u32).step_by(997) {
            check(b);
            check(b | 0x8000_0000);
        }
        check(0x007F_FFFF);
        check(0x807F_FFFF);
        check(0x0080_0000);
        check(0x8080_0000);
        check(0x7F80_0000);
        check(0xFF80_0000);
        check(0x7F7F_FFFF);
        let mut s = 0x2545_F491u32;
        for _ in 0..300_000 {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            check(s);
        }
    }

    #[test]
    fn grid_round_is_the_round_trip() {
        use crate::{
            F4E2M1FN, F6E2M3FN, F6E3M2FN, F8E3M4, F8E4M3, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ,
            F8E8M0FNU,
        };
        grid_is_round_trip::<F8E4M3FN>();
        grid_is_round_trip::<F8E5M2>();
        grid_is_round_trip::<F8E4M3>();
        grid_is_round_trip::<F8E3M4>();
        grid_is_round_trip::<F6E2M3FN>();
        grid_is_round_trip::<F6E3M2FN>();
        grid_is_round_trip::<F4E2M1FN>();
        grid_is_round_trip::<crate::F16>();
        assert!(!grid_lane::<F8E4M3FNUZ>());
        assert!(!grid_lane::<F8E5M2FNUZ>());
        assert!(!grid_lane::<F8E8M0FNU>());
        assert!(!grid_lane::<crate::BF16>());
        assert!(!grid_lane::<f32>());
    }

    /// The branch-free shared exponent is `mx_shared_exponent`, for both rules.
    #[test]
    fn mx_exponent_is_the_rules() {
        use crate::quant::{mx_shared_exponent, MxFormat, MxScaleRule};
        let mut s = 0x9E37_79B9u32;
        for f in MxFormat::ALL {
            let (ml, mf) = log2_fraction(f.max().to_bits());
            for i in 0..50_000u32 {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let a = match i % 5 {
                    0 => s & 0x007F_FFFF,
                    1 => (f.max().to_bits() as i32 + (s % 5) as i32 - 2) as u32,
                    2 => f.max().to_bits() + ((s % 250) << 23) - (125 << 23),
                    _ => s & 0x7FFF_FFFF,
                };
                if a >= 0x7F80_0000 {
                    continue;
                }
                for (rule, up) in [(MxScaleRule::Floor, false), (MxScaleRule::RoundUp, true)] {
                    let want = mx_shared_exponent(f32::from_bits(a), f, rule).unwrap();
                    assert_eq!(
                        mx_exponent(a, up, f.emax(), ml, mf),
                        want,
                        "{f:?} {a:#x} {rule:?}"
                    );
                }
            }
        }
    }
}
