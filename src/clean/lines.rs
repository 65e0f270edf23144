//! Line-level boilerplate rules: the first cleaning stage after normalization.
//!
//! Works on normalized text (trimmed lines, single spaces, at most one blank line between
//! paragraphs) and removes site furniture line by line, in the spirit of the C4 line filter but
//! tuned for news, where headlines, datelines, list items and tables of figures are legitimate
//! short lines. Each line is classified once with a byte scan and, for short lines only, one
//! Aho-Corasick pass over the lowercased line ([`super::lexicon`]):
//!
//! * **boilerplate** — a lexicon phrase (navigation, call to action, share/follow prompt,
//!   cookie/policy notice, button label, byline/credit/timestamp, copyright) on a line of at most
//!   `keyword_max_words` words (or two distinct phrases on a line of at most `policy_max_words`
//!   words), a bare byline ("By Jane Doe"), or a line of at most `short_max_words` words with no
//!   terminal punctuation and no digits (C4's rule, restricted to very short lines). Always
//!   removed, except the last rule on text the `html` stage extracted (`short_on_html`): there a
//!   short line is a heading, list item, table cell or code line the extractor kept as part of
//!   the article, and menus and buttons are already gone.
//! * **title-like** — no terminal punctuation, at most `title_max_words` words, no digits, not a
//!   list item: a headline, caption or related-story link. Removed only where it cannot be body:
//!   at the head or tail of the document (edge peeling) or right after a navigation heading.
//! * **body** — everything else; kept, except inside an appeal block.
//!
//! **Repeated paragraphs** (`dedupe_paragraphs`, on in the news profile): a line of at least
//! [`REPEAT_MIN_WORDS`] words that repeats an earlier line of the same document verbatim, or
//! but for a final full stop (an agency re-sending a paragraph), is removed, so the article is
//! kept with each paragraph once instead of being dropped by the repetition filters.
//!
//! **Distrust**: when the position rules (edge peeling, lines after navigation headings) would
//! remove more than `max_prose_removed` of the words of the lines that carry no boilerplate
//! phrase, they misjudge this document (typically hard-wrapped text that paragraph
//! reconstruction left as lines): only the phrase rules are applied to it, and it is counted as
//! `line_rules.distrusted`. The rules never silently empty an article. Text the `html` stage
//! extracted has a lower share, `max_prose_removed_html`: its furniture is already gone.
//!
//! **Appeal block**: a call-to-action heading in the back part of a document ("Sign up for our
//! newsletter", "A message from ...", "Support us") followed, up to the end, by text dominated by
//! appeal vocabulary (second person, "our", support, journalism, subscribe, ...) is dropped as a
//! whole. This catches full-sentence donation and newsletter appeals in a single document, where
//! the per-site repeated-line stage cannot help.

use serde::{Deserialize, Serialize};

use super::lexicon::{is_word_byte, Cat, Lexicon};
use crate::doc::Doc;
use crate::stage::{Counters, Stage, Verdict};

/// Names of the rules of this stage, as used in `disabled_rules` and `stats.json`.
pub const RULES: &[&str] = &[
    "navigation",
    "call_to_action",
    "share_follow",
    "cookie_policy",
    "button_label",
    "byline_credit",
    "copyright",
    "custom_phrase",
    "short_no_punct",
    "edge_title",
    "appeal_block",
    "repeated_paragraph",
];

/// Fewest words a line needs before a verbatim repeat of it is removed as a repeated
/// paragraph: shorter repeats ("Advertisement", table rows) are left to the other rules.
pub const REPEAT_MIN_WORDS: usize = 6;

