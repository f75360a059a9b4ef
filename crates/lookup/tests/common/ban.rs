//! A small file in the official format of the Base Adresse Nationale (`adresses-94.csv`):
//! real-looking rows of Créteil and Vitry-sur-Seine whose positions are real points of
//! `bpe-94-lookup-sample.csv` (so their IRIS is known), plus rows the importer must skip.
#![allow(dead_code)]
use std::path::Path;

pub const HEADER: &str = "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;source_position;source_nom_voie;certification_commune;cad_parcelles";

/// `(id, numero, rep, nom_voie, code_postal, code_insee, nom_commune, x, y, lon, lat,
/// expected IRIS)`.
pub type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

pub const ROWS: &[Row] = &[
    (
        "94028_1490_00001",
        "1",
        "",
        "Avenue du Général de Gaulle",
        "94000",
        "94028",
        "Créteil",
        "660001.4",
        "6853499.22",
        "2.4556572",
        "48.7803445",
        "940280204",
    ),
    (
        "94028_1490_00012",
        "12",
        "",
        "Avenue du Général de Gaulle",
        "94000",
        "94028",
        "Créteil",
        "659169.09",
        "6853841.2",
        "2.4442979",
        "48.783368",
        "940280211",
    ),
    (
        "94028_1490_00012_bis",
        "12",
        "bis",
        "Avenue du Général de Gaulle",
        "94000",
        "94028",
        "Créteil",
        "660186.56",
        "6852867.83",
        "2.458236",
        "48.7746775",
        "940280206",
    ),
    (
        "94028_1490_00030",
        "30",
        "",
        "Avenue du Général de Gaulle",
        "94000",
        "94028",
        "Créteil",
        "660240.2",
        "6852681.9",
        "2.4589832",
        "48.7730086",
        "940280206",
    ),
    (
        "94028_2170_00005",
        "5",
        "",
        "Rue Victor Hugo",
        "94000",
        "94028",
        "Créteil",
        "660205.1",
        "6854502.8",
        "2.4583356",
        "48.7893829",
        "940280307",
    ),
    (
        "94081_2170_00005",
        "5",
        "",
        "Rue Victor Hugo",
        "94400",
        "94081",
        "Vitry-sur-Seine",
        "655731.2",
        "6853690.9",
        "2.3975261",
        "48.7817895",
        "940810105",
    ),
    (
        "94028_0420_00008",
        "8",
        "",
        "Place de l'Abbaye",
        "94000",
        "94028",
        "Créteil",
        "660790.3",
        "6853949.5",
        "2.4663517",
        "48.7844426",
        "940280401",
    ),
];

/// Rows the importer must skip: another département, no coordinates, a duplicate.
pub const BAD_ROWS: &[&str] = &[
    "75112_4560_00003;75112_4560;3;;Rue de Lyon;75012;75112;Paris 12e Arrondissement;;;654000.0;6860000.0;2.3731;48.8459;entrée;;;PARIS;RUE DE LYON;commune;commune;1;",
    "94028_1490_00040;94028_1490;40;;Avenue du Général de Gaulle;94000;94028;Créteil;;;;;;;entrée;;;CRETEIL;AVENUE DU GENERAL DE GAULLE;commune;commune;1;",
    "94028_1490_00001;94028_1490;1;;Avenue du Général de Gaulle;94000;94028;Créteil;;;660001.4;6853499.22;2.4556572;48.7803445;entrée;;;CRETEIL;AVENUE DU GENERAL DE GAULLE;commune;commune;1;",
];

pub fn text() -> String {
    let mut s = String::from(HEADER);
    s.push('\n');
    for r in ROWS {
        let fantoir = r.0.splitn(3, '_').take(2).collect::<Vec<_>>().join("_");
        s.push_str(&format!(
            "{};{fantoir};{};{};{};{};{};{};;;{};{};{};{};entrée;;;{};{};commune;commune;1;{}000AB0012\n",
            r.0,
            r.1,
            r.2,
            r.3,
            r.4,
            r.5,
            r.6,
            r.7,
            r.8,
            r.9,
            r.10,
            r.6.to_uppercase(),
            r.3.to_uppercase(),
            r.5
        ));
    }
    for b in BAD_ROWS {
        s.push_str(b);
        s.push('\n');
    }
    s
}

pub fn write(path: &Path) {
    std::fs::write(path, text()).unwrap();
}
