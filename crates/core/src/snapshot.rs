//! A snapshot of the process table.
//!
//! On Linux it is read from `/proc` directly: the directory is listed, then
//! each process costs one open/read/close of `/proc/<pid>/stat`. The command
//! line and the owner are read only when asked for ([`Fields`]). Processes
//! that vanish during the scan are skipped. On other Unix systems the same
//! snapshot comes from sysinfo and nix ([`read_portable`]).

use crate::{Error, Pgid, Pid, Result, Sid};

/// One process as the snapshot saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Process {
    /// The process id.
    pub pid: Pid,
    /// 0 for pid 1 and for processes whose parent is outside the namespace.
    pub ppid: Pid,
    /// 0 when the group leader is outside the PID namespace (or a kernel thread).
    pub pgid: Pgid,
    /// 0 when the session leader is outside the PID namespace (or a kernel thread).
    pub sid: Sid,
    /// The controlling terminal as a device number, 0 for none.
    pub tty_nr: i32,
    /// The foreground group of the controlling terminal, -1 for none.
    pub tpgid: i32,
    /// The state letter (`R`, `S`, `D`, `T`, `Z`, …).
    pub state: u8,
    /// Clock ticks since boot when the process started (Linux); the
    /// identity of a process together with its pid.
    pub starttime: u64,
    /// The name (at most 15 bytes, not necessarily UTF-8).
    pub comm: Vec<u8>,
    /// The command line, when [`Fields::args`] asked for it. Empty for
    /// kernel threads and zombies.
    pub args: Option<Vec<Vec<u8>>>,
    /// The real uid, when [`Fields::uid`] asked for it.
    pub uid: Option<u32>,
    /// The environment (`NAME=VALUE` entries), when [`Fields::env`] asked
    /// for it; empty where it cannot be read (another user's process).
    pub env: Option<Vec<Vec<u8>>>,
    /// Its cgroup v2 path (`/user.slice/…`), when [`Fields::cgroup`] asked
    /// for it; `None` also where it has none.
    pub cgroup: Option<String>,
    /// The session whose seal holds it although it left that session
    /// (`setsid-run --seal`, then `setsid()` or a double fork), when
    /// [`Fields::seals`] asked for them.
    pub escaped_from: Option<Sid>,
    /// Whether it is a kernel thread (`PF_KTHREAD`).
    pub kernel_thread: bool,
    /// How many threads it has (1 where the system does not tell).
    pub threads: u32,
    /// The pidfs inode (Linux 6.9+), when [`Fields::ino`] asked for it:
    /// with the pid, an identity never reused (see [`crate::pidfs`]).
    pub ino: Option<u64>,
}

impl Process {
    /// A process made up, for tests and examples: sleeping, started at
    /// tick `pid`, owned by root, its command line its name, no terminal.
    pub fn synthetic(pid: i32, ppid: i32, pgid: i32, sid: i32, comm: &str) -> Process {
        Process {
            pid: Pid::from_raw(pid),
            ppid: Pid::from_raw(ppid),
            pgid: Pgid::from_raw(pgid),
            sid: Sid::from_raw(sid),
            tty_nr: 0,
            tpgid: -1,
            state: b'S',
            starttime: pid as u64,
            comm: comm.as_bytes().to_vec(),
            args: Some(vec![comm.as_bytes().to_vec()]),
            uid: Some(0),
            env: Some(Vec::new()),
            cgroup: None,
            escaped_from: None,
            kernel_thread: false,
            threads: 1,
            ino: None,
        }
    }

    /// Whether the process has exited and waits to be reaped.
    pub fn is_zombie(&self) -> bool {
        self.state == b'Z'
    }

    /// The session it belongs to as a job: the sealed session it left
    /// ([`Process::escaped_from`]), else its own.
    pub fn session(&self) -> Sid {
        self.escaped_from.unwrap_or(self.sid)
    }

    /// Whether the process leads its session.
    pub fn is_session_leader(&self) -> bool {
        self.pid.as_raw() == self.sid.as_raw()
    }

    /// Whether the process leads its group.
    pub fn is_group_leader(&self) -> bool {
        self.pid.as_raw() == self.pgid.as_raw()
    }
}

