//! int16 / uint16 QDQ bit for bit against onnxruntime (ONNX opset 21 QuantizeLinear /
//! DequantizeLinear): tests/data/onnx/int16.txt, written by scripts/gen_onnx_int16_golden.py.

use lowp::quant::{self, QParams, QuantInt};

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
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/onnx/int16.txt");
    let text = std::fs::read_to_string(path).expect("golden file");
    let mut cases = Vec::new();
    let mut c = Case::default();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
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
            "shape" => c.shape = words().iter().map(|d| d.parse().unwrap()).collect(),
            "axis" => c.axis = rest.parse().ok(),
            "block" => c.block = rest.parse().unwrap(),
            "scale" => c.scale = rest.split_whitespace().map(f32_hex).collect(),
            "zero" => c.zero = words().iter().map(|d| d.parse().unwrap()).collect(),
            "x" => c.x = words(),
            "y" => c.y = words(),
            "end" => cases.push(std::mem::take(&mut c)),
            _ => panic!("bad line {line}"),
        }
    }
    cases
}

fn run<Q: QuantInt>(c: &Case) {
    let p: Vec<QParams> = c
        .scale
        .iter()
        .zip(&c.zero)
        .map(|(&s, &z)| QParams::new(s, z))
        .collect();
    match c.op.as_str() {
        "QuantizeLinear" => {
            let x: Vec<f32> = c.x.iter().map(|s| f32_hex(s)).collect();
            let want: Vec<i32> = c.y.iter().map(|s| s.parse().unwrap()).collect();
            let mut q = vec![Q::default(); x.len()];
            match (c.axis, c.block) {
                (None, _) => quant::quantize(&x, p[0], &mut q),
                (Some(a), 0) => quant::quantize_per_axis(&x, &c.shape, a, &p, &mut q),
                (Some(a), b) => quant::quantize_blocked(&x, &c.shape, a, b, &p, &mut q),
            }
            .unwrap();
            for (i, (g, w)) in q.iter().zip(&want).enumerate() {
                assert_eq!(g.to_i32(), *w, "{} [{i}] x = {:e}", c.name, x[i]);
            }
        }
        "DequantizeLinear" => {
            let q: Vec<Q> =
                c.x.iter()
                    .map(|s| Q::from_i32(s.parse().unwrap()))
                    .collect();
            let want: Vec<f32> = c.y.iter().map(|s| f32_hex(s)).collect();
            let mut y = vec![0.0f32; q.len()];
            match (c.axis, c.block) {
                (None, _) => quant::dequantize(&q, p[0], &mut y),
                (Some(a), 0) => quant::dequantize_per_axis(&q, &c.shape, a, &p, &mut y),
                (Some(a), b) => quant::dequantize_blocked(&q, &c.shape, a, b, &p, &mut y),
            }
            .unwrap();
            for (i, (g, w)) in y.iter().zip(&want).enumerate() {
                assert_eq!(g.to_bits(), w.to_bits(), "{} [{i}]", c.name);
            }
        }
        op => panic!("unknown op {op}"),
    }
}

#[test]
fn int16_and_uint16_match_onnxruntime() {
    let cases = load();
    let (mut i16s, mut u16s) = (0, 0);
    for c in &cases {
        match c.ty.as_str() {
            "int16" => {
                run::<i16>(c);
                i16s += 1
            }
            "uint16" => {
                run::<u16>(c);
                u16s += 1
            }
            t => panic!("unexpected type {t}"),
        }
    }
    assert!(i16s >= 30 && u16s >= 30, "{i16s} {u16s}");
}

#[test]
fn int16_ranges_and_parameters() {
    assert_eq!(
        (<i16 as QuantInt>::MIN, <i16 as QuantInt>::MAX),
        (-32768, 32767)
    );
    assert_eq!((<u16 as QuantInt>::MIN, <u16 as QuantInt>::MAX), (0, 65535));
    assert_eq!(
        (<i16 as QuantInt>::NAME, <u16 as QuantInt>::NAME),
        ("int16", "uint16")
    );
    // NaN quantizes to the zero point (onnxruntime: qmin), the documented divergence.
    let mut q = [0u16; 3];
    quant::quantize(&[f32::NAN, 1e9, -1e9], QParams::new(0.5, 40000), &mut q).unwrap();
    assert_eq!(q, [40000, 65535, 0]);
    // Parameters: symmetric is amax / 32767 with zero point 0 (32768 unsigned); asymmetric
    // maps [min, max] onto [qmin, qmax].
    use lowp::quant::{choose_qparams, Scheme};
    assert_eq!(
        choose_qparams::<i16>(-3.2767, 1.0, Scheme::Symmetric).unwrap(),
        QParams::new(3.2767 / 32767.0, 0)
    );
    assert_eq!(
        choose_qparams::<u16>(-1.0, 1.0, Scheme::Symmetric)
            .unwrap()
            .zero_point,
        32768
    );
    let p = choose_qparams::<u16>(-1.0, 3.0, Scheme::Asymmetric).unwrap();
    assert_eq!(p, QParams::new(4.0 / 65535.0, 16384));
    assert!(QParams::new(1.0, 65536).check::<u16>().is_err());
    assert!(QParams::new(1.0, -32769).check::<i16>().is_err());
}
