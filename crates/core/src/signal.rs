//! Signals: parsing the way users type them, and the table `pgkill -l` prints.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// A signal number that this system knows (1 to SIGRTMAX), or 0, the
/// null signal of `kill -0` ([`Signal::PROBE`]): nothing is sent, the
/// kernel only checks that the target exists and may be signalled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signal(i32);

/// The named (non-realtime) signals: number, name without `SIG`, description.
const NAMED: &[(i32, &str, &str)] = &[
    (libc::SIGHUP, "HUP", "Hangup"),
    (libc::SIGINT, "INT", "Interrupt"),
    (libc::SIGQUIT, "QUIT", "Quit"),
    (libc::SIGILL, "ILL", "Illegal instruction"),
    (libc::SIGTRAP, "TRAP", "Trace/breakpoint trap"),
    (libc::SIGABRT, "ABRT", "Aborted"),
    (libc::SIGBUS, "BUS", "Bus error"),
    (libc::SIGFPE, "FPE", "Floating point exception"),
    (libc::SIGKILL, "KILL", "Killed"),
    (libc::SIGUSR1, "USR1", "User defined signal 1"),
    (libc::SIGSEGV, "SEGV", "Segmentation fault"),
    (libc::SIGUSR2, "USR2", "User defined signal 2"),
    (libc::SIGPIPE, "PIPE", "Broken pipe"),
    (libc::SIGALRM, "ALRM", "Alarm clock"),
    (libc::SIGTERM, "TERM", "Terminated"),
    #[cfg(any(target_os = "linux", target_os = "android"))]
    (libc::SIGSTKFLT, "STKFLT", "Stack fault"),
    (libc::SIGCHLD, "CHLD", "Child exited"),
    (libc::SIGCONT, "CONT", "Continued"),
    (libc::SIGSTOP, "STOP", "Stopped (signal)"),
    (libc::SIGTSTP, "TSTP", "Stopped"),
    (libc::SIGTTIN, "TTIN", "Stopped (tty input)"),
    (libc::SIGTTOU, "TTOU", "Stopped (tty output)"),
    (libc::SIGURG, "URG", "Urgent I/O condition"),
    (libc::SIGXCPU, "XCPU", "CPU time limit exceeded"),
    (libc::SIGXFSZ, "XFSZ", "File size limit exceeded"),
    (libc::SIGVTALRM, "VTALRM", "Virtual timer expired"),
    (libc::SIGPROF, "PROF", "Profiling timer expired"),
    (libc::SIGWINCH, "WINCH", "Window changed"),
    (libc::SIGIO, "IO", "I/O possible"),
    #[cfg(any(target_os = "linux", target_os = "android"))]
    (libc::SIGPWR, "PWR", "Power failure"),
    (libc::SIGSYS, "SYS", "Bad system call"),
];

/// Other names users type for the same signals.
const ALIASES: &[(&str, i32)] = &[
    ("IOT", libc::SIGABRT),
    ("CLD", libc::SIGCHLD),
    #[cfg(any(target_os = "linux", target_os = "android"))]
    ("POLL", libc::SIGPOLL),
];

/// The realtime range `(SIGRTMIN, SIGRTMAX)` of the C library, if any.
fn realtime_range() -> Option<(i32, i32)> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        Some((libc::SIGRTMIN(), libc::SIGRTMAX()))
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        None
    }
}

