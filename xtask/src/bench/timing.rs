//! Timing commands: interleaved runs, medians, peak memory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A command to time, and the label the report gives it.
#[derive(Clone, Debug)]
pub struct Cmd {
    pub label: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    /// For `pgtree --watch`: run on a terminal for this many frames after
    /// the first, and timed per frame ([`super::watch`]) instead of from
    /// spawn to exit.
    pub frames: Option<usize>,
}

impl Cmd {
    pub fn new(label: impl Into<String>, program: impl Into<PathBuf>, args: &[&str]) -> Cmd {
        Cmd {
            label: label.into(),
            program: program.into(),
            args: args.iter().map(|arg| arg.to_string()).collect(),
            frames: None,
        }
    }

    /// A `pgtree --watch` command line, timed per frame over `frames`
    /// frames on a terminal.
    pub fn frames(mut self, frames: usize) -> Cmd {
        self.frames = Some(frames);
        self
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args).stdin(Stdio::null());
        command
    }

    /// Runs it once with stdout to /dev/null: the wall time from spawn to
    /// exit (for a [`Cmd::frames`] one, a frame's time). A failure (exit status, stderr) is an error: a command that
    /// fails fast would look fast.
    pub fn time_once(&self) -> Result<Duration, String> {
        if let Some(frames) = self.frames {
            return super::watch::time_frame(self, frames);
        }
        let mut command = self.command();
        command.stdout(Stdio::null()).stderr(Stdio::piped());
        let start = Instant::now();
        let output = command
            .output()
            .map_err(|error| format!("cannot run {}: {error}", self.label))?;
        let elapsed = start.elapsed();
        if !output.status.success() {
            return Err(format!(
                "{} failed ({}): {}",
                self.label,
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(elapsed)
    }

    /// Runs it once with stdout to /dev/null and stderr inherited: the
    /// wall time from spawn to exit, with no pipe to drain (for commands
    /// that take a millisecond). A failure is an error.
    pub fn time_lean(&self) -> Result<Duration, String> {
        let mut command = self.command();
        command.stdout(Stdio::null());
        let start = Instant::now();
        let status = command
            .status()
            .map_err(|error| format!("cannot run {}: {error}", self.label))?;
        let elapsed = start.elapsed();
        if !status.success() {
            return Err(format!("{} failed ({status})", self.label));
        }
        Ok(elapsed)
    }

    /// Runs it once and returns its standard output (to check what it
    /// lists, not timed).
    pub fn output(&self) -> Result<Vec<u8>, String> {
        let output = self
            .command()
            .stderr(Stdio::inherit())
            .output()
            .map_err(|error| format!("cannot run {}: {error}", self.label))?;
        if !output.status.success() {
            return Err(format!("{} failed ({})", self.label, output.status));
        }
        Ok(output.stdout)
    }

    /// Its peak resident set size in KiB, as GNU time's `%M` reports it:
    /// the largest of `tries` runs. GNU time is a small process, so the
    /// child's high-water mark is its own (a child forked from a large
    /// parent starts with the parent's).
    pub fn peak_rss_kib(&self, time: &Path, tries: usize) -> Result<u64, String> {
        Ok(self
            .peak_rss_samples_kib(time, tries)?
            .into_iter()
            .max()
            .unwrap_or(0))
    }

    /// The peak resident set size in KiB of each of `tries` runs, as GNU
    /// time's `%M` reports it, sorted.
    pub fn peak_rss_samples_kib(&self, time: &Path, tries: usize) -> Result<Vec<u64>, String> {
        let mut samples = Vec::with_capacity(tries);
        for _ in 0..tries {
            let output = Command::new(time)
                .args(["-f", "%M"])
                .arg(&self.program)
                .args(&self.args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .output()
                .map_err(|error| format!("cannot run {}: {error}", time.display()))?;
            let stderr = String::from_utf8_lossy(&output.stderr);
            if !output.status.success() {
                return Err(format!(
                    "{} failed under time: {}",
                    self.label,
                    stderr.trim()
                ));
            }
            let kib = stderr
                .lines()
                .last()
                .and_then(|line| line.trim().parse::<u64>().ok())
                .ok_or_else(|| format!("cannot read GNU time's %M from {stderr:?}"))?;
            samples.push(kib);
        }
        samples.sort_unstable();
        Ok(samples)
    }
}

/// Runs every command `warmup` times untimed, then `runs` timed rounds.
/// Round r starts with command r (mod n), so none is always first after
/// another. Returns the samples per command, in `cmds`' order.
pub fn interleaved(cmds: &[Cmd], warmup: usize, runs: usize) -> Result<Vec<Vec<Duration>>, String> {
    for _ in 0..warmup {
        for cmd in cmds {
            cmd.time_once()?;
        }
    }
    let mut samples = vec![Vec::with_capacity(runs); cmds.len()];
    for round in 0..runs {
        for offset in 0..cmds.len() {
            let index = (round + offset) % cmds.len();
            samples[index].push(cmds[index].time_once()?);
        }
    }
    Ok(samples)
}

/// Median, minimum and maximum of some samples.
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    pub median: Duration,
    pub min: Duration,
    pub max: Duration,
}

impl Summary {
    pub fn of(samples: &[Duration]) -> Summary {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let middle = sorted.len() / 2;
        let median = if sorted.is_empty() {
            Duration::ZERO
        } else if sorted.len() % 2 == 1 {
            sorted[middle]
        } else {
            (sorted[middle - 1] + sorted[middle]) / 2
        };
        Summary {
            median,
            min: sorted.first().copied().unwrap_or_default(),
            max: sorted.last().copied().unwrap_or_default(),
        }
    }
}

/// The share of CPU time that was not idle over `window` (other work on
/// the machine makes every figure noisier), from `/proc/stat`.
pub fn cpu_busy(window: Duration) -> Option<f64> {
    fn sample() -> Option<(u64, u64)> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let times: Vec<u64> = stat
            .lines()
            .next()?
            .strip_prefix("cpu ")?
            .split_whitespace()
            .map(|n| n.parse().ok())
            .collect::<Option<_>>()?;
        // user nice system idle iowait irq softirq steal ...
        let idle = times.get(3)? + times.get(4).unwrap_or(&0);
        Some((times.iter().sum(), idle))
    }
    let (total, idle) = sample()?;
    std::thread::sleep(window);
    let (total2, idle2) = sample()?;
    let elapsed = total2.checked_sub(total).filter(|&t| t > 0)?;
    Some(1.0 - idle2.saturating_sub(idle) as f64 / elapsed as f64)
}

/// The machine, for a report's header: `Linux 6.18.44, 2 CPUs`.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("Linux {}, {cpus} CPUs", kernel.trim())
}

