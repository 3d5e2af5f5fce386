//! Finding the program to run, the way a shell finds it.
//!
//! A name without a slash is looked up in `PATH` as bash does, not as
//! `execvp` does: a directory that cannot be searched is passed over
//! (`execvp` lets its EACCES win, and then says "Permission denied" of a
//! command that is nowhere), the first executable file wins, and a file
//! that is there but not executable counts only when no executable one is
//! found (its exec then fails: "Permission denied", 126).

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// Where `PATH` is unset: the C library's default, `confstr(_CS_PATH)`.
const DEFAULT_PATH: &str = "/bin:/usr/bin";

/// The file to execute for `program`; `None` when nothing of that name is
/// found (the shell's "command not found").
pub(super) fn find(program: &OsStr) -> Option<PathBuf> {
    if program.as_bytes().contains(&b'/') {
        return Some(PathBuf::from(program));
    }
    if program.is_empty() {
        return None;
    }
    let search = std::env::var_os("PATH").unwrap_or_else(|| DEFAULT_PATH.into());
    let mut not_executable = None;
    for dir in std::env::split_paths(&search) {
        // An empty entry is the current directory.
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let candidate = dir.join(program);
        match std::fs::metadata(&candidate) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) if executable(&candidate) => return Some(candidate),
            Ok(_) => {
                not_executable.get_or_insert(candidate);
            }
            // Missing here, or a directory we cannot search: on to the next.
            Err(_) => {}
        }
    }
    not_executable
}

/// Whether we may execute `path` (with our effective ids, as exec checks).
fn executable(path: &Path) -> bool {
    let Ok(path) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: faccessat reads a NUL-terminated path; no memory is written.
    unsafe { libc::faccessat(libc::AT_FDCWD, path.as_ptr(), libc::X_OK, libc::AT_EACCESS) == 0 }
}

/// Whether executing `path` would give the process privileges (a
/// set-user-ID or set-group-ID file, or file capabilities): tracing it
/// would take them away.
pub(super) fn gains_privileges(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let setid = std::fs::metadata(path)
        .map(|meta| meta.permissions().mode() & 0o6000 != 0)
        .unwrap_or(false);
    let Ok(cpath) = CString::new(OsString::from(path.as_os_str()).into_vec()) else {
        return false;
    };
    // SAFETY: getxattr with a NUL-terminated path and name, and no buffer
    // (size 0): it only returns the value's size, or -1.
    let capabilities = unsafe {
        libc::getxattr(
            cpath.as_ptr(),
            c"security.capability".as_ptr(),
            std::ptr::null_mut(),
            0,
        ) >= 0
    };
    setid || capabilities
}
