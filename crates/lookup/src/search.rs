//! Search by name: communes, Espaces de Solidarité, territoires, IRIS, town halls, and the
//! streets and numbers of the BAN when imported.
//!
//! # Index
//! Every place is a document of normalised tokens ([`crate::normalize`]): *primary* tokens
//! (its own name) and *context* tokens (commune, postcode, code, aliases). The vocabulary is
//! an `fst::Map` (token → id), searched for exact tokens and for prefixes (as-you-type); typos
//! go through a trigram index of the vocabulary (trigram → tokens), whose candidates are
//! verified by an edit distance (1 from 4 characters, 2 from 8). Posting lists map each token
//! to its documents. Nothing scans the documents linearly.
//!
//! # Ranking
//! Tiers first: (0) the query is the place's whole name or code; (1) every query token
//! matches a whole token; (2) every query token matches, some as a prefix (as-you-type);
//! (3) every query token matches, some only with a typo; (4) at least half of them match.
//! Within a tier: mean match quality, plus the share of the place's own name that the query
//! covers, plus a small bonus by kind (commune, ES, town hall, territoire, IRIS, address,
//! street); then the shorter name, then the code.
use fst::{Automaton, IntoStreamer, Streamer};
use serde::Serialize;
use std::collections::HashMap;
use zones::{Bundle, Level};

use crate::addresses::{AddressBook, HouseNumber, Mairie};
use crate::locator::{round7, wgs84_anchor};
use crate::normalize::{edit_distance, expand, is_stop_word, normalize, tokens};

/// Longest query considered, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most query tokens considered.
const MAX_TOKENS: usize = 8;
/// Most vocabulary tokens a prefix expands to.
const MAX_PREFIX_EXPANSION: usize = 400;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Commune,
    Es,
    Territoire,
    Mairie,
    Iris,
    Adresse,
    Voie,
}

impl Kind {
    fn bonus(self) -> f32 {
        match self {
            Kind::Commune => 0.6,
            Kind::Es => 0.5,
            Kind::Mairie => 0.4,
            Kind::Territoire => 0.3,
            Kind::Iris | Kind::Adresse => 0.2,
            Kind::Voie => 0.0,
        }
    }

    /// French label for users.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Commune => "Commune",
            Kind::Es => "Espace de Solidarité",
            Kind::Territoire => "Territoire",
            Kind::Mairie => "Mairie",
            Kind::Iris => "IRIS",
            Kind::Adresse => "Adresse",
            Kind::Voie => "Voie",
        }
    }
}

/// How a suggestion matched the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    /// The whole name or code.
    Exact,
    /// Every word, whole or as a prefix.
    Prefix,
    /// Every word, some with a typo.
    Fuzzy,
    /// Some words only.
    Partial,
}

/// One ranked suggestion.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Suggestion {
    pub kind: Kind,
    pub code: String,
    pub name: String,
    /// Secondary line: commune and postcode, territoire, IRIS code…
    pub label: String,
    #[serde(rename = "match")]
    pub matched: Match,
    /// `[lon, lat]`: the address, or a point inside the zone.
    pub point: [f64; 2],
    /// `[west, south, east, north]` of a zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[f64; 4]>,
    /// Codes of the Espaces de Solidarité covering a commune (several when it is split).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub es: Vec<String>,
    /// For an address whose number is not in the BAN: the number asked for (the point is the
    /// nearest number of the same street).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_number: Option<String>,
}

/// The answer to a search, as the API and the CLI print it.
#[derive(Debug, Clone, Serialize)]
pub struct Answer<'a> {
    pub query: &'a str,
    pub count: usize,
    pub results: &'a [Suggestion],
}

impl<'a> Answer<'a> {
    pub fn new(query: &'a str, results: &'a [Suggestion]) -> Answer<'a> {
        Answer {
            query,
            count: results.len(),
            results,
        }
    }
}

