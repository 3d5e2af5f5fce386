//! Sending the signal: a process through its pinned pidfd, a group with one
//! `kill(-pgid)`, a session group by group (stopped first, continued
//! after), and recording what each process got.

use std::collections::HashSet;

use super::identity::kill_group_of;
use super::kill::{kill_group, outcome_of};
use super::scope::ANCHORS;
use super::stop::{children_first, groups_of, stop_session, BlockedSignals};
use super::trace::{Freeze, LATE_LIMIT};
use super::{
    created_since, session_members, ticks_since_boot, Delivery, Entry, Outcome, Plan, Scope,
    Target, MAX_ROUNDS,
};
use crate::pidfd::PidFd;
use crate::{Fields, Pgid, Pid, Process, Result, Sid, Signal, Snapshot};

impl Delivery {
    /// Signals every target of the plan.
    pub fn send(&mut self, plan: &Plan) -> Result<()> {
        self.sent_at.get_or_insert_with(ticks_since_boot);
        self.pin_for_certificates(plan);
        if plan.is_lean() {
            return self.send_lean(plan);
        }
        let me = Pid::current();
        for (target, members) in plan.targets() {
            match target {
                Target::Pid(pid) => {
                    for process in members {
                        self.signal_process(process, plan.pinned(pid), self.signal, None);
                    }
                }
                Target::Pgid(pgid) => {
                    let scope = self.open_scope(target, members);
                    self.seed_leader(scope, plan, target);
                    self.signal_group(scope, pgid, members, self.signal);
                }
                Target::Sid(sid) => {
                    let scope = self.open_scope(target, members);
                    self.seed_leader(scope, plan, target);
                    // A sealed session: every process of the job, in its
                    // leaf, whatever session it is in now.
                    let pids = members.iter().map(|p| p.pid);
                    if let Some(leaf) = crate::cgroup::Leaf::of_session(sid, pids) {
                        self.signal_sealed(leaf, Some(sid), Some(scope), members, self.signal)?;
                        self.continue_stopped(members, self.signal);
                        continue;
                    }
                    // Never stop the group pgkill runs in (only possible
                    // with --force): nobody would continue it.
                    let stop_first = self.signal.terminates()
                        && self.signal != Signal::STOP
                        && !members.iter().any(|p| p.pid == me);
                    self.signal_session(scope, sid, members, self.signal, stop_first)?;
                }
            }
            self.continue_stopped(members, self.signal);
        }
        Ok(())
    }

    /// Signals the groups of a plan made without listing /proc
    /// ([`super::resolve_lean`]): one `kill(-pgid)` each while the members
    /// pinned before prove it live, then one scan of /proc for the members.
    ///
    /// The scan is trusted only if the group is still proven live after
    /// it (an anchor pinned before the kill is still in it): then the id
    /// was never free meanwhile, and what the scan saw in the group is the
    /// group signalled. A member that started before the clock tick read
    /// just before the first kill got the signal (a fork that races with
    /// `kill(-pgid)` fails, so a process forked off a member is in the
    /// group before the signal or not at all). One that started since may
    /// have come after the signal: it gets its own, through a pidfd, once
    /// admitted to the scope, as a newcomer does; one that got both was
    /// born within a tick before the kill, and a second signal is the
    /// cautious mistake.
    fn send_lean(&mut self, plan: &Plan) -> Result<()> {
        let signal = self.signal;
        let before = ticks_since_boot();
        let mut groups = Vec::new();
        for (target, pinned) in plan.targets() {
            let Target::Pgid(pgid) = target else {
                continue;
            };
            let anchors = pinned
                .iter()
                .filter_map(|p| Some((p.pid, plan.pinned(p.pid)?)))
                .collect();
            let scope = self.scopes.len();
            self.scopes.push(Scope::pinned(target, anchors));
            let outcome = if self.scopes[scope].holds_group(pgid, pinned) {
                outcome_of(kill_group_of(&self.scopes[scope], pgid, signal))
            } else {
                Outcome::Vanished
            };
            groups.push((scope, pinned, outcome));
        }
        let reached = groups.iter().any(|(_, _, o)| *o != Outcome::Vanished);
        let snapshot = if reached {
            Some(Snapshot::read(Fields::default())?)
        } else {
            None
        };
        for (scope, pinned, outcome) in groups {
            let target = self.scopes[scope].target;
            let mut members: Vec<Process> = pinned.to_vec();
            let mut late = Vec::new();
            if let (Some(snapshot), false) = (&snapshot, outcome == Outcome::Vanished) {
                let found: Vec<Process> = snapshot
                    .processes()
                    .iter()
                    .filter(|p| !p.kernel_thread && target.contains(p))
                    .filter(|p| !pinned.iter().any(|q| q.pid == p.pid))
                    .cloned()
                    .collect();
                if self.scopes[scope].is_live() {
                    self.scopes[scope].top_up_within(&found, 2 * ANCHORS);
                    let (old, new): (Vec<Process>, Vec<Process>) =
                        found.into_iter().partition(|p| p.starttime < before);
                    members.extend(old);
                    late = new;
                }
            }
            for process in &members {
                let outcome = self.member_outcome(process, outcome, signal);
                let pidfd = pinned
                    .iter()
                    .any(|p| p.pid == process.pid)
                    .then(|| plan.pinned(process.pid))
                    .flatten();
                self.record(process, outcome, pidfd, signal, Some(scope));
            }
            for process in &late {
                let pidfd = self.scopes[scope].admit(process.pid);
                self.signal_process(process, pidfd, signal, Some(scope));
            }
            members.extend(late);
            self.continue_stopped(&members, signal);
        }
        Ok(())
    }

