//! An independent reference for the tests: the formats table of CONTRACT.md §1 written out
//! literally, a decoder that reads codes the way the table describes them (not through
//! `lowp::Spec`), and a rounding reference that works on the sorted list of a format's values:
//! a value between two neighbours goes to one of them according to the mode, by exact
//! comparisons with their midpoint (values and midpoints are exact in f64).
#![allow(dead_code)]

use lowp::{Format, Overflow, Rounding};

/// How the table says NaN is encoded.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Nans {
    /// Exponent all ones, mantissa non-zero.
    Ieee,
    /// Explicit code ranges (inclusive).
    Codes(&'static [(u32, u32)]),
    None,
}

/// One row of CONTRACT.md §1.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    pub name: &'static str,
    pub bits: u32,
    pub e: u32,
    pub m: u32,
    pub bias: i32,
    pub max: f64,
    pub min_normal: f64,
    pub min_subnormal: Option<f64>,
    pub inf: bool,
    pub nans: Nans,
    pub neg_zero: bool,
    pub signed: bool,
    /// Where the code sits in the storage word (TF32: 13).
    pub shift: u32,
    /// The code a NaN input gives, given the input sign and f32 mantissa (CONTRACT.md §3).
    pub nan_from_f32: fn(bool, u32) -> u32,
}

fn p2(k: i32) -> f64 {
    2f64.powi(k)
}

macro_rules! canonical_nan {
    ($c:expr, signed) => {
        |s, _| $c | if s { 0x80 } else { 0 }
    };
    ($c:expr) => {
        |_, _| $c
    };
}

pub const F16_ROW: Row = Row {
    name: "float16",
    bits: 16,
    e: 5,
    m: 10,
    bias: 15,
    max: 65504.0,
    min_normal: 6.103515625e-05,
    min_subnormal: Some(5.960464477539063e-08),
    inf: true,
    nans: Nans::Ieee,
    neg_zero: true,
    signed: true,
    shift: 0,
    nan_from_f32: |s, m| ((s as u32) << 15) | 0x7E00 | (m >> 13),
};