/// A document of the index.
#[derive(Debug, Clone)]
struct Doc {
    kind: Kind,
    code: String,
    name: String,
    label: String,
    /// Normalised forms (significant tokens joined by spaces) that count as the whole name.
    exact: Vec<String>,
    n_primary: u8,
    point: [f64; 2],
    bbox: Option<[f64; 4]>,
    es: Vec<String>,
    street: Option<u32>,
}

/// How precisely an address was geocoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precision {
    /// The number asked for.
    Number,
    /// The number is not in the BAN: nearest number of the same street.
    NearestNumber,
    /// No number asked for: the street's position.
    Street,
}

impl Precision {
    pub fn label(self) -> &'static str {
        match self {
            Precision::Number => "numéro",
            Precision::NearestNumber => "numéro voisin",
            Precision::Street => "voie",
        }
    }
}

/// An address resolved to a point.
#[derive(Debug, Clone, PartialEq)]
pub struct Geocoded {
    pub label: String,
    pub precision: Precision,
    pub lon: f64,
    pub lat: f64,
    /// Lambert-93 metres.
    pub x: f64,
    pub y: f64,
}

/// Why an address could not be geocoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GeocodeFailure {
    Empty,
    NotFound,
    /// Same street name, same score, in several communes: give the commune or postcode.
    Ambiguous,
}

/// The search index.
pub struct Gazetteer {
    docs: Vec<Doc>,
    vocab: fst::Map<Vec<u8>>,
    words: Vec<Box<[char]>>,
    /// Token id → `doc << 1 | primary`.
    postings: Vec<Vec<u32>>,
    /// Trigram of a padded token (`^creteil$`) → token ids.
    trigrams: HashMap<[char; 3], Vec<u32>>,
    addresses: Option<AddressBook>,
}

impl std::fmt::Debug for Gazetteer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gazetteer")
            .field("docs", &self.docs.len())
            .field("tokens", &self.words.len())
            .finish()
    }
}

fn trigrams_of(word: &[char]) -> Vec<[char; 3]> {
    let mut padded = Vec::with_capacity(word.len() + 2);
    padded.push('^');
    padded.extend_from_slice(word);
    padded.push('$');
    let mut t: Vec<[char; 3]> = padded.windows(3).map(|w| [w[0], w[1], w[2]]).collect();
    t.sort_unstable();
    t.dedup();
    t
}

/// `de Créteil`, `d'Arcueil`, `du Kremlin-Bicêtre`, `des Lilas`.
pub fn de_name(name: &str) -> String {
    if let Some(rest) = name.strip_prefix("Le ") {
        return format!("du {rest}");
    }
    if let Some(rest) = name.strip_prefix("Les ") {
        return format!("des {rest}");
    }
    let first = name.chars().next().map(|c| normalize(&c.to_string()));
    match first.as_deref() {
        Some("a" | "e" | "i" | "o" | "u" | "y") => format!("d'{name}"),
        _ => format!("de {name}"),
    }
}

#[derive(Default)]
struct Builder {
    docs: Vec<Doc>,
    ids: HashMap<String, u32>,
    words: Vec<String>,
    postings: Vec<Vec<u32>>,
}

impl Builder {
    fn token(&mut self, t: &str) -> u32 {
        if let Some(&id) = self.ids.get(t) {
            return id;
        }
        let id = self.words.len() as u32;
        self.ids.insert(t.to_string(), id);
        self.words.push(t.to_string());
        self.postings.push(Vec::new());
        id
    }

    fn add(&mut self, mut doc: Doc, primary: &[String], context: &[String]) {
        let d = self.docs.len() as u32;
        let mut seen: Vec<u32> = Vec::new();
        for t in primary {
            let id = self.token(t);
            if !seen.contains(&id) {
                seen.push(id);
                self.postings[id as usize].push(d << 1 | 1);
            }
        }
        doc.n_primary = seen.len().min(255) as u8;
        for t in context {
            let id = self.token(t);
            if !seen.contains(&id) {
                seen.push(id);
                self.postings[id as usize].push(d << 1);
            }
        }
        self.docs.push(doc);
    }
}

