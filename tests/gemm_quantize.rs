//! Quantize-and-multiply in one call (`Gemm::quantize_run`) with lowp's MX and NVFP4
//! quantizers: the codes and scales are exactly those of `lowp::quant`'s MX / NVFP4 functions
//! (laid out here independently: A's rows and B's columns in blocks along k), multiplied by
//! the instruction (block-scaled instructions) or by the software level.

use lowp::gemm::{self, Accumulation, Gemm, Mma, Quantizer, Scaling};
use lowp::packing::unpack;
use lowp::quant::{
    mx_dequantize_axis, mx_quantize_axis, nvfp4_quantize, nvfp4_tensor_scale, MxFormat, MxOptions,
    MxScaleRule,
};
use lowp::{Format, BF16, F4E2M1FN, F6E2M3FN, F8E4M3FN, F8E8M0FNU};

fn data(len: usize, seed: u64) -> Vec<f32> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Values in ±[0, 2) times a magnitude that changes every 32 elements.
            let v = ((x >> 11) % 4001) as f32 / 1000.0 - 2.0;
            v * [1.0f32, 0.01, 37.0, 1.0e-3][(i / 32) % 4]
        })
        .collect()
}

fn transpose(x: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = vec![0f32; x.len()];
    for r in 0..rows {
        for c in 0..cols {
            t[c * rows + r] = x[r * cols + c];
        }
    }
    t
}

/// lowp's MX quantizer on A (E4M3, along rows) and B (E2M3, along columns): codes one per
/// element, E8M0 scales m×(k/32) and (k/32)×n.
fn mx_codes(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    b: &[f32],
) -> (Vec<F8E4M3FN>, Vec<F8E8M0FNU>, Vec<F6E2M3FN>, Vec<F8E8M0FNU>) {
    let (fa, fb) = (MxFormat::E4M3, MxFormat::E2M3);
    let opts = MxOptions::default();
    let kb = k / 32;
    let mut sa = vec![F8E8M0FNU::from_bits(0); m * kb];
    let mut sb = vec![F8E8M0FNU::from_bits(0); kb * n];
    let mut ea = vec![0u8; lowp::quant::mx_element_bytes(fa, m * k)];
    let mut eb = vec![0u8; lowp::quant::mx_element_bytes(fb, k * n)];
    mx_quantize_axis(a, &[m, k], 1, fa, opts, &mut sa, &mut ea).unwrap();
    mx_quantize_axis(b, &[k, n], 0, fb, opts, &mut sb, &mut eb).unwrap();
    let qa: Vec<F8E4M3FN> = ea.iter().map(|&c| F8E4M3FN::from_bits(c)).collect();
    let mut qb = vec![F6E2M3FN::from_bits_u32(0); k * n];
    unpack(&eb, &mut qb);
    (qa, sa, qb, sb)
}

