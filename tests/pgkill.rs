//! End-to-end tests of pgkill. Every scenario runs in a PID namespace of its
//! own (see `support`), so that pgkill only ever sees, and can only ever
//! signal, processes the test started; what it did is checked against what
//! the kernel says about them afterwards (state, exit status, pending
//! signals), read by the harness, not by the code under test.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{
    self, assert_exit, host_stat, wait_until, Namespace, Proc, DEADLINE, PGKILL, PGTREE,
};

/// A session built by bash's job control: the leader, two background jobs
/// and a pipeline job, each job a process group of its own (dash does job
/// control only on a terminal; bash does it in scripts too).
const JOBS: &str =
    "setsid bash -c 'set -m; sleep 1000 & sleep 1000 & (sleep 1000 | sleep 1000) & wait' \
    </dev/null >/dev/null 2>&1 &";

/// Whether the kernel still counts a process as alive (a zombie has exited).
fn alive(p: &Proc) -> bool {
    !matches!(p.state, 'Z' | 'X')
}

/// The processes of a session, zombies included.
fn session(ns: &Namespace, sid: i32) -> Vec<Proc> {
    ns.processes()
        .into_iter()
        .filter(|p| p.sid == sid)
        .collect()
}

/// The live processes of a session.
fn live_in_session(ns: &Namespace, sid: i32) -> Vec<Proc> {
    session(ns, sid).into_iter().filter(alive).collect()
}

/// Processes in a line each, for messages: pid, group, session, state,
/// command line.
fn describe(ps: &[Proc]) -> Vec<String> {
    ps.iter()
        .map(|p| {
            format!(
                "{} pgid {} sid {} {} {:?}",
                p.pid,
                p.pgid,
                p.sid,
                p.state,
                p.cmdline()
            )
        })
        .collect()
}

fn groups(ps: &[Proc]) -> BTreeSet<i32> {
    ps.iter().map(|p| p.pgid).collect()
}

fn pids(ps: &[Proc]) -> BTreeSet<i32> {
    ps.iter().map(|p| p.pid).collect()
}

/// Waits until session `sid` (made from [`JOBS`]) has all its `sleeps`
/// sleeping and nothing still on its way there; returns its processes.
fn settled_session(ns: &Namespace, sid: i32, sleeps: usize) -> Vec<Proc> {
    ns.wait_for(&format!("session {sid} is in place"), |ps| {
        let members: Vec<&Proc> = ps.iter().filter(|p| p.sid == sid).collect();
        members
            .iter()
            .filter(|p| p.cmdline() == "sleep 1000")
            .count()
            == sleeps
            && members.iter().all(|p| p.state == 'S')
    });
    session(ns, sid)
}

/// The one process of the namespace whose command line is `text`.
fn by_args(ns: &Namespace, text: &str) -> Proc {
    let found: Vec<Proc> = ns
        .processes()
        .into_iter()
        .filter(|p| p.cmdline() == text)
        .collect();
    assert_eq!(found.len(), 1, "processes with command line {text:?}");
    found.into_iter().next().unwrap()
}

/// Waits until a process with command line `text` exists and sleeps.
fn started(ns: &Namespace, text: &str) -> Proc {
    ns.wait_for(&format!("{text:?} is running"), |ps| {
        ps.iter().any(|p| p.cmdline() == text && p.state == 'S')
    });
    by_args(ns, text)
}

/// A file of the namespace's /proc, seen from here.
fn proc_file(ns: &Namespace, pid: i32, name: &str) -> Option<String> {
    std::fs::read_to_string(format!(
        "/proc/{}/root/proc/{pid}/{name}",
        ns.init_host_pid()
    ))
    .ok()
}

/// The signals pending for a process, thread-directed and shared
/// (`SigPnd`, `ShdPnd` of /proc/<pid>/status).
fn pending_signals(ns: &Namespace, pid: i32) -> (u64, u64) {
    let status = proc_file(ns, pid, "status").unwrap_or_default();
    let mask = |key: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .map_or(0, |hex| u64::from_str_radix(hex.trim(), 16).unwrap())
    };
    (mask("SigPnd:"), mask("ShdPnd:"))
}

/// The wait status of a zombie (field 52 of /proc/<pid>/stat, `exit_code`).
fn exit_status(ns: &Namespace, pid: i32) -> Option<i32> {
    let stat = proc_file(ns, pid, "stat")?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(49)?.parse().ok()
}

/// Asserts that pgkill did nothing to `pid`: alive, not stopped, nothing
/// pending.
#[track_caller]
fn assert_untouched(ns: &Namespace, pid: i32) {
    let p = ns
        .stat(pid)
        .unwrap_or_else(|| panic!("process {pid} is gone"));
    assert!(alive(&p), "process {pid} has exited: {p:?}");
    assert_ne!(p.state, 'T', "process {pid} was left stopped");
    assert_eq!(
        pending_signals(ns, pid),
        (0, 0),
        "process {pid} has signals pending"
    );
}

/// One process of pgkill's JSON report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Row {
    pub(crate) sid: i32,
    pub(crate) pgid: i32,
    pub(crate) pid: i32,
    pub(crate) comm: String,
    pub(crate) outcome: Option<String>,
}

impl Row {
    fn of(p: &Proc, outcome: Option<&str>) -> Row {
        Row {
            sid: p.sid,
            pgid: p.pgid,
            pid: p.pid,
            comm: p.comm(),
            outcome: outcome.map(str::to_string),
        }
    }
}

/// pgkill's JSON report, and its processes.
pub(crate) fn report(output: &Output) -> (Value, Vec<Row>) {
    let value: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    let int = |row: &Value, key: &str| {
        row[key]
            .as_i64()
            .unwrap_or_else(|| panic!("{key} is not an integer in {row}")) as i32
    };
    let rows = value["processes"]
        .as_array()
        .expect("processes is an array")
        .iter()
        .map(|row| Row {
            sid: int(row, "sid"),
            pgid: int(row, "pgid"),
            pid: int(row, "pid"),
            comm: row["comm"].as_str().expect("comm is a string").to_string(),
            outcome: row.get("outcome").map(|o| o.as_str().unwrap().to_string()),
        })
        .collect();
    (value, rows)
}

/// Runs pgkill inside the namespace.
fn pgkill(ns: &Namespace, args: &[&str]) -> Output {
    ns.run(PGKILL, args)
}

/// Asserts a usage error or a refusal: exit 2, one line `pgkill: error: …`.
#[track_caller]
fn assert_one_line_error(output: &Output, what: &str) -> String {
    support::assert_one_line_error(output, "pgkill", 2, what)
}

/// A pid that nothing in the namespace has (pids are handed out in order,
/// and the scenarios start far fewer processes than this).
fn unused_pid(ns: &Namespace) -> i32 {
    let pid = ns.processes().iter().map(|p| p.pid).max().unwrap() + 5000;
    assert!(ns.stat(pid).is_none());
    pid
}

// ---------------------------------------------------------------------------
// A whole session, not just the leader's group.

#[test]
fn sid_wait_empties_a_session_of_several_groups_where_kill_leaves_survivors() {
    let Some(ns) = Namespace::start(&format!("{JOBS}\necho s1=$!\n{JOBS}\necho s2=$!")) else {
        return;
    };
    let (s1, s2) = (ns.var("s1"), ns.var("s2"));
    let first = settled_session(&ns, s1, 4);
    let second = settled_session(&ns, s2, 4);
    // The leader's group and one group per job: several groups, in both.
    assert_eq!(groups(&first).len(), 4, "{:#?}", describe(&first));
    assert_eq!(groups(&second).len(), 4, "{:#?}", describe(&second));
    assert!(groups(&first).contains(&s1));

    let output = pgkill(&ns, &["--sid", &s1.to_string(), "--wait"]);
    assert_exit(&output, 0);
    assert!(output.stdout.is_empty() && output.stderr.is_empty());
    // Once it returns, nothing of the session is alive (zombies have exited).
    assert_eq!(describe(&live_in_session(&ns, s1)), Vec::<String>::new());
    for p in &second {
        assert_untouched(&ns, p.pid);
    }

    // What kill(1) does with the same request: only the group whose id is
    // the session's id.
    let output = ns.sh(&format!("bash -c 'kill -TERM -- -{s2}'"));
    assert_exit(&output, 0);
    ns.wait_for("the leader's group is gone", |ps| {
        !ps.iter().any(|p| p.pgid == s2 && alive(p))
    });
    let survivors = live_in_session(&ns, s2);
    let expected: Vec<&Proc> = second.iter().filter(|p| p.pgid != s2).collect();
    assert_eq!(
        pids(&survivors),
        expected.iter().map(|p| p.pid).collect(),
        "every process of the other groups survives kill -- -SID"
    );
    assert_eq!(groups(&survivors).len(), 3, "{:#?}", describe(&survivors));
    for p in &survivors {
        assert_untouched(&ns, p.pid);
    }

    // pgkill finishes the job, though the session's leader is gone.
    let output = pgkill(&ns, &["--sid", &s2.to_string(), "--wait"]);
    assert_exit(&output, 0);
    assert_eq!(describe(&live_in_session(&ns, s2)), Vec::<String>::new());
}

/// A session whose processes ignore TERM (and HUP) and create new groups as
/// fast as they can: a spawner that starts background jobs in a loop (bash
/// job control gives each a group of its own) and a hopper that forks its
/// successor into a new group and exits at once, so that its group id
/// changes all the time. Both loops are bounded (1000 jobs, 100000 hops,
/// far more than a round needs), so that a pgkill that failed to end them
/// cannot use up a shared machine's pids.
const FORKING_SESSION: &str = r#"setsid bash -c '
trap "" TERM HUP
set -m
spawn() { set -m; i=0; while [ $i -lt 1000 ]; do sleep 1000 & i=$((i + 1)); done; wait; }
hop() { set -m; [ $1 -lt 100000 ] || exit 0; hop $(($1 + 1)) & exit 0; }
spawn & (hop 0) &
wait' </dev/null >/dev/null 2>&1 &
echo $!"#;

#[test]
fn sid_kill_after_empties_a_session_that_keeps_forking_new_groups() {
    let Some(ns) = Namespace::start("sleep 1000 </dev/null >/dev/null 2>&1 &\necho sentinel=$!")
    else {
        return;
    };
    let sentinel = ns.var("sentinel");
    for round in 0..10 {
        let output = ns.sh(FORKING_SESSION);
        assert_exit(&output, 0);
        let sid: i32 = support::stdout(&output).trim().parse().unwrap();
        // New groups do appear in that session, one after the other.
        let mut seen = 0;
        ns.wait_for("the session has several groups", |ps| {
            let members: Vec<Proc> = ps.iter().filter(|p| p.sid == sid).cloned().collect();
            seen = groups(&members).into_iter().max().unwrap_or(0);
            groups(&members).len() >= 4
        });
        ns.wait_for("a newer group appears in the session", |ps| {
            ps.iter().any(|p| p.sid == sid && p.pgid > seen)
        });

        let start = Instant::now();
        let output = pgkill(&ns, &["--sid", &sid.to_string(), "--kill-after", "300ms"]);
        let took = start.elapsed();
        assert_exit(&output, 0);
        let left = describe(&live_in_session(&ns, sid));
        assert!(
            left.is_empty(),
            "round {round}: alive in session {sid} after pgkill ({took:?}): {left:?}"
        );
        assert!(
            took >= Duration::from_millis(300),
            "round {round}: {took:?}"
        );
        assert_untouched(&ns, sentinel);
    }
}

// ---------------------------------------------------------------------------
// PID reuse, at the level of the binary.

/// pgkill running in the background (through nsenter), its stderr read line
/// by line as it comes.
struct Running {
    nsenter: Child,
    lines: Receiver<String>,
    stderr: Vec<String>,
    stdout: Receiver<Vec<u8>>,
}

