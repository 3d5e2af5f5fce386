//! Who may signal whom: the kernel's rule, applied per process.
//!
//! `kill(-pgid)` succeeds when the kernel let the signal reach any member
//! of the group, and says nothing of the others. So what each member got
//! is worked out here with the kernel's own rule (kill(2),
//! credentials(7)): the caller's real or effective uid must equal the
//! target's real or saved uid, unless the caller has CAP_KILL; SIGCONT may
//! also go to any process of the caller's session.

use crate::{Process, Signal};

/// The caller's credentials, as the kernel weighs them.
#[derive(Clone, Copy, Debug)]
pub(super) struct Permission {
    uid: u32,
    euid: u32,
    /// CAP_KILL in the effective set: every process may be signalled.
    cap_kill: bool,
    session: i32,
}

/// CAP_KILL's bit in the capability sets of /proc/<pid>/status.
const CAP_KILL: u64 = 1 << 5;

impl Permission {
    /// The calling process's.
    pub(super) fn of_caller() -> Permission {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let cap_kill = field(&status, "CapEff:")
            .and_then(|hex| u64::from_str_radix(hex, 16).ok())
            .is_some_and(|caps| caps & CAP_KILL != 0);
        // SAFETY: getuid, geteuid and getsid(0) only read the caller's ids.
        let (uid, euid, session) = unsafe { (libc::getuid(), libc::geteuid(), libc::getsid(0)) };
        Permission {
            uid,
            euid,
            // Without /proc (or a status that says nothing), the kernel's
            // answer to kill(-pgid) is all there is to go by.
            cap_kill: cap_kill || status.is_empty(),
            session,
        }
    }

    /// Whether the kernel lets the caller send `signal` to `process`. A
    /// process that is gone is not refused: it got nothing either way.
    pub(super) fn allows(&self, process: &Process, signal: Signal) -> bool {
        if self.cap_kill || (signal == Signal::CONT && process.sid.as_raw() == self.session) {
            return true;
        }
        let path = format!("/proc/{}/status", process.pid);
        let Ok(status) = std::fs::read_to_string(path) else {
            return true;
        };
        // Uid: real, effective, saved, filesystem.
        let uids: Vec<u32> = field(&status, "Uid:")
            .map(|ids| {
                ids.split_whitespace()
                    .filter_map(|id| id.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        let (Some(&real), Some(&saved)) = (uids.first(), uids.get(2)) else {
            return true;
        };
        [self.uid, self.euid]
            .iter()
            .any(|&caller| caller == real || caller == saved)
    }
}

/// The value of a `Key:` line of a status file.
fn field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .map(str::trim)
}
