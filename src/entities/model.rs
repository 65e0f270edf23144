//! The trained tagger: quantized weight tables, gazetteers, word clusters, BILOU decoding, and
//! the compressed on-disk format.
//!
//! Tagging a document runs two passes of an averaged-perceptron tagger over hashed features
//! ([`super::features`]); each pass decodes every sentence with Viterbi over BILOU transitions
//! ([`super::viterbi`]), or, for models trained with `viterbi: false`, greedily left to right
//! with tag-history features. The second pass adds document-level features built from the first
//! pass's output. Weights are `i16`, laid out `[feature row][pass][tag]` in 64-byte rows, so a
//! feature costs one cache line for both passes. Files are a small little-endian binary format
//! compressed with zstd that stores only the non-zero rows, and so does memory ([`Weights`]);
//! [`Model::from_bytes`] also reads the copy embedded in the binary.

use std::io::{Read, Write};
use std::ops::Range;
use std::path::Path;

use super::clusters::CAP_SHIFT;
use super::features::{
    allowed, connector_hashes, dynamic_rows, mark_runs, sentence_caps, static_rows, word_info,
    DocContext, Gazetteer, HashedMap, WordInfo, COLS, N_TAGS,
};
use super::viterbi::{transitions, viterbi_path, Transitions};
use crate::Error;

const MAGIC: &[u8; 8] = b"CMNER\x00\x00\x05";

/// A weight table that adds the weights of a set of rows to per-tag scores.
pub(crate) trait Table {
    /// Adds the weights of `rows` to `acc`.
    fn add_rows(&self, rows: &[u32], acc: &mut [f32; N_TAGS]);

    /// Adds the weights of hashed feature rows (`row(h, bits)`, as the feature functions give
    /// them) to `acc`: [`Table::add_rows`] unless the table stores its rows under other
    /// indices.
    fn add_hashed_rows(&self, rows: &[u32], acc: &mut [f32; N_TAGS]) {
        self.add_rows(rows, acc);
    }

    /// Asks the CPU to start loading `rows`, which will be needed soon.
    fn prefetch(&self, _rows: &[u32]) {}
}

/// One feature row: the `i16` weights of the 16 entity tags for pass 1, then for pass 2.
/// Aligned to 64 bytes, a row is exactly one cache line, and pass 2 reads the line that
/// pass 1 just loaded for the same feature.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(64))]
pub(crate) struct Row(pub(crate) [i16; 2 * COLS]);

impl Default for Row {
    fn default() -> Self {
        Row([0; 2 * COLS])
    }
}

/// The quantized weight table of both passes: `2^bits` hashed [`Row`]s, of which only the
/// non-zero ones (under a tenth after training) are stored, in index order. A directory block
/// per 64 rows holds a bit per row (non-zero or not) and the position in `rows` of its first
/// non-zero row. Tagging maps a document's feature rows to positions in `rows` once
/// ([`Weights::remap`]), dropping the zero rows (features never seen in training); both passes
/// then read the stored rows directly. Memory is the stored rows (about 5 MiB for the shipped
/// model) and 16 bytes per 64 rows of directory, not the whole table: nothing to zero at load.
#[derive(Clone, Debug, Default)]
pub(crate) struct Weights {
    dir: Vec<Block>,
    rows: Vec<Row>,
    len: usize,
}

/// The directory entry of 64 consecutive rows of [`Weights`].
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(16))]
struct Block {
    /// Bit `j`: row `64 k + j` is non-zero (stored).
    present: u64,
    /// Index in `Weights::rows` of the block's first stored row.
    base: u32,
}

impl Weights {
    /// Quantizes float weights (`[row][col]`, one table per pass) to `i16`, with one scale
    /// per pass (the argmax of a sum does not depend on a common scale).
    pub(crate) fn quantize(pass1: &[f32], pass2: Option<&[f32]>) -> Weights {
        let mut rows = vec![Row::default(); pass1.len() / COLS];
        for (half, w) in std::iter::once(pass1).chain(pass2).enumerate() {
            let max = w.iter().fold(0f32, |m, x| m.max(x.abs()));
            let scale = if max > 0.0 { 32767.0 / max } else { 1.0 };
            for (r, c) in rows.iter_mut().zip(w.chunks_exact(COLS)) {
                for (d, x) in r.0[half * COLS..(half + 1) * COLS].iter_mut().zip(c) {
                    *d = (x * scale).round() as i16;
                }
            }
        }
        let len = rows.len();
        Weights::from_stored(len, (0u32..).zip(rows))
    }

