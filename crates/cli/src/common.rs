//! What the three tools share: error reporting and exit codes, color, and
//! parsers that turn the core's errors into clap's.
//!
//! Nothing here writes with `print!`, `println!` or `eprintln!`: those
//! panic when the stream cannot be written (stdout on a full disk, stderr
//! on /dev/full), and a panic in a tool aborts it. Diagnostics go through
//! [`stderr_line`], output through `io::Write` with its errors handled.

use std::io::{self, IsTerminal, Write};

use clap::{Parser, ValueEnum};
use crossterm::style::Stylize;

/// Why a tool stops early: an exit code and the one line to print.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    /// `None` ends quietly (a closed output pipe).
    pub message: Option<String>,
}

impl Failure {
    pub fn new(code: i32, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: Some(message.into()),
        }
    }

    /// A usage error: exit 2.
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::new(2, message)
    }
}

impl From<io::Error> for Failure {
    /// Output errors. A reader that went away (`pgtree | head -1`) is not
    /// an error: the tool ends quietly with 0.
    fn from(error: io::Error) -> Failure {
        if error.kind() == io::ErrorKind::BrokenPipe {
            Failure {
                code: 0,
                message: None,
            }
        } else {
            Failure::new(1, format!("cannot write output: {error}"))
        }
    }
}

/// The exit code of `tool` when its output cannot be written (for a reason
/// other than a closed pipe, which ends quietly): pgtree 1 (as when it
/// shows nothing), pgkill 5 ("the report could not be written"),
/// setsid-run 125 (setsid-run itself failed).
pub fn output_failure_code(tool: &str) -> i32 {
    match tool {
        "pgkill" => 5,
        "setsid-run" => 125,
        _ => 1,
    }
}

/// Writes `line` and a newline to stderr with one `write_all`, so that a
/// diagnostic line is not interleaved with another process's. Never
/// panics, unlike `eprintln!`: an unwritable stderr is the error returned,
/// which a caller that is already failing ignores.
pub fn stderr_line(line: &str) -> io::Result<()> {
    let mut bytes = Vec::with_capacity(line.len() + 1);
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    io::stderr().lock().write_all(&bytes)
}

/// The start of each tool's process, in place of the Rust runtime's.
///
/// The binaries define C's `main` (`#![no_main]`): the runtime's own
/// start-up (a stack-overflow handler, for which glibc reads
/// /proc/self/maps) cost setsid-run a tenth of its run time and a sixth of
/// its memory. What of it the tools rely on is done here: SIGPIPE ignored
/// (a closed pipe is an EPIPE error, see [`Failure`]; commands started get
/// the default back), descriptors 0 to 2 open (so that no file opened later
/// becomes standard output), and standard output flushed at the end. A
/// stack overflow is a plain SIGSEGV, without the runtime's message.
pub fn run_process(main: impl FnOnce() -> i32) -> i32 {
    // SAFETY: setting a signal's disposition to SIG_IGN, before any thread.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    open_standard_fds();
    let code = main();
    let _ = io::stdout().flush();
    code
}

/// Opens /dev/null on whichever of descriptors 0, 1 and 2 is closed.
fn open_standard_fds() {
    for fd in 0..3 {
        // SAFETY: fcntl(F_GETFD) only reads the descriptor's flags.
        let closed = unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1
            && io::Error::last_os_error().raw_os_error() == Some(libc::EBADF);
        if closed {
            // The lowest free descriptor: this one, as the lower ones are
            // open by now. Should it fail, the tool runs on regardless.
            // SAFETY: a NUL-terminated path; the descriptor is kept open.
            unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        }
    }
}

/// Parses the command line, runs the tool, and turns every outcome into an
/// exit code, printing `tool: error: …` in this one place. The code is
/// returned even when stderr cannot be written.
pub fn main_with<A: Parser>(tool: &str, run: impl FnOnce(A) -> Result<i32, Failure>) -> i32 {
    main_with_args(tool, std::env::args_os(), run)
}

