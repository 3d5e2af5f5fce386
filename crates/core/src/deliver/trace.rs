//! Freezing a session with ptrace, invisibly: the way CRIU freezes a tree.
//!
//! Every thread of every member is seized (`PTRACE_SEIZE`, which stops
//! nothing and tells nobody) and interrupted (`PTRACE_INTERRUPT`): it
//! enters a ptrace-stop, which the kernel reports to the tracer only. Its
//! parent hears of no stop and no continue, a job-control shell prints
//! nothing and keeps its terminal, a stopped job stays stopped. A thread
//! that forks or clones while seized takes its child along, seized and
//! stopped (`PTRACE_O_TRACEFORK`, `_TRACEVFORK`, `_TRACECLONE`), so the
//! frozen set is closed under fork. Signals sent meanwhile stay pending
//! and are delivered when the threads are let go (`PTRACE_DETACH`). If
//! pgkill dies, whatever the reason, SIGKILL included, the kernel detaches
//! every tracee and nothing stays frozen.
//!
//! The kernel may refuse (another tracer, Yama's `ptrace_scope`, a
//! process pgkill may signal but not trace): then nothing stays seized and
//! the caller falls back to SIGSTOP (`stop`).

use std::collections::{HashMap, HashSet};
use std::io;
use std::time::{Duration, Instant};

use super::permission::Permission;
use super::{created_since, session_members, Scope, Target, FREEZE_LIMIT, MAX_ROUNDS};
use crate::{Pgid, Pid, Process, Result, Sid, Signal};

/// `PTRACE_EVENT_STOP`: the stop of a seized thread that was interrupted
/// or entered a group-stop (`<linux/ptrace.h>`).
const PTRACE_EVENT_STOP: i32 = 128;

/// The trace options: the children of a frozen thread are frozen too.
const OPTIONS: libc::c_int =
    libc::PTRACE_O_TRACEFORK | libc::PTRACE_O_TRACEVFORK | libc::PTRACE_O_TRACECLONE;

/// A session frozen with ptrace; dropping it lets every thread go.
#[derive(Debug, Default)]
pub(super) struct Freeze {
    /// Every seized thread (by tid), with the signal it was about to take
    /// when it stopped, to be given back when it is let go.
    tracees: HashMap<i32, Option<i32>>,
    /// This process's own children: their exit is theirs to reap.
    own: HashSet<i32>,
    /// Whether [`LATE_LIMIT`] was waited already for what is left.
    waited: bool,
}

/// Why a session was not frozen with ptrace.
#[derive(Debug)]
pub(super) struct Refused {
    /// The process the kernel refused to let pgkill trace.
    pub(super) pid: i32,
    pub(super) error: io::Error,
}

impl Freeze {
    /// Freezes every process of the session `scope` that pgkill may
    /// signal, in rounds until a rescan finds none that is not frozen.
    /// `members` ends as the last rescan. When the kernel refuses to trace
    /// a process that pgkill may signal, lets go of everything seized and
    /// says why.
    pub(super) fn session(
        scope: &mut Scope,
        permission: &Permission,
        members: &mut Vec<Process>,
    ) -> Result<std::result::Result<Freeze, Refused>> {
        let Target::Sid(sid) = scope.target else {
            return Ok(Ok(Freeze::default()));
        };
        let mut freeze = Freeze {
            tracees: HashMap::new(),
            own: own_children(),
            waited: false,
        };
        // Processes another user owns are not frozen (nor signalled).
        let mut foreign: HashSet<i32> = HashSet::new();
        // The highest pid of the one full rescan, once it is made.
        let mut highest: Option<i32> = None;
        let mut fresh: Vec<Process> = members.clone();
        let start = Instant::now();
        for _ in 0..MAX_ROUNDS {
            if start.elapsed() > FREEZE_LIMIT {
                break;
            }
            let mut seized = Vec::new();
            for process in &fresh {
                let pid = process.pid.as_raw();
                if foreign.contains(&pid) {
                    continue;
                }
                for tid in threads(process) {
                    if freeze.tracees.contains_key(&tid) {
                        continue;
                    }
                    match seize(tid) {
                        Ok(()) => {
                            freeze.tracees.insert(tid, None);
                            seized.push(tid);
                        }
                        // Gone meanwhile, or exited and not reaped yet (the
                        // kernel refuses to trace a zombie): nothing to freeze.
                        Err(error) if error.raw_os_error() == Some(libc::ESRCH) => {}
                        Err(_) if has_exited(tid) => {}
                        // Seized already, by this process: a child that a
                        // thread not stopped yet forked (its fork event is
                        // still to come). It stops by itself.
                        Err(_) if traced_by_me(tid) => {
                            freeze.tracees.insert(tid, None);
                            seized.push(tid);
                        }
                        Err(_) if !permission.allows(process, Signal::STOP) => {
                            foreign.insert(pid);
                        }
                        Err(error) => return Ok(Err(Refused { pid, error })),
                    }
                }
            }
            freeze.await_stops(seized);
            if !scope.is_live() {
                break;
            }
            match highest {
                // Once, a full rescan: what was forked, or changed group,
                // between the first scan and the freeze of its parent.
                None => {
                    let (scan, top) = freeze.rescan(sid, members)?;
                    highest = Some(top);
                    *members = scan;
                    fresh = members.clone();
                    scope.top_up(members);
                }
                // Then only what is newer than everything seen: a frozen
                // thread neither forks untraced nor changes group. Until
                // nothing is: a process that forks its successor and exits
                // before it is seized is chased that way, until one is
                // seized in time (its children are then seized with it).
                Some(previous) => {
                    let (found, top) = created_since(previous, &[scope.target]);
                    if found.is_empty() {
                        break;
                    }
                    highest = Some(top);
                    members.extend(found.iter().cloned());
                    fresh = found;
                }
            }
        }
        Ok(Ok(freeze))
    }

