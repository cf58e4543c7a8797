//! The floating-point environment changes nothing (CONTRACT.md §14): with MXCSR's FTZ
//! (flush-to-zero) and DAZ (denormals-are-zero) bits set — as PyTorch's
//! `set_flush_denormal(True)`, oneDNN and many inference engines set them — every conversion on
//! every kernel level, and every quantized code, parameter and dequantized value, gives the
//! bits that lowp gives in the default environment.
//!
//! MXCSR is per thread: each check runs its body on a thread of its own with FTZ|DAZ set (and
//! restores the register before the thread ends); the references are computed on the test's
//! own thread, in the default environment. x86-64 only (elsewhere the file is empty).
#![cfg(target_arch = "x86_64")]

mod mxcsr;

use lowp::packing::{packed_len, Packable};
use lowp::quant::{self, MxFormat, MxOptions, MxScaleRule, QParams, QuantOptions, ScaleRule};
use lowp::{
    Format, Level, Overflow, Rounding, BF16, F16, F4E2M1FN, F6E2M3FN, F6E3M2FN, F8E3M4, F8E4M3,
    F8E4M3B11FNUZ, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0FNU, TF32,
};
use mxcsr::flushing;

/// Call `$f::<T>()` for every format type.
macro_rules! each_format {
    ($f:ident) => {
        $f::<f32>();
        $f::<TF32>();
        $f::<F16>();
        $f::<BF16>();
        $f::<F8E4M3FN>();
        $f::<F8E5M2>();
        $f::<F8E4M3FNUZ>();
        $f::<F8E5M2FNUZ>();
        $f::<F8E4M3B11FNUZ>();
        $f::<F8E3M4>();
        $f::<F8E4M3>();
        $f::<F8E8M0FNU>();
        $f::<F6E2M3FN>();
        $f::<F6E3M2FN>();
        $f::<F4E2M1FN>();
    };
}

const OVERFLOWS: [Overflow; 2] = [Overflow::Ieee, Overflow::Saturate];
const SEED: u64 = 0x5DEE_CE66_D1CE_4E5B;

/// A small deterministic generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 32) as u32
    }
}

/// Every class of f32 subnormal (all of them with a stride, the extremes, powers of two,
/// both signs), the tiny normals, and ordinary values and specials.
fn inputs() -> Vec<f32> {
    let debug = cfg!(debug_assertions);
    let stride = if debug { 4099 } else { 61 };
    let mut b: Vec<u32> = (1..0x80_0000).step_by(stride).collect();
    b.extend([
        1, 2, 3, 4, 5, 0x7F_FFFF, 0x7F_FFFE, 0x40_0000, 0x40_0001, 0x3F_FFFF,
    ]);
    b.extend((0..23).map(|k| 1u32 << k));
    b.extend((0..23).map(|k| (1u32 << k) + 1));
    // Tiny normals: the smallest exponents, every one up to where the small formats' ranges
    // begin, with mantissas at their boundaries and random.
    let mut r = Rng(17);
    for field in 1..=120u32 {
        for m in [0, 1, 0x40_0000, 0x7F_FFFF, 0x20_0000, 0x60_0000] {
            b.push(field << 23 | m);
        }
        for _ in 0..if debug { 2 } else { 8 } {
            b.push(field << 23 | (r.next() & 0x7F_FFFF));
        }
    }
    // Ordinary values and specials.
    for _ in 0..if debug { 512 } else { 4096 } {
        b.push(r.next() & 0x7FFF_FFFF);
    }
    b.extend([
        0,
        0x7F80_0000,
        0x7FC0_0000,
        0x7F80_0001,
        0x3F80_0000,
        0x7F7F_FFFF,
    ]);
    let neg: Vec<u32> = b.iter().map(|&x| x | 0x8000_0000).collect();
    b.extend(neg);
    b.into_iter().map(f32::from_bits).collect()
}

fn levels() -> Vec<Level> {
    Level::available().collect()
}

fn bits<F: Format>(v: &[F]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits_u32()).collect()
}

fn f32_bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn zeros<F: Format>(n: usize) -> Vec<F> {
    vec![F::from_bits_u32(0); n]
}

/// The first index where two bit vectors differ, as a message.
fn first_diff(got: &[u32], want: &[u32], src: &[u32]) -> Option<String> {
    (0..want.len()).find(|&i| got[i] != want[i]).map(|i| {
        format!(
            "input {:#010x}: got {:#x}, want {:#x}",
            src[i], got[i], want[i]
        )
    })
}

/// The modes: the six deterministic ones, then stochastic (None).
fn modes() -> Vec<Option<Rounding>> {
    Rounding::ALL.into_iter().map(Some).chain([None]).collect()
}

/// The scalar core's codes in the default environment.
fn reference<F: Format>(src: &[f32], mode: Option<Rounding>, overflow: Overflow) -> Vec<u32> {
    src.iter()
        .enumerate()
        .map(|(i, &x)| match mode {
            Some(r) => F::from_f32_with(x, r, overflow).to_bits_u32(),
            None => F::from_f32_stochastic(x, splitmix(SEED, i as u64), overflow).to_bits_u32(),
        })
        .collect()
}

