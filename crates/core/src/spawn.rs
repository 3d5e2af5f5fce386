//! Spawning a command into a new session (or a new group), and watching it.
//!
//! The child always forks from us: a group leader cannot call setsid(),
//! and always forking keeps the behaviour the same from a shell and from a
//! script. `start` returns only once the exec happened or failed, and an
//! exec failure is reported to the caller.
//!
//! On Linux the child is started with `posix_spawnp` and
//! `POSIX_SPAWN_SETSID` (or `POSIX_SPAWN_SETPGROUP`): the C library
//! starts it with `vfork` semantics, sharing our memory until it execs,
//! so nothing of ours is copied, and reports an exec failure itself. With
//! `controlling_tty` or `foreground` (ioctls in the child), and where that path cannot
//! do exactly what std's `Command` does (a file that is not an executable
//! at all: `execvp` then runs it with `/bin/sh`, `posix_spawnp` does not),
//! std's `Command` forks instead, and reports an exec failure through a
//! close-on-exec pipe.
//!
//! ```no_run
//! use procgroup::spawn::{Scope, Spawn, SpawnError};
//!
//! let child = Spawn {
//!     command: vec!["sleep".into(), "60".into()],
//!     scope: Scope::Session,
//!     controlling_tty: false,
//!     foreground: false,
//!     stdin: None,
//!     stdout: None,
//!     stderr: None,
//! }
//! .start()?;
//! assert_eq!(child.pid.as_raw(), child.sid.as_raw()); // it leads its session
//! # Ok::<(), SpawnError>(())
//! ```

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Instant;

use nix::sys::signal::{SigSet, SigmaskHow};
use nix::sys::signalfd::{SfdFlags, SignalFd};

use crate::pidfd::{self, PidFd};
use crate::{Pgid, Pid, Sid, Signal};

/// What the child leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// A new session (and group): setsid().
    Session,
    /// Only a new process group in the caller's session: setpgid(0, 0).
    Group,
}

/// How to start the command.
#[derive(Debug)]
pub struct Spawn {
    /// The program and its arguments.
    pub command: Vec<OsString>,
    /// A new session, or only a new group.
    pub scope: Scope,
    /// Make the caller's terminal (on stdin) the new session's
    /// controlling terminal.
    pub controlling_tty: bool,
    /// Make the new group (with [`Scope::Group`]) the foreground group of
    /// the caller's terminal (on stdin), as a shell does for a job: in the
    /// child before exec and in the caller after, so that the command never
    /// reads the terminal from the background.
    pub foreground: bool,
    /// `None` inherits the caller's.
    /// The command's stdin; `None` inherits the caller's.
    pub stdin: Option<File>,
    /// Its stdout; `None` inherits.
    pub stdout: Option<File>,
    /// Its stderr; `None` inherits.
    pub stderr: Option<File>,
}

/// Why the command did not start.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// The program does not exist (the shell's 127). In bash's words: a
    /// name looked up in PATH is "command not found", a path is "No such
    /// file or directory".
    #[error("{program}: {}", if program.contains('/') { "No such file or directory" } else { "command not found" })]
    NotFound {
        /// The program as given.
        program: String,
    },
    /// It exists but cannot be executed (the shell's 126).
    #[error("{program}: cannot execute: {}", reason(program, source))]
    NotExecutable {
        /// The program as given.
        program: String,
        /// Why exec refused it.
        source: io::Error,
    },
    /// Starting it failed for another reason (fork, setsid).
    #[error("cannot start {program}: {}", reason(program, source))]
    Failed {
        /// The program as given.
        program: String,
        /// What failed.
        source: io::Error,
    },
}

/// Why exec refused `program`, as a shell says it: the system's words
/// without Rust's "(os error N)", and a directory named as one (exec says
/// only "Permission denied").
fn reason(program: &str, error: &io::Error) -> String {
    if error.raw_os_error() == Some(libc::EACCES) && std::path::Path::new(program).is_dir() {
        return "Is a directory".to_string();
    }
    let text = error.to_string();
    text.split(" (os error ")
        .next()
        .unwrap_or(&text)
        .to_string()
}

