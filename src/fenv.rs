//! f32 arithmetic that the floating-point environment cannot change (CONTRACT.md §14).
//!
//! With MXCSR's DAZ bit set (x86; FPCR.FZ acts alike on AArch64) every float operation —
//! arithmetic, comparison, minimum, maximum and even the `f32 → f64` conversion of `as` — reads
//! a subnormal operand as ±0; with FTZ set, a result that is tiny (below 2^-126 after rounding
//! to 24 bits with unbounded exponent) is written as ±0. Integer operations on the bits are
//! immune. The helpers here give the IEEE result of the default environment in any
//! environment, and cost a native operation plus a test on the bits, except where an operand
//! or the result is subnormal or zero (then the operands are widened to `f64` from their bits,
//! where every f32 value, product and quotient is normal, and the result is narrowed through
//! lowp's own integer rounding core).

use crate::format::Format;

/// Whether the exponent field of `x` is zero: ±0 or a subnormal.
#[inline(always)]
pub(crate) fn is_tiny(x: f32) -> bool {
    x.to_bits() & 0x7F80_0000 == 0
}

/// Whether `x` is a subnormal (not zero), from its bits.
#[inline(always)]
pub(crate) fn is_subnormal(x: f32) -> bool {
    (x.to_bits() & 0x7FFF_FFFF).wrapping_sub(1) < 0x7F_FFFF
}

/// Whether `x` is ±0, from its bits (DAZ makes `x == 0.0` true for subnormals too).
///
/// Not written `x.to_bits() & 0x7FFF_FFFF == 0`: LLVM assumes the default environment and
/// folds that mask test (and `x.to_bits() << 1 == 0`, and other spellings of it) into the
/// float comparison `x == 0.0`, which DAZ answers `true` for a subnormal. The order key
/// ([`key`], an `xor` with the sign's mask) is not recognised as a class test, and stays an
/// integer comparison; `tests/fenv.rs` checks every caller under FTZ|DAZ.
#[inline(always)]
pub(crate) fn is_zero(x: f32) -> bool {
    key(x) == 0
}

/// `x` exactly as an `f64` (`x as f64` reads a subnormal `x` as ±0 under DAZ).
#[inline]
pub(crate) fn widen(x: f32) -> f64 {
    if is_subnormal(x) {
        // m · 2^-149, m < 2^23: both conversions and the product are exact, and every value
        // involved is a normal f64.
        let m = (x.to_bits() & 0x7F_FFFF) as f64 * f64::from_bits((1023 - 149) << 52);
        if x.is_sign_negative() {
            -m
        } else {
            m
        }
    } else {
        x as f64
    }
}

/// `x` rounded to the nearest `f32` (ties to even), through the integer core: subnormal
/// results are produced whatever FTZ says (`x as f32` flushes them under FTZ).
#[inline]
pub(crate) fn narrow(x: f64) -> f32 {
    <f32 as Format>::from_f64(x)
}

/// `x / y` as IEEE f32 division gives it in the default environment.
///
/// The slow path divides in `f64` (from the exact operands) and rounds once more to `f32`:
/// a quotient of two 24-bit significands rounded to 53 bits and then to 24 (or fewer, in the
/// subnormal range) is the correctly rounded f32 quotient (53 ≥ 2·24 + 2: double rounding is
/// innocuous for division).
#[inline]
pub(crate) fn div(x: f32, y: f32) -> f32 {
    let q = x / y;
    if needs_exact(x, y, q) {
        narrow(widen(x) / widen(y))
    } else {
        q
    }
}

/// Whether the native result `r` of `x` op `y` (· or /) may differ from the default
/// environment's: a subnormal operand (DAZ), or a tiny result of non-zero operands (FTZ, or an
/// operand that DAZ zeroed). A zero operand is read as zero by every environment.
#[inline(always)]
fn needs_exact(x: f32, y: f32, r: f32) -> bool {
    is_subnormal(x) | is_subnormal(y) | (is_tiny(r) & !is_zero(x) & !is_zero(y))
}

/// `x[i] / s` into `q[i]`, as [`div`] gives it, a native vectorised division first: only the
/// lanes that the environment can have changed (a subnormal `x[i]`, a tiny quotient of a
/// non-zero `x[i]`; every lane for a subnormal `s`) are divided again. `q.len()` must be
/// `x.len()`.
#[inline]
pub(crate) fn div_by(x: &[f32], s: f32, q: &mut [f32]) {
    let mut again = is_subnormal(s);
    for (q, &x) in q.iter_mut().zip(x) {
        *q = x / s;
        again |= is_tiny(*q) & !is_zero(x);
    }
    if again {
        for (q, &x) in q.iter_mut().zip(x) {
            if is_tiny(*q) | is_subnormal(s) {
                *q = div(x, s);
            }
        }
    }
}