/// Normalised significant form of a name.
fn norm_sig(s: &str) -> String {
    tokens(s).join(" ")
}

const ES_GENERIC: &[&str] = &["espace", "solidarite", "solidarites"];

/// Score accumulated for one document.
#[derive(Clone, Copy, Default)]
struct Acc {
    q: [f32; MAX_TOKENS],
    primary: u8,
    context: u8,
}

struct Ranked {
    doc: u32,
    tier: u8,
    score: f32,
    coverage: f32,
    context_hit: bool,
}

/// A parsed query.
struct Query {
    tokens: Vec<String>,
    norm: String,
    raw_lower: String,
    number: Option<(u32, String)>,
    /// The last token is still being typed (no trailing space).
    open_end: bool,
}

fn parse_query(q: &str) -> Query {
    let q: String = q.chars().take(MAX_QUERY_CHARS).collect();
    let raw_lower = q.trim().to_lowercase();
    let open_end = !q.ends_with(|c: char| c.is_whitespace() || c == ',');
    let norm = normalize(&q);
    let mut words: Vec<String> = norm
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    // A leading house number: `12`, `12bis`, `12 bis`, `12 b`.
    let mut number = None;
    if words.len() >= 2 {
        let w = &words[0];
        let digits: String = w.chars().take_while(|c| c.is_ascii_digit()).collect();
        let suffix = &w[digits.len()..];
        if (1..=4).contains(&digits.len())
            && suffix.chars().all(|c| c.is_ascii_alphabetic())
            && suffix.len() <= 6
            && let Ok(n) = digits.parse::<u32>()
        {
            let mut rep = suffix.to_string();
            words.remove(0);
            if rep.is_empty()
                && words.len() >= 2
                && matches!(
                    words[0].as_str(),
                    "bis" | "ter" | "quater" | "a" | "b" | "c" | "d"
                )
            {
                rep = words.remove(0);
            }
            number = Some((n, rep));
        }
    }
    let expanded: Vec<String> = words
        .into_iter()
        .map(|w| expand(&w).map(str::to_string).unwrap_or(w))
        .collect();
    let significant: Vec<String> = expanded
        .iter()
        .filter(|t| !is_stop_word(t))
        .cloned()
        .collect();
    let mut toks = if significant.is_empty() {
        expanded
    } else {
        significant
    };
    toks.truncate(MAX_TOKENS);
    Query {
        norm: toks.join(" "),
        tokens: toks,
        raw_lower,
        number,
        open_end,
    }
}

