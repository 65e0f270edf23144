//! The `corpusmill` binary: stdin, exit codes, help, config errors.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_corpusmill"))
}

#[test]
fn reads_gzip_from_stdin_like_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let out_stdin = dir.path().join("stdin");
    let mut child = bin()
        .args(["run", "--input", "-", "--no-progress", "-q", "--output"])
        .arg(&out_stdin)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let gz = std::fs::read(fixture("mini.jsonl.gz")).unwrap();
    child.stdin.take().unwrap().write_all(&gz).unwrap();
    assert!(child.wait().unwrap().success());
    let out_file = dir.path().join("file");
    let st = bin()
        .args(["run", "--no-progress", "-q", "--input"])
        .arg(fixture("mini.jsonl"))
        .arg("--output")
        .arg(&out_file)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(st.success());
    let a = records_by_id(&out_stdin);
    assert_eq!(a.len(), records_by_id(&out_file).len());
    assert_eq!(a, records_by_id(&out_file));
    assert!(!out_stdin.join(".stdin.spool").exists());
}

#[test]
fn a_truncated_input_exits_2_after_writing_everything() {
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.zst");
    let z = std::fs::read(fixture("mini.jsonl.zst")).unwrap();
    std::fs::write(&cut, &z[..z.len() - 100]).unwrap();
    let out = dir.path().join("out");
    let o = bin()
        .args(["run", "--no-progress", "--input"])
        .arg(&cut)
        .arg("--input")
        .arg(fixture("mini.jsonl"))
        .arg("--output")
        .arg(&out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("errors.jsonl"), "{stderr}");
    assert!(
        stderr.contains("documents written"),
        "summary table: {stderr}"
    );
    assert!(out.join("manifest.json").exists());
    assert!(out.join("part-00000.jsonl.zst").exists());
}

#[test]
fn the_default_run_uses_the_bundled_sample() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let st = bin()
        .args(["run", "--no-progress", "-q", "--output"])
        .arg(&out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(st.success());
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["config"]["input"]["paths"][0], "data/sample");
    assert!(m["totals"]["docs_in"].as_u64().unwrap() >= 300);
    assert!(m["totals"]["duplicates"].as_u64().unwrap() >= 36);
    assert_eq!(m["shards"].as_array().unwrap().len(), 4);
    assert!(m["shards"][0]["sha256"].as_str().unwrap().len() == 64);
}

#[test]
fn help_explains_every_option() {
    let o = bin().args(["run", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&o.stdout);
    for opt in [
        "--config",
        "--input",
        "--output",
        "--shards",
        "--threads",
        "--disable",
        "--strict",
        "--no-progress",
    ] {
        assert!(help.contains(opt), "{opt} missing from help:\n{help}");
    }
    let o = bin().arg("--help").output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("run"));
}

