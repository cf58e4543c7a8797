//! `lowp stats`: for every weight that quantize would quantize, its amax and the SQNR and max
//! error of each scheme (each weight quantized alone: the NVFP4 global scale is its own, not
//! shared with fused partners), as a table, JSON, or an SVG chart.

use crate::checkpoint::{Checkpoint, TensorRef};
use crate::dequant::{data_row_bytes, dequant_band, scales_per_band, ErrorSums};
use crate::plan::{quantized_module, Pattern};
use crate::scheme::{global_scale, quantize_band, torch_dtype, Part, Scheme};
use crate::write::to_f32;
use anyhow::{anyhow, Result};
use plotters::prelude::*;
use rayon::prelude::*;
use serde_json::{json, Value};
use std::path::Path;
use std::process::ExitCode;

fn row_band_bytes(ck: &Checkpoint, t: &TensorRef, r0: usize, r1: usize) -> Result<Vec<f32>> {
    let cols = t.shape[1];
    let esize = t.dtype.bitsize() / 8;
    let m = ck.shards[t.shard].map(
        t.start + (r0 * cols * esize) as u64,
        (r1 - r0) * cols * esize,
    )?;
    let mut x = Vec::new();
    to_f32(t.dtype, &m, &mut x);
    Ok(x)
}

fn amax_of(ck: &Checkpoint, t: &TensorRef) -> Result<f32> {
    let rows = t.shape[0];
    (0..rows.div_ceil(256))
        .into_par_iter()
        .map(|b| {
            let x = row_band_bytes(ck, t, b * 256, ((b + 1) * 256).min(rows))?;
            Ok(lowp::quant::producer::ct_amax(&x))
        })
        .try_reduce(
            || 0.0f32,
            |a, b| {
                Ok(if b.is_nan() || a.is_nan() {
                    f32::NAN
                } else {
                    a.max(b)
                })
            },
        )
}

/// Error of `scheme` on one weight (quantize then dequantize, band by band).
fn scheme_error(ck: &Checkpoint, t: &TensorRef, scheme: Scheme, amax: f32) -> Result<ErrorSums> {
    let (rows, cols) = (t.shape[0], t.shape[1]);
    let band = scheme.row_block();
    let global = if scheme.has_global_scale() {
        global_scale(amax, t.dtype)
    } else {
        1.0
    };
    let sd = scheme
        .outputs(t.dtype, rows, cols)
        .into_iter()
        .find(|o| o.0 == Part::Scale)
        .map(|o| o.1)
        .unwrap();
    let data_part = if matches!(scheme, Scheme::Fp8Dynamic | Scheme::Fp8Block | Scheme::W8A8) {
        Part::Weight
    } else {
        Part::Packed
    };
    let _ = (data_row_bytes, scales_per_band);
    (0..rows.div_ceil(band))
        .into_par_iter()
        .with_min_len(16)
        .map(|b| {
            let (r0, r1) = (b * band, ((b + 1) * band).min(rows));
            let x = row_band_bytes(ck, t, r0, r1)?;
            let (mut d, mut s, mut y) = (Vec::new(), Vec::new(), Vec::with_capacity(x.len()));
            let ok = quantize_band(scheme, data_part, t.dtype, &x, cols, global, &mut d)
                & quantize_band(scheme, Part::Scale, t.dtype, &x, cols, global, &mut s);
            if !ok {
                return Err(anyhow!("tensor {} holds NaN or infinite values", t.name));
            }
            dequant_band(scheme, &d, &s, sd, r1 - r0, cols, global, &mut y);
            let mut e = ErrorSums::default();
            e.add(&x, &y);
            Ok(e)
        })
        .try_reduce(ErrorSums::default, |a, b| Ok(a.merge(b)))
}

/// Runs the command.
pub fn run(
    model: &Path,
    schemes: &[Scheme],
    ignore: &[String],
    json_out: bool,
    svg: Option<&Path>,
) -> Result<ExitCode> {
    let ck = Checkpoint::open(model)?;
    let patterns: Vec<Pattern> = ignore
        .iter()
        .map(|s| Pattern::parse(s))
        .collect::<Result<_>>()?;
    let mut rows: Vec<Value> = Vec::new();
    for t in &ck.tensors {
        if t.shape.len() != 2
            || torch_dtype(t.dtype).is_none()
            || quantized_module(&t.name, &patterns).is_none()
        {
            continue;
        }
        let amax = amax_of(&ck, t)?;
        let mut per = serde_json::Map::new();
        for &s in schemes {
            if s.check_shape(&t.shape).is_err() || !amax.is_finite() {
                per.insert(s.name().into(), Value::Null);
                continue;
            }
            let e = scheme_error(&ck, t, s, amax)?;
            let q = e.sqnr_db();
            per.insert(
                s.name().into(),
                json!({"sqnr_db": if q.is_finite() { json!(q) } else { Value::Null }, "max_abs_error": e.max_abs}),
            );
        }
        rows.push(json!({
            "tensor": t.name,
            "dtype": format!("{:?}", t.dtype),
            "shape": t.shape,
            "amax": amax,
            "schemes": per,
        }));
    }
    if let Some(path) = svg {
        chart(path, &rows, schemes)?;
    }
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"command": "stats", "tensors": rows}))?
        );
    } else {
        print!("{:<56} {:>10}", "tensor (SQNR dB / max |err|)", "amax");
        for s in schemes {
            print!(" {:>20}", s.name());
        }
        println!();
        for r in &rows {
            print!(
                "{:<56} {:>10.4}",
                r["tensor"].as_str().unwrap(),
                r["amax"].as_f64().unwrap_or(f64::NAN)
            );
            for s in schemes {
                let v = &r["schemes"][s.name()];
                let cell = if v.is_null() {
                    "n/a".to_string()
                } else {
                    let q = v["sqnr_db"]
                        .as_f64()
                        .map(|q| format!("{q:.2}"))
                        .unwrap_or_else(|| "exact".into());
                    format!(
                        "{q} / {:.3e}",
                        v["max_abs_error"].as_f64().unwrap_or(f64::NAN)
                    )
                };
                print!(" {cell:>20}");
            }
            println!();
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// SQNR per weight (x) and scheme (one line each), as SVG.
fn chart(path: &Path, rows: &[Value], schemes: &[Scheme]) -> Result<()> {
    let n = rows.len().max(1);
    let vals: Vec<Vec<Option<f64>>> = schemes
        .iter()
        .map(|s| {
            rows.iter()
                .map(|r| r["schemes"][s.name()]["sqnr_db"].as_f64())
                .collect()
        })
        .collect();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in vals.iter().flatten().flatten() {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    let width = (240 + 14 * n as u32).clamp(800, 4000);
    let root = SVGBackend::new(path, (width, 560)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| anyhow!("cannot draw {}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut c = ChartBuilder::on(&root)
        .caption(
            "SQNR of each weight per scheme (higher is better)",
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..n as f64, (lo - 2.0).floor()..(hi + 2.0).ceil())
        .map_err(|e| err(&e))?;
    c.configure_mesh()
        .x_desc("weight (checkpoint order)")
        .y_desc("SQNR (dB)")
        .draw()
        .map_err(|e| err(&e))?;
    for (i, (s, v)) in schemes.iter().zip(&vals).enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let pts: Vec<(f64, f64)> = v
            .iter()
            .enumerate()
            .filter_map(|(k, q)| q.map(|q| (k as f64 + 0.5, q)))
            .collect();
        c.draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(s.name())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
            });
        c.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
            .map_err(|e| err(&e))?;
    }
    c.configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
