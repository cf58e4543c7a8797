//! Quantization throughput: one group per operation, sizes as `BenchmarkId`s, lowp beside a
//! plain scalar loop and a memcpy of the same bytes (the floor any kernel can reach).
//!
//! `cargo bench --bench quant -- --quick` for a short run. The `*_4m` groups run every
//! quantizer and fake quantizer (int8 and scaled E4M3FN per tensor, per axis and blocked; the
//! other integer types, int4 packed too; MX of every element type; NVFP4) on 4M elements beside a memcpy of the f32 input in the same group
//! (`cargo bench --bench quant -- _4m`). The `*_4m_cpu` groups are the same benchmarks timed in
//! the thread's CPU time instead of wall time (`cargo bench --bench quant -- _4m_cpu`): on a
//! machine shared with other work, time spent descheduled does not count, which keeps the
//! ratios to memcpy readable under load (stalls on memory still count).

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lowp::quant::{self, Granularity, MxFormat, MxOptions, QParams};
use lowp::F8E4M3FN;
use std::hint::black_box;
use std::time::Duration;

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

/// The 4M-element tensor of the `_4m` groups: 1024 rows of 4096 (a weight matrix, axis 0 the
/// output channel).
const ROWS: usize = 1024;
const COLS: usize = 4096;
const N4M: usize = ROWS * COLS;

/// The calling thread's CPU time (Linux `CLOCK_THREAD_CPUTIME_ID`).
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant libc defines.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Criterion measurement: the thread's CPU time (criterion runs the routine on this thread).
struct CpuTime;

/// Wall time's formatter (durations), for [`CpuTime`].
static WALL: WallTime = WallTime;

