//! The committed completion scripts in real shells: each shell loads them
//! the way a user's would (bash-completion's user directory, zsh's fpath and
//! compinit, fish's completions directory) and is asked what it offers for a
//! line, against processes this test started. A shell that is not installed
//! is skipped with a message (CI installs bash-completion, zsh and fish).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::symlink;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `sleep` this test started, leading a new session (`setsid`) or only a
/// new group; killed and reaped when dropped, even when the test fails.
struct Victim {
    child: Child,
}

impl Victim {
    fn start(session: bool) -> Victim {
        Victim::start_as(Path::new("sleep"), session)
    }

    /// [`Victim::start`] of `program`, a copy of sleep (its name is the
    /// process name).
    fn start_as(program: &Path, session: bool) -> Victim {
        let mut command = Command::new(program);
        command.arg("100").stdin(Stdio::null());
        if session {
            // SAFETY: setsid() is async-signal-safe and touches no memory
            // of the parent; the child is not a group leader, so it cannot
            // fail with EPERM.
            unsafe {
                command.pre_exec(|| {
                    if libc::setsid() == -1 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        } else {
            command.process_group(0);
        }
        let victim = Victim {
            child: command.spawn().expect("start sleep"),
        };
        let pid = victim.pid();
        let name = program.file_name().unwrap().to_str().unwrap().to_string();
        wait_until("the victim to run sleep", || {
            stat(pid).is_some_and(|(comm, _, sid)| comm == name && (!session || sid == pid))
        });
        victim
    }

    /// A `sleep` leading a session whose controlling terminal is a fresh
    /// pseudo-terminal (this test holds its master); the terminal's name.
    fn on_terminal() -> (Victim, OwnedFd, String) {
        // SAFETY: plain libc calls on a descriptor owned right after.
        let master = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) };
        assert!(
            master >= 0,
            "posix_openpt: {}",
            std::io::Error::last_os_error()
        );
        // SAFETY: a fresh descriptor that nothing else owns.
        let master = unsafe { OwnedFd::from_raw_fd(master) };
        let mut name = [0 as libc::c_char; 64];
        // SAFETY: grantpt/unlockpt on our master; ptsname_r writes at most
        // name.len() bytes.
        unsafe {
            assert_eq!(libc::grantpt(master.as_raw_fd()), 0);
            assert_eq!(libc::unlockpt(master.as_raw_fd()), 0);
            assert_eq!(
                libc::ptsname_r(master.as_raw_fd(), name.as_mut_ptr(), name.len()),
                0
            );
        }
        // SAFETY: ptsname_r wrote a NUL-terminated string.
        let path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }
            .to_str()
            .unwrap()
            .to_string();
        let slave = std::fs::File::options()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut command = Command::new("sleep");
        command.arg("100").stdin(slave).stdout(Stdio::null());
        // SAFETY: setsid() and ioctl() are async-signal-safe and touch only
        // the child; its stdin is the terminal's slave side.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() == -1 || libc::ioctl(0, libc::TIOCSCTTY, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let victim = Victim {
            child: command.spawn().expect("start sleep on a terminal"),
        };
        let pid = victim.pid();
        wait_until("the victim to run sleep on its terminal", || {
            stat(pid).is_some_and(|(comm, _, sid)| comm == "sleep" && sid == pid)
        });
        let tty = path.trim_start_matches("/dev/").to_string();
        (victim, master, tty)
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }
}

