//! lowp::gemm speed beside an f32 GEMM of the same shape (`matrixmultiply`), in one group per
//! operation: Hopper FP8 `wgmma` and exact-accumulation FP8 at 1024³, int8 `MatMulInteger`,
//! and scaling with k and with threads. Throughput is in multiply-accumulates (m·n·k
//! elements) per second. Threads: build with `--features rayon` (the `gemm_threads` group runs
//! lowp's 1024³ `wgmma`, exact FP8 and int8 in rayon pools of 1 and 2 threads).
//!
//! `cargo bench --bench gemm --features rayon` (about 5 minutes on two cores).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lowp::gemm::{self, Accumulation, Gemm, Mma};
use lowp::F8E4M3FN;
use std::hint::black_box;
use std::time::Duration;

fn data(m: usize, n: usize, k: usize) -> (Vec<F8E4M3FN>, Vec<F8E4M3FN>, Vec<f32>, Vec<f32>) {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut val = || {
        let v = ((next() % 2001) as f32 - 1000.0) / 500.0;
        F8E4M3FN::from_f32(v)
    };
    let a: Vec<F8E4M3FN> = (0..m * k).map(|_| val()).collect();
    let b: Vec<F8E4M3FN> = (0..k * n).map(|_| val()).collect();
    let af = a.iter().map(|v| v.to_f32()).collect();
    let bf = b.iter().map(|v| v.to_f32()).collect();
    (a, b, af, bf)
}

fn f32_gemm(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    // SAFETY: the slices hold m×k, k×n and m×n row-major elements.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            k as isize,
            1,
            b.as_ptr(),
            n as isize,
            1,
            0.0,
            c.as_mut_ptr(),
            n as isize,
            1,
        )
    }
}

fn fp8(c: &mut Criterion) {
    let mut g = c.benchmark_group("gemm_fp8");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .warm_up_time(Duration::from_secs(1));
    let wgmma = Mma::nvidia("Hopper", "wgmma", "m64n256k32.f32.e4m3.e4m3").unwrap();
    for &s in &[256usize, 1024] {
        let (m, n, k) = (s, s, s);
        let (a, b, af, bf) = data(m, n, k);
        g.throughput(Throughput::Elements((m * n * k) as u64));
        g.bench_with_input(BenchmarkId::new("lowp_hopper_wgmma", s), &s, |bch, _| {
            let mut y = vec![0f32; m * n];
            bch.iter(|| {
                gemm::matmul(&wgmma, m, n, k, black_box(&a), black_box(&b), &mut y).unwrap()
            })
        });
        let exact = Gemm::new(wgmma.clone()).with_accumulation(Accumulation::Exact);
        g.bench_with_input(BenchmarkId::new("lowp_exact", s), &s, |bch, _| {
            let mut y = vec![0f32; m * n];
            bch.iter(|| {
                exact
                    .run(m, n, k, black_box(&a), black_box(&b), &mut y)
                    .unwrap()
            })
        });
        g.bench_with_input(BenchmarkId::new("matrixmultiply_f32", s), &s, |bch, _| {
            let mut y = vec![0f32; m * n];
            bch.iter(|| f32_gemm(m, n, k, black_box(&af), black_box(&bf), &mut y))
        });
    }
    g.finish();
}

fn int8_data(m: usize, n: usize, k: usize) -> (Vec<u8>, Vec<i8>) {
    let a: Vec<u8> = (0..m * k).map(|i| (i * 7 % 251) as u8).collect();
    let b: Vec<i8> = (0..k * n).map(|i| (i * 13 % 255) as i8).collect();
    (a, b)
}

fn int8(c: &mut Criterion) {
    let mut g = c.benchmark_group("gemm_int8");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .warm_up_time(Duration::from_secs(1));
    let s = 1024usize;
    let (m, n, k) = (s, s, s);
    let (a, b) = int8_data(m, n, k);
    let af: Vec<f32> = a.iter().map(|&v| v as f32).collect();
    let bf: Vec<f32> = b.iter().map(|&v| v as f32).collect();
    g.throughput(Throughput::Elements((m * n * k) as u64));
    g.bench_with_input(BenchmarkId::new("lowp_matmul_integer", s), &s, |bch, _| {
        let mut y = vec![0i32; m * n];
        bch.iter(|| {
            gemm::matmul_integer(
                m,
                n,
                k,
                black_box(&a),
                &[128u8],
                black_box(&b),
                &[0i8],
                &mut y,
            )
            .unwrap()
        })
    });
    g.bench_with_input(BenchmarkId::new("matrixmultiply_f32", s), &s, |bch, _| {
        let mut y = vec![0f32; m * n];
        bch.iter(|| f32_gemm(m, n, k, black_box(&af), black_box(&bf), &mut y))
    });
    g.finish();
}

