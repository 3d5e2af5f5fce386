//! Forking the child ourselves: with std's `Command` where the child must
//! make ioctls before its exec (a controlling terminal, the foreground) or
//! `posix_spawn` cannot run the file, and by hand for a gated start: the
//! child, set up, waits on a pipe (the gate) until we let it exec, so that
//! we can act on it first, knowing its pid.
//!
//! A sealed start moves the child into its leaf at the gate: the command
//! and all it forks start inside (see [`crate::cgroup`]).
//!
//! A held start stops the command at its first instruction, once its exec
//! has succeeded, so that the caller can say it started (print its pid)
//! before the command says anything. The child, set up, waits on a pipe
//! until we have seized it (`PTRACE_SEIZE` with `PTRACE_O_TRACEEXEC`); its
//! exec then ends in an event stop, where it stays until
//! [`Held::release`] detaches it. Should we die in between, the kernel
//! detaches it and it runs on; should we die before the child execs, it
//! does not exec. Where tracing is refused (Yama's `ptrace_scope` 3, a
//! seccomp policy) or would take privileges from the program (a set-user-ID
//! file), the start is not held.

use std::ffi::{CString, OsStr};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use super::{Scope, Spawn};
use crate::cgroup::{self, Leaf};
use crate::{Pid, Sid};

/// What the child sets up between fork and exec, in both forks.
#[derive(Clone, Copy)]
struct Setup {
    scope: Scope,
    controlling_tty: bool,
    foreground: bool,
}

impl Setup {
    fn of(spawn: &Spawn) -> Setup {
        Setup {
            scope: spawn.scope,
            controlling_tty: spawn.controlling_tty,
            foreground: spawn.foreground,
        }
    }
}