impl SpawnError {
    /// The exit code a shell would use: 127, 126, or 125 for our failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            SpawnError::NotFound { .. } => 127,
            SpawnError::NotExecutable { .. } => 126,
            SpawnError::Failed { .. } => 125,
        }
    }
}

/// A started command.
#[derive(Debug)]
pub struct Child {
    /// Its pid.
    pub pid: Pid,
    /// Its group (its own pid).
    pub pgid: Pgid,
    /// Its session: its own pid, or the caller's with [`Scope::Group`].
    pub sid: Sid,
    inner: Handle,
    pidfd: PidFd,
}

/// How the child was started, to wait for it.
#[derive(Debug)]
enum Handle {
    /// Forked by std's `Command`.
    Forked(std::process::Child),
    /// Started by `posix_spawnp`; its status once reaped.
    Spawned {
        pid: Pid,
        status: Option<ExitStatus>,
    },
}

impl Handle {
    /// Reaps the child, waiting if it has not exited; once reaped, its
    /// status again (as std's `Child::wait`).
    fn wait(&mut self) -> io::Result<ExitStatus> {
        match self {
            Handle::Forked(child) => child.wait(),
            Handle::Spawned { pid, status } => {
                if let Some(status) = status {
                    return Ok(*status);
                }
                let mut raw = 0;
                loop {
                    // SAFETY: waitpid of our own child, with a valid status pointer.
                    if unsafe { libc::waitpid(pid.as_raw(), &mut raw, 0) } >= 0 {
                        let exited = ExitStatus::from_raw(raw);
                        *status = Some(exited);
                        return Ok(exited);
                    }
                    let error = io::Error::last_os_error();
                    if error.kind() != io::ErrorKind::Interrupted {
                        return Err(error);
                    }
                }
            }
        }
    }
}

impl Spawn {
    /// Forks, makes the child lead a new session (or group), applies the
    /// terminal and stdio, execs. Returns once the exec has happened.
    pub fn start(self) -> Result<Child, SpawnError> {
        let program = self
            .command
            .first()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let scope = self.scope;
        let foreground = self.foreground;
        let inner = match self.posix_spawn() {
            Some(Ok(pid)) => Handle::Spawned { pid, status: None },
            // Not an executable: execvp (below) runs it with /bin/sh. And
            // a C library too old for POSIX_SPAWN_SETSID refuses the flag.
            Some(Err(error))
                if error.raw_os_error() == Some(libc::ENOEXEC)
                    || error.raw_os_error() == Some(libc::EINVAL) =>
            {
                Handle::Forked(self.fork(&program)?)
            }
            Some(Err(source)) => return Err(spawn_error(&program, source)),
            None => Handle::Forked(self.fork(&program)?),
        };
        let pid = match &inner {
            Handle::Forked(child) => Pid::from_raw(child.id() as i32),
            Handle::Spawned { pid, .. } => *pid,
        };
        let pidfd =
            PidFd::of_child(pid).map_err(|source| SpawnError::Failed { program, source })?;
        let (pgid, sid) = match scope {
            Scope::Session => (Pgid::from_raw(pid.as_raw()), Sid::from_raw(pid.as_raw())),
            Scope::Group => (Pgid::from_raw(pid.as_raw()), Sid::current()),
        };
        if foreground {
            // The child did it too; whichever comes first, the terminal is
            // the new group's before the command can read it.
            set_foreground(pgid);
        }
        Ok(Child {
            pid,
            pgid,
            sid,
            inner,
            pidfd,
        })
    }

