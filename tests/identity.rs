//! `PID:INO` identities (pidfs inodes, Linux 6.9+) and death certificates
//! (`PIDFD_INFO_EXIT`, 6.15+), issue 13. Every scenario runs in a PID
//! namespace of its own; inodes are read here, from a pidfd the harness
//! opens on the host, independently of the code under test.
//!
//! The tools fall back where the kernel lacks these (test hooks
//! `PROCGROUP_NO_PIDFS=1`, `PROCGROUP_NO_PIDFD_INFO=1`, read by the core's
//! probe): these tests, run with either hook set in their environment,
//! expect the fallback (nulls, refusals) instead, and the whole suite
//! passes either way. `fallbacks_give_nulls` sets the hooks itself.

use std::os::fd::AsRawFd;
use std::process::Output;

use serde_json::Value;

use crate::support::{self, assert_exit, assert_one_line_error, Namespace};

/// Whether the tools run here see no pidfs inodes (the test hook is set).
fn no_pidfs() -> bool {
    hook("PROCGROUP_NO_PIDFS")
}

/// Whether the tools run here get no exit information (the hook is set).
fn no_exit_info() -> bool {
    hook("PROCGROUP_NO_PIDFD_INFO")
}

fn hook(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|value| !value.is_empty() && value != "0")
}

/// The pidfs inode of namespace process `pid`, from a pidfd opened on the
/// host and checked (after the open) to still be that namespace pid.
pub fn real_ino(ns: &Namespace, pid: i32) -> u64 {
    let host = ns
        .host_pids()
        .into_iter()
        .find(|&(_, inner)| inner == pid)
        .unwrap_or_else(|| panic!("no process {pid} in the namespace"))
        .0;
    let fd = support::pidfd(host).expect("pidfd of a namespace process");
    let status = std::fs::read_to_string(format!("/proc/{host}/status")).unwrap();
    let inner = status
        .lines()
        .find_map(|line| line.strip_prefix("NSpid:"))
        .and_then(|ids| ids.split_whitespace().last()?.parse::<i32>().ok());
    assert_eq!(inner, Some(pid), "host pid {host} is namespace pid {pid}");
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: a valid fd and an out pointer of the right type.
    assert_eq!(unsafe { libc::fstat(fd.as_raw_fd(), stat.as_mut_ptr()) }, 0);
    // SAFETY: fstat filled it.
    unsafe { stat.assume_init() }.st_ino
}

/// The inode the tools should show for `pid`: `None` under the hook.
pub fn ino(ns: &Namespace, pid: i32) -> Option<u64> {
    (!no_pidfs()).then(|| real_ino(ns, pid))
}

/// [`ino`] as `--print ids` writes it (`?` when unknown).
pub fn ino_text(ns: &Namespace, pid: i32) -> String {
    ino(ns, pid).map_or_else(|| "?".to_string(), |ino| ino.to_string())
}

/// An empty namespace.
fn empty() -> Option<Namespace> {
    Namespace::start("")
}

fn json(output: &Output) -> Value {
    let text = support::stdout(output);
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("not JSON ({error}): {text:?}"))
}

/// The process of pgkill's JSON report with pid `pid`.
fn entry(report: &Value, pid: i32) -> Value {
    report["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pid"] == pid)
        .unwrap_or_else(|| panic!("no process {pid} in {report}"))
        .clone()
}

/// Starts `sleep ARG` in a session (and group) of its own with setsid-run;
/// returns its pid (checked against the kernel).
fn start_leader(ns: &Namespace, arg: &str) -> i32 {
    let output = ns.sh(&format!("\"$SETSID_RUN\" -d --print pid -- sleep {arg}"));
    assert_exit(&output, 0);
    let pid: i32 = support::stdout(&output).trim().parse().unwrap();
    ns.wait_for("the sleep runs", |_| {
        ns.stat(pid)
            .is_some_and(|p| p.cmdline() == format!("sleep {arg}") && p.pgid == pid)
    });
    pid
}

