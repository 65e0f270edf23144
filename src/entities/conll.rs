//! CoNLL-2003 files: reading, span conversion, evaluation and tagging.
//!
//! A CoNLL file has one token per line (word first, gold IOB label last), a blank line between
//! sentences and `-DOCSTART-` lines between documents. [`evaluate`] scores a model by exact span
//! match, like `conlleval`; [`tag_file`] writes the input back with the predicted IOB2 tag as an
//! extra last column, the layout `conlleval` reads.

use std::fmt;
use std::io::{BufRead, BufWriter, Write};
use std::ops::Range;
use std::path::Path;

use super::features::{split_tag, tag, Pos, TYPES};
use super::model::{Model, Scratch};
use crate::Error;

/// One document of a CoNLL file.
#[derive(Clone, Debug, Default)]
pub struct ConllDoc {
    /// Tokens (first column).
    pub words: Vec<String>,
    /// Gold BILOU tags, one per token (all `O` when the file has no label column).
    pub gold: Vec<u8>,
    /// Sentences as token ranges.
    pub sentences: Vec<Range<usize>>,
}

/// An entity span over tokens: `[start, end)` and type index into [`TYPES`].
pub type Span = (usize, usize, usize);

fn type_index(label: &str) -> Option<usize> {
    TYPES.iter().position(|t| *t == label)
}

/// Reads a CoNLL file into documents. Labels may be IOB1 or IOB2; unknown types count as `O`.
pub fn read_conll(path: &Path) -> crate::Result<Vec<ConllDoc>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut docs = Vec::new();
    let mut doc = ConllDoc::default();
    let mut labels: Vec<String> = Vec::new();
    let mut sent_start = 0;
    let finish_sentence = |doc: &mut ConllDoc, labels: &mut Vec<String>, start: &mut usize| {
        if doc.words.len() > *start {
            let range = *start..doc.words.len();
            let spans = spans_from_iob(&labels[range.clone()]);
            doc.gold.extend(bilou(range.len(), &spans));
            doc.sentences.push(range);
        }
        *start = doc.words.len();
    };
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        let mut cols = line.split_whitespace();
        let Some(word) = cols.next() else {
            finish_sentence(&mut doc, &mut labels, &mut sent_start);
            continue;
        };
        if word == "-DOCSTART-" {
            finish_sentence(&mut doc, &mut labels, &mut sent_start);
            if !doc.words.is_empty() {
                docs.push(std::mem::take(&mut doc));
                labels.clear();
                sent_start = 0;
            }
            continue;
        }
        let label = cols.last().unwrap_or("O");
        if label.len() > 2 && !matches!(&label[..2], "B-" | "I-" | "L-" | "U-" | "E-" | "S-") {
            return Err(Error::Input(format!(
                "{}:{}: label `{label}` is not an IOB tag (the last column must hold B-X, I-X or O)",
                path.display(),
                n + 1
            )));
        }
        doc.words.push(word.to_string());
        labels.push(label.to_string());
    }
    finish_sentence(&mut doc, &mut labels, &mut sent_start);
    if !doc.words.is_empty() {
        docs.push(doc);
    }
    Ok(docs)
}

/// Entity spans (token offsets within the label slice) from IOB1/IOB2 labels.
pub fn spans_from_iob<S: AsRef<str>>(labels: &[S]) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut cur: Option<(usize, usize)> = None;
    for (i, l) in labels.iter().enumerate() {
        let l = l.as_ref();
        let (prefix, ty) = match l.split_once('-') {
            Some((p, t)) => (p, type_index(t)),
            None => ("O", None),
        };
        let continues =
            matches!(prefix, "I" | "L" | "E") && cur.is_some_and(|(_, t)| Some(t) == ty);
        if !continues {
            if let Some((s, t)) = cur.take() {
                spans.push((s, i, t));
            }
            if let Some(t) = ty {
                cur = Some((i, t));
            }
        }
    }
    if let Some((s, t)) = cur {
        spans.push((s, labels.len(), t));
    }
    spans
}

