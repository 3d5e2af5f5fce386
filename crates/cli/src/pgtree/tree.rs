//! The tree: sessions, their groups, and each group's processes nested by
//! parent, with marks that say what state each is in.

use std::io::{self, Write};

use procgroup::{tty, Forest, Process};

use crate::common::{escape, Paint};

/// How the tree is drawn.
#[derive(Clone, Copy, Debug)]
pub struct Look {
    /// Colors, or none.
    pub paint: Paint,
    /// Branches of box-drawing characters (`├─`), or of ASCII (`|-`) where
    /// the locale is not UTF-8.
    pub unicode: bool,
    /// Ids as `ID:INO`, with the pidfs inode of the process (of a group's
    /// or session's leader) where it is known.
    pub ino: bool,
}

/// The pieces a branch is drawn with, each three columns wide.
struct Glyphs {
    /// A node with siblings below it.
    tee: &'static str,
    /// The last node.
    corner: &'static str,
    /// Under a node with siblings below it.
    pipe: &'static str,
}

const UNICODE: Glyphs = Glyphs {
    tee: "├─ ",
    corner: "└─ ",
    pipe: "│  ",
};

/// As pstree draws in a locale that is not UTF-8.
const ASCII: Glyphs = Glyphs {
    tee: "|- ",
    corner: "`- ",
    pipe: "|  ",
};

/// The legend of the marks, for `--help` and the man page (one mark a line:
/// the mark, then what it means).
pub const LEGEND: &[(&str, &str)] = &[
    (
        "foreground",
        "the group owns its session's terminal: it reads what is typed",
    ),
    (
        "orphaned",
        "the group's job control is gone: no member has a parent in another group of \
         its session (its shell exited, or it never had one: daemons, detached \
         sessions, tmux's server), and the kernel drops the terminal's stop signals \
         (SIGTSTP, SIGTTIN, SIGTTOU) sent to it",
    ),
    (
        "terminal gone",
        "the session's terminal no longer exists in /dev",
    ),
    ("session leader", "the process whose pid is the session id"),
    (
        "stopped",
        "state T: stopped by a signal (Ctrl-Z, SIGSTOP), waiting for SIGCONT",
    ),
    ("traced", "state t: stopped by a debugger or tracer"),
    (
        "uninterruptible",
        "state D: waiting in the kernel, deaf to signals until it returns",
    ),
    (
        "zombie",
        "exited; its parent has not collected its status yet",
    ),
];

/// The legend for `--help`: the marks, aligned, then the exit statuses.
pub fn legend_help() -> String {
    let width = LEGEND.iter().map(|(mark, _)| mark.len()).max().unwrap_or(0);
    let mut text = String::from("Marks in the tree:\n");
    for (mark, meaning) in LEGEND {
        for (i, line) in wrapped(meaning, 96 - width).iter().enumerate() {
            let mark = if i == 0 { mark } else { "" };
            text.push_str(&format!("  {mark:width$}  {line}\n"));
        }
    }
    text.push_str(
        "\nExit status: 0 something shown, 1 nothing matched (or the output could not \
         be written), 2 usage error, 3 the process table could not be read.",
    );
    text
}

/// The legend for the man page, in roff.
pub fn legend_roff() -> String {
    let roff = |text: &str| text.replace('-', "\\-");
    let mut text = String::from(
        "\nA process group or a process line of the tree carries marks after its\n\
         name, each in words:\n",
    );
    for (mark, meaning) in LEGEND {
        text.push_str(&format!(".TP\n\\fB{}\\fR\n", roff(mark)));
        for line in wrapped(meaning, 72) {
            text.push_str(&roff(&line));
            text.push('\n');
        }
    }
    text
}

