//! Sealed jobs: a cgroup v2 leaf of their own, which nothing in the job can
//! leave. A POSIX session is no boundary (`setsid()`, a double fork); a
//! cgroup is: every process a member forks starts in the member's cgroup,
//! and only a process allowed to write another cgroup's `cgroup.procs` can
//! move out.
//!
//! A leaf is acted on whole: frozen (`cgroup.freeze`; members cannot fork
//! or run while frozen; a watcher thaws it should the caller die first:
//! [`Frozen`]), each member signalled through a pidfd, thawed; or
//! killed at once (`cgroup.kill`, Linux 5.14). It is empty when
//! `cgroup.events` says `populated 0`, watched with poll(2), never by
//! polling /proc. It is removed (rmdir) once empty.
//!
//! A job that setsid-run seals lives in `setsid-run-<SID>` ([`leaf_name`])
//! under setsid-run's own cgroup, so that its session id can be read from
//! the name, and the leaf found from any member ([`Leaf::of_session`]).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::pidfd::PidFd;
use crate::{Pid, Sid, Signal};

mod frozen;

pub use frozen::Frozen;

/// How long a freeze may take before the members are signalled anyway
/// (a member in the kernel, uninterruptible, holds it up).
pub const FREEZE_LIMIT: Duration = Duration::from_secs(2);

/// How long a wait on `cgroup.events` first sleeps before reading it
/// again without a notification, doubling up to [`REREAD_MAX`].
const REREAD_FIRST: Duration = Duration::from_millis(20);
const REREAD_MAX: Duration = Duration::from_secs(1);

/// Test hook: set to 1, leaves are treated as on a kernel without
/// `cgroup.kill` (before 5.14), so that the test suite runs the fallback
/// on this kernel; nothing else should set it.
const NO_CGROUP_KILL: &str = "PROCGROUP_NO_CGROUP_KILL";

/// The name of the leaf of the job whose session is `sid`.
pub fn leaf_name(sid: Sid) -> String {
    format!("setsid-run-{sid}")
}

/// The session a leaf's name says it seals, if it is such a name.
pub fn sealed_session(name: &str) -> Option<Sid> {
    name.strip_prefix("setsid-run-")?.parse().ok()
}

/// Where the cgroup v2 hierarchy is mounted: `/sys/fs/cgroup` on a pure v2
/// system, `/sys/fs/cgroup/unified` on a hybrid one; `None` without one.
pub fn mount() -> Option<PathBuf> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    mountinfo.lines().find_map(|line| {
        // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE ...
        let (left, right) = line.split_once(" - ")?;
        (right.split(' ').next()? == "cgroup2")
            .then(|| left.split(' ').nth(4).map(unescape_mountinfo))
            .flatten()
    })
}

/// A mountinfo path: spaces and the like are written `\040`.
fn unescape_mountinfo(path: &str) -> PathBuf {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|digits| bytes[i] == b'\\' && digits.iter().all(|d| (b'0'..=b'7').contains(d)));
        match octal {
            Some(digits) => {
                out.push(digits.iter().fold(0u8, |n, d| n * 8 + (d - b'0')));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    PathBuf::from(std::ffi::OsString::from(
        String::from_utf8_lossy(&out).into_owned(),
    ))
}

/// The cgroup v2 path of process `pid` (`/user.slice/…`, the `0::` line of
/// `/proc/<pid>/cgroup`), relative to the hierarchy's root.
pub fn path_of(pid: Pid) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("0::"))
        .map(str::to_string)
}

/// Every sealed session's leaf in the hierarchy: its session, its path
/// (from the hierarchy's root, as /proc/PID/cgroup shows it) and the
/// processes in it. Empty without a cgroup v2 hierarchy.
pub fn sealed_leaves() -> Vec<(Sid, String, Vec<Pid>)> {
    let Some(root) = mount() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let path = entry.path();
            let sealed = entry.file_name().to_str().and_then(sealed_session);
            match sealed.and_then(|sid| Some((sid, Leaf::open(&path).ok()?))) {
                Some((sid, leaf)) => {
                    let relative = path.strip_prefix(&root).unwrap_or(&path);
                    let members = leaf.members().unwrap_or_default();
                    found.push((sid, format!("/{}", relative.display()), members));
                }
                None => dirs.push(path),
            }
        }
    }
    found
}