/// Config for the `[line_rules]` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LineRulesConfig {
    /// Run this stage (default true).
    pub enabled: bool,
    /// Rules to switch off, by name (default none). Names: navigation, call_to_action,
    /// share_follow, cookie_policy, button_label, byline_credit, copyright, custom_phrase,
    /// short_no_punct, edge_title, appeal_block, repeated_paragraph.
    pub disabled_rules: Vec<String>,
    /// A lexicon phrase removes a line of at most this many words (default 15).
    pub keyword_max_words: usize,
    /// Two distinct lexicon phrases remove a line of at most this many words, e.g. a cookie
    /// notice written as a sentence (default 40).
    pub policy_max_words: usize,
    /// Lines of at most this many words with no terminal punctuation and no digits are removed
    /// anywhere (default 3; 0 switches the rule off).
    pub short_max_words: usize,
    /// Apply the `short_max_words` rule to text the `html` stage extracted from a web page
    /// (default false: its short lines are the article's headings, list items, table cells and
    /// code lines; the extractor already left menus and buttons out).
    pub short_on_html: bool,
    /// Lines of at most this many words with no terminal punctuation count as title-like and
    /// are removed at the document's head and tail and after navigation headings (default 15).
    pub title_max_words: usize,
    /// Peel boilerplate and title-like lines off the head and tail of each document
    /// (default true; the rule is also switchable as `edge_title`).
    pub peel_edges: bool,
    /// Share of appeal words (you, your, our, support, subscribe, journalism, ...) from a
    /// call-to-action heading to the end of the document above which that whole tail is
    /// removed (default 0.08).
    pub appeal_block_density: f64,
    /// The call-to-action heading of an appeal block must start after this fraction of the
    /// document's characters (default 0.3), so an article's opening is never cut.
    pub appeal_block_min_start: f64,
    /// Extra phrases (case-insensitive, matched on word boundaries anywhere in short lines)
    /// that mark a line as boilerplate under the rule `custom_phrase` (default none).
    pub extra_phrases: Vec<String>,
    /// Remove later verbatim repeats of a line of at least six words within a document (rule
    /// `repeated_paragraph`; default false, the news profile sets true).
    pub dedupe_paragraphs: bool,
    /// When edge peeling and the after-heading rule would remove more than this share of the
    /// words of a document's lines that carry no boilerplate phrase, they are not applied to
    /// that document (counted as `distrusted`; default 0.8; 1.0 switches the check off).
    pub max_prose_removed: f64,
    /// The same share for text the `html` stage extracted (default 0.5). The extractor has
    /// already taken the page's furniture away, so a long run of title-like lines at an edge
    /// of what is left (a list of patches, the items of a guide) is more often the article's
    /// than the page's.
    pub max_prose_removed_html: f64,
}

impl Default for LineRulesConfig {
    fn default() -> Self {
        LineRulesConfig {
            enabled: true,
            disabled_rules: Vec::new(),
            keyword_max_words: 15,
            policy_max_words: 40,
            short_max_words: 3,
            short_on_html: false,
            title_max_words: 15,
            peel_edges: true,
            appeal_block_density: 0.08,
            appeal_block_min_start: 0.3,
            extra_phrases: Vec::new(),
            dedupe_paragraphs: false,
            max_prose_removed: 0.8,
            max_prose_removed_html: 0.5,
        }
    }
}

impl LineRulesConfig {
    /// Validates the config and builds the stage.
    pub fn build(&self) -> crate::Result<LineRules> {
        let mut disabled = [false; RULES.len()];
        for name in &self.disabled_rules {
            match RULES.iter().position(|r| r == name) {
                Some(i) => disabled[i] = true,
                None => {
                    return Err(crate::Error::Config(format!(
                        "line_rules.disabled_rules: unknown rule `{name}` (known rules: {})",
                        RULES.join(", ")
                    )))
                }
            }
        }
        if !(0.0..=1.0).contains(&self.appeal_block_density) {
            return Err(crate::Error::Config(format!(
                "line_rules.appeal_block_density = {} is outside 0..=1; use a share such as 0.08",
                self.appeal_block_density
            )));
        }
        if !(0.0..=1.0).contains(&self.appeal_block_min_start) {
            return Err(crate::Error::Config(format!(
                "line_rules.appeal_block_min_start = {} is outside 0..=1; use a fraction such as 0.3",
                self.appeal_block_min_start
            )));
        }
        if !(0.0..=1.0).contains(&self.max_prose_removed) {
            return Err(crate::Error::Config(format!(
                "line_rules.max_prose_removed = {} is outside 0..=1; use a share such as 0.8",
                self.max_prose_removed
            )));
        }
        if !(0.0..=1.0).contains(&self.max_prose_removed_html) {
            return Err(crate::Error::Config(format!(
                "line_rules.max_prose_removed_html = {} is outside 0..=1; use a share such as 0.5",
                self.max_prose_removed_html
            )));
        }
        if self.policy_max_words < self.keyword_max_words {
            return Err(crate::Error::Config(format!(
                "line_rules.policy_max_words ({}) must be at least keyword_max_words ({})",
                self.policy_max_words, self.keyword_max_words
            )));
        }
        if let Some(p) = self.extra_phrases.iter().find(|p| p.trim().is_empty()) {
            return Err(crate::Error::Config(format!(
                "line_rules.extra_phrases: empty phrase {p:?}; remove it"
            )));
        }
        Ok(LineRules {
            enabled: self.enabled,
            lexicon: Lexicon::new(&self.extra_phrases)?,
            disabled,
            keyword_max_words: self.keyword_max_words,
            policy_max_words: self.policy_max_words,
            short_max_words: self.short_max_words,
            short_on_html: self.short_on_html,
            title_max_words: self.title_max_words,
            peel_edges: self.peel_edges && !disabled[rule_index("edge_title")],
            appeal_block: !disabled[rule_index("appeal_block")],
            appeal_block_density: self.appeal_block_density,
            appeal_block_min_start: self.appeal_block_min_start,
            dedupe_paragraphs: self.dedupe_paragraphs && !disabled[REPEAT],
            max_prose_removed: self.max_prose_removed,
            max_prose_removed_html: self.max_prose_removed_html,
        })
    }
}

