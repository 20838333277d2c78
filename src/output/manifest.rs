//! `DIR/runs/<run-id>.json`: what a run read, wrote and rejected, with which lexicon, and how
//! long it took; for `fcrscan link`, the options it linked with and what it rewrote. Written
//! last, after the dataset is committed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::dataset::OutputError;
use super::schema::SCHEMA_VERSION;
use crate::aggregate::RunCounts;
use crate::aggregate::fcr::FcrCounts;

/// The manifest of one run.
#[derive(Debug, Serialize)]
pub struct RunManifest {
    /// fcrscan's version.
    pub version: String,
    /// The dataset schema version.
    pub schema_version: String,
    /// This run's id (also the manifest's file name).
    pub run_id: String,
    /// When the run started, RFC 3339 UTC.
    pub started_at: String,
    /// The lexicon: where it came from, its fingerprint and phrase count.
    pub lexicon: LexiconInfo,
    /// The paths given on the command line.
    pub inputs: Vec<String>,
    /// Settings that change results.
    pub settings: BTreeMap<String, String>,
    /// What was read, written and rejected.
    pub counts: RunCounts,
    /// read = written + rejected.
    pub accounting_balanced: bool,
    /// Rows written per table by this run.
    pub rows_written: BTreeMap<String, u64>,
    /// Rows of earlier runs replaced (same call_id or source file), per table.
    pub rows_replaced: BTreeMap<String, u64>,
    /// Wall time per stage, milliseconds.
    pub timings_ms: BTreeMap<String, u64>,
}

/// The lexicon part of the manifest.
#[derive(Debug, Serialize)]
pub struct LexiconInfo {
    /// Where it came from.
    pub source: String,
    /// Its fingerprint.
    pub fingerprint: String,
    /// Number of phrases.
    pub phrases: usize,
}

impl RunManifest {
    /// Writes the manifest to `root/runs/<run_id>.json` (via a temporary name).
    pub fn write(&self, root: &Path) -> Result<PathBuf, OutputError> {
        write_manifest(root, &self.run_id, self)
    }
}

/// The manifest of `fcrscan link`, which relinks a dataset without scanning: no lexicon, inputs
/// or record counts, but the linking options it used (which the contacts and fcr tables now
/// follow, whatever the scans' manifests say) and what it rewrote.
#[derive(Debug, Serialize)]
pub struct LinkManifest {
    /// fcrscan's version.
    pub version: String,
    /// The dataset schema version.
    pub schema_version: String,
    /// This run's id (also the manifest's file name): `…Z-link…`.
    pub run_id: String,
    /// `"link"`: what tells this manifest from a scan's.
    pub command: &'static str,
    /// When the run started, RFC 3339 UTC.
    pub started_at: String,
    /// The linking options, as in a scan's manifest.
    pub settings: BTreeMap<String, String>,
    /// Calls read and linked.
    pub calls_linked: u64,
    /// The `call_date` partitions whose contacts and fcr rows were rewritten.
    pub partitions_rewritten: Vec<String>,
    /// Those partitions' FCR counts, summed.
    pub fcr_counts: FcrCounts,
    /// Rows written per table (`contacts`, `fcr`).
    pub rows_written: BTreeMap<String, u64>,
    /// Rows of the replaced partitions per table.
    pub rows_replaced: BTreeMap<String, u64>,
    /// Wall time, milliseconds (`link`).
    pub timings_ms: BTreeMap<String, u64>,
}

impl LinkManifest {
    /// Writes the manifest to `root/runs/<run_id>.json` (via a temporary name).
    pub fn write(&self, root: &Path) -> Result<PathBuf, OutputError> {
        write_manifest(root, &self.run_id, self)
    }
}

/// Writes `manifest` to `root/runs/<run_id>.json`: to a temporary name first, then renamed, so
/// a reader never sees half a manifest.
fn write_manifest(
    root: &Path,
    run_id: &str,
    manifest: &impl Serialize,
) -> Result<PathBuf, OutputError> {
    let dir = root.join("runs");
    std::fs::create_dir_all(&dir).map_err(|source| OutputError::Io {
        action: "creating",
        path: dir.clone(),
        source,
    })?;
    let path = dir.join(format!("{run_id}.json"));
    let tmp = dir.join(format!(".{run_id}.json.tmp"));
    let json = serde_json::to_string_pretty(manifest).expect("the manifest is plain data");
    std::fs::write(&tmp, json + "\n").map_err(|source| OutputError::Io {
        action: "writing",
        path: tmp.clone(),
        source,
    })?;
    std::fs::rename(&tmp, &path).map_err(|source| OutputError::Io {
        action: "moving into place",
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// The schema version, for callers that only need it.
pub fn schema_version() -> &'static str {
    SCHEMA_VERSION
}
