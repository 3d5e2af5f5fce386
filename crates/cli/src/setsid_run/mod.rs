//! `setsid-run`: start a command in a new session, and keep it under
//! control.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args as _, Parser, ValueEnum};
use procgroup::cgroup::{self, Leaf};
use procgroup::deliver::Target;
use procgroup::pidfile::{PidFile, PidFileError};
use procgroup::spawn::{self, reaper, Child, Scope, Signals, Spawn};
use procgroup::{parse_duration, Pgid, Signal};

use crate::common::{core, main_with, write_process_json, write_stray_json, Failure};

mod man;
mod supervise;

use supervise::{supervise, Job};

pub use man::MAN_SECTIONS;

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

    /// With --timeout or --cleanup, print on stdout once the command has ended a JSON report of what they ended
    #[arg(long)]
    json: bool,

    /// Write COMMAND's pid to FILE; refuse to start if FILE names a live instance
    #[arg(long, value_name = "FILE")]
    pidfile: Option<PathBuf>,

    /// What --pidfile holds: the pid (what pgrep -F reads), or PID:INO with its pidfs inode (Linux 6.9+), checked exactly
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        default_value = "pid",
        requires = "pidfile"
    )]
    pidfile_format: PidfileFormat,

    /// Make the current terminal (on stdin) the new session's controlling terminal; it is taken from the caller's session for good
    #[arg(short = 'c', long, conflicts_with_all = ["detach", "group"])]
    ctty: bool,

    /// With -c, take the terminal even from the shell whose foreground job setsid-run is
    #[arg(long, requires = "ctty")]
    force: bool,

    /// Only a new process group in the current session, not a new session
    #[arg(short = 'g', long)]
    group: bool,

    /// Also start the command in a cgroup v2 leaf of its own, which nothing it starts can leave; `auto`: where possible
    #[arg(long, value_enum, value_name = "WHEN", num_args = 0..=1,
          default_missing_value = "always", require_equals = true, conflicts_with = "group")]
    seal: Option<Seal>,

    /// The command and its arguments
    #[arg(value_name = "COMMAND", required = true, num_args = 1.., trailing_var_arg = true,
          value_hint = clap::ValueHint::CommandWithArguments)]
    command: Vec<OsString>,
}

/// When `--seal` seals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Seal {
    /// Always; without a writable cgroup v2 tree, fail (exit 125) before starting
    Always,
    /// Where a writable cgroup v2 tree allows it; otherwise start unsealed
    Auto,
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
    /// PID:INO, with the pidfs inode (Linux 6.9+): 13131:4242, for pgkill --pid and util-linux kill
    #[value(name = "pid:ino")]
    PidIno,
    /// pid, pgid, sid and pidfs inode (? before Linux 6.9): 13131 13131 13131 4242
    Ids,
    /// pid, pgid, sid and ino as one JSON object on a line (ino null before Linux 6.9)
    Json,
}

/// What `--pidfile` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum PidfileFormat {
    /// The pid alone, as pgrep -F and other tools read it
    Pid,
    /// PID:INO, checked by setsid-run and pgtree -F by the inode, exactly
    #[value(name = "pid:ino")]
    PidIno,
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
    if args.json && !waiting {
        return Err(Failure::usage(
            "--json reports what --timeout or --cleanup ended: give one of them (or -w)",
        ));
    }
    let mut spawn = spawn_for(&args)?;
    // Before the command starts: orphans of the job come up to
    // setsid-run, which reaps them and, with --cleanup or --timeout, ends
    // them. Failing that, they go to init as without it.
    if waiting {
        let _ = reaper::become_subreaper();
    }
    spawn.seal = seal(args.seal)?;
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
    let job = match child.leaf.take() {
        Some(leaf) => Job::Sealed(leaf),
        None if args.group => Job::Scope(Target::Pgid(child.pgid)),
        None => Job::Scope(Target::Sid(child.sid)),
    };
    let mut pidfile = pidfile;
    if let Some(file) = &mut pidfile {
        let committed = match (args.pidfile_format, child.ino()) {
            (PidfileFormat::PidIno, Some(ino)) => file.commit_identified(child.pid, ino),
            (PidfileFormat::PidIno, None) => Err(io::Error::other(
                "PID:INO needs pidfs inodes (Linux 6.9 or later)",
            )),
            (PidfileFormat::Pid, _) => file.commit(child.pid),
        };
        if let Err(error) = committed {
            // Nothing half-done: a command whose pid file failed is stopped.
            job.kill();
            let _ = child.wait();
            leave(job);
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
                job.kill();
                let _ = child.wait();
                leave(job);
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
        leave(job);
        return Ok(0);
    };
    // Waiting, the lock is held for the command's life, and the file is
    // removed (if it is still ours) before the lock goes.
    let supervised = supervise(&mut child, signals, &job, args, _terminal.as_ref());
    leave(job);
    let supervised = supervised?;
    if let Some(file) = pidfile {
        file.remove();
    }
    if args.json {
        write_report(args, &supervised)
            .map_err(|e| Failure::new(FAILED, format!("--json: cannot write the report: {e}")))?;
    }
    Ok(supervised.code)
}

