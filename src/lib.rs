//! fcrscan: a batch scanner for contact-center transcripts.
//!
//! The pipeline, in one paragraph: [`ingest`] discovers input files and turns every record into a
//! [`model::Call`] (or a reject with a reason); [`normalize`] folds each turn's text once
//! (NFKC, case, width, accents, punctuation) keeping a map back to the original; [`matcher`] runs
//! shared Aho-Corasick automata (one per language), built from the [`lexicon`], over the folded
//! text and reports every cue with its original span; [`score`] turns hits into per-call flags
//! and sentiment;
//! [`link`] chains the same customer's contacts over time into FCR outcomes, and [`linking`]
//! runs it after each scan over the history the night needs; [`aggregate`] holds
//! every counter that must add up across threads, shards and nights; [`output`] writes the
//! Hive-partitioned Parquet dataset; [`pipeline`] is the one place that knows about threads and
//! ordering; [`report`] reads the dataset back for people.
#![warn(missing_docs)]

pub mod aggregate;
pub mod ingest;
pub mod lexicon;
pub mod link;
pub mod linking;
pub mod matcher;
pub mod model;
pub mod normalize;
pub mod ordered;
pub mod output;
pub mod pipeline;
pub mod report;
pub mod scan;
pub mod score;
pub mod tabular;
pub mod timing;
pub mod zone;
