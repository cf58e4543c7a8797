//! Batch kernels and their run-time dispatch.
//!
//! - [`lanes`]: the branch-free lane code (one element, `u32` arithmetic), written once and
//!   mirroring the scalar core [`mod@crate::round`] step for step.
//! - [`blocks`]: the slice drivers, which run the lane code over blocks of 32 elements and the
//!   tail through the same block on a padded buffer; stochastic rounding takes each block's
//!   random words from a `Words` source first (portable code, or an ISA's own).
//! - [`scalar`]: the reference level, one scalar-core call per element.
//! - `x86`: the block drivers compiled for AVX2+FMA+F16C and for AVX-512, the only `unsafe`;
//!   beside F16C's and VBMI's own conversions, AVX-512 computes the stochastic words with
//!   intrinsics (SplitMix64, with one `vpermt2d` for the high halves, which LLVM does not find).
//!
//! [`Level`] names the levels; the best available one is detected once and cached, and can be
//! overridden process-wide ([`set_level`]) or per call (the methods of [`Level`]).

pub(crate) mod blocks;
pub(crate) mod lanes;
pub(crate) mod scalar;
pub(crate) mod scaled;
#[cfg(target_arch = "x86_64")]
pub(crate) mod x86;

use core::sync::atomic::{AtomicU8, Ordering};

use crate::format::Format;
use crate::packing::Packable;
use lanes::{EncodeParams, NA, NE, ODD, SR, TN, TP, TZ};

/// A kernel level: which code the batch conversions run.
///
/// Every level gives the same bits (the tests compare each available level with [`Scalar`]
/// over every f32 input), whatever the CPU's FTZ and DAZ flags say (CONTRACT.md §14,
/// `tests/fenv.rs`); they differ only in speed.
///
/// [`Scalar`]: Level::Scalar
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// One call of the scalar core per element (the reference).
    Scalar,
    /// The block kernels compiled for the build's baseline target (on x86-64: SSE2), which LLVM
    /// vectorises for any target.
    Portable,
    /// x86-64 with AVX2, FMA and F16C.
    Avx2,
    /// x86-64 with AVX-512 F, BW, VL and DQ.
    Avx512,
}

impl Level {
    /// Every level, slowest first.
    pub const ALL: [Level; 4] = [Level::Scalar, Level::Portable, Level::Avx2, Level::Avx512];

    /// Whether this level can run on this CPU (detected once, then cached). Without the `std`
    /// feature there is no run-time detection: a SIMD level is available when the build
    /// enables its target features.
    pub fn is_available(self) -> bool {
        match self {
            Level::Scalar | Level::Portable => true,
            Level::Avx2 => detected() >= Level::Avx2,
            Level::Avx512 => detected() >= Level::Avx512,
        }
    }

    /// The fastest level this CPU has.
    pub fn best() -> Level {
        detected()
    }

    /// The levels this CPU can run, slowest first.
    pub fn available() -> impl Iterator<Item = Level> {
        Level::ALL.into_iter().filter(|l| l.is_available())
    }

    const fn to_u8(self) -> u8 {
        match self {
            Level::Scalar => 1,
            Level::Portable => 2,
            Level::Avx2 => 3,
            Level::Avx512 => 4,
        }
    }

    const fn from_u8(v: u8) -> Option<Level> {
        match v {
            1 => Some(Level::Scalar),
            2 => Some(Level::Portable),
            3 => Some(Level::Avx2),
            4 => Some(Level::Avx512),
            _ => None,
        }
    }
}

/// The detected level (0: not yet detected).
static DETECTED: AtomicU8 = AtomicU8::new(0);
/// The process-wide override (0: none).
static OVERRIDE: AtomicU8 = AtomicU8::new(0);

fn detected() -> Level {
    if let Some(l) = Level::from_u8(DETECTED.load(Ordering::Relaxed)) {
        return l;
    }
    let l = detect();
    DETECTED.store(l.to_u8(), Ordering::Relaxed);
    l
}

