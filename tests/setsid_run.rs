//! End-to-end tests of setsid-run. Every scenario runs in a PID namespace of
//! its own; what the tool did is checked against what the kernel says about
//! the namespace's processes (read by the harness, not by the code under
//! test). Signals go only to processes the test started, by the ids it got
//! when it started them.

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, SystemTime};

use crate::support::{self, assert_exit, wait_until, Namespace, Proc, SETSID_RUN};

/// A namespace with nothing in it but its init.
fn empty() -> Option<Namespace> {
    Namespace::start("")
}

/// Process `pid` once its exec has finished. setsid-run returns once the
/// exec has passed its point of no return (where the kernel resumes a
/// vfork parent), a moment before the new program's arguments are in
/// place: until then /proc shows an empty command line.
fn exec_done(ns: &Namespace, pid: i32, what: &str) -> Proc {
    wait_until(what, || {
        ns.stat(pid).is_some_and(|p| !p.cmdline().is_empty())
    });
    ns.stat(pid).expect(what)
}

/// Runs setsid-run with `args` inside the namespace.
fn setsid_run(ns: &Namespace, args: &[&str]) -> Output {
    ns.run(SETSID_RUN, args)
}

/// The live (not zombie) processes of the namespace.
fn alive(ns: &Namespace) -> Vec<Proc> {
    ns.processes()
        .into_iter()
        .filter(|p| p.state != 'Z')
        .collect()
}

/// The live processes of session `sid`.
fn session(ns: &Namespace, sid: i32) -> Vec<Proc> {
    assert!(sid > 0, "a session id: {sid}");
    alive(ns).into_iter().filter(|p| p.sid == sid).collect()
}

/// The distinct groups of `processes`.
fn groups(processes: &[Proc]) -> BTreeSet<i32> {
    processes.iter().map(|p| p.pgid).collect()
}

/// The live processes that were not there `before`.
fn newcomers(ns: &Namespace, before: &[Proc]) -> Vec<Proc> {
    alive(ns)
        .into_iter()
        .filter(|p| !before.iter().any(|b| b.pid == p.pid))
        .collect()
}

#[track_caller]
fn assert_nothing_started(ns: &Namespace, before: &[Proc], what: &str) {
    let new = newcomers(ns, before);
    assert!(new.is_empty(), "{what}: left running: {new:?}");
}

/// Waits until nothing is left running beyond `before` (for commands that
/// were started without waiting and end on their own).
fn wait_until_settled(ns: &Namespace, before: &[Proc], what: &str) {
    wait_until(&format!("{what}: nothing left running"), || {
        newcomers(ns, before).is_empty()
    });
}

/// Checks a refusal: exit `code`, one line `setsid-run: error: …`.
#[track_caller]
fn assert_error(output: &Output, code: i32, what: &str) -> String {
    support::assert_one_line_error(output, "setsid-run", code, what)
}

/// The number setsid-run printed alone on a line.
#[track_caller]
fn printed_number(output: &Output) -> i32 {
    let text = support::stdout(output);
    text.strip_suffix('\n')
        .and_then(|line| line.parse().ok())
        .unwrap_or_else(|| panic!("not one number on a line: {text:?}"))
}

/// The one live process with command line `text`.
#[track_caller]
fn by_args(ns: &Namespace, text: &str) -> Proc {
    let found: Vec<Proc> = alive(ns)
        .into_iter()
        .filter(|p| p.cmdline() == text)
        .collect();
    assert_eq!(found.len(), 1, "processes with command line {text:?}");
    found.into_iter().next().unwrap()
}

/// Where a namespace process's file descriptor points.
fn fd_target(ns: &Namespace, pid: i32, fd: i32) -> PathBuf {
    let link = format!("/proc/{}/root/proc/{pid}/fd/{fd}", ns.init_host_pid());
    std::fs::read_link(&link).unwrap_or_else(|error| panic!("{link}: {error}"))
}

/// The `flags:` of a namespace process's file descriptor (octal).
fn fd_flags(ns: &Namespace, pid: i32, fd: i32) -> u32 {
    let path = format!("/proc/{}/root/proc/{pid}/fdinfo/{fd}", ns.init_host_pid());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .find_map(|line| line.strip_prefix("flags:"))
        .and_then(|flags| u32::from_str_radix(flags.trim(), 8).ok())
        .unwrap_or_else(|| panic!("no flags in {path}: {text}"))
}

/// The pids in a file the scenario appended to, one per line (more words
/// on a line are ignored).
fn pids_in(path: &Path) -> Vec<i32> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .lines()
        .map(|line| {
            line.split_whitespace()
                .next()
                .and_then(|pid| pid.parse().ok())
                .unwrap_or_else(|| panic!("not a pid line: {line:?}"))
        })
        .collect()
}

fn path_str(path: &Path) -> &str {
    path.to_str()
        .expect("the scratch directory's path is UTF-8")
}

/// The seed scenario. A shell on a terminal, its own session with several
/// groups, starts `setsid-run -- sleep 1000` (default mode: setsid-run
/// returns once the sleep is exec'd). Then the shell's whole session is
/// killed with SIGKILL, every group of it, as when a terminal closes or a
/// CI step's session is ended. The sleep lives on: reparented to the
/// namespace's init, leader of its own session and group, without a
/// controlling terminal, though it holds the terminal open.
#[test]
fn seed_scenario_survives_the_callers_whole_session_killed() {
    let scenario = format!(
        r#"
export SETSID_RUN='{SETSID_RUN}'
cat > "$DIR/session.sh" <<'EOF'
set -m
sleep 2001 &
"$SETSID_RUN" --print pid -- sleep 1000 >"$DIR/pid.tmp"
echo $? >"$DIR/status"
mv "$DIR/pid.tmp" "$DIR/pid"
sleep 2002 &
wait
EOF
SHELL=/bin/sh script -q -c 'exec sh "$DIR/session.sh"' /dev/null </dev/null >/dev/null 2>&1 &
"#
    );
    let Some(ns) = Namespace::start(&scenario) else {
        return;
    };
    let pid_file = ns.dir().join("pid");
    ns.wait_for("the shell's session is in place", |ps| {
        let has = |text: &str| ps.iter().any(|p| p.cmdline() == text);
        pid_file.exists()
            && has("sleep 1000")
            && has("sleep 2001")
            && has("sleep 2002")
            && ps.iter().all(|p| p.state == 'S')
    });
    let status = std::fs::read_to_string(ns.dir().join("status")).unwrap();
    assert_eq!(status, "0\n", "setsid-run's exit status");
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .expect("setsid-run printed a pid");
    let sleep = by_args(&ns, "sleep 1000");
    assert_eq!(sleep.pid, pid, "--print pid names the sleep");

    let sid = by_args(&ns, "sleep 2001").sid;
    let shell_session = session(&ns, sid);
    let leader = shell_session
        .iter()
        .find(|p| p.pid == sid)
        .expect("the shell leads its session");
    assert_ne!(leader.tty_nr, 0, "the shell's session has a terminal");
    assert!(
        groups(&shell_session).len() >= 3,
        "the shell's session has several groups: {shell_session:?}"
    );
    assert_ne!(sleep.sid, sid, "the sleep is outside the shell's session");

    // SIGKILL to every group of the shell's session, until none is left.
    wait_until("the shell's whole session is gone", || {
        let left = groups(&session(&ns, sid));
        if left.is_empty() {
            return true;
        }
        let targets: Vec<String> = left.iter().map(|pgid| format!("-{pgid}")).collect();
        ns.sh(&format!("kill -s KILL -- {}", targets.join(" ")));
        false
    });
    for p in &shell_session {
        assert!(ns.is_gone(p.pid), "{p:?} survived the session's SIGKILL");
    }

    let sleep = exec_done(&ns, pid, "the sleep lives on");
    assert_eq!(sleep.state, 'S', "{sleep:?}");
    assert_eq!(sleep.cmdline(), "sleep 1000");
    assert_eq!(sleep.ppid, 1, "reparented to the namespace's init");
    assert_eq!(
        (sleep.pgid, sleep.sid),
        (pid, pid),
        "its own session and group"
    );
    assert_eq!(sleep.tty_nr, 0, "no controlling terminal: {sleep:?}");
    assert_eq!(sleep.tpgid, -1, "no controlling terminal: {sleep:?}");
}

/// `--wait` exits with the command's status, 128+N when signal N killed
/// it; so do `--timeout` (not reached) and `--cleanup`, which imply it.
/// Without waiting, 0 says the command started.
#[test]
fn wait_exits_with_the_commands_status() {
    let Some(ns) = empty() else { return };
    let before = alive(&ns);
    let cases: &[(&[&str], i32)] = &[
        (&["-w", "sh", "-c", "exit 7"], 7),
        (&["-w", "--", "sh", "-c", "exit 0"], 0),
        (&["--wait", "true"], 0),
        (&["-w", "sh", "-c", "kill -KILL $$"], 137),
        (&["-w", "sh", "-c", "kill -TERM $$"], 143),
        (&["-w", "sh", "-c", "kill -HUP $$"], 129),
        (&["--timeout", "10s", "sh", "-c", "exit 7"], 7),
        (&["--cleanup", "sh", "-c", "exit 7"], 7),
        (&["--cleanup", "sh", "-c", "kill -KILL $$"], 137),
        (&["-g", "-w", "sh", "-c", "exit 7"], 7),
    ];
    for (args, code) in cases {
        let output = setsid_run(&ns, args);
        assert_exit(&output, *code);
        assert!(
            output.stdout.is_empty() && output.stderr.is_empty(),
            "{args:?}: {output:?}"
        );
        assert_nothing_started(&ns, &before, &format!("{args:?}"));
    }
    // Not waiting: started is all setsid-run says.
    let output = setsid_run(&ns, &["sh", "-c", "exit 7"]);
    assert_exit(&output, 0);
    wait_until_settled(&ns, &before, "sh -c 'exit 7' without --wait");
}

