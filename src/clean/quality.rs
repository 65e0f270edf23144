//! Quality filters: Gopher quality and repetition (Rae et al. 2021), C4 document rules (Raffel
//! et al. 2020) and FineWeb rules (Penedo et al. 2024), with the published thresholds as
//! defaults and every threshold configurable.
//!
//! Runs on the cleaned text after the line rules and repeated-line removal; a document failing a
//! rule is dropped with `Drop { stage: "quality", rule, value, threshold }`. Rules are checked in
//! the order C4, Gopher quality, FineWeb, Gopher repetition (cheapest first), and the first
//! failing rule is reported. Words are whitespace-separated tokens; character measures count
//! UTF-8 bytes.

use memchr::memmem;
use serde::{Deserialize, Serialize};

use super::lang::{parse_codes, LangConfig, LangId};
use super::repetition;
use super::{ends_other_script_stop, is_cjk_lead};
use crate::doc::Doc;
use crate::stage::{Counters, Drop, Stage, Verdict};

/// Config for the `[quality]` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct QualityConfig {
    /// Run this stage (default true).
    pub enabled: bool,
    /// `[quality.gopher_quality]`
    pub gopher_quality: GopherQualityConfig,
    /// `[quality.gopher_repetition]`
    pub gopher_repetition: GopherRepetitionConfig,
    /// `[quality.c4]`
    pub c4: C4Config,
    /// `[quality.fineweb]`
    pub fineweb: FineWebConfig,
    /// Languages (ISO 639-3) the word rules were calibrated on (default `["eng"]`): the stop
    /// words, word count and mean word length of Gopher quality and C4's sentence count. A
    /// document failing one of them is identified as the `lang` stage does; in another
    /// language it skips those rules (counted as `quality.word_rules_skipped_lang`) and the
    /// other rules still apply. Empty: the word rules apply to every document.
    pub word_rule_languages: Vec<String>,
    /// Fewest non-empty lines before the line-share rules (Gopher bullet and ellipsis lines,
    /// FineWeb line punctuation and short lines) judge a document: a share of two or three
    /// lines is not evidence. Profile: news 5, web 1 (the published rules).
    pub min_lines_for_line_rules: usize,
    /// Judge text the `html` stage extracted from a web page by the line-structure rules too
    /// (Gopher bullet and ellipsis lines, FineWeb line punctuation, short lines and newlines
    /// per word, and the shares of duplicate lines and paragraphs counted by element; default
    /// false). Those rules read plain text whose lines are paragraphs; an extracted page has one
    /// line per heading, list item, table cell or code line, so an article with a code sample,
    /// a chart or a results table would fail them. A document one of them would have dropped
    /// is counted as `quality.line_rules_skipped_html`; the character-share repetition rules
    /// and every word rule still apply.
    pub line_rules_on_html: bool,
    /// Judge text the `html` stage extracted by its data-table rows and preformatted lines
    /// too (default false). Those lines are figures and code, not prose: a ranking table, a
    /// price series or a code sample fails the share of alphabetic words or the repeated
    /// n-gram rules however good the article around it. By default the rules read the other
    /// lines, when they hold at least `gopher_quality.min_words` words (else the whole text);
    /// the data lines stay in the output. A page the whole text would have failed is counted
    /// as `quality.data_lines_spared_html`.
    pub data_lines_on_html: bool,
}

impl Default for QualityConfig {
    fn default() -> Self {
        QualityConfig {
            enabled: true,
            gopher_quality: GopherQualityConfig::default(),
            gopher_repetition: GopherRepetitionConfig::default(),
            c4: C4Config::default(),
            fineweb: FineWebConfig::default(),
            word_rule_languages: vec!["eng".into()],
            min_lines_for_line_rules: 1,
            line_rules_on_html: false,
            data_lines_on_html: false,
        }
    }
}

