# fish completion for pgtree. Generated from the clap definitions by `cargo xtask gen`; do not edit.

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

function __procgroup_pgtree_columns
    __procgroup_list pid\t'Process id' ppid\t'Parent\'s pid' pgid\t'Process group id' sid\t'Session id' tpgid\t'Foreground group of the terminal (-1 for none)' tty\t'Controlling terminal' user\t'Owner\'s name' uid\t'Owner\'s uid' state\t'State letter (R, S, D, T, Z, ...)' comm\t'Process name' args\t'Command line' cgroup\t'cgroup v2 path (/user.slice/…; a sealed job\'s leaf is setsid-run-SID)' ino\t'pidfs inode (Linux 6.9+): with the pid, an identity never reused'
end

complete -c pgtree -s u -l user -d 'Only processes of these users (names or uids)' -r -f -a '(__procgroup_list (__fish_complete_users))'
complete -c pgtree -s t -l tty -d 'Only processes on these terminals (pts/3, tty1, `?` for none)' -r -f -a '(__procgroup_live tty)'
complete -c pgtree -s P -l parent -d 'Only children of these processes (comma list, repeatable)' -r -f -a '(__procgroup_live pid)'
complete -c pgtree -s F -l pidfile -d 'Only the process FILE names, while it is the one that wrote it (started before FILE was written)' -r -F
complete -c pgtree -s r -l runstates -d 'Only processes in these states (R, S, D, T, t, Z, I, ...: `-r DT`, `-r D,T`)' -r
complete -c pgtree -l env -d 'Only processes with this environment variable (NAME) or value (NAME=VALUE); repeatable' -r
complete -c pgtree -s p -l pid -d 'Only these processes (comma list, repeatable)' -r -f -a '(__procgroup_live pid)'
complete -c pgtree -s g -l pgid -d 'Only these process groups; `self` is pgtree\'s own group' -r -f -a '(__procgroup_live pgid)'
complete -c pgtree -s s -l sid -d 'Only these sessions; `self` is pgtree\'s own session' -r -f -a '(__procgroup_live sid)'
complete -c pgtree -l expand -d 'Show the whole group or session of every matched process' -r -f -a "group\t'The whole process group of each match'
session\t'The whole session of each match'"
complete -c pgtree -l watch -d 'Redraw the tree in place every INTERVAL (default 1s) on a terminal, marking what is new and what has gone; q quits' -r -f -a '(__procgroup_duration)'
complete -c pgtree -s o -l columns -d 'Columns for --table, --plain and --json (comma list)' -r -f -a '(__procgroup_pgtree_columns)'
complete -c pgtree -l color -d 'When to color the tree' -r -f -a "auto\t'Color when stdout is a terminal and NO_COLOR is unset'
always\t''
never\t''"
complete -c pgtree -s d -l delimiter -d 'List the selected pids separated by DELIM (default: a newline), as pgrep -d' -r
complete -c pgtree -s f -l full -d 'Match PATTERN against the whole command line'
complete -c pgtree -s x -l exact -d 'PATTERN must match the whole name (or command line)'
complete -c pgtree -s i -l ignore-case -d 'Match PATTERN without regard to case'
complete -c pgtree -l orphaned -d 'Only members of orphaned process groups'
complete -c pgtree -s A -l ignore-ancestors -d 'Never the caller\'s own ancestors (its shell, the terminal, ...)'
complete -c pgtree -l oldest -d 'Only the least recently started of the matches (pgrep\'s -o)'
complete -c pgtree -s v -l inverse -d 'Show the processes that do not match PATTERN, -u, -t, -P, --orphaned, -F, -r, --env (-p, -g, -s still restrict)'
complete -c pgtree -s n -l newest -d 'Only the most recently started of the matches'
complete -c pgtree -s k -l kernel -d 'Include kernel threads'
complete -c pgtree -l tree -d 'Sessions, groups and processes as a tree (the default)'
complete -c pgtree -l table -d 'A table with a header row (the default with -o)'
complete -c pgtree -l plain -d 'Columns separated by one space; fields never contain whitespace'
complete -c pgtree -l json -d 'A JSON array with one object per process'
complete -c pgtree -l no-headers -d 'Omit the header row of --table and --plain'
complete -c pgtree -l ino -d 'Show ids as PID:INO (pidfs inode, Linux 6.9+) in the tree (a group\'s or session\'s: its leader\'s) and in -l, -a, -d'
complete -c pgtree -s c -l count -d 'Print how many processes are selected, as pgrep -c'
complete -c pgtree -s l -l list-name -d 'List each selected process as its pid and name, as pgrep -l'
complete -c pgtree -s a -l list-full -d 'List each selected process as its pid and command line, as pgrep -a'
complete -c pgtree -s q -l quiet -d 'Print nothing: only the exit status says whether anything is selected'
complete -c pgtree -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgtree -s V -l version -d 'Print version'
complete -c pgtree -f
