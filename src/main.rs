//! The `corpusmill` command: parse arguments, build the config, run, and map the result to an
//! exit code (0 ok, 1 fatal error, 2 some input could not be read to its end).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use corpusmill::clean::profile::Profile;
use corpusmill::config::Config;
use corpusmill::pipeline::{self, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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
    Run(RunArgs),
    /// Generate a benchmark corpus of a given size from real articles, with planted exact,
    /// near, boilerplate-wrapped and mixed duplicates listed in truth.jsonl.
    Gen(GenArgs),
    /// Train, evaluate or apply the named-entity tagger on CoNLL files.
    #[command(subcommand)]
    Ner(NerCommand),
}

#[derive(Subcommand, Debug)]
enum NerCommand {
    /// Train a model on a CoNLL-2003 file (dev file for epoch selection and the report).
    ///
    /// The shipped model is reproduced byte for byte by:
    /// corpusmill ner train --train ../shared/data/conll/train.conll --dev ../shared/data/conll/dev.conll
    ///   --cluster-text ../shared/data/bbc/articles.jsonl.zst --output models/ner-en.bin.zst
    Train {
        /// CoNLL training file (token POS chunk tag, IOB2).
        #[arg(long, value_name = "FILE")]
        train: PathBuf,
        /// CoNLL development file.
        #[arg(long, value_name = "FILE")]
        dev: PathBuf,
        /// Unlabeled text (plain, or JSONL with a `text` field, any codec) to learn word
        /// clusters and capitalization statistics from. Repeatable.
        #[arg(long, value_name = "FILE")]
        cluster_text: Vec<PathBuf>,
        /// Maximum epochs per pass.
        #[arg(long, default_value_t = 15)]
        epochs: usize,
        /// Seed of the training shuffles.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where to write the model (zstd-compressed).
        #[arg(long, short = 'o', value_name = "FILE")]
        output: PathBuf,
    },
    /// Print precision, recall and F1 (exact span match, overall and per type) on a CoNLL file.
    Eval {
        /// CoNLL file with gold tags in the last column.
        #[arg(long, value_name = "FILE")]
        conll: PathBuf,
        /// Model file (default: the model built into the binary).
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
    },
    /// Write a CoNLL file with one extra last column holding the predicted IOB2 tag (the
    /// conlleval layout). The given tokens are tagged as they are.
    Tag {
        /// Input CoNLL file.
        #[arg(long, value_name = "FILE")]
        conll: PathBuf,
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
    /// Worker threads (0 = one per core). Output is identical for any value.
    #[arg(long, short = 't', value_name = "N")]
    threads: Option<usize>,
    /// Defaults for a kind of corpus: news (article corpora; the default) or web (the published
    /// C4/Gopher/FineWeb thresholds for LM-pretraining crawls). Overrides `profile`; keys set
    /// in the config file still win.
    #[arg(long, value_name = "PROFILE", value_parser = ["news", "web"])]
    profile: Option<String>,
    /// Switch a stage off (repeatable): unwrap, normalize, line_rules, repeated_lines, quality,
    /// min_length, lang, exact_dedup, near_dedup, entities.
    #[arg(long, value_name = "STAGE")]
    disable: Vec<String>,
    /// Stop at the first bad record instead of reporting it and going on.
    #[arg(long)]
    strict: bool,
    /// Do not draw the progress bar (it is also hidden when stderr is not a terminal).
    #[arg(long)]
    no_progress: bool,
    /// Do not print the summary table at the end.
    #[arg(long, short = 'q')]
    quiet: bool,
}

const DEFAULT_CONFIG: &str = include_str!("../config/default.toml");

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Gen(args) => gen(args),
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
    if !args.input.is_empty() {
        config.input.paths = args.input.clone();
    }
    if let Some(o) = args.output {
        config.output.dir = o;
    }
    if let Some(n) = args.shards {
        config.output.shards = n;
    }
    if let Some(n) = args.threads {
        config.pipeline.threads = n;
    }
    if args.strict {
        config.pipeline.strict = true;
    }
    for stage in &args.disable {
        pipeline::disable_stage(&mut config, stage)?;
    }
    let show = !args.no_progress && std::io::stderr().is_terminal();
    let bar = Bar::new(show);
    let summary = pipeline::run(&config, &bar)
        .with_context(|| format!("running the pipeline into {}", config.output.dir.display()))?;
    bar.clear();
    if !args.quiet {
        eprint!("{}", summary.stats.table());
        eprintln!("output: {}", config.output.dir.display());
    }
    if summary.incomplete_inputs {
        eprintln!(
            "warning: some inputs could not be read to their end; see {}",
            config.output.dir.join("errors.jsonl").display()
        );
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

fn gen(args: GenArgs) -> anyhow::Result<ExitCode> {
    let cfg = corpusmill::gen::GenConfig {
        inputs: args.input,
        target_bytes: args.size,
        shards: args.shards,
        seed: args.seed,
        ..Default::default()
    };
    let report = corpusmill::gen::generate(&cfg, &args.output)
        .with_context(|| format!("generating a corpus into {}", args.output.display()))?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(ExitCode::SUCCESS)
}

fn ner(cmd: NerCommand) -> anyhow::Result<ExitCode> {
    use corpusmill::entities::{conll, train, Model};
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
            epochs,
            seed,
            output,
        } => {
            let mut opts = train::TrainOptions::new(tr, dev);
            opts.cluster_text = cluster_text;
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
        NerCommand::Eval { conll: path, model } => {
            let model = load(model)?;
            let report = conll::evaluate(&model, &path)
                .with_context(|| format!("evaluating on {}", path.display()))?;
            println!("{report}");
        }
        NerCommand::Tag {
            conll: input,
            output,
            model,
        } => {
            let model = load(model)?;
            let n = conll::tag_file(&model, &input, &output).with_context(|| {
                format!("tagging {} into {}", input.display(), output.display())
            })?;
            eprintln!("{n} tokens tagged into {}", output.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The progress bar: bytes of input read of the total, docs/s and MB/s, ETA.
struct Bar {
    bar: ProgressBar,
    started: std::sync::Mutex<std::time::Instant>,
}

impl Bar {
    fn new(show: bool) -> Bar {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if show {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        Bar {
            bar,
            started: std::sync::Mutex::new(std::time::Instant::now()),
        }
    }

    fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn start(&self, pass: &str, total_bytes: Option<u64>) {
        self.bar.reset();
        self.bar.set_length(total_bytes.unwrap_or(0));
        let template = if total_bytes.is_some() {
            "{prefix:>8} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({eta}) {msg}"
        } else {
            "{prefix:>8} [{elapsed_precise}] {bytes} {msg}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            self.bar.set_style(style);
        }
        self.bar.set_prefix(pass.to_string());
        self.bar.enable_steady_tick(Duration::from_millis(200));
        if let Ok(mut s) = self.started.lock() {
            *s = std::time::Instant::now();
        }
    }

    fn update(&self, raw_bytes: u64, bytes: u64, docs: u64) {
        self.bar.set_position(raw_bytes);
        let secs = self
            .started
            .lock()
            .map(|s| s.elapsed().as_secs_f64())
            .unwrap_or(1.0)
            .max(1e-3);
        self.bar.set_message(format!(
            "{:.0} docs/s {:.1} MB/s",
            docs as f64 / secs,
            bytes as f64 / 1e6 / secs
        ));
    }

    fn finish(&self) {
        self.bar.disable_steady_tick();
    }
}