/// BILOU tags for `n` tokens with the given spans.
pub fn bilou(n: usize, spans: &[Span]) -> Vec<u8> {
    let mut tags = vec![0u8; n];
    for &(s, e, t) in spans {
        if e == s + 1 {
            tags[s] = tag(t, Pos::U);
        } else {
            tags[s] = tag(t, Pos::B);
            for x in &mut tags[s + 1..e - 1] {
                *x = tag(t, Pos::I);
            }
            tags[e - 1] = tag(t, Pos::L);
        }
    }
    tags
}

/// Entity spans from BILOU tags (as produced by the decoder) within one sentence range.
pub fn spans_from_bilou(tags: &[u8], range: Range<usize>, out: &mut Vec<Span>) {
    let mut start: Option<(usize, usize)> = None;
    for i in range.clone() {
        let (ty, pos) = split_tag(tags[i]);
        match pos {
            Pos::O => start = None,
            Pos::U => {
                out.push((i, i + 1, ty));
                start = None;
            }
            Pos::B => start = Some((i, ty)),
            Pos::I => {}
            Pos::L => {
                if let Some((s, t)) = start.take() {
                    if t == ty {
                        out.push((s, i + 1, ty));
                    }
                }
            }
        }
    }
}

/// IOB2 label of each token from BILOU tags.
pub fn iob2(tags: &[u8]) -> impl Iterator<Item = String> + '_ {
    tags.iter().map(|&t| {
        let (ty, pos) = split_tag(t);
        match pos {
            Pos::O => "O".to_string(),
            Pos::B | Pos::U => format!("B-{}", TYPES[ty]),
            Pos::I | Pos::L => format!("I-{}", TYPES[ty]),
        }
    })
}

/// Counts of exact span matches per type.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EvalReport {
    /// `(true positives, false positives, false negatives)` per type, in [`TYPES`] order.
    pub counts: [(u64, u64, u64); 4],
    /// Tokens tagged.
    pub tokens: u64,
}

fn prf(tp: u64, fp: u64, fneg: u64) -> (f64, f64, f64) {
    let p = if tp + fp == 0 {
        0.0
    } else {
        tp as f64 / (tp + fp) as f64
    };
    let r = if tp + fneg == 0 {
        0.0
    } else {
        tp as f64 / (tp + fneg) as f64
    };
    let f = if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    };
    (p, r, f)
}

impl EvalReport {
    /// Adds the comparison of predicted and gold spans of one sentence or document.
    pub fn add(&mut self, gold: &[Span], pred: &[Span]) {
        for g in gold {
            if pred.contains(g) {
                self.counts[g.2].0 += 1;
            } else {
                self.counts[g.2].2 += 1;
            }
        }
        for p in pred {
            if !gold.contains(p) {
                self.counts[p.2].1 += 1;
            }
        }
    }

    /// Overall precision, recall and F1 (micro-averaged over types).
    pub fn overall(&self) -> (f64, f64, f64) {
        let (tp, fp, fneg) = self
            .counts
            .iter()
            .fold((0, 0, 0), |a, c| (a.0 + c.0, a.1 + c.1, a.2 + c.2));
        prf(tp, fp, fneg)
    }

    /// Precision, recall and F1 of one type (index into [`TYPES`]).
    pub fn of_type(&self, ty: usize) -> (f64, f64, f64) {
        let c = self.counts[ty];
        prf(c.0, c.1, c.2)
    }