impl From<crate::stat::Stat> for Process {
    /// The process a stat line describes, without the fields read from
    /// other files.
    fn from(stat: crate::stat::Stat) -> Process {
        Process {
            pid: Pid::from_raw(stat.pid),
            ppid: Pid::from_raw(stat.ppid),
            pgid: Pgid::from_raw(stat.pgrp),
            sid: Sid::from_raw(stat.session),
            tty_nr: stat.tty_nr,
            tpgid: stat.tpgid,
            state: stat.state,
            starttime: stat.starttime,
            kernel_thread: stat.is_kernel_thread(),
            threads: stat.num_threads,
            comm: stat.comm,
            args: None,
            uid: None,
            env: None,
            cgroup: None,
            escaped_from: None,
            ino: None,
        }
    }
}

/// What to read beyond `/proc/<pid>/stat`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fields {
    /// The command line (`/proc/<pid>/cmdline`).
    pub args: bool,
    /// The owner (`/proc/<pid>`'s uid).
    pub uid: bool,
    /// The environment (`/proc/<pid>/environ`).
    pub env: bool,
    /// The cgroup v2 path (`/proc/<pid>/cgroup`).
    pub cgroup: bool,
    /// The sealed sessions' leaves (`setsid-run --seal`) and the processes
    /// that left those sessions ([`Process::escaped_from`]): read from the
    /// cgroup tree, not per process.
    pub seals: bool,
    /// The pidfs inode (a pidfd opened before the stat is read, and its
    /// `fstat` after: four more system calls).
    pub ino: bool,
}

/// The process table at one moment, ordered by pid.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    processes: Vec<Process>,
    /// The sealed sessions and their leaves (paths in the hierarchy), when
    /// [`Fields::seals`] asked for them.
    seals: Vec<(Sid, String)>,
}

impl Snapshot {
    /// Reads the process table of this system.
    pub fn read(fields: Fields) -> Result<Snapshot> {
        #[cfg(target_os = "linux")]
        let processes = linux::read(fields)?;
        #[cfg(not(target_os = "linux"))]
        let processes = read_portable(fields)?;
        let mut snapshot = Snapshot::from_processes(processes);
        if fields.seals {
            snapshot.read_seals();
        }
        Ok(snapshot)
    }

    /// A snapshot of the given processes, e.g. synthetic ones for tests.
    pub fn from_processes(mut processes: Vec<Process>) -> Snapshot {
        processes.sort_by_key(|process| process.pid);
        processes.dedup_by_key(|process| process.pid);
        Snapshot {
            processes,
            seals: Vec::new(),
        }
    }

    /// Finds the sealed sessions' leaves and marks the processes in them
    /// that left their session.
    fn read_seals(&mut self) {
        for (sid, path, members) in crate::cgroup::sealed_leaves() {
            for pid in members {
                if let Ok(i) = self.processes.binary_search_by_key(&pid, |p| p.pid) {
                    let process = &mut self.processes[i];
                    if process.sid != sid {
                        process.escaped_from = Some(sid);
                    }
                }
            }
            self.seals.push((sid, path));
        }
    }

    /// The leaf of session `sid` (a path in the cgroup v2 hierarchy), if it
    /// is sealed and [`Fields::seals`] asked for seals.
    pub fn seal(&self, sid: Sid) -> Option<&str> {
        self.seals
            .iter()
            .find(|(sealed, _)| *sealed == sid)
            .map(|(_, path)| path.as_str())
    }

    /// Every process, ordered by pid.
    pub fn processes(&self) -> &[Process] {
        &self.processes
    }

    /// The process with this pid, if the snapshot saw it.
    pub fn get(&self, pid: Pid) -> Option<&Process> {
        self.processes
            .binary_search_by_key(&pid, |process| process.pid)
            .ok()
            .map(|index| &self.processes[index])
    }

    /// The parent of `process`, if the snapshot saw it.
    pub fn parent(&self, process: &Process) -> Option<&Process> {
        self.get(process.ppid)
    }

