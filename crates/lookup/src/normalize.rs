//! Text normalisation for search: lower case, French accents and ligatures folded
//! (`Créteil` → `creteil`, `Œuvre` → `oeuvre`), every non-alphanumeric character a separator
//! (`Vitry-sur-Seine`, `Bois l'Abbé`, `Palais_Grand Pavois`), French stop words dropped, and
//! the usual street-type abbreviations expanded in queries (`av` → `avenue`, `st` → `saint`).

/// Words that carry no meaning for matching (`Vitry-sur-Seine` ≈ `vitry seine`).
pub const STOP_WORDS: &[&str] = &[
    "a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "sous", "sur",
];

/// Abbreviations expanded in queries (BAN names are written in full).
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("all", "allee"),
    ("av", "avenue"),
    ("ave", "avenue"),
    ("bd", "boulevard"),
    ("bld", "boulevard"),
    ("blvd", "boulevard"),
    ("boul", "boulevard"),
    ("ch", "chemin"),
    ("che", "chemin"),
    ("chem", "chemin"),
    ("crs", "cours"),
    ("dr", "docteur"),
    ("fbg", "faubourg"),
    ("gal", "general"),
    ("gen", "general"),
    ("imp", "impasse"),
    ("mal", "marechal"),
    ("pdt", "president"),
    ("pl", "place"),
    ("prom", "promenade"),
    ("qu", "quai"),
    ("r", "rue"),
    ("rte", "route"),
    ("sq", "square"),
    ("st", "saint"),
    ("ste", "sainte"),
    ("vla", "villa"),
];

/// Fold one character: lower case without accent; ligatures become two letters.
fn fold_into(c: char, out: &mut String) {
    for l in c.to_lowercase() {
        match l {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => out.push('a'),
            'æ' => out.push_str("ae"),
            'ç' | 'ć' | 'č' => out.push('c'),
            'ď' | 'đ' => out.push('d'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => out.push('i'),
            'ł' => out.push('l'),
            'ñ' | 'ń' | 'ň' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => out.push('o'),
            'œ' => out.push_str("oe"),
            'ŕ' | 'ř' => out.push('r'),
            'ś' | 'š' | 'ş' => out.push('s'),
            'ß' => out.push_str("ss"),
            'ť' | 'ţ' => out.push('t'),
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'ź' | 'ż' | 'ž' => out.push('z'),
            l if l.is_alphanumeric() => out.push(l),
            _ => out.push(' '),
        }
    }
}

/// Lower case, accents folded, every separator a single space, trimmed.
pub fn normalize(s: &str) -> String {
    let mut folded = String::with_capacity(s.len());
    for c in s.chars() {
        fold_into(c, &mut folded);
    }
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn is_stop_word(t: &str) -> bool {
    STOP_WORDS.binary_search(&t).is_ok()
}

/// The significant tokens of a name (stop words dropped, unless nothing else is left).
pub fn tokens(s: &str) -> Vec<String> {
    let norm = normalize(s);
    let all: Vec<&str> = norm.split(' ').filter(|t| !t.is_empty()).collect();
    let significant: Vec<String> = all
        .iter()
        .filter(|t| !is_stop_word(t))
        .map(|t| t.to_string())
        .collect();
    if significant.is_empty() {
        all.into_iter().map(str::to_string).collect()
    } else {
        significant
    }
}

/// The expansion of a query abbreviation, if it is one.
pub fn expand(token: &str) -> Option<&'static str> {
    ABBREVIATIONS
        .binary_search_by(|(a, _)| a.cmp(&token))
        .ok()
        .map(|i| ABBREVIATIONS[i].1)
}

/// Optimal string alignment distance (Levenshtein with adjacent transpositions), or `None`
/// when it exceeds `max`. Works on chars.
pub fn edit_distance(a: &[char], b: &[char], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let n = b.len();
    let mut prev2: Vec<usize> = vec![0; n + 1];
    let mut prev: Vec<usize> = (0..=n).collect();
    let mut cur: Vec<usize> = vec![0; n + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=n {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[n];
    (d <= max).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_case_and_separators() {
        assert_eq!(normalize("Créteil"), "creteil");
        assert_eq!(normalize("Vitry-sur-Seine"), "vitry sur seine");
        assert_eq!(normalize("  Bois l'Abbé_2 "), "bois l abbe 2");
        assert_eq!(normalize("ŒUVRE Ç À"), "oeuvre c a");
        assert_eq!(tokens("L'Haÿ-les-Roses"), vec!["hay", "roses"]);
        assert_eq!(tokens("Le Perreux-sur-Marne"), vec!["perreux", "marne"]);
        assert_eq!(tokens("de la"), vec!["de", "la"]);
    }

    #[test]
    fn tables_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(ABBREVIATIONS.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(expand("av"), Some("avenue"));
        assert_eq!(expand("avenue"), None);
    }

    #[test]
    fn edit_distance_with_transpositions() {
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(edit_distance(&c("creteuil"), &c("creteil"), 2), Some(1));
        assert_eq!(edit_distance(&c("cretiel"), &c("creteil"), 2), Some(1));
        assert_eq!(edit_distance(&c("vitri"), &c("vitry"), 1), Some(1));
        assert_eq!(edit_distance(&c("paris"), &c("creteil"), 2), None);
        assert_eq!(edit_distance(&c(""), &c("ab"), 2), Some(2));
    }
}
