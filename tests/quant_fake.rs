//! Scaled-float fake quantization (`quant::fake_quantize_float`, `fake_quantize_scaled`,
//! `DelayedScaling::fake_quantize`) runs fused — the division, the rounding to the format, the
//! decoding and the product in one pass of lanes — and gives the bits of quantize-then-
//! dequantize through the scalar core: `quantize_float` then `dequantize_float` at
//! [`Level::Scalar`] in the default environment, the product saturated at ±`f32::MAX` where it
//! overflowed (a finite input never fake-quantizes to ±∞), and the per-element formula written
//! here from the scalar conversions. At every available level, for every format type, per
//! tensor, per axis along every axis of 1-, 2- and 3-D shapes, blocked along every axis with
//! ragged last blocks, on NaN, ±∞, f32 subnormals, huge values, ties, zero groups (scales from
//! the data: 1 for an all-zero group), subnormal and huge scales — and, on x86-64, with MXCSR's
//! FTZ and DAZ set. Errors leave the output untouched.
//!
//! The level is process-wide: the tests that switch it hold [`LEVEL`].

mod mxcsr;
mod rng;

use lowp::quant::{self, DelayedScaling, Granularity};
use lowp::{
    set_level, Error, Format, Level, Overflow, Rounding, BF16, F16, F4E2M1FN, F6E2M3FN, F6E3M2FN,
    F8E3M4, F8E4M3, F8E4M3B11FNUZ, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0FNU, TF32,
};
use rng::Rng;
use std::sync::Mutex;

static LEVEL: Mutex<()> = Mutex::new(());

/// Run `f` at every available level (`Level::Scalar` too), then restore the best one.
fn at_every_level(mut f: impl FnMut(Level)) {
    let _g = LEVEL.lock().unwrap_or_else(|e| e.into_inner());
    for l in Level::available() {
        set_level(Some(l)).unwrap();
        f(l);
    }
    set_level(None).unwrap();
}

/// Run `f` at the scalar level (the reference) in the default environment.
fn at_scalar<R>(f: impl FnOnce() -> R) -> R {
    let _g = LEVEL.lock().unwrap_or_else(|e| e.into_inner());
    set_level(Some(Level::Scalar)).unwrap();
    let r = f();
    set_level(None).unwrap();
    r
}

/// Runs of: random bits (NaN, ∞, subnormals), zeros of both signs (whole zero groups), f32
/// subnormals, powers of two and their neighbours, ties, special values, huge values, and
/// ordinary values.
fn data(n: usize, seed: u64) -> Vec<f32> {
    let mut r = Rng(seed | 1);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let kind = r.below(10);
        let run = 1 + r.below(70) as usize;
        for _ in 0..run {
            let b = r.next();
            let sign = if b & 1 == 1 { -1.0f32 } else { 1.0 };
            out.push(match kind {
                0 => f32::from_bits(b),
                1 => sign * 0.0,
                2 => f32::from_bits(b & 0x807F_FFFF),
                3 => sign * 2f32.powi(r.below(60) as i32 - 30),
                4 => sign * (r.below(64) as f32 + 0.5) * 2f32.powi(r.below(40) as i32 - 25),
                5 => {
                    let p = 2f32.powi(r.below(60) as i32 - 30);
                    f32::from_bits(p.to_bits().wrapping_add(r.below(3)).wrapping_sub(1))
                }
                6 => [
                    f32::NAN,
                    -f32::NAN,
                    f32::INFINITY,
                    f32::NEG_INFINITY,
                    f32::MAX,
                    -f32::MAX,
                    f32::MIN_POSITIVE,
                ][r.below(7) as usize],
                7 => sign * (b >> 9) as f32 * 2f32.powi(r.below(200) as i32 - 140),
                8 => sign * 3e38 * (1.0 + (b >> 9) as f32 / 8e7),
                _ => sign * ((b >> 8) as f32 / 16_777_216.0 - 0.5) * 8.0,
            });
        }
    }
    out.truncate(n);
    out
}

