//! The TOML config: one section per concern, each with documented defaults.
//!
//! `config/default.toml` spells every key out with its default; the binary loads it (or the file
//! given with `--config`), applies CLI overrides and calls [`Config::validate`]. Every section
//! type rejects unknown keys, so a typo fails loudly instead of being ignored.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::clean::html::HtmlConfig;
use crate::clean::lang::LangConfig;
use crate::clean::length::MinLengthConfig;
use crate::clean::lines::LineRulesConfig;
use crate::clean::normalize::NormalizeConfig;
use crate::clean::profile::Profile;
use crate::clean::quality::QualityConfig;
use crate::clean::repeated::RepeatedLinesConfig;
use crate::clean::unwrap::UnwrapConfig;
use crate::dedup::exact::ExactDedupConfig;
use crate::dedup::near::NearDedupConfig;
use crate::entities::EntitiesConfig;
use crate::Error;

/// The whole config. `Config::default()` is the `news` profile.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `profile`: `news` (default) or `web`; sets the defaults of the keys listed in
    /// [`crate::clean::profile::PROFILE_KEYS`].
    pub profile: Profile,
    /// `[input]`: what to read and how records map to fields.
    pub input: InputConfig,
    /// `[output]`: where and how to write.
    pub output: OutputConfig,
    /// `[pipeline]`: execution settings (threads, batch sizes). They never change the output.
    pub pipeline: PipelineConfig,
    /// `[html]`
    pub html: HtmlConfig,
    /// `[unwrap]`
    pub unwrap: UnwrapConfig,
    /// `[normalize]`
    pub normalize: NormalizeConfig,
    /// `[line_rules]`
    pub line_rules: LineRulesConfig,
    /// `[repeated_lines]`
    pub repeated_lines: RepeatedLinesConfig,
    /// `[quality]`
    pub quality: QualityConfig,
    /// `[min_length]`
    pub min_length: MinLengthConfig,
    /// `[lang]`
    pub lang: LangConfig,
    /// `[exact_dedup]`
    pub exact_dedup: ExactDedupConfig,
    /// `[near_dedup]`
    pub near_dedup: NearDedupConfig,
    /// `[entities]`
    pub entities: EntitiesConfig,
    /// `[distributed]`: how `--executor local|slurm` splits and places the work. Execution
    /// settings: they never change the records written.
    pub distributed: crate::pipeline::dist::DistributedConfig,
}

/// What to do with a line that is not valid UTF-8.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum InvalidUtf8 {
    /// Replace invalid bytes with U+FFFD, keep the record and report it in `errors.jsonl`.
    Replace,
    /// Skip the record and report it in `errors.jsonl`.
    Skip,
}

/// `[input]`
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct InputConfig {
    /// Files, directories (read recursively, sorted by path), globs, or `-` for stdin.
    pub paths: Vec<String>,
    /// Key holding the article text (default `text`).
    pub text_key: String,
    /// Key holding the record id (default `id`); records without one get `<file>:<line>`.
    pub id_key: String,
    /// Key holding the article URL (default `url`).
    pub url_key: String,
    /// Key holding the title (default `title`).
    pub title_key: String,
    /// Key holding the publication date (default `date`).
    pub date_key: String,
    /// Key holding the author (default `author`); the `html` stage writes the page's author
    /// under it when the record has none.
    pub author_key: String,
    /// Key holding a web page's HTML (default empty = none). When set, records with this
    /// field get their text from the page's main content (the `html` stage); the field is
    /// replaced by the text in the output. Records without it use `text_key` as usual.
    pub html_key: String,
    /// Key naming the site, used to group documents per site (default `source`); when empty or
    /// absent from a record, the host of the URL is used.
    pub source_key: String,
    /// Longest accepted line in bytes after decompression (default 64 MiB). Longer lines are
    /// skipped and reported.
    pub max_line_bytes: usize,
    /// `replace` (default) or `skip` records with invalid UTF-8.
    pub invalid_utf8: InvalidUtf8,
}