/// `text` in lines of at most `width` bytes, broken between words.
fn wrapped(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(word.to_string());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

/// The forest; `extra` adds marks of the caller's to a process's line.
pub fn render(
    out: &mut impl Write,
    forest: &Forest,
    look: Look,
    extra: &dyn Fn(&Process) -> Option<String>,
) -> io::Result<()> {
    let paint = look.paint;
    let glyphs = if look.unicode { &UNICODE } else { &ASCII };
    for session in forest.sessions() {
        let leader = session
            .leader
            .map_or_else(|| "(no leader)".to_string(), |p| escape(&p.comm, false));
        let tty = tty::name(session.tty_nr).unwrap_or_else(|| "?".to_string());
        let title = format!("session {}{}", session.sid, inode(look, session.leader));
        let gone = session.tty_nr != 0 && !tty::exists(session.tty_nr);
        write!(out, "{} {} {}", paint.bold(&title), leader, paint.dim(&tty))?;
        if gone {
            write!(out, " {}", paint.red("terminal gone"))?;
        }
        if let Some(leaf) = session.seal {
            write!(
                out,
                " {} {}",
                paint.cyan("sealed"),
                escape(leaf.as_bytes(), false)
            )?;
        }
        writeln!(out)?;
        let groups: Vec<_> = session.groups().collect();
        for (index, group) in groups.iter().enumerate() {
            let last_group = index + 1 == groups.len();
            let leader = group
                .members()
                .iter()
                .copied()
                .find(|p| p.pid.as_raw() == group.pgid.as_raw());
            let mut line = paint.cyan(&format!("group {}{}", group.pgid, inode(look, leader)));
            if group.foreground {
                line.push(' ');
                line.push_str(&paint.green("foreground"));
            }
            if group.orphaned {
                line.push(' ');
                line.push_str(&paint.yellow("orphaned"));
            }
            let branch = if last_group {
                glyphs.corner
            } else {
                glyphs.tee
            };
            writeln!(out, "{branch}{line}")?;
            let indent = if last_group { "   " } else { glyphs.pipe };
            // Depth-first over the group's processes, without recursion:
            // a chain of parents can be thousands long.
            let roots: Vec<&Process> = group.roots().collect();
            let mut stack: Vec<(&Process, String, bool)> = Vec::new();
            for (i, root) in roots.iter().enumerate().rev() {
                stack.push((root, indent.to_string(), i + 1 == roots.len()));
            }
            while let Some((process, prefix, last)) = stack.pop() {
                let mut line = format!(
                    "{} {}{}",
                    escape(&process.comm, false),
                    process.pid,
                    inode(look, Some(process))
                );
                for mark in marks(process, paint).into_iter().chain(extra(process)) {
                    line.push(' ');
                    line.push_str(&mark);
                }
                let branch = if last { glyphs.corner } else { glyphs.tee };
                writeln!(out, "{prefix}{branch}{line}")?;
                let child_prefix = format!("{prefix}{}", if last { "   " } else { glyphs.pipe });
                let children: Vec<&Process> = group.children(process.pid).collect();
                for (i, child) in children.iter().enumerate().rev() {
                    stack.push((child, child_prefix.clone(), i + 1 == children.len()));
                }
            }
        }
    }
    Ok(())
}

/// `:INO` after an id, with `look.ino`, where the inode is known.
fn inode(look: Look, process: Option<&Process>) -> String {
    match process.and_then(|p| p.ino) {
        Some(ino) if look.ino => format!(":{ino}"),
        _ => String::new(),
    }
}

/// What a process's line says of it, painted.
fn marks(process: &Process, paint: Paint) -> Vec<String> {
    let mut marks = Vec::new();
    if process.is_session_leader() {
        marks.push(paint.bold("session leader"));
    }
    if process.escaped_from.is_some() {
        marks.push(paint.magenta(&format!("escaped (now session {})", process.sid)));
    }
    match process.state {
        b'T' => marks.push(paint.yellow("stopped")),
        b't' => marks.push(paint.magenta("traced")),
        b'D' => marks.push(paint.red("uninterruptible")),
        b'Z' => marks.push(paint.red("zombie")),
        _ => {}
    }
    marks
}
