//! Batch conversion throughput: one criterion group per (operation, format), sizes as
//! `BenchmarkId`s, lowp beside its peers in the same group:
//!
//! - `lowp`: the dispatched kernels (the best level the CPU has);
//! - `lowp-scalar`: the scalar core, one call per element ([`Level::Scalar`]);
//! - `half`: `half`'s slice conversions (f16/bf16; for the 8-bit formats, its f32 → f16 as the
//!   hardware-instruction yardstick);
//! - `float8`: a loop over the `float8` crate's E4M3/E5M2 conversions;
//! - `memcpy`: a copy of the f32 input (the memory-bound reference).
//!
//! Inputs are realistic for each format: normal values spanning its range, some subnormals,
//! some beyond its largest value.
//!
//! `cargo bench --bench convert -- --warm-up-time 1 --measurement-time 2` runs the core set;
//! `LOWP_BENCH_ALL=1` adds every other 8-bit format; `--features rayon` adds the parallel
//! stochastic group.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use half::slice::HalfFloatSliceExt;
use lowp::{
    Format, Level, Overflow, Rounding, BF16, F16, F4E2M1FN, F6E3M2FN, F8E3M4, F8E4M3,
    F8E4M3B11FNUZ, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0FNU,
};
use std::hint::black_box;

const SIZES: [usize; 3] = [4096, 262_144, 16_777_216];

/// Realistic inputs for `F`: 90% normal values spanning its range, 5% subnormal, 5% beyond
/// its largest finite value; random signs and mantissas.
fn inputs<F: Format>(n: usize) -> Vec<f32> {
    inputs_seeded::<F>(n, 0)
}

/// [`inputs`] from the generator's `k`-th seed.
fn inputs_seeded<F: Format>(n: usize, k: u64) -> Vec<f32> {
    let max = F::from_bits_u32(F::SPEC.max_code() << F::SPEC.storage_shift).to_f32();
    let emax = max.log2().floor() as i32;
    let emin = F::SPEC.min_exponent();
    let m = F::SPEC.mantissa_bits as i32;
    let mut s: u64 = 0x853c_49e6_748f_ea9b ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (s >> 32) as u32;
            let sign = if F::SPEC.signed && r & 1 == 1 {
                -1.0
            } else {
                1.0
            };
            let frac = 1.0 + (r >> 8) as f32 / (1u32 << 24) as f32;
            let e = match r % 20 {
                0 if F::SPEC.subnormals => emin - 1 - (r >> 5) as i32 % m.max(1), // subnormal
                1 => emax + 1 + (r >> 5) as i32 % 3,                              // beyond max
                _ => emin + ((r >> 5) % (emax - emin + 1) as u32) as i32,
            };
            sign * frac * 2f32.powi(e)
        })
        .collect()
}

fn memcpy(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, src: &[f32]) {
    let n = src.len();
    let mut dst = vec![0.0f32; n];
    g.bench_with_input(BenchmarkId::new("memcpy", n), &src, |b, s| {
        b.iter(|| dst.copy_from_slice(black_box(s)))
    });
}

