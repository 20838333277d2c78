//! The worked example of docs/FCR.md as test input, shared by the linking and the FCR tally
//! tests. Expected values live in those tests, written out by hand; nothing here computes them.
//!
//! Times are given as a day offset from Monday 2026-11-02 (day 0) and a UTC time of day.

use super::ContactInput;

/// 2026-11-02T00:00:00Z in seconds since the epoch: 2026-11-02T09:14:05Z is 1_793_610_845 s
/// (`date -u -d 2026-11-02T09:14:05Z +%s`, also pinned in `ingest::time`), less 33_245 s.
pub(crate) const DAY0_S: i64 = 1_793_577_600;

/// Microseconds since the epoch of midnight UTC on `day` (days after 2026-11-02).
pub(crate) fn day_us(day: i64) -> i64 {
    (DAY0_S + day * 86_400) * 1_000_000
}

/// Microseconds since the epoch of `day` (days after 2026-11-02) at `h:m:s` UTC.
pub(crate) fn at(day: i64, h: i64, m: i64, s: i64) -> Option<i64> {
    Some(day_us(day) + (h * 3_600 + m * 60 + s) * 1_000_000)
}

/// The end of the data in the one-run example: 2026-11-16T00:00Z (day 14).
pub(crate) const DATA_END_US: i64 = (DAY0_S + 14 * 86_400) * 1_000_000;

/// The end of night 1 when the example is split: 2026-11-06T00:00Z (day 4).
pub(crate) const NIGHT_1_END_US: i64 = (DAY0_S + 4 * 86_400) * 1_000_000;

/// The calls that arrive on night 2 when the example is split; the rest arrive on night 1.
pub(crate) const NIGHT_2: [&str; 3] = ["a4", "b2", "c3"];

/// A call with a customer, a channel, a start and a duration; language `en`, no flags.
pub(crate) fn call(
    id: &str,
    customer: Option<&str>,
    channel: &str,
    started_at_us: Option<i64>,
    duration_s: Option<f64>,
) -> ContactInput {
    let mut c = ContactInput::new(id, "en");
    c.customer_id = customer.map(str::to_string);
    c.channel = Some(channel.to_string());
    c.started_at_us = started_at_us;
    c.duration_s = duration_s;
    c
}

/// The fifteen calls of the worked example, in no particular order.
pub(crate) fn worked_example() -> Vec<ContactInput> {
    type Row<'a> = (
        &'a str,
        Option<&'a str>,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        Option<i64>,
        Option<f64>,
        &'a str,
    );
    // id, customer, channel, queue, agent, language, start, duration_s, flags
    // (r = repeat cue, x = escalation, n = negative sentiment).
    #[rustfmt::skip]
    let rows: [Row<'_>; 15] = [
        // a1 09:00-09:10, a2 starts 10 min after a1 ends (20 min after its start): a transfer.
        ("a1", Some("A"), "voice", "billing", "ag1", "en", at(0, 9, 0, 0),    Some(600.0),   ""),
        ("a2", Some("A"), "voice", "billing", "ag2", "en", at(0, 9, 20, 0),   Some(300.0),   ""),
        // a3 comes back by chat two days later: a repeat in another channel.
        ("a3", Some("A"), "chat",  "billing", "ag3", "en", at(2, 14, 0, 0),   Some(900.0),   "xn"),
        // a4 starts exactly 7 days after a3: on the window's edge, still a repeat.
        ("a4", Some("A"), "voice", "billing", "ag1", "en", at(9, 14, 0, 0),   Some(300.0),   ""),
        // b1 crosses midnight (23:50-00:10); b2 starts 7 days and 1 second after b1: not linked.
        ("b1", Some("B"), "voice", "tech",    "ag2", "de", at(0, 23, 50, 0),  Some(1_200.0), ""),
        ("b2", Some("B"), "voice", "tech",    "ag2", "de", at(7, 23, 50, 1),  Some(60.0),    ""),
        // c1 is a chat with no duration at 23:55; c2, a voice call 10 min after its start and
        // after midnight, continues the episode; c3 is a repeat in which the customer says so.
        ("c1", Some("C"), "chat",  "tech",    "ag3", "de", at(1, 23, 55, 0),  None,          ""),
        ("c2", Some("C"), "voice", "tech",    "ag2", "de", at(2, 0, 5, 0),    Some(600.0),   ""),
        ("c3", Some("C"), "voice", "tech",    "ag2", "de", at(4, 10, 0, 0),   Some(480.0),   "rn"),
        // d1 says "I called before" but no earlier contact of D is in the data: phrase-only.
        ("d1", Some("D"), "voice", "billing", "ag3", "fr", at(3, 8, 0, 0),    Some(400.0),   "r"),
        // e1 has no start time: it cannot be placed in time.
        ("e1", Some("E"), "voice", "tech",    "ag2", "de", None,              Some(200.0),   ""),
        // f1 has no duration, so the transfer gap counts from its start: f2, 20 min later, is a
        // repeat.
        ("f1", Some("F"), "voice", "billing", "ag1", "en", at(1, 10, 0, 0),   None,          ""),
        ("f2", Some("F"), "voice", "billing", "ag1", "en", at(1, 10, 20, 0),  Some(300.0),   ""),
        // Calls without a customer id; n1 is a phrase-only repeat.
        ("n1", None,      "voice", "billing", "ag1", "en", at(2, 12, 0, 0),   Some(300.0),   "rn"),
        ("n2", None,      "chat",  "billing", "ag3", "en", at(3, 12, 0, 0),   Some(300.0),   ""),
    ];
    rows.iter()
        .map(
            |&(id, customer, channel, queue, agent, language, start, duration, flags)| {
                let mut c = call(id, customer, channel, start, duration);
                c.queue = Some(queue.to_string());
                c.agent_id = Some(agent.to_string());
                c.language = language.to_string();
                c.repeat_cue = flags.contains('r');
                c.escalation = flags.contains('x');
                c.negative = flags.contains('n');
                c
            },
        )
        .collect()
}