/// Gopher quality rules.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GopherQualityConfig {
    /// Run these rules (default true).
    pub enabled: bool,
    /// Fewest words with a letter or digit (default 50).
    pub min_words: usize,
    /// Most words (default 100000).
    pub max_words: usize,
    /// Lowest mean word length in characters (default 3.0).
    pub min_mean_word_length: f64,
    /// Highest mean word length (default 10.0).
    pub max_mean_word_length: f64,
    /// Highest ratio of `#` symbols, and of ellipses, to words (default 0.1).
    pub max_symbol_word_ratio: f64,
    /// Highest share of lines starting with a bullet (default 0.9).
    pub max_bullet_lines_ratio: f64,
    /// Highest share of lines ending with an ellipsis (default 0.3).
    pub max_ellipsis_lines_ratio: f64,
    /// Lowest share of words containing a letter (default 0.8).
    pub min_alpha_words_ratio: f64,
    /// Fewest stop words (default 2).
    pub min_stop_words: usize,
    /// The stop words (default the Gopher list: the, be, to, of, and, that, have, with).
    pub stop_words: Vec<String>,
}

impl Default for GopherQualityConfig {
    fn default() -> Self {
        GopherQualityConfig {
            enabled: true,
            min_words: 50,
            max_words: 100_000,
            min_mean_word_length: 3.0,
            max_mean_word_length: 10.0,
            max_symbol_word_ratio: 0.1,
            max_bullet_lines_ratio: 0.9,
            max_ellipsis_lines_ratio: 0.3,
            min_alpha_words_ratio: 0.8,
            min_stop_words: 2,
            stop_words: ["the", "be", "to", "of", "and", "that", "have", "with"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// Gopher repetition rules.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GopherRepetitionConfig {
    /// Run these rules (default true).
    pub enabled: bool,
    /// Highest share of duplicate lines (default 0.3).
    pub max_dup_line_frac: f64,
    /// Highest share of duplicate paragraphs (default 0.3).
    pub max_dup_para_frac: f64,
    /// Highest share of characters in duplicate lines (default 0.2).
    pub max_dup_line_char_frac: f64,
    /// Highest share of characters in duplicate paragraphs (default 0.2).
    pub max_dup_para_char_frac: f64,
    /// Highest character share of the most frequent 2-, 3- and 4-gram (default
    /// [0.20, 0.18, 0.16]).
    pub max_top_ngram_char_frac: [f64; 3],
    /// Highest character share of duplicated 5- to 10-grams (default
    /// [0.15, 0.14, 0.13, 0.12, 0.11, 0.10]).
    pub max_dup_ngram_char_frac: [f64; 6],
}

impl Default for GopherRepetitionConfig {
    fn default() -> Self {
        GopherRepetitionConfig {
            enabled: true,
            max_dup_line_frac: 0.3,
            max_dup_para_frac: 0.3,
            max_dup_line_char_frac: 0.2,
            max_dup_para_char_frac: 0.2,
            max_top_ngram_char_frac: [0.20, 0.18, 0.16],
            max_dup_ngram_char_frac: [0.15, 0.14, 0.13, 0.12, 0.11, 0.10],
        }
    }
}

/// C4 document rules.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct C4Config {
    /// Run these rules (default true).
    pub enabled: bool,
    /// Drop documents containing "lorem ipsum" (default true).
    pub lorem_ipsum: bool,
    /// Drop documents containing a curly brace (default false: news about code or with
    /// embedded data is legitimate; C4 itself sets it).
    pub curly_braces: bool,
    /// Fewest sentences (default 5; 0 switches the rule off).
    pub min_sentences: usize,
}

impl Default for C4Config {
    fn default() -> Self {
        C4Config {
            enabled: true,
            lorem_ipsum: true,
            curly_braces: false,
            min_sentences: 5,
        }
    }
}

/// FineWeb rules.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FineWebConfig {
    /// Run these rules (default true).
    pub enabled: bool,
    /// Lowest share of lines ending in terminal punctuation (default 0.12).
    pub min_line_punct_ratio: f64,
    /// Highest share of short lines (default 0.67).
    pub max_short_line_ratio: f64,
    /// A line of at most this many characters is short (default 30).
    pub short_line_chars: usize,
    /// Highest ratio of newlines to words (default 0.3).
    pub max_newline_word_ratio: f64,
}

impl Default for FineWebConfig {
    fn default() -> Self {
        FineWebConfig {
            enabled: true,
            min_line_punct_ratio: 0.12,
            max_short_line_ratio: 0.67,
            short_line_chars: 30,
            max_newline_word_ratio: 0.3,
        }
    }
}

fn check_frac(key: &str, v: f64) -> crate::Result<()> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(crate::Error::Config(format!(
            "quality.{key} = {v} is outside 0..=1; set a share between 0 and 1"
        )))
    }
}

