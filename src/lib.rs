//! corpusmill: a streaming, multi-stage parallel pipeline for large article corpora.
//!
//! Reads compressed JSONL dumps ([`io`]), cleans the text ([`clean`]), removes exact and near
//! duplicates ([`dedup`]), extracts named entities ([`entities`]) and writes sharded,
//! zstd-compressed JSONL or Parquet ([`io::parquet`]) with a manifest and statistics.
//! [`pipeline::run`] wires the stages; [`pipeline::Stream`] runs them in-process on records
//! handed to it (the Python package's `Pipeline`), [`pipeline::Cleaner`] on one text; each
//! stage is also usable on its own through its config type's `build()` and its `process` method.
//!
//! ```no_run
//! use corpusmill::config::Config;
//! let mut config = Config::default();
//! config.input.paths = vec!["dumps/".into()];
//! let summary = corpusmill::pipeline::run(&config, &corpusmill::pipeline::NoProgress)?;
//! println!("{} documents written", summary.stats.docs_written);
//! # Ok::<(), corpusmill::Error>(())
//! ```

#![warn(missing_docs)]

pub mod clean;
pub mod config;
pub mod dedup;
pub mod doc;
pub mod entities;
mod error;
#[cfg(feature = "harness")]
pub mod harness;
pub mod hash;
pub mod io;
pub mod pipeline;
#[cfg(feature = "python")]
mod python;
pub mod rng;
pub mod stage;
pub mod stats;

pub use error::{Error, Result};
