//! Show a number in every format, or list every code of one format.
//!
//! ```text
//! cargo run --example inspect -- 0.1
//! cargo run --example inspect -- 500 --rounding toward-zero --saturate
//! cargo run --example inspect -- --table float8_e4m3fn
//! cargo run --example inspect -- --table float8_e4m3fn | head -3
//! ```
//!
//! A bad argument gets a message that says what was wrong, the usage, and exit status 2. Output
//! into a pipe that closes early (`| head`) ends the program quietly. Formats whose values are
//! all powers of two (float8_e8m0fnu) show them as such: `2^-127` … `2^127`.

use lowp::round::{decode_to_f32_bits, encode_f64};
use lowp::{Fields, Overflow, Rounding, Spec, FORMATS};
use std::io::{self, Write};
use std::process::ExitCode;

const ROUNDINGS: &str =
    "nearest-even, nearest-away, toward-zero, toward-positive, toward-negative, odd";

fn usage() -> String {
    format!(
        "usage: inspect <number> [--rounding <mode>] [--saturate]\n       \
         inspect --table <format>\n\
         rounding modes: {ROUNDINGS}\n\
         formats: {}",
        FORMATS.map(|s| s.name).join(", ")
    )
}

fn hex_width(spec: &Spec) -> usize {
    ((spec.bits + spec.storage_shift) as usize).div_ceil(4)
}

/// A value as text: powers of two as `2^e` in formats that have nothing else (E8M0, whose
/// 2^-127 would otherwise print as a long decimal), else the f32's shortest decimal.
fn show(spec: &Spec, bits: u32) -> String {
    let v = f32::from_bits(decode_to_f32_bits(spec, bits));
    if spec.mantissa_bits == 0 && v.is_finite() && v != 0.0 {
        let e = Fields::of(spec, bits).exponent;
        return format!("{}2^{e}", if v < 0.0 { "-" } else { "" });
    }
    format!("{v}")
}

fn table(out: &mut impl Write, spec: &Spec) -> io::Result<()> {
    let name = spec.name;
    writeln!(out, "{name}: {} codes", 1u32 << spec.bits)?;
    writeln!(
        out,
        "{:>6}  {:<w$}  {:>14}  class",
        "code",
        "fields",
        "value",
        w = spec.bits as usize + 2
    )?;
    for code in 0..1u32 << spec.bits {
        let bits = code << spec.storage_shift;
        let f = Fields::of(spec, bits);
        writeln!(
            out,
            "{:>6}  {:<w$}  {:>14}  {:?}",
            format!("{:#0hw$x}", bits, hw = hex_width(spec) + 2),
            f.to_string(),
            show(spec, bits),
            f.class,
            w = spec.bits as usize + 2
        )?;
    }
    Ok(())
}

fn number(out: &mut impl Write, x: f64, rounding: Rounding, overflow: Overflow) -> io::Result<()> {
    writeln!(
        out,
        "{x} rounded {rounding:?} with {overflow:?} overflow (from the exact f64):"
    )?;
    writeln!(
        out,
        "{:<20} {:<36} {:>12} {:>16} {:>12} {:>12}",
        "format", "sign exponent mantissa", "hex", "value", "abs error", "rel error"
    )?;
    for spec in &FORMATS {
        let bits = encode_f64(spec, x, rounding, overflow);
        let v = f32::from_bits(decode_to_f32_bits(spec, bits)) as f64;
        let abs = (v - x).abs();
        let rel = if x != 0.0 { abs / x.abs() } else { abs };
        writeln!(
            out,
            "{:<20} {:<36} {:>12} {:>16} {:>12.3e} {:>12.3e}",
            spec.name,
            Fields::of(spec, bits).to_string(),
            format!("{:#0w$x}", bits, w = hex_width(spec) + 2),
            show(spec, bits),
            abs,
            rel
        )?;
    }
    Ok(())
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

/// What to do, from the arguments.
enum Command {
    Help,
    Table(&'static Spec),
    Number(f64, Rounding, Overflow),
}

fn parse(args: &[String]) -> Result<Command, String> {
    let mut value = None;
    let mut table = None;
    let mut rounding = Rounding::NearestEven;
    let mut overflow = Overflow::Ieee;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--table" => {
                let name = it.next().ok_or("--table needs a format name")?;
                let spec = FORMATS
                    .iter()
                    .find(|s| s.name == name)
                    .ok_or_else(|| format!("unknown format {name:?}"))?;
                if spec.bits > 16 {
                    return Err(format!(
                        "{name} has 2^{} codes: too many to list",
                        spec.bits
                    ));
                }
                table = Some(spec);
            }
            "--rounding" => {
                let m = it.next().ok_or("--rounding needs a mode")?;
                rounding = parse_rounding(m)
                    .ok_or_else(|| format!("unknown rounding mode {m:?} (one of {ROUNDINGS})"))?;
            }
            "--saturate" => overflow = Overflow::Saturate,
            // A leading '-' that is not a number's sign is an option we do not know.
            s if s.starts_with("--") || (s.starts_with('-') && s.parse::<f64>().is_err()) => {
                return Err(format!("unknown option {s:?}"))
            }
            s => {
                let v: f64 = s.parse().map_err(|_| {
                    format!("{s:?} is not a number (f64 syntax, e.g. 0.1, -3e-5, inf)")
                })?;
                if value.replace(v).is_some() {
                    return Err(format!("more than one number given ({s:?} is the second)"));
                }
            }
        }
    }
    match (table, value) {
        (Some(_), Some(_)) => Err("give either a number or --table, not both".into()),
        (Some(spec), None) => Ok(Command::Table(spec)),
        (None, Some(x)) => Ok(Command::Number(x, rounding, overflow)),
        (None, None) => Err("no number given".into()),
    }
}