/// [`main_with`] on given arguments (after a tool rewrote them).
pub fn main_with_args<A: Parser>(
    tool: &str,
    args: impl IntoIterator<Item = std::ffi::OsString>,
    run: impl FnOnce(A) -> Result<i32, Failure>,
) -> i32 {
    let outcome = A::try_parse_from(args)
        .map_err(|error| clap_failure(tool, error))
        .and_then(run);
    match outcome {
        Ok(code) => code,
        Err(Failure { code, message }) => {
            if let Some(message) = message {
                let _ = stderr_line(&format!("{tool}: error: {message}"));
            }
            code
        }
    }
}

/// clap's errors as one line; `--help` and `--version` print and exit 0,
/// or, when stdout cannot be written, fail as the tool's output does
/// ([`output_failure_code`]; a closed pipe still ends quietly with 0).
fn clap_failure(tool: &str, error: clap::Error) -> Failure {
    use clap::error::ErrorKind;
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            match error.print().and_then(|()| io::stdout().flush()) {
                Err(error) if error.kind() != io::ErrorKind::BrokenPipe => Failure::new(
                    output_failure_code(tool),
                    format!("cannot write output: {error}"),
                ),
                _ => Failure {
                    code: 0,
                    message: None,
                },
            }
        }
        _ => {
            let rendered = error.render().to_string();
            let mut lines = rendered.lines();
            let first = lines.next().unwrap_or("invalid arguments");
            let mut what = first.strip_prefix("error: ").unwrap_or(first).to_string();
            // A message ending in ':' continues on indented lines (the
            // missing arguments): bring them onto this one.
            if what.ends_with(':') {
                for line in lines.take_while(|line| line.starts_with("  ")) {
                    what.push(' ');
                    what.push_str(line.trim());
                }
            }
            // Keep clap's list of valid values on the same line.
            let valid = rendered
                .lines()
                .map(str::trim)
                .find(|line| line.starts_with("[possible values"))
                .map(|line| format!(" {line}"))
                .unwrap_or_default();
            Failure::usage(format!("{what}{valid} (see '{tool} --help')"))
        }
    }
}

/// `--expand group|session`, of pgtree and pgkill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExpandArg {
    /// The whole process group of each match
    Group,
    /// The whole session of each match
    Session,
}

impl From<ExpandArg> for procgroup::select::Expand {
    fn from(expand: ExpandArg) -> Self {
        match expand {
            ExpandArg::Group => procgroup::select::Expand::Group,
            ExpandArg::Session => procgroup::select::Expand::Session,
        }
    }
}

/// One process of a report (`pgkill --json`, `setsid-run --json`), as a
/// JSON object: `pid`, `ino`, `pgid`, `sid`, `comm`; with its entry the
/// `outcome`, and after waiting `exit` and `escalated`; `escaped` when it
/// was reached through its session's seal.
pub fn write_process_json(
    out: &mut impl Write,
    process: &procgroup::Process,
    entry: Option<&procgroup::deliver::Entry>,
    waiting: bool,
    escaped: bool,
) -> io::Result<()> {
    let ino = entry
        .and_then(procgroup::deliver::Entry::ino)
        .or_else(|| procgroup::pidfs::inode_of_process(process));
    write_identity_json(out, process, ino)?;
    if let Some(entry) = entry {
        write!(out, ",\"outcome\":\"{}\"", entry.outcome.as_str())?;
        if waiting {
            write!(
                out,
                ",\"exit\":{},\"escalated\":{}",
                json_exit(entry.death()),
                entry.escalated()
            )?;
        }
    }
    if escaped {
        out.write_all(b",\"escaped\":true")?;
    }
    out.write_all(b"}")
}

/// A process that setsid-run ended as a subreaper, outside the job, as
/// [`write_process_json`] writes one that pgkill waited for, marked
/// `"stray":true`: its exit is its wait status.
pub fn write_stray_json(
    out: &mut impl Write,
    stray: &procgroup::spawn::reaper::Stray,
) -> io::Result<()> {
    write_identity_json(out, &stray.process, stray.ino)?;
    write!(
        out,
        ",\"outcome\":\"{}\",\"exit\":{},\"escalated\":{},\"stray\":true}}",
        procgroup::deliver::Outcome::Exited.as_str(),
        json_exit(stray.exit.map(procgroup::pidfs::Death::Known)),
        stray.escalated
    )
}

