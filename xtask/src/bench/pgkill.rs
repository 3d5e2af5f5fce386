//! The `pgkill` section: emptying a session of 20 groups x 100 processes
//! and a group of 2000 processes, against procps `pkill -s` and
//! `kill -TERM -- -G`, in a PID namespace.
//!
//! Every run gets a fresh tree ([`Victims`]; building it is not timed) and
//! is timed from the start of the command until every process of the tree
//! has exited and the command has returned. Exits are observed through a
//! pidfd per process, opened before the start and registered with one
//! epoll instance: a zombie counts as gone, as pgkill counts it, and the
//! observation costs next to nothing. The kernel reaps every process of
//! the tree the moment it exits (its parents ignore SIGCHLD; see
//! [`super::victims`]), for every command alike: no zombie lingers in
//! `/proc` for a scanning tool to read, and nobody spends CPU time reaping.
//!
//! - `pkill -s S` returns after one pass of signals; the bench's pidfd
//!   watch is then the "ideal reap" that the issue compares with: the
//!   moment the last process exits, seen at once.
//! - `kill -TERM -- -G` then polling /proc (issue 15's baseline): the
//!   bench runs procps `kill` and then, itself, lists /proc and reads
//!   every `stat` until no live process of group G is left, a millisecond
//!   apart, with no pidfd prepared: what a script does without pgkill.
//! - `kill -TERM -- -G` (procps `kill`, the program) returns after one
//!   `kill(-G)`; the "poll until gone" is the same pidfd watch, the
//!   cheapest poll there is (a `kill(-G, 0)` loop could not count a zombie
//!   as gone: it sees the group until its last member is reaped). The
//!   `reaped` column tells when such a loop, polling every 50 µs after the
//!   last exit, found no group left.
//! - `pgkill --sid S --wait` / `--pgid G --wait` wait by themselves; the
//!   watch only confirms that everything has exited when they return.
//! - `pgkill --sid S --wait` on the same session sealed (issue 12): once
//!   the tree is built (not timed), the bench makes the leaf
//!   `setsid-run-<SID>` in a cgroup of its own ([`super::cgroup`]), where
//!   the namespace's init lives, and moves every process of the session
//!   into it (a write of each pid to `cgroup.procs`), then checks that
//!   the leaf holds the session and nothing else; only then does the timing
//!   start. pgkill then acts through the leaf (freeze, a signal per member
//!   through a pidfd, thaw, wait for `populated 0`) instead of seizing every
//!   process with ptrace; it removes the leaf once empty, and the bench
//!   checks that it did (and removes it if not; the report counts it). Where
//!   no cgroup v2 tree is writable, the row says so and is skipped.
//! - Floors, for reference: the bench's own `kill(-G, SIGTERM)` for each
//!   group it knows, with no program started and no `/proc` read; and the
//!   same with SIGSTOP first and SIGCONT after, the way pgkill empties a
//!   session (a stopped process dies of its SIGTERM only once continued):
//!   what that way costs before pgkill reads anything; and, on the sealed
//!   tree, one write to the leaf's `cgroup.kill`: the kernel's own way to
//!   end a leaf at once, below which no sealed kill that waits can go.
//!
//! pgkill and the others run as children of the namespace's init, outside
//! the targeted session and groups (pgkill refuses targets that contain
//! itself or its ancestors).
//!
//! Targets: `pgkill --sid` at most 0.80x `pkill -s` + ideal reap, and
//! `pgkill --pgid` at most 1.10x `kill` + polling /proc (and, as before,
//! at most 1.15x `kill` + the pidfd watch); sealed, `pgkill --sid` at most
//! 0.50x the same unsealed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::cgroup::{self, BenchCgroup, SealedLeaf, Sealing};
use super::ns::{self, Namespace};
use super::timing::{self, Summary};
use super::tools;
use super::victims::{self, Victims};
use super::{Context, Section};

pub const SECTION: Section = Section {
    name: "pgkill",
    binaries: &["pgkill"],
    outside,
    inside,
};

