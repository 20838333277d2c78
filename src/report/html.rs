//! The review report as one self-contained HTML file: inline CSS, inline SVG charts, one inline
//! script and the flagged calls as JSON in a `<script type="application/json">` block.
//!
//! This module owns the markup and its safety; what is shown comes from [`super::review`].
//!
//! Safety, because every string in the dataset is untrusted (transcripts, metadata, even the
//! lexicon):
//! - **Markup written here** escapes every value with [`escape`] (`& < > " '`), in text and in
//!   attributes alike.
//! - **The data block** is JSON with `<`, `>`, `&`, U+2028 and U+2029 written as `\u` escapes
//!   ([`json_for_script`]), so no `</script>`, `<!--` or line separator can end or change the
//!   block; the script reads it with `JSON.parse` of `textContent`.
//! - **The script** builds nodes with `createElement`/`textContent` and never assigns HTML.
//! - **Content-Security-Policy** as defence in depth: `default-src 'none'`, styles inline, and
//!   scripts only the page's own, allowed by its SHA-256 hash. An injected `<script>` or
//!   `onerror=` would not run even if escaping failed, and the page cannot fetch anything.
//! - Bidirectional and control characters in any value are neutralised
//!   ([`super::redact::clean`]).
//!
//! Size: about 50 KB of styles, script and charts, plus the calls listed, dominated by their
//! transcripts: 10,000 flagged calls of twelve turns make a 17.3 MB page that is ready in about
//! 1.0 s in headless Chromium; of forty turns, 40.2 MB and 1.3 s (docs/REPORT.md, "Size and
//! speed", gives the method). `--limit` bounds it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{self, Write as _};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::aggregate::fcr::{FcrCounts, Rate, UNKNOWN_DATE};
use crate::zone::Zone;

use super::redact::{Segment, clean, redact_text};
use super::review::{CallView, Excerpt, PhraseCount, Review, call_rates};
use super::sha256::{base64, sha256};
use super::svg::{self, percent};

const CSS: &str = include_str!("assets/report.css");
const SCRIPT: &str = include_str!("assets/report.js");

/// Escapes text for HTML and XML, in element content and quoted attributes alike.
///
/// ```
/// use fcrscan::report::html::escape;
///
/// assert_eq!(escape(r#"<img src=x onerror="alert('1')">&"#), "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Serializes `value` as JSON that is safe inside a `<script type="application/json">` block:
/// `<`, `>` and `&` become `\u003c`, `\u003e`, `\u0026`, and U+2028/U+2029 are escaped too.
/// (These characters only ever occur inside JSON strings, where the escapes mean the same.)
///
/// ```
/// use fcrscan::report::html::json_for_script;
///
/// assert_eq!(json_for_script(&"</script><!--"), r#""\u003c/script\u003e\u003c!--""#);
/// ```
pub fn json_for_script<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = ScriptSafe::new(Vec::new());
    serde_json::to_writer(&mut out, value)
        .expect("report data is plain strings, numbers and lists");
    let bytes = out.finish().expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("JSON is UTF-8 and escaping keeps it so")
}

/// A writer that escapes JSON for a `<script type="application/json">` block on the way
/// through (see [`json_for_script`]), so the data block is streamed, never held twice.
///
/// The escaped characters are ASCII, or U+2028/U+2029 (`E2 80 A8`/`E2 80 A9`); a write that ends
/// inside such a sequence keeps its last bytes until the next write.
struct ScriptSafe<W: io::Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: io::Write> ScriptSafe<W> {
    fn new(inner: W) -> ScriptSafe<W> {
        ScriptSafe {
            inner,
            pending: Vec::new(),
        }
    }

    fn escape(&mut self, buf: &[u8]) -> io::Result<()> {
        let (mut start, mut i) = (0, 0);
        while i < buf.len() {
            let escaped: Option<(&[u8], usize)> = match buf[i] {
                b'<' => Some((b"\\u003c", 1)),
                b'>' => Some((b"\\u003e", 1)),
                b'&' => Some((b"\\u0026", 1)),
                0xE2 if buf.len() - i < 3 => {
                    self.inner.write_all(&buf[start..i])?;
                    self.pending = buf[i..].to_vec();
                    return Ok(());
                }
                0xE2 if buf[i + 1] == 0x80 && buf[i + 2] == 0xA8 => Some((b"\\u2028", 3)),
                0xE2 if buf[i + 1] == 0x80 && buf[i + 2] == 0xA9 => Some((b"\\u2029", 3)),
                _ => None,
            };
            match escaped {
                Some((text, len)) => {
                    self.inner.write_all(&buf[start..i])?;
                    self.inner.write_all(text)?;
                    i += len;
                    start = i;
                }
                None => i += 1,
            }
        }
        self.inner.write_all(&buf[start..])
    }