impl QualityConfig {
    /// Validates the config and builds the stage.
    pub fn build(&self) -> crate::Result<Quality> {
        let g = &self.gopher_quality;
        if g.min_words > g.max_words {
            return Err(crate::Error::Config(format!(
                "quality.gopher_quality.min_words ({}) exceeds max_words ({})",
                g.min_words, g.max_words
            )));
        }
        if g.min_mean_word_length > g.max_mean_word_length {
            return Err(crate::Error::Config(
                "quality.gopher_quality.min_mean_word_length exceeds max_mean_word_length".into(),
            ));
        }
        check_frac(
            "gopher_quality.max_bullet_lines_ratio",
            g.max_bullet_lines_ratio,
        )?;
        check_frac(
            "gopher_quality.max_ellipsis_lines_ratio",
            g.max_ellipsis_lines_ratio,
        )?;
        check_frac(
            "gopher_quality.min_alpha_words_ratio",
            g.min_alpha_words_ratio,
        )?;
        if g.max_symbol_word_ratio < 0.0 {
            return Err(crate::Error::Config(
                "quality.gopher_quality.max_symbol_word_ratio must not be negative".into(),
            ));
        }
        let r = &self.gopher_repetition;
        check_frac("gopher_repetition.max_dup_line_frac", r.max_dup_line_frac)?;
        check_frac("gopher_repetition.max_dup_para_frac", r.max_dup_para_frac)?;
        check_frac(
            "gopher_repetition.max_dup_line_char_frac",
            r.max_dup_line_char_frac,
        )?;
        check_frac(
            "gopher_repetition.max_dup_para_char_frac",
            r.max_dup_para_char_frac,
        )?;
        for v in r.max_top_ngram_char_frac {
            check_frac("gopher_repetition.max_top_ngram_char_frac", v)?;
        }
        for v in r.max_dup_ngram_char_frac {
            check_frac("gopher_repetition.max_dup_ngram_char_frac", v)?;
        }
        let f = &self.fineweb;
        check_frac("fineweb.min_line_punct_ratio", f.min_line_punct_ratio)?;
        check_frac("fineweb.max_short_line_ratio", f.max_short_line_ratio)?;
        if f.max_newline_word_ratio < 0.0 {
            return Err(crate::Error::Config(
                "quality.fineweb.max_newline_word_ratio must not be negative".into(),
            ));
        }
        let mut stop = Vec::new();
        for w in &g.stop_words {
            if w.trim().is_empty() || w.contains(char::is_whitespace) {
                return Err(crate::Error::Config(format!(
                    "quality.gopher_quality.stop_words: {w:?} is not a single word"
                )));
            }
            stop.push(w.to_lowercase().into_bytes());
        }
        let max_stop_len = stop.iter().map(Vec::len).max().unwrap_or(0);
        let stop_lens = stop
            .iter()
            .filter(|w| w.len() < 64)
            .fold(0u64, |m, w| m | 1 << w.len());
        let stop_packed = stop
            .iter()
            .filter(|w| w.len() <= 8)
            .map(|w| (w.len(), pack_lower(w)))
            .collect();
        let word_langs = parse_codes("quality.word_rule_languages", &self.word_rule_languages)?
            .into_iter()
            .map(|l| l.code())
            .collect();
        Ok(Quality {
            cfg: self.clone(),
            word_langs,
            lang_id: LangConfig::default().build()?,
            stop_packed,
            stop,
            max_stop_len,
            stop_lens,
        })
    }
}

/// Lowest identification confidence that exempts a document from the word rules: a list of
/// names or numbers gets a language guess, not a confident one.
const MIN_LANG_SCORE: f64 = 0.5;

/// The confidence a low-confidence guess must reach when asked again among itself and the
/// word-rule languages only.
const MIN_AMONG_SCORE: f64 = 0.8;

/// The quality-filter stage.
#[derive(Clone, Debug)]
pub struct Quality {
    cfg: QualityConfig,
    /// `word_rule_languages` as the identifier's codes.
    word_langs: Vec<&'static str>,
    /// Identifies a document that fails a word rule.
    lang_id: LangId,
    stop: Vec<Vec<u8>>,
    max_stop_len: usize,
    /// Bit `n` set when some stop word is `n` bytes long (n < 64): skips most comparisons.
    stop_lens: u64,
    /// (length, [`pack_lower`]) of each stop word of at most 8 bytes.
    stop_packed: Vec<(usize, u64)>,
}

