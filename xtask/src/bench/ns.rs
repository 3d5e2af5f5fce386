//! The PID namespace a benchmark runs in, and the process tree it builds
//! there.
//!
//! Outside, [`Namespace::start`] runs
//! `unshare --pid --fork --mount-proc --kill-child -- <this program> bench @init SECTION …`:
//! this program becomes pid 1 of a new PID namespace with its own `/proc`.
//! Three things end everything the benchmark started, and only that:
//!
//! - when the init exits (done, or failed), the kernel kills every other
//!   process of its namespace;
//! - when `unshare` dies, `--kill-child` kills the init; [`Namespace`]'s
//!   `Drop` kills `unshare`, its own child, on every error path;
//! - when the outer `xtask` dies however it dies, its end of a pipe to the
//!   init's stdin closes and the init exits ([`become_init`]).
//!
//! Inside, [`Tree::start`] fills the namespace with sessions of process
//! groups of `sleep` processes, and [`Tree::wait_ready`] polls `/proc`
//! until they are all there.
//!
//! A section that kills its tree (pgkill) builds it with
//! [`super::victims::Victims`] instead: under a subreaper that has the
//! kernel reap every process the moment it exits.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use super::tools::{self, Tool};

/// Outside: a running namespace whose init is this program.
pub struct Namespace {
    unshare: Child,
    /// The init exits when this closes.
    lifeline: Option<ChildStdin>,
}

impl Namespace {
    /// Starts `bench @init <section> <args>` as pid 1 of a new PID and
    /// mount namespace. Its stdout and stderr are ours.
    pub fn start(section: &str, args: &[String]) -> Result<Namespace, String> {
        if !tools::is_root() {
            return Err(
                "the benchmark needs root: it runs in its own PID namespace \
                 (unshare --pid --mount-proc)"
                    .to_string(),
            );
        }
        let unshare = tools::UNSHARE.path()?;
        let exe = std::env::current_exe()
            .map_err(|error| format!("cannot find this program: {error}"))?;
        let mut unshare = Command::new(unshare)
            .args(["--pid", "--fork", "--mount-proc", "--kill-child", "--"])
            .arg(exe)
            .args(["bench", tools::INIT_ROLE, section])
            .args(args)
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|error| format!("cannot run unshare: {error}"))?;
        let lifeline = unshare.stdin.take();
        Ok(Namespace { unshare, lifeline })
    }

    /// Waits for the init to finish its work; its exit ends the namespace.
    pub fn wait(mut self) -> Result<(), String> {
        let status = self
            .unshare
            .wait()
            .map_err(|error| format!("waiting for the namespace: {error}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("the benchmark in the namespace failed ({status})"))
        }
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        self.lifeline.take();
        // Still running only on an error path: kill our own child, unshare;
        // --kill-child takes the init and so the namespace with it.
        if let Ok(None) = self.unshare.try_wait() {
            let _ = self.unshare.kill();
            let _ = self.unshare.wait();
        }
    }
}

/// Inside: checks that this process is the init of a fresh PID namespace,
/// and makes it exit as soon as the outer benchmark goes away (its stdin,
/// a pipe from the outer `xtask`, reaches end of file).
pub fn become_init() -> Result<(), String> {
    if std::process::id() != 1 {
        return Err(format!(
            "internal role {} must run as pid 1 of a new PID namespace",
            tools::INIT_ROLE
        ));
    }
    std::thread::spawn(|| {
        let mut stdin = std::io::stdin().lock();
        let mut buffer = [0u8; 64];
        while let Ok(1..) = stdin.read(&mut buffer) {}
        eprintln!("bench: the outer benchmark is gone; ending the namespace");
        std::process::exit(1);
    });
    Ok(())
}

/// How many processes, arranged how: `sessions` sessions, each of `groups`
/// process groups of `per_group` processes. The session leader is the
/// first process of the session's first group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub sessions: usize,
    pub groups: usize,
    pub per_group: usize,
}

