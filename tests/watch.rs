//! End-to-end tests of `pgtree --watch` (issue 11, section 4): run in a
//! tmux pane whose server runs in the test's own PID namespace, watching a
//! session whose processes the test starts and ends between frames.
//!
//! The screen is read with `tmux capture-pane`. A mark that lasts one frame
//! (`new`, `gone`) may come and go between two captures on a busy machine,
//! so those are read from what the pane was sent (`tmux pipe-pane`), cut
//! into frames at the synchronized update that wraps each frame; what
//! stays (a process shown unmarked, then absent; the frame cut to the
//! window; the shell's screen back) is read from the screen.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{
    self, assert_exit, assert_one_line_error, wait_until, Namespace, Tmux, PGTREE,
};

/// The scenario: a session to watch, led by a `sh` that runs the shell
/// lines the test writes to the FIFO `$DIR/orders` (so that every process
/// the test starts and ends is that shell's child, started, ended and
/// reaped inside the namespace); then the tmux server and its pane.
fn scenario() -> String {
    format!(
        r#"mkfifo "$DIR/orders"
setsid sh -c 'exec 3<>"$DIR/orders"; while read -r order <&3; do eval "$order"; done' </dev/null >/dev/null 2>&1 &
echo leader=$!
{}"#,
        Tmux::START
    )
}

/// Has the session's leader run `order` (a line of shell).
fn order(ns: &Namespace, order: &str) {
    // Read and write: opening never waits for the reader.
    let mut fifo = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(ns.dir().join("orders"))
        .expect("the orders FIFO");
    fifo.write_all(format!("{order}\n").as_bytes())
        .expect("cannot write an order");
}

/// The namespace pid of the one process whose command line is `cmdline`,
/// once it runs.
fn pid_of(ns: &Namespace, cmdline: &str) -> i32 {
    let mut pid = 0;
    ns.wait_for(&format!("{cmdline:?} runs"), |ps| {
        let found: Vec<i32> = ps
            .iter()
            .filter(|p| p.cmdline() == cmdline && p.state != 'Z')
            .map(|p| p.pid)
            .collect();
        pid = found.first().copied().unwrap_or(0);
        found.len() == 1
    });
    pid
}

/// The words after `name pid` on a row of the tree (its marks), if the row
/// is that process's.
fn marks(row: &str, name: &str, pid: i32) -> Option<Vec<String>> {
    let words: Vec<&str> = row.split_whitespace().collect();
    let pid = pid.to_string();
    let at = words.windows(2).position(|w| w[0] == name && w[1] == pid)?;
    Some(words[at + 2..].iter().map(|w| w.to_string()).collect())
}

/// The marks of `name pid` in a frame or on a screen: `None` when no row
/// shows it.
fn marks_in(rows: &[String], name: &str, pid: i32) -> Option<Vec<String>> {
    rows.iter().find_map(|row| marks(row, name, pid))
}

/// `tmux display-message -p FORMAT`.
fn display(tmux: &Tmux, format: &str) -> String {
    support::stdout(&tmux.tmux(&["display-message", "-p", format]))
        .trim()
        .to_string()
}

/// The frames the pane was sent, complete ones only, each as its rows:
/// the text between cursor moves and clears, colors left out.
fn frames(log: &Path) -> Vec<Vec<String>> {
    const BEGIN: &str = "\x1b[?2026h";
    const END: &str = "\x1b[?2026l";
    let bytes = std::fs::read(log).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    text.split(BEGIN)
        .skip(1)
        .filter_map(|chunk| chunk.split_once(END).map(|(frame, _)| rows_of(frame)))
        .collect()
}

/// The rows of one frame's bytes: a control sequence other than a color
/// (`ESC [ … m`) ends a row.
fn rows_of(frame: &str) -> Vec<String> {
    let mut rows = vec![String::new()];
    let mut chars = frame.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            rows.last_mut().unwrap().push(c);
            continue;
        }
        if chars.next_if_eq(&'[').is_none() {
            chars.next();
            rows.push(String::new());
            continue;
        }
        let mut last = ' ';
        for c in chars.by_ref() {
            if ('@'..='~').contains(&c) {
                last = c;
                break;
            }
        }
        if last != 'm' {
            rows.push(String::new());
        }
    }
    rows.into_iter()
        .map(|row| row.trim_end().to_string())
        .filter(|row| !row.is_empty())
        .collect()
}

