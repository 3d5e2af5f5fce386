//! setsid-run's man page, beyond what clap writes.

/// The man page's sections beyond the options.
pub const MAN_SECTIONS: &[(&str, &str)] = &[
    (
        "WAITING AND CLEANING UP",
        r#"
With \fB\-\-wait\fR, SIGINT, SIGTERM, SIGHUP and SIGQUIT received by
setsid\-run are forwarded to every group of the command's session (with
\fB\-\-group\fR, to its group), and setsid\-run exits with the command's
status, or 128+\fIN\fR when a signal \fIN\fR killed it. The session is
frozen first, as \fBpgkill \-\-sid\fR freezes it; a thread that the
kernel holds where the freeze does not reach (a vfork parent whose child
left the session) is let go as soon as it stops, while setsid\-run waits.
.PP
With \fB\-\-group\fR at a terminal, when setsid\-run waits (\fB\-\-wait\fR,
\fB\-\-timeout\fR, \fB\-\-cleanup\fR), stdin is its controlling terminal and
it is in the terminal's foreground group, the new group is made the
terminal's foreground group, as a shell does for a job (in the command
before it starts, and in setsid\-run): the command reads what is typed, and
Ctrl\-C reaches it. When setsid\-run is done, the terminal goes back to its
own group; should SIGKILL end setsid\-run first, the calling shell takes it
back, as it does when any of its jobs ends. Without a terminal, or in the
background, nothing changes.
.PP
SIGTSTP (Ctrl\-Z), SIGTTIN and SIGTTOU received by a waiting setsid\-run
stop the command's whole session (with \fB\-\-group\fR, its group) and then
setsid\-run, so that the calling shell shows the job stopped; when
setsid\-run is continued (\fBfg\fR, \fBbg\fR), it continues the command
first. \fB\-\-timeout\fR does not count the time stopped. With
\fB\-\-group\fR in the terminal's foreground, Ctrl\-Z reaches the command's
group itself: when it stops, setsid\-run gives the terminal back to its own
group and stops too; continued, it gives the terminal to the command again
and continues it.
.PP
\fB\-c\fR makes the terminal on stdin the new session's controlling
terminal: the kernel takes it from the caller's session for good, as
util\-linux \fBsetsid \-c\fR does. When that session is someone else's (a
shell, whose foreground job setsid\-run is), \fB\-c\fR is refused (exit 2)
unless \fB\-\-force\fR is given.
.PP
\fB\-\-timeout\fR ends the whole session when the time is up: \fB\-\-signal\fR
(\fB\-s\fR, default TERM) to every group, SIGKILL to what is left after
\fB\-\-kill\-after\fR (\fB\-k\fR, default 5s), and waits until it is empty;
the exit status is then 124, or 137 (128+9) when something had to be
killed with SIGKILL, as \fBtimeout \-k\fR gives; with
\fB\-\-preserve\-status\fR, the command's own status. A timeout of 0 is
none, as in \fBtimeout\fR(1). Durations are what \fBtimeout\fR and
\fBsleep\fR take: a number of seconds (\fB90\fR, \fB1.5\fR), or numbers
with units \fBms\fR, \fBs\fR, \fBm\fR, \fBh\fR, \fBd\fR, added up when
there are several (\fB1m30s\fR, \fB1h2m\fR).
.PP
\fB\-\-cleanup\fR does the same when the command exits. The command's
status is kept.
.PP
While it waits, setsid\-run is a child subreaper
(\fBPR_SET_CHILD_SUBREAPER\fR): a process of the job whose parent dies
(a daemon that double\-forked, a child that called \fBsetsid\fR(2)) is
re\-parented to setsid\-run, not to init, and reaped by it when it exits.
\fB\-\-timeout\fR and \fB\-\-cleanup\fR end, after the session, every
process left in setsid\-run's subtree, whatever its session, the same way
(\fB\-\-signal\fR, SIGKILL after \fB\-\-kill\-after\fR), and reap
them. A process that got away from the subtree as well (re\-parented
while setsid\-run did not wait, or one that another subreaper took) is
beyond reach: \fB\-\-seal\fR catches it.
.PP
Once \fB\-\-timeout\fR or \fB\-\-cleanup\fR is ending the session, the
signals setsid\-run forwards are no longer forwarded, and one that arrives
then does not change the exit status (124, or the command's status).
.PP
\fB\-\-print\fR writes the ids once the exec has succeeded and before the
command runs its first instruction, so they come before anything the
command writes: setsid\-run traces the command for that moment
(\fBPTRACE_SEIZE\fR, stopping at its exec) and lets it go once the line is
flushed. Where the system forbids tracing it (Yama's \fBptrace_scope\fR 3,
a seccomp policy), and for a set\-user\-ID or set\-group\-ID program or one
with file capabilities (which a tracer would run without its privileges),
the command is not held, and may write before the ids appear.
.PP
When \fB\-\-print\fR cannot write the ids (standard output a closed
pipe, a full disk), setsid\-run says so in one line on standard error.
With waiting it goes on supervising the command (forwarding signals,
\fB\-\-timeout\fR, \fB\-\-cleanup\fR) and exits with the status it
would have had; without waiting it ends the command (SIGKILL to its session,
or its group with \fB\-\-group\fR), removes the pid file and exits 125.
"#,
    ),
    (
        "SEALED JOBS",
        r#"
A session is no boundary: any process in it may call \fBsetsid\fR(2) and
leave. \fB\-\-seal\fR also starts the command in a cgroup v2 leaf of its
own, which no process of the job can leave: setsid\-run forks, makes the
leaf \fBsetsid\-run\-\fR\fISID\fR (\fISID\fR the new session's id, which
is the command's pid) under its own cgroup (the \fB0::\fR line of
\fI/proc/self/cgroup\fR, under the cgroup2 mount of
\fI/proc/self/mountinfo\fR: \fI/sys/fs/cgroup\fR on a pure v2 system,
\fI/sys/fs/cgroup/unified\fR on a hybrid one), moves the child in, and
only then lets it exec: the command and all it forks start inside.
.PP
On a sealed job, forwarded signals, Ctrl\-Z, \fB\-\-timeout\fR and
\fB\-\-cleanup\fR reach every process in the leaf, those that left the
session too: the leaf is frozen (\fBcgroup.freeze\fR, until
\fBcgroup.events\fR says \fBfrozen 1\fR, 2 seconds at most), each member
is signalled through a pidfd, the leaf is thawed; SIGKILL goes through
\fBcgroup.kill\fR. A freeze outlives whoever made it, so setsid\-run (and
pgkill) first forks a watcher that thaws the leaf if the signaller dies
before it does: killing it mid\-freeze, even with SIGKILL, leaves nothing
frozen. A job that seals a job of its own (setsid\-run \-\-seal inside)
makes its leaf below the outer one, and what reaches the outer leaf
reaches it too. The job is gone when \fBcgroup.events\fR says
\fBpopulated 0\fR (watched with \fBpoll\fR(2)). \fBpgkill \-\-sid\fR
\fISID\fR reaches the leaf the same way.
.PP
The leaf is removed once the job is gone: by setsid\-run when it waits
and the job ends with the command (\fB\-\-cleanup\fR, \fB\-\-timeout\fR);
otherwise (\fB\-d\fR, or a job that outlives its command) by a small
watcher process that setsid\-run leaves behind (named setsid\-run, in a
session of its own, holding no descriptor of yours), which waits for
\fBpopulated 0\fR, removes the leaf and exits. Killing setsid\-run, even
with SIGKILL, leaves the job running and sealed; \fBpgkill \-\-sid\fR
\fISID\fR ends it later and removes the leaf.
.PP
Where no leaf can be made (no cgroup2 mount, a v1\-only system, a cgroup
tree that is not writable, \fBcgroup.max.descendants\fR reached),
\fB\-\-seal\fR fails before the command starts: exit 125, one line
saying why. \fB\-\-seal=auto\fR then starts the command unsealed.
\fB\-\-seal\fR makes a new session: it cannot be given with
\fB\-\-group\fR.
"#,
    ),
    (
        "PID FILE",
        r#"
\fB\-\-pidfile\fR \fIFILE\fR holds the command's pid on one line, written
after a successful exec. setsid\-run takes an exclusive \fBflock\fR(2) lock
on \fIFILE\fR itself before it starts the command (a missing \fIFILE\fR is
created already locked, so it never shows up unlocked), so
\fBpgrep \-L \-F\fR \fIFILE\fR sees it locked while setsid\-run holds it:
.TP
with \fB\-\-wait\fR, \fB\-\-timeout\fR or \fB\-\-cleanup\fR
the lock is held for the command's life. When the command has ended (and
\fB\-\-cleanup\fR or \fB\-\-timeout\fR has ended its session),
\fIFILE\fR is removed if it still names the file setsid\-run wrote, and
then the lock goes.
.TP
without waiting (the default, and \fB\-d\fR)
the lock covers the start only: it goes when setsid\-run exits, once the
pid is written. \fIFILE\fR stays; a later start is refused by the rule
below, not by the lock.
.PP
A start is refused (exit 125, "already running as pid \fIN\fR") when
\fIFILE\fR names a live process that had started by the time \fIFILE\fR was
written; a process that took the pid later is someone else. A file that is
empty, or whose pid is dead or was taken later, is stale: it is written over,
in place. While another process holds the lock and \fIFILE\fR names no live
process yet (another setsid\-run is starting), a start waits up to 2
seconds, then fails with "locked by another process". Of several setsid\-run
started at once with the same \fIFILE\fR, one starts.
.PP
\fB\-\-pidfile\-format pid:ino\fR writes \fIPID\fR\fB:\fR\fIINO\fR
instead, with the command's pidfs inode (Linux 6.9 or later; before, the
start fails with exit 125): a number the kernel never gives to another
process while the system runs. setsid\-run and \fBpgtree \-F\fR then
take \fIFILE\fR as naming a live instance only if the process with that
pid has that inode, exactly, instead of by start time. The default,
\fBpid\fR, is what other tools read (\fBpgrep \-F\fR does not read
\fIPID\fR\fB:\fR\fIINO\fR).
.PP
\fIFILE\fR is opened without following a symbolic link and without
blocking, and is written only if it is a regular file, owned by the
effective user, with a single link; anything else is refused (exit 125,
"pidfile \fIFILE\fR: \fIwhy\fR; not replacing it") and left alone. A new file
is made with \fBO_TMPFILE\fR and linked into place (where the file system
lacks \fBO_TMPFILE\fR, under a random name created exclusively): no existing
name is ever followed or reused. Others who can write the directory can
still remove or rename the file: keep pid files where only their owner
writes.
"#,
    ),
    (
        "JSON KEYS",
        r#"
\fB\-\-print json\fR prints one object on one line, once the command has
been executed: \fBpid\fR, \fBpgid\fR and \fBsid\fR, numbers (with
\fB\-\-group\fR, \fBsid\fR is the caller's session), and \fBino\fR,
the command's pidfs inode (Linux 6.9 or later), or \fBnull\fR.
\fB\-\-print ids\fR prints the same four on a line (\fB?\fR for an
unknown inode); \fB\-\-print pid:ino\fR prints
\fIPID\fR\fB:\fR\fIINO\fR, which \fBpgkill \-\-pid\fR and
util\-linux \fBkill\fR (2.42) take as is (before Linux 6.9 it fails as
an unwritable \fB\-\-print\fR does).
.PP
\fB\-\-json\fR (with \fB\-w\fR, \fB\-\-timeout\fR or
\fB\-\-cleanup\fR) prints one object on one line on standard output
once the command has ended, after whatever the command wrote there:
\fBstatus\fR, setsid\-run's exit status; \fBended_by\fR,
\fB"timeout"\fR, \fB"cleanup"\fR or \fBnull\fR; \fBsignal\fR, the
name of \fB\-\-signal\fR; and \fBprocesses\fR, what the timeout or the
cleanup ended, each as \fBpgkill \-\-wait \-\-json\fR reports it:
\fBpid\fR, \fBino\fR, \fBpgid\fR, \fBsid\fR, \fBcomm\fR,
\fBoutcome\fR, \fBexit\fR (\fB{"code":\fR\fIN\fR\fB}\fR,
\fB{"signal":\fR\fIN\fR\fB,"core":\fR\fIbool\fR\fB}\fR, or
\fBnull\fR where the kernel does not tell: before Linux 6.15),
\fBescalated\fR (SIGKILL after \fB\-\-kill\-after\fR) and, for a process
of a sealed job that had left the session, \fBescaped\fR. The processes
setsid\-run ends as a subreaper, outside the job (a daemon it
double\-forked, say), follow, marked \fB"stray":true\fR; their
\fBexit\fR is the wait status setsid\-run reaped.
"#,
    ),
    (
        "EXIT STATUS",
        r#"
Without waiting:
.TP
\fB0\fR
the command was started.
.TP
\fB2\fR
usage error.
.TP
\fB125\fR
setsid\-run itself failed: fork, the pid file (or "already running as pid
\fIN\fR"), a file to redirect to, \fB\-\-print\fR (the command was then
ended).
.TP
\fB126\fR
the command was found but could not be executed.
.TP
\fB127\fR
the command was not found.
.PP
With \fB\-\-wait\fR, \fB\-\-timeout\fR or \fB\-\-cleanup\fR: the command's
exit status; 128+\fIN\fR when it was killed by signal \fIN\fR; 124 when
\fB\-\-timeout\fR ended it, 137 when that took SIGKILL (not with
\fB\-\-preserve\-status\fR).
"#,
    ),
    (
        "ENVIRONMENT",
        r#"
.TP
\fBPATH\fR
where \fICOMMAND\fR is looked for when its name has no slash, as bash
looks: a directory that cannot be searched is passed over, the first
executable file wins, and one that is there but not executable counts only
when no executable one is found (then 126, "Permission denied"). Where
\fBPATH\fR is unset, \fB/bin:/usr/bin\fR. A file that is no executable
program runs with \fB/bin/sh\fR, as \fBexecvp\fR(3) runs it.
.TP
\fBNO_COLOR\fR
setsid\-run writes no color, with or without it.
.PP
The command gets setsid\-run's environment unchanged.
"#,
    ),
    (
        "EXAMPLES",
        r#"
A job that survives when the caller's whole session is killed (say the
terminal closes, or a CI step's session is ended with \fBkill \-9 \-\fR\fISID\fR):
.PP
.RS
.nf
setsid\-run \-d \-\-log /tmp/job.log \-\- ./long\-job
.fi
.RE
.PP
Start in the background and keep its session id; end it all later:
.PP
.RS
.nf
sid=$(setsid\-run \-d \-\-print sid \-\- ./server)
trap 'pgkill \-\-sid "$sid" \-\-wait \-k 2s' EXIT
.fi
.RE
.PP
Run tests as a job that leaves nothing behind, for ten minutes at most:
.PP
.RS
.nf
setsid\-run \-w \-\-cleanup \-\-timeout 10m \-\- make test
.fi
.RE
.PP
A daemon with a pid file, started twice: the second start exits 125.
.PP
.RS
.nf
setsid\-run \-d \-\-pidfile /run/app.pid \-\- app
.fi
.RE
"#,
    ),
    (
        "SEE ALSO",
        r#"
\fBkill\fR(1), \fBpgkill\fR(1), \fBpgtree\fR(1), \fBps\fR(1), \fBsetsid\fR(1),
\fBtimeout\fR(1), \fBsetsid\fR(2), \fBcredentials\fR(7)
"#,
    ),
];