pub fn rows() -> Vec<Row> {
    vec![
        Row {
            name: "tf32",
            bits: 19,
            e: 8,
            m: 10,
            bias: 127,
            // The exact value is (2 − 2^-10)·2^127 = 3.40116e38.
            max: (2.0 - p2(-10)) * p2(127),
            min_normal: p2(-126),
            min_subnormal: Some(p2(-136)),
            inf: true,
            nans: Nans::Ieee,
            neg_zero: true,
            signed: true,
            shift: 13,
            nan_from_f32: |s, m| ((s as u32) << 18) | 0x3FE00 | (m >> 13),
        },
        F16_ROW,
        Row {
            name: "bfloat16",
            bits: 16,
            e: 8,
            m: 7,
            bias: 127,
            max: 3.3895313892515355e38,
            min_normal: p2(-126),
            min_subnormal: Some(p2(-133)),
            inf: true,
            nans: Nans::Ieee,
            neg_zero: true,
            signed: true,
            shift: 0,
            nan_from_f32: |s, m| ((s as u32) << 15) | 0x7FC0 | (m >> 16),
        },
        Row {
            name: "float8_e4m3fn",
            bits: 8,
            e: 4,
            m: 3,
            bias: 7,
            max: 448.0,
            min_normal: p2(-6),
            min_subnormal: Some(p2(-9)),
            inf: false,
            nans: Nans::Codes(&[(0x7F, 0x7F), (0xFF, 0xFF)]),
            neg_zero: true,
            signed: true,
            shift: 0,
            nan_from_f32: canonical_nan!(0x7F, signed),
        },
        Row {
            name: "float8_e5m2",
            bits: 8,
            e: 5,
            m: 2,
            bias: 15,
            max: 57344.0,
            min_normal: p2(-14),
            min_subnormal: Some(p2(-16)),
            inf: true,
            nans: Nans::Codes(&[(0x7D, 0x7F), (0xFD, 0xFF)]),
            neg_zero: true,
            signed: true,
            shift: 0,
            nan_from_f32: canonical_nan!(0x7E, signed),
        },
        Row {
            name: "float8_e4m3fnuz",
            bits: 8,
            e: 4,
            m: 3,
            bias: 8,
            max: 240.0,
            min_normal: p2(-7),
            min_subnormal: Some(p2(-10)),
            inf: false,
            nans: Nans::Codes(&[(0x80, 0x80)]),
            neg_zero: false,
            signed: true,
            shift: 0,
            nan_from_f32: canonical_nan!(0x80),
        },
        Row {
            name: "float8_e5m2fnuz",
            bits: 8,
            e: 5,
            m: 2,
            bias: 16,
            max: 57344.0,
            min_normal: p2(-15),
            min_subnormal: Some(p2(-17)),
            inf: false,
            nans: Nans::Codes(&[(0x80, 0x80)]),
            neg_zero: false,
            signed: true,
            shift: 0,
            nan_from_f32: canonical_nan!(0x80),
        },
        Row {
            name: "float8_e4m3b11fnuz",
            bits: 8,
            e: 4,
            m: 3,
            bias: 11,
            max: 30.0,
            min_normal: p2(-10),
            min_subnormal: Some(p2(-13)),
            inf: false,
            nans: Nans::Codes(&[(0x80, 0x80)]),
            neg_zero: false,
            signed: true,
            shift: 0,
            nan_from_f32: canonical_nan!(0x80),
        },
        Row {
            name: "float8_e3m4",
            bits: 8,
            e: 3,
            m: 4,
            bias: 3,
            max: 15.5,
            min_normal: 0.25,
            min_subnormal: Some(p2(-6)),
            inf: true,
            nans: Nans::Codes(&[(0x71, 0x7F), (0xF1, 0xFF)]),
            neg_zero: true,
            signed: true,
            shift: 0,
            nan_from_f32: canonical_nan!(0x78, signed),
        },
        Row {
            name: "float8_e4m3",
            bits: 8,
            e: 4,
            m: 3,
            bias: 7,
            max: 240.0,
            min_normal: p2(-6),
            min_subnormal: Some(p2(-9)),
            inf: true,
            nans: Nans::Codes(&[(0x79, 0x7F), (0xF9, 0xFF)]),
            neg_zero: true,
            signed: true,
            shift: 0,
            nan_from_f32: canonical_nan!(0x7C, signed),
        },
        Row {
            name: "float8_e8m0fnu",
            bits: 8,
            e: 8,
            m: 0,
            bias: 127,
            max: p2(127),
            min_normal: p2(-127),
            min_subnormal: None,
            inf: false,
            nans: Nans::Codes(&[(0xFF, 0xFF)]),
            neg_zero: false,
            signed: false,
            shift: 0,
            nan_from_f32: canonical_nan!(0xFF),
        },
        Row {
            name: "float6_e2m3fn",
            bits: 6,
            e: 2,
            m: 3,
            bias: 1,
            max: 7.5,
            min_normal: 1.0,
            min_subnormal: Some(0.125),
            inf: false,
            nans: Nans::None,
            neg_zero: true,
            signed: true,
            shift: 0,
            nan_from_f32: canonical_nan!(0),
        },
        Row {
            name: "float6_e3m2fn",
            bits: 6,
            e: 3,
            m: 2,
            bias: 3,
            max: 28.0,
            min_normal: 0.25,
            min_subnormal: Some(0.0625),
            inf: false,
            nans: Nans::None,
            neg_zero: true,
            signed: true,
            shift: 0,
            nan_from_f32: canonical_nan!(0),
        },
        Row {
            name: "float4_e2m1fn",
            bits: 4,
            e: 2,
            m: 1,
            bias: 1,
            max: 6.0,
            min_normal: 1.0,
            min_subnormal: Some(0.5),
            inf: false,
            nans: Nans::None,
            neg_zero: true,
            signed: true,
            shift: 0,
            nan_from_f32: canonical_nan!(0),
        },
    ]
}

