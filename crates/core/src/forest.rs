//! The forest: sessions, their process groups, and in each group its
//! processes nested by parent.

use std::collections::{BTreeMap, HashSet};

use crate::{Pgid, Pid, Process, Sid, Snapshot};

/// Sessions -> groups -> processes, each level ordered by id.
#[derive(Debug)]
pub struct Forest<'s> {
    sessions: Vec<Session<'s>>,
}

/// A session: every process whose session id is `sid`.
#[derive(Debug)]
pub struct Session<'s> {
    /// The session id (0: outside the namespace, or kernel threads).
    pub sid: Sid,
    /// The process whose pid is the sid, if it is still there (and shown).
    pub leader: Option<&'s Process>,
    /// The session's controlling terminal (`tty_nr`), 0 for none.
    pub tty_nr: i32,
    /// Its leaf, when `setsid-run --seal` sealed it (and the snapshot read
    /// seals): the processes that left it are shown in it.
    pub seal: Option<&'s str>,
    groups: Vec<Group<'s>>,
}

/// A process group within a session.
#[derive(Debug)]
pub struct Group<'s> {
    /// The group id (0: outside the namespace, or kernel threads).
    pub pgid: Pgid,
    /// Whether this is the foreground group of the session's terminal.
    pub foreground: bool,
    /// Whether the group is orphaned in the POSIX sense: no member has a
    /// parent in a different group of the same session.
    pub orphaned: bool,
    /// Ordered by pid.
    members: Vec<&'s Process>,
    /// The same, ordered by (ppid, pid): a process's children are a slice.
    by_parent: Vec<&'s Process>,
}

impl<'s> Forest<'s> {
    /// The forest of every process in the snapshot.
    pub fn new(snapshot: &'s Snapshot) -> Forest<'s> {
        Forest::of(snapshot, snapshot.processes())
    }

    /// The forest of the `shown` processes; leaders, foreground and orphaned
    /// groups are judged on the whole snapshot.
    pub fn of<'a>(
        snapshot: &'s Snapshot,
        shown: impl IntoIterator<Item = &'s Process>,
    ) -> Forest<'s> {
        let not_orphaned = groups_with_outside_parent(snapshot);
        let mut sessions: BTreeMap<Sid, BTreeMap<Pgid, Vec<&'s Process>>> = BTreeMap::new();
        for process in shown {
            sessions
                .entry(process.session())
                .or_default()
                .entry(process.pgid)
                .or_default()
                .push(process);
        }
        let sessions = sessions
            .into_iter()
            .map(|(sid, groups)| {
                let leader = snapshot
                    .get(Pid::from_raw(sid.as_raw()))
                    .filter(|p| p.sid == sid);
                // Its own members, not those that left it (sealed).
                let members = || groups.values().flatten().filter(|p| p.sid == sid);
                let tty_nr = leader
                    .map(|p| p.tty_nr)
                    .filter(|&tty| tty != 0)
                    .or_else(|| members().map(|p| p.tty_nr).find(|&tty| tty != 0))
                    .unwrap_or(0);
                let foreground_pgid = members()
                    .find(|p| p.tty_nr != 0 && p.tpgid > 0)
                    .map(|p| p.tpgid);
                let groups = groups
                    .into_iter()
                    .map(|(pgid, mut members)| {
                        members.sort_by_key(|p| p.pid);
                        let mut by_parent = members.clone();
                        by_parent.sort_by_key(|p| (p.ppid, p.pid));
                        Group {
                            pgid,
                            foreground: foreground_pgid == Some(pgid.as_raw()),
                            orphaned: pgid.is_valid() && !not_orphaned.contains(&pgid),
                            members,
                            by_parent,
                        }
                    })
                    .collect();
                Session {
                    sid,
                    leader,
                    tty_nr,
                    seal: snapshot.seal(sid),
                    groups,
                }
            })
            .collect();
        Forest { sessions }
    }

    /// The sessions, ordered by sid.
    pub fn sessions(&self) -> impl Iterator<Item = &Session<'s>> {
        self.sessions.iter()
    }

    /// Every process of the forest, ordered by sid, then pgid, then pid.
    pub fn processes(&self) -> impl Iterator<Item = &'s Process> + '_ {
        self.sessions
            .iter()
            .flat_map(|session| session.groups())
            .flat_map(|group| group.members.iter().copied())
    }
}

impl<'s> Session<'s> {
    /// The groups of the session, ordered by pgid.
    pub fn groups(&self) -> impl Iterator<Item = &Group<'s>> {
        self.groups.iter()
    }
}

