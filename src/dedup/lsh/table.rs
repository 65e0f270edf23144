//! The band table of the LSH index: one open-addressing table of `u32` entries shared by all
//! bands (linear probing; the key mixes the band number into a hash of the band's values).
//!
//! An entry is the document number plus 1 in its low `doc_bits` bits (as many as the table's
//! capacity needs) and a tag from the key in the rest, so a probe reads only the table and a
//! tag matches by chance about once in 2^(32 - doc_bits). The table grows by half at a load of
//! [`MAX_LOAD`] (or starts at the size asked for), rebuilt from the band hashes read back in
//! order from the [`KeyLog`]; it is backed by huge pages where Linux allows, since every probe
//! is a random access. Probes read a cache line (16 slots) at a time, finding its empty slots
//! and tag matches with a few SSE2 compares, and [`BandTable::prefetch`] lets the ordered
//! stage start loading the next document's lines while it decides the current one.

use super::logs::KeyLog;

/// The table grows (by half) when more than this share of its slots would be used.
pub(super) const MAX_LOAD: f64 = 0.85;

/// Load of a table pre-sized for `expected_docs` documents once they are all indexed.
pub(crate) const PRESIZE_LOAD: f64 = 0.75;

/// Smallest table, in slots.
const MIN_CAP: usize = 4096;

/// The shared band table and the scratch of the current query.
#[derive(Debug, Default)]
pub(super) struct BandTable {
    /// Bits of an entry holding the document number + 1; the rest hold a tag of the key.
    doc_bits: u32,
    /// Slots (0 = empty).
    slots: Vec<u32>,
    /// Where each band's probe of the last query ended (its first empty slot) and the band's
    /// tag, for a table of `q_cap` slots: an insert into the same table starts there.
    q_end: Vec<(usize, u32)>,
    q_cap: usize,
    /// Home slot and tag of each band of the query.
    q_home: Vec<(usize, u32)>,
    /// Candidate documents of the last query (deduplicated, in probe order).
    pub(super) cands: Vec<u32>,
}

