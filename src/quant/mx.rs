//! Block-scaled formats: OCP Microscaling (MX v1.0) and NVIDIA's NVFP4.
//!
//! **MX.** A block of 32 values (consecutive, or along an axis) shares one E8M0 scale 2^E:
//! - [`MxScaleRule::Floor`] (the OCP rule, the default): E = ⌊log2 amax⌋ − emax_elem, where
//!   ⌊log2 amax⌋ is read from amax's exponent bits (a float `log2` is wrong just below powers of
//!   two) and emax_elem is the exponent of the element format's largest binade: 8 (E4M3),
//!   15 (E5M2), 2 (E2M3), 4 (E3M2), 2 (E2M1), 0 (INT8).
//! - [`MxScaleRule::RoundUp`] (cuDNN, Transformer Engine MXFP8): E = ⌈log2(amax / max_elem)⌉,
//!   computed exactly (the smallest E with amax ≤ max_elem · 2^E), so that nothing saturates.
//!
//! E is clamped to [−127, 127]. An all-zero block gets 2^-127 (code `0x00`); a block holding a
//! NaN or ±∞ gets the NaN scale `0xFF`, element codes 0, and dequantizes to NaN throughout.
//! Elements are Saturate(NearestEven(v / 2^E)) computed exactly (no intermediate rounding),
//! keeping the sign of zero where the element format has −0. MXINT8 elements are `i8` in
//! [−127, 127] worth q · 2^-6. Dequantization is decode(element) · 2^E, one `f32` rounding;
//! where that value lies beyond `f32`'s range (possible at E = 127: the round-up rule clamps E
//! there, and an element may round up to 2^128 or more) it gives ±`f32::MAX`, never ±∞ from a
//! finite element — so a finite input never fake-quantizes to ∞.
//! Bit-exact with gfloat (Graphcore's reference) given the exact amax — tested on 306 blocks —
//! except that gfloat lets MXINT8 reach −128; microxcaling and lowp keep [−127, 127].
//!
//! Storage: one scale byte per block; element codes one per byte for the 8-bit formats, packed
//! for FP6 (four per three bytes) and FP4 (two per byte), element 0 in the lowest bits — the
//! layout of [`crate::packing`].
//!
//! **NVFP4.** Blocks of 16 FP4 (E2M1) values with an E4M3FN block scale and an `f32` tensor
//! scale: tensor_scale = amax / (448 · 6) ([`nvfp4_tensor_scale`]); block scale =
//! E4M3FN(Saturate(NearestEven((block_amax / 6) / tensor_scale))); s = decode(block scale) ·
//! tensor_scale; element = E2M1(Saturate(NearestEven(v / s))) (±0 where s is 0); dequantized
//! value = decode(element) · s. Every step is one `f32` operation; the two products saturate at
//! ±`f32::MAX` instead of overflowing to ±∞. The tensor amax is over the finite values.

use super::alloc::vec;
use super::{check_len, check_scale, fabs, mul_saturating, Plan};
use crate::formats::{F4E2M1FN, F6E2M3FN, F6E3M2FN, F8E4M3FN, F8E5M2, F8E8M0FNU};
use crate::{Error, Format, Overflow, Rounding, Spec};

/// The OCP MX block size.
pub const MX_BLOCK: usize = 32;
/// The NVFP4 block size.
pub const NVFP4_BLOCK: usize = 16;

/// An MX element format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MxFormat {
    /// MXFP8 with E4M3FN elements (max 448, emax 8).
    E4M3,
    /// MXFP8 with E5M2 elements (max 57344, emax 15).
    E5M2,
    /// MXFP6 with E2M3FN elements (max 7.5, emax 2).
    E2M3,
    /// MXFP6 with E3M2FN elements (max 28, emax 4).
    E3M2,
    /// MXFP4 with E2M1FN elements (max 6, emax 2).
    E2M1,
    /// MXINT8: `i8` elements in [−127, 127] worth q · 2^-6 (max 127/64, emax 0).
    Int8,
}

impl MxFormat {
    /// Every MX format.
    pub const ALL: [MxFormat; 6] = [
        MxFormat::E4M3,
        MxFormat::E5M2,
        MxFormat::E2M3,
        MxFormat::E3M2,
        MxFormat::E2M1,
        MxFormat::Int8,
    ];

