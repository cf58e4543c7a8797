//! MXCSR's flush-to-zero (FTZ) and denormals-are-zero (DAZ) bits, for the test files that run
//! lowp under them (CONTRACT.md §14), shared so that each sets and checks the environment the
//! same way. MXCSR is per thread: [`flushing`] runs its body on a thread of its own with both
//! bits set and restores the register before that thread ends.

#![allow(dead_code)]

/// MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6) bits.
pub const FTZ_DAZ: u32 = 0x8040;

#[cfg(target_arch = "x86_64")]
fn read() -> u32 {
    let mut v = 0u32;
    // SAFETY: stmxcsr stores the 32-bit MXCSR register into `v`.
    unsafe { core::arch::asm!("stmxcsr [{}]", in(reg) &mut v, options(nostack)) };
    v
}

#[cfg(target_arch = "x86_64")]
fn write(v: u32) {
    // SAFETY: ldmxcsr loads MXCSR from `v`; only the FTZ/DAZ bits are ever changed here, and
    // the previous value is restored by the caller.
    unsafe { core::arch::asm!("ldmxcsr [{}]", in(reg) &v, options(nostack)) };
}

/// Run `f` on a new thread whose MXCSR has FTZ and DAZ set; the register is restored before
/// the thread ends. First it checks that the environment is really there: both bits read back,
/// the smallest subnormal reads as zero, and a product that underflows is flushed.
#[cfg(target_arch = "x86_64")]
pub fn flushing<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|s| {
        s.spawn(|| {
            let old = read();
            write(old | FTZ_DAZ);
            assert_eq!(read() & FTZ_DAZ, FTZ_DAZ);
            let tiny = std::hint::black_box(f32::from_bits(1));
            assert_eq!(tiny + 0.0, 0.0);
            assert_eq!((std::hint::black_box(f32::MIN_POSITIVE) * 0.5).to_bits(), 0);
            let r = f();
            write(old);
            r
        })
        .join()
        .unwrap()
    })
}

/// [`flushing`] where the target has MXCSR (x86-64), `None` elsewhere: for the files that also
/// run on other targets.
pub fn try_flushing<R: Send>(f: impl FnOnce() -> R + Send) -> Option<R> {
    #[cfg(target_arch = "x86_64")]
    {
        Some(flushing(f))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = f;
        None
    }
}
