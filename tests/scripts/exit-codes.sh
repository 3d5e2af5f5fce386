#!/bin/sh
# README, "Use in scripts": the exit codes a script can branch on, one
# check per row of the table.
set -u

expect() { # expect CODE COMMAND...: COMMAND exits with CODE
    want=$1
    shift
    "$@" >/dev/null 2>&1
    got=$?
    [ "$got" -eq "$want" ] || { echo "$*: exit $got, expected $want" >&2; exit 1; }
}

missing=2147483647 # a valid id that no process has

expect 0 pgtree -p $$
expect 1 pgtree -x 'no-such-process-name'
expect 2 pgtree -o no-such-column

expect 1 pgkill --sid $missing
# Dry runs (-n): a regression that took the number for a target would
# still signal nothing on this machine.
expect 2 pgkill -n 1234       # a bare number: say --pid, --pgid or --sid
expect 2 pgkill -n --sid self # would hit pgkill and its shell: refused

# A job that ignores TERM (sleep inherits the ignored signal); it says so
# once the trap is in place, and only then is it sent TERM.
sid=$(setsid-run -d --print sid -- sh -c 'trap "" TERM; : >"$TMPDIR/ready"; exec sleep 300')
trap 'pgkill --sid "$sid" --wait -k 2s 2>/dev/null' EXIT
tries=0
until [ -e "$TMPDIR/ready" ]; do
    tries=$((tries + 1))
    [ "$tries" -lt 200 ] || { echo "the job did not start" >&2; exit 1; }
    sleep 0.05
done
expect 3 pgkill --signal CONT --sid "$sid" --sid $missing # one matched, one did not

# What a script does with survivors.
status=0
pgkill --sid "$sid" --timeout 300ms || status=$?
case $status in
4) pgkill -KILL --sid "$sid" --wait ;;
*) echo "expected survivors (4), got $status" >&2 && exit 1 ;;
esac
expect 1 pgkill --sid "$sid" # gone

expect 0 setsid-run -- true
expect 127 setsid-run -- no-such-command-anywhere
printf 'no exec bit\n' >"$TMPDIR/not-executable"
expect 126 setsid-run -- "$TMPDIR/not-executable"
expect 3 setsid-run -w -- sh -c 'exit 3'
expect 137 setsid-run -w -- sh -c 'kill -KILL $$'
expect 143 setsid-run -w -- sh -c 'kill -TERM $$'
expect 124 setsid-run -w --timeout 200ms -- sleep 300
echo "ok: exit codes"
