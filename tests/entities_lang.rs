//! Language-aware tagging: the English tagger never runs on a document the `lang` stage
//! identified as another language. Pins issue #15, where a German article got English guesses
//! ("Prozent" ORG, "Streik" MISC).

mod common;

use common::*;
use corpusmill::entities::EntitiesConfig;
use corpusmill::pipeline::{run, NoProgress};

const GERMAN: &str = include_str!("data/german_article.txt");
const ENGLISH: &str = include_str!("data/clean_seed_000_d2376bb0422849ae.txt");
const NAMED: [&str; 4] = ["PER", "ORG", "LOC", "MISC"];

fn labels(rec: &serde_json::Value) -> Vec<String> {
    rec["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["label"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn german_article_gets_no_named_entities_in_the_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mixed.jsonl");
    let recs = [
        serde_json::json!({"id": "de", "text": GERMAN}),
        serde_json::json!({"id": "en", "text": ENGLISH}),
    ];
    let lines: Vec<String> = recs.iter().map(|r| r.to_string()).collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let out = dir.path().join("out");
    // With the default config, as a user runs it: the quality rules' English word rules are
    // skipped for the German article, which reaches the entity stage.
    let cfg = config(&[&input], &out);
    let s = run(&cfg, &NoProgress).unwrap();
    assert_eq!(s.stats.docs_written, 2, "{:?}", s.stats.rejected);
    let recs = records_by_id(&out);
    assert_eq!(recs["de"]["lang"], "deu");
    let de = labels(&recs["de"]);
    assert!(
        de.iter().all(|l| !NAMED.contains(&l.as_str())),
        "German article got named entities: {}",
        recs["de"]["entities"]
    );
    assert_eq!(recs["en"]["lang"], "eng");
    let en = labels(&recs["en"]);
    assert!(en.iter().any(|l| l == "PER") && en.iter().any(|l| l == "LOC"));
    assert_eq!(s.stats.counters["entities"]["ner_skipped_lang"], 1);
    assert_eq!(s.stats.counters["quality"]["word_rules_skipped_lang"], 1);
}

#[test]
fn gating_is_what_removes_the_guesses() {
    // Without a detected language the tagger runs, and on this article it does guess: the
    // pipeline test above is not passing by accident.
    let stage = EntitiesConfig::default().build().unwrap();
    let mut buf = corpusmill::entities::Buffers::default();
    let named = |lang: Option<&str>, buf: &mut _| {
        stage
            .extract_lang(GERMAN, lang, buf)
            .iter()
            .filter(|e| NAMED.contains(&e.label))
            .count()
    };
    assert!(named(None, &mut buf) > 0);
    assert!(named(Some("eng"), &mut buf) > 0);
    assert_eq!(named(Some("deu"), &mut buf), 0);
    assert!(stage.tags_language(Some("eng")) && !stage.tags_language(Some("deu")));
}

#[test]
fn ner_languages_are_validated_and_configurable() {
    let bad = EntitiesConfig {
        ner_languages: vec!["english".into()],
        ..Default::default()
    };
    assert!(bad
        .build()
        .unwrap_err()
        .to_string()
        .contains("ner_languages"));
    let both = EntitiesConfig {
        ner_languages: vec!["eng".into(), "deu".into()],
        ..Default::default()
    }
    .build()
    .unwrap();
    assert!(both.tags_language(Some("deu")));
}