    /// Writes what is pending and returns the inner writer.
    fn finish(mut self) -> io::Result<W> {
        let pending = std::mem::take(&mut self.pending);
        self.inner.write_all(&pending)?;
        Ok(self.inner)
    }
}

impl<W: io::Write> io::Write for ScriptSafe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.pending.is_empty() {
            self.escape(buf)?;
        } else {
            let mut joined = std::mem::take(&mut self.pending);
            joined.extend_from_slice(buf);
            self.escape(&joined)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The Content-Security-Policy of the page: nothing may load, only this script may run.
pub fn content_security_policy() -> String {
    let hash = base64(&sha256(SCRIPT.as_bytes()));
    format!(
        "default-src 'none'; script-src 'sha256-{hash}'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
    )
}

/// A segment as the script reads it: a string of text, `{"h": [hit, …], "t": text}` for a
/// highlighted cue, `{"r": kind}` for redacted PII.
struct SegmentJson<'a>(&'a Segment);

impl Serialize for SegmentJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Segment::Text(t) => s.serialize_str(t),
            Segment::Mark { hits, text } => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("h", hits)?;
                m.serialize_entry("t", text)?;
                m.end()
            }
            Segment::Redacted(kind) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("r", kind.as_str())?;
                m.end()
            }
        }
    }
}

fn segments_json(segs: &[Segment]) -> Vec<SegmentJson<'_>> {
    segs.iter().map(SegmentJson).collect()
}

#[derive(Serialize)]
struct HitJson<'a> {
    /// Category.
    c: &'a str,
    /// Phrase (lexicon entry).
    p: String,
    /// Phrase language.
    l: &'a str,
    /// Speaker.
    s: &'a str,
    /// Turn start, seconds.
    t: Option<f64>,
    /// Counted toward the flags.
    k: bool,
    /// Negated.
    n: bool,
}

/// An excerpt: its hits, turn start, speaker and text.
#[derive(Serialize)]
struct ExcerptJson<'a> {
    h: &'a [usize],
    t: Option<f64>,
    s: &'a str,
    x: Vec<SegmentJson<'a>>,
}

#[derive(Serialize)]
struct TurnJson<'a> {
    /// Speaker role.
    s: &'a str,
    /// The speaker label, when it differs from the role (most sources write the role).
    #[serde(skip_serializing_if = "Option::is_none")]
    l: Option<String>,
    /// Turn start, seconds.
    t: Option<f64>,
    /// Text.
    x: Vec<SegmentJson<'a>>,
}

#[derive(Serialize)]
struct CallJson<'a> {
    id: String,
    date: &'a str,
    start: Option<String>,
    dur: Option<f64>,
    queue: Option<String>,
    agent: Option<String>,
    customer: Option<String>,
    channel: Option<String>,
    lang: String,
    sev: Vec<&'static str>,
    sent: Option<f32>,
    cats: Vec<&'a str>,
    topics: Vec<String>,
    hits: Vec<HitJson<'a>>,
    ex: Vec<ExcerptJson<'a>>,
    turns: Option<Vec<TurnJson<'a>>>,
}

#[derive(Serialize)]
struct Facets {
    categories: Vec<(String, usize)>,
    languages: Vec<(String, usize)>,
    queues: Vec<(String, usize)>,
    agents: Vec<(String, usize)>,
}

/// Order of the category filter: the cue categories first, then topics by name.
fn category_rank(c: &str) -> (usize, &str) {
    let fixed = [
        "escalation",
        "repeat_contact",
        "sentiment_negative",
        "sentiment_positive",
    ];
    (fixed.iter().position(|f| *f == c).unwrap_or(fixed.len()), c)
}