    /// The OCP name, e.g. `"MXFP8 (E4M3)"`.
    pub const fn name(self) -> &'static str {
        // [table] From the formats table's `mx(…)` column, as `element_spec`.
        match self {
            MxFormat::Int8 => "MXINT8",
            f => crate::formats::MX_ELEMENTS[f as usize].name,
        }
    }

    /// The element format's row of the formats table (`None` for MXINT8, whose elements are
    /// integers): emax, max and the element width all come from it.
    pub const fn element_spec(self) -> Option<Spec> {
        // [table] The element rows are the formats table's `mx(…)` column, in the order of
        // `ALL` (checked by the table's test in src/formats/mod.rs).
        match self {
            MxFormat::Int8 => None,
            f => Some(crate::formats::MX_ELEMENTS[f as usize].spec),
        }
    }

    /// emax_elem: the exponent of the element format's largest binade (0 for MXINT8, whose
    /// largest value 127/64 lies in [1, 2)).
    pub const fn emax(self) -> i32 {
        match self.element_spec() {
            Some(spec) => spec.max_exponent(),
            None => 0,
        }
    }

    /// Bits per element in packed storage.
    pub const fn element_bits(self) -> u32 {
        match self.element_spec() {
            Some(spec) => spec.bits,
            None => 8,
        }
    }

    /// The largest element value.
    pub fn max(self) -> f32 {
        match self.element_spec() {
            Some(spec) => f32::from_bits(crate::round::decode_to_f32_bits(&spec, spec.max_code())),
            None => 127.0 / 64.0,
        }
    }

    /// The element code of the exact value `t` (already divided by the scale).
    fn encode(self, t: f64) -> u8 {
        fn e<F: Format>(t: f64) -> u8 {
            F::from_f64_with(t, Rounding::NearestEven, Overflow::Saturate).to_bits_u32() as u8
        }
        match self {
            MxFormat::E4M3 => e::<F8E4M3FN>(t),
            MxFormat::E5M2 => e::<F8E5M2>(t),
            MxFormat::E2M3 => e::<F6E2M3FN>(t),
            MxFormat::E3M2 => e::<F6E3M2FN>(t),
            MxFormat::E2M1 => e::<F4E2M1FN>(t),
            MxFormat::Int8 => {
                let v = (t * 64.0).clamp(-127.0, 127.0);
                // [table] The crate's one round-half-even (a NaN gives code 0, as `as` does).
                crate::round::round_half_even_f64(v) as i8 as u8
            }
        }
    }

    /// The value of the element code `c` (without the scale).
    fn decode(self, c: u8) -> f32 {
        match self {
            MxFormat::E4M3 => F8E4M3FN::from_bits(c).to_f32(),
            MxFormat::E5M2 => F8E5M2::from_bits(c).to_f32(),
            MxFormat::E2M3 => F6E2M3FN::from_bits(c).to_f32(),
            MxFormat::E3M2 => F6E3M2FN::from_bits(c).to_f32(),
            MxFormat::E2M1 => F4E2M1FN::from_bits(c).to_f32(),
            MxFormat::Int8 => c as i8 as f32 / 64.0,
        }
    }
}

/// How the shared MX scale is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum MxScaleRule {
    /// OCP MX v1.0: 2^(⌊log2 amax⌋ − emax_elem); the largest elements may saturate.
    #[default]
    Floor,
    /// cuDNN / Transformer Engine MXFP8: 2^⌈log2(amax / max_elem)⌉ (exact), never saturating
    /// (except where E is clamped at 127: amax above max_elem · 2^127).
    RoundUp,
}

/// Options of the MX `_with` functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MxOptions {
    /// The scale rule.
    pub rule: MxScaleRule,
    /// Elements per block (32 in OCP MX v1.0).
    pub block_size: usize,
}

impl Default for MxOptions {
    /// [`MxScaleRule::Floor`], blocks of 32.
    fn default() -> Self {
        MxOptions {
            rule: MxScaleRule::Floor,
            block_size: MX_BLOCK,
        }
    }
}

/// ⌊log2 a⌋ of a finite positive `f32`, from its bits (subnormals included).
pub(crate) fn floor_log2(a: f32) -> i32 {
    let b = a.to_bits() & 0x7FFF_FFFF;
    let field = (b >> 23) as i32;
    if field == 0 {
        -149 + (31 - b.leading_zeros() as i32)
    } else {
        field - 127
    }
}

