//! `pgtree --watch`: the tree, redrawn in place every interval on the
//! terminal's alternate screen, marking the processes that appeared since
//! the last frame `new` and showing once more, marked `gone`, those that
//! exited since.
//!
//! The terminal is driven by crossterm (raw mode, the alternate screen,
//! cursor moves and clears, keys and resizes): no escape sequence is
//! written by hand. A frame goes out in one write, inside a synchronized
//! update: each row is written over the last frame's row and then cleared
//! to its end, and the rows below the frame are cleared; nothing is
//! cleared before it is drawn over, so nothing flickers. A tree taller
//! than the window scrolls (arrows, page keys, Home/End). [`Screen`] gives
//! the terminal back (main screen, cursor, line wrap, cooked mode) on every
//! way out: a key, an error, a panic; and while the view is suspended
//! (Ctrl-Z, SIGTSTP), as a job.

use std::collections::HashSet;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::style::{Attribute, Print, SetAttribute};
use crossterm::terminal::{self, ClearType};
use crossterm::{cursor, queue};
use procgroup::spawn::Signals;
use procgroup::{parse_duration, Forest, Pid, Process, Selection, Signal, Snapshot};
use unicode_width::UnicodeWidthChar;

use super::tree::{self, Look};
use crate::common::{utf8_locale, ColorWhen, Failure, Paint};

/// `--watch`'s value: a duration as setsid-run takes them (`500ms`, `2s`,
/// `1m`), more than zero.
pub fn interval(text: &str) -> Result<Duration, String> {
    let interval = parse_duration(text).map_err(|error| error.to_string())?;
    if interval.is_zero() {
        return Err("the interval must be more than 0".to_string());
    }
    Ok(interval)
}

/// Shows the processes `selection` selects every `interval` until a key
/// says to stop; 0 then.
pub fn run(selection: &Selection, interval: Duration, color: ColorWhen) -> Result<i32, Failure> {
    // Checked first: nothing is drawn, and the terminal is left alone,
    // where there is no terminal to draw on or to read keys from.
    for (stream, terminal) in [
        ("output", io::stdout().is_terminal()),
        ("input", io::stdin().is_terminal()),
    ] {
        if !terminal {
            return Err(Failure::usage(format!(
                "--watch needs a terminal: standard {stream} is not one"
            )));
        }
    }
    let look = Look {
        paint: Paint {
            enabled: color.enabled(),
        },
        unicode: utf8_locale(),
        ino: false,
    };
    let fields = procgroup::Fields {
        // Sealed sessions and their escapees, as in the tree.
        seals: true,
        ..selection.fields()
    };
    // TERM, INT, HUP and QUIT from outside end the view as `q` does: the
    // terminal is given back before pgtree dies of them (128+N); TSTP
    // suspends it as Ctrl-Z does. Blocked, and read between frames.
    let signals = Signals::block(&[
        Signal::TERM,
        Signal::INT,
        Signal::HUP,
        Signal::QUIT,
        Signal::TSTP,
    ])
    .map_err(|e| Failure::new(1, format!("--watch: cannot watch signals: {e}")))?;
    let screen = Screen::enter()?;
    let mut view = View {
        look,
        interval,
        header: String::new(),
        frame: Frame::default(),
        top: 0,
        buffer: Vec::new(),
    };
    let mut last: Option<Last> = None;
    loop {
        let started = Instant::now();
        let snapshot =
            Snapshot::read(fields).map_err(|error| Failure::new(3, error.to_string()))?;
        let (frame, shown) = frame(selection, &snapshot, last.as_ref(), look)?;
        view.frame = frame;
        view.draw()?;
        last = Some(Last { snapshot, shown });
        // Keys and resizes until the next frame is due; at least one look
        // at the keys even when a frame takes longer than the interval.
        let due = started + interval;
        loop {
            match signals.take() {
                Ok(Some(Signal::TSTP)) => {
                    screen.suspend()?;
                    view.draw()?;
                }
                Ok(Some(signal)) => {
                    drop(screen);
                    signals.keep_blocked();
                    return Ok(128 + signal.number());
                }
                _ => {}
            }
            let wait = due
                .saturating_duration_since(Instant::now())
                .min(SIGNAL_LOOK);
            if event::poll(wait)? {
                match event::read()? {
                    Event::Key(key) if quits(key) => {
                        drop(screen);
                        signals.keep_blocked();
                        return Ok(0);
                    }
                    Event::Key(key) if suspends(key) => {
                        screen.suspend()?;
                        view.draw()?;
                    }
                    Event::Key(key) => view.scroll(key)?,
                    Event::Resize(..) => view.draw()?,
                    _ => {}
                }
            }
            if Instant::now() >= due {
                break;
            }
        }
    }
}