/// Where `--seal` makes the job's leaf: setsid-run's own cgroup; `None`
/// unsealed. Where no leaf can be made there, `--seal` fails (nothing
/// started) and `--seal=auto` goes without.
fn seal(when: Option<Seal>) -> Result<Option<PathBuf>, Failure> {
    let Some(when) = when else {
        return Ok(None);
    };
    match (Leaf::parent_for_caller(), when) {
        (Ok(parent), _) => Ok(Some(parent)),
        (Err(_), Seal::Auto) => Ok(None),
        (Err(why), Seal::Always) => Err(Failure::new(
            FAILED,
            format!(
                "--seal: {why}; run it where the cgroup v2 tree is writable (as root, or in \
                 a delegated cgroup such as a systemd user service), or use --seal=auto"
            ),
        )),
    }
}

/// A sealed job's leaf, once setsid-run is done with it: removed if empty,
/// else left to a watcher that removes it when the job is gone.
fn leave(job: Job) {
    if let Job::Sealed(leaf) = job {
        if leaf.is_populated().unwrap_or(true) {
            let _ = cgroup::remove_when_empty(leaf);
        } else {
            let _ = leaf.remove();
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
        seal: None,
        stdin,
        stdout,
        stderr,
    })
}

/// `--json`: the command's status, and what --timeout or --cleanup ended
/// (each process as `pgkill --wait --json` reports it), on one line.
fn write_report(args: &Args, supervised: &supervise::Supervised) -> io::Result<()> {
    let mut line = Vec::new();
    let ended = match (&supervised.ending, supervised.timed_out) {
        (None, _) => "null",
        (Some(_), true) => "\"timeout\"",
        (Some(_), false) => "\"cleanup\"",
    };
    write!(
        line,
        "{{\"status\":{},\"ended_by\":{ended},\"signal\":\"{}\",\"processes\":[",
        supervised.code,
        args.signal.name()
    )?;
    if let Some(ending) = &supervised.ending {
        let mut first = true;
        let mut comma = |line: &mut Vec<u8>| {
            if !std::mem::take(&mut first) {
                line.push(b',');
            }
        };
        for entry in ending.job.entries() {
            comma(&mut line);
            write_process_json(&mut line, &entry.process, Some(entry), true, entry.escaped)?;
        }
        for stray in &ending.strays {
            comma(&mut line);
            write_stray_json(&mut line, stray)?;
        }
    }
    line.extend_from_slice(b"]}\n");
    let mut out = io::stdout().lock();
    out.write_all(&line)?;
    out.flush()
}

fn print_ids(print: Print, child: &Child) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let (pid, pgid, sid) = (child.pid, child.pgid, child.sid);
    let ino = child.ino();
    let or = |missing: &str| ino.map_or_else(|| missing.to_string(), |ino| ino.to_string());
    match print {
        Print::Pid => writeln!(out, "{pid}")?,
        Print::Pgid => writeln!(out, "{pgid}")?,
        Print::Sid => writeln!(out, "{sid}")?,
        Print::PidIno => match ino {
            Some(ino) => writeln!(out, "{pid}:{ino}")?,
            None => {
                return Err(io::Error::other(
                    "PID:INO needs pidfs inodes (Linux 6.9 or later)",
                ))
            }
        },
        Print::Ids => writeln!(out, "{pid} {pgid} {sid} {}", or("?"))?,
        Print::Json => writeln!(
            out,
            "{{\"pid\":{pid},\"pgid\":{pgid},\"sid\":{sid},\"ino\":{}}}",
            or("null")
        )?,
    }
    out.flush()
}
