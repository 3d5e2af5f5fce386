//! Spawning a command into a new session.
