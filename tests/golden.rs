//! Golden vectors from the reference implementation, ml_dtypes (numpy for float16), checked
//! in under `tests/data/golden/` by `scripts/gen_golden.py` (see its header and the README
//! there for the file formats and how to regenerate them).
//!
//! Every result must match the reference bit for bit, except the divergences that
//! CONTRACT.md documents; each of those is matched by a narrow rule below that names the
//! CONTRACT.md clause and checks lowp's documented result instead.

use lowp::{
    Format, NanEncoding, BF16, F16, F4E2M1FN, F6E2M3FN, F6E3M2FN, F8E3M4, F8E4M3, F8E4M3B11FNUZ,
    F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0FNU,
};

/// The reference versions the data came from, printed on every failure.
const VERSIONS: &str = include_str!("data/golden/VERSIONS.txt");

const F32_QUIET: u32 = 0x0040_0000;

fn f32_is_nan(bits: u32) -> bool {
    f32::from_bits(bits).is_nan()
}

fn u32_at(data: &[u8], offset: usize) -> u32 {
    u32::from_le_bytes(data[offset..offset + 4].try_into().unwrap())
}

fn fnv1a64(data: &[u8]) -> u64 {
    data.iter().fold(0xCBF2_9CE4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01B3)
    })
}

/// Collects mismatches and panics with all of them (the first 40 in full) at the end.
struct Report {
    format: &'static str,
    what: &'static str,
    checked: usize,
    failures: Vec<String>,
}

impl Report {
    fn new<F: Format>(what: &'static str) -> Self {
        Report {
            format: F::NAME,
            what,
            checked: 0,
            failures: Vec::new(),
        }
    }

    fn check(&mut self, ok: bool, msg: impl FnOnce() -> String) {
        self.checked += 1;
        if !ok {
            self.failures.push(msg());
        }
    }

    fn finish(self) {
        assert!(
            self.checked > 0,
            "{} {}: no vectors",
            self.format,
            self.what
        );
        if !self.failures.is_empty() {
            let shown: Vec<&str> = self.failures.iter().take(40).map(|s| s.as_str()).collect();
            panic!(
                "{} {}: {} of {} vectors differ from the reference ({}):\n{}",
                self.format,
                self.what,
                self.failures.len(),
                self.checked,
                VERSIONS.trim(),
                shown.join("\n")
            );
        }
    }
}

/// Whether the format's NaN codes carry a sign that CONTRACT.md §2/§3 says lowp keeps.
fn signed_nan<F: Format>() -> bool {
    matches!(F::SPEC.nan, NanEncoding::Ieee | NanEncoding::AllOnes)
}

/// Decoding of a format of at most 8 bits: every code.
fn decode_small<F: Format>(data: &[u8]) {
    let mut r = Report::new::<F>("decode");
    assert_eq!(
        data.len(),
        4 << F::SPEC.bits,
        "{}: decode data size",
        F::NAME
    );
    for code in 0..1u32 << F::SPEC.bits {
        let want = u32_at(data, 4 * code as usize);
        let got = F::from_bits_u32(code).to_f32().to_bits();
        let ok = if f32_is_nan(want) {
            // CONTRACT.md §2: a quiet NaN with the encoding's sign where the format has signed
            // NaNs; the payload of a narrow format's NaN is not specified (lowp: canonical).
            f32_is_nan(got) && (!signed_nan::<F>() || (got ^ want) >> 31 == 0)
        } else {
            got == want
        };
        r.check(ok, || {
            format!("  code {code:#04x}: reference f32 {want:#010x}, lowp {got:#010x}")
        });
    }
    r.finish();
}

/// lowp's decoding with a NaN's quiet bit set: CONTRACT.md §2 says f16/bf16 NaN decodes to a
/// quiet NaN keeping sign and payload, as F16C does, where numpy's and ml_dtypes' software
/// conversions keep a signalling NaN signalling. The generator hashes the same normal form.
fn quieted(bits: u32) -> u32 {
    if f32_is_nan(bits) {
        bits | F32_QUIET
    } else {
        bits
    }
}

/// Decoding of a 16-bit format: all 65536 codes against per-256-code hashes, and the listed
/// sample (subnormals, the first normal binade, ∞/NaN, every 97th code) one by one.
fn decode_16<F: Format>(hashes: &[u8], sample: &[u8]) {
    let mut r = Report::new::<F>("decode");
    assert_eq!(hashes.len(), 256 * 8, "{}: hash data size", F::NAME);
    for block in 0..256u32 {
        let bytes: Vec<u8> = (0..256)
            .flat_map(|lo| {
                let got = F::from_bits_u32(block << 8 | lo).to_f32().to_bits();
                quieted(got).to_le_bytes()
            })
            .collect();
        let want = u64::from_le_bytes(hashes[8 * block as usize..][..8].try_into().unwrap());
        r.check(fnv1a64(&bytes) == want, || {
            format!(
                "  codes {:#06x}..={:#06x}: hash differs (see the sample mismatches, if any)",
                block << 8,
                block << 8 | 0xFF
            )
        });
    }
    assert_eq!(sample.len() % 8, 0, "{}: sample data size", F::NAME);
    for rec in sample.chunks_exact(8) {
        let (code, want) = (u32_at(rec, 0), u32_at(rec, 4));
        let got = F::from_bits_u32(code).to_f32().to_bits();
        r.check(got == quieted(want), || {
            format!("  code {code:#06x}: reference f32 {want:#010x}, lowp {got:#010x}")
        });
    }
    r.finish();
}

