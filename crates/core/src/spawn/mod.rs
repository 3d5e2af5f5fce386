//! Spawning a command into a new session (or a new group), and watching it.
//!
//! The child always forks from us: a group leader cannot call setsid(),
//! and always forking keeps the behaviour the same from a shell and from a
//! script. `start` returns only once the exec happened or failed, and an
//! exec failure is reported to the caller in a shell's words and codes.
//!
//! The program is found in `PATH` as bash finds it (`path`). It is then
//! started with `posix_spawn` (`posix`) where that can do what is asked,
//! and forked otherwise (`fork`): for ioctls in the child (a controlling
//! terminal, the foreground), a file that `posix_spawn` does not run (no
//! executable: `/bin/sh` runs it), or a held start, which keeps the command
//! from its first instruction until the caller has said it started.
//!
//! ```no_run
//! use procgroup::spawn::{Scope, Spawn, SpawnError};
//!
//! let child = Spawn {
//!     command: vec!["sleep".into(), "60".into()],
//!     scope: Scope::Session,
//!     controlling_tty: false,
//!     foreground: false,
//!     held: false,
//!     seal: None,
//!     stdin: None,
//!     stdout: None,
//!     stderr: None,
//! }
//! .start()?;
//! assert_eq!(child.pid.as_raw(), child.sid.as_raw()); // it leads its session
//! # Ok::<(), SpawnError>(())
//! ```

mod fork;
mod path;
mod posix;
pub mod reaper;
mod signals;

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::time::Instant;

use crate::pidfd::{self, PidFd};
use crate::{Pgid, Pid, Sid, Signal};

pub use signals::Signals;

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
    /// Hold the command, once its exec succeeded, before its first
    /// instruction, until [`Child::release`]: the caller can say that it
    /// started (print its pid) before the command says anything. Not held
    /// where the system forbids tracing it, or where tracing would take
    /// privileges from the program (a set-user-ID file).
    pub held: bool,
    /// Seal the command (with [`Scope::Session`]) in a cgroup v2 leaf of
    /// its own, made under this cgroup directory and named after its
    /// session ([`crate::cgroup::Leaf::create`]): the child, forked, waits
    /// until it has been moved in, so that the command and all it forks
    /// start inside. The leaf is [`Child::leaf`].
    pub seal: Option<std::path::PathBuf>,
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
    /// Its leaf could not be made, or it could not be moved in; it did
    /// not start.
    #[error("--seal: cannot seal it in {}: {}", path.display(), crate::error::reason(source))]
    Seal {
        /// The leaf.
        path: std::path::PathBuf,
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
    crate::error::reason(error)
}

impl SpawnError {
    /// The exit code a shell would use: 127, 126, or 125 for our failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            SpawnError::NotFound { .. } => 127,
            SpawnError::NotExecutable { .. } => 126,
            SpawnError::Failed { .. } | SpawnError::Seal { .. } => 125,
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
    /// The hold of a held start, until released.
    held: Option<fork::Held>,
    /// The leaf of a sealed start ([`Spawn::seal`]), for the caller to take.
    pub leaf: Option<crate::cgroup::Leaf>,
}

/// How the child was started, to wait for it.
#[derive(Debug)]
enum Handle {
    /// Forked by std's `Command`.
    Forked(std::process::Child),
    /// Started by `posix_spawn`, or forked by hand for a held start; its
    /// status once reaped.
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
        let Some(path) = path::find(&self.command[0]) else {
            return Err(SpawnError::NotFound { program });
        };
        let failed = |source| spawn_error(&program, source);
        let scope = self.scope;
        let foreground = self.foreground;
        let mut held = None;
        let mut leaf = None;
        let inner = if self.held || self.seal.is_some() {
            let gated = fork::gated(&self, &path).map_err(|error| match error {
                fork::GateError::Start(source) => spawn_error(&program, source),
                fork::GateError::Seal(path, source) => SpawnError::Seal { path, source },
            })?;
            held = Some(gated.held);
            leaf = gated.leaf;
            Handle::Spawned {
                pid: gated.pid,
                status: gated.status,
            }
        } else {
            match posix::start(&self, &path) {
                Some(Ok(pid)) => Handle::Spawned { pid, status: None },
                // Not an executable: execvp (in the fork) runs it with
                // /bin/sh. And a C library too old for POSIX_SPAWN_SETSID
                // refuses the flag.
                Some(Err(error))
                    if error.raw_os_error() == Some(libc::ENOEXEC)
                        || error.raw_os_error() == Some(libc::EINVAL) =>
                {
                    Handle::Forked(fork::with_command(self, &path).map_err(failed)?)
                }
                Some(Err(source)) => return Err(failed(source)),
                None => Handle::Forked(fork::with_command(self, &path).map_err(failed)?),
            }
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
            held,
            leaf,
        })
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
    /// Its pidfs inode (Linux 6.9+): with its pid, an identity never
    /// reused (`PID:INO`).
    pub fn ino(&self) -> Option<u64> {
        self.pidfd.inode()
    }

    /// Waits until the child exits, one of `signals`' signals arrives, or
    /// `deadline` passes.
    pub fn wait_event(
        &mut self,
        signals: &Signals,
        deadline: Option<Instant>,
    ) -> io::Result<Event> {
        self.release();
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
        self.release();
        self.inner.wait()
    }

    /// Lets a held command run (see [`Spawn::held`]); otherwise, or once
    /// done, does nothing.
    pub fn release(&mut self) {
        if let Some(held) = self.held.as_mut() {
            held.release();
        }
    }
}

impl Drop for Child {
    /// A held command is never left held.
    fn drop(&mut self) {
        self.release();
    }
}

/// The status a shell reports: the exit code, or 128+N when killed by N.
pub fn shell_status(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|n| 128 + n))
        .unwrap_or(125)
}
