//! Supervising the command: forwarding signals, Ctrl-Z, --timeout and
//! --cleanup, for its session (or group) or its sealed leaf, and for what
//! it left in setsid-run's subtree.

use std::fmt::Display;
use std::time::{Duration, Instant};

use procgroup::cgroup::Leaf;
use procgroup::deliver::{self, Delivery, Target};
use procgroup::spawn::reaper::{self, Stray};
use procgroup::spawn::{self, Child, Event, Signals};
use procgroup::{Pid, Signal};

use super::{Args, Foreground, FAILED, STOPPING, TIMED_OUT, TIMED_OUT_KILLED};
use crate::common::Failure;

/// What setsid-run forwards signals to and ends: the command's session (or
/// group), or with `--seal` its leaf, which holds every process of the job,
/// also those that left the session.
pub(super) enum Job {
    Scope(Target),
    Sealed(Leaf),
}

fn failed(error: impl Display) -> Failure {
    Failure::new(FAILED, error.to_string())
}

impl Job {
    /// Sends `signal` to every process of the job; the delivery, if it
    /// still holds threads of the frozen session that had not stopped
    /// when it was let go, for the caller to let go once they do
    /// ([`Delivery::let_go_late`]).
    pub fn signal(&self, signal: Signal) -> Result<Option<Delivery>, Failure> {
        match self {
            Job::Scope(target) => {
                let mut delivery = deliver::signal(*target, signal).map_err(failed)?;
                Ok(delivery.let_go_late().then_some(delivery))
            }
            Job::Sealed(leaf) => leaf.signal(signal).map(|_| None).map_err(failed),
        }
    }

    /// Ends the job: `signal`, SIGKILL to what is left `kill_after` later
    /// (at once without), and waits until nothing is left; what became of
    /// each process. With `certify` (for `--json`) it can tell how each
    /// ended ([`Delivery::certify_exits`]) once they are reaped.
    pub fn end(
        &self,
        signal: Signal,
        kill_after: Option<Duration>,
        certify: bool,
    ) -> Result<Delivery, Failure> {
        let mut delivery = Delivery::new(signal);
        if certify {
            delivery = delivery.certify();
        }
        match self {
            Job::Scope(target) => {
                let plan = deliver::resolve(&[*target]).map_err(failed)?;
                delivery.send(&plan).map_err(failed)?;
            }
            // A handle of its own: the delivery removes the leaf once empty.
            Job::Sealed(leaf) => {
                let leaf = Leaf::open(leaf.path()).map_err(failed)?;
                delivery.send_leaf(leaf).map_err(failed)?;
            }
        }
        delivery.wait(None, kill_after).map_err(failed)?;
        Ok(delivery)
    }

    /// Kills the job at once, for a start that cannot go on.
    pub fn kill(&self) {
        let _ = self.end(Signal::KILL, None, false);
    }
}

/// How often setsid-run looks at the threads a forwarded signal's freeze
/// could not let go (see [`Job::signal`]) while it waits.
const LET_GO_LOOK: Duration = Duration::from_millis(100);

/// How a supervised command ended.
pub(super) struct Supervised {
    /// setsid-run's exit status.
    pub code: i32,
    /// Whether --timeout ended it.
    pub timed_out: bool,
    /// What --timeout or --cleanup ended, if either did.
    pub ending: Option<Ending>,
}

/// What --timeout or --cleanup ended: the job, and what it left in
/// setsid-run's subtree outside it.
pub(super) struct Ending {
    pub job: Delivery,
    pub strays: Vec<Stray>,
}

impl Ending {
    /// Whether anything needed SIGKILL.
    fn escalated(&self) -> bool {
        self.job.escalated() || self.strays.iter().any(|stray| stray.escalated)
    }
}

/// Waits for the command, forwarding signals, enforcing --timeout and
/// --cleanup. setsid-run is a child subreaper meanwhile: what the job
/// double-forks comes up to it, is reaped when it exits, and --timeout and
/// --cleanup end it.
pub(super) fn supervise(
    child: &mut Child,
    signals: &Signals,
    job: &Job,
    args: &Args,
    terminal: Option<&Foreground>,
) -> Result<Supervised, Failure> {
    // A timeout of 0 is none, as in timeout(1).
    let mut deadline = args
        .timeout
        .filter(|t| !t.is_zero())
        .map(|t| Instant::now() + t);
    // Deliveries that hold threads to let go once they stop.
    let mut held: Vec<Delivery> = Vec::new();
    loop {
        held.retain_mut(Delivery::let_go_late);
        let look = (!held.is_empty()).then(|| Instant::now() + LET_GO_LOOK);
        let wake = [deadline, look].into_iter().flatten().min();
        match child.wait_event(signals, wake).map_err(failed)? {
            // Only the look at the held threads.
            Event::TimedOut if deadline.is_none_or(|at| Instant::now() < at) => {}
            Event::Signal(signal) if STOPPING.contains(&signal) => {
                // Ctrl-Z: the command first, then setsid-run, whose shell
                // then shows the job stopped; `fg`/`bg` continue
                // setsid-run, which continues the command. The timeout
                // does not count the time stopped.
                held.extend(job.signal(Signal::STOP)?);
                let stopped = Instant::now();
                // SAFETY: raise(3) of SIGSTOP on this process; it returns
                // once a SIGCONT continued it.
                unsafe { libc::raise(libc::SIGSTOP) };
                held.extend(job.signal(Signal::CONT)?);
                if let Some(at) = deadline.as_mut() {
                    *at += stopped.elapsed();
                }
            }
            Event::Signal(Signal::CHLD) => {
                // An orphan of the job that came up to setsid-run and
                // exited is reaped.
                reaper::reap_orphans(child.pid);
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
                        held.extend(job.signal(Signal::CONT)?);
                    }
                }
            }
            Event::Signal(signal) => held.extend(job.signal(signal)?),
            Event::TimedOut => {
                let mut ending = end_all(job, args, child.pid)?;
                let status = child.wait().map_err(failed)?;
                if args.json {
                    ending.job.certify_exits();
                }
                let code = if args.preserve_status {
                    spawn::shell_status(status)
                } else if ending.escalated() {
                    TIMED_OUT_KILLED
                } else {
                    TIMED_OUT
                };
                return Ok(Supervised {
                    code,
                    timed_out: true,
                    ending: Some(ending),
                });
            }
            Event::Exited(status) => {
                let ending = if args.cleanup {
                    let mut ending = end_all(job, args, child.pid)?;
                    if args.json {
                        ending.job.certify_exits();
                    }
                    Some(ending)
                } else {
                    None
                };
                return Ok(Supervised {
                    code: spawn::shell_status(status),
                    timed_out: false,
                    ending,
                });
            }
        }
    }
}

/// Ends the job, then whatever it left in setsid-run's subtree, whatever
/// its session.
fn end_all(job: &Job, args: &Args, command: Pid) -> Result<Ending, Failure> {
    let job = job.end(args.signal, Some(args.kill_after), args.json)?;
    let strays = reaper::end_descendants(args.signal, args.kill_after, command).map_err(failed)?;
    Ok(Ending { job, strays })
}

/// Whether the command, our child, has stopped (its stop is taken in: a
/// stop report reaps nothing).
fn has_stopped(pid: Pid) -> bool {
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
