//! Resolving targets and delivering signals to them, race-safely, then
//! waiting for them to exit.
//!
//! - A process (`--pid`) is signalled through a pidfd opened before its
//!   start time is checked, so a reused PID is never hit.
//! - A group (`--pgid`) gets one `kill(-pgid)`, atomic in the kernel, after
//!   a member confirms the group still exists (a live group's id cannot be
//!   reused).
//! - A session (`--sid`) has no kernel call: it is the union of its groups.
//!   For a terminating signal every group is first stopped (SIGSTOP), in
//!   rounds until a rescan finds no new group, so that nothing can fork
//!   away; then signalled; then continued (SIGCONT). The terminal-generated
//!   signals that would interrupt pgkill are blocked meanwhile, so nothing
//!   is left stopped.
//! - Waiting uses one pidfd per process in an epoll set, never
//!   `kill(pid, 0)` (fooled by zombies and reused PIDs).
//!
//! ```no_run
//! use std::time::Duration;
//! use procgroup::deliver::{self, Delivery, Target};
//! use procgroup::{Fields, Sid, Signal, Snapshot};
//!
//! // End session 4242: TERM to every group, SIGKILL after 2 s, wait until empty.
//! let snapshot = Snapshot::read(Fields::default())?;
//! let plan = deliver::resolve(&snapshot, &[Target::Sid(Sid::from_raw(4242))]);
//! if let Some(refusal) = plan.refusal(&snapshot) {
//!     panic!("refusing to signal {refusal}");
//! }
//! let mut delivery = Delivery::new(Signal::TERM);
//! delivery.send(&plan)?;
//! let emptied = delivery.wait(None, Some(Duration::from_secs(2)))?;
//! # Ok::<(), procgroup::Error>(())
//! ```

use std::collections::{HashMap, HashSet};
use std::io;
use std::time::{Duration, Instant};

use crate::pidfd::{Opened, PidFd, Watch};
use crate::{Error, Fields, Pgid, Pid, Process, Result, Sid, Signal, Snapshot};

/// What to signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// One process.
    Pid(Pid),
    /// Every member of a process group.
    Pgid(Pgid),
    /// Every member of every group of a session.
    Sid(Sid),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Pid(pid) => write!(f, "process {pid}"),
            Target::Pgid(pgid) => write!(f, "group {pgid}"),
            Target::Sid(sid) => write!(f, "session {sid}"),
        }
    }
}

impl Target {
    fn contains(self, process: &Process) -> bool {
        match self {
            Target::Pid(pid) => process.pid == pid,
            Target::Pgid(pgid) => process.pgid == pgid,
            Target::Sid(sid) => process.sid == sid,
        }
    }
}

/// What became of one targeted process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The signal was delivered (and, without waiting, that is all we know).
    Signalled,
    /// It exited after the signal (with waiting).
    Exited,
    /// It was still alive when waiting ended.
    Survived,
    /// The kernel refused the signal (EPERM).
    PermissionDenied,
    /// It was gone (or its PID reused) before the signal.
    Vanished,
}

impl Outcome {
    /// The word used in reports: `signalled`, `permission-denied`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Signalled => "signalled",
            Outcome::Exited => "exited",
            Outcome::Survived => "survived",
            Outcome::PermissionDenied => "permission-denied",
            Outcome::Vanished => "vanished",
        }
    }
}

/// One targeted process and what became of it.
#[derive(Debug)]
pub struct Entry {
    /// The process as resolved.
    pub process: Process,
    /// What became of it.
    pub outcome: Outcome,
    /// Held while waiting.
    pidfd: Option<PidFd>,
    /// Whether `pidfd` is in the delivery's [`Watch`].
    watched: bool,
    /// Whether `pidfd` is known to be this process (else it was opened
    /// for its PID and not checked yet: see [`Delivery::confirm`]).
    checked: bool,
}

/// Targets resolved against a snapshot: what would be signalled.
#[derive(Debug)]
pub struct Plan {
    targets: Vec<(Target, Vec<Process>)>,
    /// A pidfd for each `--pid` target, opened as it was resolved: from
    /// then on the PID may be reused, the fd still means that process.
    pinned: HashMap<Pid, PidFd>,
}

/// Why a plan must not be carried out without `--force`.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The target refused.
    pub target: Target,
    /// The protected process the target contains.
    pub process: Process,
    /// What the protected process is to the caller.
    pub relation: Relation,
}

