//! CoNLL round trip: tagging keeps every input line and adds one valid IOB2 column; a tiny
//! training run is deterministic and learns its data; the shipped model scores well on a
//! slice of the dev set.

use std::path::Path;

use corpusmill::entities::conll::{evaluate, read_conll, tag_file, tag_file_loading};
use corpusmill::entities::train::{train, TrainOptions};
use corpusmill::entities::{Model, EMBEDDED_MODEL};
use corpusmill::Error;

const SMALL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/entities_small.conll"
);

fn check_tagged(input: &Path, output: &Path) {
    let inp = std::fs::read_to_string(input).unwrap();
    let out = std::fs::read_to_string(output).unwrap();
    let (a, b): (Vec<&str>, Vec<&str>) = (inp.lines().collect(), out.lines().collect());
    assert_eq!(a.len(), b.len(), "line count changed");
    let mut prev = "O".to_string();
    for (x, y) in a.iter().zip(&b) {
        if x.trim().is_empty() {
            assert!(y.is_empty());
            prev = "O".into();
            continue;
        }
        let (head, tag) = y.rsplit_once(' ').expect("extra column");
        assert_eq!(head, *x, "input columns must be copied unchanged");
        if x.starts_with("-DOCSTART-") {
            assert_eq!(tag, "O");
            continue;
        }
        let ok = tag == "O"
            || tag.starts_with("B-")
            || (tag.starts_with("I-") && prev.len() > 2 && prev[2..] == tag[2..]);
        assert!(ok, "invalid IOB2 sequence {prev} -> {tag} at {x}");
        prev = tag.to_string();
    }
}

#[test]
fn shipped_model_tags_and_scores_dev_slice() {
    let model = Model::from_bytes(EMBEDDED_MODEL).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tagged.conll");
    let n = tag_file(&model, Path::new(SMALL), &out).unwrap();
    let docs = read_conll(Path::new(SMALL)).unwrap();
    assert_eq!(n, docs.iter().map(|d| d.words.len()).sum::<usize>());
    check_tagged(Path::new(SMALL), &out);
    let report = evaluate(&model, Path::new(SMALL)).unwrap();
    assert!(report.f1() > 0.8, "{report}");
    // The predicted column, read back as gold, matches the model's own predictions exactly.
    let text = std::fs::read_to_string(&out).unwrap();
    let relabeled: String = text
        .lines()
        .map(|l| match l.rsplit_once(' ') {
            Some((head, tag)) => {
                let cols: Vec<&str> = head.split(' ').collect();
                format!("{} {}\n", cols[..cols.len() - 1].join(" "), tag)
            }
            None => "\n".to_string(),
        })
        .collect();
    let back = dir.path().join("back.conll");
    std::fs::write(&back, relabeled).unwrap();
    let self_report = evaluate(&model, &back).unwrap();
    assert!((self_report.f1() - 1.0).abs() < 1e-12, "{self_report}");
}

#[test]
fn tiny_training_is_deterministic_and_learns() {
    let dir = tempfile::tempdir().unwrap();
    let places = dir.path().join("loc.txt");
    std::fs::write(&places, "Germany\nNew York\nWashington\n").unwrap();
    let mut opts = TrainOptions::new(SMALL.into(), SMALL.into());
    opts.epochs = 4;
    opts.hash_bits = 16;
    opts.gazetteers = vec![("loc".into(), places)];
    assert!(opts.viterbi, "Viterbi decoding is the default");
    let (m1, r1) = train(&opts).unwrap();
    let (m2, _) = train(&opts).unwrap();
    let (b1, b2) = (m1.to_bytes().unwrap(), m2.to_bytes().unwrap());
    assert_eq!(b1, b2, "training must be reproducible");
    assert!(r1.dev.f1() > 0.9, "{}", r1.dev);
    let path = dir.path().join("m.bin.zst");
    m1.save(&path).unwrap();
    let loaded = Model::load(&path).unwrap();
    assert_eq!(evaluate(&loaded, Path::new(SMALL)).unwrap(), r1.dev);
    let out = dir.path().join("t.conll");
    tag_file(&loaded, Path::new(SMALL), &out).unwrap();
    check_tagged(Path::new(SMALL), &out);
}

#[test]
fn greedy_training_still_works_and_differs() {
    let mut opts = TrainOptions::new(SMALL.into(), SMALL.into());
    opts.epochs = 3;
    opts.hash_bits = 16;
    opts.viterbi = false;
    let (greedy, r) = train(&opts).unwrap();
    assert!(r.dev.f1() > 0.8, "{}", r.dev);
    opts.viterbi = true;
    let (viterbi, _) = train(&opts).unwrap();
    assert_ne!(greedy.to_bytes().unwrap(), viterbi.to_bytes().unwrap());
    let back = Model::from_bytes(&greedy.to_bytes().unwrap()).unwrap();
    assert_eq!(evaluate(&back, Path::new(SMALL)).unwrap(), r.dev);
}

