//! Process file descriptors: a handle on one process that a reused PID
//! cannot fool (Linux 5.3+).

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::Duration;

use crate::{Pid, Signal};

/// `PIDFD_SIGNAL_PROCESS_GROUP` (`<linux/pidfd.h>`, Linux 6.9): the signal
/// goes to the process group of the fd's pid.
const PIDFD_SIGNAL_PROCESS_GROUP: libc::c_uint = 1 << 2;

/// A pidfd: a handle on one process, which a reused PID cannot redirect.
#[derive(Debug)]
pub struct PidFd {
    fd: OwnedFd,
}

impl PidFd {
    /// Opens a pidfd for whichever process has `pid` now (`None`: no
    /// process has it). Nothing says yet that it is the one expected:
    /// [`PidFd::stat`], read after this, tells.
    pub(crate) fn open_unchecked(pid: Pid) -> io::Result<Option<PidFd>> {
        // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) };
        if fd < 0 {
            let error = io::Error::last_os_error();
            return match error.raw_os_error() {
                Some(libc::ESRCH) => Ok(None),
                _ => Err(error),
            };
        }
        // SAFETY: the syscall returned a fresh fd that nothing else owns.
        Ok(Some(PidFd {
            fd: unsafe { OwnedFd::from_raw_fd(fd as i32) },
        }))
    }

    /// The stat of the process this fd pins, which had `pid` when the fd
    /// was opened. It is read by pid, then the fd tells that its process
    /// was not reaped meanwhile: until then nobody else can have the pid,
    /// so the stat read is that very process's (a zombie's too).
    pub(crate) fn stat(&self, pid: Pid) -> Option<crate::stat::Stat> {
        let stat = crate::snapshot::read_stat_of(pid)?;
        (!self.is_reaped()).then_some(stat)
    }

    /// Whether the process is gone for good: reaped, so that its pid may
    /// be someone else's by now. A zombie is not reaped.
    pub fn is_reaped(&self) -> bool {
        // Signal 0 is checked, not sent; EPERM still means the process is there.
        self.send_number(0)
            .is_err_and(|error| error.raw_os_error() == Some(libc::ESRCH))
    }

    /// Opens a pidfd for a child of the caller that has not been reaped:
    /// its PID cannot be reused before we reap it, so no check is needed.
    pub fn of_child(pid: Pid) -> io::Result<PidFd> {
        // SAFETY: as in `open`.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the syscall returned a fresh fd that nothing else owns.
        Ok(PidFd {
            fd: unsafe { OwnedFd::from_raw_fd(fd as i32) },
        })
    }

    /// A second fd for the same process.
    pub fn try_clone(&self) -> io::Result<PidFd> {
        Ok(PidFd {
            fd: self.fd.try_clone()?,
        })
    }

    /// The fd, to poll it together with others.
    pub fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Sends `signal` to exactly this process.
    pub fn send(&self, signal: Signal) -> io::Result<()> {
        self.send_number(signal.number())
    }

    fn send_number(&self, signal: i32) -> io::Result<()> {
        self.send_with_flags(signal, 0)
    }

    fn send_with_flags(&self, signal: i32, flags: libc::c_uint) -> io::Result<()> {
        // SAFETY: a valid pidfd, a signal number, no siginfo, and flags the
        // kernel checks (EINVAL for those it does not know).
        let result = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.fd.as_raw_fd(),
                signal,
                std::ptr::null::<libc::siginfo_t>(),
                flags,
            )
        };
        if result < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Whether the process group this process founded (its pid is the
    /// group's id) still has a member, zombies included, whether or not
    /// the founder itself is there or reaped: signal 0 with
    /// `PIDFD_SIGNAL_PROCESS_GROUP` (Linux 6.9), which reaches the tasks
    /// of the very group the fd's pid founded, never a group of the same
    /// number founded later. Once false, false for ever: nothing can join
    /// a group that has emptied (a later group of that number is another).
    /// `None` where the kernel has no such flag.
    ///
    /// Only meaningful for a process verified as a group leader (pid equal
    /// to its pgid) after the fd was opened.
    pub(crate) fn group_has_members(&self) -> Option<bool> {
        match self.send_with_flags(0, PIDFD_SIGNAL_PROCESS_GROUP) {
            Ok(()) => Some(true),
            Err(error) => match error.raw_os_error() {
                // A member is there that the caller may not signal.
                Some(libc::EPERM) => Some(true),
                Some(libc::ESRCH) => Some(false),
                _ => None,
            },
        }
    }

    /// Whether the process has exited (a zombie has).
    pub fn has_exited(&self) -> bool {
        !poll(&[self], Some(Duration::ZERO)).is_empty()
    }
}

