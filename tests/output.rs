//! Output that cannot be written: every tool, on its error and success
//! paths, with stdout and then stderr on /dev/full (ENOSPC) and on a closed
//! pipe (EPIPE: the read end is closed before the tool starts). In each
//! case the tool must not be killed by a signal (an abort from a panic, a
//! SIGPIPE) and must exit with its documented code:
//!
//! - an unwritable stderr never changes the code;
//! - pgtree: stdout on /dev/full is 1 ("cannot write output"), a closed
//!   pipe a quiet 0;
//! - pgkill: stdout on /dev/full is 5 ("the report could not be written"),
//!   a closed pipe keeps the delivery's code; a delivery is made whatever
//!   happens to its report or its `-v` lines, and leaves nothing stopped;
//! - setsid-run: a failed `--print` without waiting ends the command and
//!   exits 125; with waiting it keeps supervising and exits with the
//!   command's status.
//!
//! Deliveries happen inside a PID namespace (see `support`), to processes
//! this test started there.

use std::fs::File;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use crate::support::{self, Namespace, Proc, DEADLINE, PGKILL, PGTREE, SETSID_RUN};

/// Where one of the tool's output streams goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sink {
    /// A pipe this test reads.
    Read,
    /// /dev/full: every write fails with ENOSPC.
    Full,
    /// A pipe whose read end is closed: every write fails with EPIPE.
    Closed,
}

/// The ways each case runs: (stdout, stderr). Everything writable first,
/// then one stream broken at a time.
const WAYS: [(Sink, Sink); 5] = [
    (Sink::Read, Sink::Read),
    (Sink::Full, Sink::Read),
    (Sink::Closed, Sink::Read),
    (Sink::Read, Sink::Full),
    (Sink::Read, Sink::Closed),
];

/// The documented exit codes of one case: with stdout writable (stderr
/// broken or not), on /dev/full, and on a closed pipe.
#[derive(Clone, Copy, Debug)]
struct Codes {
    ok: i32,
    full: i32,
    closed: i32,
}

impl Codes {
    /// A case whose stdout is empty: the same code every way.
    const fn always(code: i32) -> Codes {
        Codes {
            ok: code,
            full: code,
            closed: code,
        }
    }

    fn expected(self, stdout: Sink) -> i32 {
        match stdout {
            Sink::Read => self.ok,
            Sink::Full => self.full,
            Sink::Closed => self.closed,
        }
    }
}

/// pgtree's codes for a case that shows something.
const PGTREE_SHOWS: Codes = Codes {
    ok: 0,
    full: 1,
    closed: 0,
};

/// pgkill's codes for a case that writes to stdout and would exit 0.
const PGKILL_WRITES: Codes = Codes {
    ok: 0,
    full: 5,
    closed: 0,
};

/// The write end of a pipe whose read end is already closed.
fn closed_pipe() -> OwnedFd {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two fds, owned right below.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: fresh fds that nothing else owns.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read);
    write
}

/// A stream for the child, and a channel with what it wrote when read.
fn sink(sink: Sink) -> Stdio {
    match sink {
        Sink::Read => Stdio::piped(),
        Sink::Full => Stdio::from(
            File::options()
                .write(true)
                .open("/dev/full")
                .expect("/dev/full"),
        ),
        Sink::Closed => Stdio::from(closed_pipe()),
    }
}

/// Runs `command` with its stdin from /dev/null and its stdout and stderr
/// as given; what it wrote to a [`Sink::Read`] stream is in the output.
fn run(command: &mut Command, stdout: Sink, stderr: Sink) -> Output {
    support::run_with(command, sink(stdout), sink(stderr))
}

/// What went wrong across a sweep, reported together at its end.
#[derive(Default)]
struct Failures(Vec<String>);

