//! Tokenizer and sentence splitter for news text.
//!
//! Input is the cleaned document text; output is a list of [`Token`]s with byte offsets into it
//! (converted to code points only for the few tokens that end up in entities, see
//! [`CharOffsets`]). The rules follow the CoNLL-2003 / Penn Treebank conventions the tagger was
//! trained on: possessive `'s` and `n't` are split off, abbreviations such as `U.S.`, `Sept.` and
//! `Dr.` keep their final period, hyphenated names (`al-Nusra`) and numbers (`1,750`, `1.13`)
//! stay whole, and every other punctuation character (quotes, brackets, `$`, `%`) is its own
//! token. ASCII bytes take a table-free fast path; other characters are decoded one at a time.

use std::ops::Range;

/// One token: byte range in the text plus layout flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// First byte of the token.
    pub start: usize,
    /// One past the last byte of the token.
    pub end: usize,
    /// True when a line break separates this token from the previous one.
    pub newline_before: bool,
}

/// Abbreviations that keep their trailing period (compared case-insensitively, without the
/// period). Single capital letters (initials) are handled separately.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "capt", "cpt",
    "maj", "adm", "st", "jr", "sr", "rev", "hon", "pres", "supt", "insp", "cmdr", "inc", "corp",
    "ltd", "co", "plc", "bros", "llc", "dept", "univ", "assn", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "tues", "wed", "thu", "thur",
    "thurs", "fri", "sat", "sun", "no", "nos", "vs", "etc", "approx", "est", "fig", "vol", "pp",
    "mt", "ft", "ave", "blvd", "rd", "mln", "bln", "pct", "e.g", "i.e", "a.m", "p.m",
];

#[inline]
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    if c.is_alphanumeric() {
        return true;
    }
    // Combining marks stay inside the word they modify.
    matches!(c,
        '\u{0300}'..='\u{036f}' | '\u{0483}'..='\u{0489}' | '\u{0591}'..='\u{05bd}'
        | '\u{0610}'..='\u{061a}' | '\u{064b}'..='\u{065f}' | '\u{0900}'..='\u{0903}'
        | '\u{093a}'..='\u{094f}' | '\u{0e31}'..='\u{0e3a}' | '\u{1ab0}'..='\u{1aff}'
        | '\u{1dc0}'..='\u{1dff}' | '\u{20d0}'..='\u{20ff}' | '\u{fe20}'..='\u{fe2f}'
        | '\u{3099}'..='\u{309a}')
}

/// Lowercase prefixes split from a capitalized word ("anti-Islamic" -> "anti" "-" "Islamic"),
/// so that the name after them can be tagged.
fn is_prefix(w: &str) -> bool {
    matches!(
        w,
        "anti" | "pro" | "non" | "ex" | "pre" | "post" | "mid" | "neo" | "pan" | "un"
    )
}

#[inline]
fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..).and_then(|s| s.chars().next())
}

#[inline]
fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

/// Splits `text` into tokens, appending to `out` (which is cleared first).
pub fn tokenize(text: &str, out: &mut Vec<Token>) {
    out.clear();
    let b = text.as_bytes();
    let mut i = 0;
    let mut newline = false;
    while i < b.len() {
        let byte = b[i];
        let (c, len) = if byte < 0x80 {
            (byte as char, 1)
        } else {
            match char_at(text, i) {
                Some(c) => (c, c.len_utf8()),
                None => {
                    i += 1;
                    continue;
                }
            }
        };
        if c.is_whitespace() {
            if c == '\n' {
                newline = true;
            }
            i += len;
            continue;
        }
        if is_word_char(c) {
            i = word(text, i, newline, out);
        } else {
            out.push(Token {
                start: i,
                end: i + len,
                newline_before: newline,
            });
            i += len;
        }
        newline = false;
    }
}

