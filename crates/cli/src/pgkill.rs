//! `pgkill`: signal a process, a group or a whole session, with typed
//! targets.

use std::ffi::OsString;
use std::io::{self, Write};
use std::time::Duration;

use clap::{Args as _, Parser};
use procgroup::cgroup::{self, Leaf};
use procgroup::deliver::{self, Delivery, Entry, Outcome, Plan, Target};
use procgroup::pidfs::{Death, WithInode};
use procgroup::select::{self, Pick, Selection};
use procgroup::{parse_duration, Pgid, Pid, Process, Sid, Signal};

use crate::common::{
    core, escape, main_with_args, stderr_line, write_process_json, ExpandArg, Failure, SelectArgs,
};

/// Signal a process, a process group or a whole session.
#[derive(Parser, Debug)]
#[command(
    name = "pgkill",
    version,
    about = "Signal a process, a process group or a whole session",
    long_about = "Signal a process, a process group or a whole session.\n\n\
        Targets are typed: --pid is one process (signalled through a pidfd, so a \
        reused PID is never hit), --pgid a whole group (one kill(-pgid), atomic in \
        the kernel), --sid every group of a session (rescanned until no new group \
        appears; for terminating signals the session is frozen first, invisibly \
        with ptrace where the kernel allows it, so that nothing forks away). A bare number is \
        refused. Like kill, the signal may be given as the first argument: \
        pgkill -9 --pgid 42; -0 sends nothing and only checks, like kill -0.\n\n\
        Processes can also be selected the way pkill and pgtree select them: a \
        PATTERN (-f, -x, -i), -u, -t, -P, --orphaned, --inverse. Each matching \
        process is signalled through a pidfd, or with --expand its whole group \
        (as --pgid) or session (as --sid). With a selection, --pid, --pgid and \
        --sid restrict it (AND), as in pgtree. A selection needs a PATTERN or one \
        of them: pgkill never signals everything.",
    override_usage = "pgkill [-SIGNAL] [OPTIONS] <--pid <PID>|--pgid <PGID>|--sid <SID>>...\n       \
        pgkill [-SIGNAL] [OPTIONS] [PATTERN] [--expand group|session]\n       \
        pgkill -l [SIGNAL|STATUS]",
    after_help = "Exit status: 0 every target signalled (and gone, with --wait), 1 no target \
        matched a live process, 2 usage error or refused target, 3 permission denied or \
        some targets not found, 4 survivors after --wait/--timeout, 5 signals sent but the \
        report could not be written. With -0: 0 every target exists and may be signalled, \
        1 none exists, 3 some may not be signalled."
)]
pub struct Args {
    #[command(flatten)]
    select: SelectArgs,

    /// Select the processes that do NOT match PATTERN, -u, -t, -P, --orphaned, -F, -r, --env (pkill's -v)
    #[arg(long)]
    inverse: bool,

    /// Select only the most recently started of the matches (pkill's -n)
    #[arg(long)]
    newest: bool,

    /// Signal the whole group (as --pgid) or session (as --sid) of each selected process
    #[arg(long, value_enum, value_name = "WHAT")]
    expand: Option<ExpandArg>,

    /// Signal this process (comma list, repeatable); PID:INO only if it still has that pidfs inode; with a selection, select only it
    #[arg(short = 'p', long = "pid", value_name = "PID", value_delimiter = ',',
          value_parser = core(|text| WithInode::parse(text, str::parse::<Pid>)),
          allow_negative_numbers = true)]
    pids: Vec<WithInode<Pid>>,

    /// Signal this whole process group; `self` is pgkill's own group; PGID:INO only if its leader still has that inode; with a selection, select only in it
    #[arg(short = 'g', long = "pgid", value_name = "PGID", value_delimiter = ',',
          value_parser = core(|text| WithInode::parse(text, Pgid::parse_or_self)),
          allow_negative_numbers = true)]
    pgids: Vec<WithInode<Pgid>>,

    /// Signal every group of this session; `self` is pgkill's own session; SID:INO only if its leader still has that inode; with a selection, select only in it
    #[arg(short = 's', long = "sid", value_name = "SID", value_delimiter = ',',
          value_parser = core(|text| WithInode::parse(text, Sid::parse_or_self)),
          allow_negative_numbers = true)]
    sids: Vec<WithInode<Sid>>,

    /// The signal: a name (TERM, SIGTERM, term, RTMIN+3) or a number; 0 only checks [default: TERM]
    #[arg(long, value_name = "SIG", value_parser = core(|text| text.parse::<Signal>()))]
    signal: Option<Signal>,

    /// List the signals; with a name, number or exit status (128+N), translate it
    #[arg(short = 'l', long = "list", value_name = "SIGNAL", num_args = 0..=1,
          conflicts_with_all = ["pids", "pgids", "sids", "signal", "pattern", "uids", "ttys",
                                "parents", "orphaned", "inverse", "expand"])]
    list: Option<Option<String>>,

    /// Show what would be signalled, grouped by session and group; signal nothing
    #[arg(short = 'n', long)]
    dry_run: bool,

    /// Wait until every targeted process has exited (a zombie has)
    #[arg(short = 'w', long)]
    wait: bool,

    /// Stop waiting after DURATION (500ms, 5s, 1m); implies --wait
    #[arg(long, value_name = "DURATION", value_parser = core(parse_duration))]
    timeout: Option<Duration>,

    /// Send SIGKILL to whatever is alive DURATION after the signal; implies --wait
    #[arg(short = 'k', long, value_name = "DURATION", value_parser = core(parse_duration))]
    kill_after: Option<Duration>,

    /// Print a line per signalled process on stderr
    #[arg(short = 'v', long)]
    verbose: bool,

    /// Print nothing on stderr but usage errors and refusals (exit status 2)
    #[arg(short = 'q', long, conflicts_with = "verbose")]
    quiet: bool,

    /// Print a JSON report on stdout
    #[arg(long)]
    json: bool,

    /// Signal even a target that contains pgkill itself, its ancestors or pid 1
    #[arg(long)]
    force: bool,

    /// Signal every process of this cgroup v2 leaf (frozen first; SIGKILL through cgroup.kill): a path in the cgroup2 mount, or one as /proc/PID/cgroup shows it
    #[arg(long, value_name = "PATH",
          conflicts_with_all = ["pids", "pgids", "sids", "pattern", "pidfile", "expand"])]
    cgroup: Option<std::path::PathBuf>,
}

