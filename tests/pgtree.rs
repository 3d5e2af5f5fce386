//! End-to-end tests of pgtree. The scenarios run in PID namespaces of their
//! own, and every output is checked against what the kernel says about the
//! namespace's processes (read by the harness, not by the code under test).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::{self, assert_exit, unescape, Namespace, Proc, PGTREE};

/// Three sessions, several groups each, built with job-control shells:
///
/// 1. on a terminal of its own (script(1) opens a pty): a bash with a
///    background job, a stopped job and a foreground job;
/// 2. without a terminal, its leader alive: a job whose shell has a child
///    (nesting), a zombie under a parent that never reaps it, and processes
///    with awkward names: spaces and parentheses (longer than comm's 15
///    bytes), a byte that is not UTF-8, a newline;
/// 3. a session whose shell exited at once, leaving two orphaned jobs, one
///    a pipeline;
///
/// plus processes of other users in init's group: nobody, and a uid that
/// has no name.
const SCENARIO: &str = r#"
set -e
cp /bin/sleep "$DIR/a (b) c) d-long-name"
cp /bin/sleep "$DIR/sleeper"
cp /bin/sleep "$DIR/$(printf 'bad\377name')"
cp /bin/sleep "$DIR/$(printf 'new\nline')"
cat > "$DIR/tty.sh" <<'EOF'
set -m
sleep 1001 &
sh -c 'kill -STOP $$; exec sleep 1002' &
sleep 1003
EOF
SHELL=/bin/sh script -q -c 'exec bash "$DIR/tty.sh"' /dev/null </dev/null >/dev/null 2>&1 &
setsid bash -c '
set -m
sh -c "sleep 1004 & wait" &
"$DIR/a (b) c) d-long-name" 1005 &
sh -c "/bin/true & exec sleep 1006" &
"$DIR/sleeper" 1011 &
"$DIR/$(printf "bad\377name")" 1012 &
"$DIR/$(printf "new\nline")" 1013 &
wait' </dev/null >/dev/null 2>&1 &
setsid bash -c 'set -m; sleep 1007 & sleep 1008 | sleep 1009 &' </dev/null >/dev/null 2>&1
setpriv --reuid=65534 --regid=65534 --clear-groups sleep 1010 </dev/null >/dev/null 2>&1 &
setpriv --reuid=4242 --regid=4242 --clear-groups sleep 1014 </dev/null >/dev/null 2>&1 &
"#;

const WEIRD_FILE: &str = "a (b) c) d-long-name";
const WEIRD_COMM: &str = "a (b) c) d-long";

/// The scenario, started and settled: every process has exec'd and sleeps,
/// the stopped
/// job is stopped, the zombie is a zombie, the foreground job has the
/// terminal. `None` when PID namespaces are not available.
fn scenario() -> Option<Namespace> {
    let ns = Namespace::start(SCENARIO)?;
    ns.wait_for("the scenario's processes are all in place", |ps| {
        let args = |text: &str| ps.iter().find(|p| p.cmdline() == text);
        let comm = |comm: &[u8]| ps.iter().any(|p| p.comm == comm);
        let simple = [1001, 1004, 1007, 1008, 1009]
            .iter()
            .all(|n| args(&format!("sleep {n}")).is_some());
        let foreground = args("sleep 1003").is_some_and(|p| p.tty_nr != 0 && p.tpgid == p.pgid);
        let stopped = ps
            .iter()
            .any(|p| p.state == 'T' && p.cmdline().contains("kill -STOP"));
        let zombie = args("sleep 1006")
            .is_some_and(|parent| ps.iter().any(|p| p.ppid == parent.pid && p.state == 'Z'));
        let nobody = args("sleep 1010").is_some_and(|p| p.uid == 65534)
            && args("sleep 1014").is_some_and(|p| p.uid == 4242);
        // Settled: nothing is still running its way into a sleep.
        let settled = ps.iter().all(|p| matches!(p.state, 'S' | 'T' | 'Z'));
        simple
            && settled
            && foreground
            && stopped
            && zombie
            && nobody
            && comm(WEIRD_COMM.as_bytes())
            && comm(b"sleeper")
            && comm(b"bad\xffname")
            && comm(b"new\nline")
    });
    Some(ns)
}

/// The one process whose command line is `text`.
fn by_args<'p>(ps: &'p [Proc], text: &str) -> &'p Proc {
    let found: Vec<&Proc> = ps.iter().filter(|p| p.cmdline() == text).collect();
    assert_eq!(found.len(), 1, "processes with command line {text:?}");
    found[0]
}

fn by_comm<'p>(ps: &'p [Proc], comm: &[u8]) -> &'p Proc {
    let found: Vec<&Proc> = ps.iter().filter(|p| p.comm == comm).collect();
    assert_eq!(found.len(), 1, "processes named {comm:?}");
    found[0]
}

/// Whether `group` is orphaned (POSIX), judged on the kernel's table.
fn orphaned(ps: &[Proc], pgid: i32) -> bool {
    pgid > 0
        && !ps.iter().any(|p| {
            p.pgid == pgid
                && ps.iter().any(|parent| {
                    parent.pid == p.ppid && parent.sid == p.sid && parent.pgid != pgid
                })
        })
}

/// pgtree's JSON rows.
#[track_caller]
fn json_rows(output: &std::process::Output) -> Vec<serde_json::Map<String, Value>> {
    let value: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    let rows: Vec<_> = value
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|row| row.as_object().expect("an object per process").clone())
        .collect();
    // pgtree's documented status for what it printed: 0 when it showed a
    // process, 1 when nothing matched.
    assert_exit(output, if rows.is_empty() { 1 } else { 0 });
    rows
}

fn int(row: &serde_json::Map<String, Value>, key: &str) -> i64 {
    row[key]
        .as_i64()
        .unwrap_or_else(|| panic!("{key} is not an integer in {row:?}"))
}

/// Whether a row is pgtree's own: it ran through nsenter (ppid 0) and is
/// gone now.
fn is_own_row(ns: &Namespace, row: &serde_json::Map<String, Value>) -> bool {
    row["comm"] == "pgtree" && int(row, "ppid") == 0 && ns.stat(int(row, "pid") as i32).is_none()
}

/// The pids pgtree selects with `args`, without its own row, and whether
/// its own row was there. Checks the exit code: 0 when something was
/// shown, 1 when nothing.
fn select(ns: &Namespace, args: &[&str]) -> (Vec<i32>, bool) {
    let mut all = vec!["--json", "-o", "pid,ppid,comm"];
    all.extend_from_slice(args);
    let output = ns.run(PGTREE, &all);
    let rows = json_rows(&output);
    assert_exit(&output, if rows.is_empty() { 1 } else { 0 });
    assert!(output.stderr.is_empty(), "{}", support::stderr(&output));
    let own = rows.iter().filter(|row| is_own_row(ns, row)).count();
    assert!(own <= 1);
    let mut pids: Vec<i32> = rows
        .iter()
        .filter(|row| !is_own_row(ns, row))
        .map(|row| int(row, "pid") as i32)
        .collect();
    pids.sort_unstable();
    (pids, own == 1)
}

/// The pids of the kernel's processes that satisfy `wanted`, sorted.
fn expect(ps: &[Proc], wanted: impl Fn(&Proc) -> bool) -> Vec<i32> {
    ps.iter().filter(|p| wanted(p)).map(|p| p.pid).collect()
}

#[track_caller]
fn assert_selects(ns: &Namespace, ps: &[Proc], args: &[&str], wanted: impl Fn(&Proc) -> bool) {
    let expected = expect(ps, wanted);
    assert!(
        !expected.is_empty(),
        "a selection test must select something"
    );
    let (pids, _) = select(ns, args);
    assert_eq!(pids, expected, "pgtree {args:?}");
}

