//! Property tests of the static maps' parsers (page formats, `METHOD:N` classes, legend
//! orientation, level names, pasted breaks): any text gives a value that respects its bounds
//! or an error, never a panic. `PROPTEST_CASES` sets the number of cases (256 in
//! `tests/all.sh`, 10,000 in `just fuzz`).
use carto::{ClassSpec, Orientation, Page};
use proptest::prelude::*;

/// Page formats as users write them, and near misses.
fn page_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "a4",
            "A4-portrait",
            "a3-landscape",
            "a5-paysage",
            "a0-l",
            "a6-p",
            "a4-",
            "-portrait",
            "a7",
            "180x120mm",
            "180×120mm",
            "180,5x120,5mm",
            "0x0mm",
            "1e400x3mm",
            "NaNxNaNmm",
            "infxinf",
            "1189x1189mm",
            "1189.0001x10mm",
            "0.0001x0.0001mm",
            "-1x-1mm",
            "x",
            "mm",
            "12x",
            "x12",
            "1x2x3mm",
            " a4 ",
            "A4-PORTRAIT",
        ])
        .prop_map(str::to_string),
        (
            -10.0f64..2000.0,
            -10.0f64..2000.0,
            prop::sample::select(vec!["x", "×", "X"]),
            prop::sample::select(vec!["mm", "", " mm", "MM"])
        )
            .prop_map(|(w, h, x, mm)| format!("{w}{x}{h}{mm}")),
        "\\PC{0,16}",
    ]
}

proptest! {
    #[test]
    fn pages_parse_within_bounds(s in page_text(), dpi in prop_oneof![36.0f64..600.0, any::<f64>()]) {
        if let Ok(p) = Page::parse(&s) {
            prop_assert!(p.width_mm.is_finite() && p.height_mm.is_finite());
            prop_assert!(p.width_mm > 0.0 && p.height_mm > 0.0);
            prop_assert!(p.width_mm <= 1189.0 && p.height_mm <= 1189.0);
            let _ = p.pixels(dpi);
            if let Ok((w, h)) = carto::render::pixel_size(&p, dpi) {
                prop_assert!(w > 0 && h > 0);
                prop_assert!(u64::from(w) * u64::from(h) <= carto::render::MAX_PIXELS);
            }
        }
    }

    #[test]
    fn class_specs_parse_within_bounds(
        m in prop_oneof![
            prop::sample::select(vec!["quantiles", "jenks", "q6", "msd", "geom", "headtail", "nested_means", "diverging", "equal", "", " ", "Jenks", "moyennes-emboitées"]).prop_map(str::to_string),
            "\\PC{0,12}",
        ],
        k in prop_oneof![(0i64..12).prop_map(|k| k.to_string()), "\\PC{0,6}", Just("18446744073709551616".to_string()), Just("-1".to_string())],
        with_k in any::<bool>(),
    ) {
        let s = if with_k { format!("{m}:{k}") } else { m };
        match ClassSpec::parse(&s) {
            Ok(ClassSpec::Method { method, k }) => {
                prop_assert!(!method.is_empty());
                if let Some(k) = k {
                    prop_assert!((1..=9).contains(&k));
                }
            }
            Ok(other) => prop_assert!(false, "{other:?}"),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn orientations_levels_and_breaks(s in "\\PC{0,24}") {
        let _ = Orientation::parse(&s);
        let _ = carto::map::parse_level(&s);
        if let Ok(b) = indicators::classify::parse_breaks(&s) {
            prop_assert!(b.len() >= 2 && b.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(b.iter().all(|v| v.is_finite()));
        }
    }

    /// Breaks pasted from a spreadsheet or typed by hand: numbers with a decimal comma or point
    /// and any separator.
    #[test]
    fn pasted_breaks(
        values in proptest::collection::vec(prop_oneof![-1e6f64..1e6, any::<f64>()], 0..10),
        sep in prop::sample::select(vec![" - ", " ", ";", "–", "—", "|", "-", " ; ", "\t", ","]),
        comma in any::<bool>(),
    ) {
        let text: Vec<String> = values
            .iter()
            .map(|v| if comma { v.to_string().replace('.', ",") } else { v.to_string() })
            .collect();
        let s = text.join(sep);
        if let Ok(b) = indicators::classify::parse_breaks(&s) {
            prop_assert!(b.len() >= 2 && b.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(b.iter().all(|v| v.is_finite()));
        }
    }
}
