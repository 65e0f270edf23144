//! The Python module `corpusmill._corpusmill` (feature `python`; `pip install .` builds it with
//! maturin, and `python/corpusmill/__init__.py` re-exports it with type hints).
//!
//! A thin layer like `main.rs`: it converts arguments and records, releases the GIL while the
//! library works, maps library errors to Python exceptions with the same messages as the
//! command line, and polls for Ctrl-C. Everything else is [`crate::pipeline::run`],
//! [`crate::pipeline::Stream`], [`crate::pipeline::Cleaner`] and [`crate::entities`].

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use pyo3::exceptions::{
    PyFileExistsError, PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::clean::profile::Profile;
use crate::config::{Config, OutputFormat, Overrides};
use crate::entities::{Buffers, EntityStage};
use crate::pipeline::folder::Existing;
use crate::pipeline::{Cleaner, Progress, Stream};
use crate::Error;

/// Records pulled from the Python iterable per call into the library.
const BATCH_RECORDS: usize = 1024;
/// Bytes of JSON pulled per call at most.
const BATCH_BYTES: usize = 4 << 20;

fn to_py(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::Io { .. } => PyOSError::new_err(msg),
        Error::Config(_) | Error::Input(_) | Error::Strict(_) => PyValueError::new_err(msg),
        Error::Interrupted(_) => PyKeyboardInterrupt::new_err(msg),
        Error::Busy(_) => PyFileExistsError::new_err(msg),
        _ => PyRuntimeError::new_err(msg),
    }
}

/// A path given as `str` or `os.PathLike`.
fn path_of(obj: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    obj.extract::<PathBuf>()
}

/// The config file (or the built-in defaults) over the profile, then the keyword overrides.
/// `allowed` names the keywords this entry point takes.
fn build_config(
    config: Option<&Bound<'_, PyAny>>,
    overrides: Option<&Bound<'_, PyDict>>,
    allowed: &[&str],
    o: &mut Overrides,
) -> PyResult<Config> {
    let mut profile = None;
    if let Some(kw) = overrides {
        for (k, v) in kw.iter() {
            let key: String = k.extract()?;
            if !allowed.contains(&key.as_str()) {
                return Err(PyTypeError::new_err(format!(
                    "unexpected keyword argument `{key}` (accepted: {})",
                    allowed.join(", ")
                )));
            }
            match key.as_str() {
                "threads" => o.threads = Some(v.extract()?),
                "shards" => o.shards = Some(v.extract()?),
                "format" => {
                    o.format = Some(OutputFormat::parse(&v.extract::<String>()?).map_err(to_py)?)
                }
                "disable" => {
                    o.disable = if v.is_instance_of::<PyString>() {
                        vec![v.extract()?]
                    } else {
                        v.extract()?
                    }
                }
                "profile" => {
                    profile = Some(Profile::parse(&v.extract::<String>()?).map_err(to_py)?)
                }
                "strict" => o.strict = v.extract()?,
                "overwrite" if v.extract::<bool>()? => {
                    o.existing_output = o.existing_output.or(Some(Existing::Overwrite))
                }
                "resume" if v.extract::<bool>()? => o.existing_output = Some(Existing::Resume),
                _ => {}
            }
        }
    }
    let mut c = match config {
        Some(p) if !p.is_none() => Config::load_with_profile(&path_of(p)?, profile),
        _ => Ok(Config::for_profile(profile.unwrap_or(Profile::News))),
    }
    .map_err(to_py)?;
    o.apply(&mut c).map_err(to_py)?;
    Ok(c)
}

/// A [`Progress`] that only carries the stop flag.
struct Stop(AtomicBool);

