//! Quantization: integers with a scale and zero point, scaled floats, and block-scaled (MX,
//! NVFP4) formats — all bit-exact with a named reference (`CONTRACT.md` §4–6).
//!
//! ```
//! use lowp::quant::{self, QParams};
//! let p = QParams { scale: 0.5, zero_point: 0 };
//! let mut q = [0i8; 4];
//! quant::quantize(&[0.25, 0.75, -1.0, 1e9], p, &mut q)?;
//! assert_eq!(q, [0, 2, -2, 127]);          // ties to even; beyond the range: clamped
//! # Ok::<(), lowp::Error>(())
//! ```
//!
//! # From start to finish
//!
//! Calibrate, choose one scale per output channel, quantize the weight per
//! channel to int4 packed two per byte, dequantize, and measure what it cost:
//!
//! ```
//! use lowp::quant::{self, Granularity, PerChannelMinMaxObserver, QRange, Scheme, I4};
//! // A 4×64 weight (4 output channels along axis 0), seen in two batches.
//! let shape = [4, 64];
//! let w: Vec<f32> = (0..256).map(|i| ((i * 37 % 101) as f32 - 50.0) / (1 + i / 64) as f32).collect();
//! let mut observer = PerChannelMinMaxObserver::new(0, 4);           // 1. calibrate
//! observer.observe(&w, &shape)?;              // (call once per batch; ranges accumulate)
//! let params = observer.qparams::<I4>(Scheme::Symmetric, QRange::full::<I4>())?; // 2. choose
//! let mut packed = vec![0u8; quant::packed_4bit_len(w.len())];
//! quant::quantize_per_axis_packed::<I4>(&w, &shape, 0, &params, &mut packed)?;   // 3. quantize, 4. pack
//! let mut back = vec![0f32; w.len()];
//! quant::dequantize_per_axis_packed::<I4>(&packed, &shape, 0, &params, &mut back)?; // 5. dequantize
//! let stats = quant::error_stats(&w, &back)?;                                    // 6. measure
//! assert!(stats.sqnr_db > 15.0 && stats.cosine > 0.98);
//! // The same per-channel step through one granularity value:
//! let per_row = Granularity::PerAxis { shape: &shape, axis: 0 };
//! let mut fake = vec![0f32; w.len()];
//! quant::fake_quantize_int::<I4>(&w, per_row, &params, Default::default(), &mut fake)?;
//! assert_eq!(fake, back);
//! # Ok::<(), lowp::Error>(())
//! ```
//!
//! # Integers ([`int`]: ONNX `QuantizeLinear` / `DequantizeLinear`, bit-exact with onnxruntime)
//!
//! | operation | formula (every step in `f32`) |
//! |---|---|
//! | quantize | q = clamp(round_half_even(x / scale) + zero_point, qmin, qmax) |
//! | quantize, [`ScaleRule::Reciprocal`] (PyTorch `quantize_val`, FBGEMM) | q = clamp(round_half_even(x · (1 / scale)) + zero_point, qmin, qmax) |
//! | dequantize | x' = (q − zero_point) · scale |
//! | asymmetric parameters from [min, max] ∋ 0 | scale = (max − min) / (qmax − qmin) (1 if 0), zero_point = clamp(round_half_even(qmin − min / scale)) |
//! | symmetric, restricted range (default) | scale = amax / 127 (8-bit) or / 7 (4-bit), q ∈ [−127, 127] |
//! | symmetric, full range (PyTorch) | scale = amax / 127.5 or / 7.5, q ∈ [−128, 127] |
//!
//! The division and the reciprocal rule differ on some inputs: x = 56.34293, scale = 0.61576974
//! gives x / scale = 91.5 → 92, but x · (1 / scale) = 91.49999 → 91. ±∞ saturate to qmin/qmax.
//! **NaN quantizes to the zero point** (so it dequantizes to 0); onnxruntime gives qmin there, a
//! documented divergence. Integer types: [`i8`], [`u8`], [`i16`], [`u16`] (as ONNX opset 21),
//! [`I4`], [`U4`] (4-bit values packed two per byte, element 0 in the low nibble, by
//! [`pack_4bit`] and the `_packed` functions). [`channel`]: custom quantized ranges
//! ([`QRange`]), per-channel observers and per-channel packed 4-bit quantization.
//!
//! Granularity: per tensor; per axis (one parameter per index along `axis` of a row-major
//! tensor); blocked (ONNX opset 21: along `axis`, index i uses parameter ⌊i / block_size⌋ and the
//! parameter tensor has the input's shape with that axis made ⌈D / block_size⌉).
//!
//! # Scaled floats ([`scaled`])
//! q = Saturate(NearestEven(x / scale)) in any [`Format`](crate::Format) (bit-exact with
//! onnxruntime `QuantizeLinear` to float8 with `saturate=1`), x' = decode(q) · scale; scales from
//! amax (amax / max), and Transformer Engine-style delayed scaling ([`DelayedScaling`]).
//!
//! # Microscaling ([`mx`])
//! OCP Microscaling v1.0: blocks of 32 share an E8M0 scale 2^(⌊log2 amax⌋ − emax_elem) (or, as
//! an option, the cuDNN / Transformer Engine rule 2^⌈log2(amax / max_elem)⌉); elements
//! Saturate(NearestEven(v / scale)). NVFP4: blocks of 16 FP4 values with an E4M3FN scale and an
//! f32 tensor scale.
//!
//! # Calibration and error ([`observer`], [`metrics`])
//! Min-max, moving-average min-max, percentile and MSE-minimising observers, each fed batch by
//! batch; MSE, max abs/rel error, SQNR and cosine similarity of any round trip.
//!
//! # The floating-point environment
//! Every code, parameter and dequantized or fake-quantized value is the same bits whether the
//! CPU's FTZ / DAZ flags are set or not (`CONTRACT.md` §14), on every kernel level: subnormal
//! inputs and subnormal scales are read as what they are, and **a subnormal result (a
//! dequantized or fake-quantized value) is written as the subnormal, not flushed to ±0**, as
//! the default environment computes it. The vectorised paths divide and multiply natively and
//! redo exactly only the rare lanes whose operands or results are subnormal; comparisons are
//! made on the bits.
//!
//! # Errors
//! Every function checks all of its arguments before it writes anything: an `Err` leaves the
//! outputs untouched. Nothing here panics on data.
//!
//! References: ONNX operators `QuantizeLinear`, `DequantizeLinear`, `DynamicQuantizeLinear`
//! (opset 21); onnxruntime's MLAS quantization kernels; PyTorch `quantize_val` and observers;
//! OCP Microscaling Formats (MX) v1.0; NVIDIA Transformer Engine (delayed scaling, MXFP8,
//! NVFP4).

