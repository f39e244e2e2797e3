//! The names of rotated `-w` files, exactly as tcpdump 4.99 makes them (its `MakeFilename`).
//!
//! With `-G`, the name is first passed through strftime at the local time the file's period
//! began. With `-C`, a count follows it: none on the first file (`NAME`, then `NAME1`,
//! `NAME2`, …), unless `-W` is given, when every file gets one, zero-padded to the number of
//! digits of COUNT - 1 (`-W 3`: `NAME0` … `NAME2`; `-W 11`: `NAME00` … `NAME10`). Without
//! `-C` there is never a count.

use std::path::{Path, PathBuf};

use super::{SaveOptions, SessionError};

/// Makes the name of each file of a rotated capture from the `-w` name.
#[derive(Debug, Clone)]
pub(super) struct FileNames {
    template: PathBuf,
    strftime: bool,
    /// Digits of the count; 0 when the first file has no count.
    width: usize,
}

impl FileNames {
    pub(super) fn new(template: &Path, options: &SaveOptions) -> FileNames {
        let width = match (options.rotate_size, options.file_count) {
            (Some(_), Some(count)) => digits(count.saturating_sub(1)),
            _ => 0,
        };
        FileNames {
            template: template.to_owned(),
            strftime: options.rotate_seconds.is_some(),
            width,
        }
    }

    /// The name of file number `count` (within the period, with `-G`) of the period that
    /// began at `period_start` (Unix seconds).
    pub(super) fn name(&self, count: u32, period_start: i64) -> Result<PathBuf, SessionError> {
        let mut name = if self.strftime {
            PathBuf::from(self.local_time_format(period_start)?)
        } else {
            self.template.clone()
        };
        if count != 0 || self.width != 0 {
            let mut with_count = name.into_os_string();
            with_count.push(format!("{count:0width$}", width = self.width));
            name = PathBuf::from(with_count);
        }
        Ok(name)
    }

    fn local_time_format(&self, at: i64) -> Result<String, SessionError> {
        let error = |source| SessionError::FileName {
            template: self.template.clone(),
            source,
        };
        let when = jiff::Timestamp::from_second(at)
            .map_err(error)?
            .to_zoned(jiff::tz::TimeZone::system());
        jiff::fmt::strtime::format(self.template.as_os_str().as_encoded_bytes(), &when)
            .map_err(error)
    }
}

/// How many decimal digits `n` has, with 0 having none (tcpdump's `getWflagChars(n + 1)`).
fn digits(mut n: u32) -> usize {
    let mut d = 0;
    while n > 0 {
        d += 1;
        n /= 10;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(size: bool, seconds: bool, count: Option<u32>) -> FileNames {
        FileNames::new(
            Path::new("cap-%Y"),
            &SaveOptions {
                rotate_size: size.then_some(1),
                rotate_seconds: seconds.then_some(1),
                file_count: count,
                ..SaveOptions::default()
            },
        )
    }

    fn name(n: &FileNames, count: u32) -> String {
        // 2001-09-09 01:46:40 UTC: the same year in every time zone's local time.
        let at = 1_000_000_000;
        n.name(count, at).unwrap().to_string_lossy().into_owned()
    }

    #[test]
    fn size_rotation_numbers_files_after_the_first() {
        let n = names(true, false, None);
        assert_eq!(name(&n, 0), "cap-%Y");
        assert_eq!(name(&n, 1), "cap-%Y1");
        assert_eq!(name(&n, 12), "cap-%Y12");
    }

    #[test]
    fn a_ring_numbers_every_file_to_the_width_of_its_last_number() {
        assert_eq!(name(&names(true, false, Some(3)), 0), "cap-%Y0");
        assert_eq!(name(&names(true, false, Some(10)), 9), "cap-%Y9");
        assert_eq!(name(&names(true, false, Some(11)), 0), "cap-%Y00");
        assert_eq!(name(&names(true, false, Some(11)), 10), "cap-%Y10");
        assert_eq!(name(&names(true, false, Some(101)), 7), "cap-%Y007");
        // A ring of one file is one file, rewritten, with no number.
        assert_eq!(name(&names(true, false, Some(1)), 0), "cap-%Y");
    }

    #[test]
    fn time_rotation_formats_the_name_and_counts_only_with_size() {
        assert_eq!(name(&names(false, true, None), 0), "cap-2001");
        // -W with -G alone limits the files; it does not number them.
        assert_eq!(name(&names(false, true, Some(5)), 0), "cap-2001");
        assert_eq!(name(&names(true, true, None), 0), "cap-2001");
        assert_eq!(name(&names(true, true, None), 2), "cap-20012");
        assert_eq!(name(&names(true, true, Some(12)), 0), "cap-200100");
    }

    #[test]
    fn a_format_strftime_cannot_read_is_an_error() {
        let n = FileNames::new(
            Path::new("cap-%!"),
            &SaveOptions {
                rotate_seconds: Some(1),
                ..SaveOptions::default()
            },
        );
        let err = n.name(0, 0).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("cannot make a file name from cap-%!"));
    }
}