/// The clap definition, for the generator.
pub fn command() -> clap::Command {
    Args::augment_args(clap::Command::new("pgkill"))
}

pub fn main() -> i32 {
    let args = match rewrite_args(std::env::args_os().collect()) {
        Ok(args) => args,
        Err(message) => {
            let _ = stderr_line(&format!("pgkill: error: {message}"));
            return 2;
        }
    };
    main_with_args("pgkill", args, run)
}

/// Accepts kill's habit `-SIG`/`-NUM` as the first argument (turned into
/// `--signal`), and refuses bare and negative numbers as targets, which
/// kill(1) reads as pids and groups: also after `--`, where they would
/// otherwise be taken for a PATTERN.
fn rewrite_args(mut args: Vec<OsString>) -> Result<Vec<OsString>, String> {
    if let Some(first) = args.get(1).and_then(|a| a.to_str()) {
        if let Some(name) = first.strip_prefix('-') {
            if !name.starts_with('-') && name.parse::<Signal>().is_ok() {
                args[1] = OsString::from(format!("--signal={name}"));
            }
        }
    }
    const TAKES_VALUE: &[&str] = &[
        "-p",
        "--pid",
        "-g",
        "--pgid",
        "-s",
        "--sid",
        "--signal",
        "-l",
        "--list",
        "--timeout",
        "-k",
        "--kill-after",
        "-u",
        "--user",
        "-t",
        "--tty",
        "-P",
        "--parent",
        "--expand",
    ];
    let mut previous = "";
    let mut positional = false;
    for arg in args.iter().skip(1) {
        let Some(text) = arg.to_str() else { continue };
        if text == "--" && !positional {
            positional = true;
            continue;
        }
        let digits = text.strip_prefix('-').unwrap_or(text);
        let numeric = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
        if numeric && (positional || !TAKES_VALUE.contains(&previous)) {
            return Err(not_a_target(text, digits));
        }
        previous = text;
    }
    Ok(args)
}

/// Why a number where a target or PATTERN goes is refused, and what to say.
fn not_a_target(text: &str, digits: &str) -> String {
    if !text.starts_with('-') {
        return format!("bare number '{text}': say --pid, --pgid or --sid");
    }
    if digits.bytes().all(|b| b == b'0') {
        // kill(0) is the caller's own group, and -0 first is signal 0.
        return format!(
            "'{text}' is not a target: kill reads it as its own group; say --pgid self \
             (or --sid self for the whole session); to check a target, put -0 first: \
             pgkill -0 --pid PID"
        );
    }
    format!(
        "'{text}' is not a target: kill reads it as group {digits}; say --pgid {digits} \
         (or --sid {digits} for the whole session)"
    )
}

/// Where diagnostics go: stderr, unless `--quiet`, which keeps only usage
/// errors and refusals (exit status 2).
#[derive(Clone, Copy)]
struct Say {
    quiet: bool,
}

impl Say {
    fn error(self, what: &str) {
        if !self.quiet {
            // An unwritable stderr changes no code.
            let _ = stderr_line(&format!("pgkill: error: {what}"));
        }
    }

    fn warning(self, what: &str) {
        if !self.quiet {
            let _ = stderr_line(&format!("pgkill: warning: {what}"));
        }
    }
}

fn run(args: Args) -> Result<i32, Failure> {
    let quiet = args.quiet;
    run_quietly(args).map_err(|failure| {
        if quiet && failure.code != 2 {
            Failure {
                code: failure.code,
                message: None,
            }
        } else {
            failure
        }
    })
}

/// The cgroup `--cgroup` names: a directory in the cgroup2 mount (given
/// with the mount, or as /proc/PID/cgroup shows it, from the mount's root).
/// The root cgroup is no leaf: refused.
fn open_leaf(path: &std::path::Path) -> Result<Leaf, Failure> {
    let mount = cgroup::mount()
        .ok_or_else(|| Failure::new(1, "--cgroup: no cgroup v2 hierarchy is mounted"))?;
    let full = if path.starts_with(&mount) {
        path.to_path_buf()
    } else {
        mount.join(path.strip_prefix("/").unwrap_or(path))
    };
    if full == mount {
        return Err(Failure::usage(
            "--cgroup: the root cgroup holds every process: refusing it",
        ));
    }
    Leaf::open(&full).map_err(|e| {
        Failure::new(
            1,
            format!(
                "--cgroup {}: {}",
                path.display(),
                procgroup::error_reason(&e)
            ),
        )
    })
}

/// The options that select processes rather than name targets.
fn selection(args: &Args) -> Result<Option<Selection>, Failure> {
    let select = &args.select;
    let selecting = select.narrows() || args.inverse || args.newest || args.expand.is_some();
    let typed = !(args.pids.is_empty() && args.pgids.is_empty() && args.sids.is_empty());
    if !typed && select.pattern.is_none() && select.pidfile.is_none() {
        // Never everything: -u alone would be every process of a user.
        let narrowing = if selecting {
            "; -u, -t, -P, -r, -A, --env, --orphaned, --inverse, --newest, --oldest and \
             --expand only narrow or grow a selection"
        } else {
            ""
        };
        return Err(Failure::usage(format!(
            "no target: give a PATTERN, --pidfile, --pid, --pgid or --sid{narrowing} \
             (see 'pgkill --help')"
        )));
    }
    if !selecting {
        return Ok(None);
    }
    if args.targets().iter().any(|(_, ino)| ino.is_some()) {
        return Err(Failure::usage(
            "ID:INO names a target, and does not restrict a selection: give the id alone",
        ));
    }
    select
        .selection(Selection {
            pids: args.pids.iter().map(|p| p.id).collect(),
            pgids: args.pgids.iter().map(|g| g.id).collect(),
            sids: args.sids.iter().map(|s| s.id).collect(),
            inverse: args.inverse,
            pick: args.newest.then_some(Pick::Newest),
            expand: args.expand.map(Into::into),
            kernel: false,
            ..Selection::default()
        })
        .map(Some)
}