#[cfg(target_arch = "x86_64")]
fn detect() -> Level {
    if x86::detect_avx512() {
        Level::Avx512
    } else if x86::detect_avx2() {
        Level::Avx2
    } else {
        Level::Portable
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> Level {
    Level::Portable
}

/// Force every batch conversion of this process onto `level` (`None`: back to the best
/// detected level). Meant for benchmarks and for ruling SIMD out; the [`Level`] methods force a
/// level for one call.
///
/// # Errors
/// [`Error::InvalidInput`](crate::Error::InvalidInput) if `level` cannot run on this CPU.
pub fn set_level(level: Option<Level>) -> Result<(), crate::Error> {
    match level {
        None => OVERRIDE.store(0, Ordering::Relaxed),
        Some(l) if l.is_available() => OVERRIDE.store(l.to_u8(), Ordering::Relaxed),
        Some(_) => {
            return Err(crate::Error::InvalidInput(
                "kernel level not available on this CPU",
            ))
        }
    }
    Ok(())
}

/// The level that the batch conversions use now: the override of [`set_level`], else the best
/// detected level.
pub fn active_level() -> Level {
    Level::from_u8(OVERRIDE.load(Ordering::Relaxed)).unwrap_or_else(detected)
}

/// Call `$path::<generics…, MODE, SAT>(args)` with the const mode number and overflow policy
/// of the parameters `$p`.
macro_rules! by_mode {
    ($p:expr, $($path:ident)::+ ::<$($g:ty),*>($($arg:expr),*)) => {
        match ($p.mode(), $p.overflow == crate::format::Overflow::Saturate) {
            (NE, false) => $($path)::+::<$($g,)* NE, false>($($arg),*),
            (NE, true) => $($path)::+::<$($g,)* NE, true>($($arg),*),
            (NA, false) => $($path)::+::<$($g,)* NA, false>($($arg),*),
            (NA, true) => $($path)::+::<$($g,)* NA, true>($($arg),*),
            (TZ, false) => $($path)::+::<$($g,)* TZ, false>($($arg),*),
            (TZ, true) => $($path)::+::<$($g,)* TZ, true>($($arg),*),
            (TP, false) => $($path)::+::<$($g,)* TP, false>($($arg),*),
            (TP, true) => $($path)::+::<$($g,)* TP, true>($($arg),*),
            (TN, false) => $($path)::+::<$($g,)* TN, false>($($arg),*),
            (TN, true) => $($path)::+::<$($g,)* TN, true>($($arg),*),
            (ODD, false) => $($path)::+::<$($g,)* ODD, false>($($arg),*),
            (ODD, true) => $($path)::+::<$($g,)* ODD, true>($($arg),*),
            (_, false) => $($path)::+::<$($g,)* SR, false>($($arg),*),
            (_, true) => $($path)::+::<$($g,)* SR, true>($($arg),*),
        }
    };
}

/// Dispatch one operation to a level: `$scalar` for [`Level::Scalar`], else the block driver
/// `$op` of the level's module (with the mode as a const where `$mode` is given).
macro_rules! dispatch {
    ($level:expr, $op:ident, <$($g:ty),*>, ($($arg:expr),*), params = $p:expr) => {
        match $level {
            Level::Scalar => scalar::$op::<$($g),*>($($arg),*),
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => by_mode!($p, x86::avx512::$op::<$($g),*>($($arg),*)),
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => by_mode!($p, x86::avx2::$op::<$($g),*>($($arg),*)),
            _ => by_mode!($p, blocks::$op::<blocks::Portable, $($g),*>(blocks::Portable, $($arg),*)),
        }
    };
    ($level:expr, $op:ident, <$($g:ty),*>, ($($arg:expr),*)) => {
        match $level {
            Level::Scalar => scalar::$op::<$($g),*>($($arg),*),
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => x86::avx512::$op::<$($g),*>($($arg),*),
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => x86::avx2::$op::<$($g),*>($($arg),*),
            _ => blocks::$op::<$($g),*>($($arg),*),
        }
    };
}

/// Whether the lanes cover a P3109 row: 8 bits or fewer, with half the subnormal spacing a
/// normal f32 (which every lane's magic constants need), or one of the two 8-bit unsigned
/// precision-1 members (smallest value 2^-127, an f32 subnormal), which have an integer lane
/// of their own ([`lanes::p1_unsigned`]). The K > 8 members run on the scalar level, whatever
/// level is asked for.
pub(crate) const fn lanes_cover_p3109(s: &crate::Spec) -> bool {
    s.bits <= 8 && (127 + s.min_exponent() - s.mantissa_bits as i32 > 1 || lanes::p1_unsigned(s))
}

/// `level`, or [`Level::Scalar`] for a P3109 format the lanes do not cover.
fn level_for(spec: &crate::Spec, level: Level) -> Level {
    if spec.is_p3109() && !lanes_cover_p3109(spec) {
        Level::Scalar
    } else {
        level
    }
}

/// f32 → `F` on `level`; `start` is the element index of `src[0]` (stochastic words).
/// The slices must have equal lengths.
pub(crate) fn encode<F: Format>(
    level: Level,
    src: &[f32],
    dst: &mut [F],
    p: &EncodeParams,
    start: u64,
) {
    dispatch!(level_for(&F::SPEC, level), encode, <F>, (src, dst, p, start), params = p)
}

/// `F` → f32 on `level`.
pub(crate) fn decode<F: Format>(level: Level, src: &[F], dst: &mut [f32]) {
    dispatch!(level_for(&F::SPEC, level), decode, <F>, (src, dst))
}

/// f32 → `F` → f32, out of place.
pub(crate) fn fake_quantize<F: Format>(
    level: Level,
    src: &[f32],
    dst: &mut [f32],
    p: &EncodeParams,
    start: u64,
) {
    dispatch!(level_for(&F::SPEC, level), fake_quantize, <F>, (src, dst, p, start), params = p)
}

/// f32 → `F` → f32, in place.
pub(crate) fn fake_quantize_in_place<F: Format>(
    level: Level,
    data: &mut [f32],
    p: &EncodeParams,
    start: u64,
) {
    dispatch!(level_for(&F::SPEC, level), fake_quantize_in_place, <F>, (data, p, start), params = p)
}

/// `S` → `D` through the exact f32.
pub(crate) fn convert<S: Format, D: Format>(
    level: Level,
    src: &[S],
    dst: &mut [D],
    p: &EncodeParams,
    start: u64,
) {
    dispatch!(level_for(&D::SPEC, level_for(&S::SPEC, level)), convert, <S, D>, (src, dst, p, start), params = p)
}

/// f32 → packed `F`; `start` must be a multiple of 32 unless it is the last piece.
pub(crate) fn encode_packed<F: Packable>(
    level: Level,
    src: &[f32],
    dst: &mut [u8],
    p: &EncodeParams,
    start: u64,
) {
    dispatch!(level, encode_packed, <F>, (src, dst, p, start), params = p)
}

/// P3109 SatPropagate's fix-up on `level`'s ISA (the scalar level runs the portable code: it
/// converts nothing): `dst[i]` = `pos` or `neg` where `src[i]` is ±∞.
pub(crate) fn set_infinities<F: Format>(level: Level, src: &[f32], dst: &mut [F], pos: F, neg: F) {
    match level {
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => x86::avx512::set_infinities(src, dst, pos, neg),
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => x86::avx2::set_infinities(src, dst, pos, neg),
        _ => blocks::set_infinities(src, dst, pos, neg),
    }
}

/// Packed `F` → f32.
pub(crate) fn decode_packed<F: Packable>(level: Level, src: &[u8], dst: &mut [f32]) {
    dispatch!(level, decode_packed, <F>, (src, dst))
}
