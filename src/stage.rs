//! The stage interface: how a per-document step plugs into the pipeline.
//!
//! A stage is a plain struct built from its serde config type and declared once in the stage
//! registry (`crate::pipeline::registry`). Per-document stages run on the rayon workers in
//! registry order; each returns a [`Verdict`]. A dropped document leaves the chain at once and
//! is written to `rejected.jsonl.zst` with its [`Drop`] reason. Ordered stages (exact and near
//! dedup) see documents one at a time in input order on a single thread, so their "first seen
//! wins" decisions do not depend on thread timing. Stages after the decision (entities) see only
//! the documents that were kept.

use std::collections::BTreeMap;

use crate::doc::Doc;

/// Why a document was dropped: the stage and rule, and the measured value against the threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Drop {
    /// Stage name, as in the config (`min_length`, `quality`, ...).
    pub stage: &'static str,
    /// Rule within the stage (`too_short`, `gopher_mean_word_length`, ...).
    pub rule: &'static str,
    /// The value measured on the document.
    pub value: f64,
    /// The configured threshold it failed.
    pub threshold: f64,
}

/// What a per-document stage decided.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Keep the document and pass it to the next stage.
    Keep,
    /// Drop the document for the given reason.
    Drop(Drop),
}

/// Per-stage counters (lines removed per rule, documents tagged, ...), merged across workers.
///
/// Keys are `(stage, counter)`; output is sorted so `stats.json` is deterministic.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counters {
    map: BTreeMap<(&'static str, &'static str), u64>,
}

impl Counters {
    /// Adds `n` to the counter `name` of `stage`.
    #[inline]
    pub fn add(&mut self, stage: &'static str, name: &'static str, n: u64) {
        if n > 0 {
            *self.map.entry((stage, name)).or_insert(0) += n;
        }
    }

    /// The value of one counter (0 when never touched).
    pub fn get(&self, stage: &str, name: &str) -> u64 {
        self.map
            .iter()
            .find(|((s, n), _)| *s == stage && *n == name)
            .map_or(0, |(_, v)| *v)
    }

    /// Adds every counter of `other` into `self`.
    pub fn merge(&mut self, other: &Counters) {
        for (k, v) in &other.map {
            *self.map.entry(*k).or_insert(0) += v;
        }
    }

    /// Iterates `(stage, counter, value)` in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &'static str, u64)> + '_ {
        self.map.iter().map(|((s, n), v)| (*s, *n, *v))
    }
}

/// A per-document stage. Implementations are plain structs with a `process` method; this
/// trait is the thin wrapper the pipeline calls from its rayon workers.
pub trait Stage: Send + Sync {
    /// The stage's name, as used in the config, `stats.json` and drop reasons.
    fn name(&self) -> &'static str;

    /// Processes one document in place.
    fn process(&self, doc: &mut Doc, counters: &mut Counters) -> Verdict;

    /// A worker-local handle with its own scratch buffers, for stages that would otherwise
    /// allocate per document. The pipeline asks each worker thread for one; `None` (the
    /// default) means [`Stage::process`] is called directly.
    fn worker(&self) -> Option<Box<dyn StageWorker + '_>> {
        None
    }
}

/// A per-worker instance of a [`Stage`] that keeps scratch buffers between documents.
pub trait StageWorker {
    /// Processes one document in place, as [`Stage::process`] does.
    fn process(&mut self, doc: &mut Doc, counters: &mut Counters) -> Verdict;
}

/// The worker side of a stage that needs corpus statistics before it can run (per-site
/// repeated lines): a pre-scan pass feeds it every document that survives the stages before
/// it, one instance per worker thread, then the instances are merged and turned into the stage.
pub trait Prescan: Send + Sync {
    /// Counts one document.
    fn observe(&mut self, doc: &Doc);

    /// An empty instance with the same settings, for another worker thread.
    fn fork(&self) -> Box<dyn Prescan>;

    /// Adds the counts of `other` (an instance made by [`Prescan::fork`]).
    fn merge(&mut self, other: Box<dyn Prescan>) -> crate::Result<()>;

    /// Builds the stage from the merged counts.
    fn finish(self: Box<Self>) -> crate::Result<Box<dyn Stage>>;

    /// For [`Prescan::merge`]: the instance as `Any`, to recover its concrete type.
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any>;

    /// The counts as bytes: a task of the distributed plan writes them for the others.
    fn save(&self) -> Vec<u8>;

    /// Adds counts written by [`Prescan::save`] of an instance with the same settings, as
    /// [`Prescan::merge`] does.
    fn load(&mut self, bytes: &[u8]) -> crate::Result<()>;
}

/// A document as seen by the ordered stages: identity and the keys computed by the workers,
/// borrowed from the [`Doc`] (see [`Candidate::of`]).
#[derive(Clone, Debug)]
pub struct Candidate<'a> {
    /// Input-order sequence number.
    pub seq: u64,
    /// Document id.
    pub id: &'a str,
    /// 128-bit hash of the normalized text, when exact dedup is enabled.
    pub exact_key: Option<u128>,
    /// MinHash signature, when near dedup is enabled.
    pub minhash: Option<&'a [u32]>,
}

impl<'a> Candidate<'a> {
    /// The ordered stages' view of a document.
    pub fn of(doc: &'a Doc) -> Candidate<'a> {
        Candidate {
            seq: doc.seq,
            id: &doc.id,
            exact_key: doc.exact_key,
            minhash: doc.minhash.as_deref(),
        }
    }
}

/// A duplicate decision made by an ordered stage.
#[derive(Clone, Debug, PartialEq)]
pub struct Duplicate {
    /// The id of the kept document this one duplicates.
    pub duplicate_of: String,
    /// `exact` or `near`.
    pub kind: &'static str,
    /// Estimated Jaccard similarity (near duplicates only).
    pub similarity: Option<f64>,
}

/// What an ordered stage decided for one document.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// A first occurrence: keep it.
    Keep,
    /// Keep it and annotate the output record with a cluster id (near dedup in annotate mode).
    Annotate {
        /// Output field name.
        key: &'static str,
        /// The cluster id (the id of the cluster's first document).
        value: String,
    },
    /// A duplicate: remove it and record it in `duplicates.jsonl.zst`.
    Remove(Duplicate),
}

/// A stage that sees documents one at a time in input order (exact and near dedup).
pub trait OrderedStage: Send {
    /// The stage's name.
    fn name(&self) -> &'static str;

    /// Decides for one document; called in strictly increasing `seq` order.
    fn decide(&mut self, doc: &Candidate<'_>) -> Result<Decision, crate::Error>;

    /// Announces the document that will most likely be decided next, before the current one
    /// is decided, so the stage can start loading what that decision will read (the LSH
    /// index prefetches the band table slots it will probe). Only a hint: it never changes a
    /// decision, and the announced document may never come (an earlier stage removed it).
    /// The default does nothing.
    fn prepare(&mut self, next: &Candidate<'_>) {
        let _ = next;
    }
}