impl Default for InputConfig {
    fn default() -> Self {
        InputConfig {
            paths: vec!["data/sample".into()],
            text_key: "text".into(),
            id_key: "id".into(),
            url_key: "url".into(),
            title_key: "title".into(),
            date_key: "date".into(),
            author_key: "author".into(),
            html_key: String::new(),
            source_key: "source".into(),
            max_line_bytes: 64 << 20,
            invalid_utf8: InvalidUtf8::Replace,
        }
    }
}

/// `[output]`
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct OutputConfig {
    /// Output folder (default `out`). Created if missing.
    pub dir: PathBuf,
    /// File format of the shards and of the rejected and duplicates side outputs: `jsonl`
    /// (default; zstd JSON lines) or `parquet` (fixed schemas, see [`crate::io::parquet`]).
    pub format: OutputFormat,
    /// Number of `part-NNNNN.jsonl.zst` shards (default 4).
    pub shards: usize,
    /// Seed of the id hash that picks a document's shard (default 0).
    pub shard_seed: u64,
    /// zstd level for shards and side outputs (default 1; 1-22, or -1 to -7 for zstd's fast
    /// levels).
    pub zstd_level: i32,
    /// When non-empty, the text as read is kept in the output record under this key.
    pub keep_original_text_key: String,
    /// Megabytes of output records (uncompressed) between checkpoints, from which `--resume`
    /// continues an interrupted run (default 64; 0 = only at the start and when stopped by a
    /// signal). Each ends a zstd frame in every output file and fsyncs it.
    pub checkpoint_mb: u64,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            dir: PathBuf::from("out"),
            format: OutputFormat::Jsonl,
            shards: 4,
            shard_seed: 0,
            zstd_level: 1,
            keep_original_text_key: String::new(),
            checkpoint_mb: 64,
        }
    }
}

/// The file format of a run's shards and side outputs (`output.format`).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// `part-NNNNN.jsonl.zst`, `rejected.jsonl.zst`, `duplicates.jsonl.zst`.
    #[default]
    Jsonl,
    /// `part-NNNNN.parquet`, `rejected.parquet`, `duplicates.parquet` (zstd, fixed schemas).
    Parquet,
}

impl OutputFormat {
    /// Parses `jsonl` or `parquet` (the `--format` flag).
    pub fn parse(name: &str) -> crate::Result<OutputFormat> {
        match name {
            "jsonl" => Ok(OutputFormat::Jsonl),
            "parquet" => Ok(OutputFormat::Parquet),
            other => Err(Error::Config(format!(
                "output.format = {other:?}: write \"jsonl\" or \"parquet\""
            ))),
        }
    }
}

/// Settings given on top of a config file: the `run` command's flags, and the keyword
/// arguments of the Python `corpusmill.run`. Unset fields leave the config as it is.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `input.paths` (when non-empty).
    pub input: Vec<String>,
    /// `output.dir`.
    pub output: Option<PathBuf>,
    /// `output.shards`.
    pub shards: Option<usize>,
    /// `output.format`.
    pub format: Option<OutputFormat>,
    /// `pipeline.threads`.
    pub threads: Option<usize>,
    /// Stages to switch off by name.
    pub disable: Vec<String>,
    /// Sets `pipeline.strict`.
    pub strict: bool,
    /// `pipeline.existing_output`.
    pub existing_output: Option<crate::pipeline::folder::Existing>,
}

impl Overrides {
    /// Writes the set fields into `c`; an unknown stage name is an error that lists the known
    /// ones.
    pub fn apply(&self, c: &mut Config) -> crate::Result<()> {
        if !self.input.is_empty() {
            c.input.paths = self.input.clone();
        }
        if let Some(o) = &self.output {
            c.output.dir = o.clone();
        }
        if let Some(n) = self.shards {
            c.output.shards = n;
        }
        if let Some(f) = self.format {
            c.output.format = f;
        }
        if let Some(n) = self.threads {
            c.pipeline.threads = n;
        }
        if self.strict {
            c.pipeline.strict = true;
        }
        if let Some(e) = self.existing_output {
            c.pipeline.existing_output = e;
        }
        for stage in &self.disable {
            crate::pipeline::disable_stage(c, stage)?;
        }
        Ok(())
    }
}