/// 2^e as an `f64` (|e| ≤ 1000).
fn pow2_f64(e: i32) -> f64 {
    f64::from_bits(((1023 + e) as u64) << 52)
}

/// 2^e as an `f32`, for e in [−149, 127].
fn pow2_f32(e: i32) -> f32 {
    if e >= -126 {
        f32::from_bits(((e + 127) as u32) << 23)
    } else {
        f32::from_bits(1 << (e + 149))
    }
}

/// The shared exponent E (scale 2^E) of a block whose largest magnitude is `amax`: `None`
/// where amax is NaN or infinite (the NaN scale); −127 for amax 0; otherwise by the rule,
/// clamped to [−127, 127].
///
/// ```
/// use lowp::quant::{mx_shared_exponent, MxFormat, MxScaleRule::*};
/// assert_eq!(mx_shared_exponent(448.0, MxFormat::E4M3, Floor), Some(0));
/// assert_eq!(mx_shared_exponent(511.99997, MxFormat::E4M3, Floor), Some(0)); // just below 2^9
/// assert_eq!(mx_shared_exponent(449.0, MxFormat::E4M3, RoundUp), Some(1));
/// assert_eq!(mx_shared_exponent(0.0, MxFormat::E2M1, Floor), Some(-127));
/// assert_eq!(mx_shared_exponent(f32::NAN, MxFormat::E2M1, Floor), None);
/// ```
pub fn mx_shared_exponent(amax: f32, format: MxFormat, rule: MxScaleRule) -> Option<i32> {
    let amax = fabs(amax);
    if !amax.is_finite() {
        return None;
    }
    if crate::fenv::is_zero(amax) {
        return Some(-127);
    }
    let e = match rule {
        MxScaleRule::Floor => floor_log2(amax) - format.emax(),
        MxScaleRule::RoundUp => {
            let max = format.max() as f64;
            let a = crate::fenv::widen(amax);
            let mut e = floor_log2(amax) - floor_log2(format.max());
            while max * pow2_f64(e) < a {
                e += 1;
            }
            while max * pow2_f64(e - 1) >= a {
                e -= 1;
            }
            e
        }
    };
    Some(e.clamp(-127, 127))
}

/// Bytes that `n` element codes of `format` take in packed storage: n for the 8-bit formats,
/// ⌈6n / 8⌉ for FP6, ⌈n / 2⌉ for FP4 — computed without overflow for every `n`.
///
/// ```
/// use lowp::quant::{mx_element_bytes, MxFormat};
/// assert_eq!(mx_element_bytes(MxFormat::E3M2, 33), 25);
/// assert_eq!(mx_element_bytes(MxFormat::E2M1, usize::MAX), usize::MAX / 2 + 1);
/// ```
pub const fn mx_element_bytes(format: MxFormat, n: usize) -> usize {
    crate::packing::bits_to_bytes(n, format.element_bits())
}

/// Scales (blocks) for `n` consecutive elements in blocks of `block_size`: ⌈n / block_size⌉
/// (0 for a block size of 0).
pub const fn mx_scale_count(n: usize, block_size: usize) -> usize {
    if block_size == 0 {
        0
    } else {
        n.div_ceil(block_size)
    }
}

/// The largest |x| of one block (`count` elements from `start`, `stride` apart), or `None` if
/// the block holds a NaN or an infinity.
fn group_amax(x: &[f32], start: usize, stride: usize, count: usize) -> Option<f32> {
    let mut m = 0.0f32;
    let mut bad = false;
    for t in 0..count {
        let v = x[start + t * stride];
        bad |= !v.is_finite();
        let a = fabs(v);
        m = if crate::fenv::abs_gt(a, m) { a } else { m };
    }
    if bad {
        None
    } else {
        Some(m)
    }
}

/// Pack codes of `width` bits (8, 6 or 4) into `dst`, little-endian bit order.
fn pack_codes(codes: &[u8], width: u32, dst: &mut [u8]) {
    if width == 8 {
        dst.copy_from_slice(codes);
    } else {
        crate::packing::pack_bits(codes.iter().map(|&c| c as u32), width, dst);
    }
}

