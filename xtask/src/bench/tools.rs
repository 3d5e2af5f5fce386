//! The programs the benchmarks run, found on PATH, and a clear message
//! when some are missing.

use std::path::{Path, PathBuf};

/// The internal role of the namespace's init: `bench @init SECTION ARGS…`.
pub const INIT_ROLE: &str = "@init";
/// The internal role of a session leader: `bench @session ARGS…`.
pub const SESSION_ROLE: &str = "@session";
/// The internal role of the subreaper of a tree that a section kills:
/// `bench @reaper ARGS…`.
pub const REAPER_ROLE: &str = "@reaper";

/// An outside program and the Debian package that has it.
#[derive(Clone, Copy, Debug)]
pub struct Tool {
    pub name: &'static str,
    pub package: &'static str,
}

pub const UNSHARE: Tool = Tool {
    name: "unshare",
    package: "util-linux",
};
pub const SETSID: Tool = Tool {
    name: "setsid",
    package: "util-linux",
};
pub const SLEEP: Tool = Tool {
    name: "sleep",
    package: "coreutils",
};
pub const PS: Tool = Tool {
    name: "ps",
    package: "procps",
};
pub const PSTREE: Tool = Tool {
    name: "pstree",
    package: "psmisc",
};
pub const PKILL: Tool = Tool {
    name: "pkill",
    package: "procps",
};
/// procps `kill`, the program (not the shell's builtin).
pub const KILL: Tool = Tool {
    name: "kill",
    package: "procps",
};
pub const TRUE: Tool = Tool {
    name: "true",
    package: "coreutils",
};
pub const CAT: Tool = Tool {
    name: "cat",
    package: "coreutils",
};
/// GNU time, the program (not the shell keyword): peak RSS with `-f %M`.
pub const TIME: Tool = Tool {
    name: "time",
    package: "time",
};

impl Tool {
    /// The program's path on PATH.
    pub fn find(self) -> Option<PathBuf> {
        which(self.name)
    }

    /// The program's path, or an error that says how to install it.
    pub fn path(self) -> Result<PathBuf, String> {
        self.find().ok_or_else(|| missing(&[self]))
    }
}

/// Fails, naming every missing tool and the command that installs them.
pub fn require(tools: &[Tool]) -> Result<(), String> {
    let absent: Vec<Tool> = tools
        .iter()
        .copied()
        .filter(|tool| tool.find().is_none())
        .collect();
    if absent.is_empty() {
        Ok(())
    } else {
        Err(missing(&absent))
    }
}

fn missing(absent: &[Tool]) -> String {
    let names: Vec<String> = absent
        .iter()
        .map(|tool| format!("{} (package {})", tool.name, tool.package))
        .collect();
    let mut packages: Vec<&str> = absent.iter().map(|tool| tool.package).collect();
    packages.dedup();
    format!(
        "missing: {}; install with: apt-get update && apt-get install -y {}",
        names.join(", "),
        packages.join(" ")
    )
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Whether this process runs as root (effective uid 0), which
/// `unshare --pid` needs.
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1).map(|euid| euid == "0"))
            .unwrap_or(false)
    })
}

/// The first line a program prints for `--version`-like `args`, for the
/// report's header.
pub fn version(program: &Path, args: &[&str]) -> Option<String> {
    let output = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = if output.stdout.is_empty() {
        output.stderr
    } else {
        output.stdout
    };
    String::from_utf8_lossy(&text)
        .lines()
        .next()
        .map(|line| line.trim().to_string())
}