/// The word of element `i` (CONTRACT.md §3).
fn splitmix(seed: u64, i: u64) -> u32 {
    let mut z = seed.wrapping_add((i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 32) as u32
}

/// Encode and fake-quantize (in place and out of place) on every level, every mode, both
/// policies, under FTZ|DAZ: the scalar core's bits in the default environment.
#[test]
fn encode_and_fake_quantize_every_level_mode_and_policy() {
    fn check<F: Format>() {
        let src = inputs();
        let src_bits = f32_bits(&src);
        let n = src.len();
        for overflow in OVERFLOWS {
            for mode in modes() {
                let want = reference::<F>(&src, mode, overflow);
                let want_f32: Vec<u32> = want
                    .iter()
                    .map(|&c| F::from_bits_u32(c).to_f32().to_bits())
                    .collect();
                // The scalar core itself under FTZ|DAZ, then every level.
                let (scalar, by_level) = flushing(|| {
                    let scalar: Vec<u32> = src
                        .iter()
                        .enumerate()
                        .map(|(i, &x)| match mode {
                            Some(r) => F::from_f32_with(x, r, overflow).to_bits_u32(),
                            None => F::from_f32_stochastic(x, splitmix(SEED, i as u64), overflow)
                                .to_bits_u32(),
                        })
                        .collect();
                    let by_level: Vec<_> = levels()
                        .into_iter()
                        .map(|level| {
                            let mut out = zeros::<F>(n);
                            let mut fq = vec![0.0f32; n];
                            let mut fq_in_place = src.clone();
                            match mode {
                                Some(r) => {
                                    level.encode_with(&src, &mut out, r, overflow);
                                    level.fake_quantize_into::<F>(&src, &mut fq, r, overflow);
                                    level.fake_quantize::<F>(&mut fq_in_place, r, overflow);
                                }
                                None => {
                                    level.encode_stochastic(&src, &mut out, SEED, overflow);
                                    // Out of place: through the in-place form on a copy.
                                    fq.copy_from_slice(&src);
                                    level.fake_quantize_stochastic::<F>(&mut fq, SEED, overflow);
                                    fq_in_place.copy_from_slice(&fq);
                                }
                            }
                            (level, bits(&out), f32_bits(&fq), f32_bits(&fq_in_place))
                        })
                        .collect();
                    (scalar, by_level)
                });
                let what = format!("{} {mode:?} {overflow:?}", F::NAME);
                if let Some(d) = first_diff(&scalar, &want, &src_bits) {
                    panic!("{what}: scalar core under FTZ|DAZ: {d}");
                }
                for (level, enc, fq, fq_in_place) in by_level {
                    if let Some(d) = first_diff(&enc, &want, &src_bits) {
                        panic!("{what}: encode on {level:?} under FTZ|DAZ: {d}");
                    }
                    if let Some(d) = first_diff(&fq, &want_f32, &src_bits) {
                        panic!("{what}: fake_quantize_into on {level:?} under FTZ|DAZ: {d}");
                    }
                    if let Some(d) = first_diff(&fq_in_place, &want_f32, &src_bits) {
                        panic!("{what}: fake_quantize on {level:?} under FTZ|DAZ: {d}");
                    }
                }
            }
        }
    }
    each_format!(check);
}

/// Decode every code (f32: the subnormals with a stride and a sample) on every level, and
/// the scalar `to_f32` / `to_f64`, under FTZ|DAZ.
#[test]
fn decode_every_code_every_level() {
    fn check<F: Format>() {
        let codes: Vec<F> = if F::SPEC.bits <= 16 {
            (0..1u32 << F::SPEC.bits).map(F::from_bits_u32).collect()
        } else {
            // TF32 and f32: every subnormal with a stride, and every exponent.
            inputs()
                .into_iter()
                .map(|x| F::from_f32_with(x, Rounding::TowardZero, Overflow::Ieee))
                .collect()
        };
        let n = codes.len();
        let want: Vec<u32> = codes.iter().map(|c| c.to_f32().to_bits()).collect();
        let want64: Vec<u64> = codes.iter().map(|c| c.to_f64().to_bits()).collect();
        let code_bits = bits(&codes);
        let (scalar, scalar64, by_level) = flushing(|| {
            let scalar: Vec<u32> = codes.iter().map(|c| c.to_f32().to_bits()).collect();
            let scalar64: Vec<u64> = codes.iter().map(|c| c.to_f64().to_bits()).collect();
            let by_level: Vec<_> = levels()
                .into_iter()
                .map(|level| {
                    let mut out = vec![0.0f32; n];
                    level.decode(&codes, &mut out);
                    (level, f32_bits(&out))
                })
                .collect();
            (scalar, scalar64, by_level)
        });
        if let Some(d) = first_diff(&scalar, &want, &code_bits) {
            panic!("{}: to_f32 under FTZ|DAZ: {d}", F::NAME);
        }
        if let Some(i) = (0..n).find(|&i| scalar64[i] != want64[i]) {
            panic!(
                "{}: to_f64 of {:#x} under FTZ|DAZ: {:#x}, want {:#x}",
                F::NAME,
                code_bits[i],
                scalar64[i],
                want64[i]
            );
        }
        for (level, got) in by_level {
            if let Some(d) = first_diff(&got, &want, &code_bits) {
                panic!("{}: decode on {level:?} under FTZ|DAZ: {d}", F::NAME);
            }
        }
    }
    each_format!(check);
}

/// Convert from every format that has f32-subnormal values (bf16, TF32, and f16 for its own
/// subnormals) to every format, every mode, both policies, on every level.
#[test]
fn convert_every_level_mode_and_policy() {
    fn from<S: Format>() {
        // Every code of a 16-bit source; TF32 from the inputs.
        let src: Vec<S> = if S::SPEC.bits <= 16 {
            (0..1u32 << S::SPEC.bits)
                .step_by(if cfg!(debug_assertions) { 7 } else { 1 })
                .map(S::from_bits_u32)
                .collect()
        } else {
            inputs()
                .into_iter()
                .map(|x| S::from_f32_with(x, Rounding::TowardZero, Overflow::Ieee))
                .collect()
        };
        macro_rules! to {
            ($($d:ty),*) => { $( to::<S, $d>(&src); )* };
        }
        to!(
            f32,
            TF32,
            F16,
            BF16,
            F8E4M3FN,
            F8E5M2,
            F8E4M3FNUZ,
            F8E5M2FNUZ,
            F8E4M3B11FNUZ,
            F8E3M4,
            F8E4M3,
            F8E8M0FNU,
            F6E2M3FN,
            F6E3M2FN,
            F4E2M1FN
        );
    }
    fn to<S: Format, D: Format>(src: &[S]) {
        let n = src.len();
        let src_bits = bits(src);
        let f: Vec<f32> = src.iter().map(|s| s.to_f32()).collect();
        for overflow in OVERFLOWS {
            for mode in modes() {
                let want = reference::<D>(&f, mode, overflow);
                let got = flushing(|| {
                    levels()
                        .into_iter()
                        .map(|level| {
                            let mut out = zeros::<D>(n);
                            match mode {
                                Some(r) => level.convert_with(src, &mut out, r, overflow),
                                None => level.convert_stochastic(src, &mut out, SEED, overflow),
                            }
                            (level, bits(&out))
                        })
                        .collect::<Vec<_>>()
                });
                for (level, got) in got {
                    if let Some(d) = first_diff(&got, &want, &src_bits) {
                        panic!(
                            "{} → {} {mode:?} {overflow:?} on {level:?} under FTZ|DAZ: {d}",
                            S::NAME,
                            D::NAME
                        );
                    }
                }
            }
        }
    }
    from::<BF16>();
    from::<F16>();
    from::<TF32>();
}

/// Packed encode and decode (FP4, FP6) on every level, every mode, both policies.
#[test]
fn packed_every_level_mode_and_policy() {
    fn check<F: Packable>() {
        let src = inputs();
        let n = src.len();
        let nb = packed_len::<F>(n);
        for overflow in OVERFLOWS {
            for mode in modes() {
                let codes: Vec<F> = reference::<F>(&src, mode, overflow)
                    .into_iter()
                    .map(F::from_bits_u32)
                    .collect();
                let mut want = vec![0u8; nb];
                lowp::packing::pack(&codes, &mut want);
                let mut want_dec = vec![0f32; n];
                Level::Scalar.decode_packed::<F>(&want, &mut want_dec);
                let got = flushing(|| {
                    levels()
                        .into_iter()
                        .map(|level| {
                            let mut out = vec![0u8; nb];
                            match mode {
                                Some(r) => {
                                    level.encode_packed_with::<F>(&src, &mut out, r, overflow)
                                }
                                None => level
                                    .encode_packed_stochastic::<F>(&src, &mut out, SEED, overflow),
                            }
                            let mut dec = vec![0f32; n];
                            level.decode_packed::<F>(&want, &mut dec);
                            (level, out, f32_bits(&dec))
                        })
                        .collect::<Vec<_>>()
                });
                for (level, out, dec) in got {
                    assert!(
                        out == want,
                        "{} packed {mode:?} {overflow:?} on {level:?} under FTZ|DAZ",
                        F::NAME
                    );
                    assert_eq!(
                        dec,
                        f32_bits(&want_dec),
                        "{} decode_packed on {level:?}",
                        F::NAME
                    );
                }
            }
        }
    }
    check::<F4E2M1FN>();
    check::<F6E2M3FN>();
    check::<F6E3M2FN>();
}

/// Inputs for the quantizers: subnormals of every class (with a stride), tiny normals,
/// ordinary values of either sign, zeros, and (where `specials`) ±∞ and NaN.
fn quant_inputs(specials: bool) -> Vec<f32> {
    let mut b: Vec<u32> = (1..0x80_0000)
        .step_by(if cfg!(debug_assertions) { 4099 } else { 257 })
        .collect();
    b.extend([
        1,
        2,
        3,
        0x7F_FFFF,
        0x40_0000,
        0x40_0001,
        0x80_0000,
        0x80_0001,
        0x0100_0000,
    ]);
    let mut r = Rng(99);
    for field in 1..=40u32 {
        b.push(field << 23 | (r.next() & 0x7F_FFFF));
    }
    for _ in 0..512 {
        // Ordinary magnitudes 2^-20 .. 2^20.
        b.push((107 + r.next() % 40) << 23 | (r.next() & 0x7F_FFFF));
    }
    b.extend([0, 0x3F80_0000, 0x4000_0000]);
    if specials {
        b.extend([0x7F80_0000, 0x7FC0_0000]);
    }
    let n = b.len();
    for i in 0..n {
        if i % 2 == 1 {
            b.push(b[i] | 0x8000_0000);
        } else {
            b.insert(i, b[i]); // keep some pairs of equal values too
        }
    }
    b.into_iter().map(f32::from_bits).collect()
}

/// Scales: subnormal, at the edge of the normal range, ordinary, and huge (whose reciprocal is
/// subnormal).
fn scales() -> Vec<f32> {
    [
        1,
        2,
        0x3F_FFFF,
        0x40_0000,
        0x7F_FFFF,
        0x80_0000,
        0x80_0001,
        0x00C0_0000,
        0x0100_0000,
        0x0180_0000,
        0x3CA3_D70A,
        0x3F80_0000,
        0x406C_CCCD,
        0x7E80_0000,
        0x7F00_0000,
        0x7F7F_FFFF,
    ]
    .into_iter()
    .map(f32::from_bits)
    .collect()
}

/// The result of every quantizer entry point on the data, named: codes, parameters and
/// dequantized values, as bits (an error as a marker).
fn quantizers() -> Vec<(String, Vec<u64>)> {
    let mut out: Vec<(String, Vec<u64>)> = Vec::new();
    let x = quant_inputs(false);
    let xs = quant_inputs(true);
    let n = x.len();
    let mut put = |name: String, v: Vec<u64>| out.push((name, v));
    fn f(v: &[f32]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits() as u64).collect()
    }
    fn res<T>(r: Result<T, lowp::Error>, ok: impl FnOnce(T) -> Vec<u64>) -> Vec<u64> {
        match r {
            Ok(t) => ok(t),
            Err(e) => vec![u64::MAX, e.to_string().len() as u64],
        }
    }
    let qp = |p: QParams| vec![p.scale.to_bits() as u64, p.zero_point as u64];
    // Integer quantization, every scale, both rules, both ranges, per tensor and per element.
    for &s in &scales() {
        for zp in [0, 3] {
            let p = QParams::new(s, zp);
            for (rule, restricted) in [
                (ScaleRule::Divide, false),
                (ScaleRule::Reciprocal, false),
                (ScaleRule::Divide, true),
            ] {
                let o = QuantOptions {
                    rule,
                    restricted_range: restricted,
                };
                let tag = format!("int s={s:e} zp={zp} {rule:?} {restricted}");
                let mut q = vec![0i8; n];
                let r = quant::quantize_with(&xs, p, o, &mut q);
                put(
                    format!("{tag} quantize_with"),
                    res(r, |_| q.iter().map(|&v| v as u64).collect()),
                );
                let mut y = vec![0f32; n];
                let r = quant::fake_quantize_per_axis_with::<u8>(
                    &xs,
                    &[n / 2, 2],
                    1,
                    &[p, p],
                    o,
                    &mut y,
                );
                put(
                    format!("{tag} fake_quantize_per_axis_with"),
                    res(r, |_| f(&y)),
                );
                let mut q = vec![0u8; n];
                let r = quant::quantize_per_axis_with(&xs, &[n / 2, 2], 1, &[p, p], o, &mut q);
                put(
                    format!("{tag} quantize_per_axis_with"),
                    res(r, |_| q.iter().map(|&v| v as u64).collect()),
                );
            }
            let mut q = vec![0u8; n];
            let r = quant::quantize(&xs, p, &mut q);
            put(
                format!("int s={s:e} quantize u8"),
                res(r, |_| q.iter().map(|&v| v as u64).collect()),
            );
            let mut y = vec![0f32; n];
            let r = quant::dequantize(&q, p, &mut y);
            put(format!("int s={s:e} dequantize u8"), res(r, |_| f(&y)));
            let r = quant::dequantize_per_axis(&q, &[n / 2, 2], 1, &[p, p], &mut y);
            put(
                format!("int s={s:e} dequantize_per_axis"),
                res(r, |_| f(&y)),
            );
            let r = quant::fake_quantize::<i8>(&xs, p, &mut y);
            put(format!("int s={s:e} fake_quantize"), res(r, |_| f(&y)));
            let mut z = xs.clone();
            let r = quant::fake_quantize_in_place::<i8>(&mut z, p);
            put(
                format!("int s={s:e} fake_quantize_in_place"),
                res(r, |_| f(&z)),
            );
            let mut packed = vec![0u8; n.div_ceil(2)];
            let r = quant::quantize_packed::<quant::I4>(&xs, p, &mut packed);
            put(
                format!("int s={s:e} quantize_packed"),
                res(r, |_| packed.iter().map(|&v| v as u64).collect()),
            );
            let r = quant::dequantize_packed::<quant::I4>(&packed, p, &mut y);
            put(format!("int s={s:e} dequantize_packed"), res(r, |_| f(&y)));
        }
    }
    // Parameters from ranges and data.
    let tiny: Vec<f32> = scales()[..7]
        .iter()
        .flat_map(|&s| [s, -s])
        .chain([0.0, -0.0, 1.0])
        .collect();
    for &lo in &tiny {
        for &hi in &tiny {
            for scheme in [
                quant::Scheme::Asymmetric,
                quant::Scheme::Symmetric,
                quant::Scheme::SymmetricFullRange,
            ] {
                put(
                    format!("choose_qparams {lo:e} {hi:e} {scheme:?}"),
                    res(quant::choose_qparams::<i8>(lo, hi, scheme), qp),
                );
                put(
                    format!("choose_qparams u8 {lo:e} {hi:e} {scheme:?}"),
                    res(quant::choose_qparams::<u8>(lo, hi, scheme), qp),
                );
            }
        }
    }
    let sub: Vec<f32> = x
        .iter()
        .copied()
        .filter(|v| v.abs() < f32::MIN_POSITIVE)
        .collect();
    for data in [&x, &sub] {
        let tag = data.len();
        for scheme in [quant::Scheme::Asymmetric, quant::Scheme::Symmetric] {
            put(
                format!("qparams_from_data {tag} {scheme:?}"),
                res(quant::qparams_from_data::<i8>(data, scheme), qp),
            );
            let mut ps = [QParams::new(1.0, 0); 2];
            let m = data.len() / 2 * 2;
            let r = quant::qparams_per_axis::<i8>(&data[..m], &[m / 2, 2], 1, scheme, &mut ps);
            put(
                format!("qparams_per_axis {tag} {scheme:?}"),
                res(r, |_| ps.iter().flat_map(|&p| qp(p)).collect()),
            );
        }
        let mut q = vec![0u8; data.len()];
        let r = quant::dynamic_quantize_u8(data, &mut q);
        put(
            format!("dynamic_quantize_u8 {tag}"),
            res(r, |p| {
                qp(p)
                    .into_iter()
                    .chain(q.iter().map(|&v| v as u64))
                    .collect()
            }),
        );
        let mut o = quant::MinMaxObserver::new();
        o.observe(data);
        o.observe(&data[..data.len() / 3]);
        put(
            format!("MinMaxObserver {tag}"),
            res(o.qparams::<u8>(quant::Scheme::Asymmetric), qp),
        );
        let mut o = quant::MovingAverageMinMaxObserver::new(0.25);
        o.observe(&data[..data.len() / 3]);
        o.observe(data);
        put(
            format!("MovingAverageMinMaxObserver {tag}"),
            res(o.qparams::<i8>(quant::Scheme::Symmetric), qp),
        );
        put(
            format!("amax {tag}"),
            vec![quant::amax(data).to_bits() as u64],
        );
        put(
            format!("nvfp4_tensor_scale {tag}"),
            vec![quant::nvfp4_tensor_scale(data).to_bits() as u64],
        );
        put(
            format!("scale_from_amax {tag}"),
            vec![quant::scale_from_amax::<F8E4M3FN>(quant::amax(data)).to_bits() as u64],
        );
        let mut e = vec![0f32; data.len()];
        let r = quant::error_stats(data, &e.clone());
        put(
            format!("error_stats {tag}"),
            res(r, |s| {
                vec![s.mse.to_bits(), s.max_abs.to_bits(), s.sqnr_db.to_bits()]
            }),
        );
        let r = quant::fake_quantize_scaled::<BF16>(data, 0.5, &mut e);
        put(
            format!("fake_quantize_scaled bf16 {tag}"),
            res(r, |_| f(&e)),
        );
    }
    // Scaled floats.
    fn scaled<F: Format>(xs: &[f32], put: &mut impl FnMut(String, Vec<u64>)) {
        let n = xs.len();
        let fb = |v: &[F]| v.iter().map(|x| x.to_bits_u32() as u64).collect::<Vec<_>>();
        for &s in &scales() {
            let tag = format!("scaled {} s={s:e}", F::NAME);
            let mut q = vec![F::from_bits_u32(0); n];
            let r = quant::quantize_scaled(xs, s, &mut q);
            put(
                format!("{tag} quantize"),
                if r.is_ok() { fb(&q) } else { vec![u64::MAX] },
            );
            let mut y = vec![0f32; n];
            let r = quant::dequantize_scaled(&q, s, &mut y);
            put(
                format!("{tag} dequantize"),
                if r.is_ok() { f(&y) } else { vec![u64::MAX] },
            );
            let r = quant::fake_quantize_scaled::<F>(xs, s, &mut y);
            put(
                format!("{tag} fake_quantize"),
                if r.is_ok() { f(&y) } else { vec![u64::MAX] },
            );
            let r = quant::quantize_scaled_per_axis(xs, &[n / 2, 2], 1, &[s, 1.0], &mut q);
            put(
                format!("{tag} quantize_per_axis"),
                if r.is_ok() { fb(&q) } else { vec![u64::MAX] },
            );
            let r = quant::dequantize_scaled_per_axis(&q, &[n / 2, 2], 1, &[s, 1.0], &mut y);
            put(
                format!("{tag} dequantize_per_axis"),
                if r.is_ok() { f(&y) } else { vec![u64::MAX] },
            );
        }
        let mut ss = vec![0f32; 2];
        let r = quant::scales_per_axis::<F>(&xs[..n / 2 * 2], &[n / 2, 2], 1, &mut ss);
        put(
            format!("{} scales_per_axis", F::NAME),
            if r.is_ok() { f(&ss) } else { vec![u64::MAX] },
        );
        let mut ds = quant::DelayedScaling::<F>::new(4, Default::default(), -3);
        let mut q = vec![F::from_bits_u32(0); n];
        let mut used = vec![];
        for chunk in [&xs[..n / 4], &xs[n / 4..], &xs[..3]] {
            let m = chunk.len();
            used.push(
                ds.quantize(chunk, &mut q[..m])
                    .map(|s| s.to_bits() as u64)
                    .unwrap_or(u64::MAX),
            );
            ds.record(chunk[m / 2].abs());
        }
        used.push(ds.scale().to_bits() as u64);
        put(format!("{} DelayedScaling", F::NAME), used);
    }
    scaled::<F8E4M3FN>(&xs, &mut put);
    scaled::<F8E5M2>(&xs, &mut put);
    scaled::<BF16>(&xs, &mut put);
    scaled::<F16>(&xs, &mut put);
    scaled::<f32>(&xs, &mut put);
    scaled::<F8E8M0FNU>(&xs, &mut put);
    // MX, every element format and both scale rules; the data in small blocks so that many
    // blocks are tiny.
    for format in [
        MxFormat::E4M3,
        MxFormat::E5M2,
        MxFormat::E2M3,
        MxFormat::E3M2,
        MxFormat::E2M1,
        MxFormat::Int8,
    ] {
        for rule in [MxScaleRule::Floor, MxScaleRule::RoundUp] {
            let o = MxOptions {
                rule,
                block_size: 4,
            };
            let tag = format!("mx {format:?} {rule:?}");
            let mut s = vec![F8E8M0FNU::from_bits(0); quant::mx_scale_count(n, 4)];
            let mut e = vec![0u8; quant::mx_element_bytes(format, n)];
            let r = quant::mx_quantize_with(&xs, format, o, &mut s, &mut e);
            put(
                format!("{tag} quantize"),
                res(r, |_| {
                    s.iter()
                        .map(|v| v.to_bits() as u64)
                        .chain(e.iter().map(|&v| v as u64))
                        .collect()
                }),
            );
            let mut y = vec![0f32; n];
            let r = quant::mx_dequantize_with(format, o, &s, &e, &mut y);
            put(format!("{tag} dequantize"), res(r, |_| f(&y)));
            let r = quant::mx_fake_quantize_with(&xs, format, o, &mut y);
            put(format!("{tag} fake_quantize"), res(r, |_| f(&y)));
            for &a in &tiny {
                put(
                    format!("{tag} shared exponent {a:e}"),
                    vec![quant::mx_shared_exponent(a, format, rule).map_or(u64::MAX, |e| e as u64)],
                );
            }
        }
    }
    // NVFP4, with subnormal tensor scales too.
    for ts in scales().into_iter().chain([quant::nvfp4_tensor_scale(&x)]) {
        let mut bs = vec![F8E4M3FN::ZERO; n.div_ceil(16)];
        let mut p = vec![0u8; n.div_ceil(2)];
        let r = quant::nvfp4_quantize(&xs, ts, &mut bs, &mut p);
        put(
            format!("nvfp4 ts={ts:e} quantize"),
            res(r, |_| {
                bs.iter()
                    .map(|v| v.to_bits() as u64)
                    .chain(p.iter().map(|&v| v as u64))
                    .collect()
            }),
        );
        let mut y = vec![0f32; n];
        let r = quant::nvfp4_dequantize(&p, &bs, ts, &mut y);
        put(format!("nvfp4 ts={ts:e} dequantize"), res(r, |_| f(&y)));
    }
    for data in [&x, &xs] {
        let mut y = vec![0f32; data.len()];
        let r = quant::nvfp4_fake_quantize(data, &mut y);
        put(
            format!("nvfp4_fake_quantize {}", data.len()),
            res(r, |t| {
                [t.to_bits() as u64].into_iter().chain(f(&y)).collect()
            }),
        );
    }
    more_quantizers(&x, &xs, &mut put);
    out
}

