//! Branch-free lane code: one element in, one element out, in `u32` (and a few exact `f32`)
//! operations, whose bits FTZ and DAZ do not change (see [`encode_lane_fast`]).
//!
//! Every function here gives the bits of [`mod@crate::round`] (the tests compare them on every
//! f32 input), with selects instead of branches, so that a loop over a block of lanes
//! vectorises. The format is a constant (`F::SPEC`), so each format gets its own specialised
//! code; the rounding mode and the overflow policy are const parameters, and the codes of the
//! special cases are consts computed by the scalar core's own `const fn`s ([`Codes`]), so that
//! selects which would change nothing fold away. The kernels are ALU-bound: every operation a
//! lane saves is speed (BENCHMARKS.md counts them per mode).

use crate::format::{Format, NanEncoding, Overflow, Rounding, Spec};

/// Const mode numbers: the six [`Rounding`] modes in declaration order, then stochastic.
pub(crate) const NE: u8 = 0;
pub(crate) const NA: u8 = 1;
pub(crate) const TZ: u8 = 2;
pub(crate) const TP: u8 = 3;
pub(crate) const TN: u8 = 4;
pub(crate) const ODD: u8 = 5;
pub(crate) const SR: u8 = 6;

/// The const mode number of a rounding mode.
pub(crate) const fn mode_of(r: Rounding) -> u8 {
    match r {
        Rounding::NearestEven => NE,
        Rounding::NearestAway => NA,
        Rounding::TowardZero => TZ,
        Rounding::TowardPositive => TP,
        Rounding::TowardNegative => TN,
        Rounding::Odd => ODD,
    }
}

/// The run-time parameters of an encoding: mode, overflow policy and stochastic seed (the
/// kernels take mode and policy as consts, and the special-case codes as [`Codes`] consts).
#[derive(Clone, Copy, Debug)]
pub(crate) struct EncodeParams {
    /// The mode (for the scalar level; the kernels take it as a const).
    pub rounding: Rounding,
    /// Whether the rounding is stochastic (then `rounding` is `NearestEven`, whose overflow
    /// rule stochastic rounding follows).
    pub stochastic: bool,
    /// The overflow policy.
    pub overflow: Overflow,
    /// The SplitMix64 seed of stochastic rounding.
    pub seed: u64,
}

impl EncodeParams {
    /// A deterministic mode.
    pub(crate) fn new(rounding: Rounding, overflow: Overflow) -> Self {
        EncodeParams {
            rounding,
            stochastic: false,
            overflow,
            seed: 0,
        }
    }

    /// Stochastic rounding (overflow as for nearest-even).
    pub(crate) fn stochastic(seed: u64, overflow: Overflow) -> Self {
        EncodeParams {
            stochastic: true,
            seed,
            ..Self::new(Rounding::NearestEven, overflow)
        }
    }

    /// The const mode number these parameters ask for.
    pub(crate) fn mode(&self) -> u8 {
        if self.stochastic {
            SR
        } else {
            mode_of(self.rounding)
        }
    }
}

/// What the special cases of an encoding become (codes without storage shift): the rules of
/// [`crate::round::finish`] and of its special inputs, as a `const fn` so that the kernels get
/// them as constants. A unit test checks them against the scalar core for every format, mode
/// and policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Codes {
    pub ovf_pos: u32,
    pub ovf_neg: u32,
    pub inf_pos: u32,
    pub inf_neg: u32,
    pub nan_pos: u32,
    pub nan_neg: u32,
}

use crate::round::{infinity_input_code, nan_code, overflow_code};

/// The special-case codes of `s` in a mode and policy.
pub(crate) const fn special_codes(s: &Spec, rounding: Rounding, overflow: Overflow) -> Codes {
    Codes {
        ovf_pos: overflow_code(s, false, rounding, overflow),
        ovf_neg: overflow_code(s, true, rounding, overflow),
        inf_pos: infinity_input_code(s, false, overflow),
        inf_neg: infinity_input_code(s, true, overflow),
        nan_pos: nan_code(s, false),
        nan_neg: nan_code(s, true),
    }
}

/// The special codes of `F` in a const mode and policy, as an associated constant.
struct ConstCodes<F, const MODE: u8, const SAT: bool>(core::marker::PhantomData<F>);
impl<F: Format, const MODE: u8, const SAT: bool> ConstCodes<F, MODE, SAT> {
    const CODES: Codes = special_codes(
        &F::SPEC,
        rounding_of(MODE),
        if SAT {
            Overflow::Saturate
        } else {
            Overflow::Ieee
        },
    );
}

/// `a` if `c`, else `b` (a select, which vectorises to a blend).
#[inline(always)]
fn sel(c: bool, a: u32, b: u32) -> u32 {
    let m = (c as u32).wrapping_neg();
    (a & m) | (b & !m)
}

/// Whether the format is f32 itself (every conversion is the identity).
#[inline(always)]
pub(crate) const fn is_f32(s: &Spec) -> bool {
    s.bits == 32 && s.storage_shift == 0
}

/// SplitMix64's increment γ: element `i`'s state is `seed + (i + 1)·γ`.
pub(crate) const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 state of element `i` (before mixing).
#[inline(always)]
pub(crate) fn splitmix_state(seed: u64, i: u64) -> u64 {
    seed.wrapping_add(i.wrapping_add(1).wrapping_mul(GAMMA))
}

/// SplitMix64's two multipliers (its mixing steps, CONTRACT.md §3).
pub(crate) const SPLITMIX_M1: u64 = 0xBF58_476D_1CE4_E5B9;
pub(crate) const SPLITMIX_M2: u64 = 0x94D0_49BB_1331_11EB;

/// The high half `h` of a SplitMix64 state mixed up to its last xor-shift: the word is
/// `h ^ h >> 31` (the last step `z ^= z >> 31` changes only bit 0 of the high half, by
/// `z >> 63`, the top bit of `h`).
#[inline(always)]
pub(crate) fn splitmix_high(z: u64) -> u32 {
    let z = (z ^ (z >> 30)).wrapping_mul(SPLITMIX_M1);
    let z = (z ^ (z >> 27)).wrapping_mul(SPLITMIX_M2);
    (z >> 32) as u32
}

/// The random word of a SplitMix64 state: the high 32 bits of the mixed state.
#[inline(always)]
pub(crate) fn splitmix_mix(z: u64) -> u32 {
    let h = splitmix_high(z);
    h ^ (h >> 31)
}

/// The threshold that the stochastic lanes compare the dropped fraction with, from the high
/// half `h` of [`splitmix_high`]: `!(h ^ 1)`, one operation, where the exact rule (up iff
/// ⌊f·2^32⌋ + r ≥ 2^32, i.e. ⌊f·2^32⌋ > !r) compares with `!r = !(h ^ h >> 31)`. The two
/// differ only in bit 0, and only where `h`'s top bit is clear; then `!r ≥ 2^31`. Bit 0 of the
/// threshold matters only for an odd ⌊f·2^32⌋, which the lanes give only where the fraction
/// has 32 or more bits (the subnormal range, 32 or more bits dropped), and there
/// ⌊f·2^32⌋ < 2^24 (a 24-bit significand shifted down by 8 or more): below both thresholds
/// when `h`'s top bit is clear, and the thresholds are equal when it is set. The unit test
/// `threshold_rounds_as_the_word` checks this on the lanes.
#[inline(always)]
pub(crate) fn stochastic_threshold(h: u32) -> u32 {
    h ^ 0xFFFF_FFFE
}

/// The random word of element `i` (CONTRACT.md §3): the high 32 bits of SplitMix64 step
/// `i + 1` from state `seed`.
#[inline(always)]
pub(crate) fn splitmix_word(seed: u64, i: u64) -> u32 {
    splitmix_mix(splitmix_state(seed, i))
}

/// The rounding mode of a deterministic const mode number.
#[inline(always)]
const fn rounding_of(mode: u8) -> Rounding {
    match mode {
        NA => Rounding::NearestAway,
        TZ => Rounding::TowardZero,
        TP => Rounding::TowardPositive,
        TN => Rounding::TowardNegative,
        ODD => Rounding::Odd,
        _ => Rounding::NearestEven,
    }
}

/// Encode the f32 bits `b` into `F`'s storage bits, with the stochastic threshold `nr`
/// ([`stochastic_threshold`]: it rounds as the complement of the random word) when `MODE` is
/// [`SR`] (ignored otherwise): every format with subnormals through [`encode_lane_fast`],
/// E8M0 (the one without) through its own lane, f32 itself as the identity.
#[inline(always)]
pub(crate) fn encode_lane_any<F: Format, const MODE: u8, const SAT: bool>(
    b: u32,
    nr: u32,
    shifts: bool,
) -> u32 {
    let s = F::SPEC;
    if is_f32(&s) {
        // The identity; under Saturate ±∞ is ±f32::MAX, as the scalar core gives it.
        let inf = SAT && b & 0x7FFF_FFFF == 0x7F80_0000;
        sel(inf, (b & 0x8000_0000) | 0x7F7F_FFFF, b)
    } else if p1_unsigned(&s) {
        p1_unsigned_lane::<F, MODE, SAT>(b, nr)
    } else if s.subnormals {
        encode_lane_fast::<F, MODE, SAT>(b, nr, shifts)
    } else {
        e8m0_lane::<F, MODE, SAT>(b, nr) << s.storage_shift
    }
}
/// Whether `s` is an unsigned P3109 member of precision 1 whose smallest non-zero value
/// 2^(1 − bias) is below f32's normal range (binary8p1ue and binary8p1uf, bias 128: their
/// values are 0 and 2^(code − 128)), which the magic constants of [`encode_lane_fast`] cannot
/// take: [`p1_unsigned_lane`] encodes them, in integer operations only.
#[inline(always)]
pub(crate) const fn p1_unsigned(s: &Spec) -> bool {
    s.is_p3109()
        && !s.signed
        && s.mantissa_bits == 0
        && s.storage_shift == 0
        && 127 + s.min_exponent() <= 0
}

/// The lane of [`p1_unsigned`]'s members, every mode (stochastic with the threshold `nr`):
/// the input (f32 bits) lies between two consecutive values, 2^k and 2^(k+1) (0 and 2^-127
/// below 2^-127), whose codes are `lo` and `lo` + 1, and the dropped fraction of the spacing
/// between them, exact in 23 bits, decides: for an f32 normal with exponent field e, `lo` = e +
/// 1 and the fraction is the mantissa; for an f32 subnormal (mantissa μ, value μ·2^-149),
/// `lo` = ⌊μ / 2^22⌋ (0 below 2^-127, else 1) and the fraction is μ's low 22 bits, one place up.
/// Ties go to the even code, odd sets the last bit where inexact, stochastic rounding compares
/// ⌊fraction·2^32⌋ with the threshold, as the scalar core does; then the special codes by
/// selects (this lane is not one of the counted fast ones: it replaces the scalar core for
/// these two members). No float operation: FTZ and DAZ change nothing.
#[inline(always)]
fn p1_unsigned_lane<F: Format, const MODE: u8, const SAT: bool>(b: u32, nr: u32) -> u32 {
    let s = F::SPEC;
    let c = ConstCodes::<F, MODE, SAT>::CODES;
    let a = b & 0x7FFF_FFFF;
    let e = a >> 23;
    let mant = a & 0x7F_FFFF;
    let sub = e == 0;
    let lo = sel(sub, mant >> 22, e + 1);
    let frac = sel(sub, mant << 1, mant) & 0x7F_FFFF;
    let half = 0x40_0000;
    let up = match MODE {
        NE => frac > half || (frac == half && lo & 1 == 1),
        NA => frac >= half,
        TP => frac != 0,
        ODD => frac != 0 && lo & 1 == 0,
        SR => frac << 9 > nr,
        // Toward zero, and toward −∞ for a positive input.
        _ => false,
    };
    let code = lo + up as u32;
    let mut out = sel(code > s.max_code(), c.ovf_pos, code);
    out = sel(a == 0x7F80_0000, c.inf_pos, out);
    // A negative input that rounds to a non-zero magnitude (toward −∞: every one but −0) takes
    // the negative overflow code; one that rounds to 0 gives 0.
    let nonzero = code != 0 || (MODE == TN && a != 0);
    out = sel(b >> 31 != 0 && nonzero, c.ovf_neg, out);
    out = sel(b == 0xFF80_0000, c.inf_neg, out);
    sel(a > 0x7F80_0000, c.nan_pos, out)
}

