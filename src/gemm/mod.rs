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
//! let a: Vec<F8E4M3FN> = (0..m * k).map(|i| F8E4M3FN::from_f32(1.0 + (i % 7) as f32)).collect();
//! let b: Vec<F8E4M3FN> = (0..k * n).map(|i| F8E4M3FN::from_f32(0.5 * (i % 3) as f32)).collect();
//! let mut c = vec![1.0e-3f32; m * n];
//! matmul(&mma, m, n, k, &a, &b, &mut c).unwrap();
//! // Hopper's FP8 wgmma keeps 13 fraction bits: the small c vanishes below the big products.
//! assert_eq!(c[0] % 1.0, 0.0);
//! ```
//!
//! Beside the instruction level: the integer products of ONNX ([`matmul_integer`],
//! [`qlinear_matmul`], bit-exact with onnxruntime), and the software level that kernels add
//! around the instruction ([`Gemm`]: operand scales, blocks, promotion into an f32
//! accumulator, reference accumulators).

pub(crate) extern crate alloc;

mod driver;
mod exact;
mod fast;
mod integer;
mod model;
mod preset;


pub use driver::{matmul, matmul_scaled, set_level, Level};
pub use integer::{matmul_integer, qlinear_matmul};
pub use model::{Model, OutputRounding};
pub use preset::{BlockScale, Mma, Operand};

