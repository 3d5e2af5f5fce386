//! A child subreaper: a process that double-forks or calls setsid() still
//! has an ancestor, the caller, to which it is re-parented when its parent
//! dies (`PR_SET_CHILD_SUBREAPER`), instead of init. The caller reaps what
//! comes to it, and can end its whole subtree, whatever the sessions in it.
//!
//! Only children are ever signalled: a child that is not reaped keeps its
//! pid, so a pid read as a child's cannot be a stranger's. A grandchild is
//! reached once its parent is gone and it has come up to the caller.

use std::collections::HashSet;
use std::io;
use std::time::{Duration, Instant};

use crate::pidfd::{self, PidFd};
use crate::{Fields, Pid, Signal, Snapshot};

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

/// Reaps the caller's children that have exited, but `keep`; the live
/// children left.
pub fn reap_exited(keep: Pid) -> io::Result<Vec<Pid>> {
    let mut alive = Vec::new();
    for (pid, zombie) in children(keep)? {
        let mut status = 0;
        // SAFETY: waitpid of our own child, without blocking.
        let reaped = unsafe { libc::waitpid(pid.as_raw(), &mut status, libc::WNOHANG) };
        if reaped != pid.as_raw() && !zombie {
            alive.push(pid);
        }
    }
    Ok(alive)
}

/// Ends every descendant of the caller but `keep` (and what `keep` still
/// has under it): `signal` to each child (and SIGCONT, so that a stopped
/// one takes it), SIGKILL to whatever is left `kill_after` later, each
/// orphan that comes up treated the same, until no child is left; reaps
/// them. Whether SIGKILL was needed.
pub fn end_descendants(signal: Signal, kill_after: Duration, keep: Pid) -> io::Result<bool> {
    let kill_at = Instant::now() + kill_after;
    let mut signalled = HashSet::new();
    let mut escalated = false;
    loop {
        let alive = reap_exited(keep)?;
        if alive.is_empty() {
            return Ok(escalated);
        }
        let killing = Instant::now() >= kill_at;
        let mut fds = Vec::new();
        for pid in alive {
            // Our child, not reaped: its pid is its own.
            let Ok(fd) = PidFd::of_child(pid) else {
                continue;
            };
            if killing {
                escalated |= fd.send(Signal::KILL).is_ok();
            } else if signalled.insert(pid) {
                let _ = fd.send(signal);
                let _ = fd.send(Signal::CONT);
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
