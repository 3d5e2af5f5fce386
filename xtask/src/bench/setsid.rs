//! The `setsid` section: what starting a command with setsid-run costs,
//! side by side with util-linux `setsid`, in a PID namespace.
//!
//! - `setsid-run -w true` against `setsid -f -w true`: fork, setsid, exec,
//!   wait, in both;
//! - `setsid-run true` against `setsid -f true`: `setsid -f` returns right
//!   after the fork, setsid-run once the exec has happened (or failed, to
//!   report why): that is the comparison the issue asks for;
//! - `setsid-run --seal -w true` against `setsid-run -w true` (issue 12):
//!   what a cgroup v2 leaf of its own costs a job (made before the exec,
//!   the child moved in, removed after the wait). The namespace's init
//!   lives in a cgroup of the bench's own ([`super::cgroup`]), under which
//!   each run makes and removes its leaf; after the runs the bench fails
//!   if a leaf was left. Where no cgroup v2 tree is writable, the row says
//!   so and is skipped;
//! - a bare `true` for reference.
//!
//! Each run is timed from spawn to exit (stdin and stdout on /dev/null, no
//! pipe), by the namespace's init. The `true` that a command without `-w`
//! leaves behind is reparented to the init, which reaps it after the
//! timing, before the next run. Two more rows, `--version` of each, time
//! the start-up alone (loading, parsing the arguments), without a child.
//!
//! Peak RSS is GNU time's `%M` (a small parent; it includes the RSS of the
//! children waited for, `true`'s), over 9 runs: it varies from run to run
//! by some 10% (file pages mapped around each page touched, wherever the
//! mappings land), so the median is judged and the largest shown.
//!
//! Targets: `-w` at most 1.05x setsid's, plain at most 1.15x, `--seal -w`
//! at most 1.5x `-w`, setsid-run's peak RSS at most 2.5 MiB.

use std::path::{Path, PathBuf};

use super::cgroup::{self, BenchCgroup, Sealing};
use super::ns::{self, Namespace};
use super::timing::{self, Cmd, Summary};
use super::tools;
use super::{Context, Section};

pub const SECTION: Section = Section {
    name: "setsid",
    binaries: &["setsid-run"],
    outside,
    inside,
};

/// Runs of each command unless `--runs` says otherwise.
pub const RUNS: usize = 400;
pub const QUICK_RUNS: usize = 20;

const WAIT_TARGET: f64 = 1.05;
const PLAIN_TARGET: f64 = 1.15;
/// `setsid-run --seal -w true` against `setsid-run -w true`.
const SEAL_TARGET: f64 = 1.5;
const RSS_TARGET_KIB: u64 = 2560;
/// Runs of each command under GNU time.
const RSS_RUNS: usize = 9;