/// The session: groups x processes per group.
const SESSION: (usize, usize) = (20, 100);
/// The group's processes.
const GROUP: usize = 2000;
const QUICK_SESSION: (usize, usize) = (4, 10);
const QUICK_GROUP: usize = 40;

const SEALED_LABEL: &str = "pgkill --sid S --wait (sealed)";

/// Runs of each command unless `--runs` says otherwise (every run builds
/// a tree of 2000 processes).
pub const RUNS: usize = 11;
pub const QUICK_RUNS: usize = 3;

const SID_TARGET: f64 = 0.80;
/// `pgkill --pgid G --wait` against `kill -TERM -- -G` + polling /proc.
const PGID_TARGET: f64 = 1.10;
/// The same against `kill -TERM -- -G` + the bench's pidfd watch.
const PGID_WATCH_TARGET: f64 = 1.15;
/// `pgkill --sid S --wait` on the session sealed, against unsealed.
const SEALED_TARGET: f64 = 0.50;

fn outside(context: &Context) -> Result<(), String> {
    let mut needed = ns::TOOLS.to_vec();
    needed.extend([tools::PKILL, tools::KILL]);
    tools::require(&needed)?;
    let ((groups, per_group), group) = match context.shape {
        Some(shape) => {
            if shape.sessions != 1 {
                eprintln!(
                    "bench: pgkill: --shape {}x{}x{}: one session is built",
                    shape.sessions, shape.groups, shape.per_group
                );
            }
            (
                (shape.groups, shape.per_group),
                shape.groups * shape.per_group,
            )
        }
        None if context.quick => (QUICK_SESSION, QUICK_GROUP),
        None => (SESSION, GROUP),
    };
    let runs = context.runs_or(if context.quick { QUICK_RUNS } else { RUNS });
    let pgkill = context.binary("pgkill");
    say!("== pgkill");
    say!(
        "a session of {} processes ({groups} groups x {per_group}) and a group of {group} \
         processes, each rebuilt for every run (not timed), in a PID namespace; {runs} \
         interleaved runs of each command",
        groups * per_group
    );
    say!(
        "timed from the command's start until every process has exited (a pidfd per \
         process, opened before the start, in one epoll: a zombie counts as gone) and \
         the command has returned; the kernel reaps them as they exit"
    );
    let versions = [tools::PKILL, tools::KILL]
        .iter()
        .map(|tool| {
            let path = tool.path()?;
            let version = tools::version(&path, &["--version"]).unwrap_or_default();
            Ok(format!("{}: {version}", path.display()))
        })
        .collect::<Result<Vec<String>, String>>()?;
    say!(
        "{}; {}; {}",
        pgkill.display(),
        versions.join("; "),
        timing::machine()
    );
    timing::say_cpu_busy();
    // The cgroup that the sealed sessions' leaves are made in.
    let cgroup = BenchCgroup::make();
    let mut args = vec![
        groups.to_string(),
        per_group.to_string(),
        group.to_string(),
        runs.to_string(),
        pgkill.display().to_string(),
        BenchCgroup::arg(&cgroup),
    ];
    if let Some(other) = context.compared("pgkill") {
        say!(
            "compared with {} (rows marked (cmp); sealed sessions are not compared)",
            other.display()
        );
        args.push(other.display().to_string());
    }
    Namespace::start(SECTION.name, &args)?.wait()?;
    match cgroup {
        Ok(cgroup) => cgroup.finish(),
        Err(_) => Ok(()),
    }
}

/// How a run kills its tree.
#[derive(Clone, Debug)]
enum Killer {
    /// A program; `{sid}` and `{pgid}` in its arguments are replaced with
    /// the tree's session id and its first group's id. With `poll`, the
    /// bench then lists /proc until no live process of the first group is
    /// left.
    Program {
        program: PathBuf,
        args: Vec<String>,
        poll: bool,
    },
    /// The bench itself: `kill(-G, SIGTERM)` for each group of the tree.
    Floor,
    /// The bench itself, the way pgkill empties a session: SIGSTOP to
    /// every group, then SIGTERM, then SIGCONT (a stopped process dies of
    /// the SIGTERM only once continued), with no scan in between.
    FloorStopped,
    /// The bench itself, on the sealed tree: one write to the leaf's
    /// `cgroup.kill`, which nothing that waits for every exit can beat.
    FloorCgroupKill,
}

