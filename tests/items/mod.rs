//! The work items of the 2^32 sweeps (tests/exhaustive_f32.rs, tests/kernels_exhaustive.rs,
//! tests/p3109.rs), shared so that they split the f32 bit patterns and spread them over the
//! cores one way.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};

/// Run `item(buffers, start, n)` for every `every`-th work item of the f32 bit patterns taken at
/// `stride`: item k holds the `n` ≤ `chunk` inputs `start + j·stride`, j < n, with
/// `start = k·chunk·stride` (all below 2^32, so that `start as u32 + j as u32 * stride as u32`
/// is exact). The items go to one thread per core through a shared counter; `buffers()` makes
/// each thread's buffers once.
pub fn for_each<B>(
    stride: u64,
    chunk: u64,
    every: u64,
    buffers: impl Fn() -> B + Sync,
    item: impl Fn(&mut B, u64, usize) + Sync,
) {
    let items = (1u64 << 32).div_ceil(stride).div_ceil(chunk);
    let next = AtomicU64::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut b = buffers();
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed) * every;
                    if k >= items {
                        break;
                    }
                    let start = k * chunk * stride;
                    let n = ((1u64 << 32) - start).div_ceil(stride).min(chunk) as usize;
                    item(&mut b, start, n);
                }
            });
        }
    });
}

/// `src[j]` = the f32 with bit pattern `start + j·stride`, for the whole of `src` (an item's
/// inputs, all below 2^32).
pub fn inputs(src: &mut [f32], start: u64, stride: u64) {
    for (j, x) in src.iter_mut().enumerate() {
        *x = f32::from_bits(start as u32 + j as u32 * stride as u32);
    }
}
