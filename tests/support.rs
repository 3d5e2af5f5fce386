//! The harness of the end-to-end tests: scenarios in their own PID
//! namespace, the tools run inside it, and what the kernel says about the
//! namespace's processes, read independently of the code under test.
//!
//! A test builds its processes with a shell script that runs as pid 1 of a
//! fresh PID namespace (`unshare --pid --fork --mount-proc --kill-child`).
//! Only the test's own processes are visible there, so a tool run inside it
//! (`nsenter --target <init> --pid --mount`) sees nothing else, and killing
//! the namespace's init (the [`Namespace`] guard's `Drop`) ends every process
//! of the scenario, also when the test fails. Nothing outside the namespace
//! is ever signalled.
//!
//! Used by the tests of all three tools; not every helper is used by each.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const PGTREE: &str = env!("CARGO_BIN_EXE_pgtree");
pub const PGKILL: &str = env!("CARGO_BIN_EXE_pgkill");
pub const SETSID_RUN: &str = env!("CARGO_BIN_EXE_setsid-run");

/// How long any one condition may take before the test fails. Generous:
/// the machine may be busy; a passing test never waits this long.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// Polls `condition` until it holds; panics naming `what` after [`DEADLINE`].
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    while !condition() {
        assert!(
            start.elapsed() < DEADLINE,
            "timed out after {DEADLINE:?} waiting until {what}"
        );
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// Runs `command` to completion with stdin from /dev/null, collecting its
/// output; kills it (it is our child) if it outlives [`DEADLINE`]. Fails
/// when something it started keeps its stdout or stderr open after it
/// exited (redirect the output of background processes in scripts).
pub fn run(command: &mut Command) -> Output {
    run_with(command, Stdio::piped(), Stdio::piped())
}

/// [`run`] with stdout and stderr as given; what went to a pipe
/// (`Stdio::piped()`) is in the output, the rest is empty there.
pub fn run_with(command: &mut Command, stdout: Stdio, stderr: Stdio) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let rest = DEADLINE.saturating_sub(start.elapsed());
    let held = |_| panic!("{command:?} exited ({status}) but its output is still held open");
    Output {
        status,
        stdout: stdout.recv_timeout(rest).unwrap_or_else(held),
        stderr: stderr.recv_timeout(rest).unwrap_or_else(held),
    }
}

/// Reads a pipe (if there is one) to its end on a thread; the bytes arrive
/// on the channel.
fn drain(pipe: Option<impl Read + Send + 'static>) -> Receiver<Vec<u8>> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        let _ = send.send(bytes);
    });
    receive
}

/// A command that runs in a session of its own, so that it has no
/// controlling terminal whatever terminal runs the tests, in a UTF-8 locale
/// whatever the caller's (pgtree draws its branches in ASCII otherwise; a
/// test of that sets its own).
pub fn detached(program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new(program);
    command.env("LC_ALL", "C.UTF-8");
    // SAFETY: setsid() and signal() are async-signal-safe and touch only
    // the child.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            default_dispositions();
            Ok(())
        });
    }
    command
}

/// Resets every catchable signal to its default action in a child about to
/// exec, so that what a test starts does not inherit an ignored SIGINT or
/// SIGHUP from the test's own caller (`nohup cargo test`, a job started in
/// the background by a non-interactive shell): the scenarios set what they
/// ignore themselves. Async-signal-safe.
pub fn default_dispositions() {
    for signal in 1..=libc::SIGRTMAX() {
        if signal != libc::SIGKILL && signal != libc::SIGSTOP {
            // SAFETY: signal() is async-signal-safe; SIG_DFL for a signal
            // that cannot be caught (32 and 33, glibc's own) fails harmlessly.
            unsafe {
                libc::signal(signal, libc::SIG_DFL);
            }
        }
    }
}

