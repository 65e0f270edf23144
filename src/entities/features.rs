//! Feature extraction for the tagger: hashed, allocation-free per token.
//!
//! Each token is first summarized once in a [`WordInfo`] (hashes of its form, lowercase form,
//! word shape, affixes, word cluster, gazetteer matches). Feature templates then combine the
//! summaries of the token and its ±2 neighbours into 64-bit hashes, and the top `bits` bits of
//! each hash pick a row of the weight table ([`row`]). Nothing here allocates per token: the
//! caller owns and reuses every buffer.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Number of tags: `O` plus B/I/L/U for each of the four entity types.
pub const N_TAGS: usize = 17;
/// Weight columns per feature row: one per entity tag. `O` is the reference class whose score
/// is always 0, which makes a row exactly 32 bytes of `i16` (one aligned half cache line).
pub const COLS: usize = 16;
/// Entity types, in tag order.
pub const TYPES: [&str; 4] = ["PER", "ORG", "LOC", "MISC"];

/// BILOU position of a tag inside an entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pos {
    /// Outside any entity.
    O,
    /// First token of a multi-token entity.
    B,
    /// Inside token of a multi-token entity.
    I,
    /// Last token of a multi-token entity.
    L,
    /// Single-token entity.
    U,
}

/// The tag index for entity type `ty` (0..4) at position `pos`.
#[inline]
pub fn tag(ty: usize, pos: Pos) -> u8 {
    let p = match pos {
        Pos::O => return 0,
        Pos::B => 0,
        Pos::I => 1,
        Pos::L => 2,
        Pos::U => 3,
    };
    (1 + ty * 4 + p) as u8
}

/// The entity type (0..4) and position of a tag.
#[inline]
pub fn split_tag(t: u8) -> (usize, Pos) {
    if t == 0 {
        return (0, Pos::O);
    }
    let t = t as usize - 1;
    let pos = match t % 4 {
        0 => Pos::B,
        1 => Pos::I,
        2 => Pos::L,
        _ => Pos::U,
    };
    (t / 4, pos)
}

/// Whether tag `t` may follow tag `prev` (use `prev = 0` at a sentence start) under BILOU.
#[inline]
pub fn allowed(prev: u8, t: u8, last: bool) -> bool {
    ALLOWED[usize::from(last)][prev as usize % N_TAGS] & (1 << t) != 0
}

/// [`allowed`] as bit masks: `ALLOWED[last][prev]` has bit `t` set when `t` may follow.
const ALLOWED: [[u32; N_TAGS]; 2] = {
    let mut table = [[0u32; N_TAGS]; 2];
    let mut last = 0;
    while last < 2 {
        let mut prev = 0;
        while prev < N_TAGS {
            let mut t = 0;
            while t < N_TAGS {
                if allowed_slow(prev as u8, t as u8, last == 1) {
                    table[last][prev] |= 1 << t;
                }
                t += 1;
            }
            prev += 1;
        }
        last += 1;
    }
    table
};

const fn allowed_slow(prev: u8, t: u8, last: bool) -> bool {
    // Positions: 0 = O, else (t - 1) % 4 is B, I, L, U; types are (t - 1) / 4.
    let open = prev != 0 && ((prev - 1) % 4 == 0 || (prev - 1) % 4 == 1);
    let pos = if t == 0 { 4 } else { (t - 1) % 4 };
    let ok = if open {
        (pos == 1 || pos == 2) && (t - 1) / 4 == (prev - 1) / 4
    } else {
        pos == 0 || pos == 3 || pos == 4
    };
    ok && !(last && (pos == 0 || pos == 1))
}

/// The straightforward version of [`allowed`], kept to check the table against.
#[cfg(test)]
fn allowed_reference(prev: u8, t: u8, last: bool) -> bool {
    let (pt, pp) = split_tag(prev);
    let (ty, pos) = split_tag(t);
    let open = matches!(pp, Pos::B | Pos::I);
    let ok = if open {
        matches!(pos, Pos::I | Pos::L) && ty == pt
    } else {
        matches!(pos, Pos::O | Pos::B | Pos::U)
    };
    ok && !(last && matches!(pos, Pos::B | Pos::I))
}

/// A hasher for keys that already are good 64-bit hashes.
#[derive(Default, Clone, Copy, Debug)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A map keyed by precomputed hashes.
pub type HashedMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

const SEED: u64 = 0x636f_7270_7573_6d6c;

/// Hash of a string (fixed seed).
#[inline]
pub fn hash_str(s: &str) -> u64 {
    xxh3_64_with_seed(s.as_bytes(), SEED)
}

/// Combines two hashes.
#[inline]
pub fn mix(a: u64, b: u64) -> u64 {
    let x = (a ^ b.rotate_left(29)).wrapping_add(0x9e37_79b9_7f4a_7c15);
    let x = (x ^ (x >> 32)).wrapping_mul(0xd6e8_feb8_6659_fd93);
    let x = (x ^ (x >> 32)).wrapping_mul(0xd6e8_feb8_6659_fd93);
    x ^ (x >> 32)
}

/// The weight-table row of feature hash `h` in a table of `2^bits` rows.
#[inline]
pub fn row(h: u64, bits: u32) -> u32 {
    (h >> (64 - bits)) as u32
}

