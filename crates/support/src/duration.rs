//! The one grammar of every `DURATION` option, so `--timeout 1.5`, `--duration 1h 30m` and
//! `--idle-timeout 500ms` mean the same in each binary.
//!
//! A duration is either a bare number of seconds (`10`, `1.5`) or one or more terms of a number
//! and a unit (`500ms`, `2m`, `1h 30m`, `1h30m`, `5 s`). Numbers may have a fraction
//! (`1.5ms`, `.5s`). The units are humantime's, whose grammar `raw-sniff` used to take, and
//! they are case-sensitive because `m` is a minute and `M` a month:
//!
//! | unit | names |
//! |------|-------|
//! | nanosecond | `ns`, `nsec`, `nanos` |
//! | microsecond | `us`, `µs`, `usec` |
//! | millisecond | `ms`, `msec`, `millis` |
//! | second | `s`, `sec`, `secs`, `second`, `seconds` |
//! | minute | `m`, `min`, `mins`, `minute`, `minutes` |
//! | hour | `h`, `hr`, `hrs`, `hour`, `hours` |
//! | day | `d`, `day`, `days` |
//! | week | `w`, `wk`, `wks`, `week`, `weeks` |
//! | month (30.44 days) | `M`, `month`, `months` |
//! | year (365.25 days) | `y`, `yr`, `yrs`, `year`, `years` |
//!
//! Zero is a valid duration here; an option for which zero makes no sense refuses it itself.
//! Sub-nanosecond fractions are dropped.

use std::time::Duration;

/// Why a text is not a duration. Its `Display` is one line that quotes the text, so clap can
/// print it after `invalid value … for '--timeout <DURATION>':` as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Nothing but white space was given.
    #[error("an empty duration: give one such as 10s, 500ms, 2m or 1h 30m")]
    Empty,
    /// A term does not start with a number (`ten`, `-1s`, `s`).
    #[error("'{text}' is not a duration such as 10s, 500ms, 2m or 1h 30m")]
    NotANumber {
        /// The whole text, trimmed.
        text: String,
    },
    /// A unit that is none of the grammar's (`5 parsecs`).
    #[error("unknown unit '{unit}' in '{text}': use ns, us, ms, s, m, h, d, w, M or y")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole text, trimmed.
        text: String,
    },
    /// A number without a unit next to terms with one (`1m 30`): only a lone number means
    /// seconds.
    #[error("'{text}' has a number without a unit: write 1m 30s, or a lone number of seconds")]
    MissingUnit {
        /// The whole text, trimmed.
        text: String,
    },
    /// More seconds than a [`Duration`] holds.
    #[error("'{text}' is out of range")]
    OutOfRange {
        /// The whole text, trimmed.
        text: String,
    },
}

const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// Parses a duration in the grammar described in this module: `10s`, `500ms`, `2m`,
/// `1h 30m`, or a bare number of seconds such as `1.5`.
///
/// ```
/// use std::time::Duration;
/// use support::parse_duration;
///
/// assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
/// assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
/// assert!(parse_duration("5 parsecs").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    let out_of_range = || DurationError::OutOfRange { text: text.into() };
    let mut rest = text;
    let mut total: u128 = 0;
    let mut terms = 0;
    let mut bare_number = false;
    while !rest.is_empty() {
        let (number, after) =
            take_number(rest).ok_or_else(|| DurationError::NotANumber { text: text.into() })?;
        let after = after.trim_start();
        let unit_len = after
            .find(|c: char| !(c.is_alphabetic()))
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let unit_nanos = if unit.is_empty() {
            bare_number = true;
            NANOS_PER_SECOND
        } else {
            unit_nanos(unit).ok_or_else(|| DurationError::UnknownUnit {
                unit: unit.into(),
                text: text.into(),
            })?
        };
        total = number
            .nanos(unit_nanos)
            .and_then(|nanos| total.checked_add(nanos))
            .ok_or_else(out_of_range)?;
        terms += 1;
        rest = after.trim_start();
    }
    if bare_number && terms > 1 {
        return Err(DurationError::MissingUnit { text: text.into() });
    }
    let seconds = u64::try_from(total / NANOS_PER_SECOND).map_err(|_| out_of_range())?;
    // The remainder is below 10^9, so it fits.
    let nanos = (total % NANOS_PER_SECOND) as u32;
    Ok(Duration::new(seconds, nanos))
}

/// A decimal number as written: its whole part and up to 18 digits of fraction.
struct Number {
    whole: u128,
    fraction: u128,
    /// 10 to the number of fraction digits kept.
    scale: u128,
}

impl Number {
    /// The number times `unit` nanoseconds, or `None` on overflow.
    fn nanos(&self, unit: u128) -> Option<u128> {
        // `unit` is at most a year (3.2e16 ns) and `fraction` below 1e18: no overflow here.
        let fraction = self.fraction * unit / self.scale;
        self.whole.checked_mul(unit)?.checked_add(fraction)
    }
}