/// Per-document measures gathered in one pass.
#[derive(Default, Debug)]
struct Stats {
    words: usize,
    content_words: usize,
    content_bytes: usize,
    /// The part of `content_words` and `content_bytes` from words with Han or kana.
    ideo_words: usize,
    ideo_bytes: usize,
    alpha_words: usize,
    stop_words: usize,
    hashes: usize,
    ellipses: usize,
    lines: usize,
    bullet_lines: usize,
    ellipsis_lines: usize,
    punct_lines: usize,
    short_lines: usize,
    newlines: usize,
    sentences: usize,
}

fn drop(rule: &'static str, value: f64, threshold: f64) -> Verdict {
    Verdict::Drop(Drop {
        stage: "quality",
        rule,
        value,
        threshold,
    })
}

impl Quality {
    /// Gathers every per-document measure in one pass over the bytes; fills `words` with
    /// (hash, length) per word when `hash_words` is set (for the repetition rules).
    fn measure(&self, text: &str, hash_words: bool, words: &mut Vec<(u64, u32)>) -> Stats {
        let mut s = Stats::default();
        let b = text.as_bytes();
        s.hashes = memchr::memchr_iter(b'#', b).count();
        s.ellipses =
            memmem::find_iter(b, b"...").count() + memmem::find_iter(b, "\u{2026}").count();
        let short = self.cfg.fineweb.short_line_chars;
        let mut pos = 0;
        while pos <= b.len() {
            let end = memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |i| pos + i);
            if end < b.len() {
                s.newlines += 1;
            }
            let l = &b[pos..end];
            pos = end + 1;
            if l.is_empty() {
                continue;
            }
            s.lines += 1;
            if l.starts_with("\u{2022}".as_bytes()) || l.starts_with(b"-") {
                s.bullet_lines += 1;
            }
            if l.ends_with(b"...") || l.ends_with("\u{2026}".as_bytes()) {
                s.ellipsis_lines += 1;
            }
            if ends_punct(l) {
                s.punct_lines += 1;
            }
            if l.len() <= short || (l.len() <= 4 * short && char_count(l) <= short) {
                s.short_lines += 1;
            }
            let mut i = 0;
            while i < l.len() {
                if CLASS[l[i] as usize] & SEP != 0 {
                    i += 1;
                    continue;
                }
                let start = i;
                let mut content = 0usize;
                let mut flags = 0u8;
                // Han and kana characters in the word: Chinese and Japanese are written
                // without spaces, so each counts as a word of its own.
                let mut ideographs = 0usize;
                let mut full_stops = 0usize;
                // FNV-1a-style word hash, folded into this byte loop (no second pass).
                let mut h: u64 = 0xcbf2_9ce4_8422_2325;
                while let Some(&c) = l.get(i) {
                    let mut f = CLASS[c as usize];
                    if f & SEP != 0 {
                        break;
                    }
                    if f & IDEO != 0 {
                        if c == 0xE3 && l.get(i + 1).is_some_and(|&n| n < 0x81) {
                            // CJK punctuation (U+3000..U+303F) is not content; U+3002 ends
                            // a sentence.
                            f = 0;
                            full_stops += usize::from(l.get(i + 1..i + 3) == Some(&[0x80, 0x82]));
                        } else {
                            ideographs += 1;
                        }
                    }
                    h = (h ^ c as u64).wrapping_mul(0x0000_0100_0000_01b3);
                    content += usize::from(f & CONTENT);
                    flags |= f;
                    i += 1;
                }
                let w = &l[start..i];
                let n = ideographs.max(1);
                s.words += n;
                if content > 0 {
                    s.content_words += n;
                    s.content_bytes += content;
                    if ideographs > 0 {
                        s.ideo_words += n;
                        s.ideo_bytes += content;
                    }
                }
                if flags & ALPHA != 0 {
                    s.alpha_words += n;
                }
                let core = trim_punct(w);
                if core.len() <= self.max_stop_len
                    && !core.is_empty()
                    && (core.len() >= 64 || self.stop_lens >> core.len() & 1 != 0)
                    && self.is_stop(core)
                {
                    s.stop_words += 1;
                }
                if ends_sentence(w) {
                    s.sentences += 1;
                }
                // Full stops inside a run of characters (the last one is counted above).
                s.sentences +=
                    full_stops.saturating_sub(usize::from(w.ends_with("\u{3002}".as_bytes())));
                if hash_words {
                    words.push((repetition::finish_word_hash(h), w.len() as u32));
                }
            }
        }
        s
    }

    /// True when `core` equals a stop word, ignoring ASCII case.
    #[inline]
    fn is_stop(&self, core: &[u8]) -> bool {
        if core.len() <= 8 {
            // Stop words are lowercase, so ASCII-case-insensitive equality is equality of the
            // ASCII-lowercased bytes, packed into one integer.
            let p = pack_lower(core);
            self.stop_packed
                .iter()
                .any(|&(l, v)| l == core.len() && v == p)
        } else {
            self.stop.iter().any(|sw| sw.eq_ignore_ascii_case(core))
        }
    }

    /// The lines of an extracted page that are not data lines (`data`: their keys, sorted,
    /// as in [`Doc::data_lines`]), when there are any data lines and the other lines hold
    /// enough words to judge (`gopher_quality.min_words`).
    pub fn prose(&self, text: &str, data: &[u64]) -> Option<String> {
        if data.is_empty() {
            return None;
        }
        let mut prose = String::with_capacity(text.len());
        let mut set_aside = false;
        for line in text.split('\n') {
            if crate::clean::html::is_data_line(line, data) {
                set_aside = true;
            } else {
                prose.push_str(line);
                prose.push('\n');
            }
        }
        prose.pop();
        let min = if self.cfg.gopher_quality.enabled {
            self.cfg.gopher_quality.min_words
        } else {
            1
        };
        (set_aside && prose.split_whitespace().count() >= min).then_some(prose)
    }

    /// Checks one text; returns the first failing rule.
    pub fn check(&self, text: &str) -> Verdict {
        self.judge(text, false).0
    }

    /// [`Self::check`] for text the `html` stage extracted from a web page: the line-structure
    /// rules apply only with `line_rules_on_html`.
    pub fn check_html(&self, text: &str) -> Verdict {
        self.judge(text, true).0
    }

    /// True when `text` is identified as a language outside `word_rule_languages` (the word
    /// rules do not apply to it).
    fn other_language(&self, text: &str) -> bool {
        if self.word_langs.is_empty() {
            return false;
        }
        match self.lang_id.identify(text) {
            Some(l) if self.word_langs.contains(&l.code) => false,
            Some(l) if l.score >= MIN_LANG_SCORE => true,
            // A guess between related languages (Norwegian read as Danish) is unsure which
            // of them, not whether it is a word-rule language: asked again among the guess
            // and the word-rule languages, it must win clearly, and the text must read as
            // prose (most words in lowercase), not as a list of names that any language
            // profile fits. The case count comes first: it is cheaper than a second
            // identification.
            Some(l) if mostly_lowercase(text) => {
                let mut among = vec![l.code];
                among.extend_from_slice(&self.word_langs);
                let again = self.lang_id.identify_among(text, &among);
                again.is_some_and(|m| m.code == l.code && m.score >= MIN_AMONG_SCORE)
            }
            Some(_) | None => false,
        }
    }

    /// [`Self::check`] (`from_html`: the text came from the `html` stage), also saying whether
    /// word rules were skipped for the document's language and whether line-structure rules
    /// that failed were skipped because the text came from a web page.
    fn judge(&self, text: &str, from_html: bool) -> (Verdict, bool, bool) {
        // Identified at most once, and only when a word rule fails.
        let mut other: Option<bool> = None;
        let mut skip_word_rule = || *other.get_or_insert_with(|| self.other_language(text));
        let skip_lines = from_html && !self.cfg.line_rules_on_html;
        let mut line_skipped = false;
        let mut skip_line_rule = || {
            line_skipped |= skip_lines;
            skip_lines
        };
        let v = self.rules(text, &mut skip_word_rule, &mut skip_line_rule);
        (v, other == Some(true), line_skipped)
    }

    /// The rules in order; `skip_word_rule` and `skip_line_rule` are asked only when a word
    /// rule or a line-structure rule fails, and say whether to let the document pass it.
    fn rules(
        &self,
        text: &str,
        skip_word_rule: &mut dyn FnMut() -> bool,
        skip_line_rule: &mut dyn FnMut() -> bool,
    ) -> Verdict {
        let c = &self.cfg;
        if c.c4.enabled {
            let b = text.as_bytes();
            if c.c4.lorem_ipsum && has_lorem_ipsum(b) {
                return drop("c4_lorem_ipsum", 1.0, 0.0);
            }
            if c.c4.curly_braces && memchr::memchr2(b'{', b'}', b).is_some() {
                return drop("c4_curly_braces", 1.0, 0.0);
            }
        }
        let mut hashed = if c.gopher_repetition.enabled {
            // About one word per six bytes of prose: avoids regrowing the buffer.
            Vec::with_capacity(text.len() / 5 + 8)
        } else {
            Vec::new()
        };
        let s = self.measure(text, c.gopher_repetition.enabled, &mut hashed);
        if c.c4.enabled
            && c.c4.min_sentences > 0
            && s.sentences < c.c4.min_sentences
            && !skip_word_rule()
        {
            return drop(
                "c4_min_sentences",
                s.sentences as f64,
                c.c4.min_sentences as f64,
            );
        }
        let g = &c.gopher_quality;
        let words = s.words.max(1) as f64;
        if g.enabled {
            if s.content_words < g.min_words && !skip_word_rule() {
                return drop(
                    "gopher_min_words",
                    s.content_words as f64,
                    g.min_words as f64,
                );
            }
            if s.content_words > g.max_words {
                return drop(
                    "gopher_max_words",
                    s.content_words as f64,
                    g.max_words as f64,
                );
            }
            // Word length is a measure of text written with spaces: words with Han or kana
            // (one word per character) are left out of it, so an English article quoting
            // Japanese is measured by its English, and text with no spaced words is not.
            let spaced = s.content_words - s.ideo_words;
            let mean = (s.content_bytes - s.ideo_bytes) as f64 / spaced.max(1) as f64;
            if spaced > 0 && mean < g.min_mean_word_length && !skip_word_rule() {
                return drop("gopher_mean_word_length_low", mean, g.min_mean_word_length);
            }
            if spaced > 0 && mean > g.max_mean_word_length && !skip_word_rule() {
                return drop("gopher_mean_word_length_high", mean, g.max_mean_word_length);
            }
            let r = s.hashes as f64 / words;
            if r > g.max_symbol_word_ratio {
                return drop("gopher_hash_word_ratio", r, g.max_symbol_word_ratio);
            }
            let r = s.ellipses as f64 / words;
            if r > g.max_symbol_word_ratio {
                return drop("gopher_ellipsis_word_ratio", r, g.max_symbol_word_ratio);
            }
            let line_rules = s.lines >= c.min_lines_for_line_rules;
            let lines = s.lines.max(1) as f64;
            let r = s.bullet_lines as f64 / lines;
            if line_rules && r > g.max_bullet_lines_ratio && !skip_line_rule() {
                return drop("gopher_bullet_lines", r, g.max_bullet_lines_ratio);
            }
            let r = s.ellipsis_lines as f64 / lines;
            if line_rules && r > g.max_ellipsis_lines_ratio && !skip_line_rule() {
                return drop("gopher_ellipsis_lines", r, g.max_ellipsis_lines_ratio);
            }
            let r = s.alpha_words as f64 / words;
            if r < g.min_alpha_words_ratio {
                return drop("gopher_alpha_words", r, g.min_alpha_words_ratio);
            }
            if s.stop_words < g.min_stop_words && !skip_word_rule() {
                return drop(
                    "gopher_stop_words",
                    s.stop_words as f64,
                    g.min_stop_words as f64,
                );
            }
        }
        let f = &c.fineweb;
        if f.enabled && s.lines > 0 {
            let line_rules = s.lines >= c.min_lines_for_line_rules;
            let lines = s.lines as f64;
            let r = s.punct_lines as f64 / lines;
            if line_rules && r < f.min_line_punct_ratio && !skip_line_rule() {
                return drop("fineweb_line_punct_ratio", r, f.min_line_punct_ratio);
            }
            let r = s.short_lines as f64 / lines;
            if line_rules && r > f.max_short_line_ratio && !skip_line_rule() {
                return drop("fineweb_short_line_ratio", r, f.max_short_line_ratio);
            }
            let r = s.newlines as f64 / words;
            if r > f.max_newline_word_ratio && !skip_line_rule() {
                return drop("fineweb_newline_word_ratio", r, f.max_newline_word_ratio);
            }
        }
        if c.gopher_repetition.enabled {
            if let Some(v) = self.repetition(text, &hashed, skip_line_rule) {
                return v;
            }
        }
        Verdict::Keep
    }

    fn repetition(
        &self,
        text: &str,
        words: &[(u64, u32)],
        skip_line_rule: &mut dyn FnMut() -> bool,
    ) -> Option<Verdict> {
        let r = &self.cfg.gopher_repetition;
        let len = text.len().max(1) as f64;
        let mut scratch = repetition::Scratch::default();
        let (n, d, bytes) = repetition::duplicates_in(&mut scratch, paragraphs(text));
        let v = d as f64 / n.max(1) as f64;
        if v > r.max_dup_para_frac && !skip_line_rule() {
            return Some(drop("gopher_dup_para_frac", v, r.max_dup_para_frac));
        }
        let v = bytes as f64 / len;
        if v > r.max_dup_para_char_frac {
            return Some(drop(
                "gopher_dup_para_char_frac",
                v,
                r.max_dup_para_char_frac,
            ));
        }
        let (n, d, bytes) = repetition::duplicates_in(&mut scratch, text.split('\n'));
        let v = d as f64 / n.max(1) as f64;
        if v > r.max_dup_line_frac && !skip_line_rule() {
            return Some(drop("gopher_dup_line_frac", v, r.max_dup_line_frac));
        }
        let v = bytes as f64 / len;
        if v > r.max_dup_line_char_frac {
            return Some(drop(
                "gopher_dup_line_char_frac",
                v,
                r.max_dup_line_char_frac,
            ));
        }
        const TOP: [&str; 3] = ["gopher_top_2gram", "gopher_top_3gram", "gopher_top_4gram"];
        // Upper bound on the count of the most frequent n-gram, from the (n-1)-gram pass.
        let mut max_count = usize::MAX;
        for (i, t) in r.max_top_ngram_char_frac.iter().enumerate() {
            let n = i + 2;
            if max_count != usize::MAX
                && (max_count * repetition::max_ngram_len(words, n)) as f64 / len <= *t
            {
                continue;
            }
            let (bytes, count) = repetition::top_ngram_in(&mut scratch, words, n);
            max_count = count;
            let v = bytes as f64 / len;
            if v > *t {
                return Some(drop(TOP[i], v, *t));
            }
        }
        const DUP: [&str; 6] = [
            "gopher_dup_5gram",
            "gopher_dup_6gram",
            "gopher_dup_7gram",
            "gopher_dup_8gram",
            "gopher_dup_9gram",
            "gopher_dup_10gram",
        ];
        let min_t = r
            .max_dup_ngram_char_frac
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        if repetition::dup_ngram_bound_in(&mut scratch, words, 10) as f64 / len <= min_t {
            return None;
        }
        for (i, t) in r.max_dup_ngram_char_frac.iter().enumerate() {
            let v = repetition::dup_ngram_bytes_in(&mut scratch, words, i + 5) as f64 / len;
            if v > *t {
                return Some(drop(DUP[i], v, *t));
            }
        }
        None
    }
}

