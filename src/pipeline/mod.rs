//! Wiring: reader threads → rayon workers running the stages before the duplicate decision
//! (cleaning, filters, dedup keys) → the ordered stage (re-sequencing, exact and near dedup in
//! input order) → the workers again, for kept documents only, running the stages after the
//! decision (entities) and serializing → the collector (re-sequencing, shard buffers,
//! `rejected.jsonl.zst`) → shard writer threads. Duplicates never reach the expensive stages.
//!
//! The stages come from the registry ([`registry::STAGES`]). Batches carry a sequence number;
//! the ordered stage and the collector handle them strictly in input order, which makes every
//! output byte-identical for any thread count. Memory is bounded: every channel but the one of
//! kept documents is bounded, and that one is fed only with what the bounded ones let through
//! (workers take kept documents before new input). When a stage needs corpus statistics
//! (per-site repeated lines), a pre-scan pass over the same inputs runs first.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::config::Config;
use crate::io::pool::BufPool;
use crate::io::reader::{Batch, FileReport, ReaderOptions};
use crate::io::record::RecordFormat;
use crate::io::source::{self, Input};
use crate::io::writer::{self, FileSummary};
use crate::stage::{Prescan, Stage};
use crate::stats::{Stats, Timing};
use crate::Error;
use checkpoint::Checkpoint;

mod checkpoint;
mod collect;
pub mod dist;
mod exec;
pub mod folder;
mod ordered;
mod output;
mod progress;
pub mod registry;
mod stream;
mod work;

use ordered::Decider;
pub use ordered::ERROR_LINES_PER_KIND;
use registry::Builder;

pub use output::{InputSummary, Manifest, Totals};
use progress::StageClock;
pub use progress::{NoProgress, Progress, Snapshot};
pub use stream::{Cleaner, Stream};

/// What a run produced.
#[derive(Clone, Debug)]
pub struct Summary {
    /// `stats.json`.
    pub stats: Stats,
    /// `manifest.json`.
    pub manifest: Manifest,
    /// True when some input could not be read to its end (the binary exits with code 2).
    pub incomplete_inputs: bool,
    /// Things the user should know that did not stop the run (a capped thread count, ...).
    pub warnings: Vec<String>,
}

/// Worker threads beyond this many per core are not started (`pipeline.threads` is capped).
pub const MAX_THREADS_PER_CORE: usize = 4;

/// A per-document stage in the worker chain, with its slot in the per-stage figures.
pub(crate) struct Step {
    /// Index into [`Plan::names`].
    fig: usize,
    /// False for the worker half of a dedup stage: its documents are counted by the decision.
    counts_docs: bool,
    stage: Box<dyn Stage>,
}

/// The enabled stages of a run, built from the registry, split at the duplicate decision.
pub(crate) struct Plan {
    /// The enabled stages' names, in registry order: the slots of the per-stage figures.
    names: Vec<&'static str>,
    /// Worker stages before the decision, dedup keys last.
    before: Vec<Step>,
    /// A stage built from a pre-scan, and where in `before` it goes.
    prescan: Option<(usize, usize, Box<dyn Prescan>)>,
    /// The ordered halves of the dedup stages (built when the pre-scan has counted the input).
    dedup: Vec<(usize, registry::BuildIndex)>,
    /// Worker stages after the decision.
    after: Vec<Step>,
    /// CPU time per stage so far, for progress (slots like `names`).
    clock: StageClock,
    /// Documents are numbered by [`global_position`] instead of 0, 1, 2, ... (a task of the
    /// distributed plan, which reads part of the input).
    positions: bool,
}

/// Bits of the line number in a global document position.
const LINE_BITS: u32 = 40;

/// A document's global position: its file's place in the input list, then its line number
/// (up to 2^40 lines per file, 2^24 files). Sorting by it gives input order, whatever part of
/// the input a task reads.
pub(crate) fn global_position(file_index: usize, line: u64) -> u64 {
    ((file_index as u64) << LINE_BITS) | (line & ((1 << LINE_BITS) - 1))
}

impl Plan {
    fn build(c: &Config) -> crate::Result<Plan> {
        let mut plan = Plan {
            names: Vec::new(),
            before: Vec::new(),
            prescan: None,
            dedup: Vec::new(),
            after: Vec::new(),
            clock: StageClock::default(),
            positions: false,
        };
        for def in registry::STAGES.iter().filter(|d| (d.enabled)(c)) {
            let fig = plan.names.len();
            plan.names.push(def.name);
            let step = |stage, counts_docs| Step {
                fig,
                counts_docs,
                stage,
            };
            match def.builder {
                Builder::Before(b) => plan.before.push(step(b(c)?, true)),
                Builder::Prescanned(b) => {
                    if plan.prescan.is_some() {
                        return Err(Error::Internal(format!(
                            "stage `{}`: only one stage can use the pre-scan",
                            def.name
                        )));
                    }
                    plan.prescan = Some((plan.before.len(), fig, b(c)?));
                }
                Builder::Dedup { key, index } => {
                    plan.before.push(step(key(c)?, false));
                    plan.dedup.push((fig, index));
                }
                Builder::After(b) => plan.after.push(step(b(c)?, true)),
            }
        }
        plan.clock = StageClock::new(plan.names.len());
        Ok(plan)
    }

