//! Properties of lowp::gemm: the fast level equals the scalar model on random and adversarial
//! operands; exact accumulation is the exact sum rounded once; the software level's
//! accumulations are what they say; bad input is an `Err` with the output untouched; results
//! do not depend on the FP environment.

use lowp::gemm::{self, Accumulation, Gemm, Level, Mma, Model, Scaling};
use lowp::{Format, BF16, F16, F4E2M1FN, F6E3M2FN, F8E4M3FN, F8E5M2};
use proptest::prelude::*;
use std::sync::Mutex;

static LEVEL_LOCK: Mutex<()> = Mutex::new(());

/// A random code of format `F`: mostly finite values of every binade, sometimes a special or
/// a zero.
fn code<F: Format>(r: u64) -> F {
    let bits = F::SPEC.bits;
    let mask = if bits == 32 {
        u32::MAX
    } else {
        (1u32 << bits) - 1
    };
    let c = (r as u32) & mask;
    let c = match (r >> 40) % 16 {
        0 => 0,
        1 => 1 << (bits - 1), // −0 (NaN in FNUZ)
        _ => c,
    };
    F::from_bits_u32(c << F::SPEC.storage_shift)
}

fn splitmix(mut x: u64) -> impl FnMut() -> u64 {
    move || {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Run `matmul` on both levels and compare bits.
fn same_on_both_levels<A: Format, B: Format, C: Format>(
    mma: &Mma,
    m: usize,
    n: usize,
    issues: usize,
    seed: u64,
    narrow: bool,
) {
    let k = issues * mma.k();
    let mut rnd = splitmix(seed);
    // `narrow`: exponents near 1 (cancellation and ties), else every code.
    let mut pick = |_| {
        let r = rnd();
        if narrow {
            r & !(0x3C << 1) | 0x30
        } else {
            r
        }
    };
    let a: Vec<A> = (0..m * k).map(|i| code(pick(i))).collect();
    let b: Vec<B> = (0..k * n).map(|i| code(pick(i))).collect();
    let c0: Vec<C> = (0..m * n)
        .map(|i| {
            let v = (i as f32 - 2.0) * 0.37;
            C::from_f32(v)
        })
        .collect();
    let mut cs = c0.clone();
    let mut cf = c0.clone();
    gemm::set_level(Level::Scalar);
    gemm::matmul(mma, m, n, k, &a, &b, &mut cs).unwrap();
    gemm::set_level(Level::Fast);
    gemm::matmul(mma, m, n, k, &a, &b, &mut cf).unwrap();
    let bs: Vec<u32> = cs.iter().map(|x| x.to_bits_u32()).collect();
    let bf: Vec<u32> = cf.iter().map(|x| x.to_bits_u32()).collect();
    assert_eq!(bs, bf, "{} {} seed {seed}", mma.arch(), mma.name());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn fast_level_equals_the_scalar_model(seed in any::<u64>(), m in 1usize..4, n in 1usize..4,
                                          issues in 1usize..4, narrow in any::<bool>()) {
        let _g = LEVEL_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let h = |s| Mma::nvidia("Hopper", "wgmma", s).unwrap();
        same_on_both_levels::<F8E4M3FN, F8E4M3FN, f32>(&h("m64n8k32.f32.e4m3.e4m3"), m, n, issues, seed, narrow);
        same_on_both_levels::<F8E5M2, F8E4M3FN, F16>(&h("m64n8k32.f16.e5m2.e4m3"), m, n, issues, seed, narrow);
        same_on_both_levels::<BF16, BF16, f32>(&h("m64n8k16.f32.bf16.bf16"), m, n, issues, seed, narrow);
        same_on_both_levels::<f32, f32, f32>(&h("m64n8k8.f32.tf32.tf32"), m, n, issues, seed, narrow);
        let ada = Mma::nvidia("Ada Lovelace", "mma", "m16n8k32.f32.e4m3.e5m2.f32").unwrap();
        same_on_both_levels::<F8E4M3FN, F8E5M2, f32>(&ada, m, n, issues, seed, narrow);
        let volta = Mma::nvidia("Volta", "mma", "m8n8k4.f16.f16.f16.f16").unwrap();
        same_on_both_levels::<F16, F16, F16>(&volta, m, n, issues, seed, narrow);
        let bw = Mma::nvidia("Blackwell", "tcgen05.mma", "m64n8k32.kind::f8f6f4.f32.e2m1.e3m2").unwrap();
        same_on_both_levels::<F4E2M1FN, F6E3M2FN, f32>(&bw, m, n, issues, seed, narrow);
    }

    /// Exact accumulation is the exact sum of the products rounded once to f32 (nearest
    /// even): checked against an independent i128 rational sum, with power-of-two scales.
    #[test]
    fn exact_accumulation_is_the_exact_sum_rounded_once(seed in any::<u64>(), k in 1usize..48,
                                                        sa in -20i32..20, sb in -20i32..20) {
        let mma = Mma::nvidia("Hopper", "wgmma", "m64n8k32.f32.e5m2.e5m2").unwrap();
        let mut rnd = splitmix(seed);
        let finite = |r: u64| -> F8E5M2 {
            let c = (r & 0xFF) as u32;
            // Keep finite: replace ∞/NaN codes (exponent 31) by exponent 30.
            F8E5M2::from_bits_u32(if c & 0x7C == 0x7C { c & !0x04 } else { c })
        };
        let a: Vec<F8E5M2> = (0..k).map(|_| finite(rnd())).collect();
        let b: Vec<F8E5M2> = (0..k).map(|_| finite(rnd())).collect();
        let (ta, tb) = (2f32.powi(sa), 2f32.powi(sb));
        let g = Gemm::new(mma)
            .with_scales(Scaling::tensor(ta), Scaling::tensor(tb))
            .with_accumulation(Accumulation::Exact);
        let mut y = [0f32];
        g.run(1, 1, k, &a, &b, &mut y).unwrap();
        // Oracle: integer significands at a common exponent, summed in i128.
        let parts = |x: F8E5M2| -> (i128, i32) {
            let v = x.to_f64();
            if v == 0.0 { return (0, 0); }
            let e = v.abs().log2().floor() as i32;
            let e = e.max(-14);
            let s = (v / 2f64.powi(e - 2)) as i128; // exact: at most 3 significant bits
            (s, e - 2)
        };
        let mut sum: i128 = 0;
        let base = -40; // below every product's lsb (≥ 2^-32)
        for (x, z) in a.iter().zip(&b) {
            let (s1, e1) = parts(*x);
            let (s2, e2) = parts(*z);
            sum += (s1 * s2) << (e1 + e2 - base);
        }
        let want = round_i128_to_f32(sum, base + sa + sb);
        prop_assert_eq!(y[0].to_bits(), want.to_bits(), "k {} sum {}", k, sum);
    }
}

/// Round `s · 2^e` to f32, nearest even (normal range only), written independently of lowp.
fn round_i128_to_f32(s: i128, e: i32) -> f32 {
    if s == 0 {
        return 0.0;
    }
    let neg = s < 0;
    let mut m = s.unsigned_abs();
    let mut e = e;
    let bl = 128 - m.leading_zeros() as i32;
    if bl > 24 {
        let d = (bl - 24) as u32;
        let rem = m & ((1u128 << d) - 1);
        let half = 1u128 << (d - 1);
        m >>= d;
        e += d as i32;
        if rem > half || (rem == half && m & 1 == 1) {
            m += 1;
        }
    }
    let v = (m as f64) * 2f64.powi(e);
    (if neg { -v } else { v }) as f32
}

#[test]
fn deepgemm_promotion_is_fma_of_instruction_partials() {
    let mma = Mma::nvidia("Hopper", "wgmma", "m64n8k32.f32.e4m3.e4m3").unwrap();
    let (m, n, k) = (3, 2, 512);
    let mut rnd = splitmix(11);
    let fin = |r: u64| {
        let c = (r & 0xFF) as u32;
        F8E4M3FN::from_bits_u32(if c & 0x7F == 0x7F { c ^ 1 } else { c })
    };
    let a: Vec<F8E4M3FN> = (0..m * k).map(|_| fin(rnd())).collect();
    let b: Vec<F8E4M3FN> = (0..k * n).map(|_| fin(rnd())).collect();
    let sa: Vec<f32> = (0..m * (k / 128)).map(|i| 0.01 * (i + 1) as f32).collect();
    let sb: Vec<f32> = (0..(k / 128)).map(|i| 0.3 + i as f32).collect();
    let g = Gemm::new(mma.clone())
        .with_scales(
            Scaling::blocks(1, 128, sa.clone()),
            Scaling::blocks(128, 128, sb.clone()),
        )
        .with_accumulation(Accumulation::Promoted { every: 128 });
    let mut y = vec![0f32; m * n];
    g.run(m, n, k, &a, &b, &mut y).unwrap();
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0f32;
            for s in 0..k / 128 {
                let ar: Vec<F8E4M3FN> = a[i * k + s * 128..i * k + (s + 1) * 128].to_vec();
                let bc: Vec<F8E4M3FN> = (0..128).map(|l| b[(s * 128 + l) * n + j]).collect();
                let mut p = [0f32];
                gemm::matmul(&mma, 1, 1, 128, &ar, &bc, &mut p).unwrap();
                acc = (sa[i * (k / 128) + s] * sb[s]).mul_add(p[0], acc);
            }
            assert_eq!(y[i * n + j].to_bits(), acc.to_bits(), "{i} {j}");
        }
    }
    // Scales that change inside a promotion segment are an error, y untouched.
    let bad = g.with_accumulation(Accumulation::Promoted { every: 256 });
    let mut y2 = vec![7.0f32; m * n];
    assert!(bad.run(m, n, k, &a, &b, &mut y2).is_err());
    assert_eq!(y2, vec![7.0f32; m * n]);
}

