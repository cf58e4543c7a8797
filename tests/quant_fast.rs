//! The quantizers' fast drivers give the bits of the per-element formulas: every quantizer and
//! fake quantizer (scaled floats per tensor / axis / block, MX of every element type with both
//! scale rules, NVFP4, integers per tensor / axis / block) at every kernel level, compared with
//! a reference written here from the scalar core's public conversions, and with the
//! quantizers' own per-element path ([`Level::Scalar`]), on random and adversarial data (NaN
//! and ∞ blocks, zero blocks, subnormals, ties, saturation) at sizes that are not multiples of
//! the block or the lane width.
//!
//! The level is process-wide, so other tests of this binary may run at any level meanwhile;
//! every level gives the same bits, which is what is checked.

mod rng;

use lowp::quant::{self, MxFormat, MxOptions, MxScaleRule, QParams, QuantOptions, ScaleRule};
use lowp::{
    set_level, Format, Level, Overflow, Rounding, BF16, F16, F4E2M1FN, F6E2M3FN, F6E3M2FN,
    F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E8M0FNU,
};
use rng::Rng;
use std::sync::Mutex;

/// Serialises the tests that switch levels (so that each one's comparison runs at the level
/// it set).
static LEVEL: Mutex<()> = Mutex::new(());

/// Run `f` at every available level, then restore the best one.
fn at_every_level(mut f: impl FnMut(Level)) {
    let _g = LEVEL.lock().unwrap_or_else(|e| e.into_inner());
    for l in Level::available() {
        set_level(Some(l)).unwrap();
        f(l);
    }
    set_level(None).unwrap();
}

/// Data with the cases that matter, in runs (so that whole blocks have them): normal values
/// over a wide range, random bits (NaN, ∞, subnormals included), zeros of both signs, f32
/// subnormals, powers of two and their neighbours, ties of `grid` (values k + ½ times a power
/// of two), and huge values.
fn data(n: usize, seed: u64) -> Vec<f32> {
    let mut r = Rng(seed | 1);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let kind = r.below(10);
        let run = 1 + r.below(40) as usize;
        for _ in 0..run {
            let b = r.next();
            let sign = if b & 1 == 1 { -1.0f32 } else { 1.0 };
            let v = match kind {
                0 => f32::from_bits(b),
                1 => sign * 0.0,
                2 => f32::from_bits(b & 0x807F_FFFF), // f32 subnormals and zeros
                3 => sign * 2f32.powi(r.below(60) as i32 - 30),
                4 => {
                    // Ties: (k + ½) · 2^e, k small.
                    sign * (r.below(64) as f32 + 0.5) * 2f32.powi(r.below(40) as i32 - 25)
                }
                5 => {
                    let p = 2f32.powi(r.below(60) as i32 - 30);
                    f32::from_bits(p.to_bits().wrapping_add(r.below(3)).wrapping_sub(1))
                }
                6 => match r.below(6) {
                    0 => f32::NAN,
                    1 => -f32::NAN,
                    2 => f32::INFINITY,
                    3 => f32::NEG_INFINITY,
                    4 => f32::MAX,
                    _ => f32::MIN_POSITIVE,
                },
                7 => sign * (b >> 9) as f32 * 2f32.powi(r.below(200) as i32 - 140),
                8 => sign * 1e38 * (1.0 + (b >> 9) as f32 / 8e6),
                _ => sign * ((b >> 8) as f32 / 16_777_216.0 - 0.5) * 8.0,
            };
            out.push(v);
        }
    }
    out.truncate(n);
    out
}

/// Sizes around the block (16, 32) and lane (16, 32) widths and the drivers' 256-element
/// chunks.
const SIZES: [usize; 12] = [0, 1, 3, 15, 17, 31, 33, 255, 257, 300, 1000, 4099];

