//! The distributed plan: the pipeline as stages of independent `(rank, world_size)` tasks over
//! a shared filesystem, run by an executor (local processes or Slurm job arrays).
//!
//! ```text
//!  prescan  (N tasks, only with repeated_lines) per-site line counts of the task's pieces
//!  prepare  (N tasks)  stages before the decision; per doc: id, exact key, sketch;
//!                      band hashes and exact keys into B buckets
//!  match    (N tasks)  per bucket range: equal band hashes → candidate pairs, verified on
//!                      sketches as in the single-process index; equal exact keys → pairs
//!  cluster  (1 task)   decisions from the pairs by global position (first seen wins, or
//!                      connected components); split by finish rank
//!  finish   (N tasks)  the single-process pipeline over the task's pieces with the decisions
//!                      of the plan: entities, shards, rejected / duplicates / errors
//!  merge    (N tasks)  output file i (shard, side file) from every finish task's file i,
//!                      zstd frames concatenated in rank order, for i ≡ rank (mod N)
//!  manifest (1 task)   stats.json summed over the finish tasks, manifest.json last
//! ```
//!
//! **Positions.** A document's global position is (file index in the input list, line number)
//! ([`super::global_position`]). Pieces never change it: a plain file larger than
//! `distributed.split_mb` is split into byte ranges (a piece reads the lines that start in its
//! range and counts the newlines before it, at memchr speed, for its line numbers); compressed
//! files cannot be entered in the middle, so each is one piece. Ranks get contiguous runs of
//! pieces balanced by bytes, so rank order is input order.
//!
//! **Decisions.** An exact duplicate names the first position with its key. Near duplicates
//! (`distributed.near_clusters`, see [`cluster`]): by default the single-process rule over the
//! verified pairs (in position order, a pair with an earlier kept document removes), or
//! connected components keeping the smallest position. Both depend only on positions and
//! texts, never on the world size or on task timing, so records are identical for any world
//! size. Within a group of equal band hashes each document is verified against the group's
//! first `distributed.max_checks` documents (one process verifies the 8 kept candidates with
//! the best fingerprint estimates), so a rare decision can differ from the single-process run.
//!
//! **Files.** Everything goes under the work dir (`distributed.work_dir`, default
//! `<output>/.work`): `plan.json`, `<stage>/r<rank>/` (a task's output, built in
//! `r<rank>.tmp/` and renamed), `<stage>/r<rank>.done` (the completion marker, written last,
//! atomically), `logs/<stage>-<rank>.log` and, for Slurm, `slurm/<stage>.sbatch`. A rerun
//! (`--resume`) skips tasks with a marker; a failed task can be run alone with
//! `corpusmill task --plan <work>/plan.json --stage <stage> --rank <rank>`. The output folder
//! gets the single-process layout and the lock / manifest-last guarantees.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::io::source::{self, Codec, Input, Part};
use crate::Error;

mod cluster;
mod exec;
mod finish;
mod matching;
mod prepare;
mod store;

pub use exec::{run, DistSummary, Event, Executor, StageTime};

/// The `[distributed]` config section: how `--executor local|slurm` splits and places work.
/// None of these change the records written.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DistributedConfig {
    /// Work dir on the shared filesystem; empty (default) means `<output>/.work`.
    pub work_dir: PathBuf,
    /// Plain (uncompressed) files larger than this many MB are split into pieces of about
    /// this size (default 256).
    pub split_mb: u64,
    /// Buckets of band hashes and exact keys (default 64): the unit of the match stage.
    pub buckets: usize,
    /// Each document of a group of equal band hashes is verified against at most this many
    /// of the group's first documents (default 8).
    pub max_checks: usize,
    /// How near-duplicate pairs become decisions: `first_seen` (default; the single-process
    /// rule over the verified pairs) or `components` (connected components, smallest position
    /// kept).
    pub near_clusters: NearClusters,
    /// `[distributed.slurm]`
    pub slurm: SlurmConfig,
}

/// How the cluster task turns verified near pairs into decisions (see its module).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NearClusters {
    /// In position order, a document with a verified pair to an earlier kept document is its
    /// duplicate: the single-process rule.
    FirstSeen,
    /// Connected components (union-find); all but the smallest position are duplicates of it.
    Components,
}

