//! Geographic context: the neighbouring départements, drawn in grey around the territory and
//! in the inset that situates it in its région. They come from the bundle (`bundle.context`,
//! read at build time from the `[context]` source of the configuration, in Lambert-93); the
//! territory itself is taken from its département zone, for the inset.
use geo::{BoundingRect, MultiPolygon};
use zones::{Bundle, Level};

#[derive(Debug, Clone)]
pub struct ContextZone {
    pub code: String,
    pub name: String,
    /// Lambert-93 metres.
    pub geometry: MultiPolygon<f64>,
    pub min: [f64; 2],
    pub max: [f64; 2],
}

/// Neighbouring départements (may be empty: maps are then drawn without context or inset).
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub zones: Vec<ContextZone>,
    /// Producer credit of the outlines, for the source line.
    pub credit: Option<String>,
}

impl Context {
    /// No context.
    pub fn empty() -> Context {
        Context::default()
    }

    /// The context stored in the bundle, plus the territory's own outline (for the inset).
    /// Empty when the bundle has none (the configuration has no `[context]`).
    pub fn from_bundle(bundle: &Bundle) -> Context {
        if bundle.context.is_empty() {
            return Context::empty();
        }
        let own = bundle
            .zones(Level::Departement)
            .first()
            .map(|z| zones::qpv::QpvZone {
                code: bundle.meta.code.clone(),
                name: bundle.meta.name.clone(),
                area_km2: z.area_km2,
                geometry: bundle.topology.to_multipolygon(&z.geometry),
            });
        let zones = bundle
            .context
            .iter()
            .chain(own.as_ref())
            .filter_map(|z| {
                let b = z.geometry.bounding_rect()?;
                Some(ContextZone {
                    code: z.code.clone(),
                    name: z.name.clone(),
                    geometry: z.geometry.clone(),
                    min: [b.min().x, b.min().y],
                    max: [b.max().x, b.max().y],
                })
            })
            .collect();
        Context {
            zones,
            credit: Some("IGN, Admin Express".into()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// Lambert-93 box of all context zones.
    pub fn extent(&self) -> Option<([f64; 2], [f64; 2])> {
        let mut it = self.zones.iter();
        let first = it.next()?;
        let (mut min, mut max) = (first.min, first.max);
        for z in it {
            min = [min[0].min(z.min[0]), min[1].min(z.min[1])];
            max = [max[0].max(z.max[0]), max[1].max(z.max[1])];
        }
        Some((min, max))
    }
}