    /// A table of `len` rows, zero but for `stored` (ascending, distinct indices under `len`;
    /// zero rows among them are dropped).
    fn from_stored(len: usize, stored: impl IntoIterator<Item = (u32, Row)>) -> Weights {
        let (index, rows): (Vec<u32>, Vec<Row>) = stored
            .into_iter()
            .filter(|(_, row)| *row != Row::default())
            .unzip();
        Weights::from_sorted(len, &index, rows)
    }

    /// [`Weights::from_stored`] with the indices and the rows apart: `rows[k]` is row
    /// `index[k]`. The rows are kept in place (a model's stored rows are most of its memory).
    fn from_sorted(len: usize, index: &[u32], mut rows: Vec<Row>) -> Weights {
        let mut dir = vec![Block::default(); len.div_ceil(64)];
        let mut kept = 0;
        for (k, &i) in index.iter().enumerate().take(rows.len()) {
            let Some(block) = dir.get_mut(i as usize / 64) else {
                continue;
            };
            if rows[k] == Row::default() {
                continue;
            }
            block.present |= 1 << (i % 64);
            rows[kept] = rows[k];
            kept += 1;
        }
        rows.truncate(kept);
        let mut base = 0u32;
        for block in &mut dir {
            block.base = base;
            base += block.present.count_ones();
        }
        rows.shrink_to_fit();
        Weights { dir, rows, len }
    }

    /// Rows in the table, zero ones included (`2^bits`).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The stored (non-zero) rows with their indices, ascending.
    fn stored(&self) -> impl Iterator<Item = (u32, &Row)> + '_ {
        self.dir.iter().enumerate().flat_map(move |(k, block)| {
            let mut bits = block.present;
            let mut at = block.base as usize;
            std::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let j = bits.trailing_zeros();
                bits &= bits - 1;
                let row = self.rows.get(at)?;
                at += 1;
                Some(((k * 64) as u32 + j, row))
            })
        })
    }

    /// The position in `rows` of hashed row `i`, or `None` when it is zero (or out of range).
    #[inline]
    fn position(&self, i: u32) -> Option<u32> {
        let block = self.dir.get(i as usize / 64)?;
        let bit = 1u64 << (i % 64);
        if block.present & bit == 0 {
            return None;
        }
        Some(block.base + (block.present & (bit - 1)).count_ones())
    }

    /// Maps the hashed rows of a prepared document (`rows`, token `k`'s being
    /// `rows[offs[k]..offs[k + 1]]`) to positions in the stored rows, in place, dropping
    /// zero rows and moving the offsets to match.
    pub(crate) fn remap(&self, rows: &mut Vec<u32>, offs: &mut [u32]) {
        let mut w = 0usize;
        let mut start = offs.first().map_or(0, |&o| o as usize);
        for off in offs.iter_mut().skip(1) {
            let end = *off as usize;
            for j in start..end.min(rows.len()) {
                if let Some(pos) = self.position(rows[j]) {
                    rows[w] = pos;
                    w += 1;
                }
            }
            start = end;
            *off = w as u32;
        }
        if let Some(first) = offs.first_mut() {
            *first = 0;
        }
        rows.truncate(w);
    }

    /// The table of one pass (0 or 1), indexed by stored position (see [`Weights::remap`]).
    pub(crate) fn pass(&self, pass: usize) -> Pass<'_> {
        Pass {
            weights: self,
            off: pass.min(1) * COLS,
        }
    }
}

/// One pass's half of [`Weights`]: `add_rows` takes positions from [`Weights::remap`],
/// `add_hashed_rows` hashed rows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pass<'a> {
    weights: &'a Weights,
    off: usize,
}

