//! Shell completions: clap_complete's scripts for the options, completed by
//! our own functions for the values clap cannot know.
//!
//! clap knows the options and their fixed values; it cannot know which
//! sessions, groups and processes exist when the user presses TAB. For
//! those values the scripts call `pgtree --plain` (no whitespace inside a
//! field, so awk splits it safely): the pgtree next to the completed command
//! when it was typed as a path, otherwise the one on PATH, so the scripts
//! work under any prefix. Everything is static text: no runtime flag, no
//! hidden argument.
//!
//! How each shell gets them:
//! - bash: clap's function stays; a wrapper registered in its place answers
//!   the options with live values and hands everything else to it.
//! - zsh: the `_arguments` specs of those options get our actions
//!   (`_sequence` for comma lists, `_describe` for descriptions).
//! - fish: those options' lines get `-a '(function)'`.
//!
//! setsid-run completes its own options, then the command and that
//! command's own completion (bash-completion's `_command_offset`, zsh's
//! `_normal`, fish's `__fish_complete_subcommand`).
//!
//! pgkill also completes kill's habit, `-SIG` as the first argument, when
//! the word there is a dash and a capital letter: `-TE` -> `-TERM`. Only
//! there: pgkill reads the form nowhere else (`rewrite_args`), and a lower
//! case letter after the dash is one of its options.

use std::fmt::Write as _;

use clap::builder::NonEmptyStringValueParser;
use clap::{Arg, Command, ValueHint};
use clap_complete::Shell;
use procgroup::Signal;

/// What a value of an option is, when clap's definition cannot say.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Values {
    /// Ids that exist now, read with pgtree: `pid`, `victim` (a pid pgkill
    /// takes), `pgid`, `sid` or `tty` (see `live.awk`).
    Live(&'static str),
    /// A signal name.
    Signal,
    /// User names (comma list).
    User,
    /// A comma list of fixed words with descriptions (pgtree's columns).
    List(Vec<(String, String)>),
    /// A duration (an option whose value is named DURATION, and pgtree's
    /// --watch INTERVAL): the units
    /// after the number typed, never file names, which clap's scripts
    /// offer for a value of no known kind.
    Duration,
}

/// The options of `command` whose values we complete, with what they are.
fn dynamic_args(command: &Command) -> Vec<(&Arg, Values)> {
    command
        .get_arguments()
        .filter_map(|arg| {
            let values = match arg.get_id().as_str() {
                // pgkill is never given pid 1 or the shell's ancestors:
                // it refuses them.
                "pids" if command.get_name() == "pgkill" => Values::Live("victim"),
                "pids" | "parents" => Values::Live("pid"),
                "pgids" => Values::Live("pgid"),
                "sids" => Values::Live("sid"),
                "ttys" => Values::Live("tty"),
                "uids" => Values::User,
                "signal" | "list" => Values::Signal,
                "watch" => Values::Duration,
                "columns" => Values::List(
                    arg.get_possible_values()
                        .iter()
                        .map(|value| {
                            let help = value.get_help().map(|h| h.to_string()).unwrap_or_default();
                            (value.get_name().to_string(), help)
                        })
                        .collect(),
                ),
                _ if arg
                    .get_value_names()
                    .is_some_and(|names| names.iter().any(|name| name == "DURATION")) =>
                {
                    Values::Duration
                }
                _ => return None,
            };
            Some((arg, values))
        })
        .collect()
}

/// The signals offered: the named ones, RTMIN and RTMAX (RTMIN+3 and the
/// like are still accepted when typed).
fn signals() -> Vec<(String, String)> {
    Signal::all()
        .into_iter()
        .map(|signal| (signal.name(), signal.description()))
        .filter(|(name, _)| !name.contains(['+', '-']))
        .collect()
}

/// The awk program of `live.awk`, without comments, for single quotes in
/// every shell.
fn awk() -> String {
    let program: Vec<&str> = include_str!("live.awk")
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .collect();
    let program = program.join("\n");
    assert!(
        !program.contains(['\'', '\\']),
        "live.awk must fit in single quotes in every shell"
    );
    program
}