#[test]
fn sequential_fma_reference_is_an_fma_loop() {
    let mma = Mma::nvidia("Ampere", "mma", "m16n8k16.f32.bf16.bf16.f32").unwrap();
    let (m, n, k) = (2, 3, 64);
    let mut rnd = splitmix(5);
    let v = |r: u64| BF16::from_f32(((r % 2001) as f32 - 1000.0) * 1.37e-3);
    let a: Vec<BF16> = (0..m * k).map(|_| v(rnd())).collect();
    let b: Vec<BF16> = (0..k * n).map(|_| v(rnd())).collect();
    let g = Gemm::new(mma).with_accumulation(Accumulation::SequentialFma);
    let mut y = vec![0f32; m * n];
    g.run(m, n, k, &a, &b, &mut y).unwrap();
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0f32;
            for l in 0..k {
                acc = a[i * k + l].to_f32().mul_add(b[l * n + j].to_f32(), acc);
            }
            assert_eq!(y[i * n + j].to_bits(), acc.to_bits());
        }
    }
}

#[test]
fn quantize_and_multiply_matches_quantizing_first() {
    let mma = Mma::nvidia("Hopper", "wgmma", "m64n8k32.f32.e4m3.e4m3").unwrap();
    let (m, n, k) = (2, 2, 256);
    let a: Vec<f32> = (0..m * k)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.07)
        .collect();
    let b: Vec<f32> = (0..k * n)
        .map(|i| ((i * 53 % 89) as f32 - 44.0) * 0.011)
        .collect();
    let g = Gemm::new(mma)
        .with_scales(
            Scaling::blocks(1, 128, vec![]),
            Scaling::blocks(128, 128, vec![]),
        )
        .with_accumulation(Accumulation::Promoted { every: 128 });
    let mut y = vec![0f32; m * n];
    let (sa, sb) = g
        .quantize_run::<F8E4M3FN, F8E4M3FN>(m, n, k, &a, &b, &mut y)
        .unwrap();
    assert_eq!(sa.scales.len(), m * 2);
    assert_eq!(sb.scales.len(), 2);
    // The same by hand: quantize each block with lowp's scaled quantizer, then run.
    let mut qa = vec![F8E4M3FN::from_bits_u32(0); m * k];
    for i in 0..m {
        for s in 0..2 {
            let r = i * k + s * 128..i * k + (s + 1) * 128;
            lowp::quant::quantize_scaled(&a[r.clone()], sa.scales[i * 2 + s], &mut qa[r]).unwrap();
        }
    }
    let mut qb = vec![F8E4M3FN::from_bits_u32(0); k * n];
    for s in 0..2 {
        let r = s * 128 * n..(s + 1) * 128 * n;
        lowp::quant::quantize_scaled(&b[r.clone()], sb.scales[s], &mut qb[r]).unwrap();
    }
    let mut y2 = vec![0f32; m * n];
    g.with_scales(sa, sb)
        .run(m, n, k, &qa, &qb, &mut y2)
        .unwrap();
    assert_eq!(y, y2);
    // And it is close to the f32 product.
    for i in 0..m {
        for j in 0..n {
            let e: f32 = (0..k).map(|l| a[i * k + l] * b[l * n + j]).sum();
            let mag: f32 = (0..k).map(|l| (a[i * k + l] * b[l * n + j]).abs()).sum();
            // FP8 E4M3 keeps 4 significant bits: each product is within 2·2^-4 of exact.
            assert!(
                (y[i * n + j] - e).abs() <= 0.125 * mag,
                "{} {e}",
                y[i * n + j]
            );
        }
    }
}