extern crate alloc;

pub mod channel;
pub(crate) mod fast;
pub mod granularity;
pub mod int;
pub mod metrics;
pub mod mx;
pub mod observer;
pub mod producer;
pub mod scaled;

pub use channel::{
    choose_qparams_in, dequantize_per_axis_packed, quantize_per_axis_packed,
    PerChannelMinMaxObserver, QRange,
};
pub use granularity::{
    dequantize_float, dequantize_int, fake_quantize_float, fake_quantize_int, qparams,
    quantize_float, quantize_int, scales, Granularity,
};
pub use int::{
    choose_qparams, dequantize, dequantize_blocked, dequantize_packed, dequantize_per_axis,
    dynamic_quantize_u8, fake_quantize, fake_quantize_blocked, fake_quantize_blocked_with,
    fake_quantize_in_place, fake_quantize_per_axis, fake_quantize_per_axis_with,
    fake_quantize_with, pack_4bit, packed_4bit_len, qparams_blocked, qparams_from_data,
    qparams_per_axis, quantize, quantize_blocked, quantize_blocked_with, quantize_packed,
    quantize_per_axis, quantize_per_axis_with, quantize_with, unpack_4bit, Nibble, QParams,
    QuantInt, QuantOptions, ScaleRule, Scheme, I4, U4,
};
pub use metrics::{
    cosine_similarity, error_stats, max_abs_error, max_rel_error, mse, sqnr_db, ErrorStats,
};
pub use mx::{
    mx_dequantize, mx_dequantize_axis, mx_dequantize_with, mx_element_bytes, mx_fake_quantize,
    mx_fake_quantize_axis, mx_fake_quantize_with, mx_quantize, mx_quantize_axis, mx_quantize_with,
    mx_scale_count, mx_shared_exponent, nvfp4_dequantize, nvfp4_fake_quantize, nvfp4_quantize,
    nvfp4_tensor_scale, MxFormat, MxOptions, MxScaleRule, MX_BLOCK, NVFP4_BLOCK,
};
pub use observer::{
    HistogramObserver, MinMaxObserver, MovingAverageMinMaxObserver, MseObserver, PercentileObserver,
};
pub use scaled::{
    amax, dequantize_scaled, dequantize_scaled_blocked, dequantize_scaled_per_axis,
    fake_quantize_scaled, quantize_scaled, quantize_scaled_blocked, quantize_scaled_per_axis,
    scale_from_amax, scales_blocked, scales_per_axis, AmaxReduction, DelayedScaling,
};