    /// Overall F1.
    pub fn f1(&self) -> f64 {
        self.overall().2
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<8} {:>9} {:>9} {:>9} {:>7}",
            "type", "precision", "recall", "f1", "gold"
        )?;
        let (p, r, f1) = self.overall();
        let gold: u64 = self.counts.iter().map(|c| c.0 + c.2).sum();
        writeln!(
            f,
            "{:<8} {:>9.4} {:>9.4} {:>9.4} {:>7}",
            "overall", p, r, f1, gold
        )?;
        for (ty, name) in TYPES.iter().enumerate() {
            let (p, r, f1) = self.of_type(ty);
            let c = self.counts[ty];
            writeln!(
                f,
                "{:<8} {:>9.4} {:>9.4} {:>9.4} {:>7}",
                name,
                p,
                r,
                f1,
                c.0 + c.2
            )?;
        }
        Ok(())
    }
}

/// Scores `docs` against their gold labels (the overall figures of [`super::eval::evaluate`]).
pub fn evaluate_docs(model: &Model, docs: &[ConllDoc]) -> EvalReport {
    super::eval::evaluate(model, docs, None).all
}

/// Reads the CoNLL file at `path` and scores the model on it (exact span match).
pub fn evaluate(model: &Model, path: &Path) -> crate::Result<EvalReport> {
    Ok(evaluate_docs(model, &read_conll(path)?))
}

/// Tags the CoNLL file `input` and writes it to `output` with the predicted IOB2 tag appended
/// to every token line. Tokens are used as given; blank lines separate sentences; `-DOCSTART-`
/// lines are copied with an `O` appended so that every non-blank line has the same number of
/// columns (as `conlleval` requires). Returns the number of tokens tagged.
pub fn tag_file(model: &Model, input: &Path, output: &Path) -> crate::Result<usize> {
    let text = std::fs::read_to_string(input).map_err(|e| Error::io(input, e))?;
    write_tagged(model, &Split::new(&text), output)
}

/// [`tag_file`] with the model loaded by `load` on another thread while the input is read and
/// split into documents: loading a model and reading a large file take comparable time.
pub fn tag_file_loading<F>(load: F, input: &Path, output: &Path) -> crate::Result<usize>
where
    F: FnOnce() -> crate::Result<Model> + Send,
{
    std::thread::scope(|s| {
        let loader = s.spawn(load);
        // On an input error the scope still waits for the loader before returning.
        let text = std::fs::read_to_string(input).map_err(|e| Error::io(input, e))?;
        let split = Split::new(&text);
        let model = loader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        write_tagged(&model, &split, output)
    })
}

/// A CoNLL file's lines, its documents (ranges of lines) and the groups of documents tagged
/// as one task (line indices where a group starts, then the number of lines).
struct Split<'a> {
    lines: Vec<&'a str>,
    docs: Vec<Range<usize>>,
    groups: Vec<usize>,
}