impl Progress for Stop {
    fn cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// run(input, output, config=None, **overrides) -> dict
///
/// Runs the pipeline like `corpusmill run` and returns the content of stats.json. `input` is a
/// path (file, folder, glob) or a list of them. Keyword overrides: threads, shards, format
/// ("jsonl" or "parquet"), disable (stage names), profile ("news" or "web"), strict,
/// overwrite, resume. The GIL is released while it runs; Ctrl-C stops it after saving a
/// checkpoint (continue with resume=True) and raises KeyboardInterrupt.
#[pyfunction]
#[pyo3(signature = (input, output, config=None, **overrides))]
fn run(
    py: Python<'_>,
    input: &Bound<'_, PyAny>,
    output: &Bound<'_, PyAny>,
    config: Option<&Bound<'_, PyAny>>,
    overrides: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyObject> {
    let inputs: Vec<PathBuf> = if input.is_instance_of::<PyList>() {
        input.extract()?
    } else {
        vec![path_of(input)?]
    };
    let mut o = Overrides {
        input: inputs.iter().map(|p| p.display().to_string()).collect(),
        output: Some(path_of(output)?),
        ..Overrides::default()
    };
    let allowed = [
        "threads",
        "shards",
        "format",
        "disable",
        "profile",
        "strict",
        "overwrite",
        "resume",
    ];
    let c = build_config(config, overrides, &allowed, &mut o)?;
    let stop = Stop(AtomicBool::new(false));
    let (tx, rx) = crossbeam_channel::bounded(1);
    let mut interrupt = None;
    let result = std::thread::scope(|s| {
        let (c, stop) = (&c, &stop);
        s.spawn(move || {
            let _ = tx.send(crate::pipeline::run(c, stop));
        });
        loop {
            let got = py.allow_threads(|| rx.recv_timeout(Duration::from_millis(100)));
            match got {
                Ok(r) => return r,
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                    return Err(Error::Internal("the run stopped without a result".into()))
                }
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            }
            if interrupt.is_none() {
                if let Err(e) = py.check_signals() {
                    // The run saves a checkpoint and stops at its next batch.
                    stop.0.store(true, Ordering::SeqCst);
                    interrupt = Some(e);
                }
            }
        }
    });
    if let Some(e) = interrupt {
        if matches!(result, Err(Error::Interrupted(_)) | Ok(_)) {
            return Err(e);
        }
    }
    let summary = result.map_err(to_py)?;
    let json = serde_json::to_string(&summary.stats)
        .map_err(|e| PyRuntimeError::new_err(format!("serializing stats: {e}")))?;
    let loads = py.import("json")?.getattr("loads")?;
    Ok(loads.call1((json,))?.unbind())
}

/// The pipeline in-process: dicts in, kept dicts out, in input order (see Pipeline.process).
#[pyclass(module = "corpusmill")]
struct Pipeline {
    /// Locked while a batch runs (the GIL is released then).
    stream: Mutex<Stream>,
}

#[pymethods]
impl Pipeline {
    /// Pipeline(config=None, **overrides): builds the stages of a config file (default: the
    /// built-in defaults). Keyword overrides: threads, disable, profile, strict.
    #[new]
    #[pyo3(signature = (config=None, **overrides))]
    fn new(
        config: Option<&Bound<'_, PyAny>>,
        overrides: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let mut o = Overrides::default();
        let c = build_config(
            config,
            overrides,
            &["threads", "disable", "profile", "strict"],
            &mut o,
        )?;
        Ok(Pipeline {
            stream: Mutex::new(Stream::new(&c).map_err(to_py)?),
        })
    }

    /// process(records) -> iterator of dicts: runs every stage on the records (dicts with at
    /// least a text field) and yields the kept ones with cleaned text, lang, entities and their
    /// other fields, in input order. Exact and near duplicates of anything this Pipeline has
    /// seen are dropped. Records are taken in batches, so the iterable may be endless.
    fn process(slf: Bound<'_, Self>, records: &Bound<'_, PyAny>) -> PyResult<Processed> {
        let py = slf.py();
        let json = py.import("json")?;
        Ok(Processed {
            pipeline: slf.unbind(),
            input: Some(records.try_iter()?.unbind().into_any()),
            ready: VecDeque::new(),
            dumps: json.getattr("dumps")?.unbind(),
            loads: json.getattr("loads")?.unbind(),
        })
    }

    /// stats() -> dict: the counts so far, with the keys of stats.json.
    fn stats(&self, py: Python<'_>) -> PyResult<PyObject> {
        let stats = self.lock()?.stats();
        let json = serde_json::to_string(&stats)
            .map_err(|e| PyRuntimeError::new_err(format!("serializing stats: {e}")))?;
        Ok(py
            .import("json")?
            .getattr("loads")?
            .call1((json,))?
            .unbind())
    }
}

impl Pipeline {
    fn lock(&self) -> PyResult<std::sync::MutexGuard<'_, Stream>> {
        self.stream
            .lock()
            .map_err(|_| PyRuntimeError::new_err("a previous call into this Pipeline panicked"))
    }
}

