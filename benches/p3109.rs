//! P3109 batch kernels beside OCP E4M3FN, one criterion group per operation: the same f32
//! inputs (E4M3FN-realistic: normal values spanning its range, some subnormal, some beyond
//! max; random signs and mantissas) encoded into, and decoded from, each format.
//!
//! E4M3FNUZ, whose NaN and zero are P3109's, is in the nearest-even and saturate encode groups
//! for comparison. Every group has the three sizes 4096 (L1), 262144 (L2) and 4M (memory).
//!
//! Each iteration writes its output at the next of 64 offsets into a larger buffer (every
//! 4-KiB alignment against the input, in cache-line steps), so that every format is timed over
//! the same spread of alignments: with one fixed output buffer, whose address against the
//! input's differs between runs and formats, the same code measured up to 10% apart.
//!
//! `cargo bench --bench p3109 -- --warm-up-time 1 --measurement-time 2`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lowp::p3109::{Binary8p3se, Binary8p4se, Binary8p4sf, Binary8p5ue};
use lowp::{Format, Overflow, Rounding, F8E4M3FN, F8E4M3FNUZ};
use std::hint::black_box;

const SIZES: [usize; 3] = [4096, 262_144, 1 << 22];

/// The output alignments an iteration cycles through: 64 steps of one cache line (64 bytes),
/// 4 KiB in all.
const STEPS: usize = 64;
const LINE: usize = 64;

/// The next output offset, in elements of `T` ([`STEPS`] steps of [`LINE`] bytes).
fn offsets<T>() -> impl FnMut() -> usize {
    let step = LINE / std::mem::size_of::<T>();
    let mut i = 0;
    move || {
        i = (i + 1) % STEPS;
        i * step
    }
}

/// A buffer with room for `n` elements at every offset of [`offsets`].
fn rotating<T: Clone>(n: usize, fill: T) -> Vec<T> {
    vec![fill; n + STEPS * LINE / std::mem::size_of::<T>()]
}

fn inputs(n: usize) -> Vec<f32> {
    let mut s: u64 = 0x853c_49e6_748f_ea9b;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (s >> 32) as u32;
            let sign = if r & 1 == 1 { -1.0 } else { 1.0 };
            let frac = 1.0 + (r >> 8) as f32 / (1u32 << 24) as f32;
            let e = match r % 20 {
                0 => -7 - (r >> 5) as i32 % 3, // subnormal in E4M3FN
                1 => 9 + (r >> 5) as i32 % 3,  // beyond 448
                _ => -6 + ((r >> 5) % 15) as i32,
            };
            sign * frac * 2f32.powi(e)
        })
        .collect()
}

fn encode_one<F: Format>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    src: &[f32],
    rounding: Rounding,
    overflow: Overflow,
) {
    let n = src.len();
    let mut dst = rotating(n, F::from_bits_u32(0));
    let mut next = offsets::<F>();
    g.bench_with_input(BenchmarkId::new(F::NAME, n), &src, |b, s| {
        b.iter(|| {
            let o = next();
            lowp::encode_with(black_box(s), &mut dst[o..o + n], rounding, overflow)
        })
    });
}

fn stochastic_one<F: Format>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    src: &[f32],
) {
    let n = src.len();
    let mut dst = rotating(n, F::from_bits_u32(0));
    let mut next = offsets::<F>();
    g.bench_with_input(BenchmarkId::new(F::NAME, n), &src, |b, s| {
        b.iter(|| {
            let o = next();
            lowp::encode_stochastic(black_box(s), &mut dst[o..o + n], 42, Overflow::Ieee)
        })
    });
}

fn decode_one<F: Format>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    src: &[f32],
) {
    let n = src.len();
    let codes: Vec<F> = src.iter().map(|&x| F::from_f32(x)).collect();
    let mut dst = rotating(n, 0f32);
    let mut next = offsets::<f32>();
    g.bench_with_input(BenchmarkId::new(F::NAME, n), &codes, |b, s| {
        b.iter(|| {
            let o = next();
            lowp::decode(black_box(s), &mut dst[o..o + n])
        })
    });
}

fn groups(c: &mut Criterion) {
    let modes = [
        (
            "p3109-encode-nearest-even",
            Rounding::NearestEven,
            Overflow::Ieee,
        ),
        (
            "p3109-encode-saturate",
            Rounding::NearestEven,
            Overflow::Saturate,
        ),
        (
            "p3109-encode-nearest-away",
            Rounding::NearestAway,
            Overflow::Ieee,
        ),
        (
            "p3109-encode-toward-zero",
            Rounding::TowardZero,
            Overflow::Ieee,
        ),
        (
            "p3109-encode-toward-positive",
            Rounding::TowardPositive,
            Overflow::Ieee,
        ),
        (
            "p3109-encode-toward-negative",
            Rounding::TowardNegative,
            Overflow::Ieee,
        ),
        ("p3109-encode-odd", Rounding::Odd, Overflow::Ieee),
    ];
    for (i, (name, rounding, overflow)) in modes.into_iter().enumerate() {
        let mut g = c.benchmark_group(name);
        for n in SIZES {
            let src = inputs(n);
            g.throughput(Throughput::Elements(n as u64));
            encode_one::<F8E4M3FN>(&mut g, &src, rounding, overflow);
            if i < 2 {
                // E4M3FNUZ: P3109's NaN and zero (0x80 NaN, no -0), no infinity.
                encode_one::<F8E4M3FNUZ>(&mut g, &src, rounding, overflow);
            }
            encode_one::<Binary8p4se>(&mut g, &src, rounding, overflow);
            encode_one::<Binary8p4sf>(&mut g, &src, rounding, overflow);
            encode_one::<Binary8p3se>(&mut g, &src, rounding, overflow);
            encode_one::<Binary8p5ue>(&mut g, &src, rounding, overflow);
        }
        g.finish();
    }
    let mut g = c.benchmark_group("p3109-encode-stochastic");
    for n in SIZES {
        let src = inputs(n);
        g.throughput(Throughput::Elements(n as u64));
        stochastic_one::<F8E4M3FN>(&mut g, &src);
        stochastic_one::<Binary8p4se>(&mut g, &src);
        stochastic_one::<Binary8p5ue>(&mut g, &src);
    }
    g.finish();
    let mut g = c.benchmark_group("p3109-decode");
    for n in SIZES {
        let src = inputs(n);
        g.throughput(Throughput::Elements(n as u64));
        decode_one::<F8E4M3FN>(&mut g, &src);
        decode_one::<Binary8p4se>(&mut g, &src);
        decode_one::<Binary8p4sf>(&mut g, &src);
        decode_one::<Binary8p3se>(&mut g, &src);
        decode_one::<Binary8p5ue>(&mut g, &src);
    }
    g.finish();
}

criterion_group!(benches, groups);
criterion_main!(benches);