fn scaling_k(c: &mut Criterion) {
    let mut g = c.benchmark_group("gemm_k");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    let wgmma = Mma::nvidia("Hopper", "wgmma", "m64n256k32.f32.e4m3.e4m3").unwrap();
    for &k in &[256usize, 1024, 4096, 16384] {
        let (m, n) = (128, 128);
        let (a, b, _, _) = data(m, n, k);
        g.throughput(Throughput::Elements((m * n * k) as u64));
        g.bench_with_input(BenchmarkId::new("lowp_hopper_wgmma", k), &k, |bch, _| {
            let mut y = vec![0f32; m * n];
            bch.iter(|| {
                gemm::matmul(&wgmma, m, n, k, black_box(&a), black_box(&b), &mut y).unwrap()
            })
        });
    }
    for &k in &[256usize, 1024, 4096] {
        let (m, n) = (256, 256);
        let (a, b) = int8_data(m, n, k);
        g.throughput(Throughput::Elements((m * n * k) as u64));
        g.bench_with_input(BenchmarkId::new("lowp_matmul_integer", k), &k, |bch, _| {
            let mut y = vec![0i32; m * n];
            bch.iter(|| {
                gemm::matmul_integer(
                    m,
                    n,
                    k,
                    black_box(&a),
                    &[128u8],
                    black_box(&b),
                    &[0i8],
                    &mut y,
                )
                .unwrap()
            })
        });
    }
    g.finish();
}

/// lowp in rayon pools of 1 and 2 threads (without the `rayon` feature: one thread, twice).
fn threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("gemm_threads");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    let wgmma = Mma::nvidia("Hopper", "wgmma", "m64n256k32.f32.e4m3.e4m3").unwrap();
    let s = 1024usize;
    let (a, b, _, _) = data(s, s, s);
    let exact = Gemm::new(wgmma.clone()).with_accumulation(Accumulation::Exact);
    let si = 1024usize;
    let (ai, bi) = int8_data(si, si, si);
    for t in [1usize, 2] {
        #[cfg(feature = "rayon")]
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .unwrap();
        // Run `$e` on `t` threads.
        macro_rules! run {
            ($e:expr) => {{
                #[cfg(feature = "rayon")]
                {
                    pool.install(|| $e)
                }
                #[cfg(not(feature = "rayon"))]
                {
                    $e
                }
            }};
        }
        g.throughput(Throughput::Elements((s * s * s) as u64));
        g.bench_with_input(
            BenchmarkId::new("lowp_hopper_wgmma_1024", t),
            &t,
            |bch, _| {
                let mut y = vec![0f32; s * s];
                bch.iter(|| {
                    run!(
                        gemm::matmul(&wgmma, s, s, s, black_box(&a), black_box(&b), &mut y)
                            .unwrap()
                    )
                })
            },
        );
        g.bench_with_input(BenchmarkId::new("lowp_exact_1024", t), &t, |bch, _| {
            let mut y = vec![0f32; s * s];
            bch.iter(|| {
                run!(exact
                    .run(s, s, s, black_box(&a), black_box(&b), &mut y)
                    .unwrap())
            })
        });
        g.throughput(Throughput::Elements((si * si * si) as u64));
        g.bench_with_input(
            BenchmarkId::new("lowp_matmul_integer_1024", t),
            &t,
            |bch, _| {
                let mut y = vec![0i32; si * si];
                bch.iter(|| {
                    run!(gemm::matmul_integer(
                        si,
                        si,
                        si,
                        black_box(&ai),
                        &[128u8],
                        black_box(&bi),
                        &[0i8],
                        &mut y,
                    )
                    .unwrap())
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, fp8, int8, scaling_k, threads);
criterion_main!(benches);
