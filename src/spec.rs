//! A format as data: [`Spec`] (one row of the table in [`crate::formats`]), the rounding and
//! overflow modes, and every helper that reads a row — the masks, special codes and bit fields
//! of an encoding. It depends on nothing else in the crate: the rounding core
//! ([`mod@crate::round`]), decoding ([`fn@crate::decode`]) and the [`crate::Format`] trait
//! all build on it, and [`crate::format`] re-exports its public items.

use core::fmt;
use core::num::FpCategory;

/// How a value that falls between two representable values is rounded (IEEE 754 meanings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Rounding {
    /// Round to nearest, ties to the value with an even last significand bit (the default).
    #[default]
    NearestEven,
    /// Round to nearest, ties away from zero.
    NearestAway,
    /// Truncate toward zero.
    TowardZero,
    /// Round toward +∞.
    TowardPositive,
    /// Round toward −∞.
    TowardNegative,
    /// Round to odd: truncate, then set the last significand bit if anything was dropped.
    /// Rounding to odd at p + 2 bits and then to nearest at p bits never double-rounds.
    Odd,
}

impl Rounding {
    /// All six modes, in declaration order.
    pub const ALL: [Rounding; 6] = [
        Rounding::NearestEven,
        Rounding::NearestAway,
        Rounding::TowardZero,
        Rounding::TowardPositive,
        Rounding::TowardNegative,
        Rounding::Odd,
    ];
}

/// What happens to a result beyond the format's largest finite value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Overflow {
    /// IEEE 754 (the default, ml_dtypes-compatible for [`Rounding::NearestEven`]): the nearest
    /// modes and rounding away from zero give ±∞, rounding toward zero (and [`Rounding::Odd`])
    /// gives ±max. A format without ∞ gives NaN in its place (the `fn`/`fnuz` formats) or ±max
    /// (FP6/FP4, which have neither). Overflow is decided after rounding with an unbounded
    /// exponent: 464 → 448 but 465 → NaN in E4M3FN.
    #[default]
    Ieee,
    /// Saturating (OCP "saturating", PTX `satfinite`, ONNX `saturate=1`): ±max for every finite
    /// or infinite input beyond range; NaN stays NaN.
    Saturate,
}

/// How a format encodes NaN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NanEncoding {
    /// IEEE: exponent all ones, mantissa non-zero (both signs).
    Ieee,
    /// Only the all-ones magnitude `S.1111.111` (the `fn` formats: "finite, NaN").
    AllOnes,
    /// Only the negative-zero code `0x80` (the `fnuz` formats: "finite, NaN, unsigned zero").
    NegativeZero,
    /// Only the all-ones code `0xFF` of the unsigned E8M0 scale format.
    AllOnesUnsigned,
    /// No NaN at all (FP6, FP4).
    None,
    /// IEEE P3109: one NaN, the code 2^(K−1) (the would-be −0, `0x80`) in signed formats and
    /// the all-ones code 2^K − 1 in unsigned ones; no −0. Where the format has ∞
    /// ([`Spec::infinity`], P3109's *extended* domain) it sits at the top of the magnitude
    /// codes, just below NaN: +∞ = 2^(K−1) − 1 and −∞ = 2^K − 1 when signed, +∞ = 2^K − 2
    /// when unsigned. The rounding core applies P3109's ties-to-even and to-odd rules on the
    /// parity of the *code* (which differs from the significand's only for precision 1) and
    /// its saturation rules ([`Saturation`]; see [`crate::p3109`]).
    P3109,
}

/// P3109's saturation modes (interim report v4.0, §4.7.5): what a rounded value beyond the
/// format's finite range becomes. [`Overflow::Ieee`] means [`Saturation::SatNone`] and
/// [`Overflow::Saturate`] means [`Saturation::SatFinite`] for the P3109 formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[allow(clippy::enum_variant_names)] // the report's names, which the public API keeps
pub enum Saturation {
    /// Every out-of-range rounded value, ±∞ included, is clamped to the finite range
    /// (to 0 for negative values in unsigned formats).
    SatFinite,
    /// Finite out-of-range rounded values are clamped; infinite ones are kept where the format
    /// has them (the extended domain).
    SatPropagate,
    /// IEEE-like: out-of-range values become ±∞, the extremal finite value or NaN as the
    /// rounding direction, the domain and the signedness decide (the default).
    #[default]
    SatNone,
}

