//! Per-channel observers, custom quantized ranges (quant_min / quant_max, reduce_range) and
//! per-channel packed int4: bit for bit against PyTorch's observers (tests/data/torch/
//! observers.txt, written by scripts/gen_torch_observer_golden.py), and against the per-tensor
//! functions.

use lowp::quant::{self, *};

#[derive(Debug, Default)]
struct Case {
    name: String,
    ty: String,
    scheme: String,
    range: (i32, i32),
    axis: Option<usize>,
    average: Option<f32>,
    shape: Vec<usize>,
    batches: Vec<Vec<f32>>,
    min: Vec<f32>,
    max: Vec<f32>,
    scale: Vec<f32>,
    zero: Vec<i32>,
}

fn hex(s: &str) -> f32 {
    f32::from_bits(u32::from_str_radix(s.trim_start_matches("0x"), 16).unwrap())
}

fn load() -> Vec<Case> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/torch/observers.txt"
    );
    let text = std::fs::read_to_string(path).expect("golden file");
    let mut cases = Vec::new();
    let mut c = Case::default();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        let floats = || rest.split_whitespace().map(hex).collect::<Vec<f32>>();
        let ints = || {
            rest.split_whitespace()
                .map(|d| d.parse::<i64>().unwrap())
                .collect::<Vec<_>>()
        };
        match key {
            "case" => c.name = rest.into(),
            "type" => c.ty = rest.into(),
            "scheme" => c.scheme = rest.into(),
            "range" => c.range = (ints()[0] as i32, ints()[1] as i32),
            "axis" => c.axis = rest.parse().ok(),
            "average" => c.average = (rest != "-").then(|| hex(rest)),
            "shape" => c.shape = ints().iter().map(|&d| d as usize).collect(),
            "batch" => c.batches.push(floats()),
            "min" => c.min = floats(),
            "max" => c.max = floats(),
            "scale" => c.scale = floats(),
            "zero" => c.zero = ints().iter().map(|&z| z as i32).collect(),
            "end" => cases.push(std::mem::take(&mut c)),
            _ => panic!("bad line {line}"),
        }
    }
    cases
}

fn check<Q: QuantInt>(c: &Case) {
    let scheme = match c.scheme.as_str() {
        "asymmetric" => Scheme::Asymmetric,
        "symmetric_full" => Scheme::SymmetricFullRange,
        s => panic!("scheme {s}"),
    };
    let range = QRange::new::<Q>(c.range.0, c.range.1).unwrap();
    if c.name.starts_with(&format!("{}_reduced_", c.ty)) {
        assert_eq!(range, QRange::reduced::<Q>(), "{}", c.name);
    }
    if c.name.starts_with(&format!("{}_full_", c.ty)) {
        assert_eq!(range, QRange::full::<Q>(), "{}", c.name);
    }
    let (ranges, params): (Vec<(f32, f32)>, Vec<QParams>) = match c.axis {
        None => {
            let r = match c.average {
                None => {
                    let mut o = MinMaxObserver::new();
                    c.batches.iter().for_each(|b| o.observe(b));
                    o.range().unwrap()
                }
                Some(k) => {
                    let mut o = MovingAverageMinMaxObserver::new(k);
                    c.batches.iter().for_each(|b| o.observe(b));
                    o.range().unwrap()
                }
            };
            (
                vec![r],
                vec![choose_qparams_in::<Q>(r.0, r.1, scheme, range).unwrap()],
            )
        }
        Some(axis) => {
            let channels = c.shape[axis];
            let mut o = match c.average {
                None => PerChannelMinMaxObserver::new(axis, channels),
                Some(k) => PerChannelMinMaxObserver::moving_average(axis, channels, k),
            };
            for b in &c.batches {
                o.observe(b, &c.shape).unwrap();
            }
            let r = o.ranges().iter().map(|r| r.unwrap()).collect();
            (r, o.qparams::<Q>(scheme, range).unwrap())
        }
    };
    assert_eq!(ranges.len(), c.min.len(), "{}", c.name);
    for (i, (r, p)) in ranges.iter().zip(&params).enumerate() {
        assert_eq!(r.0.to_bits(), c.min[i].to_bits(), "{} min[{i}]", c.name);
        assert_eq!(r.1.to_bits(), c.max[i].to_bits(), "{} max[{i}]", c.name);
        assert_eq!(
            p.scale.to_bits(),
            c.scale[i].to_bits(),
            "{} scale[{i}]: {} vs {}",
            c.name,
            p.scale,
            c.scale[i]
        );
        assert_eq!(p.zero_point, c.zero[i], "{} zero[{i}]", c.name);
    }
}

