//! The batch API: slices of f32 to and from every format, in every rounding mode.
//!
//! Every function gives, element by element, exactly the bits of the scalar conversion
//! ([`Format::from_f32_with`], [`Format::from_f32_stochastic`], [`Format::to_f32`]): the same
//! rounding, the same overflow policy, NaN and subnormal handling (CONTRACT.md §2–3). In short:
//!
//! - **Rounding** is done once, from the exact f32, in the given [`Rounding`] mode
//!   ([`encode`]: nearest-even). Subnormal inputs are honoured and subnormal results produced,
//!   never flushed.
//! - **Overflow** (a result beyond the largest finite value, decided after rounding) follows
//!   the [`Overflow`] policy: [`Overflow::Ieee`] gives ±∞ for the nearest modes and rounding
//!   away from zero, ±max for rounding toward zero and [`Rounding::Odd`] (NaN in place of ∞ in
//!   the `fn`/`fnuz`/E8M0 formats, ±max in FP6/FP4); [`Overflow::Saturate`] gives ±max, ±∞
//!   inputs included.
//! - **NaN** inputs give the format's quiet NaN (with the sign where the format has signed
//!   NaNs, with the payload's top bits for f16/bf16/TF32), +0 in FP6/FP4 (which have no NaN).
//! - **Stochastic rounding** ([`encode_stochastic`]) gives element `i` the random word
//!   `r_i` = the high 32 bits of SplitMix64 step `i + 1` from `seed`, and rounds the magnitude
//!   up iff ⌊f·2^32⌋ + r_i ≥ 2^32 (f: the dropped fraction of an ulp). The words depend on
//!   the index only, so the result does not depend on SIMD width or thread count.
//! - **Decoding** is exact; NaN decodes to a quiet NaN.
//!
//! The work runs on the best kernel [`Level`] that the CPU has (detected once, cached), which
//! [`set_level`] overrides for the process and the methods of [`Level`] for one call. Every
//! function panics when the lengths do not match (see `# Panics`), naming itself and what the
//! lengths count (elements, or bytes for packed buffers); its `try_` form returns
//! [`Error::LengthMismatch`] instead, and writes nothing. [`try_encode`] is moreover the
//! checked conversion: it also returns an `Err` for the first value that
//! [`try_round`](crate::try_round) rejects (an overflow, or a NaN or ∞ the format cannot hold).
//!
//! **Kernel levels.** [`Level::Scalar`] is the scalar core; [`Level::Portable`] the block
//! kernels for the build's baseline; [`Level::Avx2`] (AVX2+FMA+F16C, with `vcvtps2ph` /
//! `vcvtph2ps` for f16) and [`Level::Avx512`] (F/BW/VL/DQ, with VBMI byte-table lookups to
//! decode the 8-bit formats where the CPU has VBMI) on x86-64. AVX512-BF16's `vcvtneps2bf16`
//! is not used: it flushes f32 subnormal inputs, and the integer path is as fast.
//!
//! **Verification.** `tests/kernels_exhaustive.rs` compares every kernel level (portable and
//! SIMD) with an independent reference on all 2^32 f32 inputs for every format, in every mode
//! with both overflow policies (stochastic rounding against an independent reference of its
//! rule), under `LOWP_FULL=1`; a strided sample by default. `tests/kernels.rs` decodes every code of every format on every level and checks
//! every operation at lengths 0..=64 from unaligned starts. `tests/fenv.rs` checks that every
//! level gives the same bits with the CPU's FTZ/DAZ flags set.
//!
//! ```
//! use lowp::{Overflow, Rounding, F8E4M3FN};
//! let x = [0.1f32, 464.0, 465.0, -1e-9];
//! let mut q = [F8E4M3FN::ZERO; 4];
//! lowp::encode(&x, &mut q);
//! assert_eq!(q.map(|v| v.to_bits()), [0x1d, 0x7e, 0x7f, 0x80]); // 465 → NaN, −tiny → −0
//! lowp::encode_with(&x, &mut q, Rounding::TowardZero, Overflow::Saturate);
//! assert_eq!(q.map(|v| v.to_bits()), [0x1c, 0x7e, 0x7e, 0x80]);
//! let mut back = [0.0f32; 4];
//! lowp::decode(&q, &mut back);
//! assert_eq!(back[0], 0.09375);
//! ```