    /// The live members of session `sid` once the first round has frozen
    /// `members` (as the plan read them), and the highest pid listed (for
    /// [`created_since`]): what the plan read is not read again. Each pid
    /// of /proc is asked its session (`getsid`); a member frozen since
    /// the plan read it, its group (`getpgid`: it may have changed group,
    /// or left the session, before it was seized, but no longer can);
    /// any other process of the session (forked before its parent was
    /// seized, or not frozen) is read whole. Where /proc cannot be listed,
    /// a full snapshot.
    fn rescan(&self, sid: Sid, members: &[Process]) -> Result<(Vec<Process>, i32)> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return session_members(sid);
        };
        let frozen: HashMap<i32, &Process> = members
            .iter()
            .filter(|p| self.tracees.contains_key(&p.pid.as_raw()))
            .map(|p| (p.pid.as_raw(), p))
            .collect();
        let mut found = Vec::new();
        let mut highest = 0;
        for pid in entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        {
            highest = highest.max(pid);
            // SAFETY: getsid(2) and getpgid(2) only read a process's ids.
            match read_id(unsafe { libc::getsid(pid) }) {
                Id::Gone => continue,
                Id::Is(session) if session != sid.as_raw() => continue,
                // In the session, or refused (a security module): read.
                _ => {}
            }
            if let Some(&process) = frozen.get(&pid) {
                // SAFETY: as above.
                match read_id(unsafe { libc::getpgid(pid) }) {
                    Id::Gone => continue,
                    Id::Is(pgid) => {
                        let mut process = process.clone();
                        process.pgid = Pgid::from_raw(pgid);
                        found.push(process);
                        continue;
                    }
                    Id::Refused => {}
                }
            }
            let stat = crate::snapshot::read_stat_of(Pid::from_raw(pid));
            if let Some(stat) =
                stat.filter(|stat| stat.state != b'Z' && Target::Sid(sid).holds(stat))
            {
                found.push(Process::from(stat));
            }
        }
        Ok((found, highest))
    }

    /// Waits until each of `tids`, just interrupted, reports a
    /// ptrace-stop, within [`STOP_PATIENCE`]; takes in the children that
    /// frozen threads forked. A thread that does not stop in time stays
    /// seized and is let go last: one waiting for a vfork child to exec
    /// (uninterruptibly) stops only when that child, frozen itself, is let
    /// go; one in uninterruptible sleep, when it wakes. Waiting for it here
    /// could wait for ever.
    fn await_stops(&mut self, tids: Vec<i32>) {
        let start = Instant::now();
        let mut pause = Duration::from_micros(50);
        let mut waiting: Vec<i32> = tids;
        while !waiting.is_empty() && start.elapsed() < STOP_PATIENCE {
            let mut stopped_any = false;
            let mut forked = Vec::new();
            waiting.retain(|&tid| match poll_stop(tid, self.own.contains(&tid)) {
                Poll::Running => true,
                Poll::Gone => {
                    // Exited (a SIGKILL from elsewhere).
                    self.tracees.remove(&tid);
                    false
                }
                Poll::Stopped(status) => {
                    stopped_any = true;
                    match status >> 16 {
                        // Interrupted, or in a group-stop (a stopped job).
                        PTRACE_EVENT_STOP => {}
                        libc::PTRACE_EVENT_FORK
                        | libc::PTRACE_EVENT_VFORK
                        | libc::PTRACE_EVENT_CLONE => {
                            // The thread stays in its event-stop; its child
                            // is seized already and reports its own stop.
                            forked.extend(event_message(tid));
                        }
                        // About to take a signal: frozen there; the signal
                        // is given back when the thread is let go.
                        _ => {
                            self.tracees.insert(tid, Some(libc::WSTOPSIG(status)));
                        }
                    }
                    false
                }
            });
            for child in forked {
                if self.tracees.insert(child, None).is_none() {
                    waiting.push(child);
                }
            }
            if !stopped_any {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(5));
            }
        }
    }
}

