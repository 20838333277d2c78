//! Linking options: the repeat window, the transfer gap, the `same_channel` / `same_issue`
//! filters, and the parser for the durations users type (`24h`, `3d`, `90m`).
//!
//! Durations are whole seconds (`i64`): linking compares microsecond timestamps, and a whole
//! number of seconds converts to microseconds exactly. [`LinkConfig::try_new`] is the checked
//! constructor; [`super::link`] uses the fields as they are, so a config built field by field
//! must keep the same invariants (window > 0, 0 ≤ transfer gap < window).

use std::fmt;

/// Seconds in a minute, an hour, a day and a week.
const UNITS: [(char, i64); 5] = [
    ('w', 604_800),
    ('d', 86_400),
    ('h', 3_600),
    ('m', 60),
    ('s', 1),
];

/// How contacts are linked into chains. See docs/FCR.md for every rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkConfig {
    /// The repeat window W in seconds, measured start to start: a contact that starts at most
    /// `window_s` after an earlier contact of the same customer is linked to it. Default 7 days.
    pub window_s: i64,
    /// The transfer gap in seconds, measured from the end of the earlier contact
    /// (`started_at + duration_s`, or its start when the duration is unknown) to the start of the
    /// later one: a linked contact within the gap continues the same episode instead of being a
    /// repeat. Default 15 minutes.
    pub transfer_gap_s: i64,
    /// Link only contacts in the same channel (compared ignoring ASCII case; an unknown channel
    /// matches any channel).
    pub same_channel: bool,
    /// Link only contacts that share a topic (a contact with no topic matches any contact).
    pub same_issue: bool,
}

impl Default for LinkConfig {
    /// A 7-day window, a 15-minute transfer gap, any channel, any issue.
    fn default() -> LinkConfig {
        LinkConfig {
            window_s: 7 * 86_400,
            transfer_gap_s: 15 * 60,
            same_channel: false,
            same_issue: false,
        }
    }
}

impl LinkConfig {
    /// A checked config: the window must be positive and the transfer gap at least 0 and
    /// shorter than the window.
    ///
    /// ```
    /// use fcrscan::link::{LinkConfig, parse_duration_s};
    ///
    /// let (window_s, gap_s) = (parse_duration_s("3d")?, parse_duration_s("10m")?);
    /// let cfg = LinkConfig::try_new(window_s, gap_s, true, false)?;
    /// assert_eq!((cfg.window_s, cfg.transfer_gap_s), (259_200, 600));
    /// assert!(LinkConfig::try_new(3_600, 3_600, false, false).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_new(
        window_s: i64,
        transfer_gap_s: i64,
        same_channel: bool,
        same_issue: bool,
    ) -> Result<LinkConfig, LinkConfigError> {
        if window_s <= 0 {
            return Err(LinkConfigError::WindowNotPositive { window_s });
        }
        if transfer_gap_s < 0 {
            return Err(LinkConfigError::TransferGapNegative { transfer_gap_s });
        }
        if transfer_gap_s >= window_s {
            return Err(LinkConfigError::TransferGapNotShorterThanWindow {
                transfer_gap_s,
                window_s,
            });
        }
        Ok(LinkConfig {
            window_s,
            transfer_gap_s,
            same_channel,
            same_issue,
        })
    }
}

/// A linking config that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkConfigError {
    /// The window is zero or negative.
    #[error("the repeat window must be longer than zero (got {}): use for example 7d or 24h", format_duration_s(*window_s))]
    WindowNotPositive {
        /// The window given, in seconds.
        window_s: i64,
    },
    /// The transfer gap is negative.
    #[error("the transfer gap cannot be negative (got {}): use 0s to treat only overlapping contacts as one episode", format_duration_s(*transfer_gap_s))]
    TransferGapNegative {
        /// The gap given, in seconds.
        transfer_gap_s: i64,
    },
    /// The transfer gap is as long as the window or longer, which would leave no repeats.
    #[error(
        "the transfer gap ({}) must be shorter than the repeat window ({}): every contact within the gap counts as a transfer, not a repeat",
        format_duration_s(*transfer_gap_s),
        format_duration_s(*window_s)
    )]
    TransferGapNotShorterThanWindow {
        /// The gap given, in seconds.
        transfer_gap_s: i64,
        /// The window given, in seconds.
        window_s: i64,
    },
}

