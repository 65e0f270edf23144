//! The collector: the last single-threaded station of the main pass.
//!
//! It re-sequences the finished batches, appends their records to the shard buffers and their
//! rejected lines to `rejected.jsonl.zst`, in input order, so every output is byte-identical for
//! any thread count. It counts what the stages after the duplicate decision did, reports
//! progress, and writes checkpoints (see [`super::checkpoint`]): every `output.checkpoint_mb` of
//! output records, and when the run is stopped by a signal.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::{bounded, Receiver, Sender};

use crate::io::pool::BufPool;
use crate::io::writer::{FileState, JsonlWriter};
use crate::Error;

use super::checkpoint::{Checkpoint, Written};
use super::output::WriterMsg;
use super::work::{Done, Finished};
use super::{Progress, Snapshot, StageClock};

/// Everything the collector writes to and reads from.
pub(super) struct Collector<'a> {
    pub(super) write_txs: Vec<Sender<WriterMsg>>,
    pub(super) blocks: &'a BufPool,
    pub(super) rejected: &'a mut JsonlWriter,
    pub(super) progress: &'a dyn Progress,
    /// CPU time per stage so far (for the slowest stage in progress).
    pub(super) clock: &'a StageClock,
    pub(super) abort: &'a AtomicBool,
    /// The output folder, for `checkpoint.json`.
    pub(super) dir: &'a Path,
    /// The run's fingerprint, written into every checkpoint.
    pub(super) run: &'a serde_json::Value,
    /// Uncompressed output bytes between periodic checkpoints (0: none).
    pub(super) every: u64,
    /// Stage names, indexed like the figures' slots.
    pub(super) names: &'a [&'static str],
}

const SHARD_FLUSH: usize = 256 << 10;
const TOTAL_FLUSH: usize = 64 << 20;

