//! `cargo xtask bench`: figures, not a test.
//!
//! Each benchmark is a section (`pgtree`, `pgkill`, `setsid`) with two
//! halves:
//!
//! - outside, in this process: check the tools it needs, build the release
//!   binaries, start a PID namespace whose init is this same program in an
//!   internal role ([`ns::Namespace`]), and wait for it;
//! - inside, as pid 1 of that namespace: build the process tree
//!   ([`ns::Tree`]), time the commands ([`timing`]) and print the report.
//!
//! Running the timing loop inside the namespace means that the measured
//! commands see only the benchmark's processes, and that nothing is added
//! to their time (no `nsenter` per run). Everything the benchmark starts
//! lives in the namespace, so it all dies when the namespace's init does:
//! when it finishes, when it fails, and when the outer `xtask` goes away
//! (the init watches a pipe from it).
//!
//! Internal roles are arguments that begin with `@`; they are not part of
//! the command line a person types.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `println!` that does not panic when stdout is gone (`| head`): the
/// figures are lost, not the clean-up.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod cgroup;
mod ns;
mod pgkill;
mod pgtree;
mod setsid;
mod timing;
mod tools;
mod victims;
mod watch;

const USAGE: &str = "\
usage: cargo xtask bench [SECTION...] [OPTIONS]

Sections (default: all):
  pgtree     pgtree --plain and pgtree (tree) against ps and pstree,
             and a frame of pgtree --watch on a pseudo-terminal against
             a run of pgtree, on ~5000 processes in a PID namespace
  pgkill     pgkill --sid S --wait against pkill -s S on a session of
             20 groups x 100 processes, and pgkill --pgid G --wait
             against kill -TERM -- -G then polling /proc (and against
             kill with the bench's pidfd watch) on a group of 2000,
             timed until every process has exited; and pgkill --sid S
             --wait on the same session sealed in a cgroup v2 leaf
             against unsealed
  setsid     setsid-run [-w] true against setsid -f [-w] true: time
             per start, and peak RSS; setsid-run --seal -w true against
             setsid-run -w true

Options:
  --quick        a few processes and runs: a smoke test of the benchmark
                 itself, in seconds; its figures are not meaningful
  --runs N       timed runs of each command (default: pgtree 21,
                 pgkill 11, setsid 400; --quick 5, 3, 20)
  --shape SxGxP  S sessions of G groups of P processes instead of the
                 section's own (e.g. 1x1x4900: one flat group; pgkill
                 builds one session of G x P and a group of G*P); the
                 targets are judged on the section's own shape only
  --no-build     use the binaries already in target/release
  --compare DIR  also time the section's binaries found in DIR (say, a
                 release build of another commit), as extra rows marked
                 (cmp), in the same interleaved runs: a before/after
                 comparison that the machine's noise touches alike; the
                 targets are judged on this tree's binaries
  -h, --help     this text

It builds the release binaries first (cargo build --release), prints
figures and a PASS/MISS line per target, and exits 0 whatever the
verdicts: non-zero means it could not measure.

Needs root (for the PID namespace), util-linux (unshare, setsid),
procps (ps, pkill, kill), psmisc (pstree) and GNU time (/usr/bin/time).
The rows of sealed jobs also need a writable cgroup v2 tree (the bench
makes procgroup-bench-PID under its own cgroup, and removes it; it fails
if a job's leaf was left in it); without one, they say so and are skipped.";

/// A benchmark section: its name and its two halves.
struct Section {
    name: &'static str,
    /// The binaries of the root package it times.
    binaries: &'static [&'static str],
    /// Outside: check, start the namespace, wait for it.
    outside: fn(&Context) -> Result<(), String>,
    /// Inside: the namespace's init, with the arguments `outside` gave it.
    inside: fn(&[String]) -> Result<(), String>,
}

const SECTIONS: &[Section] = &[pgtree::SECTION, pgkill::SECTION, setsid::SECTION];

/// What every section's outside half is given.
pub struct Context {
    pub quick: bool,
    /// Timed runs of each command (`--runs`), if not the section's own.
    pub runs: Option<usize>,
    /// A shape of process tree that replaces the section's own.
    pub shape: Option<ns::Shape>,
    /// Where the release binaries are.
    pub bin_dir: PathBuf,
    /// Other builds of the same binaries to time alongside (`--compare`).
    pub compare: Option<PathBuf>,
}

