//! `fcrscan show DIR CALL_ID`: one call in the terminal, its cues highlighted, PII redacted.
//!
//! Colour (ANSI SGR) only when stdout is a terminal and `NO_COLOR` is unset or empty, unless
//! `--color` says otherwise; plain output brackets each cue instead, so piped output still shows
//! where the cues are. Every value from the dataset goes through [`ui::sanitize`] (control and
//! bidirectional characters), and redaction is on unless `--no-redact` is given.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use fcrscan::report::load::dataset_zone;
use fcrscan::report::redact::{Segment, redact_text};
use fcrscan::report::review::{self, CallView};
use fcrscan::zone::Zone;

use super::exit::Exit;
use super::ui;

/// Print one call with its cues highlighted.
#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  fcrscan show out en-002\n  fcrscan show /data/fcr 7f3a-2026-11-23-0042 --no-redact | less -R\n  fcrscan show out en-002 --color always | less -R"
)]
pub struct ShowArgs {
    /// Dataset directory written by `fcrscan scan --out DIR`.
    #[arg(value_name = "DIR", value_parser = ui::local_path)]
    dir: PathBuf,

    /// The call to show.
    #[arg(value_name = "CALL_ID")]
    call_id: String,

    /// Redact PII (the default): card numbers, e-mail addresses, phone numbers, long digit runs.
    #[arg(long, overrides_with = "no_redact")]
    redact: bool,

    /// Show the transcript and customer id as stored.
    #[arg(long, overrides_with = "redact")]
    no_redact: bool,

    /// When to colour the output: auto, always or never.
    ///
    /// auto (the default) colours only when stdout is a terminal and the NO_COLOR environment
    /// variable is unset or empty.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = When::Auto)]
    color: When,
}

