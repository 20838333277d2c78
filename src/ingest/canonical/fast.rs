//! A reader for the usual shape of a canonical record, without serde's machinery.
//!
//! serde_json's derived deserializer took a seventh of the scan's CPU time on the benchmark
//! corpus: a visitor call per key and value, a key compared with every field name, an
//! `Option` layer per field. Records from one producer all look alike (the known keys, strings,
//! numbers like `2.41`), and this reader handles that shape in one pass over the bytes (the
//! `parse` stage of `benches/stages.rs`, records and all: 261 → 552 MiB/s). On
//! anything else it gives up and returns `None`, and the caller parses the record with
//! serde_json, which decides what is wrong and says so in the reject. So the two readers can
//! only disagree on records both accept, and the tests check that they agree on those: the
//! sample calls, hand-written edge cases and generated records.
//!
//! What it gives up on: a record that is not one JSON object, a number with a sign, an
//! exponent or more than 15 digits, a value of the wrong type, a key written twice, a key
//! with an escape, a control character in a string, nesting deeper than
//! [`MAX_DEPTH`] inside an unknown field, and any JSON syntax error.

use std::borrow::Cow;

use super::{RawCall, RawTurn};

/// Nesting at most this deep inside an unknown field's value (serde_json's own limit is 128).
const MAX_DEPTH: u32 = 100;

/// Reads `text` as one canonical record, or `None` when it is not in the shape this reader
/// handles (see the module docs).
pub(super) fn read(text: &str) -> Option<RawCall<'_>> {
    let mut r = Reader { text, at: 0 };
    let mut call = RawCall::default();
    let mut seen = Fields::default();
    r.skip_whitespace();
    r.object(|r, key| {
        match key {
            "call_id" => call.call_id = seen.first(0, r.id())?,
            "customer_id" => call.customer_id = seen.first(1, r.id())?,
            "agent_id" => call.agent_id = seen.first(2, r.id())?,
            "queue" => call.queue = seen.first(3, r.opt_string())?,
            "channel" => call.channel = seen.first(4, r.opt_string())?,
            "language" => call.language = seen.first(5, r.opt_string())?,
            // A string, or epoch seconds written as an integer, like an id.
            "started_at" => call.started_at = seen.first(6, r.id())?,
            "duration_s" => call.duration_s = seen.first(7, r.opt_number())?,
            "turns" => call.turns = seen.first(8, r.turns())?,
            _ => r.skip_value(0)?,
        }
        Some(())
    })?;
    r.skip_whitespace();
    (r.at == text.len()).then_some(call)
}

/// The known keys read so far in one object: a key read twice is an error to serde's derive,
/// so it is left to serde_json to report.
#[derive(Default)]
struct Fields(u16);

impl Fields {
    /// `value` when field `bit` has not been read before in this object, else `None`.
    fn first<T>(&mut self, bit: u16, value: Option<T>) -> Option<T> {
        let mask = 1 << bit;
        if self.0 & mask != 0 {
            return None;
        }
        self.0 |= mask;
        value
    }
}

/// Stores the value of the key that wins (`text`), unless it is `null`.
fn prefer<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}

/// Stores the value of the key that stands in (`content`) when the slot is still empty.
fn fallback<T>(slot: &mut Option<T>, value: Option<T>) {
    if slot.is_none() {
        *slot = value;
    }
}

