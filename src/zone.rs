//! The time zone a dataset counts its call dates in (`--timezone`).
//!
//! A contact center's day is its own: a call taken at 08:00 in Seoul is on the previous UTC
//! date, so `call_date` partitions and the FCR table's days follow the zone a dataset is
//! written in, UTC unless told otherwise. The same zone reads start times written without an
//! offset (`2026-11-02 08:00:00`, a file name's `20261102_080000`), which contact-center
//! platforms and spreadsheets write in local time.

use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};

use crate::ingest::time::{DAY_US, date_of_day, utc_date, utc_time_of_day};

/// A time zone for call dates: UTC, a fixed offset, or an IANA zone with its daylight saving
/// rules.
#[derive(Clone, Debug)]
pub struct Zone {
    /// How the zone is named in data and messages: `UTC`, `+09:00`, `America/New_York`.
    name: String,
    /// `None` for UTC, the default, which needs no lookups.
    tz: Option<TimeZone>,
}

/// A `--timezone` value that names no zone.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown time zone {0:?}: give an IANA name such as Asia/Seoul or America/New_York, \
     an offset such as +09:00, or UTC"
)]
pub struct UnknownZone(pub String);

impl Default for Zone {
    fn default() -> Zone {
        Zone::utc()
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl Zone {
    /// UTC: call dates are UTC dates (the default, and every dataset's zone before
    /// `--timezone`).
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".to_string(),
            tz: None,
        }
    }

