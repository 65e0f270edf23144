//! Paragraph reconstruction: joins hard-wrapped lines back into paragraphs.
//!
//! Runs first on each document, on the text as read (before normalization, which trims lines
//! and so would erase the indentation that marks paragraphs in wire-service and plain-text
//! archives). Its output goes to normalization and then to the line rules, which judge whole
//! paragraphs instead of 65-column fragments.
//!
//! A document is treated as hard-wrapped when the lines followed by a line that starts in lower
//! case (a sentence going on: common in wrapped prose, rare in menus, headline lists, verse and
//! one-paragraph-per-line text) have lengths (in characters, indentation included) in a narrow
//! peak below some width `W` between `min_width` and `max_width`. In such a document
//! a line is joined to the next when it was evidently broken for width: the next line's first
//! word would not have fitted within `W`, or the line is long and ends mid-sentence while the
//! next starts in lower case. A paragraph ends at a blank line, at a line indented more than the
//! body's continuation lines, or at a short last line.
//!
//! Real line structure is left alone: list items (a "- " line counts as one after an
//! introducing colon or another item; elsewhere it is a dash the wrap put first), table rows
//! and columns of figures (aligned with runs of spaces, tabs or `|`, or mostly numbers),
//! headlines in capitals or title case, code (`{`, `}`, or `;` after an assignment or a call at
//! the line end), and every line of a document that is not wrapped
//! (addresses, verse, one-paragraph-per-line text). The result is deterministic, and applying
//! the stage to its own output changes nothing.

use serde::{Deserialize, Serialize};

use crate::doc::Doc;
use crate::stage::{Counters, Stage, Verdict};

/// Config for the `[unwrap]` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct UnwrapConfig {
    /// Run this stage (default true).
    pub enabled: bool,
    /// Narrowest wrap width (characters) recognized (default 40).
    pub min_width: usize,
    /// Widest wrap width recognized (default 132).
    pub max_width: usize,
    /// Fewest lines near the wrap width followed by a line that starts in lower case before a
    /// document is treated as hard-wrapped (default 2).
    pub min_wrapped_lines: usize,
}

impl Default for UnwrapConfig {
    fn default() -> Self {
        UnwrapConfig {
            enabled: true,
            min_width: 40,
            max_width: 132,
            min_wrapped_lines: 2,
        }
    }
}

impl UnwrapConfig {
    /// Validates the config and builds the stage.
    pub fn build(&self) -> crate::Result<Unwrap> {
        if self.min_width < 20 || self.min_width > self.max_width || self.max_width > 1000 {
            return Err(crate::Error::Config(format!(
                "unwrap.min_width = {} and max_width = {}: need 20 <= min_width <= max_width <= 1000",
                self.min_width, self.max_width
            )));
        }
        Ok(Unwrap {
            enabled: self.enabled,
            min_width: self.min_width,
            max_width: self.max_width,
            min_wrapped: self.min_wrapped_lines.max(1),
        })
    }
}

/// The paragraph-reconstruction stage.
#[derive(Clone, Debug)]
pub struct Unwrap {
    enabled: bool,
    min_width: usize,
    max_width: usize,
    min_wrapped: usize,
}

impl Default for Unwrap {
    fn default() -> Self {
        Unwrap {
            enabled: true,
            min_width: 40,
            max_width: 132,
            min_wrapped: 2,
        }
    }
}

/// What [`Unwrap::unwrap`] did to one document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnwrapStats {
    /// Paragraphs rebuilt from two or more lines.
    pub blocks: u64,
    /// Line breaks removed (a paragraph of `n` lines counts `n - 1`).
    pub lines_joined: u64,
}

/// Half-width of the window of line lengths that counts as the wrap peak: words of up to about
/// 14 characters leave lines at most that much short of the width.
const PEAK_SPAN: usize = 14;
/// Lines this much longer than the detected width still count as wrapped (a long word or URL
/// pushed past the margin).
const OVERSHOOT: usize = 8;