impl Args {
    /// The typed targets, each with the inode given for it.
    fn targets(&self) -> Vec<(Target, Option<u64>)> {
        self.pids
            .iter()
            .map(|p| (Target::Pid(p.id), p.ino))
            .chain(self.pgids.iter().map(|g| (Target::Pgid(g.id), g.ino)))
            .chain(self.sids.iter().map(|s| (Target::Sid(s.id), s.ino)))
            .collect()
    }
}

fn run_quietly(args: Args) -> Result<i32, Failure> {
    if let Some(which) = &args.list {
        return list(which.as_deref());
    }
    let say = Say { quiet: args.quiet };
    let signal = args.signal.unwrap_or(Signal::TERM);
    let leaf = args.cgroup.as_deref().map(open_leaf).transpose()?;
    let selection = match leaf {
        Some(_) => None,
        None => selection(&args)?,
    };
    let (plan, dropped) = match (&selection, &leaf) {
        (_, Some(leaf)) => {
            // Its members now, for the refusals, the dry run and the
            // report; the signal goes to the leaf, frozen.
            let members = leaf
                .members()
                .map_err(|e| Failure::new(1, format!("{}: {e}", leaf.path().display())))?;
            let targets: Vec<Target> = members.into_iter().map(Target::Pid).collect();
            let plan = deliver::resolve(&targets).map_err(|e| Failure::new(1, e.to_string()))?;
            (plan, Vec::new())
        }
        (Some(selection), None) => {
            let resolved =
                select::resolve(selection).map_err(|e| Failure::new(1, e.to_string()))?;
            (resolved.plan, resolved.dropped)
        }
        (None, None) => {
            // Nothing asks for the members before the signal (no dry run,
            // no report of each): a group is then resolved without listing
            // /proc, and its members are found after kill(-pgid).
            let lean = !(args.dry_run || args.json || args.verbose || signal.is_probe());
            let plan = deliver::resolve_identified(&args.targets(), lean).map_err(|e| match e {
                procgroup::Error::Usage(message) => Failure::usage(message),
                e => Failure::new(1, e.to_string()),
            })?;
            (plan, Vec::new())
        }
    };
    if !args.force {
        if let Some(refusal) = plan.refusal() {
            return Err(Failure::usage(format!(
                "refusing to signal {refusal}; use --force to do it anyway"
            )));
        }
    }
    let unmatched: Vec<Target> = plan.unmatched().collect();
    let matched = plan.targets().count() - unmatched.len();
    let unmatched_code = if matched == 0 {
        1
    } else if !unmatched.is_empty() {
        3
    } else {
        0
    };
    if !unmatched.is_empty() {
        say.error(&describe_unmatched(&unmatched, &args.targets()));
    }
    if selection.is_some() {
        // A selection is what exists now: a match gone before it could be
        // resolved is not a target, and no failure unless nothing is left.
        let gone = (!dropped.is_empty()).then(|| {
            let pids: Vec<Pid> = dropped.iter().map(|p| p.pid).collect();
            format!(
                "{} exited before it could be signalled: {}",
                count(dropped.len(), "matching process", "matching processes"),
                some_pids(&pids)
            )
        });
        match (matched, gone) {
            (0, None) => say.error("no process matched"),
            (0, Some(gone)) => say.error(&format!("no process matched any more: {gone}")),
            (_, Some(gone)) => say.warning(&gone),
            (_, None) => {}
        }
    }
    // The report is made in memory and written once, so that a failed
    // write has one place to be judged.
    let mut report = Vec::new();
    if args.dry_run {
        if args.json {
            let escapees = escapees(&plan);
            write_json(
                &mut report,
                signal,
                plan.processes()
                    .into_iter()
                    .map(|p| (p, None, escapees.contains(&p.pid))),
                &plan,
                &args.targets(),
                false,
                true,
            )?;
        } else {
            write_dry_run(&mut report, &plan, signal)?;
        }
        return Ok(write_report(&report, unmatched_code, say));
    }

    let waiting = args.wait || args.timeout.is_some() || args.kill_after.is_some();
    let mut delivery = Delivery::new(signal);
    if waiting && (args.json || args.verbose) {
        delivery = delivery.certify();
    }
    if args.verbose {
        delivery = delivery.on_signal(|entry, signal| {
            let (process, outcome) = (&entry.process, entry.outcome);
            let what = match (outcome, signal.is_probe()) {
                (Outcome::Signalled, false) => format!("sent {signal} to"),
                (Outcome::PermissionDenied, false) => format!("permission denied: {signal} to"),
                (Outcome::Signalled, true) => "may signal".to_string(),
                (Outcome::PermissionDenied, true) => {
                    "permission denied: may not signal".to_string()
                }
                (_, false) => format!("gone before {signal}:"),
                (_, true) => "gone:".to_string(),
            };
            let escaped = if entry.escaped {
                ", escaped: reached through its session's seal"
            } else {
                ""
            };
            // An unwritable stderr stops nothing, and changes no code.
            let _ = stderr_line(&format!(
                "pgkill: {what} {} ({}) in group {}, session {}{escaped}",
                process.pid,
                escape(&process.comm, false),
                process.pgid,
                process.sid
            ));
        });
    }
    let sent = match leaf {
        Some(leaf) => delivery.send_leaf(leaf),
        None => delivery.send(&plan),
    };
    if let (true, Some(why)) = (args.verbose, delivery.visible_freeze()) {
        let _ = stderr_line(&format!("pgkill: {why}"));
    }
    sent.map_err(|e| Failure::new(1, e.to_string()))?;
    let all_gone = if waiting {
        let all_gone = delivery
            .wait(args.timeout, args.kill_after)
            .map_err(|e| Failure::new(1, e.to_string()))?;
        if args.json || args.verbose {
            delivery.certify_exits();
        }
        all_gone
    } else {
        true
    };
    let entries = delivery.entries();
    if waiting && args.verbose {
        for entry in &entries {
            say_how_it_ended(entry);
        }
    }
    if args.json {
        write_json(
            &mut report,
            signal,
            entries.iter().map(|&e| (&e.process, Some(e), e.escaped)),
            &plan,
            &args.targets(),
            waiting,
            false,
        )?;
    }
    let with = |outcome: Outcome| -> Vec<Pid> {
        entries
            .iter()
            .filter(|e| e.outcome == outcome)
            .map(|e| e.process.pid)
            .collect()
    };
    let denied = with(Outcome::PermissionDenied);
    let vanished = with(Outcome::Vanished);
    let code = if matched == 0 {
        1
    } else if vanished.len() == entries.len() {
        let before = if signal.is_probe() {
            "the check"
        } else {
            "the signal"
        };
        say.error(&if vanished.is_empty() {
            format!("the targets were gone before {before}")
        } else {
            format!(
                "{} gone before {before}: {}",
                count(vanished.len(), "process", "processes"),
                some_pids(&vanished)
            )
        });
        1
    } else if !denied.is_empty() || unmatched_code == 3 {
        3
    } else if !all_gone {
        4
    } else {
        0
    };
    if !denied.is_empty() && code == 3 {
        say.error(&format!(
            "permission denied for {}: {}",
            count(denied.len(), "process", "processes"),
            some_pids(&denied)
        ));
    }
    if !all_gone && code != 1 {
        let survived = with(Outcome::Survived);
        let after = args
            .timeout
            .map_or_else(String::new, |timeout| format!(" after {timeout:?}"));
        if survived.is_empty() {
            say.error(&format!("the targets were not empty{after}"));
        } else {
            say.error(&format!(
                "{} still alive{after}: {}",
                count(survived.len(), "process", "processes"),
                some_pids(&survived)
            ));
        }
    }
    Ok(write_report(&report, code, say))
}

