//! The one error type of the core library.

use std::io;

/// Everything that can go wrong in the core library.
///
/// Front ends map these to exit codes in one place: `Usage` is a usage error
/// (exit 2), `ProcessTable` means the process table could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value typed by the user is not valid (an id, a signal, a duration,
    /// a user, a tty, a regular expression).
    #[error("{0}")]
    Usage(String),
    /// The process table could not be read at all (e.g. /proc not mounted).
    #[error("cannot read the process table: {}", reason(.0))]
    ProcessTable(io::Error),
    /// A system call failed.
    #[error("{what}: {}", reason(source))]
    Os {
        /// What was attempted.
        what: String,
        #[source]
        /// Why it failed.
        source: io::Error,
    },
}

impl Error {
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }

    pub(crate) fn os(what: impl Into<String>, source: impl Into<io::Error>) -> Self {
        Error::Os {
            what: what.into(),
            source: source.into(),
        }
    }
}

impl From<nix::Error> for Error {
    fn from(errno: nix::Error) -> Self {
        Error::os("system call failed", errno)
    }
}

/// What went wrong, in the system's words, without Rust's "(os error N)":
/// what a user reads in a one-line message.
pub fn reason(error: &io::Error) -> String {
    let text = error.to_string();
    match text.split_once(" (os error ") {
        Some((words, _)) => words.to_string(),
        None => text,
    }
}

/// The core library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
