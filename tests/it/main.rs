//! The one integration-test binary (one link step matters on two cores). Modules by theme.

mod util;

mod accuracy;
mod cli;
mod determinism;
mod fcr;
mod formats;
mod phrases_cmd;
mod rejects;
mod report;
mod samples;

mod scan;
mod timezone;
