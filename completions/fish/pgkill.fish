# fish completion for pgkill. Generated from the clap definitions by `cargo xtask gen`; do not edit.

# --- procgroup: values the tools' definitions cannot know -----------------
# Shared by the completions of pgtree, pgkill and setsid-run (each file
# carries a copy, as each is loaded alone).

# The comma list being completed, up to its last item (after --opt=).
function __procgroup_list_head
    set -l token (commandline -ct)
    set token (string replace -r -- '^--[^=]*=' '' "$token")
    string replace -r -- '[^,]*$' '' "$token"
end

# Live ids as `value<TAB>description` lines: $argv[1] is pid, pgid, sid or
# tty. pgtree is the one next to the completed command when that was typed
# as a path (./target/release/pgkill), otherwise the one on PATH. It runs
# under sh, whose processes ($$ and its children) are no candidates.
function __procgroup_live
    set -l pgtree pgtree
    set -l word (commandline -opc)[1]
    set -l dir (string replace -r -- '/[^/]*$' '' $word)
    if test "$dir" != "$word"; and test -x "$dir/pgtree"
        set pgtree $dir/pgtree
    end
    set -l head (__procgroup_list_head)
    sh -c 'command "$1" --plain --no-headers -o pid,ppid,pgid,sid,tty,comm 2>/dev/null |
        awk -v skip=$$ -v kind="$2" -v sep="\t" -v head="$3" "$4"' sh $pgtree $argv[1] "$head" 'function say(value, description) {
    if (value in used) return
    if (prefix != "" && index(value, prefix) != 1) return
    if (sep == "") print head value
    else print head value sep description
}
function hex(digit) {
    return index("0123456789abcdef", digit) - 1
}
function unescaped(text,    out, at, code) {
    out = ""
    while ((at = index(text, backslash "x")) > 0) {
        code = hex(substr(text, at + 2, 1)) * 16 + hex(substr(text, at + 3, 1))
        if (code >= 32 && code < 127 && code != 92 && hex(substr(text, at + 2, 1)) >= 0)
            out = out substr(text, 1, at - 1) sprintf("%c", code)
        else
            out = out substr(text, 1, at + 3)
        text = substr(text, at + 4)
    }
    return out text
}
BEGIN {
    backslash = sprintf("%c", 92)
    split(head, items, ",")
    for (i in items) used[items[i]] = 1
    if (kind == "sid") say("self", "the session of this shell")
    if (kind == "pgid") say("self", "the group the command runs in")
    if (kind == "tty") say("?", "no controlling terminal")
}
{ parent[$1] = $2 }
$1 == skip || $2 == skip { next }
kind == "pid" || kind == "victim" {
    if ($1 > 0) { pids[m++] = $1; name[$1] = unescaped($6) }
    next
}
{
    if (kind == "pgid") key = $3
    else if (kind == "sid") key = $4
    else key = $5
    if (key == "0" || key == "?") next
    if (!(key in seen)) { seen[key] = 1; order[n++] = key; where[key] = $5 }
    if ((kind == "pgid" && $1 == $3) || (kind != "pgid" && $1 == $4 && !(key in leader))) {
        leader[key] = unescaped($6)
        where[key] = $5
    }
}
END {
    if (kind == "victim") {
        spared[1] = 1
        for (up = parent[skip]; up > 0 && !(up in spared); up = parent[up]) spared[up] = 1
    }
    for (i = 0; i < m; i++) if (!(pids[i] in spared)) say(pids[i], name[pids[i]])
    for (i = 0; i < n; i++) {
        key = order[i]
        description = (key in leader) ? leader[key] : "(no leader)"
        if (kind == "sid") description = description " " where[key]
        say(key, description)
    }
}'
end

# The arguments (`value<TAB>description`) that complete the comma list,
# without the items it has already.
function __procgroup_list
    set -l head (__procgroup_list_head)
    set -l used (string split -- , "$head")
    for candidate in $argv
        contains -- (string split -f1 -- \t $candidate) $used; and continue
        printf '%s\n' "$head$candidate"
    end
end

function __procgroup_signals
    printf '%s\n' HUP\t'Hangup' INT\t'Interrupt' QUIT\t'Quit' ILL\t'Illegal instruction' TRAP\t'Trace/breakpoint trap' ABRT\t'Aborted' BUS\t'Bus error' FPE\t'Floating point exception' KILL\t'Killed' USR1\t'User defined signal 1' SEGV\t'Segmentation fault' USR2\t'User defined signal 2' PIPE\t'Broken pipe' ALRM\t'Alarm clock' TERM\t'Terminated' STKFLT\t'Stack fault' CHLD\t'Child exited' CONT\t'Continued' STOP\t'Stopped (signal)' TSTP\t'Stopped' TTIN\t'Stopped (tty input)' TTOU\t'Stopped (tty output)' URG\t'Urgent I/O condition' XCPU\t'CPU time limit exceeded' XFSZ\t'File size limit exceeded' VTALRM\t'Virtual timer expired' PROF\t'Profiling timer expired' WINCH\t'Window changed' IO\t'I/O possible' PWR\t'Power failure' SYS\t'Bad system call' RTMIN\t'Real-time signal RTMIN' RTMAX\t'Real-time signal RTMAX'