/// The cgroup directory named `name` under `dir`, depth first; what
/// cannot be read is passed over.
fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut children = Vec::new();
    for entry in entries.flatten() {
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        if entry.file_name() == name {
            return Some(entry.path());
        }
        children.push(entry.path());
    }
    children.iter().find_map(|child| find(child, name))
}

/// Whether an error on a cgroup's file says the cgroup was removed (an
/// open file of a removed cgroup reads ENODEV; a path, ENOENT).
fn is_removed(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::NotFound || error.raw_os_error() == Some(libc::ENODEV)
}

/// A cgroup v2 directory that a job lives in.
#[derive(Debug)]
pub struct Leaf {
    path: PathBuf,
    /// `cgroup.events`, open to poll for changes.
    events: File,
}

/// What `cgroup.events` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Events {
    populated: bool,
    frozen: bool,
}

impl Leaf {
    /// Makes the leaf of session `sid` ([`leaf_name`]) under `parent` (a
    /// cgroup directory). A leaf of that name left empty by a job that is
    /// gone is replaced; one with a process in it is an error
    /// (`AlreadyExists`): it is never shared.
    pub fn create(parent: &Path, sid: Sid) -> io::Result<Leaf> {
        let path = parent.join(leaf_name(sid));
        if let Err(error) = std::fs::create_dir(&path) {
            if error.kind() != io::ErrorKind::AlreadyExists {
                return Err(error);
            }
            // rmdir fails on a cgroup that is not empty.
            std::fs::remove_dir(&path).map_err(|_| error)?;
            std::fs::create_dir(&path)?;
        }
        Leaf::open(&path).inspect_err(|_| {
            let _ = std::fs::remove_dir(&path);
        })
    }

    /// The cgroup directory the caller is in, under which its sealed jobs'
    /// leaves go; why there is none to use.
    pub fn parent_for_caller() -> Result<PathBuf, String> {
        let root = mount().ok_or("no cgroup v2 hierarchy is mounted")?;
        let own = path_of(Pid::current())
            .ok_or("this process is in no cgroup v2 cgroup (a cgroup v1-only system)")?;
        let parent = root.join(own.trim_start_matches('/'));
        // Whether a leaf can be made there, and removed.
        let probe = parent.join(format!("setsid-run-probe-{}", std::process::id()));
        std::fs::create_dir(&probe)
            .and_then(|()| std::fs::remove_dir(&probe))
            .map_err(|error| {
                format!(
                    "cannot make a cgroup in {}: {}",
                    parent.display(),
                    crate::error::reason(&error)
                )
            })?;
        Ok(parent)
    }

    /// An existing cgroup directory.
    pub fn open(path: &Path) -> io::Result<Leaf> {
        let events = File::open(path.join("cgroup.events"))?;
        Ok(Leaf {
            path: path.to_path_buf(),
            events,
        })
    }

    /// The sealed leaf of session `sid`: the cgroup named
    /// [`leaf_name`]`(sid)` that the session's processes are in (all of
    /// them are, so one of `members` tells: the first that can be read),
    /// or where the session has no member left (every process of the job
    /// left it), the cgroup of that name found in the hierarchy. `None`
    /// when the session is not sealed.
    pub fn of_session(sid: Sid, members: impl IntoIterator<Item = Pid>) -> Option<Leaf> {
        let root = mount()?;
        let name = leaf_name(sid);
        let mut members = members.into_iter().peekable();
        if members.peek().is_none() {
            return find(&root, &name).and_then(|path| Leaf::open(&path).ok());
        }
        let path = members.find_map(path_of)?;
        let relative = path.trim_start_matches('/');
        (Path::new(relative).file_name()? == name.as_str())
            .then(|| Leaf::open(&root.join(relative)).ok())
            .flatten()
    }

    /// Its directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves process `pid` into it.
    pub fn admit(&self, pid: Pid) -> io::Result<()> {
        self.write("cgroup.procs", &pid.to_string())
    }

    /// The processes in it now, those of the cgroups below it too (a job
    /// may seal a job of its own: `setsid-run --seal` in a sealed job);
    /// none once it is removed.
    pub fn members(&self) -> io::Result<Vec<Pid>> {
        let mut members = Vec::new();
        for cgroup in subtree(&self.path)? {
            let text = match std::fs::read_to_string(cgroup.join("cgroup.procs")) {
                Err(error) if is_removed(&error) => continue,
                other => other?,
            };
            members.extend(
                text.lines()
                    .filter_map(|line| line.trim().parse::<i32>().ok())
                    .map(Pid::from_raw),
            );
        }
        Ok(members)
    }