/// One line of the input, measured once.
#[derive(Clone, Copy, Debug, Default)]
struct Line {
    /// Byte range of the content: indentation and trailing spaces / `\r` excluded.
    start: usize,
    end: usize,
    /// Leading columns (space 1, tab 4, no-break space 1).
    indent: usize,
    /// Columns: indentation plus the characters of the content.
    width: usize,
    /// Characters of the first word (0 for a blank line).
    first_word: usize,
    flags: u16,
}

const BLANK: u16 = 1;
/// Ends with `.`, `!`, `?` (possibly before a closing quote or bracket).
const TERMINAL: u16 = 2;
/// Starts with a lower-case letter, a digit or an opening bracket: continues a sentence.
const LOWER_START: u16 = 4;
/// List item, table row, code, or a headline: never joined to a neighbour.
const STRUCTURAL: u16 = 8;
/// Ends with a letter followed by `-`: a word hyphenated at the margin.
const HYPHEN: u16 = 16;
/// Starts with "- ": a list item after a list item or an introducing colon, otherwise a dash
/// that the wrap put at the start of a line.
const DASH: u16 = 32;
/// Ends with `:`, introducing what follows.
const COLON: u16 = 64;
/// Nearly every word capitalized and no comma: a headline when its neighbour is one too.
const TITLE: u16 = 128;
/// Longer than any wrap width: never joined, its structure not examined.
const LONG: u16 = 256;
/// A single blank line preceded it in a double-spaced document (see [`compress`]).
const AFTER_BLANK: u16 = 512;

impl Unwrap {
    /// Rejoins hard-wrapped paragraphs of `text`. Returns the new text, or `None` when the
    /// document is not hard-wrapped (or nothing was joined); adds what it did to `stats`.
    pub fn unwrap(&self, text: &str, stats: &mut UnwrapStats) -> Option<String> {
        let b = text.as_bytes();
        // Cheap exit: a wrapped document has several non-blank lines in a row.
        if memchr::memchr_iter(b'\n', b).count() < self.min_wrapped {
            return None;
        }
        if !self.may_be_wrapped(b) {
            return None;
        }
        let mut lines = measure(text, self.max_width + OVERSHOOT);
        if double_spaced(&lines) {
            lines = compress(lines);
        }
        let w = self.width(&lines)?;
        let base = lines
            .iter()
            .filter(|l| l.flags & BLANK == 0 && l.width + PEAK_SPAN >= w && l.width <= w)
            .map(|l| l.indent)
            .min()
            .unwrap_or(0);
        let mut join = vec![false; lines.len()];
        let mut any = false;
        for i in 0..lines.len().saturating_sub(1) {
            if self.joins(&lines[i], &lines[i + 1], w, base) {
                join[i] = true;
                any = true;
            }
        }
        if !any {
            return None;
        }
        Some(rebuild(text, &lines, &join, w, stats))
    }

