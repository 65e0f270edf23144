//! The two passes: reader threads and the merger, the pre-scan, and the main pass's threads
//! (workers, ordered stage, collector, shard writers).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_channel::{bounded, unbounded, Receiver, Sender, TryRecvError};

use crate::config::Config;
use crate::io::pool::BufPool;
use crate::io::reader::{self, Entry, FileReport};
use crate::io::writer::{self, FileState, JsonlWriter};
use crate::stage::{Counters, Prescan, Verdict};
use crate::stats::{StageStats, StageTable};
use crate::Error;

use super::checkpoint::Checkpoint;
use super::collect::Collector;
use super::ordered::{self, Decider, Sides};
use super::output::{write_shards, Finisher, WriterMsg};
use super::work::{Decidable, Finished, KeptBatch, Worker};
use super::*;
use crate::io::parquet::Table;

/// Above this size `errors.jsonl` is replaced by `errors.jsonl.zst` at the end of a run. Lines
/// are capped per kind (`ERROR_LINES_PER_KIND`), so this happens only with many kinds of errors
/// or very long reasons, and a small report stays readable with `cat`.
pub(crate) const ERRORS_COMPRESS_BYTES: u64 = 1 << 20;

/// What [`Exec::scan`] hands each document that passed the stages to, one per worker thread.
pub(crate) trait Visitor: Send {
    /// Sees one document.
    fn visit(&mut self, doc: &crate::doc::Doc);
}

