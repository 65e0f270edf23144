//! Overnight runs: one run per output folder, reruns that never mix two runs' files, and
//! `--resume` after a crash or a signal that gives what an uninterrupted run gives.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::*;
use corpusmill::config::Config;
use corpusmill::pipeline::folder::Existing;
use corpusmill::pipeline::{run, NoProgress, Progress};
use corpusmill::Error;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_corpusmill"))
}

/// A JSONL input of `copies` rounds of the mini fixture: each round's texts get a marker every
/// few words (so rounds are distinct documents), and every fifth record is followed by an exact
/// copy of itself under another id (so dedup decisions matter).
fn big_input(dir: &Path, copies: usize) -> PathBuf {
    let mut out = String::new();
    for k in 0..copies {
        for (i, line) in mini_lines().iter().enumerate() {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            let text: Vec<String> = v["text"]
                .as_str()
                .unwrap()
                .split(' ')
                .enumerate()
                .map(|(j, w)| {
                    if j % 4 == 0 {
                        format!("{w} {}", marker(k, j))
                    } else {
                        w.to_string()
                    }
                })
                .collect();
            v["text"] = text.join(" ").into();
            v["id"] = format!("r{k}-{i}").into();
            out.push_str(&v.to_string());
            out.push('\n');
            if i % 5 == 0 {
                v["id"] = format!("r{k}-{i}-copy").into();
                out.push_str(&v.to_string());
                out.push('\n');
            }
        }
    }
    let p = dir.join("big.jsonl");
    std::fs::write(&p, out).unwrap();
    p
}

/// A word made of letters only (shingles ignore digits) that is unique to `(round, position)`.
fn marker(round: usize, pos: usize) -> String {
    let letters = |n: usize| -> String {
        n.to_string()
            .bytes()
            .map(|d| char::from(b'a' + (d - b'0')))
            .collect()
    };
    format!("q{}z{}", letters(round), letters(pos))
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

/// Decompressed shard contents, in shard order.
fn shard_bytes(out: &Path) -> Vec<Vec<u8>> {
    names(out)
        .iter()
        .filter(|n| n.starts_with("part-") && n.ends_with(".jsonl.zst"))
        .map(|n| zstd::decode_all(std::fs::File::open(out.join(n)).unwrap()).unwrap())
        .collect()
}

fn side_bytes(out: &Path, name: &str) -> Vec<u8> {
    let raw = std::fs::read(out.join(name)).unwrap();
    if name.ends_with(".zst") {
        zstd::decode_all(&raw[..]).unwrap()
    } else {
        raw
    }
}

#[test]
fn a_rerun_without_flags_refuses_and_overwrite_leaves_no_stale_shards() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let input = fixture("mini.jsonl.zst");
    let mut c = config(&[&input], &out);
    c.output.shards = 6;
    run(&c, &NoProgress).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();

    c.output.shards = 2;
    let e = run(&c, &NoProgress).unwrap_err().to_string();
    assert!(e.contains("--overwrite") && e.contains("--resume"), "{e}");
    assert!(
        out.join("part-00005.jsonl.zst").exists(),
        "refusing removes nothing"
    );

    c.pipeline.existing_output = Existing::Overwrite;
    let s = run(&c, &NoProgress).unwrap();
    let parts: Vec<String> = names(&out)
        .into_iter()
        .filter(|n| n.starts_with("part-"))
        .collect();
    assert_eq!(parts, ["part-00000.jsonl.zst", "part-00001.jsonl.zst"]);
    let rows: usize = shards(&out).values().map(Vec::len).sum();
    assert_eq!(rows as u64, s.stats.docs_written);
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert!(!out.join("checkpoint.json").exists());
}

