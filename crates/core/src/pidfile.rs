//! Pid files that know a live owner from a stranger who took its PID, that
//! only one instance holds at a time, and that never write through a name
//! someone else planted.
//!
//! A pid file names a running instance only if the process with that PID
//! had started by the time the file was written; a process that got the PID
//! later is someone else. Start times come from `/proc/<pid>/stat` (clock
//! ticks since boot) and are put on the file's clock through the offset
//! between CLOCK_REALTIME and CLOCK_BOOTTIME, not /proc/stat's whole-second
//! btime.
//!
//! A pid file may also hold `PID:INO` ([`PidFile::commit_identified`]),
//! the pidfs inode of the process (Linux 6.9+, see [`crate::pidfs`]): then
//! the owner is checked exactly, by that inode, instead of by start time.
//!
//! Exclusivity: the instance that starts holds an exclusive `flock(2)` on
//! the pid file itself (so `pgrep -L -F FILE` sees it locked) from before
//! it starts the command until it lets the [`PidFile`] go. A new file is
//! made locked (an `O_TMPFILE`, locked, then linked into place), so the name
//! never shows an unlocked file. Another instance that finds the lock taken
//! reads the pid: a live owner refuses; an empty file (an instance is
//! starting) is waited for, briefly.
//!
//! Safety, for a pid file in a directory others can write: an existing
//! name is opened with `O_NOFOLLOW|O_NONBLOCK|O_NOCTTY` (a symlink is
//! refused, a FIFO or a device does not block and does not become a
//! terminal), and only a regular file owned by the caller's effective uid
//! with one link is ever written, in place, through that descriptor. No
//! temporary name is ever reused: `O_TMPFILE`, or where the file system
//! lacks it a random name made with `O_CREAT|O_EXCL|O_NOFOLLOW`.

use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use nix::time::{clock_gettime, ClockId};

use crate::Pid;

/// Why a pid file stops a start.
#[derive(Debug, thiserror::Error)]
pub enum PidFileError {
    /// A live process that started before the file was written holds it.
    #[error("already running as pid {0}")]
    Running(Pid),
    /// The file could not be read or written.
    #[error("{path}: {}", crate::error::reason(source))]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// The file holds something other than a pid.
    #[error("{0}: does not hold a pid; not replacing it")]
    NotAPidFile(PathBuf),
    /// A file read as a pid file holds something other than a pid.
    #[error("{0}: does not hold a pid")]
    Garbage(PathBuf),
    /// The name is something that must not be written through: a symlink,
    /// not a regular file, someone else's file, a file with other links.
    #[error("{path}: {why}; not replacing it")]
    Unsafe {
        /// The file.
        path: PathBuf,
        /// What it is.
        why: String,
    },
    /// Another process held the file locked without naming a live
    /// instance, for longer than [`BUSY_WAIT`].
    #[error("{0}: locked by another process")]
    Locked(PathBuf),
}

/// How long a start waits for another process that holds the pid file
/// locked without a live pid in it yet (an instance that is starting).
pub const BUSY_WAIT: Duration = Duration::from_secs(2);

/// A pid file held (locked) by this process: checked, and either created
/// empty or found stale, so that an unwritable place or a live owner fails
/// before anything starts. The lock lasts as long as this value.
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
    /// Opened read-write, close-on-exec, holding an exclusive flock.
    file: File,
    /// Whether this process made the file (else it was a stale one).
    created: bool,
}

