//! Every output table, defined once: column names, types, nullability and descriptions.
//!
//! The schema is a contract with the data teams who query the dataset: column names never
//! change once shipped, a new column is added as nullable, and any breaking change bumps
//! [`SCHEMA_VERSION`] and is recorded in CHANGELOG.md. docs/SCHEMA.md documents the same columns
//! and a test keeps the two in sync. Descriptions travel in the Arrow field metadata
//! (`description`), so a reader sees them without the docs.
//!
//! The partition column `call_date` lives in the directory name (`call_date=2026-11-02`), not in
//! the files, as Hive partitioning expects.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use arrow_schema::{DataType, Field, Schema, TimeUnit};

/// Version of the dataset layout and schemas, written in every file's metadata and manifest.
pub const SCHEMA_VERSION: &str = "1";

/// The type of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColType {
    /// UTF-8 string.
    Utf8,
    /// Boolean.
    Bool,
    /// 32-bit signed integer.
    Int32,
    /// 64-bit signed integer.
    Int64,
    /// 32-bit float.
    Float32,
    /// 64-bit float.
    Float64,
    /// Microseconds since the epoch, UTC.
    TimestampUs,
    /// A list of strings.
    ListUtf8,
}

impl ColType {
    /// The Arrow type.
    pub fn data_type(self) -> DataType {
        match self {
            ColType::Utf8 => DataType::Utf8,
            ColType::Bool => DataType::Boolean,
            ColType::Int32 => DataType::Int32,
            ColType::Int64 => DataType::Int64,
            ColType::Float32 => DataType::Float32,
            ColType::Float64 => DataType::Float64,
            ColType::TimestampUs => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            ColType::ListUtf8 => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        }
    }

    /// The name used in docs/SCHEMA.md.
    pub fn doc_name(self) -> &'static str {
        match self {
            ColType::Utf8 => "string",
            ColType::Bool => "bool",
            ColType::Int32 => "int32",
            ColType::Int64 => "int64",
            ColType::Float32 => "float32",
            ColType::Float64 => "float64",
            ColType::TimestampUs => "timestamp[us, UTC]",
            ColType::ListUtf8 => "list<string>",
        }
    }
}

/// One column.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// Name, the same in Rust, Arrow, docs and SQL.
    pub name: &'static str,
    /// Type.
    pub ty: ColType,
    /// Whether it may be null.
    pub nullable: bool,
    /// What it means, with units.
    pub doc: &'static str,
}

/// One table of the dataset.
#[derive(Debug)]
pub struct Table {
    /// Directory name under the output directory.
    pub name: &'static str,
    /// Whether rows are partitioned by `call_date=YYYY-MM-DD`.
    pub partitioned: bool,
    /// Columns in file order.
    pub columns: &'static [Column],
    /// The Arrow schema, built on first use: every part file the scan opens asks for it, and
    /// building it anew each time (fields, metadata maps) held 4 MiB at the peak on 1 GB.
    arrow: OnceLock<Arc<Schema>>,
}

/// A column definition (short, so each table reads as a list of columns).
pub(crate) const fn col(
    name: &'static str,
    ty: ColType,
    nullable: bool,
    doc: &'static str,
) -> Column {
    Column {
        name,
        ty,
        nullable,
        doc,
    }
}

use ColType::*;