/// The code of element `i` from packed storage.
#[inline]
fn code_at(src: &[u8], width: u32, i: usize) -> u8 {
    match width {
        8 => src[i],
        4 => (src[i / 2] >> (4 * (i % 2))) & 15,
        _ => {
            let bit = i * width as usize;
            let (byte, shift) = (bit / 8, bit % 8);
            let lo = src[byte] as u32;
            let hi = src.get(byte + 1).copied().unwrap_or(0) as u32;
            (((lo | (hi << 8)) >> shift) & ((1 << width) - 1)) as u8
        }
    }
}

/// Run the MX quantizer over a plan: `f(param, E or None, element index, code)`.
fn mx_core(
    plan: &Plan,
    x: &[f32],
    format: MxFormat,
    rule: MxScaleRule,
    mut scale: impl FnMut(usize, Option<i32>),
    mut element: impl FnMut(usize, Option<i32>, u8),
) {
    plan.for_each_group(|param, start, stride, count| {
        let e =
            group_amax(x, start, stride, count).and_then(|m| mx_shared_exponent(m, format, rule));
        scale(param, e);
        for t in 0..count {
            let i = start + t * stride;
            let code = match e {
                None => 0,
                Some(e) => format.encode(crate::fenv::widen(x[i]) * pow2_f64(-e)),
            };
            element(i, e, code);
        }
    });
}

fn mx_plan_check(
    plan: &Plan,
    format: MxFormat,
    scales: usize,
    elements: usize,
) -> Result<(), Error> {
    plan.check_params(scales)?;
    check_len(mx_element_bytes(format, plan.len), elements)
}

fn scale_code(e: Option<i32>) -> F8E8M0FNU {
    F8E8M0FNU::from_bits(match e {
        Some(e) => (e + 127) as u8,
        None => 0xFF,
    })
}

fn mx_quantize_plan(
    plan: &Plan,
    x: &[f32],
    format: MxFormat,
    rule: MxScaleRule,
    scales: &mut [F8E8M0FNU],
    elements: &mut [u8],
) -> Result<(), Error> {
    mx_plan_check(plan, format, scales.len(), elements.len())?;
    if super::fast::enabled() && super::fast::mx_quantize(plan, x, format, rule, scales, elements) {
        return Ok(());
    }
    let mut codes = vec![0u8; x.len()];
    mx_core(
        plan,
        x,
        format,
        rule,
        |p, e| scales[p] = scale_code(e),
        |i, _, c| codes[i] = c,
    );
    pack_codes(&codes, format.element_bits(), elements);
    Ok(())
}

fn mx_dequantize_plan(
    plan: &Plan,
    format: MxFormat,
    scales: &[F8E8M0FNU],
    elements: &[u8],
    out: &mut [f32],
) -> Result<(), Error> {
    mx_plan_check(plan, format, scales.len(), elements.len())?;
    let w = format.element_bits();
    plan.for_each_group(|param, start, stride, count| {
        let s = scales[param].to_bits();
        for t in 0..count {
            let i = start + t * stride;
            out[i] = if s == 0xFF {
                f32::NAN
            } else {
                mx_value(format, code_at(elements, w, i), s as i32 - 127)
            };
        }
    });
    Ok(())
}

/// decode(code) · 2^e, one rounding; a finite element whose value is beyond `f32`'s range
/// gives ±`f32::MAX` (see [`super::mul_saturating`]).
fn mx_value(format: MxFormat, code: u8, e: i32) -> f32 {
    match format {
        MxFormat::Int8 => mul_saturating(code as i8 as f32, pow2_f32(e - 6)),
        _ => mul_saturating(format.decode(code), pow2_f32(e)),
    }
}

