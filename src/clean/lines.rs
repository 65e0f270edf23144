//! Line-level boilerplate rules (navigation, calls to action, share prompts, button labels...).
//! STUB: replaced by the real implementation.

use serde::{Deserialize, Serialize};

use crate::doc::Doc;
use crate::stage::{Counters, Stage, Verdict};

/// Config for the `[line_rules]` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LineRulesConfig {
    /// Run this stage.
    pub enabled: bool,
}

impl Default for LineRulesConfig {
    fn default() -> Self {
        LineRulesConfig { enabled: true }
    }
}

impl LineRulesConfig {
    /// Validates the config and builds the stage.
    pub fn build(&self) -> crate::Result<LineRules> {
        Ok(LineRules {})
    }
}

/// The line-rules stage.
#[derive(Debug)]
pub struct LineRules {}

impl Stage for LineRules {
    fn name(&self) -> &'static str {
        "line_rules"
    }
    fn process(&self, _doc: &mut Doc, _counters: &mut Counters) -> Verdict {
        Verdict::Keep
    }
}