fn same(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn first_diff(a: &[f32], b: &[f32]) -> String {
    match a
        .iter()
        .zip(b)
        .position(|(x, y)| x.to_bits() != y.to_bits())
    {
        Some(i) => format!(
            "at {i}: {:e} ({:#x}) vs {:e} ({:#x})",
            a[i],
            a[i].to_bits(),
            b[i],
            b[i].to_bits()
        ),
        None => format!("lengths {} vs {}", a.len(), b.len()),
    }
}

// ---------------------------------------------------------------------------------------------
// Scaled floats.

/// The reference: one scalar-core call per element.
fn ref_scaled<F: Format>(x: f32, s: f32) -> F {
    // An infinite quotient saturates to ±max in every format (f32 included).
    let q = x / s;
    let q = if q.is_infinite() {
        f32::MAX.copysign(q)
    } else {
        q
    };
    F::from_f32_with(q, Rounding::NearestEven, Overflow::Saturate)
}

/// a · b in f32, a finite product that overflows saturated to ±f32::MAX (the quantizers'
/// dequantization rule).
fn sat_mul(a: f32, b: f32) -> f32 {
    let p = a * b;
    if p.is_infinite() && a.is_finite() && b.is_finite() {
        f32::MAX.copysign(p)
    } else {
        p
    }
}

/// Per-element scales of a plan along `axis` of `shape` (blocked when `block` is given).
fn scale_index(shape: &[usize], axis: usize, block: Option<usize>, i: usize) -> usize {
    let inner: usize = shape[axis + 1..].iter().product();
    let dim = shape[axis];
    let outer_i = i / (dim * inner);
    let j = (i / inner) % dim;
    let in_i = i % inner;
    match block {
        None => j,
        Some(b) => {
            let nb = dim.div_ceil(b);
            (outer_i * nb + j / b) * inner + in_i
        }
    }
}

fn scales(n: usize, seed: u64) -> Vec<f32> {
    let mut r = Rng(seed | 1);
    (0..n)
        .map(|i| match i % 5 {
            0 => 1.0,
            1 => 2f32.powi(r.below(40) as i32 - 20),
            2 => f32::from_bits(1 + r.below(0x7F_FFFF)), // subnormal scales
            3 => 1e30,
            _ => (r.below(1000) + 1) as f32 * 1.37e-3,
        })
        .collect()
}

fn check_scaled<F: Format>() {
    for (k, &n) in SIZES.iter().enumerate() {
        let x = data(n, 11 + k as u64);
        // Per tensor, several scales.
        for &s in &[1.0f32, 0.1, 3e-39, 7.5e30, 0.37] {
            let want: Vec<u32> = x
                .iter()
                .map(|&v| ref_scaled::<F>(v, s).to_bits_u32())
                .collect();
            let want_fake: Vec<f32> = x
                .iter()
                .map(|&v| sat_mul(ref_scaled::<F>(v, s).to_f32(), s))
                .collect();
            at_every_level(|l| {
                let mut q = vec![F::from_bits_u32(0); n];
                quant::quantize_scaled(&x, s, &mut q).unwrap();
                let got: Vec<u32> = q.iter().map(|v| v.to_bits_u32()).collect();
                assert_eq!(got, want, "{} n={n} s={s:e} {l:?}", F::NAME);
                let mut y = vec![0f32; n];
                quant::fake_quantize_scaled::<F>(&x, s, &mut y).unwrap();
                assert!(
                    same(&y, &want_fake),
                    "{} fake n={n} s={s:e} {l:?}: {}",
                    F::NAME,
                    first_diff(&y, &want_fake)
                );
            });
        }
        // Per axis and blocked, on 2-D and 3-D shapes whose element count is n.
        let shapes: Vec<Vec<usize>> = if n == 0 {
            vec![vec![0, 3]]
        } else {
            let mut v = vec![vec![n], vec![1, n]];
            for d in [3usize, 5, 17] {
                if n % d == 0 {
                    v.push(vec![d, n / d]);
                    v.push(vec![n / d, d]);
                }
            }
            if n % 15 == 0 {
                v.push(vec![3, n / 15, 5]);
            }
            v
        };
        for shape in shapes {
            for axis in 0..shape.len() {
                for block in [None, Some(1), Some(3), Some(32)] {
                    let dim = shape[axis];
                    let params = match block {
                        None => dim,
                        Some(b) => shape.iter().product::<usize>() / dim.max(1) * dim.div_ceil(b),
                    };
                    let sc = scales(params, n as u64 + axis as u64);
                    let want: Vec<u32> = x
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| {
                            ref_scaled::<F>(v, sc[scale_index(&shape, axis, block, i)])
                                .to_bits_u32()
                        })
                        .collect();
                    at_every_level(|l| {
                        let mut q = vec![F::from_bits_u32(0); n];
                        match block {
                            None => quant::quantize_scaled_per_axis(&x, &shape, axis, &sc, &mut q),
                            Some(b) => {
                                quant::quantize_scaled_blocked(&x, &shape, axis, b, &sc, &mut q)
                            }
                        }
                        .unwrap();
                        let got: Vec<u32> = q.iter().map(|v| v.to_bits_u32()).collect();
                        assert_eq!(
                            got,
                            want,
                            "{} {shape:?} axis {axis} {block:?} {l:?}",
                            F::NAME
                        );
                    });
                }
            }
        }
    }
}