/// `X:INO` of a process and of a group (and session) leader, both X:
/// after X is killed and a new process takes X (ns_last_pid), every
/// target named with the old inode matches nothing (exit 1, one line) and
/// the new process is untouched; `--pid X:NEWINO` ends it.
#[test]
fn a_reused_pid_is_refused_by_its_old_inode() {
    let Some(ns) = empty() else { return };
    let x = start_leader(&ns, "1000");
    if no_pidfs() {
        let output = ns.run(support::PGKILL, ["--pid", &format!("{x}:12345")]);
        let line = assert_one_line_error(&output, "pgkill", 2, "PID:INO without pidfs");
        assert!(line.contains("Linux 6.9"), "{line}");
        return;
    }
    let old = real_ino(&ns, x);
    // What pgtree and setsid-run show is that inode.
    let output = ns.run(
        support::PGTREE,
        ["--json", "-o", "pid,ino", "-p", &x.to_string()],
    );
    assert_exit(&output, 0);
    assert_eq!(json(&output), serde_json::json!([{"pid": x, "ino": old}]));
    let output = ns.run(support::PGKILL, ["-n", "--json", "--pid", &x.to_string()]);
    assert_exit(&output, 0);
    assert_eq!(entry(&json(&output), x)["ino"], old);
    // Killed by its identity, and reaped by the namespace's init.
    let output = ns.run(support::PGKILL, ["--wait", "--pid", &format!("{x}:{old}")]);
    assert_exit(&output, 0);
    ns.wait_for("the old X is reaped", |_| ns.stat(x).is_none());
    // A new process takes X, in a session and group of its own (setsid,
    // as a background child of sh, is no group leader: it does not fork).
    ns.start_at(x, "sleep 2000", b"sleep");
    let new = real_ino(&ns, x);
    assert_ne!(new, old, "pidfs inodes are never reused");
    for option in ["--pid", "--pgid", "--sid"] {
        for extra in [&[][..], &["--json"][..], &["-9", "--wait"][..]] {
            let target = format!("{x}:{old}");
            let mut args: Vec<&str> = extra.to_vec();
            args.extend([option, target.as_str()]);
            let output = ns.run(support::PGKILL, &args);
            let what = format!("{args:?} after reuse");
            if extra.contains(&"--json") {
                assert_exit(&output, 1);
                let report = json(&output);
                assert_eq!(report["processes"], serde_json::json!([]), "{what}");
                let kind = option.trim_start_matches("--");
                assert_eq!(
                    report["unmatched"],
                    serde_json::json!([{kind: x, "ino": old}]),
                    "{what}"
                );
            } else {
                let line = assert_one_line_error(&output, "pgkill", 1, &what);
                assert!(line.contains(&format!("inode {old}")), "{line}");
            }
        }
    }
    let now = ns.stat(x).expect("the new X is there");
    assert_eq!(now.state, 'S', "untouched: {now:?}");
    let (pending, shared) = support::pending_signals(&ns, x);
    assert_eq!((pending, shared), (0, 0), "no signal pending on the new X");
    // Its own identity works.
    let output = ns.run(
        support::PGKILL,
        ["--wait", "--json", "--pid", &format!("{x}:{new}")],
    );
    assert_exit(&output, 0);
    let report = json(&output);
    assert_eq!(entry(&report, x)["outcome"], "exited", "{report}");
    assert_eq!(entry(&report, x)["ino"], new, "{report}");
}

