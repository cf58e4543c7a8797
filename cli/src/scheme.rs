//! The quantization schemes, by llm-compressor's preset names, and the compressed-tensors
//! layout each one writes: which tensors replace a quantized `weight`, their dtypes and
//! shapes, and the row kernels that fill them (through `lowp::quant::producer`).

use anyhow::{bail, Result};
use lowp::quant::producer::{
    ct_amax, ct_mx_scale, ct_nvfp4_block_scale, ct_nvfp4_global_scale, ct_scale, CtElement,
    TorchDtype,
};
use lowp::{Overflow, Rounding, F4E2M1FN, F8E4M3FN};
use safetensors::tensor::Dtype;
use std::fmt;
use std::str::FromStr;

/// A quantization scheme (llm-compressor preset name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// FP8 E4M3FN weights, one scale per output channel; dynamic per-token FP8 activations.
    Fp8Dynamic,
    /// FP8 E4M3FN weights, one scale per 128×128 block; dynamic per-group-of-128 activations.
    Fp8Block,
    /// int8 weights, per channel, symmetric; dynamic per-token int8 activations.
    W8A8,
    /// int4 weights, groups of 128, symmetric, packed eight to an int32.
    W4A16,
    /// NVFP4 weights: FP4 E2M1, E4M3 scales per 16, an f32 global scale.
    Nvfp4A16,
    /// MXFP4 weights: FP4 E2M1, E8M0 scales per 32.
    Mxfp4A16,
    /// MXFP4 weights and dynamic MXFP4 activations.
    Mxfp4,
}

impl Scheme {
    /// Every scheme.
    pub const ALL: [Scheme; 7] = [
        Scheme::Fp8Dynamic,
        Scheme::Fp8Block,
        Scheme::W8A8,
        Scheme::W4A16,
        Scheme::Nvfp4A16,
        Scheme::Mxfp4A16,
        Scheme::Mxfp4,
    ];

    /// The preset name.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Fp8Dynamic => "FP8_DYNAMIC",
            Scheme::Fp8Block => "FP8_BLOCK",
            Scheme::W8A8 => "W8A8",
            Scheme::W4A16 => "W4A16",
            Scheme::Nvfp4A16 => "NVFP4A16",
            Scheme::Mxfp4A16 => "MXFP4A16",
            Scheme::Mxfp4 => "MXFP4",
        }
    }

    /// NVFP4 ("microscale" in llm-compressor 0.14, whose test is the `tensor_group`
    /// strategy: fused partners move to one shard and share a global scale; MXFP4 is not).
    pub fn is_microscale(self) -> bool {
        self == Scheme::Nvfp4A16
    }

    /// The global scale is shared across fused q/k/v and gate/up (NVFP4 only).
    pub fn has_global_scale(self) -> bool {
        self == Scheme::Nvfp4A16
    }

    /// Rows per block of rows that scales span (128 for FP8_BLOCK, else 1).
    pub fn row_block(self) -> usize {
        if self == Scheme::Fp8Block {
            128
        } else {
            1
        }
    }

    /// Columns per scale group (None: the whole row).
    pub fn group(self) -> Option<usize> {
        match self {
            Scheme::Fp8Dynamic | Scheme::W8A8 => None,
            Scheme::Fp8Block | Scheme::W4A16 => Some(128),
            Scheme::Nvfp4A16 => Some(16),
            Scheme::Mxfp4A16 | Scheme::Mxfp4 => Some(32),
        }
    }

    /// Checks that a `[rows, cols]` weight can be quantized (as llm-compressor's validation):
    /// groups must divide the columns; FP8_BLOCK pads instead.
    pub fn check_shape(self, shape: &[usize]) -> Result<()> {
        if shape.len() != 2 {
            bail!("expected a 2-D linear weight, got shape {shape:?}");
        }
        let cols = shape[1];
        if shape.contains(&0) {
            bail!("cannot quantize an empty weight of shape {shape:?}");
        }
        if let Some(g) = self.group() {
            if self != Scheme::Fp8Block && !cols.is_multiple_of(g) {
                bail!(
                    "{} needs the column count to be a multiple of its group size {g}, but the shape is {shape:?}",
                    self.name()
                );
            }
        }
        Ok(())
    }

    /// Bytes that a band of `rows` rows of `cols` columns of a `src` weight fills in the data
    /// tensor (`weight` or `weight_packed`) and in `weight_scale` (FP8_BLOCK: `rows` ≤ 128,
    /// one row of scales).
    pub fn band_bytes(self, src: Dtype, rows: usize, cols: usize) -> (usize, usize) {
        let es = src.bitsize() / 8;
        match self {
            Scheme::Fp8Dynamic | Scheme::W8A8 => (rows * cols, rows * es),
            Scheme::Fp8Block => (rows * cols, cols.div_ceil(128) * es),
            Scheme::W4A16 => (rows * cols / 2, rows * (cols / 128) * es),
            Scheme::Nvfp4A16 => (rows * cols / 2, rows * (cols / 16)),
            Scheme::Mxfp4A16 | Scheme::Mxfp4 => (rows * cols / 2, rows * (cols / 32)),
        }
    }

    /// The tensors that replace `<module>.weight` of shape `[rows, cols]` and dtype `src`:
    /// (suffix, dtype, shape).
    pub fn outputs(self, src: Dtype, rows: usize, cols: usize) -> Vec<(Part, Dtype, Vec<usize>)> {
        let cdiv = |a: usize, b: usize| a.div_ceil(b);
        match self {
            Scheme::Fp8Dynamic => vec![
                (Part::Weight, Dtype::F8_E4M3, vec![rows, cols]),
                (Part::Scale, src, vec![rows, 1]),
            ],
            Scheme::Fp8Block => vec![
                (Part::Weight, Dtype::F8_E4M3, vec![rows, cols]),
                (Part::Scale, src, vec![cdiv(rows, 128), cdiv(cols, 128)]),
            ],
            Scheme::W8A8 => vec![
                (Part::Weight, Dtype::I8, vec![rows, cols]),
                (Part::Scale, src, vec![rows, 1]),
            ],
            Scheme::W4A16 => vec![
                (Part::Packed, Dtype::I32, vec![rows, cdiv(cols * 4, 32)]),
                (Part::Scale, src, vec![rows, cols / 128]),
                (Part::Shape, Dtype::I64, vec![2]),
            ],
            Scheme::Nvfp4A16 => vec![
                (Part::Packed, Dtype::U8, vec![rows, cols / 2]),
                (Part::Scale, Dtype::F8_E4M3, vec![rows, cols / 16]),
                (Part::Global, Dtype::F32, vec![1]),
            ],
            Scheme::Mxfp4A16 | Scheme::Mxfp4 => vec![
                (Part::Packed, Dtype::U8, vec![rows, cols / 2]),
                (Part::Scale, Dtype::U8, vec![rows, cols / 32]),
            ],
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scheme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let u = s.to_ascii_uppercase();
        let u = if u == "INT8" { "W8A8".to_string() } else { u };
        Scheme::ALL
            .into_iter()
            .find(|x| x.name() == u)
            .ok_or_else(|| {
                format!(
                    "unknown scheme {s:?}; one of {}",
                    Scheme::ALL.map(Scheme::name).join(", ")
                )
            })
    }
}