impl Failures {
    /// Checks one run: not killed by a signal, no panic message, the
    /// expected exit code.
    fn check(&mut self, what: &str, (stdout, stderr): (Sink, Sink), output: &Output, code: i32) {
        let context = || {
            format!(
                "{what} (stdout {stdout:?}, stderr {stderr:?}): {}; stdout {:?}, stderr {:?}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )
        };
        if let Some(signal) = output.status.signal() {
            self.0
                .push(format!("killed by signal {signal}: {}", context()));
        } else if output.status.code() != Some(code) {
            self.0.push(format!("expected exit {code}: {}", context()));
        } else if String::from_utf8_lossy(&output.stderr).contains("panicked") {
            self.0.push(format!("a panic: {}", context()));
        }
    }

    /// Records a failed condition.
    fn fail(&mut self, message: String) {
        self.0.push(message);
    }

    #[track_caller]
    fn assert_none(self) {
        assert!(
            self.0.is_empty(),
            "{} failure(s):\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

/// Runs a case that needs nothing started, every way.
fn sweep(failures: &mut Failures, what: &str, codes: Codes, command: impl Fn() -> Command) {
    for way in WAYS {
        let output = run(&mut command(), way.0, way.1);
        failures.check(what, way, &output, codes.expected(way.0));
    }
}

/// A tool run here, outside any namespace, in a session of its own (a
/// pgkill that took a bad argument for a target could not reach the
/// harness's group).
fn tool(program: &str, args: &[&str]) -> Command {
    let mut command = support::detached(program);
    command.args(args).env_remove("NO_COLOR");
    command
}

#[test]
fn pgtree_exits_as_documented_whatever_its_output() {
    // Something to show: this test's own process (read, never signalled).
    let me = std::process::id().to_string();
    let cases: &[(&str, &[&str], Codes)] = &[
        ("a match", &["-p", &me], PGTREE_SHOWS),
        ("--tree", &["--tree", "-p", &me], PGTREE_SHOWS),
        ("--json", &["--json", "-p", &me], PGTREE_SHOWS),
        ("--table", &["--table", "-p", &me], PGTREE_SHOWS),
        ("--plain", &["--plain", "-p", &me], PGTREE_SHOWS),
        ("--help", &["--help"], PGTREE_SHOWS),
        ("--version", &["--version"], PGTREE_SHOWS),
        (
            "no match",
            &["-x", "no-such-process-name"],
            Codes::always(1),
        ),
        ("a bad regex", &["("], Codes::always(2)),
        ("a bad option", &["--bogus"], Codes::always(2)),
        ("a bad id", &["-p", "0"], Codes::always(2)),
    ];
    let mut failures = Failures::default();
    for &(what, args, codes) in cases {
        sweep(&mut failures, &format!("pgtree {what}"), codes, || {
            tool(PGTREE, args)
        });
    }
    failures.assert_none();
}

#[test]
fn pgkill_lists_and_refuses_as_documented_whatever_its_output() {
    let cases: &[(&str, &[&str], Codes)] = &[
        ("-l", &["-l"], PGKILL_WRITES),
        ("-l 137", &["-l", "137"], PGKILL_WRITES),
        ("-l TERM", &["--list=TERM"], PGKILL_WRITES),
        ("--help", &["--help"], PGKILL_WRITES),
        // Dry runs: a regression that took the number for a target would
        // still signal nothing.
        ("a bare number", &["-n", "1234"], Codes::always(2)),
        ("a negative number", &["-n", "-1234"], Codes::always(2)),
        ("a bad option", &["--bogus"], Codes::always(2)),
        ("no target", &["-9", "-n"], Codes::always(2)),
        ("an unknown signal", &["-l", "NOSUCH"], Codes::always(2)),
    ];
    let mut failures = Failures::default();
    for &(what, args, codes) in cases {
        sweep(&mut failures, &format!("pgkill {what}"), codes, || {
            tool(PGKILL, args)
        });
    }
    // Targets, inside a namespace where only init lives: pid 1 is refused,
    // and so is `self` (-n would signal nothing anyway); 99999 is no
    // process.
    if let Some(ns) = Namespace::start("") {
        let cases: &[(&str, &[&str], Codes)] = &[
            ("a refused target", &["-n", "--pid", "1"], Codes::always(2)),
            // pgkill's own session lies outside the namespace: read as 0.
            (
                "a refused self",
                &["-n", "-v", "--sid", "self"],
                Codes::always(2),
            ),
            ("no such target", &["--pid", "99999"], Codes::always(1)),
            (
                "no such target, -v",
                &["-v", "--sid", "99999"],
                Codes::always(1),
            ),
            // The report (empty) is written all the same.
            (
                "no such target, --json",
                &["--json", "--pgid", "99999"],
                Codes {
                    ok: 1,
                    full: 5,
                    closed: 1,
                },
            ),
        ];
        for &(what, args, codes) in cases {
            sweep(&mut failures, &format!("pgkill {what}"), codes, || {
                let mut command = ns.command(PGKILL);
                command.args(args);
                command
            });
        }
    }
    failures.assert_none();
}

/// Starts `script` inside `ns` (through sh, its output on /dev/null) and
/// returns the number it prints: `$!` of what it started.
fn start(ns: &Namespace, script: &str) -> i32 {
    let output = ns.sh(&format!("{script} </dev/null >/dev/null 2>&1 & echo $!"));
    support::assert_exit(&output, 0);
    support::stdout(&output)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{script}: {output:?}"))
}

/// Waits until the processes `member` picks are `count` sleeps, asleep;
/// returns them.
fn settled(ns: &Namespace, what: &str, count: usize, member: impl Fn(&Proc) -> bool) -> Vec<Proc> {
    ns.wait_for(&format!("{what} is in place"), |ps| {
        let members: Vec<&Proc> = ps.iter().filter(|p| member(p)).collect();
        members
            .iter()
            .filter(|p| p.cmdline() == "sleep 1000")
            .count()
            == count
            && members.iter().all(|p| p.state == 'S')
    });
    ns.processes().into_iter().filter(|p| member(p)).collect()
}

/// Processes in a line each, for messages.
fn describe(ps: &[Proc]) -> String {
    ps.iter()
        .map(|p| format!("{} {} pgid {} {:?}", p.pid, p.state, p.pgid, p.cmdline()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Waits until every one of `targets` has exited, then checks that no
/// process of the namespace is stopped.
fn all_gone_none_stopped(ns: &Namespace, failures: &mut Failures, what: &str, targets: &[Proc]) {
    let start = Instant::now();
    while !targets.iter().all(|p| ns.is_gone(p.pid)) {
        if start.elapsed() > DEADLINE {
            let left: Vec<Proc> = targets
                .iter()
                .filter_map(|p| ns.stat(p.pid))
                .filter(|p| p.state != 'Z')
                .collect();
            failures.fail(format!(
                "{what}: still alive afterwards: {}",
                describe(&left)
            ));
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let stopped: Vec<Proc> = ns
        .processes()
        .into_iter()
        .filter(|p| matches!(p.state, 'T' | 't'))
        .collect();
    if !stopped.is_empty() {
        failures.fail(format!("{what}: left stopped: {}", describe(&stopped)));
    }
}

/// A session of several process groups (bash's job control): its leader,
/// two jobs and a pipeline job.
const SESSION: &str =
    "setsid bash -c 'set -m; sleep 1000 & sleep 1000 & (sleep 1000 | sleep 1000) & wait'";

#[test]
fn pgkill_delivers_whatever_happens_to_its_output() {
    let mut failures = Failures::default();
    for way in WAYS {
        // A namespace for each way, so that what one leaves behind does
        // not count against the next.
        let Some(ns) = Namespace::start("") else {
            return;
        };
        // --pid with a JSON report on stdout.
        let pid = start(&ns, "sleep 1000");
        let targets = settled(&ns, "the process", 1, |p| p.pid == pid);
        let what = "pgkill --pid --json";
        let output = run(
            ns.command(PGKILL)
                .args(["--json", "--pid"])
                .arg(pid.to_string()),
            way.0,
            way.1,
        );
        failures.check(what, way, &output, PGKILL_WRITES.expected(way.0));
        all_gone_none_stopped(&ns, &mut failures, what, &targets);

        // --pgid with a line per process on stderr.
        let pgid = start(&ns, "setsid sh -c 'sleep 1000 & sleep 1000 & wait'");
        let targets = settled(&ns, "the group", 2, |p| p.pgid == pgid);
        let what = "pgkill --pgid -v";
        let output = run(
            ns.command(PGKILL)
                .args(["-v", "--pgid"])
                .arg(pgid.to_string()),
            way.0,
            way.1,
        );
        failures.check(what, way, &output, 0);
        all_gone_none_stopped(&ns, &mut failures, what, &targets);

        // --sid of several groups, -v and --wait.
        let sid = start(&ns, SESSION);
        let targets = settled(&ns, "the session", 4, |p| p.sid == sid);
        let what = "pgkill --sid -v --wait";
        let output = run(
            ns.command(PGKILL)
                .args(["-v", "--wait", "--sid"])
                .arg(sid.to_string()),
            way.0,
            way.1,
        );
        failures.check(what, way, &output, 0);
        all_gone_none_stopped(&ns, &mut failures, what, &targets);
    }
    failures.assert_none();
}

#[test]
fn pgkill_verbose_into_dev_full_ends_a_session_and_stops_nothing() {
    let Some(ns) = Namespace::start("") else {
        return;
    };
    let sid = start(&ns, SESSION);
    let targets = settled(&ns, "the session", 4, |p| p.sid == sid);
    let groups: std::collections::BTreeSet<i32> = targets.iter().map(|p| p.pgid).collect();
    assert!(groups.len() >= 3, "several groups: {}", describe(&targets));
    let output = run(
        ns.command(PGKILL)
            .args(["--sid", &sid.to_string(), "-v", "--wait"]),
        Sink::Read,
        Sink::Full,
    );
    let mut failures = Failures::default();
    failures.check(
        "pgkill --sid -v --wait 2>/dev/full",
        (Sink::Read, Sink::Full),
        &output,
        0,
    );
    // --wait: everything is gone by the time pgkill exits, not later.
    let left: Vec<Proc> = targets
        .iter()
        .filter_map(|p| ns.stat(p.pid))
        .filter(|p| p.state != 'Z')
        .collect();
    if !left.is_empty() {
        failures.fail(format!(
            "still alive when pgkill exited: {}",
            describe(&left)
        ));
    }
    all_gone_none_stopped(&ns, &mut failures, "pgkill --sid -v 2>/dev/full", &targets);
    failures.assert_none();
}

#[test]
fn setsid_run_exits_as_documented_whatever_its_output() {
    let mut failures = Failures::default();
    let cases: &[(&str, &[&str], Codes)] = &[
        ("a bad option", &["--bogus", "--", "true"], Codes::always(2)),
        ("no command", &[], Codes::always(2)),
        (
            "not found",
            &["--", "no-such-command-anywhere"],
            Codes::always(127),
        ),
        ("-w true", &["-w", "--", "true"], Codes::always(0)),
        (
            "-w exit 3",
            &["-w", "--", "sh", "-c", "exit 3"],
            Codes::always(3),
        ),
        (
            "--help",
            &["--help"],
            Codes {
                ok: 0,
                full: 125,
                closed: 0,
            },
        ),
    ];
    for &(what, args, codes) in cases {
        sweep(&mut failures, &format!("setsid-run {what}"), codes, || {
            tool(SETSID_RUN, args)
        });
    }
    let Some(ns) = Namespace::start("") else {
        failures.assert_none();
        return;
    };
    // --print with waiting: supervised to the end, the command's status.
    for (marker, way) in WAYS.into_iter().enumerate() {
        let script = format!("sleep 0.{marker}; exit 3");
        let what = "setsid-run --print pid -w";
        let output = run(
            ns.command(SETSID_RUN)
                .args(["--print", "pid", "-w", "--", "sh", "-c", &script]),
            way.0,
            way.1,
        );
        failures.check(what, way, &output, 3);
        if way.0 == Sink::Read {
            let printed = String::from_utf8_lossy(&output.stdout);
            if printed.trim().parse::<i32>().is_err() {
                failures.fail(format!("{what}: printed {printed:?}, not a pid"));
            }
        }
    }
    // --print without waiting: when the pid cannot be written, the command
    // is ended (nobody would know it) and setsid-run exits 125.
    for (marker, way) in WAYS.into_iter().enumerate() {
        let sleep = format!("{}", 2000 + marker);
        let what = format!("setsid-run -d --print pid -- sleep {sleep}");
        let failed = way.0 != Sink::Read;
        let codes = Codes {
            ok: 0,
            full: 125,
            closed: 125,
        };
        let output = run(
            ns.command(SETSID_RUN)
                .args(["-d", "--print", "pid", "--", "sleep", &sleep]),
            way.0,
            way.1,
        );
        failures.check(&what, way, &output, codes.expected(way.0));
        let cmdline = format!("sleep {sleep}");
        let running = || {
            ns.processes()
                .into_iter()
                .filter(|p| p.cmdline() == cmdline && p.state != 'Z')
                .collect::<Vec<_>>()
        };
        if failed {
            let start = Instant::now();
            while !running().is_empty() && start.elapsed() < DEADLINE {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            if !running().is_empty() {
                failures.fail(format!("{what} ({way:?}): the command was not ended"));
            }
        } else {
            let printed = String::from_utf8_lossy(&output.stdout);
            match printed.trim().parse::<i32>() {
                Ok(pid) => {
                    ns.wait_for("the command has exec'd", |ps| {
                        ps.iter().any(|p| p.pid == pid && p.cmdline() == cmdline)
                    });
                }
                Err(_) => failures.fail(format!("{what} ({way:?}): printed {printed:?}")),
            }
        }
    }
    failures.assert_none();
}