/// Why a process is protected from a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// It is the caller.
    Caller,
    /// It is the caller's parent, grandparent, …
    Ancestor,
    /// It is pid 1, the init of the PID namespace (of a container, say),
    /// even when the caller does not descend from it (`nsenter`, `docker exec`).
    Init,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let relation = match self.relation {
            Relation::Caller => "the caller itself",
            Relation::Ancestor => "an ancestor of the caller",
            Relation::Init => "the init of this PID namespace",
        };
        let verb = if matches!(self.target, Target::Pid(_)) {
            "is"
        } else {
            "contains"
        };
        write!(
            f,
            "{}: it {verb} {relation} (pid {}, {})",
            self.target,
            self.process.pid,
            String::from_utf8_lossy(&self.process.comm)
        )
    }
}

/// Resolves targets against a snapshot. Kernel threads are never targets.
///
/// A process target is pinned at once with a pidfd checked against the
/// snapshot's start time (which has the kernel's tick resolution, 10 ms:
/// pinning right away leaves no room for a reuse that it could not see).
pub fn resolve(snapshot: &Snapshot, targets: &[Target]) -> Plan {
    let mut pinned = HashMap::new();
    let targets = targets
        .iter()
        .map(|&target| {
            let mut members: Vec<Process> = snapshot
                .processes()
                .iter()
                .filter(|p| !p.kernel_thread && target.contains(p))
                .cloned()
                .collect();
            if let Target::Pid(pid) = target {
                // Gone already (or not ours to see): the target matches nothing.
                members.retain(|p| match PidFd::open(p.pid, p.starttime) {
                    Ok(Opened::Same(pidfd)) => {
                        pinned.insert(pid, pidfd);
                        true
                    }
                    _ => false,
                });
            }
            (target, members)
        })
        .collect();
    Plan { targets, pinned }
}

impl Plan {
    /// Each target with the processes it matched.
    pub fn targets(&self) -> impl Iterator<Item = (Target, &[Process])> {
        self.targets
            .iter()
            .map(|(target, members)| (*target, members.as_slice()))
    }

    /// The targets that matched no process.
    pub fn unmatched(&self) -> impl Iterator<Item = Target> + '_ {
        self.targets()
            .filter(|(_, members)| members.is_empty())
            .map(|(t, _)| t)
    }

    /// Every matched process once, ordered by sid, pgid, pid.
    pub fn processes(&self) -> Vec<&Process> {
        let mut seen = HashSet::new();
        let mut all: Vec<&Process> = self
            .targets
            .iter()
            .flat_map(|(_, members)| members)
            .filter(|p| seen.insert(p.pid))
            .collect();
        all.sort_by_key(|p| (p.sid, p.pgid, p.pid));
        all
    }

    /// The first target that contains the caller, one of its ancestors
    /// (the calling shell), or pid 1, if any.
    pub fn refusal(&self, snapshot: &Snapshot) -> Option<Refusal> {
        let me = Pid::current();
        let init = Pid::from_raw(1);
        let mut protected: Vec<(&Process, Relation)> = snapshot
            .ancestry(me)
            .map(|p| {
                let relation = match p.pid {
                    pid if pid == me => Relation::Caller,
                    pid if pid == init => Relation::Init,
                    _ => Relation::Ancestor,
                };
                (p, relation)
            })
            .collect();
        if let Some(process) = snapshot.get(init) {
            if !protected.iter().any(|(p, _)| p.pid == init) {
                protected.push((process, Relation::Init));
            }
        }
        for (target, _) in &self.targets {
            for &(process, relation) in &protected {
                if target.contains(process) {
                    return Some(Refusal {
                        target: *target,
                        process: process.clone(),
                        relation,
                    });
                }
            }
        }
        None
    }
}

/// Told of every process signalled (or refused), for `--verbose`.
pub type Observer = dyn FnMut(&Process, Signal, Outcome);

/// Signals sent and their outcomes, kept to wait on and to report.
pub struct Delivery {
    signal: Signal,
    entries: Vec<Entry>,
    /// pid -> index in `entries`.
    index: HashMap<Pid, usize>,
    /// The groups and sessions targeted, rescanned for newcomers.
    scopes: Vec<Target>,
    /// Called with each entry as it is signalled (for `--verbose`).
    on_signal: Option<Box<Observer>>,
    /// Whether SIGKILL was sent (`kill_after`): newcomers get it too.
    escalated: bool,
    /// The pidfds being waited on.
    watch: Option<Watch>,
    /// Entries whose watched pidfd was opened without checking that it is
    /// theirs (see [`Delivery::watch_pending`]).
    unchecked: Vec<usize>,
}