/// One of the tensors a quantized weight becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    /// `weight` (FP8 or int8 codes).
    Weight,
    /// `weight_packed` (int4 in int32 words, or FP4 two per byte).
    Packed,
    /// `weight_scale`.
    Scale,
    /// `weight_shape` (int64 [rows, cols]).
    Shape,
    /// `weight_global_scale` (NVFP4).
    Global,
}

impl Part {
    /// The tensor name suffix.
    pub fn suffix(self) -> &'static str {
        match self {
            Part::Weight => "weight",
            Part::Packed => "weight_packed",
            Part::Scale => "weight_scale",
            Part::Shape => "weight_shape",
            Part::Global => "weight_global_scale",
        }
    }
}

/// The producer's arithmetic dtype for a source dtype.
pub fn torch_dtype(d: Dtype) -> Option<TorchDtype> {
    match d {
        Dtype::F32 => Some(TorchDtype::F32),
        Dtype::F16 => Some(TorchDtype::F16),
        Dtype::BF16 => Some(TorchDtype::BF16),
        _ => None,
    }
}

/// Writes `v` (exact in `d`: bf16, f16 or f32) little-endian into the first bytes of `dst`.
#[inline]
pub fn put_float(dst: &mut [u8], d: Dtype, v: f32) {
    match d {
        Dtype::BF16 => dst[..2].copy_from_slice(&half::bf16::from_f32(v).to_bits().to_le_bytes()),
        Dtype::F16 => dst[..2].copy_from_slice(&half::f16::from_f32(v).to_bits().to_le_bytes()),
        _ => dst[..4].copy_from_slice(&v.to_le_bytes()),
    }
}