impl PidFile {
    /// Checks `path`, takes its lock, and prepares to write it. A live
    /// owner refuses; a stale file (empty, a dead pid, or a pid that a
    /// later process took) is kept, to be overwritten in place; a missing
    /// one is created, empty and locked. Waits up to [`BUSY_WAIT`] while
    /// another process holds the lock without naming a live owner.
    pub fn prepare(path: &Path) -> Result<PidFile, PidFileError> {
        let io_error = |source| PidFileError::Io {
            path: path.to_path_buf(),
            source,
        };
        let deadline = Instant::now() + BUSY_WAIT;
        loop {
            match open_existing(path) {
                Ok(file) => {
                    if let Some(held) = take_existing(path, file)? {
                        return Ok(held);
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    if let Some(file) = create(path).map_err(io_error)? {
                        return Ok(PidFile {
                            path: path.to_path_buf(),
                            file,
                            created: true,
                        });
                    }
                }
                Err(error) => return Err(refusal(path, error)),
            }
            // Someone else holds it, or moved it, or made it first.
            if Instant::now() >= deadline {
                return Err(PidFileError::Locked(path.to_path_buf()));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Writes `pid` into the file, in place, and syncs it. The first line
    /// is the pid (what `pgrep -F` reads); it is written before the file is
    /// cut to its length, so a reader never sees a partial number there.
    pub fn commit(&mut self, pid: Pid) -> io::Result<()> {
        let text = format!("{pid}\n");
        self.file.write_all_at(text.as_bytes(), 0)?;
        self.file.set_len(text.len() as u64)?;
        self.file.sync_all()
    }

    /// Writes `PID:INO` (the process's pidfs inode) instead of the pid
    /// alone: readers here check the owner by inode, exactly; tools that
    /// read a plain pid (`pgrep -F`) do not understand it.
    pub fn commit_identified(&mut self, pid: Pid, ino: u64) -> io::Result<()> {
        let text = format!("{pid}:{ino}\n");
        self.file.write_all_at(text.as_bytes(), 0)?;
        self.file.set_len(text.len() as u64)?;
        self.file.sync_all()
    }

    /// Removes the file if its name still names this file, while still
    /// holding the lock; then lets the lock go.
    pub fn remove(self) {
        if same_file(&self.path, &self.file).unwrap_or(false) {
            let _ = std::fs::remove_file(&self.path);
        }
    }

    /// Gives up before anything was written: a file this process made is
    /// removed, a stale one it found is left as it was.
    pub fn abandon(self) {
        if self.created {
            self.remove();
        }
    }
}

/// Opens an existing pid file without following a symlink, blocking (a
/// FIFO), or acquiring a controlling terminal (a tty). std adds O_CLOEXEC.
/// The process a pid file names, for a reader (pgrep's `-F`): its pid if
/// that process is alive and had started by the time the file was written,
/// `None` if the file is empty or stale (the pid is dead, or a later
/// process took it). The file is only read (following a symbolic link, as
/// any reader does; a FIFO does not block).
pub fn named(path: &Path) -> Result<Option<Pid>, PidFileError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|source| PidFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let io_error = |source| PidFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    match read_pid(&file).map_err(io_error)? {
        Content::Empty => Ok(None),
        Content::Garbage => Err(PidFileError::Garbage(path.to_path_buf())),
        Content::Pid(pid, ino) => Ok(is_live_owner(pid, ino, &file)
            .map_err(io_error)?
            .then_some(pid)),
    }
}

fn open_existing(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

/// Why an existing name could not be opened: a symlink or something other
/// than a file is refused as such; otherwise the error.
fn refusal(path: &Path, error: io::Error) -> PidFileError {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => unsafe_file(path, "is a symbolic link"),
        Ok(meta) if !meta.file_type().is_file() => unsafe_file(path, "is not a regular file"),
        _ => PidFileError::Io {
            path: path.to_path_buf(),
            source: error,
        },
    }
}

fn unsafe_file(path: &Path, why: impl Into<String>) -> PidFileError {
    PidFileError::Unsafe {
        path: path.to_path_buf(),
        why: why.into(),
    }
}

/// Takes the lock of an existing pid file that is opened as `file`.
/// `None` when it must be looked at again: another process holds the lock
/// without a live pid in it, or the name no longer names this file.
fn take_existing(path: &Path, file: File) -> Result<Option<PidFile>, PidFileError> {
    let io_error = |source| PidFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = file.metadata().map_err(io_error)?;
    // Nothing but a regular file is read, let alone written.
    if !meta.file_type().is_file() {
        return Err(unsafe_file(path, "is not a regular file"));
    }
    if !try_lock(&file).map_err(io_error)? {
        // Held by another instance: refused if it names a live owner,
        // else (starting, or ending) looked at again.
        return match read_pid(&file).map_err(io_error)? {
            Content::Pid(pid, ino) if is_live_owner(pid, ino, &file).map_err(io_error)? => {
                Err(PidFileError::Running(pid))
            }
            _ => Ok(None),
        };
    }
    // The previous holder may have removed or replaced it before we got
    // the lock: then this file is no longer the pid file.
    if !same_file(path, &file).map_err(io_error)? {
        return Ok(None);
    }
    // Checked with the lock held, on the file itself: what is written is
    // what was checked.
    let meta = file.metadata().map_err(io_error)?;
    let euid = nix::unistd::geteuid().as_raw();
    if meta.uid() != euid {
        return Err(unsafe_file(
            path,
            format!("is owned by uid {}, not by uid {euid}", meta.uid()),
        ));
    }
    if meta.nlink() != 1 {
        return Err(unsafe_file(
            path,
            format!("has {} hard links", meta.nlink()),
        ));
    }
    match read_pid(&file).map_err(io_error)? {
        Content::Garbage => Err(PidFileError::NotAPidFile(path.to_path_buf())),
        Content::Pid(pid, ino) if is_live_owner(pid, ino, &file).map_err(io_error)? => {
            Err(PidFileError::Running(pid))
        }
        Content::Pid(..) | Content::Empty => Ok(Some(PidFile {
            path: path.to_path_buf(),
            file,
            created: false,
        })),
    }
}

/// Takes an exclusive flock without waiting; `false` when another open
/// file holds a lock on it.
fn try_lock(file: &File) -> io::Result<bool> {
    loop {
        // SAFETY: flock on a descriptor we own; no memory is involved.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(true);
        }
        let error = io::Error::last_os_error();
        match error.raw_os_error() {
            Some(libc::EWOULDBLOCK) => return Ok(false),
            Some(libc::EINTR) => continue,
            _ => return Err(error),
        }
    }
}

/// Whether `path` (not followed) names `file`'s inode.
fn same_file(path: &Path, file: &File) -> io::Result<bool> {
    let open = file.metadata()?;
    match std::fs::symlink_metadata(path) {
        Ok(named) => Ok(named.dev() == open.dev() && named.ino() == open.ino()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error),
    }
}

/// Creates the pid file, empty and already locked, at `path`; `None` when
/// another process made it first.
fn create(path: &Path) -> io::Result<Option<File>> {
    let (dir, name) = match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => (
            if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            },
            name,
        ),
        _ => return Err(io::ErrorKind::InvalidInput.into()),
    };
    let temp = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .mode(0o644)
        .open(dir);
    let file = match temp {
        Ok(file) => file,
        // No O_TMPFILE here (the file system, or an old kernel, that
        // takes it for O_DIRECTORY).
        Err(error)
            if matches!(
                error.raw_os_error(),
                Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL)
            ) =>
        {
            return create_named(dir, name, path);
        }
        Err(error) => return Err(error),
    };
    lock_new(&file)?;
    match link_tmpfile(&file, path) {
        Ok(()) => Ok(Some(file)),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(None),
        Err(error) => Err(error),
    }
}