/// With exact accumulation, MX quantize-and-multiply is the exact sum of the products of
/// lowp's MX-dequantized operands (summed in f64, exactly here: few significant bits and a
/// bounded exponent spread), rounded once.
#[test]
fn mx_exact_is_the_exact_product_of_the_mx_dequantized_operands() {
    let (m, n, k) = (3, 5, 128);
    let (a, b) = (data(m * k, 1), data(k * n, 2));
    let mma = Mma::nvidia("Hopper", "wgmma", "m64n8k32.f32.e4m3.e4m3").unwrap();
    for rule in [MxScaleRule::Floor, MxScaleRule::RoundUp] {
        let g = Gemm::new(mma.clone())
            .with_accumulation(Accumulation::Exact)
            .with_quantizer(Quantizer::Mx(rule));
        let mut y = vec![0f32; m * n];
        let (ga, gb) = g
            .quantize_run::<F8E4M3FN, F8E4M3FN>(m, n, k, &a, &b, &mut y)
            .unwrap();
        let opts = MxOptions {
            rule,
            ..MxOptions::default()
        };
        let deq = |x: &[f32], shape: [usize; 2], axis: usize| {
            let mut s = vec![F8E8M0FNU::from_bits(0); x.len() / 32];
            let mut e = vec![0u8; x.len()];
            mx_quantize_axis(x, &shape, axis, MxFormat::E4M3, opts, &mut s, &mut e).unwrap();
            let mut d = vec![0f32; x.len()];
            mx_dequantize_axis(&shape, axis, MxFormat::E4M3, opts, &s, &e, &mut d).unwrap();
            (d, s)
        };
        let (da, sa) = deq(&a, [m, k], 1);
        let (db, sb) = deq(&b, [k, n], 0);
        assert_eq!(ga.scales, sa.iter().map(|s| s.to_f32()).collect::<Vec<_>>());
        assert_eq!(gb.scales, sb.iter().map(|s| s.to_f32()).collect::<Vec<_>>());
        assert_eq!(
            (ga.block_rows, ga.block_cols, gb.block_rows, gb.block_cols),
            (1, 32, 32, 1)
        );
        for i in 0..m {
            for j in 0..n {
                let s: f64 = (0..k)
                    .map(|l| da[i * k + l] as f64 * db[l * n + j] as f64)
                    .sum();
                assert_eq!(
                    y[i * n + j].to_bits(),
                    (s as f32).to_bits(),
                    "{rule:?} {i} {j}"
                );
            }
        }
        // Promotion every 32 (one MX block per instruction issue) is accepted; promotion
        // every 64 is not (the scales change within a segment).
        let mut yp = vec![0f32; m * n];
        g.clone()
            .with_accumulation(Accumulation::Promoted { every: 32 })
            .quantize_run::<F8E4M3FN, F8E4M3FN>(m, n, k, &a, &b, &mut yp)
            .unwrap();
        assert!(yp.iter().all(|v| v.is_finite()));
        let mut yq = vec![1.5f32; m * n];
        assert!(g
            .with_accumulation(Accumulation::Promoted { every: 64 })
            .quantize_run::<F8E4M3FN, F8E4M3FN>(m, n, k, &a, &b, &mut yq)
            .is_err());
        assert!(yq.iter().all(|v| *v == 1.5));
    }
}