impl Running {
    fn start(command: &mut Command) -> Running {
        let mut nsenter = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start pgkill");
        let (send, lines) = mpsc::channel();
        let stderr = nsenter.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let (send, stdout) = mpsc::channel();
        let mut pipe = nsenter.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            let _ = send.send(bytes);
        });
        Running {
            nsenter,
            lines,
            stderr: Vec::new(),
            stdout,
        }
    }

    /// Waits for a line on stderr that contains `text`.
    fn wait_for_line(&mut self, text: &str) {
        let start = Instant::now();
        while !self.stderr.iter().any(|line| line.contains(text)) {
            let rest = DEADLINE.saturating_sub(start.elapsed());
            match self.lines.recv_timeout(rest) {
                Ok(line) => self.stderr.push(line),
                Err(_) => panic!("pgkill wrote no {text:?} on stderr: {:?}", self.stderr),
            }
        }
    }

    /// pgkill itself: nsenter's one child (host pid), pinned with a pidfd
    /// that is checked to be nsenter's child after it was opened.
    fn pgkill(&self) -> (i32, OwnedFd) {
        let parent = self.nsenter.id() as i32;
        let mut found = None;
        wait_until("nsenter has started pgkill", || {
            let children =
                std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children"))
                    .unwrap_or_default();
            found = children
                .split_whitespace()
                .filter_map(|pid| pid.parse::<i32>().ok())
                .next();
            found.is_some()
        });
        let pid = found.unwrap();
        let fd = pidfd(pid).expect("pgkill is running");
        assert_eq!(host_stat(pid).map(|p| p.ppid), Some(parent));
        (pid, fd)
    }

    /// Waits until pgkill has exited; its output.
    fn finish(mut self) -> Output {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.nsenter.try_wait().unwrap() {
                break status;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "pgkill did not finish within {DEADLINE:?}; stderr so far: {:?}",
                self.stderr
            );
            std::thread::sleep(Duration::from_millis(1));
        };
        while let Ok(line) = self.lines.recv_timeout(DEADLINE) {
            self.stderr.push(line);
        }
        let stdout = self.stdout.recv_timeout(DEADLINE).unwrap_or_default();
        let mut stderr = self.stderr.join("\n").into_bytes();
        if !stderr.is_empty() {
            stderr.push(b'\n');
        }
        Output {
            status,
            stdout,
            stderr,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // nsenter is our own unreaped child: its pid can only be it. What
        // it started inside ends with the namespace.
        if self.nsenter.try_wait().ok().flatten().is_none() {
            let _ = self.nsenter.kill();
            let _ = self.nsenter.wait();
        }
    }
}

fn pidfd(pid: i32) -> Option<OwnedFd> {
    // SAFETY: a raw syscall; the fd it returns is owned below.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    // SAFETY: a fresh fd that nothing else owns.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

fn pidfd_signal(fd: &OwnedFd, signal: i32) {
    // SAFETY: a raw syscall on a pidfd we own; the NULL siginfo is allowed.
    let result = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            fd.as_raw_fd(),
            signal,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    assert_eq!(
        result,
        0,
        "pidfd_send_signal: {}",
        std::io::Error::last_os_error()
    );
}

/// In the namespace, starts `$DIR/newcomer 1000` as the next fork, with
/// `pid` handed to it through ns_last_pid; asserts it got that pid.
fn newcomer_at(ns: &Namespace, pid: i32) {
    let output = ns.sh(&format!(
        "echo {} > /proc/sys/kernel/ns_last_pid\n\
         \"$DIR/newcomer\" 1000 </dev/null >/dev/null 2>&1 &\necho $!",
        pid - 1
    ));
    assert_exit(&output, 0);
    let got: i32 = support::stdout(&output).trim().parse().unwrap();
    assert_eq!(got, pid, "ns_last_pid did not hand pid {pid} over");
    ns.wait_for("the newcomer has started", |_| {
        ns.stat(pid)
            .is_some_and(|p| p.comm == b"newcomer" && p.state == 'S')
    });
}

#[test]
fn pid_reuse_wait_ends_with_the_original_and_a_later_pid_names_the_newcomer() {
    let script = r#"
cp /bin/sleep "$DIR/original"
cp /bin/sleep "$DIR/newcomer"
sh -c 'trap "" TERM; exec "$DIR/original" 1000' </dev/null >/dev/null 2>&1 &
echo target=$!
"#;
    let Some(ns) = Namespace::start(script) else {
        return;
    };
    let target = ns.var("target");
    ns.wait_for("the original runs", |_| {
        ns.stat(target)
            .is_some_and(|p| p.comm == b"original" && p.state == 'S')
    });
    let original = ns.stat(target).unwrap();

    // (a) pgkill --pid N --wait signals the original, which ignores TERM,
    // and waits. Meanwhile (pgkill stopped, so that it cannot look) the
    // original dies and its pid goes to a newcomer.
    let n = target.to_string();
    let mut running =
        Running::start(
            ns.command(PGKILL)
                .args(["--pid", &n, "--wait", "--verbose", "--json"]),
        );
    running.wait_for_line(&format!("sent SIGTERM to {target} (original)"));
    let (pgkill_pid, pgkill_fd) = running.pgkill();
    pidfd_signal(&pgkill_fd, libc::SIGSTOP);
    wait_until("pgkill is stopped", || {
        host_stat(pgkill_pid).is_some_and(|p| p.state == 'T')
    });
    assert_exit(&ns.sh(&format!("kill -KILL {target}")), 0);
    wait_until("the original is dead and reaped", || {
        ns.stat(target).is_none()
    });
    newcomer_at(&ns, target);
    // nsenter stops itself when its child stops, and continues it when
    // continued; continue both, pgkill first (it cannot have exited while
    // stopped).
    pidfd_signal(&pgkill_fd, libc::SIGCONT);
    // SAFETY: kill(2) on our own unreaped child (nsenter).
    unsafe { libc::kill(running.nsenter.id() as i32, libc::SIGCONT) };
    let output = running.finish();
    assert_exit(&output, 0);
    let (_, rows) = report(&output);
    assert_eq!(rows, [Row::of(&original, Some("exited"))]);
    // One signal sent, to the original; nothing after (the other line
    // says how the original ended).
    let sent = support::stderr(&output);
    assert_eq!(
        sent.lines().filter(|l| l.contains(" sent ")).count(),
        1,
        "{sent}"
    );
    assert_untouched(&ns, target);
    assert_eq!(ns.stat(target).unwrap().comm, b"newcomer");

    // (b) Now the pid is the newcomer's: pgkill --pid N means it.
    let output = pgkill(&ns, &["--pid", &n, "--wait", "--json"]);
    assert_exit(&output, 0);
    let (_, rows) = report(&output);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (
            rows[0].pid,
            rows[0].comm.as_str(),
            rows[0].outcome.as_deref()
        ),
        (target, "newcomer", Some("exited"))
    );
    assert!(ns.is_gone(target));
    // And once it is gone, the pid names nothing.
    wait_until("the newcomer is reaped", || ns.stat(target).is_none());
    let output = pgkill(&ns, &["--pid", &n]);
    assert_exit(&output, 1);
}

// ---------------------------------------------------------------------------
// Permission, refusal, dry run.

#[test]
fn permission_denied_leaves_the_victims_untouched() {
    // A root session with two groups, and enough other processes that a
    // pgkill that rescanned in vain would take a while.
    let script = r#"
setsid bash -c 'set -m; sleep 1000 </dev/null >/dev/null 2>&1 & exec sleep 1000' </dev/null >/dev/null 2>&1 &
echo sid=$!
for i in $(seq 200); do sleep 1001 </dev/null >/dev/null 2>&1 & done
"#;
    let Some(ns) = Namespace::start(script) else {
        return;
    };
    let sid = ns.var("sid");
    ns.wait_for("the session is in place", |ps| {
        let members: Vec<&Proc> = ps.iter().filter(|p| p.sid == sid).collect();
        members.len() == 2 && members.iter().all(|p| p.cmdline() == "sleep 1000")
    });
    let members = session(&ns, sid);
    assert_eq!(groups(&members).len(), 2);
    assert!(members.iter().all(|p| p.uid == 0));
    let job = members.iter().find(|p| p.pgid != sid).unwrap();
    for (flag, id, expected) in [
        ("--pid", job.pid, vec![job]),
        ("--pgid", job.pgid, vec![job]),
        ("--sid", sid, members.iter().collect()),
    ] {
        let output = ns.run(
            "setpriv",
            [
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                PGKILL,
                "--json",
                flag,
                &id.to_string(),
            ],
        );
        assert_exit(&output, 3);
        let (_, rows) = report(&output);
        let mut expected: Vec<Row> = expected
            .iter()
            .map(|p| Row::of(p, Some("permission-denied")))
            .collect();
        expected.sort();
        assert_eq!(rows, expected, "pgkill {flag} {id} as nobody");
        for p in &members {
            assert_untouched(&ns, p.pid);
        }
    }
}

#[test]
fn targets_holding_pgkill_or_its_ancestors_are_refused() {
    // pgkill --pid 1 run by pid 1 (the scenario's shell): its parent.
    let script = format!(
        "\"{PGKILL}\" --pid 1 >\"$DIR/out\" 2>\"$DIR/err\"\necho pid1=$?\n\
         {JOBS}\necho victims=$!\n"
    );
    let Some(ns) = Namespace::start(&script) else {
        return;
    };
    let victims = settled_session(&ns, ns.var("victims"), 4);
    let check = |output: &Output, what: &str, why: &str| {
        let text = assert_one_line_error(output, what);
        assert!(text.contains("refusing"), "{what}: {text}");
        assert!(text.contains(why), "{what}: {text}");
        assert!(text.contains("--force"), "{what}: {text}");
    };
    let stdout = std::fs::read(ns.dir().join("out")).unwrap();
    let stderr = std::fs::read(ns.dir().join("err")).unwrap();
    let from_init = Output {
        status: std::os::unix::process::ExitStatusExt::from_raw(ns.var("pid1") << 8),
        stdout,
        stderr,
    };
    check(&from_init, "--pid 1 (from pid 1's child)", "init");
    // Entered from outside (nsenter, as `docker exec` does), pgkill does
    // not descend from pid 1, which is protected all the same.
    for args in [
        &["--pid", "1"][..],
        &["-n", "--pid", "1"],
        &["-9", "-p", "1"],
    ] {
        let output = ns.run(PGKILL, args);
        check(&output, &format!("{args:?} through nsenter"), "init");
    }
    assert!(ns.stat(1).is_some_and(|p| alive(&p) && p.state != 'T'));

    // A shell leading its own session inside the namespace, with a child;
    // pgkill run by that shell, or exec'd in its place.
    let in_own_session = |script: &str| -> (Output, i32) {
        let script = format!("sleep 1000 </dev/null >/dev/null 2>&1 & echo $!; {script}");
        let output = support::run(
            ns.command("setsid")
                .args(["sh", "-c", &script])
                .env("PGKILL", PGKILL),
        );
        // The child's pid, then (unless pgkill was exec'd) the shell's
        // "rc=N": pgkill itself wrote nothing on stdout.
        let text = support::stdout(&output);
        let lines: Vec<&str> = text.lines().collect();
        let child = lines[0].parse().unwrap();
        let code = match lines[1..] {
            [] => output.status.code().unwrap(),
            [rc] => rc.strip_prefix("rc=").unwrap().parse().unwrap(),
            _ => panic!("{script}: {text}"),
        };
        let output = Output {
            status: std::os::unix::process::ExitStatusExt::from_raw(code << 8),
            stdout: Vec::new(),
            stderr: output.stderr,
        };
        (output, child)
    };
    for (script, why) in [
        ("\"$PGKILL\" --sid self; echo rc=$?", "itself"),
        ("exec \"$PGKILL\" --sid self", "itself"),
        ("exec \"$PGKILL\" --pgid self", "itself"),
        ("\"$PGKILL\" --pgid self; echo rc=$?", "itself"),
        ("\"$PGKILL\" --sid $$; echo rc=$?", "itself"),
        ("\"$PGKILL\" --pid $$; echo rc=$?", "ancestor"),
        ("exec \"$PGKILL\" --pid $$", "itself"),
        // pgkill in a session of its own: the calling shell's session and
        // group still hold its parent.
        ("setsid \"$PGKILL\" --sid $$; echo rc=$?", "ancestor"),
        ("setsid \"$PGKILL\" --pgid $$; echo rc=$?", "ancestor"),
        // One refused target refuses the whole command.
        ("\"$PGKILL\" --pid $! --sid self; echo rc=$?", "itself"),
        ("\"$PGKILL\" -9 --pgid $$ --wait; echo rc=$?", "itself"),
    ] {
        let (output, child) = in_own_session(script);
        check(&output, script, why);
        assert_untouched(&ns, child);
    }
    // With --force the same request is carried out: the calling shell's
    // session (the shell and its child, both the test's) is signalled.
    // (That shell is not nsenter's child: nsenter stops itself when its
    // child is stopped, as pgkill's stop phase does, and would hang.)
    let output = ns.sh(
        "setsid sh -c 'sleep 1000 </dev/null >/dev/null 2>&1 & echo $!; \
         setsid \"$PGKILL\" --force --sid $$ --wait; echo rc=$?'",
    );
    let text = support::stdout(&output);
    let child: i32 = text.lines().next().unwrap().parse().unwrap();
    assert_eq!(text.lines().count(), 1, "the shell was killed: {text}");
    // Nothing from pgkill; the outer shell reports how the inner one ended.
    let errors = support::stderr(&output);
    assert!(errors.lines().all(|line| line == "Terminated"), "{errors}");
    wait_until("the shell's child has exited", || ns.is_gone(child));

    // The calling shell, by pid, from a shell outside any session of the
    // namespace.
    let output = ns.sh("\"$PGKILL\" --pid $$ 2>&1; echo rc=$?");
    let text = support::stdout(&output);
    assert!(text.ends_with("rc=2\n"), "{text}");
    assert!(
        text.contains("--force") && text.contains("ancestor"),
        "{text}"
    );
    for p in &victims {
        assert_untouched(&ns, p.pid);
    }
}