/// Token summary computed once per token.
#[derive(Clone, Copy, Debug, Default)]
pub struct WordInfo {
    /// Exact form.
    pub w: u64,
    /// Lowercase form.
    pub lw: u64,
    /// Shape with runs capped at 3 (`Xxxx`, `dd.dd`).
    pub shape: u64,
    /// Shape with runs collapsed (`Xx`, `d.d`).
    pub sshape: u64,
    /// Lowercase prefixes of 1..=4 characters (0 when the word is shorter).
    pub pre: [u64; 4],
    /// Lowercase suffixes of 1..=4 characters.
    pub suf: [u64; 4],
    /// Word-cluster code (with a leading 1), or 0.
    pub cluster: u64,
    /// How often the word is capitalized in running text: 0 unknown, 1 (never) to 4 (always),
    /// 5 seen only sentence-initially.
    pub capr: u8,
    /// Gazetteer matches: bit `type * 4 + pos` for B, I, L, U.
    pub gaz: u16,
    /// Matches in the external name lists (see [`ListKind`]), same bit layout as `gaz`.
    pub xgaz: u16,
    /// Lowercase form of the last word of the run of capitalized words this token is in
    /// (its likely head noun: "Road", "Forum", "Ministry"), or 0.
    pub head: u64,
    /// Word cluster of that head word, or 0.
    pub head_cl: u64,
    /// Lowercase form of the first word of that run, or 0.
    pub run_first: u64,
    /// Position in that run (1 first, 2 inside, 3 last, 4 alone; 0 outside runs) plus its
    /// length capped at 4, times 8.
    pub run: u8,
    /// Embedding clusters of the lowercase form (`fine + 1 | (coarse + 1) << 16`, from
    /// vectors learned on large unlabeled text), or 0.
    pub ecl: u32,
    /// Binarized embedding of the lowercase form (bit `2d`: dimension `d` high, `2d + 1`:
    /// low) of a capitalized word, or 0: a row for each set bit, after the embedding-cluster
    /// rows. Set only for the tokens that get feature rows (`Resources::prepare_with`).
    pub ebits: u128,
    /// First character is uppercase.
    pub cap: bool,
    /// Has letters and all of them are uppercase.
    pub upper: bool,
    /// Has an alphabetic character.
    pub alpha: bool,
}

/// Maps typographic quotes and dashes to the ASCII forms the training data uses.
#[inline]
fn ascii_punct(c: char) -> char {
    match c {
        '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{201f}' | '\u{ab}' | '\u{bb}' => '"',
        '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' => '\'',
        '\u{2013}' | '\u{2014}' | '\u{2212}' => '-',
        c => c,
    }
}

/// Computes the [`WordInfo`] of `word`; `lower` is a reusable scratch buffer. Typographic
/// quotes and dashes are read as their ASCII forms.
pub fn word_info(word: &str, lower: &mut String) -> WordInfo {
    if !word.is_ascii() && word.len() <= 64 && word.chars().any(|c| ascii_punct(c) != c) {
        // Rewrite into a stack buffer: the replacements are shorter, so it always fits.
        let mut buf = [0u8; 64];
        let mut n = 0;
        for c in word.chars().map(ascii_punct) {
            n += c.encode_utf8(&mut buf[n..]).len();
        }
        if let Ok(norm) = std::str::from_utf8(&buf[..n]) {
            return word_info_plain(norm, lower);
        }
    }
    word_info_plain(word, lower)
}

fn word_info_plain(word: &str, lower: &mut String) -> WordInfo {
    lower.clear();
    let mut shape: u64 = 0x51;
    let mut sshape: u64 = 0x73;
    let mut last = '\0';
    let mut run = 0;
    let mut cap = false;
    let mut upper = true;
    let mut alpha = false;
    for (k, c) in word.chars().enumerate() {
        let class = if c.is_uppercase() {
            alpha = true;
            if k == 0 {
                cap = true;
            }
            'X'
        } else if c.is_lowercase() || c.is_alphabetic() {
            alpha = true;
            upper = false;
            'x'
        } else if c.is_numeric() {
            'd'
        } else {
            c
        };
        if class == last {
            run += 1;
        } else {
            run = 1;
            sshape = sshape.wrapping_mul(0x100_0000_01b3) ^ u64::from(class);
        }
        if run <= 3 {
            shape = shape.wrapping_mul(0x100_0000_01b3) ^ u64::from(class);
        }
        last = class;
        if c.is_ascii() {
            lower.push(c.to_ascii_lowercase());
        } else {
            lower.extend(c.to_lowercase());
        }
    }
    let mut info = WordInfo {
        w: hash_str(word),
        lw: hash_str(lower),
        shape: mix(shape, 1),
        sshape: mix(sshape, 2),
        cap,
        upper: upper && alpha,
        alpha,
        ..WordInfo::default()
    };
    let l: &str = lower;
    if l.is_ascii() {
        for k in 0..4.min(l.len()) {
            info.pre[k] = hash_str(&l[..k + 1]);
            info.suf[k] = hash_str(&l[l.len() - k - 1..]);
        }
    } else {
        let n = l.chars().count();
        for k in 0..4.min(n) {
            let p = l.char_indices().nth(k + 1).map_or(l.len(), |(i, _)| i);
            let s = l.char_indices().nth(n - k - 1).map_or(0, |(i, _)| i);
            info.pre[k] = hash_str(&l[..p]);
            info.suf[k] = hash_str(&l[s..]);
        }
    }
    info
}

/// Marks a gazetteer key that is a proper prefix of a longer phrase.
const PREFIX: u8 = 0x80;