/// Encoding from f32 with nearest-even and `Overflow::Ieee` (ml_dtypes' `astype`).
fn encode<F: Format>(data: &[u8]) {
    let mut r = Report::new::<F>("encode");
    let code_bytes = if F::SPEC.bits > 8 { 2 } else { 1 };
    let rec_len = 4 + code_bytes;
    assert_eq!(data.len() % rec_len, 0, "{}: encode data size", F::NAME);
    for rec in data.chunks_exact(rec_len) {
        let x = u32_at(rec, 0);
        let want = if code_bytes == 2 {
            u16::from_le_bytes([rec[4], rec[5]]) as u32
        } else {
            rec[4] as u32
        };
        let got = F::from_f32(f32::from_bits(x)).to_bits_u32();
        let spec = F::SPEC;
        let ok = if f32_is_nan(x) && spec.nan == NanEncoding::None {
            // CONTRACT.md §3 "Special inputs": formats without NaN (FP6/FP4) give +0 for a NaN
            // input. ml_dtypes gives −0 for a NaN with the sign bit clear (e.g. 0x7FC0_0000 →
            // 0x08 in FP4, 0x20 in FP6) and +0 for one with it set.
            got == 0
        } else if f32_is_nan(x) && spec.nan_payload {
            // CONTRACT.md §3 "Special inputs": f16/bf16 keep the payload with the quiet bit set
            // (ml_dtypes' bf16 gives the canonical NaN, numpy's f16 keeps signalling NaNs
            // signalling): compare NaN-ness and sign only.
            spec.is_nan_code(got) && spec.is_nan_code(want) && (got ^ want) & spec.sign_mask() == 0
        } else if spec.nan == NanEncoding::AllOnesUnsigned && x > 0x0040_0000 && x < 0x0080_0000 {
            // CONTRACT.md §3, E8M0: ml_dtypes rounds every f32 subnormal in (2^-127, 2^-126) up
            // to 2^-126; lowp rounds to nearest, the midpoint 1.5·2^-127 (0x0060_0000) up.
            got == if x < 0x0060_0000 { 0x00 } else { 0x01 }
        } else {
            got == want
        };
        r.check(ok, || {
            format!(
                "  input {x:#010x} ({:e}): reference {want:#04x}, lowp {got:#04x}",
                f32::from_bits(x)
            )
        });
    }
    r.finish();
}

macro_rules! golden {
    ($decode:ident, $encode:ident, $ty:ty, $name:literal) => {
        #[test]
        fn $decode() {
            assert_eq!(<$ty as Format>::NAME, $name);
            decode_small::<$ty>(include_bytes!(concat!(
                "data/golden/",
                $name,
                ".decode.bin"
            )));
        }
        #[test]
        fn $encode() {
            encode::<$ty>(include_bytes!(concat!(
                "data/golden/",
                $name,
                ".encode.bin"
            )));
        }
    };
    ($decode:ident, $encode:ident, $ty:ty, $name:literal, 16) => {
        #[test]
        fn $decode() {
            assert_eq!(<$ty as Format>::NAME, $name);
            decode_16::<$ty>(
                include_bytes!(concat!("data/golden/", $name, ".decode_hash.bin")),
                include_bytes!(concat!("data/golden/", $name, ".decode_sample.bin")),
            );
        }
        #[test]
        fn $encode() {
            encode::<$ty>(include_bytes!(concat!(
                "data/golden/",
                $name,
                ".encode.bin"
            )));
        }
    };
}

golden!(decode_f8e4m3fn, encode_f8e4m3fn, F8E4M3FN, "float8_e4m3fn");
golden!(decode_f8e5m2, encode_f8e5m2, F8E5M2, "float8_e5m2");
golden!(
    decode_f8e4m3fnuz,
    encode_f8e4m3fnuz,
    F8E4M3FNUZ,
    "float8_e4m3fnuz"
);
golden!(
    decode_f8e5m2fnuz,
    encode_f8e5m2fnuz,
    F8E5M2FNUZ,
    "float8_e5m2fnuz"
);
golden!(
    decode_f8e4m3b11fnuz,
    encode_f8e4m3b11fnuz,
    F8E4M3B11FNUZ,
    "float8_e4m3b11fnuz"
);
golden!(decode_f8e3m4, encode_f8e3m4, F8E3M4, "float8_e3m4");
golden!(decode_f8e4m3, encode_f8e4m3, F8E4M3, "float8_e4m3");
golden!(
    decode_f8e8m0fnu,
    encode_f8e8m0fnu,
    F8E8M0FNU,
    "float8_e8m0fnu"
);
golden!(decode_f6e2m3fn, encode_f6e2m3fn, F6E2M3FN, "float6_e2m3fn");
golden!(decode_f6e3m2fn, encode_f6e3m2fn, F6E3M2FN, "float6_e3m2fn");
golden!(decode_f4e2m1fn, encode_f4e2m1fn, F4E2M1FN, "float4_e2m1fn");
golden!(decode_bf16, encode_bf16, BF16, "bfloat16", 16);
golden!(decode_f16, encode_f16, F16, "float16", 16);
