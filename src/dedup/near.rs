//! Near-duplicate config. STUB: replaced by the real implementation.

use serde::{Deserialize, Serialize};

use super::lsh::LshIndex;
use super::minhash::MinHashSigner;

/// Config for the `[near_dedup]` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct NearDedupConfig {
    /// Run near-duplicate detection.
    pub enabled: bool,
}

impl Default for NearDedupConfig {
    fn default() -> Self {
        NearDedupConfig { enabled: true }
    }
}

impl NearDedupConfig {
    /// Builds the worker-side signature stage.
    pub fn build_signer(&self) -> crate::Result<MinHashSigner> {
        Ok(MinHashSigner {})
    }

    /// Builds the ordered-side LSH index.
    pub fn build_index(&self) -> crate::Result<LshIndex> {
        Ok(LshIndex {})
    }
}