#[test]
fn json_matches_the_kernel_for_every_process() {
    let Some(ns) = scenario() else { return };
    let columns = "pid,ppid,pgid,sid,tpgid,tty,user,uid,state,comm,args";
    let output = ns.run(PGTREE, ["--json", "-o", columns]);
    assert_exit(&output, 0);
    assert!(output.stderr.is_empty(), "{}", support::stderr(&output));
    let rows = json_rows(&output);
    let ps = ns.processes();

    // Exactly the namespace's processes, plus pgtree itself.
    let own: Vec<_> = rows.iter().filter(|row| is_own_row(&ns, row)).collect();
    assert_eq!(own.len(), 1, "pgtree's own row");
    let shown: BTreeSet<i64> = rows.iter().map(|row| int(row, "pid")).collect();
    assert_eq!(shown.len(), rows.len(), "a row per process");
    let kernel: BTreeSet<i64> = ps.iter().map(|p| i64::from(p.pid)).collect();
    let own_pid = int(own[0], "pid");
    assert_eq!(
        shown
            .iter()
            .filter(|&&pid| pid != own_pid)
            .copied()
            .collect::<BTreeSet<_>>(),
        kernel,
        "pgtree must show every process of the namespace"
    );

    // Ordered by sid, then pgid, then pid.
    let keys: Vec<(i64, i64, i64)> = rows
        .iter()
        .map(|row| (int(row, "sid"), int(row, "pgid"), int(row, "pid")))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted, "rows ordered by sid, pgid, pid");

    for row in &rows {
        let names: Vec<&str> = row.keys().map(String::as_str).collect();
        let mut wanted: Vec<&str> = columns.split(',').collect();
        wanted.sort_unstable();
        assert_eq!(names, wanted, "the keys are the columns");
        if is_own_row(&ns, row) {
            continue;
        }
        let pid = int(row, "pid") as i32;
        let p = ps.iter().find(|p| p.pid == pid).unwrap();
        let what = format!("pid {pid}: {row:?} vs {p:?}");
        assert_eq!(int(row, "ppid"), i64::from(p.ppid), "{what}");
        assert_eq!(int(row, "pgid"), i64::from(p.pgid), "{what}");
        assert_eq!(int(row, "sid"), i64::from(p.sid), "{what}");
        assert_eq!(int(row, "tpgid"), i64::from(p.tpgid), "{what}");
        assert_eq!(int(row, "uid"), i64::from(p.uid), "{what}");
        assert_eq!(row["state"], p.state.to_string(), "{what}");
        assert_eq!(row["comm"], p.comm(), "{what}");
        match p.tty() {
            Some(tty) => assert_eq!(row["tty"], tty, "{what}"),
            None => assert!(row["tty"].is_null(), "{what}"),
        }
        // The name, or the uid as a string when it has none.
        let user = support::user_name(p.uid).unwrap_or_else(|| p.uid.to_string());
        assert_eq!(row["user"], user, "{what}");
        let args: Vec<String> = p
            .args
            .iter()
            .map(|arg| String::from_utf8_lossy(arg).into_owned())
            .collect();
        assert_eq!(row["args"], serde_json::json!(args), "{what}");
    }

    // The facts the scenario was built for, stated directly.
    let row = |pid: i32| {
        rows.iter()
            .find(|row| int(row, "pid") == i64::from(pid))
            .unwrap()
    };
    let weird = by_comm(&ps, WEIRD_COMM.as_bytes());
    assert_eq!(row(weird.pid)["comm"], WEIRD_FILE[..15]);
    let zombie = ps.iter().find(|p| p.state == 'Z').unwrap();
    assert_eq!(row(zombie.pid)["state"], "Z");
    assert_eq!(row(zombie.pid)["args"], serde_json::json!([]));
    assert_eq!(
        row(by_comm(&ps, b"bad\xffname").pid)["comm"],
        "bad\u{fffd}name"
    );
    assert_eq!(row(by_comm(&ps, b"new\nline").pid)["comm"], "new\nline");
    let nobody = by_args(&ps, "sleep 1010");
    assert_eq!(row(nobody.pid)["user"], "nobody");
    assert_eq!(int(row(nobody.pid), "uid"), 65534);
    let nameless = by_args(&ps, "sleep 1014");
    assert_eq!(
        support::user_name(4242),
        None,
        "uid 4242 must have no name here"
    );
    assert_eq!(row(nameless.pid)["user"], "4242");
    let stopped = ps.iter().find(|p| p.state == 'T').unwrap();
    assert_eq!(row(stopped.pid)["state"], "T");
    let on_tty = by_args(&ps, "sleep 1001");
    assert!(row(on_tty.pid)["tty"].as_str().unwrap().starts_with("pts/"));
    assert_eq!(
        int(row(on_tty.pid), "tpgid"),
        i64::from(by_args(&ps, "sleep 1003").pgid)
    );
}

/// One process line of the tree.
#[derive(Debug)]
struct TreeProcess {
    pid: i32,
    comm: String,
    /// The marks after the pid: `session leader`, and one of `stopped`,
    /// `traced`, `uninterruptible`, `zombie`.
    marks: Vec<&'static str>,
    /// The process line this one is nested under, if any.
    parent: Option<i32>,
}

#[derive(Debug)]
struct TreeGroup {
    pgid: i32,
    foreground: bool,
    orphaned: bool,
    processes: Vec<TreeProcess>,
}

#[derive(Debug)]
struct TreeSession {
    sid: i32,
    leader: String,
    tty: String,
    groups: Vec<TreeGroup>,
}

/// Parses the tree, checking its box drawing on the way: every line's
/// prefix is made of 3-character units; the last unit is `├─ ` when a
/// sibling follows and `└─ ` when not, the others `│  ` while the ancestor
/// at that depth has a sibling still to come and `   ` when not.
fn parse_tree(text: &str) -> Vec<TreeSession> {
    const UNITS: [&str; 4] = ["├─ ", "└─ ", "│  ", "   "];
    let mut lines: Vec<(usize, Vec<&str>, &str)> = Vec::new();
    for line in text.lines() {
        let mut rest = line;
        let mut units = Vec::new();
        while let Some(unit) = UNITS.iter().find(|u| rest.starts_with(*u)) {
            units.push(*unit);
            rest = &rest[unit.len()..];
        }
        assert!(
            !rest.contains(|c: char| c.is_control()),
            "control characters in {line:?}"
        );
        lines.push((units.len(), units, rest));
    }
    for (i, (depth, units, _)) in lines.iter().enumerate() {
        for (k, unit) in units.iter().enumerate() {
            let level = k + 1;
            let more = lines[i + 1..]
                .iter()
                .map(|(d, _, _)| *d)
                .find(|&d| d <= level)
                .is_some_and(|d| d == level);
            let expected = match (k + 1 == *depth, more) {
                (true, true) => "├─ ",
                (true, false) => "└─ ",
                (false, true) => "│  ",
                (false, false) => "   ",
            };
            assert_eq!(
                *unit,
                expected,
                "unit {k} of line {i}: {:?}",
                text.lines().nth(i)
            );
        }
    }

    let mut sessions: Vec<TreeSession> = Vec::new();
    // The pids of the current group's lines by depth, to find parents.
    let mut stack: Vec<i32> = Vec::new();
    for (depth, _, rest) in lines {
        match depth {
            0 => {
                let rest = rest.strip_prefix("session ").expect("a session line");
                let (sid, rest) = rest.split_once(' ').unwrap();
                let (leader, tty) = rest.rsplit_once(' ').unwrap();
                sessions.push(TreeSession {
                    sid: sid.parse().unwrap(),
                    leader: leader.to_string(),
                    tty: tty.to_string(),
                    groups: Vec::new(),
                });
            }
            1 => {
                let words: Vec<&str> = rest.split(' ').collect();
                assert_eq!(words[0], "group", "a group line: {rest:?}");
                for marker in &words[2..] {
                    assert!(["foreground", "orphaned"].contains(marker), "{rest:?}");
                }
                sessions.last_mut().unwrap().groups.push(TreeGroup {
                    pgid: words[1].parse().unwrap(),
                    foreground: words.contains(&"foreground"),
                    orphaned: words.contains(&"orphaned"),
                    processes: Vec::new(),
                });
                stack.clear();
            }
            depth => {
                const MARKS: [&str; 5] = [
                    "session leader",
                    "stopped",
                    "traced",
                    "uninterruptible",
                    "zombie",
                ];
                let mut rest = rest;
                let mut marks = Vec::new();
                while let Some((mark, before)) = MARKS.iter().find_map(|mark| {
                    rest.strip_suffix(mark)
                        .and_then(|r| r.strip_suffix(' '))
                        .map(|r| (*mark, r))
                }) {
                    marks.insert(0, mark);
                    rest = before;
                }
                let (comm, pid) = rest.rsplit_once(' ').expect("comm and pid");
                let pid: i32 = pid.parse().expect("a pid");
                stack.truncate(depth - 2);
                assert_eq!(stack.len(), depth - 2, "a line nested too deep");
                let group = sessions.last_mut().unwrap().groups.last_mut().unwrap();
                group.processes.push(TreeProcess {
                    pid,
                    comm: comm.to_string(),
                    marks,
                    parent: stack.last().copied(),
                });
                stack.push(pid);
            }
        }
    }
    sessions
}