/// How long the threads of a session get to reach their ptrace-stop.
const STOP_PATIENCE: Duration = Duration::from_millis(100);

/// How long letting a freeze go waits for the threads that have not
/// reached their stop yet. One that a kernel wait holds for good (a vfork
/// parent whose child left the session and never execs; a thread stuck in
/// an uninterruptible sleep) must not hold pgkill with it.
pub(super) const LATE_LIMIT: Duration = Duration::from_secs(1);

impl Freeze {
    /// Lets every thread go, with the signal it was about to take; a
    /// thread in a group-stop stays stopped, as it was. Those in a
    /// ptrace-stop go at once; the others as each reaches its stop, none
    /// waited for alone: one may wait for another (a vfork parent for its
    /// child, which must be let go first). Waits `limit` at most: those
    /// still running then stay seized, for a later call, or for the kernel
    /// to let go when this process exits (which also cancels their
    /// interrupt: they never stop for it). Whether none is left.
    pub(super) fn release(&mut self, limit: Duration) -> bool {
        let start = Instant::now();
        let own = &self.own;
        // Those in a ptrace-stop go at once; the others as they reach it.
        self.tracees
            .retain(|&tid, signal| !detach(tid, signal.unwrap_or(0)));
        let mut pause = Duration::from_micros(50);
        while !self.tracees.is_empty() && start.elapsed() < limit {
            let before = self.tracees.len();
            self.tracees
                .retain(|&tid, signal| match poll_stop(tid, own.contains(&tid)) {
                    Poll::Stopped(_) => !detach(tid, signal.unwrap_or(0)),
                    Poll::Gone => false,
                    Poll::Running => true,
                });
            if self.tracees.len() == before {
                std::thread::sleep(pause.min(limit.saturating_sub(start.elapsed())));
                pause = (pause * 2).min(Duration::from_millis(5));
            }
        }
        self.waited |= !limit.is_zero();
        self.tracees.is_empty()
    }
}

impl Drop for Freeze {
    /// Lets go what it can, within [`LATE_LIMIT`] unless that was waited
    /// already.
    fn drop(&mut self) {
        let limit = if self.waited {
            Duration::ZERO
        } else {
            LATE_LIMIT
        };
        self.release(limit);
    }
}

/// What a non-blocking look at a tracee found.
enum Poll {
    /// In a ptrace-stop (its wait status).
    Stopped(i32),
    /// Not stopped yet.
    Running,
    /// Exited, or not this process's tracee any more.
    Gone,
}

/// `PTRACE_DETACH` of thread `tid`, giving it `signal` (0: none); whether
/// it was in a ptrace-stop, so that it could be.
fn detach(tid: i32, signal: i32) -> bool {
    // SAFETY: PTRACE_DETACH of a thread this process traces; the data
    // argument is the signal to deliver, or 0.
    unsafe {
        libc::ptrace(
            libc::PTRACE_DETACH,
            tid,
            std::ptr::null_mut::<libc::c_void>(),
            signal as libc::c_long,
        ) == 0
    }
}

/// Detaches thread `tid`, giving it `signal` (0: none). One that is not in
/// a ptrace-stop yet is waited for until it is; one that is exiting (a
/// SIGKILL) is let go as it is.
fn release(tid: i32, signal: i32, own_child: bool) {
    while !detach(tid, signal) {
        if !matches!(wait_stop(tid, own_child, 0), Poll::Stopped(_)) {
            return;
        }
    }
}

/// The ptrace-stop of thread `tid`, if it is in one now.
fn poll_stop(tid: i32, own_child: bool) -> Poll {
    wait_stop(tid, own_child, libc::WNOHANG)
}

