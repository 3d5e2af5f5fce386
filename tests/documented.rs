//! What the man pages and the README promise, end to end, for behaviours
//! the per-tool modules do not reach: each test names the promise it
//! checks. Scenarios run in PID namespaces of their own (see `support`);
//! what runs here, outside one, signals nothing (`--help`, `--version`,
//! dry runs), in a session of its own.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::pgkill::report;
use crate::support::{self, assert_exit, wait_until, Namespace, Proc, PGKILL, PGTREE, SETSID_RUN};

/// The live (not zombie) processes of `sid`.
fn live_in_session(ns: &Namespace, sid: i32) -> Vec<Proc> {
    ns.processes()
        .into_iter()
        .filter(|p| p.sid == sid && p.state != 'Z')
        .collect()
}

/// The live processes of group `pgid`.
fn live_in_group(ns: &Namespace, pgid: i32) -> Vec<Proc> {
    ns.processes()
        .into_iter()
        .filter(|p| p.pgid == pgid && p.state != 'Z')
        .collect()
}

/// Waits until `path` exists (a scenario's "ready" file, written once its
/// traps are in place).
fn wait_for_file(path: &Path) {
    wait_until(&format!("{} exists", path.display()), || path.exists());
}

/// Waits until every process of `sid` has exec'd one of `commands`
/// (command lines), one each: a fork that has not exec'd yet still has
/// its shell's signal dispositions.
fn wait_for_session(ns: &Namespace, sid: i32, commands: &[&str]) {
    let mut wanted: Vec<String> = commands.iter().map(|c| c.to_string()).collect();
    wanted.sort();
    ns.wait_for(&format!("session {sid} runs {commands:?}"), |ps| {
        let mut running: Vec<String> = ps
            .iter()
            .filter(|p| p.sid == sid && p.state != 'Z')
            .map(Proc::cmdline)
            .collect();
        running.sort();
        running == wanted && ps.iter().filter(|p| p.sid == sid).all(|p| p.state == 'S')
    });
}

// ---------------------------------------------------------------------------
// Every tool: --help and --version.

#[test]
fn each_tool_has_help_and_version() {
    for (tool, path, about) in [
        (
            "pgtree",
            PGTREE,
            "See processes by session and process group",
        ),
        (
            "pgkill",
            PGKILL,
            "Signal a process, a process group or a whole session",
        ),
        ("setsid-run", SETSID_RUN, "Start a command in a new session"),
    ] {
        for flag in ["--version", "-V"] {
            let output = support::run(support::detached(path).arg(flag));
            assert_exit(&output, 0);
            assert_eq!(
                support::stdout(&output),
                format!("{tool} {}\n", env!("CARGO_PKG_VERSION")),
                "{tool} {flag}"
            );
            assert!(output.stderr.is_empty(), "{tool} {flag}");
        }
        let long = support::run(support::detached(path).arg("--help"));
        let short = support::run(support::detached(path).arg("-h"));
        for (flag, output) in [("--help", &long), ("-h", &short)] {
            assert_exit(output, 0);
            assert!(output.stderr.is_empty(), "{tool} {flag}");
            let text = support::stdout(output);
            assert!(text.starts_with(about), "{tool} {flag}: {text}");
            assert!(
                text.contains(&format!("Usage: {tool} ")),
                "{tool} {flag}: {text}"
            );
            for option in ["--help", "--version"] {
                assert!(text.contains(option), "{tool} {flag} lacks {option}");
            }
        }
        // -h is the summary of --help.
        assert!(
            short.stdout.len() < long.stdout.len(),
            "{tool}: -h is not shorter than --help"
        );
    }
}

// ---------------------------------------------------------------------------
// pgtree.

