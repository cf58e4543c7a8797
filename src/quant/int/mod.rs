//! Integer quantization with a scale and a zero point (ONNX `QuantizeLinear`,
//! `DequantizeLinear`, `DynamicQuantizeLinear`), per tensor, per axis and blocked.
//!
//! quantize: q = clamp(round_half_even(x / scale) + zero_point, qmin, qmax), one `f32`
//! division (or, with [`ScaleRule::Reciprocal`], one multiply by `1.0f32 / scale` as PyTorch's
//! `quantize_val` and FBGEMM do). dequantize: (q − zero_point) as `f32` × scale, one multiply.
//!
//! Special inputs: ±∞ saturate to qmax / qmin; **NaN gives the zero point** (it dequantizes to
//! 0). onnxruntime gives qmin for NaN instead; that is the one documented divergence.
//!
//! The module's parts: [`QParams`] and their choice (`params`), the integer types (`types`),
//! per tensor (`tensor`), per axis (`axis`), blocked (`blocked`), 4-bit packing (`packed`), and
//! the loops of all of them, run as kernel jobs (`jobs`).

mod axis;
mod blocked;
mod jobs;
mod packed;
mod params;
mod tensor;
mod types;

pub use axis::{
    dequantize_per_axis, fake_quantize_per_axis, fake_quantize_per_axis_with, quantize_per_axis,
    quantize_per_axis_with,
};
pub use blocked::{
    dequantize_blocked, fake_quantize_blocked, fake_quantize_blocked_with, quantize_blocked,
    quantize_blocked_with,
};
pub use packed::{dequantize_packed, pack_4bit, packed_4bit_len, quantize_packed, unpack_4bit};
pub(crate) use packed::{dequantize_per_axis_packed, quantize_per_axis_packed};
pub use params::{
    choose_qparams, qparams_blocked, qparams_from_data, qparams_per_axis, QParams, QuantOptions,
    ScaleRule, Scheme,
};
pub use tensor::{
    dequantize, dynamic_quantize_u8, fake_quantize, fake_quantize_in_place, fake_quantize_with,
    quantize, quantize_with,
};
pub use types::{Nibble, QuantInt, I4, U4};

#[cfg(test)]
mod tests {
    use super::jobs::Kernel;
    use super::*;
    use crate::Error;

    #[test]
    fn division_vs_reciprocal() {
        let p = QParams::new(0.615_769_74, 0);
        let mut a = [0i8; 1];
        quantize(&[56.342_93], p, &mut a).unwrap();
        let mut b = [0i8; 1];
        let o = QuantOptions {
            rule: ScaleRule::Reciprocal,
            ..Default::default()
        };
        quantize_with(&[56.342_93], p, o, &mut b).unwrap();
        assert_eq!((a[0], b[0]), (92, 91));
    }

    #[test]
    fn kernel_matches_reference() {
        // Compare the magic-number kernel with a plain f64 reference on many values.
        let mut s: u32 = 1;
        for _ in 0..200_000 {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let x = f32::from_bits(s);
            if x.is_nan() {
                continue;
            }
            let p = QParams::new(0.037, 3);
            let k = Kernel::new::<i8>(p, QuantOptions::default());
            let v = x / p.scale;
            let want = if v.is_nan() {
                3
            } else {
                let r = (v as f64).clamp(-131.0, 124.0);
                let fl = r.floor();
                let d = r - fl;
                let rr = if d > 0.5 || (d == 0.5 && fl % 2.0 != 0.0) {
                    fl + 1.0
                } else {
                    fl
                };
                rr as i32 + 3
            };
            assert_eq!(k.q::<false>(x), want, "x = {x:e}");
        }
    }

    /// An alternative for SIMD kernels without a fast vector division: f32(f64(x) · f64(1/s))
    /// equals the f32 quotient x / s unless that quotient is subnormal. Why: the f64 product
    /// has relative error < 2^-52, while a quotient of two f32 values is never within 2^-49
    /// (relative) of a midpoint m = (2k+1)·2^(e−24) between adjacent f32 values — x and m·s
    /// are multiples of 2^(e+e_s−47) and differ, because the odd part of m·s has ≥ 25 bits
    /// and x has ≤ 24 — so both round to the same f32 (the overflow threshold is such a
    /// midpoint too).
    #[test]
    fn f64_reciprocal_product_is_the_f32_quotient() {
        let mut s: u64 = 0x1234_5678_9ABC_DEF1;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let n = if cfg!(debug_assertions) {
            200_000
        } else {
            20_000_000
        };
        for i in 0..n {
            let r = next();
            let x = f32::from_bits(r as u32);
            // Scales: random positive finite, often with short significands (common scales).
            let sb = (r >> 32) as u32 & 0x7FFF_FFFF;
            let sb = if i % 3 == 0 { sb & 0x7FFF_0000 } else { sb };
            let scale = f32::from_bits(sb);
            if !(scale.is_finite() && scale > 0.0) || x.is_nan() {
                continue;
            }
            let q = x / scale;
            let p = (x as f64 * (1.0 / scale as f64)) as f32;
            if q.abs() < f32::MIN_POSITIVE {
                // Subnormal quotients may differ in their last bits (the f64 product rounds
                // twice there); both round to the integer 0.
                assert!(p.abs() <= f32::MIN_POSITIVE);
                continue;
            }
            assert!(
                q.to_bits() == p.to_bits(),
                "x = {x:e}, scale = {scale:e}: {q:e} vs {p:e}"
            );
        }
        // Ties: x = (k + 0.5)·scale rounded to f32, and neighbours.
        for &scale in &[0.615_769_74f32, 0.1, 1.0 / 3.0, 3e-5, 0.0123, 7.0] {
            for k in -300..300 {
                let t = ((k as f64 + 0.5) * scale as f64) as f32;
                for x in [
                    f32::from_bits(t.to_bits() - 1),
                    t,
                    f32::from_bits(t.to_bits() + 1),
                ] {
                    let p = (x as f64 * (1.0 / scale as f64)) as f32;
                    assert_eq!((x / scale).to_bits(), p.to_bits(), "{x:e} {scale:e}");
                }
            }
        }
    }

    #[test]
    fn errors_write_nothing() {
        let mut q = [7i8; 2];
        assert_eq!(
            quantize(&[1.0, 2.0], QParams::new(0.0, 0), &mut q),
            Err(Error::InvalidScale { scale: 0.0 })
        );
        assert_eq!(
            quantize(&[1.0, 2.0], QParams::new(1.0, 200), &mut q),
            Err(Error::ZeroPointOutOfRange {
                zero_point: 200,
                min: -128,
                max: 127
            })
        );
        let p = [QParams::new(1.0, 0), QParams::new(-1.0, 0)];
        assert!(quantize_per_axis(&[1.0, 2.0], &[2], 0, &p, &mut q).is_err());
        assert_eq!(q, [7, 7]);
    }

    #[test]
    fn i4_roundtrip() {
        for v in -8..=7 {
            assert_eq!(I4::from_i32(v).to_i32(), v);
            assert_eq!(I4::from_nibble(I4::from_i32(v).to_nibble()).to_i32(), v);
        }
        for v in 0..=15 {
            assert_eq!(U4::from_nibble(U4::from_i32(v).to_nibble()).to_i32(), v);
        }
    }
}