impl Default for DistributedConfig {
    fn default() -> Self {
        DistributedConfig {
            work_dir: PathBuf::new(),
            split_mb: 256,
            buckets: 64,
            max_checks: 8,
            near_clusters: NearClusters::FirstSeen,
            slurm: SlurmConfig::default(),
        }
    }
}

/// The `[distributed.slurm]` config section: options of every sbatch script.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SlurmConfig {
    /// `--partition` (empty: the cluster's default).
    pub partition: String,
    /// `--time` per task, e.g. `04:00:00` (empty: the partition's default).
    pub time: String,
    /// `--mem` per task, e.g. `32G` (empty: the partition's default).
    pub mem: String,
    /// `--cpus-per-task` (default 4); the task's worker threads.
    pub cpus_per_task: usize,
    /// More `#SBATCH` options, each as written on the sbatch command line (`--account=x`).
    pub extra_args: Vec<String>,
    /// Seconds between looks at the completion markers and `squeue` (default 5).
    pub poll_seconds: u64,
}

impl Default for SlurmConfig {
    fn default() -> Self {
        SlurmConfig {
            partition: String::new(),
            time: String::new(),
            mem: String::new(),
            cpus_per_task: 4,
            extra_args: Vec::new(),
            poll_seconds: 5,
        }
    }
}

impl DistributedConfig {
    fn validate(&self, c: &Config) -> crate::Result<()> {
        if self.split_mb == 0 || self.buckets == 0 || self.max_checks == 0 {
            return Err(Error::Config(
                "distributed.split_mb, distributed.buckets and distributed.max_checks must be \
                 at least 1"
                    .into(),
            ));
        }
        if self.slurm.cpus_per_task == 0 || self.slurm.poll_seconds == 0 {
            return Err(Error::Config(
                "distributed.slurm.cpus_per_task and distributed.slurm.poll_seconds must be at \
                 least 1"
                    .into(),
            ));
        }
        if c.near_dedup.enabled && c.near_dedup.verify && c.near_dedup.sketch_size == 0 {
            return Err(Error::Config(
                "the distributed plan verifies near-duplicate pairs on sketches: set \
                 near_dedup.sketch_size > 0 (default 256) or near_dedup.verify = false"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// A stage of the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageName {
    /// Per-site line counts (only when `repeated_lines` is on).
    Prescan,
    /// Cleaning, keys, sketches, bucketed band hashes.
    Prepare,
    /// Candidate pairs per bucket, verified.
    Match,
    /// Connected components; decisions per finish rank.
    Cluster,
    /// The pipeline over the task's pieces with the plan's decisions.
    Finish,
    /// The output files from the finish tasks' files.
    Merge,
    /// `stats.json`, then `manifest.json`.
    Manifest,
}

impl StageName {
    /// Every stage in order.
    pub const ALL: [StageName; 7] = [
        StageName::Prescan,
        StageName::Prepare,
        StageName::Match,
        StageName::Cluster,
        StageName::Finish,
        StageName::Merge,
        StageName::Manifest,
    ];

    /// The stage's name (`--stage`, file names).
    pub fn name(self) -> &'static str {
        match self {
            StageName::Prescan => "prescan",
            StageName::Prepare => "prepare",
            StageName::Match => "match",
            StageName::Cluster => "cluster",
            StageName::Finish => "finish",
            StageName::Merge => "merge",
            StageName::Manifest => "manifest",
        }
    }

    /// Parses a stage name.
    pub fn parse(s: &str) -> crate::Result<StageName> {
        StageName::ALL
            .into_iter()
            .find(|st| st.name() == s)
            .ok_or_else(|| {
                Error::Config(format!(
                    "unknown stage `{s}` (stages: prescan, prepare, match, cluster, finish, merge, \
                     manifest)"
                ))
            })
    }
}

/// One piece of the input: a file, or a byte range of a large plain file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Piece {
    /// The file as the input list names it.
    pub path: PathBuf,
    /// The file's size on disk.
    pub size: u64,
    /// Its place in the input list, and the byte range for a split file.
    pub part: Part,
}

/// The plan: written once to `<work>/plan.json`, read by every task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The version that wrote it (a task of another version refuses it).
    pub version: String,
    /// The whole config (the output folder and the work dir included).
    pub config: Config,
    /// Number of ranks of the prescan, prepare, match and finish stages.
    pub world_size: usize,
    /// The work dir.
    pub work_dir: PathBuf,
    /// The pieces of each rank, in input order.
    pub ranks: Vec<Vec<Piece>>,
}

impl Plan {
    /// Splits the inputs of `config` into pieces and ranks.
    pub fn build(config: &Config, world_size: usize) -> crate::Result<Plan> {
        config.validate()?;
        config.distributed.validate(config)?;
        if world_size == 0 {
            return Err(Error::Config("--world-size must be at least 1".into()));
        }
        let inputs = source::resolve(&config.input.paths)?;
        if inputs.iter().any(Input::is_stdin) {
            return Err(Error::Config(
                "the distributed plan reads files: every task must be able to open them, so \
                 standard input (`-`) cannot be an input; write it to a file first"
                    .into(),
            ));
        }
        let split = config.distributed.split_mb.saturating_mul(1_000_000);
        let mut pieces = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            let file_index = u32::try_from(i)
                .ok()
                .filter(|&i| i < 1 << 24)
                .ok_or_else(|| Error::Config("more than 16M input files".into()))?;
            let size = input.size.unwrap_or(0);
            let plain = size > split && codec_of(&input.path)? == Codec::Plain;
            let n = if plain { size.div_ceil(split) } else { 1 };
            for k in 0..n {
                pieces.push(Piece {
                    path: input.path.clone(),
                    size: if plain {
                        split.min(size - k * split)
                    } else {
                        size
                    },
                    part: Part {
                        file_index,
                        range: plain.then(|| (k * split, ((k + 1) * split).min(size))),
                    },
                });
            }
        }
        // Contiguous runs of pieces, cut where the running byte count passes each rank's share.
        let total: u64 = pieces.iter().map(|p| p.size.max(1)).sum();
        let mut ranks: Vec<Vec<Piece>> = vec![Vec::new(); world_size];
        let mut seen = 0u64;
        for p in pieces {
            let r = ((seen as u128 * world_size as u128) / total.max(1) as u128) as usize;
            seen += p.size.max(1);
            ranks[r.min(world_size - 1)].push(p);
        }
        let work_dir = work_dir(config);
        let work_dir = std::path::absolute(&work_dir).map_err(|e| Error::io(&work_dir, e))?;
        Ok(Plan {
            version: env!("CARGO_PKG_VERSION").to_string(),
            config: config.clone(),
            world_size,
            work_dir,
            ranks,
        })
    }