/// The first frame at or after `from` that `condition` accepts, once the
/// pane has been sent one: its index.
fn frame_where(
    log: &Path,
    from: usize,
    what: &str,
    mut condition: impl FnMut(&[String]) -> bool,
) -> usize {
    let mut at = None;
    wait_until(what, || {
        at = frames(log)
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, rows)| condition(rows))
            .map(|(i, _)| i);
        at.is_some()
    });
    at.unwrap()
}

/// The frame at `index`, once the pane has been sent it.
fn frame_at(log: &Path, index: usize) -> Vec<String> {
    let mut all = Vec::new();
    wait_until(&format!("the pane has been sent frame {index}"), || {
        all = frames(log);
        all.len() > index
    });
    all.swap_remove(index)
}

const PROMPT: &str = "$";

fn prompt(rows: &[String]) -> bool {
    rows.last().is_some_and(|row| row == PROMPT)
}

/// The shell's screen after a command line ended: `before` (whose last
/// row was the prompt the command was typed at), the command line, the
/// rows it printed, and a new prompt.
fn after_command(before: &[String], command: &str, printed: &[&str]) -> Vec<String> {
    let mut rows = before[..before.len() - 1].to_vec();
    rows.push(format!("{PROMPT} {command}"));
    rows.extend(printed.iter().map(|row| row.to_string()));
    rows.push(PROMPT.to_string());
    rows
}

/// The terminal's modes as `stty -g` prints them, written by the pane's
/// shell to `$DIR/<name>`.
fn stty(ns: &Namespace, tmux: &Tmux, name: &str) -> String {
    let path: PathBuf = ns.dir().join(name);
    tmux.type_line(&format!(
        "stty -g >'{}.part' && mv '{0}.part' '{0}'",
        path.display()
    ));
    let mut modes = String::new();
    wait_until(&format!("the shell wrote {name}"), || {
        modes = std::fs::read_to_string(&path).unwrap_or_default();
        !modes.is_empty()
    });
    modes
}

/// New and ended processes between frames, marked `new` and then `gone`
/// for one frame each; `q` gives the shell its screen and terminal modes
/// back; without a terminal for input it refuses, one line, exit 2.
/// After the view: the shell's screen as it was (`before`, then the
/// command), the main screen and the cursor back, the terminal's `modes`
/// as before, and `status` for the view's exit status.
fn assert_terminal_back(
    ns: &Namespace,
    tmux: &Tmux,
    before: &[String],
    command: &str,
    modes: &str,
    status: i32,
) {
    let wanted = after_command(before, command, &[]);
    tmux.wait_for_screen("the shell's screen back", |rows| rows == wanted);
    assert_eq!(display(tmux, "#{alternate_on}"), "0");
    assert_eq!(display(tmux, "#{cursor_flag}"), "1");
    tmux.type_line("echo \"status=$?\"");
    tmux.wait_for_screen("the status", |rows| {
        prompt(rows) && rows.iter().any(|row| row.starts_with("status="))
    });
    let status = format!("status={status}");
    assert!(tmux.screen().contains(&status));
    assert_eq!(stty(ns, tmux, "stty.after"), modes, "the terminal's modes");
}

