//! Show a number in every format, or list every code of one format.
//!
//! ```text
//! cargo run --example inspect -- 0.1
//! cargo run --example inspect -- 500 --rounding toward-zero --saturate
//! cargo run --example inspect -- --table float8_e4m3fn
//! cargo run --example inspect -- --table binary8p3se     # any P3109 member with K <= 8
//! ```

use lowp::round::{decode_to_f32_bits, encode_f64};
use lowp::{Fields, Overflow, Rounding, Spec, FORMATS};
use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!(
        "usage: inspect <number> [--rounding nearest-even|nearest-away|toward-zero|\
         toward-positive|toward-negative|odd] [--saturate]\n       inspect --table <format>\n\
         formats: {}, and the P3109 members binary<K>p<P><s|u><e|f> with K <= 8",
        FORMATS.map(|s| s.name).join(", ")
    );
    ExitCode::FAILURE
}

/// The P3109 members the value listing shows after the table's formats.
const P3109_SHOWN: [&str; 6] = [
    "binary8p3se",
    "binary8p4se",
    "binary8p4sf",
    "binary8p5se",
    "binary8p1uf",
    "binary4p2sf",
];

/// The row of a P3109 member named like `binary8p3se` (K ≤ 8: every value is an f32).
fn p3109_spec(name: &str) -> Option<Spec> {
    let rest = name.strip_prefix("binary")?;
    let (k, rest) = rest.split_once('p')?;
    let (k, rest): (u32, &str) = (k.parse().ok()?, rest);
    if rest.len() < 3 {
        return None;
    }
    let (p, tail) = rest.split_at(rest.len() - 2);
    let p: u32 = p.parse().ok()?;
    let signed = match &tail[..1] {
        "s" => true,
        "u" => false,
        _ => return None,
    };
    let extended = match &tail[1..] {
        "e" => true,
        "f" => false,
        _ => return None,
    };
    let valid = (3..=8).contains(&k) && p >= 1 && (p < k || (!signed && p == k));
    // The name must live as long as the row (a `&'static str`); the example leaks it.
    valid.then(|| {
        Spec::p3109(
            Box::leak(name.to_string().into_boxed_str()),
            k,
            p,
            signed,
            extended,
        )
    })
}

fn hex_width(spec: &Spec) -> usize {
    ((spec.bits + spec.storage_shift) as usize).div_ceil(4)
}

fn table(name: &str) -> ExitCode {
    let p3109 = p3109_spec(name);
    let Some(spec) = FORMATS.iter().find(|s| s.name == name).or(p3109.as_ref()) else {
        eprintln!("unknown format {name:?}");
        return usage();
    };
    if spec.bits > 16 {
        eprintln!("{name} has 2^{} codes: too many to list", spec.bits);
        return ExitCode::FAILURE;
    }
    println!("{name}: {} codes", 1u32 << spec.bits);
    println!(
        "{:>6}  {:<w$}  {:>14}  class",
        "code",
        "fields",
        "value",
        w = spec.bits as usize + 2
    );
    for code in 0..1u32 << spec.bits {
        let bits = code << spec.storage_shift;
        let f = Fields::of(spec, bits);
        let v = f32::from_bits(decode_to_f32_bits(spec, bits));
        println!(
            "{:>6}  {:<w$}  {:>14}  {:?}",
            format!("{:#0hw$x}", bits, hw = hex_width(spec) + 2),
            f.to_string(),
            v,
            f.class,
            w = spec.bits as usize + 2
        );
    }
    ExitCode::SUCCESS
}

fn parse_rounding(s: &str) -> Option<Rounding> {
    Some(match s {
        "nearest-even" => Rounding::NearestEven,
        "nearest-away" => Rounding::NearestAway,
        "toward-zero" => Rounding::TowardZero,
        "toward-positive" => Rounding::TowardPositive,
        "toward-negative" => Rounding::TowardNegative,
        "odd" => Rounding::Odd,
        _ => return None,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--table") {
        return match args.get(1) {
            Some(name) => table(name),
            None => usage(),
        };
    }
    let mut value = None;
    let mut rounding = Rounding::NearestEven;
    let mut overflow = Overflow::Ieee;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rounding" => match it.next().and_then(|m| parse_rounding(m)) {
                Some(r) => rounding = r,
                None => return usage(),
            },
            "--saturate" => overflow = Overflow::Saturate,
            s => match s.parse::<f64>() {
                Ok(v) if value.is_none() => value = Some(v),
                _ => return usage(),
            },
        }
    }
    let Some(x) = value else { return usage() };
    println!("{x} rounded {rounding:?} with {overflow:?} overflow (from the exact f64):");
    println!(
        "{:<20} {:<36} {:>12} {:>16} {:>12} {:>12}",
        "format", "sign exponent mantissa", "hex", "value", "abs error", "rel error"
    );
    let shown: Vec<Spec> = P3109_SHOWN.iter().filter_map(|n| p3109_spec(n)).collect();
    if overflow == Overflow::Saturate {
        println!("(P3109 members: --saturate is SatFinite, else SatNone)");
    }
    for spec in FORMATS.iter().chain(&shown) {
        let bits = encode_f64(spec, x, rounding, overflow);
        let v = f32::from_bits(decode_to_f32_bits(spec, bits)) as f64;
        let abs = (v - x).abs();
        let rel = if x != 0.0 { abs / x.abs() } else { abs };
        println!(
            "{:<20} {:<36} {:>12} {:>16} {:>12.3e} {:>12.3e}",
            spec.name,
            Fields::of(spec, bits).to_string(),
            format!("{:#0w$x}", bits, w = hex_width(spec) + 2),
            format!("{v}"),
            abs,
            rel
        );
    }
    ExitCode::SUCCESS
}