/// MX quantization of consecutive elements in blocks of 32 (the last block may be shorter),
/// with the OCP floor rule: one E8M0 scale per block into `scales` (⌈n / 32⌉ of them) and the
/// element codes into `elements` ([`mx_element_bytes`] bytes: packed for FP6/FP4, two's
/// complement bytes for MXINT8).
///
/// A block holding a NaN or ±∞ gets the NaN scale `0xFF` and element codes 0; an all-zero block
/// gets 2^-127. Elements that exceed the element format's range saturate. Errors (nothing
/// written): wrong scale count or element byte count.
///
/// ```
/// use lowp::quant::{mx_quantize, MxFormat};
/// use lowp::F8E8M0FNU;
/// let x = [1.0f32, -0.5, 6.0, 0.25];
/// let mut s = [F8E8M0FNU::from_bits(0); 1];
/// let mut e = [0u8; 2];
/// mx_quantize(&x, MxFormat::E2M1, &mut s, &mut e)?;
/// assert_eq!(s[0].to_bits(), 127);             // 2^(⌊log2 6⌋ − 2) = 2^0
/// assert_eq!(e, [0x92, 0x07]); // 1 = 0x2, −0.5 = 0x9, 6 = 0x7, 0.25 (a tie) → 0
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn mx_quantize(
    x: &[f32],
    format: MxFormat,
    scales: &mut [F8E8M0FNU],
    elements: &mut [u8],
) -> Result<(), Error> {
    mx_quantize_with(x, format, MxOptions::default(), scales, elements)
}

/// [`mx_quantize`] with a choice of scale rule and block size.
pub fn mx_quantize_with(
    x: &[f32],
    format: MxFormat,
    options: MxOptions,
    scales: &mut [F8E8M0FNU],
    elements: &mut [u8],
) -> Result<(), Error> {
    let plan = Plan::new(x.len(), &[x.len()], 0, Some(options.block_size))?;
    mx_quantize_plan(&plan, x, format, options.rule, scales, elements)
}

/// MX quantization in blocks along `axis` of the row-major tensor `shape`: the scales have the
/// shape with that axis made ⌈D / block_size⌉ (the ONNX blocked layout); the element codes keep
/// the input's order.
pub fn mx_quantize_axis(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    format: MxFormat,
    options: MxOptions,
    scales: &mut [F8E8M0FNU],
    elements: &mut [u8],
) -> Result<(), Error> {
    let plan = Plan::new(x.len(), shape, axis, Some(options.block_size))?;
    mx_quantize_plan(&plan, x, format, options.rule, scales, elements)
}

/// MX dequantization of consecutive blocks of 32: decode(element) · 2^E (one `f32` rounding);
/// NaN for every element of a block whose scale is `0xFF`. `out.len()` sets the element count.
///
/// ```
/// use lowp::quant::{mx_dequantize, MxFormat};
/// use lowp::F8E8M0FNU;
/// let mut y = [0f32; 2];
/// mx_dequantize(MxFormat::Int8, &[F8E8M0FNU::from_bits(128)], &[64, 0x81], &mut y)?;
/// assert_eq!(y, [2.0, -3.96875]); // 64·2^-6·2, −127·2^-6·2
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn mx_dequantize(
    format: MxFormat,
    scales: &[F8E8M0FNU],
    elements: &[u8],
    out: &mut [f32],
) -> Result<(), Error> {
    mx_dequantize_with(format, MxOptions::default(), scales, elements, out)
}

/// [`mx_dequantize`] with a block size (the rule is not needed).
pub fn mx_dequantize_with(
    format: MxFormat,
    options: MxOptions,
    scales: &[F8E8M0FNU],
    elements: &[u8],
    out: &mut [f32],
) -> Result<(), Error> {
    let n = out.len();
    let plan = Plan::new(n, &[n], 0, Some(options.block_size))?;
    mx_dequantize_plan(&plan, format, scales, elements, out)
}

/// MX dequantization in blocks along `axis` (the layout of [`mx_quantize_axis`]).
pub fn mx_dequantize_axis(
    shape: &[usize],
    axis: usize,
    format: MxFormat,
    options: MxOptions,
    scales: &[F8E8M0FNU],
    elements: &[u8],
    out: &mut [f32],
) -> Result<(), Error> {
    let plan = Plan::new(out.len(), shape, axis, Some(options.block_size))?;
    mx_dequantize_plan(&plan, format, scales, elements, out)
}

/// OCP MX round trip: blocks of 32 consecutive elements (the last may be shorter), E8M0 scale
/// by the floor rule, elements NearestEven + saturate; writes the dequantized values.
///
/// A block holding a NaN or ±∞ becomes all NaN; an all-zero block stays zero (signs kept);
/// elements beyond the element range saturate to ±max · 2^E. Errors: `out.len() != x.len()`.
///
/// ```
/// use lowp::quant::{mx_fake_quantize, MxFormat};
/// let x = [1.0f32, 0.3, -7.0, 0.0];
/// let mut y = [0f32; 4];
/// mx_fake_quantize(&x, MxFormat::E2M1, &mut y)?; // scale 2^(2 − 2) = 1
/// assert_eq!(y, [1.0, 0.5, -6.0, 0.0]);          // 0.3 → 0.5; −7 saturates to −6
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn mx_fake_quantize(x: &[f32], format: MxFormat, out: &mut [f32]) -> Result<(), Error> {
    mx_fake_quantize_with(x, format, MxOptions::default(), out)
}

