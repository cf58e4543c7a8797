//! The report's operations (interim report v4.0 §4.10–4.13, §5.3.2, §5.5) on the P3109 types,
//! each computed exactly and rounded once through the rounding core.
//!
//! Every numeric operation decodes its operands to extended reals (NaN, ±∞ or an exact
//! dyadic), applies the report's rules for NaN and ∞, computes a finite result exactly — a
//! product as an integer significand, any sum in a fixed-point accumulator wide enough for
//! every operand (a Kulisch accumulator, sized from the operands' exponents) — and projects
//! it with one call of the core ([`crate::round::encode_source_p3109`]): round to precision in
//! the [`Projection`]'s rounding mode, then saturate. Operands and result may be different
//! P3109 formats.

use core::cmp::Ordering;

use super::{decode, source_of, P3109Format, Stochastic, Value};
use crate::error::Error;
use crate::format::{Rounding, Saturation};
use crate::round::{self, P3109Rounding, Source, Unpacked};

/// A projection specification (report §4.2): how an exact result becomes a value of the
/// result format. The default is nearest-even with [`Saturation::SatNone`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Projection {
    rounding: P3109Rounding,
    saturation: Saturation,
}

impl Default for Projection {
    fn default() -> Self {
        Projection::new(Rounding::NearestEven, Saturation::SatNone)
    }
}

impl Projection {
    /// A deterministic rounding mode and a saturation mode.
    pub const fn new(rounding: Rounding, saturation: Saturation) -> Self {
        Projection {
            rounding: P3109Rounding::Mode(rounding),
            saturation,
        }
    }
    /// Stochastic rounding (which saturates as the nearest modes do).
    pub const fn stochastic(stochastic: Stochastic, saturation: Saturation) -> Self {
        Projection {
            rounding: stochastic.core(),
            saturation,
        }
    }
    /// The saturation mode.
    pub const fn saturation(self) -> Saturation {
        self.saturation
    }
}

/// P3109's eight classes (report §4.13.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// NaN.
    NaN,
    /// −∞.
    NegativeInfinity,
    /// A negative normal value.
    NegativeNormal,
    /// A negative subnormal value.
    NegativeSubnormal,
    /// Zero.
    Zero,
    /// A positive subnormal value.
    PositiveSubnormal,
    /// A positive normal value.
    PositiveNormal,
    /// +∞.
    PositiveInfinity,
}

/// An extended real on the way through an operation: NaN, ±∞, or sign · sig · 2^exp exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ext {
    Nan,
    Inf(bool),
    Fin { sign: bool, sig: u64, exp: i32 },
}

impl Ext {
    fn of<F: P3109Format>(x: F) -> Ext {
        match decode(&F::SPEC, x.to_bits_u32()) {
            Value::Nan => Ext::Nan,
            Value::Infinite(s) => Ext::Inf(s),
            Value::Finite { sign, sig, exp } => Ext::Fin { sign, sig, exp },
        }
    }
    fn is_zero(self) -> bool {
        matches!(self, Ext::Fin { sig: 0, .. })
    }
    /// The sign of a non-zero, non-NaN value.
    fn negative(self) -> bool {
        match self {
            Ext::Inf(s) => s,
            Ext::Fin { sign, .. } => sign,
            Ext::Nan => false,
        }
    }
    fn neg(self) -> Ext {
        match self {
            Ext::Nan => Ext::Nan,
            Ext::Inf(s) => Ext::Inf(!s),
            Ext::Fin { sign, sig, exp } => Ext::Fin {
                sign: !sign && sig != 0,
                sig,
                exp,
            },
        }
    }
}

/// ωMultiply (report §4.10.4). The significands' product must fit 64 bits (it does for up to
/// four P3109 factors of K ≤ 16).
fn mul(a: Ext, b: Ext) -> Ext {
    match (a, b) {
        (Ext::Nan, _) | (_, Ext::Nan) => Ext::Nan,
        (Ext::Inf(_), y) | (y, Ext::Inf(_)) if y.is_zero() => Ext::Nan,
        (Ext::Inf(_), _) | (_, Ext::Inf(_)) => Ext::Inf(a.negative() != b.negative()),
        (
            Ext::Fin {
                sign: s1,
                sig: m1,
                exp: e1,
            },
            Ext::Fin {
                sign: s2,
                sig: m2,
                exp: e2,
            },
        ) => {
            let sig = m1 * m2;
            Ext::Fin {
                sign: s1 != s2 && sig != 0,
                sig,
                exp: e1 + e2,
            }
        }
    }
}

