//! The dates and times a credential writes: instants as RFC 3339 UTC
//! `YYYY-MM-DDTHH:MM:SSZ` (VC `validFrom`, `validUntil`, proof `created`) and
//! calendar dates as `YYYY-MM-DD` (the GB/T 36903 dates of a license).
//!
//! One strict form each, so that a credential has exactly one spelling of
//! every time it signs. Years run from 1970 (the chain's `Timestamp` has no
//! earlier instant) to 9999 (four digits).

use super::text::text_form;
use crate::time::Timestamp;
use std::fmt;

/// Offset of China Standard Time (UTC+8, no daylight saving since 1991), in
/// which GB/T 36903 dates are calendar days.
const CHINA_OFFSET_SECONDS: u64 = 8 * 3600;
const SECONDS_PER_DAY: u64 = 86_400;
const MIN_YEAR: u32 = 1970;
const MAX_YEAR: u32 = 9999;

/// Why a date or time was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("{found:?} is not of the form {expected}")]
    Format { expected: &'static str, found: String },
    #[error("{field} {value} is out of range")]
    Field { field: &'static str, value: u32 },
    #[error("{year:04}-{month:02} has no day {day}")]
    DayOfMonth { year: u32, month: u32, day: u32 },
    #[error("instant is outside 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z")]
    Range,
}

/// An instant to the second, in UTC.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTime(u64);

/// A calendar date (a day of the proleptic Gregorian calendar).
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    year: u32,
    month: u32,
    day: u32,
}

impl UtcTime {
    /// The last instant with a four-digit year.
    const MAX_SECONDS: u64 = 253_402_300_799;

    /// From seconds since 1970-01-01T00:00:00Z.
    pub fn from_unix_seconds(seconds: u64) -> Result<Self, TimeError> {
        if seconds > Self::MAX_SECONDS {
            return Err(TimeError::Range);
        }
        Ok(UtcTime(seconds))
    }

    /// From a chain timestamp, dropping the milliseconds (credentials state
    /// times to the second).
    pub fn from_timestamp(time: Timestamp) -> Result<Self, TimeError> {
        Self::from_unix_seconds(time.0 / 1000)
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(&self) -> u64 {
        self.0
    }

    /// The same instant as a chain timestamp.
    pub fn timestamp(&self) -> Timestamp {
        Timestamp(self.0 * 1000)
    }

    /// Reads exactly `YYYY-MM-DDTHH:MM:SSZ` (capital `T` and `Z`, no
    /// fraction, no offset, no leap second).
    pub fn parse(text: &str) -> Result<Self, TimeError> {
        const FORM: &str = "YYYY-MM-DDTHH:MM:SSZ";
        let bad = || TimeError::Format { expected: FORM, found: text.to_owned() };
        let (date, time) = text.split_once('T').ok_or_else(bad)?;
        let time = time.strip_suffix('Z').ok_or_else(bad)?;
        let date = CivilDate::parse(date).map_err(|e| match e {
            TimeError::Format { .. } => bad(),
            other => other,
        })?;
        let [hour, minute, second] = fields(time, ':', [2, 2, 2]).ok_or_else(bad)?;
        let hour = in_range("hour", hour, 0, 23)?;
        let minute = in_range("minute", minute, 0, 59)?;
        let second = in_range("second", second, 0, 59)?;
        let seconds = date.days_since_epoch() * SECONDS_PER_DAY + u64::from(hour * 3600 + minute * 60 + second);
        Self::from_unix_seconds(seconds)
    }
}

impl CivilDate {
    /// A date from its parts.
    pub fn new(year: u32, month: u32, day: u32) -> Result<Self, TimeError> {
        let year = in_range("year", year, MIN_YEAR, MAX_YEAR)?;
        let month = in_range("month", month, 1, 12)?;
        if day == 0 || day > days_in_month(year, month) {
            return Err(TimeError::DayOfMonth { year, month, day });
        }
        Ok(CivilDate { year, month, day })
    }

    /// Reads exactly `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Self, TimeError> {
        let [year, month, day] = fields(text, '-', [4, 2, 2])
            .ok_or_else(|| TimeError::Format { expected: "YYYY-MM-DD", found: text.to_owned() })?;
        Self::new(year, month, day)
    }

    pub fn year(&self) -> u32 {
        self.year
    }

    pub fn month(&self) -> u32 {
        self.month
    }

    pub fn day(&self) -> u32 {
        self.day
    }

    /// The calendar day in China (UTC+8) at `time` (`None` for the last
    /// eight hours of 9999, which are in year 10000 there).
    pub fn in_china(time: UtcTime) -> Option<Self> {
        let (year, month, day) = civil_from_days((time.0 + CHINA_OFFSET_SECONDS) / SECONDS_PER_DAY);
        Self::new(year, month, day).ok()
    }

