//! The prescan and prepare tasks.
//!
//! *prescan* (only with `repeated_lines`): the single-process pre-scan over the rank's pieces;
//! writes `counts.bin` (the per-site line counts, [`crate::stage::Prescan::save`]).
//! *prepare*: merges every prescan task's counts in rank order into the repeated-lines stage,
//! runs the stages before the duplicate decision over the rank's pieces (the single-process
//! worker chain, dedup keys included) and writes, per document that passed them, its id and
//! sketch (`docs-<T>.bin`, `ids-<T>.bin`), its exact key and band hashes into the buckets
//! (`exact-<B>.bin`, `near-<B>.bin`) and `meta.json` (documents, first and last position).
//! Cleaned texts are not written: finish runs the same deterministic stages again, which costs
//! CPU (BENCHMARKS.md) but no disk.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::store::{addr, DocWriter, Entry};
use super::{Plan, StageName};
use crate::config::Config;
use crate::dedup::lsh::band_key;
use crate::doc::Doc;
use crate::pipeline::exec::Visitor;
use crate::pipeline::{prescan_part, prescanned_stage, scan_part, Progress};
use crate::Error;

/// A bucket buffer is appended to its file past this many bytes.
const FLUSH_BYTES: usize = 64 << 10;

/// The prescan task.
pub(super) fn prescan(
    plan: &Plan,
    config: &Config,
    rank: usize,
    out: &Path,
    progress: &dyn Progress,
) -> crate::Result<()> {
    let bytes = prescan_part(config, plan.inputs(rank), progress)?.unwrap_or_default();
    let p = out.join("counts.bin");
    std::fs::write(&p, bytes).map_err(|e| Error::io(&p, e))
}

/// The pre-scanned stage from every prescan task's counts (in rank order).
pub(super) fn prescanned(
    plan: &Plan,
    config: &Config,
) -> crate::Result<Option<Box<dyn crate::stage::Stage>>> {
    if !config.repeated_lines.enabled {
        return Ok(None);
    }
    let mut saved = Vec::with_capacity(plan.world_size);
    for r in 0..plan.world_size {
        let p = plan.task_dir(StageName::Prescan, r).join("counts.bin");
        saved.push(std::fs::read(&p).map_err(|e| Error::io(&p, e))?);
    }
    prescanned_stage(config, &saved)
}

/// What a prepare task saw, in its `meta.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct Meta {
    /// Documents that passed the stages before the decision.
    pub(super) docs: u64,
    /// Their smallest and largest global position (0 when none).
    pub(super) first_pos: u64,
    pub(super) last_pos: u64,
}

/// The open bucket files of a task, shared by its threads.
struct Buckets {
    near: Vec<Mutex<BufWriter<File>>>,
    exact: Vec<Mutex<BufWriter<File>>>,
    dir: PathBuf,
}

impl Buckets {
    fn append(&self, near: bool, b: usize, bytes: &[u8]) -> crate::Result<()> {
        let files = if near { &self.near } else { &self.exact };
        let name = format!("{}-{b}.bin", if near { "near" } else { "exact" });
        let mut f = files[b]
            .lock()
            .map_err(|_| Error::Internal("a prepare thread panicked".into()))?;
        f.write_all(bytes)
            .map_err(|e| Error::io(self.dir.join(name), e))
    }
}

struct Prep {
    rank: usize,
    thread: usize,
    docs: Option<DocWriter>,
    buckets: Arc<Buckets>,
    near_buf: Vec<Vec<u8>>,
    exact_buf: Vec<Vec<u8>>,
    bands: usize,
    rows: usize,
    sig_len: usize,
    meta: Meta,
    err: Option<Error>,
}

impl Prep {
    fn add(&mut self, doc: &Doc) -> crate::Result<()> {
        let pos = doc.seq;
        let (sig, sketch) = match doc.minhash.as_deref() {
            Some(rec) if rec.len() >= self.sig_len => {
                let (s, k) = rec.split_at(self.sig_len);
                (Some(s), Some(k))
            }
            _ => (None, None),
        };
        let Some(docs) = self.docs.as_mut() else {
            return Ok(());
        };
        let idx = docs.push(pos, &doc.id, sketch)?;
        let a = addr(self.rank, self.thread, idx);
        let nb = self.near_buf.len() as u64;
        if let Some(key) = doc.exact_key {
            let b = ((key >> 64) as u64 % nb) as usize;
            Entry { key, pos, addr: a }.write_exact(&mut self.exact_buf[b]);
            if self.exact_buf[b].len() >= FLUSH_BYTES {
                self.buckets.append(false, b, &self.exact_buf[b])?;
                self.exact_buf[b].clear();
            }
        }
        if let Some(sig) = sig {
            for (band, vals) in sig.chunks_exact(self.rows).take(self.bands).enumerate() {
                let key = band_key(vals, band);
                let b = ((key >> 32) % nb) as usize;
                Entry {
                    key: u128::from(key),
                    pos,
                    addr: a,
                }
                .write_near(&mut self.near_buf[b]);
                if self.near_buf[b].len() >= FLUSH_BYTES {
                    self.buckets.append(true, b, &self.near_buf[b])?;
                    self.near_buf[b].clear();
                }
            }
        }
        let m = &mut self.meta;
        if m.docs == 0 || pos < m.first_pos {
            m.first_pos = pos;
        }
        m.last_pos = m.last_pos.max(pos);
        m.docs += 1;
        Ok(())
    }