/// The rows of pgkill's dry-run table: (session, group, pid, comm), the
/// blank session and group cells (same as the row above) filled in.
fn dry_run_table(text: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    let (mut sid, mut pgid) = (0, 0);
    // Rows are the lines between vertical bars; the first is the header.
    let mut lines = text.lines().filter(|line| line.starts_with('│'));
    let cells = |line: &str| -> Vec<String> {
        let cells: Vec<String> = line
            .split(['│', '┆'])
            .map(|cell| cell.trim().to_string())
            .collect();
        assert_eq!(cells.len(), 6, "{line}");
        cells
    };
    let header = cells(lines.next().expect("a header row"));
    assert_eq!(header[1..5], ["session", "group", "pid", "comm"]);
    for line in lines {
        let cells = cells(line);
        if !cells[1].is_empty() {
            sid = cells[1].parse().unwrap();
            assert!(
                !cells[2].is_empty(),
                "a new session starts a new group: {line}"
            );
        }
        if !cells[2].is_empty() {
            pgid = cells[2].parse().unwrap();
        }
        rows.push(Row {
            sid,
            pgid,
            pid: cells[3].parse().unwrap(),
            comm: cells[4].clone(),
            outcome: None,
        });
    }
    rows
}

#[test]
fn dry_run_lists_exactly_what_the_kernel_has_and_signals_nothing() {
    let script = format!("{JOBS}\necho s1=$!\n{JOBS}\necho s2=$!\nsleep 1001 </dev/null >/dev/null 2>&1 &\necho lone=$!\n");
    let Some(ns) = Namespace::start(&script) else {
        return;
    };
    let (s1, s2, lone) = (ns.var("s1"), ns.var("s2"), ns.var("lone"));
    settled_session(&ns, s1, 4);
    settled_session(&ns, s2, 4);
    started(&ns, "sleep 1001");
    let before = ns.processes();
    let job = before
        .iter()
        .find(|p| p.sid == s2 && p.pgid != s2 && p.cmdline() == "sleep 1000")
        .unwrap()
        .clone();
    // The pipeline's group: a subshell and its two sleeps.
    let pipeline = groups(&before)
        .into_iter()
        .find(|&g| before.iter().filter(|p| p.sid == s2 && p.pgid == g).count() == 3)
        .unwrap();

    // Each case: pgkill's targets, and which processes they mean.
    type Wanted = Box<dyn Fn(&Proc) -> bool>;
    let cases: Vec<(Vec<String>, Wanted)> = vec![
        (
            vec!["--sid".into(), s1.to_string()],
            Box::new(move |p| p.sid == s1),
        ),
        (
            vec!["-g".into(), pipeline.to_string()],
            Box::new(move |p| p.pgid == pipeline),
        ),
        (
            vec!["-p".into(), lone.to_string()],
            Box::new(move |p| p.pid == lone),
        ),
        (
            vec![
                "-s".into(),
                s1.to_string(),
                "-g".into(),
                format!("{pipeline},{}", job.pgid),
                "--pid".into(),
                lone.to_string(),
                "-p".into(),
                job.pid.to_string(),
            ],
            Box::new(move |p| {
                p.sid == s1 || p.pgid == pipeline || p.pgid == job.pgid || p.pid == lone
            }),
        ),
    ];
    for (args, wanted) in &cases {
        let mut expected: Vec<Row> = before
            .iter()
            .filter(|p| wanted(p))
            .map(|p| Row::of(p, None))
            .collect();
        expected.sort();
        assert!(!expected.is_empty());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();

        let mut table_args = vec!["-n"];
        table_args.extend(&args);
        let output = pgkill(&ns, &table_args);
        assert_exit(&output, 0);
        assert!(output.stderr.is_empty(), "{}", support::stderr(&output));
        let text = support::stdout(&output);
        assert_eq!(
            text.lines().next(),
            Some(format!("would send SIGTERM to {} process(es):", expected.len()).as_str()),
            "{text}"
        );
        assert!(text.contains("session") && text.contains("group"), "{text}");
        // Rows in the order sid, pgid, pid: exactly the expected ones.
        assert_eq!(
            dry_run_table(&text),
            expected,
            "pgkill {table_args:?}:\n{text}"
        );

        let mut json_args = vec!["--json", "-n"];
        json_args.extend(&args);
        let output = pgkill(&ns, &json_args);
        assert_exit(&output, 0);
        let (value, rows) = report(&output);
        assert_eq!(value["dry_run"], Value::Bool(true));
        assert_eq!(value["signal"], "TERM");
        assert_eq!(value["unmatched"], serde_json::json!([]));
        let mut sorted = rows.clone();
        sorted.sort();
        assert_eq!(rows, sorted, "ordered by sid, pgid, pid");
        assert_eq!(rows, expected, "pgkill {json_args:?}");
    }
    // Another signal is named; a target that matches nothing is listed.
    let missing = unused_pid(&ns);
    let output = pgkill(&ns, &["-9", "-n", "-g", &s2.to_string()]);
    assert_exit(&output, 0);
    assert!(support::stdout(&output).starts_with("would send SIGKILL to 1 process(es):"));
    let output = pgkill(
        &ns,
        &[
            "-n",
            "--json",
            "-p",
            &lone.to_string(),
            "-s",
            &missing.to_string(),
        ],
    );
    assert_exit(&output, 3);
    assert_eq!(
        report(&output).0["unmatched"],
        serde_json::json!([{"sid": missing}])
    );

    // Nothing was signalled: the same processes, all still sleeping.
    let after = ns.processes();
    assert_eq!(pids(&after), pids(&before));
    for p in &before {
        assert_untouched(&ns, p.pid);
    }
}

// ---------------------------------------------------------------------------
// Signals: kill's -SIG habit, and -l.

#[test]
fn dash_signal_forms_deliver_exactly_that_signal() {
    // Victims that lead sessions of their own and whose parent never reaps
    // them: each stays a zombie, and its wait status names the signal that
    // killed it.
    let script = r#"
for n in 1 2 3 4 5 6 7; do
  sh -c "setsid sleep 100$n </dev/null >/dev/null 2>&1 & exec sleep 200$n" </dev/null >/dev/null 2>&1 &
done
"#;
    let Some(ns) = Namespace::start(script) else {
        return;
    };
    let rtmin3 = libc::SIGRTMIN() + 3;
    let cases: [(&str, &str, i32); 7] = [
        ("-9", "-g", libc::SIGKILL),
        ("-HUP", "-s", libc::SIGHUP),
        ("-KILL", "-p", libc::SIGKILL),
        ("-SIGUSR1", "--pid", libc::SIGUSR1),
        ("-RTMIN+3", "--pgid", rtmin3),
        ("-usr2", "--sid", libc::SIGUSR2),
        ("-SIGRTMIN+3", "-s", rtmin3),
    ];
    let victims: Vec<Proc> = (1..=cases.len())
        .map(|n| started(&ns, &format!("sleep 100{n}")))
        .collect();
    for v in &victims {
        assert_eq!((v.pgid, v.sid), (v.pid, v.pid), "{v:?}");
    }
    for ((form, flag, number), victim) in cases.iter().zip(&victims) {
        let output = pgkill(&ns, &[form, flag, &victim.pid.to_string(), "--json"]);
        assert_exit(&output, 0);
        let (value, rows) = report(&output);
        assert_eq!(value["number"], *number, "pgkill {form}");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].pid, victim.pid);
        ns.wait_for("the victim has died", |_| {
            ns.stat(victim.pid).is_some_and(|p| p.state == 'Z')
        });
        assert_eq!(
            exit_status(&ns, victim.pid).map(|status| status & 0x7f),
            Some(*number),
            "pgkill {form} {flag}: the signal that ended the victim"
        );
    }
    // Each run hit its own victim only: every victim died of its own signal.
    for ((form, _, number), victim) in cases.iter().zip(&victims) {
        assert_eq!(
            exit_status(&ns, victim.pid).map(|s| s & 0x7f),
            Some(*number),
            "{form}"
        );
    }
}

/// pgkill run here, outside any namespace: only for what never signals
/// (`-l`, usage errors, dry runs), and in a session of its own all the
/// same, so that even a regression to kill(0) could not reach the test
/// harness's group.
fn pgkill_here(args: &[&str]) -> Output {
    support::run(
        support::detached(PGKILL)
            .args(args)
            .env("RUST_BACKTRACE", "1"),
    )
}

/// `args` as a dry run: `-n` before any `--` (after it, `-n` would be an
/// operand) and after a leading `-SIGNAL` (kill's form is read only as the
/// first argument).
fn dry_run(args: &[String]) -> Vec<String> {
    let mut args = args.to_vec();
    let at = args
        .iter()
        .position(|arg| arg == "--")
        .unwrap_or(args.len());
    let signal_like = |arg: &str| {
        arg.strip_prefix('-').is_some_and(|rest| {
            rest.starts_with(|c: char| c.is_ascii_digit())
                || (rest.len() > 1 && rest.chars().all(|c| c.is_ascii_uppercase()))
        })
    };
    let after_signal = usize::from(args.first().is_some_and(|first| signal_like(first)));
    args.insert(at.max(after_signal).min(args.len()), "-n".to_string());
    args
}

#[test]
fn list_prints_the_table_and_translates() {
    let output = pgkill_here(&["-l"]);
    assert_exit(&output, 0);
    assert!(output.stderr.is_empty());
    let text = support::stdout(&output);
    let mut table = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let number: i32 = words.next().unwrap().parse().unwrap();
        let name = words.next().unwrap().to_string();
        let description = words.collect::<Vec<_>>().join(" ");
        assert!(!description.is_empty(), "{line}");
        table.push((number, name, description));
    }
    let numbers: Vec<i32> = table.iter().map(|t| t.0).collect();
    let mut sorted = numbers.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(numbers, sorted, "one line per signal, in number order");
    let expected: Vec<i32> = (1..=31)
        .chain(libc::SIGRTMIN()..=libc::SIGRTMAX())
        .collect();
    assert_eq!(numbers, expected);
    let number_of = |name: &str| table.iter().find(|t| t.1 == name).map(|t| t.0);
    for (name, number) in [
        ("HUP", libc::SIGHUP),
        ("INT", libc::SIGINT),
        ("QUIT", libc::SIGQUIT),
        ("KILL", libc::SIGKILL),
        ("USR1", libc::SIGUSR1),
        ("SEGV", libc::SIGSEGV),
        ("USR2", libc::SIGUSR2),
        ("PIPE", libc::SIGPIPE),
        ("TERM", libc::SIGTERM),
        ("CHLD", libc::SIGCHLD),
        ("CONT", libc::SIGCONT),
        ("STOP", libc::SIGSTOP),
        ("TSTP", libc::SIGTSTP),
        ("SYS", libc::SIGSYS),
        ("RTMIN", libc::SIGRTMIN()),
        ("RTMIN+3", libc::SIGRTMIN() + 3),
        ("RTMAX-1", libc::SIGRTMAX() - 1),
        ("RTMAX", libc::SIGRTMAX()),
    ] {
        assert_eq!(number_of(name), Some(number), "{name} in:\n{text}");
    }
    // Every line translates both ways.
    for (number, name, _) in &table {
        let output = pgkill_here(&["-l", &number.to_string()]);
        assert_exit(&output, 0);
        assert_eq!(support::stdout(&output), format!("{name}\n"));
        let output = pgkill_here(&["-l", name]);
        assert_exit(&output, 0);
        assert_eq!(support::stdout(&output), format!("{number}\n"));
    }
    for (args, out) in [
        (&["-l", "9"][..], "KILL\n"),
        (&["-l", "KILL"], "9\n"),
        (&["-l", "SIGTERM"], "15\n"),
        (&["--list", "term"], "15\n"),
        (&["-l", "137"], "KILL\n"),
        (&["-l", "143"], "TERM\n"),
        (&["--list=129"], "HUP\n"),
    ] {
        let output = pgkill_here(args);
        assert_exit(&output, 0);
        assert_eq!(support::stdout(&output), out, "pgkill {args:?}");
        assert!(output.stderr.is_empty());
    }
    for args in [
        &["-l", "0"][..],
        &["-l", "FOO"],
        &["-l", "999"],
        &["-l", ""],
        &["-l", "128"],
    ] {
        assert_one_line_error(&pgkill_here(args), &format!("{args:?}"));
    }
}

