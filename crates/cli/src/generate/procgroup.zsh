
# --- procgroup: values the tools' definitions cannot know -----------------
# Shared by the completions of pgtree, pgkill and setsid-run (each file
# carries a copy, as each is loaded alone).

# Live ids from pgtree as `value:description` lines: $1 is pid, pgid, sid
# or tty. pgtree is the one next to the completed command when that was
# typed as a path (./target/release/pgkill), otherwise the one on PATH.
# Runs in a subshell, whose processes are no candidates.
(( $+functions[_procgroup_live] )) ||
_procgroup_live() {
  local pgtree=pgtree skip=
  [[ $words[1] == */* && -x ${words[1]:h}/pgtree ]] && pgtree=${words[1]:h}/pgtree
  zmodload -F zsh/system p:sysparams 2>/dev/null && skip=$sysparams[pid]
  command $pgtree --plain --no-headers -o pid,ppid,pgid,sid,tty,comm 2>/dev/null |
    awk -v kind=$1 -v skip=$skip -v sep=: '@AWK@'
}

# Completes live ids of kind $1 (for _sequence: compadd options follow),
# shown as `id -- description`, in numeric order (words such as self
# first). compadd with display strings, not _describe, which takes seconds
# to group thousands of equal descriptions.
(( $+functions[_procgroup_ids] )) ||
_procgroup_ids() {
  local kind=$1 label
  shift
  case $kind in
    pid|victim) label=process ;;
    pgid) label='process group' ;;
    sid) label=session ;;
    *) label=terminal ;;
  esac
  local -a lines values displays expl
  lines=( ${(onf)"$(_procgroup_live $kind)"} )
  values=( ${lines%%:*} )
  displays=( ${lines/:/ -- } )
  _wanted -V $kind-ids expl $label compadd -l -d displays "$@" -a values
}

(( $+functions[_procgroup_signals] )) ||
_procgroup_signals() {
  local -a signals
  signals=( @SIGNALS@ )
  _describe -t signals signal signals "$@"
}

# A duration: the units that can follow the number typed (300 -> 300ms,
# 300s, 300m, 300h); before a number only a hint, never file names.
(( $+functions[_procgroup_duration] )) ||
_procgroup_duration() {
  local -a units
  units=( 'ms:milliseconds' 's:seconds' 'm:minutes' 'h:hours' )
  if compset -P '[0-9.]##'; then
    _describe -t units unit units "$@"
  else
    _message -e durations 'duration, e.g. 300ms, 2s, 1m'
  fi
}