/// Reports that the calling test is skipped, and why; the test then
/// returns. The line goes straight to the process's stderr (not through
/// `eprintln!`, which libtest captures and hides for a passing test), so
/// that `cargo test` shows it next to the test's `ok`. With
/// `PROCGROUP_NO_SKIP=1` (CI, where everything is installed) a skip is a
/// failure instead.
#[track_caller]
pub fn skip(why: &str) {
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

/// Whether PID namespaces can be used here. `Err` with the reason when
/// they are not possible here: the kernel refuses this user a new PID
/// namespace (not root, or a sandbox that forbids it), or the namespaces
/// are switched off. That verdict is kept; the tests that need namespaces
/// skip. Anything else that goes wrong (`unshare` or `nsenter` missing or
/// failing, EAGAIN, ENOMEM) is a failure of the test that asked, not a
/// skip, and is not kept: the next test asks again.
fn namespaces() -> Result<(), String> {
    static NOT_POSSIBLE: OnceLock<Option<String>> = OnceLock::new();
    static POSSIBLE: OnceLock<()> = OnceLock::new();
    if POSSIBLE.get().is_some() {
        return Ok(());
    }
    if let Some(reason) = NOT_POSSIBLE.get_or_init(not_possible) {
        return Err(reason.clone());
    }
    // Possible: then unshare and nsenter must work.
    let probe = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "--kill-child", "true"])
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("cannot run unshare (util-linux): {error}"));
    assert!(
        probe.status.success(),
        "PID namespaces are possible here, yet unshare --pid --fork --mount-proc failed ({}): {}",
        probe.status,
        String::from_utf8_lossy(&probe.stderr).trim()
    );
    let nsenter = Command::new("nsenter")
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("cannot run nsenter (util-linux): {error}"));
    assert!(
        nsenter.status.success(),
        "nsenter --version failed: {}",
        nsenter.status
    );
    let _ = POSSIBLE.set(());
    Ok(())
}