impl Gazetteer {
    /// Index the zones of a bundle, the town halls, and the BAN streets when given.
    pub fn new(bundle: &Bundle, mairies: &[Mairie], addresses: Option<AddressBook>) -> Gazetteer {
        let mut b = Builder::default();
        let topo = &bundle.topology;
        let name_of = |level: Level, code: &str| {
            bundle
                .zones(level)
                .iter()
                .find(|z| z.code == code)
                .map(|z| z.name.clone())
                .unwrap_or_default()
        };
        // Postcodes per commune, from the BAN.
        let mut postcodes: HashMap<&str, Vec<&str>> = HashMap::new();
        if let Some(book) = &addresses {
            for s in &book.streets {
                let list = postcodes.entry(s.commune_code.as_str()).or_default();
                if !s.postcode.is_empty() && !list.contains(&s.postcode.as_str()) {
                    list.push(&s.postcode);
                }
            }
        }
        let es_zones = bundle.zones(Level::Es);
        for level in [Level::Commune, Level::Es, Level::Territoire, Level::Iris] {
            for z in bundle.zones(level) {
                let mp = topo.to_multipolygon(&z.geometry);
                let Some((point, bbox)) = wgs84_anchor(&mp) else {
                    continue;
                };
                let code_tok = z.code.to_lowercase();
                let mut doc = Doc {
                    kind: Kind::Commune,
                    code: z.code.clone(),
                    name: z.name.clone(),
                    label: String::new(),
                    exact: vec![norm_sig(&z.name), code_tok.clone()],
                    n_primary: 0,
                    point,
                    bbox: Some(bbox),
                    es: Vec::new(),
                    street: None,
                };
                let mut primary = tokens(&z.name);
                let mut context = vec![code_tok];
                match level {
                    Level::Commune => {
                        doc.es = z
                            .attributes
                            .get("es")
                            .map(|l| {
                                l.split(',')
                                    .filter(|c| !c.is_empty())
                                    .map(str::to_string)
                                    .collect()
                            })
                            .unwrap_or_default();
                        doc.label = if doc.es.len() > 1 {
                            format!(
                                "Commune {} · partagée entre {} Espaces de Solidarité",
                                z.code,
                                doc.es.len()
                            )
                        } else {
                            format!("Commune {}", z.code)
                        };
                        for pc in postcodes.get(z.code.as_str()).into_iter().flatten() {
                            context.push(pc.to_string());
                        }
                    }
                    Level::Es => {
                        doc.kind = Kind::Es;
                        let terr = z
                            .parent(Level::Territoire)
                            .map(|t| name_of(Level::Territoire, t));
                        doc.label = terr.unwrap_or_default();
                        primary.retain(|t| !ES_GENERIC.contains(&t.as_str()));
                        doc.exact.push(primary.join(" "));
                        context.extend(
                            ["es", "eds", "espace", "solidarite", "solidarites"].map(String::from),
                        );
                        // Communes it covers, so that `es noiseau` finds the ES of Sucy-en-Brie.
                        let mut seen = std::collections::BTreeSet::new();
                        for &i in &z.iris {
                            if let Some(iris) = bundle.zones(Level::Iris).get(i as usize)
                                && let Some(c) = iris.parent(Level::Commune)
                                && seen.insert(c.to_string())
                            {
                                context.extend(tokens(&name_of(Level::Commune, c)));
                            }
                        }
                    }
                    Level::Territoire => {
                        doc.kind = Kind::Territoire;
                        let n = es_zones
                            .iter()
                            .filter(|e| e.parent(Level::Territoire) == Some(&z.code))
                            .count();
                        doc.label = format!("Territoire · {n} Espaces de Solidarité");
                        primary.retain(|t| t != "territoire");
                        doc.exact.push(primary.join(" "));
                        context.push("territoire".into());
                    }
                    _ => {
                        doc.kind = Kind::Iris;
                        let commune = z
                            .parent(Level::Commune)
                            .map(|c| name_of(Level::Commune, c))
                            .unwrap_or_default();
                        doc.label = format!("IRIS {} · {commune}", z.code);
                        context.extend(tokens(&commune));
                        context.push("iris".into());
                    }
                }
                b.add(doc, &primary, &context);
            }
        }
        for m in mairies {
            let name = format!("Mairie {}", de_name(&m.commune));
            let primary = tokens(&m.commune);
            let mut context: Vec<String> = ["mairie", "hotel", "ville"].map(String::from).to_vec();
            context.extend(tokens(&m.address));
            context.push(m.code_insee.clone());
            let doc = Doc {
                kind: Kind::Mairie,
                code: m.code_insee.clone(),
                exact: vec![
                    norm_sig(&name),
                    format!("hotel ville {}", norm_sig(&m.commune)),
                ],
                name,
                label: m.address.clone(),
                n_primary: 0,
                point: [round7(m.lon), round7(m.lat)],
                bbox: None,
                es: Vec::new(),
                street: None,
            };
            b.add(doc, &primary, &context);
        }
        if let Some(book) = &addresses {
            for (i, s) in book.streets.iter().enumerate() {
                let primary = tokens(&s.name);
                let mut context = tokens(&s.commune_name);
                context.push(s.postcode.clone());
                context.push(s.commune_code.clone());
                for a in &s.aliases {
                    context.extend(tokens(a));
                }
                let doc = Doc {
                    kind: Kind::Voie,
                    code: s.id.clone(),
                    name: s.name.clone(),
                    label: format!("{} {}", s.postcode, s.commune_name)
                        .trim()
                        .to_string(),
                    exact: vec![
                        norm_sig(&s.name),
                        format!("{} {}", norm_sig(&s.name), norm_sig(&s.commune_name)),
                    ],
                    n_primary: 0,
                    point: [round7(s.lon), round7(s.lat)],
                    bbox: None,
                    es: Vec::new(),
                    street: Some(i as u32),
                };
                b.add(doc, &primary, &context);
            }
        }

        // The vocabulary as an FST (keys must be inserted in byte order).
        let mut order: Vec<u32> = (0..b.words.len() as u32).collect();
        order.sort_unstable_by(|&x, &y| b.words[x as usize].cmp(&b.words[y as usize]));
        let vocab = fst::Map::from_iter(
            order
                .iter()
                .map(|&i| (b.words[i as usize].as_bytes(), u64::from(i))),
        )
        .unwrap_or_default();
        let words: Vec<Box<[char]>> = b
            .words
            .iter()
            .map(|w| w.chars().collect::<Vec<_>>().into_boxed_slice())
            .collect();
        let mut trigrams: HashMap<[char; 3], Vec<u32>> = HashMap::new();
        for (i, w) in words.iter().enumerate() {
            if w.len() >= 3 && !w.iter().all(|c| c.is_ascii_digit()) {
                for t in trigrams_of(w) {
                    trigrams.entry(t).or_default().push(i as u32);
                }
            }
        }
        Gazetteer {
            docs: b.docs,
            vocab,
            words,
            postings: b.postings,
            trigrams,
            addresses,
        }
    }

