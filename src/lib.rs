//! # lowp — bit-exact machine-learning number formats
//!
//! ```
//! use lowp::{Format, F8E4M3FN, Rounding, Overflow};
//! let x = F8E4M3FN::from_f32(0.1);                 // nearest even, IEEE overflow
//! assert_eq!((x.to_bits(), x.to_f32()), (0x1d, 0.1015625));
//! assert_eq!(F8E4M3FN::from_f32(464.0).to_bits(), 0x7e); // tie → 448 (even)
//! assert!(F8E4M3FN::from_f32(465.0).is_nan());           // beyond: NaN (no ∞ in E4M3FN)
//! assert_eq!(F8E4M3FN::from_f32_with(1e6, Rounding::NearestEven, Overflow::Saturate), F8E4M3FN::MAX);
//! ```
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod format;
pub mod formats;
mod kernels;
pub mod packing;
pub mod quant;
pub mod round;
pub mod slice;

pub use error::Error;
pub use format::{Fields, Format, NanEncoding, Overflow, Rounding, Spec};
pub use formats::{
    BF16, F16, F4E2M1FN, F6E2M3FN, F6E3M2FN, F8E3M4, F8E4M3, F8E4M3B11FNUZ, F8E4M3FN, F8E4M3FNUZ,
    F8E5M2, F8E5M2FNUZ, F8E8M0FNU, FORMATS, TF32,
};
pub use half;
pub use slice::*;
