//! The finish and merge tasks.
//!
//! *finish*: the single-process pipeline ([`crate::pipeline::run_part`]) over the rank's
//! pieces, numbered by global position, with the repeated-lines stage built from every
//! prescan task's counts and, in place of the exact and near indexes, [`Planned`] stages that
//! return the cluster task's decisions. Its folder is a complete single-process output of
//! the rank's pieces (shards, rejected, duplicates, errors, stats.json, manifest.json).
//!
//! *merge* (N tasks): every output file is the concatenation of the finish tasks' files in
//! rank order (zstd files are sequences of frames, so concatenated files are valid files; rank
//! order is input order, so each shard holds its records in input order whatever the world
//! size); rank `r` writes the files `i ≡ r (mod N)` of the list shards, rejected, duplicates,
//! errors, and their summaries to `files.json`.
//! *manifest* (1 task): `stats.json` sums the finish tasks' counts; `manifest.json`, with the
//! merge tasks' file summaries, is written last.

use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::path::Path;

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::store::PlannedDecision;
use super::{prepare, Plan, StageName};
use crate::config::Config;
use crate::dedup::near::NearMode;
use crate::io::writer::{self, FileSummary};
use crate::pipeline::{run_part, PartRun, Progress, ERROR_LINES_PER_KIND};
use crate::stage::{Candidate, Decision, Duplicate, OrderedStage};
use crate::Error;

/// An ordered stage that returns the plan's decisions for one kind (exact or near).
struct Planned {
    name: &'static str,
    /// Decisions by position, ascending.
    list: Vec<PlannedDecision>,
    at: usize,
    /// Near dedup in annotate mode: a document without a decision is its own cluster.
    annotate: bool,
}

impl OrderedStage for Planned {
    fn name(&self) -> &'static str {
        self.name
    }

    fn decide(&mut self, doc: &Candidate<'_>) -> crate::Result<Decision> {
        while self.list.get(self.at).is_some_and(|d| d.pos < doc.seq) {
            self.at += 1;
        }
        let found = self.list.get(self.at).filter(|d| d.pos == doc.seq);
        Ok(match found {
            Some(d) if d.kind == 2 => Decision::Annotate {
                key: "cluster",
                value: d.of.clone(),
            },
            Some(d) => Decision::Remove(Duplicate {
                duplicate_of: d.of.clone(),
                kind: if d.kind == 0 { "exact" } else { "near" },
                similarity: Some(f64::from(d.sim)),
            }),
            None if self.annotate => Decision::Annotate {
                key: "cluster",
                value: doc.id.to_string(),
            },
            None => Decision::Keep,
        })
    }
}

/// The finish task.
pub(super) fn finish(
    plan: &Plan,
    config: &Config,
    rank: usize,
    out: &Path,
    progress: &dyn Progress,
) -> crate::Result<()> {
    let decisions = PlannedDecision::read_all(
        &plan
            .task_dir(StageName::Cluster, 0)
            .join(format!("decisions-{rank}.bin")),
    )?;
    let (exact, near): (Vec<_>, Vec<_>) = decisions.into_iter().partition(|d| d.kind == 0);
    let mut deciders: Vec<Box<dyn OrderedStage>> = Vec::new();
    if config.exact_dedup.enabled {
        deciders.push(Box::new(Planned {
            name: "exact_dedup",
            list: exact,
            at: 0,
            annotate: false,
        }));
    }
    if config.near_dedup.enabled {
        deciders.push(Box::new(Planned {
            name: "near_dedup",
            list: near,
            at: 0,
            annotate: config.near_dedup.mode == NearMode::Annotate,
        }));
    }
    let mut c = config.clone();
    c.output.dir = out.to_path_buf();
    c.output.checkpoint_mb = 0;
    let part = PartRun {
        inputs: plan.inputs(rank),
        prescanned: prepare::prescanned(plan, config)?,
        deciders,
    };
    run_part(&c, part, progress)?;
    // The task's lock file is not part of its output.
    let _ = std::fs::remove_file(out.join(crate::pipeline::folder::LOCK_FILE));
    Ok(())
}

