//! `pgtree`: see processes by session and process group.

use std::io::{self, Write};

use clap::{Args as _, Parser};
use procgroup::select::{Expand, Pick};
use procgroup::{Forest, Pgid, Pid, Process, Selection, Sid, Snapshot};

use crate::common::{
    core, escape, main_with, utf8_locale, ColorWhen, ExpandArg, Failure, Paint, SelectArgs,
};

mod rows;
mod tree;
mod watch;

use rows::{Column, DEFAULT_COLUMNS};
use tree::Look;

/// See processes by session and process group.
#[derive(Parser, Debug)]
#[command(
    name = "pgtree",
    version,
    about = "See processes by session and process group",
    long_about = "See processes by session and process group.\n\n\
        Shows every process (or those selected) as a forest: sessions, under each \
        session its process groups, under each group its processes nested by parent. \
        Selection works like pgrep: different kinds of criteria AND together, values \
        of one kind OR together. --table, --plain and --json print one row per process \
        instead, ordered by session, group and pid.",
    after_long_help = tree::legend_help(),
    after_help = "Exit status: 0 something shown, 1 nothing matched (or the output \
        could not be written), 2 usage error, 3 the process table could not be read."
)]
pub struct Args {
    #[command(flatten)]
    select: SelectArgs,

    /// Only these processes (comma list, repeatable)
    #[arg(short = 'p', long = "pid", value_name = "PID", value_delimiter = ',',
          value_parser = core(|text| text.parse::<Pid>()),
          allow_negative_numbers = true)]
    pids: Vec<Pid>,

    /// Only these process groups; `self` is pgtree's own group
    #[arg(short = 'g', long = "pgid", value_name = "PGID", value_delimiter = ',',
          value_parser = core(Pgid::parse_or_self),
          allow_negative_numbers = true)]
    pgids: Vec<Pgid>,

    /// Only these sessions; `self` is pgtree's own session
    #[arg(short = 's', long = "sid", value_name = "SID", value_delimiter = ',',
          value_parser = core(Sid::parse_or_self),
          allow_negative_numbers = true)]
    sids: Vec<Sid>,

    /// Show the processes that do not match PATTERN, -u, -t, -P, --orphaned, -F, -r, --env (-p, -g, -s still restrict)
    #[arg(short = 'v', long)]
    inverse: bool,

    /// Only the most recently started of the matches
    #[arg(short = 'n', long)]
    newest: bool,

    /// Show the whole group or session of every matched process
    #[arg(long, value_enum, value_name = "WHAT")]
    expand: Option<ExpandArg>,

    /// Include kernel threads
    #[arg(short = 'k', long)]
    kernel: bool,

    #[command(flatten)]
    format: FormatArgs,

    /// Redraw the tree in place every INTERVAL (default 1s) on a terminal, marking what is new and what has gone; q quits
    #[arg(long, value_name = "INTERVAL", num_args = 0..=1, default_missing_value = "1s",
          value_parser = watch::interval,
          conflicts_with_all = ["table", "plain", "json", "columns"])]
    watch: Option<std::time::Duration>,

    /// Columns for --table, --plain and --json (comma list)
    #[arg(
        short = 'o',
        long = "columns",
        value_name = "LIST",
        value_enum,
        value_delimiter = ',',
        conflicts_with = "tree"
    )]
    columns: Vec<Column>,

    /// Omit the header row of --table and --plain
    #[arg(long)]
    no_headers: bool,

    /// Show ids as PID:INO (pidfs inode, Linux 6.9+) in the tree (a group's or session's: its leader's) and in -l, -a, -d
    #[arg(long, conflicts_with_all = ["watch", "count", "quiet"])]
    ino: bool,

    /// When to color the tree
    #[arg(long, value_enum, value_name = "WHEN", default_value_t)]
    color: ColorWhen,

    #[command(flatten)]
    list: ListArgs,
}

