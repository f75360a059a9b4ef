//! French number formatting: `12,5 %`, `1 234 567` (narrow no-break space between thousands).

/// `v` with `decimals` decimals, comma as decimal separator, thousands grouped.
pub fn number(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((a, b)) => (a.to_string(), Some(b.to_string())),
        None => (s.clone(), None),
    };
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(ch);
    }
    let negative = v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0');
    let sign = if negative { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped},{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A value with its unit: `12,5 %`, `1 234 hab./km²`.
pub fn with_unit(v: f64, decimals: usize, unit: &str) -> String {
    if unit.is_empty() {
        number(v, decimals)
    } else {
        format!("{}\u{a0}{unit}", number(v, decimals))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_conventions() {
        assert_eq!(number(1_234_567.0, 0), "1\u{202f}234\u{202f}567");
        assert_eq!(number(12.54, 1), "12,5");
        assert_eq!(number(-0.04, 1), "0,0");
        assert_eq!(number(-3.25, 2), "-3,25");
        assert_eq!(with_unit(12.5, 1, "%"), "12,5\u{a0}%");
        assert_eq!(number(f64::NAN, 1), "—");
    }
}