/// One encode group: lowp dispatched and scalar, plus `extra` peers.
fn encode_group<F: Format>(
    c: &mut Criterion,
    name: &str,
    rounding: Rounding,
    overflow: Overflow,
    peers: bool,
) {
    let mut g = c.benchmark_group(format!("{name}/{}", F::NAME));
    for n in SIZES {
        let src = inputs::<F>(n);
        g.throughput(Throughput::Elements(n as u64));
        let mut dst = vec![F::from_bits_u32(0); n];
        g.bench_with_input(BenchmarkId::new("lowp", n), &src, |b, s| {
            b.iter(|| lowp::encode_with(black_box(s), &mut dst, rounding, overflow))
        });
        if n <= 262_144 {
            g.bench_with_input(BenchmarkId::new("lowp-scalar", n), &src, |b, s| {
                b.iter(|| Level::Scalar.encode_with(black_box(s), &mut dst, rounding, overflow))
            });
        }
        if peers {
            let mut h = vec![F16::ZERO; n];
            g.bench_with_input(BenchmarkId::new("half-f16", n), &src, |b, s| {
                b.iter(|| h.convert_from_f32_slice(black_box(s)))
            });
            if name == "encode" && F::NAME == "float8_e4m3fn" && n == 4096 {
                rotating::<F>(&mut g, n, rounding, overflow);
            }
            if name == "encode" && F::NAME == "float8_e4m3fn" && n <= 262_144 {
                let mut d = vec![float8::F8E4M3::from_bits(0); n];
                g.bench_with_input(BenchmarkId::new("float8", n), &src, |b, s| {
                    b.iter(|| {
                        for (d, &x) in d.iter_mut().zip(black_box(s)) {
                            *d = float8::F8E4M3::from_f32(x);
                        }
                    })
                });
            }
            if name == "encode" && F::NAME == "float8_e5m2" && n <= 262_144 {
                let mut d = vec![float8::F8E5M2::from_bits(0); n];
                g.bench_with_input(BenchmarkId::new("float8", n), &src, |b, s| {
                    b.iter(|| {
                        for (d, &x) in d.iter_mut().zip(black_box(s)) {
                            *d = float8::F8E5M2::from_f32(x);
                        }
                    })
                });
            }
            memcpy(&mut g, &src);
        }
    }
    g.finish();
}

/// lowp and `float8` on 64 different inputs of `n` elements in turn (one per iteration), so
/// that no branch predictor learns them: criterion repeats one input, whose `n` = 4096 branch
/// outcomes a predictor can learn, which flatters branchy scalar code at that size.
fn rotating<F: Format>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    n: usize,
    rounding: Rounding,
    overflow: Overflow,
) {
    let bufs: Vec<Vec<f32>> = (1..=64).map(|k| inputs_seeded::<F>(n, k)).collect();
    let mut dst = vec![F::from_bits_u32(0); n];
    let mut k = 0;
    g.bench_function(BenchmarkId::new("lowp-rotating", n), |b| {
        b.iter(|| {
            k = (k + 1) % bufs.len();
            lowp::encode_with(black_box(&bufs[k]), &mut dst, rounding, overflow)
        })
    });
    let mut d = vec![float8::F8E4M3::from_bits(0); n];
    g.bench_function(BenchmarkId::new("float8-rotating", n), |b| {
        b.iter(|| {
            k = (k + 1) % bufs.len();
            for (d, &x) in d.iter_mut().zip(black_box(&bufs[k])) {
                *d = float8::F8E4M3::from_f32(x);
            }
        })
    });
}