/// The completion script of `command` for `shell`.
pub fn script(shell: Shell, command: &Command) -> String {
    // Built, so that the arguments' numbers of values are known.
    let mut command = command.clone();
    command.build();
    let command = &command;
    let name = command.get_name().to_string();
    let dynamic = dynamic_args(command);
    // clap's script, for a definition whose dynamic options have no fixed
    // values and no completion of their own: those are ours.
    let ids: Vec<clap::Id> = dynamic
        .iter()
        .map(|(arg, _)| arg.get_id().clone())
        .collect();
    let mut plain = command.clone().mut_args(|arg| {
        if ids.contains(arg.get_id()) {
            arg.value_parser(NonEmptyStringValueParser::new())
                .value_hint(ValueHint::Other)
        } else {
            arg
        }
    });
    let mut clap = Vec::new();
    clap_complete::generate(shell, &mut plain, &name, &mut clap);
    let clap = String::from_utf8(clap).expect("clap_complete writes UTF-8");
    match shell {
        Shell::Bash => bash(command, &name, &clap, &dynamic),
        Shell::Zsh => zsh(&name, &clap, &dynamic),
        Shell::Fish => fish(command, &name, &clap, &dynamic),
        _ => unreachable!("only bash, zsh and fish are generated"),
    }
}

const GENERATED: &str = "Generated from the clap definitions by `cargo xtask gen`; do not edit.";

/// `-s`, `--sid`: how an option is written.
fn flags(arg: &Arg) -> Vec<String> {
    let mut flags = Vec::new();
    if let Some(short) = arg.get_short() {
        flags.push(format!("-{short}"));
    }
    if let Some(long) = arg.get_long() {
        flags.push(format!("--{long}"));
    }
    flags
}

/// Options of `command` that take a value (their flags).
fn options_with_value(command: &Command) -> Vec<String> {
    command
        .get_arguments()
        .filter(|arg| !arg.is_positional())
        .filter(|arg| arg.get_num_args().is_some_and(|n| n.min_values() > 0))
        .flat_map(flags)
        .collect()
}

/// A shell function name from a command name: `setsid-run` -> `setsid_run`.
fn ident(name: &str) -> String {
    name.replace('-', "_")
}

fn bash(command: &Command, name: &str, clap: &str, dynamic: &[(&Arg, Values)]) -> String {
    let clap_function = clap
        .lines()
        .next()
        .and_then(|line| line.strip_suffix("() {"))
        .expect("clap's bash script starts with its function");
    let ours = format!("_procgroup_{}", ident(name));
    let registration = format!("complete -F {clap_function} ");
    assert_eq!(
        clap.matches(&registration).count(),
        2,
        "clap's bash script registers its function twice (with and without nosort)"
    );
    let clap = clap.replace(&registration, &format!("complete -F {ours} "));

    let mut cases = String::new();
    for (arg, values) in dynamic {
        let reply = match values {
            Values::Live("tty") => [
                "# bash inserts a reply as it is, and would glob a bare ? (no",
                "# terminal): it is offered as \\?, and matched when typed so.",
                r#"mapfile -t COMPREPLY < <(_procgroup_live tty "${cur//\\}" "$pre")"#,
                r#"COMPREPLY=("${COMPREPLY[@]//\?/\\?}")"#,
            ]
            .join("\n            "),
            Values::Live(kind) => {
                format!("mapfile -t COMPREPLY < <(_procgroup_live {kind} \"$cur\" \"$pre\")")
            }
            Values::Signal => {
                "_procgroup_reply \"$_procgroup_signals\" \"$cur\" \"$pre\"".to_string()
            }
            Values::User => "_procgroup_reply \"$(compgen -u)\" \"$cur\" \"$pre\"".to_string(),
            Values::List(items) => {
                let words: Vec<&str> = items.iter().map(|(word, _)| word.as_str()).collect();
                format!("_procgroup_reply '{}' \"$cur\" \"$pre\"", words.join(" "))
            }
            Values::Duration => "_procgroup_duration \"$cur\" \"$pre\"".to_string(),
        };
        writeln!(
            cases,
            "        {})\n            {reply}\n            return 0\n            ;;",
            flags(arg).join(" | ")
        )
        .unwrap();
    }

    let mut out = format!("# bash completion for {name}. {GENERATED}\n\n{clap}");
    let signals: Vec<String> = signals().into_iter().map(|(name, _)| name).collect();
    out.push_str(
        &include_str!("procgroup.bash")
            .replace("@AWK@", &awk())
            .replace("@SIGNALS@", &signals.join(" ")),
    );
    let template = if name == "setsid-run" {
        BASH_SETSID_RUN
    } else {
        BASH_WRAPPER
    };
    let kill_signal = if name == "pgkill" {
        BASH_KILL_SIGNAL
    } else {
        ""
    };
    out.push_str(
        &template
            .replace("@KILL_SIGNAL@", kill_signal)
            .replace("@OURS@", &ours)
            .replace("@CLAP@", clap_function)
            .replace("@CASES@", &cases)
            .replace("@SKIP@", &options_with_value(command).join(" | ")),
    );
    out
}

