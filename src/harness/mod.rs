//! Evaluation harnesses: synthetic corpora with known answers and their scorers, for the
//! examples (`examples/clean_eval.rs`, `examples/near_eval.rs`), the benches and the tests.
//!
//! Not part of the production library: compiled only with the `harness` cargo feature, which
//! the crate's tests, benches and examples switch on through a dev-dependency on the crate
//! itself, so a plain `cargo build` leaves it out.
//!
//! - [`clean`]: real article bodies wrapped in invented site boilerplate ([`sites`]), the
//!   shingle precision/recall scorer and a C4-style line-filter baseline;
//! - [`near`]: planted near copies and must-stay quoting documents for near-duplicate removal,
//!   and [`near::SyntheticRecords`] for LSH speed measurements.

pub mod clean;
pub mod near;
pub mod sites;
