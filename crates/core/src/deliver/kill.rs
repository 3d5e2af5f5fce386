//! The kill(2) calls, guarded: never 0 or -1, never a group id that is
//! not positive.

use std::io;

use super::Outcome;
use crate::{Pgid, Signal};

/// `kill(-pgid, signal)`, only ever with a valid (positive) pgid.
pub(super) fn kill_group(pgid: Pgid, signal: Signal) -> io::Result<()> {
    assert!(
        pgid.is_valid(),
        "kill() with a group id that is not positive"
    );
    kill(-pgid.as_raw(), signal.number())
}

/// kill(2); never with 0 or -1, which would reach every process of the
/// caller's group or every process it may signal.
pub(super) fn kill(id: i32, signal: i32) -> io::Result<()> {
    assert!(id != 0 && id != -1, "kill() with {id}");
    // SAFETY: kill(2) has no memory effects; the id names one process or
    // one group.
    if unsafe { libc::kill(id, signal) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Whether the kernel knows `id` (a pid, or a group as `-pgid`): kill(2)
/// with signal 0, which checks and sends nothing.
pub(super) fn exists(id: i32) -> bool {
    match kill(id, 0) {
        Ok(()) => true,
        Err(error) => error.raw_os_error() != Some(libc::ESRCH),
    }
}

pub(super) fn outcome_of(result: io::Result<()>) -> Outcome {
    match result {
        Ok(()) => Outcome::Signalled,
        Err(error) if error.raw_os_error() == Some(libc::EPERM) => Outcome::PermissionDenied,
        Err(_) => Outcome::Vanished,
    }
}
