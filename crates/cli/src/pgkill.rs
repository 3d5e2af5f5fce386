//! `pgkill`: signal a process, a group or a whole session.
