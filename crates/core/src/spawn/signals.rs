//! Signals held back from their default action, to be forwarded.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};

use nix::sys::signal::{SigSet, SigmaskHow};
use nix::sys::signalfd::{SfdFlags, SignalFd};

use crate::Signal;

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

    pub(super) fn as_fd(&self) -> BorrowedFd<'_> {
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
