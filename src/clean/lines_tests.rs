//! Tests of the line rules on real lines: the seed page, BBC articles, common site furniture.

use super::*;

fn rules() -> LineRules {
    LineRulesConfig::default().build().unwrap()
}

/// Cleans `text` and returns the kept text and the per-rule counts.
fn clean(text: &str) -> (String, [u64; RULES.len()]) {
    let mut counts = [0u64; RULES.len()];
    let out = rules()
        .clean(text, &mut counts)
        .unwrap_or_else(|| text.to_string());
    (out, counts)
}

fn count(c: &[u64; RULES.len()], rule: &str) -> u64 {
    c[rule_index(rule)]
}

/// A BBC body paragraph (long, punctuated): context that keeps edges away from test lines.
const P1: &str = "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn (\u{a3}600m) for the three months to December, from $639m year-earlier.";
const P2: &str = "Time Warner said on Friday that it now owns 8% of search-engine Google. But its own internet business, AOL, had has mixed fortunes.";

/// Wraps one line between two body paragraphs and reports whether it was removed.
fn removed_in_body(line: &str) -> bool {
    let text = format!("{P1}\n\n{line}\n\n{P2}");
    let (out, _) = clean(&text);
    assert!(
        out.contains(P1) && out.contains(P2),
        "body lost around {line:?}: {out}"
    );
    !out.contains(line)
}

#[test]
fn furniture_goes_anywhere() {
    for line in [
        "Share this article",
        "Sign up for our free weekly newsletter",
        "Subscribers agree to the Privacy Policy",
        "Remind me later.",
        "Read more",
        "Once",
        "Monthly",
        "Continue",
        "Advertisement",
        "Follow us on Twitter",
        "We use cookies to give you the best experience on our website. By continuing to browse the site, you agree to our use of cookies.",
        "\u{a9} 2005 The Daily Ledger Media Group. All rights reserved.",
        "By Anna Hughes",
        "Photo: Reuters",
        "Skip to main content",
        "Leave a comment",
        "Listen to this article",
        "paiment methods",
    ] {
        assert!(removed_in_body(line), "kept: {line}");
    }
}

#[test]
fn body_lines_stay() {
    for line in [
        // Short BBC lines that look like furniture to a naive filter.
        "Shares in the firm fell 3%.",
        "Subscribers to the service rose by 8%.",
        "He returned home on Friday.",
        "By early 2005 the net could have two new domain names.",
        "Updated figures showed inflation rose to 3%.",
        "Tottenham manager Jacques Santini has resigned for \"personal reasons\".",
        "Result: Nadal 6-7 (6/8) 6-2 7-6 (8/6) 6-2 Roddick",
        "22 Ivan Ljubicic (Croatia)",
        "- Reduced corporate tax rates to 30%",
        "The winners were:",
        "TimeWarner will try to sign up AOL's existing customers for high-speed broadband.",
        // A subheading-like line inside the body (title-like, but not at an edge).
        "Price war looms for mobile firms",
        "\u{201c}We regret that the agreements we had reached with such difficulty were thwarted,\u{201d} he said.",
    ] {
        assert!(!removed_in_body(line), "removed: {line}");
    }
}

#[test]
fn headline_and_related_list_at_edges_go() {
    let text = format!(
        "Ad sales boost Time Warner profit\n\n{P1}\n\n{P2}\n\nRelated stories\nDollar gains on Greenspan speech\nYukos unit buyer faces loan claim\nHigh fuel prices hit BA's profits"
    );
    let (out, c) = clean(&text);
    assert_eq!(out, format!("{P1}\n\n{P2}"));
    assert!(count(&c, "edge_title") >= 1);
    assert!(count(&c, "navigation") >= 1);
}

#[test]
fn related_list_after_heading_in_the_middle_goes() {
    let text = format!("{P1}\n\nMost read\nDollar gains on Greenspan speech\nYukos unit buyer faces loan claim\n\n{P2}");
    let (out, _) = clean(&text);
    assert_eq!(out, format!("{P1}\n\n{P2}"));
}

#[test]
fn last_short_sentence_of_the_body_stays() {
    let text = format!("{P1}\n\nTalks between Russia and the U.S. on Syria were suspended on Oct.3.\n\nShare\nFacebook\nTwitter");
    let (out, _) = clean(&text);
    assert_eq!(
        out,
        format!("{P1}\n\nTalks between Russia and the U.S. on Syria were suspended on Oct.3.")
    );
}

#[test]
fn appeal_block_at_the_end_goes_but_not_a_quote_in_the_body() {
    let appeal = "A note to our readers\n\nQuality journalism takes time, money and hard work to produce. Our correspondents report from more than 40 countries, and we are funded by our members.\n\nIf you value our reporting, please consider becoming a member for as little as $1 a week. It only takes a minute.";
    let (out, c) = clean(&format!("{P1}\n\n{P2}\n\n{P1}\n\nSupport us\n\n{appeal}"));
    assert_eq!(out, format!("{P1}\n\n{P2}\n\n{P1}"));
    assert!(count(&c, "appeal_block") >= 1);
    // A first-person quote is body, with no call-to-action heading before it.
    let quote = "\"We are very pleased with our results and we thank our customers for their support,\" chairman Richard Parsons said.";
    let (out, _) = clean(&format!("{P1}\n\n{P2}\n\n{quote}"));
    assert!(out.ends_with(quote));
}

