//! Character references as browsers decode them (the HTML standard's character reference
//! state), in text and in attribute values. `html_escape` decodes the references that end in `;`;
//! browsers also decode the legacy names without one ("staff&nbsp|&nbsp", "&copy 2017"),
//! numeric references without one ("&#8217s"), and read the numbers 0x80-0x9F as the
//! Windows-1252 characters of those bytes ("&#150;" is an en dash, not a C1 control).

use std::borrow::Cow;

use crate::clean::mojibake::cp1252_high;

/// Named references that browsers decode in text without a closing `;` (the HTML standard's
/// list: the Latin-1 names and the upper-case forms of five of them), sorted for binary search.
const LEGACY: [&str; 106] = [
    "AElig", "AMP", "Aacute", "Acirc", "Agrave", "Aring", "Atilde", "Auml", "COPY", "Ccedil",
    "ETH", "Eacute", "Ecirc", "Egrave", "Euml", "GT", "Iacute", "Icirc", "Igrave", "Iuml", "LT",
    "Ntilde", "Oacute", "Ocirc", "Ograve", "Oslash", "Otilde", "Ouml", "QUOT", "REG", "THORN",
    "Uacute", "Ucirc", "Ugrave", "Uuml", "Yacute", "aacute", "acirc", "acute", "aelig", "agrave",
    "amp", "aring", "atilde", "auml", "brvbar", "ccedil", "cedil", "cent", "copy", "curren", "deg",
    "divide", "eacute", "ecirc", "egrave", "eth", "euml", "frac12", "frac14", "frac34", "gt",
    "iacute", "icirc", "iexcl", "igrave", "iquest", "iuml", "laquo", "lt", "macr", "micro",
    "middot", "nbsp", "not", "ntilde", "oacute", "ocirc", "ograve", "ordf", "ordm", "oslash",
    "otilde", "ouml", "para", "plusmn", "pound", "quot", "raquo", "reg", "sect", "shy", "sup1",
    "sup2", "sup3", "szlig", "thorn", "times", "uacute", "ucirc", "ugrave", "uml", "uuml",
    "yacute", "yen", "yuml",
];

/// Longest name of [`LEGACY`] (`AElig`, `frac12`, ...).
const LEGACY_MAX: usize = 6;

/// Longest name tried as a reference (the longest in the standard's table has 31 letters).
const NAME_MAX: usize = 32;

/// `text` with its character references decoded as a browser decodes them in text content;
/// borrowed when it holds no `&`.
pub fn decode(text: &str) -> Cow<'_, str> {
    decode_with(text, false)
}

/// An attribute value with its character references decoded as a browser decodes them there:
/// as in text, except that a legacy name without `;` followed by `=` or a letter or digit is
/// left as written (`href="?id=1&copy=2"`).
pub fn decode_attribute(value: &str) -> Cow<'_, str> {
    decode_with(value, true)
}

