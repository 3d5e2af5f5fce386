//! Selecting processes the way `pgrep` does: different kinds of criteria
//! AND together, values of one kind OR together.
//!
//! One code path for both tools: `pgtree` shows [`Selection::select`];
//! `pgkill` signals [`Selection::targets`], what the same matches stand for
//! (each process, or with [`Expand`] its whole group or session), resolved
//! race-safely by [`resolve`].

use std::collections::{HashMap, HashSet};

use regex::bytes::{Regex, RegexBuilder};

use crate::deliver::{self, Plan, Target};
use crate::forest::groups_with_outside_parent;
use crate::{Error, Fields, Pgid, Pid, Process, Result, Sid, Snapshot};

/// Grow the matched processes to what `pgkill --pgid/--sid` would hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expand {
    /// The whole group of each match.
    Group,
    /// The whole session of each match.
    Session,
}

/// Which one of the matches to keep, as pgrep's `-n` and `-o`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// The most recently started (of several started in the same clock
    /// tick, the highest pid), as pgrep's `-n`.
    Newest,
    /// The least recently started (in a tie, the lowest pid), as `-o`.
    Oldest,
}

/// What to select. The default selects every user process.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Matched against the name (comm), or the command line with `full`.
    /// It never matches the calling process itself, as in pgrep.
    pub pattern: Option<Regex>,
    /// Match `pattern` against the whole command line.
    pub full: bool,
    /// Only these processes.
    pub pids: Vec<Pid>,
    /// Only members of these groups.
    pub pgids: Vec<Pgid>,
    /// Only members of these sessions.
    pub sids: Vec<Sid>,
    /// Only processes of these (real) uids.
    pub uids: Vec<u32>,
    /// Terminals as `tty_nr`; 0 selects processes without one.
    pub ttys: Vec<i32>,
    /// Only children of these processes.
    pub parents: Vec<Pid>,
    /// Only members of orphaned process groups.
    pub orphaned: bool,
    /// Only the processes a pid file names (pgrep's `-F`): `Some` of what
    /// the files name, each while it is the process that wrote it (see
    /// [`crate::pidfile::named`]); `Some(vec![])` matches nothing.
    pub pidfile: Option<Vec<Pid>>,
    /// Only processes in these states (ps's letters: `R`, `S`, `D`, `T`,
    /// `t`, `Z`, `I`…), as pgrep's `-r`.
    pub states: Vec<u8>,
    /// Only processes whose environment has one of these: `NAME` (any
    /// value) or `NAME=VALUE` (exactly), as pgrep's `--env`.
    pub env: Vec<Vec<u8>>,
    /// Select the processes that do NOT match `pattern`, `uids`, `ttys`,
    /// `parents`, `orphaned`, `pidfile`, `states` and `env` (pgrep's `-v`);
    /// `pids`, `pgids` and `sids` still restrict, so that they bound what
    /// is selected. Never the calling process itself.
    pub inverse: bool,
    /// Never the calling process's ancestors (pgrep's `-A`).
    pub ignore_ancestors: bool,
    /// Keep only the newest or the oldest of the matches (before
    /// `expand`).
    pub pick: Option<Pick>,
    /// Grow the matches to their whole groups or sessions.
    pub expand: Option<Expand>,
    /// Include kernel threads.
    pub kernel: bool,
}

/// Compiles a selection pattern; `exact` anchors it to the whole name.
pub fn pattern(text: &str, exact: bool, ignore_case: bool) -> Result<Regex> {
    let source = if exact {
        format!("^(?:{text})$")
    } else {
        text.to_string()
    };
    RegexBuilder::new(&source)
        .case_insensitive(ignore_case)
        .build()
        .map_err(|error| {
            // The regex crate's messages span lines; keep the last, which says what is wrong.
            let message = error.to_string();
            let reason = message
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            let reason = reason.trim().trim_start_matches("error: ");
            Error::usage(format!("invalid regular expression '{text}': {reason}"))
        })
}