/// "default comm, pid, ppid, pgid, sid" (pgtree(1), JSON KEYS); `-t tty1`
/// names a terminal (no process has it in a namespace: exit 1, not 2).
#[test]
fn pgtree_json_default_keys_and_tty1() {
    let Some(ns) = Namespace::start("sleep 1000 </dev/null >/dev/null 2>&1 &\necho a=$!") else {
        return;
    };
    let a = ns.var("a");
    ns.wait_for("the sleep runs", |_| {
        ns.stat(a).is_some_and(|p| p.cmdline() == "sleep 1000")
    });
    let output = ns.run(PGTREE, ["--json", "-p", &a.to_string()]);
    assert_exit(&output, 0);
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rows = value.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{value}");
    let keys: BTreeSet<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from(["comm", "pid", "ppid", "pgid", "sid"]),
        "{value}"
    );
    let p = ns.stat(a).unwrap();
    assert_eq!(rows[0]["comm"], "sleep");
    assert_eq!(rows[0]["pid"], a);
    assert_eq!(rows[0]["ppid"], p.ppid);
    assert_eq!(rows[0]["pgid"], p.pgid);
    assert_eq!(rows[0]["sid"], p.sid);

    for args in [
        &["-t", "tty1"][..],
        &["--tty", "tty1", "--json"],
        &["-t", "tty1,pts/0"],
    ] {
        let output = ns.run(PGTREE, args);
        assert_exit(&output, 1);
        assert!(
            output.stderr.is_empty(),
            "{args:?}: {}",
            support::stderr(&output)
        );
    }
    let output = ns.run(PGKILL, ["-n", "-t", "tty1", "."]);
    let line = support::assert_one_line_error(&output, "pgkill", 1, "-t tty1");
    assert_eq!(line, "pgkill: error: no process matched");
}

// ---------------------------------------------------------------------------
// pgkill.

/// `--signal NAME` (TERM, SIGTERM, term, RTMIN+3, a number) delivers that
/// signal, and `--json` reports it by name with the outcome `signalled`.
#[test]
fn pgkill_signal_by_name_delivers_it_and_reports_signalled() {
    let forms: &[(&str, &str, i32)] = &[
        ("USR1", "USR1", libc::SIGUSR1),
        ("SIGUSR2", "USR2", libc::SIGUSR2),
        ("term", "TERM", libc::SIGTERM),
        ("RTMIN+3", "RTMIN+3", libc::SIGRTMIN() + 3),
        ("SIGRTMIN+3", "RTMIN+3", libc::SIGRTMIN() + 3),
        ("10", "USR1", libc::SIGUSR1),
    ];
    // Each victim's parent shell records how its sleep ended.
    let mut script = String::new();
    for (n, _) in forms.iter().enumerate() {
        script.push_str(&format!(
            "sh -c 'sleep {} & echo $! >\"$DIR/pid.{n}\"; wait $!; echo $? >\"$DIR/status.{n}\"' \
             </dev/null >/dev/null 2>&1 &\n",
            1000 + n
        ));
    }
    let Some(ns) = Namespace::start(&script) else {
        return;
    };
    for (n, (form, name, number)) in forms.iter().enumerate() {
        let pid_file = ns.dir().join(format!("pid.{n}"));
        wait_until("the victim's pid is written", || {
            std::fs::read_to_string(&pid_file).is_ok_and(|text| text.ends_with('\n'))
        });
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let cmdline = format!("sleep {}", 1000 + n);
        wait_until("the victim runs sleep", || {
            ns.stat(pid).is_some_and(|p| p.cmdline() == cmdline)
        });
        let output = ns.run(
            PGKILL,
            ["--signal", form, "--pid", &pid.to_string(), "--json"],
        );
        assert_exit(&output, 0);
        let (value, rows) = report(&output);
        assert_eq!(value["signal"], *name, "--signal {form}");
        assert_eq!(value["number"], *number, "--signal {form}");
        assert_eq!(value["dry_run"], false, "--signal {form}");
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].pid, pid);
        assert_eq!(rows[0].outcome.as_deref(), Some("signalled"), "{rows:?}");
        let status_file = ns.dir().join(format!("status.{n}"));
        wait_until("the victim's end is recorded", || {
            std::fs::read_to_string(&status_file).is_ok_and(|text| text.ends_with('\n'))
        });
        assert_eq!(
            std::fs::read_to_string(&status_file).unwrap().trim(),
            (128 + number).to_string(),
            "--signal {form} ended the sleep with signal {number}"
        );
    }
}