impl Measurement for CpuTime {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        thread_cpu_time()
    }
    fn end(&self, i: Duration) -> Duration {
        thread_cpu_time() - i
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

/// A memcpy of `x` in group `g` (the floor of every kernel that reads 4 bytes an element).
fn memcpy_in<M: Measurement>(g: &mut criterion::BenchmarkGroup<'_, M>, x: &[f32]) {
    let mut copy = vec![0f32; x.len()];
    g.bench_with_input(BenchmarkId::new("memcpy", x.len()), x, |b, x| {
        b.iter(|| copy.copy_from_slice(black_box(x)))
    });
}

/// int8 at 4M: per tensor, per axis (axis 0: one scale per row; axis 1: one per column, the
/// scale changing every element) and blocked (blocks of 32 along the row), quantize and fake.
fn int8_4m(c: &mut Criterion) {
    int8_4m_in(c, "")
}

fn int8_4m_cpu(c: &mut Criterion<CpuTime>) {
    int8_4m_in(c, "_cpu")
}

fn int8_4m_in<M: Measurement>(c: &mut Criterion<M>, suffix: &str) {
    let mut g = c.benchmark_group(format!("{}{suffix}", "int8_4m"));
    g.sample_size(10);
    let x = data(N4M);
    let n = N4M;
    g.throughput(Throughput::Bytes(4 * n as u64));
    let shape = [ROWS, COLS];
    let p = QParams::new(0.05, 3);
    let rows: Vec<QParams> = (0..ROWS)
        .map(|i| QParams::new(0.05 + i as f32 * 1e-4, 1))
        .collect();
    let cols: Vec<QParams> = (0..COLS)
        .map(|i| QParams::new(0.05 + i as f32 * 1e-5, -1))
        .collect();
    let blocks: Vec<QParams> = (0..n / 32)
        .map(|i| QParams::new(0.04 + (i % 97) as f32 * 1e-3, 0))
        .collect();
    let mut q = vec![0i8; n];
    let mut y = vec![0f32; n];
    memcpy_in(&mut g, &x);
    g.bench_with_input(BenchmarkId::new("quantize tensor", n), &x, |b, x| {
        b.iter(|| quant::quantize(black_box(x), p, &mut q).unwrap())
    });
    g.bench_with_input(BenchmarkId::new("quantize axis0", n), &x, |b, x| {
        b.iter(|| quant::quantize_per_axis(black_box(x), &shape, 0, &rows, &mut q).unwrap())
    });
    g.bench_with_input(BenchmarkId::new("quantize axis1", n), &x, |b, x| {
        b.iter(|| quant::quantize_per_axis(black_box(x), &shape, 1, &cols, &mut q).unwrap())
    });
    g.bench_with_input(BenchmarkId::new("quantize block32", n), &x, |b, x| {
        b.iter(|| quant::quantize_blocked(black_box(x), &shape, 1, 32, &blocks, &mut q).unwrap())
    });
    g.bench_with_input(BenchmarkId::new("fake tensor", n), &x, |b, x| {
        b.iter(|| quant::fake_quantize::<i8>(black_box(x), p, &mut y).unwrap())
    });
    g.bench_with_input(BenchmarkId::new("fake axis0", n), &x, |b, x| {
        b.iter(|| {
            quant::fake_quantize_per_axis::<i8>(black_box(x), &shape, 0, &rows, &mut y).unwrap()
        })
    });
    g.bench_with_input(BenchmarkId::new("fake axis1", n), &x, |b, x| {
        b.iter(|| {
            quant::fake_quantize_per_axis::<i8>(black_box(x), &shape, 1, &cols, &mut y).unwrap()
        })
    });
    g.bench_with_input(BenchmarkId::new("fake block32", n), &x, |b, x| {
        b.iter(|| {
            quant::fake_quantize_blocked::<i8>(black_box(x), &shape, 1, 32, &blocks, &mut y)
                .unwrap()
        })
    });
    // Blocks of 32 along axis 0 (down the columns): a parameter per element of each row.
    g.bench_with_input(BenchmarkId::new("quantize block32 axis0", n), &x, |b, x| {
        b.iter(|| quant::quantize_blocked(black_box(x), &shape, 0, 32, &blocks, &mut q).unwrap())
    });
    g.bench_with_input(BenchmarkId::new("fake block32 axis0", n), &x, |b, x| {
        b.iter(|| {
            quant::fake_quantize_blocked::<i8>(black_box(x), &shape, 0, 32, &blocks, &mut y)
                .unwrap()
        })
    });
    let mut z = x.clone();
    g.bench_function(BenchmarkId::new("fake tensor in place", n), |b| {
        b.iter(|| quant::fake_quantize_in_place::<i8>(black_box(&mut z), p).unwrap())
    });
    quant::quantize(&x, p, &mut q).unwrap();
    g.bench_with_input(BenchmarkId::new("dequantize tensor", n), &q, |b, q| {
        b.iter(|| quant::dequantize(black_box(q), p, &mut y).unwrap())
    });
    g.bench_with_input(BenchmarkId::new("dequantize axis0", n), &q, |b, q| {
        b.iter(|| quant::dequantize_per_axis(black_box(q), &shape, 0, &rows, &mut y).unwrap())
    });
    g.bench_with_input(BenchmarkId::new("dequantize axis1", n), &q, |b, q| {
        b.iter(|| quant::dequantize_per_axis(black_box(q), &shape, 1, &cols, &mut y).unwrap())
    });
    g.bench_with_input(BenchmarkId::new("dequantize block32", n), &q, |b, q| {
        b.iter(|| quant::dequantize_blocked(black_box(q), &shape, 1, 32, &blocks, &mut y).unwrap())
    });
    g.finish();
}

/// The other integer types at 4M (uint8, int4 one per byte and packed two per byte, uint4,
/// int16, uint16): per tensor and per axis 1 (the scale changing every element), quantize,
/// dequantize and fake, beside a memcpy of the f32 input.
fn int_4m(c: &mut Criterion) {
    int_4m_in(c, "")
}

fn int_4m_cpu(c: &mut Criterion<CpuTime>) {
    int_4m_in(c, "_cpu")
}

fn int_4m_in<M: Measurement>(c: &mut Criterion<M>, suffix: &str) {
    use quant::{QuantInt, I4, U4};
    let mut g = c.benchmark_group(format!("{}{suffix}", "int_4m"));
    g.sample_size(10);
    let x = data(N4M);
    let n = N4M;
    g.throughput(Throughput::Bytes(4 * n as u64));
    let shape = [ROWS, COLS];
    memcpy_in(&mut g, &x);
    /// Quantize, dequantize and fake per tensor and per axis 1 for one type.
    fn one<Q: QuantInt, M: Measurement>(
        g: &mut criterion::BenchmarkGroup<'_, M>,
        x: &[f32],
        p: QParams,
        cols: &[QParams],
    ) {
        let (n, shape) = (x.len(), [ROWS, COLS]);
        let mut q = vec![Q::default(); n];
        let mut y = vec![0f32; n];
        let name = Q::NAME;
        g.bench_with_input(
            BenchmarkId::new(format!("{name} quantize tensor"), n),
            x,
            |b, x| b.iter(|| quant::quantize(black_box(x), p, &mut q).unwrap()),
        );
        g.bench_with_input(
            BenchmarkId::new(format!("{name} quantize axis1"), n),
            x,
            |b, x| {
                b.iter(|| quant::quantize_per_axis(black_box(x), &shape, 1, cols, &mut q).unwrap())
            },
        );
        g.bench_with_input(
            BenchmarkId::new(format!("{name} fake tensor"), n),
            x,
            |b, x| b.iter(|| quant::fake_quantize::<Q>(black_box(x), p, &mut y).unwrap()),
        );
        g.bench_with_input(
            BenchmarkId::new(format!("{name} fake axis1"), n),
            x,
            |b, x| {
                b.iter(|| {
                    quant::fake_quantize_per_axis::<Q>(black_box(x), &shape, 1, cols, &mut y)
                        .unwrap()
                })
            },
        );
        quant::quantize(x, p, &mut q).unwrap();
        g.bench_with_input(
            BenchmarkId::new(format!("{name} dequantize tensor"), n),
            &q,
            |b, q| b.iter(|| quant::dequantize(black_box(q), p, &mut y).unwrap()),
        );
    }
    let cols = |zp: i32| -> Vec<QParams> {
        (0..COLS)
            .map(|i| QParams::new(0.05 + i as f32 * 1e-5, zp))
            .collect()
    };
    one::<u8, M>(&mut g, &x, QParams::new(0.05, 128), &cols(128));
    one::<I4, M>(&mut g, &x, QParams::new(0.5, 0), &cols(0));
    one::<U4, M>(&mut g, &x, QParams::new(0.5, 8), &cols(8));
    one::<i16, M>(&mut g, &x, QParams::new(1e-3, 0), &cols(0));
    one::<u16, M>(&mut g, &x, QParams::new(1e-3, 32768), &cols(32768));
    // int4 packed two per byte: per tensor, and per axis (both axes).
    let p4 = QParams::new(0.5, 0);
    let rows4: Vec<QParams> = (0..ROWS)
        .map(|i| QParams::new(0.5 + i as f32 * 1e-4, 0))
        .collect();
    let cols4 = cols(0);
    let mut packed = vec![0u8; n / 2];
    let mut y = vec![0f32; n];
    g.bench_with_input(
        BenchmarkId::new("int4 packed quantize tensor", n),
        &x,
        |b, x| b.iter(|| quant::quantize_packed::<I4>(black_box(x), p4, &mut packed).unwrap()),
    );
    g.bench_with_input(
        BenchmarkId::new("int4 packed quantize axis0", n),
        &x,
        |b, x| {
            b.iter(|| {
                quant::quantize_per_axis_packed::<I4>(black_box(x), &shape, 0, &rows4, &mut packed)
                    .unwrap()
            })
        },
    );
    g.bench_with_input(
        BenchmarkId::new("int4 packed quantize axis1", n),
        &x,
        |b, x| {
            b.iter(|| {
                quant::quantize_per_axis_packed::<I4>(black_box(x), &shape, 1, &cols4, &mut packed)
                    .unwrap()
            })
        },
    );
    quant::quantize_packed::<I4>(&x, p4, &mut packed).unwrap();
    g.bench_with_input(
        BenchmarkId::new("int4 packed dequantize tensor", n),
        &packed,
        |b, pk| b.iter(|| quant::dequantize_packed::<I4>(black_box(pk), p4, &mut y).unwrap()),
    );
    g.bench_with_input(
        BenchmarkId::new("int4 packed dequantize axis1", n),
        &packed,
        |b, pk| {
            b.iter(|| {
                quant::dequantize_per_axis_packed::<I4>(black_box(pk), &shape, 1, &cols4, &mut y)
                    .unwrap()
            })
        },
    );
    g.finish();
}

/// Scaled E4M3FN at 4M: per tensor, per axis (both axes) and blocked, quantize and fake.
fn scaled_4m(c: &mut Criterion) {
    scaled_4m_in(c, "")
}

fn scaled_4m_cpu(c: &mut Criterion<CpuTime>) {
    scaled_4m_in(c, "_cpu")
}

fn scaled_4m_in<M: Measurement>(c: &mut Criterion<M>, suffix: &str) {
    let mut g = c.benchmark_group(format!("{}{suffix}", "scaled_e4m3fn_4m"));
    g.sample_size(10);
    let x = data(N4M);
    let n = N4M;
    g.throughput(Throughput::Bytes(4 * n as u64));
    let shape = [ROWS, COLS];
    let rows: Vec<f32> = (0..ROWS).map(|i| 0.01 + i as f32 * 1e-5).collect();
    let cols: Vec<f32> = (0..COLS).map(|i| 0.01 + i as f32 * 1e-6).collect();
    let blocks: Vec<f32> = (0..n / 32).map(|i| 0.01 + (i % 97) as f32 * 1e-4).collect();
    let mut q = vec![F8E4M3FN::ZERO; n];
    let mut y = vec![0f32; n];
    memcpy_in(&mut g, &x);
    g.bench_with_input(BenchmarkId::new("quantize tensor", n), &x, |b, x| {
        b.iter(|| quant::quantize_scaled(black_box(x), 0.1, &mut q).unwrap())
    });
    g.bench_with_input(BenchmarkId::new("quantize axis0", n), &x, |b, x| {
        b.iter(|| quant::quantize_scaled_per_axis(black_box(x), &shape, 0, &rows, &mut q).unwrap())
    });
    g.bench_with_input(BenchmarkId::new("quantize axis1", n), &x, |b, x| {
        b.iter(|| quant::quantize_scaled_per_axis(black_box(x), &shape, 1, &cols, &mut q).unwrap())
    });
    g.bench_with_input(BenchmarkId::new("quantize block32", n), &x, |b, x| {
        b.iter(|| {
            quant::quantize_scaled_blocked(black_box(x), &shape, 1, 32, &blocks, &mut q).unwrap()
        })
    });
    g.bench_with_input(BenchmarkId::new("fake tensor", n), &x, |b, x| {
        b.iter(|| quant::fake_quantize_scaled::<F8E4M3FN>(black_box(x), 0.1, &mut y).unwrap())
    });
    // The fake quantizers per axis and per block (`quant::fake_quantize_float`).
    let fake = |g: Granularity<'_>, s: &[f32], x: &[f32], y: &mut [f32]| {
        quant::fake_quantize_float::<F8E4M3FN>(black_box(x), g, s, y).unwrap()
    };
    let axis = |axis| Granularity::PerAxis {
        shape: &shape,
        axis,
    };
    g.bench_with_input(BenchmarkId::new("fake axis0", n), &x, |b, x| {
        b.iter(|| fake(axis(0), &rows, x, &mut y))
    });
    g.bench_with_input(BenchmarkId::new("fake axis1", n), &x, |b, x| {
        b.iter(|| fake(axis(1), &cols, x, &mut y))
    });
    let blocked = Granularity::Blocked {
        shape: &shape,
        axis: 1,
        block_size: 32,
    };
    g.bench_with_input(BenchmarkId::new("fake block32", n), &x, |b, x| {
        b.iter(|| fake(blocked, &blocks, x, &mut y))
    });
    g.finish();
}