/// Locks a file this process just made: nobody else can hold it.
fn lock_new(file: &File) -> io::Result<()> {
    if try_lock(file)? {
        Ok(())
    } else {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

/// Gives an O_TMPFILE its name: through /proc/self/fd, or where /proc is
/// missing, by the descriptor itself (AT_EMPTY_PATH, which needs
/// CAP_DAC_READ_SEARCH). Never replaces an existing name (EEXIST).
fn link_tmpfile(file: &File, path: &Path) -> io::Result<()> {
    let target = cstring(path)?;
    let fd = file.as_raw_fd();
    let proc = CString::new(format!("/proc/self/fd/{fd}")).map_err(io::Error::other)?;
    // SAFETY: linkat with NUL-terminated paths that outlive the call.
    let linked = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            proc.as_ptr(),
            libc::AT_FDCWD,
            target.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if linked == 0 {
        return Ok(());
    }
    let error = io::Error::last_os_error();
    if error.kind() != io::ErrorKind::NotFound || Path::new("/proc/self/fd").exists() {
        return Err(error);
    }
    // SAFETY: linkat of a descriptor we own (empty path) to a
    // NUL-terminated path that outlives the call.
    let linked = unsafe {
        libc::linkat(
            fd,
            c"".as_ptr(),
            libc::AT_FDCWD,
            target.as_ptr(),
            libc::AT_EMPTY_PATH,
        )
    };
    if linked == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// [`create`] without O_TMPFILE: a new file under a random name nobody can
/// have planted (O_CREAT|O_EXCL|O_NOFOLLOW), locked, linked to `path`
/// (which never replaces an existing name), then unlinked.
fn create_named(dir: &Path, name: &std::ffi::OsStr, path: &Path) -> io::Result<Option<File>> {
    let mut attempts = 0;
    let (temp_path, file) = loop {
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{:016x}.tmp", random()));
        let temp_path = dir.join(temp_name);
        let opened = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .mode(0o644)
            .open(&temp_path);
        match opened {
            Ok(file) => break (temp_path, file),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && attempts < 16 => {
                attempts += 1;
            }
            Err(error) => return Err(error),
        }
    };
    let linked = lock_new(&file).and_then(|()| std::fs::hard_link(&temp_path, path));
    let _ = std::fs::remove_file(&temp_path);
    match linked {
        Ok(()) => Ok(Some(file)),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(None),
        Err(error) => Err(error),
    }
}

/// 64 bits nobody can guess (getrandom), for a temporary name.
fn random() -> u64 {
    let mut bytes = [0u8; 8];
    // SAFETY: getrandom writes at most `bytes.len()` bytes into the buffer.
    let got = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), 0) };
    if got == bytes.len() as isize {
        return u64::from_ne_bytes(bytes);
    }
    // No getrandom: the clock's nanoseconds and our pid; O_EXCL still
    // refuses a name that exists.
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ (u64::from(std::process::id()) << 32)
}