#[test]
fn scaled_fast_paths_are_the_formula() {
    check_scaled::<F8E4M3FN>();
    check_scaled::<F8E5M2>();
    check_scaled::<F8E4M3FNUZ>();
    check_scaled::<F6E2M3FN>();
    check_scaled::<F6E3M2FN>();
    check_scaled::<F4E2M1FN>();
    check_scaled::<F8E8M0FNU>();
    check_scaled::<F16>();
    check_scaled::<BF16>();
}

// ---------------------------------------------------------------------------------------------
// MX.

fn pow2(e: i32) -> f64 {
    2f64.powi(e)
}

/// The element code of the exact value `t` (as the MX rules state it, through the scalar
/// core's f64 conversion).
fn ref_mx_code(f: MxFormat, t: f64) -> u8 {
    fn e<F: Format>(t: f64) -> u8 {
        F::from_f64_with(t, Rounding::NearestEven, Overflow::Saturate).to_bits_u32() as u8
    }
    match f {
        MxFormat::E4M3 => e::<F8E4M3FN>(t),
        MxFormat::E5M2 => e::<F8E5M2>(t),
        MxFormat::E2M3 => e::<F6E2M3FN>(t),
        MxFormat::E3M2 => e::<F6E3M2FN>(t),
        MxFormat::E2M1 => e::<F4E2M1FN>(t),
        MxFormat::Int8 => {
            let v = (t * 64.0).clamp(-127.0, 127.0);
            v.round_ties_even() as i8 as u8
        }
    }
}

/// decode(code) · 2^e in `f32` (one rounding).
fn ref_mx_value(f: MxFormat, c: u8, e: i32) -> f32 {
    let (v, e) = match f {
        MxFormat::E4M3 => (F8E4M3FN::from_bits(c).to_f32(), e),
        MxFormat::E5M2 => (F8E5M2::from_bits(c).to_f32(), e),
        MxFormat::E2M3 => (F6E2M3FN::from_bits(c).to_f32(), e),
        MxFormat::E3M2 => (F6E3M2FN::from_bits(c).to_f32(), e),
        MxFormat::E2M1 => (F4E2M1FN::from_bits(c).to_f32(), e),
        MxFormat::Int8 => (c as i8 as f32, e - 6),
    };
    sat_mul(v, pow2(e) as f32)
}

/// The reference MX quantization of consecutive blocks: scale codes, element codes, values.
fn ref_mx(x: &[f32], f: MxFormat, o: MxOptions) -> (Vec<u8>, Vec<u8>, Vec<f32>) {
    let (mut s, mut c, mut y) = (vec![], vec![], vec![]);
    for blk in x.chunks(o.block_size) {
        let bad = blk.iter().any(|v| !v.is_finite());
        let amax = blk.iter().fold(0f32, |m, v| m.max(v.abs()));
        let e = if bad {
            None
        } else {
            quant::mx_shared_exponent(amax, f, o.rule)
        };
        s.push(e.map_or(0xFF, |e| (e + 127) as u8));
        for &v in blk {
            match e {
                None => {
                    c.push(0);
                    y.push(f32::NAN);
                }
                Some(e) => {
                    let code = ref_mx_code(f, v as f64 * pow2(-e));
                    c.push(code);
                    y.push(ref_mx_value(f, code, e));
                }
            }
        }
    }
    (s, c, y)
}

fn pack(codes: &[u8], width: u32) -> Vec<u8> {
    let mut out = vec![0u8; (codes.len() * width as usize).div_ceil(8)];
    for (i, &c) in codes.iter().enumerate() {
        let bit = i * width as usize;
        let w = (c as u32 & ((1 << width) - 1)) << (bit % 8);
        out[bit / 8] |= w as u8;
        if bit % 8 + width as usize > 8 {
            out[bit / 8 + 1] |= (w >> 8) as u8;
        }
    }
    out
}

