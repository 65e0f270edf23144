//! LSH index for near duplicates. STUB: replaced by the real implementation.

use crate::stage::{Candidate, Decision, OrderedStage};

/// The ordered-side LSH index.
#[derive(Debug)]
pub struct LshIndex {}

impl OrderedStage for LshIndex {
    fn name(&self) -> &'static str {
        "near_dedup"
    }
    fn decide(&mut self, _doc: &Candidate<'_>) -> crate::Result<Decision> {
        Ok(Decision::Keep)
    }
}
