//! The `corpusmill` command: parse arguments, build the config, run, and map the result to an
//! exit code (0 ok, 1 fatal error, 2 some input could not be read to its end, 130/143 stopped
//! by SIGINT/SIGTERM with a checkpoint saved).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use corpusmill::clean::profile::Profile;
use std::sync::atomic::Ordering;

use corpusmill::config::{Config, OutputFormat, Overrides};
use corpusmill::pipeline;
use corpusmill::pipeline::dist;
use corpusmill::pipeline::folder::Existing;

mod gen;
mod progress;

/// Workers allocate each record and the ordered stage frees it on another thread; glibc's
/// per-thread arenas keep such memory, so peak RSS grew by 43% from a 100 MB to a 1 GB input
/// (benches/harness/memory.sh), against 9% with mimalloc, which also costs less CPU per record.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Streaming cleaning, deduplication and entity extraction for large article corpora.
///
/// Reads JSONL dumps (zstd, gzip or plain, detected from the bytes), normalizes and cleans the
/// text, removes exact and near duplicates, tags entities, and writes sharded .jsonl.zst output
/// with manifest.json, stats.json, rejected.jsonl.zst, duplicates.jsonl.zst and errors.jsonl.
#[derive(Parser, Debug)]
#[command(name = "corpusmill", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the pipeline (with no arguments: the bundled sample and config/default.toml).
    Run(Box<RunArgs>),
    /// Generate a benchmark corpus of a given size from real articles, with planted exact,
    /// near, boilerplate-wrapped and mixed duplicates listed in truth.jsonl.
    Gen(GenArgs),
    /// List the pipeline's stages in order: which side of the duplicate decision each runs on,
    /// whether the config switches it on, and what it does.
    Stages {
        /// Config file (default: config/default.toml when it exists, else built-in defaults).
        #[arg(long, short = 'c', value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Run one task of a distributed plan (what `run --executor` starts; run it by hand to
    /// retry a failed task).
    #[command(hide = true)]
    Task(TaskArgs),
    /// Train or evaluate the named-entity tagger on CoNLL files, or tag CoNLL, plain text or
    /// JSONL.
    #[command(subcommand)]
    Ner(NerCommand),
}