/// Why this process may not make a PID and mount namespace, if it may
/// not: asks the kernel itself, in a child that calls unshare(2).
fn not_possible() -> Option<String> {
    let limit = std::fs::read_to_string("/proc/sys/user/max_pid_namespaces").ok();
    if limit.as_deref().map(str::trim) == Some("0") {
        return Some("user.max_pid_namespaces is 0".to_string());
    }
    let mut probe = Command::new("true");
    // SAFETY: unshare(2) is async-signal-safe and changes only the child
    // (the namespace is its future children's).
    unsafe {
        probe.pre_exec(|| {
            if libc::unshare(libc::CLONE_NEWPID | libc::CLONE_NEWNS) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let error = match probe.stdin(Stdio::null()).status() {
        Ok(_) => return None,
        Err(error) => error,
    };
    // SAFETY: geteuid() cannot fail.
    let euid = unsafe { libc::geteuid() };
    match error.raw_os_error() {
        Some(libc::EPERM) if euid != 0 => Some(format!(
            "not root (euid {euid}): the kernel refuses a new PID namespace ({error})"
        )),
        Some(libc::EPERM) => Some(format!(
            "the kernel refuses root a new PID namespace here (a sandbox?): {error}"
        )),
        Some(libc::EINVAL | libc::ENOSYS) => Some(format!(
            "this kernel has no PID or mount namespaces: {error}"
        )),
        _ => panic!("cannot probe PID namespaces: unshare(CLONE_NEWPID|CLONE_NEWNS): {error}"),
    }
}

/// A scenario running in its own PID namespace. Dropping it kills the
/// namespace's init, which ends every process in the namespace, and reaps
/// the `unshare` that started it.
pub struct Namespace {
    unshare: Child,
    /// The host pid of the namespace's pid 1 (the scenario's shell).
    init: i32,
    /// A pidfd of `init`: signalling through it can never hit a stranger
    /// that got the pid after init died.
    init_fd: OwnedFd,
    /// `/proc/<init>/root/proc`: the namespace's own /proc, seen from here.
    proc: PathBuf,
    dir: PathBuf,
    lines: Receiver<String>,
    vars: BTreeMap<String, String>,
}

impl Namespace {
    /// Starts `script` with `sh` as pid 1 of a new PID namespace and waits
    /// until it has run to its end. The script finds a scratch directory in
    /// `$DIR` (also visible inside); lines it prints as `name=value` are
    /// kept ([`Namespace::var`]). After the script, pid 1 stays alive and
    /// reaps orphans, like an init.
    ///
    /// `None` (after reporting the skip, see [`skip`]) when PID namespaces
    /// are not possible here (see [`namespaces`]); a probe that failed for
    /// another reason, or a script that fails, is a test failure.
    pub fn start(script: &str) -> Option<Namespace> {
        if let Err(reason) = namespaces() {
            skip(&format!("PID namespaces are not available: {reason}"));
            return None;
        }
        let dir = scratch_dir();
        // Init's own sleep exists before the script is declared done, so
        // that the namespace's process table then stands still.
        let body = format!(
            "{script}\nsleep 100000 </dev/null >/dev/null 2>&1 &\necho __ready__\n\
             exec </dev/null >/dev/null 2>&1\nwhile :; do wait; sleep 100000 & done\n"
        );
        std::fs::write(dir.join("scenario.sh"), body).unwrap();
        let mut unshare = detached("unshare");
        // SAFETY: prctl is async-signal-safe. If the test's thread dies
        // without dropping the guard (the test binary is killed), unshare
        // dies with it, and --kill-child takes the namespace along.
        unsafe {
            unshare.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut unshare = unshare
            .args(["--pid", "--fork", "--mount-proc", "--kill-child", "sh"])
            .arg(dir.join("scenario.sh"))
            .env("DIR", &dir)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start unshare");
        let lines = lines_of(unshare.stdout.take().unwrap());
        let stderr = drain(unshare.stderr.take());
        let pid = unshare.id() as i32;
        // unshare forks exactly one child: the namespace's init.
        let mut init = 0;
        wait_until("unshare has forked the namespace's init", || {
            init = children(pid).first().copied().unwrap_or(0);
            init != 0 || unshare.try_wait().unwrap().is_some()
        });
        let init_fd = (init != 0).then(|| pidfd(init)).flatten();
        // Still unshare's child after the pidfd was opened: the fd is init.
        let init_fd = init_fd.filter(|_| host_stat(init).is_some_and(|s| s.ppid == pid));
        let Some(init_fd) = init_fd else {
            let _ = unshare.kill();
            let status = unshare.wait().unwrap();
            let stderr = stderr.recv_timeout(DEADLINE).unwrap_or_default();
            panic!(
                "the scenario's namespace ended at once ({status}): {}",
                String::from_utf8_lossy(&stderr)
            );
        };
        let mut namespace = Namespace {
            unshare,
            init,
            init_fd,
            proc: PathBuf::from(format!("/proc/{init}/root/proc")),
            dir,
            lines,
            vars: BTreeMap::new(),
        };
        loop {
            match namespace.lines.recv_timeout(DEADLINE) {
                Ok(line) if line == "__ready__" => break,
                Ok(line) => {
                    if let Some((name, value)) = line.split_once('=') {
                        namespace.vars.insert(name.to_string(), value.to_string());
                    }
                }
                Err(error) => {
                    drop(namespace);
                    let stderr = stderr.recv_timeout(DEADLINE).unwrap_or_default();
                    let stderr = String::from_utf8_lossy(&stderr).into_owned();
                    let why = match error {
                        RecvTimeoutError::Timeout => "did not finish in time",
                        RecvTimeoutError::Disconnected => "ended before its end",
                    };
                    panic!("the scenario script {why}; its stderr: {stderr}");
                }
            }
        }
        Some(namespace)
    }

    /// A `name=value` the script printed, as a number (typically `$!`).
    pub fn var(&self, name: &str) -> i32 {
        let value = self
            .vars
            .get(name)
            .unwrap_or_else(|| panic!("the scenario printed no {name}="));
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value} is not a number"))
    }

    /// The scratch directory (`$DIR` in the script).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The host pid of the namespace's init.
    pub fn init_host_pid(&self) -> i32 {
        self.init
    }

    /// A command that runs `program` inside the namespace (its pids, its
    /// /proc), in a session of its own outside the namespace: inside, its
    /// pgid, sid and ppid read 0.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = detached("nsenter");
        command
            .arg(format!("--target={}", self.init))
            .args(["--pid", "--mount", "--"])
            .arg(program);
        command
    }

    /// Runs `program args` inside the namespace to completion.
    pub fn run<I, S>(&self, program: impl AsRef<OsStr>, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        run(self.command(program).args(args))
    }

    /// Runs `sh -c script` inside the namespace; `$DIR` is the scratch
    /// directory, `$PGTREE`, `$PGKILL` and `$SETSID_RUN` the tools.
    pub fn sh(&self, script: &str) -> Output {
        run(self
            .command("sh")
            .args(["-c", script])
            .env("DIR", &self.dir)
            .env("PGTREE", PGTREE)
            .env("PGKILL", PGKILL)
            .env("SETSID_RUN", SETSID_RUN))
    }

    /// Starts `setsid COMMAND` in the namespace as its next fork, so that
    /// it gets `pid` (through `ns_last_pid`) and leads a session and group
    /// of its own, as a stranger that took an id would; waits until it
    /// runs, asleep, as `comm`.
    pub fn start_at(&self, pid: i32, command: &str, comm: &[u8]) {
        let output = self.sh(&format!(
            "echo {} > /proc/sys/kernel/ns_last_pid\n\
             setsid {command} </dev/null >/dev/null 2>&1 &\necho $!",
            pid - 1
        ));
        assert_exit(&output, 0);
        let got: i32 = stdout(&output).trim().parse().unwrap();
        assert_eq!(got, pid, "ns_last_pid did not hand pid {pid} over");
        self.wait_for(
            &format!("{command} leads a session of its own as {pid}"),
            |_| {
                self.stat(pid).is_some_and(|p| {
                    p.comm == comm && p.state == 'S' && p.pgid == pid && p.sid == pid
                })
            },
        );
    }

    /// `/proc/<pid>` of the namespace's process `pid`, seen from here.
    pub fn proc_path(&self, pid: i32) -> PathBuf {
        self.proc.join(pid.to_string())
    }

    /// One process of the namespace as the kernel shows it (namespace pid).
    pub fn stat(&self, pid: i32) -> Option<Proc> {
        read_proc(&self.proc, pid)
    }

    /// Every process of the namespace, ordered by pid.
    pub fn processes(&self) -> Vec<Proc> {
        let mut pids: Vec<i32> = std::fs::read_dir(&self.proc)
            .expect("the namespace's /proc")
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
            .collect();
        pids.sort_unstable();
        pids.into_iter().filter_map(|pid| self.stat(pid)).collect()
    }

    /// Polls the namespace's process table until `condition` holds.
    pub fn wait_for(&self, what: &str, mut condition: impl FnMut(&[Proc]) -> bool) {
        wait_until(what, || condition(&self.processes()));
    }

    /// Whether the namespace pid `pid` has exited (gone, or a zombie).
    pub fn is_gone(&self, pid: i32) -> bool {
        self.stat(pid).is_none_or(|p| p.state == 'Z')
    }

    /// The namespace's processes as (host pid, namespace pid).
    pub fn host_pids(&self) -> Vec<(i32, i32)> {
        let Ok(ns) = std::fs::read_link(format!("/proc/{}/ns/pid", self.init)) else {
            return Vec::new();
        };
        let mut pids = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Some(host) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                continue;
            };
            if std::fs::read_link(format!("/proc/{host}/ns/pid")).ok() != Some(ns.clone()) {
                continue;
            }
            let Ok(status) = std::fs::read_to_string(format!("/proc/{host}/status")) else {
                continue;
            };
            let inner = status
                .lines()
                .find_map(|line| line.strip_prefix("NSpid:"))
                .and_then(|ids| ids.split_whitespace().last()?.parse().ok());
            if let Some(inner) = inner {
                pids.push((host, inner));
            }
        }
        pids.sort_unstable();
        pids
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        // SIGKILL to the namespace's init kills every process in it.
        // SAFETY: a raw syscall on a pidfd we own; the NULL siginfo is allowed.
        unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                std::os::fd::AsRawFd::as_raw_fd(&self.init_fd),
                libc::SIGKILL,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            );
        }
        // unshare ends once its child is gone; it is our own unreaped child,
        // so killing it by pid can only hit it.
        let start = Instant::now();
        while self.unshare.try_wait().ok().flatten().is_none() {
            if start.elapsed() > DEADLINE {
                let _ = self.unshare.kill();
                let _ = self.unshare.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh scratch directory under cargo's target/tmp.
fn scratch_dir() -> PathBuf {
    fresh_dir(Path::new(env!("CARGO_TARGET_TMPDIR")), "ns")
}

/// A directory `<root>/<prefix>-<pid>-<n>` made by this call, so no other
/// test run has it: the pid alone does not tell runs apart when each runs
/// in a PID namespace of its own (where the test binary is always pid 2 or
/// so). Its name is unique while it exists, also as a marker.
pub fn fresh_dir(root: &Path, prefix: &str) -> PathBuf {
    std::fs::create_dir_all(root).unwrap();
    fresh_dir_or(root, prefix).unwrap_or_else(|error| panic!("{}: {error}", root.display()))
}

/// [`fresh_dir`] that says why it could not make the directory.
pub fn fresh_dir_or(root: &Path, prefix: &str) -> std::io::Result<PathBuf> {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    loop {
        let dir = root.join(format!(
            "{prefix}-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
}

/// The lines of a pipe, on a channel.
fn lines_of(stdout: ChildStdout) -> Receiver<String> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

/// The children of a host process (its main thread's).
fn children(pid: i32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|pid| pid.parse().ok())
        .collect()
}

/// A pidfd of host process `pid`, `None` when it is gone. Check after
/// opening that the fd is the process meant (e.g. by its parent).
pub fn pidfd(pid: i32) -> Option<OwnedFd> {
    // SAFETY: a raw syscall; the fd it returns is owned below.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    // SAFETY: a fresh fd that nothing else owns.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// A process as `/proc/<pid>/{stat,cmdline}` and the owner of `/proc/<pid>`
/// show it. Parsed here, independently of the code under test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proc {
    pub pid: i32,
    pub comm: Vec<u8>,
    pub state: char,
    pub ppid: i32,
    pub pgid: i32,
    pub sid: i32,
    pub tty_nr: i32,
    pub tpgid: i32,
    pub flags: u32,
    pub uid: u32,
    /// The command line; empty for zombies and kernel threads.
    pub args: Vec<Vec<u8>>,
}

impl Proc {
    pub fn comm(&self) -> String {
        String::from_utf8_lossy(&self.comm).into_owned()
    }

    /// The command line joined by spaces, lossily.
    pub fn cmdline(&self) -> String {
        String::from_utf8_lossy(&self.args.join(&b' ')).into_owned()
    }

    /// The terminal's name as ps shows it, `None` for no terminal.
    pub fn tty(&self) -> Option<String> {
        tty_name(self.tty_nr)
    }

    pub fn is_kernel_thread(&self) -> bool {
        self.flags & 0x0020_0000 != 0
    }
}

/// Reads `<proc>/<pid>`; `None` when the process is gone.
pub fn read_proc(proc: &Path, pid: i32) -> Option<Proc> {
    let dir = proc.join(pid.to_string());
    let uid = std::fs::metadata(&dir).ok()?.uid();
    let stat = std::fs::read(dir.join("stat")).ok()?;
    let cmdline = std::fs::read(dir.join("cmdline")).unwrap_or_default();
    let mut proc = parse_stat(&stat)?;
    proc.uid = uid;
    let cmdline = cmdline.strip_suffix(b"\0").unwrap_or(&cmdline);
    if !cmdline.is_empty() {
        proc.args = cmdline.split(|&b| b == 0).map(<[u8]>::to_vec).collect();
    }
    Some(proc)
}

/// A host process's stat, for the harness's own bookkeeping.
pub fn host_stat(pid: i32) -> Option<Proc> {
    read_proc(Path::new("/proc"), pid)
}

/// `pid (comm) state ppid pgrp session tty_nr tpgid flags ...`, comm being
/// everything between the first `(` and the LAST `)`.
pub fn parse_stat(line: &[u8]) -> Option<Proc> {
    let open = line.iter().position(|&b| b == b'(')?;
    let close = line.iter().rposition(|&b| b == b')')?;
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let rest = text(&line[close + 1..]);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let int = |i: usize| fields.get(i)?.parse::<i64>().ok();
    Some(Proc {
        pid: text(&line[..open]).trim().parse().ok()?,
        comm: line[open + 1..close].to_vec(),
        state: fields.first()?.chars().next()?,
        ppid: int(1)? as i32,
        pgid: int(2)? as i32,
        sid: int(3)? as i32,
        tty_nr: int(4)? as i32,
        tpgid: int(5)? as i32,
        flags: int(6)? as u32,
        uid: 0,
        args: Vec::new(),
    })
}

/// `pts/N`, `ttyN`, `ttySN` from a `tty_nr` (see proc(5)); other devices
/// as `major:minor`.
pub fn tty_name(tty_nr: i32) -> Option<String> {
    if tty_nr == 0 {
        return None;
    }
    let major = (tty_nr as u32 >> 8) & 0xfff;
    let minor = (tty_nr as u32 & 0xff) | ((tty_nr as u32 >> 12) & 0xfff00);
    Some(match major {
        136..=143 => format!("pts/{}", minor + (major - 136) * 256),
        4 if minor < 64 => format!("tty{minor}"),
        4 => format!("ttyS{}", minor - 64),
        _ => format!("{major}:{minor}"),
    })
}

/// A user's name from /etc/passwd, as `ps` would show it.
pub fn user_name(uid: u32) -> Option<String> {
    std::fs::read_to_string("/etc/passwd")
        .ok()?
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.get(2)?.parse::<u32>().ok()? == uid).then(|| fields[0].to_string())
        })
}

/// Undoes the `\xHH` and `\u{hex}` escapes of text output.
pub fn unescape(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 2..i + 4)
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        // `\u{202e}`: the character, as UTF-8.
        let escaped = text
            .get(i..)
            .and_then(|rest| rest.strip_prefix("\\u{"))
            .and_then(|rest| {
                let (hex, _) = rest.split_once('}')?;
                Some((
                    char::from_u32(u32::from_str_radix(hex, 16).ok()?)?,
                    hex.len(),
                ))
            });
        if let Some((c, digits)) = escaped {
            out.extend_from_slice(c.to_string().as_bytes());
            i += 4 + digits;
            continue;
        }
        match (bytes[i], bytes.get(i + 1), hex) {
            (b'\\', Some(b'x'), Some(byte)) => {
                out.push(byte);
                i += 4;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

/// stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

/// stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the exit code, showing the output when it differs.
#[track_caller]
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "exit status {}; stdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        stderr(output)
    );
}

/// A shell script running inside a namespace while the test goes on (see
/// [`Namespace::spawn_sh`]). Dropping it ends its `nsenter` (the test's own
/// child); what it started inside dies with the namespace.
pub struct Background {
    /// `nsenter`, the test's own child; the script is its child inside.
    child: Child,
    stdin: Option<std::process::ChildStdin>,
    lines: Receiver<String>,
    stderr: Option<Receiver<Vec<u8>>>,
}

impl Namespace {
    /// Starts `sh -c script` inside the namespace (environment as in
    /// [`Namespace::sh`]) and returns at once. The test reads the lines it
    /// prints ([`Background::line`]) and writes lines to its stdin
    /// ([`Background::send`]): e.g. the script starts a tool in the
    /// background, prints `pid=$!`, and signals that pid, its own unreaped
    /// child, when the test tells it to. Redirect the output of whatever
    /// outlives the script.
    pub fn spawn_sh(&self, script: &str) -> Background {
        let mut command = self.command("sh");
        command
            .args(["-c", script])
            .env("DIR", &self.dir)
            .env("PGTREE", PGTREE)
            .env("PGKILL", PGKILL)
            .env("SETSID_RUN", SETSID_RUN)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
        Background {
            stdin: child.stdin.take(),
            lines: lines_of(child.stdout.take().unwrap()),
            stderr: Some(drain(child.stderr.take())),
            child,
        }
    }
}

impl Background {
    /// The next line the script prints; fails after [`DEADLINE`] or when
    /// the script ended without one.
    pub fn line(&self) -> String {
        self.lines
            .recv_timeout(DEADLINE)
            .unwrap_or_else(|error| panic!("the background script printed no line: {error}"))
    }

    /// The next line, which must be `name=N`: N.
    pub fn var(&self, name: &str) -> i32 {
        let line = self.line();
        line.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('='))
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("expected {name}=<number> from the script, got {line:?}"))
    }

    /// Writes `line` to the script's stdin.
    pub fn send(&mut self, line: &str) {
        use std::io::Write;
        let stdin = self.stdin.as_mut().expect("the script's stdin is open");
        writeln!(stdin, "{line}")
            .and_then(|()| stdin.flush())
            .expect("cannot write to the background script");
    }

    /// Closes the script's stdin and waits until it ends: its exit status
    /// and stderr. Fails after [`DEADLINE`].
    pub fn finish(mut self) -> (std::process::ExitStatus, String) {
        drop(self.stdin.take());
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "the background script did not end within {DEADLINE:?}"
            );
            std::thread::sleep(Duration::from_millis(1));
        };
        let stderr = self
            .stderr
            .take()
            .unwrap()
            .recv_timeout(DEADLINE.saturating_sub(start.elapsed()))
            .unwrap_or_default();
        (status, String::from_utf8_lossy(&stderr).into_owned())
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        // Our own child, unreaped unless it ended: its pid is still its own.
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Asserts a refusal by `tool`: exit `code`, nothing on stdout, exactly one
/// line on stderr starting `<tool>: error: `, no panic. Returns that line.
#[track_caller]
pub fn assert_one_line_error(output: &Output, tool: &str, code: i32, what: &str) -> String {
    let stderr = stderr(output);
    let context = format!("{tool} {what}: status {}, stderr {stderr:?}", output.status);
    assert_eq!(output.status.code(), Some(code), "{context}");
    assert!(
        output.stdout.is_empty(),
        "{context}, stdout {:?}",
        stdout(output)
    );
    assert!(stderr.starts_with(&format!("{tool}: error: ")), "{context}");
    assert!(stderr.ends_with('\n'), "{context}");
    assert_eq!(stderr.lines().count(), 1, "{context}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{context}"
    );
    stderr.trim_end().to_string()
}

