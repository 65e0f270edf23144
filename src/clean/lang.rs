//! Language identification. STUB: replaced by the real implementation.

use serde::{Deserialize, Serialize};

use crate::doc::Doc;
use crate::stage::{Counters, Stage, Verdict};

/// Config for the `[lang]` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LangConfig {
    /// Run this stage.
    pub enabled: bool,
}

impl Default for LangConfig {
    fn default() -> Self {
        LangConfig { enabled: true }
    }
}

impl LangConfig {
    /// Validates the config and builds the stage.
    pub fn build(&self) -> crate::Result<LangId> {
        Ok(LangId {})
    }
}

/// The language-identification stage.
#[derive(Debug)]
pub struct LangId {}

impl Stage for LangId {
    fn name(&self) -> &'static str {
        "lang"
    }
    fn process(&self, _doc: &mut Doc, _counters: &mut Counters) -> Verdict {
        Verdict::Keep
    }
}
