//! `lowp verify`: dequantize every quantized weight of a compressed-tensors checkpoint, compare
//! it with the original (SQNR, max error), and check that every other tensor is the original's
//! bytes.

use crate::checkpoint::{Checkpoint, TensorRef};
use crate::dequant::{data_row_bytes, dequant_band, scale_at, scales_per_band, ErrorSums};
use crate::scheme::Scheme;
use crate::write::to_f32;
use anyhow::{bail, Result};
use rayon::prelude::*;
use safetensors::tensor::Dtype;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::Path;
use std::process::ExitCode;

/// A quantized weight found in a checkpoint.
pub struct QWeight {
    /// Module name.
    pub module: String,
    /// Its scheme (inferred from the tensors).
    pub scheme: Scheme,
    data: TensorRef,
    scale: TensorRef,
    global: Option<TensorRef>,
    /// [rows, cols] of the original weight.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
}

fn read_all(ck: &Checkpoint, t: &TensorRef) -> Result<Vec<u8>> {
    Ok(ck.shards[t.shard].map(t.start, t.len)?.to_vec())
}

/// Finds every quantized weight of `ck` (a module with `weight_scale`).
pub fn find_quantized(ck: &Checkpoint) -> Result<Vec<QWeight>> {
    let get = |n: &str| ck.by_name.get(n).map(|&i| ck.tensors[i].clone());
    let mut out = Vec::new();
    for t in &ck.tensors {
        let Some(module) = t.name.strip_suffix(".weight_scale") else {
            continue;
        };
        let scale = t.clone();
        let packed = get(&format!("{module}.weight_packed"));
        let plain = get(&format!("{module}.weight"));
        let (scheme, data, rows, cols) = match (plain, packed) {
            (Some(w), None) if w.shape.len() == 2 => {
                let (r, c) = (w.shape[0], w.shape[1]);
                let s = match w.dtype {
                    Dtype::F8_E4M3 if scale.shape == [r, 1] => Scheme::Fp8Dynamic,
                    Dtype::F8_E4M3 => Scheme::Fp8Block,
                    Dtype::I8 => Scheme::W8A8,
                    d => bail!("{module}.weight: unexpected dtype {d:?} next to a weight_scale"),
                };
                (s, w, r, c)
            }
            (None, Some(p)) if p.shape.len() == 2 => {
                let r = p.shape[0];
                match (p.dtype, scale.dtype) {
                    (Dtype::I32, _) => {
                        let shape = get(&format!("{module}.weight_shape"));
                        let c = match shape {
                            Some(s) => {
                                let b = read_all(ck, &s)?;
                                // [rows, cols] as int64: a shorter tensor is an error, not a
                                // slice panic.
                                let Some(c) = b.get(8..16) else {
                                    bail!(
                                        "{module}.weight_shape: {} bytes, expected [rows, cols] as int64 (16 bytes)",
                                        b.len()
                                    );
                                };
                                i64::from_le_bytes(c.try_into().unwrap()) as usize
                            }
                            None => p.shape[1] * 8,
                        };
                        (Scheme::W4A16, p, r, c)
                    }
                    (Dtype::U8, Dtype::F8_E4M3) => {
                        let c = p.shape[1] * 2;
                        (Scheme::Nvfp4A16, p, r, c)
                    }
                    (Dtype::U8, Dtype::U8) => {
                        let c = p.shape[1] * 2;
                        (Scheme::Mxfp4A16, p, r, c)
                    }
                    (a, b) => bail!("{module}: unexpected packed dtype {a:?} with scale {b:?}"),
                }
            }
            _ => bail!("{module}: a weight_scale without a 2-D weight or weight_packed"),
        };
        let global = get(&format!("{module}.weight_global_scale"));
        out.push(QWeight {
            module: module.to_string(),
            scheme,
            data,
            scale,
            global,
            rows,
            cols,
        });
    }
    Ok(out)
}

/// Error of one quantized weight against the original `orig`.
fn compare(q: &Checkpoint, o: &Checkpoint, w: &QWeight, orig: &TensorRef) -> Result<ErrorSums> {
    if !matches!(orig.dtype, Dtype::BF16 | Dtype::F16 | Dtype::F32) {
        bail!(
            "{}.weight in the original: dtype {:?}, expected BF16, F16 or F32",
            w.module,
            orig.dtype
        );
    }
    let band = w.scheme.row_block();
    let global = match &w.global {
        Some(g) => {
            let b = read_all(q, g)?;
            // One f32: a shorter tensor is an error, not a slice panic.
            let Some(b) = b.get(..4) else {
                bail!(
                    "{}.weight_global_scale: {} bytes, expected one f32",
                    w.module,
                    b.len()
                );
            };
            f32::from_le_bytes(b.try_into().unwrap())
        }
        None => 1.0,
    };
    let data = q.shards[w.data.shard].map(w.data.start, w.data.len)?;
    let scales = q.shards[w.scale.shard].map(w.scale.start, w.scale.len)?;
    let drow = data_row_bytes(w.scheme, w.cols);
    let spb = scales_per_band(w.scheme, w.cols);
    let ssize = w.scale.dtype.bitsize() / 8;
    let esize = orig.dtype.bitsize() / 8;
    let nb = w.rows.div_ceil(band);
    // The stored codes and scales must hold what [rows, cols] needs (whole FP4 blocks
    // included): a short or misshapen tensor is an error, not a slice panic.
    let need_data = w.rows.checked_mul(drow);
    let need_scales = nb.checked_mul(spb).and_then(|v| v.checked_mul(ssize));
    let whole_blocks = match w.scheme {
        Scheme::Nvfp4A16 => w.cols.is_multiple_of(16),
        Scheme::Mxfp4A16 | Scheme::Mxfp4 => w.cols.is_multiple_of(32),
        _ => true,
    };
    if need_data.is_none_or(|n| data.len() < n)
        || need_scales.is_none_or(|n| scales.len() < n)
        || !whole_blocks
    {
        bail!(
            "{}: the stored codes ({} bytes) and weight_scale ({} bytes) do not fit a {} weight of [{}, {}]",
            w.module,
            data.len(),
            scales.len(),
            w.scheme.name(),
            w.rows,
            w.cols
        );
    }
    let _ = scale_at;
    let sums: Result<ErrorSums> = (0..nb)
        .into_par_iter()
        .with_min_len(64)
        .map(|b| -> Result<ErrorSums> {
            let (r0, r1) = (b * band, ((b + 1) * band).min(w.rows));
            let m = o.shards[orig.shard].map(
                orig.start + (r0 * w.cols * esize) as u64,
                (r1 - r0) * w.cols * esize,
            )?;
            let mut x = Vec::new();
            to_f32(orig.dtype, &m, &mut x);
            let mut y = Vec::with_capacity(x.len());
            dequant_band(
                w.scheme,
                &data[r0 * drow..r1 * drow],
                &scales[b * spb * ssize..(b + 1) * spb * ssize],
                w.scale.dtype,
                r1 - r0,
                w.cols,
                global,
                &mut y,
            );
            let mut s = ErrorSums::default();
            s.add(&x, &y);
            Ok(s)
        })
        .try_reduce(ErrorSums::default, |a, b| Ok(a.merge(b)));
    sums
}

