//! The two single-threaded stations of the main pass.
//!
//! The ordered stage re-sequences the workers' batches, counts and reports bad input, decides
//! exact and near duplicates in input order ("first seen wins") and sends each batch's kept
//! documents back to the workers for the stages after the decision. The collector re-sequences
//! the finished batches and appends their records to the shard buffers and `rejected.jsonl.zst`,
//! in input order, so every output is byte-identical for any thread count.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender};

use crate::io::errors::{Action, ErrorKind};
use crate::io::pool::BufPool;
use crate::io::writer::JsonlWriter;
use crate::stage::{Candidate, Decision, OrderedStage};
use crate::stats::{StageStats, Stats};
use crate::Error;

use super::output::DuplicateRecord;
use super::work::{round4, Decidable, Done, Finished, Item, KeptBatch, Outcome};
use super::Progress;

/// An ordered stage with its slot in the per-stage figures.
pub(super) struct Decider {
    pub(super) fig: usize,
    pub(super) stage: Box<dyn OrderedStage>,
}

/// What the ordered stage counted.
pub(super) struct Decided {
    pub(super) stats: Stats,
    /// Per-stage figures of the ordered stages, indexed like `Plan::names`.
    pub(super) figs: Vec<StageStats>,
}

/// The ordered stage: runs until `results` closes; `kept` closes when it returns.
pub(super) fn decide(
    results: Receiver<Decidable>,
    deciders: &mut [Decider],
    nfigs: usize,
    duplicates: &mut JsonlWriter,
    errors: &mut JsonlWriter,
    kept: Sender<KeptBatch>,
    strict: bool,
) -> crate::Result<Decided> {
    let mut stats = Stats::default();
    let mut figs = vec![StageStats::default(); nfigs];
    let mut pending: BTreeMap<u64, Decidable> = BTreeMap::new();
    let mut next = 0u64;
    while let Ok(p) = results.recv() {
        pending.insert(p.seq, p);
        while let Some(p) = pending.remove(&next) {
            next += 1;
            stats.bytes_in += p.bytes;
            let docs_before = stats.docs_in;
            let mut items = Vec::with_capacity(p.outcomes.len());
            let mut outcomes = p.outcomes.into_iter().peekable();
            while let Some(o) = outcomes.next() {
                match o {
                    Outcome::Error(err) => {
                        if err.kind != ErrorKind::TruncatedInput && err.kind != ErrorKind::ReadError
                        {
                            stats.lines_in += u64::from(err.action != Action::Repaired);
                        }
                        *stats.errors.entry(err.kind.name().to_string()).or_insert(0) += 1;
                        errors.write_json(&err)?;
                        if strict {
                            return Err(Error::Strict(err.to_string()));
                        }
                    }
                    Outcome::Rejected { stage, rule, json } => {
                        stats.lines_in += 1;
                        stats.docs_in += 1;
                        stats.reject(stage, rule);
                        items.push(Item::Rejected(json));
                    }
                    Outcome::Doc(mut doc) => {
                        stats.lines_in += 1;
                        stats.docs_in += 1;
                        if let Some(Outcome::Doc(next)) = outcomes.peek() {
                            let cand = Candidate::of(next);
                            for d in deciders.iter_mut() {
                                d.stage.prepare(&cand);
                            }
                        }
                        let mut removed = false;
                        for d in deciders.iter_mut() {
                            let started = Instant::now();
                            let decision = d.stage.decide(&Candidate::of(&doc))?;
                            let fig = &mut figs[d.fig];
                            fig.seconds += started.elapsed().as_secs_f64();
                            fig.docs_in += 1;
                            match decision {
                                Decision::Keep => {}
                                Decision::Annotate { key, value } => {
                                    doc.annotations.push((key, value))
                                }
                                Decision::Remove(dup) => {
                                    fig.docs_dropped += 1;
                                    *stats.duplicates.entry(dup.kind.to_string()).or_insert(0) += 1;
                                    duplicates.write_json(&DuplicateRecord {
                                        id: &doc.id,
                                        duplicate_of: &dup.duplicate_of,
                                        kind: dup.kind,
                                        similarity: dup.similarity.map(round4),
                                        source: doc.origin.to_string(),
                                    })?;
                                    removed = true;
                                    break;
                                }
                            }
                        }
                        if !removed {
                            items.push(Item::Doc(doc));
                        }
                    }
                }
            }
            let batch = KeptBatch {
                seq: next - 1,
                bytes: p.bytes,
                docs: stats.docs_in - docs_before,
                items,
            };
            if kept.send(batch).is_err() {
                return Err(Error::Internal(
                    "the workers stopped before the run ended".into(),
                ));
            }
        }
    }
    if !pending.is_empty() {
        return Err(Error::Internal(
            "a worker stopped before finishing its batches".into(),
        ));
    }
    Ok(Decided { stats, figs })
}