/// Checks a parsed tree against the kernel's table: sessions, groups and
/// processes in order, each where the kernel puts it, leaders, terminals,
/// markers and nesting. `own` is pgtree's own process (gone by now).
fn check_tree(tree: &[TreeSession], ps: &[Proc], own: Option<i32>, shown: &BTreeSet<i32>) {
    let find = |pid: i32| ps.iter().find(|p| p.pid == pid);
    let mut seen = BTreeSet::new();
    for pair in tree.windows(2) {
        assert!(pair[0].sid < pair[1].sid, "sessions ordered by sid");
    }
    for session in tree {
        let members: Vec<&Proc> = ps.iter().filter(|p| p.sid == session.sid).collect();
        let leader = find(session.sid).filter(|p| p.sid == session.sid);
        match leader {
            Some(leader) => assert_eq!(unescape(&session.leader), leader.comm),
            None => assert_eq!(session.leader, "(no leader)"),
        }
        let tty_nr = leader
            .map(|p| p.tty_nr)
            .filter(|&t| t != 0)
            .or_else(|| members.iter().map(|p| p.tty_nr).find(|&t| t != 0))
            .unwrap_or(0);
        let tty = support::tty_name(tty_nr).unwrap_or_else(|| "?".to_string());
        assert_eq!(session.tty, tty, "session {}", session.sid);
        let foreground = members
            .iter()
            .find(|p| p.tty_nr != 0 && p.tpgid > 0)
            .map(|p| p.tpgid);
        for pair in session.groups.windows(2) {
            assert!(pair[0].pgid < pair[1].pgid, "groups ordered by pgid");
        }
        for group in &session.groups {
            let what = format!("group {} of session {}", group.pgid, session.sid);
            assert_eq!(group.foreground, foreground == Some(group.pgid), "{what}");
            assert_eq!(group.orphaned, orphaned(ps, group.pgid), "{what}");
            let pids: BTreeSet<i32> = group.processes.iter().map(|p| p.pid).collect();
            let mut last_child: BTreeMap<Option<i32>, i32> = BTreeMap::new();
            for line in &group.processes {
                assert!(seen.insert(line.pid), "pid {} shown twice", line.pid);
                if Some(line.pid) == own {
                    assert_eq!((session.sid, group.pgid), (0, 0));
                    assert_eq!(line.comm, "pgtree");
                    continue;
                }
                let p = find(line.pid).unwrap_or_else(|| panic!("no process {}", line.pid));
                let what = format!("{line:?} vs {p:?}");
                assert_eq!((p.sid, p.pgid), (session.sid, group.pgid), "{what}");
                assert_eq!(unescape(&line.comm), p.comm, "{what}");
                // The leader first, then the state (D comes and goes).
                let mut marks = Vec::new();
                if p.pid == p.sid {
                    marks.push("session leader");
                }
                match p.state {
                    'T' => marks.push("stopped"),
                    't' => marks.push("traced"),
                    'Z' => marks.push("zombie"),
                    _ => {}
                }
                let shown: Vec<&str> = line
                    .marks
                    .iter()
                    .copied()
                    .filter(|&mark| mark != "uninterruptible" || p.state == 'D')
                    .collect();
                assert_eq!(shown, marks, "marks of {what}");
                let parent = (p.ppid != p.pid && pids.contains(&p.ppid)).then_some(p.ppid);
                assert_eq!(line.parent, parent, "nesting of {what}");
                if let Some(previous) = last_child.insert(line.parent, line.pid) {
                    assert!(previous < line.pid, "siblings ordered by pid: {what}");
                }
            }
        }
    }
    let expected: BTreeSet<i32> = shown.iter().copied().chain(own).collect();
    assert_eq!(seen, expected, "the processes in the tree");
}

/// pgtree's own line in a tree: a `pgtree` process that is gone now.
fn own_in_tree(ns: &Namespace, tree: &[TreeSession]) -> Option<i32> {
    let own: Vec<i32> = tree
        .iter()
        .flat_map(|s| &s.groups)
        .flat_map(|g| &g.processes)
        .filter(|p| p.comm == "pgtree" && ns.stat(p.pid).is_none())
        .map(|p| p.pid)
        .collect();
    assert!(own.len() <= 1);
    own.first().copied()
}

#[test]
fn tree_shows_sessions_groups_and_nesting() {
    let Some(ns) = scenario() else { return };
    let output = ns.run(PGTREE, [] as [&str; 0]);
    assert_exit(&output, 0);
    assert!(output.stderr.is_empty(), "{}", support::stderr(&output));
    let text = support::stdout(&output);
    assert!(!text.contains('\x1b'), "no color into a pipe");
    let tree = parse_tree(&text);
    let ps = ns.processes();
    let own = own_in_tree(&ns, &tree);
    assert!(own.is_some(), "pgtree shows itself:\n{text}");
    let all: BTreeSet<i32> = ps.iter().map(|p| p.pid).collect();
    check_tree(&tree, &ps, own, &all);

    // What the scenario was built for, stated directly.
    let group = |pgid: i32| {
        tree.iter()
            .flat_map(|s| &s.groups)
            .find(|g| g.pgid == pgid)
            .unwrap_or_else(|| panic!("no group {pgid} in\n{text}"))
    };
    let foreground = by_args(&ps, "sleep 1003");
    assert!(group(foreground.pgid).foreground, "{text}");
    let tty_session = tree.iter().find(|s| s.sid == foreground.sid).unwrap();
    assert_eq!(tty_session.leader, "bash");
    assert!(tty_session.tty.starts_with("pts/"), "{text}");
    assert!(!group(by_args(&ps, "sleep 1001").pgid).foreground);
    assert!(
        group(tty_session.sid).orphaned,
        "the leader's group: {text}"
    );
    assert!(!group(by_args(&ps, "sleep 1001").pgid).orphaned, "{text}");
    let orphan = by_args(&ps, "sleep 1008");
    let left = tree.iter().find(|s| s.sid == orphan.sid).unwrap();
    assert_eq!(
        (left.leader.as_str(), left.tty.as_str()),
        ("(no leader)", "?")
    );
    assert!(left.groups.iter().all(|g| g.orphaned), "{text}");
    assert_eq!(
        group(orphan.pgid).processes.len(),
        2,
        "the pipeline: {text}"
    );
    let nested = by_args(&ps, "sleep 1004");
    let line = group(nested.pgid)
        .processes
        .iter()
        .find(|l| l.pid == nested.pid)
        .unwrap();
    assert_eq!(line.parent, Some(nested.ppid), "{text}");
    let zombie = ps.iter().find(|p| p.state == 'Z').unwrap();
    let zombie_line = format!("true {} zombie", zombie.pid);
    assert!(
        text.lines().any(|l| l.ends_with(&zombie_line)),
        "{zombie_line:?} in\n{text}"
    );
    let weird = by_comm(&ps, WEIRD_COMM.as_bytes());
    let weird_line = format!("─ {WEIRD_COMM} {}", weird.pid);
    assert!(text.lines().any(|l| l.ends_with(&weird_line)), "{text}");
    assert!(text.contains(&format!(
        "bad\\xffname {}",
        by_comm(&ps, b"bad\xffname").pid
    )));
    assert!(text.contains(&format!("new\\x0aline {}", by_comm(&ps, b"new\nline").pid)));
}

#[test]
fn partial_trees_keep_the_whole_picture() {
    let Some(ns) = scenario() else { return };
    let ps = ns.processes();
    // One process of a group: the group keeps its markers, the session its
    // leader and terminal, and the process becomes a root.
    for args in ["sleep 1003", "sleep 1004", "sleep 1008"] {
        let p = by_args(&ps, args);
        let output = ns.run(PGTREE, ["-p", &p.pid.to_string()]);
        assert_exit(&output, 0);
        let tree = parse_tree(&support::stdout(&output));
        check_tree(&tree, &ps, None, &BTreeSet::from([p.pid]));
    }
    // A whole session.
    let session = by_args(&ps, "sleep 1004").sid;
    let output = ns.run(PGTREE, ["--tree", "-s", &session.to_string()]);
    assert_exit(&output, 0);
    let tree = parse_tree(&support::stdout(&output));
    let members: BTreeSet<i32> = expect(&ps, |p| p.sid == session).into_iter().collect();
    check_tree(&tree, &ps, None, &members);
}

