//! Training: averaged structured perceptron with passive-aggressive margin updates over hashed
//! features, two passes, dev-based early stopping.
//!
//! Input is CoNLL-2003 (`train.conll`, `dev.conll`). Steps, all deterministic (fixed seed,
//! fixed shuffles, single thread):
//! 1. Gazetteers of entity phrases are built from the training documents. Training documents
//!    are split into folds and each fold's features use the gazetteer of the *other* folds, so
//!    the model does not learn to trust a gazetteer that always contains the answer.
//! 2. Pass 1 is trained on all documents; the epoch with the best dev F1 is kept.
//! 3. Cross-fold pass-1 models tag each training fold; pass 2 is trained with document-level
//!    features built from those (honest) first-pass predictions, again stopped on dev.
//!
//! With `viterbi` (the default) each training sentence is decoded with Viterbi and the weights
//! move from the predicted path's features to the gold path's (Collins' structured
//! perceptron). With `margin` (the default) the predicted path is the one that most violates
//! a margin of one per wrong tag (cost-augmented decoding) and the move is the
//! passive-aggressive step that restores that margin, rather than a step of one. Without
//! `viterbi`, tokens are decided one at a time with the gold tag history. External
//! name lists ([`TrainOptions::gazetteers`]) do not depend on the labels and are used as they
//! are by every fold.

use std::path::PathBuf;
use std::time::Instant;

use super::clusters;
use super::conll::{read_conll, spans_from_bilou, ConllDoc, EvalReport};
use super::features::{
    allowed, dynamic_rows, hash_str, transition_row, Gazetteer, HashedMap, ListKind, COLS,
    EMB_ROWS, N_TAGS, WORD_ROWS,
};
use super::model::{decode, Lattice, Model, Prepared, Resources, Table, Weights};
use super::tokenize::tokenize;
use super::viterbi::{transitions, viterbi_path, Transitions};
use crate::rng::SplitMix64;

/// What to train on and how.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// CoNLL training file.
    pub train: PathBuf,
    /// More labelled CoNLL files, read after `train` (gold text of other domains: the shipped
    /// model adds `models/extra/wikigold.conll`); their documents join the training folds.
    pub extra_train: Vec<PathBuf>,
    /// CoNLL development file, used only to pick the number of epochs and to report F1.
    pub dev: PathBuf,
    /// Unlabeled text files (plain text, or `.jsonl`/`.jsonl.zst` with a `text` field) that
    /// the word clusters are learned from, together with the training words.
    pub cluster_text: Vec<PathBuf>,
    /// Word clusters from embeddings learned on large unlabeled text: a file of
    /// `word<TAB>fine<TAB>coarse` lines (`models/embeddings/glove-clusters.tsv`), matched on
    /// lowercase forms.
    pub embedding_clusters: Option<PathBuf>,
    /// External name lists: `(kind, file)` with one name per line (see
    /// [`super::features::ListKind::from_name`] for the kinds).
    pub gazetteers: Vec<(String, PathBuf)>,
    /// Maximum epochs per pass (default 40; a pass stops earlier, see `patience`).
    pub epochs: usize,
    /// A pass stops after this many epochs in a row without a better dev F1 and keeps its
    /// best epoch's weights (default 5).
    pub patience: usize,
    /// Seed of the sentence shuffles (default 1).
    pub seed: u64,
    /// log2 of the number of weight rows (default 20).
    pub hash_bits: u32,
    /// Folds for the gazetteer and the first-pass predictions (default 4).
    pub folds: usize,
    /// Train the second, document-level pass (default true).
    pub two_pass: bool,
    /// Probability of hiding a training token's word-identity features (default 0.1: picked
    /// on dev; it raises dev F1 on names absent from the training data).
    pub word_dropout: f32,
    /// Decode with Viterbi over BILOU transitions and train a structured perceptron (default
    /// true); false: greedy left-to-right decoding with tag-history features.
    pub viterbi: bool,
    /// Second-pass rows of the words around a name's other mentions in the document
    /// (default true).
    pub contexts: bool,
    /// With `viterbi`: passive-aggressive updates that ask the gold path to beat every other
    /// path by that path's number of wrong tags (the predicted path is decoded with one added
    /// to each wrong tag's score, and each update is as large as that margin needs) instead
    /// of perceptron updates of one (default true: picked on dev, where it raised the mean
    /// F1 of training seeds, most of all on names absent from the training data).
    pub margin: bool,
    /// Print progress to stderr.
    pub verbose: bool,
}

