//! Views for people, built from the dataset `fcrscan scan` wrote; never re-scans.
//!
//! - [`load`] reads the `calls`, `hits`, `turns` and (when present) `fcr` tables back, pruning
//!   date partitions by directory name and decoding only the columns it uses.
//! - [`review`] decides what a review shows: at-a-glance counts and rates, top phrases, flagged
//!   calls ranked by severity with their hits and transcripts; and one call for `fcrscan show`.
//! - [`redact`] finds PII and cuts each turn into highlighted and redacted segments, so that
//!   redaction never shifts or breaks a highlighted cue.
//! - [`html`] renders the self-contained, offline HTML report; [`svg`] its charts.
//!
//! Printing to a terminal (`fcrscan show`) belongs to the command line, which uses [`review`]
//! and [`redact`] and escapes what it prints.
//!
//! ```no_run
//! use fcrscan::report::{html, review};
//!
//! let review = review::build("out".as_ref(), review::ReportOptions::default())?;
//! std::fs::write("review.html", html::render(&review))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod html;
pub mod load;
pub mod redact;
pub mod review;
mod sha256;
pub mod svg;

pub use load::{ReportError, Selection};
pub use review::{ReportOptions, Review};
