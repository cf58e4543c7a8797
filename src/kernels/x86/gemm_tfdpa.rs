//! The AVX-512 microkernel of `lowp::gemm`'s T-FDPA GEMM on 8-bit operands
//! (`crate::gemm::tfdpa`, which states the arithmetic and the packing; tests/gemm_tfdpa.rs
//! proves every level equal to the scalar model).
//!
//! 16 columns × 2 elements of k per zmm register (16-bit lanes), MR = 4 rows × NR = 32
//! columns per call: per pair of k and per register, pass 1 is `vpaddw` + `vpmaxsw`; pass 2 is
//! `vpaddw`, `vpsubw` (the shift e_max − ea − eb), `vpmullw` (|sa|·|sb|), `vpsrlvw` (the
//! truncation: counts ≥ 16 give 0), `vpternlogd` (the product's sign as ±1) and `vpdpwssd`
//! (VNNI: both elements of the pair, signed, added to the column's 32-bit sum). The output
//! rounding is done per 32-bit lane with `vplzcntd` (AVX-512 CD). Integer instructions only:
//! nothing depends on MXCSR. The AVX2 level runs the portable kernel compiled with AVX2.

use crate::gemm::tfdpa::{ukernel_portable, TileArgs, Ukernel, MR, NR};
use crate::kernels::Level;
use core::arch::x86_64::*;

/// Column groups of 16 per call.
const G: usize = NR / 16;