/// The start of a process's object: `{"pid":…,"ino":…,"pgid":…,"sid":…,
/// "comm":…` (left open).
fn write_identity_json(
    out: &mut impl Write,
    process: &procgroup::Process,
    ino: Option<u64>,
) -> io::Result<()> {
    write!(
        out,
        "{{\"pid\":{},\"ino\":{},\"pgid\":{},\"sid\":{},\"comm\":{}",
        process.pid,
        ino.map_or_else(|| "null".to_string(), |n| n.to_string()),
        process.pgid,
        process.sid,
        json_string(&process.comm)
    )
}

/// `{"code":3}`, `{"signal":9,"core":false}`, or `null` where the kernel
/// did not tell (not reaped yet, or a kernel before 6.15).
fn json_exit(death: Option<procgroup::pidfs::Death>) -> String {
    use procgroup::pidfs::{Death, Exit};
    match death {
        Some(Death::Known(Exit::Code(code))) => format!("{{\"code\":{code}}}"),
        Some(Death::Known(Exit::Signal { number, core })) => {
            format!("{{\"signal\":{number},\"core\":{core}}}")
        }
        _ => "null".to_string(),
    }
}

/// The selection options of pgtree and pgkill, with pgrep's and pkill's
/// meanings; each tool adds its own `-v`/`--inverse`, `--newest`, targets
/// and `--expand`.
#[derive(clap::Args, Debug)]
pub struct SelectArgs {
    /// Regular expression matched against the process name (comm), as pgrep's and pkill's
    #[arg(value_name = "PATTERN")]
    pub pattern: Option<String>,

    /// Match PATTERN against the whole command line
    #[arg(short = 'f', long)]
    pub full: bool,

    /// PATTERN must match the whole name (or command line)
    #[arg(short = 'x', long)]
    pub exact: bool,

    /// Match PATTERN without regard to case
    #[arg(short = 'i', long)]
    pub ignore_case: bool,

    /// Only processes of these users (names or uids)
    #[arg(short = 'u', long = "user", value_name = "USER", value_delimiter = ',',
          value_parser = core(procgroup::select::parse_user))]
    pub uids: Vec<u32>,

    /// Only processes on these terminals (pts/3, tty1, `?` for none)
    #[arg(short = 't', long = "tty", value_name = "TTY", value_delimiter = ',',
          value_parser = core(procgroup::tty::parse))]
    pub ttys: Vec<i32>,

    /// Only children of these processes (comma list, repeatable)
    #[arg(short = 'P', long = "parent", value_name = "PPID", value_delimiter = ',',
          value_parser = core(|text| text.parse::<procgroup::Pid>()),
          allow_negative_numbers = true)]
    pub parents: Vec<procgroup::Pid>,

    /// Only members of orphaned process groups
    #[arg(long)]
    pub orphaned: bool,

    /// Only the process FILE names, while it is the one that wrote it (started before FILE was written)
    #[arg(short = 'F', long, value_name = "FILE")]
    pub pidfile: Option<std::path::PathBuf>,

    /// Only processes in these states (R, S, D, T, t, Z, I, ...: `-r DT`, `-r D,T`)
    #[arg(short = 'r', long, value_name = "STATES",
          value_parser = core(|text| procgroup::select::parse_states(text).map(|_| text.to_string())))]
    pub runstates: Option<String>,

    /// Only processes with this environment variable (NAME) or value (NAME=VALUE); repeatable
    #[arg(long, value_name = "NAME[=VALUE]",
          value_parser = core(|text| procgroup::select::parse_env(text).map(|_| text.to_string())))]
    pub env: Vec<String>,

    /// Never the caller's own ancestors (its shell, the terminal, ...)
    #[arg(short = 'A', long)]
    pub ignore_ancestors: bool,

    /// Only the least recently started of the matches (pgrep's -o)
    #[arg(long, conflicts_with = "newest")]
    pub oldest: bool,
}

impl SelectArgs {
    /// Whether any option beyond the tool's targets narrows the selection.
    pub fn narrows(&self) -> bool {
        self.pattern.is_some()
            || !self.uids.is_empty()
            || !self.ttys.is_empty()
            || !self.parents.is_empty()
            || self.orphaned
            || self.pidfile.is_some()
            || self.runstates.is_some()
            || !self.env.is_empty()
            || self.ignore_ancestors
            || self.oldest
    }