    /// Number of documents (places) indexed.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Number of streets from the BAN (0 when none was imported).
    pub fn street_count(&self) -> usize {
        self.addresses.as_ref().map_or(0, |a| a.streets.len())
    }

    pub fn addresses(&self) -> Option<&AddressBook> {
        self.addresses.as_ref()
    }

    /// Vocabulary tokens matching one query token, with a quality: 1 exact, 0.6–0.9 prefix
    /// (closer to 0.9 when the completion is short), 0.55 / 0.4 with one / two typos.
    fn matches(&self, token: &str, allow_short_prefix: bool) -> Vec<(u32, f32)> {
        let mut out: Vec<(u32, f32)> = Vec::new();
        if let Some(id) = self.vocab.get(token) {
            out.push((id as u32, 1.0));
        }
        let chars: Vec<char> = token.chars().collect();
        let numeric = chars.iter().all(|c| c.is_ascii_digit());
        if chars.len() >= 3 || allow_short_prefix {
            let aut = fst::automaton::Str::new(token).starts_with();
            let mut stream = self.vocab.search(aut).into_stream();
            let mut n = 0;
            while let Some((key, id)) = stream.next() {
                if key.len() != token.len() {
                    let q = 0.6 + 0.3 * token.len() as f32 / key.len() as f32;
                    out.push((id as u32, q));
                }
                n += 1;
                if n >= MAX_PREFIX_EXPANSION {
                    break;
                }
            }
        }
        if chars.len() >= 4 && !numeric {
            let max = if chars.len() >= 8 { 2 } else { 1 };
            let grams = trigrams_of(&chars);
            let need = grams.len().saturating_sub(3 * max).max(1);
            let mut counts: HashMap<u32, usize> = HashMap::new();
            for g in &grams {
                for &id in self.trigrams.get(g).map(Vec::as_slice).unwrap_or(&[]) {
                    *counts.entry(id).or_default() += 1;
                }
            }
            for (id, c) in counts {
                if c < need {
                    continue;
                }
                let w = &self.words[id as usize];
                if let Some(d) = edit_distance(&chars, w, max)
                    && d > 0
                {
                    out.push((id, if d == 1 { 0.55 } else { 0.4 }));
                }
            }
        }
        out
    }

