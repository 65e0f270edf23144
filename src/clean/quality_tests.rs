//! Tests of the quality filters on a real BBC article and on degraded versions of it.

use super::*;

/// bbc-business-001, as in the corpus.
const BBC: &str = "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn (\u{a3}600m) for the three months to December, from $639m year-earlier.\n\nThe firm, which is now one of the biggest investors in Google, benefited from sales of high-speed internet connections and higher advert sales. TimeWarner said fourth quarter sales rose 2% to $11.1bn from $10.9bn. Its profits were buoyed by one-off gains which offset a profit dip at Warner Bros, and less users for AOL.\n\nTime Warner said on Friday that it now owns 8% of search-engine Google. But its own internet business, AOL, had has mixed fortunes. It lost 464,000 subscribers in the fourth quarter profits were lower than in the preceding three quarters. However, the company said AOL's underlying profit before exceptional items rose 8% on the back of stronger internet advertising revenues. It hopes to increase subscribers by offering the online service free to TimeWarner internet customers and will try to sign up AOL's existing customers for high-speed broadband.\n\nTime Warner's fourth quarter profits were slightly better than analysts' expectations. But its film division saw profits slump 27% to $284m, helped by box-office flops Alexander and Catwoman, a sharp contrast to year-earlier, when the third and final film in the Lord of the Rings trilogy boosted results.";

fn q() -> Quality {
    QualityConfig::default().build().unwrap()
}

fn rule(text: &str) -> Option<&'static str> {
    match q().check(text) {
        Verdict::Keep => None,
        Verdict::Drop(d) => Some(d.rule),
    }
}

#[test]
fn real_article_passes() {
    assert_eq!(rule(BBC), None);
}

#[test]
fn gopher_quality_rules() {
    // Too few words.
    assert_eq!(
        rule("Shares in the firm fell 3%. The firm said so. It was bad. He left. She came."),
        Some("gopher_min_words")
    );
    // Hashtag spam.
    let tags = format!(
        "{BBC}\n\n{}",
        "#news #business #google #aol #profit ".repeat(20)
    );
    assert_eq!(rule(&tags), Some("gopher_hash_word_ratio"));
    // No stop words: a list of names.
    let names = "Paulo Ferreira, Robben, Lampard, Cole, Terry, Gallas, Makelele, Tiago, Duff, Drogba, Gudjohnsen. ".repeat(6);
    assert_eq!(rule(&names), Some("gopher_stop_words"));
    // Mostly numbers.
    let nums = format!(
        "The results were. {}",
        "1,234.5 3,456.7 5,678.9 7,890.1 9,123.4. ".repeat(20)
    );
    assert_eq!(rule(&nums), Some("gopher_alpha_words"));
}

#[test]
fn c4_rules() {
    let lorem = format!("{BBC}\n\nLorem ipsum dolor sit amet, consectetur adipiscing elit.");
    assert_eq!(rule(&lorem), Some("c4_lorem_ipsum"));
    let code = format!("{BBC}\n\nfunction f() {{ return 1; }}");
    assert_eq!(rule(&code), None, "curly braces are allowed by default");
    let strict = QualityConfig {
        c4: C4Config {
            curly_braces: true,
            ..Default::default()
        },
        ..Default::default()
    }
    .build()
    .unwrap();
    assert!(matches!(strict.check(&code), Verdict::Drop(d) if d.rule == "c4_curly_braces"));
    // One long sentence without a full stop: too few sentences.
    let one = BBC.replace(['.', '!', '?'], ",");
    assert_eq!(rule(&one), Some("c4_min_sentences"));
}

#[test]
fn fineweb_rules() {
    // A menu-like page: many short lines without punctuation, padded with real prose.
    let menu = "Home\nNews\nBusiness\nPolitics\nSport\nCulture\nOpinion\nWorld\nVideo\nAudio\nWeather\nTravel\n".repeat(3);
    let page = format!("{menu}{BBC}");
    let r = rule(&page);
    assert!(
        matches!(
            r,
            Some("fineweb_line_punct_ratio" | "fineweb_short_line_ratio")
        ),
        "{r:?}"
    );
    // A list page: one short sentence per line.
    let list = "The firm said it was.\n".repeat(40);
    let r = rule(&format!("{BBC}\n{list}"));
    assert!(r.is_some(), "list page kept");
}

