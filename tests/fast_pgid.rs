//! `pgkill --pgid G` when nothing asks for the members before the signal
//! (no `-n`, no `--json`, no `-v`): no listing of /proc before
//! `kill(-G)` (issue 15), and the safety rules kept without it: a group
//! that holds pgkill's ancestor or pid 1 is refused, a group whose id a
//! stranger took after it emptied is not touched. Each scenario runs in a
//! PID namespace of its own (see `support`); strace shows the order of
//! pgkill's system calls.

use std::collections::BTreeSet;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::support::{self, assert_exit, only_child, wait_until, Namespace, PGKILL};

/// A group of four sleeping processes: the leader and three children.
const GROUP: &str = "setsid sh -c 'sleep 1000 & sleep 1000 & sleep 1000 & exec sleep 1000' \
                     </dev/null >/dev/null 2>&1 &\necho g=$!\n";

/// Whether strace is here (`.ci/run` installs it); skips otherwise.
fn have_strace() -> bool {
    let ok = Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        support::skip("strace is not installed (.ci/run installs it)");
    }
    ok
}

/// Waits until group `g` has its four sleeping members; returns their pids.
fn members(ns: &Namespace, g: i32) -> BTreeSet<i32> {
    let mut pids = BTreeSet::new();
    ns.wait_for("the group's four members sleep", |ps| {
        let group: Vec<_> = ps.iter().filter(|p| p.pgid == g).collect();
        pids = group.iter().map(|p| p.pid).collect();
        group.len() == 4
            && group
                .iter()
                .all(|p| p.state == 'S' && p.cmdline() == "sleep 1000")
    });
    pids
}

/// Runs pgkill `args` inside `ns` under strace, tracing `syscalls` into a
/// file; returns pgkill's output and the trace.
fn traced(ns: &Namespace, syscalls: &str, args: &[&str]) -> (Output, String) {
    let trace = ns.dir().join("trace");
    let _ = std::fs::remove_file(&trace);
    let mut strace = vec![
        "-f",
        "-qq",
        "-o",
        trace.to_str().unwrap(),
        "-e",
        syscalls,
        PGKILL,
    ];
    strace.extend(args);
    let output = ns.run("strace", &strace);
    let trace = std::fs::read_to_string(&trace).expect("strace wrote no trace");
    (output, trace)
}

/// What in `trace` is the TERM to group `g`: `kill(-G, SIGTERM)`, or, with
/// pidfs (Linux 6.9), `pidfd_send_signal(FD, SIGTERM, NULL,
/// PIDFD_SIGNAL_PROCESS_GROUP)` on the leader's pidfd (tests/identity.rs).
fn group_kill(trace: &str, g: i32) -> String {
    let by_number = format!("kill(-{g}, SIGTERM)");
    if trace.contains(&by_number) {
        return by_number;
    }
    trace
        .lines()
        .find(|l| l.contains("pidfd_send_signal(") && l.contains("SIGTERM") && l.contains(", 0x4)"))
        .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        .unwrap_or(by_number)
}

/// The lines of `trace` before the first that contains `needle`; panics
/// when there is none.
fn before<'a>(trace: &'a str, needle: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = trace.lines().collect();
    let at = lines
        .iter()
        .position(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("no {needle:?} in the trace:\n{trace}"));
    lines[..at].to_vec()
}

#[test]
fn a_group_is_killed_before_proc_is_listed() {
    if !have_strace() {
        return;
    }
    let Some(ns) = Namespace::start(GROUP) else {
        return;
    };
    let g = ns.var("g");
    let pids = members(&ns, g);
    let (output, trace) = traced(
        &ns,
        "trace=getdents64,kill,pidfd_send_signal",
        &["--pgid", &g.to_string(), "--wait"],
    );
    assert_exit(&output, 0);
    let kill = group_kill(&trace, g);
    let listings: Vec<&str> = before(&trace, &kill)
        .into_iter()
        .filter(|line| line.contains("getdents64"))
        .collect();
    assert!(
        listings.is_empty(),
        "a directory was listed before {kill}:\n{trace}"
    );
    // The members were found after the kill, and waited for.
    assert!(
        trace.contains("getdents64"),
        "no scan after the kill:\n{trace}"
    );
    for pid in pids {
        assert!(ns.is_gone(pid), "member {pid} survived --wait");
    }
}

