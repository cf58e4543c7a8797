//! Quantization throughput: one group per operation, sizes as `BenchmarkId`s, lowp beside a
//! plain scalar loop and a memcpy of the same bytes (the floor any kernel can reach).
//!
//! `cargo bench --bench quant -- --quick` for a short run.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lowp::quant::{self, MxFormat, QParams};
use lowp::F8E4M3FN;
use std::hint::black_box;

const SIZES: [usize; 4] = [4 << 10, 256 << 10, 4 << 20, 16 << 20];

/// Normal-ish weights with a few outliers, deterministic.
fn data(n: usize) -> Vec<f32> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 40) as f32 / (1u64 << 24) as f32;
            let v = (u - 0.5) * 4.0;
            if i % 997 == 0 {
                v * 20.0
            } else {
                v
            }
        })
        .collect()
}

fn scalar_quantize(x: &[f32], p: QParams, out: &mut [i8]) {
    for (o, &v) in out.iter_mut().zip(x) {
        let q = (v / p.scale).round_ties_even() as i32 + p.zero_point;
        *o = q.clamp(-128, 127) as i8;
    }
}

fn scalar_dequantize(q: &[i8], p: QParams, out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(q) {
        *o = (v as i32 - p.zero_point) as f32 * p.scale;
    }
}

fn quantize_i8(c: &mut Criterion) {
    let mut g = c.benchmark_group("quantize_i8");
    for &n in &SIZES {
        let x = data(n);
        let p = QParams::new(0.05, 3);
        let mut q = vec![0i8; n];
        let mut copy = vec![0f32; n];
        g.throughput(Throughput::Bytes(4 * n as u64));
        g.bench_with_input(BenchmarkId::new("lowp", n), &x, |b, x| {
            b.iter(|| quant::quantize(black_box(x), p, &mut q).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("scalar", n), &x, |b, x| {
            b.iter(|| scalar_quantize(black_box(x), p, &mut q))
        });
        g.bench_with_input(BenchmarkId::new("memcpy", n), &x, |b, x| {
            b.iter(|| copy.copy_from_slice(black_box(x)))
        });
    }
    g.finish();
}

fn dequantize_i8(c: &mut Criterion) {
    let mut g = c.benchmark_group("dequantize_i8");
    for &n in &SIZES {
        let x = data(n);
        let p = QParams::new(0.05, 3);
        let mut q = vec![0i8; n];
        quant::quantize(&x, p, &mut q).unwrap();
        let mut y = vec![0f32; n];
        g.throughput(Throughput::Bytes(4 * n as u64));
        g.bench_with_input(BenchmarkId::new("lowp", n), &q, |b, q| {
            b.iter(|| quant::dequantize(black_box(q), p, &mut y).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("scalar", n), &q, |b, q| {
            b.iter(|| scalar_dequantize(black_box(q), p, &mut y))
        });
        g.bench_with_input(BenchmarkId::new("memcpy", n), &x, |b, x| {
            b.iter(|| y.copy_from_slice(black_box(x)))
        });
    }
    g.finish();
}

fn fake_quantize_i8(c: &mut Criterion) {
    let mut g = c.benchmark_group("fake_quantize_i8");
    let n = SIZES[1];
    let x = data(n);
    let p = QParams::new(0.05, 3);
    let mut y = vec![0f32; n];
    g.throughput(Throughput::Bytes(4 * n as u64));
    g.bench_with_input(BenchmarkId::new("lowp", n), &x, |b, x| {
        b.iter(|| quant::fake_quantize::<i8>(black_box(x), p, &mut y).unwrap())
    });
    g.bench_with_input(BenchmarkId::new("memcpy", n), &x, |b, x| {
        b.iter(|| y.copy_from_slice(black_box(x)))
    });
    g.finish();
}

fn scaled_fp8(c: &mut Criterion) {
    let mut g = c.benchmark_group("quantize_scaled_e4m3fn");
    let n = SIZES[1];
    let x = data(n);
    let mut q = vec![F8E4M3FN::ZERO; n];
    let mut copy = vec![0f32; n];
    g.throughput(Throughput::Bytes(4 * n as u64));
    g.bench_with_input(BenchmarkId::new("lowp", n), &x, |b, x| {
        b.iter(|| quant::quantize_scaled(black_box(x), 0.1, &mut q).unwrap())
    });
    g.bench_with_input(BenchmarkId::new("float8_crate", n), &x, |b, x| {
        b.iter(|| {
            for (o, &v) in q.iter_mut().zip(black_box(x)) {
                *o = F8E4M3FN::from_bits(float8::F8E4M3::from_f32(v / 0.1).to_bits());
            }
        })
    });
    g.bench_with_input(BenchmarkId::new("memcpy", n), &x, |b, x| {
        b.iter(|| copy.copy_from_slice(black_box(x)))
    });
    g.finish();
}

fn mx(c: &mut Criterion) {
    let mut g = c.benchmark_group("mx_fake_quantize");
    let n = SIZES[1];
    let x = data(n);
    let mut y = vec![0f32; n];
    g.throughput(Throughput::Bytes(4 * n as u64));
    for f in [MxFormat::E4M3, MxFormat::E2M1, MxFormat::Int8] {
        g.bench_with_input(BenchmarkId::new(format!("lowp {f:?}"), n), &x, |b, x| {
            b.iter(|| quant::mx_fake_quantize(black_box(x), f, &mut y).unwrap())
        });
    }
    g.bench_with_input(BenchmarkId::new("nvfp4", n), &x, |b, x| {
        b.iter(|| quant::nvfp4_fake_quantize(black_box(x), &mut y).unwrap())
    });
    g.bench_with_input(BenchmarkId::new("memcpy", n), &x, |b, x| {
        b.iter(|| y.copy_from_slice(black_box(x)))
    });
    g.finish();
}

criterion_group!(
    benches,
    quantize_i8,
    dequantize_i8,
    fake_quantize_i8,
    scaled_fp8,
    mx
);
criterion_main!(benches);
