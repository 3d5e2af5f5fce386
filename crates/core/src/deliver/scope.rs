//! A targeted group or session, and the proof that it is still the one
//! targeted.
//!
//! A group or session id is free again once no process has it, not even a
//! zombie: then a stranger may take the pid and found a group or session
//! of that number. So an id is signalled by number only while its scope
//! is proven live without a gap: some process verified in it (its pidfd
//! opened first, its stat read after) is still held by that pidfd, not
//! reaped, and still in it. Such a process is an anchor; while one is
//! there, the id cannot have been free. Once none is left the scope is
//! closed for good: whatever has that id later is someone else.
//!
//! A group leader verified in the scope proves it longer: the group it
//! founded is known by the process the pidfd holds, not by its number,
//! so the kernel can tell whether that very group still has a member
//! (`PidFd::group_has_members`), after its leader is reaped too. A group
//! that emptied can never be joined again, so while it has a member the
//! id was never free: of a group, the scope itself; of a session, one of
//! its groups, which never changes session. Processes that joined after
//! the signal are found and signalled that way when the members that
//! were pinned are gone.

use super::Target;
use crate::pidfd::PidFd;
use crate::stat::Stat;
use crate::{Pgid, Pid, Process};

/// How many anchors a scope keeps: a few, so that it outlives the death
/// of one member, without a pidfd per member.
pub(super) const ANCHORS: usize = 8;

/// A targeted group or session and its anchors.
#[derive(Debug)]
pub(super) struct Scope {
    pub(super) target: Target,
    anchors: Vec<(Pid, PidFd)>,
    /// Leaders of groups in the scope, verified in it while it was proven
    /// live: the scope is live while one of their groups has a member.
    leaders: Vec<PidFd>,
    closed: bool,
}

impl Scope {
    /// The scope of `target`, anchored on those of `members` (a snapshot's)
    /// that are in it now; closed at once when none is.
    pub(super) fn open(target: Target, members: &[Process]) -> Scope {
        let mut scope = Scope {
            target,
            anchors: Vec::new(),
            leaders: Vec::new(),
            closed: false,
        };
        for process in by_preference(members) {
            if scope.anchors.len() == ANCHORS {
                break;
            }
            if let Some((pidfd, stat)) = verify_stat(process.pid, |stat| target.holds(stat)) {
                scope.keep_leader(&pidfd, &stat);
                scope.anchors.push((process.pid, pidfd));
            }
        }
        scope.closed = scope.anchors.is_empty();
        scope
    }

    /// The scope of `target`, anchored on processes already verified in it
    /// (their pidfds opened first, their stat read after); closed at once
    /// when there is none.
    /// A group's own leader among them also proves the group while it has
    /// a member (see [`Scope::is_live`]).
    pub(super) fn pinned(target: Target, anchors: Vec<(Pid, PidFd)>) -> Scope {
        let closed = anchors.is_empty();
        let leaders = anchors
            .iter()
            .filter(|(pid, _)| target == Target::Pgid(Pgid::from_raw(pid.as_raw())))
            .filter_map(|(_, pidfd)| pidfd.try_clone().ok())
            .collect();
        Scope {
            target,
            anchors,
            leaders,
            closed,
        }
    }

    /// [`Scope::top_up`], trying at most `attempts` of `members`: where
    /// most of them may be dying, each try that finds one gone costs a
    /// system call for nothing.
    pub(super) fn top_up_within(&mut self, members: &[Process], attempts: usize) {
        for process in by_preference(members).into_iter().take(attempts) {
            if self.anchors.len() >= ANCHORS || self.closed {
                return;
            }
            if !self.anchors.iter().any(|(pid, _)| *pid == process.pid) {
                let _ = self.admit(process.pid);
            }
        }
    }

    /// Whether the scope is still the one targeted: an anchor is there and
    /// in it, or the group of a leader verified in it still has a member
    /// (where the kernel can tell). Once false, false for ever.
    pub(super) fn is_live(&mut self) -> bool {
        while let Some((pid, pidfd)) = self.anchors.first() {
            if pidfd
                .stat(*pid)
                .is_some_and(|stat| self.target.holds(&stat))
            {
                return true;
            }
            self.anchors.remove(0);
        }
        while let Some(leader) = self.leaders.first() {
            if leader.group_has_members() == Some(true) {
                return true;
            }
            self.leaders.remove(0);
        }
        self.closed = true;
        false
    }

    /// Keeps a clone of `pidfd`, verified in the scope as `stat` (read
    /// after it was opened), if it leads its group: see [`Scope::is_live`].
    fn keep_leader(&mut self, pidfd: &PidFd, stat: &Stat) {
        if stat.pid == stat.pgrp && self.leaders.len() < ANCHORS {
            if let Ok(leader) = pidfd.try_clone() {
                self.leaders.push(leader);
            }
        }
    }

