#!/bin/sh
# README, "Use in scripts": pgtree --json for jq.
set -eu
command -v jq >/dev/null || { echo "skip: jq is not installed"; exit 77; }

sid=$(setsid-run -d --print sid -- sh -c 'sleep 300 & sleep 300 & wait')
trap 'pgkill --sid "$sid" --wait -k 2s' EXIT
tries=0
# Until both children have been exec'd: a fork of sh still reads "sh".
until [ "$(pgtree -s "$sid" --plain --no-headers -o comm | sort | tr '\n' ' ')" = "sh sleep sleep " ]; do
    tries=$((tries + 1))
    [ "$tries" -lt 100 ] || { echo "the job did not start" >&2; exit 1; }
    sleep 0.05
done

# The names in a session, and how many processes run each.
names=$(pgtree --json -s "$sid" | jq -r 'group_by(.comm) | map("\(.[0].comm) \(length)") | .[]')
[ "$names" = "sh 1
sleep 2" ] || { echo "unexpected names: $names" >&2; exit 1; }

# The pids of the processes without a terminal.
pgtree --json -o pid,sid,comm,tty | jq -r '.[] | select(.tty == null) | .pid' | grep -qx "$sid"

# Command lines are arrays: no quoting to undo.
args=$(pgtree --json -p "$sid" -o args | jq -r '.[0].args[2]')
[ "$args" = 'sleep 300 & sleep 300 & wait' ] || { echo "unexpected args: $args" >&2; exit 1; }
echo "ok: pgtree --json | jq"