/// A position in the record's text.
struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// Steps over `byte` when it is next, else `None`.
    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// Steps over JSON whitespace (space, tab, line feed, carriage return: nothing else).
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// Steps over `literal` (`null`, `true`, `false`) when it is next.
    fn literal(&mut self, literal: &str) -> Option<()> {
        let rest = &self.text.as_bytes()[self.at..];
        rest.starts_with(literal.as_bytes())
            .then(|| self.at += literal.len())
    }

    /// Whether `null` is next, stepping over it when it is.
    fn null(&mut self) -> bool {
        self.literal("null").is_some()
    }

    /// An object at the cursor: `field` is called with the cursor on each value, after its key.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.expect(b'{')?;
        self.skip_whitespace();
        if self.expect(b'}').is_some() {
            return Some(());
        }
        loop {
            self.skip_whitespace();
            let Cow::Borrowed(key) = self.string()? else {
                return None; // a key with an escape: serde_json compares it unescaped
            };
            self.skip_whitespace();
            self.expect(b':')?;
            self.skip_whitespace();
            field(self, key)?;
            self.skip_whitespace();
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// An array at the cursor: `element` is called with the cursor on each element.
    fn array(&mut self, mut element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.expect(b'[')?;
        self.skip_whitespace();
        if self.expect(b']').is_some() {
            return Some(());
        }
        loop {
            self.skip_whitespace();
            element(self)?;
            self.skip_whitespace();
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// The `turns` array, or `null`.
    fn turns(&mut self) -> Option<Option<Vec<RawTurn<'a>>>> {
        if self.null() {
            return Some(None);
        }
        // Sized from the bytes left at about a hundred per turn (135 in the benchmark corpus),
        // up to 16,384 turns (1.3 MB): grown by doubling, the vector was copied six times for
        // a call of a hundred turns.
        let mut turns = Vec::with_capacity(((self.text.len() - self.at) / 100).min(1 << 14));
        self.array(|r| {
            turns.push(r.turn()?);
            Some(())
        })?;
        Some(Some(turns))
    }

    fn turn(&mut self) -> Option<RawTurn<'a>> {
        let mut turn = RawTurn::default();
        let mut seen = Fields::default();
        self.object(|r, key| {
            match key {
                // A diarizer's speaker number (`"speaker": 0`) is left to serde_json: reading
                // it here cost every turn 0.3% more instructions (callgrind), for records that
                // seldom have one.
                "speaker" => turn.speaker = seen.first(0, r.opt_string())?,
                "start_s" => turn.start_s = seen.first(1, r.opt_number())?,
                "end_s" => turn.end_s = seen.first(2, r.opt_number())?,
                "role" => turn.role = seen.first(4, r.opt_string())?,
                // `text` wins over `content`, in either order, as `SerdeTurn` reads them.
                "text" => prefer(&mut turn.text, seen.first(3, r.opt_string())?),
                "content" => fallback(&mut turn.text, seen.first(5, r.opt_string())?),
                // A string, or epoch seconds as an integer, like `started_at`.
                "timestamp" => prefer(&mut turn.sent_at, seen.first(6, r.id())?),
                "created_at" => fallback(&mut turn.sent_at, seen.first(7, r.id())?),
                _ => r.skip_value(0)?,
            }
            Some(())
        })?;
        Some(turn)
    }

    /// A string or `null`.
    fn opt_string(&mut self) -> Option<Option<Cow<'a, str>>> {
        if self.null() {
            return Some(None);
        }
        Some(Some(self.string()?))
    }

    /// An identifier: a string, a non-negative integer (kept as its digits, which is how serde
    /// writes the `u64` it reads) or `null`.
    fn id(&mut self) -> Option<Option<Cow<'a, str>>> {
        match self.peek()? {
            b'"' => Some(Some(self.string()?)),
            b'n' => self.null().then_some(None),
            b'0'..=b'9' => {
                let start = self.at;
                let (_, digits, fraction) = self.decimal()?;
                // No fraction (serde reads a float, which an id refuses and a start time
                // writes back in its own digits), and no more digits than any u64 holds.
                (fraction == 0 && digits <= 18)
                    .then(|| Some(Cow::Owned(self.text[start..self.at].to_string())))
            }
            _ => None,
        }
    }

    /// A number or `null`, as serde_json reads it into an `f64`.
    fn opt_number(&mut self) -> Option<Option<f64>> {
        if self.null() {
            return Some(None);
        }
        let (significand, digits, fraction) = self.decimal()?;
        if digits > 15 {
            return None; // the significand may not be exact in an f64
        }
        // serde_json without its `float_roundtrip` feature computes the value as the
        // significand divided by a power of ten, both exact here: the same division gives the
        // same bits (and the correctly rounded value).
        let value = significand as f64;
        Some(Some(if fraction == 0 {
            value
        } else {
            value / POWERS_OF_TEN[fraction]
        }))
    }

    /// An unsigned decimal number at the cursor without an exponent: its digits as an integer,
    /// how many digits there were, and how many of them were after the point. `None` on a sign
    /// or an exponent (left to serde_json), more than 19 digits, or a malformed number.
    fn decimal(&mut self) -> Option<(u64, usize, usize)> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let mut significand: u64 = 0;
        let mut i = start;
        // Wrapping: a significand of more than 19 digits is refused below, whatever its value.
        let mut digits = |i: &mut usize| {
            let from = *i;
            while let Some(&d @ b'0'..=b'9') = bytes.get(*i) {
                significand = significand
                    .wrapping_mul(10)
                    .wrapping_add(u64::from(d - b'0'));
                *i += 1;
            }
            *i - from
        };
        let whole = digits(&mut i);
        // One leading zero at most ("01" is not JSON).
        if whole == 0 || (whole > 1 && bytes[start] == b'0') {
            return None;
        }
        let mut fraction = 0;
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            fraction = digits(&mut i);
            if fraction == 0 {
                return None;
            }
        }
        if whole + fraction > 19 || matches!(bytes.get(i), Some(b'e' | b'E' | b'.')) {
            return None;
        }
        self.at = i;
        Some((significand, whole + fraction, fraction))
    }

    /// A string at the cursor (on its opening quote), borrowed when it holds no escape.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.expect(b'"')?;
        let start = self.at;
        let end = start + special_byte(&self.text.as_bytes()[start..])?;
        match self.text.as_bytes()[end] {
            b'"' => {
                self.at = end + 1;
                Some(Cow::Borrowed(&self.text[start..end]))
            }
            b'\\' => self.escaped_string(start, end).map(Cow::Owned),
            _ => None, // a control character, which JSON strings may not hold
        }
    }

    /// The rest of a string from `start` whose first escape is at `at`, unescaped.
    fn escaped_string(&mut self, start: usize, mut at: usize) -> Option<String> {
        let bytes = self.text.as_bytes();
        let mut out = String::with_capacity(at - start + 16);
        out.push_str(&self.text[start..at]);
        loop {
            match bytes[at] {
                b'"' => {
                    self.at = at + 1;
                    return Some(out);
                }
                b'\\' => {
                    let escape = *bytes.get(at + 1)?;
                    at += 2;
                    out.push(match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let (c, len) = unicode_escape(&bytes[at..])?;
                            at += len;
                            c
                        }
                        _ => return None,
                    });
                }
                _ => return None, // a control character
            }
            let next = at + special_byte(&bytes[at..])?;
            out.push_str(&self.text[at..next]);
            at = next;
        }
    }

    /// Steps over any JSON value, checking its syntax (an unknown field, which serde skips).
    fn skip_value(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => self.object(|r, _| r.skip_value(depth + 1)),
            b'[' => self.array(|r| r.skip_value(depth + 1)),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            b'0'..=b'9' => self.decimal().map(drop),
            _ => None, // a sign or an exponent (left to serde_json), or not a value
        }
    }
}

