//! Progress reporting: what a run tells its caller while it works.
//!
//! The collector (main pass) and the pre-scan's caller send [`Snapshot`]s to a [`Progress`]
//! implementation (the binary draws a bar or writes JSON lines). Positions count work that is
//! *finished* — documents decided and written or dropped, and the input bytes they came from —
//! not what the readers have read ahead, so a rate and an ETA computed from them hold.

use std::sync::atomic::{AtomicU64, Ordering};

/// Where a pass stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// On-disk (compressed) input bytes whose records are fully processed.
    pub raw_bytes: u64,
    /// Uncompressed input bytes of those records.
    pub bytes: u64,
    /// Input documents processed.
    pub docs: u64,
    /// Documents kept so far (written to the shards; main pass only).
    pub kept: u64,
    /// Documents dropped so far: rejected by a stage or removed as duplicates (main pass only).
    pub dropped: u64,
    /// The stage that has used the most CPU time so far in this pass, with its CPU seconds.
    pub slowest: Option<(&'static str, f64)>,
}

/// Receives progress from a run; the binary draws a progress bar with it. Called from one
/// thread at a time (the pre-scan's caller, then the collector of the main pass).
pub trait Progress: Sync {
    /// A pass starts (`prescan` or `main`); `total_bytes` is the summed size of the input files
    /// on disk when known.
    fn start(&self, _pass: &str, _total_bytes: Option<u64>) {}
    /// Work finished so far in this pass (called after each batch of the main pass, about ten
    /// times a second in the pre-scan).
    fn update(&self, _now: &Snapshot) {}
    /// The pass ended.
    fn finish(&self) {}
    /// True when the run should stop (the binary sets it on SIGINT or SIGTERM). The run then
    /// saves a checkpoint and returns [`crate::Error::Interrupted`]; `--resume` continues it.
    fn cancelled(&self) -> bool {
        false
    }
}

/// A [`Progress`] that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// CPU time per stage so far, shared by the worker threads (nanoseconds, lock-free); slots are
/// indexed like the plan's stage names.
#[derive(Debug, Default)]
pub(crate) struct StageClock {
    nanos: Vec<AtomicU64>,
}

impl StageClock {
    pub(crate) fn new(stages: usize) -> StageClock {
        StageClock {
            nanos: (0..stages).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Adds `seconds` of CPU time to stage slot `i`.
    pub(crate) fn add(&self, i: usize, seconds: f64) {
        if let Some(n) = self.nanos.get(i) {
            n.fetch_add((seconds.max(0.0) * 1e9) as u64, Ordering::Relaxed);
        }
    }

    /// The stage with the most time, with its seconds (`None` before any was measured).
    pub(crate) fn slowest(&self, names: &[&'static str]) -> Option<(&'static str, f64)> {
        let (i, n) = self
            .nanos
            .iter()
            .map(|n| n.load(Ordering::Relaxed))
            .enumerate()
            .max_by_key(|&(i, n)| (n, std::cmp::Reverse(i)))?;
        (n > 0).then(|| (names.get(i).copied().unwrap_or("?"), n as f64 / 1e9))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_names_the_stage_with_most_time() {
        let c = StageClock::new(3);
        let names = ["a", "b", "c"];
        assert_eq!(c.slowest(&names), None);
        c.add(0, 0.5);
        c.add(2, 0.25);
        c.add(2, 0.5);
        let (name, secs) = c.slowest(&names).unwrap();
        assert_eq!(name, "c");
        assert!((secs - 0.75).abs() < 1e-6);
        c.add(7, 9.0); // out of range: ignored
        assert_eq!(c.slowest(&names).unwrap().0, "c");
    }
}