// ---------------------------------------------------------------------------
// Exit codes, --verbose.

#[test]
fn every_exit_code() {
    // Two plain sleeps, a process and a session of three groups that ignore
    // TERM. (The session's leader execs rather than waits: a job-control
    // shell's `wait` returns, and the shell ends, when its jobs are stopped,
    // as pgkill's stop phase does.)
    let script = r#"
sleep 1000 </dev/null >/dev/null 2>&1 &
echo a=$!
sleep 1000 </dev/null >/dev/null 2>&1 &
echo b=$!
sh -c 'trap "" TERM; exec sleep 1001' </dev/null >/dev/null 2>&1 &
echo stubborn=$!
setsid bash -c 'trap "" TERM; set -m; sleep 1002 & sleep 1002 & exec sleep 1003' </dev/null >/dev/null 2>&1 &
echo session=$!
"#;
    let Some(ns) = Namespace::start(script) else {
        return;
    };
    let (a, b, stubborn, sid) = (
        ns.var("a"),
        ns.var("b"),
        ns.var("stubborn"),
        ns.var("session"),
    );
    started(&ns, "sleep 1001");
    ns.wait_for("the stubborn session is in place", |ps| {
        let members: Vec<&Proc> = ps.iter().filter(|p| p.sid == sid).collect();
        members.len() == 3 && members.iter().all(|p| p.comm == b"sleep" && p.state == 'S')
    });
    let missing = unused_pid(&ns).to_string();

    // 0: the target existed and was signalled (and, waiting, is gone).
    let output = pgkill(&ns, &["--pid", &a.to_string(), "--wait"]);
    assert_exit(&output, 0);
    assert!(output.stdout.is_empty() && output.stderr.is_empty());
    assert!(ns.is_gone(a));

    // 1: no target matched a live process.
    for flag in ["--pid", "--pgid", "--sid"] {
        let output = pgkill(&ns, &[flag, &missing, "--json"]);
        assert_exit(&output, 1);
        let (value, rows) = report(&output);
        assert!(rows.is_empty());
        let kind = flag.trim_start_matches('-');
        assert_eq!(
            value["unmatched"],
            serde_json::json!([{ kind: missing.parse::<i32>().unwrap() }])
        );
        assert!(support::stderr(&output).contains(&missing));
    }
    // Nor does the pid of a process that has exited and been reaped.
    wait_until("a is reaped", || ns.stat(a).is_none());
    assert_exit(&pgkill(&ns, &["--pid", &a.to_string()]), 1);

    // 2: usage error, and a refused target.
    assert_exit(&pgkill(&ns, &["--pid", "0"]), 2);
    assert_exit(&ns.sh("exec \"$PGKILL\" --pid $$"), 2);

    // 3: some targets matched, others did not (those that did are
    // signalled all the same).
    let output = pgkill(&ns, &["--pid", &b.to_string(), "--pid", &missing, "--wait"]);
    assert_exit(&output, 3);
    assert!(ns.is_gone(b));
    assert!(support::stderr(&output).contains(&missing));
    // 3 for permission is in permission_denied_leaves_the_victims_untouched.

    // 4: waiting ended with survivors.
    for (flag, id, survivors) in [
        ("--pid", stubborn, vec![stubborn]),
        ("--sid", sid, pids(&session(&ns, sid)).into_iter().collect()),
    ] {
        let start = Instant::now();
        let output = pgkill(
            &ns,
            &[flag, &id.to_string(), "--timeout", "200ms", "--json"],
        );
        let took = start.elapsed();
        assert_exit(&output, 4);
        assert!(took >= Duration::from_millis(200), "{took:?}");
        let (_, rows) = report(&output);
        assert_eq!(rows.iter().map(|r| r.pid).collect::<Vec<_>>(), survivors);
        assert!(
            rows.iter()
                .all(|r| r.outcome.as_deref() == Some("survived")),
            "{rows:?}"
        );
        for pid in survivors {
            // Alive, and not left stopped by the session's stop phase.
            let p = ns.stat(pid).unwrap();
            assert!(alive(&p) && p.state != 'T', "{p:?}");
        }
    }
}

#[test]
fn verbose_writes_a_line_per_signalled_process_and_silence_without_it() {
    let script = format!("{JOBS}\necho s1=$!\n{JOBS}\necho s2=$!\n");
    let Some(ns) = Namespace::start(&script) else {
        return;
    };
    let (s1, s2) = (ns.var("s1"), ns.var("s2"));
    let first = settled_session(&ns, s1, 4);
    settled_session(&ns, s2, 4);

    let output = pgkill(&ns, &["-v", "--sid", &s1.to_string(), "--wait"]);
    assert_exit(&output, 0);
    assert!(output.stdout.is_empty());
    let text = support::stderr(&output);
    // A line per signal; after the wait, a line per process on how it
    // ended (tests/identity.rs).
    let mut lines: Vec<&str> = text.lines().filter(|l| l.contains(" sent ")).collect();
    assert_eq!(text.lines().count(), 2 * lines.len(), "{text}");
    lines.sort_unstable();
    let mut expected: Vec<String> = first
        .iter()
        .map(|p| {
            format!(
                "pgkill: sent SIGTERM to {} ({}) in group {}, session {}",
                p.pid,
                p.comm(),
                p.pgid,
                p.sid
            )
        })
        .collect();
    expected.sort_unstable();
    assert_eq!(lines, expected, "{text}");

    // Without it: silent, like kill.
    let output = pgkill(&ns, &["--sid", &s2.to_string(), "--wait"]);
    assert_exit(&output, 0);
    assert!(output.stdout.is_empty());
    assert!(output.stderr.is_empty(), "{}", support::stderr(&output));
    assert!(live_in_session(&ns, s2).is_empty());
}

// ---------------------------------------------------------------------------
// Bad input.

#[test]
fn bad_input_is_one_line_on_stderr_and_exit_2() {
    // Inside a namespace where it is available, so that even a pgkill that
    // took a bad argument for a target could only reach the test's own
    // processes; the targets named cannot exist anyway (beyond pid_max) or
    // are refused. Where namespaces are not possible, every case is a dry
    // run (`-n`), which signals nothing, in a session of its own: a
    // regression to kill(-1) or kill(0) there would signal nothing either.
    let ns = Namespace::start("sleep 1000 </dev/null >/dev/null 2>&1 &\necho sentinel=$!");
    let run = |args: &[String]| match &ns {
        Some(ns) => ns.run(PGKILL, args),
        None => pgkill_here(&dry_run(args).iter().map(String::as_str).collect::<Vec<_>>()),
    };
    let far = "4194305"; // above PID_MAX_LIMIT: no process can have it
    let big = "99999999999999999999";
    let mut cases = support::bad_id_cases();
    let strings = |args: &[&str]| args.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let more: &[&[&str]] = &[
        &["1234"],
        &["-p", far, "1234"],
        &["-9", "-1234"],
        &["-9", "-p", far, "-1234"],
        &["-KILL", "-1"],
        &["--", "-1"],
        &["-p", far, "--", "-1"],
        &["-1234"],
        &["-0"],
        &["--signal", "FOO", "-p", far],
        &["--signal", "SIG0", "-p", far],
        &["--signal", "65", "-p", far],
        &["--signal", "-9", "-p", far],
        &["--signal", "", "-p", far],
        &["--signal", "RTMIN+99", "-p", far],
        &["-FOO", "-p", far],
        &["-SIGFOO", "-p", far],
        &["-65", "-p", far],
        &["--timeout", "x", "-p", far],
        &["--timeout", "-1s", "-p", far],
        &["--timeout", "", "-p", far],
        &["--timeout", "5 s", "-p", far],
        &["--kill-after", "", "-p", far],
        &["-k", "soon", "-p", far],
        &["-k", "1e3", "-p", far],
        &[""],
        &[],
        &["-9"],
        &["--wait"],
        &["-n", "--json"],
        &["-l", "9", "-p", far],
        &["--bogus", "-p", far],
        &["-p", far, "extra", "more"],
    ];
    cases.extend(more.iter().map(|c| strings(c)));
    for args in &cases {
        assert_one_line_error(&run(args), &format!("{args:?}"));
    }
    // The message names what is wrong.
    for (args, needle) in [
        (&["-p", "0"][..], "'0'"),
        (&["-g", "-5"], "'-5'"),
        (&["-s", big], big),
        (&["--pid", "abc"], "'abc'"),
        (&["--pid", ""], "empty"),
        (&["1234"], "--pid, --pgid or --sid"),
        (&["-9", "-1234"], "-1234"),
        (&["--signal", "FOO", "-p", far], "FOO"),
        (&["--signal", "65", "-p", far], "65"),
        (&["--timeout", "x", "-p", far], "'x'"),
        (&[], "no target"),
    ] {
        let output = run(&strings(args));
        let stderr = support::stderr(&output);
        assert!(stderr.contains(needle), "pgkill {args:?}: {stderr}");
    }
    if let Some(ns) = &ns {
        assert_untouched(ns, ns.var("sentinel"));
    }
}

// ---------------------------------------------------------------------------
// Hardening: never the wrong process, never a session left stopped.

/// In the namespace, starts `$DIR/newcomer 1000` as the next fork with
/// `pid`, leading a session and group of its own (so that `pid` is also a
/// group id and a session id again); asserts it got that pid.
fn newcomer_leading(ns: &Namespace, pid: i32) {
    ns.start_at(pid, "\"$DIR/newcomer\" 1000", b"newcomer");
}

/// Asserts that pgkill (its `output`, with --json) ended well and neither
/// touched nor reported the stranger at `pid`.
#[track_caller]
fn assert_stranger_untouched(ns: &Namespace, pid: i32, output: Output) {
    assert_exit(&output, 0);
    assert_untouched(ns, pid);
    let (_, rows) = report(&output);
    assert!(
        rows.iter().all(|row| row.comm != "newcomer"),
        "the report names the stranger: {rows:?}"
    );
}

/// The child named `comm` of host process `parent` (host pids), once it
/// has one (strace forks probes of its own before the traced command).
fn only_child(parent: i32, comm: &str) -> i32 {
    let mut found = None;
    wait_until(&format!("{parent} has a child {comm}"), || {
        found = std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children"))
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|pid| pid.parse::<i32>().ok())
            .find(|&pid| host_stat(pid).is_some_and(|p| p.comm == comm.as_bytes()));
        found.is_some()
    });
    found.unwrap()
}

/// pgkill `args` inside `ns` under strace, its kill() calls delayed as
/// `delay` says (strace's `inject=kill:` syntax).
fn slowed(ns: &Namespace, delay: &str, args: &[&str]) -> Command {
    let mut command = ns.command("strace");
    command
        .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=kill", "-e"])
        .arg(format!("inject=kill:{delay}"))
        .arg(PGKILL)
        .args(args);
    command
}