    /// What a member of a group got from `kill(-pgid)` whose result was
    /// `outcome`: the kernel's rule, applied to it.
    fn member_outcome(&self, process: &Process, outcome: Outcome, signal: Signal) -> Outcome {
        match outcome {
            Outcome::Signalled if !self.permission.allows(process, signal) => {
                Outcome::PermissionDenied
            }
            outcome => outcome,
        }
    }

    fn open_scope(&mut self, target: Target, members: &[Process]) -> usize {
        self.scopes.push(Scope::open(target, members));
        self.scopes.len() - 1
    }

    /// Signals one process through a pidfd known to be it (`None`: it is
    /// gone).
    pub(super) fn signal_process(
        &mut self,
        process: &Process,
        pidfd: Option<PidFd>,
        signal: Signal,
        scope: Option<usize>,
    ) {
        let outcome = pidfd
            .as_ref()
            .map_or(Outcome::Vanished, |pidfd| outcome_of(pidfd.send(signal)));
        self.record(process, outcome, pidfd, signal, scope);
    }

    /// Signals group `pgid`, of which `members` were seen in scope `scope`,
    /// with one `kill(-pgid)` if it is still in the scope; records each
    /// member with what the kernel let it get.
    pub(super) fn signal_group(
        &mut self,
        scope: usize,
        pgid: Pgid,
        members: &[Process],
        signal: Signal,
    ) {
        let outcome = if self.scopes[scope].holds_group(pgid, members) {
            outcome_of(kill_group_of(&self.scopes[scope], pgid, signal))
        } else {
            Outcome::Vanished
        };
        for process in members {
            let outcome = self.member_outcome(process, outcome, signal);
            self.record(process, outcome, None, signal, Some(scope));
        }
    }

    /// Signals every group of a session, rescanning until no new group
    /// appears; with `stop_first`, freezes the session first (SIGKILL too:
    /// a frozen session cannot fork away while its groups die one by one,
    /// and its frozen members keep proving it is the session targeted, see
    /// [`Scope`], until the last group is signalled). The freeze is
    /// invisible where the kernel lets pgkill trace the session
    /// ([`Freeze`]); else the session is stopped with SIGSTOP.
    pub(super) fn signal_session(
        &mut self,
        scope: usize,
        sid: Sid,
        members: &[Process],
        signal: Signal,
        stop_first: bool,
    ) -> Result<()> {
        if !stop_first {
            return self.signal_session_groups(scope, sid, members, signal);
        }
        let _blocked = BlockedSignals::new();
        let mut members = members.to_vec();
        if self.freeze.is_none() {
            match Freeze::session(&mut self.scopes[scope], &self.permission, &mut members)? {
                Ok(mut freeze) => {
                    // Frozen, the session is what the last scan says: no
                    // process in it forks, dies or changes group untold, so
                    // one pass signals it all.
                    let groups = groups_of(&members);
                    self.signal_groups(scope, groups, &members, signal, &mut HashSet::new());
                    // What has not stopped yet is let go once it does,
                    // while pgkill waits (see `wait`).
                    if !freeze.release(LATE_LIMIT) {
                        self.late.push(freeze);
                    }
                    return Ok(());
                }
                Err(refused) => {
                    self.freeze = Some(format!(
                        "cannot trace process {} ({}): session {sid} is stopped with SIGSTOP \
                         instead, which its shells see",
                        refused.pid, refused.error
                    ));
                }
            }
        }
        self.signal_session_stopped(scope, sid, members, signal)
    }

