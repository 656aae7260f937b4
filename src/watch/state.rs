//! Checkpoints in `--state-dir`: where each followed file stands and the
//! dedupe memory, so a restarted exitscan resumes without losing or
//! double-counting a termination.
//!
//! `checkpoint.json` is rewritten atomically (temp file + rename) at most every
//! `--checkpoint-interval` and on shutdown. Between checkpoints, the fingerprint
//! of every counted record is appended to `journal` *before* the record is
//! written or counted; a restart loads the checkpoint and replays the journal,
//! so a record re-read after a crash (files resume from the last checkpoint's
//! offsets) is recognized as a repeat.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Where one followed file stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    pub path: String,
    pub dev: u64,
    pub ino: u64,
    /// Truncations seen (copy-truncate rotation).
    pub generation: u64,
    /// Resume here: a line start before which everything was processed.
    pub offset: u64,
    /// The line number at `offset`.
    pub line: u64,
    /// Length and hash of the file's first bytes (to notice a rewrite while away).
    #[serde(default)]
    pub head: Option<(usize, u64)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub version: u32,
    pub files: Vec<FileState>,
    /// Dedupe memory, least recently seen first.
    pub fingerprints: Vec<u64>,
}

pub struct StateDir {
    dir: PathBuf,
    journal: File,
}

impl StateDir {
    /// Opens (creating) the directory; returns it with the saved checkpoint
    /// and the fingerprints journaled since.
    pub fn open(dir: &Path) -> Result<(StateDir, Option<Checkpoint>, Vec<u64>), String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("--state-dir {}: {}", dir.display(), crate::app::io_reason(&e)))?;
        let cp_path = dir.join("checkpoint.json");
        let checkpoint = match std::fs::read(&cp_path) {
            Ok(bytes) => match serde_json::from_slice::<Checkpoint>(&bytes) {
                Ok(c) => Some(c),
                Err(e) => {
                    // Keep the bad file for inspection; start from scratch.
                    let aside = dir.join("checkpoint.json.bad");
                    let _ = std::fs::rename(&cp_path, &aside);
                    eprintln!(
                        "exitscan: {}: unreadable checkpoint ({e}); moved to {}",
                        cp_path.display(),
                        aside.display()
                    );
                    None
                }
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("{}: {}", cp_path.display(), crate::app::io_reason(&e))),
        };
        let jpath = dir.join("journal");
        let mut journaled = Vec::new();
        if let Ok(mut f) = File::open(&jpath) {
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).map_err(|e| format!("{}: {}", jpath.display(), crate::app::io_reason(&e)))?;
            // A torn last entry (killed mid-write) is ignored.
            for chunk in bytes.chunks_exact(8) {
                let mut b = [0u8; 8];
                b.copy_from_slice(chunk);
                journaled.push(u64::from_le_bytes(b));
            }
        }
        let journal = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&jpath)
            .map_err(|e| format!("{}: {}", jpath.display(), crate::app::io_reason(&e)))?;
        Ok((StateDir { dir: dir.to_path_buf(), journal }, checkpoint, journaled))
    }

    /// A second handle on the journal for the pipeline's write-ahead hook.
    pub fn journal_writer(&self) -> io::Result<File> {
        self.journal.try_clone()
    }

    /// Writes the checkpoint atomically, then empties the journal it covers.
    pub fn save(&mut self, c: &Checkpoint) -> io::Result<()> {
        let tmp = self.dir.join(".checkpoint.json.tmp");
        {
            let mut f = File::create(&tmp)?;
            serde_json::to_writer(&mut f, c).map_err(io::Error::other)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, self.dir.join("checkpoint.json"))?;
        // Everything journaled so far is in the checkpoint now.
        self.journal.set_len(0)?;
        Ok(())
    }
}

/// Appends one fingerprint to the journal.
pub fn journal_append(f: &mut File, fp: u64) {
    // A failed append only weakens dedupe after a crash; it must not stop counting.
    let _ = f.write_all(&fp.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_with_journal() {
        let d = tempfile::tempdir().unwrap();
        let (s, cp, j) = StateDir::open(d.path()).unwrap();
        assert!(cp.is_none() && j.is_empty());
        let mut w = s.journal_writer().unwrap();
        journal_append(&mut w, 7);
        journal_append(&mut w, 9);
        drop(s);
        let (mut s, cp, j) = StateDir::open(d.path()).unwrap();
        assert!(cp.is_none());
        assert_eq!(j, vec![7, 9]);
        let c = Checkpoint {
            version: 1,
            files: vec![FileState {
                path: "/x".into(),
                dev: 1,
                ino: 2,
                generation: 0,
                offset: 10,
                line: 3,
                head: Some((4, 5)),
            }],
            fingerprints: vec![7, 9],
        };
        s.save(&c).unwrap();
        let (_s, cp, j) = StateDir::open(d.path()).unwrap();
        assert_eq!(cp, Some(c));
        assert!(j.is_empty());
    }

    #[test]
    fn a_corrupt_checkpoint_is_set_aside() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("checkpoint.json"), b"{not json").unwrap();
        let (_s, cp, _) = StateDir::open(d.path()).unwrap();
        assert!(cp.is_none());
        assert!(d.path().join("checkpoint.json.bad").exists());
    }
}
