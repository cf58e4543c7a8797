//! The batch API with one options value.
//!
//! Every operation is one function: its data first, then one [`Options`] value (the rounding
//! mode — stochastic rounding with its seed included —, the overflow policy, and whether to
//! split the work over rayon's threads), then its output; it returns `Result` and writes
//! nothing on `Err`. The names follow one rule, shared with [`crate::quant`]: `fake_quantize`
//! writes a separate output, `fake_quantize_in_place` overwrites its input.
//!
//! | operation | function |
//! |---|---|
//! | f32 → format | [`encode`] |
//! | format → f32 | [`decode`] |
//! | format → format (through the exact value) | [`convert`] |
//! | f32 → format → f32 | [`fake_quantize`], [`fake_quantize_in_place`] |
//! | f32 → packed FP4 / FP6 bytes, and back | [`encode_packed`], [`decode_packed`] |
//!
//! Each gives, element for element, the bits of the scalar conversion
//! ([`Format::from_f32_with`], [`Format::from_f32_stochastic`] with the documented SplitMix64
//! words, [`Format::to_f32`]), on the best kernel level the CPU has; the parallel form gives the
//! same bits as the sequential one (stochastic words depend on the element index only).
//!
//! The older entry points of [`crate::slice`] (`encode_with`, `encode_stochastic`,
//! `try_encode`, `par_encode`, …) stay for code written against them and give the same bits.
//!
//! ```
//! use lowp::batch::{self, Options};
//! use lowp::{Overflow, Rounding, F8E4M3FN};
//! let x = [0.1f32, 464.0, 465.0, -1e-9];
//! let mut q = [F8E4M3FN::ZERO; 4];
//! batch::encode(&x, Options::new(), &mut q)?;
//! assert_eq!(q.map(|v| v.to_bits()), [0x1d, 0x7e, 0x7f, 0x80]); // 465 → NaN, −tiny → −0
//! let opts = Options::new().rounding(Rounding::TowardZero).overflow(Overflow::Saturate);
//! batch::encode(&x, opts, &mut q)?;
//! assert_eq!(q.map(|v| v.to_bits()), [0x1c, 0x7e, 0x7e, 0x80]);
//! batch::encode(&x, Options::new().stochastic(42).parallel(true), &mut q)?;
//! let mut back = [0.0f32; 4];
//! batch::decode(&q, Options::new(), &mut back)?;
//! assert!(batch::encode(&x, Options::new(), &mut q[..3]).is_err()); // lengths differ
//! # Ok::<(), lowp::Error>(())
//! ```

use crate::error::Error;
use crate::format::{Format, Overflow, Rounding};
use crate::kernels::{self, lanes::EncodeParams, Level};
use crate::packing::{packed_len, Packable};
use crate::slice::active_level;

/// How values are rounded: one of the six deterministic [`Rounding`] modes, or stochastic
/// rounding with the SplitMix64 seed of its random words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Round {
    /// A deterministic mode.
    Mode(Rounding),
    /// Stochastic rounding: element `i` gets the word `r_i`, the high 32 bits of SplitMix64
    /// step `i + 1` from `seed` (see [`Format::from_f32_stochastic`] for the rule).
    Stochastic {
        /// The SplitMix64 state the words start from.
        seed: u64,
    },
}

impl Default for Round {
    fn default() -> Round {
        Round::Mode(Rounding::NearestEven)
    }
}

impl From<Rounding> for Round {
    fn from(r: Rounding) -> Round {
        Round::Mode(r)
    }
}

/// The options of every batch operation. The default is nearest-even, [`Overflow::Ieee`],
/// sequential: the bits of [`Format::from_f32`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Options {
    /// The rounding mode (stochastic included).
    pub round: Round,
    /// What a result beyond the largest finite value becomes.
    pub overflow: Overflow,
    /// Split the work over rayon's thread pool (with the `rayon` feature; without it the work
    /// runs on the calling thread). The bits do not change.
    pub parallel: bool,
}

impl Options {
    /// Nearest-even, [`Overflow::Ieee`], sequential.
    pub const fn new() -> Options {
        Options {
            round: Round::Mode(Rounding::NearestEven),
            overflow: Overflow::Ieee,
            parallel: false,
        }
    }
    /// With a deterministic rounding mode.
    pub const fn rounding(self, rounding: Rounding) -> Options {
        Options {
            round: Round::Mode(rounding),
            ..self
        }
    }
    /// With stochastic rounding from `seed`.
    pub const fn stochastic(self, seed: u64) -> Options {
        Options {
            round: Round::Stochastic { seed },
            ..self
        }
    }
    /// With an overflow policy.
    pub const fn overflow(self, overflow: Overflow) -> Options {
        Options { overflow, ..self }
    }
    /// With [`Overflow::Saturate`] (OCP "saturating", PTX `satfinite`, ONNX `saturate=1`).
    pub const fn saturate(self) -> Options {
        self.overflow(Overflow::Saturate)
    }
    /// Run on rayon's thread pool (with the `rayon` feature) or not.
    pub const fn parallel(self, parallel: bool) -> Options {
        Options { parallel, ..self }
    }

    fn params(&self) -> EncodeParams {
        match self.round {
            Round::Mode(r) => EncodeParams::new(r, self.overflow),
            Round::Stochastic { seed } => EncodeParams::stochastic(seed, self.overflow),
        }
    }
}

fn check(expected: usize, found: usize) -> Result<(), Error> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch { expected, found })
    }
}

/// Elements per parallel task (a multiple of the kernels' block of 32, and of 4 so that packed
/// FP6 pieces start on a byte).
const TASK: usize = 1 << 15;

