//! Executors of the plan: local processes, or Slurm job arrays.
//!
//! Both start the same command per task, `corpusmill task --plan <work>/plan.json --stage S
//! --rank R --threads T`, which skips a task that has its marker. The local executor runs a
//! stage's pending tasks as child processes, at most `parallel` at a time, and starts the
//! next stage when all have succeeded. The Slurm executor writes one sbatch script per stage
//! (a job array of the pending ranks, `--dependency=afterok:` on the previous stage's job),
//! submits them all at once, then watches the completion markers (progress) and `squeue`
//! (a job that left the queue without its marker failed; a job waiting on a failed one shows
//! `DependencyNeverSatisfied` and is cancelled). A failure stops the run with the task's log.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{read_marker, Plan, StageName};
use crate::config::Config;
use crate::pipeline::folder::{self, Existing};
use crate::Error;

/// How the plan's tasks are run.
#[derive(Clone, Debug)]
pub enum Executor {
    /// Child processes of `exe` on this machine, `parallel` at a time with `threads` worker
    /// threads each.
    Local {
        /// The corpusmill binary.
        exe: PathBuf,
        /// Tasks at a time.
        parallel: usize,
        /// Worker threads per task.
        threads: usize,
    },
    /// Write the work dir and `plan.json` only, and report each stage's task command, for
    /// another scheduler (Kubernetes Indexed Jobs) to run.
    PlanOnly {
        /// The corpusmill binary, for the commands reported.
        exe: PathBuf,
    },
    /// Slurm job arrays, with the options of `[distributed.slurm]`.
    Slurm {
        /// The corpusmill binary (on the shared filesystem, as the nodes see it).
        exe: PathBuf,
        /// Print the sbatch scripts instead of submitting them.
        dry_run: bool,
    },
}

/// Time spent in one stage.
#[derive(Clone, Debug)]
pub struct StageTime {
    /// The stage.
    pub stage: StageName,
    /// Its tasks.
    pub tasks: usize,
    /// Tasks run now (the others had finished before).
    pub ran: usize,
    /// Wall seconds from the first task's start to the last one's end, as the executor saw
    /// them (local), or of the longest task (Slurm).
    pub wall_s: f64,
    /// CPU seconds of all its tasks.
    pub cpu_s: f64,
    /// Longest task, wall seconds.
    pub task_max_s: f64,
    /// Input bytes read (prepare).
    pub bytes: u64,
}

/// What a distributed run reports while it works.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// A line for people: the sbatch scripts of a dry run, the task commands of a plan-only
    /// run, the jobs submitted.
    Line(&'a str),
    /// `done` of the `total` tasks of `stage` have finished (reported when the count changes;
    /// at the start of a stage for the tasks a resumed run skips).
    Tasks {
        /// The stage.
        stage: StageName,
        /// Tasks finished, now or by an earlier run.
        done: usize,
        /// Tasks of the stage.
        total: usize,
    },
}

/// What a distributed run did.
#[derive(Clone, Debug)]
pub struct DistSummary {
    /// The merged `stats.json`.
    pub stats: serde_json::Value,
    /// Per stage.
    pub stages: Vec<StageTime>,
    /// The work dir.
    pub work_dir: PathBuf,
    /// Some input could not be read to its end (a truncated archive): the merged manifest
    /// lists it with `complete: false` and the errors file says where it stopped.
    pub incomplete_inputs: bool,
}