impl Delivery {
    /// A delivery of `signal`; nothing is sent until [`Delivery::send`].
    pub fn new(signal: Signal) -> Delivery {
        Delivery {
            signal,
            entries: Vec::new(),
            index: HashMap::new(),
            scopes: Vec::new(),
            on_signal: None,
            escalated: false,
            watch: None,
            unchecked: Vec::new(),
        }
    }

    /// Calls `callback` for every process signalled (or refused).
    pub fn on_signal(
        mut self,
        callback: impl FnMut(&Process, Signal, Outcome) + 'static,
    ) -> Delivery {
        self.on_signal = Some(Box::new(callback));
        self
    }

    /// The processes targeted and their outcomes, ordered by sid, pgid, pid.
    pub fn entries(&self) -> Vec<&Entry> {
        let mut entries: Vec<&Entry> = self.entries.iter().collect();
        entries.sort_by_key(|e| (e.process.sid, e.process.pgid, e.process.pid));
        entries
    }

    /// Signals every target of the plan.
    pub fn send(&mut self, plan: &Plan) -> Result<()> {
        let me = Pid::current();
        for (target, members) in plan.targets() {
            match target {
                Target::Pid(pid) => {
                    for process in members {
                        let pidfd = plan.pinned.get(&pid).and_then(|fd| fd.try_clone().ok());
                        self.signal_process(process, pidfd, self.signal);
                    }
                }
                Target::Pgid(pgid) => {
                    self.scopes.push(target);
                    self.signal_group(pgid, members, self.signal);
                }
                Target::Sid(sid) => {
                    self.scopes.push(target);
                    // Never stop the group pgkill runs in (only possible
                    // with --force): nobody would continue it.
                    let stop_first = self.signal.terminates()
                        && self.signal != Signal::KILL
                        && self.signal != Signal::STOP
                        && !members.iter().any(|p| p.pid == me);
                    self.signal_session(sid, members.to_vec(), self.signal, stop_first)?;
                }
            }
        }
        Ok(())
    }

    /// Signals one process through its pinned pidfd.
    fn signal_process(&mut self, process: &Process, pidfd: Option<PidFd>, signal: Signal) {
        match pidfd {
            Some(pidfd) => {
                let outcome = outcome_of(pidfd.send(signal));
                self.record(process, outcome, Some(pidfd), signal);
            }
            None => self.record(process, Outcome::Vanished, None, signal),
        }
    }

    /// Signals a group with one `kill(-pgid)` once a member confirms the
    /// group still exists; records every member.
    fn signal_group(&mut self, pgid: Pgid, members: &[Process], signal: Signal) {
        let outcome = if group_exists(pgid, members) {
            outcome_of(kill_group(pgid, signal))
        } else {
            Outcome::Vanished
        };
        for process in members {
            self.record(process, outcome, None, signal);
        }
    }

    /// Signals every group of a session, rescanning until no new group
    /// appears; with `stop_first`, freezes the session first.
    ///
    /// A stopped group must never outlive, stopped, the parent that ties it
    /// to the session: the kernel then sends the orphaned group SIGHUP (and
    /// SIGCONT), and its processes die of the wrong signal. So groups are
    /// stopped parents first (a job-control shell whose job stops before it
    /// does returns from `wait` and may exit); the signal goes out only once
    /// every process has stopped (one whose SIGSTOP is still pending takes a
    /// lower-numbered signal such as SIGTERM first, and dies at once); and
    /// groups are continued children first.
    fn signal_session(
        &mut self,
        sid: Sid,
        members: Vec<Process>,
        signal: Signal,
        stop_first: bool,
    ) -> Result<()> {
        let _blocked = stop_first.then(BlockedSignals::new);
        let mut stopped: Vec<Pgid> = Vec::new();
        let mut members = members;
        let mut result = Ok(());
        if stop_first {
            result = stop_session(sid, &mut members, &mut stopped);
        }
        let continue_order = children_first(stopped, &members);
        if result.is_ok() {
            result = self.signal_session_groups(sid, members, signal);
        }
        // Nothing is left stopped, whatever failed.
        for pgid in continue_order {
            let _ = kill_group(pgid, Signal::CONT);
        }
        result
    }

