//! MinHash signatures. STUB: replaced by the real implementation.

use crate::doc::Doc;
use crate::stage::{Counters, Stage, Verdict};

/// Computes a MinHash signature into `doc.minhash`.
#[derive(Debug)]
pub struct MinHashSigner {}

impl Stage for MinHashSigner {
    fn name(&self) -> &'static str {
        "minhash"
    }
    fn process(&self, _doc: &mut Doc, _counters: &mut Counters) -> Verdict {
        Verdict::Keep
    }
}