end

# A duration: the units that can follow the number typed (300 -> 300ms,
# 300s, 300m, 300h); nothing before a number, never file names.
function __procgroup_duration
    set -l token (commandline -ct | string replace -r -- '^--[^=]*=' '')
    set -l number (string match -r -- '^[0-9.]+' "$token"); or return
    printf '%s\n' $number'ms'\t'milliseconds' $number's'\t'seconds' \
        $number'm'\t'minutes' $number'h'\t'hours'
end

complete -c pgkill -s u -l user -d 'Only processes of these users (names or uids)' -r -f -a '(__procgroup_list (__fish_complete_users))'
complete -c pgkill -s t -l tty -d 'Only processes on these terminals (pts/3, tty1, `?` for none)' -r -f -a '(__procgroup_live tty)'
complete -c pgkill -s P -l parent -d 'Only children of these processes (comma list, repeatable)' -r -f -a '(__procgroup_live pid)'
complete -c pgkill -s F -l pidfile -d 'Only the process FILE names, while it is the one that wrote it (started before FILE was written)' -r -F
complete -c pgkill -s r -l runstates -d 'Only processes in these states (R, S, D, T, t, Z, I, ...: `-r DT`, `-r D,T`)' -r
complete -c pgkill -l env -d 'Only processes with this environment variable (NAME) or value (NAME=VALUE); repeatable' -r
complete -c pgkill -l expand -d 'Signal the whole group (as --pgid) or session (as --sid) of each selected process' -r -f -a "group\t'The whole process group of each match'
session\t'The whole session of each match'"
complete -c pgkill -s p -l pid -d 'Signal this process (comma list, repeatable); PID:INO only if it still has that pidfs inode; with a selection, select only it' -r -f -a '(__procgroup_live victim)'
complete -c pgkill -s g -l pgid -d 'Signal this whole process group; `self` is pgkill\'s own group; PGID:INO only if its leader still has that inode; with a selection, select only in it' -r -f -a '(__procgroup_live pgid)'
complete -c pgkill -s s -l sid -d 'Signal every group of this session; `self` is pgkill\'s own session; SID:INO only if its leader still has that inode; with a selection, select only in it' -r -f -a '(__procgroup_live sid)'
complete -c pgkill -l signal -d 'The signal: a name (TERM, SIGTERM, term, RTMIN+3) or a number; 0 only checks [default: TERM]' -r -f -a '(__procgroup_signals)'
complete -c pgkill -s l -l list -d 'List the signals; with a name, number or exit status (128+N), translate it' -r -f -a '(__procgroup_signals)'
complete -c pgkill -l timeout -d 'Stop waiting after DURATION (500ms, 5s, 1m); implies --wait' -r -f -a '(__procgroup_duration)'
complete -c pgkill -s k -l kill-after -d 'Send SIGKILL to whatever is alive DURATION after the signal; implies --wait' -r -f -a '(__procgroup_duration)'
complete -c pgkill -l cgroup -d 'Signal every process of this cgroup v2 leaf (frozen first; SIGKILL through cgroup.kill): a path in the cgroup2 mount, or one as /proc/PID/cgroup shows it' -r -F
complete -c pgkill -s f -l full -d 'Match PATTERN against the whole command line'
complete -c pgkill -s x -l exact -d 'PATTERN must match the whole name (or command line)'
complete -c pgkill -s i -l ignore-case -d 'Match PATTERN without regard to case'
complete -c pgkill -l orphaned -d 'Only members of orphaned process groups'
complete -c pgkill -s A -l ignore-ancestors -d 'Never the caller\'s own ancestors (its shell, the terminal, ...)'
complete -c pgkill -l oldest -d 'Only the least recently started of the matches (pgrep\'s -o)'
complete -c pgkill -l inverse -d 'Select the processes that do NOT match PATTERN, -u, -t, -P, --orphaned, -F, -r, --env (pkill\'s -v)'
complete -c pgkill -l newest -d 'Select only the most recently started of the matches (pkill\'s -n)'
complete -c pgkill -s n -l dry-run -d 'Show what would be signalled, grouped by session and group; signal nothing'
complete -c pgkill -s w -l wait -d 'Wait until every targeted process has exited (a zombie has)'
complete -c pgkill -s v -l verbose -d 'Print a line per signalled process on stderr'
complete -c pgkill -s q -l quiet -d 'Print nothing on stderr but usage errors and refusals (exit status 2)'
complete -c pgkill -l json -d 'Print a JSON report on stdout'
complete -c pgkill -l force -d 'Signal even a target that contains pgkill itself, its ancestors or pid 1'
complete -c pgkill -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgkill -s V -l version -d 'Print version'
complete -c pgkill -f

# kill's habit, -SIG as the first argument (pgkill reads it only there).
complete -c pgkill -f \
    -n 'test (count (commandline -opc)) = 1; and string match -qr -- "^-[A-Z]" (commandline -ct)' \
    -a '(__procgroup_signals | string replace -r -- ^ -)'
