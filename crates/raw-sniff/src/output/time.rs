//! How a packet's capture time is written on its line: tcpdump's `-t` forms, in the local time
//! zone, at microsecond or nanosecond precision.

use std::fmt::Write as _;

use jiff::tz::TimeZone;

use super::text::{push_padded, push_u64};

/// Time of day (UTC) with microseconds, as tcpdump prints it in UTC.
pub fn time_of_day(ts: wire::pcap::Timestamp) -> String {
    let secs = ts.secs % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:06}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        ts.nanos / 1000
    )
}

/// Which time a line starts with: tcpdump's `-t` counted (none given, `-t` … `-ttttt`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Stamp {
    /// Time of day in the local zone (no `-t`).
    #[default]
    TimeOfDay,
    /// No time at all (`-t`).
    None,
    /// Seconds since the Unix epoch (`-tt`).
    Epoch,
    /// Time since the previous line (`-ttt`).
    SincePrevious,
    /// Date and time of day in the local zone (`-tttt`).
    DateTime,
    /// Time since the first line (`-ttttt`).
    SinceFirst,
}

impl Stamp {
    /// The stamp for `-t` given `count` times; `None` above five, which tcpdump refuses too.
    pub fn from_count(count: u8) -> Option<Stamp> {
        Some(match count {
            0 => Stamp::TimeOfDay,
            1 => Stamp::None,
            2 => Stamp::Epoch,
            3 => Stamp::SincePrevious,
            4 => Stamp::DateTime,
            5 => Stamp::SinceFirst,
            _ => return None,
        })
    }
}

/// Digits after the seconds' point.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Precision {
    /// Six digits (tcpdump's default, whatever the capture holds).
    #[default]
    Micro,
    /// Nine digits.
    Nano,
}

/// How times are written: which stamp, at which precision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeFormat {
    /// Which time a line starts with.
    pub stamp: Stamp,
    /// Digits after the seconds' point.
    pub precision: Precision,
}

/// Writes each line's time; remembers the reference packet the deltas (`-ttt`, `-ttttt`) are
/// taken from, and the local zone, read once.
#[derive(Debug, Default)]
pub struct Clock {
    format: TimeFormat,
    reference: Option<(i64, u32)>,
    zone: Option<LocalZone>,
}

impl Clock {
    /// A clock writing times in `format`.
    pub fn new(format: TimeFormat) -> Clock {
        Clock {
            format,
            reference: None,
            zone: None,
        }
    }

    /// Appends the time of a packet captured at `ts` to `out` (nothing at all with `-t`).
    pub fn write(&mut self, out: &mut String, ts: wire::pcap::Timestamp) {
        let frac = match self.format.precision {
            Precision::Micro => ts.nanos / 1000,
            Precision::Nano => ts.nanos,
        };
        let (secs, unit) = (ts.secs, self.unit());
        match self.format.stamp {
            Stamp::None => {}
            Stamp::TimeOfDay | Stamp::DateTime => {
                if convertible(secs) {
                    let local = self.zone().local_seconds(secs);
                    if self.format.stamp == Stamp::DateTime {
                        let (y, m, d) = civil_from_days(local.div_euclid(86_400));
                        let _ = write!(out, "{y:04}-{m:02}-{d:02} ");
                    }
                    hms(out, local.rem_euclid(86_400) as u64);
                    self.frac(out, frac);
                } else {
                    out.push_str(CONVERSION_ERROR);
                }
            }
            Stamp::Epoch => {
                if convertible(secs) {
                    push_u64(out, u64::from(secs as u32));
                    self.frac(out, frac);
                } else {
                    out.push_str(CONVERSION_ERROR);
                }
            }
            Stamp::SincePrevious | Stamp::SinceFirst => {
                let now = (signed(secs), frac);
                let then = *self.reference.get_or_insert(now);
                let (sign, (ds, df)) = if now < then {
                    ('-', sub(then, now, unit))
                } else {
                    (' ', sub(now, then, unit))
                };
                out.push(sign);
                if convertible(ds as u64) {
                    // A delta is a duration: its hours wrap at a day, as tcpdump's gmtime does.
                    hms(out, ds as u64 % 86_400);
                    self.frac(out, df);
                } else {
                    out.push_str(CONVERSION_ERROR);
                }
                if self.format.stamp == Stamp::SincePrevious {
                    self.reference = Some(now);
                }
            }
        }
    }

    fn unit(&self) -> u32 {
        match self.format.precision {
            Precision::Micro => 1_000_000,
            Precision::Nano => 1_000_000_000,
        }
    }

    fn frac(&self, out: &mut String, frac: u32) {
        out.push('.');
        let width = match self.format.precision {
            Precision::Micro => 6,
            Precision::Nano => 9,
        };
        push_padded(out, u64::from(frac), width);
    }

    fn zone(&mut self) -> &mut LocalZone {
        self.zone.get_or_insert_with(LocalZone::system)
    }
}

/// What tcpdump prints for a time it will not convert.
const CONVERSION_ERROR: &str = "[Error converting time]";

/// Whether tcpdump converts this many seconds: it refuses any with bit 31 set in their low 32
/// bits, read as a signed 32-bit `time_t` would be negative.
fn convertible(secs: u64) -> bool {
    (secs as u32) & 0x8000_0000 == 0
}

/// Seconds as libpcap hands them to tcpdump: a classic pcap file stores them in 32 bits that
/// libpcap reads as signed, so a time past 2038 comes out before 1970 (and a delta from it
/// too large to convert).
fn signed(secs: u64) -> i64 {
    match u32::try_from(secs) {
        Ok(low) => i64::from(low as i32),
        Err(_) => secs as i64,
    }
}

