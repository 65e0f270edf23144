use super::*;

const PARAS: &[&str] = &[
    "Showers continued throughout the week in the Bahia cocoa zone, alleviating the drought since early January and improving prospects for the coming temporao, although normal humidity levels have not been restored, Comissaria Smith said in its weekly review.",
    "The dry period means the temporao will be late this year.",
    "Arrivals for the week ended February 22 were 155,221 bags of 60 kilos making a cumulative total for the season of 5.93 mln against 5.81 at the same stage last year. Again it seems that cocoa delivered earlier on consignment was included in the arrivals figures.",
    "Comissaria Smith said there is still some doubt as to how much old crop cocoa is still available as harvesting has practically come to an end. With total Bahia crop estimates around 6.4 mln bags and sales standing at almost 6.2 mln there are a few hundred thousand bags still in the hands of farmers, middlemen, exporters and processors.",
];

/// Greedy wrap at `width` columns; paragraphs start with `indent` spaces, or are separated by a
/// blank line when `indent` is 0.
fn wrap(paras: &[&str], width: usize, indent: usize) -> String {
    let mut out = String::new();
    for (pi, p) in paras.iter().enumerate() {
        if pi > 0 && indent == 0 {
            out.push('\n');
        }
        let mut line = " ".repeat(indent);
        let mut fresh = true;
        for w in p.split(' ') {
            if !fresh && line.chars().count() + 1 + w.chars().count() > width {
                out.push_str(&line);
                out.push('\n');
                line.clear();
                fresh = true;
            }
            if !fresh {
                line.push(' ');
            }
            line.push_str(w);
            fresh = false;
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn run(text: &str) -> (String, UnwrapStats) {
    let mut s = UnwrapStats::default();
    let out = Unwrap::default()
        .unwrap(text, &mut s)
        .unwrap_or_else(|| text.to_string());
    (out, s)
}

fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

#[test]
fn joins_indented_paragraphs() {
    for width in [60, 65, 70, 75] {
        let text = wrap(PARAS, width, 4) + " Reuter\n";
        let (out, s) = run(&text);
        let got = paragraphs(&out);
        assert_eq!(&got[..4], PARAS, "width {width}:\n{out}");
        assert_eq!(got[4], "Reuter");
        assert!(s.blocks >= 3, "width {width}");
    }
}

#[test]
fn joins_blank_line_paragraphs() {
    for width in [60, 68, 72] {
        let text = wrap(PARAS, width, 0);
        let (out, s) = run(&text);
        assert_eq!(paragraphs(&out), PARAS, "width {width}:\n{out}");
        assert!(s.lines_joined >= 8);
    }
}

#[test]
fn hyphenated_words_are_rejoined() {
    let text = "The company said its first quarter results were hurt by the strike\nat its main plant, which lasted for six weeks and was its longest and most cost-\nly stoppage in lost production, and that it expected a better second\nquarter as output returns to normal levels at all of its factories.\n";
    let (out, _) = run(text);
    // The hyphen stays (it may be part of the word); the line break goes.
    assert!(out.contains("most cost-ly stoppage"), "{out}");
}

#[test]
fn paragraph_per_line_text_is_untouched() {
    let text = PARAS.join("\n");
    let mut s = UnwrapStats::default();
    assert_eq!(Unwrap::default().unwrap(&text, &mut s), None);
    let text = PARAS.join("\n\n");
    assert_eq!(Unwrap::default().unwrap(&text, &mut s), None);
    assert_eq!(s, UnwrapStats::default());
}

#[test]
fn lists_tables_and_figures_are_left_alone() {
    let table = "    Shr 40 cts vs 31 cts\n    Net 1,234,000 vs 987,000\n    Revs 12.3 mln vs 10.1 mln\n    Nine mths\n    Shr 1.10 dlrs vs 90 cts\n    Net 3,456,000 vs 2,890,000\n";
    let list = "- The first item on the list is quite long and goes on for a while\n- the second item is also long and goes on for a while longer\n- the third item is long too and it also goes on for a while\n";
    let columns = "Wheat      1,234.5     1,198.0     +3.0 pct\nCorn         987.2       990.1     -0.3 pct\nSoybeans     456.7       430.2     +6.2 pct\n";
    let text = format!(
        "{}\n{table}\n{list}\n{columns}\n{}",
        wrap(&PARAS[..2], 66, 4),
        wrap(&PARAS[2..], 66, 4)
    );
    let (out, s) = run(&text);
    assert!(out.contains(table.trim_end()), "{out}");
    assert!(out.contains(list.trim_end()), "{out}");
    assert!(out.contains(columns.trim_end()), "{out}");
    assert!(s.blocks >= 3);
    assert!(out.contains(PARAS[0]), "{out}");
}

#[test]
fn addresses_verse_headlines_and_datelines_are_left_alone() {
    let address = "Acme Holdings plc\n12 Harbour Street\nLondon EC1A 1BB\nUnited Kingdom\n";
    let verse = "Shall I compare thee to a summer's day?\nThou art more lovely and more temperate:\nRough winds do shake the darling buds of May,\nAnd summer's lease hath all too short a date;\nSometime too hot the eye of heaven shines,\nAnd often is his gold complexion dimm'd;\n";
    let headlines = "U.S. FIRM SAYS QUARTERLY PROFITS ROSE SHARPLY ON HIGHER SALES\nMore From The Business Desk About Markets And Company Results\nCentral Bank Holds Interest Rates Steady As Inflation Slows Down\nOil Prices Climb After Producers Agree To Cut Output Next Year\n";
    let dateline = "NEW YORK, March 3 -\n";
    for block in [address, verse, headlines] {
        let (out, s) = run(block);
        assert_eq!(out, block);
        assert_eq!(s, UnwrapStats::default());
    }
    let text = format!("{headlines}\n{dateline}{}\n{address}", wrap(PARAS, 68, 4));
    let (out, _) = run(&text);
    assert!(out.starts_with(headlines), "{out}");
    assert!(out.contains(dateline), "{out}");
    assert!(out.contains(address.trim_end()), "{out}");
    for p in PARAS {
        assert!(out.contains(p), "missing {p:?} in\n{out}");
    }
}

#[test]
fn code_is_left_alone() {
    let code = "fn main() {\n    let total_cost_of_the_operation = compute_the_cost(first, second);\n    println!(\"the total cost of the operation is {}\", total_cost_of_the);\n    let another_value_that_is_long = compute_another_value(third, fourth);\n}\n";
    let (out, _) = run(code);
    assert_eq!(out, code);
}

#[test]
fn deterministic_and_idempotent() {
    for width in [60, 64, 70, 75] {
        for indent in [0, 2, 4] {
            let text = wrap(PARAS, width, indent);
            let (a, _) = run(&text);
            let (b, _) = run(&text);
            assert_eq!(a, b);
            let mut s = UnwrapStats::default();
            let again = Unwrap::default().unwrap(&a, &mut s);
            assert!(again.is_none(), "width {width} indent {indent}: {again:?}");
        }
    }
}

#[test]
fn windows_line_endings_and_tabs() {
    let text = wrap(PARAS, 70, 0).replace('\n', "\r\n");
    let (out, _) = run(&text);
    assert_eq!(paragraphs(&out.replace('\r', "")), PARAS);
    let text = wrap(PARAS, 66, 4).replace("\n    ", "\n\t");
    let (out, _) = run(&text);
    assert_eq!(paragraphs(&out), PARAS, "{out}");
}

#[test]
fn config_is_validated() {
    let bad = UnwrapConfig {
        min_width: 100,
        max_width: 50,
        ..UnwrapConfig::default()
    };
    assert!(bad.build().is_err());
    assert!(UnwrapConfig::default().build().is_ok());
}

/// Wrapped lines each followed by a blank line (archives that double-space, or a paragraph
/// splitter that took every line for a paragraph) are rejoined too.
#[test]
fn joins_double_spaced_lines() {
    let text = wrap(PARAS, 66, 0).replace('\n', "\n\n");
    let (out, s) = run(&text);
    assert_eq!(paragraphs(&out), PARAS, "{out}");
    assert!(s.lines_joined >= 8);
    // One paragraph per line with blank lines between is left alone.
    let text = PARAS.join("\n\n");
    assert_eq!(run(&text).0, text);
}

/// Regression: a document whose lower-case-followed lines are all shorter than the narrowest
/// width's window once sliced the width histogram with a width of 0 and panicked.
#[test]
fn short_lines_only() {
    let text = "ab cd\nef gh\nij kl\nmn op\nqr st\n";
    assert_eq!(run(text).0, text);
}

/// Regression: a sign-off after a last line that reaches the wrap width was joined to it
/// (so the paragraph no longer ended like a sentence).
#[test]
fn sign_off_after_a_full_last_line_stands_alone() {
    let text = "The festival is being opened by a screening of quirky comedy Happy\nEndings, starring former actress Lisa Kudrow, on Thursday evening.\nIt also has two new international cinema competitions this year too.\nREUTER\n";
    let (out, _) = run(text);
    assert!(out.trim_end().ends_with("this year too.\nREUTER"), "{out}");
}