impl Table for Pass<'_> {
    #[inline]
    fn add_rows(&self, rows: &[u32], acc: &mut [f32; N_TAGS]) {
        let mut sum = [0i32; COLS];
        for &r in rows {
            let Some(row) = self.weights.rows.get(r as usize) else {
                continue;
            };
            let half = &row.0[self.off..self.off + COLS];
            for t in 0..COLS {
                sum[t] += i32::from(half[t]);
            }
        }
        for (a, s) in acc[1..].iter_mut().zip(sum) {
            *a += s as f32;
        }
    }

    fn add_hashed_rows(&self, rows: &[u32], acc: &mut [f32; N_TAGS]) {
        for &r in rows {
            if let Some(pos) = self.weights.position(r) {
                self.add_rows(&[pos], acc);
            }
        }
    }

    #[inline]
    fn prefetch(&self, rows: &[u32]) {
        #[cfg(target_arch = "x86_64")]
        for &r in rows {
            if let Some(row) = self.weights.rows.get(r as usize) {
                // SAFETY: prefetching has no effect on program semantics; the pointer comes
                // from a live reference.
                unsafe {
                    std::arch::x86_64::_mm_prefetch(
                        (row as *const Row).cast::<i8>(),
                        std::arch::x86_64::_MM_HINT_T0,
                    );
                }
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = rows;
    }
}

/// The features of one document, ready for decoding.
#[derive(Debug, Default)]
pub struct Prepared {
    pub(crate) infos: Vec<WordInfo>,
    pub(crate) caps: Vec<bool>,
    pub(crate) rows: Vec<u32>,
    pub(crate) offs: Vec<u32>,
    pub(crate) rows2: Vec<u32>,
    pub(crate) offs2: Vec<u32>,
    pub(crate) tags1: Vec<u8>,
    pub(crate) doc: DocContext,
    lower: String,
    lattice: Lattice,
    /// The parts of sentences that are decoded (see `candidate_spans`).
    spans: Vec<Range<usize>>,
}

/// Reusable buffers for tagging; keep one per thread to avoid allocating per document.
pub type Scratch = Prepared;

/// Feature resources shared by training and tagging.
#[derive(Clone, Debug, Default)]
pub(crate) struct Resources {
    pub(crate) bits: u32,
    pub(crate) gaz: Gazetteer,
    /// Phrases of the external name lists (lowercase-form keys), typed by
    /// [`super::features::ListKind`].
    pub(crate) ext: Gazetteer,
    pub(crate) clusters: HashedMap<u64>,
    /// Embedding clusters by lowercase-form hash (see [`WordInfo::ecl`]).
    pub(crate) emb: HashedMap<u32>,
    /// Binarized embeddings by lowercase-form hash (see [`WordInfo::ebits`]).
    pub(crate) ebits: HashedMap<u128>,
    /// Decode sentences with Viterbi over BILOU transitions (else greedily left to right).
    pub(crate) viterbi: bool,
    /// Second-pass rows of the words around a name's other mentions in the document
    /// ([`DocContext::set_contexts`]).
    pub(crate) contexts: bool,
}

impl Resources {
    /// Computes word summaries and static feature rows for a document.
    pub(crate) fn prepare<S: AsRef<str>>(
        &self,
        words: &[S],
        sentences: &[Range<usize>],
        p: &mut Prepared,
    ) {
        self.prepare_with(words, sentences, p, false);
    }

    /// [`Resources::prepare`]; with `spans`, only the candidate spans of the sentences
    /// (`candidate_spans`) get feature rows and are decoded, the other tokens being `O`.
    pub(crate) fn prepare_with<S: AsRef<str>>(
        &self,
        words: &[S],
        sentences: &[Range<usize>],
        p: &mut Prepared,
        spans: bool,
    ) {
        p.infos.clear();
        for w in words {
            let mut info = word_info(w.as_ref(), &mut p.lower);
            if let Some(&c) = self.clusters.get(&info.lw) {
                info.cluster = c & ((1 << CAP_SHIFT) - 1);
                info.capr = (c >> CAP_SHIFT) as u8;
            }
            if let Some(&e) = self.emb.get(&info.lw) {
                info.ecl = e;
            }
            p.infos.push(info);
        }
        p.caps.clear();
        p.caps.resize(words.len(), false);
        let connectors = connector_hashes();
        for s in sentences {
            self.gaz.mark(&mut p.infos, s.clone());
            // Lowercase keys: headlines and datelines ("GERMANY") match too; the features
            // pair a match with the token's capitalization.
            self.ext
                .mark_with(&mut p.infos, s.clone(), |i| i.lw, |i| &mut i.xgaz);
            let caps = sentence_caps(&p.infos, s);
            p.caps[s.clone()].fill(caps);
            mark_runs(&mut p.infos, s.clone(), caps, &connectors);
        }
        p.spans.clear();
        if spans {
            candidate_spans(words, &p.infos, sentences, &mut p.spans);
        } else {
            p.spans.extend_from_slice(sentences);
        }
        p.rows.clear();
        p.offs.clear();
        p.offs.push(0);
        let mut k = 0;
        for s in sentences {
            for i in s.clone() {
                if in_spans(&p.spans, &mut k, i) {
                    // Capitalized words only (names: in lowercase words the rows bought
                    // nothing on dev), looked up here for the tokens that get rows.
                    let info = &mut p.infos[i];
                    if info.cap && info.ecl != 0 {
                        if let Some(&b) = self.ebits.get(&info.lw) {
                            info.ebits = b;
                        }
                    }
                    static_rows(&p.infos, s, i, p.caps[i], self.bits, &mut p.rows);
                }
                p.offs.push(p.rows.len() as u32);
            }
        }
    }

    /// Builds the second-pass document rows from first-pass tags in `p.tags1`.
    pub(crate) fn prepare_doc(&self, sentences: &[Range<usize>], p: &mut Prepared) {
        p.doc.set_contexts(self.contexts);
        p.doc.build(&p.infos, &p.tags1, &p.caps);
        p.rows2.clear();
        p.offs2.clear();
        p.offs2.push(0);
        let mut k = 0;
        for s in sentences {
            for i in s.clone() {
                if in_spans(&p.spans, &mut k, i) {
                    p.doc
                        .rows(&p.infos, &p.tags1, s, i, self.bits, &mut p.rows2);
                }
                p.offs2.push(p.rows2.len() as u32);
            }
        }
    }
}

/// Whether token `i` lies in one of `spans` (ascending, disjoint), for ascending `i`: `k` is the
/// walk's position in `spans`, kept between calls.
#[inline]
fn in_spans(spans: &[Range<usize>], k: &mut usize, i: usize) -> bool {
    while spans.get(*k).is_some_and(|r| r.end <= i) {
        *k += 1;
    }
    spans.get(*k).is_some_and(|r| r.contains(&i))
}

/// Reusable buffers of the Viterbi decoder.
#[derive(Debug, Default)]
pub(crate) struct Lattice {
    scores: Vec<[f32; N_TAGS]>,
    alpha: Vec<[f32; N_TAGS]>,
}

/// Decodes one sentence: Viterbi when `viterbi`, else greedily. Token `i`'s static rows are
/// `rows[offs[k]..offs[k+1]]` where `k` is its index among all tokens of the prepared document
/// (sentences cover the tokens in order, so `k == i`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn decode<T: Table>(
    table: &T,
    p: &Prepared,
    second: bool,
    sent: &Range<usize>,
    bits: u32,
    viterbi: Option<(&Transitions, &mut Lattice)>,
    out: &mut [u8],
) {
    let Some((trans, lat)) = viterbi else {
        greedy(table, p, second, sent, bits, out);
        return;
    };
    lat.scores.clear();
    for i in sent.clone() {
        let acc = static_scores(table, p, second, sent, i);
        lat.scores.push(acc);
    }
    viterbi_path(&lat.scores, trans, &mut lat.alpha, &mut out[sent.clone()]);
}

