//! Every f32 input (all 2^32 bit patterns) into every format through the scalar core
//! (`Format::from_f32_with`), nearest-even, both overflow policies, against an independent
//! reference.
//!
//! The reference is the format's step function ([`common::Steps`]): the format's table (never
//! `lowp::Spec`), its sorted values, the midpoints between neighbours and the value past max,
//! with `common::expected` asked once at each of those critical points and once inside each gap
//! between them (every input of one sign in a gap rounds to one code), and per input at ±0, ±∞
//! and every NaN. The sweep takes the inputs in work items of consecutive bit patterns and
//! compares the scalar core's code for each input with the run of the step function it lies in.
//!
//! With `LOWP_FULL=1` (CI's full proof) every input is checked, spread over all cores; otherwise
//! every 61st input in release builds and every 1009th in debug builds, so that the default
//! `cargo test --release` stays quick.

mod common;
mod items;

use common::{Row, Steps};
use lowp::{Format, Overflow, Rounding};

/// Every input under `LOWP_FULL=1` (CI); every 61st in release and every 1009th in debug
/// builds otherwise (see `common::sweep_stride`).
fn stride() -> u64 {
    static STRIDE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *STRIDE.get_or_init(|| common::sweep_stride(61, 1009))
}

/// Inputs per work item.
const CHUNK: u64 = 1 << 16;

fn check_format<F: Format>(row: &Row) {
    let policies = [Overflow::Ieee, Overflow::Saturate];
    let steps = policies.map(|ov| Steps::new(row, Rounding::NearestEven, ov));
    let stride = stride();
    let buffers = || (vec![0f32; CHUNK as usize], vec![0u32; CHUNK as usize]);
    items::for_each(stride, CHUNK, 1, buffers, |(src, got), start, n| {
        let src = &mut src[..n];
        items::inputs(src, start, stride);
        for (ov, steps) in policies.iter().zip(&steps) {
            for (g, &x) in got[..n].iter_mut().zip(&*src) {
                *g = F::from_f32_with(x, Rounding::NearestEven, *ov).to_bits_u32();
            }
            steps.runs(start, stride, n, |j0, j1, code| {
                // A scan without an early exit (it vectorises), then the first wrong code.
                let run = &got[j0..j1];
                if run.iter().fold(0, |acc, &g| acc | (g ^ code)) != 0 {
                    let j = j0 + run.iter().position(|&g| g != code).unwrap();
                    let x = src[j];
                    panic!(
                        "{}: input {:#010x} ({x:e}) {ov:?}: lowp {:#x}, reference {code:#x}",
                        row.name,
                        x.to_bits(),
                        got[j]
                    );
                }
            });
        }
    });
}

#[test]
fn every_f32_into_every_format() {
    for_each_format!(|row, F| {
        let t = std::time::Instant::now();
        check_format::<F>(row);
        eprintln!("{}: all f32 inputs checked in {:?}", row.name, t.elapsed());
    });
}

#[test]
fn every_f32_into_f32_is_the_identity() {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                let mut b = t * stride();
                while b < 1 << 32 {
                    let x = f32::from_bits(b as u32);
                    for mode in Rounding::ALL {
                        let y = <f32 as Format>::from_f32_with(x, mode, Overflow::Ieee);
                        assert_eq!(y.to_bits(), b as u32);
                        // Saturate: ±∞ → ±f32::MAX, as in every format; the rest unchanged.
                        let y = <f32 as Format>::from_f32_with(x, mode, Overflow::Saturate);
                        let sat = if x.is_infinite() {
                            (b as u32 & 0x8000_0000) | 0x7F7F_FFFF
                        } else {
                            b as u32
                        };
                        assert_eq!(y.to_bits(), sat);
                    }
                    // f32 → f64 → f32 through the f64 path (NaN payloads are kept, quieted).
                    let quiet = if x.is_nan() { 0x40_0000 } else { 0 };
                    assert_eq!(
                        <f32 as Format>::from_f64(x as f64).to_bits(),
                        b as u32 | quiet
                    );
                    b += threads * stride();
                }
            });
        }
    });
}