#[test]
fn gopher_repetition_rules() {
    let para = BBC.split("\n\n").nth(1).unwrap();
    let dup = format!("{BBC}\n\n{para}\n\n{para}\n\n{para}");
    let r = rule(&dup);
    assert!(r.is_some_and(|r| r.starts_with("gopher_dup_")), "{r:?}");
    let spam = format!("{BBC} {}", "buy cheap pills now ".repeat(60));
    let r = rule(&spam);
    assert!(r.is_some_and(|r| r.starts_with("gopher_")), "{r:?}");
}

#[test]
fn thresholds_are_configurable_and_validated() {
    let lax = QualityConfig {
        gopher_quality: GopherQualityConfig {
            min_words: 5,
            ..Default::default()
        },
        c4: C4Config {
            min_sentences: 0,
            ..Default::default()
        },
        ..Default::default()
    }
    .build()
    .unwrap();
    assert_eq!(
        lax.check("Shares in the firm fell 3% on Friday, and that was with the market."),
        Verdict::Keep
    );
    let bad = QualityConfig {
        fineweb: FineWebConfig {
            max_short_line_ratio: 2.0,
            ..Default::default()
        },
        ..Default::default()
    }
    .build()
    .unwrap_err();
    assert!(
        bad.to_string()
            .contains("quality.fineweb.max_short_line_ratio"),
        "{bad}"
    );
}

#[test]
fn paragraph_split_matches_str_split() {
    for t in [BBC, "", "\n\n", "a\n\n\nb", "a\n\n\n\nb\n\n", "one\ntwo"] {
        let fast: Vec<&str> = paragraphs(t).collect();
        let slow: Vec<&str> = t.split("\n\n").collect();
        assert_eq!(fast, slow, "{t:?}");
    }
}

#[test]
fn packed_stop_words_ignore_ascii_case_only() {
    let q = q();
    for w in ["the", "The", "THE", "with", "With"] {
        assert!(q.is_stop(w.as_bytes()), "{w}");
    }
    for w in ["then", "th", "profits", "thé", "the\0"] {
        assert!(!q.is_stop(w.as_bytes()), "{w}");
    }
}

/// A German news article (the repository's fixture) and a Chinese one are judged by the rules
/// that do not depend on English: the English stop words, word counts and word lengths would
/// drop every such document.
#[test]
fn other_languages_skip_the_english_word_rules() {
    let german = include_str!("../../tests/data/german_article.txt");
    let chinese = "北京时间周一上午，国家统计局发布了最新的经济数据。数据显示，今年前三个季度国内生产总值同比增长百分之五，消费和投资均保持稳定。\n\n统计局发言人在新闻发布会上表示，工业生产继续回升，服务业增长加快，就业形势总体稳定。他同时指出，外部环境依然复杂，部分企业经营仍然面临困难。\n\n分析人士认为，随着一系列支持政策逐步落地，第四季度经济有望继续保持平稳增长。";
    for (name, text) in [("German", german), ("Chinese", chinese)] {
        let mut counters = Counters::default();
        let mut doc = Doc::from_text(name, text);
        assert!(
            matches!(q().process(&mut doc, &mut counters), Verdict::Keep),
            "{name} article dropped by {:?}",
            q().check(text)
        );
        assert_eq!(
            counters.get("quality", "word_rules_skipped_lang"),
            1,
            "{name}"
        );
    }
    // With the check off (every language judged by the English rules), both are dropped.
    let english_rules = QualityConfig {
        word_rule_languages: vec![],
        ..QualityConfig::default()
    }
    .build()
    .unwrap();
    assert!(
        matches!(english_rules.check(german), Verdict::Drop(d) if d.rule == "gopher_stop_words")
    );
    assert!(matches!(english_rules.check(chinese), Verdict::Drop(_)));
    // German listed as a language of the word rules: judged by them, and dropped.
    let with_german = QualityConfig {
        word_rule_languages: vec!["eng".into(), "deu".into()],
        ..QualityConfig::default()
    }
    .build()
    .unwrap();
    assert!(matches!(with_german.check(german), Verdict::Drop(d) if d.rule == "gopher_stop_words"));
}

/// Chinese and Japanese characters count as words, so the per-word ratios of a text written
/// without spaces (newlines, ellipses, hashes per word) are not inflated.
#[test]
fn han_characters_are_words() {
    let q = q();
    let mut words = Vec::new();
    let s = q.measure("今天天气很好。我们去公园。", false, &mut words);
    assert_eq!(s.content_words, 11);
    assert_eq!(s.sentences, 2);
    assert_eq!(s.punct_lines, 1);
}

