//! The AVX-512 microkernel of `lowp::gemm`'s exact reference GEMM (`crate::gemm::exact_gemm`,
//! which states when binary64 sums are exact and proves the kernels equal through the tests):
//! an 8×16 block of doubles in 16 zmm accumulators, one `vfmadd231pd` per 8 products.

use crate::gemm::exact_gemm::{Ukernel, MR, NR};
use crate::kernels::Level;
use core::arch::x86_64::*;

#[target_feature(enable = "avx512f")]
fn avx512_tf(kc: usize, a: &[f64], b: &[f64], c: &mut [f64; MR * NR]) {
    let (a, b) = (&a[..kc * MR], &b[..kc * NR]);
    let mut acc = [[_mm512_setzero_pd(); 2]; MR];
    for (ap, bp) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
        // SAFETY: `bp` holds NR = 16 doubles: two unaligned 8-double loads inside it.
        let (b0, b1) = unsafe {
            (
                _mm512_loadu_pd(bp.as_ptr()),
                _mm512_loadu_pd(bp.as_ptr().add(8)),
            )
        };
        for (r, acc_r) in acc.iter_mut().enumerate() {
            let av = _mm512_set1_pd(ap[r]);
            acc_r[0] = _mm512_fmadd_pd(av, b0, acc_r[0]);
            acc_r[1] = _mm512_fmadd_pd(av, b1, acc_r[1]);
        }
    }
    for (r, acc_r) in acc.iter().enumerate() {
        for (h, v) in acc_r.iter().enumerate() {
            let dst = &mut c[r * NR + h * 8..][..8];
            // SAFETY: `dst` holds 8 doubles: one unaligned load and store inside it.
            unsafe {
                let old = _mm512_loadu_pd(dst.as_ptr());
                _mm512_storeu_pd(dst.as_mut_ptr(), _mm512_add_pd(old, *v));
            }
        }
    }
}

fn avx512(kc: usize, a: &[f64], b: &[f64], c: &mut [f64; MR * NR]) {
    // SAFETY: handed out by `ukernel` only after detecting AVX-512 F.
    unsafe { avx512_tf(kc, a, b, c) }
}

/// The microkernel for kernel level `level` (`None`: the portable one).
pub(crate) fn ukernel(level: Level) -> Option<Ukernel> {
    match level {
        Level::Avx512 if Level::Avx512.is_available() => Some(avx512),
        _ => None,
    }
}