fn read_json(path: &Path) -> crate::Result<Value> {
    let text = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_slice(&text)
        .map_err(|e| Error::Internal(format!("{}: {e}; rerun that task", path.display())))
}

/// Adds the numbers of `from` into `into`, descending into objects.
fn add_json(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(x) => add_json(x, v),
                    None => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (x @ Value::Number(_), Value::Number(n)) => {
            let sum = match (x.as_u64(), n.as_u64()) {
                (Some(a), Some(b)) => json!(a + b),
                _ => json!(x.as_f64().unwrap_or(0.0) + n.as_f64().unwrap_or(0.0)),
            };
            *x = sum;
        }
        _ => {}
    }
}

/// Concatenates `name` of every finish task into `dir/name` (atomically).
fn concat(plan: &Plan, dir: &Path, name: &str, summaries: &[Vec<Value>]) -> crate::Result<Value> {
    let dest = dir.join(name);
    let tmp = dir.join(format!("{name}.tmp"));
    let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let mut hash = Sha256::new();
    let mut bytes = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    for r in 0..plan.world_size {
        let src = plan.task_dir(StageName::Finish, r).join(name);
        let mut input = std::fs::File::open(&src).map_err(|e| Error::io(&src, e))?;
        loop {
            let n = input.read(&mut buf).map_err(|e| Error::io(&src, e))?;
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
            f.write_all(&buf[..n]).map_err(|e| Error::io(&tmp, e))?;
            bytes += n as u64;
        }
    }
    f.sync_all().map_err(|e| Error::io(&tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, &dest).map_err(|e| Error::io(&dest, e))?;
    let (mut records, mut raw) = (0u64, 0u64);
    for list in summaries {
        if let Some(s) = list.iter().find(|s| s["file"] == name) {
            records += s["records"].as_u64().unwrap_or(0);
            raw += s["bytes_uncompressed"].as_u64().unwrap_or(0);
        }
    }
    let sum = FileSummary {
        file: name.to_string(),
        records,
        bytes,
        bytes_uncompressed: raw,
        sha256: hash.finalize().iter().map(|b| format!("{b:02x}")).collect(),
    };
    serde_json::to_value(sum).map_err(|e| Error::Internal(e.to_string()))
}

/// The output files in order: shards, then the side files.
fn output_files(plan: &Plan) -> Vec<String> {
    (0..plan.config.output.shards)
        .map(writer::shard_name)
        .chain(
            ["rejected.jsonl.zst", "duplicates.jsonl.zst", "errors.jsonl"]
                .into_iter()
                .map(String::from),
        )
        .collect()
}

fn finish_manifests(plan: &Plan) -> crate::Result<Vec<Value>> {
    (0..plan.world_size)
        .map(|r| read_json(&plan.task_dir(StageName::Finish, r).join("manifest.json")))
        .collect()
}

/// The merge task: output files `i ≡ rank (mod N)`, written atomically into the output
/// folder; their summaries go to `out/files.json`.
pub(super) fn merge(plan: &Plan, rank: usize, out: &Path) -> crate::Result<()> {
    let manifests = finish_manifests(plan)?;
    let list = |key: &str| -> Vec<Vec<Value>> {
        manifests
            .iter()
            .map(|m| m[key].as_array().cloned().unwrap_or_default())
            .collect()
    };
    let (shard_lists, side_lists) = (list("shards"), list("side_outputs"));
    let nshards = plan.config.output.shards;
    let mut done = Vec::new();
    for (i, name) in output_files(plan).iter().enumerate() {
        if i % plan.world_size != rank {
            continue;
        }
        let dir = &plan.config.output.dir;
        if name == "errors.jsonl" {
            done.push(merge_errors(plan, dir)?);
            continue;
        }
        let lists = if i < nshards {
            &shard_lists
        } else {
            &side_lists
        };
        done.push(concat(plan, dir, name, lists)?);
    }
    writer::write_json_file(out, "files.json", &done)
}

/// `errors.jsonl` from every finish task's (plain, or `errors.jsonl.zst` when it grew past
/// 1 MiB), in rank order (input order), with the single-process cap applied across ranks: the
/// first [`ERROR_LINES_PER_KIND`] lines of each kind, then one `omitted` line per kind over the
/// cap with the count of the rest (each task's own `omitted` lines are folded into it). So
/// the merged file is the one a single process writes, whatever the world size.
/// Compressed to `errors.jsonl.zst` past 1 MiB, as one process does.
fn merge_errors(plan: &Plan, dir: &Path) -> crate::Result<Value> {
    let name = "errors.jsonl";
    let (dest, tmp) = (dir.join(name), dir.join(format!("{name}.tmp")));
    let f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let mut out = HashingWriter {
        inner: std::io::BufWriter::new(f),
        hash: Sha256::new(),
        bytes: 0,
    };
    let mut records = 0u64;
    // Per kind: lines seen (written or not) plus the tasks' omitted counts.
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for r in 0..plan.world_size {
        let d = plan.task_dir(StageName::Finish, r);
        let (plain, zst) = (d.join(name), d.join(format!("{name}.zst")));
        let (path, input): (&Path, Box<dyn Read>) = if zst.is_file() {
            let file = std::fs::File::open(&zst).map_err(|e| Error::io(&zst, e))?;
            let dec = zstd::stream::read::Decoder::new(file).map_err(|e| Error::io(&zst, e))?;
            (&zst, Box::new(dec))
        } else {
            let file = std::fs::File::open(&plain).map_err(|e| Error::io(&plain, e))?;
            (&plain, Box::new(file))
        };
        for (i, line) in std::io::BufReader::new(input).lines().enumerate() {
            let line = line.map_err(|e| Error::io(path, e))?;
            if line.is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(&line).map_err(|e| {
                Error::Task(format!(
                    "{}:{}: not a JSON line ({e}); rerun finish task {r}",
                    path.display(),
                    i + 1
                ))
            })?;
            let kind = v["kind"].as_str().unwrap_or("").to_string();
            let n = seen.entry(kind).or_insert(0);
            if let Some(omitted) = v.get("omitted").and_then(Value::as_u64) {
                *n += omitted;
                continue;
            }
            *n += 1;
            if *n <= ERROR_LINES_PER_KIND {
                writeln!(out, "{line}").map_err(|e| Error::io(&tmp, e))?;
                records += 1;
            }
        }
    }
    for (kind, n) in &seen {
        if *n > ERROR_LINES_PER_KIND {
            let v = json!({
                "kind": kind,
                "omitted": n - ERROR_LINES_PER_KIND,
                "reason": format!(
                    "{n} records of this kind; the first {ERROR_LINES_PER_KIND} are listed above, \
                     the rest only counted (stats.json has every count)"
                ),
            });
            writeln!(out, "{v}").map_err(|e| Error::io(&tmp, e))?;
            records += 1;
        }
    }
    let HashingWriter { inner, hash, bytes } = out;
    let f = inner
        .into_inner()
        .map_err(|e| Error::io(&tmp, e.into_error()))?;
    f.sync_all().map_err(|e| Error::io(&tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, &dest).map_err(|e| Error::io(&dest, e))?;
    let mut sum = FileSummary {
        file: name.to_string(),
        records,
        bytes,
        bytes_uncompressed: bytes,
        sha256: hash.finalize().iter().map(|b| format!("{b:02x}")).collect(),
    };
    if bytes > crate::pipeline::exec::ERRORS_COMPRESS_BYTES {
        sum = writer::compress_finished(dir, &sum, plan.config.output.zstd_level)?;
    }
    serde_json::to_value(sum).map_err(|e| Error::Internal(e.to_string()))
}

/// A writer that hashes and counts what goes through it.
struct HashingWriter<W: Write> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The manifest task: `stats.json`, then `manifest.json`.
pub(super) fn manifest(plan: &Plan) -> crate::Result<()> {
    let c = &plan.config;
    let dir = &c.output.dir;
    let manifests = finish_manifests(plan)?;
    let mut stats: Option<Value> = None;
    for r in 0..plan.world_size {
        let s = read_json(&plan.task_dir(StageName::Finish, r).join("stats.json"))?;
        match &mut stats {
            None => stats = Some(s),
            Some(into) => add_json(into, &s),
        }
    }
    let mut files: Vec<Value> = Vec::new();
    for r in 0..plan.world_size {
        let v = read_json(&plan.task_dir(StageName::Merge, r).join("files.json"))?;
        files.extend(v.as_array().cloned().unwrap_or_default());
    }
    let summary = |name: &str| {
        files
            .iter()
            .find(|f| f["file"] == name || f["file"] == format!("{name}.zst").as_str())
            .cloned()
            .ok_or_else(|| Error::Internal(format!("no merge task wrote {name}; rerun merge")))
    };
    let names = output_files(plan);
    let (shard_names, side_names) = names.split_at(c.output.shards);
    let shards = shard_names
        .iter()
        .map(|n| summary(n))
        .collect::<crate::Result<Vec<_>>>()?;
    let side = side_names
        .iter()
        .map(|n| summary(n))
        .collect::<crate::Result<Vec<_>>>()?;
    // Inputs: a split file's pieces are summed back into one entry, in input order.
    let mut inputs: Vec<Value> = Vec::new();
    for m in &manifests {
        for inp in m["inputs"].as_array().into_iter().flatten() {
            match inputs.last_mut() {
                Some(last) if last["path"] == inp["path"] => {
                    for k in ["lines", "bytes"] {
                        let s = last[k].as_u64().unwrap_or(0) + inp[k].as_u64().unwrap_or(0);
                        last[k] = json!(s);
                    }
                    let complete = last["complete"].as_bool().unwrap_or(false)
                        && inp["complete"].as_bool().unwrap_or(false);
                    last["complete"] = json!(complete);
                }
                _ => inputs.push(inp.clone()),
            }
        }
    }
    let mut stats = stats.unwrap_or_else(|| json!({}));
    let wall = plan_age(plan);
    let g = |k: &str| stats[k].as_u64().unwrap_or(0);
    let sum_map = |k: &str| -> u64 {
        match &stats[k] {
            Value::Object(m) => m
                .values()
                .map(|v| match v {
                    Value::Object(inner) => inner.values().filter_map(Value::as_u64).sum(),
                    other => other.as_u64().unwrap_or(0),
                })
                .sum(),
            _ => 0,
        }
    };
    let totals = json!({
        "docs_in": g("docs_in"),
        "docs_written": g("docs_written"),
        "rejected": sum_map("rejected"),
        "duplicates": sum_map("duplicates"),
        "errors": sum_map("errors"),
    });
    let timing = json!({
        "wall_s": wall,
        "prescan_s": 0.0,
        "docs_per_s": g("docs_in") as f64 / wall.max(1e-9),
        "mb_per_s": g("bytes_in") as f64 / 1e6 / wall.max(1e-9),
        "threads": stats["timing"]["threads"].clone(),
    });
    stats["timing"] = timing;
    let mut manifest = Map::new();
    manifest.insert(
        "corpusmill_version".into(),
        json!(env!("CARGO_PKG_VERSION")),
    );
    manifest.insert("config".into(), c.effective());
    manifest.insert("inputs".into(), Value::Array(inputs));
    manifest.insert("shards".into(), Value::Array(shards));
    manifest.insert("side_outputs".into(), Value::Array(side));
    manifest.insert("totals".into(), totals);
    // The manifest goes last: a folder with a manifest is complete.
    writer::write_json_file(dir, "stats.json", &stats)?;
    writer::write_json_file(dir, "manifest.json", &Value::Object(manifest))
}

/// Seconds since the plan was written (the run's wall time so far).
fn plan_age(plan: &Plan) -> f64 {
    std::fs::metadata(plan.path())
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .map_or(0.0, |d| d.as_secs_f64())
}