/// `[pipeline]`: how the work is run. None of these change what is written.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    /// Worker threads for the document stages; 0 means one per core (default 0).
    pub threads: usize,
    /// Files read concurrently (default 2).
    pub readers: usize,
    /// Input bytes per batch handed to a worker (default 1 MiB).
    pub batch_bytes: usize,
    /// Batches buffered between stages (default 4 per worker thread; bounds memory).
    pub queue_batches: usize,
    /// Stop at the first bad record (default false).
    pub strict: bool,
    /// When the output folder holds another run's files: `refuse` (default), `overwrite`
    /// (remove them first) or `resume` (continue an interrupted run from its checkpoint).
    pub existing_output: crate::pipeline::folder::Existing,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            threads: 0,
            readers: 2,
            batch_bytes: 1 << 20,
            queue_batches: 0,
            strict: false,
            existing_output: crate::pipeline::folder::Existing::Refuse,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::for_profile(Profile::News)
    }
}

impl Config {
    /// The built-in defaults of `profile`.
    pub fn for_profile(profile: Profile) -> Config {
        let mut c = Config {
            profile,
            input: InputConfig::default(),
            output: OutputConfig::default(),
            pipeline: PipelineConfig::default(),
            html: HtmlConfig::default(),
            unwrap: UnwrapConfig::default(),
            normalize: NormalizeConfig::default(),
            line_rules: LineRulesConfig::default(),
            repeated_lines: RepeatedLinesConfig::default(),
            quality: QualityConfig::default(),
            min_length: MinLengthConfig::default(),
            lang: LangConfig::default(),
            exact_dedup: ExactDedupConfig::default(),
            near_dedup: NearDedupConfig::default(),
            entities: EntitiesConfig::default(),
            distributed: Default::default(),
        };
        profile.apply(&mut c);
        c
    }

    /// Parses a config from TOML text; `origin` names it in error messages.
    pub fn from_toml(text: &str, origin: &str) -> crate::Result<Config> {
        Config::from_toml_with_profile(text, origin, None)
    }

    /// Parses a config from TOML text over the defaults of a profile: `profile` when given (the
    /// command line's `--profile`), else the file's `profile` key, else `news`. Keys the text
    /// sets override the profile's defaults one by one.
    pub fn from_toml_with_profile(
        text: &str,
        origin: &str,
        profile: Option<Profile>,
    ) -> crate::Result<Config> {
        let err = |e: &dyn std::fmt::Display| Error::Config(format!("{origin}: {e}"));
        let user: toml::Table = toml::from_str(text).map_err(|e| err(&e))?;
        let profile = match (profile, user.get("profile")) {
            (Some(p), _) => p,
            (None, Some(toml::Value::String(name))) => Profile::parse(name).map_err(|e| err(&e))?,
            (None, Some(other)) => {
                return Err(err(&format!(
                    "profile = {other}: write \"news\" or \"web\""
                )))
            }
            (None, None) => Profile::News,
        };
        let mut base = toml::Table::try_from(Config::for_profile(profile))
            .map_err(|e| Error::Internal(format!("default config does not serialize: {e}")))?;
        merge(&mut base, user);
        base.insert("profile".into(), toml::Value::String(profile.name().into()));
        toml::Value::Table(base)
            .try_into()
            .map_err(|e: toml::de::Error| err(&e))
    }

    /// Reads and parses a config file.
    pub fn load(path: &Path) -> crate::Result<Config> {
        Config::load_with_profile(path, None)
    }

