//! Run statistics.

/// Totals of a run.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Documents written to shards.
    pub docs_written: u64,
}