    /// Builds the ordered stages; `docs` is the input's document count when a pre-scan
    /// counted it.
    fn deciders(&self, c: &Config, docs: Option<u64>) -> crate::Result<Vec<Decider>> {
        let ctx = registry::IndexContext {
            dir: &c.output.dir,
            docs,
        };
        self.dedup
            .iter()
            .map(|&(fig, build)| {
                Ok(Decider {
                    fig,
                    stage: build(c, ctx)?,
                })
            })
            .collect()
    }
}

/// The names of the stages that can be switched off with `--disable`, in pipeline order.
pub fn stage_names() -> Vec<&'static str> {
    registry::stage_names()
}

/// Switches a stage off by name (as `--disable` does).
pub fn disable_stage(c: &mut Config, name: &str) -> crate::Result<()> {
    registry::disable_stage(c, name)
}

/// One batch with its position in input order.
struct SeqBatch {
    seq: u64,
    first_doc: u64,
    batch: Batch,
}

/// Runs the pipeline described by `config` and writes everything into `config.output.dir`.
pub fn run(config: &Config, progress: &dyn Progress) -> crate::Result<Summary> {
    config.validate()?;
    let started = Instant::now();
    let (threads, warnings) = worker_threads(config);
    check_open_files(config.output.shards)?;
    // Inputs first: a missing file is reported before the output folder is touched.
    let mut notes = Vec::new();
    let inputs = source::resolve_noting(&config.input.paths, &mut notes)?;
    let out_dir = config.output.dir.clone();
    std::fs::create_dir_all(&out_dir).map_err(|e| Error::io(&out_dir, e))?;
    let _lock = folder::lock(&out_dir)?;
    let resume = match config.pipeline.existing_output {
        folder::Existing::Resume => Some(Checkpoint::load(&out_dir)?),
        other => {
            folder::prepare_fresh(&out_dir, other)?;
            None
        }
    };
    let fresh = resume.is_none();
    let result = run_locked(
        config, progress, threads, resume, started, inputs, notes, None,
    );
    if let Err(e) = &result {
        // A run stopped by a signal or by a full disk can be resumed; anything else (a
        // --strict stop, missing inputs) would stop again the same way, so the files it
        // started go. An interrupted run's files are never removed by a failed --resume.
        if fresh && !matches!(e, Error::Interrupted(_) | Error::Io { .. }) {
            let _ = folder::clear(&out_dir);
        }
    }
    let mut summary = result?;
    summary.warnings.extend(warnings);
    Ok(summary)
}

/// What a task of the distributed plan changes in a run: it reads pieces of the input, the
/// pre-scanned stage is built from counts over the whole input, and the duplicate decisions
/// come from the plan's cluster stage.
pub(crate) struct PartRun {
    /// The pieces to read, each with its [`source::Part`].
    pub(crate) inputs: Vec<Input>,
    /// The stage that a pre-scan builds (per-site repeated lines), when it is enabled.
    pub(crate) prescanned: Option<Box<dyn Stage>>,
    /// The ordered stages, one per enabled dedup stage in registry order.
    pub(crate) deciders: Vec<Box<dyn crate::stage::OrderedStage>>,
}

/// Runs the pipeline over part of the input into `config.output.dir` (a task's folder of
/// the distributed plan): the same threads, stages and output files as [`run`], numbered by
/// global position, with the pre-scanned stage and the decisions given.
pub(crate) fn run_part(
    config: &Config,
    part: PartRun,
    progress: &dyn Progress,
) -> crate::Result<Summary> {
    config.validate()?;
    let started = Instant::now();
    let (threads, warnings) = worker_threads(config);
    check_open_files(config.output.shards)?;
    let out_dir = config.output.dir.clone();
    std::fs::create_dir_all(&out_dir).map_err(|e| Error::io(&out_dir, e))?;
    let _lock = folder::lock(&out_dir)?;
    folder::prepare_fresh(&out_dir, folder::Existing::Overwrite)?;
    let inputs = part.inputs.clone();
    let mut summary = run_locked(
        config,
        progress,
        threads,
        None,
        started,
        inputs,
        Vec::new(),
        Some(part),
    )?;
    summary.warnings.extend(warnings);
    Ok(summary)
}

