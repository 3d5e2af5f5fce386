//! PID reuse, made deterministic inside a PID namespace: a target resolved
//! from a snapshot dies, its PID goes to a newcomer (through
//! /proc/sys/kernel/ns_last_pid), and delivery must not touch the newcomer.
//!
//! The test re-runs itself as pid 1 of a new PID namespace, where it owns
//! every process and may set ns_last_pid.

use std::process::{Child, Command, Stdio};

use procgroup::deliver::{self, Delivery, Outcome, Target};
use procgroup::{Pid, Signal};

const INSIDE: &str = "PROCGROUP_TEST_IN_NAMESPACE";

/// Reports that the calling test is skipped, and why, straight to stderr
/// (libtest hides what `eprintln!` writes in a passing test); a failure
/// instead with `PROCGROUP_NO_SKIP=1`. A copy of `skip` in the top-level
/// tests/support.rs, which this test crate cannot use.
#[track_caller]
fn skip(why: &str) {
    let thread = std::thread::current();
    let test = thread.name().filter(|name| *name != "main");
    let line = match test {
        Some(test) => format!("skipped: {test}: {why}\n"),
        None => format!("skipped: {why}\n"),
    };
    if std::env::var_os("PROCGROUP_NO_SKIP").is_some_and(|value| value == "1") {
        panic!(
            "PROCGROUP_NO_SKIP=1, yet the test would be {}",
            line.trim_end()
        );
    }
    use std::io::Write;
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Runs `test` as pid 1 of a new PID namespace; `false` when this already
/// is that run. Skips (true, with a message) where namespaces are missing.
fn rerun_in_namespace(test: &str) -> bool {
    if std::env::var_os(INSIDE).is_some() {
        return false;
    }
    let probe = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "--kill-child", "true"])
        .stderr(Stdio::null())
        .status();
    if !probe.is_ok_and(|status| status.success()) {
        skip("cannot create a PID namespace here (needs root and unshare)");
        return true;
    }
    let status = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "--kill-child"])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1")
        .status()
        .unwrap();
    assert!(status.success(), "{test} failed inside its namespace");
    true
}

/// A sleep that is killed and reaped when dropped.
struct Sleeper(Child);

impl Sleeper {
    fn start() -> Sleeper {
        Sleeper(Command::new("sleep").arg("100").spawn().unwrap())
    }
    fn pid(&self) -> Pid {
        Pid::from_raw(self.0.id() as i32)
    }
    fn is_alive(&mut self) -> bool {
        self.0.try_wait().unwrap().is_none()
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Hands `pid` to the next process forked in this namespace.
fn next_pid_is(pid: Pid) {
    std::fs::write(
        "/proc/sys/kernel/ns_last_pid",
        (pid.as_raw() - 1).to_string(),
    )
    .unwrap();
}

#[test]
fn a_reused_pid_is_never_signalled() {
    if rerun_in_namespace("a_reused_pid_is_never_signalled") {
        return;
    }
    let mut original = Sleeper::start();
    let pid = original.pid();
    let plan = deliver::resolve(&[Target::Pid(pid)]).unwrap();
    assert_eq!(plan.processes().len(), 1);

    // The original dies and is reaped; its PID goes to a newcomer.
    original.0.kill().unwrap();
    original.0.wait().unwrap();
    next_pid_is(pid);
    let mut newcomer = Sleeper::start();
    assert_eq!(newcomer.pid(), pid, "ns_last_pid did not hand the PID over");

    let mut delivery = Delivery::new(Signal::KILL);
    delivery.send(&plan).unwrap();
    let entries = delivery.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].outcome, Outcome::Vanished);
    assert!(
        newcomer.is_alive(),
        "the newcomer with the reused PID was signalled"
    );
}

#[test]
fn waiting_ends_when_the_original_dies_not_the_newcomer() {
    if rerun_in_namespace("waiting_ends_when_the_original_dies_not_the_newcomer") {
        return;
    }
    let mut original = Sleeper::start();
    let pid = original.pid();
    let plan = deliver::resolve(&[Target::Pid(pid)]).unwrap();
    // A signal it survives, so that the wait has something to wait for.
    let mut delivery = Delivery::new(Signal::CONT);
    delivery.send(&plan).unwrap();

    original.0.kill().unwrap();
    original.0.wait().unwrap();
    next_pid_is(pid);
    let mut newcomer = Sleeper::start();
    assert_eq!(newcomer.pid(), pid);

    let gone = delivery
        .wait(Some(std::time::Duration::from_secs(5)), None)
        .unwrap();
    assert!(gone, "the wait took the newcomer for the original");
    assert_eq!(delivery.entries()[0].outcome, Outcome::Exited);
    assert!(newcomer.is_alive());
}
