//! Classification of values into classes for choropleths — one implementation for the web map
//! and the static maps. Intervals are left-closed `[a ; b[`, the last one closed.
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Quantiles,
    EqualIntervals,
    /// Fisher's exact optimal classification (Jenks natural breaks), ckmeans.
    Jenks,
    /// 0, 5, 25, 50, 75, 95, 100 % quantiles: six classes.
    Q6,
    /// Classes one standard deviation wide, centred on the mean.
    MeanSd,
    GeometricProgression,
    HeadTail,
    /// Recursive split at means: a power of two classes.
    NestedMeans,
    /// Breaks given by the user.
    Manual(Vec<f64>),
    /// Symmetric classes around a centre (the département's value): for gap maps.
    Diverging {
        center: f64,
    },
}

impl Method {
    /// Parse `quantiles`, `jenks`, `q6`, `msd`, … (manual breaks through [`parse_breaks`]).
    pub fn parse(s: &str) -> Result<Method> {
        Ok(
            match s
                .trim()
                .to_ascii_lowercase()
                .replace(['-', ' '], "_")
                .as_str()
            {
                "quantiles" | "quantile" => Method::Quantiles,
                "equal" | "equal_intervals" | "egal" | "amplitudes_egales" => {
                    Method::EqualIntervals
                }
                "jenks" | "fisher" | "ckmeans" => Method::Jenks,
                "q6" => Method::Q6,
                "msd" | "mean_sd" | "moyenne_ecart_type" => Method::MeanSd,
                "geom" | "geometric" | "geometric_progression" => Method::GeometricProgression,
                "headtail" | "head_tail" => Method::HeadTail,
                "nested_means" | "moyennes_emboitees" => Method::NestedMeans,
                other => {
                    return Err(Error::Classification(format!(
                        "méthode inconnue « {other} » (quantiles, equal, jenks, q6, msd, geom, headtail, nested_means, ou des bornes « 0 - 10 - 20 »)"
                    )));
                }
            },
        )
    }

    pub fn key(&self) -> &'static str {
        match self {
            Method::Quantiles => "quantiles",
            Method::EqualIntervals => "equal",
            Method::Jenks => "jenks",
            Method::Q6 => "q6",
            Method::MeanSd => "msd",
            Method::GeometricProgression => "geom",
            Method::HeadTail => "headtail",
            Method::NestedMeans => "nested_means",
            Method::Manual(_) => "manual",
            Method::Diverging { .. } => "diverging",
        }
    }
}