    /// Signals every group of the session not yet signalled, rescanning
    /// until a rescan finds none.
    fn signal_session_groups(
        &mut self,
        sid: Sid,
        mut members: Vec<Process>,
        signal: Signal,
    ) -> Result<()> {
        let mut done: HashSet<Pgid> = HashSet::new();
        for _ in 0..MAX_ROUNDS {
            let fresh: Vec<Pgid> = groups_of(&members)
                .into_iter()
                .filter(|pgid| !done.contains(pgid))
                .collect();
            if fresh.is_empty() {
                // Newcomers in groups already signalled: a process forked
                // after its group's kill() did not get the signal (nor did
                // one whose group's signal found it gone), so each gets it
                // now, through a pidfd.
                for process in &members {
                    if !self.index.contains_key(&process.pid) {
                        let pidfd = match PidFd::open(process.pid, process.starttime) {
                            Ok(Opened::Same(pidfd)) => Some(pidfd),
                            _ => None,
                        };
                        self.signal_process(process, pidfd, signal);
                    }
                }
                return Ok(());
            }
            for pgid in fresh {
                let group: Vec<Process> =
                    members.iter().filter(|p| p.pgid == pgid).cloned().collect();
                self.signal_group(pgid, &group, signal);
                done.insert(pgid);
            }
            members = session_members(sid)?;
        }
        Ok(())
    }

