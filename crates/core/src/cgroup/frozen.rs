//! A leaf frozen for a moment, to act on its members: thawed when the
//! caller is done, and also when the caller dies first. A freeze by
//! `cgroup.freeze` outlives the process that wrote it (unlike a ptrace
//! freeze, which the kernel lets go with the tracer), so before freezing,
//! the caller forks a watcher: a process of its own, in a session of its
//! own, with every signal blocked, that holds the leaf's `cgroup.freeze`
//! open and reads a pipe from the caller. One byte means the caller thawed
//! the leaf itself; end of file without it means the caller is gone
//! (SIGKILL, a crash), and the watcher thaws the leaf. Nothing the caller
//! does for the watcher but fork and write can fail half-way.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Instant;

use super::{is_removed, Leaf, FREEZE_LIMIT};

/// A frozen leaf; dropped, or [`Frozen::thaw`]ed, it runs again.
#[must_use = "the leaf is thawed when this is dropped"]
pub struct Frozen<'a> {
    leaf: &'a Leaf,
    watcher: Option<Watcher>,
    thawed: bool,
}

impl Leaf {
    /// Freezes it, with a watcher that thaws it should the caller die
    /// before it does, and waits until it is frozen, [`FREEZE_LIMIT`] at
    /// most (a member in the kernel, uninterruptible, holds it up; one
    /// removed meanwhile, by whoever saw it empty, is frozen). Where no
    /// watcher can be forked (a process limit reached), it freezes all the
    /// same: that is when a job most needs to be stopped from forking.
    pub fn freeze(&self) -> io::Result<Frozen<'_>> {
        let watcher = Watcher::start(self).ok();
        let mut frozen = Frozen {
            leaf: self,
            watcher,
            thawed: false,
        };
        match self.write("cgroup.freeze", "1") {
            Err(error) if is_removed(&error) => return Ok(frozen),
            Err(error) => {
                frozen.thawed = true;
                return Err(error);
            }
            Ok(()) => {}
        }
        self.wait_for(Some(Instant::now() + FREEZE_LIMIT), |events| {
            events.frozen || !events.populated
        })?;
        Ok(frozen)
    }
}

impl Frozen<'_> {
    /// Lets the leaf run again (one removed meanwhile has nothing to let
    /// go), and tells the watcher.
    pub fn thaw(mut self) -> io::Result<()> {
        self.thawed = true;
        thaw(self.leaf)
    }
}

impl Drop for Frozen<'_> {
    /// Thaws the leaf if [`Frozen::thaw`] did not, then tells the watcher.
    fn drop(&mut self) {
        if !self.thawed {
            let _ = thaw(self.leaf);
        }
        if let Some(watcher) = self.watcher.take() {
            watcher.release();
        }
    }
}

fn thaw(leaf: &Leaf) -> io::Result<()> {
    match leaf.write("cgroup.freeze", "0") {
        Err(error) if is_removed(&error) => Ok(()),
        other => other,
    }
}

/// The process that thaws a leaf if the caller dies with it frozen.
struct Watcher {
    pid: libc::pid_t,
    /// The caller's end of the pipe: one byte, or its end of file.
    told: OwnedFd,
}

impl Watcher {
    fn start(leaf: &Leaf) -> io::Result<Watcher> {
        let freeze: File = OpenOptions::new()
            .write(true)
            .open(leaf.path().join("cgroup.freeze"))?;
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills two fds, both owned right after.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fresh fds from pipe2 that nothing else owns.
        let (listen, told) =
            unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let freeze_fd = freeze.as_raw_fd();
        let listen_fd = listen.as_raw_fd();
        let told_fd = told.as_raw_fd();
        // SAFETY: the child makes only async-signal-safe system calls on
        // fds opened before the fork (the caller may have threads), and
        // leaves with _exit; the parent only goes on.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(io::Error::last_os_error());
        }
        if pid == 0 {
            // SAFETY: as above: this process's own signal mask, session
            // and fds; no allocation, no lock, no destructor.
            unsafe {
                let mut all = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
                libc::sigfillset(all.as_mut_ptr());
                libc::sigprocmask(libc::SIG_SETMASK, all.as_ptr(), std::ptr::null_mut());
                // Out of the caller's group and terminal: a Ctrl-C or a
                // kill of its group does not end the watcher with it.
                libc::setsid();
                libc::close(told_fd);
                let mut byte = 0u8;
                let read = loop {
                    let read = libc::read(listen_fd, (&raw mut byte).cast(), 1);
                    if read >= 0 || *libc::__errno_location() != libc::EINTR {
                        break read;
                    }
                };
                if read != 1 {
                    libc::write(freeze_fd, c"0".as_ptr().cast(), 1);
                }
                libc::_exit(0)
            }
        }
        Ok(Watcher { pid, told })
    }

    /// Tells it the caller thawed the leaf, and reaps it.
    fn release(self) {
        let Watcher { pid, told } = self;
        // SAFETY: one byte from a local to the pipe's fd, still open.
        unsafe { libc::write(told.as_raw_fd(), c"1".as_ptr().cast(), 1) };
        drop(told);
        let mut status = 0;
        // SAFETY: waits for this process's own child, forked in start.
        while unsafe { libc::waitpid(pid, &mut status, 0) } < 0
            && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
        {}
    }
}