/// Parse breaks pasted as `0 - 10 - 20 - 30`, `0 ; 12,5 ; 25` or `21 345 - 30 000`.
///
/// Breaks are separated by `-` (after a number: a leading `-` is a sign), `;`, `|`, `–` or `—`.
/// Inside a break, spaces (also no-break U+00A0, narrow no-break U+202F and thin U+2009) group
/// thousands in threes, and the decimal mark is a comma (or a point); a trailing `%` or `€` is
/// ignored. Without any separator, ordinary spaces separate the breaks (`0 10 20`) and the
/// typographic ones group thousands; when an ordinary space could do either (`21 345 30 000`),
/// the input is refused as ambiguous, with a French message.
pub fn parse_breaks(s: &str) -> Result<Vec<f64>> {
    let fail = |m: String| Err(Error::Classification(m));
    let mut chunks: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut explicit = false;
    for c in s.chars() {
        let separator = match c {
            ';' | '|' | '–' | '—' => true,
            // A dash after a number separates; at the start of a break it is a sign, and after
            // an exponent's `e` it belongs to the number.
            '-' => !cur.trim_matches(is_space).is_empty() && !cur.ends_with(['e', 'E']),
            _ => false,
        };
        if separator {
            explicit = true;
            chunks.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    chunks.push(cur);

    let tokens: Vec<String> = if explicit {
        chunks
            .iter()
            .map(|c| c.trim_matches(is_space).to_string())
            .filter(|c| !c.is_empty())
            .collect()
    } else {
        // Typographic spaces group thousands; ordinary spaces separate the breaks, unless one
        // could also group thousands.
        let tokens: Vec<String> = s
            .split([' ', '\t', '\n', '\r'])
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        if let Some(w) = tokens
            .windows(2)
            .find(|w| is_leading_group(&w[0]) && is_following_group(&w[1]))
        {
            return fail(format!(
                "« {s} » est ambigu : l'espace de « {} {} » sépare-t-il des milliers ou deux bornes ? \
                 Séparez les bornes par « - » ou « ; », par exemple « 0 - 21 345 - 30 000 ».",
                w[0], w[1]
            ));
        }
        tokens
    };

    let mut out = Vec::new();
    for t in &tokens {
        let v = parse_break(t).map_err(|m| Error::Classification(format!("{m} dans « {s} »")))?;
        out.push(v);
    }
    if out.len() < 2 {
        return fail(format!(
            "« {s} » : au moins deux bornes sont attendues, par exemple « 0 - 10 - 20 »"
        ));
    }
    if out.windows(2).any(|w| w[0] >= w[1]) {
        return fail(format!(
            "« {s} » : les bornes doivent être strictement croissantes"
        ));
    }
    Ok(out)
}

/// Spaces that may group thousands: ordinary, no-break, narrow no-break, thin; tabulation.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\t')
}

/// One to three digits, not a lone leading zero, optionally signed: `21` in `21 345`.
fn is_leading_group(g: &str) -> bool {
    let d = g.strip_prefix(['-', '+', '−']).unwrap_or(g);
    (1..=3).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
}

/// Three digits, then possibly the decimals and a unit: `345`, `345,5`, `345 %` (last group).
fn is_following_group(g: &str) -> bool {
    let b = g.as_bytes();
    b.len() >= 3
        && b[..3].iter().all(u8::is_ascii_digit)
        && match b.get(3) {
            None => true,
            Some(b',' | b'.') => b.len() > 4 && b[4..].iter().all(u8::is_ascii_digit),
            _ => false,
        }
}

/// One break: thousands groups (`21 345`), decimal comma, sign, a trailing `%` or `€`.
fn parse_break(t: &str) -> std::result::Result<f64, String> {
    let t = t
        .trim_end_matches(|c: char| is_space(c) || c == '%' || c == '€')
        .trim_start_matches(is_space);
    let groups: Vec<&str> = t.split(is_space).filter(|g| !g.is_empty()).collect();
    let joined = match groups.as_slice() {
        [] => return Err(format!("borne vide « {t} »")),
        [one] => (*one).to_string(),
        [first, rest @ ..] => {
            let grouped = is_leading_group(first)
                && rest.iter().enumerate().all(|(i, g)| {
                    if i + 1 == rest.len() {
                        is_following_group(g)
                    } else {
                        g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit())
                    }
                });
            if !grouped {
                return Err(format!(
                    "borne « {t} » illisible : l'espace n'y sépare pas des milliers (groupes de \
                     trois chiffres, « 21 345 ») ; séparez les bornes par « - » ou « ; »"
                ));
            }
            groups.concat()
        }
    };
    if joined.matches([',', '.']).count() > 1 {
        return Err(format!(
            "borne « {t} » illisible (une seule virgule décimale, et pas de point ni de virgule \
             entre les milliers : « 21 345,5 »)"
        ));
    }
    let v: f64 = joined
        .replace(',', ".")
        .replace('−', "-")
        .parse()
        .map_err(|_| format!("borne « {t} » illisible"))?;
    if !v.is_finite() {
        return Err(format!("borne « {t} » non finie"));
    }
    Ok(v)
}

/// `round(1 + 3.3 · log10(n))` (Sturges as French practice writes it), at least 1.
pub fn default_class_count(n: usize) -> usize {
    if n <= 1 {
        1
    } else {
        (1.0 + 3.3 * (n as f64).log10()).round().max(1.0) as usize
    }
}

/// The result: `breaks` has one more element than classes; `counts[i]` values fall in class i.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classes {
    pub method: String,
    pub breaks: Vec<f64>,
    pub counts: Vec<usize>,
}

impl Classes {
    /// Class of `v`: `[b_i ; b_i+1[`, the last one closed; `None` outside.
    pub fn class_of(&self, v: f64) -> Option<usize> {
        let n = self.breaks.len().checked_sub(1)?;
        if n == 0 || !v.is_finite() || v < self.breaks[0] || v > self.breaks[n] {
            return None;
        }
        Some(self.breaks[1..n].partition_point(|&b| b <= v))
    }
}

