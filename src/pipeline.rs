//! Pipeline wiring (stub).

use crate::config::Config;

/// Progress sink.
pub trait Progress: Sync {}
/// No progress reporting.
pub struct NoProgress;
impl Progress for NoProgress {}

/// What a run produced.
#[derive(Debug, Default)]
pub struct Summary {
    /// Totals.
    pub stats: crate::stats::Stats,
}

/// Runs the pipeline.
pub fn run(_config: &Config, _progress: &dyn Progress) -> crate::Result<Summary> {
    Ok(Summary::default())
}
