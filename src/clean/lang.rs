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
    /// Bytes of text examined, from the start (default 600: whatlang is stable on a few
    /// sentences and its trigram scoring dominates the cost of cleaning).
    pub max_bytes: usize,
}

impl Default for LangConfig {
    fn default() -> Self {
        LangConfig {
            enabled: true,
            allow: Vec::new(),
            min_score: 0.0,
            max_bytes: 600,
        }
    }
}

/// Parses the ISO 639-3 codes of config key `key`; an unknown code is an error naming it.
pub(crate) fn parse_codes(key: &str, codes: &[String]) -> crate::Result<Vec<whatlang::Lang>> {
    codes
        .iter()
        .map(|code| {
            whatlang::Lang::from_code(code.as_str()).ok_or_else(|| {
                crate::Error::Config(format!(
                    "{key}: `{code}` is not an ISO 639-3 code whatlang knows (use codes such as \"eng\", \"deu\", \"fra\")"
                ))
            })
        })
        .collect()
}

impl LangConfig {
    /// Validates the config and builds the stage.
    pub fn build(&self) -> crate::Result<LangId> {
        let allow = parse_codes("lang.allow", &self.allow)?;
        if !(0.0..=1.0).contains(&self.min_score) {
            return Err(crate::Error::Config(format!(
                "lang.min_score = {} is outside 0..=1",
                self.min_score
            )));
        }
        if self.max_bytes < 16 {
            return Err(crate::Error::Config(format!(
                "lang.max_bytes = {} is too small to identify a language; use 600",
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

/// Languages of the fast path, in bit order of [`function_word`].
const FAST_LANGS: [whatlang::Lang; 7] = {
    use whatlang::Lang::*;
    [Eng, Deu, Fra, Spa, Por, Ita, Nld]
};

/// Bit set of the fast-path languages (bit i = `FAST_LANGS[i]`) for which the lowercased word
/// is a frequent function word.
#[inline]
fn function_word(w: &[u8]) -> u8 {
    const ENG: u8 = 1;
    const DEU: u8 = 2;
    const FRA: u8 = 4;
    const SPA: u8 = 8;
    const POR: u8 = 16;
    const ITA: u8 = 32;
    const NLD: u8 = 64;
    match w {
        b"the" | b"and" | b"of" | b"to" | b"is" | b"that" | b"was" | b"for" | b"with" | b"said"
        | b"are" | b"have" | b"it" | b"on" | b"he" | b"by" | b"at" | b"be" | b"has" | b"from"
        | b"his" | b"will" | b"an" | b"not" | b"this" | b"but" | b"they" | b"were" | b"had"
        | b"been" | b"which" | b"its" | b"would" | b"their" | b"after" => ENG,
        b"der" | b"und" | b"ist" | b"nicht" | b"mit" | b"von" | b"den" | b"sich" | b"auch"
        | b"ein" => DEU,
        b"die" => DEU,
        b"das" => DEU,
        b"le" | b"les" | b"et" | b"est" | b"une" | b"pour" | b"dans" | b"qui" | b"sur" | b"pas"
        | b"du" => FRA,
        b"des" => FRA,
        b"el" | b"los" | b"las" | b"y" | b"es" | b"se" => SPA,
        b"que" => SPA | POR,
        b"del" => SPA | ITA,
        b"por" => SPA,
        b"una" => SPA | ITA,
        b"con" => SPA | ITA,
        b"para" => SPA | POR,
        b"os" | b"as" | b"do" | b"da" | b"em" | b"um" | b"uma" | b"com" | b"dos" | b"foi" => POR,
        b"il" | b"che" | b"di" | b"della" | b"per" | b"sono" | b"non" | b"gli" | b"nel" => ITA,
        b"de" => NLD,
        b"het" | b"een" | b"van" | b"en" | b"dat" | b"niet" | b"met" | b"voor" | b"zijn"
        | b"ook" | b"op" => NLD,
        _ => 0,
    }
}

impl LangId {
    /// The fast path: when one language's function words make up at least 15% of at least 20
    /// words and at least three times the runner-up's, that language, with confidence
    /// `1 - runner_up / leader`.
    fn by_function_words(sample: &str) -> Option<Lang> {
        let mut hits = [0usize; 7];
        let mut words = 0usize;
        for w in sample
            .as_bytes()
            .split(|c| !(c.is_ascii_alphanumeric() || *c >= 0x80))
        {
            if w.is_empty() {
                continue;
            }
            words += 1;
            if w.len() > 5 {
                continue;
            }
            let mut lower = [0u8; 5];
            for (d, c) in lower.iter_mut().zip(w) {
                *d = c.to_ascii_lowercase();
            }
            let mut bits = function_word(&lower[..w.len()]);
            while bits != 0 {
                hits[bits.trailing_zeros() as usize] += 1;
                bits &= bits - 1;
            }
        }
        let (lead, &h) = hits.iter().enumerate().max_by_key(|(_, h)| **h)?;
        let second = hits
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != lead)
            .map(|(_, x)| *x)
            .max()
            .unwrap_or(0);
        if words < 20 || (h as f64) < 0.15 * words as f64 || second * 3 > h {
            return None;
        }
        Some(Lang {
            code: FAST_LANGS[lead].code(),
            score: 1.0 - second as f64 / h as f64,
        })
    }

    /// Identifies the language of `text` (its first `max_bytes`).
    ///
    /// Whatlang scores a text against every language profile of its script, a fixed cost of
    /// about 50-100 µs per document that would dominate the cleaning stages. Text that is
    /// clearly in one of the seven most common news languages (English, German, French,
    /// Spanish, Portuguese, Italian, Dutch) by its function words is tagged from them; whatlang
    /// decides everything else.
    pub fn identify(&self, text: &str) -> Option<Lang> {
        self.identify_counted(text).0
    }

    /// The first `max_bytes` of `text` (cut at a character boundary): what is identified.
    fn sample<'a>(&self, text: &'a str) -> &'a str {
        let mut end = text.len().min(self.max_bytes);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        &text[..end]
    }

    /// `text` (its first `max_bytes`) identified among `langs` only (codes; unknown ones are
    /// left out): a text between two related languages (Danish and Norwegian, Serbian and
    /// Croatian) gets a low confidence from [`Self::identify`] even when it is clearly
    /// neither English nor German.
    pub fn identify_among(&self, text: &str, langs: &[&str]) -> Option<Lang> {
        let allow: Vec<whatlang::Lang> = langs
            .iter()
            .filter_map(|c| whatlang::Lang::from_code(*c))
            .collect();
        if allow.len() < 2 {
            return None;
        }
        whatlang::Detector::with_allowlist(allow)
            .detect(self.sample(text))
            .map(|info| Lang {
                code: info.lang().code(),
                score: info.confidence(),
            })
    }

    /// [`Self::identify`], also saying whether the function-word fast path decided.
    fn identify_counted(&self, text: &str) -> (Option<Lang>, bool) {
        let sample = self.sample(text);
        if let Some(l) = Self::by_function_words(sample) {
            return (Some(l), true);
        }
        let lang = whatlang::detect(sample).map(|info| Lang {
            code: info.lang().code(),
            score: info.confidence(),
        });
        (lang, false)
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
        let (lang, fast) = self.identify_counted(&doc.text);
        counters.add("lang", if fast { "function_words" } else { "whatlang" }, 1);
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
