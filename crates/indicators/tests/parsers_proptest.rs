//! Arbitrary input to every parser of the crate: errors allowed, panics never.
use proptest::prelude::*;
use std::path::Path;

proptest! {
    #[test]
    fn csv_never_panics(text in "\\PC*") {
        let _ = indicators::table::parse_csv(Path::new("x.csv"), &text, None);
    }

    #[test]
    fn csv_like_never_panics(rows in proptest::collection::vec(proptest::collection::vec("[0-9a-z,. ;\"]{0,8}", 0..6), 0..6)) {
        let text: String = rows.iter().map(|r| r.join(";")).collect::<Vec<_>>().join("\n");
        if let Ok(t) = indicators::table::parse_csv(Path::new("x.csv"), &text, None) {
            for (_, row) in &t.rows {
                for c in row {
                    let _ = indicators::table::parse_cell(c);
                }
            }
        }
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = indicators::table::decode(&bytes, None);
        let _ = indicators::table::decode(&bytes, Some("ISO-8859-1"));
    }

    #[test]
    fn cells_never_panic(s in "\\PC*") {
        let _ = indicators::table::parse_cell(&s);
    }

    #[test]
    fn breaks_never_panic(s in "\\PC*") {
        let _ = indicators::classify::parse_breaks(&s);
    }

    #[test]
    fn catalogue_never_panics(s in "\\PC*") {
        let _ = indicators::Catalogue::parse(Path::new("c.toml"), &s);
    }

    #[test]
    fn classification_never_panics(values in proptest::collection::vec(-1e9f64..1e9, 0..60), k in 0usize..12, m in 0usize..9) {
        let method = match m {
            0 => indicators::classify::Method::Quantiles,
            1 => indicators::classify::Method::EqualIntervals,
            2 => indicators::classify::Method::Jenks,
            3 => indicators::classify::Method::Q6,
            4 => indicators::classify::Method::MeanSd,
            5 => indicators::classify::Method::GeometricProgression,
            6 => indicators::classify::Method::HeadTail,
            7 => indicators::classify::Method::NestedMeans,
            _ => indicators::classify::Method::Diverging { center: 0.0 },
        };
        if let Ok(c) = indicators::classify::classify(&values, &method, k) {
            prop_assert!(c.breaks.windows(2).all(|w| w[0] <= w[1]));
            prop_assert_eq!(c.counts.iter().sum::<usize>(), values.iter().filter(|v| c.class_of(**v).is_some()).count());
        }
    }
}
