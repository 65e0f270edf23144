//! Per-site repeated-line removal: a line that appears verbatim in many documents of the same
//! site is that site's boilerplate, whatever its wording (donation appeals, newsletter blurbs,
//! author bios, menus).
//!
//! The pipeline runs a pre-scan pass when this stage is enabled: every document (after the
//! stages configured before this one) goes through [`SiteLineCounter::observe`] on the workers,
//! per-worker counters are combined with [`SiteLineCounter::merge`], and
//! [`SiteLineCounter::finish`] turns the counts into the [`RepeatedLines`] stage for the main pass.
//!
//! Counting: each non-blank line is hashed with xxh3-64 seeded by the site's own hash, so the
//! same line on two sites gives two keys. A document counts each distinct line once. The map
//! holds `key: u64 → (documents: u32, site tag: u32)`: one 17-byte hashbrown bucket (16-byte
//! entry + control byte) per distinct (site, line), 19–39 bytes per entry at the table's 44–87%
//! load. Memory is bounded by `max_entries` whatever the corpus size: when a counter reaches it
//! (default 7,000,000 entries, an 8M-bucket table, about 136 MiB per counter), entries seen in
//! only one document are pruned; they cannot be boilerplate yet. Pruning can only lower counts,
//! so a memory cap makes the stage keep more text, never remove body text. Counts merge exactly
//! across workers (addition), so the result does not depend on how documents were split.
//!
//! A line is removed when its document count reaches both `min_docs` and `min_fraction` of the
//! site's documents. Defaults 5 and 1%: on the BBC corpus (2,225 articles, one site) genuine body
//! lines recur in at most 3 documents (exact duplicate articles and repeated quotes), while site
//! furniture recurs in nearly every document.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::doc::Doc;
use crate::hash::BuildXx;
use crate::stage::{Counters, Stage, Verdict};

/// Fixed seed for site hashes (determinism across runs).
const SITE_SEED: u64 = 0x005e_ed0f_5173_11e5;

/// Config for the `[repeated_lines]` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RepeatedLinesConfig {
    /// Run this stage and the pre-scan pass it needs (default true).
    pub enabled: bool,
    /// A line is site boilerplate when it occurs in at least this many documents of the site
    /// (default 5).
    pub min_docs: u32,
    /// ... and in at least this fraction of the site's documents (default 0.01).
    pub min_fraction: f64,
    /// Most distinct (site, line) entries one counter holds before pruning lines seen in one
    /// document only (default 7,000,000: an 8M-bucket table, about 136 MiB per counter).
    pub max_entries: usize,
}

impl Default for RepeatedLinesConfig {
    fn default() -> Self {
        RepeatedLinesConfig {
            enabled: true,
            min_docs: 5,
            min_fraction: 0.01,
            max_entries: 7_000_000,
        }
    }
}

impl RepeatedLinesConfig {
    /// Validates the config and returns an empty counter for the pre-scan pass.
    pub fn counter(&self) -> crate::Result<SiteLineCounter> {
        if self.min_docs < 2 {
            return Err(crate::Error::Config(format!(
                "repeated_lines.min_docs = {} would remove every line; use 2 or more (default 5)",
                self.min_docs
            )));
        }
        if !(0.0..=1.0).contains(&self.min_fraction) {
            return Err(crate::Error::Config(format!(
                "repeated_lines.min_fraction = {} is outside 0..=1; use a share such as 0.01",
                self.min_fraction
            )));
        }
        if self.max_entries < 1024 {
            return Err(crate::Error::Config(format!(
                "repeated_lines.max_entries = {} is too small; use at least 1024 (default 7000000)",
                self.max_entries
            )));
        }
        Ok(SiteLineCounter {
            min_docs: self.min_docs,
            min_fraction: self.min_fraction,
            max_entries: self.max_entries,
            ..SiteLineCounter::default()
        })
    }
}

/// Per-site line counts gathered in the pre-scan pass.
#[derive(Clone, Debug, Default)]
pub struct SiteLineCounter {
    min_docs: u32,
    min_fraction: f64,
    max_entries: usize,
    /// (site, line) key → (documents, site tag).
    lines: HashMap<u64, (u32, u32), BuildXx>,
    /// Site tag → documents observed.
    site_docs: HashMap<u32, u64, BuildXx>,
    /// Reused per-document key buffer.
    scratch: Vec<u64>,
    /// Number of prunes, for reporting.
    prunes: u64,
}

