//! Sealed jobs ([`crate::cgroup`]): a session that `setsid-run --seal`
//! started lives in a cgroup v2 leaf that holds every process of the job,
//! those that left the session too. Such a session, or any leaf
//! (`pgkill --cgroup`), is signalled through the leaf: frozen, so that
//! nothing forks or leaves meanwhile (and nobody sees it: no SIGSTOP, no
//! tracer), each member pinned with a pidfd and seen in the leaf still,
//! signalled, thawed. SIGKILL goes through `cgroup.kill`, with no freeze.
//! While it is waited for, what appears in the leaf (forked in a handler
//! of the signal) is signalled too; it is gone when the leaf says
//! `populated 0`, and the leaf is then removed.

use std::time::Instant;

use super::wait::LateScan;
use super::{Delivery, Outcome};
use crate::cgroup::Leaf;
use crate::pidfd::PidFd;
use crate::{Error, Pid, Process, Result, Sid, Signal, Snapshot};

/// Adds to the `members` of session `sid` the processes of its leaf that
/// left it, if it is sealed (as `snapshot` shows them), so that they are
/// shown, refused and signalled with it.
pub(super) fn add_escapees(sid: Sid, members: &mut Vec<Process>, snapshot: &Snapshot) {
    let Some(leaf) = Leaf::of_session(sid, members.iter().map(|p| p.pid)) else {
        return;
    };
    let Ok(inside) = leaf.members() else {
        return;
    };
    for pid in inside {
        if members.iter().any(|p| p.pid == pid) {
            continue;
        }
        if let Some(process) = snapshot.get(pid) {
            members.push(process.clone());
        }
    }
    members.sort_by_key(|p| p.pid);
}

impl Delivery {
    /// Signals every process in `leaf` (`pgkill --cgroup`), and keeps the
    /// leaf to wait for it. Nothing outside the leaf is signalled.
    pub fn send_leaf(&mut self, leaf: Leaf) -> Result<()> {
        self.sent_at.get_or_insert_with(super::ticks_since_boot);
        self.signal_sealed(leaf, None, None, &[], self.signal)
    }

    /// Signals every process in `leaf`, the leaf of session `sid` when it
    /// stands for one (a member elsewhere than in that session is marked
    /// [`super::Entry::escaped`]), and keeps the leaf to wait for it.
    /// `known` are processes of the leaf as the plan read them: those are
    /// not read again.
    pub(super) fn signal_sealed(
        &mut self,
        leaf: Leaf,
        sid: Option<Sid>,
        scope: Option<usize>,
        known: &[Process],
        signal: Signal,
    ) -> Result<()> {
        let os = |what: &str, error| Error::os(format!("{what} {}", leaf.path().display()), error);
        let members = leaf.members().map_err(|e| os("cannot read", e))?;
        if members.contains(&Pid::current()) || !leaf.is_writable() {
            // The leaf this process runs in (only possible with --force):
            // frozen, it would freeze its signaller, and nobody would thaw
            // it; or one it may not freeze (another user's). Its members
            // are signalled as they run (each by the kernel's rule), this
            // one last.
            self.signal_pinned(&leaf, sid, scope, known, signal)?;
        } else if signal == Signal::KILL && leaf.can_kill() {
            self.kill_sealed(&leaf, sid, scope, known)?;
        } else {
            let frozen = leaf.freeze().map_err(|e| os("cannot freeze", e))?;
            // A frozen leaf forks nothing: what is pinned is all of it.
            let signalled = self.signal_pinned(&leaf, sid, scope, known, signal);
            let thawed = frozen.thaw().map_err(|e| os("cannot thaw", e));
            signalled?;
            thawed?;
        }
        self.leaves.push(Sealed { leaf, sid, scope });
        Ok(())
    }

    /// Signals each process in `leaf` through a pidfd, the caller last.
    fn signal_pinned(
        &mut self,
        leaf: &Leaf,
        sid: Option<Sid>,
        scope: Option<usize>,
        known: &[Process],
        signal: Signal,
    ) -> Result<()> {
        let mut pinned = pin_members(leaf, known, |_| true)?;
        let me = Pid::current();
        pinned.sort_by_key(|(process, _)| process.pid == me);
        self.sealing = sid;
        for (process, pidfd) in pinned {
            self.signal_process(&process, Some(pidfd), signal, scope);
        }
        self.sealing = None;
        Ok(())
    }