/// Classify `values` (NaN ignored) with `method` into `k` classes (ignored by methods that fix
/// their count: Q6, manual breaks).
pub fn classify(values: &[f64], method: &Method, k: usize) -> Result<Classes> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return Err(Error::Classification("aucune valeur à classer".into()));
    }
    v.sort_by(f64::total_cmp);
    let (min, max) = (v[0], v[v.len() - 1]);
    if k == 0 {
        return Err(Error::Classification("nombre de classes nul".into()));
    }
    let mut breaks = match method {
        Method::Quantiles => (0..=k).map(|i| quantile(&v, i as f64 / k as f64)).collect(),
        Method::EqualIntervals => (0..=k)
            .map(|i| min + (max - min) * i as f64 / k as f64)
            .collect(),
        Method::Jenks => jenks(&v, k),
        Method::Q6 => [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0]
            .iter()
            .map(|&p| quantile(&v, p))
            .collect(),
        Method::MeanSd => mean_sd(&v, k),
        Method::GeometricProgression => {
            if min <= 0.0 {
                return Err(Error::Classification("progression géométrique : toutes les valeurs doivent être strictement positives".into()));
            }
            let r = (max / min).powf(1.0 / k as f64);
            (0..=k)
                .map(|i| if i == k { max } else { min * r.powi(i as i32) })
                .collect()
        }
        Method::HeadTail => head_tail(&v, k),
        Method::NestedMeans => {
            if !k.is_power_of_two() {
                return Err(Error::Classification(format!(
                    "moyennes emboîtées : le nombre de classes doit être une puissance de 2 ({k} demandé)"
                )));
            }
            let mut b = vec![min, max];
            nested_means(&v, k, &mut b);
            b.sort_by(f64::total_cmp);
            b
        }
        Method::Manual(b) => {
            if b.len() < 2 || b.windows(2).any(|w| w[0] >= w[1]) {
                return Err(Error::Classification(
                    "bornes manuelles : au moins deux, strictement croissantes".into(),
                ));
            }
            if b[0] > min || b[b.len() - 1] < max {
                return Err(Error::Classification(format!(
                    "bornes manuelles de {} à {} : elles doivent couvrir toutes les valeurs, de {} à {}",
                    crate::format::number(b[0], 2),
                    crate::format::number(b[b.len() - 1], 2),
                    crate::format::number(min, 2),
                    crate::format::number(max, 2)
                )));
            }
            b.clone()
        }
        Method::Diverging { center } => {
            let half = (max - center).abs().max((center - min).abs());
            if half == 0.0 {
                vec![min, max]
            } else if k.is_multiple_of(2) {
                (0..=k)
                    .map(|i| center - half + 2.0 * half * i as f64 / k as f64)
                    .collect()
            } else {
                // Odd count: the centre sits in the middle of the central class.
                let step = 2.0 * half / k as f64;
                (0..=k).map(|i| center - half + step * i as f64).collect()
            }
        }
    };
    breaks.dedup_by(|a, b| (*a - *b).abs() <= f64::EPSILON * a.abs().max(1.0));
    if breaks.len() < 2 {
        breaks = vec![min, max];
    }
    let mut classes = Classes {
        method: method.key().to_string(),
        counts: vec![0; breaks.len() - 1],
        breaks,
    };
    for &x in &v {
        if let Some(c) = classes.class_of(x) {
            classes.counts[c] += 1;
        }
    }
    Ok(classes)
}

/// Type-7 quantile (R's default, as mapsf uses) of sorted values.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

fn mean_sd(v: &[f64], k: usize) -> Vec<f64> {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    let (min, max) = (v[0], v[v.len() - 1]);
    if sd == 0.0 {
        return vec![min, max];
    }
    // k classes one sd wide around the mean: for odd k the mean is in the middle of the central
    // class, for even k it is a break. The outer classes stretch to the extreme values.
    let mut b: Vec<f64> = (1..k)
        .map(|i| mean + (i as f64 - k as f64 / 2.0) * sd)
        .filter(|x| *x > min && *x < max)
        .collect();
    b.insert(0, min);
    b.push(max);
    b
}

