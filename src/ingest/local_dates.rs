//! Start times as spreadsheets write them in their locale.
//!
//! A metadata export opened and saved in Excel comes back with its dates rewritten the way the
//! locale writes them: `02.11.2026 10:00` (German, Russian, Turkish…), `2026/11/02 10:00`
//! (Japanese, Chinese), `2026. 11. 2. 오전 10:00:00` (Korean), `11/2/2026 10:00 AM` (US) or
//! `02/11/2026 10:00` (UK, France, Brazil, India…). None names a zone: they are wall-clock
//! times, placed in `--timezone` like any time without an offset.
//!
//! The slashed forms are ambiguous: `11/2/2026` is 2 November in the US and 11 February almost
//! everywhere else. A file settles it when one of its dates can only be read one way (a day
//! above 12); `--date-order` settles it for a file that does not.

use super::time::{Stamp, days_from_civil, days_in_month, parse_timestamp};

/// Which comes first in a slashed date: the month (`11/2/2026` is 2 November, as in the US) or
/// the day (11 February, as in most other places).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateOrder {
    /// `D/M/YYYY`.
    DayFirst,
    /// `M/D/YYYY`.
    MonthFirst,
}

impl DateOrder {
    /// The spelling `--date-order` takes and messages use.
    pub fn name(self) -> &'static str {
        match self {
            DateOrder::DayFirst => "day-first",
            DateOrder::MonthFirst => "month-first",
        }
    }
}

/// Why a locale-written time could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocalDateError {
    /// Not a date in any form this module reads.
    NotADate,
    /// A slashed date whose day and month are both 12 or less, with no order known.
    Ambiguous,
}

/// The order the slashed dates among `values` can only have: `Ok(None)` when none of them
/// settles it (every day and month 12 or less, or no slashed date at all), `Err` with two
/// values that contradict each other (a column that is not one locale's dates).
pub fn order_of<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Option<DateOrder>, (&'a str, &'a str)> {
    let mut found: Option<(DateOrder, &str)> = None;
    for value in values {
        let Some((first, second)) = slashed_parts(value) else {
            continue;
        };
        let order = match (first > 12, second > 12) {
            (true, false) => DateOrder::DayFirst,
            (false, true) => DateOrder::MonthFirst,
            _ => continue,
        };
        match found {
            Some((seen, other)) if seen != order => return Err((other, value)),
            Some(_) => {}
            None => found = Some((order, value)),
        }
    }
    Ok(found.map(|(order, _)| order))
}