/// [`mx_fake_quantize`] with a choice of scale rule and block size.
pub fn mx_fake_quantize_with(
    x: &[f32],
    format: MxFormat,
    options: MxOptions,
    out: &mut [f32],
) -> Result<(), Error> {
    mx_fake_quantize_axis(x, &[x.len()], 0, format, options, out)
}

/// MX round trip in blocks along `axis` of the row-major tensor `shape`.
pub fn mx_fake_quantize_axis(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    format: MxFormat,
    options: MxOptions,
    out: &mut [f32],
) -> Result<(), Error> {
    let plan = Plan::new(x.len(), shape, axis, Some(options.block_size))?;
    check_len(x.len(), out.len())?;
    if super::fast::enabled() && super::fast::mx_fake(&plan, x, format, options.rule, out) {
        return Ok(());
    }
    mx_core(
        &plan,
        x,
        format,
        options.rule,
        |_, _| {},
        |i, e, c| {
            out[i] = match e {
                None => f32::NAN,
                Some(e) => mx_value(format, c, e),
            }
        },
    );
    Ok(())
}

/// The NVFP4 tensor scale: amax / (448 · 6) in `f32`, amax over the *finite* values (NaN and
/// ±∞ are skipped: the blocks that hold them become NaN blocks whatever the scale), so that the
/// largest block scale is E4M3FN's 448. 1 where there is no finite non-zero value; 2^-149 (the
/// smallest positive `f32`) where the quotient underflows.
///
/// ```
/// assert_eq!(lowp::quant::nvfp4_tensor_scale(&[-2688.0, 1.0]), 1.0);
/// assert_eq!(lowp::quant::nvfp4_tensor_scale(&[5376.0, f32::INFINITY, f32::NAN]), 2.0);
/// ```
pub fn nvfp4_tensor_scale(x: &[f32]) -> f32 {
    let m = if super::fast::enabled() {
        super::fast::finite_amax(x)
    } else {
        let mut m = 0.0f32;
        for &v in x {
            // Non-negative finite floats order as their bits (DAZ cannot make a subnormal 0).
            let a = fabs(v);
            if a.is_finite() && a.to_bits() > m.to_bits() {
                m = a;
            }
        }
        m
    };
    nvfp4_tensor_scale_of_amax(m)
}

/// The NVFP4 tensor scale from the largest finite |x| `m` (see [`nvfp4_tensor_scale`]).
pub(crate) fn nvfp4_tensor_scale_of_amax(m: f32) -> f32 {
    if crate::fenv::is_zero(m) {
        return 1.0;
    }
    let s = crate::fenv::div(m, 2688.0);
    if crate::fenv::is_zero(s) {
        f32::from_bits(1)
    } else {
        s
    }
}

/// NVFP4 quantization of consecutive elements in blocks of 16 (the last may be shorter): one
/// E4M3FN scale per block into `block_scales` (⌈n / 16⌉) and FP4 codes packed two per byte into
/// `packed` (⌈n / 2⌉ bytes). See the module docs for the formulas.
///
/// A block holding a NaN or ±∞ gets the NaN scale `0x7F` and codes 0. Errors (nothing
/// written): invalid tensor scale, wrong scale count or byte count.
///
/// ```
/// use lowp::quant::nvfp4_quantize;
/// use lowp::F8E4M3FN;
/// let x = [6.0f32, -3.0, 0.4, 0.0];
/// let mut bs = [F8E4M3FN::ZERO; 1];
/// let mut p = [0u8; 2];
/// nvfp4_quantize(&x, 1.0, &mut bs, &mut p)?;
/// assert_eq!(bs[0].to_f32(), 1.0);  // block amax 6 / 6 / 1
/// assert_eq!(p, [0xD7, 0x01]);      // 6 = 0x7, −3 = 0xD, 0.4 → 0.5 = 0x1, 0 = 0x0
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn nvfp4_quantize(
    x: &[f32],
    tensor_scale: f32,
    block_scales: &mut [F8E4M3FN],
    packed: &mut [u8],
) -> Result<(), Error> {
    check_scale(tensor_scale)?;
    let plan = Plan::new(x.len(), &[x.len()], 0, Some(NVFP4_BLOCK))?;
    plan.check_params(block_scales.len())?;
    check_len(x.len().div_ceil(2), packed.len())?;
    if super::fast::enabled() {
        super::fast::nvfp4_quantize(x, tensor_scale, block_scales, packed);
        return Ok(());
    }
    let mut codes = vec![0u8; x.len()];
    nvfp4_core(
        &plan,
        x,
        tensor_scale,
        |b, s| block_scales[b] = s,
        |i, c, _| codes[i] = c,
    );
    pack_codes(&codes, 4, packed);
    Ok(())
}