/// Scans one word starting at `start`, pushes it (and a split-off clitic) and returns the end.
fn word(text: &str, start: usize, newline: bool, out: &mut Vec<Token>) -> usize {
    let b = text.as_bytes();
    let mut i = start;
    let mut has_dot = false;
    let mut prev = '\0';
    while i < b.len() {
        let (c, len) = if b[i] < 0x80 {
            (b[i] as char, 1)
        } else {
            match char_at(text, i) {
                Some(c) => (c, c.len_utf8()),
                None => break,
            }
        };
        if is_word_char(c) {
            prev = c;
            i += len;
            continue;
        }
        let next = char_at(text, i + len);
        let next_word = next.is_some_and(is_word_char);
        match c {
            '.' if next_word => {
                has_dot = true;
            }
            '-' if next.is_some_and(char::is_uppercase) && is_prefix(&text[start..i]) => break,
            '-' | '&' | '/' if next_word && prev.is_alphanumeric() => {}
            ',' if prev.is_ascii_digit()
                && b.len() >= i + 4
                && b[i + 1..i + 4].iter().all(u8::is_ascii_digit)
                && !b.get(i + 4).is_some_and(u8::is_ascii_digit) => {}
            c if is_apostrophe(c) && next_word => {
                let after = i + len;
                let n = next.unwrap_or(' ');
                let n2 = char_at(text, after + n.len_utf8());
                let clitic_end = !n2.is_some_and(is_word_char);
                if (n == 's' || n == 'S') && clitic_end {
                    // Possessive or contracted "is": split before the apostrophe.
                    break;
                }
                if (n == 't' || n == 'T') && clitic_end && (prev == 'n' || prev == 'N') {
                    // "don't" -> "do" "n't".
                    let split = i - 1;
                    if split > start {
                        out.push(Token {
                            start,
                            end: split,
                            newline_before: newline,
                        });
                        let end = after + 1;
                        out.push(Token {
                            start: split,
                            end,
                            newline_before: false,
                        });
                        return end;
                    }
                    break;
                }
                if matches!(n, 'l' | 'L' | 'd' | 'D' | 'm' | 'M' | 'r' | 'R' | 'v' | 'V')
                    && clitic_end
                {
                    // 'll 'd 'm 're 've are separate tokens too.
                    break;
                }
            }
            _ => break,
        }
        prev = c;
        i += len;
    }
    let mut end = i;
    if b.get(end) == Some(&b'.') && keeps_period(&text[start..end], has_dot) {
        end += 1;
    }
    out.push(Token {
        start,
        end,
        newline_before: newline,
    });
    // A clitic starting with an apostrophe ("'s", "'ll") becomes its own token.
    if end == i {
        if let Some(c) = char_at(text, i) {
            if is_apostrophe(c) {
                let mut j = i + c.len_utf8();
                while let Some(n) = char_at(text, j) {
                    if !n.is_alphabetic() {
                        break;
                    }
                    j += n.len_utf8();
                }
                if j > i + c.len_utf8() {
                    out.push(Token {
                        start: i,
                        end: j,
                        newline_before: false,
                    });
                    return j;
                }
            }
        }
    }
    end
}

/// True when the period after `word` belongs to it (abbreviation, initial, `U.S`).
fn keeps_period(word: &str, has_dot: bool) -> bool {
    if has_dot {
        // "U.S", "p.m", "Ph.D": dotted abbreviations, but not "1.5" or "Oct.3".
        return word
            .split('.')
            .all(|seg| !seg.is_empty() && seg.len() <= 3 && seg.chars().all(char::is_alphabetic));
    }
    let mut chars = word.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return c.is_uppercase();
    }
    word.len() <= 6
        && ABBREVIATIONS
            .iter()
            .any(|a| a.len() == word.len() && a.eq_ignore_ascii_case(word))
}

/// Groups tokens into sentences (ranges of token indices), appending to `out` (cleared first).
///
/// A sentence ends at a line break, or after `.`, `!` or `?` (plus closing quotes and brackets)
/// when the next token starts with a capital letter, a digit or an opening quote.
pub fn split_sentences(text: &str, tokens: &[Token], out: &mut Vec<Range<usize>>) {
    out.clear();
    let mut start = 0;
    let mut i = 0;
    while i < tokens.len() {
        let t = &text[tokens[i].start..tokens[i].end];
        let mut end_here = false;
        if matches!(t, "." | "!" | "?") {
            let mut j = i + 1;
            while j < tokens.len()
                && !tokens[j].newline_before
                && matches!(
                    &text[tokens[j].start..tokens[j].end],
                    "\"" | "'" | ")" | "]" | "\u{201d}" | "\u{2019}" | "." | "!" | "?"
                )
            {
                j += 1;
            }
            let next_starts = match tokens.get(j) {
                None => true,
                Some(n) => {
                    let c = char_at(text, n.start).unwrap_or(' ');
                    n.newline_before
                        || c.is_uppercase()
                        || c.is_ascii_digit()
                        || matches!(c, '"' | '\u{201c}' | '\'' | '\u{2018}' | '(')
                }
            };
            if next_starts {
                i = j - 1;
                end_here = true;
            }
        }
        if !end_here && tokens.get(i + 1).is_some_and(|n| n.newline_before) {
            end_here = true;
        }
        if end_here || i + 1 == tokens.len() {
            out.push(start..i + 1);
            start = i + 1;
        }
        i += 1;
    }
}