/// `--pgid G:INO -STOP` on a group of 50 members that fork all the time:
/// every member alive after the call has the signal (all end up stopped),
/// sent once, through the leader's pidfd (PIDFD_SIGNAL_PROCESS_GROUP).
#[test]
fn a_forking_group_is_stopped_whole_through_its_leader() {
    let Some(ns) = empty() else { return };
    let output = ns.sh("\"$SETSID_RUN\" -d --print pid -- sh -c '\
         for i in $(seq 49); do (while :; do sleep 0.01; done) & done; \
         while :; do sleep 0.01; done'");
    assert_exit(&output, 0);
    let g: i32 = support::stdout(&output).trim().parse().unwrap();
    let members = |ns: &Namespace| -> Vec<support::Proc> {
        ns.processes().into_iter().filter(|p| p.pgid == g).collect()
    };
    ns.wait_for("50 members fork", |_| {
        members(&ns)
            .iter()
            .filter(|p| p.comm == b"sh" && p.state != 'Z')
            .count()
            == 50
    });
    let target = match ino(&ns, g) {
        Some(ino) => format!("{g}:{ino}"),
        None => {
            let output = ns.run(support::PGKILL, ["-STOP", "--pgid", &format!("{g}:7")]);
            assert_one_line_error(&output, "pgkill", 2, "PGID:INO without pidfs");
            g.to_string()
        }
    };
    let traced = support::have_strace();
    let output = if traced {
        ns.run(
            "strace",
            [
                "-f",
                "-qq",
                "-e",
                "trace=kill,pidfd_send_signal",
                support::PGKILL,
                "-STOP",
                "--pgid",
                &target,
            ],
        )
    } else {
        ns.run(support::PGKILL, ["-STOP", "--pgid", &target])
    };
    assert_exit(&output, 0);
    // Stopped, or with SIGSTOP pending: a vfork parent waits, in state D,
    // for its child, stopped before its exec, and stops once it returns.
    let has_stop = |p: &support::Proc| {
        let (pending, shared) = support::pending_signals(&ns, p.pid);
        (pending | shared) & support::signal_bit(libc::SIGSTOP) != 0
    };
    ns.wait_for("every member alive is stopped", |_| {
        members(&ns)
            .iter()
            .all(|p| matches!(p.state, 'T' | 'Z') || has_stop(p))
    });
    let stopped = members(&ns).iter().filter(|p| p.state != 'Z').count();
    assert!(stopped >= 50, "{stopped} stopped");
    if traced {
        let trace = support::stderr(&output);
        let group_sends: Vec<&str> = trace
            .lines()
            .filter(|l| l.contains("pidfd_send_signal(") && l.contains("SIGSTOP"))
            .filter(|l| l.contains("PIDFD_SIGNAL_PROCESS_GROUP") || l.contains(", 0x4)"))
            .collect();
        if no_pidfs() {
            assert!(trace.contains(&format!("kill(-{g}, SIGSTOP)")), "{trace}");
        } else {
            assert_eq!(group_sends.len(), 1, "{trace}");
            assert!(group_sends[0].trim_end().ends_with("= 0"), "{trace}");
            assert!(!trace.contains(&format!("kill(-{g},")), "{trace}");
        }
    } else {
        support::skip("no strace: the way the group was signalled is not checked");
    }
    let output = ns.run(
        support::PGKILL,
        ["-KILL", "--pgid", &g.to_string(), "--wait"],
    );
    assert_exit(&output, 0);
}