/// ⌊|x| / 2^q⌋ for the f32 bits `a` of |x| < 2^emin, q = emin − M the subnormal spacing,
/// by shifting the significand by the count of dropped bits (per-lane variable shifts): the
/// exact input is sig · 2^(e − 150), of which `d` bits lie below the spacing. For e = 0 `sig`
/// is wrong but unused (`d` ≥ 32 then, and nothing is kept); a NaN's exponent field (255)
/// makes the count wrap to a huge one, so that its result is 0.
#[inline(always)]
fn toward_zero_subnormal_by_shift(s: &Spec, a: u32) -> u32 {
    let tmin = (s.min_exponent() + 127) as u32;
    let sh = 23 - s.mantissa_bits;
    let e = a >> 23;
    let sig = (a & 0x7F_FFFF) | 0x80_0000;
    shr_or_zero(sig, (tmin + sh).wrapping_sub(e))
}

/// The same by one truncating conversion (for the 8-bit P3109 members): |x| scaled by 2^k,
/// k = M − emin, on the bits (the exponent field raised by k, an integer add, exact for an f32
/// normal |x| < 2^emin, whose scaled value lies below 2^M), clamped below 2^31 by a compare
/// that is false for NaN, and converted toward zero (`vcvttps2dq`). No float operation reads
/// an f32 subnormal: such an input (or +0) becomes a normal below 1, which truncates to 0 as
/// its exact quotient does (|x| < 2^-126 ≤ 2^q). Outside the subnormal range the result is
/// unused but for NaN, whose bits, and +∞'s, carry into the sign (k ≥ 1): a negative value of
/// magnitude below 2^(k − 126), which truncates to 0. Larger inputs may give ∞ or a NaN, which
/// the clamp replaces.
#[inline(always)]
fn toward_zero_subnormal_by_convert<F: Format>(a: u32) -> u32 {
    let s = F::SPEC;
    let k = (s.mantissa_bits as i32 - s.min_exponent()) as u32;
    // The conversion's operand must lie in (−2^31, 2^31): the negative ones are below
    // 2^(k − 126) in magnitude. And NaN must carry into the sign.
    const {
        let k = F::SPEC.mantissa_bits as i32 - F::SPEC.min_exponent();
        assert!(k >= 1 && k <= 157)
    };
    let y = f32::from_bits(a.wrapping_add(k << 23));
    let limit = 2_147_483_520.0f32; // the largest f32 below 2^31
    let y = if y < limit { y } else { limit };
    // SAFETY: `y` is no NaN (the compare is false for NaN, which takes the limit) and lies in
    // (−2^31, 2^31): at most the limit, and negative only where the exponent field carried
    // into the sign, with a magnitude below 2^(k − 126) ≤ 2^31 (the assertion above).
    #[allow(unsafe_code)]
    unsafe {
        y.to_int_unchecked::<i32>() as u32
    }
}

/// The same by float operations, for code without per-lane variable shifts: the nearest-even
/// rounding n of the magic constant C (as in [`encode_lane_fast`]), less one where it went up
/// (one exact comparison). Returns (⌊|x| / 2^q⌋, n·2^q as an f32, whether n went up). An f32
/// subnormal input, ±0 under DAZ, gives (0, 0, false) either way. (Wrapping: lanes outside the
/// subnormal range are computed too, and unused.)
#[inline(always)]
fn toward_zero_subnormal_by_floats(s: &Spec, a: u32) -> (u32, f32, bool) {
    let m = s.mantissa_bits;
    let tmin = (s.min_exponent() + 127) as u32;
    let x = f32::from_bits(a);
    let magic = f32::from_bits((tmin + 23 - m) << 23);
    let y = x + magic;
    let ne = y.to_bits().wrapping_sub(magic.to_bits());
    let near = y - magic; // exact: |x| to nearest-even at the spacing
    let over = near > x;
    (sel(over, ne.wrapping_sub(1), ne), near, over)
}

/// Stochastic rounding of |x| (f32 bits `a`, below the format's smallest normal value) at the
/// subnormal spacing 2^q, q = emin − M, with the threshold `nr`, in float operations instead of
/// variable shifts (for code without per-lane ones: x86-64's baseline SSE2), for formats with
/// q ≥ −94 (every format the lanes take):
///
/// - the kept spacings k = ⌊|x| / 2^q⌋: the nearest-even rounding n of the magic constant (as
///   in [`encode_lane_fast`]), less one where it went up (one exact comparison);
/// - the dropped fraction scaled, R = (|x| − k·2^q) · 2^(32 − q), every step exact: |x| − n·2^q
///   (at most half a spacing: Sterbenz, or |x| itself where n = 0), plus 2^q where n went up
///   (the sum lies in [2^(q−1), 2^q) on the grid of |x| ≥ 2^(q−1)), and a scaling by a power
///   of two that neither overflows nor leaves the normal range; so ⌊R⌋ = ⌊f·2^32⌋;
/// - up iff ⌊R⌋ > `nr`, i.e. R ≥ `nr` + 1, i.e. R − h·2^16 ≥ l + 1 with `nr` = h·2^16 + l:
///   h and l are exact in f32 (below 2^16), and the difference is exact wherever it lies
///   between 0 and 2^17 (where R ≥ 2^17 its ulp is at least 2^-6, so that 23 bits hold it; where
///   R < 2^17, h·2^16 is 0 or within a factor of two of R), which is the only place the
///   comparison with l + 1 ≤ 2^16 could go either way.
///
/// FTZ and DAZ change nothing: an f32 subnormal input (or a subnormal difference) is below
/// 2^-126, so that R < 2^(−126 + 32 + 94) = 1 and the input rounds down whether it is read as
/// zero or not.
#[inline(always)]
fn stochastic_subnormal_by_floats(s: &Spec, a: u32, nr: u32) -> u32 {
    let m = s.mantissa_bits;
    let tmin = (s.min_exponent() + 127) as u32;
    let x = f32::from_bits(a);
    let (kept, near, over) = toward_zero_subnormal_by_floats(s, a);
    // The spacing 2^q, and 2^(32 − q) (exponent fields tmin − M and 127 + 32 − q).
    let spacing = f32::from_bits((tmin - m) << 23);
    let scale = f32::from_bits((286 - tmin + m) << 23);
    // |x| − k·2^q: the exact |x| − near (at most half a spacing), plus a spacing where near
    // went up (exact: the sum lies in [2^(q−1), 2^q), on the grid of both).
    let r = ((x - near) + f32::from_bits(sel(over, spacing.to_bits(), 0))) * scale;
    let high = (nr >> 16) as i32 as f32;
    let low = (nr & 0xFFFF) as i32 as f32;
    // Wrapping: lanes outside the subnormal range (unused) may wrap here.
    kept.wrapping_add((r - high * 65536.0 >= low + 1.0) as u32)
}

/// |x| (f32 bits `a`) rounded stochastically with the threshold `nr` ([`stochastic_threshold`])
/// to a magnitude code of `s`, with codes above every finite one for ∞ and NaN: the kept bits
/// and ⌊fraction · 2^32⌋ (in the normal range from the rebiased bits; below 2^emin by variable
/// shifts of the significand, or without them by [`stochastic_subnormal_by_floats`]), then
/// one carry where the fraction exceeds the threshold.
#[inline(always)]
fn stochastic_magnitude(s: &Spec, a: u32, nr: u32, shifts: bool) -> u32 {
    let m = s.mantissa_bits;
    let sh = 23 - m;
    let tmin = (s.min_exponent() + 127) as u32;
    let biased = a.wrapping_sub(((127 - s.bias) as u32) << 23);
    let kept = biased >> sh;
    let frac = a << (32 - sh);
    // Up iff ⌊f·2^32⌋ + r ≥ 2^32, i.e. ⌊f·2^32⌋ > !r, as which the threshold rounds.
    let rounded = |kept: u32, frac: u32| kept + (frac > nr) as u32;
    if s.bias == 127 {
        rounded(kept, frac)
    } else if !shifts && tmin >= 33 + m {
        // Without per-lane variable shifts: see [`stochastic_subnormal_by_floats`].
        let sub = a < tmin << 23;
        sel(
            sub,
            stochastic_subnormal_by_floats(s, a, nr),
            rounded(kept, frac),
        )
    } else {
        // The exact input is sig · 2^(e − 150), of which `d` bits lie below the subnormal
        // spacing. (For e = 0, `sig` is wrong but unused: an f32 subnormal lies more than
        // 2^-32 of a spacing below the format's subnormals, so that `d − 32` ≥ 24 and both
        // shifts give 0: nothing kept, no fraction.)
        let e = a >> 23;
        let sig = (a & 0x7F_FFFF) | 0x80_0000;
        let d = (tmin + sh).wrapping_sub(e);
        // sig < 2^24: a shift by 31 clears it, as any larger one would.
        let kept_sub = sig >> d.min(31);
        // Shifted up when d ≤ 32, down when d > 32 (d − 32 wraps to a huge count when d < 32,
        // and the minimum makes that 31, which clears `sig`).
        let frac_sub = shl_or_zero(sig, 32u32.wrapping_sub(d)) | sig >> d.wrapping_sub(32).min(31);
        let sub = a < tmin << 23;
        rounded(sel(sub, kept_sub, kept), sel(sub, frac_sub, frac))
    }
}

/// The magnitude of the input with f32 bits `b` (below 2^emin in magnitude) rounded toward
/// +∞ (`MODE` [`TP`]) or −∞ ([`TN`]) at the format's subnormal spacing: the magic constant
/// C' = 1.5·C on the *signed* input (x + C' lies in C's binade for |x| < 2^emin of either
/// sign), corrected by one exact comparison, then the magnitude taken. For a NaN input the
/// result is at least 2^22 (the sum is a NaN, whose bits lie that far from C''s of either
/// sign).
#[inline(always)]
fn toward_infinity_subnormal<const MODE: u8>(s: &Spec, b: u32) -> u32 {
    let m = s.mantissa_bits;
    let tmin = (s.min_exponent() + 127) as u32;
    let x = f32::from_bits(b);
    let magic = f32::from_bits((tmin + 23 - m) << 23 | 0x40_0000);
    let y = x + magic;
    let r = y - magic; // exact
    let ne = y.to_bits().wrapping_sub(magic.to_bits()) as i32;
    // An f32 subnormal input (|x| below half the format's smallest subnormal, so `ne` = 0)
    // rounds away from zero on the side of its sign: said from its bits, since DAZ would read
    // it as ±0 in the float comparison.
    let directed = if MODE == TP {
        sel(
            r < x || f32_subnormal(b),
            ne.wrapping_add(1) as u32,
            ne as u32,
        )
    } else {
        let neg_subnormal = f32_subnormal(b ^ 0x8000_0000);
        sel(r > x || neg_subnormal, ne.wrapping_sub(1) as u32, ne as u32)
    };
    (directed as i32).unsigned_abs()
}

/// |x| (f32 bits `a`, below 2^emin) rounded at the format's subnormal spacing to nearest-even,
/// nearest-away (`MODE` [`NA`]) or toward zero ([`TZ`], [`TN`]), such that ∞ and NaN give at
/// least 2^23: the sum `y = |x| + C` of the magic constant of [`encode_lane_fast`], masked
/// with the f32 mantissa and one bit `e` of the exponent field that C's has clear. For a
/// subnormal-range input `y` lies in C's binade, so that the mask leaves the rounded
/// magnitude; for ∞ and NaN `y` is ∞ or a NaN, whatever the sign and payload, whose exponent
/// field has every bit set, so that the masked value is at least `e`. Nearest-away adds one
/// for the ties nearest-even took down, toward zero takes one less where it went up (one exact
/// compare each, false for NaN). The lanes of the 8-bit P3109 members send NaN here.
#[inline(always)]
fn nan_carrying_subnormal<const MODE: u8>(s: &Spec, a: u32) -> u32 {
    let m = s.mantissa_bits;
    let tmin = (s.min_exponent() + 127) as u32;
    let x = f32::from_bits(a);
    let magic_bits = (tmin + 23 - m) << 23;
    let magic = f32::from_bits(magic_bits);
    // The highest exponent bit that C's exponent field has clear (C is no NaN, so one is).
    let e_bit = 1u32 << (31 - (!magic_bits & 0x7F80_0000).leading_zeros());
    let y = x + magic;
    let sub = y.to_bits() & (0x7F_FFFF | e_bit);
    match MODE {
        // A tie that nearest-even took down: |x| is half a spacing above.
        NA => sub + (x - (y - magic) == f32::from_bits((tmin - m - 1) << 23)) as u32,
        // Wrapping: lanes outside the subnormal range (unused) may wrap here.
        TZ | TN => sub.wrapping_sub((y - magic > x) as u32),
        _ => sub,
    }
}

