//! Cleaning stages: text normalization, line-level boilerplate rules, per-site repeated-line
//! removal, quality filters, language identification and the minimum-length filter.
//!
//! Each stage takes a [`Doc`](crate::doc::Doc) from the workers, edits its text or drops it.

pub mod lang;
pub mod length;
pub mod lexicon;
pub mod lines;
pub mod normalize;
pub mod quality;
pub mod repeated;
pub mod repetition;
