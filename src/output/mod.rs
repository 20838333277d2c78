//! The only module that knows Arrow and Parquet: table schemas ([`schema`]), row-by-row batch
//! building ([`batch`]), the staged, partitioned dataset ([`dataset`]), scan rows ([`rows`]) and
//! the run manifest ([`manifest`]), the set of call_ids a run wrote ([`id_set`]) and rows that
//! wait on disk for their row group ([`spill`]); the FCR tables ([`fcr_tables`]), reading the
//! dataset back for linking ([`history`]) and linking inputs that wait on disk for their shard
//! ([`shard_files`]); one writing run at a time per dataset ([`lock`]).

pub mod batch;
pub mod dataset;
pub mod fcr_tables;
pub mod history;
pub mod id_set;
pub mod lock;
pub mod manifest;
pub mod rows;
pub mod schema;
pub mod shard_files;
pub mod spill;

pub use dataset::{DatasetWriter, OutputError, Replacement, StagedRun, writer_properties};

/// Tables defined outside the scan (FCR linking adds contacts and fcr).
pub fn extra_tables() -> Vec<&'static schema::Table> {
    fcr_tables::FCR_TABLES.to_vec()
}
