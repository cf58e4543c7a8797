//! `lowp inspect`: a number in every format lowp knows (or one), or every code of a format —
//! the same layouts as the library's `inspect` example prints.

use anyhow::{anyhow, bail, Result};
use lowp::round::{decode_to_f32_bits, encode_f64};
use lowp::{Fields, Overflow, Rounding, Spec, FORMATS};
use std::process::ExitCode;

fn hex_width(spec: &Spec) -> usize {
    ((spec.bits + spec.storage_shift) as usize).div_ceil(4)
}

fn find(name: &str) -> Result<&'static Spec> {
    FORMATS.iter().find(|s| s.name == name).ok_or_else(|| {
        anyhow!(
            "unknown format {name:?}; one of {}",
            FORMATS.map(|s| s.name).join(", ")
        )
    })
}

fn parse_rounding(s: &str) -> Result<Rounding> {
    Ok(match s {
        "nearest-even" => Rounding::NearestEven,
        "nearest-away" => Rounding::NearestAway,
        "toward-zero" => Rounding::TowardZero,
        "toward-positive" => Rounding::TowardPositive,
        "toward-negative" => Rounding::TowardNegative,
        "odd" => Rounding::Odd,
        _ => bail!(
            "unknown rounding {s:?}; one of nearest-even, nearest-away, toward-zero, \
             toward-positive, toward-negative, odd"
        ),
    })
}

/// Every code of one format, one line each.
pub fn table(name: &str) -> Result<String> {
    let spec = find(name)?;
    if spec.bits > 16 {
        bail!("{name} has 2^{} codes: too many to list", spec.bits);
    }
    let mut s = format!("{name}: {} codes\n", 1u32 << spec.bits);
    s += &format!(
        "{:>6}  {:<w$}  {:>14}  class\n",
        "code",
        "fields",
        "value",
        w = spec.bits as usize + 2
    );
    for code in 0..1u32 << spec.bits {
        let bits = code << spec.storage_shift;
        let f = Fields::of(spec, bits);
        let v = f32::from_bits(decode_to_f32_bits(spec, bits));
        s += &format!(
            "{:>6}  {:<w$}  {:>14}  {:?}\n",
            format!("{:#0hw$x}", bits, hw = hex_width(spec) + 2),
            f.to_string(),
            v,
            f.class,
            w = spec.bits as usize + 2
        );
    }
    Ok(s)
}

/// One number in `formats`.
pub fn value(x: f64, formats: &[&Spec], rounding: Rounding, overflow: Overflow) -> String {
    let mut s =
        format!("{x} rounded {rounding:?} with {overflow:?} overflow (from the exact f64):\n");
    s += &format!(
        "{:<20} {:<36} {:>12} {:>16} {:>12} {:>12}\n",
        "format", "sign exponent mantissa", "hex", "value", "abs error", "rel error"
    );
    for spec in formats {
        let bits = encode_f64(spec, x, rounding, overflow);
        let v = f32::from_bits(decode_to_f32_bits(spec, bits)) as f64;
        let abs = (v - x).abs();
        let rel = if x != 0.0 { abs / x.abs() } else { abs };
        s += &format!(
            "{:<20} {:<36} {:>12} {:>16} {:>12.3e} {:>12.3e}\n",
            spec.name,
            Fields::of(spec, bits).to_string(),
            format!("{:#0w$x}", bits, w = hex_width(spec) + 2),
            format!("{v}"),
            abs,
            rel
        );
    }
    s
}

/// Runs the command.
pub fn run(
    v: Option<&str>,
    format: Option<&str>,
    rounding: &str,
    saturate: bool,
    table_of: Option<&str>,
) -> Result<ExitCode> {
    if let Some(name) = table_of {
        print!("{}", table(name)?);
        return Ok(ExitCode::SUCCESS);
    }
    let Some(v) = v else {
        bail!("give a number to inspect, or --table FORMAT");
    };
    let x: f64 = v.parse().map_err(|_| anyhow!("not a number: {v:?}"))?;
    let rounding = parse_rounding(rounding)?;
    let overflow = if saturate {
        Overflow::Saturate
    } else {
        Overflow::Ieee
    };
    let formats: Vec<&Spec> = match format {
        Some(f) => vec![find(f)?],
        None => FORMATS.iter().collect(),
    };
    print!("{}", value(x, &formats, rounding, overflow));
    Ok(ExitCode::SUCCESS)
}