/// Token `i`'s scores from its static rows (and second-pass document rows when `second`).
/// Weight rows are random reads into a table larger than L2, so the next token's loads are
/// started first, while this one is scored.
#[inline]
fn static_scores<T: Table>(
    table: &T,
    p: &Prepared,
    second: bool,
    sent: &Range<usize>,
    i: usize,
) -> [f32; N_TAGS] {
    if i + 1 < sent.end {
        table.prefetch(&p.rows[p.offs[i + 1] as usize..p.offs[i + 2] as usize]);
        if second {
            table.prefetch(&p.rows2[p.offs2[i + 1] as usize..p.offs2[i + 2] as usize]);
        }
    }
    let mut acc = [0f32; N_TAGS];
    table.add_rows(
        &p.rows[p.offs[i] as usize..p.offs[i + 1] as usize],
        &mut acc,
    );
    if second {
        table.add_rows(
            &p.rows2[p.offs2[i] as usize..p.offs2[i + 1] as usize],
            &mut acc,
        );
    }
    acc
}

/// Greedy constrained decoding of one sentence (see [`decode`]).
fn greedy<T: Table>(
    table: &T,
    p: &Prepared,
    second: bool,
    sent: &Range<usize>,
    bits: u32,
    out: &mut [u8],
) {
    let (mut p1, mut p2) = (0u8, 0u8);
    for i in sent.clone() {
        let mut acc = static_scores(table, p, second, sent, i);
        table.add_hashed_rows(&dynamic_rows(&p.infos[i], p1, p2, bits), &mut acc);
        let last = i + 1 == sent.end;
        let mut best = u8::MAX;
        let mut best_score = f32::NEG_INFINITY;
        for (t, &s) in acc.iter().enumerate() {
            if s > best_score && allowed(p1, t as u8, last) {
                best = t as u8;
                best_score = s;
            }
        }
        if best == u8::MAX {
            best = 0;
        }
        out[i] = best;
        p2 = p1;
        p1 = best;
    }
}

/// Tokens farther than this from a capitalized or name-listed token are tagged `O` without
/// features or decoding. 1 already changed no tag on 458,604 CoNLL tokens (train, dev, train);
/// 2 keeps a margin for names with two lowercase particles ("Rafael de la Hoya").
const REACH: usize = 2;