fn decode_with(text: &str, attribute: bool) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let used = decode_one(tail, attribute, &mut out);
        rest = &tail[used..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Decodes the reference at the start of `tail` (which starts with `&`) into `out` and
/// returns the bytes it took; a lone `&` is copied and takes one byte.
fn decode_one(tail: &str, attribute: bool, out: &mut String) -> usize {
    let b = tail.as_bytes();
    if b.get(1) == Some(&b'#') {
        return numeric(tail, out);
    }
    let n = b[1..]
        .iter()
        .take(NAME_MAX)
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    if n == 0 {
        out.push('&');
        return 1;
    }
    if b.get(1 + n) == Some(&b';') {
        let whole = &tail[..n + 2];
        let decoded = html_escape::decode_html_entities(whole);
        if decoded != whole {
            out.push_str(&decoded);
            return n + 2;
        }
    }
    // The longest legacy name the letters start with ("&notit;" is "¬it;").
    for k in (2..=n.min(LEGACY_MAX)).rev() {
        let name = &tail[1..1 + k];
        if LEGACY.binary_search(&name).is_ok() {
            let next = b.get(1 + k).copied().unwrap_or(b' ');
            if attribute && (next == b'=' || next.is_ascii_alphanumeric()) {
                break;
            }
            let mut whole = String::with_capacity(k + 2);
            whole.push('&');
            whole.push_str(name);
            whole.push(';');
            out.push_str(&html_escape::decode_html_entities(&whole));
            return 1 + k;
        }
    }
    out.push('&');
    1
}

/// A numeric reference (`&#8217;`, `&#x2019`, with or without `;`) at the start of `tail`.
fn numeric(tail: &str, out: &mut String) -> usize {
    let b = tail.as_bytes();
    let hex = matches!(b.get(2), Some(b'x' | b'X'));
    let start = if hex { 3 } else { 2 };
    let digits = b[start..]
        .iter()
        .take_while(|c| {
            if hex {
                c.is_ascii_hexdigit()
            } else {
                c.is_ascii_digit()
            }
        })
        .count();
    if digits == 0 {
        out.push('&');
        return 1;
    }
    let radix = if hex { 16 } else { 10 };
    let value = tail[start..start + digits]
        .bytes()
        .try_fold(0u32, |v, d| {
            let d = (d as char).to_digit(radix)?;
            v.checked_mul(radix)?.checked_add(d)
        })
        .unwrap_or(u32::MAX);
    out.push(code_point(value));
    let end = start + digits;
    if b.get(end) == Some(&b';') {
        end + 1
    } else {
        end
    }
}

/// The character of a numeric reference: Windows-1252's for 0x80-0x9F, U+FFFD for zero,
/// surrogates and numbers beyond Unicode.
fn code_point(value: u32) -> char {
    match value {
        0x80..=0x9f => cp1252_high(value as u8),
        _ => char::from_u32(value)
            .filter(|&c| c != '\0')
            .unwrap_or('\u{fffd}'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_list_is_sorted_and_known() {
        assert!(LEGACY.windows(2).all(|w| w[0] < w[1]));
        for name in LEGACY {
            let whole = format!("&{name};");
            assert_ne!(html_escape::decode_html_entities(&whole), whole, "{name}");
            assert!(name.len() <= LEGACY_MAX);
        }
    }

    #[test]
    fn references_decode_as_in_a_browser() {
        let cases = [
            ("staff&nbsp|&nbsp", "staff\u{a0}|\u{a0}"),
            ("&copy 2017 Example", "© 2017 Example"),
            ("AT&T and Q&A", "AT&T and Q&A"),
            ("&amp;nbsp; stays one level", "&nbsp; stays one level"),
            ("it&#8217s", "it\u{2019}s"),
            ("&#x2019;&#X2019", "\u{2019}\u{2019}"),
            (
                "1&#150;2 &#147;quoted&#148;",
                "1\u{2013}2 \u{201c}quoted\u{201d}",
            ),
            ("&notit; &notin;", "¬it; ∉"),
            (
                "&hellip; &hellip &bogus; & &#; &#x;",
                "… &hellip &bogus; & &#; &#x;",
            ),
            ("&#0; &#55296; &#99999999999;", "\u{fffd} \u{fffd} \u{fffd}"),
            ("no references", "no references"),
        ];
        for (raw, want) in cases {
            assert_eq!(decode(raw), want, "{raw}");
        }
        assert!(matches!(decode("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn attribute_values_keep_legacy_names_before_letters_and_equals() {
        let cases = [
            ("/story?id=1&copy=2&notes=3", "/story?id=1&copy=2&notes=3"),
            (
                "Rock &amp; Roll &nbsp;x &copy 2017",
                "Rock & Roll \u{a0}x © 2017",
            ),
            ("It&#146;s &#150; over", "It\u{2019}s \u{2013} over"),
        ];
        for (raw, want) in cases {
            assert_eq!(decode_attribute(raw), want, "{raw}");
        }
        assert_eq!(decode("?a=1&copy=2"), "?a=1©=2");
    }

    proptest::proptest! {
        /// Any text, references or not, decodes without a panic; escaping a text and decoding
        /// it gives the text back, in text and in attribute values.
        #[test]
        fn escaped_text_decodes_back(s in "[a-z&#;x0-9 é€\u{a0}<>\"=]{0,40}") {
            let _ = decode(&s);
            let _ = decode_attribute(&s);
            let escaped = html_escape::encode_double_quoted_attribute(&s);
            proptest::prop_assert_eq!(decode(&escaped), s.as_str());
            proptest::prop_assert_eq!(decode_attribute(&escaped), s.as_str());
        }
    }
}
