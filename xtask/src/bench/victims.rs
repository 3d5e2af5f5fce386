//! Process trees that a section kills (pgkill): a fresh one for every
//! timed run, watched through pidfds, reaped as its processes die.
//!
//! [`Victims::build`] starts `bench @reaper …`, a child of the init that
//! makes itself a child subreaper (`PR_SET_CHILD_SUBREAPER`), sets SIGCHLD
//! to SIG_IGN, and starts one session leader,
//! `setsid bench @session GROUPS PER_GROUP SLEEP`, as [`super::ns::Tree`]
//! does. The leader (which inherits the ignored SIGCHLD) fills its
//! session and prints `ready <pid>`; when it dies, the kernel hands its
//! children to the reaper. With SIGCHLD ignored by both, the kernel reaps
//! every process of the tree the moment it exits, in the exiting process
//! itself: no zombie lingers in `/proc` for a scanning tool to read, and
//! no parent has to wait for one. (A parent blocked in `waitpid(-1)` is
//! woken by every child that stops, continues or exits, and scans all its
//! children each time: with 2000 of them, that took CPU time from the
//! commands measured.) Neither the leader nor the reaper ever waits; the
//! reaper exits when the init closes its stdin. The measured commands
//! (children of the init, not of the reaper) are waited for by the init
//! as usual.
//!
//! Before a timing starts, the init opens a pidfd for every process of the
//! session and registers each with one epoll instance (one-shot).
//! [`Victims::wait_exited`] then learns of every exit (a zombie has exited,
//! as pgkill counts it) as it happens, for one `epoll_wait` per batch of
//! exits: an observer that adds next to nothing to what it observes.

use std::io::{BufRead, BufReader};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::tools;

/// A session of `groups` x `per_group` `sleep`s (the leader, this program,
/// being the first process of the first group), its reaper, and a pidfd
/// for each of its processes.
pub struct Victims {
    reaper: Option<Child>,
    /// A pidfd of the reaper.
    reaper_fd: OwnedFd,
    /// The session id (the leader's pid).
    pub sid: i32,
    /// The session's groups, the leader's first.
    pub groups: Vec<i32>,
    /// Every process of the session.
    pub pids: Vec<i32>,
    /// The pidfds, registered with `epoll`.
    pidfds: Vec<OwnedFd>,
    epoll: OwnedFd,
    /// How many pidfds have not reported an exit yet.
    alive: usize,
}

