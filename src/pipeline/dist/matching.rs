//! The match task: for each bucket of its range, the entries of every prepare task, sorted by
//! (key, position). Documents with equal exact keys pair with the group's first position.
//! Documents with an equal band hash are candidates: each is verified against the group's
//! first `distributed.max_checks` documents with the single-process verification (the earlier
//! document's bottom-k sketch packed as the index stores it, [`sketch::estimate_packed`]
//! against the later one's, at least `near_dedup.verify_threshold`; without verification a
//! shared band is enough). Writes `pairs.bin`.
//!
//! Memory: one bucket's entries at a time (24 bytes per document and band / buckets) and the
//! sketches of one group.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use super::store::{self, DocStore, Entry, Pair, EXACT_ENTRY, NEAR_ENTRY};
use super::{Plan, StageName};
use crate::dedup::sketch;
use crate::Error;

/// The buckets of match rank `rank`.
pub(super) fn bucket_range(plan: &Plan, rank: usize) -> std::ops::Range<usize> {
    let nb = plan.config.distributed.buckets;
    let n = plan.world_size;
    (rank * nb / n)..((rank + 1) * nb / n)
}

/// Reads bucket `b` of every prepare task.
fn load(plan: &Plan, near: bool, b: usize) -> crate::Result<Vec<Entry>> {
    let mut all = Vec::new();
    for r in 0..plan.world_size {
        let dir = plan.task_dir(StageName::Prepare, r);
        let (name, size) = if near {
            (format!("near-{b}.bin"), NEAR_ENTRY)
        } else {
            (format!("exact-{b}.bin"), EXACT_ENTRY)
        };
        let parse = if near { Entry::near } else { Entry::exact };
        all.extend(store::read_records(&dir.join(name), size, parse)?);
    }
    all.sort_unstable();
    Ok(all)
}

/// The match task.
pub(super) fn run(plan: &Plan, rank: usize, out: &Path) -> crate::Result<()> {
    let c = &plan.config;
    let path = out.join("pairs.bin");
    let mut w = BufWriter::new(File::create(&path).map_err(|e| Error::io(&path, e))?);
    let k = if c.near_dedup.enabled {
        c.near_dedup.sketch_size
    } else {
        0
    };
    let mut docs = DocStore::new(plan.work_dir.join(StageName::Prepare.name()), k);
    let threshold = c.near_dedup.verify.then_some(c.near_dedup.verify_threshold);
    let checks = c.distributed.max_checks;
    let mut packed: Vec<Vec<u8>> = Vec::new();
    let mut query = Vec::new();
    let mut scratch = Vec::new();
    for b in bucket_range(plan, rank) {
        if c.exact_dedup.enabled {
            let entries = load(plan, false, b)?;
            for g in entries.chunk_by(|x, y| x.key == y.key) {
                for x in &g[1..] {
                    write(&mut w, &path, exact_pair(&g[0], x))?;
                }
            }
        }
        if !c.near_dedup.enabled {
            continue;
        }
        let entries = load(plan, true, b)?;
        for g in entries.chunk_by(|x, y| x.key == y.key) {
            if g.len() < 2 {
                continue;
            }
            let firsts = &g[..checks.min(g.len())];
            if threshold.is_some() {
                packed.clear();
                for e in firsts {
                    docs.sketch(e.addr, &mut scratch)?;
                    let mut p = vec![0u8; sketch::packed_len(k)];
                    sketch::pack(&scratch, &mut p);
                    packed.push(p);
                }
            }
            for (j, x) in g.iter().enumerate().skip(1) {
                if threshold.is_some() {
                    docs.sketch(x.addr, &mut query)?;
                }
                for (i, e) in firsts.iter().enumerate().take(j) {
                    if e.pos == x.pos {
                        continue;
                    }
                    let sim = match threshold {
                        Some(t) => {
                            let s = sketch::estimate_packed(&query, &packed[i]);
                            if s < t {
                                continue;
                            }
                            s
                        }
                        None => 1.0,
                    };
                    let pair = Pair {
                        kind: 1,
                        sim: ((sim * 1000.0).round() / 1000.0) as f32,
                        a_pos: e.pos,
                        a_addr: e.addr,
                        b_pos: x.pos,
                        b_addr: x.addr,
                    };
                    write(&mut w, &path, pair)?;
                }
            }
        }
    }
    w.flush().map_err(|e| Error::io(&path, e))
}

fn exact_pair(first: &Entry, x: &Entry) -> Pair {
    Pair {
        kind: 0,
        sim: 1.0,
        a_pos: first.pos,
        a_addr: first.addr,
        b_pos: x.pos,
        b_addr: x.addr,
    }
}

fn write(w: &mut impl Write, path: &Path, p: Pair) -> crate::Result<()> {
    p.write(w).map_err(|e| Error::io(path, e))
}
