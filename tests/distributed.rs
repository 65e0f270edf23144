//! The distributed plan (`corpusmill run --executor local --world-size N`) against the
//! single-process pipeline: every input record accounted for once, the same records for any
//! world size, reruns that skip finished tasks, a failed task retried alone, the Slurm scripts
//! of a dry run, and near-duplicate quality on a planted corpus.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_corpusmill");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn unzstd(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    String::from_utf8(zstd::decode_all(&bytes[..]).unwrap()).unwrap()
}

/// A work folder with the 1000-article sample as a plain file (split into 3 pieces by
/// `split_mb = 1`), some bad lines and exact copies, and a small compressed file.
fn corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut text = unzstd(&fixture("bbc-1000.jsonl.zst"));
    let first: Vec<&str> = text.lines().take(3).collect();
    let copies: Vec<String> = first
        .iter()
        .enumerate()
        .map(|(i, l)| l.replacen("\"id\": \"", &format!("\"id\": \"copy{i}-"), 1))
        .collect();
    text.push_str("{not json\n\n");
    for c in copies {
        text.push_str(&c);
        text.push('\n');
    }
    std::fs::write(dir.path().join("bbc.jsonl"), text).unwrap();
    // The small file's ids made distinct from the sample's (it holds some of the same articles).
    let mini = unzstd(&fixture("mini.jsonl.zst")).replace("\"id\": \"", "\"id\": \"mini-");
    let mini = zstd::encode_all(mini.as_bytes(), 3).unwrap();
    std::fs::write(dir.path().join("mini.jsonl.zst"), mini).unwrap();
    std::fs::write(
        dir.path().join("dist.toml"),
        "[distributed]\nsplit_mb = 1\nbuckets = 8\n",
    )
    .unwrap();
    dir
}

/// Runs corpusmill in `dir` with the sample inputs and `args`; returns stderr.
fn run(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(BIN)
        .current_dir(dir)
        .args([
            "run",
            "-c",
            "dist.toml",
            "-i",
            "bbc.jsonl",
            "-i",
            "mini.jsonl.zst",
        ])
        .args(["--disable", "entities", "--no-progress"])
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() {
        Ok(err)
    } else {
        Err(err)
    }
}

/// Every output file's decompressed lines, file by file.
fn records(out: &Path) -> Vec<(String, Vec<String>)> {
    let mut names: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".jsonl.zst") || n == "errors.jsonl")
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let p = out.join(&n);
            let text = if n.ends_with(".zst") {
                unzstd(&p)
            } else {
                std::fs::read_to_string(&p).unwrap()
            };
            (n, text.lines().map(str::to_string).collect())
        })
        .collect()
}

fn assert_same(a: &Path, b: &Path) {
    let (ra, rb) = (records(a), records(b));
    assert_eq!(ra.len(), rb.len(), "{} vs {}", a.display(), b.display());
    for ((na, la), (nb, lb)) in ra.iter().zip(&rb) {
        assert_eq!(na, nb);
        assert!(
            la == lb,
            "{na}: {} vs {} lines differ ({} vs {})",
            a.display(),
            b.display(),
            la.len(),
            lb.len()
        );
    }
}

#[test]
fn records_are_identical_for_world_sizes_1_2_4_and_the_single_process_run() {
    let dir = corpus();
    let d = dir.path();
    run(d, &["-o", "single", "-q"]).unwrap();
    for n in ["1", "2", "4"] {
        let out = format!("w{n}");
        run(
            d,
            &[
                "-o",
                &out,
                "--executor",
                "local",
                "--world-size",
                n,
                "-t",
                "2",
                "-q",
            ],
        )
        .unwrap();
        assert_same(&d.join("single"), &d.join(&out));
        assert!(d.join(&out).join("manifest.json").is_file());
    }
    // The manifest lists a split file once, with all its lines.
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("w4/manifest.json")).unwrap()).unwrap();
    let single: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("single/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["inputs"], single["inputs"]);
    assert_eq!(m["totals"], single["totals"]);
}