/// Reports how busy the CPUs are before a section runs.
pub fn say_cpu_busy() {
    if let Some(busy) = cpu_busy(Duration::from_millis(300)) {
        say!("CPUs busy before the run: {:.0}%", busy * 100.0);
        if busy > 0.25 {
            say!("(the machine is busy: times are noisy; the interleaved ratios less so)");
        }
    }
}

/// A duration in milliseconds, for a report.
pub fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

/// `a / b` as a ratio (`0.27x`).
pub fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(f64::MIN_POSITIVE)
}

/// KiB as MiB, for a report.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// `PASS` or `MISS`.
pub fn verdict(pass: bool) -> &'static str {
    if pass {
        "PASS"
    } else {
        "MISS"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        let ms = |list: &[u64]| -> Vec<Duration> {
            list.iter().map(|&n| Duration::from_millis(n)).collect()
        };
        let odd = Summary::of(&ms(&[5, 1, 3]));
        assert_eq!(odd.median, Duration::from_millis(3));
        assert_eq!((odd.min, odd.max), (ms(&[1])[0], ms(&[5])[0]));
        assert_eq!(
            Summary::of(&ms(&[4, 1, 2, 3])).median,
            Duration::from_micros(2500)
        );
        assert_eq!(Summary::of(&[]).median, Duration::ZERO);
    }
}
