//! The one-granularity functions give the bits of the per-tensor / per-axis / blocked families
//! they stand for, and check their arguments the same way.

use lowp::quant::{self, Granularity, QParams, QuantOptions, ScaleRule, Scheme};
use lowp::{Error, Format, F8E4M3FN, F8E5M2};

fn data(n: usize, seed: u64) -> Vec<f32> {
    let mut z = seed;
    (0..n)
        .map(|i| {
            z = z
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (z >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            u * (1.0 + (i % 7) as f32 * 3.0)
        })
        .collect()
}

const SHAPE: [usize; 3] = [3, 10, 4];

fn granularities() -> [Granularity<'static>; 5] {
    [
        Granularity::PerTensor,
        Granularity::PerAxis {
            shape: &SHAPE,
            axis: 0,
        },
        Granularity::PerAxis {
            shape: &SHAPE,
            axis: 2,
        },
        Granularity::Blocked {
            shape: &SHAPE,
            axis: 1,
            block_size: 4,
        },
        Granularity::Blocked {
            shape: &SHAPE,
            axis: 2,
            block_size: 3,
        },
    ]
}

fn groups(g: Granularity<'_>) -> usize {
    match g {
        Granularity::PerTensor => 1,
        Granularity::PerAxis { shape, axis } => shape[axis],
        Granularity::Blocked {
            shape,
            axis,
            block_size,
        } => shape.iter().product::<usize>() / shape[axis] * shape[axis].div_ceil(block_size),
    }
}

#[test]
fn integers_equal_the_families() {
    let x = data(120, 1);
    for g in granularities() {
        let mut p = vec![QParams::new(1.0, 0); groups(g)];
        quant::qparams::<u8>(&x, g, Scheme::Asymmetric, &mut p).unwrap();
        let mut q = vec![0u8; x.len()];
        let opts = QuantOptions {
            rule: ScaleRule::Reciprocal,
            ..QuantOptions::default()
        };
        quant::quantize_int(&x, g, &p, opts, &mut q).unwrap();
        let mut want = vec![0u8; x.len()];
        let mut wp = vec![QParams::new(1.0, 0); groups(g)];
        match g {
            Granularity::PerTensor => {
                wp[0] = quant::qparams_from_data::<u8>(&x, Scheme::Asymmetric).unwrap();
                quant::quantize_with(&x, wp[0], opts, &mut want).unwrap();
            }
            Granularity::PerAxis { shape, axis } => {
                quant::qparams_per_axis::<u8>(&x, shape, axis, Scheme::Asymmetric, &mut wp)
                    .unwrap();
                quant::quantize_per_axis_with(&x, shape, axis, &wp, opts, &mut want).unwrap();
            }
            Granularity::Blocked {
                shape,
                axis,
                block_size,
            } => {
                quant::qparams_blocked::<u8>(
                    &x,
                    shape,
                    axis,
                    block_size,
                    Scheme::Asymmetric,
                    &mut wp,
                )
                .unwrap();
                quant::quantize_blocked_with(&x, shape, axis, block_size, &wp, opts, &mut want)
                    .unwrap();
            }
        }
        assert_eq!(p, wp, "{g:?}");
        assert_eq!(q, want, "{g:?}");
        let mut back = vec![0f32; x.len()];
        quant::dequantize_int(&q, g, &p, &mut back).unwrap();
        let mut fake = vec![0f32; x.len()];
        quant::fake_quantize_int::<u8>(&x, g, &p, opts, &mut fake).unwrap();
        for i in 0..x.len() {
            assert_eq!(back[i].to_bits(), fake[i].to_bits(), "{g:?} {i}");
        }
        // A per-group check of the dequantized value, written out here.
        if let Granularity::PerTensor = g {
            for i in 0..x.len() {
                let w = (q[i] as i32 - p[0].zero_point) as f32 * p[0].scale;
                assert_eq!(back[i].to_bits(), w.to_bits());
            }
        }
    }
}

fn floats<F: Format + PartialEq + core::fmt::Debug>() {
    let x = data(120, 2);
    for g in granularities() {
        let mut s = vec![0f32; groups(g)];
        quant::scales::<F>(&x, g, &mut s).unwrap();
        let mut q = vec![F::from_bits_u32(0); x.len()];
        quant::quantize_float(&x, g, &s, &mut q).unwrap();
        let mut ws = vec![0f32; groups(g)];
        let mut want = vec![F::from_bits_u32(0); x.len()];
        match g {
            Granularity::PerTensor => {
                ws[0] = quant::scale_from_amax::<F>(quant::amax(&x));
                quant::quantize_scaled(&x, ws[0], &mut want).unwrap();
            }
            Granularity::PerAxis { shape, axis } => {
                quant::scales_per_axis::<F>(&x, shape, axis, &mut ws).unwrap();
                quant::quantize_scaled_per_axis(&x, shape, axis, &ws, &mut want).unwrap();
            }
            Granularity::Blocked {
                shape,
                axis,
                block_size,
            } => {
                quant::scales_blocked::<F>(&x, shape, axis, block_size, &mut ws).unwrap();
                quant::quantize_scaled_blocked(&x, shape, axis, block_size, &ws, &mut want)
                    .unwrap();
            }
        }
        assert_eq!(s, ws, "{g:?}");
        assert_eq!(q, want, "{g:?}");
        let mut back = vec![0f32; x.len()];
        quant::dequantize_float(&q, g, &s, &mut back).unwrap();
        let mut fake = vec![0f32; x.len()];
        quant::fake_quantize_float::<F>(&x, g, &s, &mut fake).unwrap();
        assert!(
            back.iter()
                .zip(&fake)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{g:?}"
        );
    }
}

#[test]
fn scaled_floats_equal_the_families() {
    floats::<F8E4M3FN>();
    floats::<F8E5M2>();
}

#[test]
fn bad_arguments_are_errors_and_write_nothing() {
    let x = data(120, 3);
    let mut q = vec![7i8; 120];
    let two = [QParams::new(1.0, 0); 2];
    assert!(matches!(
        quant::quantize_int(
            &x,
            Granularity::PerTensor,
            &two,
            QuantOptions::default(),
            &mut q
        ),
        Err(Error::LengthMismatch { .. })
    ));
    let g = Granularity::PerAxis {
        shape: &[3, 41],
        axis: 0,
    };
    assert!(quant::quantize_int(&x, g, &two, QuantOptions::default(), &mut q).is_err());
    let g = Granularity::Blocked {
        shape: &SHAPE,
        axis: 1,
        block_size: 0,
    };
    assert!(quant::quantize_int(&x, g, &two, QuantOptions::default(), &mut q).is_err());
    assert!(q.iter().all(|&v| v == 7));
    let mut out = vec![5f32; 119];
    let s = [1.0f32];
    assert!(
        quant::fake_quantize_float::<F8E4M3FN>(&x, Granularity::PerTensor, &s, &mut out).is_err()
    );
    assert!(out.iter().all(|&v| v == 5.0));
    let mut p = [QParams::new(1.0, 0); 2];
    assert!(quant::qparams::<i8>(&x, Granularity::PerTensor, Scheme::Symmetric, &mut p).is_err());
}