impl Collector<'_> {
    fn send(&self, shard: usize, buf: Vec<u8>, n: u64) -> crate::Result<()> {
        self.write_txs[shard % self.write_txs.len()]
            .send(WriterMsg::Block(shard, buf, n))
            .map_err(|_| Error::Internal("a shard writer stopped".into()))
    }

    fn flush_all(&self, shard_buf: &mut [(Vec<u8>, u64)]) -> crate::Result<()> {
        for (i, sb) in shard_buf.iter_mut().enumerate() {
            if sb.1 > 0 {
                let (b, c) = std::mem::take(sb);
                self.send(i, b, c)?;
            }
        }
        Ok(())
    }

    /// Ends a frame in every file, fsyncs, and saves `checkpoint.json` for `state`.
    fn checkpoint(
        &mut self,
        state: &mut Written,
        shard_buf: &mut [(Vec<u8>, u64)],
    ) -> crate::Result<()> {
        self.flush_all(shard_buf)?;
        let (tx, rx) = bounded::<crate::Result<Vec<(usize, FileState)>>>(self.write_txs.len());
        for w in &self.write_txs {
            w.send(WriterMsg::Checkpoint(tx.clone()))
                .map_err(|_| Error::Internal("a shard writer stopped".into()))?;
        }
        drop(tx);
        for _ in 0..self.write_txs.len() {
            let states = rx
                .recv()
                .map_err(|_| Error::Internal("a shard writer stopped".into()))??;
            for (i, st) in states {
                if let Some(slot) = state.shards.get_mut(i) {
                    *slot = st;
                }
            }
        }
        state.rejected = self.rejected.checkpoint()?;
        Checkpoint {
            run: self.run.clone(),
            written: state.clone(),
        }
        .save(self.dir)
    }

    /// Runs until `finished` closes, then flushes every shard buffer. Starts from `state` (a
    /// resumed run's checkpoint, or nothing written) and returns what was written in all.
    pub(super) fn run(
        mut self,
        finished: Receiver<crate::Result<Finished>>,
        state: Written,
    ) -> crate::Result<Written> {
        let r = self.drive(finished, state);
        if r.is_err() {
            // Before the writers see their channels close, so they leave their files unfinished.
            self.abort.store(true, Ordering::SeqCst);
        }
        r
    }

    fn drive(
        &mut self,
        finished: Receiver<crate::Result<Finished>>,
        mut state: Written,
    ) -> crate::Result<Written> {
        let mut shard_buf: Vec<(Vec<u8>, u64)> =
            (0..state.shards.len()).map(|_| (Vec::new(), 0)).collect();
        let mut buffered = 0usize;
        let mut pending: BTreeMap<u64, Finished> = BTreeMap::new();
        let mut next = 0u64;
        let mut now = Snapshot::default();
        let next_mark = |out: u64, every: u64| (out / every + 1) * every;
        let mut mark = if self.every > 0 {
            next_mark(state.bytes_out, self.every)
        } else {
            u64::MAX
        };
        while let Ok(f) = finished.recv() {
            let f = f?;
            pending.insert(f.seq, f);
            while let Some(f) = pending.remove(&next) {
                next += 1;
                now.bytes += f.bytes;
                now.raw_bytes += f.raw;
                now.docs += f.docs;
                now.kept += f.kept;
                for (stage, name, n) in f.counters.iter() {
                    *state
                        .after_counters
                        .entry(stage.to_string())
                        .or_default()
                        .entry(name.to_string())
                        .or_insert(0) += n;
                }
                for (fig, st) in &f.figs {
                    let name = self.names.get(*fig).copied().unwrap_or("?");
                    state
                        .after_stages
                        .entry(name.to_string())
                        .or_default()
                        .merge(st);
                }
                for d in f.items {
                    let (index, shard, json) = match d {
                        Done::Record { index, shard, json } => (index, shard, json),
                        Done::Rejected {
                            index,
                            json,
                            counted,
                        } => {
                            if let Some((stage, rule)) = counted {
                                *state
                                    .after_rejected
                                    .entry(stage.to_string())
                                    .or_default()
                                    .entry(rule.to_string())
                                    .or_insert(0) += 1;
                            }
                            self.rejected.write_line(&json)?;
                            state.next_entry = index + 1;
                            continue;
                        }
                    };
                    state.docs_written += 1;
                    state.bytes_out += json.len() as u64 + 1;
                    state.next_entry = index + 1;
                    let (buf, n) = &mut shard_buf[shard];
                    if buf.capacity() == 0 {
                        *buf = self.blocks.get(SHARD_FLUSH + (SHARD_FLUSH >> 2));
                    }
                    buf.extend_from_slice(&json);
                    buf.push(b'\n');
                    *n += 1;
                    buffered += json.len() + 1;
                    if buf.len() >= SHARD_FLUSH {
                        buffered -= buf.len();
                        let (b, c) = std::mem::take(&mut shard_buf[shard]);
                        self.send(shard, b, c)?;
                    }
                    if buffered >= TOTAL_FLUSH {
                        self.flush_all(&mut shard_buf)?;
                        buffered = 0;
                    }
                    if state.bytes_out >= mark {
                        // At a fixed amount of output, so frames end at the same records in
                        // every run of the same input and config.
                        self.checkpoint(&mut state, &mut shard_buf)?;
                        buffered = 0;
                        mark = next_mark(state.bytes_out, self.every);
                    }
                }
                now.dropped = now.docs.saturating_sub(now.kept);
                now.slowest = self.clock.slowest(self.names);
                self.progress.update(&now);
                if self.progress.cancelled() {
                    self.checkpoint(&mut state, &mut shard_buf)?;
                    return Err(Error::Interrupted(format!(
                        "stopped after {} of the input's records ({} written); continue with \
                         --resume",
                        state.next_entry, state.docs_written
                    )));
                }
            }
            if self.abort.load(Ordering::Relaxed) {
                return Err(Error::Internal("run aborted".into()));
            }
        }
        if !pending.is_empty() {
            return Err(Error::Internal(
                "a worker stopped before finishing its batches".into(),
            ));
        }
        self.flush_all(&mut shard_buf)?;
        Ok(state)
    }
}