    /// Reads `plan.json`.
    pub fn load(path: &Path) -> crate::Result<Plan> {
        let text = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let plan: Plan = serde_json::from_slice(&text).map_err(|e| {
            Error::Config(format!(
                "{}: not a plan of this version: {e}",
                path.display()
            ))
        })?;
        if plan.version != env!("CARGO_PKG_VERSION") {
            return Err(Error::Config(format!(
                "{}: written by corpusmill {}, this is {}: run the plan with the same binary",
                path.display(),
                plan.version,
                env!("CARGO_PKG_VERSION")
            )));
        }
        Ok(plan)
    }

    /// The stages this plan runs, in order.
    pub fn stages(&self) -> Vec<StageName> {
        StageName::ALL
            .into_iter()
            .filter(|s| *s != StageName::Prescan || self.config.repeated_lines.enabled)
            .collect()
    }

    /// Number of tasks of a stage.
    pub fn tasks(&self, stage: StageName) -> usize {
        match stage {
            StageName::Cluster | StageName::Manifest => 1,
            _ => self.world_size,
        }
    }

    /// `<work>/plan.json`.
    pub fn path(&self) -> PathBuf {
        self.work_dir.join("plan.json")
    }

    /// The folder a finished task's files are in.
    pub fn task_dir(&self, stage: StageName, rank: usize) -> PathBuf {
        self.work_dir.join(stage.name()).join(format!("r{rank}"))
    }

    /// The completion marker of a task.
    pub fn marker(&self, stage: StageName, rank: usize) -> PathBuf {
        self.work_dir
            .join(stage.name())
            .join(format!("r{rank}.done"))
    }

    /// The log file of a task.
    pub fn log(&self, stage: StageName, rank: usize) -> PathBuf {
        self.work_dir
            .join("logs")
            .join(format!("{}-{rank}.log", stage.name()))
    }

