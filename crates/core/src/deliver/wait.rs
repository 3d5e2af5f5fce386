//! Waiting for signalled processes to exit, signalling newcomers, and
//! escalating to SIGKILL.

use std::time::{Duration, Instant};

use super::kill::group_is_gone;
use super::{session_members, Delivery, Outcome, Target, MAX_ROUNDS};
use crate::pidfd::{Opened, PidFd, Watch};
use crate::{Error, Fields, Pid, Process, Result, Signal, Snapshot};

impl Delivery {
    /// Waits until every signalled process has exited (a zombie has), and
    /// the targeted groups and sessions have no live member left. With
    /// `kill_after`, whatever is alive that long after the signal gets
    /// SIGKILL. Returns whether everything is gone; those still alive when
    /// `timeout` passes are marked [`Outcome::Survived`].
    pub fn wait(
        &mut self,
        timeout: Option<Duration>,
        kill_after: Option<Duration>,
    ) -> Result<bool> {
        let start = Instant::now();
        let deadline = timeout.map(|t| start + t);
        let mut kill_at = kill_after.map(|t| start + t);
        raise_fd_limit();
        loop {
            let mut pending = self.pending();
            if pending.is_empty() {
                // Everything known is gone: anything new in the scopes?
                if !self.signal_newcomers()? {
                    return Ok(true);
                }
                pending = self.pending();
            }
            let now = Instant::now();
            if kill_at.is_some_and(|at| now >= at) {
                kill_at = None;
                self.escalate()?;
                continue;
            }
            if deadline.is_some_and(|at| now >= at) {
                for i in pending {
                    self.entries[i].outcome = Outcome::Survived;
                }
                return Ok(false);
            }
            if pending.is_empty() {
                // Newcomers, gone again before their signal: look again.
                continue;
            }
            let wake = [deadline, kill_at].into_iter().flatten().min();
            self.poll_pending(&pending, wake.map(|at| at.saturating_duration_since(now)))?;
        }
    }

    /// The entries still to wait for.
    fn pending(&self) -> Vec<usize> {
        (0..self.entries.len())
            .filter(|&i| self.entries[i].outcome == Outcome::Signalled)
            .collect()
    }

    /// Waits on the pending processes' pidfds (opening them as the fd limit
    /// allows) and marks those that exited.
    fn poll_pending(&mut self, pending: &[usize], timeout: Option<Duration>) -> Result<()> {
        let watch = match self.watch.take() {
            Some(watch) => watch,
            None => Watch::new().map_err(|error| Error::os("epoll_create1", error))?,
        };
        let result = self.watch_pending(&watch, pending, timeout);
        self.watch = Some(watch);
        result
    }

    fn watch_pending(
        &mut self,
        watch: &Watch,
        pending: &[usize],
        timeout: Option<Duration>,
    ) -> Result<()> {
        let budget = fd_budget();
        let mut watched = 0;
        let mut gone = false;
        for &i in pending {
            if watched == budget {
                break;
            }
            let entry = &mut self.entries[i];
            if !entry.watched {
                let pidfd = match entry.pidfd.take() {
                    Some(pidfd) => pidfd,
                    None => match PidFd::open_unchecked(entry.process.pid) {
                        Ok(Some(pidfd)) => {
                            entry.checked = false;
                            self.unchecked.push(i);
                            pidfd
                        }
                        // Gone.
                        Ok(None) => {
                            entry.outcome = Outcome::Exited;
                            gone = true;
                            continue;
                        }
                        Err(error) => return Err(Error::os("pidfd_open", error)),
                    },
                };
                let added = watch.add(&pidfd, i as u64);
                entry.pidfd = Some(pidfd);
                added.map_err(|error| Error::os("epoll_ctl", error))?;
                entry.watched = true;
            }
            watched += 1;
        }
        gone |= self.take_exited(watch, Some(Duration::ZERO)) > 0;
        if gone {
            // Progress already: let the caller look again before blocking.
            return Ok(());
        }
        if !self.unchecked.is_empty() {
            // The pidfds opened without a check are checked a batch at a
            // time between looks for exits, and nothing blocks until all
            // are. One whose process exits first needs no check: whoever
            // has the PID has exited, and if that is not our process, ours
            // had exited before its PID could be reused. In a group that is
            // dying, most go before their turn.
            let batch = self.unchecked.len().saturating_sub(CHECK_BATCH);
            for i in self.unchecked.split_off(batch) {
                if self.entries[i].outcome == Outcome::Signalled {
                    self.confirm(i);
                }
            }
            return Ok(());
        }
        self.take_exited(watch, timeout);
        Ok(())
    }

    /// Whether entry `i`'s pidfd is that process: checked now if it was
    /// opened without a check (its start time read after the open, as
    /// [`PidFd::open`] does). If its PID belongs to someone else, the
    /// process has exited: it is marked so, and its pidfd closed (which
    /// takes it out of the watch).
    fn confirm(&mut self, i: usize) -> bool {
        let entry = &mut self.entries[i];
        let Some(pidfd) = &entry.pidfd else {
            return false;
        };
        if entry.checked {
            return true;
        }
        if pidfd.started_at(entry.process.pid, entry.process.starttime) {
            entry.checked = true;
            return true;
        }
        entry.outcome = Outcome::Exited;
        entry.pidfd = None;
        entry.watched = false;
        false
    }