/// Process states as pgrep's `-r` takes them: letters, optionally
/// separated by commas (`S`, `DR`, `S,T`).
pub fn parse_states(text: &str) -> Result<Vec<u8>> {
    const KNOWN: &[u8] = b"RSDTtZXxKWPI";
    let states: Vec<u8> = text.bytes().filter(|&b| b != b',').collect();
    match states.iter().find(|b| !KNOWN.contains(b)) {
        _ if states.is_empty() => Err(Error::usage("no process state given".to_string())),
        Some(&bad) => Err(Error::usage(format!(
            "unknown process state '{}' (known: R S D T t Z X x K W P I)",
            bad.escape_ascii()
        ))),
        None => Ok(states),
    }
}

/// An environment match as pgrep's `--env` takes it: `NAME` or
/// `NAME=VALUE`.
pub fn parse_env(text: &str) -> Result<Vec<u8>> {
    if text.is_empty() || text.starts_with('=') {
        return Err(Error::usage(format!(
            "invalid --env '{text}': give NAME or NAME=VALUE"
        )));
    }
    Ok(text.as_bytes().to_vec())
}

/// Whether a pattern that matched nothing could not have matched a name:
/// longer than the 15 bytes of a process name, and no `|` or `[` that
/// would make it a shorter alternative (pgrep's test for its warning).
pub fn too_long_for_a_name(pattern: &str) -> bool {
    pattern.len() > 15 && !pattern.contains(['|', '['])
}

/// A user name or a numeric uid.
pub fn parse_user(text: &str) -> Result<u32> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map_err(|_| Error::usage(format!("invalid uid '{text}'")));
    }
    match nix::unistd::User::from_name(text) {
        Ok(Some(user)) => Ok(user.uid.as_raw()),
        _ => Err(Error::usage(format!("unknown user '{text}'"))),
    }
}

impl Selection {
    /// What the snapshot must read for this selection.
    pub fn fields(&self) -> Fields {
        Fields {
            args: self.pattern.is_some() && self.full,
            uid: !self.uids.is_empty(),
            env: !self.env.is_empty(),
            cgroup: false,
            // A sealed session is all of its leaf.
            seals: !self.sids.is_empty() || self.expand == Some(Expand::Session),
            ino: false,
        }
    }