/// Rows of source values for the fused quantizer: the checkpoint's own bytes (bf16, f16 or
/// f32, little-endian), or values already widened to `f32` (exact values of the source dtype).
#[derive(Clone, Copy)]
pub enum Rows<'a> {
    /// Raw little-endian bytes of this dtype.
    Raw(Dtype, &'a [u8]),
    /// Values as `f32`.
    F32(&'a [f32]),
}

impl Rows<'_> {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Rows::Raw(d, b) => b.len() / (d.bitsize() / 8),
            Rows::F32(x) => x.len(),
        }
    }

    /// Largest magnitude of values `i0..i1` as compressed-tensors' observer sees it
    /// ([`ct_amax`] of the widened values: the same integer maximum of the magnitude bits,
    /// taken on the source bits, since widening is exact and keeps their order); NaN where
    /// any is NaN.
    #[inline]
    pub fn amax(&self, i0: usize, i1: usize) -> f32 {
        match *self {
            Rows::F32(x) => ct_amax(&x[i0..i1]),
            Rows::Raw(Dtype::F32, b) => {
                let b = &b[4 * i0..4 * i1];
                let m = match bytemuck::try_cast_slice::<u8, u32>(b) {
                    // Aligned (mapped tensors nearly always are): a loop that vectorizes.
                    Ok(w) if cfg!(target_endian = "little") => {
                        w.iter().fold(0, |m, &v| m.max(v & 0x7FFF_FFFF))
                    }
                    _ => b.chunks_exact(4).fold(0, |m, c| {
                        m.max(u32::from_le_bytes([c[0], c[1], c[2], c[3]]) & 0x7FFF_FFFF)
                    }),
                };
                if m > 0x7F80_0000 {
                    f32::NAN
                } else {
                    f32::from_bits(m)
                }
            }
            Rows::Raw(d, b) => {
                let b = &b[2 * i0..2 * i1];
                let m = match bytemuck::try_cast_slice::<u8, u16>(b) {
                    Ok(h) if cfg!(target_endian = "little") => {
                        h.iter().fold(0, |m, &v| m.max(v & 0x7FFF))
                    }
                    _ => b
                        .chunks_exact(2)
                        .fold(0, |m, c| m.max(u16::from_le_bytes([c[0], c[1]]) & 0x7FFF)),
                };
                if d == Dtype::BF16 {
                    if m > 0x7F80 {
                        f32::NAN
                    } else {
                        f32::from_bits((m as u32) << 16)
                    }
                } else if m > 0x7C00 {
                    f32::NAN
                } else {
                    half::f16::from_bits(m).to_f32()
                }
            }
        }
    }

    /// Values `i0..i0 + out.len()` widened (exactly) to `f32`.
    #[inline]
    pub fn widen(&self, i0: usize, out: &mut [f32]) {
        let n = out.len();
        match *self {
            Rows::F32(x) => out.copy_from_slice(&x[i0..i0 + n]),
            Rows::Raw(d, b) => {
                let es = d.bitsize() / 8;
                let b = &b[es * i0..es * (i0 + n)];
                let le = cfg!(target_endian = "little");
                match d {
                    Dtype::BF16 => match bytemuck::try_cast_slice::<u8, u16>(b) {
                        Ok(h) if le => {
                            for (o, &v) in out.iter_mut().zip(h) {
                                *o = f32::from_bits((v as u32) << 16);
                            }
                        }
                        _ => {
                            for (o, c) in out.iter_mut().zip(b.chunks_exact(2)) {
                                *o =
                                    f32::from_bits((u16::from_le_bytes([c[0], c[1]]) as u32) << 16);
                            }
                        }
                    },
                    Dtype::F16 => match bytemuck::try_cast_slice::<u8, half::f16>(b) {
                        Ok(h) if le => half::slice::HalfFloatSliceExt::convert_to_f32_slice(h, out),
                        _ => {
                            for (o, c) in out.iter_mut().zip(b.chunks_exact(2)) {
                                *o =
                                    half::f16::from_bits(u16::from_le_bytes([c[0], c[1]])).to_f32();
                            }
                        }
                    },
                    _ => match bytemuck::try_cast_slice::<u8, f32>(b) {
                        Ok(h) if le => out.copy_from_slice(h),
                        _ => {
                            for (o, c) in out.iter_mut().zip(b.chunks_exact(4)) {
                                *o = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                            }
                        }
                    },
                }
            }
        }
    }
}

/// Defines `$name`, a function that calls `$inner` (an `#[inline(always)]` function of the
/// same parameters) compiled for AVX-512F, for AVX2, or for the baseline, whichever the CPU
/// runs: the `multiversion` crate generates the clones and the cached run-time selection. The
/// code is the same safe Rust in each, so the results are too; only the vector width differs.
macro_rules! multiversion {
    (fn $name:ident($($a:ident: $t:ty),*) $(-> $r:ty)? => $inner:ident) => {
        #[multiversion::multiversion(targets("x86_64+avx512f", "x86_64+avx2"))]
        fn $name($($a: $t),*) $(-> $r)? {
            $inner($($a),*)
        }
    };
}

/// Values staged per call of the batch encoders (the producer functions stage as many).
const STAGE: usize = 256;

/// compressed-tensors' FP8 elements, as [`lowp::quant::producer::ct_quantize_fp8`] computes them (E4M3FN of
/// clamp(round(x / scale), ±448), NaN kept; the same staging, then lowp's batch encoder), for
/// at most [`STAGE`] values. The staging loop is compiled for AVX2 as well and picked at run
/// time (the default x86-64 build vectorizes it four lanes wide; AVX2 takes eight); the unit
/// tests check it against `ct_quantize_fp8`.
fn quantize_fp8(x: &[f32], scale: f32, w: TorchDtype, out: &mut [F8E4M3FN]) {
    let mut y = [0f32; STAGE];
    let y = &mut y[..x.len()];
    fp8_stage_mv(x, scale, w, y);
    lowp::slice::encode_with(y, out, Rounding::NearestEven, Overflow::Saturate);
}

multiversion!(fn fp8_stage_mv(x: &[f32], scale: f32, w: TorchDtype, y: &mut [f32]) => fp8_stage);

/// y = round(x / scale) in the weight's dtype, clamped to ±448 (NaN kept): one loop per dtype.
#[inline(always)]
fn fp8_stage(x: &[f32], scale: f32, w: TorchDtype, y: &mut [f32]) {
    #[inline(always)]
    fn each(x: &[f32], scale: f32, y: &mut [f32], round: impl Fn(f32) -> f32) {
        for (o, &v) in y.iter_mut().zip(x) {
            let q = round(v / scale);
            *o = if q.is_nan() {
                q
            } else {
                q.clamp(-448.0, 448.0)
            };
        }
    }
    match w {
        TorchDtype::F32 => each(x, scale, y, |v| v),
        TorchDtype::BF16 => each(x, scale, y, |v| TorchDtype::BF16.round(v)),
        TorchDtype::F16 => each(x, scale, y, |v| TorchDtype::F16.round(v)),
    }
}

/// compressed-tensors' integer elements, as
/// [`lowp::quant::producer::ct_quantize_int`] computes them (q =
/// round_half_even(clamp(round(x / scale), lo, hi)), NaN → 0) in a loop per dtype that the
/// compiler vectorizes: after the clamp |y| ≤ 128, so the sum with 1.5 · 2^23 rounds it to
/// an integer that its bits hold exactly. The unit tests check it against
/// `ct_quantize_int` on every bf16 and f16 value.
#[inline(always)]
fn int_stage(x: &[f32], scale: f32, lo: f32, hi: f32, out: &mut [i8], round: impl Fn(f32) -> f32) {
    const M: f32 = 12_582_912.0;
    for (o, &v) in out.iter_mut().zip(x) {
        let y = round(v / scale);
        let y = if y.is_nan() { 0.0 } else { y.clamp(lo, hi) };
        // y + M rounds y to an integer n (the unit in the last place of M is 1), and its
        // bits are M's plus n: no float-to-int conversion, so the loop stays vectorized.
        *o = (y + M).to_bits().wrapping_sub(M.to_bits()) as i8;
    }
}

