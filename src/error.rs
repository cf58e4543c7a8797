//! The crate's one error type.

use core::fmt;

/// Everything that a checked conversion, a `try_` batch call or a quantizer can reject.
///
/// Every variant says what was wrong and, where it helps, with which value. Nothing is
/// written to an output buffer when an `Err` is returned.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A slice does not have the length the operation needs (counted in elements, or in bytes
    /// for a packed buffer).
    LengthMismatch {
        /// What the operation needed (usually the input length).
        expected: usize,
        /// What it was given.
        found: usize,
    },
    /// A finite input is beyond the format's largest finite value after rounding, so the
    /// conversion would have produced an infinity, a NaN or a saturated value.
    Overflow {
        /// The format's reference name, e.g. `"float8_e4m3fn"`.
        format: &'static str,
        /// The input.
        value: f64,
    },
    /// The input is a NaN and the format has no NaN (FP6, FP4).
    NanNotRepresentable {
        /// The format's reference name.
        format: &'static str,
    },
    /// The input is infinite and the format has no infinity.
    InfinityNotRepresentable {
        /// The format's reference name.
        format: &'static str,
    },
    /// The input has no representation at all in the format (zero or a negative number in the
    /// unsigned, zero-less `float8_e8m0fnu`).
    NotRepresentable {
        /// The format's reference name.
        format: &'static str,
        /// The input.
        value: f64,
    },
    /// A quantization scale is zero, negative, NaN or infinite.
    InvalidScale {
        /// The scale given.
        scale: f32,
    },
    /// A zero point lies outside the range of the quantized integer type.
    ZeroPointOutOfRange {
        /// The zero point given.
        zero_point: i32,
        /// The smallest value of the type.
        min: i32,
        /// The largest value of the type.
        max: i32,
    },
    /// The product of a shape's dimensions is not the length of the data.
    ShapeMismatch {
        /// Product of the shape's dimensions.
        elements: usize,
        /// Length of the data.
        len: usize,
    },
    /// An axis is not below the number of dimensions.
    AxisOutOfRange {
        /// The axis given.
        axis: usize,
        /// Number of dimensions of the shape.
        rank: usize,
    },
    /// The number of quantization parameters does not match what the shape and axis need.
    ParamCountMismatch {
        /// How many parameters the shape, axis (and block size) need.
        expected: usize,
        /// How many were given.
        found: usize,
    },
    /// A block size of zero.
    ZeroBlockSize,
    /// An input that the operation cannot accept, with the reason.
    InvalidInput(&'static str),
    /// A configuration parameter (of an observer, a scaling recipe, …) outside its valid range.
    InvalidParameter {
        /// What the parameter is, e.g. `"percentile"`.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The valid range, e.g. `"in (0, 100]"`.
        valid: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::LengthMismatch { expected, found } => {
                write!(
                    f,
                    "length mismatch: expected a length of {expected}, found {found}"
                )
            }
            Error::Overflow { format, value } => {
                write!(
                    f,
                    "{value} overflows {format} (beyond its largest finite value)"
                )
            }
            Error::NanNotRepresentable { format } => write!(f, "{format} has no NaN"),
            Error::InfinityNotRepresentable { format } => write!(f, "{format} has no infinity"),
            Error::NotRepresentable { format, value } => {
                write!(f, "{value} is not representable in {format}")
            }
            Error::InvalidScale { scale } => write!(
                f,
                "invalid scale {scale}: a scale must be finite and greater than zero"
            ),
            Error::ZeroPointOutOfRange {
                zero_point,
                min,
                max,
            } => write!(f, "zero point {zero_point} outside [{min}, {max}]"),
            Error::ShapeMismatch { elements, len } => write!(
                f,
                "shape mismatch: the shape has {elements} elements but the data has {len}"
            ),
            Error::AxisOutOfRange { axis, rank } => {
                write!(f, "axis {axis} out of range for a tensor of rank {rank}")
            }
            Error::ParamCountMismatch { expected, found } => write!(
                f,
                "parameter count mismatch: expected {expected} parameters, found {found}"
            ),
            Error::ZeroBlockSize => write!(f, "block size must be at least 1"),
            Error::InvalidInput(why) => write!(f, "invalid input: {why}"),
            Error::InvalidParameter { name, value, valid } => {
                write!(f, "invalid {name} {value}: it must be {valid}")
            }
        }
    }
}

impl core::error::Error for Error {}
