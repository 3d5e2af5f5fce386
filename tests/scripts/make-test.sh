#!/bin/sh
# README, "Use in scripts": run a job that leaves nothing behind, for ten
# minutes at most. The Makefile's test leaves a process running in the
# background, as test suites do; --cleanup ends it when make exits.
set -eu
command -v make >/dev/null || { echo "skip: make is not installed"; exit 77; }

cd "$TMPDIR"
printf '%s\n' \
    'test:' \
    '	sleep 300 & echo $$! >straggler.pid' \
    '	@echo tests passed' >Makefile

setsid-run -w --cleanup --timeout 10m -- make test

straggler=$(cat straggler.pid)
# pgtree exits 1 when the pid is gone; anything else but 0 is a failure.
status=0
state=$(pgtree -p "$straggler" --plain --no-headers -o state) || status=$?
case $status:$state in
1: | 0:Z) echo "ok: make's straggler $straggler was ended by --cleanup" ;;
0:*)
    echo "straggler $straggler survived (state $state)" >&2
    exit 1
    ;;
*)
    echo "pgtree -p $straggler: exit $status" >&2
    exit 1
    ;;
esac

# The same job past its time: the whole session is ended, and the status is
# 124, as with timeout(1).
printf '%s\n' 'test:' '	sleep 300 & sleep 300' >Makefile
status=0
setsid-run -w --cleanup --timeout 200ms --kill-after 1s -- make test || status=$?
[ "$status" -eq 124 ] || { echo "expected 124 after --timeout, got $status" >&2; exit 1; }
echo "ok: --timeout ended make's session with 124"
