//! Small geometric helpers shared by the build steps.
use geo::{Area, BooleanOps, MultiPolygon, Orient, Validation, orient::Direction};

/// Orient rings as RFC 7946 and OGC expect: shells counter-clockwise, holes clockwise.
pub fn oriented(mp: MultiPolygon<f64>) -> MultiPolygon<f64> {
    mp.orient(Direction::Default)
}

/// Intersection over union of two areas (1 for identical shapes, 0 for disjoint ones).
pub fn iou(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
    let inter = a.intersection(b).unsigned_area();
    let union = a.unsigned_area() + b.unsigned_area() - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

/// The first validity problem of a geometry, in words, or `None` when valid.
pub fn invalidity(mp: &MultiPolygon<f64>) -> Option<String> {
    mp.check_validation().err().map(|e| e.to_string())
}
