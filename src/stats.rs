//! Run statistics: counts per stage and rule, bytes in and out, timing; written to `stats.json`
//! and shown as the end-of-run summary table.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::pipeline::ERROR_LINES_PER_KIND;
use crate::stage::Counters;

/// Timing of a run. These, and the `seconds` of each stage in [`Stats::stages`], are the only
/// fields of any output that vary between identical runs.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Timing {
    /// Wall-clock seconds for the whole run.
    pub wall_s: f64,
    /// Seconds spent in the pre-scan pass (per-site line counting), included in `wall_s`.
    pub prescan_s: f64,
    /// Input records per second.
    pub docs_per_s: f64,
    /// Uncompressed input megabytes (10^6 bytes) per second.
    pub mb_per_s: f64,
    /// Worker threads used.
    pub threads: usize,
}

/// What one stage did in a run: `stats.json`'s `stages.<name>`.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct StageStats {
    /// Documents that reached the stage.
    pub docs_in: u64,
    /// Documents the stage dropped (rejected, or removed as duplicates).
    pub docs_dropped: u64,
    /// CPU seconds spent in the stage, summed over threads (varies between runs).
    pub seconds: f64,
}

impl StageStats {
    /// Adds another worker's figures.
    pub fn merge(&mut self, o: &StageStats) {
        self.docs_in += o.docs_in;
        self.docs_dropped += o.docs_dropped;
        self.seconds += o.seconds;
    }
}

/// Per-stage figures in pipeline order, written as a JSON object keyed by stage name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StageTable(pub Vec<(&'static str, StageStats)>);

impl StageTable {
    /// The figures of one stage, if it ran.
    pub fn get(&self, name: &str) -> Option<&StageStats> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, s)| s)
    }

    /// The stage with the most CPU time.
    pub fn slowest(&self) -> Option<(&'static str, &StageStats)> {
        self.0
            .iter()
            .max_by(|a, b| a.1.seconds.total_cmp(&b.1.seconds))
            .map(|(n, s)| (*n, s))
    }
}

impl Serialize for StageTable {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (name, st) in &self.0 {
            m.serialize_entry(name, st)?;
        }
        m.end()
    }
}

/// Counts of a run, as written to `stats.json`.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Stats {
    /// Input lines read (records and bad lines).
    pub lines_in: u64,
    /// Records parsed into documents.
    pub docs_in: u64,
    /// Uncompressed input bytes read.
    pub bytes_in: u64,
    /// Documents written to shards.
    pub docs_written: u64,
    /// Uncompressed bytes written to shards.
    pub bytes_out: u64,
    /// Documents dropped, per stage and rule.
    pub rejected: BTreeMap<String, BTreeMap<String, u64>>,
    /// Duplicates removed, per kind (`exact`, `near`).
    pub duplicates: BTreeMap<String, u64>,
    /// Bad input, per kind.
    pub errors: BTreeMap<String, u64>,
    /// Stage counters (lines removed per rule, documents changed, ...), per stage.
    pub counters: BTreeMap<String, BTreeMap<String, u64>>,
    /// Documents in and dropped, and CPU seconds, per stage that ran, in pipeline order.
    pub stages: StageTable,
    /// Timing (varies between runs).
    pub timing: Timing,
}

impl Stats {
    /// Counts one rejected document.
    pub fn reject(&mut self, stage: &str, rule: &str) {
        *self
            .rejected
            .entry(stage.to_string())
            .or_default()
            .entry(rule.to_string())
            .or_insert(0) += 1;
    }

    /// Total rejected documents.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().flat_map(|m| m.values()).sum()
    }

    /// Total duplicates removed.
    pub fn duplicates_total(&self) -> u64 {
        self.duplicates.values().sum()
    }

    /// Total bad-input records.
    pub fn errors_total(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Copies stage counters in.
    pub fn add_counters(&mut self, counters: &Counters) {
        for (stage, name, n) in counters.iter() {
            *self
                .counters
                .entry(stage.to_string())
                .or_default()
                .entry(name.to_string())
                .or_insert(0) += n;
        }
    }

    /// A plain-text summary table for the end of a run.
    pub fn table(&self) -> String {
        let mut rows: Vec<(String, String)> = Vec::new();
        let mb = |b: u64| format!("{:.1} MB", b as f64 / 1e6);
        rows.push(("input lines".into(), self.lines_in.to_string()));
        rows.push((
            "documents read".into(),
            format!("{} ({})", self.docs_in, mb(self.bytes_in)),
        ));
        for (stage, rules) in &self.rejected {
            for (rule, n) in rules {
                rows.push((format!("  rejected {stage}/{rule}"), n.to_string()));
            }
        }
        for (kind, n) in &self.duplicates {
            rows.push((format!("  duplicates {kind}"), n.to_string()));
        }
        for (kind, n) in &self.errors {
            let listed = if *n > ERROR_LINES_PER_KIND {
                format!(" (first {ERROR_LINES_PER_KIND} in the errors file)")
            } else {
                String::new()
            };
            rows.push((format!("  bad input {kind}"), format!("{n}{listed}")));
        }
        rows.push((
            "documents written".into(),
            format!("{} ({})", self.docs_written, mb(self.bytes_out)),
        ));
        let t = &self.timing;
        rows.push((
            "throughput".into(),
            format!(
                "{:.0} docs/s, {:.1} MB/s ({:.1} MB/s per thread, {} threads)",
                t.docs_per_s,
                t.mb_per_s,
                t.mb_per_s / t.threads.max(1) as f64,
                t.threads
            ),
        ));
        rows.push(("wall time".into(), format!("{:.2} s", t.wall_s)));
        let cpu: f64 = self.stages.0.iter().map(|(_, s)| s.seconds).sum();
        if let Some((name, s)) = self.stages.slowest() {
            rows.push((
                "slowest stage".into(),
                format!(
                    "{name}: {:.2} CPU s, {:.0}% of stage time, {} docs",
                    s.seconds,
                    100.0 * s.seconds / cpu.max(1e-9),
                    s.docs_in
                ),
            ));
        }
        let w = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        rows.iter()
            .map(|(k, v)| format!("{k:<w$}  {v}\n"))
            .collect()
    }
}