/// Run `$body` once per format type with `F` bound to the type and `row` to its table row.
#[macro_export]
macro_rules! for_each_format {
    (|$row:ident, $f:ident| $body:block) => {{
        fn one<$f: lowp::Format>($row: &$crate::common::Row) $body
        let rows = $crate::common::rows();
        let find = |n: &str| rows.iter().find(|r| r.name == n).unwrap().clone();
        one::<lowp::TF32>(&find("tf32"));
        one::<lowp::F16>(&find("float16"));
        one::<lowp::BF16>(&find("bfloat16"));
        one::<lowp::F8E4M3FN>(&find("float8_e4m3fn"));
        one::<lowp::F8E5M2>(&find("float8_e5m2"));
        one::<lowp::F8E4M3FNUZ>(&find("float8_e4m3fnuz"));
        one::<lowp::F8E5M2FNUZ>(&find("float8_e5m2fnuz"));
        one::<lowp::F8E4M3B11FNUZ>(&find("float8_e4m3b11fnuz"));
        one::<lowp::F8E3M4>(&find("float8_e3m4"));
        one::<lowp::F8E4M3>(&find("float8_e4m3"));
        one::<lowp::F8E8M0FNU>(&find("float8_e8m0fnu"));
        one::<lowp::F6E2M3FN>(&find("float6_e2m3fn"));
        one::<lowp::F6E3M2FN>(&find("float6_e3m2fn"));
        one::<lowp::F4E2M1FN>(&find("float4_e2m1fn"));
    }};
}

/// A decoded code, per the table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    Nan,
    Inf(bool),
    Finite(f64),
}

impl Row {
    pub fn codes(&self) -> u32 {
        1 << self.bits
    }
    pub fn sign_bit(&self) -> u32 {
        if self.signed {
            1 << (self.bits - 1)
        } else {
            0
        }
    }
    pub fn is_nan(&self, code: u32) -> bool {
        match self.nans {
            Nans::None => false,
            Nans::Codes(list) => list.iter().any(|&(a, b)| (a..=b).contains(&code)),
            Nans::Ieee => {
                let mag = code & ((1 << (self.e + self.m)) - 1);
                (mag >> self.m) == (1 << self.e) - 1 && mag & ((1 << self.m) - 1) != 0
            }
        }
    }
    pub fn is_inf(&self, code: u32) -> bool {
        let mag = code & ((1 << (self.e + self.m)) - 1);
        self.inf && mag == ((1 << self.e) - 1) << self.m
    }
    /// Decode a code (not the storage word) the way the table describes it.
    pub fn decode(&self, code: u32) -> Value {
        let neg = code & self.sign_bit() != 0;
        if self.is_nan(code) {
            return Value::Nan;
        }
        if self.is_inf(code) {
            return Value::Inf(neg);
        }
        let mag = code & ((1 << (self.e + self.m)) - 1);
        let ef = (mag >> self.m) as i32;
        let mf = (mag & ((1 << self.m) - 1)) as f64;
        let v = if self.m == 0 {
            p2(ef - self.bias)
        } else if ef == 0 {
            mf * p2(1 - self.bias - self.m as i32)
        } else {
            (1.0 + mf / p2(self.m as i32)) * p2(ef - self.bias)
        };
        Value::Finite(if neg { -v } else { v })
    }
    /// Non-negative finite values in increasing order with their codes (+0 only).
    pub fn ladder(&self) -> Vec<(f64, u32)> {
        let mut v: Vec<(f64, u32)> = (0..self.codes())
            .filter_map(|c| match self.decode(c) {
                Value::Finite(x) if x > 0.0 || (x == 0.0 && c == 0) => Some((x, c)),
                _ => None,
            })
            .collect();
        v.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
        v
    }
    /// The value just past max with an unbounded exponent (where overflow starts).
    pub fn beyond_max(&self, ladder: &[(f64, u32)]) -> f64 {
        let n = ladder.len();
        if self.m == 0 {
            2.0 * ladder[n - 1].0
        } else {
            2.0 * ladder[n - 1].0 - ladder[n - 2].0
        }
    }
    /// The code that a result beyond range gives when it rounds "toward infinity".
    pub fn overflow_code(&self, neg: bool) -> u32 {
        let s = if neg { self.sign_bit() } else { 0 };
        if self.inf {
            (((1 << self.e) - 1) << self.m) | s
        } else {
            match self.nans {
                Nans::None => self.max_code() | s,
                _ => (self.nan_from_f32)(neg, 0),
            }
        }
    }
    pub fn max_code(&self) -> u32 {
        let l = self.ladder();
        l[l.len() - 1].1
    }
    /// Apply the sign to a magnitude code per the table (FNUZ: no −0; E8M0: NaN).
    pub fn signed_code(&self, mag: u32, neg: bool) -> u32 {
        if !neg {
            mag
        } else if !self.signed {
            0xFF
        } else if mag == 0 && !self.neg_zero {
            0
        } else {
            mag | self.sign_bit()
        }
    }
}

