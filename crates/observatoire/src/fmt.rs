//! French number formatting for the terminal.

/// French number formatting: narrow no-break space between thousands, comma for decimals.
pub fn format_fr(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s
        .split_once('.')
        .map(|(a, b)| (a.to_string(), Some(b.to_string())))
        .unwrap_or((s.clone(), None));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(ch);
    }
    let sign = if v < 0.0 && v.abs() >= 0.5 * 10f64.powi(-(decimals as i32)) {
        "-"
    } else {
        ""
    };
    match frac {
        Some(f) => format!("{sign}{grouped},{f}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::format_fr;

    #[test]
    fn french_numbers() {
        assert_eq!(format_fr(1_234_567.0, 0), "1\u{202f}234\u{202f}567");
        assert_eq!(format_fr(244.863, 2), "244,86");
        assert_eq!(format_fr(-12.5, 1), "-12,5");
        assert_eq!(format_fr(999.0, 0), "999");
    }
}