multiversion!(fn quantize_int(x: &[f32], scale: f32, element: CtElement, w: TorchDtype, out: &mut [i8]) => quantize_int_any);

/// [`int_stage`] for the weight's dtype and an int8 or int4 element (run as `quantize_int`,
/// compiled for the CPU's vector width).
#[inline(always)]
fn quantize_int_any(x: &[f32], scale: f32, element: CtElement, w: TorchDtype, out: &mut [i8]) {
    let (lo, hi) = element.range();
    match w {
        TorchDtype::F32 => int_stage(x, scale, lo, hi, out, |v| v),
        TorchDtype::BF16 => int_stage(x, scale, lo, hi, out, |v| TorchDtype::BF16.round(v)),
        TorchDtype::F16 => int_stage(x, scale, lo, hi, out, |v| TorchDtype::F16.round(v)),
    }
}

/// The FP4 schemes' pass over a band (whole groups of `G`), up to [`STAGE`] values at a time,
/// each step a loop over the whole stage that the compiler vectorizes: the values widened
/// into `buf`; each group's amax (as [`ct_amax`]); `scale(group index, amax)` stores the
/// group's scale and returns its divisor, spread over the group's values; the elements as
/// compressed-tensors computes them (y = round(x / divisor) in `round`'s dtype, ±0 and NaN →
/// +0, else clamped to ±6, as [`lowp::quant::producer::ct_quantize_fp4`]); then one call of
/// lowp's packed batch encoder. Returns false when a group's amax is not finite.
#[inline(always)]
fn fp4_band<const G: usize>(
    x: Rows<'_>,
    buf: &mut [f32; STAGE],
    data: &mut [u8],
    mut scale: impl FnMut(usize, f32) -> f32,
    round: impl Fn(f32) -> f32,
) -> bool {
    let mut finite = true;
    let mut stage = [0f32; STAGE];
    let mut div = [0f32; STAGE];
    let mut mag = [0u32; STAGE];
    let n = x.len();
    let mut i0 = 0;
    while i0 < n {
        let len = (n - i0).min(STAGE);
        let t = &mut buf[..len];
        x.widen(i0, t);
        for (m, v) in mag.iter_mut().zip(t.iter()) {
            *m = v.to_bits() & 0x7FFF_FFFF;
        }
        for (j, (ms, ds)) in mag[..len]
            .chunks_exact(G)
            .zip(div.chunks_exact_mut(G))
            .enumerate()
        {
            let m = ms.iter().fold(0u32, |a, &b| a.max(b));
            let a = if m > 0x7F80_0000 {
                f32::NAN
            } else {
                f32::from_bits(m)
            };
            finite &= a.is_finite();
            ds.fill(scale(i0 / G + j, a));
        }
        for ((y, &v), &d) in stage.iter_mut().zip(t.iter()).zip(div.iter()) {
            let q = round(v / d);
            *y = if q == 0.0 || q.is_nan() {
                0.0
            } else {
                q.clamp(-6.0, 6.0)
            };
        }
        lowp::slice::encode_packed_with::<F4E2M1FN>(
            &stage[..len],
            &mut data[i0 / 2..(i0 + len) / 2],
            Rounding::NearestEven,
            Overflow::Saturate,
        );
        i0 += len;
    }
    finite
}

/// NVFP4 over a band: E4M3 block scales per 16 ([`ct_nvfp4_block_scale`]), elements divided
/// in f32 by block / global (compressed-tensors upcasts before the division).
#[inline(always)]
fn nvfp4_band_any(
    x: Rows<'_>,
    buf: &mut [f32; STAGE],
    data: &mut [u8],
    scale: &mut [u8],
    global: f32,
    w: TorchDtype,
) -> bool {
    let block = |gi: usize, a: f32| {
        let bs = ct_nvfp4_block_scale(a, global, w);
        scale[gi] = bs.to_bits();
        bs.to_f32() / global
    };
    fp4_band::<16>(x, buf, data, block, |v| v)
}

multiversion!(fn nvfp4_band(x: Rows, buf: &mut [f32; STAGE], data: &mut [u8], scale: &mut [u8], global: f32, w: TorchDtype) -> bool => nvfp4_band_any);

/// MXFP4 over a band: E8M0 scales per 32 ([`ct_mx_scale`]), elements divided in the
/// weight's dtype.
#[inline(always)]
fn mx_band_any(
    x: Rows<'_>,
    buf: &mut [f32; STAGE],
    data: &mut [u8],
    scale: &mut [u8],
    w: TorchDtype,
) -> bool {
    let block = |gi: usize, a: f32| {
        let (code, s) = ct_mx_scale(a, w);
        scale[gi] = code;
        s
    };
    match w {
        TorchDtype::F32 => fp4_band::<32>(x, buf, data, block, |v| v),
        TorchDtype::BF16 => fp4_band::<32>(x, buf, data, block, |v| TorchDtype::BF16.round(v)),
        TorchDtype::F16 => fp4_band::<32>(x, buf, data, block, |v| TorchDtype::F16.round(v)),
    }
}