fn nvfp4_core(
    plan: &Plan,
    x: &[f32],
    ts: f32,
    mut scale: impl FnMut(usize, F8E4M3FN),
    mut element: impl FnMut(usize, u8, f32),
) {
    plan.for_each_group(|param, start, stride, count| {
        let amax = group_amax(x, start, stride, count);
        let bad = amax.is_none();
        let bs = match amax {
            None => F8E4M3FN::NAN,
            Some(m) => F8E4M3FN::from_f32_with(
                crate::fenv::div(crate::fenv::div(m, 6.0), ts),
                Rounding::NearestEven,
                Overflow::Saturate,
            ),
        };
        scale(param, bs);
        let s = mul_saturating(bs.to_f32(), ts);
        for t in 0..count {
            let i = start + t * stride;
            let v = x[i];
            let code = if bad {
                0
            } else if crate::fenv::is_zero(s) {
                ((v.to_bits() >> 31) as u8) << 3 // ±0
            } else {
                let q = crate::fenv::div(v, s);
                F4E2M1FN::from_f32_with(q, Rounding::NearestEven, Overflow::Saturate).to_bits()
            };
            element(i, code, s);
        }
    });
}

/// NVFP4 dequantization: decode(element) · (decode(block scale) · tensor_scale); NaN for every
/// element of a block whose scale is NaN. `out.len()` sets the element count.
pub fn nvfp4_dequantize(
    packed: &[u8],
    block_scales: &[F8E4M3FN],
    tensor_scale: f32,
    out: &mut [f32],
) -> Result<(), Error> {
    check_scale(tensor_scale)?;
    let n = out.len();
    let plan = Plan::new(n, &[n], 0, Some(NVFP4_BLOCK))?;
    plan.check_params(block_scales.len())?;
    check_len(n.div_ceil(2), packed.len())?;
    plan.for_each_group(|param, start, stride, count| {
        let s = mul_saturating(block_scales[param].to_f32(), tensor_scale);
        for t in 0..count {
            let i = start + t * stride;
            out[i] = mul_saturating(F4E2M1FN::from_bits(code_at(packed, 4, i)).to_f32(), s);
        }
    });
    Ok(())
}

/// NVFP4 round trip with the tensor scale from the data ([`nvfp4_tensor_scale`]); returns that
/// scale. A block holding a NaN or ±∞ becomes all NaN. Errors: `out.len() != x.len()`.
///
/// ```
/// use lowp::quant::nvfp4_fake_quantize;
/// let mut y = [0f32; 3];
/// let ts = nvfp4_fake_quantize(&[2688.0, 1000.0, -1.0], &mut y)?;
/// assert_eq!((ts, y), (1.0, [2688.0, 896.0, -0.0]));
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn nvfp4_fake_quantize(x: &[f32], out: &mut [f32]) -> Result<f32, Error> {
    check_len(x.len(), out.len())?;
    let plan = Plan::new(x.len(), &[x.len()], 0, Some(NVFP4_BLOCK))?;
    if super::fast::enabled() {
        return Ok(super::fast::nvfp4_fake_quantize(x, out));
    }
    let ts = nvfp4_tensor_scale(x);
    nvfp4_core(
        &plan,
        x,
        ts,
        |_, _| {},
        |i, c, s| out[i] = mul_saturating(F4E2M1FN::from_bits(c).to_f32(), s),
    );
    Ok(ts)
}