/// When to use colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum When {
    /// When stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl When {
    fn use_colour(self) -> bool {
        match self {
            When::Always => true,
            When::Never => false,
            When::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// ANSI styles, or nothing.
struct Style {
    colour: bool,
}

impl Style {
    fn paint(&self, sgr: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }

    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    /// A cue: coloured by category when colour is on, else in brackets.
    fn cue(&self, category: &str, counted: bool, text: &str) -> String {
        if !self.colour {
            return format!("[{text}]");
        }
        let colour = match category {
            "escalation" => "31",
            "repeat_contact" => "33",
            "sentiment_negative" => "35",
            "sentiment_positive" => "32",
            _ => "36",
        };
        self.paint(
            &format!("1;4;{colour}{}", if counted { "" } else { ";2" }),
            text,
        )
    }
}

/// Text safe for a terminal: one line, no control or bidirectional characters.
fn terminal_text(text: &str) -> String {
    ui::sanitize(&text.replace(['\n', '\r', '\t'], " "))
}

fn clock(seconds: Option<f64>) -> String {
    match seconds {
        Some(s) if s.is_finite() && s >= 0.0 => {
            let s = s as u64;
            if s >= 3600 {
                format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
            } else {
                format!("{}:{:02}", s / 60, s % 60)
            }
        }
        _ => "-".to_string(),
    }
}

fn render_segments(view: &CallView, segs: &[Segment], style: &Style) -> String {
    let mut out = String::new();
    for seg in segs {
        match seg {
            Segment::Text(t) => out.push_str(&terminal_text(t)),
            Segment::Redacted(kind) => out.push_str(&style.dim(&kind.placeholder())),
            Segment::Mark { hits, text } => {
                let first = hits
                    .iter()
                    .map(|&h| &view.hits[h])
                    .min_by_key(|h| {
                        [
                            "escalation",
                            "repeat_contact",
                            "sentiment_negative",
                            "sentiment_positive",
                        ]
                        .iter()
                        .position(|c| *c == h.category)
                        .unwrap_or(9)
                    })
                    .expect("a mark covers at least one hit");
                out.push_str(&style.cue(&first.category, first.counted, &terminal_text(text)));
            }
        }
    }
    out
}

/// The text `show` prints for a call.
fn render(view: &CallView, zone: &Zone, redact: bool, style: &Style) -> String {
    let c = &view.call;
    let mut head: Vec<String> = vec![style.bold(&format!("call {}", terminal_text(&c.call_id)))];
    if let Some(us) = c.started_at_us {
        head.push(zone.minute_of(us));
    }
    if c.duration_s.is_some() {
        head.push(clock(c.duration_s));
    }
    for (name, value) in [
        ("queue", &c.queue),
        ("agent", &c.agent_id),
        ("channel", &c.channel),
    ] {
        if let Some(v) = value {
            head.push(format!("{name} {}", terminal_text(v)));
        }
    }
    if let Some(v) = &c.customer_id {
        head.push(format!(
            "customer {}",
            terminal_text(&if redact { redact_text(v) } else { v.clone() })
        ));
    }
    head.push(terminal_text(&c.language));
    let mut out = head.join(" · ");
    out.push('\n');
    let reasons = view.severity.reasons();
    let flags = if reasons.is_empty() {
        "none".to_string()
    } else {
        reasons
            .iter()
            .map(|r| r.replace('_', " "))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sentiment = c
        .sentiment
        .map_or_else(|| "-".to_string(), |s| format!("{s:.2}"));
    out.push_str(&format!(
        "flags: {flags} · sentiment {sentiment} · {} hits{}\n",
        view.hits.len(),
        if redact { " · PII redacted" } else { "" }
    ));

    let hit_line = |h: usize| {
        let hit = &view.hits[h];
        let mut line = format!("{}: {}", hit.category, terminal_text(&hit.phrase));
        if hit.negated {
            line.push_str(" · negated");
        }
        if !hit.counted {
            line.push_str(&format!(" · not counted ({})", hit.speaker));
        }
        line
    };
    match &view.turns {
        Some(turns) => {
            let segments = view.turn_segments(redact);
            let width = turns
                .iter()
                .map(|t| terminal_text(&t.speaker_label).chars().count())
                .max()
                .unwrap_or(0)
                .clamp(5, 14);
            for (turn, segs) in turns.iter().zip(&segments) {
                let label = terminal_text(&if redact {
                    redact_text(&turn.speaker_label)
                } else {
                    turn.speaker_label.clone()
                });
                let pad = width.saturating_sub(label.chars().count());
                let label = if turn.speaker == "customer" {
                    style.bold(&label)
                } else {
                    label
                };
                out.push_str(&format!(
                    "{:>7}  {label}{}  {}\n",
                    clock(turn.start_s),
                    " ".repeat(pad),
                    render_segments(view, segs, style)
                ));
                for h in (0..view.hits.len()).filter(|&h| view.hits[h].turn == turn.turn) {
                    out.push_str(&format!(
                        "{:>7}  {}  {}\n",
                        "",
                        " ".repeat(width),
                        style.dim(&format!("↳ {}", hit_line(h)))
                    ));
                }
            }
        }
        None => {
            out.push_str(
                "transcript not stored (scan with --transcripts all to keep every call's); hits:\n",
            );
            for e in view.excerpts(&[], redact) {
                let hit = e.hits[0];
                out.push_str(&format!(
                    "{:>7}  {}  {}  {}\n",
                    clock(e.start_s),
                    e.speaker,
                    render_segments(view, &e.segments, style),
                    style.dim(&format!("↳ {}", hit_line(hit)))
                ));
            }
        }
    }
    out
}

/// Runs `fcrscan show`.
pub fn run(args: ShowArgs) -> anyhow::Result<Exit> {
    let view = review::find_call(&args.dir, &args.call_id)
        .with_context(|| format!("reading the dataset in {}", args.dir.display()))?
        .with_context(|| {
            format!(
                "call {} is not in {} (looked in {}); call ids are case-sensitive",
                ui::sanitize(&args.call_id),
                args.dir.display(),
                args.dir.join("calls").display()
            )
        })?;
    let zone = dataset_zone(&args.dir)
        .with_context(|| format!("reading the dataset in {}", args.dir.display()))?;
    let style = Style {
        colour: args.color.use_colour(),
    };
    let text = render(&view, &zone, args.redact || !args.no_redact, &style);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(Exit::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_cues_are_bracketed_and_coloured_cues_are_not() {
        let plain = Style { colour: false };
        assert_eq!(plain.cue("escalation", true, "manager"), "[manager]");
        let colour = Style { colour: true };
        assert_eq!(
            colour.cue("escalation", true, "manager"),
            "\x1b[1;4;31mmanager\x1b[0m"
        );
        assert_eq!(
            colour.cue("repeat_contact", false, "x"),
            "\x1b[1;4;33;2mx\x1b[0m"
        );
    }

    #[test]
    fn terminal_text_is_one_safe_line() {
        assert_eq!(
            terminal_text("a\nb\u{1b}[2J\u{202E}c"),
            "a b\u{FFFD}[2J\u{FFFD}c"
        );
    }

    #[test]
    fn clock_formats_minutes_and_hours() {
        assert_eq!(clock(Some(65.4)), "1:05");
        assert_eq!(clock(Some(3723.0)), "1:02:03");
        assert_eq!(clock(None), "-");
    }
}
