//! The seed article (a real page with its site's furniture) through `corpusmill run` with the
//! default config: the body survives intact, the boilerplate goes, and the entities the issue
//! names are found with correct code-point offsets.

mod common;

use common::*;
use corpusmill::pipeline::{run, NoProgress};

const SEED: &str = include_str!("data/clean_seed_000_d2376bb0422849ae.txt");

#[test]
fn seed_article_through_the_default_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("seed.jsonl");
    let rec = serde_json::json!({
        "id": "seed-000",
        "url": "https://www.themoscowtimes.com/2016/10/04/russia-blames-us-for-syria-talks-breakdown",
        "text": SEED,
    });
    std::fs::write(&input, rec.to_string()).unwrap();
    let out = dir.path().join("out");
    let s = run(&config(&[&input], &out), &NoProgress).unwrap();
    assert_eq!(s.stats.docs_written, 1, "{:?}", s.stats.rejected);
    let recs = records_by_id(&out);
    let r = &recs["seed-000"];
    let text = r["text"].as_str().unwrap();

    // The body, first sentence to last, is intact.
    let first = "Russia's Ministry of Defense blamed the U.S. for the breakdown of talks on Syria, the TASS news agency reported.";
    let last = "Talks between Russia and the U.S. on Syria were suspended on Oct.3.";
    let (a, b) = (
        text.find(first).expect("first body sentence"),
        text.find(last).expect("last body sentence"),
    );
    let body_in_source = &SEED[SEED.find(first).unwrap()..SEED.find(last).unwrap() + last.len()];
    let normalized_body: Vec<&str> = body_in_source
        .split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let kept_body: Vec<&str> = text[a..b + last.len()]
        .split('\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(kept_body, normalized_body);

    // The boilerplate is gone.
    for gone in [
        "Support The Moscow Times!",
        "Sign up for our free weekly newsletter",
        "Subscribers agree to the Privacy Policy",
        "Dear readers",
        "We are facing unprecedented challenges",
        "Remind me later.",
        "Not ready to support today?",
        "Read more",
        "\nMonthly",
    ] {
        assert!(!text.contains(gone), "{gone:?} survived cleaning:\n{text}");
    }
    assert!(!text.ends_with("Once") && !text.contains("\nContinue"));
    assert_eq!(r["lang"], "eng");

    // Entities, with code-point offsets into the cleaned text.
    let chars: Vec<char> = text.chars().collect();
    let ents = r["entities"].as_array().unwrap();
    let mut found = Vec::new();
    for e in ents {
        let (start, end) = (
            e["start"].as_u64().unwrap() as usize,
            e["end"].as_u64().unwrap() as usize,
        );
        let slice: String = chars[start..end].iter().collect();
        assert_eq!(slice, e["text"].as_str().unwrap());
        found.push((
            e["text"].as_str().unwrap().to_string(),
            e["label"].as_str().unwrap().to_string(),
        ));
    }
    let has = |t: &str, labels: &[&str]| {
        found
            .iter()
            .any(|(x, l)| x == t && (labels.is_empty() || labels.contains(&l.as_str())))
    };
    for t in [
        "Russia",
        "U.S.",
        "Syria",
        "Aleppo",
        "TASS",
        "Antonov",
        "Beijing",
        "Washington",
        "Jabhat al-Nusra",
        "Al Qaeda",
    ] {
        assert!(has(t, &[]), "{t} not found: {found:?}");
    }
    // "the anti-Islamic State coalition": the group's name or the adjective reading
    // ("Islamic" MISC, what the issue #15 model picks); either is an acceptable entity.
    assert!(
        has("Islamic State", &["ORG", "MISC"]) || has("Islamic", &["MISC"]),
        "{found:?}"
    );
    assert!(has("Castello Road", &["LOC"]), "{found:?}");
    assert!(
        has("Xinjiang Security Forum", &["MISC", "ORG"]),
        "{found:?}"
    );
    assert!(
        has("Sept.9", &["DATE"]) && has("Oct.3", &["DATE"]),
        "{found:?}"
    );
}
