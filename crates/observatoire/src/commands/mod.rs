//! One module per subcommand: its clap arguments (`Args`) and its `run`.
pub mod build;
pub mod indicators;
pub mod serve;
pub mod zones;