pub use crate::kernels::{active_level, set_level, Level};

use crate::error::Error;
use crate::format::{Format, Overflow, Rounding};
use crate::kernels::{self, lanes::EncodeParams};
use crate::packing::{packed_len, Packable};

fn check(expected: usize, found: usize) -> Result<(), Error> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch { expected, found })
    }
}

/// What a length counts, for the panic message.
#[derive(Clone, Copy)]
enum Unit {
    Elements,
    Bytes,
}

/// Panic, naming the function the caller called (`op`) and what the lengths count, unless the
/// lengths agree.
#[track_caller]
fn assert_len(op: &str, unit: Unit, expected: usize, found: usize) {
    if expected != found {
        let unit = match unit {
            Unit::Elements => "elements",
            Unit::Bytes => "bytes",
        };
        panic!("lowp::{op}: length mismatch: expected {expected} {unit}, found {found}");
    }
}

// The drivers: every public function, level-explicit or not, calls one of these with its own
// name (so that a panic names the function that was called) and a level.

#[track_caller]
fn encode_on<F: Format>(op: &str, level: Level, src: &[f32], dst: &mut [F], p: EncodeParams) {
    assert_len(op, Unit::Elements, src.len(), dst.len());
    kernels::encode(level, src, dst, &p, 0);
}

#[track_caller]
fn decode_on<F: Format>(op: &str, level: Level, src: &[F], dst: &mut [f32]) {
    assert_len(op, Unit::Elements, src.len(), dst.len());
    kernels::decode(level, src, dst);
}

#[track_caller]
fn fake_quantize_into_on<F: Format>(
    op: &str,
    level: Level,
    src: &[f32],
    dst: &mut [f32],
    p: EncodeParams,
) {
    assert_len(op, Unit::Elements, src.len(), dst.len());
    kernels::fake_quantize::<F>(level, src, dst, &p, 0);
}

#[track_caller]
fn convert_on<S: Format, D: Format>(
    op: &str,
    level: Level,
    src: &[S],
    dst: &mut [D],
    p: EncodeParams,
) {
    assert_len(op, Unit::Elements, src.len(), dst.len());
    kernels::convert(level, src, dst, &p, 0);
}

#[track_caller]
fn encode_packed_on<F: Packable>(
    op: &str,
    level: Level,
    src: &[f32],
    dst: &mut [u8],
    p: EncodeParams,
) {
    assert_len(op, Unit::Bytes, packed_len::<F>(src.len()), dst.len());
    kernels::encode_packed::<F>(level, src, dst, &p, 0);
}

#[track_caller]
fn decode_packed_on<F: Packable>(op: &str, level: Level, src: &[u8], dst: &mut [f32]) {
    assert_len(op, Unit::Bytes, packed_len::<F>(dst.len()), src.len());
    kernels::decode_packed::<F>(level, src, dst);
}

// ---------------------------------------------------------------------------------------------
// The level-explicit forms: every other function calls one of these with `active_level()`.

impl Level {
    /// [`encode_with`] on this level.
    ///
    /// # Panics
    /// If `src.len() != dst.len()`.
    #[track_caller]
    pub fn encode_with<F: Format>(
        self,
        src: &[f32],
        dst: &mut [F],
        rounding: Rounding,
        overflow: Overflow,
    ) {
        let p = EncodeParams::new(rounding, overflow);
        encode_on("Level::encode_with", self, src, dst, p);
    }

    /// [`encode_stochastic`] on this level.
    ///
    /// # Panics
    /// If `src.len() != dst.len()`.
    #[track_caller]
    pub fn encode_stochastic<F: Format>(
        self,
        src: &[f32],
        dst: &mut [F],
        seed: u64,
        overflow: Overflow,
    ) {
        let p = EncodeParams::stochastic(seed, overflow);
        encode_on("Level::encode_stochastic", self, src, dst, p);
    }

    /// [`decode`] on this level.
    ///
    /// # Panics
    /// If `src.len() != dst.len()`.
    #[track_caller]
    pub fn decode<F: Format>(self, src: &[F], dst: &mut [f32]) {
        decode_on("Level::decode", self, src, dst);
    }

