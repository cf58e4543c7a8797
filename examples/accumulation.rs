//! How the accumulation of an FP8 GEMM loses accuracy as k grows, on a Hopper GPU.
//!
//! A (m×k) and B (k×n) are drawn in f32 (activations |N(0,1)|-like, weights N(0,1)-like, so
//! the sums do not cancel to zero), quantized to FP8 E4M3 per tensor with lowp's scaled
//! quantizer, and multiplied three ways:
//!
//! - `wgmma`: Hopper's `wgmma.m64n256k32.f32.e4m3.e4m3` accumulating all of k (13 fraction
//!   bits kept per product group, truncated: E8M13),
//! - `promoted`: the same instruction, promoted into an f32 accumulator every 128 elements
//!   of k (DeepGEMM's fix),
//! - `exact`: exact accumulation, one rounding at the end.
//!
//! The relative error (Frobenius norm) is measured against the f64 product of the f32 inputs
//! (quantization + accumulation), and against the exact product of the FP8 operands
//! (accumulation alone). Prints a table and writes `accumulation.svg` next to this file.
//!
//! `cargo run --release --example accumulation` (a few seconds).

use lowp::gemm::{Accumulation, Gemm, Mma, Scaling};
use lowp::quant::{amax, quantize_scaled, scale_from_amax};
use lowp::F8E4M3FN;
use plotters::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (m, n) = (32, 32);
    let ks = [256usize, 512, 1024, 2048, 4096, 8192, 16384];
    let mma = Mma::nvidia("Hopper", "wgmma", "m64n256k32.f32.e4m3.e4m3")?;
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut uniform = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    // Approximately normal: the sum of four uniforms, centred and scaled.
    let mut normal = move || ((0..4).map(|_| uniform()).sum::<f64>() - 2.0) * 1.7;

    let modes = ["wgmma", "promoted every 128", "exact"];
    let mut total: Vec<Vec<f64>> = vec![Vec::new(); 3];
    let mut accum: Vec<Vec<f64>> = vec![Vec::new(); 3];
    println!(
        "{:>6} | {:>12} {:>12} {:>12} | {:>12} {:>12}",
        "k", "wgmma", "promoted", "exact", "wgmma acc.", "promoted acc."
    );
    println!(
        "{:>6} | {:^38} | {:^25}",
        "", "relative error vs f64 product", "accumulation alone"
    );
    for &k in &ks {
        let a: Vec<f32> = (0..m * k).map(|_| normal().abs() as f32).collect();
        let b: Vec<f32> = (0..k * n).map(|_| normal() as f32).collect();
        // f64 reference of the f32 inputs.
        let mut want = vec![0f64; m * n];
        for i in 0..m {
            for l in 0..k {
                let x = a[i * k + l] as f64;
                for j in 0..n {
                    want[i * n + j] += x * b[l * n + j] as f64;
                }
            }
        }
        // Per-tensor FP8 quantization.
        let (sa, sb) = (
            scale_from_amax::<F8E4M3FN>(amax(&a)),
            scale_from_amax::<F8E4M3FN>(amax(&b)),
        );
        let mut qa = vec![F8E4M3FN::ZERO; m * k];
        let mut qb = vec![F8E4M3FN::ZERO; k * n];
        quantize_scaled(&a, sa, &mut qa)?;
        quantize_scaled(&b, sb, &mut qb)?;
        let g = Gemm::new(mma.clone()).with_scales(Scaling::tensor(sa), Scaling::tensor(sb));
        let run = |acc: Accumulation| -> Result<Vec<f32>, lowp::Error> {
            let mut y = vec![0f32; m * n];
            g.clone()
                .with_accumulation(acc)
                .run(m, n, k, &qa, &qb, &mut y)?;
            Ok(y)
        };
        let ys = [
            run(Accumulation::Instruction)?,
            run(Accumulation::Promoted { every: 128 })?,
            run(Accumulation::Exact)?,
        ];
        let rel = |y: &[f32], r: &[f64]| {
            let num: f64 = y.iter().zip(r).map(|(&p, &q)| (p as f64 - q).powi(2)).sum();
            let den: f64 = r.iter().map(|q| q * q).sum();
            (num / den).sqrt()
        };
        let exact: Vec<f64> = ys[2].iter().map(|&v| v as f64).collect();
        for (t, y) in ys.iter().enumerate() {
            total[t].push(rel(y, &want));
            accum[t].push(rel(y, &exact));
        }
        println!(
            "{:>6} | {:>12.3e} {:>12.3e} {:>12.3e} | {:>12.3e} {:>12.3e}",
            k,
            total[0].last().unwrap(),
            total[1].last().unwrap(),
            total[2].last().unwrap(),
            accum[0].last().unwrap(),
            accum[1].last().unwrap()
        );
    }

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/accumulation.svg");
    let root = SVGBackend::new(&path, (800, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let ymin = total
        .iter()
        .chain(&accum[..2])
        .flatten()
        .cloned()
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let ymax = total.iter().flatten().cloned().fold(0.0, f64::max);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "FP8 E4M3 GEMM on Hopper: relative error vs k",
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (256f64..16384f64).log_scale(),
            (ymin / 2.0..ymax * 2.0).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_desc("k")
        .y_desc("relative error (Frobenius)")
        .draw()?;
    let colors = [RED, BLUE, BLACK];
    for (t, mode) in modes.iter().enumerate() {
        let c = colors[t];
        chart
            .draw_series(LineSeries::new(
                ks.iter().map(|&k| k as f64).zip(total[t].iter().cloned()),
                c.stroke_width(2),
            ))?
            .label(format!("{mode} (vs f64 product)"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
        if t < 2 {
            chart
                .draw_series(LineSeries::new(
                    ks.iter().map(|&k| k as f64).zip(accum[t].iter().cloned()),
                    c.mix(0.5).stroke_width(1),
                ))?
                .label(format!("{mode} (accumulation alone)"))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.mix(0.5)));
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    root.present()?;
    println!("wrote {}", path.display());
    Ok(())
}