#[derive(Subcommand, Debug)]
enum NerCommand {
    /// Train a model on a CoNLL-2003 file (dev file for epoch selection and the report).
    ///
    /// The shipped model is reproduced byte for byte by (from the repository root, with the
    /// CoNLL-2003 English train and dev files and the 2,225-article BBC News JSONL, which are not
    /// distributed with corpusmill; models/README.md has the exact command and sources):
    /// corpusmill ner train --train CONLL/train.conll --train models/extra/wikigold.conll
    ///   --dev CONLL/dev.conll --cluster-text BBC/articles.jsonl.zst
    ///   --embedding-clusters models/embeddings/glove-clusters.tsv.zst
    ///   --gazetteer loc=models/gazetteers/loc.txt
    ///   --gazetteer per_first=models/gazetteers/per_first.txt
    ///   --gazetteer per_last=models/gazetteers/per_last.txt --seed 1
    ///   --output models/ner-en.bin.zst
    Train {
        /// CoNLL training file (token, optional POS and chunk columns, IOB tag last).
        /// Repeatable: the files' documents are read in order and trained on together (the
        /// shipped model adds models/extra/wikigold.conll to the CoNLL-2003 train file).
        #[arg(long, value_name = "FILE", required = true)]
        train: Vec<PathBuf>,
        /// CoNLL development file.
        #[arg(long, value_name = "FILE")]
        dev: PathBuf,
        /// Unlabeled text (plain, or JSONL with a `text` field, any codec) to learn word
        /// clusters and capitalization statistics from. Repeatable.
        #[arg(long, value_name = "FILE")]
        cluster_text: Vec<PathBuf>,
        /// Word clusters from embeddings learned on large unlabeled text, as
        /// `word<TAB>fine<TAB>coarse` lines (models/embeddings/glove-clusters.tsv).
        #[arg(long, value_name = "FILE")]
        embedding_clusters: Option<PathBuf>,
        /// External name list as KIND=FILE, one name per line; KIND is loc, per_first,
        /// per_last or org. Repeatable (the shipped lists are in models/gazetteers/).
        #[arg(long, value_name = "KIND=FILE", value_parser = parse_gazetteer)]
        gazetteer: Vec<(String, PathBuf)>,
        /// Maximum epochs per pass; a pass stops earlier when five epochs in a row do not
        /// raise dev F1.
        #[arg(long, default_value_t = 40)]
        epochs: usize,
        /// Seed of the training shuffles. Models of different seeds differ by about ±0.002 dev
        /// F1; the shipped model is seed 1 (models/README.md says why).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where to write the model (zstd-compressed).
        #[arg(long, short = 'o', value_name = "FILE")]
        output: PathBuf,
    },
    /// Print precision, recall and F1 (exact span match, overall and per type) on a CoNLL file,
    /// and a confusion table of entity types; with --seen, also the scores on names that are
    /// never an entity in that file (the training file): how well the model generalizes.
    Eval {
        /// CoNLL file with gold tags in the last column.
        #[arg(long, value_name = "FILE")]
        conll: PathBuf,
        /// CoNLL file whose entity names count as seen (the training file). Repeatable.
        #[arg(long, value_name = "FILE")]
        seen: Vec<PathBuf>,
        /// Model file (default: the model built into the binary).
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
    },
    /// Tag a file. CoNLL input gives a CoNLL file with one extra last column holding the
    /// predicted IOB2 tag (the conlleval layout; the given tokens are tagged as they are).
    /// Plain text (one document per line) gives one JSON line per input line with `line`,
    /// `text` and `entities`; JSONL gives each record with `entities` added. Entities have
    /// `text`, `label`, `start`, `end` (code-point offsets). Any codec.
    Tag {
        /// Input file (`--conll` is the same flag).
        #[arg(long, short = 'i', alias = "conll", value_name = "FILE")]
        input: PathBuf,
        /// auto (from the first non-empty line: `{` is JSONL, token lines ending in an IOB tag
        /// are CoNLL, else text), conll, text or jsonl.
        #[arg(long, value_name = "FORMAT", default_value = "auto", value_parser = ["auto", "conll", "text", "jsonl"])]
        input_format: String,
        /// The JSONL field holding the text.
        #[arg(long, value_name = "KEY", default_value = "text")]
        text_key: String,
        /// Output file.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: PathBuf,
        /// Model file (default: the model built into the binary).
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
struct GenArgs {
    /// JSONL file or folder of seed articles (zstd, gzip or plain). Repeatable.
    #[arg(long, short = 'i', value_name = "PATH", required = true)]
    input: Vec<PathBuf>,
    /// Uncompressed size to write, e.g. 200MB, 1GB, 500KiB.
    #[arg(long, value_name = "SIZE", default_value = "200MB", value_parser = parse_size)]
    size: u64,
    /// Output folder (must not already hold shards).
    #[arg(long, short = 'o', value_name = "DIR")]
    output: PathBuf,
    /// Random seed: the same seed gives byte-identical output.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of part-NNNNN.jsonl.zst shards.
    #[arg(long, default_value_t = 8)]
    shards: usize,
}

/// Parses `KIND=FILE` for `ner train --gazetteer`.
fn parse_gazetteer(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((k, f)) if !k.is_empty() && !f.is_empty() => Ok((k.to_string(), PathBuf::from(f))),
        _ => Err(format!(
            "`{s}` is not KIND=FILE (e.g. loc=models/gazetteers/loc.txt)"
        )),
    }
}

/// Parses sizes such as `200MB`, `1.5GB`, `64KiB` or plain bytes.
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{s}`: expected a size like 200MB"))?;
    let mult = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => {
            return Err(format!(
                "`{s}`: unknown unit (use B, KB, MB, GB, KiB, MiB or GiB)"
            ))
        }
    };
    Ok((n * mult) as u64)
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Config file (TOML). Default: config/default.toml when it exists, else built-in defaults
    /// (identical to config/default.toml).
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// Input file, directory (recursive), glob, or `-` for stdin. Repeat for several.
    /// Overrides input.paths.
    #[arg(long, short = 'i', value_name = "PATH")]
    input: Vec<String>,
    /// Output folder. Overrides output.dir.
    #[arg(long, short = 'o', value_name = "DIR")]
    output: Option<PathBuf>,
    /// Number of output shards. Overrides output.shards.
    #[arg(long, value_name = "N")]
    shards: Option<usize>,
    /// Output format: jsonl (part-NNNNN.jsonl.zst) or parquet (part-NNNNN.parquet,
    /// rejected.parquet, duplicates.parquet). Overrides output.format.
    #[arg(long, value_name = "FORMAT", value_parser = ["jsonl", "parquet"])]
    format: Option<String>,
    /// Worker threads (0 = one per core). Output is identical for any value.
    #[arg(long, short = 't', value_name = "N")]
    threads: Option<usize>,
    /// Defaults for a kind of corpus: news (article corpora; the default) or web (the published
    /// C4/Gopher/FineWeb thresholds for LM-pretraining crawls). Overrides `profile`; keys set
    /// in the config file still win.
    #[arg(long, value_name = "PROFILE", value_parser = ["news", "web"])]
    profile: Option<String>,
    /// Switch a stage off (repeatable). `corpusmill stages` lists them with what they do.
    #[arg(long, value_name = "STAGE", value_parser = clap::builder::PossibleValuesParser::new(pipeline::stage_names()))]
    disable: Vec<String>,
    /// Stop at the first bad record instead of reporting it and going on.
    #[arg(long)]
    strict: bool,
    /// The output folder holds a previous run's files: remove them first (only files a run
    /// writes are removed).
    #[arg(long, conflicts_with = "resume")]
    overwrite: bool,
    /// Continue an interrupted run (crash, kill, Ctrl-C, full disk) in the output folder from
    /// its last checkpoint, with the same inputs and config. The result is record-for-record
    /// what an uninterrupted run writes.
    #[arg(long)]
    resume: bool,
    /// Do not draw the progress bar (it is also hidden when stderr is not a terminal).
    #[arg(long)]
    no_progress: bool,
    /// Write progress to stdout as JSON lines for wrappers: `start`, `progress` (about once a
    /// second: processed input bytes of the total, documents, kept, dropped, rates, ETA, the
    /// slowest stage so far) and `finish` events per pass, then one `done` event with the exit
    /// code. The README lists the fields.
    #[arg(long)]
    progress_json: bool,
    /// Do not print the summary table at the end.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Run as the distributed plan (prepare → match → cluster → finish → merge tasks over a
    /// shared filesystem): `local` processes (at most --threads at a time) or `slurm` job
    /// arrays. Without it, the single-process pipeline runs.
    #[arg(long, value_name = "EXECUTOR", value_parser = ["local", "slurm"])]
    executor: Option<String>,
    /// Tasks per stage of the distributed plan.
    #[arg(long, value_name = "N", default_value_t = 1, requires = "executor")]
    world_size: usize,
    /// With --executor slurm: print the sbatch scripts instead of submitting them.
    #[arg(long, requires = "executor")]
    dry_run: bool,
    /// Write the distributed plan (<work dir>/plan.json) and print each stage's task command,
    /// for another scheduler to run (e.g. Kubernetes Indexed Jobs: --rank $JOB_COMPLETION_INDEX).
    #[arg(long, requires = "executor")]
    plan_only: bool,
    /// Work dir of the distributed plan (distributed.work_dir; default <output>/.work).
    #[arg(long, value_name = "DIR", requires = "executor")]
    work_dir: Option<PathBuf>,
    /// Slurm partition (distributed.slurm.partition).
    #[arg(long, value_name = "NAME", requires = "executor")]
    partition: Option<String>,
    /// Slurm time limit per task (distributed.slurm.time), e.g. 04:00:00.
    #[arg(long, value_name = "TIME", requires = "executor")]
    time: Option<String>,
    /// Slurm memory per task (distributed.slurm.mem), e.g. 32G.
    #[arg(long, value_name = "MEM", requires = "executor")]
    mem: Option<String>,
    /// Slurm CPUs per task (distributed.slurm.cpus_per_task).
    #[arg(long, value_name = "N", requires = "executor")]
    cpus_per_task: Option<usize>,
    /// One more sbatch option, as on its command line (repeatable; distributed.slurm.extra_args).
    #[arg(
        long,
        value_name = "OPTION",
        requires = "executor",
        allow_hyphen_values = true
    )]
    sbatch_arg: Vec<String>,
}

/// One task of a distributed plan (started by the executors).
#[derive(Args, Debug)]
struct TaskArgs {
    /// The plan (<work dir>/plan.json).
    #[arg(long, value_name = "FILE")]
    plan: PathBuf,
    /// prescan, prepare, match, cluster, finish, merge or manifest.
    #[arg(long)]
    stage: String,
    /// The task's rank (Slurm: $SLURM_ARRAY_TASK_ID; Kubernetes: $JOB_COMPLETION_INDEX).
    #[arg(long)]
    rank: usize,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

const DEFAULT_CONFIG: &str = include_str!("../config/default.toml");

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(*args),
        Command::Gen(args) => gen(args),
        Command::Task(args) => task(args),
        Command::Stages { config } => load_config(config.as_ref(), None).map(|c| {
            print!("{}", pipeline::registry::describe(&c));
            ExitCode::SUCCESS
        }),
        Command::Ner(cmd) => ner(cmd),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn load_config(path: Option<&PathBuf>, profile: Option<&str>) -> anyhow::Result<Config> {
    let profile = profile.map(Profile::parse).transpose()?;
    match path {
        Some(p) => Ok(Config::load_with_profile(p, profile)?),
        None => {
            let default = PathBuf::from("config/default.toml");
            if default.is_file() {
                Ok(Config::load_with_profile(&default, profile)?)
            } else {
                Ok(Config::from_toml_with_profile(
                    DEFAULT_CONFIG,
                    "built-in default config",
                    profile,
                )?)
            }
        }
    }
}

fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let mut config = load_config(args.config.as_ref(), args.profile.as_deref())?;
    let overrides = Overrides {
        input: args.input.clone(),
        output: args.output.clone(),
        shards: args.shards,
        format: args
            .format
            .as_deref()
            .map(OutputFormat::parse)
            .transpose()?,
        threads: args.threads,
        disable: args.disable.clone(),
        strict: args.strict,
        existing_output: if args.resume {
            Some(Existing::Resume)
        } else if args.overwrite {
            Some(Existing::Overwrite)
        } else {
            None
        },
    };
    overrides.apply(&mut config)?;
    if let Some(executor) = &args.executor {
        return run_distributed(&args, &executor.clone(), config);
    }
    let show = !args.no_progress && std::io::stderr().is_terminal();
    let bar = progress::Reporter::new(show, args.progress_json);
    // Ctrl-C and SIGTERM stop the run at the next batch, after a checkpoint.
    for (sig, flag) in [
        (signal_hook::consts::SIGINT, &bar.sigint),
        (signal_hook::consts::SIGTERM, &bar.sigterm),
    ] {
        signal_hook::flag::register(sig, flag.clone()).context("installing signal handlers")?;
    }
    let result = pipeline::run(&config, &bar);
    bar.clear();
    let code = outcome(args.quiet, &config, &bar, result);
    done(&bar, &config, code)
}

/// Writes the `done` progress line of a run that ended with exit code `code` (1 with the
/// error) and returns that code or error.
fn done(
    bar: &progress::Reporter,
    config: &Config,
    code: anyhow::Result<u8>,
) -> anyhow::Result<ExitCode> {
    let (code, error) = match code {
        Ok(code) => (code, None),
        Err(e) => (1, Some(e)),
    };
    bar.emit(&serde_json::json!({
        "event": "done",
        "exit_code": code,
        "error": error.as_ref().map(|e| format!("{e:#}")),
        "output": config.output.dir,
    }));
    match error {
        Some(e) => Err(e),
        None => Ok(ExitCode::from(code)),
    }
}

/// Reports a finished (or stopped) run on stderr and says its exit code.
fn outcome(
    quiet: bool,
    config: &Config,
    bar: &progress::Reporter,
    result: corpusmill::Result<pipeline::Summary>,
) -> anyhow::Result<u8> {
    let summary = match result {
        Ok(s) => s,
        Err(corpusmill::Error::Interrupted(msg)) => {
            eprintln!(
                "interrupted: {msg} (output folder {})",
                config.output.dir.display()
            );
            let term = bar.sigterm.load(Ordering::SeqCst);
            return Ok(if term { 143 } else { 130 });
        }
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!(
                "running the pipeline into {}",
                config.output.dir.display()
            )))
        }
    };
    for w in &summary.warnings {
        eprintln!("warning: {w}");
    }
    if !quiet {
        eprint!("{}", summary.stats.table());
        eprintln!("output: {}", config.output.dir.display());
    }
    let errors_file = summary
        .manifest
        .side_outputs
        .iter()
        .find(|f| f.file.starts_with("errors.jsonl"))
        .map_or("errors.jsonl", |f| f.file.as_str());
    let errors_path = config.output.dir.join(errors_file);
    if let Some(msg) = nothing_read(&summary.stats, config, &errors_path) {
        eprintln!("error: {msg}");
        return Ok(1);
    }
    if summary.incomplete_inputs {
        eprintln!(
            "warning: some inputs could not be read to their end; see {}",
            errors_path.display()
        );
        return Ok(2);
    }
    Ok(0)
}

fn run_distributed(args: &RunArgs, executor: &str, mut config: Config) -> anyhow::Result<ExitCode> {
    let d = &mut config.distributed;
    if let Some(w) = &args.work_dir {
        d.work_dir = w.clone();
    }
    let s = &mut d.slurm;
    for (to, from) in [
        (&mut s.partition, &args.partition),
        (&mut s.time, &args.time),
        (&mut s.mem, &args.mem),
    ] {
        if let Some(v) = from {
            *to = v.clone();
        }
    }
    if let Some(n) = args.cpus_per_task {
        s.cpus_per_task = n;
    }
    s.extra_args.extend(args.sbatch_arg.iter().cloned());
    let exe = std::env::current_exe().context("finding the corpusmill binary")?;
    let exec = if args.plan_only {
        dist::Executor::PlanOnly { exe }
    } else if executor == "slurm" {
        dist::Executor::Slurm {
            exe,
            dry_run: args.dry_run,
        }
    } else {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let budget = match config.pipeline.threads {
            0 => cores,
            n => n,
        };
        let parallel = budget.min(args.world_size).max(1);
        dist::Executor::Local {
            exe,
            parallel,
            threads: (budget / parallel).max(1),
        }
    };
    let quiet = args.quiet;
    let json = progress::Reporter::new(false, args.progress_json);
    let started = std::time::Instant::now();
    json.emit(&serde_json::json!({
        "event": "start",
        "mode": "distributed",
        "executor": if args.plan_only { "plan-only" } else { executor },
        "world_size": args.world_size,
        "output": config.output.dir,
    }));
    let report = |e: dist::Event| match e {
        dist::Event::Line(line) => {
            if !quiet || args.dry_run || args.plan_only {
                eprintln!("{line}");
            }
        }
        dist::Event::Tasks { stage, done, total } => {
            if !quiet {
                eprintln!("{}: {done}/{total} tasks", stage.name());
            }
            json.emit(&serde_json::json!({
                "event": "tasks",
                "stage": stage.name(),
                "done": done,
                "total": total,
                "elapsed_s": (started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
            }));
        }
    };
    let result = dist::run(&config, args.world_size, &exec, &report).with_context(|| {
        format!(
            "running the distributed plan into {}",
            config.output.dir.display()
        )
    });
    let code = result.map(|summary| dist_outcome(quiet, &config, summary));
    done(&json, &config, code)
}

/// Reports a finished distributed run on stderr and says its exit code: 2 when some input
/// could not be read to its end, as for one process.
fn dist_outcome(quiet: bool, config: &Config, summary: Option<dist::DistSummary>) -> u8 {
    let Some(summary) = summary else {
        return 0;
    };
    if !quiet {
        eprintln!("stage      tasks  ran    wall s     cpu s  longest task s");
        for t in &summary.stages {
            eprintln!(
                "{:<9} {:>6} {:>4} {:>9.2} {:>9.2} {:>15.2}",
                t.stage.name(),
                t.tasks,
                t.ran,
                t.wall_s,
                t.cpu_s,
                t.task_max_s
            );
        }
        let g = |k: &str| summary.stats[k].as_u64().unwrap_or(0);
        eprintln!(
            "documents in {}, written {}; work dir {}",
            g("docs_in"),
            g("docs_written"),
            summary.work_dir.display()
        );
        eprintln!("output: {}", config.output.dir.display());
    }
    if summary.incomplete_inputs {
        let dir = &config.output.dir;
        let errors = if dir.join("errors.jsonl.zst").is_file() {
            dir.join("errors.jsonl.zst")
        } else {
            dir.join("errors.jsonl")
        };
        eprintln!(
            "warning: some inputs could not be read to their end; see {}",
            errors.display()
        );
        return 2;
    }
    0
}

fn task(args: TaskArgs) -> anyhow::Result<ExitCode> {
    let plan = dist::Plan::load(&args.plan)?;
    let stage = dist::StageName::parse(&args.stage)?;
    let started = std::time::Instant::now();
    let ran = dist::run_task(&plan, stage, args.rank, args.threads, &pipeline::NoProgress)
        .with_context(|| format!("task {} rank {}", args.stage, args.rank))?;
    if ran {
        eprintln!(
            "task {} rank {}: done in {:.2} s",
            args.stage,
            args.rank,
            started.elapsed().as_secs_f64()
        );
    } else {
        eprintln!(
            "task {} rank {}: already done (skipped)",
            args.stage, args.rank
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// When input lines were read but none became a document, says why (exit code 1): a wrong
/// `text_key` must not look like a successful run that wrote nothing.
fn nothing_read(
    stats: &corpusmill::stats::Stats,
    config: &Config,
    errors_path: &std::path::Path,
) -> Option<String> {
    if stats.docs_in > 0 || stats.lines_in == 0 {
        return None;
    }
    let (kind, n) = stats.errors.iter().max_by_key(|(_, n)| **n)?;
    let hint = match kind.as_str() {
        "missing_text" | "text_not_string" => format!(
            "records have no string field `{}`: set input.text_key in the config to the field \
             that holds the text",
            config.input.text_key
        ),
        "invalid_json" => "lines are not JSON objects: the input must be JSONL, one object per \
                           line"
            .to_string(),
        "invalid_utf8" => "lines are not UTF-8 (input.invalid_utf8 = \"skip\" drops them)".into(),
        "line_too_long" => "lines are longer than input.max_line_bytes".into(),
        "empty_line" => "the input holds only empty lines".into(),
        _ => "see the errors file".into(),
    };
    Some(format!(
        "no input record could be read as a document ({n} of {} lines: {kind}); {hint}; details \
         in {}",
        stats.lines_in,
        errors_path.display()
    ))
}

fn gen(args: GenArgs) -> anyhow::Result<ExitCode> {
    let cfg = gen::GenConfig {
        inputs: args.input,
        target_bytes: args.size,
        shards: args.shards,
        seed: args.seed,
        ..Default::default()
    };
    let report = gen::generate(&cfg, &args.output)
        .with_context(|| format!("generating a corpus into {}", args.output.display()))?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(ExitCode::SUCCESS)
}

fn ner(cmd: NerCommand) -> anyhow::Result<ExitCode> {
    use corpusmill::entities::{conll, eval, train, Model};
    let load = |p: Option<PathBuf>| -> anyhow::Result<Model> {
        Ok(match p {
            Some(p) => Model::load(&p).with_context(|| format!("loading model {}", p.display()))?,
            None => Model::embedded()?,
        })
    };
    match cmd {
        NerCommand::Train {
            train: tr,
            dev,
            cluster_text,
            embedding_clusters,
            gazetteer,
            epochs,
            seed,
            output,
        } => {
            let mut files = tr.into_iter();
            let first = files
                .next()
                .context("ner train: --train needs a CoNLL file")?;
            let mut opts = train::TrainOptions::new(first, dev);
            opts.extra_train = files.collect();
            opts.cluster_text = cluster_text;
            opts.embedding_clusters = embedding_clusters;
            opts.gazetteers = gazetteer;
            opts.epochs = epochs;
            opts.seed = seed;
            opts.verbose = true;
            let (model, report) = train::train(&opts).context("training the NER model")?;
            model
                .save(&output)
                .with_context(|| format!("writing {}", output.display()))?;
            println!(
                "trained on {} tokens in {:.1} s; epochs {:?}\ndev (pass 1 only):\n{}\ndev:\n{}",
                report.train_tokens,
                report.seconds,
                report.best_epochs,
                report.dev_pass1,
                report.dev
            );
            println!("model written to {}", output.display());
        }
        NerCommand::Eval {
            conll: path,
            seen,
            model,
        } => {
            let model = load(model)?;
            let docs =
                conll::read_conll(&path).with_context(|| format!("reading {}", path.display()))?;
            let seen = if seen.is_empty() {
                None
            } else {
                let mut docs = Vec::new();
                for p in &seen {
                    docs.extend(
                        conll::read_conll(p).with_context(|| format!("reading {}", p.display()))?,
                    );
                }
                Some(docs)
            };
            print!("{}", eval::evaluate(&model, &docs, seen.as_deref()));
        }
        NerCommand::Tag {
            input,
            input_format,
            text_key,
            output,
            model,
        } => {
            use corpusmill::entities::tagfile::{self, InputFormat};
            let what = || format!("tagging {} into {}", input.display(), output.display());
            let format = match InputFormat::parse(&input_format)? {
                InputFormat::Auto => tagfile::detect_file(&input).with_context(what)?,
                f => f,
            };
            if format == InputFormat::Conll {
                // The model loads while the file is read and split.
                let load = || match &model {
                    Some(p) => Model::load(p),
                    None => Model::embedded(),
                };
                let n = conll::tag_file_loading(load, &input, &output).with_context(what)?;
                eprintln!("{n} tokens tagged into {}", output.display());
            } else {
                let model = load(model)?;
                let stage = corpusmill::entities::EntityStage::with_model(model, true);
                let n = tagfile::tag_documents(&stage, &input, format, &text_key, &output)
                    .with_context(what)?;
                eprintln!("{n} documents tagged into {}", output.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
