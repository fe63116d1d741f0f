//! One module per subcommand.

pub mod demo;
pub mod list;
pub mod matrix;
pub mod run;
