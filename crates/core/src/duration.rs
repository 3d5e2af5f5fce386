//! Durations as users type them: `500ms`, `5s`, `1.5s`, `1m`, `2h`.

use std::time::Duration;

use crate::{Error, Result};

/// Parses a non-negative decimal number followed by a unit (`ms`, `s`, `m`,
/// `h`); a bare number means seconds, as in timeout(1).
///
/// ```
/// use std::time::Duration;
/// assert_eq!(procgroup::parse_duration("300ms").unwrap(), Duration::from_millis(300));
/// assert_eq!(procgroup::parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
/// assert!(procgroup::parse_duration("soon").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration> {
    let bad = || {
        Error::usage(format!(
            "invalid duration '{text}' (use e.g. 500ms, 5s, 1m)"
        ))
    };
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let seconds_per_unit = match unit {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(bad()),
    };
    // f64 parsing accepts forms like "inf" and "1e3": only digits and one dot here.
    let well_formed = !number.is_empty()
        && number.bytes().filter(|&b| b == b'.').count() <= 1
        && number.bytes().any(|b| b.is_ascii_digit());
    if !well_formed {
        return Err(bad());
    }
    let value: f64 = number.parse().map_err(|_| bad())?;
    Duration::try_from_secs_f64(value * seconds_per_unit).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("1m").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse_duration(".5s").unwrap(), Duration::from_millis(500));
    }

    #[test]
    fn refuses_nonsense() {
        for bad in [
            "",
            "s",
            "-1s",
            "1x",
            "1.2.3s",
            "inf",
            "1e3",
            "5 s",
            "nan",
            "1ms2",
            "99999999999999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