/// Values that name no PID, PGID or SID.
pub const BAD_IDS: &[&str] = &[
    "0",
    "-5",
    "-0",
    "-1",
    "2147483648",
    "99999999999999999999",
    "abc",
    "12a",
    " 1",
    "+1",
    "",
    "1,,2",
    "1,",
    "0x10",
    "1.0",
];

/// Arguments with a bad id for each id option (`-p 0`, `--pid=0`, …), and
/// each option without its value: usage errors for pgtree and pgkill.
pub fn bad_id_cases() -> Vec<Vec<String>> {
    let mut cases = Vec::new();
    for flag in ["-p", "--pid", "-g", "--pgid", "-s", "--sid"] {
        for value in BAD_IDS {
            cases.push(vec![flag.to_string(), value.to_string()]);
            cases.push(vec![format!("{flag}={value}")]);
        }
        cases.push(vec![flag.to_string()]);
    }
    for flag in ["-p", "-g", "-s"] {
        cases.push(vec![format!("{flag}0")]);
    }
    cases.push(vec!["-p".into(), "self".into()]);
    cases.push(vec!["-s".into(), "selff".into()]);
    cases
}

// ---------------------------------------------------------------------------
// What a process's /proc/<pid>/status says, and host processes by parent.

impl Namespace {
    /// `/proc/<pid>/status` of a namespace pid; `None` when it is gone.
    pub fn status(&self, pid: i32) -> Option<String> {
        std::fs::read_to_string(self.proc.join(pid.to_string()).join("status")).ok()
    }