impl<'a> Split<'a> {
    fn new(text: &'a str) -> Split<'a> {
        let lines: Vec<&str> = text.lines().collect();
        // Documents start at `-DOCSTART-` lines; each is tagged on its own (the tagger's
        // document-level features never cross one), so they are tagged in parallel, in groups
        // of about 8,000 lines, and written in input order: the output does not depend on
        // threads.
        let mut starts = vec![0];
        starts.extend(
            lines
                .iter()
                .enumerate()
                .filter(|(i, l)| *i > 0 && l.split_whitespace().next() == Some("-DOCSTART-"))
                .map(|(i, _)| i),
        );
        starts.push(lines.len());
        let mut groups = vec![0];
        for &s in &starts[1..] {
            if s - groups[groups.len() - 1] >= 8192 || s == lines.len() {
                groups.push(s);
            }
        }
        groups.dedup();
        let docs = starts.windows(2).map(|w| w[0]..w[1]).collect();
        Split {
            lines,
            docs,
            groups,
        }
    }
}

/// Tags the documents of `split` in parallel and writes them in input order to `output`.
fn write_tagged(model: &Model, split: &Split, output: &Path) -> crate::Result<usize> {
    use rayon::prelude::*;
    let Split {
        lines,
        docs,
        groups,
    } = split;
    let tagged: Vec<(String, usize)> = groups
        .windows(2)
        .collect::<Vec<_>>()
        .par_iter()
        .map_init(
            // Each worker reuses its buffers across groups: fresh ones for every group cost
            // more in page faults than the tagging of a small group.
            || (Scratch::default(), Vec::new()),
            |(scratch, tags), g| {
                // The output is the input plus a tag column of at most 7 bytes per line.
                let size = lines[g[0]..g[1]].iter().map(|l| l.len() + 8).sum();
                let mut out = String::with_capacity(size);
                let mut n = 0;
                for d in docs.iter().filter(|d| d.start >= g[0] && d.end <= g[1]) {
                    n += tag_lines(model, &lines[d.clone()], scratch, tags, &mut out);
                }
                (out, n)
            },
        )
        .collect();
    let file = std::fs::File::create(output).map_err(|e| Error::io(output, e))?;
    let mut out = BufWriter::new(file);
    let io = |e| Error::io(output, e);
    let mut total = 0;
    for (chunk, n) in &tagged {
        out.write_all(chunk.as_bytes()).map_err(io)?;
        total += n;
    }
    out.flush().map_err(io)?;
    Ok(total)
}

/// Tags the lines of one document and appends them to `out` with the IOB2 tag as an extra
/// column; returns the number of tokens.
fn tag_lines(
    model: &Model,
    lines: &[&str],
    scratch: &mut Scratch,
    tags: &mut Vec<u8>,
    out: &mut String,
) -> usize {
    use std::fmt::Write as _;
    let mut words: Vec<&str> = Vec::new();
    let mut sentences: Vec<Range<usize>> = Vec::new();
    let mut sent_start = 0;
    for line in lines {
        match line.split_whitespace().next() {
            Some("-DOCSTART-") => {}
            None => {
                if words.len() > sent_start {
                    sentences.push(sent_start..words.len());
                }
                sent_start = words.len();
            }
            Some(w) => words.push(w),
        }
    }
    if words.len() > sent_start {
        sentences.push(sent_start..words.len());
    }
    model.tag(&words, &sentences, scratch, tags);
    let mut k = 0;
    for line in lines {
        let trimmed = line.trim_end();
        let sep = if trimmed.contains('\t') { "\t" } else { " " };
        match trimmed.split_whitespace().next() {
            None => out.push('\n'),
            Some("-DOCSTART-") => {
                let _ = writeln!(out, "{trimmed}{sep}O");
            }
            Some(_) => {
                let label = iob2(&tags[k..k + 1]).next().unwrap_or_default();
                // BILOU tags decode per sentence, so B after L of the same type needs no
                // fix-up: IOB2 always marks the first token with B-.
                let _ = writeln!(out, "{trimmed}{sep}{label}");
                k += 1;
            }
        }
    }
    words.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iob_spans() {
        // IOB2 from the CoNLL training file, and the IOB1 form of the same labels.
        let iob2 = ["B-ORG", "O", "B-MISC", "O", "B-PER", "I-PER", "B-PER"];
        let iob1 = ["I-ORG", "O", "I-MISC", "O", "I-PER", "I-PER", "B-PER"];
        let want = vec![(0, 1, 1), (2, 3, 3), (4, 6, 0), (6, 7, 0)];
        assert_eq!(spans_from_iob(&iob2), want);
        assert_eq!(spans_from_iob(&iob1), want);
        let tags = bilou(7, &want);
        let mut back = Vec::new();
        spans_from_bilou(&tags, 0..7, &mut back);
        assert_eq!(back, want);
        let labels: Vec<String> = super::iob2(&tags).collect();
        assert_eq!(labels, iob2);
    }

    #[test]
    fn report_counts() {
        let mut r = EvalReport::default();
        r.add(&[(0, 1, 1), (3, 5, 0)], &[(0, 1, 1), (3, 4, 0)]);
        assert_eq!(r.counts[1], (1, 0, 0));
        assert_eq!(r.counts[0], (0, 1, 1));
        assert!((r.f1() - 0.5).abs() < 1e-9);
        assert!(r.to_string().contains("overall"));
    }
}