    /// [`Delivery::signal_session`] with a freeze by SIGSTOP, for where
    /// ptrace is refused.
    ///
    /// A stopped group must never outlive, stopped, the parent that ties it
    /// to the session: the kernel then sends the orphaned group SIGHUP (and
    /// SIGCONT), and its processes die of the wrong signal. So groups are
    /// stopped parents first (a job-control shell whose job stops before it
    /// does returns from `wait` and may exit); the signal goes out only once
    /// every process has stopped (one whose SIGSTOP is still pending takes a
    /// lower-numbered signal such as SIGTERM first, and dies at once); and
    /// groups are continued children first.
    fn signal_session_stopped(
        &mut self,
        scope: usize,
        sid: Sid,
        mut members: Vec<Process>,
        signal: Signal,
    ) -> Result<()> {
        self.stopped_visibly = true;
        let mut stopped: Vec<Pgid> = Vec::new();
        let mut result = stop_session(
            &mut self.scopes[scope],
            &self.permission,
            &mut members,
            &mut stopped,
        );
        let continue_order = children_first(stopped, &members);
        if result.is_ok() {
            result = self.signal_session_groups(scope, sid, &members, signal);
        }
        // Nothing is left stopped, whatever failed. A group stopped still
        // has its members (a stopped process dies of SIGKILL only): one
        // still in it and in the session says it is the one stopped.
        for pgid in continue_order {
            if self.scopes[scope].has_member_in_group(pgid, &members) {
                let _ = kill_group(pgid, Signal::CONT);
            }
        }
        result
    }

    /// Continues the processes of `members` that were stopped (a job's
    /// Ctrl-Z) and do not ignore `signal`, so that it takes effect: a
    /// signal sent to a stopped process waits for SIGCONT. Those that
    /// ignore it stay stopped. As bash's `kill` does for a stopped job,
    /// only for the signals that ask a process to end, TERM and HUP
    /// (SIGKILL ends a stopped process by itself; INT, QUIT, USR1 and the
    /// like wait for the job to be continued, as at the shell).
    fn continue_stopped(&mut self, members: &[Process], signal: Signal) {
        if signal != Signal::TERM && signal != Signal::HUP {
            return;
        }
        for process in members.iter().filter(|p| p.state == b'T') {
            let Ok(Some(pidfd)) = PidFd::open_unchecked(process.pid) else {
                continue;
            };
            // Stopped as resolved; the state now may read otherwise for a
            // moment (a thread let go by the freeze runs before it stops
            // again), and SIGCONT to a process that runs changes nothing.
            let same = pidfd
                .stat(process.pid)
                .is_some_and(|stat| stat.starttime == process.starttime);
            if same && !ignores(process.pid, signal) {
                let _ = pidfd.send(Signal::CONT);
            }
        }
    }

    /// Signals every group of the session not yet signalled, rescanning
    /// until a rescan finds none, while the session is proven to be the one
    /// targeted.
    pub(super) fn signal_session_groups(
        &mut self,
        scope: usize,
        sid: Sid,
        first: &[Process],
        signal: Signal,
    ) -> Result<()> {
        let mut done: HashSet<Pgid> = HashSet::new();
        let mut rescan: Option<Vec<Process>> = None;
        // The highest pid of the last scan: a process forked during a scan
        // may be missing from it (none for the first list, taken earlier).
        let mut highest = i32::MAX;
        for _ in 0..MAX_ROUNDS {
            if !self.scopes[scope].is_live() {
                return Ok(());
            }
            let members = rescan.as_deref().unwrap_or(first);
            if !self.signal_fresh(scope, members, signal, &mut done) {
                // Nothing new in the scan. Before SIGKILL takes the last
                // groups, and with them the proof that the session is the
                // one targeted, what was forked while the scan was taken
                // (and so is not in it) is looked for, cheaply, and
                // signalled at once: a process that forks its successor
                // and exits is caught that way.
                let forked = if signal == Signal::KILL {
                    created_since(highest, &[self.scopes[scope].target]).0
                } else {
                    Vec::new()
                };
                if !self.signal_fresh(scope, &forked, signal, &mut done) {
                    let held: Vec<Pgid> = groups_of(members)
                        .into_iter()
                        .filter(|pgid| !done.contains(pgid))
                        .collect();
                    if held.is_empty() {
                        return Ok(());
                    }
                    self.signal_groups(scope, held, members, signal, &mut done);
                }
            }
            let (scan, top) = session_members(sid)?;
            rescan = Some(scan);
            highest = top;
        }
        Ok(())
    }