impl Signal {
    /// SIGHUP: Hangup.
    pub const HUP: Signal = Signal(libc::SIGHUP);
    /// SIGINT: Interrupt (^C).
    pub const INT: Signal = Signal(libc::SIGINT);
    /// SIGQUIT: Quit (^\\).
    pub const QUIT: Signal = Signal(libc::SIGQUIT);
    /// SIGKILL: Kill: cannot be caught or ignored.
    pub const KILL: Signal = Signal(libc::SIGKILL);
    /// SIGTERM: Terminate: the polite default.
    pub const TERM: Signal = Signal(libc::SIGTERM);
    /// SIGSTOP: Stop: cannot be caught or ignored.
    pub const STOP: Signal = Signal(libc::SIGSTOP);
    /// SIGCONT: Continue a stopped process.
    pub const CONT: Signal = Signal(libc::SIGCONT);
    /// SIGCHLD: A child stopped or exited.
    pub const CHLD: Signal = Signal(libc::SIGCHLD);
    /// SIGTSTP: Stop from the terminal (^Z).
    pub const TSTP: Signal = Signal(libc::SIGTSTP);
    /// SIGTTIN: A background process read the terminal.
    pub const TTIN: Signal = Signal(libc::SIGTTIN);
    /// SIGTTOU: A background process wrote to the terminal.
    pub const TTOU: Signal = Signal(libc::SIGTTOU);
    /// Signal 0, as in `kill -0`: sends nothing; the kernel only checks
    /// that the target exists and that the caller may signal it. Parsed
    /// from `0` only (not `SIG0`), never listed by [`Signal::all`].
    pub const PROBE: Signal = Signal(0);

    /// Whether this is signal 0 ([`Signal::PROBE`]), which sends nothing.
    pub const fn is_probe(self) -> bool {
        self.0 == 0
    }

    /// The signal with this number, if the system has it (not 0: see
    /// [`Signal::PROBE`]).
    pub fn from_number(number: i32) -> Option<Signal> {
        let named = NAMED.iter().any(|&(n, _, _)| n == number);
        let realtime = realtime_range().is_some_and(|(lo, hi)| (lo..=hi).contains(&number));
        (named || realtime).then_some(Signal(number))
    }

    /// The signal number.
    pub const fn number(self) -> i32 {
        self.0
    }

    /// The name without `SIG`: `TERM`, `RTMIN+3`, `RTMAX`; `0` for
    /// [`Signal::PROBE`].
    pub fn name(self) -> String {
        if self.is_probe() {
            return "0".to_string();
        }
        if let Some(&(_, name, _)) = NAMED.iter().find(|&&(n, _, _)| n == self.0) {
            return name.to_string();
        }
        let (lo, hi) = realtime_range().unwrap_or((0, 0));
        // Like bash: the lower half counts up from RTMIN, the upper half
        // counts down from RTMAX.
        let offset_low = self.0 - lo;
        let offset_high = hi - self.0;
        match (offset_low, offset_high) {
            (0, _) => "RTMIN".to_string(),
            (_, 0) => "RTMAX".to_string(),
            (low, high) if low <= high => format!("RTMIN+{low}"),
            (_, high) => format!("RTMAX-{high}"),
        }
    }

    /// A short description, as strsignal(3) gives it.
    pub fn description(self) -> String {
        if self.is_probe() {
            return "No signal: only checks that the target exists and may be signalled"
                .to_string();
        }
        match NAMED.iter().find(|&&(n, _, _)| n == self.0) {
            Some(&(_, _, description)) => description.to_string(),
            None => format!("Real-time signal {}", self.name()),
        }
    }

    /// Every signal of this system, in number order.
    pub fn all() -> Vec<Signal> {
        let mut all: Vec<Signal> = NAMED.iter().map(|&(n, _, _)| Signal(n)).collect();
        if let Some((lo, hi)) = realtime_range() {
            all.extend((lo..=hi).map(Signal));
        }
        all.sort();
        all
    }

    /// Whether the default action of this signal ends the process, so that
    /// waiting for the target to exit makes sense. Signal 0 sends nothing,
    /// and so ends nothing.
    pub fn terminates(self) -> bool {
        !matches!(
            self.0,
            0 | libc::SIGCHLD
                | libc::SIGCONT
                | libc::SIGSTOP
                | libc::SIGTSTP
                | libc::SIGTTIN
                | libc::SIGTTOU
                | libc::SIGURG
                | libc::SIGWINCH
        )
    }

