//! `output.format = "parquet"`: fixed schemas (also for empty files), the same records as a
//! JSONL run, identical bytes for any thread count, the manifest, and `--resume`.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow_array::{
    Array, Float64Array, Int64Array, ListArray, RecordBatch, StringArray, StructArray,
};
use arrow_schema::DataType;
use common::*;
use corpusmill::config::{Config, OutputFormat};
use corpusmill::pipeline::folder::Existing;
use corpusmill::pipeline::{run, NoProgress, Progress};
use corpusmill::Error;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn read_parquet(p: &Path) -> (arrow_schema::SchemaRef, Vec<RecordBatch>) {
    let f = std::fs::File::open(p).unwrap();
    let b = ParquetRecordBatchReaderBuilder::try_new(f).unwrap();
    let schema = b.schema().clone();
    let batches = b.build().unwrap().map(Result::unwrap).collect();
    (schema, batches)
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

fn str_col<'a>(b: &'a RecordBatch, name: &str) -> &'a StringArray {
    b.column_by_name(name)
        .unwrap()
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap()
}

fn opt(a: &StringArray, i: usize) -> Value {
    if a.is_null(i) {
        Value::Null
    } else {
        a.value(i).into()
    }
}

/// Every shard row as the JSON record a JSONL run writes for it, rebuilt from the columns.
fn rows_as_records(out: &Path) -> Vec<(String, Value)> {
    let mut rows = Vec::new();
    for n in names(out)
        .iter()
        .filter(|n| n.ends_with(".parquet") && n.starts_with("part-"))
    {
        for b in read_parquet(&out.join(n)).1 {
            let ents = b
                .column_by_name("entities")
                .unwrap()
                .as_any()
                .downcast_ref::<ListArray>()
                .unwrap();
            let score = b
                .column_by_name("lang_score")
                .unwrap()
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap();
            for i in 0..b.num_rows() {
                let mut rec: serde_json::Map<String, Value> =
                    serde_json::from_str(str_col(&b, "metadata").value(i)).unwrap();
                for c in ["id", "text", "url", "title", "date", "source", "lang"] {
                    let v = opt(str_col(&b, c), i);
                    if !v.is_null() || c == "lang" {
                        rec.insert(c.into(), v);
                    }
                }
                let sc = if score.is_null(i) {
                    Value::Null
                } else {
                    score.value(i).into()
                };
                rec.insert("lang_score".into(), sc);
                let list = ents.value(i);
                let s = list.as_any().downcast_ref::<StructArray>().unwrap();
                let text = s.column(0).as_any().downcast_ref::<StringArray>().unwrap();
                let label = s.column(1).as_any().downcast_ref::<StringArray>().unwrap();
                let start = s.column(2).as_any().downcast_ref::<Int64Array>().unwrap();
                let end = s.column(3).as_any().downcast_ref::<Int64Array>().unwrap();
                let e: Vec<Value> = (0..s.len())
                    .map(|k| {
                        serde_json::json!({"text": text.value(k), "label": label.value(k),
                            "start": start.value(k), "end": end.value(k)})
                    })
                    .collect();
                rec.insert("entities".into(), e.into());
                rows.push((n.clone(), Value::Object(rec)));
            }
        }
    }
    rows
}

fn parquet_config(input: &Path, out: &Path) -> Config {
    let mut c = config(&[input], out);
    c.output.format = OutputFormat::Parquet;
    c
}

