//! The P3109 lanes give the same codes with MXCSR's FTZ and DAZ bits set (CONTRACT.md §14):
//! every 8-bit member that the batch kernels cover, signed and unsigned, extended and finite,
//! in every deterministic mode and in stochastic rounding, both policies, on every kernel
//! level, against the scalar core in the default environment. The inputs: every f32 exponent
//! with mantissas at the edges, both signs (f32 subnormals, which DAZ reads as zero, the zero
//! bounds, ±∞ and NaNs of both signs and several payloads among them), and a stride through
//! the f32 bits.
//!
//! MXCSR is per thread: the encodings run on a thread of their own with FTZ|DAZ set. x86-64
//! only (elsewhere the file is empty).
#![cfg(target_arch = "x86_64")]

mod mxcsr;

use lowp::p3109::{
    Binary8p1se, Binary8p1ue, Binary8p3se, Binary8p4se, Binary8p4sf, Binary8p5ue, Binary8p5uf,
    Binary8p7sf,
};
use lowp::{Format, Level, Overflow, Rounding};
use mxcsr::flushing;

fn inputs() -> Vec<f32> {
    let mut b: Vec<u32> = (0..40_000u32).map(|i| i.wrapping_mul(107_367)).collect();
    for e in 0..=255u32 {
        for d in [
            0u32, 1, 2, 0x3F_FFFF, 0x40_0000, 0x40_0001, 0x7F_FFFE, 0x7F_FFFF,
        ] {
            b.push((e << 23) | d);
        }
    }
    let neg: Vec<u32> = b.iter().map(|&x| x | 0x8000_0000).collect();
    b.extend(neg);
    b.into_iter().map(f32::from_bits).collect()
}

/// Runs `encode` on every level with FTZ and DAZ set and compares each output's codes with
/// `want` (computed by the caller in the default environment); `what` names the mode.
fn every_level<F: Format>(
    src: &[f32],
    want: &[u32],
    what: &str,
    encode: impl Fn(Level, &[f32], &mut [F]) + Send + Sync,
) {
    let got = flushing(|| {
        Level::available()
            .map(|level| {
                let mut dst = vec![F::from_bits_u32(0); src.len()];
                encode(level, src, &mut dst);
                (
                    level,
                    dst.iter().map(|x| x.to_bits_u32()).collect::<Vec<_>>(),
                )
            })
            .collect::<Vec<_>>()
    });
    for (level, got) in got {
        if let Some(i) = (0..src.len()).find(|&i| got[i] != want[i]) {
            panic!(
                "{} {level:?} {what}: input {:#010x} gave {:#x}, want {:#x}",
                F::NAME,
                src[i].to_bits(),
                got[i],
                want[i]
            );
        }
    }
}

fn check<F: Format>() {
    let src = inputs();
    for overflow in [Overflow::Ieee, Overflow::Saturate] {
        for rounding in Rounding::ALL {
            let want: Vec<u32> = src
                .iter()
                .map(|&x| F::from_f32_with(x, rounding, overflow).to_bits_u32())
                .collect();
            every_level::<F>(
                &src,
                &want,
                &format!("{rounding:?} {overflow:?}"),
                |l, s, d| l.encode_with(s, d, rounding, overflow),
            );
        }
        // Stochastic rounding: against the scalar level in the default environment, with the
        // same seed (the scalar level, too, runs again with FTZ and DAZ set).
        let mut want = vec![F::from_bits_u32(0); src.len()];
        Level::Scalar.encode_stochastic(&src, &mut want, SEED, overflow);
        let want: Vec<u32> = want.iter().map(|x| x.to_bits_u32()).collect();
        every_level::<F>(
            &src,
            &want,
            &format!("stochastic {overflow:?}"),
            |l, s, d| l.encode_stochastic(s, d, SEED, overflow),
        );
    }
}

const SEED: u64 = 0x5EED_3109;

#[test]
fn p3109_lanes_ignore_ftz_and_daz() {
    check::<Binary8p4se>();
    check::<Binary8p4sf>();
    check::<Binary8p3se>();
    check::<Binary8p1se>();
    check::<Binary8p7sf>();
    check::<Binary8p5ue>();
    check::<Binary8p5uf>();
    check::<Binary8p1ue>();
}