/// The seed of a site's line hashes, from its grouping key (`""` when the doc has none).
fn site_seed(doc: &Doc) -> u64 {
    xxh3_64_with_seed(doc.site.as_deref().unwrap_or("").as_bytes(), SITE_SEED)
}

/// Calls `f(key)` for each non-blank line of `text`.
#[inline]
fn for_each_line_key(text: &str, seed: u64, mut f: impl FnMut(u64)) {
    let b = text.as_bytes();
    let mut pos = 0;
    while pos <= b.len() {
        let end = memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |i| pos + i);
        if end > pos {
            f(xxh3_64_with_seed(&b[pos..end], seed));
        }
        pos = end + 1;
    }
}

impl SiteLineCounter {
    /// Counts the lines of one document (each distinct line once).
    pub fn observe(&mut self, doc: &Doc) {
        let seed = site_seed(doc);
        let tag = (seed >> 32) as u32;
        *self.site_docs.entry(tag).or_insert(0) += 1;
        let mut keys = std::mem::take(&mut self.scratch);
        keys.clear();
        for_each_line_key(&doc.text, seed, |k| keys.push(k));
        keys.sort_unstable();
        keys.dedup();
        for &k in &keys {
            self.lines.entry(k).or_insert((0, tag)).0 += 1;
        }
        self.scratch = keys;
        if self.max_entries > 0 && self.lines.len() >= self.max_entries {
            self.prune();
        }
    }

    /// Drops entries seen in one document only, to stay under `max_entries`.
    fn prune(&mut self) {
        self.lines.retain(|_, (n, _)| *n > 1);
        self.prunes += 1;
    }

    /// Adds another worker's counts into this one.
    pub fn merge(&mut self, other: SiteLineCounter) {
        if self.max_entries == 0 {
            self.min_docs = other.min_docs;
            self.min_fraction = other.min_fraction;
            self.max_entries = other.max_entries;
        }
        let (mut big, small) = if other.lines.len() > self.lines.len() {
            (other.lines, std::mem::take(&mut self.lines))
        } else {
            (std::mem::take(&mut self.lines), other.lines)
        };
        for (k, (n, tag)) in small {
            let e = big.entry(k).or_insert((0, tag));
            e.0 = e.0.saturating_add(n);
        }
        self.lines = big;
        for (t, n) in other.site_docs {
            *self.site_docs.entry(t).or_insert(0) += n;
        }
        self.prunes += other.prunes;
        if self.max_entries > 0 && self.lines.len() >= self.max_entries {
            self.prune();
        }
    }

    /// Number of distinct (site, line) entries held.
    pub fn entries(&self) -> usize {
        self.lines.len()
    }

    /// Builds the stage for the main pass: the set of (site, line) keys to remove.
    pub fn finish(self) -> crate::Result<RepeatedLines> {
        let mut remove = HashSet::with_hasher(BuildXx);
        for (k, (n, tag)) in &self.lines {
            let docs = self.site_docs.get(tag).copied().unwrap_or(0);
            let need = (self.min_docs as f64).max((self.min_fraction * docs as f64).ceil());
            if *n as f64 >= need {
                remove.insert(*k);
            }
        }
        Ok(RepeatedLines { remove })
    }
}

impl crate::stage::Prescan for SiteLineCounter {
    fn observe(&mut self, doc: &Doc) {
        SiteLineCounter::observe(self, doc);
    }

    fn fork(&self) -> Box<dyn crate::stage::Prescan> {
        Box::new(SiteLineCounter {
            lines: Default::default(),
            site_docs: Default::default(),
            scratch: Vec::new(),
            prunes: 0,
            ..*self
        })
    }

    fn merge(&mut self, other: Box<dyn crate::stage::Prescan>) -> crate::Result<()> {
        match other.into_any().downcast::<SiteLineCounter>() {
            Ok(o) => {
                SiteLineCounter::merge(self, *o);
                Ok(())
            }
            Err(_) => Err(crate::Error::Internal(
                "repeated_lines: pre-scan counters of another stage cannot be merged".into(),
            )),
        }
    }