/// A duration that could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Nothing was given.
    #[error("empty duration: write a whole number and a unit, for example 7d, 24h, 90m or 45s")]
    Empty,
    /// A number without a unit, such as `7`.
    #[error(
        "duration '{input}' has no unit: write {input}d for days, {input}h for hours, {input}m for minutes or {input}s for seconds"
    )]
    MissingUnit {
        /// What was given.
        input: String,
    },
    /// A unit that is not one of `w`, `d`, `h`, `m`, `s`.
    #[error(
        "duration '{input}' has an unknown unit '{unit}': use w (weeks), d (days), h (hours), m (minutes) or s (seconds)"
    )]
    UnknownUnit {
        /// What was given.
        input: String,
        /// The unit part.
        unit: String,
    },
    /// The number part is not a whole non-negative number (`1.5h`, `-3d`, `d`).
    #[error(
        "duration '{input}' must be a whole number followed by a unit, for example 90m rather than 1.5h"
    )]
    NotAWholeNumber {
        /// What was given.
        input: String,
    },
    /// The duration does not fit in 64-bit seconds.
    #[error("duration '{input}' is too long")]
    TooLarge {
        /// What was given.
        input: String,
    },
}

/// Parses a duration written as a whole number and one unit: `w` weeks, `d` days, `h` hours,
/// `m` minutes, `s` seconds (lower case; `m` is always minutes). Surrounding whitespace is
/// ignored. Returns seconds.
///
/// ```
/// use fcrscan::link::parse_duration_s;
///
/// assert_eq!(parse_duration_s("24h"), Ok(86_400));
/// assert_eq!(parse_duration_s("7d"), Ok(604_800));
/// assert_eq!(parse_duration_s("90m"), Ok(5_400));
/// assert!(parse_duration_s("7").is_err()); // no unit: days or hours?
/// ```
pub fn parse_duration_s(text: &str) -> Result<i64, DurationError> {
    let input = text.trim();
    if input.is_empty() {
        return Err(DurationError::Empty);
    }
    let split = input
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(input.len());
    let (number, unit) = input.split_at(split);
    if unit.is_empty() {
        return Err(DurationError::MissingUnit {
            input: input.to_string(),
        });
    }
    let mut unit_chars = unit.chars();
    let multiplier = match (unit_chars.next(), unit_chars.next()) {
        (Some(u), None) => UNITS
            .iter()
            .find(|(name, _)| *name == u)
            .map(|&(_, seconds)| seconds),
        _ => None,
    };
    let Some(multiplier) = multiplier else {
        // `1.5h` and `-3d` fail here with a unit of `.5h` or `-3d`: the number is the problem.
        if number.is_empty()
            || unit.starts_with(['.', ',', '-', '+'])
            || unit.starts_with(|c: char| c.is_ascii_digit())
        {
            return Err(DurationError::NotAWholeNumber {
                input: input.to_string(),
            });
        }
        return Err(DurationError::UnknownUnit {
            input: input.to_string(),
            unit: unit.to_string(),
        });
    };
    if number.is_empty() {
        return Err(DurationError::NotAWholeNumber {
            input: input.to_string(),
        });
    }
    number
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| DurationError::TooLarge {
            input: input.to_string(),
        })
}

/// Writes seconds in the largest of days, hours, minutes and seconds that divides them exactly
/// (`604800` → `7d`, `5400` → `90m`), a form [`parse_duration_s`] reads back.
///
/// ```
/// use fcrscan::link::format_duration_s;
///
/// assert_eq!(format_duration_s(604_800), "7d");
/// assert_eq!(format_duration_s(86_400 * 30), "30d");
/// assert_eq!(format_duration_s(5_400), "90m");
/// ```
pub fn format_duration_s(seconds: i64) -> String {
    DurationDisplay(seconds).to_string()
}