/// One row per call.
pub static CALLS: Table = Table::new(
    "calls",
    true,
    &[
        col(
            "call_id",
            Utf8,
            false,
            "The call's identifier, unique in the dataset; re-scanning a call replaces its rows.",
        ),
        col(
            "source_file",
            Utf8,
            false,
            "The input file the call was read from.",
        ),
        col(
            "source_line",
            Int64,
            true,
            "1-based line in source_file for line-oriented inputs, and the line a record starts on in a JSON array of records; null for whole-file records.",
        ),
        col(
            "format",
            Utf8,
            false,
            "The input format: canonical_json, text, or a speech-to-text engine's format.",
        ),
        col(
            "language",
            Utf8,
            false,
            "Lexicon language used (en, es, pt, de, fr, id, vi, ko, ja, zh-Hans, zh-Hant, hi, ar); else the given primary subtag; und when unknown.",
        ),
        col(
            "language_tag",
            Utf8,
            true,
            "The BCP-47 tag as given by the record.",
        ),
        col(
            "language_source",
            Utf8,
            false,
            "given, detected (identified from the text) or unknown.",
        ),
        col(
            "customer_id",
            Utf8,
            true,
            "The customer's identifier (the key for repeat-contact linking).",
        ),
        col("agent_id", Utf8, true, "The agent's identifier."),
        col("queue", Utf8, true, "Queue, skill or line of business."),
        col("channel", Utf8, true, "voice, chat, email, or as given."),
        col(
            "started_at",
            TimestampUs,
            true,
            "When the call started, an instant stored in UTC. call_date is its date in the dataset's time zone (fcrscan.timezone, UTC by default).",
        ),
        col(
            "duration_s",
            Float64,
            true,
            "Duration in seconds: as given, else the end of the last timed turn.",
        ),
        col("turns", Int32, false, "Number of turns with text."),
        col(
            "repeat_contact",
            Bool,
            false,
            "The customer said at least one repeat-contact cue.",
        ),
        col(
            "repeat_contact_hits",
            Int32,
            false,
            "Repeat-contact cues said by the customer.",
        ),
        col(
            "escalation",
            Bool,
            false,
            "The customer said at least one escalation cue.",
        ),
        col(
            "escalation_hits",
            Int32,
            false,
            "Escalation cues said by the customer.",
        ),
        col(
            "sentiment",
            Float32,
            true,
            "Customer sentiment in [-1, 1] (see docs/SCHEMA.md for the formula); null without customer turns.",
        ),
        col(
            "sentiment_agent",
            Float32,
            true,
            "Agent sentiment in [-1, 1]; null without agent turns.",
        ),
        col(
            "sentiment_start",
            Float32,
            true,
            "Customer sentiment over the first third of the call.",
        ),
        col(
            "sentiment_end",
            Float32,
            true,
            "Customer sentiment over the last third of the call.",
        ),
        col(
            "negative_hits",
            Int32,
            false,
            "Customer sentiment cues that are negative once negation is applied.",
        ),
        col(
            "positive_hits",
            Int32,
            false,
            "Customer sentiment cues that are positive once negation is applied.",
        ),
        col(
            "first_repeat_cue_s",
            Float64,
            true,
            "Seconds into the call of the turn with the first counted repeat-contact cue.",
        ),
        col(
            "topics",
            ListUtf8,
            false,
            "Topic categories found in the call (topic_billing, …), sorted.",
        ),
        col(
            "role_source",
            Utf8,
            false,
            "How speaker roles were decided: given, channel_map, inferred or unknown.",
        ),
        col(
            "role_confidence",
            Float32,
            false,
            "Confidence in the speaker roles, in [0, 1].",
        ),
        col(
            "roles_swapped",
            Bool,
            false,
            "The channel map's roles were swapped because the 'agent' spoke like a customer.",
        ),
        col(
            "lexicon_fingerprint",
            Utf8,
            false,
            "Fingerprint of the lexicon the call was scanned with.",
        ),
        col(
            "talk_time_agent_s",
            Float64,
            true,
            "Seconds the agent spoke (union of word times, else turn times); null without times or roles.",
        ),
        col(
            "talk_time_customer_s",
            Float64,
            true,
            "Seconds the customer spoke; null without times or roles.",
        ),
        col(
            "non_talk_time_s",
            Float64,
            true,
            "Seconds of silence between speech, counting silences of at least --silence-threshold (default 3 s); null without times.",
        ),
        col(
            "longest_silence_s",
            Float64,
            true,
            "The longest silence between anyone's speech, seconds; null without times.",
        ),
        col(
            "overtalk_count",
            Int32,
            true,
            "Interruptions: turns that start during the other role's turn and overlap it by at least 0.5 s.",
        ),
        col(
            "overtalk_s",
            Float64,
            true,
            "Seconds the agent and the customer spoke at the same time.",
        ),
        col(
            "overtalk_by_agent",
            Int32,
            true,
            "Interruptions started by the agent.",
        ),
        col(
            "overtalk_by_customer",
            Int32,
            true,
            "Interruptions started by the customer.",
        ),
        col(
            "talk_speed_agent",
            Float64,
            true,
            "Agent words per minute of talk time (characters per minute for Chinese and Japanese).",
        ),
        col(
            "talk_speed_customer",
            Float64,
            true,
            "Customer words per minute of talk time (characters per minute for Chinese and Japanese).",
        ),
        col(
            "first_response_s",
            Float64,
            true,
            "Chat: seconds from the customer's first message to the agent's first reply after it.",
        ),
        col(
            "asr_confidence_mean",
            Float32,
            true,
            "Mean speech-to-text confidence of the call's words (else turns), in [0, 1].",
        ),
        col(
            "metadata_matched",
            Bool,
            true,
            "Whether a --metadata row was found for the call; null when no metadata was given.",
        ),
        col(
            "extra_metadata",
            Utf8,
            true,
            "Extra --metadata columns kept with --metadata-keep, as a JSON object of strings.",
        ),
    ],
);

