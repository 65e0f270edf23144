//! Tests of the generator on real BBC seed articles (the committed fixture
//! `tests/data/bbc-1000.jsonl.zst`: 1,000 records, 970 distinct texts, 2.1 MB of JSONL).

use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::*;

fn bbc() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bbc-1000.jsonl.zst")
}

fn config(bbc: PathBuf, bytes: u64) -> GenConfig {
    GenConfig {
        inputs: vec![bbc],
        target_bytes: bytes,
        shards: 3,
        seed: 7,
        ..Default::default()
    }
}

fn read_records(report: &GenReport) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let mut out = Vec::new();
    for s in &report.shards {
        let dec = zstd::stream::read::Decoder::new(std::fs::File::open(s).unwrap()).unwrap();
        for line in std::io::BufReader::new(dec).lines() {
            out.push(serde_json::from_str(&line.unwrap()).unwrap());
        }
    }
    out
}

fn words(s: &str) -> HashSet<&str> {
    s.split_whitespace().collect()
}

/// The text without any site's header and footer lines.
fn body(text: &str) -> String {
    text.lines()
        .filter(|l| {
            !SITES
                .iter()
                .any(|s| s.header.contains(l) || s.footer.contains(l))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn jaccard(a: &str, b: &str) -> f64 {
    let (a, b) = (words(a), words(b));
    a.intersection(&b).count() as f64 / a.union(&b).count().max(1) as f64
}

#[test]
fn same_seed_gives_identical_bytes_and_other_seed_differs() {
    let bbc = bbc();
    let dir = tempfile::tempdir().unwrap();
    let c = config(bbc, 1_500_000);
    let a = generate(&c, &dir.path().join("a")).unwrap();
    let b = generate(&c, &dir.path().join("b")).unwrap();
    let other = generate(
        &GenConfig {
            seed: 8,
            ..c.clone()
        },
        &dir.path().join("c"),
    )
    .unwrap();
    assert_eq!(a.shards.len(), 3);
    for (x, y) in a.shards.iter().zip(&b.shards) {
        assert_eq!(std::fs::read(x).unwrap(), std::fs::read(y).unwrap());
    }
    assert_eq!(
        std::fs::read(&a.truth).unwrap(),
        std::fs::read(&b.truth).unwrap()
    );
    assert_ne!(
        std::fs::read(&a.shards[0]).unwrap(),
        std::fs::read(&other.shards[0]).unwrap()
    );
    // Writing into a folder that already holds shards is refused.
    assert!(generate(&c, &dir.path().join("a")).is_err());
}

#[test]
fn planted_duplicates_match_the_truth_file() {
    let bbc = bbc();
    let dir = tempfile::tempdir().unwrap();
    // Larger than the seed set (2.1 MB), so synthetic originals appear too.
    let report = generate(&config(bbc, 9_000_000), dir.path()).unwrap();
    let recs = read_records(&report);
    assert_eq!(recs.len() as u64, report.docs);
    assert!(
        report.bytes >= 9_000_000 && report.bytes < 9_100_000,
        "{}",
        report.bytes
    );
    // Every distinct seed article once, then synthetic ones.
    assert!(
        report.synthetic_originals > 100 && report.originals == 970,
        "{report:?}"
    );
    let text: HashMap<&str, &str> = recs
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r["text"].as_str().unwrap()))
        .collect();
    let pos: HashMap<&str, usize> = recs
        .iter()
        .enumerate()
        .map(|(i, r)| (r["id"].as_str().unwrap(), i))
        .collect();
    let hosts: HashSet<&str> = recs
        .iter()
        .map(|r| r["url"].as_str().unwrap().split('/').nth(2).unwrap())
        .collect();
    assert_eq!(hosts.len(), SITES.len());

    let truth = std::fs::read_to_string(&report.truth).unwrap();
    let mut kinds: HashMap<String, u64> = HashMap::new();
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    for line in truth.lines() {
        let t: serde_json::Value = serde_json::from_str(line).unwrap();
        let (id, of) = (t["id"].as_str().unwrap(), t["of"].as_str().unwrap());
        let kind = t["kind"].as_str().unwrap();
        *kinds.entry(kind.to_owned()).or_default() += 1;
        // Originals come before their copies in shard order.
        assert!(pos[of] < pos[id], "{line}");
        let (copy, orig) = (text[id], text[of]);
        let frac = t["changed_words_frac"].as_f64().unwrap();
        match kind {
            "exact" => assert_eq!(squash(copy), squash(orig), "{line}"),
            "near" => {
                assert!(frac > 0.0 && frac < 0.5, "{line}");
                assert_ne!(copy, orig);
                // Bodies only: a near copy is published on a freshly drawn site, so on a short
                // article the site boilerplate alone can pull the whole-text overlap under 0.6
                // (two such copies in this corpus, none with the full 2,225-article set).
                let (c, o) = (body(copy), body(orig));
                assert!(jaccard(&c, &o) > 0.6, "{line}: {}", jaccard(&c, &o));
            }
            "wrapped" => {
                // The body is there verbatim; only whole boilerplate lines were added.
                let extra: Vec<&str> = copy
                    .lines()
                    .filter(|l| !l.is_empty() && !orig.contains(l))
                    .collect();
                assert!(!extra.is_empty(), "{line}");
                assert!(
                    extra.iter().all(|l| SITES
                        .iter()
                        .any(|s| s.header.contains(l) || s.footer.contains(l))),
                    "{extra:?}"
                );
            }
            "mix" => {
                let and = text[t["and"].as_str().unwrap()];
                let first = copy.lines().find(|l| !l.is_empty()).unwrap();
                let last = copy.lines().last().unwrap();
                assert!(orig.contains(first) || SITES.iter().any(|s| s.header.contains(&first)));
                assert!(and.contains(last) || SITES.iter().any(|s| s.footer.contains(&last)));
                assert!(frac > 0.0 && frac < 1.0, "{line}");
            }
            k => panic!("unknown kind {k}"),
        }
    }
    assert_eq!(kinds["exact"], report.exact);
    assert_eq!(kinds["near"], report.near);
    assert_eq!(kinds["wrapped"], report.wrapped);
    assert_eq!(kinds["mix"], report.mix);
    // About the configured rates (5%, 8%, 3%, 2% of documents).
    let docs = report.docs as f64;
    assert!(
        (report.near as f64 / docs - 0.08).abs() < 0.02,
        "{report:?}"
    );
    assert!(
        (report.exact as f64 / docs - 0.05).abs() < 0.02,
        "{report:?}"
    );

    // Originals are not near-duplicates of one another: synthetic ones share little vocabulary
    // with the seed article whose shape they borrow.
    let originals: Vec<&str> = recs
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .filter(|id| !truth.contains(&format!("\"id\":\"{id}\"")))
        .collect();
    let last = originals[originals.len() - 1];
    let close = originals[..originals.len() - 1]
        .iter()
        .filter(|o| jaccard(text[*o], text[last]) > 0.5)
        .count();
    assert_eq!(close, 0);
}

#[test]
fn boilerplate_lines_repeat_per_site() {
    let bbc = bbc();
    let dir = tempfile::tempdir().unwrap();
    let report = generate(&config(bbc, 1_000_000), dir.path()).unwrap();
    let recs = read_records(&report);
    let line = SITES[0].footer[0];
    let hits = recs
        .iter()
        .filter(|r| r["text"].as_str().unwrap().lines().any(|l| l == line))
        .count();
    let on_site = recs
        .iter()
        .filter(|r| r["text"].as_str().unwrap().lines().any(|l| l == line))
        .all(|r| r["source"] == SITES[0].name);
    assert!(hits > 10, "{hits}");
    assert!(on_site);
    let frac = report.with_boilerplate as f64 / report.docs as f64;
    assert!((frac - 0.6).abs() < 0.1, "{frac}");
}

#[test]
fn config_errors_name_the_key() {
    let err = |c: GenConfig| c.build().unwrap_err().to_string();
    assert!(err(GenConfig::default()).contains("gen.inputs"));
    let base = GenConfig {
        inputs: vec!["x".into()],
        ..Default::default()
    };
    assert!(err(GenConfig {
        near_copy_rate: 1.5,
        ..base.clone()
    })
    .contains("gen.near_copy_rate"));
    assert!(err(GenConfig {
        mix_rate: 0.8,
        ..base.clone()
    })
    .contains("copy rates"));
    assert!(err(GenConfig {
        shards: 0,
        ..base.clone()
    })
    .contains("gen.shards"));
    assert!(base.build().is_ok());
    let parsed: GenConfig = toml::from_str("seed = 3\ntarget_bytes = 10").unwrap();
    assert_eq!(parsed.seed, 3);
    assert!(toml::from_str::<GenConfig>("sed = 3").is_err());
}
