# fish completion for setsid-run. Generated from the clap definitions by `cargo xtask gen`; do not edit.

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

# The command's words, the one being completed last, once setsid-run's own
# options are over; fails before that.
function __procgroup_setsid_run_command
    set -l with_value --timeout -s --signal -k --kill-after --stdout --stderr --log --print --pidfile --pidfile-format
    set -l current (commandline -ct)
    set -l words (commandline -opc)[2..-1] "$current"
    set -l skip 0
    for i in (seq (count $words))
        set -l word $words[$i]
        if test $skip = 1
            set skip 0
        else if test "$word" = --; and test $i -lt (count $words)
            printf '%s\n' $words[(math $i + 1)..-1]
            return 0
        else if contains -- $word $with_value
            set skip 1
        else if not string match -q -- '-*' $word
            printf '%s\n' $words[$i..-1]
            return 0
        end
    end
    return 1
end

complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -l timeout -d 'End the session after DURATION (90, 1.5s, 1m30s, 2h, 1d; 0: never), exit 124 (137 if it took SIGKILL); implies --wait' -r -f -a '(__procgroup_duration)'
complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -s s -l signal -d 'The signal for --timeout and --cleanup' -r -f -a '(__procgroup_signals)'
complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -s k -l kill-after -d 'SIGKILL what is left DURATION after --timeout\'s or --cleanup\'s signal' -r -f -a '(__procgroup_duration)'
complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -l stdout -d 'Write COMMAND\'s stdout to FILE (truncated)' -r -F
complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -l stderr -d 'Write COMMAND\'s stderr to FILE (truncated)' -r -F
complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -l log -d 'Append COMMAND\'s stdout and stderr to FILE' -r -F
complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -l print -d 'Once the exec succeeded, print the new process\'s ids on stdout, before the command runs' -r -f -a "pid\t'The pid: 13131'
pgid\t'The process group id'
sid\t'The session id'
pid:ino\t'PID:INO, with the pidfs inode (Linux 6.9+): 13131:4242, for pgkill --pid and util-linux kill'
ids\t'pid, pgid, sid and pidfs inode (? before Linux 6.9): 13131 13131 13131 4242'
json\t'pid, pgid, sid and ino as one JSON object on a line (ino null before Linux 6.9)'"
complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -l pidfile -d 'Write COMMAND\'s pid to FILE; refuse to start if FILE names a live instance' -r -F
complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -l pidfile-format -d 'What --pidfile holds: the pid (what pgrep -F reads), or PID:INO with its pidfs inode (Linux 6.9+), checked exactly' -r -f -a "pid\t'The pid alone, as pgrep -F and other tools read it'
pid:ino\t'PID:INO, checked by setsid-run and pgtree -F by the inode, exactly'"
complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -l seal -d 'Also start the command in a cgroup v2 leaf of its own, which nothing it starts can leave; `auto`: where possible' -r -f -a "always\t'Always; without a writable cgroup v2 tree, fail (exit 125) before starting'
auto\t'Where a writable cgroup v2 tree allows it; otherwise start unsealed'"
complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -s w -l wait -d 'Wait for COMMAND and exit with its status, forwarding signals to its session'
complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -l preserve-status -d 'With --timeout, exit with the command\'s own status, as timeout(1) does'
complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -l cleanup -d 'When COMMAND exits, end every process left in its session; implies --wait'
complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -s d -l detach -d 'Detach: stdin, stdout and stderr from/to /dev/null unless redirected'
complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -l json -d 'With --timeout or --cleanup, print on stdout once the command has ended a JSON report of what they ended'
complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -s c -l ctty -d 'Make the current terminal (on stdin) the new session\'s controlling terminal; it is taken from the caller\'s session for good'
complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -l force -d 'With -c, take the terminal even from the shell whose foreground job setsid-run is'
complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -s g -l group -d 'Only a new process group in the current session, not a new session'
complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -s h -l help -d 'Print help (see more with \'--help\')'
complete -c setsid-run -n 'not __procgroup_setsid_run_command >/dev/null' -s V -l version -d 'Print version'
complete -c setsid-run -n '__procgroup_setsid_run_command >/dev/null' -x \
    -a '(__fish_complete_subcommand --commandline (__procgroup_setsid_run_command))'