/// pgrep's output forms: a count, or a list of pids.
#[derive(clap::Args, Debug)]
struct ListArgs {
    /// Print how many processes are selected, as pgrep -c
    #[arg(short = 'c', long, conflicts_with_all = FORMS)]
    count: bool,
    /// List each selected process as its pid and name, as pgrep -l
    #[arg(short = 'l', long, conflicts_with_all = FORMS)]
    list_name: bool,
    /// List each selected process as its pid and command line, as pgrep -a
    #[arg(short = 'a', long, conflicts_with_all = FORMS, conflicts_with = "list_name")]
    list_full: bool,
    /// List the selected pids separated by DELIM (default: a newline), as pgrep -d
    #[arg(short = 'd', long, value_name = "DELIM", conflicts_with_all = FORMS)]
    delimiter: Option<String>,
    /// Print nothing: only the exit status says whether anything is selected
    #[arg(short = 'q', long, conflicts_with_all = FORMS)]
    quiet: bool,
}

/// What pgrep's output forms exclude.
const FORMS: [&str; 6] = ["tree", "table", "plain", "json", "columns", "watch"];

/// The output forms; at most one.
#[derive(clap::Args, Debug)]
#[group(multiple = false)]
struct FormatArgs {
    /// Sessions, groups and processes as a tree (the default)
    #[arg(long)]
    tree: bool,
    /// A table with a header row (the default with -o)
    #[arg(long)]
    table: bool,
    /// Columns separated by one space; fields never contain whitespace
    #[arg(long)]
    plain: bool,
    /// A JSON array with one object per process
    #[arg(long)]
    json: bool,
}

/// The clap definition, for the generator.
pub fn command() -> clap::Command {
    Args::augment_args(clap::Command::new("pgtree"))
}

pub fn main() -> i32 {
    main_with("pgtree", run)
}

enum Format {
    Tree,
    Table,
    Plain,
    Json,
}

fn run(args: Args) -> Result<i32, Failure> {
    let selection = args.select.selection(Selection {
        pids: args.pids,
        pgids: args.pgids,
        sids: args.sids,
        inverse: args.inverse,
        pick: args.newest.then_some(Pick::Newest),
        expand: args.expand.map(Expand::from),
        kernel: args.kernel,
        ..Selection::default()
    })?;
    if let Some(interval) = args.watch {
        return watch::run(&selection, interval, args.color);
    }
    let format = match &args.format {
        FormatArgs { table: true, .. } => Format::Table,
        FormatArgs { plain: true, .. } => Format::Plain,
        FormatArgs { json: true, .. } => Format::Json,
        FormatArgs { tree: true, .. } => Format::Tree,
        _ if !args.columns.is_empty() => Format::Table,
        _ => Format::Tree,
    };
    let columns = if args.columns.is_empty() {
        DEFAULT_COLUMNS.to_vec()
    } else {
        args.columns
    };
    // A JSON object cannot hold a key twice; no form needs a column twice.
    if let Some(twice) = columns
        .iter()
        .enumerate()
        .find(|(i, c)| columns[..*i].contains(c))
    {
        return Err(Failure::usage(format!(
            "column '{}' is given twice",
            twice.1.name()
        )));
    }
    let mut fields = selection.fields();
    // Sealed sessions and their escapees are shown in every form.
    fields.seals = true;
    if !matches!(format, Format::Tree) {
        let shown = rows::fields_for(&columns);
        fields.args |= shown.args;
        fields.uid |= shown.uid;
        fields.cgroup |= shown.cgroup;
        fields.ino |= shown.ino;
    }
    fields.ino |= args.ino;
    fields.args |= args.list.list_full;
    let snapshot = Snapshot::read(fields).map_err(|error| Failure::new(3, error.to_string()))?;
    let selected = selection.select(&snapshot);
    if selected.is_empty() {
        if let Some(warning) = args.select.too_long_warning("pgtree") {
            let _ = crate::common::stderr_line(&warning);
        }
    }
    if let Some(code) = list(&args.list, &selected, args.ino)? {
        return Ok(code);
    }
    let forest = Forest::of(&snapshot, selected);
    let rows: Vec<&Process> = forest.processes().collect();

    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let look = Look {
        paint: Paint {
            enabled: args.color.enabled(),
        },
        unicode: utf8_locale(),
        ino: args.ino,
    };
    match format {
        Format::Tree => tree::render(&mut out, &forest, look, &|_| None)?,
        Format::Table => rows::table(&mut out, &rows, &columns, !args.no_headers, look.unicode)?,
        Format::Plain => rows::plain(&mut out, &rows, &columns, !args.no_headers)?,
        Format::Json => rows::json(&mut out, &rows, &columns)?,
    }
    out.flush()?;
    Ok(if rows.is_empty() { 1 } else { 0 })
}

