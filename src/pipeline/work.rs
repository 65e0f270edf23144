//! The worker side of the main pass, on the rayon threads.
//!
//! A worker takes two kinds of work. Input batches ([`SeqBatch`]) are parsed and run through
//! the stages before the duplicate decision (cleaning, filters, dedup keys); the result goes to
//! the ordered stage. Batches of kept documents ([`KeptBatch`]) come back from the ordered
//! stage and run through the stages after the decision (entities), are serialized and go to the
//! collector. Stages run stage by stage over a batch, so each stage's CPU time is measured once
//! per batch, not once per document.

use crate::config::Config;
use crate::doc::Doc;
use crate::io::errors::InputError;
use crate::io::reader::Entry;
use crate::io::record::RecordFormat;
use crate::io::writer;
use crate::stage::{Counters, Drop as DropReason, Stage, StageWorker, Verdict};
use crate::stats::StageStats;

use super::output::RejectedRecord;
use super::{Plan, SeqBatch, Step};

/// What a worker made of one input line, for the ordered stage.
// Most outcomes are documents: boxing them would add an allocation per document.
#[allow(clippy::large_enum_variant)]
pub(super) enum Outcome {
    /// A document that passed every stage before the decision.
    Doc(Doc),
    /// Dropped by a stage: the `rejected.jsonl.zst` line.
    Rejected {
        index: u64,
        stage: &'static str,
        rule: &'static str,
        json: Vec<u8>,
    },
    /// Bad input.
    Error(InputError),
}

/// An input batch after the stages before the decision.
pub(super) struct Decidable {
    pub(super) seq: u64,
    pub(super) bytes: u64,
    /// On-disk input bytes of the batch (for progress).
    pub(super) raw: u64,
    pub(super) outcomes: Vec<Outcome>,
}

/// What the ordered stage passes on for one input batch, in input order.
#[allow(clippy::large_enum_variant)] // as for `Outcome`
pub(super) enum Item {
    /// A kept document, for the stages after the decision.
    Doc(Doc),
    /// A rejected document's input position and line (already counted).
    Rejected(u64, Vec<u8>),
    /// Dropped by a stage after the decision (counted by the collector).
    Dropped {
        index: u64,
        stage: &'static str,
        rule: &'static str,
        json: Vec<u8>,
    },
}

/// One input batch's documents after the decision, numbered in input order.
pub(super) struct KeptBatch {
    pub(super) seq: u64,
    /// Uncompressed and on-disk input bytes and records of the input batch, and how many of
    /// its documents the decision kept, replayed ones included (for progress).
    pub(super) bytes: u64,
    pub(super) raw: u64,
    pub(super) docs: u64,
    pub(super) kept: u64,
    pub(super) items: Vec<Item>,
}

/// What the collector writes for one item, with the item's input position.
pub(super) enum Done {
    /// An output record for `shard`.
    Record {
        index: u64,
        shard: usize,
        json: Vec<u8>,
    },
    /// A `rejected.jsonl.zst` line; `stage` and `rule` when a stage after the decision
    /// dropped it (not yet counted).
    Rejected {
        index: u64,
        json: Vec<u8>,
        counted: Option<(&'static str, &'static str)>,
    },
}

/// A [`KeptBatch`] after the stages after the decision and serialization.
pub(super) struct Finished {
    pub(super) seq: u64,
    pub(super) bytes: u64,
    pub(super) raw: u64,
    pub(super) docs: u64,
    /// Documents of the batch kept by the decision and by the stages after it.
    pub(super) kept: u64,
    pub(super) items: Vec<Done>,
    /// Counters of the stages after the decision for this batch (they are counted in input
    /// order by the collector, so a checkpoint holds exactly those of the written records).
    pub(super) counters: Counters,
    /// Figures of the stages after the decision for this batch, indexed like `Plan::names`.
    pub(super) figs: Vec<(usize, StageStats)>,
}

