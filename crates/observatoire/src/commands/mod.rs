//! One module per subcommand: its clap arguments (`Args`) and its `run`.
pub mod build;
pub mod serve;
pub mod zones;