    /// Marks the watched processes that have exited, waiting up to
    /// `timeout` for one; returns how many.
    fn take_exited(&mut self, watch: &Watch, timeout: Option<Duration>) -> usize {
        let exited = watch.wait(timeout);
        for &token in &exited {
            let entry = &mut self.entries[token as usize];
            entry.outcome = Outcome::Exited;
            entry.pidfd = None;
            entry.watched = false;
        }
        exited.len()
    }

    /// Signals live processes that joined the targeted groups or sessions
    /// after the signal (with SIGKILL once escalated); returns whether
    /// there were any, even if they were gone again before their signal:
    /// they may have forked others meanwhile.
    fn signal_newcomers(&mut self) -> Result<bool> {
        let emptied = |scope: &Target| matches!(*scope, Target::Pgid(pgid) if group_is_gone(pgid));
        if self.scopes.iter().all(emptied) {
            // No scan needed: nothing is left to fork a newcomer.
            return Ok(false);
        }
        let snapshot = Snapshot::read(Fields::default())?;
        let signal = if self.escalated {
            Signal::KILL
        } else {
            self.signal
        };
        let mut found = false;
        for scope in self.scopes.clone() {
            let newcomers: Vec<Process> = snapshot
                .processes()
                .iter()
                .filter(|p| !p.kernel_thread && !p.is_zombie() && scope.contains(p))
                .filter(|p| !self.is_known_exited(p))
                .cloned()
                .collect();
            if newcomers.is_empty() {
                continue;
            }
            found = true;
            match scope {
                Target::Pgid(pgid) => self.signal_group(pgid, &newcomers, signal),
                Target::Sid(sid) => self.signal_session_groups(sid, newcomers, signal)?,
                Target::Pid(_) => {}
            }
        }
        Ok(found || created_since(&snapshot, &self.scopes))
    }

    fn is_known_exited(&self, process: &Process) -> bool {
        self.index.get(&process.pid).is_some_and(|&i| {
            let entry = &self.entries[i];
            entry.process.starttime == process.starttime && entry.outcome != Outcome::Signalled
        })
    }

    /// SIGKILL for everything still alive: each pending process through its
    /// pidfd, and every targeted group and session again (newcomers too).
    fn escalate(&mut self) -> Result<()> {
        self.escalated = true;
        for i in self.pending() {
            if self.entries[i].pidfd.is_some() && !self.confirm(i) {
                // Gone: its PID belongs to someone else.
                continue;
            }
            let entry = &self.entries[i];
            if let Some(pidfd) = &entry.pidfd {
                let _ = pidfd.send(Signal::KILL);
            } else if let Ok(Opened::Same(pidfd)) =
                PidFd::open(entry.process.pid, entry.process.starttime)
            {
                let _ = pidfd.send(Signal::KILL);
            }
        }
        for scope in self.scopes.clone() {
            match scope {
                Target::Pgid(pgid) => {
                    let snapshot = Snapshot::read(Fields::default())?;
                    let members: Vec<Process> = snapshot
                        .processes()
                        .iter()
                        .filter(|p| p.pgid == pgid)
                        .cloned()
                        .collect();
                    self.signal_group(pgid, &members, Signal::KILL);
                }
                Target::Sid(sid) => {
                    let members = session_members(sid)?;
                    self.signal_session_groups(sid, members, Signal::KILL)?;
                }
                Target::Pid(_) => {}
            }
        }
        Ok(())
    }
}

/// How many pidfds opened without a check are checked between two looks
/// for exits.
const CHECK_BATCH: usize = 32;

/// Whether a live process of `scopes` was created while `snapshot` was
/// being read, or since. A process can fork a successor and exit between
/// the listing of /proc and the read of its stat, and then the snapshot
/// holds neither; the successor has a higher pid than everything listed
/// before it (barring a wrap of the pid counter), so listing /proc again
/// finds it. Repeats until a listing shows no pid above the previous ones.
fn created_since(snapshot: &Snapshot, scopes: &[Target]) -> bool {
    let mut highest = snapshot.processes().last().map_or(0, |p| p.pid.as_raw());
    for _ in 0..MAX_ROUNDS {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return false;
        };
        let newer: Vec<i32> = entries
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
            .filter(|&pid| pid > highest)
            .collect();
        let Some(&top) = newer.iter().max() else {
            return false;
        };
        for pid in newer {
            let Some(stat) = crate::snapshot::read_stat_of(Pid::from_raw(pid)) else {
                continue;
            };
            let in_scope = scopes.iter().any(|scope| match *scope {
                Target::Pgid(pgid) => stat.pgrp == pgid.as_raw(),
                Target::Sid(sid) => stat.session == sid.as_raw(),
                Target::Pid(_) => false,
            });
            if in_scope && stat.state != b'Z' && !stat.is_kernel_thread() {
                return true;
            }
        }
        highest = top;
    }
    false
}

/// Raises the soft limit on open files to the hard limit: one pidfd per
/// waited process.
fn raise_fd_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}

/// How many pidfds may be open at once, leaving room for other files.
fn fd_budget() -> usize {
    use nix::sys::resource::{getrlimit, Resource};
    let soft = getrlimit(Resource::RLIMIT_NOFILE).map_or(1024, |(soft, _)| soft);
    usize::try_from(soft)
        .unwrap_or(usize::MAX)
        .saturating_sub(64)
        .max(16)
}