    /// True when the task has finished (its marker exists).
    pub fn done(&self, stage: StageName, rank: usize) -> bool {
        self.marker(stage, rank).is_file()
    }

    /// The ranks of a stage without a marker.
    pub fn pending(&self, stage: StageName) -> Vec<usize> {
        (0..self.tasks(stage))
            .filter(|&r| !self.done(stage, r))
            .collect()
    }

    /// The inputs of rank `rank`, as pieces.
    fn inputs(&self, rank: usize) -> Vec<Input> {
        self.ranks
            .get(rank)
            .map(|ps| {
                ps.iter()
                    .map(|p| Input {
                        path: p.path.clone(),
                        size: Some(p.size),
                        part: Some(p.part),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The config a task runs with: the plan's, with `threads` worker threads.
    fn task_config(&self, threads: usize) -> Config {
        let mut c = self.config.clone();
        c.pipeline.threads = threads;
        c
    }
}

/// The work dir of a config.
pub fn work_dir(config: &Config) -> PathBuf {
    if config.distributed.work_dir.as_os_str().is_empty() {
        config.output.dir.join(".work")
    } else {
        config.distributed.work_dir.clone()
    }
}

fn codec_of(path: &Path) -> crate::Result<Codec> {
    use std::io::Read;
    let mut head = [0u8; 8];
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let n = f.read(&mut head).map_err(|e| Error::io(path, e))?;
    Ok(Codec::detect(&head[..n]))
}

/// What a finished task measured, in its completion marker.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Marker {
    /// Wall seconds of the task.
    pub wall_s: f64,
    /// CPU seconds of the task's process (user + system).
    pub cpu_s: f64,
    /// Input bytes the task read (prepare; 0 for the others).
    pub bytes: u64,
}

/// Runs one task of a plan (the `corpusmill task` subcommand; executors start it). A task
/// with a marker is skipped; otherwise its folder is built in `r<rank>.tmp`, renamed, and the
/// marker written last. Returns false when the task was skipped.
pub fn run_task(
    plan: &Plan,
    stage: StageName,
    rank: usize,
    threads: usize,
    progress: &dyn super::Progress,
) -> crate::Result<bool> {
    if rank >= plan.tasks(stage) {
        return Err(Error::Config(format!(
            "--rank {rank}: stage {} has {} tasks",
            stage.name(),
            plan.tasks(stage)
        )));
    }
    if plan.done(stage, rank) {
        return Ok(false);
    }
    let started = std::time::Instant::now();
    let cpu0 = process_cpu_seconds();
    let dir = plan.task_dir(stage, rank);
    let tmp = dir.with_extension("tmp");
    remove_dir(&tmp)?;
    remove_dir(&dir)?;
    std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let config = plan.task_config(threads);
    let bytes = match stage {
        StageName::Prescan => {
            prepare::prescan(plan, &config, rank, &tmp, progress)?;
            0
        }
        StageName::Prepare => prepare::prepare(plan, &config, rank, &tmp, progress)?,
        StageName::Match => {
            matching::run(plan, rank, &tmp)?;
            0
        }
        StageName::Cluster => {
            cluster::run(plan, &tmp)?;
            0
        }
        StageName::Finish => {
            finish::finish(plan, &config, rank, &tmp, progress)?;
            0
        }
        StageName::Merge => {
            finish::merge(plan, rank, &tmp)?;
            0
        }
        StageName::Manifest => {
            finish::manifest(plan)?;
            0
        }
    };
    std::fs::rename(&tmp, &dir).map_err(|e| Error::io(&dir, e))?;
    let marker = Marker {
        wall_s: started.elapsed().as_secs_f64(),
        cpu_s: process_cpu_seconds() - cpu0,
        bytes,
    };
    let m = plan.marker(stage, rank);
    let (parent, name) = (
        m.parent().unwrap_or(Path::new(".")),
        m.file_name().map(|n| n.to_string_lossy().to_string()),
    );
    crate::io::writer::write_json_file(parent, &name.unwrap_or_default(), &marker)?;
    Ok(true)
}

/// Reads a task's marker.
pub fn read_marker(plan: &Plan, stage: StageName, rank: usize) -> crate::Result<Marker> {
    let p = plan.marker(stage, rank);
    let text = std::fs::read(&p).map_err(|e| Error::io(&p, e))?;
    serde_json::from_slice(&text)
        .map_err(|e| Error::Internal(format!("{}: bad marker: {e}", p.display())))
}

fn remove_dir(dir: &Path) -> crate::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(dir, e)),
    }
}

/// CPU seconds (user + system) of this process and its finished threads.
fn process_cpu_seconds() -> f64 {
    super::work::cpu_seconds(libc::CLOCK_PROCESS_CPUTIME_ID)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::pool::BufPool;
    use crate::io::reader::{read_input, Entry, ReaderOptions};
    use std::sync::atomic::{AtomicBool, AtomicU64};
    use std::sync::Arc;

    /// The lines (line number, text) a piece reads.
    fn piece_lines(path: &Path, range: Option<(u64, u64)>) -> Vec<(u64, String)> {
        let input = Input {
            path: path.to_path_buf(),
            size: None,
            part: Some(Part {
                file_index: 3,
                range,
            }),
        };
        let opts = ReaderOptions {
            max_line_bytes: 1 << 20,
            batch_bytes: 64,
            pool: Arc::new(BufPool::new(4)),
        };
        let mut out = Vec::new();
        let report = read_input(
            &input,
            0,
            &opts,
            Arc::new(AtomicU64::new(0)),
            &AtomicBool::new(false),
            |b| {
                assert_eq!(b.file_index, 3);
                for e in &b.entries {
                    if let Entry::Line(l) = e {
                        let text = String::from_utf8(b.buf[l.start..l.end].to_vec()).unwrap();
                        out.push((l.line, text));
                    }
                }
                true
            },
        );
        assert!(report.complete);
        assert_eq!(report.lines, out.len() as u64);
        out
    }

    #[test]
    fn byte_range_pieces_read_every_line_once_with_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        let lines: Vec<String> = (0..40)
            .map(|i| "x".repeat((i * 7) % 23) + &i.to_string())
            .collect();
        // No newline after the last line, and one empty line.
        let mut text = lines.join("\n");
        let at = text.match_indices('\n').nth(9).unwrap().0;
        text.insert(at, '\n');
        std::fs::write(&path, &text).unwrap();
        let whole = piece_lines(&path, None);
        let size = text.len() as u64;
        for cuts in [vec![1], vec![0, 2, 3, 9, 10, 11], vec![7, 50, 51, 200, 300]] {
            let mut bounds = vec![0];
            bounds.extend(cuts.into_iter().filter(|&c| c > 0 && c < size));
            bounds.push(size);
            let mut got = Vec::new();
            for w in bounds.windows(2) {
                got.extend(piece_lines(&path, Some((w[0], w[1]))));
            }
            assert_eq!(got, whole, "cuts at {bounds:?}");
        }
    }