/// Runs the pipeline of `config` as the distributed plan with `world_size` ranks. `report`
/// receives lines and task counts. Returns `None` after a dry run (the scripts went to `report`) and
/// with [`Executor::PlanOnly`].
pub fn run(
    config: &Config,
    world_size: usize,
    executor: &Executor,
    report: &dyn Fn(Event),
) -> crate::Result<Option<DistSummary>> {
    if config.output.format != crate::config::OutputFormat::Jsonl {
        // The merge stage concatenates the tasks' zstd JSONL files; Parquet files cannot be
        // concatenated that way.
        return Err(Error::Config(
            "output.format = \"parquet\" is not supported by the distributed plan yet: run it \
             with the JSONL format (the default), or without --executor"
                .into(),
        ));
    }
    let plan = Plan::build(config, world_size)?;
    if let Executor::Slurm { exe, dry_run: true } = executor {
        for stage in plan.stages() {
            let ranks: Vec<usize> = (0..plan.tasks(stage)).collect();
            report(Event::Line(&format!(
                "# sbatch --parsable{} {}",
                if stage == plan.stages()[0] {
                    ""
                } else {
                    " --dependency=afterok:<previous job>"
                },
                script_path(&plan, stage).display()
            )));
            report(Event::Line(&script(&plan, stage, &ranks, exe)));
        }
        return Ok(None);
    }
    let out = &config.output.dir;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let _lock = folder::lock(out)?;
    let work = &plan.work_dir;
    let old = work.join("plan.json");
    match config.pipeline.existing_output {
        Existing::Resume if old.is_file() => {
            let before = Plan::load(&old)?;
            if !same_plan(&before, &plan) {
                return Err(Error::Config(format!(
                    "{} was written for other inputs, config or --world-size: rerun with those, \
                     or start again with --overwrite",
                    old.display()
                )));
            }
        }
        // Nothing to resume: a fresh run, which must not take another run's files.
        Existing::Resume => folder::prepare_fresh(out, Existing::Refuse)?,
        Existing::Overwrite => {
            super::remove_dir(work)?;
            folder::clear(out)?;
        }
        Existing::Refuse => {
            if old.is_file() {
                let what = if out.join("manifest.json").is_file() {
                    "a finished distributed run (--resume reruns only missing tasks)"
                } else {
                    "an unfinished distributed run: continue it with --resume (finished tasks \
                     are skipped)"
                };
                return Err(Error::Busy(format!(
                    "{} holds {what}, or start again with --overwrite",
                    work.display()
                )));
            }
            folder::prepare_fresh(out, Existing::Refuse)?;
        }
    }
    std::fs::create_dir_all(work.join("logs")).map_err(|e| Error::io(work, e))?;
    for s in plan.stages() {
        let d = work.join(s.name());
        std::fs::create_dir_all(&d).map_err(|e| Error::io(&d, e))?;
    }
    if !old.is_file() {
        crate::io::writer::write_json_file(work, "plan.json", &plan)?;
    }
    // The plan as written (a resumed run keeps the first one's, the same plan).
    let plan = Plan::load(&old)?;
    let mut times = Vec::new();
    match executor {
        Executor::PlanOnly { exe } => {
            for stage in plan.stages() {
                report(Event::Line(&format!(
                    "{} task(s): {} {}",
                    plan.tasks(stage),
                    exe.display(),
                    task_args(&plan, stage, "RANK", "THREADS").join(" ")
                )));
            }
            return Ok(None);
        }
        Executor::Local {
            exe,
            parallel,
            threads,
        } => {
            for stage in plan.stages() {
                times.push(run_local(&plan, stage, exe, *parallel, *threads, report)?);
            }
        }
        Executor::Slurm { exe, .. } => {
            let ran = run_slurm(&plan, exe, report)?;
            for (stage, n) in ran {
                let mut t = stage_time(&plan, stage, n)?;
                t.wall_s = t.task_max_s;
                times.push(t);
            }
        }
    }
    let s = out.join("stats.json");
    let text = std::fs::read(&s).map_err(|e| Error::io(&s, e))?;
    let stats = serde_json::from_slice(&text)
        .map_err(|e| Error::Internal(format!("{}: {e}", s.display())))?;
    let m = out.join("manifest.json");
    let text = std::fs::read(&m).map_err(|e| Error::io(&m, e))?;
    let manifest: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| Error::Internal(format!("{}: {e}", m.display())))?;
    let incomplete_inputs = manifest["inputs"]
        .as_array()
        .is_some_and(|a| a.iter().any(|i| i["complete"] == false));
    Ok(Some(DistSummary {
        stats,
        stages: times,
        work_dir: plan.work_dir.clone(),
        incomplete_inputs,
    }))
}

/// Two plans do the same work (execution settings aside).
fn same_plan(a: &Plan, b: &Plan) -> bool {
    a.world_size == b.world_size
        && a.ranks == b.ranks
        && a.work_dir == b.work_dir
        && a.config.effective() == b.config.effective()
}

fn stage_time(plan: &Plan, stage: StageName, ran: usize) -> crate::Result<StageTime> {
    let mut t = StageTime {
        stage,
        tasks: plan.tasks(stage),
        ran,
        wall_s: 0.0,
        cpu_s: 0.0,
        task_max_s: 0.0,
        bytes: 0,
    };
    for r in 0..t.tasks {
        let m = read_marker(plan, stage, r)?;
        t.cpu_s += m.cpu_s;
        t.task_max_s = t.task_max_s.max(m.wall_s);
        t.bytes += m.bytes;
    }
    Ok(t)
}