    /// Parses a signal name with or without `SIG`, in any case, or a number;
    /// `0` (that spelling only) is [`Signal::PROBE`].
    fn parse_name(text: &str) -> Option<Signal> {
        if text == "0" {
            return Some(Signal::PROBE);
        }
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return text.parse().ok().and_then(Signal::from_number);
        }
        let upper = text.to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        if let Some(&(n, _, _)) = NAMED.iter().find(|&&(_, known, _)| known == name) {
            return Some(Signal(n));
        }
        if let Some(&(_, n)) = ALIASES.iter().find(|&&(alias, _)| alias == name) {
            return Some(Signal(n));
        }
        let (lo, hi) = realtime_range()?;
        let number = if let Some(rest) = name.strip_prefix("RTMIN") {
            lo + realtime_offset(rest, '+')?
        } else if let Some(rest) = name.strip_prefix("RTMAX") {
            hi - realtime_offset(rest, '-')?
        } else {
            return None;
        };
        (lo..=hi).contains(&number).then_some(Signal(number))
    }
}

/// The `+n` after RTMIN or the `-n` after RTMAX; empty means 0.
fn realtime_offset(rest: &str, sign: char) -> Option<i32> {
    if rest.is_empty() {
        return Some(0);
    }
    let digits = rest.strip_prefix(sign)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl FromStr for Signal {
    type Err = Error;

    /// `TERM`, `SIGTERM`, `term`, `15`, `RTMIN+3`, `SIGRTMAX-1`, and `0`.
    fn from_str(text: &str) -> Result<Signal> {
        Signal::parse_name(text).ok_or_else(|| {
            if text.is_empty() {
                Error::usage("empty signal")
            } else {
                Error::usage(format!("unknown signal '{text}'"))
            }
        })
    }
}

impl fmt::Display for Signal {
    /// `SIGTERM`; `signal 0` for [`Signal::PROBE`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_probe() {
            return f.write_str("signal 0");
        }
        write!(f, "SIG{}", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling() {
        for text in ["TERM", "SIGTERM", "term", "sigTerm", "15"] {
            assert_eq!(text.parse::<Signal>().unwrap(), Signal::TERM, "{text}");
        }
        assert_eq!("kill".parse::<Signal>().unwrap().number(), 9);
        assert_eq!("IOT".parse::<Signal>().unwrap().name(), "ABRT");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn parses_realtime_signals() {
        let lo = libc::SIGRTMIN();
        let hi = libc::SIGRTMAX();
        assert_eq!("RTMIN".parse::<Signal>().unwrap().number(), lo);
        assert_eq!("RTMIN+3".parse::<Signal>().unwrap().number(), lo + 3);
        assert_eq!("sigrtmin+3".parse::<Signal>().unwrap().number(), lo + 3);
        assert_eq!("SIGRTMAX-1".parse::<Signal>().unwrap().number(), hi - 1);
        assert_eq!("RTMAX".parse::<Signal>().unwrap().number(), hi);
        assert_eq!(Signal::from_number(lo + 3).unwrap().name(), "RTMIN+3");
        assert_eq!(Signal::from_number(hi - 2).unwrap().name(), "RTMAX-2");
        assert!("RTMIN+99".parse::<Signal>().is_err());
        assert!("RTMAX+1".parse::<Signal>().is_err());
        assert!("RTMIN+".parse::<Signal>().is_err());
    }

    #[test]
    fn refuses_unknown_signals() {
        for bad in [
            "",
            "00",
            "SIG0",
            "sig0",
            "+0",
            "-0",
            "65",
            "999999999999",
            "FOO",
            "SIG",
            "-9",
            "9x",
            "TERM ",
        ] {
            assert!(bad.parse::<Signal>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn zero_is_the_probe_and_nothing_else() {
        let zero: Signal = "0".parse().unwrap();
        assert_eq!(zero, Signal::PROBE);
        assert!(zero.is_probe() && !zero.terminates());
        assert_eq!((zero.number(), zero.name()), (0, "0".to_string()));
        assert_eq!(zero.to_string(), "signal 0");
        assert_eq!(Signal::from_number(0), None);
        assert!(!Signal::all().contains(&zero));
        assert!(Signal::all().iter().all(|s| !s.is_probe()));
    }

    #[test]
    fn every_signal_round_trips_through_its_name() {
        for signal in Signal::all() {
            assert_eq!(signal.name().parse::<Signal>().unwrap(), signal);
            assert!(!signal.description().is_empty());
        }
    }
}