fn rule_index(name: &str) -> usize {
    RULES.iter().position(|r| *r == name).unwrap_or(0)
}

/// The line-rules stage.
#[derive(Clone, Debug)]
pub struct LineRules {
    enabled: bool,
    lexicon: Lexicon,
    disabled: [bool; RULES.len()],
    keyword_max_words: usize,
    policy_max_words: usize,
    short_max_words: usize,
    short_on_html: bool,
    title_max_words: usize,
    peel_edges: bool,
    appeal_block: bool,
    appeal_block_density: f64,
    appeal_block_min_start: f64,
    dedupe_paragraphs: bool,
    max_prose_removed: f64,
    max_prose_removed_html: f64,
}

/// How one line was classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Blank,
    /// Boilerplate by the rule with this index in [`RULES`].
    Boiler(u8),
    /// Title-like: removable at the edges and after navigation headings.
    Title,
    /// A short line that ends like a sentence: may be peeled only between boilerplate lines.
    ShortSentence,
    Body,
}

#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    end: usize,
    class: Class,
    words: usize,
    /// Rule index that removed the line, if removed.
    removed: Option<u8>,
    /// The html stage wrote the line from a data-table row or preformatted text
    /// ([`Doc::data_lines`]).
    data: bool,
}

/// Longest line (bytes) that is lowercased and matched against the lexicon.
const MAX_MATCH_BYTES: usize = 512;

impl LineRules {
    /// Cleans `text`, returning the new text (None when nothing was removed) and adding the
    /// number of removed lines per rule to `counts` (indexed like [`RULES`]).
    pub fn clean(&self, text: &str, counts: &mut [u64; RULES.len()]) -> Option<String> {
        self.clean_checked(text, false, &[], counts).0
    }

    /// [`LineRules::clean`], also saying whether the position rules were distrusted for this
    /// document (see the module docs). `from_html`: the text was extracted by the `html` stage
    /// (the very-short-line rule then applies only with `short_on_html`). `data_lines`: the keys
    /// of the lines it wrote from data-table rows and preformatted text ([`Doc::data_lines`]);
    /// three or more of them in a row are not title-like, so a table or code sample closing an
    /// article is not peeled off as furniture, and none is removed as a repeated paragraph.
    pub fn clean_checked(
        &self,
        text: &str,
        from_html: bool,
        data_lines: &[u64],
        counts: &mut [u64; RULES.len()],
    ) -> (Option<String>, bool) {
        let short = !self.disabled[SHORT] && (!from_html || self.short_on_html);
        let mut lines = Vec::with_capacity(64);
        let mut buf = [0u8; MAX_MATCH_BYTES];
        let bytes = text.as_bytes();
        let mut pos = 0;
        while pos <= bytes.len() {
            let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
            let line = &text[pos..end];
            let (class, words) = self.classify(line, short, &mut buf);
            lines.push(Line {
                start: pos,
                end,
                class,
                words,
                removed: None,
                data: crate::clean::html::is_data_line(line, data_lines),
            });
            pos = end + 1;
        }
        if !data_lines.is_empty() {
            protect_tables(&mut lines);
        }
        for l in lines.iter_mut() {
            if let Class::Boiler(r) = l.class {
                l.removed = Some(r);
            }
        }
        self.after_headings(&mut lines);
        if self.appeal_block {
            self.appeal_tail(text, &mut lines);
        }
        if self.peel_edges {
            peel(&mut lines, false);
            peel(&mut lines, true);
        }
        let max_removed = if from_html {
            self.max_prose_removed_html
        } else {
            self.max_prose_removed
        };
        let distrusted = self.distrust(&mut lines, max_removed);
        if self.dedupe_paragraphs {
            dedupe(text, &mut lines);
        }
        let mut any = false;
        for l in &lines {
            if let (Some(r), false) = (l.removed, l.class == Class::Blank) {
                counts[r as usize] += 1;
                any = true;
            }
        }
        if !any {
            return (None, distrusted);
        }
        (Some(join_kept(text, &lines)), distrusted)
    }