fn head_tail(v: &[f64], k: usize) -> Vec<f64> {
    let mut b = vec![v[0]];
    let mut rest: &[f64] = v;
    while b.len() < k && rest.len() > 1 {
        let mean = rest.iter().sum::<f64>() / rest.len() as f64;
        let head_start = rest.partition_point(|&x| x < mean);
        let head = &rest[head_start..];
        if head.is_empty()
            || head.len() == rest.len()
            || head.len() as f64 / rest.len() as f64 > 0.4
        {
            b.push(mean);
            break;
        }
        b.push(mean);
        rest = head;
    }
    b.push(v[v.len() - 1]);
    b.sort_by(f64::total_cmp);
    b.dedup();
    b
}

fn nested_means(v: &[f64], k: usize, out: &mut Vec<f64>) {
    if k <= 1 || v.is_empty() {
        return;
    }
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    out.push(mean);
    let split = v.partition_point(|&x| x < mean);
    nested_means(&v[..split], k / 2, out);
    nested_means(&v[split..], k / 2, out);
}

/// Fisher's exact optimal partition of sorted values into k classes minimising the within-class
/// sum of squared deviations (ckmeans), by dynamic programming with the divide-and-conquer
/// optimisation (optimal split points are monotone): O(k · n · log n).
fn jenks(v: &[f64], k: usize) -> Vec<f64> {
    let n = v.len();
    let k = k.min(distinct_count(v));
    if k <= 1 {
        return vec![v[0], v[n - 1]];
    }
    // Prefix sums shifted by the median for numerical stability.
    let shift = v[n / 2];
    let mut s1 = vec![0.0; n + 1];
    let mut s2 = vec![0.0; n + 1];
    for i in 0..n {
        let x = v[i] - shift;
        s1[i + 1] = s1[i] + x;
        s2[i + 1] = s2[i] + x * x;
    }
    // Cost of v[j..=i].
    let ssq = |j: usize, i: usize| -> f64 {
        let m = (i + 1 - j) as f64;
        let s = s1[i + 1] - s1[j];
        (s2[i + 1] - s2[j] - s * s / m).max(0.0)
    };
    let mut prev: Vec<f64> = (0..n).map(|i| ssq(0, i)).collect();
    let mut splits: Vec<Vec<usize>> = vec![vec![0; n]];
    for q in 1..k {
        let mut cur = vec![f64::INFINITY; n];
        let mut arg = vec![0usize; n];
        // cur[i] = min over j in [q, i] of prev[j-1] + ssq(j, i); the argmin is monotone in i.
        fill(q, n - 1, q, n - 1, &prev, &ssq, &mut cur, &mut arg);
        splits.push(arg);
        prev = cur;
    }
    // Backtrack the class starts.
    let mut starts = vec![0usize; k];
    let mut i = n - 1;
    for q in (1..k).rev() {
        let j = splits[q][i];
        starts[q] = j;
        i = j - 1;
    }
    let mut b: Vec<f64> = starts.iter().map(|&s| v[s]).collect();
    b.push(v[n - 1]);
    b
}

#[allow(clippy::too_many_arguments)]
fn fill(
    lo: usize,
    hi: usize,
    opt_lo: usize,
    opt_hi: usize,
    prev: &[f64],
    ssq: &dyn Fn(usize, usize) -> f64,
    cur: &mut [f64],
    arg: &mut [usize],
) {
    if lo > hi {
        return;
    }
    let mid = (lo + hi) / 2;
    let (mut best, mut best_j) = (f64::INFINITY, opt_lo);
    for j in opt_lo..=opt_hi.min(mid) {
        let c = prev[j - 1] + ssq(j, mid);
        if c < best {
            best = c;
            best_j = j;
        }
    }
    cur[mid] = best;
    arg[mid] = best_j;
    if mid > lo {
        fill(lo, mid - 1, opt_lo, best_j, prev, ssq, cur, arg);
    }
    fill(mid + 1, hi, best_j, opt_hi, prev, ssq, cur, arg);
}

