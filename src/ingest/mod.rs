//! Turning input files into [`Call`]s — or rejects with reasons.
//!
//! - [`discover()`] walks the command-line paths in a deterministic order;
//! - [`open`] decompresses (gzip, zstd) and spots binary and empty files;
//! - [`canonical`] parses fcrscan's JSON / JSON Lines, [`text`] plain-text transcripts, and
//!   [`vendor`] speech-to-text engines' own formats;
//! - [`language`] decides each call's lexicon language.
//!
//! Everything downstream only ever sees a `Call`. How a file is read (line by line, or whole) is
//! decided by [`FileKind`]; the pipeline owns the threads and the chunking of large files.

pub mod canonical;
pub mod discover;
pub mod language;
pub mod local_dates;
pub mod metadata;
pub mod open;
pub mod reject;
pub mod roles;
pub mod text;
pub mod time;
pub mod vendor;

use std::path::Path;

pub use discover::{Discovery, InputFile, discover};
pub use reject::{Reject, RejectReason};

use crate::lexicon::SpeakerLabel;
use crate::model::{Call, SourceRef};

/// How a file is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// One record per line (`.jsonl`, `.ndjson`): read as a stream, split into chunks.
    JsonLines,
    /// One record per file: canonical `.json`, text transcripts and vendor formats.
    WholeFile,
}

/// The kind of a file from its name, compression extensions removed. Decided on the name as
/// it is, without a lowercase copy: it is asked of every file found, twice before the first
/// is read (100,000 small files: 30 ms of the reader's start).
pub fn file_kind(path: &Path) -> FileKind {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let ext = record_extension_as_written(&name);
    if ext.eq_ignore_ascii_case("jsonl") || ext.eq_ignore_ascii_case("ndjson") {
        FileKind::JsonLines
    } else {
        FileKind::WholeFile
    }
}

/// The extension that names the record format (`calls.jsonl.gz` → `jsonl`), lower case.
pub fn record_extension(path: &Path) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    record_extension_as_written(&name).to_ascii_lowercase()
}

/// [`record_extension`] of a file name, in the name's own case: one compression extension
/// (`.gz`, `.zst`, `.zstd`, any case) removed, then what follows the last dot.
fn record_extension_as_written(name: &str) -> &str {
    let mut name = name;
    for compression in [".gz", ".zst", ".zstd"] {
        if ends_with_ignore_ascii_case(name.as_bytes(), compression.as_bytes()) {
            // An ASCII suffix matched: the cut is a character boundary.
            name = &name[..name.len() - compression.len()];
            break;
        }
    }
    name.rsplit_once('.').map_or("", |(_, ext)| ext)
}