/// Phrases seen as entities in the training data, keyed by the hash of their token forms.
#[derive(Clone, Debug, Default)]
pub struct Gazetteer {
    /// Phrase hash → bit mask of entity types.
    pub map: HashedMap<u8>,
    /// Longest phrase, in tokens.
    pub max_len: usize,
}

/// Hash of a token sequence given the exact-form hashes of its tokens.
#[inline]
pub fn phrase_hash(words: impl Iterator<Item = u64>) -> u64 {
    words.fold(0x9a7e, mix)
}

impl Gazetteer {
    /// Adds a phrase (exact-form token hashes) of entity type `ty`.
    pub fn add(&mut self, words: &[u64], ty: usize) {
        if words.is_empty() || words.len() > 8 {
            return;
        }
        // Every proper prefix gets the PREFIX bit so that matching can stop early.
        let mut h = 0x9a7e;
        for (k, &w) in words.iter().enumerate() {
            h = mix(h, w);
            let bit = if k + 1 == words.len() {
                1 << ty
            } else {
                PREFIX
            };
            *self.map.entry(h).or_insert(0) |= bit;
        }
        self.max_len = self.max_len.max(words.len());
    }

    /// Marks gazetteer matches inside `infos[range]` (a sentence) in their `gaz` bits.
    pub fn mark(&self, infos: &mut [WordInfo], range: Range<usize>) {
        self.mark_with(infos, range, |i| i.w, |i| &mut i.gaz);
    }

    /// Marks matches inside `infos[range]` in the bits that `bits` selects, with phrases keyed
    /// by the token hashes that `key` selects (exact or lowercase form).
    pub fn mark_with(
        &self,
        infos: &mut [WordInfo],
        range: Range<usize>,
        key: impl Fn(&WordInfo) -> u64,
        bits: impl Fn(&mut WordInfo) -> &mut u16,
    ) {
        if self.map.is_empty() {
            return;
        }
        for s in range.clone() {
            let mut h = 0x9a7e;
            for e in s..range.end.min(s + self.max_len) {
                h = mix(h, key(&infos[e]));
                let Some(&mask) = self.map.get(&h) else {
                    break;
                };
                for ty in 0..4 {
                    if mask & (1 << ty) == 0 {
                        continue;
                    }
                    if e == s {
                        *bits(&mut infos[s]) |= 1 << (ty * 4 + 3);
                    } else {
                        *bits(&mut infos[s]) |= 1 << (ty * 4);
                        for i in infos.iter_mut().take(e).skip(s + 1) {
                            *bits(i) |= 1 << (ty * 4 + 1);
                        }
                        *bits(&mut infos[e]) |= 1 << (ty * 4 + 2);
                    }
                }
            }
        }
    }
}

/// The kinds of external name lists (built from open data, independent of the training labels):
/// the index is the "type" of a phrase in [`Gazetteer::add`] for the external gazetteer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListKind {
    /// Places: countries, capitals, states, cities.
    Loc = 0,
    /// Given names.
    FirstName = 1,
    /// Family names.
    LastName = 2,
    /// Organisations.
    Org = 3,
}

impl ListKind {
    /// The kind named `name` (`loc`, `per_first`, `per_last`, `org`).
    pub fn from_name(name: &str) -> Option<ListKind> {
        match name {
            "loc" => Some(ListKind::Loc),
            "per_first" => Some(ListKind::FirstName),
            "per_last" => Some(ListKind::LastName),
            "org" => Some(ListKind::Org),
            _ => None,
        }
    }
}

// Template ids. Each feature hash mixes one of these with its values.
const T_BIAS: u64 = 1;
const T_W: u64 = 2;
const T_LW: [u64; 5] = [3, 4, 5, 6, 7];
const T_SH: [u64; 3] = [8, 9, 10];
const T_SS_L: u64 = 11;
const T_SS_R: u64 = 12;
const T_PRE: u64 = 13;
const T_SUF: u64 = 14;
const T_BI_L: u64 = 15;
const T_BI_R: u64 = 16;
const T_INIT: u64 = 17;
const T_CAPS: u64 = 18;
const T_CAPS_LW: u64 = 19;
const T_CL: u64 = 20;
const T_CL_L: u64 = 21;
const T_CL_R: u64 = 22;
const T_GAZ: u64 = 23;
const T_GAZ_L: u64 = 24;
const T_GAZ_R: u64 = 25;
const T_P1: u64 = 26;
const T_P12: u64 = 27;
const T_P1_LW: u64 = 28;
const T_P1_SH: u64 = 29;
const T_D_OWN: u64 = 30;
const T_D_OWN_L: u64 = 31;
const T_D_OWN_R: u64 = 32;
const T_D_MAJ: u64 = 33;
const T_D_ANY: u64 = 34;
const T_D_MAJ_SH: u64 = 35;
const T_TRI: u64 = 36;
const T_HEAD: u64 = 37;
const T_CAPR: u64 = 38;
const T_SH_CTX: u64 = 39;
const T_XGAZ: u64 = 40;
const T_XGAZ_L: u64 = 41;
const T_XGAZ_R: u64 = 42;
const T_EC: u64 = 43;
const T_EC_L: u64 = 44;
const T_EC_R: u64 = 45;
const T_D_LMAJ: u64 = 46;
const T_D_LANY: u64 = 47;
const T_D_TOPIC: u64 = 48;
const T_D_TOPIC_EC: u64 = 49;
const T_EB: u64 = 50;
const T_RUN: u64 = 51;
const T_D_CTX: u64 = 52;

