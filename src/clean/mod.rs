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
pub mod normalize;
pub mod profile;
pub mod quality;
pub mod repeated;
pub mod repetition;
pub mod unwrap;