/// The next ptrace-stop of thread `tid`; with `WNOHANG` in `flags`, only if
/// there is one now. An exit is taken in (so that the real parent can reap
/// the process), unless `tid` is this process's own child, which its own
/// code reaps: then the report is only looked at, and an exit left for it.
fn wait_stop(tid: i32, own_child: bool, flags: libc::c_int) -> Poll {
    loop {
        if own_child {
            // SAFETY: an all-zero siginfo_t is valid; waitid fills it.
            let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
            // SAFETY: waitid on a child this process traces, with a valid
            // pointer; WNOWAIT only looks, it takes nothing in.
            let looked = unsafe {
                libc::waitid(
                    libc::P_PID,
                    tid as libc::id_t,
                    &mut info,
                    libc::WEXITED | libc::WSTOPPED | libc::WNOWAIT | libc::__WALL | flags,
                )
            };
            if looked < 0 {
                if io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                    continue;
                }
                return Poll::Gone;
            }
            // SAFETY: waitid filled the siginfo; si_pid is 0 when nothing
            // was ready (WNOHANG).
            if unsafe { info.si_pid() } == 0 {
                return Poll::Running;
            }
            if !matches!(info.si_code, libc::CLD_TRAPPED | libc::CLD_STOPPED) {
                return Poll::Gone;
            }
        }
        let mut status = 0;
        // SAFETY: waitpid on a thread this process traces, with a valid
        // pointer for the status.
        let waited = unsafe { libc::waitpid(tid, &mut status, libc::__WALL | flags) };
        return match waited {
            0 => Poll::Running,
            _ if waited < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) => {
                continue
            }
            _ if waited == tid && libc::WIFSTOPPED(status) => Poll::Stopped(status),
            _ => Poll::Gone,
        };
    }
}

/// What `getsid`/`getpgid` said of a process.
enum Id {
    Is(i32),
    /// No such process.
    Gone,
    /// Refused (a security module): read its stat instead.
    Refused,
}

fn read_id(returned: libc::pid_t) -> Id {
    if returned >= 0 {
        Id::Is(returned)
    } else if io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH) {
        Id::Gone
    } else {
        Id::Refused
    }
}

/// This process's children (read from /proc, once, before a freeze: it
/// starts none meanwhile).
fn own_children() -> HashSet<i32> {
    let me = std::process::id();
    std::fs::read_dir(format!("/proc/{me}/task"))
        .map(|tasks| {
            tasks
                .flatten()
                .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
                .flat_map(|children| {
                    children
                        .split_whitespace()
                        .filter_map(|pid| pid.parse().ok())
                        .collect::<Vec<i32>>()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether thread `tid` has exited (a zombie, or gone).
fn has_exited(tid: i32) -> bool {
    crate::snapshot::read_stat_of(crate::Pid::from_raw(tid))
        .is_none_or(|stat| matches!(stat.state, b'Z' | b'X'))
}

/// Whether this process traces thread `tid`.
fn traced_by_me(tid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{tid}/status")).is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("TracerPid:"))
            .is_some_and(|tracer| tracer.trim() == std::process::id().to_string())
    })
}

/// Seizes and interrupts thread `tid`.
fn seize(tid: i32) -> io::Result<()> {
    // SAFETY: PTRACE_SEIZE takes a tid, no address, and the options as
    // data; it changes nothing in this process's memory.
    let seized = unsafe {
        libc::ptrace(
            libc::PTRACE_SEIZE,
            tid,
            std::ptr::null_mut::<libc::c_void>(),
            OPTIONS as libc::c_long,
        )
    };
    if seized < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: PTRACE_INTERRUPT of a thread just seized; no address, no data.
    let interrupted = unsafe {
        libc::ptrace(
            libc::PTRACE_INTERRUPT,
            tid,
            std::ptr::null_mut::<libc::c_void>(),
            0 as libc::c_long,
        )
    };
    if interrupted < 0 {
        let error = io::Error::last_os_error();
        // Gone meanwhile: nothing of it is taken in (it may be a child).
        release(tid, 0, true);
        return Err(error);
    }
    Ok(())
}

/// The tid a fork, vfork or clone event of `tid` created.
fn event_message(tid: i32) -> Option<i32> {
    let mut message: libc::c_ulong = 0;
    // SAFETY: PTRACE_GETEVENTMSG of a thread in an event-stop writes one
    // unsigned long to the pointer given as data.
    let got = unsafe {
        libc::ptrace(
            libc::PTRACE_GETEVENTMSG,
            tid,
            std::ptr::null_mut::<libc::c_void>(),
            &mut message as *mut libc::c_ulong,
        )
    };
    (got == 0).then_some(message as i32)
}

/// The threads of `process`: only itself when it has one thread, as most
/// have (no directory to read); none when it is gone.
fn threads(process: &Process) -> Vec<i32> {
    let pid = process.pid.as_raw();
    if process.threads <= 1 {
        return vec![pid];
    }
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}
