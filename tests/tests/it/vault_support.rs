//! Shared pieces of the vault tests: a database laid out as the node lays
//! it out (chain and vault column families), deterministic content of any
//! size that is never held whole, raw access to stored rows, and a way to
//! run one test function in a child process.

use safebox_chain::storage::open_db;
use safebox_vault::storage::{chunk_key, CF_CHUNKS};
use safebox_vault::{
    BoxId, DocumentId, DocumentMeta, DocumentType, MasterKey, NewDocument, Vault, Version, CHUNK_SIZE,
};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

pub type Db = Arc<rocksdb::DB>;

/// The node's column families: the chain's and the vault's, in one DB.
pub fn column_families() -> Vec<&'static str> {
    let mut names = safebox_chain::storage::COLUMN_FAMILIES.to_vec();
    names.extend(safebox_vault::COLUMN_FAMILIES);
    names
}

/// A new vault in a temporary folder of its own.
pub struct Fresh {
    pub db: Db,
    pub vault: Vault,
    pub master: MasterKey,
    /// The database folder, for reopening and scanning.
    pub path: PathBuf,
    /// The folder is deleted when this is dropped: bind it for the test.
    pub _tmp: tempfile::TempDir,
}

pub fn fresh() -> Fresh {
    let _tmp = tempfile::tempdir().unwrap();
    let path = _tmp.path().join("db");
    let master = MasterKey::generate();
    let (db, vault) = open(&path, &master);
    Fresh { db, vault, master, path, _tmp }
}

/// Opens (creating) the database at `path` and a vault on it.
pub fn open(path: &Path, master: &MasterKey) -> (Db, Vault) {
    let db = open_db(path, &column_families()).expect("open database");
    let vault = Vault::open(db.clone(), master.clone()).expect("open vault");
    (db, vault)
}

pub fn new_document(document_type: &str) -> NewDocument {
    NewDocument {
        document_type: DocumentType::new(document_type).unwrap(),
        name: format!("{document_type}.pdf"),
        media_type: "application/pdf".into(),
    }
}

/// Uploads `content` as the next version of `document_type`.
pub fn put(vault: &Vault, box_id: BoxId, document_type: &str, content: &[u8]) -> DocumentMeta {
    vault.put_document(box_id, &new_document(document_type), content).expect("upload")
}

/// The plaintext of one version, or the error.
pub fn read(vault: &Vault, meta: &DocumentMeta) -> Result<Vec<u8>, safebox_vault::VaultError> {
    let mut out = Vec::new();
    vault.read_document(meta.box_id, meta.document, meta.version, &mut out)?;
    Ok(out)
}

/// `len` bytes from a seeded splitmix64 stream: every chunk differs, so
/// reordering is visible.
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    PatternReader::new(seed, len as u64).read_to_end(&mut out).unwrap();
    out
}

/// Deterministic content of any length, generated as it is read.
pub struct PatternReader {
    state: u64,
    remaining: u64,
    pub hasher: blake3::Hasher,
}

impl PatternReader {
    pub fn new(seed: u64, len: u64) -> Self {
        PatternReader { state: seed, remaining: len, hasher: blake3::Hasher::new() }
    }

    fn next_word(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Read for PatternReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Whole words only (except at the very end), so the stream does not
        // depend on how the caller sizes its reads.
        let n = (buf.len() as u64).min(self.remaining) as usize;
        let n = if n >= 8 { n - n % 8 } else { n };
        for word in buf[..n].chunks_mut(8) {
            let bytes = self.next_word().to_le_bytes();
            word.copy_from_slice(&bytes[..word.len()]);
        }
        self.hasher.update(&buf[..n]);
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// A writer that keeps only the length and BLAKE3 of what it is given.
#[derive(Default)]
pub struct HashingWriter {
    pub len: u64,
    pub hasher: blake3::Hasher,
}

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.hasher.update(buf);
        self.len += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The stored (sealed) bytes of one chunk, if present.
pub fn raw_chunk(db: &Db, box_id: BoxId, document: DocumentId, version: Version, chunk: u64) -> Option<Vec<u8>> {
    let cf = db.cf_handle(CF_CHUNKS).unwrap();
    db.get_cf(&cf, chunk_key(box_id, document, version, chunk)).unwrap()
}

/// Replaces (or, with `None`, deletes) one stored chunk.
pub fn set_raw_chunk(db: &Db, box_id: BoxId, document: DocumentId, version: Version, chunk: u64, bytes: Option<&[u8]>) {
    let cf = db.cf_handle(CF_CHUNKS).unwrap();
    let key = chunk_key(box_id, document, version, chunk);
    match bytes {
        Some(bytes) => db.put_cf(&cf, key, bytes).unwrap(),
        None => db.delete_cf(&cf, key).unwrap(),
    }
}

/// How many chunks of one version are stored (counting up from chunk 0).
pub fn stored_chunks(db: &Db, box_id: BoxId, document: DocumentId, version: Version) -> u64 {
    (0..).take_while(|i| raw_chunk(db, box_id, document, version, *i).is_some()).count() as u64
}

/// Chunk sizes worth testing around: one chunk, less one byte, and so on.
pub const CHUNK: usize = CHUNK_SIZE;

/// Runs the `#[ignore]`d test `name` of this binary alone in a child
/// process with `env` set, and returns what it printed.
pub fn run_child(name: &str, env: &[(&str, &str)]) -> Output {
    let exe = std::env::current_exe().expect("test executable");
    let mut command = Command::new(exe);
    command.args([name, "--exact", "--ignored", "--nocapture", "--test-threads=1"]);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run child test")
}

/// Every file under `dir`, with its bytes.
pub fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            // A file RocksDB deleted since the listing has nothing to find.
            out.push((path.display().to_string(), bytes));
        }
    }
    out
}

/// The files under `dir` that contain `needle`.
pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    files(dir)
        .into_iter()
        .filter(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle))
        .map(|(name, _)| name)
        .collect()
}