impl TrainOptions {
    /// Options with the defaults used for the shipped model.
    pub fn new(train: PathBuf, dev: PathBuf) -> TrainOptions {
        TrainOptions {
            train,
            extra_train: Vec::new(),
            dev,
            cluster_text: Vec::new(),
            embedding_clusters: None,
            gazetteers: Vec::new(),
            epochs: 40,
            patience: 5,
            seed: 1,
            hash_bits: 20,
            folds: 4,
            two_pass: true,
            word_dropout: 0.1,
            viterbi: true,
            contexts: true,
            margin: true,
            verbose: false,
        }
    }
}

/// What training measured.
#[derive(Clone, Debug)]
pub struct TrainReport {
    /// Training tokens.
    pub train_tokens: usize,
    /// Epoch picked for pass 1 and pass 2 (0 when the pass was not trained).
    pub best_epochs: (usize, usize),
    /// Dev scores of pass 1 alone.
    pub dev_pass1: EvalReport,
    /// Dev scores of the final model.
    pub dev: EvalReport,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// A training document with precomputed features.
struct TrainDoc {
    doc: ConllDoc,
    p: Prepared,
    fold: usize,
}

/// Float weights with lazy averaging (Daumé's trick: `avg = w - u / c`).
struct Perceptron {
    w: Vec<f32>,
    u: Vec<f32>,
    c: f32,
    /// Passive-aggressive steps with a Hamming-loss margin ([`TrainOptions::margin`]).
    margin: bool,
}

struct FloatTable<'a>(&'a [f32]);

impl Table for FloatTable<'_> {
    #[inline]
    fn add_rows(&self, rows: &[u32], acc: &mut [f32; N_TAGS]) {
        for &r in rows {
            let base = r as usize * COLS;
            for (a, x) in acc[1..].iter_mut().zip(&self.0[base..base + COLS]) {
                *a += x;
            }
        }
    }
}

impl Perceptron {
    fn new(bits: u32, margin: bool) -> Perceptron {
        let n = (1usize << bits) * COLS;
        Perceptron {
            w: vec![0.0; n],
            u: vec![0.0; n],
            c: 1.0,
            margin,
        }
    }

    fn update(&mut self, rows: &[u32], gold: u8, pred: u8) {
        self.update_by(rows, gold, pred, 1.0)
    }

    fn update_by(&mut self, rows: &[u32], gold: u8, pred: u8, step: f32) {
        for &r in rows {
            // Column t - 1 holds tag t; `O` (tag 0) has no column: its score stays 0.
            let b = r as usize * COLS;
            if gold != 0 {
                self.w[b + gold as usize - 1] += step;
                self.u[b + gold as usize - 1] += step * self.c;
            }
            if pred != 0 {
                self.w[b + pred as usize - 1] -= step;
                self.u[b + pred as usize - 1] -= step * self.c;
            }
        }
    }

    fn averaged(&self) -> Vec<f32> {
        self.w
            .iter()
            .zip(&self.u)
            .map(|(w, u)| w - u / self.c)
            .collect()
    }

