//! Sealed jobs (`setsid-run --seal`, `pgkill --sid` on them, `pgkill
//! --cgroup`, pgtree's view) and setsid-run's subreaper fallback. Every
//! scenario runs in a PID namespace of its own, and its setsid-run runs in
//! a cgroup the test makes (and removes): leaves named after sessions as
//! each namespace numbers them never meet another test's. Rounds run at
//! once, so that they race one another; each asserts that nothing of the
//! job survives and that no leaf is left.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{self, assert_exit, Namespace, Proc};

/// Rounds of each scenario, at once.
const ROUNDS: usize = 20;

/// The cgroup2 mount, from mountinfo.
fn cgroup2_mount() -> Option<PathBuf> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    mountinfo.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        if right.split(' ').next()? != "cgroup2" {
            return None;
        }
        left.split(' ').nth(4).map(PathBuf::from)
    })
}

/// A cgroup for one test, under the cgroup2 mount's root; dropped, it
/// kills what is left in it and in its leaves and removes them all.
struct TestCgroup(PathBuf);

impl TestCgroup {
    /// `None` (after reporting the skip) where no cgroup v2 tree can be
    /// written here.
    fn new() -> Option<TestCgroup> {
        let Some(mount) = cgroup2_mount() else {
            support::skip("no cgroup v2 hierarchy is mounted");
            return None;
        };
        let path = support::fresh_dir_or(&mount, "procgroup-test");
        match path {
            Ok(path) => Some(TestCgroup(path)),
            Err(error) => {
                support::skip(&format!(
                    "cannot make a cgroup in {}: {error}",
                    mount.display()
                ));
                None
            }
        }
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }

    /// The leaves in it (their names).
    fn leaves(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .flatten()
            .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Waits until no leaf is left (a watcher may remove the last one a
    /// moment after the job is gone).
    fn wait_no_leaves(&self, what: &str) {
        support::wait_until(&format!("{what}: no leaf left"), || {
            self.leaves().is_empty()
        });
    }
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        // cgroup.kill reaches the cgroups below too; they are removed
        // deepest first (a job may have sealed one of its own in its leaf).
        let _ = std::fs::write(self.0.join("cgroup.kill"), "1");
        for cgroup in subtree(&self.0).iter().rev() {
            let _ = wait_removed(cgroup);
        }
    }
}

/// `path` and every directory below it, each before those below it.
fn subtree(path: &Path) -> Vec<PathBuf> {
    let mut all = vec![path.to_path_buf()];
    let mut at = 0;
    while at < all.len() {
        if let Ok(entries) = std::fs::read_dir(&all[at]) {
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    all.push(entry.path());
                }
            }
        }
        at += 1;
    }
    all
}

/// Removes an empty cgroup, waiting a little for its last processes.
fn wait_removed(path: &Path) -> std::io::Result<()> {
    for _ in 0..500 {
        match std::fs::remove_dir(path) {
            Ok(()) => return Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
        }
    }
    std::fs::remove_dir(path)
}

/// `script` run by a shell in the namespace that first moves itself into
/// `cgroup` (what it starts is in there too).
fn in_cgroup(ns: &Namespace, cgroup: &TestCgroup, script: &str) -> Output {
    ns.sh(&format!(
        "echo 0 > {}/cgroup.procs || exit 99\n{script}",
        cgroup.path()
    ))
}

/// The namespace's live processes whose command line starts with `sleep 10`
/// (the job's; init's own is `sleep 100000`).
fn job_sleeps(ns: &Namespace) -> Vec<Proc> {
    ns.processes()
        .into_iter()
        .filter(|p| {
            p.state != 'Z' && p.cmdline().starts_with("sleep 10") && p.cmdline() != "sleep 100000"
        })
        .collect()
}