/// The words of the small accumulator (every operation on K ≤ 8 formats fits).
const SMALL: usize = 24;
/// The words of the large one (K ≤ 16: products of two values span 2^±65600, four-factor
/// block-dot terms carry 32 more significand bits, and 64 bits of headroom for the count).
const LARGE: usize = 2112;

/// A two's-complement fixed-point accumulator: the value Σ w\[i\] · 2^(64 i + low).
struct Acc<'a> {
    w: &'a mut [u64],
    low: i32,
}

impl Acc<'_> {
    fn add(&mut self, neg: bool, sig: u64, exp: i32) {
        if sig == 0 {
            return;
        }
        let pos = (exp - self.low) as u32;
        let (i, sh) = ((pos / 64) as usize, pos % 64);
        let v = (sig as u128) << sh;
        let parts = [v as u64, (v >> 64) as u64];
        let n = self.w.len();
        if !neg {
            let mut carry = false;
            for (j, p) in parts.iter().enumerate() {
                let (s1, c1) = self.w[i + j].overflowing_add(*p);
                let (s2, c2) = s1.overflowing_add(carry as u64);
                self.w[i + j] = s2;
                carry = c1 || c2;
            }
            let mut k = i + 2;
            while carry && k < n {
                let (s, c) = self.w[k].overflowing_add(1);
                self.w[k] = s;
                carry = c;
                k += 1;
            }
        } else {
            let mut borrow = false;
            for (j, p) in parts.iter().enumerate() {
                let (s1, b1) = self.w[i + j].overflowing_sub(*p);
                let (s2, b2) = s1.overflowing_sub(borrow as u64);
                self.w[i + j] = s2;
                borrow = b1 || b2;
            }
            let mut k = i + 2;
            while borrow && k < n {
                let (s, b) = self.w[k].overflowing_sub(1);
                self.w[k] = s;
                borrow = b;
                k += 1;
            }
        }
    }

    /// The exact sum as a source for the rounding core (sign, top 64 bits, sticky).
    fn source(&mut self) -> Source {
        let n = self.w.len();
        let sign = self.w[n - 1] >> 63 == 1;
        if sign {
            // Two's-complement negation: invert, add one.
            let mut carry = true;
            for x in self.w.iter_mut() {
                let (s, c) = (!*x).overflowing_add(carry as u64);
                *x = s;
                carry = c;
            }
        }
        let Some(t) = self.w.iter().rposition(|&x| x != 0) else {
            return Source::Zero { sign: false };
        };
        let lz = self.w[t].leading_zeros();
        let below = if t > 0 { self.w[t - 1] } else { 0 };
        let sig = if lz == 0 {
            self.w[t]
        } else {
            self.w[t] << lz | below >> (64 - lz)
        };
        // Anything below the 64 bits taken: all lower words when the leading word is
        // taken whole, else the rest of the word below and the words under it.
        let sticky = if lz == 0 {
            self.w[..t].iter().any(|&x| x != 0)
        } else {
            below << lz != 0 || (t > 1 && self.w[..t - 1].iter().any(|&x| x != 0))
        };
        Source::Finite(Unpacked {
            sign,
            exp: self.low + 64 * t as i32 + 63 - lz as i32,
            sig,
            sticky,
        })
    }
}

/// The exact sum of `n` finite terms `term(i)` = (negative, sig, exp), as a source.
fn exact_sum(n: usize, term: impl Fn(usize) -> (bool, u64, i32)) -> Source {
    let mut low = i32::MAX;
    let mut high = i32::MIN;
    for i in 0..n {
        let (_, sig, exp) = term(i);
        if sig != 0 {
            low = low.min(exp);
            high = high.max(exp + 64 - sig.leading_zeros() as i32);
        }
    }
    if low > high {
        return Source::Zero { sign: false };
    }
    // Headroom: the count's bits, a sign bit, and a word for the shifted term's high part.
    let headroom = 2 + (usize::BITS - n.leading_zeros()) as i32 + 64;
    let words = ((high - low + headroom) as usize).div_ceil(64) + 1;
    let run = |w: &mut [u64]| {
        let mut acc = Acc { w, low };
        for i in 0..n {
            let (neg, sig, exp) = term(i);
            acc.add(neg, sig, exp);
        }
        acc.source()
    };
    if words <= SMALL {
        run(&mut [0u64; SMALL])
    } else {
        let mut big = [0u64; LARGE];
        let w = words.min(LARGE);
        run(&mut big[..w])
    }
}

/// ωProject into `R` of an extended real whose finite part is `src`.
fn project<R: P3109Format>(src: Source, p: Projection) -> R {
    R::from_bits_u32(round::encode_source_p3109(
        &R::SPEC,
        src,
        p.rounding,
        p.saturation,
    ))
}

