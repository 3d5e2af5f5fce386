//! Stopping a session's groups before a signal, so that nothing forks
//! away, and continuing them after.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::kill::kill_group;
use super::permission::Permission;
use super::{session_members, Scope, Target, FREEZE_LIMIT, MAX_ROUNDS};
use crate::{Pgid, Pid, Process, Result, Signal};

/// Stops every group of session `sid`, parents' groups before their
/// children's, in rounds until a rescan finds no group not yet stopped and
/// every member stopped (a stopped process cannot fork, so this converges).
/// `members` ends as the last rescan; `stopped` holds every group the
/// kernel accepted SIGSTOP for. Only groups still in the session `scope`
/// are stopped.
pub(super) fn stop_session(
    scope: &mut Scope,
    permission: &Permission,
    members: &mut Vec<Process>,
    stopped: &mut Vec<Pgid>,
) -> Result<()> {
    let Target::Sid(sid) = scope.target else {
        return Ok(());
    };
    // Every group sent SIGSTOP, and how often: one the kernel refused
    // (EPERM) is not tried again round after round, and one with a member
    // still running after it (a child that was forked as the group got
    // its SIGSTOP, say) is tried again a few times.
    let mut tried: HashMap<Pgid, usize> = HashMap::new();
    let start = Instant::now();
    for _ in 0..MAX_ROUNDS {
        if start.elapsed() > FREEZE_LIMIT {
            break;
        }
        let fresh: Vec<Pgid> = groups_of(members)
            .into_iter()
            .filter(|pgid| !tried.contains_key(pgid))
            .collect();
        if fresh.is_empty() {
            break;
        }
        for pgid in children_first(fresh, members).into_iter().rev() {
            // A group none of whose members is there any more needs no
            // stopping; should a later scan show it again, it is tried then.
            if !scope.holds_group(pgid, members) {
                continue;
            }
            *tried.entry(pgid).or_default() += 1;
            if kill_group(pgid, Signal::STOP).is_ok() {
                stopped.push(pgid);
            }
        }
        if !scope.is_live() {
            break;
        }
        *members = session_members(sid)?.0;
        for pgid in await_stopped(members, permission) {
            if tried.get(&pgid).is_some_and(|&times| times < STOP_TRIES) {
                tried.remove(&pgid);
            }
        }
        scope.top_up(members);
    }
    Ok(())
}

/// How long to wait for signalled processes to reach the stopped state.
const STOP_PATIENCE: Duration = Duration::from_millis(100);

/// How many times a group with a member that does not stop is sent SIGSTOP.
const STOP_TRIES: usize = 3;

/// Waits until every process of `members` that pgkill may signal is
/// stopped (or gone), within [`STOP_PATIENCE`]: one in uninterruptible
/// sleep stops only when it wakes. The kernel tells nobody but the parent
/// when a process stops, so this reads /proc, the stat of those not yet
/// stopped, between short pauses. Returns the groups of those that did
/// not stop.
fn await_stopped(members: &[Process], permission: &Permission) -> HashSet<Pgid> {
    let stopped = |state: u8| matches!(state, b'T' | b't');
    let mut running: Vec<&Process> = members
        .iter()
        .filter(|p| !stopped(p.state))
        // A process pgkill may not signal was not stopped and never will be.
        .filter(|p| permission.allows(p, Signal::STOP))
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
    running.iter().map(|p| p.pgid).collect()
}

/// `groups` ordered so that each comes before every group holding a parent
/// of one of its members (cycles between groups are broken by pgid).
pub(super) fn children_first(mut groups: Vec<Pgid>, members: &[Process]) -> Vec<Pgid> {
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
pub(super) fn groups_of(members: &[Process]) -> Vec<Pgid> {
    let mut groups: Vec<Pgid> = members
        .iter()
        .map(|p| p.pgid)
        .filter(|g| g.is_valid())
        .collect();
    groups.sort();
    groups.dedup();
    groups
}

/// Blocks every signal that can be blocked while a session is stopped, so
/// that pgkill always continues what it stopped: the terminal's, the
/// timers', SIGIO, SIGPWR, the real-time ones, any that a sender may aim
/// at pgkill. The pending ones arrive when this is dropped. (SIGKILL
/// cannot be blocked: see the man page.)
pub(super) struct BlockedSignals {
    previous: nix::sys::signal::SigSet,
}

impl BlockedSignals {
    pub(super) fn new() -> BlockedSignals {
        use nix::sys::signal::{SigSet, SigmaskHow};
        let previous = SigSet::all()
            .thread_swap_mask(SigmaskHow::SIG_BLOCK)
            .unwrap_or_else(|_| SigSet::empty());
        BlockedSignals { previous }
    }
}

impl Drop for BlockedSignals {
    fn drop(&mut self) {
        let _ = self.previous.thread_set_mask();
    }
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