/// The rounding reference: a finite, non-zero, exact input magnitude `a` (as f64), its sign,
/// the format's ladder, a mode and a policy → the expected code.
pub fn reference(
    row: &Row,
    ladder: &[(f64, u32)],
    beyond: f64,
    a: f64,
    neg: bool,
    mode: Rounding,
    overflow: Overflow,
) -> u32 {
    assert!(a > 0.0 && a.is_finite());
    if !row.signed && neg {
        return 0xFF;
    }
    let n = ladder.len();
    // Index of the largest ladder value ≤ a (n − 1 for max and beyond; "n" stands for beyond).
    let j = match ladder.binary_search_by(|p| p.0.partial_cmp(&a).unwrap()) {
        Ok(j) => return row.signed_code(ladder[j].1, neg),
        Err(0) => {
            // Below the smallest ladder value: only E8M0 (no zero) gets here: 2^-127.
            assert_eq!(row.m, 0);
            return ladder[0].1;
        }
        Err(i) => i - 1,
    };
    let lo = ladder[j].0;
    let (hi, hi_code) = if j + 1 < n {
        (ladder[j + 1].0, Some(ladder[j + 1].1))
    } else {
        (beyond, None)
    };
    let lo_code = ladder[j].1;
    // Is the upper neighbour the "even" one? Codes of neighbours differ by one, so parity of the
    // code is parity of the last significand bit; past max, the next code is max + 1.
    let hi_even = match hi_code {
        Some(c) => c & 1 == 0,
        None => lo_code & 1 == 1,
    };
    let up = if a > hi {
        true // beyond `beyond`: overflow whatever the mode
    } else {
        let mid = (lo + hi) / 2.0;
        match mode {
            Rounding::NearestEven => {
                a > mid || (a == mid && (hi_even || row.m == 0 && row.bits == 8 && !row.signed))
            }
            Rounding::NearestAway => a >= mid,
            Rounding::TowardZero => false,
            Rounding::TowardPositive => !neg,
            Rounding::TowardNegative => neg,
            // E8M0's significand is always odd, so round-to-odd is truncation there.
            Rounding::Odd => !hi_even && row.m > 0,
        }
    };
    let a_beyond = a >= beyond;
    if let (true, Some(c), false) = (up, hi_code, a_beyond) {
        return row.signed_code(c, neg);
    }
    if !up && !a_beyond {
        return row.signed_code(lo_code, neg);
    }
    // Overflow.
    let to_inf = match overflow {
        Overflow::Saturate => false,
        Overflow::Ieee => match mode {
            Rounding::NearestEven | Rounding::NearestAway => true,
            Rounding::TowardZero | Rounding::Odd => false,
            Rounding::TowardPositive => !neg,
            Rounding::TowardNegative => neg,
        },
    };
    if to_inf {
        if row.signed {
            row.overflow_code(neg)
        } else {
            0xFF
        }
    } else {
        row.signed_code(row.max_code(), neg)
    }
}

/// lowp's code (storage shift removed) for an f32 input.
pub fn lowp_code_f32<F: Format>(row: &Row, x: f32, mode: Rounding, overflow: Overflow) -> u32 {
    F::from_f32_with(x, mode, overflow).to_bits_u32() >> row.shift
}