#[test]
fn every_input_record_is_accounted_for_exactly_once() {
    let dir = corpus();
    let d = dir.path();
    run(
        d,
        &["-o", "w3", "--executor", "local", "--world-size", "3", "-q"],
    )
    .unwrap();
    let lines = std::fs::read_to_string(d.join("bbc.jsonl"))
        .unwrap()
        .lines()
        .count()
        + unzstd(&d.join("mini.jsonl.zst")).lines().count();
    let mut ids = std::collections::HashMap::new();
    let mut errors = 0;
    for (name, recs) in records(&d.join("w3")) {
        for r in recs {
            let v: serde_json::Value = serde_json::from_str(&r).unwrap();
            if name == "errors.jsonl" {
                // A repaired record is also written; the others are not.
                errors += usize::from(v["action"] != "repaired");
            } else {
                *ids.entry(v["id"].as_str().unwrap().to_string())
                    .or_insert(0) += 1;
            }
        }
    }
    assert!(ids.values().all(|&n| n == 1), "an id written twice");
    assert_eq!(ids.len() + errors, lines);
    assert!(errors >= 2, "the bad and the empty line are reported");
    let dups = unzstd(&d.join("w3/duplicates.jsonl.zst"));
    for i in 0..3 {
        assert!(dups.contains(&format!("\"id\":\"copy{i}-")), "{dups}");
    }
}

#[test]
fn a_rerun_skips_finished_tasks_and_a_failed_task_is_retried_alone() {
    let dir = corpus();
    let d = dir.path();
    let args = ["-o", "w2", "--executor", "local", "--world-size", "2"];
    run(d, &args).unwrap();
    let snapshot = d.join("first");
    std::fs::create_dir(&snapshot).unwrap();
    for (n, _) in records(&d.join("w2")) {
        std::fs::copy(d.join("w2").join(&n), snapshot.join(&n)).unwrap();
    }
    let work = d.join("w2/.work");
    let marker = work.join("prepare/r0.done");
    let before = std::fs::metadata(&marker).unwrap().modified().unwrap();

    // Without --resume the folder is refused; with it, nothing is left to run.
    let e = run(d, &args).unwrap_err();
    assert!(e.contains("--resume"), "{e}");
    let again = run(d, &[&args[..], &["--resume"]].concat()).unwrap();
    assert!(again.contains("finish"), "{again}");
    for line in again.lines().filter(|l| l.starts_with("prepare ")) {
        let ran: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(ran[2], "0", "{line}");
    }

    // Finish rank 1 fails (a file where its folder goes), the others are not redone.
    for p in [
        "finish/r1.done",
        "merge/r0.done",
        "merge/r1.done",
        "manifest/r0.done",
    ] {
        std::fs::remove_file(work.join(p)).unwrap();
    }
    std::fs::remove_dir_all(work.join("finish/r1")).unwrap();
    std::fs::write(work.join("finish/r1.tmp"), "in the way").unwrap();
    let e = run(d, &[&args[..], &["--resume"]].concat()).unwrap_err();
    assert!(e.contains("stage finish failed (rank 1)"), "{e}");
    assert!(e.contains("finish-1.log"), "{e}");
    assert_eq!(
        std::fs::metadata(&marker).unwrap().modified().unwrap(),
        before
    );
    // Retried alone, then the rerun only merges and writes the manifest.
    std::fs::remove_file(work.join("finish/r1.tmp")).unwrap();
    let plan = work.join("plan.json");
    let st = Command::new(BIN)
        .args(["task", "--plan", plan.to_str().unwrap()])
        .args(["--stage", "finish", "--rank", "1"])
        .current_dir(d)
        .status()
        .unwrap();
    assert!(st.success());
    let last = run(d, &[&args[..], &["--resume"]].concat()).unwrap();
    let ran = |stage: &str| {
        last.lines()
            .find(|l| l.starts_with(&format!("{stage} ")))
            .map(|l| l.split_whitespace().nth(2).unwrap().to_string())
    };
    assert_eq!(ran("finish").as_deref(), Some("0"), "{last}");
    assert_eq!(ran("merge").as_deref(), Some("2"), "{last}");
    assert_eq!(ran("manifest").as_deref(), Some("1"), "{last}");
    assert_same(&snapshot, &d.join("w2"));
}

