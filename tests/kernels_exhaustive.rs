//! The proof that the batch kernels are right, over all 2^32 f32 inputs.
//!
//! For every format, every kernel level this CPU has (every `Level` but `Scalar`, which is the
//! scalar core itself), in every rounding mode with both overflow policies:
//!
//! - the deterministic modes against the independent reference of `tests/common` (the format's
//!   table, its sorted values and their midpoints, never `lowp::Spec`), evaluated as a step
//!   function of the input's bit pattern ([`common::Steps`]) so that it runs at memory speed;
//! - stochastic rounding against the scalar core (`Format::from_f32_stochastic`, itself proven
//!   against the contract's rule in `tests/stochastic.rs`), with the documented SplitMix64 words.
//!
//! The portable level (the build's baseline code, which is what other targets vectorise) is the
//! slowest to run here: it takes every input in nearest-even and every 13th input in the other
//! modes (the SIMD levels run the same lane code, and take every input in every mode); this
//! keeps CI's full run within its budget.
//!
//! By default the sweep takes every 127th input in release builds (every 4099th in debug
//! builds), so that `cargo test --release` stays quick; `LOWP_FULL=1` (which CI sets) takes
//! every input, spread over the machine's cores. `LOWP_EXHAUSTIVE_STRIDE=n` overrides the stride.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use common::{Row, Steps};
use lowp::{
    Format, Level, Overflow, Rounding, BF16, F16, F4E2M1FN, F6E2M3FN, F6E3M2FN, F8E3M4, F8E4M3,
    F8E4M3B11FNUZ, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0FNU, TF32,
};

/// The portable level in the modes other than nearest-even takes at most every 13th input even
/// under `LOWP_FULL` (see the module docs).
const PORTABLE_STRIDE: u64 = 13;

/// Inputs per work item.
const CHUNK: u64 = 1 << 16;
const SEED: u64 = 0x5EED_0F10_3B17;

fn stride() -> u64 {
    static STRIDE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *STRIDE.get_or_init(|| common::sweep_stride(127, 4099))
}

/// The word of element `i` (CONTRACT.md §3), written out independently of the crate.
fn splitmix(seed: u64, i: u64) -> u32 {
    let mut z = seed.wrapping_add((i + 1).wrapping_mul(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
    z ^= z >> 31;
    (z >> 32) as u32
}

/// `None`: stochastic rounding.
type Mode = Option<Rounding>;

/// Sweep every input (or every `stride`-th) for one format and one mode/policy, comparing the
/// levels in `levels` with the reference. The inputs of work item `k` are the f32 bit
/// patterns `(k·CHUNK + j)·stride`, j < CHUNK; with stochastic rounding they are encoded as
/// one slice, so element j gets word r_j.
fn sweep<F: Format + bytemuck::Pod>(mode: Mode, overflow: Overflow, levels: &[Level], stride: u64) {
    let steps = match (mode, row(F::NAME)) {
        (Some(r), Some(row)) => Some(Steps::new(&row, r, overflow)),
        _ => None,
    };
    let items = (1u64 << 32).div_ceil(stride).div_ceil(CHUNK);
    let next = AtomicU64::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut src = vec![0.0f32; CHUNK as usize];
                let mut want = vec![0u32; CHUNK as usize];
                let mut got = vec![F::from_bits_u32(0); CHUNK as usize];
                let mut want_f = vec![F::from_bits_u32(0); CHUNK as usize];
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= items {
                        break;
                    }
                    let start = k * CHUNK * stride;
                    let n = ((1u64 << 32) - start).div_ceil(stride).min(CHUNK) as usize;
                    let src = &mut src[..n];
                    // (start + j·stride < 2^32 for every j < n, so the u32 arithmetic is exact.)
                    for (j, x) in src.iter_mut().enumerate() {
                        *x = f32::from_bits(start as u32 + j as u32 * stride as u32);
                    }
                    let src = &src[..];
                    match &steps {
                        Some(steps) => steps.fill(k * CHUNK * stride, stride, &mut want[..n]),
                        None => reference::<F>(mode, overflow, src, &mut want[..n]),
                    }
                    // The expected values in the format's own storage, so that each level's
                    // output is compared with one memcmp.
                    for (f, &w) in want_f[..n].iter_mut().zip(&want[..n]) {
                        *f = F::from_bits_u32(w);
                    }
                    let want_bytes: &[u8] = bytemuck::cast_slice(&want_f[..n]);
                    for &level in levels {
                        let out = &mut got[..n];
                        match mode {
                            Some(r) => level.encode_with(src, out, r, overflow),
                            None => level.encode_stochastic(src, out, SEED, overflow),
                        }
                        // One memcmp first; details only on failure.
                        if bytemuck::cast_slice::<F, u8>(out) != want_bytes {
                            let j = (0..n).find(|&j| out[j].to_bits_u32() != want[j]).unwrap();
                            panic!(
                                "{} {mode:?} {overflow:?} on {level:?}: input {:#010x} gave {:#x}, \
                                 the reference {:#x}",
                                F::NAME,
                                src[j].to_bits(),
                                out[j].to_bits_u32(),
                                want[j]
                            );
                        }
                    }
                }
            });
        }
    });
}