fn outside(context: &Context) -> Result<(), String> {
    tools::require(&[tools::UNSHARE, tools::SETSID, tools::TRUE])?;
    if let Err(message) = tools::TIME.path() {
        eprintln!("bench: setsid: {message}; peak RSS is left out");
    }
    if context.shape.is_some() {
        eprintln!("bench: setsid: --shape does not apply");
    }
    let runs = context.runs_or(if context.quick { QUICK_RUNS } else { RUNS });
    let setsid_run = context.binary("setsid-run");
    let setsid = tools::SETSID.path()?;
    say!("== setsid");
    say!(
        "spawn overhead, in a PID namespace; {runs} interleaved runs of each command, \
         timed from spawn to exit by the namespace's init"
    );
    say!(
        "{}; {}: {}; {}",
        setsid_run.display(),
        setsid.display(),
        tools::version(&setsid, &["--version"]).unwrap_or_default(),
        timing::machine()
    );
    timing::say_cpu_busy();
    // The cgroup that the sealed runs make their leaves in.
    let cgroup = BenchCgroup::make();
    let mut args = vec![
        runs.to_string(),
        setsid_run.display().to_string(),
        BenchCgroup::arg(&cgroup),
    ];
    if let Some(other) = context.compared("setsid-run") {
        say!(
            "compared with {} (rows marked (cmp); --seal is not compared)",
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

fn inside(args: &[String]) -> Result<(), String> {
    ns::become_init()?;
    let (runs, setsid_run, sealing, other) = match args {
        [runs, setsid_run, sealing] => (runs, setsid_run, sealing, None),
        [runs, setsid_run, sealing, other] => {
            (runs, setsid_run, sealing, Some(PathBuf::from(other)))
        }
        _ => return Err("internal: setsid: RUNS SETSID_RUN CGROUP [OTHER]".to_string()),
    };
    // Before anything is started: what the init starts lives there too.
    let sealing = Sealing::parse(sealing)?.enter();
    let runs: usize = runs
        .parse()
        .map_err(|_| format!("internal: not a number: {runs}"))?;
    let setsid_run = PathBuf::from(setsid_run);
    let setsid = tools::SETSID.path()?;
    let truth = tools::TRUE.path()?;
    let true_arg = truth.display().to_string();
    let true_arg = true_arg.as_str();

    const TRUE: usize = 0;
    const SETSID_WAIT: usize = 1;
    const RUN_WAIT: usize = 2;
    const SETSID_PLAIN: usize = 3;
    const RUN_PLAIN: usize = 4;
    const SETSID_VERSION: usize = 5;
    // Each command, and the one it is compared with.
    let mut rows = vec![
        (Cmd::new("true", &truth, &[]), None),
        (
            Cmd::new("setsid -f -w true", &setsid, &["-f", "-w", true_arg]),
            None,
        ),
        (
            Cmd::new("setsid-run -w true", &setsid_run, &["-w", true_arg]),
            Some(SETSID_WAIT),
        ),
        (Cmd::new("setsid -f true", &setsid, &["-f", true_arg]), None),
        (
            Cmd::new("setsid-run true", &setsid_run, &[true_arg]),
            Some(SETSID_PLAIN),
        ),
        (
            Cmd::new("(start-up) setsid --version", &setsid, &["--version"]),
            None,
        ),
        (
            Cmd::new(
                "(start-up) setsid-run --version",
                &setsid_run,
                &["--version"],
            ),
            Some(SETSID_VERSION),
        ),
    ];
    // Against setsid-run -w: what the seal adds.
    let run_sealed = sealing.path().map(|_| {
        rows.push((
            Cmd::new(
                "setsid-run --seal -w true",
                &setsid_run,
                &["--seal", "-w", true_arg],
            ),
            Some(RUN_WAIT),
        ));
        rows.len() - 1
    });
    if let Some(other) = &other {
        rows.push((
            Cmd::new("setsid-run -w true (cmp)", other, &["-w", true_arg]),
            Some(SETSID_WAIT),
        ));
        rows.push((
            Cmd::new("setsid-run true (cmp)", other, &[true_arg]),
            Some(SETSID_PLAIN),
        ));
    }
    let (cmds, baselines): (Vec<Cmd>, Vec<Option<usize>>) = rows.into_iter().unzip();
    if let Some(path) = sealing.path() {
        check_sealed(&setsid_run, path)?;
    }

    let warmup = 10.min(runs);
    for _ in 0..warmup {
        for cmd in &cmds {
            cmd.time_lean()?;
            ns::reap_children();
        }
    }
    let mut samples = vec![Vec::with_capacity(runs); cmds.len()];
    for round in 0..runs {
        for offset in 0..cmds.len() {
            let index = (round + offset) % cmds.len();
            samples[index].push(cmds[index].time_lean()?);
            // What a command without -w left running (reparented to us).
            ns::reap_children();
        }
    }
    let summaries: Vec<Summary> = samples.iter().map(|s| Summary::of(s)).collect();
    let time = tools::TIME.find();
    // The median and the largest of each command's peaks.
    let rss: Vec<Option<(u64, u64)>> = cmds
        .iter()
        .map(|cmd| {
            let kib = time
                .as_ref()
                .map(|time| cmd.peak_rss_samples_kib(time, RSS_RUNS))
                .transpose();
            ns::reap_children();
            kib.map(|samples| {
                samples.map(|sorted| {
                    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0);
                    (median, sorted.last().copied().unwrap_or(0))
                })
            })
        })
        .collect::<Result<_, _>>()?;
    // Each sealed run removed its leaf.
    if let Some(path) = sealing.path() {
        cgroup::check_no_leaves(path, "setsid-run --seal -w true")?;
    }

    let baseline = |index: usize| baselines[index];
    let width = cmds.iter().map(|cmd| cmd.label.len()).max().unwrap_or(0);
    say!();
    say!(
        "{:width$}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}  {:>21}",
        "command",
        "median",
        "min",
        "p90",
        "vs true",
        "vs base",
        "peak RSS: median, max"
    );
    for (index, cmd) in cmds.iter().enumerate() {
        let summary = &summaries[index];
        let mut sorted = samples[index].clone();
        sorted.sort_unstable();
        let p90 = sorted
            .get(sorted.len() * 9 / 10)
            .copied()
            .unwrap_or_default();
        say!(
            "{:width$}  {:>9}  {:>9}  {:>9}  {:>8.2}x  {:>9}  {:>21}",
            cmd.label,
            us(summary.median),
            us(summary.min),
            us(p90),
            timing::ratio(summary.median, summaries[TRUE].median),
            baseline(index).map_or_else(
                || "".to_string(),
                |base| format!(
                    "{:.2}x",
                    timing::ratio(summary.median, summaries[base].median)
                )
            ),
            rss[index].map_or_else(
                || "-".to_string(),
                |(median, max)| format!("{}, {}", mib(median), mib(max))
            ),
        );
    }
    match sealing.why_not() {
        None => say!(
            "(vs base: against setsid -f; --seal against setsid-run -w true; \
             every leaf removed)"
        ),
        Some(why) => {
            say!("(vs base: against setsid -f)\nsetsid-run --seal -w true: skipped: {why}")
        }
    }
    say!();
    say!("targets:");
    let mut judged = vec![
        ("setsid-run -w true", RUN_WAIT, WAIT_TARGET),
        ("setsid-run true   ", RUN_PLAIN, PLAIN_TARGET),
    ];
    judged.extend(run_sealed.map(|at| ("setsid-run --seal -w true", at, SEAL_TARGET)));
    for (what, at, target) in judged {
        let base = baseline(at).expect("compared with setsid");
        let ratio = timing::ratio(summaries[at].median, summaries[base].median);
        say!(
            "  {what} time <= {target:.2}x {}: {ratio:.2}x  {}",
            cmds[base].label,
            timing::verdict(ratio <= target)
        );
    }
    if let Some(why) = sealing.why_not() {
        say!("  setsid-run --seal -w true: not measured ({why})");
    }
    for (what, at) in [
        ("setsid-run -w true", RUN_WAIT),
        ("setsid-run true   ", RUN_PLAIN),
    ] {
        match rss[at] {
            Some((median, max)) => say!(
                "  {what} peak RSS <= {}: {} (median of {RSS_RUNS}; largest {})  {}",
                mib(RSS_TARGET_KIB),
                mib(median),
                mib(max),
                timing::verdict(median <= RSS_TARGET_KIB)
            ),
            None => say!("  {what} peak RSS: not measured (GNU time is missing)"),
        }
    }
    Ok(())
}

/// Checks, once, that `setsid-run --seal -w` starts its command in a leaf
/// of the bench's cgroup `parent`, as the sealed row means to time.
fn check_sealed(setsid_run: &Path, parent: &Path) -> Result<(), String> {
    let cat = tools::CAT.path()?.display().to_string();
    let args = ["--seal", "-w", &cat, "/proc/self/cgroup"];
    let output = Cmd::new("setsid-run --seal -w cat", setsid_run, &args).output()?;
    let text = String::from_utf8_lossy(&output);
    // 0::/<the bench's cgroup, from the root>/setsid-run-<SID>
    let cgroup = text
        .lines()
        .find_map(|line| line.strip_prefix("0::"))
        .map(Path::new);
    let leaf = cgroup
        .and_then(Path::file_name)
        .and_then(|name| name.to_str());
    let within = cgroup.and_then(Path::parent).and_then(Path::file_name);
    if !leaf.is_some_and(|name| name.starts_with("setsid-run-"))
        || within.is_none()
        || within != parent.file_name()
    {
        return Err(format!(
            "setsid-run --seal did not start its command in a leaf of {}: {}",
            parent.display(),
            text.trim()
        ));
    }
    cgroup::check_no_leaves(parent, "setsid-run --seal -w cat")
}

/// KiB as MiB with two decimals: the target is close.
fn mib(kib: u64) -> String {
    format!("{:.2} MiB", kib as f64 / 1024.0)
}

/// A short duration in microseconds, for a report.
fn us(duration: std::time::Duration) -> String {
    format!("{:.0} µs", duration.as_secs_f64() * 1e6)
}