/// True when `text` holds placeholder text ("Lorem ipsum", "LOREM IPSUM"), as C4 tests it.
pub(crate) fn has_lorem_ipsum(text: &[u8]) -> bool {
    memmem::find(text, b"orem ipsum").is_some() || memmem::find(text, b"OREM IPSUM").is_some()
}

/// True when most of the first 2,000 words of `text` that start with a cased letter start
/// with a lowercase one (running prose, not a list of names), or when no word does (a script
/// without letter case, Arabic or Devanagari, where the test says nothing).
fn mostly_lowercase(text: &str) -> bool {
    let (mut lower, mut upper) = (0usize, 0usize);
    for w in text.split_whitespace().take(2000) {
        match w.chars().find(|c| c.is_alphabetic()) {
            Some(c) if c.is_lowercase() => lower += 1,
            Some(c) if c.is_uppercase() => upper += 1,
            _ => {}
        }
    }
    lower > upper || lower + upper == 0
}

/// [`CLASS`] bit: the byte counts towards a word's content (ASCII letter or digit, or the
/// leading byte of a non-ASCII character outside the U+2000 punctuation block).
const CONTENT: u8 = 1;
/// [`CLASS`] bit: the byte makes its word alphabetic (ASCII letter or such a leading byte).
const ALPHA: u8 = 2;
/// [`CLASS`] bit: the byte separates words (space or tab).
const SEP: u8 = 4;
/// [`CLASS`] bit: leading byte of a character in U+3000..U+9FFF (CJK punctuation, kana, Han).
const IDEO: u8 = 8;