#[test]
fn selection_by_name_and_command_line() {
    let Some(ns) = scenario() else { return };
    let ps = ns.processes();
    let comm = |p: &Proc| p.comm();
    assert_selects(&ns, &ps, &["sleep"], |p| comm(p).contains("sleep"));
    assert_selects(&ns, &ps, &["-x", "sleep"], |p| comm(p) == "sleep");
    assert_selects(&ns, &ps, &["--exact", "sleep|sh"], |p| {
        ["sleep", "sh"].contains(&comm(p).as_str())
    });
    assert_selects(&ns, &ps, &["-i", "SLEEPER"], |p| comm(p) == "sleeper");
    assert_selects(&ns, &ps, &["-x", "-i", "SLEEP"], |p| comm(p) == "sleep");
    assert_eq!(
        select(&ns, &["SLEEPER"]),
        (Vec::<i32>::new(), false),
        "case matters"
    );
    assert_selects(&ns, &ps, &["^sleep$"], |p| comm(p) == "sleep");
    // Names with spaces and parentheses, as regular expressions.
    assert_selects(&ns, &ps, &["-x", r"a \(b\) c\) d-long"], |p| {
        comm(p) == WEIRD_COMM
    });
    assert_selects(&ns, &ps, &[r"\) d"], |p| comm(p) == WEIRD_COMM);
    // The name is comm (15 bytes): the rest of the file name is not in it,
    // but it is in the command line.
    assert_eq!(select(&ns, &["long-name"]).0, Vec::<i32>::new());
    assert_selects(&ns, &ps, &["-f", "long-name 1005$"], |p| {
        p.cmdline().ends_with("long-name 1005")
    });
    assert_selects(&ns, &ps, &["--full", "sleep 100[34]"], |p| {
        let line = p.cmdline();
        line.contains("sleep 1003") || line.contains("sleep 1004")
    });
    assert_selects(&ns, &ps, &["-f", "-x", "sleep 1004"], |p| {
        p.cmdline() == "sleep 1004"
    });
    assert_selects(&ns, &ps, &["-f", "-i", "KILL -stop"], |p| {
        p.cmdline().contains("kill -STOP")
    });
    // A zombie has no command line: -f matches its name.
    assert_selects(&ns, &ps, &["-f", "^true$"], |p| p.state == 'Z');
    // Like pgrep, the pattern never matches pgtree itself, although its own
    // name and command line match.
    assert_eq!(select(&ns, &["^pgtree$"]), (Vec::<i32>::new(), false));
    assert_eq!(
        select(&ns, &["-f", "no-such-marker"]),
        (Vec::<i32>::new(), false)
    );
}

#[test]
fn selection_by_ids() {
    let Some(ns) = scenario() else { return };
    let ps = ns.processes();
    let a = by_args(&ps, "sleep 1004");
    let b = by_args(&ps, "sleep 1007");
    let c = by_args(&ps, "sleep 1010");
    let (sa, sb, sc) = (a.pid.to_string(), b.pid.to_string(), c.pid.to_string());
    let list = format!("{sa},{sb}");
    assert_selects(&ns, &ps, &["-p", &list, "--pid", &sc], |p| {
        [a.pid, b.pid, c.pid].contains(&p.pid)
    });
    assert_selects(&ns, &ps, &["-p", "1"], |p| p.pid == 1);
    let pipeline = by_args(&ps, "sleep 1008").pgid;
    let groups = format!("{},{pipeline}", a.pgid);
    assert_selects(&ns, &ps, &["-g", &groups], |p| {
        p.pgid == a.pgid || p.pgid == pipeline
    });
    assert_selects(&ns, &ps, &["--pgid", &a.pgid.to_string()], |p| {
        p.pgid == a.pgid
    });
    let sessions = format!("{},{}", a.sid, b.sid);
    assert_selects(&ns, &ps, &["-s", &sessions], |p| {
        p.sid == a.sid || p.sid == b.sid
    });
    let tty_sid = by_args(&ps, "sleep 1003").sid.to_string();
    assert_selects(
        &ns,
        &ps,
        &["--sid", &tty_sid, "-s", &b.sid.to_string()],
        |p| p.sid.to_string() == tty_sid || p.sid == b.sid,
    );
    // Different kinds AND together.
    assert_selects(&ns, &ps, &["-s", &a.sid.to_string(), "-g", &groups], |p| {
        p.pgid == a.pgid
    });
    assert_selects(&ns, &ps, &["-s", &a.sid.to_string(), "sleep"], |p| {
        p.sid == a.sid && p.comm().contains("sleep")
    });
    assert_eq!(
        select(&ns, &["-p", &sa, "-s", &b.sid.to_string()]).0,
        Vec::<i32>::new()
    );
    assert_eq!(select(&ns, &["-p", "99999"]).0, Vec::<i32>::new());
    assert_eq!(
        select(&ns, &["-g", "99999", "-s", "99999"]).0,
        Vec::<i32>::new()
    );
}

