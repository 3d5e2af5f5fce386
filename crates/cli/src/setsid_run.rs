//! `setsid-run`: start a command in a new session, and keep it under
//! control.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Args as _, Parser, ValueEnum};
use procgroup::deliver::{self, Target};
use procgroup::pidfile::{PidFile, PidFileError};
use procgroup::spawn::{self, Child, Event, Scope, Signals, Spawn};
use procgroup::{parse_duration, Pgid, Signal};

use crate::common::{core, main_with, Failure};

/// Start a command in a new session.
#[derive(Parser, Debug)]
#[command(
    name = "setsid-run",
    version,
    about = "Start a command in a new session",
    long_about = "Start a command in a new session.\n\n\
        setsid-run always forks; the child calls setsid() (so it leads a new session \
        and group and has no controlling terminal), then execs COMMAND. setsid-run \
        returns once the exec has happened, or reports why it failed (127 not found, \
        126 not executable). With --wait it stays, forwards SIGINT, SIGTERM, SIGHUP \
        and SIGQUIT to every group of the command's session, and exits with the \
        command's status (128+N when killed by signal N).",
    after_help = "Exit status: 0 started; 2 usage error; 125 setsid-run failed (fork, \
        pidfile, files); 126 not executable; 127 not found. With --wait: COMMAND's \
        status, 128+N if killed by signal N, 124 on --timeout (137 if it took SIGKILL)."
)]
pub struct Args {
    /// Wait for COMMAND and exit with its status, forwarding signals to its session
    #[arg(short = 'w', long)]
    wait: bool,

    /// End the session after DURATION (90, 1.5s, 1m30s, 2h, 1d; 0: never), exit 124 (137 if it took SIGKILL); implies --wait
    #[arg(long, value_name = "DURATION", value_parser = core(parse_duration))]
    timeout: Option<Duration>,

    /// With --timeout, exit with the command's own status, as timeout(1) does
    #[arg(long)]
    preserve_status: bool,

    /// The signal for --timeout and --cleanup
    #[arg(short = 's', long, value_name = "SIG", default_value = "TERM",
          value_parser = core(|text| match text.parse::<Signal>() {
              // kill's null signal would end nothing: only SIGKILL would.
              Ok(signal) if signal.is_probe() => Err(procgroup::Error::Usage(
                  "signal 0 sends nothing: --signal needs a signal that ends the command".into(),
              )),
              parsed => parsed,
          }))]
    signal: Signal,

    /// SIGKILL what is left DURATION after --timeout's or --cleanup's signal
    #[arg(short = 'k', long, value_name = "DURATION", default_value = "5s",
          value_parser = core(parse_duration))]
    kill_after: Duration,

    /// When COMMAND exits, end every process left in its session; implies --wait
    #[arg(long)]
    cleanup: bool,

    /// Detach: stdin, stdout and stderr from/to /dev/null unless redirected
    #[arg(short = 'd', long)]
    detach: bool,

    /// Write COMMAND's stdout to FILE (truncated)
    #[arg(long, value_name = "FILE")]
    stdout: Option<PathBuf>,

    /// Write COMMAND's stderr to FILE (truncated)
    #[arg(long, value_name = "FILE")]
    stderr: Option<PathBuf>,

    /// Append COMMAND's stdout and stderr to FILE
    #[arg(long, value_name = "FILE", conflicts_with_all = ["stdout", "stderr"])]
    log: Option<PathBuf>,

    /// Once the exec succeeded, print the new process's ids on stdout, before the command runs
    #[arg(long, value_enum, value_name = "WHAT")]
    print: Option<Print>,

    /// Write COMMAND's pid to FILE; refuse to start if FILE names a live instance
    #[arg(long, value_name = "FILE")]
    pidfile: Option<PathBuf>,

    /// Make the current terminal (on stdin) the new session's controlling terminal; it is taken from the caller's session for good
    #[arg(short = 'c', long, conflicts_with_all = ["detach", "group"])]
    ctty: bool,

    /// With -c, take the terminal even from the shell whose foreground job setsid-run is
    #[arg(long, requires = "ctty")]
    force: bool,

    /// Only a new process group in the current session, not a new session
    #[arg(short = 'g', long)]
    group: bool,

    /// The command and its arguments
    #[arg(value_name = "COMMAND", required = true, num_args = 1.., trailing_var_arg = true,
          value_hint = clap::ValueHint::CommandWithArguments)]
    command: Vec<OsString>,
}

