//! A child subreaper: a process that double-forks or calls setsid() still
//! has an ancestor, the caller, to which it is re-parented when its parent
//! dies (`PR_SET_CHILD_SUBREAPER`), instead of init. The caller reaps what
//! comes to it, and can end its whole subtree, whatever the sessions in it.
//!
//! Only children are ever signalled: a child that is not reaped keeps its
//! pid, so a pid read as a child's cannot be a stranger's. A grandchild is
//! reached once its parent is gone and it has come up to the caller.

use std::collections::HashMap;
use std::io;
use std::time::{Duration, Instant};

use crate::pidfd::{self, PidFd};
use crate::pidfs::Exit;
use crate::snapshot::read_stat_of;
use crate::{Fields, Pid, Process, Signal, Snapshot};

/// How often the subtree is looked at again while it is being ended:
/// orphans come up without a word to the subreaper.
const LOOK_AGAIN: Duration = Duration::from_millis(50);

/// Makes the caller a child subreaper.
pub fn become_subreaper() -> io::Result<()> {
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes an integer flag.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The caller's children other than `keep` (the command, which its own
/// handle reaps), zombies included.
fn children(keep: Pid) -> io::Result<Vec<(Pid, bool)>> {
    let me = Pid::current();
    let snapshot = Snapshot::read(Fields::default()).map_err(io::Error::other)?;
    Ok(snapshot
        .processes()
        .iter()
        .filter(|p| p.ppid == me && p.pid != keep)
        .map(|p| (p.pid, p.is_zombie()))
        .collect())
}

/// Reaps the caller's children that have exited, but `keep`, cheaply (no
/// look at /proc): for each SIGCHLD while a command runs. It stops at
/// `keep`'s own exit, which its handle reaps; what is left then is reaped
/// by [`end_descendants`] or, after the caller, by init.
pub fn reap_orphans(keep: Pid) {
    loop {
        // SAFETY: an all-zero siginfo_t is valid; waitid fills it.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid of any child, peeking (WNOWAIT), without blocking.
        let peeked = unsafe {
            libc::waitid(
                libc::P_ALL,
                0,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        // SAFETY: waitid filled the siginfo; si_pid is 0 when no child has
        // exited.
        let pid = unsafe { info.si_pid() };
        if peeked != 0 || pid == 0 || pid == keep.as_raw() {
            return;
        }
        let mut status = 0;
        // SAFETY: waitpid of that child, which has exited.
        unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    }
}

/// The caller's children, once those that had exited are reaped.
struct Reaped {
    /// The live ones.
    alive: Vec<Pid>,
    /// Those reaped, with their wait status.
    reaped: Vec<(Pid, i32)>,
}

/// Reaps the caller's children that have exited, but `keep`.
fn reap_exited(keep: Pid) -> io::Result<Reaped> {
    let mut children = Reaped {
        alive: Vec::new(),
        reaped: Vec::new(),
    };
    for (pid, zombie) in self::children(keep)? {
        let mut status = 0;
        // SAFETY: waitpid of our own child, without blocking.
        if unsafe { libc::waitpid(pid.as_raw(), &mut status, libc::WNOHANG) } == pid.as_raw() {
            children.reaped.push((pid, status));
        } else if !zombie {
            children.alive.push(pid);
        }
    }
    Ok(children)
}

/// A descendant of the caller that [`end_descendants`] ended: one that
/// came up to it (double-forked, or left its session), outside the job.
#[derive(Clone, Debug)]
pub struct Stray {
    /// As read when it was first signalled.
    pub process: Process,
    /// Its pidfs inode, where the kernel has them (Linux 6.9).
    pub ino: Option<u64>,
    /// How it ended, from its wait status.
    pub exit: Option<Exit>,
    /// Whether it needed SIGKILL.
    pub escalated: bool,
}

/// Ends every descendant of the caller but `keep` (and what `keep` still
/// has under it): `signal` to each child (and SIGCONT, so that a stopped
/// one takes it), SIGKILL to whatever is left `kill_after` later, each
/// orphan that comes up treated the same, until no child is left; reaps
/// them. Those it signalled, and how each ended.
pub fn end_descendants(signal: Signal, kill_after: Duration, keep: Pid) -> io::Result<Vec<Stray>> {
    let kill_at = Instant::now() + kill_after;
    let mut strays: Vec<Stray> = Vec::new();
    // The strays not reaped yet, by pid (a pid reaped may come back, as
    // another process).
    let mut live: HashMap<Pid, usize> = HashMap::new();
    loop {
        let Reaped { alive, reaped } = reap_exited(keep)?;
        for (pid, status) in reaped {
            if let Some(at) = live.remove(&pid) {
                strays[at].exit = Exit::from_wait_status(status);
            }
        }
        if alive.is_empty() {
            return Ok(strays);
        }
        let killing = Instant::now() >= kill_at;
        let mut fds = Vec::new();
        for pid in alive {
            // Our child, not reaped: its pid is its own.
            let Ok(fd) = PidFd::of_child(pid) else {
                continue;
            };
            let at = match live.get(&pid) {
                Some(&at) => Some(at),
                None => read_stat_of(pid).map(|stat| {
                    live.insert(pid, strays.len());
                    strays.push(Stray {
                        process: Process::from(stat),
                        ino: fd.inode(),
                        exit: None,
                        escalated: false,
                    });
                    if !killing {
                        let _ = fd.send(signal);
                        let _ = fd.send(Signal::CONT);
                    }
                    strays.len() - 1
                }),
            };
            if let (true, Some(at)) = (killing, at) {
                strays[at].escalated |= fd.send(Signal::KILL).is_ok();
            }
            fds.push(fd);
        }
        let until_kill = kill_at.saturating_duration_since(Instant::now());
        let pause = if killing {
            LOOK_AGAIN
        } else {
            until_kill.min(LOOK_AGAIN)
        };
        let refs: Vec<&PidFd> = fds.iter().collect();
        pidfd::poll(&refs, Some(pause));
    }
}
