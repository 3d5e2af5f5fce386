//! Targets named with the pidfs inode of their process or leader
//! (`PID:INO`), and groups signalled through their leader's pidfd.
//!
//! - `--pid P:INO` is taken only if the process with pid P has inode INO:
//!   its pidfd, opened and checked before the process table is read, is
//!   the one the plan pins and signals through.
//! - `--pgid G:INO` and `--sid S:INO` are taken only if the process with
//!   pid G (S) has inode INO and still leads that group (session); its
//!   pidfd is pinned the same way.
//! - A group whose leader is held by a pidfd is signalled through it, with
//!   `PIDFD_SIGNAL_PROCESS_GROUP` (Linux 6.9): the kernel signals the
//!   group of that very process, not of a number, so that no reuse of the
//!   number can redirect it. Where the leader is gone, or the kernel is
//!   older, `kill(-pgid)` under the proof of `scope` is used as before.

use std::collections::HashMap;
use std::io;

use super::kill::kill_group;
use super::resolve::{resolve_lean_pinned, resolve_pinned};
use super::scope::Scope;
use super::{Delivery, Plan, Target};
use crate::pidfd::PidFd;
use crate::{pidfs, Pgid, Pid, Result, Signal};

impl Target {
    /// The process whose pid the target's id is: the process itself, or
    /// the group's or session's leader (who may be gone).
    pub fn leader(self) -> Pid {
        match self {
            Target::Pid(pid) => pid,
            Target::Pgid(pgid) => Pid::from_raw(pgid.as_raw()),
            Target::Sid(sid) => Pid::from_raw(sid.as_raw()),
        }
    }
}

/// Resolves `targets`, each with the pidfs inode that its process (or
/// its group's or session's leader) must have, if given. A target whose
/// process does not have that inode, or a group or session that process
/// does not lead, matches nothing. With `lean`, groups are resolved
/// without listing /proc where that can be done ([`super::resolve_lean`]).
///
/// An error where the kernel cannot check inodes (before Linux 6.9) and an
/// inode is given.
pub fn resolve_identified(targets: &[(Target, Option<u64>)], lean: bool) -> Result<Plan> {
    let mut pre: HashMap<Target, PidFd> = HashMap::new();
    let mut vetoed = Vec::new();
    for &(target, ino) in targets {
        let Some(ino) = ino else { continue };
        let leader = target.leader();
        let held = pidfs::open_identified(leader, ino)?.filter(|pidfd| {
            pidfd
                .stat(leader)
                .is_some_and(|stat| target.holds(&stat) && !stat.is_kernel_thread())
        });
        match held {
            Some(pidfd) => {
                pre.insert(target, pidfd);
            }
            None => vetoed.push(target),
        }
    }
    let plain: Vec<Target> = targets.iter().map(|&(target, _)| target).collect();
    if lean && vetoed.is_empty() {
        let pins = pre
            .iter()
            .filter_map(|(&target, pidfd)| Some((target, pidfd.try_clone().ok()?)))
            .collect();
        if let Some(plan) = resolve_lean_pinned(&plain, pins) {
            return Ok(plan);
        }
    }
    resolve_pinned(&plain, pre, &vetoed)
}

/// `kill(-pgid)`; for a targeted group (`--pgid`), through the leader's
/// pidfd where the scope holds it and the kernel can
/// (`PIDFD_SIGNAL_PROCESS_GROUP`): the same kernel call on the group,
/// found by the leader's own handle rather than by number. The groups of
/// a session are signalled by number, under the session's proof.
pub(super) fn kill_group_of(scope: &Scope, pgid: Pgid, signal: Signal) -> io::Result<()> {
    if scope.target == Target::Pgid(pgid) {
        if let Some(sent) = scope
            .leader(pgid)
            .and_then(|leader| leader.send_group(signal))
        {
            return sent;
        }
    }
    kill_group(pgid, signal)
}

impl Delivery {
    /// Makes the leader that `plan` pinned for group or session `target`
    /// (named with its inode) the first anchor of scope `scope`.
    pub(super) fn seed_leader(&mut self, scope: usize, plan: &Plan, target: Target) {
        if matches!(target, Target::Pid(_)) {
            return;
        }
        let leader = target.leader();
        if let Some(pidfd) = plan.pinned(leader) {
            self.scopes[scope].seed(leader, pidfd);
        }
    }
}