    /// Undoes the position rules' removals (edge peeling, lines after navigation headings)
    /// when they would take more than `max_removed` of the words of the lines that carry
    /// no boilerplate phrase. Returns whether it did.
    fn distrust(&self, lines: &mut [Line], max_removed: f64) -> bool {
        let (mut prose, mut removed) = (0usize, 0usize);
        for l in lines.iter() {
            if matches!(l.class, Class::Title | Class::ShortSentence | Class::Body) {
                prose += l.words;
                if l.removed.is_some() {
                    removed += l.words;
                }
            }
        }
        if prose == 0 || removed as f64 <= max_removed * prose as f64 {
            return false;
        }
        let mut undone = false;
        for l in lines.iter_mut() {
            // Phrase-rule lines (class Boiler) stay removed, whichever rule took them.
            let positional =
                matches!(l.removed, Some(r) if r as usize == EDGE || r as usize == NAV);
            if positional && !matches!(l.class, Class::Boiler(_)) {
                l.removed = None;
                undone = true;
            }
        }
        undone
    }

    /// Classifies one line (`short`: apply the very-short-line rule); returns the class and
    /// the word count.
    fn classify(&self, line: &str, short: bool, buf: &mut [u8; MAX_MATCH_BYTES]) -> (Class, usize) {
        let b = line.as_bytes();
        if b.is_empty() {
            return (Class::Blank, 0);
        }
        let (spaces, digits) = spaces_and_digits(b);
        let words = spaces + 1;
        let terminal = ends_terminal(b);
        if words <= self.policy_max_words && b.len() <= MAX_MATCH_BYTES {
            let lower = &mut buf[..b.len()];
            for (d, s) in lower.iter_mut().zip(b) {
                *d = s.to_ascii_lowercase();
            }
            let core = core_range(lower);
            let label = !terminal || words <= 4;
            let mut first: Option<Cat> = None;
            let mut distinct = 0u32;
            let mut last_pat = u32::MAX;
            self.lexicon.hits(lower, core, label, |h| {
                if self.disabled[cat_rule(h.cat)] {
                    return;
                }
                if first.is_none() {
                    first = Some(h.cat);
                }
                if h.pattern != last_pat {
                    distinct += 1;
                    last_pat = h.pattern;
                }
            });
            if let Some(cat) = first {
                if words <= self.keyword_max_words || distinct >= 2 {
                    return (Class::Boiler(cat_rule(cat) as u8), words);
                }
            }
            if !terminal && words <= 6 && !self.disabled[CREDIT] && is_byline(b) {
                return (Class::Boiler(CREDIT as u8), words);
            }
        }
        let list_item = is_list_item(b);
        // A line ending in a colon introduces what follows ("The winners were:").
        let intro = b.last() == Some(&b':');
        if !terminal && !intro && !digits && !list_item {
            if words <= self.short_max_words && short {
                return (Class::Boiler(SHORT as u8), words);
            }
            if words <= self.title_max_words {
                return (Class::Title, words);
            }
        }
        if words <= self.title_max_words && !list_item {
            return (Class::ShortSentence, words);
        }
        (Class::Body, words)
    }

    /// Removes title-like lines that follow a navigation heading ("Related stories", "Most
    /// read") up to the next body line: related-story lists in the middle of a page.
    fn after_headings(&self, lines: &mut [Line]) {
        let mut active = false;
        for l in lines.iter_mut() {
            match l.class {
                Class::Boiler(r) if r as usize == NAV => active = true,
                Class::Blank | Class::Boiler(_) => {}
                Class::Title if active => l.removed = Some(NAV as u8),
                _ => active = false,
            }
        }
    }