fn project_ext<R: P3109Format>(x: Ext, p: Projection) -> R {
    let src = match x {
        Ext::Nan => Source::Nan {
            sign: false,
            payload: 0,
        },
        Ext::Inf(sign) => Source::Infinite { sign },
        Ext::Fin { sign, sig, exp } => source_of(sign, sig, exp, false),
    };
    project(src, p)
}

/// ωAdd over extended reals of several terms: NaN if any is NaN or ±∞ meet; else the ∞;
/// else the exact sum.
fn sum<R: P3109Format>(terms: &[Ext], p: Projection) -> R {
    let mut pos_inf = false;
    let mut neg_inf = false;
    for t in terms {
        match *t {
            Ext::Nan => return project_ext(Ext::Nan, p),
            Ext::Inf(s) => {
                if s {
                    neg_inf = true
                } else {
                    pos_inf = true
                }
            }
            Ext::Fin { .. } => {}
        }
    }
    match (pos_inf, neg_inf) {
        (true, true) => project_ext(Ext::Nan, p),
        (true, false) => project_ext(Ext::Inf(false), p),
        (false, true) => project_ext(Ext::Inf(true), p),
        (false, false) => project(
            exact_sum(terms.len(), |i| match terms[i] {
                Ext::Fin { sign, sig, exp } => (sign, sig, exp),
                _ => (false, 0, 0),
            }),
            p,
        ),
    }
}

/// Add (report §4.10.3): x + y rounded once into `R`.
///
/// ```
/// use lowp::p3109::{add, Binary8p4se, Projection, Rounding, Saturation};
/// let one = Binary8p4se::ONE;
/// let tiny = Binary8p4se::MIN_POSITIVE_SUBNORMAL;
/// let up: Binary8p4se = add(one, tiny, Projection::new(Rounding::TowardPositive, Saturation::SatNone));
/// assert_eq!(up.to_bits(), 0x41); // 1.125: the next value above 1
/// ```
pub fn add<X: P3109Format, Y: P3109Format, R: P3109Format>(x: X, y: Y, p: Projection) -> R {
    sum(&[Ext::of(x), Ext::of(y)], p)
}

/// Subtract (report §4.10.3): x − y rounded once into `R`.
pub fn subtract<X: P3109Format, Y: P3109Format, R: P3109Format>(x: X, y: Y, p: Projection) -> R {
    sum(&[Ext::of(x), Ext::of(y).neg()], p)
}

/// Multiply (report §4.10.4): x · y rounded once into `R` (0 · ∞ is NaN).
pub fn multiply<X: P3109Format, Y: P3109Format, R: P3109Format>(x: X, y: Y, p: Projection) -> R {
    project_ext(mul(Ext::of(x), Ext::of(y)), p)
}

/// FMA (report §4.10.6): x · y + z computed exactly, rounded once into `R`.
pub fn fma<X: P3109Format, Y: P3109Format, Z: P3109Format, R: P3109Format>(
    x: X,
    y: Y,
    z: Z,
    p: Projection,
) -> R {
    sum(&[mul(Ext::of(x), Ext::of(y)), Ext::of(z)], p)
}

/// FAA, the fused add–add (report §4.10.7): x + y + z computed exactly, rounded once.
pub fn fused_add_add<X: P3109Format, Y: P3109Format, Z: P3109Format, R: P3109Format>(
    x: X,
    y: Y,
    z: Z,
    p: Projection,
) -> R {
    sum(&[Ext::of(x), Ext::of(y), Ext::of(z)], p)
}

/// The order of two non-NaN extended reals.
fn order(a: Ext, b: Ext) -> Ordering {
    let key = |v: Ext| -> (i32, bool, u64, i32) {
        match v {
            Ext::Inf(s) => (if s { -2 } else { 2 }, false, 0, 0),
            Ext::Fin { sig: 0, .. } => (0, false, 0, 0),
            Ext::Fin { sign, sig, exp } => (if sign { -1 } else { 1 }, sign, sig, exp),
            Ext::Nan => (0, false, 0, 0),
        }
    };
    let (ca, sa, ma, ea) = key(a);
    let (cb, _, mb, eb) = key(b);
    if ca != cb || ca.abs() != 1 {
        return ca.cmp(&cb);
    }
    // Same sign, both finite non-zero: compare magnitudes exactly.
    let la = ea + 64 - ma.leading_zeros() as i32;
    let lb = eb + 64 - mb.leading_zeros() as i32;
    let mag = if la != lb {
        la.cmp(&lb)
    } else {
        // Same leading-bit exponent: align the significands at the leading bit.
        (ma << ma.leading_zeros()).cmp(&(mb << mb.leading_zeros()))
    };
    if sa {
        mag.reverse()
    } else {
        mag
    }
}