/// A group whose members ignore TERM: the group's leader and a child,
/// each writing a ready file once its trap is in place.
const STUBBORN_GROUP: &str = r#"setsid sh -c 'trap "" TERM; sh -c ": >\"$DIR/ready.child\"; exec sleep 1001" & : >"$DIR/ready.leader"; exec sleep 1000' </dev/null >/dev/null 2>&1 &
echo g=$!"#;

/// `--kill-after` with `--pid` and `--pgid`: SIGKILL to what ignored the
/// signal, and the wait ends with every target gone (exit 0). `--pgid`
/// with `--timeout` and survivors: exit 4, each `survived`.
#[test]
fn pgkill_kill_after_and_exit_4_with_pid_and_pgid() {
    for (flag, extra, code, outcome) in [
        ("--pid", "--kill-after", 0, "exited"),
        ("--pgid", "--kill-after", 0, "exited"),
        ("--pgid", "--timeout", 4, "survived"),
    ] {
        let Some(ns) = Namespace::start(STUBBORN_GROUP) else {
            return;
        };
        let g = ns.var("g");
        wait_for_file(&ns.dir().join("ready.leader"));
        wait_for_file(&ns.dir().join("ready.child"));
        wait_for_session(&ns, g, &["sleep 1000", "sleep 1001"]);
        let before = live_in_group(&ns, g);
        let targets: Vec<i32> = if flag == "--pid" {
            vec![g]
        } else {
            before.iter().map(|p| p.pid).collect()
        };
        let start = Instant::now();
        let output = ns.run(PGKILL, [flag, &g.to_string(), extra, "200ms", "--json"]);
        let took = start.elapsed();
        let what = format!("{flag} {extra} 200ms");
        assert_exit(&output, code);
        assert!(took >= Duration::from_millis(200), "{what}: {took:?}");
        let (_, rows) = report(&output);
        let reported: Vec<i32> = rows.iter().map(|r| r.pid).collect();
        assert_eq!(reported, targets, "{what}: {rows:?}");
        assert!(
            rows.iter().all(|r| r.outcome.as_deref() == Some(outcome)),
            "{what}: {rows:?}"
        );
        for pid in &targets {
            if code == 0 {
                assert!(ns.is_gone(*pid), "{what}: {pid} is alive");
            } else {
                let p = ns.stat(*pid).unwrap();
                assert!(p.state == 'S', "{what}: {p:?}");
            }
        }
        if code == 4 {
            let stderr = support::stderr(&output);
            assert!(
                stderr.starts_with("pgkill: error: 2 processes still alive after 200ms: "),
                "{stderr}"
            );
        }
    }
}

