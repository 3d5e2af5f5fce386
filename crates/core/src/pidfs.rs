//! What pidfs adds to a pidfd on newer kernels, probed once per run, in
//! one place; the rest of the code asks [`support`] and falls back.
//!
//! - **Inodes** (Linux 6.9): a pidfd is a file of the pidfs file system,
//!   and its inode number (`fstat`'s `st_ino`) names its process for as
//!   long as the system runs (on 64-bit systems it is never reused).
//!   `PID:INO` is then an identity that a reused PID cannot fake
//!   (util-linux 2.42 `kill`, `waitpid` and `getino` read and print it).
//! - **Group signals** (6.9): `pidfd_send_signal` with
//!   `PIDFD_SIGNAL_PROCESS_GROUP` signals the group whose id is the pidfd's
//!   process (the kernel's `struct pid`, not its number): a group whose
//!   leader is held by a pidfd is signalled without any race with the reuse
//!   of its number.
//! - **Exit information** (6.15): `PIDFD_GET_INFO` with `PIDFD_INFO_EXIT`
//!   gives the wait status of a process that is not the caller's child,
//!   once it has been reaped.
//!
//! Test hooks: `PROCGROUP_NO_PIDFS=1` makes the probe report no inodes and
//! no group signals, `PROCGROUP_NO_PIDFD_INFO=1` no exit information, as an
//! older kernel would. They exist so that the test suite can run the
//! fallback paths on this kernel; nothing else should set them.

use std::io;
use std::os::fd::AsRawFd;
use std::sync::OnceLock;

use crate::pidfd::PidFd;
use crate::{Error, Pid, Result, Signal};

/// Test hook: no pidfs inodes, no group signals through a pidfd.
const NO_PIDFS: &str = "PROCGROUP_NO_PIDFS";
/// Test hook: no exit information through `PIDFD_GET_INFO`.
const NO_PIDFD_INFO: &str = "PROCGROUP_NO_PIDFD_INFO";

/// The magic number of pidfs in `statfs`'s `f_type`.
const PID_FS_MAGIC: i64 = 0x5049_4446;
/// `pidfd_send_signal` flag: signal the pidfd's process group.
const PIDFD_SIGNAL_PROCESS_GROUP: u32 = 1 << 2;
/// `struct pidfd_info` mask bits.
const PIDFD_INFO_PID: u64 = 1 << 0;
const PIDFD_INFO_EXIT: u64 = 1 << 3;
/// The first published size of `struct pidfd_info` (`PIDFD_INFO_SIZE_VER0`);
/// since 6.15 its last four bytes hold `exit_code`.
const INFO_SIZE: usize = 64;
/// `_IOWR(PIDFS_IOCTL_MAGIC, 11, struct pidfd_info)`, of the size above:
/// the kernel takes any size from `PIDFD_INFO_SIZE_VER0` on.
const PIDFD_GET_INFO: u64 = (3 << 30) | ((INFO_SIZE as u64) << 16) | (0xFF << 8) | 11;
/// Offsets in `struct pidfd_info` (include/uapi/linux/pidfd.h).
const OFFSET_MASK: usize = 0;
const OFFSET_EXIT_CODE: usize = 60;

/// What this kernel offers, as probed once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Support {
    /// pidfds are pidfs files with an inode per process (6.9).
    pub inodes: bool,
    /// `PIDFD_SIGNAL_PROCESS_GROUP` (6.9).
    pub group_signal: bool,
    /// `PIDFD_GET_INFO` (6.13), whose `PIDFD_INFO_EXIT` (6.15) is asked for
    /// each process: where the kernel has no exit information, the answer
    /// lacks it.
    pub exit_info: bool,
}

/// What this kernel offers (probed on the first call, on a pidfd of the
/// caller itself).
pub fn support() -> Support {
    static SUPPORT: OnceLock<Support> = OnceLock::new();
    *SUPPORT.get_or_init(probe)
}

pub(crate) fn hooked(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|value| !value.is_empty() && value != "0")
}