/// One decode group.
fn decode_group<F: Format>(c: &mut Criterion) {
    let mut g = c.benchmark_group(format!("decode/{}", F::NAME));
    for n in SIZES {
        let src = inputs::<F>(n);
        let codes: Vec<F> = src.iter().map(|&x| F::from_f32(x)).collect();
        g.throughput(Throughput::Elements(n as u64));
        let mut dst = vec![0.0f32; n];
        g.bench_with_input(BenchmarkId::new("lowp", n), &codes, |b, s| {
            b.iter(|| lowp::decode(black_box(s), &mut dst))
        });
        if n <= 262_144 {
            g.bench_with_input(BenchmarkId::new("lowp-scalar", n), &codes, |b, s| {
                b.iter(|| Level::Scalar.decode(black_box(s), &mut dst))
            });
        }
        let h: Vec<F16> = src.iter().map(|&x| F16::from_f32(x)).collect();
        g.bench_with_input(BenchmarkId::new("half-f16", n), &h, |b, s| {
            b.iter(|| black_box(s).convert_to_f32_slice(&mut dst))
        });
        if F::NAME == "bfloat16" {
            let h: Vec<BF16> = src.iter().map(|&x| BF16::from_f32(x)).collect();
            g.bench_with_input(BenchmarkId::new("half-bf16", n), &h, |b, s| {
                b.iter(|| black_box(s).convert_to_f32_slice(&mut dst))
            });
        }
        if F::NAME == "float8_e4m3fn" && n <= 262_144 {
            let q: Vec<float8::F8E4M3> = src.iter().map(|&x| float8::F8E4M3::from_f32(x)).collect();
            g.bench_with_input(BenchmarkId::new("float8", n), &q, |b, s| {
                b.iter(|| {
                    for (d, x) in dst.iter_mut().zip(black_box(s)) {
                        *d = x.to_f32();
                    }
                })
            });
        }
        if F::NAME == "float8_e5m2" && n <= 262_144 {
            let q: Vec<float8::F8E5M2> = src.iter().map(|&x| float8::F8E5M2::from_f32(x)).collect();
            g.bench_with_input(BenchmarkId::new("float8", n), &q, |b, s| {
                b.iter(|| {
                    for (d, x) in dst.iter_mut().zip(black_box(s)) {
                        *d = x.to_f32();
                    }
                })
            });
        }
        memcpy(&mut g, &src);
    }
    g.finish();
}

/// f32 → bf16 with `half` beside it.
fn encode_bf16(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode/bfloat16");
    for n in SIZES {
        let src = inputs::<BF16>(n);
        g.throughput(Throughput::Elements(n as u64));
        let mut dst = vec![BF16::ZERO; n];
        g.bench_with_input(BenchmarkId::new("lowp", n), &src, |b, s| {
            b.iter(|| lowp::encode(black_box(s), &mut dst))
        });
        if n <= 262_144 {
            g.bench_with_input(BenchmarkId::new("lowp-scalar", n), &src, |b, s| {
                b.iter(|| {
                    Level::Scalar.encode_with(
                        black_box(s),
                        &mut dst,
                        Rounding::NearestEven,
                        Overflow::Ieee,
                    )
                })
            });
        }
        g.bench_with_input(BenchmarkId::new("half-bf16", n), &src, |b, s| {
            b.iter(|| dst.convert_from_f32_slice(black_box(s)))
        });
        memcpy(&mut g, &src);
    }
    g.finish();
}

/// Every mode of one format, dispatched, side by side.
fn modes(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode-modes/float8_e4m3fn");
    for n in [4096, 262_144] {
        let src = inputs::<F8E4M3FN>(n);
        g.throughput(Throughput::Elements(n as u64));
        let mut dst = vec![F8E4M3FN::ZERO; n];
        for r in Rounding::ALL {
            g.bench_with_input(BenchmarkId::new(format!("{r:?}"), n), &src, |b, s| {
                b.iter(|| lowp::encode_with(black_box(s), &mut dst, r, Overflow::Ieee))
            });
        }
        g.bench_with_input(BenchmarkId::new("Stochastic", n), &src, |b, s| {
            b.iter(|| lowp::encode_stochastic(black_box(s), &mut dst, 7, Overflow::Ieee))
        });
    }
    g.finish();
}