#[test]
fn parquet_holds_the_records_of_a_jsonl_run_with_a_fixed_schema() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("bbc-1000.jsonl.zst");
    let jsonl = dir.path().join("jsonl");
    let pq = dir.path().join("pq");
    let a = run(&config(&[&input], &jsonl), &NoProgress).unwrap();
    let b = run(&parquet_config(&input, &pq), &NoProgress).unwrap();
    assert_eq!(a.stats.docs_written, b.stats.docs_written);
    assert!(a.stats.duplicates_total() > 0 && a.stats.rejected_total() > 0);

    // Same records (the column values rebuild each JSONL record), same shard for each id.
    let mut want: Vec<(String, Value)> = shards(&jsonl)
        .into_iter()
        .flat_map(|(n, recs)| {
            let n = n.replace(".jsonl.zst", ".parquet");
            recs.into_iter().map(move |r| (n.clone(), r))
        })
        .collect();
    let mut got = rows_as_records(&pq);
    let key = |(n, r): &(String, Value)| (n.clone(), r["id"].as_str().unwrap().to_string());
    want.sort_by_key(key);
    got.sort_by_key(key);
    assert_eq!(got.len() as u64, b.stats.docs_written);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.0, w.0);
        let (g, w) = (g.1.as_object().unwrap(), w.1.as_object().unwrap());
        assert_eq!(g.len(), w.len(), "{g:?}");
        for (k, v) in w {
            assert_eq!(&g[k], v, "{k}");
        }
    }

    // The schema, column by column.
    let (schema, _) = read_parquet(&pq.join("part-00000.parquet"));
    let cols: Vec<(String, String, bool)> = schema
        .fields()
        .iter()
        .map(|f| {
            (
                f.name().clone(),
                format!("{}", f.data_type()),
                f.is_nullable(),
            )
        })
        .collect();
    let names_types: Vec<(&str, bool)> = cols
        .iter()
        .map(|(n, _, null)| (n.as_str(), *null))
        .collect();
    assert_eq!(
        names_types,
        [
            ("id", false),
            ("text", false),
            ("url", true),
            ("title", true),
            ("date", true),
            ("source", true),
            ("lang", true),
            ("lang_score", true),
            ("entities", true),
            ("metadata", false)
        ]
    );
    let DataType::List(item) = schema.field_with_name("entities").unwrap().data_type() else {
        panic!("entities is not a list")
    };
    let DataType::Struct(fields) = item.data_type() else {
        panic!("entities items are not structs")
    };
    let inner: Vec<(String, DataType)> = fields
        .iter()
        .map(|f| (f.name().clone(), f.data_type().clone()))
        .collect();
    assert_eq!(
        inner,
        [
            ("text".into(), DataType::Utf8),
            ("label".into(), DataType::Utf8),
            ("start".into(), DataType::Int64),
            ("end".into(), DataType::Int64)
        ]
    );

    // Side outputs: as many rows as the JSONL files, similarity always float64.
    for (file, jsonl_file) in [
        ("rejected.parquet", "rejected.jsonl.zst"),
        ("duplicates.parquet", "duplicates.jsonl.zst"),
    ] {
        let (schema, batches) = read_parquet(&pq.join(file));
        let n: usize = batches.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(n, read_jsonl_zst(&jsonl.join(jsonl_file)).len(), "{file}");
        if file == "duplicates.parquet" {
            let f = schema.field_with_name("similarity").unwrap();
            assert_eq!(f.data_type(), &DataType::Float64);
        }
    }

    // The manifest lists the Parquet files with their hashes; no spool is left.
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(pq.join("manifest.json")).unwrap()).unwrap();
    let listed: Vec<&Value> = m["shards"]
        .as_array()
        .unwrap()
        .iter()
        .chain(m["side_outputs"].as_array().unwrap())
        .collect();
    for f in listed {
        let name = f["file"].as_str().unwrap();
        let bytes = std::fs::read(pq.join(name)).unwrap();
        assert_eq!(
            f["sha256"],
            format!("{:x}", Sha256::digest(&bytes)),
            "{name}"
        );
        assert_eq!(f["bytes"], bytes.len() as u64);
    }
    assert_eq!(m["shards"][0]["file"], "part-00000.parquet");
    assert!(
        names(&pq)
            .iter()
            .all(|n| !n.ends_with(".tmp") && !n.ends_with(".zst")),
        "{:?}",
        names(&pq)
    );
}

