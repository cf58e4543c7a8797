//! The quantizer tests' small deterministic generator (xorshift64), shared so that each test
//! file's data comes from the same sequence for the same seed.

#![allow(dead_code)]

/// xorshift64 with the (13, 7, 17) shifts; the seed must not be 0.
pub struct Rng(pub u64);

impl Rng {
    /// The next 32 random bits (the high half of the state).
    pub fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 32) as u32
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u32) -> u32 {
        self.next() % n
    }

    /// −1 when the next word is even, else +1.
    pub fn sign(&mut self) -> f32 {
        if self.below(2) == 0 {
            -1.0
        } else {
            1.0
        }
    }
}