#[test]
fn observers_and_ranges_match_pytorch() {
    let cases = load();
    assert!(cases.len() >= 80);
    for c in &cases {
        match c.ty.as_str() {
            "u8" => check::<u8>(c),
            "i8" => check::<i8>(c),
            t => panic!("type {t}"),
        }
    }
}

#[test]
fn ranges_of_every_type() {
    fn ends(r: QRange) -> (i32, i32) {
        (r.qmin(), r.qmax())
    }
    assert_eq!(ends(QRange::full::<i8>()), (-128, 127));
    assert_eq!(ends(QRange::reduced::<i8>()), (-64, 63));
    assert_eq!(ends(QRange::full::<u8>()), (0, 255));
    assert_eq!(ends(QRange::reduced::<u8>()), (0, 127));
    assert_eq!(ends(QRange::reduced::<I4>()), (-4, 3));
    assert_eq!(ends(QRange::reduced::<U4>()), (0, 7));
    assert_eq!(ends(QRange::reduced::<i16>()), (-16384, 16383));
    assert_eq!(ends(QRange::reduced::<u16>()), (0, 32767));
    assert_eq!(
        ends(QRange::new::<i8>(-100, 50).unwrap().halved()),
        (-50, 25)
    );
    for (lo, hi) in [(-129, 0), (0, 128), (0, 0), (5, 3), (1, 10), (-10, -1)] {
        assert!(QRange::new::<i8>(lo, hi).is_err(), "{lo} {hi}");
    }
    // A range for one type is checked again where it is used with another.
    let r = QRange::full::<u8>();
    assert!(choose_qparams_in::<i8>(-1.0, 1.0, Scheme::Asymmetric, r).is_err());
    assert!(choose_qparams_in::<u8>(f32::NAN, 1.0, Scheme::Asymmetric, r).is_err());
    assert!(choose_qparams_in::<u8>(2.0, 1.0, Scheme::Asymmetric, r).is_err());
}

/// With the type's full range, `choose_qparams_in` is `choose_qparams`, bit for bit.
#[test]
fn full_range_is_choose_qparams() {
    fn same<Q: QuantInt>(lo: f32, hi: f32) {
        for scheme in [
            Scheme::Asymmetric,
            Scheme::Symmetric,
            Scheme::SymmetricFullRange,
        ] {
            let a = choose_qparams::<Q>(lo, hi, scheme);
            let b = choose_qparams_in::<Q>(lo, hi, scheme, QRange::full::<Q>());
            match (a, b) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a.scale.to_bits(), b.scale.to_bits(), "{lo} {hi} {scheme:?}");
                    assert_eq!(a.zero_point, b.zero_point, "{lo} {hi} {scheme:?}");
                }
                (a, b) => assert_eq!(a.is_err(), b.is_err()),
            }
        }
    }
    let mut s: u64 = 99;
    for _ in 0..20_000 {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let a = f32::from_bits((s >> 32) as u32);
        let b = f32::from_bits(s as u32);
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        same::<i8>(lo, hi);
        same::<u8>(lo, hi);
        same::<I4>(lo, hi);
        same::<U4>(lo, hi);
        same::<i16>(lo, hi);
        same::<u16>(lo, hi);
        let small = (
            (s >> 40) as f32 / 1e6,
            -((s >> 20) as u32 as f32 % 1e4) / 7.0,
        );
        same::<u8>(small.1, small.0);
        same::<i16>(small.1, small.0);
    }
    same::<u8>(0.0, 0.0);
}

#[test]
fn per_channel_observer_checks_and_resets() {
    let mut o = PerChannelMinMaxObserver::new(1, 3);
    assert_eq!(o.axis(), 1);
    // Before data, every channel gets [0, 0]: scale 1.
    let p = o
        .qparams::<i8>(Scheme::Symmetric, QRange::full::<i8>())
        .unwrap();
    assert_eq!(p, vec![QParams::new(1.0, 0); 3]);
    // Non-finite values are skipped; a channel without finite values keeps None.
    o.observe(
        &[1.0, f32::NAN, -2.0, f32::INFINITY, f32::NAN, 4.0],
        &[2, 3],
    )
    .unwrap();
    assert_eq!(o.ranges(), [Some((1.0, 1.0)), None, Some((-2.0, 4.0))]);
    // Errors change nothing.
    let before = o.clone();
    assert!(o.observe(&[1.0; 4], &[2, 2]).is_err()); // two channels
    assert!(o.observe(&[1.0; 6], &[3, 3]).is_err()); // shape mismatch
    assert!(o.observe(&[1.0; 6], &[6]).is_err()); // axis 1 of a rank-1 shape
    assert_eq!(o, before);
    // The axis may be inner: [2, 3, 2] along axis 1.
    let mut o = PerChannelMinMaxObserver::new(1, 3);
    let x: Vec<f32> = (0..12).map(|i| i as f32).collect();
    o.observe(&x, &[2, 3, 2]).unwrap();
    assert_eq!(
        o.ranges(),
        [Some((0.0, 7.0)), Some((2.0, 9.0)), Some((4.0, 11.0))]
    );
    // Moving average: the first batch sets, the next moves by c.
    let mut m = PerChannelMinMaxObserver::moving_average(0, 2, 0.5);
    m.observe(&[-1.0, 1.0, 2.0, 4.0], &[2, 2]).unwrap();
    m.observe(&[-3.0, 3.0, 0.0, 0.0], &[2, 2]).unwrap();
    assert_eq!(m.ranges(), [Some((-2.0, 2.0)), Some((1.0, 2.0))]);
    m.reset();
    assert_eq!(m.ranges(), [None, None]);
}

