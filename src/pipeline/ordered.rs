//! The ordered stage: the single-threaded station between the two halves of the worker chain.
//!
//! It re-sequences the workers' batches, counts and reports bad input, decides exact and near
//! duplicates in input order ("first seen wins") and sends each batch's kept documents back to
//! the workers for the stages after the decision. In a resumed run, documents before the
//! checkpoint are decided again (which rebuilds the indexes) but not sent on.

use std::collections::BTreeMap;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender};

use crate::io::errors::{Action, ErrorKind};
use crate::io::writer::JsonlWriter;
use crate::stage::{Candidate, Decision, OrderedStage};
use crate::stats::{StageStats, Stats};
use crate::Error;

use super::output::DuplicateRecord;
use super::work::{round4, Decidable, Item, KeptBatch, Outcome};

/// Lines of `errors.jsonl` per kind of error; past this, errors are only counted.
pub const ERROR_LINES_PER_KIND: u64 = 1000;

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

/// Where the ordered stage writes, and from where it sends documents on.
pub(super) struct Sides<'a> {
    pub(super) duplicates: &'a mut JsonlWriter,
    pub(super) errors: &'a mut JsonlWriter,
    pub(super) kept: Sender<KeptBatch>,
    pub(super) strict: bool,
    /// Input records before this position were written before a checkpoint: they are decided
    /// again but not sent on.
    pub(super) replay_until: u64,
}

/// The decisions on one batch after another, in input order: what [`decide`] runs for each
/// batch (and the in-process [`super::stream::Stream`] too, without side files).
pub(super) struct Ordered<'a, 'd> {
    pub(super) deciders: &'d mut [Decider],
    /// `duplicates.jsonl.zst` (none in a stream).
    pub(super) duplicates: Option<&'a mut JsonlWriter>,
    /// `errors.jsonl` (none in a stream).
    pub(super) errors: Option<&'a mut JsonlWriter>,
    pub(super) strict: bool,
    pub(super) replay_until: u64,
    pub(super) stats: Stats,
    pub(super) figs: Vec<StageStats>,
}

impl Ordered<'_, '_> {
    /// Decides the documents of batch `seq`, counts its rejections and bad records, and
    /// returns what goes on to the stages after the decision.
    pub(super) fn batch(&mut self, seq: u64, p: Decidable) -> crate::Result<KeptBatch> {
        let stats = &mut self.stats;
        stats.bytes_in += p.bytes;
        let docs_before = stats.docs_in;
        let mut items = Vec::with_capacity(p.outcomes.len());
        let mut kept_docs = 0u64;
        let mut outcomes = p.outcomes.into_iter().peekable();
        while let Some(o) = outcomes.next() {
            match o {
                Outcome::Error(err) => {
                    if err.kind != ErrorKind::TruncatedInput && err.kind != ErrorKind::ReadError {
                        stats.lines_in += u64::from(err.action != Action::Repaired);
                    }
                    let n = stats.errors.entry(err.kind.name().to_string()).or_insert(0);
                    *n += 1;
                    // Past the cap only the count grows (10M empty lines must not write a
                    // gigabyte of reports); the last line of the file says how many.
                    if let Some(errors) = self.errors.as_deref_mut() {
                        if *n <= ERROR_LINES_PER_KIND {
                            errors.write_json(&err)?;
                        }
                    }
                    if self.strict {
                        return Err(Error::Strict(err.to_string()));
                    }
                }
                Outcome::Rejected {
                    index,
                    stage,
                    rule,
                    json,
                } => {
                    stats.lines_in += 1;
                    stats.docs_in += 1;
                    stats.reject(stage, rule);
                    if index >= self.replay_until {
                        items.push(Item::Rejected(index, json));
                    }
                }
                Outcome::Doc(mut doc) => {
                    stats.lines_in += 1;
                    stats.docs_in += 1;
                    if let Some(Outcome::Doc(next)) = outcomes.peek() {
                        let cand = Candidate::of(next);
                        for d in self.deciders.iter_mut() {
                            d.stage.prepare(&cand);
                        }
                    }
                    let mut removed = false;
                    for d in self.deciders.iter_mut() {
                        let started = Instant::now();
                        let decision = d.stage.decide(&Candidate::of(&doc))?;
                        let fig = &mut self.figs[d.fig];
                        fig.seconds += started.elapsed().as_secs_f64();
                        fig.docs_in += 1;
                        match decision {
                            Decision::Keep => {}
                            Decision::Annotate { key, value } => doc.annotations.push((key, value)),
                            Decision::Remove(dup) => {
                                fig.docs_dropped += 1;
                                *stats.duplicates.entry(dup.kind.to_string()).or_insert(0) += 1;
                                if let Some(w) = self.duplicates.as_deref_mut() {
                                    w.write_json(&DuplicateRecord {
                                        id: &doc.id,
                                        duplicate_of: &dup.duplicate_of,
                                        kind: dup.kind,
                                        similarity: dup.similarity.map(round4),
                                        source: doc.origin.to_string(),
                                    })?;
                                }
                                removed = true;
                                break;
                            }
                        }
                    }
                    kept_docs += u64::from(!removed);
                    if !removed && doc.seq >= self.replay_until {
                        items.push(Item::Doc(doc));
                    }
                }
            }
        }
        Ok(KeptBatch {
            seq,
            bytes: p.bytes,
            raw: p.raw,
            docs: stats.docs_in - docs_before,
            kept: kept_docs,
            items,
        })
    }
}

/// The ordered stage: runs until `results` closes; `kept` closes when it returns.
pub(super) fn decide(
    results: Receiver<Decidable>,
    deciders: &mut [Decider],
    nfigs: usize,
    sides: Sides<'_>,
) -> crate::Result<Decided> {
    let Sides {
        duplicates,
        errors,
        kept,
        strict,
        replay_until,
    } = sides;
    let mut ordered = Ordered {
        deciders,
        duplicates: Some(duplicates),
        // Reborrowed: the summary lines below are written once `ordered` is done.
        errors: Some(&mut *errors),
        strict,
        replay_until,
        stats: Stats::default(),
        figs: vec![StageStats::default(); nfigs],
    };
    let mut pending: BTreeMap<u64, Decidable> = BTreeMap::new();
    let mut next = 0u64;
    while let Ok(p) = results.recv() {
        pending.insert(p.seq, p);
        while let Some(p) = pending.remove(&next) {
            let batch = ordered.batch(next, p)?;
            next += 1;
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
    let Ordered { stats, figs, .. } = ordered;
    for (kind, n) in &stats.errors {
        if *n > ERROR_LINES_PER_KIND {
            errors.write_json(&serde_json::json!({
                "kind": kind,
                "omitted": n - ERROR_LINES_PER_KIND,
                "reason": format!(
                    "{n} records of this kind; the first {ERROR_LINES_PER_KIND} are listed above, \
                     the rest only counted (stats.json has every count)"
                ),
            }))?;
        }
    }
    Ok(Decided { stats, figs })
}
