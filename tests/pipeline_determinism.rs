//! Determinism: the same input and config give byte-identical output for any thread count.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use corpusmill::pipeline::{run, NoProgress};

/// Every output file's bytes, with the timing block and the stages' CPU seconds removed from
/// stats.json (the only figures that vary between runs).
fn snapshot(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    for e in std::fs::read_dir(out).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let mut bytes = std::fs::read(&p).unwrap();
        if name == "stats.json" {
            let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            v.as_object_mut().unwrap().remove("timing");
            for st in v["stages"].as_object_mut().unwrap().values_mut() {
                assert!(st["seconds"].as_f64().unwrap() >= 0.0);
                st.as_object_mut().unwrap().remove("seconds");
            }
            bytes = serde_json::to_vec(&v).unwrap();
        }
        m.insert(name, bytes);
    }
    m
}

#[test]
fn output_is_byte_identical_for_1_2_and_8_threads() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample");
    let dir = tempfile::tempdir().unwrap();
    // Add a file with duplicates of sample articles and bad lines, so dedup decisions and error
    // ordering are exercised across batch boundaries.
    let mut extra = mini_lines();
    extra.insert(3, "not json".into());
    extra.extend(mini_lines().into_iter().rev());
    let extra_path = dir.path().join("extra.jsonl");
    std::fs::write(&extra_path, extra.join("\n")).unwrap();

    let mut snaps = Vec::new();
    for threads in [1, 2, 8] {
        // The same output folder each time: it is part of the config recorded in the manifest.
        let out = dir.path().join("out");
        let _ = std::fs::remove_dir_all(&out);
        let mut c = config(&[&sample, &extra_path], &out);
        c.pipeline.threads = threads;
        // Small batches: many batches in flight, finishing out of order.
        c.pipeline.batch_bytes = 8 << 10;
        c.output.shards = 7;
        let s = run(&c, &NoProgress).unwrap();
        assert!(
            s.stats.duplicates_total() >= 36 + 24,
            "{:?}",
            s.stats.duplicates
        );
        assert_eq!(s.stats.errors["invalid_json"], 1);
        snaps.push(snapshot(&out));
    }
    assert_eq!(
        snaps[0].keys().collect::<Vec<_>>(),
        snaps[1].keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &snaps[0] {
        assert!(
            snaps[1][name] == *bytes,
            "{name} differs between 1 and 2 threads"
        );
        assert!(
            snaps[2][name] == *bytes,
            "{name} differs between 1 and 8 threads"
        );
    }
}

#[test]
fn first_seen_wins_in_input_order() {
    let lines = mini_lines();
    let mut v: serde_json::Value = serde_json::from_str(&lines[5]).unwrap();
    v["id"] = "later-copy".into();
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.jsonl");
    std::fs::write(&a, lines.join("\n")).unwrap();
    std::fs::write(&b, v.to_string()).unwrap();
    for threads in [1, 4] {
        let out = dir.path().join(format!("o{threads}"));
        let mut c = config(&[&a, &b], &out);
        c.pipeline.threads = threads;
        run(&c, &NoProgress).unwrap();
        let dups = read_jsonl_zst(&out.join("duplicates.jsonl.zst"));
        let orig: serde_json::Value = serde_json::from_str(&lines[5]).unwrap();
        assert_eq!(dups.len(), 1);
        assert_eq!(dups[0]["id"], "later-copy");
        assert_eq!(dups[0]["duplicate_of"], orig["id"]);
        assert_eq!(dups[0]["kind"], "exact");
        assert_eq!(dups[0]["source"], format!("{}:1", b.display()));
        assert!(!records_by_id(&out).contains_key("later-copy"));
    }
}

#[test]
fn shard_of_a_document_does_not_depend_on_the_rest_of_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all");
    run(&config(&[&fixture("mini.jsonl")], &all), &NoProgress).unwrap();
    let part = dir.path().join("part.jsonl");
    std::fs::write(&part, mini_lines()[10..].join("\n")).unwrap();
    let some = dir.path().join("some");
    run(&config(&[&part], &some), &NoProgress).unwrap();
    let find = |out: &Path| -> BTreeMap<String, String> {
        shards(out)
            .into_iter()
            .flat_map(|(f, recs)| {
                recs.into_iter()
                    .map(move |r| (r["id"].as_str().unwrap().to_string(), f.clone()))
            })
            .collect()
    };
    let (a, b) = (find(&all), find(&some));
    assert!(!b.is_empty());
    for (id, shard) in &b {
        assert_eq!(&a[id], shard, "{id}");
    }
}
