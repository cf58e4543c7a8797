//! Dequantization of compressed-tensors weights, band by band (the inverse of
//! `scheme::quantize_band`), in `f32`: x' = decode(q) · scale (NVFP4: · block / global; MXFP4:
//! · 2^(code − 127)). compressed-tensors' own decompression multiplies in the scale's dtype; `f32`
//! keeps the measured error free of that last rounding.

use crate::scheme::Scheme;
use lowp::{F4E2M1FN, F8E4M3FN};
use safetensors::tensor::Dtype;

/// A scale value of dtype `d` at element index `i` of `bytes`.
pub fn scale_at(d: Dtype, bytes: &[u8], i: usize) -> f32 {
    match d {
        Dtype::BF16 => {
            f32::from_bits((u16::from_le_bytes([bytes[2 * i], bytes[2 * i + 1]]) as u32) << 16)
        }
        Dtype::F16 => {
            half::f16::from_bits(u16::from_le_bytes([bytes[2 * i], bytes[2 * i + 1]])).to_f32()
        }
        Dtype::F32 => f32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap()),
        Dtype::F8_E4M3 => F8E4M3FN::from_bits(bytes[i]).to_f32(),
        Dtype::U8 => pow2(bytes[i] as i32 - 127),
        _ => f32::NAN,
    }
}

fn pow2(e: i32) -> f32 {
    if e >= -126 {
        f32::from_bits(((e + 127) as u32) << 23)
    } else {
        f32::from_bits(1 << (e + 149).max(0))
    }
}

fn fp4(code: u8) -> f32 {
    F4E2M1FN::from_bits(code & 0xF).to_f32()
}

/// Dequantizes one band (one row; 128 rows for FP8_BLOCK) of `scheme`: `data` the band's codes
/// (as stored), `scales` the band's scales (one row of the scale tensor), `sd` their dtype.
/// Appends `rows · cols` values to `out`.
#[allow(clippy::too_many_arguments)]
pub fn dequant_band(
    scheme: Scheme,
    data: &[u8],
    scales: &[u8],
    sd: Dtype,
    rows: usize,
    cols: usize,
    global: f32,
    out: &mut Vec<f32>,
) {
    match scheme {
        Scheme::Fp8Dynamic => {
            let s = scale_at(sd, scales, 0);
            out.extend(
                data[..cols]
                    .iter()
                    .map(|&q| F8E4M3FN::from_bits(q).to_f32() * s),
            );
        }
        Scheme::W8A8 => {
            let s = scale_at(sd, scales, 0);
            out.extend(data[..cols].iter().map(|&q| q as i8 as f32 * s));
        }
        Scheme::Fp8Block => {
            for r in 0..rows {
                for c in 0..cols {
                    let s = scale_at(sd, scales, c / 128);
                    out.push(F8E4M3FN::from_bits(data[r * cols + c]).to_f32() * s);
                }
            }
        }
        Scheme::W4A16 => {
            for c in 0..cols {
                let w = u32::from_le_bytes(data[4 * (c / 8)..4 * (c / 8) + 4].try_into().unwrap());
                let q = ((w >> (4 * (c % 8))) & 0xF) as i32 - 8;
                out.push(q as f32 * scale_at(sd, scales, c / 128));
            }
        }
        Scheme::Nvfp4A16 => {
            for c in 0..cols {
                let code = data[c / 2] >> (4 * (c % 2));
                out.push(fp4(code) * (scale_at(sd, scales, c / 16) / global));
            }
        }
        Scheme::Mxfp4A16 | Scheme::Mxfp4 => {
            for c in 0..cols {
                let code = data[c / 2] >> (4 * (c % 2));
                out.push(fp4(code) * scale_at(sd, scales, c / 32));
            }
        }
    }
}

/// Bytes of stored codes per row of a `cols`-wide weight.
pub fn data_row_bytes(scheme: Scheme, cols: usize) -> usize {
    match scheme {
        Scheme::Fp8Dynamic | Scheme::Fp8Block | Scheme::W8A8 => cols,
        Scheme::W4A16 => cols.div_ceil(8) * 4,
        _ => cols / 2,
    }
}

/// Scale values per band.
pub fn scales_per_band(scheme: Scheme, cols: usize) -> usize {
    match scheme {
        Scheme::Fp8Dynamic | Scheme::W8A8 => 1,
        Scheme::Fp8Block | Scheme::W4A16 => cols.div_ceil(128),
        Scheme::Nvfp4A16 => cols / 16,
        Scheme::Mxfp4A16 | Scheme::Mxfp4 => cols / 32,
    }
}

/// Error accumulator: Σx², Σ(x − x')², max |x − x'|.
#[derive(Clone, Copy, Debug, Default)]
pub struct ErrorSums {
    /// Σ x².
    pub signal: f64,
    /// Σ (x − x')².
    pub noise: f64,
    /// max |x − x'|.
    pub max_abs: f64,
    /// Elements seen.
    pub count: u64,
}

impl ErrorSums {
    /// Adds a run of (original, reconstructed) pairs.
    pub fn add(&mut self, x: &[f32], y: &[f32]) {
        for (&a, &b) in x.iter().zip(y) {
            let (a, b) = (a as f64, b as f64);
            self.signal += a * a;
            let d = a - b;
            self.noise += d * d;
            self.max_abs = self.max_abs.max(d.abs());
        }
        self.count += x.len() as u64;
    }

    /// Merges another accumulator.
    pub fn merge(mut self, o: ErrorSums) -> ErrorSums {
        self.signal += o.signal;
        self.noise += o.noise;
        self.max_abs = self.max_abs.max(o.max_abs);
        self.count += o.count;
        self
    }

    /// SQNR in dB (∞ when exact; NaN for an all-zero signal with error).
    pub fn sqnr_db(&self) -> f64 {
        if self.noise == 0.0 {
            f64::INFINITY
        } else {
            10.0 * (self.signal / self.noise).log10()
        }
    }
}