    /// The `TracerPid:` of a namespace pid (0: not traced); `None` when it
    /// is gone.
    pub fn tracer(&self, pid: i32) -> Option<i32> {
        let status = self.status(pid)?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("TracerPid:"))
            .and_then(|value| value.trim().parse().ok())
    }
}

/// A signal mask line (`SigPnd:`, `ShdPnd:`, `SigBlk:`, `SigIgn:`,
/// `SigCgt:`) of a `/proc/<pid>/status` text, as a bit set (bit N-1 is
/// signal N); 0 when the line is missing.
pub fn signal_mask(status: &str, key: &str) -> u64 {
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .map_or(0, |hex| u64::from_str_radix(hex.trim(), 16).unwrap())
}

/// The bit of `signal` in a mask of /proc/<pid>/status.
pub fn signal_bit(signal: i32) -> u64 {
    1 << (signal - 1)
}

/// The signals pending for a namespace pid, thread-directed and shared
/// (`SigPnd`, `ShdPnd`); (0, 0) when it is gone.
pub fn pending_signals(ns: &Namespace, pid: i32) -> (u64, u64) {
    let status = ns.status(pid).unwrap_or_default();
    (
        signal_mask(&status, "SigPnd:"),
        signal_mask(&status, "ShdPnd:"),
    )
}

