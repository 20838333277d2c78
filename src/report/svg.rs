//! Inline SVG charts for the report's at-a-glance section: the trend by day, breakdowns by queue
//! and agent, and FCR by day with its confidence intervals.
//!
//! Charts are drawn server-side as plain SVG markup, so the page shows them without running any
//! script and prints them as vectors. Every label goes through [`escape`]; numbers are formatted
//! here. Each chart has a `<title>` and an `aria-label`, and every mark a `<title>` tooltip
//! with the exact numbers behind it.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::aggregate::fcr::{FcrCounts, Rate};

use super::html::escape;
use super::review::{Tally, call_rates};

/// Series colours, shared with the page's CSS.
pub const REPEAT: &str = "#c2410c";
/// Escalation colour.
pub const ESCALATION: &str = "#b91c1c";
/// Negative sentiment colour.
pub const NEGATIVE: &str = "#6d28d9";
/// Bars of call volume.
const VOLUME: &str = "#cbd5e1";
/// Operational FCR.
const FCR_OPERATIONAL: &str = "#0f766e";
/// Phrase-based FCR.
const FCR_PHRASE: &str = "#1d4ed8";

/// A percentage with one decimal: `12.5%`.
pub fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The highest repeat-contact, escalation or negative-sentiment rate among `tallies`, for the
/// rate axis of a chart.
fn highest_rate<'a>(tallies: impl Iterator<Item = &'a Tally>) -> f64 {
    tallies
        .flat_map(|t| {
            let r = call_rates(t);
            [r.repeat_contact, r.escalation, r.negative]
        })
        .flatten()
        .map(|r| r.value)
        .fold(0.0, f64::max)
}

/// The smallest of 5%, 10%, 20%, 25%, 50% and 100% that holds `max`.
fn rate_axis(max: f64) -> f64 {
    [0.05, 0.1, 0.2, 0.25, 0.5, 1.0]
        .into_iter()
        .find(|&a| max <= a)
        .unwrap_or(1.0)
}

/// A round number of calls at or above `max` that divides into four integer ticks:
/// 4, 8, 12, 20, 40, 60, 80, 100, 200, …
fn count_axis(max: u64) -> u64 {
    if let Some(small) = [4, 8, 12].into_iter().find(|&a| max <= a) {
        return small;
    }
    let mut step = 10;
    loop {
        if let Some(m) = [2, 4, 6, 8, 10].into_iter().find(|&m| m * step >= max) {
            return m * step;
        }
        step *= 10;
    }
}

fn open(out: &mut String, width: u32, height: u32, title: &str) {
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = escape(title)
    );
}

fn legend(out: &mut String, x: f64, y: f64, items: &[(&str, &str)]) {
    let mut x = x;
    for (colour, label) in items {
        let _ = write!(
            out,
            r#"<rect x="{x:.1}" y="{:.1}" width="10" height="10" fill="{colour}"/>"#,
            y - 9.0
        );
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{y:.1}" class="legend">{}</text>"#,
            x + 14.0,
            escape(label)
        );
        x += 22.0 + 6.5 * label.chars().count() as f64;
    }
}

