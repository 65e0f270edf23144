//! Wiring: reader threads → bounded channels → rayon workers running the document stages →
//! the ordered stage (re-sequencing, exact and near dedup, side outputs) → shard writer threads.
//!
//! Every channel is bounded, so memory does not grow with the input. Batches carry a sequence
//! number; the ordered stage handles them strictly in input order, which makes every output
//! byte-identical for any thread count. When a stage needs corpus statistics (per-site repeated
//! lines), a pre-scan pass over the same inputs runs first.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::config::Config;
use crate::doc::Origin;
use crate::io::errors::InputError;
use crate::io::pool::BufPool;
use crate::io::reader::{Batch, FileReport, ReaderOptions};
use crate::io::record::RecordFormat;
use crate::io::source::{self, Input};
use crate::io::writer::{self, FileSummary};
use crate::stage::{Candidate, OrderedStage, Stage};
use crate::stats::{Stats, Timing};
use crate::Error;

mod exec;
mod output;

pub use output::{InputSummary, Manifest, Totals};

/// Receives progress from a run; the binary draws a progress bar with it. Called from the
/// ordered stage's thread only.
pub trait Progress: Sync {
    /// A pass starts (`prescan` or `main`); `total_bytes` is the summed size of the input files
    /// on disk when known.
    fn start(&self, _pass: &str, _total_bytes: Option<u64>) {}
    /// Work done so far in this pass: raw (on-disk) bytes consumed, uncompressed bytes and
    /// documents processed.
    fn update(&self, _raw_bytes: u64, _bytes: u64, _docs: u64) {}
    /// The pass ended.
    fn finish(&self) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct Summary {
    /// `stats.json`.
    pub stats: Stats,
    /// `manifest.json`.
    pub manifest: Manifest,
    /// True when some input could not be read to its end (the binary exits with code 2).
    pub incomplete_inputs: bool,
}

/// A per-document stage slot: built up front, or (repeated lines) after the pre-scan.
enum Slot {
    Ready(Box<dyn Stage>),
    RepeatedLines,
}

/// Builds the per-document stages in config order. Adding a stage is one line here.
fn build_stages(c: &Config) -> crate::Result<Vec<Slot>> {
    type Build<'a> = &'a dyn Fn() -> crate::Result<Slot>;
    fn ready<S: Stage + 'static>(s: crate::Result<S>) -> crate::Result<Slot> {
        Ok(Slot::Ready(Box::new(s?)))
    }
    let all: [(bool, Build<'_>); 10] = [
        (c.unwrap.enabled, &|| ready(c.unwrap.build())),
        (c.normalize.enabled, &|| ready(c.normalize.build())),
        (c.line_rules.enabled, &|| ready(c.line_rules.build())),
        (c.repeated_lines.enabled, &|| Ok(Slot::RepeatedLines)),
        (c.quality.enabled, &|| ready(c.quality.build())),
        (c.min_length.enabled, &|| ready(c.min_length.build())),
        (c.lang.enabled, &|| ready(c.lang.build())),
        (c.exact_dedup.enabled, &|| {
            ready(Ok(crate::dedup::exact::ExactKey))
        }),
        (c.near_dedup.enabled, &|| ready(c.near_dedup.build_signer())),
        (c.entities.enabled, &|| ready(c.entities.build())),
    ];
    all.iter()
        .filter(|(on, _)| *on)
        .map(|(_, build)| build())
        .collect()
}

/// Builds the ordered stages (first seen wins), in order.
/// `docs` is the input's document count when a pre-scan counted it.
fn build_ordered(c: &Config, docs: Option<u64>) -> crate::Result<Vec<Box<dyn OrderedStage>>> {
    use crate::dedup::exact::{ExactIndex, IdLog};
    let mut v: Vec<Box<dyn OrderedStage>> = Vec::new();
    if c.exact_dedup.enabled {
        // Kept ids go to disk so memory holds only the 16-byte keys and a handle.
        let log = IdLog::file(&c.output.dir.join(".exact-ids.tmp"))?;
        v.push(Box::new(ExactIndex::with_log(log)));
    }
    if c.near_dedup.enabled {
        // Kept ids, band keys and sketches go to files in the output folder (removed at the
        // end). A counted input sizes the band table once instead of growing it.
        let near = match docs {
            Some(n) => c.near_dedup.sized_for(n),
            None => c.near_dedup.clone(),
        };
        v.push(Box::new(near.build_index_in(&c.output.dir)?));
    }
    Ok(v)
}

/// The names of the stages that can be switched off with `--disable`.
pub const STAGE_NAMES: &[&str] = &[
    "unwrap",
    "normalize",
    "line_rules",
    "repeated_lines",
    "quality",
    "min_length",
    "lang",
    "exact_dedup",
    "near_dedup",
    "entities",
];

/// Switches a stage off by name (as `--disable` does).
pub fn disable_stage(c: &mut Config, name: &str) -> crate::Result<()> {
    match name {
        "unwrap" => c.unwrap.enabled = false,
        "normalize" => c.normalize.enabled = false,
        "line_rules" => c.line_rules.enabled = false,
        "repeated_lines" => c.repeated_lines.enabled = false,
        "quality" => c.quality.enabled = false,
        "min_length" => c.min_length.enabled = false,
        "lang" => c.lang.enabled = false,
        "exact_dedup" => c.exact_dedup.enabled = false,
        "near_dedup" => c.near_dedup.enabled = false,
        "entities" => c.entities.enabled = false,
        other => {
            return Err(Error::Config(format!(
                "unknown stage `{other}` (stages: {})",
                STAGE_NAMES.join(", ")
            )))
        }
    }
    Ok(())
}

/// One batch with its position in input order.
struct SeqBatch {
    seq: u64,
    first_doc: u64,
    batch: Batch,
}

/// What a worker made of one input line.
enum Outcome {
    Kept(Kept),
    Rejected {
        stage: &'static str,
        rule: &'static str,
        json: Vec<u8>,
    },
    Error(InputError),
}

struct Kept {
    seq: u64,
    id: String,
    origin: Origin,
    exact_key: Option<u128>,
    minhash: Option<Box<[u32]>>,
    shard: usize,
    json: Vec<u8>,
}

impl Kept {
    /// What the ordered stages see of the document.
    fn candidate(&self) -> Candidate<'_> {
        Candidate {
            seq: self.seq,
            id: &self.id,
            exact_key: self.exact_key,
            minhash: self.minhash.as_deref(),
        }
    }
}