#[derive(Clone, Debug)]
struct Contender {
    label: String,
    killer: Killer,
    /// Whether the session is sealed in a leaf before the timing starts.
    sealed: bool,
}

impl Contender {
    fn program(label: impl Into<String>, program: impl Into<PathBuf>, args: &[&str]) -> Contender {
        Contender {
            label: label.into(),
            killer: Killer::Program {
                program: program.into(),
                args: args.iter().map(|arg| arg.to_string()).collect(),
                poll: false,
            },
            sealed: false,
        }
    }

    /// [`Contender::program`], on the tree sealed in a leaf of `cgroup`.
    fn program_sealed(
        label: impl Into<String>,
        program: impl Into<PathBuf>,
        args: &[&str],
    ) -> Contender {
        Contender {
            sealed: true,
            ..Contender::program(label, program, args)
        }
    }

    /// [`Contender::program`], then polling /proc until the group is gone.
    fn program_then_poll(
        label: impl Into<String>,
        program: impl Into<PathBuf>,
        args: &[&str],
    ) -> Contender {
        let mut contender = Contender::program(label, program, args);
        if let Killer::Program { poll, .. } = &mut contender.killer {
            *poll = true;
        }
        contender
    }
}

/// One shape of tree and the commands that empty it; the first command is
/// the baseline.
struct Scenario {
    title: String,
    groups: usize,
    per_group: usize,
    contenders: Vec<Contender>,
}

/// One timed run: when everything had exited, and when everything had
/// been reaped, from the command's start.
#[derive(Clone, Copy, Debug)]
struct Sample {
    exited: Duration,
    reaped: Duration,
    /// Sealed: whether the command removed the leaf.
    leaf_removed: Option<bool>,
}