/// lowp's code for an f64 input.
pub fn lowp_code_f64<F: Format>(row: &Row, x: f64, mode: Rounding, overflow: Overflow) -> u32 {
    F::from_f64_with(x, mode, overflow).to_bits_u32() >> row.shift
}

/// The expected code for any input (specials included), per CONTRACT.md §3.
pub fn expected(
    row: &Row,
    ladder: &[(f64, u32)],
    beyond: f64,
    x: f64,
    nan_mantissa_f32: u32,
    mode: Rounding,
    overflow: Overflow,
) -> u32 {
    let neg = x.is_sign_negative();
    if x.is_nan() {
        return (row.nan_from_f32)(neg, nan_mantissa_f32);
    }
    if x.is_infinite() {
        if !row.signed && neg {
            return 0xFF;
        }
        return match overflow {
            Overflow::Saturate => row.signed_code(row.max_code(), neg),
            Overflow::Ieee => {
                if row.signed {
                    row.overflow_code(neg)
                } else {
                    0xFF
                }
            }
        };
    }
    if x == 0.0 {
        return if row.signed {
            row.signed_code(0, neg)
        } else {
            0xFF
        };
    }
    reference(row, ladder, beyond, x.abs(), neg, mode, overflow)
}

/// Whether the full proof was asked for (`LOWP_FULL=1`, which CI sets): the 2^32 sweeps then
/// take every input; otherwise they take every `default`-th (a prime, so that every low-bit
/// pattern of the significand is still visited). `LOWP_EXHAUSTIVE_STRIDE=n` overrides both.
pub fn full() -> bool {
    matches!(std::env::var("LOWP_FULL").as_deref(), Ok(v) if !v.is_empty() && v != "0")
}

/// The stride of a 2^32 sweep: 1 under [`full`], else `release` (or `debug` in a debug build).
pub fn sweep_stride(release: u64, debug: u64) -> u64 {
    if let Ok(s) = std::env::var("LOWP_EXHAUSTIVE_STRIDE") {
        return s.parse().expect("LOWP_EXHAUSTIVE_STRIDE: a number");
    }
    if full() {
        1
    } else if cfg!(debug_assertions) {
        debug
    } else {
        release
    }
}

/// The reference for every f32 input as a step function of the input's bit pattern, for one
/// mode and policy. Between two consecutive critical magnitudes (the format's values, the
/// midpoints between neighbours, the value beyond max: all exact in f32 where an f32 can reach
/// them) every input of one sign rounds to the same code, in every deterministic mode; so
/// [`expected`] is asked once at each critical point and once inside each gap, and a sweep
/// fills whole runs. ±0, ±∞ and NaN (whose code may carry payload bits) are asked per input.
pub struct Steps {
    row: Row,
    ladder: Vec<(f64, u32)>,
    beyond: f64,
    mode: Rounding,
    overflow: Overflow,
    /// Per sign (0: positive, 1: negative).
    sides: [Side; 2],
}

struct Side {
    /// Critical magnitudes as f32 bit patterns, increasing, all finite and non-zero.
    points: Vec<u32>,
    /// The code (storage word) at `points[i]`.
    at: Vec<u32>,
    /// The code on the open gap after `points[i]` (to the next point, or to ∞).
    after: Vec<u32>,
    /// The code on the gap below `points[0]`.
    below: u32,
}

