//! P3109 operations against exact rational arithmetic (the independent reference of
//! tests/p3109_reference.rs, with num-bigint for exact sums and products).
//!
//! Default run: every pair of operands (2^16 for K = 8) of Add, Subtract, Multiply, the
//! extrema and the comparisons for a representative set of formats ([`DEFAULT_FORMATS`]),
//! with the projection (rounding mode, stochastic variant, saturation mode) rotating from
//! pair to pair so that every one is exercised on every kind of pair; sampled triples for
//! FMA and FAA; sampled blocks for the dot product. `LOWP_FULL=1`: every pair of every member
//! with K ≤ 8 (projections rotating), every pair in all 81 projections for Binary8p4se and
//! Binary8p1uf, 2^20 triples and 10^5 blocks per case.

#[path = "p3109_reference.rs"]
mod reference;

use std::cmp::Ordering;

use lowp::p3109::ops::{self, Projection};
use lowp::p3109::{P3109Format, Rounding, Saturation, Stochastic, StochasticVariant, P3109};
use reference::{project, Big, Exact, Fmt, Mode, Sat};

fn full() -> bool {
    std::env::var("LOWP_FULL").is_ok_and(|v| v == "1")
}

fn fmt_of<F: P3109Format>() -> Fmt {
    Fmt {
        k: F::K,
        p: F::P,
        signed: F::SIGNED,
        ext: F::EXTENDED,
    }
}

/// The projections: six modes and three stochastic variants, by three saturation modes.
fn projection(i: usize, r: u32) -> (Projection, Mode, Sat) {
    let sats = [
        (Saturation::SatFinite, Sat::SatFinite),
        (Saturation::SatPropagate, Sat::SatPropagate),
        (Saturation::SatNone, Sat::SatNone),
    ];
    let (s, rs) = sats[(i / 9) % 3];
    let det = |m: Rounding, rm: Mode| (Projection::new(m, s), rm, rs);
    let n = [1u32, 3, 8][(i / 27) % 3];
    let r = r & ((1 << n) - 1);
    let sto = |v: StochasticVariant, rm: Mode| {
        (
            Projection::stochastic(Stochastic::new(v, n, r).unwrap(), s),
            rm,
            rs,
        )
    };
    match i % 9 {
        0 => det(Rounding::NearestEven, Mode::NearestTiesToEven),
        1 => det(Rounding::NearestAway, Mode::NearestTiesToAway),
        2 => det(Rounding::TowardZero, Mode::TowardZero),
        3 => det(Rounding::TowardPositive, Mode::TowardPositive),
        4 => det(Rounding::TowardNegative, Mode::TowardNegative),
        5 => det(Rounding::Odd, Mode::ToOdd),
        6 => sto(StochasticVariant::A, Mode::StochasticA(n, r as u64)),
        7 => sto(StochasticVariant::B, Mode::StochasticB(n, r as u64)),
        _ => sto(StochasticVariant::C, Mode::StochasticC(n, r as u64)),
    }
}

// ω-operations of the report on exact values, pattern by pattern.

fn is_zero(x: Exact) -> bool {
    matches!(x, Exact::Fin { m: 0, .. })
}

fn neg(x: Exact) -> Exact {
    match x {
        Exact::Inf(s) => Exact::Inf(!s),
        Exact::Fin { neg, m, e, tiny } => Exact::Fin {
            neg: !neg && m != 0,
            m,
            e,
            tiny,
        },
        Exact::Nan => Exact::Nan,
    }
}

fn sign_neg(x: Exact) -> bool {
    match x {
        Exact::Inf(s) => s,
        Exact::Fin { neg, .. } => neg,
        Exact::Nan => false,
    }
}

fn w_add(x: Exact, y: Exact) -> Exact {
    match (x, y) {
        (Exact::Nan, _) | (_, Exact::Nan) => Exact::Nan,
        (Exact::Inf(a), Exact::Inf(b)) if a != b => Exact::Nan,
        (Exact::Inf(a), _) | (_, Exact::Inf(a)) => Exact::Inf(a),
        _ => Big::of(x).add(&Big::of(y)).exact(),
    }
}