impl Drop for Victim {
    fn drop(&mut self) {
        // Our own unreaped child: its pid cannot belong to anyone else.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// comm, pgid and sid of a process, from /proc/PID/stat.
fn stat(pid: i32) -> Option<(String, i32, i32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let fields: Vec<&str> = text[close + 2..].split(' ').collect();
    Some((
        text[open + 1..close].to_string(),
        fields.get(2)?.parse().ok()?,
        fields.get(3)?.parse().ok()?,
    ))
}

fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        Scratch(crate::support::fresh_dir(
            &std::env::temp_dir(),
            &format!("procgroup-{name}"),
        ))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The directory of the binaries under test.
fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_pgtree"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// PATH with the binaries first (or without them).
fn path_var(with_binaries: bool) -> String {
    let system = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".to_string());
    let bin = bin_dir();
    let rest = std::env::split_paths(&system).filter(|dir| *dir != bin);
    let dirs: Vec<PathBuf> = if with_binaries {
        std::iter::once(bin.clone()).chain(rest).collect()
    } else {
        rest.collect()
    };
    std::env::join_paths(dirs).unwrap().into_string().unwrap()
}

/// Whether `program` runs; if not, the test is skipped with a message.
fn have(program: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        crate::support::skip(&format!("{program} is not installed (.ci/run installs it)"));
    }
    found
}

/// A line to complete, and whether the binaries are on PATH for it.
struct Case {
    line: String,
    on_path: bool,
}

/// What the shell offered for each case: `(word, description)` pairs.
type Offers = Vec<Vec<(String, String)>>;

/// The lines every shell is asked about.
struct Scenario {
    session: Victim,
    group: Victim,
    /// A session whose leader's name has a space, and its scratch dir.
    spaced: (Victim, Scratch),
    /// A session on a terminal of its own, the terminal's master, its name.
    terminal: (Victim, OwnedFd, String),
    cases: Vec<Case>,
}

const SID: usize = 0;
const DASH_O: usize = 1;
const COLUMNS: usize = 2;
const SIGNAL: usize = 3;
const PGID: usize = 4;
const PID: usize = 5;
const NESTED: usize = 6;
const COMMAND: usize = 7;
const BY_PATH: usize = 8;
const EQUALS: usize = 9;
const KILL_STYLE: usize = 10;
const OPTIONS: usize = 11;
const TTY: usize = 12;
const DURATION: usize = 13;
const UNITS: usize = 14;
const SELF: usize = 15;
const COMMA: usize = 16;
const USER: usize = 17;
const REAL_TTY: usize = 18;
const LIST: usize = 19;
const PGID_SELF: usize = 20;
const VICTIM: usize = 21;

impl Scenario {
    /// Hands the lines to a shell driver as arguments, with the PATHs it
    /// switches between: a line to complete with pgtree off PATH comes
    /// between `<path>` and `<no-path>`.
    fn pass_to(&self, command: &mut Command) {
        command
            .env("PATH", path_var(true))
            .env("PATH_WITH", path_var(true))
            .env("PATH_WITHOUT", path_var(false));
        for case in &self.cases {
            if !case.on_path {
                command.arg("<path>");
            }
            command.arg(&case.line);
            if !case.on_path {
                command.arg("<no-path>");
            }
        }
    }

    fn new() -> Scenario {
        let session = Victim::start(true);
        let group = Victim::start(false);
        let scratch = Scratch::new("spaced");
        let spaced_program = scratch.0.join("tmux: x");
        std::fs::copy("/bin/sleep", &spaced_program).unwrap();
        let spaced = (Victim::start_as(&spaced_program, true), scratch);
        let terminal = Victim::on_terminal();
        let pgkill = bin_dir().join("pgkill");
        let case = |line: &str| Case {
            line: line.to_string(),
            on_path: true,
        };
        let cases = vec![
            case("pgkill --sid "),
            case("pgkill -o"),
            case("pgtree -o pid,"),
            case("pgkill --signal TE"),
            case("pgkill --pgid "),
            case("pgtree --pid "),
            case("setsid-run -w -- pgkill --si"),
            case("setsid-run --timeout 10m pgk"),
            Case {
                line: format!("{} --sid ", pgkill.display()),
                on_path: false,
            },
            case("pgkill --sid="),
            case("pgkill -TE"),
            case("pgkill --s"),
            case("pgtree --tty "),
            case("pgkill --timeout "),
            case("setsid-run --kill-after=5"),
            case("pgkill --sid se"),
            case(&format!("pgkill --pid {},", session.pid())),
            case("pgtree -u roo"),
            case("pgtree --tty pt"),
            case("pgkill -l TE"),
            case("pgkill --pgid se"),
            case("pgkill --pid "),
        ];
        Scenario {
            session,
            group,
            spaced,
            terminal,
            cases,
        }
    }