/// The bash function registered for pgtree and pgkill.
const BASH_WRAPPER: &str = r#"
# Live ids, signals, users and column lists; the rest is clap's.
@OURS@() {
    local cur opt pre
    _procgroup_option_value
@KILL_SIGNAL@    case $opt in
@CASES@    esac
    @CLAP@ "$@"
}
"#;

/// pgkill's `-SIG` as the first argument: the signals after a dash, with
/// clap's options (`-V` is one).
const BASH_KILL_SIGNAL: &str = r#"    # kill's habit, -SIG as the first argument (pgkill reads it only there).
    if ((COMP_CWORD == 1)) && [[ $cur == -[A-Z]* ]]; then
        @CLAP@ "$@"
        mapfile -t -O ${#COMPREPLY[@]} COMPREPLY < <(compgen -P - -W "$_procgroup_signals" -- "${cur#-}")
        return 0
    fi
"#;

/// The bash function registered for setsid-run.
const BASH_SETSID_RUN: &str = r#"
# setsid-run's options, then the command and its own completion
# (bash-completion's _command_offset).
@OURS@() {
    local i=1
    while ((i < COMP_CWORD)); do
        case ${COMP_WORDS[i]} in
        --)
            ((i++))
            break
            ;;
        @SKIP@)
            # The value, and the '=' when bash split --opt=value there.
            [[ ${COMP_WORDS[i + 1]} == = ]] && ((i++))
            ((i += 2))
            ;;
        -*) ((i++)) ;;
        *) break ;;
        esac
    done
    if ((i < COMP_CWORD)) || { ((i == COMP_CWORD)) && [[ ${COMP_WORDS[i]} != -* ]]; }; then
        if declare -F _comp_command_offset >/dev/null; then
            _comp_command_offset "$i"
        elif declare -F _command_offset >/dev/null; then
            _command_offset "$i"
        elif ((i == COMP_CWORD)); then
            mapfile -t COMPREPLY < <(compgen -c -- "${COMP_WORDS[i]}")
        else
            mapfile -t COMPREPLY < <(compgen -f -- "${COMP_WORDS[COMP_CWORD]}")
        fi
        return 0
    fi
    local cur opt pre
    _procgroup_option_value
    case $opt in
@CASES@    esac
    @CLAP@ "$@"
}
"#;

/// Quotes for zsh and bash: `'it'\''s'`.
fn single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Quotes for fish, where `\` and `'` are escaped inside single quotes.
fn fish_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\\', r"\\").replace('\'', r"\'"))
}

/// The flag a line of clap's `_arguments` specs is about: `--sid` in
/// `'(-x)*--sid=[help]:SID:' \`.
fn zsh_spec_flag(line: &str) -> Option<&str> {
    let mut spec = line.strip_prefix('\'')?;
    if spec.starts_with('(') {
        spec = &spec[spec.find(')')? + 1..];
    }
    let spec = spec.strip_prefix('*').unwrap_or(spec);
    let end = spec.find(['=', '+', '['])?;
    Some(&spec[..end])
}

/// The line of clap's zsh function that calls `_arguments`.
const ZSH_ARGUMENTS: &str = r#"    _arguments "${_arguments_options[@]}" : \"#;

/// pgkill's `-SIG` as the first argument, before `_arguments`, which still
/// offers the options (`-V` is one).
const ZSH_KILL_SIGNAL: &str = r#"    # kill's habit, -SIG as the first argument (pgkill reads it only there).
    if (( CURRENT == 2 )) && [[ $PREFIX == -[A-Z]* ]]; then
        _procgroup_signals -P - && ret=0
    fi
"#;