impl Victims {
    /// Starts the tree and waits until every process of it is there (not
    /// timed), then opens the pidfds.
    pub fn build(groups: usize, per_group: usize) -> Result<Victims, String> {
        let exe = std::env::current_exe()
            .map_err(|error| format!("cannot find this program: {error}"))?;
        let mut reaper = Command::new(exe)
            .args(["bench", tools::REAPER_ROLE])
            .arg(tools::SETSID.path()?)
            .arg(groups.to_string())
            .arg(per_group.to_string())
            .arg(tools::SLEEP.path()?)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|error| format!("cannot start the reaper: {error}"))?;
        let reaper_fd = match pidfd_open(reaper.id() as i32) {
            Ok(fd) => fd,
            Err(error) => {
                let _ = reaper.kill();
                let _ = reaper.wait();
                return Err(format!("pidfd_open of the reaper: {error}"));
            }
        };
        // From here on, Drop ends whatever has been started.
        let mut victims = Victims {
            reaper: Some(reaper),
            reaper_fd,
            sid: 0,
            groups: Vec::new(),
            pids: Vec::new(),
            pidfds: Vec::new(),
            epoll: epoll_create()?,
            alive: 0,
        };
        // The leader prints `ready <pid>` once every process has exec'd
        // (std's spawn returns after the exec); end of file means it died.
        let stdout = victims
            .reaper
            .as_mut()
            .and_then(|reaper| reaper.stdout.take())
            .ok_or("internal: no pipe from the reaper")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|error| format!("reading from the session leader: {error}"))?;
        victims.sid = line
            .trim()
            .strip_prefix("ready ")
            .and_then(|pid| pid.parse().ok())
            .ok_or_else(|| format!("the session leader did not get ready (it said {line:?})"))?;

        let members = session_members(victims.sid)?;
        let wanted = groups * per_group;
        if members.len() != wanted {
            return Err(format!(
                "session {} has {} processes, not the {wanted} it was built with",
                victims.sid,
                members.len()
            ));
        }
        for &(pid, pgid) in &members {
            if !victims.groups.contains(&pgid) {
                victims.groups.push(pgid);
            }
            let fd = pidfd_open(pid).map_err(|error| format!("pidfd_open({pid}): {error}"))?;
            let mut event = libc::epoll_event {
                events: (libc::EPOLLIN | libc::EPOLLONESHOT) as u32,
                u64: pid as u64,
            };
            // SAFETY: both fds are open; the event is a valid epoll_event.
            let added = unsafe {
                libc::epoll_ctl(
                    victims.epoll.as_raw_fd(),
                    libc::EPOLL_CTL_ADD,
                    fd.as_raw_fd(),
                    &mut event,
                )
            };
            if added < 0 {
                return Err(format!("epoll_ctl: {}", std::io::Error::last_os_error()));
            }
            victims.pids.push(pid);
            victims.pidfds.push(fd);
        }
        victims
            .groups
            .sort_unstable_by_key(|&pgid| pgid != victims.sid);
        if victims.groups.len() != groups {
            return Err(format!(
                "session {} has {} groups, not the {groups} it was built with",
                victims.sid,
                victims.groups.len()
            ));
        }
        victims.alive = victims.pidfds.len();
        Ok(victims)
    }

    /// Waits until every process of the session has exited (a zombie
    /// has), or fails when `deadline` passes first.
    pub fn wait_exited(&mut self, deadline: Instant) -> Result<(), String> {
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; 512];
        while self.alive > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "{} of the {} processes of session {} were still alive",
                    self.alive,
                    self.pids.len(),
                    self.sid
                ));
            }
            let ms = i32::try_from(left.as_millis() + 1).unwrap_or(i32::MAX);
            // SAFETY: a valid epoll fd and a buffer of `events.len()` events.
            let ready = unsafe {
                libc::epoll_wait(
                    self.epoll.as_raw_fd(),
                    events.as_mut_ptr(),
                    events.len() as i32,
                    ms,
                )
            };
            if ready < 0 {
                let error = std::io::Error::last_os_error();
                if error.raw_os_error() == Some(libc::EINTR) {
                    continue;
                }
                return Err(format!("epoll_wait: {error}"));
            }
            // One-shot: each pidfd reports its exit once.
            self.alive = self.alive.saturating_sub(ready as usize);
        }
        Ok(())
    }

    /// Waits until every process of the tree has been reaped (no group of
    /// it is left: `kill(-G, 0)` fails with ESRCH), or fails when
    /// `deadline` passes first; then lets the reaper go.
    pub fn wait_reaped(&mut self, deadline: Instant) -> Result<(), String> {
        let mut left: Vec<i32> = self.groups.clone();
        loop {
            // SAFETY: kill(2) with signal 0 of positive group ids of the tree.
            left.retain(|&pgid| pgid > 1 && unsafe { libc::kill(-pgid, 0) } == 0);
            if left.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "the processes of session {} were not all reaped in time",
                    self.sid
                ));
            }
            std::thread::sleep(Duration::from_micros(50));
        }
        let mut reaper = self.reaper.take().expect("the reaper is let go once");
        // End of file on its stdin: the reaper exits.
        drop(reaper.stdin.take());
        let status = reaper
            .wait()
            .map_err(|error| format!("waiting for the reaper: {error}"))?;
        if !status.success() {
            return Err(format!("the reaper failed ({status})"));
        }
        Ok(())
    }
}