multiversion!(fn mx_band(x: Rows, buf: &mut [f32; STAGE], data: &mut [u8], scale: &mut [u8], w: TorchDtype) -> bool => mx_band_any);

/// FP8_BLOCK, first step: the scales of a band of up to 128 rows (one per 128 columns, the
/// last block possibly narrower), stored into `scale` and returned in `values`. Returns false
/// when the band holds a NaN or ±∞.
pub fn fp8_block_scales(
    src: Dtype,
    x: Rows<'_>,
    cols: usize,
    scale: &mut [u8],
    values: &mut [f32],
) -> bool {
    let w = torch_dtype(src).expect("checked source dtype");
    let es = src.bitsize() / 8;
    let rows = x.len() / cols;
    let mut finite = true;
    for (b, v) in values.iter_mut().enumerate() {
        let (c0, c1) = (b * 128, ((b + 1) * 128).min(cols));
        let mut m = 0f32;
        for r in 0..rows {
            let a = x.amax(r * cols + c0, r * cols + c1);
            m = if a > m || a.is_nan() { a } else { m };
        }
        finite &= m.is_finite();
        *v = ct_scale(m, CtElement::Fp8E4M3, w);
        put_float(&mut scale[b * es..], src, *v);
    }
    finite
}

/// FP8_BLOCK, second step: the codes of whole rows of a band (any of its rows) with the band's
/// scales from [`fp8_block_scales`], into `data` (one byte per value).
pub fn fp8_block_rows(w: TorchDtype, x: Rows<'_>, cols: usize, scales: &[f32], data: &mut [u8]) {
    let mut buf = [0f32; STAGE];
    for r in 0..x.len() / cols {
        for (b, &s) in scales.iter().enumerate() {
            let (i0, i1) = (r * cols + b * 128, r * cols + ((b + 1) * 128).min(cols));
            let t = &mut buf[..i1 - i0];
            x.widen(i0, t);
            quantize_fp8(t, s, w, bytemuck::cast_slice_mut(&mut data[i0..i1]));
        }
    }
}

/// The fused quantizer: one pass over a band of rows (`x`: whole rows of `cols` values; for
/// FP8_BLOCK up to 128 rows, for every other scheme any number of rows), filling the band's
/// part of the data tensor (`weight` or `weight_packed`) into `data` and of `weight_scale`
/// into `scale`, both exactly [`Scheme::band_bytes`] long. Values are widened a few hundred
/// at a time on the stack, so nothing is allocated. Each group's scale and elements follow
/// the compressed-tensors rules of [`lowp::quant::producer`]. `global` is the NVFP4 global
/// scale. Returns false (the outputs then hold garbage) when the band holds a NaN or ±∞.
#[allow(clippy::too_many_arguments)]
pub fn quantize_band_into(
    scheme: Scheme,
    src: Dtype,
    x: Rows<'_>,
    cols: usize,
    global: f32,
    data: &mut [u8],
    scale: &mut [u8],
) -> bool {
    let w = torch_dtype(src).expect("checked source dtype");
    let es = src.bitsize() / 8;
    let rows = x.len() / cols;
    let mut finite = true;
    let mut buf = [0f32; STAGE];
    match scheme {
        Scheme::Fp8Dynamic | Scheme::W8A8 => {
            let elem = if scheme == Scheme::W8A8 {
                CtElement::Int8
            } else {
                CtElement::Fp8E4M3
            };
            for r in 0..rows {
                let i0 = r * cols;
                let a = x.amax(i0, i0 + cols);
                finite &= a.is_finite();
                let s = ct_scale(a, elem, w);
                put_float(&mut scale[r * es..], src, s);
                let orow = &mut data[i0..i0 + cols];
                for (k, o) in orow.chunks_mut(STAGE).enumerate() {
                    let t = &mut buf[..o.len()];
                    x.widen(i0 + k * STAGE, t);
                    if scheme == Scheme::W8A8 {
                        quantize_int(t, s, CtElement::Int8, w, bytemuck::cast_slice_mut(o));
                    } else {
                        quantize_fp8(t, s, w, bytemuck::cast_slice_mut::<u8, F8E4M3FN>(o));
                    }
                }
            }
        }
        Scheme::Fp8Block => {
            let mut sv = vec![0f32; cols.div_ceil(128)];
            finite = fp8_block_scales(src, x, cols, scale, &mut sv);
            fp8_block_rows(w, x, cols, &sv, data);
        }
        Scheme::W4A16 => {
            let mut q = [0i8; 128];
            for (g, (o, sc)) in data
                .chunks_exact_mut(64)
                .zip(scale.chunks_exact_mut(es))
                .enumerate()
            {
                let i0 = g * 128;
                let a = x.amax(i0, i0 + 128);
                finite &= a.is_finite();
                let s = ct_scale(a, CtElement::Int4, w);
                put_float(sc, src, s);
                let t = &mut buf[..128];
                x.widen(i0, t);
                quantize_int(t, s, CtElement::Int4, w, &mut q);
                for (word, dst) in q.chunks_exact(8).zip(o.chunks_exact_mut(4)) {
                    let mut v = 0u32;
                    for (j, &e) in word.iter().enumerate() {
                        v |= (((e as i32 + 8) as u32) & 0xF) << (4 * j);
                    }
                    dst.copy_from_slice(&v.to_le_bytes());
                }
            }
        }
        Scheme::Nvfp4A16 => finite = nvfp4_band(x, &mut buf, data, scale, global, w),
        Scheme::Mxfp4A16 | Scheme::Mxfp4 => finite = mx_band(x, &mut buf, data, scale, w),
    }
    finite
}