/// What `--print` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Print {
    /// The pid: 13131
    Pid,
    /// The process group id
    Pgid,
    /// The session id
    Sid,
    /// pid, pgid and sid: 13131 13131 13131
    Ids,
    /// {"pid":13131,"pgid":13131,"sid":13131}
    Json,
}

/// The clap definition, for the generator.
pub fn command() -> clap::Command {
    Args::augment_args(clap::Command::new("setsid-run"))
}

pub fn main() -> i32 {
    main_with("setsid-run", run)
}

/// setsid-run's own failures (files, pidfile, fork).
const FAILED: i32 = 125;
/// The status after `--timeout`, as timeout(1).
const TIMED_OUT: i32 = 124;
/// The status after `--timeout` when the command had to be killed with
/// SIGKILL after `--kill-after`, as `timeout -k` (128+9).
const TIMED_OUT_KILLED: i32 = 137;

/// The signals forwarded to the command's session while waiting.
const FORWARDED: [Signal; 4] = [Signal::INT, Signal::TERM, Signal::HUP, Signal::QUIT];

/// The signals that stop a job: on one, setsid-run stops the command's
/// session (or group) and then itself, as a shell's job would stop.
const STOPPING: [Signal; 3] = [Signal::TSTP, Signal::TTIN, Signal::TTOU];

fn run(args: Args) -> Result<i32, Failure> {
    if args.ctty && !args.force && owns_the_terminal() && !leads_its_session() {
        return Err(Failure::usage(
            "-c would take this terminal from the calling shell for good (setsid-run is its \
             foreground job); use --force to do it anyway",
        ));
    }
    let waiting = args.wait || args.timeout.is_some() || args.cleanup;
    let spawn = spawn_for(&args)?;
    let pidfile = args
        .pidfile
        .as_deref()
        .map(PidFile::prepare)
        .transpose()
        .map_err(|error| match error {
            PidFileError::Running(_) => Failure::new(FAILED, error.to_string()),
            other => Failure::new(FAILED, format!("pidfile {other}")),
        })?;
    // Blocked before the fork, so none is lost; the child unblocks them.
    let signals = if waiting {
        Some(
            Signals::block(&[FORWARDED.as_slice(), STOPPING.as_slice(), &[Signal::CHLD]].concat())
                .map_err(|e| Failure::new(FAILED, format!("cannot watch signals: {e}")))?,
        )
    } else {
        None
    };
    let result = start(&args, spawn, pidfile, signals.as_ref());
    // Blocked until setsid-run exits: a forwarded signal that came while
    // the session was being ended (--timeout, --cleanup) or on the way out
    // must not kill setsid-run with its default action and replace the
    // status it returns.
    if let Some(signals) = signals {
        signals.keep_blocked();
    }
    result
}

/// Starts the command, writes the pid file, prints, and supervises when
/// waiting (`signals`).
fn start(
    args: &Args,
    spawn: Spawn,
    pidfile: Option<PidFile>,
    signals: Option<&Signals>,
) -> Result<i32, Failure> {
    // The terminal, given to the command's group, comes back to ours when
    // setsid-run is done, whatever the path (SIGKILL aside: then the
    // calling shell takes it back, as it does when any job ends).
    let _terminal = spawn.foreground.then(|| Foreground(Pgid::current()));
    let mut child = match spawn.start() {
        Ok(child) => child,
        Err(error) => {
            if let Some(pidfile) = pidfile {
                pidfile.abandon();
            }
            return Err(Failure::new(error.exit_code(), error.to_string()));
        }
    };
    let target = if args.group {
        Target::Pgid(child.pgid)
    } else {
        Target::Sid(child.sid)
    };
    let mut pidfile = pidfile;
    if let Some(file) = &mut pidfile {
        if let Err(error) = file.commit(child.pid) {
            // Nothing half-done: a command whose pid file failed is stopped.
            let _ = deliver::end(target, Signal::KILL, None, None);
            let _ = child.wait();
            if let Some(file) = pidfile {
                file.remove();
            }
            let path = args.pidfile.as_deref().unwrap_or(Path::new("")).display();
            return Err(Failure::new(FAILED, format!("pidfile {path}: {error}")));
        }
    }
    if let Some(print) = args.print {
        if let Err(error) = print_ids(print, &child) {
            let what = format!("--print: cannot write the ids: {error}");
            if signals.is_none() {
                // Nobody learns the ids: a command started without them
                // is ended, as when its pid file fails.
                let _ = deliver::end(target, Signal::KILL, None, None);
                let _ = child.wait();
                if let Some(file) = pidfile {
                    file.remove();
                }
                return Err(Failure::new(
                    FAILED,
                    format!("{what}; the command was ended"),
                ));
            }
            // Waiting, the command stays under supervision: setsid-run
            // says so, and ends as it would have.
            let _ = writeln!(
                io::stderr(),
                "setsid-run: error: {what}; still waiting for the command"
            );
        }
    }
    child.release();
    let Some(signals) = signals else {
        // The pid file's lock goes with setsid-run; its pid, that of a
        // live process started before the file was written, keeps
        // refusing other starts.
        return Ok(0);
    };
    // Waiting, the lock is held for the command's life, and the file is
    // removed (if it is still ours) before the lock goes.
    let code = supervise(&mut child, signals, target, args, _terminal.as_ref())?;
    if let Some(file) = pidfile {
        file.remove();
    }
    Ok(code)
}

