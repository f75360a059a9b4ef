//! One module per subcommand: its clap arguments (`Args`) and its `run`.
pub mod atlas;
pub mod build;
pub mod export_tiles;
pub mod import_addresses;
pub mod indicators;
pub mod lookup;
pub mod map;
pub mod serve;
pub mod token;
pub mod zones;