    /// Reads and parses a config file over the defaults of `profile` (see
    /// [`Config::from_toml_with_profile`]).
    pub fn load_with_profile(path: &Path, profile: Option<Profile>) -> crate::Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Config::from_toml_with_profile(&text, &path.display().to_string(), profile)
    }

    /// Checks cross-field constraints with messages that say what to change.
    pub fn validate(&self) -> crate::Result<()> {
        if self.input.paths.is_empty() {
            return Err(Error::Config(
                "input.paths is empty: name at least one file, directory, glob or `-`".into(),
            ));
        }
        if self.input.text_key.is_empty() {
            return Err(Error::Config("input.text_key must not be empty".into()));
        }
        if self.output.shards == 0 || self.output.shards > 100_000 {
            return Err(Error::Config(format!(
                "output.shards = {}: choose between 1 and 100000",
                self.output.shards
            )));
        }
        if !(-7..=22).contains(&self.output.zstd_level) || self.output.zstd_level == 0 {
            return Err(Error::Config(format!(
                "output.zstd_level = {}: choose between 1 and 22, or -1 to -7 for zstd's fast levels",
                self.output.zstd_level
            )));
        }
        if self.input.max_line_bytes < 1024 {
            return Err(Error::Config(format!(
                "input.max_line_bytes = {}: must be at least 1024",
                self.input.max_line_bytes
            )));
        }
        if self.pipeline.batch_bytes == 0 || self.pipeline.readers == 0 {
            return Err(Error::Config(
                "pipeline.batch_bytes and pipeline.readers must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The config as written to `manifest.json`: everything that shapes the output, without the
    /// `[pipeline]` and `[distributed]` execution settings (so the manifest is identical for any
    /// thread count, executor or world size).
    pub fn effective(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(m) = v.as_object_mut() {
            m.shift_remove("pipeline");
            m.shift_remove("distributed");
        }
        v
    }
}

/// Writes every key of `over` into `base`, descending into tables present in both.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_toml_matches_defaults() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/default.toml"))
                .unwrap();
        let c = Config::from_toml(&text, "config/default.toml").unwrap();
        assert_eq!(c, Config::default());
        c.validate().unwrap();
    }

    /// config/default.toml must spell out every key, so it doubles as the reference.
    #[test]
    fn default_toml_lists_every_key() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/default.toml"))
                .unwrap();
        let written: toml::Value = toml::from_str(&text).unwrap();
        let code = toml::Value::try_from(Config::default()).unwrap();
        fn missing(code: &toml::Value, written: &toml::Value, path: &str, out: &mut Vec<String>) {
            if let (toml::Value::Table(c), Some(w)) = (code, written.as_table()) {
                for (k, v) in c {
                    let p = format!("{path}{k}");
                    match w.get(k) {
                        None => out.push(p),
                        Some(wv) => missing(v, wv, &format!("{p}."), out),
                    }
                }
            }
        }
        let mut out = Vec::new();
        missing(&code, &written, "", &mut out);
        // Keys whose default depends on the profile are shown commented out (setting them
        // would pin them for every profile).
        out.retain(|k| {
            let Some((key, ..)) = crate::clean::profile::PROFILE_KEYS
                .iter()
                .find(|(p, ..)| p == k)
            else {
                return true;
            };
            let leaf = key.rsplit('.').next().unwrap_or(key);
            !text.contains(&format!("# {leaf} = "))
        });
        assert!(
            out.is_empty(),
            "keys missing from config/default.toml: {out:?}"
        );
    }

    #[test]
    fn profiles_set_defaults_and_keys_override_them() {
        let web = Config::from_toml("profile = \"web\"\n", "x.toml").unwrap();
        assert_eq!(web.quality.c4.min_sentences, 5);
        assert!(!web.near_dedup.keep_digits);
        let news = Config::from_toml("", "x.toml").unwrap();
        assert_eq!(news.quality.c4.min_sentences, 1);
        assert!(news.near_dedup.keep_digits);
        let text = "profile = \"web\"\n[quality.c4]\nmin_sentences = 3\n";
        let c = Config::from_toml(text, "x.toml").unwrap();
        assert_eq!(c.quality.c4.min_sentences, 3);
        assert_eq!(c.quality.gopher_quality.min_words, 50);
        // The command line's profile wins over the file's.
        let c = Config::from_toml_with_profile(text, "x.toml", Some(Profile::News)).unwrap();
        assert_eq!(c.profile, Profile::News);
        assert_eq!(c.quality.c4.min_sentences, 3);
        assert_eq!(c.quality.gopher_quality.min_words, 20);
        let e = Config::from_toml("profile = \"blog\"\n", "x.toml").unwrap_err();
        assert!(e.to_string().contains("blog"), "{e}");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let e = Config::from_toml("[input]\ntext_kye = \"body\"\n", "x.toml").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("text_kye"), "{msg}");
        assert!(msg.contains("x.toml"), "{msg}");
    }
}
