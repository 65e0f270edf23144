//! The two passes: reader threads and the merger, the rayon workers, and the ordered stage.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_channel::{bounded, Receiver, Sender};

use crate::clean::repeated::SiteLineCounter;
use crate::config::Config;
use crate::doc::Doc;
use crate::io::errors::{ErrorKind, InputError};
use crate::io::pool::BufPool;
use crate::io::reader::{self, Batch, Entry, FileReport};
use crate::io::record::RecordFormat;
use crate::io::writer::{self, FileSummary, JsonlWriter};
use crate::stage::{Counters, Decision, OrderedStage, Stage, Verdict};
use crate::stats::Stats;
use crate::Error;

use super::output::*;
use super::*;

impl Exec<'_> {
    fn total_size(&self) -> Option<u64> {
        self.inputs.iter().map(|i| i.size).sum()
    }

    /// Starts the reader threads and the merger that hands batches out in input order.
    /// Returns the receiver of sequenced batches; the file reports arrive in `reports`.
    fn spawn_readers<'s, 'e: 's>(
        &'e self,
        scope: &'s std::thread::Scope<'s, 'e>,
        raw_bytes: Arc<AtomicU64>,
        abort: &'e AtomicBool,
        reports: &'e Mutex<Vec<FileReport>>,
    ) -> Receiver<SeqBatch> {
        let n = self.inputs.len();
        let (file_tx, file_rx): (Vec<_>, Vec<_>) = (0..n).map(|_| bounded::<ReaderMsg>(2)).unzip();
        let next = Arc::new(AtomicU64::new(0));
        let file_tx = Arc::new(file_tx);
        for _ in 0..self.opts_readers().min(n.max(1)) {
            let next = next.clone();
            let file_tx = file_tx.clone();
            let raw_bytes = raw_bytes.clone();
            spawn_named(scope, "corpusmill-read", move || loop {
                let i = next.fetch_add(1, Ordering::SeqCst) as usize;
                if i >= n {
                    break;
                }
                let tx = &file_tx[i];
                let mut input = self.inputs[i].clone();
                let display = input.display();
                if let (true, Some(sp)) = (input.is_stdin(), self.spool) {
                    input.path = sp.to_path_buf();
                }
                let mut report =
                    reader::read_input(&input, i, self.opts, raw_bytes.clone(), abort, |mut b| {
                        b.file = Arc::from(display.as_str());
                        tx.send(ReaderMsg::Batch(b)).is_ok()
                    });
                report.file = Arc::from(display.as_str());
                let _ = tx.send(ReaderMsg::Done(report));
            });
        }
        drop(file_tx);
        let (work_tx, work_rx) = bounded::<SeqBatch>(self.queue);
        spawn_named(scope, "corpusmill-merge", move || {
            let mut seq = 0u64;
            let mut first_doc = 0u64;
            'files: for rx in file_rx {
                while let Ok(msg) = rx.recv() {
                    match msg {
                        ReaderMsg::Batch(mut batch) => {
                            for e in &mut batch.entries {
                                if let Entry::Error(err) = e {
                                    err.file = batch.file.clone();
                                }
                            }
                            let n = batch.entries.len() as u64;
                            if work_tx
                                .send(SeqBatch {
                                    seq,
                                    first_doc,
                                    batch,
                                })
                                .is_err()
                            {
                                break 'files;
                            }
                            seq += 1;
                            first_doc += n;
                        }
                        ReaderMsg::Done(r) => {
                            if let Ok(mut g) = reports.lock() {
                                g.push(r);
                            }
                            continue 'files;
                        }
                    }
                }
                // The reader ended without a report: the run is aborting.
                break;
            }
        });
        work_rx
    }

    fn opts_readers(&self) -> usize {
        // Readers are cheap threads; more than the workers can keep busy only costs memory.
        self.threads.clamp(1, 4)
    }

    /// The pre-scan pass: runs the stages before the repeated-lines stage and counts lines;
    /// also returns the number of records parsed (sizes the near-dedup table).
    pub(super) fn prescan(
        &self,
        stages: &[&dyn Stage],
        empty: SiteLineCounter,
    ) -> crate::Result<(SiteLineCounter, u64)> {
        self.progress.start("prescan", self.total_size());
        let raw_bytes = Arc::new(AtomicU64::new(0));
        let abort = AtomicBool::new(false);
        let reports = Mutex::new(Vec::new());
        let merged = Mutex::new(empty.clone());
        let done_bytes = AtomicU64::new(0);
        let done_docs = AtomicU64::new(0);
        let finished = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let work = self.spawn_readers(scope, raw_bytes.clone(), &abort, &reports);
            let (merged, done_bytes, done_docs, finished) =
                (&merged, &done_bytes, &done_docs, &finished);
            scope.spawn(move || {
                // Set even if a worker panics, so the progress loop below always ends.
                let _done = SetOnDrop(finished);
                self.pool.scope(|s| {
                    for _ in 0..self.threads {
                        let work = work.clone();
                        let empty = empty.clone();
                        s.spawn(move |_| {
                            let mut counter = empty;
                            let mut counters = Counters::default();
                            while let Ok(sb) = work.recv() {
                                for e in &sb.batch.entries {
                                    let Entry::Line(l) = e else { continue };
                                    let Ok((mut doc, _)) = self.format.parse(
                                        &sb.batch.buf[l.start..l.end],
                                        &sb.batch.file,
                                        l.line,
                                        0,
                                    ) else {
                                        continue;
                                    };
                                    if stages.iter().all(|st| {
                                        st.process(&mut doc, &mut counters) == Verdict::Keep
                                    }) {
                                        counter.observe(&doc);
                                    }
                                    done_docs.fetch_add(1, Ordering::Relaxed);
                                }
                                done_bytes.fetch_add(sb.batch.bytes, Ordering::Relaxed);
                                self.opts.pool.put(sb.batch.buf);
                            }
                            if let Ok(mut m) = merged.lock() {
                                m.merge(counter);
                            }
                        });
                    }
                    drop(work);
                });
            });
            // Progress from the calling thread while the workers run.
            loop {
                let last = finished.load(Ordering::SeqCst);
                self.progress.update(
                    raw_bytes.load(Ordering::Relaxed),
                    done_bytes.load(Ordering::Relaxed),
                    done_docs.load(Ordering::Relaxed),
                );
                if last {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        });
        self.progress.finish();
        let counter = merged
            .into_inner()
            .map_err(|_| Error::Internal("a pre-scan worker panicked".into()))?;
        Ok((counter, done_docs.into_inner()))
    }

    /// The main pass.
    pub(super) fn main(
        &self,
        config: &Config,
        stages: &[&dyn Stage],
        ordered: &mut [Box<dyn OrderedStage>],
    ) -> crate::Result<MainResult> {
        self.progress.start("main", self.total_size());
        let out_dir = &config.output.dir;
        let level = config.output.zstd_level;
        let nshards = config.output.shards;
        let raw_bytes = Arc::new(AtomicU64::new(0));
        let abort = AtomicBool::new(false);
        let reports = Mutex::new(Vec::new());
        let counters = Mutex::new(Counters::default());
        // One shard is one zstd frame, compressed by one thread at a time: up to one writer per
        // worker thread, so compression is not the limit when shards >= threads.
        let nwriters = nshards.min(self.threads).max(1);
        // Shard blocks go back and forth between the ordered stage and the writers.
        let blocks = BufPool::new(nshards + nwriters * 4);

        // Create every shard up front so a run always writes the same set of files.
        let mut shard_writers: Vec<Vec<(usize, JsonlWriter)>> =
            (0..nwriters).map(|_| Vec::new()).collect();
        for i in 0..nshards {
            shard_writers[i % nwriters].push((
                i,
                JsonlWriter::create(out_dir, &writer::shard_name(i), level)?,
            ));
        }
        let side = SideOutputs {
            rejected: JsonlWriter::create(out_dir, "rejected.jsonl.zst", level)?,
            duplicates: JsonlWriter::create(out_dir, "duplicates.jsonl.zst", level)?,
            errors: JsonlWriter::create(out_dir, "errors.jsonl", level)?,
        };

        let result = std::thread::scope(|scope| {
            let work = self.spawn_readers(scope, raw_bytes.clone(), &abort, &reports);
            let (res_tx, res_rx) = bounded::<Processed>(self.queue);
            // Shard writer threads, each owning a fixed set of shards.
            let mut write_txs = Vec::new();
            let mut write_handles = Vec::new();
            for group in shard_writers {
                let (tx, rx) = bounded::<(usize, Vec<u8>, u64)>(4);
                write_txs.push(tx);
                let (abort, blocks) = (&abort, &blocks);
                write_handles.push(spawn_named(scope, "corpusmill-write", move || {
                    write_shards(group, rx, abort, blocks)
                }));
            }
            // Workers.
            let counters = &counters;
            let pool_handle = scope.spawn(move || {
                self.pool.scope(|s| {
                    for _ in 0..self.threads {
                        let (work, res_tx) = (work.clone(), res_tx.clone());
                        s.spawn(move |_| {
                            let mut local = Counters::default();
                            while let Ok(sb) = work.recv() {
                                let p = self.process_batch(sb, stages, config, &mut local);
                                if res_tx.send(p).is_err() {
                                    break;
                                }
                            }
                            if let Ok(mut c) = counters.lock() {
                                c.merge(&local);
                            }
                        });
                    }
                });
            });
            let r = self.ordered_stage(
                config, res_rx, ordered, side, write_txs, &blocks, &raw_bytes, &abort,
            );
            if r.is_err() {
                abort.store(true, Ordering::SeqCst);
            }
            let _ = pool_handle.join();
            let mut summaries = Vec::new();
            let mut writer_err = None;
            for h in write_handles {
                match h.join() {
                    Ok(Ok(mut s)) => summaries.append(&mut s),
                    Ok(Err(e)) => writer_err = writer_err.or(Some(e)),
                    Err(_) => {
                        writer_err =
                            writer_err.or(Some(Error::Internal("a shard writer panicked".into())))
                    }
                }
            }
            let (stats, side) = r?;
            if let Some(e) = writer_err {
                return Err(e);
            }
            summaries.sort_by(|a, b| a.file.cmp(&b.file));
            Ok((stats, summaries, side))
        });
        self.progress.finish();
        let (mut stats, shards, side) = result?;
        if let Ok(c) = counters.into_inner() {
            stats.add_counters(&c);
        }
        let mut reports = reports.into_inner().unwrap_or_default();
        reports.sort_by_key(|r| r.file.to_string());
        // Reports arrive in input order from the merger already; keep that order.
        let order: BTreeMap<String, usize> = self
            .inputs
            .iter()
            .enumerate()
            .map(|(i, inp)| (inp.display(), i))
            .collect();
        reports.sort_by_key(|r| order.get(&*r.file).copied().unwrap_or(usize::MAX));
        Ok((stats, reports, shards, side))
    }

    /// Worker side: parse and run the stages on every line of a batch.
    fn process_batch(
        &self,
        sb: SeqBatch,
        stages: &[&dyn Stage],
        config: &Config,
        counters: &mut Counters,
    ) -> Processed {
        let SeqBatch {
            seq,
            first_doc,
            batch,
        } = sb;
        let mut outcomes = Vec::with_capacity(batch.entries.len());
        for (k, e) in batch.entries.into_iter().enumerate() {
            let l = match e {
                Entry::Error(err) => {
                    outcomes.push(Outcome::Error(err));
                    continue;
                }
                Entry::Line(l) => l,
            };
            let doc_seq = first_doc + k as u64;
            let (mut doc, warning) =
                match self
                    .format
                    .parse(&batch.buf[l.start..l.end], &batch.file, l.line, doc_seq)
                {
                    Ok(x) => x,
                    Err(err) => {
                        outcomes.push(Outcome::Error(err));
                        continue;
                    }
                };
            if let Some(w) = warning {
                outcomes.push(Outcome::Error(w));
            }
            outcomes.push(run_stages(&mut doc, stages, counters, self.format, config));
        }
        self.opts.pool.put(batch.buf);
        Processed {
            seq,
            bytes: batch.bytes,
            outcomes,
        }
    }

    /// The ordered stage: re-sequences processed batches, decides duplicates, routes records.
    #[allow(clippy::too_many_arguments)]
    fn ordered_stage(
        &self,
        config: &Config,
        results: Receiver<Processed>,
        ordered: &mut [Box<dyn OrderedStage>],
        mut side: SideOutputs,
        write_txs: Vec<Sender<(usize, Vec<u8>, u64)>>,
        blocks: &BufPool,
        raw_bytes: &AtomicU64,
        abort: &AtomicBool,
    ) -> crate::Result<(Stats, Vec<FileSummary>)> {
        let mut stats = Stats::default();
        let nshards = config.output.shards;
        let nwriters = write_txs.len();
        let mut shard_buf: Vec<(Vec<u8>, u64)> = (0..nshards).map(|_| (Vec::new(), 0)).collect();
        let mut buffered = 0usize;
        let mut pending: BTreeMap<u64, Processed> = BTreeMap::new();
        let mut next = 0u64;
        let strict = config.pipeline.strict;
        const SHARD_FLUSH: usize = 256 << 10;
        const TOTAL_FLUSH: usize = 64 << 20;

        let send = |shard: usize, buf: Vec<u8>, n: u64| -> crate::Result<()> {
            write_txs[shard % nwriters]
                .send((shard, buf, n))
                .map_err(|_| Error::Internal("a shard writer stopped".into()))
        };
        let outcome = (|| -> crate::Result<()> {
            while let Ok(p) = results.recv() {
                pending.insert(p.seq, p);
                while let Some(p) = pending.remove(&next) {
                    next += 1;
                    stats.bytes_in += p.bytes;
                    let mut outcomes = p.outcomes.into_iter().peekable();
                    while let Some(o) = outcomes.next() {
                        match o {
                            Outcome::Error(err) => {
                                if err.kind != ErrorKind::TruncatedInput
                                    && err.kind != ErrorKind::ReadError
                                {
                                    stats.lines_in += u64::from(
                                        err.action != crate::io::errors::Action::Repaired,
                                    );
                                }
                                *stats.errors.entry(err.kind.name().to_string()).or_insert(0) += 1;
                                side.errors.write_json(&err)?;
                                if strict {
                                    return Err(Error::Strict(err.to_string()));
                                }
                            }
                            Outcome::Rejected { stage, rule, json } => {
                                stats.lines_in += 1;
                                stats.docs_in += 1;
                                stats.reject(stage, rule);
                                side.rejected.write_line(&json)?;
                            }
                            Outcome::Kept(mut k) => {
                                stats.lines_in += 1;
                                stats.docs_in += 1;
                                if let Some(Outcome::Kept(next)) = outcomes.peek() {
                                    let cand = next.candidate();
                                    for st in ordered.iter_mut() {
                                        st.prepare(&cand);
                                    }
                                }
                                let mut removed = false;
                                for st in ordered.iter_mut() {
                                    match st.decide(&k.candidate())? {
                                        Decision::Keep => {}
                                        Decision::Annotate { key, value } => {
                                            annotate(&mut k.json, key, &value)
                                        }
                                        Decision::Remove(d) => {
                                            *stats
                                                .duplicates
                                                .entry(d.kind.to_string())
                                                .or_insert(0) += 1;
                                            side.duplicates.write_json(&DuplicateRecord {
                                                id: &k.id,
                                                duplicate_of: &d.duplicate_of,
                                                kind: d.kind,
                                                similarity: d
                                                    .similarity
                                                    .map(|s| (s * 1e4).round() / 1e4),
                                                source: k.origin.to_string(),
                                            })?;
                                            removed = true;
                                            break;
                                        }
                                    }
                                }
                                if removed {
                                    continue;
                                }
                                stats.docs_written += 1;
                                stats.bytes_out += k.json.len() as u64 + 1;
                                let (buf, n) = &mut shard_buf[k.shard];
                                if buf.capacity() == 0 {
                                    *buf = blocks.get(SHARD_FLUSH + (SHARD_FLUSH >> 2));
                                }
                                buf.extend_from_slice(&k.json);
                                buf.push(b'\n');
                                *n += 1;
                                buffered += k.json.len() + 1;
                                if buf.len() >= SHARD_FLUSH {
                                    buffered -= buf.len();
                                    let (b, c) = std::mem::take(&mut shard_buf[k.shard]);
                                    send(k.shard, b, c)?;
                                }
                                if buffered >= TOTAL_FLUSH {
                                    for (i, sb) in shard_buf.iter_mut().enumerate() {
                                        if sb.1 > 0 {
                                            let (b, c) = std::mem::take(sb);
                                            send(i, b, c)?;
                                        }
                                    }
                                    buffered = 0;
                                }
                            }
                        }
                    }
                    self.progress.update(
                        raw_bytes.load(Ordering::Relaxed),
                        stats.bytes_in,
                        stats.docs_in,
                    );
                }
                if abort.load(Ordering::Relaxed) {
                    break;
                }
            }
            if !pending.is_empty() {
                return Err(Error::Internal(
                    "a worker stopped before finishing its batches".into(),
                ));
            }
            for (i, sb) in shard_buf.iter_mut().enumerate() {
                if sb.1 > 0 {
                    let (b, c) = std::mem::take(sb);
                    send(i, b, c)?;
                }
            }
            Ok(())
        })();
        if outcome.is_err() {
            // Set before the writers see their channels close, so they abandon their shards.
            abort.store(true, Ordering::SeqCst);
        }
        drop(results);
        drop(write_txs);
        match outcome {
            Ok(()) => {
                let summaries = vec![
                    side.rejected.finish()?,
                    side.duplicates.finish()?,
                    side.errors.finish()?,
                ];
                Ok((stats, summaries))
            }
            Err(e) => {
                side.rejected.abandon();
                side.duplicates.abandon();
                side.errors.abandon();
                Err(e)
            }
        }
    }
}

