//! Processes, process groups and sessions, as the kernel sees them.
//!
//! This crate is the shared core of `pgtree`, `pgkill` and `setsid-run`. It
//! does no argument parsing and no printing; it knows:
//!
//! - typed ids ([`Pid`], [`Pgid`], [`Sid`]) and [`Signal`]s, parsed the way
//!   users type them;
//! - a [`Snapshot`] of the process table (on Linux one read of
//!   `/proc/<pid>/stat` per process);
//! - the [`Forest`]: sessions, their process groups, and the processes of a
//!   group nested by parent, with leaders, foreground and orphaned groups;
//! - [`Selection`] of processes the way `pgrep` selects them;
//! - race-safe delivery of signals to a process, a group or a whole session
//!   ([`deliver`]), and waiting for processes to exit;
//! - spawning a command into a new session ([`spawn`]), sealed in a cgroup
//!   v2 leaf of its own where asked ([`cgroup`]).
//!
//! ```
//! use procgroup::{Snapshot, Fields, Forest};
//!
//! let snapshot = Snapshot::read(Fields::default()).unwrap();
//! let forest = Forest::new(&snapshot);
//! let me = procgroup::Pid::current();
//! assert!(forest.sessions().any(|s| s.groups().any(|g| g.pids().any(|p| p == me))));
//! ```

#![warn(missing_docs)]

pub mod cgroup;
pub mod deliver;
pub mod duration;
mod error;
pub mod forest;
mod id;
pub mod pidfd;
pub mod pidfile;
pub mod pidfs;
pub mod select;
pub mod signal;
pub mod snapshot;
pub mod spawn;
pub mod stat;
pub mod tty;

pub use duration::parse_duration;
pub use error::{reason as error_reason, Error, Result};
pub use forest::Forest;
pub use id::{Pgid, Pid, Sid};
pub use select::Selection;
pub use signal::Signal;
pub use snapshot::{Fields, Process, Snapshot};