/// Adversarial MX blocks: data whose blocks are scaled so that elements land on ties of the
/// element grid, on its saturation boundary, and on its subnormals; blocks of tiny values
/// (f32 subnormals, the scale at or near 2^-127), all-zero blocks, blocks near f32::MAX.
fn mx_data(n: usize, seed: u64, f: MxFormat) -> Vec<f32> {
    let mut x = data(n, seed);
    let mut r = Rng(seed ^ 0xABCD);
    for blk in x.chunks_mut(32) {
        match r.below(8) {
            0 => {
                // Ties and near-max values relative to a power-of-two amax.
                let e = r.below(40) as i32 - 20;
                let max = f.max();
                for (t, v) in blk.iter_mut().enumerate() {
                    let k = r.below(32) as f32 + 0.5;
                    *v = match t % 4 {
                        0 => max * 2f32.powi(e),
                        1 => k * 2f32.powi(e - 4),
                        2 => k * 2f32.powi(e - 12),
                        _ => -k * 2f32.powi(e - 20),
                    };
                }
            }
            1 => {
                // A tiny block: the scale clamps at 2^-127.
                for v in blk.iter_mut() {
                    *v = f32::from_bits(r.below(0x10_0000))
                        * if r.below(2) == 0 { -1.0 } else { 1.0 };
                }
            }
            4 => {
                // Blocks of tiny values around the fused lanes' limit (the grid's smallest
                // normal near 2^-126): amax 2^-135 … 2^-100, with f32 subnormals, values
                // near 2^-126 and ties of the grid's subnormal spacing beside it.
                let e = -(r.below(36) as i32) - 100;
                for (t, v) in blk.iter_mut().enumerate() {
                    let sign = if r.below(2) == 0 { -1.0f32 } else { 1.0 };
                    *v = sign
                        * match t % 5 {
                            0 => 2f32.powi(e) * (1.0 + r.below(8) as f32 / 8.0),
                            1 => f32::from_bits(r.below(0x80_0000)),
                            2 => f32::from_bits(0x60_0000 + r.below(0x40_0000)),
                            3 => (r.below(64) as f32 + 0.5) * 2f32.powi(e - 3 - r.below(10) as i32),
                            _ => f32::from_bits(1 + r.below(16)),
                        };
                }
            }
            5 => {
                // All zeros, of both signs.
                for v in blk.iter_mut() {
                    *v = if r.below(2) == 0 { -0.0 } else { 0.0 };
                }
            }
            6 => {
                // Near f32::MAX: with the round-up rule the block's largest element value
                // times 2^E overflows f32 (the product saturates at ±MAX).
                for v in blk.iter_mut() {
                    let sign = if r.below(2) == 0 { -1.0f32 } else { 1.0 };
                    *v = sign * f32::from_bits(0x7F7F_FFFF - r.below(0x20_0000));
                }
            }
            _ => {}
        }
    }
    x
}

#[test]
fn mx_fast_paths_are_the_formula() {
    for f in MxFormat::ALL {
        for rule in [MxScaleRule::Floor, MxScaleRule::RoundUp] {
            for block_size in [32usize, 16, 7] {
                let o = MxOptions { rule, block_size };
                for (k, &n) in SIZES.iter().enumerate() {
                    let x = mx_data(n, 100 + k as u64, f);
                    let (ws, wc, wy) = ref_mx(&x, f, o);
                    let we = pack(&wc, f.element_bits());
                    at_every_level(|l| {
                        let nb = quant::mx_scale_count(n, block_size);
                        let mut s = vec![F8E8M0FNU::from_bits(0x55); nb];
                        let mut e = vec![0x55u8; quant::mx_element_bytes(f, n)];
                        quant::mx_quantize_with(&x, f, o, &mut s, &mut e).unwrap();
                        let s: Vec<u8> = s.iter().map(|v| v.to_bits()).collect();
                        assert_eq!(s, ws, "{f:?} {o:?} n={n} {l:?} scales");
                        assert_eq!(e, we, "{f:?} {o:?} n={n} {l:?} elements");
                        let mut y = vec![0f32; n];
                        quant::mx_fake_quantize_with(&x, f, o, &mut y).unwrap();
                        assert!(
                            same(&y, &wy),
                            "{f:?} {o:?} n={n} {l:?}: {}",
                            first_diff(&y, &wy)
                        );
                    });
                }
            }
        }
    }
}