#[test]
fn self_is_pgtrees_own_group_and_session() {
    let Some(ns) = scenario() else { return };
    // pgtree as the leader of a new session, with a child of its own:
    // `self` is that session and that group, nothing else.
    for flag in ["-s", "-g"] {
        let script = format!(
            "sleep 1000 >/dev/null 2>&1 & exec \"$PGTREE\" {flag} self --json -o pid,ppid,pgid,sid,comm"
        );
        let output = support::run(
            ns.command("setsid")
                .args(["sh", "-c", &script])
                .env("PGTREE", PGTREE),
        );
        assert_exit(&output, 0);
        let rows = json_rows(&output);
        assert_eq!(rows.len(), 2, "pgtree and its child: {rows:?}");
        let me = rows.iter().find(|r| r["comm"] == "pgtree").unwrap();
        let pid = int(me, "pid");
        assert_eq!((int(me, "pgid"), int(me, "sid")), (pid, pid));
        // The child may not have exec'd sleep yet: know it by its parent.
        let child = rows.iter().find(|r| int(r, "ppid") == pid).unwrap();
        assert_eq!((int(child, "pgid"), int(child, "sid")), (pid, pid));
        let kernel = ns.stat(int(child, "pid") as i32).unwrap();
        assert_eq!((kernel.pgid, kernel.sid), (pid as i32, pid as i32));
    }
    // From outside the namespace's sessions, pgtree's own session and group
    // read as 0: `self` names nothing pgtree could show, and must not
    // mean "every process whose session is outside".
    for flag in ["-s", "-g"] {
        let output = ns.run(PGTREE, [flag, "self"]);
        assert_exit(&output, 2);
        let text = support::stderr(&output);
        assert!(text.starts_with("pgtree: error: "), "{text}");
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn selection_by_user_and_terminal() {
    let Some(ns) = scenario() else { return };
    let ps = ns.processes();
    assert_selects(&ns, &ps, &["-u", "nobody"], |p| p.uid == 65534);
    assert_selects(&ns, &ps, &["--user", "65534"], |p| p.uid == 65534);
    assert_selects(&ns, &ps, &["-u", "4242,nobody"], |p| {
        p.uid == 4242 || p.uid == 65534
    });
    let (root, own) = select(&ns, &["-u", "root"]);
    assert_eq!(root, expect(&ps, |p| p.uid == 0));
    assert!(own, "pgtree runs as root");
    let (both, _) = select(&ns, &["-u", "nobody,0", "-u", "4242"]);
    assert_eq!(both, expect(&ps, |_| true));
    assert_selects(
        &ns,
        &ps,
        &["-u", "nobody", "-u", "root", "-x", "sleep"],
        |p| p.comm() == "sleep" && p.uid != 4242,
    );
    assert_eq!(select(&ns, &["-u", "12345"]).0, Vec::<i32>::new());

    let tty = by_args(&ps, "sleep 1001").tty().unwrap();
    let tty_nr = by_args(&ps, "sleep 1001").tty_nr;
    assert_selects(&ns, &ps, &["-t", &tty], |p| p.tty_nr == tty_nr);
    assert_selects(&ns, &ps, &["--tty", &format!("/dev/{tty}")], |p| {
        p.tty_nr == tty_nr
    });
    let (none, own) = select(&ns, &["-t", "?"]);
    assert_eq!(none, expect(&ps, |p| p.tty_nr == 0));
    assert!(own, "pgtree runs without a terminal");
    let (either, _) = select(&ns, &["-t", &format!("{tty},?")]);
    assert_eq!(either, expect(&ps, |_| true));
    assert_selects(&ns, &ps, &["-t", "?", "-u", "nobody"], |p| p.uid == 65534);
    assert_eq!(
        select(&ns, &["-t", &tty, "-u", "nobody"]).0,
        Vec::<i32>::new()
    );
}

#[test]
fn orphaned_groups_and_expansion() {
    let Some(ns) = scenario() else { return };
    let ps = ns.processes();
    assert_selects(&ns, &ps, &["--orphaned"], |p| orphaned(&ps, p.pgid));
    // Both kinds of orphan are there: a dead shell's jobs, and the groups of
    // session leaders whose parents are in another session.
    let (orphans, _) = select(&ns, &["--orphaned"]);
    assert!(orphans.contains(&by_args(&ps, "sleep 1009").pid));
    assert!(orphans.contains(&by_args(&ps, "sleep 1001").sid));
    assert!(!orphans.contains(&by_args(&ps, "sleep 1001").pid));
    let orphan_sid = by_args(&ps, "sleep 1007").sid;
    assert_selects(
        &ns,
        &ps,
        &["--orphaned", "-s", &orphan_sid.to_string()],
        |p| p.sid == orphan_sid,
    );

    let nested = by_args(&ps, "sleep 1004");
    assert_selects(
        &ns,
        &ps,
        &["-p", &nested.pid.to_string(), "--expand", "group"],
        |p| p.pgid == nested.pgid,
    );
    assert_selects(&ns, &ps, &["-x", "sleeper", "--expand", "session"], |p| {
        p.sid == nested.sid
    });
    let pipe = format!("{},{}", nested.pid, by_args(&ps, "sleep 1009").pid);
    assert_selects(&ns, &ps, &["-p", &pipe, "--expand=group"], |p| {
        p.pgid == nested.pgid || p.pgid == by_args(&ps, "sleep 1009").pgid
    });
    // A group or session outside the namespace (id 0) is never expanded.
    let outside = by_args(&ps, "sleep 1010");
    assert_eq!(outside.pgid, 0);
    for what in ["group", "session"] {
        assert_selects(
            &ns,
            &ps,
            &["-p", &outside.pid.to_string(), "--expand", what],
            |p| p.pid == outside.pid,
        );
    }
}

#[test]
fn kernel_threads_only_with_k() {
    // Kernel threads are not in a PID namespace: look at the host's /proc,
    // read-only.
    let kthread = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(support::host_stat)
        .find(Proc::is_kernel_thread);
    let Some(kthread) = kthread else {
        support::skip("no kernel thread is visible here");
        return;
    };
    let pid = kthread.pid.to_string();
    let hidden = support::run(Command::new(PGTREE).args(["-p", &pid]));
    assert_exit(&hidden, 1);
    assert!(hidden.stdout.is_empty());
    for flag in ["-k", "--kernel"] {
        let shown = support::run(Command::new(PGTREE).args([flag, "-p", &pid, "--json"]));
        assert_exit(&shown, 0);
        let rows = json_rows(&shown);
        assert_eq!(rows.len(), 1);
        assert_eq!(int(&rows[0], "pid"), i64::from(kthread.pid));
        assert_eq!(int(&rows[0], "sid"), i64::from(kthread.sid));
        assert_eq!(rows[0]["comm"], kthread.comm());
    }
}

#[test]
fn pid_2_of_a_namespace_is_no_kernel_thread() {
    // Outside, pid 2 is kthreadd and the parent of kernel threads; inside a
    // PID namespace it is whatever init started first.
    let script = "sh -c 'sleep 1001 & wait' </dev/null >/dev/null 2>&1 &";
    let Some(ns) = Namespace::start(script) else {
        return;
    };
    ns.wait_for("sleep 1001 has started", |ps| {
        ps.iter().any(|p| p.cmdline() == "sleep 1001")
    });
    let ps = ns.processes();
    assert_eq!(ns.stat(2).unwrap().cmdline(), "sh -c sleep 1001 & wait");
    assert_eq!(by_args(&ps, "sleep 1001").ppid, 2);
    let (pids, _) = select(&ns, &[]);
    assert_eq!(pids, expect(&ps, |_| true));
    let output = ns.run(PGTREE, ["-p", "2"]);
    assert_exit(&output, 0);
    let tree = parse_tree(&support::stdout(&output));
    check_tree(&tree, &ps, None, &BTreeSet::from([2]));
}

#[test]
fn plain_fields_never_split() {
    let Some(ns) = scenario() else { return };
    let columns = ["pid", "comm", "args", "tty", "user", "state", "sid"];
    let output = ns.run(PGTREE, ["--plain", "-o", &columns.join(",")]);
    assert_exit(&output, 0);
    let text = support::stdout(&output);
    let ps = ns.processes();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(columns.join(" ").as_str()), "the header");
    let mut seen = BTreeSet::new();
    for line in lines {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields.len(), columns.len(), "{line:?}");
        assert!(fields.iter().all(|f| !f.is_empty()), "{line:?}");
        assert!(
            !line.contains(|c: char| c.is_whitespace() && c != ' '),
            "{line:?}"
        );
        let pid: i32 = fields[0].parse().unwrap();
        seen.insert(pid);
        let Some(p) = ps.iter().find(|p| p.pid == pid) else {
            assert_eq!(fields[1], "pgtree", "{line:?}");
            continue;
        };
        assert_eq!(unescape(fields[1]), p.comm, "{line:?}");
        let args = p.args.join(&b' ');
        if args.is_empty() {
            assert_eq!(fields[2], "-", "an empty field is '-': {line:?}");
        } else {
            assert_eq!(unescape(fields[2]), args, "{line:?}");
        }
        assert_eq!(fields[3], p.tty().unwrap_or_else(|| "?".into()), "{line:?}");
        let user = support::user_name(p.uid).unwrap_or_else(|| p.uid.to_string());
        assert_eq!(fields[4], user, "{line:?}");
        assert_eq!(fields[5], p.state.to_string(), "{line:?}");
        assert_eq!(fields[6], p.sid.to_string(), "{line:?}");
    }
    assert!(
        ps.iter().all(|p| seen.contains(&p.pid)),
        "every process has a line"
    );
    let weird = by_comm(&ps, WEIRD_COMM.as_bytes());
    assert!(
        text.contains(&format!("{} a\\x20(b)\\x20c)\\x20d-long ", weird.pid)),
        "{text}"
    );

    // Default columns; --no-headers drops only the header.
    let with = support::stdout(&ns.run(PGTREE, ["--plain"]));
    assert_eq!(with.lines().next(), Some("comm pid ppid pgid sid"));
    let without = ns.run(PGTREE, ["--plain", "--no-headers"]);
    assert_exit(&without, 0);
    let without = support::stdout(&without);
    assert_eq!(without.lines().count() + 1, with.lines().count());
    for line in without.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields.len(), 5, "{line:?}");
        assert!(
            fields[1..].iter().all(|f| f.parse::<i32>().is_ok()),
            "{line:?}"
        );
    }
}

#[test]
fn table_has_a_header_row() {
    let Some(ns) = scenario() else { return };
    let ps = ns.processes();
    // The cells of each row of the table, trimmed.
    let rows = |text: &str| -> Vec<Vec<String>> {
        text.lines()
            .filter(|l| l.starts_with('│'))
            .map(|l| {
                l.trim_matches('│')
                    .split('┆')
                    .map(|cell| cell.trim().to_string())
                    .collect()
            })
            .collect()
    };
    for args in [
        &["--table", "-o", "pid,comm,tty"][..],
        &["-o", "pid,comm,tty"],
    ] {
        let output = ns.run(PGTREE, args);
        assert_exit(&output, 0);
        let text = support::stdout(&output);
        let table = rows(&text);
        assert_eq!(table[0], ["pid", "comm", "tty"], "{text}");
        for p in &ps {
            let row = table.iter().find(|r| r[0] == p.pid.to_string());
            let row = row.unwrap_or_else(|| panic!("pid {} in\n{text}", p.pid));
            assert_eq!(unescape(&row[1]), p.comm);
            assert_eq!(row[2], p.tty().unwrap_or_else(|| "?".into()));
        }
        assert_eq!(table.len(), ps.len() + 2, "header, processes and pgtree");
    }
    let output = ns.run(PGTREE, ["--table", "--no-headers", "-o", "pid,comm"]);
    assert_exit(&output, 0);
    let text = support::stdout(&output);
    let table = rows(&text);
    assert!(
        table.iter().all(|row| row[0].parse::<i32>().is_ok()),
        "{text}"
    );
    assert_eq!(table.len(), ps.len() + 1);
    let output = ns.run(PGTREE, ["--table"]);
    assert_exit(&output, 0);
    assert_eq!(
        rows(&support::stdout(&output))[0],
        ["comm", "pid", "ppid", "pgid", "sid"]
    );
}