    /// `process` and its ancestors, nearest first.
    pub fn ancestry(&self, pid: Pid) -> impl Iterator<Item = &Process> {
        let mut next = self.get(pid);
        std::iter::from_fn(move || {
            let current = next?;
            // A ppid that points back to itself or to 0 ends the chain.
            next = (current.ppid != current.pid)
                .then(|| self.get(current.ppid))
                .flatten();
            Some(current)
        })
    }
}

#[cfg(target_os = "linux")]
pub(crate) mod linux {
    //! The `/proc` reader.

    use std::ffi::CStr;
    use std::io;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::{Fields, Process};
    use crate::{stat, Error, Pid, Result};

    /// Reads every process in `/proc`.
    ///
    /// Nearly all of the time (90%) goes to the kernel opening and
    /// formatting `stat` files, so a large table is read by a few threads
    /// at once (at 4900 processes on 2 idle CPUs: 41 ms instead of 57).
    pub fn read(fields: Fields) -> Result<Vec<Process>> {
        let proc_dir = open_dir(c"/proc").map_err(Error::ProcessTable)?;
        let entries = std::fs::read_dir("/proc").map_err(Error::ProcessTable)?;
        let pids: Vec<i32> = entries
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        let threads = threads_for(pids.len());
        Ok(read_shared(proc_dir.as_raw_fd(), &pids, fields, threads))
    }

    /// Reads the given processes with up to `threads` threads; those that
    /// vanished are left out. The threads take small blocks of pids in
    /// turn, so one that the scheduler holds back does not hold up the
    /// others.
    pub(crate) fn read_shared(
        proc_dir: RawFd,
        pids: &[i32],
        fields: Fields,
        threads: usize,
    ) -> Vec<Process> {
        const BLOCK: usize = 64;
        if threads <= 1 || pids.len() <= BLOCK {
            return read_pids(proc_dir, pids, fields);
        }
        let next = AtomicUsize::new(0);
        let work = || {
            let mut processes = Vec::new();
            let mut buffer = vec![0u8; 1024];
            loop {
                let start = next.fetch_add(BLOCK, Ordering::Relaxed);
                let Some(block) = pids.get(start..pids.len().min(start + BLOCK)) else {
                    break processes;
                };
                processes.extend(
                    block
                        .iter()
                        .filter_map(|&pid| read_process(proc_dir, pid, fields, &mut buffer)),
                );
            }
        };
        std::thread::scope(|scope| {
            // Without a thread to be had (a process limit), this one does
            // all the work.
            let helpers: Vec<_> = (1..threads)
                .map_while(|_| std::thread::Builder::new().spawn_scoped(scope, work).ok())
                .collect();
            let mut processes = work();
            for helper in helpers {
                let theirs = helper
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                processes.extend(theirs);
            }
            processes
        })
    }

    /// Processes per thread below which another thread costs more than it
    /// saves (a thread costs some 50 µs, a process 8-12 µs); 512 measured
    /// better than 1024 for the 2000-process scans of pgkill (bench).
    const PIDS_PER_THREAD: usize = 512;
    const MAX_THREADS: usize = 4;

    /// How many threads read `count` processes: one unless the table is
    /// large and the process may run on more than one CPU.
    fn threads_for(count: usize) -> usize {
        let wanted = (count / PIDS_PER_THREAD).min(MAX_THREADS);
        if wanted <= 1 {
            return 1;
        }
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        wanted.min(cpus)
    }

    /// Reads the given processes; those that vanished are left out.
    fn read_pids(proc_dir: RawFd, pids: &[i32], fields: Fields) -> Vec<Process> {
        let mut buffer = vec![0u8; 1024];
        pids.iter()
            .filter_map(|&pid| read_process(proc_dir, pid, fields, &mut buffer))
            .collect()
    }