fn zsh(name: &str, clap: &str, dynamic: &[(&Arg, Values)]) -> String {
    let mut functions = String::new();
    let mut out = String::new();
    let mut replaced = 0;
    for line in clap.lines() {
        if name == "pgkill" && line == ZSH_ARGUMENTS {
            out.push_str(ZSH_KILL_SIGNAL);
            replaced += 1;
        }
        let arg = zsh_spec_flag(line).and_then(|flag| {
            dynamic
                .iter()
                .find(|(arg, _)| flags(arg).iter().any(|f| f == flag))
        });
        let Some((arg, values)) = arg else {
            if line == r#"'*::command -- The command and its arguments:_cmdambivalent' \"# {
                // setsid-run: the command's name, then its own completion.
                out.push_str("'(-):command name: _command_names -e' \\\n");
                out.push_str("'*::arguments: _normal' \\\n");
                replaced += 1;
            } else {
                out.push_str(line);
                out.push('\n');
            }
            continue;
        };
        let action = match values {
            Values::Live(kind) => format!("_sequence _procgroup_ids {kind}"),
            Values::Signal => "_procgroup_signals".to_string(),
            Values::User => "_sequence _users".to_string(),
            Values::List(items) => {
                let function = format!("_procgroup_{}_{}", ident(name), arg.get_id());
                if !functions.contains(&function) {
                    let entries: Vec<String> = items
                        .iter()
                        .map(|(word, help)| single_quoted(&format!("{word}:{help}")))
                        .collect();
                    write!(
                        functions,
                        "\n(( $+functions[{function}] )) ||\n{function}() {{\n  local -a items\n  items=( {} )\n  _describe -t {id} {id} items \"$@\"\n}}\n",
                        entries.join(" "),
                        id = arg.get_id(),
                    )
                    .unwrap();
                }
                format!("_sequence {function}")
            }
            Values::Duration => "_procgroup_duration".to_string(),
        };
        let spec = line
            .strip_suffix(":' \\")
            .expect("clap ends a spec without completion with :' \\");
        writeln!(out, "{spec}: {action}' \\").unwrap();
        replaced += 1;
    }
    let expected: usize = dynamic
        .iter()
        .map(|(arg, _)| flags(arg).len())
        .sum::<usize>()
        + usize::from(name == "setsid-run" || name == "pgkill");
    assert_eq!(
        replaced, expected,
        "every zsh line of {name} that we change was found"
    );

    let signals: Vec<String> = signals()
        .into_iter()
        .map(|(name, help)| single_quoted(&format!("{name}:{help}")))
        .collect();
    let helpers = include_str!("procgroup.zsh")
        .replace("@AWK@", &awk())
        .replace("@SIGNALS@", &signals.join(" "))
        + &functions;
    let tail = format!("\nif [ \"$funcstack[1]\" = \"_{name}\" ]; then");
    let at = out
        .find(&tail)
        .expect("clap's zsh script ends by calling or registering its function");
    out.insert_str(at, &helpers);
    // The first line stays `#compdef name`.
    let (first, rest) = out.split_once('\n').expect("a #compdef line");
    format!("{first}\n# zsh completion for {name}. {GENERATED}\n{rest}")
}