    /// The selection these options make, on top of `base` (the tool's
    /// targets, `--inverse`, `--expand`, `--newest`): the pattern compiled,
    /// the pid file read. A bad pattern or pid file is a usage error.
    pub fn selection(&self, base: procgroup::Selection) -> Result<procgroup::Selection, Failure> {
        use procgroup::select::{self, Pick};
        let pattern = self
            .pattern
            .as_deref()
            .map(|text| select::pattern(text, self.exact, self.ignore_case))
            .transpose()
            .map_err(|error| Failure::usage(error.to_string()))?;
        let pidfile = self
            .pidfile
            .as_deref()
            .map(|path| {
                procgroup::pidfile::named(path)
                    .map(|pid| pid.into_iter().collect::<Vec<_>>())
                    .map_err(|error| Failure::usage(format!("pidfile {error}")))
            })
            .transpose()?;
        Ok(procgroup::Selection {
            pattern,
            full: self.full,
            uids: self.uids.clone(),
            ttys: self.ttys.clone(),
            parents: self.parents.clone(),
            orphaned: self.orphaned,
            pidfile,
            // Both checked by their parsers already.
            states: self
                .runstates
                .as_deref()
                .map_or(Ok(Vec::new()), select::parse_states)
                .map_err(|error| Failure::usage(error.to_string()))?,
            env: self.env.iter().map(|e| e.as_bytes().to_vec()).collect(),
            ignore_ancestors: self.ignore_ancestors,
            pick: if self.oldest {
                Some(Pick::Oldest)
            } else {
                base.pick
            },
            ..base
        })
    }

    /// pgrep's warning for a pattern that matched nothing because it is
    /// longer than any process name; `None` when it does not apply.
    pub fn too_long_warning(&self, tool: &str) -> Option<String> {
        let pattern = self.pattern.as_deref()?;
        (!self.full && procgroup::select::too_long_for_a_name(pattern)).then(|| {
            format!(
                "{tool}: warning: pattern that searches for process name longer than 15 \
                 characters will result in zero matches; try -f to match the command line"
            )
        })
    }
}

/// `--color auto|always|never`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Color when stdout is a terminal and NO_COLOR is unset.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// Whether to write color to stdout.
    pub fn enabled(self) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
                    && io::stdout().is_terminal()
            }
        }
    }
}

/// Turns a core parser into a clap value parser (`value_parser = core(...)`).
pub fn core<T: 'static>(
    parse: fn(&str) -> procgroup::Result<T>,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static {
    move |text| parse(text).map_err(|error| error.to_string())
}