/// |x| (f32 bits `a`, below 2^emin) rounded to odd at the format's subnormal spacing:
/// toward zero by [`toward_zero_subnormal_by_floats`], then the last bit set where inexact.
/// An f32 subnormal input (below half the format's smallest subnormal, so that nearest-even
/// gives 0) is inexact: said from its bits, since DAZ would read it as 0 in the float
/// comparison. For ∞ and NaN the result is at least 2^22 (the sum is ∞ or a quiet NaN, whose
/// bits lie that far above C's).
#[inline(always)]
fn odd_subnormal(s: &Spec, a: u32) -> u32 {
    let (tz, near, _) = toward_zero_subnormal_by_floats(s, a);
    sel(near != f32::from_bits(a) || f32_subnormal(a), tz | 1, tz)
}

/// Whether the f32 bits `b` are a *positive* subnormal (1 ..= 0x7F_FFFF): one compare, on the
/// bits, so that it holds whatever the floating-point environment (DAZ reads such an operand as
/// zero in every float operation and comparison).
#[inline(always)]
fn f32_subnormal(b: u32) -> bool {
    b.wrapping_sub(1) < 0x7F_FFFF
}

/// `x >> n`, and 0 where `n ≥ 32` (x86's `vpsrlvd`, which LLVM emits for this select).
#[inline(always)]
fn shr_or_zero(x: u32, n: u32) -> u32 {
    if n < 32 {
        x >> n
    } else {
        0
    }
}

/// `x << n`, and 0 where `n ≥ 32` (x86's `vpsllvd`).
#[inline(always)]
fn shl_or_zero(x: u32, n: u32) -> u32 {
    if n < 32 {
        x << n
    } else {
        0
    }
}

/// The largest magnitude (f32 bits) that rounds to a zero code in the fast lane when the input
/// is *negative*, for the deterministic modes of a format whose smallest subnormal and half of
/// it are normal f32 (`None` for stochastic rounding, and for the formats with f32's exponent
/// range). Nearest-even takes the exact half of the smallest subnormal down (to the even
/// zero) and nearest-away up; toward zero, and toward +∞ (toward zero for a negative input),
/// keep 0 below the smallest subnormal; toward −∞ and odd give zero only for a zero input (an
/// f32 subnormal input too rounds away, CONTRACT.md §14).
#[inline(always)]
const fn zero_bound<const MODE: u8>(s: &Spec) -> Option<u32> {
    let tmin = s.min_exponent() + 127;
    let spacing = tmin - s.mantissa_bits as i32;
    if s.bias == 127 || spacing < 2 {
        return None;
    }
    let smallest = (spacing as u32) << 23;
    let half = ((spacing - 1) as u32) << 23;
    match MODE {
        NE => Some(half),
        NA => Some(half - 1),
        TZ | TP => Some(smallest - 1),
        TN | ODD => Some(0),
        _ => None,
    }
}

/// The fast lane for every format with subnormals, in every mode: few and fixed shifts.
///
/// Results in the format's normal range round in integer arithmetic on the f32 bits (the
/// exponent rebiased, the carry flowing into it by addition; stochastic rounding compares the
/// dropped fraction, its top 32 bits, with the threshold from the random word, which is exactly
/// the CONTRACT.md rule). Results in its subnormal range:
/// - nearest-even, nearest-away: one f32 addition of the magic constant C = 2^(emin − M + 23),
///   whose ulp is the format's subnormal spacing, rounds |x| to nearest-even at that spacing;
///   the exact difference (two f32 operations, both exact) finds the ties nearest-away takes up;
/// - toward ±∞: the same with C' = 1.5·C on the *signed* input (the sum stays in C's binade for
///   either sign), corrected by one exact comparison, then the magnitude taken;
/// - odd: the nearest-even rounding, less one where it went up (one exact comparison), with
///   the last bit set where inexact;
/// - toward zero and stochastic: the significand shifted by the (variable) count of dropped
///   bits, with the dropped fraction from one more shift. Where the code has no per-lane
///   variable shift (`shifts` false: [`super::blocks::Words::VARIABLE_SHIFTS`], x86-64's
///   baseline SSE2, which emulates one in some ten operations), toward zero takes odd's
///   float path instead, and stochastic rounding [`stochastic_subnormal_by_floats`].
///
/// The floating-point environment (CONTRACT.md §14) changes nothing: the float operations
/// above take normal operands and give normal results (or exact zeros), except an f32
/// subnormal input, which DAZ reads as ±0. That input lies below half the format's smallest
/// subnormal, so nearest-even, nearest-away and toward zero give 0 either way, and toward ±∞
/// and odd, which round it away from zero, recognise it from its bits (one compare).
///
/// The P3109 members and FNUZ have no −0 (its code is NaN's): a negative input keeps its sign
/// only where it rounds to a non-zero magnitude, which in the deterministic modes is one compare
/// of the input with a constant ([`zero_bound`]). For the signed P3109 members (NaN = the sign
/// bit alone) in the modes whose bound is a normal f32, a NaN input is made +0 and takes the
/// sign bit from that same compare, made unordered; for the unsigned ones, one compare tells NaN
/// and the negative inputs that give NaN, or a signed maximum makes every negative input +0
/// where they all give 0. That leaves them one operation above E4M3FN (BENCHMARKS.md, P3109),
/// but for the 8-bit members: the signed ones in every deterministic mode but odd take
/// [`p3109_byte_lane`] (NaN through the subnormal path and a saturating narrowing: E4M3FN's
/// count), the unsigned ones in every deterministic mode [`p3109_unsigned_lane`], and in
/// stochastic rounding (`SatNone`) [`p3109_unsigned_stochastic_lane`].
///
/// The special-case codes are constants here (mode and overflow policy are const parameters);
/// where the overflow codes are a bound on the magnitude with the sign (always, for the
/// formats here), overflow is one unsigned minimum, and ∞ and NaN inputs, which land above
/// every bound, need no select of their own unless their codes differ from the bound's.
#[inline(always)]
pub(crate) fn encode_lane_fast<F: Format, const MODE: u8, const SAT: bool>(
    b: u32,
    nr: u32,
    shifts: bool,
) -> u32 {
    let s = F::SPEC;
    let c = ConstCodes::<F, MODE, SAT>::CODES;
    let m = s.mantissa_bits;
    let sh = 23 - m;
    if s.subnormals && s.bias == 127 && s.exponent_bits == 8 && MODE == NE && !SAT {
        // bf16 and TF32, nearest-even, IEEE overflow: round the signed bits as they are (the
        // carry runs into the exponent, and from max into ∞, never into the sign), and quiet
        // NaNs, keeping their payload's top bits.
        // Wrapping: NaN lanes near u32::MAX wrap here and are replaced by `quiet` below.
        let rounded = b
            .wrapping_add((1 << (sh - 1)) - 1)
            .wrapping_add((b >> sh) & 1)
            >> sh;
        let quiet = (b >> sh) | (1 << (m - 1));
        return sel((b & 0x7FFF_FFFF) > 0x7F80_0000, quiet, rounded) << s.storage_shift;
    }
    if p3109_byte_lane_applies::<F, MODE, SAT>() {
        return p3109_byte_lane::<F, MODE, SAT>(b, shifts);
    }
    if p3109_unsigned_lane_applies::<F, MODE, SAT>() {
        return p3109_unsigned_lane::<F, MODE, SAT>(b, shifts);
    }
    if p3109_unsigned_stochastic_applies::<F, MODE, SAT>() {
        return p3109_unsigned_stochastic_lane::<F, MODE, SAT>(b, nr, shifts);
    }
    let tmin = (s.min_exponent() + 127) as u32;
    // Signed P3109 in the modes whose zero-rounding bound is a normal-range compare: NaN's code
    // is the −0 code (the sign bit alone), so a NaN input is encoded as +0 (magnitude 0) and
    // gets the sign bit from the same compare that gives it to the negative inputs that keep
    // their sign (`signed` below); no NaN select is left. This keeps the P3109 lanes one
    // operation (that compare) above E4M3FN's.
    let nan_as_sign = s.is_p3109()
        && s.signed
        && !s.nan_payload
        && c.nan_pos == s.sign_mask()
        && c.nan_neg == s.sign_mask()
        && matches!(MODE, NE | NA | TZ | TP)
        && zero_bound::<MODE>(&s).is_some();
    // Unsigned P3109 where every negative input (−∞ included) gives 0 (SatFinite, and SatNone
    // toward zero or +∞): a negative input is encoded as +0, by one signed maximum, and NaN is
    // told from the input by a float compare.
    let unsigned_zeroes_negatives =
        s.is_p3109() && !s.signed && c.ovf_neg == 0 && c.inf_neg == 0 && c.nan_pos != 0;
    // Unsigned P3109 where a negative input that does not round to zero gives NaN, as NaN
    // does (SatNone to nearest): one float compare tells both, as for `nan_as_sign`.
    let unsigned_nan_or_negative = s.is_p3109()
        && !s.signed
        && !s.nan_payload
        && c.ovf_neg == c.nan_pos
        && c.nan_neg == c.nan_pos
        && matches!(MODE, NE | NA)
        && zero_bound::<MODE>(&s).is_some();
    let b_in = b;
    let b = if nan_as_sign {
        // A float compare: NaN whatever FTZ and DAZ say.
        sel(f32::from_bits(b_in).is_nan(), 0, b_in)
    } else if unsigned_zeroes_negatives {
        (b_in as i32).max(0) as u32
    } else {
        b_in
    };
    let sign = b >> 31;
    let neg = sign != 0;
    let max = s.max_code();
    let sign_bit = s.sign_mask();
    let unsigned_p3109 = s.is_p3109() && !s.signed;
    // Overflow: the codes are a bound on the magnitude (max, or max + 1 for ∞ or NaN) with the
    // sign, so that a minimum does it.
    let pos_bound = c.ovf_pos;
    let neg_bound = if c.ovf_neg == max | sign_bit {
        max
    } else {
        max + 1
    };
    let clamps =
        s.signed && (pos_bound == max || pos_bound == max + 1) && c.ovf_neg == neg_bound | sign_bit;
    // Toward ±∞: the lanes that round their magnitude up (positive for TowardPositive,
    // negative for TowardNegative) overflow to max + 1 and the others to max (IEEE policy).
    // Then one sign-independent clamp of the rebiased bits *before* the increment does both:
    // below (max + 1)·2^sh the truncating lanes stay ≤ max, and the rounding-up lanes reach
    // max + 1 exactly when they pass max. ∞ and NaN inputs join the rounding-up lanes, whose
    // overflow code (∞, or NaN) is theirs.
    let directed_clamp = clamps
        && match MODE {
            TP => pos_bound == max + 1 && neg_bound == max,
            TN => neg_bound == max + 1 && pos_bound == max,
            _ => false,
        };
    let up_lane = match MODE {
        // Positive, or ∞/NaN of either sign (as an i32: ≥ −∞'s bits).
        TP => (b as i32) >= (0xFF80_0000u32 as i32),
        // Negative, or +∞/NaN (as a u32: ≥ +∞'s bits).
        _ => b >= 0x7F80_0000,
    };
    let a = b & 0x7FFF_FFFF;
    // Whether the input is NaN: on the bits, or (where negative inputs were made +0) a float
    // compare of the input, NaN whatever FTZ and DAZ say.
    let nan_input = || {
        if unsigned_zeroes_negatives {
            f32::from_bits(b_in).is_nan()
        } else {
            a > 0x7F80_0000
        }
    };
    let half = 1u32 << (sh - 1);
    let low = (1u32 << sh) - 1;
    // The normal range: the f32 bits with the exponent rebiased, rounded at bit `sh`.
    let biased = a.wrapping_sub(((127 - s.bias) as u32) << 23);
    let clamped = if directed_clamp {
        let limit = ((max + 1) << sh) - 1;
        if biased < limit {
            biased
        } else {
            limit
        }
    } else {
        biased
    };
    let normal = match MODE {
        // Wrapping: in the subnormal range `biased` has wrapped; those lanes take `sub`.
        // The tie goes to the even code: the kept bit of `a` (for P3109 precision 1, which
        // keeps no fraction, the rebiased exponent's: `biased`, equal to `a` in bit `sh` for
        // every format that keeps fraction bits).
        NE if s.is_p3109() => {
            biased
                .wrapping_add(half - 1)
                .wrapping_add((biased >> sh) & 1)
                >> sh
        }
        NE => biased.wrapping_add(half - 1).wrapping_add((a >> sh) & 1) >> sh,
        NA => biased.wrapping_add(half) >> sh,
        TZ => biased >> sh,
        TP | TN => clamped.wrapping_add(sel(up_lane, low, 0)) >> sh,
        // Odd: the kept bits, or 1 where any dropped bit is set: (a & low) + low carries
        // into bit `sh` exactly then.
        _ => (biased | ((a & low) + low)) >> sh,
    };
    let code = if MODE == SR {
        stochastic_magnitude(&s, a, nr, shifts)
    } else if s.bias == 127 {
        // f32's own exponent range: the f32 subnormals are the format's, same spacing.
        normal
    } else {
        let sub = match MODE {
            NE | NA => {
                let x = f32::from_bits(a);
                let magic = f32::from_bits((tmin + 23 - m) << 23);
                let y = x + magic; // rounds |x| to nearest-even at the subnormal spacing
                let ne = y.to_bits().wrapping_sub(magic.to_bits());
                // Wrapping: computed on every lane, used only in the subnormal range.
                let r = y - magic; // exact (Sterbenz): the rounded value
                match MODE {
                    NE => ne,
                    // A tie that nearest-even took down: |x| is half a spacing above.
                    _ => ne.wrapping_add((x - r == f32::from_bits((tmin - m - 1) << 23)) as u32),
                }
            }
            ODD => odd_subnormal(&s, a),
            TP | TN => toward_infinity_subnormal::<MODE>(&s, b),
            // Toward zero (without per-lane variable shifts, as SSE2, which emulates them in
            // some ten operations: by floats).
            _ if shifts => toward_zero_subnormal_by_shift(&s, a),
            _ => toward_zero_subnormal_by_floats(&s, a).0,
        };
        sel(a < tmin << 23, sub, normal)
    };
    // No −0 (its code is NaN): FNUZ, and P3109.
    let fnuz = matches!(s.nan, NanEncoding::NegativeZero | NanEncoding::P3109);
    // Whether a negative input keeps its sign, i.e. rounds to a non-zero magnitude. In the
    // deterministic modes that is one unsigned compare of the input bits with the largest
    // negative input that rounds to zero (the magnitude is monotonic in |x|), instead of a
    // test of the sign and one of the rounded magnitude; stochastic rounding tests the code.
    let nonzero_negative = |code: u32| match zero_bound::<MODE>(&s) {
        Some(t) => b > 0x8000_0000 | t,
        None => neg && code != 0,
    };
    // With `nan_as_sign` and for the unsigned members: see [`nan_or_nonzero_negative`].
    let nan_or_nonzero_negative = || nan_or_nonzero_negative::<MODE>(&s, b_in);
    let signed = |mag: u32| {
        if nan_as_sign {
            mag | sel(nan_or_nonzero_negative(), sign_bit, 0)
        } else if fnuz {
            mag | sel(nonzero_negative(mag), sign_bit, 0)
        } else {
            mag | (sign * sign_bit)
        }
    };
    // The magnitude (≤ max + 1) where the overflow codes are a bound with the sign, and the
    // codes that ∞ and NaN inputs, which land above every bound, get without a select.
    let (mag, dflt_pos, dflt_neg) = if directed_clamp {
        // Clamped above: ≤ max + 1, which ∞ and NaN inputs take.
        (Some(code), max + 1, (max + 1) | sign_bit)
    } else if clamps && pos_bound == neg_bound {
        let mag = if code < pos_bound { code } else { pos_bound };
        (Some(mag), pos_bound, pos_bound | sign_bit)
    } else if unsigned_p3109 && (pos_bound == max || pos_bound == max + 1) {
        // P3109 unsigned: positive lanes clamp at the bound; negative ones are resolved on
        // the magnitude below (their code, 0 or NaN, is no bound).
        let mag = if code < pos_bound { code } else { pos_bound };
        (Some(mag), pos_bound, c.ovf_neg)
    } else {
        (None, c.ovf_pos, c.ovf_neg)
    };
    let inf_is_dflt = c.inf_pos == dflt_pos && c.inf_neg == dflt_neg;
    let nan_is_dflt = c.nan_pos == dflt_pos && c.nan_neg == dflt_neg && !s.nan_payload;
    let nan_is_inf = c.nan_pos == c.inf_pos
        && c.nan_neg == c.inf_neg
        && !s.nan_payload
        && !unsigned_zeroes_negatives;
    let payload = if s.nan_payload {
        (a >> sh) & ((1 << m) - 1)
    } else {
        0
    };
    // Where the ∞ (NaN) codes are a magnitude with the sign, the select is made on the
    // magnitude, before the sign is put on (one select instead of two). A signed code that is
    // its own negation (the NaN 0x80 of FNUZ and P3109) is one select either way, and is made
    // on the signed code, after the sign: then the sign is a masked `or` and the NaN a masked
    // store (AVX-512), where a NaN select on the magnitude turns the sign into a blend and an
    // `or`.
    let with_sign = |pos: u32, neg: u32| {
        neg == pos | sign_bit && (pos != 0 || !fnuz) && !(fnuz && s.signed && neg == pos)
    };
    let (inf_at_mag, nan_at_mag) = match mag {
        Some(_) => (
            with_sign(c.inf_pos, c.inf_neg),
            with_sign(c.nan_pos, c.nan_neg) && !nan_as_sign && !unsigned_nan_or_negative,
        ),
        None => (false, false),
    };
    let mut out = match mag {
        Some(mut mag) => {
            if unsigned_p3109 {
                // A negative input below the range (it rounds to a non-zero magnitude) gets
                // the negative overflow code; one that rounds to zero is 0. ∞ and NaN inputs
                // are resolved after.
                if unsigned_nan_or_negative {
                    mag = sel(nan_or_nonzero_negative(), c.ovf_neg, mag);
                } else if !unsigned_zeroes_negatives {
                    mag = sel(nonzero_negative(code), c.ovf_neg, mag);
                }
            }
            let inf = !inf_is_dflt && inf_at_mag;
            let nan = !nan_is_dflt && nan_at_mag;
            if inf && nan && nan_is_inf {
                mag = sel(a >= 0x7F80_0000, c.inf_pos, mag);
            } else {
                if inf {
                    mag = sel(a == 0x7F80_0000, c.inf_pos, mag);
                }
                if nan {
                    mag = sel(nan_input(), c.nan_pos | payload, mag);
                }
            }
            signed(mag)
        }
        None => sel(code > max, sel(neg, c.ovf_neg, c.ovf_pos), signed(code)),
    };
    if unsigned_p3109 && mag.is_none() {
        // P3109 unsigned: a negative input below the range (it rounds to a non-zero
        // magnitude) gets the negative overflow code; one that rounds to zero is 0.
        if unsigned_nan_or_negative {
            out = sel(nan_or_nonzero_negative(), c.ovf_neg, out);
        } else if !unsigned_zeroes_negatives {
            out = sel(nonzero_negative(code), c.ovf_neg, out);
        }
    }
    // The rest on the signed codes; where ∞ and NaN inputs give the same codes, one select
    // serves both.
    let inf = !inf_is_dflt && !inf_at_mag;
    let nan = !nan_is_dflt && !nan_at_mag && !nan_as_sign && !unsigned_nan_or_negative;
    // The code of either sign (a constant where both are the same code).
    let by_sign = |pos: u32, neg_code: u32| {
        if pos == neg_code {
            pos
        } else {
            sel(neg, neg_code, pos)
        }
    };
    if inf && nan && nan_is_inf {
        out = sel(a >= 0x7F80_0000, by_sign(c.inf_pos, c.inf_neg), out);
    } else {
        if inf {
            out = sel(a == 0x7F80_0000, by_sign(c.inf_pos, c.inf_neg), out);
        }
        if nan {
            out = sel(nan_input(), by_sign(c.nan_pos, c.nan_neg) | payload, out);
        }
    }
    out << s.storage_shift
}