/// `x · y` as IEEE f32 multiplication gives it in the default environment (the `f64` product
/// of two f32 values is exact).
#[inline]
pub(crate) fn mul(x: f32, y: f32) -> f32 {
    let p = x * y;
    if needs_exact(x, y, p) {
        narrow(widen(x) * widen(y))
    } else {
        p
    }
}

/// `x − y` as IEEE f32 subtraction gives it in the default environment (a difference below
/// 2^-126 is exact in `f64`; above, 53 ≥ 2·24 + 1 makes the double rounding innocuous).
#[inline]
pub(crate) fn sub(x: f32, y: f32) -> f32 {
    let d = x - y;
    if is_tiny(x) | is_tiny(y) | is_tiny(d) {
        narrow(widen(x) - widen(y))
    } else {
        d
    }
}

/// `x + y` as IEEE f32 addition gives it in the default environment.
#[inline]
pub(crate) fn add(x: f32, y: f32) -> f32 {
    sub(x, -y)
}

/// A key whose signed integer order is the numeric order of non-NaN f32 values, with
/// −0 = +0 (DAZ-proof comparisons).
#[inline(always)]
fn key(x: f32) -> i32 {
    let b = x.to_bits() as i32;
    let neg = b >> 31; // −1 for negative values
    (b ^ (((neg as u32) >> 1) as i32)) - neg
}

/// Whether `x` is a NaN, from its bits.
#[inline(always)]
fn nan(x: f32) -> bool {
    x.to_bits() & 0x7FFF_FFFF > 0x7F80_0000
}

/// `x < y` as the default environment compares them (false where either is NaN).
#[inline(always)]
pub(crate) fn lt(x: f32, y: f32) -> bool {
    !nan(x) & !nan(y) & (key(x) < key(y))
}

/// `x > y` as the default environment compares them (false where either is NaN).
#[inline(always)]
pub(crate) fn gt(x: f32, y: f32) -> bool {
    lt(y, x)
}

/// `a > b` for magnitudes (values with the sign bit clear, NaN included: a NaN `a` is never
/// greater, and a NaN `b` is never exceeded): the running maximum of amax loops.
#[inline(always)]
pub(crate) fn abs_gt(a: f32, b: f32) -> bool {
    let (a, b) = (a.to_bits(), b.to_bits());
    a <= 0x7F80_0000 && a > b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A few million operand pairs, subnormals and tiny results weighted in: the helpers give
    /// the native operation's bits (the tests run in the default environment; `tests/fenv.rs`
    /// runs the callers under FTZ|DAZ).
    #[test]
    fn helpers_are_the_native_operations() {
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s as u32
        };
        let mut pick = |k: u32| -> f32 {
            let r = next();
            let b = match k % 5 {
                0 => r,
                1 => r & 0x807F_FFFF, // subnormal or zero
                2 => (r & 0x807F_FFFF) | ((r >> 23) % 24) << 23, // tiny normal
                3 => (r & 0x807F_FFFF) | (100 + (r >> 23) % 56) << 23,
                _ => (r & 0x807F_FFFF) | (200 + (r >> 23) % 55) << 23, // huge
            };
            f32::from_bits(b)
        };
        let same = |a: f32, b: f32| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        for i in 0..2_000_000u32 {
            let x = pick(i);
            let y = pick(i / 5 + 3 * i);
            assert!(same(div(x, y), x / y), "{x:e} / {y:e}");
            assert!(same(mul(x, y), x * y), "{x:e} * {y:e}");
            assert!(same(sub(x, y), x - y), "{x:e} - {y:e}");
            assert_eq!(widen(x).to_bits(), (x as f64).to_bits());
            assert_eq!(lt(x, y), x < y, "{x:e} < {y:e}");
            assert_eq!(gt(x, y), x > y, "{x:e} > {y:e}");
            let (a, b) = (f32::from_bits(x.to_bits() & 0x7FFF_FFFF), y.abs());
            assert_eq!(abs_gt(a, b), a > b);
            assert!(same(add(x, y), x + y), "{x:e} + {y:e}");
            let xs = [x, y, -x, f32::from_bits(i), 0.0, -0.0];
            let mut q = [0f32; 6];
            div_by(&xs, y, &mut q);
            for (q, x) in q.iter().zip(xs) {
                assert!(same(*q, x / y), "{x:e} / {y:e} in div_by");
            }
            let z = x as f64 * 1.000_000_1;
            assert!(same(narrow(z), z as f32));
        }
        assert!(!abs_gt(f32::NAN, 1.0));
        assert!(!abs_gt(1.0, f32::NAN));
        assert!(lt(-0.0, f32::from_bits(1)) && !lt(-0.0, 0.0) && !gt(0.0, -0.0));
    }
}
