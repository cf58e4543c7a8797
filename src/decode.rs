//! Decoding: an encoding to the bits of its exact `f32` value, with integer arithmetic only (a
//! `const fn`, so that the 8-bit formats' 256-entry tables are built at compile time and the
//! kernels take their special codes from the same function). Decoding is exact: every value of
//! every format lies on `f32`'s grid.

use crate::spec::{NanEncoding, Spec};

/// Decode storage bits to the bits of the exact `f32` (integer arithmetic only, `const`).
///
/// NaN decodes to a quiet NaN: with the encoding's sign where the format has signed NaNs, and
/// with the payload (shifted up, quiet bit set, as F16C does) where the format keeps payloads.
pub const fn decode_to_f32_bits(spec: &Spec, bits: u32) -> u32 {
    let code = (bits >> spec.storage_shift) & spec.code_mask();
    let neg = spec.is_negative_code(code);
    let sign_out = if neg { 0x8000_0000u32 } else { 0 };
    let mag = code & spec.magnitude_mask();
    let m = spec.mantissa_bits;
    if spec.is_nan_code(code) {
        return match spec.nan {
            NanEncoding::Ieee => {
                let payload = if spec.nan_payload {
                    (mag & spec.mantissa_mask()) << (23 - m)
                } else {
                    0
                };
                sign_out | 0x7FC0_0000 | payload
            }
            NanEncoding::AllOnes => sign_out | 0x7FC0_0000,
            _ => 0x7FC0_0000,
        };
    }
    if spec.is_infinite_code(code) {
        return sign_out | 0x7F80_0000;
    }
    let field = (mag >> m) as i32;
    let mant = mag & spec.mantissa_mask();
    // value = n · 2^k with n an integer.
    let (n, k) = if !spec.subnormals {
        ((1u32 << m) | mant, field - spec.bias - m as i32)
    } else if field == 0 {
        (mant, spec.min_exponent() - m as i32)
    } else {
        ((1u32 << m) | mant, field - spec.bias - m as i32)
    };
    if n == 0 {
        return sign_out;
    }
    // Normalise n to 24 bits (leading one at bit 23).
    let msb = 31 - n.leading_zeros() as i32;
    let n = n << (23 - msb);
    let e = k + msb; // exponent of the leading bit
    let biased = e + 127;
    if biased >= 1 {
        sign_out | ((biased as u32) << 23) | (n & 0x7F_FFFF)
    } else {
        // An f32 subnormal: every format's values lie on f32's grid, so this is exact.
        sign_out | (n >> (1 - biased))
    }
}

/// The 256-entry decode table of an 8-bit (or narrower) format, built at compile time.
pub const fn decode_table(spec: &Spec) -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = decode_to_f32_bits(spec, i as u32);
        i += 1;
    }
    t
}
