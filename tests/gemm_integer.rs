//! The blocked 8-bit integer GEMM behind `MatMulInteger` and `QLinearMatMul`, on every kernel
//! level this CPU has (scalar model, portable, AVX2, AVX-512 VNNI), equals the definition
//! Σ (a − a_zp)(b − b_zp) modulo 2^32 — computed here independently, in i64 — for every pair of
//! operand types, random and adversarial operands (extreme values, every zero point, k not a
//! multiple of the block, tiny and odd shapes, shapes across every cache block, sums that wrap).
//!
//! One test per property, each walking the levels in turn under a lock: the level is a
//! process-wide setting (`lowp::set_level`).

use lowp::gemm;
use lowp::quant::{QParams, QuantInt, I4, U4};
use lowp::{set_level, Level};
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

/// A value of `Q`: uniform, or (one time in four) an extreme.
fn val<Q: QuantInt>(r: u64, extreme: bool) -> Q {
    let span = (Q::MAX - Q::MIN + 1) as u64;
    let v = if extreme || r.is_multiple_of(4) {
        if (r >> 8) & 1 == 0 {
            Q::MIN
        } else {
            Q::MAX
        }
    } else {
        Q::MIN + ((r >> 8) % span) as i32
    };
    Q::from_i32(v)
}

/// The definition, in i64, reduced modulo 2^32.
fn oracle<A: QuantInt, B: QuantInt>(
    m: usize,
    n: usize,
    k: usize,
    a: &[A],
    azp: &[A],
    b: &[B],
    bzp: &[B],
) -> Vec<i32> {
    let mut y = vec![0i32; m * n];
    for i in 0..m {
        let za = azp[if azp.len() == 1 { 0 } else { i }].to_i32() as i64;
        for j in 0..n {
            let zb = bzp[if bzp.len() == 1 { 0 } else { j }].to_i32() as i64;
            let s: i64 = (0..k)
                .map(|l| (a[i * k + l].to_i32() as i64 - za) * (b[l * n + j].to_i32() as i64 - zb))
                .sum();
            y[i * n + j] = s as i32;
        }
    }
    y
}

struct Case<A, B> {
    m: usize,
    n: usize,
    k: usize,
    a: Vec<A>,
    azp: Vec<A>,
    b: Vec<B>,
    bzp: Vec<B>,
}

fn case<A: QuantInt, B: QuantInt>(
    m: usize,
    n: usize,
    k: usize,
    seed: u64,
    extreme: bool,
    per: (bool, bool),
) -> Case<A, B> {
    let mut r = splitmix(seed);
    Case {
        m,
        n,
        k,
        a: (0..m * k).map(|_| val(r(), extreme)).collect(),
        azp: (0..if per.0 { m } else { 1 })
            .map(|_| val(r(), extreme))
            .collect(),
        b: (0..k * n).map(|_| val(r(), extreme)).collect(),
        bzp: (0..if per.1 { n } else { 1 })
            .map(|_| val(r(), extreme))
            .collect(),
    }
}

/// Shapes: tiny and odd, around the microkernel (8×32, k in groups of 4) and the cache blocks
/// (64 rows, 256 columns, 512 k).
const SHAPES: &[(usize, usize, usize)] = &[
    (1, 1, 1),
    (1, 1, 0),
    (2, 3, 5),
    (7, 31, 3),
    (8, 32, 4),
    (9, 33, 7),
    (13, 1, 29),
    (1, 45, 64),
    (17, 65, 130),
    (65, 257, 9),
    (70, 40, 515),
    (3, 300, 1030),
];

fn run<A: QuantInt, B: QuantInt>(c: &Case<A, B>) -> Vec<i32> {
    let mut y = vec![0x5A5Ai32; c.m * c.n];
    gemm::matmul_integer(c.m, c.n, c.k, &c.a, &c.azp, &c.b, &c.bzp, &mut y).unwrap();
    y
}

fn every_level(mut f: impl FnMut(Level)) {
    let _g = LEVEL_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let levels: Vec<Level> = Level::available().collect();
    assert!(levels.contains(&Level::Portable));
    for l in levels {
        set_level(Some(l)).unwrap();
        f(l);
    }
    set_level(None).unwrap();
}

