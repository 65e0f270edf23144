//! Per-site repeated-line removal. STUB: replaced by the real implementation.
//!
//! The pipeline runs a pre-scan pass when this stage is enabled: every document (after the
//! stages configured before this one) goes through [`SiteLineCounter::observe`] on the workers,
//! per-worker counters are combined with [`SiteLineCounter::merge`], and
//! [`SiteLineCounter::finish`] turns the counts into the [`RepeatedLines`] stage for the main pass.

use serde::{Deserialize, Serialize};

use crate::doc::Doc;
use crate::stage::{Counters, Stage, Verdict};

/// Config for the `[repeated_lines]` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RepeatedLinesConfig {
    /// Run this stage (and the pre-scan pass it needs).
    pub enabled: bool,
}

impl Default for RepeatedLinesConfig {
    fn default() -> Self {
        RepeatedLinesConfig { enabled: true }
    }
}

impl RepeatedLinesConfig {
    /// Validates the config and returns an empty counter for the pre-scan pass.
    pub fn counter(&self) -> crate::Result<SiteLineCounter> {
        Ok(SiteLineCounter::default())
    }
}

/// Per-site line counts gathered in the pre-scan pass.
#[derive(Clone, Debug, Default)]
pub struct SiteLineCounter {}

impl SiteLineCounter {
    /// Counts the lines of one document.
    pub fn observe(&mut self, _doc: &Doc) {}

    /// Adds another worker's counts into this one.
    pub fn merge(&mut self, _other: SiteLineCounter) {}

    /// Builds the stage for the main pass.
    pub fn finish(self) -> crate::Result<RepeatedLines> {
        Ok(RepeatedLines {})
    }
}

/// The repeated-line removal stage.
#[derive(Debug)]
pub struct RepeatedLines {}

impl Stage for RepeatedLines {
    fn name(&self) -> &'static str {
        "repeated_lines"
    }
    fn process(&self, _doc: &mut Doc, _counters: &mut Counters) -> Verdict {
        Verdict::Keep
    }
}