impl<'s> Group<'s> {
    /// The members, ordered by pid.
    pub fn members(&self) -> &[&'s Process] {
        &self.members
    }

    /// The pids of the members.
    pub fn pids(&self) -> impl Iterator<Item = Pid> + '_ {
        self.members.iter().map(|p| p.pid)
    }

    /// The members whose parent is not a member: the roots of the group's tree.
    pub fn roots(&self) -> impl Iterator<Item = &'s Process> + '_ {
        self.members.iter().copied().filter(|p| {
            p.ppid == p.pid
                || self
                    .members
                    .binary_search_by_key(&p.ppid, |q| q.pid)
                    .is_err()
        })
    }

    /// The members whose parent is `parent`.
    pub fn children(&self, parent: Pid) -> impl Iterator<Item = &'s Process> + '_ {
        let start = self.by_parent.partition_point(|p| p.ppid < parent);
        let end = self.by_parent.partition_point(|p| p.ppid <= parent);
        self.by_parent[start..end]
            .iter()
            .copied()
            .filter(move |p| p.pid != parent)
    }
}

/// The groups that are NOT orphaned: those with a member whose parent is in
/// a different group of the same session.
pub fn groups_with_outside_parent(snapshot: &Snapshot) -> HashSet<Pgid> {
    snapshot
        .processes()
        .iter()
        .filter(|p| {
            snapshot
                .parent(p)
                .is_some_and(|parent| parent.sid == p.sid && parent.pgid != p.pgid)
        })
        .map(|p| p.pgid)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::tests::process;

    /// init; a login shell session 10 on pts/0 with a foreground job 20
    /// (two processes, one the child of the other) and a background job 30;
    /// and session 40 whose shell died, leaving job 41 orphaned.
    fn machine() -> Snapshot {
        let mut processes = vec![
            process(1, 0, 1, 1, "init"),
            process(10, 1, 10, 10, "bash"),
            process(20, 10, 20, 10, "make"),
            process(21, 20, 20, 10, "cc"),
            process(30, 10, 30, 10, "sleep"),
            process(41, 1, 41, 40, "orphan"),
        ];
        for p in &mut processes[1..5] {
            p.tty_nr = 34816;
            p.tpgid = 20;
        }
        Snapshot::from_processes(processes)
    }

    #[test]
    fn nests_sessions_groups_and_processes() {
        let snapshot = machine();
        let forest = Forest::new(&snapshot);
        let sids: Vec<i32> = forest.sessions().map(|s| s.sid.as_raw()).collect();
        assert_eq!(sids, [1, 10, 40]);
        let shell = forest.sessions().nth(1).unwrap();
        assert_eq!(shell.leader.unwrap().comm, b"bash");
        assert_eq!(shell.tty_nr, 34816);
        let pgids: Vec<i32> = shell.groups().map(|g| g.pgid.as_raw()).collect();
        assert_eq!(pgids, [10, 20, 30]);
        let make = shell.groups().nth(1).unwrap();
        let roots: Vec<i32> = make.roots().map(|p| p.pid.as_raw()).collect();
        assert_eq!(roots, [20]);
        let children: Vec<i32> = make
            .children(Pid::from_raw(20))
            .map(|p| p.pid.as_raw())
            .collect();
        assert_eq!(children, [21]);
        let order: Vec<i32> = forest.processes().map(|p| p.pid.as_raw()).collect();
        assert_eq!(order, [1, 10, 20, 21, 30, 41]);
    }

    #[test]
    fn knows_foreground_and_orphaned_groups() {
        let snapshot = machine();
        let forest = Forest::new(&snapshot);
        let flags: Vec<(i32, bool, bool)> = forest
            .sessions()
            .flat_map(|s| s.groups())
            .map(|g| (g.pgid.as_raw(), g.foreground, g.orphaned))
            .collect();
        assert_eq!(
            flags,
            [
                (1, false, true),
                // The session leader's parent is outside the session.
                (10, false, true),
                (20, true, false),
                (30, false, false),
                (41, false, true),
            ]
        );
    }

    #[test]
    fn a_partial_forest_keeps_whole_snapshot_facts() {
        let snapshot = machine();
        let shown = snapshot.processes().iter().filter(|p| p.pid.as_raw() == 21);
        let forest = Forest::of(&snapshot, shown);
        let session = forest.sessions().next().unwrap();
        assert_eq!(session.leader.unwrap().pid.as_raw(), 10);
        let group = session.groups().next().unwrap();
        assert!(group.foreground && !group.orphaned);
        // The shown child's parent is not shown: it becomes a root.
        assert_eq!(group.roots().count(), 1);
    }
}
