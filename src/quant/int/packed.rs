//! 4-bit values packed two per byte (ONNX `int4` / `uint4`: element 0 in the low nibble),
//! through the crate's one bit packer ([`crate::packing`]), and per-tensor quantization
//! straight into that layout.

use super::super::{check_len, Plan};
use super::jobs;
use super::{Nibble, QParams};
use crate::packing::{pack_bits, pack_groups, unpack_bits, unpack_groups};
use crate::Error;

/// Values per group of the packing loops: 96 nibbles, 48 bytes (whole groups of the packer's
/// fast path).
const GROUP: usize = 96;

/// Bytes that `n` packed 4-bit values take: ⌈n / 2⌉.
pub const fn packed_4bit_len(n: usize) -> usize {
    n.div_ceil(2)
}

/// Pack 4-bit values two per byte, element 0 in the low nibble (ONNX `int4`/`uint4`); the
/// unused high nibble of an odd-length tail is 0. `dst.len()` must be ⌈`src.len()` / 2⌉.
///
/// ```
/// use lowp::quant::{pack_4bit, I4};
/// let v = [I4::new(-1).unwrap(), I4::new(2).unwrap(), I4::new(7).unwrap()];
/// let mut b = [0u8; 2];
/// pack_4bit(&v, &mut b)?;
/// assert_eq!(b, [0x2F, 0x07]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn pack_4bit<Q: Nibble>(src: &[Q], dst: &mut [u8]) -> Result<(), Error> {
    check_len(packed_4bit_len(src.len()), dst.len())?;
    // Whole groups through the packer's fast path, the rest through the packer itself.
    let groups = src.len() / GROUP;
    let (sb, st) = src.split_at(groups * GROUP);
    let (db, dt) = dst.split_at_mut(groups * GROUP / 2);
    let mut codes = [0u32; GROUP];
    for (s, d) in sb.chunks_exact(GROUP).zip(db.chunks_exact_mut(GROUP / 2)) {
        for (c, q) in codes.iter_mut().zip(s) {
            *c = q.to_nibble() as u32;
        }
        pack_groups(&codes, 4, d);
    }
    pack_bits(st.iter().map(|q| q.to_nibble() as u32), 4, dt);
    Ok(())
}

/// Unpack `dst.len()` 4-bit values from `src` (⌈`dst.len()` / 2⌉ bytes, element 0 in the low
/// nibble).
pub fn unpack_4bit<Q: Nibble>(src: &[u8], dst: &mut [Q]) -> Result<(), Error> {
    check_len(packed_4bit_len(dst.len()), src.len())?;
    let groups = dst.len() / GROUP;
    let (sb, st) = src.split_at(groups * GROUP / 2);
    let (db, dt) = dst.split_at_mut(groups * GROUP);
    let mut codes = [0u32; GROUP];
    for (s, d) in sb.chunks_exact(GROUP / 2).zip(db.chunks_exact_mut(GROUP)) {
        unpack_groups(s, 4, &mut codes);
        for (q, &c) in d.iter_mut().zip(&codes) {
            *q = Q::from_nibble(c as u8);
        }
    }
    let mut it = dt.iter_mut();
    unpack_bits(st, 4, it.len(), |c| {
        if let Some(q) = it.next() {
            *q = Q::from_nibble(c as u8);
        }
    });
    Ok(())
}

/// Quantize per tensor to a 4-bit type packed two per byte (element 0 in the low nibble; an
/// odd tail leaves the last high nibble 0). `out.len()` must be ⌈`x.len()` / 2⌉. Rounding, NaN
/// and overflow as [`quantize`](super::quantize).
///
/// ```
/// use lowp::quant::{quantize_packed, QParams, I4};
/// let mut b = [0u8; 2];
/// quantize_packed::<I4>(&[-1.0, 2.0, 100.0], QParams::new(1.0, 0), &mut b)?;
/// assert_eq!(b, [0x2F, 0x07]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn quantize_packed<Q: Nibble>(x: &[f32], p: QParams, out: &mut [u8]) -> Result<(), Error> {
    p.check::<Q>()?;
    check_len(packed_4bit_len(x.len()), out.len())?;
    jobs::quantize_packed::<Q>(x, p, out);
    Ok(())
}

/// Dequantize `out.len()` packed 4-bit values (⌈`out.len()` / 2⌉ bytes in `packed`).
///
/// ```
/// use lowp::quant::{dequantize_packed, QParams, U4};
/// let mut y = [0f32; 3];
/// dequantize_packed::<U4>(&[0xF0, 0x08], QParams::new(0.5, 8), &mut y)?;
/// assert_eq!(y, [-4.0, 3.5, 0.0]);
/// # Ok::<(), lowp::Error>(())
/// ```
pub fn dequantize_packed<Q: Nibble>(
    packed: &[u8],
    p: QParams,
    out: &mut [f32],
) -> Result<(), Error> {
    p.check::<Q>()?;
    check_len(packed_4bit_len(out.len()), packed.len())?;
    jobs::dequantize_packed::<Q>(packed, p, out);
    Ok(())
}

/// Per-axis quantization into packed nibbles, without an unpacked copy: the body of
/// [`quantize_per_axis_packed`](crate::quant::quantize_per_axis_packed) (the packed length checked
/// first, then what [`quantize_per_axis`](super::quantize_per_axis) checks).
pub(crate) fn quantize_per_axis_packed<Q: Nibble>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    params: &[QParams],
    out: &mut [u8],
) -> Result<(), Error> {
    check_len(packed_4bit_len(x.len()), out.len())?;
    let plan = Plan::new(x.len(), shape, axis, None)?;
    jobs::quantize_per_axis_packed::<Q>(&plan, x, params, out)
}

/// Per-axis dequantization of packed nibbles, without an unpacked copy: the body of
/// [`dequantize_per_axis_packed`](crate::quant::dequantize_per_axis_packed).
pub(crate) fn dequantize_per_axis_packed<Q: Nibble>(
    packed: &[u8],
    shape: &[usize],
    axis: usize,
    params: &[QParams],
    out: &mut [f32],
) -> Result<(), Error> {
    check_len(packed_4bit_len(out.len()), packed.len())?;
    let plan = Plan::new(out.len(), shape, axis, None)?;
    jobs::dequantize_per_axis_packed::<Q>(&plan, packed, params, out)
}
