//! The MX and NVFP4 element lanes of the fast drivers (`quant::fast`) against the quantizers'
//! per-element path ([`Level::Scalar`], the reference) at every available kernel level, on the
//! cases each lane has to get right:
//! - MX FP6 (E2M3, E3M2) quantization, packed four codes in three bytes by the byte packer:
//!   every element code in every position of a packing group, at every length 1 … 80 and
//!   around the 256-element chunks (ragged last groups, bytes and blocks);
//! - MXINT8 fake quantization (the one-lane round trip): ties of the element grid, values that
//!   round to ±128 (clamped to ±127), values that round to zero (+0 either sign), blocks of f32
//!   subnormals (the scale clamped at 2^-127), NaN and ±∞ blocks, zero blocks, both rules;
//! - NVFP4 quantization and fake quantization (codes and values from each block scale's row of
//!   edges): blocks with a NaN, ±∞, zero or subnormal amax, x / s exactly on the E2M1 ties and
//!   one ulp either side, tensor scales at their edges (the smallest subnormal, tiny normal,
//!   huge: block scales that saturate at 448 or underflow to 0, products s that saturate),
//!   ragged tails.
//!
//! Under FTZ|DAZ: `lanes_ignore_ftz_daz` here (blocks of f32 subnormals under subnormal tensor
//! scales, where the NVFP4 block scale's native quotients differ and must be redone exactly),
//! and `tests/fenv.rs` (`quantizers_ignore_the_environment`) on its own data, at every level.

mod mxcsr;
mod rng;

use lowp::quant::{self, MxFormat, MxOptions, MxScaleRule};
use lowp::{set_level, Format, Level, F4E2M1FN, F6E2M3FN, F6E3M2FN, F8E4M3FN, F8E8M0FNU};
use rng::Rng;
use std::sync::Mutex;

/// Serialises the tests that switch levels.
static LEVEL: Mutex<()> = Mutex::new(());

/// `f()` at Level::Scalar (the reference), then at every available level, each result equal
/// to the reference (`what` names the case).
fn every_level_is_the_reference<R: PartialEq + std::fmt::Debug>(what: &str, f: impl Fn() -> R) {
    let _g = LEVEL.lock().unwrap_or_else(|e| e.into_inner());
    set_level(Some(Level::Scalar)).unwrap();
    let want = f();
    for l in Level::available() {
        set_level(Some(l)).unwrap();
        let got = f();
        if got != want {
            set_level(None).unwrap();
            panic!("{what}: {l:?} differs from the reference:\n{got:x?}\nvs\n{want:x?}");
        }
    }
    set_level(None).unwrap();
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Lengths: every one up to 80 (every ragged group, byte and block end), and around the
/// drivers' 256-element chunks.
fn lengths() -> Vec<usize> {
    (1..=80)
        .chain([255, 256, 257, 259, 260, 511, 513, 1027])
        .collect()
}

// ---------------------------------------------------------------------------------------------
// MX FP6.

/// FP6 data in which every element code appears at every position of a 4-code packing group:
/// blocks of 32 whose amax is max · 2^E (so the scale is 2^E), the other 31 elements the
/// values decode(c) · 2^E of codes c walking through all 64 codes (both signs) with a shift
/// per block, now and then a random value, a tie or an f32 subnormal.
fn fp6_data<F: Format>(n: usize, seed: u64) -> Vec<f32> {
    let mut r = Rng(seed | 1);
    let max = F::from_bits_u32(F::SPEC.max_code()).to_f32();
    let mut x = Vec::with_capacity(n);
    let mut c = seed as u32;
    while x.len() < n {
        let e = r.below(40) as i32 - 20;
        let p = 2f32.powi(e);
        x.push(max * p * r.sign());
        for _ in 1..32 {
            c = c.wrapping_add(1);
            let code = c % 64;
            let v = F::from_bits_u32(code).to_f32() * p;
            x.push(match r.below(16) {
                0 => f32::from_bits(r.next()) % (max * p),
                1 => (r.below(16) as f32 + 0.5) * p / 8.0,
                2 => f32::from_bits(r.below(0x80_0000)),
                _ => v,
            });
        }
        c = c.wrapping_add(r.below(4));
    }
    x.truncate(n);
    x
}

fn mx_quantize_bytes(x: &[f32], f: MxFormat, o: MxOptions) -> (Vec<u8>, Vec<u8>) {
    let mut s = vec![F8E8M0FNU::from_bits(0x55); quant::mx_scale_count(x.len(), 32)];
    let mut e = vec![0x55u8; quant::mx_element_bytes(f, x.len())];
    quant::mx_quantize_with(x, f, o, &mut s, &mut e).unwrap();
    (s.iter().map(|v| v.to_bits()).collect(), e)
}

/// The codes of a packed FP6 byte string.
fn fp6_codes(bytes: &[u8], n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| {
            let bit = 6 * i;
            let lo = bytes[bit / 8] as u32;
            let hi = *bytes.get(bit / 8 + 1).unwrap_or(&0) as u32;
            (((lo | hi << 8) >> (bit % 8)) & 0x3F) as u8
        })
        .collect()
}