    fn events(&self) -> io::Result<Events> {
        let mut buffer = [0u8; 256];
        let length = match self.events.read_at(&mut buffer, 0) {
            Ok(length) => length,
            // Removed (by whoever saw it empty first): it is empty.
            Err(error) if is_removed(&error) => {
                return Ok(Events {
                    populated: false,
                    frozen: false,
                })
            }
            Err(error) => return Err(error),
        };
        let text = String::from_utf8_lossy(&buffer[..length]);
        let value = |key: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(key)?.strip_prefix(' '))
                .is_some_and(|value| value.trim() == "1")
        };
        Ok(Events {
            populated: value("populated"),
            frozen: value("frozen"),
        })
    }

    /// Whether a process is in it.
    pub fn is_populated(&self) -> io::Result<bool> {
        Ok(self.events()?.populated)
    }

    /// Waits until `cgroup.events` satisfies `done`, or `deadline`; whether
    /// it did.
    fn wait_for(
        &self,
        deadline: Option<Instant>,
        done: impl Fn(Events) -> bool,
    ) -> io::Result<bool> {
        let mut reread = REREAD_FIRST;
        loop {
            if done(self.events()?) {
                return Ok(true);
            }
            let now = Instant::now();
            if deadline.is_some_and(|at| now >= at) {
                return Ok(false);
            }
            // A change of the file is a priority event (kernfs notify).
            // But a cgroup removed by someone else (who saw it empty) may
            // never notify: the file is read again now and then.
            let mut poll = libc::pollfd {
                fd: self.events.as_fd().as_raw_fd(),
                events: libc::POLLPRI,
                revents: 0,
            };
            let wake = deadline.map_or(reread, |at| (at - now).min(reread));
            reread = (reread * 2).min(REREAD_MAX);
            let timeout = i32::try_from(wake.as_millis() + 1).unwrap_or(i32::MAX);
            // SAFETY: one valid pollfd.
            unsafe { libc::poll(&mut poll, 1, timeout) };
        }
    }

    /// Waits until it is empty (`populated 0`), or `deadline`; whether it is.
    pub fn wait_empty(&self, deadline: Option<Instant>) -> io::Result<bool> {
        self.wait_for(deadline, |events| !events.populated)
    }

    fn write(&self, file: &str, value: &str) -> io::Result<()> {
        OpenOptions::new()
            .write(true)
            .open(self.path.join(file))?
            .write_all(value.as_bytes())
    }

    /// Whether the kernel can kill it at once (`cgroup.kill`, Linux 5.14).
    pub fn can_kill(&self) -> bool {
        !crate::pidfs::hooked(NO_CGROUP_KILL)
            && self.path.join("cgroup.kill").exists()
            && self.is_writable()
    }

    /// Kills every process in it at once (`cgroup.kill`); where the kernel
    /// lacks that file (before 5.14), SIGKILL to each member, frozen (as
    /// it runs, in a leaf the caller may not write).
    pub fn kill(&self) -> io::Result<()> {
        if !self.can_kill() {
            return self.signal(Signal::KILL).map(drop);
        }
        match self.write("cgroup.kill", "1") {
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                self.signal(Signal::KILL).map(drop)
            }
            other => other,
        }
    }

    /// Sends `signal` to every process in it, once: frozen, so that no
    /// member forks or leaves meanwhile, each member pinned with a pidfd
    /// and then seen in the leaf still (a pid that was reaped and given to
    /// someone else is not listed), signalled, thawed. The members
    /// signalled.
    pub fn signal(&self, signal: Signal) -> io::Result<Vec<Pid>> {
        if !self.is_writable() {
            // Another user's: each member as it runs, by the kernel's rule.
            return self.signal_members(signal);
        }
        let frozen = self.freeze()?;
        let signalled = self.signal_members(signal);
        let thawed = frozen.thaw();
        let signalled = signalled?;
        thawed?;
        Ok(signalled)
    }

    fn signal_members(&self, signal: Signal) -> io::Result<Vec<Pid>> {
        Ok(self
            .pinned_members(|_| true)?
            .into_iter()
            .filter(|(_, pidfd)| pidfd.send(signal).is_ok())
            .map(|(pid, _)| pid)
            .collect())
    }

    /// Its processes (those `wanted`), each pinned with a pidfd and then
    /// seen in it still: a pid reaped and taken by someone else meanwhile
    /// is not listed any more.
    pub(crate) fn pinned_members(
        &self,
        wanted: impl Fn(Pid) -> bool,
    ) -> io::Result<Vec<(Pid, PidFd)>> {
        let mut pinned: Vec<(Pid, PidFd)> = self
            .members()?
            .into_iter()
            .filter(|&pid| wanted(pid))
            .filter_map(|pid| Some((pid, PidFd::open_unchecked(pid).ok()??)))
            .collect();
        let mut still = self.members()?;
        still.sort_unstable();
        pinned.retain(|(pid, _)| still.binary_search(pid).is_ok());
        Ok(pinned)
    }

    /// Whether the caller may write its control files (freeze it, kill it
    /// at once): not so for another user's leaf.
    pub fn is_writable(&self) -> bool {
        use nix::unistd::{access, AccessFlags};
        access(&self.path.join("cgroup.freeze"), AccessFlags::W_OK).is_ok()
    }

    /// Removes it; one that is gone already is fine. It must be empty.
    pub fn remove(&self) -> io::Result<()> {
        // The cgroups below it first (made by a job it held), deepest first.
        for cgroup in subtree(&self.path)?.iter().rev() {
            match std::fs::remove_dir(cgroup) {
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                other => other?,
            }
        }
        Ok(())
    }
}