/// Splits a leading `123`, `1.5`, `.5` or `5.` off `text`; `None` if it starts with no digit.
fn take_number(text: &str) -> Option<(Number, &str)> {
    let digits_end = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let whole_len = digits_end(text);
    let (whole, rest) = text.split_at(whole_len);
    let (fraction, rest) = match rest.strip_prefix('.') {
        Some(after_point) => after_point.split_at(digits_end(after_point)),
        None => ("", rest),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    // An overlong whole part is simply out of range: saturate and let `nanos` overflow.
    let whole = whole
        .parse::<u128>()
        .unwrap_or(if whole.is_empty() { 0 } else { u128::MAX });
    let kept = &fraction[..fraction.len().min(18)];
    let number = Number {
        whole,
        fraction: kept.parse().unwrap_or(0),
        scale: 10u128.pow(kept.len() as u32),
    };
    Some((number, rest))
}

/// Nanoseconds in one `unit`, or `None` for a name the grammar does not know.
fn unit_nanos(unit: &str) -> Option<u128> {
    const SECOND: u128 = NANOS_PER_SECOND;
    const DAY: u128 = 86_400 * SECOND;
    Some(match unit {
        "ns" | "nsec" | "nanos" => 1,
        "us" | "µs" | "usec" => 1_000,
        "ms" | "msec" | "millis" => 1_000_000,
        "s" | "sec" | "secs" | "second" | "seconds" => SECOND,
        "m" | "min" | "mins" | "minute" | "minutes" => 60 * SECOND,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600 * SECOND,
        "d" | "day" | "days" => DAY,
        "w" | "wk" | "wks" | "week" | "weeks" => 7 * DAY,
        // 30.44 and 365.25 days, as humantime counts them.
        "M" | "month" | "months" => 2_630_016 * SECOND,
        "y" | "yr" | "yrs" | "year" | "years" => 31_557_600 * SECOND,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Duration {
        parse_duration(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    /// Every form tcp-echo's and ws-chat's own parsers took: a unit or a bare number of
    /// seconds, with a fraction in tcp-echo.
    #[test]
    fn the_short_forms_the_servers_took() {
        assert_eq!(ok("10s"), Duration::from_secs(10));
        assert_eq!(ok("500ms"), Duration::from_millis(500));
        assert_eq!(ok("2m"), Duration::from_secs(120));
        assert_eq!(ok("2min"), Duration::from_secs(120));
        assert_eq!(ok("1h"), Duration::from_secs(3600));
        assert_eq!(ok("250us"), Duration::from_micros(250));
        assert_eq!(ok("250µs"), Duration::from_micros(250));
        assert_eq!(ok("7"), Duration::from_secs(7));
        assert_eq!(ok("1.5"), Duration::from_millis(1500));
        assert_eq!(ok("1.5s"), Duration::from_millis(1500));
        assert_eq!(ok(".5"), Duration::from_millis(500));
        assert_eq!(ok("5."), Duration::from_secs(5));
        assert_eq!(ok("0.25ms"), Duration::from_micros(250));
        assert_eq!(ok("  3s \n"), Duration::from_secs(3));
        assert_eq!(ok("0"), Duration::ZERO);
    }

    /// What raw-sniff took through humantime: compound terms, long unit names, spaces.
    #[test]
    fn the_compound_forms_raw_sniff_took() {
        assert_eq!(ok("1h 30m"), Duration::from_secs(5400));
        assert_eq!(ok("1h30m"), Duration::from_secs(5400));
        assert_eq!(ok("2 minutes 5 seconds"), Duration::from_secs(125));
        assert_eq!(ok("5 s"), Duration::from_secs(5));
        assert_eq!(ok("1day"), Duration::from_secs(86_400));
        assert_eq!(ok("2w"), Duration::from_secs(14 * 86_400));
        assert_eq!(ok("1M"), Duration::from_secs(2_630_016));
        assert_eq!(ok("1y"), Duration::from_secs(31_557_600));
        assert_eq!(ok("1s 500ms 20us 3ns"), Duration::new(1, 500_020_003));
        assert_eq!(ok("1.5h"), Duration::from_secs(5400));
    }

    #[test]
    fn errors_say_what_is_wrong_in_one_line() {
        let cases = [
            (
                "",
                "an empty duration: give one such as 10s, 500ms, 2m or 1h 30m",
            ),
            (
                "ten",
                "'ten' is not a duration such as 10s, 500ms, 2m or 1h 30m",
            ),
            (
                "-1s",
                "'-1s' is not a duration such as 10s, 500ms, 2m or 1h 30m",
            ),
            (
                "s",
                "'s' is not a duration such as 10s, 500ms, 2m or 1h 30m",
            ),
            (
                ".",
                "'.' is not a duration such as 10s, 500ms, 2m or 1h 30m",
            ),
            (
                "5 parsecs",
                "unknown unit 'parsecs' in '5 parsecs': use ns, us, ms, s, m, h, d, w, M or y",
            ),
            (
                "1e3",
                "unknown unit 'e' in '1e3': use ns, us, ms, s, m, h, d, w, M or y",
            ),
            (
                "1m 30",
                "'1m 30' has a number without a unit: write 1m 30s, or a lone number of seconds",
            ),
            (
                "1h, 2m",
                "'1h, 2m' is not a duration such as 10s, 500ms, 2m or 1h 30m",
            ),
            (
                "99999999999999999999999999999999999999999y",
                "'99999999999999999999999999999999999999999y' is out of range",
            ),
        ];
        for (text, message) in cases {
            let err = parse_duration(text).expect_err(text);
            assert_eq!(err.to_string(), message, "{text:?}");
            assert!(!err.to_string().contains('\n'));
        }
    }

    #[test]
    fn units_are_case_sensitive() {
        assert_eq!(ok("1m"), Duration::from_secs(60));
        assert_eq!(ok("1M"), Duration::from_secs(2_630_016));
        assert!(parse_duration("1S").is_err());
        assert!(parse_duration("1MS").is_err());
    }

    #[test]
    fn the_largest_duration_is_the_limit() {
        assert_eq!(ok(&format!("{}s", u64::MAX)), Duration::from_secs(u64::MAX));
        assert_eq!(
            parse_duration(&format!("{}s 1s", u64::MAX)),
            Err(DurationError::OutOfRange {
                text: format!("{}s 1s", u64::MAX)
            })
        );
    }
}