struct Processed {
    seq: u64,
    bytes: u64,
    outcomes: Vec<Outcome>,
}

/// Runs the pipeline described by `config` and writes everything into `config.output.dir`.
pub fn run(config: &Config, progress: &dyn Progress) -> crate::Result<Summary> {
    config.validate()?;
    let started = Instant::now();
    let threads = if config.pipeline.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        config.pipeline.threads
    };
    let out_dir = config.output.dir.clone();
    std::fs::create_dir_all(&out_dir).map_err(|e| Error::io(&out_dir, e))?;

    let mut inputs = source::resolve(&config.input.paths)?;
    let mut slots = build_stages(config)?;
    let mut format = RecordFormat::new(&config.input, &config.output);
    format.with_lang = config.lang.enabled;
    format.with_entities = config.entities.enabled;

    // The pre-scan reads the input twice; standard input can be read once, so spool it.
    let needs_prescan = slots.iter().any(|s| matches!(s, Slot::RepeatedLines));
    let spool = if needs_prescan && inputs.iter().any(Input::is_stdin) {
        Some(spool_stdin(&out_dir)?)
    } else {
        None
    };
    let opts = ReaderOptions {
        max_line_bytes: config.input.max_line_bytes,
        batch_bytes: config.pipeline.batch_bytes,
        pool: Arc::new(BufPool::new(2 * threads + 8 * config.pipeline.readers)),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("corpusmill-worker-{i}"))
        .build()
        .map_err(|e| Error::Internal(format!("cannot start worker threads: {e}")))?;
    let queue = if config.pipeline.queue_batches == 0 {
        threads * 2
    } else {
        config.pipeline.queue_batches
    };
    let exec = Exec {
        inputs: &inputs,
        spool: spool.as_deref(),
        opts: &opts,
        format: &format,
        pool: &pool,
        threads,
        queue,
        progress,
    };

    let prescan_started = Instant::now();
    let mut counted_docs = None;
    if needs_prescan {
        let pos = slots
            .iter()
            .position(|s| matches!(s, Slot::RepeatedLines))
            .unwrap_or(0);
        let before: Vec<&dyn Stage> = ready(&slots[..pos]);
        let (counter, docs) = exec.prescan(&before, config.repeated_lines.counter()?)?;
        slots[pos] = Slot::Ready(Box::new(counter.finish()?));
        counted_docs = Some(docs);
    }
    let prescan_s = if needs_prescan {
        prescan_started.elapsed().as_secs_f64()
    } else {
        0.0
    };
    let stages: Vec<&dyn Stage> = ready(&slots);
    let mut ordered = build_ordered(config, counted_docs)?;
    let result = exec.main(config, &stages, &mut ordered);
    drop(ordered);
    if let Some(p) = &spool {
        let _ = std::fs::remove_file(p);
        for i in inputs.iter_mut().filter(|i| i.is_stdin()) {
            i.size = None;
        }
    }
    let (mut stats, reports, shards, side) = result?;

    let wall = started.elapsed().as_secs_f64();
    stats.timing = Timing {
        wall_s: wall,
        prescan_s,
        docs_per_s: stats.docs_in as f64 / wall.max(1e-9),
        mb_per_s: stats.bytes_in as f64 / 1e6 / wall.max(1e-9),
        threads,
    };
    let incomplete_inputs = reports.iter().any(|r| !r.complete);
    let manifest = Manifest {
        corpusmill_version: env!("CARGO_PKG_VERSION"),
        config: config.effective(),
        inputs: reports
            .iter()
            .map(|r| InputSummary {
                path: r.file.to_string(),
                codec: r.codec.map(|c| c.name()),
                lines: r.lines,
                bytes: r.bytes,
                complete: r.complete,
            })
            .collect(),
        shards,
        side_outputs: side,
        totals: Totals {
            docs_in: stats.docs_in,
            docs_written: stats.docs_written,
            rejected: stats.rejected_total(),
            duplicates: stats.duplicates_total(),
            errors: stats.errors_total(),
        },
    };
    writer::write_json_file(&out_dir, "manifest.json", &manifest)?;
    writer::write_json_file(&out_dir, "stats.json", &stats)?;
    Ok(Summary {
        stats,
        manifest,
        incomplete_inputs,
    })
}

fn ready(slots: &[Slot]) -> Vec<&dyn Stage> {
    slots
        .iter()
        .filter_map(|s| match s {
            Slot::Ready(s) => Some(s.as_ref()),
            Slot::RepeatedLines => None,
        })
        .collect()
}

fn spool_stdin(dir: &Path) -> crate::Result<PathBuf> {
    let path = dir.join(".stdin.spool");
    let mut f = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
    std::io::copy(&mut std::io::stdin().lock(), &mut f).map_err(|e| Error::io("-", e))?;
    Ok(path)
}

/// Shared execution context of both passes.
struct Exec<'a> {
    inputs: &'a [Input],
    spool: Option<&'a Path>,
    opts: &'a ReaderOptions,
    format: &'a RecordFormat,
    pool: &'a rayon::ThreadPool,
    threads: usize,
    queue: usize,
    progress: &'a dyn Progress,
}

type MainResult = (Stats, Vec<FileReport>, Vec<FileSummary>, Vec<FileSummary>);