    fn finish(mut self) -> crate::Result<Meta> {
        if let Some(e) = self.err.take() {
            return Err(e);
        }
        for (near, bufs) in [(true, &self.near_buf), (false, &self.exact_buf)] {
            for (b, buf) in bufs.iter().enumerate() {
                if !buf.is_empty() {
                    self.buckets.append(near, b, buf)?;
                }
            }
        }
        if let Some(d) = self.docs.take() {
            d.finish()?;
        }
        Ok(self.meta)
    }
}

impl Visitor for Prep {
    fn visit(&mut self, doc: &Doc) {
        if self.err.is_none() {
            if let Err(e) = self.add(doc) {
                self.err = Some(e);
                self.docs = None;
            }
        }
    }
}

/// The prepare task; returns the input bytes of the rank's pieces.
pub(super) fn prepare(
    plan: &Plan,
    config: &Config,
    rank: usize,
    out: &Path,
    progress: &dyn Progress,
) -> crate::Result<u64> {
    let stage = prescanned(plan, config)?;
    let nb = config.distributed.buckets;
    let open = |name: String| -> crate::Result<Mutex<BufWriter<File>>> {
        let p = out.join(name);
        let f = File::create(&p).map_err(|e| Error::io(&p, e))?;
        Ok(Mutex::new(BufWriter::with_capacity(256 << 10, f)))
    };
    let buckets = Arc::new(Buckets {
        near: (0..nb)
            .map(|b| open(format!("near-{b}.bin")))
            .collect::<crate::Result<_>>()?,
        exact: (0..nb)
            .map(|b| open(format!("exact-{b}.bin")))
            .collect::<crate::Result<_>>()?,
        dir: out.to_path_buf(),
    });
    let near = &config.near_dedup;
    let k = if near.enabled { near.sketch_size } else { 0 };
    let make = |thread: usize| -> crate::Result<Prep> {
        Ok(Prep {
            rank,
            thread,
            docs: Some(DocWriter::create(out, thread, k)?),
            buckets: buckets.clone(),
            near_buf: vec![Vec::new(); nb],
            exact_buf: vec![Vec::new(); nb],
            bands: near.bands,
            rows: near.rows,
            sig_len: near.signature_len(),
            meta: Meta::default(),
            err: None,
        })
    };
    let preps = scan_part(config, plan.inputs(rank), stage, make, progress)?;
    let mut meta = Meta::default();
    for p in preps {
        let m = p.finish()?;
        if m.docs > 0 {
            if meta.docs == 0 || m.first_pos < meta.first_pos {
                meta.first_pos = m.first_pos;
            }
            meta.last_pos = meta.last_pos.max(m.last_pos);
            meta.docs += m.docs;
        }
    }
    let buckets = Arc::try_unwrap(buckets)
        .map_err(|_| Error::Internal("bucket files still shared".into()))?;
    for (name, f) in buckets
        .near
        .into_iter()
        .map(|f| ("near", f))
        .chain(buckets.exact.into_iter().map(|f| ("exact", f)))
    {
        let mut f = f
            .into_inner()
            .map_err(|_| Error::Internal("a prepare thread panicked".into()))?;
        f.flush().map_err(|e| Error::io(out.join(name), e))?;
    }
    crate::io::writer::write_json_file(out, "meta.json", &meta)?;
    Ok(plan.ranks[rank].iter().map(|p| p.size).sum())
}

/// Reads a finished prepare task's `meta.json`.
pub(super) fn meta(plan: &Plan, rank: usize) -> crate::Result<Meta> {
    let p = plan.task_dir(StageName::Prepare, rank).join("meta.json");
    let text = std::fs::read(&p).map_err(|e| Error::io(&p, e))?;
    serde_json::from_slice(&text)
        .map_err(|e| Error::Internal(format!("{}: {e}; rerun that prepare task", p.display())))
}
