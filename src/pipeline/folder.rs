//! The output folder belongs to one run at a time.
//!
//! A run holds an exclusive `flock` on `.corpusmill.lock` in the folder for its whole life (the
//! kernel releases it when the process ends, even on `kill -9`, so a crash never leaves a stale
//! lock), with the holder's pid and start time written in the file for the message a second run
//! prints. Before writing, a run looks at what the folder holds: another run's output makes it
//! refuse unless told to `--overwrite` it (remove that run's files first) or `--resume` it.
//! Only files a run writes are ever removed; anything else in the folder is left alone.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use crate::Error;

/// The lock file's name.
pub const LOCK_FILE: &str = ".corpusmill.lock";
/// The checkpoint's name (see [`super::checkpoint`]).
pub const CHECKPOINT_FILE: &str = "checkpoint.json";

/// What to do when the output folder already holds a run's files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Existing {
    /// Stop with an error naming `--overwrite` and `--resume` (the default).
    #[default]
    Refuse,
    /// Remove the previous run's files, then run from the start.
    Overwrite,
    /// Continue an interrupted run from its checkpoint.
    Resume,
}

/// The lock on an output folder; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct FolderLock {
    file: File,
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // The file stays (removing it would race with a run that just opened it); emptied, it
        // names no holder. Closing the file releases the lock.
        let _ = self.file.set_len(0);
    }
}

/// Takes the folder's lock, or fails at once naming the run that holds it.
pub fn lock(dir: &Path) -> crate::Result<FolderLock> {
    let path = dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    // SAFETY: flock only reads the descriptor, which `file` keeps open for this call.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
            return Err(Error::io(&path, err));
        }
        let mut holder = String::new();
        let _ = file.read_to_string(&mut holder);
        let holder = holder.trim();
        return Err(Error::Busy(format!(
            "{} is in use by another corpusmill run ({}); wait for it to end or choose another \
             --output",
            dir.display(),
            if holder.is_empty() {
                "pid unknown"
            } else {
                holder
            }
        )));
    }
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let note = format!(
        "pid {}, started {} (unix time {started})",
        std::process::id(),
        utc(started)
    );
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = file.write_all(note.as_bytes());
    let _ = file.flush();
    Ok(FolderLock { file })
}

/// `YYYY-MM-DD HH:MM:SS UTC` for a unix time.
fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// True for the names of files a run writes into its output folder (final, temporary and
/// scratch), so that only those are ever removed.
pub fn is_run_file(name: &str) -> bool {
    let base = name.strip_suffix(".tmp").unwrap_or(name);
    let shard = base
        .strip_prefix("part-")
        .and_then(|r| r.strip_suffix(".jsonl.zst").or(r.strip_suffix(".parquet")))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    shard
        || matches!(
            base,
            "rejected.jsonl.zst"
                | "duplicates.jsonl.zst"
                | "rejected.parquet"
                | "duplicates.parquet"
                | "errors.jsonl"
                | "errors.jsonl.zst"
                | "manifest.json"
                | "stats.json"
                | CHECKPOINT_FILE
                | ".stdin.spool"
        )
        || (name.starts_with(".exact-") || name.starts_with(".near-")) && name.ends_with(".tmp")
}

/// The run files found in `dir`, sorted.
pub fn run_files(dir: &Path) -> crate::Result<Vec<PathBuf>> {
    let mut v = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(v),
        Err(e) => return Err(Error::io(dir, e)),
    };
    for e in entries {
        let e = e.map_err(|e| Error::io(dir, e))?;
        if is_run_file(&e.file_name().to_string_lossy()) {
            v.push(e.path());
        }
    }
    v.sort();
    Ok(v)
}

/// Makes the folder ready for a run from the start: refuses, or removes the previous run's
/// files, as `existing` says. For [`Existing::Resume`] the caller reads the checkpoint instead.
pub fn prepare_fresh(dir: &Path, existing: Existing) -> crate::Result<()> {
    let files = run_files(dir)?;
    if files.is_empty() {
        return Ok(());
    }
    if existing == Existing::Refuse {
        let what = if dir.join(CHECKPOINT_FILE).exists() {
            "an interrupted run (continue it with --resume)"
        } else if dir.join("manifest.json").exists() {
            "a finished run's output"
        } else {
            "another run's files"
        };
        return Err(Error::Busy(format!(
            "{} holds {what}: pass --overwrite to remove that run's {} files first, or --resume \
             to continue an interrupted run, or choose another --output",
            dir.display(),
            files.len()
        )));
    }
    clear(dir)
}

/// Removes every run file from `dir`, the manifest first so the folder never looks finished.
pub fn clear(dir: &Path) -> crate::Result<()> {
    let manifest = dir.join("manifest.json");
    match std::fs::remove_file(&manifest) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(&manifest, e)),
    }
    for f in run_files(dir)? {
        std::fs::remove_file(&f).map_err(|e| Error::io(&f, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_files_are_recognised_and_nothing_else() {
        for n in [
            "part-00000.jsonl.zst",
            "part-00007.jsonl.zst.tmp",
            "part-00003.parquet",
            "part-00003.parquet.tmp",
            "duplicates.parquet",
            "part-123456.jsonl.zst",
            "manifest.json",
            "stats.json.tmp",
            "errors.jsonl",
            "errors.jsonl.zst",
            "rejected.jsonl.zst.tmp",
            ".exact-ids.tmp",
            ".near-sketches.tmp",
            "checkpoint.json",
        ] {
            assert!(is_run_file(n), "{n}");
        }
        for n in [
            "part-.jsonl.zst",
            "part-0a.jsonl.zst",
            "notes.txt",
            "manifest.json.bak",
            ".corpusmill.lock",
            "data.jsonl.zst",
            "data.parquet",
            "part-x.parquet",
        ] {
            assert!(!is_run_file(n), "{n}");
        }
    }

    #[test]
    fn a_second_lock_fails_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path()).unwrap();
        let e = lock(dir.path()).unwrap_err().to_string();
        assert!(e.contains(&format!("pid {}", std::process::id())), "{e}");
        drop(first);
        lock(dir.path()).unwrap();
    }

    #[test]
    fn utc_formats_known_times() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_796_000_000), "2026-11-30 00:53:20 UTC");
    }
}
