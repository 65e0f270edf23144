//! Repair of text whose UTF-8 bytes were decoded as Latin-1 or Windows-1252 before it reached
//! the pipeline ("Itâ€™s", "cafÃ©"): a crawler that trusted a wrong `charset` declaration
//! wrote it so into its JSONL. Such a text (a page for the html stage, a document's text for
//! normalize) is encoded back to the bytes it was read from and decoded as UTF-8, which
//! succeeds only when every non-ASCII character fits that story; a text with one genuine
//! Latin-1 letter ("café" written right) fails the decode and is left as it is.

/// Characters of Windows-1252's bytes 0x80..=0x9F (the five bytes it leaves undefined
/// decode to the C1 control of the same number, as the WHATWG decoder does).
const CP1252_HIGH: [char; 32] = [
    '\u{20ac}', '\u{81}', '\u{201a}', '\u{192}', '\u{201e}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2c6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8d}', '\u{17d}', '\u{8f}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2dc}', '\u{2122}', '\u{161}', '\u{203a}', '\u{153}', '\u{9d}', '\u{17e}', '\u{178}',
];

/// The character Windows-1252 gives byte `b` of 0x80..=0x9F (other bytes: U+FFFD).
pub(crate) fn cp1252_high(b: u8) -> char {
    match b {
        0x80..=0x9f => CP1252_HIGH[usize::from(b - 0x80)],
        _ => '\u{fffd}',
    }
}

/// Pairs of a UTF-8 lead byte read as a letter and a continuation byte read as a character
/// needed before a page is taken for mojibake.
const MIN_PAIRS: usize = 3;

/// The byte a Latin-1 or Windows-1252 decoder read as `c`, if any.
fn byte_of(c: char) -> Option<u8> {
    let u = c as u32;
    if u <= 0xff {
        return Some(u as u8);
    }
    CP1252_HIGH
        .iter()
        .position(|&x| x == c)
        .map(|i| 0x80 + i as u8)
}

/// The text decoded again when it reads as UTF-8 taken for Latin-1 or Windows-1252; `None`
/// when it does not (the usual case, at the cost of one scan of a non-ASCII text).
pub fn repair(page: &str) -> Option<String> {
    // The misread lead bytes (U+00C2..=U+00F4) are all written 0xC3 0x82..=0xB4 in UTF-8: a
    // text without a 0xC3 byte (ASCII, "£5 at 20°", CJK) is skipped at memchr speed.
    memchr::memchr(0xc3, page.as_bytes())?;
    let mut pairs = 0;
    let mut prev = '\0';
    for c in page.chars() {
        // A two- to four-byte lead (0xC2..=0xF4) followed by a continuation byte (0x80..=0xBF).
        if ('\u{c2}'..='\u{f4}').contains(&prev)
            && !c.is_ascii()
            && byte_of(c).is_some_and(|b| (0x80..0xc0).contains(&b))
        {
            pairs += 1;
            if pairs >= MIN_PAIRS {
                break;
            }
        }
        prev = c;
    }
    if pairs < MIN_PAIRS {
        return None;
    }
    let mut bytes = Vec::with_capacity(page.len());
    for c in page.chars() {
        bytes.push(byte_of(c)?);
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `s` as a Windows-1252 decoder reads its UTF-8 bytes.
    fn garble(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                0x80..=0x9f => cp1252_high(b),
                b => char::from(b),
            })
            .collect()
    }

    #[test]
    fn garbled_pages_are_decoded_again() {
        let page = "<p>It\u{2019}s the caf\u{e9}\u{2019}s \u{201c}best\u{201d} cr\u{e8}me \u{2014} \u{20ac}5.</p>";
        let bad = garble(page);
        assert!(bad.contains("It\u{e2}\u{20ac}\u{2122}s"), "{bad}");
        assert_eq!(repair(&bad).as_deref(), Some(page));
        // Latin-1 decoding (C1 controls instead of the Windows-1252 punctuation) too.
        let latin1: String = page.bytes().map(char::from).collect();
        assert_eq!(repair(&latin1).as_deref(), Some(page));
    }

    #[test]
    fn sound_pages_are_left_alone() {
        for page in [
            "plain ASCII",
            "<p>It\u{2019}s the caf\u{e9}\u{2019}s \u{201c}best\u{201d} cr\u{e8}me.</p>",
            // One genuine Latin-1 letter among garbled ones: not a consistent misreading.
            "<p>\u{c3}\u{a9}t\u{c3}\u{a9} \u{c3}\u{a0} caf\u{e9} \u{c3}\u{a8}</p>",
            // Fewer than three garbled pairs.
            "<p>Caf\u{c3}\u{a9} ol\u{e9}</p>",
            "\u{4e2d}\u{6587}\u{7f51}\u{9875} \u{c3}\u{a9}\u{c3}\u{a9}\u{c3}\u{a9}",
        ] {
            assert_eq!(repair(page), None, "{page}");
        }
    }
}