/// On a block-scaled MX instruction, quantize-and-multiply is the instruction on lowp's MX
/// codes and E8M0 scales (FP8 × FP6 here).
#[test]
fn mx_on_a_block_scaled_instruction_is_the_instruction_on_lowp_codes() {
    let (m, n, k) = (4, 6, 96);
    let (a, b) = (data(m * k, 3), data(k * n, 4));
    let mma = Mma::nvidia(
        "Blackwell",
        "tcgen05.mma",
        "m128n8k32.kind::mxf8f6f4.block32.f32.e4m3.e2m3.ue8m0",
    )
    .unwrap();
    let g = Gemm::new(mma.clone()).with_quantizer(Quantizer::Mx(MxScaleRule::Floor));
    let mut y = vec![f32::NAN; m * n];
    g.quantize_run::<F8E4M3FN, F6E2M3FN>(m, n, k, &a, &b, &mut y)
        .unwrap();
    let (qa, sa, qb, sb) = mx_codes(m, n, k, &a, &b);
    let mut want = vec![0f32; m * n];
    gemm::matmul_scaled(&mma, m, n, k, &qa, &sa, &qb, &sb, &mut want).unwrap();
    assert!(want.iter().all(|v| *v != 0.0));
    assert_eq!(
        y.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        want.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
}

/// lowp's NVFP4 quantizer on A's rows and B's columns (tensor scales over each operand).
fn nvfp4_codes(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    b: &[f32],
) -> (
    Vec<F4E2M1FN>,
    Vec<F8E4M3FN>,
    f32,
    Vec<F4E2M1FN>,
    Vec<F8E4M3FN>,
    f32,
) {
    let kb = k / 16;
    let rows = |x: &[f32], r: usize, t: f32| {
        let mut q = vec![F4E2M1FN::from_bits(0); r * k];
        let mut s = vec![F8E4M3FN::ZERO; r * kb];
        for i in 0..r {
            let mut p = vec![0u8; k / 2];
            nvfp4_quantize(
                &x[i * k..(i + 1) * k],
                t,
                &mut s[i * kb..(i + 1) * kb],
                &mut p,
            )
            .unwrap();
            unpack(&p, &mut q[i * k..(i + 1) * k]);
        }
        (q, s)
    };
    let (ta, tb) = (nvfp4_tensor_scale(a), nvfp4_tensor_scale(b));
    let (qa, sa) = rows(a, m, ta);
    let (qbt, sbt) = rows(&transpose(b, k, n), n, tb);
    let mut qb = vec![F4E2M1FN::from_bits(0); k * n];
    let mut sb = vec![F8E4M3FN::ZERO; kb * n];
    for j in 0..n {
        for l in 0..k {
            qb[l * n + j] = qbt[j * k + l];
        }
        for g in 0..kb {
            sb[g * n + j] = sbt[j * kb + g];
        }
    }
    (qa, sa, ta, qb, sb, tb)
}

/// On the references, NVFP4 quantize-and-multiply is `Gemm::run` on lowp's NVFP4 codes with
/// their E4M3 block scales and tensor scales.
#[test]
fn nvfp4_on_the_references_is_run_on_lowp_codes() {
    let (m, n, k) = (3, 4, 64);
    let (a, b) = (data(m * k, 5), data(k * n, 6));
    let mma = Mma::nvidia(
        "Blackwell",
        "tcgen05.mma",
        "m128n8k32.kind::f8f6f4.f32.e2m1.e2m1",
    )
    .unwrap();
    let (qa, sa, ta, qb, sb, tb) = nvfp4_codes(m, n, k, &a, &b);
    assert!(ta != 1.0 && tb != 1.0);
    let f = |s: &[F8E4M3FN]| s.iter().map(|v| v.to_f32()).collect::<Vec<f32>>();
    let (ga, gb) = (
        Scaling::blocks(1, 16, f(&sa)).with_tensor(ta),
        Scaling::blocks(16, 1, f(&sb)).with_tensor(tb),
    );
    for acc in [Accumulation::Exact, Accumulation::SequentialFma] {
        let g = Gemm::new(mma.clone())
            .with_accumulation(acc)
            .with_quantizer(Quantizer::Nvfp4);
        let mut y = vec![0f32; m * n];
        let (ra, rb) = g
            .quantize_run::<F4E2M1FN, F4E2M1FN>(m, n, k, &a, &b, &mut y)
            .unwrap();
        assert_eq!((&ra, &rb), (&ga, &gb));
        let mut want = vec![0f32; m * n];
        g.clone()
            .with_scales(ga.clone(), gb.clone())
            .run(m, n, k, &qa, &qb, &mut want)
            .unwrap();
        assert!(want.iter().all(|v| *v != 0.0));
        assert_eq!(y, want, "{acc:?}");
    }
}

/// On the block-scaled NVFP4 instruction, quantize-and-multiply is the instruction on lowp's
/// codes and E4M3 scales, times the product of the tensor scales (as cuBLAS's alpha).
#[test]
fn nvfp4_on_the_block_scaled_instruction_is_the_instruction_times_the_tensor_scales() {
    let (m, n, k) = (2, 5, 128);
    let (a, b) = (data(m * k, 7), data(k * n, 8));
    let mma = Mma::nvidia(
        "RTX Blackwell",
        "mma",
        "m16n8k64.kind::mxf4nvf4.block16.f32.e2m1.e2m1.f32.ue4m3",
    )
    .unwrap();
    let (qa, sa, ta, qb, sb, tb) = nvfp4_codes(m, n, k, &a, &b);
    let mut d = vec![0f32; m * n];
    gemm::matmul_scaled(&mma, m, n, k, &qa, &sa, &qb, &sb, &mut d).unwrap();
    let want: Vec<u32> = d.iter().map(|v| ((ta * tb) * v).to_bits()).collect();
    let g = Gemm::new(mma).with_quantizer(Quantizer::Nvfp4);
    let mut y = vec![0f32; m * n];
    g.quantize_run::<F4E2M1FN, F4E2M1FN>(m, n, k, &a, &b, &mut y)
        .unwrap();
    assert_eq!(y.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), want);
}

/// Operand formats the quantizer does not produce: an `Err`, `y` untouched.
#[test]
fn formats_the_quantizer_does_not_produce_are_errors() {
    let (m, n, k) = (1, 1, 32);
    let (a, b) = (data(m * k, 9), data(k * n, 10));
    let mma = Mma::nvidia("Hopper", "wgmma", "m64n8k16.f32.bf16.bf16").unwrap();
    let mut y = [7.0f32];
    for q in [Quantizer::Mx(MxScaleRule::Floor), Quantizer::Nvfp4] {
        let g = Gemm::new(mma.clone())
            .with_accumulation(Accumulation::Exact)
            .with_quantizer(q);
        assert!(g
            .quantize_run::<BF16, BF16>(m, n, k, &a, &b, &mut y)
            .is_err());
        assert_eq!(y, [7.0]);
    }
}
