//! Resolving targets and delivering signals to them, race-safely, then
//! waiting for them to exit.
//!
//! - A process (`--pid`) is pinned with a pidfd before the process table
//!   is read, so that what identifies it is read from the process the fd
//!   holds; it is signalled through that fd: a reused PID is never hit.
//! - A group (`--pgid`) gets one `kill(-pgid)`, atomic in the kernel.
//! - A session (`--sid`) has no kernel call: it is the union of its groups.
//!   For a terminating signal the session is first frozen, in rounds until
//!   a rescan finds nothing new, so that nothing can fork away; then
//!   signalled; then let go. The freeze is invisible where the kernel lets
//!   the caller trace the session (`trace`: ptrace, as CRIU does); else
//!   every group is stopped with SIGSTOP and continued after (`stop`).
//!   Every signal that can be held back is blocked meanwhile.
//! - A stopped target that does not ignore a terminating signal is
//!   continued after it, so that the signal takes effect.
//! - A group or session id is signalled by number only while it is proven
//!   to be the one targeted, without a gap: a member verified in it is
//!   still held by a pidfd (`scope`), or a leader's pidfd still reaches a
//!   member of its group (`PIDFD_SIGNAL_PROCESS_GROUP`, Linux 6.9: it never
//!   reaches a later group of the same number). An id that was empty once
//!   may be someone else's; it is never signalled again.
//! - A sealed session (`setsid-run --seal`) is reached through its cgroup
//!   leaf, which holds the processes that left it too (`seal`): frozen,
//!   each member signalled through a pidfd, thawed; gone at `populated 0`.
//!   Any leaf can be signalled so ([`Delivery::send_leaf`]).
//! - A group whose members need not be known before the signal (no dry
//!   run, no report of each) is resolved without listing /proc
//!   ([`resolve_lean`]): its leader, pinned, proves it live; the refusal
//!   rules read the caller's ancestors and pid 1 only; the members are
//!   found after `kill(-pgid)`, by the scan that waiting needs anyway.
//! - What each member of a group got is the kernel's rule applied to it
//!   (`permission`), not the success of `kill(-pgid)`.
//! - Waiting uses one pidfd per process in an epoll set, never
//!   `kill(pid, 0)` (fooled by zombies and reused PIDs); while it waits,
//!   what joins a target after the signal (a child forked in a handler) is
//!   looked for and signalled too. With [`Delivery::certify`], it tells
//!   how each process ended (`exit`, Linux 6.15).
//!
//! ```no_run
//! use std::time::Duration;
//! use procgroup::deliver::{self, Delivery, Target};
//! use procgroup::{Sid, Signal};
//!
//! // End session 4242: TERM to every group, SIGKILL after 2 s, wait until empty.
//! let plan = deliver::resolve(&[Target::Sid(Sid::from_raw(4242))])?;
//! if let Some(refusal) = plan.refusal() {
//!     panic!("refusing to signal {refusal}");
//! }
//! let mut delivery = Delivery::new(Signal::TERM);
//! delivery.send(&plan)?;
//! let emptied = delivery.wait(None, Some(Duration::from_secs(2)))?;
//! # Ok::<(), procgroup::Error>(())
//! ```

mod exit;
mod identity;
mod kill;
mod permission;
mod resolve;
mod scope;
mod seal;
mod send;
mod stop;
mod trace;
mod wait;

use std::collections::HashMap;
use std::time::Duration;

use crate::pidfd::{PidFd, Watch};
use crate::stat::Stat;
use crate::{Fields, Pgid, Pid, Process, Result, Sid, Signal, Snapshot};