    /// Starts the child with `posix_spawnp`, as [`Spawn::fork`] would (new
    /// session or group, stdio, SIGPIPE to its default action, no signal
    /// blocked, `execvp`'s search of PATH, our environment). `None` where
    /// that cannot be done: a controlling terminal, an argument with a NUL
    /// byte (std's `Command` refuses it), not Linux.
    #[cfg(target_os = "linux")]
    fn posix_spawn(&self) -> Option<io::Result<Pid>> {
        use std::ffi::CString;
        use std::mem::MaybeUninit;
        use std::os::fd::AsRawFd;
        use std::os::unix::ffi::OsStrExt;

        extern "C" {
            static environ: *const *mut libc::c_char;
        }

        /// The C library's error number as an io::Error.
        fn check(result: libc::c_int) -> io::Result<()> {
            match result {
                0 => Ok(()),
                errno => Err(io::Error::from_raw_os_error(errno)),
            }
        }

        struct Actions(MaybeUninit<libc::posix_spawn_file_actions_t>);
        impl Drop for Actions {
            fn drop(&mut self) {
                // SAFETY: initialised before this value was made.
                unsafe { libc::posix_spawn_file_actions_destroy(self.0.as_mut_ptr()) };
            }
        }
        struct Attributes(MaybeUninit<libc::posix_spawnattr_t>);
        impl Drop for Attributes {
            fn drop(&mut self) {
                // SAFETY: initialised before this value was made.
                unsafe { libc::posix_spawnattr_destroy(self.0.as_mut_ptr()) };
            }
        }

        if self.controlling_tty || self.foreground || self.command.is_empty() {
            return None;
        }
        let args: Vec<CString> = self
            .command
            .iter()
            .map(|arg| CString::new(arg.as_bytes()).ok())
            .collect::<Option<_>>()?;
        let mut argv: Vec<*mut libc::c_char> = args
            .iter()
            .map(|arg| arg.as_ptr() as *mut libc::c_char)
            .collect();
        argv.push(std::ptr::null_mut());

        let spawn = || -> io::Result<Pid> {
            // SAFETY: the file actions and attributes are initialised before
            // use and destroyed once (by their Drop); every pointer passed
            // is valid for the call; argv is NULL-terminated and outlives
            // the call; environ is the process's environment.
            unsafe {
                let mut uninit = MaybeUninit::uninit();
                check(libc::posix_spawn_file_actions_init(uninit.as_mut_ptr()))?;
                let mut actions = Actions(uninit);
                for (file, target) in [
                    (&self.stdin, libc::STDIN_FILENO),
                    (&self.stdout, libc::STDOUT_FILENO),
                    (&self.stderr, libc::STDERR_FILENO),
                ] {
                    if let Some(file) = file {
                        check(libc::posix_spawn_file_actions_adddup2(
                            actions.0.as_mut_ptr(),
                            file.as_raw_fd(),
                            target,
                        ))?;
                    }
                }
                let mut uninit = MaybeUninit::uninit();
                check(libc::posix_spawnattr_init(uninit.as_mut_ptr()))?;
                let mut attributes = Attributes(uninit);
                let attr = attributes.0.as_mut_ptr();
                let scope = match self.scope {
                    Scope::Session => libc::POSIX_SPAWN_SETSID as libc::c_short,
                    Scope::Group => {
                        check(libc::posix_spawnattr_setpgroup(attr, 0))?;
                        libc::POSIX_SPAWN_SETPGROUP as libc::c_short
                    }
                };
                // std ignores SIGPIPE in its programs and gives children the
                // default action back; the caller may block signals to
                // forward them (`Signals`): the command starts with none.
                let mut set = MaybeUninit::uninit();
                libc::sigemptyset(set.as_mut_ptr());
                check(libc::posix_spawnattr_setsigmask(attr, set.as_ptr()))?;
                libc::sigaddset(set.as_mut_ptr(), libc::SIGPIPE);
                // The C library's own real-time signals (32 and 33 for
                // glibc) are left ignored by its posix_spawn, and stay so
                // after the exec, unless named here; forked, the command
                // has their default action. sigaddset refuses them: their
                // bits are set directly (a sigset_t holds signal n at bit
                // n - 1).
                let words = set.as_mut_ptr().cast::<libc::c_ulong>();
                let width = libc::c_ulong::BITS as usize;
                for signal in 32..libc::SIGRTMIN() {
                    let bit = (signal - 1) as usize;
                    *words.add(bit / width) |= 1 << (bit % width);
                }
                check(libc::posix_spawnattr_setsigdefault(attr, set.as_ptr()))?;
                check(libc::posix_spawnattr_setflags(
                    attr,
                    scope
                        | libc::POSIX_SPAWN_SETSIGMASK as libc::c_short
                        | libc::POSIX_SPAWN_SETSIGDEF as libc::c_short,
                ))?;
                let mut pid = 0;
                check(libc::posix_spawnp(
                    &mut pid,
                    argv[0],
                    actions.0.as_ptr(),
                    attr,
                    argv.as_ptr(),
                    environ,
                ))?;
                Ok(Pid::from_raw(pid))
            }
        };
        Some(spawn())
    }

