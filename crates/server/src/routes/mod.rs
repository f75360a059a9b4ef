//! One module per capability, each with `routes()` merged by `crate::router`.
pub mod admin;
pub mod connexion;
pub mod export;
pub mod health;
pub mod indicators;
pub mod lookup;
pub mod map;
pub mod tiles;
pub mod zones;