/// Three victims of one `pgkill --sid --wait --json -k 1s`, none of them
/// pgkill's children: one exits 3 on TERM, one ignores TERM (SIGKILL,
/// escalated), one raises SIGSEGV on TERM.
#[test]
fn death_certificates_tell_how_each_victim_ended() {
    let Some(ns) = empty() else { return };
    let output = ns.sh(r#""$SETSID_RUN" -d --print sid -- sh -c '
sh -c "trap \"exit 3\" TERM; echo \$\$ > $DIR/three; sleep 1000 & wait" &
sh -c "trap \"\" TERM; echo \$\$ > $DIR/deaf; sleep 1001 & wait; wait" &
sh -c "trap \"kill -SEGV \\\$\\\$\" TERM; echo \$\$ > $DIR/segv; sleep 1002 & wait" &
wait'"#);
    assert_exit(&output, 0);
    let sid: i32 = support::stdout(&output).trim().parse().unwrap();
    let read = |name: &str| -> i32 {
        let path = ns.dir().join(name);
        support::wait_until(&format!("{name} wrote its pid"), || {
            std::fs::read_to_string(&path).is_ok_and(|t| t.ends_with('\n'))
        });
        std::fs::read_to_string(&path)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let (three, deaf, segv) = (read("three"), read("deaf"), read("segv"));
    ns.wait_for("the victims sleep", |ps| {
        ["sleep 1000", "sleep 1001", "sleep 1002"]
            .iter()
            .all(|c| ps.iter().any(|p| p.cmdline() == *c && p.state == 'S'))
    });
    let output = ns.run(
        support::PGKILL,
        [
            "--sid",
            &sid.to_string(),
            "--wait",
            "--json",
            "-v",
            "-k",
            "1s",
        ],
    );
    assert_exit(&output, 0);
    let report = json(&output);
    let how = support::stderr(&output);
    let report = format!("{report}\n{how}");
    let report: &str = &report;
    let report_value = json(&output);
    let (e3, e9, e11) = (
        entry(&report_value, three),
        entry(&report_value, deaf),
        entry(&report_value, segv),
    );
    for e in [&e3, &e9, &e11] {
        assert_eq!(e["outcome"], "exited", "{report}");
    }
    assert_eq!(e3["escalated"], false, "{report}");
    assert_eq!(e9["escalated"], true, "{report}");
    assert_eq!(e11["escalated"], false, "{report}");
    if no_exit_info() {
        for e in [&e3, &e9, &e11] {
            assert_eq!(e["exit"], Value::Null, "{report}");
        }
    } else {
        assert_eq!(e3["exit"], serde_json::json!({"code": 3}), "{report}");
        assert_eq!(
            e9["exit"],
            serde_json::json!({"signal": 9, "core": false}),
            "{report}"
        );
        assert_eq!(e11["exit"]["signal"], 11, "{report}");
        assert!(e11["exit"]["core"].is_boolean(), "{report}");
    }
    // Every process of the report has the keys.
    for p in report_value["processes"].as_array().unwrap() {
        assert!(
            p.get("exit").is_some() && p["escalated"].is_boolean(),
            "{p}"
        );
    }
}

/// A zombie whose parent does not reap it: exited, `"exit": null`, and
/// `-v` says it is not reaped yet.
#[test]
fn an_unreaped_zombie_is_reported_as_such() {
    let Some(ns) = empty() else { return };
    // A parent that stops itself once it has started its child: it cannot
    // reap it.
    let output = ns.sh(
        "sh -c 'sleep 1000 & echo $! > \"$DIR/child\"; kill -STOP $$; wait' \
         </dev/null >/dev/null 2>&1 &",
    );
    assert_exit(&output, 0);
    let path = ns.dir().join("child");
    support::wait_until("the child's pid is written", || {
        std::fs::read_to_string(&path).is_ok_and(|t| t.ends_with('\n'))
    });
    let child: i32 = std::fs::read_to_string(&path)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let parent = ns.stat(child).map(|p| p.ppid).expect("the child runs");
    ns.wait_for("the parent is stopped", |_| {
        ns.stat(parent).is_some_and(|p| p.state == 'T')
    });
    let output = ns.run(
        support::PGKILL,
        ["--pid", &child.to_string(), "--wait", "--json", "-v"],
    );
    assert_exit(&output, 0);
    let report = json(&output);
    let e = entry(&report, child);
    assert_eq!(e["outcome"], "exited", "{report}");
    assert_eq!(e["exit"], Value::Null, "{report}");
    let stderr = support::stderr(&output);
    if no_exit_info() {
        assert!(stderr.contains("the kernel does not tell"), "{stderr}");
    } else {
        assert!(stderr.contains("not reaped yet"), "{stderr}");
    }
    assert_eq!(ns.stat(child).map(|p| p.state), Some('Z'));
    // The parent's end hands the zombie to the namespace's init, which
    // reaps it.
    let output = ns.run(
        support::PGKILL,
        ["-KILL", "--pid", &parent.to_string(), "--wait"],
    );
    assert_exit(&output, 0);
    ns.wait_for("the zombie is reaped", |_| ns.stat(child).is_none());
}

/// setsid-run's `--print pid:ino`, and `--pidfile-format pid:ino`, which
/// setsid-run and `pgtree -F` check by inode, exactly.
#[test]
fn setsid_run_prints_and_writes_pid_ino() {
    let Some(ns) = empty() else { return };
    let output = ns.sh("\"$SETSID_RUN\" -d --print pid:ino -- sleep 1000");
    if no_pidfs() {
        assert_exit(&output, 125);
        return;
    }
    assert_exit(&output, 0);
    let text = support::stdout(&output);
    let (pid, printed) = text.trim().split_once(':').expect("PID:INO");
    let pid: i32 = pid.parse().unwrap();
    ns.wait_for("the sleep runs", |_| {
        ns.stat(pid).is_some_and(|p| p.cmdline() == "sleep 1000")
    });
    assert_eq!(printed.parse::<u64>().unwrap(), real_ino(&ns, pid));
    // Usable as is by pgkill (checked in dry run).
    let output = ns.run(support::PGKILL, ["-n", "--pid", text.trim()]);
    assert_exit(&output, 0);

    let file = ns.dir().join("app.pid");
    let file = file.to_str().unwrap();
    let start = |arg: &str| {
        ns.sh(&format!(
            "\"$SETSID_RUN\" -d --pidfile {file} --pidfile-format pid:ino -- sleep {arg}"
        ))
    };
    assert_exit(&start("2000"), 0);
    let content = std::fs::read_to_string(file).unwrap();
    let (owner, owner_ino) = content.trim().split_once(':').expect("PID:INO in the file");
    let owner: i32 = owner.parse().unwrap();
    ns.wait_for("the owner runs", |_| {
        ns.stat(owner).is_some_and(|p| p.cmdline() == "sleep 2000")
    });
    assert_eq!(owner_ino.parse::<u64>().unwrap(), real_ino(&ns, owner));
    let second = start("2001");
    let line = assert_one_line_error(&second, "setsid-run", 125, "a second start");
    assert!(
        line.contains(&format!("already running as pid {owner}")),
        "{line}"
    );
    let selected = ns.run(
        support::PGTREE,
        ["-F", file, "-o", "pid", "--plain", "--no-headers"],
    );
    assert_exit(&selected, 0);
    assert_eq!(support::stdout(&selected).trim(), owner.to_string());
    // The same pid, an older process, but another inode: not the owner,
    // where a start time would have said it is.
    std::fs::write(file, format!("{owner}:{}\n", real_ino(&ns, owner) + 1)).unwrap();
    let selected = ns.run(support::PGTREE, ["-F", file, "-o", "pid", "--plain"]);
    assert_exit(&selected, 1);
    assert_exit(&start("2002"), 0);
    let output = ns.run(
        support::PGKILL,
        ["-KILL", "--pid", &owner.to_string(), "--wait"],
    );
    assert_exit(&output, 0);
}

/// The fallbacks, forced through the core's test hooks: no inodes (ino
/// null, `ID:INO` refused with one line, exit 2), no exit information
/// (`exit` null, the other keys as ever).
#[test]
fn fallbacks_give_nulls() {
    let Some(ns) = empty() else { return };
    let x = start_leader(&ns, "1000");
    let pgtree = |hooked: bool| {
        let mut command = ns.command(support::PGTREE);
        command.args(["--json", "-o", "pid,ino", "-p", &x.to_string()]);
        if hooked {
            command.env("PROCGROUP_NO_PIDFS", "1");
        }
        support::run(&mut command)
    };
    let output = pgtree(true);
    assert_exit(&output, 0);
    assert_eq!(json(&output), serde_json::json!([{"pid": x, "ino": null}]));
    let mut command = ns.command(support::PGKILL);
    command
        .args(["--pid", &format!("{x}:1")])
        .env("PROCGROUP_NO_PIDFS", "1");
    let output = support::run(&mut command);
    let line = assert_one_line_error(&output, "pgkill", 2, "PID:INO without pidfs");
    assert!(line.contains("Linux 6.9"), "{line}");
    let mut command = ns.command(support::PGKILL);
    command
        .args(["--pid", &x.to_string(), "--wait", "--json"])
        .env("PROCGROUP_NO_PIDFD_INFO", "1");
    let output = support::run(&mut command);
    assert_exit(&output, 0);
    let report = json(&output);
    let e = entry(&report, x);
    assert_eq!(e["outcome"], "exited", "{report}");
    assert_eq!(e["exit"], Value::Null, "{report}");
    assert_eq!(e["escalated"], false, "{report}");
    if !no_pidfs() {
        assert!(e["ino"].is_u64(), "{report}");
    }
}