/// Runs `rounds` copies of `command` at once in the namespace, in the
/// test's cgroup; their exit statuses, in order, and what they said on
/// stderr.
fn at_once(
    ns: &Namespace,
    cgroup: &TestCgroup,
    rounds: usize,
    command: &str,
) -> (Vec<i32>, String) {
    let script = format!(
        "for i in $(seq {rounds}); do ( {command} ) >/dev/null & jobs=\"$jobs $!\"; done\n\
         for job in $jobs; do wait $job; echo $?; done"
    );
    let output = in_cgroup(ns, cgroup, &script);
    assert_exit(&output, 0);
    let statuses = support::stdout(&output)
        .lines()
        .map(|line| line.parse().unwrap())
        .collect();
    (statuses, support::stderr(&output))
}

/// A cgroup and a PID namespace for one test; `None` (after reporting
/// the skip) where either cannot be had.
fn scene() -> Option<(TestCgroup, Namespace)> {
    let cgroup = TestCgroup::new()?;
    let ns = Namespace::start("")?;
    Some((cgroup, ns))
}

/// Runs `rounds` copies of `command` at once ([`at_once`]) and asserts
/// that each exits 0, that nothing of the job survives, and that no leaf
/// is left once `what` is done.
fn all_end_clean(ns: &Namespace, cgroup: &TestCgroup, rounds: usize, command: &str, what: &str) {
    let (statuses, stderr) = at_once(ns, cgroup, rounds, command);
    assert_eq!(statuses, vec![0; rounds], "the statuses; {stderr}");
    assert_eq!(job_sleeps(ns), vec![], "what survived");
    cgroup.wait_no_leaves(what);
}

/// The escapees: a child that calls setsid() and one that double-forks
/// away, then the command itself as a third sleep.
const ESCAPING: &str = "setsid sleep 1000 & (sleep 1001 &); exec sleep 1002";