struct DurationDisplay(i64);

impl fmt::Display for DurationDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.0;
        if seconds == 0 {
            return f.write_str("0s");
        }
        // Weeks are skipped: a window typed as `7d` reads back as `7d`, not `1w`.
        let (unit, size) = UNITS
            .iter()
            .skip(1)
            .find(|(_, size)| seconds % size == 0)
            .copied()
            .unwrap_or(('s', 1));
        write!(f, "{}{unit}", seconds / size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_users_type_parse_to_seconds() {
        for (text, seconds) in [
            ("24h", 86_400),
            ("3d", 259_200),
            ("7d", 604_800),
            ("30d", 2_592_000),
            ("90m", 5_400),
            ("45s", 45),
            ("2w", 1_209_600),
            ("0s", 0),
            (" 15m ", 900),
        ] {
            assert_eq!(parse_duration_s(text), Ok(seconds), "{text}");
        }
    }

    #[test]
    fn bad_durations_say_what_is_wrong() {
        let input = |s: &str| s.to_string();
        assert_eq!(parse_duration_s("  "), Err(DurationError::Empty));
        assert_eq!(
            parse_duration_s("7"),
            Err(DurationError::MissingUnit { input: input("7") })
        );
        assert_eq!(
            parse_duration_s("7x"),
            Err(DurationError::UnknownUnit {
                input: input("7x"),
                unit: input("x")
            })
        );
        assert_eq!(
            parse_duration_s("7days"),
            Err(DurationError::UnknownUnit {
                input: input("7days"),
                unit: input("days")
            })
        );
        // `M` could be months or minutes: only lower case is accepted.
        assert_eq!(
            parse_duration_s("3M"),
            Err(DurationError::UnknownUnit {
                input: input("3M"),
                unit: input("M")
            })
        );
        assert_eq!(
            parse_duration_s("1.5h"),
            Err(DurationError::NotAWholeNumber {
                input: input("1.5h")
            })
        );
        assert_eq!(
            parse_duration_s("-3d"),
            Err(DurationError::NotAWholeNumber {
                input: input("-3d")
            })
        );
        assert_eq!(
            parse_duration_s("d"),
            Err(DurationError::NotAWholeNumber { input: input("d") })
        );
        assert_eq!(
            parse_duration_s("99999999999999999d"),
            Err(DurationError::TooLarge {
                input: input("99999999999999999d")
            })
        );
        let message = parse_duration_s("7").map_err(|e| e.to_string());
        assert_eq!(
            message,
            Err("duration '7' has no unit: write 7d for days, 7h for hours, 7m for minutes or 7s for seconds".to_string())
        );
    }

    #[test]
    fn formatted_durations_parse_back() {
        for seconds in [
            1, 45, 60, 900, 5_400, 86_400, 259_200, 604_800, 2_592_000, 90_061,
        ] {
            assert_eq!(parse_duration_s(&format_duration_s(seconds)), Ok(seconds));
        }
        assert_eq!(format_duration_s(0), "0s");
        assert_eq!(format_duration_s(90_061), "90061s");
    }

    #[test]
    fn config_needs_a_positive_window_and_a_shorter_gap() {
        assert_eq!(
            LinkConfig::try_new(604_800, 900, false, false),
            Ok(LinkConfig::default())
        );
        assert_eq!(
            LinkConfig::try_new(0, 0, false, false),
            Err(LinkConfigError::WindowNotPositive { window_s: 0 })
        );
        assert_eq!(
            LinkConfig::try_new(3_600, -1, false, false),
            Err(LinkConfigError::TransferGapNegative { transfer_gap_s: -1 })
        );
        let err = LinkConfig::try_new(86_400, 86_400, false, false);
        assert_eq!(
            err,
            Err(LinkConfigError::TransferGapNotShorterThanWindow {
                transfer_gap_s: 86_400,
                window_s: 86_400
            })
        );
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("the transfer gap (1d) must be shorter than the repeat window (1d): every contact within the gap counts as a transfer, not a repeat".to_string())
        );
    }
}
