//! Spawning a command into a new session (or a new group), and watching it.
//!
//! The child always forks from us: a group leader cannot call setsid(),
//! and always forking keeps the behaviour the same from a shell and from a
//! script. std's `Command` reports an exec failure to the parent through a
//! close-on-exec pipe, and `spawn` returns only once the exec happened or
//! failed.
//!
//! ```no_run
//! use procgroup::spawn::{Scope, Spawn, SpawnError};
//!
//! let child = Spawn {
//!     command: vec!["sleep".into(), "60".into()],
//!     scope: Scope::Session,
//!     controlling_tty: false,
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
    /// The program does not exist (the shell's 127).
    #[error("{program}: command not found")]
    NotFound {
        /// The program as given.
        program: String,
    },
    /// It exists but cannot be executed (the shell's 126).
    #[error("{program}: cannot execute: {source}")]
    NotExecutable {
        /// The program as given.
        program: String,
        /// Why exec refused it.
        source: io::Error,
    },
    /// Starting it failed for another reason (fork, setsid).
    #[error("cannot start {program}: {source}")]
    Failed {
        /// The program as given.
        program: String,
        /// What failed.
        source: io::Error,
    },
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
    inner: std::process::Child,
    pidfd: PidFd,
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
        // SAFETY: the closure runs in the child between fork and exec and
        // makes only async-signal-safe calls (setsid, setpgid, ioctl,
        // sigemptyset, sigprocmask).
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
        let inner = command.spawn().map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => SpawnError::NotFound {
                program: program.clone(),
            },
            io::ErrorKind::PermissionDenied => SpawnError::NotExecutable {
                program: program.clone(),
                source,
            },
            _ if source.raw_os_error() == Some(libc::ENOEXEC)
                || source.raw_os_error() == Some(libc::EISDIR) =>
            {
                SpawnError::NotExecutable {
                    program: program.clone(),
                    source,
                }
            }
            _ => SpawnError::Failed {
                program: program.clone(),
                source,
            },
        })?;
        let pid = Pid::from_raw(inner.id() as i32);
        let pidfd =
            PidFd::of_child(pid).map_err(|source| SpawnError::Failed { program, source })?;
        let (pgid, sid) = match scope {
            Scope::Session => (Pgid::from_raw(pid.as_raw()), Sid::from_raw(pid.as_raw())),
            Scope::Group => (Pgid::from_raw(pid.as_raw()), Sid::current()),
        };
        Ok(Child {
            pid,
            pgid,
            sid,
            inner,
            pidfd,
        })
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
/// instead, to forward them. Dropping it restores the signal mask.
pub struct Signals {
    fd: SignalFd,
    previous: SigSet,
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
        Ok(Signals { fd, previous })
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
        let _ = self.previous.thread_set_mask();
    }
}