#[test]
fn a_sealed_timeout_leaves_nothing_and_no_leaf() {
    let Some((cgroup, ns)) = scene() else {
        return;
    };
    let command = format!(r#""$SETSID_RUN" --seal -w --timeout 1s -- sh -c '{ESCAPING}'"#);
    let (statuses, stderr) = at_once(&ns, &cgroup, ROUNDS, &command);
    assert_eq!(statuses, vec![124; ROUNDS], "exit statuses; {stderr}");
    assert_eq!(job_sleeps(&ns), vec![], "what survived");
    cgroup.wait_no_leaves("after --timeout");
}

#[test]
fn a_sealed_cleanup_leaves_nothing_and_no_leaf() {
    let Some((cgroup, ns)) = scene() else {
        return;
    };
    let command = r#""$SETSID_RUN" --seal -w --cleanup -- sh -c 'setsid sleep 1000 & (sleep 1001 &); exit 7'"#;
    let (statuses, stderr) = at_once(&ns, &cgroup, ROUNDS, command);
    assert_eq!(
        statuses,
        vec![7; ROUNDS],
        "the command's status, kept; {stderr}"
    );
    assert_eq!(job_sleeps(&ns), vec![], "what survived");
    cgroup.wait_no_leaves("after --cleanup");
}

/// A detached sealed job that daemonizes: `pgkill --sid` ends the
/// processes that left its session too, through its leaf.
#[test]
fn pgkill_ends_a_detached_sealed_job_with_its_escapees() {
    let Some((cgroup, ns)) = scene() else {
        return;
    };
    let command = format!(
        r#"sid=$("$SETSID_RUN" --seal -d --print sid -- sh -c '{ESCAPING}') &&
        "$PGKILL" --sid "$sid" --wait -k 2s"#
    );
    all_end_clean(&ns, &cgroup, ROUNDS, &command, "after pgkill --sid");
}

/// A job still forking (a bounded number of escapees) when the time is
/// up: the frozen leaf cannot fork, and is emptied.
#[test]
fn a_sealed_job_in_a_fork_loop_is_emptied() {
    let Some((cgroup, ns)) = scene() else {
        return;
    };
    let command = r#""$SETSID_RUN" --seal -w --timeout 0.3s -k 1s -- sh -c '
        n=0; while [ $n -lt 150 ]; do (setsid sleep 1003 &); n=$((n+1)); done; exec sleep 1004'"#;
    let (statuses, stderr) = at_once(&ns, &cgroup, 4, command);
    assert_eq!(statuses.len(), 4);
    assert!(
        statuses.iter().all(|&s| s == 124 || s == 137),
        "{statuses:?}; {stderr}"
    );
    assert_eq!(job_sleeps(&ns), vec![], "what survived");
    cgroup.wait_no_leaves("after the fork loop");
}

/// An escapee that forks in its handler of the signal: the child is in
/// the leaf and in no session targeted; pgkill finds it in the leaf and
/// signals it, and `--wait` ends (it used to wait for ever).
#[test]
fn a_child_forked_by_an_escapee_in_its_handler_is_signalled_too() {
    let Some((cgroup, ns)) = scene() else {
        return;
    };
    let command = r#"d=$(mktemp -d) &&
        sid=$("$SETSID_RUN" --seal -d --print sid -- sh -c '
            setsid sh -c "trap \"sleep 1007 & exit\" TERM; : > $0/ready
                while :; do sleep 0.05; done" "$0" &
            exec sleep 1002' "$d") &&
        while [ ! -e "$d/ready" ]; do sleep 0.01; done &&
        timeout 20 "$PGKILL" --sid "$sid" --wait; s=$?; rm -r "$d"; exit $s"#;
    all_end_clean(&ns, &cgroup, ROUNDS, command, "after pgkill --sid");
}

/// Two sealed sessions that ignore SIGTERM, in one pgkill with `-k`: the
/// escalation reaches both leaves.
#[test]
fn an_escalation_reaches_every_leaf() {
    let Some((cgroup, ns)) = scene() else {
        return;
    };
    let command = r#"job() { "$SETSID_RUN" --seal -d --print sid -- sh -c 'trap "" TERM; exec sleep 1008'; }
        a=$(job) && b=$(job) &&
        timeout 20 "$PGKILL" --sid "$a" --sid "$b" --wait -k 0.2s"#;
    all_end_clean(&ns, &cgroup, 4, command, "after pgkill -k");
}

/// A signaller killed while the leaf is frozen (SIGKILL, which it cannot
/// block) does not leave it frozen: the watcher it forked first thaws it,
/// and the job runs on. strace holds pgkill just after its write to
/// `cgroup.freeze`, its first write.
#[test]
fn a_signaller_killed_mid_freeze_leaves_the_leaf_thawed() {
    if !support::have_strace() {
        return;
    }
    let Some((cgroup, ns)) = scene() else {
        return;
    };
    let output = in_cgroup(
        &ns,
        &cgroup,
        r#"sid=$("$SETSID_RUN" --seal -d --print sid -- sh -c 'sleep 1009 & exec sleep 1010')
        echo "sid=$sid""#,
    );
    assert_exit(&output, 0);
    let sid: i32 = support::stdout(&output)
        .trim()
        .strip_prefix("sid=")
        .unwrap()
        .parse()
        .unwrap();
    let leaf = cgroup.0.join(format!("setsid-run-{sid}"));
    let events = || std::fs::read_to_string(leaf.join("cgroup.events")).unwrap();
    let background = ns.spawn_sh(&format!(
        "strace -qq -o /dev/null -e trace=write -e inject=write:delay_exit=30000000:when=1 \
         \"$PGKILL\" --signal WINCH --sid {sid} & echo strace=$!; wait"
    ));
    let strace = background.var("strace");
    support::wait_until("the leaf frozen", || events().contains("frozen 1"));
    let pgkill = ns
        .processes()
        .into_iter()
        .find(|p| p.ppid == strace)
        .expect("pgkill under strace");
    // SIGKILL to pgkill stays pending while strace holds it; strace's
    // end lets it go, and it dies before it runs again.
    assert_exit(
        &ns.sh(&format!("kill -KILL {} && kill -KILL {strace}", pgkill.pid)),
        0,
    );
    let _ = background.finish();
    support::wait_until("the leaf thawed", || events().contains("frozen 0"));
    let sleeps = job_sleeps(&ns);
    assert_eq!(sleeps.len(), 2, "the job: {sleeps:?}");
    assert!(sleeps.iter().all(|p| p.state == 'S'), "the job: {sleeps:?}");
}

/// pgkill in the sealed session it signals (`--force`) does not freeze
/// the leaf it runs in, which would freeze itself for good: the members
/// are signalled as they run, pgkill last.
#[test]
fn pgkill_inside_the_leaf_it_signals_does_not_freeze_itself() {
    let Some((cgroup, ns)) = scene() else {
        return;
    };
    let output = in_cgroup(
        &ns,
        &cgroup,
        r#""$SETSID_RUN" --seal -w -- sh -c '
            sh -c "trap \"exit 7\" WINCH; : > $DIR/ready; while :; do sleep 0.05; done" &
            while [ ! -e "$DIR/ready" ]; do sleep 0.01; done
            timeout 10 "$PGKILL" --force --signal WINCH --sid self; echo "pgkill=$?"
            wait $!; echo "member=$?"'"#,
    );
    assert_exit(&output, 0);
    assert_eq!(support::stdout(&output), "pgkill=0\nmember=7\n");
    cgroup.wait_no_leaves("after the job");
}

/// Two pgkills at once on a detached sealed job: whichever removes the
/// leaf, the watcher that setsid-run left for it ends too (it used to
/// wait for ever on a leaf removed under it: the kernel does not always
/// notify a removal).
#[test]
fn concurrent_pgkills_leave_no_watcher_behind() {
    let Some((cgroup, ns)) = scene() else {
        return;
    };
    let command = format!(
        r#"sid=$("$SETSID_RUN" --seal -d --print sid -- sh -c '{ESCAPING}') &&
        {{ "$PGKILL" --sid "$sid" --wait -k 2s & "$PGKILL" --sid "$sid" --wait -k 2s; wait; }} 2>/dev/null
        exit 0"#
    );
    all_end_clean(&ns, &cgroup, ROUNDS, &command, "after two pgkills");
    support::wait_until("no setsid-run left", || {
        !ns.processes()
            .iter()
            .any(|p| p.state != 'Z' && p.cmdline().contains("setsid-run"))
    });
}

/// A sealed job that seals a job of its own (`setsid-run --seal` inside):
/// the inner leaf is below the outer one, and `pgkill --sid` on the outer
/// session reaches the inner job too and removes both leaves (it used to
/// leave the inner job out, and wait for ever).
#[test]
fn a_job_sealed_inside_a_sealed_job_is_ended_with_it() {
    let Some((cgroup, ns)) = scene() else {
        return;
    };
    let command = format!(
        r#"sid=$("$SETSID_RUN" --seal -d --print sid -- sh -c '
            "$SETSID_RUN" --seal -d -- sh -c "{ESCAPING}"; exec sleep 1004') &&
        timeout 20 "$PGKILL" --sid "$sid" --wait"#
    );
    all_end_clean(&ns, &cgroup, ROUNDS, &command, "after pgkill --sid");
}

/// Another user's sealed job: pgkill may not freeze the leaf, nor signal
/// its processes. It says so per process (permission denied, exit 3), as
/// for a session that is not sealed, and leaves the leaf as it was: not
/// frozen, the job running. SIGKILL is refused the same way.
#[test]
fn another_users_sealed_job_is_refused_per_process() {
    let Some((cgroup, ns)) = scene() else {
        return;
    };
    let output = in_cgroup(
        &ns,
        &cgroup,
        r#"sid=$("$SETSID_RUN" --seal -d --print sid -- sh -c 'sleep 1009 & exec sleep 1010')
        echo "sid=$sid""#,
    );
    assert_exit(&output, 0);
    let sid = support::stdout(&output)
        .trim()
        .strip_prefix("sid=")
        .unwrap()
        .to_string();
    let leaf = cgroup.0.join(format!("setsid-run-{sid}"));
    for signal in ["TERM", "KILL"] {
        let output = ns.run(
            "setpriv",
            [
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                support::PGKILL,
                "--signal",
                signal,
                "--sid",
                &sid,
            ],
        );
        let stderr = support::assert_one_line_error(&output, "pgkill", 3, signal);
        assert!(
            stderr.starts_with("pgkill: error: permission denied for 2 processes"),
            "{stderr}"
        );
        let events = std::fs::read_to_string(leaf.join("cgroup.events")).unwrap();
        assert!(events.contains("frozen 0"), "{signal}: {events}");
        let sleeps = job_sleeps(&ns);
        assert_eq!(sleeps.len(), 2, "{signal}: the job: {sleeps:?}");
    }
}

/// SIGKILL to a sealed session is one write to `cgroup.kill`, with no
/// freeze: it reaches the escapees and a job still forking, in rounds at
/// once; one more round, traced, shows the write and no freeze.
#[test]
fn sigkill_to_a_sealed_session_goes_through_cgroup_kill() {
    sigkill_rounds(false);
}

/// As on a kernel without `cgroup.kill` (before 5.14, a test hook): the
/// leaf is frozen and each member gets SIGKILL, the escapees and a job
/// still forking too, and so does an escalation (`-k`).
#[test]
fn without_cgroup_kill_sigkill_goes_to_each_member_of_the_frozen_leaf() {
    sigkill_rounds(true);
}

/// The rounds of the two tests above, the fallback with `no_cgroup_kill`.
fn sigkill_rounds(no_cgroup_kill: bool) {
    if !support::have_strace() {
        return;
    }
    let Some((cgroup, ns)) = scene() else {
        return;
    };
    let hook = if no_cgroup_kill {
        "PROCGROUP_NO_CGROUP_KILL=1"
    } else {
        ""
    };
    let job = r#"sid=$("$SETSID_RUN" --seal -d --print sid -- sh -c '
        setsid sleep 1000 & (sleep 1001 &)
        while :; do (setsid sleep 1003 &); sleep 0.01; done')"#;
    let command = format!("{job} && sleep 0.2 && {hook} \"$PGKILL\" -KILL --sid \"$sid\" --wait");
    all_end_clean(&ns, &cgroup, ROUNDS, &command, "after pgkill -KILL --sid");
    if no_cgroup_kill {
        let command = format!(
            r#"sid=$("$SETSID_RUN" --seal -d --print sid -- sh -c 'trap "" TERM; {ESCAPING}') &&
            {hook} "$PGKILL" --sid "$sid" --wait -k 0.2s"#
        );
        all_end_clean(&ns, &cgroup, 4, &command, "after pgkill -k");
    }

    let trace = ns.dir().join("trace");
    let command = format!(
        "{job} && sleep 0.2 && {hook} strace -f -qq -o {} -e trace=openat \
         \"$PGKILL\" -KILL --sid \"$sid\" --wait",
        trace.display()
    );
    let (statuses, stderr) = at_once(&ns, &cgroup, 1, &command);
    assert_eq!(statuses, vec![0], "traced pgkill's status; {stderr}");
    let trace = std::fs::read_to_string(&trace).expect("strace wrote no trace");
    let opened = |file: &str| {
        trace
            .lines()
            .any(|l| l.contains(&format!("/{file}\"")) && l.contains("O_WRONLY"))
    };
    assert_eq!(
        (opened("cgroup.kill"), opened("cgroup.freeze")),
        (!no_cgroup_kill, no_cgroup_kill),
        "(cgroup.kill written, cgroup.freeze written):\n{trace}"
    );
    assert_eq!(job_sleeps(&ns), vec![], "what survived the traced round");
    cgroup.wait_no_leaves("after the traced round");
}

/// Without --seal: setsid-run, a child subreaper while it waits, gets the
/// daemon the job double-forked, and --cleanup ends and reaps it.
#[test]
fn the_subreaper_ends_a_double_forked_daemon_without_a_seal() {
    let Some(ns) = Namespace::start("") else {
        return;
    };
    let script = format!(
        "for i in $(seq {ROUNDS}); do ( \"$SETSID_RUN\" -w --cleanup -- sh -c \
         '(setsid sleep 1005 &); (sleep 1006 &); exit 3' ) >/dev/null 2>&1 & jobs=\"$jobs $!\"; done\n\
         for job in $jobs; do wait $job; echo $?; done"
    );
    let output = ns.sh(&script);
    assert_exit(&output, 0);
    let statuses: Vec<i32> = support::stdout(&output)
        .lines()
        .map(|line| line.parse().unwrap())
        .collect();
    assert_eq!(statuses, vec![3; ROUNDS]);
    assert_eq!(job_sleeps(&ns), vec![], "what survived");
}

/// Where no leaf can be made (a full cgroup.max.descendants), --seal fails
/// before the command starts: one line, 125; --seal=auto starts it
/// unsealed.
#[test]
fn seal_fails_before_starting_and_auto_goes_without() {
    let Some((cgroup, ns)) = scene() else {
        return;
    };
    std::fs::write(cgroup.0.join("cgroup.max.descendants"), "0").unwrap();
    let ran = ns.dir().join("ran");
    let output = in_cgroup(
        &ns,
        &cgroup,
        &format!(r#"exec "$SETSID_RUN" --seal -w -- touch {}"#, ran.display()),
    );
    let line = support::assert_one_line_error(&output, "setsid-run", 125, "--seal, no room");
    assert!(
        line.starts_with("setsid-run: error: --seal: cannot make a cgroup in "),
        "{line}"
    );
    assert!(!ran.exists(), "the command ran");
    let output = in_cgroup(
        &ns,
        &cgroup,
        &format!(
            r#"exec "$SETSID_RUN" --seal=auto -w -- touch {}"#,
            ran.display()
        ),
    );
    assert_exit(&output, 0);
    assert!(ran.exists(), "--seal=auto ran the command");
    assert!(cgroup.leaves().is_empty());
    // -g makes no session to seal.
    let output = ns.run(support::SETSID_RUN, ["--seal", "-g", "--", "true"]);
    support::assert_one_line_error(&output, "setsid-run", 2, "--seal -g");
}

/// What the user sees of a sealed job: pgtree names the leaf and shows the
/// escapee under the session, marked; pgkill -n lists it with the session
/// and --json says it escaped; a setsid-run killed with SIGKILL leaves the
/// job sealed, and pgkill --sid ends it and removes the leaf; --cgroup
/// signals a leaf by its path.
#[test]
fn a_sealed_job_as_pgtree_and_pgkill_show_it() {
    let Some((cgroup, ns)) = scene() else {
        return;
    };
    let background = ns.spawn_sh(&format!(
        "echo 0 > {}/cgroup.procs || exit 99\n\
         \"$SETSID_RUN\" --seal -w -- sh -c 'setsid sleep 1000 & exec sleep 1002' \
         </dev/null >/dev/null 2>&1 &\necho runner=$!\nwait",
        cgroup.path()
    ));
    let runner = background.var("runner");
    let mut sid = 0;
    let mut escapee = 0;
    ns.wait_for("the job and its escapee", |ps| {
        sid = ps
            .iter()
            .find(|p| p.cmdline() == "sleep 1002")
            .map_or(0, |p| p.sid);
        escapee = ps
            .iter()
            .find(|p| p.cmdline() == "sleep 1000")
            .map_or(0, |p| p.pid);
        sid != 0 && escapee != 0
    });
    let leaf = format!("setsid-run-{sid}");
    assert_eq!(cgroup.leaves(), vec![leaf.clone()]);
    let tree = ns.run(support::PGTREE, ["-s", &sid.to_string()]);
    assert_exit(&tree, 0);
    let text = support::stdout(&tree);
    let first = text.lines().next().unwrap();
    assert!(
        first.ends_with(&format!(
            "sealed /{}/{leaf}",
            cgroup.0.file_name().unwrap().to_str().unwrap()
        )),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.ends_with(&format!(
            "sleep {escapee} session leader escaped (now session {escapee})"
        ))),
        "{text}"
    );
    // SIGKILL to setsid-run: the job stays, sealed.
    let _ = ns.sh(&format!("kill -KILL {runner}"));
    ns.wait_for("setsid-run gone", |_| ns.is_gone(runner));
    assert_eq!(job_sleeps(&ns).len(), 2);
    assert_eq!(cgroup.leaves(), vec![leaf.clone()]);
    let dry = ns.run(support::PGKILL, ["-n", "--json", "--sid", &sid.to_string()]);
    assert_exit(&dry, 0);
    let report: serde_json::Value = serde_json::from_str(&support::stdout(&dry)).unwrap();
    let escaped: Vec<i64> = report["processes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["escaped"] == true)
        .map(|p| p["pid"].as_i64().unwrap())
        .collect();
    assert_eq!(escaped, vec![i64::from(escapee)], "{report}");
    // Selected by its name, the escapee stands for its sealed session.
    let dry = ns.run(
        support::PGKILL,
        ["-n", "--json", "--expand", "session", "-f", "^sleep 1000$"],
    );
    assert_exit(&dry, 0);
    let report: serde_json::Value = serde_json::from_str(&support::stdout(&dry)).unwrap();
    let mut pids: Vec<i64> = report["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pid"].as_i64().unwrap())
        .collect();
    pids.sort_unstable();
    let mut expected = vec![i64::from(sid), i64::from(escapee)];
    expected.sort_unstable();
    assert_eq!(pids, expected, "{report}");
    let output = ns.run(
        support::PGKILL,
        ["--sid", &sid.to_string(), "--wait", "-k", "2s"],
    );
    assert_exit(&output, 0);
    assert_eq!(job_sleeps(&ns), vec![], "what survived");
    cgroup.wait_no_leaves("after pgkill --sid");

    // --cgroup: a leaf by its path, from the hierarchy's root.
    let output = in_cgroup(
        &ns,
        &cgroup,
        "exec \"$SETSID_RUN\" --seal -d --print sid -- sh -c 'setsid sleep 1000 & exec sleep 1002'",
    );
    assert_exit(&output, 0);
    let sid: i32 = support::stdout(&output).trim().parse().unwrap();
    let path = format!(
        "/{}/setsid-run-{sid}",
        cgroup.0.file_name().unwrap().to_str().unwrap()
    );
    let output = ns.run(support::PGKILL, ["--cgroup", &path, "--wait"]);
    assert_exit(&output, 0);
    assert_eq!(job_sleeps(&ns), vec![], "what survived --cgroup");
    cgroup.wait_no_leaves("after pgkill --cgroup");
    drop(background);
}

/// A leaf of the job's name that some process is in already is never
/// shared: setsid-run says so, exit 125, and the command never runs (its
/// pid is made the one whose leaf exists, through ns_last_pid).
#[test]
fn a_leaf_name_in_use_is_refused_before_the_command_runs() {
    let Some((cgroup, ns)) = scene() else {
        return;
    };
    let taken = cgroup.0.join("setsid-run-500");
    std::fs::create_dir(&taken).unwrap();
    let squatter = ns.spawn_sh(&format!(
        "echo 0 > {}/cgroup.procs && exec sleep 1007",
        taken.display()
    ));
    support::wait_until("the squatter in its cgroup", || {
        std::fs::read_to_string(taken.join("cgroup.procs")).is_ok_and(|procs| !procs.is_empty())
    });
    let ran = ns.dir().join("ran");
    let output = in_cgroup(
        &ns,
        &cgroup,
        &format!(
            "echo 499 > /proc/sys/kernel/ns_last_pid\nexec \"$SETSID_RUN\" --seal -w -- touch {}",
            ran.display()
        ),
    );
    let line = support::assert_one_line_error(&output, "setsid-run", 125, "a leaf in use");
    assert_eq!(
        line,
        format!(
            "setsid-run: error: --seal: cannot seal it in {}: File exists",
            taken.display()
        )
    );
    assert!(!ran.exists(), "the command ran");
    // The squatter is untouched, in its cgroup.
    assert_eq!(job_sleeps(&ns).len(), 1);
    drop(squatter);
}
