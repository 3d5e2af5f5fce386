//! End-to-end tests of pgkill and job control (issue 9): what pgkill leaves
//! behind in a session it signals. Processes that survive the signal keep
//! their job-control state (the terminal's foreground group, a job stopped
//! with Ctrl-Z, a shell that notices nothing); a pgkill killed in the middle
//! of its freeze leaves nothing frozen; a signal to a stopped process takes
//! effect as with bash's `kill`, which continues a stopped job after TERM.
//!
//! Every scenario runs in a PID namespace of its own (see `support`); the
//! terminal is a tmux pane whose server runs inside that namespace.

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{
    self, assert_exit, host_stat, pending_signals, signal_bit, signal_mask, wait_until, Namespace,
    Proc, Tmux, DEADLINE, PGKILL,
};

/// Rounds of each scenario in one test run (each in a fresh namespace), so
/// that a race shows up in one run; loop the test for more.
const ROUNDS: usize = 3;

/// Whether the kernel still counts a process as alive (a zombie has exited).
fn alive(p: &Proc) -> bool {
    !matches!(p.state, 'Z' | 'X')
}

/// The live processes of a session.
fn live_in_session(ns: &Namespace, sid: i32) -> Vec<Proc> {
    ns.processes()
        .into_iter()
        .filter(|p| p.sid == sid && alive(p))
        .collect()
}

/// `pids`, stopped catchers of USR1 in the group or session `id`
/// (`flag`): USR1 stays pending while they are stopped, STOP changes
/// nothing, CONT lets their handlers run (they exit on USR1).
fn usr1_waits_for_cont(ns: &Namespace, flag: &str, id: i32, pids: &[i32]) {
    let usr1 = signal_bit(libc::SIGUSR1);
    let output = ns.run(PGKILL, ["-USR1", flag, &id.to_string()]);
    assert_exit(&output, 0);
    for &pid in pids {
        assert_still_stopped(ns, pid, usr1, &format!("USR1 caught, {flag}"));
        assert_eq!(pending(ns, pid), usr1, "{pid}: USR1 is pending");
    }
    let output = ns.run(PGKILL, ["-STOP", flag, &id.to_string()]);
    assert_exit(&output, 0);
    for &pid in pids {
        let allowed = usr1 | signal_bit(libc::SIGSTOP);
        assert_still_stopped(ns, pid, allowed, &format!("STOP to a stopped {flag}"));
    }
    let output = ns.run(PGKILL, ["-CONT", flag, &id.to_string()]);
    assert_exit(&output, 0);
    wait_until("CONT let the USR1 handlers run", || {
        pids.iter().all(|&pid| ns.is_gone(pid))
    });
}

/// Processes in a line each, for messages: pid, group, session, state,
/// tracer, terminal's group, command line.
fn describe(ns: &Namespace, ps: &[Proc]) -> Vec<String> {
    ps.iter()
        .map(|p| {
            format!(
                "{} pgid {} sid {} {} tracer {:?} tpgid {} {:?}",
                p.pid,
                p.pgid,
                p.sid,
                p.state,
                ns.tracer(p.pid),
                p.tpgid,
                p.cmdline()
            )
        })
        .collect()
}

/// The one process of the namespace whose command line is `text`, once it
/// exists and its state is one of `states`.
fn one(ns: &Namespace, text: &str, states: &str) -> Proc {
    let mut found = Vec::new();
    ns.wait_for(&format!("one {text:?} in state {states}"), |ps| {
        found = ps.iter().filter(|p| p.cmdline() == text).cloned().collect();
        found.len() == 1 && states.contains(found[0].state)
    });
    found.remove(0)
}

/// The members of group `pgid`, once there are `count`, all in one of
/// `states`.
fn group_in(ns: &Namespace, pgid: i32, count: usize, states: &str) -> Vec<Proc> {
    let mut found = Vec::new();
    ns.wait_for(
        &format!("group {pgid} has {count} members in state {states}"),
        |ps| {
            found = ps.iter().filter(|p| p.pgid == pgid).cloned().collect();
            found.len() == count && found.iter().all(|p| states.contains(p.state))
        },
    );
    found
}