/// `a - b` for (seconds, fraction in `unit`s) with `a >= b`.
fn sub(a: (i64, u32), b: (i64, u32), unit: u32) -> (i64, u32) {
    if a.1 >= b.1 {
        (a.0 - b.0, a.1 - b.1)
    } else {
        (a.0 - b.0 - 1, a.1 + unit - b.1)
    }
}

/// `{:02}:{:02}:{:02}` of the hours, minutes and seconds, written on every line.
fn hms(out: &mut String, secs_of_day: u64) {
    push_padded(out, secs_of_day / 3600, 2);
    out.push(':');
    push_padded(out, secs_of_day / 60 % 60, 2);
    out.push(':');
    push_padded(out, secs_of_day % 60, 2);
}

/// (year, month, day) of the `days`th day after 1970-01-01 (Howard Hinnant's algorithm for the
/// proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The local time zone (`TZ`, else `/etc/localtime`), read once, with the offset of the span
/// between two transitions kept: packets come in time order, so nearly every one falls in the
/// span of the one before and costs no look-up.
#[derive(Debug)]
struct LocalZone {
    zone: TimeZone,
    /// Seconds since the epoch where the cached offset starts to hold and stops holding.
    span: (i64, i64),
    offset: i64,
}

impl LocalZone {
    fn system() -> LocalZone {
        LocalZone {
            zone: TimeZone::system(),
            span: (0, 0),
            offset: 0,
        }
    }

    /// Seconds since the epoch moved to the local zone's wall clock.
    fn local_seconds(&mut self, secs: u64) -> i64 {
        let secs = secs as i64;
        if !(self.span.0..self.span.1).contains(&secs) {
            self.look_up(secs);
        }
        secs + self.offset
    }

    fn look_up(&mut self, secs: i64) {
        let Ok(at) = jiff::Timestamp::from_second(secs) else {
            // Out of jiff's range: keep the offset, without a span to trust.
            self.span = (0, 0);
            return;
        };
        self.offset = i64::from(self.zone.to_offset(at).seconds());
        // `preceding` yields transitions strictly before its argument: one second on, the
        // transition at `secs` itself is included.
        let start = jiff::Timestamp::from_second(secs + 1)
            .ok()
            .and_then(|next| self.zone.preceding(next).next())
            .map_or(i64::MIN, |t| t.timestamp().as_second());
        let end = self
            .zone
            .following(at)
            .next()
            .map_or(i64::MAX, |t| t.timestamp().as_second());
        self.span = (start, end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(secs: u64, nanos: u32) -> wire::pcap::Timestamp {
        wire::pcap::Timestamp { secs, nanos }
    }

    fn utc_clock(stamp: Stamp, precision: Precision) -> Clock {
        let mut clock = Clock::new(TimeFormat { stamp, precision });
        clock.zone = Some(LocalZone {
            zone: TimeZone::UTC,
            span: (0, 0),
            offset: 0,
        });
        clock
    }

    fn lines(clock: &mut Clock, stamps: &[wire::pcap::Timestamp]) -> Vec<String> {
        stamps
            .iter()
            .map(|&t| {
                let mut s = String::new();
                clock.write(&mut s, t);
                s
            })
            .collect()
    }

    #[test]
    fn each_stamp_in_tcpdumps_form() {
        let t = [
            ts(1_700_000_000, 123_456_789),
            ts(1_700_000_001, 23_456_000),
        ];
        let mut c = utc_clock(Stamp::TimeOfDay, Precision::Micro);
        assert_eq!(lines(&mut c, &t), ["22:13:20.123456", "22:13:21.023456"]);
        let mut c = utc_clock(Stamp::None, Precision::Micro);
        assert_eq!(lines(&mut c, &t), ["", ""]);
        let mut c = utc_clock(Stamp::Epoch, Precision::Nano);
        assert_eq!(
            lines(&mut c, &t),
            ["1700000000.123456789", "1700000001.023456000"]
        );
        let mut c = utc_clock(Stamp::DateTime, Precision::Micro);
        assert_eq!(lines(&mut c, &t)[0], "2023-11-14 22:13:20.123456");
        let mut c = utc_clock(Stamp::SincePrevious, Precision::Micro);
        assert_eq!(
            lines(&mut c, &[t[0], t[1], t[0]]),
            [" 00:00:00.000000", " 00:00:00.900000", "-00:00:00.900000"]
        );
        let mut c = utc_clock(Stamp::SinceFirst, Precision::Nano);
        assert_eq!(
            lines(&mut c, &[t[0], t[1], ts(1_700_090_000, 123_456_789)]),
            [
                " 00:00:00.000000000",
                " 00:00:00.899999211",
                " 01:00:00.000000000"
            ]
        );
    }

    #[test]
    fn times_tcpdump_cannot_convert() {
        let mut c = utc_clock(Stamp::TimeOfDay, Precision::Micro);
        assert_eq!(
            lines(&mut c, &[ts(0x8000_0000, 0)]),
            ["[Error converting time]"]
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }

    #[test]
    fn local_offset_follows_transitions() {
        let zone = TimeZone::get("America/New_York").expect("tzdata installed");
        let mut z = LocalZone {
            zone,
            span: (0, 0),
            offset: 0,
        };
        // 2024-03-10 07:00:00 UTC is 03:00 EDT, the first second of daylight saving time.
        let dst: i64 = 1_710_054_000;
        let offset = |z: &mut LocalZone, at: i64| z.local_seconds(at as u64) - at;
        assert_eq!(offset(&mut z, dst - 1), -5 * 3600);
        assert_eq!(offset(&mut z, dst), -4 * 3600);
        assert_eq!(z.span.0, dst);
        assert_eq!(offset(&mut z, dst - 1), -5 * 3600);
        assert_eq!(z.span.1, dst);
    }
}
