//! What `corpusmill run` shows while it works: a progress bar on a terminal, and with
//! `--progress-json` one JSON object per line on stdout for wrappers; also the flags the signal
//! handlers set.
//!
//! The pipeline reports finished work (see `corpusmill::pipeline::Snapshot`), so the position,
//! the rates and the ETA here describe processed documents, not what the readers read ahead.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use corpusmill::pipeline::{Progress, Snapshot};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

/// Seconds between two JSON progress lines (the first and last of a pass are always written).
const JSON_EVERY: Duration = Duration::from_secs(1);

/// The progress display of one run.
pub struct Reporter {
    bar: ProgressBar,
    json: bool,
    state: Mutex<PassState>,
    /// Set by the SIGINT handler.
    pub sigint: Arc<AtomicBool>,
    /// Set by the SIGTERM handler.
    pub sigterm: Arc<AtomicBool>,
}

#[derive(Default)]
struct PassState {
    pass: String,
    total: Option<u64>,
    started: Option<Instant>,
    last_json: Option<Instant>,
    last: Snapshot,
}

impl PassState {
    fn elapsed(&self) -> f64 {
        self.started
            .map(|s| s.elapsed().as_secs_f64())
            .unwrap_or(0.0)
            .max(1e-3)
    }

    /// Seconds left at the pass's average rate of input bytes so far (`None` until a byte is
    /// done or without a known total).
    fn eta(&self) -> Option<f64> {
        let total = self.total?;
        let done = self.last.raw_bytes;
        if done == 0 {
            return None;
        }
        Some(total.saturating_sub(done) as f64 * self.elapsed() / done as f64)
    }

    fn json(&self, event: &str) -> serde_json::Value {
        let s = &self.last;
        let secs = self.elapsed();
        json!({
            "event": event,
            "pass": self.pass,
            "elapsed_s": round2(secs),
            "raw_bytes": s.raw_bytes,
            "total_bytes": self.total,
            "fraction": self.total.map(|t| round4(s.raw_bytes as f64 / t.max(1) as f64)),
            "bytes": s.bytes,
            "docs": s.docs,
            "kept": s.kept,
            "dropped": s.dropped,
            "docs_per_s": round2(s.docs as f64 / secs),
            "mb_per_s": round2(s.bytes as f64 / 1e6 / secs),
            "eta_s": self.eta().map(round2),
            "slowest_stage": s.slowest.map(|x| x.0),
            "slowest_stage_cpu_s": s.slowest.map(|x| round2(x.1)),
        })
    }

    fn message(&self) -> String {
        let s = &self.last;
        let secs = self.elapsed();
        let mut m = String::new();
        if let Some(eta) = self.eta() {
            m.push_str(&format!("ETA {} · ", human_secs(eta)));
        }
        m.push_str(&format!("{} docs", s.docs));
        if self.pass == "main" {
            m.push_str(&format!(" ({} kept, {} dropped)", s.kept, s.dropped));
        }
        m.push_str(&format!(
            " · {:.0} docs/s {:.1} MB/s",
            s.docs as f64 / secs,
            s.bytes as f64 / 1e6 / secs
        ));
        if let Some((name, _)) = s.slowest {
            m.push_str(&format!(" · slowest: {name}"));
        }
        m
    }
}

impl Reporter {
    /// A reporter that draws a bar when `bar` and writes JSON lines to stdout when `json`.
    pub fn new(bar: bool, json: bool) -> Reporter {
        let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if bar {
            pb.set_draw_target(ProgressDrawTarget::stderr());
        }
        Reporter {
            bar: pb,
            json,
            state: Mutex::new(PassState::default()),
            sigint: Arc::new(AtomicBool::new(false)),
            sigterm: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Removes the bar from the terminal.
    pub fn clear(&self) {
        self.bar.finish_and_clear();
    }

    /// Writes one JSON line to stdout when `--progress-json` is on (a closed stdout is ignored:
    /// the run goes on).
    pub fn emit(&self, value: &serde_json::Value) {
        if self.json {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{value}");
            let _ = out.flush();
        }
    }
}

impl Progress for Reporter {
    fn start(&self, pass: &str, total_bytes: Option<u64>) {
        self.bar.reset();
        self.bar.set_length(total_bytes.unwrap_or(0));
        let template = if total_bytes.is_some() {
            "{prefix:>8} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}"
        } else {
            "{prefix:>8} [{elapsed_precise}] {bytes} {msg}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            self.bar.set_style(style);
        }
        self.bar.set_prefix(pass.to_string());
        self.bar.enable_steady_tick(Duration::from_millis(200));
        if let Ok(mut st) = self.state.lock() {
            *st = PassState {
                pass: pass.to_string(),
                total: total_bytes,
                started: Some(Instant::now()),
                ..PassState::default()
            };
            let line = st.json("start");
            self.emit(&line);
        }
    }

    fn update(&self, now: &Snapshot) {
        self.bar.set_position(now.raw_bytes);
        if let Ok(mut st) = self.state.lock() {
            st.last = now.clone();
            self.bar.set_message(st.message());
            if st.last_json.is_none_or(|t| t.elapsed() >= JSON_EVERY) {
                st.last_json = Some(Instant::now());
                let line = st.json("progress");
                self.emit(&line);
            }
        }
    }

    fn finish(&self) {
        self.bar.disable_steady_tick();
        if let Ok(st) = self.state.lock() {
            let line = st.json("finish");
            self.emit(&line);
        }
    }

    fn cancelled(&self) -> bool {
        self.sigint.load(Ordering::Relaxed) || self.sigterm.load(Ordering::Relaxed)
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// `3h05m`, `4m10s`, `12s`.
fn human_secs(s: f64) -> String {
    let s = s.round() as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_follows_processed_bytes() {
        let mut st = PassState {
            pass: "main".into(),
            total: Some(1000),
            started: Some(Instant::now() - Duration::from_secs(10)),
            ..PassState::default()
        };
        assert_eq!(st.eta(), None);
        st.last.raw_bytes = 250;
        let eta = st.eta().unwrap();
        assert!((29.0..31.5).contains(&eta), "{eta}");
        st.last.raw_bytes = 1000;
        assert_eq!(st.eta(), Some(0.0));
        assert_eq!(human_secs(3725.0), "1h02m");
        assert_eq!(human_secs(250.0), "4m10s");
        assert_eq!(human_secs(9.4), "9s");
    }
}
