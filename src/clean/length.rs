//! Minimum-length filter: drops documents whose cleaned text is too short to be an article.

use serde::{Deserialize, Serialize};

use crate::doc::Doc;
use crate::stage::{Counters, Drop, Stage, Verdict};

/// Config for the `[min_length]` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MinLengthConfig {
    /// Run this stage (default true).
    pub enabled: bool,
    /// Minimum number of characters (Unicode code points) of cleaned text (default 100).
    pub min_chars: usize,
}

impl Default for MinLengthConfig {
    fn default() -> Self {
        MinLengthConfig {
            enabled: true,
            min_chars: 100,
        }
    }
}

impl MinLengthConfig {
    /// Builds the stage.
    pub fn build(&self) -> crate::Result<MinLength> {
        Ok(MinLength {
            min_chars: self.min_chars,
        })
    }
}

/// The minimum-length stage.
#[derive(Clone, Debug)]
pub struct MinLength {
    min_chars: usize,
}

impl Stage for MinLength {
    fn name(&self) -> &'static str {
        "min_length"
    }

    fn process(&self, doc: &mut Doc, _counters: &mut Counters) -> Verdict {
        // Byte length bounds the char count from above, so most documents skip the count.
        if doc.text.len() >= self.min_chars * 4 {
            return Verdict::Keep;
        }
        let n = doc.text.chars().count();
        if n < self.min_chars {
            return Verdict::Drop(Drop {
                stage: "min_length",
                rule: "too_short",
                value: n as f64,
                threshold: self.min_chars as f64,
            });
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_short_keeps_long() {
        let s = MinLengthConfig {
            enabled: true,
            min_chars: 10,
        }
        .build()
        .unwrap();
        let mut c = Counters::default();
        let mut short = Doc::from_text("a", "ééééé");
        match s.process(&mut short, &mut c) {
            Verdict::Drop(d) => {
                assert_eq!(d.rule, "too_short");
                assert_eq!(d.value, 5.0);
            }
            v => panic!("expected drop, got {v:?}"),
        }
        // Ten code points, twenty bytes: kept.
        let mut ok = Doc::from_text("b", "éééééééééé");
        assert_eq!(s.process(&mut ok, &mut c), Verdict::Keep);
    }
}
