//! Quality filters (Gopher quality and repetition, C4 document rules, FineWeb rules).
//! STUB: replaced by the real implementation.

use serde::{Deserialize, Serialize};

use crate::doc::Doc;
use crate::stage::{Counters, Stage, Verdict};

/// Config for the `[quality]` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct QualityConfig {
    /// Run this stage.
    pub enabled: bool,
}

impl Default for QualityConfig {
    fn default() -> Self {
        QualityConfig { enabled: true }
    }
}

impl QualityConfig {
    /// Validates the config and builds the stage.
    pub fn build(&self) -> crate::Result<Quality> {
        Ok(Quality {})
    }
}

/// The quality-filter stage.
#[derive(Debug)]
pub struct Quality {}

impl Stage for Quality {
    fn name(&self) -> &'static str {
        "quality"
    }
    fn process(&self, _doc: &mut Doc, _counters: &mut Counters) -> Verdict {
        Verdict::Keep
    }
}