/// The parts of each sentence that are decoded: maximal runs of tokens within [`REACH`] tokens
/// of a trigger (a token with an uppercase letter or a name-list match). Entities contain such a
/// token; the lowercase prose between them is `O`, and a run is decoded as a sentence of its
/// own (it starts after an `O` and cannot end inside an entity, as the BILOU constraints of a
/// sentence say) with the features of the whole sentence.
fn candidate_spans<S: AsRef<str>>(
    words: &[S],
    infos: &[super::features::WordInfo],
    sentences: &[Range<usize>],
    out: &mut Vec<Range<usize>>,
) {
    let reach = REACH;
    for s in sentences {
        let trigger = |i: usize| {
            infos[i].cap || infos[i].gaz != 0 || words[i].as_ref().chars().any(char::is_uppercase)
        };
        let mut cur: Option<Range<usize>> = None;
        for i in s.clone().filter(|&i| trigger(i)) {
            let lo = i.saturating_sub(reach).max(s.start);
            let hi = (i + reach + 1).min(s.end);
            match &mut cur {
                Some(r) if lo <= r.end => r.end = hi,
                _ => {
                    if let Some(r) = cur.take() {
                        out.push(r);
                    }
                    cur = Some(lo..hi);
                }
            }
        }
        if let Some(r) = cur {
            out.push(r);
        }
    }
}

/// A trained named-entity tagger (PER, ORG, LOC, MISC).
#[derive(Clone, Debug)]
pub struct Model {
    pub(crate) res: Resources,
    pub(crate) weights: Weights,
    pub(crate) two_pass: bool,
}

impl Model {
    /// Tags a tokenized document: `words` are its tokens, `sentences` ranges of token indices
    /// covering them in order. Writes one BILOU tag per token into `out` (see
    /// [`super::features::split_tag`]). `scratch` is reused between calls.
    pub fn tag<S: AsRef<str>>(
        &self,
        words: &[S],
        sentences: &[Range<usize>],
        scratch: &mut Scratch,
        out: &mut Vec<u8>,
    ) {
        self.tag_with(words, sentences, scratch, out, self.res.viterbi);
    }

    /// [`Model::tag`]; `spans` decodes only the candidate spans of each sentence (the default
    /// for Viterbi models), else whole sentences.
    pub(crate) fn tag_with<S: AsRef<str>>(
        &self,
        words: &[S],
        sentences: &[Range<usize>],
        scratch: &mut Scratch,
        out: &mut Vec<u8>,
        spans: bool,
    ) {
        out.clear();
        out.resize(words.len(), 0);
        if words.is_empty() {
            return;
        }
        self.res.prepare_with(words, sentences, scratch, spans);
        self.weights.remap(&mut scratch.rows, &mut scratch.offs);
        let spans = std::mem::take(&mut scratch.spans);
        let bits = self.res.bits;
        let (pass1, pass2) = (self.weights.pass(0), self.weights.pass(1));
        let mut lat = std::mem::take(&mut scratch.lattice);
        let (t1, t2) = (transitions(&pass1, bits), transitions(&pass2, bits));
        let vit = self.res.viterbi;
        if !self.two_pass {
            for s in &spans {
                let v = vit.then_some((&t1, &mut lat));
                decode(&pass1, scratch, false, s, bits, v, out);
            }
        } else {
            let mut tags1 = std::mem::take(&mut scratch.tags1);
            tags1.clear();
            tags1.resize(words.len(), 0);
            for s in &spans {
                let v = vit.then_some((&t1, &mut lat));
                decode(&pass1, scratch, false, s, bits, v, &mut tags1);
            }
            scratch.tags1 = tags1;
            scratch.spans = spans;
            self.res.prepare_doc(sentences, scratch);
            self.weights.remap(&mut scratch.rows2, &mut scratch.offs2);
            let spans = std::mem::take(&mut scratch.spans);
            for s in &spans {
                let v = vit.then_some((&t2, &mut lat));
                decode(&pass2, scratch, true, s, bits, v, out);
            }
            scratch.spans = spans;
        }
        scratch.lattice = lat;
    }

    /// The model embedded in the binary (`models/ner-en.bin.zst` at build time).
    pub fn embedded() -> crate::Result<Model> {
        Model::from_bytes(super::EMBEDDED_MODEL)
    }