    /// The selected processes, ordered by pid.
    pub fn select<'s>(&self, snapshot: &'s Snapshot) -> Vec<&'s Process> {
        let matched = self.matched(snapshot);
        let visible = |p: &&Process| self.kernel || !p.kernel_thread;
        let grown = |ids: &dyn Fn(&Process) -> bool| {
            let seen: HashSet<Pid> = matched.iter().map(|p| p.pid).collect();
            let all = snapshot.processes().iter().filter(visible);
            all.filter(|p| ids(p) || seen.contains(&p.pid)).collect()
        };
        match self.expand {
            None => matched,
            Some(Expand::Group) => {
                let pgids: HashSet<Pgid> = matched
                    .iter()
                    .map(|p| p.pgid)
                    .filter(|g| g.is_valid())
                    .collect();
                grown(&|p| pgids.contains(&p.pgid))
            }
            Some(Expand::Session) => {
                let sids: HashSet<Sid> = matched
                    .iter()
                    .map(|p| p.session())
                    .filter(|s| s.is_valid())
                    .collect();
                grown(&|p| sids.contains(&p.session()))
            }
        }
    }

    /// The processes that match, before `expand`, ordered by pid.
    fn matched<'s>(&self, snapshot: &'s Snapshot) -> Vec<&'s Process> {
        let not_orphaned = self.orphaned.then(|| groups_with_outside_parent(snapshot));
        let me = Pid::current();
        let ancestors: HashSet<Pid> = if self.ignore_ancestors {
            snapshot.ancestry(me).skip(1).map(|p| p.pid).collect()
        } else {
            HashSet::new()
        };
        let criteria = |p: &Process| {
            self.pattern_matches(p, me)
                && (self.uids.is_empty() || p.uid.is_some_and(|uid| self.uids.contains(&uid)))
                && any_or_empty(&self.ttys, &p.tty_nr)
                && any_or_empty(&self.parents, &p.ppid)
                && not_orphaned
                    .as_ref()
                    .is_none_or(|set| p.pgid.is_valid() && !set.contains(&p.pgid))
                && self
                    .pidfile
                    .as_ref()
                    .is_none_or(|pids| pids.contains(&p.pid))
                && any_or_empty(&self.states, &p.state)
                && self.env_matches(p)
        };
        let matched = snapshot
            .processes()
            .iter()
            .filter(|p| self.kernel || !p.kernel_thread)
            .filter(|p| any_or_empty(&self.pids, &p.pid))
            .filter(|p| any_or_empty(&self.pgids, &p.pgid))
            .filter(|p| any_or_empty(&self.sids, &p.session()))
            .filter(|p| !ancestors.contains(&p.pid))
            .filter(|p| {
                if self.inverse {
                    p.pid != me && !criteria(p)
                } else {
                    criteria(p)
                }
            });
        // The newest is never the caller itself, as in pgrep.
        let age = |p: &&Process| (p.starttime, p.pid);
        let picked = match self.pick {
            None => return matched.collect(),
            Some(Pick::Newest) => matched.filter(|p| p.pid != me).max_by_key(age),
            Some(Pick::Oldest) => matched.filter(|p| p.pid != me).min_by_key(age),
        };
        picked.into_iter().collect()
    }

    /// Whether `process`'s environment has one of `env`'s entries (all do
    /// when there are none).
    fn env_matches(&self, process: &Process) -> bool {
        if self.env.is_empty() {
            return true;
        }
        let entries = process.env.as_deref().unwrap_or_default();
        self.env.iter().any(|wanted| {
            entries.iter().any(|entry| {
                if wanted.contains(&b'=') {
                    entry == wanted
                } else {
                    entry
                        .strip_prefix(wanted.as_slice())
                        .is_some_and(|rest| rest.first() == Some(&b'='))
                }
            })
        })
    }

    /// What the matches stand for as targets of a signal, each with the
    /// matched processes that chose it, in the order of their first match:
    /// without `expand` each matched process itself; with it the whole
    /// group (session) of each. A match whose group (session) id reads 0
    /// (it lies outside the PID namespace) stands for itself, as
    /// [`Selection::select`] shows it. Kernel threads are never targets,
    /// whatever `kernel` says.
    pub fn targets<'s>(&self, snapshot: &'s Snapshot) -> Vec<(Target, Vec<&'s Process>)> {
        let mut targets: Vec<(Target, Vec<&Process>)> = Vec::new();
        let mut index: HashMap<Target, usize> = HashMap::new();
        for process in self.matched(snapshot) {
            if process.kernel_thread {
                continue;
            }
            let target = match self.expand {
                Some(Expand::Group) if process.pgid.is_valid() => Target::Pgid(process.pgid),
                // An escapee of a sealed session stands for that session.
                Some(Expand::Session) if process.session().is_valid() => {
                    Target::Sid(process.session())
                }
                _ => Target::Pid(process.pid),
            };
            let i = *index.entry(target).or_insert_with(|| {
                targets.push((target, Vec::new()));
                targets.len() - 1
            });
            targets[i].1.push(process);
        }
        targets
    }

    fn pattern_matches(&self, process: &Process, me: Pid) -> bool {
        let Some(pattern) = &self.pattern else {
            return true;
        };
        if process.pid == me {
            return false;
        }
        match &process.args {
            Some(args) if self.full && !args.is_empty() => pattern.is_match(&args.join(&b' ')),
            _ => pattern.is_match(&process.comm),
        }
    }
}

fn any_or_empty<T: PartialEq>(wanted: &[T], value: &T) -> bool {
    wanted.is_empty() || wanted.contains(value)
}

/// A selection resolved for signalling: see [`resolve`].
#[derive(Debug)]
pub struct Resolved {
    /// The targets, resolved by [`deliver::resolve`]: every one of them
    /// holds a process the selection matched.
    pub plan: Plan,
    /// Processes the selection matched that were gone, or were another
    /// process (a different start time or name), by the time they were
    /// resolved: not targets.
    pub dropped: Vec<Process>,
}