/// A signal that does not end anything (WINCH) sent to a session of
/// several groups: every group's handler runs, nothing ends, and nothing
/// is left stopped (the freeze is for terminating signals only).
#[test]
fn pgkill_sid_with_a_signal_that_ends_nothing() {
    let script = r#"cat >"$DIR/recorder.sh" <<'EOF'
trap 'echo $$ >>"$DIR/got"' WINCH
: >"$DIR/ready.$$"
while :; do sleep 1000 & wait $!; done
EOF
setsid bash -c 'set -m; bash "$DIR/recorder.sh" & bash "$DIR/recorder.sh" & exec sleep 1003' </dev/null >/dev/null 2>&1 &
echo s=$!"#;
    let Some(ns) = Namespace::start(script) else {
        return;
    };
    let s = ns.var("s");
    ns.wait_for("two recorders wait, the leader sleeps", |ps| {
        let members: Vec<&Proc> = ps.iter().filter(|p| p.sid == s).collect();
        members
            .iter()
            .filter(|p| p.cmdline() == "sleep 1000")
            .count()
            == 2
            && members
                .iter()
                .any(|p| p.pid == s && p.cmdline() == "sleep 1003")
            && members.iter().all(|p| p.state == 'S')
    });
    let recorders: BTreeSet<i32> = ns
        .processes()
        .into_iter()
        .filter(|p| p.sid == s && p.comm == b"bash")
        .map(|p| p.pid)
        .collect();
    assert_eq!(recorders.len(), 2);
    for pid in &recorders {
        wait_for_file(&ns.dir().join(format!("ready.{pid}")));
    }
    let members = live_in_session(&ns, s);
    let groups: BTreeSet<i32> = members.iter().map(|p| p.pgid).collect();
    assert_eq!(groups.len(), 3, "{members:?}");

    let output = ns.run(PGKILL, ["-WINCH", "--sid", &s.to_string(), "--json"]);
    assert_exit(&output, 0);
    let (value, rows) = report(&output);
    assert_eq!(value["signal"], "WINCH");
    // Every member, and the sleeps a handler started meanwhile (newcomers
    // of the session get the signal too).
    let reported: BTreeSet<i32> = rows.iter().map(|r| r.pid).collect();
    let expected: BTreeSet<i32> = members.iter().map(|p| p.pid).collect();
    assert!(reported.is_superset(&expected), "{reported:?} {expected:?}");
    assert!(rows
        .iter()
        .all(|r| r.outcome.as_deref() == Some("signalled")));
    let got = ns.dir().join("got");
    wait_until("each recorder's handler has run", || {
        std::fs::read_to_string(&got).is_ok_and(|text| text.lines().count() >= 2)
    });
    let got: BTreeSet<i32> = std::fs::read_to_string(&got)
        .unwrap()
        .lines()
        .map(|line| line.parse().unwrap())
        .collect();
    assert_eq!(got, recorders);
    // Nothing ended, nothing is stopped or traced (a recorder may be
    // running its handler's loop at the moment it is looked at).
    for p in &members {
        let now = ns.stat(p.pid).expect("alive");
        assert!(matches!(now.state, 'S' | 'R'), "{now:?}");
        assert_eq!(ns.tracer(p.pid), Some(0), "{now:?}");
    }
}

/// "a zombie has exited" (pgkill(1), --wait): a process whose parent never
/// reaps it is waited for until it is a zombie, not for ever.
#[test]
fn pgkill_wait_ends_at_a_zombie_nobody_reaps() {
    // The child's parent execs a sleep, which never waits.
    let script = "sh -c 'sleep 1000 & echo $! >\"$DIR/child\"; exec sleep 1001' \
                  </dev/null >/dev/null 2>&1 &\necho parent=$!";
    let Some(ns) = Namespace::start(script) else {
        return;
    };
    let parent = ns.var("parent");
    let child_file = ns.dir().join("child");
    wait_until("the child's pid is written", || {
        std::fs::read_to_string(&child_file).is_ok_and(|t| t.ends_with('\n'))
    });
    let child: i32 = std::fs::read_to_string(&child_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    ns.wait_for("the parent is a sleep, the child too", |_| {
        ns.stat(parent).is_some_and(|p| p.cmdline() == "sleep 1001")
            && ns.stat(child).is_some_and(|p| p.cmdline() == "sleep 1000")
    });
    let output = ns.run(PGKILL, ["--pid", &child.to_string(), "--wait", "--json"]);
    assert_exit(&output, 0);
    let (_, rows) = report(&output);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].outcome.as_deref(), Some("exited"));
    let p = ns.stat(child).expect("unreaped");
    assert_eq!((p.state, p.ppid), ('Z', parent), "{p:?}");
}

