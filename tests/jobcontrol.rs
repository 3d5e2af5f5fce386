//! End-to-end tests of pgkill and job control (issue 9): what pgkill leaves
//! behind in a session it signals. Processes that survive the signal keep
//! their job-control state (the terminal's foreground group, a job stopped
//! with Ctrl-Z, a shell that notices nothing); a pgkill killed in the middle
//! of its freeze leaves nothing frozen; a signal to a stopped process takes
//! effect as with bash's `kill`, which continues a stopped job after TERM.
//!
//! Every scenario runs in a PID namespace of its own (see `support`); the
//! terminal is a tmux pane whose server runs inside that namespace.

use crate::support::{self, assert_exit, wait_until, Namespace, Proc, Tmux, PGKILL};

/// Rounds of each scenario in one test run (each in a fresh namespace), so
/// that a race shows up in one run; loop the test for more.
const ROUNDS: usize = 3;

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

        let everything = ns.processes();
        let context = format!(
            "round {round}: after pgkill --sid {pane}:\n{}\nthe pane:\n{}",
            describe(&ns, &everything).join("\n"),
            tmux.screen().join("\n")
        );
        for p in &everything {
            assert_eq!(
                ns.tracer(p.pid).unwrap_or(0),
                0,
                "{} is traced; {context}",
                p.pid
            );
            if p.pgid == stopped_pgid {
                assert_eq!(
                    p.state, 'T',
                    "the Ctrl-Z'd job is no longer stopped; {context}"
                );
            } else {
                assert!(
                    !matches!(p.state, 'T' | 't'),
                    "{} is stopped; {context}",
                    p.pid
                );
            }
        }
        for p in stopped.iter().chain(&foreground) {
            assert!(ns.stat(p.pid).is_some(), "{} is gone; {context}", p.pid);
        }
        for p in everything.iter().filter(|p| p.sid == pane) {
            assert_eq!(
                p.tpgid, fg_pgid,
                "the terminal's foreground group changed; {context}"
            );
        }
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