    /// [`fake_quantize`] on this level.
    pub fn fake_quantize<F: Format>(
        self,
        data: &mut [f32],
        rounding: Rounding,
        overflow: Overflow,
    ) {
        let p = EncodeParams::new(rounding, overflow);
        kernels::fake_quantize_in_place::<F>(self, data, &p, 0);
    }

    /// [`fake_quantize_stochastic`] on this level.
    pub fn fake_quantize_stochastic<F: Format>(
        self,
        data: &mut [f32],
        seed: u64,
        overflow: Overflow,
    ) {
        let p = EncodeParams::stochastic(seed, overflow);
        kernels::fake_quantize_in_place::<F>(self, data, &p, 0);
    }

    /// [`fake_quantize_into`] on this level.
    ///
    /// # Panics
    /// If `src.len() != dst.len()`.
    #[track_caller]
    pub fn fake_quantize_into<F: Format>(
        self,
        src: &[f32],
        dst: &mut [f32],
        rounding: Rounding,
        overflow: Overflow,
    ) {
        let p = EncodeParams::new(rounding, overflow);
        fake_quantize_into_on::<F>("Level::fake_quantize_into", self, src, dst, p);
    }

    /// [`convert_with`] on this level.
    ///
    /// # Panics
    /// If `src.len() != dst.len()`.
    #[track_caller]
    pub fn convert_with<S: Format, D: Format>(
        self,
        src: &[S],
        dst: &mut [D],
        rounding: Rounding,
        overflow: Overflow,
    ) {
        let p = EncodeParams::new(rounding, overflow);
        convert_on("Level::convert_with", self, src, dst, p);
    }

    /// [`convert_stochastic`] on this level.
    ///
    /// # Panics
    /// If `src.len() != dst.len()`.
    #[track_caller]
    pub fn convert_stochastic<S: Format, D: Format>(
        self,
        src: &[S],
        dst: &mut [D],
        seed: u64,
        overflow: Overflow,
    ) {
        let p = EncodeParams::stochastic(seed, overflow);
        convert_on("Level::convert_stochastic", self, src, dst, p);
    }

    /// [`encode_packed_with`] on this level.
    ///
    /// # Panics
    /// If `dst.len() != packed_len::<F>(src.len())`.
    #[track_caller]
    pub fn encode_packed_with<F: Packable>(
        self,
        src: &[f32],
        dst: &mut [u8],
        rounding: Rounding,
        overflow: Overflow,
    ) {
        let p = EncodeParams::new(rounding, overflow);
        encode_packed_on::<F>("Level::encode_packed_with", self, src, dst, p);
    }

    /// [`encode_packed_stochastic`] on this level.
    ///
    /// # Panics
    /// If `dst.len() != packed_len::<F>(src.len())`.
    #[track_caller]
    pub fn encode_packed_stochastic<F: Packable>(
        self,
        src: &[f32],
        dst: &mut [u8],
        seed: u64,
        overflow: Overflow,
    ) {
        let p = EncodeParams::stochastic(seed, overflow);
        encode_packed_on::<F>("Level::encode_packed_stochastic", self, src, dst, p);
    }

    /// [`decode_packed`] on this level.
    ///
    /// # Panics
    /// If `src.len() != packed_len::<F>(dst.len())`.
    #[track_caller]
    pub fn decode_packed<F: Packable>(self, src: &[u8], dst: &mut [f32]) {
        decode_packed_on::<F>("Level::decode_packed", self, src, dst);
    }
}

// ---------------------------------------------------------------------------------------------
// f32 → format.

/// Encode `src` into `dst`: round to nearest, ties to even, with [`Overflow::Ieee`] — element
/// for element the bits of [`Format::from_f32`]. See the [module docs](self) for the rounding,
/// overflow, NaN and subnormal rules.
///
/// ```
/// use lowp::F8E5M2;
/// let mut q = [F8E5M2::ZERO; 3];
/// lowp::encode(&[1.0, 1e6, f32::NAN], &mut q);
/// assert_eq!(q.map(|v| v.to_bits()), [0x3c, 0x7c, 0x7e]); // 1e6 overflows to +∞
/// ```
///
/// # Panics
/// If `src.len() != dst.len()`.
#[track_caller]
pub fn encode<F: Format>(src: &[f32], dst: &mut [F]) {
    let p = EncodeParams::new(Rounding::NearestEven, Overflow::Ieee);
    encode_on("encode", active_level(), src, dst, p);
}

