//! The blocked 8-bit integer GEMM behind [`matmul_integer`](super::matmul_integer) and
//! [`qlinear_matmul`](super::qlinear_matmul).
//!
//! Every 8-bit pair of operand types (u8/i8/U4/I4 on either side) is brought to the one
//! product that AVX-512 VNNI's `vpdpbusd` computes, unsigned × signed bytes, by an offset:
//! a = a′ + o_a with a′ ∈ [0, 255] (o_a = −128 for signed A, else 0) and b = b′ + o_b with
//! b′ ∈ [−128, 127] (o_b = 128 for unsigned B, else 0). With α_i = o_a − a_zp(i) and
//! β_j = o_b − b_zp(j):
//!
//! Σ_l (a_il − a_zp)(b_lj − b_zp) = Σ_l a′_il b′_lj + β_j Σ_l a′_il + α_i Σ_l b′_lj + k α_i β_j,
//!
//! an identity of integers, hence also of their i32 wrap-around (the sums are taken modulo
//! 2^32 throughout, as onnxruntime's i32 accumulators; no product of 8-bit operands minus
//! zero points reaches 2^31, and no sum wraps before k > 33025). The row sums Σ a′ and column
//! sums Σ b′ come out of packing, so the corrections cost O(m·k + k·n + m·n).
//!
//! The layout (BLIS-style): A in panels of [`MR`] rows, B in panels of [`NR`] columns, both
//! grouped by four consecutive k (zero-padded), so that a panel's group is MR (NR) runs of
//! four bytes — one i32 lane each. A microkernel adds a panel pair's MR×NR block of
//! Σ a′·b′ over a range of groups into an i32 block; the driver blocks k ([`KC`] groups) and
//! the output ([`MC`]×[`NC`] tiles, in parallel with the `rayon` feature), then applies the
//! corrections. The microkernels (every one proven equal to [`products_scalar`] by
//! `tests/gemm_integer.rs`): `vpdpbusd` on AVX-512 VNNI, `vpmaddwd` on operands widened to
//! i16 on AVX2 (`vpmaddubsw` would saturate), and portable Rust.

use super::alloc::vec;
use super::alloc::vec::Vec;
use crate::kernels::Level;
use crate::quant::QuantInt;

/// Rows of A per panel (and of a microkernel's block).
pub(crate) const MR: usize = 8;
/// Columns of B per panel (and of a microkernel's block).
pub(crate) const NR: usize = 32;
/// Groups of four k per cache block (4 KiB of an A panel, 16 KiB of a B panel).
const KC: usize = 128;
/// Output rows per tile (a multiple of [`MR`]): the unit of parallel work.
const MC: usize = 64;
/// Output columns per tile (a multiple of [`NR`]).
const NC: usize = 256;

/// One microkernel: `c[r·NR + j] += Σ_{g < kg} Σ_{t < 4} a[(g·MR + r)·4 + t] · b[(g·NR + j)·4 + t]`,
/// i32 wrap-around. `a` holds at least `kg·MR·4` bytes, `b` at least `kg·NR·4`.
pub(crate) type Ukernel = fn(kg: usize, a: &[u8], b: &[i8], c: &mut [i32; MR * NR]);

/// The portable microkernel (the same sums as the SIMD ones, in plain Rust).
pub(crate) fn ukernel_portable(kg: usize, a: &[u8], b: &[i8], c: &mut [i32; MR * NR]) {
    let (a, b) = (&a[..kg * MR * 4], &b[..kg * NR * 4]);
    let mut acc = [0i32; MR * NR];
    for (ag, bg) in a.chunks_exact(MR * 4).zip(b.chunks_exact(NR * 4)) {
        for (r, ar) in ag.chunks_exact(4).enumerate() {
            for (j, bj) in bg.chunks_exact(4).enumerate() {
                let s: i32 = (0..4).map(|t| ar[t] as i32 * bj[t] as i32).sum();
                acc[r * NR + j] = acc[r * NR + j].wrapping_add(s);
            }
        }
    }
    for (x, s) in c.iter_mut().zip(acc) {
        *x = x.wrapping_add(s);
    }
}

/// The microkernel for the active kernel level ([`crate::kernels::active_level`]).
fn ukernel() -> Ukernel {
    #[cfg(target_arch = "x86_64")]
    {
        if let Some(u) = crate::kernels::x86::gemm_int8::ukernel(crate::kernels::active_level()) {
            return u;
        }
    }
    ukernel_portable
}