/// The child named `comm` of host process `parent` (host pids), once it
/// has one.
pub fn only_child(parent: i32, comm: &str) -> i32 {
    let mut found = None;
    wait_until(&format!("{parent} has a child {comm}"), || {
        found = children(parent)
            .into_iter()
            .find(|&pid| host_stat(pid).is_some_and(|p| p.comm == comm.as_bytes()));
        found.is_some()
    });
    found.unwrap()
}

/// Sends `signal` through a pidfd; the error when the kernel refuses.
pub fn pidfd_signal(fd: &OwnedFd, signal: i32) -> std::io::Result<()> {
    // SAFETY: a raw syscall on a pidfd we own; the NULL siginfo is allowed.
    let result = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            std::os::fd::AsRawFd::as_raw_fd(fd),
            signal,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

// ---------------------------------------------------------------------------
// A terminal: tmux, its server started inside a namespace.

/// Whether tmux is here (`.ci/run` installs it); skips otherwise.
pub fn have_tmux() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        skip("tmux is not installed (.ci/run installs it)");
    }
    ok
}

/// A tmux server running inside a namespace, reached through its socket.
/// The scenario script starts it (see [`Tmux::START`]); every client runs
/// inside the namespace, so the pane's pids are the namespace's.
pub struct Tmux<'a> {
    ns: &'a Namespace,
    socket: PathBuf,
}

