//! Resolving targets against a snapshot, and the refusal rules.

use std::collections::{HashMap, HashSet};

use super::scope::ANCHORS;
use super::Target;
use crate::pidfd::PidFd;
use crate::snapshot::read_stat_of;
use crate::{Fields, Pid, Process, Result, Snapshot};

/// Targets resolved against a snapshot: what would be signalled.
#[derive(Debug)]
pub struct Plan {
    snapshot: Snapshot,
    targets: Vec<(Target, Vec<Process>)>,
    /// A pidfd for each `--pid` target, opened before the snapshot was
    /// read: from then on the PID may be reused, the fd still means the
    /// process the snapshot describes.
    pinned: HashMap<Pid, PidFd>,
    /// Whether the plan was made without listing /proc ([`resolve_lean`]):
    /// the snapshot holds only the caller's ancestry, pid 1 and the
    /// processes pinned in each group, and the other members are found
    /// after the signal.
    lean: bool,
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
            // A name is the process's to choose: no control or format
            // character of it reaches a terminal as is.
            String::from_utf8_lossy(&self.process.comm).escape_debug()
        )
    }
}

/// Resolves targets against a fresh snapshot of the process table. Kernel
/// threads are never targets.
///
/// A process target is pinned with a pidfd FIRST, the process table read
/// after, and the pidfd's process then found not reaped: until it is
/// reaped nobody else can have its PID, so what the snapshot read of that
/// PID is that very process. (A start time, with the kernel's 10 ms tick,
/// cannot tell two processes apart.)
pub fn resolve(targets: &[Target]) -> Result<Plan> {
    resolve_pinned(targets, HashMap::new(), &[])
}

/// [`resolve`], with the targets named with their pidfs inode already
/// pinned (`pre`: the process, or the group's or session's leader, found
/// with that inode; see `identity`); the targets in `vetoed` match nothing.
pub(super) fn resolve_pinned(
    targets: &[Target],
    mut pre: HashMap<Target, PidFd>,
    vetoed: &[Target],
) -> Result<Plan> {
    let mut pinned: HashMap<Pid, PidFd> = HashMap::new();
    for target in targets {
        if let Target::Pid(pid) = *target {
            if let Some(pidfd) = pre.remove(target) {
                pinned.insert(pid, pidfd);
            } else if let Ok(Some(pidfd)) = PidFd::open_unchecked(pid) {
                pinned.insert(pid, pidfd);
            }
        }
    }
    let snapshot = Snapshot::read(Fields::default())?;
    pinned.retain(|_, pidfd| !pidfd.is_reaped());
    let targets = targets
        .iter()
        .map(|&target| {
            if vetoed.contains(&target) {
                return (target, Vec::new());
            }
            if let Some(pidfd) = pre.remove(&target) {
                // A leader named by its inode and reaped since: its group
                // or session may be someone else's by the time the
                // snapshot was read.
                if pidfd.is_reaped() {
                    return (target, Vec::new());
                }
                pinned.insert(target.leader(), pidfd);
            }
            let mut members: Vec<Process> = snapshot
                .processes()
                .iter()
                .filter(|p| !p.kernel_thread && target.contains(p))
                .cloned()
                .collect();
            if let Target::Pid(pid) = target {
                // Gone already (or not ours to see): the target matches nothing.
                members.retain(|_| pinned.contains_key(&pid));
            }
            if let Target::Sid(sid) = target {
                // A sealed session is all of its leaf, escapees included.
                super::seal::add_escapees(sid, &mut members, &snapshot);
            }
            (target, members)
        })
        .collect();
    Ok(Plan {
        snapshot,
        targets,
        pinned,
        lean: false,
    })
}

/// Resolves group targets without listing /proc, for a caller that needs
/// no member list before the signal (no dry run, no report of each
/// member): `None` when that cannot be done, and [`resolve`] must be used.
///
/// Each group is proven live by its leader: a pidfd of pid `pgid` opened
/// first, and its stat, read after, in the group (a zombie leader, not
/// reaped, holds the group id as well as a live one). A few more members
/// are pinned the same way, from the leader's children and its parent's
/// (a pipeline's processes are the shell's children), so that the group
/// stays proven when the signal takes the leader first. `None` when a
/// target is not a group, or its leader is gone or in another group:
/// then only a scan finds the members.
///
/// The refusal rules need no scan either: the caller's ancestors are read
/// one stat at a time, up the ppid chain, and pid 1's, and the snapshot
/// holds them ([`Plan::refusal`] reads their groups from it).
pub fn resolve_lean(targets: &[Target]) -> Option<Plan> {
    resolve_lean_pinned(targets, HashMap::new())
}

