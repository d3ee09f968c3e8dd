//! The canonical JSON form of a store: byte-for-byte what Python's
//! `json.dumps(value, sort_keys=True)` prints, so hashes can be compared with
//! the published τ²-bench oracle.

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// Serialises `value` as Python's `json.dumps(value, sort_keys=True)` would.
pub fn to_canonical_string(value: &Value) -> String {
    let mut out = String::with_capacity(1 << 16);
    write_value(&mut out, value);
    out
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else if let Some(f) = n.as_f64() {
                out.push_str(&python_float_repr(f));
            }
        }
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // serde_json's map is ordered by key (no `preserve_order`), and
            // Python sorts by code point, which is the same as byte order for UTF-8.
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_string(out, key);
                out.push_str(": ");
                if let Some(v) = map.get(key) {
                    write_value(out, v);
                }
            }
            out.push('}');
        }
    }
}

/// Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4
/// and from 1e16 up, with a signed two-digit exponent.
pub fn python_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    // Rust's Debug uses the same shortest digits and the same thresholds for
    // switching to exponent form; only the exponent's spelling differs.
    let debug = format!("{f:?}");
    match debug.split_once('e') {
        None => debug,
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_python_json_dumps_sort_keys() {
        let value = json!({"b": [1, 2.5, null], "a": {"z": true, "y": "x"}, "c": 50.0});
        assert_eq!(
            to_canonical_string(&value),
            r#"{"a": {"y": "x", "z": true}, "b": [1, 2.5, null], "c": 50.0}"#
        );
    }

    #[test]
    fn escapes_like_ensure_ascii() {
        let value = json!("café \"q\" \\ \n \u{7f} 😀");
        assert_eq!(
            to_canonical_string(&value),
            r#""caf\u00e9 \"q\" \\ \n \u007f \ud83d\ude00""#
        );
    }

    #[test]
    fn floats_follow_python_repr() {
        assert_eq!(python_float_repr(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(python_float_repr(5e-5), "5e-05");
        assert_eq!(python_float_repr(1e16), "1e+16");
        assert_eq!(python_float_repr(1.5e300), "1.5e+300");
        assert_eq!(python_float_repr(0.0001), "0.0001");
        assert_eq!(python_float_repr(-0.0), "-0.0");
        assert_eq!(python_float_repr(4079.45), "4079.45");
    }
}