impl<'a> Tmux<'a> {
    /// Script lines that start a tmux server with one 120x30 pane running
    /// an interactive bash without startup files, prompt `$ `, its socket
    /// `$DIR/tmux.sock`; they print `pane=<pid of that bash>`.
    pub const START: &'static str = r#"tmux -S "$DIR/tmux.sock" -f /dev/null new-session -d -x 120 -y 30     -e 'PS1=$ ' -e 'PROMPT_COMMAND=' -e 'HISTFILE=/dev/null'     bash --norc --noprofile -i </dev/null >/dev/null 2>&1
echo pane=$(tmux -S "$DIR/tmux.sock" display-message -p '#{pane_pid}')
"#;

    /// The server that [`Tmux::START`] started in `ns`.
    pub fn new(ns: &'a Namespace) -> Tmux<'a> {
        Tmux {
            ns,
            socket: ns.dir().join("tmux.sock"),
        }
    }

    /// Runs `tmux -S <socket> args` inside the namespace; fails unless it
    /// succeeds.
    pub fn tmux(&self, args: &[&str]) -> Output {
        let mut all: Vec<&OsStr> = vec![OsStr::new("-S"), self.socket.as_os_str()];
        all.extend(args.iter().map(OsStr::new));
        let output = self.ns.run("tmux", all);
        assert!(
            output.status.success(),
            "tmux {args:?}: {}: {}",
            output.status,
            stderr(&output)
        );
        output
    }

    /// Types `text` literally into the pane (no key names), then Enter.
    pub fn type_line(&self, text: &str) {
        self.tmux(&["send-keys", "-l", text]);
        self.tmux(&["send-keys", "Enter"]);
    }

    /// Sends tmux key names (`C-z`, `Enter`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend(keys);
        self.tmux(&args);
    }

