//! Resolving targets against a snapshot, and the refusal rules.

use std::collections::{HashMap, HashSet};

use super::Target;
use crate::pidfd::{Opened, PidFd};
use crate::{Pid, Process, Snapshot};

/// Targets resolved against a snapshot: what would be signalled.
#[derive(Debug)]
pub struct Plan {
    targets: Vec<(Target, Vec<Process>)>,
    /// A pidfd for each `--pid` target, opened as it was resolved: from
    /// then on the PID may be reused, the fd still means that process.
    pub(super) pinned: HashMap<Pid, PidFd>,
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