/// How often the view looks for a signal from outside while it waits.
const SIGNAL_LOOK: Duration = Duration::from_millis(100);

/// `q`, `Q`, Esc and Ctrl-C (raw mode reads it as a key, not a signal).
fn quits(key: KeyEvent) -> bool {
    key.kind != KeyEventKind::Release
        && match key.code {
            KeyCode::Char('q' | 'Q') | KeyCode::Esc => true,
            KeyCode::Char('c') => key.modifiers.contains(KeyModifiers::CONTROL),
            _ => false,
        }
}

/// Ctrl-Z (raw mode reads it as a key, not a signal).
fn suspends(key: KeyEvent) -> bool {
    key.kind != KeyEventKind::Release
        && key.code == KeyCode::Char('z')
        && key.modifiers.contains(KeyModifiers::CONTROL)
}

/// A process's identity across frames: a reused pid is another process.
type Key = (Pid, u64);

fn key(process: &Process) -> Key {
    (process.pid, process.starttime)
}

/// What the last frame was drawn from: its snapshot (whose processes that
/// have exited since are drawn once more, marked `gone`) and the processes
/// it showed.
struct Last {
    snapshot: Snapshot,
    shown: HashSet<Key>,
}

/// A frame's tree, drawn but not yet put on the screen.
#[derive(Default)]
struct Frame {
    /// The tree's lines, each ending in a newline.
    text: String,
    /// How many lines.
    lines: usize,
    /// How many live processes it shows (the gone ones not counted).
    processes: usize,
}

/// The frame of `snapshot`, and the processes it shows (for the next
/// frame's marks). Against the `last` frame: a process shown now and not
/// then is `new` (it started, or it matches now); a process shown then
/// that has exited is shown once more, in its last place, marked `gone`.
/// A process that is still there but no longer matches is simply left out.
fn frame(
    selection: &Selection,
    snapshot: &Snapshot,
    last: Option<&Last>,
    look: Look,
) -> io::Result<(Frame, HashSet<Key>)> {
    let selected = selection.select(snapshot);
    let shown: HashSet<Key> = selected.iter().map(|p| key(p)).collect();
    let pids: HashSet<Pid> = selected.iter().map(|p| p.pid).collect();
    let gone: Vec<&Process> = last
        .map(|last| {
            last.snapshot
                .processes()
                .iter()
                .filter(|p| {
                    last.shown.contains(&key(p))
                        // A pid shown now (reused already) is not drawn twice.
                        && !pids.contains(&p.pid)
                        && snapshot
                            .get(p.pid)
                            .is_none_or(|now| now.starttime != p.starttime)
                })
                .collect()
        })
        .unwrap_or_default();
    let gone_keys: HashSet<Key> = gone.iter().map(|p| key(p)).collect();
    let processes = selected.len();
    let forest = Forest::of(snapshot, selected.into_iter().chain(gone));
    let paint = look.paint;
    let mark = |p: &Process| {
        let key = key(p);
        if gone_keys.contains(&key) {
            Some(paint.red("gone"))
        } else if last.is_some_and(|last| !last.shown.contains(&key)) {
            Some(paint.green("new"))
        } else {
            None
        }
    };
    let mut bytes = Vec::with_capacity(64 * processes + 256);
    tree::render(&mut bytes, &forest, look, &mark)?;
    let text = String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned());
    let lines = text.lines().count();
    Ok((
        Frame {
            text,
            lines,
            processes,
        },
        shown,
    ))
}

/// What is on the screen, to draw again at another size.
struct View {
    look: Look,
    interval: Duration,
    header: String,
    frame: Frame,
    /// The first line of the frame shown (scrolled down that far).
    top: usize,
    /// The bytes of one frame, reused.
    buffer: Vec<u8>,
}

impl View {
    /// Puts the frame on the screen at the terminal's present size.
    fn draw(&mut self) -> io::Result<()> {
        let size = terminal::size().unwrap_or((80, 24));
        let processes = match self.frame.processes {
            1 => "1 process".to_string(),
            n => format!("{n} processes"),
        };
        self.header = format!("pgtree: {processes}, every {:?} (q quits)", self.interval);
        self.buffer.clear();
        self.top = compose(
            &mut self.buffer,
            &self.header,
            &self.frame,
            size,
            self.look.unicode,
            self.top,
        )?;
        let mut stdout = io::stdout().lock();
        stdout.write_all(&self.buffer)?;
        stdout.flush()
    }