/// Runs the stages before the duplicate decision over `inputs` (pieces of the distributed
/// plan) and hands every document that passes them to a visitor, one per worker thread
/// (`make(i)` builds visitor `i`). With `prescanned`, the pre-scanned stage is that one; with
/// `prescan_only`, the pass stops before it and returns the pre-scan's saved counts instead.
pub(crate) fn scan_part<V: exec::Visitor>(
    config: &Config,
    inputs: Vec<Input>,
    prescanned: Option<Box<dyn Stage>>,
    make: impl Fn(usize) -> crate::Result<V>,
    progress: &dyn Progress,
) -> crate::Result<Vec<V>> {
    config.validate()?;
    let mut plan = Plan::build(config)?;
    part_exec(config, &inputs, progress, |exec| {
        if let Some((at, fig, _)) = plan.prescan.take() {
            let stage = prescanned.ok_or_else(|| {
                Error::Internal("the pre-scanned stage is missing from a plan task".into())
            })?;
            plan.before.insert(
                at,
                Step {
                    fig,
                    counts_docs: true,
                    stage,
                },
            );
        }
        let visitors = (0..exec.threads)
            .map(make)
            .collect::<crate::Result<Vec<V>>>()?;
        Ok(exec.scan("prepare", &plan.before, visitors)?.0)
    })
}

/// Runs `f` with an executor over `inputs` (pieces of the distributed plan): no spool, the
/// config's worker threads and reader options.
fn part_exec<R>(
    config: &Config,
    inputs: &[Input],
    progress: &dyn Progress,
    f: impl FnOnce(&Exec<'_>) -> crate::Result<R>,
) -> crate::Result<R> {
    let (threads, _) = worker_threads(config);
    let (opts, pool, format) = exec_parts(config, threads)?;
    f(&Exec {
        inputs,
        spool: None,
        opts: &opts,
        format: &format,
        pool: &pool,
        threads,
        queue: threads * 2,
        progress,
    })
}

/// The pre-scan over `inputs` (pieces of the distributed plan): its saved counts
/// ([`Prescan::save`]), or `None` when no enabled stage needs a pre-scan.
pub(crate) fn prescan_part(
    config: &Config,
    inputs: Vec<Input>,
    progress: &dyn Progress,
) -> crate::Result<Option<Vec<u8>>> {
    config.validate()?;
    let mut plan = Plan::build(config)?;
    let Some((at, _, counter)) = plan.prescan.take() else {
        return Ok(None);
    };
    part_exec(config, &inputs, progress, |exec| {
        let (counter, _) = exec.prescan(&plan.before[..at], counter)?;
        Ok(Some(counter.save()))
    })
}

/// The pre-scanned stage from counts saved by [`prescan_part`] tasks, merged in task order;
/// `None` when no enabled stage needs a pre-scan.
pub(crate) fn prescanned_stage(
    config: &Config,
    saved: &[Vec<u8>],
) -> crate::Result<Option<Box<dyn Stage>>> {
    let mut plan = Plan::build(config)?;
    let Some((_, _, counter)) = plan.prescan.take() else {
        return Ok(None);
    };
    let mut merged = counter.fork();
    for bytes in saved {
        merged.load(bytes)?;
    }
    Ok(Some(merged.finish()?))
}

/// Reader options, worker pool and record format for `threads` workers.
fn exec_parts(
    config: &Config,
    threads: usize,
) -> crate::Result<(ReaderOptions, rayon::ThreadPool, RecordFormat)> {
    let mut format = RecordFormat::new(&config.input, &config.output);
    format.with_lang = config.lang.enabled;
    format.with_entities = config.entities.enabled;
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
    Ok((opts, pool, format))
}

/// The worker thread count `pipeline.threads` asks for, capped, with a warning when capped.
fn worker_threads(config: &Config) -> (usize, Vec<String>) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut warnings = Vec::new();
    let threads = match config.pipeline.threads {
        0 => cores,
        n if n > MAX_THREADS_PER_CORE * cores => {
            warnings.push(format!(
                "pipeline.threads = {n} on {cores} cores: using {} worker threads ({} per core); \
                 more only add memory and switching",
                MAX_THREADS_PER_CORE * cores,
                MAX_THREADS_PER_CORE
            ));
            MAX_THREADS_PER_CORE * cores
        }
        n => n,
    };
    (threads, warnings)
}