/// The iterator `Pipeline.process` returns.
#[pyclass(module = "corpusmill")]
struct Processed {
    pipeline: Py<Pipeline>,
    input: Option<PyObject>,
    ready: VecDeque<Vec<u8>>,
    dumps: PyObject,
    loads: PyObject,
}

#[pymethods]
impl Processed {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<PyObject>> {
        while self.ready.is_empty() {
            let Some(input) = &self.input else {
                return Ok(None);
            };
            let input = input.bind(py);
            let dumps = self.dumps.bind(py);
            let kw = PyDict::new(py);
            kw.set_item("ensure_ascii", false)?;
            let (mut batch, mut bytes) = (Vec::new(), 0usize);
            while batch.len() < BATCH_RECORDS && bytes < BATCH_BYTES {
                let Some(rec) = input.call_method0("__next__").map(Some).or_else(|e| {
                    if e.is_instance_of::<pyo3::exceptions::PyStopIteration>(py) {
                        Ok(None)
                    } else {
                        Err(e)
                    }
                })?
                else {
                    self.input = None;
                    break;
                };
                let s = dumps.call((rec,), Some(&kw))?;
                let s = s.downcast::<PyString>()?.to_cow()?.as_bytes().to_vec();
                bytes += s.len();
                batch.push(s);
            }
            if batch.is_empty() {
                continue;
            }
            let p = self.pipeline.borrow(py);
            let p: &Pipeline = &p;
            let out = py.allow_threads(|| -> PyResult<Vec<Vec<u8>>> {
                p.lock()?.process(&batch).map_err(to_py)
            })?;
            self.ready.extend(out);
        }
        let Some(rec) = self.ready.pop_front() else {
            return Ok(None);
        };
        let text = std::str::from_utf8(&rec)
            .map_err(|e| PyRuntimeError::new_err(format!("output record: {e}")))?;
        Ok(Some(self.loads.bind(py).call1((text,))?.unbind()))
    }
}

/// clean(text, url=None) -> str | None: the text after the default config's cleaning stages
/// (HTML, normalization, line rules, quality, length, language), or None when rejected.
#[pyfunction]
#[pyo3(signature = (text, url=None))]
fn clean(py: Python<'_>, text: &str, url: Option<&str>) -> PyResult<Option<String>> {
    static CLEANER: OnceLock<Result<Cleaner, String>> = OnceLock::new();
    let cleaner = CLEANER
        .get_or_init(|| Cleaner::new(&Config::default()).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| PyRuntimeError::new_err(e.clone()))?;
    Ok(py.allow_threads(|| cleaner.clean(text, url)))
}

/// entities(text) -> list[dict]: named entities (PER, ORG, LOC, MISC) and pattern entities
/// (DATE, MONEY, PERCENT) with `text`, `label`, `start`, `end`; `text[start:end]` is the
/// entity (offsets count code points, as Python str indices do).
#[pyfunction]
fn entities(py: Python<'_>, text: &str) -> PyResult<Vec<PyObject>> {
    static TAGGER: OnceLock<Result<EntityStage, String>> = OnceLock::new();
    let tagger = TAGGER
        .get_or_init(|| EntityStage::new_default().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| PyRuntimeError::new_err(e.clone()))?;
    let found = py.allow_threads(|| tagger.extract(text, &mut Buffers::default()));
    found
        .into_iter()
        .map(|e| {
            let d = PyDict::new(py);
            d.set_item("text", e.text)?;
            d.set_item("label", e.label)?;
            d.set_item("start", e.start)?;
            d.set_item("end", e.end)?;
            Ok(d.into_any().unbind())
        })
        .collect()
}

/// The extension module.
#[pymodule]
#[pyo3(name = "_corpusmill")]
fn corpusmill_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(clean, m)?)?;
    m.add_function(wrap_pyfunction!(entities, m)?)?;
    m.add_class::<Pipeline>()?;
    m.add_class::<Processed>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
