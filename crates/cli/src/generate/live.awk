# Completion candidates from the processes that exist now. Reads
#   pgtree --plain --no-headers -o pid,ppid,pgid,sid,tty,comm
# (one process a line, no whitespace inside a field) and prints one
# candidate a line: head, value, and unless sep is empty, sep and a
# description. Variables:
#   kind    pid (description: name), victim (a pid pgkill would take: not
#           pid 1 and not the shell's own ancestors), pgid (leader's name;
#           and self), sid (leader's name and tty; and self) or tty
#           (session leader's name; and `?`, no terminal, which pgtree
#           --tty accepts)
#   skip    the process that runs pgtree for the completion: it and its
#           children (pgtree, awk) are not candidates
#   head    the comma list typed before the item being completed: printed
#           before each candidate, and its items are not offered again
#   prefix  only values that start with it (bash; zsh and fish filter)
# Names come escaped from --plain (a space is \x20): a description shows
# them as they are where that is printable ASCII. The backslash is made
# with sprintf, as this program must fit in single quotes in every shell.
function say(value, description) {
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
}
