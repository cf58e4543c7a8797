//! x86-64 instantiations of the block drivers: the same lane code compiled with AVX2+FMA+F16C
//! and with AVX-512 (F, BW, VL, DQ) enabled, plus F16C's own instruction for f32 ↔ f16 where
//! it gives the scalar core's bits.
//!
//! This is the only place with `unsafe`: calling a `#[target_feature]` function. Every function
//! here that relies on a CPU feature (an intrinsic, or code compiled for the feature) is a
//! `#[target_feature]` function, so the compiler accepts a call of it without `unsafe` only
//! from code compiled with the same features (F16C's and VBMI's converters, called from the
//! level's drivers; the AVX-512 stochastic words, behind a token that only such code can
//! make). The one way in from ordinary code is an `unsafe` call in a safe wrapper, right after
//! it checks (with the cached detection of [`super::Level`]) that the CPU has the features,
//! with a `// SAFETY:` note; otherwise the wrapper runs the portable code.
#![allow(unsafe_code)]
// The AVX-512 intrinsics and target features are stable since Rust 1.89 (and safe
// `#[target_feature]` functions since 1.86): hence Cargo.toml's `rust-version = "1.89"`.

pub(crate) mod f16c;
pub(crate) mod gemm;
pub(crate) mod gemm_exact;
pub(crate) mod gemm_int8;
pub(crate) mod gemm_tfdpa;
pub(crate) mod jobs;
pub(crate) mod mx;
pub(crate) mod nvfp4;
pub(crate) mod vbmi;
pub(crate) mod words;

/// Generate one ISA's module: `#[target_feature]` instantiations of every block driver and
/// safe wrappers around them.
macro_rules! isa {
    ($name:ident, $features:literal, $level:expr, table_decode = $($table:ident)::+,
     words = $wty:ty, $wnew:expr) => {
        pub(crate) mod $name {
            use crate::format::Format;
            use crate::kernels::blocks::{self, Portable};
            use crate::kernels::lanes::EncodeParams;
            use crate::packing::Packable;

            /// Whether this ISA level can run here (cached detection).
            #[inline]
            fn available() -> bool {
                $level.is_available()
            }

            #[target_feature(enable = $features)]
            fn encode_tf<F: Format, const MODE: u8, const SAT: bool>(
                src: &[f32],
                dst: &mut [F],
                p: &EncodeParams,
                start: u64,
            ) {
                if super::f16c::encode::<F, MODE, SAT>(src, dst, p) {
                    return;
                }
                blocks::encode::<$wty, F, MODE, SAT>($wnew, src, dst, p, start)
            }
            #[target_feature(enable = $features)]
            fn decode_tf<F: Format>(src: &[F], dst: &mut [f32]) {
                if super::f16c::decode::<F>(src, dst) {
                    return;
                }
                if $($table)::+::<F>(src, dst) {
                    return;
                }
                blocks::decode::<F>(src, dst)
            }
            #[target_feature(enable = $features)]
            fn fake_quantize_tf<F: Format, const MODE: u8, const SAT: bool>(
                src: &[f32],
                dst: &mut [f32],
                p: &EncodeParams,
                start: u64,
            ) {
                blocks::fake_quantize::<$wty, F, MODE, SAT>($wnew, src, dst, p, start)
            }
            #[target_feature(enable = $features)]
            fn fake_quantize_in_place_tf<F: Format, const MODE: u8, const SAT: bool>(
                data: &mut [f32],
                p: &EncodeParams,
                start: u64,
            ) {
                blocks::fake_quantize_in_place::<$wty, F, MODE, SAT>($wnew, data, p, start)
            }
            #[target_feature(enable = $features)]
            fn convert_tf<S: Format, D: Format, const MODE: u8, const SAT: bool>(
                src: &[S],
                dst: &mut [D],
                p: &EncodeParams,
                start: u64,
            ) {
                blocks::convert::<$wty, S, D, MODE, SAT>($wnew, src, dst, p, start)
            }
            #[target_feature(enable = $features)]
            fn encode_packed_tf<F: Packable, const MODE: u8, const SAT: bool>(
                src: &[f32],
                dst: &mut [u8],
                p: &EncodeParams,
                start: u64,
            ) {
                blocks::encode_packed::<$wty, F, MODE, SAT>($wnew, src, dst, p, start)
            }
            #[target_feature(enable = $features)]
            fn decode_packed_tf<F: Packable>(src: &[u8], dst: &mut [f32]) {
                blocks::decode_packed::<F>(src, dst)
            }
            #[target_feature(enable = $features)]
            fn set_infinities_tf<F: Format>(src: &[f32], dst: &mut [F], pos: F, neg: F) {
                blocks::set_infinities::<F>(src, dst, pos, neg)
            }

            pub(crate) fn encode<F: Format, const MODE: u8, const SAT: bool>(
                src: &[f32],
                dst: &mut [F],
                p: &EncodeParams,
                start: u64,
            ) {
                if available() {
                    // SAFETY: the CPU has every feature the function enables (just checked).
                    unsafe { encode_tf::<F, MODE, SAT>(src, dst, p, start) }
                } else {
                    blocks::encode::<Portable, F, MODE, SAT>(Portable, src, dst, p, start)
                }
            }
            pub(crate) fn decode<F: Format>(src: &[F], dst: &mut [f32]) {
                if available() {
                    // SAFETY: the CPU has every feature the function enables (just checked).
                    unsafe { decode_tf::<F>(src, dst) }
                } else {
                    blocks::decode::<F>(src, dst)
                }
            }
            pub(crate) fn fake_quantize<F: Format, const MODE: u8, const SAT: bool>(
                src: &[f32],
                dst: &mut [f32],
                p: &EncodeParams,
                start: u64,
            ) {
                if available() {
                    // SAFETY: the CPU has every feature the function enables (just checked).
                    unsafe { fake_quantize_tf::<F, MODE, SAT>(src, dst, p, start) }
                } else {
                    blocks::fake_quantize::<Portable, F, MODE, SAT>(Portable, src, dst, p, start)
                }
            }
            pub(crate) fn fake_quantize_in_place<F: Format, const MODE: u8, const SAT: bool>(
                data: &mut [f32],
                p: &EncodeParams,
                start: u64,
            ) {
                if available() {
                    // SAFETY: the CPU has every feature the function enables (just checked).
                    unsafe { fake_quantize_in_place_tf::<F, MODE, SAT>(data, p, start) }
                } else {
                    blocks::fake_quantize_in_place::<Portable, F, MODE, SAT>(
                        Portable, data, p, start,
                    )
                }
            }
            pub(crate) fn convert<S: Format, D: Format, const MODE: u8, const SAT: bool>(
                src: &[S],
                dst: &mut [D],
                p: &EncodeParams,
                start: u64,
            ) {
                if available() {
                    // SAFETY: the CPU has every feature the function enables (just checked).
                    unsafe { convert_tf::<S, D, MODE, SAT>(src, dst, p, start) }
                } else {
                    blocks::convert::<Portable, S, D, MODE, SAT>(Portable, src, dst, p, start)
                }
            }
            pub(crate) fn encode_packed<F: Packable, const MODE: u8, const SAT: bool>(
                src: &[f32],
                dst: &mut [u8],
                p: &EncodeParams,
                start: u64,
            ) {
                if available() {
                    // SAFETY: the CPU has every feature the function enables (just checked).
                    unsafe { encode_packed_tf::<F, MODE, SAT>(src, dst, p, start) }
                } else {
                    blocks::encode_packed::<Portable, F, MODE, SAT>(Portable, src, dst, p, start)
                }
            }
            pub(crate) fn decode_packed<F: Packable>(src: &[u8], dst: &mut [f32]) {
                if available() {
                    // SAFETY: the CPU has every feature the function enables (just checked).
                    unsafe { decode_packed_tf::<F>(src, dst) }
                } else {
                    blocks::decode_packed::<F>(src, dst)
                }
            }
            pub(crate) fn set_infinities<F: Format>(src: &[f32], dst: &mut [F], pos: F, neg: F) {
                if available() {
                    // SAFETY: the CPU has every feature the function enables (just checked).
                    unsafe { set_infinities_tf::<F>(src, dst, pos, neg) }
                } else {
                    blocks::set_infinities::<F>(src, dst, pos, neg)
                }
            }
        }
    };
}