fn probe() -> Support {
    let none = Support {
        inodes: false,
        group_signal: false,
        exit_info: false,
    };
    let Ok(me) = PidFd::of_child(Pid::current()) else {
        return none;
    };
    let no_pidfs = hooked(NO_PIDFS);
    let mut statfs = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: a valid fd and a valid out pointer of the right type.
    let inodes = !no_pidfs
        && unsafe { libc::fstatfs(me.as_fd().as_raw_fd(), statfs.as_mut_ptr()) } == 0
        // SAFETY: fstatfs filled the struct when it returned 0.
        && fs_type(unsafe { &statfs.assume_init() }) == PID_FS_MAGIC;
    // Signal 0 to the group the caller would lead: checked, nothing is
    // sent (ESRCH where the caller leads no group). An older kernel
    // refuses the flag (EINVAL).
    let group_signal = !no_pidfs
        && !send_raw(&me, 0, PIDFD_SIGNAL_PROCESS_GROUP)
            .is_err_and(|error| error.raw_os_error() == Some(libc::EINVAL));
    let exit_info = !hooked(NO_PIDFD_INFO) && get_info(&me, PIDFD_INFO_PID).is_ok();
    Support {
        inodes,
        group_signal,
        exit_info,
    }
}

/// `f_type`, whose integer type differs between architectures.
#[allow(clippy::unnecessary_cast)]
fn fs_type(statfs: &libc::statfs) -> i64 {
    statfs.f_type as i64
}

fn send_raw(pidfd: &PidFd, signal: i32, flags: u32) -> io::Result<()> {
    // SAFETY: a valid pidfd, a signal number, no siginfo, known flags.
    let result = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_fd().as_raw_fd(),
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

/// `PIDFD_GET_INFO` asking for `mask`; the answer's mask and exit code.
fn get_info(pidfd: &PidFd, mask: u64) -> io::Result<(u64, i32)> {
    #[repr(C, align(8))]
    struct Info([u8; INFO_SIZE]);
    let mut info = Info([0; INFO_SIZE]);
    info.0[OFFSET_MASK..OFFSET_MASK + 8].copy_from_slice(&mask.to_ne_bytes());
    // SAFETY: the request's size is the buffer's, which the kernel fills
    // (a struct pidfd_info of PIDFD_INFO_SIZE_VER0 bytes).
    let result = unsafe {
        libc::ioctl(
            pidfd.as_fd().as_raw_fd(),
            PIDFD_GET_INFO as _,
            info.0.as_mut_ptr(),
        )
    };
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    let word = |at: usize| info.0[at..at + 8].try_into().expect("8 bytes");
    let code = |at: usize| info.0[at..at + 4].try_into().expect("4 bytes");
    Ok((
        u64::from_ne_bytes(word(OFFSET_MASK)),
        i32::from_ne_bytes(code(OFFSET_EXIT_CODE)),
    ))
}

/// How a process ended, as `wait` tells its parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this code.
    Code(i32),
    /// A signal ended it; `core`: it dumped core.
    Signal {
        /// The signal's number.
        number: i32,
        /// Whether a core was dumped.
        core: bool,
    },
}

impl Exit {
    /// The exit of a wait status (`WIFEXITED`, `WIFSIGNALED`); `None` for
    /// a status that says neither.
    pub fn from_wait_status(status: i32) -> Option<Exit> {
        if libc::WIFEXITED(status) {
            Some(Exit::Code(libc::WEXITSTATUS(status)))
        } else if libc::WIFSIGNALED(status) {
            Some(Exit::Signal {
                number: libc::WTERMSIG(status),
                core: libc::WCOREDUMP(status),
            })
        } else {
            None
        }
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Exit::Code(code) => write!(f, "exit code {code}"),
            Exit::Signal { number, core } => {
                match Signal::from_number(number) {
                    Some(signal) => write!(f, "killed by {signal}")?,
                    None => write!(f, "killed by signal {number}")?,
                }
                if core {
                    f.write_str(" (core dumped)")?;
                }
                Ok(())
            }
        }
    }
}

