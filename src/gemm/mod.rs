//! Matrix products exactly as the hardware computes them.
//!
//! An [`Mma`] is one matrix instruction — NVIDIA `mma` / `wgmma` / `tcgen05.mma` (Volta to
//! Blackwell, block-scaled kinds included) or AMD `mfma` (CDNA1–3) — reduced to the arithmetic
//! model that MMA-Sim (arXiv 2511.10909, PyPI `mmasim`) validated bit for bit against the GPUs:
//! a [`Model`] with its parameters (truncated fused dot-product-add T-FDPA and its scaled forms
//! ST-/GST-FDPA, AMD's two-stage TR-/GTR-FDPA, exact E-FDPA, FTZ multiply-add, FMA).
//! [`matmul`] issues the instruction k/k_instr times in order over one accumulator per output,
//! so every output bit equals what the GPU writes. The models are evaluated in exact integer
//! arithmetic (no floating-point instruction), so no result depends on the FP environment.
//!
//! ```
//! use lowp::gemm::{matmul, Mma};
//! use lowp::F8E4M3FN;
//! let mma = Mma::nvidia("Hopper", "wgmma", "m64n8k32.f32.e4m3.e4m3").unwrap();
//! let (m, n, k) = (2, 3, 64);
//! let a = vec![F8E4M3FN::from_f32(1.0); m * k];
//! let b = vec![F8E4M3FN::from_f32(1.0); k * n];
//! let mut c = vec![1.0e-3f32; m * n];
//! matmul(&mma, m, n, k, &a, &b, &mut c).unwrap();
//! // Hopper's FP8 wgmma accumulates in E8M13 (13 fraction bits, truncated): the 0.001
//! // vanishes, where an f32 FMA loop would give 64.001.
//! assert_eq!(c, vec![64.0; m * n]);
//! ```
//!
//! Beside the instruction level: the f64 instructions ([`matmul_f64`]: f64 is not a lowp
//! format), the integer products of ONNX ([`matmul_integer`], [`qlinear_matmul`], bit-exact
//! with onnxruntime, on a blocked AVX-512 VNNI / AVX2 / portable int8 GEMM), and the software
//! level that kernels add around the instruction ([`Gemm`]: operand scales, blocks, promotion
//! into an f32 accumulator, reference accumulators, quantize-and-multiply from f32 through
//! lowp's scaled, MX and NVFP4 quantizers).

// The public signatures are the issue's (m, n, k and the operands are separate arguments).
#![allow(clippy::too_many_arguments)]

pub(crate) extern crate alloc;

mod driver;
mod exact;
pub(crate) mod exact_gemm;
mod f64;
pub(crate) mod fast;
pub(crate) mod int8;
mod integer;
mod model;
mod preset;
mod software;
pub(crate) mod tfdpa;

pub use driver::{matmul, matmul_scaled, set_level, Level};
pub use f64::{matmul_f64, F64_NAN};
pub use integer::{matmul_integer, qlinear_matmul};
pub use model::{Model, OutputRounding};
pub use preset::{BlockScale, Mma, Operand};
pub use software::{Accumulation, Gemm, Quantizer, Scaling};