fn fish(command: &Command, name: &str, clap: &str, dynamic: &[(&Arg, Values)]) -> String {
    let mut functions = String::new();
    let mut out = String::new();
    let start = format!("complete -c {name} ");
    let setsid_run = name == "setsid-run";
    let mut replaced = 0;
    for line in clap.lines() {
        let Some(rest) = line.strip_prefix(&start) else {
            // The continuation of a multi-line -a.
            out.push_str(line);
            out.push('\n');
            continue;
        };
        out.push_str(&start);
        if setsid_run {
            // Its options until the command; then the command's own.
            out.push_str("-n 'not __procgroup_setsid_run_command >/dev/null' ");
        }
        let arg = dynamic.iter().find(|(arg, _)| {
            let mut written = Vec::new();
            if let Some(short) = arg.get_short() {
                written.push(format!("-s {short}"));
            }
            if let Some(long) = arg.get_long() {
                written.push(format!("-l {long}"));
            }
            rest.starts_with(&format!("{} -d ", written.join(" ")))
        });
        let Some((arg, values)) = arg else {
            out.push_str(rest);
            out.push('\n');
            continue;
        };
        let function = match values {
            Values::Live(kind) => format!("__procgroup_live {kind}"),
            Values::Signal => "__procgroup_signals".to_string(),
            Values::User => "__procgroup_list (__fish_complete_users)".to_string(),
            Values::List(items) => {
                let function = format!("__procgroup_{}_{}", ident(name), arg.get_id());
                let items: Vec<String> = items
                    .iter()
                    .map(|(word, help)| format!("{word}\\t{}", fish_quoted(help)))
                    .collect();
                write!(
                    functions,
                    "\nfunction {function}\n    __procgroup_list {}\nend\n",
                    items.join(" ")
                )
                .unwrap();
                function
            }
            Values::Duration => "__procgroup_duration".to_string(),
        };
        assert!(rest.ends_with(" -r -f"), "clap ends {line} with -r -f");
        writeln!(out, "{rest} -a '({function})'").unwrap();
        replaced += 1;
    }
    assert_eq!(
        replaced,
        dynamic.len(),
        "every dynamic fish option of {name} was found"
    );

    let signals: Vec<String> = signals()
        .into_iter()
        .map(|(name, help)| format!("{name}\\t{}", fish_quoted(&help)))
        .collect();
    let mut script = format!("# fish completion for {name}. {GENERATED}\n");
    script.push_str(
        &include_str!("procgroup.fish")
            .replace("@AWK@", &awk())
            .replace("@SIGNALS@", &signals.join(" ")),
    );
    script.push_str(&functions);
    if setsid_run {
        let with_value = options_with_value(command).join(" ");
        script.push_str(&FISH_SETSID_RUN.replace("@WITH_VALUE@", &with_value));
    }
    script.push('\n');
    script.push_str(&out);
    if setsid_run {
        script.push_str(
            "complete -c setsid-run -n '__procgroup_setsid_run_command >/dev/null' -x \\\n    -a '(__fish_complete_subcommand --commandline (__procgroup_setsid_run_command))'\n",
        );
    } else {
        // No file arguments: pgtree's PATTERN is a regular expression.
        writeln!(script, "complete -c {name} -f").unwrap();
    }
    if name == "pgkill" {
        script.push_str(FISH_KILL_SIGNAL);
    }
    script
}

/// pgkill's `-SIG` as the first argument.
const FISH_KILL_SIGNAL: &str = r#"
# kill's habit, -SIG as the first argument (pgkill reads it only there).
complete -c pgkill -f \
    -n 'test (count (commandline -opc)) = 1; and string match -qr -- "^-[A-Z]" (commandline -ct)' \
    -a '(__procgroup_signals | string replace -r -- ^ -)'
"#;

/// The command's words, for fish's setsid-run completion.
const FISH_SETSID_RUN: &str = r#"
# The command's words, the one being completed last, once setsid-run's own
# options are over; fails before that.
function __procgroup_setsid_run_command
    set -l with_value @WITH_VALUE@
    set -l current (commandline -ct)
    set -l words (commandline -opc)[2..-1] "$current"
    set -l skip 0
    for i in (seq (count $words))
        set -l word $words[$i]
        if test $skip = 1
            set skip 0
        else if test "$word" = --; and test $i -lt (count $words)
            printf '%s\n' $words[(math $i + 1)..-1]
            return 0
        else if contains -- $word $with_value
            set skip 1
        else if not string match -q -- '-*' $word
            printf '%s\n' $words[$i..-1]
            return 0
        end
    end
    return 1
end
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tools_have_the_dynamic_options_they_document() {
        let kinds = |command: Command| -> Vec<String> {
            dynamic_args(&command)
                .iter()
                .map(|(arg, _)| arg.get_id().to_string())
                .collect()
        };
        assert_eq!(
            kinds(crate::pgtree::command()),
            ["uids", "ttys", "parents", "pids", "pgids", "sids", "watch", "columns"]
        );
        assert_eq!(
            kinds(crate::pgkill::command()),
            [
                "uids",
                "ttys",
                "parents",
                "pids",
                "pgids",
                "sids",
                "signal",
                "list",
                "timeout",
                "kill_after"
            ]
        );
        assert_eq!(
            kinds(crate::setsid_run::command()),
            ["timeout", "signal", "kill_after"]
        );
    }

    #[test]
    fn the_awk_program_fits_in_single_quotes() {
        assert!(awk().contains("kind == \"pid\""));
    }

    #[test]
    fn signals_offered_are_names_without_offsets() {
        let names: Vec<String> = signals().into_iter().map(|(name, _)| name).collect();
        assert!(names.contains(&"TERM".to_string()));
        assert!(!names.iter().any(|name| name.contains('+')));
    }
}