/// Whether the integer products run on the scalar model: `lowp::set_level`
/// (`Level::Scalar`) or `lowp::gemm::set_level` (`Level::Scalar`) asked for it.
pub(crate) fn scalar_requested() -> bool {
    crate::kernels::active_level() == Level::Scalar
        || super::driver::level() == super::driver::Level::Scalar
}

/// The definition: y_ij = conv(i, j, Σ_l (a_il − a_zp(i))·(b_lj − b_zp(j))), each product and
/// the sum taken modulo 2^32 (exact for 8-bit operands unless k > 33025). The reference that
/// every level of [`products`] equals; also the path of 16-bit operands.
pub(crate) fn products_scalar<A: QuantInt, B: QuantInt, T>(
    n: usize,
    k: usize,
    a: &[A],
    azp: impl Fn(usize) -> i32,
    b: &[B],
    bzp: impl Fn(usize) -> i32,
    y: &mut [T],
    conv: impl Fn(usize, usize, i32) -> T,
) {
    if n == 0 {
        return;
    }
    for (i, yr) in y.chunks_exact_mut(n).enumerate() {
        let za = azp(i);
        for (j, yv) in yr.iter_mut().enumerate() {
            let zb = bzp(j);
            let mut s = 0i32;
            for l in 0..k {
                let p = a[i * k + l]
                    .to_i32()
                    .wrapping_sub(za)
                    .wrapping_mul(b[l * n + j].to_i32().wrapping_sub(zb));
                s = s.wrapping_add(p);
            }
            *yv = conv(i, j, s);
        }
    }
}

/// `f(index, chunk)` for each `len`-element chunk of `v` (the last may be shorter), in
/// parallel with the `rayon` feature.
fn chunks<T: Send>(v: &mut [T], len: usize, f: impl Fn(usize, &mut [T]) + Sync + Send) {
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        v.par_chunks_mut(len).enumerate().for_each(|(i, c)| f(i, c));
    }
    #[cfg(not(feature = "rayon"))]
    {
        for (i, c) in v.chunks_mut(len).enumerate() {
            f(i, c);
        }
    }
}

/// A packed into panels of MR rows (a′ = a − o_a ∈ [0, 255]), with the row sums Σ_l a′_il.
fn pack_a<A: QuantInt>(m: usize, k: usize, a: &[A], kg: usize) -> (Vec<u8>, Vec<i32>) {
    let off = if A::MIN < 0 { 128 } else { 0 };
    let mut p = vec![0u8; m.div_ceil(MR) * kg * MR * 4];
    let mut sums = vec![0i32; m];
    if k == 0 {
        return (p, sums);
    }
    chunks(&mut p, kg * MR * 4, |ip, panel| {
        for r in 0..MR.min(m - ip * MR) {
            let row = &a[(ip * MR + r) * k..][..k];
            for (g, four) in row.chunks(4).enumerate() {
                for (t, v) in four.iter().enumerate() {
                    panel[(g * MR + r) * 4 + t] = (v.to_i32() + off) as u8;
                }
            }
        }
    });
    chunks(&mut sums, MC, |t, s| {
        for (r, x) in s.iter_mut().enumerate() {
            let row = &a[(t * MC + r) * k..][..k];
            *x = row
                .iter()
                .fold(0i32, |acc, v| acc.wrapping_add(v.to_i32() + off));
        }
    });
    (p, sums)
}

/// B packed into panels of NR columns (b′ = b − o_b ∈ [−128, 127]), with the column sums
/// Σ_l b′_lj.
fn pack_b<B: QuantInt>(n: usize, k: usize, b: &[B], kg: usize) -> (Vec<i8>, Vec<i32>) {
    let off = if B::MIN < 0 { 0 } else { 128 };
    let mut p = vec![0i8; n.div_ceil(NR) * kg * NR * 4];
    let mut sums = vec![0i32; n];
    if k == 0 {
        return (p, sums);
    }
    chunks(&mut p, kg * NR * 4, |jp, panel| {
        let (j0, w) = (jp * NR, NR.min(n - jp * NR));
        for l in 0..k {
            let row = &b[l * n + j0..][..w];
            let dst = &mut panel[(l / 4) * NR * 4 + l % 4..];
            for (jj, v) in row.iter().enumerate() {
                dst[jj * 4] = (v.to_i32() - off) as i8;
            }
        }
    });
    chunks(&mut sums, NR, |jp, s| {
        for l in 0..k {
            for (x, v) in s.iter_mut().zip(&b[l * n + jp * NR..]) {
                *x = x.wrapping_add(v.to_i32() - off);
            }
        }
    });
    (p, sums)
}