/// Context rows after which a token stops reading the other mentions of its run (each adds up
/// to four; a name mentioned in every paragraph would otherwise add rows without bound).
const MAX_CONTEXT_ROWS: usize = 16;

#[inline]
fn f(t: u64, v: u64) -> u64 {
    mix(t.wrapping_mul(0x2545_f491_4f6c_dd1d), v)
}

/// Indices, among a token's static rows, of its word-identity features (form, lowercase form).
pub const WORD_ROWS: std::ops::Range<usize> = 1..3;

/// Indices, among the static rows of a token with embedding clusters (`ecl != 0`), of its
/// own embedding-cluster features, right after [`WORD_ROWS`].
pub const EMB_ROWS: std::ops::Range<usize> = 3..6;

/// Pushes the rows of the features of token `i` that do not depend on predicted tags.
///
/// `sent` is the token's sentence; `caps` says whether the whole sentence is upper case (a
/// headline), which changes what capitalization means.
pub fn static_rows(
    infos: &[WordInfo],
    sent: &Range<usize>,
    i: usize,
    caps: bool,
    bits: u32,
    out: &mut Vec<u32>,
) {
    const PAD: WordInfo = WordInfo {
        w: 11,
        lw: 11,
        shape: 11,
        sshape: 11,
        pre: [0; 4],
        suf: [0; 4],
        cluster: 0,
        capr: 0,
        gaz: 0,
        xgaz: 0,
        head: 0,
        head_cl: 0,
        run_first: 0,
        run: 0,
        ecl: 0,
        ebits: 0,
        cap: false,
        upper: false,
        alpha: false,
    };
    let at = |k: isize| -> &WordInfo {
        let j = i as isize + k;
        if j < sent.start as isize || j >= sent.end as isize {
            &PAD
        } else {
            &infos[j as usize]
        }
    };
    let me = &infos[i];
    let mut push = |h: u64| out.push(row(h, bits));
    // The first three rows are fixed: bias, then the two word-identity features (training
    // drops those at random; see `WORD_ROWS`).
    push(f(T_BIAS, 0));
    push(f(T_W, me.w));
    push(f(T_LW[2], me.lw));
    // Then, when the word has them, its three embedding-cluster rows (`EMB_ROWS`), which
    // word dropout hides with the identity rows.
    if me.ecl != 0 {
        let coarse = u64::from(me.ecl >> 16);
        push(f(T_EC, u64::from(me.ecl & 0xffff)));
        push(f(T_EC + 1000, coarse));
        push(f(T_EC + 2000, mix(coarse, me.shape)));
        let mut b = me.ebits;
        while b != 0 {
            push(f(T_EB, u64::from(b.trailing_zeros())));
            b &= b - 1;
        }
    }
    for k in [0, 1, 3, 4] {
        push(f(T_LW[k], at(k as isize - 2).lw));
    }
    for (k, t) in T_SH.iter().enumerate() {
        push(f(*t, at(k as isize - 1).shape));
    }
    push(f(T_SS_L, mix(at(-1).sshape, me.sshape)));
    push(f(T_SS_R, mix(me.sshape, at(1).sshape)));
    for k in 0..4 {
        if me.pre[k] != 0 {
            push(f(T_PRE + (k as u64) * 100, me.pre[k]));
            push(f(T_SUF + (k as u64) * 100, me.suf[k]));
        }
    }
    // Shape with neighbouring words generalizes to unseen names ("Xxxx said", "Mr Xxxx").
    push(f(T_SH_CTX, mix(at(-1).lw, me.shape)));
    push(f(T_SH_CTX + 1000, mix(me.shape, at(1).lw)));
    push(f(T_SH_CTX + 2000, mix(me.shape, mix(at(1).lw, at(2).lw))));
    push(f(T_BI_L, mix(at(-1).lw, me.lw)));
    push(f(T_BI_R, mix(me.lw, at(1).lw)));
    push(f(T_TRI, mix(mix(at(-1).lw, me.lw), at(1).lw)));
    push(f(T_INIT, mix(u64::from(i == sent.start), me.shape)));
    let ctx = u64::from(i == sent.start) | u64::from(caps) << 1 | u64::from(me.cap) << 2;
    push(f(T_CAPR, mix(u64::from(me.capr), ctx)));
    push(f(
        T_CAPR + 1000,
        mix(u64::from(me.capr) << 8 | u64::from(at(1).capr), ctx),
    ));
    if caps {
        push(f(T_CAPS, me.shape));
        push(f(T_CAPS_LW, me.lw));
    }
    if me.cluster != 0 {
        push(f(T_CL, me.cluster));
        push(f(T_CL + 1000, me.cluster >> 8));
        push(f(T_CL + 2000, mix(me.cluster >> 8, me.shape)));
    }
    push(f(T_CL_L, at(-1).cluster));
    push(f(T_CL_R, at(1).cluster));
    // Only with embedding clusters in the model (none: the same rows as without the option).
    if at(-1).ecl != 0 {
        push(f(T_EC_L, u64::from(at(-1).ecl & 0xffff)));
    }
    if at(1).ecl != 0 {
        push(f(T_EC_R, u64::from(at(1).ecl & 0xffff)));
    }
    let mut g = me.gaz;
    while g != 0 {
        let b = g.trailing_zeros();
        push(f(T_GAZ, u64::from(b)));
        g &= g - 1;
    }
    if me.head != 0 {
        push(f(T_HEAD, mix(me.head, u64::from(me.head == me.lw))));
        push(f(T_HEAD + 1000, me.head_cl));
        // The word's place in its run with the run's length, head and first word: where a
        // name of unknown words starts and ends ("the League of Women Voters").
        let pos = u64::from(me.run & 7);
        push(f(T_RUN, u64::from(me.run)));
        push(f(T_RUN + 1000, mix(pos, me.head)));
        push(f(T_RUN + 2000, mix(pos, me.run_first)));
    }
    push(f(T_GAZ_L, u64::from(at(-1).gaz)));
    push(f(T_GAZ_R, u64::from(at(1).gaz)));
    let mut g = me.xgaz;
    while g != 0 {
        let b = g.trailing_zeros();
        push(f(T_XGAZ, mix(u64::from(b), u64::from(me.cap))));
        g &= g - 1;
    }
    if me.xgaz != 0 || at(-1).xgaz != 0 || at(1).xgaz != 0 {
        push(f(T_XGAZ_L, mix(u64::from(at(-1).xgaz), me.sshape)));
        push(f(T_XGAZ_R, mix(me.sshape, u64::from(at(1).xgaz))));
        push(f(
            T_XGAZ_R + 1000,
            mix(
                u64::from(at(-1).xgaz) << 16 | u64::from(me.xgaz),
                u64::from(at(1).xgaz),
            ),
        ));
    }
}

