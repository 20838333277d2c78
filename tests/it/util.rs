//! Test helpers: a temporary workspace, running the built binary, and reading the Parquet
//! dataset back with arrow into plain rows.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow_array::{
    Array, BooleanArray, Float32Array, Float64Array, Int32Array, Int64Array, ListArray,
    RecordBatch, StringArray,
};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary directory with helpers to write inputs and run fcrscan in it.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        Workspace {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// Runs the fcrscan binary with `args` in this workspace.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_fcrscan"))
            .current_dir(self.dir.path())
            .args(args)
            .output()
            .expect("running fcrscan")
    }
}

/// One value read back from Parquet.
#[derive(Clone, Debug, PartialEq, PartialOrd)]
pub enum Value {
    Null,
    Str(String),
    Bool(bool),
    Int(i64),
    Float(f64),
    List(Vec<String>),
}

impl Value {
    pub fn str(&self) -> &str {
        match self {
            Value::Str(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }
    pub fn bool(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            other => panic!("not a bool: {other:?}"),
        }
    }
    pub fn int(&self) -> i64 {
        match self {
            Value::Int(i) => *i,
            other => panic!("not an int: {other:?}"),
        }
    }
    pub fn float(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            Value::Null => None,
            other => panic!("not a float: {other:?}"),
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// A row: column name → value, plus `call_date` from the partition directory.
pub type Row = BTreeMap<String, Value>;

/// Reads every Parquet file of `table` under `out` (sorted by path), adding the `call_date`
/// partition value from the directory name.
pub fn read_table(out: &Path, table: &str) -> Vec<Row> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(out.join(table))
        .into_iter()
        .flatten()
        .map(|e| e.path().to_path_buf())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    files.sort();
    let mut rows = Vec::new();
    for file in files {
        let date = file
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("call_date="))
            .map(str::to_string);
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&file).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            for i in 0..batch.num_rows() {
                let mut row = batch_row(&batch, i);
                if let Some(d) = &date {
                    row.insert("call_date".into(), Value::Str(d.clone()));
                }
                rows.push(row);
            }
        }
    }
    rows
}

fn batch_row(batch: &RecordBatch, i: usize) -> Row {
    let mut row = Row::new();
    for (field, col) in batch.schema().fields().iter().zip(batch.columns()) {
        let v = if col.is_null(i) {
            Value::Null
        } else if let Some(a) = col.as_any().downcast_ref::<StringArray>() {
            Value::Str(a.value(i).to_string())
        } else if let Some(a) = col.as_any().downcast_ref::<BooleanArray>() {
            Value::Bool(a.value(i))
        } else if let Some(a) = col.as_any().downcast_ref::<Int32Array>() {
            Value::Int(a.value(i).into())
        } else if let Some(a) = col.as_any().downcast_ref::<Int64Array>() {
            Value::Int(a.value(i))
        } else if let Some(a) = col.as_any().downcast_ref::<Float32Array>() {
            Value::Float(a.value(i).into())
        } else if let Some(a) = col.as_any().downcast_ref::<Float64Array>() {
            Value::Float(a.value(i))
        } else if let Some(a) = col
            .as_any()
            .downcast_ref::<arrow_array::TimestampMicrosecondArray>()
        {
            Value::Int(a.value(i))
        } else if let Some(a) = col.as_any().downcast_ref::<ListArray>() {
            let inner = a.value(i);
            let s = inner
                .as_any()
                .downcast_ref::<StringArray>()
                .expect("list of strings");
            Value::List((0..s.len()).map(|j| s.value(j).to_string()).collect())
        } else {
            panic!("unexpected type for {}", field.name())
        };
        row.insert(field.name().clone(), v);
    }
    row
}

/// Rows keyed by `call_id`.
pub fn by_call_id(rows: Vec<Row>) -> BTreeMap<String, Row> {
    rows.into_iter()
        .map(|r| (r["call_id"].str().to_string(), r))
        .collect()
}

/// The single run manifest in `out/runs` (panics if there is not exactly one).
pub fn manifest(out: &Path) -> serde_json::Value {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    runs.sort();
    let last = runs.last().expect("a manifest");
    serde_json::from_str(&std::fs::read_to_string(last).unwrap()).unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The run id each Parquet file of one partition was written by (from its footer), by file
/// name.
pub fn file_run_ids(partition: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(partition)
        .unwrap()
        .flatten()
        .map(|e| {
            let file = std::fs::File::open(e.path()).unwrap();
            let reader = parquet::file::reader::SerializedFileReader::new(file).unwrap();
            let run_id = parquet::file::reader::FileReader::metadata(&reader)
                .file_metadata()
                .key_value_metadata()
                .and_then(|kvs| kvs.iter().find(|kv| kv.key == "fcrscan.run_id"))
                .and_then(|kv| kv.value.clone())
                .expect("a run id");
            (e.file_name().to_string_lossy().into_owned(), run_id)
        })
        .collect()
}