fn cstring(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| io::ErrorKind::InvalidInput.into())
}

/// What a pid file holds.
enum Content {
    /// Nothing: an instance made it and has not written it yet.
    Empty,
    /// A pid on the first line, and the pidfs inode after it (`PID:INO`).
    Pid(Pid, Option<u64>),
    /// Something else.
    Garbage,
}

/// Reads the first line of an open pid file.
fn read_pid(file: &File) -> io::Result<Content> {
    let mut buffer = [0u8; 64];
    let mut len = 0;
    while len < buffer.len() {
        match file.read_at(&mut buffer[len..], len as u64) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    let bytes = &buffer[..len];
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Content::Empty);
    }
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    Ok(std::str::from_utf8(first)
        .ok()
        .and_then(|line| crate::pidfs::WithInode::parse(line.trim(), str::parse::<Pid>).ok())
        .map_or(Content::Garbage, |named| Content::Pid(named.id, named.ino)))
}

/// Whether `pid` is a live process that had started when `file` was last
/// written; with `ino`, whether it is the very process of that pidfs
/// inode, and alive. Where the kernel cannot check an inode (before Linux
/// 6.9), the start time decides.
fn is_live_owner(pid: Pid, ino: Option<u64>, file: &File) -> io::Result<bool> {
    if let Some(ino) = ino {
        if let Ok(identified) = crate::pidfs::open_identified(pid, ino) {
            return Ok(identified
                .is_some_and(|pidfd| pidfd.stat(pid).is_some_and(|stat| stat.state != b'Z')));
        }
    }
    let written = file.metadata()?.modified()?;
    let Some(stat) = crate::snapshot::read_stat_of(pid) else {
        return Ok(false);
    };
    if stat.state == b'Z' {
        return Ok(false);
    }
    // The start time is truncated to a clock tick, so it is never later
    // than the real one; but the mtime can be up to a jiffy earlier than
    // the write. A process that started within that much after the mtime
    // may have started before the write: it counts (refusing a start is
    // the safe mistake).
    Ok(start_time(stat.starttime).is_some_and(|started| started <= written + MTIME_COARSENESS))
}

/// How much earlier than the write a file's mtime can be: file times come
/// from the kernel's coarse clock, which advances once a jiffy (1/HZ; at
/// most 10 ms, since HZ is at least 100).
const MTIME_COARSENESS: Duration = Duration::from_millis(10);

/// A start time in clock ticks since boot, on the wall clock.
pub fn start_time(ticks: u64) -> Option<SystemTime> {
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()? as u64;
    let realtime = Duration::from(clock_gettime(ClockId::CLOCK_REALTIME).ok()?);
    let boottime = Duration::from(clock_gettime(ClockId::CLOCK_BOOTTIME).ok()?);
    let boot = SystemTime::UNIX_EPOCH + realtime.checked_sub(boottime)?;
    Some(
        boot + Duration::from_secs(ticks / hz)
            + Duration::from_nanos(ticks % hz * 1_000_000_000 / hz),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system's temporary directory.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "procgroup-pidfile-{name}-{}-{}",
            std::process::id(),
            random()
        ));
        std::fs::create_dir(&dir).unwrap();
        dir
    }

    /// Whether another open file description of `path` finds it locked.
    fn locked(path: &Path) -> bool {
        !try_lock(&File::open(path).unwrap()).unwrap()
    }

    /// The fallback without O_TMPFILE makes the file locked, with one
    /// link, never replaces an existing name, and leaves no temporary file.
    #[test]
    fn named_fallback_creates_locked_and_never_replaces() {
        let dir = scratch("named");
        let path = dir.join("app.pid");
        let file = create_named(&dir, "app.pid".as_ref(), &path)
            .unwrap()
            .expect("made");
        assert!(locked(&path));
        assert_eq!(std::fs::metadata(&path).unwrap().nlink(), 1);
        assert!(same_file(&path, &file).unwrap());
        assert!(create_named(&dir, "app.pid".as_ref(), &path)
            .unwrap()
            .is_none());
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("app.pid")]);
        drop(file);
        assert!(!locked(&path));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// prepare, commit, a second prepare refused while the first is held,
    /// remove; a relative name works too.
    #[test]
    fn prepare_commit_remove() {
        let dir = scratch("cycle");
        let path = dir.join("app.pid");
        let mut held = PidFile::prepare(&path).unwrap();
        assert!(locked(&path));
        held.commit(Pid::current()).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{}\n", Pid::current())
        );
        match PidFile::prepare(&path) {
            Err(PidFileError::Running(pid)) => assert_eq!(pid, Pid::current()),
            other => panic!("{other:?}"),
        }
        held.remove();
        assert!(!path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