// Registers are indexed by row and column group: plain index loops read best.
#[allow(clippy::needless_range_loop)]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512cd,avx512vnni")]
fn avx512_tf(t: &TileArgs, acc: &mut [u32; MR * NR]) -> [u32; MR] {
    let pairs = t.l / 2;
    let bl = pairs * NR * 2;
    // Every load below is inside these slices (checked once here).
    assert!(
        t.l.is_multiple_of(2) && t.b_mag.len() >= bl && t.b_exp.len() >= bl && t.b_sgn.len() >= bl
    );
    let alen = (MR - 1) * t.k + t.lo + t.l;
    assert!(t.a_mag.len() >= alen && t.a_exp.len() >= alen && t.a_sgn.len() >= alen);
    let zero = _mm512_setzero_si512();
    let ones16 = _mm512_set1_epi16(1);
    let (bm, be, bs) = (t.b_mag.as_ptr(), t.b_exp.as_ptr(), t.b_sgn.as_ptr());
    let (am, ae, asg) = (t.a_mag.as_ptr(), t.a_exp.as_ptr(), t.a_sgn.as_ptr());
    // The pair (k = lo + 2p, lo + 2p + 1) of row r of `base`, broadcast to every 32-bit lane.
    let pair = |base: *const i16, r: usize, p: usize| -> __m512i {
        // SAFETY: r < MR and 2p + 1 < l, so r·k + lo + 2p + 1 < alen ≤ the slice's length
        // (asserted above): two i16 read unaligned as one i32.
        unsafe {
            _mm512_set1_epi32(core::ptr::read_unaligned(
                base.add(r * t.k + t.lo + 2 * p) as *const i32
            ))
        }
    };
    // Register g of pair p of a B array.
    let bload = |base: *const i16, p: usize, g: usize| -> __m512i {
        // SAFETY: p < pairs and g < G: 32 i16 at p·2·NR + 32g, inside the bl elements asserted.
        unsafe { _mm512_loadu_si512(base.add(p * NR * 2 + g * 32) as *const __m512i) }
    };
    let cload = |acc: &[u32; MR * NR], r: usize, g: usize| -> __m512i {
        // SAFETY: r < MR, g < G: 16 u32 at r·NR + 16g inside the MR·NR array.
        unsafe { _mm512_loadu_si512(acc.as_ptr().add(r * NR + g * 16) as *const __m512i) }
    };
    let mut bad = [0u32; MR];
    // The accumulators' exponents (a zero one: e_zero), in both 16-bit halves of each lane.
    let mut emax = [[zero; G]; MR];
    for r in 0..MR {
        for g in 0..G {
            let c = cload(acc, r, g);
            let field = _mm512_and_si512(_mm512_srli_epi32(c, 23), _mm512_set1_epi32(0xFF));
            let mant = _mm512_and_si512(c, _mm512_set1_epi32(0x7F_FFFF));
            let cexp = _mm512_sub_epi32(
                _mm512_max_epi32(field, _mm512_set1_epi32(1)),
                _mm512_set1_epi32(127),
            );
            let czero = _mm512_cmpeq_epi32_mask(_mm512_or_si512(field, mant), zero);
            let ec = _mm512_mask_mov_epi32(cexp, czero, _mm512_set1_epi32(t.e_zero));
            emax[r][g] = _mm512_or_si512(
                _mm512_and_si512(ec, _mm512_set1_epi32(0xFFFF)),
                _mm512_slli_epi32(ec, 16),
            );
            let inf_nan = _mm512_cmpeq_epi32_mask(field, _mm512_set1_epi32(0xFF));
            bad[r] |= (inf_nan as u32) << (16 * g);
        }
    }
    // Pass 1: the largest exponent per column, then over the pair's two halves.
    for p in 0..pairs {
        let eb: [__m512i; G] = core::array::from_fn(|g| bload(be, p, g));
        for (r, em) in emax.iter_mut().enumerate() {
            let ea = pair(ae, r, p);
            for g in 0..G {
                em[g] = _mm512_max_epi16(em[g], _mm512_add_epi16(ea, eb[g]));
            }
        }
    }
    for em in emax.iter_mut() {
        for e in em.iter_mut() {
            *e = _mm512_max_epi16(*e, _mm512_rol_epi32(*e, 16));
        }
    }
    // Pass 2: each product shifted down to e_max (truncated), signed, summed per column.
    let mut sum = [[zero; G]; MR];
    for p in 0..pairs {
        let eb: [__m512i; G] = core::array::from_fn(|g| bload(be, p, g));
        let mb: [__m512i; G] = core::array::from_fn(|g| bload(bm, p, g));
        let sb: [__m512i; G] = core::array::from_fn(|g| bload(bs, p, g));
        for r in 0..MR {
            let (ea, ma, sa) = (pair(ae, r, p), pair(am, r, p), pair(asg, r, p));
            for g in 0..G {
                let d = _mm512_sub_epi16(emax[r][g], _mm512_add_epi16(ea, eb[g]));
                let v = _mm512_srlv_epi16(_mm512_mullo_epi16(ma, mb[g]), d);
                // (σa ⊕ σb) | 1: +1 or −1 per 16-bit lane.
                let sg = _mm512_ternarylogic_epi32(sa, sb[g], ones16, 0xBE);
                sum[r][g] = _mm512_dpwssd_epi32(sum[r][g], v, sg);
            }
        }
    }
    // The accumulator's term, the sum, and the truncating output rounding.
    let fb = t.fb as i32;
    for r in 0..MR {
        for g in 0..G {
            let c = cload(acc, r, g);
            let field = _mm512_and_si512(_mm512_srli_epi32(c, 23), _mm512_set1_epi32(0xFF));
            let mant = _mm512_and_si512(c, _mm512_set1_epi32(0x7F_FFFF));
            let normal = _mm512_cmpneq_epi32_mask(field, zero);
            let csig = _mm512_mask_or_epi32(mant, normal, mant, _mm512_set1_epi32(1 << 23));
            let cexp = _mm512_sub_epi32(
                _mm512_max_epi32(field, _mm512_set1_epi32(1)),
                _mm512_set1_epi32(127),
            );
            let em = _mm512_srai_epi32(emax[r][g], 16);
            // (23 − F) + e_max − e_c: negative only for a zero c (a count ≥ 32 gives 0).
            let dc = _mm512_add_epi32(_mm512_sub_epi32(em, cexp), _mm512_set1_epi32(23 - t.f));
            let ct = _mm512_srlv_epi32(csig, dc);
            let cneg = _mm512_movepi32_mask(c);
            let ct = _mm512_mask_sub_epi32(ct, cneg, zero, ct);
            let s = _mm512_add_epi32(sum[r][g], ct);
            let mag = _mm512_abs_epi32(s);
            let bits = _mm512_sub_epi32(_mm512_set1_epi32(32), _mm512_lzcnt_epi32(mag));
            let lead = _mm512_add_epi32(_mm512_sub_epi32(em, _mm512_set1_epi32(t.f + 1)), bits);
            let sh = _mm512_sub_epi32(bits, _mm512_set1_epi32(1 + fb));
            // One of the two shifts has a negative (huge) count and gives 0.
            let m = _mm512_or_si512(
                _mm512_srlv_epi32(mag, sh),
                _mm512_sllv_epi32(mag, _mm512_sub_epi32(zero, sh)),
            );
            let m = _mm512_sllv_epi32(
                _mm512_and_si512(m, _mm512_set1_epi32((1 << fb) - 1)),
                _mm512_set1_epi32(23 - fb),
            );
            let e = _mm512_slli_epi32(
                _mm512_and_si512(
                    _mm512_add_epi32(lead, _mm512_set1_epi32(127)),
                    _mm512_set1_epi32(0xFF),
                ),
                23,
            );
            let sign = _mm512_and_si512(s, _mm512_set1_epi32(i32::MIN));
            let out = _mm512_or_si512(_mm512_or_si512(sign, e), m);
            let nonzero = _mm512_cmpneq_epi32_mask(s, zero);
            let ok = _mm512_cmpge_epi32_mask(lead, _mm512_set1_epi32(-126))
                & _mm512_cmple_epi32_mask(lead, _mm512_set1_epi32(127));
            let inf_nan = _mm512_cmpeq_epi32_mask(field, _mm512_set1_epi32(0xFF));
            let redo = (nonzero & !ok) | inf_nan;
            bad[r] |= (redo as u32) << (16 * g);
            // Zero sums are +0; lanes to redo keep their accumulator.
            let out = _mm512_mask_mov_epi32(c, !redo, _mm512_maskz_mov_epi32(nonzero, out));
            // SAFETY: r < MR, g < G: 16 u32 at r·NR + 16g inside the MR·NR array.
            unsafe {
                _mm512_storeu_si512(acc.as_mut_ptr().add(r * NR + g * 16) as *mut __m512i, out)
            };
        }
    }
    bad
}

#[target_feature(enable = "avx2,fma")]
fn avx2_tf(t: &TileArgs, acc: &mut [u32; MR * NR]) -> [u32; MR] {
    ukernel_portable(t, acc)
}

fn avx512(t: &TileArgs, acc: &mut [u32; MR * NR]) -> [u32; MR] {
    // SAFETY: handed out by `ukernel` only after detecting AVX-512 F/BW/DQ/CD and VNNI.
    unsafe { avx512_tf(t, acc) }
}

fn avx2(t: &TileArgs, acc: &mut [u32; MR * NR]) -> [u32; MR] {
    // SAFETY: handed out by `ukernel` only after detecting AVX2 and FMA (the AVX2 level).
    unsafe { avx2_tf(t, acc) }
}

/// The microkernel for kernel level `level` (`None`: the portable one).
pub(crate) fn ukernel(level: Level) -> Option<Ukernel> {
    match level {
        Level::Avx512 if Level::Avx512.is_available() && super::gemm::has_cd_vnni() => Some(avx512),
        Level::Avx512 | Level::Avx2 if Level::Avx2.is_available() => Some(avx2),
        _ => None,
    }
}
