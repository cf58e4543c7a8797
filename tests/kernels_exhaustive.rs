//! The proof that the batch kernels are right, over all 2^32 f32 inputs.
//!
//! For every format, every kernel level this CPU has (every `Level` but `Scalar`, which is the
//! scalar core itself), in every rounding mode with both overflow policies:
//!
//! - the deterministic modes against the independent reference of `tests/common` (the format's
//!   table, its sorted values and their midpoints, never `lowp::Spec`), evaluated as a step
//!   function of the input's bit pattern ([`common::Steps`]) so that it runs at memory speed;
//! - stochastic rounding against an independent reference of the contract's rule (CONTRACT.md
//!   §3, with the documented SplitMix64 words; [`Stochastic`]): the toward-zero and the
//!   away-from-zero step functions give an input's two neighbours, and the exact dropped
//!   fraction f, computed in f64 from the table's precision and minimum normal exponent,
//!   chooses between them (up iff ⌊f·2^32⌋ + r ≥ 2^32), at near memory speed;
//! - f32 itself against the identity.
//!
//! Each work item's inputs are made once and checked in every mode and policy in turn, on every
//! level: the SIMD levels and the portable level (the build's baseline code, which is what
//! other targets vectorise, and the slowest to run here) alike.
//!
//! By default the sweep takes every 127th input in release builds (every 16411th in debug
//! builds), so that `cargo test --release` stays quick; `LOWP_FULL=1` (which CI sets) takes
//! every input, spread over the machine's cores. `LOWP_EXHAUSTIVE_STRIDE=n` overrides the stride.

mod common;
mod items;

use std::time::Instant;

use common::{Row, Steps};
use lowp::{
    Format, Level, Overflow, Rounding, BF16, F16, F4E2M1FN, F6E2M3FN, F6E3M2FN, F8E3M4, F8E4M3,
    F8E4M3B11FNUZ, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0FNU, TF32,
};

/// Inputs per work item.
const CHUNK: u64 = 1 << 16;
const SEED: u64 = 0x5EED_0F10_3B17;

fn stride() -> u64 {
    static STRIDE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *STRIDE.get_or_init(|| common::sweep_stride(127, 16411))
}