/// A stage as one worker runs it.
enum Handle<'a> {
    Shared(&'a dyn Stage),
    Own(Box<dyn StageWorker + 'a>),
}

impl Handle<'_> {
    fn process(&mut self, doc: &mut Doc, counters: &mut Counters) -> Verdict {
        match self {
            Handle::Shared(s) => s.process(doc, counters),
            Handle::Own(w) => w.process(doc, counters),
        }
    }
}

struct Running<'a> {
    fig: usize,
    counts_docs: bool,
    handle: Handle<'a>,
}

fn running(steps: &[Step]) -> Vec<Running<'_>> {
    steps
        .iter()
        .map(|s| Running {
            fig: s.fig,
            counts_docs: s.counts_docs,
            handle: match s.stage.worker() {
                Some(w) => Handle::Own(w),
                None => Handle::Shared(s.stage.as_ref()),
            },
        })
        .collect()
}

/// One worker thread's stages, scratch state, counters and per-stage figures.
pub(super) struct Worker<'a> {
    format: &'a RecordFormat,
    config: &'a Config,
    /// Number documents by their global position (a task of the distributed plan).
    positions: bool,
    before: Vec<Running<'a>>,
    after: Vec<Running<'a>>,
    clock: &'a super::StageClock,
    /// Figures of the stages before the decision, indexed like [`Plan::names`]. Documents
    /// before a resumed run's checkpoint go through those stages again, so these are whole.
    pub(super) figs: Vec<StageStats>,
    /// Counters of the stages before the decision.
    pub(super) counters: Counters,
}

impl<'a> Worker<'a> {
    pub(super) fn new(plan: &'a Plan, format: &'a RecordFormat, config: &'a Config) -> Self {
        Worker {
            format,
            config,
            positions: plan.positions,
            before: running(&plan.before),
            after: running(&plan.after),
            clock: &plan.clock,
            figs: vec![StageStats::default(); plan.names.len()],
            counters: Counters::default(),
        }
    }

    /// Parses an input batch and runs the stages before the decision.
    pub(super) fn decide_ready(
        &mut self,
        sb: SeqBatch,
        pool: &crate::io::pool::BufPool,
    ) -> Decidable {
        let SeqBatch {
            seq,
            first_doc,
            batch,
        } = sb;
        let mut outcomes = Vec::with_capacity(batch.entries.len());
        for (k, e) in batch.entries.into_iter().enumerate() {
            let l = match e {
                Entry::Error(err) => {
                    outcomes.push(Outcome::Error(err));
                    continue;
                }
                Entry::Line(l) => l,
            };
            let doc_seq = if self.positions {
                super::global_position(batch.file_index, l.line)
            } else {
                first_doc + k as u64
            };
            match self.format.parse_entry(
                batch.warc,
                &batch.buf[l.start..l.end],
                &batch.file,
                l.line,
                doc_seq,
            ) {
                Ok((doc, warning)) => {
                    if let Some(w) = warning {
                        outcomes.push(Outcome::Error(w));
                    }
                    outcomes.push(Outcome::Doc(doc));
                }
                Err(err) => outcomes.push(Outcome::Error(err)),
            }
        }
        pool.put(batch.buf);
        for st in &mut self.before {
            let fig = &mut self.figs[st.fig];
            let spent = fig.seconds;
            run_step(
                st,
                &mut outcomes,
                fig,
                &mut self.counters,
                |o| match o {
                    Outcome::Doc(doc) => Some(doc),
                    _ => None,
                },
                |doc, d| Outcome::Rejected {
                    index: doc.seq,
                    stage: d.stage,
                    rule: d.rule,
                    json: rejected_line(doc, d),
                },
            );
            self.clock.add(st.fig, fig.seconds - spent);
        }
        Decidable {
            seq,
            bytes: batch.bytes,
            raw: batch.raw,
            outcomes,
        }
    }