#[test]
fn disabled_rules_and_validation() {
    let r = LineRulesConfig {
        disabled_rules: vec!["short_no_punct".into(), "button_label".into()],
        ..Default::default()
    }
    .build()
    .unwrap();
    let mut counts = [0u64; RULES.len()];
    let text = format!("{P1}\n\nMonthly\n\n{P2}");
    assert!(r.clean(&text, &mut counts).is_none());
    let e = LineRulesConfig {
        disabled_rules: vec!["menus".into()],
        ..Default::default()
    }
    .build()
    .unwrap_err();
    assert!(e.to_string().contains("line_rules.disabled_rules"), "{e}");
    assert!(LineRulesConfig {
        appeal_block_density: 1.5,
        ..Default::default()
    }
    .build()
    .is_err());
}

#[test]
fn extra_phrases_are_matched() {
    let r = LineRulesConfig {
        extra_phrases: vec!["Back the Herald".into()],
        ..Default::default()
    }
    .build()
    .unwrap();
    let mut counts = [0u64; RULES.len()];
    let out = r
        .clean(
            &format!("{P1}\n\nBack the Herald today.\n\n{P2}"),
            &mut counts,
        )
        .unwrap();
    assert_eq!(out, format!("{P1}\n\n{P2}"));
    assert_eq!(counts[rule_index("custom_phrase")], 1);
}

#[test]
fn untouched_text_is_not_copied() {
    let mut counts = [0u64; RULES.len()];
    assert!(rules()
        .clean(&format!("{P1}\n\n{P2}"), &mut counts)
        .is_none());
    assert_eq!(counts.iter().sum::<u64>(), 0);
}

#[test]
fn space_and_digit_scan_matches_byte_loop() {
    let line = "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn for the three months to December, from $639m year-earlier.";
    for t in [
        line,
        &line[..40],
        "Share this page",
        "",
        "    ",
        &line[..33],
    ] {
        let b = t.as_bytes();
        let want = (
            b.iter().filter(|&&c| c == b' ').count(),
            b.iter().any(u8::is_ascii_digit),
        );
        assert_eq!(spaces_and_digits(b), want, "{t:?}");
    }
    assert_eq!(spaces_and_digits(line.as_bytes()).0, 19);
}

/// Chinese and Japanese lines are written without spaces: each character counts as a word and
/// the ideographic full stop ends a sentence, so their paragraphs are prose, not short
/// unpunctuated lines or titles.
#[test]
fn chinese_paragraphs_are_prose() {
    let text = "国家统计局发布最新数据\n\n北京时间周一上午，国家统计局发布了最新的经济数据。数据显示，今年前三个季度国内生产总值同比增长百分之五。\n\n统计局发言人表示，工业生产继续回升，服务业增长加快。\n\n分析人士认为，第四季度经济有望继续保持平稳增长。";
    let (out, _) = clean(text);
    for para in text.split("\n\n").skip(1) {
        assert!(out.contains(para), "lost {para:?}: {out}");
    }
    // Six characters and the full stop (U+3002); the fullwidth comma is not counted.
    assert_eq!(spaces_and_digits("数据显示，增长。".as_bytes()), (7, false));
    assert!(ends_terminal("增长百分之五。".as_bytes()));
    assert!(ends_terminal("「你好！」".as_bytes()));
    assert!(!ends_terminal("国家统计局发布最新数据".as_bytes()));
}

/// A subheading is a very short line without punctuation: removed from plain text, kept in
/// text the html stage extracted unless `short_on_html` asks for the plain-text rule.
#[test]
fn short_lines_of_extracted_pages_are_structure() {
    let text = format!("{P1}\n\nFeature detection\n\n{P2}");
    let mut counts = [0u64; RULES.len()];
    let (out, _) = rules().clean_checked(&text, false, &[], &mut counts);
    assert_eq!(out.as_deref(), Some(format!("{P1}\n\n{P2}").as_str()));
    assert_eq!(count(&counts, "short_no_punct"), 1);
    let mut counts = [0u64; RULES.len()];
    let (out, _) = rules().clean_checked(&text, true, &[], &mut counts);
    assert_eq!(out, None, "nothing removed");
    let strict = LineRulesConfig {
        short_on_html: true,
        ..LineRulesConfig::default()
    }
    .build()
    .unwrap();
    let (out, _) = strict.clean_checked(&text, true, &[], &mut counts);
    assert!(out.is_some_and(|t| !t.contains("Feature detection")));
}

