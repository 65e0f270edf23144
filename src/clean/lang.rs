//! Language identification with whatlang (pure Rust, trigram profiles).
//!
//! Runs after the quality filters on the cleaned text. Sets `doc.lang` to the ISO 639-3 code and
//! whatlang's confidence (0..1), which the writer emits as `lang` and `lang_score`. Only the first
//! `max_bytes` of the text are examined: identification is stable well before that and the cost
//! stays flat for long documents. With a non-empty `allow` list, documents in other languages (or
//! with no identifiable language, or a confidence under `min_score`) are dropped; by default every
//! document is kept and tagged.

use serde::{Deserialize, Serialize};

use crate::doc::{Doc, Lang};
use crate::stage::{Counters, Drop, Stage, Verdict};

/// Config for the `[lang]` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LangConfig {
    /// Run this stage (default true).
    pub enabled: bool,
    /// ISO 639-3 codes to keep, e.g. ["eng", "deu"] (default empty: keep all, tag only).
    pub allow: Vec<String>,
    /// With a non-empty `allow`, drop documents whose confidence is below this (default 0.0).
    pub min_score: f64,
    /// Bytes of text examined, from the start (default 2048).
    pub max_bytes: usize,
}

impl Default for LangConfig {
    fn default() -> Self {
        LangConfig {
            enabled: true,
            allow: Vec::new(),
            min_score: 0.0,
            max_bytes: 2048,
        }
    }
}

impl LangConfig {
    /// Validates the config and builds the stage.
    pub fn build(&self) -> crate::Result<LangId> {
        let mut allow = Vec::with_capacity(self.allow.len());
        for code in &self.allow {
            match whatlang::Lang::from_code(code.as_str()) {
                Some(l) => allow.push(l),
                None => {
                    return Err(crate::Error::Config(format!(
                        "lang.allow: `{code}` is not an ISO 639-3 code whatlang knows (use codes such as \"eng\", \"deu\", \"fra\")"
                    )))
                }
            }
        }
        if !(0.0..=1.0).contains(&self.min_score) {
            return Err(crate::Error::Config(format!(
                "lang.min_score = {} is outside 0..=1",
                self.min_score
            )));
        }
        if self.max_bytes < 16 {
            return Err(crate::Error::Config(format!(
                "lang.max_bytes = {} is too small to identify a language; use 2048",
                self.max_bytes
            )));
        }
        Ok(LangId {
            enabled: self.enabled,
            allow,
            min_score: self.min_score,
            max_bytes: self.max_bytes,
        })
    }
}

/// The language-identification stage.
#[derive(Clone, Debug)]
pub struct LangId {
    enabled: bool,
    allow: Vec<whatlang::Lang>,
    min_score: f64,
    max_bytes: usize,
}

impl LangId {
    /// Identifies the language of `text` (its first `max_bytes`).
    pub fn identify(&self, text: &str) -> Option<Lang> {
        let mut end = text.len().min(self.max_bytes);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let info = whatlang::detect(&text[..end])?;
        Some(Lang {
            code: info.lang().code(),
            score: info.confidence(),
        })
    }
}

impl Stage for LangId {
    fn name(&self) -> &'static str {
        "lang"
    }

    fn process(&self, doc: &mut Doc, counters: &mut Counters) -> Verdict {
        if !self.enabled {
            return Verdict::Keep;
        }
        let lang = self.identify(&doc.text);
        if lang.is_none() {
            counters.add("lang", "unidentified", 1);
        }
        doc.lang = lang.clone();
        if self.allow.is_empty() {
            return Verdict::Keep;
        }
        let Some(l) = lang else {
            return Verdict::Drop(Drop {
                stage: "lang",
                rule: "unidentified",
                value: 0.0,
                threshold: self.min_score,
            });
        };
        if !self.allow.iter().any(|a| a.code() == l.code) {
            return Verdict::Drop(Drop {
                stage: "lang",
                rule: "not_allowed",
                value: l.score,
                threshold: self.min_score,
            });
        }
        if l.score < self.min_score {
            return Verdict::Drop(Drop {
                stage: "lang",
                rule: "low_score",
                value: l.score,
                threshold: self.min_score,
            });
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_english_and_german() {
        let s = LangConfig::default().build().unwrap();
        let mut c = Counters::default();
        let mut d = Doc::from_text("a", "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn for the three months to December, from $639m year-earlier.");
        assert_eq!(s.process(&mut d, &mut c), Verdict::Keep);
        assert_eq!(d.lang.as_ref().unwrap().code, "eng");
        assert!(d.lang.as_ref().unwrap().score > 0.5);
        let mut d = Doc::from_text("b", "Die Bundesregierung hat am Mittwoch beschlossen, die Steuern für kleine Unternehmen im kommenden Jahr deutlich zu senken.");
        assert_eq!(s.process(&mut d, &mut c), Verdict::Keep);
        assert_eq!(d.lang.as_ref().unwrap().code, "deu");
    }

    #[test]
    fn allow_list_drops_other_languages() {
        let s = LangConfig {
            allow: vec!["eng".into()],
            ..Default::default()
        }
        .build()
        .unwrap();
        let mut c = Counters::default();
        let mut d = Doc::from_text("b", "Die Bundesregierung hat am Mittwoch beschlossen, die Steuern für kleine Unternehmen im kommenden Jahr deutlich zu senken.");
        match s.process(&mut d, &mut c) {
            Verdict::Drop(x) => assert_eq!(x.rule, "not_allowed"),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn rejects_unknown_codes() {
        let e = LangConfig {
            allow: vec!["english".into()],
            ..Default::default()
        }
        .build();
        assert!(e.is_err());
    }
}
