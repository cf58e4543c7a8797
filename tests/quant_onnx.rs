//! Bit-for-bit comparison with onnxruntime: the golden vectors in tests/data/onnx/golden.txt
//! were produced by scripts/gen_onnx_golden.py (QuantizeLinear / DequantizeLinear per tensor,
//! per axis and blocked, DynamicQuantizeLinear, QuantizeLinear to float8 with saturate=1), plus
//! numpy's emulation of PyTorch's reciprocal rule.
//!
//! The one expected divergence (CONTRACT.md §4): NaN quantizes to the zero point in lowp and to
//! qmin in onnxruntime; it is checked explicitly.

use lowp::quant::{self, QParams, QuantInt, QuantOptions, ScaleRule, I4, U4};
use lowp::{Format, F8E4M3FN, F8E5M2};

#[derive(Debug, Default)]
struct Case {
    name: String,
    op: String,
    ty: String,
    shape: Vec<usize>,
    axis: Option<usize>,
    block: usize,
    scale: Vec<f32>,
    zero: Vec<i32>,
    x: Vec<String>,
    y: Vec<String>,
}

fn f32_hex(s: &str) -> f32 {
    f32::from_bits(u32::from_str_radix(s.trim_start_matches("0x"), 16).unwrap())
}

fn load() -> Vec<Case> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/onnx/golden.txt");
    let text = std::fs::read_to_string(path).expect("golden file");
    let mut cases = Vec::new();
    let mut c = Case::default();
    for line in text.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        let words = || {
            rest.split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>()
        };
        match key {
            "case" => c.name = rest.to_string(),
            "op" => c.op = rest.to_string(),
            "type" => c.ty = rest.to_string(),
            "shape" => {
                c.shape = rest
                    .split_whitespace()
                    .map(|d| d.parse().unwrap())
                    .collect()
            }
            "axis" => c.axis = rest.parse().ok(),
            "block" => c.block = rest.parse().unwrap(),
            "scale" => c.scale = rest.split_whitespace().map(f32_hex).collect(),
            "zero" => {
                c.zero = rest
                    .split_whitespace()
                    .map(|d| d.parse().unwrap())
                    .collect()
            }
            "x" => c.x = words(),
            "y" => c.y = words(),
            "end" => cases.push(std::mem::take(&mut c)),
            _ => panic!("bad line {line}"),
        }
    }
    cases
}

fn params(c: &Case) -> Vec<QParams> {
    c.scale
        .iter()
        .zip(&c.zero)
        .map(|(&s, &z)| QParams::new(s, z))
        .collect()
}

fn xs(c: &Case) -> Vec<f32> {
    c.x.iter().map(|s| f32_hex(s)).collect()
}

fn ints(v: &[String]) -> Vec<i32> {
    v.iter().map(|s| s.parse().unwrap()).collect()
}

/// Quantize with the case's granularity.
fn quantize_case<Q: QuantInt>(c: &Case, x: &[f32], rule: ScaleRule) -> Vec<i32> {
    let p = params(c);
    let mut q = vec![Q::default(); x.len()];
    let o = QuantOptions {
        rule,
        ..Default::default()
    };
    match (c.axis, c.block) {
        (None, _) => quant::quantize_with(x, p[0], o, &mut q),
        (Some(a), 0) => quant::quantize_per_axis_with(x, &c.shape, a, &p, o, &mut q),
        (Some(a), b) => quant::quantize_blocked_with(x, &c.shape, a, b, &p, o, &mut q),
    }
    .unwrap();
    q.iter().map(|v| v.to_i32()).collect()
}

fn dequantize_case<Q: QuantInt>(c: &Case, from: impl Fn(i32) -> Q) -> Vec<f32> {
    let p = params(c);
    let q: Vec<Q> = ints(&c.x).into_iter().map(from).collect();
    let mut y = vec![0f32; q.len()];
    match (c.axis, c.block) {
        (None, _) => quant::dequantize(&q, p[0], &mut y),
        (Some(a), 0) => quant::dequantize_per_axis(&q, &c.shape, a, &p, &mut y),
        (Some(a), b) => quant::dequantize_blocked(&q, &c.shape, a, b, &p, &mut y),
    }
    .unwrap();
    y
}