use crate::Error;

/// How a run of consecutive elements picks its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Run {
    /// Every element of the run uses parameter `.0`.
    Uniform(usize),
    /// Element `t` of the run uses parameter `.0 + t`.
    Each(usize),
}

/// A row-major tensor seen as `[outer, dim, inner]` around one axis, with the granularity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) len: usize,
    pub(crate) outer: usize,
    pub(crate) dim: usize,
    pub(crate) inner: usize,
    /// Block length along the axis; `None` for per-axis, `Some(len)` (the whole tensor as one
    /// block) for per-tensor is expressed by `per_tensor`.
    pub(crate) block: Option<usize>,
    pub(crate) per_tensor: bool,
}

impl Plan {
    /// The whole slice as one group.
    pub(crate) fn tensor(len: usize) -> Plan {
        Plan {
            len,
            outer: 1,
            dim: len,
            inner: 1,
            block: None,
            per_tensor: true,
        }
    }

    /// Per axis (`block == None`) or blocked along `axis`; checks block, axis and shape.
    pub(crate) fn new(
        len: usize,
        shape: &[usize],
        axis: usize,
        block: Option<usize>,
    ) -> Result<Plan, Error> {
        if block == Some(0) {
            return Err(Error::ZeroBlockSize);
        }
        if axis >= shape.len() {
            return Err(Error::AxisOutOfRange {
                axis,
                rank: shape.len(),
            });
        }
        let product = |dims: &[usize]| {
            dims.iter()
                .try_fold(1usize, |acc, &d| acc.checked_mul(d))
                .ok_or(Error::InvalidInput(
                    "the shape's element count overflows usize",
                ))
        };
        let elements = product(shape)?;
        if elements != len {
            return Err(Error::ShapeMismatch { elements, len });
        }
        // Each part on its own (a zero elsewhere does not keep these from overflowing).
        let outer = product(&shape[..axis])?;
        let inner = product(&shape[axis + 1..])?;
        Ok(Plan {
            len,
            outer,
            dim: shape[axis],
            inner,
            block,
            per_tensor: false,
        })
    }

    /// Blocks along the axis (1 for per-tensor, `dim` for per-axis).
    pub(crate) fn blocks_along_axis(&self) -> usize {
        match self.block {
            Some(b) => self.dim.div_ceil(b),
            None => self.dim,
        }
    }

    /// How many parameters this plan needs.
    pub(crate) fn params(&self) -> usize {
        if self.per_tensor {
            return 1;
        }
        match self.block {
            None => self.dim,
            Some(_) => self
                .outer
                .saturating_mul(self.blocks_along_axis())
                .saturating_mul(self.inner),
        }
    }