/// Resolves what `selection` stands for ([`Selection::targets`]) for
/// signalling, race-safely. The selection is matched on one snapshot; its
/// targets are then handed to [`deliver::resolve`], which pins a process
/// target with a pidfd before it reads the process table again. A target
/// is kept only if a process that chose it is in it, in that second read,
/// with the same pid, start time and name: a process that exited, or whose
/// pid went to someone else, in between is not matched. When some target
/// was dropped the rest is resolved again (it gets no larger), until every
/// target holds.
pub fn resolve(selection: &Selection) -> Result<Resolved> {
    let snapshot = Snapshot::read(selection.fields())?;
    let selection = Selection {
        kernel: false,
        ..selection.clone()
    };
    let mut chosen: Vec<(Target, Vec<Process>)> = selection
        .targets(&snapshot)
        .into_iter()
        .map(|(target, by)| (target, by.into_iter().cloned().collect()))
        .collect();
    let mut dropped = Vec::new();
    loop {
        let targets: Vec<Target> = chosen.iter().map(|(target, _)| *target).collect();
        let plan = deliver::resolve(&targets)?;
        let held: Vec<bool> = plan
            .targets()
            .zip(&chosen)
            .map(|((_, members), (_, by))| by.iter().any(|p| still(p, members)))
            .collect();
        if held.iter().all(|&h| h) {
            return Ok(Resolved { plan, dropped });
        }
        let mut kept = Vec::with_capacity(chosen.len());
        for ((target, by), held) in chosen.into_iter().zip(held) {
            if held {
                kept.push((target, by));
            } else {
                dropped.extend(by);
            }
        }
        chosen = kept;
    }
}

