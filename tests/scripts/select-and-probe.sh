#!/bin/sh
# README, "Use in scripts": pkill's habits without its races. Select by
# command line and signal each match's whole group, within a job's own
# session; ask whether a process is alive, as kill -0 does.
set -u
command -v bash >/dev/null || { echo "bash is needed (job control in a script)"; exit 77; }

fail() { echo "$*" >&2; exit 1; }

# Is something of session $1 that matches the pgtree options after it alive?
# pgtree exits 1 when nothing matched; anything else but 0 is a failure.
alive() {
    sid=$1
    shift
    status=0
    states=$(pgtree -s "$sid" --plain --no-headers -o state "$@") || status=$?
    case $status in
    0) printf '%s\n' "$states" | grep -qv Z ;;
    1) return 1 ;;
    *) fail "pgtree -s $sid $*: exit $status" ;;
    esac
}

# The job: a server (a script named serve.py with two children in its
# group) and another job in the same session. Its path reaches the server's
# shell through the environment, so that only the server's command line
# names serve.py.
cd "$TMPDIR"
printf '%s\n' 'sleep 300 &' 'sleep 300 &' 'wait' >serve.py
sid=$(SERVE="$TMPDIR/serve.py" setsid-run -d --print sid -- \
    bash -c 'set -m; sh "$SERVE" & sleep 301 & wait')
trap 'pgkill --sid "$sid" --wait -k 2s' EXIT

tries=0
until [ "$(pgtree -s "$sid" --plain --no-headers -o args | grep -c '^sleep\\x2030[01]$')" = 3 ]; do
    tries=$((tries + 1))
    [ "$tries" -lt 100 ] || fail "the job did not start"
    sleep 0.05
done

# pkill -f 'serve\.py' would hit every serve.py of the machine, and only
# the shell: the server's whole group, in this job only.
pgkill -f 'serve\.py' --sid "$sid" --expand group --wait -k 2s || fail "pgkill: exit $?"
alive "$sid" -f 'serve\.py' && fail "the server survived"
alive "$sid" -f '^sleep 300$' && fail "the server's children survived"
alive "$sid" -f '^sleep 301$' || fail "the other job was hit"

# kill -0, without the reused-pid risk: 0 alive (and mine to signal), 1 gone.
pid=$(setsid-run -d --print pid -- sleep 302)
if pgkill -0 -q --pid "$pid"; then echo "$pid is running"; else fail "$pid is not running"; fi
pgkill --pid "$pid" --wait
# Exited; once reaped (a zombie still exists, as for kill -0), it is gone.
tries=0
while :; do
    status=0
    pgkill -0 -q --pid "$pid" || status=$?
    [ "$status" -eq 0 ] || break
    tries=$((tries + 1))
    [ "$tries" -lt 100 ] || fail "$pid was never reaped"
    sleep 0.05
done
[ "$status" -eq 1 ] || fail "pgkill -0 on a process gone: exit $status, expected 1"
echo "ok: selection within a session, and the liveness probe"