    /// Cheap first look, without allocating: at least `min_wrapped` lines short enough to be
    /// wrapped are followed (directly or after one blank line) by a line that starts in lower
    /// case. Most documents that are not hard-wrapped leave here.
    fn may_be_wrapped(&self, b: &[u8]) -> bool {
        // A line of at most max_width + OVERSHOOT characters has at most 4 bytes per character.
        let max_bytes = 4 * (self.max_width + OVERSHOOT);
        let mut found = 0;
        let mut prev_short = false;
        let mut blank_after_short = false;
        let mut pos = 0;
        while pos < b.len() {
            let end = memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |i| pos + i);
            let line = &b[pos..end];
            let first = line
                .iter()
                .position(|&c| !matches!(c, b' ' | b'\t' | b'\r'));
            match first {
                None => {
                    blank_after_short = prev_short && !blank_after_short;
                    prev_short = blank_after_short;
                }
                Some(f) => {
                    let c = line[f];
                    if prev_short
                        && (c.is_ascii_lowercase()
                            || c.is_ascii_digit()
                            || matches!(c, b'(' | b'$' | b'%'))
                    {
                        found += 1;
                        if found >= self.min_wrapped {
                            return true;
                        }
                    }
                    prev_short = line.len() <= max_bytes;
                    blank_after_short = false;
                }
            }
            pos = end + 1;
        }
        false
    }

    /// The wrap width of the document, or `None` when it is not hard-wrapped.
    fn width(&self, lines: &[Line]) -> Option<usize> {
        // Widths of the lines followed by a line that starts in lower case: in wrapped prose
        // most lines are, in menus, headline lists and one-paragraph-per-line text almost none.
        let mut hist = [0u32; 1024];
        let mut any = 0usize;
        for pair in lines.windows(2) {
            let (l, n) = (&pair[0], &pair[1]);
            if l.flags & (BLANK | STRUCTURAL) != 0
                || n.flags & (LOWER_START | STRUCTURAL) != LOWER_START
                || l.width > self.max_width + OVERSHOOT
            {
                continue;
            }
            hist[l.width] += 1;
            any += 1;
        }
        if any < self.min_wrapped {
            return None;
        }
        // The width whose window [w - PEAK_SPAN, w] holds the most of them (the narrowest).
        let mut best = (0u32, 0usize);
        let mut win: u32 = hist[self.min_width - PEAK_SPAN..self.min_width]
            .iter()
            .sum();
        for w in self.min_width..=self.max_width {
            win += hist[w];
            if w > self.min_width {
                win -= hist[w - PEAK_SPAN - 1];
            }
            if win > best.0 {
                best = (win, w);
            }
        }
        let (peak, mut w) = best;
        if (peak as usize) < self.min_wrapped {
            return None;
        }
        // The same lines at other widths (short ones aside): a wide spread is not a wrap.
        // (w >= min_width >= 20 here, so the ranges are in bounds.)
        let spread: u32 = hist[w / 2..w - PEAK_SPAN].iter().sum::<u32>()
            + hist[w + OVERSHOOT + 1..].iter().sum::<u32>();
        if peak < spread {
            return None;
        }
        // Lines followed by a capitalized word reach the true width too.
        for (i, l) in lines.iter().enumerate() {
            if l.width > w
                && l.width <= w + 4
                && l.flags & (BLANK | STRUCTURAL) == 0
                && lines.get(i + 1).is_some_and(|n| n.flags & BLANK == 0)
            {
                w = l.width;
            }
        }
        Some(w)
    }

    /// Whether line `a` continues on line `b` in a document wrapped at `w` columns whose
    /// continuation lines are indented `base` columns.
    fn joins(&self, a: &Line, b: &Line, w: usize, base: usize) -> bool {
        if (a.flags | b.flags) & (BLANK | STRUCTURAL | LONG) != 0 {
            return false;
        }
        // Consecutive title-case lines are a list of headlines.
        if a.flags & b.flags & TITLE != 0 {
            return false;
        }
        // After a finished sentence, a short unpunctuated line that does not go on in lower case
        // stands alone: a sign-off ("REUTER"), a credit, a dateline.
        if a.flags & TERMINAL != 0 && b.flags & (TERMINAL | LOWER_START) == 0 && b.width * 2 < w {
            return false;
        }
        // A dash item after an introducing colon or another dash item is a list.
        if b.flags & DASH != 0 && a.flags & (DASH | COLON) != 0 {
            return false;
        }
        // An indented line opens a paragraph.
        if b.indent > base {
            return false;
        }
        if a.width > w + OVERSHOOT || a.width * 2 < w {
            return false;
        }
        // The next word would not have fitted: the line was broken for width.
        let greedy = a.width + 1 + b.first_word > w;
        // Long, mid-sentence, and the next line goes on in lower case.
        let mid = a.width * 4 >= w * 3 && a.flags & TERMINAL == 0 && b.flags & LOWER_START != 0;
        greedy || mid
    }

    /// Runs the stage on a document and counts what it joined.
    pub fn process_text(&self, text: &mut String, counters: &mut Counters) {
        let mut s = UnwrapStats::default();
        if let Some(t) = self.unwrap(text, &mut s) {
            *text = t;
            counters.add("unwrap", "documents", 1);
        }
        counters.add("unwrap", "blocks", s.blocks);
        counters.add("unwrap", "lines_joined", s.lines_joined);
    }
}

