//! Money arithmetic with the store's exact rounding rules.

/// Rounds to cents as Python's `round(x, 2)` does: half-to-even on the exact binary value.
pub fn round2(x: f64) -> f64 {
    // Rust's fixed-precision formatting rounds the exact binary value half-to-even,
    // which is Python's rule; `(x * 100).round() / 100` is not.
    format!("{x:.2}").parse().unwrap_or(x)
}

/// Formats dollars for people, e.g. `$4,079.45` or `-$3.10`.
pub fn format_usd(x: f64) -> String {
    let cents = format!("{:.2}", x.abs());
    let (whole, frac) = cents.split_once('.').unwrap_or((&cents, "00"));
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if x < 0.0 && round2(x) != 0.0 { "-" } else { "" };
    format!("{sign}${grouped}.{frac}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round2_is_half_even_on_the_binary_value() {
        assert_eq!(round2(0.125), 0.12);
        assert_eq!(round2(0.375), 0.38);
        // 2.675 is stored as 2.67499999..., so it rounds down, as in Python.
        assert_eq!(round2(2.675), 2.67);
        assert_eq!(round2(100.0 + 0.1 + 0.2), 100.3);
    }

    #[test]
    fn formats_dollars_with_grouping() {
        assert_eq!(format_usd(4079.45), "$4,079.45");
        assert_eq!(format_usd(999.999), "$1,000.00");
        assert_eq!(format_usd(-3.1), "-$3.10");
        assert_eq!(format_usd(0.0), "$0.00");
        assert_eq!(format_usd(1234567.0), "$1,234,567.00");
    }
}