/// A command that cannot run is reported with the shell's codes, 127 not
/// found and 126 not executable, with or without waiting; one error line,
/// nothing printed by --print, nothing left running, no pid file.
#[test]
fn exec_failures_are_reported_with_the_shells_codes() {
    let Some(ns) = empty() else { return };
    let dir = ns.dir();
    let no_x = dir.join("no-x-bit");
    std::fs::write(&no_x, "#!/bin/sh\nexit 0\n").unwrap();
    let a_dir = dir.join("a-directory");
    std::fs::create_dir(&a_dir).unwrap();
    let missing = dir.join("missing/command");
    let pid_file = dir.join("pid");
    let before = alive(&ns);
    // In bash's words, without Rust's "(os error N)".
    let commands = [
        (path_str(&missing), 127, "No such file or directory"),
        ("no-such-command-on-the-path", 127, "command not found"),
        (path_str(&no_x), 126, "cannot execute: Permission denied"),
        (path_str(&a_dir), 126, "cannot execute: Is a directory"),
    ];
    let modes: &[&[&str]] = &[
        &[],
        &["--print", "pid"],
        &["-d", "--print", "json"],
        &["-w"],
        &["-w", "--print", "ids"],
        &["-w", "--cleanup"],
        &["--timeout", "5s"],
        &["-g"],
        &["--pidfile", path_str(&pid_file)],
        &["-w", "--pidfile", path_str(&pid_file)],
    ];
    for (command, code, message) in commands {
        for mode in modes {
            let mut args = mode.to_vec();
            args.extend(["--", command, "arg"]);
            let what = format!("{args:?}");
            let line = assert_error(&setsid_run(&ns, &args), code, &what);
            assert_eq!(
                line,
                format!("setsid-run: error: {command}: {message}"),
                "{what}"
            );
            assert_nothing_started(&ns, &before, &what);
            let left: Vec<_> = std::fs::read_dir(dir)
                .unwrap()
                .flatten()
                .map(|entry| entry.file_name())
                .filter(|name| name.to_string_lossy().contains("pid"))
                .collect();
            assert!(left.is_empty(), "{what}: pid files left: {left:?}");
        }
    }
}

/// A command whose session has several groups, each with a process in
/// it, that append "pid pgid" to `$DIR/kids`; `trap` is put first.
fn family(dir: &Path, trap: &str) -> String {
    let kids = dir.join("kids");
    let kids = path_str(&kids);
    format!(
        "{trap} set -m; exec >/dev/null 2>&1
         sleep 1000 & echo \"$! $(cut -d' ' -f5 /proc/$!/stat)\" >>'{kids}'
         sleep 1000 & echo \"$! $(cut -d' ' -f5 /proc/$!/stat)\" >>'{kids}'
         sh -c 'sleep 1000 & wait' & echo \"$! $(cut -d' ' -f5 /proc/$!/stat)\" >>'{kids}'
         wait"
    )
}

/// The "pid pgid" lines of `$DIR/kids`, checked to name distinct groups.
#[track_caller]
fn kids(ns: &Namespace, sid: i32) -> Vec<i32> {
    let path = ns.dir().join("kids");
    let text = std::fs::read_to_string(&path).unwrap();
    let groups: BTreeSet<&str> = text
        .lines()
        .filter_map(|line| line.split(' ').nth(1))
        .collect();
    assert_eq!(groups.len(), 3, "three groups besides the leader's: {text}");
    assert!(!groups.contains(sid.to_string().as_str()), "{text}");
    pids_in(&path)
}

/// Runs `attempt` with a `--timeout` value, 300ms first, until it returns
/// `Some`: `None` says the timeout fired before the command had set itself
/// up (which takes no fixed time on a busy machine), and the next attempt
/// gets twice the time. No deadline is implied; a command that never gets
/// set up fails after a few doublings.
fn with_a_timeout_that_outlasts_the_setup<T>(mut attempt: impl FnMut(&str) -> Option<T>) -> T {
    let mut timeout = Duration::from_millis(300);
    for _ in 0..6 {
        if let Some(result) = attempt(&format!("{}ms", timeout.as_millis())) {
            return result;
        }
        timeout *= 2;
    }
    panic!("the command was never set up before --timeout {timeout:?} fired");
}

/// `--timeout` ends the whole session, every group of it, and exits 124;
/// a session that ignores TERM gets SIGKILL after `--kill-after` (`-k`),
/// and then the status is 137, as `timeout -k` gives.
#[test]
fn timeout_ends_the_whole_session() {
    for (trap, extra, code) in [("", None, 124), ("trap '' TERM;", Some("200ms"), 137)] {
        let Some(ns) = empty() else { return };
        let before = alive(&ns);
        let command = family(ns.dir(), trap);
        let kids_file = ns.dir().join("kids");
        // The timeout must outlast bash starting its three jobs.
        let output = with_a_timeout_that_outlasts_the_setup(|timeout| {
            let _ = std::fs::remove_file(&kids_file);
            let mut args = vec!["--timeout", timeout, "--print", "sid"];
            if let Some(kill_after) = extra {
                args.extend(["-k", kill_after]);
            }
            args.extend(["--", "bash", "-c", &command]);
            let output = setsid_run(&ns, &args);
            let recorded = std::fs::read_to_string(&kids_file).unwrap_or_default();
            (recorded.lines().count() == 3).then_some(output)
        });
        assert_exit(&output, code);
        assert!(output.stderr.is_empty(), "{}", support::stderr(&output));
        let sid = printed_number(&output);
        let kids = kids(&ns, sid);
        assert_eq!(kids.len(), 3);
        for pid in kids {
            assert!(ns.is_gone(pid), "{trap}: {pid} outlived --timeout");
        }
        assert_eq!(session(&ns, sid), vec![], "{trap}: the session is empty");
        assert_nothing_started(&ns, &before, trap);
    }
}

/// `--cleanup` keeps the command's status and ends what it left in its
/// session (escalating to SIGKILL for what ignores TERM); without it, the
/// strays remain.
#[test]
fn cleanup_leaves_no_strays() {
    let Some(ns) = empty() else { return };
    let before = alive(&ns);
    let strays = "exec >/dev/null 2>&1; sleep 1000 & sleep 1000 & exit 3";

    // The brief's own example, and a session of several groups, one of
    // which ignores TERM.
    let output = setsid_run(
        &ns,
        &[
            "-w",
            "--cleanup",
            "--print",
            "sid",
            "--",
            "sh",
            "-c",
            strays,
        ],
    );
    assert_exit(&output, 3);
    let sid = printed_number(&output);
    assert_eq!(session(&ns, sid), vec![], "no strays of the session");
    assert_nothing_started(&ns, &before, "--cleanup");

    let command = family(ns.dir(), "").replace("\n         wait", "\n exit 3");
    let command = command.replace("sh -c 'sleep", "sh -c 'trap \"\" TERM; sleep");
    let args = [
        "--cleanup",
        "--kill-after",
        "200ms",
        "--print",
        "sid",
        "--",
        "bash",
        "-c",
    ];
    let output = setsid_run(&ns, &[&args[..], &[&command]].concat());
    assert_exit(&output, 3);
    let sid = printed_number(&output);
    for pid in kids(&ns, sid) {
        assert!(ns.is_gone(pid), "{pid} outlived --cleanup");
    }
    assert_eq!(session(&ns, sid), vec![], "no strays of the session");
    assert_nothing_started(&ns, &before, "--cleanup, several groups");

    // Without --cleanup the two sleeps stay behind, in the session.
    let output = setsid_run(&ns, &["-w", "--print", "sid", "--", "sh", "-c", strays]);
    assert_exit(&output, 3);
    let sid = printed_number(&output);
    let left = session(&ns, sid);
    assert_eq!(left.len(), 2, "the strays: {left:?}");
    // They may not have exec'd yet when their shell exited.
    ns.wait_for("the strays are two sleeps under init", |ps| {
        let left: Vec<&Proc> = ps.iter().filter(|p| p.sid == sid).collect();
        left.len() == 2
            && left
                .iter()
                .all(|p| p.cmdline() == "sleep 1000" && p.ppid == 1)
    });
}

/// A group of the forwarding scenario: a bash that appends "pid SIGNAL"
/// to `$DIR/got` when SIGNAL arrives, then ends its sleep and exits.
const GROUP_SCRIPT: &str = r#"trap 'echo "$$ SIGNAL" >>"$DIR/got"; kill $child 2>/dev/null; exit 0' SIGNAL
sleep 1000 & child=$!
while :; do wait $child; done
"#;

/// What became of one forwarded signal.
struct Forwarded {
    /// setsid-run's exit status.
    status: i32,
    /// The recorders, the bash leading each group but the command's.
    recorders: BTreeSet<i32>,
    /// The "pid SIGNAL" lines the recorders wrote.
    got: Vec<(i32, String)>,
}