fn inside(args: &[String]) -> Result<(), String> {
    ns::become_init()?;
    let (groups, per_group, group, runs, pgkill, sealing, other) = match args {
        [groups, per_group, group, runs, pgkill, sealing] => {
            (groups, per_group, group, runs, pgkill, sealing, None)
        }
        [groups, per_group, group, runs, pgkill, sealing, other] => (
            groups,
            per_group,
            group,
            runs,
            pgkill,
            sealing,
            Some(PathBuf::from(other)),
        ),
        _ => {
            return Err(
                "internal: pgkill: GROUPS PER_GROUP GROUP RUNS PGKILL CGROUP [OTHER]".to_string(),
            )
        }
    };
    // Before anything is started: every tree lives there too.
    let sealing = Sealing::parse(sealing)?.enter();
    let cgroup = sealing.path();
    let number = |text: &String| {
        text.parse::<usize>()
            .map_err(|_| format!("internal: not a number: {text}"))
    };
    let (groups, per_group, group, runs) = (
        number(groups)?,
        number(per_group)?,
        number(group)?,
        number(runs)?,
    );
    let pgkill = PathBuf::from(pgkill);
    victims::raise_fd_limit(group.max(groups * per_group))?;

    let mut scenarios = [
        Scenario {
            title: format!(
                "session: {} processes, {groups} groups x {per_group}",
                groups * per_group
            ),
            groups,
            per_group,
            contenders: vec![
                Contender::program(
                    "pkill -s S + ideal reap",
                    tools::PKILL.path()?,
                    &["-s", "{sid}"],
                ),
                // The invisible freeze: every thread seized and
                // interrupted with ptrace before the signal.
                Contender::program(
                    "pgkill --sid S --wait (ptrace)",
                    &pgkill,
                    &["--sid", "{sid}", "--wait"],
                ),
                Contender {
                    label: "(floor: kill(-G) per group)".to_string(),
                    killer: Killer::Floor,
                    sealed: false,
                },
                Contender {
                    label: "(floor: STOP, TERM, CONT per group)".to_string(),
                    killer: Killer::FloorStopped,
                    sealed: false,
                },
            ],
        },
        Scenario {
            title: format!("group: {group} processes"),
            groups: 1,
            per_group: group,
            contenders: vec![
                Contender::program_then_poll(
                    "kill -TERM -- -G + poll /proc",
                    tools::KILL.path()?,
                    &["-TERM", "--", "-{pgid}"],
                ),
                Contender::program(
                    "kill -TERM -- -G + poll (pidfds)",
                    tools::KILL.path()?,
                    &["-TERM", "--", "-{pgid}"],
                ),
                Contender::program(
                    "pgkill --pgid G --wait",
                    &pgkill,
                    &["--pgid", "{pgid}", "--wait"],
                ),
                Contender {
                    label: "(floor: kill(-G))".to_string(),
                    killer: Killer::Floor,
                    sealed: false,
                },
            ],
        },
    ];
    // The same session sealed: through its leaf, not ptrace.
    if cgroup.is_some() {
        scenarios[0].contenders.push(Contender::program_sealed(
            SEALED_LABEL,
            &pgkill,
            &["--sid", "{sid}", "--wait"],
        ));
        scenarios[0].contenders.push(Contender {
            label: "(floor: cgroup.kill, sealed)".to_string(),
            killer: Killer::FloorCgroupKill,
            sealed: true,
        });
    }
    if let Some(other) = &other {
        scenarios[0].contenders.push(Contender::program(
            "pgkill --sid S --wait (cmp)",
            other,
            &["--sid", "{sid}", "--wait"],
        ));
        scenarios[1].contenders.push(Contender::program(
            "pgkill --pgid G --wait (cmp)",
            other,
            &["--pgid", "{pgid}", "--wait"],
        ));
    }

    // How long a tree takes to build (not timed in the runs).
    let start = Instant::now();
    let mut first = Victims::build(groups, per_group)?;
    let built = start.elapsed();
    say!(
        "built a session of {} processes in {} (for each run, not timed)",
        first.pids.len(),
        timing::ms(built)
    );
    kill_floor(&first);
    first.wait_exited(Instant::now() + victims::PATIENCE)?;
    first.wait_reaped(Instant::now() + victims::PATIENCE)?;
    drop(first);
    // A run of each, not timed: the programs and /proc get warm.
    for scenario in &scenarios {
        for contender in &scenario.contenders {
            time_once(contender, scenario.groups, scenario.per_group, cgroup)?;
        }
    }

    let mut samples: Vec<Vec<Vec<Sample>>> = scenarios
        .iter()
        .map(|s| vec![Vec::with_capacity(runs); s.contenders.len()])
        .collect();
    for round in 0..runs {
        for (scenario, samples) in scenarios.iter().zip(&mut samples) {
            let n = scenario.contenders.len();
            for offset in 0..n {
                let index = (round + offset) % n;
                let sample = time_once(
                    &scenario.contenders[index],
                    scenario.groups,
                    scenario.per_group,
                    cgroup,
                )?;
                samples[index].push(sample);
            }
        }
    }

    let width = scenarios
        .iter()
        .flat_map(|s| &s.contenders)
        .map(|c| c.label.len())
        .max()
        .unwrap_or(0);
    let mut ratios = Vec::new();
    // Sealed against unsealed, and in how many runs pgkill removed the leaf.
    let mut sealed = None;
    for (scenario, samples) in scenarios.iter().zip(&samples) {
        say!();
        say!("{}", scenario.title);
        say!(
            "  {:width$}  {:>10}  {:>10}  {:>10}  {:>7}  {:>15}",
            "command",
            "median",
            "min",
            "max",
            "vs 1st",
            "reaped (median)"
        );
        let exited: Vec<Summary> = samples
            .iter()
            .map(|s| Summary::of(&s.iter().map(|s| s.exited).collect::<Vec<_>>()))
            .collect();
        let reaped: Vec<Summary> = samples
            .iter()
            .map(|s| Summary::of(&s.iter().map(|s| s.reaped).collect::<Vec<_>>()))
            .collect();
        let baseline = exited[0].median;
        for ((contender, summary), reaped) in scenario.contenders.iter().zip(&exited).zip(&reaped) {
            say!(
                "  {:width$}  {:>10}  {:>10}  {:>10}  {:>6.2}x  {:>15}",
                contender.label,
                timing::ms(summary.median),
                timing::ms(summary.min),
                timing::ms(summary.max),
                timing::ratio(summary.median, baseline),
                timing::ms(reaped.median),
            );
        }
        let pgkill = scenario
            .contenders
            .iter()
            .position(|c| c.label.starts_with("pgkill"))
            .unwrap_or(1);
        ratios.push(timing::ratio(exited[pgkill].median, baseline));
        if let Some(watch) = scenario
            .contenders
            .iter()
            .position(|c| c.label.ends_with("(pidfds)"))
        {
            ratios.push(timing::ratio(exited[pgkill].median, exited[watch].median));
        }
        let sealed_pgkill = |c: &Contender| c.sealed && c.label == SEALED_LABEL;
        if let Some(at) = scenario.contenders.iter().position(sealed_pgkill) {
            let removed = samples[at]
                .iter()
                .filter(|s| s.leaf_removed == Some(true))
                .count();
            // What no killer that waits for every exit can beat: the
            // bench's own kill(-G) per group, against unsealed.
            let floor = |killer: fn(&Killer) -> bool| {
                scenario
                    .contenders
                    .iter()
                    .position(|c| killer(&c.killer))
                    .map(|at| timing::ratio(exited[at].median, exited[pgkill].median))
            };
            sealed = Some((
                timing::ratio(exited[at].median, exited[pgkill].median),
                removed,
                samples[at].len(),
                floor(|k| matches!(k, Killer::Floor)),
                floor(|k| matches!(k, Killer::FloorCgroupKill)),
            ));
        }
    }
    if let Some((_, removed, of, _, _)) = sealed {
        say!();
        say!(
            "sealed: the leaf held every process of the session (checked before each run); \
             pgkill removed it in {removed} of {of} runs{}",
            if removed < of {
                " (the bench removed the others)"
            } else {
                ""
            }
        );
    }
    say!();
    say!("targets:");
    say!(
        "  pgkill --sid S --wait  <= {SID_TARGET:.2}x pkill -s S + ideal reap: {:.2}x  {}",
        ratios[0],
        timing::verdict(ratios[0] <= SID_TARGET)
    );
    say!(
        "  pgkill --pgid G --wait <= {PGID_TARGET:.2}x kill -TERM -- -G + poll /proc: {:.2}x  {}",
        ratios[1],
        timing::verdict(ratios[1] <= PGID_TARGET)
    );
    say!(
        "  pgkill --pgid G --wait <= {PGID_WATCH_TARGET:.2}x kill -TERM -- -G + poll (pidfds): \
         {:.2}x  {}",
        ratios[2],
        timing::verdict(ratios[2] <= PGID_WATCH_TARGET)
    );
    match (sealed, sealing.why_not()) {
        (Some((ratio, _, _, floor, killed)), _) => {
            say!(
                "  {SEALED_LABEL} <= {SEALED_TARGET:.2}x unsealed (ptrace): {ratio:.2}x  {}",
                timing::verdict(ratio <= SEALED_TARGET)
            );
            if let (Some(floor), Some(killed)) = (floor, killed) {
                say!(
                    "    (the floors, the bench's kill(-G) per group and its cgroup.kill of the \
                     leaf, are {floor:.2}x and {killed:.2}x unsealed: the processes' own exits)"
                );
            }
        }
        (None, why) => say!(
            "  {SEALED_LABEL}: not measured ({})",
            why.unwrap_or("no sealed run")
        ),
    }
    if (groups, per_group, group) != (SESSION.0, SESSION.1, GROUP) {
        say!(
            "  (the targets are for a session of {} x {} and a group of {}; this run's \
             figures only inform)",
            SESSION.0,
            SESSION.1,
            GROUP
        );
    }
    Ok(())
}

