//! The exact reference accumulator as a blocked GEMM in binary64, where that is exact.
//!
//! Operands given as integers (fixed point, each |x| < 2^31) whose products and every partial
//! sum stay below 2^53 in magnitude (bits of A + bits of B + bits of k ≤ 53): every product
//! and every sum of them is an integer that binary64 represents exactly, so an f64 GEMM —
//! multiplies, adds or fused multiply-adds, in any order and any blocking — gives the exact
//! integer sum, whatever the FP environment (no value is subnormal or rounded). That makes
//! the FP8 E4M3 exact reference (18-bit fixed point, k up to 2^17) a register-blocked GEMM:
//! AVX-512 FMA microkernel (8×16 doubles in 16 zmm), portable fallback.

use super::alloc::vec;
use super::alloc::vec::Vec;

/// Rows of A per panel.
pub(crate) const MR: usize = 8;
/// Columns of B per panel.
pub(crate) const NR: usize = 16;
/// k per cache block.
const KC: usize = 256;
/// Output rows per parallel tile.
const MC: usize = 64;
/// Output columns per tile (a multiple of NR).
const NC: usize = 256;

/// One microkernel: `c[r·NR + j] += Σ_{p < kc} a[p·MR + r] · b[p·NR + j]`.
pub(crate) type Ukernel = fn(kc: usize, a: &[f64], b: &[f64], c: &mut [f64; MR * NR]);

/// The portable microkernel.
pub(crate) fn ukernel_portable(kc: usize, a: &[f64], b: &[f64], c: &mut [f64; MR * NR]) {
    let mut acc = [0f64; MR * NR];
    for (ap, bp) in a[..kc * MR]
        .chunks_exact(MR)
        .zip(b[..kc * NR].chunks_exact(NR))
    {
        for (r, &av) in ap.iter().enumerate() {
            for (x, &bv) in acc[r * NR..(r + 1) * NR].iter_mut().zip(bp) {
                *x += av * bv;
            }
        }
    }
    for (x, s) in c.iter_mut().zip(acc) {
        *x += s;
    }
}

fn ukernel() -> Ukernel {
    #[cfg(target_arch = "x86_64")]
    {
        if let Some(u) = crate::kernels::x86::gemm_exact::ukernel(crate::kernels::active_level()) {
            return u;
        }
    }
    ukernel_portable
}

/// `f(index, chunk)` for each `len`-element chunk of `v`, in parallel with `rayon`.
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

/// `out(Σ_l a(i·k + l) · b(l·n + j))` for every output (i, j): `a` gives A's elements (m×k
/// row-major), `b` B's (k×n row-major), as integers in f64; the sums are exact integers (see
/// the module docs for the condition the caller guarantees).
pub(crate) fn products(
    m: usize,
    n: usize,
    k: usize,
    a: impl Fn(usize) -> f64 + Sync,
    b: impl Fn(usize) -> f64 + Sync,
    y: &mut [f32],
    out: impl Fn(i64) -> f32 + Sync,
) {
    if m == 0 || n == 0 {
        return;
    }
    // Packed panels: A as MR rows × k, B as NR columns × k, zero-padded.
    let mut pa = vec![0f64; m.div_ceil(MR) * k * MR];
    let mut pb = vec![0f64; n.div_ceil(NR) * k * NR];
    if k > 0 {
        chunks(&mut pa, k * MR, |ip, panel| {
            for r in 0..MR.min(m - ip * MR) {
                let i = ip * MR + r;
                for l in 0..k {
                    panel[l * MR + r] = a(i * k + l);
                }
            }
        });
        chunks(&mut pb, k * NR, |jp, panel| {
            let (j0, w) = (jp * NR, NR.min(n - jp * NR));
            for l in 0..k {
                for c in 0..w {
                    panel[l * NR + c] = b(l * n + j0 + c);
                }
            }
        });
    }
    let uk = ukernel();
    let tile_rows = |i0: usize, yr: &mut [f32]| {
        let rows = yr.len() / n;
        let rp = rows.div_ceil(MR);
        let mut buf: Vec<[f64; MR * NR]> = vec![[0.0; MR * NR]; rp * (NC / NR)];
        for j0 in (0..n).step_by(NC) {
            let cols = NC.min(n - j0);
            let cp = cols.div_ceil(NR);
            for blk in buf.iter_mut() {
                *blk = [0.0; MR * NR];
            }
            for p0 in (0..k).step_by(KC) {
                let kc = KC.min(k - p0);
                for jp in 0..cp {
                    let bp = &pb[((j0 / NR + jp) * k + p0) * NR..][..kc * NR];
                    for ip in 0..rp {
                        let ap = &pa[((i0 / MR + ip) * k + p0) * MR..][..kc * MR];
                        uk(kc, ap, bp, &mut buf[ip * (NC / NR) + jp]);
                    }
                }
            }
            for r in 0..rows {
                let blk_row = &buf[(r / MR) * (NC / NR)..][..cp];
                let yrow = &mut yr[r * n + j0..][..cols];
                for (blk, ys) in blk_row.iter().zip(yrow.chunks_mut(NR)) {
                    for (c, o) in ys.iter_mut().enumerate() {
                        *o = out(blk[(r % MR) * NR + c] as i64);
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