/// The line-share rules need `min_lines_for_line_rules` lines: a short article whose last of
/// three paragraphs ends in an ellipsis is kept, the same shape over many lines is not.
#[test]
fn line_share_rules_need_enough_lines() {
    let lines = [
        "Markets barely moved. The central bank raised its main interest rate by a quarter of a point on Thursday, the third increase this year.",
        "Officials said that more rises were likely if prices kept climbing. Economists had expected the move after a run of strong figures.",
        "Borrowers with variable loans will see their payments go up next month, and lenders have already begun to pass on the cost. Read the full story...",
        "Retail sales rose for a fourth month in a row. Shops in the north did better than those in the south, the figures showed...",
        "The currency gained against the dollar in early trading. Traders said the statement was firmer than they had thought...",
        "Shares in banks rose. Shares in house builders fell on fears that buyers would hold back...",
    ];
    let teaser = lines[..3].join("\n");
    let published = q();
    assert!(
        matches!(published.check(&teaser), Verdict::Drop(d) if d.rule == "gopher_ellipsis_lines")
    );
    let news = QualityConfig {
        min_lines_for_line_rules: 5,
        ..QualityConfig::default()
    }
    .build()
    .unwrap();
    assert!(matches!(news.check(&teaser), Verdict::Keep));
    assert!(
        matches!(news.check(&lines.join("\n")), Verdict::Drop(d) if d.rule == "gopher_ellipsis_lines")
    );
}

/// The line-structure rules judge plain text only, unless `line_rules_on_html`: an extracted
/// page with a code sample has many lines ending in "..." and short lines by construction.
#[test]
fn line_structure_rules_skip_extracted_pages() {
    let code = "list: [\n...\n]\n".repeat(8);
    let text = format!("{BBC}\n{code}");
    let plain = rule(&text).expect("a line-structure rule drops it as plain text");
    assert_eq!(plain, "fineweb_short_line_ratio");
    assert_eq!(q().check_html(&text), Verdict::Keep);
    let strict = QualityConfig {
        line_rules_on_html: true,
        ..QualityConfig::default()
    }
    .build()
    .unwrap();
    assert!(matches!(strict.check_html(&text), Verdict::Drop(d) if d.rule == plain));
    // The character-share repetition rules still apply to pages.
    let doubled = format!("{BBC}\n{BBC}");
    assert!(matches!(q().check_html(&doubled), Verdict::Drop(_)));
}

/// An extracted page is judged by its prose: its data-table rows and code lines (listed in
/// `Doc::data_lines`) are set aside, unless `data_lines_on_html` or too little prose is left.
#[test]
fn extracted_pages_are_judged_by_their_prose() {
    let rows: Vec<String> = (1..=30)
        .map(|i| {
            format!(
                "{i} Team{i} {} {}% {}.{} ${},000",
                20 + i,
                40 + i,
                i % 4,
                i % 10,
                100 + i
            )
        })
        .collect();
    let text = format!("{BBC}\n{}", rows.join("\n"));
    assert_eq!(rule(&text), Some("gopher_alpha_words"));
    let key = |l: &str| crate::clean::html::line_key(l).unwrap();
    let mut data: Vec<u64> = rows.iter().map(|r| key(r)).collect();
    data.sort_unstable();
    let page = |text: &str, on_html: bool| {
        let mut doc = Doc::from_text("page", text);
        doc.from_html = true;
        doc.data_lines = data.clone();
        let q = QualityConfig {
            data_lines_on_html: on_html,
            ..QualityConfig::default()
        }
        .build()
        .unwrap();
        let mut counters = Counters::default();
        let v = q.process(&mut doc, &mut counters);
        (v, counters.get("quality", "data_lines_spared_html"))
    };
    assert_eq!(page(&text, false), (Verdict::Keep, 1));
    let (v, spared) = page(&text, true);
    assert!(matches!(v, Verdict::Drop(d) if d.rule == "gopher_alpha_words"));
    assert_eq!(spared, 0);
    // The same text as plain text is judged whole.
    let mut plain = Doc::from_text("plain", text.as_str());
    plain.data_lines = data.clone();
    assert!(matches!(
        q().process(&mut plain, &mut Counters::default()),
        Verdict::Drop(_)
    ));
    // A table under two lines of prose: too little prose to judge, the whole page is judged.
    let short = format!(
        "A short note on the table.\nFigures below.\n{}",
        rows.join("\n")
    );
    assert!(matches!(page(&short, false).0, Verdict::Drop(_)));
    assert_eq!(q().prose(&short, &data), None);
    assert_eq!(q().prose(&text, &data).as_deref(), Some(BBC));
}