    /// A zone by name: `UTC`, an offset `+09:00` / `-0530`, or an IANA name (`Asia/Seoul`),
    /// looked up in the host's time zone database or, where the host has none (a slim
    /// container), the one built in.
    ///
    /// ```
    /// use fcrscan::zone::Zone;
    ///
    /// assert_eq!(Zone::parse("utc").unwrap(), Zone::utc());
    /// assert_eq!(Zone::parse("+0900").unwrap().name(), "+09:00");
    /// assert_eq!(Zone::parse("Asia/Seoul").unwrap().name(), "Asia/Seoul");
    /// assert_eq!(Zone::parse("Asia/Calcutta").unwrap().name(), "Asia/Kolkata");
    /// assert!(Zone::parse("Mars/Olympus_Mons").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<Zone, UnknownZone> {
        let name = name.trim();
        let unknown = || UnknownZone(name.to_string());
        if ["UTC", "Z", "Etc/UTC", "GMT"]
            .iter()
            .any(|utc| name.eq_ignore_ascii_case(utc))
        {
            return Ok(Zone::utc());
        }
        if let Some(seconds) = fixed_offset_s(name) {
            if seconds == 0 {
                return Ok(Zone::utc());
            }
            let offset = Offset::from_seconds(seconds).map_err(|_| unknown())?;
            let (sign, minutes) = (if seconds < 0 { '-' } else { '+' }, seconds.abs() / 60);
            return Ok(Zone {
                name: format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60),
                tz: Some(TimeZone::fixed(offset)),
            });
        }
        let tz = TimeZone::get(name).map_err(|_| unknown())?;
        // A zone's links (US/Eastern, Asia/Calcutta) are recorded under its primary name
        // (America/New_York, Asia/Kolkata), so that a dataset written with one is not refused
        // the other on the next night.
        let recorded = tz.primary_iana_name().or(tz.iana_name()).unwrap_or(name);
        Ok(Zone {
            name: recorded.to_string(),
            tz: Some(tz),
        })
    }

    /// The zone's name as data records it (`UTC`, `+09:00`, `Asia/Seoul`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Seconds east of UTC at the instant `us` (µs since the epoch).
    pub fn offset_s(&self, us: i64) -> i64 {
        let Some(tz) = &self.tz else {
            return 0;
        };
        Timestamp::from_microsecond(us).map_or(0, |at| i64::from(tz.to_offset(at).seconds()))
    }

    /// The day number (days since 1970-01-01) of the local date at the instant `us`.
    pub fn day_of(&self, us: i64) -> i64 {
        self.local_us(us).div_euclid(DAY_US)
    }

    /// The local date `YYYY-MM-DD` at the instant `us`: a call's `call_date`.
    pub fn date_of(&self, us: i64) -> String {
        date_of_day(self.day_of(us))
    }

    /// The instant `us` as local wall-clock time, in µs counted as if that time were UTC (for
    /// printing hours and minutes).
    pub fn local_us(&self, us: i64) -> i64 {
        us.saturating_add(self.offset_s(us).saturating_mul(1_000_000))
    }

    /// The instant `us` to the minute in local time, for people: `2026-11-02 08:30 KST`, with
    /// the zone's abbreviation at that instant (`UTC`, `CET`, `EDT`), or its offset where the
    /// zone has no letters for it (`+07`).
    ///
    /// ```
    /// use fcrscan::zone::Zone;
    ///
    /// let us = 1_793_610_845_000_000; // 2026-11-02T09:14:05Z
    /// assert_eq!(Zone::utc().minute_of(us), "2026-11-02 09:14 UTC");
    /// assert_eq!(Zone::parse("Asia/Seoul").unwrap().minute_of(us), "2026-11-02 18:14 KST");
    /// assert_eq!(Zone::parse("+05:30").unwrap().minute_of(us), "2026-11-02 14:44 +05:30");
    /// ```
    pub fn minute_of(&self, us: i64) -> String {
        // Local wall-clock time counted as if it were UTC: the UTC helpers print it.
        let local = self.local_us(us);
        let (h, m, _) = utc_time_of_day(local);
        let label = match (&self.tz, Timestamp::from_microsecond(us)) {
            (Some(tz), Ok(at)) if tz.iana_name().is_some() => {
                tz.to_offset_info(at).abbreviation().to_string()
            }
            _ => self.name.clone(),
        };
        format!("{} {h:02}:{m:02} {label}", utc_date(local))
    }

    /// The first instant of local day `day` (days since 1970-01-01): midnight, or the end of
    /// a daylight saving gap where midnight is skipped.
    pub fn day_start_us(&self, day: i64) -> i64 {
        self.instant_of_wall(day.saturating_mul(DAY_US))
    }

    /// The instant a local wall-clock time names; `wall_us` counts µs as if that time were
    /// UTC. A time skipped when clocks go forward is read as the same time after the jump; a
    /// time repeated when they go back, as the first of the two.
    ///
    /// ```
    /// use fcrscan::zone::Zone;
    ///
    /// let seoul = Zone::parse("Asia/Seoul").unwrap();
    /// let nine_am_utc = 9 * 3_600_000_000;
    /// assert_eq!(seoul.instant_of_wall(nine_am_utc), 0);
    /// ```
    pub fn instant_of_wall(&self, wall_us: i64) -> i64 {
        let Some(tz) = &self.tz else {
            return wall_us;
        };
        let Ok(wall) = Timestamp::from_microsecond(wall_us) else {
            return wall_us;
        };
        tz.to_ambiguous_timestamp(TimeZone::UTC.to_datetime(wall))
            .compatible()
            .map_or(wall_us, Timestamp::as_microsecond)
    }
}