/// Waits for the command, forwarding signals, enforcing --timeout and
/// --cleanup; returns setsid-run's exit status.
fn supervise(
    child: &mut Child,
    signals: &Signals,
    target: Target,
    args: &Args,
    terminal: Option<&Foreground>,
) -> Result<i32, Failure> {
    // A timeout of 0 is none, as in timeout(1).
    let mut deadline = args
        .timeout
        .filter(|t| !t.is_zero())
        .map(|t| Instant::now() + t);
    let os_failure = |e: &dyn std::fmt::Display| Failure::new(FAILED, e.to_string());
    loop {
        match child
            .wait_event(signals, deadline)
            .map_err(|e| os_failure(&e))?
        {
            Event::Signal(signal) if STOPPING.contains(&signal) => {
                // Ctrl-Z: the command first, then setsid-run, whose shell
                // then shows the job stopped; `fg`/`bg` continue
                // setsid-run, which continues the command. The timeout
                // does not count the time stopped.
                deliver::signal(target, Signal::STOP).map_err(|e| os_failure(&e))?;
                let stopped = Instant::now();
                // SAFETY: raise(3) of SIGSTOP on this process; it returns
                // once a SIGCONT continued it.
                unsafe { libc::raise(libc::SIGSTOP) };
                deliver::signal(target, Signal::CONT).map_err(|e| os_failure(&e))?;
                if let Some(at) = deadline.as_mut() {
                    *at += stopped.elapsed();
                }
            }
            Event::Signal(Signal::CHLD) => {
                // With the terminal, Ctrl-Z reaches the command's group,
                // not setsid-run: when it stops, setsid-run stops too, the
                // terminal back with its own group, as a shell's job; once
                // continued (fg), it gives the terminal to the command
                // again and continues it.
                if let Some(terminal) = terminal {
                    if has_stopped(child.pid) {
                        spawn::set_foreground(terminal.0);
                        // SAFETY: raise(3) of SIGSTOP on this process.
                        unsafe { libc::raise(libc::SIGSTOP) };
                        spawn::set_foreground(child.pgid);
                        deliver::signal(target, Signal::CONT).map_err(|e| os_failure(&e))?;
                    }
                }
            }
            Event::Signal(signal) => {
                deliver::signal(target, signal).map_err(|e| os_failure(&e))?;
            }
            Event::TimedOut => {
                let mut ending =
                    deliver::signal(target, args.signal).map_err(|e| os_failure(&e))?;
                ending
                    .wait(None, Some(args.kill_after))
                    .map_err(|e| os_failure(&e))?;
                let status = child.wait().map_err(|e| os_failure(&e))?;
                return Ok(if args.preserve_status {
                    spawn::shell_status(status)
                } else if ending.escalated() {
                    TIMED_OUT_KILLED
                } else {
                    TIMED_OUT
                });
            }
            Event::Exited(status) => {
                if args.cleanup {
                    deliver::end(target, args.signal, Some(args.kill_after), None)
                        .map_err(|e| os_failure(&e))?;
                }
                return Ok(spawn::shell_status(status));
            }
        }
    }
}

/// Whether stdin is the caller's controlling terminal and the caller is in
/// its foreground group: then a new group that setsid-run waits for is
/// given the terminal, as a shell gives it to a job.
fn owns_the_terminal() -> bool {
    // SAFETY: isatty, tcgetpgrp, tcgetsid, getpgrp and getsid only read.
    unsafe {
        libc::isatty(libc::STDIN_FILENO) == 1
            && libc::tcgetpgrp(libc::STDIN_FILENO) == libc::getpgrp()
            && libc::tcgetsid(libc::STDIN_FILENO) == libc::getsid(0)
    }
}