/// MX of every element type and NVFP4 at 4M: quantize (scales and packed codes) and fake.
fn mx_4m(c: &mut Criterion) {
    mx_4m_in(c, "")
}

fn mx_4m_cpu(c: &mut Criterion<CpuTime>) {
    mx_4m_in(c, "_cpu")
}

fn mx_4m_in<M: Measurement>(c: &mut Criterion<M>, suffix: &str) {
    let mut g = c.benchmark_group(format!("{}{suffix}", "mx_4m"));
    g.sample_size(10);
    let x = data(N4M);
    let n = N4M;
    g.throughput(Throughput::Bytes(4 * n as u64));
    let mut y = vec![0f32; n];
    let mut scales = vec![lowp::F8E8M0FNU::from_bits(0); n / 32];
    let mut elements = vec![0u8; n];
    memcpy_in(&mut g, &x);
    for f in MxFormat::ALL {
        let bytes = quant::mx_element_bytes(f, n);
        g.bench_with_input(
            BenchmarkId::new(format!("quantize {f:?}"), n),
            &x,
            |b, x| {
                b.iter(|| {
                    quant::mx_quantize(black_box(x), f, &mut scales, &mut elements[..bytes])
                        .unwrap()
                })
            },
        );
        g.bench_with_input(BenchmarkId::new(format!("fake {f:?}"), n), &x, |b, x| {
            b.iter(|| quant::mx_fake_quantize(black_box(x), f, &mut y).unwrap())
        });
    }
    let up = MxOptions {
        rule: quant::MxScaleRule::RoundUp,
        ..MxOptions::default()
    };
    g.bench_with_input(BenchmarkId::new("fake E4M3 round-up", n), &x, |b, x| {
        b.iter(|| quant::mx_fake_quantize_with(black_box(x), MxFormat::E4M3, up, &mut y).unwrap())
    });
    let mut bs = vec![F8E4M3FN::ZERO; n / 16];
    g.bench_with_input(BenchmarkId::new("quantize nvfp4", n), &x, |b, x| {
        b.iter(|| {
            quant::nvfp4_quantize(black_box(x), 0.01, &mut bs, &mut elements[..n / 2]).unwrap()
        })
    });
    g.bench_with_input(BenchmarkId::new("fake nvfp4", n), &x, |b, x| {
        b.iter(|| quant::nvfp4_fake_quantize(black_box(x), &mut y).unwrap())
    });
    g.finish();
}

criterion_group!(
    benches,
    quantize_i8,
    dequantize_i8,
    fake_quantize_i8,
    scaled_fp8,
    mx,
    int8_4m,
    int_4m,
    scaled_4m,
    mx_4m
);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(CpuTime);
    targets = int8_4m_cpu, int_4m_cpu, scaled_4m_cpu, mx_4m_cpu
}
criterion_main!(benches, cpu);