/// The table row of a format (None for f32 itself, which has none).
fn row(name: &str) -> Option<Row> {
    common::rows().into_iter().find(|r| r.name == name)
}

/// The scalar core, for what the step-function reference does not cover: stochastic rounding
/// (with the documented words) and f32 itself (the identity, which has no table row).
fn reference<F: Format>(mode: Mode, overflow: Overflow, src: &[f32], want: &mut [u32]) {
    for (j, (w, &x)) in want.iter_mut().zip(src).enumerate() {
        *w = match mode {
            Some(r) => F::from_f32_with(x, r, overflow),
            None => F::from_f32_stochastic(x, splitmix(SEED, j as u64), overflow),
        }
        .to_bits_u32();
    }
}

/// Every mode and policy of `F` on every level (see the module docs for which inputs).
fn format<F: Format + bytemuck::Pod>() {
    assert!(
        row(F::NAME).is_some(),
        "{} has no row in tests/common",
        F::NAME
    );
    let simd: Vec<Level> = Level::available()
        .filter(|l| !matches!(l, Level::Scalar | Level::Portable))
        .collect();
    let t = Instant::now();
    let modes = Rounding::ALL.map(Some).into_iter().chain([None]);
    for mode in modes {
        for overflow in [Overflow::Ieee, Overflow::Saturate] {
            if mode == Some(Rounding::NearestEven) {
                let all = [&[Level::Portable][..], &simd].concat();
                sweep::<F>(mode, overflow, &all, stride());
            } else {
                sweep::<F>(mode, overflow, &simd, stride());
                sweep::<F>(
                    mode,
                    overflow,
                    &[Level::Portable],
                    stride().max(PORTABLE_STRIDE),
                );
            }
        }
    }
    eprintln!(
        "{}: {} in {:.1} s (every mode and policy on Portable and {simd:?})",
        F::NAME,
        if stride() == 1 {
            "all 2^32 inputs".to_string()
        } else {
            format!("every {}th input", stride())
        },
        t.elapsed().as_secs_f64(),
    );
}

// One test per format, so that a failure names it and the harness can report progress.
#[test]
fn exhaustive_tf32() {
    format::<TF32>();
}
#[test]
fn exhaustive_f16() {
    format::<F16>();
}
#[test]
fn exhaustive_bf16() {
    format::<BF16>();
}
#[test]
fn exhaustive_f8e4m3fn() {
    format::<F8E4M3FN>();
}
#[test]
fn exhaustive_f8e5m2() {
    format::<F8E5M2>();
}
#[test]
fn exhaustive_f8e4m3fnuz() {
    format::<F8E4M3FNUZ>();
}
#[test]
fn exhaustive_f8e5m2fnuz() {
    format::<F8E5M2FNUZ>();
}
#[test]
fn exhaustive_f8e4m3b11fnuz() {
    format::<F8E4M3B11FNUZ>();
}
#[test]
fn exhaustive_f8e3m4() {
    format::<F8E3M4>();
}
#[test]
fn exhaustive_f8e4m3() {
    format::<F8E4M3>();
}
#[test]
fn exhaustive_f8e8m0fnu() {
    format::<F8E8M0FNU>();
}
#[test]
fn exhaustive_f6e2m3fn() {
    format::<F6E2M3FN>();
}
#[test]
fn exhaustive_f6e3m2fn() {
    format::<F6E3M2FN>();
}
#[test]
fn exhaustive_f4e2m1fn() {
    format::<F4E2M1FN>();
}

/// f32 itself: every level is the identity (nearest-even sweep, all levels).
#[test]
fn exhaustive_f32_identity() {
    let all: Vec<Level> = Level::available().filter(|l| *l != Level::Scalar).collect();
    sweep::<f32>(Some(Rounding::NearestEven), Overflow::Ieee, &all, stride());
}
