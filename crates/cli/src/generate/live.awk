# Completion candidates from the processes that exist now. Reads
#   pgtree --plain --no-headers -o pid,ppid,pgid,sid,tty,comm
# (one process a line, no whitespace inside a field) and prints one
# candidate a line: head, value, and unless sep is empty, sep and a
# description. Variables:
#   kind    pid (description: name), pgid (leader's name), sid (leader's
#           name and tty) or tty (session leader's name; and `?`, no
#           terminal, which pgtree --tty accepts)
#   skip    the process that runs pgtree for the completion: it and its
#           children (pgtree, awk) are not candidates
#   head    the comma list typed before the item being completed: printed
#           before each candidate, and its items are not offered again
#   prefix  only values that start with it (bash; zsh and fish filter)
function say(value, description) {
    if (value in used) return
    if (prefix != "" && index(value, prefix) != 1) return
    if (sep == "") print head value
    else print head value sep description
}
BEGIN {
    split(head, items, ",")
    for (i in items) used[items[i]] = 1
    if (kind == "sid") say("self", "the session of this shell")
    if (kind == "tty") say("?", "no controlling terminal")
}
$1 == skip || $2 == skip { next }
kind == "pid" { if ($1 > 0) say($1, $6); next }
{
    if (kind == "pgid") key = $3
    else if (kind == "sid") key = $4
    else key = $5
    if (key == "0" || key == "?") next
    if (!(key in seen)) { seen[key] = 1; order[n++] = key; where[key] = $5 }
    if ((kind == "pgid" && $1 == $3) || (kind != "pgid" && $1 == $4 && !(key in leader))) {
        leader[key] = $6
        where[key] = $5
    }
}
END {
    for (i = 0; i < n; i++) {
        key = order[i]
        description = (key in leader) ? leader[key] : "(no leader)"
        if (kind == "sid") description = description " " where[key]
        say(key, description)
    }
}
