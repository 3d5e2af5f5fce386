//! `setsid-run`: start a command in a new session.