/// The command line of a task.
fn task_args(plan: &Plan, stage: StageName, rank: &str, threads: &str) -> Vec<String> {
    vec![
        "task".into(),
        "--plan".into(),
        plan.path().display().to_string(),
        "--stage".into(),
        stage.name().into(),
        "--rank".into(),
        rank.into(),
        "--threads".into(),
        threads.into(),
    ]
}

fn failure(plan: &Plan, stage: StageName, ranks: &[usize], exe: &Path) -> Error {
    let r = ranks.first().copied().unwrap_or(0);
    Error::Task(format!(
        "{} task(s) of stage {} failed ({}); the first one's log: {} (retry that task alone \
         with `{} {}`, or rerun the same command with --resume: finished tasks are skipped)",
        ranks.len(),
        stage.name(),
        ranks
            .iter()
            .map(|r| format!("rank {r}"))
            .collect::<Vec<_>>()
            .join(", "),
        plan.log(stage, r).display(),
        exe.display(),
        task_args(plan, stage, &r.to_string(), "1").join(" ")
    ))
}

fn run_local(
    plan: &Plan,
    stage: StageName,
    exe: &Path,
    parallel: usize,
    threads: usize,
    report: &dyn Fn(Event),
) -> crate::Result<StageTime> {
    let started = Instant::now();
    let pending = plan.pending(stage);
    let ran = pending.len();
    let total = plan.tasks(stage);
    if ran < total {
        report(Event::Tasks {
            stage,
            done: total - ran,
            total,
        });
    }
    let mut queue = pending.into_iter();
    let mut running: Vec<(usize, Child)> = Vec::new();
    let mut failed = Vec::new();
    let mut done = total - ran;
    loop {
        while running.len() < parallel.max(1) {
            let Some(r) = queue.next() else { break };
            let log = plan.log(stage, r);
            let f = std::fs::File::create(&log).map_err(|e| Error::io(&log, e))?;
            let f2 = f.try_clone().map_err(|e| Error::io(&log, e))?;
            let child = Command::new(exe)
                .args(task_args(plan, stage, &r.to_string(), &threads.to_string()))
                .stdin(Stdio::null())
                .stdout(f)
                .stderr(f2)
                .spawn()
                .map_err(|e| Error::io(exe, e))?;
            running.push((r, child));
        }
        if running.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
        let mut i = 0;
        while i < running.len() {
            match running[i].1.try_wait() {
                Ok(Some(status)) => {
                    let (r, _) = running.swap_remove(i);
                    if !status.success() {
                        failed.push(r);
                    }
                    done += 1;
                    report(Event::Tasks { stage, done, total });
                }
                Ok(None) => i += 1,
                Err(e) => return Err(Error::io(exe, e)),
            }
        }
    }
    if !failed.is_empty() {
        failed.sort_unstable();
        return Err(failure(plan, stage, &failed, exe));
    }
    let mut t = stage_time(plan, stage, ran)?;
    t.wall_s = started.elapsed().as_secs_f64();
    Ok(t)
}

fn script_path(plan: &Plan, stage: StageName) -> PathBuf {
    plan.work_dir
        .join("slurm")
        .join(format!("{}.sbatch", stage.name()))
}

