//! The `pgtree` section: `pgtree --plain -o comm,pid,ppid,pgid,sid` and
//! `pgtree` (the tree) against `ps xao comm,pid,ppid,pgid,sid` and
//! `pstree -g -p`, on ~5000 processes (50 sessions x 7 groups x 14) in a
//! PID namespace of their own.
//!
//! Also a frame of `pgtree --watch 1ms`, run on a pseudo-terminal as a
//! person runs it (see [`super::watch`]), against a run of `pgtree`.
//!
//! Targets: `pgtree --plain` at most 0.30x ps's median time, the tree at
//! most 0.35x, and each form's peak RSS at most 8 MiB; a frame of
//! `--watch` at most 1.2x a run of `pgtree`.

use std::path::PathBuf;

use super::ns::{self, Namespace, Shape, Tree};
use super::timing::{self, Cmd, Summary};
use super::tools;
use super::watch;
use super::{Context, Section};

pub const SECTION: Section = Section {
    name: "pgtree",
    binaries: &["pgtree"],
    outside,
    inside,
};

const FULL: Shape = Shape {
    sessions: 50,
    groups: 7,
    per_group: 14,
};
const QUICK: Shape = Shape {
    sessions: 5,
    groups: 4,
    per_group: 5,
};

/// Runs of each command unless `--runs` says otherwise.
pub const RUNS: usize = 21;
pub const QUICK_RUNS: usize = 5;

const PLAIN_TARGET: f64 = 0.30;
const TREE_TARGET: f64 = 0.35;
const RSS_TARGET_KIB: u64 = 8 * 1024;
const WATCH_TARGET: f64 = 1.2;

/// Frames of each `--watch` run timed (after its first).
const WATCH_FRAMES: usize = 5;
const WATCH_ARGS: &[&str] = &["--watch", "1ms"];

const PS_ARGS: &[&str] = &["xao", "comm,pid,ppid,pgid,sid"];
const PSTREE_ARGS: &[&str] = &["-g", "-p"];
const PLAIN_ARGS: &[&str] = &["--plain", "-o", "comm,pid,ppid,pgid,sid"];

fn outside(context: &Context) -> Result<(), String> {
    let mut needed = ns::TOOLS.to_vec();
    needed.push(tools::PS);
    tools::require(&needed)?;
    for optional in [tools::PSTREE, tools::TIME] {
        if let Err(message) = optional.path() {
            eprintln!("bench: pgtree: {message}; its figures are left out");
        }
    }
    let shape = context
        .shape
        .unwrap_or(if context.quick { QUICK } else { FULL });
    let runs = context.runs_or(if context.quick { QUICK_RUNS } else { RUNS });
    let pgtree = context.binary("pgtree");
    say!("== pgtree");
    say!(
        "{}, in a PID namespace; {runs} interleaved runs of each command, stdout to /dev/null",
        shape.describe(),
    );
    let ps = tools::PS.path()?;
    let mut versions = vec![tools::version(&ps, &["--version"]).unwrap_or_default()];
    if let Some(pstree) = tools::PSTREE.find() {
        versions.push(tools::version(&pstree, &["-V"]).unwrap_or_default());
    }
    say!(
        "{}; {}; {}",
        pgtree.display(),
        versions.join("; "),
        timing::machine()
    );
    timing::say_cpu_busy();
    let args = vec![
        shape.sessions.to_string(),
        shape.groups.to_string(),
        shape.per_group.to_string(),
        runs.to_string(),
        pgtree.display().to_string(),
    ];
    Namespace::start(SECTION.name, &args)?.wait()
}