    /// A pidfd of `pid` if it is in the scope now and the scope is live:
    /// then it is a member of the very group or session targeted (and, if
    /// there is room, an anchor too).
    pub(super) fn admit(&mut self, pid: Pid) -> Option<PidFd> {
        if self.closed {
            return None;
        }
        let target = self.target;
        let (pidfd, stat) = verify_stat(pid, |stat| target.holds(stat))?;
        if !self.is_live() {
            return None;
        }
        self.keep_leader(&pidfd, &stat);
        if self.anchors.len() < ANCHORS {
            if let Ok(anchor) = pidfd.try_clone() {
                self.anchors.push((pid, anchor));
            }
        }
        Some(pidfd)
    }

    /// Adds anchors from `members` (seen in the scope), while it is live,
    /// up to a few: a frozen session's members, say, which outlive the
    /// ones it was opened with.
    pub(super) fn top_up(&mut self, members: &[Process]) {
        for process in by_preference(members) {
            if self.anchors.len() >= ANCHORS || self.closed {
                return;
            }
            if !self.anchors.iter().any(|(pid, _)| *pid == process.pid) {
                let _ = self.admit(process.pid);
            }
        }
    }

    /// Whether group `pgid`, of which `members` were seen in the scope, is
    /// still in it: the scope's own group while the scope is live; for a
    /// session, a member verified in that group and session now, while the
    /// session is live.
    pub(super) fn holds_group(&mut self, pgid: Pgid, members: &[Process]) -> bool {
        if self.closed {
            return false;
        }
        if self.target == Target::Pgid(pgid) {
            return self.is_live();
        }
        self.has_member_in_group(pgid, members) && self.is_live()
    }

    /// Whether an anchor is among the members of group `pgid`.
    pub(super) fn anchors_in_group(&self, pgid: Pgid, members: &[Process]) -> bool {
        members
            .iter()
            .filter(|p| p.pgid == pgid)
            .any(|p| self.anchors.iter().any(|(anchor, _)| *anchor == p.pid))
    }

    /// Whether one of `members` is verified, now, in group `pgid` and in
    /// the scope.
    pub(super) fn has_member_in_group(&self, pgid: Pgid, members: &[Process]) -> bool {
        let target = self.target;
        let in_group = |stat: &Stat| stat.pgrp == pgid.as_raw() && target.holds(stat);
        members
            .iter()
            .filter(|p| p.pgid == pgid)
            .any(|p| verify(p.pid, in_group).is_some())
    }
}

impl Scope {
    /// The pidfd of the process whose pid is `pgid`, if it is an anchor:
    /// the group's leader (or the one that founded it and left), through
    /// which the group is signalled without naming its number.
    pub(super) fn leader(&self, pgid: Pgid) -> Option<&PidFd> {
        self.anchors
            .iter()
            .find(|(pid, _)| pid.as_raw() == pgid.as_raw())
            .map(|(_, pidfd)| pidfd)
    }

    /// Makes `pidfd`, of `pid`, an anchor first of all, if it is in the
    /// scope now and the scope is live: a leader pinned before the process
    /// table was read (named with its inode), rather than one opened by
    /// number since.
    pub(super) fn seed(&mut self, pid: Pid, pidfd: PidFd) {
        let target = self.target;
        if self.closed || !pidfd.stat(pid).is_some_and(|stat| target.holds(&stat)) {
            return;
        }
        self.anchors.retain(|(anchor, _)| *anchor != pid);
        self.anchors.insert(0, (pid, pidfd));
        self.anchors.truncate(ANCHORS);
    }
}

/// `members` in the order they are best anchors: the session leader's
/// group first (the root of the session's groups, signalled last), then
/// group leaders, zombies last: the likeliest to stay longest.
fn by_preference(members: &[Process]) -> Vec<&Process> {
    let mut candidates: Vec<&Process> = members.iter().collect();
    candidates.sort_by_key(|p| {
        (
            p.is_zombie(),
            p.pgid.as_raw() != p.sid.as_raw(),
            !p.is_group_leader(),
        )
    });
    candidates
}

/// A pidfd of `pid` whose process passes `check`: the fd is opened first
/// and the stat read after, from the process the fd pins.
fn verify(pid: Pid, check: impl Fn(&Stat) -> bool) -> Option<PidFd> {
    verify_stat(pid, check).map(|(pidfd, _)| pidfd)
}

/// [`verify`], with the stat that passed.
fn verify_stat(pid: Pid, check: impl Fn(&Stat) -> bool) -> Option<(PidFd, Stat)> {
    let pidfd = PidFd::open_unchecked(pid).ok()??;
    let stat = pidfd.stat(pid).filter(|stat| check(stat))?;
    Some((pidfd, stat))
}