/// Per-byte classes for the word scan of [`Quality::measure`]. A leading byte `0xE2` (common
/// punctuation in the U+2000 block: dashes, quotes, ellipsis) is not counted as a letter.
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if b == b' ' || b == b'\t' {
            SEP
        } else if is_cjk_lead(b) {
            CONTENT | ALPHA | IDEO
        } else if b.is_ascii_alphabetic() || (b >= 0xC0 && b != 0xE2) {
            CONTENT | ALPHA
        } else if b.is_ascii_digit() {
            CONTENT
        } else {
            0
        };
        c += 1;
    }
    t
};

/// The pieces of `text` between `"\n\n"` separators, as `text.split("\n\n")` yields them
/// (non-overlapping, left to right), found with a vectorized search.
fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    let mut seps = memmem::find_iter(text.as_bytes(), b"\n\n");
    let mut start = Some(0);
    std::iter::from_fn(move || {
        let s = start?;
        match seps.next() {
            Some(e) => {
                start = Some(e + 2);
                text.get(s..e)
            }
            None => {
                start = None;
                text.get(s..)
            }
        }
    })
}

/// Up to 8 bytes, ASCII-lowercased, packed little-endian into an integer (zero-padded).
#[inline]
fn pack_lower(w: &[u8]) -> u64 {
    w.iter().take(8).enumerate().fold(0u64, |x, (i, &c)| {
        x | u64::from(c.to_ascii_lowercase()) << (8 * i)
    })
}

