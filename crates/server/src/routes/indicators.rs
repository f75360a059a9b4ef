//! Indicators over HTTP — the one source of truth the web map (and later the static maps)
//! draws from: the catalogue, the values of a level, and the classification with its colours.
//! No statistic is computed in the browser beyond display.
//!
//! Every route here depends on the [`Audience`]: the public sees public indicators only (an
//! internal id is answered exactly as an unknown one, 404 « indicateur inconnu »); a signed-in
//! audience sees everything, in answers marked `Cache-Control: private, no-store`
//! (`crate::access::audience_dependent`).
//!
//! - `GET /api/indicators`: indicators grouped by theme, with years, units, definitions and
//!   `visibility` (`public` or `internal`).
//! - `GET /api/indicators/{id}?level=…&year=…`: values of every zone of a level, with
//!   references, gaps, ranks, statuses (withheld values carry no number).
//! - `GET /api/classify?indicator=…&level=…&year=…&method=…&k=…&breaks=…&palette=…`: breaks,
//!   counts per class, colours, the colour of missing values and the reference values.
//! - `GET /export/indicators.csv?level=…[&indicator=…][&year=…]`: the table as CSV.
//! - `GET /export/indicators.xlsx?level=…[&indicator=…][&year=…]`: the same as a workbook
//!   (codes as text, a sheet of definitions and sources).
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::middleware::from_fn;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

use indicators::classify::{Method, classify, default_class_count, parse_breaks};
use indicators::{IndicatorSet, Visibility};

use crate::access::audience_dependent;
use crate::routes::zones::parse_level;
use crate::{ApiError, AppState, Audience, Snapshot};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/indicators", get(catalogue))
        .route("/api/indicators/{id}", get(values))
        .route("/api/classify", get(classes))
        .route("/export/indicators.csv", get(export_csv))
        .route("/export/indicators.xlsx", get(export_xlsx))
        .route_layer(from_fn(audience_dependent))
}

fn set(s: &Snapshot) -> Result<&IndicatorSet, ApiError> {
    s.indicators
        .as_ref()
        .ok_or_else(|| ApiError::NotFound("aucun indicateur dans ce paquet de données".into()))
}

/// An indicator this audience may see, or 404 — internal ones do not exist for the public:
/// the answer is the one of an unknown id, so that it does not tell they exist.
pub fn visible<'a>(
    set: &'a IndicatorSet,
    id: &str,
    internal: bool,
) -> Result<&'a indicators::Indicator, ApiError> {
    set.indicator(id)
        .filter(|i| internal || i.visibility == Visibility::Public)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "indicateur inconnu « {} »",
                id.chars().take(40).collect::<String>()
            ))
        })
}

fn year_of(
    set: &IndicatorSet,
    ind: &indicators::Indicator,
    year: Option<i32>,
) -> Result<i32, ApiError> {
    match year {
        Some(y) if ind.vintages.iter().any(|v| v.year == y) => Ok(y),
        Some(y) => Err(ApiError::BadRequest(format!(
            "millésime {y} absent pour « {} »",
            ind.id
        ))),
        None => set
            .latest_year(&ind.id)
            .ok_or_else(|| ApiError::NotFound("aucun millésime".into())),
    }
}

async fn catalogue(
    State(state): State<AppState>,
    audience: Audience,
) -> Result<Json<Value>, ApiError> {
    let s = state.snapshot();
    let set = set(&s)?;
    let shown =
        |i: &&indicators::Indicator| audience.internal || i.visibility == Visibility::Public;
    let list: Vec<Value> = set
        .indicators
        .iter()
        .filter(shown)
        .map(|i| indicators::export::indicator_json(i, set))
        .collect();
    let mut themes: Vec<&str> = Vec::new();
    for i in set.indicators.iter().filter(shown) {
        if !themes.contains(&i.theme.as_str()) {
            themes.push(i.theme.as_str());
        }
    }
    Ok(Json(
        json!({ "territoire": s.bundle.meta.name, "region": set.region_name, "themes": themes, "indicators": list, "illustrative_composition": s.bundle.meta.illustrative_composition }),
    ))
}

#[derive(Deserialize)]
struct ValuesQuery {
    level: Option<String>,
    year: Option<i32>,
}

async fn values(
    State(state): State<AppState>,
    audience: Audience,
    Path(id): Path<String>,
    Query(q): Query<ValuesQuery>,
) -> Result<Json<Value>, ApiError> {
    let s = state.snapshot();
    let set = set(&s)?;
    let ind = visible(set, &id, audience.internal)?;
    let level = parse_level(q.level.as_deref().unwrap_or("commune"))?;
    let year = year_of(set, ind, q.year)?;
    Ok(Json(indicators::export::json(
        set,
        &s.bundle,
        level,
        Some(&ind.id),
        Some(year),
        audience.internal,
    )))
}

#[derive(Deserialize)]
struct ClassifyQuery {
    indicator: String,
    level: Option<String>,
    year: Option<i32>,
    method: Option<String>,
    k: Option<usize>,
    breaks: Option<String>,
    palette: Option<String>,
}