/// Norwegian, which the identifier confuses with Danish (a low-confidence guess between the
/// two), is still not English: the English word rules do not judge it. A list of names, which
/// any language profile fits, is still judged by them.
#[test]
fn related_languages_skip_the_english_word_rules() {
    let norwegian = "Det har vært en annerledes sommer for fotballskolene rundt om i landet. \
        Mange klubber var bekymret for at færre barn skulle melde seg på etter en lang periode \
        med stengte baner og avlyste treninger.\n\n\
        Likevel viser ferske tall at nesten femti tusen barn har deltatt i løpet av sommeren, \
        og det er vi veldig glade for, sier generalsekretæren i forbundet. Barneidretten er \
        viktig for samhold, mestring og fysisk aktivitet, og derfor har vi jobbet hardt for å \
        holde tilbudet oppe.\n\n\
        Fotballskolene ble arrangert med strenge smittevernregler. Foreldrene måtte holde \
        avstand, og trenerne delte barna inn i mindre grupper enn vanlig. Neste år håper \
        arrangørene å kunne ønske enda flere velkommen tilbake til banene.";
    let mut counters = Counters::default();
    let mut doc = Doc::from_text("nor", norwegian);
    assert!(
        matches!(q().process(&mut doc, &mut counters), Verdict::Keep),
        "dropped by {:?}",
        q().check(norwegian)
    );
    assert_eq!(counters.get("quality", "word_rules_skipped_lang"), 1);
    let names = "Paulo Ferreira, Robben, Lampard, Cole, Terry, Gallas, Makelele, Tiago, Duff, \
        Drogba, Gudjohnsen. "
        .repeat(6);
    assert_eq!(rule(&names), Some("gopher_stop_words"));
}

/// Words of Han and kana characters count one per character, so they are left out of the mean
/// word length: an English article quoting Japanese at length is measured by its English.
#[test]
fn quoted_japanese_does_not_shorten_english_words() {
    let quote = "\u{307f}\u{3093}\u{306a}\u{306b}\u{77e5}\u{3063}\u{3066}\u{304a}\u{3044}\u{3066}\u{6b32}\u{3057}\u{3044}\u{3093}\u{3060}\u{3051}\u{3069}\u{3001}\u{76ee}\u{306e}\u{524d}\u{3067}\u{898b}\u{3064}\u{3051}\u{308b}\u{3053}\u{3068}\u{304c}\u{3042}\u{308b}\u{3093}\u{3067}\u{3059}\u{3088}\u{3002}";
    // Twelve different lines: the quote rotated by one character each time.
    let chars: Vec<char> = quote.chars().collect();
    let lines: Vec<String> = (0..12)
        .map(|i| chars[i..].iter().chain(&chars[..i]).collect())
        .collect();
    let text = format!("{BBC}\n\n{}", lines.join("\n\n"));
    assert_eq!(rule(&text), None);
    // Counted as one-letter words, the quotes would have brought the mean under 3.
    let han: usize = text
        .chars()
        .filter(|c| ('\u{3040}'..='\u{9fff}').contains(c))
        .count();
    let spaced: usize = BBC.split_whitespace().count();
    let letters: usize = BBC.chars().filter(|c| c.is_alphanumeric()).count();
    assert!(((letters + han) as f64 / (spaced + han) as f64) < 3.0);
}

/// Prose is mostly lowercase words; a list of names is not; a script without letter case says
/// nothing either way and is left to the identifier.
#[test]
fn lowercase_share_tells_prose_from_names() {
    assert!(mostly_lowercase(
        "Det har vært en annerledes sommer for fotballskolene."
    ));
    assert!(!mostly_lowercase(
        "Paulo Ferreira, Robben, Lampard, Cole, Terry, Gallas."
    ));
    assert!(mostly_lowercase(
        "\u{0627}\u{0644}\u{0633}\u{0644}\u{0627}\u{0645} \u{0639}\u{0644}\u{064a}\u{0643}\u{0645}"
    ));
}