    fn rank(&self, q: &Query) -> Vec<Ranked> {
        let n = q.tokens.len();
        if n == 0 {
            return Vec::new();
        }
        let mut acc: HashMap<u32, Acc> = HashMap::new();
        for (i, t) in q.tokens.iter().enumerate() {
            let last = i + 1 == n;
            for (tok, quality) in self.matches(t, last && q.open_end) {
                for &p in &self.postings[tok as usize] {
                    let a = acc.entry(p >> 1).or_default();
                    if quality > a.q[i] {
                        a.q[i] = quality;
                    }
                    if p & 1 == 1 {
                        a.primary |= 1 << i;
                    } else {
                        a.context |= 1 << i;
                    }
                }
            }
        }
        let mut out: Vec<Ranked> = Vec::with_capacity(acc.len());
        for (doc, a) in acc {
            let d = &self.docs[doc as usize];
            let matched = a.q[..n].iter().filter(|&&v| v > 0.0).count();
            let min = a.q[..n].iter().copied().fold(f32::INFINITY, f32::min);
            let tier = if matched == n {
                if d.exact.contains(&q.norm) || d.code.to_lowercase() == q.raw_lower {
                    0
                } else if min >= 1.0 {
                    1
                } else if min >= 0.6 {
                    2
                } else {
                    3
                }
            } else if n >= 2 && matched * 2 >= n && a.primary != 0 {
                4
            } else {
                continue;
            };
            let mean = a.q[..n].iter().sum::<f32>() / n as f32;
            let coverage = (a.primary.count_ones() as f32 / f32::from(d.n_primary.max(1))).min(1.0);
            let mut kind_bonus = d.kind.bonus();
            if q.number.is_some() && d.kind == Kind::Voie {
                kind_bonus = Kind::Adresse.bonus();
            }
            out.push(Ranked {
                doc,
                tier,
                score: mean + 0.5 * coverage + kind_bonus,
                coverage,
                context_hit: a.context != 0,
            });
        }
        out.sort_unstable_by(|x, y| {
            let (dx, dy) = (&self.docs[x.doc as usize], &self.docs[y.doc as usize]);
            x.tier
                .cmp(&y.tier)
                .then(y.score.total_cmp(&x.score))
                .then(dx.name.len().cmp(&dy.name.len()))
                .then_with(|| dx.name.cmp(&dy.name))
                .then_with(|| dx.code.cmp(&dy.code))
        });
        out
    }