/// Runs the command.
pub fn run(quantized: &Path, original: &Path, min_sqnr: f64, json_out: bool) -> Result<ExitCode> {
    let q = Checkpoint::open(quantized)?;
    let o = Checkpoint::open(original)?;
    let weights = find_quantized(&q)?;
    let mut owned: HashSet<String> = HashSet::new();
    let mut rows = Vec::new();
    let mut failed = 0;
    for w in &weights {
        for s in [
            "weight",
            "weight_packed",
            "weight_scale",
            "weight_shape",
            "weight_global_scale",
        ] {
            owned.insert(format!("{}.{s}", w.module));
        }
        let Some(&oi) = o.by_name.get(&format!("{}.weight", w.module)) else {
            rows.push(json!({"tensor": w.module, "scheme": w.scheme.name(), "status": "no original weight"}));
            failed += 1;
            continue;
        };
        let orig = &o.tensors[oi];
        if orig.shape != [w.rows, w.cols] {
            rows.push(json!({"tensor": w.module, "scheme": w.scheme.name(), "status": format!("original shape {:?} differs", orig.shape)}));
            failed += 1;
            continue;
        }
        let e = compare(&q, &o, w, orig)?;
        let sqnr = e.sqnr_db();
        let ok = sqnr >= min_sqnr;
        if !ok {
            failed += 1;
        }
        rows.push(json!({
            "tensor": w.module,
            "scheme": w.scheme.name(),
            "sqnr_db": if sqnr.is_finite() { json!(sqnr) } else { json!(null) },
            "max_abs_error": e.max_abs,
            "status": if ok { "ok" } else { "below threshold" },
        }));
    }
    // Everything else must be the original's bytes.
    let mut copied = 0;
    for t in &q.tensors {
        if owned.contains(&t.name) {
            continue;
        }
        let status = match o.by_name.get(&t.name) {
            None => "not in the original".to_string(),
            Some(&i) => {
                let ot = &o.tensors[i];
                if ot.dtype != t.dtype || ot.shape != t.shape {
                    "dtype or shape differs".to_string()
                } else if !same_bytes(&q, t, &o, ot)? {
                    "bytes differ".to_string()
                } else {
                    copied += 1;
                    continue;
                }
            }
        };
        failed += 1;
        rows.push(json!({"tensor": t.name, "scheme": null, "status": status}));
    }
    let summary = json!({
        "command": "verify",
        "quantized_weights": weights.len(),
        "copied_tensors_identical": copied,
        "failures": failed,
        "min_sqnr_db": min_sqnr,
        "tensors": rows,
    });
    if json_out {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "{:<60} {:<12} {:>10} {:>12}  status",
            "tensor", "scheme", "SQNR dB", "max |err|"
        );
        for r in summary["tensors"].as_array().unwrap() {
            println!(
                "{:<60} {:<12} {:>10} {:>12}  {}",
                r["tensor"].as_str().unwrap_or(""),
                r["scheme"].as_str().unwrap_or("-"),
                fmt_num(&r["sqnr_db"], 2),
                fmt_num(&r["max_abs_error"], 4),
                r["status"].as_str().unwrap_or("")
            );
        }
        println!(
            "{} quantized weights, {} other tensors identical to the original, {} failure(s) (threshold {min_sqnr} dB)",
            weights.len(),
            copied,
            failed
        );
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Whether two tensors hold the same bytes, compared 64 MiB at a time.
fn same_bytes(q: &Checkpoint, a: &TensorRef, o: &Checkpoint, b: &TensorRef) -> Result<bool> {
    const STEP: usize = 64 << 20;
    let mut done = 0;
    while done < a.len {
        let n = (a.len - done).min(STEP);
        let x = q.shards[a.shard].map(a.start + done as u64, n)?;
        let y = o.shards[b.shard].map(b.start + done as u64, n)?;
        if *x != *y {
            return Ok(false);
        }
        done += n;
    }
    Ok(true)
}

fn fmt_num(v: &Value, prec: usize) -> String {
    match v {
        Value::Number(n) => format!("{:.prec$}", n.as_f64().unwrap_or(f64::NAN)),
        Value::Null => "-".into(),
        _ => "-".into(),
    }
}
