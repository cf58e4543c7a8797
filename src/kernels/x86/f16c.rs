//! f32 ↔ f16 with F16C's `vcvtps2ph` / `vcvtph2ps`. Under construction.

use crate::format::Format;
use crate::kernels::lanes::EncodeParams;

/// Encode with F16C where `F` is f16 and the mode is one the instruction has; false otherwise
/// (then nothing was written).
#[inline(always)]
pub(crate) fn encode<F: Format, const MODE: u8, const SAT: bool>(
    _src: &[f32],
    _dst: &mut [F],
    _p: &EncodeParams,
) -> bool {
    false
}

/// Decode with F16C where `F` is f16; false otherwise.
#[inline(always)]
pub(crate) fn decode<F: Format>(_src: &[F], _dst: &mut [f32]) -> bool {
    false
}