/// Rows that are not whole blocks (each row's last block shorter), and blocks along a
/// non-last axis: as the per-element path.
#[test]
fn mx_axis_fast_paths_are_the_scalar_path() {
    for f in MxFormat::ALL {
        for (shape, axis) in [
            (vec![3usize, 45], 1usize),
            (vec![5, 64], 1),
            (vec![4, 1, 33], 2),
            (vec![40, 3], 0),
            (vec![7, 33, 2], 1),
        ] {
            let n: usize = shape.iter().product();
            let x = mx_data(n, n as u64 + axis as u64, f);
            let o = MxOptions::default();
            let dim = shape[axis];
            let nb = shape.iter().product::<usize>() / dim * dim.div_ceil(32);
            let run = || {
                let mut s = vec![F8E8M0FNU::from_bits(0x55); nb];
                let mut e = vec![0x55u8; quant::mx_element_bytes(f, n)];
                quant::mx_quantize_axis(&x, &shape, axis, f, o, &mut s, &mut e).unwrap();
                let mut y = vec![0f32; n];
                quant::mx_fake_quantize_axis(&x, &shape, axis, f, o, &mut y).unwrap();
                (s.iter().map(|v| v.to_bits()).collect::<Vec<u8>>(), e, y)
            };
            let _g = LEVEL.lock().unwrap_or_else(|e| e.into_inner());
            set_level(Some(Level::Scalar)).unwrap();
            let want = run();
            for l in Level::available() {
                set_level(Some(l)).unwrap();
                let got = run();
                assert_eq!(got.0, want.0, "{f:?} {shape:?} {axis} {l:?}");
                assert_eq!(got.1, want.1, "{f:?} {shape:?} {axis} {l:?}");
                assert!(same(&got.2, &want.2), "{f:?} {shape:?} {axis} {l:?}");
            }
            set_level(None).unwrap();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// NVFP4.

fn ref_nvfp4(x: &[f32], ts: f32) -> (Vec<u8>, Vec<u8>, Vec<f32>) {
    let (mut s, mut c, mut y) = (vec![], vec![], vec![]);
    for blk in x.chunks(16) {
        let bad = blk.iter().any(|v| !v.is_finite());
        let amax = blk.iter().fold(0f32, |m, v| m.max(v.abs()));
        let bs = if bad {
            F8E4M3FN::NAN
        } else {
            F8E4M3FN::from_f32_with(amax / 6.0 / ts, Rounding::NearestEven, Overflow::Saturate)
        };
        s.push(bs.to_bits());
        let sc = sat_mul(bs.to_f32(), ts);
        for &v in blk {
            let code = if bad {
                0
            } else if sc == 0.0 {
                ((v.to_bits() >> 31) as u8) << 3
            } else {
                F4E2M1FN::from_f32_with(v / sc, Rounding::NearestEven, Overflow::Saturate).to_bits()
            };
            c.push(code);
            y.push(sat_mul(F4E2M1FN::from_bits(code).to_f32(), sc));
        }
    }
    (s, c, y)
}

#[test]
fn nvfp4_fast_paths_are_the_formula() {
    for (k, &n) in SIZES.iter().enumerate() {
        let x = mx_data(n, 500 + k as u64, MxFormat::E2M1);
        for ts in [
            1.0f32,
            0.013,
            3e-38,
            1e-45,
            2.5e35,
            quant::nvfp4_tensor_scale(&x),
        ] {
            let (ws, wc, _) = ref_nvfp4(&x, ts);
            let we = pack(&wc, 4);
            at_every_level(|l| {
                let mut s = vec![F8E4M3FN::from_bits(0x55); n.div_ceil(16)];
                let mut e = vec![0x55u8; n.div_ceil(2)];
                quant::nvfp4_quantize(&x, ts, &mut s, &mut e).unwrap();
                let s: Vec<u8> = s.iter().map(|v| v.to_bits()).collect();
                assert_eq!(s, ws, "n={n} ts={ts:e} {l:?} scales");
                assert_eq!(e, we, "n={n} ts={ts:e} {l:?} elements");
            });
        }
        let ts = quant::nvfp4_tensor_scale(&x);
        let (_, _, wy) = ref_nvfp4(&x, ts);
        at_every_level(|l| {
            let mut y = vec![0f32; n];
            let got = quant::nvfp4_fake_quantize(&x, &mut y).unwrap();
            assert_eq!(got.to_bits(), ts.to_bits());
            assert!(same(&y, &wy), "n={n} {l:?}: {}", first_diff(&y, &wy));
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Integers.

fn ref_int(x: f32, p: QParams, o: QuantOptions, qmin: i32, qmax: i32) -> i32 {
    let v = match o.rule {
        ScaleRule::Divide => x / p.scale,
        ScaleRule::Reciprocal => x * (1.0 / p.scale),
    };
    if v.is_nan() {
        return p.zero_point;
    }
    let qmin = qmin + o.restricted_range as i32;
    let r = (v as f64).round_ties_even() + p.zero_point as f64;
    r.clamp(qmin as f64, qmax as f64) as i32
}

#[test]
fn int_fast_paths_are_the_formula() {
    for (k, &n) in SIZES.iter().enumerate() {
        let x = data(n, 900 + k as u64);
        let shapes: Vec<(Vec<usize>, usize)> = if n == 0 {
            vec![(vec![0, 3], 1)]
        } else if n % 3 == 0 {
            vec![
                (vec![n], 0),
                (vec![3, n / 3], 1),
                (vec![3, n / 3], 0),
                (vec![n / 3, 3], 1),
            ]
        } else {
            vec![(vec![n], 0), (vec![1, n], 1), (vec![n, 1], 0)]
        };
        for (shape, axis) in shapes {
            for block in [None, Some(1), Some(32), Some(5)] {
                let dim = shape[axis];
                let np = match block {
                    None => dim,
                    Some(b) => n / dim.max(1) * dim.div_ceil(b),
                };
                let mut r = Rng(n as u64 * 7 + 3);
                let params: Vec<QParams> = (0..np)
                    .map(|_| {
                        let s = match r.below(4) {
                            0 => 0.05,
                            1 => 2f32.powi(r.below(30) as i32 - 15),
                            2 => f32::from_bits(1 + r.below(1000)),
                            _ => (r.below(999) + 1) as f32 * 3.1e-3,
                        };
                        QParams::new(s, r.below(11) as i32 - 5)
                    })
                    .collect();
                for o in [
                    QuantOptions::default(),
                    QuantOptions {
                        rule: ScaleRule::Reciprocal,
                        restricted_range: true,
                    },
                ] {
                    let want: Vec<i8> = x
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| {
                            ref_int(v, params[scale_index(&shape, axis, block, i)], o, -128, 127)
                                as i8
                        })
                        .collect();
                    let want_fake: Vec<f32> = want
                        .iter()
                        .enumerate()
                        .map(|(i, &q)| {
                            let p = params[scale_index(&shape, axis, block, i)];
                            (q as i32 - p.zero_point) as f32 * p.scale
                        })
                        .collect();
                    at_every_level(|l| {
                        let mut q = vec![0i8; n];
                        let mut y = vec![0f32; n];
                        match block {
                            None => {
                                quant::quantize_per_axis_with(&x, &shape, axis, &params, o, &mut q)
                                    .unwrap();
                                quant::fake_quantize_per_axis_with::<i8>(
                                    &x, &shape, axis, &params, o, &mut y,
                                )
                                .unwrap();
                            }
                            Some(b) => {
                                quant::quantize_blocked_with(
                                    &x, &shape, axis, b, &params, o, &mut q,
                                )
                                .unwrap();
                                quant::fake_quantize_blocked_with::<i8>(
                                    &x, &shape, axis, b, &params, o, &mut y,
                                )
                                .unwrap();
                            }
                        }
                        assert_eq!(q, want, "{shape:?} {axis} {block:?} {o:?} {l:?}");
                        assert!(
                            same(&y, &want_fake),
                            "{shape:?} {axis} {block:?} {o:?} {l:?}: {}",
                            first_diff(&y, &want_fake)
                        );
                    });
                }
            }
        }
    }
}

#[test]
fn amax_fast_path_is_the_formula() {
    for (k, &n) in SIZES.iter().enumerate() {
        let x = data(n, 77 + k as u64);
        let want = x
            .iter()
            .filter(|v| !v.is_nan())
            .fold(0f32, |m, v| m.max(v.abs()));
        at_every_level(|l| {
            assert_eq!(quant::amax(&x).to_bits(), want.to_bits(), "n={n} {l:?}");
        });
    }
}