impl Visitor for Box<dyn Prescan> {
    fn visit(&mut self, doc: &crate::doc::Doc) {
        self.observe(doc);
    }
}

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
        steps: &[Step],
        counter: Box<dyn Prescan>,
    ) -> crate::Result<(Box<dyn Prescan>, u64)> {
        let forks: Vec<Box<dyn Prescan>> = (0..self.threads).map(|_| counter.fork()).collect();
        let (forks, docs) = self.scan("prescan", steps, forks)?;
        let mut merged = counter.fork();
        for f in forks {
            merged.merge(f)?;
        }
        Ok((merged, docs))
    }

    /// Runs `steps` over every record of the input on the worker threads, one visitor per
    /// thread, and hands each document that passes them all to its thread's visitor. Documents
    /// are numbered by their global position ([`global_position`]). Returns the visitors and
    /// the number of records parsed.
    pub(super) fn scan<V: Visitor>(
        &self,
        pass: &str,
        steps: &[Step],
        visitors: Vec<V>,
    ) -> crate::Result<(Vec<V>, u64)> {
        self.progress.start(pass, self.total_size());
        let raw_bytes = Arc::new(AtomicU64::new(0));
        let abort = AtomicBool::new(false);
        let reports = Mutex::new(Vec::new());
        let done: Mutex<Vec<(usize, V)>> = Mutex::new(Vec::new());
        let done_bytes = AtomicU64::new(0);
        let done_docs = AtomicU64::new(0);
        let finished = AtomicBool::new(false);
        let nvisitors = visitors.len();
        std::thread::scope(|scope| {
            let work = self.spawn_readers(scope, raw_bytes.clone(), &abort, &reports);
            let (done, done_bytes, done_docs, finished) =
                (&done, &done_bytes, &done_docs, &finished);
            scope.spawn(move || {
                // Set even if a worker panics, so the progress loop below always ends.
                let _done = SetOnDrop(finished);
                self.pool.scope(|s| {
                    for (i, mut visitor) in visitors.into_iter().enumerate() {
                        let work = work.clone();
                        s.spawn(move |_| {
                            let mut counters = Counters::default();
                            while let Ok(sb) = work.recv() {
                                for e in &sb.batch.entries {
                                    let Entry::Line(l) = e else { continue };
                                    let seq = global_position(sb.batch.file_index, l.line);
                                    let Ok((mut doc, _)) = self.format.parse_entry(
                                        sb.batch.warc,
                                        &sb.batch.buf[l.start..l.end],
                                        &sb.batch.file,
                                        l.line,
                                        seq,
                                    ) else {
                                        continue;
                                    };
                                    if steps.iter().all(|st| {
                                        st.stage.process(&mut doc, &mut counters) == Verdict::Keep
                                    }) {
                                        visitor.visit(&doc);
                                    }
                                    done_docs.fetch_add(1, Ordering::Relaxed);
                                }
                                done_bytes.fetch_add(sb.batch.bytes, Ordering::Relaxed);
                                self.opts.pool.put(sb.batch.buf);
                            }
                            if let Ok(mut d) = done.lock() {
                                d.push((i, visitor));
                            }
                        });
                    }
                    drop(work);
                });
            });
            // Progress from the calling thread while the workers run.
            loop {
                if self.progress.cancelled() {
                    abort.store(true, Ordering::SeqCst);
                }
                let last = finished.load(Ordering::SeqCst);
                self.progress.update(&Snapshot {
                    raw_bytes: raw_bytes.load(Ordering::Relaxed),
                    bytes: done_bytes.load(Ordering::Relaxed),
                    docs: done_docs.load(Ordering::Relaxed),
                    ..Snapshot::default()
                });
                if last {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        });
        self.progress.finish();
        if self.progress.cancelled() {
            return Err(Error::Interrupted(format!(
                "stopped during the {pass} pass, before anything was written; continue with \
                 --resume"
            )));
        }
        let mut done = done
            .into_inner()
            .map_err(|_| Error::Internal(format!("a {pass} worker panicked")))?;
        if done.len() != nvisitors {
            return Err(Error::Internal(format!("a {pass} worker panicked")));
        }
        done.sort_by_key(|(i, _)| *i);
        Ok((
            done.into_iter().map(|(_, v)| v).collect(),
            done_docs.into_inner(),
        ))
    }

    /// The main pass.
    pub(super) fn main(
        &self,
        config: &Config,
        plan: &Plan,
        deciders: &mut [Decider],
        start: &Checkpoint,
        fin: &Finisher<'_>,
    ) -> crate::Result<MainResult> {
        self.progress.start("main", self.total_size());
        let out_dir = &config.output.dir;
        let level = config.output.zstd_level;
        let nshards = config.output.shards;
        let raw_bytes = Arc::new(AtomicU64::new(0));
        let abort = AtomicBool::new(false);
        let reports = Mutex::new(Vec::new());
        let counters = Mutex::new(Counters::default());
        let figs = Mutex::new(vec![StageStats::default(); plan.names.len()]);
        // One shard is one zstd frame, compressed by one thread at a time: up to one writer per
        // worker thread, so compression is not the limit when shards >= threads.
        let nwriters = nshards.min(self.threads).max(1);
        // Shard blocks go back and forth between the collector and the writers.
        let blocks = BufPool::new(nshards + nwriters * 4);

        // Create every shard up front so a run always writes the same set of files; a resumed
        // run continues them from the checkpoint.
        let resumed = start.written.next_entry > 0;
        let open = |name: &str, state: FileState| {
            if resumed {
                JsonlWriter::resume(out_dir, name, level, state)
            } else {
                JsonlWriter::create(out_dir, name, level)
            }
        };
        let mut shard_writers: Vec<Vec<(usize, JsonlWriter)>> =
            (0..nwriters).map(|_| Vec::new()).collect();
        for i in 0..nshards {
            let state = start.written.shards.get(i).copied().unwrap_or_default();
            shard_writers[i % nwriters].push((i, open(&writer::shard_name(i), state)?));
        }
        let mut rejected = open("rejected.jsonl.zst", start.written.rejected)?;
        let mut duplicates = JsonlWriter::create(out_dir, "duplicates.jsonl.zst", level)?;
        let mut errors = JsonlWriter::create(out_dir, "errors.jsonl", level)?;

        let result = std::thread::scope(|scope| {
            let work = self.spawn_readers(scope, raw_bytes.clone(), &abort, &reports);
            let (res_tx, res_rx) = bounded::<Decidable>(self.queue);
            // Unbounded, yet bounded in effect: it holds only what came through the bounded
            // channels, and workers take kept batches before new input.
            let (kept_tx, kept_rx) = unbounded::<KeptBatch>();
            let (fin_tx, fin_rx) = bounded::<crate::Result<Finished>>(self.queue);
            // Shard writer threads, each owning a fixed set of shards.
            let mut write_txs = Vec::new();
            let mut write_handles = Vec::new();
            for group in shard_writers {
                let (tx, rx) = bounded::<WriterMsg>(4);
                write_txs.push(tx);
                let (abort, blocks, fin) = (&abort, &blocks, fin);
                write_handles.push(spawn_named(scope, "corpusmill-write", move || {
                    write_shards(group, rx, abort, blocks, fin)
                }));
            }
            // Workers.
            let (counters, figs) = (&counters, &figs);
            let pool_handle = scope.spawn(move || {
                self.pool.scope(|s| {
                    for _ in 0..self.threads {
                        let (work, res_tx) = (work.clone(), res_tx.clone());
                        let (kept_rx, fin_tx) = (kept_rx.clone(), fin_tx.clone());
                        s.spawn(move |_| {
                            let mut w = Worker::new(plan, self.format, config);
                            self.work_loop(&mut w, work, res_tx, kept_rx, fin_tx);
                            if let Ok(mut c) = counters.lock() {
                                c.merge(&w.counters);
                            }
                            if let Ok(mut f) = figs.lock() {
                                for (a, b) in f.iter_mut().zip(&w.figs) {
                                    a.merge(b);
                                }
                            }
                        });
                    }
                    drop((work, res_tx, kept_rx, fin_tx));
                });
            });
            let collector = Collector {
                write_txs,
                blocks: &blocks,
                rejected: &mut rejected,
                progress: self.progress,
                clock: &plan.clock,
                abort: &abort,
                dir: out_dir,
                run: &start.run,
                every: config.output.checkpoint_mb.saturating_mul(1_000_000),
                names: &plan.names,
            };
            let written = start.written.clone();
            let collector = spawn_named(scope, "corpusmill-collect", move || {
                collector.run(fin_rx, written)
            });
            let decided = ordered::decide(
                res_rx,
                deciders,
                plan.names.len(),
                Sides {
                    duplicates: &mut duplicates,
                    errors: &mut errors,
                    kept: kept_tx,
                    strict: config.pipeline.strict,
                    replay_until: start.written.next_entry,
                },
            );
            if decided.is_err() {
                // Set before the writers see their channels close, so they abandon shards.
                abort.store(true, Ordering::SeqCst);
            }
            let _ = pool_handle.join();
            let collected = match collector.join() {
                Ok(r) => r,
                Err(_) => Err(Error::Internal("the collector panicked".into())),
            };
            if collected.is_err() {
                abort.store(true, Ordering::SeqCst);
            }
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
            // The first cause wins: an interrupt, then the ordered stage (a --strict stop), then
            // the collector and the writers (full disk).
            if let Err(Error::Interrupted(m)) = collected {
                return Err(Error::Interrupted(m));
            }
            let decided = decided?;
            if let Some(e) = writer_err {
                return Err(e);
            }
            let collected = collected?;
            summaries.sort_by(|a, b| a.file.cmp(&b.file));
            Ok((decided, collected, summaries))
        });
        self.progress.finish();
        let (decided, collected, shards) = match result {
            Ok(r) => r,
            Err(e) => {
                rejected.leave();
                duplicates.leave();
                errors.leave();
                return Err(e);
            }
        };
        let mut errors = errors.finish()?;
        if errors.bytes > ERRORS_COMPRESS_BYTES {
            errors = writer::compress_finished(out_dir, &errors, level)?;
        }
        let side = vec![
            fin.finish(rejected, Some(&Table::Rejected))?,
            fin.finish(duplicates, Some(&Table::Duplicates))?,
            errors,
        ];
        let mut stats = decided.stats;
        stats.docs_written = collected.docs_written;
        stats.bytes_out = collected.bytes_out;
        for (into, from) in [
            (&mut stats.rejected, &collected.after_rejected),
            (&mut stats.counters, &collected.after_counters),
        ] {
            for (stage, m) in from {
                for (k, n) in m {
                    *into
                        .entry(stage.clone())
                        .or_default()
                        .entry(k.clone())
                        .or_insert(0) += n;
                }
            }
        }
        if let Ok(c) = counters.into_inner() {
            stats.add_counters(&c);
        }
        let mut figs = figs.into_inner().unwrap_or_default();
        for (a, b) in figs.iter_mut().zip(&decided.figs) {
            a.merge(b);
        }
        for (name, fig) in plan.names.iter().zip(figs.iter_mut()) {
            if let Some(after) = collected.after_stages.get(*name) {
                fig.merge(after);
            }
        }
        stats.stages = StageTable(plan.names.iter().copied().zip(figs).collect());
        let mut reports = reports.into_inner().unwrap_or_default();
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

    /// A worker thread: kept documents first (they free memory and feed the writers), new
    /// input when there are none. Ends when the ordered stage has closed the kept channel.
    fn work_loop(
        &self,
        w: &mut Worker<'_>,
        work: Receiver<SeqBatch>,
        res_tx: Sender<Decidable>,
        kept: Receiver<KeptBatch>,
        fin: Sender<crate::Result<Finished>>,
    ) {
        let mut input = Some((work, res_tx));
        loop {
            let kb = match kept.try_recv() {
                Ok(kb) => kb,
                Err(TryRecvError::Disconnected) => return,
                Err(TryRecvError::Empty) => match &input {
                    None => match kept.recv() {
                        Ok(kb) => kb,
                        Err(_) => return,
                    },
                    Some((work, res_tx)) => {
                        crossbeam_channel::select! {
                            recv(kept) -> m => match m {
                                Ok(kb) => kb,
                                Err(_) => return,
                            },
                            recv(work) -> m => {
                                let sent = match m {
                                    Ok(sb) => res_tx
                                        .send(w.decide_ready(sb, &self.opts.pool))
                                        .is_ok(),
                                    Err(_) => false,
                                };
                                if !sent {
                                    // No more input (or the ordered stage stopped): dropping
                                    // this worker's sender lets the ordered stage finish.
                                    input = None;
                                }
                                continue;
                            }
                        }
                    }
                },
            };
            let failed = {
                let r = w.finish(kb);
                let failed = r.is_err();
                fin.send(r).is_err() || failed
            };
            if failed {
                return;
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