/// Packed FP4/FP6 and fake quantization (bf16 chop), dispatched.
fn other_ops(c: &mut Criterion) {
    let mut g = c.benchmark_group("other-ops");
    let n = 262_144;
    g.throughput(Throughput::Elements(n as u64));
    let src = inputs::<F4E2M1FN>(n);
    let mut p4 = vec![0u8; n / 2];
    g.bench_function(BenchmarkId::new("encode_packed-fp4", n), |b| {
        b.iter(|| lowp::encode_packed::<F4E2M1FN>(black_box(&src), &mut p4))
    });
    let mut out = vec![0.0f32; n];
    g.bench_function(BenchmarkId::new("decode_packed-fp4", n), |b| {
        b.iter(|| lowp::decode_packed::<F4E2M1FN>(black_box(&p4), &mut out))
    });
    let src6 = inputs::<F6E3M2FN>(n);
    let mut p6 = vec![0u8; n / 4 * 3];
    g.bench_function(BenchmarkId::new("encode_packed-fp6", n), |b| {
        b.iter(|| lowp::encode_packed::<F6E3M2FN>(black_box(&src6), &mut p6))
    });
    let srcb = inputs::<BF16>(n);
    let mut data = srcb.clone();
    g.bench_function(BenchmarkId::new("fake_quantize-bf16", n), |b| {
        b.iter(|| {
            lowp::fake_quantize::<BF16>(black_box(&mut data), Rounding::NearestEven, Overflow::Ieee)
        })
    });
    let h: Vec<F16> = inputs::<F8E4M3FN>(n)
        .iter()
        .map(|&x| F16::from_f32(x))
        .collect();
    let mut q = vec![F8E4M3FN::ZERO; n];
    g.bench_function(BenchmarkId::new("convert-f16-to-e4m3fn", n), |b| {
        b.iter(|| lowp::convert(black_box(&h), &mut q))
    });
    g.finish();
}

/// Stochastic rounding at 16M: one thread against rayon's pool.
#[cfg(feature = "rayon")]
fn parallel(c: &mut Criterion) {
    let mut g = c.benchmark_group("stochastic-parallel/float8_e4m3fn");
    let n = 16_777_216;
    let src = inputs::<F8E4M3FN>(n);
    let mut dst = vec![F8E4M3FN::ZERO; n];
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(BenchmarkId::new("one-thread", n), |b| {
        b.iter(|| lowp::encode_stochastic(black_box(&src), &mut dst, 7, Overflow::Ieee))
    });
    g.bench_function(BenchmarkId::new("rayon", n), |b| {
        b.iter(|| lowp::par_encode_stochastic(black_box(&src), &mut dst, 7, Overflow::Ieee))
    });
    g.bench_function(BenchmarkId::new("nearest-one-thread", n), |b| {
        b.iter(|| lowp::encode(black_box(&src), &mut dst))
    });
    g.bench_function(BenchmarkId::new("nearest-rayon", n), |b| {
        b.iter(|| lowp::par_encode(black_box(&src), &mut dst))
    });
    g.finish();
}

#[cfg(not(feature = "rayon"))]
fn parallel(_: &mut Criterion) {}

fn core_set(c: &mut Criterion) {
    let ieee = Overflow::Ieee;
    let ne = Rounding::NearestEven;
    encode_group::<F8E4M3FN>(c, "encode", ne, ieee, true);
    encode_group::<F8E4M3FN>(c, "encode-saturate", ne, Overflow::Saturate, true);
    encode_group::<F8E5M2>(c, "encode", ne, ieee, true);
    encode_group::<F16>(c, "encode", ne, ieee, true);
    encode_bf16(c);
    decode_group::<F8E4M3FN>(c);
    decode_group::<F8E5M2>(c);
    decode_group::<F16>(c);
    decode_group::<BF16>(c);
    modes(c);
    other_ops(c);
    parallel(c);
    if std::env::var_os("LOWP_BENCH_ALL").is_some() {
        encode_group::<F8E4M3FNUZ>(c, "encode", ne, ieee, false);
        encode_group::<F8E5M2FNUZ>(c, "encode", ne, ieee, false);
        encode_group::<F8E4M3B11FNUZ>(c, "encode", ne, ieee, false);
        encode_group::<F8E3M4>(c, "encode", ne, ieee, false);
        encode_group::<F8E4M3>(c, "encode", ne, ieee, false);
        encode_group::<F8E8M0FNU>(c, "encode", ne, ieee, false);
        decode_group::<F8E4M3FNUZ>(c);
        decode_group::<F8E8M0FNU>(c);
    }
}

criterion_group!(benches, core_set);
criterion_main!(benches);