/// Whether [`p3109_byte_lane`] encodes `F` in `MODE` and `SAT`: a signed 8-bit P3109 member
/// (NaN the sign bit alone, `0x80`; no −0) in a deterministic mode but odd, whose overflow
/// and ∞ codes are one bound B ≤ `0x7F` with the sign (B | `0x80` for the negative ones), as
/// in `SatFinite`, and in `SatNone` for the nearest modes on the extended members and for the
/// directed ones on the finite members; or, in `SatNone` on an extended member, toward zero
/// (∞ codes one above the bound: [`byte_lane_infinity`]) and toward ±∞ (∞ for the overflow on
/// the side that rounds up: [`byte_lane_directed`]).
#[inline(always)]
const fn p3109_byte_lane_applies<F: Format, const MODE: u8, const SAT: bool>() -> bool {
    let s = F::SPEC;
    let c = ConstCodes::<F, MODE, SAT>::CODES;
    let bound = c.ovf_pos;
    let max = s.max_code();
    let member = s.is_p3109()
        && s.signed
        && s.bits == 8
        && s.storage_shift == 0
        && !s.nan_payload
        && c.nan_pos == 0x80
        && c.nan_neg == 0x80
        && zero_bound::<MODE>(&s).is_some();
    match MODE {
        NE | NA | TZ => {
            member
                && (bound == max || bound == max + 1)
                && bound <= 0x7F
                && c.ovf_neg == bound | 0x80
                && ((c.inf_pos == bound && c.inf_neg == bound | 0x80)
                    || byte_lane_infinity::<F, MODE, SAT>())
        }
        TP | TN => {
            member
                && max <= 0x7F
                && ((c.ovf_pos == max
                    && c.ovf_neg == max | 0x80
                    && c.inf_pos == max
                    && c.inf_neg == max | 0x80)
                    || (max < 0x7F && byte_lane_directed::<F, MODE, SAT>()))
        }
        _ => false,
    }
}

/// Whether [`p3109_byte_lane`] takes `MODE` toward ±∞ with the overflow codes of `SatNone` on
/// an extended member: the side that rounds its magnitude up (positive toward +∞, negative
/// toward −∞) overflows to ∞ (max + 1 with the sign), the other to ±max, and both ∞ inputs
/// keep their ∞ codes.
#[inline(always)]
const fn byte_lane_directed<F: Format, const MODE: u8, const SAT: bool>() -> bool {
    let s = F::SPEC;
    let c = ConstCodes::<F, MODE, SAT>::CODES;
    let max = s.max_code();
    let inf = max + 1;
    c.inf_pos == inf
        && c.inf_neg == inf | 0x80
        && match MODE {
            TP => c.ovf_pos == inf && c.ovf_neg == max | 0x80,
            TN => c.ovf_pos == max && c.ovf_neg == inf | 0x80,
            _ => false,
        }
}

/// Whether [`p3109_byte_lane`] gives ±∞ inputs their own codes, one above the overflow bound
/// (`0x7F`, `0xFF`): toward zero, whose overflow is ±max, in `SatNone` on an extended member.
#[inline(always)]
const fn byte_lane_infinity<F: Format, const MODE: u8, const SAT: bool>() -> bool {
    let s = F::SPEC;
    let c = ConstCodes::<F, MODE, SAT>::CODES;
    MODE == TZ
        && c.ovf_pos == s.max_code()
        && c.inf_pos == s.max_code() + 1
        && c.inf_pos <= 0x7F
        && c.inf_neg == c.inf_pos | 0x80
}

