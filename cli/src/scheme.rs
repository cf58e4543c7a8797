//! The quantization schemes, by llm-compressor's preset names, and the compressed-tensors
//! layout each one writes: which tensors replace a quantized `weight`, their dtypes and
//! shapes, and the row kernels that fill them (through `lowp::quant::producer`).

use anyhow::{bail, Result};
use lowp::quant::producer::{
    ct_amax, ct_mx_scale, ct_nvfp4_block_scale, ct_nvfp4_global_scale, ct_quantize_fp8,
    ct_quantize_int, ct_scale, CtElement, TorchDtype,
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

/// Values staged per call of the batch encoders (the producer functions stage as many).
const STAGE: usize = 256;

/// FP4 elements of one group as compressed-tensors computes them (see
/// [`lowp::quant::producer::ct_quantize_fp4`]):
/// y = round(x / divisor) in `round`'s dtype; ±0 and NaN → +0; else clamped to ±6.
#[inline(always)]
fn fp4_stage(x: &[f32], divisor: f32, t: &mut [f32], round: impl Fn(f32) -> f32) {
    for (t, &v) in t.iter_mut().zip(x) {
        let y = round(v / divisor);
        *t = if y == 0.0 || y.is_nan() {
            0.0
        } else {
            y.clamp(-6.0, 6.0)
        };
    }
}

fn fp4_stage_dtype(x: &[f32], divisor: f32, t: &mut [f32], w: TorchDtype) {
    match w {
        TorchDtype::F32 => fp4_stage(x, divisor, t, |v| v),
        TorchDtype::BF16 => fp4_stage(x, divisor, t, |v| TorchDtype::BF16.round(v)),
        TorchDtype::F16 => fp4_stage(x, divisor, t, |v| TorchDtype::F16.round(v)),
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
                        ct_quantize_int(t, s, CtElement::Int8, w, bytemuck::cast_slice_mut(o));
                    } else {
                        ct_quantize_fp8(t, s, w, bytemuck::cast_slice_mut::<u8, F8E4M3FN>(o));
                    }
                }
            }
        }
        Scheme::Fp8Block => {
            let nb = cols.div_ceil(128);
            for b in 0..nb {
                let (c0, c1) = (b * 128, ((b + 1) * 128).min(cols));
                let mut m = 0f32;
                for r in 0..rows {
                    let a = x.amax(r * cols + c0, r * cols + c1);
                    m = if a > m || a.is_nan() { a } else { m };
                }
                finite &= m.is_finite();
                put_float(
                    &mut scale[b * es..],
                    src,
                    ct_scale(m, CtElement::Fp8E4M3, w),
                );
            }
            for b in 0..nb {
                let (c0, c1) = (b * 128, ((b + 1) * 128).min(cols));
                let s = read_float(&scale[b * es..], src);
                for r in 0..rows {
                    let (i0, i1) = (r * cols + c0, r * cols + c1);
                    let t = &mut buf[..i1 - i0];
                    x.widen(i0, t);
                    ct_quantize_fp8(t, s, w, bytemuck::cast_slice_mut(&mut data[i0..i1]));
                }
            }
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
                ct_quantize_int(t, s, CtElement::Int4, w, &mut q);
                for (word, dst) in q.chunks_exact(8).zip(o.chunks_exact_mut(4)) {
                    let mut v = 0u32;
                    for (j, &e) in word.iter().enumerate() {
                        v |= (((e as i32 + 8) as u32) & 0xF) << (4 * j);
                    }
                    dst.copy_from_slice(&v.to_le_bytes());
                }
            }
        }
        Scheme::Nvfp4A16 | Scheme::Mxfp4A16 | Scheme::Mxfp4 => {
            let g = if scheme == Scheme::Nvfp4A16 { 16 } else { 32 };
            let mut stage = [0f32; STAGE];
            // Rows are whole groups, so the band is a run of whole groups: stage up to
            // STAGE values, group by group, then encode them in one call.
            let n = x.len();
            let mut i0 = 0;
            while i0 < n {
                let len = (n - i0).min(STAGE);
                let t = &mut buf[..len];
                x.widen(i0, t);
                for (j, (xs, ys)) in t.chunks_exact(g).zip(stage.chunks_exact_mut(g)).enumerate() {
                    let gi = i0 / g + j;
                    let a = ct_amax(xs);
                    finite &= a.is_finite();
                    if scheme == Scheme::Nvfp4A16 {
                        let bs = ct_nvfp4_block_scale(a, global, w);
                        scale[gi] = bs.to_bits();
                        fp4_stage_dtype(xs, bs.to_f32() / global, ys, TorchDtype::F32);
                    } else {
                        let (code, s) = ct_mx_scale(a, w);
                        scale[gi] = code;
                        fp4_stage_dtype(xs, s, ys, w);
                    }
                }
                lowp::slice::encode_packed_with::<F4E2M1FN>(
                    &stage[..len],
                    &mut data[i0 / 2..(i0 + len) / 2],
                    Rounding::NearestEven,
                    Overflow::Saturate,
                );
                i0 += len;
            }
        }
    }
    finite
}

/// The value of a scale stored by [`put_float`].
fn read_float(b: &[u8], d: Dtype) -> f32 {
    match d {
        Dtype::BF16 => half::bf16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32(),
        Dtype::F16 => half::f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32(),
        _ => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
    }
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