/// Seconds of a fixed offset written `+09:00`, `+0900`, `+09`, `UTC+9` or `-05:30`.
fn fixed_offset_s(name: &str) -> Option<i32> {
    let s = ["UTC", "utc", "GMT", "gmt"]
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name);
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = match digits.split_once(':') {
        Some((h, m)) => (h, m),
        None if digits.len() == 4 => digits.split_at(2),
        None => (digits, "0"),
    };
    let all_digits =
        |p: &str| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(h) || !all_digits(m) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 18 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::time::parse_rfc3339_us;

    fn at(s: &str) -> i64 {
        parse_rfc3339_us(s).expect("a timestamp")
    }

    #[test]
    fn names_are_read_in_every_documented_spelling() {
        for utc in ["UTC", "utc", "Z", "Etc/UTC", "+00:00", "UTC+0"] {
            assert_eq!(Zone::parse(utc).unwrap(), Zone::utc(), "{utc}");
        }
        for (given, name) in [
            ("+09:00", "+09:00"),
            ("+0900", "+09:00"),
            ("+9", "+09:00"),
            ("UTC+9", "+09:00"),
            ("-05:30", "-05:30"),
            ("Asia/Seoul", "Asia/Seoul"),
            ("America/New_York", "America/New_York"),
            ("asia/seoul", "Asia/Seoul"),
            // Links are recorded under the zone's primary name.
            ("US/Eastern", "America/New_York"),
            ("Asia/Calcutta", "Asia/Kolkata"),
            ("Asia/Saigon", "Asia/Ho_Chi_Minh"),
        ] {
            assert_eq!(Zone::parse(given).unwrap().name(), name, "{given}");
        }
        for bad in ["", "+25:00", "+09:60", "Seoul", "+0x:00", "9"] {
            assert!(Zone::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_call_date_is_the_local_date() {
        let seoul = Zone::parse("Asia/Seoul").unwrap();
        // 08:30 in Seoul is 23:30 UTC the day before.
        let us = at("2026-11-01T23:30:00Z");
        assert_eq!(Zone::utc().date_of(us), "2026-11-01");
        assert_eq!(seoul.date_of(us), "2026-11-02");
        let new_york = Zone::parse("America/New_York").unwrap();
        assert_eq!(new_york.date_of(at("2026-11-02T03:00:00Z")), "2026-11-01");
        assert_eq!(new_york.date_of(at("2026-11-02T05:00:00Z")), "2026-11-02");
    }

    #[test]
    fn wall_clock_times_follow_daylight_saving() {
        let new_york = Zone::parse("America/New_York").unwrap();
        let wall = |s: &str| new_york.instant_of_wall(at(s));
        // Summer (EDT, -4) and winter (EST, -5).
        assert_eq!(wall("2026-07-01T09:00:00Z"), at("2026-07-01T13:00:00Z"));
        assert_eq!(wall("2026-12-01T09:00:00Z"), at("2026-12-01T14:00:00Z"));
        // 2026-03-08 02:30 does not exist: read as 03:30 EDT.
        assert_eq!(wall("2026-03-08T02:30:00Z"), at("2026-03-08T07:30:00Z"));
        // 2026-11-01 01:30 happens twice: the first, EDT.
        assert_eq!(wall("2026-11-01T01:30:00Z"), at("2026-11-01T05:30:00Z"));
        let fixed = Zone::parse("-05:30").unwrap();
        assert_eq!(
            fixed.instant_of_wall(at("2026-07-01T09:00:00Z")),
            at("2026-07-01T14:30:00Z")
        );
        assert_eq!(Zone::utc().instant_of_wall(123), 123);
    }

    #[test]
    fn a_day_starts_at_local_midnight() {
        let seoul = Zone::parse("Asia/Seoul").unwrap();
        let day = crate::ingest::time::day_of_date("2026-11-02").unwrap();
        assert_eq!(seoul.day_start_us(day), at("2026-11-01T15:00:00Z"));
        assert_eq!(seoul.day_of(seoul.day_start_us(day)), day);
        assert_eq!(seoul.day_of(seoul.day_start_us(day) - 1), day - 1);
        // Santiago skips midnight when its clocks go forward (2026-09-06): the day starts at 01:00.
        let santiago = Zone::parse("America/Santiago").unwrap();
        let day = crate::ingest::time::day_of_date("2026-09-06").unwrap();
        assert_eq!(santiago.day_start_us(day), at("2026-09-06T04:00:00Z"));
        assert_eq!(santiago.day_of(santiago.day_start_us(day)), day);
        assert_eq!(Zone::utc().day_start_us(day), day * DAY_US);
    }
}