fn qmin(ty: &str) -> i32 {
    match ty {
        "int8" => -128,
        "int4" => -8,
        _ => 0,
    }
}

/// Compare integer results; NaN inputs must give the zero point here and qmin in onnxruntime.
fn check_ints(c: &Case, x: &[f32], got: &[i32], nan_divergence: bool) -> usize {
    let want = ints(&c.y);
    assert_eq!(got.len(), want.len(), "{}", c.name);
    let mut compared = 0;
    for i in 0..got.len() {
        if x[i].is_nan() && nan_divergence {
            let zp = if c.zero.len() == 1 {
                c.zero[0]
            } else {
                continue;
            };
            assert_eq!(
                want[i],
                qmin(&c.ty),
                "{}: onnxruntime's NaN rule changed",
                c.name
            );
            assert_eq!(got[i], zp, "{}: NaN → zero point", c.name);
            continue;
        }
        assert_eq!(
            got[i],
            want[i],
            "{} element {i}: x = {:e} ({:#010x}), lowp {} vs reference {}",
            c.name,
            x[i],
            x[i].to_bits(),
            got[i],
            want[i]
        );
        compared += 1;
    }
    compared
}

fn check_f32(c: &Case, got: &[f32]) -> usize {
    let want: Vec<f32> = c.y.iter().map(|s| f32_hex(s)).collect();
    assert_eq!(got.len(), want.len(), "{}", c.name);
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        if w.is_nan() {
            assert!(g.is_nan(), "{} element {i}: want NaN, got {g}", c.name);
        } else {
            assert_eq!(
                g.to_bits(),
                w.to_bits(),
                "{} element {i}: lowp {g:e} vs onnxruntime {w:e}",
                c.name
            );
        }
    }
    got.len()
}

fn quantize_int_case(c: &Case, rule: ScaleRule) -> usize {
    let x = xs(c);
    let nan_div = c.op == "QuantizeLinear";
    let got = match c.ty.as_str() {
        "int8" => quantize_case::<i8>(c, &x, rule),
        "uint8" => quantize_case::<u8>(c, &x, rule),
        "int4" => quantize_case::<I4>(c, &x, rule),
        "uint4" => quantize_case::<U4>(c, &x, rule),
        t => panic!("type {t}"),
    };
    let n = check_ints(c, &x, &got, nan_div);
    // 4-bit per tensor: the packed form gives the same values.
    if c.axis.is_none() && rule == ScaleRule::Divide && c.ty.ends_with("int4") {
        let p = params(c)[0];
        let mut packed = vec![0u8; quant::packed_4bit_len(x.len())];
        let mut back = vec![0f32; x.len()];
        let mut direct = vec![0f32; x.len()];
        if c.ty == "int4" {
            quant::quantize_packed::<I4>(&x, p, &mut packed).unwrap();
            quant::dequantize_packed::<I4>(&packed, p, &mut back).unwrap();
            quant::fake_quantize::<I4>(&x, p, &mut direct).unwrap();
        } else {
            quant::quantize_packed::<U4>(&x, p, &mut packed).unwrap();
            quant::dequantize_packed::<U4>(&packed, p, &mut back).unwrap();
            quant::fake_quantize::<U4>(&x, p, &mut direct).unwrap();
        }
        for (a, b) in back.iter().zip(&direct) {
            assert_eq!(a.to_bits(), b.to_bits(), "{}: packed round trip", c.name);
        }
    }
    n
}

