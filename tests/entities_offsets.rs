//! Entity offsets are Unicode code points of the text, also around non-ASCII letters, emoji
//! and combining marks, and `text[start:end]` (Python slicing) gives the entity text.

use corpusmill::doc::Doc;
use corpusmill::entities::EntitiesConfig;
use corpusmill::stage::{Counters, Stage};

fn entities(text: &str) -> Vec<(String, &'static str, usize, usize)> {
    let stage = EntitiesConfig::default().build().unwrap();
    let mut doc = Doc::from_text("t", text);
    stage.process(&mut doc, &mut Counters::default());
    let chars: Vec<char> = text.chars().collect();
    for e in &doc.entities {
        let slice: String = chars[e.start..e.end].iter().collect();
        assert_eq!(slice, e.text, "offsets of {e:?} in {text:?}");
    }
    doc.entities
        .into_iter()
        .map(|e| (e.text, e.label, e.start, e.end))
        .collect()
}

fn find<'a>(
    ents: &'a [(String, &'static str, usize, usize)],
    text: &str,
) -> Option<&'a (String, &'static str, usize, usize)> {
    ents.iter().find(|e| e.0 == text)
}

#[test]
fn emoji_and_accents_before_entities() {
    // BBC line with emoji and accented names put in front of it.
    let text =
        "😀🎉 Zoë said: Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn.";
    let ents = entities(text);
    let tw = find(&ents, "TimeWarner").expect("TimeWarner");
    assert!(["ORG", "PER", "MISC", "LOC"].contains(&tw.1));
    assert_eq!((tw.2, tw.3), (49, 59));
    let pct = find(&ents, "76%").expect("76%");
    assert_eq!((pct.1, pct.2, pct.3), ("PERCENT", 67, 70));
    assert!(find(&ents, "$1.13bn").is_some());
}

#[test]
fn combining_marks_stay_inside_words() {
    // "José" with a combining acute accent (not NFC): 5 code points.
    let text = "Chelsea manager Jose\u{301} Mourinho met officials in Lisbon on Monday.";
    let ents = entities(text);
    let lisbon = find(&ents, "Lisbon").expect("Lisbon");
    assert_eq!(lisbon.1, "LOC");
    let start = text.chars().count() - "Lisbon on Monday.".chars().count();
    assert_eq!(lisbon.2, start);
    let person = ents
        .iter()
        .find(|e| e.0.contains("Mourinho"))
        .expect("Mourinho");
    assert_eq!(person.0, "Jose\u{301} Mourinho", "{ents:?}");
    assert_eq!((person.1, person.2, person.3), ("PER", 16, 30));
    assert!(!ents.iter().any(|e| e.0 == "\u{301}"));
}

#[test]
fn cjk_and_rtl_text_is_safe() {
    let text = "北京 said Beijing. مرحبا Russia blamed the U.S. 🇺🇸 for it";
    let ents = entities(text);
    let russia = find(&ents, "Russia").expect("Russia");
    assert_eq!(
        russia.2,
        text.chars().count() - "Russia blamed the U.S. 🇺🇸 for it".chars().count()
    );
    assert!(find(&ents, "U.S.").is_some(), "{ents:?}");
}

#[test]
fn switches_and_labels() {
    let text = "Russia blamed the U.S. on Oct.3 for 8% of $5m.";
    let stage = EntitiesConfig {
        ner: false,
        ..EntitiesConfig::default()
    }
    .build()
    .unwrap();
    let mut doc = Doc::from_text("t", text);
    stage.process(&mut doc, &mut Counters::default());
    let labels: Vec<&str> = doc.entities.iter().map(|e| e.label).collect();
    assert_eq!(labels, ["DATE", "PERCENT", "MONEY"]);
    let mut cfg = EntitiesConfig {
        labels: vec!["LOC".into()],
        ..EntitiesConfig::default()
    };
    let mut doc = Doc::from_text("t", text);
    cfg.build()
        .unwrap()
        .process(&mut doc, &mut Counters::default());
    assert!(doc.entities.iter().all(|e| e.label == "LOC"));
    assert!(!doc.entities.is_empty());
    cfg.labels = vec!["PERSON".into()];
    let err = cfg.build().unwrap_err().to_string();
    assert!(
        err.contains("entities.labels") && err.contains("PERSON"),
        "{err}"
    );
    cfg.labels = vec![];
    cfg.model = "no/such/model.bin.zst".into();
    assert!(cfg
        .build()
        .unwrap_err()
        .to_string()
        .contains("entities.model"));
}