/// A set of pidfds to wait on (an epoll instance): each registered fd
/// reports its process's exit once, and a wait costs the same whether one
/// process is watched or thousands.
#[derive(Debug)]
pub struct Watch {
    epoll: OwnedFd,
}

impl Watch {
    /// An empty set.
    pub fn new() -> io::Result<Watch> {
        // SAFETY: epoll_create1 with a flag returns a new fd or -1.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a fresh fd that nothing else owns.
        Ok(Watch {
            epoll: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Watches `pidfd` until its process exits, which [`Watch::wait`] then
    /// reports once, as `token`. Closing the pidfd stops watching it.
    pub fn add(&self, pidfd: &PidFd, token: u64) -> io::Result<()> {
        let mut event = libc::epoll_event {
            events: (libc::EPOLLIN | libc::EPOLLONESHOT) as u32,
            u64: token,
        };
        // SAFETY: both fds are open; the event is a valid epoll_event.
        let added = unsafe {
            libc::epoll_ctl(
                self.epoll.as_raw_fd(),
                libc::EPOLL_CTL_ADD,
                pidfd.fd.as_raw_fd(),
                &mut event,
            )
        };
        if added < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Waits until at least one watched process has exited, or `timeout`
    /// passes; returns the tokens of those that exited (empty on timeout).
    pub fn wait(&self, timeout: Option<Duration>) -> Vec<u64> {
        const BATCH: usize = 256;
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; BATCH];
        let timeout_ms = timeout.map_or(-1, |t| {
            // Round up, so that a wait never returns before its deadline.
            i32::try_from(t.as_nanos().div_ceil(1_000_000)).unwrap_or(i32::MAX)
        });
        let mut tokens = Vec::new();
        let mut wait_ms = timeout_ms;
        loop {
            // SAFETY: a valid epoll fd and a buffer of BATCH events.
            let ready = unsafe {
                libc::epoll_wait(
                    self.epoll.as_raw_fd(),
                    events.as_mut_ptr(),
                    BATCH as i32,
                    wait_ms,
                )
            };
            // Timed out, or interrupted: the caller looks again.
            let Ok(ready @ 1..) = usize::try_from(ready) else {
                return tokens;
            };
            tokens.extend(events[..ready].iter().map(|event| event.u64));
            if ready < BATCH {
                return tokens;
            }
            // A full batch: take what else is ready, without blocking.
            wait_ms = 0;
        }
    }
}

/// Waits until at least one of `fds` has exited, or `timeout` passes;
/// returns the indexes of those that have exited (empty on timeout).
pub fn poll(fds: &[&PidFd], timeout: Option<Duration>) -> Vec<usize> {
    let borrowed: Vec<BorrowedFd> = fds.iter().map(|pidfd| pidfd.as_fd()).collect();
    poll_fds(&borrowed, timeout)
}

/// Waits until at least one of `fds` is readable, or `timeout` passes;
/// returns the indexes of the readable ones (empty on timeout).
pub fn poll_fds(fds: &[BorrowedFd], timeout: Option<Duration>) -> Vec<usize> {
    let mut polled: Vec<libc::pollfd> = fds
        .iter()
        .map(|fd| libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let timeout_ms = timeout.map_or(-1, |t| {
        // Round up, so that a wait never returns before its deadline.
        i32::try_from(t.as_nanos().div_ceil(1_000_000)).unwrap_or(i32::MAX)
    });
    // SAFETY: `polled` is a valid array of pollfd of the given length.
    let ready = unsafe {
        libc::poll(
            polled.as_mut_ptr(),
            polled.len() as libc::nfds_t,
            timeout_ms,
        )
    };
    if ready <= 0 {
        // Timed out, or interrupted: the caller looks again.
        return Vec::new();
    }
    polled
        .iter()
        .enumerate()
        .filter(|(_, p)| p.revents != 0)
        .map(|(index, _)| index)
        .collect()
}
