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

mod kill;
mod resolve;
mod stop;
mod wait;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crate::pidfd::{Opened, PidFd, Watch};
use crate::{Fields, Pgid, Pid, Process, Result, Sid, Signal, Snapshot};

use kill::{group_exists, kill_group, outcome_of};
pub use resolve::{resolve, Plan, Refusal, Relation};
use stop::{children_first, groups_of, stop_session, BlockedSignals};

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
