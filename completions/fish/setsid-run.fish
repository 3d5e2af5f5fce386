complete -c setsid-run -l timeout -d 'End the session after DURATION (500ms, 5s, 1m) and exit 124; implies --wait' -r
complete -c setsid-run -l signal -d 'The signal for --timeout and --cleanup' -r
complete -c setsid-run -l kill-after -d 'SIGKILL what is left DURATION after --timeout\'s or --cleanup\'s signal' -r
complete -c setsid-run -l stdout -d 'Write COMMAND\'s stdout to FILE (truncated)' -r -F
complete -c setsid-run -l stderr -d 'Write COMMAND\'s stderr to FILE (truncated)' -r -F
complete -c setsid-run -l log -d 'Append COMMAND\'s stdout and stderr to FILE' -r -F
complete -c setsid-run -l print -d 'After a successful exec, print the new process\'s ids on stdout' -r -f -a "pid\t'The pid: 13131'
pgid\t'The process group id'
sid\t'The session id'
ids\t'pid, pgid and sid: 13131 13131 13131'
json\t'{"pid":13131,"pgid":13131,"sid":13131}'"
complete -c setsid-run -l pidfile -d 'Write COMMAND\'s pid to FILE; refuse to start if FILE names a live instance' -r -F
complete -c setsid-run -s w -l wait -d 'Wait for COMMAND and exit with its status, forwarding signals to its session'
complete -c setsid-run -l cleanup -d 'When COMMAND exits, end every process left in its session; implies --wait'
complete -c setsid-run -s d -l detach -d 'Detach: stdin, stdout and stderr from/to /dev/null unless redirected'
complete -c setsid-run -s c -l ctty -d 'Make the current terminal (on stdin) the new session\'s controlling terminal'
complete -c setsid-run -s g -l group -d 'Only a new process group in the current session, not a new session'
complete -c setsid-run -s h -l help -d 'Print help (see more with \'--help\')'
complete -c setsid-run -s V -l version -d 'Print version'
