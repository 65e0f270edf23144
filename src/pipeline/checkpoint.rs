//! Checkpoints: what `--resume` continues from.
//!
//! Every `output.checkpoint_mb` megabytes of output records (and when a run is stopped by a
//! signal), the collector ends the zstd frame of every shard and of `rejected.jsonl.zst`,
//! fsyncs them, and writes `checkpoint.json` atomically: the input position up to which every
//! record is fully written (`next_entry`, a count of input lines in input order), each file's
//! size, record count and uncompressed size at that point, and the counts that only the stages
//! after the duplicate decision produce. A run also writes one at its start (position 0).
//!
//! `--resume` checks that the inputs (paths and sizes) and the effective config are those of the
//! checkpoint, cuts every file back to its recorded size, and runs again from the start of the
//! input: documents before the checkpoint go through the cleaning stages and the duplicate
//! decisions again — which rebuilds the exact and near-dedup indexes to the state they had, and
//! rewrites `duplicates.jsonl.zst` and `errors.jsonl` — but not through the stages after the
//! decision (entities), and nothing of theirs is written twice. Since every decision is made in
//! input order from the same state, the result is record-for-record identical to an
//! uninterrupted run; when the run stopped at a periodic checkpoint (a crash or `kill -9`), it
//! is byte-identical, because frames end at the same records as in an uninterrupted run.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::io::source::Input;
use crate::io::writer::{self, FileState};
use crate::stats::StageStats;
use crate::Error;

use super::folder::CHECKPOINT_FILE;

/// Counts keyed by stage, then by rule or counter name.
pub(crate) type Nested = BTreeMap<String, BTreeMap<String, u64>>;

/// What the collector has written and counted up to a point of the input.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub(crate) struct Written {
    /// Input lines before this position (in input order) are fully written.
    pub(crate) next_entry: u64,
    /// Each shard's state, by shard number.
    pub(crate) shards: Vec<FileState>,
    /// `rejected.jsonl.zst`'s state.
    pub(crate) rejected: FileState,
    /// Documents written to shards.
    pub(crate) docs_written: u64,
    /// Uncompressed bytes written to shards.
    pub(crate) bytes_out: u64,
    /// Documents dropped by stages after the decision, per stage and rule.
    pub(crate) after_rejected: Nested,
    /// Counters of the stages after the decision.
    pub(crate) after_counters: Nested,
    /// Per-stage figures of the stages after the decision.
    pub(crate) after_stages: BTreeMap<String, StageStats>,
}

/// `checkpoint.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct Checkpoint {
    /// What the run must match to be resumed: version, effective config, inputs.
    pub(crate) run: serde_json::Value,
    /// Where the output stood.
    pub(crate) written: Written,
}

/// What identifies a run for `--resume`: the version, the effective config (everything that
/// shapes the output) and the inputs with their sizes.
pub(crate) fn fingerprint(config: &Config, inputs: &[Input]) -> serde_json::Value {
    let mut effective = config.effective();
    // An interrupted folder may be moved (off a full disk, say) and resumed where it is now.
    if let Some(out) = effective.get_mut("output").and_then(|o| o.as_object_mut()) {
        out.shift_remove("dir");
    }
    serde_json::json!({
        "corpusmill_version": env!("CARGO_PKG_VERSION"),
        "config": effective,
        "inputs": inputs
            .iter()
            .map(|i| serde_json::json!({"path": i.display(), "size": i.size}))
            .collect::<Vec<_>>(),
    })
}

impl Checkpoint {
    /// The checkpoint of a run that has written nothing yet.
    pub(crate) fn start(run: serde_json::Value, shards: usize) -> Checkpoint {
        Checkpoint {
            run,
            written: Written {
                shards: vec![FileState::default(); shards],
                ..Written::default()
            },
        }
    }

    /// Writes `checkpoint.json` atomically (fsynced, then renamed).
    pub(crate) fn save(&self, dir: &Path) -> crate::Result<()> {
        writer::write_json_file(dir, CHECKPOINT_FILE, self)
    }

    /// Reads the checkpoint of an interrupted run in `dir`.
    pub(crate) fn load(dir: &Path) -> crate::Result<Checkpoint> {
        let path = dir.join(CHECKPOINT_FILE);
        if dir.join("manifest.json").exists() {
            return Err(Error::Busy(format!(
                "{} holds a finished run (manifest.json): nothing to resume; pass --overwrite to \
                 run again into it",
                dir.display()
            )));
        }
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::Busy(format!(
                    "{} has no {CHECKPOINT_FILE}: there is no interrupted run to resume; run \
                     without --resume (add --overwrite if the folder holds other files)",
                    dir.display()
                )))
            }
            Err(e) => return Err(Error::io(&path, e)),
        };
        serde_json::from_slice(&text).map_err(|e| {
            Error::Input(format!(
                "{}: unreadable checkpoint ({e}); pass --overwrite to start over",
                path.display()
            ))
        })
    }

    /// Refuses to resume a run whose inputs or config differ from the checkpoint's.
    pub(crate) fn check(&self, run: &serde_json::Value, shards: usize) -> crate::Result<()> {
        if &self.run == run && self.written.shards.len() == shards {
            return Ok(());
        }
        let mut differs = Vec::new();
        for key in ["corpusmill_version", "inputs"] {
            if self.run.get(key) != run.get(key) {
                differs.push(key.to_string());
            }
        }
        if let (Some(a), Some(b)) = (
            self.run.get("config").and_then(|c| c.as_object()),
            run.get("config").and_then(|c| c.as_object()),
        ) {
            for (k, v) in b {
                if a.get(k) != Some(v) {
                    differs.push(format!("config [{k}]"));
                }
            }
        }
        Err(Error::Config(format!(
            "--resume needs the inputs and config of the interrupted run; these differ: {} \
             (run with those, or pass --overwrite to start over)",
            if differs.is_empty() {
                "output.shards".to_string()
            } else {
                differs.join(", ")
            }
        )))
    }
}