/// [`products_scalar`]'s result for 8-bit operands (`A::BITS`, `B::BITS` ≤ 8), by the blocked
/// kernels of the active level: same bits, much faster.
pub(crate) fn products<A: QuantInt, B: QuantInt, T: Send>(
    m: usize,
    n: usize,
    k: usize,
    a: &[A],
    azp: impl Fn(usize) -> i32 + Sync,
    b: &[B],
    bzp: impl Fn(usize) -> i32 + Sync,
    y: &mut [T],
    conv: impl Fn(usize, usize, i32) -> T + Sync,
) {
    debug_assert!(A::BITS <= 8 && B::BITS <= 8);
    if m == 0 || n == 0 {
        return;
    }
    let kg = k.div_ceil(4);
    let (pa, rs) = pack_a(m, k, a, kg);
    let (pb, cs) = pack_b(n, k, b, kg);
    let oa = if A::MIN < 0 { -128 } else { 0 };
    let ob = if B::MIN < 0 { 0 } else { 128 };
    let kw = k as i32; // modulo 2^32, as every sum here
                       // β_j Σa′ + α_i Σb′ + kα_iβ_j = β_j·(Σa′ + kα_i) + α_i·Σb′.
    let alpha: Vec<i32> = (0..m).map(|i| oa - azp(i)).collect();
    let rterm: Vec<i32> = (0..m)
        .map(|i| rs[i].wrapping_add(kw.wrapping_mul(alpha[i])))
        .collect();
    let beta: Vec<i32> = (0..n).map(|j| ob - bzp(j)).collect();
    let uk = ukernel();
    // One tile row: output rows i0 .. i0 + yr.len()/n, every column tile.
    let tile_rows = |i0: usize, yr: &mut [T]| {
        let rows = yr.len() / n;
        let rp = rows.div_ceil(MR);
        let mut buf = vec![[0i32; MR * NR]; rp * (NC / NR)];
        for j0 in (0..n).step_by(NC) {
            let cols = NC.min(n - j0);
            let cp = cols.div_ceil(NR);
            for blk in buf.iter_mut() {
                *blk = [0; MR * NR];
            }
            for g0 in (0..kg).step_by(KC) {
                let gl = KC.min(kg - g0);
                for jp in 0..cp {
                    let bp = &pb[((j0 / NR + jp) * kg + g0) * NR * 4..][..gl * NR * 4];
                    for ip in 0..rp {
                        let ap = &pa[((i0 / MR + ip) * kg + g0) * MR * 4..][..gl * MR * 4];
                        uk(gl, ap, bp, &mut buf[ip * (NC / NR) + jp]);
                    }
                }
            }
            for r in 0..rows {
                let i = i0 + r;
                let (al, rt) = (alpha[i], rterm[i]);
                let blk_row = &buf[(r / MR) * (NC / NR)..][..cp];
                let yrow = &mut yr[r * n + j0..][..cols];
                for (jp, (blk, ys)) in blk_row.iter().zip(yrow.chunks_mut(NR)).enumerate() {
                    let j1 = j0 + jp * NR;
                    let sums = &blk[(r % MR) * NR..][..ys.len()];
                    let (be, cj) = (&beta[j1..][..ys.len()], &cs[j1..][..ys.len()]);
                    for c in 0..ys.len() {
                        let s = sums[c]
                            .wrapping_add(be[c].wrapping_mul(rt))
                            .wrapping_add(al.wrapping_mul(cj[c]));
                        ys[c] = conv(i, j1 + c, s);
                    }
                }
            }
        }
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        y[..m * n]
            .par_chunks_mut(MC * n)
            .enumerate()
            .for_each(|(t, yr)| tile_rows(t * MC, yr));
    }
    #[cfg(not(feature = "rayon"))]
    {
        for (t, yr) in y[..m * n].chunks_mut(MC * n).enumerate() {
            tile_rows(t * MC, yr);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portable_microkernel_sums_the_packed_layout() {
        let kg = 3;
        let a: Vec<u8> = (0..kg * MR * 4).map(|x| (x * 37 % 256) as u8).collect();
        let b: Vec<i8> = (0..kg * NR * 4)
            .map(|x| (x * 91 % 256) as u8 as i8)
            .collect();
        let mut c = [5i32; MR * NR];
        ukernel_portable(kg, &a, &b, &mut c);
        for r in 0..MR {
            for j in 0..NR {
                let mut want = 5i32;
                for g in 0..kg {
                    for t in 0..4 {
                        want += a[(g * MR + r) * 4 + t] as i32 * b[(g * NR + j) * 4 + t] as i32;
                    }
                }
                assert_eq!(c[r * NR + j], want);
            }
        }
    }
}