/// Encode `src` into `dst`, rounding in `rounding` with the `overflow` policy — element for
/// element the bits of [`Format::from_f32_with`].
///
/// ```
/// use lowp::{Overflow, Rounding, F8E4M3FN};
/// let mut q = [F8E4M3FN::ZERO; 2];
/// lowp::encode_with(&[1000.0, -0.3], &mut q, Rounding::TowardPositive, Overflow::Saturate);
/// assert_eq!(q.map(|v| v.to_bits()), [0x7e, 0xa9]); // 448 (saturated), −0.28125
/// ```
///
/// # Panics
/// If `src.len() != dst.len()`.
#[track_caller]
pub fn encode_with<F: Format>(src: &[f32], dst: &mut [F], rounding: Rounding, overflow: Overflow) {
    let p = EncodeParams::new(rounding, overflow);
    encode_on("encode_with", active_level(), src, dst, p);
}

/// Encode `src` into `dst` with stochastic rounding: element `i` is
/// [`Format::from_f32_stochastic`]`(src[i], r_i, overflow)` with `r_i` the high 32 bits of
/// SplitMix64 step `i + 1` from `seed` (see the [module docs](self)). Overflow follows
/// `overflow` as for nearest-even.
///
/// ```
/// use lowp::{Overflow, F8E4M3FN};
/// let x = [1.0f32 + 1.0 / 32.0; 1000]; // a quarter of the way from 1 to 1.125
/// let mut q = [F8E4M3FN::ZERO; 1000];
/// lowp::encode_stochastic(&x, &mut q, 42, Overflow::Ieee);
/// let up = q.iter().filter(|v| v.to_bits() == 0x39).count();
/// assert!(q.iter().all(|v| v.to_bits() == 0x38 || v.to_bits() == 0x39));
/// assert!((200..300).contains(&up));
/// ```
///
/// # Panics
/// If `src.len() != dst.len()`.
#[track_caller]
pub fn encode_stochastic<F: Format>(src: &[f32], dst: &mut [F], seed: u64, overflow: Overflow) {
    let p = EncodeParams::stochastic(seed, overflow);
    encode_on("encode_stochastic", active_level(), src, dst, p);
}

/// The checked batch conversion: as [`encode`], but an `Err` instead of a panic on a length
/// mismatch, and an `Err` for the first element (the lowest index) that the checked scalar
/// conversion [`crate::try_round`] rejects — the batch form of the small types'
/// `try_from_f32`: a finite value that would overflow to ∞, NaN or ±max
/// ([`Error::Overflow`]), a NaN or ∞ that the format cannot hold, 0 or a negative number in
/// E8M0. Nothing is written on `Err`.
///
/// (The other `try_` forms — [`try_encode_with`], [`try_encode_stochastic`],
/// [`try_convert_with`], … — only turn the length panic into an `Err`: their values follow the
/// `overflow` policy they are given.)
///
/// ```
/// use lowp::{Error, F8E4M3FN};
/// let mut q = [F8E4M3FN::ZERO; 3];
/// assert!(lowp::try_encode(&[1.0, 464.0, -0.5], &mut q).is_ok()); // 464 → 448: no overflow
/// let mut r = [F8E4M3FN::ZERO; 3];
/// let e = lowp::try_encode(&[1.0, 465.0, 1e9], &mut r);
/// assert_eq!(e, Err(Error::Overflow { format: "float8_e4m3fn", value: 465.0 }));
/// assert!(r.iter().all(|v| v.to_bits() == 0)); // untouched
/// ```
pub fn try_encode<F: Format>(src: &[f32], dst: &mut [F]) -> Result<(), Error> {
    check(src.len(), dst.len())?;
    check_values::<F>(src)?;
    let p = EncodeParams::new(Rounding::NearestEven, Overflow::Ieee);
    encode_on("try_encode", active_level(), src, dst, p);
    Ok(())
}

