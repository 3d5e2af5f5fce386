//! `cargo xtask bench-completion [--processes N] [--runs R]`: how long the
//! committed completions take to offer live ids when N processes exist
//! (default 5000, half of them session leaders), in each installed shell,
//! with the release binaries first on PATH. The processes are `sleep`s
//! started here and killed when it ends.
//!
//! Each figure is the time the shell spends in the completion: bash's
//! registered function, zsh's completion widget (on a pseudo-terminal),
//! fish's `complete -C`; pgtree alone is shown for comparison.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The sleepers; killed and reaped when dropped.
struct Crowd(Vec<Child>);

impl Drop for Crowd {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
        }
        for child in &mut self.0 {
            let _ = child.wait();
        }
    }
}

fn crowd(count: usize) -> Result<Crowd, String> {
    // util-linux setsid execs in place in a child that is not a group
    // leader, so the Child is the session's leader itself.
    let setsid = Command::new("setsid")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let mut crowd = Crowd(Vec::with_capacity(count));
    for i in 0..count {
        let mut command = if setsid && i % 2 == 0 {
            let mut command = Command::new("setsid");
            command.arg("sleep");
            command
        } else {
            use std::os::unix::process::CommandExt;
            let mut command = Command::new("sleep");
            command.process_group(0);
            command
        };
        command.arg("600").stdin(Stdio::null());
        let child = command
            .spawn()
            .map_err(|e| format!("starting sleeper {i}: {e}"))?;
        crowd.0.push(child);
    }
    Ok(crowd)
}

fn processes_now() -> usize {
    std::fs::read_dir("/proc").map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.parse::<u32>().is_ok())
            })
            .count()
    })
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn report(what: &str, mut ms: Vec<f64>) {
    if ms.is_empty() {
        println!("{what:<32} no measurement");
        return;
    }
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    println!(
        "{what:<32} median {:6.1} ms   p90 {:6.1} ms   max {:6.1} ms   ({} runs)",
        at(0.5),
        at(0.9),
        ms[ms.len() - 1],
        ms.len()
    );
}