impl Saturation {
    /// All three modes.
    pub const ALL: [Saturation; 3] = [
        Saturation::SatFinite,
        Saturation::SatPropagate,
        Saturation::SatNone,
    ];

    /// The P3109 saturation mode that an [`Overflow`] policy stands for.
    pub const fn of(overflow: Overflow) -> Saturation {
        match overflow {
            Overflow::Ieee => Saturation::SatNone,
            Overflow::Saturate => Saturation::SatFinite,
        }
    }
}

/// P3109's stochastic rounding variants (interim report v4.0, §4.7.4), with N random bits R
/// (0 ≤ R < 2^N) and ν the dropped fraction of an ulp; the magnitude rounds away from zero iff
/// - `A`: ⌊ν·2^N⌋ + R ≥ 2^N (lowp's [`crate::Format::from_f32_stochastic`] is `A` with
///   N = 32),
/// - `B`: ⌊ν·2^(N+1)⌋ + 2R + 1 ≥ 2^(N+1) (the random number offset by half a step: unbiased),
/// - `C`: RNITE(ν·2^N) + R ≥ 2^N (ν·2^N first rounded to nearest, ties to even).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StochasticVariant {
    /// Truncate the fraction to N bits, add R, keep the carry.
    A,
    /// Truncate the fraction to N + 1 bits, add 2R + 1, keep the carry.
    B,
    /// Round the fraction to N bits (ties to even), add R, keep the carry.
    C,
}

/// A format as data: the row of the formats table that everything else is generic over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Spec {
    /// The reference name (ml_dtypes' name where it has one), e.g. `"float8_e4m3fn"`.
    pub name: &'static str,
    /// Width of an encoding in bits (sign + exponent + mantissa).
    pub bits: u32,
    /// Exponent field width.
    pub exponent_bits: u32,
    /// Stored mantissa (fraction) width.
    pub mantissa_bits: u32,
    /// Exponent bias.
    pub bias: i32,
    /// Whether the format has a sign bit.
    pub signed: bool,
    /// Whether exponent-all-ones with mantissa zero is ±∞.
    pub infinity: bool,
    /// How NaN is encoded.
    pub nan: NanEncoding,
    /// Whether exponent field 0 holds subnormals (false for E8M0, whose field 0 is 2^-127).
    pub subnormals: bool,
    /// Whether a NaN input's payload (top mantissa bits) is kept, as F16C and `half` do for
    /// f16/bf16; otherwise NaN inputs give the canonical quiet NaN.
    pub nan_payload: bool,
    /// The encoding sits this many bits up in its storage word (13 for TF32, kept in f32 bits).
    pub storage_shift: u32,
}

impl Spec {
    /// A row of the formats table from its columns (reference name, bits, exponent bits,
    /// mantissa bits, bias, signed, has ∞, NaN encoding), with subnormals, no NaN payload and
    /// no storage shift; a row states its exceptions to these defaults.
    #[allow(clippy::too_many_arguments)] // one table row: the columns read left to right
    pub(crate) const fn row(
        name: &'static str,
        bits: u32,
        exponent_bits: u32,
        mantissa_bits: u32,
        bias: i32,
        signed: bool,
        infinity: bool,
        nan: NanEncoding,
    ) -> Spec {
        Spec {
            name,
            bits,
            exponent_bits,
            mantissa_bits,
            bias,
            signed,
            infinity,
            nan,
            subnormals: true,
            nan_payload: false,
            storage_shift: 0,
        }
    }

    /// `==` in a `const` context (the table checks its rows at compile time with it).
    pub(crate) const fn same(&self, other: &Spec) -> bool {
        str_eq(self.name, other.name)
            && self.bits == other.bits
            && self.exponent_bits == other.exponent_bits
            && self.mantissa_bits == other.mantissa_bits
            && self.bias == other.bias
            && self.signed == other.signed
            && self.infinity == other.infinity
            && self.nan as u8 == other.nan as u8
            && self.subnormals == other.subnormals
            && self.nan_payload == other.nan_payload
            && self.storage_shift == other.storage_shift
    }