fn w_mul(x: Exact, y: Exact) -> Exact {
    match (x, y) {
        (Exact::Nan, _) | (_, Exact::Nan) => Exact::Nan,
        (Exact::Inf(_), z) | (z, Exact::Inf(_)) if is_zero(z) => Exact::Nan,
        (Exact::Inf(_), _) | (_, Exact::Inf(_)) => Exact::Inf(sign_neg(x) != sign_neg(y)),
        _ => Big::of(x).mul(&Big::of(y)).exact(),
    }
}

/// X < Y on non-NaN extended reals.
fn less(x: Exact, y: Exact) -> bool {
    match (x, y) {
        (Exact::Inf(false), _) => false,
        (_, Exact::Inf(false)) => true,
        (Exact::Inf(true), Exact::Inf(true)) => false,
        (Exact::Inf(true), _) => true,
        (_, Exact::Inf(true)) => false,
        _ => {
            let d = Big::of(y).add(&Big::of(neg(x)));
            d.m.sign() == num_bigint::Sign::Plus
        }
    }
}

fn w_min(x: Exact, y: Exact) -> Exact {
    if x == Exact::Nan || y == Exact::Nan {
        return Exact::Nan;
    }
    if less(x, y) {
        x
    } else {
        y
    }
}

fn w_max(x: Exact, y: Exact) -> Exact {
    if x == Exact::Nan || y == Exact::Nan {
        return Exact::Nan;
    }
    if less(x, y) {
        y
    } else {
        x
    }
}

fn code(f: Fmt, x: Exact, m: Mode, s: Sat) -> u32 {
    project(f, x, m, s)
}

fn check_pairs<F: P3109Format>(all_projections: bool) {
    let f = fmt_of::<F>();
    let n = 1u32 << F::K;
    let dec: Vec<Exact> = (0..n).map(|c| f.decode(c)).collect();
    let mut i = 0usize;
    for a in 0..n {
        for b in 0..n {
            let (x, y) = (F::from_bits_u32(a), F::from_bits_u32(b));
            let (ex, ey) = (dec[a as usize], dec[b as usize]);
            let sum = w_add(ex, ey);
            let diff = w_add(ex, neg(ey));
            let prod = w_mul(ex, ey);
            let projections: Vec<usize> = if all_projections {
                (0..81).collect()
            } else {
                vec![i]
            };
            for &k in &projections {
                let (p, m, s) = projection(k, (i as u32).wrapping_mul(2654435761) >> 7);
                let ctx = || format!("{} {a:#x} {b:#x} {m:?} {s:?}", F::NAME);
                assert_eq!(
                    ops::add::<F, F, F>(x, y, p).to_bits_u32(),
                    code(f, sum, m, s),
                    "add {}",
                    ctx()
                );
                assert_eq!(
                    ops::subtract::<F, F, F>(x, y, p).to_bits_u32(),
                    code(f, diff, m, s),
                    "sub {}",
                    ctx()
                );
                assert_eq!(
                    ops::multiply::<F, F, F>(x, y, p).to_bits_u32(),
                    code(f, prod, m, s),
                    "mul {}",
                    ctx()
                );
                assert_eq!(
                    ops::minimum::<F, F, F>(x, y, p).to_bits_u32(),
                    code(f, w_min(ex, ey), m, s),
                    "min {}",
                    ctx()
                );
                assert_eq!(
                    ops::maximum::<F, F, F>(x, y, p).to_bits_u32(),
                    code(f, w_max(ex, ey), m, s),
                    "max {}",
                    ctx()
                );
                let num = |v: Exact, w: Exact, g: fn(Exact, Exact) -> Exact| match (v, w) {
                    (Exact::Nan, Exact::Nan) => Exact::Nan,
                    (Exact::Nan, w) => w,
                    (v, Exact::Nan) => v,
                    (v, w) => g(v, w),
                };
                assert_eq!(
                    ops::minimum_number::<F, F, F>(x, y, p).to_bits_u32(),
                    code(f, num(ex, ey, w_min), m, s),
                    "minnum {}",
                    ctx()
                );
                assert_eq!(
                    ops::maximum_number::<F, F, F>(x, y, p).to_bits_u32(),
                    code(f, num(ex, ey, w_max), m, s),
                    "maxnum {}",
                    ctx()
                );
            }
            // Comparisons.
            let want = if ex == Exact::Nan || ey == Exact::Nan {
                None
            } else if less(ex, ey) {
                Some(Ordering::Less)
            } else if less(ey, ex) {
                Some(Ordering::Greater)
            } else {
                Some(Ordering::Equal)
            };
            assert_eq!(ops::compare(x, y), want, "{} {a:#x} {b:#x}", F::NAME);
            assert_eq!(x.partial_cmp(&y), want);
            assert_eq!(x == y, want == Some(Ordering::Equal));
            let total = ex == Exact::Nan || (ey != Exact::Nan && want != Some(Ordering::Greater));
            assert_eq!(ops::total_order(x, y), total);
            i += 1;
        }
    }
}