/// Starts `setsid-run -w` on a command whose session has three groups
/// (the command's, and two recorders with a sleep each), sends `signal` to
/// setsid-run (by the pid its parent shell got from `$!`, its own unreaped
/// child), and waits until the session is empty.
/// With `ignore_hup`, the recorders ignore SIGHUP (see the ignored test
/// below).
fn forward(ns: &Namespace, signal: &str, ignore_hup: bool) -> Forwarded {
    let group = ns.dir().join("group.sh");
    let mut script = GROUP_SCRIPT.replace("SIGNAL", signal);
    if ignore_hup {
        script.insert_str(0, "trap '' HUP\n");
    }
    std::fs::write(&group, script).unwrap();
    let _ = std::fs::remove_file(ns.dir().join("got"));
    // A job-control shell, so that a background setsid-run does not start
    // with SIGINT ignored.
    let mut job = ns.spawn_sh(
        r#"exec bash -c 'set -m
"$SETSID_RUN" -w --print sid -- bash -c "set -m; bash \"\$DIR/group.sh\" & bash \"\$DIR/group.sh\" & wait" >"$DIR/out" 2>"$DIR/err" &
pid=$!
echo pid=$pid
read signal
kill -s "$signal" "$pid"
wait "$pid"
echo status=$?' 2>/dev/null"#,
    );
    let setsid_run_pid = job.var("pid");
    let out = ns.dir().join("out");
    let mut sid = 0;
    ns.wait_for("the command's session is in place", |ps| {
        sid = std::fs::read_to_string(&out)
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(0);
        let members: Vec<&Proc> = ps.iter().filter(|p| sid > 0 && p.sid == sid).collect();
        let sleeps = members.iter().filter(|p| p.cmdline() == "sleep 1000");
        sleeps.count() == 2 && members.iter().all(|p| p.state == 'S')
    });
    let members = session(ns, sid);
    assert_eq!(groups(&members).len(), 3, "{members:?}");
    let recorders: BTreeSet<i32> = members
        .iter()
        .filter(|p| p.cmdline().ends_with("group.sh"))
        .map(|p| p.pid)
        .collect();
    assert_eq!(recorders.len(), 2, "{members:?}");
    assert!(recorders
        .iter()
        .all(|&pid| ns.stat(pid).unwrap().pgid == pid));
    let setsid_run = ns.stat(setsid_run_pid).expect("setsid-run waits");
    assert_eq!(setsid_run.comm(), "setsid-run");

    job.send(signal);
    let status = job
        .line()
        .strip_prefix("status=")
        .and_then(|status| status.parse().ok())
        .expect("status=N");
    let (finished, stderr) = job.finish();
    assert!(finished.success(), "SIG{signal}: {finished}: {stderr}");
    let err = std::fs::read_to_string(ns.dir().join("err")).unwrap();
    assert_eq!(err, "", "setsid-run's stderr");
    // setsid-run waits for the command only: the other groups may still
    // be on their way out.
    let start = std::time::Instant::now();
    while !session(ns, sid).is_empty() {
        if start.elapsed() > support::DEADLINE {
            let got = std::fs::read_to_string(ns.dir().join("got")).unwrap_or_default();
            panic!(
                "SIG{signal}: left in the session: {:?}; recorded: {got:?}",
                session(ns, sid)
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let got = std::fs::read_to_string(ns.dir().join("got"))
        .unwrap_or_default()
        .lines()
        .map(|line| {
            let (pid, what) = line.split_once(' ').expect("pid SIGNAL");
            (pid.parse().unwrap(), what.to_string())
        })
        .collect();
    Forwarded {
        status,
        recorders,
        got,
    }
}

/// SIGTERM, SIGINT and SIGHUP sent to a waiting setsid-run reach every
/// group of the command's session, and setsid-run exits with 128+N, the
/// status of the command the signal killed.
#[test]
fn forwarded_signals_reach_every_group_of_the_session() {
    for (signal, number) in [("TERM", 15), ("INT", 2), ("HUP", 1)] {
        let Some(ns) = empty() else { return };
        // The kernel's SIGHUP to an orphaned stopped group is the subject
        // of the test below, not of this one.
        let forwarded = forward(&ns, signal, signal != "HUP");
        assert_eq!(forwarded.status, 128 + number, "SIG{signal}");
        let got: BTreeSet<i32> = forwarded
            .got
            .iter()
            .filter(|(_, what)| what == signal)
            .map(|(pid, _)| *pid)
            .collect();
        assert_eq!(
            got, forwarded.recorders,
            "SIG{signal} reached every group: {:?}",
            forwarded.got
        );
    }
}

/// Forwarding SIGTERM must deliver SIGTERM, and nothing else, to every
/// group. Delivery to a session stops every group, signals them, then
/// continues them. A group left stopped after the process that ties it to
/// the session (its parent, in another group) has died is orphaned, and
/// the kernel sends it SIGHUP: a process that handles TERM but not HUP
/// would die of SIGHUP without its TERM handler running. That happened in
/// a fifth to a half of the rounds when the command's group was continued
/// first, and in about one round in a hundred while all groups got their
/// signal before any was continued (a parent whose SIGSTOP was still
/// pending took SIGTERM first, as the lower signal, and died at once).
#[test]
fn forwarded_term_is_not_turned_into_sighup() {
    let Some(ns) = empty() else { return };
    for round in 0..25 {
        let forwarded = forward(&ns, "TERM", false);
        assert_eq!(forwarded.status, 143);
        let got: BTreeSet<i32> = forwarded.got.iter().map(|(pid, _)| *pid).collect();
        assert_eq!(
            got, forwarded.recorders,
            "round {round}: a group ended without its TERM handler running: {:?}",
            forwarded.got
        );
    }
}

/// The pid file names the running instance: written after the exec, a
/// second start refused with 125 ("already running as pid N") while the
/// first runs, whatever the timing of the first; a stale file (dead pid)
/// replaced.
#[test]
fn pidfile_refuses_a_second_start_while_the_first_runs() {
    let Some(ns) = empty() else { return };
    // Several rounds: the file's time and the process's start time are
    // close together, and must compare right every time.
    for round in 0..8 {
        let pid_file = ns.dir().join(format!("app{round}.pid"));
        let file = path_str(&pid_file);
        let output = setsid_run(
            &ns,
            &["-d", "--pidfile", file, "--print", "pid", "sleep", "1000"],
        );
        assert_exit(&output, 0);
        let pid = printed_number(&output);
        assert_eq!(
            std::fs::read_to_string(&pid_file).unwrap(),
            format!("{pid}\n")
        );
        let first = exec_done(&ns, pid, "the first instance runs");
        assert_eq!(
            first.cmdline(),
            "sleep 1000",
            "exec'd before the file was written"
        );
        let running = alive(&ns);

        for wait in [&[][..], &["-w"]] {
            let args = [wait, &["--pidfile", file, "--", "sleep", "1001"]].concat();
            let what = format!("round {round}: second start {args:?}");
            let line = assert_error(&setsid_run(&ns, &args), 125, &what);
            assert_eq!(
                line,
                format!("setsid-run: error: already running as pid {pid}"),
                "{what}"
            );
            assert_nothing_started(&ns, &running, &what);
            assert_eq!(
                std::fs::read_to_string(&pid_file).unwrap(),
                format!("{pid}\n")
            );
        }
    }
    let temps: Vec<_> = std::fs::read_dir(ns.dir())
        .unwrap()
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(temps.is_empty(), "temporary files left: {temps:?}");

    // Stale: the instance is dead (killed by the pid setsid-run printed
    // when it started it, and reaped by init).
    let pid_file = ns.dir().join("app0.pid");
    let file = path_str(&pid_file);
    let old: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_exit(&ns.sh(&format!("kill -KILL {old}")), 0);
    wait_until("the old instance is reaped", || ns.stat(old).is_none());
    let output = setsid_run(
        &ns,
        &["-d", "--pidfile", file, "--print", "pid", "sleep", "1002"],
    );
    assert_exit(&output, 0);
    let pid = printed_number(&output);
    assert_ne!(pid, old);
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap(),
        format!("{pid}\n")
    );
}

/// The mtime of a file.
fn mtime(path: &Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

/// A pid file whose pid now belongs to a process that started after the
/// file was written is someone else's number: replaced, the process left
/// alone. Shown twice: a live process with the file backdated to before
/// it started, and the dead instance's pid handed to a new process
/// (ns_last_pid) just after the file was written.
#[test]
fn pidfile_whose_pid_a_later_process_took_is_replaced() {
    let Some(ns) = empty() else { return };
    let pid_file = ns.dir().join("app.pid");
    let file = path_str(&pid_file);

    // Backdated.
    let output = setsid_run(
        &ns,
        &["-d", "--pidfile", file, "--print", "pid", "sleep", "1000"],
    );
    assert_exit(&output, 0);
    let first = printed_number(&output);
    assert_exit(&ns.sh(&format!("touch -d '1 hour ago' '{file}'")), 0);
    let output = setsid_run(
        &ns,
        &["-d", "--pidfile", file, "--print", "pid", "sleep", "1001"],
    );
    assert_exit(&output, 0);
    let second = printed_number(&output);
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap(),
        format!("{second}\n")
    );
    assert!(
        !ns.is_gone(first),
        "the process the file named is left alone"
    );

    // Reused: the second instance dies, a new process takes its pid after
    // the file was written.
    assert_exit(&ns.sh(&format!("kill -KILL {second}")), 0);
    wait_until("the instance is reaped", || ns.stat(second).is_none());
    // Start times are in clock ticks (10 ms) and file times come from a
    // coarse clock: let the clock pass the file's time by a few ticks, so
    // that "later" is beyond both resolutions.
    let written = mtime(&pid_file);
    wait_until("the clock is 50 ms past the file's time", || {
        SystemTime::now() > written + Duration::from_millis(50)
    });
    let output = ns.sh(&format!(
        "echo {} >/proc/sys/kernel/ns_last_pid; sleep 1002 >/dev/null 2>&1 & echo $!",
        second - 1
    ));
    assert_exit(&output, 0);
    assert_eq!(
        printed_number(&output),
        second,
        "ns_last_pid handed out the pid"
    );
    assert_eq!(by_args(&ns, "sleep 1002").pid, second);
    let output = setsid_run(
        &ns,
        &["-d", "--pidfile", file, "--print", "pid", "sleep", "1003"],
    );
    assert_exit(&output, 0);
    let third = printed_number(&output);
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap(),
        format!("{third}\n")
    );
    assert!(!ns.is_gone(second), "the newcomer is left alone");
}

/// Waiting, the pid file is removed when the command exits, however it
/// ends; an unwritable path is refused with 125 before anything starts.
#[test]
fn pidfile_is_removed_at_exit_and_must_be_writable() {
    let Some(ns) = empty() else { return };
    let before = alive(&ns);
    let pid_file = ns.dir().join("app.pid");
    let file = path_str(&pid_file);

    // Exiting on its own, and ended by --timeout.
    let output = setsid_run(&ns, &["-w", "--pidfile", file, "sh", "-c", "exit 5"]);
    assert_exit(&output, 5);
    assert!(!pid_file.exists(), "removed after exit");
    let output = setsid_run(
        &ns,
        &["--timeout", "300ms", "--pidfile", file, "sleep", "1000"],
    );
    assert_exit(&output, 124);
    assert!(!pid_file.exists(), "removed after --timeout");
    assert_nothing_started(&ns, &before, "--timeout");

    // Seen while it runs, removed when a forwarded TERM ends it.
    let mut job = ns.spawn_sh(&format!(
        r#""$SETSID_RUN" -w --pidfile '{file}' -- sleep 1000 >/dev/null 2>&1 &
pid=$!
echo pid=$pid
read signal
kill -s "$signal" "$pid"
wait "$pid"
echo status=$?"#
    ));
    let setsid_run_pid = job.var("pid");
    let mut pid = 0;
    wait_until("the pid file names the running command", || {
        pid = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(0);
        pid > 0
    });
    let command = exec_done(&ns, pid, "the pid file names a live process");
    assert_eq!(command.cmdline(), "sleep 1000");
    assert_eq!(command.ppid, setsid_run_pid, "setsid-run waits for it");
    job.send("TERM");
    assert_eq!(job.line(), "status=143");
    let (status, stderr) = job.finish();
    assert!(status.success(), "{status}: {stderr}");
    assert!(!pid_file.exists(), "removed after a forwarded signal");
    assert_nothing_started(&ns, &before, "-w --pidfile");

    // Nowhere to write: nothing starts.
    for wait in [&[][..], &["-w"]] {
        let args = [
            wait,
            &["--pidfile", "/nonexistent/dir/pid", "--", "sleep", "1000"],
        ]
        .concat();
        let line = assert_error(&setsid_run(&ns, &args), 125, "unwritable pid file");
        assert!(line.contains("/nonexistent/dir/pid"), "{line}");
        assert_nothing_started(&ns, &before, "unwritable pid file");
    }
}

/// `--group` makes only a new process group (pgid == pid), in the caller's
/// session; `--timeout` then ends that group and spares the caller.
#[test]
fn group_mode_stays_in_the_callers_session() {
    let Some(ns) = empty() else { return };
    // The caller leads a session inside the namespace (setsid without a
    // fork: it is not a group leader), so its sid is visible there.
    let output = ns.sh(r#"setsid sh -c '
echo "$$ $(cut -d" " -f6 /proc/$$/stat)"
"$SETSID_RUN" -g -d --print ids -- sleep 1000
"$SETSID_RUN" -g --timeout 300ms -- sh -c "sleep 1000 & wait"
echo "status=$?"'"#);
    assert_exit(&output, 0);
    let text = support::stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    // The ids, without --print ids's inode (checked in tests/identity.rs).
    let numbers = |line: &str| -> Vec<i32> {
        line.split(' ')
            .take(3)
            .map(|n| n.parse().unwrap())
            .collect()
    };
    let caller = numbers(lines[0]);
    assert_eq!(caller[0], caller[1], "the caller leads its session");
    let ids = numbers(lines[1]);
    let sleep = exec_done(&ns, ids[0], "the sleep runs");
    assert_eq!(sleep.cmdline(), "sleep 1000");
    assert_eq!(sleep.pgid, sleep.pid, "a group of its own");
    assert_eq!(sleep.sid, caller[0], "in the caller's session");
    assert_eq!(ids, vec![sleep.pid, sleep.pgid, sleep.sid], "--print ids");
    assert_eq!(lines[2], "status=124", "the caller survived the timeout");
    let left: Vec<Proc> = alive(&ns)
        .into_iter()
        .filter(|p| p.sid == caller[0] && p.pid != sleep.pid)
        .collect();
    assert_eq!(left, vec![], "the timed-out group is gone");
}

/// `--print pid|pgid|sid|ids|json` print the ids the kernel shows, after
/// the exec.
#[test]
fn print_forms_match_the_kernel() {
    let Some(ns) = empty() else { return };
    for (n, form) in ["pid", "pgid", "sid", "ids", "json"].iter().enumerate() {
        let arg = format!("{}", 1000 + n);
        let output = setsid_run(&ns, &["-d", "--print", form, "--", "sleep", &arg]);
        assert_exit(&output, 0);
        assert!(output.stderr.is_empty(), "{}", support::stderr(&output));
        let sleep = by_args(&ns, &format!("sleep {arg}"));
        assert_eq!((sleep.pgid, sleep.sid), (sleep.pid, sleep.pid), "{sleep:?}");
        let text = support::stdout(&output);
        let expected = match *form {
            "pid" => format!("{}\n", sleep.pid),
            "pgid" => format!("{}\n", sleep.pgid),
            "sid" => format!("{}\n", sleep.sid),
            "ids" => format!(
                "{} {} {} {}\n",
                sleep.pid,
                sleep.pgid,
                sleep.sid,
                crate::identity::ino_text(&ns, sleep.pid)
            ),
            _ => {
                assert!(
                    text.ends_with('\n') && text.lines().count() == 1,
                    "{text:?}"
                );
                let value: serde_json::Value = serde_json::from_str(&text)
                    .unwrap_or_else(|error| panic!("not JSON ({error}): {text:?}"));
                assert_eq!(
                    value,
                    serde_json::json!({"pid": sleep.pid, "pgid": sleep.pgid, "sid": sleep.sid,
                                       "ino": crate::identity::ino(&ns, sleep.pid)})
                );
                continue;
            }
        };
        assert_eq!(text, expected, "--print {form}");
    }
    // With --wait too, before the command ends: the command reads it.
    let out = ns.dir().join("seen");
    let output = ns.sh(&format!(
        r#""$SETSID_RUN" -w --print ids -- sh -c 'echo "$$ $(cut -d" " -f5,6 /proc/$$/stat)" >"{}"'"#,
        path_str(&out)
    ));
    assert_exit(&output, 0);
    let seen = std::fs::read_to_string(&out).unwrap();
    let printed = support::stdout(&output);
    let (ids, _ino) = printed.trim_end().rsplit_once(' ').unwrap();
    assert_eq!(format!("{ids}\n"), seen, "the ids the command sees");
}

/// `-d`: `pid=$(setsid-run -d --print pid -- sleep 1000)` returns (the
/// sleep would hold a pipe for 1000 s otherwise); the command's stdio is
/// /dev/null, or `--log` (appended, both streams), or `--stdout` and
/// `--stderr` (truncated).
#[test]
fn detach_returns_at_once_and_redirects() {
    let Some(ns) = empty() else { return };
    let output = ns.sh(r#"pid=$("$SETSID_RUN" -d --print pid -- sleep 1000); echo "pid=$pid""#);
    assert_exit(&output, 0);
    let text = support::stdout(&output);
    let pid: i32 = text
        .trim()
        .strip_prefix("pid=")
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("{text:?}"));
    let sleep = exec_done(&ns, pid, "the sleep runs");
    assert_eq!(sleep.cmdline(), "sleep 1000");
    assert_eq!((sleep.pgid, sleep.sid), (pid, pid));
    for fd in 0..3 {
        assert_eq!(fd_target(&ns, pid, fd), Path::new("/dev/null"), "fd {fd}");
    }

    let talk = "echo out; echo err >&2; exec sleep 1000";
    let log = ns.dir().join("job.log");
    std::fs::write(&log, "before\n").unwrap();
    let mut expected = String::from("before\n");
    for round in 0..2 {
        let output = setsid_run(
            &ns,
            &[
                "-d",
                "--log",
                path_str(&log),
                "--print",
                "pid",
                "sh",
                "-c",
                talk,
            ],
        );
        assert_exit(&output, 0);
        let pid = printed_number(&output);
        expected.push_str("out\nerr\n");
        wait_until("the command wrote to the log", || {
            std::fs::read_to_string(&log).unwrap() == expected
        });
        assert_eq!(fd_target(&ns, pid, 0), Path::new("/dev/null"));
        for fd in [1, 2] {
            assert_eq!(fd_target(&ns, pid, fd), log, "round {round}, fd {fd}");
            assert_ne!(
                fd_flags(&ns, pid, fd) & libc::O_APPEND as u32,
                0,
                "fd {fd} appends"
            );
        }
    }

    let out = ns.dir().join("out");
    let err = ns.dir().join("err");
    std::fs::write(&out, "an older and longer content\n").unwrap();
    std::fs::write(&err, "an older and longer content\n").unwrap();
    let args = [
        "-d",
        "--stdout",
        path_str(&out),
        "--stderr",
        path_str(&err),
        "--print",
        "pid",
    ];
    let output = setsid_run(&ns, &[&args[..], &["sh", "-c", talk]].concat());
    assert_exit(&output, 0);
    let pid = printed_number(&output);
    wait_until("the command wrote its output", || {
        std::fs::read_to_string(&out).unwrap() == "out\n"
            && std::fs::read_to_string(&err).unwrap() == "err\n"
    });
    assert_eq!(fd_target(&ns, pid, 0), Path::new("/dev/null"));
    assert_eq!(fd_target(&ns, pid, 1), out);
    assert_eq!(fd_target(&ns, pid, 2), err);

    // --stdout alone: stderr still goes to /dev/null.
    let output = setsid_run(
        &ns,
        &[
            "-d",
            "--stdout",
            path_str(&out),
            "--print",
            "pid",
            "sleep",
            "1001",
        ],
    );
    assert_exit(&output, 0);
    let pid = printed_number(&output);
    assert_eq!(fd_target(&ns, pid, 1), out);
    assert_eq!(fd_target(&ns, pid, 2), Path::new("/dev/null"));
}

/// Bad input: exit 2 for usage errors, 125 for files setsid-run cannot
/// use, as the man page documents; one line `setsid-run: error: …`, no
/// panic, nothing started.
#[test]
fn bad_input_is_refused_with_one_line() {
    let Some(ns) = empty() else { return };
    let before = alive(&ns);
    let dir = ns.dir();
    let garbage = dir.join("garbage.pid");
    std::fs::write(&garbage, "not a pid\n").unwrap();
    let log = dir.join("log");
    let cases: &[(&[&str], i32)] = &[
        (&[], 2),
        (&["--"], 2),
        (&["-w"], 2),
        (&["-d", "--print", "pid", "--"], 2),
        (&["--bogus", "sleep", "1000"], 2),
        (&["--timeout", "x", "sleep", "1000"], 2),
        (&["--timeout", "", "sleep", "1000"], 2),
        (&["--timeout", "-1s", "sleep", "1000"], 2),
        (&["--timeout", "5 s", "sleep", "1000"], 2),
        (&["--kill-after", "-1s", "sleep", "1000"], 2),
        (&["--kill-after", "1x", "--cleanup", "sleep", "1000"], 2),
        (&["--print", "pids", "sleep", "1000"], 2),
        (&["--print", "", "sleep", "1000"], 2),
        (&["--signal", "FOO", "sleep", "1000"], 2),
        (&["--signal", "0", "sleep", "1000"], 2),
        (&["--signal", "65", "sleep", "1000"], 2),
        (&["--signal", "SIGRTMIN+99", "sleep", "1000"], 2),
        (&["-c", "-d", "sleep", "1000"], 2),
        (&["-c", "-g", "sleep", "1000"], 2),
        (
            &[
                "--log",
                path_str(&log),
                "--stdout",
                path_str(&log),
                "sleep",
                "1000",
            ],
            2,
        ),
        (&["--pidfile", "/nonexistent/dir/pid", "sleep", "1000"], 125),
        (
            &["-w", "--pidfile", "/nonexistent/dir/pid", "sleep", "1000"],
            125,
        ),
        (&["--pidfile", path_str(dir), "sleep", "1000"], 125),
        (&["--pidfile", path_str(&garbage), "sleep", "1000"], 125),
        (
            &["-d", "--stdout", "/nonexistent/dir/out", "sleep", "1000"],
            125,
        ),
        (&["--stderr", "/nonexistent/dir/err", "sleep", "1000"], 125),
        (
            &["--log", "/nonexistent/dir/log", "-w", "sleep", "1000"],
            125,
        ),
    ];
    for (args, code) in cases {
        let what = format!("setsid-run {args:?}");
        assert_error(&setsid_run(&ns, args), *code, &what);
        assert_nothing_started(&ns, &before, &what);
    }
    assert_eq!(std::fs::read_to_string(&garbage).unwrap(), "not a pid\n");
    assert!(!log.exists(), "no file created on a usage error");
}

/// `-c --force` gives the new session the caller's terminal as its
/// controlling terminal; without it the new session has none. The caller's
/// terminal is a pseudo-terminal from script(1), whose shell runs
/// setsid-run as its foreground job.
#[test]
fn ctty_gives_the_new_session_the_callers_terminal() {
    let Some(ns) = empty() else { return };
    // The command reports its pid, sid, tty_nr and what its stdin is.
    std::fs::write(
        ns.dir().join("probe.sh"),
        "set -- $(cat /proc/$$/stat)\n\
         echo \"$1 $6 $7 $(readlink /proc/$$/fd/0)\" >>\"$DIR/ctty\"\n",
    )
    .unwrap();
    // -c from a shell's foreground job needs --force: the terminal is taken
    // from the shell's session for good.
    let output = ns.sh(r#"for flag in "-c --force" ""; do
    SHELL=/bin/sh script -q -e -c "\"$SETSID_RUN\" $flag -w -- sh \"$DIR/probe.sh\"" /dev/null \
        </dev/null >/dev/null 2>&1 || exit 1
done"#);
    assert_exit(&output, 0);
    let text = std::fs::read_to_string(ns.dir().join("ctty")).unwrap();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(' ').collect()).collect();
    assert_eq!(lines.len(), 2, "{text}");
    for line in &lines {
        assert_eq!(line[0], line[1], "the command leads its session: {text}");
        assert!(
            line[3].starts_with("/dev/pts/"),
            "stdin is the terminal: {text}"
        );
    }
    let pts: u32 = lines[0][3]["/dev/pts/".len()..].parse().unwrap();
    let tty_nr: i32 = lines[0][2].parse().unwrap();
    assert_eq!(
        support::tty_name(tty_nr).as_deref(),
        Some(format!("pts/{pts}").as_str()),
        "with -c the terminal on stdin controls the new session: {text}"
    );
    assert_eq!(
        lines[1][2], "0",
        "without -c the new session has no terminal: {text}"
    );
}

/// The command starts as exec would start it: no signal blocked (setsid-run
/// blocks the ones it forwards), SIGPIPE at its default (setsid-run ignores
/// it), a signal its caller ignores still ignored (`nohup setsid-run …`),
/// and descriptors 0 and 1 open on /dev/null when setsid-run got them
/// closed, never on a file setsid-run opened (here the pid file). Both ways
/// of starting: posix_spawn (`sh -c`), and the fork that runs a script
/// without a `#!` line through sh.
#[test]
fn the_command_gets_the_callers_signals_and_open_standard_descriptors() {
    let Some(ns) = empty() else { return };
    // The signal state, read by the command's own process (exec keeps it).
    let signals = "exec grep -E '^Sig(Ign|Blk)' /proc/self/status\n";
    // The descriptors the shell got, read before they are redirected.
    let descriptors = r#"stdin=$(readlink /proc/$$/fd/0) stdout=$(readlink /proc/$$/fd/1)
printf '%s\n' "$stdin" "$stdout" >"$DIR/out"
"#;
    for (probe, redirect) in [(signals, r#">"$DIR/out""#), (descriptors, "<&- >&-")] {
        std::fs::write(ns.dir().join("no-shebang"), probe).unwrap();
        std::fs::write(ns.dir().join("probe.sh"), probe).unwrap();
        for command in [r#"sh "$DIR/probe.sh""#, r#""$DIR/no-shebang""#] {
            let output = ns.sh(&format!(
                r#"chmod +x "$DIR/no-shebang"
trap '' USR1
"$SETSID_RUN" -w --pidfile "$DIR/pid" -- {command} {redirect}"#
            ));
            assert_exit(&output, 0);
            let text = std::fs::read_to_string(ns.dir().join("out")).unwrap();
            if probe == descriptors {
                assert_eq!(text, "/dev/null\n/dev/null\n", "{command}");
                continue;
            }
            let mask = |name: &str| {
                let line = text.lines().find_map(|l| l.strip_prefix(name)).unwrap();
                u64::from_str_radix(line.trim(), 16).unwrap()
            };
            assert_eq!(mask("SigBlk:"), 0, "{command}: {text}");
            // Signals 32 and 33 are glibc's own; whether they arrive
            // ignored depends on how the test's processes were spawned.
            let glibc = 0b11 << 31;
            let usr1 = 1 << (libc::SIGUSR1 - 1);
            assert_eq!(mask("SigIgn:") & !glibc, usr1, "{command}: {text}");
        }
    }
}

/// `setsid-run` started by the test inside the namespace, through
/// `nsenter`, the test's own child (it forks once: setsid-run is its
/// child). Dropping it kills and reaps `nsenter`; what it started inside
/// dies with the namespace.
struct Started {
    nsenter: std::process::Child,
    /// A pidfd of setsid-run, opened while it was `nsenter`'s unreaped
    /// child: it cannot name anyone else. `None`: it had exited and been
    /// reaped already.
    pidfd: Option<std::os::fd::OwnedFd>,
}

impl Started {
    /// Starts `setsid-run ARGS` with stdin from /dev/null, stdout and
    /// stderr to the given files.
    fn new(ns: &Namespace, args: &[&str], stdout: Stdio, stderr: Stdio) -> Started {
        use std::os::fd::FromRawFd;
        let mut nsenter = ns
            .command(SETSID_RUN)
            .args(args)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("cannot start nsenter");
        let parent = nsenter.id() as i32;
        let children = format!("/proc/{parent}/task/{parent}/children");
        let mut child = 0;
        wait_until("nsenter has forked", || {
            child = std::fs::read_to_string(&children)
                .unwrap_or_default()
                .split_whitespace()
                .next()
                .and_then(|pid| pid.parse().ok())
                .unwrap_or(0);
            child != 0 || nsenter.try_wait().unwrap().is_some()
        });
        let pidfd = (child != 0)
            .then(|| {
                // SAFETY: a raw syscall; the fd it returns is owned below.
                let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, child, 0) };
                // SAFETY: a fresh fd that nothing else owns.
                (fd >= 0).then(|| unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as i32) })
            })
            .flatten()
            // Still nsenter's child after the pidfd was opened: the fd is
            // setsid-run. Else setsid-run has already been reaped.
            .filter(|_| support::host_stat(child).is_some_and(|p| p.ppid == parent));
        Started { nsenter, pidfd }
    }

    /// Whether setsid-run has exited (its pidfd polls readable).
    fn has_exited(&self) -> bool {
        use std::os::fd::AsRawFd;
        let Some(pidfd) = &self.pidfd else {
            return true;
        };
        let mut poll = libc::pollfd {
            fd: pidfd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, no wait.
        unsafe { libc::poll(&mut poll, 1, 0) == 1 }
    }

    /// Sends `signal` to setsid-run through its pidfd.
    fn signal(&self, signal: i32) {
        use std::os::fd::AsRawFd;
        let Some(pidfd) = &self.pidfd else {
            return;
        };
        // SAFETY: a raw syscall on a pidfd we own; the NULL siginfo is allowed.
        unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                pidfd.as_raw_fd(),
                signal,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            );
        }
    }

    /// Waits until setsid-run (and so nsenter) has exited: its status as a
    /// shell shows it (128+N when signal N killed it; nsenter dies of the
    /// signal that killed its child).
    fn status(mut self) -> i32 {
        use std::os::unix::process::ExitStatusExt;
        let start = std::time::Instant::now();
        loop {
            if let Some(status) = self.nsenter.try_wait().unwrap() {
                return status
                    .code()
                    .or_else(|| status.signal().map(|n| 128 + n))
                    .unwrap();
            }
            assert!(
                start.elapsed() < support::DEADLINE,
                "setsid-run did not end within {:?}",
                support::DEADLINE
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        // Our own child, unreaped unless it ended: its pid is still its own.
        if self.nsenter.try_wait().ok().flatten().is_none() {
            let _ = self.nsenter.kill();
        }
        let _ = self.nsenter.wait();
    }
}

/// Starts `setsid-run ARGS` on `sh -c SCRIPT`, waits until the script has
/// set its traps (it creates `$DIR/ready` then), then sends setsid-run
/// SIGTERM every 20 ms until it has exited. Returns its exit status.
fn terms_until_exit(ns: &Namespace, args: &[&str], script: &str) -> i32 {
    let ready = ns.dir().join("ready");
    let _ = std::fs::remove_file(&ready);
    let err = ns.dir().join("err");
    let script = script.replace("$DIR", path_str(ns.dir()));
    let args = [args, &["--", "sh", "-c", &script]].concat();
    let stderr = Stdio::from(std::fs::File::create(&err).unwrap());
    let setsid_run = Started::new(ns, &args, Stdio::null(), stderr);
    wait_until("the command has set its traps", || {
        setsid_run.has_exited() || ready.exists()
    });
    let start = std::time::Instant::now();
    while !setsid_run.has_exited() {
        assert!(start.elapsed() < support::DEADLINE, "setsid-run never ends");
        setsid_run.signal(libc::SIGTERM);
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = setsid_run.status();
    let err = std::fs::read_to_string(&err).unwrap();
    assert_eq!(err, "", "setsid-run's stderr");
    status
}

/// Once `--timeout` has fired, setsid-run exits 124 (here 137: the session
/// ignores TERM and takes SIGKILL), also when SIGTERM
/// keeps arriving while it ends a session that ignores TERM (before the
/// timeout a TERM is forwarded, and ignored): the forwarded signals stay
/// blocked on the way out, and one still pending is not delivered with its
/// default action. Likewise a TERM arriving while `--cleanup` ends the
/// session keeps the command's status.
#[test]
fn signals_while_ending_the_session_keep_the_status() {
    let Some(ns) = empty() else { return };
    let before = alive(&ns);
    let ready = ns.dir().join("ready");
    for round in 0..4 {
        // The timeout must outlast the command setting its trap.
        let status = with_a_timeout_that_outlasts_the_setup(|timeout| {
            let status = terms_until_exit(
                &ns,
                &["--timeout", timeout, "--kill-after", "1s"],
                "trap '' TERM; : >'$DIR/ready'; sleep 30",
            );
            ready.exists().then_some(status)
        });
        assert_eq!(status, 137, "round {round}: --timeout");
        assert_nothing_started(&ns, &before, "--timeout");
        let status = terms_until_exit(
            &ns,
            &["--cleanup", "--kill-after", "1s"],
            "trap '' TERM; : >'$DIR/ready'; sleep 30 & sleep 0.3; exit 3",
        );
        assert_eq!(status, 3, "round {round}: --cleanup");
        assert_nothing_started(&ns, &before, "--cleanup");
    }
}

/// A write end of a pipe whose read end is closed: writing to it fails
/// with EPIPE.
fn closed_pipe() -> Stdio {
    use std::os::fd::{FromRawFd, OwnedFd};
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two descriptors, owned below.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: fresh descriptors that nothing else owns.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read);
    Stdio::from(write)
}

/// The full device: writing to it fails with ENOSPC.
fn full() -> Stdio {
    Stdio::from(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    )
}

/// `--print` whose stdout cannot be written (a pipe nobody reads, a full
/// device). Waiting, setsid-run says so in one line on stderr and goes on
/// supervising: --timeout still ends the session (124), --cleanup still
/// ends the strays, the command's status is kept. Not waiting, the command
/// is ended (nothing is left running, no pid file) and setsid-run exits
/// 125 with one error line. Waiting with stderr unwritable as well, the
/// status is the same: no panic, no abort.
#[test]
fn failed_print_does_not_end_supervision() {
    let Some(ns) = empty() else { return };
    let before = alive(&ns);
    let pid_file = ns.dir().join("app.pid");
    let err = ns.dir().join("err");
    let outputs = [
        ("a closed pipe", closed_pipe as fn() -> Stdio),
        ("/dev/full", full),
    ];
    let cases: &[(&[&str], i32, Duration)] = &[
        (
            &[
                "-w",
                "--timeout",
                "1s",
                "--print",
                "pid",
                "--",
                "sleep",
                "1000",
            ],
            124,
            Duration::from_secs(1),
        ),
        (
            &[
                "--cleanup",
                "--print",
                "sid",
                "--",
                "sh",
                "-c",
                "sleep 1000 & sleep 0.5; exit 3",
            ],
            3,
            Duration::from_millis(500),
        ),
        (
            &[
                "-w",
                "--print",
                "json",
                "--pidfile",
                path_str(&pid_file),
                "--",
                "sh",
                "-c",
                "sleep 0.5; exit 5",
            ],
            5,
            Duration::from_millis(500),
        ),
        (
            &["--print", "pid", "--", "sleep", "1000"],
            125,
            Duration::ZERO,
        ),
        (
            &[
                "-d",
                "--print",
                "ids",
                "--pidfile",
                path_str(&pid_file),
                "--",
                "sleep",
                "1000",
            ],
            125,
            Duration::ZERO,
        ),
    ];
    for (output, stdout) in outputs {
        for (args, code, least) in cases {
            let what = format!("{args:?} with stdout on {output}");
            let stderr = Stdio::from(std::fs::File::create(&err).unwrap());
            let start = std::time::Instant::now();
            let status = Started::new(&ns, args, stdout(), stderr).status();
            let took = start.elapsed();
            let err = std::fs::read_to_string(&err).unwrap();
            assert_eq!(status, *code, "{what}: stderr {err:?}");
            assert!(took >= *least, "{what}: exited after {took:?}");
            assert!(
                err.starts_with("setsid-run: error: ")
                    && err.contains("--print")
                    && err.ends_with('\n')
                    && err.lines().count() == 1,
                "{what}: stderr {err:?}"
            );
            assert_nothing_started(&ns, &before, &what);
            assert!(!pid_file.exists(), "{what}: the pid file is left");
        }
    }
    // Waiting, with stderr unwritable too: the report is lost, nothing
    // else changes (no panic, no abort).
    for (args, code, least) in &cases[..3] {
        let what = format!("{args:?} with stdout and stderr on /dev/full");
        let start = std::time::Instant::now();
        let status = Started::new(&ns, args, full(), full()).status();
        assert_eq!(status, *code, "{what}");
        assert!(start.elapsed() >= *least, "{what}: exited at once");
        assert_nothing_started(&ns, &before, &what);
        assert!(!pid_file.exists(), "{what}: the pid file is left");
    }
}

/// The names in the scratch directory, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A pid file in a directory another user can write is never written
/// through a name that user planted. A symlink at the temporary name
/// setsid-run used to write (`.app.pid.<its pid>.tmp`) leaves its target
/// alone. A pid file that is a symlink, a hard link to another file, a
/// FIFO, a device, or someone else's file is refused with 125 and one
/// line, without blocking, starting nothing, changing nothing.
#[test]
fn pidfile_never_writes_through_a_planted_name() {
    let Some(ns) = empty() else { return };
    let before = alive(&ns);
    let dir = ns.dir();
    let victim = dir.join("victim");
    let pid_file = dir.join("app.pid");
    let file = path_str(&pid_file);
    // A number no process of the namespace has: stale, were it a pid file.
    let precious = "99999\n";

    // The old temporary name, planted as a symlink to the victim.
    std::fs::write(&victim, precious).unwrap();
    let output = ns.sh(&format!(
        r#"ln -s "$DIR/victim" "$DIR/.app.pid.$$.tmp"
exec "$SETSID_RUN" -d --print pid --pidfile '{file}' -- sleep 1000"#
    ));
    assert_exit(&output, 0);
    let pid = printed_number(&output);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), precious);
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap(),
        format!("{pid}\n")
    );
    let planted: Vec<String> = names_in(dir)
        .into_iter()
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert_eq!(planted.len(), 1, "{planted:?}");
    assert_eq!(std::fs::read_link(dir.join(&planted[0])).unwrap(), victim);
    assert_exit(&ns.sh(&format!("kill -KILL {pid}")), 0);
    wait_until("the instance is reaped", || ns.stat(pid).is_none());
    std::fs::remove_file(&pid_file).unwrap();
    std::fs::remove_file(dir.join(&planted[0])).unwrap();

    let plants: &[(&str, &str)] = &[
        (r#"ln -s "$DIR/victim" "$F""#, "is a symbolic link"),
        (r#"ln -s /nonexistent/file "$F""#, "is a symbolic link"),
        (r#"ln "$DIR/victim" "$F""#, "has 2 hard links"),
        (r#"mkfifo "$F""#, "is not a regular file"),
        (r#"mknod "$F" c 1 3"#, "is not a regular file"),
        (
            r#"echo 99999 >"$F"; chown 65534 "$F""#,
            "is owned by uid 65534, not by uid 0",
        ),
    ];
    for (plant, why) in plants {
        std::fs::write(&victim, precious).unwrap();
        let planted = ns.sh(&format!("F='{file}'; {plant}"));
        assert_exit(&planted, 0);
        let names = names_in(dir);
        let meta = std::fs::symlink_metadata(&pid_file).unwrap();
        for wait in [&["-d"][..], &["-w"]] {
            let args = [wait, &["--pidfile", file, "--", "sleep", "1001"]].concat();
            let what = format!("{plant}: {args:?}");
            // Without blocking: a FIFO opened for writing would block
            // forever, and the harness would fail the run.
            let line = assert_error(&setsid_run(&ns, &args), 125, &what);
            assert_eq!(
                line,
                format!("setsid-run: error: pidfile {file}: {why}; not replacing it"),
                "{what}"
            );
            assert_nothing_started(&ns, &before, &what);
            assert_eq!(
                std::fs::read_to_string(&victim).unwrap(),
                precious,
                "{what}"
            );
            assert_eq!(names_in(dir), names, "{what}");
            let now = std::fs::symlink_metadata(&pid_file).unwrap();
            assert_eq!(
                (now.ino(), now.mode(), now.uid(), now.len()),
                (meta.ino(), meta.mode(), meta.uid(), meta.len()),
                "{what}: the pid file was changed"
            );
        }
        std::fs::remove_file(&pid_file).unwrap();
    }
}

/// Starts `setsid-run ARGS` eight times at once inside the namespace;
/// returns (exit status, stdout, stderr) of each.
fn eight_at_once(ns: &Namespace, args: &str) -> Vec<(i32, String, String)> {
    let output = ns.sh(&format!(
        r#"for i in 1 2 3 4 5 6 7 8; do
    ( "$SETSID_RUN" {args} >"$DIR/out.$i" 2>"$DIR/err.$i"; echo $? >"$DIR/status.$i" ) &
done
wait"#
    ));
    assert_exit(&output, 0);
    (1..=8)
        .map(|i| {
            let read = |name: &str| std::fs::read_to_string(ns.dir().join(format!("{name}.{i}")));
            (
                read("status").unwrap().trim().parse().unwrap(),
                read("out").unwrap(),
                read("err").unwrap(),
            )
        })
        .collect()
}

/// Of eight concurrent starts on one pid file, missing or stale, exactly
/// one starts; the seven others exit 125 "already running as pid N",
/// naming the one that runs. Waiting (-w, --timeout) the same, and the
/// file stays locked (flock, as `pgrep -L -F` checks) for the command's
/// life; with -d the lock goes when setsid-run exits, and the file's live
/// pid keeps refusing starts.
#[test]
fn pidfile_admits_one_of_concurrent_starts() {
    let Some(ns) = empty() else { return };
    for round in 0..6 {
        let pid_file = ns.dir().join(format!("app{round}.pid"));
        let file = path_str(&pid_file);
        if round % 2 == 1 {
            std::fs::write(&pid_file, "99999\n").unwrap();
        }
        let arg = format!("{}", 1000 + round);
        let outcomes = eight_at_once(
            &ns,
            &format!("-d --print pid --pidfile '{file}' -- sleep {arg}"),
        );
        let started: Vec<&(i32, String, String)> = outcomes
            .iter()
            .filter(|(status, _, _)| *status == 0)
            .collect();
        assert_eq!(started.len(), 1, "round {round}: {outcomes:?}");
        let pid: i32 = started[0].1.trim().parse().unwrap();
        let sleep = exec_done(&ns, pid, "the one instance runs");
        assert_eq!(sleep.cmdline(), format!("sleep {arg}"));
        let running: Vec<Proc> = alive(&ns)
            .into_iter()
            .filter(|p| p.cmdline() == format!("sleep {arg}"))
            .collect();
        assert_eq!(running.len(), 1, "round {round}: {running:?}");
        let refusal = format!("setsid-run: error: already running as pid {pid}\n");
        for (status, out, err) in &outcomes {
            if *status != 0 {
                assert_eq!(
                    (*status, out.as_str(), err.as_str()),
                    (125, "", refusal.as_str())
                );
            }
        }
        assert_eq!(
            std::fs::read_to_string(&pid_file).unwrap(),
            format!("{pid}\n")
        );
        // -d: setsid-run is gone, so is its lock; the pid still refuses.
        let unlocked = ns.sh(&format!("flock -n '{file}' true && pgrep -F '{file}'"));
        assert_exit(&unlocked, 0);
        assert_eq!(printed_number(&unlocked), pid);
    }

    // Waiting (--timeout, not reached): one runs, locked all along, until
    // TERM ends its command once the test has seen it (no deadline).
    let pid_file = ns.dir().join("wait.pid");
    let file = path_str(&pid_file);
    let mut job = ns.spawn_sh(&format!(
        r#"for i in 1 2 3 4 5 6 7 8; do
    ( "$SETSID_RUN" --timeout 1d --print pid --pidfile '{file}' -- sleep 2000 >"$DIR/w-out.$i" 2>"$DIR/w-err.$i"; echo $? >"$DIR/w-status.$i" ) &
done
echo started=1
read line
pgrep -L -F '{file}' >"$DIR/pgrep" 2>&1; echo pgrep=$?
kill -TERM "$(cat '{file}')"
wait
echo done=1"#
    ));
    job.var("started");
    let mut pid = 0;
    wait_until("the pid file names the running command", || {
        pid = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(0);
        pid > 0
    });
    exec_done(&ns, pid, "the waited command runs");
    // The seven others have been refused before the one that runs is
    // ended: one that had not tried yet would start once the file is gone.
    wait_until("seven starts refused", || {
        (1..=8)
            .filter(|i| ns.dir().join(format!("w-status.{i}")).exists())
            .count()
            == 7
    });
    job.send("go");
    assert_eq!(job.var("pgrep"), 0, "pgrep -L -F finds it locked");
    assert_eq!(
        std::fs::read_to_string(ns.dir().join("pgrep")).unwrap(),
        format!("{pid}\n")
    );
    assert_eq!(job.var("done"), 1);
    let (status, stderr) = job.finish();
    assert!(status.success(), "{status}: {stderr}");
    let mut statuses = Vec::new();
    for i in 1..=8 {
        let read =
            |name: &str| std::fs::read_to_string(ns.dir().join(format!("w-{name}.{i}"))).unwrap();
        let status: i32 = read("status").trim().parse().unwrap();
        if status == 128 + libc::SIGTERM {
            assert_eq!(read("out"), format!("{pid}\n"));
        } else {
            assert_eq!(
                (status, read("err")),
                (
                    125,
                    format!("setsid-run: error: already running as pid {pid}\n")
                )
            );
        }
        statuses.push(status);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [125, 125, 125, 125, 125, 125, 125, 143]);
    assert!(!pid_file.exists(), "removed when the command ended");
}

/// kill's null signal ends nothing: refused where a signal must end the
/// command, with one line that says why.
#[test]
fn signal_zero_is_refused() {
    let output =
        support::run(std::process::Command::new(SETSID_RUN).args(["--signal", "0", "--", "true"]));
    let line = support::assert_one_line_error(&output, "setsid-run", 2, "--signal 0");
    assert_eq!(
        line,
        "setsid-run: error: invalid value '0' for '--signal <SIG>': signal 0 sends nothing: \
         --signal needs a signal that ends the command (see 'setsid-run --help')"
    );
}

/// Timeouts as coreutils timeout(1) reads them: 0 is none, compound
/// durations add up, and --preserve-status gives the command's own status.
#[test]
fn timeouts_read_as_timeout_does() {
    let Some(ns) = empty() else { return };
    // 0: no timeout at all; the command's status.
    let output = setsid_run(
        &ns,
        &["--timeout", "0", "--", "sh", "-c", "sleep 0.3; exit 7"],
    );
    assert_exit(&output, 7);
    // 0m0.2s: a compound duration, and the timeout fires (were it read
    // as longer, the sleep would outlast the harness's patience).
    let output = setsid_run(&ns, &["--timeout", "0m0.2s", "--", "sleep", "1000"]);
    assert_exit(&output, 124);
    // --preserve-status: the command's status, here death by TERM.
    let output = setsid_run(
        &ns,
        &[
            "--timeout",
            "200ms",
            "--preserve-status",
            "-s",
            "TERM",
            "--",
            "sleep",
            "30",
        ],
    );
    assert_exit(&output, 128 + libc::SIGTERM);
    for bad in ["1m30", "1x", "1.2.3s", "s1"] {
        let output = setsid_run(&ns, &["--timeout", bad, "--", "true"]);
        let line = support::assert_one_line_error(&output, "setsid-run", 2, bad);
        assert!(line.contains(bad), "{line}");
    }
}

/// `--print` says the command started before the command says anything:
/// the exec is held (at the new program's first instruction) until the ids
/// are out, even when setsid-run is slow to write them (strace delays its
/// writes by 300 ms).
#[test]
fn print_comes_before_any_output_of_the_command() {
    let Some(ns) = empty() else { return };
    if !support::have_strace() {
        return;
    }
    for (form, script) in [
        ("pid", "echo $$; exit 3"),
        (
            "json",
            r#"echo "{\"pid\":$$,\"pgid\":$$,\"sid\":$$}"; exit 3"#,
        ),
    ] {
        let output = support::run(
            ns.command("strace")
                .args(["-qq", "-o", "/dev/null", "-e", "trace=write", "-e"])
                .arg("inject=write:delay_enter=300000")
                .args([SETSID_RUN, "-w", "--print", form, "--", "sh", "-c", script]),
        );
        assert_exit(&output, 3);
        let text = support::stdout(&output);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "--print {form}: {text:?}");
        // The command printed, in the form's shape, what setsid-run printed
        // first (but for the inode, which JSON adds last).
        let printed = if form == "json" {
            let (ids, ino) = lines[0].rsplit_once(",\"ino\":").expect("an ino key");
            assert!(ino.ends_with('}'), "--print {form}: {text:?}");
            format!("{ids}}}")
        } else {
            lines[0].to_string()
        };
        assert_eq!(printed, lines[1], "--print {form}: {text:?}");
    }
}

/// A held start (`--print`) traces the command for a moment: a set-user-ID
/// program must keep its privileges all the same (the kernel drops them
/// under a tracer that lacks CAP_SYS_PTRACE), so it is not held.
#[test]
fn print_keeps_a_set_user_id_program_privileged() {
    let Some(ns) = empty() else { return };
    // SAFETY: geteuid only reads.
    if unsafe { libc::geteuid() } != 0 {
        support::skip("needs root to make a set-user-ID file");
        return;
    }
    // Somewhere the other user can reach, on a file system that honours
    // set-user-ID bits.
    let dir = support::fresh_dir(Path::new("/tmp"), "setsid-run-setuid");
    let id = dir.join("id");
    std::fs::copy("/usr/bin/id", &id).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&id, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let output = ns.run(
        "setpriv",
        [
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            SETSID_RUN,
            "-w",
            "--print",
            "pid",
            "--",
            path_str(&id),
            "-u",
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_exit(&output, 0);
    // Not held, the two lines may come in either order.
    let text = support::stdout(&output);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable_by_key(|line| *line != "0");
    assert_eq!(lines.len(), 2, "{text:?}");
    assert_eq!(
        lines[0], "0",
        "the effective uid of a set-user-ID root program: {text:?}"
    );
    assert!(lines[1].parse::<i32>().is_ok_and(|pid| pid > 1), "{text:?}");
}

/// The program is found in PATH as bash finds it: a directory the caller
/// cannot search is passed over (execvp would report "Permission denied"
/// for a command that is nowhere), a directory of the command's name is
/// not the command, the first executable file wins over an earlier one
/// that is not executable, and one that is not executable counts only when
/// nothing else is found.
#[test]
fn path_is_searched_as_bash_searches_it() {
    let Some(ns) = empty() else { return };
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    let root = support::fresh_dir(Path::new("/tmp"), "setsid-run-path");
    mode(&root, 0o755);
    let closed = root.join("closed");
    let plain = root.join("plain");
    let runnable = root.join("runnable");
    for dir in [&closed, &plain, &runnable] {
        std::fs::create_dir(dir).unwrap();
        mode(dir, 0o755);
    }
    mode(&closed, 0o700);
    std::fs::create_dir(plain.join("job")).unwrap();
    std::fs::write(plain.join("job2"), "#!/bin/sh\nexit 0\n").unwrap();
    mode(&plain.join("job2"), 0o644);
    for name in ["job", "job2"] {
        std::fs::write(runnable.join(name), "#!/bin/sh\nexit 5\n").unwrap();
        mode(&runnable.join(name), 0o755);
    }
    let search = format!(
        "{}:{}:{}:/usr/bin:/bin",
        path_str(&closed),
        path_str(&plain),
        path_str(&runnable)
    );
    let as_nobody = |args: &[&str]| {
        support::run(
            ns.command("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(SETSID_RUN)
                .args(args)
                .env("PATH", &search),
        )
    };
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["--", "no-such-command"],
            127,
            "no-such-command: command not found",
        ),
        (&["-w", "--", "job"], 5, ""),
        (&["-w", "--", "job2"], 5, ""),
        (&["-w", "--print", "pid", "--", "job2"], 5, ""),
    ];
    let mut failures = Vec::new();
    for &(args, code, message) in cases {
        let output = as_nobody(args);
        let error = support::stderr(&output);
        if output.status.code() != Some(code)
            || (message.is_empty() != error.is_empty())
            || !error.contains(message)
        {
            failures.push(format!("{args:?}: {:?}, {error:?}", output.status));
        }
    }
    // Only a file that is not executable: its exec fails, as in bash.
    std::fs::remove_file(runnable.join("job2")).unwrap();
    let output = as_nobody(&["--", "job2"]);
    let _ = std::fs::remove_dir_all(&root);
    assert!(failures.is_empty(), "{failures:#?}");
    let line = assert_error(&output, 126, "a file that is not executable");
    assert_eq!(
        line,
        "setsid-run: error: job2: cannot execute: Permission denied"
    );
}

/// A signal setsid-run forwards freezes the command's session; a vfork
/// parent that its child (gone to a session of its own) holds in the
/// kernel never reaches its stop. setsid-run does not wait for it: it goes
/// back to waiting for the command (it used to wait for the parent for
/// ever), and lets the parent go once it stops, so that it is never left
/// stopped or traced.
#[test]
fn a_forwarded_signal_leaves_no_thread_held() {
    let Some(ns) = empty() else { return };
    let Some(perl) = support::vfork_held_by_an_outsider() else {
        return;
    };
    let background = ns.spawn_sh(&format!(
        r#""$SETSID_RUN" -w --print sid -- sh -c 'trap "" TERM; {perl} & while :; do sleep 0.1; done' </dev/null 2>/dev/null &
echo runner=$!
wait"#
    ));
    // setsid-run's sid and the shell's runner=PID, in either order.
    let (mut sid, mut runner) = (0, 0);
    for _ in 0..2 {
        let line = background.line();
        match line.strip_prefix("runner=") {
            Some(pid) => runner = pid.parse().unwrap(),
            None => sid = line.trim().parse().unwrap(),
        }
    }
    let (parent, child) = support::vfork_pair(&ns, sid);
    // TERM, forwarded to the session (which ignores it).
    assert_exit(&ns.sh(&format!("kill -TERM {runner}")), 0);
    let runner_wchan =
        || std::fs::read_to_string(ns.proc_path(runner).join("wchan")).unwrap_or_default();
    ns.wait_for("setsid-run waits again, the parent still held", |_| {
        runner_wchan().starts_with("poll_schedule_timeout")
            && support::tracer_of(&ns, parent).as_deref() == Some(&runner.to_string())
    });
    // The test's own process, in its own namespace: the parent can stop.
    assert_exit(&ns.sh(&format!("kill -KILL {child}")), 0);
    ns.wait_for("the parent let go, running", |_| {
        support::tracer_of(&ns, parent).as_deref() == Some("0")
            && ns
                .stat(parent)
                .is_some_and(|p| p.state != 't' && p.state != 'T')
    });
    assert_exit(&ns.sh(&format!("kill -KILL {runner}")), 0);
    let _ = background.finish();
}

/// `--json` with --cleanup lists what setsid-run ended as a subreaper,
/// outside the session (`"stray":true`), with its wait status: a
/// double-forked daemon that TERM ends, and one that ignores TERM and
/// takes SIGKILL after --kill-after.
#[test]
fn json_lists_the_strays_that_cleanup_ended() {
    let Some(ns) = empty() else { return };
    let command = r#"(setsid sleep 1005 &); (setsid sh -c "trap \"\" TERM; exec sleep 1006" &)
while ! pgrep -f "^sleep 1005" >/dev/null || ! pgrep -f "^sleep 1006" >/dev/null; do sleep 0.01; done
exit 3"#;
    let output = ns.sh(&format!(
        r#"exec "$SETSID_RUN" --json -w --cleanup -k 0.3s -- sh -c '{}'"#,
        command.replace('\'', r"'\''")
    ));
    assert_exit(&output, 3);
    let text = support::stdout(&output);
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["ended_by"], "cleanup", "{report}");
    let strays: Vec<(serde_json::Value, bool)> = report["processes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["stray"] == true)
        .map(|p| {
            assert_eq!(p["comm"], "sleep", "{report}");
            assert_eq!(p["outcome"], "exited", "{report}");
            (p["exit"].clone(), p["escalated"].as_bool().unwrap())
        })
        .collect();
    assert_eq!(strays.len(), 2, "{report}");
    assert!(
        strays.contains(&(serde_json::json!({"signal": 15, "core": false}), false)),
        "{report}"
    );
    assert!(
        strays.contains(&(serde_json::json!({"signal": 9, "core": false}), true)),
        "{report}"
    );
    assert!(
        !ns.processes()
            .iter()
            .any(|p| p.cmdline() == "sleep 1005" || p.cmdline() == "sleep 1006"),
        "nothing survives"
    );
}

/// `--json` with --timeout: one line on stdout once the command has ended,
/// the status and how each process of the session ended, as the kernel
/// tells it (Linux 6.15; `null` before, or with the test hook that hides
/// it): a command killed by TERM, one that exits 3 on TERM, and one that
/// ignores TERM and takes SIGKILL after --kill-after.
#[test]
fn json_reports_how_timeout_ended_each_process() {
    let Some(ns) = empty() else { return };
    let ready = ns.dir().join("ready");
    let script = format!(
        r#"sh -c 'trap "exit 3" TERM; while :; do sleep 0.01; done' &
sh -c 'trap "" TERM; touch {ready}; while :; do sleep 0.01; done' &
exec sleep 100"#,
        ready = ready.display()
    );
    // The timeout must outlast the jobs setting their traps: a run where
    // it did not is tried again with twice the time.
    let mut timeout_ms = 500;
    let output = loop {
        let _ = std::fs::remove_file(&ready);
        let output = ns.sh(&format!(
            r#"exec "$SETSID_RUN" --json --timeout {timeout_ms}ms -k 0.5s -- sh -c '{}'"#,
            script.replace('\'', r"'\''")
        ));
        if ready.exists() || timeout_ms > 8000 {
            break output;
        }
        timeout_ms *= 2;
    };
    assert_exit(&output, 137);
    let text = support::stdout(&output);
    assert_eq!(text.lines().count(), 1, "{text}");
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["status"], 137);
    assert_eq!(report["ended_by"], "timeout");
    let exits: Vec<(String, serde_json::Value, bool)> = report["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["comm"].as_str().unwrap().to_string(),
                p["exit"].clone(),
                p["escalated"].as_bool().unwrap(),
            )
        })
        .collect();
    let hidden = std::env::var_os("PROCGROUP_NO_PIDFD_INFO").is_some();
    let has = |exit: serde_json::Value, escalated: bool| {
        exits
            .iter()
            .any(|(_, e, x)| (hidden && e.is_null() || !hidden && *e == exit) && *x == escalated)
    };
    assert!(has(serde_json::json!({"code": 3}), false), "{report}");
    assert!(
        has(serde_json::json!({"signal": 15, "core": false}), false),
        "{report}"
    );
    assert!(
        has(serde_json::json!({"signal": 9, "core": false}), true),
        "{report}"
    );
}