/// The AVX2 level has no table-lookup decoder (VBMI's needs AVX-512).
#[inline(always)]
fn no_table_decode<F: crate::format::Format>(_: &[F], _: &mut [f32]) -> bool {
    false
}

isa!(
    avx2,
    "avx2,fma,f16c",
    crate::kernels::Level::Avx2,
    table_decode = super::no_table_decode,
    words = super::words::Avx2Words,
    super::words::Avx2Words
);
isa!(
    avx512,
    "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c",
    crate::kernels::Level::Avx512,
    table_decode = super::vbmi::decode,
    words = super::words::Avx512Words,
    super::words::Avx512Words::new()
);

/// Whether the CPU has AVX2, FMA and F16C.
#[cfg(feature = "std")]
pub(crate) fn detect_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
        && std::arch::is_x86_feature_detected!("f16c")
}

/// Whether the CPU has AVX-512 F, BW, VL and DQ (and AVX2, FMA, F16C).
#[cfg(feature = "std")]
pub(crate) fn detect_avx512() -> bool {
    detect_avx2()
        && std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx512dq")
}

/// Without `std` there is no run-time detection: what the build enables.
#[cfg(not(feature = "std"))]
pub(crate) fn detect_avx2() -> bool {
    cfg!(all(
        target_feature = "avx2",
        target_feature = "fma",
        target_feature = "f16c"
    ))
}

/// Without `std` there is no run-time detection: what the build enables.
#[cfg(not(feature = "std"))]
pub(crate) fn detect_avx512() -> bool {
    detect_avx2()
        && cfg!(all(
            target_feature = "avx512f",
            target_feature = "avx512bw",
            target_feature = "avx512vl",
            target_feature = "avx512dq"
        ))
}