macro_rules! each_member {
    ($f:ident; $($k:literal: [$($ps:literal)*] [$($pu:literal)*];)*) => {{
        $(
            $(
                $f::<P3109<$k, $ps, true, true>>();
                $f::<P3109<$k, $ps, true, false>>();
            )*
            $(
                $f::<P3109<$k, $pu, false, true>>();
                $f::<P3109<$k, $pu, false, false>>();
            )*
        )*
    }};
}

fn every_pair<F: P3109Format>() {
    check_pairs::<F>(false)
}

#[test]
fn pairs_match_exact_arithmetic() {
    use lowp::p3109::*;
    // The representative set: the two OCP-like 8-bit members (extended), a finite one, an
    // unsigned extended one, the scale format (precision 1, unsigned), a signed precision-1
    // member, and narrow ones.
    check_pairs::<Binary8p4se>(false);
    check_pairs::<Binary8p3se>(false);
    check_pairs::<Binary8p4sf>(false);
    check_pairs::<Binary8p5ue>(false);
    check_pairs::<Binary8p1uf>(false);
    check_pairs::<Binary8p1se>(false);
    check_pairs::<Binary6p3se>(true);
    check_pairs::<Binary4p2sf>(true);
    check_pairs::<Binary3p1ue>(true);
}

#[test]
fn pairs_every_member_every_projection() {
    if !full() {
        return;
    }
    each_member!(every_pair;
        3: [1 2] [1 2 3];
        4: [1 2 3] [1 2 3 4];
        5: [1 2 3 4] [1 2 3 4 5];
        6: [1 2 3 4 5] [1 2 3 4 5 6];
        7: [1 2 3 4 5 6] [1 2 3 4 5 6 7];
        8: [1 2 3 4 5 6 7] [1 2 3 4 5 6 7 8];
    );
    // And every pair in all 81 projections for two 8-bit members.
    check_pairs::<lowp::p3109::Binary8p4se>(true);
    check_pairs::<lowp::p3109::Binary8p1uf>(true);
}

/// Sampled triples for FMA and FAA, and sampled blocks for the dot product.
fn check_triples<F: P3109Format, R: P3109Format>(count: usize) {
    let f = fmt_of::<F>();
    let fr = fmt_of::<R>();
    let n = 1u64 << F::K;
    let mut s = 0x0123_4567_89AB_CDEFu64 ^ ((F::K * 97 + F::P) as u64);
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s >> 20
    };
    for i in 0..count {
        let (a, b, c) = (
            (next() % n) as u32,
            (next() % n) as u32,
            (next() % n) as u32,
        );
        let (x, y, z) = (
            F::from_bits_u32(a),
            F::from_bits_u32(b),
            F::from_bits_u32(c),
        );
        let (ex, ey, ez) = (f.decode(a), f.decode(b), f.decode(c));
        let (p, m, sat) = projection(i, next() as u32);
        let fma_want = w_add(w_mul(ex, ey), ez);
        let got: R = ops::fma(x, y, z, p);
        assert_eq!(
            got.to_bits_u32(),
            code(fr, fma_want, m, sat),
            "fma {} {a:#x} {b:#x} {c:#x} {m:?} {sat:?}",
            F::NAME
        );
        // ωFAA: the specials as ωAdd's (associative on them), the finite sum exact.
        let faa_want = match (ex, ey, ez) {
            (Exact::Fin { .. }, Exact::Fin { .. }, Exact::Fin { .. }) => {
                Big::of(ex).add(&Big::of(ey)).add(&Big::of(ez)).exact()
            }
            _ => {
                let inf = |v: Exact| {
                    if matches!(v, Exact::Fin { .. }) {
                        Exact::Fin {
                            neg: false,
                            m: 0,
                            e: 0,
                            tiny: false,
                        }
                    } else {
                        v
                    }
                };
                w_add(w_add(inf(ex), inf(ey)), inf(ez))
            }
        };
        let got: R = ops::fused_add_add(x, y, z, p);
        assert_eq!(
            got.to_bits_u32(),
            code(fr, faa_want, m, sat),
            "faa {} {a:#x} {b:#x} {c:#x} {m:?} {sat:?}",
            F::NAME
        );
    }
}

