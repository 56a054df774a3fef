//! One directory entry as a server listed it: the shared output of every listing parser.

use std::fmt;
use std::sync::Arc;

/// What kind of file system object an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    File,
    Dir,
    /// A symbolic link. Skiff never follows or recreates links locally; the target is informative.
    Link,
}

/// How much of a [`Timestamp`] the listing actually gave.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum TimePrecision {
    Day,
    Minute,
    Second,
}

/// A calendar time as written in a listing: server wall clock for LIST, UTC for MLSD/EPLF.
///
/// Kept as civil fields rather than an instant, because LIST times carry no zone and the
/// site's time-zone offset is applied later (FileZilla does the same).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Timestamp {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub precision: TimePrecision,
}

impl Timestamp {
    /// A date with no time of day.
    pub fn date(year: i32, month: u8, day: u8) -> Option<Self> {
        Self::new(year, month, day, 0, 0, 0, TimePrecision::Day)
    }

    /// Validated constructor: out-of-range fields give `None`, never a bogus date.
    pub fn new(
        year: i32,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        precision: TimePrecision,
    ) -> Option<Self> {
        let valid = (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && hour < 24
            && minute < 60
            && second < 61;
        valid.then_some(Self {
            year,
            month,
            day,
            hour,
            minute,
            second,
            precision,
        })
    }

    /// Seconds since the Unix epoch, reading the fields as UTC.
    pub fn to_unix_secs(&self) -> i64 {
        let days = days_from_civil(self.year, self.month, self.day);
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// A file system's modification time, to the second; `None` before 1970.
    pub fn from_system_time(time: std::time::SystemTime) -> Option<Self> {
        let secs = time.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
        Some(Self::from_unix_secs(i64::try_from(secs).ok()?))
    }

    /// The time `minutes` later (a site's server time-zone offset, added to what a server
    /// lists); a date without a time of day stays as it is.
    pub fn shifted(self, minutes: i32) -> Self {
        if minutes == 0 || self.precision == TimePrecision::Day {
            return self;
        }
        let mut moved = Self::from_unix_secs(self.to_unix_secs() + i64::from(minutes) * 60);
        moved.precision = self.precision;
        moved
    }

    /// The UTC calendar time of a Unix timestamp (EPLF `m` facts, `now` for year inference).
    pub fn from_unix_secs(secs: i64) -> Self {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        // rem < 86400, so the casts below cannot truncate.
        Self {
            year,
            month,
            day,
            hour: (rem / 3600) as u8,
            minute: (rem % 3600 / 60) as u8,
            second: (rem % 60) as u8,
            precision: TimePrecision::Second,
        }
    }

    /// RFC 3659's `YYYYMMDDHHMMSS[.sss]` (MDTM replies, MLSD `modify` facts), UTC.
    pub fn parse_rfc3659(text: &[u8]) -> Option<Self> {
        let digits = text.get(..14)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        // Two ASCII digits always fit a u8; four always fit an i32.
        let n = |at: usize, len: usize| -> u32 {
            digits[at..at + len]
                .iter()
                .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
        };
        Self::new(
            n(0, 4) as i32,
            n(4, 2) as u8,
            n(6, 2) as u8,
            n(8, 2) as u8,
            n(10, 2) as u8,
            n(12, 2) as u8,
            TimePrecision::Second,
        )
    }

    /// RFC 3339, as the CLI's `--json` prints it (fields taken as UTC).
    pub fn to_rfc3339(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)?;
        match self.precision {
            TimePrecision::Day => Ok(()),
            TimePrecision::Minute => write!(f, " {:02}:{:02}", self.hour, self.minute),
            TimePrecision::Second => {
                write!(f, " {:02}:{:02}:{:02}", self.hour, self.minute, self.second)
            }
        }
    }
}

pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year as i32, month, day)
}

/// One entry of a directory listing. The name stays in the server's raw bytes until a
/// charset decodes it for display, so any name can be sent back byte-exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: Vec<u8>,
    pub kind: EntryKind,
    /// Bytes; `None` when the listing gives no size (directories, MVS datasets, ...).
    pub size: Option<u64>,
    pub modified: Option<Timestamp>,
    /// Permissions as listed (`drwxr-xr-x`, an MLSD `unix.mode`, `[R----F--]`, ...). Shared:
    /// a folder's entries mostly repeat a few values, and a listing of a million entries
    /// keeps each value once (see `ListingParser`).
    pub permissions: Option<Arc<str>>,
    /// Owner and group as listed, space separated (shared, as `permissions`).
    pub owner_group: Option<Arc<str>>,
    /// Where a symbolic link points, as raw bytes.
    pub link_target: Option<Vec<u8>>,
}

impl Entry {
    pub fn new(name: impl Into<Vec<u8>>, kind: EntryKind) -> Self {
        Self {
            name: name.into(),
            kind,
            size: None,
            modified: None,
            permissions: None,
            owner_group: None,
            link_target: None,
        }
    }

    /// The name for display when no charset is configured: UTF-8, invalid bytes replaced.
    pub fn name_lossy(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }

    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_secs_round_trip_through_civil_fields() {
        for secs in [0_i64, 825_718_503, 951_782_400, 1_700_000_000, -86_400] {
            assert_eq!(Timestamp::from_unix_secs(secs).to_unix_secs(), secs);
        }
        let t = Timestamp::from_unix_secs(825_718_503);
        assert_eq!(t.to_string(), "1996-03-01 22:15:03");
    }

    #[test]
    fn a_shift_keeps_the_precision_and_leaves_dates_and_a_file_time_is_to_the_second() {
        let t = Timestamp::new(2024, 12, 31, 23, 30, 0, TimePrecision::Minute).unwrap();
        assert_eq!(
            t.shifted(-60),
            Timestamp::new(2024, 12, 31, 22, 30, 0, TimePrecision::Minute).unwrap()
        );
        let date = Timestamp::date(2024, 12, 31).unwrap();
        assert_eq!(date.shifted(600), date);
        let file = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_900);
        assert_eq!(
            Timestamp::from_system_time(file).unwrap().to_unix_secs(),
            1_700_000_000
        );
        let before = std::time::UNIX_EPOCH - std::time::Duration::from_secs(1);
        assert_eq!(Timestamp::from_system_time(before), None);
    }

    #[test]
    fn rfc3659_times_are_parsed_as_utc() {
        let t = Timestamp::parse_rfc3659(b"20010203040506").unwrap();
        assert_eq!(t.to_string(), "2001-02-03 04:05:06");
        assert!(Timestamp::parse_rfc3659(b"20011303040506").is_none());
        assert!(Timestamp::parse_rfc3659(b"2001").is_none());
        assert_eq!(
            Timestamp::parse_rfc3659(b"20010203040506.123")
                .unwrap()
                .second,
            6
        );
        assert_eq!(
            Timestamp::parse_rfc3659(b"19681105165215").unwrap().year,
            1968
        );
    }

    #[test]
    fn impossible_dates_are_rejected() {
        assert!(Timestamp::date(2023, 2, 29).is_none());
        assert!(Timestamp::date(2024, 2, 29).is_some());
        assert!(Timestamp::date(2024, 13, 1).is_none());
        assert!(Timestamp::new(2024, 1, 1, 24, 0, 0, TimePrecision::Minute).is_none());
    }
}