/// The lane of [`p3109_byte_lane_applies`]'s members: as many operations as E4M3FN's
/// nearest-even lane (BENCHMARKS.md, P3109), where the general fast lane needs one more
/// for NaN, whose code `0x80` is no bound.
///
/// - The magnitude: in the normal range the f32 bits rebiased and rounded at bit `sh`, then
///   clamped at B (overflow and ∞; toward ±∞, clamped before the rounding up as in
///   [`encode_lane_fast`]; toward zero with ∞'s own codes, the input clamped so that ∞ passes
///   unclamped, and ∞'s code by one minimum, without a compare); in the subnormal range, and
///   for NaN, [`nan_carrying_subnormal`] (NaN: at least 2^23; one unordered compare sends it
///   there), or toward zero with per-lane variable shifts (AVX2, AVX-512)
///   [`toward_zero_subnormal_by_convert`], one truncating conversion, which is 0 for NaN.
///   Toward ±∞ with variable shifts is all integer: the shifted significand, after adding
///   2^d − 1 (d the count of dropped bits) where the magnitude rounds up, the subnormal
///   select and the sign by compares on the bits, and NaN's code by one select at the end;
///   without them the subnormal path is [`toward_infinity_subnormal`].
/// - The sign: a negative input that rounds to a non-zero magnitude, and NaN, flip every bit
///   above bit 6 (`^ 0xFFFF_FF80`), one unordered compare with the zero bound of
///   [`zero_bound`] (toward ±∞: a compare on the bits, and NaN by its select): a magnitude
///   m ≤ `0x7F` becomes −128 + m, the i32 whose low byte is the code `0x80 | m`, NaN's
///   ≥ 2^23 becomes an i32 below −128, and NaN's 0 becomes −128.
/// - The code: the i32 clamped to −128 ..= 127 (AVX-512's saturating `vpmovsdb`, which does
///   the narrowing store with it): NaN's becomes −128, whose low byte is `0x80`.
///
/// FTZ and DAZ change nothing: the float operations are those of [`encode_lane_fast`]'s
/// subnormal paths, the compare with 2^emin reads a DAZ-zeroed f32 subnormal as below it, as
/// it is, and toward ±∞ tests only bits.
#[inline(always)]
fn p3109_byte_lane<F: Format, const MODE: u8, const SAT: bool>(b: u32, shifts: bool) -> u32 {
    let s = F::SPEC;
    let c = ConstCodes::<F, MODE, SAT>::CODES;
    let m = s.mantissa_bits;
    let sh = 23 - m;
    let tmin = (s.min_exponent() + 127) as u32;
    let a = b & 0x7FFF_FFFF;
    let x = f32::from_bits(a);
    let clamp_after = MODE == TZ && shifts;
    // Toward zero with shifts where ±∞ have their own codes, one above the bound: the input is
    // clamped at the bits of the largest finite value before it is rebiased, after adding 2^23,
    // which takes ∞ (and NaN) to i32s at or below i32::MIN that a signed minimum keeps. So ∞
    // passes unclamped, and gives ∞'s code in the normal range ((255 − 127 + bias) << M, above
    // every finite code), which one minimum with that code after the select makes the code
    // itself: no compare for ∞ (BENCHMARKS.md, P3109).
    let clamp_input = clamp_after && byte_lane_infinity::<F, MODE, SAT>();
    // The normal range, rounded and clamped at the bound.
    let rebias = ((127 - s.bias) as u32) << 23;
    let biased = if clamp_input {
        let max_bits = (c.ovf_pos << sh) + rebias;
        // Wrapping: +∞ and the positive NaNs' bits carry into the sign.
        let t = (a.wrapping_add(0x80_0000) as i32).min((max_bits + 0x80_0000) as i32);
        (t as u32).wrapping_sub(rebias + 0x80_0000)
    } else {
        a.wrapping_sub(rebias)
    };
    let half = 1u32 << (sh - 1);
    // Wrapping: in the subnormal range (and for NaN) `biased` is unused.
    let rounded = match MODE {
        // The tie goes to the even code: the rebiased exponent's bit for precision 1, equal
        // to `a`'s in bit `sh` for every member that keeps fraction bits.
        NE => biased
            .wrapping_add(half - 1)
            .wrapping_add((biased >> sh) & 1),
        NA => biased.wrapping_add(half),
        _ => biased,
    };
    // An arithmetic shift and a signed minimum, the same operations as their unsigned forms
    // and the same values in the normal range (where `rounded` < 2^31): with them LLVM does not
    // know the magnitude non-negative, and keeps the clamp below whole, for `vpmovsdb`.
    let normal = if MODE == TP || MODE == TN {
        // Toward +∞ (−∞): the lanes that round their magnitude up (positive, and −∞ and
        // the negative NaNs, as i32s at least −∞'s bits; toward −∞ the negative ones, +∞ and
        // the positive NaNs, as u32s at least +∞'s) add the dropped bits' mask before the
        // shift.
        let max = s.max_code();
        let up = if MODE == TP {
            (b as i32) >= (0xFF80_0000u32 as i32)
        } else {
            b >= 0x7F80_0000
        };
        let low = (1u32 << sh) - 1;
        if byte_lane_directed::<F, MODE, SAT>() {
            // Clamped below (max + 1)·2^sh first, as in [`encode_lane_fast`]: the truncating
            // lanes stay at most max, the rounding-up ones reach max + 1 (∞) exactly when
            // they pass max.
            (biased.min(((max + 1) << sh) - 1) + sel(up, low, 0)) >> sh
        } else {
            (((biased.wrapping_add(sel(up, low, 0))) as i32) >> sh).min(max as i32) as u32
        }
    } else if clamp_after {
        ((rounded as i32) >> sh) as u32
    } else {
        ((rounded as i32) >> sh).min(c.ovf_pos as i32) as u32
    };
    // ±∞ one above the bound where its codes are (the sign comes as for any negative input).
    let infinity = |v: u32| {
        if byte_lane_infinity::<F, MODE, SAT>() {
            sel(a == 0x7F80_0000, c.inf_pos, v)
        } else {
            v
        }
    };
    let normal = if clamp_after {
        normal
    } else {
        infinity(normal)
    };
    // The subnormal range and NaN.
    let sub = if matches!(MODE, TP | TN) {
        if shifts {
            // Toward ±∞ with shifts, in integer operations: the significand shifted by the
            // count d of dropped bits (as toward zero), after adding 2^d − 1 where the
            // magnitude rounds up (a ceiling): a positive input but +0 toward +∞, a negative
            // one but −0 toward −∞. A count beyond 31 (f32 subnormals and zeros, whose `sig`
            // is wrong but below 2^24) is 31: the floor is 0, the ceiling 1. (NaN is resolved
            // below.)
            let e = a >> 23;
            let sig = (a & 0x7F_FFFF) | 0x80_0000;
            let d = (tmin + sh).wrapping_sub(e).min(31);
            let rounds_up = if MODE == TP {
                (b as i32) > 0
            } else {
                b > 0x8000_0000
            };
            let up = sel(rounds_up, (1 << d) - 1, 0);
            (sig + up) >> d
        } else {
            toward_infinity_subnormal::<MODE>(&s, b)
        }
    } else if MODE == TZ && shifts {
        // 0 for NaN, which the sign flip below makes -128.
        toward_zero_subnormal_by_convert::<F>(a)
    } else {
        // At least 2^23 for NaN, which the sign flip below makes less than -128.
        nan_carrying_subnormal::<MODE>(&s, a)
    };
    if matches!(MODE, TP | TN) {
        // Toward ±∞ on the bits (toward −∞ a float compare with the zero bound 0 is one DAZ
        // spoils): the subnormal select by |x| < 2^emin, which leaves NaN in the normal range;
        // the sign for every negative input beyond the zero bound (toward −∞: but −0); NaN's
        // code by one select.
        let mag = sel(a < tmin << 23, sub, normal);
        let t = zero_bound::<MODE>(&s).unwrap_or_default();
        let v = sel(b > 0x8000_0000 | t, mag ^ 0xFFFF_FF80, mag) as i32;
        let v = sel(a > 0x7F80_0000, -128i32 as u32, v as u32) as i32;
        return (v.clamp(-128, 127) as u32) & 0xFF;
    }
    // Unordered: true for NaN.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    let sub_or_nan = !(x >= f32::from_bits(tmin << 23));
    let mag = sel(sub_or_nan, sub, normal);
    // Toward zero with shifts clamps after the select, as E4M3FN's lane does (one masked
    // operation less): its subnormal path gives NaN 0, which the clamp keeps. (With the input
    // clamped, the only magnitude above ∞'s code is ∞'s own, in the normal range.)
    let mag = if clamp_input {
        (mag as i32).min(c.inf_pos as i32) as u32
    } else if clamp_after {
        infinity((mag as i32).min(c.ovf_pos as i32) as u32)
    } else {
        mag
    };
    let signed = nan_or_nonzero_negative::<MODE>(&s, b);
    let v = sel(signed, mag ^ 0xFFFF_FF80, mag) as i32;
    (v.clamp(-128, 127) as u32) & 0xFF
}

/// Whether [`p3109_unsigned_lane`] encodes `F` in `MODE` and `SAT`: an unsigned 8-bit P3109
/// member (NaN `0xFF`, no sign bit) that the lanes cover, in a deterministic mode, whose
/// positive overflow code is max or max + 1 (the bound a minimum gives), whose +∞ code is
/// that bound or `0xFE` (extended +∞: one select, see the lane), and whose negative inputs give
/// 0 or NaN by one compare on the bits: every such member in every deterministic mode and
/// both overflow policies.
#[inline(always)]
const fn p3109_unsigned_lane_applies<F: Format, const MODE: u8, const SAT: bool>() -> bool {
    let s = F::SPEC;
    let c = ConstCodes::<F, MODE, SAT>::CODES;
    let max = s.max_code();
    let member = s.is_p3109()
        && !s.signed
        && s.bits == 8
        && s.storage_shift == 0
        && !s.nan_payload
        && c.nan_pos == 0xFF
        && c.nan_neg == 0xFF
        && zero_bound::<MODE>(&s).is_some();
    let negatives = match (c.ovf_neg, c.inf_neg) {
        (0, 0) | (0xFF, 0xFF) => c.inf_pos == c.ovf_pos || c.inf_pos == 0xFE,
        // −∞ to NaN through the select on the bits, which needs +∞'s code at 0xFE.
        (0, 0xFF) => c.inf_pos == 0xFE,
        _ => false,
    };
    member && (c.ovf_pos == max || c.ovf_pos == max + 1) && c.ovf_pos <= 0xFE && negatives
}