/// The first element of `src` that [`crate::try_round`] rejects, as its `Err`.
///
/// A fast pass first: `x` is accepted at once when |x| ≤ the largest f32 that does not
/// overflow (and, in a format without zero and sign, x > 0); only the elements that fail it
/// (NaN, ∞, overflow, and those E8M0 cases) go through the scalar check, which may still
/// accept them (a NaN or ∞ that the format holds).
fn check_values<F: Format>(src: &[f32]) -> Result<(), Error> {
    let bound = largest_non_overflowing::<F>();
    let positive_only = !F::SPEC.signed;
    for &x in src {
        let a = f32::from_bits(x.to_bits() & 0x7FFF_FFFF);
        let fast = a <= bound && (!positive_only || x > 0.0);
        if !fast {
            crate::try_round::<F>(x)?;
        }
    }
    Ok(())
}

/// The largest positive finite f32 that [`crate::try_round`] into `F` accepts (the acceptance
/// is monotone in |x| for positive finite x): a binary search on the bit patterns.
fn largest_non_overflowing<F: Format>() -> f32 {
    let ok = |bits: u32| crate::try_round::<F>(f32::from_bits(bits)).is_ok();
    let (mut lo, mut hi) = (1u32, 0x7F7F_FFFFu32); // the smallest and largest positive finite
    if ok(hi) {
        return f32::MAX;
    }
    if !ok(lo) {
        return 0.0;
    }
    // Invariant: ok(lo), !ok(hi).
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    f32::from_bits(lo)
}

/// As [`encode_with`], but an `Err` instead of a panic on a length mismatch (the values are
/// not checked: they follow `overflow`; see [`try_encode`] for the checked conversion).
pub fn try_encode_with<F: Format>(
    src: &[f32],
    dst: &mut [F],
    rounding: Rounding,
    overflow: Overflow,
) -> Result<(), Error> {
    check(src.len(), dst.len())?;
    encode_with(src, dst, rounding, overflow);
    Ok(())
}