impl Drop for Victims {
    /// On an error path: kill what is left of the tree (the reaper reaps
    /// it, then exits), then the reaper.
    fn drop(&mut self) {
        let Some(mut reaper) = self.reaper.take() else {
            return;
        };
        for &pgid in &self.groups {
            if pgid > 1 {
                // SAFETY: kill(2) of a positive group id of this tree.
                unsafe { libc::kill(-pgid, libc::SIGKILL) };
            }
        }
        if self.sid > 1 {
            // SAFETY: as above; the leader's group, if not listed yet.
            unsafe { libc::kill(-self.sid, libc::SIGKILL) };
        }
        // The reaper exits at the end of its stdin.
        drop(reaper.stdin.take());
        let mut poll = libc::pollfd {
            fd: self.reaper_fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut poll, 1, 5000) };
        let _ = reaper.kill();
        let _ = reaper.wait();
    }
}

/// The reaper role: `@reaper SETSID GROUPS PER_GROUP SLEEP` (see the
/// module's text). Exits 0 at the end of its stdin.
pub fn reaper_main(args: &[String]) -> Result<(), String> {
    let [setsid, groups, per_group, sleep] = args else {
        return Err(format!(
            "usage: bench {} SETSID GROUPS PER_GROUP SLEEP",
            tools::REAPER_ROLE
        ));
    };
    // SAFETY: prctl with an integer option and argument.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } < 0 {
        return Err(format!(
            "PR_SET_CHILD_SUBREAPER: {}",
            std::io::Error::last_os_error()
        ));
    }
    // Children are reaped by the kernel as they exit (see the module's
    // text); the leader and its children inherit it.
    // SAFETY: setting a signal's disposition to SIG_IGN.
    if unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) } == libc::SIG_ERR {
        return Err(format!(
            "ignoring SIGCHLD: {}",
            std::io::Error::last_os_error()
        ));
    }
    let exe =
        std::env::current_exe().map_err(|error| format!("cannot find this program: {error}"))?;
    // The leader inherits our stdout, the pipe to the init, for its
    // `ready` line.
    Command::new(setsid)
        .arg(exe)
        .args(["bench", tools::SESSION_ROLE, groups, per_group, sleep])
        .stdin(Stdio::null())
        .spawn()
        .map_err(|error| format!("cannot start the session leader: {error}"))?;
    // Our own copy of the pipe goes, so that the init sees end of file if
    // the leader dies before it is ready.
    let null = std::fs::File::open("/dev/null").map_err(|error| format!("/dev/null: {error}"))?;
    // SAFETY: dup2 of an open fd onto stdout.
    unsafe { libc::dup2(null.as_raw_fd(), libc::STDOUT_FILENO) };
    // Until the init lets go.
    let mut stdin = std::io::stdin().lock();
    let mut buffer = [0u8; 64];
    while let Ok(1..) = std::io::Read::read(&mut stdin, &mut buffer) {}
    Ok(())
}

/// The live processes of session `sid`, with their groups, from `/proc`.
fn session_members(sid: i32) -> Result<Vec<(i32, i32)>, String> {
    let entries =
        std::fs::read_dir("/proc").map_err(|error| format!("cannot list /proc: {error}"))?;
    let mut members = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp session …; comm may hold anything.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().take(4).collect();
        if let [state, _ppid, pgrp, session] = fields[..] {
            if session.parse() == Ok(sid) && state != "Z" {
                let pgrp = pgrp
                    .parse()
                    .map_err(|_| format!("/proc/{pid}/stat: bad group {pgrp}"))?;
                members.push((pid, pgrp));
            }
        }
    }
    members.sort_unstable();
    Ok(members)
}

fn pidfd_open(pid: i32) -> std::io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a fresh fd (close-on-exec, as every pidfd) that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

fn epoll_create() -> Result<OwnedFd, String> {
    // SAFETY: epoll_create1 with a flag returns a new fd or -1.
    let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if fd < 0 {
        return Err(format!(
            "epoll_create1: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: a fresh fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Raises this process's soft limit on open files to the hard limit: a
/// pidfd per watched process.
pub fn raise_fd_limit(wanted: usize) -> Result<(), String> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid rlimit struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
    if (limit.rlim_cur as u128) < wanted as u128 + 64 {
        return Err(format!(
            "the limit on open files ({}) is too low for a pidfd per process ({wanted})",
            limit.rlim_cur
        ));
    }
    Ok(())
}

/// How long a run may take before the benchmark gives up on it.
pub const PATIENCE: Duration = Duration::from_secs(60);