/// Bytes as text for humans: printable UTF-8 stays, every other byte (and,
/// with `whitespace`, every space) becomes `\xHH`, and so does `\`, so that
/// the output is unambiguous. Characters that are invisible yet change the
/// display (Unicode format characters such as U+202E RIGHT-TO-LEFT
/// OVERRIDE, and the line and paragraph separators) become `\u{202e}`, so
/// that a process cannot disguise its name.
pub fn escape(bytes: &[u8], whitespace: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if !c.is_ascii() && is_format(c) {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
                continue;
            }
            let hidden = c.is_control() || c == '\\' || (whitespace && c.is_whitespace());
            if hidden {
                let mut utf8 = [0u8; 4];
                for byte in c.encode_utf8(&mut utf8).bytes() {
                    let _ = write!(out, "\\x{byte:02x}");
                }
            } else {
                out.push(c);
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

/// The characters of general category Cf (format) in Unicode 16.0, and
/// U+2028 and U+2029 (Zl, Zp): sorted, inclusive ranges.
const FORMAT: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x2028, 0x2029),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// Whether `c` is in [`FORMAT`].
fn is_format(c: char) -> bool {
    let c = c as u32;
    FORMAT
        .binary_search_by(|&(low, high)| {
            if high < c {
                std::cmp::Ordering::Less
            } else if low > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// A JSON string literal; invalid UTF-8 becomes U+FFFD.
pub fn json_string(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Colors for a terminal, written by crossterm; plain text when disabled.
#[derive(Clone, Copy, Debug)]
pub struct Paint {
    pub enabled: bool,
}

impl Paint {
    pub fn bold(self, text: &str) -> String {
        self.paint(text.bold())
    }
    pub fn green(self, text: &str) -> String {
        self.paint(text.dark_green())
    }
    pub fn yellow(self, text: &str) -> String {
        self.paint(text.dark_yellow())
    }
    pub fn red(self, text: &str) -> String {
        self.paint(text.dark_red())
    }
    pub fn magenta(self, text: &str) -> String {
        self.paint(text.dark_magenta())
    }
    pub fn cyan(self, text: &str) -> String {
        self.paint(text.dark_cyan())
    }
    pub fn dim(self, text: &str) -> String {
        self.paint(text.dim())
    }

    fn paint(self, styled: crossterm::style::StyledContent<&str>) -> String {
        if self.enabled {
            styled.to_string()
        } else {
            styled.content().to_string()
        }
    }
}

/// Whether the locale's character set is UTF-8 (from `LC_ALL`, `LC_CTYPE`
/// or `LANG`, the first that is set): otherwise trees and tables are drawn
/// in ASCII, as pstree draws them.
pub fn utf8_locale() -> bool {
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .filter_map(std::env::var_os)
        .find(|value| !value.is_empty())
        .unwrap_or_default()
        .to_string_lossy()
        .to_ascii_lowercase();
    locale.contains("utf-8") || locale.contains("utf8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_would_break_fields() {
        assert_eq!(escape(b"a b", true), "a\\x20b");
        assert_eq!(escape(b"a b", false), "a b");
        assert_eq!(escape(b"x\ny\\", false), "x\\x0ay\\x5c");
        assert_eq!(escape(b"\xff(\xfe)", true), "\\xff(\\xfe)");
        assert_eq!(escape("é".as_bytes(), true), "é");
    }

    #[test]
    fn escapes_what_would_disguise_a_name() {
        // A right-to-left override shows what follows it reversed.
        assert_eq!(
            escape("evil\u{202e}txt".as_bytes(), false),
            "evil\\u{202e}txt"
        );
        assert_eq!(
            escape("a\u{2028}b\u{2029}c".as_bytes(), false),
            "a\\u{2028}b\\u{2029}c"
        );
        assert_eq!(escape("a\u{2028}b".as_bytes(), true), "a\\u{2028}b");
        assert_eq!(
            escape("\u{feff}x\u{200b}".as_bytes(), true),
            "\\u{feff}x\\u{200b}"
        );
        assert_eq!(escape("\u{e0041}".as_bytes(), false), "\\u{e0041}");
        // Every range, at both ends, and its neighbours.
        for &(low, high) in FORMAT {
            for cp in [low, high] {
                let c = char::from_u32(cp).unwrap();
                assert_eq!(
                    escape(c.to_string().as_bytes(), false),
                    format!("\\u{{{cp:x}}}")
                );
            }
            for cp in [low - 1, high + 1] {
                let c = char::from_u32(cp).unwrap();
                if !FORMAT.iter().any(|&(l, h)| (l..=h).contains(&cp)) && !c.is_control() {
                    assert_eq!(escape(c.to_string().as_bytes(), false), c.to_string());
                }
            }
        }
        assert!(FORMAT.windows(2).all(|w| w[0].1 < w[1].0));
        // Visible neighbours and other scripts stay.
        assert_eq!(escape("مرحبا שלום ✓".as_bytes(), false), "مرحبا שלום ✓");
        // U+0085 (NEL) is a control character: bytes, as before.
        assert_eq!(escape("\u{85}".as_bytes(), false), "\\xc2\\x85");
    }

    #[test]
    fn json_strings_are_valid() {
        assert_eq!(json_string(b"a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
        assert_eq!(json_string(b"\xff"), "\"\u{fffd}\"");
        // Exact, not escaped: JSON allows U+202E and U+2028 in strings.
        assert_eq!(
            json_string("a\u{202e}b\u{2028}".as_bytes()),
            "\"a\u{202e}b\u{2028}\""
        );
    }
}
