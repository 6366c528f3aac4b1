//! `safebox bench`, the vault's rows: document put and get throughput
//! against raw XChaCha20-Poly1305 and the disk's synced write rate.

use crate::bench::Row;
use anyhow::Result;
use safebox_chain::storage;
use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

/// A deterministic source of `left` bytes, cheap enough not to be what is
/// measured: it copies from one pattern block (a per-byte loop here cost
/// as much as the encryption it fed).
struct Pattern {
    left: usize,
    block: Vec<u8>,
}

impl Pattern {
    fn new(len: usize) -> Self {
        Pattern { left: len, block: (0..64 * 1024).map(|i| (i % 251) as u8).collect() }
    }
}

impl std::io::Read for Pattern {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.left).min(self.block.len());
        buf[..n].copy_from_slice(&self.block[..n]);
        self.left -= n;
        Ok(n)
    }
}

/// XChaCha20-Poly1305 over 64 KiB chunks on one core: the ceiling of any
/// encrypted store.
fn raw_xchacha_bytes_per_second() -> f64 {
    use chacha20poly1305::aead::{AeadInPlace, KeyInit};
    use chacha20poly1305::{XChaCha20Poly1305, XNonce};
    let cipher = XChaCha20Poly1305::new(&[7u8; 32].into());
    let mut chunk = vec![0x5au8; safebox_vault::CHUNK_SIZE];
    let nonce = XNonce::default();
    let start = Instant::now();
    let mut bytes = 0usize;
    while start.elapsed() < Duration::from_secs(2) {
        let tag = cipher.encrypt_in_place_detached(&nonce, b"aad", &mut chunk).expect("encrypts");
        black_box(tag);
        bytes += chunk.len();
    }
    bytes as f64 / start.elapsed().as_secs_f64()
}

/// Writes `bytes` to a new file in `dir` in 1 MiB writes, then syncs it:
/// the most a durable put can store per second on this disk.
fn raw_synced_file_bytes_per_second(dir: &std::path::Path, bytes: usize) -> Result<f64> {
    let block = vec![0x5au8; 1 << 20];
    let path = dir.join("disk-probe");
    let start = Instant::now();
    let mut file = std::fs::File::create(&path)?;
    for _ in 0..bytes / block.len() {
        file.write_all(&block)?;
    }
    file.sync_all()?;
    let rate = bytes as f64 / start.elapsed().as_secs_f64();
    drop(file);
    std::fs::remove_file(&path)?;
    Ok(rate)
}

/// Put and get throughput of documents of 1 MiB and 64 MiB against raw
/// XChaCha20-Poly1305 on one core. A put is durable when it returns, so it
/// is also bounded by the disk's synced write rate, measured beside it;
/// whichever is lower is the put's real ceiling.
pub(crate) fn rows() -> Result<Vec<Row>> {
    eprintln!("measuring the vault…");
    let raw = raw_xchacha_bytes_per_second();
    let tmp = tempfile::tempdir()?;
    let disk = raw_synced_file_bytes_per_second(tmp.path(), 256 << 20)?;
    let mib = |b: f64| format!("{:.0} MiB/s", b / (1 << 20) as f64);
    let mut rows = vec![
        Row::raw("XChaCha20-Poly1305, 64 KiB chunks, 1 core", mib(raw)),
        Row::raw("synced file write, 256 MiB in 1 MiB writes", mib(disk)),
    ];
    let mut cfs = storage::COLUMN_FAMILIES.to_vec();
    cfs.extend(safebox_vault::COLUMN_FAMILIES);
    let db = storage::open_db(tmp.path(), &cfs)?;
    let vault = safebox_vault::Vault::open(db, safebox_vault::MasterKey::generate())?;
    let owner = vault.create_box()?;
    for (size, count) in [(1usize << 20, 64usize), (64 << 20, 4)] {
        let new = safebox_vault::NewDocument {
            document_type: safebox_vault::DocumentType::new(format!("bench-{size}"))?,
            name: "bench.bin".into(),
            media_type: "application/octet-stream".into(),
        };
        let start = Instant::now();
        let mut metas = Vec::new();
        for _ in 0..count {
            metas.push(vault.put_document(owner, &new, Pattern::new(size))?);
        }
        let put = (size * count) as f64 / start.elapsed().as_secs_f64();
        // A large put leaves its pages out of the page cache (see the
        // vault's staging), so the first read comes from the disk and the
        // second from memory; both are reported.
        let mut gets = Vec::new();
        for _ in 0..2 {
            let start = Instant::now();
            for meta in &metas {
                vault.read_document(owner, meta.document, meta.version, &mut std::io::sink())?;
            }
            gets.push((size * count) as f64 / start.elapsed().as_secs_f64());
        }
        let label = format!("{} MiB", size >> 20);
        let goal = if size == 64 << 20 { "≥ 0.70" } else { "" };
        rows.push(Row {
            figure: format!("vault put, {label} documents"),
            value: mib(put),
            limit: format!("{} raw", mib(raw)),
            ratio: format!("{:.2}", put / raw),
            goal: goal.into(),
        });
        rows.push(Row {
            figure: format!("vault put, {label} documents, against the disk"),
            value: mib(put),
            limit: format!("{} synced writes", mib(disk)),
            ratio: format!("{:.2}", put / disk),
            goal: String::new(),
        });
        for (pass, get) in ["first read", "read again"].iter().zip(gets) {
            rows.push(Row {
                figure: format!("vault get, {label} documents, {pass}"),
                value: mib(get),
                limit: format!("{} raw", mib(raw)),
                ratio: format!("{:.2}", get / raw),
                goal: goal.into(),
            });
        }
    }
    Ok(rows)
}