/// Whether `name` ends with the ASCII `suffix`, in any case.
pub(crate) fn ends_with_ignore_ascii_case(name: &[u8], suffix: &[u8]) -> bool {
    name.len() >= suffix.len() && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

/// The file name without directory and extensions: the call_id of single-call files.
pub fn file_stem_id(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut stem = name.as_str();
    for ext in [".gz", ".zst", ".zstd"] {
        stem = stem.strip_suffix(ext).unwrap_or(stem);
    }
    stem.rsplit_once('.').map_or(stem, |(s, _)| s).to_string()
}

/// What ingest needs from the configuration.
#[derive(Clone, Debug, Default)]
pub struct IngestOptions {
    /// Speaker labels for text transcripts (from the lexicons).
    pub speaker_labels: Vec<SpeakerLabel>,
    /// Read every file as this format instead of detecting it.
    pub forced_format: Option<String>,
    /// Column names for CSV/TSV turn tables and metadata files (`--column FIELD=NAME`).
    pub columns: metadata::ColumnMap,
    /// The `--metadata` table joined to every call by call_id.
    pub metadata: Option<std::sync::Arc<metadata::MetadataTable>>,
    /// `--call-id-from`: call_id and other fields from named groups of the file name.
    pub call_id_from: Option<regex::Regex>,
    /// `--agent-channel`: the channel (or speaker label) that is the agent.
    pub agent_channel: Option<String>,
    /// How the files of one call's channels are named (`None`: one file, one call).
    pub channel_files: Option<regex::Regex>,
    /// `--timezone`: where start times written without an offset are placed.
    pub zone: crate::zone::Zone,
    /// `--date-order`: how slashed dates (`11/2/2026`) in turn tables are read when the file's
    /// own dates do not settle it.
    pub date_order: Option<local_dates::DateOrder>,
}

/// What ingest does to every call after parsing, whatever the format: `--call-id-from` on
/// `file_name` (the file's name, or for per-channel files the name without the channel part),
/// the `--metadata` join by the resulting call_id, then the `--agent-channel` map; last, a start
/// time written without an offset is placed in `--timezone`. Cheap when none of them is
/// configured (four branches).
pub fn finish_call(call: &mut Call, options: &IngestOptions, file_name: Option<&str>) {
    if let Some(re) = &options.call_id_from {
        let single = call.source.line.is_none();
        let own_name = || {
            Path::new(&*call.source.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        };
        let name = file_name
            .map(str::to_string)
            .or_else(own_name)
            .unwrap_or_default();
        metadata::apply_file_name_fields(call, re, &name, single);
    }
    if let Some(table) = &options.metadata {
        table.apply(call);
    }
    if let Some(agent) = &options.agent_channel {
        roles::apply_channel_map(call, agent);
    }
    if std::mem::take(&mut call.started_at_local) {
        call.started_at_us = call
            .started_at_us
            .map(|us| options.zone.instant_of_wall(us));
    }
}

/// Parses a whole-file record. Returns calls or rejects (a vendor file may hold several calls).
pub fn parse_whole_file(
    file: &InputFile,
    bytes: &[u8],
    options: &IngestOptions,
) -> Vec<Result<Call, Reject>> {
    let source = SourceRef::file(file.name.clone());
    let reject = |reason: RejectReason, call_id: Option<String>| {
        Err(Reject {
            source: source.clone(),
            call_id,
            reason,
        })
    };
    // SIMD validation: on 100,000 small files, the standard library's took 2% of the run.
    let Ok(text) = simdutf8::basic::from_utf8(bytes) else {
        // Named by the line of the first bad byte, which a whole-file reject otherwise lacks.
        let (line, byte) = reject::first_invalid_utf8(bytes).unzip();
        return vec![Err(Reject {
            source: SourceRef {
                line,
                ..source.clone()
            },
            call_id: None,
            reason: RejectReason::InvalidUtf8(byte),
        })];
    };
    let forced = options.forced_format.as_deref();
    let ext = record_extension(&file.path);
    // A `.txt` file that holds JSON or subtitles (documentation examples often do) is read by
    // content; a text file without a single `Label: text` line is not a transcript (issue #6).
    if forced == Some("text")
        || (forced.is_none() && ext == "txt" && !vendor::looks_structured(text))
    {
        let id = file_stem_id(&file.path);
        return vec![
            text::parse_text(text, &id, source.clone(), &options.speaker_labels)
                .and_then(|call| {
                    if forced.is_none() && call.turns.iter().all(|t| t.speaker_label.is_empty()) {
                        Err(RejectReason::UnsupportedFormat(
                            "text file without any `Speaker: text` line: not a transcript".into(),
                        ))
                    } else {
                        Ok(call)
                    }
                })
                .map_err(|reason| Reject {
                    source: source.clone(),
                    call_id: Some(id.clone()),
                    reason,
                }),
        ];
    }
    if forced == Some("canonical") || (forced.is_none() && canonical::looks_canonical(bytes)) {
        let body = text.trim_start_matches('\u{feff}').trim_start();
        if body.starts_with('[') {
            return canonical::parse_array(file, body);
        }
        return vec![canonical::parse_call_text(text, source.clone()).map_err(
            |(reason, call_id)| Reject {
                source: source.clone(),
                call_id,
                reason,
            },
        )];
    }
    if let Some(results) = vendor::parse_file(file, text, options) {
        return results;
    }
    let what = if ext.is_empty() {
        "no extension".to_string()
    } else {
        format!(".{ext} file")
    };
    vec![reject(
        RejectReason::UnsupportedFormat(format!(
            "{what} is not a transcript format fcrscan reads (see `fcrscan formats`)"
        )),
        None,
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_ids_ignore_compression_extensions() {
        assert_eq!(file_kind(Path::new("a/b.JSONL.gz")), FileKind::JsonLines);
        assert_eq!(file_kind(Path::new("a/b.json")), FileKind::WholeFile);
        assert_eq!(
            file_stem_id(Path::new("x/text-en-001.txt.gz")),
            "text-en-001"
        );
        assert_eq!(record_extension(Path::new("x/y.srt.zst")), "srt");
        assert_eq!(record_extension(Path::new("x/Y.SRT.ZST")), "srt");
        assert_eq!(record_extension(Path::new("x/y.json.gz.zst")), "gz");
        assert_eq!(record_extension(Path::new("x/.gz")), "");
        assert_eq!(record_extension(Path::new("x/notes")), "");
        // Only ASCII letters are lowered, as before.
        assert_eq!(record_extension(Path::new("x/é.ÉTÉ.gz")), "ÉtÉ");
        for (name, kind) in [
            ("a.jsonl", FileKind::JsonLines),
            ("a.NDJSON.gz", FileKind::JsonLines),
            ("a.JsonL.ZSTD", FileKind::JsonLines),
            ("a.json", FileKind::WholeFile),
            ("jsonl", FileKind::WholeFile),
            ("a.jsonl.txt", FileKind::WholeFile),
        ] {
            assert_eq!(file_kind(Path::new(name)), kind, "{name}");
        }
    }
}