#[test]
fn exit_codes() {
    let Some(ns) = scenario() else { return };
    for args in [
        &["sleeper"][..],
        &["--json", "-x", "sleeper"],
        &["--plain", "-p", "1"],
    ] {
        let output = ns.run(PGTREE, args);
        assert_exit(&output, 0);
        assert!(!output.stdout.is_empty());
        assert!(output.stderr.is_empty());
    }
    // Nothing matched: exit 1, no error, and no output but an empty array.
    for (args, out) in [
        (&["no-such-process"][..], ""),
        (&["--plain", "-p", "99999"], ""),
        (&["--table", "-x", "sleepe"], ""),
        (&["--json", "-u", "nobody", "-x", "bash"], "[]\n"),
    ] {
        let output = ns.run(PGTREE, args);
        assert_exit(&output, 1);
        assert_eq!(support::stdout(&output), out, "{args:?}");
        assert!(output.stderr.is_empty(), "{args:?}");
    }
    let output = ns.run(PGTREE, ["--no-such-option"]);
    assert_exit(&output, 2);
    assert!(support::stderr(&output).starts_with("pgtree: error: "));
    assert!(output.stdout.is_empty());
}

#[test]
fn exit_3_when_the_process_table_cannot_be_read() {
    // In a mount namespace of its own, /proc is an empty directory that
    // only root may open, and pgtree runs as nobody.
    let script = "mount -t tmpfs -o mode=000 none /proc && \
        exec setpriv --reuid=65534 --regid=65534 --clear-groups \"$0\"";
    let output = support::run(support::detached("unshare").args([
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
        PGTREE,
    ]));
    let stderr = support::stderr(&output);
    if stderr.starts_with("unshare:") || stderr.starts_with("mount:") {
        support::skip(&format!("no private /proc here: {}", stderr.trim_end()));
        return;
    }
    assert_exit(&output, 3);
    assert!(output.stdout.is_empty());
    assert!(
        stderr.starts_with("pgtree: error: cannot read the process table"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn color_only_on_a_terminal() {
    let Some(ns) = Namespace::start("") else {
        return;
    };
    // script(1) gives pgtree a terminal for its stdout.
    let on_tty = |flags: &str, no_color: Option<&str>| {
        let mut command = ns.command("script");
        command
            .args(["-q", "-c", &format!("{PGTREE} -p 1 {flags}"), "/dev/null"])
            .env("SHELL", "/bin/sh")
            .env_remove("NO_COLOR");
        if let Some(value) = no_color {
            command.env("NO_COLOR", value);
        }
        let output = support::run(&mut command);
        assert_exit(&output, 0);
        let text = support::stdout(&output);
        assert!(text.contains("session 0"), "{text:?}");
        text.contains("\x1b[")
    };
    assert!(on_tty("", None), "color on a terminal");
    assert!(on_tty("", Some("")), "an empty NO_COLOR is unset");
    assert!(!on_tty("", Some("1")), "NO_COLOR");
    assert!(!on_tty("--color never", None));
    assert!(on_tty("--color always", Some("1")));
    let piped = |args: &[&str]| {
        let output = ns.run(PGTREE, args);
        assert_exit(&output, 0);
        support::stdout(&output).contains('\x1b')
    };
    assert!(!piped(&["-p", "1"]), "no color into a pipe");
    assert!(!piped(&["-p", "1", "--color", "auto"]));
    assert!(piped(&["-p", "1", "--color", "always"]));
    assert!(
        !piped(&["-p", "1", "--color", "always", "--plain"]),
        "color is for the tree"
    );
}

/// Reads `pgtree args` (inside `ns`) up to its first newline, one byte at a
/// time through a one-page pipe, then closes the pipe: the rest of the
/// output can only meet a closed pipe.
fn first_line_then_close(ns: &Namespace, args: &[&str]) -> (String, std::process::Output) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two fds, owned right below.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: fresh fds that nothing else owns.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // Shrunk while still empty (a pipe holding more than the new size
    // refuses to shrink). SAFETY: fcntl on our fd; F_SETPIPE_SZ takes an int.
    let size = unsafe { libc::fcntl(read.as_raw_fd(), libc::F_SETPIPE_SZ, 4096) };
    assert_eq!(size, 4096, "F_SETPIPE_SZ");
    let mut child = ns
        .command(PGTREE)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(write))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The parent's copy of the write end went to the child and is closed
    // here: the pipe's only reader is `stdout`.
    let mut stdout = std::fs::File::from(read);
    let mut line = Vec::new();
    let mut byte = [0u8];
    while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    drop(stdout);
    let mut status = None;
    support::wait_until("pgtree has exited", || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    // It has exited: its stderr is at its end.
    let mut stderr = Vec::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut stderr)
        .unwrap();
    let output = std::process::Output {
        status: status.unwrap(),
        stdout: Vec::new(),
        stderr,
    };
    (String::from_utf8(line).unwrap(), output)
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // Output far bigger than the pipe: three command lines of 100 kB, and
    // 200 groups of a process with a 15-byte name.
    let script = r#"
X=$(printf '%0100000d' 0)
for i in 1 2 3; do sh -c 'sleep 1000; :' "$X" </dev/null >/dev/null 2>&1 & done
cp /bin/sleep "$DIR/fifteen-letters"
bash -c 'set -m; for i in $(seq 200); do "$DIR/fifteen-letters" 1000 & done' </dev/null >/dev/null 2>&1
"#;
    let Some(ns) = Namespace::start(script) else {
        return;
    };
    ns.wait_for("the processes have started", |ps| {
        ps.iter().filter(|p| p.comm == b"fifteen-letters").count() == 200
            && ps.iter().filter(|p| p.cmdline() == "sleep 1000").count() == 3
    });
    for (args, first) in [
        (&["--plain", "-o", "args"][..], "args"),
        (&["--json", "-o", "pid,args"], "["),
        (&[][..], "session 0 (no leader) ?"),
    ] {
        let whole = ns.run(PGTREE, args);
        assert_exit(&whole, 0);
        assert!(
            whole.stdout.len() > 2 * 4096,
            "{args:?} must overflow the pipe"
        );
        let (line, output) = first_line_then_close(&ns, args);
        assert_eq!(line, first, "{args:?}");
        assert_exit(&output, 0);
        assert!(
            output.stderr.is_empty(),
            "{args:?}: {}",
            support::stderr(&output)
        );
    }
}

#[test]
fn bad_input_is_one_line_on_stderr_and_exit_2() {
    let big = "99999999999999999999";
    let mut cases = support::bad_id_cases();
    let more: &[&[&str]] = &[
        &["-o", "bogus"],
        &["-o", "pid,bogus"],
        &["-o", ""],
        &["-o", "pid,,comm"],
        &["-o", "pid,comm,pid", "--json"],
        &["--columns=PID"],
        &["-u", "no-such-user-here"],
        &["-u", big],
        &["-u", ""],
        &["-t", "pts/x"],
        &["-t", "nonsense"],
        &["-t", ""],
        &["-t", "pts/999999999999"],
        &["("],
        &["[a-"],
        &["-f", "a)"],
        &["-x", "*"],
        &["a{99999}{99999}"],
        &["--json", "--plain"],
        &["--table", "--tree"],
        &["--tree", "--json"],
        &["--tree", "-o", "pid"],
        &["--expand", "bogus"],
        &["--expand"],
        &["--color", "sometimes"],
        &["--bogus"],
        &["-Z"],
        &["one", "two"],
    ];
    cases.extend(
        more.iter()
            .map(|c| c.iter().map(|s| s.to_string()).collect()),
    );
    for args in &cases {
        let output = support::run(Command::new(PGTREE).args(args).env("RUST_BACKTRACE", "1"));
        support::assert_one_line_error(&output, "pgtree", 2, &format!("{args:?}"));
    }
    // The message names the bad value.
    for (args, needle) in [
        (&["-p", "0"][..], "'0'"),
        (&["-g", "-5"], "'-5'"),
        (&["-s", big], big),
        (&["-p", "abc"], "'abc'"),
        (&["-u", "no-such-user-here"], "no-such-user-here"),
        (&["-t", "nonsense"], "nonsense"),
        (&["-o", "bogus"], "bogus"),
        (&["[a-"], "[a-"),
    ] {
        let output = support::run(Command::new(PGTREE).args(args));
        let stderr = support::stderr(&output);
        assert!(stderr.contains(needle), "pgtree {args:?}: {stderr}");
    }
}

#[test]
fn names_that_would_disguise_themselves_are_escaped() {
    // U+202E (right-to-left override) shows what follows it reversed;
    // U+2028 (line separator) breaks the line in some terminals.
    let script = r#"
rlo=$(printf 'evil\342\200\256txt.sh')
ls=$(printf 'a\342\200\250b')
cp /bin/sleep "$DIR/$rlo"
cp /bin/sleep "$DIR/$ls"
"$DIR/$rlo" 1000 </dev/null >/dev/null 2>&1 &
echo rlo=$!
"$DIR/$ls" 1000 </dev/null >/dev/null 2>&1 &
echo ls=$!
"#;
    let Some(ns) = Namespace::start(script) else {
        return;
    };
    let (rlo, ls) = (ns.var("rlo"), ns.var("ls"));
    let rlo_comm = "evil\u{202e}txt.sh";
    let ls_comm = "a\u{2028}b";
    ns.wait_for("both have exec'd", |ps| {
        ps.iter()
            .any(|p| p.pid == rlo && p.comm == rlo_comm.as_bytes())
            && ps
                .iter()
                .any(|p| p.pid == ls && p.comm == ls_comm.as_bytes())
    });
    let shown_rlo = "evil\\u{202e}txt.sh";
    let shown_ls = "a\\u{2028}b";
    let raw = |text: &str| text.contains('\u{202e}') || text.contains('\u{2028}');

    let tree = support::stdout(&ns.run(PGTREE, ["--tree"]));
    assert!(!raw(&tree), "{tree}");
    assert!(tree.contains(&format!("─ {shown_rlo} {rlo}\n")), "{tree}");
    assert!(tree.contains(&format!("─ {shown_ls} {ls}\n")), "{tree}");

    let table = ns.run(PGTREE, ["--table", "-o", "pid,comm,args"]);
    assert_exit(&table, 0);
    let table = support::stdout(&table);
    assert!(!raw(&table), "{table}");
    let row = |pid: i32| {
        table
            .lines()
            .find(|line| {
                line.trim_start_matches('│')
                    .trim_start()
                    .starts_with(&format!("{pid} "))
            })
            .unwrap_or_else(|| panic!("no row for {pid} in\n{table}"))
            .to_string()
    };
    assert!(row(rlo).contains(&format!(" {shown_rlo} ")), "{table}");
    assert!(row(rlo).contains(&format!("/{shown_rlo} 1000")), "{table}");
    assert!(row(ls).contains(&format!(" {shown_ls} ")), "{table}");

    let plain = ns.run(PGTREE, ["--plain", "-o", "pid,comm,args"]);
    assert_exit(&plain, 0);
    let plain = support::stdout(&plain);
    assert!(!raw(&plain), "{plain}");
    let line = |pid: i32| {
        plain
            .lines()
            .find(|line| line.starts_with(&format!("{pid} ")))
            .unwrap_or_else(|| panic!("no line for {pid} in\n{plain}"))
            .split(' ')
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let fields = line(rlo);
    assert_eq!(fields[1], shown_rlo);
    assert!(
        fields[2].ends_with(&format!("/{shown_rlo}\\x201000")),
        "{fields:?}"
    );
    assert_eq!(unescape(&fields[1]), rlo_comm.as_bytes());
    assert_eq!(line(ls)[1], shown_ls);
    assert_eq!(unescape(&line(ls)[1]), ls_comm.as_bytes());

    // JSON is exact: the name as the kernel has it.
    let json = ns.run(PGTREE, ["--json", "-o", "pid,comm,args"]);
    assert_exit(&json, 0);
    let rows = json_rows(&json);
    let comm = |pid: i32| {
        let row = rows.iter().find(|row| int(row, "pid") == i64::from(pid));
        row.unwrap_or_else(|| panic!("no row for {pid}"))["comm"].clone()
    };
    assert_eq!(comm(rlo), rlo_comm);
    assert_eq!(comm(ls), ls_comm);
}

#[test]
fn selection_by_parent_and_inverse() {
    let Some(ns) = scenario() else { return };
    let ps = ns.processes();
    let parent = by_args(&ps, "sleep 1006");
    let a = by_args(&ps, "sleep 1004");
    let id = parent.pid.to_string();
    assert_selects(&ns, &ps, &["-P", &id], |p| p.ppid == parent.pid);
    assert_selects(&ns, &ps, &["--parent", &format!("1,{id}")], |p| {
        p.ppid == 1 || p.ppid == parent.pid
    });
    // -v/--inverse: what does not match the pattern and -P; -s restricts.
    let sid = a.sid.to_string();
    for flag in ["-v", "--inverse"] {
        assert_selects(&ns, &ps, &[flag, "-x", "sleep", "-s", &sid], |p| {
            p.sid == a.sid && p.comm != b"sleep"
        });
        assert_selects(&ns, &ps, &[flag, "-P", "1"], |p| p.ppid != 1);
    }
    // pgtree itself is not among what does not match.
    let (_, own) = select(&ns, &["-v", "-x", "no-such-name"]);
    assert!(!own, "pgtree -v shows itself");
    let output = ns.run(PGTREE, ["-P", "0"]);
    support::assert_one_line_error(&output, "pgtree", 2, "-P 0");
}

/// The marks a user needs, as a person meets them: at a terminal (a tmux
/// pane in the namespace), a job stopped with Ctrl-Z shows `stopped`, the
/// shell `session leader`, pgtree's own group `foreground`; a process the
/// test traces (strace holds it at a system call) shows `traced`.
#[test]
fn marks_show_stopped_traced_and_leaders_at_a_terminal() {
    if !support::have_tmux() || !support::have_strace() {
        return;
    }
    let script = format!(
        "{}strace -qq -o /dev/null -e trace=clock_nanosleep \
         -e inject=clock_nanosleep:delay_enter=100000000 sleep 1007 &\n",
        support::Tmux::START
    );
    let Some(ns) = Namespace::start(&script) else {
        return;
    };
    let tmux = support::Tmux::new(&ns);
    let pane = ns.var("pane");
    let prompt = |rows: &[String]| rows.last().is_some_and(|row| row == "$");
    tmux.wait_for_screen("the first prompt", prompt);
    tmux.type_line("sleep 1006");
    let mut sleep = 0;
    ns.wait_for("the job's sleep", |ps| {
        let found = ps.iter().find(|p| p.cmdline() == "sleep 1006");
        sleep = found.map_or(0, |p| p.pid);
        sleep != 0
    });
    tmux.keys(&["C-z"]);
    tmux.wait_for_screen("the job stopped, and a prompt", |rows| {
        prompt(rows) && rows.iter().any(|row| row.contains("Stopped"))
    });
    let mut traced = 0;
    ns.wait_for("the traced sleep held by strace", |ps| {
        let found = ps.iter().find(|p| p.cmdline() == "sleep 1007");
        traced = found.filter(|p| p.state == 't').map_or(0, |p| p.pid);
        traced != 0
    });
    tmux.type_line("clear");
    tmux.type_line(&format!("{PGTREE} -s self; {PGTREE} -p {traced}"));
    let rows = tmux.wait_for_screen("two trees and a prompt", |rows| {
        prompt(rows)
            && rows
                .iter()
                .filter(|row| row.starts_with("session "))
                .count()
                == 2
    });
    let row_of = |tail: String| {
        rows.iter()
            .find(|row| row.ends_with(&tail))
            .unwrap_or_else(|| panic!("no row ends with {tail:?}: {rows:#?}"))
    };
    row_of(format!("─ sleep {sleep} stopped"));
    row_of(format!("─ bash {pane} session leader"));
    row_of(format!("─ sleep {traced} traced"));
    // pgtree's group has the terminal while it runs; the stopped job's not.
    let groups: Vec<&String> = rows.iter().filter(|row| row.contains("group ")).collect();
    assert!(
        groups
            .iter()
            .any(|row| row.ends_with(&format!("group {sleep}"))),
        "{rows:#?}"
    );
    assert!(
        groups
            .iter()
            .filter(|row| row.ends_with(" foreground"))
            .count()
            == 1,
        "{rows:#?}"
    );
    tmux.kill_server();
}

/// Outside a UTF-8 locale the tree is drawn in ASCII, as pstree draws it;
/// `--table` too. The table right-aligns its numbers, as ps does.
#[test]
fn ascii_outside_utf8_and_numbers_right_aligned() {
    let Some(ns) = Namespace::start(
        "setsid sh -c 'sleep 1008 & sleep 1009 & wait' </dev/null >/dev/null 2>&1 &\n\
         echo job=$!",
    ) else {
        return;
    };
    let job = ns.var("job");
    ns.wait_for("the two sleeps", |ps| {
        ps.iter()
            .filter(|p| p.sid == job && p.comm == b"sleep")
            .count()
            == 2
    });
    let sid = job.to_string();
    let tree = |env: &[(&str, &str)]| {
        let mut command = ns.command(PGTREE);
        command.args(["-s", &sid]);
        for (name, value) in env {
            command.env(name, value);
        }
        let output = support::run(&mut command);
        assert_exit(&output, 0);
        support::stdout(&output)
    };
    let unicode = tree(&[]);
    for env in [
        &[("LC_ALL", "C")][..],
        &[
            ("LC_ALL", ""),
            ("LC_CTYPE", "POSIX"),
            ("LANG", "en_US.UTF-8"),
        ],
        &[("LC_ALL", ""), ("LC_CTYPE", ""), ("LANG", "")],
    ] {
        let ascii = tree(env);
        assert!(ascii.is_ascii(), "{env:?}: {ascii}");
        let back = ascii
            .replace("|- ", "├─ ")
            .replace("`- ", "└─ ")
            .replace("|  ", "│  ");
        assert_eq!(back, unicode, "{env:?}: the same tree in ASCII");
    }
    assert!(unicode.contains("└─ "), "{unicode}");

    let output = ns.run(PGTREE, ["-s", &sid, "--table", "-o", "comm,pid,ppid"]);
    assert_exit(&output, 0);
    let text = support::stdout(&output);
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|line| line.starts_with('│'))
        .map(|line| line.trim_matches('│').split('│').collect())
        .collect();
    assert_eq!(rows.len(), 4, "a header and three rows: {text}");
    for row in &rows {
        // comm to the left; numbers, and their headers, to the right.
        assert!(
            row[0].starts_with(' ') && !row[0].starts_with("  "),
            "{row:?}"
        );
        for cell in &row[1..] {
            assert!(cell.ends_with(' ') && !cell.ends_with("  "), "{row:?}");
        }
    }
    let ascii = support::run(
        ns.command(PGTREE)
            .args(["-s", &sid, "--table", "-o", "pid"])
            .env("LC_ALL", "C"),
    );
    assert_exit(&ascii, 0);
    assert!(
        support::stdout(&ascii).is_ascii(),
        "{}",
        support::stdout(&ascii)
    );
}

/// pgrep's selection and output options pick what pgrep picks: each case
/// runs pgrep and pgtree with the same options on the same processes (in a
/// PID namespace whose table stands still) and compares what they print
/// and their exit statuses. pgrep's `-o` is pgtree's `--oldest` (pgtree's
/// `-o` is ps's column list). `--env` and `-q` are newer than this pgrep:
/// checked against the kernel and against pgrep's status instead.
#[test]
fn pgrep_options_select_what_pgrep_selects() {
    let Some(ns) = Namespace::start(
        r#"
cp /bin/sleep "$DIR/a-very-long-name-x"
sleep 1011 &
MARK=yes sleep 1012 &
echo marked=$!
sh -c 'sleep 1013 & wait' &
echo parent=$!
sh -c 'kill -STOP $$; exec sleep 1014' &
echo stopped=$!
"$DIR/a-very-long-name-x" 1015 &
sleep 1016 &
echo $! > "$DIR/pid"
MARKER=no sleep 1017 &
setpriv --reuid=65534 --regid=65534 --clear-groups sleep 1018 &
"#,
    ) else {
        return;
    };
    let (marked, parent, stopped) = (ns.var("marked"), ns.var("parent"), ns.var("stopped"));
    ns.wait_for("every process in place", |ps| {
        let sleeps = ps.iter().filter(|p| p.comm == b"sleep").count();
        sleeps == 7 && ps.iter().any(|p| p.pid == stopped && p.state == 'T')
    });
    let pid_file = ns.dir().join("pid");
    let pid_file = pid_file.to_str().unwrap();
    let parent = parent.to_string();
    let cases: &[&[&str]] = &[
        &["sleep"],
        &["-x", "sleep"],
        &["-x", "-i", "SLEEP"],
        &["-f", "sleep 101[12]"],
        &["-v", "sleep"],
        &["-v", "-x", "-f", "sleep 1011"],
        &["-n", "sleep"],
        &["-o", "sleep"],
        &["-n", "-f", "sleep 101[234]"],
        &["-o", "-f", "sleep 101[234]"],
        &["-c", "sleep"],
        &["-c", "no-such-name"],
        &["-F", pid_file],
        &["-v", "-F", pid_file],
        &["-P", &parent],
        &["-r", "T"],
        &["-r", "S,T", "sleep"],
        &["-v", "-r", "S"],
        &["-u", "65534"],
        &["-u", "root", "-x", "sleep"],
        &["-l", "sleep"],
        &["-a", "sleep"],
        &["-l", "-d", ":", "sleep"],
        &["-a", "-d", ", ", "-f", "sleep 101[12]"],
        &["a-very-long-nam"],
        &["-f", "a-very-long-name-x"],
    ];
    let mut differences = Vec::new();
    for &case in cases {
        // A list of pids unless the case asks for another form.
        let mut args: Vec<&str> = case.to_vec();
        if !case.iter().any(|a| ["-c", "-l", "-a", "-d"].contains(a)) {
            args.splice(0..0, ["-d", ","]);
        }
        let pgrep = ns.run("pgrep", &args);
        let ours: Vec<&str> = args
            .iter()
            .map(|&a| if a == "-o" { "--oldest" } else { a })
            .collect();
        let pgtree = ns.run(PGTREE, &ours);
        if (pgrep.status.code(), &pgrep.stdout) != (pgtree.status.code(), &pgtree.stdout) {
            differences.push(format!(
                "{case:?}: pgrep {:?} {:?}, pgtree {:?} {:?} {:?}",
                pgrep.status.code(),
                support::stdout(&pgrep),
                pgtree.status.code(),
                support::stdout(&pgtree),
                support::stderr(&pgtree),
            ));
        }
    }
    assert!(differences.is_empty(), "{differences:#?}");

    // -A: never the caller's ancestors; here the shell that runs the
    // tools (pid 1, another sh, is none of them).
    let output = ns.sh(r#"pgrep -A -x -d, sh; "$PGTREE" -A -x -d, sh; pgrep -x -d, sh"#);
    assert_exit(&output, 0);
    let text = support::stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0], lines[1], "-A: pgrep, then pgtree");
    assert_ne!(lines[0], lines[2], "-A leaves out the running shell");

    // --env (procps 4.0.5): as the kernel's environ says.
    for (wanted, expected) in [("MARK=yes", vec![marked]), ("MARK", vec![marked])] {
        let output = ns.run(PGTREE, ["--env", wanted, "-d", ","]);
        assert_exit(&output, 0);
        let text = support::stdout(&output);
        let pids: Vec<i32> = text.trim().split(',').map(|p| p.parse().unwrap()).collect();
        assert_eq!(pids, expected, "--env {wanted}");
        let environ = std::fs::read(ns.proc_path(marked).join("environ")).unwrap();
        assert!(environ.split(|&b| b == 0).any(|e| e == b"MARK=yes"));
    }
    // -q (procps 4.0.6): nothing printed, pgrep's status.
    for pattern in ["sleep", "no-such-name"] {
        let quiet = ns.run(PGTREE, ["-q", pattern]);
        let pgrep = ns.run("pgrep", [pattern]);
        assert_eq!(quiet.status.code(), pgrep.status.code(), "-q {pattern}");
        assert!(quiet.stdout.is_empty() && quiet.stderr.is_empty());
    }
    // A name pattern longer than a name can be: pgrep's warning, one line.
    let output = ns.run(PGTREE, ["a-very-long-name-x"]);
    assert_exit(&output, 1);
    assert_eq!(
        support::stderr(&output).trim_end(),
        "pgtree: warning: pattern that searches for process name longer than 15 \
         characters will result in zero matches; try -f to match the command line"
    );
}