    /// One structured-perceptron epoch: each sentence is decoded with Viterbi under the
    /// current weights and, where the best path differs from the gold one, the emission and
    /// transition features of the gold path gain and those of the predicted path lose.
    fn epoch_viterbi(
        &mut self,
        docs: &[TrainDoc],
        order: &[(u32, u32)],
        second: bool,
        bits: u32,
        dropout: u64,
        rng: &mut Rng,
    ) {
        let mut rows: Vec<u32> = Vec::new();
        let mut offs: Vec<usize> = Vec::new();
        let mut scores = Vec::new();
        let mut back = Vec::new();
        let mut pred = Vec::new();
        let mut aug = Vec::new();
        for &(d, s) in order {
            let d = &docs[d as usize];
            let sent = d.doc.sentences[s as usize].clone();
            rows.clear();
            offs.clear();
            offs.push(0);
            scores.clear();
            for i in sent.clone() {
                let start = rows.len();
                let own = &d.p.rows[d.p.offs[i] as usize..d.p.offs[i + 1] as usize];
                if dropout > 0 && rng.next() % 1000 < dropout && own.len() > EMB_ROWS.end {
                    let end = hidden_end(&d.p.infos[i]);
                    rows.extend_from_slice(&own[..WORD_ROWS.start]);
                    rows.extend_from_slice(&own[end..]);
                } else {
                    rows.extend_from_slice(own);
                }
                if second {
                    rows.extend_from_slice(
                        &d.p.rows2[d.p.offs2[i] as usize..d.p.offs2[i + 1] as usize],
                    );
                }
                offs.push(rows.len());
                let mut acc = [0f32; N_TAGS];
                FloatTable(&self.w).add_rows(&rows[start..], &mut acc);
                scores.push(acc);
            }
            let trans = transitions(&FloatTable(&self.w), bits);
            pred.clear();
            pred.resize(sent.len(), 0u8);
            if self.margin {
                // Cost-augmented decoding: the path that most violates a margin of one per
                // wrong tag, not merely the best-scoring one.
                aug.clear();
                aug.extend_from_slice(&scores);
                for (k, i) in sent.clone().enumerate() {
                    let g = d.doc.gold[i] as usize;
                    for (t, x) in aug[k].iter_mut().enumerate() {
                        if t != g {
                            *x += 1.0;
                        }
                    }
                }
                viterbi_path(&aug, &trans, &mut back, &mut pred);
            } else {
                viterbi_path(&scores, &trans, &mut back, &mut pred);
            }
            let step = if self.margin {
                margin_step(&scores, &trans, &d.doc.gold[sent.clone()], &pred, &offs)
            } else {
                1.0
            };
            let (mut gp, mut pp) = (0u8, 0u8);
            for (k, i) in sent.clone().enumerate() {
                let (g, p) = (d.doc.gold[i], pred[k]);
                if g != p && step > 0.0 {
                    self.update_by(&rows[offs[k]..offs[k + 1]], g, p, step);
                }
                if (gp, g) != (pp, p) && step > 0.0 {
                    self.update_by(&[transition_row(gp, bits)], g, 0, step);
                    self.update_by(&[transition_row(pp, bits)], 0, p, step);
                }
                (gp, pp) = (g, p);
                self.c += 1.0;
            }
        }
    }

    /// One epoch over the sentences `order` (doc index, sentence index), gold history.
    fn epoch(
        &mut self,
        docs: &[TrainDoc],
        order: &[(u32, u32)],
        second: bool,
        bits: u32,
        dropout: u64,
        rng: &mut Rng,
    ) {
        let mut rows: Vec<u32> = Vec::with_capacity(128);
        for &(d, s) in order {
            let d = &docs[d as usize];
            let sent = d.doc.sentences[s as usize].clone();
            let (mut p1, mut p2) = (0u8, 0u8);
            for i in sent.clone() {
                rows.clear();
                let own = &d.p.rows[d.p.offs[i] as usize..d.p.offs[i + 1] as usize];
                // Word dropout: now and then hide the token's identity so that the model also
                // learns from context and shape, as it must for words it has never seen.
                if dropout > 0 && rng.next() % 1000 < dropout && own.len() > EMB_ROWS.end {
                    let end = hidden_end(&d.p.infos[i]);
                    rows.extend_from_slice(&own[..WORD_ROWS.start]);
                    rows.extend_from_slice(&own[end..]);
                } else {
                    rows.extend_from_slice(own);
                }
                if second {
                    rows.extend_from_slice(
                        &d.p.rows2[d.p.offs2[i] as usize..d.p.offs2[i + 1] as usize],
                    );
                }
                rows.extend_from_slice(&dynamic_rows(&d.p.infos[i], p1, p2, bits));
                let mut acc = [0f32; N_TAGS];
                FloatTable(&self.w).add_rows(&rows, &mut acc);
                let last = i + 1 == sent.end;
                let mut best = 0u8;
                let mut best_score = f32::NEG_INFINITY;
                for (t, &sc) in acc.iter().enumerate() {
                    if sc > best_score && allowed(p1, t as u8, last) {
                        best = t as u8;
                        best_score = sc;
                    }
                }
                let gold = d.doc.gold[i];
                if best != gold {
                    self.update(&rows, gold, best);
                }
                self.c += 1.0;
                p2 = p1;
                p1 = gold;
            }
        }
    }
}

