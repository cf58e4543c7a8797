//! A byte reader that turns fuzz input into typed arguments, and a format dispatcher.
#![allow(dead_code)]

/// Reads typed values from the fuzz input; past the end it gives zeros.
pub struct R<'a>(pub &'a [u8]);

const SPECIAL_F32: [f32; 24] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
    f32::MAX,
    -f32::MAX,
    f32::MIN_POSITIVE,
    1e-45,
    -1e-45,
    448.0,
    464.0,
    465.0,
    57344.0,
    6.0,
    7.5,
    28.0,
    65504.0,
    65520.0,
    3.0e38,
    1e-40,
];

impl<'a> R<'a> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    pub fn u64(&mut self) -> u64 {
        (self.u32() as u64) | ((self.u32() as u64) << 32)
    }
    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }
    /// An f32: often a special value, otherwise any bit pattern.
    pub fn f32(&mut self) -> f32 {
        let t = self.u8();
        if (t as usize) < SPECIAL_F32.len() * 2 {
            SPECIAL_F32[t as usize % SPECIAL_F32.len()]
        } else if t < 96 {
            // A small value with a short significand (typical data and scales).
            (self.u16() as i16) as f32 / 64.0
        } else {
            f32::from_bits(self.u32())
        }
    }
    /// An f64: an f32 widened, nudged, or any bit pattern.
    pub fn f64(&mut self) -> f64 {
        match self.u8() % 3 {
            0 => self.f32() as f64,
            1 => {
                self.f32() as f64
                    * (1.0 + f64::from_bits(0x3C00_0000_0000_0000 | (self.u32() as u64)))
            }
            _ => f64::from_bits(self.u64()),
        }
    }
    /// A number in 0..=max (max small).
    pub fn upto(&mut self, max: usize) -> usize {
        if max == 0 {
            return 0;
        }
        self.u16() as usize % (max + 1)
    }
    /// A size: usually small, sometimes huge.
    pub fn size(&mut self) -> usize {
        match self.u8() {
            0 => usize::MAX,
            1 => usize::MAX - self.u8() as usize,
            2 => self.u64() as usize,
            t => t as usize % 70,
        }
    }
    pub fn f32s(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.f32()).collect()
    }
    pub fn rounding(&mut self) -> lowp::Rounding {
        lowp::Rounding::ALL[self.u8() as usize % 6]
    }
    pub fn overflow(&mut self) -> lowp::Overflow {
        if self.bool() {
            lowp::Overflow::Saturate
        } else {
            lowp::Overflow::Ieee
        }
    }
}

/// Run `$body` with the type alias `$F` bound to format number `$i` (mod 15).
#[macro_export]
macro_rules! with_format {
    ($i:expr, $F:ident => $body:block) => {{
        match $i % 15 {
            0 => {
                type $F = f32;
                $body
            }
            1 => {
                type $F = lowp::TF32;
                $body
            }
            2 => {
                type $F = lowp::F16;
                $body
            }
            3 => {
                type $F = lowp::BF16;
                $body
            }
            4 => {
                type $F = lowp::F8E4M3FN;
                $body
            }
            5 => {
                type $F = lowp::F8E5M2;
                $body
            }
            6 => {
                type $F = lowp::F8E4M3FNUZ;
                $body
            }
            7 => {
                type $F = lowp::F8E5M2FNUZ;
                $body
            }
            8 => {
                type $F = lowp::F8E4M3B11FNUZ;
                $body
            }
            9 => {
                type $F = lowp::F8E3M4;
                $body
            }
            10 => {
                type $F = lowp::F8E4M3;
                $body
            }
            11 => {
                type $F = lowp::F8E8M0FNU;
                $body
            }
            12 => {
                type $F = lowp::F6E2M3FN;
                $body
            }
            13 => {
                type $F = lowp::F6E3M2FN;
                $body
            }
            _ => {
                type $F = lowp::F4E2M1FN;
                $body
            }
        }
    }};
}

/// Bits of a slice of a format.
pub fn bits<F: lowp::Format>(v: &[F]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits_u32()).collect()
}

/// f32 bits, with every NaN made one value (NaN payloads may differ between equal paths only
/// where documented; callers that need payloads compare raw bits).
pub fn fbits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}