#[test]
fn bad_input_is_an_error_and_leaves_c_untouched() {
    let mma = Mma::nvidia("Hopper", "wgmma", "m64n8k32.f32.e4m3.e4m3").unwrap();
    let a = vec![F8E4M3FN::from_f32(1.0); 64];
    let b = vec![F8E4M3FN::from_f32(1.0); 64];
    let mut c = vec![3.0f32; 1];
    // k not a multiple of 32.
    assert!(gemm::matmul(&mma, 1, 1, 16, &a[..16], &b[..16], &mut c).is_err());
    // Wrong operand type.
    let a2 = vec![F8E5M2::from_f32(1.0); 64];
    assert!(gemm::matmul(&mma, 1, 1, 64, &a2, &b, &mut c).is_err());
    // Wrong accumulator type.
    let mut c16 = vec![F16::from_f32(3.0); 1];
    assert!(gemm::matmul(&mma, 1, 1, 64, &a, &b, &mut c16).is_err());
    // Length mismatch.
    assert!(gemm::matmul(&mma, 1, 2, 64, &a, &b, &mut c).is_err());
    // A block-scaled instruction through matmul, and the converse.
    let bs = Mma::nvidia(
        "RTX Blackwell",
        "mma",
        "m16n8k64.kind::mxf4nvf4.block16.f32.e2m1.e2m1.f32.ue4m3",
    )
    .unwrap();
    let f4 = vec![F4E2M1FN::from_f32(1.0); 64];
    assert!(gemm::matmul(&bs, 1, 1, 64, &f4, &f4, &mut c).is_err());
    let s = vec![lowp::F8E8M0FNU::from_f32(1.0); 4];
    assert!(gemm::matmul_scaled(&mma, 1, 1, 64, &a, &s, &b, &s, &mut c).is_err());
    // Wrong scale type for ue4m3.
    assert!(gemm::matmul_scaled(&bs, 1, 1, 64, &f4, &s, &f4, &s, &mut c).is_err());
    assert_eq!(c, vec![3.0]);
    // f64 presets run through matmul_f64 (f64 is not a lowp format): matmul refuses them.
    let f64mma = Mma::nvidia("Hopper", "mma", "m16n8k4.f64.f64.f64.f64").unwrap();
    assert_eq!(f64mma.model(), Model::Fma);
    assert!(gemm::matmul(&f64mma, 1, 1, 4, &[1.0f32; 4], &[1.0f32; 4], &mut c).is_err());
    assert_eq!(c, vec![3.0]);
    // matmul_f64: not an f64 instruction, k not a multiple of 4, lengths: Err, c untouched.
    let mut c64 = vec![3.0f64];
    assert!(gemm::matmul_f64(&mma, 1, 1, 4, &[1.0; 4], &[1.0; 4], &mut c64).is_err());
    assert!(gemm::matmul_f64(&f64mma, 1, 1, 2, &[1.0; 2], &[1.0; 2], &mut c64).is_err());
    assert!(gemm::matmul_f64(&f64mma, 1, 1, 4, &[1.0; 3], &[1.0; 4], &mut c64).is_err());
    assert_eq!(c64, vec![3.0]);
    gemm::matmul_f64(&f64mma, 1, 1, 4, &[1.0; 4], &[1.0; 4], &mut c64).unwrap();
    assert_eq!(c64, vec![7.0]);
    // Unknown names.
    assert!(Mma::nvidia("Hopper", "wgmma", "m64n8k32.f32.e4m3.e2m1").is_err());
    assert!(Mma::nvidia("Pascal", "mma", "m8n8k4.f32.f16.f16.f32").is_err());
    assert!(Mma::amd("CDNA3", "f32_32x32x8f16").is_err());
    assert!(Mma::amd("CDNA4", "f32_32x32x8_f16").is_err());
}