    /// Whether a format type's flags (the optional parts of its API that
    /// `formats::common::small_format!` adds) are the ones its row calls for: `signed` (zero,
    /// negation, `abs`) iff the row has a sign bit, `nan` (`NAN`) iff it has a NaN, `neg_zero`
    /// (`NEG_ZERO`) iff it has −0, `infinity` (`INFINITY`) iff it has ∞; and no other flag.
    pub(crate) const fn flags_agree(&self, flags: &[&str]) -> bool {
        let wanted = [
            ("signed", self.signed),
            ("nan", self.quiet_nan_code().is_some()),
            (
                "neg_zero",
                self.signed && !matches!(self.nan, NanEncoding::NegativeZero | NanEncoding::P3109),
            ),
            ("infinity", self.infinity),
        ];
        let mut i = 0;
        while i < wanted.len() {
            let mut found = false;
            let mut j = 0;
            while j < flags.len() {
                found |= str_eq(flags[j], wanted[i].0);
                j += 1;
            }
            if found != wanted[i].1 {
                return false;
            }
            i += 1;
        }
        let mut j = 0;
        while j < flags.len() {
            let mut known = false;
            let mut i = 0;
            while i < wanted.len() {
                known |= str_eq(flags[j], wanted[i].0);
                i += 1;
            }
            if !known {
                return false;
            }
            j += 1;
        }
        true
    }
    /// Mask of the mantissa field.
    pub const fn mantissa_mask(&self) -> u32 {
        (1 << self.mantissa_bits) - 1
    }
    /// The sign bit (0 for unsigned formats).
    pub const fn sign_mask(&self) -> u32 {
        if self.signed {
            1 << (self.bits - 1)
        } else {
            0
        }
    }
    /// Mask of the magnitude bits (exponent and mantissa).
    pub const fn magnitude_mask(&self) -> u32 {
        (1 << (self.exponent_bits + self.mantissa_bits)) - 1
    }
    /// Mask of every meaningful bit of an encoding.
    pub const fn code_mask(&self) -> u32 {
        if self.bits == 32 {
            u32::MAX
        } else {
            (1 << self.bits) - 1
        }
    }
    /// Unbiased exponent of the smallest normal binade.
    pub const fn min_exponent(&self) -> i32 {
        (if self.subnormals { 1 } else { 0 }) - self.bias
    }
    /// The magnitude code of the largest finite value.
    pub const fn max_code(&self) -> u32 {
        let all = self.magnitude_mask();
        match self.nan {
            NanEncoding::Ieee => {
                ((((1 << self.exponent_bits) - 2) as u32) << self.mantissa_bits)
                    | self.mantissa_mask()
            }
            NanEncoding::AllOnes => all - 1,
            NanEncoding::AllOnesUnsigned => all - 1,
            NanEncoding::NegativeZero | NanEncoding::None => all,
            NanEncoding::P3109 => {
                // The top magnitude code below NaN, less one where it is +∞.
                let top = if self.signed { all } else { all - 1 };
                if self.infinity {
                    top - 1
                } else {
                    top
                }
            }
        }
    }
    /// Unbiased exponent of the largest finite value.
    pub const fn max_exponent(&self) -> i32 {
        let field = (self.max_code() >> self.mantissa_bits) as i32;
        field - self.bias
    }
    /// The magnitude code of ∞ (meaningful only where [`Spec::infinity`] holds): exponent all
    /// ones and mantissa zero, or for [`NanEncoding::P3109`] the top magnitude code below NaN.
    pub const fn infinity_code(&self) -> u32 {
        match self.nan {
            NanEncoding::P3109 if self.signed => self.magnitude_mask(),
            NanEncoding::P3109 => self.code_mask() - 1,
            _ => (((1 << self.exponent_bits) - 1) as u32) << self.mantissa_bits,
        }
    }
    /// The canonical quiet NaN with the sign bit clear (None where the format has no NaN).
    #[inline]
    pub const fn quiet_nan_code(&self) -> Option<u32> {
        match self.nan {
            NanEncoding::Ieee => {
                Some(self.infinity_code() | (1 << (self.mantissa_bits.saturating_sub(1))))
            }
            NanEncoding::AllOnes => Some(self.magnitude_mask()),
            NanEncoding::NegativeZero => Some(self.sign_mask()),
            NanEncoding::AllOnesUnsigned => Some(self.code_mask()),
            NanEncoding::None => None,
            NanEncoding::P3109 if self.signed => Some(self.sign_mask()),
            NanEncoding::P3109 => Some(self.code_mask()),
        }
    }
    /// Whether an encoding is a NaN.
    pub const fn is_nan_code(&self, code: u32) -> bool {
        let code = code & self.code_mask();
        let mag = code & self.magnitude_mask();
        match self.nan {
            NanEncoding::Ieee => {
                mag & self.infinity_code() == self.infinity_code()
                    && mag & self.mantissa_mask() != 0
            }
            NanEncoding::AllOnes => mag == self.magnitude_mask(),
            NanEncoding::NegativeZero => code == self.sign_mask(),
            NanEncoding::AllOnesUnsigned => code == self.code_mask(),
            NanEncoding::None => false,
            NanEncoding::P3109 if self.signed => code == self.sign_mask(),
            NanEncoding::P3109 => code == self.code_mask(),
        }
    }
    /// Whether an encoding is ±∞.
    pub const fn is_infinite_code(&self, code: u32) -> bool {
        self.infinity && (code & self.magnitude_mask()) == self.infinity_code()
    }
    /// Whether this is an IEEE P3109 format ([`NanEncoding::P3109`]).
    pub const fn is_p3109(&self) -> bool {
        matches!(self.nan, NanEncoding::P3109)
    }
    /// The row of the IEEE P3109 format Binary{K}p{P}{s|u}{e|f}: K bits, precision P (P − 1
    /// stored fraction bits), signed or unsigned, extended (with ±∞) or finite. The exponent
    /// field has K − P bits (signed) or K − P + 1 (unsigned), and the bias is 2^(K−P−1)
    /// (signed) or 2^(K−P) (unsigned), as the interim report v4.0 §3.1 defines.
    ///
    /// # Panics
    /// At compile time (it is a `const fn` used for constants) where K is not in 3..=16 or P
    /// is not in 1..K (signed) or 1..=K (unsigned).
    pub const fn p3109(name: &'static str, k: u32, p: u32, signed: bool, extended: bool) -> Spec {
        assert!(k >= 3 && k <= 16, "P3109: K must be in 3..=16");
        assert!(
            p >= 1 && (p < k || (!signed && p == k)),
            "P3109: P must be in 1..K (signed) or 1..=K (unsigned)"
        );
        let exponent_bits = if signed { k - p } else { k - p + 1 };
        Spec {
            name,
            bits: k,
            exponent_bits,
            mantissa_bits: p - 1,
            bias: 1 << (exponent_bits - 1),
            signed,
            infinity: extended,
            nan: NanEncoding::P3109,
            subnormals: true,
            nan_payload: false,
            storage_shift: 0,
        }
    }
    /// Whether the sign bit of a (non-NaN-only) encoding is set.
    pub const fn is_negative_code(&self, code: u32) -> bool {
        code & self.sign_mask() != 0
    }
    /// The IEEE class of an encoding.
    pub const fn classify_code(&self, code: u32) -> FpCategory {
        let code = code & self.code_mask();
        if self.is_nan_code(code) {
            return FpCategory::Nan;
        }
        if self.is_infinite_code(code) {
            return FpCategory::Infinite;
        }
        let mag = code & self.magnitude_mask();
        if !self.subnormals {
            return FpCategory::Normal;
        }
        if mag == 0 {
            FpCategory::Zero
        } else if mag >> self.mantissa_bits == 0 {
            FpCategory::Subnormal
        } else {
            FpCategory::Normal
        }
    }
}