/// Calls per day as bars, with the repeat-contact, escalation and negative-sentiment rates as
/// lines on a percentage axis.
pub fn trend_by_day(by_date: &BTreeMap<String, Tally>) -> String {
    let (w, h) = (660u32, 250u32);
    let (left, right, top, bottom) = (48.0, 52.0, 30.0, 44.0);
    let plot_w = f64::from(w) - left - right;
    let plot_h = f64::from(h) - top - bottom;
    let days: Vec<(&String, &Tally)> = by_date.iter().collect();
    let mut out = String::new();
    open(&mut out, w, h, "Calls and flag rates by day");
    if days.is_empty() {
        out.push_str(r#"<text x="20" y="40">No calls in the selection.</text></svg>"#);
        return out;
    }
    let max_calls = count_axis(days.iter().map(|(_, t)| t.contacts).max().unwrap_or(1));
    let max_rate = rate_axis(highest_rate(days.iter().map(|(_, t)| *t)));
    let slot = plot_w / days.len() as f64;
    let y_calls = |n: u64| top + plot_h - plot_h * n as f64 / max_calls as f64;
    let y_rate = |r: f64| top + plot_h - plot_h * r / max_rate;
    // Axes and grid.
    for i in 0..=4 {
        let y = top + plot_h * f64::from(i) / 4.0;
        let _ = write!(
            out,
            r#"<line x1="{left}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" class="grid"/>"#,
            left + plot_w
        );
        let calls = max_calls as f64 * f64::from(4 - i) / 4.0;
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" class="axis" text-anchor="end">{calls:.0}</text>"#,
            left - 6.0,
            y + 4.0
        );
        let rate = max_rate * f64::from(4 - i) / 4.0;
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" class="axis">{}</text>"#,
            left + plot_w + 6.0,
            y + 4.0,
            percent(rate)
        );
    }
    let _ = write!(
        out,
        r#"<text x="{left}" y="{:.1}" class="axis">calls</text>"#,
        top - 8.0
    );
    let _ = write!(
        out,
        r#"<text x="{:.1}" y="{:.1}" class="axis" text-anchor="end">rate</text>"#,
        left + plot_w + right - 4.0,
        top - 8.0
    );
    let label_every = days.len().div_ceil(10);
    for (i, (date, t)) in days.iter().enumerate() {
        let x = left + slot * i as f64;
        let bar_w = (slot * 0.7).max(1.0);
        let y = y_calls(t.contacts);
        let _ = write!(
            out,
            r#"<rect x="{:.1}" y="{y:.1}" width="{bar_w:.1}" height="{:.1}" fill="{VOLUME}"><title>{}: {} calls</title></rect>"#,
            x + (slot - bar_w) / 2.0,
            top + plot_h - y,
            escape(date),
            t.contacts
        );
        if i % label_every == 0 {
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{:.1}" class="axis" text-anchor="middle">{}</text>"#,
                x + slot / 2.0,
                top + plot_h + 16.0,
                escape(date.get(5..).unwrap_or(date))
            );
        }
    }
    for (colour, name, pick) in [
        (REPEAT, "repeat contact", 0usize),
        (ESCALATION, "escalation", 1),
        (NEGATIVE, "negative sentiment", 2),
    ] {
        let points: Vec<(f64, f64, String)> = days
            .iter()
            .enumerate()
            .filter_map(|(i, (date, t))| {
                let r = call_rates(t);
                let rate = [r.repeat_contact, r.escalation, r.negative][pick]?;
                let n = [t.phrase_repeats, t.escalations, t.negative_calls][pick];
                let tip = format!(
                    "{date}: {name} {} ({n} of {} calls)",
                    percent(rate.value),
                    t.contacts
                );
                Some((left + slot * (i as f64 + 0.5), y_rate(rate.value), tip))
            })
            .collect();
        let path: Vec<String> = points
            .iter()
            .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            path.join(" ")
        );
        for (x, y, tip) in &points {
            let _ = write!(
                out,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{colour}"><title>{}</title></circle>"#,
                escape(tip)
            );
        }
    }
    legend(
        &mut out,
        left,
        f64::from(h) - 8.0,
        &[
            (VOLUME, "calls"),
            (REPEAT, "repeat contact"),
            (ESCALATION, "escalation"),
            (NEGATIVE, "negative sentiment"),
        ],
    );
    out.push_str("</svg>");
    out
}

/// Horizontal bars of the three flag rates for the groups with the most calls (at most
/// `max_rows`), labelled with the group and its call count. `None` keys show as `none_label`.
pub fn breakdown(
    title: &str,
    groups: &BTreeMap<Option<String>, Tally>,
    max_rows: usize,
    none_label: &str,
) -> String {
    let mut rows: Vec<(String, &Tally)> = groups
        .iter()
        .map(|(k, t)| (k.clone().unwrap_or_else(|| none_label.to_string()), t))
        .collect();
    rows.sort_by(|a, b| b.1.contacts.cmp(&a.1.contacts).then_with(|| a.0.cmp(&b.0)));
    let hidden = rows.len().saturating_sub(max_rows);
    rows.truncate(max_rows);
    let (label_w, bar_w, value_w) = (170.0, 360.0, 130.0);
    let row_h = 30.0;
    let top = 8.0;
    let w = (label_w + bar_w + value_w) as u32;
    let h = (top + row_h * rows.len().max(1) as f64 + 34.0 + if hidden > 0 { 16.0 } else { 0.0 })
        as u32;
    let mut out = String::new();
    open(&mut out, w, h, title);
    let max = rate_axis(highest_rate(rows.iter().map(|(_, t)| *t)));
    for (i, (label, t)) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let short: String = if label.chars().count() > 24 {
            label.chars().take(23).chain(['…']).collect()
        } else {
            label.clone()
        };
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" class="label" text-anchor="end"><title>{}</title>{}</text>"#,
            label_w - 8.0,
            y + 15.0,
            escape(label),
            escape(&short)
        );
        let r = call_rates(t);
        for (j, (colour, name, rate, n)) in [
            (REPEAT, "repeat contact", r.repeat_contact, t.phrase_repeats),
            (ESCALATION, "escalation", r.escalation, t.escalations),
            (NEGATIVE, "negative sentiment", r.negative, t.negative_calls),
        ]
        .into_iter()
        .enumerate()
        {
            let value = rate.map_or(0.0, |r| r.value);
            let tip = format!(
                "{label}: {name} {} ({n} of {} calls)",
                percent(value),
                t.contacts
            );
            let _ = write!(
                out,
                r#"<rect x="{label_w}" y="{:.1}" width="{:.1}" height="7" fill="{colour}"><title>{}</title></rect>"#,
                y + 3.0 + 8.0 * j as f64,
                (bar_w * value / max).max(if n > 0 { 1.0 } else { 0.0 }),
                escape(&tip)
            );
        }
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" class="axis">{} {}</text>"#,
            label_w + bar_w + 8.0,
            y + 15.0,
            t.contacts,
            if t.contacts == 1 { "call" } else { "calls" }
        );
    }
    let base = top + row_h * rows.len().max(1) as f64;
    let _ = write!(
        out,
        r#"<line x1="{label_w}" x2="{:.1}" y1="{base:.1}" y2="{base:.1}" class="grid"/>"#,
        label_w + bar_w
    );
    let _ = write!(
        out,
        r#"<text x="{label_w}" y="{:.1}" class="axis">0%</text>"#,
        base + 13.0
    );
    let _ = write!(
        out,
        r#"<text x="{:.1}" y="{:.1}" class="axis" text-anchor="end">{}</text>"#,
        label_w + bar_w,
        base + 13.0,
        percent(max)
    );
    legend(
        &mut out,
        label_w,
        base + 30.0,
        &[
            (REPEAT, "repeat contact"),
            (ESCALATION, "escalation"),
            (NEGATIVE, "negative"),
        ],
    );
    if hidden > 0 {
        let _ = write!(
            out,
            r#"<text x="8" y="{:.1}" class="axis">and {hidden} more with fewer calls</text>"#,
            base + 46.0
        );
    }
    out.push_str("</svg>");
    out
}

