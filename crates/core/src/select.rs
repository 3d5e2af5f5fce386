//! Selecting processes the way `pgrep` does: different kinds of criteria
//! AND together, values of one kind OR together.

use std::collections::HashSet;

use regex::bytes::{Regex, RegexBuilder};

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
    /// Only members of orphaned process groups.
    pub orphaned: bool,
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
        }
    }

    /// The selected processes, ordered by pid.
    pub fn select<'s>(&self, snapshot: &'s Snapshot) -> Vec<&'s Process> {
        let not_orphaned = self.orphaned.then(|| groups_with_outside_parent(snapshot));
        let me = Pid::current();
        let visible = |p: &&Process| self.kernel || !p.kernel_thread;
        let matched: Vec<&Process> = snapshot
            .processes()
            .iter()
            .filter(visible)
            .filter(|p| self.pattern_matches(p, me))
            .filter(|p| any_or_empty(&self.pids, &p.pid))
            .filter(|p| any_or_empty(&self.pgids, &p.pgid))
            .filter(|p| any_or_empty(&self.sids, &p.sid))
            .filter(|p| self.uids.is_empty() || p.uid.is_some_and(|uid| self.uids.contains(&uid)))
            .filter(|p| any_or_empty(&self.ttys, &p.tty_nr))
            .filter(|p| {
                not_orphaned
                    .as_ref()
                    .is_none_or(|set| p.pgid.is_valid() && !set.contains(&p.pgid))
            })
            .collect();
        match self.expand {
            None => matched,
            Some(Expand::Group) => {
                let pgids: HashSet<Pgid> = matched
                    .iter()
                    .map(|p| p.pgid)
                    .filter(|g| g.is_valid())
                    .collect();
                let seen: HashSet<Pid> = matched.iter().map(|p| p.pid).collect();
                let grown = snapshot.processes().iter().filter(visible);
                grown
                    .filter(|p| pgids.contains(&p.pgid) || seen.contains(&p.pid))
                    .collect()
            }
            Some(Expand::Session) => {
                let sids: HashSet<Sid> = matched
                    .iter()
                    .map(|p| p.sid)
                    .filter(|s| s.is_valid())
                    .collect();
                let seen: HashSet<Pid> = matched.iter().map(|p| p.pid).collect();
                let grown = snapshot.processes().iter().filter(visible);
                grown
                    .filter(|p| sids.contains(&p.sid) || seen.contains(&p.pid))
                    .collect()
            }
        }
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
