//! Waiting for signalled processes to exit, signalling newcomers, and
//! escalating to SIGKILL.

use std::time::{Duration, Instant};

use super::{created_since, highest_pid, session_members, Delivery, Outcome, Target};
use crate::pidfd::{PidFd, Watch};
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
        let mut late = LateScan::new(start);
        raise_fd_limit();
        loop {
            self.let_go_late();
            let mut pending = self.pending();
            if pending.is_empty() {
                // Everything known is gone: anything new in the scopes?
                if !self.signal_newcomers()? {
                    // And the leaves signalled: empty? (Or newcomers in them.)
                    match self.wait_leaves(deadline, &mut kill_at, &mut late)? {
                        Some(emptied) => return Ok(emptied),
                        None => continue,
                    }
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
            if late.is_due(now) {
                // Known members are still there: whatever joined the
                // scopes meanwhile gets its signal now, while they prove
                // the scopes are the ones targeted.
                let found = self.signal_late_joiners()?;
                late.scanned(Instant::now(), found);
                continue;
            }
            let scan_at = (!self.scopes.is_empty() || !self.leaves.is_empty()).then_some(late.next);
            let wake = [deadline, kill_at, scan_at].into_iter().flatten().min();
            self.poll_pending(&pending, wake.map(|at| at.saturating_duration_since(now)))?;
        }
    }

    /// Lets go the threads of frozen sessions that had not stopped when
    /// the session was let go, and have stopped since (for their
    /// interrupt: they take their signal once let go); whether any is
    /// still held. A caller that outlives the delivery without waiting
    /// (setsid-run, which forwards signals) calls it now and then.
    pub fn let_go_late(&mut self) -> bool {
        self.late
            .retain_mut(|freeze| !freeze.release(Duration::ZERO));
        !self.late.is_empty()
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
    /// opened without a check (its start time read after the open, from
    /// the process the fd pins). One that reads as in the entry's group or
    /// session is taken only while that scope is proven to be the one
    /// targeted: else it may have founded a new one of that id. If its PID
    /// belongs to someone else, the process has exited: it is marked so,
    /// and its pidfd closed (which takes it out of the watch).
    fn confirm(&mut self, i: usize) -> bool {
        let entry = &self.entries[i];
        let Some(pidfd) = &entry.pidfd else {
            return false;
        };
        if entry.checked {
            return true;
        }
        let same = pidfd.stat(entry.process.pid).is_some_and(|stat| {
            stat.starttime == entry.process.starttime
                && entry.scope.is_none_or(|scope| {
                    let scope = &mut self.scopes[scope];
                    !scope.target.holds(&stat) || scope.is_live()
                })
        });
        let entry = &mut self.entries[i];
        if same {
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
    /// after the signal (with SIGKILL once escalated), in the scopes still
    /// proven to be the ones targeted; returns whether there were any, even
    /// if they were gone again before their signal: they may have forked
    /// others meanwhile.
    fn signal_newcomers(&mut self) -> Result<bool> {
        let live: Vec<usize> = (0..self.scopes.len())
            .filter(|&scope| self.scopes[scope].is_live())
            .collect();
        if live.is_empty() {
            // No scan needed: nothing is left that could be a newcomer.
            return Ok(false);
        }
        let snapshot = Snapshot::read(Fields::default())?;
        let signal = self.signal_now();
        let mut found = false;
        for &scope in &live {
            let target = self.scopes[scope].target;
            let newcomers = Self::unknown_in(&snapshot, target, |p| self.is_known_exited(p));
            if newcomers.is_empty() {
                continue;
            }
            found = true;
            self.signal_scope(scope, &newcomers, signal)?;
        }
        let targets: Vec<Target> = live.iter().map(|&s| self.scopes[s].target).collect();
        Ok(found || !created_since(highest_pid(&snapshot), &targets).0.is_empty())
    }

    /// Signals `members`, seen in scope `scope`, as that scope's kind asks.
    fn signal_scope(&mut self, scope: usize, members: &[Process], signal: Signal) -> Result<()> {
        match self.scopes[scope].target {
            Target::Pgid(pgid) => self.signal_group(scope, pgid, members, signal),
            Target::Sid(sid) => self.signal_session_groups(scope, sid, members, signal)?,
            Target::Pid(_) => {}
        }
        Ok(())
    }

    /// Signals, each through a pidfd, the live processes of the targeted
    /// groups and sessions that were not signalled yet (with SIGKILL once
    /// escalated), in the scopes still proven to be the ones targeted: the
    /// processes that joined them after the signal (a child a member
    /// forks in its handler of the signal, say), found while members
    /// signalled before are still there. Those signalled already are not
    /// signalled again. Returns whether there were any.
    fn signal_late_joiners(&mut self) -> Result<bool> {
        let in_leaves = self.signal_leaf_newcomers()?;
        let live: Vec<usize> = (0..self.scopes.len())
            .filter(|&scope| self.scopes[scope].is_live())
            .collect();
        if live.is_empty() {
            return Ok(in_leaves);
        }
        let snapshot = self.late_snapshot();
        let signal = self.signal_now();
        self.resignal_execed(&snapshot, signal);
        let mut found = in_leaves;
        for &scope in &live {
            let target = self.scopes[scope].target;
            let joiners = Self::unknown_in(&snapshot, target, |p| self.is_known(p));
            for process in &joiners {
                // In the scope, verified through the fd, while the scope is
                // proven; and the process the scan saw, not a successor of
                // its pid (that one is for the next look).
                let Some(pidfd) = self.scopes[scope].admit(process.pid) else {
                    continue;
                };
                let same = pidfd
                    .stat(process.pid)
                    .is_some_and(|stat| stat.starttime == process.starttime);
                if same {
                    found = true;
                    self.signal_process(process, Some(pidfd), signal, Some(scope));
                }
            }
        }
        Ok(found)
    }

    /// What a look for late joiners needs of the process table, without
    /// reading every process (the signalled ones are dying, and their
    /// many stat files would cost more than the rest of the wait): the
    /// processes not known yet (joiner candidates), and those still waited
    /// for that started since shortly before the signal (the only ones
    /// that may have been between their fork and their exec).
    fn late_snapshot(&self) -> Snapshot {
        // Two ticks: a start time is truncated to its tick.
        let recent = self.sent_at.map_or(0, |tick| tick.saturating_sub(2));
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Snapshot::default();
        };
        let processes = entries
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
            .map(Pid::from_raw)
            .filter(|pid| match self.index.get(pid) {
                None => true,
                Some(&i) => {
                    let entry = &self.entries[i];
                    entry.outcome == Outcome::Signalled && entry.process.starttime >= recent
                }
            })
            .filter_map(|pid| crate::snapshot::read_stat_of(pid).map(Process::from))
            .collect();
        Snapshot::from_processes(processes)
    }

    /// Signals again, through its pidfd, each process still waited for
    /// that has run a new program since it was recorded (its name in
    /// `snapshot` is another). One forked just before its signal, still
    /// running its parent's program, takes the signal with its parent's
    /// handler (a shell's trap, say), which its exec then discards: the
    /// program it runs never had it. Once per change of name; one that
    /// ran the new program before its signal gets a second one, the
    /// cautious mistake.
    fn resignal_execed(&mut self, snapshot: &Snapshot, signal: Signal) {
        for i in self.pending() {
            let recorded = &self.entries[i].process;
            let Some(now) = snapshot.get(recorded.pid) else {
                continue;
            };
            if now.starttime != recorded.starttime || now.comm == recorded.comm || now.is_zombie() {
                continue;
            }
            let now = now.clone();
            let entry = &mut self.entries[i];
            if entry.pidfd.is_none() {
                match PidFd::open_unchecked(now.pid) {
                    Ok(Some(pidfd)) => {
                        entry.pidfd = Some(pidfd);
                        entry.checked = false;
                        entry.watched = false;
                    }
                    _ => continue,
                }
            }
            if self.confirm(i) {
                let entry = &mut self.entries[i];
                if let Some(pidfd) = &entry.pidfd {
                    let _ = pidfd.send(signal);
                }
                entry.process = now;
            }
        }
    }

    /// The signal a process found now gets: SIGKILL once escalated.
    pub(super) fn signal_now(&self) -> Signal {
        if self.escalated {
            Signal::KILL
        } else {
            self.signal
        }
    }

    /// The live processes of `snapshot` in `target` that `known` does not
    /// count as known.
    fn unknown_in(
        snapshot: &Snapshot,
        target: Target,
        known: impl Fn(&Process) -> bool,
    ) -> Vec<Process> {
        snapshot
            .processes()
            .iter()
            .filter(|p| !p.kernel_thread && !p.is_zombie() && target.contains(p))
            .filter(|p| !known(p))
            .cloned()
            .collect()
    }

    /// Whether `process` is one already targeted (signalled, refused, or
    /// gone), not a successor of its pid.
    pub(super) fn is_known(&self, process: &Process) -> bool {
        self.index
            .get(&process.pid)
            .is_some_and(|&i| self.entries[i].process.starttime == process.starttime)
    }

    fn is_known_exited(&self, process: &Process) -> bool {
        self.index.get(&process.pid).is_some_and(|&i| {
            let entry = &self.entries[i];
            entry.process.starttime == process.starttime && entry.outcome != Outcome::Signalled
        })
    }

    /// SIGKILL for everything still alive: every targeted group and session
    /// again (newcomers too) while each is proven to be the one targeted,
    /// first, as the proof dies with them; then each pending process
    /// through its pidfd.
    fn escalate(&mut self) -> Result<()> {
        self.escalated = true;
        for sealed in &self.leaves {
            let _ = sealed.kill();
        }
        for scope in 0..self.scopes.len() {
            if !self.scopes[scope].is_live() {
                continue;
            }
            let target = self.scopes[scope].target;
            match target {
                Target::Sid(sid) => {
                    let (members, _) = session_members(sid)?;
                    self.signal_session(scope, sid, &members, Signal::KILL, true)?;
                }
                _ => {
                    let snapshot = Snapshot::read(Fields::default())?;
                    let members: Vec<Process> = snapshot
                        .processes()
                        .iter()
                        .filter(|p| !p.kernel_thread && target.contains(p))
                        .cloned()
                        .collect();
                    self.signal_scope(scope, &members, Signal::KILL)?;
                }
            }
        }
        for i in self.pending() {
            let entry = &mut self.entries[i];
            if entry.pidfd.is_none() {
                match PidFd::open_unchecked(entry.process.pid) {
                    Ok(Some(pidfd)) => {
                        entry.pidfd = Some(pidfd);
                        entry.checked = false;
                        entry.watched = false;
                    }
                    _ => continue,
                }
            }
            if self.confirm(i) {
                if let Some(pidfd) = &self.entries[i].pidfd {
                    let _ = pidfd.send(Signal::KILL);
                }
                self.note_escalated(i);
            }
        }
        Ok(())
    }
}

/// When to look for late joiners while signalled processes are still
/// there: soon after the signal, then less and less often (a scan of
/// /proc costs as much as the process table is large), and soon again
/// after a look that found some (they may fork in their turn).
pub(super) struct LateScan {
    next: Instant,
    interval: Duration,
}

/// The first and shortest interval between two looks for late joiners.
const LATE_SCAN_FIRST: Duration = Duration::from_millis(10);

/// The longest interval between two looks for late joiners.
const LATE_SCAN_MAX: Duration = Duration::from_millis(250);

impl LateScan {
    fn new(start: Instant) -> LateScan {
        LateScan {
            next: start + LATE_SCAN_FIRST,
            interval: LATE_SCAN_FIRST,
        }
    }

    pub(super) fn is_due(&self, now: Instant) -> bool {
        now >= self.next
    }

    /// When the next look is due.
    pub(super) fn next(&self) -> Instant {
        self.next
    }

    /// After a look at `now` that `found` late joiners or not.
    pub(super) fn scanned(&mut self, now: Instant, found: bool) {
        self.interval = if found {
            LATE_SCAN_FIRST
        } else {
            (self.interval * 2).min(LATE_SCAN_MAX)
        };
        self.next = now + self.interval;
    }
}

/// How many pidfds opened without a check are checked between two looks
/// for exits.
const CHECK_BATCH: usize = 32;

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
