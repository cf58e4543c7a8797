//! JSON written the way Python's `json.dump(obj, f, indent=2, sort_keys=True)` writes it, so
//! that `config.json` and the index come out byte for byte as llm-compressor writes them.
//!
//! Python's rules: keys sorted (by code point), two-space indent, `", "`-free separators
//! (`","` at line ends, `": "` after keys), empty containers as `{}` / `[]`, every non-ASCII
//! character escaped as `\uXXXX` (surrogate pairs above U+FFFF), floats as `repr(float)`
//! (shortest round-trip digits; exponent form below 1e-4 and from 1e16 on, e.g. `1e-05`,
//! `1e+16`; otherwise a decimal point, e.g. `2.0`), no trailing newline.

use serde_json::Value;
use std::fmt::Write;

/// `obj` as Python's `json.dumps(obj, indent=2, sort_keys=True)`.
pub fn dumps(v: &Value) -> String {
    let mut s = String::new();
    write_value(&mut s, v, 0);
    s
}

fn indent(s: &mut String, level: usize) {
    s.push('\n');
    for _ in 0..level {
        s.push_str("  ");
    }
}

fn write_value(s: &mut String, v: &Value, level: usize) {
    match v {
        Value::Null => s.push_str("null"),
        Value::Bool(b) => s.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                write!(s, "{i}").unwrap();
            } else if let Some(u) = n.as_u64() {
                write!(s, "{u}").unwrap();
            } else {
                s.push_str(&float_repr(n.as_f64().unwrap_or(f64::NAN)));
            }
        }
        Value::String(t) => write_str(s, t),
        Value::Array(a) => {
            if a.is_empty() {
                s.push_str("[]");
                return;
            }
            s.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                indent(s, level + 1);
                write_value(s, x, level + 1);
            }
            indent(s, level);
            s.push(']');
        }
        Value::Object(m) => {
            if m.is_empty() {
                s.push_str("{}");
                return;
            }
            let mut keys: Vec<&String> = m.keys().collect();
            // Python sorts str keys by code point; Rust's str order is byte order of UTF-8,
            // which is the same order.
            keys.sort();
            s.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                indent(s, level + 1);
                write_str(s, k);
                s.push_str(": ");
                write_value(s, &m[k.as_str()], level + 1);
            }
            indent(s, level);
            s.push('}');
        }
    }
}

fn write_str(s: &mut String, t: &str) {
    s.push('"');
    for c in t.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            '\u{8}' => s.push_str("\\b"),
            '\u{c}' => s.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    write!(s, "\\u{unit:04x}").unwrap();
                }
            }
            c => s.push(c),
        }
    }
    s.push('"');
}

/// Python's `repr(float)`.
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    // Shortest round-trip digits, as "d.ddde±x".
    let e = format!("{x:e}");
    let (mant, exp) = e.split_once('e').unwrap();
    let exp: i32 = exp.parse().unwrap();
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if neg { "-" } else { "" };
    if (-4..16).contains(&exp) {
        // Fixed notation with at least one digit after the point.
        let n = digits.len() as i32;
        let point = exp + 1; // digits before the decimal point
        let body = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point >= n {
            format!("{}{}.0", digits, "0".repeat((point - n) as usize))
        } else {
            format!(
                "{}.{}",
                &digits[..point as usize],
                &digits[point as usize..]
            )
        };
        format!("{sign}{body}")
    } else {
        let m = if digits.len() == 1 {
            digits.clone()
        } else {
            format!("{}.{}", &digits[..1], &digits[1..])
        };
        let es = if exp < 0 { "-" } else { "+" };
        format!("{sign}{m}e{es}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_as_python_repr() {
        for (x, r) in [
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (2.0, "2.0"),
            (0.1, "0.1"),
            (-1.5e-7, "-1.5e-07"),
            (123456.789, "123456.789"),
            (1.0e300, "1e+300"),
            (5e-324, "5e-324"),
        ] {
            assert_eq!(float_repr(x), r, "{x}");
        }
    }

    #[test]
    fn layout_as_python() {
        let v: Value =
            serde_json::from_str(r#"{"b":[1,{"x":[]}],"a":"é","c":{},"d":1.0}"#).unwrap();
        assert_eq!(
            dumps(&v),
            "{\n  \"a\": \"\\u00e9\",\n  \"b\": [\n    1,\n    {\n      \"x\": []\n    }\n  ],\n  \"c\": {},\n  \"d\": 1.0\n}"
        );
    }
}