pub use identity::resolve_identified;
use permission::Permission;
pub use resolve::{resolve, resolve_lean, Plan, Refusal, Relation};
use scope::Scope;

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
    /// Whether a snapshot's `process` is in this target.
    fn contains(self, process: &Process) -> bool {
        match self {
            Target::Pid(pid) => process.pid == pid,
            Target::Pgid(pgid) => process.pgid == pgid,
            Target::Sid(sid) => process.sid == sid,
        }
    }

    /// Whether the kernel knows this target although the process table
    /// showed none of it: /proc hides other users' processes (`hidepid`).
    /// A session is known by its leader.
    pub fn is_hidden(self) -> bool {
        match self {
            Target::Pid(pid) => kill::exists(pid.as_raw()),
            // kill(-1) is every process, not group 1.
            Target::Pgid(pgid) => pgid.as_raw() > 1 && kill::exists(-pgid.as_raw()),
            Target::Sid(sid) => {
                // SAFETY: getsid(2) only reads the process's session id.
                kill::exists(sid.as_raw()) && unsafe { libc::getsid(sid.as_raw()) } == sid.as_raw()
            }
        }
    }

    /// Whether the process a fresh `stat` describes is in this target.
    fn holds(self, stat: &Stat) -> bool {
        !stat.is_kernel_thread()
            && match self {
                Target::Pid(pid) => stat.pid == pid.as_raw(),
                Target::Pgid(pgid) => stat.pgrp == pgid.as_raw(),
                Target::Sid(sid) => stat.session == sid.as_raw(),
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
    /// The index of the group or session it was signalled as part of.
    scope: Option<usize>,
    /// Whether it was reached through its session's seal (the cgroup leaf
    /// of `setsid-run --seal`) although it had left the session.
    pub escaped: bool,
    /// How it ended, when asked for (`exit`).
    end: exit::End,
}

/// Told of every process signalled (or refused), for `--verbose`.
pub type Observer = dyn FnMut(&Entry, Signal);

/// Signals sent and their outcomes, kept to wait on and to report.
pub struct Delivery {
    signal: Signal,
    entries: Vec<Entry>,
    /// pid -> index in `entries`.
    index: HashMap<Pid, usize>,
    /// The groups and sessions targeted, rescanned for newcomers while
    /// they are proven to be the ones targeted.
    scopes: Vec<Scope>,
    /// Whom the kernel lets the caller signal.
    permission: Permission,
    /// Why sessions are frozen with SIGSTOP rather than with ptrace (once
    /// ptrace was refused), and whether one was.
    freeze: Option<String>,
    stopped_visibly: bool,
    /// Threads of frozen sessions that had not reached their stop when
    /// the session was let go (a vfork parent whose child left the
    /// session, say): let go as each stops, while waiting.
    late: Vec<trace::Freeze>,
    /// Called with each entry as it is signalled (for `--verbose`).
    on_signal: Option<Box<Observer>>,
    /// Whether SIGKILL was sent (`kill_after`): newcomers get it too.
    escalated: bool,
    /// The pidfds being waited on.
    watch: Option<Watch>,
    /// Entries whose watched pidfd was opened without checking that it is
    /// theirs (see [`Delivery::watch_pending`]).
    unchecked: Vec<usize>,
    /// The cgroup leaves signalled (sealed sessions, `--cgroup`), waited
    /// for until empty and then removed.
    leaves: Vec<seal::Sealed>,
    /// While a sealed session is signalled, its id: a member in another
    /// session is an escapee.
    sealing: Option<Sid>,
    /// The clock tick (see [`ticks_since_boot`]) when the first signal
    /// went out: a process started since then, or just before, may have
    /// been between its fork and its exec when signalled.
    sent_at: Option<u64>,
    /// What tells how each process ended, when asked for (`exit`).
    certificates: exit::Certificates,
}

impl Delivery {
    /// A delivery of `signal`; nothing is sent until [`Delivery::send`].
    pub fn new(signal: Signal) -> Delivery {
        Delivery {
            signal,
            entries: Vec::new(),
            index: HashMap::new(),
            scopes: Vec::new(),
            permission: Permission::of_caller(),
            freeze: None,
            stopped_visibly: false,
            late: Vec::new(),
            on_signal: None,
            escalated: false,
            watch: None,
            unchecked: Vec::new(),
            leaves: Vec::new(),
            sealing: None,
            sent_at: None,
            certificates: exit::Certificates::default(),
        }
    }

    /// Calls `callback` for every process signalled (or refused).
    pub fn on_signal(mut self, callback: impl FnMut(&Entry, Signal) + 'static) -> Delivery {
        self.on_signal = Some(Box::new(callback));
        self
    }

    /// Why a session was frozen with SIGSTOP, which its shells see, rather
    /// than invisibly with ptrace; `None` when it was not.
    pub fn visible_freeze(&self) -> Option<&str> {
        self.freeze.as_deref().filter(|_| self.stopped_visibly)
    }

    /// Whether waiting had to send SIGKILL (`kill_after` passed with
    /// something still alive).
    pub fn escalated(&self) -> bool {
        self.escalated
    }

    /// The processes targeted and their outcomes, ordered by sid, pgid, pid.
    pub fn entries(&self) -> Vec<&Entry> {
        let mut entries: Vec<&Entry> = self.entries.iter().collect();
        entries.sort_by_key(|e| (e.process.sid, e.process.pgid, e.process.pid));
        entries
    }
}

/// Resolves `target` on a fresh snapshot and signals it.
pub fn signal(target: Target, signal: Signal) -> Result<Delivery> {
    let mut delivery = Delivery::new(signal);
    delivery.send(&resolve(&[target])?)?;
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

/// How long a freeze may go on finding what is new before the session is
/// signalled as far as it got: threads that never stop (asleep in the
/// kernel) or a chain that outruns every look must not hold pgkill.
const FREEZE_LIMIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The live members of a session, rescanned, and the highest pid the
/// scan listed (for [`created_since`]).
fn session_members(sid: Sid) -> Result<(Vec<Process>, i32)> {
    let snapshot = Snapshot::read(Fields::default())?;
    let members = snapshot
        .processes()
        .iter()
        .filter(|p| p.sid == sid && !p.kernel_thread && !p.is_zombie())
        .cloned()
        .collect();
    Ok((members, highest_pid(&snapshot)))
}

/// The clock tick now, in the unit and from the origin of a process's
/// `starttime` (clock ticks since boot, as /proc shows it: the kernel
/// rounds down): a process whose `starttime` is below it started before
/// this call. 0 where the clock cannot be read (then every process may
/// have started since).
fn ticks_since_boot() -> u64 {
    use nix::time::{clock_gettime, ClockId};
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .and_then(|hz| u128::try_from(hz).ok())
        .filter(|&hz| hz > 0);
    let (Some(hz), Ok(now)) = (hz, clock_gettime(ClockId::CLOCK_BOOTTIME)) else {
        return 0;
    };
    let nanos = Duration::from(now).as_nanos();
    u64::try_from(nanos * hz / 1_000_000_000).unwrap_or(0)
}

/// The highest pid a snapshot listed.
fn highest_pid(snapshot: &Snapshot) -> i32 {
    snapshot.processes().last().map_or(0, |p| p.pid.as_raw())
}

/// The live processes of `scopes` created while a snapshot whose highest
/// pid was `highest` was being read, or since. A process can fork a
/// successor and exit between the listing of /proc and the read of its
/// stat, and then the snapshot holds neither; the successor has a higher
/// pid than everything listed before it (barring a wrap of the pid
/// counter), so listing /proc again finds it, reading only the stat of
/// the pids above `highest`. Repeats until a listing shows no pid above
/// the previous ones; empty when nothing of `scopes` is new. Also returns
/// the highest pid listed, for the next look.
fn created_since(mut highest: i32, scopes: &[Target]) -> (Vec<Process>, i32) {
    let mut found = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            break;
        };
        let newer: Vec<i32> = entries
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
            .filter(|&pid| pid > highest)
            .collect();
        let Some(&top) = newer.iter().max() else {
            break;
        };
        found.extend(
            newer
                .into_iter()
                .filter_map(|pid| crate::snapshot::read_stat_of(Pid::from_raw(pid)))
                .filter(|stat| stat.state != b'Z' && scopes.iter().any(|s| s.holds(stat)))
                .map(Process::from),
        );
        highest = top;
        if !found.is_empty() {
            break;
        }
    }
    (found, highest)
}

#[cfg(test)]
mod tests {
    use super::ticks_since_boot;
    use crate::snapshot::read_stat_of;
    use crate::Pid;

    /// The clock reads in the unit and from the origin of `starttime`: a
    /// process started before the read has a start time no later, and one
    /// started after it has one no earlier.
    #[test]
    fn the_tick_clock_agrees_with_start_times() {
        let me = read_stat_of(Pid::current()).expect("own stat");
        let before = ticks_since_boot();
        assert!(me.starttime <= before, "{} > {before}", me.starttime);
        let mut child = std::process::Command::new("sleep")
            .arg("0")
            .spawn()
            .expect("sleep");
        let started = read_stat_of(Pid::from_raw(child.id() as i32)).map(|s| s.starttime);
        child.wait().expect("reaped");
        if let Some(started) = started {
            assert!(started >= before, "{started} < {before}");
        }
    }
}