/// Splits `text` into measured lines; lines wider than `max_cols` are only marked [`LONG`].
fn measure(text: &str, max_cols: usize) -> Vec<Line> {
    let b = text.as_bytes();
    let mut lines = Vec::with_capacity(b.len() / 48 + 4);
    let mut pos = 0;
    while pos <= b.len() {
        let end = memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |i| pos + i);
        lines.push(measure_line(b, pos, end, max_cols));
        pos = end + 1;
    }
    lines
}

/// Text with a blank line after (nearly) every line: wrapped lines double-spaced, or one
/// paragraph per line with blank lines between.
fn double_spaced(lines: &[Line]) -> bool {
    let (mut spaced, mut adjacent) = (0usize, 0usize);
    for w in lines.windows(3) {
        if w[0].flags & BLANK == 0 && w[1].flags & BLANK != 0 && w[2].flags & BLANK == 0 {
            spaced += 1;
        }
        if w[0].flags & BLANK == 0 && w[1].flags & BLANK == 0 {
            adjacent += 1;
        }
    }
    spaced >= 3 && spaced > 2 * adjacent
}

/// Drops the single blank lines between two non-blank lines, marking the line after each
/// with [`AFTER_BLANK`], so double-spaced wrapped lines are judged as neighbours.
fn compress(lines: Vec<Line>) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::with_capacity(lines.len() / 2 + 2);
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        let single = l.flags & BLANK != 0
            && out.last().is_some_and(|p| p.flags & BLANK == 0)
            && lines.get(i + 1).is_some_and(|n| n.flags & BLANK == 0);
        if single {
            let mut n = lines[i + 1];
            n.flags |= AFTER_BLANK;
            out.push(n);
            i += 2;
        } else {
            out.push(l);
            i += 1;
        }
    }
    out
}

fn measure_line(b: &[u8], start: usize, end: usize, max_cols: usize) -> Line {
    let mut s = start;
    let mut indent = 0;
    while s < end {
        match b[s] {
            b' ' => {
                indent += 1;
                s += 1;
            }
            b'\t' => {
                indent += 4;
                s += 1;
            }
            0xC2 if b.get(s + 1) == Some(&0xA0) => {
                indent += 1;
                s += 2;
            }
            _ => break,
        }
    }
    let mut e = end;
    while e > s && matches!(b[e - 1], b' ' | b'\t' | b'\r') {
        e -= 1;
    }
    let content = &b[s..e];
    if content.is_empty() {
        return Line {
            start: s,
            end: e,
            flags: BLANK,
            ..Line::default()
        };
    }
    let chars = if content.len() + indent <= max_cols {
        content.len()
    } else {
        content.iter().filter(|&&c| c & 0xC0 != 0x80).count()
    };
    if chars + indent > max_cols {
        return Line {
            start: s,
            end: e,
            indent,
            width: indent + chars,
            flags: LONG,
            ..Line::default()
        };
    }
    let scan = Scan::of(content);
    let first_end = memchr::memchr2(b' ', b'\t', content).unwrap_or(content.len());
    let first_word = content[..first_end]
        .iter()
        .filter(|&&c| c & 0xC0 != 0x80)
        .count();
    let mut flags = 0;
    let terminal = ends_terminal(content);
    if terminal {
        flags |= TERMINAL;
    }
    let c0 = content[0];
    if c0.is_ascii_lowercase() || c0.is_ascii_digit() || matches!(c0, b'(' | b'$' | b'%') {
        flags |= LOWER_START;
    }
    if content.starts_with(b"- ") {
        flags |= DASH;
    } else if is_structural(content, &scan) {
        flags |= STRUCTURAL;
    } else if scan.title_case() && !terminal {
        flags |= TITLE;
    }
    if content.ends_with(b":") {
        flags |= COLON;
    }
    if content.len() >= 2
        && content[content.len() - 1] == b'-'
        && content[content.len() - 2].is_ascii_alphabetic()
    {
        flags |= HYPHEN;
    }
    Line {
        start: s,
        end: e,
        indent,
        width: indent + scan.chars,
        first_word,
        flags,
    }
}

