//! Text normalization: the first per-document stage.
//!
//! Decodes again text whose UTF-8 was read as Latin-1 or windows-1252 upstream
//! ([`super::mojibake`]; in [`Stage::process`], which counts it), decodes stray HTML
//! entities, applies Unicode NFC, unifies newlines, turns Unicode spaces and tabs into plain
//! spaces, collapses runs of spaces, strips control and zero-width characters, trims line ends
//! and keeps at most one blank line between paragraphs. Every later stage (and
//! the exact-dedup key) sees text in this form.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

use crate::doc::Doc;
use crate::stage::{Counters, Stage, Verdict};

/// Config for the `[normalize]` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct NormalizeConfig {
    /// Run this stage (default true). Later stages assume normalized text.
    pub enabled: bool,
    /// Decode HTML entities such as `&amp;` and `&#8217;` left in the text (default true).
    pub decode_html_entities: bool,
    /// Apply Unicode NFC (default true).
    pub nfc: bool,
    /// Decode again a text whose UTF-8 was read as Latin-1 or windows-1252 upstream ("Itâ€™s"
    /// for "It’s"), when all its non-ASCII characters fit that misreading (default true).
    pub repair_mojibake: bool,
}

impl Default for NormalizeConfig {
    fn default() -> Self {
        NormalizeConfig {
            enabled: true,
            decode_html_entities: true,
            nfc: true,
            repair_mojibake: true,
        }
    }
}

impl NormalizeConfig {
    /// Builds the stage.
    pub fn build(&self) -> crate::Result<Normalize> {
        Ok(Normalize {
            decode_html_entities: self.decode_html_entities,
            nfc: self.nfc,
            repair_mojibake: self.repair_mojibake,
        })
    }
}

/// The normalization stage.
#[derive(Clone, Debug)]
pub struct Normalize {
    decode_html_entities: bool,
    nfc: bool,
    repair_mojibake: bool,
}

impl Default for Normalize {
    fn default() -> Self {
        NormalizeConfig::default().build().unwrap_or(Normalize {
            decode_html_entities: true,
            nfc: true,
            repair_mojibake: true,
        })
    }
}

impl Normalize {
    /// Returns the normalized form of `text`.
    pub fn normalize(&self, text: &str) -> String {
        self.normalize_cow(text).into_owned()
    }

    /// Like [`Normalize::normalize`], but borrows `text` when it is already normalized (the
    /// common case), without allocating.
    pub fn normalize_cow<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut cur: Cow<'a, str> = Cow::Borrowed(text);
        if self.decode_html_entities && memchr::memchr(b'&', text.as_bytes()).is_some() {
            if let Cow::Owned(s) = html_escape::decode_html_entities(text) {
                cur = Cow::Owned(s);
            }
        }
        // Every character below U+0300 is NFC with combining class 0, and their UTF-8 lead
        // bytes are all below 0xCC: most Latin text skips the full check.
        if self.nfc && any_high(cur.as_bytes()) && is_nfc_quick(cur.chars()) != IsNormalized::Yes {
            cur = Cow::Owned(cur.nfc().collect());
        }
        if is_clean(&cur) {
            return cur;
        }
        Cow::Owned(whitespace(&cur))
    }
}

impl Stage for Normalize {
    fn name(&self) -> &'static str {
        "normalize"
    }

    fn process(&self, doc: &mut Doc, counters: &mut Counters) -> Verdict {
        if self.repair_mojibake {
            if let Some(fixed) = super::mojibake::repair(&doc.text) {
                counters.add("normalize", "mojibake_repaired", 1);
                doc.text = fixed;
            }
        }
        if let Cow::Owned(out) = self.normalize_cow(&doc.text) {
            if out != doc.text {
                counters.add("normalize", "docs_changed", 1);
                doc.text = out;
            }
        }
        Verdict::Keep
    }
}

/// True for characters that render as horizontal space.
#[inline]
fn is_space(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

/// True for characters that are dropped: C0/C1 controls other than the newline handled by the
/// caller, and zero-width or byte-order marks.
#[inline]
fn is_dropped(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{ad}'
        )
}

/// Block size of the [`is_clean`] fast path.
const CHUNK: usize = 16;

/// True when each of the first [`CHUNK`] bytes of `w` (which holds one more byte, for the
/// look-ahead) is visible ASCII, or a space followed by visible ASCII.
#[inline]
fn plain_block(w: &[u8; CHUNK + 1]) -> bool {
    let vis = |c: u8| c.wrapping_sub(0x21) < 0x5e;
    let mut ok = true;
    for k in 0..CHUNK {
        ok &= vis(w[k]) | ((w[k] == b' ') & vis(w[k + 1]));
    }
    ok
}

