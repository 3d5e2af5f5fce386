//! The front ends of `pgtree`, `pgkill` and `setsid-run`: argument parsing
//! (clap derive), rendering and exit codes, over the `procgroup` core.
//!
//! Each tool is one module whose `main` the binary calls; [`generate`]
//! renders their man pages and shell completions from the same clap
//! definitions.

pub mod common;
pub mod generate;
pub mod pgkill;
pub mod pgtree;
pub mod setsid_run;