/// Two targets: A empties at once, B ignores TERM. While pgkill waits for
/// B, a stranger takes the pid A and founds a session (and group) A of its
/// own. The escalation to SIGKILL at `-k` must not reach it: an id that
/// was empty once is never signalled by number again.
#[test]
fn escalation_never_reaches_a_stranger_that_took_an_emptied_id() {
    for flag in ["--pgid", "--sid"] {
        let script = r#"
cp /bin/sleep "$DIR/newcomer"
setsid sleep 1000 </dev/null >/dev/null 2>&1 &
echo a=$!
setsid sh -c 'trap "" TERM; exec sleep 1000' </dev/null >/dev/null 2>&1 &
echo b=$!
"#;
        let Some(ns) = Namespace::start(script) else {
            return;
        };
        let (a, b) = (ns.var("a"), ns.var("b"));
        ns.wait_for("both targets run", |_| {
            [a, b]
                .iter()
                .all(|&p| ns.stat(p).is_some_and(|p| p.state == 'S' && p.sid == p.pid))
        });
        let targets = format!("{a},{b}");
        let running = Running::start(
            ns.command(PGKILL)
                .args([flag, &targets, "--wait", "-k", "2s", "--json"]),
        );
        wait_until("A is dead and reaped", || ns.stat(a).is_none());
        newcomer_leading(&ns, a);
        assert_stranger_untouched(&ns, a, running.finish());
        assert!(ns.is_gone(b), "{flag}: B survived the escalation");
    }
}

/// One target whose last member leaves slowly: once the group is empty,
/// a stranger founds a group of the same id while pgkill looks for
/// newcomers (its probe delayed by strace to open the window). The
/// stranger is no newcomer: it is neither signalled nor waited for.
#[test]
fn the_newcomer_rescan_never_takes_a_stranger_for_a_member() {
    if !support::have_strace() {
        return;
    }
    let script = r#"
cp /bin/sleep "$DIR/newcomer"
setsid sh -c '(trap "" TERM; sleep 2) & exec sleep 1000' </dev/null >/dev/null 2>&1 &
echo a=$!
"#;
    let Some(ns) = Namespace::start(script) else {
        return;
    };
    let a = ns.var("a");
    ns.wait_for("the group is in place", |ps| {
        let group: Vec<&Proc> = ps.iter().filter(|p| p.pgid == a).collect();
        group.iter().all(|p| p.state == 'S')
            && ["sleep 2", "sleep 1000"]
                .iter()
                .all(|args| group.iter().any(|p| p.cmdline() == *args))
    });
    // Every kill() but the first (the TERM) is delayed: the probes for
    // newcomers happen late, when the stranger is there.
    let id = a.to_string();
    let running = Running::start(&mut slowed(
        &ns,
        "delay_enter=1500000:when=2+",
        &["--pgid", &id, "--wait", "--json"],
    ));
    wait_until("group A is empty and reaped", || {
        ns.processes().iter().all(|p| p.pgid != a)
    });
    newcomer_leading(&ns, a);
    assert_stranger_untouched(&ns, a, running.finish());
}

/// `--pid P`: the pidfd is opened before the process table is read, so
/// the stat that identifies the target is read from the process the fd
/// pins (a start time, with its 10 ms tick, cannot tell two processes
/// apart).
#[test]
fn a_pid_target_is_pinned_before_it_is_read() {
    if !support::have_strace() {
        return;
    }
    let script = "sleep 1000 </dev/null >/dev/null 2>&1 &\necho target=$!\n";
    let Some(ns) = Namespace::start(script) else {
        return;
    };
    let target = ns.var("target");
    let trace = ns.dir().join("trace");
    let output = ns.run(
        "strace",
        [
            "-qq",
            "-o",
            trace.to_str().unwrap(),
            "-e",
            "trace=pidfd_open,openat,open",
            PGKILL,
            "-n",
            "--pid",
            &target.to_string(),
        ],
    );
    assert_exit(&output, 0);
    let trace = std::fs::read_to_string(&trace).unwrap();
    let position = |needle: &str| {
        trace
            .find(needle)
            .unwrap_or_else(|| panic!("no {needle:?} in the trace:\n{trace}"))
    };
    let pinned = position(&format!("pidfd_open({target},"));
    let read = [format!("\"{target}/stat\""), format!("/{target}/stat\"")]
        .iter()
        .filter_map(|needle| trace.find(needle.as_str()))
        .min()
        .unwrap_or_else(|| panic!("{target}/stat is never opened:\n{trace}"));
    assert!(
        pinned < read,
        "the stat of {target} was read before its pidfd was opened:\n{trace}"
    );
}

/// A group of two owners, signalled by an unprivileged user: the kernel's
/// kill(-G) succeeds when any member got the signal; pgkill reports per
/// member what the kernel allowed, exits 3, and does not wait for what it
/// could not signal.
#[test]
fn a_group_of_mixed_owners_is_reported_per_member() {
    let script = r#"
setsid sh -c 'setpriv --reuid=65534 --regid=65534 --clear-groups sleep 1000 & exec sleep 1000' </dev/null >/dev/null 2>&1 &
echo g=$!
"#;
    let Some(ns) = Namespace::start(script) else {
        return;
    };
    let g = ns.var("g");
    ns.wait_for("both members run", |ps| {
        ps.iter()
            .filter(|p| p.pgid == g && p.cmdline() == "sleep 1000" && p.state == 'S')
            .count()
            == 2
    });
    let members: Vec<Proc> = ns.processes().into_iter().filter(|p| p.pgid == g).collect();
    let root = members.iter().find(|p| p.uid == 0).unwrap().clone();
    let nobody = members.iter().find(|p| p.uid == 65534).unwrap().clone();
    let id = g.to_string();
    for wait in [false, true] {
        // CONT changes nothing for a sleeping process; USR1 ends it.
        let mut args = vec!["--reuid=65534", "--regid=65534", "--clear-groups", PGKILL];
        // Waiting with no end in sight: a pgkill that waited for what it
        // could not signal would never end (and the harness fails it).
        if wait {
            args.extend(["-USR1", "--timeout", "1d"]);
        } else {
            args.push("-CONT");
        }
        args.extend(["--json", "--pgid", &id]);
        let output = ns.run("setpriv", &args);
        assert_exit(&output, 3);
        let (_, rows) = report(&output);
        let outcome = |pid: i32| {
            rows.iter()
                .find(|row| row.pid == pid)
                .and_then(|row| row.outcome.clone())
        };
        assert_eq!(outcome(root.pid).as_deref(), Some("permission-denied"));
        let expected = if wait { "exited" } else { "signalled" };
        assert_eq!(outcome(nobody.pid).as_deref(), Some(expected));
        assert_untouched(&ns, root.pid);
    }
    assert!(ns.is_gone(nobody.pid));
}

/// Signals pgkill does not expect, sent while it holds a session frozen
/// (held there by strace, which delays its first kill()): whatever becomes
/// of pgkill, nothing of the session is left stopped or traced.
#[test]
fn a_signal_during_the_stop_phase_leaves_nothing_stopped() {
    if !support::have_strace() {
        return;
    }
    for signal in [libc::SIGIO, libc::SIGPWR, libc::SIGRTMIN(), libc::SIGPROF] {
        let script = format!("{JOBS}\necho sid=$!\n");
        let Some(ns) = Namespace::start(&script) else {
            return;
        };
        let sid = ns.var("sid");
        settled_session(&ns, sid, 4);
        let id = sid.to_string();
        // A second after the first kill(), with the session frozen.
        let running = Running::start(&mut slowed(
            &ns,
            "delay_exit=1000000:when=1",
            &["--sid", &id],
        ));
        let strace = only_child(running.nsenter.id() as i32, "strace");
        let pgkill = only_child(strace, "pgkill");
        ns.wait_for("pgkill has frozen the session", |ps| {
            ps.iter()
                .any(|p| p.sid == sid && matches!(p.state, 'T' | 't'))
        });
        let fd = pidfd(pgkill).expect("pgkill is in its stop phase");
        assert_eq!(host_stat(pgkill).map(|p| p.ppid), Some(strace));
        pidfd_signal(&fd, signal);
        // Whatever became of pgkill (it finished, or the signal ended it,
        // so no exit status is promised), it did not panic.
        let output = running.finish();
        let stderr = support::stderr(&output);
        assert!(
            !stderr.contains("panicked"),
            "signal {signal}: {}: {stderr}",
            output.status
        );
        ns.wait_for(
            &format!("signal {signal}: the session is gone, nothing left stopped"),
            |ps| ps.iter().all(|p| p.sid != sid || !alive(p)),
        );
        assert!(ns.processes().iter().all(|p| !matches!(p.state, 'T' | 't')));
    }
}

/// Targets that match nothing are one line, with a count, however many.
#[test]
fn unmatched_targets_are_one_error_line() {
    let Some(ns) = Namespace::start("sleep 1000 </dev/null >/dev/null 2>&1 &\necho live=$!\n")
    else {
        return;
    };
    let live = ns.var("live");
    let free = unused_pid(&ns);
    let absent: Vec<String> = (free..free + 300).map(|p| p.to_string()).collect();
    let output = pgkill(&ns, &["-n", "--pid", &absent.join(",")]);
    assert_exit(&output, 1);
    let line = support::assert_one_line_error(&output, "pgkill", 1, "300 absent pids");
    assert!(
        line.contains("300") && line.contains(&free.to_string()),
        "{line}"
    );
    let output = pgkill(
        &ns,
        &[
            "-n",
            "--pid",
            &format!("{live},{free}"),
            "--sid",
            &free.to_string(),
        ],
    );
    assert_exit(&output, 3);
    let stderr = support::stderr(&output);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("pgkill: error: 2 targets") && stderr.contains(&free.to_string()),
        "{stderr}"
    );
}

/// A session hidden from the caller (/proc mounted with hidepid) is not
/// "no such session": it exists, and the caller cannot see it.
#[test]
fn a_hidden_session_is_not_called_missing() {
    let script = r#"
mount -o remount,hidepid=invisible /proc
setsid sleep 1000 </dev/null >/dev/null 2>&1 &
echo sid=$!
"#;
    let Some(ns) = Namespace::start(script) else {
        return;
    };
    let sid = ns.var("sid").to_string();
    let output = ns.run(
        "setpriv",
        [
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            PGKILL,
            "--sid",
            &sid,
        ],
    );
    let line = support::assert_one_line_error(&output, "pgkill", 1, "a hidden session");
    assert!(
        line.contains("no visible process") && line.contains(&sid),
        "{line}"
    );
    assert_untouched(&ns, ns.var("sid"));
}

/// A session with a process traced by someone else (here strace) cannot be
/// frozen with ptrace: pgkill says so with -v and stops it with SIGSTOP,
/// as before, and the session still ends, nothing left stopped.
#[test]
fn a_traced_member_makes_the_freeze_visible_and_it_still_works() {
    if !support::have_strace() {
        return;
    }
    let script = format!("{JOBS}\necho sid=$!\n");
    let Some(ns) = Namespace::start(&script) else {
        return;
    };
    let sid = ns.var("sid");
    let members = settled_session(&ns, sid, 4);
    let traced = members.iter().find(|p| p.pid != sid).unwrap().pid;
    let tracer = ns.sh(&format!(
        "strace -qq -o /dev/null -p {traced} </dev/null >/dev/null 2>&1 & echo $!"
    ));
    assert_exit(&tracer, 0);
    wait_until("strace traces the member", || {
        proc_file(&ns, traced, "status").is_some_and(|status| {
            status
                .lines()
                .any(|line| line.starts_with("TracerPid:") && line.trim_end() != "TracerPid:\t0")
        })
    });
    let output = pgkill(
        &ns,
        &["-v", "--sid", &sid.to_string(), "--wait", "-k", "2s"],
    );
    assert_exit(&output, 0);
    let stderr = support::stderr(&output);
    assert!(
        stderr.contains(&format!("cannot trace process {traced}")) && stderr.contains("SIGSTOP"),
        "{stderr}"
    );
    assert_eq!(describe(&live_in_session(&ns, sid)), Vec::<String>::new());
    assert!(ns.processes().iter().all(|p| !matches!(p.state, 'T' | 't')));
}

// ---------------------------------------------------------------------------
// Every failure says so: one line, with its count and pids.