    /// SIGKILL to a leaf: one write to `cgroup.kill`, which kills every
    /// process in it and fails every fork meanwhile, so nothing is frozen
    /// first. Its members are pinned before, to be reported.
    fn kill_sealed(
        &mut self,
        leaf: &Leaf,
        sid: Option<Sid>,
        scope: Option<usize>,
        known: &[Process],
    ) -> Result<()> {
        let pinned = pin_members(leaf, known, |_| true)?;
        leaf.kill()
            .map_err(|error| Error::os(format!("cannot kill {}", leaf.path().display()), error))?;
        self.sealing = sid;
        for (process, pidfd) in pinned {
            self.record(
                &process,
                Outcome::Signalled,
                Some(pidfd),
                Signal::KILL,
                scope,
            );
        }
        self.sealing = None;
        Ok(())
    }

    /// Waits until every leaf signalled is empty, each removed once empty,
    /// looking in them for newcomers when `late` says (a child forked by
    /// an escapee in its handler of the signal is in the leaf, and in no
    /// scope); SIGKILL to all of them through `cgroup.kill` at `kill_at`.
    /// Whether all emptied before `deadline`; `None` when a look found
    /// newcomers, signalled now and to be waited for as the others.
    pub(super) fn wait_leaves(
        &mut self,
        deadline: Option<Instant>,
        kill_at: &mut Option<Instant>,
        late: &mut LateScan,
    ) -> Result<Option<bool>> {
        while let Some(first) = self.leaves.first() {
            let leaf = &first.leaf;
            let os = |error| Error::os(format!("cannot watch {}", leaf.path().display()), error);
            let until = [deadline, *kill_at, Some(late.next())]
                .into_iter()
                .flatten()
                .min();
            if leaf.wait_empty(until).map_err(os)? {
                let _ = leaf.remove();
                self.leaves.remove(0);
                continue;
            }
            let now = Instant::now();
            if kill_at.is_some_and(|at| now >= at) {
                *kill_at = None;
                self.escalated = true;
                for sealed in &self.leaves {
                    let leaf = &sealed.leaf;
                    leaf.kill().map_err(|error| {
                        Error::os(format!("cannot kill {}", leaf.path().display()), error)
                    })?;
                }
            } else if deadline.is_some_and(|at| now >= at) {
                return Ok(Some(false));
            } else if late.is_due(now) {
                let found = self.signal_leaf_newcomers()?;
                late.scanned(Instant::now(), found);
                if found {
                    return Ok(None);
                }
            }
        }
        Ok(Some(true))
    }

    /// Signals, each through a pidfd, the processes in the leaves
    /// signalled that were not signalled yet (with SIGKILL once
    /// escalated); whether there were any. Only a pid that is not known
    /// as signalled is read.
    pub(super) fn signal_leaf_newcomers(&mut self) -> Result<bool> {
        let signal = self.signal_now();
        let mut found = false;
        for at in 0..self.leaves.len() {
            let Sealed {
                ref leaf,
                sid,
                scope,
            } = self.leaves[at];
            let mut pinned = pin_members(leaf, &[], |pid| !self.is_signalled(pid))?;
            pinned.retain(|(process, _)| !process.is_zombie() && !self.is_known(process));
            found |= !pinned.is_empty();
            self.sealing = sid;
            for (process, pidfd) in pinned {
                self.signal_process(&process, Some(pidfd), signal, scope);
            }
            self.sealing = None;
        }
        Ok(found)
    }

    /// Whether `pid` is a process signalled (or refused) and not seen
    /// exiting: one the leaves' looks need not read.
    fn is_signalled(&self, pid: Pid) -> bool {
        self.index.get(&pid).is_some_and(|&i| {
            matches!(
                self.entries[i].outcome,
                Outcome::Signalled | Outcome::PermissionDenied
            )
        })
    }
}

/// A leaf signalled, and the session and scope it stands for, if any.
pub(super) struct Sealed {
    leaf: Leaf,
    sid: Option<Sid>,
    scope: Option<usize>,
}

impl Sealed {
    /// Kills what is in it (`cgroup.kill`), for an escalation.
    pub(super) fn kill(&self) -> std::io::Result<()> {
        self.leaf.kill()
    }
}

/// The processes in `leaf` (those `wanted`), pinned and seen in it still
/// ([`Leaf::pinned_members`]). What `known` (the plan) read of a pid is not
/// read again.
fn pin_members(
    leaf: &Leaf,
    known: &[Process],
    wanted: impl Fn(Pid) -> bool,
) -> Result<Vec<(Process, PidFd)>> {
    let pinned = leaf
        .pinned_members(wanted)
        .map_err(|error| Error::os(format!("cannot read {}", leaf.path().display()), error))?;
    Ok(pinned
        .into_iter()
        .filter_map(|(pid, pidfd)| {
            let process = match known.binary_search_by_key(&pid, |p| p.pid) {
                Ok(i) => known[i].clone(),
                Err(_) => Process::from(pidfd.stat(pid)?),
            };
            Some((process, pidfd))
        })
        .collect())
}