    /// What the pane shows, a line per row, trailing blank rows dropped.
    pub fn screen(&self) -> Vec<String> {
        let output = self.tmux(&["capture-pane", "-p", "-J"]);
        let mut rows: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|row| row.trim_end().to_string())
            .collect();
        while rows.last().is_some_and(String::is_empty) {
            rows.pop();
        }
        rows
    }

    /// Waits until the pane shows what `condition` accepts; its rows.
    pub fn wait_for_screen(
        &self,
        what: &str,
        mut condition: impl FnMut(&[String]) -> bool,
    ) -> Vec<String> {
        let start = Instant::now();
        loop {
            let rows = self.screen();
            if condition(&rows) {
                return rows;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out after {DEADLINE:?} waiting until the pane shows {what}; it shows:\n{}",
                rows.join("\n")
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Ends the tmux server (and the pane's bash with it).
    pub fn kill_server(&self) {
        let _ = self.ns.run(
            "tmux",
            [
                OsStr::new("-S"),
                self.socket.as_os_str(),
                OsStr::new("kill-server"),
            ],
        );
    }
}

/// Whether strace is here (`.ci/run` installs it); skips otherwise.
pub fn have_strace() -> bool {
    let ok = Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        skip("strace is not installed (.ci/run installs it)");
    }
    ok
}

/// A `perl` command line (for a `sh -c '…'`) that vforks a child which
/// leaves the session (setsid) and pauses for ever, never exec'ing: the
/// vfork parent waits in the kernel, uninterruptibly, where no ptrace
/// freeze reaches it. The system call numbers are x86_64's: `None` (after
/// reporting the skip) elsewhere.
pub fn vfork_held_by_an_outsider() -> Option<&'static str> {
    if std::env::consts::ARCH != "x86_64" {
        skip("the vfork helper's system call numbers are x86_64's");
        return None;
    }
    // vfork (58); in the child, setsid (112) and pause (34).
    Some(
        r#"perl -e "my \$p = syscall(58); if (\$p == 0) { syscall(112); syscall(34) while 1 } sleep 1000""#,
    )
}

/// The vfork parent (in session `sid`, held in the kernel) and its child
/// (in a session of its own) that [`vfork_held_by_an_outsider`] makes,
/// once both are there.
pub fn vfork_pair(ns: &Namespace, sid: i32) -> (i32, i32) {
    let (mut parent, mut child) = (0, 0);
    ns.wait_for("the vfork parent held by its child", |ps| {
        let perl = |p: &&Proc| p.comm == b"perl";
        parent = ps
            .iter()
            .filter(perl)
            .find(|p| p.sid == sid && p.state == 'D')
            .map_or(0, |p| p.pid);
        child = ps
            .iter()
            .filter(perl)
            .find(|p| p.sid == p.pid && p.ppid == parent)
            .map_or(0, |p| p.pid);
        parent != 0 && child != 0
    });
    (parent, child)
}

/// Who traces process `pid` (its `TracerPid`, "0" for nobody).
pub fn tracer_of(ns: &Namespace, pid: i32) -> Option<String> {
    std::fs::read_to_string(ns.proc_path(pid).join("status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("TracerPid:"))
        .map(|t| t.trim().to_string())
}
