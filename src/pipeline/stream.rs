//! In-process use of the pipeline: records in, kept records out, without files.
//!
//! A [`Stream`] runs the same stages as [`super::run`] on batches of JSON records handed to it
//! (the Python `corpusmill.Pipeline` feeds it): the stages before the duplicate decision on the
//! worker threads, the decisions in input order (duplicates of anything the stream has seen
//! are dropped), the stages after the decision on the workers again, and returns the kept
//! records serialized as the shards hold them, in input order. The output for a sequence of
//! batches does not depend on the thread count or on how the records are cut into batches.
//!
//! The per-site repeated-lines stage needs a pass over the whole corpus before the first
//! document can be cleaned, so it does not run in a stream (a run does it). [`Cleaner`] runs
//! the cleaning stages alone on one text.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::config::Config;
use crate::io::pool::BufPool;
use crate::io::reader::{Batch, Entry, RawLine};
use crate::io::record::RecordFormat;
use crate::stage::{Counters, Verdict};
use crate::stats::{StageStats, StageTable, Stats, Timing};
use crate::Error;

use super::ordered::{Decider, Ordered};
use super::work::{Done, Worker};
use super::{Plan, SeqBatch};

/// The name records handed to a stream get in error messages (with their 1-based position).
const ORIGIN: &str = "<records>";

/// A scratch folder for the dedup indexes' files, removed when the stream is dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> crate::Result<Scratch> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "corpusmill-stream-{}-{nanos}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The pipeline as a streaming transformation of JSON records (see the module docs).
pub struct Stream {
    config: Config,
    plan: Plan,
    format: RecordFormat,
    deciders: Vec<Decider>,
    pool: rayon::ThreadPool,
    threads: usize,
    bufs: BufPool,
    /// Batches and records handed in so far.
    batches: u64,
    records: u64,
    stats: Stats,
    figs: Vec<StageStats>,
    counters: Counters,
    seconds: f64,
    // Dropped last: the indexes' files live in it.
    _scratch: Scratch,
}

impl Stream {
    /// Builds the stages of `config` (its `[input]` keys say where each record's fields are;
    /// `input.paths` and `[output]` are not used, but for `output.keep_original_text_key`).
    pub fn new(config: &Config) -> crate::Result<Stream> {
        let scratch = Scratch::new()?;
        let mut config = config.clone();
        config.output.dir = scratch.0.clone();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = match config.pipeline.threads {
            0 => cores,
            n => n.min(super::MAX_THREADS_PER_CORE * cores),
        };
        let plan = Plan::build(&config)?;
        let deciders = plan.deciders(&config, None)?;
        let mut format = RecordFormat::new(&config.input, &config.output);
        format.with_lang = config.lang.enabled;
        format.with_entities = config.entities.enabled;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("corpusmill-stream-{i}"))
            .build()
            .map_err(|e| Error::Internal(format!("cannot start worker threads: {e}")))?;
        let nfigs = plan.names.len();
        Ok(Stream {
            config,
            plan,
            format,
            deciders,
            pool,
            threads,
            bufs: BufPool::new(2 * threads),
            batches: 0,
            records: 0,
            stats: Stats::default(),
            figs: vec![StageStats::default(); nfigs],
            counters: Counters::default(),
            seconds: 0.0,
            _scratch: scratch,
        })
    }

    /// Worker threads the stream uses.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs the stages on `records` (one JSON object each, no newline) following every record
    /// handed in before, and returns the kept ones, serialized, in input order. A bad record
    /// (not JSON, no text) is counted in [`Stream::stats`] and skipped, or stops the stream
    /// with [`Error::Strict`] when `pipeline.strict` is set.
    pub fn process(&mut self, records: &[Vec<u8>]) -> crate::Result<Vec<Vec<u8>>> {
        let started = Instant::now();
        let file: Arc<str> = Arc::from(ORIGIN);
        // About two chunks per thread, so a slow chunk does not leave the others idle.
        let per = records.len().div_ceil(2 * self.threads).max(1);
        let mut chunks = Vec::new();
        for part in records.chunks(per) {
            let mut buf = Vec::with_capacity(part.iter().map(Vec::len).sum());
            let mut entries = Vec::with_capacity(part.len());
            for r in part {
                self.records += 1;
                let start = buf.len();
                buf.extend_from_slice(r);
                entries.push(Entry::Line(RawLine {
                    start,
                    end: buf.len(),
                    line: self.records,
                }));
            }
            chunks.push(SeqBatch {
                seq: self.batches,
                first_doc: self.records - part.len() as u64,
                batch: Batch {
                    file_index: 0,
                    file: file.clone(),
                    bytes: (buf.len() + part.len()) as u64,
                    raw: 0,
                    warc: false,
                    buf,
                    entries,
                },
            });
            self.batches += 1;
        }
        let (plan, format, config, bufs) = (&self.plan, &self.format, &self.config, &self.bufs);
        let decidable: Vec<_> = self.pool.install(|| {
            chunks
                .into_par_iter()
                .map(|sb| {
                    let mut w = Worker::new(plan, format, config);
                    let d = w.decide_ready(sb, bufs);
                    (d, w.figs, w.counters)
                })
                .collect()
        });
        let mut ordered = Ordered {
            deciders: &mut self.deciders,
            duplicates: None,
            errors: None,
            strict: self.config.pipeline.strict,
            replay_until: 0,
            stats: std::mem::take(&mut self.stats),
            figs: std::mem::take(&mut self.figs),
        };
        let mut kept = Vec::with_capacity(decidable.len());
        let mut failed = None;
        for (d, figs, counters) in decidable {
            for (a, b) in ordered.figs.iter_mut().zip(&figs) {
                a.merge(b);
            }
            self.counters.merge(&counters);
            if failed.is_none() {
                match ordered.batch(d.seq, d) {
                    Ok(k) => kept.push(k),
                    Err(e) => failed = Some(e),
                }
            }
        }
        self.stats = ordered.stats;
        self.figs = ordered.figs;
        if let Some(e) = failed {
            return Err(e);
        }
        let finished: Vec<_> = self.pool.install(|| {
            kept.into_par_iter()
                .map(|kb| Worker::new(plan, format, config).finish(kb))
                .collect()
        });
        let mut out = Vec::new();
        for f in finished {
            let f = f?;
            self.counters.merge(&f.counters);
            for (fig, st) in &f.figs {
                if let Some(slot) = self.figs.get_mut(*fig) {
                    slot.merge(st);
                }
            }
            for d in f.items {
                match d {
                    Done::Record { json, .. } => {
                        self.stats.docs_written += 1;
                        self.stats.bytes_out += json.len() as u64 + 1;
                        out.push(json);
                    }
                    Done::Rejected {
                        counted: Some((stage, rule)),
                        ..
                    } => self.stats.reject(stage, rule),
                    Done::Rejected { .. } => {}
                }
            }
        }
        self.seconds += started.elapsed().as_secs_f64();
        Ok(out)
    }

    /// What the stream has done so far, as `stats.json` reports a run (`timing.wall_s` is the
    /// time spent inside [`Stream::process`]).
    pub fn stats(&self) -> Stats {
        let mut s = self.stats.clone();
        s.add_counters(&self.counters);
        // The pre-scanned stage does not run in a stream: it is left out of the table.
        let skipped = self.plan.prescan.as_ref().map(|p| p.1);
        s.stages = StageTable(
            self.plan
                .names
                .iter()
                .copied()
                .zip(self.figs.iter().cloned())
                .enumerate()
                .filter(|(i, _)| Some(*i) != skipped)
                .map(|(_, x)| x)
                .collect(),
        );
        let wall = self.seconds.max(1e-9);
        s.timing = Timing {
            wall_s: self.seconds,
            prescan_s: 0.0,
            docs_per_s: s.docs_in as f64 / wall,
            mb_per_s: s.bytes_in as f64 / 1e6 / wall,
            threads: self.threads,
        };
        s
    }
}