/// True when some byte is at least `0xcc` (a lead byte of a character at or above U+0300).
#[inline]
fn any_high(b: &[u8]) -> bool {
    let mut chunks = b.chunks_exact(32);
    for c in &mut chunks {
        if c.iter().fold(0u8, |a, &x| a | u8::from(x >= 0xcc)) != 0 {
            return true;
        }
    }
    chunks.remainder().iter().any(|&x| x >= 0xcc)
}

/// True when [`whitespace`] would return `text` unchanged: a read-only scan, much cheaper than
/// the rewrite, for the many documents that need none.
fn is_clean(text: &str) -> bool {
    let b = text.as_bytes();
    if matches!(b.first(), Some(b' ' | b'\n')) || matches!(b.last(), Some(b' ' | b'\n')) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        // Fast path: 16 bytes at a time while every byte is visible ASCII or a single space
        // before visible ASCII (branch-free, so it vectorizes). Such a block passes every
        // check below, so skipping it changes nothing.
        while let Some(w) = b.get(i..i + CHUNK + 1) {
            match <&[u8; CHUNK + 1]>::try_from(w) {
                Ok(w) if plain_block(w) => i += CHUNK,
                _ => break,
            }
        }
        if i >= b.len() {
            break;
        }
        let c = b[i];
        if c > b' ' && c < 0x7f {
            i += 1;
            continue;
        }
        match c {
            b' ' => {
                if matches!(b.get(i + 1), Some(b' ' | b'\n')) {
                    return false;
                }
            }
            b'\n' => match b.get(i + 1) {
                Some(b' ') => return false,
                Some(b'\n') if matches!(b.get(i + 2), Some(b' ' | b'\n')) => return false,
                _ => {}
            },
            c if c < 0x80 => return false,
            _ => {
                let Some(ch) = text[i..].chars().next() else {
                    return false;
                };
                if matches!(ch, '\u{2028}' | '\u{2029}' | '\u{85}')
                    || is_space(ch)
                    || is_dropped(ch)
                {
                    return false;
                }
                i += ch.len_utf8();
                continue;
            }
        }
        i += 1;
    }
    true
}