/// `1 process`, `3 processes`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The first few pids, and how many more: `12, 13, 14, 15, 16 and 3 more`.
fn some_pids(pids: &[Pid]) -> String {
    const SHOWN: usize = 5;
    let shown: Vec<String> = pids.iter().take(SHOWN).map(Pid::to_string).collect();
    match pids.len().saturating_sub(SHOWN) {
        0 => shown.join(", "),
        rest => format!("{} and {rest} more", shown.join(", ")),
    }
}

/// The exit status when the report could not be written (`--json`, the
/// dry run's table, `-l`): the signals, if any, were sent all the same.
const UNWRITTEN: i32 = 5;

/// Writes the report on stdout; returns `code`, or [`UNWRITTEN`] when it
/// could not be written. A reader that went away (`pgkill --json | head`)
/// is no failure: the code stays.
fn write_report(report: &[u8], code: i32, say: Say) -> i32 {
    let written = {
        let mut out = io::stdout().lock();
        out.write_all(report).and_then(|()| out.flush())
    };
    match written {
        Ok(()) => code,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => code,
        Err(error) => {
            say.error(&format!("cannot write output: {error}"));
            UNWRITTEN
        }
    }
}

/// The targets that matched no process, in one line: the kernel knows a
/// target /proc does not show (mounted with hidepid) as having no visible
/// process, not as missing.
fn describe_unmatched(unmatched: &[Target], named: &[(Target, Option<u64>)]) -> String {
    const SHOWN: usize = 3;
    let describe = |target: &Target| {
        let ino = named
            .iter()
            .find(|(t, _)| t == target)
            .and_then(|(_, ino)| *ino);
        if let Some(ino) = ino {
            let whose = match target {
                Target::Pid(_) => "it is gone, or its PID names another process now".to_string(),
                _ => format!(
                    "its leader {} is gone, or is another process now, or left it",
                    target.leader()
                ),
            };
            format!("no {target} with inode {ino}: {whose}")
        } else if target.is_hidden() {
            format!("no visible process in {target}")
        } else {
            format!("no such {target}")
        }
    };
    let [only] = unmatched else {
        let shown: Vec<String> = unmatched.iter().take(SHOWN).map(describe).collect();
        let rest = unmatched.len().saturating_sub(SHOWN);
        let more = if rest > 0 {
            format!(", and {rest} more")
        } else {
            String::new()
        };
        return format!(
            "{} targets matched nothing: {}{more}",
            unmatched.len(),
            shown.join(", ")
        );
    };
    describe(only)
}

/// `-l`: the table, or one signal translated like kill -l.
fn list(which: Option<&str>) -> Result<i32, Failure> {
    let mut out = Vec::new();
    match which {
        None => {
            for signal in Signal::all() {
                writeln!(
                    out,
                    "{:>2} {:<10} {}",
                    signal.number(),
                    signal.name(),
                    signal.description()
                )?;
            }
        }
        Some(text) => {
            let number: Option<i32> = text.parse().ok();
            match number {
                // An exit status 128+N names signal N, as in kill -l 137.
                Some(n) if n > 128 => {
                    let signal = Signal::from_number(n - 128)
                        .ok_or_else(|| Failure::usage(format!("unknown signal '{text}'")))?;
                    writeln!(out, "{}", signal.name())?;
                }
                // Signal 0 checks and sends nothing: no signal to name.
                Some(0) => {
                    return Err(Failure::usage(
                        "0 is no signal: pgkill -0 only checks that a target exists and may be signalled",
                    ))
                }
                Some(_) => {
                    let signal: Signal = text
                        .parse()
                        .map_err(|e: procgroup::Error| Failure::usage(e.to_string()))?;
                    writeln!(out, "{}", signal.name())?;
                }
                None => {
                    let signal: Signal = text
                        .parse()
                        .map_err(|e: procgroup::Error| Failure::usage(e.to_string()))?;
                    writeln!(out, "{}", signal.number())?;
                }
            }
        }
    }
    Ok(write_report(&out, 0, Say { quiet: false }))
}

/// The dry run: sessions, their groups, their processes.
fn write_dry_run(out: &mut impl Write, plan: &Plan, signal: Signal) -> io::Result<()> {
    let processes = plan.processes();
    if processes.is_empty() {
        return Ok(());
    }
    if signal.is_probe() {
        writeln!(out, "would check {} process(es):", processes.len())?;
    } else {
        writeln!(
            out,
            "would send {signal} to {} process(es):",
            processes.len()
        )?;
    }
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header(["session", "group", "pid", "comm"]);
    let mut previous: Option<&Process> = None;
    for process in processes {
        let new_session = previous.is_none_or(|p| p.sid != process.sid);
        let new_group = new_session || previous.is_some_and(|p| p.pgid != process.pgid);
        table.add_row([
            if new_session {
                process.sid.to_string()
            } else {
                String::new()
            },
            if new_group {
                process.pgid.to_string()
            } else {
                String::new()
            },
            process.pid.to_string(),
            escape(&process.comm, false),
        ]);
        previous = Some(process);
    }
    writeln!(out, "{table}")
}