    fn finish(self: Box<Self>) -> crate::Result<Box<dyn Stage>> {
        Ok(Box::new(SiteLineCounter::finish(*self)?))
    }

    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }

    fn save(&self) -> Vec<u8> {
        // Sorted, so the same counts always give the same bytes.
        let mut lines: Vec<_> = self.lines.iter().collect();
        lines.sort_unstable_by_key(|(k, _)| **k);
        let mut sites: Vec<_> = self.site_docs.iter().collect();
        sites.sort_unstable_by_key(|(t, _)| **t);
        let mut out = Vec::with_capacity(24 + lines.len() * 16 + sites.len() * 12);
        out.extend_from_slice(&(lines.len() as u64).to_le_bytes());
        for (k, (n, tag)) in lines {
            out.extend_from_slice(&k.to_le_bytes());
            out.extend_from_slice(&n.to_le_bytes());
            out.extend_from_slice(&tag.to_le_bytes());
        }
        out.extend_from_slice(&(sites.len() as u64).to_le_bytes());
        for (t, n) in sites {
            out.extend_from_slice(&t.to_le_bytes());
            out.extend_from_slice(&n.to_le_bytes());
        }
        out.extend_from_slice(&self.prunes.to_le_bytes());
        out
    }

    fn load(&mut self, bytes: &[u8]) -> crate::Result<()> {
        let bad = || {
            crate::Error::Internal(
                "repeated_lines: saved pre-scan counts are truncated (rerun the prescan task)"
                    .into(),
            )
        };
        let mut at = 0usize;
        let mut take = |n: usize| -> crate::Result<&[u8]> {
            let s = bytes.get(at..at + n).ok_or_else(bad)?;
            at += n;
            Ok(s)
        };
        let mut other = SiteLineCounter {
            lines: Default::default(),
            site_docs: Default::default(),
            scratch: Vec::new(),
            prunes: 0,
            ..*self
        };
        let u64_at = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
        let u32_at = |b: &[u8]| u32::from_le_bytes(b.try_into().unwrap_or([0; 4]));
        let n = u64_at(take(8)?);
        for _ in 0..n {
            let k = u64_at(take(8)?);
            let c = u32_at(take(4)?);
            let tag = u32_at(take(4)?);
            other.lines.insert(k, (c, tag));
        }
        let n = u64_at(take(8)?);
        for _ in 0..n {
            let t = u32_at(take(4)?);
            let c = u64_at(take(8)?);
            other.site_docs.insert(t, c);
        }
        other.prunes = u64_at(take(8)?);
        SiteLineCounter::merge(self, other);
        Ok(())
    }
}

/// The repeated-line removal stage.
#[derive(Debug, Default)]
pub struct RepeatedLines {
    remove: HashSet<u64, BuildXx>,
}

impl RepeatedLines {
    /// Number of (site, line) keys marked as boilerplate.
    pub fn boilerplate_lines(&self) -> usize {
        self.remove.len()
    }

    /// Returns the text without the site's boilerplate lines (None when nothing is removed)
    /// and the number of lines removed.
    pub fn clean(&self, doc: &Doc) -> (Option<String>, u64) {
        if self.remove.is_empty() {
            return (None, 0);
        }
        let seed = site_seed(doc);
        let text = &doc.text;
        let b = text.as_bytes();
        let mut out: Option<String> = None;
        let mut removed = 0u64;
        // A blank line lies between the last kept line and the current one.
        let mut pending_blank = false;
        let mut pos = 0;
        while pos <= b.len() {
            let end = memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |i| pos + i);
            if end == pos {
                pending_blank = true;
            } else if self.remove.contains(&xxh3_64_with_seed(&b[pos..end], seed)) {
                removed += 1;
                if out.is_none() {
                    let mut o = String::with_capacity(text.len());
                    o.push_str(text[..pos].trim_end_matches('\n'));
                    out = Some(o);
                }
            } else {
                if let Some(o) = out.as_mut() {
                    if !o.is_empty() {
                        o.push_str(if pending_blank { "\n\n" } else { "\n" });
                    }
                    o.push_str(&text[pos..end]);
                }
                pending_blank = false;
            }
            pos = end + 1;
        }
        (out, removed)
    }
}

impl Stage for RepeatedLines {
    fn name(&self) -> &'static str {
        "repeated_lines"
    }

    fn process(&self, doc: &mut Doc, counters: &mut Counters) -> Verdict {
        let (out, n) = self.clean(doc);
        if let Some(t) = out {
            doc.text = t;
        }
        counters.add("repeated_lines", "site_boilerplate", n);
        Verdict::Keep
    }
}

#[cfg(test)]
#[path = "repeated_tests.rs"]
mod tests;