/// `path` and every cgroup below it, each before those below it; none
/// once it is removed.
fn subtree(path: &Path) -> io::Result<Vec<PathBuf>> {
    let mut cgroups = vec![path.to_path_buf()];
    let mut at = 0;
    while at < cgroups.len() {
        let entries = match std::fs::read_dir(&cgroups[at]) {
            Err(error) if is_removed(&error) => {
                cgroups.remove(at);
                continue;
            }
            other => other?,
        };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                cgroups.push(entry.path());
            }
        }
        at += 1;
    }
    Ok(cgroups)
}

/// Leaves `leaf` to a watcher that removes it once it is empty: a process
/// of its own (forked, in a new session, stdio on /dev/null, every other
/// descriptor closed, so that it holds no pipe and no lock of the
/// caller's), which outlives the caller. Removing the leaf first (as
/// `pgkill --sid` does) ends the watcher too.
///
/// The caller must have a single thread: the forked child runs on.
pub fn remove_when_empty(leaf: Leaf) -> io::Result<()> {
    let path = leaf.path.clone();
    drop(leaf);
    // SAFETY: fork in a single-threaded caller (this function's contract);
    // the parent only returns.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid > 0 {
        return Ok(());
    }
    // SAFETY: the child of a single-threaded process: setsid, open, dup2,
    // close_range and sigprocmask act on this process only.
    unsafe {
        libc::setsid();
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        for fd in 0..3 {
            libc::dup2(null, fd);
        }
        libc::syscall(libc::SYS_close_range, 3, u32::MAX, 0);
        let mut none = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
        libc::sigemptyset(none.as_mut_ptr());
        libc::sigprocmask(libc::SIG_SETMASK, none.as_ptr(), std::ptr::null_mut());
    }
    if let Ok(leaf) = Leaf::open(&path) {
        if leaf.wait_empty(None).unwrap_or(false) {
            let _ = leaf.remove();
        }
    }
    // SAFETY: ends this forked child without running the parent's exit
    // handlers or flushing its buffers.
    unsafe { libc::_exit(0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_say_the_session() {
        assert_eq!(leaf_name(Sid::from_raw(4242)), "setsid-run-4242");
        assert_eq!(sealed_session("setsid-run-4242"), Some(Sid::from_raw(4242)));
        assert_eq!(sealed_session("setsid-run-x"), None);
        assert_eq!(sealed_session("user.slice"), None);
    }

    #[test]
    fn mountinfo_paths_are_unescaped() {
        assert_eq!(
            unescape_mountinfo(r"/sys/fs/cgroup\040x"),
            PathBuf::from("/sys/fs/cgroup x")
        );
        assert_eq!(unescape_mountinfo(r"/a\b"), PathBuf::from(r"/a\b"));
    }
}