    #[cfg(not(target_os = "linux"))]
    fn posix_spawn(&self) -> Option<io::Result<Pid>> {
        None
    }

    /// Forks with std's `Command`, which makes the child lead a new session
    /// (or group), applies the terminal and stdio, and execs.
    fn fork(self, program: &str) -> Result<std::process::Child, SpawnError> {
        let mut command = Command::new(&self.command[0]);
        command.args(&self.command[1..]);
        for (file, set) in [
            (
                self.stdin,
                Command::stdin as fn(&mut Command, Stdio) -> &mut Command,
            ),
            (self.stdout, Command::stdout),
            (self.stderr, Command::stderr),
        ] {
            if let Some(file) = file {
                set(&mut command, Stdio::from(file));
            }
        }
        let scope = self.scope;
        let controlling_tty = self.controlling_tty;
        let foreground = self.foreground;
        // SAFETY: the closure runs in the child between fork and exec and
        // makes only async-signal-safe calls (setsid, setpgid, ioctl,
        // sigemptyset, sigaddset, sigprocmask, tcsetpgrp, getpid).
        unsafe {
            command.pre_exec(move || {
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
                // From the background, tcsetpgrp() raises SIGTTOU: blocked
                // here (the mask is emptied below).
                if foreground {
                    let mut ttou = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
                    libc::sigemptyset(ttou.as_mut_ptr());
                    libc::sigaddset(ttou.as_mut_ptr(), libc::SIGTTOU);
                    libc::sigprocmask(libc::SIG_BLOCK, ttou.as_ptr(), std::ptr::null_mut());
                    if libc::tcsetpgrp(libc::STDIN_FILENO, libc::getpid()) < 0 {
                        return Err(io::Error::last_os_error());
                    }
                }
                // The caller may block signals to forward them (`Signals`);
                // the command starts with none blocked.
                let mut none = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
                libc::sigemptyset(none.as_mut_ptr());
                if libc::sigprocmask(libc::SIG_SETMASK, none.as_ptr(), std::ptr::null_mut()) < 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        command
            .spawn()
            .map_err(|source| spawn_error(program, source))
    }
}

/// Why `program` did not start, from the error of its exec (or fork).
fn spawn_error(program: &str, source: io::Error) -> SpawnError {
    let program = program.to_string();
    match source.kind() {
        io::ErrorKind::NotFound => SpawnError::NotFound { program },
        io::ErrorKind::PermissionDenied => SpawnError::NotExecutable { program, source },
        _ if source.raw_os_error() == Some(libc::ENOEXEC)
            || source.raw_os_error() == Some(libc::EISDIR) =>
        {
            SpawnError::NotExecutable { program, source }
        }
        _ => SpawnError::Failed { program, source },
    }
}

/// Makes `pgid` the foreground group of the terminal on stdin (a group of
/// the caller's session), from the foreground or from the background: a
/// shell's `tcsetpgrp`. Nothing happens where stdin is no such terminal.
pub fn set_foreground(pgid: Pgid) {
    use nix::sys::signal::{SigSet, SigmaskHow, Signal as S};
    // From the background, tcsetpgrp() raises SIGTTOU, which would stop us.
    let mut ttou = SigSet::empty();
    ttou.add(S::SIGTTOU);
    let previous = ttou.thread_swap_mask(SigmaskHow::SIG_BLOCK);
    // SAFETY: tcsetpgrp on a descriptor and a group id; no memory involved.
    unsafe { libc::tcsetpgrp(libc::STDIN_FILENO, pgid.as_raw()) };
    if let Ok(previous) = previous {
        let _ = previous.thread_set_mask();
    }
}

/// What ended a wait for the child.
#[derive(Debug)]
pub enum Event {
    /// It exited; it has been reaped.
    Exited(ExitStatus),
    /// A signal that the caller forwards arrived.
    Signal(Signal),
    /// The deadline passed.
    TimedOut,
}

impl Child {
    /// Waits until the child exits, one of `signals`' signals arrives, or
    /// `deadline` passes.
    pub fn wait_event(
        &mut self,
        signals: &Signals,
        deadline: Option<Instant>,
    ) -> io::Result<Event> {
        loop {
            if let Some(signal) = signals.take()? {
                return Ok(Event::Signal(signal));
            }
            if self.pidfd.has_exited() {
                return self.inner.wait().map(Event::Exited);
            }
            let now = Instant::now();
            if deadline.is_some_and(|at| now >= at) {
                return Ok(Event::TimedOut);
            }
            let timeout = deadline.map(|at| at - now);
            pidfd::poll_fds(&[self.pidfd.as_fd(), signals.as_fd()], timeout);
        }
    }

    /// Reaps the child, waiting if it has not exited.
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        self.inner.wait()
    }
}

/// The status a shell reports: the exit code, or 128+N when killed by N.
pub fn shell_status(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|n| 128 + n))
        .unwrap_or(125)
}