/// The passive-aggressive step of one training sentence (Crammer, Dekel, Keshet,
/// Shalev-Shwartz and Singer 2006, PA with the structured loss): the smallest multiple of the
/// gold-minus-predicted feature difference after which the gold path outscores the predicted
/// one by the predicted path's Hamming loss (its number of wrong tags). `scores` and `trans`
/// are the model's scores, `offs` the sentence's feature rows per token (each row counts one
/// feature per tag column it moves); 0 when the paths are the same.
fn margin_step(
    scores: &[[f32; N_TAGS]],
    trans: &Transitions,
    gold: &[u8],
    pred: &[u8],
    offs: &[usize],
) -> f32 {
    let n = gold.len();
    let (mut loss, mut norm2, mut margin) = (0f32, 0f32, 0f32);
    let (mut gp, mut pp) = (0u8, 0u8);
    for (k, (&g, &p)) in gold.iter().zip(pred).enumerate() {
        let m = &trans.masked[usize::from(k + 1 == n)];
        margin += scores[k][g as usize] - scores[k][p as usize];
        margin += m[gp as usize][g as usize] - m[pp as usize][p as usize];
        // Tag `O` has no weight column: a move to or from it changes one column, not two.
        let cols = f32::from(u8::from(g != 0) + u8::from(p != 0));
        if g != p {
            loss += 1.0;
            norm2 += cols * (offs[k + 1] - offs[k]) as f32;
        }
        if (gp, g) != (pp, p) {
            norm2 += cols;
        }
        (gp, pp) = (g, p);
    }
    if loss == 0.0 || norm2 == 0.0 || !margin.is_finite() {
        return 0.0;
    }
    ((loss - margin) / norm2).max(0.0)
}

/// A small deterministic PRNG (xorshift64*) for the shuffles.
struct Rng(u64);