/// "A target that contains ... pid 1 ... is refused unless --force is
/// given": a group and a session that contain the namespace's init
/// (made a session leader for the test).
#[test]
fn pgkill_refuses_groups_and_sessions_that_contain_pid_1() {
    // Init re-executes itself as the leader of a session of its own (it is
    // not a group leader: setsid(1) does not fork), and starts a member of
    // its group.
    let script = r#"[ -n "${INIT_LEADS:-}" ] || INIT_LEADS=1 exec setsid sh "$0"
sleep 1000 </dev/null >/dev/null 2>&1 &
echo member=$!"#;
    let Some(ns) = Namespace::start(script) else {
        return;
    };
    let init = ns.stat(1).unwrap();
    assert_eq!((init.pgid, init.sid), (1, 1), "{init:?}");
    let member = ns.var("member");
    ns.wait_for("the member runs", |_| {
        ns.stat(member).is_some_and(|p| p.cmdline() == "sleep 1000")
    });
    for flag in ["--pgid", "--sid"] {
        for extra in [&[][..], &["-n"], &["-0"], &["--signal", "CONT"]] {
            let mut args = extra.to_vec();
            args.extend([flag, "1"]);
            let output = ns.run(PGKILL, &args);
            let line = support::assert_one_line_error(&output, "pgkill", 2, &format!("{args:?}"));
            assert!(line.contains("pid 1"), "{args:?}: {line}");
        }
        // With --force it is a target like another (a dry run here).
        let output = ns.run(PGKILL, ["-n", "--force", "--json", flag, "1"]);
        assert_exit(&output, 0);
        let value: Value = serde_json::from_slice(&output.stdout).unwrap();
        let pids: BTreeSet<i64> = value["processes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["pid"].as_i64().unwrap())
            .collect();
        assert!(
            pids.contains(&1) && pids.contains(&i64::from(member)),
            "{value}"
        );
    }
    assert_eq!(ns.stat(1).map(|p| p.state), Some('S'));
    assert_eq!(ns.stat(member).map(|p| p.state), Some('S'));
}

/// "Kernel threads and ids reported as 0 are never targets" (pgkill(1)):
/// on the host, where they are (dry runs, which signal nothing).
#[test]
fn pgkill_never_targets_kernel_threads() {
    let Some(kthreadd) = support::host_stat(2).filter(Proc::is_kernel_thread) else {
        support::skip("pid 2 here is no kernel thread (a PID namespace?)");
        return;
    };
    let dry = |args: &[&str]| {
        support::run(
            support::detached(PGKILL)
                .arg("-n")
                .args(args)
                .env("RUST_BACKTRACE", "1"),
        )
    };
    let name = kthreadd.comm();
    for args in [
        &["--pid", "2"][..],
        &["-x", &name],
        &["-P", "2", "."],
        &["-P", "2", "--expand", "session", "."],
    ] {
        let output = dry(args);
        assert_exit(&output, 1);
        assert!(
            output.stdout.is_empty(),
            "{args:?}: {}",
            support::stdout(&output)
        );
    }
    // Their ids read 0: no target at all.
    for args in [&["--pgid", "0"][..], &["--sid", "0"]] {
        support::assert_one_line_error(&dry(args), "pgkill", 2, &format!("{args:?}"));
    }
}

// ---------------------------------------------------------------------------
// setsid-run.

/// `--signal` (`-s`) is the signal of `--timeout` and of `--cleanup`.
#[test]
fn setsid_run_signal_for_timeout_and_cleanup() {
    let Some(ns) = Namespace::start("") else {
        return;
    };
    // --timeout: the command dies of that signal; --preserve-status gives
    // it as 128+N.
    for (form, number) in [("USR1", libc::SIGUSR1), ("SIGINT", libc::SIGINT)] {
        let output = ns.run(
            SETSID_RUN,
            [
                "--timeout",
                "200ms",
                "--preserve-status",
                "-s",
                form,
                "--",
                "sleep",
                "1000",
            ],
        );
        assert_exit(&output, 128 + number);
    }
    // --cleanup: what is left in the session gets it; here a recorder
    // whose handler says which signal came.
    std::fs::write(
        ns.dir().join("stray.sh"),
        r#"trap 'echo USR1 >"$DIR/got"; exit 0' USR1
trap 'echo TERM >"$DIR/got"; exit 0' TERM
: >"$DIR/ready"
while :; do sleep 1000 & wait $!; done
"#,
    )
    .unwrap();
    let output = ns.sh(
        r#"exec "$SETSID_RUN" --cleanup --signal USR1 --print sid -- sh -c '
bash "$DIR/stray.sh" </dev/null >/dev/null 2>&1 &
while [ ! -e "$DIR/ready" ]; do sleep 0.01; done
exit 3'"#,
    );
    assert_exit(&output, 3);
    let sid: i32 = support::stdout(&output).trim().parse().unwrap();
    assert_eq!(
        std::fs::read_to_string(ns.dir().join("got")).unwrap(),
        "USR1\n"
    );
    assert_eq!(live_in_session(&ns, sid), vec![]);
}

/// SIGQUIT is forwarded like INT, TERM and HUP: every group of the
/// session gets it, and setsid-run exits 128+3.
#[test]
fn setsid_run_forwards_sigquit_to_every_group() {
    let Some(ns) = Namespace::start("") else {
        return;
    };
    // A job-control shell, so that the background setsid-run does not
    // start with SIGQUIT ignored; the command's jobs in groups of their
    // own, then the command execs a sleep (bash itself ignores QUIT). No
    // core files.
    let mut job = ns.spawn_sh(
        r#"exec bash -c 'set -m; ulimit -c 0
"$SETSID_RUN" -w --print sid -- bash -c "set -m; sleep 1001 & sleep 1002 & exec sleep 1003" >"$DIR/out" 2>"$DIR/err" &
pid=$!
echo pid=$pid
read line
kill -QUIT "$pid"
wait "$pid"
echo status=$?'"#,
    );
    job.var("pid");
    let out = ns.dir().join("out");
    wait_until("setsid-run printed the sid", || {
        std::fs::read_to_string(&out).is_ok_and(|t| t.ends_with('\n'))
    });
    let sid: i32 = std::fs::read_to_string(&out)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    wait_for_session(&ns, sid, &["sleep 1001", "sleep 1002", "sleep 1003"]);
    let groups: BTreeSet<i32> = live_in_session(&ns, sid).iter().map(|p| p.pgid).collect();
    assert_eq!(groups.len(), 3);
    job.send("go");
    assert_eq!(job.line(), format!("status={}", 128 + libc::SIGQUIT));
    let (status, stderr) = job.finish();
    assert!(status.success(), "{status}: {stderr}");
    assert_eq!(std::fs::read_to_string(ns.dir().join("err")).unwrap(), "");
    ns.wait_for("the session is empty", |_| {
        live_in_session(&ns, sid).is_empty()
    });
}

/// With `--group`, forwarded signals go to the command's group, not to
/// the rest of the caller's session; `--print json` names the group and
/// the caller's session.
#[test]
fn setsid_run_group_forwards_to_its_group_and_prints_json() {
    let Some(ns) = Namespace::start("") else {
        return;
    };
    // The caller leads a session (visible inside), with a neighbour in
    // another group of it.
    let mut job = ns.spawn_sh(
        r#"exec setsid bash -c 'set -m
sleep 1005 </dev/null >/dev/null 2>&1 &
echo neighbour=$!
echo caller=$$
"$SETSID_RUN" -g -w --print json -- sh -c "sleep 1004 & exec sleep 1006" >"$DIR/out" 2>"$DIR/err" &
pid=$!
echo pid=$pid
read line
kill -TERM "$pid"
wait "$pid"
echo status=$?'"#,
    );
    let neighbour = job.var("neighbour");
    let caller = job.var("caller");
    job.var("pid");
    let out = ns.dir().join("out");
    wait_until("setsid-run printed its JSON", || {
        std::fs::read_to_string(&out).is_ok_and(|t| t.ends_with('\n'))
    });
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 1, "{text:?}");
    let value: Value = serde_json::from_str(&text).unwrap();
    let pid = value["pid"].as_i64().unwrap() as i32;
    let keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    // pid, pgid, sid and ino (tests/identity.rs checks the inode).
    assert_eq!(keys.len(), 4, "{value}");
    assert_eq!(value["pgid"], pid, "a group of its own: {value}");
    assert_eq!(value["sid"], caller, "the caller's session: {value}");
    ns.wait_for("the group runs two sleeps", |ps| {
        let members: Vec<&Proc> = ps.iter().filter(|p| p.pgid == pid).collect();
        members.len() == 2
            && members
                .iter()
                .all(|p| p.comm == b"sleep" && p.state == 'S' && p.sid == caller)
    });
    let command = ns.stat(pid).unwrap();
    assert_eq!((command.pgid, command.sid), (pid, caller));
    job.send("go");
    assert_eq!(job.line(), format!("status={}", 128 + libc::SIGTERM));
    let (status, stderr) = job.finish();
    assert!(status.success(), "{status}: {stderr}");
    assert_eq!(std::fs::read_to_string(ns.dir().join("err")).unwrap(), "");
    ns.wait_for("the command's group is empty", |_| {
        live_in_group(&ns, pid).is_empty()
    });
    let n = ns.stat(neighbour).expect("the neighbour is alive");
    assert_eq!(n.state, 'S', "the neighbour was not signalled: {n:?}");
}

