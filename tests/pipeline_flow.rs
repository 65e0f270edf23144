//! The flow around the duplicate decision: duplicates and rejected documents never reach the
//! stages after it, and `stats.json` accounts for every document stage by stage.

mod common;

use std::path::Path;

use common::*;
use corpusmill::dedup::near::NearMode;
use corpusmill::pipeline::registry::STAGES;
use corpusmill::pipeline::{run, NoProgress};

/// The bundled sample plus a second copy of every mini-fixture article and one edited copy.
fn duplicate_heavy_input(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut lines = mini_lines();
    lines.extend(mini_lines());
    let near: Vec<String> = mini_lines()
        .iter()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            let id = format!("{}-edited", v["id"].as_str().unwrap());
            let text = v["text"].as_str().unwrap().replacen(" the ", " a ", 1);
            v["id"] = id.into();
            v["text"] = text.into();
            v.to_string()
        })
        .collect();
    lines.extend(near);
    let p = dir.join("dups.jsonl");
    std::fs::write(&p, lines.join("\n")).unwrap();
    vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample"), p]
}

#[test]
fn only_kept_documents_reach_the_entity_stage() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = duplicate_heavy_input(dir.path());
    let out = dir.path().join("out");
    let refs: Vec<&Path> = inputs.iter().map(|p| p.as_path()).collect();
    let s = run(&config(&refs, &out), &NoProgress).unwrap().stats;
    assert!(s.duplicates_total() > 60, "{:?}", s.duplicates);
    let ent = s.stages.get("entities").unwrap();
    assert_eq!(ent.docs_in, s.docs_written);
    assert_eq!(s.counters["entities"]["docs"], s.docs_written);

    // stats.json has the same figures, keyed by stage name in pipeline order.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("stats.json")).unwrap()).unwrap();
    let stages = json["stages"].as_object().unwrap();
    let names: Vec<&str> = stages.keys().map(String::as_str).collect();
    let registry: Vec<&str> = STAGES.iter().map(|d| d.name).collect();
    assert_eq!(names, registry);
    assert_eq!(stages["entities"]["docs_in"], s.docs_written);
    assert_eq!(
        stages["exact_dedup"]["docs_dropped"], s.duplicates["exact"],
        "{stages:?}"
    );
    for (name, st) in stages {
        assert!(st["seconds"].as_f64().unwrap() >= 0.0, "{name}");
    }
}

#[test]
fn every_document_is_accounted_for_stage_by_stage() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = duplicate_heavy_input(dir.path());
    let refs: Vec<&Path> = inputs.iter().map(|p| p.as_path()).collect();
    let s = run(&config(&refs, &dir.path().join("out")), &NoProgress)
        .unwrap()
        .stats;
    let mut alive = s.docs_in;
    for (name, st) in &s.stages.0 {
        // Worker halves of dedup stages are not counted twice: each stage sees what the
        // stages before it kept.
        assert_eq!(st.docs_in, alive, "{name}");
        alive -= st.docs_dropped;
    }
    assert_eq!(alive, s.docs_written);
    assert_eq!(
        s.docs_in,
        s.docs_written + s.rejected_total() + s.duplicates_total()
    );
}

#[test]
fn disabled_stages_are_absent_from_the_figures() {
    let dir = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample");
    let mut c = config(&[&sample], &dir.path().join("out"));
    corpusmill::pipeline::disable_stage(&mut c, "entities").unwrap();
    corpusmill::pipeline::disable_stage(&mut c, "repeated_lines").unwrap();
    let s = run(&c, &NoProgress).unwrap().stats;
    assert!(s.stages.get("entities").is_none());
    assert!(s.stages.get("repeated_lines").is_none());
    assert_eq!(s.stages.get("normalize").unwrap().docs_in, s.docs_in);
}

#[test]
fn annotate_mode_adds_the_cluster_as_the_last_field() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = duplicate_heavy_input(dir.path());
    let out = dir.path().join("out");
    let refs: Vec<&Path> = inputs.iter().map(|p| p.as_path()).collect();
    let mut c = config(&refs, &out);
    c.near_dedup.mode = NearMode::Annotate;
    let s = run(&c, &NoProgress).unwrap().stats;
    assert_eq!(s.duplicates.get("near"), None);
    let recs = records_by_id(&out);
    let edited: Vec<_> = recs
        .iter()
        .filter(|(id, _)| id.ends_with("-edited"))
        .collect();
    assert!(!edited.is_empty());
    for (id, r) in edited {
        let original = id.trim_end_matches("-edited");
        assert_eq!(r["cluster"], original, "{id}");
        let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
        assert_eq!(keys.last().unwrap().as_str(), "cluster", "{id}");
    }
}

/// Records every progress snapshot of the main pass.
#[derive(Default)]
struct Recorder {
    pass: std::sync::Mutex<String>,
    main: std::sync::Mutex<Vec<corpusmill::pipeline::Snapshot>>,
    total: std::sync::Mutex<Option<u64>>,
}

impl corpusmill::pipeline::Progress for Recorder {
    fn start(&self, pass: &str, total: Option<u64>) {
        *self.pass.lock().unwrap() = pass.to_string();
        if pass == "main" {
            *self.total.lock().unwrap() = total;
        }
    }
    fn update(&self, now: &corpusmill::pipeline::Snapshot) {
        if *self.pass.lock().unwrap() == "main" {
            self.main.lock().unwrap().push(now.clone());
        }
    }
}

// Pins the progress bar that followed the readers (99.8% with "ETA 0s" for most of a run): the
// position counts input bytes of documents already decided and written or dropped.
#[test]
fn progress_counts_processed_work() {
    let dir = tempfile::tempdir().unwrap();
    // Plain JSONL, so the on-disk position advances line by line (a small compressed file is
    // consumed in one read by the decoder).
    let mut inputs = duplicate_heavy_input(dir.path());
    let sample = std::fs::read(inputs[0].join("bbc-sample.jsonl.zst")).unwrap();
    inputs[0] = dir.path().join("sample.jsonl");
    std::fs::write(&inputs[0], zstd::decode_all(&sample[..]).unwrap()).unwrap();
    let inputs: Vec<&Path> = inputs.iter().map(|p| p.as_path()).collect();
    let mut c = config(&inputs, &dir.path().join("out"));
    c.pipeline.batch_bytes = 32 << 10;
    let rec = Recorder::default();
    let summary = run(&c, &rec).unwrap();
    let snaps = rec.main.lock().unwrap().clone();
    assert!(snaps.len() >= 10, "{} updates", snaps.len());
    for w in snaps.windows(2) {
        assert!(w[0].raw_bytes <= w[1].raw_bytes && w[0].docs <= w[1].docs);
        assert!(w[0].kept <= w[1].kept);
    }
    for s in &snaps {
        assert_eq!(s.kept + s.dropped, s.docs);
    }
    // Updates come batch by batch: the position grows in steps, not in one jump at the end.
    let total = rec.total.lock().unwrap().unwrap();
    let halfway = snaps.iter().filter(|s| s.raw_bytes < total / 2).count();
    assert!(
        halfway >= 3,
        "{halfway} updates before half of {total} bytes"
    );
    let last = snaps.last().unwrap();
    assert_eq!(last.raw_bytes, total);
    assert_eq!(last.docs, summary.stats.docs_in);
    assert_eq!(last.kept, summary.stats.docs_written);
    let dups: u64 = summary.stats.duplicates.values().sum();
    assert!(dups > 0 && last.dropped >= dups);
    assert!(last.slowest.is_some());
}