    /// Scrolls as `key` says, if it is a scrolling key (arrows, `j`/`k`,
    /// page keys, space, `b`, Home/End, `g`/`G`), and redraws. [`compose`]
    /// keeps the frame's last line at the bottom.
    fn scroll(&mut self, key: KeyEvent) -> io::Result<()> {
        if key.kind == KeyEventKind::Release || key.modifiers.contains(KeyModifiers::CONTROL) {
            return Ok(());
        }
        let rows = usize::from(terminal::size().map_or(24, |(_, rows)| rows));
        // The frame's lines a screen shows when it does not show them all.
        let page = rows.saturating_sub(2).max(1);
        self.top = match key.code {
            KeyCode::Down | KeyCode::Char('j') => self.top.saturating_add(1),
            KeyCode::Up | KeyCode::Char('k') => self.top.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => self.top.saturating_add(page),
            KeyCode::PageUp | KeyCode::Char('b') => self.top.saturating_sub(page),
            KeyCode::Home | KeyCode::Char('g') => 0,
            KeyCode::End | KeyCode::Char('G') => usize::MAX,
            _ => return Ok(()),
        };
        self.draw()
    }
}

/// The bytes that draw `header` and `frame` over whatever the screen of
/// `columns` x `rows` shows, the frame from its line `top` on: every row
/// written over and cleared to its end, the rows below cleared. Lines are
/// cut at the right edge (never wrapped); when the frame is taller than the
/// screen, its last row says how many lines are hidden (below, and above
/// once scrolled). `top` is kept so that the frame's last line stays at the
/// bottom; the `top` drawn is returned.
fn compose(
    out: &mut Vec<u8>,
    header: &str,
    frame: &Frame,
    (columns, rows): (u16, u16),
    unicode: bool,
    top: usize,
) -> io::Result<usize> {
    let body = usize::from(rows).saturating_sub(1);
    let (top, shown, note) = if frame.lines <= body {
        (0, frame.lines, None)
    } else {
        let shown = body.saturating_sub(1);
        let top = top.min(frame.lines - shown);
        let below = frame.lines - top - shown;
        let dots = if unicode { "…" } else { "..." };
        let lines = |n: usize| if n == 1 { "line" } else { "lines" };
        let note = match (top, below) {
            (0, _) => format!("{dots} {below} more {} hidden", lines(below)),
            (_, 0) => format!("{dots} {top} {} above", lines(top)),
            _ => format!("{dots} {top} {} above, {below} below", lines(top)),
        };
        (top, shown, Some(note))
    };
    queue!(out, terminal::BeginSynchronizedUpdate)?;
    let mut row: u16 = 0;
    let body = frame.text.lines().skip(top).take(shown);
    for line in std::iter::once(header).chain(body).take(usize::from(rows)) {
        put_row(out, row, line, columns)?;
        row += 1;
    }
    if let Some(note) = note.filter(|_| row < rows) {
        put_row(out, row, &note, columns)?;
        row += 1;
    }
    if row < rows {
        queue!(
            out,
            cursor::MoveTo(0, row),
            terminal::Clear(ClearType::FromCursorDown)
        )?;
    }
    queue!(out, terminal::EndSynchronizedUpdate)?;
    Ok(top)
}

/// Writes `line` on screen row `row`, cut to `columns`, and clears the
/// rest of the row.
fn put_row(out: &mut Vec<u8>, row: u16, line: &str, columns: u16) -> io::Result<()> {
    let (part, width, cut) = clip(line, usize::from(columns));
    queue!(out, cursor::MoveTo(0, row), Print(part))?;
    if cut {
        // A color cut off before its end would run on.
        queue!(out, SetAttribute(Attribute::Reset))?;
    }
    // Not on a full row: the cursor stands on its last cell, which a clear
    // would take with it.
    if width < usize::from(columns) {
        queue!(out, terminal::Clear(ClearType::UntilNewLine))?;
    }
    Ok(())
}

/// The start of `line` that fits in `columns` cells, the cells it takes,
/// and whether anything was cut off. The colors' control sequences (CSI …
/// final byte) take no cells; a wide character takes two.
fn clip(line: &str, columns: usize) -> (&str, usize, bool) {
    let mut width = 0;
    let mut chars = line.char_indices();
    while let Some((at, c)) = chars.next() {
        if c == '\x1b' {
            let mut sequence = chars.clone();
            if let Some((_, '[')) = sequence.next() {
                for (_, c) in sequence.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
                chars = sequence;
            }
            continue;
        }
        let cells = c.width().unwrap_or(0);
        if width + cells > columns {
            return (&line[..at], width, true);
        }
        width += cells;
    }
    (line, width, false)
}

