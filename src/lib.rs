//! # lowp — bit-exact machine-learning number formats
//!
//! ```
//! use lowp::{Overflow, Rounding, F16, F8E4M3FN};
//! let x = lowp::round::<F8E4M3FN>(0.1f32);         // nearest even, IEEE overflow
//! assert_eq!((x.to_bits(), x.to_f32()), (0x1d, 0.1015625));
//! assert_eq!(lowp::round::<F8E4M3FN>(464.0f32).to_bits(), 0x7e); // tie → 448 (even)
//! assert!(lowp::round::<F8E4M3FN>(465.0f32).is_nan());           // beyond: NaN (no ∞ in E4M3FN)
//! let s = lowp::round_with::<F8E4M3FN>(1e6f32, Rounding::NearestEven, Overflow::Saturate);
//! assert_eq!(s, F8E4M3FN::MAX);
//! let h = lowp::round::<F16>(1.0 + 2f64.powi(-11) + 2f64.powi(-40)); // f64: rounded once
//! assert_eq!(h.to_bits(), 0x3C01);
//! ```
//!
//! **Convert with [`round()`], [`round_with`], [`round_stochastic`] and [`try_round`]** (or the
//! [`Format`] trait's methods): they take an `f32` or an `f64` and round it once into any
//! format. [`F16`] and [`BF16`] are `half`'s types, and their *inherent* `from_f64` — which is
//! what `F16::from_f64(x)` calls, even with [`Format`] in scope — is `half`'s, which rounds
//! through `f32` and so double-rounds (1 + 2^-11 + 2^-40 → 0x3C00 instead of 0x3C01). The
//! 8-, 6- and 4-bit types' inherent methods are lowp's own and correct.
//!
//! Every conversion gives exactly the bits that the reference systems give (ml_dtypes, ONNX
//! Runtime, PyTorch, the OCP specifications), from `f32` and from `f64` alike: an `f64` is
//! rounded once, never through `f32` (which double-rounds, as `half` and ml_dtypes' numpy casts
//! do). One scalar rounding core ([`mod@round`]) is the single source of truth; the batch kernels
//! ([`encode`], [`decode`](fn@decode), …) are tested to give its bits on every f32 input.
//!
//! ## Formats
//!
//! | type | reference name | E | M | bias | max | min normal | min subnormal | ∞ | NaN | −0 |
//! |---|---|---|---|---|---|---|---|---|---|---|
//! | `f32` | float32 | 8 | 23 | 127 | 3.40282e38 | 2^-126 | 2^-149 | yes | IEEE | yes |
//! | [`TF32`] | tf32 | 8 | 10 | 127 | 3.40116e38 | 2^-126 | 2^-136 | yes | IEEE | yes |
//! | [`F16`] (`half::f16`) | float16 | 5 | 10 | 15 | 65504 | 2^-14 | 2^-24 | yes | IEEE | yes |
//! | [`BF16`] (`half::bf16`) | bfloat16 | 8 | 7 | 127 | 3.38953e38 | 2^-126 | 2^-133 | yes | IEEE | yes |
//! | [`F8E4M3FN`] | float8_e4m3fn | 4 | 3 | 7 | 448 | 2^-6 | 2^-9 | no | `0x7F`, `0xFF` | yes |
//! | [`F8E5M2`] | float8_e5m2 | 5 | 2 | 15 | 57344 | 2^-14 | 2^-16 | yes | `0x7D–7F`, `0xFD–FF` | yes |
//! | [`F8E4M3FNUZ`] | float8_e4m3fnuz | 4 | 3 | 8 | 240 | 2^-7 | 2^-10 | no | `0x80` | no |
//! | [`F8E5M2FNUZ`] | float8_e5m2fnuz | 5 | 2 | 16 | 57344 | 2^-15 | 2^-17 | no | `0x80` | no |
//! | [`F8E4M3B11FNUZ`] | float8_e4m3b11fnuz | 4 | 3 | 11 | 30 | 2^-10 | 2^-13 | no | `0x80` | no |
//! | [`F8E3M4`] | float8_e3m4 | 3 | 4 | 3 | 15.5 | 0.25 | 2^-6 | yes | `0x71–7F`, `0xF1–FF` | yes |
//! | [`F8E4M3`] | float8_e4m3 | 4 | 3 | 7 | 240 | 2^-6 | 2^-9 | yes | `0x79–7F`, `0xF9–FF` | yes |
//! | [`F8E8M0FNU`] | float8_e8m0fnu (unsigned) | 8 | 0 | 127 | 2^127 | 2^-127 | — | no | `0xFF` | no zero |
//! | [`F6E2M3FN`] | float6_e2m3fn | 2 | 3 | 1 | 7.5 | 1 | 0.125 | no | none | yes |
//! | [`F6E3M2FN`] | float6_e3m2fn | 3 | 2 | 3 | 28 | 0.25 | 0.0625 | no | none | yes |
//! | [`F4E2M1FN`] | float4_e2m1fn | 2 | 1 | 1 | 6 | 1 | 0.5 | no | none | yes |
//!
//! Each is one row of the table in [`formats::table`]; all behaviour is generic over the
//! [`Format`] trait. Storage is one value per byte (FP6/FP4 in the low bits), a `u16`, or for
//! TF32 an f32 bit pattern with the low 13 bits zero; [`packing`] packs FP4 two per byte and FP6
//! four per three bytes. TF32's max is (2 − 2^-10)·2^127 = 3.40116e38.
//!
//! ## Rounding and overflow
//!
//! - Decoding is exact. NaN decodes to a quiet NaN, with the encoding's sign where the format
//!   has signed NaNs; f16/bf16/TF32 keep their payload (quiet bit set, as F16C does).
//! - Encoding rounds the exact input once, in one of the six [`Rounding`] modes (IEEE 754
//!   meanings, plus round-to-odd), default nearest-even. Subnormal results are produced and
//!   subnormal inputs honoured, never flushed.
//! - [`Overflow::Ieee`] (default, ml_dtypes-compatible): beyond max *after* rounding with an
//!   unbounded exponent (464 → 448 but 465 → NaN in E4M3FN), the nearest modes give ±∞ (NaN
//!   where the format has no ∞; ±max for FP6/FP4, which have neither), toward-zero and odd give
//!   ±max, the directed modes ∞ on their side and max on the other. An ∞ input gives ∞, NaN or
//!   ±max the same way, in every mode.
//! - [`Overflow::Saturate`] (OCP "saturating", PTX `satfinite`, ONNX `saturate=1`): ±max for
//!   every out-of-range input including ±∞ (also for FNUZ, following the ONNX operator table,
//!   onnxruntime and PTX rather than ONNX's float8 note); NaN stays NaN.
//! - NaN inputs give the format's quiet NaN with the input's sign where NaNs are signed (E4M3FN
//!   `0x7F|s`, E5M2 `0x7E|s`, E4M3 `0x7C|s`, E3M4 `0x78|s`, FNUZ `0x80`, E8M0 `0xFF`); f16, bf16
//!   and TF32 keep the payload's top bits with the quiet bit set; FP6/FP4, which have no NaN,
//!   give +0 (the checked [`F4E2M1FN::try_from_f32`] and friends return an `Err` instead).
//! - −0 stays −0, except in the FNUZ formats (+0: their `0x80` is NaN).
//! - E8M0 has no sign, no zero and a significand that is always 1: 0, negatives, NaN and −∞ give
//!   NaN; +∞ gives NaN (Ieee) or 2^127 (Saturate); inputs below 2^-127 give 2^-127; the midpoint
//!   1.5·2^k rounds up in nearest-even; odd equals toward-zero. ml_dtypes rounds every f32
//!   subnormal in (2^-127, 2^-126) up; lowp rounds them to nearest (a documented divergence).
//! - Stochastic rounding ([`Format::from_f32_stochastic`]) adds a 32-bit random word to the
//!   dropped fraction of an ulp and keeps the carry (the hardware rule); the batch
//!   [`encode_stochastic`] derives element i's word from a seed with SplitMix64, so results do
//!   not depend on SIMD width or thread count.
//!
//! ## Batch conversion and hardware
//!
//! [`encode`], [`encode_with`], [`encode_stochastic`], [`decode`](fn@decode) and the rest of
//! [`mod@slice`] convert slices with kernels chosen at run time (AVX-512, AVX2+F16C+FMA, or a
//! portable path that LLVM vectorizes elsewhere); every level gives the scalar core's bits.
//!
//! ## Quantization
//!
//! [`quant`]: int8/int4 quantization (ONNX QuantizeLinear/DequantizeLinear rules, bit-exact
//! with onnxruntime), per tensor, per axis and per block; observers; scaled FP8 with delayed
//! scaling; OCP MX block formats and NVFP4; error metrics.
//!
//! ## Features
//!
//! - `std` (default): run-time CPU feature detection, and the standard library's math for the
//!   `num_traits::Float` impls. Without it the crate is `no_std` (it still needs `alloc`), uses
//!   the portable kernels, and `num_traits::Float` comes through `libm`.
//! - `serde`: `Serialize`/`Deserialize` for every format type, as its encoding (like `half`).
//! - `bytemuck` (default): `Pod`/`Zeroable` for every format type (and `half`'s), so slices of
//!   formats cast to and from bytes.
//! - `rayon`: parallel forms of the batch conversions, with results equal to the sequential
//!   ones.
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[doc = include_str!("../CONTRACT.md")]
pub mod contract {}
pub mod batch;
mod decode;
pub mod error;
mod exact;
mod fenv;
pub mod format;
pub mod formats;
pub mod gemm;
mod kernels;
pub mod p3109;
pub mod packing;
pub mod quant;
pub mod round;
pub mod slice;
mod spec;
mod vec;

pub use error::Error;
pub use exact::{round, round_stochastic, round_with, try_round, FloatInput};
pub use format::{Fields, Format, NanEncoding, Overflow, Rounding, Spec};
// Every type of the formats table (BF16, F16, F4E2M1FN, F6E2M3FN, F6E3M2FN, F8E3M4, F8E4M3,
// F8E4M3B11FNUZ, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0FNU, TF32): a new row is
// exported here without another list.
pub use formats::types::*;
pub use formats::FORMATS;
pub use half;
pub use slice::*;
pub use vec::{decode_packed_vec, decode_vec, encode_packed_vec, encode_vec};
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