/// Starts a scoped thread with a name (shown by `top -H` and profilers). Like
/// `Scope::spawn`, panics if the OS cannot start a thread.
fn spawn_named<'s, 'e, T: Send + 's>(
    scope: &'s std::thread::Scope<'s, 'e>,
    name: &str,
    f: impl FnOnce() -> T + Send + 's,
) -> std::thread::ScopedJoinHandle<'s, T> {
    match std::thread::Builder::new()
        .name(name.to_string())
        .spawn_scoped(scope, f)
    {
        Ok(h) => h,
        Err(e) => panic!("cannot start thread {name}: {e}"),
    }
}

/// Sets a flag when dropped (also while unwinding from a panic).
struct SetOnDrop<'a>(&'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

enum ReaderMsg {
    Batch(Batch),
    Done(FileReport),
}

/// Runs the per-document stages on one document and turns the result into an outcome.
fn run_stages(
    doc: &mut Doc,
    stages: &[&dyn Stage],
    counters: &mut Counters,
    format: &RecordFormat,
    config: &Config,
) -> Outcome {
    for st in stages {
        if let Verdict::Drop(d) = st.process(doc, counters) {
            let rec = RejectedRecord {
                id: &doc.id,
                reason: format!(
                    "{}/{}: {} vs threshold {}",
                    d.stage,
                    d.rule,
                    round4(d.value),
                    round4(d.threshold)
                ),
                stage: d.stage,
                rule: d.rule,
                value: round4(d.value),
                threshold: round4(d.threshold),
                source: doc.origin.to_string(),
            };
            return Outcome::Rejected {
                stage: d.stage,
                rule: d.rule,
                json: serde_json::to_vec(&rec).unwrap_or_default(),
            };
        }
    }
    let shard = writer::shard_of(&doc.id, config.output.shard_seed, config.output.shards);
    let mut json = Vec::new();
    if let Err(e) = format.write(doc, &mut json) {
        // Cannot happen for values that came from JSON; reported rather than lost if it does.
        return Outcome::Error(InputError {
            file: doc.origin.file.clone(),
            line: doc.origin.line,
            kind: ErrorKind::InvalidJson,
            reason: format!("cannot serialize output record: {e}"),
            action: crate::io::errors::Action::Skipped,
        });
    }
    Outcome::Kept(Kept {
        seq: doc.seq,
        id: std::mem::take(&mut doc.id),
        origin: doc.origin.clone(),
        exact_key: doc.exact_key,
        minhash: doc.minhash.take(),
        shard,
        json,
    })
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}
