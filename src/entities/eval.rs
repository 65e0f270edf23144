//! Detailed evaluation for `corpusmill ner eval`: exact-span scores, scores on names never seen
//! as entities in the training data, and a confusion table of entity types.
//!
//! Reads CoNLL documents ([`super::conll`]), tags them with a [`Model`] and compares predicted
//! with gold spans sentence by sentence. "Unseen" names tell memorization from generalization:
//! a gold entity counts when its surface form is not an entity anywhere in the `seen` documents
//! (the training file), a predicted one when its surface form is not.

use std::collections::HashSet;
use std::fmt;

use super::conll::{spans_from_bilou, ConllDoc, EvalReport, Span};
use super::features::TYPES;
use super::model::{Model, Scratch};

/// Rows of [`Confusion`]: gold types, then spurious predictions.
const SPURIOUS: usize = 4;
/// Columns of [`Confusion`]: predicted types, then boundary errors and misses.
const BOUNDARY: usize = 4;
const MISSED: usize = 5;

/// Confusion counts of entity types.
///
/// `counts[g][p]` for a gold span of type `g`: `p < 4` when a prediction has exactly its
/// boundaries (with type `p`), `4` when predictions only overlap it, `5` when nothing overlaps
/// it. Row 4 counts predictions that overlap no gold span, by predicted type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Confusion {
    /// The counts, see the type docs.
    pub counts: [[u64; 6]; 5],
}

impl Confusion {
    /// Adds the spans of one sentence.
    pub fn add(&mut self, gold: &[Span], pred: &[Span]) {
        let overlaps = |a: &Span, b: &Span| a.0 < b.1 && b.0 < a.1;
        for g in gold {
            let col = match pred.iter().find(|p| p.0 == g.0 && p.1 == g.1) {
                Some(p) => p.2,
                None if pred.iter().any(|p| overlaps(p, g)) => BOUNDARY,
                None => MISSED,
            };
            self.counts[g.2][col] += 1;
        }
        for p in pred {
            if !gold.iter().any(|g| overlaps(p, g)) {
                self.counts[SPURIOUS][p.2] += 1;
            }
        }
    }
}

impl fmt::Display for Confusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<10}{:>7}{:>7}{:>7}{:>7}{:>10}{:>8}",
            "gold\\pred", "PER", "ORG", "LOC", "MISC", "boundary", "missed"
        )?;
        let names = TYPES.iter().copied().chain(std::iter::once("spurious"));
        for (name, row) in names.zip(&self.counts) {
            write!(f, "{name:<10}")?;
            for (c, n) in row.iter().enumerate() {
                let w = [7, 7, 7, 7, 10, 8][c];
                if name == "spurious" && c >= BOUNDARY {
                    write!(f, "{:>w$}", "")?;
                } else {
                    write!(f, "{n:>w$}")?;
                }
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// Everything `ner eval` reports.
#[derive(Clone, Debug, Default)]
pub struct Detailed {
    /// Exact-span scores over all entities.
    pub all: EvalReport,
    /// Exact-span scores restricted to surface forms absent from the seen documents (present
    /// when seen documents were given).
    pub unseen: Option<EvalReport>,
    /// Type confusions and boundary errors.
    pub confusion: Confusion,
}

impl fmt::Display for Detailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.all)?;
        if let Some(u) = &self.unseen {
            writeln!(
                f,
                "\nunseen names (surface form never an entity in the seen file):"
            )?;
            write!(f, "{u}")?;
        }
        writeln!(
            f,
            "\nconfusion (rows: gold type; columns: type predicted with the same span, a\n\
             prediction that only overlaps, nothing; spurious: predictions overlapping no gold):"
        )?;
        write!(f, "{}", self.confusion)
    }
}

/// The surface forms (tokens joined by spaces) of the gold entities of `docs`.
pub fn entity_forms(docs: &[ConllDoc]) -> HashSet<String> {
    let mut forms = HashSet::new();
    let mut spans = Vec::new();
    for d in docs {
        for s in &d.sentences {
            spans.clear();
            spans_from_bilou(&d.gold, s.clone(), &mut spans);
            forms.extend(spans.iter().map(|&(a, b, _)| d.words[a..b].join(" ")));
        }
    }
    forms
}

/// Tags `docs` and scores them against their gold labels; `seen` (the training documents)
/// enables the unseen-name scores.
pub fn evaluate(model: &Model, docs: &[ConllDoc], seen: Option<&[ConllDoc]>) -> Detailed {
    let forms = seen.map(entity_forms);
    let mut out = Detailed {
        unseen: forms.as_ref().map(|_| EvalReport::default()),
        ..Detailed::default()
    };
    let mut scratch = Scratch::default();
    let mut tags = Vec::new();
    let (mut gold, mut pred) = (Vec::new(), Vec::new());
    for d in docs {
        model.tag(&d.words, &d.sentences, &mut scratch, &mut tags);
        for s in &d.sentences {
            gold.clear();
            pred.clear();
            spans_from_bilou(&d.gold, s.clone(), &mut gold);
            spans_from_bilou(&tags, s.clone(), &mut pred);
            out.all.add(&gold, &pred);
            out.confusion.add(&gold, &pred);
            if let (Some(u), Some(forms)) = (out.unseen.as_mut(), forms.as_ref()) {
                let new = |sp: &&Span| !forms.contains(&d.words[sp.0..sp.1].join(" "));
                let g: Vec<Span> = gold.iter().filter(new).copied().collect();
                let p: Vec<Span> = pred.iter().filter(new).copied().collect();
                u.add(&g, &p);
            }
        }
        out.all.tokens += d.words.len() as u64;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_cells() {
        let mut c = Confusion::default();
        // PER predicted as ORG, LOC exact, MISC with a wrong boundary, ORG missed, one spurious.
        let gold = [(0, 2, 0), (3, 4, 2), (5, 7, 3), (8, 9, 1)];
        let pred = [(0, 2, 1), (3, 4, 2), (5, 6, 3), (10, 11, 0)];
        c.add(&gold, &pred);
        assert_eq!(c.counts[0][1], 1);
        assert_eq!(c.counts[2][2], 1);
        assert_eq!(c.counts[3][BOUNDARY], 1);
        assert_eq!(c.counts[1][MISSED], 1);
        assert_eq!(c.counts[SPURIOUS][0], 1);
        let table = c.to_string();
        assert_eq!(table.lines().count(), 6);
        assert!(table.lines().next().is_some_and(|l| l.contains("boundary")));
    }
}