fn check_types<A: QuantInt, B: QuantInt>(level: Level, seed: u64) {
    let mut r = splitmix(seed);
    for (s, &(m, n, k)) in SHAPES.iter().enumerate() {
        for variant in 0..4u64 {
            // The large shapes (across the cache blocks) with per-row/column zero points,
            // random and extreme; every variant on the others (keeps the debug run short).
            if m * n * k > 50_000 && variant != 1 && variant != 3 {
                continue;
            }
            let extreme = variant == 3;
            let per = (variant & 1 == 1, variant & 2 == 2);
            let c = case::<A, B>(m, n, k, r(), extreme, per);
            let want = oracle(m, n, k, &c.a, &c.azp, &c.b, &c.bzp);
            assert_eq!(
                run(&c),
                want,
                "{level:?} {}×{} shape {s} ({m}×{n}×{k}) variant {variant}",
                A::NAME,
                B::NAME
            );
        }
    }
    // Random small shapes.
    for _ in 0..25 {
        let (m, n, k) = (
            1 + r() as usize % 20,
            1 + r() as usize % 70,
            r() as usize % 40,
        );
        let c = case::<A, B>(
            m,
            n,
            k,
            r(),
            r().is_multiple_of(5),
            (r() & 1 == 1, r() & 1 == 1),
        );
        assert_eq!(
            run(&c),
            oracle(m, n, k, &c.a, &c.azp, &c.b, &c.bzp),
            "{level:?} {m}×{n}×{k}"
        );
    }
}

#[test]
fn every_level_equals_the_definition_for_every_operand_pair() {
    every_level(|l| {
        check_types::<u8, i8>(l, 1);
        check_types::<i8, i8>(l, 2);
        check_types::<u8, u8>(l, 3);
        check_types::<i8, u8>(l, 4);
        check_types::<I4, U4>(l, 5);
        check_types::<U4, i8>(l, 6);
        check_types::<i16, u8>(l, 7);
        check_types::<u16, i16>(l, 8);
    });
}

/// Every combination of extreme operands and extreme zero points (a − a_zp and b − b_zp at
/// ±255 and 0), per tensor and per row/column.
#[test]
fn extreme_operands_and_zero_points() {
    every_level(|l| {
        for av in [0u8, 1, 127, 128, 255] {
            for bv in [-128i8, -1, 0, 1, 127] {
                for za in [0u8, 128, 255] {
                    for zb in [-128i8, 0, 127] {
                        let (m, n, k) = (9, 33, 13);
                        let c = Case {
                            m,
                            n,
                            k,
                            a: vec![av; m * k],
                            azp: vec![za],
                            b: vec![bv; k * n],
                            bzp: vec![zb],
                        };
                        let want = (av as i32 - za as i32) * (bv as i32 - zb as i32) * k as i32;
                        assert!(
                            run(&c).iter().all(|&y| y == want),
                            "{l:?} {av} {bv} {za} {zb}"
                        );
                    }
                }
            }
        }
    });
}

/// k beyond 33025 with the largest products: the i32 sums wrap around, on every level alike.
#[test]
fn sums_wrap_around_modulo_2_pow_32() {
    every_level(|l| {
        let (m, n, k) = (2, 3, 40_003);
        let c = Case {
            m,
            n,
            k,
            a: vec![255u8; m * k],
            azp: vec![0u8],
            b: vec![-128i8; k * n],
            bzp: vec![127i8],
        };
        let want = oracle(m, n, k, &c.a, &c.azp, &c.b, &c.bzp);
        assert_eq!(want[0], (-65025i64 * k as i64) as i32);
        assert_ne!(want[0] as i64, -65025i64 * k as i64, "the sum must wrap");
        assert_eq!(run(&c), want, "{l:?}");
    });
}

/// QLinearMatMul rides on the same sums: every level gives the scalar level's bytes.
#[test]
fn qlinear_matmul_is_the_same_on_every_level() {
    let (m, n, k) = (19, 70, 133);
    let c = case::<u8, i8>(m, n, k, 99, false, (true, true));
    let ap: Vec<QParams> = c
        .azp
        .iter()
        .enumerate()
        .map(|(i, z)| QParams::new(0.01 + i as f32 * 1e-3, *z as i32))
        .collect();
    let bp: Vec<QParams> = c
        .bzp
        .iter()
        .enumerate()
        .map(|(j, z)| QParams::new(0.02 + j as f32 * 1e-4, *z as i32))
        .collect();
    let yp = QParams::new(0.5, 3);
    let mut results: Vec<Vec<u8>> = Vec::new();
    every_level(|_| {
        let mut y = vec![0u8; m * n];
        gemm::qlinear_matmul(m, n, k, &c.a, &ap, &c.b, &bp, yp, &mut y).unwrap();
        assert!(y.iter().any(|&v| v != 0 && v != 255), "degenerate case");
        results.push(y);
    });
    assert!(results.windows(2).all(|w| w[0] == w[1]));
}