/// With --json the members are listed before the signal, as before, and
/// the report names every one of them.
#[test]
fn with_json_every_member_is_still_reported() {
    if !have_strace() {
        return;
    }
    let Some(ns) = Namespace::start(GROUP) else {
        return;
    };
    let g = ns.var("g");
    let pids = members(&ns, g);
    let (output, trace) = traced(
        &ns,
        "trace=getdents64,kill,pidfd_send_signal",
        &["--pgid", &g.to_string(), "--wait", "--json"],
    );
    assert_exit(&output, 0);
    let kill = group_kill(&trace, g);
    assert!(
        before(&trace, &kill)
            .iter()
            .any(|line| line.contains("getdents64")),
        "--json resolved the group without a scan:\n{trace}"
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    let rows = report["processes"].as_array().expect("processes");
    let reported: BTreeSet<i32> = rows
        .iter()
        .map(|row| row["pid"].as_i64().expect("pid") as i32)
        .collect();
    assert_eq!(reported, pids, "{report}");
    for row in rows {
        assert_eq!(row["pgid"], g, "{row}");
        assert_eq!(row["outcome"], "exited", "{row}");
    }
}

/// A group that holds pgkill itself or its ancestor (the shell that runs
/// it) is refused, read from their stat files alone: no listing at all.
#[test]
fn a_group_holding_the_caller_or_its_ancestor_is_refused_without_a_scan() {
    if !have_strace() {
        return;
    }
    let Some(ns) = Namespace::start("") else {
        return;
    };
    // `setsid sh` leads a session and group of its own inside the
    // namespace; pgkill runs as its child, in the group (the caller) or,
    // after setsid, in a session of its own (then the shell is an ancestor).
    for (launch, relation) in [
        ("", "the caller itself"),
        ("setsid ", "an ancestor of the caller"),
    ] {
        let script = format!(
            "exec setsid sh -c 'echo $$ >\"$DIR/shell\"; \
             {launch}strace -qq -o \"$DIR/trace\" -e trace=getdents64,kill \
             \"$PGKILL\" --pgid $$'"
        );
        let output = ns.sh(&script);
        let shell: i32 = std::fs::read_to_string(ns.dir().join("shell"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let line = support::assert_one_line_error(&output, "pgkill", 2, "refusing");
        let expected = format!("refusing to signal group {shell}: it contains {relation}");
        assert!(line.contains(&expected), "{line:?}, not {expected:?}");
        let trace = std::fs::read_to_string(ns.dir().join("trace")).unwrap();
        assert!(
            !trace.contains("getdents64") && !trace.contains("kill("),
            "a scan or a kill for a refusal:\n{trace}"
        );
    }
}

/// A group that holds the namespace's pid 1 (which has joined a group its
/// child leads) is refused, though pid 1 is no ancestor of pgkill (run
/// with nsenter).
#[test]
fn a_group_holding_pid_1_is_refused() {
    // pid 1 becomes perl, which forks a leader, joins its group, says so,
    // and reaps as an init does.
    let script = r#"exec perl -e '
$| = 1;
my $child = fork();
if ($child == 0) { setpgrp(0, 0); exec("sleep", "1000"); }
setpgrp($child, $child);
setpgrp(0, $child) or die "setpgrp: $!";
print "g=$child\n__ready__\n";
open(STDOUT, ">", "/dev/null");
while (1) { sleep(1) if wait() < 0; }
'"#;
    let Some(ns) = Namespace::start(script) else {
        return;
    };
    let g = ns.var("g");
    ns.wait_for("pid 1 is in the group", |_| {
        ns.stat(1).is_some_and(|p| p.pgid == g)
            && ns
                .stat(g)
                .is_some_and(|p| p.pgid == g && p.comm == b"sleep")
    });
    let output = ns.run(PGKILL, ["--pgid", &g.to_string()]);
    let line = support::assert_one_line_error(&output, "pgkill", 2, "refusing");
    assert!(
        line.contains(&format!(
            "refusing to signal group {g}: it contains the init of this PID namespace (pid 1, perl)"
        )),
        "{line:?}"
    );
    assert!(ns.stat(g).is_some_and(|p| p.state == 'S'));
    assert_eq!(support::pending_signals(&ns, g), (0, 0));
    assert_eq!(support::pending_signals(&ns, 1), (0, 0));
}

/// The group dies of the signal and its id is free again while pgkill is
/// held before its scan for the members (strace delays that listing of
/// /proc); a stranger takes the leader's pid and founds a group of that
/// id. The scan finds the stranger in "group G", but the group signalled
/// is no longer proven live (every process pinned in it is reaped): the
/// stranger is neither signalled nor waited for.
#[test]
fn a_stranger_that_took_the_group_id_before_the_scan_is_not_touched() {
    if !have_strace() {
        return;
    }
    let script = format!("cp /bin/sleep \"$DIR/newcomer\"\n{GROUP}");
    let Some(ns) = Namespace::start(&script) else {
        return;
    };
    let g = ns.var("g");
    members(&ns, g);
    let running = ns
        .command("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=getdents64"])
        .args(["-e", "inject=getdents64:delay_enter=4000000:when=1"])
        .args([PGKILL, "--pgid", &g.to_string(), "--wait"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start strace");
    let strace = only_child(running.id() as i32, "strace");
    let pgkill = only_child(strace, "pgkill");
    let held = || {
        std::fs::read_to_string(format!("/proc/{pgkill}/syscall"))
            .unwrap_or_default()
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<i64>().ok())
            == Some(libc::SYS_getdents64)
    };
    wait_until("pgkill is held in its first listing", held);
    wait_until("the group is dead and reaped", || {
        ns.processes().iter().all(|p| p.pgid != g)
    });
    ns.start_at(g, "\"$DIR/newcomer\" 1000", b"newcomer");
    assert!(
        held(),
        "pgkill left its listing before the stranger was in place: the test proves nothing"
    );
    let output = running.wait_with_output().unwrap();
    assert_exit(&output, 0);
    let stranger = ns.stat(g).expect("the stranger is gone");
    assert_eq!(stranger.state, 'S', "{stranger:?}");
    assert_eq!(
        support::pending_signals(&ns, g),
        (0, 0),
        "the stranger has a signal pending"
    );
}