/// The processes of a plan's sealed sessions that left them: in a
/// session's members only because they are in its leaf.
fn escapees(plan: &Plan) -> Vec<Pid> {
    plan.targets()
        .filter_map(|(target, members)| match target {
            Target::Sid(sid) => Some(members.iter().filter(move |p| p.sid != sid)),
            _ => None,
        })
        .flatten()
        .map(|p| p.pid)
        .collect()
}

/// The JSON report. `waiting`: each process also gets `exit` and
/// `escalated`.
fn write_json<'a>(
    out: &mut impl Write,
    signal: Signal,
    processes: impl Iterator<Item = (&'a Process, Option<&'a Entry>, bool)>,
    plan: &Plan,
    named: &[(Target, Option<u64>)],
    waiting: bool,
    dry_run: bool,
) -> io::Result<()> {
    write!(
        out,
        "{{\"signal\":\"{}\",\"number\":{},\"dry_run\":{dry_run},\"processes\":[",
        signal.name(),
        signal.number()
    )?;
    for (i, (process, entry, escaped)) in processes.enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(b"\n")?;
        write_process_json(out, process, entry, waiting, escaped)?;
    }
    out.write_all(b"],\"unmatched\":[")?;
    for (i, target) in plan.unmatched().enumerate() {
        let (kind, id) = match target {
            Target::Pid(pid) => ("pid", pid.as_raw()),
            Target::Pgid(pgid) => ("pgid", pgid.as_raw()),
            Target::Sid(sid) => ("sid", sid.as_raw()),
        };
        if i > 0 {
            out.write_all(b",")?;
        }
        write!(out, "{{\"{kind}\":{id}")?;
        if let Some(ino) = named
            .iter()
            .find(|(t, _)| *t == target)
            .and_then(|(_, ino)| *ino)
        {
            write!(out, ",\"ino\":{ino}")?;
        }
        out.write_all(b"}")?;
    }
    out.write_all(b"]}\n")
}

/// `-v` after waiting: how a process that exited ended.
fn say_how_it_ended(entry: &Entry) {
    if entry.outcome != Outcome::Exited {
        return;
    }
    let how = match entry.death() {
        Some(Death::Known(exit)) => exit.to_string(),
        Some(Death::NotReaped) => "exited, not reaped yet".to_string(),
        _ => "exited (how: the kernel does not tell)".to_string(),
    };
    let escalated = if entry.escalated() {
        ", after SIGKILL from --kill-after"
    } else {
        ""
    };
    let process = &entry.process;
    let _ = stderr_line(&format!(
        "pgkill: {} ({}) {how}{escalated}",
        process.pid,
        escape(&process.comm, false),
    ));
}