#[allow(clippy::too_many_arguments)]
fn run_locked(
    config: &Config,
    progress: &dyn Progress,
    threads: usize,
    resume: Option<Checkpoint>,
    started: Instant,
    mut inputs: Vec<Input>,
    notes: Vec<String>,
    mut part: Option<PartRun>,
) -> crate::Result<Summary> {
    let out_dir = config.output.dir.clone();

    let run_id = checkpoint::fingerprint(config, &inputs);
    let start = match resume {
        Some(cp) => {
            if inputs.iter().any(Input::is_stdin) {
                return Err(Error::Config(
                    "--resume cannot re-read standard input: resume runs that read files".into(),
                ));
            }
            cp.check(&run_id, config.output.shards)?;
            cp
        }
        None => {
            let cp = Checkpoint::start(run_id, config.output.shards);
            cp.save(&out_dir)?;
            cp
        }
    };
    let mut plan = Plan::build(config)?;
    plan.positions = part.is_some();
    if part.is_some() {
        // The plan has decided the duplicates: the worker halves of the dedup stages (keys,
        // MinHash signatures) would be computed for nothing.
        plan.before.retain(|s| s.counts_docs);
    }

    // The pre-scan reads the input twice; standard input can be read once, so spool it.
    let needs_prescan = plan.prescan.is_some();
    let spool = if needs_prescan && inputs.iter().any(Input::is_stdin) {
        Some(spool_stdin(&out_dir)?)
    } else {
        None
    };
    let (opts, pool, format) = exec_parts(config, threads)?;
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
    let prescanned = part.as_mut().and_then(|p| p.prescanned.take());
    if let Some((at, fig, counter)) = plan.prescan.take() {
        let stage = match prescanned {
            Some(stage) => stage,
            None => {
                let (counter, docs) = exec.prescan(&plan.before[..at], counter)?;
                counted_docs = Some(docs);
                counter.finish()?
            }
        };
        plan.before.insert(
            at,
            Step {
                fig,
                counts_docs: true,
                stage,
            },
        );
    }
    let prescan_s = if counted_docs.is_some() {
        prescan_started.elapsed().as_secs_f64()
    } else {
        0.0
    };
    let mut deciders = match part.take() {
        Some(p) => {
            if p.deciders.len() != plan.dedup.len() {
                return Err(Error::Internal(
                    "a plan task's decisions do not match the enabled dedup stages".into(),
                ));
            }
            plan.dedup
                .iter()
                .zip(p.deciders)
                .map(|(&(fig, _), stage)| Decider { fig, stage })
                .collect()
        }
        None => plan.deciders(config, counted_docs)?,
    };
    let fin = output::Finisher {
        dir: &out_dir,
        format: config.output.format,
        zstd_level: config.output.zstd_level,
        kept: crate::io::parquet::Table::Kept(crate::io::parquet::KeptKeys::of(config)),
    };
    let result = exec.main(config, &plan, &mut deciders, &start, &fin);
    drop(deciders);
    if let Some(p) = &spool {
        let _ = std::fs::remove_file(p);
        for i in inputs.iter_mut().filter(|i| i.is_stdin()) {
            i.size = None;
        }
    }
    let (mut stats, reports, shards, side) = result?;
    // WARC records that are not HTML responses never become documents; count them with the
    // input figures so a run over crawl files says how much it passed over.
    let skipped: u64 = reports.iter().map(|r| r.skipped_records).sum();
    if skipped > 0 {
        stats
            .counters
            .entry("input".into())
            .or_default()
            .insert("warc_records_skipped".into(), skipped);
    }

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
                format: if r.warc { "warc" } else { "jsonl" },
                skipped_records: r.skipped_records,
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
    // The manifest goes last: a folder with a manifest is complete.
    writer::write_json_file(&out_dir, "stats.json", &stats)?;
    writer::write_json_file(&out_dir, "manifest.json", &manifest)?;
    fin.remove_spools(config.output.shards)?;
    let cp = out_dir.join(folder::CHECKPOINT_FILE);
    std::fs::remove_file(&cp).map_err(|e| Error::io(&cp, e))?;
    Ok(Summary {
        stats,
        manifest,
        incomplete_inputs,
        warnings: notes,
    })
}

/// Every shard is an open file for the whole run: checks the open-file limit up front (raising
/// the soft limit to the hard one if needed), instead of failing thousands of files in.
fn check_open_files(shards: usize) -> crate::Result<()> {
    // Side outputs, dedup scratch files, inputs being read, the lock, standard streams.
    let need = shards as u64 + 64;
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed to them.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 || lim.rlim_cur >= need {
        return Ok(());
    }
    if lim.rlim_max >= need {
        let raised = libc::rlimit {
            rlim_cur: need.max(lim.rlim_cur),
            rlim_max: lim.rlim_max,
        };
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return Ok(());
        }
    }
    Err(Error::Config(format!(
        "output.shards = {shards} needs about {need} open files, but the limit is {} (hard limit \
         {}): use fewer shards, or raise the limit (ulimit -n)",
        lim.rlim_cur, lim.rlim_max
    )))
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