/// The comparisons (report §4.12): the order of x and y, `None` where either is NaN. x < y is
/// `compare(x, y) == Some(Less)`, and so on; the formats may differ.
pub fn compare<X: P3109Format, Y: P3109Format>(x: X, y: Y) -> Option<Ordering> {
    let (a, b) = (Ext::of(x), Ext::of(y));
    if a == Ext::Nan || b == Ext::Nan {
        None
    } else {
        Some(order(a, b))
    }
}

/// TotalOrder (report §4.12.1): NaN first, then CompareLessEqual.
pub fn total_order<X: P3109Format, Y: P3109Format>(x: X, y: Y) -> bool {
    match (Ext::of(x), Ext::of(y)) {
        (Ext::Nan, _) => true,
        (_, Ext::Nan) => false,
        (a, b) => order(a, b) != Ordering::Greater,
    }
}

/// Minimum (report §4.11.1): NaN if either is NaN, else the lesser, projected into `R`.
pub fn minimum<X: P3109Format, Y: P3109Format, R: P3109Format>(x: X, y: Y, p: Projection) -> R {
    extremum(Ext::of(x), Ext::of(y), p, Ordering::Less, false)
}

/// Maximum (report §4.11.1): NaN if either is NaN, else the greater, projected into `R`.
pub fn maximum<X: P3109Format, Y: P3109Format, R: P3109Format>(x: X, y: Y, p: Projection) -> R {
    extremum(Ext::of(x), Ext::of(y), p, Ordering::Greater, false)
}

/// MinimumNumber (report §4.11.1): a NaN operand is ignored unless both are NaN.
pub fn minimum_number<X: P3109Format, Y: P3109Format, R: P3109Format>(
    x: X,
    y: Y,
    p: Projection,
) -> R {
    extremum(Ext::of(x), Ext::of(y), p, Ordering::Less, true)
}

/// MaximumNumber (report §4.11.1): a NaN operand is ignored unless both are NaN.
pub fn maximum_number<X: P3109Format, Y: P3109Format, R: P3109Format>(
    x: X,
    y: Y,
    p: Projection,
) -> R {
    extremum(Ext::of(x), Ext::of(y), p, Ordering::Greater, true)
}

fn extremum<R: P3109Format>(a: Ext, b: Ext, p: Projection, want: Ordering, number: bool) -> R {
    let r = match (a, b) {
        (Ext::Nan, Ext::Nan) => Ext::Nan,
        (Ext::Nan, y) if number => y,
        (x, Ext::Nan) if number => x,
        (Ext::Nan, _) | (_, Ext::Nan) => Ext::Nan,
        (x, y) => {
            if order(x, y) == want {
                x
            } else {
                y
            }
        }
    };
    project_ext(r, p)
}

/// Class (report §4.13.1).
pub fn class<X: P3109Format>(x: X) -> Class {
    let s = X::SPEC;
    let code = x.to_bits_u32();
    if s.is_nan_code(code) {
        return Class::NaN;
    }
    let neg = s.is_negative_code(code);
    match (s.classify_code(code), neg) {
        (core::num::FpCategory::Infinite, true) => Class::NegativeInfinity,
        (core::num::FpCategory::Infinite, false) => Class::PositiveInfinity,
        (core::num::FpCategory::Zero, _) => Class::Zero,
        (core::num::FpCategory::Subnormal, true) => Class::NegativeSubnormal,
        (core::num::FpCategory::Subnormal, false) => Class::PositiveSubnormal,
        (_, true) => Class::NegativeNormal,
        (_, false) => Class::PositiveNormal,
    }
}

