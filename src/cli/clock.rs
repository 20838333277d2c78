//! When a run started: its id and its manifest's `started_at`, both read from one clock reading
//! at the start of the run.

use std::time::{SystemTime, UNIX_EPOCH};

use fcrscan::ingest::time::{utc_date, utc_time_of_day};

/// The moment a run started, with a salt that tells apart runs started in the same second.
#[derive(Clone, Copy, Debug)]
pub struct RunStart {
    /// Microseconds since the epoch, UTC.
    us: i64,
    /// 24 bits from the clock's nanoseconds and the process id.
    salt: u32,
}

impl RunStart {
    /// Now.
    pub fn now() -> RunStart {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        RunStart {
            us: i64::try_from(now.as_micros()).unwrap_or(i64::MAX),
            salt: (now.subsec_nanos() ^ std::process::id().rotate_left(16)) & 0xff_ffff,
        }
    }

    /// The run id: `20261123T101500Z-3fa9c1` for a scan, `20261123T101500Z-link3fa9c1` with
    /// `kind` "link". Ids sort by start time, and a manifest is named after its run's.
    pub fn run_id(&self, kind: &str) -> String {
        let stamp = rfc3339(self.us).replace(['-', ':'], "");
        format!("{stamp}-{kind}{:06x}", self.salt)
    }

    /// `started_at` for the manifest: `2026-11-23T10:15:00Z`.
    pub fn started_at(&self) -> String {
        rfc3339(self.us)
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a timestamp in µs since the epoch.
pub fn rfc3339(us: i64) -> String {
    let (h, m, s) = utc_time_of_day(us);
    format!("{}T{h:02}:{m:02}:{s:02}Z", utc_date(us))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_and_started_at_name_the_same_second() {
        // 2026-11-23 10:15:00.25 UTC.
        let start = RunStart {
            us: 1_795_428_900_250_000,
            salt: 0x3fa9c1,
        };
        assert_eq!(start.started_at(), "2026-11-23T10:15:00Z");
        assert_eq!(start.run_id(""), "20261123T101500Z-3fa9c1");
        assert_eq!(start.run_id("link"), "20261123T101500Z-link3fa9c1");
    }

    #[test]
    fn times_before_the_epoch_count_back_from_midnight() {
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(86_400_000_000), "1970-01-02T00:00:00Z");
    }
}