fn distinct_count(sorted: &[f64]) -> usize {
    1 + sorted.windows(2).filter(|w| w[0] != w[1]).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_left_closed_last_closed() {
        let c = classify(
            &[0.0, 5.0, 10.0, 15.0, 20.0],
            &Method::Manual(vec![0.0, 10.0, 20.0]),
            2,
        )
        .unwrap();
        assert_eq!(
            c.counts,
            vec![2, 3],
            "10 opens the second class, 20 closes the last"
        );
        assert_eq!(c.class_of(10.0), Some(1));
        assert_eq!(c.class_of(20.0), Some(1));
        assert_eq!(c.class_of(20.1), None);
    }

    #[test]
    fn hand_computed_quantiles_and_equal_intervals() {
        let v: Vec<f64> = (1..=9).map(f64::from).collect();
        let q = classify(&v, &Method::Quantiles, 4).unwrap();
        assert_eq!(q.breaks, vec![1.0, 3.0, 5.0, 7.0, 9.0]);
        assert_eq!(q.counts, vec![2, 2, 2, 3]);
        let e = classify(&[0.0, 1.0, 4.0, 10.0], &Method::EqualIntervals, 2).unwrap();
        assert_eq!(e.breaks, vec![0.0, 5.0, 10.0]);
        assert_eq!(e.counts, vec![3, 1]);
    }

    /// Jenks on textbook examples: the exact optimum, checked by brute force as well.
    #[test]
    fn jenks_finds_natural_breaks() {
        let v = [1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 30.0, 31.0];
        let c = classify(&v, &Method::Jenks, 3).unwrap();
        assert_eq!(c.breaks, vec![1.0, 10.0, 30.0, 31.0]);
        assert_eq!(c.counts, vec![3, 3, 2]);
        // Brute force over all 2-split partitions of a less obvious set.
        let w: Vec<f64> = vec![
            4.0, 5.0, 9.0, 10.0, 11.0, 18.0, 19.0, 25.0, 26.0, 27.0, 40.0,
        ];
        let c = classify(&w, &Method::Jenks, 3).unwrap();
        let cost = |s: &[f64]| {
            let m = s.iter().sum::<f64>() / s.len() as f64;
            s.iter().map(|x| (x - m).powi(2)).sum::<f64>()
        };
        let mut best = (f64::INFINITY, 0, 0);
        for a in 1..w.len() - 1 {
            for b in a + 1..w.len() {
                let t = cost(&w[..a]) + cost(&w[a..b]) + cost(&w[b..]);
                if t < best.0 {
                    best = (t, a, b);
                }
            }
        }
        assert_eq!(c.breaks[1], w[best.1]);
        assert_eq!(c.breaks[2], w[best.2]);
    }

    #[test]
    fn q6_geometric_nested_diverging() {
        let v: Vec<f64> = (0..=100).map(f64::from).collect();
        let q6 = classify(&v, &Method::Q6, 6).unwrap();
        assert_eq!(q6.breaks, vec![0.0, 5.0, 25.0, 50.0, 75.0, 95.0, 100.0]);
        let g = classify(
            &[1.0, 10.0, 100.0, 1000.0],
            &Method::GeometricProgression,
            3,
        )
        .unwrap();
        assert!((g.breaks[1] - 10.0).abs() < 1e-9 && (g.breaks[2] - 100.0).abs() < 1e-9);
        assert!(classify(&[0.0, 1.0], &Method::GeometricProgression, 2).is_err());
        let nm = classify(
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
            &Method::NestedMeans,
            4,
        )
        .unwrap();
        assert_eq!(nm.breaks, vec![1.0, 2.5, 4.5, 6.5, 8.0]);
        assert!(classify(&[1.0, 2.0], &Method::NestedMeans, 3).is_err());
        let d = classify(
            &[8.0, 10.0, 13.0, 16.0],
            &Method::Diverging { center: 13.0 },
            2,
        )
        .unwrap();
        assert_eq!(
            d.breaks,
            vec![8.0, 13.0, 18.0],
            "centred on the département value"
        );
    }

    #[test]
    fn manual_breaks_parse_and_impossible_ones_fail() {
        assert_eq!(
            parse_breaks("0 - 10 - 20 - 30").unwrap(),
            vec![0.0, 10.0, 20.0, 30.0]
        );
        assert_eq!(
            parse_breaks("0 – 12,5 – 25").unwrap(),
            vec![0.0, 12.5, 25.0]
        );
        assert_eq!(
            parse_breaks("0 ; 12,5 ; 25").unwrap(),
            vec![0.0, 12.5, 25.0]
        );
        assert_eq!(parse_breaks("0 10 20").unwrap(), vec![0.0, 10.0, 20.0]);
        assert_eq!(parse_breaks("-5 - 0 - 5").unwrap(), vec![-5.0, 0.0, 5.0]);
        assert_eq!(
            parse_breaks("-10 - -2,5 - 0").unwrap(),
            vec![-10.0, -2.5, 0.0]
        );
        assert_eq!(parse_breaks("10-20-30").unwrap(), vec![10.0, 20.0, 30.0]);
        assert!(parse_breaks("10 - 5").is_err());
        assert!(parse_breaks("10").is_err());
        assert!(parse_breaks("a - b").is_err());
        assert!(
            classify(&[0.0, 50.0], &Method::Manual(vec![0.0, 10.0]), 1).is_err(),
            "breaks must cover the values"
        );
    }

    #[test]
    fn manual_breaks_with_french_thousands_and_decimals() {
        assert_eq!(
            parse_breaks("21 345 - 30 000").unwrap(),
            vec![21345.0, 30000.0]
        );
        // Narrow no-break and no-break spaces, as French number formatting writes them.
        assert_eq!(
            parse_breaks("21\u{202f}345 - 30\u{202f}000").unwrap(),
            vec![21345.0, 30000.0]
        );
        assert_eq!(
            parse_breaks("21\u{a0}345 ; 30\u{a0}000 ; 1\u{a0}234\u{a0}567").unwrap(),
            vec![21345.0, 30000.0, 1_234_567.0]
        );
        assert_eq!(parse_breaks("12,5 - 20").unwrap(), vec![12.5, 20.0]);
        assert_eq!(
            parse_breaks("19 067,5 ; 21 824 ; 25 000,25").unwrap(),
            vec![19067.5, 21824.0, 25000.25]
        );
        assert_eq!(
            parse_breaks("-1 000 - 0 - 1 000").unwrap(),
            vec![-1000.0, 0.0, 1000.0]
        );
        assert_eq!(
            parse_breaks("10 % - 12,5 % - 20 %").unwrap(),
            vec![10.0, 12.5, 20.0]
        );
        // Typographic spaces only group thousands, so ordinary spaces may separate the breaks.
        assert_eq!(
            parse_breaks("0 21\u{202f}345 30\u{202f}000").unwrap(),
            vec![0.0, 21345.0, 30000.0]
        );
    }

    #[test]
    fn ambiguous_or_badly_grouped_breaks_are_refused_in_french() {
        let msg = |s: &str| parse_breaks(s).unwrap_err().to_string();
        // Thousands or two breaks?
        let m = msg("21 345 30 000");
        assert!(m.contains("ambigu") && m.contains("« - » ou « ; »"), "{m}");
        let m = msg("0 10 100 1000");
        assert!(m.contains("ambigu") && m.contains("10 100"), "{m}");
        // Spaces that are not thousands groups inside a break.
        for bad in ["10 20 - 30", "1 23 - 40", "21 3456 - 40000", "0 500 - 600"] {
            let m = msg(bad);
            assert!(m.contains("milliers") && m.contains(bad), "{bad}: {m}");
        }
        // Grouping with points or commas.
        let m = msg("1.234,5 - 2000");
        assert!(m.contains("une seule virgule"), "{m}");
        let m = msg("0 - dix");
        assert!(m.contains("« dix » illisible"), "{m}");
        assert!(parse_breaks("0 - inf").is_err());
        assert!(parse_breaks("- - -").is_err());
        assert!(parse_breaks(" ; ").is_err());
    }

    #[test]
    fn default_count() {
        assert_eq!(default_class_count(47), 7);
        assert_eq!(default_class_count(20), 5);
        assert_eq!(default_class_count(527), 10);
    }
}