#[test]
fn shows_processes_come_and_go_and_q_gives_the_terminal_back() {
    if !support::have_tmux() {
        return;
    }
    let Some(ns) = Namespace::start(&scenario()) else {
        return;
    };
    let leader = ns.var("leader");
    assert_eq!(
        ns.stat(leader).map(|p| p.sid),
        Some(leader),
        "the watched shell leads its session"
    );
    let tmux = Tmux::new(&ns);
    tmux.wait_for_screen("the first prompt", prompt);

    // Standard input not a terminal: refused before the screen is touched.
    tmux.type_line(&format!("{PGTREE} --watch </dev/null; echo \"status=$?\""));
    let rows = tmux.wait_for_screen("the refusal and a prompt", |rows| {
        prompt(rows) && rows.iter().any(|row| row.starts_with("status="))
    });
    let at = rows
        .iter()
        .position(|row| row == "status=2")
        .expect("status=2");
    assert_eq!(
        rows[at - 1],
        "pgtree: error: --watch needs a terminal: standard input is not one"
    );

    let modes = stty(&ns, &tmux, "stty.before");
    tmux.type_line("clear; echo the shell before");
    let before = tmux.wait_for_screen("the screen before", |rows| {
        rows == ["$ clear; echo the shell before", "the shell before", "$"]
            || rows == ["the shell before", "$"]
    });

    let log = ns.dir().join("pane.log");
    tmux.tmux(&["pipe-pane", "-o", &format!("cat >>'{}'", log.display())]);
    let command = format!("{PGTREE} --watch 0.2s -s {leader}");
    tmux.type_line(&command);
    let rows = tmux.wait_for_screen("the first frame", |rows| {
        rows.first()
            .is_some_and(|row| row == "pgtree: 1 process, every 200ms (q quits)")
    });
    assert_eq!(display(&tmux, "#{alternate_on}"), "1");
    assert!(
        rows.iter()
            .any(|row| row.starts_with(&format!("session {leader} sh"))),
        "{rows:?}"
    );
    assert_eq!(
        marks_in(&rows, "sh", leader),
        Some(vec!["session".to_string(), "leader".to_string()]),
        "{rows:?}"
    );
    // Nothing is new in the first frame: there is no frame before it.
    let first = frame_at(&log, 0);
    assert!(
        first
            .iter()
            .all(|row| !row.ends_with(" new") && !row.ends_with(" gone")),
        "{first:?}"
    );

    // A process starts between frames: marked new in one frame, then not.
    order(&ns, "sleep 100001 </dev/null >/dev/null 2>&1 & one=$!");
    let one = pid_of(&ns, "sleep 100001");
    let new_at = frame_where(&log, 0, "a frame shows the new sleep", |rows| {
        marks_in(rows, "sleep", one).is_some()
    });
    let frame = frame_at(&log, new_at);
    assert_eq!(
        marks_in(&frame, "sleep", one),
        Some(vec!["new".to_string()]),
        "{frame:?}"
    );
    assert!(
        frame
            .iter()
            .any(|row| row == "pgtree: 2 processes, every 200ms (q quits)"),
        "{frame:?}"
    );
    let next = frame_at(&log, new_at + 1);
    assert_eq!(marks_in(&next, "sleep", one), Some(vec![]), "{next:?}");
    tmux.wait_for_screen("the sleep shown, unmarked", |rows| {
        marks_in(rows, "sleep", one) == Some(vec![])
    });

    // A second one starts, and the first ends (its parent reaps it): the
    // first is shown marked gone in one frame, and is absent after it.
    order(&ns, "sleep 100002 </dev/null >/dev/null 2>&1 & two=$!");
    let two = pid_of(&ns, "sleep 100002");
    order(&ns, "kill $one; wait $one");
    ns.wait_for("the first sleep has gone", |_| ns.stat(one).is_none());
    let gone_at = frame_where(&log, new_at + 1, "a frame shows the sleep gone", |rows| {
        marks_in(rows, "sleep", one).is_some_and(|m| m.last().is_some_and(|m| m == "gone"))
    });
    // It was reaped after the frame before: zombie at most, never gone
    // before.
    let frame = frame_at(&log, gone_at);
    let marks_one = marks_in(&frame, "sleep", one).unwrap();
    assert!(
        marks_one == ["gone"] || marks_one == ["zombie", "gone"],
        "{frame:?}"
    );
    assert!(
        frame
            .iter()
            .any(|row| row == "pgtree: 2 processes, every 200ms (q quits)"),
        "the gone one is not counted: {frame:?}"
    );
    assert!(marks_in(&frame, "sleep", two).is_some(), "{frame:?}");
    let next = frame_at(&log, gone_at + 1);
    assert_eq!(marks_in(&next, "sleep", one), None, "{next:?}");
    assert_eq!(marks_in(&next, "sleep", two), Some(vec![]), "{next:?}");
    let rows = tmux.wait_for_screen("the first sleep absent", |rows| {
        marks_in(rows, "sleep", one).is_none() && marks_in(rows, "sleep", two) == Some(vec![])
    });
    assert_eq!(
        rows.first().map(String::as_str),
        Some("pgtree: 2 processes, every 200ms (q quits)")
    );
    // Every frame between: the first sleep unmarked (a zombie once
    // killed, until its parent reaps it).
    for (i, frame) in frames(&log)[new_at + 1..gone_at].iter().enumerate() {
        let marks = marks_in(frame, "sleep", one).unwrap_or_default();
        assert!(
            marks.is_empty() || marks == ["zombie"],
            "frame {}: {frame:?}",
            new_at + 1 + i
        );
    }

    // q: the shell's screen and modes as they were, status 0.
    tmux.keys(&["q"]);
    assert_terminal_back(&ns, &tmux, &before, &command, &modes, 0);
    tmux.kill_server();
}