    fn record(
        &mut self,
        process: &Process,
        outcome: Outcome,
        pidfd: Option<PidFd>,
        signal: Signal,
    ) {
        if let Some(callback) = &mut self.on_signal {
            callback(process, signal, outcome);
        }
        match self.index.get(&process.pid) {
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
            }
            _ => {
                self.index.insert(process.pid, self.entries.len());
                self.entries.push(Entry {
                    process: process.clone(),
                    outcome,
                    pidfd,
                    watched: false,
                    checked: true,
                });
            }
        }
    }

    /// Waits until every signalled process has exited (a zombie has), and
    /// the targeted groups and sessions have no live member left. With
    /// `kill_after`, whatever is alive that long after the signal gets
    /// SIGKILL. Returns whether everything is gone; those still alive when
    /// `timeout` passes are marked [`Outcome::Survived`].
    pub fn wait(
        &mut self,
        timeout: Option<Duration>,
        kill_after: Option<Duration>,
    ) -> Result<bool> {
        let start = Instant::now();
        let deadline = timeout.map(|t| start + t);
        let mut kill_at = kill_after.map(|t| start + t);
        raise_fd_limit();
        loop {
            let mut pending = self.pending();
            if pending.is_empty() {
                // Everything known is gone: anything new in the scopes?
                if !self.signal_newcomers()? {
                    return Ok(true);
                }
                pending = self.pending();
            }
            let now = Instant::now();
            if kill_at.is_some_and(|at| now >= at) {
                kill_at = None;
                self.escalate()?;
                continue;
            }
            if deadline.is_some_and(|at| now >= at) {
                for i in pending {
                    self.entries[i].outcome = Outcome::Survived;
                }
                return Ok(false);
            }
            if pending.is_empty() {
                // Newcomers, gone again before their signal: look again.
                continue;
            }
            let wake = [deadline, kill_at].into_iter().flatten().min();
            self.poll_pending(&pending, wake.map(|at| at.saturating_duration_since(now)))?;
        }
    }

    /// The entries still to wait for.
    fn pending(&self) -> Vec<usize> {
        (0..self.entries.len())
            .filter(|&i| self.entries[i].outcome == Outcome::Signalled)
            .collect()
    }

    /// Waits on the pending processes' pidfds (opening them as the fd limit
    /// allows) and marks those that exited.
    fn poll_pending(&mut self, pending: &[usize], timeout: Option<Duration>) -> Result<()> {
        let watch = match self.watch.take() {
            Some(watch) => watch,
            None => Watch::new().map_err(|error| Error::os("epoll_create1", error))?,
        };
        let result = self.watch_pending(&watch, pending, timeout);
        self.watch = Some(watch);
        result
    }

    fn watch_pending(
        &mut self,
        watch: &Watch,
        pending: &[usize],
        timeout: Option<Duration>,
    ) -> Result<()> {
        let budget = fd_budget();
        let mut watched = 0;
        let mut gone = false;
        for &i in pending {
            if watched == budget {
                break;
            }
            let entry = &mut self.entries[i];
            if !entry.watched {
                let pidfd = match entry.pidfd.take() {
                    Some(pidfd) => pidfd,
                    None => match PidFd::open_unchecked(entry.process.pid) {
                        Ok(Some(pidfd)) => {
                            entry.checked = false;
                            self.unchecked.push(i);
                            pidfd
                        }
                        // Gone.
                        Ok(None) => {
                            entry.outcome = Outcome::Exited;
                            gone = true;
                            continue;
                        }
                        Err(error) => return Err(Error::os("pidfd_open", error)),
                    },
                };
                let added = watch.add(&pidfd, i as u64);
                entry.pidfd = Some(pidfd);
                added.map_err(|error| Error::os("epoll_ctl", error))?;
                entry.watched = true;
            }
            watched += 1;
        }
        gone |= self.take_exited(watch, Some(Duration::ZERO)) > 0;
        if gone {
            // Progress already: let the caller look again before blocking.
            return Ok(());
        }
        if !self.unchecked.is_empty() {
            // The pidfds opened without a check are checked a batch at a
            // time between looks for exits, and nothing blocks until all
            // are. One whose process exits first needs no check: whoever
            // has the PID has exited, and if that is not our process, ours
            // had exited before its PID could be reused. In a group that is
            // dying, most go before their turn.
            let batch = self.unchecked.len().saturating_sub(CHECK_BATCH);
            for i in self.unchecked.split_off(batch) {
                if self.entries[i].outcome == Outcome::Signalled {
                    self.confirm(i);
                }
            }
            return Ok(());
        }
        self.take_exited(watch, timeout);
        Ok(())
    }

    /// Whether entry `i`'s pidfd is that process: checked now if it was
    /// opened without a check (its start time read after the open, as
    /// [`PidFd::open`] does). If its PID belongs to someone else, the
    /// process has exited: it is marked so, and its pidfd closed (which
    /// takes it out of the watch).
    fn confirm(&mut self, i: usize) -> bool {
        let entry = &mut self.entries[i];
        let Some(pidfd) = &entry.pidfd else {
            return false;
        };
        if entry.checked {
            return true;
        }
        if pidfd.started_at(entry.process.pid, entry.process.starttime) {
            entry.checked = true;
            return true;
        }
        entry.outcome = Outcome::Exited;
        entry.pidfd = None;
        entry.watched = false;
        false
    }

    /// Marks the watched processes that have exited, waiting up to
    /// `timeout` for one; returns how many.
    fn take_exited(&mut self, watch: &Watch, timeout: Option<Duration>) -> usize {
        let exited = watch.wait(timeout);
        for &token in &exited {
            let entry = &mut self.entries[token as usize];
            entry.outcome = Outcome::Exited;
            entry.pidfd = None;
            entry.watched = false;
        }
        exited.len()
    }

    /// Signals live processes that joined the targeted groups or sessions
    /// after the signal (with SIGKILL once escalated); returns whether
    /// there were any, even if they were gone again before their signal:
    /// they may have forked others meanwhile.
    fn signal_newcomers(&mut self) -> Result<bool> {
        let emptied = |scope: &Target| matches!(*scope, Target::Pgid(pgid) if group_is_gone(pgid));
        if self.scopes.iter().all(emptied) {
            // No scan needed: nothing is left to fork a newcomer.
            return Ok(false);
        }
        let snapshot = Snapshot::read(Fields::default())?;
        let signal = if self.escalated {
            Signal::KILL
        } else {
            self.signal
        };
        let mut found = false;
        for scope in self.scopes.clone() {
            let newcomers: Vec<Process> = snapshot
                .processes()
                .iter()
                .filter(|p| !p.kernel_thread && !p.is_zombie() && scope.contains(p))
                .filter(|p| !self.is_known_exited(p))
                .cloned()
                .collect();
            if newcomers.is_empty() {
                continue;
            }
            found = true;
            match scope {
                Target::Pgid(pgid) => self.signal_group(pgid, &newcomers, signal),
                Target::Sid(sid) => self.signal_session_groups(sid, newcomers, signal)?,
                Target::Pid(_) => {}
            }
        }
        Ok(found || created_since(&snapshot, &self.scopes))
    }

    fn is_known_exited(&self, process: &Process) -> bool {
        self.index.get(&process.pid).is_some_and(|&i| {
            let entry = &self.entries[i];
            entry.process.starttime == process.starttime && entry.outcome != Outcome::Signalled
        })
    }

    /// SIGKILL for everything still alive: each pending process through its
    /// pidfd, and every targeted group and session again (newcomers too).
    fn escalate(&mut self) -> Result<()> {
        self.escalated = true;
        for i in self.pending() {
            if self.entries[i].pidfd.is_some() && !self.confirm(i) {
                // Gone: its PID belongs to someone else.
                continue;
            }
            let entry = &self.entries[i];
            if let Some(pidfd) = &entry.pidfd {
                let _ = pidfd.send(Signal::KILL);
            } else if let Ok(Opened::Same(pidfd)) =
                PidFd::open(entry.process.pid, entry.process.starttime)
            {
                let _ = pidfd.send(Signal::KILL);
            }
        }
        for scope in self.scopes.clone() {
            match scope {
                Target::Pgid(pgid) => {
                    let snapshot = Snapshot::read(Fields::default())?;
                    let members: Vec<Process> = snapshot
                        .processes()
                        .iter()
                        .filter(|p| p.pgid == pgid)
                        .cloned()
                        .collect();
                    self.signal_group(pgid, &members, Signal::KILL);
                }
                Target::Sid(sid) => {
                    let members = session_members(sid)?;
                    self.signal_session_groups(sid, members, Signal::KILL)?;
                }
                Target::Pid(_) => {}
            }
        }
        Ok(())
    }
}