/// a · b rounded once to `f32` by lowp's integer core, from the operands' bits: the same in
/// any environment (`a * b` is not: FTZ|DAZ flush subnormal operands and products).
fn exact_mul(a: f32, b: f32) -> f32 {
    let wide = |x: f32| -> f64 {
        let (e, m) = ((x.to_bits() >> 23) & 0xFF, x.to_bits() & 0x7F_FFFF);
        if e == 0xFF {
            return x as f64; // ∞ and NaN: not subnormal
        }
        // m' · 2^(e' − 150) with m' < 2^24: an integer times a power of two, both normal f64.
        let (m, e) = if e == 0 { (m, 1) } else { (m | 0x80_0000, e) };
        let v = m as f64 * f64::from_bits(((1023 + e as i64 - 150) as u64) << 52);
        if x.is_sign_negative() {
            -v
        } else {
            v
        }
    };
    <f32 as Format>::from_f64(wide(a) * wide(b))
}

/// The bits of a float slice.
fn fb(v: &[f32]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits() as u64).collect()
}

/// A result as bits (an error as a marker with its message's length).
fn rb<T>(r: Result<T, lowp::Error>, ok: impl FnOnce(T) -> Vec<u64>) -> Vec<u64> {
    match r {
        Ok(t) => ok(t),
        Err(e) => vec![u64::MAX, e.to_string().len() as u64],
    }
}

