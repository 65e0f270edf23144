//! Tests of per-site repeated-line removal on real lines.

use super::*;

const APPEAL: &str = "Our weekly newsletter contains a hand-picked selection of news, features, analysis and more from The Moscow Times. You will receive it in your mailbox every Friday. Never miss the latest news from Russia.";
const QUOTE: &str = "\"The sooner Washington realizes that only with Russia can it defeat terrorism, the faster we will achieve the desired results of the international community,\" he said.";

fn doc(i: usize, site: &str, extra: &[&str]) -> Doc {
    let mut lines = vec![format!(
        "Article {i}: the dollar has hit its highest level against the euro in almost three months, analysts said on day {i}."
    )];
    lines.extend(extra.iter().map(|s| s.to_string()));
    let mut d = Doc::from_text(format!("d{i}"), lines.join("\n\n"));
    d.site = Some(site.to_string());
    d
}

fn stage(docs: &[Doc], workers: usize) -> RepeatedLines {
    let cfg = RepeatedLinesConfig::default();
    let mut total = cfg.counter().unwrap();
    for chunk in docs.chunks(docs.len().div_ceil(workers)) {
        let mut c = cfg.counter().unwrap();
        for d in chunk {
            c.observe(d);
        }
        total.merge(c);
    }
    total.finish().unwrap()
}

#[test]
fn site_appeal_goes_quote_in_few_docs_stays() {
    // 300 documents: the appeal is on every page, a quote recurs in 4 follow-up articles.
    let docs: Vec<Doc> = (0..300)
        .map(|i| {
            if i % 75 == 0 {
                doc(i, "themoscowtimes.com", &[QUOTE, APPEAL])
            } else {
                doc(i, "themoscowtimes.com", &[APPEAL])
            }
        })
        .collect();
    let s = stage(&docs, 4);
    assert_eq!(s.boilerplate_lines(), 1);
    let mut c = Counters::default();
    let mut d = docs[0].clone();
    s.process(&mut d, &mut c);
    assert!(!d.text.contains("Our weekly newsletter"));
    assert!(d.text.contains(QUOTE));
    assert!(d.text.starts_with("Article 0:"));
    assert_eq!(c.get("repeated_lines", "site_boilerplate"), 1);
}

#[test]
fn sites_are_counted_separately() {
    // The appeal appears on 3 pages of each of three sites: under min_docs per site.
    let mut docs = Vec::new();
    for (k, site) in ["a.example", "b.example", "c.example"].iter().enumerate() {
        for i in 0..20 {
            let n = k * 100 + i;
            docs.push(if i < 3 {
                doc(n, site, &[APPEAL])
            } else {
                doc(n, site, &[])
            });
        }
    }
    assert_eq!(stage(&docs, 1).boilerplate_lines(), 0);
}

#[test]
fn fraction_threshold_protects_large_sites() {
    // 6 of 1,000 documents (0.6% < 1%): kept although 6 >= min_docs.
    let docs: Vec<Doc> = (0..1000)
        .map(|i| {
            if i < 6 {
                doc(i, "big.example", &[QUOTE])
            } else {
                doc(i, "big.example", &[])
            }
        })
        .collect();
    assert_eq!(stage(&docs, 3).boilerplate_lines(), 0);
    // 12 of 1,000 (1.2%): removed.
    let docs: Vec<Doc> = (0..1000)
        .map(|i| {
            if i < 12 {
                doc(i, "big.example", &[QUOTE])
            } else {
                doc(i, "big.example", &[])
            }
        })
        .collect();
    assert_eq!(stage(&docs, 3).boilerplate_lines(), 1);
}

#[test]
fn merge_equals_sequential_and_line_repeats_count_once_per_doc() {
    let docs: Vec<Doc> = (0..40)
        .map(|i| doc(i, "s", if i < 4 { &[APPEAL, APPEAL] } else { &[] }))
        .collect();
    // 4 documents (8 occurrences): under min_docs 5 however the workers split them.
    assert_eq!(stage(&docs, 1).boilerplate_lines(), 0);
    assert_eq!(stage(&docs, 4).boilerplate_lines(), 0);
    let docs: Vec<Doc> = (0..40)
        .map(|i| doc(i, "s", if i < 5 { &[APPEAL] } else { &[] }))
        .collect();
    assert_eq!(stage(&docs, 1).boilerplate_lines(), 1);
    assert_eq!(stage(&docs, 5).boilerplate_lines(), 1);
}

#[test]
fn paragraph_breaks_survive_removal() {
    let docs: Vec<Doc> = (0..10)
        .map(|i| {
            let mut d = Doc::from_text(format!("d{i}"), format!("Menu\nHome\n\nBody line {i}.\n\nSecond paragraph {i}.\nShare this\n\nFooter text"));
            d.site = Some("x".into());
            d
        })
        .collect();
    let s = stage(&docs, 2);
    let (out, n) = s.clean(&docs[3]);
    assert_eq!(out.as_deref(), Some("Body line 3.\n\nSecond paragraph 3."));
    assert_eq!(n, 4);
}

#[test]
fn pruning_keeps_repeated_lines_and_config_is_validated() {
    let cfg = RepeatedLinesConfig {
        max_entries: 1024,
        ..Default::default()
    };
    let mut c = cfg.counter().unwrap();
    for i in 0..3000 {
        c.observe(&doc(i, "s", &[APPEAL]));
    }
    assert!(c.entries() <= 1024);
    assert_eq!(c.finish().unwrap().boilerplate_lines(), 1);
    assert!(RepeatedLinesConfig {
        min_docs: 1,
        ..Default::default()
    }
    .counter()
    .is_err());
}