#[test]
fn every_listed_preset_is_selectable_by_its_name() {
    let all = Mma::all();
    assert!(all.len() > 4000, "{}", all.len());
    let mut models = std::collections::BTreeSet::new();
    for (vendor, arch, op, name) in &all {
        let mma = if *vendor == "amd" {
            Mma::amd(arch, name)
        } else {
            Mma::nvidia(arch, op, name)
        }
        .unwrap_or_else(|e| panic!("{arch} {op} {name}: {e}"));
        assert!(mma.k() > 0 && mma.m() > 0 && mma.n() > 0);
        assert_eq!(mma.name(), name);
        models.insert(mma.model().name());
    }
    assert_eq!(models.len(), 8, "{models:?}");
    // The parameters MMA-Sim gives a few of them.
    let m = |a, o, s| Mma::nvidia(a, o, s).unwrap().model();
    use lowp::gemm::OutputRounding::*;
    assert_eq!(
        m("Volta", "mma", "m8n8k4.f16.f16.f16.f16"),
        Model::TFdpa {
            f: 23,
            rounding: NearestEvenF16,
            group: 4,
            e_zero: -19
        }
    );
    assert_eq!(
        m("Turing", "mma", "m8n8k4.f32.f16.f16.f32"),
        Model::TFdpa {
            f: 23,
            rounding: TowardZeroF32,
            group: 4,
            e_zero: -131
        }
    );
    assert_eq!(
        m("Ada Lovelace", "mma", "m16n8k32.f32.e4m3.e4m3.f32"),
        Model::TFdpa {
            f: 13,
            rounding: TowardZeroE8M13,
            group: 16,
            e_zero: -132
        }
    );
    assert_eq!(
        m(
            "RTX Blackwell",
            "mma",
            "m16n8k64.kind::mxf4nvf4.block16.f32.e2m1.e2m1.f32.ue4m3"
        ),
        Model::GstFdpa {
            g: 16,
            f: 35,
            rounding: TowardZeroF32,
            group: 64,
            e_zero: -139
        }
    );
    assert_eq!(
        Mma::amd("CDNA2", "f32_32x32x4bf16").unwrap().model(),
        Model::FtzMulAdd { pairs: 2 }
    );
    assert_eq!(
        Mma::amd("CDNA3", "f32_16x16x8_xf32").unwrap().model(),
        Model::TrFdpa {
            f: 24,
            f2: 31,
            rounding: NearestEvenF32,
            group: 4
        }
    );
}