/// What the child does between fork and exec, in both forks: lead a new
/// session or group, take the terminal, unblock every signal.
///
/// # Safety
/// Only in a child between fork and exec: it makes only async-signal-safe
/// calls (setsid, setpgid, ioctl, sigemptyset, sigaddset, sigprocmask,
/// tcsetpgrp, getpid).
unsafe fn prepare_child(setup: Setup) -> io::Result<()> {
    let Setup {
        scope,
        controlling_tty,
        foreground,
    } = setup;
    let result = match scope {
        Scope::Session => libc::setsid(),
        Scope::Group => libc::setpgid(0, 0),
    };
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    if controlling_tty && libc::ioctl(libc::STDIN_FILENO, libc::TIOCSCTTY, 1) < 0 {
        return Err(io::Error::last_os_error());
    }
    // From the background, tcsetpgrp() raises SIGTTOU: blocked here (the
    // mask is emptied below).
    if foreground {
        let mut ttou = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
        libc::sigemptyset(ttou.as_mut_ptr());
        libc::sigaddset(ttou.as_mut_ptr(), libc::SIGTTOU);
        libc::sigprocmask(libc::SIG_BLOCK, ttou.as_ptr(), std::ptr::null_mut());
        if libc::tcsetpgrp(libc::STDIN_FILENO, libc::getpid()) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    // The caller may block signals to forward them (`Signals`); the
    // command starts with none blocked.
    let mut none = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
    libc::sigemptyset(none.as_mut_ptr());
    if libc::sigprocmask(libc::SIG_SETMASK, none.as_ptr(), std::ptr::null_mut()) < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Forks with std's `Command`, which makes the child lead a new session
/// (or group), applies the terminal and stdio, and execs the file `path`
/// (`execvp`: a file that is no executable runs with `/bin/sh`).
pub(super) fn with_command(spawn: Spawn, path: &Path) -> io::Result<std::process::Child> {
    let setup = Setup::of(&spawn);
    let mut command = Command::new(path);
    command.arg0(&spawn.command[0]).args(&spawn.command[1..]);
    for (file, set) in [
        (
            spawn.stdin,
            Command::stdin as fn(&mut Command, Stdio) -> &mut Command,
        ),
        (spawn.stdout, Command::stdout),
        (spawn.stderr, Command::stderr),
    ] {
        if let Some(file) = file {
            set(&mut command, Stdio::from(file));
        }
    }
    // SAFETY: the closure runs in the child between fork and exec, and
    // prepare_child makes only async-signal-safe calls.
    unsafe {
        command.pre_exec(move || prepare_child(setup));
    }
    command.spawn()
}

/// A child started held: stopped after its exec until released.
#[derive(Debug)]
pub(super) struct Held {
    pid: Pid,
    /// Whether it is traced by us (and stopped at its exec, unless a signal
    /// since ended it); `false` once released, or where tracing was not
    /// possible.
    traced: bool,
}

impl Held {
    /// Lets the command run: detaches it. Once done, does nothing.
    pub fn release(&mut self) {
        if std::mem::take(&mut self.traced) {
            detach(self.pid, 0);
        }
    }
}

/// `PTRACE_DETACH` of our tracee `pid`, delivering `signal` (0: none).
/// A tracee that is gone (killed meanwhile) needs nothing.
fn detach(pid: Pid, signal: i32) {
    // SAFETY: PTRACE_DETACH of a process we trace; no address, the signal
    // as data.
    unsafe { libc::ptrace(libc::PTRACE_DETACH, pid.as_raw(), 0, signal) };
}

/// A pipe whose both ends close on exec.
fn pipe() -> io::Result<(File, File)> {
    let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    Ok((File::from(read), File::from(write)))
}

/// A gated start, done.
pub(super) struct Gated {
    pub pid: Pid,
    /// The hold (a start not held has one that holds nothing).
    pub held: Held,
    /// Its status, where it ended (was killed) before its exec was seen.
    pub status: Option<ExitStatus>,
    /// Its leaf, sealed.
    pub leaf: Option<Leaf>,
}

/// Why a gated start failed.
pub(super) enum GateError {
    /// The fork, the child's set-up or its exec.
    Start(io::Error),
    /// The leaf (its path): made, or the child moved in. The child did
    /// not exec.
    Seal(PathBuf, io::Error),
}

impl From<io::Error> for GateError {
    fn from(error: io::Error) -> GateError {
        GateError::Start(error)
    }
}

/// Forks and execs `spawn`'s command from the file `path`, gated (see the
/// module's comment): held if `spawn.held`, sealed if `spawn.seal`.
pub(super) fn gated(spawn: &Spawn, path: &Path) -> Result<Gated, GateError> {
    let c_path = c_string(path.as_os_str())?;
    let args: Vec<CString> = spawn
        .command
        .iter()
        .map(|arg| c_string(arg))
        .collect::<io::Result<_>>()?;
    let mut argv: Vec<*const libc::c_char> = args.iter().map(|arg| arg.as_ptr()).collect();
    argv.push(std::ptr::null());
    // A file that is no executable runs with /bin/sh, as execvp runs it.
    let mut with_sh = vec![c"/bin/sh".as_ptr(), c_path.as_ptr()];
    with_sh.extend_from_slice(&argv[1..]);
    let stdio: Vec<(RawFd, RawFd)> = [
        (&spawn.stdin, libc::STDIN_FILENO),
        (&spawn.stdout, libc::STDOUT_FILENO),
        (&spawn.stderr, libc::STDERR_FILENO),
    ]
    .into_iter()
    .filter_map(|(file, target)| file.as_ref().map(|file| (file.as_raw_fd(), target)))
    .collect();
    let (gate_read, mut gate_write) = pipe()?;
    let (mut report_read, report_write) = pipe()?;
    let setup = Setup::of(spawn);

    // SAFETY: fork in a process that may have threads: the child makes only
    // async-signal-safe calls (close, dup2, fcntl, signal, read, write,
    // execv, _exit and prepare_child's) on memory prepared before the fork,
    // and allocates nothing.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error().into());
    }
    if pid == 0 {
        // SAFETY: the child, between fork and exec; see above.
        unsafe {
            let fail = |errno: i32| -> ! {
                let bytes = errno.to_ne_bytes();
                libc::write(report_write.as_raw_fd(), bytes.as_ptr().cast(), bytes.len());
                libc::_exit(125)
            };
            libc::close(gate_write.as_raw_fd());
            for &(fd, target) in &stdio {
                // dup2 onto itself keeps close-on-exec: clear it instead.
                let done = if fd == target {
                    libc::fcntl(fd, libc::F_SETFD, 0)
                } else {
                    libc::dup2(fd, target)
                };
                if done < 0 {
                    fail(errno());
                }
            }
            // std ignores SIGPIPE in its programs: the command gets the
            // default action.
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            if let Err(error) = prepare_child(setup) {
                fail(error.raw_os_error().unwrap_or(libc::EIO));
            }
            let mut go = 0u8;
            loop {
                match libc::read(gate_read.as_raw_fd(), (&mut go as *mut u8).cast(), 1) {
                    1 => break,
                    // Our parent is gone before it let us go: nobody
                    // would know the command runs.
                    0 => libc::_exit(125),
                    _ if errno() == libc::EINTR => {}
                    _ => libc::_exit(125),
                }
            }
            libc::execv(c_path.as_ptr(), argv.as_ptr());
            if errno() == libc::ENOEXEC {
                libc::execv(c"/bin/sh".as_ptr(), with_sh.as_ptr());
            }
            fail(errno())
        }
    }
    let pid = Pid::from_raw(pid);
    drop((gate_read, report_write));
    let leaf = match &spawn.seal {
        None => None,
        Some(parent) => match seal(parent, pid) {
            Ok(leaf) => Some(leaf),
            Err(error) => {
                // The gate closes unopened: the child exits, unexec'd.
                drop(gate_write);
                reap(pid);
                return Err(error);
            }
        },
    };
    let traced = spawn.held && !super::path::gains_privileges(path) && seize(pid);
    gate_write.write_all(b"x")?;
    drop(gate_write);
    let mut held = Held { pid, traced };
    let status = if traced { held.wait_for_exec() } else { None };
    let mut errno = [0u8; 4];
    match report_read.read(&mut errno)? {
        0 => Ok(Gated {
            pid,
            held,
            status,
            leaf,
        }),
        _ => {
            held.release();
            if status.is_none() {
                reap(pid);
            }
            if let Some(leaf) = leaf {
                let _ = leaf.wait_empty(None);
                let _ = leaf.remove();
            }
            Err(GateError::Start(io::Error::from_raw_os_error(
                i32::from_ne_bytes(errno),
            )))
        }
    }
}

/// Makes the leaf of the session that child `pid` leads under `parent`,
/// and moves the child in.
fn seal(parent: &Path, pid: Pid) -> Result<Leaf, GateError> {
    let sid = Sid::from_raw(pid.as_raw());
    let leaf = Leaf::create(parent, sid)
        .map_err(|error| GateError::Seal(parent.join(cgroup::leaf_name(sid)), error))?;
    if let Err(error) = leaf.admit(pid) {
        let _ = leaf.remove();
        return Err(GateError::Seal(leaf.path().to_path_buf(), error));
    }
    Ok(leaf)
}

/// `PTRACE_SEIZE` of our child `pid`, to stop at its exec; whether it worked.
fn seize(pid: Pid) -> bool {
    // SAFETY: PTRACE_SEIZE of our own child; the options as data.
    unsafe {
        libc::ptrace(
            libc::PTRACE_SEIZE,
            pid.as_raw(),
            0,
            libc::PTRACE_O_TRACEEXEC,
        ) == 0
    }
}

impl Held {
    /// Waits, tracing, until the child stops at its exec (it stays traced)
    /// or ends before it (its status, reaped). A signal that reaches it on
    /// the way is delivered; a stop for a signal that stops it (someone
    /// else's SIGSTOP) lets it go untraced, stopped.
    fn wait_for_exec(&mut self) -> Option<ExitStatus> {
        /// `PTRACE_EVENT_STOP`: a group stop of a seized child.
        const PTRACE_EVENT_STOP: i32 = 128;
        loop {
            let mut raw = 0;
            // SAFETY: waitpid of our own child, with a valid status pointer.
            if unsafe { libc::waitpid(self.pid.as_raw(), &mut raw, libc::__WALL) } < 0 {
                if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                self.traced = false;
                return None;
            }
            if !libc::WIFSTOPPED(raw) {
                self.traced = false;
                return Some(ExitStatus::from_raw(raw));
            }
            let signal = libc::WSTOPSIG(raw);
            match raw >> 16 {
                libc::PTRACE_EVENT_EXEC => return None,
                PTRACE_EVENT_STOP => {
                    self.release();
                    return None;
                }
                // SAFETY: PTRACE_CONT of our stopped tracee, delivering the
                // signal it stopped for.
                _ => unsafe {
                    libc::ptrace(libc::PTRACE_CONT, self.pid.as_raw(), 0, signal);
                },
            }
        }
    }
}

/// Reaps our child `pid`, which ended or is about to.
fn reap(pid: Pid) {
    let mut raw = 0;
    // SAFETY: waitpid of our own child, with a valid status pointer.
    while unsafe { libc::waitpid(pid.as_raw(), &mut raw, 0) } < 0
        && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
    {}
}

/// The error number of the last call that failed.
fn errno() -> i32 {
    io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// `text` as a C string; one with a NUL byte cannot be passed to exec.
fn c_string(text: &OsStr) -> io::Result<CString> {
    CString::new(text.as_bytes()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "an argument contains a NUL byte",
        )
    })
}