/// The lane of [`p3109_unsigned_lane_applies`]'s members: at most E4M3FN's count of operations
/// in each mode (BENCHMARKS.md, P3109), where the general fast lane needs up to four selects
/// more for the negative inputs and the three special codes.
///
/// - The magnitude of a positive input, in the mode (toward −∞ rounds it toward zero): in the
///   normal range the f32 bits rebiased and rounded at bit `sh`, then clamped at the positive
///   overflow code P (toward +∞ with P = max + 1: clamped before the rounding up, as in
///   [`encode_lane_fast`]); below 2^emin the subnormal paths of [`encode_lane_fast`] and
///   [`p3109_byte_lane`]. One unordered compare of the *signed* input with 2^emin takes the
///   subnormal path for the subnormal range, for NaN and for every negative input: each of
///   those paths gives ∞ and NaN a value of at least 2^22 (but toward zero with variable
///   shifts, which gives 0, and is mended below).
/// - The specials, at most one select: where +∞'s code is `0xFE` but not P (toward zero, toward
///   −∞ and odd in `SatNone` on the extended members), or where the subnormal path does not
///   give NaN its large value (toward zero and toward −∞ with variable shifts), the lanes of
///   ±∞ and NaN (on `|x|`) or of +∞, NaN and every negative input (on the bits, where −∞ must
///   give NaN but the other negative inputs 0: toward zero in `SatNone`) take their bits less
///   `0x7F80_0000 − 0xFE`: `0xFE` for +∞, more for the others.
/// - The negative inputs, one compare on the bits and one select: 0 where they all give 0
///   (`SatFinite`: `b` ≤ −∞'s bits as an i32, which leaves the negative NaNs); 0 where the
///   finite ones give 0 and −∞ gives NaN (toward zero and +∞ in `SatNone`: `b` below −∞'s);
///   else NaN where they round to a non-zero magnitude (`b` above −t, with t the zero bound of
///   [`zero_bound`], 0 toward −∞ and odd), whose magnitude is 0 otherwise.
/// - The code: the value clamped at `0xFF` (AVX-512's unsigned saturating `vpmovusdb`, which
///   does the narrowing store with it): NaN's `0xFF` from every value of 255 and more.
///
/// FTZ and DAZ change nothing: the float operations are those of [`encode_lane_fast`]'s
/// subnormal paths; the compare with 2^emin reads a DAZ-zeroed f32 subnormal as below it, as it
/// is; every other test is on the bits.
#[inline(always)]
fn p3109_unsigned_lane<F: Format, const MODE: u8, const SAT: bool>(b: u32, shifts: bool) -> u32 {
    let s = F::SPEC;
    let c = ConstCodes::<F, MODE, SAT>::CODES;
    let m = s.mantissa_bits;
    let sh = 23 - m;
    let tmin = (s.min_exponent() + 127) as u32;
    let max = s.max_code();
    let a = b & 0x7FFF_FFFF;
    // The normal range, rounded and clamped at P.
    // Wrapping: in the subnormal range (and for NaN and the negative inputs) `biased` is unused.
    let biased = a.wrapping_sub(((127 - s.bias) as u32) << 23);
    let half = 1u32 << (sh - 1);
    let low = (1u32 << sh) - 1;
    let normal = match MODE {
        // The tie goes to the even code (the rebiased exponent's bit for precision 1).
        NE => {
            biased
                .wrapping_add(half - 1)
                .wrapping_add((biased >> sh) & 1)
                >> sh
        }
        NA => biased.wrapping_add(half) >> sh,
        // Below (max + 1)·2^sh before the rounding up: max + 1 exactly past max.
        TP if c.ovf_pos == max + 1 => (biased.min(((max + 1) << sh) - 1) + low) >> sh,
        TP => biased.wrapping_add(low) >> sh,
        // Odd: the kept bits, or 1 where any dropped bit is set.
        ODD => (biased | ((a & low) + low)) >> sh,
        // Toward zero, and toward −∞ (for a positive input).
        _ => biased >> sh,
    };
    let normal = if MODE == TP && c.ovf_pos == max + 1 {
        normal
    } else {
        normal.min(c.ovf_pos)
    };
    // The subnormal range (and ∞, NaN).
    let toward_zero = matches!(MODE, TZ | TN);
    let sub = match MODE {
        TP => toward_infinity_subnormal::<TP>(&s, a),
        ODD => odd_subnormal(&s, a),
        // 0 for ∞ and NaN: mended below.
        _ if toward_zero && shifts => toward_zero_subnormal_by_shift(&s, a),
        _ => nan_carrying_subnormal::<MODE>(&s, a),
    };
    // Unordered: true for NaN; and for every negative input.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    let sub_side = !(f32::from_bits(b) >= f32::from_bits(tmin << 23));
    let v = sel(sub_side, sub, normal);
    // The specials.
    let nan_from_sub = !(toward_zero && shifts);
    let v = if c.ovf_neg == 0 && c.inf_neg == 0xFF && (c.inf_pos != c.ovf_pos || !nan_from_sub) {
        // +∞ to 0xFE; NaN and every negative input to 2^31 and more (the finite negative ones
        // to 0 below). Wrapping: the positive finite lanes (unused) wrap here.
        sel(b >= 0x7F80_0000, b.wrapping_sub(0x7F80_0000 - 0xFE), v)
    } else if c.inf_pos != c.ovf_pos {
        // ±∞ to 0xFE (−∞ to NaN below), NaN to more.
        // Wrapping: the finite lanes (unused) wrap here.
        sel(a >= 0x7F80_0000, a.wrapping_sub(0x7F80_0000 - 0xFE), v)
    } else if !nan_from_sub {
        sel(a > 0x7F80_0000, a, v)
    } else {
        v
    };
    // The negative inputs.
    let neg_inf = 0xFF80_0000u32 as i32;
    let v = match (c.ovf_neg, c.inf_neg) {
        (0, 0) => sel((b as i32) <= neg_inf, 0, v),
        (0, _) => sel((b as i32) < neg_inf, 0, v),
        _ => {
            let t = zero_bound::<MODE>(&s).unwrap_or_default();
            sel(b > 0x8000_0000 | t, u32::MAX, v)
        }
    };
    v.min(0xFF)
}

/// Whether [`p3109_unsigned_stochastic_lane`] encodes `F` stochastically in the policy `SAT`:
/// an unsigned 8-bit P3109 member of precision 2 or more (NaN `0xFF`) in `SatNone`, where its
/// positive overflow and +∞ codes are one bound P, `max` or `max + 1` (`0xFE`: ∞ on the
/// extended members, the largest finite value on the finite ones), and its negative inputs give
/// NaN where they round to a non-zero magnitude.
/// In `SatFinite` (every negative input but NaN gives 0) the general lane is as fast: its
/// signed maximum makes the negative inputs +0 in one operation, and one select gives NaN.
#[inline(always)]
const fn p3109_unsigned_stochastic_applies<F: Format, const MODE: u8, const SAT: bool>() -> bool {
    let s = F::SPEC;
    let c = ConstCodes::<F, MODE, SAT>::CODES;
    let max = s.max_code();
    let member = MODE == SR
        && s.is_p3109()
        && !s.signed
        && s.bits == 8
        && s.storage_shift == 0
        && !s.nan_payload
        && s.subnormals
        && !p1_unsigned(&s)
        && c.nan_pos == 0xFF
        && c.nan_neg == 0xFF;
    member
        && (c.ovf_pos == max || c.ovf_pos == max + 1)
        && c.inf_pos == c.ovf_pos
        && c.ovf_neg == 0xFF
        && c.inf_neg == 0xFF
}

/// The stochastic lane of [`p3109_unsigned_stochastic_applies`]'s members: one operation more
/// than E4M3FN's (BENCHMARKS.md, P3109), where the general fast lane tests the rounded code
/// for the negative inputs and the input for NaN apart, and takes both selects.
///
/// - The magnitude by [`stochastic_magnitude`], clamped at P (∞ and NaN, whose magnitude codes
///   lie above every finite one, take P).
/// - One unsigned compare of the input bits with +∞'s tells NaN (either sign) and every
///   negative input; those lanes take the code's negation, which is 0 for a zero magnitude and
///   at least 2^24 otherwise.
/// - The code: the value clamped at `0xFF` (AVX-512's unsigned saturating `vpmovusdb`):
///   NaN's `0xFF` from every value of 255 and more.
///
/// FTZ and DAZ change nothing: [`stochastic_magnitude`]'s float path reads no f32 subnormal
/// to its result's harm (see [`stochastic_subnormal_by_floats`]); every test here is on bits.
#[inline(always)]
fn p3109_unsigned_stochastic_lane<F: Format, const MODE: u8, const SAT: bool>(
    b: u32,
    nr: u32,
    shifts: bool,
) -> u32 {
    let s = F::SPEC;
    let c = ConstCodes::<F, MODE, SAT>::CODES;
    let code = stochastic_magnitude(&s, b & 0x7FFF_FFFF, nr, shifts);
    let code = code.min(c.ovf_pos);
    sel(b > 0x7F80_0000, code.wrapping_neg(), code).min(0xFF)
}

/// Whether the input with f32 bits `b` is NaN or a negative that keeps its sign (rounds to a
/// non-zero magnitude) in `MODE`, for a format whose [`zero_bound`] is `Some(t)` with t or
/// t + 1 a normal f32 (every mode but toward −∞ and odd, whose bound 0 would make the
/// compared constant the smallest subnormal, which DAZ reads as zero): one float
/// compare (unordered: true for NaN) with the negative bound, x ≤ −(t + 1) or x < −t, whichever
/// constant has a non-zero low byte (else LLVM, which needs only the code's low byte, may blend
/// with the compare's constant register instead of masking the `or`). Under DAZ an f32
/// subnormal input (or a subnormal bound) reads as ±0: the input's magnitude is below every
/// bound here (t ≥ 2^-126 − 2^-149), so that it compares as it does without DAZ.
#[inline(always)]
// The negated compares are the unordered ones (true for NaN), which is what they are for.
#[allow(clippy::neg_cmp_op_on_partial_ord)]
fn nan_or_nonzero_negative<const MODE: u8>(s: &Spec, b: u32) -> bool {
    let t = zero_bound::<MODE>(s).unwrap_or_default();
    if (t + 1) & 0xFF != 0 {
        !(f32::from_bits(b) > f32::from_bits(0x8000_0000 | (t + 1)))
    } else {
        !(f32::from_bits(b) >= f32::from_bits(0x8000_0000 | t))
    }
}

/// E8M0 (no sign, no zero, no subnormals, no mantissa): the code is the exponent field.
#[inline(always)]
fn e8m0_lane<F: Format, const MODE: u8, const SAT: bool>(b: u32, nr: u32) -> u32 {
    let c = ConstCodes::<F, MODE, SAT>::CODES;
    let a = b & 0x7FFF_FFFF;
    let e = a >> 23;
    let mant = a & 0x7F_FFFF;
    let sub = e == 0;
    // The fraction below the leading bit (an f32 subnormal's leading bit is bit 22).
    let frac = sel(sub, mant << 1, mant) & 0x7F_FFFF;
    // Below 2^-127 every mode gives 2^-127 (code 0).
    let below = sub && mant < 0x40_0000;
    let inc = match MODE {
        NE | NA => frac >> 22, // the significand is always odd: ties go up
        TP => (frac + 0x7F_FFFF) >> 23,
        // Up iff the fraction (its 23 bits at the top) plus the word carries: f > !r.
        SR => ((frac << 9) > nr) as u32,
        _ => 0, // toward zero, toward −∞ (positive inputs only) and odd
    };
    let code = sel(below, 0, e + inc);
    let mut out = sel(code > 0xFE, c.ovf_pos, code);
    out = sel(a == 0x7F80_0000, c.inf_pos, out);
    // Negative numbers, zeros and NaN have no representation: NaN.
    sel(b >> 31 != 0 || a == 0 || a > 0x7F80_0000, 0xFF, out)
}