/// The entry points that [`quantizers`] leaves out: 16-bit and 4-bit integers, blocked and
/// packed layouts, per-channel ranges, `Granularity`, blocked scaled floats, MX in blocks of 32
/// (the vectorised drivers), the producer rules, `lowp::batch`, the histogram observers and
/// the error metrics.
fn more_quantizers(x: &[f32], xs: &[f32], put: &mut impl FnMut(String, Vec<u64>)) {
    use lowp::quant::producer::{self as pr, CtElement, E8m0Rule, Nvfp4Rule, TorchDtype};
    use quant::{Granularity, QRange, I4, U4};
    // Rows of 64 (blocks of 32 along the last axis: the vectorised block paths).
    let m = xs.len() / 64 * 64;
    let xr = &xs[..m];
    let shape = [m / 64, 64];
    let iv = |v: &[i32]| v.iter().map(|&c| c as u32 as u64).collect::<Vec<u64>>();
    for &s in &scales() {
        let p = QParams::new(s, 0);
        let tag = format!("s={s:e}");
        let mut q16 = vec![0i16; xs.len()];
        let r = quant::quantize(xs, QParams::new(s, -7), &mut q16);
        put(
            format!("{tag} quantize i16"),
            rb(r, |_| {
                iv(&q16.iter().map(|&v| v as i32).collect::<Vec<_>>())
            }),
        );
        let mut y = vec![0f32; xs.len()];
        let r = quant::dequantize(&q16, QParams::new(s, -7), &mut y);
        put(format!("{tag} dequantize i16"), rb(r, |_| fb(&y)));
        let mut qu = vec![0u16; xs.len()];
        let r = quant::quantize(xs, QParams::new(s, 300), &mut qu);
        put(
            format!("{tag} quantize u16"),
            rb(r, |_| iv(&qu.iter().map(|&v| v as i32).collect::<Vec<_>>())),
        );
        let mut packed = vec![0u8; xs.len().div_ceil(2)];
        let r = quant::quantize_packed::<U4>(xs, QParams::new(s, 3), &mut packed);
        put(
            format!("{tag} quantize_packed u4"),
            rb(r, |_| packed.iter().map(|&v| v as u64).collect()),
        );
        // Blocked along the last axis (blocks of 32) and along the first (blocks of 2), every
        // other block with the tiny scale.
        for (axis, block) in [(1usize, 32usize), (0, 2)] {
            let nb = if axis == 1 {
                shape[0] * 2
            } else {
                shape[0].div_ceil(2) * 64
            };
            let ps: Vec<QParams> = (0..nb)
                .map(|i| if i % 2 == 0 { p } else { QParams::new(0.5, 1) })
                .collect();
            for rule in [ScaleRule::Divide, ScaleRule::Reciprocal] {
                let o = QuantOptions {
                    rule,
                    restricted_range: false,
                };
                let mut q = vec![0i8; m];
                let r = quant::quantize_blocked_with(xr, &shape, axis, block, &ps, o, &mut q);
                put(
                    format!("{tag} quantize_blocked {axis} {rule:?}"),
                    rb(r, |_| q.iter().map(|&v| v as u64).collect()),
                );
                let mut y = vec![0f32; m];
                let r = quant::dequantize_blocked(&q, &shape, axis, block, &ps, &mut y);
                put(
                    format!("{tag} dequantize_blocked {axis}"),
                    rb(r, |_| fb(&y)),
                );
                let r = quant::fake_quantize_blocked_with::<u8>(
                    xr, &shape, axis, block, &ps, o, &mut y,
                );
                put(
                    format!("{tag} fake_quantize_blocked {axis} {rule:?}"),
                    rb(r, |_| fb(&y)),
                );
            }
            let g = Granularity::Blocked {
                shape: &shape,
                axis,
                block_size: block,
            };
            let mut q = vec![0i16; m];
            let r = quant::quantize_int(xr, g, &ps, Default::default(), &mut q);
            put(
                format!("{tag} Granularity quantize_int {axis}"),
                rb(r, |_| q.iter().map(|&v| v as u64).collect()),
            );
            let mut y = vec![0f32; m];
            let r = quant::dequantize_int(&q, g, &ps, &mut y);
            put(
                format!("{tag} Granularity dequantize_int {axis}"),
                rb(r, |_| fb(&y)),
            );
            let r = quant::fake_quantize_int::<I4>(xr, g, &ps, Default::default(), &mut y);
            put(
                format!("{tag} Granularity fake_quantize_int {axis}"),
                rb(r, |_| fb(&y)),
            );
            let ss: Vec<f32> = ps.iter().map(|p| p.scale).collect();
            let mut qf = vec![F8E4M3FN::ZERO; m];
            let r = quant::quantize_float(xr, g, &ss, &mut qf);
            put(
                format!("{tag} Granularity quantize_float {axis}"),
                rb(r, |_| qf.iter().map(|v| v.to_bits() as u64).collect()),
            );
            let r = quant::dequantize_float(&qf, g, &ss, &mut y);
            put(
                format!("{tag} Granularity dequantize_float {axis}"),
                rb(r, |_| fb(&y)),
            );
            let r = quant::fake_quantize_float::<BF16>(xr, g, &ss, &mut y);
            put(
                format!("{tag} Granularity fake_quantize_float {axis}"),
                rb(r, |_| fb(&y)),
            );
            let mut qb = vec![BF16::from_bits(0); m];
            let r = quant::quantize_scaled_blocked(xr, &shape, axis, block, &ss, &mut qb);
            put(
                format!("{tag} quantize_scaled_blocked {axis}"),
                rb(r, |_| qb.iter().map(|v| v.to_bits() as u64).collect()),
            );
            let r = quant::dequantize_scaled_blocked(&qb, &shape, axis, block, &ss, &mut y);
            put(
                format!("{tag} dequantize_scaled_blocked {axis}"),
                rb(r, |_| fb(&y)),
            );
        }
        let ps = [p, QParams::new(1.0, 0)];
        let mut packed = vec![0u8; m.div_ceil(2)];
        let r = quant::quantize_per_axis_packed::<I4>(xr, &[m / 2, 2], 1, &ps, &mut packed);
        put(
            format!("{tag} quantize_per_axis_packed"),
            rb(r, |_| packed.iter().map(|&v| v as u64).collect()),
        );
        let mut y = vec![0f32; m];
        let r = quant::dequantize_per_axis_packed::<I4>(&packed, &[m / 2, 2], 1, &ps, &mut y);
        put(
            format!("{tag} dequantize_per_axis_packed"),
            rb(r, |_| fb(&y)),
        );
        // lowp::batch on the scaled data (x · s: subnormal for small s).
        let scaled: Vec<f32> = xs.iter().map(|&v| exact_mul(v, s)).collect();
        let o = lowp::batch::Options::new();
        for opts in [
            o,
            o.saturate().rounding(lowp::Rounding::TowardPositive),
            o.stochastic(SEED),
        ] {
            let mut y = vec![0f32; xs.len()];
            let r = lowp::batch::fake_quantize::<F8E5M2>(&scaled, opts, &mut y);
            put(
                format!("{tag} batch fake_quantize {opts:?}"),
                rb(r, |_| fb(&y)),
            );
            let mut z = scaled.clone();
            let r = lowp::batch::fake_quantize_in_place::<BF16>(&mut z, opts);
            put(
                format!("{tag} batch fake_quantize_in_place {opts:?}"),
                rb(r, |_| fb(&z)),
            );
            let mut e = vec![F16::from_bits(0); xs.len()];
            let r = lowp::batch::encode(&scaled, opts, &mut e);
            put(
                format!("{tag} batch encode {opts:?}"),
                rb(r, |_| e.iter().map(|v| v.to_bits() as u64).collect()),
            );
            let mut pk = vec![0u8; packed_len::<F4E2M1FN>(xs.len())];
            let r = lowp::batch::encode_packed::<F4E2M1FN>(xs, opts, &mut pk);
            put(
                format!("{tag} batch encode_packed {opts:?}"),
                rb(r, |_| pk.iter().map(|&v| v as u64).collect()),
            );
        }
        // Producer rules with this scale.
        for dtype in [TorchDtype::F32, TorchDtype::BF16, TorchDtype::F16] {
            let t = format!("{tag} {dtype:?}");
            let mut q = vec![0i8; xs.len()];
            pr::ct_quantize_int(xs, s, CtElement::Int8, dtype, &mut q).unwrap();
            put(
                format!("{t} ct_quantize_int"),
                q.iter().map(|&v| v as u64).collect(),
            );
            let mut q = vec![F8E4M3FN::ZERO; xs.len()];
            pr::ct_quantize_fp8(xs, s, dtype, &mut q).unwrap();
            put(
                format!("{t} ct_quantize_fp8"),
                q.iter().map(|v| v.to_bits() as u64).collect(),
            );
            let mut p = vec![0u8; m / 2];
            pr::ct_quantize_fp4(xr, s, dtype, &mut p).unwrap();
            put(
                format!("{t} ct_quantize_fp4"),
                p.iter().map(|&v| v as u64).collect(),
            );
            put(
                format!("{t} scalar rules"),
                vec![
                    dtype.round(s).to_bits() as u64,
                    pr::ct_scale(s, CtElement::Int4, dtype).to_bits() as u64,
                    pr::ct_scale(s, CtElement::Fp8E4M3, dtype).to_bits() as u64,
                    pr::ct_nvfp4_global_scale(s, dtype).to_bits() as u64,
                    pr::ct_nvfp4_block_scale(s, 448.0, dtype).to_bits() as u64,
                    pr::ct_nvfp4_block_scale(1.0, s, dtype).to_bits() as u64,
                    pr::ct_fp4_code(-s) as u64,
                    pr::ct_mx_scale(s, dtype).0 as u64,
                    pr::ct_mx_scale(s, dtype).1.to_bits() as u64,
                ],
            );
        }
        for rule in [
            Nvfp4Rule::Divide,
            Nvfp4Rule::Reciprocal,
            Nvfp4Rule::ModelOpt,
        ] {
            let mut v = vec![];
            for b in xs.chunks(16) {
                let mut c = vec![0u8; b.len()];
                v.push(pr::nvfp4_block(b, s, rule, &mut c).unwrap().to_bits() as u64);
                v.extend(c.iter().map(|&c| c as u64));
            }
            put(format!("{tag} nvfp4_block {rule:?}"), v);
        }
    }
    // Scalar rules on every tiny value.
    let tiny: Vec<f32> = scales()
        .into_iter()
        .chain(x.iter().copied().step_by(97))
        .collect();
    for format in MxFormat::ALL {
        let mut v = vec![];
        for &a in &tiny {
            for rule in [
                E8m0Rule::Floor,
                E8m0Rule::Ceil,
                E8m0Rule::Even,
                E8m0Rule::RCeil,
            ] {
                v.push(pr::e8m0_exponent(a, format, rule).map_or(u64::MAX, |e| e as u64));
            }
        }
        put(format!("e8m0_exponent {format:?}"), v);
    }
    for format in [MxFormat::E4M3, MxFormat::E2M1] {
        for rule in [
            E8m0Rule::Floor,
            E8m0Rule::Ceil,
            E8m0Rule::Even,
            E8m0Rule::RCeil,
        ] {
            let mut v = vec![];
            for b in xs.chunks(32) {
                let mut c = vec![0u8; b.len()];
                v.push(pr::mx_block(b, format, rule, &mut c).unwrap() as u64);
                v.extend(c.iter().map(|&c| c as u64));
            }
            put(format!("mx_block {format:?} {rule:?}"), v);
        }
    }
    put(
        "ct_amax".into(),
        xs.chunks(7)
            .map(|b| pr::ct_amax(b).to_bits() as u64)
            .collect(),
    );
    // MX in blocks of 32, per row and along the first axis.
    for format in MxFormat::ALL {
        for rule in [MxScaleRule::Floor, MxScaleRule::RoundUp] {
            let o = MxOptions {
                rule,
                block_size: 32,
            };
            let tag = format!("mx32 {format:?} {rule:?}");
            let n = xs.len();
            let mut s = vec![F8E8M0FNU::from_bits(0); quant::mx_scale_count(n, 32)];
            let mut e = vec![0u8; quant::mx_element_bytes(format, n)];
            let r = quant::mx_quantize_with(xs, format, o, &mut s, &mut e);
            put(
                format!("{tag} quantize"),
                rb(r, |_| {
                    s.iter()
                        .map(|v| v.to_bits() as u64)
                        .chain(e.iter().map(|&v| v as u64))
                        .collect()
                }),
            );
            let mut y = vec![0f32; n];
            let r = quant::mx_dequantize_with(format, o, &s, &e, &mut y);
            put(format!("{tag} dequantize"), rb(r, |_| fb(&y)));
            let r = quant::mx_fake_quantize_with(xs, format, o, &mut y);
            put(format!("{tag} fake_quantize"), rb(r, |_| fb(&y)));
            let mut y = vec![0f32; m];
            let r = quant::mx_fake_quantize_axis(xr, &[m / 64, 64], 1, format, o, &mut y);
            put(format!("{tag} fake_quantize_axis 1"), rb(r, |_| fb(&y)));
            let r = quant::mx_fake_quantize_axis(xr, &[64, m / 64], 0, format, o, &mut y);
            put(format!("{tag} fake_quantize_axis 0"), rb(r, |_| fb(&y)));
        }
    }
    // Parameters: blocked, per channel, Granularity, custom ranges, observers.
    for data in [
        x,
        &x.iter()
            .copied()
            .filter(|v| v.abs() < 1e-30)
            .collect::<Vec<_>>()[..],
    ] {
        let mm = data.len() / 64 * 64;
        let d = &data[..mm];
        let shape = [mm / 64, 64];
        let tag = data.len();
        let mut ps = vec![QParams::new(1.0, 0); mm / 64 * 2];
        let r = quant::qparams_blocked::<i8>(d, &shape, 1, 32, quant::Scheme::Symmetric, &mut ps);
        put(
            format!("qparams_blocked {tag}"),
            rb(r, |_| {
                ps.iter()
                    .flat_map(|p| [p.scale.to_bits() as u64, p.zero_point as u64])
                    .collect()
            }),
        );
        let g = Granularity::PerAxis {
            shape: &shape,
            axis: 1,
        };
        let mut ps = vec![QParams::new(1.0, 0); 64];
        let r = quant::qparams::<u8>(d, g, quant::Scheme::Asymmetric, &mut ps);
        put(
            format!("Granularity qparams {tag}"),
            rb(r, |_| {
                ps.iter()
                    .flat_map(|p| [p.scale.to_bits() as u64, p.zero_point as u64])
                    .collect()
            }),
        );
        let mut ss = vec![0f32; 64];
        let r = quant::scales::<F8E5M2>(d, g, &mut ss);
        put(format!("Granularity scales {tag}"), rb(r, |_| fb(&ss)));
        let mut o = quant::PerChannelMinMaxObserver::new(1, 64);
        let r = o.observe(d, &shape);
        let mut a = quant::PerChannelMinMaxObserver::moving_average(1, 64, 0.3);
        let _ = a.observe(d, &shape);
        let _ = a.observe(&d[..64], &[1, 64]);
        for (name, o) in [("minmax", &o), ("moving", &a)] {
            for scheme in [quant::Scheme::Asymmetric, quant::Scheme::Symmetric] {
                let p = o.qparams::<u8>(scheme, QRange::reduced::<u8>());
                put(
                    format!("PerChannel {name} {tag} {scheme:?} {}", r.is_ok()),
                    rb(p, |ps| {
                        ps.iter()
                            .flat_map(|p| [p.scale.to_bits() as u64, p.zero_point as u64])
                            .collect()
                    }),
                );
            }
        }
        let mut h = quant::HistogramObserver::new();
        h.observe(data);
        h.observe(&data[..data.len() / 2]);
        let mut v = vec![h.count()];
        for p in [0.0, 50.0, 99.9, 100.0] {
            v.push(h.abs_percentile(p).to_bits() as u64);
            let r = h.percentile_range(p).unwrap_or((1.0, 1.0));
            v.extend([r.0.to_bits() as u64, r.1.to_bits() as u64]);
        }
        put(format!("HistogramObserver {tag}"), v);
        let mut po = quant::PercentileObserver::new(99.0);
        po.observe(data);
        put(
            format!("PercentileObserver {tag}"),
            rb(po.qparams::<i8>(quant::Scheme::Symmetric), |p| {
                vec![p.scale.to_bits() as u64, p.zero_point as u64]
            }),
        );
        let mut mo = quant::MseObserver::new(16);
        mo.observe(data);
        put(
            format!("MseObserver {tag}"),
            rb(mo.search::<u8>(quant::Scheme::Asymmetric), |(p, e)| {
                vec![p.scale.to_bits() as u64, p.zero_point as u64, e.to_bits()]
            }),
        );
        for lo in [-1e-40f32, -3.0, 0.0] {
            for hi in [1e-42f32, 2.0] {
                put(
                    format!("choose_qparams_in {tag} {lo:e} {hi:e}"),
                    rb(
                        quant::choose_qparams_in::<u8>(
                            lo,
                            hi,
                            quant::Scheme::Asymmetric,
                            QRange::reduced::<u8>(),
                        ),
                        |p| vec![p.scale.to_bits() as u64, p.zero_point as u64],
                    ),
                );
            }
        }
        // Metrics of a round trip that changes the tiny values.
        let back: Vec<f32> = data
            .iter()
            .map(|&v| f32::from_bits(v.to_bits() & !3))
            .collect();
        put(
            format!("error_stats {tag}"),
            rb(quant::error_stats(data, &back), |s| {
                vec![
                    s.mse.to_bits(),
                    s.max_abs.to_bits(),
                    s.max_rel.to_bits(),
                    s.sqnr_db.to_bits(),
                    s.cosine.to_bits(),
                ]
            }),
        );
    }
}