/// Whether `process`, as first matched, is among `members` as resolved.
fn still(process: &Process, members: &[Process]) -> bool {
    members
        .iter()
        .any(|m| m.pid == process.pid && m.starttime == process.starttime && m.comm == process.comm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::tests::process;

    fn machine() -> Snapshot {
        let mut processes = vec![
            process(1, 0, 1, 1, "init"),
            process(2, 0, 0, 0, "kthreadd"),
            process(10, 1, 10, 10, "bash"),
            process(20, 10, 20, 10, "python3"),
            process(21, 20, 20, 10, "Python"),
            process(30, 10, 30, 10, "sleep"),
            process(41, 1, 41, 40, "orphan"),
        ];
        processes[1].kernel_thread = true;
        processes[3].args = Some(vec![b"python3".to_vec(), b"serve.py".to_vec()]);
        processes[5].uid = Some(1000);
        processes[5].tty_nr = 34816;
        Snapshot::from_processes(processes)
    }

    fn pids(selection: &Selection, snapshot: &Snapshot) -> Vec<i32> {
        selection
            .select(snapshot)
            .iter()
            .map(|p| p.pid.as_raw())
            .collect()
    }

    #[test]
    fn selects_by_each_kind() {
        let snapshot = machine();
        let all = Selection::default();
        assert_eq!(pids(&all, &snapshot), [1, 10, 20, 21, 30, 41]);
        let kernel = Selection {
            kernel: true,
            ..Selection::default()
        };
        assert_eq!(pids(&kernel, &snapshot), [1, 2, 10, 20, 21, 30, 41]);
        let by_name = Selection {
            pattern: Some(pattern("pyth", false, false).unwrap()),
            ..Selection::default()
        };
        assert_eq!(pids(&by_name, &snapshot), [20]);
        let caseless = Selection {
            pattern: Some(pattern("pyth", false, true).unwrap()),
            ..Selection::default()
        };
        assert_eq!(pids(&caseless, &snapshot), [20, 21]);
        let exact = Selection {
            pattern: Some(pattern("python", true, false).unwrap()),
            ..Selection::default()
        };
        assert_eq!(pids(&exact, &snapshot), [] as [i32; 0]);
        let full = Selection {
            pattern: Some(pattern("serve", false, false).unwrap()),
            full: true,
            ..Selection::default()
        };
        assert_eq!(pids(&full, &snapshot), [20]);
        let by_ids = Selection {
            pgids: vec![Pgid::from_raw(20), Pgid::from_raw(30)],
            sids: vec![Sid::from_raw(10)],
            ..Selection::default()
        };
        assert_eq!(pids(&by_ids, &snapshot), [20, 21, 30]);
        let by_user = Selection {
            uids: vec![1000],
            ..Selection::default()
        };
        assert_eq!(pids(&by_user, &snapshot), [30]);
        let by_tty = Selection {
            ttys: vec![34816],
            ..Selection::default()
        };
        assert_eq!(pids(&by_tty, &snapshot), [30]);
        let no_tty = Selection {
            ttys: vec![0],
            pids: vec![Pid::from_raw(30), Pid::from_raw(1)],
            ..Selection::default()
        };
        assert_eq!(pids(&no_tty, &snapshot), [1]);
    }

    #[test]
    fn orphaned_and_expand() {
        let snapshot = machine();
        let orphaned = Selection {
            orphaned: true,
            ..Selection::default()
        };
        assert_eq!(pids(&orphaned, &snapshot), [1, 10, 41]);
        let group = Selection {
            pids: vec![Pid::from_raw(21)],
            expand: Some(Expand::Group),
            ..Selection::default()
        };
        assert_eq!(pids(&group, &snapshot), [20, 21]);
        let session = Selection {
            pids: vec![Pid::from_raw(21)],
            expand: Some(Expand::Session),
            ..Selection::default()
        };
        assert_eq!(pids(&session, &snapshot), [10, 20, 21, 30]);
    }

    #[test]
    fn parents_and_inverse() {
        let snapshot = machine();
        let children = Selection {
            parents: vec![Pid::from_raw(10), Pid::from_raw(20)],
            ..Selection::default()
        };
        assert_eq!(pids(&children, &snapshot), [20, 21, 30]);
        // Not named python3, within session 10; never a kernel thread.
        let inverse = Selection {
            pattern: Some(pattern("python3", false, false).unwrap()),
            sids: vec![Sid::from_raw(10)],
            inverse: true,
            ..Selection::default()
        };
        assert_eq!(pids(&inverse, &snapshot), [10, 21, 30]);
        let not_children = Selection {
            parents: vec![Pid::from_raw(10)],
            inverse: true,
            ..Selection::default()
        };
        assert_eq!(pids(&not_children, &snapshot), [1, 10, 21, 41]);
    }

    #[test]
    fn targets_are_what_the_matches_stand_for() {
        let snapshot = machine();
        let targets = |selection: &Selection| -> Vec<(Target, Vec<i32>)> {
            selection
                .targets(&snapshot)
                .into_iter()
                .map(|(t, by)| (t, by.iter().map(|p| p.pid.as_raw()).collect()))
                .collect()
        };
        let python = Selection {
            pattern: Some(pattern("(?i)python", false, false).unwrap()),
            ..Selection::default()
        };
        assert_eq!(
            targets(&python),
            [
                (Target::Pid(Pid::from_raw(20)), vec![20]),
                (Target::Pid(Pid::from_raw(21)), vec![21])
            ]
        );
        let groups = Selection {
            expand: Some(Expand::Group),
            ..python.clone()
        };
        assert_eq!(
            targets(&groups),
            [(Target::Pgid(Pgid::from_raw(20)), vec![20, 21])]
        );
        let sessions = Selection {
            pattern: Some(pattern("python3|sleep|orphan|kthreadd", false, false).unwrap()),
            expand: Some(Expand::Session),
            kernel: true,
            ..Selection::default()
        };
        // kthreadd (session 0) is never a target, kernel or not.
        assert_eq!(
            targets(&sessions),
            [
                (Target::Sid(Sid::from_raw(10)), vec![20, 30]),
                (Target::Sid(Sid::from_raw(40)), vec![41])
            ]
        );
        // A match whose group reads 0 stands for itself, as select shows it.
        let mut outside = machine().processes().to_vec();
        outside[4].pgid = Pgid::from_raw(0);
        let outside = Snapshot::from_processes(outside);
        let grown: Vec<Target> = groups
            .targets(&outside)
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        assert_eq!(
            grown,
            [
                Target::Pgid(Pgid::from_raw(20)),
                Target::Pid(Pid::from_raw(21))
            ]
        );
        assert_eq!(pids(&groups, &outside), [20, 21]);
    }

    #[test]
    fn states_environment_pid_files_and_picks() {
        let mut snapshot = machine().processes().to_vec();
        snapshot[4].state = b'T';
        snapshot[5].state = b'Z';
        snapshot[3].env = Some(vec![b"LANG=C".to_vec(), b"HOMEDIR=/x".to_vec()]);
        snapshot[4].env = Some(vec![b"HOME=/root".to_vec()]);
        // Started in the same tick as 20: the higher pid is the newer.
        snapshot[2].starttime = 20;
        let snapshot = Snapshot::from_processes(snapshot);
        let select = |selection: Selection| pids(&selection, &snapshot);
        let states = |text: &str| Selection {
            states: parse_states(text).unwrap(),
            ..Selection::default()
        };
        assert_eq!(select(states("T")), [21]);
        assert_eq!(select(states("T,Z")), [21, 30]);
        assert_eq!(select(states("TZ")), [21, 30]);
        let env = |entries: &[&str]| Selection {
            env: entries.iter().map(|e| parse_env(e).unwrap()).collect(),
            ..Selection::default()
        };
        // A name matches that name only, not a longer one it begins.
        assert_eq!(select(env(&["HOME"])), [21]);
        assert_eq!(select(env(&["HOMEDIR=/x", "HOME=/nope"])), [20]);
        assert_eq!(select(env(&["LANG=C.UTF-8"])), [] as [i32; 0]);
        let pidfile = |pids: Vec<i32>| Selection {
            pidfile: Some(pids.into_iter().map(Pid::from_raw).collect()),
            ..Selection::default()
        };
        assert_eq!(select(pidfile(vec![30])), [30]);
        assert_eq!(select(pidfile(vec![])), [] as [i32; 0]);
        // -v -F: everything but what the file names, as pgrep.
        let not_in_file = Selection {
            inverse: true,
            ..pidfile(vec![30])
        };
        assert_eq!(select(not_in_file), [1, 10, 20, 21, 41]);
        let pick = |pick, sids: Vec<i32>| Selection {
            pick: Some(pick),
            sids: sids.into_iter().map(Sid::from_raw).collect(),
            ..Selection::default()
        };
        assert_eq!(select(pick(Pick::Newest, vec![])), [41]);
        assert_eq!(select(pick(Pick::Oldest, vec![])), [1]);
        // 10 and 20 started in the same tick: newest 20, oldest 10.
        assert_eq!(select(pick(Pick::Newest, vec![10])), [30]);
        assert_eq!(select(pick(Pick::Oldest, vec![10])), [10]);
        let tie = Selection {
            pids: vec![Pid::from_raw(10), Pid::from_raw(20)],
            ..pick(Pick::Newest, vec![])
        };
        assert_eq!(select(tie), [20]);
        let tie = Selection {
            pids: vec![Pid::from_raw(10), Pid::from_raw(20)],
            ..pick(Pick::Oldest, vec![])
        };
        assert_eq!(select(tie), [10]);
        assert!(parse_states("Q").is_err());
        assert!(parse_states(",").is_err());
        assert!(parse_env("=x").is_err());
        assert!(too_long_for_a_name("abcdefghijklmnop"));
        assert!(!too_long_for_a_name("abcdefghijklmno"));
        assert!(!too_long_for_a_name("abcdefgh|ijklmnop"));
    }

    #[test]
    fn bad_patterns_and_users_are_usage_errors() {
        let message = pattern("(", false, false).unwrap_err().to_string();
        assert!(
            message.starts_with("invalid regular expression '('"),
            "{message}"
        );
        assert!(!message.contains('\n'));
        assert!(parse_user("no-such-user-here").is_err());
        assert_eq!(parse_user("root").unwrap(), 0);
        assert_eq!(parse_user("1234").unwrap(), 1234);
        assert!(parse_user("99999999999").is_err());
    }
}