/// What a pidfd tells of how its process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Death {
    /// Reaped, and the kernel kept how it ended (6.15+).
    Known(Exit),
    /// A zombie: it exited, but its parent has not reaped it (collected
    /// its status) yet; the kernel tells how it ended only after that.
    NotReaped,
    /// The kernel does not tell (before 6.15), or the process was not
    /// held from before it was reaped.
    Unknown,
}

impl PidFd {
    /// The pidfs inode of this process: with its pid, an identity never
    /// reused while the system runs. `None` before Linux 6.9.
    pub fn inode(&self) -> Option<u64> {
        if !support().inodes {
            return None;
        }
        let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: a valid fd and a valid out pointer of the right type.
        let result = unsafe { libc::fstat(self.as_fd().as_raw_fd(), stat.as_mut_ptr()) };
        // SAFETY: fstat filled the struct when it returned 0.
        (result == 0).then(|| unsafe { stat.assume_init() }.st_ino)
    }

    /// Signals every member of the process group whose id is this
    /// process (`PIDFD_SIGNAL_PROCESS_GROUP`): the group it founded, by
    /// the kernel's own handle on it, not by number. `None` where the
    /// kernel cannot (before 6.9): then the caller signals by number.
    pub fn send_group(&self, signal: Signal) -> Option<io::Result<()>> {
        if !support().group_signal {
            return None;
        }
        match send_raw(self, signal.number(), PIDFD_SIGNAL_PROCESS_GROUP) {
            Err(error) if error.raw_os_error() == Some(libc::EINVAL) => None,
            result => Some(result),
        }
    }

    /// How the process ended, if the kernel tells (see [`Death`]).
    pub fn death(&self) -> Death {
        if !support().exit_info {
            return Death::Unknown;
        }
        match get_info(self, PIDFD_INFO_EXIT) {
            Ok((mask, code)) if mask & PIDFD_INFO_EXIT != 0 => {
                Exit::from_wait_status(code).map_or(Death::Unknown, Death::Known)
            }
            // Answered without the exit: the process is not reaped yet.
            Ok(_) if self.has_exited() => Death::NotReaped,
            _ => Death::Unknown,
        }
    }
}

/// A pidfd of process `pid` whose pidfs inode is `ino`, or `None` when
/// no process has that pid or the one that has it is another (its pid
/// was reused). An error where the kernel has no pidfs inodes (before
/// Linux 6.9): then `PID:INO` cannot be checked.
pub fn open_identified(pid: Pid, ino: u64) -> Result<Option<PidFd>> {
    if !support().inodes {
        return Err(Error::usage(format!(
            "cannot check '{pid}:{ino}': this kernel has no pidfs inodes (Linux 6.9 or later)"
        )));
    }
    let pidfd = PidFd::open_unchecked(pid).map_err(|error| Error::os("pidfd_open", error))?;
    Ok(pidfd.filter(|pidfd| !pidfd.is_reaped() && pidfd.inode() == Some(ino)))
}

/// The pidfs inode of the process that has `pid` now, with a check that
/// does not race with its exit: `stat_first` is read after the pidfd is
/// opened and before it is found not reaped, so the inode is the one of
/// the process that `stat_first` read. `None` before Linux 6.9, or when
/// the process is gone.
pub fn inode_of<T>(pid: Pid, stat_first: impl FnOnce() -> Option<T>) -> (Option<T>, Option<u64>) {
    if !support().inodes {
        return (stat_first(), None);
    }
    let Ok(Some(pidfd)) = PidFd::open_unchecked(pid) else {
        return (stat_first(), None);
    };
    let read = stat_first();
    let ino = (read.is_some() && !pidfd.is_reaped())
        .then(|| pidfd.inode())
        .flatten();
    (read, ino)
}

/// The pidfs inode of `process`, if it is still there: the process that
/// has its pid now, found (after the pidfd is opened) to have its start
/// time, and not reaped. `None` before Linux 6.9, or when it is gone.
pub fn inode_of_process(process: &crate::Process) -> Option<u64> {
    if !support().inodes {
        return None;
    }
    let pidfd = PidFd::open_unchecked(process.pid).ok()??;
    pidfd
        .stat(process.pid)
        .is_some_and(|stat| stat.starttime == process.starttime)
        .then(|| pidfd.inode())
        .flatten()
}