/// Signals held back from their default action and read from a signalfd
/// instead, to forward them. Dropping it restores the signal mask; a caller
/// on its way out calls [`Signals::keep_blocked`] instead.
pub struct Signals {
    fd: SignalFd,
    /// The mask to restore; `None` once the caller chose to keep the
    /// signals blocked.
    previous: Option<SigSet>,
}

impl Signals {
    /// Blocks `signals` (before spawning, so that none is lost; the child
    /// unblocks everything before exec) and opens a signalfd to read them.
    pub fn block(signals: &[Signal]) -> io::Result<Signals> {
        let mut set = SigSet::empty();
        for &signal in signals {
            set.add(nix::sys::signal::Signal::try_from(signal.number()).map_err(io::Error::from)?);
        }
        let previous = set
            .thread_swap_mask(SigmaskHow::SIG_BLOCK)
            .map_err(io::Error::from)?;
        let fd = SignalFd::with_flags(&set, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)
            .map_err(io::Error::from)?;
        Ok(Signals {
            fd,
            previous: Some(previous),
        })
    }

    /// Closes the signalfd and leaves the signals blocked, for a caller
    /// about to exit. A signal that arrived since the last
    /// [`Signals::take`] stays pending and is discarded when the process
    /// exits; restoring the mask would deliver it with its default action
    /// and kill the caller before it could return its exit status.
    pub fn keep_blocked(mut self) {
        self.previous = None;
    }

    /// A signal that arrived, if any.
    pub fn take(&self) -> io::Result<Option<Signal>> {
        match self.fd.read_signal() {
            Ok(Some(info)) => Ok(Signal::from_number(info.ssi_signo as i32)),
            Ok(None) => Ok(None),
            Err(errno) => Err(errno.into()),
        }
    }

    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.fd.as_fd()
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        if let Some(previous) = self.previous {
            let _ = previous.thread_set_mask();
        }
    }
}