#[test]
fn perceptron_updates_still_work_and_differ_from_margin_steps() {
    let mut opts = TrainOptions::new(SMALL.into(), SMALL.into());
    opts.epochs = 3;
    opts.hash_bits = 16;
    assert!(opts.margin, "margin steps are the default");
    let (margin, rm) = train(&opts).unwrap();
    opts.margin = false;
    let (plain, rp) = train(&opts).unwrap();
    assert!(rm.dev.f1() > 0.8, "{}", rm.dev);
    assert!(rp.dev.f1() > 0.8, "{}", rp.dev);
    assert_ne!(margin.to_bytes().unwrap(), plain.to_bytes().unwrap());
}

#[test]
fn extra_training_files_join_the_training_documents() {
    // The shipped model trains on CoNLL-2003 train plus a second gold file; `extra_train`
    // must read each file's documents in order, exactly as if they were one file.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(SMALL).unwrap();
    let docs: Vec<&str> = text.split("-DOCSTART-").filter(|d| !d.is_empty()).collect();
    assert_eq!(docs.len(), 3);
    let first = dir.path().join("first.conll");
    let second = dir.path().join("second.conll");
    std::fs::write(&first, format!("-DOCSTART-{}", docs[0])).unwrap();
    std::fs::write(
        &second,
        format!("-DOCSTART-{}-DOCSTART-{}", docs[1], docs[2]),
    )
    .unwrap();
    let mut whole = TrainOptions::new(SMALL.into(), SMALL.into());
    whole.epochs = 3;
    whole.hash_bits = 16;
    let mut split = whole.clone();
    split.train = first.clone();
    split.extra_train = vec![second.clone()];
    let (a, ra) = train(&whole).unwrap();
    let (b, rb) = train(&split).unwrap();
    assert_eq!(ra.train_tokens, rb.train_tokens);
    assert_eq!(a.to_bytes().unwrap(), b.to_bytes().unwrap());
    // Without the second file the model is trained on less and differs.
    split.extra_train.clear();
    let (c, rc) = train(&split).unwrap();
    assert!(rc.train_tokens < ra.train_tokens);
    assert_ne!(a.to_bytes().unwrap(), c.to_bytes().unwrap());
    // An extra file without tokens is an error that names it.
    let empty = dir.path().join("empty.conll");
    std::fs::write(&empty, "\n\n").unwrap();
    split.extra_train = vec![empty];
    let err = train(&split).unwrap_err().to_string();
    assert!(
        err.contains("empty.conll") && err.contains("no tokens"),
        "{err}"
    );
}

#[test]
fn unknown_gazetteer_kind_is_an_error() {
    let mut opts = TrainOptions::new(SMALL.into(), SMALL.into());
    opts.gazetteers = vec![("cities".into(), SMALL.into())];
    let err = train(&opts).unwrap_err().to_string();
    assert!(err.contains("cities") && err.contains("per_first"), "{err}");
}

#[test]
fn bad_model_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.bin.zst");
    std::fs::write(&path, b"not a model").unwrap();
    let err = Model::load(&path).unwrap_err().to_string();
    assert!(err.contains("junk.bin.zst"), "{err}");
    assert!(Model::load(&dir.path().join("missing")).is_err());
}

#[test]
fn a_large_file_is_tagged_in_parallel_like_its_documents_one_by_one() {
    // Documents are tagged independently in groups of lines on several threads; the output
    // must be the same as tagging each copy alone, in input order.
    let model = Model::from_bytes(EMBEDDED_MODEL).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let small = std::fs::read_to_string(SMALL).unwrap();
    let copies = 40; // ~44,000 lines: several groups of 8,192
    let big = dir.path().join("big.conll");
    std::fs::write(&big, small.repeat(copies)).unwrap();
    let (one, many) = (dir.path().join("one.conll"), dir.path().join("many.conll"));
    let n1 = tag_file(&model, Path::new(SMALL), &one).unwrap();
    let n = tag_file(&model, &big, &many).unwrap();
    assert_eq!(n, n1 * copies);
    let one = std::fs::read_to_string(one).unwrap();
    assert_eq!(std::fs::read_to_string(many).unwrap(), one.repeat(copies));
}

#[test]
fn loading_the_model_while_reading_gives_the_same_output_and_reports_either_failure() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.conll"), dir.path().join("b.conll"));
    let model = Model::from_bytes(EMBEDDED_MODEL).unwrap();
    let n = tag_file(&model, Path::new(SMALL), &a).unwrap();
    let m = tag_file_loading(Model::embedded, Path::new(SMALL), &b).unwrap();
    assert_eq!(n, m);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    // A model that fails to load: its error, and no output file.
    let c = dir.path().join("c.conll");
    let bad = || Model::from_bytes(b"not a model");
    let err = tag_file_loading(bad, Path::new(SMALL), &c).unwrap_err();
    assert!(matches!(err, Error::Model(_)), "{err}");
    assert!(!c.exists());
    // A missing input: its error names the file, even though the model loads.
    let missing = dir.path().join("missing.conll");
    let err = tag_file_loading(Model::embedded, &missing, &c).unwrap_err();
    assert!(err.to_string().contains("missing.conll"), "{err}");
    assert!(!c.exists());
}