/// One row per cue found.
pub static HITS: Table = Table::new(
    "hits",
    true,
    &[
        col("call_id", Utf8, false, "The call."),
        col(
            "turn",
            Int32,
            false,
            "0-based index of the turn in the call.",
        ),
        col("speaker", Utf8, false, "agent, customer or unknown."),
        col(
            "category",
            Utf8,
            false,
            "repeat_contact, escalation, sentiment_negative, sentiment_positive or a topic_* category.",
        ),
        col(
            "language",
            Utf8,
            false,
            "The lexicon language of the phrase.",
        ),
        col(
            "phrase",
            Utf8,
            false,
            "The lexicon entry that matched, as written in the lexicon.",
        ),
        col(
            "matched_text",
            Utf8,
            false,
            "The words as transcribed (original case, accents and punctuation).",
        ),
        col(
            "char_start",
            Int32,
            false,
            "Start of matched_text in the turn's text, in Unicode characters (0-based).",
        ),
        col(
            "char_end",
            Int32,
            false,
            "End (exclusive) of matched_text in the turn's text, in Unicode characters.",
        ),
        col(
            "start_s",
            Float64,
            true,
            "Seconds into the call when the turn started, when known.",
        ),
        col(
            "negated",
            Bool,
            false,
            "Sentiment cue preceded by a negator (its polarity is flipped).",
        ),
        col(
            "intensified",
            Bool,
            false,
            "Sentiment cue preceded by an intensifier (weight 1.5).",
        ),
        col(
            "counted",
            Bool,
            false,
            "Whether the hit counts toward the call's flags (repeat_contact and escalation: customer speech only).",
        ),
        col(
            "asr_confidence",
            Float32,
            true,
            "Mean speech-to-text confidence of the words the hit covers (else its turn's); below --min-confidence the hit does not count.",
        ),
    ],
);

/// The transcripts of flagged calls (or all calls, or none: `--transcripts`), for review.
pub static TURNS: Table = Table::new(
    "turns",
    true,
    &[
        col("call_id", Utf8, false, "The call."),
        col(
            "turn",
            Int32,
            false,
            "0-based index of the turn in the call.",
        ),
        col("speaker", Utf8, false, "agent, customer or unknown."),
        col(
            "speaker_label",
            Utf8,
            false,
            "The speaker label as the source wrote it.",
        ),
        col(
            "start_s",
            Float64,
            true,
            "Seconds into the call when the turn started.",
        ),
        col(
            "end_s",
            Float64,
            true,
            "Seconds into the call when the turn ended.",
        ),
        col(
            "text",
            Utf8,
            false,
            "The turn's text as transcribed (not redacted: apply access controls).",
        ),
        col(
            "confidence",
            Float32,
            true,
            "Mean speech-to-text confidence of the turn, when the source has it.",
        ),
    ],
);

/// One row per record or file that could not be used.
pub static REJECTS: Table = Table::new(
    "rejects",
    false,
    &[
        col("source_file", Utf8, false, "The input file."),
        col(
            "source_line",
            Int64,
            true,
            "1-based line, for line-oriented inputs and the records of a JSON array; for a file that is not UTF-8, the line of its first invalid byte.",
        ),
        col(
            "call_id",
            Utf8,
            true,
            "The call_id, when the record had a readable one.",
        ),
        col(
            "reason_code",
            Utf8,
            false,
            "Stable code: invalid_json, invalid_utf8, missing_call_id, empty_turns, invalid_field, duplicate_call_id, truncated_compression, binary_file, empty_file, unreadable, unsupported_format.",
        ),
        col(
            "reason",
            Utf8,
            false,
            "The reason in words, with details (position of a JSON error, the bad value).",
        ),
    ],
);

