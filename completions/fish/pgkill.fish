complete -c pgkill -s p -l pid -d 'Signal this process (comma list, repeatable)' -r
complete -c pgkill -s g -l pgid -d 'Signal this whole process group; `self` is pgkill\'s own group' -r
complete -c pgkill -s s -l sid -d 'Signal every group of this session; `self` is pgkill\'s own session' -r
complete -c pgkill -l signal -d 'The signal: a name (TERM, SIGTERM, term, RTMIN+3) or a number [default: TERM]' -r
complete -c pgkill -s l -l list -d 'List the signals; with a name, number or exit status (128+N), translate it' -r
complete -c pgkill -l timeout -d 'Stop waiting after DURATION (500ms, 5s, 1m); implies --wait' -r
complete -c pgkill -s k -l kill-after -d 'Send SIGKILL to whatever is alive DURATION after the signal; implies --wait' -r
complete -c pgkill -s n -l dry-run -d 'Show what would be signalled, grouped by session and group; signal nothing'
complete -c pgkill -s w -l wait -d 'Wait until every targeted process has exited (a zombie has)'
complete -c pgkill -s v -l verbose -d 'Print a line per signalled process on stderr'
complete -c pgkill -l json -d 'Print a JSON report on stdout'
complete -c pgkill -l force -d 'Signal even a target that contains pgkill itself or its ancestors'
complete -c pgkill -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgkill -s V -l version -d 'Print version'