#[test]
fn a_second_concurrent_run_fails_at_once_and_names_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let held = corpusmill::pipeline::folder::lock(&out).unwrap();
    let started = Instant::now();
    let o = bin()
        .args(["run", "--no-progress", "-q", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("in use") && err.contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
    drop(held);
    assert!(names(&out).iter().all(|n| !n.starts_with("part-")));
}

/// Stops the run (as a signal would) after `after` progress updates of the main pass.
struct StopAfter {
    updates: AtomicU64,
    after: u64,
    main: std::sync::atomic::AtomicBool,
}

impl Progress for StopAfter {
    fn start(&self, pass: &str, _: Option<u64>) {
        self.main.store(pass == "main", Ordering::SeqCst);
    }
    fn update(&self, _: &corpusmill::pipeline::Snapshot) {
        if self.main.load(Ordering::SeqCst) {
            self.updates.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn cancelled(&self) -> bool {
        self.updates.load(Ordering::SeqCst) >= self.after
    }
}

fn small_batches(c: &mut Config) {
    c.pipeline.batch_bytes = 64 << 10;
    c.pipeline.threads = 2;
}

#[test]
fn an_interrupted_run_resumes_to_the_same_records_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let input = big_input(dir.path(), 12);
    let reference = dir.path().join("ref");
    let mut c = config(&[&input], &reference);
    small_batches(&mut c);
    let full = run(&c, &NoProgress).unwrap();
    assert!(full.stats.duplicates_total() > 0);

    let out = dir.path().join("out");
    let mut c = config(&[&input], &out);
    small_batches(&mut c);
    let stop = StopAfter {
        updates: AtomicU64::new(0),
        after: 5,
        main: Default::default(),
    };
    match run(&c, &stop) {
        Err(Error::Interrupted(m)) => assert!(m.contains("--resume"), "{m}"),
        other => panic!("expected an interrupt, got {other:?}"),
    }
    assert!(out.join("checkpoint.json").exists());
    assert!(!out.join("manifest.json").exists());

    // A different config is refused, and the interrupted run's files stay.
    let mut other = c.clone();
    other.pipeline.existing_output = Existing::Resume;
    other.quality.enabled = false;
    let e = run(&other, &NoProgress).unwrap_err().to_string();
    assert!(e.contains("config [quality]"), "{e}");
    assert!(out.join("checkpoint.json").exists());

    // Resume with another thread count: the same records, decisions and counts.
    c.pipeline.existing_output = Existing::Resume;
    c.pipeline.threads = 1;
    let resumed = run(&c, &NoProgress).unwrap();
    assert_eq!(shard_bytes(&out), shard_bytes(&reference));
    for f in ["rejected.jsonl.zst", "duplicates.jsonl.zst", "errors.jsonl"] {
        assert_eq!(side_bytes(&out, f), side_bytes(&reference, f), "{f}");
    }
    let (mut a, mut b) = (resumed.stats, full.stats);
    a.timing = Default::default();
    b.timing = Default::default();
    for s in [&mut a, &mut b] {
        for (_, st) in s.stages.0.iter_mut() {
            st.seconds = 0.0;
        }
    }
    assert_eq!(a, b);
    assert!(
        names(&out).iter().all(|n| !n.ends_with(".tmp")),
        "{:?}",
        names(&out)
    );
    assert!(!out.join("checkpoint.json").exists());
}

#[test]
fn kill_9_then_resume_gives_the_bytes_of_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = big_input(dir.path(), 150);
    let conf = dir.path().join("c.toml");
    std::fs::write(
        &conf,
        "[output]\ncheckpoint_mb = 1\n[entities]\nenabled = false\n[pipeline]\nbatch_bytes = 65536\n",
    )
    .unwrap();
    let args = |out: &Path| {
        let mut cmd = bin();
        cmd.args(["run", "--no-progress", "-q", "-t", "1", "-c"])
            .arg(&conf)
            .arg("-i")
            .arg(&input)
            .arg("-o")
            .arg(out);
        cmd
    };
    let reference = dir.path().join("ref");
    assert!(args(&reference).status().unwrap().success());

    let out = dir.path().join("out");
    let mut child = args(&out).spawn().unwrap();
    // Kill once a checkpoint past the start exists, while the run is still going.
    let started = Instant::now();
    loop {
        let cp = std::fs::read(out.join("checkpoint.json")).unwrap_or_default();
        let past_start = serde_json::from_slice::<serde_json::Value>(&cp)
            .map(|v| v["written"]["next_entry"].as_u64().unwrap_or(0) > 0)
            .unwrap_or(false);
        if past_start || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !out.join("manifest.json").exists(),
        "the run finished before it could be killed: make the input bigger"
    );

    let o = args(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "rerun without --resume refuses");
    assert!(String::from_utf8_lossy(&o.stderr).contains("--resume"));

    let o = args(&out).arg("--resume").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for n in names(&reference) {
        if n.ends_with(".jsonl.zst") || n == "errors.jsonl" {
            assert_eq!(
                std::fs::read(out.join(&n)).unwrap(),
                std::fs::read(reference.join(&n)).unwrap(),
                "{n}"
            );
        }
    }
    assert!(names(&out).iter().all(|n| !n.ends_with(".tmp")));
}

#[test]
fn a_strict_stop_removes_its_files() {
    // --strict stops on a bad line: nothing to resume, so nothing of the run stays.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.jsonl");
    std::fs::write(&input, format!("{}\nnot json\n", mini_lines()[0])).unwrap();
    let out = dir.path().join("out");
    let mut c = config(&[&input], &out);
    c.pipeline.strict = true;
    assert!(matches!(run(&c, &NoProgress), Err(Error::Strict(_))));
    assert!(
        names(&out).iter().all(|n| n == ".corpusmill.lock"),
        "{:?}",
        names(&out)
    );
}

#[test]
fn hostile_inputs_are_bounded_and_explained() {
    let dir = tempfile::tempdir().unwrap();
    // A byte order mark before the first record does not lose it (regression: it was
    // reported as invalid JSON).
    let bom = dir.path().join("bom.jsonl");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(mini_lines()[0].as_bytes());
    std::fs::write(&bom, bytes).unwrap();
    let s = run(&config(&[&bom], &dir.path().join("o1")), &NoProgress).unwrap();
    assert_eq!((s.stats.docs_in, s.stats.errors_total()), (1, 0));

    // 100,000 empty lines: errors.jsonl lists the first 1000 and one summary line.
    let empty = dir.path().join("empty.jsonl.zst");
    std::fs::write(&empty, zstd(&vec![b'\n'; 100_000])).unwrap();
    let out = dir.path().join("o2");
    let s = run(&config(&[&empty], &out), &NoProgress).unwrap();
    assert_eq!(s.stats.errors["empty_line"], 100_000);
    let lines = read_jsonl(&out.join("errors.jsonl"));
    assert_eq!(lines.len(), 1001);
    assert_eq!(lines[1000]["omitted"], 99_000);
    assert!(!out.join("errors.jsonl.zst").exists());

    // A large error report is compressed: thousands of bad records of four kinds from a file
    // with a long path make more than 1 MiB of report lines.
    let deep = dir.path().join("d".repeat(200)).join("e".repeat(200));
    std::fs::create_dir_all(&deep).unwrap();
    let bad = deep.join(format!("{}.jsonl", "f".repeat(200)));
    let mut text = String::new();
    for i in 0..1500 {
        text.push_str(&format!(
            "not json {i}\n\n{{\"id\": \"{i}\"}}\n{{\"id\": \"t{i}\", \"text\": 5}}\n"
        ));
    }
    text.push_str(&mini_lines()[0]);
    std::fs::write(&bad, text).unwrap();
    let out = dir.path().join("o2z");
    let s = run(&config(&[&bad], &out), &NoProgress).unwrap();
    assert_eq!(s.stats.errors.len(), 4, "{:?}", s.stats.errors);
    assert!(!out.join("errors.jsonl").exists());
    let lines = read_jsonl_zst(&out.join("errors.jsonl.zst"));
    assert_eq!(lines.len(), 4 * 1001);
    let side: Vec<&str> = s
        .manifest
        .side_outputs
        .iter()
        .map(|f| f.file.as_str())
        .collect();
    assert!(side.contains(&"errors.jsonl.zst"), "{side:?}");

    // A directory loop is not followed: each file is read once, and the loop is reported.
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("a")).unwrap();
    std::fs::copy(fixture("mini.jsonl"), tree.join("a/x.jsonl")).unwrap();
    std::os::unix::fs::symlink("..", tree.join("a/up")).unwrap();
    let mut c = config(&[&tree], &dir.path().join("o3"));
    c.pipeline.threads = 10_000;
    let s = run(&c, &NoProgress).unwrap();
    assert_eq!(s.manifest.inputs.len(), 1);
    assert_eq!(s.stats.docs_in, mini_lines().len() as u64);
    assert!(
        s.warnings.iter().any(|w| w.contains("loop")),
        "{:?}",
        s.warnings
    );
    assert!(
        s.warnings.iter().any(|w| w.contains("threads")),
        "{:?}",
        s.warnings
    );
}

#[test]
fn a_run_that_reads_no_document_exits_1_and_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("body.jsonl");
    std::fs::write(
        &input,
        "{\"id\":\"a\",\"body\":\"x\"}\n{\"id\":\"b\",\"body\":\"y\"}\n",
    )
    .unwrap();
    let o = bin()
        .args(["run", "--no-progress", "-q", "-i"])
        .arg(&input)
        .arg("-o")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("missing_text") && e.contains("input.text_key"),
        "{e}"
    );
}