/// Builds a tree (sealed in a leaf of `cgroup` for a sealed contender),
/// then times `contender` emptying it.
fn time_once(
    contender: &Contender,
    groups: usize,
    per_group: usize,
    cgroup: Option<&Path>,
) -> Result<Sample, String> {
    // Declared first, dropped last: on an error path the tree is killed
    // (Victims' Drop) before the leaf is removed.
    let mut leaf = None;
    let mut victims = Victims::build(groups, per_group)?;
    if contender.sealed {
        let cgroup = cgroup.ok_or("internal: a sealed run without a cgroup")?;
        leaf = Some(SealedLeaf::seal(cgroup, victims.sid, &victims.pids)?);
    }
    let start = Instant::now();
    match &contender.killer {
        Killer::Program {
            program,
            args,
            poll,
        } => {
            let args = args.iter().map(|arg| {
                arg.replace("{sid}", &victims.sid.to_string())
                    .replace("{pgid}", &victims.groups[0].to_string())
            });
            let output = Command::new(program)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .output()
                .map_err(|error| format!("cannot run {}: {error}", contender.label))?;
            if !output.status.success() {
                return Err(format!(
                    "{} failed ({}): {}",
                    contender.label,
                    output.status,
                    String::from_utf8_lossy(&output.stderr).trim()
                ));
            }
            if *poll {
                poll_until_gone(victims.groups[0], start + victims::PATIENCE)
                    .map_err(|error| format!("after {}: {error}", contender.label))?;
            }
        }
        Killer::Floor => kill_floor(&victims),
        Killer::FloorStopped => {
            for signal in [libc::SIGSTOP, libc::SIGTERM, libc::SIGCONT] {
                kill_groups(&victims, signal);
            }
        }
        Killer::FloorCgroupKill => {
            let leaf = leaf.as_ref().ok_or("internal: cgroup.kill of no leaf")?;
            leaf.kill()?;
        }
    }
    victims
        .wait_exited(start + victims::PATIENCE)
        .map_err(|error| format!("after {}: {error}", contender.label))?;
    let exited = start.elapsed();
    victims.wait_reaped(start + victims::PATIENCE)?;
    let reaped = start.elapsed();
    let leaf_removed = leaf.take().map(SealedLeaf::finish).transpose()?;
    if let Some(cgroup) = cgroup {
        cgroup::check_no_leaves(cgroup, &contender.label)?;
    }
    Ok(Sample {
        exited,
        reaped,
        leaf_removed,
    })
}

