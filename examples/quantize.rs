//! Quantize a realistic weight tensor with every scheme and compare the errors.
//!
//! `cargo run --release --example quantize`
//!
//! The tensor is 512 × 1024 weights drawn from N(0, 0.02²) with 0.1 % outliers ten times larger
//! and a few rows scaled up (as in a real layer). Bytes count the stored elements plus the
//! parameters: 4 bytes per f32 scale, 1 per zero point or E8M0/E4M3 scale.

use lowp::quant::{self, MxFormat, QParams, QuantInt, Scheme, I4, U4};
use lowp::{Format, F8E4M3FN, F8E5M2};

const ROWS: usize = 512;
const COLS: usize = 1024;

fn weights() -> Vec<f32> {
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    let mut uniform = move || {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        ((s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f64 + 0.5) / (1u64 << 24) as f64
    };
    (0..ROWS * COLS)
        .map(|i| {
            let (u, v) = (uniform(), uniform());
            let g = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos();
            let row_gain = if (i / COLS).is_multiple_of(64) {
                4.0
            } else {
                1.0
            };
            let outlier = if uniform() < 0.001 { 10.0 } else { 1.0 };
            (g * 0.02 * row_gain * outlier) as f32
        })
        .collect()
}

struct Row {
    format: String,
    granularity: &'static str,
    bytes: usize,
    y: Vec<f32>,
}

fn int_rows<Q: QuantInt>(x: &[f32], name: &str, scheme: Scheme, rows: &mut Vec<Row>) {
    let n = x.len();
    let bits = Q::BITS as usize;
    let zp_bytes = if scheme == Scheme::Asymmetric { 1 } else { 0 };
    let data = n * bits / 8;
    let fmt = format!("{name} {scheme:?}");
    // Per tensor.
    let p = quant::qparams_from_data::<Q>(x, scheme).unwrap();
    let mut y = vec![0f32; n];
    quant::fake_quantize::<Q>(x, p, &mut y).unwrap();
    rows.push(Row {
        format: fmt.clone(),
        granularity: "per tensor",
        bytes: data + 4 + zp_bytes,
        y,
    });
    // Per output channel (axis 0).
    let mut ps = vec![QParams::new(1.0, 0); ROWS];
    quant::qparams_per_axis::<Q>(x, &[ROWS, COLS], 0, scheme, &mut ps).unwrap();
    let mut y = vec![0f32; n];
    quant::fake_quantize_per_axis::<Q>(x, &[ROWS, COLS], 0, &ps, &mut y).unwrap();
    rows.push(Row {
        format: fmt.clone(),
        granularity: "per channel",
        bytes: data + ROWS * (4 + zp_bytes),
        y,
    });
    // Blocks of 32 along the input dimension.
    let nb = ROWS * COLS / 32;
    let mut ps = vec![QParams::new(1.0, 0); nb];
    quant::qparams_blocked::<Q>(x, &[ROWS, COLS], 1, 32, scheme, &mut ps).unwrap();
    let mut y = vec![0f32; n];
    quant::fake_quantize_blocked::<Q>(x, &[ROWS, COLS], 1, 32, &ps, &mut y).unwrap();
    rows.push(Row {
        format: fmt,
        granularity: "block 32",
        bytes: data + nb * (4 + zp_bytes),
        y,
    });
}

fn fp8_rows<F: Format>(x: &[f32], rows: &mut Vec<Row>) {
    let n = x.len();
    let s = quant::scale_from_amax::<F>(quant::amax(x));
    let mut y = vec![0f32; n];
    quant::fake_quantize_scaled::<F>(x, s, &mut y).unwrap();
    rows.push(Row {
        format: F::NAME.to_string(),
        granularity: "per tensor",
        bytes: n + 4,
        y,
    });
    let mut scales = vec![0f32; ROWS];
    quant::scales_per_axis::<F>(x, &[ROWS, COLS], 0, &mut scales).unwrap();
    let mut q = vec![F::from_bits_u32(0); n];
    quant::quantize_scaled_per_axis(x, &[ROWS, COLS], 0, &scales, &mut q).unwrap();
    let mut y = vec![0f32; n];
    quant::dequantize_scaled_per_axis(&q, &[ROWS, COLS], 0, &scales, &mut y).unwrap();
    rows.push(Row {
        format: F::NAME.to_string(),
        granularity: "per channel",
        bytes: n + 4 * ROWS,
        y,
    });
}

fn main() {
    let x = weights();
    let n = x.len();
    let mut rows = Vec::new();

    int_rows::<i8>(&x, "int8", Scheme::Symmetric, &mut rows);
    int_rows::<u8>(&x, "uint8", Scheme::Asymmetric, &mut rows);
    int_rows::<I4>(&x, "int4", Scheme::Symmetric, &mut rows);
    int_rows::<U4>(&x, "uint4", Scheme::Asymmetric, &mut rows);

    // Calibrated int8 / int4 per tensor.
    let mut pct = quant::PercentileObserver::new(99.99);
    let mut mse = quant::MseObserver::default();
    for chunk in x.chunks(COLS * 64) {
        pct.observe(chunk);
        mse.observe(chunk);
    }
    for (name, p) in [
        (
            "int8 percentile 99.99",
            pct.qparams::<i8>(Scheme::Symmetric).unwrap(),
        ),
        (
            "int8 MSE search",
            mse.qparams::<i8>(Scheme::Symmetric).unwrap(),
        ),
    ] {
        let mut y = vec![0f32; n];
        quant::fake_quantize::<i8>(&x, p, &mut y).unwrap();
        rows.push(Row {
            format: name.to_string(),
            granularity: "per tensor",
            bytes: n + 4,
            y,
        });
    }
    let p = mse.qparams::<I4>(Scheme::Symmetric).unwrap();
    let mut y = vec![0f32; n];
    quant::fake_quantize::<I4>(&x, p, &mut y).unwrap();
    rows.push(Row {
        format: "int4 MSE search".to_string(),
        granularity: "per tensor",
        bytes: n / 2 + 4,
        y,
    });

    fp8_rows::<F8E4M3FN>(&x, &mut rows);
    fp8_rows::<F8E5M2>(&x, &mut rows);

    for f in MxFormat::ALL {
        let mut y = vec![0f32; n];
        quant::mx_fake_quantize(&x, f, &mut y).unwrap();
        rows.push(Row {
            format: f.name().to_string(),
            granularity: "block 32",
            bytes: quant::mx_element_bytes(f, n) + n / 32,
            y,
        });
    }
    for f in [MxFormat::E4M3, MxFormat::E2M1] {
        let mut y = vec![0f32; n];
        let o = quant::MxOptions {
            rule: quant::MxScaleRule::RoundUp,
            ..Default::default()
        };
        quant::mx_fake_quantize_with(&x, f, o, &mut y).unwrap();
        rows.push(Row {
            format: format!("{} round-up", f.name()),
            granularity: "block 32",
            bytes: quant::mx_element_bytes(f, n) + n / 32,
            y,
        });
    }
    let mut y = vec![0f32; n];
    quant::nvfp4_fake_quantize(&x, &mut y).unwrap();
    rows.push(Row {
        format: "NVFP4".to_string(),
        granularity: "block 16",
        bytes: n / 2 + n / 16 + 4,
        y,
    });

    println!(
        "{} × {} weights, N(0, 0.02²) with 0.1 % outliers (×10) and some rows ×4: {} bytes as f32\n",
        ROWS,
        COLS,
        4 * n
    );
    println!(
        "{:<24} {:<12} {:>9} {:>7} {:>11} {:>9} {:>10} {:>9}",
        "format", "granularity", "bytes", "bits/el", "MSE", "SQNR dB", "max error", "cosine"
    );
    for r in &rows {
        let s = quant::error_stats(&x, &r.y).unwrap();
        println!(
            "{:<24} {:<12} {:>9} {:>7.3} {:>11.3e} {:>9.2} {:>10.3e} {:>9.6}",
            r.format,
            r.granularity,
            r.bytes,
            8.0 * r.bytes as f64 / n as f64,
            s.mse,
            s.sqnr_db,
            s.max_abs,
            s.cosine
        );
    }
}