/// Whether the terminal is in the watch's modes, for [`restore`].
static ENTERED: AtomicBool = AtomicBool::new(false);

/// The terminal in the watch's modes (raw, alternate screen, no cursor, no
/// line wrap) while this lives; dropping it gives the terminal back.
struct Screen;

impl Screen {
    fn enter() -> io::Result<Screen> {
        // The release build aborts on a panic without unwinding, so no
        // Drop runs: the hook gives the terminal back before the message.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        let screen = Screen;
        screen.modes_on()?;
        Ok(screen)
    }

    fn modes_on(&self) -> io::Result<()> {
        terminal::enable_raw_mode()?;
        ENTERED.store(true, Ordering::SeqCst);
        let mut stdout = io::stdout();
        queue!(
            stdout,
            terminal::EnterAlternateScreen,
            terminal::DisableLineWrap,
            cursor::Hide
        )?;
        stdout.flush()
    }

    /// Ctrl-Z: gives the terminal back and stops, as a job does, so that
    /// the shell shows the view stopped and takes the terminal; once
    /// continued (`fg`), takes the terminal's modes again. The stop is
    /// SIGTSTP's own, unblocked for the moment: in an orphaned group, which
    /// no shell would continue, the kernel discards it and the view goes
    /// on.
    fn suspend(&self) -> io::Result<()> {
        use nix::sys::signal::{raise, SigSet, Signal as Raw};
        restore();
        let mut stop = SigSet::empty();
        stop.add(Raw::SIGTSTP);
        let _ = stop.thread_unblock();
        let _ = raise(Raw::SIGTSTP);
        let _ = stop.thread_block();
        self.modes_on()
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
    }
}

