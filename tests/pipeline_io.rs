//! Reading: codecs, directories, globs, multi-frame/multi-member streams and bad input.

mod common;

use std::path::Path;

use common::*;
use corpusmill::pipeline::{run, NoProgress};

#[test]
fn gzip_zstd_and_plain_give_the_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for name in ["mini.jsonl", "mini.jsonl.gz", "mini.jsonl.zst"] {
        let out = dir.path().join(name);
        let s = run(&config(&[&fixture(name)], &out), &NoProgress).unwrap();
        assert_eq!(s.stats.docs_in, 24, "{name}");
        assert!(!s.incomplete_inputs);
        outputs.push(records_by_id(&out));
    }
    assert!(
        outputs[0].len() >= 20,
        "most real articles survive cleaning: {}",
        outputs[0].len()
    );
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
}

#[test]
fn multi_frame_zstd_and_multi_member_gzip_are_read_whole() {
    let lines = mini_lines();
    let (a, b) = lines.split_at(10);
    let (a, b) = (a.join("\n") + "\n", b.join("\n") + "\n");
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("multi.zst");
    std::fs::write(&z, [zstd(a.as_bytes()), zstd(b.as_bytes())].concat()).unwrap();
    let g = dir.path().join("multi.gz");
    std::fs::write(&g, [gzip(a.as_bytes()), gzip(b.as_bytes())].concat()).unwrap();
    for p in [&z, &g] {
        let out = dir
            .path()
            .join(format!("out-{}", p.file_name().unwrap().to_string_lossy()));
        let s = run(&config(&[p], &out), &NoProgress).unwrap();
        assert_eq!(s.stats.lines_in, 24, "{}", p.display());
        assert!(!s.incomplete_inputs);
    }
}

#[test]
fn a_directory_of_mixed_files_is_read_recursively_in_path_order() {
    let lines = mini_lines();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(input.join("sub")).unwrap();
    // Named without telling extensions: the codec comes from the bytes.
    std::fs::write(input.join("a.data"), lines[..8].join("\n")).unwrap();
    std::fs::write(
        input.join("b.data"),
        gzip(lines[8..16].join("\n").as_bytes()),
    )
    .unwrap();
    std::fs::write(
        input.join("sub/c.data"),
        zstd(lines[16..].join("\n").as_bytes()),
    )
    .unwrap();
    std::fs::write(input.join(".hidden"), "not json").unwrap();
    let out = dir.path().join("out");
    let s = run(&config(&[&input], &out), &NoProgress).unwrap();
    assert_eq!(s.stats.docs_in, 24);
    assert_eq!(s.stats.errors_total(), 0);
    let files: Vec<_> = s
        .manifest
        .inputs
        .iter()
        .map(|i| Path::new(&i.path).file_name().unwrap().to_owned())
        .collect();
    assert_eq!(files, ["a.data", "b.data", "c.data"]);
    let codecs: Vec<_> = s.manifest.inputs.iter().map(|i| i.codec.unwrap()).collect();
    assert_eq!(codecs, ["plain", "gzip", "zstd"]);
    // Same documents as reading the single file.
    let single = dir.path().join("single");
    run(&config(&[&fixture("mini.jsonl")], &single), &NoProgress).unwrap();
    assert_eq!(records_by_id(&out), records_by_id(&single));
}

#[test]
fn globs_expand_sorted_and_an_unmatched_glob_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let pattern = format!("{}/mini.jsonl*", fixture("").display());
    let out = dir.path().join("out");
    let mut c = config(&[], &out);
    c.input.paths = vec![pattern];
    let s = run(&c, &NoProgress).unwrap();
    assert_eq!(s.manifest.inputs.len(), 3);
    // The same 24 articles three times: two thirds are exact duplicates.
    assert_eq!(
        s.stats.duplicates["exact"],
        s.stats.docs_in - s.stats.docs_in / 3 - s.stats.rejected_total() * 2
    );
    c.input.paths = vec![format!("{}/nothing-*.jsonl", fixture("").display())];
    let e = run(&c, &NoProgress).unwrap_err().to_string();
    assert!(e.contains("matched no files"), "{e}");
    c.input.paths = vec!["/no/such/file.jsonl".into()];
    let e = run(&c, &NoProgress).unwrap_err().to_string();
    assert!(e.contains("no such file"), "{e}");
}