    /// Runs the stages after the decision on kept documents and serializes them.
    pub(super) fn finish(&mut self, kb: KeptBatch) -> crate::Result<Finished> {
        let KeptBatch {
            seq,
            bytes,
            raw,
            docs,
            mut kept,
            mut items,
        } = kb;
        let mut counters = Counters::default();
        let mut figs = Vec::with_capacity(self.after.len());
        for st in &mut self.after {
            let mut fig = StageStats::default();
            run_step(
                st,
                &mut items,
                &mut fig,
                &mut counters,
                |it| match it {
                    Item::Doc(doc) => Some(doc),
                    _ => None,
                },
                |doc, d| Item::Dropped {
                    index: doc.seq,
                    stage: d.stage,
                    rule: d.rule,
                    json: rejected_line(doc, d),
                },
            );
            self.clock.add(st.fig, fig.seconds);
            figs.push((st.fig, fig));
        }
        let out = &self.config.output;
        let mut done = Vec::with_capacity(items.len());
        for it in items {
            done.push(match it {
                Item::Doc(mut doc) => {
                    let shard = writer::shard_of(&doc.id, out.shard_seed, out.shards);
                    let mut json = Vec::new();
                    self.format.write(&mut doc, &mut json).map_err(|e| {
                        // Only values that came from JSON are written, so this is a bug.
                        crate::Error::Internal(format!(
                            "{}: cannot serialize the output record: {e}",
                            doc.origin
                        ))
                    })?;
                    Done::Record {
                        index: doc.seq,
                        shard,
                        json,
                    }
                }
                Item::Rejected(index, json) => Done::Rejected {
                    index,
                    json,
                    counted: None,
                },
                Item::Dropped {
                    index,
                    stage,
                    rule,
                    json,
                } => {
                    kept = kept.saturating_sub(1);
                    Done::Rejected {
                        index,
                        json,
                        counted: Some((stage, rule)),
                    }
                }
            });
        }
        Ok(Finished {
            seq,
            bytes,
            raw,
            docs,
            kept,
            items: done,
            counters,
            figs,
        })
    }
}

/// Runs one stage over the documents among `items`, counting into `fig` (its CPU time once for
/// the whole batch); a dropped document's item becomes `dropped(doc, reason)`.
fn run_step<T>(
    st: &mut Running<'_>,
    items: &mut [T],
    fig: &mut StageStats,
    counters: &mut Counters,
    doc_of: impl Fn(&mut T) -> Option<&mut Doc>,
    dropped: impl Fn(&Doc, &DropReason) -> T,
) {
    let started = thread_cpu_seconds();
    for it in items.iter_mut() {
        let Some(doc) = doc_of(it) else { continue };
        fig.docs_in += u64::from(st.counts_docs);
        if let Verdict::Drop(d) = st.handle.process(doc, counters) {
            fig.docs_dropped += 1;
            let replacement = dropped(doc, &d);
            *it = replacement;
        }
    }
    fig.seconds += thread_cpu_seconds() - started;
}

/// The `rejected.jsonl.zst` line of a dropped document.
fn rejected_line(doc: &Doc, d: &DropReason) -> Vec<u8> {
    let rec = RejectedRecord {
        id: &doc.id,
        reason: format!(
            "{}/{}: {} vs threshold {}",
            d.stage,
            d.rule,
            round4(d.value),
            round4(d.threshold)
        ),
        stage: d.stage,
        rule: d.rule,
        value: round4(d.value),
        threshold: round4(d.threshold),
        source: doc.origin.to_string(),
    };
    serde_json::to_vec(&rec).unwrap_or_default()
}

pub(super) fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// CPU time of the calling thread in seconds (0 where the clock is unavailable).
pub(super) fn thread_cpu_seconds() -> f64 {
    cpu_seconds(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// Seconds on the CPU-time clock `clock` (0 where it is unavailable).
pub(super) fn cpu_seconds(clock: libc::clockid_t) -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes into it.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    if rc != 0 {
        return 0.0;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}