/// Gives the terminal back: cursor, line wrap, main screen, cooked mode.
/// Once; what fails is left (the terminal may be gone).
fn restore() {
    if !ENTERED.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut stdout = io::stdout();
    let _ = queue!(
        stdout,
        SetAttribute(Attribute::Reset),
        cursor::Show,
        terminal::EnableLineWrap,
        terminal::LeaveAlternateScreen
    );
    let _ = stdout.flush();
    let _ = terminal::disable_raw_mode();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(pid: i32, ppid: i32, pgid: i32, sid: i32, comm: &str) -> Process {
        Process::synthetic(pid, ppid, pgid, sid, comm)
    }

    fn look() -> Look {
        Look {
            paint: Paint { enabled: false },
            unicode: true,
            ino: false,
        }
    }

    fn everything() -> Selection {
        Selection::default()
    }

    #[test]
    fn intervals() {
        assert_eq!(interval("200ms"), Ok(Duration::from_millis(200)));
        assert_eq!(interval("1s"), Ok(Duration::from_secs(1)));
        assert!(interval("0").is_err());
        assert!(interval("0s").is_err());
        assert!(interval("soon").is_err());
        assert!(interval("").is_err());
    }

    #[test]
    fn marks_new_and_gone_for_one_frame() {
        let first = Snapshot::from_processes(vec![
            process(10, 1, 10, 10, "sh"),
            process(11, 10, 10, 10, "old"),
        ]);
        let (frame0, shown) = frame(&everything(), &first, None, look()).unwrap();
        assert!(!frame0.text.contains("new") && !frame0.text.contains("gone"));
        let last = Last {
            snapshot: first,
            shown,
        };
        let second = Snapshot::from_processes(vec![
            process(10, 1, 10, 10, "sh"),
            process(12, 10, 10, 10, "young"),
        ]);
        let (frame1, shown) = frame(&everything(), &second, Some(&last), look()).unwrap();
        assert!(frame1.text.contains("├─ old 11 gone\n"), "{}", frame1.text);
        assert!(frame1.text.contains("young 12 new\n"), "{}", frame1.text);
        assert!(frame1.text.contains("sh 10 session leader\n"));
        assert_eq!(frame1.processes, 2);
        let last = Last {
            snapshot: second.clone(),
            shown,
        };
        let (frame2, _) = frame(&everything(), &second, Some(&last), look()).unwrap();
        assert!(!frame2.text.contains("old"), "{}", frame2.text);
        assert!(frame2.text.contains("young 12\n"), "{}", frame2.text);
    }

    #[test]
    fn a_reused_pid_is_a_new_process() {
        let mut before = process(11, 1, 11, 11, "a");
        before.starttime = 100;
        let mut after = process(11, 1, 11, 11, "b");
        after.starttime = 200;
        let last = Last {
            snapshot: Snapshot::from_processes(vec![before]),
            shown: [(Pid::from_raw(11), 100)].into(),
        };
        let now = Snapshot::from_processes(vec![after]);
        let (frame, _) = frame(&everything(), &now, Some(&last), look()).unwrap();
        assert!(
            frame.text.contains("b 11 session leader new\n"),
            "{}",
            frame.text
        );
        assert!(!frame.text.contains("gone"), "{}", frame.text);
    }

    #[test]
    fn clips_by_cells_not_bytes_nor_colors() {
        assert_eq!(clip("abc", 5), ("abc", 3, false));
        assert_eq!(clip("abcdef", 3), ("abc", 3, true));
        assert_eq!(clip("├─ x", 3), ("├─ ", 3, true));
        // A wide character does not fit in the last cell.
        assert_eq!(clip("a漢", 2), ("a", 1, true));
        let red = Paint { enabled: true }.red("gone");
        let line = format!("x {red}");
        assert_eq!(clip(&line, 6), (line.as_str(), 6, false));
        let (part, width, cut) = clip(&line, 4);
        assert_eq!((width, cut), (4, true));
        assert!(
            part.starts_with("x \x1b[") && part.ends_with("go"),
            "{part:?}"
        );
    }

    fn frame_of(lines: usize) -> Frame {
        let text: String = (0..lines).map(|i| format!("line {i}\n")).collect();
        Frame {
            text,
            lines,
            processes: lines,
        }
    }

    /// What `compose` writes, as text: control sequences out.
    fn visible(bytes: &[u8]) -> String {
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find('\x1b') {
            out.push_str(&rest[..at]);
            let end = rest[at + 2..]
                .find(|c: char| ('@'..='~').contains(&c))
                .unwrap();
            out.push('|');
            rest = &rest[at + 2 + end + 1..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn a_tall_frame_says_what_is_hidden() {
        let mut out = Vec::new();
        compose(&mut out, "head", &frame_of(10), (40, 5), true, 0).unwrap();
        let text = visible(&out);
        assert!(text.contains("|line 2|"), "{text}");
        assert!(!text.contains("line 3"), "{text}");
        assert!(text.contains("|… 7 more lines hidden|"), "{text}");
        // The screen is full: nothing below to clear.
        assert!(!out.windows(3).any(|w| w == b"\x1b[J"));

        let mut out = Vec::new();
        compose(&mut out, "head", &frame_of(2), (40, 5), false, 0).unwrap();
        let text = visible(&out);
        assert!(
            text.contains("line 1") && !text.contains("hidden"),
            "{text}"
        );
        assert!(out.windows(3).any(|w| w == b"\x1b[J"));
    }

    #[test]
    fn a_scrolled_frame_says_what_is_above_and_below() {
        let mut out = Vec::new();
        let top = compose(&mut out, "head", &frame_of(10), (40, 5), true, 3).unwrap();
        let text = visible(&out);
        assert_eq!(top, 3);
        assert!(
            text.contains("|line 3|") && text.contains("|line 5|"),
            "{text}"
        );
        assert!(
            !text.contains("line 2") && !text.contains("line 6"),
            "{text}"
        );
        assert!(text.contains("|… 3 lines above, 4 below|"), "{text}");

        // Past the end: the last line stays at the bottom.
        let mut out = Vec::new();
        let top = compose(&mut out, "head", &frame_of(10), (40, 5), false, 100).unwrap();
        let text = visible(&out);
        assert_eq!(top, 7);
        assert!(
            text.contains("|line 9|") && !text.contains("line 6"),
            "{text}"
        );
        assert!(text.contains("|... 7 lines above|"), "{text}");

        // A frame that fits is shown whole, whatever the scroll.
        let mut out = Vec::new();
        assert_eq!(
            compose(&mut out, "head", &frame_of(2), (40, 5), true, 5).unwrap(),
            0
        );
    }

    #[test]
    fn a_full_row_is_not_cleared() {
        let mut out = Vec::new();
        put_row(&mut out, 0, "abcd", 4).unwrap();
        assert!(!out.windows(3).any(|w| w == b"\x1b[K"));
        let mut out = Vec::new();
        put_row(&mut out, 0, "abc", 4).unwrap();
        assert!(out.windows(3).any(|w| w == b"\x1b[K"));
    }
}