/// Given scales, one per group: ordinary, powers of two, subnormal, tiny, huge (products near
/// and beyond f32's range).
fn given_scales(n: usize, seed: u64) -> Vec<f32> {
    let mut r = Rng(seed | 1);
    (0..n)
        .map(|i| match i % 7 {
            0 => 1.0,
            1 => 2f32.powi(r.below(40) as i32 - 20),
            2 => f32::from_bits(1 + r.below(0x7F_FFFF)),
            3 => 1e30,
            4 => f32::MAX / (1000 + r.below(100_000)) as f32,
            5 => 1.5e-36,
            _ => (r.below(1000) + 1) as f32 * 1.37e-3,
        })
        .collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn first_diff(a: &[u32], b: &[u32], x: &[f32]) -> String {
    match a.iter().zip(b).position(|(p, q)| p != q) {
        Some(i) => format!(
            "at {i}: x = {:e} ({:#x}): {:#x} vs {:#x}",
            x[i],
            x[i].to_bits(),
            a[i],
            b[i]
        ),
        None => format!("lengths {} vs {}", a.len(), b.len()),
    }
}

/// The per-element formula, from the scalar conversions: decode(F(Saturate(NearestEven(x /
/// s)))) · s in f32, an infinite quotient first ±f32::MAX, the product of two finite factors
/// that overflows ±f32::MAX.
fn formula<F: Format>(x: f32, s: f32) -> f32 {
    let q = x / s;
    let q = if q.is_infinite() {
        f32::MAX.copysign(q)
    } else {
        q
    };
    let d = F::from_f32_with(q, Rounding::NearestEven, Overflow::Saturate).to_f32();
    let p = d * s;
    if p.is_infinite() && d.is_finite() {
        f32::MAX.copysign(p)
    } else {
        p
    }
}

/// The scale index of element `i`.
fn scale_index(g: Granularity<'_>, i: usize) -> usize {
    let (shape, axis, block) = match g {
        Granularity::PerTensor => return 0,
        Granularity::PerAxis { shape, axis } => (shape, axis, None),
        Granularity::Blocked {
            shape,
            axis,
            block_size,
        } => (shape, axis, Some(block_size)),
    };
    let inner: usize = shape[axis + 1..].iter().product();
    let dim = shape[axis];
    let (o, j, k) = (i / (dim * inner), (i / inner) % dim, i % inner);
    match block {
        None => j,
        Some(b) => (o * dim.div_ceil(b) + j / b) * inner + k,
    }
}

fn groups(g: Granularity<'_>, n: usize) -> usize {
    match g {
        Granularity::PerTensor => 1,
        Granularity::PerAxis { shape, axis } => shape[axis],
        Granularity::Blocked {
            shape,
            axis,
            block_size,
        } => n / shape[axis].max(1) * shape[axis].div_ceil(block_size),
    }
}

/// The reference: `quantize_float` then `dequantize_float` at the scalar level in the default
/// environment, an infinite product of a finite input made ±f32::MAX.
fn reference<F: Format>(x: &[f32], g: Granularity<'_>, s: &[f32]) -> Vec<u32> {
    at_scalar(|| {
        let mut q = vec![F::from_bits_u32(0); x.len()];
        quant::quantize_float(x, g, s, &mut q).unwrap();
        let mut y = vec![0f32; x.len()];
        quant::dequantize_float(&q, g, s, &mut y).unwrap();
        for (y, q) in y.iter_mut().zip(&q) {
            if y.is_infinite() && q.to_f32().is_finite() {
                *y = f32::MAX.copysign(*y);
            }
        }
        bits(&y)
    })
}

/// Every granularity of the shapes of `n` elements: per tensor; per axis and blocked (blocks
/// of 1, 3, 32: ragged last blocks) along every axis of 1-, 2- and 3-D shapes.
fn shapes(n: usize) -> Vec<Vec<usize>> {
    let mut v = vec![vec![n]];
    for d in [2usize, 3, 5, 17, 40] {
        if n.is_multiple_of(d) && n > 0 {
            v.push(vec![d, n / d]);
            v.push(vec![n / d, d]);
        }
    }
    if n.is_multiple_of(30) && n > 0 {
        v.push(vec![3, n / 30, 10]);
        v.push(vec![2, 5, n / 10]);
    }
    if n == 0 {
        v.push(vec![0, 3]);
        v.push(vec![2, 0, 4]);
    }
    v
}

/// The format's rounding points: every code's value and the midpoint between adjacent values,
/// each with its two neighbours on either side, both signs (formats with many codes: about
/// 4096 codes, evenly spaced).
fn points<F: Format>() -> Vec<f32> {
    let codes = 1u64 << F::SPEC.bits;
    let step = if codes > 1024 { codes / 4096 + 1 } else { 1 };
    let mut v: Vec<f32> = (0..codes)
        .step_by(step as usize)
        .map(|c| {
            F::from_bits_u32((c as u32) << F::SPEC.storage_shift)
                .to_f32()
                .abs()
        })
        .filter(|v| v.is_finite())
        .collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v.dedup();
    let mut out = Vec::new();
    for w in v.windows(2) {
        let mid = ((w[0] as f64 + w[1] as f64) / 2.0) as f32;
        for p in [w[0], mid] {
            for d in -2i32..=2 {
                let q = f32::from_bits((p.to_bits() as i32 + d).max(0) as u32);
                out.extend([q, -q]);
            }
        }
    }
    out
}

/// [`data`] with every other stretch of 50 elements taken from the format's rounding points
/// ([`points`]): exact quotients at the scales 1 and powers of two that [`given_scales`]
/// gives, so that the lanes meet the format's ties and boundaries.
fn data_for<F: Format>(n: usize, seed: u64) -> Vec<f32> {
    let p = points::<F>();
    let mut x = data(n, seed);
    for (i, v) in x.iter_mut().enumerate() {
        if (i / 50) % 2 == 1 {
            *v = p[(i * 7 + seed as usize) % p.len()];
        }
    }
    x
}

/// Check one format at every granularity: given scales and scales from the data.
fn check<F: Format>(n: usize, seed: u64) {
    let x = data_for::<F>(n, seed);
    for shape in shapes(n) {
        let mut gs = vec![Granularity::PerTensor];
        for axis in 0..shape.len() {
            gs.push(Granularity::PerAxis {
                shape: &shape,
                axis,
            });
            for block_size in [1, 3, 32] {
                gs.push(Granularity::Blocked {
                    shape: &shape,
                    axis,
                    block_size,
                });
            }
        }
        for g in gs {
            let m = groups(g, n);
            let mut from_data = vec![0f32; m];
            quant::scales::<F>(&x, g, &mut from_data).unwrap();
            for s in [given_scales(m, seed ^ m as u64), from_data] {
                check_one::<F>(&x, g, &s);
            }
        }
    }
}

fn check_one<F: Format>(x: &[f32], g: Granularity<'_>, s: &[f32]) {
    let want = reference::<F>(x, g, s);
    // The reference is the per-element formula (and so never ∞ from a finite input).
    let formula: Vec<u32> = (0..x.len())
        .map(|i| formula::<F>(x[i], s[scale_index(g, i)]).to_bits())
        .collect();
    assert!(
        want == formula,
        "{} {g:?} reference vs formula {}",
        F::NAME,
        first_diff(&want, &formula, x)
    );
    at_every_level(|l| {
        let run = || {
            let mut y = vec![0f32; x.len()];
            quant::fake_quantize_float::<F>(x, g, s, &mut y).unwrap();
            let mut t = Vec::new();
            if let Granularity::PerTensor = g {
                let mut z = vec![0f32; x.len()];
                quant::fake_quantize_scaled::<F>(x, s[0], &mut z).unwrap();
                t = bits(&z);
            }
            (bits(&y), t)
        };
        let (got, tensor) = run();
        assert!(
            got == want,
            "{} {g:?} {l:?}: {}",
            F::NAME,
            first_diff(&got, &want, x)
        );
        if !tensor.is_empty() {
            assert!(tensor == want, "{} fake_quantize_scaled {l:?}", F::NAME);
        }
        if let Some((got, tensor)) = mxcsr::try_flushing(run) {
            assert!(
                got == want,
                "{} {g:?} {l:?} FTZ|DAZ: {}",
                F::NAME,
                first_diff(&got, &want, x)
            );
            if !tensor.is_empty() {
                assert!(
                    tensor == want,
                    "{} fake_quantize_scaled {l:?} FTZ|DAZ",
                    F::NAME
                );
            }
        }
    });
}

/// Sizes below and around the lanes' run (64) and the blocks (32), with many divisors.
const SIZES: [usize; 5] = [0, 7, 96, 390, 1020];

macro_rules! formats {
    ($($name:ident: $t:ty,)*) => {$(
        #[test]
        fn $name() {
            for (k, n) in SIZES.into_iter().enumerate() {
                check::<$t>(n, 0x51 + k as u64);
            }
        }
    )*};
}

formats! {
    e4m3fn: F8E4M3FN,
    e5m2: F8E5M2,
    e4m3fnuz: F8E4M3FNUZ,
    e5m2fnuz: F8E5M2FNUZ,
    e4m3b11fnuz: F8E4M3B11FNUZ,
    e3m4: F8E3M4,
    e4m3: F8E4M3,
    e8m0fnu: F8E8M0FNU,
    e2m3fn: F6E2M3FN,
    e3m2fn: F6E3M2FN,
    e2m1fn: F4E2M1FN,
    f16: F16,
    bf16: BF16,
    tf32: TF32,
    f32: f32,
}

/// A large tensor (many lane runs, long rows) on the common shapes, E4M3FN.
#[test]
fn long_rows() {
    let n = 64 * 130;
    let x = data_for::<F8E4M3FN>(n, 9);
    for shape in [[64usize, 130], [130, 64]] {
        for axis in 0..2 {
            let p = Granularity::PerAxis {
                shape: &shape,
                axis,
            };
            let b = Granularity::Blocked {
                shape: &shape,
                axis,
                block_size: 32,
            };
            for g in [Granularity::PerTensor, p, b] {
                let s = given_scales(groups(g, n), 3);
                check_one::<F8E4M3FN>(&x, g, &s);
            }
        }
    }
}

/// `DelayedScaling::fake_quantize` is `fake_quantize_scaled` with its scale.
#[test]
fn delayed_scaling_fakes_with_its_scale() {
    let x = data(500, 4);
    let finite: Vec<f32> = x
        .iter()
        .map(|&v| if v.is_finite() { v } else { 1.0 })
        .collect();
    let mut ds = DelayedScaling::<F8E5M2>::new(4, Default::default(), 0);
    for _ in 0..3 {
        let s = ds.scale();
        let want = reference::<F8E5M2>(&finite, Granularity::PerTensor, &[s]);
        let mut y = vec![0f32; finite.len()];
        assert_eq!(ds.fake_quantize(&finite, &mut y).unwrap(), s);
        assert_eq!(bits(&y), want);
    }
}

/// A finite input never comes back ±∞, also where decode(q) · scale overflows f32 (q rounded
/// up near the top of the range), at every level: ±f32::MAX.
#[test]
fn overflowing_products_saturate() {
    let x = [f32::MAX, -f32::MAX, 3.3e38, f32::INFINITY];
    let mut overflowed = 0;
    at_every_level(|l| {
        for k in 0..300 {
            let s = f32::MAX / (400 + k) as f32;
            for g in [
                Granularity::PerTensor,
                Granularity::PerAxis {
                    shape: &[4],
                    axis: 0,
                },
            ] {
                let sc = vec![s; groups(g, 4)];
                let mut y = [0f32; 4];
                quant::fake_quantize_float::<F8E4M3FN>(&x, g, &sc, &mut y).unwrap();
                assert!(y.iter().all(|v| v.is_finite()), "{l:?} {s:e}: {y:?}");
                let d = F8E4M3FN::from_f32_with(
                    f32::MAX / s,
                    Rounding::NearestEven,
                    Overflow::Saturate,
                )
                .to_f32();
                if (d * s).is_infinite() {
                    overflowed += 1;
                    assert_eq!(y[0], f32::MAX);
                    assert_eq!(y[1], -f32::MAX);
                }
            }
        }
    });
    assert!(overflowed > 0, "no case overflowed");
}

/// Bad arguments: an `Err`, and the output untouched, at every level.
#[test]
fn errors_write_nothing() {
    let x = data(120, 5);
    let shape = [3usize, 40];
    at_every_level(|l| {
        let cases: [(Granularity<'_>, Vec<f32>, usize); 8] = [
            (Granularity::PerTensor, vec![0.0], 120),
            (Granularity::PerTensor, vec![f32::NAN], 120),
            (Granularity::PerTensor, vec![-1.0], 120),
            (Granularity::PerTensor, vec![f32::INFINITY], 120),
            (Granularity::PerTensor, vec![1.0], 119),
            (Granularity::PerTensor, vec![1.0, 1.0], 120),
            (
                Granularity::PerAxis {
                    shape: &shape,
                    axis: 1,
                },
                vec![1.0; 3],
                120,
            ),
            (
                Granularity::Blocked {
                    shape: &shape,
                    axis: 1,
                    block_size: 0,
                },
                vec![1.0; 3],
                120,
            ),
        ];
        for (g, s, len) in cases {
            let mut y = vec![5f32; len];
            let r = quant::fake_quantize_float::<F8E4M3FN>(&x, g, &s, &mut y);
            assert!(r.is_err(), "{l:?} {g:?} {s:?} {len}");
            assert!(y.iter().all(|&v| v == 5.0), "{l:?} {g:?}: written");
        }
        let mut y = vec![5f32; 120];
        let bad = [1.0, 0.0, 1.0];
        let g = Granularity::PerAxis {
            shape: &shape,
            axis: 0,
        };
        assert!(matches!(
            quant::fake_quantize_float::<F8E4M3FN>(&x, g, &bad, &mut y),
            Err(Error::InvalidScale { .. })
        ));
        assert!(y.iter().all(|&v| v == 5.0));
        let mut z = vec![5f32; 120];
        assert!(quant::fake_quantize_scaled::<F8E4M3FN>(&x, -0.0, &mut z).is_err());
        assert!(z.iter().all(|&v| v == 5.0));
    });
}
