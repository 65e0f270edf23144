//! The cluster task: the duplicate decisions from every verified pair, by global position.
//!
//! * An exact duplicate (a later document of an exact-key group) names the group's first
//!   document, as the single-process exact stage does.
//! * Near duplicates, `distributed.near_clusters = "first_seen"` (default): documents in
//!   position order; a document that is not an exact duplicate and has a verified pair with an
//!   earlier *kept* document is removed as a duplicate of the most similar one (ties: the
//!   earliest). This is the single-process rule ("first seen wins", only kept documents are
//!   compared against) applied to the plan's verified pairs, so `duplicate_of` is always in the
//!   output.
//! * `near_clusters = "components"`: connected components of all pairs (union-find with path
//!   halving, the root is the smallest position); every member but the smallest position is a
//!   near duplicate of it (`similarity`: its best verified pair). Chains go further than in
//!   one process: with A~B and B~C but not A~C, C goes too and names A.
//!
//! With `near_dedup.mode = "annotate"` the removal becomes a `cluster` annotation with the same
//! id. Both rules depend only on positions and texts, never on the world size or task timing.
//! The decisions go to `decisions-<R>.bin` per finish rank `R` (by the prepare tasks' position
//! ranges), sorted by position.
//!
//! Memory: the pairs are streamed; per document that has a pair it holds its position, a
//! parent, an address, an exact representative and a similarity in vectors plus a hash-map
//! slot (about 60 bytes), and with `first_seen` 12 bytes per near pair. 100M documents in
//! pairs with 3 pairs each need about 10 GB here.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use super::prepare;
use super::store::{self, DocStore, Pair, PlannedDecision, PAIR};
use super::{NearClusters, Plan, StageName};
use crate::dedup::near::NearMode;
use crate::Error;

const NONE: u32 = u32::MAX;

#[derive(Default)]
struct Nodes {
    index: HashMap<u64, u32, crate::hash::BuildXx>,
    pos: Vec<u64>,
    addr: Vec<u64>,
    parent: Vec<u32>,
    exact_of: Vec<u32>,
    sim: Vec<f32>,
}

impl Nodes {
    fn node(&mut self, pos: u64, addr: u64) -> crate::Result<u32> {
        if let Some(&i) = self.index.get(&pos) {
            return Ok(i);
        }
        let i = u32::try_from(self.pos.len())
            .ok()
            .filter(|&i| i != NONE)
            .ok_or_else(|| {
                Error::MemoryBudget(
                    "more than 4G documents in duplicate pairs in one cluster task".into(),
                )
            })?;
        self.index.insert(pos, i);
        self.pos.push(pos);
        self.addr.push(addr);
        self.parent.push(i);
        self.exact_of.push(NONE);
        self.sim.push(0.0);
        Ok(i)
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let gp = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = gp;
            x = gp;
        }
        x
    }

    /// Joins two components; the root with the smaller position stays the root.
    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (keep, child) = if self.pos[ra as usize] < self.pos[rb as usize] {
            (ra, rb)
        } else {
            (rb, ra)
        };
        self.parent[child as usize] = keep;
    }
}