/// Every quantizer entry point (codes, parameters, dequantized values) under FTZ|DAZ: the
/// default environment's bits.
#[test]
fn quantizers_ignore_the_environment() {
    // The reference: the per-element formulas (Level::Scalar) in the default environment.
    // The level is process-wide; no other test of this file sets it.
    lowp::set_level(Some(Level::Scalar)).unwrap();
    let want = quantizers();
    let mut bad = Vec::new();
    for level in levels() {
        lowp::set_level(Some(level)).unwrap();
        // (The levels' agreement in the default environment is tests/quant_fast.rs's.)
        for (env, got) in [("FTZ|DAZ", flushing(quantizers))] {
            assert_eq!(want.len(), got.len());
            for ((name, w), (_, g)) in want.iter().zip(&got) {
                if w != g {
                    let i = (0..w.len().min(g.len())).find(|&i| w[i] != g[i]);
                    bad.push(format!(
                        "{level:?} {env}: {name}: first difference at {i:?}: {:x?} vs {:x?}",
                        i.map(|i| w[i]),
                        i.map(|i| g[i])
                    ));
                }
            }
        }
    }
    lowp::set_level(None).unwrap();
    assert!(
        bad.is_empty(),
        "{} of {} differ:\n{}",
        bad.len(),
        want.len() * levels().len(),
        bad.join("\n")
    );
}