/// Per-channel packed 4-bit: the per-axis quantizer's values, packed by `pack_4bit`; and back.
#[test]
fn per_axis_packed_is_per_axis_then_pack() {
    fn same<Q: Nibble>() {
        for (shape, axis) in [
            (vec![3, 5], 0),
            (vec![3, 5], 1),
            (vec![2, 3, 3], 1),
            (vec![7], 0),
        ] {
            let n: usize = shape.iter().product();
            let x: Vec<f32> = (0..n)
                .map(|i| ((i * 37 % 23) as f32 - 11.0) * 0.37)
                .collect();
            let mut o = PerChannelMinMaxObserver::new(axis, shape[axis]);
            o.observe(&x, &shape).unwrap();
            let p = o
                .qparams::<Q>(Scheme::Asymmetric, QRange::full::<Q>())
                .unwrap();
            let mut q = vec![Q::default(); n];
            quant::quantize_per_axis(&x, &shape, axis, &p, &mut q).unwrap();
            let mut want = vec![0u8; packed_4bit_len(n)];
            pack_4bit(&q, &mut want).unwrap();
            let mut got = vec![0u8; packed_4bit_len(n)];
            quantize_per_axis_packed::<Q>(&x, &shape, axis, &p, &mut got).unwrap();
            assert_eq!(got, want, "{shape:?} {axis}");
            let mut y = vec![0f32; n];
            dequantize_per_axis_packed::<Q>(&got, &shape, axis, &p, &mut y).unwrap();
            let mut y2 = vec![0f32; n];
            quant::dequantize_per_axis(&q, &shape, axis, &p, &mut y2).unwrap();
            assert_eq!(
                y.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                y2.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
        }
    }
    same::<I4>();
    same::<U4>();
    // Errors write nothing.
    let p = [QParams::new(1.0, 0), QParams::new(-1.0, 0)];
    let mut out = [0xAAu8; 2];
    assert!(quantize_per_axis_packed::<I4>(&[1.0; 4], &[2, 2], 0, &p, &mut out).is_err());
    let p = [QParams::new(1.0, 0); 2];
    assert!(quantize_per_axis_packed::<I4>(&[1.0; 4], &[2, 2], 0, &p, &mut out[..1]).is_err());
    assert!(quantize_per_axis_packed::<I4>(&[1.0; 4], &[4], 1, &p, &mut out).is_err());
    assert_eq!(out, [0xAA, 0xAA]);
    let mut y = [7.0f32; 3];
    assert!(
        dequantize_per_axis_packed::<U4>(&[0x21], &[3], 0, &[QParams::new(1.0, 0); 3], &mut y)
            .is_err()
    );
    assert_eq!(y, [7.0; 3]);
    // Bits: per row of [2, 3] (axis 0), scales 1 and 0.5, zero point 0; odd tail's high nibble 0.
    let p = [QParams::new(1.0, 0), QParams::new(0.5, 0)];
    let mut b = [0u8; 3];
    quantize_per_axis_packed::<I4>(&[1.0, -1.0, 7.0, 1.0, -1.0, -4.0], &[2, 3], 0, &p, &mut b)
        .unwrap();
    assert_eq!(b, [0xF1, 0x27, 0x8E]); // 1, −1 | 7, 2 | −2, −8
    let mut b = [0u8; 2];
    quantize_per_axis_packed::<U4>(
        &[1.0, 2.0, 3.0],
        &[3],
        0,
        &[QParams::new(1.0, 0); 3],
        &mut b,
    )
    .unwrap();
    assert_eq!(b, [0x21, 0x03]);
}