/// The bit fields of one encoding, for inspection. `Display` renders the fields separated by
/// spaces, e.g. `0 1000 110` for 3.5 in E4M3FN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fields {
    /// The sign bit (always false for unsigned formats).
    pub sign: bool,
    /// The exponent field as stored.
    pub biased_exponent: u32,
    /// The exponent field minus the bias, with subnormals reported at the minimum exponent;
    /// meaningless for NaN and ∞.
    pub exponent: i32,
    /// The mantissa (fraction) field.
    pub mantissa: u32,
    /// The IEEE class.
    pub class: FpCategory,
    /// Width of the exponent field.
    pub exponent_bits: u32,
    /// Width of the mantissa field.
    pub mantissa_bits: u32,
    /// Whether the format has a sign bit.
    pub signed: bool,
}

impl Fields {
    /// The fields of `bits` (the storage word) in the format `spec`.
    pub const fn of(spec: &Spec, bits: u32) -> Fields {
        let code = (bits >> spec.storage_shift) & spec.code_mask();
        let biased = (code & spec.magnitude_mask()) >> spec.mantissa_bits;
        let exponent = if biased == 0 && spec.subnormals {
            spec.min_exponent()
        } else {
            biased as i32 - spec.bias
        };
        Fields {
            sign: spec.is_negative_code(code),
            biased_exponent: biased,
            exponent,
            mantissa: code & spec.mantissa_mask(),
            class: spec.classify_code(code),
            exponent_bits: spec.exponent_bits,
            mantissa_bits: spec.mantissa_bits,
            signed: spec.signed,
        }
    }
}