    /// The number asked for on a street, or the nearest one.
    fn house_number<'a>(
        &'a self,
        street: u32,
        number: u32,
        rep: &str,
    ) -> Option<(&'a HouseNumber, bool)> {
        let book = self.addresses.as_ref()?;
        let s = book.streets.get(street as usize)?;
        let nums = book.numbers_of(s);
        if let Some(h) = nums.iter().find(|h| h.number == number && h.rep == rep) {
            return Some((h, true));
        }
        if let Some(h) = nums.iter().find(|h| h.number == number && h.rep.is_empty()) {
            return Some((h, rep.is_empty()));
        }
        nums.iter()
            .min_by_key(|h| (h.number.abs_diff(number), h.number, h.rep.len()))
            .map(|h| (h, false))
    }

    fn suggestion(&self, r: &Ranked, q: &Query) -> Suggestion {
        let d = &self.docs[r.doc as usize];
        let matched = match r.tier {
            0 => Match::Exact,
            1 | 2 => Match::Prefix,
            3 => Match::Fuzzy,
            _ => Match::Partial,
        };
        let mut s = Suggestion {
            kind: d.kind,
            code: d.code.clone(),
            name: d.name.clone(),
            label: d.label.clone(),
            matched,
            point: d.point,
            bbox: d.bbox,
            es: d.es.clone(),
            requested_number: None,
        };
        if let (Some((number, rep)), Some(street)) = (&q.number, d.street)
            && let Some((h, exact)) = self.house_number(street, *number, rep)
        {
            s.kind = Kind::Adresse;
            s.code = h.id.clone();
            s.name = format!("{} {}", h.label(), d.name);
            s.point = [round7(h.lon), round7(h.lat)];
            if !exact {
                s.requested_number = Some(if rep.is_empty() {
                    number.to_string()
                } else {
                    format!("{number} {rep}")
                });
            }
        }
        s
    }

    /// Ranked suggestions for a query (at most `limit`).
    pub fn search(&self, query: &str, limit: usize) -> Vec<Suggestion> {
        let q = parse_query(query);
        let ranked = self.rank(&q);
        ranked
            .iter()
            .take(limit)
            .map(|r| self.suggestion(r, &q))
            .collect()
    }

    /// Resolve a postal address to a BAN point (for batch placement). Only streets of the BAN
    /// are accepted, when every word of the address matches (typos tolerated), or when the
    /// whole street name and its commune or postcode match (extra words such as a building
    /// or a flat number are then ignored). A street name found with the same score in several
    /// communes is ambiguous.
    pub fn geocode(&self, address: &str) -> Result<Geocoded, GeocodeFailure> {
        let q = parse_query(address);
        if q.tokens.is_empty() {
            return Err(GeocodeFailure::Empty);
        }
        let ranked = self.rank(&q);
        let accept = |r: &Ranked| {
            self.docs[r.doc as usize].street.is_some()
                && r.coverage >= 0.5
                && (r.tier <= 3 || (r.coverage >= 1.0 && r.context_hit))
        };
        let mut streets = ranked.iter().filter(|r| accept(r));
        let best = streets.next().ok_or(GeocodeFailure::NotFound)?;
        if let Some(second) = streets.next()
            && second.tier == best.tier
            && (second.score - best.score).abs() < 1e-6
        {
            let (a, b) = (
                &self.docs[best.doc as usize],
                &self.docs[second.doc as usize],
            );
            if a.label != b.label {
                return Err(GeocodeFailure::Ambiguous);
            }
        }
        let d = &self.docs[best.doc as usize];
        let street = d.street.ok_or(GeocodeFailure::NotFound)?;
        let book = self.addresses.as_ref().ok_or(GeocodeFailure::NotFound)?;
        let s = book
            .streets
            .get(street as usize)
            .ok_or(GeocodeFailure::NotFound)?;
        if let Some((number, rep)) = &q.number
            && let Some((h, exact)) = self.house_number(street, *number, rep)
        {
            return Ok(Geocoded {
                label: format!("{} {}, {}", h.label(), s.name, d.label),
                precision: if exact {
                    Precision::Number
                } else {
                    Precision::NearestNumber
                },
                lon: h.lon,
                lat: h.lat,
                x: h.x,
                y: h.y,
            });
        }
        Ok(Geocoded {
            label: format!("{}, {}", s.name, d.label),
            precision: Precision::Street,
            lon: s.lon,
            lat: s.lat,
            x: s.x,
            y: s.y,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parsing() {
        let q = parse_query("12 bis av. du Gal de Gaulle, Créteil");
        assert_eq!(q.number, Some((12, "bis".into())));
        assert_eq!(q.tokens, vec!["avenue", "general", "gaulle", "creteil"]);
        let q = parse_query("12ter rue de Paris ");
        assert_eq!(q.number, Some((12, "ter".into())));
        assert!(!q.open_end);
        let q = parse_query("94028");
        assert_eq!(q.number, None);
        assert_eq!(q.tokens, vec!["94028"]);
        assert!(parse_query("  ,;  ").tokens.is_empty());
    }

    #[test]
    fn elision() {
        assert_eq!(de_name("Créteil"), "de Créteil");
        assert_eq!(de_name("Arcueil"), "d'Arcueil");
        assert_eq!(de_name("Le Kremlin-Bicêtre"), "du Kremlin-Bicêtre");
        assert_eq!(de_name("Ivry-sur-Seine"), "d'Ivry-sur-Seine");
        assert_eq!(de_name("L'Haÿ-les-Roses"), "de L'Haÿ-les-Roses");
    }
}