/// The row of the tag-transition feature "previous tag is `p1`": its weights score each tag
/// after `p1`. It is the only tag-history feature of Viterbi-decoded models.
#[inline]
pub fn transition_row(p1: u8, bits: u32) -> u32 {
    row(f(T_P1, u64::from(p1)), bits)
}

/// The rows of the features that depend on the two previous predicted tags.
#[inline]
pub fn dynamic_rows(info: &WordInfo, p1: u8, p2: u8, bits: u32) -> [u32; 4] {
    let p1h = u64::from(p1);
    [
        row(f(T_P1, p1h), bits),
        row(f(T_P12, p1h * 32 + u64::from(p2)), bits),
        row(f(T_P1_LW, mix(p1h, info.lw)), bits),
        row(f(T_P1_SH, mix(p1h, info.shape)), bits),
    ]
}

/// Document-level context for the second pass: what the first pass said about each word form
/// elsewhere in the same document (Ratinov & Roth's "prediction history").
#[derive(Debug, Default)]
pub struct DocContext {
    counts: HashedMap<[u16; 4]>,
    /// The same by lowercase form, from tokens outside all-caps sentences: what running text
    /// said about the words of a headline or dateline ("LEICESTERSHIRE").
    lower: HashedMap<[u16; 4]>,
    /// Lowercase form of the document's slug, the first word when a dash follows it ("SOCCER -
    /// ...", "Tennis - ..."): a wire story's topic. 0 when the document has none.
    slug: u64,
    /// With [`DocContext::set_contexts`]: every run of capitalized words in running text
    /// (see [`mark_runs`]) as (hash of its words, first token, lowercase forms of the words
    /// before and after it, their fine embedding clusters), sorted; and each token's run
    /// hash (0 outside runs and in runs mentioned once, which have no other contexts).
    runs: Vec<(u64, u32, u64, u64, u32, u32)>,
    run_key: Vec<u64>,
    /// Rows of the aggregated contexts of one run occurrence, `(key, first token)` in `last`:
    /// the tokens of a run share them.
    tmp: Vec<u32>,
    last: (u64, usize),
    contexts: bool,
}

impl DocContext {
    /// Rebuilds the context from first-pass `tags` of the document's tokens.
    /// `caps[i]` says whether token `i` is in an all-caps sentence.
    pub fn build(&mut self, infos: &[WordInfo], tags: &[u8], caps: &[bool]) {
        self.counts.clear();
        self.lower.clear();
        if self.contexts {
            self.build_runs(infos);
        }
        // Only a wire story's slug ("SOCCER - ...", "Tennis - ..."): the first word of an
        // ordinary title is arbitrary and would only add noise.
        let dash = hash_str("-");
        self.slug = match infos {
            [a, b, ..] if a.alpha && b.w == dash => a.lw,
            _ => 0,
        };
        for ((info, &t), &cap) in infos.iter().zip(tags).zip(caps) {
            if t != 0 && info.alpha {
                let (ty, _) = split_tag(t);
                let c = self.counts.entry(info.w).or_insert([0; 4]);
                c[ty] = c[ty].saturating_add(1);
                if !cap {
                    let c = self.lower.entry(info.lw).or_insert([0; 4]);
                    c[ty] = c[ty].saturating_add(1);
                }
            }
        }
    }

    /// With `on`, [`DocContext::rows`] also aggregates, for each run of capitalized words,
    /// the words around the other occurrences of the same run in the document (Chieu and
    /// Ng's and Ratinov and Roth's context aggregation): "Air France workers", "Air France
    /// headquarters" and "( Air France chairman )" say together what no single mention does.
    pub fn set_contexts(&mut self, on: bool) {
        self.contexts = on;
    }

