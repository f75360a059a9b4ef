//! TileJSON 3.0.0 documents: one per level, and the metadata of a PMTiles archive.
use serde_json::{Value, json};
use zones::Level;

use crate::pyramid::LevelTiles;

/// Credit line of the boundaries (Licence Ouverte 2.0).
pub fn attribution(level: Level) -> &'static str {
    match level {
        Level::Qpv => "Contours des QPV : ANCT, data.iledefrance.fr",
        _ => "IGN, INSEE — Contours IRIS (Licence Ouverte 2.0)",
    }
}

/// The `vector_layers` entry of a level: one layer named after the level, with `code` and `name`.
pub fn vector_layer(lt: &LevelTiles) -> Value {
    let mut description = format!(
        "{} ({} zones). Propriétés : code, name ; identifiant à promouvoir : code (promoteId).",
        capitalised(lt.level.label()),
        lt.zones
    );
    if lt.illustrative {
        description.push_str(" Composition ILLUSTRATIVE (pas la table réelle du Département).");
    }
    json!({
        "id": lt.level.key(),
        "description": description,
        "minzoom": lt.min_zoom,
        "maxzoom": lt.max_zoom,
        "fields": {
            "code": "String : code de la zone (texte)",
            "name": "String : nom de la zone",
        },
    })
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Center of the bounds, at a zoom that shows the whole territory (TileJSON wants an integer).
pub fn center(lt: &LevelTiles) -> Value {
    let [w, s, e, n] = lt.bounds;
    let zoom = 10u8.clamp(lt.min_zoom, lt.max_zoom);
    json!([(w + e) / 2.0, (s + n) / 2.0, zoom])
}

/// The TileJSON 3.0.0 document of a level whose tiles are at `tiles_url` (a template with
/// `{z}`, `{x}` and `{y}`).
pub fn tilejson(lt: &LevelTiles, territory: &str, tiles_url: &str) -> Value {
    json!({
        "tilejson": "3.0.0",
        "name": format!("{territory} — {}", lt.level.label()),
        "description": format!("Observatoire social, {territory} : {} en tuiles vectorielles (MVT 2.1, une couche « {} »).", lt.level.label(), lt.level.key()),
        "version": "1.0.0",
        "attribution": attribution(lt.level),
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": lt.min_zoom,
        "maxzoom": lt.max_zoom,
        "bounds": lt.bounds,
        "center": center(lt),
        "vector_layers": [vector_layer(lt)],
    })
}
