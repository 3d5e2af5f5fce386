//! Pid files that know a live owner from a stranger who took its PID.
//!
//! A pid file names a running instance only if the process with that PID
//! had started by the time the file was written; a process that got the PID
//! later is someone else. Start times come from `/proc/<pid>/stat` (clock
//! ticks since boot) and are put on the file's clock through the offset
//! between CLOCK_REALTIME and CLOCK_BOOTTIME, not /proc/stat's whole-second
//! btime.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use nix::time::{clock_gettime, ClockId};

use crate::Pid;

/// Why a pid file stops a start.
#[derive(Debug, thiserror::Error)]
pub enum PidFileError {
    /// A live process that started before the file was written holds it.
    #[error("already running as pid {0}")]
    Running(Pid),
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// The file holds something other than a pid.
    #[error("{0}: does not hold a pid; not replacing it")]
    NotAPidFile(PathBuf),
}

/// A pid file about to be written: the temporary file exists already, so
/// that an unwritable place fails before anything starts.
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
    temp_path: PathBuf,
    temp: File,
}

impl PidFile {
    /// Checks `path` and prepares to replace it. A live owner refuses; a
    /// stale file (dead pid, or a pid that a later process took) is fine.
    pub fn prepare(path: &Path) -> Result<PidFile, PidFileError> {
        let io_error = |source| PidFileError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(owner) = live_owner(path)? {
            return Err(PidFileError::Running(owner));
        }
        let name = path
            .file_name()
            .ok_or_else(|| io_error(io::ErrorKind::InvalidInput.into()))?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{}.tmp", std::process::id()));
        let temp_path = path.with_file_name(temp_name);
        let temp = File::create(&temp_path).map_err(io_error)?;
        Ok(PidFile {
            path: path.to_path_buf(),
            temp_path,
            temp,
        })
    }

    /// Writes `pid` and renames the file into place, atomically.
    pub fn commit(mut self, pid: Pid) -> io::Result<()> {
        let result = writeln!(self.temp, "{pid}")
            .and_then(|()| self.temp.sync_all())
            .and_then(|()| std::fs::rename(&self.temp_path, &self.path));
        if result.is_err() {
            let _ = std::fs::remove_file(&self.temp_path);
        }
        result
    }

    /// Gives up: removes the temporary file.
    pub fn abandon(self) {
        let _ = std::fs::remove_file(&self.temp_path);
    }
}

/// Removes `path` if it still names `pid` (nobody replaced it).
pub fn remove_if_owned(path: &Path, pid: Pid) {
    if read_pid(path).ok().flatten() == Some(pid) {
        let _ = std::fs::remove_file(path);
    }
}

/// The live process a pid file names, if it had started when the file was
/// written.
fn live_owner(path: &Path) -> Result<Option<Pid>, PidFileError> {
    let Some(pid) = read_pid(path)? else {
        return Ok(None);
    };
    let written = std::fs::metadata(path)
        .and_then(|meta| meta.modified())
        .map_err(|source| PidFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let Some(stat) = crate::snapshot::read_stat_of(pid) else {
        return Ok(None);
    };
    if stat.state == b'Z' {
        return Ok(None);
    }
    // The start time is truncated to a clock tick, so it is never later
    // than the real one; but the mtime can be up to a jiffy earlier than
    // the write. A process that started within that much after the mtime
    // may have started before the write: it counts (refusing a start is
    // the safe mistake).
    Ok(start_time(stat.starttime)
        .is_some_and(|started| started <= written + MTIME_COARSENESS)
        .then_some(pid))
}

/// How much earlier than the write a file's mtime can be: file times come
/// from the kernel's coarse clock, which advances once a jiffy (1/HZ; at
/// most 10 ms, since HZ is at least 100).
const MTIME_COARSENESS: Duration = Duration::from_millis(10);

/// The pid a file holds; `None` when there is no file.
fn read_pid(path: &Path) -> Result<Option<Pid>, PidFileError> {
    match std::fs::read_to_string(path) {
        Ok(text) => match text.trim().parse::<Pid>() {
            Ok(pid) => Ok(Some(pid)),
            Err(_) => Err(PidFileError::NotAPidFile(path.to_path_buf())),
        },
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(PidFileError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

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