impl Shape {
    pub fn processes(self) -> usize {
        self.sessions * self.groups * self.per_group
    }

    /// `SxGxP`, as `--shape` takes it.
    pub fn parse(text: &str) -> Result<Shape, String> {
        let numbers: Vec<usize> = text
            .split('x')
            .map(|n| n.parse().ok().filter(|&n| n > 0))
            .collect::<Option<_>>()
            .unwrap_or_default();
        match numbers[..] {
            [sessions, groups, per_group] => Ok(Shape {
                sessions,
                groups,
                per_group,
            }),
            _ => Err(format!(
                "--shape: want SESSIONSxGROUPSxPROCESSES (e.g. 50x7x14), not {text}"
            )),
        }
    }

    /// The shape as a section's report names it.
    pub fn describe(self) -> String {
        format!(
            "{} processes: {} sessions x {} groups x {} processes",
            self.processes(),
            self.sessions,
            self.groups,
            self.per_group
        )
    }
}

/// Inside: the sessions of a [`Shape`], built by session leaders that are
/// this program in the [`tools::SESSION_ROLE`] role.
pub struct Tree {
    shape: Shape,
    leaders: Vec<Child>,
}

impl Tree {
    /// Starts one session leader per session (`setsid` makes each one a
    /// session leader before it execs); each fills its own session, all of
    /// them at once.
    pub fn start(shape: Shape) -> Result<Tree, String> {
        tools::require(&[tools::SETSID, tools::SLEEP])?;
        let setsid = tools::SETSID.path()?;
        let sleep = tools::SLEEP.path()?;
        let exe = std::env::current_exe()
            .map_err(|error| format!("cannot find this program: {error}"))?;
        let mut leaders = Vec::with_capacity(shape.sessions);
        for _ in 0..shape.sessions {
            let leader = Command::new(&setsid)
                .arg(&exe)
                .args(["bench", tools::SESSION_ROLE])
                .arg(shape.groups.to_string())
                .arg(shape.per_group.to_string())
                .arg(&sleep)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .spawn()
                .map_err(|error| format!("cannot start a session leader: {error}"))?;
            leaders.push(leader);
        }
        Ok(Tree { shape, leaders })
    }

    /// Polls `/proc` until it lists at least `others` processes besides the
    /// tree (this init, say) plus the whole tree, and returns how long the
    /// tree took. Fails when a session leader died or `deadline` passed.
    pub fn wait_ready(&mut self, others: usize, deadline: Duration) -> Result<Duration, String> {
        let target = others + self.shape.processes();
        let start = Instant::now();
        let mut seen = 0;
        wait_until(deadline, || {
            for leader in &mut self.leaders {
                if let Ok(Some(status)) = leader.try_wait() {
                    return Err(format!("a session leader exited early ({status})"));
                }
            }
            seen = count_processes()?;
            Ok(seen >= target)
        })
        .map_err(|error| format!("{error} ({seen} of {target} processes were there)"))?;
        Ok(start.elapsed())
    }
}