/// "--cleanup ... also ends what the job left in setsid-run's subtree,
/// whatever its session" (setsid-run(1)): setsid-run is a child subreaper,
/// so a child that made a session of its own and was orphaned comes up to
/// it, and is ended and reaped.
#[test]
fn setsid_run_cleanup_ends_a_child_with_its_own_session_too() {
    let Some(ns) = Namespace::start("") else {
        return;
    };
    let output = ns.sh(r#"exec "$SETSID_RUN" --cleanup --print sid -- sh -c '
setsid sh -c "echo \$\$ >\"\$DIR/own\"; exec sleep 1000" </dev/null >/dev/null 2>&1 &
sleep 1001 </dev/null >/dev/null 2>&1 &
while [ ! -s "$DIR/own" ]; do sleep 0.01; done
exit 5'"#);
    assert_exit(&output, 5);
    let sid: i32 = support::stdout(&output).trim().parse().unwrap();
    assert_eq!(live_in_session(&ns, sid), vec![], "the job's session");
    let own: i32 = std::fs::read_to_string(ns.dir().join("own"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // setsid-run reaped it before it exited: gone, not even a zombie.
    assert_eq!(ns.stat(own), None, "the child with its own session");
}

/// "SIGKILL to what is left after --kill-after (-k, default 5s)": a
/// command that ignores TERM is killed no sooner than 5 s after the
/// timeout, and the status is 137.
#[test]
fn setsid_run_kill_after_defaults_to_5s() {
    let Some(ns) = Namespace::start("") else {
        return;
    };
    let ready = ns.dir().join("ready");
    // The timeout must outlast the command setting its trap: a run where it
    // did not is tried again with twice the time.
    let mut timeout = Duration::from_millis(300);
    loop {
        let _ = std::fs::remove_file(&ready);
        let limit = format!("{}ms", timeout.as_millis());
        let start = Instant::now();
        let output = ns.run(
            SETSID_RUN,
            [
                "--timeout",
                &limit,
                "--",
                "sh",
                "-c",
                "trap '' TERM; : >\"$0\"; exec sleep 1000",
                ready.to_str().unwrap(),
            ],
        );
        let took = start.elapsed();
        if !ready.exists() {
            timeout *= 2;
            assert!(
                timeout < Duration::from_secs(5),
                "the command never started"
            );
            continue;
        }
        assert_exit(&output, 137);
        assert!(took >= timeout + Duration::from_secs(5), "{took:?}");
        break;
    }
    assert!(ns.processes().iter().all(|p| p.cmdline() != "sleep 1000"));
}

/// `-c` without a terminal on stdin: nothing to make the session's
/// controlling terminal; one line, exit 125, nothing started.
#[test]
fn setsid_run_ctty_without_a_terminal() {
    let Some(ns) = Namespace::start("") else {
        return;
    };
    for args in [
        &["-c", "--", "sleep", "1000"][..],
        &["-c", "-w", "--", "sleep", "1000"],
    ] {
        let output = ns.run(SETSID_RUN, args);
        let line = support::assert_one_line_error(&output, "setsid-run", 125, &format!("{args:?}"));
        assert!(line.contains("sleep"), "{line}");
        assert!(
            ns.processes().iter().all(|p| p.cmdline() != "sleep 1000"),
            "{args:?}: something was started"
        );
    }
}