    /// Drops the tail of the document from a call-to-action heading on when the text after
    /// the heading is dominated by appeal vocabulary.
    fn appeal_tail(&self, text: &str, lines: &mut [Line]) {
        let min_start = (text.len() as f64 * self.appeal_block_min_start) as usize;
        let Some(first) = lines
            .iter()
            .position(|l| l.start >= min_start && l.class == Class::Boiler(CTA as u8))
        else {
            return;
        };
        // Suffix sums of (appeal words, words) from `first` to the end.
        let n = lines.len();
        let mut hits = vec![0usize; n - first + 1];
        let mut words = vec![0usize; n - first + 1];
        for i in (first..n).rev() {
            let l = &lines[i];
            let (h, w) = appeal_counts(&text[l.start..l.end]);
            hits[i - first] = hits[i - first + 1] + h;
            words[i - first] = words[i - first + 1] + w;
        }
        for i in first..n {
            if lines[i].class != Class::Boiler(CTA as u8) {
                continue;
            }
            // The heading itself is always appeal-dense: judge what follows it.
            let (h, w) = (hits[i - first + 1], words[i - first + 1]);
            if w > 0 && h as f64 >= self.appeal_block_density * w as f64 {
                for l in &mut lines[i..] {
                    if l.removed.is_none() {
                        l.removed = Some(APPEAL as u8);
                    }
                }
                return;
            }
        }
    }
}

const NAV: usize = 0;
const CTA: usize = 1;
const CREDIT: usize = 5;
const SHORT: usize = 8;
const EDGE: usize = 9;
const APPEAL: usize = 10;
const REPEAT: usize = 11;

/// Marks later repeats of kept lines of at least [`REPEAT_MIN_WORDS`] words (verbatim, or but
/// for final `.`, `!` or `?`) as removed by `repeated_paragraph`. Data lines are left alone:
/// code and tables repeat lines on purpose.
fn dedupe(text: &str, lines: &mut [Line]) {
    let mut seen: Vec<u64> = Vec::new();
    for l in lines.iter_mut() {
        if l.removed.is_some() || l.words < REPEAT_MIN_WORDS || l.class == Class::Blank || l.data {
            continue;
        }
        // A re-sent paragraph may differ from the first copy only in its final full stop.
        let line = text[l.start..l.end].trim_end_matches(['.', '!', '?', ' ']);
        let h = xxhash_rust::xxh3::xxh3_64(line.as_bytes());
        if seen.contains(&h) {
            l.removed = Some(REPEAT as u8);
        } else {
            seen.push(h);
        }
    }
}

fn cat_rule(c: Cat) -> usize {
    match c {
        Cat::Nav => 0,
        Cat::Cta => 1,
        Cat::Share => 2,
        Cat::Policy => 3,
        Cat::Button => 4,
        Cat::Credit => 5,
        Cat::Copyright => 6,
        Cat::Custom => 7,
    }
}

/// Fewest data lines in a row that make a table or code sample the position rules leave alone.
const MIN_TABLE_LINES: usize = 3;

/// Makes the title-like lines of a data table or code sample ([`Doc::data_lines`]: at least
/// [`MIN_TABLE_LINES`] such lines in a row) body lines: a results table closing a report is
/// not furniture to peel. A row or two of a layout table (a date and a toolbar, a headline
/// and its section) can still be peeled.
fn protect_tables(lines: &mut [Line]) {
    let mut k = 0;
    while k < lines.len() {
        let run = lines[k..].iter().take_while(|l| l.data).count();
        if run >= MIN_TABLE_LINES {
            for l in &mut lines[k..k + run] {
                if matches!(l.class, Class::Title | Class::ShortSentence) {
                    l.class = Class::Body;
                }
            }
        }
        k += run.max(1);
    }
}

/// Peels removable lines off one end. Short sentence-like lines are peeled only when more
/// boilerplate lies beyond them, so an article's last short sentence survives.
fn peel(lines: &mut [Line], from_end: bool) {
    let n = lines.len();
    let idx = |k: usize| if from_end { n - 1 - k } else { k };
    // Furthest position (in peel order) of a removable line in the peelable region.
    let mut last_removable: Option<usize> = None;
    for k in 0..n {
        let l = &lines[idx(k)];
        match (l.class, l.removed) {
            (_, Some(_)) | (Class::Title, _) => last_removable = Some(k),
            (Class::Blank, _) | (Class::ShortSentence, _) => {}
            _ => break,
        }
    }
    let Some(last) = last_removable else { return };
    for k in 0..=last {
        let l = &mut lines[idx(k)];
        if l.removed.is_none() && l.class != Class::Blank {
            l.removed = Some(EDGE as u8);
        }
    }
}