/// Lists /proc and reads every process's stat, a millisecond apart, until
/// no live (not zombie) process is in group `pgid`: the poll of a script
/// that has no pidfds.
fn poll_until_gone(pgid: i32, deadline: Instant) -> Result<(), String> {
    loop {
        let entries =
            std::fs::read_dir("/proc").map_err(|error| format!("cannot list /proc: {error}"))?;
        let left = entries
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
            .filter_map(|pid| std::fs::read(format!("/proc/{pid}/stat")).ok())
            .any(|stat| {
                // pid (comm) state ppid pgrp ...: after the last ')'.
                let Some(close) = stat.iter().rposition(|&b| b == b')') else {
                    return false;
                };
                let rest = String::from_utf8_lossy(&stat[close + 1..]).into_owned();
                let mut fields = rest.split_whitespace();
                let state = fields.next();
                let pgrp = fields.nth(1).and_then(|f| f.parse::<i32>().ok());
                state != Some("Z") && pgrp == Some(pgid)
            });
        if !left {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!("group {pgid} still had processes"));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// SIGTERM to every group of the tree, from the bench.
fn kill_floor(victims: &Victims) {
    kill_groups(victims, libc::SIGTERM);
}

/// `signal` to every group of the tree, from the bench.
fn kill_groups(victims: &Victims, signal: i32) {
    for &pgid in &victims.groups {
        assert!(pgid > 1, "kill() with group id {pgid}");
        // SAFETY: kill(2) of a positive group id of the tree.
        unsafe { libc::kill(-pgid, signal) };
    }
}