/// Converts increasing byte offsets to code-point offsets without rescanning from the start.
#[derive(Debug)]
pub struct CharOffsets<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl<'a> CharOffsets<'a> {
    /// A converter positioned at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        CharOffsets {
            text,
            byte: 0,
            chars: 0,
        }
    }

    /// The code-point offset of byte offset `byte` (a char boundary). Calls with decreasing
    /// offsets restart from the beginning, so they stay correct, only slower.
    pub fn to_chars(&mut self, byte: usize) -> usize {
        if byte < self.byte {
            self.byte = 0;
            self.chars = 0;
        }
        let seg = self.text.get(self.byte..byte).unwrap_or("");
        self.chars += if seg.is_ascii() {
            seg.len()
        } else {
            seg.chars().count()
        };
        self.byte = byte;
        self.chars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<&str> {
        let mut v = Vec::new();
        tokenize(text, &mut v);
        v.iter().map(|t| &text[t.start..t.end]).collect()
    }

    #[test]
    fn seed_lines() {
        assert_eq!(
            toks("Russia's Ministry of Defense blamed the U.S. for the breakdown"),
            [
                "Russia",
                "'s",
                "Ministry",
                "of",
                "Defense",
                "blamed",
                "the",
                "U.S.",
                "for",
                "the",
                "breakdown"
            ]
        );
        assert_eq!(
            toks("and Jabhat al-Nusra, an Islamist group with ties to Al Qaeda."),
            [
                "and", "Jabhat", "al-Nusra", ",", "an", "Islamist", "group", "with", "ties", "to",
                "Al", "Qaeda", "."
            ]
        );
        assert_eq!(
            toks("“We regret that the agreements on Sept.9 were thwarted by the USA,”"),
            [
                "“",
                "We",
                "regret",
                "that",
                "the",
                "agreements",
                "on",
                "Sept.9",
                "were",
                "thwarted",
                "by",
                "the",
                "USA",
                ",",
                "”"
            ]
        );
    }

    #[test]
    fn bbc_lines() {
        assert_eq!(
            toks("TimeWarner jumped 76% to $1.13bn (£600m) for the three months to December."),
            [
                "TimeWarner",
                "jumped",
                "76",
                "%",
                "to",
                "$",
                "1.13bn",
                "(",
                "£",
                "600m",
                ")",
                "for",
                "the",
                "three",
                "months",
                "to",
                "December",
                "."
            ]
        );
        assert_eq!(
            toks("It lost 464,000 subscribers, analysts' expectations, don't."),
            [
                "It",
                "lost",
                "464,000",
                "subscribers",
                ",",
                "analysts",
                "'",
                "expectations",
                ",",
                "do",
                "n't",
                "."
            ]
        );
        assert_eq!(
            toks("Dr. J. Smith met Mr Brown"),
            ["Dr.", "J.", "Smith", "met", "Mr", "Brown"]
        );
        assert_eq!(
            toks("the anti-Islamic State coalition, al-Nusra, American-backed"),
            [
                "the",
                "anti",
                "-",
                "Islamic",
                "State",
                "coalition",
                ",",
                "al-Nusra",
                ",",
                "American-backed"
            ]
        );
    }

    #[test]
    fn sentences() {
        let text = "Talks were suspended on Oct.3. Antonov said so.\nNew line here";
        let mut t = Vec::new();
        tokenize(text, &mut t);
        let mut s = Vec::new();
        split_sentences(text, &t, &mut s);
        let words: Vec<Vec<&str>> = s
            .iter()
            .map(|r| t[r.clone()].iter().map(|x| &text[x.start..x.end]).collect())
            .collect();
        assert_eq!(words.len(), 3, "{words:?}");
        assert_eq!(words[0], ["Talks", "were", "suspended", "on", "Oct.3", "."]);
        assert_eq!(words[1], ["Antonov", "said", "so", "."]);
        // "Dr." does not end a sentence.
        let text = "Dr. Smith came. He left.";
        tokenize(text, &mut t);
        split_sentences(text, &t, &mut s);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn non_ascii_offsets() {
        let text = "Café 😀 Zoë’s naïve e\u{301}lan";
        let got = toks(text);
        assert_eq!(got, ["Café", "😀", "Zoë", "’s", "naïve", "e\u{301}lan"]);
        let mut t = Vec::new();
        tokenize(text, &mut t);
        let mut c = CharOffsets::new(text);
        let starts: Vec<usize> = t.iter().map(|x| c.to_chars(x.start)).collect();
        assert_eq!(starts, [0, 5, 7, 10, 13, 19]);
    }
}
