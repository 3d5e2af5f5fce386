//! Starting the child with `posix_spawn`: the C library starts it with
//! `vfork` semantics, sharing our memory until it execs, so nothing of ours
//! is copied, and reports an exec failure itself.

use std::ffi::CString;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{Scope, Spawn};
use crate::Pid;

extern "C" {
    static environ: *const *mut libc::c_char;
}

/// The C library's error number as an io::Error.
fn check(result: libc::c_int) -> io::Result<()> {
    match result {
        0 => Ok(()),
        errno => Err(io::Error::from_raw_os_error(errno)),
    }
}

struct Actions(MaybeUninit<libc::posix_spawn_file_actions_t>);

impl Drop for Actions {
    fn drop(&mut self) {
        // SAFETY: initialised before this value was made.
        unsafe { libc::posix_spawn_file_actions_destroy(self.0.as_mut_ptr()) };
    }
}

struct Attributes(MaybeUninit<libc::posix_spawnattr_t>);

impl Drop for Attributes {
    fn drop(&mut self) {
        // SAFETY: initialised before this value was made.
        unsafe { libc::posix_spawnattr_destroy(self.0.as_mut_ptr()) };
    }
}

/// Starts `spawn`'s command from the file `path` (found already), as the
/// fork would (new session or group, stdio, SIGPIPE to its default action,
/// no signal blocked, our environment). `None` where that cannot be done:
/// a controlling terminal or the foreground (ioctls in the child), a held
/// start, an argument with a NUL byte (std's `Command` refuses it).
pub(super) fn start(spawn: &Spawn, path: &Path) -> Option<io::Result<Pid>> {
    if spawn.controlling_tty || spawn.foreground || spawn.held {
        return None;
    }
    let path = CString::new(path.as_os_str().as_bytes()).ok()?;
    let args: Vec<CString> = spawn
        .command
        .iter()
        .map(|arg| CString::new(arg.as_bytes()).ok())
        .collect::<Option<_>>()?;
    let mut argv: Vec<*mut libc::c_char> = args
        .iter()
        .map(|arg| arg.as_ptr() as *mut libc::c_char)
        .collect();
    argv.push(std::ptr::null_mut());

    // SAFETY: the file actions and attributes are initialised before use
    // and destroyed once (by their Drop); every pointer passed is valid for
    // the call; argv is NULL-terminated and outlives the call; environ is
    // the process's environment.
    let spawned = || unsafe {
        let mut uninit = MaybeUninit::uninit();
        check(libc::posix_spawn_file_actions_init(uninit.as_mut_ptr()))?;
        let mut actions = Actions(uninit);
        for (file, target) in [
            (&spawn.stdin, libc::STDIN_FILENO),
            (&spawn.stdout, libc::STDOUT_FILENO),
            (&spawn.stderr, libc::STDERR_FILENO),
        ] {
            if let Some(file) = file {
                check(libc::posix_spawn_file_actions_adddup2(
                    actions.0.as_mut_ptr(),
                    file.as_raw_fd(),
                    target,
                ))?;
            }
        }
        let mut uninit = MaybeUninit::uninit();
        check(libc::posix_spawnattr_init(uninit.as_mut_ptr()))?;
        let mut attributes = Attributes(uninit);
        let attr = attributes.0.as_mut_ptr();
        let scope = match spawn.scope {
            Scope::Session => libc::POSIX_SPAWN_SETSID as libc::c_short,
            Scope::Group => {
                check(libc::posix_spawnattr_setpgroup(attr, 0))?;
                libc::POSIX_SPAWN_SETPGROUP as libc::c_short
            }
        };
        // std ignores SIGPIPE in its programs and gives children the
        // default action back; the caller may block signals to forward
        // them (`Signals`): the command starts with none.
        let mut set = MaybeUninit::uninit();
        libc::sigemptyset(set.as_mut_ptr());
        check(libc::posix_spawnattr_setsigmask(attr, set.as_ptr()))?;
        libc::sigaddset(set.as_mut_ptr(), libc::SIGPIPE);
        // The C library's own real-time signals (32 and 33 for glibc) are
        // left ignored by its posix_spawn, and stay so after the exec,
        // unless named here; forked, the command has their default action.
        // sigaddset refuses them: their bits are set directly (a sigset_t
        // holds signal n at bit n - 1).
        let words = set.as_mut_ptr().cast::<libc::c_ulong>();
        let width = libc::c_ulong::BITS as usize;
        for signal in 32..libc::SIGRTMIN() {
            let bit = (signal - 1) as usize;
            *words.add(bit / width) |= 1 << (bit % width);
        }
        check(libc::posix_spawnattr_setsigdefault(attr, set.as_ptr()))?;
        check(libc::posix_spawnattr_setflags(
            attr,
            scope
                | libc::POSIX_SPAWN_SETSIGMASK as libc::c_short
                | libc::POSIX_SPAWN_SETSIGDEF as libc::c_short,
        ))?;
        let mut pid = 0;
        check(libc::posix_spawn(
            &mut pid,
            path.as_ptr(),
            actions.0.as_ptr(),
            attr,
            argv.as_ptr(),
            environ,
        ))?;
        Ok(Pid::from_raw(pid))
    };
    Some(spawned())
}
