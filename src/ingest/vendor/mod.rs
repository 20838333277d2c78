//! Speech-to-text engines' own output formats (issue #6): one module per vendor behind one
//! trait, detected by content. This module is the dispatch point the rest of ingest calls.

use super::{IngestOptions, InputFile, Reject};
use crate::model::Call;

/// Parses a whole file in a vendor format, or returns `None` when no vendor format recognises it.
pub fn parse_file(_file: &InputFile, _text: &str, _options: &IngestOptions) -> Option<Vec<Result<Call, Reject>>> {
    None
}