/// Rows of a pane with runs of blanks made one space (bash pads its job
/// lines with spaces to columns).
fn squeezed(rows: &[String]) -> Vec<String> {
    rows.iter()
        .map(|row| row.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// The rows of `screen` after the last row that is `line` (squeezed).
fn rows_after(screen: &[String], line: &str) -> Vec<String> {
    let rows = squeezed(screen);
    let at = rows
        .iter()
        .rposition(|row| row == line)
        .unwrap_or_else(|| panic!("the pane has no row {line:?}:\n{}", screen.join("\n")));
    rows[at + 1..].to_vec()
}

// ---------------------------------------------------------------------------
// 1. Survivors keep their job-control state.

/// The job stopped with Ctrl-Z: ignores TERM (its `sh` forks `sleep`, which
/// inherits the ignored TERM: a job of two processes).
const STOPPED_JOB: &str = r#"sh -c 'trap "" TERM; sleep 1001'"#;
/// The foreground job: ignores TERM, and reads a line from the terminal,
/// which only the foreground group can do (a background reader is stopped
/// by SIGTTIN); it also has a second process.
const FOREGROUND_JOB: &str =
    r#"sh -c 'trap "" TERM; sleep 1002 & read line; echo "got $line"; kill -9 $!'"#;

/// What test 1 requires of the namespace after pgkill: `Err` names the
/// first thing that differs.
fn job_control_as_before(
    ns: &Namespace,
    pane: i32,
    stopped_pgid: i32,
    fg_pgid: i32,
    stopped: &[Proc],
    foreground: &[Proc],
) -> Result<(), String> {
    let everything = ns.processes();
    for p in &everything {
        if ns.tracer(p.pid).unwrap_or(0) != 0 {
            return Err(format!("{} is traced", p.pid));
        }
        if p.pgid == stopped_pgid {
            if p.state != 'T' {
                return Err(format!("the Ctrl-Z'd job's {} is no longer stopped", p.pid));
            }
        } else if matches!(p.state, 'T' | 't') {
            return Err(format!("{} is stopped", p.pid));
        }
    }
    for p in stopped.iter().chain(foreground) {
        if ns.stat(p.pid).is_none_or(|p| !alive(&p)) {
            return Err(format!("{} is gone", p.pid));
        }
    }
    for p in everything.iter().filter(|p| p.sid == pane) {
        if p.tpgid != fg_pgid {
            return Err(format!(
                "the terminal's foreground group is {}, not {fg_pgid}",
                p.tpgid
            ));
        }
    }
    Ok(())
}

/// An interactive bash in a tmux pane runs a background `sleep 1000 &`
/// (dies on TERM), a job stopped with Ctrl-Z and a foreground job (both
/// ignore TERM). `pgkill --sid <the pane's session>`, from outside the
/// pane, must end the background job and leave the rest as it was:
///
/// - the foreground job is still the terminal's foreground group (TPGID of
///   the session's processes unchanged), running (S or R, never T or t),
///   and still reads from the terminal: a line typed afterwards reaches it;
/// - the Ctrl-Z'd job is still stopped (T), and bash still lists it as
///   `Stopped` (had it been continued, bash, which waits with WCONTINUED,
///   would list it as `Running`);
/// - nothing in the namespace is traced (TracerPid 0) or stopped, except
///   the Ctrl-Z'd job;
/// - bash printed nothing while pgkill ran (the pane is unchanged), and
///   afterwards only what the end of the background sleep calls for.
///
/// The states are checked once they have settled, within [`SETTLE`]: a
/// stopped process that pgkill held with ptrace runs for a moment after
/// the detach before the kernel puts it back into its stop.
///
/// What bash prints, and when (bash 5.2, without `set -b`): it reaps the
/// background sleep as soon as it dies (SIGCHLD), but reports a job's end
/// only before it shows a prompt, and it shows none while the foreground
/// job runs. So nothing may appear while pgkill runs; once the foreground
/// job has read its line and exited (status 0: bash says nothing about
/// it), bash prints `[1]   Terminated              sleep 1000` and the
/// prompt. That line is required: it is bash's own account that job 1 died
/// of TERM. A `Stopped` line for job 1 or 3 (bash saw a SIGSTOP), a
/// `Running`/`Continued` state for job 2, or a `Stopped` line for the
/// foreground job (it was stopped, so bash took the terminal back) is the
/// bug of issue 9.
#[test]
fn sid_leaves_the_survivors_job_control_state_as_it_was() {
    if !support::have_tmux() {
        return;
    }
    for round in 0..ROUNDS {
        let Some(ns) = Namespace::start(Tmux::START) else {
            return;
        };
        let pane = ns.var("pane");
        let tmux = Tmux::new(&ns);
        let prompt = |rows: &[String]| rows.last().is_some_and(|row| row == "$");
        tmux.wait_for_screen("the first prompt", prompt);

        tmux.type_line("sleep 1000 &");
        let background = one(&ns, "sleep 1000", "S");
        tmux.wait_for_screen("the background job's number and a prompt", |rows| {
            prompt(rows) && squeezed(rows).contains(&format!("[1] {}", background.pid))
        });

        tmux.type_line(STOPPED_JOB);
        let sleeper = one(&ns, "sleep 1001", "S");
        let stopped_pgid = sleeper.pgid;
        ns.wait_for("the second job is the foreground group", |ps| {
            ps.iter()
                .any(|p| p.pid == pane && p.tpgid == stopped_pgid && p.state == 'S')
        });
        tmux.keys(&["C-z"]);
        let stopped = group_in(&ns, stopped_pgid, 2, "T");
        let stopped_line = format!("[2]+ Stopped {STOPPED_JOB}");
        tmux.wait_for_screen("bash reporting job 2 stopped, and a prompt", |rows| {
            prompt(rows) && squeezed(rows).contains(&stopped_line)
        });

        tmux.type_line(FOREGROUND_JOB);
        let fg_sleep = one(&ns, "sleep 1002", "S");
        let fg_pgid = fg_sleep.pgid;
        let foreground = group_in(&ns, fg_pgid, 2, "S");
        ns.wait_for("the foreground job owns the terminal", |ps| {
            ps.iter().any(|p| p.pid == pane && p.tpgid == fg_pgid)
        });
        let command_row = format!("$ {FOREGROUND_JOB}");
        let before = tmux.wait_for_screen("the foreground job's command line last", |rows| {
            squeezed(rows).last() == Some(&command_row)
        });
        let session_before: Vec<Proc> = ns
            .processes()
            .into_iter()
            .filter(|p| p.sid == pane)
            .collect();
        assert_eq!(
            session_before.len(),
            6,
            "round {round}: bash and five job processes: {:#?}",
            describe(&ns, &session_before)
        );
        assert!(
            session_before.iter().all(|p| p.tpgid == fg_pgid),
            "round {round}: {:#?}",
            describe(&ns, &session_before)
        );

        // From outside the pane, inside the namespace.
        let output = ns.run(PGKILL, ["--sid", &pane.to_string()]);
        assert_exit(&output, 0);
        assert!(
            output.stdout.is_empty() && output.stderr.is_empty(),
            "round {round}: {}",
            support::stderr(&output)
        );
        wait_until("the background sleep is gone", || {
            ns.is_gone(background.pid)
        });

        // Once pgkill has returned, and the kernel has put the Ctrl-Z'd
        // job back into its stop (see SETTLE): nothing traced, nothing
        // stopped but that job, every process of the jobs alive, the
        // terminal's foreground group unchanged.
        let start = Instant::now();
        loop {
            match job_control_as_before(&ns, pane, stopped_pgid, fg_pgid, &stopped, &foreground) {
                Ok(()) => break,
                Err(error) if start.elapsed() > SETTLE => panic!(
                    "round {round}: after pgkill --sid {pane}: {error}\n{}\nthe pane:\n{}",
                    describe(&ns, &ns.processes()).join("\n"),
                    tmux.screen().join("\n")
                ),
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        let context = format!("round {round}: after pgkill --sid {pane}");
        let bash = ns.stat(pane).expect("bash is alive");
        assert!(matches!(bash.state, 'S' | 'R'), "{context}");
        assert_eq!(
            tmux.screen(),
            before,
            "bash printed something while pgkill ran; {context}"
        );

        // The foreground job still reads the terminal.
        tmux.type_line("hello");
        let after = tmux.wait_for_screen("the foreground job's answer and a prompt", |rows| {
            prompt(rows) && squeezed(rows).contains(&"got hello".to_string())
        });
        // Job 1's line: `[1]-` (job 2 is the current job, 1 the previous
        // one, when bash prints it), whatever the marker.
        let printed = rows_after(&after, &command_row);
        let terminated =
            ["[1] ", "[1]- ", "[1]+ "].map(|number| format!("{number}Terminated sleep 1000"));
        assert!(
            printed.len() == 4
                && printed[..2] == ["hello", "got hello"]
                && terminated.contains(&printed[2])
                && printed[3] == "$",
            "round {round}: bash printed, once the foreground job ended, {printed:?}; the pane:\n{}",
            after.join("\n")
        );
        tmux.type_line("jobs");
        let after = tmux.wait_for_screen("the job list and a prompt", |rows| {
            prompt(rows) && squeezed(rows).contains(&"$ jobs".to_string())
        });
        assert_eq!(
            rows_after(&after, "$ jobs"),
            [stopped_line.as_str(), "$"],
            "round {round}: bash's job list:\n{}",
            after.join("\n")
        );
        for p in &stopped {
            assert_eq!(ns.stat(p.pid).map(|p| p.state), Some('T'));
        }
        tmux.kill_server();
    }
}

// ---------------------------------------------------------------------------
// 3. A signal to a stopped target takes effect, as with bash's `kill`.

/// Perl helpers written into `$DIR` (perl-base is part of every Debian).
/// `sig.pl catch|ignore SIG...`: exit 0 on each signal named (catch) or
/// ignore them, then sleep. `catchers.pl N own|same`: catch USR1 (exit 0),
/// fork N children that do too, each in a group of its own (own) or in
/// this one (same), then sleep.
const PERL: &str = r#"
cat > "$DIR/sig.pl" <<'EOF'
my $how = shift;
for my $name (@ARGV) { $SIG{$name} = $how eq 'catch' ? sub { exit 0 } : 'IGNORE'; }
sleep while 1;
EOF
cat > "$DIR/catchers.pl" <<'EOF'
my ($n, $groups) = @ARGV;
$SIG{USR1} = sub { exit 0 };
for (1 .. $n) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) { setpgrp(0, 0) if $groups eq 'own'; sleep while 1; }
}
sleep while 1;
EOF
"#;

/// Whether `pid` has `signal` in the mask `key` of its status (`SigIgn:`,
/// `SigCgt:`).
fn has(ns: &Namespace, pid: i32, key: &str, signal: i32) -> bool {
    ns.status(pid)
        .is_some_and(|status| signal_mask(&status, key) & signal_bit(signal) != 0)
}

/// Sends SIGSTOP to `targets` (namespace pids; groups when negative) and
/// waits until every process of `pids` is stopped.
fn stop(ns: &Namespace, targets: &[i32], pids: &[i32]) {
    let list: Vec<String> = targets.iter().map(i32::to_string).collect();
    let output = ns.sh(&format!("kill -STOP {}", list.join(" ")));
    assert_exit(&output, 0);
    wait_until(&format!("{pids:?} are stopped"), || {
        pids.iter()
            .all(|&pid| ns.stat(pid).is_some_and(|p| p.state == 'T'))
    });
}

/// The signals pending for `pid`, thread-directed or shared, as one set.
fn pending(ns: &Namespace, pid: i32) -> u64 {
    let (thread, shared) = pending_signals(ns, pid);
    thread | shared
}

/// How long a process that pgkill held with ptrace may take, after pgkill
/// let it go, to show its state again: a stopped tracee, once detached,
/// runs for a moment before it re-enters its group stop (`T`). A process
/// that pgkill wrongly continued never goes back to `T`.
const SETTLE: Duration = Duration::from_secs(2);

/// The stat of `pid` once it is stopped (`T`), or as it is after
/// [`SETTLE`]; `None` when it is gone.
fn settled(ns: &Namespace, pid: i32) -> Option<Proc> {
    let start = Instant::now();
    loop {
        let p = ns.stat(pid)?;
        if p.state == 'T' || start.elapsed() > SETTLE {
            return Some(p);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Asserts that `pid` is alive, stopped, not traced, and has nothing
/// pending but `allowed` and SIGCHLD (a stopped parent whose children
/// ended has it pending).
#[track_caller]
fn assert_still_stopped(ns: &Namespace, pid: i32, allowed: u64, what: &str) {
    let allowed = allowed | signal_bit(libc::SIGCHLD);
    let p = settled(ns, pid).unwrap_or_else(|| panic!("{what}: {pid} is gone"));
    assert_eq!(
        p.state,
        'T',
        "{what}: {pid} ({:?}) is no longer stopped",
        p.cmdline()
    );
    assert_eq!(ns.tracer(pid), Some(0), "{what}: {pid} is traced");
    let pending = pending(ns, pid);
    assert_eq!(
        pending & !allowed,
        0,
        "{what}: {pid} has signals pending ({pending:#x}) besides {allowed:#x}"
    );
}

/// pgkill's JSON report: the outcome of `pid`.
fn outcome(output: &Output, pid: i32) -> Option<String> {
    let value: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    value["processes"]
        .as_array()
        .expect("processes is an array")
        .iter()
        .find(|row| row["pid"].as_i64() == Some(i64::from(pid)))
        .and_then(|row| row["outcome"].as_str().map(str::to_string))
}

/// `--pid` of a stopped process: after TERM, pgkill continues it when it
/// does not ignore TERM (default action: it dies; a handler: it runs, and
/// exits), so that `--wait` sees it gone (exit 0), within 3 s; one that
/// ignores TERM is not continued: it stays stopped, with nothing pending
/// but TERM (the kernel drops a signal sent to a process that ignores it,
/// unless the process is traced or blocks it), and `--wait --timeout
/// 500ms` reports it survived (exit 4). Signals that do not end the target
/// change nothing else: USR1 to a stopped process with a USR1 handler stays
/// pending and the process stopped; STOP leaves it stopped; CONT continues
/// it, and only that.
///
/// Against a pgkill that never continues: the stopped sleep keeps TERM
/// pending, and `--timeout 3s` ends with exit 4.
#[test]
fn pid_targets_that_are_stopped_get_the_signal_as_with_bash_kill() {
    let script = format!(
        "{PERL}\n\
         sleep 1000 </dev/null >/dev/null 2>&1 &\necho plain=$!\n\
         perl \"$DIR/sig.pl\" catch TERM </dev/null >/dev/null 2>&1 &\necho catcher=$!\n\
         sh -c 'trap \"\" TERM; exec sleep 1001' </dev/null >/dev/null 2>&1 &\necho ignorer=$!\n\
         perl \"$DIR/sig.pl\" catch USR1 </dev/null >/dev/null 2>&1 &\necho usr1=$!\n\
         sleep 1002 </dev/null >/dev/null 2>&1 &\necho other=$!\n"
    );
    let Some(ns) = Namespace::start(&script) else {
        return;
    };
    let names = ["plain", "catcher", "ignorer", "usr1", "other"];
    let all = names.map(|name| ns.var(name));
    let [plain, catcher, ignorer, usr1, other] = all;
    ns.wait_for("every process sleeps, its program in place", |_| {
        all.iter().all(|&pid| {
            ns.stat(pid)
                .is_some_and(|p| p.state == 'S' && (p.comm == b"sleep" || p.comm == b"perl"))
        }) && has(&ns, catcher, "SigCgt:", libc::SIGTERM)
            && has(&ns, ignorer, "SigIgn:", libc::SIGTERM)
            && has(&ns, usr1, "SigCgt:", libc::SIGUSR1)
    });
    stop(&ns, &all, &all);
    let term = signal_bit(libc::SIGTERM);

    for (pid, what) in [(plain, "TERM at its default"), (catcher, "TERM caught")] {
        let output = ns.run(PGKILL, ["--pid", &pid.to_string(), "--timeout", "3s"]);
        assert_exit(&output, 0);
        assert!(ns.is_gone(pid), "{what}: {pid} is still there");
    }

    let output = ns.run(
        PGKILL,
        [
            "--pid",
            &ignorer.to_string(),
            "--wait",
            "--timeout",
            "500ms",
            "--json",
        ],
    );
    assert_exit(&output, 4);
    assert_eq!(outcome(&output, ignorer).as_deref(), Some("survived"));
    assert_still_stopped(&ns, ignorer, term, "TERM ignored");

    let output = ns.run(PGKILL, ["-USR1", "--pid", &usr1.to_string()]);
    assert_exit(&output, 0);
    let usr1_bit = signal_bit(libc::SIGUSR1);
    assert_still_stopped(&ns, usr1, usr1_bit, "USR1 caught");
    assert_eq!(pending(&ns, usr1), usr1_bit, "USR1 is pending");

    let output = ns.run(PGKILL, ["-STOP", "--pid", &other.to_string()]);
    assert_exit(&output, 0);
    // A STOP sent to a stopped process stays pending (CONT discards it).
    let stop_bit = signal_bit(libc::SIGSTOP);
    assert_still_stopped(&ns, other, stop_bit, "STOP to a stopped process");
    let output = ns.run(PGKILL, ["-CONT", "--pid", &other.to_string()]);
    assert_exit(&output, 0);
    wait_until("CONT continued it", || {
        ns.stat(other).is_some_and(|p| p.state == 'S')
    });
    assert_eq!(pending(&ns, other), 0);

    // Nothing else was touched by any of it.
    assert_still_stopped(&ns, ignorer, term, "at the end");
    assert_still_stopped(&ns, usr1, usr1_bit, "at the end");
}

/// `--pgid` of a stopped group whose members differ: a sleep (TERM at its
/// default), a perl that catches TERM, one that ignores it, and the
/// group's leader, a shell that ignores it (so that the group keeps its
/// leader, as the session test below needs; and a leader that ignores is
/// one more member to leave alone). After TERM, pgkill continues exactly
/// the members that do not ignore it: they end; the two others stay
/// stopped, and `--wait --timeout 500ms` reports them survived (exit 4).
/// USR1 to a stopped group of USR1 catchers leaves them all stopped, USR1
/// pending; STOP leaves a stopped group stopped; CONT continues it.
#[test]
fn pgid_targets_that_are_stopped_get_the_signal_as_with_bash_kill() {
    let script = format!(
        "{PERL}\n\
         cat > \"$DIR/group.sh\" <<'EOF'\n\
         sleep 1003 &\n\
         perl \"$DIR/sig.pl\" catch TERM &\n\
         perl \"$DIR/sig.pl\" ignore TERM &\n\
         trap '' TERM\n\
         wait\n\
         EOF\n\
         setsid sh \"$DIR/group.sh\" </dev/null >/dev/null 2>&1 &\necho g=$!\n\
         setsid perl \"$DIR/catchers.pl\" 2 same </dev/null >/dev/null 2>&1 &\necho u=$!\n"
    );
    let Some(ns) = Namespace::start(&script) else {
        return;
    };
    let (g, u) = (ns.var("g"), ns.var("u"));
    let members = group_in(&ns, g, 4, "S");
    let by = |text: &str| {
        members
            .iter()
            .find(|p| p.cmdline().ends_with(text))
            .unwrap_or_else(|| panic!("no member {text:?}: {:#?}", describe(&ns, &members)))
            .pid
    };
    let (plain, catcher, ignorer) = (by("sleep 1003"), by("catch TERM"), by("ignore TERM"));
    let catchers = group_in(&ns, u, 3, "S");
    ns.wait_for("the handlers are in place", |_| {
        has(&ns, catcher, "SigCgt:", libc::SIGTERM)
            && has(&ns, ignorer, "SigIgn:", libc::SIGTERM)
            && has(&ns, g, "SigIgn:", libc::SIGTERM)
            && catchers
                .iter()
                .all(|p| has(&ns, p.pid, "SigCgt:", libc::SIGUSR1))
    });
    let pids: Vec<i32> = members.iter().map(|p| p.pid).collect();
    stop(&ns, &[-g], &pids);
    let term = signal_bit(libc::SIGTERM);

    let output = ns.run(
        PGKILL,
        [
            "--pgid",
            &g.to_string(),
            "--wait",
            "--timeout",
            "500ms",
            "--json",
        ],
    );
    assert_exit(&output, 4);
    for pid in [plain, catcher] {
        assert!(
            ns.is_gone(pid),
            "{pid} did not get TERM: {:#?}",
            describe(&ns, &ns.processes())
        );
        assert_eq!(outcome(&output, pid).as_deref(), Some("exited"));
    }
    for pid in [ignorer, g] {
        assert_still_stopped(&ns, pid, term, "TERM ignored");
        assert_eq!(outcome(&output, pid).as_deref(), Some("survived"));
    }

    let pids: Vec<i32> = catchers.iter().map(|p| p.pid).collect();
    stop(&ns, &[-u], &pids);
    usr1_waits_for_cont(&ns, "--pgid", u, &pids);
    assert_still_stopped(&ns, ignorer, term, "at the end");
}

/// `--sid` of a stopped session of several groups (bash job control): the
/// leader (bash, ignores TERM), a sleep, a perl that catches TERM, one that
/// ignores it, and a pipeline of two sleeps, every group stopped. After
/// TERM, pgkill continues exactly those that do not ignore it: they end;
/// the leader and the ignoring perl stay stopped, untraced, and `--wait
/// --timeout 500ms` reports them survived (exit 4). The leader must
/// survive for the test to be fair: a group orphaned (its parent, in
/// another group of the session, died) while it has a stopped member gets
/// SIGHUP and SIGCONT from the kernel. USR1 to a stopped session of USR1
/// catchers in three groups leaves them stopped with USR1 pending (a
/// pgkill that stops and continues the session for a signal whose default
/// action terminates would let their handlers run: they exit on USR1).
#[test]
fn sid_targets_that_are_stopped_get_the_signal_as_with_bash_kill() {
    let script = format!(
        "{PERL}\n\
         cat > \"$DIR/session.sh\" <<'EOF'\n\
         set -m\n\
         sleep 1005 &\n\
         perl \"$DIR/sig.pl\" catch TERM &\n\
         perl \"$DIR/sig.pl\" ignore TERM &\n\
         sleep 1006 | sleep 1007 &\n\
         trap '' TERM\n\
         wait\n\
         EOF\n\
         setsid bash \"$DIR/session.sh\" </dev/null >/dev/null 2>&1 &\necho s=$!\n\
         setsid perl \"$DIR/catchers.pl\" 2 own </dev/null >/dev/null 2>&1 &\necho u=$!\n"
    );
    let Some(ns) = Namespace::start(&script) else {
        return;
    };
    let (s, u) = (ns.var("s"), ns.var("u"));
    let mut members = Vec::new();
    ns.wait_for("the session is in place", |ps| {
        members = ps.iter().filter(|p| p.sid == s).cloned().collect();
        let by = |text: &str| members.iter().find(|p| p.cmdline().ends_with(text));
        members.len() == 6
            && members.iter().all(|p| p.state == 'S')
            && has(&ns, s, "SigIgn:", libc::SIGTERM)
            && by("catch TERM").is_some_and(|p| has(&ns, p.pid, "SigCgt:", libc::SIGTERM))
            && by("ignore TERM").is_some_and(|p| has(&ns, p.pid, "SigIgn:", libc::SIGTERM))
    });
    let groups: BTreeSet<i32> = members.iter().map(|p| p.pgid).collect();
    assert_eq!(groups.len(), 5, "{:#?}", describe(&ns, &members));
    let ignorer = members
        .iter()
        .find(|p| p.cmdline().ends_with("ignore TERM"))
        .unwrap()
        .pid;
    // The leader first, so that bash sees none of its jobs stop.
    let pids: Vec<i32> = members.iter().map(|p| p.pid).collect();
    stop(&ns, &[s], &[s]);
    let others: Vec<i32> = groups.iter().filter(|&&g| g != s).map(|g| -g).collect();
    stop(&ns, &others, &pids);
    let term = signal_bit(libc::SIGTERM);

    let output = ns.run(
        PGKILL,
        [
            "--sid",
            &s.to_string(),
            "--wait",
            "--timeout",
            "500ms",
            "--json",
        ],
    );
    assert_exit(&output, 4);
    let left: Vec<i32> = live_in_session(&ns, s).iter().map(|p| p.pid).collect();
    assert_eq!(
        left,
        [s, ignorer],
        "left in the session: {:#?}",
        describe(&ns, &live_in_session(&ns, s))
    );
    for pid in [s, ignorer] {
        assert_still_stopped(&ns, pid, term, "TERM ignored");
        assert_eq!(outcome(&output, pid).as_deref(), Some("survived"));
    }
    for p in members.iter().filter(|p| ![s, ignorer].contains(&p.pid)) {
        assert_eq!(outcome(&output, p.pid).as_deref(), Some("exited"));
    }

    let catchers = live_in_session(&ns, u);
    assert_eq!(catchers.len(), 3, "{:#?}", describe(&ns, &catchers));
    let pids: Vec<i32> = catchers.iter().map(|p| p.pid).collect();
    let groups: Vec<i32> = catchers.iter().map(|p| -p.pgid).collect();
    stop(&ns, &groups, &pids);
    usr1_waits_for_cont(&ns, "--sid", u, &pids);
    assert_still_stopped(&ns, ignorer, term, "at the end");
}

// ---------------------------------------------------------------------------
// 2. A pgkill killed in the middle of its freeze leaves nothing frozen.

/// A session of four groups (bash job control): the leader, a sleep, a
/// pipeline of two sleeps, and a group of 301 sleeps, so that freezing
/// the session takes pgkill long enough to be caught at it.
const BIG_SESSION: &str = r#"
cat > "$DIR/big.sh" <<'EOF'
set -m
sleep 1000 &
sleep 1000 | sleep 1000 &
(i=0; while [ $i -lt 300 ]; do sleep 1000 & i=$((i+1)); done; exec sleep 1000) &
wait
EOF
setsid bash "$DIR/big.sh" </dev/null >/dev/null 2>&1 &
echo sid=$!
"#;

/// The processes of [`BIG_SESSION`]: bash and its 304 sleeps.
const BIG_SESSION_SIZE: usize = 305;

/// How many times a round may start pgkill anew until it catches it in
/// its freeze (a pgkill that finished first tested nothing).
const ATTEMPTS: usize = 20;

/// The state letter of `/proc/<pid>/stat` at `path`; `None` when gone.
fn state_at(path: &std::path::Path) -> Option<char> {
    let stat = std::fs::read(path).ok()?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    stat[close + 1..]
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .map(|&b| b as char)
}

/// One try: pgkill --sid on a fresh [`BIG_SESSION`]; as soon as a member
/// shows a freeze (`t`, traced stop, or `T`, stopped), SIGKILL to pgkill
/// through a pidfd. `None` when namespaces are not available (skipped);
/// `Some(None)` when pgkill had finished before (nothing was tested); else
/// the namespace and the session's id.
fn kill_pgkill_in_its_freeze() -> Option<Option<(Namespace, i32)>> {
    let ns = Namespace::start(BIG_SESSION)?;
    let sid = ns.var("sid");
    let mut members = Vec::new();
    ns.wait_for("the big session is in place", |ps| {
        members = ps.iter().filter(|p| p.sid == sid).cloned().collect();
        members.len() == BIG_SESSION_SIZE && members.iter().all(|p| p.state == 'S')
    });
    // Every group's leader, and every 8th member: a freeze shows there
    // soon after it starts, whatever order pgkill takes them in.
    let proc = PathBuf::from(format!("/proc/{}/root/proc", ns.init_host_pid()));
    let sample: Vec<PathBuf> = members
        .iter()
        .enumerate()
        .filter(|(i, p)| i % 8 == 0 || p.pid == p.pgid)
        .map(|(_, p)| proc.join(p.pid.to_string()).join("stat"))
        .collect();

    let mut nsenter: Child = ns
        .command(PGKILL)
        .args(["--sid", &sid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start pgkill");
    let parent = nsenter.id() as i32;
    let start = Instant::now();
    let mut pidfd = None;
    let mut caught = false;
    while nsenter.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < DEADLINE,
            "pgkill --sid did not finish within {DEADLINE:?}"
        );
        if pidfd.is_none() {
            // nsenter's child, once it is pgkill; pinned by a pidfd, and
            // still nsenter's child after it was opened.
            pidfd = std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children"))
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|pid| pid.parse::<i32>().ok())
                .find(|&pid| host_stat(pid).is_some_and(|p| p.comm == b"pgkill"))
                .and_then(|pid| {
                    let fd = support::pidfd(pid)?;
                    (host_stat(pid)?.ppid == parent).then_some(fd)
                });
            continue;
        }
        if sample
            .iter()
            .any(|path| matches!(state_at(path), Some('t' | 'T')))
        {
            caught = true;
            break;
        }
    }
    if caught {
        let fd = pidfd.as_ref().unwrap();
        // It may have finished since: then the kill tests nothing.
        let _ = support::pidfd_signal(fd, libc::SIGKILL);
    }
    let status = nsenter.wait().unwrap();
    // nsenter passes pgkill's death by a signal on as its own.
    if status.signal() == Some(libc::SIGKILL) {
        Some(Some((ns, sid)))
    } else {
        Some(None)
    }
}

/// `pgkill --sid` on a session of four groups and 305 processes, SIGKILLed
/// (through a pidfd) as soon as a member of the session shows it frozen
/// (state `t` or `T`). A SIGKILL cannot be caught: whatever pgkill holds
/// must be let go by the kernel. Required, within 2 s: no process of the
/// namespace is stopped (`T`) or in a traced stop (`t`), none is traced
/// (TracerPid 0); what did not get the signal runs (S or R). A freeze by
/// SIGSTOP leaves the session stopped (the bug); one by ptrace
/// (PTRACE_SEIZE + PTRACE_INTERRUPT) ends with the tracer. Rounds in which
/// pgkill finished before the kill reached it test nothing and are
/// started again, [`ATTEMPTS`] times at most.
#[test]
fn sigkill_to_pgkill_in_its_freeze_leaves_nothing_frozen() {
    for round in 0..ROUNDS {
        let mut tried = 0;
        let (ns, sid) = loop {
            tried += 1;
            match kill_pgkill_in_its_freeze() {
                None => return,
                Some(Some(killed)) => break killed,
                Some(None) => assert!(
                    tried < ATTEMPTS,
                    "round {round}: pgkill finished {ATTEMPTS} times before it could be \
                     killed in its freeze; is the session too small to catch it?"
                ),
            }
        };
        let start = Instant::now();
        loop {
            let ps = ns.processes();
            let frozen: Vec<Proc> = ps
                .iter()
                .filter(|p| {
                    !matches!(p.state, 'S' | 'R' | 'Z' | 'X')
                        || ns.tracer(p.pid).is_some_and(|tracer| tracer != 0)
                })
                .cloned()
                .collect();
            if frozen.is_empty() {
                break;
            }
            assert!(
                start.elapsed() < support::DEADLINE,
                "round {round} (try {tried}): {} of {} processes of the namespace are left \
                 stopped or traced after pgkill was killed in its freeze of session {sid}; \
                 {:#?}",
                frozen.len(),
                ps.len(),
                describe(&ns, &frozen[..frozen.len().min(10)])
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// `setsid-run -g -w` at an interactive shell: the new group is made the
/// terminal's foreground group, as a shell does for a job, so the command
/// reads what is typed (from the background it would stop on SIGTTIN and
/// hang); afterwards the shell has its terminal back.
#[test]
fn a_group_that_setsid_run_waits_for_gets_the_terminal_and_gives_it_back() {
    if !support::have_tmux() {
        return;
    }
    let Some(ns) = Namespace::start(Tmux::START) else {
        return;
    };
    let pane = ns.var("pane");
    let tmux = Tmux::new(&ns);
    let prompt = |rows: &[String]| rows.last().is_some_and(|row| row == "$");
    tmux.wait_for_screen("the first prompt", prompt);
    tmux.type_line(&format!(
        "{} -g -w -- sh -c 'read x; echo \"got $x\"'; echo \"status=$?\"",
        support::SETSID_RUN
    ));
    ns.wait_for("the command reads the terminal", |ps| {
        ps.iter()
            .any(|p| p.comm == b"sh" && p.ppid != 0 && p.tpgid == p.pgid && p.pid == p.pgid)
    });
    tmux.type_line("hello");
    let rows = tmux.wait_for_screen("the answer, the status and a prompt", |rows| {
        rows.len() >= 3 && prompt(rows) && rows.iter().any(|row| row.starts_with("status="))
    });
    assert!(rows.iter().any(|row| row == "got hello"), "{rows:?}");
    assert!(rows.iter().any(|row| row == "status=0"), "{rows:?}");
    let shell = ns.stat(pane).expect("the pane's shell");
    assert_eq!(shell.tpgid, shell.pgid, "the shell has its terminal back");
    tmux.kill_server();
}

/// `setsid-run -w` at an interactive shell: Ctrl-Z stops the command (in
/// its own session) and setsid-run, so the shell shows the job stopped;
/// `fg` continues both and the command completes with its own status. So
/// with `-g`, where the command's group has the terminal and takes the
/// Ctrl-Z itself.
#[test]
fn ctrl_z_stops_the_command_and_fg_continues_it() {
    if !support::have_tmux() {
        return;
    }
    for mode in ["-w", "-g -w"] {
        let Some(ns) = Namespace::start(Tmux::START) else {
            return;
        };
        let tmux = Tmux::new(&ns);
        let prompt = |rows: &[String]| rows.last().is_some_and(|row| row == "$");
        tmux.wait_for_screen("the first prompt", prompt);
        tmux.type_line(&format!(
            "{} {mode} -- sh -c 'sleep 1.5; echo done; exit 5'",
            support::SETSID_RUN
        ));
        let sleep = one(&ns, "sleep 1.5", "S");
        tmux.keys(&["C-z"]);
        tmux.wait_for_screen("the job stopped, and a prompt", |rows| {
            prompt(rows) && rows.iter().any(|row| row.contains("Stopped"))
        });
        ns.wait_for("the command is stopped", |_| {
            ns.stat(sleep.pid).is_some_and(|p| p.state == 'T')
        });
        // Stopped, it stays so: the timeout-free command does not finish.
        std::thread::sleep(Duration::from_millis(1700));
        assert_eq!(ns.stat(sleep.pid).map(|p| p.state), Some('T'));
        tmux.type_line("fg");
        tmux.wait_for_screen("the command's end and a prompt", |rows| {
            prompt(rows) && rows.iter().any(|row| row == "done")
        });
        // fg's status is the job's.
        tmux.type_line("echo \"status=$?\"");
        let rows = tmux.wait_for_screen("the status and a prompt", |rows| {
            prompt(rows) && rows.iter().any(|row| row.starts_with("status="))
        });
        assert!(rows.iter().any(|row| row == "done"), "{mode}: {rows:?}");
        assert!(rows.iter().any(|row| row == "status=5"), "{mode}: {rows:?}");
        tmux.kill_server();
    }
}

/// `-c` takes the terminal from the caller's session for good: typed at an
/// interactive shell (setsid-run its foreground job), it is refused, one
/// line, exit 2, and the shell keeps its terminal.
#[test]
fn ctty_from_a_shells_foreground_job_is_refused() {
    if !support::have_tmux() {
        return;
    }
    let Some(ns) = Namespace::start(Tmux::START) else {
        return;
    };
    let pane = ns.var("pane");
    let tmux = Tmux::new(&ns);
    let prompt = |rows: &[String]| rows.last().is_some_and(|row| row == "$");
    tmux.wait_for_screen("the first prompt", prompt);
    tmux.type_line(&format!(
        "{} -c -w -- true; echo \"status=$?\"",
        support::SETSID_RUN
    ));
    let rows = tmux.wait_for_screen("the refusal, the status and a prompt", |rows| {
        prompt(rows) && rows.iter().any(|row| row.starts_with("status="))
    });
    assert!(
        rows.iter()
            .any(|row| row.starts_with("setsid-run: error: -c would take this terminal")),
        "{rows:?}"
    );
    assert!(rows.iter().any(|row| row == "status=2"), "{rows:?}");
    let shell = ns.stat(pane).expect("the pane's shell");
    assert_eq!(shell.tpgid, shell.pgid, "the shell keeps its terminal");
    tmux.kill_server();
}