    /// Reads one process; `None` when it has vanished.
    pub fn read_process(
        proc_dir: RawFd,
        pid: i32,
        fields: Fields,
        buffer: &mut Vec<u8>,
    ) -> Option<Process> {
        let (stat, ino) = if fields.ino {
            crate::pidfs::inode_of(Pid::from_raw(pid), || read_stat(proc_dir, pid, buffer))
        } else {
            (read_stat(proc_dir, pid, buffer), None)
        };
        let stat = stat?;
        let args = if fields.args {
            Some(read_args(proc_dir, pid, buffer).unwrap_or_default())
        } else {
            None
        };
        let uid = if fields.uid {
            Some(owner(proc_dir, pid)?)
        } else {
            None
        };
        let env = fields
            .env
            .then(|| read_nul_separated(proc_dir, pid, b"environ", buffer).unwrap_or_default());
        let cgroup = if fields.cgroup {
            read_cgroup(proc_dir, pid, buffer)
        } else {
            None
        };
        Some(Process {
            args,
            uid,
            env,
            cgroup,
            ino,
            ..Process::from(stat)
        })
    }

    /// Parses `/proc/<pid>/stat`: one open, one read, one close.
    pub fn read_stat(proc_dir: RawFd, pid: i32, buffer: &mut Vec<u8>) -> Option<stat::Stat> {
        let length = read_file(proc_dir, pid, b"stat", buffer, false)?;
        stat::parse(&buffer[..length])
    }

    fn read_args(proc_dir: RawFd, pid: i32, buffer: &mut Vec<u8>) -> Option<Vec<Vec<u8>>> {
        read_nul_separated(proc_dir, pid, b"cmdline", buffer)
    }

    /// Reads a file of NUL-terminated strings (`cmdline`, `environ`).
    fn read_nul_separated(
        proc_dir: RawFd,
        pid: i32,
        file: &[u8],
        buffer: &mut Vec<u8>,
    ) -> Option<Vec<Vec<u8>>> {
        let length = read_file(proc_dir, pid, file, buffer, true)?;
        let bytes = &buffer[..length];
        let bytes = bytes.strip_suffix(b"\0").unwrap_or(bytes);
        if bytes.is_empty() {
            return Some(Vec::new());
        }
        Some(bytes.split(|&b| b == 0).map(<[u8]>::to_vec).collect())
    }

    /// The cgroup v2 path: the `0::` line of `/proc/<pid>/cgroup`.
    fn read_cgroup(proc_dir: RawFd, pid: i32, buffer: &mut Vec<u8>) -> Option<String> {
        let length = read_file(proc_dir, pid, b"cgroup", buffer, true)?;
        let text = std::str::from_utf8(&buffer[..length]).ok()?;
        text.lines()
            .find_map(|line| line.strip_prefix("0::"))
            .map(str::to_string)
    }

    fn owner(proc_dir: RawFd, pid: i32) -> Option<u32> {
        let path = PidPath::new(pid, b"");
        let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: the path is NUL-terminated and `stat` is a valid out
        // pointer of the right type.
        let result = unsafe { libc::fstatat(proc_dir, path.as_ptr(), stat.as_mut_ptr(), 0) };
        // SAFETY: fstatat filled `stat` when it returned 0.
        (result == 0).then(|| unsafe { stat.assume_init() }.st_uid)
    }