/// The stderr of a run: exactly one line, `pgkill: error: …` (or
/// `warning`), with the exit status `code`. Returns the line.
#[track_caller]
fn one_stderr_line(output: &Output, code: i32) -> String {
    assert_exit(output, code);
    let text = support::stderr(output);
    assert_eq!(text.lines().count(), 1, "one line on stderr: {text:?}");
    assert!(text.ends_with('\n'), "{text:?}");
    text.trim_end().to_string()
}

/// pgkill `args` as user nobody, inside the namespace.
fn pgkill_as_nobody(ns: &Namespace, args: &[&str]) -> Output {
    let mut all = vec!["--reuid=65534", "--regid=65534", "--clear-groups", PGKILL];
    all.extend(args);
    ns.run("setpriv", &all)
}

#[test]
fn permission_denied_and_survivors_are_one_line_each_and_quiet_silences_them() {
    let script = r#"
setsid bash -c 'set -m; sleep 1000 </dev/null >/dev/null 2>&1 & exec sleep 1000' </dev/null >/dev/null 2>&1 &
echo sid=$!
sh -c 'trap "" TERM; exec sleep 1001' </dev/null >/dev/null 2>&1 &
echo stubborn=$!
"#;
    let Some(ns) = Namespace::start(script) else {
        return;
    };
    let (sid, stubborn) = (ns.var("sid"), ns.var("stubborn"));
    ns.wait_for("everything is in place", |ps| {
        ps.iter()
            .filter(|p| p.sid == sid && p.cmdline() == "sleep 1000" && p.state == 'S')
            .count()
            == 2
            && ps
                .iter()
                .any(|p| p.pid == stubborn && p.cmdline() == "sleep 1001" && p.state == 'S')
    });
    let members = session(&ns, sid);
    let job = members.iter().find(|p| p.pgid != sid).unwrap().pid;
    for (flag, id, denied) in [
        ("--pid", job, vec![job]),
        ("--pgid", job, vec![job]),
        ("--sid", sid, vec![sid, job]),
    ] {
        let id = id.to_string();
        let list: Vec<String> = denied.iter().map(i32::to_string).collect();
        let many = if denied.len() == 1 {
            "1 process".to_string()
        } else {
            format!("{} processes", denied.len())
        };
        let expected = format!(
            "pgkill: error: permission denied for {many}: {}",
            list.join(", ")
        );
        for json in [false, true] {
            let mut args = vec![flag, id.as_str()];
            if json {
                args.push("--json");
            }
            let output = pgkill_as_nobody(&ns, &args);
            assert_eq!(one_stderr_line(&output, 3), expected, "{args:?}");
            assert_eq!(output.stdout.is_empty(), !json);
        }
        let output = pgkill_as_nobody(&ns, &["-q", flag, &id]);
        assert_exit(&output, 3);
        assert!(output.stderr.is_empty(), "{}", support::stderr(&output));
    }
    for p in &members {
        assert_untouched(&ns, p.pid);
    }

    // Survivors of --timeout: how many, and which.
    let id = stubborn.to_string();
    let output = pgkill(&ns, &["--pid", &id, "--timeout", "200ms"]);
    assert_eq!(
        one_stderr_line(&output, 4),
        format!("pgkill: error: 1 process still alive after 200ms: {stubborn}")
    );
    let output = pgkill(
        &ns,
        &[
            "-USR2",
            "--sid",
            &sid.to_string(),
            "--timeout",
            "100ms",
            "-q",
        ],
    );
    // USR2 ends both sleeps: nothing survives, nothing said.
    assert_exit(&output, 0);
    assert!(output.stderr.is_empty());
    let output = pgkill(&ns, &["-q", "--pid", &id, "--timeout", "100ms", "--json"]);
    assert_exit(&output, 4);
    assert!(output.stderr.is_empty(), "{}", support::stderr(&output));
    let (_, rows) = report(&output);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].outcome.as_deref(), Some("survived"));
    let p = ns.stat(stubborn).unwrap();
    assert!(alive(&p) && p.state != 'T', "{p:?}");
}

#[test]
fn quiet_keeps_usage_errors_and_refusals_only() {
    let Some(ns) = Namespace::start("sleep 1000 </dev/null >/dev/null 2>&1 &\necho live=$!\n")
    else {
        return;
    };
    let live = ns.var("live");
    let missing = unused_pid(&ns).to_string();
    // Unmatched: one line, or nothing with -q; the status is the same.
    let output = pgkill(&ns, &["--pid", &missing]);
    assert_eq!(
        one_stderr_line(&output, 1),
        format!("pgkill: error: no such process {missing}")
    );
    let output = pgkill(&ns, &["-q", "--pid", &missing]);
    assert_exit(&output, 1);
    assert!(output.stderr.is_empty());
    let output = pgkill(
        &ns,
        &["-0", "--quiet", "--pid", &format!("{live},{missing}")],
    );
    assert_exit(&output, 3);
    assert!(output.stderr.is_empty());
    // Usage errors and refusals are still said.
    let output = pgkill(&ns, &["-q", "--pid", "1"]);
    assert_eq!(
        one_stderr_line(&output, 2),
        "pgkill: error: refusing to signal process 1: it is the init of this PID namespace \
         (pid 1, sh); use --force to do it anyway"
    );
    let output = pgkill(&ns, &["-q", "--timeout", "x", "--pid", &missing]);
    assert_exit(&output, 2);
    assert!(support::stderr(&output).contains("'x'"));
    let output = pgkill(&ns, &["-q", "-v", "--pid", &missing]);
    assert_exit(&output, 2);
    assert_untouched(&ns, live);
}

#[test]
fn a_number_after_double_dash_gets_the_hint_it_gets_before() {
    for (before, after) in [
        (vec!["-128"], vec!["--", "-128"]),
        (
            vec!["-p", "4194305", "-128"],
            vec!["-p", "4194305", "--", "-128"],
        ),
        (vec!["1234"], vec!["--", "1234"]),
        (vec!["-9", "-0"], vec!["--", "-0"]),
    ] {
        // Dry runs: a regression that took a number for a target here,
        // outside any namespace, must signal nothing.
        let dry = |args: &[&str]| {
            let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
            pgkill_here(
                &dry_run(&args)
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            )
        };
        let first = dry(&before);
        let second = dry(&after);
        let line = one_stderr_line(&first, 2);
        assert_eq!(one_stderr_line(&second, 2), line, "{after:?}");
        assert!(first.stdout.is_empty() && second.stdout.is_empty());
    }
    let line = one_stderr_line(&pgkill_here(&["-n", "--", "-128"]), 2);
    assert_eq!(
        line,
        "pgkill: error: '-128' is not a target: kill reads it as group 128; say --pgid 128 \
         (or --sid 128 for the whole session)"
    );
    // -0 is no group to name: it is kill's own group, or, first, signal 0.
    let line = one_stderr_line(&pgkill_here(&["-n", "--", "-0"]), 2);
    assert_eq!(
        line,
        "pgkill: error: '-0' is not a target: kill reads it as its own group; say --pgid self \
         (or --sid self for the whole session); to check a target, put -0 first: \
         pgkill -0 --pid PID"
    );
}

// ---------------------------------------------------------------------------
// Signal 0: the liveness probe.

/// Context switches of a process so far: a sleeping process that got a
/// signal, even one it ignores or a SIGSTOP, was woken for it.
fn switches(ns: &Namespace, pid: i32) -> u64 {
    let status = proc_file(ns, pid, "status").unwrap_or_default();
    status
        .lines()
        .filter(|line| line.contains("ctxt_switches:"))
        .filter_map(|line| line.split_whitespace().last()?.parse::<u64>().ok())
        .sum()
}

#[test]
fn signal_zero_checks_and_sends_nothing() {
    let script = format!(
        "{JOBS}\necho sid=$!\n\
         sh -c 'sleep 0 & exec sleep 1004' </dev/null >/dev/null 2>&1 &\necho parent=$!\n"
    );
    let Some(ns) = Namespace::start(&script) else {
        return;
    };
    let (sid, parent) = (ns.var("sid"), ns.var("parent"));
    let members = settled_session(&ns, sid, 4);
    ns.wait_for("a zombie child", |ps| {
        ps.iter().any(|p| p.ppid == parent && p.state == 'Z')
    });
    let zombie = ns
        .processes()
        .into_iter()
        .find(|p| p.ppid == parent && p.state == 'Z')
        .unwrap()
        .pid;
    let job = members.iter().find(|p| p.pgid != sid).unwrap();
    let before: Vec<u64> = members.iter().map(|p| switches(&ns, p.pid)).collect();
    let id = |n: i32| n.to_string();
    for args in [
        vec!["-0".to_string(), "--pid".into(), id(job.pid)],
        vec!["--signal".into(), "0".into(), "--pgid".into(), id(job.pgid)],
        vec!["-0".into(), "--sid".into(), id(sid)],
        vec![
            "-0".into(),
            "--sid".into(),
            id(sid),
            "--pid".into(),
            id(zombie),
        ],
        vec![
            "-0".into(),
            "-x".into(),
            "sleep".into(),
            "--sid".into(),
            id(sid),
        ],
        vec![
            "-0".into(),
            "-f".into(),
            "sleep 1000".into(),
            "--expand".into(),
            "session".into(),
        ],
    ] {
        let output = ns.run(PGKILL, &args);
        assert_exit(&output, 0);
        assert!(
            output.stdout.is_empty() && output.stderr.is_empty(),
            "{args:?}: {}",
            support::stderr(&output)
        );
    }
    // Nothing was sent: not a SIGSTOP, not a SIGCONT; no member was woken.
    for (p, before) in members.iter().zip(before) {
        assert_untouched(&ns, p.pid);
        assert_eq!(switches(&ns, p.pid), before, "{p:?} was woken");
    }

    // The JSON report: signal "0", and what may be signalled.
    let output = pgkill(&ns, &["-0", "--json", "--sid", &id(sid)]);
    assert_exit(&output, 0);
    let (value, rows) = report(&output);
    assert_eq!(value["signal"], "0");
    assert_eq!(value["number"], 0);
    let mut expected: Vec<Row> = members
        .iter()
        .map(|p| Row::of(p, Some("signalled")))
        .collect();
    expected.sort();
    assert_eq!(rows, expected);
    // A dry run says it would check.
    let output = pgkill(&ns, &["-0", "-n", "--pgid", &id(job.pgid)]);
    assert_exit(&output, 0);
    assert!(support::stdout(&output).starts_with("would check 1 process(es):"));
    // -v names each process that may be signalled.
    let output = pgkill(&ns, &["-0", "-v", "--pid", &id(job.pid)]);
    assert_eq!(
        one_stderr_line(&output, 0),
        format!(
            "pgkill: may signal {} (sleep) in group {}, session {sid}",
            job.pid, job.pgid
        )
    );

    // None exists: 1, and the usual line.
    let missing = unused_pid(&ns);
    let output = pgkill(&ns, &["-0", "--pid", &id(missing)]);
    assert_eq!(
        one_stderr_line(&output, 1),
        format!("pgkill: error: no such process {missing}")
    );
    let output = pgkill(&ns, &["-0", "-f", "no such command line anywhere"]);
    assert_eq!(
        one_stderr_line(&output, 1),
        "pgkill: error: no process matched"
    );
    // One exists, one does not: 3.
    let output = pgkill(&ns, &["-0", "--pid", &format!("{},{missing}", job.pid)]);
    assert_eq!(
        one_stderr_line(&output, 3),
        format!("pgkill: error: no such process {missing}")
    );

    // Not permitted: 3, one line; as nobody, the root session.
    let output = pgkill_as_nobody(&ns, &["-0", "--json", "--sid", &id(sid)]);
    let line = one_stderr_line(&output, 3);
    let pids: Vec<String> = members.iter().map(|p| p.pid.to_string()).collect();
    assert_eq!(pids.len(), 6, "{:#?}", describe(&members));
    assert_eq!(
        line,
        format!(
            "pgkill: error: permission denied for 6 processes: {} and 1 more",
            pids[..5].join(", ")
        )
    );
    let (_, rows) = report(&output);
    assert!(rows
        .iter()
        .all(|r| r.outcome.as_deref() == Some("permission-denied")));
    // And still nothing sent to anyone.
    for p in &members {
        assert_untouched(&ns, p.pid);
    }

    // --wait with 0: waits, sending nothing, until the target has exited.
    let mut running =
        Running::start(
            ns.command(PGKILL)
                .args(["-0", "-v", "--wait", "--pid", &id(job.pid)]),
        );
    running.wait_for_line("may signal");
    assert_untouched(&ns, job.pid);
    let output = ns.sh(&format!("kill {}", job.pid));
    assert_exit(&output, 0);
    assert_exit(&running.finish(), 0);
}