fn check_dots<S: P3109Format, X: P3109Format, R: P3109Format>(count: usize) {
    let (fs, fx, fr) = (fmt_of::<S>(), fmt_of::<X>(), fmt_of::<R>());
    let mut s = 0xDEAD_BEEF_u64 ^ ((X::K * 31 + X::P) as u64);
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s >> 20
    };
    for i in 0..count {
        let len = (next() % 33) as usize;
        // Any codes: specials too.
        let mut pick = |n: u32| (next() % (1u64 << n)) as u32;
        let xs: Vec<u32> = (0..len).map(|_| pick(X::K)).collect();
        let ys: Vec<u32> = (0..len).map(|_| pick(X::K)).collect();
        let (sx, sy) = (pick(S::K), pick(S::K));
        let (p, m, sat) = projection(i, next() as u32);
        let xv: Vec<X> = xs.iter().map(|&c| X::from_bits_u32(c)).collect();
        let yv: Vec<X> = ys.iter().map(|&c| X::from_bits_u32(c)).collect();
        let got: R =
            ops::block_dot(S::from_bits_u32(sx), &xv, S::from_bits_u32(sy), &yv, p).unwrap();
        // Reference: Zi = ωMultiply(S, xi); Pi = ωMultiply(Xi, Yi); reduce(ωAdd, [0, P...]).
        let (esx, esy) = (fs.decode(sx), fs.decode(sy));
        let mut acc = Exact::Fin {
            neg: false,
            m: 0,
            e: 0,
            tiny: false,
        };
        let mut big = Big::of(acc);
        let mut special: Option<Exact> = None;
        for k in 0..len {
            let t = w_mul(w_mul(esx, fx.decode(xs[k])), w_mul(esy, fx.decode(ys[k])));
            match t {
                Exact::Fin { .. } => big = big.add(&Big::of(t)),
                other => {
                    special = Some(match special {
                        None => other,
                        Some(prev) => w_add(prev, other),
                    })
                }
            }
        }
        if let Some(sp) = special {
            acc = sp;
        } else {
            acc = big.exact();
        }
        assert_eq!(
            got.to_bits_u32(),
            code(fr, acc, m, sat),
            "dot {} len {len} {m:?} {sat:?}",
            X::NAME
        );
    }
    assert!(ops::block_dot::<S, X, X, R>(
        S::from_bits_u32(0),
        &[X::from_bits_u32(0)],
        S::from_bits_u32(0),
        &[],
        Projection::default()
    )
    .is_err());
}

#[test]
fn fma_faa_and_dot_match_exact_arithmetic() {
    use lowp::p3109::*;
    let count = if full() { 1 << 20 } else { 20_000 };
    check_triples::<Binary8p4se, Binary8p4se>(count);
    check_triples::<Binary8p1uf, Binary8p1uf>(count);
    check_triples::<Binary8p3se, Binary8p5sf>(count);
    check_triples::<Binary6p3ue, Binary8p3se>(count);
    check_triples::<Binary8p1se, Binary16p8se>(count / 4);
    let blocks = if full() { 100_000 } else { 2_000 };
    check_dots::<Binary8p1uf, Binary8p4se, Binary8p4se>(blocks);
    check_dots::<Binary8p1uf, Binary8p3se, Binary16p11se>(blocks);
    check_dots::<Binary8p4se, Binary8p1se, Binary8p1se>(blocks);
    check_dots::<Binary8p1uf, Binary4p2sf, Binary8p3ue>(blocks);
}

