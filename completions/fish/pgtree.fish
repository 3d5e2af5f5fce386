complete -c pgtree -s p -l pid -d 'Only these processes (comma list, repeatable)' -r
complete -c pgtree -s g -l pgid -d 'Only these process groups; `self` is pgtree\'s own group' -r
complete -c pgtree -s s -l sid -d 'Only these sessions; `self` is pgtree\'s own session' -r
complete -c pgtree -s u -l user -d 'Only processes of these users (names or uids)' -r
complete -c pgtree -s t -l tty -d 'Only processes on these terminals (pts/3, tty1, `?` for none)' -r
complete -c pgtree -l expand -d 'Show the whole group or session of every matched process' -r -f -a "group\t'The whole process group of each match'
session\t'The whole session of each match'"
complete -c pgtree -s o -l columns -d 'Columns for --table, --plain and --json (comma list)' -r -f -a "pid\t'Process id'
ppid\t'Parent\'s pid'
pgid\t'Process group id'
sid\t'Session id'
tpgid\t'Foreground group of the terminal (-1 for none)'
tty\t'Controlling terminal'
user\t'Owner\'s name'
uid\t'Owner\'s uid'
state\t'State letter (R, S, D, T, Z, ...)'
comm\t'Process name'
args\t'Command line'"
complete -c pgtree -l color -d 'When to color the tree' -r -f -a "auto\t'Color when stdout is a terminal and NO_COLOR is unset'
always\t''
never\t''"
complete -c pgtree -s f -l full -d 'Match PATTERN against the whole command line'
complete -c pgtree -s x -l exact -d 'PATTERN must match the whole name (or command line)'
complete -c pgtree -s i -l ignore-case -d 'Match PATTERN without regard to case'
complete -c pgtree -l orphaned -d 'Only members of orphaned process groups'
complete -c pgtree -s k -l kernel -d 'Include kernel threads'
complete -c pgtree -l tree -d 'Sessions, groups and processes as a tree (the default)'
complete -c pgtree -l table -d 'A table with a header row (the default with -o)'
complete -c pgtree -l plain -d 'Columns separated by one space; fields never contain whitespace'
complete -c pgtree -l json -d 'A JSON array with one object per process'
complete -c pgtree -l no-headers -d 'Omit the header row of --table and --plain'
complete -c pgtree -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgtree -s V -l version -d 'Print version'