/// Exact powers of ten up to the most fraction digits [`Reader::opt_number`] accepts.
const POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// `XXXX` after `\u` (and a second `\uXXXX` for a surrogate pair): the character and the bytes
/// read. `None` on bad hex digits or a lone surrogate (serde_json's errors).
fn unicode_escape(bytes: &[u8]) -> Option<(char, usize)> {
    let first = hex4(bytes)?;
    match first {
        0xD800..=0xDBFF => {
            let rest = bytes.get(4..)?.strip_prefix(b"\\u")?;
            let second = hex4(rest)?;
            if !(0xDC00..=0xDFFF).contains(&second) {
                return None;
            }
            let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
            Some((char::from_u32(c)?, 10))
        }
        0xDC00..=0xDFFF => None,
        _ => Some((char::from_u32(first)?, 4)),
    }
}

/// Four hex digits, either case.
fn hex4(bytes: &[u8]) -> Option<u32> {
    bytes.get(..4)?.iter().try_fold(0, |value, &b| {
        let digit = (b as char).to_digit(16)?;
        Some(value * 16 + digit)
    })
}

/// The index of the first byte of `bytes` that ends a plain run of string text: a quote, a
/// backslash or a control character. Eight bytes at a time: transcripts are long strings.
fn special_byte(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES * 0x80;
    // 0x80 in each byte that is zero, or below `n`; exact in the lowest such byte (a borrow
    // only runs upwards from a byte that is flagged anyway), which is all that is used.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    let mut i = 0;
    while let Some(block) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes(block.try_into().expect("eight bytes"));
        let found = below(x ^ (ONES * u64::from(b'"')), 1)
            | below(x ^ (ONES * u64::from(b'\\')), 1)
            | below(x, 0x20);
        if found != 0 {
            return Some(i + found.trailing_zeros() as usize / 8);
        }
        i += 8;
    }
    bytes[i..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|p| i + p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What serde_json reads, for comparison.
    fn serde(text: &str) -> Option<RawCall<'_>> {
        serde_json::from_str(text).ok()
    }

    /// Records in the shape the fast reader handles: each must read, and equal serde_json's.
    #[test]
    fn agrees_with_serde_json_on_records_it_reads() {
        let records = [
            r#"{"call_id":"c1","customer_id":"cu-1","agent_id":"ag-1","queue":"billing","channel":"pstn","language":"en","started_at":"2025-03-03T00:00:21Z","duration_s":1003,"turns":[{"speaker":"agent","start_s":2.41,"end_s":7.62,"text":"yeah thank you"},{"speaker":"customer","start_s":0,"end_s":10.5,"text":"i'm calling because"}]}"#,
            " \t{ \"call_id\" : 1234 , \"customer_id\":0, \"turns\" : [ ] }\r\n",
            r#"{"call_id":"c2","queue":null,"channel":null,"duration_s":null,"customer_id":null,"turns":null}"#,
            r#"{"call_id":"c4","started_at":1793610845,"turns":[{"text":"epoch seconds"}]}"#,
            r#"{"call_id":"c7","turns":[{"role":"customer","content":"chat log"},{"speaker":"spk_0","role":"agent","text":"both"}]}"#,
            r#"{"call_id":"c8","turns":[{"role":"customer","content":"hi","timestamp":"2026-11-02T10:00:05Z"},{"role":"agent","content":"hello","created_at":1793613606}]}"#,
            r#"{"call_id":"c9","turns":[{"content":"c","text":"t"},{"text":"t","content":"c"},{"text":null,"content":"c"},{"content":"c","text":null},{"created_at":1,"timestamp":"2"},{"timestamp":null,"created_at":3}]}"#,
            r#"{"turns":[{"text":"no speaker"},{"speaker":null,"text":null},{}],"call_id":"c3"}"#,
            r#"{"call_id":"c4","extra":{"a":[1,2.5,{"b":null}],"c":true,"d":false,"e":"x\"y"},"turns":[{"text":"t","confidence":0.93,"words":[]}]}"#,
            r#"{"call_id":"c\u00e9 \ud83d\ude00","turns":[{"speaker":"Agent","text":"say \"hi\"\\ \/ \b\f\n\r\t \u00E9t\u00e9"}]}"#,
            r#"{"call_id":"c5","turns":[{"text":"日本語のテキスト、한국어 텍스트, نص عربي"}]}"#,
            r#"{"call_id":"c6","turns":[{"start_s":0.1,"end_s":0.30000000000000,"text":"x"},{"start_s":123456789012.345,"end_s":9.999999999,"text":"y"}]}"#,
            r#"{"call_id":"","duration_s":0.0,"turns":[]}"#,
            "{}",
        ];
        for record in records {
            let fast = read(record).unwrap_or_else(|| panic!("fast reader gave up on {record}"));
            assert_eq!(Some(fast), serde(record), "{record}");
        }
    }

    /// A turn's moves stay inline copies rather than `memcpy` calls (see `RawTurn`).
    #[test]
    fn a_turn_as_read_fits_in_128_bytes() {
        assert!(std::mem::size_of::<RawTurn<'_>>() <= 128);
    }

    /// Records it must leave to serde_json: some are errors serde names, some are valid JSON in
    /// a shape it does not handle.
    #[test]
    fn gives_up_on_what_it_does_not_handle() {
        let records = [
            "",
            "[]",
            r#"["c1", null]"#,
            r#"{"call_id":"c1"} x"#,
            r#"{"call_id":"c1",}"#,
            r#"{"call_id":"c1""turns":[]}"#,
            r#"{"call_id":"c1","call_id":"c2"}"#,
            r#"{"call_id":"c1","turns":[{"text":"a","text":"b"}]}"#,
            r#"{"call\u005fid":"c1"}"#,
            r#"{"call_id":-5}"#,
            r#"{"call_id":1.5}"#,
            r#"{"call_id":12345678901234567890}"#,
            r#"{"call_id":true}"#,
            r#"{"call_id":"c1","duration_s":-1}"#,
            r#"{"call_id":"c1","duration_s":1e3}"#,
            r#"{"call_id":"c1","duration_s":01}"#,
            r#"{"call_id":"c1","duration_s":1.}"#,
            r#"{"call_id":"c1","duration_s":.5}"#,
            r#"{"call_id":"c1","duration_s":1.2.3}"#,
            r#"{"call_id":"c1","duration_s":"61"}"#,
            r#"{"call_id":"c1","duration_s":1234567890123456}"#,
            // Read by serde_json: a diarizer's speaker number.
            r#"{"call_id":"c10","turns":[{"speaker":0,"text":"a"}]}"#,
            r#"{"call_id":"c1","queue":5}"#,
            r#"{"call_id":"c1","turns":{}}"#,
            r#"{"call_id":"c1","turns":[["agent","hi"]]}"#,
            "{\"call_id\":\"c1\",\"turns\":[{\"text\":\"tab\there\"}]}",
            r#"{"call_id":"c1","turns":[{"text":"\x"}]}"#,
            r#"{"call_id":"c1","turns":[{"text":"\ud83d"}]}"#,
            r#"{"call_id":"c1","turns":[{"text":"\udc00"}]}"#,
            r#"{"call_id":"c1","turns":[{"text":"\u12g4"}]}"#,
            r#"{"call_id":"c1","turns":[{"text":"unterminated}]}"#,
            r#"{"call_id":"c1","extra":[1,2}"#,
            r#"{"call_id":"c1","extra":tru}"#,
            r#"{"call_id":"c1","extra":-1}"#,
            r#"{"call_id":"c1""#,
        ];
        for record in records {
            assert!(read(record).is_none(), "fast reader read {record}");
        }
        let deep = format!(
            r#"{{"call_id":"c1","x":{}{}}}"#,
            "[".repeat(150),
            "]".repeat(150)
        );
        assert!(read(&deep).is_none());
    }

    #[test]
    fn reads_the_sample_calls_as_serde_json_does() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/calls");
        let mut records = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let lines: Vec<&str> = match path.extension().and_then(|e| e.to_str()) {
                Some("jsonl") => text.lines().filter(|l| !l.trim().is_empty()).collect(),
                Some("json") if super::super::looks_canonical(text.as_bytes()) => vec![&text],
                _ => continue,
            };
            for line in lines {
                if let Some(fast) = read(line) {
                    assert_eq!(Some(fast), serde(line), "{}", path.display());
                    records += 1;
                }
            }
        }
        assert!(records >= 10, "only {records} sample records read");
    }

    /// A JSON string of `s` as serde_json writes it (escapes for quotes, backslashes and
    /// control characters).
    fn quoted(s: &str) -> String {
        serde_json::to_string(s).unwrap()
    }

    proptest! {
        #[test]
        fn special_byte_finds_the_first_quote_backslash_or_control(
            bytes in proptest::collection::vec(prop_oneof![
                Just(b'"'), Just(b'\\'), 0u8..0x20, 0x20u8..0x80, 0x80u8..=0xff, Just(b'a')
            ], 0..40),
            plain in 0usize..30,
        ) {
            let mut all = vec![b'x'; plain];
            all.extend_from_slice(&bytes);
            let expected = all.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            prop_assert_eq!(special_byte(&all), expected);
        }

        #[test]
        fn generated_records_read_as_serde_json_reads_them(
            id in "[a-z0-9-]{0,12}",
            texts in proptest::collection::vec("\\PC{0,40}", 0..6),
            speakers in proptest::collection::vec(prop_oneof![
                Just("agent".to_string()), Just("customer".to_string()), "\\PC{0,8}"
            ], 6),
            times in proptest::collection::vec((0u64..10_000_000, 0u32..4), 12),
            spaces in "[ \t\r\n]{0,2}",
        ) {
            let number = |(n, frac): (u64, u32)| -> String {
                if frac == 0 {
                    n.to_string()
                } else {
                    let s = format!("{:0>width$}", n, width = frac as usize + 1);
                    let (int, fr) = s.split_at(s.len() - frac as usize);
                    format!("{int}.{fr}")
                }
            };
            let turns: Vec<String> = texts
                .iter()
                .enumerate()
                .map(|(i, t)| format!(
                    "{{\"speaker\":{},{s}\"start_s\":{},\"end_s\" :{},\"text\":{}}}",
                    quoted(&speakers[i]),
                    number(times[2 * i]),
                    number(times[2 * i + 1]),
                    quoted(t),
                    s = spaces,
                ))
                .collect();
            let record = format!(
                "{{\"call_id\":{},{s}\"turns\":[{}]{s}}}",
                quoted(&id),
                turns.join(","),
                s = spaces,
            );
            let fast = read(&record);
            prop_assert!(fast.is_some(), "gave up on {}", record);
            prop_assert_eq!(fast, serde(&record));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// Valid records with a few characters replaced, inserted or removed: whatever the
        /// fast reader accepts, serde_json must accept and read the same.
        #[test]
        fn whatever_it_accepts_serde_json_reads_the_same(
            edits in proptest::collection::vec(
                (0usize..400, 0u8..4, proptest::sample::select(
                    "{}[]:,\"\\ -+.0123456789eEtrunlfasx\t\u{1}é".chars().collect::<Vec<_>>()
                )),
                1..4,
            ),
        ) {
            let mut record: Vec<char> = concat!(
                r#"{"call_id":"c1","customer_id":42,"queue":null,"duration_s":61.5,"#,
                r#""extra":{"a":[1,true,false,null,"x\"y"]},"turns":[{"speaker":"agent","#,
                r#""start_s":0.5,"end_s":12,"text":"caf\u00e9 ok"},{"text":"t","x":1}]}"#,
            )
            .chars()
            .collect();
            for (at, kind, c) in edits {
                let at = at % (record.len() + 1);
                match kind {
                    0 if at < record.len() => record[at] = c,
                    1 => record.insert(at, c),
                    2 if at < record.len() => {
                        record.remove(at);
                    }
                    3 => record.push(c),
                    _ => {}
                }
            }
            let record: String = record.into_iter().collect();
            if let Some(fast) = read(&record) {
                prop_assert_eq!(Some(fast), serde(&record), "{}", record);
            }
        }
    }
}
