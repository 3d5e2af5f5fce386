
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
        awk -v skip=$$ -v kind="$2" -v sep="\t" -v head="$3" "$4"' sh $pgtree $argv[1] "$head" '@AWK@'
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
    printf '%s\n' @SIGNALS@
end

# A duration: the units that can follow the number typed (300 -> 300ms,
# 300s, 300m, 300h); nothing before a number, never file names.
function __procgroup_duration
    set -l token (commandline -ct | string replace -r -- '^--[^=]*=' '')
    set -l number (string match -r -- '^[0-9.]+' "$token"); or return
    printf '%s\n' $number'ms'\t'milliseconds' $number's'\t'seconds' \
        $number'm'\t'minutes' $number'h'\t'hours'
end
