//! Timestamps as transcripts and metadata write them, to microseconds since the Unix epoch.

/// A time read from text. When the text named no offset (`2026-11-02 09:14:05`, a bare date),
/// `local` is set and `us` counts the wall-clock time as if it were UTC: the run's
/// `--timezone` places it ([`crate::zone::Zone::instant_of_wall`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// Microseconds since the epoch (of the wall-clock time read as UTC, when `local`).
    pub us: i64,
    /// The text named no offset.
    pub local: bool,
}

impl Stamp {
    /// An instant, µs since the epoch.
    pub fn utc(us: i64) -> Stamp {
        Stamp { us, local: false }
    }

    /// A wall-clock time without a zone, µs counted as if it were UTC.
    pub fn local(us: i64) -> Stamp {
        Stamp { us, local: true }
    }
}

/// Parses `2026-11-02T09:14:05Z`, `2026-11-02 09:14:05.123+09:00`, `2026-11-02T09:14:05`
/// or a bare date `2026-11-02`, the last two without an offset ([`Stamp::local`]).
pub fn parse_rfc3339(s: &str) -> Option<Stamp> {
    let s = s.trim();
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        part.iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    if !(1..=12).contains(&month) || !(1..=days_in_month(year, month)).contains(&day) {
        return None;
    }
    let mut us = days_from_civil(year, month, day) * 86_400 * 1_000_000;
    if b.len() == 10 {
        return Some(Stamp::local(us));
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 19 || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (h, m, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    us += ((h * 60 + m) * 60 + sec) * 1_000_000;
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        let mut frac = 0i64;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 6 {
                frac = frac * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start).min(6)..6 {
            frac *= 10;
        }
        us += frac;
    }
    match b.get(i) {
        None => Some(Stamp::local(us)),
        Some(b'Z' | b'z') if i + 1 == b.len() => Some(Stamp::utc(us)),
        Some(&sign @ (b'+' | b'-')) if b.len() == i + 6 && b[i + 3] == b':' => {
            let offset = (num(i + 1, 2)? * 60 + num(i + 4, 2)?) * 60 * 1_000_000;
            Some(Stamp::utc(if sign == b'+' {
                us - offset
            } else {
                us + offset
            }))
        }
        _ => None,
    }
}

/// [`parse_rfc3339`] as an instant: a time without an offset is read as UTC. For the vendor
/// formats that always write UTC (`2026-11-02T09:14:05.123Z`) and for tests.
pub fn parse_rfc3339_us(s: &str) -> Option<i64> {
    parse_rfc3339(s).map(|t| t.us)
}

/// A start time as metadata files and canonical JSON write it: RFC 3339, `YYYY-MM-DD[ HH:MM:SS]`, compact
/// `YYYYMMDD[THHMMSS][Z]`, or epoch seconds (milliseconds when above 10^11). Only RFC 3339 with an
/// offset, a compact time ending in `Z` and epoch numbers name an instant; the rest are
/// [`Stamp::local`].
pub fn parse_timestamp(s: &str) -> Option<Stamp> {
    let s = s.trim();
    if let Some(stamp) = parse_rfc3339(s) {
        return Some(stamp);
    }
    // Compact forms: YYYYMMDD, YYYYMMDDhhmmss, YYYYMMDDThhmmss[Z], YYYYMMDD_hhmmss.
    let core = s.strip_suffix(['Z', 'z']).unwrap_or(s);
    let digits: String = core
        .chars()
        .filter(|c| !matches!(c, 'T' | 't' | '_'))
        .collect();
    let separators = core.len() - digits.len();
    let compact = digits.bytes().all(|b| b.is_ascii_digit())
        && ((digits.len() == 8 && separators == 0)
            || (digits.len() == 14
                && (separators == 0
                    || (separators == 1
                        && core
                            .as_bytes()
                            .get(8)
                            .is_some_and(|b| matches!(b, b'T' | b't' | b'_'))))));
    if compact {
        let n = |a: usize, b: usize| digits[a..b].parse::<i64>().ok();
        let (y, m, d) = (n(0, 4)?, n(4, 6)?, n(6, 8)?);
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return None;
        }
        let mut us = days_from_civil(y, m, d) * 86_400_000_000;
        if digits.len() == 14 {
            let (h, mi, se) = (n(8, 10)?, n(10, 12)?, n(12, 14)?);
            if h > 23 || mi > 59 || se > 60 {
                return None;
            }
            us += ((h * 60 + mi) * 60 + se) * 1_000_000;
        }
        return Some(if core.len() < s.len() {
            Stamp::utc(us)
        } else {
            Stamp::local(us)
        });
    }
    let x: f64 = s.parse().ok()?;
    if !x.is_finite() || x < 0.0 {
        return None;
    }
    Some(Stamp::utc(if x > 1e11 {
        (x * 1000.0) as i64
    } else {
        (x * 1e6) as i64
    }))
}

/// Microseconds in a day.
pub const DAY_US: i64 = 86_400 * 1_000_000;

/// The UTC calendar date `YYYY-MM-DD` of a timestamp in µs since the epoch.
pub fn utc_date(us: i64) -> String {
    date_of_day(us.div_euclid(DAY_US))
}

/// Hours, minutes and seconds into the UTC day of a timestamp in µs since the epoch.
pub fn utc_time_of_day(us: i64) -> (i64, i64, i64) {
    let tod = us.div_euclid(1_000_000).rem_euclid(86_400);
    (tod / 3600, tod / 60 % 60, tod % 60)
}

/// The calendar date `YYYY-MM-DD` of a day number (days since 1970-01-01).
pub fn date_of_day(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The day number (days since 1970-01-01) of a `YYYY-MM-DD` date, such as a `call_date`
/// partition's; `None` for anything else (`unknown`).
pub fn day_of_date(date: &str) -> Option<i64> {
    let mut parts = date.splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

pub(super) fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_transcripts_use() {
        // 2026-11-02T09:14:05Z = 1_793_610_845 s (checked with `date -u -d 2026-11-02T09:14:05Z +%s`).
        assert_eq!(
            parse_rfc3339_us("2026-11-02T09:14:05Z"),
            Some(1_793_610_845_000_000)
        );
        assert_eq!(
            parse_rfc3339_us("2026-11-02T18:14:05+09:00"),
            Some(1_793_610_845_000_000)
        );
        assert_eq!(
            parse_rfc3339_us("2026-11-02 09:14:05.25Z"),
            Some(1_793_610_845_250_000)
        );
        assert_eq!(
            parse_rfc3339_us("2026-11-02T09:14:05"),
            Some(1_793_610_845_000_000)
        );
        assert_eq!(parse_rfc3339_us("1970-01-01"), Some(0));
        for bad in [
            "",
            "2026-13-01",
            "2026-02-30T00:00:00Z",
            "yesterday",
            "2026-11-02T9:14:05Z",
            "2026-11-02T09:14:05+0900",
        ] {
            assert_eq!(parse_rfc3339_us(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn utc_dates_round_trip() {
        assert_eq!(utc_date(1_793_610_845_000_000), "2026-11-02");
        assert_eq!(utc_date(-1), "1969-12-31");
        for days in [-800_000, -1, 0, 59, 60, 11_016, 20_759, 900_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
