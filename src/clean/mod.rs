//! Cleaning stages: main-content extraction from web pages, paragraph reconstruction of hard-wrapped text, text normalization,
//! line-level boilerplate rules, per-site repeated-line removal, quality filters, language
//! identification and the minimum-length filter, with their defaults chosen by a profile
//! (`news` or `web`, [`profile`]).
//!
//! Each stage takes a [`Doc`](crate::doc::Doc) from the workers, edits its text or drops it.

pub mod html;
pub mod lang;
pub mod length;
pub mod lexicon;
pub mod lines;
pub mod mojibake;
pub mod normalize;
pub mod profile;
pub mod quality;
pub mod repeated;
pub mod repetition;
pub mod unwrap;

/// Leading UTF-8 byte of a character in U+3000..U+9FFF (CJK punctuation, kana, Han): Chinese
/// and Japanese are written without spaces, so the quality and line rules count each such
/// character as a word.
pub(crate) const fn is_cjk_lead(b: u8) -> bool {
    b >= 0xE3 && b <= 0xE9
}

/// Ends in a sentence-final mark of a script other than Latin: the ideographic full stop
/// U+3002, the fullwidth `！` `？` U+FF01 / U+FF1F, the Arabic question mark U+061F or the
/// Devanagari danda U+0964.
pub(crate) fn ends_other_script_stop(b: &[u8]) -> bool {
    matches!(
        b,
        [.., 0xE3, 0x80, 0x82]
            | [.., 0xEF, 0xBC, 0x81 | 0x9F]
            | [.., 0xD8, 0x9F]
            | [.., 0xE0, 0xA5, 0xA4]
    )
}