impl Rng {
    /// A generator whose state is the first output of [`SplitMix64`] for the seed:
    /// neighbouring seeds (`s` and `s + 1`, and each fold's `seed + k`) start from unrelated
    /// states.
    fn new(seed: u64) -> Rng {
        Rng(SplitMix64::new(seed).next_u64() | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

fn gazetteer<'a>(docs: impl Iterator<Item = &'a ConllDoc>) -> Gazetteer {
    let mut g = Gazetteer::default();
    let mut spans = Vec::new();
    let mut hashes = Vec::new();
    for d in docs {
        for s in &d.sentences {
            spans.clear();
            spans_from_bilou(&d.gold, s.clone(), &mut spans);
            for &(a, b, ty) in &spans {
                hashes.clear();
                hashes.extend(d.words[a..b].iter().map(|w| super::features::hash_str(w)));
                g.add(&hashes, ty);
            }
        }
    }
    g
}

/// Reads the external name lists into one gazetteer; each name is tokenized as text would be.
fn external_gazetteer(lists: &[(String, PathBuf)]) -> crate::Result<Gazetteer> {
    let mut g = Gazetteer::default();
    let mut toks = Vec::new();
    let mut hashes = Vec::new();
    for (kind, path) in lists {
        let Some(k) = ListKind::from_name(kind) else {
            return Err(crate::Error::Config(format!(
                "ner train: unknown gazetteer kind `{kind}` (use loc, per_first, per_last or org)"
            )));
        };
        let text = std::fs::read_to_string(path).map_err(|e| crate::Error::io(path, e))?;
        for line in text.lines() {
            let name = line.trim();
            tokenize(name, &mut toks);
            hashes.clear();
            hashes.extend(
                toks.iter()
                    .map(|t| hash_str(&name[t.start..t.end].to_lowercase())),
            );
            g.add(&hashes, k as usize);
        }
    }
    Ok(g)
}

/// Tags documents with float weights: pass-1 tags into `p.tags1`, or final tags into `out`.
fn tag_with(w: &[f32], res: &Resources, d: &mut TrainDoc, second: bool, out: &mut Vec<u8>) {
    out.clear();
    out.resize(d.doc.words.len(), 0);
    let trans = transitions(&FloatTable(w), res.bits);
    let mut lat = Lattice::default();
    for s in &d.doc.sentences {
        let v = res.viterbi.then_some((&trans, &mut lat));
        decode(&FloatTable(w), &d.p, second, s, res.bits, v, out);
    }
}

fn dev_eval(w: &[f32], res: &Resources, dev: &mut [TrainDoc], second: bool) -> EvalReport {
    let mut report = EvalReport::default();
    let mut tags = Vec::new();
    let (mut gold, mut pred) = (Vec::new(), Vec::new());
    for d in dev.iter_mut() {
        tag_with(w, res, d, second, &mut tags);
        for s in &d.doc.sentences {
            gold.clear();
            pred.clear();
            spans_from_bilou(&d.doc.gold, s.clone(), &mut gold);
            spans_from_bilou(&tags, s.clone(), &mut pred);
            report.add(&gold, &pred);
        }
        report.tokens += d.doc.words.len() as u64;
    }
    report
}

/// Trains perceptron epochs on `docs` (filtered by `keep`), picking the epoch with the best
/// dev F1 when `dev` is given. Returns averaged weights, best epoch and its dev report.
#[allow(clippy::too_many_arguments)]
fn fit(
    docs: &[TrainDoc],
    keep: impl Fn(&TrainDoc) -> bool,
    second: bool,
    (epochs, patience): (usize, usize),
    res: &Resources,
    seed: u64,
    mut dev: Option<&mut [TrainDoc]>,
    verbose: bool,
    dropout: u64,
    margin: bool,
) -> (Vec<f32>, usize, EvalReport) {
    let mut order: Vec<(u32, u32)> = Vec::new();
    for (di, d) in docs.iter().enumerate() {
        if keep(d) {
            for si in 0..d.doc.sentences.len() {
                order.push((di as u32, si as u32));
            }
        }
    }
    let mut rng = Rng::new(seed);
    let mut p = Perceptron::new(res.bits, margin);
    let mut best: Option<(f64, usize, Vec<f32>, EvalReport)> = None;
    let mut since_best = 0;
    for e in 1..=epochs {
        rng.shuffle(&mut order);
        if res.viterbi {
            p.epoch_viterbi(docs, &order, second, res.bits, dropout, &mut rng);
        } else {
            p.epoch(docs, &order, second, res.bits, dropout, &mut rng);
        }
        let Some(dev) = dev.as_deref_mut() else {
            continue;
        };
        let avg = p.averaged();
        let r = dev_eval(&avg, res, dev, second);
        if verbose {
            eprintln!(
                "  pass {} epoch {e}: dev F1 {:.4}",
                1 + usize::from(second),
                r.f1()
            );
        }
        if !best.as_ref().is_some_and(|b| r.f1() <= b.0) {
            best = Some((r.f1(), e, avg, r));
            since_best = 0;
        } else {
            since_best += 1;
            if since_best >= patience {
                break;
            }
        }
    }
    match best {
        Some((_, e, w, r)) => (w, e, r),
        None => (p.averaged(), epochs, EvalReport::default()),
    }
}

fn prepare_all(docs: Vec<ConllDoc>, res: &[Resources], folds: usize) -> Vec<TrainDoc> {
    docs.into_iter()
        .enumerate()
        .map(|(i, doc)| {
            let fold = i % folds;
            let mut p = Prepared::default();
            res[fold.min(res.len() - 1)].prepare(&doc.words, &doc.sentences, &mut p);
            TrainDoc { doc, p, fold }
        })
        .collect()
}

/// Trains a model from CoNLL files; see the module docs for the method.
pub fn train(opts: &TrainOptions) -> crate::Result<(Model, TrainReport)> {
    let t0 = Instant::now();
    if !(12..=24).contains(&opts.hash_bits) {
        return Err(crate::Error::Config(format!(
            "ner train: hash_bits {} is out of range (use 12..=24)",
            opts.hash_bits
        )));
    }
    let folds = opts.folds.max(2);
    let dropout = (opts.word_dropout.clamp(0.0, 1.0) * 1000.0).round() as u64;
    let mut train_docs = Vec::new();
    for path in std::iter::once(&opts.train).chain(&opts.extra_train) {
        let docs = read_conll(path)?;
        if docs.is_empty() {
            return Err(crate::Error::Input(format!(
                "{}: no tokens found (expected a CoNLL file)",
                path.display()
            )));
        }
        train_docs.extend(docs);
    }
    let dev_docs = read_conll(&opts.dev)?;
    let train_tokens = train_docs.iter().map(|d| d.words.len()).sum();
    let clusters: HashedMap<u64> = clusters::learn(&train_docs, &opts.cluster_text, opts.verbose)?;
    let ext = external_gazetteer(&opts.gazetteers)?;
    let (emb, ebits) = match &opts.embedding_clusters {
        Some(path) => clusters::read_embeddings(path)?,
        None => Default::default(),
    };
    let base = |gaz: Gazetteer| Resources {
        bits: opts.hash_bits,
        gaz,
        ext: ext.clone(),
        clusters: clusters.clone(),
        emb: emb.clone(),
        ebits: ebits.clone(),
        viterbi: opts.viterbi,
        contexts: opts.contexts,
    };
    let fold_res: Vec<Resources> = (0..folds)
        .map(|k| {
            base(gazetteer(
                train_docs
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % folds != k)
                    .map(|(_, d)| d),
            ))
        })
        .collect();
    let full = base(gazetteer(train_docs.iter()));
    let mut train = prepare_all(train_docs, &fold_res, folds);
    let mut dev = prepare_all(dev_docs, std::slice::from_ref(&full), 1);
    if opts.verbose {
        eprintln!("features ready in {:.1}s", t0.elapsed().as_secs_f64());
    }
    let (w1, e1, dev1) = fit(
        &train,
        |_| true,
        false,
        (opts.epochs, opts.patience),
        &full,
        opts.seed,
        Some(&mut dev),
        opts.verbose,
        dropout,
        opts.margin,
    );
    let mut model = Model {
        res: full.clone(),
        weights: Weights::quantize(&w1, None),
        two_pass: false,
    };
    let mut best_epochs = (e1, 0);
    let mut dev_final = dev1.clone();
    if opts.two_pass {
        // Honest first-pass tags for every training document, from models that did not see it.
        let mut tags = Vec::new();
        for k in 0..folds {
            let (wk, _, _) = fit(
                &train,
                |d| d.fold != k,
                false,
                (e1, opts.patience),
                &full,
                opts.seed + k as u64,
                None,
                false,
                dropout,
                opts.margin,
            );
            for d in train.iter_mut().filter(|d| d.fold == k) {
                tag_with(&wk, &full, d, false, &mut tags);
                d.p.tags1.clone_from(&tags);
            }
            if opts.verbose {
                eprintln!("fold {k} tagged ({:.1}s)", t0.elapsed().as_secs_f64());
            }
        }
        for d in train.iter_mut() {
            full.prepare_doc(&d.doc.sentences, &mut d.p);
        }
        for d in dev.iter_mut() {
            tag_with(&w1, &full, d, false, &mut tags);
            d.p.tags1.clone_from(&tags);
            full.prepare_doc(&d.doc.sentences, &mut d.p);
        }
        let (w2, e2, dev2) = fit(
            &train,
            |_| true,
            true,
            (opts.epochs, opts.patience),
            &full,
            opts.seed,
            Some(&mut dev),
            opts.verbose,
            dropout,
            opts.margin,
        );
        if dev2.f1() > dev1.f1() {
            model.weights = Weights::quantize(&w1, Some(&w2));
            model.two_pass = true;
            best_epochs.1 = e2;
            dev_final = dev2;
        }
    }
    // Score the quantized model exactly as it will run.
    let dev_docs: Vec<ConllDoc> = dev.into_iter().map(|d| d.doc).collect();
    let dev_report = super::conll::evaluate_docs(&model, &dev_docs);
    if opts.verbose {
        eprintln!(
            "float dev F1 {:.4}, quantized dev F1 {:.4}",
            dev_final.f1(),
            dev_report.f1()
        );
    }
    Ok((
        model,
        TrainReport {
            train_tokens,
            best_epochs,
            dev_pass1: dev1,
            dev: dev_report,
            seconds: t0.elapsed().as_secs_f64(),
        },
    ))
}

/// End of the rows word dropout hides: the identity rows, and the embedding-cluster and
/// binarized-vector rows when the word has them (they identify the word almost as well).
fn hidden_end(info: &super::features::WordInfo) -> usize {
    if info.ecl != 0 {
        EMB_ROWS.end + info.ebits.count_ones() as usize
    } else {
        WORD_ROWS.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Transition scores of zero wherever BILOU allows the move.
    fn free_transitions() -> Transitions {
        let mut masked = [[[f32::NEG_INFINITY; N_TAGS]; N_TAGS]; 2];
        for (last, m) in masked.iter_mut().enumerate() {
            for (p, row) in m.iter_mut().enumerate() {
                for (t, x) in row.iter_mut().enumerate() {
                    if allowed(p as u8, t as u8, last == 1) {
                        *x = 0.0;
                    }
                }
            }
        }
        Transitions { masked }
    }

    #[test]
    fn neighbouring_seeds_shuffle_differently() {
        // A generator seeded with `seed | 1` made seeds 2 and 3 (4 and 5, ...) the same.
        let order = |seed| {
            let mut v: Vec<u32> = (0..50).collect();
            Rng::new(seed).shuffle(&mut v);
            v
        };
        assert_ne!(order(2), order(3));
        assert_ne!(order(4), order(5));
        assert_eq!(order(7), order(7));
    }

    #[test]
    fn the_margin_step_restores_a_margin_of_the_hamming_loss() {
        let trans = free_transitions();
        // A one-token entity tag: allowed after `O` at the end of a sentence.
        let t = (1..N_TAGS as u8)
            .find(|&t| allowed(0, t, true) && allowed(t, 0, true))
            .unwrap();
        // One token with three feature rows; gold `O` scores 0, the prediction 0.5.
        let mut scores = vec![[0f32; N_TAGS]];
        scores[0][t as usize] = 0.5;
        let offs = [0, 3];
        let step = margin_step(&scores, &trans, &[0], &[t], &offs);
        // Loss 1, margin -0.5; the update moves 3 rows in one column each and one
        // transition column: the step is (1 + 0.5) / 4.
        assert!((step - 0.375).abs() < 1e-6, "{step}");
        // The same paths, or a gold path already ahead by more than the loss: no step.
        assert_eq!(margin_step(&scores, &trans, &[t], &[t], &offs), 0.0);
        scores[0][0] = 2.0;
        assert_eq!(margin_step(&scores, &trans, &[0], &[t], &offs), 0.0);
    }
}