    fn build_runs(&mut self, infos: &[WordInfo]) {
        self.runs.clear();
        self.run_key.clear();
        self.run_key.resize(infos.len(), 0);
        let mut i = 0;
        while i < infos.len() {
            // A run starts at a token marked first (1) or alone (4) and ends at the next one
            // marked last (3) or alone.
            if !matches!(infos[i].run & 7, 1 | 4) {
                i += 1;
                continue;
            }
            let mut j = i;
            while j < infos.len() && !matches!(infos[j].run & 7, 3 | 4) {
                j += 1;
            }
            let end = (j + 1).min(infos.len());
            let key = phrase_hash(infos[i..end].iter().map(|x| x.w)).max(1);
            self.run_key[i..end].fill(key);
            let before = if i > 0 { infos[i - 1].lw } else { 11 };
            let after = infos.get(end).map_or(11, |x| x.lw);
            let bc = if i > 0 { infos[i - 1].ecl & 0xffff } else { 0 };
            let ac = infos.get(end).map_or(0, |x| x.ecl & 0xffff);
            self.runs.push((key, i as u32, before, after, bc, ac));
            i = end;
        }
        self.runs.sort_unstable();
        // A run mentioned once has no other contexts: its tokens get key 0 and no lookups.
        for (k, r) in self.runs.iter().enumerate() {
            let single = (k == 0 || self.runs[k - 1].0 != r.0)
                && self.runs.get(k + 1).is_none_or(|n| n.0 != r.0);
            if single {
                let start = r.1 as usize;
                for x in &mut self.run_key[start..] {
                    if *x != r.0 {
                        break;
                    }
                    *x = 0;
                }
            }
        }
        self.last = (0, 0);
    }

    /// Pushes the rows of the words around the other occurrences of token `i`'s run.
    fn context_rows(&mut self, i: usize, bits: u32, out: &mut Vec<u32>) {
        let key = self.run_key.get(i).copied().unwrap_or(0);
        if key == 0 {
            return;
        }
        // Runs are never adjacent (they would be one run), so the token's own run starts
        // where the key does.
        let mut own = i;
        while own > 0 && self.run_key[own - 1] == key {
            own -= 1;
        }
        if self.last == (key, own) {
            out.extend_from_slice(&self.tmp);
            return;
        }
        self.last = (key, own);
        let from = self.runs.partition_point(|r| r.0 < key);
        self.tmp.clear();
        for &(k, start, before, after, bc, ac) in &self.runs[from..] {
            if k != key || self.tmp.len() >= MAX_CONTEXT_ROWS {
                break;
            }
            // The token's own occurrence has its local rows already.
            if start as usize != own {
                self.tmp.push(row(f(T_D_CTX, before), bits));
                self.tmp.push(row(f(T_D_CTX + 1000, after), bits));
                // And their embedding clusters: "workers" and "staff" are one context.
                if bc != 0 {
                    self.tmp.push(row(f(T_D_CTX + 2000, u64::from(bc)), bits));
                }
                if ac != 0 {
                    self.tmp.push(row(f(T_D_CTX + 3000, u64::from(ac)), bits));
                }
            }
        }
        self.tmp.sort_unstable();
        self.tmp.dedup();
        out.extend_from_slice(&self.tmp);
    }

    /// Pushes the document-level feature rows of token `i`.
    pub fn rows(
        &mut self,
        infos: &[WordInfo],
        tags: &[u8],
        sent: &Range<usize>,
        i: usize,
        bits: u32,
        out: &mut Vec<u32>,
    ) {
        let own = u64::from(tags[i]);
        out.push(row(f(T_D_OWN, own), bits));
        let l = if i > sent.start { tags[i - 1] } else { 99 };
        let r = if i + 1 < sent.end { tags[i + 1] } else { 99 };
        out.push(row(f(T_D_OWN_L, mix(u64::from(l), own)), bits));
        out.push(row(f(T_D_OWN_R, mix(own, u64::from(r))), bits));
        if let Some(c) = self.counts.get(&infos[i].w) {
            let best = history_rows(c, T_D_ANY, T_D_MAJ, bits, out);
            out.push(row(f(T_D_MAJ_SH, mix(best, infos[i].shape)), bits));
        }
        // Every word of an all-caps sentence is upper case, and so is an acronym in running
        // text, whose own history is also in `lower`.
        if infos[i].upper {
            if let Some(c) = self.lower.get(&infos[i].lw) {
                history_rows(c, T_D_LANY, T_D_LMAJ, bits, out);
            }
        }
        if self.slug != 0 && (infos[i].cap || infos[i].upper) {
            let me = &infos[i];
            out.push(row(f(T_D_TOPIC, mix(self.slug, u64::from(me.xgaz))), bits));
            out.push(row(
                f(T_D_TOPIC_EC, mix(self.slug, u64::from(me.ecl >> 16))),
                bits,
            ));
        }
        if self.contexts {
            self.context_rows(i, bits, out);
        }
    }
}

/// Pushes a row of template `any` for each entity type in the counts `c` and one of template
/// `maj` for the most frequent type (the first on ties), which it returns.
fn history_rows(c: &[u16; 4], any: u64, maj: u64, bits: u32, out: &mut Vec<u32>) -> u64 {
    let mut best = 0;
    for ty in 0..4 {
        if c[ty] > 0 {
            out.push(row(f(any, ty as u64), bits));
        }
        if c[ty] > c[best] {
            best = ty;
        }
    }
    out.push(row(f(maj, best as u64), bits));
    best as u64
}

/// Lowercase words that may join capitalized words into one name ("Ministry of Defense").
const CONNECTORS: [&str; 6] = ["of", "al", "de", "la", "for", "and"];