fn float8_case<F: Format>(c: &Case) -> usize {
    match c.op.as_str() {
        "QuantizeLinear" => {
            let x = xs(c);
            let mut q = vec![F::from_bits_u32(0); x.len()];
            quant::quantize_scaled(&x, c.scale[0], &mut q).unwrap();
            let mut got: Vec<i32> = q.iter().map(|v| v.to_bits_u32() as i32).collect();
            // NaN: both give a NaN with the input's sign, but not the same code for E5M2
            // (onnxruntime 0x7F|s, lowp the canonical quiet NaN 0x7E|s as ml_dtypes).
            let want = ints(&c.y);
            for i in 0..x.len() {
                if x[i].is_nan() {
                    let ort = F::from_bits_u32(want[i] as u32);
                    assert!(
                        ort.to_f32().is_nan() && q[i].to_f32().is_nan(),
                        "{}",
                        c.name
                    );
                    assert_eq!(want[i] & 0x80, got[i] & 0x80, "{}: NaN sign", c.name);
                    got[i] = want[i];
                }
            }
            check_ints(c, &x, &got, false)
        }
        "DequantizeLinear" => {
            let q: Vec<F> = ints(&c.x)
                .into_iter()
                .map(|v| F::from_bits_u32(v as u32))
                .collect();
            let mut y = vec![0f32; q.len()];
            quant::dequantize_scaled(&q, c.scale[0], &mut y).unwrap();
            check_f32(c, &y)
        }
        op => panic!("op {op}"),
    }
}

#[test]
fn onnxruntime_golden() {
    let cases = load();
    assert!(
        cases.len() >= 170,
        "golden file truncated: {} cases",
        cases.len()
    );
    let mut by_op = std::collections::BTreeMap::<String, (usize, usize)>::new();
    for c in &cases {
        let n = match (c.op.as_str(), c.ty.as_str()) {
            (_, "float8e4m3fn") => float8_case::<F8E4M3FN>(c),
            (_, "float8e5m2") => float8_case::<F8E5M2>(c),
            ("QuantizeLinear", _) => quantize_int_case(c, ScaleRule::Divide),
            ("Reciprocal", _) => quantize_int_case(c, ScaleRule::Reciprocal),
            ("DequantizeLinear", "int8") => check_f32(c, &dequantize_case::<i8>(c, |v| v as i8)),
            ("DequantizeLinear", "uint8") => check_f32(c, &dequantize_case::<u8>(c, |v| v as u8)),
            ("DynamicQuantizeLinear", _) => {
                let x = xs(c);
                let mut q = vec![0u8; x.len()];
                let p = quant::dynamic_quantize_u8(&x, &mut q).unwrap();
                assert_eq!(
                    (p.scale.to_bits(), p.zero_point),
                    (c.scale[0].to_bits(), c.zero[0]),
                    "{}: parameters {p:?} vs {:?} {:?}",
                    c.name,
                    c.scale,
                    c.zero
                );
                let got: Vec<i32> = q.iter().map(|&v| v as i32).collect();
                check_ints(c, &x, &got, true)
            }
            (op, ty) => panic!("{op} {ty}"),
        };
        let e = by_op.entry(format!("{} {}", c.op, c.ty)).or_default();
        e.0 += 1;
        e.1 += n;
    }
    for (k, (cases, values)) in &by_op {
        eprintln!("{k}: {cases} cases, {values} values equal");
    }
}

/// The example of CONTRACT.md §4, where division and the reciprocal differ.
#[test]
fn division_and_reciprocal_differ() {
    let p = QParams::new(0.615_769_74, 0);
    let x = [56.342_93f32];
    assert_eq!(x[0] / p.scale, 91.5);
    assert_eq!(x[0] * (1.0 / p.scale), 91.49999);
    let mut q = [0i8];
    quant::quantize(&x, p, &mut q).unwrap();
    assert_eq!(q, [92]);
    let o = QuantOptions {
        rule: ScaleRule::Reciprocal,
        ..Default::default()
    };
    quant::quantize_with(&x, p, o, &mut q).unwrap();
    assert_eq!(q, [91]);
}