/// Decode `F`'s storage bits into the bits of the exact f32 (as
/// [`crate::decode::decode_to_f32_bits`]; the identity for f32 itself, as `f32::to_f32`).
#[inline(always)]
pub(crate) fn decode_lane<F: Format>(bits: u32) -> u32 {
    let s = F::SPEC;
    if is_f32(&s) {
        return bits;
    }
    let m = s.mantissa_bits;
    let code = (bits >> s.storage_shift) & s.code_mask();
    let mag = code & s.magnitude_mask();
    if s.subnormals && s.bias == 127 && s.exponent_bits == 8 {
        // bf16 and TF32: the f32 bits with a shorter mantissa (subnormals included); NaN is
        // quieted, keeping its payload.
        let x = code << (23 - m);
        return sel((x & 0x7FFF_FFFF) > 0x7F80_0000, x | 0x0040_0000, x);
    }
    let sign_out = if s.signed {
        (code >> (s.bits - 1)) << 31
    } else {
        0
    };
    let finite = if !s.subnormals {
        // E8M0: 2^(code − 127); code 0 is 2^-127, an f32 subnormal.
        sel(mag == 0, 0x0040_0000, mag << 23)
    } else if s.bias == 127 {
        // bf16, tf32: f32's exponent, subnormals included, with a shorter mantissa.
        mag << (23 - m)
    } else if p1_unsigned(&s) {
        // 2^(code − 128), code 1 (2^-127) an f32 subnormal, code 0 zero.
        let normal = (mag << 23).wrapping_sub(1 << 23);
        sel(mag <= 1, mag << 22, normal)
    } else {
        let normal = (mag << (23 - m)) + (((127 - s.bias) as u32) << 23);
        // A subnormal: mantissa · 2^(emin − M), a normal f32 for every such format.
        let scale = f32::from_bits(((127 + s.min_exponent() - m as i32) as u32) << 23);
        let subnormal = (((mag & s.mantissa_mask()) as i32 as f32) * scale).to_bits();
        sel(mag >> m == 0, subnormal, normal)
    };
    let mut out = finite | sign_out;
    if s.infinity {
        out = sel(mag == s.infinity_code(), sign_out | 0x7F80_0000, out);
    }
    match s.nan {
        NanEncoding::Ieee => {
            let payload = if s.nan_payload {
                (mag & s.mantissa_mask()) << (23 - m)
            } else {
                0
            };
            sel(
                mag > s.infinity_code(),
                sign_out | 0x7FC0_0000 | payload,
                out,
            )
        }
        NanEncoding::AllOnes => sel(mag == s.magnitude_mask(), sign_out | 0x7FC0_0000, out),
        NanEncoding::NegativeZero => sel(code == s.sign_mask(), 0x7FC0_0000, out),
        NanEncoding::AllOnesUnsigned => sel(code == s.code_mask(), 0x7FC0_0000, out),
        NanEncoding::None => out,
        NanEncoding::P3109 => match s.quiet_nan_code() {
            Some(n) => sel(code == n, 0x7FC0_0000, out),
            None => out,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::FORMATS;
    use crate::round;

    /// A 64-bit LCG (Knuth's multiplier) from `seed`: its high halves, the tests' inputs and
    /// thresholds.
    fn lcg(mut seed: u64) -> impl FnMut() -> u32 {
        move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 32) as u32
        }
    }

    /// ⌊|x| / 2^q · 2^32⌋ mod 2^32 for the f32 bits `a` (|x|'s fraction of the spacing 2^q, the
    /// format's subnormal one, with 32 bits), exactly, in u128: meaningful in the subnormal
    /// range; elsewhere any value will do.
    fn subnormal_fraction(q: i32, a: u32) -> u32 {
        let (sig, e) = if a >> 23 == 0 {
            (a as u128, 1)
        } else {
            (((a & 0x7F_FFFF) | 0x80_0000) as u128, (a >> 23) as i32)
        };
        let k = e - 150 + 32 - q;
        (if k >= 0 {
            sig.checked_shl(k as u32).unwrap_or(0)
        } else {
            sig >> (-k).min(127)
        }) as u32
    }

    /// Both sides of every binade's edges, both signs: every f32 exponent field with the
    /// mantissas 0, 1, 2, around the half and at the top (f32 subnormals, ±0, ±∞ and NaNs of
    /// both signs and several payloads among them).
    fn binade_edges() -> Vec<u32> {
        let mut inputs = Vec::new();
        for sign in [0u32, 0x8000_0000] {
            for e in 0..=255u32 {
                for d in [
                    0u32, 1, 2, 0x3F_FFFF, 0x40_0000, 0x40_0001, 0x7F_FFFE, 0x7F_FFFF,
                ] {
                    inputs.push(sign | (e << 23) | d);
                }
            }
        }
        inputs
    }

    /// `$check::<F>()` for every OCP format of the fast lane with a subnormal range below
    /// 2^emin (all but E8M0, which has its own lane, and bf16, which has f32's range).
    macro_rules! ocp_fast_lane_formats {
        ($check:ident) => {{
            use crate::formats::*;
            $check::<F8E4M3FN>();
            $check::<F8E5M2>();
            $check::<F8E4M3FNUZ>();
            $check::<F8E5M2FNUZ>();
            $check::<F8E4M3B11FNUZ>();
            $check::<F8E3M4>();
            $check::<F8E4M3>();
            $check::<F6E2M3FN>();
            $check::<F6E3M2FN>();
            $check::<F4E2M1FN>();
            $check::<crate::F16>();
        }};
    }

    /// The lanes' split of the formats holds: every format but f32 itself has subnormals
    /// (the fast lane) or is E8M0-shaped (unsigned, no mantissa: its own lane); and the
    /// integer subnormal paths' claim holds for each: with e = 0 (an f32 subnormal or zero,
    /// more than 2^-32 of a spacing below the format's subnormals), d = tmin + sh ≥ 32 + 24,
    /// so that every shift of the 24-bit `sig` by d or d − 32 gives 0.
    #[test]
    fn lane_split_covers_every_format() {
        for spec in FORMATS.into_iter().filter(|s| !is_f32(s)) {
            if spec.subnormals {
                let tmin = (spec.min_exponent() + 127) as u32;
                let sh = 23 - spec.mantissa_bits;
                assert!(spec.bias == 127 || tmin + sh >= 56, "{}", spec.name);
            } else {
                assert!(!spec.signed && spec.mantissa_bits == 0, "{}", spec.name);
            }
        }
    }

    /// The words are SplitMix64's: the reference generator seeded with 0 gives
    /// 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4 (Vigna's splitmix64.c), whose high halves are
    /// elements 0 and 1's words for seed 0.
    #[test]
    fn splitmix_words_are_the_reference_generators() {
        assert_eq!(splitmix_word(0, 0), 0xE220_A839);
        assert_eq!(splitmix_word(0, 1), 0x6E78_9E6A);
        // Element i of seed s is element i + 1 of seed s − γ.
        assert_eq!(splitmix_word(GAMMA.wrapping_neg(), 1), 0xE220_A839);
    }

    /// The lanes give the same codes with [`stochastic_threshold`] as with the exact `!r`,
    /// for every format with random inputs, tiny inputs (the subnormal range with 32 or more
    /// bits dropped, where bit 0 counts) and words just below 2^32 (where those inputs can
    /// round up).
    #[test]
    fn threshold_rounds_as_the_word() {
        fn check<F: Format>() {
            let mut next = lcg(0x9E37_79B9_7F4A_7C15u64);
            for i in 0..400_000u32 {
                let raw = next();
                let b = match i % 3 {
                    0 => raw,
                    // |x| < 2^-10: the subnormal range of the 8-bit and smaller formats.
                    1 => (raw & 0x8000_0000) | (raw % (0x3A80_0000)),
                    _ => (raw & 0x807F_FFFF) | ((next() % 40 + 60) << 23),
                };
                let r = match i % 4 {
                    0 => next(),
                    _ => u32::MAX - (next() >> (next() % 32)),
                };
                let h = r ^ (r >> 31); // the high half whose word is r
                assert_eq!(splitmix_mix_of_high(h), r);
                assert_eq!(
                    encode_lane_any::<F, SR, false>(b, !r, true),
                    encode_lane_any::<F, SR, false>(b, stochastic_threshold(h), true),
                    "{} b = {b:#x} r = {r:#x}",
                    F::NAME
                );
            }
        }
        fn splitmix_mix_of_high(h: u32) -> u32 {
            h ^ (h >> 31)
        }
        ocp_fast_lane_formats!(check);
        check::<crate::formats::F8E8M0FNU>();
        check::<crate::BF16>();
    }

    /// Stochastic rounding without variable shifts ([`stochastic_subnormal_by_floats`], the
    /// portable level on x86-64) gives the shifting lane's codes and the scalar core's, for
    /// every format with a subnormal range below 2^emin (OCP and P3109), on inputs crowded
    /// into that range and thresholds on both sides of each input's exact dropped fraction
    /// (⌊f·2^32⌋, worked out here in u128), where a wrong comparison would show.
    #[test]
    fn stochastic_without_shifts_is_the_core() {
        fn check<F: Format>() {
            let spec = F::SPEC;
            let tmin = (spec.min_exponent() + 127) as u32;
            let q = spec.min_exponent() - spec.mantissa_bits as i32;
            let mut next = lcg(0x2545_F491_4F6C_DD1Du64);
            for i in 0..100_000u32 {
                let raw = next();
                let b = match i % 4 {
                    0 => raw,
                    // Below the smallest normal value (f32 subnormals included).
                    1 | 2 => (raw & 0x8000_0000) | (raw % (tmin << 23)),
                    _ => (raw & 0x8000_0000) | (raw % 0x80_0000),
                };
                let frac = subnormal_fraction(q, b & 0x7FFF_FFFF);
                let nrs = [
                    next(),
                    frac,
                    frac.wrapping_sub(1),
                    frac.wrapping_add(1),
                    0,
                    u32::MAX,
                ];
                for nr in nrs {
                    // The threshold `nr` is the complement of the word.
                    let core = F::from_f32_stochastic(f32::from_bits(b), !nr, Overflow::Ieee)
                        .to_bits_u32();
                    for shifts in [true, false] {
                        assert_eq!(
                            encode_lane_any::<F, SR, false>(b, nr, shifts),
                            core,
                            "{} b = {b:#x} nr = {nr:#x} shifts {shifts}",
                            F::NAME
                        );
                    }
                }
            }
        }
        use crate::p3109::P3109;
        ocp_fast_lane_formats!(check);
        check::<P3109<8, 4, true, true>>();
        check::<P3109<8, 1, true, true>>();
        check::<P3109<8, 2, false, false>>();
        check::<P3109<8, 7, true, false>>();
        check::<P3109<4, 2, true, false>>();
        check::<P3109<3, 1, true, true>>();
        check::<P3109<6, 3, false, true>>();
    }

    /// [`p3109_unsigned_stochastic_lane`] rounds as the scalar core, and takes the unsigned
    /// 8-bit members of precision 2 to 8 in `SatNone` (and not the signed, narrower or
    /// precision-1 ones; `SatFinite`, checked here too, keeps the general lane): on both sides
    /// of every binade's edges, of ±∞ and of the NaNs, on random inputs and on inputs crowded
    /// below 2^emin, with random thresholds, 0, `u32::MAX` and thresholds on both sides of the
    /// input's dropped fraction in the normal range (its low bits) and in the subnormal range
    /// ([`subnormal_fraction`]), with and without variable shifts.
    #[test]
    fn unsigned_stochastic_lane_is_the_core() {
        fn check<F: Format>() {
            let spec = F::SPEC;
            assert!(p3109_unsigned_stochastic_applies::<F, SR, false>());
            assert!(!p3109_unsigned_stochastic_applies::<F, SR, true>());
            let tmin = (spec.min_exponent() + 127) as u32;
            let sh = 23 - spec.mantissa_bits;
            let q = spec.min_exponent() - spec.mantissa_bits as i32;
            let mut inputs = binade_edges();
            let mut next = lcg(0x9E37_79B9_7F4A_7C15u64);
            for i in 0..20_000u32 {
                let raw = next();
                inputs.push(match i % 3 {
                    0 => raw,
                    1 => (raw & 0x8000_0000) | (raw % (tmin << 23)),
                    _ => (raw & 0x8000_0000) | (raw % (0x7F80_0000 - (tmin << 23)) + (tmin << 23)),
                });
            }
            for b in inputs {
                let a = b & 0x7FFF_FFFF;
                let normal = a << (32 - sh);
                let sub = subnormal_fraction(q, a);
                for nr in [
                    next(),
                    0,
                    u32::MAX,
                    normal,
                    normal.wrapping_sub(1),
                    sub,
                    sub.wrapping_sub(1),
                ] {
                    for (sat, overflow) in [(false, Overflow::Ieee), (true, Overflow::Saturate)] {
                        let core =
                            F::from_f32_stochastic(f32::from_bits(b), !nr, overflow).to_bits_u32();
                        for shifts in [true, false] {
                            let lane = if sat {
                                encode_lane_any::<F, SR, true>(b, nr, shifts)
                            } else {
                                encode_lane_any::<F, SR, false>(b, nr, shifts)
                            };
                            assert_eq!(
                                lane,
                                core,
                                "{} b = {b:#x} nr = {nr:#x} {overflow:?} shifts {shifts}",
                                F::NAME
                            );
                        }
                    }
                }
            }
        }
        use crate::p3109::P3109;
        check::<P3109<8, 2, false, true>>();
        check::<P3109<8, 2, false, false>>();
        check::<P3109<8, 3, false, true>>();
        check::<P3109<8, 4, false, false>>();
        check::<P3109<8, 5, false, true>>();
        check::<P3109<8, 5, false, false>>();
        check::<P3109<8, 6, false, true>>();
        check::<P3109<8, 7, false, false>>();
        check::<P3109<8, 8, false, true>>();
        check::<P3109<8, 8, false, false>>();
        for (signed, narrow, p1) in [
            (
                p3109_unsigned_stochastic_applies::<P3109<8, 4, true, true>, SR, false>(),
                p3109_unsigned_stochastic_applies::<P3109<6, 3, false, true>, SR, false>(),
                p3109_unsigned_stochastic_applies::<P3109<8, 1, false, true>, SR, true>(),
            ),
            (
                p3109_unsigned_stochastic_applies::<crate::formats::F8E4M3FN, SR, false>(),
                p3109_unsigned_stochastic_applies::<P3109<8, 5, false, true>, NE, false>(),
                p3109_unsigned_stochastic_applies::<crate::formats::F8E8M0FNU, SR, false>(),
            ),
        ] {
            assert!(!signed && !narrow && !p1);
        }
    }

    /// [`p1_unsigned_lane`] rounds stochastically as the scalar core: binary8p1ue and
    /// binary8p1uf, on random inputs, inputs crowded below 2^-126 (f32 subnormals, where the
    /// lane's split lies) and at the ties, with random thresholds and thresholds on both sides
    /// of each input's dropped fraction (23 bits: the fraction of the spacing between the two
    /// values around the input, read here from the input as a value: (|x| − lo)/(hi − lo)).
    #[test]
    fn p1_unsigned_lane_rounds_stochastically_as_the_core() {
        fn check<F: Format>() {
            assert!(p1_unsigned(&F::SPEC));
            let mut next = lcg(0x2545_F491_4F6C_DD1Du64);
            for i in 0..100_000u32 {
                let raw = next();
                let b = match i % 4 {
                    0 => raw,
                    1 => (raw & 0x8000_0000) | (raw % 0x100_0000),
                    2 => (raw & 0x8000_0000) | (raw % 0x80_0000),
                    _ => (raw & 0x8000_0000) | (raw & 0x7F80_0000) | 0x40_0000,
                };
                let x = (f32::from_bits(b) as f64).abs();
                // The values around |x|: 0 and 2^-127 below 2^-127, else 2^k and 2^(k+1).
                let lo = if x < 2f64.powi(-127) {
                    0.0
                } else {
                    2f64.powi(x.log2().floor() as i32)
                };
                let hi = if lo == 0.0 { 2f64.powi(-127) } else { 2.0 * lo };
                // Exact: a 24-bit significand over a power of two, scaled by 2^32.
                let frac = if x.is_finite() {
                    ((x - lo) / (hi - lo) * 2f64.powi(32)) as u32
                } else {
                    0
                };
                for nr in [
                    next(),
                    frac,
                    frac.wrapping_sub(1),
                    frac.wrapping_add(1),
                    0,
                    !0,
                ] {
                    let core = F::from_f32_stochastic(f32::from_bits(b), !nr, Overflow::Ieee)
                        .to_bits_u32();
                    for sat in [false, true] {
                        let lane = if sat {
                            encode_lane_any::<F, SR, true>(b, nr, true)
                        } else {
                            encode_lane_any::<F, SR, false>(b, nr, true)
                        };
                        let core = if sat {
                            F::from_f32_stochastic(f32::from_bits(b), !nr, Overflow::Saturate)
                                .to_bits_u32()
                        } else {
                            core
                        };
                        assert_eq!(lane, core, "{} b = {b:#x} nr = {nr:#x} sat {sat}", F::NAME);
                    }
                }
            }
        }
        check::<crate::p3109::P3109<8, 1, false, true>>();
        check::<crate::p3109::P3109<8, 1, false, false>>();
    }

    /// [`zero_bound`] is the scalar core's: for every format with subnormals (the OCP rows
    /// and every P3109 member of 3 to 8 bits) and every deterministic mode, the negative input
    /// of magnitude `t` rounds to a zero magnitude and the next one up does not (the rounding
    /// of −a being that of +a in the mirrored mode).
    #[test]
    fn zero_bound_is_the_cores() {
        fn check<const MODE: u8>(spec: &Spec) {
            let Some(t) = zero_bound::<MODE>(spec) else {
                return;
            };
            // The magnitude that −a rounds to: that of +a in the mirrored mode (which an
            // unsigned format has too, where a negative input's code says little).
            let mirrored = match rounding_of(MODE) {
                Rounding::TowardPositive => Rounding::TowardNegative,
                Rounding::TowardNegative => Rounding::TowardPositive,
                r => r,
            };
            let mag = |a: u32| {
                let code = round::encode_f32(spec, f32::from_bits(a), mirrored, Overflow::Ieee)
                    >> spec.storage_shift;
                code & spec.magnitude_mask()
            };
            assert_eq!(mag(t), 0, "{} mode {MODE}", spec.name);
            assert_ne!(mag(t + 1), 0, "{} mode {MODE}", spec.name);
        }
        let mut specs: Vec<Spec> = FORMATS.into_iter().filter(|s| s.subnormals).collect();
        for k in 3..=8 {
            for p in 1..=k {
                for (signed, extended) in
                    [(true, true), (true, false), (false, true), (false, false)]
                {
                    if p < k || !signed {
                        specs.push(Spec::p3109("p3109", k, p, signed, extended));
                    }
                }
            }
        }
        let mut covered = 0;
        for spec in &specs {
            covered += zero_bound::<NE>(spec).is_some() as u32;
            check::<NE>(spec);
            check::<NA>(spec);
            check::<TZ>(spec);
            check::<TP>(spec);
            check::<TN>(spec);
            check::<ODD>(spec);
            assert!(zero_bound::<SR>(spec).is_none());
        }
        // Every OCP row but f32's exponent range and every lane-covered P3109 member.
        assert!(covered > 100, "{covered}");
    }

    /// The P3109 and FNUZ paths of the fast lane are the scalar core's (a quick check beside
    /// the integration suites): members signed and unsigned, extended and finite, of 3 to 8
    /// bits, in every deterministic mode and both policies, on strided f32 inputs and on both
    /// sides of every binade's edges, of the zero bounds, of ±∞ and of the NaNs.
    #[test]
    fn p3109_lanes_are_the_cores() {
        fn check<F: Format>() {
            let mut inputs: Vec<u32> = (0..20_000u32).map(|i| i.wrapping_mul(214_749)).collect();
            inputs.extend(binade_edges());
            fn one<F: Format, const MODE: u8, const SAT: bool>(inputs: &[u32]) {
                let s = F::SPEC;
                let overflow = if SAT {
                    Overflow::Saturate
                } else {
                    Overflow::Ieee
                };
                for &b in inputs {
                    let core =
                        round::encode_f32(&s, f32::from_bits(b), rounding_of(MODE), overflow);
                    // With variable shifts and without (toward zero's subnormal path).
                    for shifts in [true, false] {
                        let lane = encode_lane_any::<F, MODE, SAT>(b, 0, shifts);
                        assert_eq!(
                            lane, core,
                            "{} mode {MODE} {overflow:?} {b:#x} shifts {shifts}",
                            s.name
                        );
                    }
                }
            }
            one::<F, NE, false>(&inputs);
            one::<F, NE, true>(&inputs);
            one::<F, NA, false>(&inputs);
            one::<F, NA, true>(&inputs);
            one::<F, TZ, false>(&inputs);
            one::<F, TZ, true>(&inputs);
            one::<F, TP, false>(&inputs);
            one::<F, TP, true>(&inputs);
            one::<F, TN, false>(&inputs);
            one::<F, TN, true>(&inputs);
            one::<F, ODD, false>(&inputs);
            one::<F, ODD, true>(&inputs);
        }
        use crate::p3109::P3109;
        check::<P3109<8, 4, true, true>>();
        check::<P3109<8, 4, true, false>>();
        check::<P3109<8, 3, true, true>>();
        check::<P3109<8, 1, true, true>>();
        check::<P3109<8, 7, true, false>>();
        check::<P3109<8, 5, false, true>>();
        check::<P3109<8, 5, false, false>>();
        check::<P3109<8, 8, false, true>>();
        check::<P3109<8, 2, false, false>>();
        check::<P3109<8, 2, false, true>>();
        check::<P3109<8, 3, false, true>>();
        check::<P3109<8, 7, false, false>>();
        check::<P3109<8, 8, false, false>>();
        check::<P3109<8, 1, false, true>>();
        check::<P3109<8, 1, false, false>>();
        check::<P3109<4, 2, true, false>>();
        check::<P3109<3, 1, true, true>>();
        check::<P3109<6, 3, false, true>>();
        check::<crate::formats::F8E4M3FNUZ>();
        check::<crate::formats::F8E5M2FNUZ>();
    }

    /// Which (mode, policy) pairs `$applies` takes for the format `$f`: nearest-even,
    /// nearest-away, toward zero, toward +∞, toward −∞, odd, each without and with saturation,
    /// then stochastic rounding.
    macro_rules! taken {
        ($applies:ident, $f:ty) => {
            [
                $applies::<$f, NE, false>(),
                $applies::<$f, NE, true>(),
                $applies::<$f, NA, false>(),
                $applies::<$f, NA, true>(),
                $applies::<$f, TZ, false>(),
                $applies::<$f, TZ, true>(),
                $applies::<$f, TP, false>(),
                $applies::<$f, TP, true>(),
                $applies::<$f, TN, false>(),
                $applies::<$f, TN, true>(),
                $applies::<$f, ODD, false>(),
                $applies::<$f, ODD, true>(),
                $applies::<$f, SR, false>(),
            ]
        };
    }

    /// [`p3109_byte_lane`] takes the signed 8-bit members that the P3109 benchmarks time
    /// (so that a change of the special codes cannot send them back to the general lane
    /// unnoticed), in every deterministic mode but odd in both policies (the first five: ±∞
    /// and overflow as one bound, or, in SatNone on the extended members, ∞ one above it
    /// toward zero and on the side that rounds up toward ±∞), and no other format; the test
    /// above compares its codes with the scalar core's.
    #[test]
    fn byte_lane_takes_the_signed_8_bit_members() {
        use crate::p3109::{Binary8p3se, Binary8p4se, Binary8p4sf, Binary8p5ue, P3109};
        let mut signed = [true; 13];
        signed[10..].fill(false);
        assert_eq!(taken!(p3109_byte_lane_applies, Binary8p4se), signed);
        assert_eq!(taken!(p3109_byte_lane_applies, Binary8p4sf), signed);
        assert_eq!(taken!(p3109_byte_lane_applies, Binary8p3se), signed);
        assert_eq!(
            taken!(p3109_byte_lane_applies, P3109<8, 1, true, true>),
            signed
        );
        for none in [
            taken!(p3109_byte_lane_applies, Binary8p5ue),
            taken!(p3109_byte_lane_applies, crate::p3109::Binary4p2sf),
            taken!(p3109_byte_lane_applies, crate::formats::F8E4M3FN),
            taken!(p3109_byte_lane_applies, crate::formats::F8E4M3FNUZ),
        ] {
            assert_eq!(none, [false; 13]);
        }
    }

    /// [`p3109_unsigned_lane`] takes the unsigned 8-bit members the lanes cover (binary8p5ue,
    /// which the P3109 benchmarks time, among them) in every deterministic mode and both
    /// policies, and no other format; `p3109_lanes_are_the_cores` compares its codes with the
    /// scalar core's.
    #[test]
    fn unsigned_lane_takes_the_unsigned_8_bit_members() {
        use crate::p3109::{Binary8p4se, Binary8p5ue, P3109};
        let mut every = [true; 13];
        every[12] = false;
        for all in [
            taken!(p3109_unsigned_lane_applies, Binary8p5ue),
            taken!(p3109_unsigned_lane_applies, P3109<8, 5, false, false>),
            taken!(p3109_unsigned_lane_applies, P3109<8, 2, false, true>),
            taken!(p3109_unsigned_lane_applies, P3109<8, 8, false, false>),
        ] {
            assert_eq!(all, every);
        }
        // Precision 1 (its own lane), signed and narrower members, OCP formats.
        for none in [
            taken!(p3109_unsigned_lane_applies, P3109<8, 1, false, true>),
            taken!(p3109_unsigned_lane_applies, Binary8p4se),
            taken!(p3109_unsigned_lane_applies, P3109<6, 3, false, true>),
            taken!(p3109_unsigned_lane_applies, crate::formats::F8E4M3FN),
            taken!(p3109_unsigned_lane_applies, crate::formats::F8E8M0FNU),
        ] {
            assert_eq!(none, [false; 13]);
        }
    }

    /// The const special codes are the scalar core's.
    #[test]
    fn special_codes_are_the_cores() {
        // f32 itself is the identity in the kernels.
        for spec in FORMATS.into_iter().filter(|s| !is_f32(s)) {
            for overflow in [Overflow::Ieee, Overflow::Saturate] {
                for rounding in Rounding::ALL {
                    let c = special_codes(&spec, rounding, overflow);
                    let over = spec.max_code() as u64 + 1;
                    let enc = |x: f32| {
                        round::encode_f32(&spec, x, rounding, overflow) >> spec.storage_shift
                    };
                    let core = Codes {
                        ovf_pos: round::finish(&spec, false, over, rounding, overflow),
                        ovf_neg: round::finish(&spec, true, over, rounding, overflow),
                        inf_pos: enc(f32::INFINITY),
                        inf_neg: enc(f32::NEG_INFINITY),
                        nan_pos: enc(f32::from_bits(0x7F80_0001)),
                        nan_neg: enc(f32::from_bits(0xFF80_0001)),
                    };
                    assert_eq!(c, core, "{} {rounding:?} {overflow:?}", spec.name);
                }
            }
        }
    }
}