/// [`resolve_lean`], with the leaders already pinned in `pre` where they
/// were named with their inode.
pub(super) fn resolve_lean_pinned(
    targets: &[Target],
    mut pre: HashMap<Target, PidFd>,
) -> Option<Plan> {
    let mut pinned: HashMap<Pid, PidFd> = HashMap::new();
    let mut processes = Vec::new();
    let mut resolved = Vec::new();
    for &target in targets {
        let Target::Pgid(pgid) = target else {
            return None;
        };
        if pgid.as_raw() <= 1 {
            return None;
        }
        let leader = Pid::from_raw(pgid.as_raw());
        let (process, pidfd) = match pre.remove(&target) {
            Some(pidfd) => {
                let stat = pidfd.stat(leader).filter(|stat| target.holds(stat))?;
                (Process::from(stat), pidfd)
            }
            None => pin(leader, target)?,
        };
        let mut members = vec![process];
        pinned.insert(leader, pidfd);
        let parent = members[0].ppid.as_raw();
        let mut tries = 0;
        for pid in children_of(leader.as_raw())
            .into_iter()
            .chain(children_of(parent))
        {
            if members.len() == ANCHORS || tries == ANCHORS * 2 {
                break;
            }
            let pid = Pid::from_raw(pid);
            if pinned.contains_key(&pid) {
                continue;
            }
            tries += 1;
            if let Some((process, pidfd)) = pin(pid, target) {
                pinned.insert(pid, pidfd);
                members.push(process);
            }
        }
        processes.extend(members.iter().cloned());
        resolved.push((target, members));
    }
    processes.extend(ancestry_and_init());
    Some(Plan {
        snapshot: Snapshot::from_processes(processes),
        targets: resolved,
        pinned,
        lean: true,
    })
}

/// A pidfd of `pid` and the process it pins, if it is in `target`: the fd
/// opened first, the stat read after, from the process the fd pins.
fn pin(pid: Pid, target: Target) -> Option<(Process, PidFd)> {
    let pidfd = PidFd::open_unchecked(pid).ok()??;
    let stat = pidfd.stat(pid)?;
    target.holds(&stat).then(|| (Process::from(stat), pidfd))
}

/// The pids of the children of `pid`'s main thread (children(5) of
/// /proc/PID/task/TID): one file, no listing.
fn children_of(pid: i32) -> Vec<i32> {
    if pid <= 0 {
        return Vec::new();
    }
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|pid| pid.parse().ok())
        .collect()
}

/// The caller, its ancestors up the ppid chain, and pid 1, each read from
/// its own stat.
fn ancestry_and_init() -> Vec<Process> {
    let mut found: Vec<Process> = Vec::new();
    let mut next = Pid::current().as_raw();
    // A chain is as long as the processes are deep; the bound is only
    // against a table that changes under the walk.
    while next > 0 && found.len() < 4096 {
        let Some(stat) = read_stat_of(Pid::from_raw(next)) else {
            break;
        };
        let ppid = stat.ppid;
        found.push(Process::from(stat));
        if ppid == next || found.iter().any(|p| p.pid.as_raw() == ppid) {
            break;
        }
        next = ppid;
    }
    if !found.iter().any(|p| p.pid.as_raw() == 1) {
        found.extend(read_stat_of(Pid::from_raw(1)).map(Process::from));
    }
    found
}

impl Plan {
    /// The snapshot the targets were resolved against (of a lean plan,
    /// only the caller's ancestry, pid 1 and the processes pinned).
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// A pidfd of process target `pid`, pinned as it was resolved.
    pub(super) fn pinned(&self, pid: Pid) -> Option<PidFd> {
        self.pinned
            .get(&pid)
            .and_then(|pidfd| pidfd.try_clone().ok())
    }

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

    /// Every matched process once, ordered by sid, pgid, pid. Of a lean
    /// plan ([`resolve_lean`]), only the processes pinned in each group:
    /// the others are found after the signal.
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

    /// Whether the plan was made without listing /proc: its members are
    /// found after the signal ([`resolve_lean`]).
    pub fn is_lean(&self) -> bool {
        self.lean
    }

    /// The first target that contains the caller, one of its ancestors
    /// (the calling shell), or pid 1, if any.
    pub fn refusal(&self) -> Option<Refusal> {
        let snapshot = &self.snapshot;
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