/// A change of the window's size redraws at once (the interval is an
/// hour: no frame is due), cut to the new width and height with a last line
/// that says how many lines are hidden; Ctrl-C gives the terminal back.
#[test]
fn redraws_to_the_window_size_and_ctrl_c_gives_the_terminal_back() {
    if !support::have_tmux() {
        return;
    }
    let Some(ns) = Namespace::start(&scenario()) else {
        return;
    };
    let leader = ns.var("leader");
    let tmux = Tmux::new(&ns);
    tmux.wait_for_screen("the first prompt", prompt);
    // Eight more processes: 12 lines with the header, the session, the
    // group and the leader.
    order(
        &ns,
        "for n in 1 2 3 4 5 6 7 8; do sleep 20000$n </dev/null >/dev/null 2>&1 & done",
    );
    ns.wait_for("eight sleeps", |ps| {
        ps.iter()
            .filter(|p| p.sid == leader && p.cmdline().starts_with("sleep 20000"))
            .count()
            == 8
    });
    let modes = stty(&ns, &tmux, "stty.before");
    tmux.type_line("clear; echo the shell before");
    let before = tmux.wait_for_screen("the screen before", |rows| {
        rows == ["$ clear; echo the shell before", "the shell before", "$"]
            || rows == ["the shell before", "$"]
    });

    let command = format!("{PGTREE} --watch 1h -s {leader}");
    tmux.type_line(&command);
    let header = "pgtree: 9 processes, every 3600s (q quits)";
    let full = tmux.wait_for_screen("the whole frame", |rows| {
        rows.len() == 12 && rows[0] == header
    });
    assert!(!full.iter().any(|row| row.contains("hidden")), "{full:?}");

    // Shorter: 5 rows of the frame, and a sixth that says 7 are hidden.
    tmux.tmux(&["resize-window", "-x", "60", "-y", "6"]);
    let rows = tmux.wait_for_screen("the frame cut to 6 rows", |rows| {
        rows.len() == 6 && rows[0] == header
    });
    assert_eq!(rows[..5], full[..5], "{rows:?}");
    assert_eq!(rows[5], "… 7 more lines hidden");
    let cut_view = rows;

    // Scrolled: two lines down, to the end (the last line at the bottom),
    // and back to the top.
    tmux.keys(&["Down", "Down"]);
    let rows = tmux.wait_for_screen("two lines down", |rows| {
        rows.len() == 6 && rows[5] == "… 2 lines above, 5 below"
    });
    assert_eq!(rows[0], header);
    assert_eq!(rows[1..5], full[3..7], "{rows:?}");
    tmux.keys(&["End"]);
    let rows = tmux.wait_for_screen("the end", |rows| {
        rows.len() == 6 && rows[5] == "… 7 lines above"
    });
    assert_eq!(rows[1..5], full[8..12], "{rows:?}");
    tmux.keys(&["Home"]);
    tmux.wait_for_screen("the top again", |rows| rows == cut_view);

    // Narrower: every line cut at the edge, none wrapped.
    tmux.tmux(&["resize-window", "-x", "20", "-y", "6"]);
    let rows = tmux.wait_for_screen("the frame cut to 20 columns", |rows| {
        rows.first().is_some_and(|row| row.chars().count() == 20)
    });
    let cut = |row: &String| row.chars().take(20).collect::<String>();
    let wanted: Vec<String> = full[..5]
        .iter()
        .chain([&"… 7 more lines hidden".to_string()])
        .map(cut)
        .map(|row| row.trim_end().to_string())
        .collect();
    assert_eq!(rows, wanted);

    // Back to the whole frame, with nothing left of the cut one.
    tmux.tmux(&["resize-window", "-x", "120", "-y", "30"]);
    tmux.wait_for_screen("the whole frame again", |rows| rows == full);
    assert_eq!(display(&tmux, "#{alternate_on}"), "1");

    tmux.keys(&["C-c"]);
    assert_terminal_back(&ns, &tmux, &before, &command, &modes, 0);
    tmux.kill_server();
}

/// TERM from outside (a `kill` from another terminal) ends the view as `q`
/// does: the shell's screen and the terminal's modes come
/// back, and the status says the signal (128+15).
#[test]
fn term_from_outside_gives_the_terminal_back() {
    if !support::have_tmux() {
        return;
    }
    let Some(ns) = Namespace::start(&scenario()) else {
        return;
    };
    let leader = ns.var("leader");
    let tmux = Tmux::new(&ns);
    tmux.wait_for_screen("the first prompt", prompt);
    let modes = stty(&ns, &tmux, "stty.before");
    tmux.type_line("clear; echo the shell before");
    let before = tmux.wait_for_screen("the screen before", |rows| {
        rows == ["$ clear; echo the shell before", "the shell before", "$"]
            || rows == ["the shell before", "$"]
    });
    let command = format!("{PGTREE} --watch 1h -s {leader}");
    tmux.type_line(&command);
    tmux.wait_for_screen("a frame", |rows| {
        rows.first().is_some_and(|row| row.starts_with("pgtree: "))
    });
    let watcher = pid_of(&ns, &command);
    // The pgtree this test started, in its own namespace.
    let output = ns.sh(&format!("kill -TERM {watcher}"));
    assert_exit(&output, 0);
    assert_terminal_back(&ns, &tmux, &before, &command, &modes, 143);
    tmux.kill_server();
}

