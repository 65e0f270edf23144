//! What a run writes besides the shards' contents: manifest types, side-output records, the
//! shard writer threads and the finishing of output files (renamed, or converted to Parquet).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::{Receiver, Sender};
use serde::Serialize;

use crate::config::OutputFormat;
use crate::io::parquet::{self, Table};
use crate::io::pool::BufPool;
use crate::io::writer::{self, FileState, FileSummary, JsonlWriter};
use crate::Error;

/// An input file as recorded in the manifest.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct InputSummary {
    /// Path as named.
    pub path: String,
    /// Detected codec.
    pub codec: Option<&'static str>,
    /// Lines read.
    pub lines: u64,
    /// Uncompressed bytes read.
    pub bytes: u64,
    /// True when read to the end without a decompression or read error.
    pub complete: bool,
    /// `jsonl` or `warc`.
    pub format: &'static str,
    /// WARC records that were not HTML responses, skipped (0 for JSONL).
    pub skipped_records: u64,
}

/// `manifest.json`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Manifest {
    /// corpusmill version that wrote the output.
    pub corpusmill_version: &'static str,
    /// The effective config (without execution settings such as threads).
    pub config: serde_json::Value,
    /// Inputs in processing order.
    pub inputs: Vec<InputSummary>,
    /// Shards in order.
    pub shards: Vec<FileSummary>,
    /// Side outputs: rejected, duplicates, errors.
    pub side_outputs: Vec<FileSummary>,
    /// Totals.
    pub totals: Totals,
}

/// Totals in the manifest.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Totals {
    /// Records read.
    pub docs_in: u64,
    /// Documents written to shards.
    pub docs_written: u64,
    /// Documents rejected by a stage.
    pub rejected: u64,
    /// Duplicates removed.
    pub duplicates: u64,
    /// Bad input records.
    pub errors: u64,
}

#[derive(Serialize)]
pub(super) struct DuplicateRecord<'a> {
    pub(super) id: &'a str,
    pub(super) duplicate_of: &'a str,
    pub(super) kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) similarity: Option<f64>,
    pub(super) source: String,
}

#[derive(Serialize)]
pub(super) struct RejectedRecord<'a> {
    pub(super) id: &'a str,
    pub(super) reason: String,
    pub(super) stage: &'static str,
    pub(super) rule: &'static str,
    pub(super) value: f64,
    pub(super) threshold: f64,
    pub(super) source: String,
}

/// What the collector sends a shard writer thread.
pub(super) enum WriterMsg {
    /// A block of complete lines for a shard, with its record count.
    Block(usize, Vec<u8>, u64),
    /// End a frame in every shard of the thread, fsync, and reply with their states.
    Checkpoint(Sender<crate::Result<Vec<(usize, FileState)>>>),
}

/// How a complete output file becomes one of the run's files: renamed as it is (JSONL), or, in
/// a Parquet run, converted from its spool (see [`crate::io::parquet`]).
pub(super) struct Finisher<'a> {
    pub(super) dir: &'a Path,
    pub(super) format: OutputFormat,
    pub(super) zstd_level: i32,
    /// The schema of the shards.
    pub(super) kept: Table,
}

impl Finisher<'_> {
    /// Finishes `w`, whose records have the schema `table` (`None`: always JSONL, as
    /// `errors.jsonl`).
    pub(super) fn finish(
        &self,
        w: JsonlWriter,
        table: Option<&Table>,
    ) -> crate::Result<FileSummary> {
        match (self.format, table) {
            (OutputFormat::Parquet, Some(t)) => {
                let name = writer::parquet_name(w.name());
                let (spool, st) = w.finish_spool()?;
                parquet::convert(&spool, self.dir, &name, t, self.zstd_level, st.raw_bytes)
            }
            _ => w.finish(),
        }
    }

    /// Removes a Parquet run's spool files (once its manifest is written: until then they let
    /// `--resume` continue the run).
    pub(super) fn remove_spools(&self, shards: usize) -> crate::Result<()> {
        if self.format != OutputFormat::Parquet {
            return Ok(());
        }
        let names = (0..shards)
            .map(writer::shard_name)
            .chain(["rejected.jsonl.zst".into(), "duplicates.jsonl.zst".into()]);
        for name in names {
            let p = self.dir.join(format!("{name}.tmp"));
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&p, e)),
            }
        }
        Ok(())
    }
}

/// A shard writer thread: appends blocks to its shards, then finishes them.
pub(super) fn write_shards(
    mut group: Vec<(usize, JsonlWriter)>,
    rx: Receiver<WriterMsg>,
    abort: &AtomicBool,
    blocks: &BufPool,
    fin: &Finisher<'_>,
) -> crate::Result<Vec<FileSummary>> {
    let pos: BTreeMap<usize, usize> = group
        .iter()
        .enumerate()
        .map(|(p, (i, _))| (*i, p))
        .collect();
    let mut failed = None;
    while let Ok(msg) = rx.recv() {
        let (shard, block, n) = match msg {
            WriterMsg::Block(shard, block, n) => (shard, block, n),
            WriterMsg::Checkpoint(reply) => {
                let states = match &failed {
                    Some(e) => Err(Error::Internal(format!("a shard writer failed: {e}"))),
                    None => group
                        .iter_mut()
                        .map(|(i, w)| Ok((*i, w.checkpoint()?)))
                        .collect(),
                };
                let _ = reply.send(states);
                continue;
            }
        };
        if failed.is_some() {
            continue;
        }
        if let Some(&p) = pos.get(&shard) {
            if let Err(e) = group[p].1.write_raw(&block, n) {
                failed = Some(e);
            }
        }
        blocks.put(block);
    }
    // The channel closes on success and on abort alike; only a clean end finalizes shards.
    // Otherwise the `.tmp` files stay for `--resume` (the run removes them when it cannot be
    // resumed).
    if failed.is_some() || abort.load(Ordering::SeqCst) {
        for (_, w) in group {
            w.leave();
        }
        // Stopped because another thread failed: that thread reports why.
        return failed.map_or(Ok(Vec::new()), Err);
    }
    group
        .into_iter()
        .map(|(_, w)| fin.finish(w, Some(&fin.kept)))
        .collect()
}
