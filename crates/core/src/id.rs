//! Typed process, group and session ids.
//!
//! The three are all `pid_t` to the kernel, which is exactly why tools mix
//! them up. Keeping them apart in the types is what lets `pgkill` refuse to
//! guess.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// Parses a positive decimal integer that fits in `pid_t`, naming `kind` and
/// the bad value in the error.
fn parse_positive(text: &str, kind: &str) -> Result<i32> {
    if text.is_empty() {
        return Err(Error::usage(format!("empty {kind}")));
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        let hint = if text.starts_with('-') && text[1..].bytes().all(|b| b.is_ascii_digit()) {
            "must be positive"
        } else {
            "not a number"
        };
        return Err(Error::usage(format!("invalid {kind} '{text}': {hint}")));
    }
    match text.parse::<i32>() {
        Ok(0) => Err(Error::usage(format!(
            "invalid {kind} '0': must be positive"
        ))),
        Ok(value) => Ok(value),
        Err(_) => Err(Error::usage(format!(
            "invalid {kind} '{text}': too large for a process id"
        ))),
    }
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(i32);

        impl $name {
            /// Wraps a raw id read from the kernel. Ids from the kernel may be
            /// 0 (kernel threads, leaders outside the PID namespace); such an
            /// id is shown but never a target, see [`Self::is_valid`].
            pub const fn from_raw(raw: i32) -> Self {
                $name(raw)
            }

            /// The raw `pid_t`.
            pub const fn as_raw(self) -> i32 {
                self.0
            }

            /// Whether this id names something (is positive). 0 never does.
            pub const fn is_valid(self) -> bool {
                self.0 > 0
            }
        }

        impl FromStr for $name {
            type Err = Error;

            /// A positive decimal integer that fits in `pid_t`.
            fn from_str(text: &str) -> Result<Self> {
                parse_positive(text, $kind).map($name)
            }
        }

        impl From<$name> for i32 {
            fn from(id: $name) -> i32 {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

typed_id!(
    /// A process id.
    Pid,
    "PID"
);
typed_id!(
    /// A process group id (the pid of the group's leader, who may be gone).
    Pgid,
    "PGID"
);
typed_id!(
    /// A session id (the pid of the session's leader, who may be gone).
    Sid,
    "SID"
);

impl Pid {
    /// The calling process.
    pub fn current() -> Pid {
        Pid(std::process::id() as i32)
    }
}

impl Pgid {
    /// The calling process's group.
    pub fn current() -> Pgid {
        Pgid(nix::unistd::getpgrp().as_raw())
    }

    /// Parses a PGID, or `self` for the caller's own group.
    pub fn parse_or_self(text: &str) -> Result<Pgid> {
        if text == "self" {
            own(Pgid::current(), "group")
        } else {
            text.parse()
        }
    }
}

impl Sid {
    /// The calling process's session.
    pub fn current() -> Sid {
        // getsid(0) cannot fail for the caller itself.
        Sid(nix::unistd::getsid(None).map_or(0, |sid| sid.as_raw()))
    }

    /// Parses a SID, or `self` for the caller's own session.
    pub fn parse_or_self(text: &str) -> Result<Sid> {
        if text == "self" {
            own(Sid::current(), "session")
        } else {
            text.parse()
        }
    }
}

/// The caller's own group or session for `self`. It reads as 0 when its
/// leader lies outside the caller's PID namespace (nsenter, containers);
/// 0 names nothing, and selecting it would mean every process whose group
/// or session is outside.
fn own<T: Copy + Into<i32>>(id: T, kind: &str) -> Result<T> {
    if id.into() > 0 {
        Ok(id)
    } else {
        Err(Error::usage(format!(
            "'self': the caller's own {kind} is outside this PID namespace (its id reads as 0)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_positive_ids() {
        assert_eq!("1".parse::<Pid>().unwrap(), Pid::from_raw(1));
        assert_eq!("2147483647".parse::<Sid>().unwrap().as_raw(), i32::MAX);
    }

    #[test]
    fn refuses_what_is_not_an_id() {
        for (bad, needle) in [
            ("0", "must be positive"),
            ("-5", "must be positive"),
            ("2147483648", "too large"),
            ("99999999999999999999", "too large"),
            ("abc", "not a number"),
            ("12a", "not a number"),
            (" 1", "not a number"),
            ("+1", "not a number"),
            ("", "empty"),
        ] {
            let message = bad.parse::<Pgid>().unwrap_err().to_string();
            assert!(message.contains(needle), "{bad:?}: {message}");
            assert!(message.contains("PGID"), "{bad:?}: {message}");
        }
    }

    #[test]
    fn self_means_the_caller() {
        // Inside a PID namespace entered from outside (CI containers,
        // nsenter) the caller's own session and group read as 0: then
        // `self` is refused rather than turned into 0.
        fn check<T: Copy + PartialEq + fmt::Debug + Into<i32>>(parsed: Result<T>, current: T) {
            if current.into() > 0 {
                assert_eq!(parsed.unwrap(), current);
            } else {
                let message = parsed.unwrap_err().to_string();
                assert!(message.contains("outside this PID namespace"), "{message}");
            }
        }
        check(Sid::parse_or_self("self"), Sid::current());
        check(Pgid::parse_or_self("self"), Pgid::current());
        assert!("self".parse::<Pid>().is_err());
    }

    #[test]
    fn an_own_id_of_zero_is_refused() {
        let message = own(Sid::from_raw(0), "session").unwrap_err().to_string();
        assert!(
            message.contains("session is outside this PID namespace"),
            "{message}"
        );
        assert_eq!(own(Pgid::from_raw(7), "group").unwrap(), Pgid::from_raw(7));
    }
}