fn main() -> ExitCode {
    // `std::env::args` panics on an argument that is not Unicode; say so instead.
    let args: Result<Vec<String>, _> = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect();
    let command = match args {
        Ok(args) => parse(&args),
        Err(a) => Err(format!("argument {a:?} is not valid Unicode")),
    };
    let command = match command {
        Ok(c) => c,
        Err(e) => {
            eprintln!("inspect: {e}\n{}", usage());
            return ExitCode::from(2);
        }
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = match command {
        Command::Help => writeln!(out, "{}", usage()),
        Command::Table(spec) => table(&mut out, spec),
        Command::Number(x, r, o) => number(&mut out, x, r, o),
    }
    .and_then(|()| out.flush());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`| head`): nothing more to say.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("inspect: cannot write the output: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        for (a, msg) in [
            ("abc", "not a number"),
            ("--foo", "unknown option"),
            ("-x", "unknown option"),
            ("--rounding", "needs a mode"),
            ("1 --rounding up", "unknown rounding mode"),
            ("--table", "needs a format name"),
            ("--table nope", "unknown format"),
            ("--table float32", "too many to list"),
            ("1 2", "more than one number"),
            ("", "no number given"),
            ("3 --table float4_e2m1fn", "not both"),
        ] {
            match parse(&args(a)) {
                Err(e) => assert!(e.contains(msg), "{a:?}: {e}"),
                Ok(_) => panic!("{a:?} accepted"),
            }
        }
        assert!(
            matches!(parse(&args("-1.5 --saturate")), Ok(Command::Number(x, _, Overflow::Saturate)) if x == -1.5)
        );
        assert!(matches!(parse(&args("--help")), Ok(Command::Help)));
    }

    #[test]
    fn e8m0_values_are_powers_of_two() {
        let spec = FORMATS.iter().find(|s| s.name == "float8_e8m0fnu").unwrap();
        for code in 0..255u32 {
            assert_eq!(show(spec, code), format!("2^{}", code as i32 - 127));
        }
        assert_eq!(show(spec, 0xFF), "NaN");
        let e4m3 = FORMATS.iter().find(|s| s.name == "float8_e4m3fn").unwrap();
        assert_eq!(show(e4m3, 0x46), "3.5");
    }

    /// A reader that goes away after `left` bytes, as `head` does.
    struct ClosedAfter {
        left: usize,
    }
    impl Write for ClosedAfter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.left == 0 {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            let n = buf.len().min(self.left);
            self.left -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_an_error_not_a_panic() {
        let spec = FORMATS.iter().find(|s| s.name == "float8_e4m3fn").unwrap();
        let e = table(&mut ClosedAfter { left: 100 }, spec).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        let e = number(
            &mut ClosedAfter { left: 10 },
            0.1,
            Rounding::NearestEven,
            Overflow::Ieee,
        )
        .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        let mut all = Vec::new();
        table(&mut all, spec).unwrap();
        assert_eq!(String::from_utf8(all).unwrap().lines().count(), 258);
    }
}