/// An id typed as `ID` or `ID:INO` (the id's process, or the group's or
/// session's leader, with that pidfs inode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WithInode<T> {
    /// The id.
    pub id: T,
    /// The pidfs inode its process (or leader) must have, if given.
    pub ino: Option<u64>,
}

impl<T> WithInode<T> {
    /// Parses `ID` with `parse`, or `ID:INO`.
    pub fn parse(text: &str, parse: impl Fn(&str) -> Result<T>) -> Result<WithInode<T>> {
        let Some((id, ino)) = text.split_once(':') else {
            return Ok(WithInode {
                id: parse(text)?,
                ino: None,
            });
        };
        let id = parse(id)?;
        let ino = Some(ino)
            .filter(|ino| !ino.is_empty() && ino.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|ino| ino.parse::<u64>().ok())
            .filter(|&ino| ino > 0)
            .ok_or_else(|| {
                Error::usage(format!(
                    "invalid inode in '{text}': PID:INO takes a positive decimal inode number"
                ))
            })?;
        Ok(WithInode { id, ino: Some(ino) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Pgid, Sid};

    #[test]
    fn parses_ids_with_and_without_inodes() {
        let plain = WithInode::parse("42", |t| t.parse::<Pid>()).unwrap();
        assert_eq!(plain.id, Pid::from_raw(42));
        assert_eq!(plain.ino, None);
        let with = WithInode::parse("42:1234", |t| t.parse::<Pgid>()).unwrap();
        assert_eq!((with.id, with.ino), (Pgid::from_raw(42), Some(1234)));
        for bad in [
            "42:", "42:x", "42:0", "42:-1", "42:+5", "42:1:2", ":5", "0:5",
        ] {
            assert!(
                WithInode::parse(bad, |t| t.parse::<Sid>()).is_err(),
                "{bad} accepted"
            );
        }
    }

    #[test]
    fn wait_statuses_are_read_as_wait_reads_them() {
        assert_eq!(Exit::from_wait_status(3 << 8), Some(Exit::Code(3)));
        assert_eq!(
            Exit::from_wait_status(9),
            Some(Exit::Signal {
                number: 9,
                core: false
            })
        );
        assert_eq!(
            Exit::from_wait_status(11 | 0x80),
            Some(Exit::Signal {
                number: 11,
                core: true
            })
        );
        assert_eq!(Exit::from_wait_status(0x137f), None);
    }

    /// A child's inode is stable and its own; its exit is known once
    /// reaped, and a zombie is told apart (on kernels that have them).
    #[test]
    fn a_child_is_identified_and_its_death_certified() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "read _; exit 7"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("sh");
        let pid = Pid::from_raw(child.id() as i32);
        let pidfd = PidFd::of_child(pid).expect("pidfd");
        let me = PidFd::of_child(Pid::current()).expect("own pidfd");
        if support().inodes {
            let ino = pidfd.inode().expect("inode");
            assert_ne!(Some(ino), me.inode());
            let again = open_identified(pid, ino).unwrap().expect("same process");
            assert_eq!(again.inode(), Some(ino));
            assert!(open_identified(pid, ino + 1).unwrap().is_none());
            assert_eq!(inode_of(pid, || Some(())).1, Some(ino));
        } else {
            assert_eq!(pidfd.inode(), None);
            assert!(open_identified(pid, 1).is_err());
        }
        // Alive: nothing to tell yet.
        assert_eq!(pidfd.death(), Death::Unknown);
        drop(child.stdin.take());
        while !pidfd.has_exited() {
            crate::pidfd::poll(&[&pidfd], None);
        }
        if support().exit_info {
            assert_eq!(pidfd.death(), Death::NotReaped);
        }
        child.wait().expect("reaped");
        let expected = if support().exit_info {
            Death::Known(Exit::Code(7))
        } else {
            Death::Unknown
        };
        assert_eq!(pidfd.death(), expected);
    }
}