/// A table of three or more rows closing an extracted article is content: its rows (listed
/// as data lines by the html stage) are not peeled as title-like lines. Without the list, or
/// for a lone row, edge peeling takes them.
#[test]
fn a_table_closing_an_article_is_not_peeled() {
    // A header row without figures is title-like; the rows of figures after it go with it.
    let rows = [
        "Answer Votes Share",
        "Yes 76 38%",
        "No 69 34%",
        "Undecided 57 28%",
    ];
    let text = format!("{P1}\n{P2}\n{}", rows.join("\n"));
    let key = |l: &str| crate::clean::html::line_key(l).unwrap();
    let mut data: Vec<u64> = rows.iter().map(|r| key(r)).collect();
    data.sort_unstable();
    let mut counts = [0u64; RULES.len()];
    let (out, _) = rules().clean_checked(&text, true, &data, &mut counts);
    assert_eq!(out, None, "nothing removed");
    let (out, _) = rules().clean_checked(&text, true, &[], &mut counts);
    assert_eq!(out.as_deref(), Some(format!("{P1}\n{P2}").as_str()));
    assert_eq!(count(&counts, "edge_title"), 4);
    // Two rows (a date and a toolbar of a layout table) are not a table.
    let two = format!("{P1}\n{P2}\n{}\n{}", rows[0], rows[1]);
    let (out, _) = rules().clean_checked(&two, true, &data, &mut counts);
    assert_eq!(out.as_deref(), Some(format!("{P1}\n{P2}").as_str()));
}

/// A re-sent paragraph that differs from the first copy only in its final full stop is a
/// repeat; one that differs inside is not.
#[test]
fn resent_paragraph_without_its_full_stop_is_a_repeat() {
    let r = LineRulesConfig {
        dedupe_paragraphs: true,
        ..LineRulesConfig::default()
    }
    .build()
    .unwrap();
    let first = "The dead soldiers were named as Captain Rowdy Inman and Sergeant Benjamin Portell";
    let text = format!("{P1}\n{first}\n{first}.\n{P2}");
    let mut counts = [0u64; RULES.len()];
    let out = r.clean(&text, &mut counts).unwrap();
    assert_eq!(out, format!("{P1}\n{first}\n{P2}"));
    assert_eq!(count(&counts, "repeated_paragraph"), 1);
    let other = format!("{P1}\n{first}\n{first} of the regiment.\n{P2}");
    assert_eq!(r.clean(&other, &mut counts), None);
}

/// Code repeats lines on purpose: a repeated line the html stage wrote from `<pre>` (a data
/// line) stays; the same repeat in running text goes.
#[test]
fn repeated_code_lines_stay() {
    let r = LineRulesConfig {
        dedupe_paragraphs: true,
        ..LineRulesConfig::default()
    }
    .build()
    .unwrap();
    let code = "SELECT n, zscore FROM readings WHERE zscore NOT BETWEEN -1 AND 1;";
    let text = format!("{P1}\n{code}\n{P2}\n{code}\n{P1} Again.");
    let data = vec![crate::clean::html::line_key(code).unwrap()];
    let mut counts = [0u64; RULES.len()];
    let (out, _) = r.clean_checked(&text, true, &data, &mut counts);
    assert_eq!(out, None, "nothing removed");
    let (out, _) = r.clean_checked(&text, true, &[], &mut counts);
    assert_eq!(
        out.as_deref(),
        Some(format!("{P1}\n{code}\n{P2}\n{P1} Again.").as_str())
    );
    assert_eq!(count(&counts, "repeated_paragraph"), 1);
}

/// A long run of title-like lines closing an extracted page (a list of patches after one
/// paragraph) is the article's, not furniture: for text the html stage wrote, the position
/// rules are distrusted once they would take `max_prose_removed_html` (0.5) of the words, not
/// `max_prose_removed` (0.8).
#[test]
fn extracted_pages_distrust_peeling_sooner() {
    let items = [
        "Allow casts between integers and pointers",
        "Add support for the weak variable attribute",
        "Fix get size for long double",
        "Add a function to check link time optimization",
        "Fix volatile loads and stores",
        "Allow set location on various classes",
    ];
    let text = format!("{P1}\n{}", items.join("\n"));
    let mut counts = [0u64; RULES.len()];
    let (out, distrusted) = rules().clean_checked(&text, false, &[], &mut counts);
    assert_eq!(out.as_deref(), Some(P1));
    assert!(!distrusted);
    assert_eq!(count(&counts, "edge_title"), items.len() as u64);
    let (out, distrusted) = rules().clean_checked(&text, true, &[], &mut counts);
    assert_eq!(out, None, "nothing removed");
    assert!(distrusted);
    let strict = LineRulesConfig {
        max_prose_removed_html: 0.8,
        ..LineRulesConfig::default()
    }
    .build()
    .unwrap();
    let (out, _) = strict.clean_checked(&text, true, &[], &mut counts);
    assert_eq!(out.as_deref(), Some(P1));
    assert!(LineRulesConfig {
        max_prose_removed_html: 1.5,
        ..LineRulesConfig::default()
    }
    .build()
    .is_err());
}
