//! `#[target_feature]` trampolines for [`Job`]s: the job's `run` (`#[inline(always)]`) is
//! inlined into a function compiled for AVX-512 or AVX2, so that its loops vectorise for it.
//! A direct call of the trait method: unlike a call of a closure or an `FnOnce` (whose
//! `call_once` shim LLVM may leave out of line, then compiled without the features, when the
//! body is large), it cannot escape the feature-enabled function. Every quantizer loop that is
//! to run at a SIMD level goes through here (`quant::fast`, `quant::int`).

use crate::kernels::scaled::Job;
use crate::kernels::Level;

/// Run `job` compiled for AVX-512 (F, BW, VL, DQ), or as it is where the CPU lacks it.
#[inline]
pub(crate) fn avx512<J: Job>(job: J) {
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")]
    fn tf<J: Job>(job: J) {
        job.run()
    }
    if Level::Avx512.is_available() {
        // SAFETY: the CPU has every feature the function enables (just checked).
        unsafe { tf(job) }
    } else {
        job.run()
    }
}

/// Run `job` compiled for AVX2+FMA+F16C, or as it is where the CPU lacks them.
#[inline]
pub(crate) fn avx2<J: Job>(job: J) {
    #[target_feature(enable = "avx2,fma,f16c")]
    fn tf<J: Job>(job: J) {
        job.run()
    }
    if Level::Avx2.is_available() {
        // SAFETY: the CPU has every feature the function enables (just checked).
        unsafe { tf(job) }
    } else {
        job.run()
    }
}
