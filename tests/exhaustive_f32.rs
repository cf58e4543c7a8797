//! Every f32 input (all 2^32 bit patterns) into every format, nearest-even, both overflow
//! policies, against an independent reference.
//!
//! The reference sweeps the positive f32 bit patterns in increasing order (which is increasing
//! value) alongside the format's sorted list of values and the midpoints between neighbours,
//! comparing bit patterns as integers: a value below the midpoint goes down, above goes up, on it
//! to the even code. Negative inputs mirror the positive ones through the sign rules of the
//! table. Each input is checked with both overflow policies and both signs.
//!
//! With `LOWP_FULL=1` (CI's full proof) every input is checked, spread over all cores; otherwise
//! every 61st input in release builds and every 1009th in debug builds, so that the default
//! `cargo test --release` stays quick.

mod common;

use common::{expected, Row};
use lowp::{Format, Overflow, Rounding};
use std::sync::atomic::{AtomicU32, Ordering};

/// Every input under `LOWP_FULL=1` (CI); every 61st in release and every 1009th in debug
/// builds otherwise (see `common::sweep_stride`).
fn stride() -> u32 {
    static STRIDE: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *STRIDE.get_or_init(|| common::sweep_stride(61, 1009) as u32)
}
const CHUNK: u32 = 1 << 22;

fn f32_bits_exact(x: f64) -> u32 {
    let f = x as f32;
    assert_eq!(f as f64, x, "{x} is not exact in f32");
    f.to_bits()
}

struct Sweep {
    /// Ladder values as f32 bits (increasing).
    v: Vec<u32>,
    /// Codes of the ladder.
    code: Vec<u32>,
    /// mid[j] = bits of (v[j] + v[j+1]) / 2; the last is the midpoint between max and beyond.
    mid: Vec<u32>,
    /// Whether the upper neighbour of mid[j] is the one a tie goes to.
    tie_up: Vec<bool>,
}

impl Sweep {
    fn new(row: &Row) -> Sweep {
        let ladder = row.ladder();
        let beyond = row.beyond_max(&ladder);
        let n = ladder.len();
        let mut s = Sweep {
            v: ladder.iter().map(|p| f32_bits_exact(p.0)).collect(),
            code: ladder.iter().map(|p| p.1).collect(),
            mid: Vec::with_capacity(n),
            tie_up: Vec::with_capacity(n),
        };
        for j in 0..n {
            let hi = if j + 1 < n { ladder[j + 1].0 } else { beyond };
            s.mid.push(f32_bits_exact((ladder[j].0 + hi) / 2.0));
            let hi_code = if j + 1 < n {
                ladder[j + 1].1
            } else {
                ladder[j].1 + 1
            };
            // E8M0's significand is always 1 (odd): its ties go up (CONTRACT.md §3).
            s.tie_up
                .push(hi_code & 1 == 0 || (row.m == 0 && !row.signed));
        }
        s
    }
}

fn check_format<F: Format>(row: &Row) {
    let sweep = Sweep::new(row);
    let max_code = row.max_code();
    let n = sweep.v.len();
    let next = AtomicU32::new(1);
    // The sign rules and the overflow results, worked out once (Ieee, Saturate) per sign.
    let sign_bit = row.sign_bit();
    let (signed_row, neg_zero) = (row.signed, row.neg_zero);
    let signed: [&(dyn Fn(u32) -> u32 + Sync); 2] = [&|c| c, &move |c| {
        if !signed_row {
            0xFF
        } else if c == 0 && !neg_zero {
            0
        } else {
            c | sign_bit
        }
    }];
    let overflow = [false, true].map(|neg| {
        let ieee = if row.signed {
            row.overflow_code(neg)
        } else {
            0xFF
        };
        (ieee, row.signed_code(max_code, neg))
    });
    let end = 0x7F80_0000u32; // +inf: finite positive patterns are [1, end)
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                if start >= end {
                    break;
                }
                let stop = start.saturating_add(CHUNK).min(end);
                // Start of the sweep: the largest ladder index with v ≤ start (or "below").
                let mut j = sweep.v.partition_point(|&v| v <= start);
                let mut b = start.next_multiple_of(stride());
                while b < stop {
                    while j < n && b >= sweep.v[j] {
                        j += 1;
                    }
                    // Now v[j-1] ≤ b < v[j] (j == 0: below the smallest value, E8M0 only).
                    let mag: Option<u32> = if j == 0 {
                        Some(sweep.code[0])
                    } else {
                        let k = j - 1;
                        if b == sweep.v[k] {
                            Some(sweep.code[k])
                        } else {
                            let up = b > sweep.mid[k] || (b == sweep.mid[k] && sweep.tie_up[k]);
                            match (up, k + 1 < n) {
                                (false, _) => Some(sweep.code[k]),
                                (true, true) => Some(sweep.code[k + 1]),
                                (true, false) => None, // overflow
                            }
                        }
                    };
                    for neg in [false, true] {
                        let x = f32::from_bits(b | (neg as u32) << 31);
                        let (ieee, sat) = match mag {
                            Some(c) => (signed[neg as usize](c), signed[neg as usize](c)),
                            None => overflow[neg as usize],
                        };
                        let got_ieee = F::from_f32_with(x, Rounding::NearestEven, Overflow::Ieee)
                            .to_bits_u32()
                            >> row.shift;
                        let got_sat =
                            F::from_f32_with(x, Rounding::NearestEven, Overflow::Saturate)
                                .to_bits_u32()
                                >> row.shift;
                        assert!(
                            got_ieee == ieee && got_sat == sat,
                            "{}: input {:#010x} ({x:e}): lowp (Ieee, Saturate) = ({got_ieee:#x}, \
                             {got_sat:#x}), reference ({ieee:#x}, {sat:#x})",
                            row.name,
                            x.to_bits()
                        );
                    }
                    b += stride();
                }
            });
        }
    });
    // Zeros, infinities and every NaN pattern, both signs.
    let ladder = row.ladder();
    let beyond = row.beyond_max(&ladder);
    let specials = (0x7F80_0000u32..=0x7FFF_FFFF)
        .step_by(stride() as usize)
        .chain([0, 0x7F80_0000]);
    for b in specials {
        for neg in [false, true] {
            let x = f32::from_bits(b | (neg as u32) << 31);
            for ov in [Overflow::Ieee, Overflow::Saturate] {
                let want = expected(
                    row,
                    &ladder,
                    beyond,
                    x as f64,
                    b & 0x7F_FFFF,
                    Rounding::NearestEven,
                    ov,
                );
                let got = F::from_f32_with(x, Rounding::NearestEven, ov).to_bits_u32() >> row.shift;
                assert_eq!(
                    got,
                    want,
                    "{}: input {:#010x} {ov:?}",
                    row.name,
                    x.to_bits()
                );
            }
        }
    }
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
                let mut b = (t * stride() as u64) as u32 as u64;
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
                    b += threads * stride() as u64;
                }
            });
        }
    });
}