impl fmt::Display for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.signed {
            write!(f, "{} ", self.sign as u32)?;
        }
        write!(
            f,
            "{:0w$b}",
            self.biased_exponent,
            w = self.exponent_bits as usize
        )?;
        if self.mantissa_bits > 0 {
            write!(
                f,
                " {:0w$b}",
                self.mantissa,
                w = self.mantissa_bits as usize
            )?;
        }
        Ok(())
    }
}

// The special codes of a row, shared by the rounding core, decoding and the kernels.

/// The format's quiet NaN, or 0 (+0) where it has none (FP6/FP4).
#[inline]
pub(crate) const fn quiet_nan_or_zero(spec: &Spec) -> u32 {
    match spec.quiet_nan_code() {
        Some(n) => n,
        None => 0,
    }
}

/// A magnitude with the sign applied. FNUZ and P3109 formats have no −0: a zero magnitude
/// never takes the sign (`0x80` is NaN there).
#[inline]
pub(crate) const fn with_sign(spec: &Spec, mag: u32, sign: bool) -> u32 {
    if sign && !(mag == 0 && matches!(spec.nan, NanEncoding::NegativeZero | NanEncoding::P3109)) {
        mag | spec.sign_mask()
    } else {
        mag
    }
}

/// The quiet NaN that a NaN input of the given sign gives (sign kept where NaNs are signed;
/// +0 for formats without NaN).
#[inline]
pub(crate) const fn nan_code(spec: &Spec, sign: bool) -> u32 {
    match spec.quiet_nan_code() {
        None => 0,
        Some(n) => match spec.nan {
            NanEncoding::Ieee | NanEncoding::AllOnes if sign => n | spec.sign_mask(),
            _ => n,
        },
    }
}

/// The code that ±∞ (or an overflow toward ∞) becomes: ∞ where the format has it, else NaN
/// (`fn`/`fnuz`/E8M0), else ±max (FP6/FP4).
#[inline(always)]
pub(crate) const fn infinity_or_substitute(spec: &Spec, sign: bool) -> u32 {
    if spec.infinity {
        with_sign(spec, spec.infinity_code(), sign)
    } else if spec.quiet_nan_code().is_some() {
        nan_code(spec, sign)
    } else {
        with_sign(spec, spec.max_code(), sign)
    }
}

/// The storage bits of −x: the sign bit flipped, except that FNUZ zero stays +0 (its `0x80` is
/// NaN) and unsigned formats have no negation (E8M0 gives its NaN).
pub const fn negate_bits(spec: &Spec, bits: u32) -> u32 {
    let code = (bits >> spec.storage_shift) & spec.code_mask();
    let out = if !spec.signed && spec.is_p3109() && code == 0 {
        // P3109 has no −0: −0 is 0, also in unsigned formats.
        0
    } else if !spec.signed {
        match spec.quiet_nan_code() {
            Some(n) => n,
            None => code,
        }
    } else if matches!(spec.nan, NanEncoding::NegativeZero | NanEncoding::P3109)
        && code & spec.magnitude_mask() == 0
    {
        code
    } else {
        code ^ spec.sign_mask()
    };
    out << spec.storage_shift
}

/// The storage bits of the power of two 2^e (which must be representable).
pub const fn pow2_bits(spec: &Spec, e: i32) -> u32 {
    let m = spec.mantissa_bits as i32;
    let emin = spec.min_exponent();
    let code = if e >= emin {
        ((e + spec.bias) as u32) << m
    } else {
        1u32 << (m - (emin - e))
    };
    code << spec.storage_shift
}

/// String equality in a `const` context.
const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