    /// Signals what is new in `members`: the groups not signalled yet but
    /// those that hold the session's anchors (they go when nothing else is
    /// left: meanwhile their members prove that the session is still the
    /// one targeted); else the newcomers in groups already signalled (a
    /// process forked after its group's kill() did not get the signal, nor
    /// did one whose group's signal found it gone). Returns whether there
    /// was anything.
    fn signal_fresh(
        &mut self,
        scope: usize,
        members: &[Process],
        signal: Signal,
        done: &mut HashSet<Pgid>,
    ) -> bool {
        let free: Vec<Pgid> = groups_of(members)
            .into_iter()
            .filter(|pgid| !done.contains(pgid))
            .filter(|&pgid| !self.scopes[scope].anchors_in_group(pgid, members))
            .collect();
        if !free.is_empty() {
            self.signal_groups(scope, free, members, signal, done);
            return true;
        }
        let newcomers: Vec<&Process> = members
            .iter()
            .filter(|p| done.contains(&p.pgid) && !self.index.contains_key(&p.pid))
            .collect();
        for &process in &newcomers {
            let pidfd = self.scopes[scope].admit(process.pid);
            self.signal_process(process, pidfd, signal, Some(scope));
        }
        !newcomers.is_empty()
    }

    /// Signals `groups` of a session, children's groups first: a stopped
    /// group whose parent's group died before it would be orphaned, and
    /// the kernel would continue it (SIGHUP, SIGCONT) before its own
    /// signal.
    fn signal_groups(
        &mut self,
        scope: usize,
        groups: Vec<Pgid>,
        members: &[Process],
        signal: Signal,
        done: &mut HashSet<Pgid>,
    ) {
        for pgid in children_first(groups, members) {
            let group: Vec<Process> = members.iter().filter(|p| p.pgid == pgid).cloned().collect();
            self.signal_group(scope, pgid, &group, signal);
            done.insert(pgid);
        }
    }

    pub(super) fn record(
        &mut self,
        process: &Process,
        outcome: Outcome,
        pidfd: Option<PidFd>,
        signal: Signal,
        scope: Option<usize>,
    ) {
        let i = match self.index.get(&process.pid) {
            // A later signal (escalation, a second target) updates the entry.
            Some(&i) if self.entries[i].process.starttime == process.starttime => {
                let entry = &mut self.entries[i];
                if entry.outcome != Outcome::Signalled || outcome == Outcome::Signalled {
                    entry.outcome = outcome;
                }
                if pidfd.is_some() {
                    entry.pidfd = pidfd;
                    entry.watched = false;
                    entry.checked = true;
                }
                i
            }
            _ => {
                self.index.insert(process.pid, self.entries.len());
                self.entries.push(Entry {
                    process: process.clone(),
                    outcome,
                    pidfd,
                    watched: false,
                    checked: true,
                    scope,
                    escaped: self.sealing.is_some_and(|sid| process.sid != sid),
                    end: Default::default(),
                });
                self.entries.len() - 1
            }
        };
        if let Some(callback) = &mut self.on_signal {
            callback(&self.entries[i], signal);
        }
        self.note_for_certificate(process, signal);
    }
}

/// Whether `pid` ignores `signal` (its `SigIgn` mask in /proc).
fn ignores(pid: Pid, signal: Signal) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            let mask = status
                .lines()
                .find_map(|line| line.strip_prefix("SigIgn:"))?;
            u64::from_str_radix(mask.trim(), 16).ok()
        })
        .is_some_and(|mask| mask & (1 << (signal.number() - 1)) != 0)
}
