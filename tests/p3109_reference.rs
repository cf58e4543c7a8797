//! An independent reference for P3109 (interim report v4.0), written from the report's
//! definitions and sharing no code with the crate: ωDecode (§4.7.2), ωRoundToPrecision
//! (§4.7.4), ωSaturate (§4.7.5, its patterns in the report's order) and ωEncode (§4.7.6), on
//! exact dyadic rationals. Used by `tests/p3109.rs` and `tests/p3109_ops.rs` (`#[path]`);
//! compiled on its own it has no tests.
#![allow(dead_code)]

use std::cmp::Ordering;

use num_bigint::BigInt;
use num_bigint::Sign;

/// The format-defining parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fmt {
    pub k: u32,
    pub p: u32,
    pub signed: bool,
    pub ext: bool,
}

/// An exact extended real. `Fin`: (−1)^neg · (m + tiny·ε) · 2^e, where ε is a positive
/// amount below every rounding boundary that matters (it stands for the bits of an exact
/// result below the top 100); zero is m = 0, tiny = false.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exact {
    Nan,
    Inf(bool),
    Fin {
        neg: bool,
        m: u128,
        e: i32,
        tiny: bool,
    },
}

/// The six modes and the three stochastic variants (N bits, R).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    NearestTiesToEven,
    NearestTiesToAway,
    TowardZero,
    TowardPositive,
    TowardNegative,
    ToOdd,
    StochasticA(u32, u64),
    StochasticB(u32, u64),
    StochasticC(u32, u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // the report's names
pub enum Sat {
    SatFinite,
    SatPropagate,
    SatNone,
}

impl Fmt {
    pub fn bias(self) -> i32 {
        if self.signed {
            1 << (self.k - self.p - 1)
        } else {
            1 << (self.k - self.p)
        }
    }
    pub fn nan_code(self) -> u32 {
        if self.signed {
            1 << (self.k - 1)
        } else {
            (1 << self.k) - 1
        }
    }
    /// MaxFiniteOf's code: the largest code that ωDecodeAux sends to a finite value.
    pub fn max_finite_code(self) -> u32 {
        let top = if self.signed {
            (1 << (self.k - 1)) - 1
        } else {
            (1 << self.k) - 2
        };
        if self.ext {
            top - 1
        } else {
            top
        }
    }
    /// ωDecodeAux, pattern by pattern.
    pub fn decode(self, x: u32) -> Exact {
        let k = self.k;
        if self.signed && x == 1 << (k - 1) {
            return Exact::Nan;
        }
        if !self.signed && x == (1 << k) - 1 {
            return Exact::Nan;
        }
        if self.signed && self.ext && x == (1 << (k - 1)) - 1 {
            return Exact::Inf(false);
        }
        if self.signed && self.ext && x == (1 << k) - 1 {
            return Exact::Inf(true);
        }
        if !self.signed && self.ext && x == (1 << k) - 2 {
            return Exact::Inf(false);
        }
        if self.signed && x > 1 << (k - 1) && x < 1 << k {
            return match self.decode(x - (1 << (k - 1))) {
                Exact::Fin { m, e, .. } => Exact::Fin {
                    neg: m != 0,
                    m,
                    e,
                    tiny: false,
                },
                Exact::Inf(s) => Exact::Inf(!s),
                Exact::Nan => Exact::Nan,
            };
        }
        let p = self.p as i32;
        let b = self.bias();
        let t = (x % (1 << (p - 1))) as u128;
        let eb = (x / (1 << (p - 1))) as i32;
        // (0 + T·2^(1−P))·2^(1−B) or (1 + T·2^(1−P))·2^(Eb−B), as an integer times 2^e.
        if eb == 0 {
            Exact::Fin {
                neg: false,
                m: t,
                e: 1 - p + 1 - b,
                tiny: false,
            }
        } else {
            Exact::Fin {
                neg: false,
                m: (1 << (p - 1)) + t,
                e: 1 - p + eb - b,
                tiny: false,
            }
        }
    }
}

fn bitlen(m: u128) -> i32 {
    128 - m.leading_zeros() as i32
}

/// Compare m1·2^e1 with m2·2^e2 (non-negative).
pub fn cmp_dyadic(m1: u128, e1: i32, m2: u128, e2: i32) -> Ordering {
    match (m1 == 0, m2 == 0) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    let l1 = e1 + bitlen(m1);
    let l2 = e2 + bitlen(m2);
    if l1 != l2 {
        return l1.cmp(&l2);
    }
    let (a, b) = (m1 << m1.leading_zeros(), m2 << m2.leading_zeros());
    a.cmp(&b)
}

/// ⌊(rem + tiny·ε) · 2^n / 2^d⌋ for rem < 2^d, d ≥ 1, n ≤ 40.
fn frac_floor(rem: u128, d: i32, n: i32) -> u128 {
    if d <= n {
        rem << (n - d)
    } else if d - n >= 128 {
        0
    } else {
        rem >> (d - n)
    }
}

/// The rest below the cut of [`frac_floor`], compared with half of its unit:
/// (rem·2^n mod 2^d) vs 2^(d−1), with tiny breaking exact equality upward.
fn frac_rest_vs_half(rem: u128, d: i32, n: i32, tiny: bool) -> Ordering {
    if d <= n {
        // Only tiny is left, below any half.
        return Ordering::Less;
    }
    let cut = d - n; // bits of the rest
    let rest = if cut >= 128 {
        rem
    } else {
        rem & ((1u128 << cut) - 1)
    };
    let half_exp = cut - 1;
    let c = if half_exp >= 128 {
        Ordering::Less
    } else {
        rest.cmp(&(1u128 << half_exp))
    };
    if c == Ordering::Equal && tiny {
        Ordering::Greater
    } else {
        c
    }
}

/// ωRoundToPrecision: the rounded value as (negative, S, Q) with |R| = S·2^Q, or special.
pub fn round_to_precision(f: Fmt, x: Exact, mode: Mode) -> Exact {
    let Exact::Fin { neg, m, e, tiny } = x else {
        return x;
    };
    if m == 0 {
        return x;
    }
    let p = f.p as i32;
    let b = f.bias();
    let log2 = e + bitlen(m) - 1;
    let q = log2.max(1 - b) - p + 1;
    // S̃ = m·2^(e − q) (+ tiny): floor and the fraction ν = rem/2^d.
    let d = q - e;
    let (floor, rem, d) = if d <= 0 {
        (m << (-d), 0u128, 1)
    } else if d >= 128 {
        (0, m, d)
    } else {
        (m >> d, m & ((1u128 << d) - 1), d)
    };
    let nu_pos = rem != 0 || tiny;
    let nu_vs_half = if rem == 0 && !tiny {
        Ordering::Less
    } else {
        frac_rest_vs_half(rem, d, 0, tiny)
    };
    let code_is_even = if p > 1 {
        floor % 2 == 0
    } else {
        floor == 0 || (q + b) % 2 == 0
    };
    let x_pos = !neg;
    let away = match mode {
        Mode::TowardZero => false,
        Mode::TowardPositive => nu_pos && x_pos,
        Mode::TowardNegative => nu_pos && !x_pos,
        Mode::NearestTiesToAway => nu_vs_half != Ordering::Less,
        Mode::NearestTiesToEven => {
            nu_vs_half == Ordering::Greater || (nu_vs_half == Ordering::Equal && !code_is_even)
        }
        Mode::ToOdd => nu_pos && code_is_even,
        Mode::StochasticA(n, r) => {
            let n = n as i32;
            frac_floor(rem, d, n) + r as u128 >= 1u128 << n
        }
        Mode::StochasticB(n, r) => {
            let n = n as i32;
            frac_floor(rem, d, n + 1) + 2 * r as u128 + 1 >= 1u128 << (n + 1)
        }
        Mode::StochasticC(n, r) => {
            let n = n as i32;
            let fl = frac_floor(rem, d, n);
            let c = frac_rest_vs_half(rem, d, n, tiny);
            let rnite =
                fl + (c == Ordering::Greater || (c == Ordering::Equal && fl % 2 == 1)) as u128;
            rnite + r as u128 >= 1u128 << n
        }
    };
    let s = floor + away as u128;
    Exact::Fin {
        neg: neg && s != 0,
        m: s,
        e: q,
        tiny: false,
    }
}

/// ωSaturate, the report's patterns in order. Mlo/Mhi are decoded from MinFiniteOf and
/// MaxFiniteOf.
pub fn saturate(f: Fmt, sat: Sat, mode: Mode, x: Exact) -> Exact {
    let Exact::Fin {
        m: mhi_m, e: mhi_e, ..
    } = f.decode(f.max_finite_code())
    else {
        unreachable!()
    };
    let mhi = Exact::Fin {
        neg: false,
        m: mhi_m,
        e: mhi_e,
        tiny: false,
    };
    let mlo = if f.signed {
        Exact::Fin {
            neg: true,
            m: mhi_m,
            e: mhi_e,
            tiny: false,
        }
    } else {
        Exact::Fin {
            neg: false,
            m: 0,
            e: 0,
            tiny: false,
        }
    };
    // X < Mlo and X > Mhi, for finite X.
    let below = |x: Exact| match x {
        Exact::Fin { neg, m, e, .. } => {
            if f.signed {
                neg && cmp_dyadic(m, e, mhi_m, mhi_e) == Ordering::Greater
            } else {
                neg && m != 0
            }
        }
        _ => false,
    };
    let above = |x: Exact| match x {
        Exact::Fin { neg, m, e, .. } => !neg && cmp_dyadic(m, e, mhi_m, mhi_e) == Ordering::Greater,
        _ => false,
    };
    let ext = f.ext;
    let signed = f.signed;
    use Mode::*;
    use Sat::*;
    match x {
        Exact::Nan => return Exact::Nan,
        Exact::Fin { .. } if !below(x) && !above(x) => return x,
        _ => {}
    }
    let pinf = x == Exact::Inf(false);
    let ninf = x == Exact::Inf(true);
    let inf = Exact::Inf(false);
    let neg_inf = Exact::Inf(true);
    match sat {
        SatFinite => {
            if pinf {
                return mhi;
            }
            if ninf {
                return mlo;
            }
            if below(x) {
                return mlo;
            }
            mhi
        }
        SatPropagate => {
            if pinf && ext {
                return inf;
            }
            if pinf {
                return mhi;
            }
            if ninf && signed && ext {
                return neg_inf;
            }
            if ninf {
                return mlo;
            }
            if below(x) {
                return mlo;
            }
            mhi
        }
        SatNone => {
            if pinf && ext {
                return inf;
            }
            if pinf {
                return mhi;
            }
            if ninf && signed && ext {
                return neg_inf;
            }
            if ninf && !signed {
                return Exact::Nan;
            }
            if ninf {
                return mlo;
            }
            if mode == ToOdd && !signed && ext && above(x) {
                return mhi;
            }
            if matches!(mode, TowardZero | TowardNegative) && above(x) {
                return mhi;
            }
            if matches!(mode, TowardZero | TowardPositive) && below(x) {
                return mlo;
            }
            if signed && ext && below(x) {
                return neg_inf;
            }
            if !signed && below(x) {
                return Exact::Nan;
            }
            if below(x) {
                return mlo;
            }
            if ext && above(x) {
                return inf;
            }
            mhi
        }
    }
}

/// ωEncode of a datum of the format.
pub fn encode(f: Fmt, x: Exact) -> u32 {
    let k = f.k;
    match x {
        Exact::Nan => f.nan_code(),
        Exact::Inf(false) => {
            if f.signed {
                (1 << (k - 1)) - 1
            } else {
                (1 << k) - 2
            }
        }
        Exact::Inf(true) => {
            assert!(f.signed);
            (1 << k) - 1
        }
        Exact::Fin { m: 0, .. } => 0,
        Exact::Fin {
            neg: true, m, e, ..
        } => {
            assert!(f.signed);
            encode(
                f,
                Exact::Fin {
                    neg: false,
                    m,
                    e,
                    tiny: false,
                },
            ) + (1 << (k - 1))
        }
        Exact::Fin { m, e, .. } => {
            let p = f.p as i32;
            let b = f.bias();
            let ee = (e + bitlen(m) - 1).max(1 - b);
            // S = X·2^−E·2^(P−1) = m·2^(e − E + P − 1), an integer.
            let sh = e - ee + p - 1;
            let s = if sh >= 0 {
                m << sh
            } else {
                assert_eq!(m & ((1u128 << -sh) - 1), 0, "not in the datum set");
                m >> -sh
            };
            let t = (s % (1 << (p - 1))) as u32;
            if s < 1 << (p - 1) {
                t
            } else {
                t + ((ee + b) as u32) * (1 << (p - 1))
            }
        }
    }
}

/// ωProject: round, saturate, encode.
pub fn project(f: Fmt, x: Exact, mode: Mode, sat: Sat) -> u32 {
    let r = round_to_precision(f, x, mode);
    let s = saturate(f, sat, mode, r);
    encode(f, s)
}

/// The exact value of an f64 (NaN, ±∞, or m·2^e).
pub fn exact_f64(x: f64) -> Exact {
    if x.is_nan() {
        return Exact::Nan;
    }
    if x.is_infinite() {
        return Exact::Inf(x < 0.0);
    }
    let bits = x.to_bits();
    let neg = bits >> 63 == 1;
    let field = ((bits >> 52) & 0x7FF) as i32;
    let frac = (bits & ((1u64 << 52) - 1)) as u128;
    let (m, e) = if field == 0 {
        (frac, -1074)
    } else {
        (frac | 1 << 52, field - 1075)
    };
    Exact::Fin {
        neg: neg && m != 0,
        m,
        e,
        tiny: false,
    }
}

/// A big signed dyadic m·2^e, for exact sums and products of decoded values.
#[derive(Clone, Debug)]
pub struct Big {
    pub m: BigInt,
    pub e: i64,
}

impl Big {
    pub fn of(x: Exact) -> Big {
        match x {
            Exact::Fin { neg, m, e, tiny } => {
                assert!(!tiny, "Big::of needs an exact value");
                let v = BigInt::from(m);
                Big {
                    m: if neg { -v } else { v },
                    e: e as i64,
                }
            }
            _ => panic!("not finite"),
        }
    }
    pub fn add(&self, o: &Big) -> Big {
        let e = self.e.min(o.e);
        Big {
            m: (&self.m << (self.e - e) as usize) + (&o.m << (o.e - e) as usize),
            e,
        }
    }
    pub fn mul(&self, o: &Big) -> Big {
        Big {
            m: &self.m * &o.m,
            e: self.e + o.e,
        }
    }
    /// The value as an [`Exact`]: its top 100 bits and `tiny` for the rest.
    pub fn exact(&self) -> Exact {
        let (sign, mag) = (self.m.sign(), self.m.magnitude().clone());
        if sign == Sign::NoSign {
            return Exact::Fin {
                neg: false,
                m: 0,
                e: 0,
                tiny: false,
            };
        }
        let bits = mag.bits() as i64;
        let drop = (bits - 100).max(0);
        let top = &mag >> drop as usize;
        let tiny = drop > 0 && (&top << drop as usize) != mag;
        let digits = top.to_u64_digits();
        let m = digits
            .iter()
            .rev()
            .fold(0u128, |acc, &d| (acc << 64) | d as u128);
        Exact::Fin {
            neg: sign == Sign::Minus,
            m,
            e: (self.e + drop) as i32,
            tiny,
        }
    }
}
