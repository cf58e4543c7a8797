//! `lowp::gemm`'s inner loops (written once in `crate::gemm::fast`) compiled with AVX2 and
//! with AVX-512 (F, BW, VL, DQ, CD for the leading-zero counts, VNNI detected with
//! them) enabled; the 8-bit integer GEMM's microkernels are in `gemm_int8`.
//!
//! Each `#[target_feature]` function only inlines the portable loop; the safe wrappers are
//! handed out by [`kernels`] only when the cached detection of [`crate::kernels::Level`] says
//! the CPU has the features.

use crate::gemm::fast::{
    dot_i32, max_exp, tfdpa_panel, tfdpa_panel32, tfdpa_sum, Kernels, PanelArgs, W,
};
use crate::kernels::Level;

macro_rules! isa {
    ($name:ident, $features:literal) => {
        mod $name {
            #[target_feature(enable = $features)]
            fn tfdpa_sum_tf(
                sa: &[i32],
                ea: &[i32],
                sb: &[i32],
                eb: &[i32],
                s0: u32,
                e: i32,
            ) -> i64 {
                super::tfdpa_sum(sa, ea, sb, eb, s0, e)
            }
            #[target_feature(enable = $features)]
            fn max_exp_tf(ea: &[i32], eb: &[i32]) -> i32 {
                super::max_exp(ea, eb)
            }
            #[target_feature(enable = $features)]
            fn dot_i32_tf(a: &[i32], b: &[i32]) -> i64 {
                super::dot_i32(a, b)
            }
            #[target_feature(enable = $features)]
            fn tfdpa_panel_tf(a: &super::PanelArgs, acc: &mut [u32; super::W]) -> u32 {
                super::tfdpa_panel(a, acc)
            }
            #[target_feature(enable = $features)]
            fn tfdpa_panel32_tf(a: &super::PanelArgs, acc: &mut [u32; super::W]) -> u32 {
                super::tfdpa_panel32(a, acc)
            }
            pub(super) fn tfdpa_panel32(a: &super::PanelArgs, acc: &mut [u32; super::W]) -> u32 {
                // SAFETY: as below, the features were detected before this wrapper was handed out.
                unsafe { tfdpa_panel32_tf(a, acc) }
            }
            pub(super) fn tfdpa_panel(a: &super::PanelArgs, acc: &mut [u32; super::W]) -> u32 {
                // SAFETY: as below, the features were detected before this wrapper was handed out.
                unsafe { tfdpa_panel_tf(a, acc) }
            }
            pub(super) fn tfdpa_sum(
                sa: &[i32],
                ea: &[i32],
                sb: &[i32],
                eb: &[i32],
                s0: u32,
                e: i32,
            ) -> i64 {
                // SAFETY: only reachable through `super::kernels`, which hands these wrappers
                // out after detecting the features this function is compiled for.
                unsafe { tfdpa_sum_tf(sa, ea, sb, eb, s0, e) }
            }
            pub(super) fn max_exp(ea: &[i32], eb: &[i32]) -> i32 {
                // SAFETY: as above, the features were detected before this wrapper was handed out.
                unsafe { max_exp_tf(ea, eb) }
            }
            pub(super) fn dot_i32(a: &[i32], b: &[i32]) -> i64 {
                // SAFETY: as above, the features were detected before this wrapper was handed out.
                unsafe { dot_i32_tf(a, b) }
            }
        }
    };
}

isa!(avx2, "avx2,fma");
isa!(
    avx512,
    "avx512f,avx512bw,avx512vl,avx512dq,avx512cd,avx2,fma"
);

/// Whether the CPU has AVX-512 CD (leading-zero counts) and VNNI (integer dot products):
/// what the gemm microkernels need beside the AVX-512 level.
pub(super) fn has_cd_vnni() -> bool {
    #[cfg(feature = "std")]
    {
        std::arch::is_x86_feature_detected!("avx512cd")
            && std::arch::is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(feature = "std"))]
    {
        cfg!(all(
            target_feature = "avx512cd",
            target_feature = "avx512vnni"
        ))
    }
}

/// The inner loops for the best level this CPU has (`None`: the portable ones).
pub(crate) fn kernels() -> Option<Kernels> {
    if Level::Avx512.is_available() && has_cd_vnni() {
        Some(Kernels {
            tfdpa_sum: avx512::tfdpa_sum,
            max_exp: avx512::max_exp,
            dot_i32: avx512::dot_i32,
            tfdpa_panel: avx512::tfdpa_panel,
            tfdpa_panel32: avx512::tfdpa_panel32,
        })
    } else if Level::Avx2.is_available() {
        Some(Kernels {
            tfdpa_sum: avx2::tfdpa_sum,
            max_exp: avx2::max_exp,
            dot_i32: avx2::dot_i32,
            tfdpa_panel: avx2::tfdpa_panel,
            tfdpa_panel32: avx2::tfdpa_panel32,
        })
    } else {
        None
    }
}
