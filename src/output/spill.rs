//! Rows that wait on disk for the rest of their row group.
//!
//! A night spanning many `call_date`s keeps a part file open per (table, date), and most of
//! them fill their next row group slowly. Holding those rows in memory made peak RSS grow with
//! the number of dates and with the input (up to the writer's whole budget); writing them out
//! early as row groups of their own kept memory down but made row groups small, and every
//! column chunk costs a pair of zstd contexts. So when the budget is exceeded, the largest
//! builders are moved here instead, as Arrow IPC (a copy of the buffers, no encoding), and read
//! back when their row group is written. The files are the same whatever the budget: a part's
//! row groups are cut by its own row stream only.
//!
//! Each spill appends one self-contained IPC stream to the part's file, which is opened only
//! for that write, so a spill holds no file descriptor while it waits (a run may have hundreds
//! of parts open).

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::StreamWriter;

use super::dataset::OutputError;

/// The spilled rows of one part's next row group.
#[derive(Debug)]
pub struct Spill {
    path: PathBuf,
    rows: usize,
}

impl Spill {
    /// An empty spill that will write to `path` (created on the first [`Spill::push`]).
    pub fn new(path: PathBuf) -> Spill {
        Spill { path, rows: 0 }
    }

    /// Rows spilled and not yet drained.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Appends `batch` after the rows already spilled.
    pub fn push(&mut self, batch: &RecordBatch) -> Result<(), OutputError> {
        let path = &self.path;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| io_error("writing spilled rows to", path, source))?;
        let arrow = |source| OutputError::Spill {
            path: path.clone(),
            source,
        };
        let mut writer =
            StreamWriter::try_new(BufWriter::with_capacity(1 << 16, file), &batch.schema())
                .map_err(arrow)?;
        writer.write(batch).map_err(arrow)?;
        // Writes the end-of-stream marker and flushes the buffer, so write errors surface here.
        writer.finish().map_err(arrow)?;
        self.rows += batch.num_rows();
        Ok(())
    }

    /// Hands every spilled batch to `sink`, in the order spilled, then deletes the file: the
    /// spill is empty again.
    pub fn drain(
        &mut self,
        mut sink: impl FnMut(&RecordBatch) -> Result<(), OutputError>,
    ) -> Result<(), OutputError> {
        if self.rows == 0 {
            return Ok(());
        }
        let path = &self.path;
        let file = File::open(path)
            .map_err(|source| io_error("reading spilled rows from", path, source))?;
        let mut reader = BufReader::with_capacity(1 << 16, file);
        let arrow = |source| OutputError::Spill {
            path: path.clone(),
            source,
        };
        // One stream per push, back to back: each ends with its end-of-stream marker, and the
        // reader stops there, so the next starts where it left off.
        while !reader
            .fill_buf()
            .map_err(|source| io_error("reading spilled rows from", path, source))?
            .is_empty()
        {
            let stream = StreamReader::try_new(&mut reader, None).map_err(arrow)?;
            // SAFETY: this process wrote the stream moments ago in [`Spill::push`], from record
            // batches whose arrays were checked when they were built (their strings were `&str`),
            // into the run's own staging directory; nothing else writes there. Skipping the
            // reader's checks saves validating every spilled string as UTF-8 a second time
            // (1.6% of the 1 GB benchmark's CPU time).
            let stream = unsafe { stream.with_skip_validation(true) };
            for batch in stream {
                sink(&batch.map_err(arrow)?)?;
            }
        }
        drop(reader);
        fs::remove_file(path).map_err(|source| io_error("removing", path, source))?;
        self.rows = 0;
        Ok(())
    }
}

fn io_error(action: &'static str, path: &Path, source: std::io::Error) -> OutputError {
    OutputError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Int64Array, StringArray};
    use arrow_schema::{DataType, Field, Schema};

    use super::*;

    fn batch(from: i64, n: i64) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("s", DataType::Utf8, true),
        ]));
        let ns: Vec<i64> = (from..from + n).collect();
        let ss: Vec<Option<String>> = ns
            .iter()
            .map(|i| (i % 3 != 0).then(|| format!("row {i} é")))
            .collect();
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(ns)),
                Arc::new(StringArray::from(ss)),
            ],
        )
        .unwrap()
    }

    #[test]
    fn batches_come_back_in_order_and_the_file_goes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.arrow");
        let mut spill = Spill::new(path.clone());
        let pushed = [batch(0, 5), batch(5, 1), batch(6, 300)];
        for b in &pushed {
            spill.push(b).unwrap();
        }
        assert_eq!(spill.rows(), 306);
        let mut back = Vec::new();
        spill
            .drain(|b| {
                back.push(b.clone());
                Ok(())
            })
            .unwrap();
        assert_eq!(back, pushed);
        assert!(!path.exists());
        assert_eq!(spill.rows(), 0);
        // Usable again after draining, and draining an empty spill does nothing.
        spill.push(&pushed[1]).unwrap();
        let mut n = 0;
        spill
            .drain(|b| {
                n += b.num_rows();
                Ok(())
            })
            .unwrap();
        assert_eq!(n, 1);
        spill.drain(|_| panic!("nothing to drain")).unwrap();
    }
}