/// Resolves `target` on a fresh snapshot and signals it.
pub fn signal(target: Target, signal: Signal) -> Result<Delivery> {
    let snapshot = Snapshot::read(Fields::default())?;
    let mut delivery = Delivery::new(signal);
    delivery.send(&resolve(&snapshot, &[target]))?;
    Ok(delivery)
}

/// Signals every process of a group or session and waits until none is
/// left, escalating to SIGKILL after `kill_after` (for `setsid-run
/// --timeout` and `--cleanup`). Returns whether it emptied in time.
pub fn end(
    target: Target,
    with: Signal,
    kill_after: Option<Duration>,
    timeout: Option<Duration>,
) -> Result<bool> {
    signal(target, with)?.wait(timeout, kill_after)
}

/// How many pidfds opened without a check are checked between two looks
/// for exits.
const CHECK_BATCH: usize = 32;

/// How many rescans a session or a stop phase may take before giving up.
const MAX_ROUNDS: usize = 1000;

/// The live members of a session, rescanned.
fn session_members(sid: Sid) -> Result<Vec<Process>> {
    let snapshot = Snapshot::read(Fields::default())?;
    Ok(snapshot
        .processes()
        .iter()
        .filter(|p| p.sid == sid && !p.kernel_thread && !p.is_zombie())
        .cloned()
        .collect())
}

/// Whether a live process of `scopes` was created while `snapshot` was
/// being read, or since. A process can fork a successor and exit between
/// the listing of /proc and the read of its stat, and then the snapshot
/// holds neither; the successor has a higher pid than everything listed
/// before it (barring a wrap of the pid counter), so listing /proc again
/// finds it. Repeats until a listing shows no pid above the previous ones.
fn created_since(snapshot: &Snapshot, scopes: &[Target]) -> bool {
    let mut highest = snapshot.processes().last().map_or(0, |p| p.pid.as_raw());
    for _ in 0..MAX_ROUNDS {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return false;
        };
        let newer: Vec<i32> = entries
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
            .filter(|&pid| pid > highest)
            .collect();
        let Some(&top) = newer.iter().max() else {
            return false;
        };
        for pid in newer {
            let Some(stat) = crate::snapshot::read_stat_of(Pid::from_raw(pid)) else {
                continue;
            };
            let in_scope = scopes.iter().any(|scope| match *scope {
                Target::Pgid(pgid) => stat.pgrp == pgid.as_raw(),
                Target::Sid(sid) => stat.session == sid.as_raw(),
                Target::Pid(_) => false,
            });
            if in_scope && stat.state != b'Z' && !stat.is_kernel_thread() {
                return true;
            }
        }
        highest = top;
    }
    false
}

/// Stops every group of session `sid`, parents' groups before their
/// children's, in rounds until a rescan finds no group not yet stopped and
/// every member stopped (a stopped process cannot fork, so this converges).
/// `members` ends as the last rescan; `stopped` holds every group the
/// kernel accepted SIGSTOP for.
fn stop_session(sid: Sid, members: &mut Vec<Process>, stopped: &mut Vec<Pgid>) -> Result<()> {
    // Every group sent SIGSTOP, stopped or not: one the kernel refused
    // (EPERM) is not tried again round after round.
    let mut tried: HashSet<Pgid> = HashSet::new();
    for _ in 0..MAX_ROUNDS {
        let fresh: Vec<Pgid> = groups_of(members)
            .into_iter()
            .filter(|pgid| !tried.contains(pgid))
            .collect();
        if fresh.is_empty() {
            break;
        }
        for pgid in children_first(fresh, members).into_iter().rev() {
            tried.insert(pgid);
            // A group that vanished meanwhile needs no stopping.
            if kill_group(pgid, Signal::STOP).is_ok() {
                stopped.push(pgid);
            }
        }
        *members = session_members(sid)?;
        await_stopped(members);
    }
    Ok(())
}

