//! `pgkill --wait` and the processes that join a targeted group or session
//! after the signal (a child forked in a handler of the signal): they get
//! the signal too, also when the members that had it are gone by then,
//! and they are reported like any member. And a stranger that takes an
//! emptied id while pgkill still waits is never one of them. Each round
//! runs in a PID namespace of its own (see `support`).

use std::collections::BTreeSet;
use std::process::{Child, Output, Stdio};
use std::time::Instant;

use crate::pgkill::report;
use crate::support::{self, assert_exit, wait_until, Namespace, DEADLINE, PGKILL};

/// How many times each scenario is played: the late joiner races with
/// the exit of the members that had the signal.
const ROUNDS: usize = 5;

/// A group that leads its own session: a shell that traps TERM, with a
/// first `sleep 1001`. On TERM the shell starts `sleep 1002` in its group
/// (its pid in `$DIR/joiner`) and then runs `then`: `exit` (the joiner
/// outlives every process that had the signal) or `wait; exit` (the shell
/// waits for the joiner).
fn scenario(then: &str) -> String {
    format!(
        "setsid sh -c 'trap \"sleep 1002 </dev/null >/dev/null 2>&1 & echo \\$! >\\\"\\$DIR/joiner\\\"; \
         {then}\" TERM; sleep 1001 & wait' </dev/null >/dev/null 2>&1 &\necho g=$!\n"
    )
}

/// Waits until the shell waits and its first sleep sleeps.
fn settled(ns: &Namespace, g: i32) {
    ns.wait_for("the group is in place", |ps| {
        let group: Vec<_> = ps.iter().filter(|p| p.pgid == g).collect();
        group.len() == 2
            && group.iter().all(|p| p.state == 'S')
            && group.iter().any(|p| p.cmdline() == "sleep 1001")
    });
}

/// The late joiner's pid, as the trap wrote it.
fn joiner(ns: &Namespace) -> i32 {
    let text = std::fs::read_to_string(ns.dir().join("joiner")).expect("the trap ran");
    text.trim().parse().expect("a pid")
}

/// Asserts that nothing of group (or session) `g` is alive.
#[track_caller]
fn assert_emptied(ns: &Namespace, flag: &str, g: i32) {
    let left: Vec<String> = ns
        .processes()
        .into_iter()
        .filter(|p| {
            if flag == "--sid" {
                p.sid == g
            } else {
                p.pgid == g
            }
        })
        .filter(|p| p.state != 'Z')
        .map(|p| format!("{} {:?}", p.pid, p.cmdline()))
        .collect();
    assert!(left.is_empty(), "{flag} {g}: still alive: {left:?}");
}

/// Plays `then` (see [`scenario`]) for `--pgid` and `--sid`, with and
/// without a report (`--pgid` without one takes the path that lists /proc
/// only after the kill): pgkill exits 0, nothing of the target is left,
/// and the report names the joiner, exited like the others.
fn every_joiner_gets_the_signal(then: &str) {
    for flag in ["--pgid", "--sid"] {
        for json in [true, false] {
            for round in 0..ROUNDS {
                let Some(ns) = Namespace::start(&scenario(then)) else {
                    return;
                };
                let g = ns.var("g");
                settled(&ns, g);
                let id = g.to_string();
                let mut args = vec![flag, &id, "--wait"];
                if json {
                    args.push("--json");
                }
                let output = ns.run(PGKILL, &args);
                let what = format!("{args:?}, round {round}");
                assert_exit(&output, 0);
                let joiner = joiner(&ns);
                assert!(ns.is_gone(joiner), "{what}: the joiner {joiner} is alive");
                assert_emptied(&ns, flag, g);
                if json {
                    let (_, rows) = report(&output);
                    let outcomes: BTreeSet<(i32, Option<String>)> =
                        rows.iter().map(|r| (r.pid, r.outcome.clone())).collect();
                    assert!(
                        outcomes.contains(&(joiner, Some("exited".to_string()))),
                        "{what}: the report does not name the joiner {joiner} as exited: {rows:?}"
                    );
                    assert!(
                        rows.iter().all(|r| r.outcome.as_deref() == Some("exited")),
                        "{what}: {rows:?}"
                    );
                }
            }
        }
    }
}

/// Case 1: the leader starts the joiner and exits; by the time pgkill
/// looks, every process that had the signal may be gone (and reaped).
#[test]
fn a_joiner_that_outlives_every_signalled_member_gets_the_signal() {
    every_joiner_gets_the_signal("exit");
}

/// Case 2: the leader starts the joiner and waits for it: pgkill must not
/// wait for ever.
#[test]
fn a_joiner_that_a_signalled_member_waits_for_gets_the_signal() {
    every_joiner_gets_the_signal("wait; exit");
}

/// In the namespace, starts `$DIR/newcomer 1000` as the next fork with
/// `pid`, leading a session and group of its own; asserts it got it.
fn stranger_at(ns: &Namespace, pid: i32) {
    ns.start_at(pid, "\"$DIR/newcomer\" 1000", b"newcomer");
}

/// Waits for `child` (pgkill, started with piped output) to exit; its output.
fn finish(mut child: Child) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pgkill did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.wait_with_output().unwrap()
}

/// Two targets: A empties at once, B ignores TERM for a while, so pgkill
/// keeps looking for late joiners. Meanwhile a stranger takes the pid A
/// and founds a group and session A of its own: the proof that A is the
/// one targeted (its leader's pidfd, its group emptied) is gone for good,
/// so the stranger is never signalled, waited for or reported.
#[test]
fn a_stranger_that_takes_an_emptied_id_is_no_late_joiner() {
    for flag in ["--pgid", "--sid"] {
        for round in 0..ROUNDS {
            let script = r#"
cp /bin/sleep "$DIR/newcomer"
setsid sleep 1000 </dev/null >/dev/null 2>&1 &
echo a=$!
setsid sh -c 'trap "" TERM; sleep 2' </dev/null >/dev/null 2>&1 &
echo b=$!
"#;
            let Some(ns) = Namespace::start(script) else {
                return;
            };
            let (a, b) = (ns.var("a"), ns.var("b"));
            ns.wait_for("both targets run", |ps| {
                ps.iter().any(|p| p.pid == a && p.state == 'S')
                    && ps.iter().any(|p| p.sid == b && p.cmdline() == "sleep 2")
            });
            let targets = format!("{a},{b}");
            let pgkill = ns
                .command(PGKILL)
                .args([flag, &targets, "--wait", "--json"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("cannot start pgkill");
            wait_until("A is dead and reaped", || ns.stat(a).is_none());
            stranger_at(&ns, a);
            let output = finish(pgkill);
            let what = format!("{flag} round {round}");
            assert_exit(&output, 0);
            let stranger = ns.stat(a).expect("the stranger is there");
            assert_eq!(stranger.state, 'S', "{what}: the stranger {stranger:?}");
            assert_eq!(
                support::pending_signals(&ns, a),
                (0, 0),
                "{what}: the stranger has signals pending"
            );
            let (_, rows) = report(&output);
            assert!(
                rows.iter().all(|row| row.comm != "newcomer"),
                "{what}: the report names the stranger: {rows:?}"
            );
            assert!(ns.is_gone(b), "{what}: B survived");
        }
    }
}
