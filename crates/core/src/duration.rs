//! Durations as users type them to timeout(1) and sleep(1): `90`, `500ms`,
//! `1.5s`, `1m`, `2h`, `1d`, and compound ones such as `1m30s` or `1h2m`.

use std::time::Duration;

use crate::{Error, Result};

/// Parses a duration: one or more non-negative decimal numbers, each
/// followed by a unit (`ms`, `s`, `m`, `h`, `d`), added up; a lone number
/// without a unit means seconds, as in timeout(1).
///
/// ```
/// use std::time::Duration;
/// assert_eq!(procgroup::parse_duration("300ms").unwrap(), Duration::from_millis(300));
/// assert_eq!(procgroup::parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
/// assert_eq!(procgroup::parse_duration("1m30s").unwrap(), Duration::from_secs(90));
/// assert_eq!(procgroup::parse_duration("90").unwrap(), Duration::from_secs(90));
/// assert!(procgroup::parse_duration("soon").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration> {
    let bad = || {
        Error::usage(format!(
            "invalid duration '{text}' (use e.g. 90, 500ms, 1.5s, 1m30s, 2h, 1d)"
        ))
    };
    let mut total = Duration::ZERO;
    let mut rest = text;
    let mut parts = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(digits);
        let units = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(units);
        let seconds_per_unit = match unit {
            "ms" => 0.001,
            // A bare number only alone: "1m30" is not a duration.
            "" if parts == 0 && next.is_empty() => 1.0,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            _ => return Err(bad()),
        };
        // f64 parsing accepts forms like "inf" and "1e3": only digits and
        // one dot here.
        let well_formed = !number.is_empty()
            && number.bytes().filter(|&b| b == b'.').count() <= 1
            && number.bytes().any(|b| b.is_ascii_digit());
        if !well_formed {
            return Err(bad());
        }
        let value: f64 = number.parse().map_err(|_| bad())?;
        let part = Duration::try_from_secs_f64(value * seconds_per_unit).map_err(|_| bad())?;
        total = total.checked_add(part).ok_or_else(bad)?;
        rest = next;
        parts += 1;
    }
    if parts == 0 {
        return Err(bad());
    }
    Ok(total)
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
        assert_eq!(parse_duration("1d").unwrap(), Duration::from_secs(86400));
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
    }

    #[test]
    fn adds_up_compound_durations() {
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1h2m").unwrap(), Duration::from_secs(3720));
        assert_eq!(
            parse_duration("1d12h").unwrap(),
            Duration::from_secs(129_600)
        );
        assert_eq!(
            parse_duration("1s500ms").unwrap(),
            Duration::from_millis(1500)
        );
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
            "1m30",
            "m30s",
            "1m 30s",
            "1mm",
            "99999999999999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
