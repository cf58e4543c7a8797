//! The quantization schemes, by llm-compressor's preset names, and the compressed-tensors
//! layout each one writes: which tensors replace a quantized `weight`, their dtypes and
//! shapes, and the row kernels that fill them (through `lowp::quant::producer`).

use anyhow::{bail, Result};
use lowp::quant::producer::{
    ct_amax, ct_mx_scale, ct_nvfp4_block_scale, ct_nvfp4_global_scale, ct_quantize_fp4,
    ct_quantize_fp8, ct_quantize_int, ct_scale, CtElement, TorchDtype,
};
use lowp::F8E4M3FN;
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

/// Bytes of one scale value of dtype `d` (bf16/f16/f32) holding `v` (exact in `d`).
pub fn push_float(out: &mut Vec<u8>, d: Dtype, v: f32) {
    match d {
        Dtype::BF16 => out.extend_from_slice(&half::bf16::from_f32(v).to_bits().to_le_bytes()),
        Dtype::F16 => out.extend_from_slice(&half::f16::from_f32(v).to_bits().to_le_bytes()),
        _ => out.extend_from_slice(&v.to_le_bytes()),
    }
}

/// Quantizes one band of rows (`x`: `band_rows × cols` values, row-major, exact values of the
/// source dtype) and appends the band's part of `part` to `out`. For FP8_BLOCK a band is up to
/// 128 rows; for every other scheme one row. `global` is the NVFP4 global scale. Returns false
/// (with `out` holding garbage for this band) when the band holds a NaN or ±∞: every group's
/// amax is computed anyway, and it is non-finite exactly then.
pub fn quantize_band(
    scheme: Scheme,
    part: Part,
    src: Dtype,
    x: &[f32],
    cols: usize,
    global: f32,
    out: &mut Vec<u8>,
) -> bool {
    let w = torch_dtype(src).expect("checked source dtype");
    let rows = x.len() / cols;
    let mut finite = true;
    let mut amax = |g: &[f32]| {
        let a = ct_amax(g);
        finite &= a.is_finite();
        a
    };
    match scheme {
        Scheme::Fp8Dynamic | Scheme::W8A8 => {
            let elem = if scheme == Scheme::W8A8 {
                CtElement::Int8
            } else {
                CtElement::Fp8E4M3
            };
            let s = ct_scale(amax(x), elem, w);
            match part {
                Part::Scale => push_float(out, src, s),
                _ => {
                    let start = out.len();
                    out.resize(start + x.len(), 0);
                    if scheme == Scheme::W8A8 {
                        let o: &mut [i8] = bytemuck::cast_slice_mut(&mut out[start..]);
                        ct_quantize_int(x, s, CtElement::Int8, w, o);
                    } else {
                        let o: &mut [F8E4M3FN] = bytemuck::cast_slice_mut(&mut out[start..]);
                        ct_quantize_fp8(x, s, w, o);
                    }
                }
            }
        }
        Scheme::Fp8Block => {
            let nb = cols.div_ceil(128);
            let mut scales = Vec::with_capacity(nb);
            for b in 0..nb {
                let (c0, c1) = (b * 128, ((b + 1) * 128).min(cols));
                let mut m = 0f32;
                for r in 0..rows {
                    let a = amax(&x[r * cols + c0..r * cols + c1]);
                    m = if a > m || a.is_nan() { a } else { m };
                }
                scales.push(ct_scale(m, CtElement::Fp8E4M3, w));
            }
            match part {
                Part::Scale => {
                    for s in scales {
                        push_float(out, src, s)
                    }
                }
                _ => {
                    let start = out.len();
                    out.resize(start + x.len(), 0);
                    let o: &mut [F8E4M3FN] = bytemuck::cast_slice_mut(&mut out[start..]);
                    for r in 0..rows {
                        for (b, &s) in scales.iter().enumerate() {
                            let (c0, c1) = (b * 128, ((b + 1) * 128).min(cols));
                            let (i0, i1) = (r * cols + c0, r * cols + c1);
                            ct_quantize_fp8(&x[i0..i1], s, w, &mut o[i0..i1]);
                        }
                    }
                }
            }
        }
        Scheme::W4A16 => {
            let mut q = [0i8; 128];
            for g in x.chunks_exact(128) {
                let s = ct_scale(amax(g), CtElement::Int4, w);
                match part {
                    Part::Scale => push_float(out, src, s),
                    _ => {
                        ct_quantize_int(g, s, CtElement::Int4, w, &mut q);
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
        }
        Scheme::Nvfp4A16 => {
            let mut c = [0u8; 8];
            for g in x.chunks_exact(16) {
                let bs = ct_nvfp4_block_scale(amax(g), global, w);
                match part {
                    Part::Scale => out.push(bs.to_bits()),
                    _ => {
                        let divisor = bs.to_f32() / global;
                        ct_quantize_fp4(g, divisor, TorchDtype::F32, &mut c);
                        out.extend_from_slice(&c);
                    }
                }
            }
        }
        Scheme::Mxfp4A16 | Scheme::Mxfp4 => {
            let mut c = [0u8; 16];
            for g in x.chunks_exact(32) {
                let (code, s) = ct_mx_scale(amax(g), w);
                match part {
                    Part::Scale => out.push(code),
                    _ => {
                        ct_quantize_fp4(g, s, w, &mut c);
                        out.extend_from_slice(&c);
                    }
                }
            }
        }
    }
    finite
}

/// The NVFP4 global scale of a set of weights whose largest magnitude is `amax`.
pub fn global_scale(amax: f32, src: Dtype) -> f32 {
    ct_nvfp4_global_scale(amax, torch_dtype(src).expect("checked source dtype"))
}