    /// Check a parameter count.
    pub(crate) fn check_params(&self, found: usize) -> Result<(), Error> {
        let expected = self.params();
        if found != expected {
            return Err(Error::ParamCountMismatch { expected, found });
        }
        Ok(())
    }

    /// Call `f(start, len, run)` for runs of consecutive elements that cover the tensor.
    pub(crate) fn for_each_run(&self, mut f: impl FnMut(usize, usize, Run)) {
        if self.len == 0 {
            return;
        }
        if self.per_tensor {
            f(0, self.len, Run::Uniform(0));
            return;
        }
        let (dim, inner) = (self.dim, self.inner);
        match self.block {
            None if inner == 1 => {
                for o in 0..self.outer {
                    f(o * dim, dim, Run::Each(0));
                }
            }
            None => {
                for o in 0..self.outer {
                    for j in 0..dim {
                        f((o * dim + j) * inner, inner, Run::Uniform(j));
                    }
                }
            }
            Some(b) => {
                let nb = self.blocks_along_axis();
                for o in 0..self.outer {
                    if inner == 1 {
                        for k in 0..nb {
                            let start = k * b;
                            let n = b.min(dim - start);
                            f(o * dim + start, n, Run::Uniform(o * nb + k));
                        }
                    } else {
                        for j in 0..dim {
                            f(
                                (o * dim + j) * inner,
                                inner,
                                Run::Each((o * nb + j / b) * inner),
                            );
                        }
                    }
                }
            }
        }
    }

    /// Call `f(param, start, stride, count)` once per group of elements that share a
    /// parameter: the elements `start + t·stride` for `t < count`.
    pub(crate) fn for_each_group(&self, mut f: impl FnMut(usize, usize, usize, usize)) {
        if self.len == 0 {
            return;
        }
        if self.per_tensor {
            f(0, 0, 1, self.len);
            return;
        }
        let (dim, inner) = (self.dim, self.inner);
        let b = self.block.unwrap_or(1);
        let nb = self.blocks_along_axis();
        for o in 0..self.outer {
            for k in 0..nb {
                let first = k * b;
                let count = b.min(dim - first);
                for i in 0..inner {
                    let param = match self.block {
                        None => k,
                        Some(_) => (o * nb + k) * inner + i,
                    };
                    f(param, (o * dim + first) * inner + i, inner, count);
                }
            }
        }
    }
}

/// Check that an output has the input's length.
pub(crate) fn check_len(expected: usize, found: usize) -> Result<(), Error> {
    if expected != found {
        return Err(Error::LengthMismatch { expected, found });
    }
    Ok(())
}

/// Check that a scale is finite and positive.
pub(crate) fn check_scale(scale: f32) -> Result<(), Error> {
    // On the bits: DAZ would read a subnormal scale as 0 (CONTRACT.md §14).
    if scale.is_finite() && crate::fenv::gt(scale, 0.0) {
        Ok(())
    } else {
        Err(Error::InvalidScale { scale })
    }
}

/// a · b in `f32`, except that a product of two finite factors that overflows gives ±`f32::MAX`
/// instead of ±∞: the dequantization rule of the block formats (MX, NVFP4) and of every fake
/// quantization, so that a finite input never comes back infinite.
#[inline(always)]
pub(crate) fn mul_saturating(a: f32, b: f32) -> f32 {
    let p = crate::fenv::mul(a, b);
    if p.is_infinite() && a.is_finite() && b.is_finite() {
        if p < 0.0 {
            -f32::MAX
        } else {
            f32::MAX
        }
    } else {
        p
    }
}

/// |x| by clearing the sign bit (`f32::abs` is not in `core` on every supported toolchain).
#[inline(always)]
pub(crate) fn fabs(x: f32) -> f32 {
    f32::from_bits(x.to_bits() & 0x7FFF_FFFF)
}