/// Classes of one indicator on one level: what the legend and the colours need.
pub fn classification(s: &Arc<Snapshot>, q: &ClassifyQueryOwned) -> Result<Value, ApiError> {
    let set = set(s)?;
    let ind = visible(set, &q.indicator, q.internal)?;
    let level = parse_level(&q.level)?;
    let year = year_of(set, ind, q.year)?;
    let records: Vec<&indicators::Record> = set
        .select(level, Some(&ind.id), Some(year), q.internal)
        .collect();
    let values: Vec<f64> = records.iter().filter_map(|r| r.value).collect();
    if values.is_empty() {
        return Err(ApiError::NotFound(
            "aucune valeur diffusable pour ce choix".into(),
        ));
    }
    let dep = records.first().and_then(|r| r.ref_departement);
    let method = match (&q.breaks, q.method.as_deref()) {
        (Some(b), _) => {
            Method::Manual(parse_breaks(b).map_err(|e| ApiError::BadRequest(e.to_string()))?)
        }
        (None, Some("diverging")) => Method::Diverging {
            center: dep.ok_or_else(|| {
                ApiError::BadRequest("pas de valeur départementale pour centrer les classes".into())
            })?,
        },
        (None, Some(m)) => Method::parse(m).map_err(|e| ApiError::BadRequest(e.to_string()))?,
        (None, None) => Method::Quantiles,
    };
    let k =
        q.k.unwrap_or_else(|| default_class_count(values.len()))
            .clamp(1, 9);
    let classes = classify(&values, &method, k).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let diverging = matches!(method, Method::Diverging { .. });
    let palette = q.palette.clone().unwrap_or_else(|| {
        indicators::palette::default_for(ind.higher_is_better, diverging).to_string()
    });
    let colors = indicators::palette::colors(&palette, classes.counts.len())
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let first = records.first();
    let withheld = records.iter().filter(|r| r.value.is_none()).count();
    Ok(json!({
        "indicator": ind.id, "label": ind.label, "unit": ind.unit, "decimals": ind.decimals, "level": level.key(), "year": year,
        "method": classes.method, "breaks": classes.breaks, "counts": classes.counts, "colors": colors, "palette": palette,
        "missing_color": indicators::palette::missing_color(), "missing_count": withheld,
        "references": { "departement": dep, "region": first.and_then(|r| r.ref_region), "france": first.and_then(|r| r.ref_france) },
    }))
}

/// Owned query, shared with the static maps' export routes.
pub struct ClassifyQueryOwned {
    pub indicator: String,
    pub level: String,
    pub year: Option<i32>,
    pub method: Option<String>,
    pub k: Option<usize>,
    pub breaks: Option<String>,
    pub palette: Option<String>,
    /// The audience may see internal indicators.
    pub internal: bool,
}

async fn classes(
    State(state): State<AppState>,
    audience: Audience,
    Query(q): Query<ClassifyQuery>,
) -> Result<Json<Value>, ApiError> {
    let owned = ClassifyQueryOwned {
        indicator: q.indicator,
        level: q.level.unwrap_or_else(|| "commune".into()),
        year: q.year,
        method: q.method,
        k: q.k,
        breaks: q.breaks,
        palette: q.palette,
        internal: audience.internal,
    };
    Ok(Json(classification(&state.snapshot(), &owned)?))
}

#[derive(Deserialize)]
struct ExportQuery {
    level: Option<String>,
    indicator: Option<String>,
    year: Option<i32>,
}

/// Level, checked indicator and the bytes of a table export, for this audience.
fn table(
    state: &AppState,
    audience: &Audience,
    q: &ExportQuery,
    format: &str,
) -> Result<(zones::Level, Vec<u8>), ApiError> {
    let s = state.snapshot();
    let set = set(&s)?;
    if let Some(id) = &q.indicator {
        visible(set, id, audience.internal)?;
    }
    let level = parse_level(q.level.as_deref().unwrap_or("commune"))?;
    let (indicator, year, internal) = (q.indicator.as_deref(), q.year, audience.internal);
    let bytes = if format == "xlsx" {
        indicators::export::xlsx(set, &s.bundle, level, indicator, year, internal)
    } else {
        indicators::export::csv(set, &s.bundle, level, indicator, year, internal)
    }
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((level, bytes))
}

async fn export_csv(
    State(state): State<AppState>,
    audience: Audience,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let (level, bytes) = table(&state, &audience, &q, "csv")?;
    let name = format!("attachment; filename=\"indicateurs-{}.csv\"", level.key());
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        bytes,
    )
        .into_response())
}

async fn export_xlsx(
    State(state): State<AppState>,
    audience: Audience,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let (level, bytes) = table(&state, &audience, &q, "xlsx")?;
    let name = format!("attachment; filename=\"indicateurs-{}.xlsx\"", level.key());
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (header::CONTENT_DISPOSITION, name),
        ],
        bytes,
    )
        .into_response())
}