#[test]
fn signal_zero_is_0_only_and_not_listed() {
    let output = pgkill_here(&["-l"]);
    assert_exit(&output, 0);
    let table = support::stdout(&output);
    assert!(
        table
            .lines()
            .all(|line| !line.trim_start().starts_with("0 ")),
        "{table}"
    );
    assert_eq!(
        one_stderr_line(&pgkill_here(&["-l", "0"]), 2),
        "pgkill: error: 0 is no signal: pgkill -0 only checks that a target exists and may \
         be signalled"
    );
    for args in [
        &["-l", "0"][..],
        &["--signal", "SIG0", "-p", "4194305"],
        &["--signal", "00", "-p", "4194305"],
        &["-SIG0", "-p", "4194305"],
    ] {
        let output = pgkill_here(args);
        support::assert_one_line_error(&output, "pgkill", 2, &format!("{args:?}"));
    }
    // -0 and --signal 0 are accepted: the target is simply not there.
    for args in [
        &["-0", "-p", "4194305"][..],
        &["--signal", "0", "-p", "4194305"],
    ] {
        let output = pgkill_here(args);
        assert_eq!(
            one_stderr_line(&output, 1),
            "pgkill: error: no such process 4194305"
        );
    }
}

// ---------------------------------------------------------------------------
// pkill's selection.

/// Two sessions and some loose processes, for the selection tests: session
/// S (leader `sleep 1001`, a job `sleep 1002`, a pipeline job `sleep 1003 |
/// cat`), session Z (leader `sleep 1004` and its zombie child), and
/// `sleep 1005` run by nobody, in init's group.
const SELECTION: &str = r#"
setsid bash -c 'set -m; sleep 1002 & (sleep 1003 | cat) & exec sleep 1001' </dev/null >/dev/null 2>&1 &
echo s=$!
setsid sh -c 'sleep 0 & exec sleep 1004' </dev/null >/dev/null 2>&1 &
echo z=$!
setpriv --reuid=65534 --regid=65534 --clear-groups sleep 1005 </dev/null >/dev/null 2>&1 &
echo nobody=$!
"#;

/// Starts [`SELECTION`] and waits until it stands still.
fn selection_scenario() -> Option<Namespace> {
    let ns = Namespace::start(SELECTION)?;
    let (s, z) = (ns.var("s"), ns.var("z"));
    ns.wait_for("the selection scenario is in place", |ps| {
        let running = |text: &str| ps.iter().any(|p| p.cmdline() == text && p.state == 'S');
        (1001..=1005).all(|n| running(&format!("sleep {n}")))
            && ps
                .iter()
                .any(|p| p.sid == s && p.comm == b"cat" && p.state == 'S')
            && ps.iter().any(|p| p.sid == z && p.state == 'Z')
    });
    Some(ns)
}

#[test]
fn a_selection_signals_each_match_through_a_pidfd() {
    let Some(ns) = selection_scenario() else {
        return;
    };
    let s = ns.var("s");
    let (s1002, s1003) = (by_args(&ns, "sleep 1002"), by_args(&ns, "sleep 1003"));
    let others: Vec<i32> = ["sleep 1001", "sleep 1004", "sleep 1005"]
        .iter()
        .map(|text| by_args(&ns, text).pid)
        .collect();
    let output = pgkill(&ns, &["-f", "^sleep 100[23]$", "--wait", "--json"]);
    assert_exit(&output, 0);
    assert!(output.stderr.is_empty(), "{}", support::stderr(&output));
    let (_, rows) = report(&output);
    let mut expected = vec![
        Row::of(&s1002, Some("exited")),
        Row::of(&s1003, Some("exited")),
    ];
    expected.sort();
    assert_eq!(rows, expected);
    for pid in &others {
        assert_untouched(&ns, *pid);
    }
    // Typed targets restrict a selection (AND): the sleeps of session S
    // only, not those of Z or init's group. (Zombies have no command line:
    // -f matches their name, which "^sleep 10" does not.)
    let output = pgkill(
        &ns,
        &["-f", "^sleep 10", "--sid", &s.to_string(), "--wait", "-v"],
    );
    assert_exit(&output, 0);
    let text = support::stderr(&output);
    // The signal, and how the process ended.
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.starts_with(&format!("pgkill: sent SIGTERM to {} (sleep)", others[0])));
    assert!(ns.is_gone(others[0]));
    for pid in &others[1..] {
        assert_untouched(&ns, *pid);
    }
    // By user.
    let output = pgkill(&ns, &["-u", "nobody", ".", "--wait"]);
    assert_exit(&output, 0);
    assert!(ns.is_gone(others[2]));
    assert_untouched(&ns, others[1]);
}

#[test]
fn expand_signals_the_whole_group_or_session_of_each_match() {
    let Some(ns) = selection_scenario() else {
        return;
    };
    let s = ns.var("s");
    let pipeline = by_args(&ns, "sleep 1003");
    let group: Vec<Proc> = ns
        .processes()
        .into_iter()
        .filter(|p| p.pgid == pipeline.pgid)
        .collect();
    assert_eq!(group.len(), 3, "{:#?}", describe(&group));
    let output = pgkill(
        &ns,
        &[
            "-f",
            "^sleep 1003$",
            "--expand",
            "group",
            "--json",
            "--wait",
        ],
    );
    assert_exit(&output, 0);
    let (_, rows) = report(&output);
    assert_eq!(
        rows.iter().map(|r| r.pid).collect::<BTreeSet<_>>(),
        pids(&group)
    );
    assert!(group.iter().all(|p| ns.is_gone(p.pid)));
    let rest = live_in_session(&ns, s);
    assert_eq!(rest.len(), 2, "{:#?}", describe(&rest));
    for p in &rest {
        assert_untouched(&ns, p.pid);
    }
    let output = pgkill(
        &ns,
        &["-f", "^sleep 1002$", "--expand", "session", "--wait"],
    );
    assert_exit(&output, 0);
    assert!(output.stderr.is_empty());
    assert!(live_in_session(&ns, s).is_empty());
    assert_untouched(&ns, by_args(&ns, "sleep 1004").pid);
    assert_untouched(&ns, by_args(&ns, "sleep 1005").pid);
}

/// The pids of pgtree's JSON report.
/// (pgtree's documented status checked: 0 when it showed a process, 1 when
/// nothing matched.)
#[track_caller]
fn pgtree_pids(output: &Output) -> BTreeSet<i32> {
    let value: Value = serde_json::from_slice(&output.stdout).expect("pgtree's JSON");
    let pids: BTreeSet<i32> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["pid"].as_i64().unwrap() as i32)
        .collect();
    assert_exit(output, if pids.is_empty() { 1 } else { 0 });
    pids
}

#[test]
fn a_dry_run_names_exactly_what_pgtree_shows_with_the_same_options() {
    let Some(ns) = selection_scenario() else {
        return;
    };
    let (s, z) = (ns.var("s"), ns.var("z"));
    let (s1002, s1003) = (by_args(&ns, "sleep 1002"), by_args(&ns, "sleep 1003"));
    let (s, z) = (s.to_string(), z.to_string());
    let pair = format!("{},{}", s1002.pid, ns.var("nobody"));
    let g = s1003.pgid.to_string();
    let cases: Vec<Vec<&str>> = vec![
        vec!["sleep"],
        vec!["-x", "sleep", "--expand", "group"],
        vec!["-f", "sleep 100[23]", "--expand", "session"],
        vec!["-f", "^sleep 1004$", "--expand", "group"],
        vec!["--inverse", "-x", "sleep", "--sid", &s],
        vec!["-P", &z, "."],
        vec!["-u", "65534", "."],
        vec!["-t", "?", "-i", "CAT"],
        vec!["--orphaned", "-x", "sleep"],
        vec!["-p", &pair, "--expand", "session"],
        vec!["-g", &g, "."],
        vec!["-x", "sleep", "--sid", &z],
    ];
    for args in &cases {
        let tree = ns.run(PGTREE, ["--json", "-o", "pid"].iter().chain(args));
        assert_exit(&tree, 0);
        let shown = pgtree_pids(&tree);
        let dry = pgkill(&ns, &[&["-n", "--json"][..], args].concat());
        assert_exit(&dry, 0);
        let (value, rows) = report(&dry);
        assert_eq!(value["dry_run"], true);
        let named: BTreeSet<i32> = rows.iter().map(|r| r.pid).collect();
        assert_eq!(named, shown, "pgkill -n --json {args:?} against pgtree");
    }
    // pgtree's -v is --inverse.
    let long = ns.run(PGTREE, ["--json", "-o", "pid", "--inverse", "-x", "sleep"]);
    let short = ns.run(PGTREE, ["--json", "-o", "pid", "-v", "-x", "sleep"]);
    assert_eq!(pgtree_pids(&long), pgtree_pids(&short));
    // The zombie is in the dry run and in the real report alike.
    let args = ["-f", "^sleep 1004$", "--expand", "group", "--json"];
    let dry = pgkill(&ns, &[&["-n"][..], &args].concat());
    let (_, planned) = report(&dry);
    assert_eq!(planned.len(), 2, "{planned:?}");
    let real = pgkill(&ns, &args);
    assert_exit(&real, 0);
    let (_, done) = report(&real);
    assert_eq!(
        done.iter().map(|r| r.pid).collect::<Vec<_>>(),
        planned.iter().map(|r| r.pid).collect::<Vec<_>>()
    );
}

#[test]
fn a_selection_needs_a_pattern_or_a_target_and_spares_pgkill_its_ancestors_and_init() {
    let Some(ns) = selection_scenario() else {
        return;
    };
    let live = by_args(&ns, "sleep 1001").pid;
    let narrowing = "pgkill: error: no target: give a PATTERN, --pidfile, --pid, --pgid or --sid; \
                     -u, -t, -P, -r, -A, --env, --orphaned, --inverse, --newest, --oldest and \
                     --expand only narrow or grow a selection (see 'pgkill --help')";
    for args in [
        &["-u", "root"][..],
        &["-t", "?"],
        &["-P", "1"],
        &["--orphaned"],
        &["--inverse"],
        &["--expand", "group"],
        &["-q", "-u", "root", "-n"],
        &["-r", "S"],
        &["-A"],
        &["--env", "HOME"],
        &["--newest"],
        &["--oldest"],
    ] {
        let output = pgkill(&ns, args);
        assert_eq!(one_stderr_line(&output, 2), narrowing, "{args:?}");
    }
    let output = pgkill(&ns, &["-f", "-x"]);
    assert_eq!(
        one_stderr_line(&output, 2),
        "pgkill: error: no target: give a PATTERN, --pidfile, --pid, --pgid or --sid \
         (see 'pgkill --help')"
    );
    // The namespace's init is the scenario's shell.
    for args in [
        &["-f", "scenario\\.sh"][..],
        &["--inverse", "-x", "sleep"],
        &["-x", "sh"],
    ] {
        let output = pgkill(&ns, args);
        assert_eq!(
            one_stderr_line(&output, 2),
            "pgkill: error: refusing to signal process 1: it is the init of this PID \
             namespace (pid 1, sh); use --force to do it anyway",
            "{args:?}"
        );
    }
    // An ancestor: the shell that runs pgkill, whose command line matches.
    let output = ns.sh("exec sh -c '\"$PGKILL\" -f marker-of-this-shell; exit $?'");
    let line = one_stderr_line(&output, 2);
    assert!(
        line.starts_with("pgkill: error: refusing to signal process ")
            && line.contains("it is an ancestor of the caller"),
        "{line}"
    );
    // pgkill never matches itself, though its command line does.
    let output = pgkill(&ns, &["-f", "never-anywhere-else"]);
    assert_eq!(
        one_stderr_line(&output, 1),
        "pgkill: error: no process matched"
    );
    let output = pgkill(&ns, &["-q", "-f", "never-anywhere-else"]);
    assert_exit(&output, 1);
    assert!(output.stderr.is_empty());
    // Bad selections are usage errors, each one line.
    for args in [
        &["("][..],
        &["-u", "no-such-user-here", "x"],
        &["-t", "nope", "x"],
        &["-P", "0", "x"],
        &["--expand", "pid", "x"],
    ] {
        assert_one_line_error(&pgkill(&ns, args), &format!("{args:?}"));
    }
    assert_untouched(&ns, live);
}