/// Builds a file mixing good records with every kind of bad line; returns (bytes, good ids).
#[allow(clippy::vec_init_then_push)] // one pushed line per numbered input line reads best
fn dirty_input() -> (Vec<u8>, Vec<String>) {
    let lines = mini_lines();
    let mut out: Vec<Vec<u8>> = Vec::new();
    out.push(lines[0].clone().into_bytes()); // 1 good
    out.push(b"{\"id\": \"broken\", \"text\": \"unterminated".to_vec()); // 2 invalid json
    out.push(lines[1].clone().into_bytes()); // 3 good
    out.push(br#"{"id": "nt", "body": "no text field"}"#.to_vec()); // 4 missing text
    out.push(br#"{"id": "num", "text": 42}"#.to_vec()); // 5 text not a string
    out.push(Vec::new()); // 6 empty
    let mut bad = lines[2].clone().into_bytes(); // 7 invalid utf-8, repaired and kept
    let pos = bad.windows(4).position(|w| w == b"The ").unwrap();
    bad[pos] = 0xff;
    out.push(bad);
    out.push(format!(r#"{{"id": "huge", "text": "{}"}}"#, "x".repeat(5000)).into_bytes()); // 8 too long
    out.push(lines[3].clone().into_bytes()); // 9 good
    out.push(b"[1, 2, 3]".to_vec()); // 10 not an object
    out.push(lines[4].clone().into_bytes()); // 11 good
    let ids = [0, 1, 2, 3, 4]
        .iter()
        .map(|&i| {
            serde_json::from_str::<serde_json::Value>(&lines[i]).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    (out.join(&b"\n"[..]), ids)
}

#[test]
fn bad_input_is_reported_by_kind_and_line_and_good_records_are_kept() {
    let (bytes, ids) = dirty_input();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("dirty.jsonl");
    std::fs::write(&input, bytes).unwrap();
    let out = dir.path().join("out");
    let mut c = config(&[&input], &out);
    c.input.max_line_bytes = 4096;
    let s = run(&c, &NoProgress).unwrap();
    assert!(
        !s.incomplete_inputs,
        "bad records alone do not make a file incomplete"
    );
    let kept = records_by_id(&out);
    for id in &ids {
        assert!(kept.contains_key(id), "good record {id} lost");
    }
    let errors = read_jsonl(&out.join("errors.jsonl"));
    let got: Vec<(u64, String, String)> = errors
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["kind"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        (2, "invalid_json", "skipped"),
        (4, "missing_text", "skipped"),
        (5, "text_not_string", "skipped"),
        (6, "empty_line", "skipped"),
        (7, "invalid_utf8", "repaired"),
        (8, "line_too_long", "skipped"),
        (10, "invalid_json", "skipped"),
    ];
    let want: Vec<(u64, String, String)> = want
        .iter()
        .map(|(l, k, a)| (*l, k.to_string(), a.to_string()))
        .collect();
    assert_eq!(got, want);
    assert!(errors
        .iter()
        .all(|e| e["file"] == input.display().to_string()));
    assert_eq!(s.stats.errors["invalid_json"], 2);
    assert_eq!(s.stats.lines_in, 11);
    assert!(kept[&ids[2]]["text"].as_str().unwrap().contains('\u{fffd}'));
}

#[test]
fn a_truncated_zstd_file_keeps_the_records_before_the_cut() {
    // Enough data for several zstd blocks (a block is at most 128 KiB): records in blocks
    // before the cut are recoverable.
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample/bbc-sample.jsonl.zst");
    let text = zstd::decode_all(std::fs::File::open(sample).unwrap()).unwrap();
    let lines: Vec<String> = String::from_utf8(text)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let data = lines.join("\n") + "\n";
    let z = zstd(data.as_bytes());
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("cut.jsonl.zst");
    std::fs::write(&input, &z[..z.len() * 2 / 3]).unwrap();
    let out = dir.path().join("out");
    let s = run(&config(&[&input], &out), &NoProgress).unwrap();
    assert!(s.incomplete_inputs);
    assert!(!s.manifest.inputs[0].complete);
    let kept = s.stats.docs_in;
    assert!(
        kept > 100 && kept < lines.len() as u64,
        "records before the cut are kept: {kept}"
    );
    let errors = read_jsonl(&out.join("errors.jsonl"));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["kind"], "truncated_input");
    assert_eq!(errors[0]["line"].as_u64().unwrap(), kept + 1);
    // What was kept is exactly the first records of the file.
    let first: Vec<String> = lines[..kept as usize]
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let got = records_by_id(&out);
    assert!(got.keys().all(|id| first.contains(id)));
    assert_eq!(
        got.len() as u64 + s.stats.duplicates_total() + s.stats.rejected_total(),
        kept
    );
}

#[test]
fn a_corrupt_gzip_file_is_reported_and_others_still_processed() {
    let lines = mini_lines();
    let mut g = gzip((lines.join("\n") + "\n").as_bytes());
    let mid = g.len() / 2;
    for b in &mut g[mid..mid + 64] {
        *b ^= 0x5a;
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("a-bad.gz");
    std::fs::write(&bad, &g).unwrap();
    let out = dir.path().join("out");
    let s = run(
        &config(&[&bad, &fixture("mini.jsonl.zst")], &out),
        &NoProgress,
    )
    .unwrap();
    assert!(s.incomplete_inputs);
    assert!(!s.manifest.inputs[0].complete);
    assert!(s.manifest.inputs[1].complete);
    assert_eq!(
        s.stats.errors.get("truncated_input").copied().unwrap_or(0),
        1
    );
    assert!(s.stats.docs_in >= 24);
}

#[test]
fn empty_files_are_fine() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let empty_z = dir.path().join("empty.zst");
    std::fs::write(&empty_z, zstd(b"")).unwrap();
    let out = dir.path().join("out");
    let s = run(&config(&[&empty, &empty_z], &out), &NoProgress).unwrap();
    assert_eq!(s.stats.docs_in, 0);
    assert!(!s.incomplete_inputs);
    assert_eq!(s.manifest.shards.len(), 4);
    assert!(s.manifest.shards.iter().all(|sh| sh.records == 0));
}

#[test]
fn no_tmp_files_remain_after_success_and_strict_leaves_no_finished_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run(&config(&[&fixture("mini.jsonl.zst")], &out), &NoProgress).unwrap();
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    for f in [
        "manifest.json",
        "stats.json",
        "errors.jsonl",
        "rejected.jsonl.zst",
        "duplicates.jsonl.zst",
    ] {
        assert!(names.iter().any(|n| n == f), "{f} missing: {names:?}");
    }

    let (bytes, _) = dirty_input();
    let input = dir.path().join("dirty.jsonl");
    std::fs::write(&input, bytes).unwrap();
    let out = dir.path().join("strict");
    let mut c = config(&[&input], &out);
    c.pipeline.strict = true;
    let e = run(&c, &NoProgress).unwrap_err().to_string();
    assert!(e.contains("dirty.jsonl:2"), "{e}");
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with("part-") && n != "manifest.json"),
        "{names:?}"
    );
}

#[test]
fn records_without_id_get_a_stable_one_and_fields_pass_through() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("noid.jsonl");
    let lines = mini_lines();
    let mut v: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&lines[0]).unwrap();
    v.remove("id");
    v.insert(
        "extra".into(),
        serde_json::json!({"nested": [1, 2.5, null]}),
    );
    std::fs::write(
        &input,
        format!("\n{}\n", serde_json::to_string(&v).unwrap()),
    )
    .unwrap();
    let out = dir.path().join("out");
    run(&config(&[&input], &out), &NoProgress).unwrap();
    let recs = records_by_id(&out);
    let id = format!("{}:2", input.display());
    let r = &recs[&id];
    assert_eq!(r["extra"], serde_json::json!({"nested": [1, 2.5, null]}));
    assert_eq!(r["title"], v["title"]);
    assert_eq!(r["category"], v["category"]);
}