/// How long to wait for signalled processes to reach the stopped state.
const STOP_PATIENCE: Duration = Duration::from_millis(100);

/// Waits until every process of `members` that pgkill may signal is
/// stopped (or gone), within [`STOP_PATIENCE`]: one in uninterruptible
/// sleep stops only when it wakes. The kernel tells nobody but the parent
/// when a process stops, so this reads /proc, the stat of those not yet
/// stopped, between short pauses.
fn await_stopped(members: &[Process]) {
    let stopped = |state: u8| matches!(state, b'T' | b't');
    let mut running: Vec<&Process> = members
        .iter()
        .filter(|p| !stopped(p.state))
        // A process pgkill may not signal was not stopped and never will be.
        .filter(|p| may_signal(p.pid))
        .collect();
    let start = Instant::now();
    while !running.is_empty() && start.elapsed() < STOP_PATIENCE {
        std::thread::sleep(Duration::from_micros(200));
        running.retain(|p| {
            crate::snapshot::read_stat_of(p.pid).is_some_and(|stat| {
                stat.starttime == p.starttime && !stopped(stat.state) && stat.state != b'Z'
            })
        });
    }
}

/// Whether the kernel lets the caller signal `pid` (a probe, not a wait).
fn may_signal(pid: Pid) -> bool {
    assert!(pid.is_valid(), "kill() with a pid that is not positive");
    errno_of(kill(pid.as_raw(), 0)) != Some(libc::EPERM)
}

/// `groups` ordered so that each comes before every group holding a parent
/// of one of its members (cycles between groups are broken by pgid).
fn children_first(mut groups: Vec<Pgid>, members: &[Process]) -> Vec<Pgid> {
    groups.sort();
    let group_of: HashMap<Pid, Pgid> = members.iter().map(|p| (p.pid, p.pgid)).collect();
    // parent group -> its child groups, both among `groups`.
    let mut children: HashMap<Pgid, HashSet<Pgid>> = HashMap::new();
    for process in members {
        if let Some(&parent) = group_of.get(&process.ppid) {
            if parent != process.pgid
                && groups.binary_search(&parent).is_ok()
                && groups.binary_search(&process.pgid).is_ok()
            {
                children.entry(parent).or_default().insert(process.pgid);
            }
        }
    }
    let mut order: Vec<Pgid> = Vec::with_capacity(groups.len());
    let mut placed: HashSet<Pgid> = HashSet::new();
    while order.len() < groups.len() {
        let ready: Vec<Pgid> = groups
            .iter()
            .filter(|g| !placed.contains(*g))
            .filter(|g| {
                children
                    .get(*g)
                    .is_none_or(|c| c.iter().all(|c| placed.contains(c)))
            })
            .copied()
            .collect();
        // None ready: a cycle; the lowest pgid left breaks it.
        let ready = if ready.is_empty() {
            groups
                .iter()
                .filter(|g| !placed.contains(*g))
                .take(1)
                .copied()
                .collect()
        } else {
            ready
        };
        placed.extend(ready.iter().copied());
        order.extend(ready);
    }
    order
}

/// The distinct valid groups of `members`, in order.
fn groups_of(members: &[Process]) -> Vec<Pgid> {
    let mut groups: Vec<Pgid> = members
        .iter()
        .map(|p| p.pgid)
        .filter(|g| g.is_valid())
        .collect();
    groups.sort();
    groups.dedup();
    groups
}

/// Whether a member seen in the snapshot is still there and still in the
/// group: then the group id cannot have been reused.
fn group_exists(pgid: Pgid, members: &[Process]) -> bool {
    members.iter().any(|member| {
        crate::snapshot::read_stat_of(member.pid)
            .is_some_and(|stat| stat.starttime == member.starttime && stat.pgrp == pgid.as_raw())
    })
}

/// Whether the kernel knows no process in group `pgid`, not even a zombie.
/// Then the group can get no newcomer: no member is left to fork one, and
/// setpgid() joins only a group that exists. (A process whose pid equals
/// `pgid` may found a new group of that id later; it is someone else.)
fn group_is_gone(pgid: Pgid) -> bool {
    assert!(
        pgid.is_valid(),
        "kill() with a group id that is not positive"
    );
    errno_of(kill(-pgid.as_raw(), 0)) == Some(libc::ESRCH)
}

