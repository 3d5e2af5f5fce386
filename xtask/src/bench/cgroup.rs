//! The cgroup v2 directory of a section that times sealed jobs (issue 12),
//! and the leaves it holds.
//!
//! Outside, [`BenchCgroup::make`] makes `procgroup-bench-<pid>` under this
//! program's own cgroup (the `0::` line of /proc/self/cgroup, under the
//! cgroup2 mount of /proc/self/mountinfo); the namespace's init moves
//! itself into it ([`Sealing::enter`]) before it starts anything, so that
//! every leaf made by what it starts (`setsid-run --seal` makes
//! `setsid-run-<SID>` under its own cgroup) is made there. Leaves are
//! named after sessions as the namespace numbers them: in a cgroup of the
//! bench's own, they never meet another namespace's (a test's, another
//! bench's) of the same name. Once the namespace is gone,
//! [`BenchCgroup::finish`] fails loudly if a leaf was left in it, and
//! removes it all.
//!
//! This module reads and writes the cgroup files itself: the bench checks
//! the tools, it does not lean on their library.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long an emptied cgroup may take to say `populated 0`.
const EMPTY_LIMIT: Duration = Duration::from_secs(5);

/// Where the cgroup v2 hierarchy is mounted (`/sys/fs/cgroup`, or
/// `/sys/fs/cgroup/unified` on a hybrid system).
fn mount() -> Option<PathBuf> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    mountinfo.lines().find_map(|line| {
        // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE ...
        let (left, right) = line.split_once(" - ")?;
        (right.split(' ').next()? == "cgroup2")
            .then(|| left.split(' ').nth(4).map(PathBuf::from))
            .flatten()
    })
}

/// This process's cgroup v2 directory.
fn own() -> Result<PathBuf, String> {
    let root = mount().ok_or("no cgroup v2 hierarchy is mounted")?;
    let text = std::fs::read_to_string("/proc/self/cgroup")
        .map_err(|error| format!("/proc/self/cgroup: {error}"))?;
    let path = text
        .lines()
        .find_map(|line| line.strip_prefix("0::"))
        .ok_or("this process is in no cgroup v2 cgroup (a cgroup v1-only system)")?;
    Ok(root.join(path.trim_start_matches('/')))
}

/// Outside: the bench's own cgroup, under this program's.
pub struct BenchCgroup {
    path: PathBuf,
}

impl BenchCgroup {
    /// Makes it; why not, where no cgroup v2 tree is writable here.
    pub fn make() -> Result<BenchCgroup, String> {
        let parent = own()?;
        let path = parent.join(format!("procgroup-bench-{}", std::process::id()));
        let made = std::fs::create_dir(&path).or_else(|error| {
            // One left empty by an earlier bench of this pid.
            if error.kind() != io::ErrorKind::AlreadyExists {
                return Err(error);
            }
            std::fs::remove_dir(&path).map_err(|_| error)?;
            std::fs::create_dir(&path)
        });
        made.map_err(|error| format!("cannot make a cgroup in {}: {error}", parent.display()))?;
        Ok(BenchCgroup { path })
    }

    /// What the namespace's init is given ([`Sealing::parse`]).
    pub fn arg(made: &Result<BenchCgroup, String>) -> String {
        match made {
            Ok(cgroup) => format!("cgroup:{}", cgroup.path.display()),
            Err(why) => format!("none:{why}"),
        }
    }

    /// Once the namespace is gone: fails if a leaf was left in it (after
    /// removing everything all the same).
    pub fn finish(self) -> Result<(), String> {
        let left = leaves(&self.path)?;
        drop(self);
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "a sealed job's leaf was left behind: {} (removed now)",
                left.join(", ")
            ))
        }
    }
}

impl Drop for BenchCgroup {
    /// Removes its leaves and itself; the namespace, gone, has left no
    /// process in them (the kernel ends every process of a PID namespace
    /// before its init is reaped).
    fn drop(&mut self) {
        for name in leaves(&self.path).unwrap_or_default() {
            if let Err(error) = remove_when_empty(&self.path.join(&name)) {
                eprintln!(
                    "bench: cannot remove {}: {error}",
                    self.path.join(name).display()
                );
            }
        }
        if let Err(error) = remove_when_empty(&self.path) {
            eprintln!("bench: cannot remove {}: {error}", self.path.display());
        }
    }
}

/// Inside: the cgroup the init was given to live in, or why there is
/// none: then the rows of sealed jobs are skipped.
pub enum Sealing {
    In(PathBuf),
    Not(String),
}

impl Sealing {
    /// What [`BenchCgroup::arg`] made.
    pub fn parse(arg: &str) -> Result<Sealing, String> {
        if let Some(path) = arg.strip_prefix("cgroup:") {
            Ok(Sealing::In(PathBuf::from(path)))
        } else if let Some(why) = arg.strip_prefix("none:") {
            Ok(Sealing::Not(why.to_string()))
        } else {
            Err(format!("internal: not a cgroup argument: {arg}"))
        }
    }

