//! The kill(2) calls, guarded: never 0 or -1, never a group id that is
//! not positive.

use std::io;

use super::Outcome;
use crate::{Pgid, Pid, Process, Signal};

/// Whether the kernel lets the caller signal `pid` (a probe, not a wait).
pub(super) fn may_signal(pid: Pid) -> bool {
    assert!(pid.is_valid(), "kill() with a pid that is not positive");
    errno_of(kill(pid.as_raw(), 0)) != Some(libc::EPERM)
}

/// Whether a member seen in the snapshot is still there and still in the
/// group: then the group id cannot have been reused.
pub(super) fn group_exists(pgid: Pgid, members: &[Process]) -> bool {
    members.iter().any(|member| {
        crate::snapshot::read_stat_of(member.pid)
            .is_some_and(|stat| stat.starttime == member.starttime && stat.pgrp == pgid.as_raw())
    })
}

/// Whether the kernel knows no process in group `pgid`, not even a zombie.
/// Then the group can get no newcomer: no member is left to fork one, and
/// setpgid() joins only a group that exists. (A process whose pid equals
/// `pgid` may found a new group of that id later; it is someone else.)
pub(super) fn group_is_gone(pgid: Pgid) -> bool {
    assert!(
        pgid.is_valid(),
        "kill() with a group id that is not positive"
    );
    errno_of(kill(-pgid.as_raw(), 0)) == Some(libc::ESRCH)
}

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

pub(super) fn errno_of(result: io::Result<()>) -> Option<i32> {
    result.err().and_then(|error| error.raw_os_error())
}

pub(super) fn outcome_of(result: io::Result<()>) -> Outcome {
    match result {
        Ok(()) => Outcome::Signalled,
        Err(error) if error.raw_os_error() == Some(libc::EPERM) => Outcome::PermissionDenied,
        Err(_) => Outcome::Vanished,
    }
}
