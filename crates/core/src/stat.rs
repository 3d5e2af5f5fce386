//! Parsing `/proc/<pid>/stat`.
//!
//! The format is `pid (comm) state ppid pgrp session tty_nr tpgid flags …`.
//! comm is at most 15 bytes but may contain spaces, parentheses and
//! newlines, and need not be UTF-8, so it is the bytes between the first `(`
//! and the LAST `)`.

/// The fields of one `stat` line that the suite uses, named as in proc(5).
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    pub pid: i32,
    pub comm: Vec<u8>,
    pub state: u8,
    pub ppid: i32,
    pub pgrp: i32,
    pub session: i32,
    pub tty_nr: i32,
    pub tpgid: i32,
    pub flags: u32,
    pub num_threads: u32,
    /// Clock ticks since boot when the process started.
    pub starttime: u64,
}

/// `PF_KTHREAD` in `flags`: the process is a kernel thread.
const PF_KTHREAD: u32 = 0x0020_0000;

impl Stat {
    /// Whether this is a kernel thread (no user space, cannot be signalled
    /// usefully). Only the flag tells: inside a PID namespace pid 2 and its
    /// children are ordinary processes.
    pub fn is_kernel_thread(&self) -> bool {
        self.flags & PF_KTHREAD != 0
    }
}

/// Parses one `stat` line; `None` when it is truncated or malformed.
pub fn parse(line: &[u8]) -> Option<Stat> {
    let open = line.iter().position(|&b| b == b'(')?;
    let close = line.iter().rposition(|&b| b == b')')?;
    if close < open {
        return None;
    }
    let pid = parse_int(trim(&line[..open]))?;
    let comm = line[open + 1..close].to_vec();
    let mut fields = line[close + 1..]
        .split(|b| b.is_ascii_whitespace())
        .filter(|field| !field.is_empty());
    let state = match fields.next()? {
        [state] => *state,
        _ => return None,
    };
    let ppid = parse_int(fields.next()?)?;
    let pgrp = parse_int(fields.next()?)?;
    let session = parse_int(fields.next()?)?;
    let tty_nr = parse_int(fields.next()?)?;
    let tpgid = parse_int(fields.next()?)?;
    let flags = parse_int::<u32>(fields.next()?)?;
    // minflt cminflt majflt cmajflt utime stime cutime cstime priority nice,
    // then num_threads (field 20), itrealvalue, starttime (field 22).
    let num_threads = parse_int(fields.nth(10)?)?;
    let starttime = parse_int(fields.nth(1)?)?;
    // A line cut inside starttime would still parse: require the next field.
    fields.next()?;
    Some(Stat {
        pid,
        comm,
        state,
        ppid,
        pgrp,
        session,
        tty_nr,
        tpgid,
        flags,
        num_threads,
        starttime,
    })
}

fn trim(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &bytes[..end]
}

fn parse_int<T: std::str::FromStr>(field: &[u8]) -> Option<T> {
    std::str::from_utf8(field).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(comm: &[u8]) -> Vec<u8> {
        let mut line = b"4242 (".to_vec();
        line.extend_from_slice(comm);
        line.extend_from_slice(
            b") S 1 4242 4242 34816 4300 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100 \
              18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
        );
        line
    }

    #[test]
    fn parses_a_plain_line() {
        let stat = parse(&line(b"bash")).unwrap();
        assert_eq!(stat.pid, 4242);
        assert_eq!(stat.comm, b"bash");
        assert_eq!(stat.state, b'S');
        assert_eq!((stat.ppid, stat.pgrp, stat.session), (1, 4242, 4242));
        assert_eq!((stat.tty_nr, stat.tpgid), (34816, 4300));
        assert_eq!(stat.starttime, 987654);
        assert!(!stat.is_kernel_thread());
    }

    #[test]
    fn comm_is_taken_up_to_the_last_parenthesis() {
        for comm in [
            &b"a b"[..],
            b"x) S 1 2 3",
            b"((()",
            b")",
            b"new\nline",
            b"\xff\xfe bytes",
            b"",
        ] {
            let stat = parse(&line(comm)).unwrap();
            assert_eq!(stat.comm, comm, "{comm:?}");
            assert_eq!(stat.starttime, 987654);
        }
    }

    #[test]
    fn truncated_lines_are_refused_not_misread() {
        let full = line(b"sleep");
        let close = full.iter().rposition(|&b| b == b')').unwrap();
        for cut in 0..full.len() {
            let prefix = &full[..cut];
            // Complete up to starttime, and the field after it has begun.
            let has_starttime = cut > close && prefix.windows(9).any(|w| w == b" 987654 1");
            match parse(prefix) {
                Some(stat) => {
                    assert!(has_starttime, "parsed a truncated line: {prefix:?}");
                    assert_eq!(stat.starttime, 987654);
                }
                None => assert!(!has_starttime, "refused a complete line: {prefix:?}"),
            }
        }
    }

    #[test]
    fn kernel_threads_are_recognised() {
        let kthread = b"17 (kworker/0:1) I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0 0";
        assert!(parse(kthread).unwrap().is_kernel_thread());
        let namespaced = b"4 (sleep) S 2 4 2 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0 0";
        assert!(!parse(namespaced).unwrap().is_kernel_thread());
    }

    #[test]
    fn garbage_never_panics() {
        // A cheap deterministic fuzz: every byte string built from a small
        // alphabet up to length 6, and mutations of a real line.
        let alphabet = b"( )0-9\nZ";
        let mut inputs = vec![Vec::new()];
        for _ in 0..5 {
            let mut next = Vec::new();
            for input in &inputs {
                for &b in alphabet {
                    let mut longer = input.clone();
                    longer.push(b);
                    next.push(longer);
                }
            }
            inputs.extend(next.clone());
            inputs.dedup();
            if inputs.len() > 50_000 {
                break;
            }
        }
        for input in &inputs {
            let _ = parse(input);
        }
        let base = line(b"x");
        for i in 0..base.len() {
            for b in [b'(', b')', b' ', b'-', b'a', 0xff] {
                let mut mutated = base.clone();
                mutated[i] = b;
                let _ = parse(&mutated);
            }
        }
    }
}
