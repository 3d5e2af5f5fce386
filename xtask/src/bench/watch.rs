//! Timing `pgtree --watch` as a person runs it: on a terminal.
//!
//! The real binary runs on a pseudo-terminal (120 x 40) that this process
//! reads, as a terminal emulator would, with an interval of 1 ms: a frame
//! is due as soon as the last one is drawn, so the time between two frames
//! arriving on the terminal is what one frame costs (a snapshot of /proc,
//! the selection, the whole tree rendered, a screenful drawn and written).
//! Each frame arrives whole, wrapped in a synchronized update; its end is
//! the moment taken. The first frame is not counted (it carries the
//! program's start), and the run ends as a person ends it: `q`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::timing::Cmd;

/// The end of a frame: the end of its synchronized update (DEC mode 2026).
const FRAME_END: &[u8] = b"\x1b[?2026l";

/// The terminal's size.
const COLUMNS: u16 = 120;
const ROWS: u16 = 40;

/// How long the terminal may stay silent before the run is given up.
const SILENCE: Duration = Duration::from_secs(30);

/// What one run of `pgtree --watch` on a terminal gave.
pub struct Run {
    /// The time between consecutive frames' ends: `frames` of them.
    pub periods: Vec<Duration>,
    /// Its peak RSS (VmHWM) after the frames, in KiB.
    pub peak_rss_kib: u64,
    /// Everything it wrote, the last frame included.
    pub output: Vec<u8>,
}

/// Runs `cmd` (a `pgtree --watch` command line) on a fresh pseudo-terminal
/// until `frames` frames after the first have arrived, then types `q` and
/// waits for it to exit; an error when it fails, exits other than 0, or
/// falls silent.
pub fn run(cmd: &Cmd, frames: usize) -> Result<Run, String> {
    let (master, slave) = open_pty()?;
    let stdio = |fd: &OwnedFd| -> Result<Stdio, String> {
        Ok(Stdio::from(fd.try_clone().map_err(|error| {
            format!("cannot duplicate the terminal: {error}")
        })?))
    };
    let mut command = Command::new(&cmd.program);
    command
        .args(&cmd.args)
        .stdin(stdio(&slave)?)
        .stdout(stdio(&slave)?)
        .stderr(Stdio::inherit());
    // SAFETY: setsid and ioctl are async-signal-safe and touch only the
    // child: a session of its own whose controlling terminal is the pty.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command
        .spawn()
        .map_err(|error| format!("cannot run {}: {error}", cmd.label))?;
    // Only the child holds the terminal's other end now: when it exits,
    // reading ours ends.
    drop(command);
    drop(slave);

    let mut output = Vec::new();
    let mut ends: Vec<Instant> = Vec::with_capacity(frames + 1);
    let mut scanned = 0;
    let mut failure = None;
    while ends.len() <= frames {
        match read_some(&master, &mut output) {
            Ok(0) | Err(_) => {
                failure = Some(format!("{} ended before its frames", cmd.label));
                break;
            }
            Ok(_) => {}
        }
        let now = Instant::now();
        while let Some(at) = find(&output[scanned..], FRAME_END) {
            scanned += at + FRAME_END.len();
            ends.push(now);
        }
    }
    let peak_rss_kib = peak_rss_kib(child.id()).unwrap_or(0);
    if failure.is_none() {
        // SAFETY: writing one byte from a live buffer to our own fd.
        unsafe { libc::write(master.as_raw_fd(), b"q".as_ptr().cast(), 1) };
        // Until the child has closed the terminal (EIO): it must not block
        // writing what restores the screen.
        while let Ok(1..) = read_some(&master, &mut output) {}
    } else {
        let _ = child.kill();
    }
    let status = child
        .wait()
        .map_err(|error| format!("waiting for {}: {error}", cmd.label))?;
    if let Some(failure) = failure {
        return Err(format!("{failure} ({status})"));
    }
    if !status.success() {
        return Err(format!("{} failed ({status})", cmd.label));
    }
    Ok(Run {
        periods: ends.windows(2).map(|w| w[1] - w[0]).collect(),
        peak_rss_kib,
        output,
    })
}

/// One frame's time: the mean of a run's periods.
pub fn time_frame(cmd: &Cmd, frames: usize) -> Result<Duration, String> {
    let run = run(cmd, frames)?;
    Ok(run.periods.iter().sum::<Duration>() / run.periods.len().max(1) as u32)
}

/// A pseudo-terminal of [`COLUMNS`] x [`ROWS`]: (master, slave).
fn open_pty() -> Result<(OwnedFd, OwnedFd), String> {
    let (mut master, mut slave) = (-1, -1);
    let size = libc::winsize {
        ws_row: ROWS,
        ws_col: COLUMNS,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two fds to the given places; the name may be
    // null; the termios null (defaults), the size a valid struct.
    let result = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    if result != 0 {
        return Err(format!(
            "cannot open a pseudo-terminal: {}",
            io::Error::last_os_error()
        ));
    }
    // SAFETY: two fresh fds that nothing else owns.
    let fds = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    for fd in [&fds.0, &fds.1] {
        // SAFETY: setting FD_CLOEXEC on our own fd; the child gets copies
        // through Stdio, which dup2 leaves inheritable.
        unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    Ok(fds)
}

/// Reads what the terminal has (waiting up to [`SILENCE`]) onto `output`:
/// the bytes read, 0 at its end (EIO once the other side is closed).
fn read_some(master: &OwnedFd, output: &mut Vec<u8>) -> io::Result<usize> {
    let mut poll = libc::pollfd {
        fd: master.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let timeout = SILENCE.as_millis() as libc::c_int;
    // SAFETY: one pollfd, ours.
    let ready = unsafe { libc::poll(&mut poll, 1, timeout) };
    if ready == 0 {
        return Err(io::Error::new(io::ErrorKind::TimedOut, "silent terminal"));
    }
    let mut buffer = [0u8; 64 * 1024];
    // SAFETY: reading into a live buffer of that length.
    let read = unsafe { libc::read(master.as_raw_fd(), buffer.as_mut_ptr().cast(), buffer.len()) };
    if read < 0 {
        let error = io::Error::last_os_error();
        return match error.raw_os_error() {
            Some(libc::EIO) => Ok(0),
            Some(libc::EINTR) => Ok(1),
            _ => Err(error),
        };
    }
    output.extend_from_slice(&buffer[..read as usize]);
    Ok(read as usize)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `VmHWM` of a process, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
}
