//! Pattern entities. STUB.
use super::tokenize::Token;
use super::ByteSpan;
/// Finds pattern entities.
pub fn find(_text: &str, _tokens: &[Token], _out: &mut Vec<ByteSpan>) {}