fn facet(values: impl Iterator<Item = String>) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    counts.into_iter().collect()
}

/// Holds the segments of one call so the JSON can borrow them.
struct Prepared<'a> {
    view: &'a CallView,
    turns: Vec<Vec<Segment>>,
    excerpts: Vec<Excerpt>,
    cats: Vec<&'a str>,
}

/// A call's data for the page; its start time in `zone`, the dataset's.
fn call_json<'a>(p: &'a Prepared<'a>, redact: bool, zone: &Zone) -> CallJson<'a> {
    let c = &p.view.call;
    let hits = p
        .view
        .hits
        .iter()
        .map(|h| HitJson {
            c: &h.category,
            p: clean(&h.phrase),
            l: &h.language,
            s: &h.speaker,
            t: h.start_s,
            k: h.counted,
            n: h.negated,
        })
        .collect();
    let ex = p
        .excerpts
        .iter()
        .map(|e| ExcerptJson {
            h: &e.hits,
            t: e.start_s,
            s: &e.speaker,
            x: segments_json(&e.segments),
        })
        .collect();
    let turns = p.view.turns.as_ref().map(|turns| {
        turns
            .iter()
            .zip(&p.turns)
            .map(|(t, x)| TurnJson {
                s: &t.speaker,
                l: (!t.speaker_label.eq_ignore_ascii_case(&t.speaker)).then(|| {
                    if redact {
                        redact_text(&t.speaker_label)
                    } else {
                        clean(&t.speaker_label)
                    }
                }),
                t: t.start_s,
                x: segments_json(x),
            })
            .collect()
    });
    CallJson {
        id: clean(&c.call_id),
        date: &c.call_date,
        start: c.started_at_us.map(|us| zone.minute_of(us)),
        dur: c.duration_s,
        queue: c.queue.as_deref().map(clean),
        agent: c.agent_id.as_deref().map(clean),
        customer: c
            .customer_id
            .as_deref()
            .map(|v| if redact { redact_text(v) } else { clean(v) }),
        channel: c.channel.as_deref().map(clean),
        lang: clean(&c.language),
        sev: p.view.severity.reasons(),
        sent: c.sentiment,
        cats: p.cats.clone(),
        topics: c.topics.iter().map(|t| clean(t)).collect(),
        hits,
        ex,
        turns,
    }
}

/// The data the script needs for one call, built just before it is written.
fn prepare(view: &CallView, redact: bool) -> Prepared<'_> {
    let turns = view.turn_segments(redact);
    let excerpts = view.excerpts(&turns, redact);
    Prepared {
        view,
        turns,
        excerpts,
        cats: counted_categories(view),
    }
}

/// The categories of a call's counted hits, cue categories first.
fn counted_categories(view: &CallView) -> Vec<&str> {
    let mut cats: Vec<&str> = view
        .hits
        .iter()
        .filter(|h| h.counted)
        .map(|h| h.category.as_str())
        .collect();
    cats.sort_by_key(|c| category_rank(c));
    cats.dedup();
    cats
}

