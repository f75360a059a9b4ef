//! One module per capability, each with `routes()` merged by `crate::router`.
pub mod health;
pub mod zones;