    /// The checks that hold in every shell; `described` for zsh and fish.
    fn check(&self, shell: &str, offers: &Offers, described: bool) {
        let words = |case: usize| -> Vec<&str> {
            offers[case].iter().map(|(word, _)| word.as_str()).collect()
        };
        let show = |case: usize| {
            format!(
                "{shell}: '{}' offered {:?}",
                self.cases[case].line, offers[case]
            )
        };
        let offer = |case: usize, word: &str| -> Option<&(String, String)> {
            offers[case]
                .iter()
                .find(|(offered, _)| offered == word || offered.ends_with(&format!("={word}")))
        };
        let sid = self.session.pid().to_string();
        let pgid = self.group.pid().to_string();

        let session = offer(SID, &sid).unwrap_or_else(|| panic!("no session {sid}; {}", show(SID)));
        if described {
            assert!(
                session.1.starts_with("sleep "),
                "leader and tty; {}",
                show(SID)
            );
        }
        assert!(
            !words(SID).contains(&pgid.as_str()),
            "a group is not a session; {}",
            show(SID)
        );
        assert!(
            offers[DASH_O].is_empty(),
            "pgkill has no -o; {}",
            show(DASH_O)
        );
        for column in ["pid,ppid", "pid,pgid", "pid,sid", "pid,comm"] {
            assert!(
                words(COLUMNS).contains(&column),
                "{column}; {}",
                show(COLUMNS)
            );
        }
        assert!(!words(COLUMNS).contains(&"pid,pid"), "{}", show(COLUMNS));
        assert_eq!(words(SIGNAL), ["TERM"], "{}", show(SIGNAL));
        if described {
            assert_eq!(offers[SIGNAL][0].1, "Terminated", "{}", show(SIGNAL));
        }
        let group = offer(PGID, &pgid).unwrap_or_else(|| panic!("no group {pgid}; {}", show(PGID)));
        if described {
            assert_eq!(group.1, "sleep", "the leader's name; {}", show(PGID));
        }
        for pid in [&sid, &pgid] {
            assert!(offer(PID, pid).is_some(), "no pid {pid}; {}", show(PID));
        }
        assert!(
            words(NESTED).contains(&"--sid"),
            "pgkill's own completion; {}",
            show(NESTED)
        );
        assert!(
            words(COMMAND).contains(&"pgkill"),
            "the command; {}",
            show(COMMAND)
        );
        assert!(
            offer(BY_PATH, &sid).is_some(),
            "pgtree next to pgkill; {}",
            show(BY_PATH)
        );
        assert!(offer(EQUALS, &sid).is_some(), "--sid=; {}", show(EQUALS));
        assert_eq!(words(KILL_STYLE), ["-TERM"], "{}", show(KILL_STYLE));
        if described {
            assert_eq!(
                offers[KILL_STYLE][0].1,
                "Terminated",
                "{}",
                show(KILL_STYLE)
            );
        }
        for option in ["--sid", "--signal"] {
            assert!(
                words(OPTIONS).contains(&option),
                "{option}; {}",
                show(OPTIONS)
            );
        }
        // No terminal, quoted so that the shell does not glob it: bash and
        // zsh give the word as they insert it; fish's complete -C prints it
        // unquoted, and fish quotes it when it inserts it.
        let no_tty = if shell == "fish" { "?" } else { r"\?" };
        let no_tty = offer(TTY, no_tty).unwrap_or_else(|| panic!("no {no_tty}; {}", show(TTY)));
        if described {
            assert!(
                no_tty.1.ends_with("no controlling terminal"),
                "{}",
                show(TTY)
            );
        }
        // The tests run in the repository: file names would be offered.
        assert!(offers[DURATION].is_empty(), "{}", show(DURATION));
        let mut units: Vec<&str> = words(UNITS)
            .into_iter()
            .map(|word| word.trim_start_matches("--kill-after="))
            .collect();
        units.sort_unstable();
        assert_eq!(units, ["5h", "5m", "5ms", "5s"], "{}", show(UNITS));
        if described {
            assert!(
                offers[UNITS]
                    .iter()
                    .any(|(word, help)| word.ends_with("5s") && help == "seconds"),
                "{}",
                show(UNITS)
            );
        }
        // `self` for a session.
        assert_eq!(words(SELF), ["self"], "{}", show(SELF));
        // A comma list: the next item after those typed, not one of them.
        let listed = format!("{sid},{pgid}");
        assert!(offer(COMMA, &listed).is_some(), "{listed}; {}", show(COMMA));
        assert!(
            offer(COMMA, &format!("{sid},{sid}")).is_none(),
            "an item twice; {}",
            show(COMMA)
        );
        // Users by name.
        assert!(words(USER).contains(&"root"), "{}", show(USER));
        // Terminals that processes have, by name.
        let tty = &self.terminal.2;
        assert!(
            offer(REAL_TTY, tty).is_some(),
            "{tty} (session {}); {}",
            self.terminal.0.pid(),
            show(REAL_TTY)
        );
        // Signal names after -l.
        assert_eq!(words(LIST), ["TERM"], "{}", show(LIST));
        // `self` for a group, which pgkill and pgtree take too.
        assert_eq!(words(PGID_SELF), ["self"], "{}", show(PGID_SELF));
        // A name as it is, not as --plain escapes it (tmux:\x20x).
        let spaced = self.spaced.0.pid().to_string();
        let named = offer(PID, &spaced).unwrap_or_else(|| panic!("no {spaced}; {}", show(PID)));
        if described {
            assert_eq!(named.1, "tmux: x", "{}", show(PID));
        }
        // What pgkill would refuse is not offered: pid 1, and the shell's
        // ancestors (this test is one); its victims are.
        let me = std::process::id().to_string();
        for refused in ["1", me.as_str()] {
            assert!(
                offer(VICTIM, refused).is_none(),
                "{refused}; {}",
                show(VICTIM)
            );
        }
        assert!(offer(PID, &me).is_some(), "pgtree offers it: {}", show(PID));
        for pid in [&sid, &pgid] {
            assert!(
                offer(VICTIM, pid).is_some(),
                "no pid {pid}; {}",
                show(VICTIM)
            );
        }
        // zsh lists ids in numeric order.
        if shell == "zsh" {
            let ids: Vec<i64> = words(PID).iter().filter_map(|w| w.parse().ok()).collect();
            assert!(ids.len() > 2 && ids.is_sorted(), "{}", show(PID));
        }
    }
}

/// The committed completion files of one shell, linked into `dir` under
/// the names the shell looks for.
fn install_completions(shell: &str, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for entry in std::fs::read_dir(repo().join("completions").join(shell)).unwrap() {
        let path = entry.unwrap().path();
        symlink(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
}

/// Splits the shell's output: the offers of each case end with `<end>`.
fn parse_offers(output: &[u8], cases: usize) -> Offers {
    let text = String::from_utf8_lossy(output);
    let mut offers = vec![Vec::new()];
    for line in text.lines() {
        if line == "<end>" {
            offers.push(Vec::new());
        } else if !line.is_empty() {
            let (word, description) = line.split_once('\t').unwrap_or((line, ""));
            offers
                .last_mut()
                .unwrap()
                .push((word.to_string(), description.to_string()));
        }
    }
    offers.pop();
    assert_eq!(offers.len(), cases, "one answer per line; output:\n{text}");
    offers
}

/// Runs a shell driver to completion, under the harness's deadline (a
/// shell that hangs is killed and the test fails).
fn run(mut command: Command, what: &str) -> Vec<u8> {
    let output = crate::support::run_with(&mut command, Stdio::piped(), Stdio::piped());
    assert!(
        output.status.success(),
        "{what} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// bash: bash-completion finds our script in its user directory and loads
/// it on demand; the registered function is called with COMP_WORDS split as
/// readline splits them (at spaces, and around '='). When it offers nothing,
/// file names are offered, as readline does for `complete -o default`.
const BASH_DRIVER: &str = r#"
source /usr/share/bash-completion/bash_completion
set -f
for line in "$@"; do
    case $line in
    '<path>') PATH=$PATH_WITHOUT; continue ;;
    '<no-path>') PATH=$PATH_WITH; continue ;;
    esac
    COMP_LINE=$line COMP_POINT=${#line} COMP_WORDS=()
    for word in $line; do
        if [[ $word == --*=* ]]; then
            COMP_WORDS+=("${word%%=*}" =)
            [[ -n ${word#*=} ]] && COMP_WORDS+=("${word#*=}")
        else
            COMP_WORDS+=("$word")
        fi
    done
    [[ $line == *' ' ]] && COMP_WORDS+=('')
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    command=${COMP_WORDS[0]##*/}
    complete -p "$command" >/dev/null 2>&1 || __load_completion "$command"
    spec=$(complete -p "$command")
    function=${spec#*-F }
    function=${function%% *}
    COMPREPLY=()
    "$function" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    if ((${#COMPREPLY[@]} == 0)) && [[ $spec == *'-o default'* ]]; then
        mapfile -t COMPREPLY < <(compgen -f -- "${COMP_WORDS[COMP_CWORD]}")
    fi
    printf '%s\n' "${COMPREPLY[@]}" '<end>'
done
"#;

#[test]
fn bash_completes_live_ids() {
    let bash_completion = Path::new("/usr/share/bash-completion/bash_completion");
    if !have("bash") {
        return;
    }
    if !bash_completion.exists() {
        crate::support::skip("bash-completion is not installed (.ci/run installs it)");
        return;
    }
    let scenario = Scenario::new();
    let scratch = Scratch::new("bash");
    install_completions("bash", &scratch.0.join("completions"));
    let mut command = Command::new("bash");
    command
        .args(["--norc", "--noprofile", "-c", BASH_DRIVER, "bash"])
        .env("BASH_COMPLETION_USER_DIR", &scratch.0)
        .env("HOME", &scratch.0)
        .stderr(Stdio::null());
    scenario.pass_to(&mut command);
    let offers = parse_offers(&run(command, "bash"), scenario.cases.len());
    scenario.check("bash", &offers, false);
}

/// fish: our scripts in the user's completions directory; `complete -C`
/// prints what fish would offer, `word<TAB>description`.
const FISH_DRIVER: &str = r#"
for line in $argv
    switch $line
        case '<path>'
            set -gx PATH $PATH_WITHOUT
        case '<no-path>'
            set -gx PATH $PATH_WITH
        case '*'
            complete -C $line
            echo '<end>'
    end
end
"#;

#[test]
fn fish_completes_live_ids_with_descriptions() {
    if !have("fish") {
        return;
    }
    let scenario = Scenario::new();
    let scratch = Scratch::new("fish");
    install_completions("fish", &scratch.0.join("config/fish/completions"));
    let mut command = Command::new("fish");
    command
        .args(["-c", FISH_DRIVER])
        .env("HOME", &scratch.0)
        .env("XDG_CONFIG_HOME", scratch.0.join("config"))
        .env("XDG_DATA_HOME", scratch.0.join("data"))
        .env("XDG_CACHE_HOME", scratch.0.join("cache"));
    scenario.pass_to(&mut command);
    let offers = parse_offers(&run(command, "fish"), scenario.cases.len());
    scenario.check("fish", &offers, true);
}

/// zsh: an interactive zsh on a pseudo-terminal (zsh/zpty) whose .zshrc
/// puts our directory on fpath and runs compinit, as a user's would. TAB
/// runs the completion system; a compadd wrapper writes each offer (word,
/// description) to a file per line, then `<done>`.
const ZSHRC: &str = r#"
PS1='' PROMPT='' RPROMPT=''
bindkey -e
unsetopt auto_list auto_menu list_ambiguous beep
fpath=($PROCGROUP_FPATH $fpath)
autoload -Uz compinit
compinit -u -D
zstyle ':completion:*' insert-tab false
zstyle ':completion:*' list-grouped false
COLUMNS=300
typeset -gi _procgroup_n=0
compadd() {
  # Calls that only compute matches (-O, -A, -D) are not offers.
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
    builtin compadd "$@"
    return
  fi
  local -a hits descriptions
  if (( $@[(I)-d] )); then
    local name=${@[$[${@[(i)-d]}+1]]}
    if [[ $name == \(* ]]; then eval "descriptions=$name"; else descriptions=( "${(@P)name}" ); fi
  fi
  builtin compadd -A hits -D descriptions "$@"
  local -A apre hpre
  zparseopts -E P:=apre p:=hpre
  local i
  for (( i = 1; i <= $#hits; i++ )); do
    print -r -- "$IPREFIX${apre[-P]}${hpre[-p]}$hits[i]	${${descriptions[i]##$hits[i] #}#-- }" >> $PROCGROUP_OUT/$_procgroup_n
  done
  builtin compadd "$@"
}
_procgroup_tab() {
  (( _procgroup_n++ ))
  : >| $PROCGROUP_OUT/$_procgroup_n
  zle complete-word
  print -r -- '<end>' >> $PROCGROUP_OUT/$_procgroup_n
  : >| $PROCGROUP_OUT/$_procgroup_n.done
}
zle -N _procgroup_tab
bindkey '^I' _procgroup_tab
_procgroup_path() { PATH=$PATH_WITHOUT; }
_procgroup_no_path() { PATH=$PATH_WITH; }
: >| $PROCGROUP_OUT/ready
"#;

const ZSH_DRIVER: &str = r#"
zmodload zsh/zpty
wait_for() {
  local i
  for (( i = 0; i < 500; i++ )); do
    [[ -e $1 ]] && return 0
    sleep 0.02
  done
  print -u2 "zsh driver: timed out waiting for $1"
  exit 1
}
zpty z zsh -i
wait_for $PROCGROUP_OUT/ready
n=0
for line in "$@"; do
  case $line in
  '<path>') zpty -w z '_procgroup_path'; continue ;;
  '<no-path>') zpty -w z '_procgroup_no_path'; continue ;;
  esac
  (( n++ ))
  zpty -w -n z "$line"$'\t'
  wait_for $PROCGROUP_OUT/$n.done
  cat $PROCGROUP_OUT/$n
  zpty -w -n z $'\C-u'
done
zpty -d z
"#;

#[test]
fn zsh_completes_live_ids_with_descriptions() {
    if !have("zsh") {
        return;
    }
    let scenario = Scenario::new();
    let scratch = Scratch::new("zsh");
    std::fs::write(scratch.0.join(".zshrc"), ZSHRC).unwrap();
    let out = scratch.0.join("out");
    std::fs::create_dir(&out).unwrap();
    let mut command = Command::new("zsh");
    command
        .args(["-f", "-c", ZSH_DRIVER, "zsh"])
        .env("ZDOTDIR", &scratch.0)
        .env("HOME", &scratch.0)
        .env("PROCGROUP_FPATH", repo().join("completions/zsh"))
        .env("PROCGROUP_OUT", &out);
    scenario.pass_to(&mut command);
    let offers = parse_offers(&run(command, "zsh"), scenario.cases.len());
    scenario.check("zsh", &offers, true);
}
