//! Large uploads: sealed chunks written once into a table file of their own and ingested whole.
//!
//! Put through the write-ahead log, a chunk reaches the disk twice (log,
//! then table at flush) and again at every compaction that moves it down
//! the tree; for documents of many megabytes that was most of an upload's
//! cost (0.12 of raw XChaCha20-Poly1305 measured for 64 MiB). The chunks of
//! one version have keys nothing else writes (box, document, version,
//! chunk), in order, so they can instead be written straight into an SST
//! file beside the database and handed to RocksDB in one atomic ingestion,
//! which places the file at the lowest level its key range fits: the bytes
//! are written once and not rewritten until they are deleted.
//!
//! RocksDB's table writer starts the write-back of what it wrote every
//! megabyte (it advises the kernel to drop the file's pages, which on Linux
//! writes dirty ones out first), so the disk works while the next chunks
//! are sealed and the sync at the end has little left to do.
//!
//! Small documents keep the plain path (up to 1 MiB, one synced batch with
//! their metadata): a file, its sync and a manifest update cost more.

use crate::error::VaultError;
use rocksdb::{AsColumnFamilyRef, DBCompressionType, IngestExternalFileOptions, Options, SstFileWriter, DB};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Folder inside the database's folder where table files are written
/// before ingestion. RocksDB ignores names it does not know there.
const STAGING_DIR: &str = "vault-staging";

/// The table writer's options: ciphertext does not compress, so trying
/// would only cost time.
fn writer_options() -> &'static Options {
    static OPTIONS: OnceLock<Options> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut options = Options::default();
        options.set_compression_type(DBCompressionType::None);
        options
    })
}

fn staging_dir(db: &DB) -> PathBuf {
    db.path().join(STAGING_DIR)
}

/// Deletes every staged file: what a crash left before ingestion. Only the
/// vault that owns the database may call this (at open), since it would
/// pull files from under uploads in flight.
pub(crate) fn clear_staging(db: &DB) -> Result<(), VaultError> {
    let dir = staging_dir(db);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error(&dir, e)),
    };
    for entry in entries {
        let path = entry.map_err(|e| io_error(&dir, e))?.path();
        std::fs::remove_file(&path).map_err(|e| io_error(&path, e))?;
    }
    Ok(())
}

/// One version's chunks being written into a table file.
pub(crate) struct StagedChunks {
    path: PathBuf,
    writer: SstFileWriter<'static>,
}

impl StagedChunks {
    /// A new, empty file named `name` in the staging folder.
    pub(crate) fn create(db: &DB, name: &str) -> Result<Self, VaultError> {
        let dir = staging_dir(db);
        std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        let path = dir.join(name);
        let writer = SstFileWriter::create(writer_options());
        writer.open(&path)?;
        Ok(StagedChunks { path, writer })
    }

    /// Adds one sealed chunk; keys must come in increasing order.
    pub(crate) fn put(&mut self, key: &[u8], sealed: &[u8]) -> Result<(), VaultError> {
        Ok(self.writer.put(key, sealed)?)
    }

    /// Finishes and syncs the file, then ingests it into `cf` atomically:
    /// all its chunks become part of the database, or none.
    pub(crate) fn ingest(mut self, db: &DB, cf: &impl AsColumnFamilyRef) -> Result<(), VaultError> {
        self.writer.finish()?;
        let mut options = IngestExternalFileOptions::default();
        // A hard link instead of a copy: the file was written for this.
        options.set_move_files(true);
        db.ingest_external_file_cf_opts(cf, &options, vec![&self.path])?;
        Ok(())
    }
}

impl Drop for StagedChunks {
    fn drop(&mut self) {
        // After ingestion the database holds its own link; before it (a
        // failed upload) the file is garbage. Either way this name goes.
        let _ = std::fs::remove_file(&self.path);
    }
}

fn io_error(path: &Path, e: std::io::Error) -> VaultError {
    VaultError::Storage(format!("{}: {e}", path.display()))
}