/// pgkill `args` inside `ns` under strace, the first call of `syscall`
/// (or the `when`th) delayed by a second at its entry.
fn delayed(ns: &Namespace, syscall: &str, when: u32, args: &[&str]) -> Command {
    let mut command = ns.command("strace");
    command
        .args(["-f", "-qq", "-o", "/dev/null", "-e"])
        .arg(format!("trace={syscall}"))
        .arg("-e")
        .arg(format!("inject={syscall}:delay_enter=1000000:when={when}"))
        .arg(PGKILL)
        .args(args);
    command
}

/// Waits until host process `pid` sits at the entry of system call
/// `number` whose argument `arg` (0-based) is `value`.
fn wait_for_syscall(pid: i32, number: i64, arg: usize, value: i64) {
    wait_until(&format!("pgkill is held in system call {number}"), || {
        let line = std::fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
        let fields: Vec<&str> = line.split_whitespace().collect();
        let int = |text: &str| i64::from_str_radix(text.trim_start_matches("0x"), 16).ok();
        fields.first().and_then(|f| f.parse::<i64>().ok()) == Some(number)
            && fields.get(arg + 1).and_then(|f| int(f)) == Some(value)
    });
}

/// A process the selection matched that exits before pgkill pins it is
/// not matched: a warning when others are left, an error when none is.
#[test]
fn a_match_gone_before_it_is_pinned_is_not_matched() {
    if !support::have_strace() {
        return;
    }
    let script = "sleep 1006 </dev/null >/dev/null 2>&1 &\necho a=$!\n\
                  sleep 1006 </dev/null >/dev/null 2>&1 &\necho b=$!\n";
    for both in [true, false] {
        let Some(ns) = Namespace::start(script) else {
            return;
        };
        let (a, b) = (ns.var("a"), ns.var("b"));
        ns.wait_for("both run", |ps| {
            ps.iter()
                .filter(|p| p.cmdline() == "sleep 1006" && p.state == 'S')
                .count()
                == 2
        });
        let mut args = vec!["-f", "^sleep 1006$", "--json"];
        let only = b.to_string();
        if !both {
            args.extend(["--pid", &only]);
        }
        let running = Running::start(&mut delayed(&ns, "pidfd_open", 1, &args));
        let strace = only_child(running.nsenter.id() as i32, "strace");
        let host = only_child(strace, "pgkill");
        // pidfd_open(b) in the second case; pidfd_open(a) in the first.
        let first = if both { a } else { b };
        wait_for_syscall(host, libc::SYS_pidfd_open, 0, first.into());
        assert_exit(&ns.sh(&format!("kill -KILL {first}")), 0);
        wait_until("it is reaped", || ns.stat(first).is_none());
        let output = running.finish();
        if both {
            assert_eq!(
                one_stderr_line(&output, 0),
                format!(
                    "pgkill: warning: 1 matching process exited before it could be \
                     signalled: {a}"
                )
            );
            let (_, rows) = report(&output);
            assert_eq!(rows.iter().map(|r| r.pid).collect::<Vec<_>>(), [b]);
            assert!(ns.is_gone(b));
        } else {
            assert_eq!(
                one_stderr_line(&output, 1),
                format!(
                    "pgkill: error: no process matched any more: 1 matching process exited \
                     before it could be signalled: {b}"
                )
            );
            assert_untouched(&ns, a);
        }
    }
}

/// Every target gone between its resolution and its signal: exit 1, and
/// a line that says so.
#[test]
fn a_target_gone_before_the_signal_is_one_line() {
    if !support::have_strace() {
        return;
    }
    let script = "sleep 1000 </dev/null >/dev/null 2>&1 &\necho a=$!\n\
                  sleep 1001 </dev/null >/dev/null 2>&1 &\necho b=$!\n";
    let Some(ns) = Namespace::start(script) else {
        return;
    };
    started(&ns, "sleep 1000");
    started(&ns, "sleep 1001");
    // Once as text, once in --json, where its outcome is `vanished`.
    for (victim, json) in [("a", false), ("b", true)] {
        let a = ns.var(victim);
        let mut args = vec!["--pid".to_string(), a.to_string()];
        if json {
            args.push("--json".to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // pidfd_send_signal: first the check that the pinned process is
        // not reaped (signal 0), then the signal, held back.
        let running = Running::start(&mut delayed(&ns, "pidfd_send_signal", 2, &args));
        let strace = only_child(running.nsenter.id() as i32, "strace");
        let host = only_child(strace, "pgkill");
        wait_for_syscall(host, libc::SYS_pidfd_send_signal, 1, libc::SIGTERM.into());
        assert_exit(&ns.sh(&format!("kill -KILL {a}")), 0);
        wait_until("it is reaped", || ns.stat(a).is_none());
        let output = running.finish();
        assert_eq!(
            one_stderr_line(&output, 1),
            format!("pgkill: error: 1 process gone before the signal: {a}")
        );
        if json {
            let (value, rows) = report(&output);
            assert_eq!(value["signal"], "TERM");
            assert_eq!(rows.len(), 1, "{rows:?}");
            assert_eq!(rows[0].pid, a);
            assert_eq!(rows[0].outcome.as_deref(), Some("vanished"), "{rows:?}");
        } else {
            assert!(output.stdout.is_empty());
        }
    }
}

/// A shell that vforks all the time: a vfork parent waits, uninterruptibly,
/// for its child to exec, so a freeze that stopped the child and then waited
/// for the parent would wait for ever. pgkill --sid, again and again on
/// such a session (whose processes ignore TERM), always returns, and leaves
/// nothing traced or stopped.
#[test]
fn a_session_that_vforks_is_frozen_and_let_go_every_time() {
    let script = "setsid sh -c 'trap \"\" TERM; while :; do sleep 0.01 & sleep 0.02; done' \
                  </dev/null >/dev/null 2>&1 &\necho sid=$!\n";
    let Some(ns) = Namespace::start(script) else {
        return;
    };
    let sid = ns.var("sid").to_string();
    let leader = ns.var("sid");
    ns.wait_for("the shell leads its session", |_| {
        ns.stat(leader)
            .is_some_and(|p| p.sid == leader && p.comm == b"sh")
    });
    for round in 0..200 {
        let output = pgkill(&ns, &["--sid", &sid]);
        assert_exit(&output, 0);
        let held: Vec<String> = ns
            .processes()
            .iter()
            .filter(|p| {
                p.state == 't'
                    || proc_file(&ns, p.pid, "status").is_some_and(|status| {
                        status
                            .lines()
                            .any(|l| l.starts_with("TracerPid:") && l.trim_end() != "TracerPid:\t0")
                    })
            })
            .map(|p| format!("{} {} {:?}", p.pid, p.state, p.cmdline()))
            .collect();
        assert_eq!(held, Vec::<String>::new(), "round {round}: left traced");
    }
    assert!(
        ns.stat(ns.var("sid")).is_some_and(|p| alive(&p)),
        "the shell ignores TERM"
    );
}

/// A session whose `perl` vforks a child that leaves the session
/// (setsid) and never execs: the vfork parent waits in the kernel,
/// uninterruptibly, where no ptrace freeze reaches it. Its pid, and its
/// child's, once both are there.
fn vfork_held_by_an_outsider(ns: &Namespace) -> Option<(i32, i32, i32)> {
    let perl = support::vfork_held_by_an_outsider()?;
    let output = ns.sh(&format!(
        "setsid sh -c '{perl} & sleep 1000 & wait' </dev/null >/dev/null 2>&1 &\necho $!"
    ));
    assert_exit(&output, 0);
    let sid: i32 = support::stdout(&output).trim().parse().unwrap();
    let (parent, child) = support::vfork_pair(ns, sid);
    ns.wait_for("the session's sleep", |ps| {
        ps.iter().any(|p| p.sid == sid && p.comm == b"sleep")
    });
    Some((sid, parent, child))
}

/// A vfork parent that its child, gone to a session of its own, holds in
/// the kernel never reaches its freeze: pgkill lets it go late rather than
/// wait for it (it used to wait for ever, its signals blocked, and only
/// SIGKILL ended it). Once pgkill has returned, nothing traces the parent,
/// and it takes its TERM as soon as its child goes. With --wait, pgkill
/// lets it go as soon as it stops, and returns once it has exited.
#[test]
fn a_vfork_parent_held_outside_the_session_does_not_hold_pgkill() {
    let Some(ns) = Namespace::start("") else {
        return;
    };
    let Some((sid, parent, child)) = vfork_held_by_an_outsider(&ns) else {
        return;
    };
    let output = pgkill(&ns, &["--sid", &sid.to_string()]);
    assert_exit(&output, 0);
    assert_eq!(
        support::tracer_of(&ns, parent).as_deref(),
        Some("0"),
        "traced still"
    );
    // The test's own process, in its own namespace.
    assert_exit(&ns.sh(&format!("kill -KILL {child}")), 0);
    ns.wait_for("the parent took its TERM", |_| ns.is_gone(parent));

    // The same, waiting: the child goes while pgkill waits.
    let Some((sid, parent, child)) = vfork_held_by_an_outsider(&ns) else {
        return;
    };
    let background = ns.spawn_sh(&format!(
        "\"$PGKILL\" --sid {sid} --wait & echo pgkill=$!; wait $!; echo status=$?"
    ));
    let waiter = background.var("pgkill");
    ns.wait_for("pgkill waits, the parent still traced", |_| {
        proc_file(&ns, waiter, "wchan").as_deref() == Some("do_epoll_wait")
            && support::tracer_of(&ns, parent).is_some_and(|t| t != "0")
    });
    assert_exit(&ns.sh(&format!("kill -KILL {child}")), 0);
    assert_eq!(background.line(), "status=0");
    assert!(ns.is_gone(parent), "the parent survived pgkill --wait");
    let _ = background.finish();
}

/// pkill's selection options reach pgkill through the same code as
/// pgtree's: `-F` signals only the process a live pid file names,
/// `--newest`/`--oldest` one of the matches, `-r` only processes in a
/// state; what is not selected is untouched.
#[test]
fn pkill_selection_options_pick_the_victims() {
    let Some(ns) = Namespace::start(
        r#"
sleep 2001 &
echo first=$!
sleep 2002 &
echo second=$!
sleep 2003 &
echo named=$!
echo $! > "$DIR/pid"
sh -c 'kill -STOP $$; exec sleep 2004' &
echo stopped=$!
"#,
    ) else {
        return;
    };
    let [first, second, named, stopped] =
        ["first", "second", "named", "stopped"].map(|n| ns.var(n));
    ns.wait_for("the stopped one", |ps| {
        ps.iter().any(|p| p.pid == stopped && p.state == 'T')
    });
    let pid_file = ns.dir().join("pid");
    let pid_file = pid_file.to_str().unwrap();
    let gone_after = |args: &[&str], victim: i32, spared: &[i32]| {
        let output = ns.run(PGKILL, args);
        assert_exit(&output, 0);
        ns.wait_for(&format!("{args:?} ends {victim}"), |_| ns.is_gone(victim));
        for &pid in spared {
            assert!(!ns.is_gone(pid), "{args:?} spared {pid}");
        }
    };
    gone_after(
        &["-F", pid_file, "--wait"],
        named,
        &[first, second, stopped],
    );
    // The file now names a dead process: it selects nothing.
    let output = ns.run(PGKILL, ["-F", pid_file]);
    assert_exit(&output, 1);
    gone_after(
        &["-r", "T", "-x", "sh", "--signal", "KILL", "--wait"],
        stopped,
        &[first, second],
    );
    gone_after(
        &["--newest", "-f", "^sleep 200[12]$", "--wait"],
        second,
        &[first],
    );
    gone_after(&["--oldest", "-f", "^sleep 200[12]$", "--wait"], first, &[]);
    // A bad pid file is a usage error, one line.
    let output = ns.run(PGKILL, ["-F", "/no/such/file"]);
    let line = support::assert_one_line_error(&output, "pgkill", 2, "missing pid file");
    assert!(
        line.contains("/no/such/file: No such file or directory"),
        "{line}"
    );
}