/// Strips leading and trailing ASCII punctuation from a word.
fn trim_punct(w: &[u8]) -> &[u8] {
    let s = w
        .iter()
        .position(|c| !c.is_ascii_punctuation())
        .unwrap_or(w.len());
    let e = w
        .iter()
        .rposition(|c| !c.is_ascii_punctuation())
        .map_or(s, |i| i + 1);
    &w[s..e.max(s)]
}

/// FineWeb's terminal punctuation (`.` `!` `?` `"` `'` `:` `;` `)`, closing curly quotes and
/// the ellipsis character) at the end of a line.
fn ends_punct(l: &[u8]) -> bool {
    match l {
        [.., b'.' | b'!' | b'?' | b'"' | b'\'' | b':' | b';' | b')'] => true,
        // U+201D, U+2019, U+2026
        [.., 0xE2, 0x80, 0x9D | 0x99 | 0xA6] => true,
        _ => ends_other_script_stop(l),
    }
}

/// A word that closes a sentence: ends in `.`, `!` or `?`, possibly followed by a closing quote
/// or bracket.
fn ends_sentence(w: &[u8]) -> bool {
    let w = match w {
        [rest @ .., 0xE2, 0x80, 0x9D | 0x99] => rest,
        [rest @ .., b'"' | b'\'' | b')'] => rest,
        _ => w,
    };
    matches!(w, [.., b'.' | b'!' | b'?'] | [.., 0xE2, 0x80, 0xA6]) || ends_other_script_stop(w)
}

/// Number of characters in UTF-8 bytes.
fn char_count(b: &[u8]) -> usize {
    b.iter().filter(|&&c| (c & 0xC0) != 0x80).count()
}

impl Stage for Quality {
    fn name(&self) -> &'static str {
        "quality"
    }

    fn process(&self, doc: &mut Doc, counters: &mut Counters) -> Verdict {
        if !self.cfg.enabled {
            return Verdict::Keep;
        }
        let prose = if doc.from_html && !self.cfg.data_lines_on_html {
            self.prose(&doc.text, &doc.data_lines)
        } else {
            None
        };
        let (v, skipped, lines_skipped) =
            self.judge(prose.as_deref().unwrap_or(&doc.text), doc.from_html);
        if prose.is_some()
            && matches!(v, Verdict::Keep)
            && !matches!(self.judge(&doc.text, true).0, Verdict::Keep)
        {
            counters.add("quality", "data_lines_spared_html", 1);
        }
        if skipped {
            counters.add("quality", "word_rules_skipped_lang", 1);
        }
        if lines_skipped {
            counters.add("quality", "line_rules_skipped_html", 1);
        }
        v
    }
}

#[cfg(test)]
#[path = "quality_tests.rs"]
mod tests;
