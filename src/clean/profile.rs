//! Profiles: sets of defaults for one kind of corpus, chosen with `profile = "news"` (the
//! default) or `"web"` in the config, or `--profile` on the command line.
//!
//! The section types' own `Default`s hold the published thresholds (C4, Gopher, FineWeb) that
//! suit LM-pretraining web crawls; that is the `web` profile. The `news` profile changes the
//! few keys listed in [`PROFILE_KEYS`] so that short wire stories, earnings notices and
//! articles whose agency re-sent a paragraph are kept, and near-duplicate shingles keep their
//! digits. A config file sets any of these keys to override the profile one key at a time
//! ([`crate::config::Config::from_toml_with_profile`] applies the profile first and the file's
//! keys over it).

use serde::{Deserialize, Serialize};

use crate::config::Config;

/// A set of defaults for one kind of corpus.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// News and article corpora (the default): short stories kept, repeated paragraphs reduced
    /// to one, digits significant for near duplicates.
    #[default]
    News,
    /// LM-pretraining web crawls: the published C4 / Gopher / FineWeb thresholds.
    Web,
}

/// The config keys whose defaults depend on the profile, with their `news` and `web` values.
pub const PROFILE_KEYS: &[(&str, &str, &str)] = &[
    ("quality.c4.min_sentences", "1", "5"),
    ("quality.gopher_quality.min_words", "20", "50"),
    ("quality.gopher_quality.min_alpha_words_ratio", "0.7", "0.8"),
    ("quality.min_lines_for_line_rules", "5", "1"),
    ("line_rules.dedupe_paragraphs", "true", "false"),
    ("near_dedup.keep_digits", "true", "false"),
];

impl Profile {
    /// The profile's name as written in the config.
    pub fn name(self) -> &'static str {
        match self {
            Profile::News => "news",
            Profile::Web => "web",
        }
    }

    /// Parses a profile name (`news` or `web`).
    pub fn parse(name: &str) -> crate::Result<Profile> {
        match name {
            "news" => Ok(Profile::News),
            "web" => Ok(Profile::Web),
            other => Err(crate::Error::Config(format!(
                "unknown profile `{other}`: use \"news\" (article corpora) or \"web\" (LM-pretraining crawls)"
            ))),
        }
    }

    /// Sets the profile-dependent keys of `c` (see [`PROFILE_KEYS`]) to this profile's values.
    pub fn apply(self, c: &mut Config) {
        let news = self == Profile::News;
        c.profile = self;
        c.quality.c4.min_sentences = if news { 1 } else { 5 };
        c.quality.gopher_quality.min_words = if news { 20 } else { 50 };
        c.quality.gopher_quality.min_alpha_words_ratio = if news { 0.7 } else { 0.8 };
        c.quality.min_lines_for_line_rules = if news { 5 } else { 1 };
        c.line_rules.dedupe_paragraphs = news;
        c.near_dedup.keep_digits = news;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PROFILE_KEYS documents exactly what `apply` sets.
    #[test]
    fn keys_match_apply() {
        for p in [Profile::News, Profile::Web] {
            let mut c = Config::default();
            p.apply(&mut c);
            let v = toml::Value::try_from(&c).unwrap();
            for (key, news, web) in PROFILE_KEYS {
                let mut x = &v;
                for part in key.split('.') {
                    x = &x[part];
                }
                let want = if p == Profile::News { news } else { web };
                assert_eq!(&x.to_string(), want, "{key} in {}", p.name());
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for p in [Profile::News, Profile::Web] {
            assert_eq!(Profile::parse(p.name()).unwrap(), p);
        }
        assert!(Profile::parse("blog").is_err());
    }
}