    /// Reads `/proc/<pid>/<file>` into `buffer`, returning its length.
    /// `stat` fits one read; `whole` keeps reading (for `cmdline`).
    fn read_file(
        proc_dir: RawFd,
        pid: i32,
        file: &[u8],
        buffer: &mut Vec<u8>,
        whole: bool,
    ) -> Option<usize> {
        let path = PidPath::new(pid, file);
        // SAFETY: the path is NUL-terminated; the returned fd is owned below.
        let fd = unsafe { libc::openat(proc_dir, path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        if fd < 0 {
            return None;
        }
        // SAFETY: openat returned a fresh fd that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let mut length = 0;
        loop {
            let spare = &mut buffer[length..];
            // SAFETY: `spare` is a valid writable region of its length.
            let read =
                unsafe { libc::read(fd.as_raw_fd(), spare.as_mut_ptr().cast(), spare.len()) };
            if read < 0 {
                return None;
            }
            length += read as usize;
            // procfs hands a whole `stat` line to one read big enough for it.
            if read == 0 || !whole && length < buffer.len() {
                break;
            }
            if length == buffer.len() {
                buffer.resize(buffer.len() * 2, 0);
            }
        }
        // An empty read means the process died after the open.
        (length > 0 || whole).then_some(length)
    }

    /// `"<pid>/<file>\0"` on the stack, to open relative to `/proc`.
    struct PidPath {
        bytes: [u8; 32],
    }

    impl PidPath {
        fn new(pid: i32, file: &[u8]) -> PidPath {
            let mut bytes = [0u8; 32];
            let mut digits = [0u8; 10];
            let mut value = pid.unsigned_abs();
            let mut count = 0;
            loop {
                digits[count] = b'0' + (value % 10) as u8;
                count += 1;
                value /= 10;
                if value == 0 {
                    break;
                }
            }
            for (slot, digit) in bytes.iter_mut().zip(digits[..count].iter().rev()) {
                *slot = *digit;
            }
            if !file.is_empty() {
                bytes[count] = b'/';
                bytes[count + 1..count + 1 + file.len()].copy_from_slice(file);
            }
            PidPath { bytes }
        }

        fn as_ptr(&self) -> *const libc::c_char {
            self.bytes.as_ptr().cast()
        }
    }

    /// Opens a directory as an fd to open files relative to it.
    pub fn open_dir(path: &CStr) -> io::Result<OwnedFd> {
        // SAFETY: the path is NUL-terminated; the fd is owned by the result.
        let fd = unsafe {
            libc::open(
                path.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a fresh fd that nothing else owns.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// Reads one process by pid, for identity checks (`starttime`).
    pub fn read_one(pid: Pid) -> Option<stat::Stat> {
        let proc_dir = open_dir(c"/proc").ok()?;
        let mut buffer = vec![0u8; 1024];
        read_stat(proc_dir.as_raw_fd(), pid.as_raw(), &mut buffer)
    }
}

#[cfg(target_os = "linux")]
pub use linux::read_one as read_stat_of;

/// Reads the process table through sysinfo and nix: the backend for Unix
/// systems without `/proc`. On Linux it exists to be checked against the
/// `/proc` reader. It knows no terminal (`tty_nr` 0, `tpgid` -1), and
/// `starttime` is in seconds since the epoch.
pub fn read_portable(fields: Fields) -> Result<Vec<Process>> {
    use nix::unistd::{getpgid, getsid};
    use sysinfo::{
        ProcessRefreshKind, ProcessStatus, ProcessesToUpdate, System, ThreadKind, UpdateKind,
    };

    let mut system = System::new()
        .map_err(|error| Error::ProcessTable(std::io::Error::other(format!("{error:?}"))))?;
    let mut refresh = ProcessRefreshKind::nothing();
    if fields.args {
        refresh = refresh.with_cmd(UpdateKind::Always);
    }
    if fields.uid {
        refresh = refresh.with_user(UpdateKind::Always);
    }
    if fields.env {
        refresh = refresh.with_environ(UpdateKind::Always);
    }
    system.refresh_processes_specifics(ProcessesToUpdate::All, true, refresh);
    let mut processes = Vec::new();
    for (pid, process) in system.processes() {
        if process.thread_kind() == Some(ThreadKind::Userland) {
            continue;
        }
        let raw = nix::unistd::Pid::from_raw(pid.as_u32() as i32);
        // A process that vanished since the listing has no group any more.
        let (Ok(pgid), Ok(sid)) = (getpgid(Some(raw)), getsid(Some(raw))) else {
            continue;
        };
        let state = match process.status() {
            ProcessStatus::Run => b'R',
            ProcessStatus::Sleep => b'S',
            ProcessStatus::Stop => b'T',
            ProcessStatus::Zombie => b'Z',
            ProcessStatus::Tracing => b't',
            ProcessStatus::Dead => b'X',
            ProcessStatus::Idle => b'I',
            ProcessStatus::UninterruptibleDiskSleep => b'D',
            _ => b'?',
        };
        processes.push(Process {
            pid: Pid::from_raw(raw.as_raw()),
            ppid: Pid::from_raw(process.parent().map_or(0, |parent| parent.as_u32() as i32)),
            pgid: Pgid::from_raw(pgid.as_raw()),
            sid: Sid::from_raw(sid.as_raw()),
            tty_nr: 0,
            tpgid: -1,
            state,
            starttime: process.start_time(),
            comm: process.name().as_encoded_bytes().to_vec(),
            args: fields.args.then(|| {
                process
                    .cmd()
                    .iter()
                    .map(|arg| arg.as_encoded_bytes().to_vec())
                    .collect()
            }),
            uid: fields
                .uid
                .then(|| process.user_id().map(|uid| **uid))
                .flatten(),
            cgroup: None,
            escaped_from: None,
            env: fields.env.then(|| {
                process
                    .environ()
                    .iter()
                    .map(|entry| entry.as_encoded_bytes().to_vec())
                    .collect()
            }),
            kernel_thread: process.thread_kind() == Some(ThreadKind::Kernel),
            threads: process.tasks().map_or(1, |tasks| tasks.len().max(1) as u32),
            ino: None,
        });
    }
    Ok(processes)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A synthetic process for tests of the forest and selection.
    pub fn process(pid: i32, ppid: i32, pgid: i32, sid: i32, comm: &str) -> Process {
        Process::synthetic(pid, ppid, pgid, sid, comm)
    }

    #[test]
    fn reads_this_process() {
        let snapshot = Snapshot::read(Fields {
            args: true,
            uid: true,
            env: true,
            cgroup: true,
            seals: true,
            ino: false,
        })
        .unwrap();
        let me = snapshot
            .get(Pid::current())
            .expect("the test process is listed");
        assert_eq!(me.pgid, Pgid::current());
        assert_eq!(me.sid, Sid::current());
        assert_eq!(me.uid, Some(nix::unistd::getuid().as_raw()));
        let arg0 = std::env::args_os().next().unwrap();
        assert_eq!(me.args.as_ref().unwrap()[0], arg0.as_encoded_bytes());
        assert_eq!(me.ppid.as_raw() as u32, std::os::unix::process::parent_id());
        // Cargo sets CARGO_PKG_NAME for the tests it runs.
        let env = me.env.as_ref().unwrap();
        assert!(
            env.iter().any(|e| e == b"CARGO_PKG_NAME=procgroup"),
            "{env:?}"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn threads_read_what_one_thread_reads() {
        use std::os::fd::AsRawFd;
        let proc_dir = linux::open_dir(c"/proc").unwrap();
        let mut pids: Vec<i32> = std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        // Enough pids for several blocks (a pid read twice is one process).
        while pids.len() < 300 {
            pids.extend_from_within(..);
        }
        // A pid that is no process is left out, wherever it falls.
        pids.insert(pids.len() / 2, i32::MAX);
        let fields = Fields {
            args: true,
            uid: true,
            env: true,
            cgroup: true,
            seals: false,
            ino: true,
        };
        let me = Pid::current();
        // Each process as (pid, start time): its identity.
        let read = |threads| -> Vec<(Pid, u64)> {
            let processes = linux::read_shared(proc_dir.as_raw_fd(), &pids, fields, threads);
            let snapshot = Snapshot::from_processes(processes);
            assert!(snapshot.get(me).is_some_and(|p| p.args.is_some()));
            snapshot
                .processes()
                .iter()
                .map(|p| (p.pid, p.starttime))
                .collect()
        };
        for threads in [2, 3, pids.len() + 5] {
            let before = read(1);
            let many = read(threads);
            let after = read(1);
            // Other processes come and go meanwhile (tests run in
            // parallel); one seen alive before and after was alive during.
            let missed: Vec<_> = before
                .iter()
                .filter(|p| after.contains(p) && !many.contains(p))
                .collect();
            assert!(missed.is_empty(), "{threads} threads missed {missed:?}");
        }
    }

    #[test]
    fn ancestry_walks_to_the_root() {
        let snapshot = Snapshot::from_processes(vec![
            process(1, 0, 1, 1, "init"),
            process(10, 1, 10, 10, "sh"),
            process(11, 10, 11, 10, "job"),
        ]);
        let chain: Vec<i32> = snapshot
            .ancestry(Pid::from_raw(11))
            .map(|p| p.pid.as_raw())
            .collect();
        assert_eq!(chain, [11, 10, 1]);
    }
}