/// BlockDotProduct (report §5.3.2): (sx·x) · (sy·y) summed exactly over the block and rounded
/// once into `R`. Each element is scaled (ωMultiply: 0 · ∞ is NaN), the products follow
/// ωMultiply, and the sum ωAdd (NaN if any term is NaN or +∞ meets −∞).
///
/// ```
/// use lowp::p3109::{block_dot, Binary8p1uf, Binary8p4se, Binary8p3se, Projection};
/// let x = [1.0, 2.0, -3.0].map(Binary8p4se::from_f64);
/// let y = [0.5, 0.25, 0.125].map(Binary8p4se::from_f64);
/// let s = Binary8p1uf::from_f64(4.0);
/// let r: Binary8p3se = block_dot(s, &x, Binary8p1uf::ONE, &y, Projection::default()).unwrap();
/// assert_eq!(r.to_f64(), 4.0 * (0.5 + 0.5 - 0.375));
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] if `x` and `y` differ in length (an empty block sums to 0).
pub fn block_dot<S: P3109Format, X: P3109Format, Y: P3109Format, R: P3109Format>(
    sx: S,
    x: &[X],
    sy: S,
    y: &[Y],
    p: Projection,
) -> Result<R, Error> {
    if x.len() != y.len() {
        return Err(Error::LengthMismatch {
            expected: x.len(),
            found: y.len(),
        });
    }
    let (sx, sy) = (Ext::of(sx), Ext::of(sy));
    // The scale factors' exponents are applied once, to the sum; their significands join
    // every term (four 16-bit significands fit 64 bits).
    let (ssig, sexp) = match mul(sx, sy) {
        Ext::Fin { sig, exp, .. } => (sig, exp),
        _ => (1, 0),
    };
    let term = |i: usize| mul(mul(sx, Ext::of(x[i])), mul(sy, Ext::of(y[i])));
    // Specials first: they decide without the sum.
    let mut pos_inf = false;
    let mut neg_inf = false;
    for i in 0..x.len() {
        match term(i) {
            Ext::Nan => return Ok(project_ext(Ext::Nan, p)),
            Ext::Inf(s) => {
                if s {
                    neg_inf = true
                } else {
                    pos_inf = true
                }
            }
            Ext::Fin { .. } => {}
        }
    }
    if pos_inf || neg_inf {
        let r = if pos_inf && neg_inf {
            Ext::Nan
        } else {
            Ext::Inf(neg_inf)
        };
        return Ok(project_ext(r, p));
    }
    // Every term is finite, and so are both scales (an ∞ scale meets a non-zero element as
    // ∞, or a zero one as NaN, unless the block is empty or all zero: then the sum is 0).
    let src = exact_sum(x.len(), |i| {
        let (a, b) = (Ext::of(x[i]), Ext::of(y[i]));
        match mul(a, b) {
            Ext::Fin { sign, sig, exp } if sig != 0 => {
                (sign != (sx.negative() != sy.negative()), sig * ssig, exp)
            }
            _ => (false, 0, 0),
        }
    });
    let src = match src {
        Source::Finite(mut u) => {
            u.exp += sexp;
            Source::Finite(u)
        }
        other => other,
    };
    Ok(project(src, p))
}

/// The scaled dot product of two single elements (report §5.5: a block of one):
/// (sx·x)·(sy·y) rounded once into `R`; equal to [`scaled_multiply`].
pub fn scaled_dot<S: P3109Format, X: P3109Format, Y: P3109Format, R: P3109Format>(
    sx: S,
    x: X,
    sy: S,
    y: Y,
    p: Projection,
) -> R {
    scaled_multiply(sx, x, sy, y, p)
}

/// A scaled operand: ωMultiply(ωDecode(s), ωDecode(x)), exact (16 + 16 significand bits).
fn scaled<S: P3109Format, X: P3109Format>(s: S, x: X) -> Ext {
    mul(Ext::of(s), Ext::of(x))
}

/// ScaledAdd (report §5.5, BlockAdd on blocks of one with result scale 1):
/// s1·x1 + s2·x2, exact, rounded once into `R`.
pub fn scaled_add<S: P3109Format, X: P3109Format, R: P3109Format>(
    s1: S,
    x1: X,
    s2: S,
    x2: X,
    p: Projection,
) -> R {
    sum(&[scaled(s1, x1), scaled(s2, x2)], p)
}

/// ScaledMultiply (report §5.5): (s1·x1)·(s2·x2), exact, rounded once into `R`.
pub fn scaled_multiply<S: P3109Format, X: P3109Format, Y: P3109Format, R: P3109Format>(
    s1: S,
    x1: X,
    s2: S,
    x2: Y,
    p: Projection,
) -> R {
    project_ext(mul(scaled(s1, x1), scaled(s2, x2)), p)
}

/// ScaledFMA (report §5.5): (s1·x1)·(s2·x2) + s3·x3, exact, rounded once into `R`.
#[allow(clippy::too_many_arguments)] // three (scale, element) pairs and the projection
pub fn scaled_fma<S: P3109Format, X: P3109Format, R: P3109Format>(
    s1: S,
    x1: X,
    s2: S,
    x2: X,
    s3: S,
    x3: X,
    p: Projection,
) -> R {
    sum(&[mul(scaled(s1, x1), scaled(s2, x2)), scaled(s3, x3)], p)
}