/// True when the content ends like a sentence.
fn ends_terminal(b: &[u8]) -> bool {
    let mut e = b.len();
    while e > 0 {
        match b[e - 1] {
            b'"' | b'\'' | b')' | b']' => e -= 1,
            0x9D | 0x99 if e >= 3 && b[e - 3] == 0xE2 && b[e - 2] == 0x80 => e -= 3,
            b'.' | b'!' | b'?' => return true,
            0xA6 if e >= 3 && b[e - 3] == 0xE2 && b[e - 2] == 0x80 => return true,
            _ => return false,
        }
    }
    false
}

/// Byte classes for [`Scan::of`].
const K_LOWER: u8 = 1;
const K_UPPER: u8 = 2;
const K_DIGIT: u8 = 4;
/// A byte of a non-ASCII character (counted as a letter).
const K_HIGH: u8 = 8;
const K_SPACE: u8 = 16;
const K_TAB: u8 = 32;
const K_PIPE: u8 = 64;
const K_COMMA: u8 = 128;

const CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if b.is_ascii_lowercase() {
            K_LOWER
        } else if b.is_ascii_uppercase() {
            K_UPPER
        } else if b.is_ascii_digit() {
            K_DIGIT
        } else if b >= 0x80 {
            K_HIGH
        } else if b == b' ' {
            K_SPACE
        } else if b == b'\t' {
            K_TAB
        } else if b == b'|' {
            K_PIPE
        } else if b == b',' {
            K_COMMA
        } else {
            0
        };
        i += 1;
    }
    t
};

/// What one pass over a line's bytes tells about its shape.
#[derive(Clone, Copy, Debug, Default)]
struct Scan {
    /// Characters (UTF-8 leading bytes).
    chars: usize,
    /// OR of the byte classes seen.
    seen: u8,
    pipes: u32,
    /// Longest run of spaces.
    max_run: u32,
    words: u32,
    /// Words that start with a digit or `-` (figures).
    numeric: u32,
    upper_words: u32,
    lower_words: u32,
}

impl Scan {
    /// One branch-free pass: word counts are taken at word starts (a word whose first byte
    /// is a digit or `-` counts as a figure).
    fn of(c: &[u8]) -> Scan {
        let mut s = Scan::default();
        let (mut run, mut prev_space) = (0u32, 1u32);
        for &x in c {
            let k = CLASSES[x as usize];
            s.seen |= k;
            s.chars += usize::from(x & 0xC0 != 0x80);
            s.pipes += u32::from(k == K_PIPE);
            let space = u32::from(k == K_SPACE);
            run = (run + 1) * space;
            s.max_run = s.max_run.max(run);
            let start = (1 - space) & prev_space;
            prev_space = space;
            s.words += start;
            s.numeric += start & u32::from(k == K_DIGIT || x == b'-');
            s.upper_words += start & u32::from(k == K_UPPER);
            s.lower_words += start & u32::from(k == K_LOWER);
        }
        s
    }

    /// At least four words, four in five of them capitalized, and no comma.
    fn title_case(&self) -> bool {
        let (u, l) = (self.upper_words, self.lower_words);
        u + l >= 4 && u * 5 >= (u + l) * 4 && self.seen & K_COMMA == 0
    }
}