    /// The day after this one (`None` after 9999-12-31).
    pub fn next_day(&self) -> Option<Self> {
        let days = self.days_since_epoch() + 1;
        let (year, month, day) = civil_from_days(days);
        Self::new(year, month, day).ok()
    }

    /// The instant this day begins in China (00:00 UTC+8), or `None` for
    /// 1970-01-01, which began before the epoch.
    pub fn start_in_china(&self) -> Option<UtcTime> {
        (self.days_since_epoch() * SECONDS_PER_DAY).checked_sub(CHINA_OFFSET_SECONDS).map(UtcTime)
    }

    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`, shifted
    /// so that the year starts in March and February's leap day comes
    /// last).
    fn days_since_epoch(&self) -> u64 {
        let (year, month) = if self.month <= 2 { (self.year - 1, self.month + 9) } else { (self.year, self.month - 3) };
        let (era, year_of_era) = (u64::from(year / 400), u64::from(year % 400));
        let day_of_year = u64::from((153 * month + 2) / 5 + self.day - 1);
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        // 719_468 days from 0000-03-01 to 1970-01-01; years >= 1970 keep
        // this positive.
        era * 146_097 + day_of_era - 719_468
    }
}

/// The inverse of `days_since_epoch` (Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u32, u32, u32) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    // Callers pass days of years 1970..=10000, which fit in u32.
    (year as u32, month as u32, day as u32)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn in_range(field: &'static str, value: u32, low: u32, high: u32) -> Result<u32, TimeError> {
    if (low..=high).contains(&value) {
        Ok(value)
    } else {
        Err(TimeError::Field { field, value })
    }
}

/// Splits `text` at `separator` into exactly three runs of ASCII digits of
/// the given widths.
fn fields(text: &str, separator: char, widths: [usize; 3]) -> Option<[u32; 3]> {
    let mut parts = text.split(separator);
    let mut values = [0; 3];
    for (value, width) in values.iter_mut().zip(widths) {
        let part = parts.next()?;
        if part.len() != width || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *value = part.parse().ok()?;
    }
    parts.next().is_none().then_some(values)
}

impl fmt::Display for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = civil_from_days(self.0 / SECONDS_PER_DAY);
        let second_of_day = self.0 % SECONDS_PER_DAY;
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            second_of_day / 3600,
            second_of_day / 60 % 60,
            second_of_day % 60
        )
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

text_form!(UtcTime);
text_form!(CivilDate);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_round_trip_through_text() {
        for seconds in [0, 951_782_400, 1_677_281_798, 4_107_542_399, UtcTime::MAX_SECONDS] {
            let time = UtcTime::from_unix_seconds(seconds).unwrap();
            assert_eq!(UtcTime::parse(&time.to_string()), Ok(time), "{time}");
        }
        assert_eq!(UtcTime::parse("2023-02-24T23:36:38Z").unwrap().unix_seconds(), 1_677_281_798);
        assert_eq!(UtcTime::from_unix_seconds(951_782_400).unwrap().to_string(), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn other_spellings_and_impossible_times_are_refused() {
        for text in [
            "2023-02-24 23:36:38Z",
            "2023-02-24T23:36:38.5Z",
            "2023-02-24T23:36:38+08:00",
            "2023-2-24T23:36:38Z",
            "2023-02-24t23:36:38z",
        ] {
            assert!(matches!(UtcTime::parse(text), Err(TimeError::Format { .. })), "{text}");
        }
        assert_eq!(UtcTime::parse("2023-02-24T24:00:00Z"), Err(TimeError::Field { field: "hour", value: 24 }));
        assert_eq!(UtcTime::parse("2023-02-24T23:59:60Z"), Err(TimeError::Field { field: "second", value: 60 }));
        assert_eq!(CivilDate::parse("2023-02-29"), Err(TimeError::DayOfMonth { year: 2023, month: 2, day: 29 }));
        assert_eq!(CivilDate::parse("1969-12-31"), Err(TimeError::Field { field: "year", value: 1969 }));
    }

    #[test]
    fn china_days_begin_at_sixteen_hundred_utc_the_day_before() {
        let date = CivilDate::parse("2024-03-01").unwrap();
        assert_eq!(date.start_in_china().unwrap().to_string(), "2024-02-29T16:00:00Z");
        assert_eq!(CivilDate::parse("1970-01-01").unwrap().start_in_china(), None);
        assert_eq!(CivilDate::parse("2024-12-31").unwrap().next_day(), Some(CivilDate::new(2025, 1, 1).unwrap()));
        assert_eq!(CivilDate::parse("9999-12-31").unwrap().next_day(), None);
    }
}