/// The word of element `i` (CONTRACT.md §3), written out independently of the crate.
fn splitmix(seed: u64, i: u64) -> u32 {
    let mut z = seed.wrapping_add((i + 1).wrapping_mul(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
    z ^= z >> 31;
    (z >> 32) as u32
}

/// `None`: stochastic rounding.
type Mode = Option<Rounding>;

/// What a sweep compares the kernels with.
enum Reference {
    /// A deterministic mode: the format's step function.
    Steps(Box<Steps>),
    /// Stochastic rounding with the words of `SEED`.
    Stochastic(Box<Stochastic>),
    /// f32 itself, nearest-even, `Ieee`: every input unchanged.
    Identity,
}

impl Reference {
    fn new(row: Option<Row>, mode: Mode, overflow: Overflow) -> Reference {
        match (row, mode) {
            (Some(row), Some(r)) => Reference::Steps(Box::new(Steps::new(&row, r, overflow))),
            (Some(row), None) => Reference::Stochastic(Box::new(Stochastic::new(&row, overflow))),
            (None, Some(Rounding::NearestEven)) if overflow == Overflow::Ieee => {
                Reference::Identity
            }
            _ => unimplemented!("f32 is swept in nearest-even under Ieee only"),
        }
    }

    /// `want[j]` = the expected value for the bit pattern `start + j·stride` (all below
    /// 2^32), element j of a slice encoded from its start (`scratch`: at least as long), written
    /// in the format's own storage so that each level's output is compared with one memcmp.
    fn fill<F: Format>(&self, start: u64, stride: u64, want: &mut [F], scratch: &mut [u32]) {
        match self {
            Reference::Steps(steps) => steps.runs(start, stride, want.len(), |j0, j1, code| {
                want[j0..j1].fill(F::from_bits_u32(code))
            }),
            Reference::Stochastic(st) => st.fill(start, stride, want, scratch),
            Reference::Identity => {
                for (j, w) in want.iter_mut().enumerate() {
                    *w = F::from_bits_u32((start + j as u64 * stride) as u32);
                }
            }
        }
    }
}

/// The reference for stochastic rounding, from CONTRACT.md §3's rule and the table of
/// `tests/common` alone (never `lowp::Spec` or the crate's rounding code).
///
/// A finite non-zero input that no format value equals lies strictly between its toward-zero
/// neighbour and its away-from-zero neighbour (the two step functions; beyond max the latter
/// is the overflow result of the nearest modes' rule under the policy, as the contract asks).
/// With t = |x| / ulp, ulp = 2^q, q = max(e, emin) − M (e the exponent of |x|, emin that of
/// the table's smallest normal value, so the subnormal spacing below it), and f = t − ⌊t⌋, the
/// input goes away from zero iff ⌊f·2^32⌋ + r ≥ 2^32. A magnitude at or beyond the value
/// past max (where even its truncation is out of range) overflows whatever the word. Exact
/// inputs, ±0, ±∞ and NaN have one result, which both step functions give.
///
/// So that it runs at near memory speed, f is not worked out per input: the inputs are cut
/// into segments that lie in one run of the toward-zero steps (one gap between neighbours, so
/// one ⌊t⌋) and in one f32 binade (one spacing 2^l between consecutive bit patterns). There
/// f = D / 2^d with d = q − l and D = (|x| − ⌊t⌋·ulp) / 2^l an integer below 2^24 that grows
/// by one per bit pattern; D is computed exactly in f64 at the segment's first input (|x| / ulp
/// is a scaling by a power of two, t < 2^(M + 1) has at most 24 significant bits, so t − ⌊t⌋
/// and its scaling by 2^d are exact), and then ⌊f·2^32⌋ = D·2^(32 − d) or ⌊D / 2^(d − 32)⌋ is
/// one shift per input.
struct Stochastic {
    toward_zero: Steps,
    away: Steps,
    /// The f32 bit pattern of the value past max (0x7F80_0000 where f32 cannot reach it).
    beyond: u32,
    /// log2 of the smallest normal value.
    emin: i32,
    /// Stored significand bits.
    m: i32,
    /// r_j, j < CHUNK: every work item is encoded as one slice, from element 0.
    words: Vec<u32>,
}

impl Stochastic {
    fn new(row: &Row, overflow: Overflow) -> Stochastic {
        let ladder = row.ladder();
        let beyond = row.beyond_max(&ladder);
        let beyond = if beyond <= f32::MAX as f64 {
            let b = beyond as f32;
            assert_eq!(
                b as f64, beyond,
                "{}: the value past max is not an f32",
                row.name
            );
            b.to_bits()
        } else {
            0x7F80_0000
        };
        assert_eq!(row.min_normal.log2().fract(), 0.0, "{}", row.name);
        Stochastic {
            toward_zero: Steps::new(row, Rounding::TowardZero, overflow),
            away: Steps::away_from_zero(row, overflow),
            beyond,
            emin: row.min_normal.log2() as i32,
            m: row.m as i32,
            words: (0..CHUNK).map(|j| splitmix(SEED, j)).collect(),
        }
    }

    /// (d, D) at the finite magnitude with f32 bit pattern `mag` (see the type's docs).
    fn dropped(&self, mag: u32) -> (i32, u32) {
        // Exact, and normal in f64 even where the f32 is subnormal.
        let a = f32::from_bits(mag) as f64;
        let e = ((a.to_bits() >> 52) as i32 - 1023).max(self.emin);
        let q = e - self.m;
        // The spacing of f32 bit patterns at `mag`: 2^-149 below 2^-126.
        let l = ((mag >> 23) as i32).max(1) - 150;
        let d = q - l;
        assert!(
            d > 0,
            "an f32 input is always inexact somewhere in these formats"
        );
        let t = a * 2f64.powi(-q);
        let f = t - t.floor();
        let big_d = f * 2f64.powi(d);
        assert!(big_d < (1u32 << 24) as f64 && big_d.fract() == 0.0);
        (d, big_d as u32)
    }

    fn fill<F: Format>(&self, start: u64, stride: u64, want: &mut [F], away: &mut [u32]) {
        let away = &mut away[..want.len()];
        self.away.fill(start, stride, away);
        self.toward_zero
            .runs(start, stride, want.len(), |j0, j1, down| {
                // Cut the run at f32 binades (2^23 bit patterns each; the subnormals are one with
                // the lowest binade, at the same spacing).
                let mut j = j0;
                while j < j1 {
                    let b = start + j as u64 * stride;
                    let next_binade = (b | 0x7F_FFFF) + 1;
                    let k = j1.min(j + (next_binade - b).div_ceil(stride) as usize);
                    let (want, away, words) = (&mut want[j..k], &away[j..k], &self.words[j..k]);
                    let mag = b as u32 & 0x7FFF_FFFF;
                    if mag >= self.beyond {
                        // Overflow (or ±∞, NaN: one result) whatever the word.
                        for (w, &a) in want.iter_mut().zip(away) {
                            *w = F::from_bits_u32(a);
                        }
                    } else if mag == 0 {
                        want.fill(F::from_bits_u32(down));
                    } else {
                        let (d, d0) = self.dropped(mag);
                        let step = stride as u32;
                        if d <= 32 {
                            let s = (32 - d) as u32;
                            choose(want, away, words, down, |i| (d0 + i * step) << s);
                        } else if d < 56 {
                            let s = (d - 32) as u32;
                            choose(want, away, words, down, |i| (d0 + i * step) >> s);
                        } else {
                            want.fill(F::from_bits_u32(down));
                        }
                    }
                    j = k;
                }
            });
    }
}

/// `want[i]` = `away[i]` where ⌊f·2^32⌋ = `frac(i)` plus the word `words[i]` carries out of
/// 32 bits, else `down` (a loop that vectorises).
#[inline(always)]
fn choose<F: Format>(
    want: &mut [F],
    away: &[u32],
    words: &[u32],
    down: u32,
    frac: impl Fn(u32) -> u32,
) {
    for (i, (w, (&up, &r))) in want.iter_mut().zip(away.iter().zip(words)).enumerate() {
        let f = frac(i as u32);
        *w = F::from_bits_u32(if f.wrapping_add(r) < f { up } else { down });
    }
}

/// The table row of a format (None for f32 itself, which has none).
fn row(name: &str) -> Option<Row> {
    common::rows().into_iter().find(|r| r.name == name)
}

/// One mode and policy of a sweep, with its reference.
struct Case {
    mode: Mode,
    overflow: Overflow,
    reference: Reference,
}

/// The kernel levels the sweeps check: every level this CPU has but `Scalar` (the scalar
/// core itself, proven by tests/exhaustive_f32.rs).
fn levels() -> Vec<Level> {
    Level::available().filter(|l| *l != Level::Scalar).collect()
}

/// Sweep every input (or every `stride`-th) for one format, comparing every level of
/// [`levels`] with the reference of each case. The inputs of work
/// item `k` are the f32 bit patterns `(k·CHUNK + j)·stride`, j < CHUNK, made once for all the
/// cases; with stochastic rounding they are encoded as one slice, so element j gets word r_j.
fn sweep<F: Format + bytemuck::Pod>(cases: &[Case], stride: u64) {
    let levels = levels();
    let buffers = || {
        let zero = F::from_bits_u32(0);
        let chunk = CHUNK as usize;
        (
            vec![0f32; chunk],
            vec![0u32; chunk],
            vec![zero; chunk],
            vec![zero; chunk],
        )
    };
    items::for_each(
        stride,
        CHUNK,
        1,
        buffers,
        |(src, scratch, got, want), start, n| {
            let src = &mut src[..n];
            items::inputs(src, start, stride);
            let src = &src[..];
            for case in cases {
                let (mode, overflow) = (case.mode, case.overflow);
                case.reference.fill(start, stride, &mut want[..n], scratch);
                let want_bytes: &[u8] = bytemuck::cast_slice(&want[..n]);
                for &level in &levels {
                    let out = &mut got[..n];
                    match mode {
                        Some(r) => level.encode_with(src, out, r, overflow),
                        None => level.encode_stochastic(src, out, SEED, overflow),
                    }
                    // One memcmp first; details only on failure.
                    if bytemuck::cast_slice::<F, u8>(out) != want_bytes {
                        let j = (0..n)
                            .find(|&j| out[j].to_bits_u32() != want[j].to_bits_u32())
                            .unwrap();
                        panic!(
                        "{} {mode:?} {overflow:?} on {level:?}: input {:#010x} gave {:#x}, the \
                         reference {:#x}",
                        F::NAME,
                        src[j].to_bits(),
                        out[j].to_bits_u32(),
                        want[j].to_bits_u32()
                    );
                    }
                }
            }
        },
    );
}

/// Every mode and policy of `F` on every level (see the module docs for which inputs).
fn format<F: Format + bytemuck::Pod>() {
    let row = row(F::NAME).unwrap_or_else(|| panic!("{} has no row in tests/common", F::NAME));
    let t = Instant::now();
    let modes = Rounding::ALL.map(Some).into_iter().chain([None]);
    let cases: Vec<Case> = modes
        .flat_map(|mode| [Overflow::Ieee, Overflow::Saturate].map(|overflow| (mode, overflow)))
        .map(|(mode, overflow)| Case {
            mode,
            overflow,
            reference: Reference::new(Some(row), mode, overflow),
        })
        .collect();
    sweep::<F>(&cases, stride());
    eprintln!(
        "{}: {} in {:.1} s (every mode and policy on {:?})",
        F::NAME,
        if stride() == 1 {
            "all 2^32 inputs".to_string()
        } else {
            format!("every {}th input", stride())
        },
        t.elapsed().as_secs_f64(),
        levels(),
    );
}

// One test per format, so that a failure names it and the harness can report progress.
#[test]
fn exhaustive_tf32() {
    format::<TF32>();
}
#[test]
fn exhaustive_f16() {
    format::<F16>();
}
#[test]
fn exhaustive_bf16() {
    format::<BF16>();
}
#[test]
fn exhaustive_f8e4m3fn() {
    format::<F8E4M3FN>();
}
#[test]
fn exhaustive_f8e5m2() {
    format::<F8E5M2>();
}
#[test]
fn exhaustive_f8e4m3fnuz() {
    format::<F8E4M3FNUZ>();
}
#[test]
fn exhaustive_f8e5m2fnuz() {
    format::<F8E5M2FNUZ>();
}
#[test]
fn exhaustive_f8e4m3b11fnuz() {
    format::<F8E4M3B11FNUZ>();
}
#[test]
fn exhaustive_f8e3m4() {
    format::<F8E3M4>();
}
#[test]
fn exhaustive_f8e4m3() {
    format::<F8E4M3>();
}
#[test]
fn exhaustive_f8e8m0fnu() {
    format::<F8E8M0FNU>();
}
#[test]
fn exhaustive_f6e2m3fn() {
    format::<F6E2M3FN>();
}
#[test]
fn exhaustive_f6e3m2fn() {
    format::<F6E3M2FN>();
}
#[test]
fn exhaustive_f4e2m1fn() {
    format::<F4E2M1FN>();
}

/// f32 itself: every level is the identity (nearest-even sweep, all levels).
#[test]
fn exhaustive_f32_identity() {
    let (mode, overflow) = (Some(Rounding::NearestEven), Overflow::Ieee);
    let identity = Case {
        mode,
        overflow,
        reference: Reference::new(None, mode, overflow),
    };
    sweep::<f32>(&[identity], stride());
}

/// The stochastic reference against the scalar core (`Format::from_f32_stochastic`, proven
/// against the contract's rule in tests/stochastic.rs) at 65536 inputs spread over all 2^32
/// bit patterns, for every format and policy: two independent derivations of one rule agree.
/// And the sweep's check can fail: the kernels given other words disagree with it.
fn stochastic_reference<F: Format + bytemuck::Pod>() {
    let row = row(F::NAME).unwrap();
    let stride = 65_537;
    let n = CHUNK as usize;
    let src: Vec<f32> = (0..n as u64)
        .map(|j| f32::from_bits((j * stride) as u32))
        .collect();
    let mut want = vec![F::from_bits_u32(0); n];
    let mut scratch = vec![0u32; n];
    let mut out = vec![F::from_bits_u32(0); n];
    for overflow in [Overflow::Ieee, Overflow::Saturate] {
        Stochastic::new(&row, overflow).fill(0, stride, &mut want, &mut scratch);
        for (j, (&x, w)) in src.iter().zip(&want).enumerate() {
            let core = F::from_f32_stochastic(x, splitmix(SEED, j as u64), overflow);
            assert_eq!(
                w.to_bits_u32(),
                core.to_bits_u32(),
                "{} {overflow:?} {:#010x}",
                F::NAME,
                x.to_bits()
            );
        }
        Level::best().encode_stochastic(&src, &mut out, SEED ^ 1, overflow);
        assert!(
            out.iter()
                .zip(&want)
                .any(|(o, w)| o.to_bits_u32() != w.to_bits_u32()),
            "{}",
            F::NAME
        );
    }
}

#[test]
fn the_stochastic_reference_is_the_contract_rule() {
    stochastic_reference::<TF32>();
    stochastic_reference::<F16>();
    stochastic_reference::<BF16>();
    stochastic_reference::<F8E4M3FN>();
    stochastic_reference::<F8E5M2>();
    stochastic_reference::<F8E4M3FNUZ>();
    stochastic_reference::<F8E5M2FNUZ>();
    stochastic_reference::<F8E4M3B11FNUZ>();
    stochastic_reference::<F8E3M4>();
    stochastic_reference::<F8E4M3>();
    stochastic_reference::<F8E8M0FNU>();
    stochastic_reference::<F6E2M3FN>();
    stochastic_reference::<F6E3M2FN>();
    stochastic_reference::<F4E2M1FN>();
}