fn inside(args: &[String]) -> Result<(), String> {
    ns::become_init()?;
    let [sessions, groups, per_group, runs, pgtree] = args else {
        return Err("internal: pgtree: SESSIONS GROUPS PER_GROUP RUNS PGTREE".to_string());
    };
    let number = |text: &String| {
        text.parse::<usize>()
            .map_err(|_| format!("internal: not a number: {text}"))
    };
    let shape = Shape {
        sessions: number(sessions)?,
        groups: number(groups)?,
        per_group: number(per_group)?,
    };
    let runs = number(runs)?;
    let pgtree = PathBuf::from(pgtree);

    let mut tree = Tree::start(shape)?;
    // Besides the tree, /proc lists this init.
    let took = tree.wait_ready(1, std::time::Duration::from_secs(120))?;
    say!(
        "built {} processes in {}",
        shape.processes(),
        timing::ms(took)
    );

    let ps = Cmd::new(
        format!("ps {}", PS_ARGS.join(" ")),
        tools::PS.path()?,
        PS_ARGS,
    );
    let plain = Cmd::new(
        format!("pgtree {}", PLAIN_ARGS.join(" ")),
        &pgtree,
        PLAIN_ARGS,
    );
    let tree_view = Cmd::new("pgtree", &pgtree, &[]);
    let watch_frame = Cmd::new(
        format!("pgtree {}, a frame", WATCH_ARGS.join(" ")),
        &pgtree,
        WATCH_ARGS,
    )
    .frames(WATCH_FRAMES);
    let pstree = tools::PSTREE.find().map(|path| {
        Cmd::new(
            format!("pstree {}", PSTREE_ARGS.join(" ")),
            path,
            PSTREE_ARGS,
        )
    });
    let mut cmds = vec![ps.clone()];
    cmds.extend(pstree);
    cmds.push(plain.clone());
    cmds.push(tree_view.clone());
    cmds.push(watch_frame.clone());

    // A fast pgtree that misses processes would be no news: all list all.
    let ps_rows = lines(&ps.output()?);
    let plain_rows = lines(&plain.output()?);
    let tree_lines = lines(&tree_view.output()?);
    say!(
        "lines printed: ps {ps_rows}, pgtree --plain {plain_rows} (each with a header), \
         pgtree {tree_lines}"
    );
    if plain_rows + 2 < ps_rows || plain_rows < shape.processes() {
        return Err(format!(
            "pgtree --plain listed {plain_rows} rows, ps {ps_rows}: not comparable"
        ));
    }
    // A line per session, group and process.
    let tree_wanted = shape.processes() + shape.sessions * (1 + shape.groups);
    if tree_lines < tree_wanted {
        return Err(format!(
            "pgtree printed {tree_lines} lines, fewer than the {tree_wanted} \
             of the tree's sessions, groups and processes: not comparable"
        ));
    }

    // The watch's frames show the whole selection too.
    let watched = watched_processes(&watch::run(&watch_frame, 1)?.output)
        .ok_or("pgtree --watch drew no header line")?;
    say!("pgtree --watch counts {watched} processes in its frames");
    if watched < shape.processes() {
        return Err(format!(
            "pgtree --watch showed {watched} processes, fewer than the tree's {}: \
             not comparable",
            shape.processes()
        ));
    }

    let warmup = if runs > 5 { 2 } else { 1 };
    let samples = timing::interleaved(&cmds, warmup, runs)?;
    let summaries: Vec<Summary> = samples.iter().map(|s| Summary::of(s)).collect();
    let time = tools::TIME.find();
    let rss: Vec<Option<u64>> = cmds
        .iter()
        .map(|cmd| {
            if cmd.frames.is_some() {
                // On a terminal, not under GNU time: its VmHWM after the
                // frames, the largest of 3 runs.
                let runs: Vec<u64> = (0..3)
                    .map(|_| watch::run(cmd, 2).map(|run| run.peak_rss_kib))
                    .collect::<Result<_, _>>()?;
                return Ok(runs.into_iter().max());
            }
            time.as_ref()
                .map(|time| cmd.peak_rss_kib(time, 3))
                .transpose()
        })
        .collect::<Result<_, _>>()?;

    let ps_median = summaries[0].median;
    let width = cmds.iter().map(|cmd| cmd.label.len()).max().unwrap_or(0);
    say!();
    say!(
        "{:width$}  {:>10}  {:>10}  {:>10}  {:>6}  {:>9}",
        "command",
        "median",
        "min",
        "max",
        "vs ps",
        "peak RSS"
    );
    for ((cmd, summary), rss) in cmds.iter().zip(&summaries).zip(&rss) {
        say!(
            "{:width$}  {:>10}  {:>10}  {:>10}  {:>5.2}x  {:>9}",
            cmd.label,
            timing::ms(summary.median),
            timing::ms(summary.min),
            timing::ms(summary.max),
            timing::ratio(summary.median, ps_median),
            rss.map_or_else(|| "-".to_string(), timing::mib),
        )
    }

    let find = |label: &str| cmds.iter().position(|cmd| cmd.label == label);
    let (plain_at, tree_at) = (
        find(&plain.label).expect("listed"),
        find(&tree_view.label).expect("listed"),
    );
    say!();
    say!("targets:");
    for (what, at, target) in [
        ("pgtree --plain", plain_at, PLAIN_TARGET),
        ("pgtree (tree) ", tree_at, TREE_TARGET),
    ] {
        let ratio = timing::ratio(summaries[at].median, ps_median);
        say!(
            "  {what} time <= {target:.2}x ps: {ratio:.2}x  {}",
            timing::verdict(ratio <= target)
        );
    }
    let watch_at = find(&watch_frame.label).expect("listed");
    let ratio = timing::ratio(summaries[watch_at].median, summaries[tree_at].median);
    say!(
        "  pgtree --watch, a frame <= {WATCH_TARGET:.2}x pgtree (tree): {ratio:.2}x  {}",
        timing::verdict(ratio <= WATCH_TARGET)
    );
    for (what, at) in [("pgtree --plain", plain_at), ("pgtree (tree) ", tree_at)] {
        match rss[at] {
            Some(kib) => say!(
                "  {what} peak RSS <= {}: {}  {}",
                timing::mib(RSS_TARGET_KIB),
                timing::mib(kib),
                timing::verdict(kib <= RSS_TARGET_KIB)
            ),
            None => say!("  {what} peak RSS: not measured (GNU time is missing)"),
        }
    }
    if shape != FULL {
        say!(
            "  (the targets are for {}; this run's figures only inform)",
            FULL.describe()
        );
    }
    Ok(())
}

/// N of the header `pgtree: N processes, …` in what `--watch` wrote.
fn watched_processes(output: &[u8]) -> Option<usize> {
    let text = String::from_utf8_lossy(output);
    let (_, after) = text.rsplit_once("pgtree: ")?;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn lines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}