/// Whether the command, our child, has stopped (its stop is taken in: a
/// stop report reaps nothing).
fn has_stopped(pid: procgroup::Pid) -> bool {
    // SAFETY: an all-zero siginfo_t is valid; waitid fills it.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: waitid on our own child, WSTOPPED only, without blocking.
    let waited = unsafe {
        libc::waitid(
            libc::P_PID,
            pid.as_raw() as libc::id_t,
            &mut info,
            libc::WSTOPPED | libc::WNOHANG,
        )
    };
    // SAFETY: waitid filled the siginfo; si_pid is 0 when nothing was ready.
    waited == 0 && unsafe { info.si_pid() } == pid.as_raw() && info.si_code == libc::CLD_STOPPED
}

/// Whether setsid-run leads its own session (then the terminal that `-c`
/// takes is nobody else's).
fn leads_its_session() -> bool {
    // SAFETY: getsid(0) and getpid() only read ids.
    unsafe { libc::getsid(0) == libc::getpid() }
}

/// Gives the terminal back to group `.0` (setsid-run's) when dropped.
struct Foreground(Pgid);

impl Drop for Foreground {
    fn drop(&mut self) {
        spawn::set_foreground(self.0);
    }
}

/// The command to start, with its redirections opened (`None` inherits ours).
fn spawn_for(args: &Args) -> Result<Spawn, Failure> {
    let open = |path: &Path, append: bool| -> Result<File, Failure> {
        let mut options = OpenOptions::new();
        options.create(true);
        if append {
            options.append(true);
        } else {
            options.write(true).truncate(true);
        }
        options
            .open(path)
            .map_err(|e| Failure::new(FAILED, format!("cannot open {}: {e}", path.display())))
    };
    let null = || -> Result<File, Failure> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")
            .map_err(|e| Failure::new(FAILED, format!("cannot open /dev/null: {e}")))
    };
    let log = args
        .log
        .as_deref()
        .map(|path| open(path, true))
        .transpose()?;
    let log_copy = |log: &Option<File>| -> Result<Option<File>, Failure> {
        log.as_ref()
            .map(|file| {
                file.try_clone()
                    .map_err(|e| Failure::new(FAILED, e.to_string()))
            })
            .transpose()
    };
    let mut stdout = args
        .stdout
        .as_deref()
        .map(|path| open(path, false))
        .transpose()?;
    let mut stderr = args
        .stderr
        .as_deref()
        .map(|path| open(path, false))
        .transpose()?;
    if log.is_some() {
        stdout = log_copy(&log)?;
        stderr = log;
    }
    let mut stdin = None;
    if args.detach {
        stdin = Some(null()?);
        if stdout.is_none() {
            stdout = Some(null()?);
        }
        if stderr.is_none() {
            stderr = Some(null()?);
        }
    }
    Ok(Spawn {
        command: args.command.clone(),
        scope: if args.group {
            Scope::Group
        } else {
            Scope::Session
        },
        controlling_tty: args.ctty,
        foreground: args.group
            && (args.wait || args.timeout.is_some() || args.cleanup)
            && owns_the_terminal(),
        // The ids are printed before the command can write anything.
        held: args.print.is_some(),
        stdin,
        stdout,
        stderr,
    })
}

fn print_ids(print: Print, child: &Child) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let (pid, pgid, sid) = (child.pid, child.pgid, child.sid);
    match print {
        Print::Pid => writeln!(out, "{pid}")?,
        Print::Pgid => writeln!(out, "{pgid}")?,
        Print::Sid => writeln!(out, "{sid}")?,
        Print::Ids => writeln!(out, "{pid} {pgid} {sid}")?,
        Print::Json => writeln!(out, "{{\"pid\":{pid},\"pgid\":{pgid},\"sid\":{sid}}}")?,
    }
    out.flush()
}