/// Every table written by `fcrscan scan` itself (FCR tables are defined beside the linker).
pub static SCAN_TABLES: [&Table; 4] = [&CALLS, &HITS, &TURNS, &REJECTS];

impl Table {
    /// A table named `name` (its directory) with `columns` in file order, partitioned by
    /// `call_date=YYYY-MM-DD` or not.
    pub const fn new(name: &'static str, partitioned: bool, columns: &'static [Column]) -> Table {
        Table {
            name,
            partitioned,
            columns,
            arrow: OnceLock::new(),
        }
    }

    /// The Arrow schema, with each column's description in the field metadata.
    pub fn arrow_schema(&self) -> Arc<Schema> {
        self.arrow
            .get_or_init(|| {
                let fields: Vec<Field> = self
                    .columns
                    .iter()
                    .map(|c| {
                        Field::new(c.name, c.ty.data_type(), c.nullable).with_metadata(
                            HashMap::from([("description".to_string(), c.doc.to_string())]),
                        )
                    })
                    .collect();
                Arc::new(Schema::new(fields))
            })
            .clone()
    }

    /// The index of a column by name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// The Markdown table documenting `table` (used to keep docs/SCHEMA.md in sync).
pub fn markdown_table(table: &Table) -> String {
    let mut s = String::from("| column | type | nullable | description |\n|---|---|---|---|\n");
    for c in table.columns {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            c.name,
            c.ty.doc_name(),
            if c.nullable { "yes" } else { "no" },
            c.doc
        ));
    }
    s
}

/// Every table of the dataset, for documentation and checks.
pub fn all_tables() -> Vec<&'static Table> {
    let mut tables: Vec<&'static Table> = SCAN_TABLES.to_vec();
    tables.extend(crate::output::extra_tables());
    tables
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/SCHEMA.md holds, between `<!-- table:NAME -->` and `<!-- /table -->`, exactly the
    /// table generated from this file. Run with `UPDATE_SCHEMA_DOC=1` to rewrite those blocks
    /// after changing a schema (then review the diff: the schema is a contract).
    #[test]
    fn schema_doc_matches_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/SCHEMA.md");
        let doc = std::fs::read_to_string(path).expect("docs/SCHEMA.md exists");
        let mut updated = doc.clone();
        for table in all_tables() {
            let open = format!("<!-- table:{} -->\n", table.name);
            let start = updated
                .find(&open)
                .unwrap_or_else(|| panic!("docs/SCHEMA.md has no block {open:?}"))
                + open.len();
            let end = start
                + updated[start..]
                    .find("<!-- /table -->")
                    .expect("block is closed");
            updated.replace_range(start..end, &markdown_table(table));
        }
        if std::env::var_os("UPDATE_SCHEMA_DOC").is_some() {
            std::fs::write(path, &updated).unwrap();
        } else {
            assert!(
                doc == updated,
                "docs/SCHEMA.md is out of date: run `UPDATE_SCHEMA_DOC=1 cargo test --lib schema_doc` and review the diff"
            );
        }
    }

    #[test]
    fn every_table_builds_a_batch_from_a_row() {
        use crate::output::batch::BatchBuilder;
        for table in all_tables() {
            let mut b = BatchBuilder::new(table);
            let mut row = b.row();
            for c in table.columns {
                row = match c.ty {
                    ColType::Utf8 => row.str("x"),
                    ColType::Bool => row.bool(true),
                    ColType::Int32 => row.i32(1),
                    ColType::Int64 => row.i64(1),
                    ColType::Float32 => row.f32(0.5),
                    ColType::Float64 => row.f64(0.5),
                    ColType::TimestampUs => row.timestamp_us(1),
                    ColType::ListUtf8 => row.str_list(["a"]),
                };
            }
            row.end();
            let batch = b.finish().expect("the batch matches the schema");
            assert_eq!(batch.num_rows(), 1);
            assert_eq!(
                batch.schema().field(0).metadata()["description"],
                table.columns[0].doc
            );
        }
    }
}