#[test]
fn class_of_every_code() {
    use lowp::p3109::*;
    fn run<F: P3109Format>() {
        let f = fmt_of::<F>();
        let min_normal = F::from_bits_u32(1 << (F::P - 1)).to_f64();
        for c in 0..1u32 << F::K {
            let x = F::from_bits_u32(c);
            let want = match f.decode(c) {
                Exact::Nan => Class::NaN,
                Exact::Inf(true) => Class::NegativeInfinity,
                Exact::Inf(false) => Class::PositiveInfinity,
                Exact::Fin { m: 0, .. } => Class::Zero,
                Exact::Fin { neg, .. } => {
                    let normal = x.to_f64().abs() >= min_normal;
                    match (neg, normal) {
                        (true, true) => Class::NegativeNormal,
                        (true, false) => Class::NegativeSubnormal,
                        (false, true) => Class::PositiveNormal,
                        (false, false) => Class::PositiveSubnormal,
                    }
                }
            };
            assert_eq!(ops::class(x), want, "{} {c:#x}", F::NAME);
        }
    }
    run::<Binary8p4se>();
    run::<Binary8p1uf>();
    run::<Binary8p1se>();
    run::<Binary8p8ue>();
    run::<Binary4p2sf>();
    run::<Binary12p5sf>();
}

/// The scaled forms (report §5.5) on sampled operands, against ωMultiply then the operation.
fn check_scaled<S: P3109Format, X: P3109Format, R: P3109Format>(count: usize) {
    let (fs, fx, fr) = (fmt_of::<S>(), fmt_of::<X>(), fmt_of::<R>());
    let mut st = 0x5EED_u64 ^ ((X::K * 7 + X::P) as u64);
    let mut next = || {
        st = st
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        st >> 20
    };
    for i in 0..count {
        let s: Vec<u32> = (0..3).map(|_| (next() % (1u64 << S::K)) as u32).collect();
        let x: Vec<u32> = (0..3).map(|_| (next() % (1u64 << X::K)) as u32).collect();
        let (p, m, sat) = projection(i, next() as u32);
        let sv: Vec<S> = s.iter().map(|&c| S::from_bits_u32(c)).collect();
        let xv: Vec<X> = x.iter().map(|&c| X::from_bits_u32(c)).collect();
        let z: Vec<Exact> = (0..3)
            .map(|k| w_mul(fs.decode(s[k]), fx.decode(x[k])))
            .collect();
        let add_want = w_add(z[0], z[1]);
        let got: R = ops::scaled_add(sv[0], xv[0], sv[1], xv[1], p);
        assert_eq!(
            got.to_bits_u32(),
            code(fr, add_want, m, sat),
            "scaled add {s:?} {x:?}"
        );
        let mul_want = w_mul(z[0], z[1]);
        let got: R = ops::scaled_multiply(sv[0], xv[0], sv[1], xv[1], p);
        assert_eq!(
            got.to_bits_u32(),
            code(fr, mul_want, m, sat),
            "scaled mul {s:?} {x:?}"
        );
        let got: R = ops::scaled_dot(sv[0], xv[0], sv[1], xv[1], p);
        assert_eq!(
            got.to_bits_u32(),
            code(fr, mul_want, m, sat),
            "scaled dot {s:?} {x:?}"
        );
        let fma_want = w_add(w_mul(z[0], z[1]), z[2]);
        let got: R = ops::scaled_fma(sv[0], xv[0], sv[1], xv[1], sv[2], xv[2], p);
        assert_eq!(
            got.to_bits_u32(),
            code(fr, fma_want, m, sat),
            "scaled fma {s:?} {x:?}"
        );
    }
}

#[test]
fn scaled_forms_match_exact_arithmetic() {
    use lowp::p3109::*;
    let count = if full() { 1 << 20 } else { 20_000 };
    check_scaled::<Binary8p1uf, Binary8p4se, Binary8p4se>(count);
    check_scaled::<Binary8p1uf, Binary8p3se, Binary8p3ue>(count);
    check_scaled::<Binary8p4se, Binary4p2sf, Binary16p8se>(count);
}