/// Quantizes one band of rows (`x`: `band_rows × cols` values, row-major, exact values of the
/// source dtype) and appends the band's part of `part` (the data tensor or `weight_scale`)
/// to `out`, through [`quantize_band_into`]. Returns false when the band holds a NaN or ±∞.
pub fn quantize_band(
    scheme: Scheme,
    part: Part,
    src: Dtype,
    x: &[f32],
    cols: usize,
    global: f32,
    out: &mut Vec<u8>,
) -> bool {
    let (nd, ns) = scheme.band_bytes(src, x.len() / cols, cols);
    let (mut d, mut s) = (vec![0u8; nd], vec![0u8; ns]);
    let ok = quantize_band_into(scheme, src, Rows::F32(x), cols, global, &mut d, &mut s);
    out.extend_from_slice(if part == Part::Scale { &s } else { &d });
    ok
}

/// The NVFP4 global scale of a set of weights whose largest magnitude is `amax`.
pub fn global_scale(amax: f32, src: Dtype) -> f32 {
    ct_nvfp4_global_scale(amax, torch_dtype(src).expect("checked source dtype"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lowp::quant::producer::{ct_quantize_fp4, ct_quantize_fp8, ct_quantize_int};

    /// The per-part computation as written before the fused quantizer, straight from the
    /// producer functions: the reference that the fused pass must match byte for byte.
    fn reference(
        scheme: Scheme,
        scale_part: bool,
        src: Dtype,
        x: &[f32],
        cols: usize,
        global: f32,
    ) -> Vec<u8> {
        let w = torch_dtype(src).unwrap();
        let mut out = Vec::new();
        let push = |out: &mut Vec<u8>, v: f32| {
            let mut b = [0u8; 4];
            put_float(&mut b, src, v);
            out.extend_from_slice(&b[..src.bitsize() / 8]);
        };
        match scheme {
            Scheme::Fp8Dynamic | Scheme::W8A8 => {
                for r in x.chunks(cols) {
                    let elem = if scheme == Scheme::W8A8 {
                        CtElement::Int8
                    } else {
                        CtElement::Fp8E4M3
                    };
                    let s = ct_scale(ct_amax(r), elem, w);
                    if scale_part {
                        push(&mut out, s);
                    } else if scheme == Scheme::W8A8 {
                        let mut q = vec![0i8; r.len()];
                        ct_quantize_int(r, s, CtElement::Int8, w, &mut q).unwrap();
                        out.extend(q.iter().map(|&v| v as u8));
                    } else {
                        let mut q = vec![F8E4M3FN::ZERO; r.len()];
                        ct_quantize_fp8(r, s, w, &mut q).unwrap();
                        out.extend(q.iter().map(|v| v.to_bits()));
                    }
                }
            }
            Scheme::Fp8Block => {
                let rows = x.len() / cols;
                let nb = cols.div_ceil(128);
                let mut scales = Vec::new();
                for b in 0..nb {
                    let (c0, c1) = (b * 128, ((b + 1) * 128).min(cols));
                    let mut m = 0f32;
                    for r in 0..rows {
                        let a = ct_amax(&x[r * cols + c0..r * cols + c1]);
                        m = if a > m || a.is_nan() { a } else { m };
                    }
                    scales.push(ct_scale(m, CtElement::Fp8E4M3, w));
                }
                if scale_part {
                    for s in scales {
                        push(&mut out, s);
                    }
                } else {
                    let mut o = vec![F8E4M3FN::ZERO; x.len()];
                    for r in 0..rows {
                        for (b, &s) in scales.iter().enumerate() {
                            let (i0, i1) =
                                (r * cols + b * 128, r * cols + ((b + 1) * 128).min(cols));
                            ct_quantize_fp8(&x[i0..i1], s, w, &mut o[i0..i1]).unwrap();
                        }
                    }
                    out.extend(o.iter().map(|v| v.to_bits()));
                }
            }
            Scheme::W4A16 => {
                let mut q = [0i8; 128];
                for g in x.chunks_exact(128) {
                    let s = ct_scale(ct_amax(g), CtElement::Int4, w);
                    if scale_part {
                        push(&mut out, s);
                    } else {
                        ct_quantize_int(g, s, CtElement::Int4, w, &mut q).unwrap();
                        for word in q.chunks_exact(8) {
                            let mut v = 0u32;
                            for (j, &e) in word.iter().enumerate() {
                                v |= (((e as i32 + 8) as u32) & 0xF) << (4 * j);
                            }
                            out.extend_from_slice(&v.to_le_bytes());
                        }
                    }
                }
            }
            Scheme::Nvfp4A16 => {
                let mut c = [0u8; 8];
                for g in x.chunks_exact(16) {
                    let bs = ct_nvfp4_block_scale(ct_amax(g), global, w);
                    if scale_part {
                        out.push(bs.to_bits());
                    } else {
                        ct_quantize_fp4(g, bs.to_f32() / global, TorchDtype::F32, &mut c).unwrap();
                        out.extend_from_slice(&c);
                    }
                }
            }
            Scheme::Mxfp4A16 | Scheme::Mxfp4 => {
                let mut c = [0u8; 16];
                for g in x.chunks_exact(32) {
                    let (code, s) = ct_mx_scale(ct_amax(g), w);
                    if scale_part {
                        out.push(code);
                    } else {
                        ct_quantize_fp4(g, s, w, &mut c).unwrap();
                        out.extend_from_slice(&c);
                    }
                }
            }
        }
        out
    }

    /// Deterministic values of `src` (exact), with the cases that decide bytes mixed in:
    /// zeros of both signs, tiny values, subnormals, ties of the element grids, large values.
    fn values(n: usize, seed: u64, src: Dtype) -> Vec<f32> {
        let mut s = seed;
        let special = [
            0.0, -0.0, 1e-30, -1e-30, 6e-8, -6e-8, 0.25, -0.75, 2.5, -5.0, 448.0, 1.0e4, -3.0e4,
        ];
        (0..n)
            .map(|i| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = ((s >> 40) as f32) / (1u64 << 24) as f32;
                let v = if i % 7 == 3 {
                    special[(s >> 20) as usize % special.len()]
                } else {
                    (u - 0.5) * [0.02, 1.0, 300.0][(s >> 8) as usize % 3]
                };
                match src {
                    Dtype::BF16 => half::bf16::from_f32(v).to_f32(),
                    Dtype::F16 => half::f16::from_f32(v).to_f32(),
                    _ => v,
                }
            })
            .collect()
    }

    fn raw(x: &[f32], src: Dtype) -> Vec<u8> {
        let mut b = Vec::new();
        for &v in x {
            let mut e = [0u8; 4];
            put_float(&mut e, src, v);
            b.extend_from_slice(&e[..src.bitsize() / 8]);
        }
        b
    }

    #[test]
    fn fused_pass_matches_the_producer_functions() {
        for scheme in Scheme::ALL {
            for src in [Dtype::BF16, Dtype::F16, Dtype::F32] {
                // FP8_BLOCK: a short last band and a partial last column block.
                for (rows, cols) in [(3, 256), (130, 200), (1, 4096)] {
                    if scheme.check_shape(&[rows, cols]).is_err() {
                        continue;
                    }
                    let x = values(rows * cols, (rows * cols) as u64, src);
                    let b = raw(&x, src);
                    let w = torch_dtype(src).unwrap();
                    let global = if scheme.has_global_scale() {
                        ct_nvfp4_global_scale(ct_amax(&x), w)
                    } else {
                        1.0
                    };
                    let band = if scheme == Scheme::Fp8Block {
                        128
                    } else {
                        rows
                    };
                    let es = src.bitsize() / 8;
                    let (mut d, mut s) = (Vec::new(), Vec::new());
                    for (xb, bb) in x.chunks(band * cols).zip(b.chunks(band * cols * es)) {
                        let (nd, ns) = scheme.band_bytes(src, xb.len() / cols, cols);
                        let (mut d1, mut s1) = (vec![0u8; nd], vec![0u8; ns]);
                        let (mut d2, mut s2) = (vec![1u8; nd], vec![1u8; ns]);
                        assert!(quantize_band_into(
                            scheme,
                            src,
                            Rows::Raw(src, bb),
                            cols,
                            global,
                            &mut d1,
                            &mut s1
                        ));
                        assert!(quantize_band_into(
                            scheme,
                            src,
                            Rows::F32(xb),
                            cols,
                            global,
                            &mut d2,
                            &mut s2
                        ));
                        assert_eq!(
                            (&d1, &s1),
                            (&d2, &s2),
                            "{scheme} {src:?}: raw and f32 rows differ"
                        );
                        assert_eq!(
                            d1,
                            reference(scheme, false, src, xb, cols, global),
                            "{scheme} {src:?} {rows}x{cols}: data"
                        );
                        assert_eq!(
                            s1,
                            reference(scheme, true, src, xb, cols, global),
                            "{scheme} {src:?} {rows}x{cols}: scales"
                        );
                        d.extend(d1);
                        s.extend(s1);
                    }
                    // The band sizes add up to the tensors' sizes.
                    let outs = scheme.outputs(src, rows, cols);
                    let size = |p: Part| {
                        outs.iter()
                            .find(|o| o.0 == p)
                            .map(|o| o.2.iter().product::<usize>() * o.1.bitsize() / 8)
                            .unwrap()
                    };
                    let data_part = if outs.iter().any(|o| o.0 == Part::Weight) {
                        Part::Weight
                    } else {
                        Part::Packed
                    };
                    assert_eq!(
                        (d.len(), s.len()),
                        (size(data_part), size(Part::Scale)),
                        "{scheme} {src:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn non_finite_values_are_reported() {
        for scheme in Scheme::ALL {
            for src in [Dtype::BF16, Dtype::F16, Dtype::F32] {
                for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                    let mut x = values(2 * 256, 7, src);
                    x[300] = bad;
                    let b = raw(&x, src);
                    let (nd, ns) = scheme.band_bytes(src, 2, 256);
                    let (mut d, mut s) = (vec![0u8; nd], vec![0u8; ns]);
                    assert!(!quantize_band_into(
                        scheme,
                        src,
                        Rows::Raw(src, &b),
                        256,
                        1.0,
                        &mut d,
                        &mut s
                    ));
                    assert!(!quantize_band_into(
                        scheme,
                        src,
                        Rows::F32(&x),
                        256,
                        1.0,
                        &mut d,
                        &mut s
                    ));
                }
            }
        }
    }

    /// The vectorized integer loop equals `ct_quantize_int` on every bf16 and f16 value (NaN
    /// and ±∞ included), for scales that put ties, the clamp and tiny quotients in play.
    #[test]
    fn int_stage_matches_ct_quantize_int_on_every_16_bit_value() {
        for (src, w) in [
            (Dtype::BF16, TorchDtype::BF16),
            (Dtype::F16, TorchDtype::F16),
        ] {
            let x: Vec<f32> = (0..=u16::MAX)
                .map(|b| {
                    if src == Dtype::BF16 {
                        half::bf16::from_bits(b).to_f32()
                    } else {
                        half::f16::from_bits(b).to_f32()
                    }
                })
                .collect();
            for scale in [w.eps(), 0.0078125, 0.007873535, 0.5, 1.0, 3.0, 1000.0] {
                for e in [CtElement::Int8, CtElement::Int4] {
                    let (mut a, mut b) = (vec![0i8; x.len()], vec![0i8; x.len()]);
                    ct_quantize_int(&x, scale, e, w, &mut a).unwrap();
                    quantize_int(&x, scale, e, w, &mut b);
                    assert_eq!(a, b, "{src:?} scale {scale} {e:?}");
                    // The baseline build of the same loop (the CPU's is the one above).
                    quantize_int_any(&x, scale, e, w, &mut b);
                    assert_eq!(a, b, "{src:?} scale {scale} {e:?} (baseline)");
                }
            }
        }
        // f32: values around the clamp and the ties, and random ones.
        let mut x = values(1 << 16, 3, Dtype::F32);
        x.extend([
            127.5,
            -128.5,
            126.5,
            7.5,
            -8.5,
            0.5,
            -0.5,
            1.5,
            f32::MAX,
            f32::MIN_POSITIVE,
        ]);
        for scale in [f32::EPSILON, 0.3, 1.0, 2.0] {
            let (mut a, mut b) = (vec![0i8; x.len()], vec![0i8; x.len()]);
            ct_quantize_int(&x, scale, CtElement::Int8, TorchDtype::F32, &mut a).unwrap();
            quantize_int(&x, scale, CtElement::Int8, TorchDtype::F32, &mut b);
            assert_eq!(a, b, "f32 scale {scale}");
        }
    }

    /// The FP8 staging, dispatched and baseline, equals `ct_quantize_fp8` on every bf16 and
    /// f16 value (NaN and ±∞ included) and on f32 values, for scales that make ties, the clamp
    /// and subnormal quotients.
    #[test]
    fn fp8_stage_matches_ct_quantize_fp8_on_every_16_bit_value() {
        for (src, w) in [
            (Dtype::BF16, TorchDtype::BF16),
            (Dtype::F16, TorchDtype::F16),
            (Dtype::F32, TorchDtype::F32),
        ] {
            let x: Vec<f32> = match src {
                Dtype::BF16 => (0..=u16::MAX)
                    .map(|b| half::bf16::from_bits(b).to_f32())
                    .collect(),
                Dtype::F16 => (0..=u16::MAX)
                    .map(|b| half::f16::from_bits(b).to_f32())
                    .collect(),
                _ => values(1 << 16, 5, Dtype::F32),
            };
            for scale in [w.eps(), 0.0078125, 0.0002236, 0.5, 1.0, 3.0, 1000.0] {
                let mut a = vec![F8E4M3FN::ZERO; x.len()];
                ct_quantize_fp8(&x, scale, w, &mut a).unwrap();
                let mut b = vec![F8E4M3FN::ZERO; x.len()];
                let mut c = vec![F8E4M3FN::ZERO; x.len()];
                for ((xs, bs), cs) in x
                    .chunks(STAGE)
                    .zip(b.chunks_mut(STAGE))
                    .zip(c.chunks_mut(STAGE))
                {
                    quantize_fp8(xs, scale, w, bs);
                    let mut y = [0f32; STAGE];
                    fp8_stage(xs, scale, w, &mut y[..xs.len()]);
                    lowp::slice::encode_with(
                        &y[..xs.len()],
                        cs,
                        Rounding::NearestEven,
                        Overflow::Saturate,
                    );
                }
                let bits = |v: &[F8E4M3FN]| v.iter().map(|q| q.to_bits()).collect::<Vec<u8>>();
                assert_eq!(bits(&a), bits(&b), "{src:?} scale {scale}");
                assert_eq!(bits(&a), bits(&c), "{src:?} scale {scale} (baseline)");
            }
        }
    }

    /// The FP4 passes, dispatched and baseline, give the same bytes.
    #[test]
    fn fp4_bands_baseline_and_dispatched_agree() {
        for src in [Dtype::BF16, Dtype::F16, Dtype::F32] {
            let w = torch_dtype(src).unwrap();
            let x = values(4 * 512, 11, src);
            let global = ct_nvfp4_global_scale(ct_amax(&x), w);
            let mut buf = [0f32; STAGE];
            let run = |f: &mut dyn FnMut(&mut [u8], &mut [u8]) -> bool, scale_len: usize| {
                let (mut d, mut s) = (vec![0u8; x.len() / 2], vec![0u8; scale_len]);
                assert!(f(&mut d, &mut s));
                (d, s)
            };
            let a = run(
                &mut |d, s| nvfp4_band(Rows::F32(&x), &mut buf.clone(), d, s, global, w),
                x.len() / 16,
            );
            let b = run(
                &mut |d, s| nvfp4_band_any(Rows::F32(&x), &mut buf, d, s, global, w),
                x.len() / 16,
            );
            assert_eq!(a, b, "NVFP4 {src:?}");
            let a = run(
                &mut |d, s| mx_band(Rows::F32(&x), &mut buf.clone(), d, s, w),
                x.len() / 32,
            );
            let b = run(
                &mut |d, s| mx_band_any(Rows::F32(&x), &mut buf, d, s, w),
                x.len() / 32,
            );
            assert_eq!(a, b, "MXFP4 {src:?}");
        }
    }
}