/// Run `f(level, src piece, dst piece, index of the piece's first element)` over the whole
/// slices, in pieces of `TASK` elements (`per_src` / `per_dst` items each) on rayon's pool when
/// `parallel`, else once.
fn run<S: Sync, D: Send>(
    parallel: bool,
    src: &[S],
    dst: &mut [D],
    (per_src, per_dst): (usize, usize),
    f: impl Fn(Level, &[S], &mut [D], u64) + Sync,
) {
    let level = active_level();
    #[cfg(feature = "rayon")]
    if parallel {
        use rayon::prelude::*;
        src.par_chunks(per_src)
            .zip(dst.par_chunks_mut(per_dst))
            .enumerate()
            .for_each(|(k, (s, d))| f(level, s, d, (k * TASK) as u64));
        return;
    }
    let _ = (parallel, per_src, per_dst);
    f(level, src, dst, 0);
}

const PIECES: (usize, usize) = (TASK, TASK);

/// Encode `src` into `dst` (`F::from_f32_with` / `F::from_f32_stochastic` element for element).
///
/// # Errors
/// [`Error::LengthMismatch`] if `dst.len() != src.len()`; `dst` is then untouched.
pub fn encode<F: Format>(src: &[f32], opts: Options, dst: &mut [F]) -> Result<(), Error> {
    check(src.len(), dst.len())?;
    let p = opts.params();
    run(opts.parallel, src, dst, PIECES, |l, s, d, i| {
        kernels::encode(l, s, d, &p, i)
    });
    Ok(())
}

/// Decode `src` into `dst` exactly (only `opts.parallel` matters).
///
/// # Errors
/// [`Error::LengthMismatch`] if `dst.len() != src.len()`; `dst` is then untouched.
pub fn decode<F: Format>(src: &[F], opts: Options, dst: &mut [f32]) -> Result<(), Error> {
    check(src.len(), dst.len())?;
    run(opts.parallel, src, dst, PIECES, |l, s, d, _| {
        kernels::decode(l, s, d)
    });
    Ok(())
}

/// Convert `src` into `dst` through the exact value (one rounding, from `S`'s exact value).
///
/// # Errors
/// [`Error::LengthMismatch`] if `dst.len() != src.len()`; `dst` is then untouched.
pub fn convert<S: Format, D: Format>(src: &[S], opts: Options, dst: &mut [D]) -> Result<(), Error> {
    check(src.len(), dst.len())?;
    let p = opts.params();
    run(opts.parallel, src, dst, PIECES, |l, s, d, i| {
        kernels::convert(l, s, d, &p, i)
    });
    Ok(())
}

/// `dst[i]` = `src[i]` rounded into `F` and decoded back (the value that `F` stores).
///
/// # Errors
/// [`Error::LengthMismatch`] if `dst.len() != src.len()`; `dst` is then untouched.
pub fn fake_quantize<F: Format>(src: &[f32], opts: Options, dst: &mut [f32]) -> Result<(), Error> {
    check(src.len(), dst.len())?;
    let p = opts.params();
    run(opts.parallel, src, dst, PIECES, |l, s, d, i| {
        kernels::fake_quantize::<F>(l, s, d, &p, i)
    });
    Ok(())
}

/// As [`fake_quantize`], overwriting `data`. Infallible (there is no length to mismatch), but
/// returns `Result` like every batch operation.
pub fn fake_quantize_in_place<F: Format>(data: &mut [f32], opts: Options) -> Result<(), Error> {
    let p = opts.params();
    let level = active_level();
    #[cfg(feature = "rayon")]
    if opts.parallel {
        use rayon::prelude::*;
        data.par_chunks_mut(TASK).enumerate().for_each(|(k, d)| {
            kernels::fake_quantize_in_place::<F>(level, d, &p, (k * TASK) as u64)
        });
        return Ok(());
    }
    kernels::fake_quantize_in_place::<F>(level, data, &p, 0);
    Ok(())
}

/// Encode `src` into packed bytes (FP4 two per byte, element 0 in the low nibble; FP6 four per
/// three bytes, little-endian): `dst.len()` must be [`packed_len`]`::<F>(src.len())`.
///
/// # Errors
/// [`Error::LengthMismatch`] if `dst` has the wrong length (in bytes); `dst` is then untouched.
pub fn encode_packed<F: Packable>(src: &[f32], opts: Options, dst: &mut [u8]) -> Result<(), Error> {
    check(packed_len::<F>(src.len()), dst.len())?;
    let p = opts.params();
    run(
        opts.parallel,
        src,
        dst,
        packed_pieces::<F>(),
        |l, s, d, i| kernels::encode_packed::<F>(l, s, d, &p, i),
    );
    Ok(())
}

/// Decode packed bytes into `dst`: `src.len()` must be [`packed_len`]`::<F>(dst.len())`.
///
/// # Errors
/// [`Error::LengthMismatch`] if `src` has the wrong length (in bytes); `dst` is then untouched.
pub fn decode_packed<F: Packable>(src: &[u8], opts: Options, dst: &mut [f32]) -> Result<(), Error> {
    check(packed_len::<F>(dst.len()), src.len())?;
    let (elements, bytes) = packed_pieces::<F>();
    run(opts.parallel, src, dst, (bytes, elements), |l, s, d, _| {
        kernels::decode_packed::<F>(l, s, d)
    });
    Ok(())
}

/// (elements, bytes) of one parallel piece of packed `F`.
fn packed_pieces<F: Packable>() -> (usize, usize) {
    (TASK, packed_len::<F>(TASK))
}
