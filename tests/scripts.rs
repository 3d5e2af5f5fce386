//! The README's "Use in scripts" idioms, as the shell scripts in
//! tests/scripts/ run them against the real binaries (first on PATH).
//!
//! Every process a script starts inherits a marker in its environment; when
//! the test ends, pass or fail, whatever still carries the marker is killed,
//! and a script that passed must have left nothing running. A script exits
//! 77 to be skipped (a tool it needs, jq or make, is missing).

use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

const MARK: &str = "PROCGROUP_SCRIPT_TEST";

/// The processes that carry `MARK=value` in their environment.
fn marked(value: &str) -> Vec<i32> {
    let needle = format!("{MARK}={value}\0").into_bytes();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| carries(*pid, &needle))
        .collect()
}

fn carries(pid: i32, needle: &[u8]) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|environ| environ.windows(needle.len()).any(|w| w == needle))
}

/// SIGKILL to `pid` if it still is the marked process: through a pidfd
/// opened before the environment is checked again, so that a PID reused
/// meanwhile is never hit.
fn kill_marked(pid: i32, value: &str) {
    let needle = format!("{MARK}={value}\0").into_bytes();
    // SAFETY: pidfd_open takes a pid and flags and returns a new file
    // descriptor or -1; no memory is shared.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return;
    }
    // SAFETY: the descriptor was just returned to us and is owned here.
    let pidfd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    // While the pidfd's process has not been reaped, `pid` is still it.
    if carries(pid, &needle) {
        // SAFETY: a valid pidfd, a signal number, no siginfo, no flags.
        unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                pidfd.as_raw_fd(),
                libc::SIGKILL,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            );
        }
    }
}

/// Kills whatever the script left behind when the test ends.
struct Guard {
    value: String,
}

impl Drop for Guard {
    fn drop(&mut self) {
        for pid in marked(&self.value) {
            kill_marked(pid, &self.value);
        }
    }
}

fn run_script(name: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/scripts").join(name);
    let scratch = crate::support::fresh_dir(&std::env::temp_dir(), "procgroup-script");
    // The directory's name is unique while it exists: the mark of what the
    // script started.
    let value = format!("{}-{name}", scratch.file_name().unwrap().to_string_lossy());
    let guard = Guard {
        value: value.clone(),
    };

    let bin: PathBuf = Path::new(env!("CARGO_BIN_EXE_pgtree"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin.clone()).chain(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .filter(|dir| *dir != bin),
        ),
    )
    .unwrap();
    // Files, not pipes: a process the script failed to end must not keep
    // the test waiting for the end of its output.
    let stdout = scratch.join("stdout");
    let stderr = scratch.join("stderr");
    // In a session of its own: every pgkill the script runs is outside
    // the test harness's group and session.
    let mut child = crate::support::detached("sh")
        .arg(&script)
        .current_dir(&scratch)
        .env("PATH", path)
        .env("TMPDIR", &scratch)
        .env(MARK, &value)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(File::create(&stdout).unwrap())
        .stderr(File::create(&stderr).unwrap())
        .spawn()
        .expect("run sh");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name} did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = format!(
        "stdout:\n{}\nstderr:\n{}",
        std::fs::read_to_string(&stdout).unwrap_or_default(),
        std::fs::read_to_string(&stderr).unwrap_or_default()
    );
    if status.code() == Some(77) {
        crate::support::skip(&format!("{name}: {}", output.trim_end()));
    } else {
        assert!(status.success(), "{name}: {status}\n{output}");
        let left = marked(&value);
        assert!(
            left.is_empty(),
            "{name} left processes running: {left:?}\n{output}"
        );
    }
    drop(guard);
    let _ = std::fs::remove_dir_all(&scratch);
}

#[test]
fn a_detached_job_is_ended_whole_by_the_exit_trap() {
    run_script("detach-and-trap.sh");
}

#[test]
fn a_make_job_leaves_nothing_behind() {
    run_script("make-test.sh");
}

#[test]
fn pgtree_json_feeds_jq() {
    run_script("pgtree-json-jq.sh");
}

#[test]
fn exit_codes_are_those_of_the_readme() {
    run_script("exit-codes.sh");
}

#[test]
fn pgkill_selects_within_a_session_and_probes() {
    run_script("select-and-probe.sh");
}

/// The idioms the README shows are the ones the scripts run.
#[test]
fn the_readme_shows_the_idioms_the_scripts_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section = readme
        .split("\n## Use in scripts")
        .nth(1)
        .expect("README has a section 'Use in scripts'");
    let section = section.split("\n## ").next().unwrap();
    let mut scripts = String::new();
    for entry in std::fs::read_dir(root.join("tests/scripts")).unwrap() {
        scripts.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    for idiom in [
        r#"sid=$(setsid-run -d --print sid -- ./job)"#,
        r#"trap 'pgkill --sid "$sid" --wait -k 2s' EXIT"#,
        r#"setsid-run -w --cleanup --timeout 10m -- make test"#,
        r#"pgtree --json -s "$sid" | jq -r 'group_by(.comm) | map("\(.[0].comm) \(length)") | .[]'"#,
        r#"pgtree --json -o pid,sid,comm,tty | jq -r '.[] | select(.tty == null) | .pid'"#,
        r#"4) pgkill -KILL --sid "$sid" --wait ;;"#,
        r#"pgkill -f 'serve\.py' --sid "$sid" --expand group --wait -k 2s"#,
        r#"if pgkill -0 -q --pid "$pid"; then"#,
    ] {
        assert!(
            section.contains(idiom),
            "README's 'Use in scripts' lacks {idiom}"
        );
        assert!(
            scripts.contains(idiom),
            "no script in tests/scripts runs {idiom}"
        );
    }
}