/// The cleaning stages of a config (those before the duplicate decision, without the dedup
/// keys and the per-site repeated-lines stage) applied to one text at a time.
pub struct Cleaner {
    plan: Plan,
}

impl Cleaner {
    /// Builds the stages `config` enables.
    pub fn new(config: &Config) -> crate::Result<Cleaner> {
        Ok(Cleaner {
            plan: Plan::build(config)?,
        })
    }

    /// The cleaned text, or `None` when a stage rejects the document. `url` helps the stages
    /// that look at the site.
    pub fn clean(&self, text: &str, url: Option<&str>) -> Option<String> {
        let mut doc = crate::doc::Doc::from_text("", text);
        doc.url = url.map(str::to_string);
        doc.site = url.and_then(crate::io::record::host);
        let mut counters = Counters::default();
        for st in self.plan.before.iter().filter(|s| s.counts_docs) {
            if let Verdict::Drop(_) = st.stage.process(&mut doc, &mut counters) {
                return None;
            }
        }
        Some(doc.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, text: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({"id": id, "text": text, "keep": 1})).unwrap()
    }

    const ARTICLE: &str = "Angela Merkel met the French president in Berlin on Monday to \
        discuss the budget. The talks lasted three hours and ended without an agreement, \
        officials said. Both sides will meet again next week in Paris, where the finance \
        ministers are expected to present a new proposal on the shared fund.";

    #[test]
    fn drops_copies_across_batches_in_order_for_any_thread_count() {
        let mut outs = Vec::new();
        for threads in [1, 3] {
            let mut c = Config::default();
            c.pipeline.threads = threads;
            let mut s = Stream::new(&c).unwrap();
            let other = "Heavy rain flooded the valley overnight and closed two schools, the \
                council reported. Farmers expect the harvest to be late this year, while the \
                railway line to the coast will stay shut until engineers have checked every \
                bridge along the river for damage caused by the water.";
            let first = s
                .process(&[record("a", ARTICLE), record("b", other), record("c", "x")])
                .unwrap();
            let second = s.process(&[record("d", ARTICLE)]).unwrap();
            assert!(
                second.is_empty(),
                "a copy of an earlier batch's record is dropped"
            );
            let st = s.stats();
            assert_eq!(st.docs_in, 4);
            assert_eq!(st.docs_written, first.len() as u64);
            assert_eq!(st.duplicates_total(), 1);
            assert!(st.stages.get("repeated_lines").is_none());
            assert_eq!(
                st.stages.get("entities").unwrap().docs_in,
                first.len() as u64
            );
            outs.push(first);
        }
        assert_eq!(outs[0], outs[1]);
        let v: serde_json::Value = serde_json::from_slice(&outs[0][0]).unwrap();
        assert_eq!(v["id"], "a");
        assert_eq!(v["keep"], 1);
        let ents = v["entities"].as_array().unwrap();
        assert!(ents.iter().any(|e| e["label"] == "PER"), "{v}");
    }

    #[test]
    fn cleaner_cleans_and_rejects() {
        let c = Cleaner::new(&Config::default()).unwrap();
        assert!(c.clean("too short", None).is_none());
        let cleaned = c
            .clean(&format!("  {ARTICLE}  "), Some("https://example.com/a"))
            .unwrap();
        assert_eq!(cleaned, ARTICLE);
    }
}
