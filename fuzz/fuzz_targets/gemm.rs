//! `gemm`: `matmul`, `matmul_scaled`, `matmul_integer`, `qlinear_matmul` and the software-level
//! `Gemm` (every accumulation, with scalings) on arbitrary presets, shapes (huge ones
//! included), slice lengths and operand types. Invariants: no panic; an `Err` leaves the output
//! untouched; `Ok` only where the lengths are m·k, k·n and m·n.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;
use common::R;
use lowp::gemm::{self, Accumulation, Gemm, Mma, Scaling};
use lowp::quant::QParams;
use lowp::{Format, BF16, F16, F8E4M3FN, F8E8M0FNU};
use std::sync::OnceLock;

/// Every preset, each built on first use: building all of them up front (`Mma::nvidia` lists
/// its architecture's instructions on each call) took half a minute per fuzzer start.
fn preset(i: u16) -> Option<&'static Mma> {
    type Slot = OnceLock<Option<Mma>>;
    static NAMES: OnceLock<Vec<(&'static str, &'static str, &'static str, String)>> =
        OnceLock::new();
    static P: OnceLock<Vec<Slot>> = OnceLock::new();
    let names = NAMES.get_or_init(Mma::all);
    let slots = P.get_or_init(|| names.iter().map(|_| OnceLock::new()).collect());
    let i = i as usize % names.len();
    slots[i]
        .get_or_init(|| {
            let (vendor, arch, op, name) = &names[i];
            match *vendor {
                "nvidia" => Mma::nvidia(arch, op, name).ok(),
                _ => Mma::amd(arch, name).ok(),
            }
        })
        .as_ref()
}

/// A dimension: huge (2^33 or `usize::MAX`, for the size checks and the `Err` paths), else
/// small: mostly 0..=3 and sometimes up to 8 (all of 0..=8 stays reachable), which keeps the
/// `Ok` paths cheap (every product is emulated step by step, under coverage instrumentation).
fn dim(r: &mut R) -> usize {
    match r.u8() {
        0 => usize::MAX,
        1 => 1 << 33,
        t @ 2..=191 => t as usize % 4,
        t => t as usize % 9,
    }
}

fn len(r: &mut R, want: Option<usize>) -> usize {
    match want {
        Some(w) if w <= 4096 && r.u8() >= 24 => w,
        _ => r.upto(64),
    }
}

fn mats<A: Format, B: Format>(r: &mut R, m: usize, n: usize, k: usize) -> (Vec<A>, Vec<B>, usize) {
    let la = len(r, m.checked_mul(k));
    let lb = len(r, k.checked_mul(n));
    let lc = len(r, m.checked_mul(n));
    let a = (0..la).map(|_| A::from_f32(r.f32())).collect();
    let b = (0..lb).map(|_| B::from_f32(r.f32())).collect();
    (a, b, lc)
}

fn plain<A: Format, B: Format>(r: &mut R, mma: &Mma, m: usize, n: usize, k: usize) {
    let (a, b, lc) = mats::<A, B>(r, m, n, k);
    let mut c = vec![-3.0f32; lc];
    let res = gemm::matmul::<A, B, f32>(mma, m, n, k, &a, &b, &mut c);
    if res.is_err() {
        assert!(c.iter().all(|&v| v == -3.0));
    } else {
        assert!(a.len() == m * k && b.len() == k * n && c.len() == m * n);
    }
    let g = Gemm::new(mma.clone());
    let acc = match r.u8() % 4 {
        0 => Accumulation::Instruction,
        1 => Accumulation::Promoted { every: r.size() },
        2 => Accumulation::Exact,
        _ => Accumulation::SequentialFma,
    };
    let sc = |r: &mut R| match r.u8() % 5 {
        0 => Scaling::none(),
        1 => Scaling::tensor(r.f32()),
        2 => Scaling::rows((0..r.upto(9)).map(|_| r.f32()).collect()),
        3 => Scaling::cols((0..r.upto(9)).map(|_| r.f32()).collect()),
        _ => Scaling::blocks(
            r.size(),
            r.size(),
            (0..r.upto(9)).map(|_| r.f32()).collect(),
        )
        .with_tensor(r.f32()),
    };
    let g = g.with_accumulation(acc).with_scales(sc(r), sc(r));
    let mut y = vec![-3.0f32; lc];
    if g.run::<A, B>(m, n, k, &a, &b, &mut y).is_err() {
        assert!(y.iter().all(|&v| v == -3.0));
    }
    let af: Vec<f32> = (0..a.len()).map(|_| r.f32()).collect();
    let bf: Vec<f32> = (0..b.len()).map(|_| r.f32()).collect();
    let mut y = vec![-3.0f32; lc];
    if g.quantize_run::<A, B>(m, n, k, &af, &bf, &mut y).is_err() {
        assert!(y.iter().all(|&v| v == -3.0));
    }
}