/// Calls `ready` until it says yes, fails, or `deadline` passes; between
/// calls it yields for a millisecond, so that a poll never costs much.
pub fn wait_until(
    deadline: Duration,
    mut ready: impl FnMut() -> Result<bool, String>,
) -> Result<Duration, String> {
    let start = Instant::now();
    loop {
        if ready()? {
            return Ok(start.elapsed());
        }
        if start.elapsed() > deadline {
            return Err(format!("gave up after {deadline:?}"));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The number of processes `/proc` lists (in the namespace: ours only).
pub fn count_processes() -> Result<usize, String> {
    let entries =
        std::fs::read_dir("/proc").map_err(|error| format!("cannot list /proc: {error}"))?;
    Ok(entries
        .filter_map(Result::ok)
        .filter(|entry| {
            let name = entry.file_name();
            let bytes = name.as_encoded_bytes();
            !bytes.is_empty() && bytes.iter().all(u8::is_ascii_digit)
        })
        .count())
}

/// The session leader role: `@session GROUPS PER_GROUP SLEEP`.
///
/// It is already a session leader (util-linux `setsid` made it one). It
/// starts the rest of its first group (its own), then each further group:
/// a `sleep` that leads a new group, and the others joined to it, all
/// children of the session leader, like the jobs of a shell. Then it
/// prints `ready <its pid>` on stdout and waits for the namespace to end
/// (or to be killed).
///
/// It does not wait for its children: a parent blocked in `waitpid` is
/// woken by every child that stops, continues or exits, and scans all its
/// children each time, which would take CPU time from the commands
/// measured while a section kills 2000 of them. Where children die, the
/// parent ignores SIGCHLD (inherited from [`super::victims`]' reaper), so
/// the kernel reaps them.
pub fn session_main(args: &[String]) -> Result<(), String> {
    let [groups, per_group, sleep] = args else {
        return Err(format!(
            "usage: bench {} GROUPS PER_GROUP SLEEP",
            tools::SESSION_ROLE
        ));
    };
    let number = |text: &String| {
        text.parse::<usize>()
            .map_err(|_| format!("not a number: {text}"))
    };
    let (groups, per_group) = (number(groups)?, number(per_group)?);
    let sleep = PathBuf::from(sleep);
    // Each group's first process (group 0's is this one), then the rest of
    // each group, a few at a time: a spawn mostly waits for an exec.
    let mut pgids = vec![0];
    let mut children = Vec::with_capacity(groups * per_group);
    for _ in 1..groups {
        let child = spawn_sleep(&sleep, None)?;
        pgids.push(child.id());
        children.push(child);
    }
    let rest: Vec<u32> = pgids
        .iter()
        .flat_map(|&pgid| std::iter::repeat_n(pgid, per_group.saturating_sub(1)))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let spawner = || -> Result<Vec<Child>, String> {
        let mut mine = Vec::new();
        loop {
            let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(&pgid) = rest.get(at) else {
                return Ok(mine);
            };
            mine.push(spawn_sleep(&sleep, Some(pgid))?);
        }
    };
    std::thread::scope(|scope| -> Result<(), String> {
        let helpers: Vec<_> = (0..SPAWNERS).map(|_| scope.spawn(spawner)).collect();
        for helper in helpers {
            let spawned = helper
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
            children.extend(spawned);
        }
        Ok(())
    })?;
    {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        // Nobody may be listening (stdout is /dev/null, or the reader is
        // gone): the tree is there all the same.
        let _ = writeln!(stdout, "ready {}", std::process::id());
        let _ = stdout.flush();
    }
    // Nothing wakes this thread: the namespace's end (or a signal) kills
    // the process.
    loop {
        std::thread::park();
    }
}

/// Threads of a session leader that start processes.
const SPAWNERS: usize = 4;

/// Reaps children as they die until there are none left (`ECHILD`).
pub fn reap_children() {
    loop {
        // SAFETY: waitpid with a null status pointer only reaps a child.
        let pid = unsafe { libc::waitpid(-1, std::ptr::null_mut(), 0) };
        if pid < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
}

/// `sleep infinity` in group `pgid` (a new group of its own for `None`;
/// this process's group for `Some(0)`).
fn spawn_sleep(sleep: &Path, pgid: Option<u32>) -> Result<Child, String> {
    let mut command = Command::new(sleep);
    command
        .arg("infinity")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    match pgid {
        Some(0) => {}
        Some(pgid) => {
            command.process_group(pgid as i32);
        }
        None => {
            command.process_group(0);
        }
    }
    command
        .spawn()
        .map_err(|error| format!("cannot start {}: {error}", sleep.display()))
}

/// The tools a namespace needs, for a section's up-front check.
pub const TOOLS: &[Tool] = &[tools::UNSHARE, tools::SETSID, tools::SLEEP];