    /// Moves this process (the init, before it starts anything) into the
    /// cgroup; where it cannot, the rows are skipped and say why.
    pub fn enter(self) -> Sealing {
        let Sealing::In(path) = self else {
            return self;
        };
        match std::fs::write(path.join("cgroup.procs"), "0") {
            Ok(()) => Sealing::In(path),
            Err(error) => Sealing::Not(format!("cannot move into {}: {error}", path.display())),
        }
    }

    /// The cgroup, if the rows are measured.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Sealing::In(path) => Some(path),
            Sealing::Not(_) => None,
        }
    }

    /// Why the rows are skipped.
    pub fn why_not(&self) -> Option<&str> {
        match self {
            Sealing::In(_) => None,
            Sealing::Not(why) => Some(why),
        }
    }
}

/// The cgroups in `dir` (their names), sorted.
pub fn leaves(dir: &Path) -> Result<Vec<String>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|error| format!("cannot list {}: {error}", dir.display()))?;
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

/// Fails, naming them, if `dir` holds a leaf.
pub fn check_no_leaves(dir: &Path, after: &str) -> Result<(), String> {
    let left = leaves(dir)?;
    if left.is_empty() {
        return Ok(());
    }
    Err(format!(
        "after {after}: a sealed job's leaf was left in {}: {}",
        dir.display(),
        left.join(", ")
    ))
}

/// The processes in cgroup `dir`, sorted.
fn procs(dir: &Path) -> io::Result<Vec<i32>> {
    let text = std::fs::read_to_string(dir.join("cgroup.procs"))?;
    let mut pids: Vec<i32> = text.lines().filter_map(|l| l.trim().parse().ok()).collect();
    pids.sort_unstable();
    Ok(pids)
}

/// Whether `cgroup.events` of `dir` says `populated 1`; a cgroup removed
/// meanwhile is empty.
fn populated(dir: &Path) -> io::Result<bool> {
    match std::fs::read_to_string(dir.join("cgroup.events")) {
        Ok(text) => Ok(text.lines().any(|line| line.trim() == "populated 1")),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error),
    }
}

/// Removes cgroup `dir` once it is empty ([`EMPTY_LIMIT`] at most); one
/// that is gone already is fine.
fn remove_when_empty(dir: &Path) -> io::Result<()> {
    let deadline = Instant::now() + EMPTY_LIMIT;
    while populated(dir)? && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    match std::fs::remove_dir(dir) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Inside (pgkill): a session that the bench sealed after building it,
/// the way `setsid-run --seal` would have: every process of it in the
/// leaf `setsid-run-<SID>` of the bench's cgroup. Dropped, the leaf is
/// removed once empty (on an error path, after the tree is killed).
pub struct SealedLeaf {
    path: PathBuf,
}

impl SealedLeaf {
    /// Makes the leaf of session `sid` in `parent` and moves each of
    /// `pids` (every process of the session) into it, then checks that the
    /// leaf holds them all and nothing else.
    pub fn seal(parent: &Path, sid: i32, pids: &[i32]) -> Result<SealedLeaf, String> {
        let path = parent.join(format!("setsid-run-{sid}"));
        std::fs::create_dir(&path)
            .map_err(|error| format!("cannot make the leaf {}: {error}", path.display()))?;
        // From here on, Drop removes it.
        let leaf = SealedLeaf { path };
        for &pid in pids {
            std::fs::write(leaf.path.join("cgroup.procs"), pid.to_string()).map_err(|error| {
                format!("cannot move {pid} into {}: {error}", leaf.path.display())
            })?;
        }
        let inside = procs(&leaf.path)
            .map_err(|error| format!("cannot read {}: {error}", leaf.path.display()))?;
        let mut wanted = pids.to_vec();
        wanted.sort_unstable();
        if inside != wanted {
            return Err(format!(
                "{} holds {} processes, not the session's {}",
                leaf.path.display(),
                inside.len(),
                wanted.len()
            ));
        }
        Ok(leaf)
    }

    /// Kills every process in it: one write to its `cgroup.kill`.
    pub fn kill(&self) -> Result<(), String> {
        std::fs::write(self.path.join("cgroup.kill"), "1")
            .map_err(|error| format!("cannot kill {}: {error}", self.path.display()))
    }

    /// After the run: whether the tool removed the leaf (once it was
    /// empty); if it did not, it is removed here, or that fails.
    pub fn finish(self) -> Result<bool, String> {
        let removed = !self.path.exists();
        if !removed {
            remove_when_empty(&self.path)
                .map_err(|error| format!("cannot remove {}: {error}", self.path.display()))?;
        }
        Ok(removed)
    }
}

impl Drop for SealedLeaf {
    fn drop(&mut self) {
        let _ = remove_when_empty(&self.path);
    }
}