/// Unifies newlines and spaces in one pass. Runs of visible ASCII are copied in bulk; other
/// bytes are looked at one character at a time.
fn whitespace(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    // Newlines seen since the last visible character (at most 2 are written).
    let mut newlines = 0usize;
    let mut space = false;
    let mut i = 0;
    // Writes the separator owed before the next visible text.
    let sep = |out: &mut String, newlines: &mut usize, space: &mut bool| {
        if !out.is_empty() {
            if *newlines > 0 {
                out.push_str(if *newlines > 1 { "\n\n" } else { "\n" });
            } else if *space {
                out.push(' ');
            }
        }
        *newlines = 0;
        *space = false;
    };
    while i < b.len() {
        // A span of visible ASCII with single spaces inside needs no change: copy it at once.
        let start = i;
        loop {
            while i < b.len() && b[i] > b' ' && b[i] < 0x7f {
                i += 1;
            }
            if i > start && i + 1 < b.len() && b[i] == b' ' && b[i + 1] > b' ' && b[i + 1] < 0x7f {
                i += 1;
                continue;
            }
            break;
        }
        if i > start {
            sep(&mut out, &mut newlines, &mut space);
            out.push_str(&text[start..i]);
            continue;
        }
        let c = b[i];
        if c < 0x80 {
            i += 1;
            match c {
                b' ' | b'\t' => space = true,
                b'\r' => {
                    if b.get(i) == Some(&b'\n') {
                        i += 1;
                    }
                    newlines += 1;
                    space = false;
                }
                b'\n' | 0x0b | 0x0c => {
                    newlines += 1;
                    space = false;
                }
                // Other C0 controls and DEL are dropped.
                _ => {}
            }
            continue;
        }
        let Some(ch) = text[i..].chars().next() else {
            break;
        };
        let len = ch.len_utf8();
        if matches!(ch, '\u{2028}' | '\u{2029}' | '\u{85}') {
            newlines += 1;
            space = false;
        } else if is_space(ch) {
            space = true;
        } else if !is_dropped(ch) {
            sep(&mut out, &mut newlines, &mut space);
            out.push_str(&text[i..i + len]);
        }
        i += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        Normalize::default().normalize(s)
    }

    #[test]
    fn fast_clean_check_agrees_with_the_rewrite() {
        // Real BBC paragraphs, with defects placed inside and across the 16-byte blocks of the
        // fast path: each must be reported unclean exactly when the rewrite changes it.
        let base = "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn for the three months to December, from $639m year-earlier.\n\nThe firm, which is now one of the biggest investors in Google, benefited from sales of high-speed internet connections.";
        assert!(is_clean(base));
        for at in [1, 15, 16, 17, 31, 32, 33, 60, base.len() - 2] {
            for bad in [
                "  ", " \n", "\n ", "\t", "\r", "\u{a0}", "\u{200b}", "\n\n\n",
            ] {
                let mut t = base.to_string();
                if !t.is_char_boundary(at) {
                    continue;
                }
                t.insert_str(at, bad);
                assert_eq!(is_clean(&t), whitespace(&t) == t, "{bad:?} at {at}");
                assert!(!is_clean(&t), "{bad:?} at {at}");
            }
        }
        let curly = "Time Warner\u{2019}s fourth quarter profits were slightly better than analysts\u{2019} expectations.";
        assert!(is_clean(curly));
        assert_eq!(whitespace(curly), curly);
    }

    #[test]
    fn high_byte_scan_finds_combining_marks_anywhere() {
        let s = "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn.";
        assert!(!any_high(s.as_bytes()));
        for at in [0, 31, 32, 40, s.len()] {
            let mut t = s.to_string();
            t.insert(at, '\u{301}');
            assert!(any_high(t.as_bytes()), "at {at}");
        }
        // U+00A3 (a pound sign, lead byte 0xC2) stays on the cheap path.
        assert!(!any_high("\u{a3}600m".as_bytes()));
    }

    #[test]
    fn collapses_spaces_and_trims_lines() {
        assert_eq!(norm("  a  \t b \u{a0} c  \n  d  "), "a b c\nd");
    }

    #[test]
    fn unifies_newlines_and_caps_blank_lines() {
        assert_eq!(norm("a\r\nb\rc\n\n\n\n\nd\u{2029}e"), "a\nb\nc\n\nd\ne");
        assert_eq!(norm("\n\n  x\n\n"), "x");
        // A line of only spaces counts as a blank line.
        assert_eq!(norm("a\n   \nb"), "a\n\nb");
    }

    #[test]
    fn strips_controls_and_zero_width() {
        assert_eq!(norm("a\u{0}b\u{7}c\u{200b}d\u{feff}e\u{1b}[0m"), "abcde[0m");
    }

    #[test]
    fn decodes_entities() {
        assert_eq!(
            norm("Tom &amp; Jerry&#8217;s &quot;show&quot;&nbsp;now"),
            "Tom & Jerry\u{2019}s \"show\" now"
        );
        // Not an entity: left alone.
        assert_eq!(norm("AT&T & co"), "AT&T & co");
    }

    #[test]
    fn applies_nfc() {
        // "e" + combining acute becomes the precomposed "é".
        assert_eq!(norm("caf\u{65}\u{301}"), "caf\u{e9}");
        let n = NormalizeConfig {
            nfc: false,
            ..Default::default()
        }
        .build()
        .unwrap();
        assert_eq!(n.normalize("caf\u{65}\u{301}"), "caf\u{65}\u{301}");
    }

    proptest::proptest! {
        /// `is_clean` must agree with the rewrite: a text is clean exactly when normalizing it
        /// changes nothing.
        #[test]
        fn clean_check_agrees_with_rewrite(s in "[a b\\n\\t\\r\u{a0}\u{200b}\u{1}é.]{0,40}") {
            proptest::prop_assert_eq!(is_clean(&s), whitespace(&s) == s);
        }
    }

    #[test]
    fn garbled_utf8_is_decoded_again_unless_switched_off() {
        // "It’s £5 — café" as UTF-8 read by a windows-1252 decoder.
        let garbled =
            "It\u{e2}\u{20ac}\u{2122}s \u{c2}\u{a3}5 \u{e2}\u{20ac}\u{201d} caf\u{c3}\u{a9}";
        let run = |cfg: NormalizeConfig| {
            let mut d = Doc::from_text("x", garbled);
            let mut c = Counters::default();
            cfg.build().unwrap().process(&mut d, &mut c);
            (d.text, c.get("normalize", "mojibake_repaired"))
        };
        assert_eq!(
            run(NormalizeConfig::default()),
            ("It\u{2019}s \u{a3}5 \u{2014} caf\u{e9}".to_string(), 1)
        );
        let off = NormalizeConfig {
            repair_mojibake: false,
            ..NormalizeConfig::default()
        };
        assert_eq!(run(off), (garbled.to_string(), 0));
    }

    #[test]
    fn is_idempotent_on_real_text() {
        let s = "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn (£600m).\n\nThe firm said.";
        let once = norm(s);
        assert_eq!(once, s);
        assert_eq!(norm(&once), once);
    }
}
