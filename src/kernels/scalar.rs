//! The scalar level: one call of the scalar core ([`mod@crate::round`], through the [`Format`]
//! methods) per element. It is the reference every other level is tested against, and a way
//! for users to rule the SIMD kernels out.

use super::blocks::N;
use super::lanes::{splitmix_word, EncodeParams};
use crate::format::Format;
use crate::packing::{self, Packable};

#[inline]
fn one<F: Format>(x: f32, p: &EncodeParams, index: u64) -> F {
    if p.stochastic {
        F::from_f32_stochastic(x, splitmix_word(p.seed, index), p.overflow)
    } else {
        F::from_f32_with(x, p.rounding, p.overflow)
    }
}

pub(crate) fn encode<F: Format>(src: &[f32], dst: &mut [F], p: &EncodeParams, start: u64) {
    for (i, (s, d)) in src.iter().zip(dst.iter_mut()).enumerate() {
        *d = one(*s, p, start.wrapping_add(i as u64));
    }
}

pub(crate) fn decode<F: Format>(src: &[F], dst: &mut [f32]) {
    for (s, d) in src.iter().zip(dst.iter_mut()) {
        *d = s.to_f32();
    }
}

pub(crate) fn fake_quantize<F: Format>(src: &[f32], dst: &mut [f32], p: &EncodeParams, start: u64) {
    for (i, (s, d)) in src.iter().zip(dst.iter_mut()).enumerate() {
        *d = one::<F>(*s, p, start.wrapping_add(i as u64)).to_f32();
    }
}

pub(crate) fn fake_quantize_in_place<F: Format>(data: &mut [f32], p: &EncodeParams, start: u64) {
    for (i, x) in data.iter_mut().enumerate() {
        *x = one::<F>(*x, p, start.wrapping_add(i as u64)).to_f32();
    }
}

pub(crate) fn convert<S: Format, D: Format>(
    src: &[S],
    dst: &mut [D],
    p: &EncodeParams,
    start: u64,
) {
    for (i, (s, d)) in src.iter().zip(dst.iter_mut()).enumerate() {
        *d = one(s.to_f32(), p, start.wrapping_add(i as u64));
    }
}

pub(crate) fn encode_packed<F: Packable>(
    src: &[f32],
    dst: &mut [u8],
    p: &EncodeParams,
    start: u64,
) {
    // Whole blocks of N elements fill whole bytes, so each block packs on its own.
    let bb = N * F::WIDTH as usize / 8;
    let mut block = [F::from_bits_u32(0); N];
    for (k, (s, d)) in src.chunks(N).zip(dst.chunks_mut(bb)).enumerate() {
        let index = start.wrapping_add((k * N) as u64);
        encode(s, &mut block[..s.len()], p, index);
        packing::pack(&block[..s.len()], d);
    }
}

pub(crate) fn decode_packed<F: Packable>(src: &[u8], dst: &mut [f32]) {
    let bb = N * F::WIDTH as usize / 8;
    let mut block = [F::from_bits_u32(0); N];
    for (s, d) in src.chunks(bb).zip(dst.chunks_mut(N)) {
        packing::unpack(s, &mut block[..d.len()]);
        decode(&block[..d.len()], d);
    }
}