#[test]
fn slurm_dry_run_prints_one_array_per_stage_with_dependencies() {
    let dir = corpus();
    let d = dir.path();
    let err = run(
        d,
        &[
            "-o",
            "s",
            "--executor",
            "slurm",
            "--world-size",
            "3",
            "--dry-run",
            "--partition",
            "cpu",
            "--mem",
            "8G",
            "--sbatch-arg=--account=nlp",
        ],
    )
    .unwrap();
    for want in [
        "#SBATCH --job-name=corpusmill-prepare",
        "#SBATCH --array=0,1,2",
        "#SBATCH --array=0\n",
        "#SBATCH --partition=cpu",
        "#SBATCH --mem=8G",
        "#SBATCH --account=nlp",
        "--dependency=afterok:",
        "--stage finish --rank \"$SLURM_ARRAY_TASK_ID\"",
    ] {
        assert!(err.contains(want), "missing {want:?} in\n{err}");
    }
    assert!(!d.join("s").exists(), "a dry run writes nothing");
}

/// Near-duplicate quality of the plan on a corpus with planted near copies (the harness's
/// generator over the 1000-article fixture, as tests/near_dedup.rs builds it), scored by the
/// harness against the raw texts: recall and justified removals as high as the single-process
/// run's on the same file (both clean the texts first, so some removals justified on cleaned
/// text fall under 0.6 on the raw one, alike for both).
#[test]
fn near_duplicates_of_a_planted_corpus_are_found_with_world_size_4() {
    use corpusmill::harness::near::{build_corpus, evaluate_decisions, CorpusSpec};
    use corpusmill::stage::{Decision, Duplicate};
    let text = unzstd(&fixture("bbc-1000.jsonl.zst"));
    let articles: Vec<(String, String)> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["id"].as_str().unwrap().to_string(),
                v["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let docs = build_corpus(
        &articles[..900],
        &CorpusSpec {
            seed: 11,
            max_change: 0.10,
            ..CorpusSpec::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut input = String::new();
    for doc in &docs {
        input.push_str(&serde_json::json!({"id": doc.id, "text": doc.text}).to_string());
        input.push('\n');
    }
    std::fs::write(d.join("planted.jsonl"), input).unwrap();
    std::fs::write(d.join("dist.toml"), "[distributed]\nsplit_mb = 1\n").unwrap();
    let score = |out: &str, dist: &[&str]| {
        let o = Command::new(BIN)
            .current_dir(d)
            .args(["run", "-c", "dist.toml", "-i", "planted.jsonl", "-o", out])
            .args(["--disable", "entities", "--disable", "exact_dedup"])
            .args(["--disable", "quality", "--disable", "min_length"])
            .args(["-q", "--no-progress"])
            .args(dist)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut removed = std::collections::HashMap::new();
        for l in unzstd(&d.join(out).join("duplicates.jsonl.zst")).lines() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            removed.insert(
                v["id"].as_str().unwrap().to_string(),
                Duplicate {
                    duplicate_of: v["duplicate_of"].as_str().unwrap().to_string(),
                    kind: "near",
                    similarity: v["similarity"].as_f64(),
                },
            );
        }
        let decisions: Vec<Decision> = docs
            .iter()
            .map(|doc| match removed.remove(&doc.id) {
                Some(dup) => Decision::Remove(dup),
                None => Decision::Keep,
            })
            .collect();
        evaluate_decisions(&docs, &decisions)
    };
    let single = score("single", &[]);
    let r = score("w4", &["--executor", "local", "--world-size", "4"]);
    assert!(r.pairs > 300, "{r:?}");
    assert!(r.recall >= 0.97, "{r:?}");
    assert!(r.justified >= 0.9, "{r:?}");
    assert!(r.quoting_kept >= 0.97, "{r:?}");
    assert!(r.recall >= single.recall - 0.01, "{r:?}\n{single:?}");
    assert!(r.justified >= single.justified - 0.01, "{r:?}\n{single:?}");
    eprintln!("single: {single:?}\nworld size 4: {r:?}");
}

/// Runs corpusmill in `dir` with `args`; returns the exit code, stdout and stderr.
fn run_raw(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .current_dir(dir)
        .arg("run")
        .args(["--disable", "entities", "--no-progress"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A truncated archive: the plan keeps the records before the cut like one process, says so
/// and exits 2; `--progress-json` reports the start, the tasks of every stage and a `done`
/// line with that exit code.
#[test]
fn a_truncated_input_exits_2_and_progress_json_reports_the_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = unzstd(&fixture("bbc-1000.jsonl.zst"));
    let whole = zstd::encode_all(text.as_bytes(), 3).unwrap();
    std::fs::write(d.join("cut.jsonl.zst"), &whole[..whole.len() * 3 / 5]).unwrap();
    std::fs::write(d.join("whole.jsonl"), &text).unwrap();
    std::fs::write(d.join("dist.toml"), "[distributed]\nsplit_mb = 1\n").unwrap();
    let inputs = [
        "-c",
        "dist.toml",
        "-i",
        "whole.jsonl",
        "-i",
        "cut.jsonl.zst",
    ];
    let (code, _, err) = run_raw(d, &[&inputs[..], &["-o", "single", "-q"]].concat());
    assert_eq!(code, 2, "{err}");
    let dist = [
        "-o",
        "w2",
        "-q",
        "--executor",
        "local",
        "--world-size",
        "2",
        "--progress-json",
    ];
    let (code, out, err) = run_raw(d, &[&inputs[..], &dist].concat());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("could not be read to their end") && err.contains("errors.jsonl"),
        "{err}"
    );
    assert_same(&d.join("single"), &d.join("w2"));
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("w2/manifest.json")).unwrap()).unwrap();
    let complete: Vec<bool> = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["complete"].as_bool().unwrap())
        .collect();
    assert_eq!(complete, [true, false]);

    let events: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert_eq!(events[0]["event"], "start");
    assert_eq!(events[0]["mode"], "distributed");
    assert_eq!(events[0]["world_size"], 2);
    let last = events.last().unwrap();
    assert_eq!(last["event"], "done");
    assert_eq!(last["exit_code"], 2);
    assert!(last["error"].is_null());
    // Every stage ends with all its tasks done, counted up one task at a time.
    let stages: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] == "tasks").collect();
    for stage in [
        "prescan", "prepare", "match", "cluster", "finish", "merge", "manifest",
    ] {
        let counts: Vec<u64> = stages
            .iter()
            .filter(|e| e["stage"] == stage)
            .map(|e| e["done"].as_u64().unwrap())
            .collect();
        let total = stages
            .iter()
            .find(|e| e["stage"] == stage)
            .map(|e| e["total"].as_u64().unwrap())
            .unwrap_or_else(|| panic!("no tasks event for {stage}: {out}"));
        assert_eq!(counts, (1..=total).collect::<Vec<_>>(), "{stage}: {out}");
    }
}