/// `kill(-pgid, signal)`, only ever with a valid (positive) pgid.
fn kill_group(pgid: Pgid, signal: Signal) -> io::Result<()> {
    assert!(
        pgid.is_valid(),
        "kill() with a group id that is not positive"
    );
    kill(-pgid.as_raw(), signal.number())
}

/// kill(2); never with 0 or -1, which would reach every process of the
/// caller's group or every process it may signal.
fn kill(id: i32, signal: i32) -> io::Result<()> {
    assert!(id != 0 && id != -1, "kill() with {id}");
    // SAFETY: kill(2) has no memory effects; the id names one process or
    // one group.
    if unsafe { libc::kill(id, signal) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn errno_of(result: io::Result<()>) -> Option<i32> {
    result.err().and_then(|error| error.raw_os_error())
}

fn outcome_of(result: io::Result<()>) -> Outcome {
    match result {
        Ok(()) => Outcome::Signalled,
        Err(error) if error.raw_os_error() == Some(libc::EPERM) => Outcome::PermissionDenied,
        Err(_) => Outcome::Vanished,
    }
}

/// Blocks the signals that would interrupt pgkill (and the stop from a
/// terminal) while a session is stopped, so that pgkill always continues
/// what it stopped; the pending ones arrive when this is dropped.
struct BlockedSignals {
    previous: nix::sys::signal::SigSet,
}

impl BlockedSignals {
    fn new() -> BlockedSignals {
        use nix::sys::signal::{SigSet, Signal as S};
        let mut set = SigSet::empty();
        for signal in [
            S::SIGINT,
            S::SIGTERM,
            S::SIGHUP,
            S::SIGQUIT,
            S::SIGTSTP,
            S::SIGTTIN,
            S::SIGTTOU,
            S::SIGPIPE,
            S::SIGALRM,
            S::SIGUSR1,
            S::SIGUSR2,
        ] {
            set.add(signal);
        }
        let previous = set
            .thread_swap_mask(nix::sys::signal::SigmaskHow::SIG_BLOCK)
            .unwrap_or_else(|_| SigSet::empty());
        BlockedSignals { previous }
    }
}

impl Drop for BlockedSignals {
    fn drop(&mut self) {
        let _ = self.previous.thread_set_mask();
    }
}

/// Raises the soft limit on open files to the hard limit: one pidfd per
/// waited process.
fn raise_fd_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}

/// How many pidfds may be open at once, leaving room for other files.
fn fd_budget() -> usize {
    use nix::sys::resource::{getrlimit, Resource};
    let soft = getrlimit(Resource::RLIMIT_NOFILE).map_or(1024, |(soft, _)| soft);
    usize::try_from(soft)
        .unwrap_or(usize::MAX)
        .saturating_sub(64)
        .max(16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::tests::process;

    fn pgids(raw: &[i32]) -> Vec<Pgid> {
        raw.iter().map(|&g| Pgid::from_raw(g)).collect()
    }

    #[test]
    fn children_groups_come_before_their_parents() {
        // A shell (group 10) with a job (group 30) whose child leads group
        // 20; group 30 also holds a deep pipeline, so depth alone would
        // put it first, before its child group 20.
        let members = [
            process(10, 1, 10, 10, "sh"),
            process(30, 10, 30, 10, "job"),
            process(31, 30, 30, 10, "stage"),
            process(32, 31, 30, 10, "stage"),
            process(33, 32, 30, 10, "stage"),
            process(20, 30, 20, 10, "child"),
            process(40, 10, 40, 10, "other"),
        ];
        let order = children_first(pgids(&[10, 20, 30, 40]), &members);
        let at = |g: i32| order.iter().position(|&p| p == Pgid::from_raw(g)).unwrap();
        assert_eq!(order.len(), 4);
        assert!(at(20) < at(30), "{order:?}");
        assert!(at(30) < at(10) && at(40) < at(10), "{order:?}");
    }

    #[test]
    fn cycles_between_groups_still_give_every_group_once() {
        // 5 and 7 each hold a parent of the other's member.
        let members = [
            process(5, 1, 5, 5, "a"),
            process(7, 5, 7, 5, "b"),
            process(8, 7, 5, 5, "c"),
        ];
        let mut order = children_first(pgids(&[7, 5]), &members);
        order.sort();
        assert_eq!(order, pgids(&[5, 7]));
        // Groups outside the list are ignored, not added.
        assert_eq!(children_first(pgids(&[7]), &members), pgids(&[7]));
    }
}