#[test]
fn mx_fp6_packing_is_the_reference() {
    for (f, tag) in [(MxFormat::E2M3, "E2M3"), (MxFormat::E3M2, "E3M2")] {
        let mut seen = [[false; 4]; 64];
        for n in lengths() {
            let x = match f {
                MxFormat::E2M3 => fp6_data::<F6E2M3FN>(n, n as u64),
                _ => fp6_data::<F6E3M2FN>(n, n as u64),
            };
            for rule in [MxScaleRule::Floor, MxScaleRule::RoundUp] {
                let o = MxOptions {
                    rule,
                    block_size: 32,
                };
                every_level_is_the_reference(&format!("{tag} {rule:?} n={n}"), || {
                    mx_quantize_bytes(&x, f, o)
                });
            }
            let (_, e) = mx_quantize_bytes(&x, f, MxOptions::default());
            for (i, c) in fp6_codes(&e, n).into_iter().enumerate() {
                seen[c as usize][i % 4] = true;
            }
        }
        // Every code was packed at every position of a group.
        for (c, s) in seen.iter().enumerate() {
            assert!(
                s.iter().all(|&v| v),
                "{tag}: code {c:#x} not at every place: {s:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// MXINT8 fake quantization.

/// MXINT8 blocks: around a power-of-two amax 2^E, elements on ties k + ½ of the step
/// 2^(E − 6), just below and above them, near ±127.5 steps (clamped), below half a step
/// (zero, either sign), f32 subnormal blocks, NaN / ±∞ blocks, zero blocks, random values,
/// and blocks around the least E of the float lanes ([`int8_threshold_block`]).
fn int8_data(n: usize, seed: u64) -> Vec<f32> {
    let mut r = Rng(seed | 1);
    let mut x = Vec::with_capacity(n);
    while x.len() < n {
        let kind = r.below(7);
        if kind == 6 {
            x.extend(int8_threshold_block(&mut r));
            continue;
        }
        let e = r.below(250) as i32 - 125;
        let step = 2f64.powi(e - 6);
        for t in 0..32 {
            let s = r.sign();
            let v = match kind {
                0 | 1 => {
                    let k = r.below(128) as f64 + 0.5;
                    let v = (k * step) as f32;
                    match t % 4 {
                        0 => v,
                        1 => f32::from_bits(v.to_bits() + 1),
                        2 => f32::from_bits(v.to_bits() - 1),
                        _ => (step * (127.5 + r.below(2) as f64 * 0.49)) as f32,
                    }
                }
                2 => f32::from_bits(r.below(0x80_0000)),
                3 => match r.below(8) {
                    0 => f32::NAN,
                    1 => f32::INFINITY,
                    _ => 0.0,
                },
                4 => (step * r.below(1000) as f64 / 2000.0) as f32,
                _ => f32::from_bits(r.next() & 0x7F7F_FFFF),
            };
            x.push(s * v);
        }
    }
    x.truncate(n);
    x
}

/// One MXINT8 block whose amax is 2^E · (1 + f) for E in −124 ..= −113, around the least E
/// (−119) from which the fast path rounds with float lanes: f32 subnormals (which DAZ reads as
/// zero, and which must round to zero there), ties k + ½ of the step 2^(E − 6) and their ±1-ulp
/// neighbours, the smallest normals.
fn int8_threshold_block(r: &mut Rng) -> Vec<f32> {
    let e = r.below(12) as i32 - 124;
    let step = 2f64.powi(e - 6);
    (0..32)
        .map(|t| {
            let v = if t == 0 {
                (2f64.powi(e) * (1.0 + r.below(1000) as f64 / 1000.0)) as f32
            } else {
                match t % 4 {
                    0 => f32::from_bits(r.below(0x80_0000)),
                    1 | 2 => {
                        let v = ((r.below(64) as f64 + 0.5) * step) as f32;
                        match r.below(3) {
                            0 => v,
                            1 => f32::from_bits(v.to_bits() + 1),
                            _ => f32::from_bits(v.to_bits() - 1),
                        }
                    }
                    _ => f32::from_bits(0x80_0000 + r.below(0x80_0000)),
                }
            };
            r.sign() * v
        })
        .collect()
}

#[test]
fn mxint8_fake_is_the_reference() {
    for n in lengths() {
        let x = int8_data(n, 7 * n as u64);
        for rule in [MxScaleRule::Floor, MxScaleRule::RoundUp] {
            let o = MxOptions {
                rule,
                block_size: 32,
            };
            every_level_is_the_reference(&format!("MXINT8 {rule:?} n={n}"), || {
                let mut y = vec![0f32; n];
                quant::mx_fake_quantize_with(&x, MxFormat::Int8, o, &mut y).unwrap();
                bits(&y)
            });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// NVFP4.

/// NVFP4 blocks of 16: NaN, +∞ or −∞ blocks; zero blocks; blocks of f32 subnormals (a
/// subnormal amax); blocks whose elements are x = m · s for the E2M1 midpoints and grid values
/// m and their ±1-ulp neighbours, with s the block's scale for tensor scale `ts` (the ties
/// of the element rounding); random values over a wide range.
fn nvfp4_data(n: usize, seed: u64, ts: f32) -> Vec<f32> {
    let mut r = Rng(seed | 1);
    let mids = [0.25f32, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, 0.5, 1.0, 6.0, 7.0];
    let mut x = Vec::with_capacity(n);
    while x.len() < n {
        let kind = r.below(8);
        // A block scale code in the normal range, and s = decode · ts (exact for the ties'
        // purpose when it is representable; else the ties are near ties).
        let bs = F8E4M3FN::from_bits(8 + r.below(0x76) as u8);
        let s = bs.to_f32() * ts;
        for t in 0..16 {
            let sg = r.sign();
            let v = match kind {
                0 => [f32::NAN, f32::INFINITY, -f32::INFINITY][r.below(3) as usize],
                1 => 0.0,
                2 => f32::from_bits(r.below(0x80_0000)),
                3..=5 => {
                    // amax 6 · s first, so the block scale is bs.
                    let m = if t == 0 {
                        6.0
                    } else {
                        mids[r.below(11) as usize]
                    };
                    let v = m * s;
                    match r.below(3) {
                        0 => v,
                        1 => f32::from_bits(v.to_bits() + 1),
                        _ => f32::from_bits(v.to_bits().saturating_sub(1)),
                    }
                }
                6 => f32::from_bits(r.next() & 0x7F7F_FFFF),
                _ => (r.next() as f32 / 4e9) * 12.0 * s,
            };
            x.push(if kind == 0 && t != 5 { 1.0 } else { sg * v });
        }
    }
    x.truncate(n);
    x
}

fn nvfp4_run(x: &[f32], ts: f32) -> (Vec<u8>, Vec<u8>) {
    let mut s = vec![F8E4M3FN::from_bits(0x55); x.len().div_ceil(16)];
    let mut e = vec![0x55u8; x.len().div_ceil(2)];
    quant::nvfp4_quantize(x, ts, &mut s, &mut e).unwrap();
    (s.iter().map(|v| v.to_bits()).collect(), e)
}

fn nvfp4_fake_run(x: &[f32]) -> (u32, Vec<u32>) {
    let mut y = vec![0f32; x.len()];
    let ts = quant::nvfp4_fake_quantize(x, &mut y).unwrap();
    (ts.to_bits(), bits(&y))
}

#[test]
fn nvfp4_is_the_reference() {
    let scales = [
        1.0f32,
        0.013,
        f32::from_bits(1), // the smallest subnormal: block scales saturate at 448
        f32::from_bits(0x0000_3000), // subnormal
        f32::MIN_POSITIVE,
        1e-30,
        3e35, // block scales underflow to 0 for most blocks
        f32::MAX,
        f32::MAX / 2688.0,
    ];
    for n in lengths() {
        for (k, &ts) in scales.iter().enumerate() {
            let x = nvfp4_data(n, (n * 31 + k) as u64, ts);
            every_level_is_the_reference(&format!("NVFP4 quantize ts={ts:e} n={n}"), || {
                nvfp4_run(&x, ts)
            });
            every_level_is_the_reference(&format!("NVFP4 fake n={n} data for {ts:e}"), || {
                nvfp4_fake_run(&x)
            });
        }
        // Tensor scales at their edges through the data: all zero (ts = 1), only NaN and ∞
        // (ts = 1), a huge finite amax, only tiny values (the quotient underflows: 2^-149).
        let mut r = Rng(n as u64 + 99);
        let cases: [Vec<f32>; 4] = [
            vec![0.0; n],
            (0..n)
                .map(|i| [f32::NAN, f32::INFINITY, -f32::INFINITY][i % 3])
                .collect(),
            (0..n)
                .map(|i| {
                    if i == n / 2 {
                        -f32::MAX
                    } else {
                        f32::from_bits(r.next())
                    }
                })
                .map(|v| if v.is_nan() { 1.0 } else { v })
                .collect(),
            (0..n)
                .map(|_| f32::from_bits(r.below(0x1000)) * r.sign())
                .collect(),
        ];
        for (k, x) in cases.iter().enumerate() {
            every_level_is_the_reference(&format!("NVFP4 fake edge case {k} n={n}"), || {
                nvfp4_fake_run(x)
            });
        }
    }
}

/// The E2M1 codes of one NVFP4 block cover every code, so that the byte packer's FP4 path is
/// exercised on all of them (a check of the test data above).
#[test]
fn nvfp4_data_covers_every_code() {
    let x = nvfp4_data(4096, 5, 1.0);
    let (_, e) = nvfp4_run(&x, 1.0);
    let mut seen = [false; 16];
    for b in e {
        seen[(b & 15) as usize] = true;
        seen[(b >> 4) as usize] = true;
    }
    assert!(seen.iter().all(|&v| v), "{seen:?}");
    assert_eq!(F4E2M1FN::from_bits(7).to_f32(), 6.0);
}

// ---------------------------------------------------------------------------------------------
// Under FTZ|DAZ (tests/mxcsr).

/// The lanes' data where FTZ|DAZ would change native arithmetic: NVFP4 blocks of f32
/// subnormals under subnormal tensor scales (the block scale's quotients (amax / 6) / ts have
/// subnormal operands and tiny intermediates but a large result), tensor scales from tiny data
/// (fake), MXINT8 and FP6 blocks of subnormals (subnormal values), MXINT8 blocks around the
/// least E of its float lanes (subnormal elements that must round to 0): every level under FTZ|DAZ
/// gives the reference's bits from the default environment.
#[cfg(target_arch = "x86_64")]
#[test]
fn lanes_ignore_ftz_daz() {
    let mut r = Rng(0xF7_DA2);
    let tiny: Vec<f32> = (0..1000)
        .map(|i| match i % 4 {
            0 => f32::from_bits(r.below(0x80_0000)) * r.sign(),
            1 => f32::from_bits(0x80_0000 + r.below(0x100_0000)) * r.sign(),
            2 => f32::from_bits(r.below(0x1000)),
            _ => 0.0,
        })
        .collect();
    let threshold: Vec<f32> = (0..64).flat_map(|_| int8_threshold_block(&mut r)).collect();
    let run = || {
        let mut out = Vec::new();
        for ts in [
            f32::from_bits(1),
            f32::from_bits(0x10),
            f32::from_bits(0x3000),
            f32::from_bits(0x7F_FFFF),
            f32::MIN_POSITIVE,
            1e-30,
        ] {
            let (s, e) = nvfp4_run(&tiny, ts);
            out.push(s.into_iter().chain(e).map(u32::from).collect::<Vec<u32>>());
        }
        let (t, y) = nvfp4_fake_run(&tiny);
        out.push(std::iter::once(t).chain(y).collect());

        let mut y = vec![0f32; tiny.len()];
        for rule in [MxScaleRule::Floor, MxScaleRule::RoundUp] {
            let o = MxOptions {
                rule,
                block_size: 32,
            };
            quant::mx_fake_quantize_with(&tiny, MxFormat::Int8, o, &mut y).unwrap();
            out.push(bits(&y));
            let mut z = vec![0f32; threshold.len()];
            quant::mx_fake_quantize_with(&threshold, MxFormat::Int8, o, &mut z).unwrap();
            out.push(bits(&z));
            for f in [MxFormat::E2M3, MxFormat::E3M2] {
                let (s, e) = mx_quantize_bytes(&tiny, f, o);
                out.push(s.into_iter().chain(e).map(u32::from).collect());
            }
        }
        out
    };
    let _g = LEVEL.lock().unwrap_or_else(|e| e.into_inner());
    set_level(Some(Level::Scalar)).unwrap();
    let want = run();
    for l in Level::available() {
        set_level(Some(l)).unwrap();
        let got = mxcsr::flushing(run);
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            if g != w {
                set_level(None).unwrap();
                let i = g.iter().zip(w).position(|(a, b)| a != b);
                panic!("{l:?} under FTZ|DAZ, case {k}: first difference at {i:?}");
            }
        }
    }
    set_level(None).unwrap();
}

// ---------------------------------------------------------------------------------------------
// MX float elements (E4M3, E5M2, E2M3, E3M2, E2M1): the SIMD kernels' blocks.

/// The largest value and the element grid of an MX float element format, as `f64`.
fn float_grid(f: MxFormat) -> Vec<f64> {
    fn grid<F: Format>() -> Vec<f64> {
        (0..=F::SPEC.max_code())
            .map(|c| f64::from(F::from_bits_u32(c).to_f32()))
            .collect()
    }
    match f {
        MxFormat::E4M3 => grid::<F8E4M3FN>(),
        MxFormat::E5M2 => grid::<lowp::F8E5M2>(),
        MxFormat::E2M3 => grid::<F6E2M3FN>(),
        MxFormat::E3M2 => grid::<F6E3M2FN>(),
        _ => grid::<F4E2M1FN>(),
    }
}

/// MX float data, a block of 32 at a time, of every kind the element lanes and the scale
/// rules have to get right: blocks with a NaN, +∞ or −∞; zero blocks (±0); blocks on the
/// scaled grid with its ties (midpoints of adjacent values) and their ±1-ulp neighbours, for
/// shared exponents over the whole range; huge blocks (amax near `f32::MAX`, where max · 2^E
/// saturates under the round-up rule); random finite bits; blocks of the smallest E whose
/// grid the lanes take exactly (holding f32 subnormals); and, in one chunk of 256 in four,
/// blocks of tiny values (subnormal or tiny amax), which the kernels leave to the portable
/// lanes.
fn mx_float_data(f: MxFormat, n: usize, seed: u64) -> Vec<f32> {
    let mut r = Rng(seed | 1);
    let grid = float_grid(f);
    let max = *grid.last().unwrap();
    let emin = match f {
        MxFormat::E4M3 => -6,
        MxFormat::E5M2 => -14,
        _ => 0,
    };
    let mut x = Vec::with_capacity(n + 32);
    while x.len() < n {
        let tiny_chunk = (x.len() / 256) % 4 == 3;
        let kinds = if tiny_chunk { 9 } else { 8 };
        let e = r.below(250) as i32 - 125;
        let p = 2f64.powi(e);
        let on_grid = |r: &mut Rng, p: f64| -> f32 {
            let i = r.below(grid.len() as u32 - 1) as usize;
            let v = match r.below(3) {
                0 => grid[i] * p,
                _ => (grid[i] + grid[i + 1]) / 2.0 * p,
            } as f32;
            let v = match r.below(4) {
                0 => f32::from_bits(v.to_bits() + 1),
                1 => f32::from_bits(v.to_bits().saturating_sub(1)),
                _ => v,
            };
            v * r.sign()
        };
        let mut blk: Vec<f32> = match r.below(kinds) {
            0 | 1 => {
                let mut b: Vec<f32> = (0..32).map(|_| on_grid(&mut r, p)).collect();
                let special = [f32::NAN, -f32::NAN, f32::INFINITY, f32::NEG_INFINITY];
                b[r.below(32) as usize] = special[r.below(4) as usize];
                b
            }
            2 => (0..32).map(|_| 0.0 * r.sign()).collect(),
            3 | 4 => {
                let mut b: Vec<f32> = (0..32).map(|_| on_grid(&mut r, p)).collect();
                b[r.below(32) as usize] = (max * p) as f32 * r.sign();
                b
            }
            5 => (0..32)
                .map(|_| f32::from_bits(0x7F00_0000 + r.below(0x7F_FFFF)) * r.sign())
                .collect(),
            6 => (0..32)
                .map(|_| f32::from_bits(r.next() % 0x7F80_0000) * r.sign())
                .collect(),
            7 => {
                // The smallest E whose grid's least normal value is 2^-126 or more.
                let e = 1 - 127 - emin + r.below(3) as i32;
                let p = 2f64.powi(e);
                let mut b: Vec<f32> = (0..32)
                    .map(|i| match i % 3 {
                        0 => f32::from_bits(r.below(0x80_0000)) * r.sign(),
                        1 => f32::from_bits(0x80_0000 + r.below(0x80_0000)) * r.sign(),
                        _ => on_grid(&mut r, p),
                    })
                    .collect();
                b[r.below(32) as usize] = (max * p) as f32;
                b
            }
            _ => (0..32)
                .map(|i| match i % 2 {
                    0 => f32::from_bits(r.below(0x80_0000)) * r.sign(),
                    _ => {
                        let top = 0x0100_0000 + (r.below(8) << 23);
                        f32::from_bits(r.below(top)) * r.sign()
                    }
                })
                .collect(),
        };
        x.append(&mut blk);
    }
    x.truncate(n);
    x
}

/// The float element formats.
const FLOAT_FORMATS: [MxFormat; 5] = [
    MxFormat::E4M3,
    MxFormat::E5M2,
    MxFormat::E2M3,
    MxFormat::E3M2,
    MxFormat::E2M1,
];

/// Scale codes and packed elements of `mx_quantize_with`, then the bits of
/// `mx_fake_quantize_with`, for every float format and both rules.
fn mx_float_run(x: &[f32]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for f in FLOAT_FORMATS {
        for rule in [MxScaleRule::Floor, MxScaleRule::RoundUp] {
            let o = MxOptions {
                rule,
                block_size: 32,
            };
            let (s, e) = mx_quantize_bytes(x, f, o);
            out.push(s);
            out.push(e);
            let mut y = vec![f32::from_bits(0x5555_5555); x.len()];
            quant::mx_fake_quantize_with(x, f, o, &mut y).unwrap();
            out.push(y.iter().flat_map(|v| v.to_le_bytes()).collect());
        }
    }
    out
}

/// Every level gives the reference's scales, packed codes and fake-quantized values for
/// every float element format and both scale rules, on [`mx_float_data`] of lengths that
/// end inside and at the edges of groups, blocks and 256-element chunks, over many chunks.
#[test]
fn mx_float_kernels_are_the_reference() {
    let mut ns: Vec<usize> = vec![1, 3, 31, 32, 33, 255, 256, 257, 300, 511, 512, 1024];
    ns.extend([4096 + 256 + 37, 8192, 8192 + 96 + 5, 32768 + 250]);
    for (i, &n) in ns.iter().enumerate() {
        let x = mx_float_data(FLOAT_FORMATS[i % 5], n, 0xF10A7 + i as u64);
        every_level_is_the_reference(&format!("MX float n={n}"), || mx_float_run(&x));
    }
    // Data made for each format's grid, with every format run on it.
    for (i, f) in FLOAT_FORMATS.into_iter().enumerate() {
        let x = mx_float_data(f, 256 * 24 + 64, 0xB10C + i as u64);
        every_level_is_the_reference(&format!("MX float {f:?} grid"), || mx_float_run(&x));
    }
}

/// Rows along the last axis whose length is not a multiple of 32 (each row its own blocks,
/// the last one short): FP8 elements take the kernels a row at a time.
#[test]
fn mx_float_rows_are_the_reference() {
    for (rows, dim) in [(7usize, 45usize), (3, 300), (5, 513), (2, 1)] {
        let n = rows * dim;
        let x = mx_float_data(MxFormat::E4M3, n, 0x12_0000 + n as u64);
        for f in FLOAT_FORMATS {
            let o = MxOptions::default();
            every_level_is_the_reference(&format!("{f:?} rows {rows}x{dim}"), || {
                let mut s = vec![F8E8M0FNU::from_bits(0x55); rows * dim.div_ceil(32)];
                let mut e = vec![0x55u8; rows * quant::mx_element_bytes(f, dim)];
                let r = quant::mx_quantize_axis(&x, &[rows, dim], 1, f, o, &mut s, &mut e);
                let mut y = vec![0f32; n];
                quant::mx_fake_quantize_axis(&x, &[rows, dim], 1, f, o, &mut y).unwrap();
                (
                    r.is_ok(),
                    s.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    e,
                    bits(&y),
                )
            });
        }
    }
}

/// The kinds of [`mx_float_data`] are there: NaN and ∞ blocks (scale 0xFF), zero blocks,
/// blocks whose values saturate, and codes over the whole grid (a check of the test data).
#[test]
fn mx_float_data_covers_the_cases() {
    for f in FLOAT_FORMATS {
        let x = mx_float_data(f, 256 * 64, 77);
        let (s, e) = mx_quantize_bytes(&x, f, MxOptions::default());
        assert!(s.contains(&0xFF), "{f:?}: no NaN block");
        assert!(x.chunks(32).any(|b| b.iter().all(|v| *v == 0.0)), "{f:?}");
        assert!(x.iter().any(|v| v.is_subnormal()), "{f:?}");
        let mut codes = std::collections::BTreeSet::new();
        let bitsz = f.element_bits() as usize;
        for i in 0..x.len() {
            let bit = i * bitsz;
            let w = e[bit / 8] as u32 | (*e.get(bit / 8 + 1).unwrap_or(&0) as u32) << 8;
            codes.insert((w >> (bit % 8)) & ((1 << bitsz) - 1));
        }
        // Every code of the grid with either sign (no NaN or ∞ code: those are never made).
        assert_eq!(
            codes.len(),
            2 * float_grid(f).len(),
            "{f:?}: codes {codes:?}"
        );
    }
}

/// Under FTZ|DAZ every level still gives the reference's bits from the default environment
/// on [`mx_float_data`] (its f32 subnormals, tiny blocks and saturating products).
#[cfg(target_arch = "x86_64")]
#[test]
fn mx_float_kernels_ignore_ftz_daz() {
    let x = mx_float_data(MxFormat::E2M1, 256 * 12 + 40, 0xDA2);
    let _g = LEVEL.lock().unwrap_or_else(|e| e.into_inner());
    set_level(Some(Level::Scalar)).unwrap();
    let want = mx_float_run(&x);
    for l in Level::available() {
        set_level(Some(l)).unwrap();
        let got = mxcsr::flushing(|| mx_float_run(&x));
        if got != want {
            set_level(None).unwrap();
            panic!("{l:?} under FTZ|DAZ differs from the reference");
        }
    }
    set_level(None).unwrap();
}
