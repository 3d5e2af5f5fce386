//! End-to-end tests of the real binaries, one module per tool, plus the
//! check that generated files are current.

mod backends;
mod completions;
mod documented;
mod fast_pgid;
mod generated;
mod identity;
mod jobcontrol;
mod late_joiners;
mod output;
mod pgkill;
mod pgtree;
mod scripts;
mod seal;
mod setsid_run;
mod support;
mod watch;