#[test]
fn config_errors_name_the_file_and_key_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[output]\nshardz = 3\n").unwrap();
    let o = bin()
        .args(["run", "--no-progress", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("bad.toml") && e.contains("shardz"), "{e}");
    // An unknown stage is a usage error: clap's exit code 2, with the stages listed.
    let o = bin()
        .args(["run", "--no-progress", "--disable", "nope"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("'nope'") && e.contains("near_dedup"), "{e}");
}

#[test]
fn ner_eval_and_tag_work_from_the_command_line() {
    let small =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/entities_small.conll");
    let o = bin()
        .args(["ner", "eval", "--conll"])
        .arg(&small)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report = String::from_utf8_lossy(&o.stdout);
    for t in ["overall", "PER", "ORG", "LOC", "MISC"] {
        assert!(report.contains(t), "{report}");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tagged.conll");
    let st = bin()
        .args(["ner", "tag", "--conll"])
        .arg(&small)
        .arg("--output")
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    let input = std::fs::read_to_string(&small).unwrap();
    let tagged = std::fs::read_to_string(&out).unwrap();
    assert_eq!(input.lines().count(), tagged.lines().count());
    for (a, b) in input.lines().zip(tagged.lines()) {
        if a.trim().is_empty() {
            assert!(b.trim().is_empty());
        } else {
            assert!(b.starts_with(a), "{a:?} -> {b:?}");
            let tag = b[a.len()..].trim();
            assert!(
                tag == "O" || tag.starts_with("B-") || tag.starts_with("I-"),
                "{b:?}"
            );
        }
    }
}

/// `ner train --train` is repeatable (the shipped model adds a second gold file): the
/// report counts the tokens of every file.
#[test]
fn ner_train_reads_every_train_file() {
    let small =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/entities_small.conll");
    let dir = tempfile::tempdir().unwrap();
    let tokens = |o: &std::process::Output| -> usize {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let out = String::from_utf8_lossy(&o.stdout).to_string();
        let rest = out.split("trained on ").nth(1).expect("report line");
        rest.split_whitespace().next().unwrap().parse().unwrap()
    };
    let run = |files: &[&std::path::Path]| {
        let mut c = bin();
        c.args(["ner", "train", "--epochs", "2", "--dev"])
            .arg(&small);
        for f in files {
            c.arg("--train").arg(f);
        }
        c.arg("-o")
            .arg(dir.path().join("m.bin.zst"))
            .output()
            .unwrap()
    };
    let one = tokens(&run(&[&small]));
    let two = tokens(&run(&[&small, &small]));
    assert_eq!(two, 2 * one);
    let none = run(&[]);
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("--train"));
}

/// `ner eval` prints per-type scores, the unseen-name scores with `--seen`, and a confusion
/// table whose rows are the gold types plus spurious predictions (issue #15: PER/ORG errors
/// must be visible).
#[test]
fn ner_eval_prints_per_type_unseen_and_confusion() {
    let small =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/entities_small.conll");
    let o = bin()
        .args(["ner", "eval", "--conll"])
        .arg(&small)
        .arg("--seen")
        .arg(&small)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = report.lines().collect();
    let header = |l: &&&str| {
        l.split_whitespace().collect::<Vec<_>>() == ["type", "precision", "recall", "f1", "gold"]
    };
    assert_eq!(lines.iter().filter(header).count(), 2, "{report}");
    assert!(report.contains("unseen names"), "{report}");
    // Every name is seen when the seen file is the evaluated file: no unseen gold entities.
    let unseen_at = lines.iter().position(|l| l.starts_with("unseen")).unwrap();
    let overall = lines[unseen_at + 2].split_whitespace().collect::<Vec<_>>();
    assert_eq!(overall.first(), Some(&"overall"));
    assert_eq!(overall.last(), Some(&"0"), "{report}");
    let at = lines
        .iter()
        .position(|l| l.starts_with("gold\\pred"))
        .expect("confusion table");
    let cols: Vec<&str> = lines[at].split_whitespace().collect();
    assert_eq!(
        cols,
        [
            "gold\\pred",
            "PER",
            "ORG",
            "LOC",
            "MISC",
            "boundary",
            "missed"
        ]
    );
    for (k, name) in ["PER", "ORG", "LOC", "MISC"].iter().enumerate() {
        let row: Vec<&str> = lines[at + 1 + k].split_whitespace().collect();
        assert_eq!(row.len(), 7, "{report}");
        assert_eq!(row[0], *name);
        assert!(
            row[1..].iter().all(|n| n.parse::<u64>().is_ok()),
            "{report}"
        );
    }
    let spurious: Vec<&str> = lines[at + 5].split_whitespace().collect();
    assert_eq!(spurious.len(), 5, "{report}");
    assert_eq!(spurious[0], "spurious");
}

/// The README's configuration reference is config/default.toml verbatim.
#[test]
fn readme_config_reference_matches_default_toml() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let toml = std::fs::read_to_string(root.join("config/default.toml")).unwrap();
    assert!(
        readme.contains(&format!("```toml\n{toml}```")),
        "README.md's config reference differs from config/default.toml: paste the file again"
    );
}

#[test]
fn progress_json_streams_events_and_ends_with_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = bin()
        .args(["run", "--progress-json", "-q", "--input"])
        .arg(fixture("mini.jsonl.zst"))
        .arg("--output")
        .arg(&out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let events: Vec<serde_json::Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap(),
                e["pass"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(kinds.contains(&("start", "main")), "{kinds:?}");
    assert!(kinds.contains(&("progress", "main")), "{kinds:?}");
    let done = events.last().unwrap();
    assert_eq!(done["event"], "done");
    assert_eq!(done["exit_code"], 0);
    let fin = events
        .iter()
        .rfind(|e| e["event"] == "finish" && e["pass"] == "main")
        .unwrap();
    let stats: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("stats.json")).unwrap()).unwrap();
    assert_eq!(fin["fraction"], 1.0);
    assert_eq!(fin["kept"], stats["docs_written"]);
    assert_eq!(fin["docs"], stats["docs_in"]);
    for key in [
        "docs_per_s",
        "mb_per_s",
        "eta_s",
        "slowest_stage",
        "dropped",
        "total_bytes",
    ] {
        assert!(fin.get(key).is_some(), "{key} missing in {fin}");
    }
}

#[test]
fn progress_json_reports_a_failed_run() {
    let dir = tempfile::tempdir().unwrap();
    let o = bin()
        .args(["run", "--progress-json", "-q", "--input"])
        .arg(dir.path().join("missing.jsonl"))
        .arg("--output")
        .arg(dir.path().join("out"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let stdout = String::from_utf8(o.stdout).unwrap();
    let last: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("{}")).unwrap_or_default();
    assert_eq!(last["event"], "done", "{stdout}");
    assert_eq!(last["exit_code"], 1);
    assert!(
        last["error"].as_str().unwrap().contains("missing.jsonl"),
        "{last}"
    );
}