    #[test]
    fn ranks_get_contiguous_balanced_pieces_and_positions_sort_in_input_order() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("a.jsonl");
        std::fs::write(&big, "{\"text\":\"a b c\"}\n".repeat(200_000)).unwrap();
        let small = dir.path().join("b.jsonl");
        std::fs::write(&small, "{\"text\":\"a b c\"}\n").unwrap();
        let mut c = Config::default();
        c.input.paths = vec![big.display().to_string(), small.display().to_string()];
        c.output.dir = dir.path().join("out");
        c.distributed.split_mb = 1;
        let plan = Plan::build(&c, 3).unwrap();
        let pieces: Vec<&Piece> = plan.ranks.iter().flatten().collect();
        // 3.4 MB in 1 MB ranges, then the small file whole.
        assert_eq!(pieces.len(), 5);
        assert_eq!(pieces[0].part.range, Some((0, 1_000_000)));
        assert_eq!(pieces[4].part.file_index, 1);
        assert!(pieces
            .windows(2)
            .all(|w| (w[0].part.file_index, w[0].part.range)
                < (w[1].part.file_index, w[1].part.range)
                || w[1].part.range.is_none()));
        assert!(plan.ranks.iter().all(|r| !r.is_empty()), "{:?}", plan.ranks);
        assert!(
            crate::pipeline::global_position(0, u64::from(u32::MAX) * 4)
                < crate::pipeline::global_position(1, 1)
        );
        // The plan survives its file.
        let text = serde_json::to_vec(&plan).unwrap();
        assert_eq!(serde_json::from_slice::<Plan>(&text).unwrap(), plan);
        assert!(Plan::build(&c, 0).is_err());
    }
}