/// pgrep's output forms (`-c`, `-l`, `-a`, `-d`, `-q`), in pid order;
/// the exit status when one was asked for.
fn list(args: &ListArgs, selected: &[&Process], ino: bool) -> Result<Option<i32>, Failure> {
    // As pgrep, never pgtree itself.
    let me = Pid::current();
    let selected: Vec<&Process> = selected.iter().copied().filter(|p| p.pid != me).collect();
    let status = if selected.is_empty() { 1 } else { 0 };
    if args.quiet {
        return Ok(Some(status));
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    if args.count {
        writeln!(out, "{}", selected.len())?;
    } else if args.list_name || args.list_full || args.delimiter.is_some() {
        let delimiter = args.delimiter.as_deref().unwrap_or("\n");
        for (i, process) in selected.iter().enumerate() {
            if i > 0 {
                out.write_all(delimiter.as_bytes())?;
            }
            write!(out, "{}", process.pid)?;
            if let (true, Some(ino)) = (ino, process.ino) {
                write!(out, ":{ino}")?;
            }
            // -a: the command line; the name where there is none (a
            // kernel thread, a zombie).
            let cmdline = process.args.as_deref().unwrap_or_default();
            if args.list_full && !cmdline.is_empty() {
                write!(out, " {}", escape(&cmdline.join(&b' '), false))?;
            } else if args.list_name || args.list_full {
                write!(out, " {}", escape(&process.comm, false))?;
            }
        }
        if !selected.is_empty() {
            out.write_all(b"\n")?;
        }
    } else {
        return Ok(None);
    }
    out.flush()?;
    Ok(Some(status))
}

/// The man page's sections beyond the options: `MAN_SECTIONS`, with the
/// legend of the tree's marks after OUTPUT.
pub fn man_sections() -> Vec<(&'static str, String)> {
    let mut sections: Vec<(&'static str, String)> = MAN_SECTIONS
        .iter()
        .map(|&(title, body)| (title, body.to_string()))
        .collect();
    sections.insert(1, ("MARKS", tree::legend_roff()));
    sections
}

/// The man page's sections written out here.
const MAN_SECTIONS: &[(&str, &str)] = &[
    (
        "OUTPUT",
        r#"
The tree shows a line per session (\fBsession\fR \fISID\fR, the leader's name
or \fB(no leader)\fR, and the terminal or \fB?\fR), under it a line per process
group (\fBgroup\fR \fIPGID\fR, marked \fBforeground\fR when it is the foreground
group of the session's terminal and \fBorphaned\fR when no member has a parent
in another group of the same session), and under each group its processes
(name and pid, and the marks of \fBMARKS\fR), nested by parent. Outside a
UTF\-8 locale (\fBLC_ALL\fR, \fBLC_CTYPE\fR or \fBLANG\fR, the first set,
does not name UTF\-8) branches are drawn in ASCII (\fB|\-\fR and
\fB`\-\fR), as \fBpstree\fR(1) draws them; so are \fB\-\-table\fR's
lines. \fB\-\-table\fR aligns numbers to the right.
.PP
Names and command lines are escaped in the tree, \fB\-\-table\fR and
\fB\-\-plain\fR, so that what is shown is unambiguous and a process cannot
disguise its name: control characters, backslashes and bytes that are not
UTF\-8 are written as \fB\\x\fR\fIHH\fR (one per byte), and invisible
characters that change the display (Unicode format characters such as
U+202E RIGHT\-TO\-LEFT OVERRIDE or U+200B ZERO WIDTH SPACE, and the line
and paragraph separators U+2028 and U+2029) as \fB\\u{\fR\fIhex\fR\fB}\fR,
e.g. \fB\\u{202e}\fR. \fB\-\-json\fR writes names exactly (see
\fBJSON KEYS\fR).
.PP
\fB\-\-plain\fR separates columns by exactly one space. No field contains
whitespace: spaces are written as \fB\\x20\fR (other whitespace likewise),
and an empty field as \fB\-\fR.
Rows are ordered by session, then group, then pid.
.PP
\fB\-\-watch\fR [\fIINTERVAL\fR] shows the tree on a terminal and redraws it
in place every \fIINTERVAL\fR (default 1s; durations as \fBsetsid\-run\fR(1)
takes them: \fB500ms\fR, \fB2s\fR, \fB1m\fR), on the alternate screen, so that
the terminal shows what it showed before once it ends. A first line says
how many processes are shown. A process shown now and not in the frame
before is marked \fBnew\fR (it started, or it matches now); one that has
exited since the frame before is shown once more where it was, marked
\fBgone\fR, and is left out after that. Lines are cut at the window's right
edge; when the tree is taller than the window, the last line says how many
lines are hidden, and the arrow keys (or \fBj\fR, \fBk\fR), Page Up and
Page Down (or \fBb\fR, space), Home and End (or \fBg\fR, \fBG\fR) scroll
it; the last line then says how many are above and below. A change of the
window's size redraws at once. \fBq\fR,
\fBQ\fR, Esc or Ctrl\-C ends it (exit status 0), and the terminal is given
back as it was, also when pgtree fails. Ctrl\-Z (or SIGTSTP) suspends it
as a job: the terminal is given back and the shell shows it stopped;
\fBfg\fR brings the view back. Without a terminal on standard
output and standard input, \fB\-\-watch\fR is a usage error. Its value is
optional: give a pattern before \fB\-\-watch\fR, or the interval with
\fB=\fR (\fBpgtree \-\-watch=2s python\fR), since a word after it is taken as
the interval.
"#,
    ),
    (
        "PGREP AND PS",
        r#"
pgtree selects as \fBpgrep\fR(1) (procps\-ng 4.0) does, with pgrep's letters:
\fIPATTERN\fR, \fB\-f\fR, \fB\-x\fR, \fB\-i\fR, \fB\-u\fR,
\fB\-t\fR, \fB\-P\fR, \fB\-g\fR, \fB\-s\fR, \fB\-v\fR,
\fB\-n\fR, \fB\-c\fR, \fB\-F\fR, \fB\-r\fR, \fB\-A\fR,
\fB\-\-env\fR, \fB\-l\fR, \fB\-a\fR, \fB\-d\fR and \fB\-q\fR
mean what they mean to pgrep, and \fB\-c\fR, \fB\-l\fR, \fB\-a\fR,
\fB\-d\fR and \fB\-q\fR print what pgrep prints, in pid order, never
pgtree itself. The differences:
.TP
\fB\-\-oldest\fR
is pgrep's \fB\-o\fR: pgtree's \fB\-o\fR is the column list, as in
\fBps \-o\fR.
.TP
\fB\-v\fR
inverts \fIPATTERN\fR, \fB\-u\fR, \fB\-t\fR, \fB\-P\fR,
\fB\-\-orphaned\fR, \fB\-F\fR, \fB\-r\fR and \fB\-\-env\fR; \fB\-p\fR,
\fB\-g\fR and \fB\-s\fR still restrict (pgrep inverts them too), so
that \fB\-s\fR \fISID\fR \fB\-v\fR stays within the session.
.TP
\fB\-F\fR \fIFILE\fR
names a process only while it is the one that wrote \fIFILE\fR: it must
have started by the time \fIFILE\fR was last written (setsid\-run's rule for
its pid files); a pid that a later process took matches nothing.
.TP
\fB\-\-env\fR \fINAME\fR
matches the variable \fINAME\fR only, not every name that begins with it.
.TP
\fB\-u\fR
takes effective uids and names, as pgrep's \fB\-u\fR.
.PP
A \fIPATTERN\fR longer than 15 bytes without \fB|\fR or \fB[\fR that
matches nothing gets pgrep's warning (a process name has at most 15 bytes;
\fB\-f\fR matches the command line), and exit status 1.
.PP
The columns of \fB\-o\fR are \fBps \-o\fR's names: \fBpid\fR,
\fBppid\fR, \fBpgid\fR, \fBsid\fR, \fBtpgid\fR, \fBtty\fR,
\fBuser\fR, \fBuid\fR, \fBstate\fR, \fBcomm\fR, \fBargs\fR, and
\fBino\fR, the pidfs inode of the process (Linux 6.9 or later; \fB?\fR
before): with the pid, an identity the kernel never gives to another
process while the system runs (\fIPID\fR\fB:\fR\fIINO\fR, as
\fBpgkill \-\-pid\fR and util\-linux \fBkill\fR take it).
\fB\-\-ino\fR shows ids as \fIPID\fR\fB:\fR\fIINO\fR in the tree (a
group's and a session's with its leader's inode, where the leader is
shown) and in \fB\-l\fR, \fB\-a\fR and \fB\-d\fR. A pid file of
\fIPID\fR\fB:\fR\fIINO\fR (\fBsetsid\-run \-\-pidfile\-format
pid:ino\fR) makes \fB\-F\fR select the process only if it has that
inode;
\fBpgtree \-\-table \-o comm,pid,ppid,pgid,sid\fR is \fBps xao
comm,pid,ppid,pgid,sid\fR ordered by session and group.
"#,
    ),
    (
        "JSON KEYS",
        r#"
\fB\-\-json\fR prints one array with an object per process. Its keys are the
names of the columns chosen with \fB\-o\fR (default \fBcomm\fR, \fBpid\fR,
\fBppid\fR, \fBpgid\fR, \fBsid\fR):
.TP
\fBpid\fR, \fBppid\fR, \fBpgid\fR, \fBsid\fR, \fBtpgid\fR, \fBuid\fR
numbers; ids the kernel reports as 0 (kernel threads, leaders outside the
PID namespace) are 0, and \fBtpgid\fR is \-1 without a terminal.
.TP
\fBtty\fR
the terminal's name (\fBpts/3\fR, \fBtty1\fR), or \fBnull\fR.
.TP
\fBuser\fR
the owner's name, or the uid as a string when it has none.
.TP
\fBstate\fR
one letter, as in ps(1): R, S, D, T, t, Z, I.
.TP
\fBcomm\fR
the name, exactly (format characters such as U+202E are not escaped; JSON
escapes only what it must); bytes that are not UTF\-8 become U+FFFD.
.TP
\fBargs\fR
the command line as an array of strings (empty for kernel threads and zombies).
.TP
\fBcgroup\fR
the process's cgroup v2 path, as \fI/proc/PID/cgroup\fR shows it
(\fB/user.slice/…\fR; a sealed job's leaf is \fB/…/setsid\-run\-\fR\fISID\fR),
or \fBnull\fR.
\fBino\fR
the pidfs inode, a number, or \fBnull\fR before Linux 6.9.
.PP
Rows are ordered by session, a sealed session's escapees with it (their
\fBsid\fR is their own).
"#,
    ),
    (
        "EXIT STATUS",
        r#"
.TP
\fB0\fR
at least one process was shown.
.TP
\fB1\fR
no process matched, or the output could not be written (a full disk,
\fI/dev/full\fR; a message says so on standard error). A reader that closes
the pipe early (\fBpgtree | head \-1\fR) is not an error: pgtree exits
quietly with 0.
.TP
\fB2\fR
usage error: a bad option or value, an unknown column, user or terminal, an
invalid regular expression.
.TP
\fB3\fR
the process table could not be read.
"#,
    ),
    (
        "ENVIRONMENT",
        r#"
.TP
\fBNO_COLOR\fR
when set and not empty, \fB\-\-color auto\fR writes no color.
"#,
    ),
    (
        "EXAMPLES",
        r#"
Every python process, with its session and group:
.PP
.RS
.nf
pgtree python
.fi
.RE
.PP
Everything in the shell's own session (what \fBpgkill \-\-sid self\fR would hit):
.PP
.RS
.nf
pgtree \-s self
.fi
.RE
.PP
The whole groups of the processes whose command line mentions a file:
.PP
.RS
.nf
pgtree \-f serve.py \-\-expand group
.fi
.RE
.PP
Orphaned groups, as fields for awk:
.PP
.RS
.nf
pgtree \-\-orphaned \-\-plain \-\-no\-headers \-o pgid,comm | awk '{print $1}' | sort \-u
.fi
.RE
.PP
Sessions with more than one group, with jq:
.PP
.RS
.nf
pgtree \-\-json \-o sid,pgid |
  jq 'group_by(.sid) | map(select(map(.pgid) | unique | length > 1)) |
      map(.[0].sid)'
.fi
.RE
"#,
    ),
    (
        "SEE ALSO",
        r#"
\fBkill\fR(1), \fBpgkill\fR(1), \fBpgrep\fR(1), \fBps\fR(1), \fBpstree\fR(1),
\fBsetsid\fR(1), \fBsetsid\-run\fR(1), \fBcredentials\fR(7)
"#,
    ),
];
