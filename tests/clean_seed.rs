//! The seed article (a real page with its site's furniture) through the default cleaning
//! stages: every sentence of the body must survive intact and the boilerplate must go.

use corpusmill::config::Config;
use corpusmill::doc::Doc;
use corpusmill::stage::{Counters, Stage, Verdict};

const SEED: &str = include_str!("data/clean_seed_000_d2376bb0422849ae.txt");

const BODY: &[&str] = &[
    "Russia's Ministry of Defense blamed the U.S. for the breakdown of talks on Syria, the TASS news agency reported.",
    "\u{201c}We regret that the agreements we had reached with such difficulty at the level of foreign ministers on Sept.9 were thwarted by the USA,\u{201d} Russia's Deputy Defense Minister said during the Xinjiang Security Forum in Beijing.",
    "\u{201c}From Washington's destructive actions, the terrorists are winning,\u{201d} he added.",
    "The Ministry of Defense official suggested that the Americans were either unable or unwilling to distinguish between the Syrian opposition groups included in the anti-Islamic State coalition and Jabhat al-Nusra, an Islamist group with ties to Al Qaeda.",
    "He also claimed that American-backed forces had failed to participate in unblocking and securing Castello Road, the main artery for humanitarian aid into the besieged city of Aleppo.",
    "Antonov also said that there was \u{201c}no military solution\u{201d} in Syria and called for Washington to \u{201c}give up political ambitions and sit down at the negotiating table.\u{201d}",
    "\u{201c}The sooner Washington realizes that only with Russia can it defeat terrorism, the faster we will achieve the desired results of the international community,\u{201d} he said.",
    "Talks between Russia and the U.S. on Syria were suspended on Oct.3.",
];

const BOILERPLATE: &[&str] = &[
    "Support The Moscow Times!",
    "Sign up for our free weekly newsletter",
    "Our weekly newsletter contains",
    "Subscribers agree to the Privacy Policy",
    "A Message from The Moscow Times:",
    "Dear readers,",
    "We are facing unprecedented challenges.",
    "These actions are direct attempts to silence",
    "We, the journalists of The Moscow Times",
    "Your support, no matter how small",
    "By supporting The Moscow Times",
    "Once",
    "Monthly",
    "Annual",
    "Continue",
    "paiment methods",
    "Not ready to support today?",
    "Remind me later.",
    "Read more",
];

fn clean_seed(cfg: &Config) -> (Verdict, Doc, Counters) {
    let mut doc = Doc::from_text("seed", SEED);
    doc.site = Some("www.themoscowtimes.com".into());
    let mut c = Counters::default();
    let normalize = cfg.normalize.build().unwrap();
    let rules = cfg.line_rules.build().unwrap();
    let quality = cfg.quality.build().unwrap();
    let lang = cfg.lang.build().unwrap();
    assert_eq!(normalize.process(&mut doc, &mut c), Verdict::Keep);
    assert_eq!(rules.process(&mut doc, &mut c), Verdict::Keep);
    // One document: the pre-scan sees it once, so no line reaches the site threshold.
    let mut counter = cfg.repeated_lines.counter().unwrap();
    counter.observe(&doc);
    let repeated = counter.finish().unwrap();
    assert_eq!(repeated.process(&mut doc, &mut c), Verdict::Keep);
    let v = quality.process(&mut doc, &mut c);
    if v == Verdict::Keep {
        lang.process(&mut doc, &mut c);
    }
    (v, doc, c)
}

#[test]
fn seed_body_intact_and_boilerplate_gone() {
    let (v, doc, counters) = clean_seed(&Config::default());
    assert_eq!(
        v,
        Verdict::Keep,
        "the seed article must pass the quality filters"
    );
    let lines: Vec<&str> = doc.text.lines().collect();
    for s in BODY {
        assert!(
            lines.contains(s),
            "body sentence lost or altered: {s}\n---\n{}",
            doc.text
        );
    }
    for b in BOILERPLATE {
        assert!(
            !lines.iter().any(|l| l.starts_with(b) || *l == *b),
            "boilerplate kept: {b}\n---\n{}",
            doc.text
        );
    }
    // The body appears in order, as one block ending the document.
    let start = doc.text.find(BODY[0]).unwrap();
    assert!(doc.text.ends_with(BODY[BODY.len() - 1]), "{}", doc.text);
    assert!(start < doc.text.find(BODY[4]).unwrap());
    assert_eq!(doc.lang.as_ref().map(|l| l.code), Some("eng"));
    assert!(counters.get("line_rules", "appeal_block") > 0);
}

#[test]
fn seed_keeps_its_boilerplate_when_line_rules_are_off() {
    let mut cfg = Config::default();
    cfg.line_rules.disabled_rules = corpusmill::clean::lines::RULES
        .iter()
        .map(|r| r.to_string())
        .collect();
    let (_, doc, _) = clean_seed(&cfg);
    assert!(doc.text.contains("Sign up for our free weekly newsletter"));
}
