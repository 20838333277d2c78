//! The only module that knows Arrow and Parquet: table schemas ([`schema`]), row-by-row batch
//! building ([`batch`]), the staged, partitioned dataset ([`dataset`]), scan rows ([`rows`]) and
//! the run manifest ([`manifest`]).

pub mod batch;
pub mod dataset;
pub mod manifest;
pub mod rows;
pub mod schema;

pub use dataset::{DatasetWriter, OutputError, Replacement, StagedRun, writer_properties};