    /// Serializes and zstd-compresses the model.
    pub fn to_bytes(&self) -> crate::Result<Vec<u8>> {
        let mut raw = Vec::new();
        raw.extend_from_slice(MAGIC);
        raw.extend_from_slice(&self.res.bits.to_le_bytes());
        for g in [&self.res.gaz, &self.res.ext] {
            raw.extend_from_slice(&(g.max_len as u32).to_le_bytes());
            let mut gaz: Vec<(u64, u8)> = g.map.iter().map(|(k, v)| (*k, *v)).collect();
            gaz.sort_unstable();
            raw.extend_from_slice(&(gaz.len() as u64).to_le_bytes());
            for (k, v) in gaz {
                raw.extend_from_slice(&k.to_le_bytes());
                raw.push(v);
            }
        }
        put_sorted(&mut raw, &self.res.clusters, u64::to_le_bytes);
        put_sorted(&mut raw, &self.res.emb, u32::to_le_bytes);
        let has_bits = !self.res.ebits.is_empty();
        raw.push(
            u8::from(self.two_pass)
                | u8::from(self.res.viterbi) << 1
                | u8::from(has_bits) << 2
                | u8::from(self.res.contexts) << 3,
        );
        if has_bits {
            put_sorted(&mut raw, &self.res.ebits, u128::to_le_bytes);
        }
        // Only rows with a non-zero weight are stored (under a tenth of the table): the file
        // stays small and loading writes only those rows into a zeroed table.
        let stored: Vec<(u32, &Row)> = self.weights.stored().collect();
        raw.extend_from_slice(&(self.weights.len() as u64).to_le_bytes());
        raw.extend_from_slice(&(stored.len() as u64).to_le_bytes());
        let mut prev = 0u32;
        for &(i, _) in &stored {
            raw.extend_from_slice(&(i - prev).to_le_bytes());
            prev = i;
        }
        for (_, row) in &stored {
            for x in row.0 {
                raw.extend_from_slice(&x.to_le_bytes());
            }
        }
        let mut enc =
            zstd::Encoder::new(Vec::new(), 19).map_err(|e| Error::Model(format!("zstd: {e}")))?;
        enc.write_all(&raw)
            .and_then(|_| enc.finish())
            .map_err(|e| Error::Model(format!("zstd: {e}")))
    }

    /// Writes the model to `path`.
    pub fn save(&self, path: &Path) -> crate::Result<()> {
        let bytes = self.to_bytes()?;
        std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
    }

    /// Reads a model written by [`Model::save`].
    pub fn load(path: &Path) -> crate::Result<Model> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Model::from_bytes(&bytes).map_err(|e| {
            Error::Model(format!(
                "{}: {e} (retrain with `corpusmill ner train`)",
                path.display()
            ))
        })
    }

    /// Decodes a model from the compressed bytes written by [`Model::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> crate::Result<Model> {
        let dec = zstd::Decoder::new(bytes)
            .map_err(|e| Error::Model(format!("not a zstd-compressed model: {e}")))?;
        let mut r = Reader(std::io::BufReader::with_capacity(1 << 16, dec));
        if r.take::<8>()? != *MAGIC {
            return Err(Error::Model(
                "not a corpusmill NER model (bad magic or an older format)".into(),
            ));
        }
        let bits = r.u32()?;
        if !(8..=26).contains(&bits) {
            return Err(Error::Model(format!("bad hash size {bits}")));
        }
        let gaz = r.gazetteer()?;
        let ext = r.gazetteer()?;
        let clusters = r.map(|r| r.u64())?;
        let emb = r.map(|r| r.u32())?;
        let flags = r.take::<1>()?[0];
        let (two, viterbi, contexts) = (flags & 1 != 0, flags & 2 != 0, flags & 8 != 0);
        let ebits = if flags & 4 != 0 {
            r.map(|r| Ok(u128::from_le_bytes(r.take()?)))?
        } else {
            HashedMap::default()
        };
        let n_rows = r.len(1 << 26)?;
        if n_rows != 1usize << bits {
            return Err(Error::Model(format!(
                "weight table has {n_rows} rows, expected {}",
                1usize << bits
            )));
        }
        let nnz = r.len(n_rows)?;
        // Capacities are capped: a corrupt count must fail on the missing bytes, not allocate.
        let mut index = Vec::with_capacity(nnz.min(1 << 22));
        let mut at = 0usize;
        for _ in 0..nnz {
            let step = r.u32()? as usize;
            if step == 0 && !index.is_empty() {
                return Err(Error::Model("weight row indices not ascending".into()));
            }
            at += step;
            if at >= n_rows {
                return Err(Error::Model("weight row index out of range".into()));
            }
            index.push(at as u32);
        }
        let mut rows = Vec::with_capacity(index.len().min(1 << 22));
        for _ in 0..index.len() {
            let b = r.take::<{ 4 * COLS }>()?;
            let mut row = Row::default();
            for (d, x) in row.0.iter_mut().zip(b.chunks_exact(2)) {
                *d = i16::from_le_bytes([x[0], x[1]]);
            }
            rows.push(row);
        }
        let weights = Weights::from_sorted(n_rows, &index, rows);
        Ok(Model {
            res: Resources {
                bits,
                gaz,
                ext,
                clusters,
                emb,
                ebits,
                viterbi,
                contexts,
            },
            weights,
            two_pass: two,
        })
    }
}