/// Rebuilds the text from kept lines, keeping paragraph breaks and at most one blank line.
fn join_kept(text: &str, lines: &[Line]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_blank = false;
    for l in lines {
        if l.class == Class::Blank {
            pending_blank = true;
            continue;
        }
        if l.removed.is_some() {
            continue;
        }
        if !out.is_empty() {
            out.push_str(if pending_blank { "\n\n" } else { "\n" });
        }
        pending_blank = false;
        out.push_str(&text[l.start..l.end]);
    }
    out
}

/// Byte range of the line without leading bullets/symbols and trailing punctuation.
fn core_range(lower: &[u8]) -> (usize, usize) {
    let mut s = 0;
    while s < lower.len() && matches!(lower[s], b'-' | b'*' | b'|' | b'>' | b'#' | b' ' | b'+') {
        s += 1;
    }
    // A UTF-8 bullet "•" (E2 80 A2) or arrow "›" (E2 80 BA) before the text.
    if lower.len() >= s + 3
        && lower[s] == 0xE2
        && lower[s + 1] == 0x80
        && matches!(lower[s + 2], 0xA2 | 0xBA)
    {
        s += 3;
        while s < lower.len() && lower[s] == b' ' {
            s += 1;
        }
    }
    let mut e = lower.len();
    while e > s
        && matches!(
            lower[e - 1],
            b'.' | b'!' | b'?' | b':' | b' ' | b'>' | b'|' | b'-' | b')' | b'('
        )
    {
        e -= 1;
    }
    // Trailing arrows and ellipses, "»" (C2 BB), "…" (E2 80 A6), "→" (E2 86 92).
    loop {
        if e >= s + 2 && lower[e - 2] == 0xC2 && lower[e - 1] == 0xBB {
            e -= 2;
        } else if e >= s + 3
            && lower[e - 3] == 0xE2
            && ((lower[e - 2] == 0x80 && lower[e - 1] == 0xA6)
                || (lower[e - 2] == 0x86 && lower[e - 1] == 0x92))
        {
            e -= 3;
        } else {
            break;
        }
        while e > s && lower[e - 1] == b' ' {
            e -= 1;
        }
    }
    (s, e)
}

/// Number of words in `b` (spaces plus one, and one more per Chinese or Japanese character,
/// since those scripts are written without spaces) and whether it holds an ASCII digit, in one
/// pass over 32-byte blocks with byte-wide counters (which vectorizes).
fn spaces_and_digits(b: &[u8]) -> (usize, bool) {
    let mut spaces = 0usize;
    let mut digit = 0u8;
    let ideo = |c: u8| u8::from(super::is_cjk_lead(c));
    let mut blocks = b.chunks_exact(32);
    for blk in &mut blocks {
        let mut n = 0u8;
        for &c in blk {
            n += u8::from(c == b' ') + ideo(c);
            digit |= u8::from(c.wrapping_sub(b'0') < 10);
        }
        spaces += usize::from(n);
    }
    for &c in blocks.remainder() {
        spaces += usize::from(c == b' ') + usize::from(ideo(c));
        digit |= u8::from(c.wrapping_sub(b'0') < 10);
    }
    (spaces, digit != 0)
}

/// True when the line ends like a sentence: `.`, `!`, `?` or an ellipsis, possibly followed by
/// closing quotes or brackets.
fn ends_terminal(b: &[u8]) -> bool {
    let mut e = b.len();
    loop {
        if e == 0 {
            return false;
        }
        match b[e - 1] {
            b'"' | b'\'' | b')' | b']' => e -= 1,
            // Closing curly quotes (E2 80 9D / 99) and guillemet (C2 BB).
            0x9D | 0x99 if e >= 3 && b[e - 3] == 0xE2 && b[e - 2] == 0x80 => e -= 3,
            0xBB if e >= 2 && b[e - 2] == 0xC2 => e -= 2,
            // Closing corner brackets 」 』 (E3 80 8D / 8F).
            0x8D | 0x8F if e >= 3 && b[e - 3] == 0xE3 && b[e - 2] == 0x80 => e -= 3,
            b'.' | b'!' | b'?' => return true,
            // "…"
            0xA6 if e >= 3 && b[e - 3] == 0xE2 && b[e - 2] == 0x80 => return true,
            _ => return super::ends_other_script_stop(&b[..e]),
        }
    }
}