/// Sets [`WordInfo::head`] for runs of capitalized words in `infos[sent]` (not in headlines).
pub fn mark_runs(infos: &mut [WordInfo], sent: Range<usize>, caps: bool, connectors: &[u64]) {
    if caps {
        return;
    }
    let mut i = sent.start;
    while i < sent.end {
        if !infos[i].cap {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        loop {
            if j < sent.end && infos[j].cap {
                j += 1;
            } else if j + 1 < sent.end && connectors.contains(&infos[j].lw) && infos[j + 1].cap {
                j += 2;
            } else {
                break;
            }
        }
        let (head, head_cl, first) = (infos[j - 1].lw, infos[j - 1].cluster, infos[i].lw);
        let len = (j - i).min(4) as u8;
        for (k, x) in infos[i..j].iter_mut().enumerate() {
            x.head = head;
            x.head_cl = head_cl;
            x.run_first = first;
            let pos = if j - i == 1 {
                4
            } else if k == 0 {
                1
            } else if k + 1 == j - i {
                3
            } else {
                2
            };
            x.run = pos | len << 3;
        }
        i = j;
    }
}

/// Hashes of [`CONNECTORS`] for [`mark_runs`].
pub fn connector_hashes() -> [u64; CONNECTORS.len()] {
    CONNECTORS.map(hash_str)
}

/// Whether every alphabetic token of the sentence is upper case (a headline or dateline).
pub fn sentence_caps(infos: &[WordInfo], sent: &Range<usize>) -> bool {
    let mut any = false;
    for i in &infos[sent.clone()] {
        if i.alpha {
            if !i.upper {
                return false;
            }
            any = true;
        }
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_roundtrip_and_constraints() {
        for t in 0..N_TAGS as u8 {
            let (ty, pos) = split_tag(t);
            assert_eq!(tag(ty, pos), t);
        }
        let b_org = tag(1, Pos::B);
        assert!(allowed(b_org, tag(1, Pos::L), false));
        assert!(!allowed(b_org, tag(2, Pos::L), false));
        assert!(!allowed(b_org, 0, false));
        assert!(!allowed(0, tag(1, Pos::B), true));
        assert!(allowed(0, tag(1, Pos::U), true));
        for last in [false, true] {
            for p in 0..N_TAGS as u8 {
                for t in 0..N_TAGS as u8 {
                    assert_eq!(allowed(p, t, last), allowed_reference(p, t, last));
                }
            }
        }
    }

    #[test]
    fn shapes_and_affixes() {
        let mut buf = String::new();
        let a = word_info("Washington", &mut buf);
        let b = word_info("Washingtonians", &mut buf);
        let c = word_info("WASHINGTON", &mut buf);
        assert_eq!(a.shape, b.shape);
        assert_eq!(a.lw, c.lw);
        assert_ne!(a.w, c.w);
        assert_eq!(a.pre, b.pre);
        assert!(a.cap && !a.upper && c.upper);
        assert_eq!(
            word_info("\u{201c}", &mut buf).w,
            word_info("\"", &mut buf).w
        );
        assert_eq!(
            word_info("\u{2019}s", &mut buf).w,
            word_info("'s", &mut buf).w
        );
        let d = word_info("Zoë", &mut buf);
        let e = word_info("Joë", &mut buf);
        assert_eq!(d.suf[1], e.suf[1]);
        assert_eq!(d.shape, word_info("Abc", &mut buf).shape);
    }

    /// Every word of a run of capitalized words (connectors inside included) knows its
    /// place in the run, the run's length, first word and head; headlines get no runs.
    #[test]
    fn runs_of_capitalized_words_carry_their_position_and_edges() {
        let mut buf = String::new();
        let words = [
            "the", "League", "of", "Women", "Voters", "met", "Smith", "in", "Ohio", ".",
        ];
        let mut infos: Vec<WordInfo> = words.iter().map(|w| word_info(w, &mut buf)).collect();
        mark_runs(&mut infos, 0..words.len(), false, &connector_hashes());
        let league = hash_str("league");
        let voters = hash_str("voters");
        let pos = |i: usize| (infos[i].run & 7, infos[i].run >> 3);
        assert_eq!(pos(0), (0, 0));
        assert_eq!(
            (pos(1), pos(2), pos(3), pos(4)),
            ((1, 4), (2, 4), (2, 4), (3, 4))
        );
        for x in &infos[1..5] {
            assert_eq!((x.run_first, x.head), (league, voters));
        }
        assert_eq!((pos(5), pos(6), pos(8)), ((0, 0), (4, 1), (4, 1)));
        assert_eq!(infos[6].run_first, infos[6].lw);
        // The run rows are among the word's feature rows, and depend on the position.
        let rows_of = |infos: &[WordInfo], i: usize| {
            let mut out = Vec::new();
            static_rows(infos, &(0..words.len()), i, false, 20, &mut out);
            out
        };
        assert!(rows_of(&infos, 1).contains(&row(f(T_RUN, u64::from(infos[1].run)), 20)));
        assert!(!rows_of(&infos, 3).contains(&row(f(T_RUN, u64::from(infos[1].run)), 20)));
        let mut caps: Vec<WordInfo> = ["SMITH", "WINS"]
            .iter()
            .map(|w| word_info(w, &mut buf))
            .collect();
        mark_runs(&mut caps, 0..2, true, &connector_hashes());
        assert!(caps.iter().all(|x| x.run == 0 && x.head == 0));
    }

    #[test]
    fn headline_words_hear_what_running_text_said() {
        let mut buf = String::new();
        let words = [
            "SOCCER", "-", "LEEDS", "WIN", "Leeds", "beat", "Arsenal", ".",
        ];
        let infos: Vec<WordInfo> = words.iter().map(|w| word_info(w, &mut buf)).collect();
        let caps = [true, true, true, true, false, false, false, false];
        let org = tag(1, Pos::U);
        let tags = [0, 0, 0, 0, org, 0, org, 0];
        let mut doc = DocContext::default();
        doc.build(&infos, &tags, &caps);
        let mut rows_of = |i: usize, sent: Range<usize>| {
            let mut out = Vec::new();
            doc.rows(&infos, &tags, &sent, i, 20, &mut out);
            out
        };
        // The headline's LEEDS is never tagged itself; its lowercase form is ORG in the body.
        let leeds = rows_of(2, 0..4);
        assert!(leeds.contains(&row(f(T_D_LMAJ, 1), 20)));
        assert!(leeds.contains(&row(f(T_D_LANY, 1), 20)));
        // WIN has no entity reading anywhere: no lowercase-history rows.
        let win = rows_of(3, 0..4);
        assert!(!win
            .iter()
            .any(|r| (0..4).any(|ty| *r == row(f(T_D_LANY, ty), 20))));
        // Capitalized words carry the slug; lowercase ones do not.
        let soccer = word_info("soccer", &mut buf).lw;
        let topic = row(f(T_D_TOPIC, mix(soccer, u64::from(infos[6].xgaz))), 20);
        assert!(rows_of(6, 4..8).contains(&topic));
        assert!(!rows_of(5, 4..8).contains(&topic));
        // A document that opens with an ordinary title has no slug: no topic rows at all.
        let title = ["Soccer", "fans", "cheer", "Leeds", "."];
        let infos: Vec<WordInfo> = title.iter().map(|w| word_info(w, &mut buf)).collect();
        let tags = [0, 0, 0, org, 0];
        doc.build(&infos, &tags, &[false; 5]);
        let mut out = Vec::new();
        doc.rows(&infos, &tags, &(0..5), 3, 20, &mut out);
        let soccer_topic = row(f(T_D_TOPIC, mix(soccer, u64::from(infos[3].xgaz))), 20);
        assert!(!out.contains(&soccer_topic));
        let soccer_topic_ec = row(
            f(T_D_TOPIC_EC, mix(soccer, u64::from(infos[3].ecl >> 16))),
            20,
        );
        assert!(!out.contains(&soccer_topic_ec));
    }

    /// A name's second-pass rows carry the words around its other mentions in the document,
    /// not around its own, and only with contexts on.
    #[test]
    fn names_hear_the_contexts_of_their_other_mentions() {
        let mut buf = String::new();
        let text = "Workers at Air France struck . Air France chairman Jean Spinetta quit . \
                    Later , Air France staff cheered .";
        let words: Vec<&str> = text.split_whitespace().collect();
        let mut infos: Vec<WordInfo> = words.iter().map(|w| word_info(w, &mut buf)).collect();
        let sentences = [0..6, 6..13, 13..20];
        for s in &sentences {
            mark_runs(&mut infos, s.clone(), false, &connector_hashes());
        }
        let tags = vec![0; words.len()];
        let caps = vec![false; words.len()];
        let lw = |w: &str| word_info(w, &mut String::new()).lw;
        let before = |w: &str| row(f(T_D_CTX, lw(w)), 20);
        let after = |w: &str| row(f(T_D_CTX + 1000, lw(w)), 20);
        let mut doc = DocContext::default();
        let rows_of = |doc: &mut DocContext, i: usize| {
            let sent = sentences.iter().find(|s| s.contains(&i)).unwrap().clone();
            let mut out = Vec::new();
            doc.rows(&infos, &tags, &sent, i, 20, &mut out);
            out
        };
        doc.set_contexts(true);
        doc.build(&infos, &tags, &caps);
        // "France" of the first mention (token 3) hears "chairman" and "staff" and the words
        // before the other two mentions, but not its own "struck" and "at".
        let france = rows_of(&mut doc, 3);
        for r in [after("chairman"), after("staff"), before("."), before(",")] {
            assert!(france.contains(&r));
        }
        assert!(!france.contains(&after("struck")));
        assert!(!france.contains(&before("at")));
        // Every word of the run gets them ("Air", token 6, of the second mention).
        let air = rows_of(&mut doc, 6);
        assert!(air.contains(&after("struck")) && air.contains(&after("staff")));
        assert!(!air.contains(&after("chairman")));
        // A name mentioned once, and a lowercase word, get none.
        let once = rows_of(&mut doc, 9);
        assert!(!once.contains(&before("chairman")) && !once.contains(&after("quit")));
        assert!(!rows_of(&mut doc, 4).iter().any(|r| *r == after("chairman")));
        // Off: none.
        doc.set_contexts(false);
        doc.build(&infos, &tags, &caps);
        assert!(!rows_of(&mut doc, 3).contains(&after("chairman")));
    }

    #[test]
    fn gazetteer_marks_phrases() {
        let mut buf = String::new();
        let words = ["near", "Castello", "Road", "in", "Aleppo"];
        let mut infos: Vec<WordInfo> = words.iter().map(|w| word_info(w, &mut buf)).collect();
        let mut g = Gazetteer::default();
        g.add(&[infos[1].w, infos[2].w], 2);
        g.add(&[infos[4].w], 2);
        g.mark(&mut infos, 0..5);
        assert_eq!(infos[0].gaz, 0);
        assert_eq!(infos[1].gaz, 1 << 8);
        assert_eq!(infos[2].gaz, 1 << 10);
        assert_eq!(infos[4].gaz, 1 << 11);
    }
}
