
# --- procgroup: values the tools' definitions cannot know -----------------
# Shared by the completions of pgtree, pgkill and setsid-run (each file
# carries a copy, as each is loaded alone).

# Live ids from pgtree that complete the comma list $2, one a line, each
# after $3 (`--sid=` when bash did not split the word at '='): $1 is pid,
# pgid, sid or tty. pgtree is the one next to the completed command when
# that was typed as a path (./target/release/pgkill), otherwise the one on
# PATH. Runs in a subshell ($BASHPID), whose processes are no candidates.
_procgroup_live() {
    local pgtree=pgtree word=${COMP_WORDS[0]} cur=$2 head=
    [[ $word == */* && -x ${word%/*}/pgtree ]] && pgtree=${word%/*}/pgtree
    if [[ $cur == *,* ]]; then
        head=${cur%,*},
        cur=${cur##*,}
    fi
    command "$pgtree" --plain --no-headers -o pid,ppid,pgid,sid,tty,comm 2>/dev/null |
        awk -v kind="$1" -v skip="$BASHPID" -v head="$3$head" -v prefix="$cur" '@AWK@'
}

# COMPREPLY: the words of $1 that complete the last item of the comma list
# $2, each after the items before it and after $3 (`--sid=` when bash did
# not split the word at '='). Items already in the list are left out.
_procgroup_reply() {
    local cur=$2 head= word
    local -a matches
    if [[ $cur == *,* ]]; then
        head=${cur%,*},
        cur=${cur##*,}
    fi
    mapfile -t matches < <(compgen -W "$1" -- "$cur")
    if [[ -z $head ]]; then
        COMPREPLY=("${matches[@]/#/$3}")
        return 0
    fi
    COMPREPLY=()
    for word in "${matches[@]}"; do
        [[ ,$head == *,"$word",* ]] || COMPREPLY+=("$3$head$word")
    done
}

# Sets opt (the option whose value is being completed, if any), cur (the
# value typed so far) and pre (text before the value in the same word).
_procgroup_option_value() {
    cur=${COMP_WORDS[COMP_CWORD]} opt= pre=
    local prev=
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    if [[ $cur == --*=* ]]; then
        opt=${cur%%=*} pre=${cur%%=*}= cur=${cur#*=}
    elif [[ $cur == = ]]; then
        opt=$prev cur=
    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
        opt=${COMP_WORDS[COMP_CWORD - 2]}
    elif [[ $cur != -* ]]; then
        opt=$prev
    fi
}

_procgroup_signals='@SIGNALS@'

# COMPREPLY: the units that can follow the number of the duration $1 (300
# -> 300ms 300s 300m 300h), each after $2. Otherwise the word itself:
# nothing to offer, and an empty reply would make bash offer file names
# (-o default).
_procgroup_duration() {
    local number=${1%%[!0-9.]*}
    COMPREPLY=()
    [[ -n $number ]] &&
        mapfile -t COMPREPLY < <(compgen -P "$2$number" -W 'ms s m h' -- "${1#"$number"}")
    if ((${#COMPREPLY[@]} == 0)); then
        COMPREPLY=("$2$1")
        compopt -o nospace 2>/dev/null
    fi
}
