//! Entity extraction. STUB: replaced by the real implementation.

use serde::{Deserialize, Serialize};

use crate::doc::Doc;
use crate::stage::{Counters, Stage, Verdict};

/// Config for the `[entities]` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct EntitiesConfig {
    /// Run this stage.
    pub enabled: bool,
}

impl Default for EntitiesConfig {
    fn default() -> Self {
        EntitiesConfig { enabled: true }
    }
}

impl EntitiesConfig {
    /// Validates the config, loads the model and builds the stage.
    pub fn build(&self) -> crate::Result<EntityStage> {
        Ok(EntityStage {})
    }
}

/// The entity-extraction stage.
#[derive(Debug)]
pub struct EntityStage {}

impl Stage for EntityStage {
    fn name(&self) -> &'static str {
        "entities"
    }
    fn process(&self, _doc: &mut Doc, _counters: &mut Counters) -> Verdict {
        Verdict::Keep
    }
}