/// Operational and phrase-based FCR per day, each point with its Wilson 95% interval.
pub fn fcr_by_day(by_date: &BTreeMap<String, FcrCounts>) -> String {
    let (w, h) = (660u32, 230u32);
    let (left, right, top, bottom) = (48.0, 20.0, 20.0, 44.0);
    let plot_w = f64::from(w) - left - right;
    let plot_h = f64::from(h) - top - bottom;
    let mut out = String::new();
    open(
        &mut out,
        w,
        h,
        "First contact resolution by day, with 95% intervals",
    );
    let days: Vec<(&String, &FcrCounts)> = by_date.iter().collect();
    let slot = plot_w / days.len().max(1) as f64;
    let y = |r: f64| top + plot_h - plot_h * r;
    for i in 0..=4 {
        let v = f64::from(4 - i) / 4.0;
        let _ = write!(
            out,
            r#"<line x1="{left}" x2="{:.1}" y1="{:.1}" y2="{:.1}" class="grid"/>"#,
            left + plot_w,
            y(v),
            y(v)
        );
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" class="axis" text-anchor="end">{}</text>"#,
            left - 6.0,
            y(v) + 4.0,
            percent(v)
        );
    }
    let label_every = days.len().div_ceil(10).max(1);
    for (i, (date, counts)) in days.iter().enumerate() {
        let cx = left + slot * (i as f64 + 0.5);
        if i % label_every == 0 {
            let _ = write!(
                out,
                r#"<text x="{cx:.1}" y="{:.1}" class="axis" text-anchor="middle">{}</text>"#,
                top + plot_h + 16.0,
                escape(date.get(5..).unwrap_or(date))
            );
        }
        let rates = counts.rates();
        for (dx, colour, name, rate, n) in [
            (
                -5.0,
                FCR_OPERATIONAL,
                "operational FCR",
                rates.fcr_operational,
                counts.resolved + counts.unresolved,
            ),
            (
                5.0,
                FCR_PHRASE,
                "phrase-based FCR",
                rates.fcr_phrase,
                counts.contacts,
            ),
        ] {
            let Some(Rate { value, low, high }) = rate else {
                continue;
            };
            let x = cx + dx;
            let tip = format!(
                "{date}: {name} {} (95% CI {}–{}, n = {n})",
                percent(value),
                percent(low),
                percent(high)
            );
            let _ = write!(
                out,
                r#"<g><title>{}</title><line x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="1.5"/><circle cx="{x:.1}" cy="{:.1}" r="3.5" fill="{colour}"/></g>"#,
                escape(&tip),
                y(low),
                y(high),
                y(value)
            );
        }
    }
    legend(
        &mut out,
        left,
        f64::from(h) - 8.0,
        &[
            (FCR_OPERATIONAL, "operational FCR"),
            (FCR_PHRASE, "phrase-based FCR"),
        ],
    );
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_round_up() {
        assert_eq!(count_axis(0), 4);
        assert_eq!(count_axis(7), 8);
        assert_eq!(count_axis(13), 20);
        assert_eq!(count_axis(100), 100);
        assert_eq!(count_axis(4_100), 6_000);
        assert_eq!(rate_axis(0.07), 0.1);
        assert_eq!(rate_axis(0.3), 0.5);
    }

    #[test]
    fn labels_are_escaped() {
        let mut groups = BTreeMap::new();
        groups.insert(
            Some("<b onmouseover=x>q</b>".to_string()),
            FcrCounts {
                contacts: 2,
                escalations: 1,
                ..FcrCounts::default()
            },
        );
        groups.insert(
            None,
            FcrCounts {
                contacts: 1,
                ..FcrCounts::default()
            },
        );
        let svg = breakdown("By queue", &groups, 10, "(no queue)");
        assert!(!svg.contains("<b "), "{svg}");
        assert!(svg.contains("&lt;b onmouseover=x&gt;q&lt;/b&gt;"));
        assert!(svg.contains("(no queue)"));
    }
}