/// The models use integer arithmetic only: with FTZ and DAZ set on this thread, a case with
/// subnormal operands and results gives the same bits.
#[cfg(all(target_arch = "x86_64", not(feature = "rayon")))]
#[test]
#[allow(deprecated, unsafe_code)]
fn results_do_not_depend_on_ftz_daz() {
    use std::arch::x86_64::{_mm_getcsr, _mm_setcsr};
    let _g = LEVEL_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // Subnormal bf16 operands (3·2^-133) times 2^-10: products and results in f32's
    // subnormal range.
    let tiny = |k| vec![BF16::from_bits(0x0003); k];
    let small = |k| vec![BF16::from_bits(0x3A80); k];
    let cases: Vec<(Mma, Vec<BF16>, Vec<BF16>, f32)> = vec![
        (
            Mma::amd("CDNA1", "f32_32x32x4bf16").unwrap(),
            tiny(4),
            small(4),
            1.0e-40,
        ),
        (
            Mma::amd("CDNA3", "f32_32x32x8_bf16").unwrap(),
            tiny(8),
            small(8),
            -3.0e-39,
        ),
        (
            Mma::nvidia("Ampere", "mma", "m16n8k16.f32.bf16.bf16.f32").unwrap(),
            tiny(16),
            small(16),
            2.0e-39,
        ),
        (
            Mma::amd("CDNA1", "f32_32x32x2f32").unwrap(),
            vec![],
            vec![],
            0.0,
        ),
    ];
    for (mma, a, b, c0) in cases {
        if a.is_empty() {
            // FMA on f32 operands: subnormal × 2^-10 + subnormal.
            let a = [f32::from_bits(0x0000_1234); 2];
            let b = [2f32.powi(-3); 2];
            let mut plain = [1.0e-39f32];
            gemm::matmul(&mma, 1, 1, 2, &a, &b, &mut plain).unwrap();
            let mut flushed = [1.0e-39f32];
            // SAFETY: as below, MXCSR is restored right after.
            let old = unsafe { _mm_getcsr() };
            unsafe { _mm_setcsr(old | 0x8040) };
            let r = gemm::matmul(&mma, 1, 1, 2, &a, &b, &mut flushed);
            unsafe { _mm_setcsr(old) };
            r.unwrap();
            assert_eq!(plain[0].to_bits(), flushed[0].to_bits());
            assert!(plain[0].is_subnormal());
            continue;
        }
        let k = a.len();
        let mut plain = [c0];
        gemm::matmul(&mma, 1, 1, k, &a, &b, &mut plain).unwrap();
        let mut flushed = [c0];
        // SAFETY: setting MXCSR's FTZ (bit 15) and DAZ (bit 6) only changes how this thread's
        // float instructions treat subnormals; it is restored right after.
        let old = unsafe { _mm_getcsr() };
        unsafe { _mm_setcsr(old | 0x8040) };
        let r = gemm::matmul(&mma, 1, 1, k, &a, &b, &mut flushed);
        unsafe { _mm_setcsr(old) };
        r.unwrap();
        assert_eq!(plain[0].to_bits(), flushed[0].to_bits(), "{}", mma.name());
        assert!(plain[0] != 0.0 && plain[0].is_subnormal(), "{:e}", plain[0]);
    }
}

