//! Process file descriptors: a handle on one process that a reused PID
//! cannot fool (Linux 5.3+).

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::Duration;

use crate::{Pid, Signal};

/// A pidfd, confirmed to refer to the process that started at `starttime`.
#[derive(Debug)]
pub struct PidFd {
    fd: OwnedFd,
}

/// What opening a pidfd found.
#[derive(Debug)]
pub enum Opened {
    /// The process is (or was, if now a zombie) the expected one.
    Same(PidFd),
    /// No such process, or the PID now belongs to a process that started
    /// later: the expected one has exited.
    Gone,
}

impl PidFd {
    /// Opens a pidfd for `pid` and confirms it is the process that started
    /// at `starttime` (clock ticks since boot). The pidfd is opened FIRST
    /// and the start time read after: if it matches, the fd pins that very
    /// process, whatever happens to the PID later.
    pub fn open(pid: Pid, starttime: u64) -> io::Result<Opened> {
        // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) };
        if fd < 0 {
            let error = io::Error::last_os_error();
            return match error.raw_os_error() {
                Some(libc::ESRCH) => Ok(Opened::Gone),
                _ => Err(error),
            };
        }
        // SAFETY: the syscall returned a fresh fd that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
        match crate::snapshot::read_stat_of(pid) {
            Some(stat) if stat.starttime == starttime => Ok(Opened::Same(PidFd { fd })),
            _ => Ok(Opened::Gone),
        }
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
        // SAFETY: a valid pidfd, a signal number, no siginfo, no flags.
        let result = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.fd.as_raw_fd(),
                signal.number(),
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        if result < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Whether the process has exited (a zombie has).
    pub fn has_exited(&self) -> bool {
        !poll(&[self], Some(Duration::ZERO)).is_empty()
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