/// The cluster task.
pub(super) fn run(plan: &Plan, out: &Path) -> crate::Result<()> {
    let first_seen = plan.config.distributed.near_clusters == NearClusters::FirstSeen;
    let mut n = Nodes::default();
    // Near pairs (later, earlier, similarity), for first_seen.
    let mut edges: Vec<(u32, u32, f32)> = Vec::new();
    for r in 0..plan.world_size {
        let p = plan.task_dir(StageName::Match, r).join("pairs.bin");
        for pair in store::read_records(&p, PAIR, Pair::read)? {
            let a = n.node(pair.a_pos, pair.a_addr)?;
            let b = n.node(pair.b_pos, pair.b_addr)?;
            if pair.kind == 0 {
                n.exact_of[b as usize] = a;
            } else if first_seen {
                edges.push((b, a, pair.sim));
            } else {
                let s = &mut n.sim[b as usize];
                *s = s.max(pair.sim);
            }
            n.union(a, b);
        }
    }
    // first_seen: the kept neighbour each document is a duplicate of, decided in position order.
    let mut near_of = vec![NONE; n.pos.len()];
    if first_seen {
        let pos = &n.pos;
        edges.sort_unstable_by(|x, y| {
            (pos[x.0 as usize], pos[x.1 as usize]).cmp(&(pos[y.0 as usize], pos[y.1 as usize]))
        });
        let mut kept = vec![false; n.pos.len()];
        let mut order: Vec<u32> = (0..n.pos.len() as u32).collect();
        order.sort_unstable_by_key(|&i| pos[i as usize]);
        let mut e = 0;
        for x in order {
            let mut best: Option<(u32, f32)> = None;
            while e < edges.len() && pos[edges[e].0 as usize] < pos[x as usize] {
                e += 1;
            }
            while e < edges.len() && edges[e].0 == x {
                let (_, a, s) = edges[e];
                // Sorted by the earlier position: ties keep the earliest.
                if kept[a as usize] && best.is_none_or(|(_, bs)| s > bs) {
                    best = Some((a, s));
                }
                e += 1;
            }
            if n.exact_of[x as usize] != NONE {
                continue;
            }
            match best {
                Some((a, s)) => {
                    near_of[x as usize] = a;
                    n.sim[x as usize] = s;
                }
                None => kept[x as usize] = true,
            }
        }
    }
    // Finish ranks by position: rank r holds [first_pos of r, first_pos of the next rank).
    let mut starts = Vec::new();
    for r in 0..plan.world_size {
        let m = prepare::meta(plan, r)?;
        if m.docs > 0 {
            starts.push((m.first_pos, r));
        }
    }
    let rank_of = |pos: u64| {
        let i = starts.partition_point(|&(p, _)| p <= pos);
        starts.get(i.saturating_sub(1)).map_or(0, |&(_, r)| r)
    };
    let k = if plan.config.near_dedup.enabled {
        plan.config.near_dedup.sketch_size
    } else {
        0
    };
    let mut docs = DocStore::new(plan.work_dir.join(StageName::Prepare.name()), k);
    let annotate = plan.config.near_dedup.mode == NearMode::Annotate;
    let mut ids: HashMap<u32, String> = HashMap::new();
    let mut order: Vec<u32> = (0..n.pos.len() as u32).collect();
    order.sort_unstable_by_key(|&i| n.pos[i as usize]);
    let mut writers: Vec<Option<BufWriter<File>>> = (0..plan.world_size).map(|_| None).collect();
    for i in order {
        let of = if first_seen {
            near_of[i as usize]
        } else {
            n.find(i)
        };
        let (kind, of, sim) = if n.exact_of[i as usize] != NONE {
            (0u8, n.exact_of[i as usize], 1.0f32)
        } else if of == NONE || (of == i && !annotate) {
            continue;
        } else if annotate {
            (2, of, 0.0)
        } else {
            (1, of, n.sim[i as usize])
        };
        if ids.len() > 1 << 20 {
            ids.clear();
        }
        let of_id = match ids.get(&of) {
            Some(id) => id.clone(),
            None => {
                let id = docs.id(n.addr[of as usize])?;
                ids.insert(of, id.clone());
                id
            }
        };
        let pos = n.pos[i as usize];
        let r = rank_of(pos);
        let w = match &mut writers[r] {
            Some(w) => w,
            slot => {
                let p = out.join(format!("decisions-{r}.bin"));
                let f = File::create(&p).map_err(|e| Error::io(&p, e))?;
                slot.insert(BufWriter::new(f))
            }
        };
        PlannedDecision {
            pos,
            kind,
            sim,
            of: of_id,
        }
        .write(w)
        .map_err(|e| Error::io(out, e))?;
    }
    for (r, w) in writers.into_iter().enumerate() {
        let p = out.join(format!("decisions-{r}.bin"));
        match w {
            Some(mut w) => w.flush().map_err(|e| Error::io(&p, e))?,
            None => {
                File::create(&p).map_err(|e| Error::io(&p, e))?;
            }
        }
    }
    Ok(())
}