/// The first two numbers of a slashed (or dashed) date `A/B/YYYY`, if `value` starts with one.
/// The date is found as [`parse_local`] finds it.
fn slashed_parts(value: &str) -> Option<(u32, u32)> {
    let (date, _) = split_date_time(value.trim())?;
    let mut parts = date.split(['/', '-']);
    let (a, b, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || a.len() > 2 || b.len() > 2 {
        return None;
    }
    Some((number(a)?, number(b)?))
}

fn number(s: &str) -> Option<u32> {
    (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// A start time as a metadata file or turn table (`file`) writes it: [`parse_timestamp`]'s
/// forms, or a spreadsheet locale's ([`parse_local`]). The error says which forms are read, or
/// what settles a slashed date's order.
pub fn parse_start_time(
    value: &str,
    order: Option<DateOrder>,
    file: &str,
) -> Result<Stamp, String> {
    if let Some(stamp) = parse_timestamp(value) {
        return Ok(stamp);
    }
    match parse_local(value, order) {
        Ok(stamp) => Ok(stamp),
        Err(LocalDateError::Ambiguous) => Err(format!(
            "started_at {value:?} could be read month first or day first, and no date in {file} settles it: give --date-order month-first (11/2/2026 is 2 November, as in the US) or day-first"
        )),
        Err(LocalDateError::NotADate) => Err(format!(
            "started_at {value:?} is not a timestamp (RFC 3339, YYYY-MM-DD, epoch seconds, or a spreadsheet's 02.11.2026 10:00, 2026/11/02 10:00, 11/2/2026 10:00 AM)"
        )),
    }
}

/// Reads a locale-written date and optional time (see the module docs) as wall-clock time.
/// `order` reads the slashed forms; without it, only those that can be read one way are.
///
/// ```
/// use fcrscan::ingest::local_dates::{DateOrder, LocalDateError, parse_local};
/// use fcrscan::ingest::time::parse_timestamp;
///
/// let ten = parse_timestamp("2026-11-02 10:00:00");
/// assert_eq!(parse_local("02.11.2026 10:00", None).ok(), ten);
/// assert_eq!(parse_local("2026/11/02 10:00", None).ok(), ten);
/// assert_eq!(parse_local("11/2/2026 10:00:00 AM", Some(DateOrder::MonthFirst)).ok(), ten);
/// assert_eq!(parse_local("2/11/2026 10:00", Some(DateOrder::DayFirst)).ok(), ten);
/// assert_eq!(parse_local("11/2/2026 10:00", None), Err(LocalDateError::Ambiguous));
/// ```
pub fn parse_local(value: &str, order: Option<DateOrder>) -> Result<Stamp, LocalDateError> {
    use LocalDateError::{Ambiguous, NotADate};
    let value = value.trim();
    // The date runs to the first space that follows a digit-and-separator run; Korean writes
    // spaces inside it (`2026. 11. 2.`), so those are taken out first.
    let (date, time) = split_date_time(value).ok_or(NotADate)?;
    let numbers: Vec<&str> = date
        .split(['.', '/', '-'])
        .filter(|p| !p.is_empty())
        .collect();
    let [a, b, c] = numbers[..] else {
        return Err(NotADate);
    };
    let separator = date
        .bytes()
        .find(|b| matches!(b, b'.' | b'/' | b'-'))
        .ok_or(NotADate)?;
    let (a, b, c) = (
        number(a).ok_or(NotADate)?,
        number(b).ok_or(NotADate)?,
        number(c).ok_or(NotADate)?,
    );
    let (year, month, day) = if numbers[0].len() == 4 {
        (a, b, c)
    } else if numbers[2].len() != 4 {
        return Err(NotADate);
    } else if separator == b'.' {
        (c, b, a)
    } else {
        let order = match (a > 12, b > 12) {
            (true, true) => return Err(NotADate),
            (true, false) => DateOrder::DayFirst,
            (false, true) => DateOrder::MonthFirst,
            (false, false) => order.ok_or(Ambiguous)?,
        };
        match order {
            DateOrder::DayFirst => (c, b, a),
            DateOrder::MonthFirst => (c, a, b),
        }
    };
    let (year, month, day) = (i64::from(year), i64::from(month), i64::from(day));
    if !(1..=12).contains(&month) || !(1..=days_in_month(year, month)).contains(&day) {
        return Err(NotADate);
    }
    let seconds = match time {
        None => 0,
        Some(time) => time_of_day_s(time).ok_or(NotADate)?,
    };
    Ok(Stamp::local(
        days_from_civil(year, month, day) * 86_400_000_000 + seconds * 1_000_000,
    ))
}

/// The date and the time after it, if any. Korean dates (`2026. 11. 2. 오전 10:00:00`) have
/// spaces after their dots, which belong to the date.
fn split_date_time(value: &str) -> Option<(String, Option<&str>)> {
    let mut date = String::new();
    let mut rest = value;
    while let Some(c) = rest.chars().next() {
        if c.is_ascii_digit() || matches!(c, '.' | '/' | '-') {
            date.push(c);
            rest = &rest[c.len_utf8()..];
        } else if c == ' '
            && date.ends_with('.')
            && rest[1..].starts_with(|d: char| d.is_ascii_digit())
        {
            rest = &rest[1..];
        } else {
            break;
        }
    }
    if date.is_empty() {
        return None;
    }
    let rest = rest.trim_start_matches([' ', ',', 'T']).trim();
    Some((date, (!rest.is_empty()).then_some(rest)))
}

/// Seconds into the day of `H:MM`, `H:MM:SS` or `H:MM:SS.fff`, with an optional `AM`/`PM`
/// after it (`a.m.`, any case) or `오전`/`오후`, `上午`/`下午` before it.
fn time_of_day_s(time: &str) -> Option<i64> {
    let mut afternoon = None;
    let mut clock = time;
    for (marker, pm) in [
        ("오전", false),
        ("오후", true),
        ("上午", false),
        ("下午", true),
    ] {
        if let Some(rest) = clock.strip_prefix(marker) {
            afternoon = Some(pm);
            clock = rest.trim_start();
        }
    }
    let lower = clock.to_ascii_lowercase();
    for (marker, pm) in [("am", false), ("a.m.", false), ("pm", true), ("p.m.", true)] {
        if let Some(rest) = lower.strip_suffix(marker) {
            afternoon = Some(pm);
            clock = &clock[..rest.trim_end().len()];
            break;
        }
    }
    let mut parts = clock.split(':');
    let hour = i64::from(number(parts.next()?)?);
    let minute = i64::from(number(parts.next()?)?);
    let second = match parts.next() {
        None => 0,
        Some(s) => i64::from(number(s.split('.').next()?)?),
    };
    if parts.next().is_some() || minute > 59 || second > 60 {
        return None;
    }
    let hour = match afternoon {
        None if hour <= 23 => hour,
        Some(pm) if (1..=12).contains(&hour) => hour % 12 + if pm { 12 } else { 0 },
        _ => return None,
    };
    Some((hour * 60 + minute) * 60 + second)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::time::parse_timestamp;

    fn at(s: &str) -> Stamp {
        parse_timestamp(s).expect("a timestamp")
    }

    #[test]
    fn every_locale_form_reads_as_wall_clock_time() {
        let ten = at("2026-11-02 10:00:00");
        let afternoon = at("2026-11-02 14:05:09");
        for (value, order, expected) in [
            ("02.11.2026 10:00", None, ten),
            ("2.11.2026 10:00:00", None, ten),
            ("02.11.2026 14:05:09", None, afternoon),
            ("2026/11/02 10:00", None, ten),
            ("2026/11/2 14:05:09", None, afternoon),
            ("2026. 11. 2. 오전 10:00:00", None, ten),
            ("2026. 11. 2. 오후 2:05:09", None, afternoon),
            ("2026/11/2 下午2:05:09", None, afternoon),
            ("11/2/2026 10:00", Some(DateOrder::MonthFirst), ten),
            (
                "11/2/2026 2:05:09 PM",
                Some(DateOrder::MonthFirst),
                afternoon,
            ),
            (
                "11/2/2026 2:05:09 p.m.",
                Some(DateOrder::MonthFirst),
                afternoon,
            ),
            ("2/11/2026 10:00", Some(DateOrder::DayFirst), ten),
            ("02-11-2026 14:05:09", Some(DateOrder::DayFirst), afternoon),
            // A day above 12 can only be read one way, whatever the order given.
            ("11/22/2026 10:00", None, at("2026-11-22 10:00:00")),
            (
                "22/11/2026 10:00",
                Some(DateOrder::MonthFirst),
                at("2026-11-22 10:00:00"),
            ),
            ("02.11.2026", None, at("2026-11-02")),
        ] {
            assert_eq!(parse_local(value, order), Ok(expected), "{value}");
            assert!(expected.local);
        }
        assert_eq!(parse_local("12:00 AM", None), Err(LocalDateError::NotADate));
        assert_eq!(
            parse_local("11/2/2026 12:30 AM", Some(DateOrder::MonthFirst)),
            Ok(at("2026-11-02 00:30:00"))
        );
    }

    #[test]
    fn what_is_not_a_date_is_refused() {
        for value in [
            "",
            "last tuesday",
            "13/13/2026",
            "02.13.2026",
            "2026/11/02 25:00",
            "11/2/26 10:00",
            "11/2/2026 13:00 PM",
            "11/2/2026 10:00 xyz",
        ] {
            assert_eq!(
                parse_local(value, Some(DateOrder::MonthFirst)),
                Err(LocalDateError::NotADate),
                "{value}"
            );
        }
        assert_eq!(
            parse_local("11/2/2026", None),
            Err(LocalDateError::Ambiguous)
        );
    }

    #[test]
    fn a_column_settles_its_order_when_one_date_can_only_be_read_one_way() {
        assert_eq!(
            order_of(["11/2/2026 10:00", "11/22/2026 09:00"]),
            Ok(Some(DateOrder::MonthFirst))
        );
        assert_eq!(
            order_of(["2/11/2026", "22/11/2026"]),
            Ok(Some(DateOrder::DayFirst))
        );
        assert_eq!(order_of(["11/2/2026", "2026-11-02"]), Ok(None));
        assert_eq!(
            order_of(["22/11/2026", "11/22/2026"]),
            Err(("22/11/2026", "11/22/2026"))
        );
    }
}