/// More bad records of one kind than the errors file lists, spread over every rank: the merged
/// errors file lists the first 1000 and one `omitted` line with the rest, byte for byte what
/// one process writes.
#[test]
fn the_merged_errors_file_is_capped_per_kind_like_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = unzstd(&fixture("bbc-1000.jsonl.zst"));
    let mut input = String::new();
    for (i, l) in text.lines().enumerate() {
        input.push_str(l);
        input.push('\n');
        // Two bad lines after every article: 2000 of one kind across the file.
        input.push_str(&format!(
            "{{\"id\": \"bad-{i}\", \"text\": \n{{broken {i}\n"
        ));
    }
    std::fs::write(d.join("bad.jsonl"), input).unwrap();
    std::fs::write(d.join("dist.toml"), "[distributed]\nsplit_mb = 1\n").unwrap();
    let inputs = ["-c", "dist.toml", "-i", "bad.jsonl", "-q"];
    let (code, _, err) = run_raw(d, &[&inputs[..], &["-o", "single"]].concat());
    assert_eq!(code, 0, "{err}");
    let dist = ["-o", "w3", "--executor", "local", "--world-size", "3"];
    let (code, _, err) = run_raw(d, &[&inputs[..], &dist].concat());
    assert_eq!(code, 0, "{err}");
    let single = std::fs::read_to_string(d.join("single/errors.jsonl")).unwrap();
    let merged = std::fs::read_to_string(d.join("w3/errors.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = merged
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let omitted: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|v| v.get("omitted").is_some())
        .collect();
    assert_eq!(omitted.len(), 1, "{merged}");
    assert_eq!(omitted[0]["omitted"], 1000);
    assert_eq!(lines.len(), 1001);
    assert!(
        single == merged,
        "the merged errors file differs from one process's"
    );
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("w3/manifest.json")).unwrap()).unwrap();
    let listed = m["side_outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == "errors.jsonl")
        .unwrap();
    assert_eq!(listed["records"], 1001);
    assert_eq!(listed["bytes"], merged.len());
}
