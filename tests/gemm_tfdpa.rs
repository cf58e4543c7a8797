//! The T-FDPA GEMM on 8-bit operands (Hopper FP8 `wgmma`, Ada FP8 `mma`; `lowp::gemm`'s fast
//! level) equals the scalar model bit for bit on every kernel level (AVX-512 VNNI, AVX2,
//! portable), on random and adversarial operands and accumulators: cancellation, exponent
//! spreads wider than F, subnormals, zeros, −0, NaN and ±∞ operands and accumulators, results
//! that overflow or fall subnormal; shapes across the 4×32 tile and the 64-row tasks.

use lowp::gemm::{self, Level, Mma};
use lowp::{Format, F8E4M3FN, F8E5M2};
use std::sync::Mutex;

static LEVEL_LOCK: Mutex<()> = Mutex::new(());

fn splitmix(mut x: u64) -> impl FnMut() -> u64 {
    move || {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// What the operands look like.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Every finite code, no ∞/NaN.
    Finite,
    /// Every code, specials included.
    Any,
    /// A's row and B's column cancel: b = ±a at the same exponents, near 1.
    Cancel,
    /// Huge and tiny (subnormal) values in one chunk: spreads far beyond F.
    Spread,
    /// Mostly zeros and −0, a few values.
    Sparse,
}

fn operand<F: Format>(r: u64, kind: Kind, l: usize) -> F {
    let bits = F::SPEC.bits;
    let mask = (1u32 << bits) - 1;
    let sign = 1u32 << (bits - 1);
    let c = r as u32 & mask;
    let fin = |c: u32| {
        let f = F::from_bits_u32(c);
        if f.to_f32().is_finite() {
            c
        } else {
            c & !(mask >> 1) // a zero of the same sign
        }
    };
    let code = match kind {
        Kind::Finite => fin(c),
        Kind::Any => c,
        // Exponent field near the bias, same significand pattern along k.
        Kind::Cancel => (c & sign) | (mask >> 2) & !0x3 | (l as u32 & 0x3),
        Kind::Spread => match (r >> 32) % 4 {
            0 => fin(c | (mask >> 1) & !0x1), // near the largest
            1 => c & (sign | 0x3),            // subnormal or zero
            _ => fin(c),
        },
        Kind::Sparse => match (r >> 32) % 8 {
            0 => fin(c),
            1 => sign,
            _ => 0,
        },
    };
    F::from_bits_u32(code)
}

/// Accumulators: ordinary values, ±0, subnormals, near-overflow, ∞ and NaN (if `special`).
fn accumulator(r: u64, special: bool) -> f32 {
    match r % 10 {
        0 => 0.0,
        1 => -0.0,
        2 => f32::from_bits((r >> 8) as u32 & 0x807F_FFFF), // subnormal
        3 => f32::from_bits(0x7F00_0000 | (r >> 8) as u32 & 0x807F_FFFF), // ≥ 2^127
        4 if special => f32::INFINITY,
        5 if special => f32::NAN,
        6 if special => f32::NEG_INFINITY,
        _ => ((r >> 16) % 20001) as f32 / 100.0 - 100.0,
    }
}

fn check<A: Format, B: Format>(mma: &Mma, m: usize, n: usize, k: usize, seed: u64, kind: Kind) {
    let mut rnd = splitmix(seed);
    let a: Vec<A> = (0..m * k).map(|i| operand(rnd(), kind, i % k)).collect();
    let b: Vec<B> = (0..k * n)
        .map(|i| {
            let (l, j) = (i / n, i % n);
            if let Kind::Cancel = kind {
                // b[l][j] = ±a[j % m][l] in the same binade: products cancel in pairs.
                let x = a[(j % m) * k + l].to_bits_u32();
                let s = (rnd() as u32 & 1) << (B::SPEC.bits - 1);
                B::from_bits_u32((x ^ s) & ((1 << B::SPEC.bits) - 1))
            } else {
                operand(rnd(), kind, l)
            }
        })
        .collect();
    let special = matches!(kind, Kind::Any);
    let c0: Vec<f32> = (0..m * n).map(|_| accumulator(rnd(), special)).collect();
    let mut want = c0.clone();
    gemm::set_level(Level::Scalar);
    gemm::matmul(mma, m, n, k, &a, &b, &mut want).unwrap();
    gemm::set_level(Level::Fast);
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for lvl in lowp::Level::available() {
        lowp::set_level(Some(lvl)).unwrap();
        let mut y = c0.clone();
        gemm::matmul(mma, m, n, k, &a, &b, &mut y).unwrap();
        let (w, g) = (bits(&want), bits(&y));
        if let Some(i) = (0..w.len()).find(|&i| w[i] != g[i]) {
            panic!(
                "{} {} {lvl:?} {kind:?} {m}x{n}x{k} seed {seed}: output {i} ({}, {}) {:#010x} != scalar {:#010x} (c {:#010x})",
                mma.arch(),
                mma.name(),
                i / n,
                i % n,
                g[i],
                w[i],
                c0[i].to_bits()
            );
        }
    }
    lowp::set_level(None).unwrap();
}

const KINDS: [Kind; 5] = [
    Kind::Finite,
    Kind::Any,
    Kind::Cancel,
    Kind::Spread,
    Kind::Sparse,
];

#[test]
fn hopper_wgmma_fp8_equals_the_scalar_model_on_every_level() {
    let _g = LEVEL_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let e4 = Mma::nvidia("Hopper", "wgmma", "m64n256k32.f32.e4m3.e4m3").unwrap();
    let e5e4 = Mma::nvidia("Hopper", "wgmma", "m64n256k32.f32.e5m2.e4m3").unwrap();
    let e5 = Mma::nvidia("Hopper", "wgmma", "m64n256k32.f32.e5m2.e5m2").unwrap();
    for (s, &kind) in KINDS.iter().enumerate() {
        let seed = s as u64;
        for (m, n, k) in [(1, 1, 32), (5, 33, 64), (9, 70, 96), (70, 40, 64)] {
            check::<F8E4M3FN, F8E4M3FN>(&e4, m, n, k, seed * 31 + m as u64, kind);
        }
        check::<F8E5M2, F8E4M3FN>(&e5e4, 7, 35, 64, seed + 100, kind);
        check::<F8E5M2, F8E5M2>(&e5, 6, 34, 96, seed + 200, kind);
    }
}

#[test]
fn ada_fp8_mma_equals_the_scalar_model_on_every_level() {
    let _g = LEVEL_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let ada = Mma::nvidia("Ada Lovelace", "mma", "m16n8k32.f32.e4m3.e4m3.f32").unwrap();
    for (s, &kind) in KINDS.iter().enumerate() {
        check::<F8E4M3FN, F8E4M3FN>(&ada, 6, 40, 64, s as u64 + 300, kind);
    }
}