impl Context {
    /// The release binary `name`.
    pub fn binary(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// The binary `name` of the `--compare` build, if any.
    pub fn compared(&self, name: &str) -> Option<PathBuf> {
        self.compare.as_ref().map(|dir| dir.join(name))
    }

    /// Timed runs of each command: `--runs`, or the section's `default`.
    pub fn runs_or(&self, default: usize) -> usize {
        self.runs.unwrap_or(default)
    }
}

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some(tools::SESSION_ROLE) => ns::session_main(&args[1..]),
        Some(tools::REAPER_ROLE) => victims::reaper_main(&args[1..]),
        Some(tools::INIT_ROLE) => {
            let name = args.get(1).ok_or("internal: no section named")?;
            let section = SECTIONS
                .iter()
                .find(|section| section.name == name)
                .ok_or_else(|| format!("internal: no section {name}"))?;
            (section.inside)(&args[2..])
        }
        _ => run_sections(root, args),
    }
}

fn run_sections(root: &Path, args: &[String]) -> Result<(), String> {
    let mut quick = false;
    let mut runs = None;
    let mut shape = None;
    let mut build = true;
    let mut compare = None;
    let mut chosen: Vec<&Section> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                say!("{USAGE}");
                return Ok(());
            }
            "--quick" => quick = true,
            "--no-build" => build = false,
            "--runs" => {
                let value = args.next().ok_or("--runs needs a number")?;
                runs = Some(
                    value
                        .parse::<usize>()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| format!("--runs: not a positive number: {value}"))?,
                );
            }
            "--compare" => {
                let dir = PathBuf::from(args.next().ok_or("--compare needs a directory")?);
                let dir = dir
                    .canonicalize()
                    .map_err(|error| format!("--compare {}: {error}", dir.display()))?;
                compare = Some(dir);
            }
            "--shape" => {
                let value = args.next().ok_or("--shape needs SxGxP")?;
                shape = Some(ns::Shape::parse(value)?);
            }
            "all" => chosen.extend(SECTIONS),
            name => {
                let section = SECTIONS
                    .iter()
                    .find(|section| section.name == name)
                    .ok_or_else(|| {
                        let names: Vec<&str> = SECTIONS.iter().map(|s| s.name).collect();
                        format!(
                            "unknown section or option '{name}' (sections: {}, all)\n{USAGE}",
                            names.join(", ")
                        )
                    })?;
                chosen.push(section);
            }
        }
    }
    if chosen.is_empty() {
        chosen.extend(SECTIONS);
    }
    chosen.dedup_by_key(|section| section.name);

    let context = Context {
        quick,
        runs,
        shape,
        bin_dir: target_dir(root).join("release"),
        compare,
    };
    let mut binaries: Vec<&str> = chosen.iter().flat_map(|s| s.binaries).copied().collect();
    binaries.sort_unstable();
    binaries.dedup();
    if build {
        build_release(root, &binaries)?;
    }
    for name in &binaries {
        let path = context.binary(name);
        if !path.is_file() {
            return Err(format!(
                "{} does not exist: run without --no-build, or `cargo build --release`",
                path.display()
            ));
        }
        if let Some(other) = context.compared(name) {
            if !other.is_file() {
                return Err(format!("--compare: {} does not exist", other.display()));
            }
        }
    }
    for section in chosen {
        (section.outside)(&context)?;
    }
    Ok(())
}

/// `cargo build --release --bin …`: the benchmark measures release binaries.
fn build_release(root: &Path, binaries: &[&str]) -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["build", "--release", "--quiet"]);
    for name in binaries {
        command.args(["--bin", name]);
    }
    eprintln!(
        "bench: cargo build --release --bin {}",
        binaries.join(" --bin ")
    );
    let status = command
        .status()
        .map_err(|error| format!("cannot run cargo: {error}"))?;
    if !status.success() {
        return Err(format!("cargo build --release failed ({status})"));
    }
    Ok(())
}

fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}