#[test]
fn empty_parquet_files_carry_their_schema() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("one.jsonl");
    std::fs::write(&input, format!("{}\n", mini_lines()[0])).unwrap();
    let out = dir.path().join("out");
    let mut c = parquet_config(&input, &out);
    c.output.shards = 3;
    c.entities.enabled = false;
    let s = run(&c, &NoProgress).unwrap();
    assert_eq!(s.stats.docs_written, 1);
    let mut rows = 0;
    for n in [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ] {
        let (schema, batches) = read_parquet(&out.join(n));
        assert_eq!(schema.fields().len(), 10, "{n}");
        rows += batches.iter().map(RecordBatch::num_rows).sum::<usize>();
    }
    assert_eq!(rows, 1);
    for (file, cols) in [("rejected.parquet", 7), ("duplicates.parquet", 5)] {
        let (schema, batches) = read_parquet(&out.join(file));
        assert_eq!(schema.fields().len(), cols, "{file}");
        assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 0);
    }
    // The entity stage is off: the column is there, null.
    let (_, batches) = read_parquet(
        &out.join(
            &s.manifest
                .shards
                .iter()
                .find(|f| f.records == 1)
                .unwrap()
                .file,
        ),
    );
    assert!(batches[0].column_by_name("entities").unwrap().is_null(0));
}

#[test]
fn parquet_bytes_do_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("bbc-1000.jsonl.zst");
    let mut files = Vec::new();
    for threads in [1, 3] {
        let out = dir.path().join(format!("t{threads}"));
        let mut c = parquet_config(&input, &out);
        c.pipeline.threads = threads;
        c.pipeline.batch_bytes = 64 << 10;
        run(&c, &NoProgress).unwrap();
        let v: Vec<(String, Vec<u8>)> = names(&out)
            .into_iter()
            .filter(|n| n.ends_with(".parquet"))
            .map(|n| (n.clone(), std::fs::read(out.join(&n)).unwrap()))
            .collect();
        files.push(v);
    }
    assert_eq!(files[0].len(), 6);
    assert_eq!(files[0], files[1]);
}

/// Stops the run (as a signal would) after `after` progress updates of the main pass.
struct StopAfter {
    updates: AtomicU64,
    after: u64,
}

impl Progress for StopAfter {
    fn update(&self, _: &corpusmill::pipeline::Snapshot) {
        self.updates.fetch_add(1, Ordering::SeqCst);
    }
    fn cancelled(&self) -> bool {
        self.updates.load(Ordering::SeqCst) >= self.after
    }
}

#[test]
fn an_interrupted_parquet_run_resumes_to_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("bbc-1000.jsonl.zst");
    let reference = dir.path().join("ref");
    let small = |c: &mut Config| {
        c.pipeline.batch_bytes = 64 << 10;
        c.repeated_lines.enabled = false;
        c.output.checkpoint_mb = 1;
    };
    let mut c = parquet_config(&input, &reference);
    small(&mut c);
    run(&c, &NoProgress).unwrap();

    let out = dir.path().join("out");
    let mut c = parquet_config(&input, &out);
    small(&mut c);
    let stop = StopAfter {
        updates: AtomicU64::new(0),
        after: 4,
    };
    assert!(matches!(run(&c, &stop), Err(Error::Interrupted(_))));
    assert!(!out.join("manifest.json").exists());
    assert!(names(&out).iter().all(|n| !n.ends_with(".parquet")));
    // A Parquet file left by a run that stopped while converting is replaced on resume.
    std::fs::write(out.join("part-00001.parquet"), b"partial").unwrap();

    c.pipeline.existing_output = Existing::Resume;
    c.pipeline.threads = 1;
    run(&c, &NoProgress).unwrap();
    let parquet = |d: &Path| -> Vec<(String, Vec<u8>)> {
        names(d)
            .into_iter()
            .filter(|n| n.ends_with(".parquet"))
            .map(|n| (n.clone(), std::fs::read(d.join(&n)).unwrap()))
            .collect()
    };
    assert_eq!(parquet(&out), parquet(&reference));
    assert!(
        names(&out).iter().all(|n| !n.ends_with(".tmp")),
        "{:?}",
        names(&out)
    );
}