fuzz_target!(|data: &[u8]| {
    let mut r = R(data);
    let Some(mma) = preset(r.u16()) else {
        return;
    };
    let (m, n, k) = (dim(&mut r), dim(&mut r), dim(&mut r));
    match r.u8() % 6 {
        0 => plain::<F16, F16>(&mut r, mma, m, n, k),
        1 => plain::<BF16, BF16>(&mut r, mma, m, n, k),
        2 => plain::<F8E4M3FN, F8E4M3FN>(&mut r, mma, m, n, k),
        3 => {
            let (a, b, lc) = mats::<F8E4M3FN, F8E4M3FN>(&mut r, m, n, k);
            let sa: Vec<F8E8M0FNU> = (0..r.upto(16))
                .map(|_| F8E8M0FNU::from_bits(r.u8()))
                .collect();
            let sb: Vec<F8E8M0FNU> = (0..r.upto(16))
                .map(|_| F8E8M0FNU::from_bits(r.u8()))
                .collect();
            let mut c = vec![-3.0f32; lc];
            if gemm::matmul_scaled(mma, m, n, k, &a, &sa, &b, &sb, &mut c).is_err() {
                assert!(c.iter().all(|&v| v == -3.0));
            }
        }
        4 => {
            let la = len(&mut r, m.checked_mul(k));
            let lb = len(&mut r, k.checked_mul(n));
            let lc = len(&mut r, m.checked_mul(n));
            let a: Vec<i8> = (0..la).map(|_| r.u8() as i8).collect();
            let b: Vec<u8> = (0..lb).map(|_| r.u8()).collect();
            let za: Vec<i8> = (0..r.upto(9)).map(|_| r.u8() as i8).collect();
            let zb: Vec<u8> = (0..r.upto(9)).map(|_| r.u8()).collect();
            let mut y = vec![-3i32; lc];
            if gemm::matmul_integer(m, n, k, &a, &za, &b, &zb, &mut y).is_err() {
                assert!(y.iter().all(|&v| v == -3));
            }
        }
        _ => {
            let la = len(&mut r, m.checked_mul(k));
            let lb = len(&mut r, k.checked_mul(n));
            let lc = len(&mut r, m.checked_mul(n));
            let a: Vec<u8> = (0..la).map(|_| r.u8()).collect();
            let b: Vec<i8> = (0..lb).map(|_| r.u8() as i8).collect();
            let qp = |r: &mut R| QParams::new(r.f32(), r.u8() as i32 - 64);
            let pa: Vec<QParams> = (0..r.upto(9)).map(|_| qp(&mut r)).collect();
            let pb: Vec<QParams> = (0..r.upto(9)).map(|_| qp(&mut r)).collect();
            let py = qp(&mut r);
            let mut y = vec![7u8; lc];
            if gemm::qlinear_matmul(m, n, k, &a, &pa, &b, &pb, py, &mut y).is_err() {
                assert!(y.iter().all(|&v| v == 7));
            }
        }
    }
});