/// Writes a word map as its length and then its `(key, value)` pairs in key order (the file
/// must not depend on the hash map's iteration order).
fn put_sorted<V: Copy, const N: usize>(
    raw: &mut Vec<u8>,
    map: &HashedMap<V>,
    bytes: impl Fn(V) -> [u8; N],
) {
    let mut pairs: Vec<(u64, V)> = map.iter().map(|(k, v)| (*k, *v)).collect();
    pairs.sort_unstable_by_key(|p| p.0);
    raw.extend_from_slice(&(pairs.len() as u64).to_le_bytes());
    for (k, v) in pairs {
        raw.extend_from_slice(&k.to_le_bytes());
        raw.extend_from_slice(&bytes(v));
    }
}

struct Reader<R: Read>(R);

impl<R: Read> Reader<R> {
    fn take<const N: usize>(&mut self) -> crate::Result<[u8; N]> {
        let mut b = [0u8; N];
        self.0
            .read_exact(&mut b)
            .map_err(|e| Error::Model(format!("truncated or corrupt model file: {e}")))?;
        Ok(b)
    }
    fn u32(&mut self) -> crate::Result<u32> {
        Ok(u32::from_le_bytes(self.take()?))
    }
    fn u64(&mut self) -> crate::Result<u64> {
        Ok(u64::from_le_bytes(self.take()?))
    }
    /// A word map written by [`put_sorted`], its values read by `value`.
    fn map<V>(
        &mut self,
        mut value: impl FnMut(&mut Self) -> crate::Result<V>,
    ) -> crate::Result<HashedMap<V>> {
        let n = self.len(1 << 26)?;
        let mut map = HashedMap::default();
        map.reserve(n);
        for _ in 0..n {
            let k = self.u64()?;
            map.insert(k, value(self)?);
        }
        Ok(map)
    }
    /// A count, checked against `max` so that a corrupt file cannot ask for huge allocations.
    fn len(&mut self, max: usize) -> crate::Result<usize> {
        let n = self.u64()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= max)
            .ok_or_else(|| Error::Model(format!("corrupt model file: count {n} out of range")))
    }
    fn gazetteer(&mut self) -> crate::Result<Gazetteer> {
        let mut gaz = Gazetteer {
            max_len: self.u32()? as usize,
            ..Gazetteer::default()
        };
        let n = self.len(1 << 26)?;
        gaz.map.reserve(n);
        for _ in 0..n {
            let k = self.u64()?;
            let v = self.take::<1>()?[0];
            gaz.map.insert(k, v);
        }
        Ok(gaz)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::tokenize::{split_sentences, tokenize};

    fn spans_of(words: &[&str]) -> Vec<Range<usize>> {
        let infos: Vec<WordInfo> = words
            .iter()
            .map(|w| word_info(w, &mut String::new()))
            .collect();
        let mut out = Vec::new();
        let whole = std::iter::once(0..words.len()).collect::<Vec<_>>();
        candidate_spans(words, &infos, &whole, &mut out);
        out
    }

    #[test]
    fn candidate_spans_cover_two_tokens_around_capitalized_ones_and_merge() {
        let w = "the cat sat on the mat near Big Ben today and then it left quietly for a while";
        let words: Vec<&str> = w.split(' ').collect();
        assert_eq!(spans_of(&words), vec![5..11]);
        let w = "he met McDonald and later iPhone makers in the city of new york";
        let words: Vec<&str> = w.split(' ').collect();
        // "McDonald" (2) and "iPhone" (5, an inner capital) give one merged run.
        assert_eq!(spans_of(&words), vec![0..8]);
        let words = ["all", "lowercase", "words", "here"];
        assert!(spans_of(&words).is_empty());
    }

    /// Decoding only the candidate spans gives the tags of decoding whole sentences on real
    /// news (the 1,000-article fixture), and leaves tokens outside the spans `O`.
    #[test]
    fn span_decoding_matches_whole_sentence_decoding_on_news() {
        let model = Model::embedded().unwrap();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/bbc-1000.jsonl.zst");
        let text = zstd::decode_all(&std::fs::read(path).unwrap()[..]).unwrap();
        let text = String::from_utf8(text).unwrap();
        let (mut scratch, mut tokens, mut sentences) = (Scratch::default(), vec![], vec![]);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let (mut tags, mut differ, mut outside) = (0usize, 0usize, 0usize);
        for line in text.lines().take(300) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let doc = v["text"].as_str().unwrap();
            tokenize(doc, &mut tokens);
            split_sentences(doc, &tokens, &mut sentences);
            let words: Vec<&str> = tokens.iter().map(|t| &doc[t.start..t.end]).collect();
            model.tag_with(&words, &sentences, &mut scratch, &mut a, false);
            model.tag_with(&words, &sentences, &mut scratch, &mut b, true);
            let spans = spans_of_doc(&model, &words, &sentences);
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                tags += 1;
                differ += usize::from(x != y);
                if !spans.iter().any(|r| r.contains(&i)) {
                    outside += 1;
                    assert_eq!(*y, 0, "token {i} ({}) outside the spans", words[i]);
                }
            }
        }
        assert!(
            outside * 3 > tags,
            "{outside} of {tags} tokens outside the spans"
        );
        assert!(differ * 5000 < tags, "{differ} of {tags} tags differ");
        eprintln!("{differ} of {tags} tags differ, {outside} outside the spans");
    }

    #[test]
    fn stored_rows_are_found_by_position_and_remapped_without_zero_rows() {
        let mut full = vec![0f32; 300 * COLS];
        for (i, v) in [(3usize, 1.0f32), (64, -2.0), (65, 0.5), (299, 4.0)] {
            full[i * COLS + 1] = v;
        }
        let w = Weights::quantize(&full, None);
        assert_eq!(w.len(), 300);
        let stored: Vec<u32> = w.stored().map(|(i, _)| i).collect();
        assert_eq!(stored, [3, 64, 65, 299]);
        assert_eq!(w.position(3), Some(0));
        assert_eq!(w.position(65), Some(2));
        assert_eq!(w.position(299), Some(3));
        assert_eq!(w.position(4), None);
        assert_eq!(w.position(10_000), None);
        // Two tokens: rows [3, 5, 65] and [7, 299, 64].
        let mut rows = vec![3, 5, 65, 7, 299, 64];
        let mut offs = vec![0, 3, 6];
        w.remap(&mut rows, &mut offs);
        assert_eq!(rows, [0, 2, 3, 1]);
        assert_eq!(offs, [0, 2, 4]);
        let mut acc = [0f32; N_TAGS];
        w.pass(0).add_hashed_rows(&[299, 5], &mut acc);
        assert_eq!(acc[2], 32767.0);
    }

    /// The shipped model file is what loading and saving it gives back, byte for byte.
    #[test]
    fn the_embedded_model_round_trips_byte_for_byte() {
        let model = Model::embedded().unwrap();
        assert!(model.to_bytes().unwrap() == crate::entities::EMBEDDED_MODEL);
    }

    #[test]
    fn a_cut_model_file_is_an_error_not_a_panic() {
        let raw = zstd::decode_all(crate::entities::EMBEDDED_MODEL).unwrap();
        // Cuts in the header, the word maps (the bit sets take the middle of the file) and the
        // last weight row.
        for cut in [
            4,
            20,
            raw.len() / 3,
            raw.len() / 2,
            raw.len() * 2 / 3,
            raw.len() - 1,
        ] {
            let bytes = zstd::encode_all(&raw[..cut], 1).unwrap();
            let e = Model::from_bytes(&bytes).unwrap_err().to_string();
            assert!(e.contains("truncated or corrupt"), "cut at {cut}: {e}");
        }
    }

    #[test]
    fn capitalized_words_get_a_row_per_bit_of_their_binarized_vector() {
        let model = Model::embedded().unwrap();
        // The shipped model carries binarized vectors, and a byte-exact copy keeps them.
        assert!(model.res.ebits.len() > 100_000, "{}", model.res.ebits.len());
        let paris = model
            .res
            .ebits
            .get(&crate::entities::features::hash_str("paris"))
            .copied()
            .unwrap();
        assert!(paris.count_ones() > 5);
        let words = ["Paris", "paris", "said"];
        let rows = |res: &Resources| {
            let mut p = Prepared::default();
            let sentence = std::iter::once(0..words.len()).collect::<Vec<_>>();
            res.prepare(&words, &sentence, &mut p);
            let per: Vec<usize> = (0..3)
                .map(|i| (p.offs[i + 1] - p.offs[i]) as usize)
                .collect();
            (per, p.infos.iter().map(|i| i.ebits).collect::<Vec<_>>())
        };
        let (with, bits) = rows(&model.res);
        assert_eq!(bits, vec![paris, 0, 0], "lowercase words get no bits");
        let mut plain = model.res.clone();
        plain.ebits.clear();
        let (without, _) = rows(&plain);
        assert_eq!(with[0], without[0] + paris.count_ones() as usize);
        assert_eq!(with[1..], without[1..]);
    }

    fn spans_of_doc(
        model: &Model,
        words: &[&str],
        sentences: &[Range<usize>],
    ) -> Vec<Range<usize>> {
        let mut p = Prepared::default();
        model.res.prepare_with(words, sentences, &mut p, true);
        p.spans
    }
}