/// The documented behaviour for subnormal results (CONTRACT.md §14): under FTZ|DAZ a
/// dequantized or fake-quantized value that is subnormal is written as that subnormal — the
/// default environment's bits, not ±0 — and a subnormal scale is not read as 0.
#[test]
fn subnormal_results_are_kept_under_ftz() {
    let tiny = f32::from_bits(1 << 9); // 2^-140, subnormal
    let got = flushing(|| {
        let mut y = [0f32; 3];
        quant::dequantize(&[1i8, -3, 0], QParams::new(tiny, 0), &mut y).unwrap();
        let mut z = [0f32; 2];
        quant::dequantize_scaled(
            &[F8E4M3FN::from_f32(1.5), F8E4M3FN::from_f32(-0.5)],
            tiny,
            &mut z,
        )
        .unwrap();
        let mut f = [0f32; 2];
        let x = [f32::from_bits(0x0001_2345), -f32::from_bits(0x000C_0000)];
        quant::fake_quantize_scaled::<BF16>(&x, 1.0, &mut f).unwrap();
        (y, z, f)
    });
    let b = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(b(&got.0), [1 << 9, 0x8000_0000 | 3 << 9, 0]);
    assert_eq!(b(&got.1), [3 << 8, 0x8000_0000 | 1 << 8]);
    // bf16's subnormals are the f32 subnormals with the low 16 bits clear.
    assert_eq!(b(&got.2), [0x0001_0000, 0x800C_0000]);
}