/// A shell word: as it is when it holds only safe characters, else in single quotes.
fn quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The sbatch script of a stage: a job array of `ranks`.
pub(super) fn script(plan: &Plan, stage: StageName, ranks: &[usize], exe: &Path) -> String {
    let s = &plan.config.distributed.slurm;
    let mut out = String::from("#!/bin/bash\n");
    let mut opt = |o: String| out.push_str(&format!("#SBATCH {o}\n"));
    opt(format!("--job-name=corpusmill-{}", stage.name()));
    opt(format!(
        "--array={}",
        ranks
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(",")
    ));
    opt(format!(
        "--output={}",
        plan.work_dir
            .join("logs")
            .join(format!("{}-%a.log", stage.name()))
            .display()
    ));
    if let Ok(cwd) = std::env::current_dir() {
        // Relative input and output paths mean what they meant where the run started.
        opt(format!("--chdir={}", cwd.display()));
    }
    opt("--ntasks=1".into());
    opt(format!("--cpus-per-task={}", s.cpus_per_task));
    for (k, v) in [
        ("partition", &s.partition),
        ("time", &s.time),
        ("mem", &s.mem),
    ] {
        if !v.is_empty() {
            opt(format!("--{k}={v}"));
        }
    }
    for a in &s.extra_args {
        opt(a.clone());
    }
    out.push_str("set -eu\n");
    let args: Vec<String> = task_args(plan, stage, "RANK", "THREADS")
        .iter()
        .map(|a| match a.as_str() {
            "RANK" => "\"$SLURM_ARRAY_TASK_ID\"".to_string(),
            "THREADS" => "\"${SLURM_CPUS_PER_TASK:-1}\"".to_string(),
            a => quote(a),
        })
        .collect();
    out.push_str(&format!(
        "exec {} {}\n",
        quote(&exe.display().to_string()),
        args.join(" ")
    ));
    out
}

fn command_output(cmd: &mut Command, what: &str) -> crate::Result<String> {
    let out = cmd
        .output()
        .map_err(|e| Error::Task(format!("cannot run {what}: {e} (is Slurm installed here?)")))?;
    if !out.status.success() {
        return Err(Error::Task(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Submits every stage with pending tasks and waits; returns the tasks run per stage.
fn run_slurm(
    plan: &Plan,
    exe: &Path,
    report: &dyn Fn(Event),
) -> crate::Result<Vec<(StageName, usize)>> {
    let dir = plan.work_dir.join("slurm");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut jobs: Vec<String> = Vec::new();
    let mut ran = Vec::new();
    for stage in plan.stages() {
        let pending = plan.pending(stage);
        ran.push((stage, pending.len()));
        if pending.is_empty() {
            continue;
        }
        let path = script_path(plan, stage);
        std::fs::write(&path, script(plan, stage, &pending, exe))
            .map_err(|e| Error::io(&path, e))?;
        let mut cmd = Command::new("sbatch");
        cmd.arg("--parsable");
        if let Some(prev) = jobs.last() {
            cmd.arg(format!("--dependency=afterok:{prev}"));
        }
        cmd.arg(&path);
        let out = command_output(&mut cmd, "sbatch")?;
        let id = out.trim().split(';').next().unwrap_or("").to_string();
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Task(format!("sbatch printed no job id: {out:?}")));
        }
        report(Event::Line(&format!(
            "{}: submitted job {id} ({} tasks)",
            stage.name(),
            pending.len()
        )));
        jobs.push(id);
    }
    let poll = Duration::from_secs(plan.config.distributed.slurm.poll_seconds);
    // Tasks done per stage as last reported (none yet).
    let mut last: Vec<Option<usize>> = vec![None; plan.stages().len()];
    loop {
        let status: Vec<(StageName, usize, usize)> = plan
            .stages()
            .into_iter()
            .map(|s| (s, plan.tasks(s) - plan.pending(s).len(), plan.tasks(s)))
            .collect();
        for (seen, &(stage, done, total)) in last.iter_mut().zip(&status) {
            // A stage is reported once it has begun (or ended), then on every change.
            if *seen != Some(done) && (done > 0 || seen.is_some()) {
                report(Event::Tasks { stage, done, total });
                *seen = Some(done);
            }
        }
        if status.iter().all(|(_, d, t)| d == t) {
            return Ok(ran);
        }
        let queue = command_output(
            Command::new("squeue").args(["-h", "-o", "%i|%T|%r"]),
            "squeue",
        )?;
        let ours: Vec<&str> = queue
            .lines()
            .filter(|l| {
                let id = l.split(['_', '|']).next().unwrap_or("");
                jobs.iter().any(|j| j == id)
            })
            .collect();
        let stuck = ours.iter().any(|l| l.contains("DependencyNeverSatisfied"));
        if ours.is_empty() || stuck {
            if stuck {
                let _ = Command::new("scancel").args(&jobs).status();
            }
            // Markers may have appeared since the look above.
            if let Some(s) = plan
                .stages()
                .into_iter()
                .find(|&s| !plan.pending(s).is_empty())
            {
                return Err(failure(plan, s, &plan.pending(s), exe));
            }
            return Ok(ran);
        }
        std::thread::sleep(poll);
    }
}