/// What the collector counted.
#[derive(Default)]
pub(super) struct Collected {
    pub(super) docs_written: u64,
    pub(super) bytes_out: u64,
    /// Documents dropped by stages after the decision, per (stage, rule).
    pub(super) rejected: Vec<(&'static str, &'static str)>,
}

/// Where the collector sends shard blocks and reports progress.
pub(super) struct Sinks<'a> {
    pub(super) write_txs: Vec<Sender<(usize, Vec<u8>, u64)>>,
    pub(super) blocks: &'a BufPool,
    pub(super) rejected: &'a mut JsonlWriter,
    pub(super) progress: &'a dyn Progress,
    pub(super) raw_bytes: &'a AtomicU64,
    pub(super) abort: &'a AtomicBool,
}

/// The collector: runs until `finished` closes, then flushes every shard buffer.
pub(super) fn collect(
    finished: Receiver<crate::Result<Finished>>,
    nshards: usize,
    sinks: Sinks<'_>,
) -> crate::Result<Collected> {
    const SHARD_FLUSH: usize = 256 << 10;
    const TOTAL_FLUSH: usize = 64 << 20;
    let Sinks {
        write_txs,
        blocks,
        rejected,
        progress,
        raw_bytes,
        abort,
    } = sinks;
    let nwriters = write_txs.len();
    let send = |shard: usize, buf: Vec<u8>, n: u64| -> crate::Result<()> {
        write_txs[shard % nwriters]
            .send((shard, buf, n))
            .map_err(|_| Error::Internal("a shard writer stopped".into()))
    };
    let mut out = Collected::default();
    let mut shard_buf: Vec<(Vec<u8>, u64)> = (0..nshards).map(|_| (Vec::new(), 0)).collect();
    let mut buffered = 0usize;
    let mut pending: BTreeMap<u64, Finished> = BTreeMap::new();
    let mut next = 0u64;
    let (mut bytes, mut docs) = (0u64, 0u64);
    while let Ok(f) = finished.recv() {
        let f = f?;
        pending.insert(f.seq, f);
        while let Some(f) = pending.remove(&next) {
            next += 1;
            bytes += f.bytes;
            docs += f.docs;
            for d in f.items {
                let (shard, json) = match d {
                    Done::Record { shard, json } => (shard, json),
                    Done::Rejected { json, counted } => {
                        out.rejected.extend(counted);
                        rejected.write_line(&json)?;
                        continue;
                    }
                };
                out.docs_written += 1;
                out.bytes_out += json.len() as u64 + 1;
                let (buf, n) = &mut shard_buf[shard];
                if buf.capacity() == 0 {
                    *buf = blocks.get(SHARD_FLUSH + (SHARD_FLUSH >> 2));
                }
                buf.extend_from_slice(&json);
                buf.push(b'\n');
                *n += 1;
                buffered += json.len() + 1;
                if buf.len() >= SHARD_FLUSH {
                    buffered -= buf.len();
                    let (b, c) = std::mem::take(&mut shard_buf[shard]);
                    send(shard, b, c)?;
                }
                if buffered >= TOTAL_FLUSH {
                    for (i, sb) in shard_buf.iter_mut().enumerate() {
                        if sb.1 > 0 {
                            let (b, c) = std::mem::take(sb);
                            send(i, b, c)?;
                        }
                    }
                    buffered = 0;
                }
            }
            progress.update(raw_bytes.load(Ordering::Relaxed), bytes, docs);
        }
        if abort.load(Ordering::Relaxed) {
            return Err(Error::Internal("run aborted".into()));
        }
    }
    if !pending.is_empty() {
        return Err(Error::Internal(
            "a worker stopped before finishing its batches".into(),
        ));
    }
    for (i, sb) in shard_buf.iter_mut().enumerate() {
        if sb.1 > 0 {
            let (b, c) = std::mem::take(sb);
            send(i, b, c)?;
        }
    }
    Ok(out)
}