impl Steps {
    pub fn new(row: &Row, mode: Rounding, overflow: Overflow) -> Steps {
        let ladder = row.ladder();
        let beyond = row.beyond_max(&ladder);
        let mut crit: Vec<f64> = ladder.iter().map(|p| p.0).collect();
        for j in 0..ladder.len() {
            let hi = if j + 1 < ladder.len() {
                ladder[j + 1].0
            } else {
                beyond
            };
            crit.push((ladder[j].0 + hi) / 2.0);
        }
        crit.push(beyond);
        let mut points: Vec<u32> = crit
            .into_iter()
            .filter(|&v| v > 0.0 && v <= f32::MAX as f64)
            .map(|v| {
                let f = v as f32;
                assert_eq!(f as f64, v, "{v} is not exact in f32");
                f.to_bits()
            })
            .collect();
        points.sort_unstable();
        points.dedup();
        let mut steps = Steps {
            row: *row,
            ladder,
            beyond,
            mode,
            overflow,
            sides: [0, 1].map(|_| Side {
                points: Vec::new(),
                at: Vec::new(),
                after: Vec::new(),
                below: 0,
            }),
        };
        for s in 0..2 {
            let sign = (s as u32) << 31;
            let at = points.iter().map(|&p| steps.code(p | sign)).collect();
            let after = (0..points.len())
                .map(|i| {
                    let next = points.get(i + 1).copied().unwrap_or(0x7F80_0000);
                    if points[i] + 1 < next {
                        steps.code((points[i] + 1) | sign)
                    } else {
                        0
                    }
                })
                .collect();
            let below = steps.code(1 | sign);
            steps.sides[s] = Side {
                points: points.clone(),
                at,
                after,
                below,
            };
        }
        steps
    }

    /// The reference that takes every inexact input away from zero: [`Rounding::TowardPositive`]
    /// for the positive inputs and [`Rounding::TowardNegative`] for the negative ones, each
    /// with its overflow rule under `overflow` (beyond the range: ±∞ or its substitute under
    /// `Ieee`, ±max under `Saturate`, which is the nearest modes' rule too). With
    /// [`Rounding::TowardZero`]'s steps it gives the two neighbours that stochastic rounding
    /// chooses between. (±0, ±∞ and NaN are the same in every mode.)
    pub fn away_from_zero(row: &Row, overflow: Overflow) -> Steps {
        let mut steps = Steps::new(row, Rounding::TowardPositive, overflow);
        let [_, negative] = Steps::new(row, Rounding::TowardNegative, overflow).sides;
        steps.sides[1] = negative;
        steps
    }

    /// The expected storage word for the f32 with bit pattern `bits`, asked of [`expected`].
    pub fn code(&self, bits: u32) -> u32 {
        let x = f32::from_bits(bits);
        let c = expected(
            &self.row,
            &self.ladder,
            self.beyond,
            x as f64,
            bits & 0x007F_FFFF,
            self.mode,
            self.overflow,
        );
        c << self.row.shift
    }

    /// `out[j]` = the expected storage word for the f32 bit pattern `start + j·stride`
    /// (all below 2^32).
    pub fn fill(&self, start: u64, stride: u64, out: &mut [u32]) {
        self.runs(start, stride, out.len(), |j0, j1, code| {
            out[j0..j1].fill(code)
        });
    }

    /// The inputs `start + j·stride` (j < n, all below 2^32) as runs on which the reference is
    /// constant: `run(j0, j1, code)` for j0..j1, in increasing order, covering 0..n. A run
    /// never holds two critical points (a format value, a midpoint, the value past max), nor
    /// both a point and the gap next to it; ±0, ±∞ and each NaN are runs of one.
    pub fn runs(&self, start: u64, stride: u64, n: usize, mut run: impl FnMut(usize, usize, u32)) {
        let mut j = 0;
        while j < n {
            let b = start + j as u64 * stride;
            let bits = b as u32;
            let mag = bits & 0x7FFF_FFFF;
            if mag == 0 || mag >= 0x7F80_0000 {
                run(j, j + 1, self.code(bits));
                j += 1;
                continue;
            }
            let side = &self.sides[(bits >> 31) as usize];
            let p = side.points.partition_point(|&c| c <= mag);
            if p > 0 && side.points[p - 1] == mag {
                run(j, j + 1, side.at[p - 1]);
                j += 1;
                continue;
            }
            let code = if p == 0 {
                side.below
            } else {
                side.after[p - 1]
            };
            // The gap ends (exclusive) at the next point, or at ∞.
            let end = (b & 0x8000_0000) + side.points.get(p).copied().unwrap_or(0x7F80_0000) as u64;
            let k = ((end - b).div_ceil(stride) as usize).min(n - j);
            run(j, j + k, code);
            j += k;
        }
    }
}