/// The table key of a band hash (which already depends on the band number): a multiplicative
/// spread, whose high half picks the home slot and low bits the tag.
#[inline]
fn table_key(h: u32) -> u64 {
    (u64::from(h) | (u64::from(h) << 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Home slot in a table of `cap` slots and entry tag of a band hash.
#[inline]
fn home(h: u32, cap: usize, doc_bits: u32) -> (usize, u32) {
    let key = table_key(h);
    let pos = (((key >> 32) * cap as u64) >> 32) as usize;
    let tag = ((key as u32) << doc_bits) >> doc_bits << doc_bits;
    (pos, tag)
}

impl BandTable {
    /// Bytes allocated for slots.
    pub(super) fn memory_bytes(&self) -> usize {
        self.slots.capacity() * 4
    }

    /// Prefetches the home slots of `keys` (the next query's band hashes).
    pub(super) fn prefetch(&self, keys: &[u32]) {
        let cap = self.slots.len();
        if cap == 0 {
            return;
        }
        for &h in keys {
            let pos = home(h, cap, self.doc_bits).0;
            prefetch(&self.slots, pos);
            // Probe runs often reach the next cache line.
            prefetch(&self.slots, pos + BLOCK);
        }
    }

    /// Indexed documents whose entry for some band of `keys` matches its key's tag, into
    /// `self.cands`.
    pub(super) fn query(&mut self, keys: &[u32]) {
        self.cands.clear();
        self.q_end.clear();
        let cap = self.slots.len();
        self.q_cap = cap;
        if cap == 0 {
            return;
        }
        let mask = (1u32 << self.doc_bits) - 1;
        self.q_home.clear();
        for &h in keys {
            let hm = home(h, cap, self.doc_bits);
            prefetch(&self.slots, hm.0);
            self.q_home.push(hm);
        }
        let slots = &self.slots;
        let cands = &mut self.cands;
        let mut found = |e: u32| {
            let doc = (e & mask) - 1;
            if !cands.contains(&doc) {
                cands.push(doc);
            }
        };
        for &(mut pos, tag) in &self.q_home {
            loop {
                if let Some(start) = block_start(slots, pos) {
                    // The cache line holding `pos`: its empty slots and tag matches at once,
                    // those before `pos` masked off.
                    let (empty, same) = scan_block(slots, start, tag, !mask);
                    let before = (1u32 << (pos - start)) - 1;
                    let (empty, same) = (empty & !before, same & !before);
                    let stop = if empty == 0 {
                        BLOCK as u32
                    } else {
                        empty.trailing_zeros()
                    };
                    let mut m = same & ((1u32 << stop) - 1);
                    while m != 0 {
                        found(slots[start + m.trailing_zeros() as usize]);
                        m &= m - 1;
                    }
                    if empty != 0 {
                        self.q_end.push((start + stop as usize, tag));
                        break;
                    }
                    pos = start + BLOCK;
                } else {
                    let e = slots[pos];
                    if e == 0 {
                        self.q_end.push((pos, tag));
                        break;
                    }
                    if e & !mask == tag {
                        found(e);
                    }
                    pos += 1;
                }
                if pos == cap {
                    pos = 0;
                }
            }
        }
    }

    /// The table size needed to add one document to `len` indexed ones (`bands` entries
    /// each), or `None` when the current table has room. `expected` pre-sizes the first table.
    pub(super) fn planned_growth(
        &self,
        len: usize,
        bands: usize,
        expected: usize,
    ) -> Option<usize> {
        let need = (len + 1) * bands;
        let cap = self.slots.len();
        if (need as f64) <= cap as f64 * MAX_LOAD {
            return None;
        }
        let mut new_cap = (cap + cap / 2)
            .max((need as f64 / MAX_LOAD) as usize + 1)
            .max(MIN_CAP);
        if cap == 0 {
            new_cap = new_cap.max((expected as f64 * bands as f64 / PRESIZE_LOAD) as usize);
        }
        Some(new_cap)
    }

    /// Most documents a table of `cap` slots holds before growing.
    fn max_docs(cap: usize, bands: usize) -> u64 {
        (cap as f64 * MAX_LOAD) as u64 / bands as u64 + 2
    }

    /// Rebuilds the table with `new_cap` slots from the band hashes in `keys` (`bands` per
    /// document, in document order).
    pub(super) fn rebuild(
        &mut self,
        new_cap: usize,
        bands: usize,
        len: usize,
        keys: &mut KeyLog,
    ) -> crate::Result<()> {
        if new_cap >= 1 << 32 {
            return Err(crate::Error::MemoryBudget(
                "the near-duplicate table would exceed 2^32 slots; split the input into \
                 smaller runs or use fewer near_dedup.bands"
                    .into(),
            ));
        }
        // Entries need bits for as many documents as the new table holds before growing.
        let doc_bits = (64 - Self::max_docs(new_cap, bands).leading_zeros()).clamp(1, 31);
        self.doc_bits = doc_bits;
        self.slots = Vec::new();
        let mut slots = zeroed_table(new_cap);
        // Positions of the next few keys are prefetched before their entries are written, so
        // the cache misses of the random writes overlap.
        const AHEAD: usize = 32;
        let mut ring = [(0usize, 0u32); AHEAD];
        let put = |slots: &mut Vec<u32>, (pos, e): (usize, u32)| {
            let pos = first_empty(slots, pos);
            slots[pos] = e;
        };
        let (mut doc, mut b) = (0usize, 0usize);
        keys.for_each(|i, h| {
            let (pos, tag) = home(h, new_cap, doc_bits);
            prefetch(&slots, pos);
            let slot = &mut ring[i % AHEAD];
            let prev = std::mem::replace(slot, (pos, tag | (doc as u32 + 1)));
            if i >= AHEAD {
                put(&mut slots, prev);
            }
            b += 1;
            if b == bands {
                b = 0;
                doc += 1;
            }
        })?;
        let total = len * bands;
        for i in total.saturating_sub(AHEAD)..total {
            put(&mut slots, ring[i % AHEAD]);
        }
        self.slots = slots;
        Ok(())
    }

    /// True when document number `doc` (0-based) fits an entry of the current table.
    pub(super) fn fits(&self, doc: usize) -> bool {
        doc + 1 < 1 << self.doc_bits
    }

    /// Adds document `doc` under the band hashes `keys`, starting from where the last query
    /// of the same keys ended when it ran on the current table.
    pub(super) fn insert(&mut self, doc: usize, keys: &[u32]) {
        let cap = self.slots.len();
        let probed = self.q_cap == cap && self.q_end.len() == keys.len();
        for (b, &h) in keys.iter().enumerate() {
            let (pos, tag) = if probed {
                self.q_end[b]
            } else {
                home(h, cap, self.doc_bits)
            };
            let pos = first_empty(&self.slots, pos);
            self.slots[pos] = tag | (doc as u32 + 1);
        }
    }
}

/// Slots scanned at once by a probe.
const BLOCK: usize = 16;

/// The first slot of the [`BLOCK`] slots sharing a 64-byte cache line with slot `pos`, when
/// that whole line lies inside the table.
#[inline]
fn block_start(slots: &[u32], pos: usize) -> Option<usize> {
    let addr = slots.as_ptr() as usize / 4 + pos;
    pos.checked_sub(addr % BLOCK)
        .filter(|start| start + BLOCK <= slots.len())
}

/// For the [`BLOCK`] slots from `pos` (all inside the table): a bit mask of the empty ones and
/// one of those whose bits under `tag_bits` equal `tag`.
#[inline]
fn scan_block(slots: &[u32], pos: usize, tag: u32, tag_bits: u32) -> (u32, u32) {
    let block = &slots[pos..pos + BLOCK];
    #[cfg(target_arch = "x86_64")]
    {
        // SSE2 is part of x86_64, so no runtime check is needed.
        use std::arch::x86_64::*;
        // SAFETY: `block` holds 16 `u32`s, so the four unaligned 16-byte loads stay inside
        // it; the intrinsics only need SSE2.
        unsafe {
            let p = block.as_ptr().cast::<__m128i>();
            let (zero, t, bits) = (
                _mm_setzero_si128(),
                _mm_set1_epi32(tag as i32),
                _mm_set1_epi32(tag_bits as i32),
            );
            let v = [
                _mm_loadu_si128(p),
                _mm_loadu_si128(p.add(1)),
                _mm_loadu_si128(p.add(2)),
                _mm_loadu_si128(p.add(3)),
            ];
            // Lanes compare to all ones or zero; packing with signed saturation keeps that,
            // one byte per slot.
            let mask = |c: [__m128i; 4]| -> u32 {
                let a = _mm_packs_epi32(c[0], c[1]);
                let b = _mm_packs_epi32(c[2], c[3]);
                _mm_movemask_epi8(_mm_packs_epi16(a, b)) as u32
            };
            (
                mask(v.map(|x| _mm_cmpeq_epi32(x, zero))),
                mask(v.map(|x| _mm_cmpeq_epi32(_mm_and_si128(x, bits), t))),
            )
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let (mut empty, mut same) = (0u32, 0u32);
        for (i, &e) in block.iter().enumerate() {
            empty |= u32::from(e == 0) << i;
            same |= u32::from(e & tag_bits == tag) << i;
        }
        (empty, same)
    }
}

/// The first empty slot at or after `pos` (wrapping around; the table is never full).
#[inline]
fn first_empty(slots: &[u32], mut pos: usize) -> usize {
    let cap = slots.len();
    loop {
        if slots[pos] == 0 {
            return pos;
        }
        if let Some(start) = block_start(slots, pos) {
            let (empty, _) = scan_block(slots, start, 0, 0);
            let empty = empty & !((1u32 << (pos - start)) - 1);
            if empty != 0 {
                return start + empty.trailing_zeros() as usize;
            }
            pos = start + BLOCK;
        } else {
            pos += 1;
        }
        if pos == cap {
            pos = 0;
        }
    }
}

/// A zeroed table of `n` slots. On Linux the kernel is asked to back it with huge pages
/// (probes are random, so 4 KiB pages would cost a TLB miss each).
fn zeroed_table(n: usize) -> Vec<u32> {
    let v = vec![0u32; n];
    #[cfg(target_os = "linux")]
    {
        let start = v.as_ptr() as usize;
        let end = start + n * 4;
        let page = 4096;
        let (a, b) = (start.div_ceil(page) * page, end / page * page);
        if b > a + (2 << 20) {
            // SAFETY: the range lies inside `v`'s allocation, page-aligned; MADV_HUGEPAGE only
            // changes how the kernel backs it, never its contents. Failure is harmless.
            unsafe {
                libc::madvise(a as *mut libc::c_void, b - a, libc::MADV_HUGEPAGE);
            }
        }
    }
    v
}

/// Hints the CPU to load the cache line of `slots[pos]`.
#[inline]
fn prefetch(slots: &[u32], pos: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        if pos < slots.len() {
            // SAFETY: prefetching is a hint that never faults; the pointer is in bounds.
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(slots.as_ptr().add(pos).cast());
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (slots, pos);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_find_every_entry_at_the_highest_load() {
        // A small table filled to its maximum load: long runs, some wrapping around the end.
        let mut t = BandTable::default();
        let cap = t.planned_growth(0, 1, 0).unwrap();
        t.rebuild(cap, 1, 0, &mut KeyLog::Memory(Vec::new()))
            .unwrap();
        let n = (cap as f64 * MAX_LOAD) as usize - 1;
        let key = |d: usize| (d as u32).wrapping_mul(0x9E37_79B9) ^ 0x5bd1_e995;
        for d in 0..n {
            t.query(&[key(d)]);
            t.insert(d, &[key(d)]);
        }
        assert!(
            t.slots[cap - 1] != 0 && t.slots[0] != 0,
            "no run wraps around"
        );
        for d in 0..n {
            t.query(&[key(d)]);
            assert!(t.cands.contains(&(d as u32)), "{d}");
            assert_eq!(first_empty(&t.slots, t.q_end[0].0), t.q_end[0].0);
        }
    }

    #[test]
    fn entries_survive_rebuilds_and_presizing_skips_them() {
        let bands = 4;
        let mut keys = KeyLog::Memory(Vec::new());
        let mut t = BandTable::default();
        let n = 20_000usize;
        let key = |d: usize, b: usize| (d as u32).wrapping_mul(0x9E37_79B9) ^ (b as u32 * 7919);
        let mut rebuilds = 0;
        for d in 0..n {
            if let Some(cap) = t.planned_growth(d, bands, 0) {
                t.rebuild(cap, bands, d, &mut keys).unwrap();
                rebuilds += 1;
            }
            let k: Vec<u32> = (0..bands).map(|b| key(d, b)).collect();
            t.query(&k);
            t.insert(d, &k);
            keys.push(&k).unwrap();
        }
        assert!(rebuilds > 3);
        for d in [0, 1, 777, n - 1] {
            let k: Vec<u32> = (0..bands).map(|b| key(d, b)).collect();
            t.query(&k);
            assert!(t.cands.contains(&(d as u32)), "{d}");
        }
        // Every query finds exactly the documents a slot-by-slot scan of its probe runs
        // finds (runs crossing cache lines and wrapping around the table end included).
        for d in (0..n).step_by(97) {
            let k: Vec<u32> = (0..bands).map(|b| key(d, b)).collect();
            t.query(&k);
            let mut got = t.cands.clone();
            got.sort_unstable();
            let mask = (1u32 << t.doc_bits) - 1;
            let cap = t.slots.len();
            let mut want = Vec::new();
            for &h in &k {
                let (mut pos, tag) = home(h, cap, t.doc_bits);
                while t.slots[pos] != 0 {
                    if t.slots[pos] & !mask == tag && !want.contains(&((t.slots[pos] & mask) - 1)) {
                        want.push((t.slots[pos] & mask) - 1);
                    }
                    pos = (pos + 1) % cap;
                }
            }
            want.sort_unstable();
            assert_eq!(got, want, "{d}");
        }
        // Sized up front for n documents: one table, never rebuilt.
        let t = BandTable::default();
        let cap = t.planned_growth(0, bands, n).unwrap();
        assert!(cap as f64 * MAX_LOAD >= (n * bands) as f64);
    }
}