/// As [`encode_stochastic`], but an `Err` instead of a panic on a length mismatch.
pub fn try_encode_stochastic<F: Format>(
    src: &[f32],
    dst: &mut [F],
    seed: u64,
    overflow: Overflow,
) -> Result<(), Error> {
    check(src.len(), dst.len())?;
    encode_stochastic(src, dst, seed, overflow);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// format → f32.

/// Decode `src` into `dst`, exactly (element for element [`Format::to_f32`]). NaN decodes to a
/// quiet NaN (keeping the sign where the format has signed NaNs, and the payload for f16/bf16).
///
/// ```
/// use lowp::F8E4M3FNUZ;
/// let q = [F8E4M3FNUZ::from_bits(0x7f), F8E4M3FNUZ::from_bits(0x01), F8E4M3FNUZ::from_bits(0x80)];
/// let mut x = [0.0f32; 3];
/// lowp::decode(&q, &mut x);
/// assert_eq!((x[0], x[1]), (240.0, 2f32.powi(-10)));
/// assert_eq!(x[2].to_bits(), 0x7fc0_0000); // 0x80 is the NaN of the fnuz formats
/// ```
///
/// # Panics
/// If `src.len() != dst.len()`.
#[track_caller]
pub fn decode<F: Format>(src: &[F], dst: &mut [f32]) {
    decode_on("decode", active_level(), src, dst);
}

/// As [`decode`], but an `Err` instead of a panic on a length mismatch.
pub fn try_decode<F: Format>(src: &[F], dst: &mut [f32]) -> Result<(), Error> {
    check(src.len(), dst.len())?;
    decode(src, dst);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Fake quantization: f32 → format → f32.

/// Round every element of `data` to a value of `F` and back, in place: the "chop" operation
/// (CPFloat, MATLAB `chop`) that emulates low-precision arithmetic in f32 — element for
/// element `F::from_f32_with(x, rounding, overflow).to_f32()`. An overflow gives what the
/// format gives (±∞, NaN or ±max, by the `overflow` policy), which then decodes exactly.
///
/// ```
/// use lowp::{Overflow, Rounding, BF16};
/// let mut x = [1.0f32 + 1.0 / 256.0, 3.0e38, 1e-40];
/// lowp::fake_quantize::<BF16>(&mut x, Rounding::NearestEven, Overflow::Ieee);
/// assert_eq!(x[0], 1.0); // a tie, to even
/// assert_eq!(x[1], 3.0040553e38);
/// assert_eq!(x[2].to_bits(), 0x0001_0000); // a bf16 subnormal: kept, not flushed
/// ```
pub fn fake_quantize<F: Format>(data: &mut [f32], rounding: Rounding, overflow: Overflow) {
    active_level().fake_quantize::<F>(data, rounding, overflow);
}

/// As [`fake_quantize`], with stochastic rounding (element `i` uses the word `r_i` of
/// [`encode_stochastic`]).
pub fn fake_quantize_stochastic<F: Format>(data: &mut [f32], seed: u64, overflow: Overflow) {
    active_level().fake_quantize_stochastic::<F>(data, seed, overflow);
}

/// As [`fake_quantize`], out of place: `dst[i]` is `src[i]` rounded to `F`.
///
/// # Panics
/// If `src.len() != dst.len()`.
#[track_caller]
pub fn fake_quantize_into<F: Format>(
    src: &[f32],
    dst: &mut [f32],
    rounding: Rounding,
    overflow: Overflow,
) {
    let p = EncodeParams::new(rounding, overflow);
    fake_quantize_into_on::<F>("fake_quantize_into", active_level(), src, dst, p);
}

/// As [`fake_quantize_into`], but an `Err` instead of a panic on a length mismatch.
pub fn try_fake_quantize_into<F: Format>(
    src: &[f32],
    dst: &mut [f32],
    rounding: Rounding,
    overflow: Overflow,
) -> Result<(), Error> {
    check(src.len(), dst.len())?;
    fake_quantize_into::<F>(src, dst, rounding, overflow);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// format → format (e.g. f16/bf16 straight to the 8-bit formats).

/// Convert between two formats, through the exact value (every format widens to f32 without
/// loss), rounding once to nearest even with [`Overflow::Ieee`]: element for element
/// `D::from_f32(src[i].to_f32())`. The common use is f16/bf16 tensors straight to FP8.
///
/// ```
/// use lowp::{half::f16, F8E4M3FN};
/// let h = [f16::from_f32(0.1), f16::from_f32(500.0)];
/// let mut q = [F8E4M3FN::ZERO; 2];
/// lowp::convert(&h, &mut q);
/// assert_eq!(q.map(|v| v.to_bits()), [0x1d, 0x7f]); // 500 → NaN (beyond 464)
/// ```
///
/// # Panics
/// If `src.len() != dst.len()`.
#[track_caller]
pub fn convert<S: Format, D: Format>(src: &[S], dst: &mut [D]) {
    let p = EncodeParams::new(Rounding::NearestEven, Overflow::Ieee);
    convert_on("convert", active_level(), src, dst, p);
}

/// As [`convert`], in the given rounding mode and overflow policy.
///
/// # Panics
/// If `src.len() != dst.len()`.
#[track_caller]
pub fn convert_with<S: Format, D: Format>(
    src: &[S],
    dst: &mut [D],
    rounding: Rounding,
    overflow: Overflow,
) {
    let p = EncodeParams::new(rounding, overflow);
    convert_on("convert_with", active_level(), src, dst, p);
}

/// As [`convert`], with stochastic rounding (the words of [`encode_stochastic`]).
///
/// # Panics
/// If `src.len() != dst.len()`.
#[track_caller]
pub fn convert_stochastic<S: Format, D: Format>(
    src: &[S],
    dst: &mut [D],
    seed: u64,
    overflow: Overflow,
) {
    let p = EncodeParams::stochastic(seed, overflow);
    convert_on("convert_stochastic", active_level(), src, dst, p);
}

/// As [`convert_with`], but an `Err` instead of a panic on a length mismatch.
pub fn try_convert_with<S: Format, D: Format>(
    src: &[S],
    dst: &mut [D],
    rounding: Rounding,
    overflow: Overflow,
) -> Result<(), Error> {
    check(src.len(), dst.len())?;
    convert_with(src, dst, rounding, overflow);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Packed FP4 / FP6.

/// Encode `src` into packed FP4 (two a byte, element 0 in the low nibble) or FP6 (four in
/// three bytes, little-endian), nearest-even with [`Overflow::Ieee`] (which is ±max: FP4/FP6
/// have no ∞ or NaN; NaN inputs give +0). `dst` must hold
/// [`crate::packing::packed_len`]`::<F>(src.len())` bytes; unused high bits of the
/// last byte are zero.
///
/// ```
/// use lowp::F4E2M1FN;
/// let mut p = [0u8; 2];
/// lowp::encode_packed::<F4E2M1FN>(&[1.0, -6.0, 100.0], &mut p);
/// assert_eq!(p, [0xF2, 0x07]); // 1.0 = 0x2, −6 = 0xF, 100 → max 6 = 0x7
/// ```
///
/// # Panics
/// If `dst.len() != packed_len::<F>(src.len())`.
#[track_caller]
pub fn encode_packed<F: Packable>(src: &[f32], dst: &mut [u8]) {
    let p = EncodeParams::new(Rounding::NearestEven, Overflow::Ieee);
    encode_packed_on::<F>("encode_packed", active_level(), src, dst, p);
}

/// As [`encode_packed`], in the given rounding mode and overflow policy.
///
/// # Panics
/// If `dst.len() != packed_len::<F>(src.len())`.
#[track_caller]
pub fn encode_packed_with<F: Packable>(
    src: &[f32],
    dst: &mut [u8],
    rounding: Rounding,
    overflow: Overflow,
) {
    let p = EncodeParams::new(rounding, overflow);
    encode_packed_on::<F>("encode_packed_with", active_level(), src, dst, p);
}

/// As [`encode_packed`], with stochastic rounding (the words of [`encode_stochastic`]).
///
/// # Panics
/// If `dst.len() != packed_len::<F>(src.len())`.
#[track_caller]
pub fn encode_packed_stochastic<F: Packable>(
    src: &[f32],
    dst: &mut [u8],
    seed: u64,
    overflow: Overflow,
) {
    let p = EncodeParams::stochastic(seed, overflow);
    encode_packed_on::<F>("encode_packed_stochastic", active_level(), src, dst, p);
}

/// Decode packed FP4/FP6 (the layout of [`encode_packed`]) into `dst`, exactly.
///
/// ```
/// use lowp::F4E2M1FN;
/// let mut x = [0.0f32; 3];
/// lowp::decode_packed::<F4E2M1FN>(&[0xF2, 0x07], &mut x);
/// assert_eq!(x, [1.0, -6.0, 6.0]);
/// ```
///
/// # Panics
/// If `src.len() != packed_len::<F>(dst.len())`.
#[track_caller]
pub fn decode_packed<F: Packable>(src: &[u8], dst: &mut [f32]) {
    decode_packed_on::<F>("decode_packed", active_level(), src, dst);
}

/// As [`encode_packed_with`], but an `Err` instead of a panic on a length mismatch.
pub fn try_encode_packed_with<F: Packable>(
    src: &[f32],
    dst: &mut [u8],
    rounding: Rounding,
    overflow: Overflow,
) -> Result<(), Error> {
    check(packed_len::<F>(src.len()), dst.len())?;
    encode_packed_with::<F>(src, dst, rounding, overflow);
    Ok(())
}

/// As [`decode_packed`], but an `Err` instead of a panic on a length mismatch.
pub fn try_decode_packed<F: Packable>(src: &[u8], dst: &mut [f32]) -> Result<(), Error> {
    check(packed_len::<F>(dst.len()), src.len())?;
    decode_packed::<F>(src, dst);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Parallel forms.

#[cfg(feature = "rayon")]
mod parallel {
    use super::*;
    use rayon::prelude::*;

    /// Elements per parallel task (a multiple of the kernels' block of 32).
    const TASK: usize = 1 << 15;

    /// As [`encode`], split over rayon's thread pool; the result equals [`encode`]'s.
    ///
    /// # Panics
    /// If `src.len() != dst.len()`.
    #[track_caller]
    pub fn par_encode<F: Format>(src: &[f32], dst: &mut [F]) {
        assert_len("par_encode", Unit::Elements, src.len(), dst.len());
        let p = EncodeParams::new(Rounding::NearestEven, Overflow::Ieee);
        par_run(src, dst, &p);
    }

    /// As [`encode_with`], split over rayon's thread pool; the result equals
    /// [`encode_with`]'s.
    ///
    /// # Panics
    /// If `src.len() != dst.len()`.
    #[track_caller]
    pub fn par_encode_with<F: Format>(
        src: &[f32],
        dst: &mut [F],
        rounding: Rounding,
        overflow: Overflow,
    ) {
        assert_len("par_encode_with", Unit::Elements, src.len(), dst.len());
        let p = EncodeParams::new(rounding, overflow);
        par_run(src, dst, &p);
    }

    /// As [`encode_stochastic`], split over rayon's thread pool. Each element's random word
    /// depends on its index only, so the result equals [`encode_stochastic`]'s.
    ///
    /// # Panics
    /// If `src.len() != dst.len()`.
    #[track_caller]
    pub fn par_encode_stochastic<F: Format>(
        src: &[f32],
        dst: &mut [F],
        seed: u64,
        overflow: Overflow,
    ) {
        assert_len(
            "par_encode_stochastic",
            Unit::Elements,
            src.len(),
            dst.len(),
        );
        let p = EncodeParams::stochastic(seed, overflow);
        par_run(src, dst, &p);
    }

    fn par_run<F: Format>(src: &[f32], dst: &mut [F], p: &EncodeParams) {
        let level = active_level();
        src.par_chunks(TASK)
            .zip(dst.par_chunks_mut(TASK))
            .enumerate()
            .for_each(|(k, (s, d))| kernels::encode(level, s, d, p, (k * TASK) as u64));
    }

    /// As [`decode`], split over rayon's thread pool.
    ///
    /// # Panics
    /// If `src.len() != dst.len()`.
    #[track_caller]
    pub fn par_decode<F: Format>(src: &[F], dst: &mut [f32]) {
        assert_len("par_decode", Unit::Elements, src.len(), dst.len());
        let level = active_level();
        src.par_chunks(TASK)
            .zip(dst.par_chunks_mut(TASK))
            .for_each(|(s, d)| kernels::decode(level, s, d));
    }

    /// As [`fake_quantize`], split over rayon's thread pool.
    pub fn par_fake_quantize<F: Format>(data: &mut [f32], rounding: Rounding, overflow: Overflow) {
        let p = EncodeParams::new(rounding, overflow);
        par_fake::<F>(data, &p);
    }

    /// As [`fake_quantize_stochastic`], split over rayon's thread pool; the result equals
    /// the sequential one.
    pub fn par_fake_quantize_stochastic<F: Format>(
        data: &mut [f32],
        seed: u64,
        overflow: Overflow,
    ) {
        let p = EncodeParams::stochastic(seed, overflow);
        par_fake::<F>(data, &p);
    }

    fn par_fake<F: Format>(data: &mut [f32], p: &EncodeParams) {
        let level = active_level();
        data.par_chunks_mut(TASK).enumerate().for_each(|(k, d)| {
            kernels::fake_quantize_in_place::<F>(level, d, p, (k * TASK) as u64)
        });
    }

    /// As [`convert_with`], split over rayon's thread pool.
    ///
    /// # Panics
    /// If `src.len() != dst.len()`.
    #[track_caller]
    pub fn par_convert_with<S: Format, D: Format>(
        src: &[S],
        dst: &mut [D],
        rounding: Rounding,
        overflow: Overflow,
    ) {
        assert_len("par_convert_with", Unit::Elements, src.len(), dst.len());
        let p = EncodeParams::new(rounding, overflow);
        let level = active_level();
        src.par_chunks(TASK)
            .zip(dst.par_chunks_mut(TASK))
            .enumerate()
            .for_each(|(k, (s, d))| kernels::convert(level, s, d, &p, (k * TASK) as u64));
    }
}

#[cfg(feature = "rayon")]
pub use parallel::*;