/// Lines with their own structure: list items, table rows, code, headlines in capitals.
fn is_structural(c: &[u8], scan: &Scan) -> bool {
    // List items: "* ", "+ ", "• ", "1. ", "1) ", "(a) ", "a) " ("- " is decided in context).
    match c {
        [b'*' | b'+' | b'>' | b'|' | b'#', b' ', ..] => return true,
        [0xE2, 0x80, 0xA2 | 0xA3, ..] | [0xE2, 0x96, ..] | [0xE2, 0x97, ..] => return true,
        [b'(', x, b')', ..] if x.is_ascii_alphanumeric() => return true,
        [x, b')', b' ', ..] if x.is_ascii_lowercase() => return true,
        _ => {}
    }
    let d = c.iter().take_while(|x| x.is_ascii_digit()).count();
    if d > 0 && d < 4 && matches!(c.get(d), Some(b'.' | b')')) && c.get(d + 1) == Some(&b' ') {
        return true;
    }
    // Code (a prose line may end in `;`, so that needs an assignment or a call as well).
    if matches!(c.last(), Some(b'{' | b'}')) || c.first() == Some(&b'}') {
        return true;
    }
    if c.last() == Some(&b';')
        && (memchr::memmem::find(c, b" = ").is_some() || memchr::memmem::find(c, b");").is_some())
    {
        return true;
    }
    // Tables: aligned columns (a run of 3+ spaces, a tab, two or more `|`) or mostly figures.
    if scan.max_run >= 3 || scan.seen & K_TAB != 0 || scan.pipes >= 2 {
        return true;
    }
    if scan.words >= 3 && scan.numeric * 5 >= scan.words * 2 {
        return true;
    }
    // Headlines in capitals: no lower-case letter at all.
    scan.words >= 3 && scan.seen & K_LOWER == 0 && scan.seen & K_UPPER != 0
}

/// Writes the text with the chosen line breaks removed. A paragraph rebuilt from several lines
/// is separated from its neighbours by a blank line; other lines keep their own line.
fn rebuild(text: &str, lines: &[Line], join: &[bool], w: usize, stats: &mut UnwrapStats) -> String {
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut prev_multi = false;
    let mut first = true;
    while i < lines.len() {
        let l = &lines[i];
        if l.flags & BLANK != 0 {
            // Keep blank lines (normalization collapses runs of them).
            if !first {
                out.push('\n');
            }
            first = false;
            i += 1;
            prev_multi = false;
            continue;
        }
        let mut j = i;
        while j < join.len() && join[j] {
            j += 1;
        }
        let multi = j > i;
        if !first {
            out.push('\n');
            // A paragraph boundary inside prose becomes a blank line.
            let prev_blank = i > 0 && lines[i - 1].flags & BLANK != 0;
            if l.flags & AFTER_BLANK != 0 {
                // The blank line a double-spaced document had here.
                out.push('\n');
            }
            let prev_blank = prev_blank || l.flags & AFTER_BLANK != 0;
            let prose_break = !prev_blank
                && (multi || prev_multi)
                && lines[i - 1].width * 2 >= w
                && l.width * 2 >= w;
            if !prev_blank && (multi || prev_multi) && (prose_break || l.indent > 0) {
                out.push('\n');
            }
        }
        first = false;
        if multi {
            stats.blocks += 1;
            stats.lines_joined += (j - i) as u64;
            for k in i..=j {
                let lk = &lines[k];
                let piece = &text[lk.start..lk.end];
                if k > i {
                    let prev = &lines[k - 1];
                    let hyphenated = prev.flags & HYPHEN != 0
                        && piece.as_bytes().first().is_some_and(u8::is_ascii_lowercase);
                    if !hyphenated {
                        out.push(' ');
                    }
                }
                out.push_str(piece);
            }
        } else {
            out.push_str(&text[text_line_start(text, l)..l.end]);
        }
        prev_multi = multi;
        i = j + 1;
    }
    out
}

/// Start of a line including its indentation (lines that are not joined keep it).
fn text_line_start(text: &str, l: &Line) -> usize {
    let b = text.as_bytes();
    let mut s = l.start;
    while s > 0 && b[s - 1] != b'\n' {
        s -= 1;
    }
    s
}

impl Stage for Unwrap {
    fn name(&self) -> &'static str {
        "unwrap"
    }

    fn process(&self, doc: &mut Doc, counters: &mut Counters) -> Verdict {
        if self.enabled {
            self.process_text(&mut doc.text, counters);
        }
        Verdict::Keep
    }
}

#[cfg(test)]
#[path = "unwrap_tests.rs"]
mod tests;
