//! Terminal numbers (`tty_nr` of `/proc/<pid>/stat`) and their names.

use std::os::unix::fs::{FileTypeExt, MetadataExt};

use crate::{Error, Result};

/// Splits a `tty_nr` into (major, minor).
pub fn split(tty_nr: i32) -> (u32, u32) {
    let tty_nr = tty_nr as u32;
    let major = (tty_nr >> 8) & 0xfff;
    let minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
    (major, minor)
}

/// Joins a (major, minor) into a `tty_nr`.
pub fn join(major: u32, minor: u32) -> i32 {
    ((minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)) as i32
}

/// The name of a terminal: `pts/3`, `tty1`, `ttyS0`, or what `/dev` calls
/// it; `None` for 0 (no terminal).
pub fn name(tty_nr: i32) -> Option<String> {
    if tty_nr == 0 {
        return None;
    }
    let (major, minor) = split(tty_nr);
    Some(match major {
        136..=143 => format!("pts/{}", minor + (major - 136) * 256),
        4 if minor < 64 => format!("tty{minor}"),
        4 => format!("ttyS{}", minor - 64),
        _ => dev_name(major, minor).unwrap_or_else(|| format!("{major}:{minor}")),
    })
}

/// Whether the terminal `tty_nr` still has its node in `/dev` (a closed
/// pseudo-terminal's is gone at once).
pub fn exists(tty_nr: i32) -> bool {
    let Some(name) = name(tty_nr) else {
        return false;
    };
    let (major, minor) = split(tty_nr);
    std::fs::metadata(format!("/dev/{name}")).is_ok_and(|meta| {
        meta.file_type().is_char_device() && meta.rdev() == libc::makedev(major, minor)
    })
}

/// Looks a character device up in `/dev` by its device number.
fn dev_name(major: u32, minor: u32) -> Option<String> {
    let wanted = libc::makedev(major, minor);
    std::fs::read_dir("/dev").ok()?.flatten().find_map(|entry| {
        let meta = entry.metadata().ok()?;
        (meta.file_type().is_char_device() && meta.rdev() == wanted)
            .then(|| entry.file_name().to_string_lossy().into_owned())
    })
}

/// Parses a terminal name as users type it (`pts/3`, `/dev/pts/3`, `tty1`,
/// `ttyS0`, `?` for none) into a `tty_nr`.
pub fn parse(text: &str) -> Result<i32> {
    if text == "?" || text == "-" {
        return Ok(0);
    }
    let name = text.strip_prefix("/dev/").unwrap_or(text);
    let number = |digits: &str| -> Option<u32> {
        (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse().ok())
            .flatten()
    };
    let parsed = if let Some(n) = name.strip_prefix("pts/").and_then(number) {
        (n < 8 * 256).then(|| join(136 + n / 256, n % 256))
    } else if let Some(n) = name.strip_prefix("ttyS").and_then(number) {
        (n < 192).then(|| join(4, n + 64))
    } else if let Some(n) = name.strip_prefix("tty").and_then(number) {
        (n < 64).then(|| join(4, n))
    } else {
        None
    };
    if let Some(tty_nr) = parsed {
        return Ok(tty_nr);
    }
    match std::fs::metadata(format!("/dev/{name}")) {
        Ok(meta) if !name.is_empty() && meta.file_type().is_char_device() => {
            let rdev = meta.rdev();
            Ok(join(libc::major(rdev), libc::minor(rdev)))
        }
        _ => Err(Error::usage(format!("unknown terminal '{text}'"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_usual_terminals() {
        assert_eq!(name(0), None);
        assert_eq!(name(34816).as_deref(), Some("pts/0"));
        assert_eq!(name(34819).as_deref(), Some("pts/3"));
        assert_eq!(name(join(137, 4)).as_deref(), Some("pts/260"));
        assert_eq!(name(join(4, 1)).as_deref(), Some("tty1"));
        assert_eq!(name(join(4, 64)).as_deref(), Some("ttyS0"));
        // A minor above 255 uses the high bits.
        assert_eq!(split(join(136, 1000)), (136, 1000));
    }

    #[test]
    fn parses_what_it_names() {
        for tty_nr in [
            34816,
            34819,
            join(137, 4),
            join(4, 1),
            join(4, 64),
            join(4, 70),
        ] {
            assert_eq!(parse(&name(tty_nr).unwrap()).unwrap(), tty_nr);
        }
        assert_eq!(parse("/dev/pts/3").unwrap(), 34819);
        assert_eq!(parse("?").unwrap(), 0);
    }

    #[test]
    fn refuses_unknown_terminals() {
        for bad in [
            "",
            "pts/",
            "pts/x",
            "tty99999999999",
            "nonsense",
            "pts/-1",
            "/dev/null/x",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
