#!/bin/sh
# README, "Use in scripts": start a job in a session of its own, keep its
# session id, and end the whole session (every group of it) when the script
# exits, however it exits.
set -eu

# Is any process of session $1 still alive (zombies have exited)? pgtree
# exits 1 when nothing matched; anything else but 0 is a failure.
alive() {
    status=0
    states=$(pgtree -s "$1" --plain --no-headers -o state) || status=$?
    case $status in
    0) printf '%s\n' "$states" | grep -qv Z ;;
    1) return 1 ;;
    *) echo "pgtree -s $1: exit $status" >&2 && exit 1 ;;
    esac
}

# The job: a leader with a child in its group, and a second group in the
# same session (what `kill -- -$sid` would miss).
cd "$TMPDIR"
printf '%s\n' '#!/bin/sh' 'setsid-run -g -- sleep 300' 'sleep 300 &' 'wait' >job
chmod +x job

(
    sid=$(setsid-run -d --print sid -- ./job)
    trap 'pgkill --sid "$sid" --wait -k 2s' EXIT
    echo "$sid" >"$TMPDIR/sid"

    # The script's work; here: look at the job, which is there, whole once
    # it is the shell and its two sleeps (setsid-run has exited, and each
    # sleep has been exec'd, so it is in its group).
    tries=0
    until [ "$(pgtree -s "$sid" --plain --no-headers -o comm | sort | tr '\n' ' ')" = "job sleep sleep " ]; do
        tries=$((tries + 1))
        [ "$tries" -lt 100 ] || { echo "the job did not start" >&2; exit 1; }
        sleep 0.05
    done
    groups=$(pgtree -s "$sid" --plain --no-headers -o pgid | sort -u | wc -l)
    [ "$groups" -eq 2 ] || { echo "expected 2 groups, got $groups" >&2; exit 1; }
)

# The subshell has exited: its trap has ended the whole session.
sid=$(cat "$TMPDIR/sid")
if alive "$sid"; then
    echo "session $sid survived the trap:" >&2
    pgtree -s "$sid" >&2
    exit 1
fi
echo "ok: session $sid ended by the EXIT trap"
