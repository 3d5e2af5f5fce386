//! Sealed jobs ([`crate::cgroup`]): a session that `setsid-run --seal`
//! started lives in a cgroup v2 leaf that holds every process of the job,
//! those that left the session too. Such a session, or any leaf
//! (`pgkill --cgroup`), is signalled through the leaf: frozen, so that
//! nothing forks or leaves meanwhile (and nobody sees it: no SIGSTOP, no
//! tracer), each member pinned with a pidfd and seen in the leaf still,
//! signalled, thawed. It is gone when the leaf says `populated 0`;
//! SIGKILL goes through `cgroup.kill`; the leaf is removed once empty.

use std::time::Instant;

use super::{Delivery, Outcome};
use crate::cgroup::Leaf;
use crate::pidfd::PidFd;
use crate::{Error, Process, Result, Sid, Signal, Snapshot};

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
        if signal == Signal::KILL && leaf.can_kill() {
            self.kill_sealed(&leaf, sid, scope, known)?;
            self.leaves.push(leaf);
            return Ok(());
        }
        leaf.freeze().map_err(|e| os("cannot freeze", e))?;
        let signalled = self.signal_frozen(&leaf, sid, scope, known, signal);
        let thawed = leaf.thaw().map_err(|e| os("cannot thaw", e));
        signalled?;
        thawed?;
        self.leaves.push(leaf);
        Ok(())
    }

    fn signal_frozen(
        &mut self,
        leaf: &Leaf,
        sid: Option<Sid>,
        scope: Option<usize>,
        known: &[Process],
        signal: Signal,
    ) -> Result<()> {
        // A frozen leaf forks nothing: what is pinned is all of it.
        let pinned = pin_members(leaf, known)?;
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
        let pinned = pin_members(leaf, known)?;
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

    /// Waits until every leaf signalled is empty, SIGKILL through
    /// `cgroup.kill` at `kill_at`, each removed once empty; whether all
    /// emptied before `deadline`.
    pub(super) fn wait_leaves(
        &mut self,
        deadline: Option<Instant>,
        kill_at: &mut Option<Instant>,
    ) -> Result<bool> {
        for leaf in std::mem::take(&mut self.leaves) {
            let os = |error| Error::os(format!("cannot watch {}", leaf.path().display()), error);
            loop {
                let until = [deadline, *kill_at].into_iter().flatten().min();
                if leaf.wait_empty(until).map_err(os)? {
                    let _ = leaf.remove();
                    break;
                }
                let now = Instant::now();
                if kill_at.is_some_and(|at| now >= at) {
                    *kill_at = None;
                    self.escalated = true;
                    leaf.kill().map_err(os)?;
                } else if deadline.is_some_and(|at| now >= at) {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }
}

/// The processes in `leaf`, each pinned with a pidfd and then seen in the
/// leaf still: a pid reaped and taken by someone else meanwhile is not
/// listed any more. What `known` (the plan) read of a pid is not read
/// again.
fn pin_members(leaf: &Leaf, known: &[Process]) -> Result<Vec<(Process, PidFd)>> {
    let os = |error| Error::os(format!("cannot read {}", leaf.path().display()), error);
    let listed = leaf.members().map_err(os)?;
    let mut pinned: Vec<(Process, PidFd)> = listed
        .into_iter()
        .filter_map(|pid| {
            let pidfd = PidFd::open_unchecked(pid).ok()??;
            let process = match known.binary_search_by_key(&pid, |p| p.pid) {
                Ok(i) => known[i].clone(),
                Err(_) => Process::from(pidfd.stat(pid)?),
            };
            Some((process, pidfd))
        })
        .collect();
    let mut still = leaf.members().map_err(os)?;
    still.sort_unstable();
    pinned.retain(|(process, _)| still.binary_search(&process.pid).is_ok());
    Ok(pinned)
}