/// Renders the whole page into a string (see [`write()`]).
pub fn render(review: &Review) -> String {
    let mut out = Vec::new();
    write(review, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("the page is UTF-8")
}

/// Writes the whole page to `w`. The calls are prepared (segmented, redacted) and serialized
/// one at a time, so memory holds one call's display data at a time beside the review.
pub fn write(review: &Review, w: &mut dyn io::Write) -> io::Result<()> {
    let redact = review.options.redact;
    let mut categories = facet(
        review
            .calls
            .iter()
            .flat_map(|v| counted_categories(v).into_iter().map(str::to_string)),
    );
    categories.sort_by(|a, b| category_rank(&a.0).cmp(&category_rank(&b.0)));
    let facets = Facets {
        categories,
        languages: facet(review.calls.iter().map(|v| clean(&v.call.language))),
        queues: facet(
            review
                .calls
                .iter()
                .filter_map(|v| v.call.queue.as_deref().map(clean)),
        ),
        agents: facet(
            review
                .calls
                .iter()
                .filter_map(|v| v.call.agent_id.as_deref().map(clean)),
        ),
    };

    let mut out = String::with_capacity(64 * 1024);
    let title = format!("Call review: {}", date_range(review));
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n<meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"generator\" content=\"fcrscan {}\">\n<link rel=\"icon\" href=\"data:,\">\n<title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n",
        escape(&content_security_policy()),
        env!("CARGO_PKG_VERSION"),
        escape(&title)
    );
    header(&mut out, review, &title);
    glance(&mut out, review);
    calls_section(&mut out, review);
    let _ = writeln!(
        out,
        "<footer>Generated by fcrscan {} from the dataset; nothing on this page is fetched from a network. {}</footer>",
        env!("CARGO_PKG_VERSION"),
        if redact {
            "PII (card numbers, e-mail addresses, phone numbers, long digit runs) is redacted; the dataset itself is not."
        } else {
            "PII is NOT redacted: handle this file like the transcripts themselves."
        }
    );
    out.push_str("<script type=\"application/json\" id=\"report-data\">");
    w.write_all(out.as_bytes())?;

    let mut json = ScriptSafe::new(&mut *w);
    write!(json, "{{\"redacted\":{redact},\"facets\":")?;
    serde_json::to_writer(&mut json, &facets)?;
    json.write_all(b",\"calls\":[")?;
    for (i, view) in review.calls.iter().enumerate() {
        if i > 0 {
            json.write_all(b",")?;
        }
        let prepared = prepare(view, redact);
        serde_json::to_writer(&mut json, &call_json(&prepared, redact, &review.zone))?;
    }
    json.write_all(b"]}")?;
    let w = json.finish()?;
    write!(
        w,
        "</script>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )
}

/// The dated partitions of a map keyed by `call_date` (`unknown` left out: calls without a
/// start time have no place on a time axis).
fn dated<V: Clone>(by_date: &BTreeMap<String, V>) -> BTreeMap<String, V> {
    by_date
        .iter()
        .filter(|(d, _)| d.as_str() != UNKNOWN_DATE)
        .map(|(d, v)| (d.clone(), v.clone()))
        .collect()
}

fn date_range(review: &Review) -> String {
    let dates: Vec<&String> = review
        .glance
        .by_date
        .keys()
        .filter(|d| d.as_str() != UNKNOWN_DATE)
        .collect();
    let undated = if review.glance.by_date.contains_key(UNKNOWN_DATE) {
        " and undated calls"
    } else {
        ""
    };
    match (dates.first(), dates.last()) {
        (Some(a), Some(b)) if a == b => format!("{a}{undated}"),
        (Some(a), Some(b)) => format!("{a} to {b}{undated}"),
        _ if !undated.is_empty() => "undated calls".to_string(),
        _ => "no calls".to_string(),
    }
}

fn header(out: &mut String, review: &Review, title: &str) {
    let o = &review.options;
    let s = &o.selection;
    let mut filters: Vec<String> = Vec::new();
    match (&s.from, &s.to) {
        (Some(f), Some(t)) if f == t => filters.push(format!("date {f}")),
        (Some(f), Some(t)) => filters.push(format!("dates {f} to {t}")),
        (Some(f), None) => filters.push(format!("from {f}")),
        (None, Some(t)) => filters.push(format!("until {t}")),
        (None, None) => {}
    }
    for (name, list) in [
        ("queue", &s.queues),
        ("agent", &s.agents),
        ("language", &s.languages),
    ] {
        if !list.is_empty() {
            filters.push(format!("{name} {}", list.join(", ")));
        }
    }
    if !o.categories.is_empty() {
        filters.push(format!("flagged calls with {}", o.categories.join(", ")));
    }
    if review.zone != Zone::utc() {
        // Dates and times are the dataset's local ones: say whose.
        filters.push(format!("dates and times in {}", review.zone));
    }
    let _ = write!(
        out,
        "<header>\n<h1>{}</h1>\n<p class=\"sub\">Dataset <strong>{}</strong>{}{} · PII {}</p>\n</header>\n",
        escape(title),
        escape(&clean(&review.dataset.display().to_string())),
        if filters.is_empty() {
            String::new()
        } else {
            " · ".to_string()
        },
        escape(&clean(&filters.join(" · "))),
        if o.redact {
            "redacted"
        } else {
            "<strong>not redacted</strong>"
        },
    );
}

fn rate_detail(rate: Option<Rate>, successes: u64, n: u64) -> String {
    match rate {
        Some(r) => format!(
            "{successes} of {n} · 95% CI {}–{}",
            percent(r.low),
            percent(r.high)
        ),
        None => "no calls".to_string(),
    }
}

fn kpi(out: &mut String, class: &str, name: &str, value: &str, detail: &str) {
    let _ = writeln!(
        out,
        "<div class=\"kpi {class}\"><span class=\"name\">{}</span><span class=\"value\">{}</span><span class=\"detail\">{}</span></div>",
        escape(name),
        escape(value),
        escape(detail)
    );
}

fn fcr_kpis(out: &mut String, total: &FcrCounts) {
    let r = total.rates();
    let show = |rate: Option<Rate>| rate.map_or_else(|| "–".to_string(), |r| percent(r.value));
    let operational = match r.fcr_operational {
        Some(_) if total.censored > 0 => format!(
            "{} · {} censored",
            rate_detail(
                r.fcr_operational,
                total.resolved,
                total.resolved + total.unresolved
            ),
            total.censored
        ),
        Some(_) => rate_detail(
            r.fcr_operational,
            total.resolved,
            total.resolved + total.unresolved,
        ),
        None => format!("no first contact decided yet ({} censored)", total.censored),
    };
    kpi(
        out,
        "fcr",
        "FCR operational",
        &show(r.fcr_operational),
        &operational,
    );
    kpi(
        out,
        "fcr",
        "FCR phrase-based",
        &show(r.fcr_phrase),
        &rate_detail(
            r.fcr_phrase,
            total.contacts.saturating_sub(total.phrase_repeats),
            total.contacts,
        ),
    );
    kpi(
        out,
        "fcr",
        "FCR combined",
        &show(r.fcr_combined),
        &rate_detail(
            r.fcr_combined,
            total.resolved_combined,
            total.resolved_combined + total.unresolved_combined,
        ),
    );
}

fn glance(out: &mut String, review: &Review) {
    let g = &review.glance;
    let t = &g.total;
    let rates = call_rates(t);
    out.push_str("<section id=\"glance\">\n<h2>At a glance</h2>\n<div class=\"kpis\">\n");
    kpi(
        out,
        "calls",
        "Calls scanned",
        &t.contacts.to_string(),
        &format!(
            "{} days · {} queues · {} agents",
            g.by_date.len(),
            g.by_queue.len(),
            g.by_agent.len()
        ),
    );
    kpi(
        out,
        "flagged",
        "Flagged for review",
        &g.flagged.to_string(),
        &Rate::of(g.flagged, t.contacts).map_or_else(
            || "no calls".to_string(),
            |r| format!("{} of calls", percent(r.value)),
        ),
    );
    let show = |r: Option<Rate>| r.map_or_else(|| "–".to_string(), |r| percent(r.value));
    kpi(
        out,
        "repeat",
        "Repeat contact",
        &show(rates.repeat_contact),
        &rate_detail(rates.repeat_contact, t.phrase_repeats, t.contacts),
    );
    kpi(
        out,
        "escalation",
        "Escalation",
        &show(rates.escalation),
        &rate_detail(rates.escalation, t.escalations, t.contacts),
    );
    kpi(
        out,
        "negative",
        "Negative sentiment",
        &show(rates.negative),
        &rate_detail(rates.negative, t.negative_calls, t.contacts),
    );
    if let Some(fcr) = &review.fcr {
        fcr_kpis(out, &fcr.total);
    }
    out.push_str("</div>\n");
    if let Some(fcr) = &review.fcr {
        out.push_str("<p class=\"note\" id=\"fcr-note\">FCR from the <code>fcr</code> table: operational = resolved / (resolved + unresolved) first contacts, censored ones left out; phrase-based = 1 − calls with a repeat-contact cue / calls; intervals are Wilson 95%.");
        if !fcr.missing_columns.is_empty() {
            let _ = write!(
                out,
                " The table lacks {}; rates that need them are not shown.",
                escape(&fcr.missing_columns.join(", "))
            );
        }
        out.push_str("</p>\n");
    }
    out.push_str("<div class=\"charts\">\n");
    let undated = g.by_date.get(UNKNOWN_DATE).map_or(String::new(), |t| {
        format!(
            "<p class=\"note\">{} calls without a start time are counted above but not drawn.</p>",
            t.contacts
        )
    });
    let _ = writeln!(
        out,
        "<figure id=\"chart-trend\"><figcaption>Trend by day</figcaption>{}{undated}</figure>",
        svg::trend_by_day(&dated(&g.by_date))
    );
    if let Some(fcr) = &review.fcr {
        let _ = writeln!(
            out,
            "<figure id=\"chart-fcr\"><figcaption>FCR by day</figcaption>{}</figure>",
            svg::fcr_by_day(&dated(&fcr.by_date))
        );
    }
    let clean_keys =
        |m: &BTreeMap<Option<String>, FcrCounts>| -> BTreeMap<Option<String>, FcrCounts> {
            let mut out: BTreeMap<Option<String>, FcrCounts> = BTreeMap::new();
            for (k, v) in m {
                *out.entry(k.as_deref().map(clean)).or_default() += *v;
            }
            out
        };
    let _ = writeln!(
        out,
        "<figure id=\"chart-queue\"><figcaption>By queue</figcaption>{}</figure>",
        svg::breakdown(
            "Flag rates by queue",
            &clean_keys(&g.by_queue),
            12,
            "(no queue)"
        )
    );
    let _ = writeln!(
        out,
        "<figure id=\"chart-agent\"><figcaption>By agent (most calls first)</figcaption>{}</figure>",
        svg::breakdown(
            "Flag rates by agent",
            &clean_keys(&g.by_agent),
            15,
            "(no agent)"
        )
    );
    out.push_str("</div>\n");
    top_phrases(out, review);
    out.push_str("</section>\n");
}

/// One row per language and one column per cue category: the phrases with the most counted
/// hits. Topics follow in a collapsed table of their own (there can be many).
fn top_phrases(out: &mut String, review: &Review) {
    out.push_str("<h3>Top phrases</h3>\n");
    if review.top_phrases.is_empty() {
        out.push_str("<p class=\"note\">No cues were counted in the selection.</p>\n");
        return;
    }
    const COLUMNS: [(&str, &str); 4] = [
        ("escalation", "escalation"),
        ("repeat_contact", "repeat contact"),
        ("sentiment_negative", "negative"),
        ("sentiment_positive", "positive"),
    ];
    let phrase = |out: &mut String, p: &PhraseCount| {
        let _ = write!(
            out,
            "<span class=\"phrase\"><bdi>{}</bdi> <span class=\"count\">{}</span></span>",
            escape(&clean(&p.phrase)),
            p.hits
        );
    };
    let languages = |topics: bool| -> BTreeSet<&str> {
        review
            .top_phrases
            .keys()
            .filter(|(c, _)| c.starts_with("topic_") == topics)
            .map(|(_, l)| l.as_str())
            .collect()
    };
    out.push_str("<table id=\"top-phrases\"><thead><tr><th>language</th>");
    for (_, label) in COLUMNS {
        let _ = write!(out, "<th>{label}</th>");
    }
    out.push_str("</tr></thead><tbody>\n");
    for language in languages(false) {
        let _ = write!(out, "<tr><td>{}</td>", escape(&clean(language)));
        for (category, _) in COLUMNS {
            out.push_str("<td>");
            for p in review
                .top_phrases
                .get(&(category.to_string(), language.to_string()))
                .into_iter()
                .flatten()
            {
                phrase(out, p);
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str(
        "</tbody></table>\n<p class=\"note\">Counted hits: cues said by the customer.</p>\n",
    );
    let topic_languages = languages(true);
    if topic_languages.is_empty() {
        return;
    }
    out.push_str("<details class=\"topics\" id=\"top-topics\"><summary>Topics: top phrases per topic and language</summary>\n<table><thead><tr><th>language</th><th>topics</th></tr></thead><tbody>\n");
    for language in topic_languages {
        let _ = write!(out, "<tr><td>{}</td><td>", escape(&clean(language)));
        for ((category, _), list) in review
            .top_phrases
            .iter()
            .filter(|((c, l), _)| c.starts_with("topic_") && l == language)
        {
            let _ = write!(
                out,
                "<span class=\"topic\"><strong>{}</strong> ",
                escape(&clean(category.trim_start_matches("topic_")))
            );
            for p in list.iter().take(3) {
                phrase(out, p);
            }
            out.push_str("</span>");
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody></table></details>\n");
}

fn calls_section(out: &mut String, review: &Review) {
    out.push_str("<section id=\"calls\">\n<h2>Flagged calls</h2>\n");
    let shown = review.calls.len();
    let _ = writeln!(
        out,
        "<p class=\"note\" id=\"calls-summary\">{} flagged calls{}; {}. Sorted by severity: escalation, repeat contact, strongly negative sentiment (≤ −0.5), several cues.</p>",
        review.flagged_matching,
        if review.options.categories.is_empty() {
            String::new()
        } else {
            escape(&format!(" with {}", review.options.categories.join(", ")))
        },
        if shown < review.flagged_matching {
            format!("showing the {shown} most severe (--limit)")
        } else {
            "all shown".to_string()
        },
    );
    out.push_str(
        "<div class=\"filters\" id=\"filters\" role=\"search\" hidden>\n\
         <select id=\"filter-category\" data-key=\"category\" aria-label=\"category\"></select>\n\
         <select id=\"filter-language\" data-key=\"language\" aria-label=\"language\"></select>\n\
         <select id=\"filter-queue\" data-key=\"queue\" aria-label=\"queue\"></select>\n\
         <select id=\"filter-agent\" data-key=\"agent\" aria-label=\"agent\"></select>\n\
         <input id=\"filter-search\" type=\"search\" placeholder=\"Search call id, phrase, transcript…\" aria-label=\"search\">\n\
         <button id=\"filter-reset\" type=\"button\">Clear</button>\n\
         <output id=\"match-count\"></output>\n</div>\n\
         <noscript><p class=\"note\">The list of flagged calls needs JavaScript.</p></noscript>\n\
         <p class=\"note\" id=\"no-match\" hidden>No flagged call matches these filters.</p>\n\
         <ol class=\"calls\" id=\"call-list\"></ol>\n\
         <nav class=\"pager\" aria-label=\"pages\"><button id=\"prev-page\" type=\"button\">← Previous</button><span id=\"page-label\"></span><button id=\"next-page\" type=\"button\">Next →</button></nav>\n\
         </section>\n",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_exactly_the_embedded_script() {
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none'; script-src 'sha256-"));
        assert_eq!(csp.matches("sha256-").count(), 1);
        assert!(!csp.contains("unsafe-eval") && !csp.contains("script-src 'unsafe-inline'"));
    }

    #[test]
    fn the_script_assigns_no_html() {
        for needle in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
        ] {
            assert!(!SCRIPT.contains(needle), "report.js uses {needle}");
        }
    }

    #[test]
    fn segments_serialize_compactly() {
        let segs = [
            Segment::Text("a".into()),
            Segment::Mark {
                hits: vec![0, 2],
                text: "b".into(),
            },
            Segment::Redacted(crate::report::redact::PiiKind::Card),
        ];
        assert_eq!(
            json_for_script(&segments_json(&segs)),
            r#"["a",{"h":[0,2],"t":"b"},{"r":"card"}]"#
        );
    }

    #[test]
    fn the_script_safe_writer_escapes_across_split_writes() {
        use std::io::Write;
        let text = "a\u{2028}b<\u{2029}é";
        let bytes = text.as_bytes();
        // Every split point, including inside the three bytes of U+2028.
        for cut in 0..=bytes.len() {
            let mut w = ScriptSafe::new(Vec::new());
            w.write_all(&bytes[..cut]).unwrap();
            w.write_all(&bytes[cut..]).unwrap();
            let out = String::from_utf8(w.finish().unwrap()).unwrap();
            assert_eq!(out, "a\\u2028b\\u003c\\u2029é", "cut at {cut}");
        }
    }

    #[test]
    fn times_are_shown_in_the_datasets_zone() {
        let us = 1_793_610_843_000_000;
        assert_eq!(Zone::utc().minute_of(us), "2026-11-02 09:14 UTC");
        let new_york = Zone::parse("America/New_York").unwrap();
        assert_eq!(new_york.minute_of(us), "2026-11-02 04:14 EST");
        assert_eq!(
            new_york.minute_of(us - 60 * 86_400_000_000),
            "2026-09-03 05:14 EDT"
        );
    }
}
