//! Death certificates: how each process that was waited for ended, and
//! whether SIGKILL had to be sent to it.
//!
//! A process that is not the caller's child tells how it ended only
//! through a pidfd (`PIDFD_INFO_EXIT`, Linux 6.15), held from before it
//! was reaped, and only once its parent has reaped it. So, when asked for
//! ([`Delivery::certify`]), a pidfd of each process of the plan is opened
//! before the signal and checked to be that process (its stat, read after
//! the open, has the start time the plan saw), and one of each process
//! signalled later (a newcomer, a member seen only by a later scan) as it
//! is signalled. These pidfds are only read, after the wait: the waiting
//! itself goes on as without them.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::{Delivery, Entry, Outcome, Plan};
use crate::pidfd::PidFd;
use crate::pidfs::{self, Death};
use crate::{Pid, Process, Signal};

/// How long the certificates wait, in all, for the parents of processes
/// that have exited to reap them: the kernel tells how a process ended
/// only then. A zombie still there after it is reported as not reaped.
const REAP_GRACE: Duration = Duration::from_millis(100);

/// The certificates' part of a [`Delivery`].
#[derive(Debug, Default)]
pub(super) struct Certificates {
    enabled: bool,
    /// pidfds of the plan's processes, opened before the signal.
    early: HashMap<Pid, PidFd>,
}

/// The certificate's part of an [`Entry`].
#[derive(Debug, Default)]
pub(super) struct End {
    /// Held to read the exit from, once the process is reaped.
    pidfd: Option<PidFd>,
    /// How it ended, once [`Delivery::certify`] looked.
    death: Option<Death>,
    /// Whether SIGKILL was sent to it because `kill_after` passed.
    escalated: bool,
    /// Its pidfs inode, read from the pidfd held.
    ino: Option<u64>,
}

impl Entry {
    /// How the process ended, after [`Delivery::certify`]: `None` when it
    /// did not exit while waited for (or nobody asked).
    pub fn death(&self) -> Option<Death> {
        self.end.death
    }

    /// Whether waiting had to send SIGKILL to this process (`kill_after`).
    pub fn escalated(&self) -> bool {
        self.end.escalated
    }

    /// Its pidfs inode (Linux 6.9+), where a pidfd was held for its
    /// certificate ([`Delivery::certify`]).
    pub fn ino(&self) -> Option<u64> {
        self.end.ino
    }
}

/// A pidfd of `process`, checked to be it: opened, then its stat read and
/// found to have the process's start time, while not reaped.
fn open_checked(process: &Process) -> Option<PidFd> {
    let pidfd = PidFd::open_unchecked(process.pid).ok()??;
    pidfd
        .stat(process.pid)
        .is_some_and(|stat| stat.starttime == process.starttime)
        .then_some(pidfd)
}

impl Delivery {
    /// Keeps what is needed to tell, after waiting, how each process
    /// ended ([`Entry::death`]): a pidfd per process. Costs a pidfd and a
    /// stat read per process; where the kernel can tell neither how a
    /// process ended (Linux 6.15) nor its inode (6.9), nothing is kept.
    pub fn certify(mut self) -> Delivery {
        let support = pidfs::support();
        self.certificates.enabled = support.exit_info || support.inodes;
        self
    }

    /// Pins the processes of `plan` before the signal, for their
    /// certificates.
    pub(super) fn pin_for_certificates(&mut self, plan: &Plan) {
        if !self.certificates.enabled {
            return;
        }
        for process in plan.processes() {
            if let Some(pidfd) = open_checked(process) {
                self.certificates.early.insert(process.pid, pidfd);
            }
        }
    }

    /// Called as `process` is recorded with `signal`: holds a pidfd for
    /// its certificate, and notes a SIGKILL sent by escalation.
    pub(super) fn note_for_certificate(&mut self, process: &Process, signal: Signal) {
        let Some(&i) = self.index.get(&process.pid) else {
            return;
        };
        if self.entries[i].process.starttime != process.starttime {
            return;
        }
        if self.escalated && signal == Signal::KILL && !process.is_zombie() {
            self.entries[i].end.escalated = true;
        }
        if !self.certificates.enabled || self.entries[i].end.pidfd.is_some() {
            return;
        }
        let pidfd = match self.certificates.early.remove(&process.pid) {
            Some(pidfd) => Some(pidfd),
            None => open_checked(process),
        };
        self.entries[i].end.ino = pidfd.as_ref().and_then(PidFd::inode);
        self.entries[i].end.pidfd = pidfd;
    }

    /// Marks entry `i` as sent SIGKILL by escalation.
    pub(super) fn note_escalated(&mut self, i: usize) {
        self.entries[i].end.escalated = true;
    }

    /// After waiting: tells how each process that exited ended, giving
    /// their parents a moment (`REAP_GRACE`) to reap them.
    pub fn certify_exits(&mut self) {
        self.certificates.early.clear();
        let deadline = Instant::now() + REAP_GRACE;
        loop {
            let mut unreaped = false;
            for entry in &mut self.entries {
                if entry.outcome != Outcome::Exited
                    || entry
                        .end
                        .death
                        .is_some_and(|death| death != Death::NotReaped)
                {
                    continue;
                }
                let Some(pidfd) = &entry.end.pidfd else {
                    entry.end.death = Some(Death::Unknown);
                    continue;
                };
                let death = pidfd.death();
                unreaped |= death == Death::NotReaped;
                entry.end.death = Some(death);
                if death != Death::NotReaped {
                    entry.end.pidfd = None;
                }
            }
            if !unreaped || Instant::now() >= deadline {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}