/// The man page's sections beyond the options.
pub const MAN_SECTIONS: &[(&str, &str)] = &[
    (
        "TARGETS",
        r#"
A target is typed; a bare number is refused, and so is kill's \fB\-\fR\fIN\fR
(a group to kill(1)), because a session and a group are different things:
.TP
\fB\-\-pid\fR \fIPID\fR
one process. pgkill opens a pidfd for it first and reads the process table
after, so that what it reports is the process the pidfd holds, and signals
through the pidfd: a PID that was reused meanwhile is never hit.
.TP
\fB\-\-pid\fR \fIPID\fR\fB:\fR\fIINO\fR, \fB\-\-pgid\fR \fIPGID\fR\fB:\fR\fIINO\fR, \fB\-\-sid\fR \fISID\fR\fB:\fR\fIINO\fR
the same, only if the process with that pid (the group's or session's
leader) has the pidfs inode \fIINO\fR (Linux 6.9 or later), a number the
kernel never gives to another process while the system runs:
\fBpgtree \-o pid,ino\fR, \fBsetsid\-run \-\-print pid:ino\fR and
util\-linux \fBgetino\fR show it. The leader is pinned with a pidfd and
checked before anything else is read; where it is gone, or its pid names
another process now, or it no longer leads that group or session, the
target matches nothing (exit 1, one line: "no process 42 with inode
4711: ..."). Before Linux 6.9 an inode cannot be checked: usage error (exit 2).
With a selection, an inode is refused (it names a target, not a
restriction).
.TP
\fB\-\-pgid\fR \fIPGID\fR
the whole group, with one \fBkill(\-\fR\fIPGID\fR\fB)\fR, which the kernel
applies to every member at once. Where the leader (pid \fIPGID\fR) is
alive (or a zombie) and pinned, the group is signalled through the
leader's pidfd with \fBPIDFD_SIGNAL_PROCESS_GROUP\fR (Linux 6.9 or
later): the same kernel operation on the group that process founded,
found by the kernel's handle on it rather than by number, so that no
reuse of the number can redirect it. Where the leader is gone (or the
kernel is older), the number is used, under the proof described below.
Unless \fB\-n\fR, \fB\-\-json\fR,
\fB\-v\fR or \fB\-0\fR asks for the members first, pgkill reads no
process table before the kill, as \fBkill\fR(1) does: the leader (pid
\fIPGID\fR), pinned with a pidfd and found in the group, proves that the
group is the one named, and a few more members are pinned the same way
(the leader's children and its parent's); the refusal rules below read
only the stat files of pgkill, its ancestors and pid 1; the members are
found after the kill, by one scan of /proc. Where the leader is gone (or
has left the group), only the members can prove it: pgkill then scans
/proc before the kill, as with \fB\-\-json\fR, and reports the same.
.TP
\fB\-\-sid\fR \fISID\fR
every group of the session. There is no kernel call for a session, and
\fBkill \-\- \-\fR\fISID\fR only reaches the leader's group. pgkill
signals every group and rescans until a rescan finds no new group. For a
terminating signal, SIGKILL included, it first freezes the session, so
that nothing can fork away, then signals its groups and lets it go.
.PP
A session that \fBsetsid\-run \-\-seal\fR started is sealed: its
cgroup v2 leaf \fBsetsid\-run\-\fR\fISID\fR holds every process of the
job, those that called \fBsetsid\fR(2) or double\-forked away included.
pgkill finds the leaf through the cgroup of a member (or, when the session
has no member left, by its name in the cgroup tree) and acts on the leaf
instead: it freezes it (\fBcgroup.freeze\fR, which nobody sees), signals
each process in it (and in the cgroups below it: a job sealed inside the
job) through a pidfd, thaws it. SIGKILL, given or after
\fB\-\-kill\-after\fR, is one write to \fBcgroup.kill\fR, with no
freeze. A freeze outlives whoever made it, so pgkill first forks a
watcher that thaws the leaf if pgkill dies before it does (SIGKILL
included). A leaf that holds pgkill itself (\fB\-\-force\fR), or that
pgkill may not write (another user's), is not frozen: its members are
signalled as they run, each by the kernel's rule, pgkill last. While it
waits, a process that appears in the leaf (one forked in a handler of the
signal) gets the signal too; waiting ends when
\fBcgroup.events\fR says \fBpopulated 0\fR, and pgkill then removes the
leaf. The processes that had left the session are listed with it
(\fB\-n\fR) and reported \fBescaped\fR (\fB\-\-json\fR,
\fB\-v\fR).
.TP
\fB\-\-cgroup\fR \fIPATH\fR
every process of a cgroup v2 leaf, the same way: \fIPATH\fR in the
cgroup2 mount (\fI/sys/fs/cgroup/…\fR), or as \fI/proc/PID/cgroup\fR
shows it (\fI/user.slice/…\fR). The refusals apply to its members; the
root cgroup is refused.
.PP
The freeze is invisible: every thread of the session is seized and
interrupted with \fBptrace\fR(2) (PTRACE_SEIZE, PTRACE_INTERRUPT, with
the options that freeze a child forked meanwhile too), the way CRIU
freezes a tree. Only pgkill hears of it: the victims' shells print
nothing, a foreground job keeps its terminal and, if it survives, goes on
running, a stopped job stays stopped. The signals sent meanwhile are
delivered when the threads are let go. Should pgkill die in the middle,
even of SIGKILL, the kernel lets every thread go. A thread that the kernel
holds where no freeze reaches (a vfork parent whose child left the session
and never execs, a thread stuck in an uninterruptible wait) is waited for
1 second at most, then left seized: the kernel lets it go when pgkill
exits, and with \fB\-\-wait\fR pgkill lets it go as soon as it stops.
Either way it takes its signal when it runs again.
.PP
Where the kernel refuses to let pgkill trace a process it may signal
(another tracer such as gdb or strace, Yama's ptrace_scope, a process that
is not dumpable), nothing stays seized and the session is stopped with
SIGSTOP instead, which its shells see; \fB\-\-verbose\fR says so. Then
parents' groups are stopped first, the signal is sent once every process
has stopped, and children's groups get it, and are continued, first: a
group left stopped after its parent died would be orphaned, and the
kernel would send it SIGHUP instead of the signal asked for. Every signal
that can be blocked is blocked meanwhile; a pgkill killed with SIGKILL in
this mode leaves stopped what it had stopped (\fBpgkill \-CONT \-\-sid\fR
\fISID\fR continues them).
.PP
A stopped target (a job stopped with Ctrl\-Z), of any kind, keeps a
signal pending until it is continued. After SIGTERM or SIGHUP, pgkill
continues the stopped targets that do not ignore it (\fBSigIgn\fR in
/proc/\fIPID\fR/status), so that it takes effect, as bash's \fBkill\fR does
for a job; those that ignore it stay stopped. Other signals (INT, USR1
and the like) stay pending until the target is continued, as at the
shell; SIGKILL ends a stopped process by itself.
.PP
A group or session id is signalled by number only while pgkill can prove
that it is still the one it resolved: a member verified in it (its pidfd
opened first, its /proc entry read after) is still held by the pidfd, not
reaped, and still in it; or the group of a leader verified in it (of the
group, or of one of the session's groups) still has a member, which the
kernel tells through the leader's pidfd after the leader is reaped too
(Linux 6.9's \fBPIDFD_SIGNAL_PROCESS_GROUP\fR with signal 0: it means that
very group, never a later one of the same number). An id that was empty
once may belong to a stranger by now (a process that got the leader's
PID and made a group or session of its own): it is never signalled,
waited for or reported again, neither by \fB\-\-kill\-after\fR nor when pgkill looks for newcomers.
The members that the scan after a \fB\-\-pgid\fR kill finds count only
if a process pinned before the kill is still in the group after the scan.
One that started in the clock tick of the kill or later may have missed
the signal: it gets it through a pidfd, as a newcomer does (one born just
before the kill may get it twice).
.PP
\fBkill(\-\fR\fIPGID\fR\fB)\fR succeeds when the kernel let any member
have the signal. pgkill reports each member by the kernel's own rule (the
caller's real or effective uid against the member's real or saved uid,
or CAP_KILL; SIGCONT within the caller's session): another user's member
is \fBpermission\-denied\fR, the exit status is 3, and waiting does not
wait for it.
.PP
Targets that match no process are reported in one line, with their
count. A target the kernel knows but /proc does not show (a /proc mounted
with \fBhidepid\fR) is reported as having no visible process, not as
missing.
.PP
A target that contains pgkill itself, one of its ancestors (the calling
shell), or pid 1 (the init of the system or of a container, also when
pgkill was entered from outside, as with \fBnsenter\fR or \fBdocker exec\fR)
is refused unless \fB\-\-force\fR is given. pgkill never calls
kill(2) with 0 or \-1. Kernel threads and ids reported as 0 are never
targets.
"#,
    ),
    (
        "SELECTION",
        r#"
Instead of, or with, typed targets, pgkill selects processes the way
\fBpkill\fR(1) and \fBpgtree\fR(1) do, with the same options and the same
code as pgtree: different kinds AND together, values of one kind OR
together.
.TP
\fIPATTERN\fR
a regular expression matched against the name (comm); \fB\-f\fR against
the whole command line, \fB\-x\fR the whole name or line, \fB\-i\fR in
any case. It never matches pgkill itself.
.TP
\fB\-u\fR, \fB\-t\fR, \fB\-P\fR, \fB\-\-orphaned\fR
only processes of these users (real uid), on these terminals (\fB?\fR for
none), children of these processes, members of orphaned groups.
.TP
\fB\-\-inverse\fR
the processes that do \fInot\fR match the pattern and the options above
(pkill's \fB\-v\fR; never pgkill itself).
.TP
\fB\-\-pid\fR, \fB\-\-pgid\fR, \fB\-\-sid\fR
with a selection, they restrict it (AND), as in pgtree: \fBpgkill \-f
serve \-\-sid 42\fR is the processes of session 42 whose command line
matches; \fB\-\-inverse\fR does not invert them.
.PP
What a match stands for is \fB\-\-expand\fR's:
.TP
(none)
each matching process, signalled through a pidfd, as \fB\-\-pid\fR.
.TP
\fB\-\-expand group\fR
the whole group of each, once per group, as \fB\-\-pgid\fR.
.TP
\fB\-\-expand session\fR
the whole session of each, as \fB\-\-sid\fR (stopped first, rescanned).
.PP
A match whose group or session reads 0 (it lies outside the PID
namespace) stands for itself. \fBpgkill \-n \-\-json\fR names exactly the
processes that \fBpgtree \-\-json\fR with the same options shows, zombies
included. Kernel threads are never selected.
.PP
A selection needs a \fIPATTERN\fR or a typed target: \fB\-u\fR,
\fB\-t\fR, \fB\-P\fR, \fB\-\-orphaned\fR, \fB\-\-inverse\fR and
\fB\-\-expand\fR alone are refused ("no target"), so that pgkill never
signals everything; say \fB.\fR for any name. A selection that matches
pgkill, one of its ancestors or pid 1 is refused like a target that
contains them.
.PP
The selection is matched on one read of the process table; each process
it chose is then pinned with a pidfd and read again. One that exited, or
whose pid now names another process (another start time or name), is not
matched: a warning says so (\fBpgkill: warning: 1 matching process
exited before it could be signalled: 4242\fR), and the exit status is 1
only when nothing is left ("no process matched").
"#,
    ),
    (
        "PKILL USERS",
        r#"
The selection letters are pkill's: \fB\-f\fR, \fB\-x\fR, \fB\-i\fR,
\fB\-u\fR, \fB\-t\fR, \fB\-P\fR, and \fB\-g\fR and \fB\-s\fR for a group
and a session (which pgkill signals whole when given alone). Some letters
mean something else, and do no harm in a hand used to pkill:
.TP
\fB\-n\fR
pkill: only the newest process. pgkill: \fB\-\-dry\-run\fR, signals nothing.
.TP
\fB\-v\fR
pkill: negate the match. pgkill: \fB\-\-verbose\fR. Negation, which can
reach every process, has a long name only: \fB\-\-inverse\fR.
.TP
\fB\-e\fR
pkill: echo what is killed. pgkill has no \fB\-e\fR: its \fB\-v\fR does that.
.TP
\fB\-u\fR
pkill: the effective uid. pgkill: the real uid (pgrep's \fB\-U\fR).
.TP
\fB\-o\fR, \fB\-c\fR, \fB\-F\fR, \fB\-G\fR, \fB\-O\fR, \fB\-r\fR
not in pgkill (an error).
.PP
\fBpkill \-f serve.py\fR becomes \fBpgkill \-f 'serve\e.py'\fR, and
\fBpgkill \-f 'serve\e.py' \-\-expand group\fR also reaches what each
server started in its group.
"#,
    ),
    (
        "SIGNAL 0",
        r#"
\fB\-0\fR (or \fB\-\-signal 0\fR; \fB0\fR only, not \fBSIG0\fR) is
kill's null signal: pgkill sends nothing and asks the kernel whether each
target exists and may be signalled, for any kind of target and for a
selection (\fBpgkill \-0 \-\-pid\fR \fIPID\fR is \fBkill \-0\fR \fIPID\fR
without the reused-PID risk). Nothing is stopped. Exit status 0: every
target exists and may be signalled; 1: none exists; 3: some may not be
signalled (or some do not exist). In \fB\-\-json\fR the signal is
\fB"0"\fR, number 0, and \fBsignalled\fR means "exists and may be
signalled": nothing was sent. A zombie exists, as for kill. With
\fB\-\-wait\fR pgkill waits, sending nothing, until the targets have exited.
\fBpgkill \-l\fR does not list 0.
"#,
    ),
    (
        "DIAGNOSTICS",
        r#"
Every failure is one line on standard error: \fBpgkill: error:\fR
\fIwhat\fR, or \fBpgkill: warning:\fR when the exit status is still 0.
.TP
\fBno such process 42\fR, \fB3 targets matched nothing: ...\fR
typed targets that matched no process (exit 1 or 3).
.TP
\fBno process matched\fR
a selection matched nothing (exit 1).
.TP
\fBpermission denied for 2 processes: 812, 813\fR
how many could not be signalled, and the first five pids (exit 3).
.TP
\fB3 processes still alive after 5s: 901, 902, 903\fR
survivors of \fB\-\-timeout\fR, how many and which (exit 4).
.TP
\fB1 process gone before the signal: 77\fR
every target exited between its resolution and the signal (exit 1).
.PP
\fB\-q\fR, \fB\-\-quiet\fR silences every line but those of exit status
2 (usage errors and refusals). \fB\-v\fR adds a line per process.
A number where a target goes is refused with a hint, also after
\fB\-\-\fR: \fBpgkill \-\- \-128\fR says \fB\-\-pgid 128\fR, as
\fBpgkill \-128\fR does.
"#,
    ),
    (
        "WAITING",
        r#"
With \fB\-\-wait\fR, \fB\-\-timeout\fR or \fB\-\-kill\-after\fR pgkill waits
on a pidfd per process (a zombie has exited; a process whose PID was reused
has exited too), and until the targeted groups and sessions have no live
member: processes that joined them after the signal (a child that a
member starts in its handler of the signal, say) get it as well, as
long as the group or session is proven to be the one targeted (see
above): while processes it signalled are alive, pgkill looks for them
soon after the signal, then less often (up to every 250 ms), and signals
each through a pidfd, never those signalled already; once they are gone,
it looks again. A late joiner is reported like any member. One that runs a new program after its signal (a shell's child
that took the signal with the shell's trap before its exec) is signalled
again, once. A process that joined between pgkill's list and the signal
may get it twice.
\fB\-\-kill\-after\fR sends SIGKILL to whatever is alive then.
.PP
With \fB\-\-json\fR or \fB\-v\fR, waiting also tells how each process
ended, whoever its parent is (a death certificate): pgkill holds a pidfd
of each process from before its signal, and, once the process has been
reaped by its parent, asks the kernel (\fBPIDFD_GET_INFO\fR with
\fBPIDFD_INFO_EXIT\fR, Linux 6.15 or later) for its exit status. The
kernel tells it only after the reaping: pgkill gives the parents up to
0.1 seconds after the last exit; a zombie nobody has reaped by then is
reported as exited, "not reaped yet" (\fB\-v\fR), with \fBexit\fR
\fBnull\fR. Before Linux 6.15 \fBexit\fR is always \fBnull\fR.
\fB\-v\fR prints a line per process that exited: \fBpgkill: 4242 (sh)
exit code 3\fR, \fBkilled by SIGKILL, after SIGKILL from
\-\-kill\-after\fR, \fBkilled by SIGSEGV (core dumped)\fR.
"#,
    ),
    (
        "JSON KEYS",
        r#"
\fB\-\-json\fR prints one object:
.TP
\fBsignal\fR, \fBnumber\fR
the signal's name without SIG, and its number; \fB"0"\fR and 0 for
signal 0.
.TP
\fBdry_run\fR
true with \fB\-\-dry\-run\fR.
.TP
\fBprocesses\fR
an array of objects with \fBpid\fR, \fBino\fR (the pidfs inode, Linux
6.9 or later, or \fBnull\fR; for a process gone before it could be
read, \fBnull\fR), \fBpgid\fR, \fBsid\fR, \fBcomm\fR and
(not in a dry run) \fBoutcome\fR: \fBsignalled\fR (with signal 0: exists
and may be signalled), \fBexited\fR (gone while
waiting), \fBsurvived\fR (alive when waiting ended), \fBpermission\-denied\fR,
or \fBvanished\fR (gone, or its PID reused, before the signal); and
\fBescaped\fR, true, for a process of a sealed session that had left it
and was reached through the session's leaf (absent otherwise). With
waiting, also \fBexit\fR: \fB{"code":\fR\fIN\fR\fB}\fR,
\fB{"signal":\fR\fIN\fR\fB,"core":\fR\fIbool\fR\fB}\fR, or
\fBnull\fR (it did not exit, or not reaped yet, or the kernel does not
tell: before Linux 6.15; see \fBWAITING\fR), and \fBescalated\fR,
\fBtrue\fR when \fB\-\-kill\-after\fR sent it SIGKILL.
.TP
\fBunmatched\fR
the targets that matched no live process, as objects like {"pgid":42}
(with \fB"ino"\fR when the target was named with one).
"#,
    ),
    (
        "EXIT STATUS",
        r#"
.TP
\fB0\fR
every target existed and was signalled (with waiting: and is gone); with
signal 0, every target exists and may be signalled.
.TP
\fB1\fR
none of the targets matched a live process; a selection matched nothing.
.TP
\fB2\fR
usage error (no target: no \fIPATTERN\fR, \fB\-\-pid\fR, \fB\-\-pgid\fR
or \fB\-\-sid\fR), or a target refused because it contains pgkill, an
ancestor or pid 1.
.TP
\fB3\fR
some processes could not be signalled (permission), or some targets matched
and others did not.
.TP
\fB4\fR
waiting ended (\fB\-\-timeout\fR) with survivors.
.TP
\fB5\fR
the signals were sent, but the report (\fB\-\-json\fR, the dry run's
table, \fB\-l\fR) could not be written. A reader that went away (a closed
pipe) is not a failure: the status is the delivery's. Lines of
\fB\-\-verbose\fR that cannot be written change nothing.
"#,
    ),
    (
        "ENVIRONMENT",
        r#"
.TP
\fBNO_COLOR\fR
pgkill writes no color, with or without it.
.TP
\fBPROCGROUP_NO_PIDFS\fR, \fBPROCGROUP_NO_PIDFD_INFO\fR
test hooks: set to 1, pgkill (and pgtree, setsid\-run) behave as on a
kernel without pidfs inodes and group signals through a pidfd (before
6.9), or without exit information (before 6.15). Not for other use.
.TP
\fBPROCGROUP_NO_CGROUP_KILL\fR
test hook: set to 1, pgkill (and setsid\-run) behave as on a kernel
without \fBcgroup.kill\fR (before 5.14): SIGKILL to a sealed leaf goes to
each member of the frozen leaf. Not for other use.
"#,
    ),
    (
        "EXAMPLES",
        r#"
A group, and a whole session: \fB\-\-pgid\fR is what \fBkill \-\- \-42\fR
does; \fB\-\-sid\fR also reaches the session's other groups (background jobs,
pipelines started by the leader):
.PP
.RS
.nf
pgkill \-\-pgid 4242
pgkill \-\-sid 4242
.fi
.RE
.PP
See first what a session kill would hit:
.PP
.RS
.nf
pgkill \-n \-\-sid 4242
.fi
.RE
.PP
End a job's session and wait until it is empty, with SIGKILL for what is
still there after two seconds:
.PP
.RS
.nf
pgkill \-\-sid "$sid" \-\-wait \-k 2s
.fi
.RE
.PP
kill's habits work: a signal as the first argument, and \fB\-l\fR:
.PP
.RS
.nf
pgkill \-HUP \-\-pid 1234
pgkill \-9 \-g 42
pgkill \-l 137        # KILL: the status of a process killed by signal 9
.fi
.RE
.PP
pkill's selection, race-free: every process whose command line matches,
through a pidfd; or the whole group of each; see first what it would hit:
.PP
.RS
.nf
pgkill \-f 'serve\e.py'
pgkill \-f 'serve\e.py' \-\-expand group
pgkill \-n \-f 'serve\e.py' \-\-expand session
pgkill \-HUP \-x nginx \-u www\-data
.fi
.RE
.PP
Is it alive, and may I signal it? (kill \-0, without the reused-PID risk):
.PP
.RS
.nf
if pgkill \-0 \-q \-\-pid "$pid"; then echo running; fi
pgkill \-0 \-\-sid "$sid" \-\-wait      # wait until the session is empty
.fi
.RE
"#,
    ),
    (
        "SEE ALSO",
        r#"
\fBkill\fR(1), \fBpgtree\fR(1), \fBpkill\fR(1), \fBps\fR(1), \fBsetsid\fR(1),
\fBsetsid\-run\fR(1), \fBkill\fR(2), \fBpidfd_open\fR(2), \fBcredentials\fR(7)
"#,
    ),
];