/// The man page's sections beyond the options.
pub const MAN_SECTIONS: &[(&str, &str)] = &[
    (
        "WAITING AND CLEANING UP",
        r#"
With \fB\-\-wait\fR, SIGINT, SIGTERM, SIGHUP and SIGQUIT received by
setsid\-run are forwarded to every group of the command's session (with
\fB\-\-group\fR, to its group), and setsid\-run exits with the command's
status, or 128+\fIN\fR when a signal \fIN\fR killed it.
.PP
With \fB\-\-group\fR at a terminal, when setsid\-run waits (\fB\-\-wait\fR,
\fB\-\-timeout\fR, \fB\-\-cleanup\fR), stdin is its controlling terminal and
it is in the terminal's foreground group, the new group is made the
terminal's foreground group, as a shell does for a job (in the command
before it starts, and in setsid\-run): the command reads what is typed, and
Ctrl\-C reaches it. When setsid\-run is done, the terminal goes back to its
own group; should SIGKILL end setsid\-run first, the calling shell takes it
back, as it does when any of its jobs ends. Without a terminal, or in the
background, nothing changes.
.PP
SIGTSTP (Ctrl\-Z), SIGTTIN and SIGTTOU received by a waiting setsid\-run
stop the command's whole session (with \fB\-\-group\fR, its group) and then
setsid\-run, so that the calling shell shows the job stopped; when
setsid\-run is continued (\fBfg\fR, \fBbg\fR), it continues the command
first. \fB\-\-timeout\fR does not count the time stopped. With
\fB\-\-group\fR in the terminal's foreground, Ctrl\-Z reaches the command's
group itself: when it stops, setsid\-run gives the terminal back to its own
group and stops too; continued, it gives the terminal to the command again
and continues it.
.PP
\fB\-c\fR makes the terminal on stdin the new session's controlling
terminal: the kernel takes it from the caller's session for good, as
util\-linux \fBsetsid \-c\fR does. When that session is someone else's (a
shell, whose foreground job setsid\-run is), \fB\-c\fR is refused (exit 2)
unless \fB\-\-force\fR is given.
.PP
\fB\-\-timeout\fR ends the whole session when the time is up: \fB\-\-signal\fR
(\fB\-s\fR, default TERM) to every group, SIGKILL to what is left after
\fB\-\-kill\-after\fR (\fB\-k\fR, default 5s), and waits until it is empty;
the exit status is then 124, or 137 (128+9) when something had to be
killed with SIGKILL, as \fBtimeout \-k\fR gives; with
\fB\-\-preserve\-status\fR, the command's own status. A timeout of 0 is
none, as in \fBtimeout\fR(1). Durations are what \fBtimeout\fR and
\fBsleep\fR take: a number of seconds (\fB90\fR, \fB1.5\fR), or numbers
with units \fBms\fR, \fBs\fR, \fBm\fR, \fBh\fR, \fBd\fR, added up when
there are several (\fB1m30s\fR, \fB1h2m\fR).
.PP
\fB\-\-cleanup\fR does the same when the command exits: nothing the job
started outlives it, unless it made a session of its own. The command's
status is kept.
.PP
Once \fB\-\-timeout\fR or \fB\-\-cleanup\fR is ending the session, the
signals setsid\-run forwards are no longer forwarded, and one that arrives
then does not change the exit status (124, or the command's status).
.PP
\fB\-\-print\fR writes the ids once the exec has succeeded and before the
command runs its first instruction, so they come before anything the
command writes: setsid\-run traces the command for that moment
(\fBPTRACE_SEIZE\fR, stopping at its exec) and lets it go once the line is
flushed. Where the system forbids tracing it (Yama's \fBptrace_scope\fR 3,
a seccomp policy), and for a set\-user\-ID or set\-group\-ID program or one
with file capabilities (which a tracer would run without its privileges),
the command is not held, and may write before the ids appear.
.PP
When \fB\-\-print\fR cannot write the ids (standard output a closed
pipe, a full disk), setsid\-run says so in one line on standard error.
With waiting it goes on supervising the command (forwarding signals,
\fB\-\-timeout\fR, \fB\-\-cleanup\fR) and exits with the status it
would have had; without waiting it ends the command (SIGKILL to its session,
or its group with \fB\-\-group\fR), removes the pid file and exits 125.
"#,
    ),
    (
        "PID FILE",
        r#"
\fB\-\-pidfile\fR \fIFILE\fR holds the command's pid on one line, written
after a successful exec. setsid\-run takes an exclusive \fBflock\fR(2) lock
on \fIFILE\fR itself before it starts the command (a missing \fIFILE\fR is
created already locked, so it never shows up unlocked), so
\fBpgrep \-L \-F\fR \fIFILE\fR sees it locked while setsid\-run holds it:
.TP
with \fB\-\-wait\fR, \fB\-\-timeout\fR or \fB\-\-cleanup\fR
the lock is held for the command's life. When the command has ended (and
\fB\-\-cleanup\fR or \fB\-\-timeout\fR has ended its session),
\fIFILE\fR is removed if it still names the file setsid\-run wrote, and
then the lock goes.
.TP
without waiting (the default, and \fB\-d\fR)
the lock covers the start only: it goes when setsid\-run exits, once the
pid is written. \fIFILE\fR stays; a later start is refused by the rule
below, not by the lock.
.PP
A start is refused (exit 125, "already running as pid \fIN\fR") when
\fIFILE\fR names a live process that had started by the time \fIFILE\fR was
written; a process that took the pid later is someone else. A file that is
empty, or whose pid is dead or was taken later, is stale: it is written over,
in place. While another process holds the lock and \fIFILE\fR names no live
process yet (another setsid\-run is starting), a start waits up to 2
seconds, then fails with "locked by another process". Of several setsid\-run
started at once with the same \fIFILE\fR, one starts.
.PP
\fIFILE\fR is opened without following a symbolic link and without
blocking, and is written only if it is a regular file, owned by the
effective user, with a single link; anything else is refused (exit 125,
"pidfile \fIFILE\fR: \fIwhy\fR; not replacing it") and left alone. A new file
is made with \fBO_TMPFILE\fR and linked into place (where the file system
lacks \fBO_TMPFILE\fR, under a random name created exclusively): no existing
name is ever followed or reused. Others who can write the directory can
still remove or rename the file: keep pid files where only their owner
writes.
"#,
    ),
    (
        "JSON KEYS",
        r#"
\fB\-\-print json\fR prints one object on one line, once the command has
been executed: \fBpid\fR, \fBpgid\fR and \fBsid\fR, numbers (with
\fB\-\-group\fR, \fBsid\fR is the caller's session).
"#,
    ),
    (
        "EXIT STATUS",
        r#"
Without waiting:
.TP
\fB0\fR
the command was started.
.TP
\fB2\fR
usage error.
.TP
\fB125\fR
setsid\-run itself failed: fork, the pid file (or "already running as pid
\fIN\fR"), a file to redirect to, \fB\-\-print\fR (the command was then
ended).
.TP
\fB126\fR
the command was found but could not be executed.
.TP
\fB127\fR
the command was not found.
.PP
With \fB\-\-wait\fR, \fB\-\-timeout\fR or \fB\-\-cleanup\fR: the command's
exit status; 128+\fIN\fR when it was killed by signal \fIN\fR; 124 when
\fB\-\-timeout\fR ended it, 137 when that took SIGKILL (not with
\fB\-\-preserve\-status\fR).
"#,
    ),
    (
        "ENVIRONMENT",
        r#"
.TP
\fBPATH\fR
where \fICOMMAND\fR is looked for when its name has no slash, as bash
looks: a directory that cannot be searched is passed over, the first
executable file wins, and one that is there but not executable counts only
when no executable one is found (then 126, "Permission denied"). Where
\fBPATH\fR is unset, \fB/bin:/usr/bin\fR. A file that is no executable
program runs with \fB/bin/sh\fR, as \fBexecvp\fR(3) runs it.
.TP
\fBNO_COLOR\fR
setsid\-run writes no color, with or without it.
.PP
The command gets setsid\-run's environment unchanged.
"#,
    ),
    (
        "EXAMPLES",
        r#"
A job that survives when the caller's whole session is killed (say the
terminal closes, or a CI step's session is ended with \fBkill \-9 \-\fR\fISID\fR):
.PP
.RS
.nf
setsid\-run \-d \-\-log /tmp/job.log \-\- ./long\-job
.fi
.RE
.PP
Start in the background and keep its session id; end it all later:
.PP
.RS
.nf
sid=$(setsid\-run \-d \-\-print sid \-\- ./server)
trap 'pgkill \-\-sid "$sid" \-\-wait \-k 2s' EXIT
.fi
.RE
.PP
Run tests as a job that leaves nothing behind, for ten minutes at most:
.PP
.RS
.nf
setsid\-run \-w \-\-cleanup \-\-timeout 10m \-\- make test
.fi
.RE
.PP
A daemon with a pid file, started twice: the second start exits 125.
.PP
.RS
.nf
setsid\-run \-d \-\-pidfile /run/app.pid \-\- app
.fi
.RE
"#,
    ),
    (
        "SEE ALSO",
        r#"
\fBkill\fR(1), \fBpgkill\fR(1), \fBpgtree\fR(1), \fBps\fR(1), \fBsetsid\fR(1),
\fBtimeout\fR(1), \fBsetsid\fR(2), \fBcredentials\fR(7)
"#,
    ),
];
