//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use corpusmill::config::Config;

/// Path of a fixture under tests/data.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Lines of the plain mini fixture (24 real BBC articles).
pub fn mini_lines() -> Vec<String> {
    std::fs::read_to_string(fixture("mini.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// A config reading `inputs` into `out`, with the default stages.
pub fn config(inputs: &[&Path], out: &Path) -> Config {
    let mut c = Config::default();
    c.input.paths = inputs.iter().map(|p| p.display().to_string()).collect();
    c.output.dir = out.to_path_buf();
    c.pipeline.threads = 2;
    c
}

/// All records of all shards of an output folder, decompressed, keyed by shard file name.
pub fn shards(out: &Path) -> BTreeMap<String, Vec<serde_json::Value>> {
    let mut m = BTreeMap::new();
    for e in std::fs::read_dir(out).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("part-") && name.ends_with(".jsonl.zst") {
            m.insert(name, read_jsonl_zst(&p));
        }
    }
    m
}

/// All shard records, sorted by id.
pub fn records_by_id(out: &Path) -> BTreeMap<String, serde_json::Value> {
    shards(out)
        .into_values()
        .flatten()
        .map(|r| (r["id"].as_str().unwrap().to_string(), r))
        .collect()
}

/// Reads a .jsonl.zst file.
pub fn read_jsonl_zst(p: &Path) -> Vec<serde_json::Value> {
    let bytes = zstd::decode_all(std::fs::File::open(p).unwrap()).unwrap();
    parse_jsonl(&bytes)
}

/// Reads a plain .jsonl file.
pub fn read_jsonl(p: &Path) -> Vec<serde_json::Value> {
    parse_jsonl(&std::fs::read(p).unwrap())
}

fn parse_jsonl(bytes: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Writes `data` gzip-compressed.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    g.write_all(data).unwrap();
    g.finish().unwrap()
}

/// Writes `data` zstd-compressed.
pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}