/// List items ("- text", "* text", "• text", "1. text") are body, never title-like.
fn is_list_item(b: &[u8]) -> bool {
    match b {
        [b'-' | b'*' | b'+', b' ', ..] => true,
        [0xE2, 0x80, 0xA2, ..] => true,
        _ => {
            let d = b.iter().take_while(|c| c.is_ascii_digit()).count();
            d > 0 && d < 4 && matches!(b.get(d), Some(b'.' | b')')) && b.get(d + 1) == Some(&b' ')
        }
    }
}

/// "By Jane Doe", "By Jane Doe and John Roe, Reuters": a byline with no other text.
fn is_byline(b: &[u8]) -> bool {
    let Some(rest) = b.strip_prefix(b"By ").or_else(|| b.strip_prefix(b"BY ")) else {
        return false;
    };
    rest.split(|&c| c == b' ').all(|w| {
        w.first()
            .is_some_and(|c| c.is_ascii_uppercase() || *c >= 0x80)
            || matches!(w, b"and" | b"&" | b"in" | b"de" | b"van" | b"von")
    })
}

/// Counts appeal words and all words in a line.
fn appeal_counts(line: &str) -> (usize, usize) {
    let b = line.as_bytes();
    let (mut hits, mut words) = (0, 0);
    let mut i = 0;
    let mut w = [0u8; 16];
    while i < b.len() {
        while i < b.len() && !is_word_byte(b[i]) {
            i += 1;
        }
        let s = i;
        while i < b.len() && is_word_byte(b[i]) {
            i += 1;
        }
        if i == s {
            break;
        }
        words += 1;
        let len = i - s;
        if len <= w.len() {
            for (d, c) in w.iter_mut().zip(&b[s..i]) {
                *d = c.to_ascii_lowercase();
            }
            if is_appeal_word(&w[..len]) {
                hits += 1;
            }
        }
    }
    (hits, words)
}

/// Vocabulary of donation, membership and newsletter appeals: direct address and the words
/// such appeals are made of. News bodies use these too, but rarely this densely.
fn is_appeal_word(w: &[u8]) -> bool {
    matches!(
        w,
        b"you"
            | b"your"
            | b"yours"
            | b"our"
            | b"us"
            | b"we"
            | b"support"
            | b"supporting"
            | b"supporter"
            | b"supporters"
            | b"donate"
            | b"donation"
            | b"donations"
            | b"contribute"
            | b"contribution"
            | b"contributions"
            | b"subscribe"
            | b"subscriber"
            | b"subscribers"
            | b"subscription"
            | b"newsletter"
            | b"newsletters"
            | b"inbox"
            | b"mailbox"
            | b"email"
            | b"journalism"
            | b"journalists"
            | b"independent"
            | b"reader"
            | b"readers"
            | b"member"
            | b"members"
            | b"membership"
            | b"join"
            | b"help"
            | b"please"
            | b"thank"
            | b"thanks"
            | b"free"
            | b"monthly"
            | b"weekly"
            | b"daily"
            | b"sign"
            | b"mission"
            | b"fund"
            | b"funding"
            | b"click"
            | b"app"
            | b"download"
            | b"follow"
            | b"privacy"
            | b"policy"
            | b"access"
            | b"unlimited"
            | b"account"
            | b"register"
    )
}

impl Stage for LineRules {
    fn name(&self) -> &'static str {
        "line_rules"
    }

    fn process(&self, doc: &mut Doc, counters: &mut Counters) -> Verdict {
        if !self.enabled {
            return Verdict::Keep;
        }
        let mut counts = [0u64; RULES.len()];
        let (cleaned, distrusted) =
            self.clean_checked(&doc.text, doc.from_html, &doc.data_lines, &mut counts);
        if let Some(t) = cleaned {
            doc.text = t;
        }
        counters.add("line_rules", "distrusted", u64::from(distrusted));
        for (rule, n) in RULES.iter().zip(counts) {
            counters.add("line_rules", rule, n);
        }
        Verdict::Keep
    }
}

#[cfg(test)]
#[path = "lines_tests.rs"]
mod tests;