/// The fast level's panels (16 outputs per SIMD lane group): wide rows with a partial last
/// panel, blocks of rows, lanes with NaN/∞ operands or subnormal results, on the narrow (i32) and wide (i64)
/// kernels, equal the scalar model.
#[test]
fn fast_level_panels_equal_the_scalar_model() {
    let _g = LEVEL_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // LOWP_FULL=1: many more seeds (about a minute in release).
    let seeds = if std::env::var("LOWP_FULL").is_ok_and(|v| v == "1") {
        2000
    } else {
        6
    };
    for seed in 0..seeds {
        let narrow = seed % 2 == 0;
        let h = |s| Mma::nvidia("Hopper", "wgmma", s).unwrap();
        // 19 rows: two full blocks of 8 rows (one panel of B for all of a block) and a partial one.
        same_on_both_levels::<F8E4M3FN, F8E4M3FN, f32>(
            &h("m64n8k32.f32.e4m3.e4m3"),
            19,
            37,
            2,
            seed,
            narrow,
        );
        same_on_both_levels::<F8E4M3FN, F8E4M3FN, f32>(
            &h("m64n8k32.f32.e4m3.e4m3"),
            3,
            37,
            3,
            seed,
            narrow,
        );
        same_on_both_levels::<F8E5M2, F8E5M2, f32>(
            &h("m64n8k32.f32.e5m2.e5m2"),
            2,
            33,
            2,
            seed,
            narrow,
        );
        same_on_both_levels::<BF16, BF16, f32>(
            &h("m64n8k16.f32.bf16.bf16"),
            2,
            21,
            2,
            seed,
            narrow,
        );
        same_on_both_levels::<f32, f32, f32>(&h("m64n8k8.f32.tf32.tf32"), 2, 17, 3, seed, narrow);
        let bw = Mma::nvidia(
            "Blackwell",
            "tcgen05.mma",
            "m128n8k32.kind::f8f6f4.f32.e4m3.e4m3",
        )
        .unwrap();
        same_on_both_levels::<F8E4M3FN, F8E4M3FN, f32>(&bw, 2, 40, 2, seed, narrow);
        let amp = Mma::nvidia("Ampere", "mma", "m16n8k16.f32.f16.f16.f32").unwrap();
        same_on_both_levels::<F16, F16, f32>(&amp, 2, 19, 2, seed, narrow);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// MatMulInteger equals the definition (i32 sums of (a − a_zp)(b − b_zp)) for every
    /// shape, the 4×4 blocks and the remainders alike, per-tensor and per-row/column zero points.
    #[test]
    fn matmul_integer_is_the_definition(m in 1usize..11, n in 1usize..11, k in 0usize..70,
                                        seed in any::<u64>(), per in any::<bool>()) {
        let mut rnd = splitmix(seed);
        let a: Vec<u8> = (0..m * k).map(|_| rnd() as u8).collect();
        let b: Vec<i8> = (0..k * n).map(|_| rnd() as i8).collect();
        let azp: Vec<u8> = (0..if per { m } else { 1 }).map(|_| rnd() as u8).collect();
        let bzp: Vec<i8> = (0..if per { n } else { 1 }).map(|_| rnd() as i8).collect();
        let mut y = vec![0i32; m * n];
        gemm::matmul_integer(m, n, k, &a, &azp, &b, &bzp, &mut y).unwrap();
        for i in 0..m {
            for j in 0..n {
                let za = azp[if per { i } else { 0 }] as i32;
                let zb = bzp[if per { j } else { 0 }] as i32;
                let want: i32 = (0..k).map(|l| (a[i * k + l] as i32 - za) * (b[l * n + j] as i32 - zb)).sum();
                prop_assert_eq!(y[i * n + j], want);
            }
        }
    }
}

/// The exact reference accumulator's blocked binary64 GEMM (FP8 E4M3 operands: 18-bit fixed
/// point, exact in f64) on every kernel level equals the scalar level's exact big-integer sum,
/// across the microkernel (8×16) and cache blocks (64 rows, 256 columns, 256 of k).
#[test]
fn exact_accumulation_gemm_equals_the_scalar_level_on_every_kernel_level() {
    let _g = LEVEL_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let mma = Mma::nvidia("Hopper", "wgmma", "m64n8k32.f32.e4m3.e4m3").unwrap();
    for (m, n, k, seed) in [
        (1, 1, 32, 1u64),
        (9, 17, 64, 2),
        (70, 260, 288, 3),
        (3, 5, 1024, 4),
    ] {
        let mut rnd = splitmix(seed);
        // Finite E4M3 codes of every binade (NaN codes 0x7F/0xFF replaced by zeros).
        let mut pick = || {
            let c = rnd() as u8;
            F8E4M3FN::from_bits(if c & 0x7F == 0x7F { 0 } else { c })
        };
        let a: Vec<F8E4M3FN> = (0..m * k).map(|_| pick()).collect();
        let b: Vec<F8E4M3FN> = (0..k * n).map(|_| pick()).collect();
        let g = Gemm::new(mma.clone()).with_accumulation(Accumulation::Exact);
        gemm::set_level(Level::Scalar);
        let mut want = vec![0f32; m * n];
        g.run(m, n, k, &a, &b, &mut want).unwrap();
        gemm::set_level(Level::Fast);
        for l in lowp::Level::available() {
            lowp::set_level(Some(l)).unwrap();
            let mut y = vec![f32::NAN; m * n];
            g.run(m, n, k, &a, &b, &mut y).unwrap();
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&y), bits(&want), "{l:?} {m}x{n}x{k}");
        }
        lowp::set_level(None).unwrap();
    }
}