/// Ctrl-Z suspends the view as it suspends any job: the shell says it
/// stopped and has its screen and the terminal's modes back, and `fg`
/// brings the view back; SIGTSTP from outside does the same. The view then
/// ends with `q`, status 0.
#[test]
fn ctrl_z_suspends_the_view_and_fg_brings_it_back() {
    if !support::have_tmux() {
        return;
    }
    let Some(ns) = Namespace::start(&scenario()) else {
        return;
    };
    let leader = ns.var("leader");
    let tmux = Tmux::new(&ns);
    tmux.wait_for_screen("the first prompt", prompt);
    let modes = stty(&ns, &tmux, "stty.before");
    let command = format!("{PGTREE} --watch 1h -s {leader}");
    tmux.type_line(&format!("clear; {command}"));
    let framed = |rows: &[String]| rows.first().is_some_and(|row| row.starts_with("pgtree: "));
    tmux.wait_for_screen("a frame", framed);
    let watcher = pid_of(&ns, &command);

    for (round, stop) in ["Ctrl-Z", "TSTP from outside"].into_iter().enumerate() {
        if round == 0 {
            tmux.keys(&["C-z"]);
        } else {
            // The pgtree this test started, in its own namespace.
            assert_exit(&ns.sh(&format!("kill -TSTP {watcher}")), 0);
        }
        let rows = tmux.wait_for_screen(&format!("{stop}: the shell says it stopped"), |rows| {
            prompt(rows) && rows.iter().filter(|row| row.contains("Stopped")).count() == round + 1
        });
        assert!(
            rows.iter()
                .any(|row| row.starts_with("[1]+") && row.ends_with(&command)),
            "{stop}: {rows:?}"
        );
        assert_eq!(display(&tmux, "#{alternate_on}"), "0", "{stop}");
        assert_eq!(display(&tmux, "#{cursor_flag}"), "1", "{stop}");
        let state = ns
            .processes()
            .into_iter()
            .find(|p| p.pid == watcher)
            .map(|p| p.state);
        assert_eq!(state, Some('T'), "{stop}: the view's state");
        assert_eq!(
            stty(&ns, &tmux, &format!("stty.{round}")),
            modes,
            "{stop}: the modes"
        );

        tmux.type_line("fg");
        tmux.wait_for_screen(&format!("{stop}: the frame again"), framed);
        assert_eq!(display(&tmux, "#{alternate_on}"), "1", "{stop}");
    }

    tmux.keys(&["q"]);
    tmux.wait_for_screen("the shell after q", |rows| prompt(rows) && !framed(rows));
    assert_eq!(display(&tmux, "#{alternate_on}"), "0");
    tmux.type_line("echo \"status=$?\"");
    tmux.wait_for_screen("the status", |rows| {
        prompt(rows) && rows.iter().any(|row| row == "status=0")
    });
    assert_eq!(
        stty(&ns, &tmux, "stty.after"),
        modes,
        "the terminal's modes"
    );
    tmux.kill_server();
}

/// Without a terminal on standard output, --watch is refused in one line,
/// exit 2, before anything is read; so are a zero or malformed interval and
/// the row forms with --watch.
#[test]
fn refused_without_a_terminal_or_with_a_bad_interval() {
    let output = support::run(Command::new(PGTREE).arg("--watch"));
    let line = assert_one_line_error(&output, "pgtree", 2, "--watch, stdout piped");
    assert_eq!(
        line,
        "pgtree: error: --watch needs a terminal: standard output is not one"
    );
    for args in [
        &["--watch", "0"][..],
        &["--watch=0s"],
        &["--watch", "soon"],
        &["--watch", "--plain"],
        &["--watch", "--table"],
        &["--watch", "--json"],
        &["--watch=1s", "-o", "pid"],
    ] {
        let output = support::run(Command::new(PGTREE).args(args));
        let line = assert_one_line_error(&output, "pgtree", 2, &format!("{args:?}"));
        assert!(line.contains("--watch"), "{args:?}: {line}");
    }
}