const BASH: &str = r#"
source /usr/share/bash-completion/bash_completion
source "$COMPLETIONS/bash/pgkill"
for line in 'pgkill --sid ' 'pgkill --pid '; do
    read -ra COMP_WORDS <<<"$line"
    COMP_WORDS+=('')
    COMP_CWORD=2 COMP_LINE=$line COMP_POINT=${#line}
    for ((i = 0; i < RUNS; i++)); do
        start=$EPOCHREALTIME
        _procgroup_pgkill pgkill '' "${COMP_WORDS[1]}"
        end=$EPOCHREALTIME
        echo "$line ms $(( (${end/./} - ${start/./}) / 1000 )).$(( (${end/./} - ${start/./}) % 1000 / 100 ))"
    done
done
"#;

const FISH: &str = r#"
set -p fish_complete_path $COMPLETIONS/fish
complete -C 'pgkill --he' >/dev/null
for line in 'pgkill --sid ' 'pgkill --pid '
    for i in (seq $RUNS)
        set -l start (date +%s%N)
        complete -C $line >/dev/null
        set -l end (date +%s%N)
        echo "$line" ms (math "($end - $start) / 1000000")
    end
end
# The cost of taking the time, to subtract.
for i in (seq $RUNS)
    set -l start (date +%s%N)
    set -l end (date +%s%N)
    echo clock ms (math "($end - $start) / 1000000")
end
"#;

const ZSHRC: &str = r#"
PS1='' PROMPT='' RPROMPT=''
bindkey -e
unsetopt auto_list auto_menu list_ambiguous beep
fpath=($COMPLETIONS/zsh $fpath)
autoload -Uz compinit && compinit -u -D
zmodload zsh/datetime
_bench_tab() {
  local start=$EPOCHREALTIME
  zle complete-word
  print -r -- "ms $(( (EPOCHREALTIME - start) * 1000 ))" >> $BENCH_OUT
}
zle -N _bench_tab
bindkey '^I' _bench_tab
: >| $BENCH_OUT.ready
"#;

const ZSH: &str = r#"
zmodload zsh/zpty
wait_lines() {
  local i
  for (( i = 0; i < 3000; i++ )); do
    [[ -e $BENCH_OUT && $(wc -l < $BENCH_OUT) -ge $1 ]] && return
    sleep 0.01
  done
  exit 1
}
zpty z zsh -i
for (( i = 0; i < 3000; i++ )); do [[ -e $BENCH_OUT.ready ]] && break; sleep 0.01; done
n=0
for line in 'pgkill --sid ' 'pgkill --pid '; do
  : >| $BENCH_OUT
  for (( r = 0; r < RUNS; r++ )); do
    zpty -w -n z "$line"$'\t'
    wait_lines $(( r + 1 ))
    zpty -w -n z $'\C-u'
  done
  sed "s/^/$line/" $BENCH_OUT
done
zpty -d z
"#;

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let mut count = 5000;
    let mut runs = 20;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut number = |what: &str| -> Result<usize, String> {
            args.next()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| format!("{what} needs a number"))
        };
        match arg.as_str() {
            "--processes" => count = number("--processes")?,
            "--runs" => runs = number("--runs")?,
            _ => return Err(format!("unknown option '{arg}' (--processes N, --runs R)")),
        }
    }
    let release = crate::dist::build_release(root)?;
    let system = std::env::var_os("PATH").unwrap_or_default();
    let path = std::env::join_paths(
        std::iter::once(release.clone()).chain(std::env::split_paths(&system)),
    )
    .map_err(|e| e.to_string())?;
    let completions = root.join("completions");
    let scratch = std::env::temp_dir().join(format!("procgroup-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;

    eprintln!("starting {count} processes…");
    let crowd = crowd(count)?;
    std::thread::sleep(Duration::from_millis(500));
    println!(
        "{} processes, {} of them started here; {runs} runs each",
        processes_now(),
        crowd.0.len()
    );

    let pgtree = release.join("pgtree");
    let mut ms = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        Command::new(&pgtree)
            .args([
                "--plain",
                "--no-headers",
                "-o",
                "pid,ppid,pgid,sid,tty,comm",
            ])
            .stdout(Stdio::null())
            .status()
            .map_err(|e| e.to_string())?;
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    report("pgtree --plain (the input)", ms);

    let shell = |program: &str, script: &str, extra: &[(&str, &Path)]| -> Vec<(String, f64)> {
        let mut command = Command::new(program);
        command
            .args(["-c", script])
            .env("PATH", &path)
            .env("COMPLETIONS", &completions)
            .env("RUNS", runs.to_string())
            .env("HOME", &scratch)
            .stdin(Stdio::null())
            .stderr(Stdio::null());
        for (key, value) in extra {
            command.env(key, value);
        }
        let output = command.output().map(|o| o.stdout).unwrap_or_default();
        String::from_utf8_lossy(&output)
            .lines()
            .filter_map(|line| {
                let (what, ms) = line.split_once(" ms ")?;
                Some((what.trim().to_string(), ms.trim().parse().ok()?))
            })
            .collect()
    };
    let by_line = |results: &[(String, f64)], line: &str, minus: f64| -> Vec<f64> {
        results
            .iter()
            .filter(|(what, _)| what == line.trim())
            .map(|(_, ms)| ms - minus)
            .collect()
    };
    if have("bash") && Path::new("/usr/share/bash-completion/bash_completion").exists() {
        let results = shell("bash", BASH, &[]);
        for line in ["pgkill --sid ", "pgkill --pid "] {
            report(&format!("bash: {line}"), by_line(&results, line, 0.0));
        }
    }
    if have("zsh") {
        let out = scratch.join("zsh-out");
        std::fs::write(scratch.join(".zshrc"), ZSHRC).map_err(|e| e.to_string())?;
        let results = shell("zsh", ZSH, &[("ZDOTDIR", &scratch), ("BENCH_OUT", &out)]);
        for line in ["pgkill --sid ", "pgkill --pid "] {
            report(&format!("zsh: {line}"), by_line(&results, line, 0.0));
        }
    }
    if have("fish") {
        let results = shell("fish", FISH, &[]);
        let clock = by_line(&results, "clock", 0.0);
        let clock = clock.iter().sum::<f64>() / clock.len().max(1) as f64;
        for line in ["pgkill --sid ", "pgkill --pid "] {
            report(&format!("fish: {line}"), by_line(&results, line, clock));
        }
    }
    drop(crowd);
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
