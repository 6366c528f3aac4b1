//! `safebox bench`: the performance table. Every figure is printed beside
//! the raw limit it is bounded by, measured in the same run on the same
//! machine, and the ratio between them, so that a figure means the same on
//! a laptop and on a server.

use anyhow::{Context, Result};
use ed25519_dalek::SigningKey;
use indicatif::{ProgressBar, ProgressStyle};
use rocksdb::WriteOptions;
use safebox_api::datadir::DataDir;
use safebox_api::Node;
use safebox_chain::payload::{AgencyRegistered, LicenseIssued, Payload};
use safebox_chain::replay::replay;
use safebox_chain::storage;
use safebox_chain::{
    keys, AgencyCode, ChainId, Commitment, CredentialDigest, Entry, LicenseId, SignedEntry, Timestamp,
};
use sha2::{Digest, Sha256};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How much to measure.
pub struct BenchOptions {
    /// Entries in the chain the inclusion proof is measured on.
    pub proof_entries: u64,
    /// Entries appended while resident memory is sampled.
    pub memory_entries: u64,
    /// Pre-signed entries per throughput run.
    pub append_entries: usize,
    /// Signed licenses exported and verified offline from their bundles.
    pub license_bundles: usize,
    /// Signed licenses verified online, in process and over HTTP.
    pub http_licenses: usize,
    /// The parts of the table to measure; empty for all of them.
    pub only: Vec<Section>,
}

/// A part of the performance table, measured on its own with `--only`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Section {
    /// Appends, inclusion proofs, memory and replay of the ledger.
    Chain,
    /// Offline verification of license proof bundles.
    Licenses,
    /// Online verification, in process and over HTTP.
    Http,
    /// Document put and get.
    Vault,
}

pub(crate) struct Row {
    pub(crate) figure: String,
    pub(crate) value: String,
    pub(crate) limit: String,
    pub(crate) ratio: String,
    pub(crate) goal: String,
}

impl Row {
    /// A raw limit, which later rows are set against.
    pub(crate) fn raw(figure: impl Into<String>, value: String) -> Row {
        Row::fact(figure, value, "raw".into())
    }

    /// A figure with what explains it, but no ratio or goal.
    pub(crate) fn fact(figure: impl Into<String>, value: String, limit: String) -> Row {
        Row { figure: figure.into(), value, limit, ratio: String::new(), goal: String::new() }
    }
}

fn rate(n: f64, elapsed: Duration) -> f64 {
    n / elapsed.as_secs_f64()
}

fn fmt_rate(r: f64) -> String {
    format!("{:.0}/s", r)
}

/// Runs `f` repeatedly for about `budget`, returning operations per second.
fn per_second(budget: Duration, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..64 {
            f();
        }
        n += 64;
    }
    rate(n as f64, start.elapsed())
}

fn raw_ed25519() -> f64 {
    let samples = RawSignatures::new(300);
    let mut i = 0;
    per_second(Duration::from_secs(2), || {
        samples.verify(i);
        i += 1;
    })
}

/// Distinct signed messages for the raw Ed25519 limit. Verifying one
/// signature over and over is a few percent faster than verifying
/// different ones (the double scalar multiplication branches on the
/// scalars' digits, and a repeated pattern is predicted), and what the
/// figures set against it verify different signatures every time.
struct RawSignatures {
    public: keys::PublicKey,
    signed: Vec<(Vec<u8>, keys::Signature)>,
}

impl RawSignatures {
    fn new(message_len: usize) -> Self {
        let key = SigningKey::from_bytes(&[3; 32]);
        let signed = (0..1024u32)
            .map(|i| {
                let mut message = vec![0x5au8; message_len];
                message[..4].copy_from_slice(&i.to_be_bytes());
                let signature = keys::sign(&key, &message);
                (message, signature)
            })
            .collect();
        RawSignatures { public: keys::public_key(&key), signed }
    }

    /// Verifies the `i`-th signature (cycling through them).
    fn verify(&self, i: usize) {
        let (message, signature) = &self.signed[i % self.signed.len()];
        black_box(self.public.verify(black_box(message), signature)).expect("verifies");
    }
}

fn raw_sha256() -> f64 {
    let data = [0xa5u8; 64];
    per_second(Duration::from_secs(1), || {
        black_box(Sha256::digest(black_box(&data)));
    })
}

fn raw_synced_writes() -> Result<f64> {
    let tmp = tempfile::tempdir()?;
    let db = storage::open_db(tmp.path(), &storage::COLUMN_FAMILIES)?;
    let cf = db.cf_handle(storage::CF_STATE).context("cf")?;
    let mut opts = WriteOptions::default();
    opts.set_sync(true);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(2) {
        let mut batch = rocksdb::WriteBatch::default();
        batch.put_cf(&cf, n.to_be_bytes(), [0u8; 300]);
        db.write_opt(batch, &opts)?;
        n += 1;
    }
    Ok(rate(n as f64, start.elapsed()))
}

/// A node in a temporary folder with one registered agency.
pub(crate) struct BenchNode {
    pub(crate) node: std::sync::Arc<Node>,
    pub(crate) agency: AgencyCode,
    pub(crate) agency_key: SigningKey,
    _tmp: tempfile::TempDir,
}

impl BenchNode {
    pub(crate) fn new() -> Result<Self> {
        let tmp = tempfile::tempdir()?;
        let node = Node::init(DataDir::new(tmp.path().join("data")), "bench.safebox")?;
        let root = node.dir.root_key()?;
        let agency_key = SigningKey::from_bytes(&[9; 32]);
        let agency = AgencyCode::with_check_character("11370100MB2855910")?;
        let register = Payload::AgencyRegistered(AgencyRegistered {
            agency: agency.clone(),
            name: "bench agency".into(),
            key: keys::public_key(&agency_key),
        });
        node.ledger.append(Entry::new(ChainId::License, &keys::public_key(&root), register).sign(&root))?;
        Ok(BenchNode { node: std::sync::Arc::new(node), agency, agency_key, _tmp: tmp })
    }

    fn issuance(&self, serial: u64) -> SignedEntry {
        let issued = LicenseIssued {
            license: LicenseId::parse(&format!("B-{serial}")).expect("id"),
            agency: self.agency.clone(),
            license_type: "11100000000000000000001".into(),
            holder: Commitment([7; 32]),
            credential: CredentialDigest([9; 32]),
            valid_from: Timestamp(1_700_000_000_000),
            valid_until: None,
            previous: None,
        };
        Entry::new(ChainId::License, &keys::public_key(&self.agency_key), Payload::LicenseIssued(issued))
            .sign(&self.agency_key)
    }

    /// Appends the entries from `writers` threads; returns appends/s.
    pub(crate) fn append_all(&self, entries: Vec<SignedEntry>, writers: usize) -> f64 {
        let count = entries.len();
        let next = AtomicUsize::new(0);
        let slots: Vec<std::sync::Mutex<Option<SignedEntry>>> =
            entries.into_iter().map(|e| std::sync::Mutex::new(Some(e))).collect();
        let start = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..writers {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    let entry = slots[i].lock().expect("slot").take().expect("entry");
                    self.node.ledger.append(entry).expect("append");
                });
            }
        });
        rate(count as f64, start.elapsed())
    }
}

fn resident_mb() -> f64 {
    crate::procfs::kib("/proc/self/status", "VmRSS").map_or(f64::NAN, |kib| kib as f64 / 1024.0)
}

fn progress(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg:>24} [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})")
            .expect("template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

pub fn run(options: &BenchOptions) -> Result<()> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let wanted = |section| options.only.is_empty() || options.only.contains(&section);
    let mut rows = Vec::new();
    if wanted(Section::Chain) {
        rows.extend(chain_rows(options, cores)?);
    }
    if wanted(Section::Licenses) {
        rows.extend(license_rows(options.license_bundles)?);
    }
    if wanted(Section::Http) {
        rows.extend(crate::bench_http::rows(options.http_licenses)?);
    }
    if wanted(Section::Vault) {
        rows.extend(crate::bench_vault::rows()?);
    }
    print_table(&rows, cores);
    Ok(())
}

/// The ledger's rows: raw limits, then memory and proofs on a large chain,
/// appends with 1, 16 and 256 writers, and replay of what was appended.
fn chain_rows(options: &BenchOptions, cores: usize) -> Result<Vec<Row>> {
    eprintln!("measuring raw limits…");
    let ed = raw_ed25519();
    let sha = raw_sha256();
    let synced = raw_synced_writes()?;
    let mut rows = vec![
        Row::raw("Ed25519 verify_strict, 1 core", fmt_rate(ed)),
        Row::raw("SHA-256 of 64 bytes, 1 core", fmt_rate(sha)),
        Row::raw("RocksDB synced batch writes", fmt_rate(synced)),
    ];

    // First, while the process is fresh: resident memory while growing a
    // large chain, and inclusion proofs in it.
    let big = BenchNode::new()?;
    let target = options.proof_entries.max(options.memory_entries);
    let bar = progress(target, "growing the chain");
    let base_rss = resident_mb();
    let mut peak_rss = base_rss;
    let next = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..64 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= target {
                    break;
                }
                big.node.ledger.append(big.issuance(i)).expect("append");
                bar.inc(1);
            });
        }
        while next.load(Ordering::Relaxed) < target {
            std::thread::sleep(Duration::from_millis(250));
            peak_rss = peak_rss.max(resident_mb());
        }
    });
    let grown = big.node.ledger.store().memory()?;
    bar.finish_and_clear();
    let size = big.node.ledger.head(ChainId::License)?.size;
    let ledger = &big.node.ledger;
    // Random leaves: the first pass finds the upper hashes on disk, later
    // passes in memory (see `ChainStore`). Both are reported.
    let mut i = 0u64;
    let mut time_proofs = |budget: Duration| -> Result<f64> {
        let start = Instant::now();
        let mut proofs = 0u64;
        while start.elapsed() < budget {
            let index = (i.wrapping_mul(2_654_435_761)) % size;
            black_box(ledger.inclusion_proof(ChainId::License, index, size)?);
            i += 1;
            proofs += 1;
        }
        Ok(start.elapsed().as_secs_f64() * 1e6 / proofs as f64)
    };
    eprintln!("timing inclusion proofs…");
    let cold = time_proofs(Duration::from_secs(2))?;
    let _ = time_proofs(Duration::from_secs(3))?;
    let warm = time_proofs(Duration::from_secs(2))?;
    let path = safebox_chain::proof::inclusion_path_len(size / 2, size);
    let hashing = path as f64 * 1e6 / sha;
    for (label, micros) in [("first 2 s", cold), ("after 5 s", warm)] {
        rows.push(Row {
            figure: format!("inclusion proof at {size} entries, {label}"),
            value: format!("{micros:.1} µs"),
            limit: format!("{hashing:.2} µs to hash its {path} nodes"),
            ratio: format!("{:.1}", micros / hashing),
            goal: "< 20 µs".into(),
        });
    }
    rows.push(Row {
        figure: format!("resident memory, appending {target} entries"),
        value: format!("{peak_rss:.0} MB peak"),
        limit: format!("{base_rss:.0} MB at start"),
        ratio: format!("{:.2}", peak_rss / base_rss),
        goal: "< 300 MB".into(),
    });
    let proved = big.node.ledger.store().memory()?;
    rows.push(Row::fact(
        "  of it, RocksDB memtables + indexes and filters",
        format!("{:.0} MB", (grown.memtables + grown.table_readers) as f64 / 1e6),
        format!("{:.0} MB + {:.0} MB", grown.memtables as f64 / 1e6, grown.table_readers as f64 / 1e6),
    ));
    rows.push(Row::fact(
        "upper Merkle levels kept for proofs, after them",
        format!("{:.0} MB", proved.upper_levels as f64 / 1e6),
        format!("{:.0} MB budget", safebox_chain::storage::UPPER_LEVELS_BUDGET_BYTES as f64 / 1e6),
    ));
    drop(big);

    let bench = BenchNode::new()?;
    let sample = bench.issuance(0).canonical_bytes().len();
    let mut serial = 1u64;
    for writers in [1usize, 16, 256] {
        let n = if writers == 1 { options.append_entries.min(2_000) } else { options.append_entries };
        eprintln!("signing {n} entries for {writers} writer(s)…");
        let entries: Vec<_> = (0..n as u64).map(|i| bench.issuance(serial + i)).collect();
        serial += n as u64;
        eprintln!("appending…");
        let r = bench.append_all(entries, writers);
        let (limit, ceiling) =
            if writers == 1 { ("synced writes", synced) } else { ("Ed25519 × cores", ed * cores as f64) };
        rows.push(Row {
            figure: format!("durable appends, {writers} writer(s), {sample} B entries"),
            value: fmt_rate(r),
            limit: format!("{} {}", fmt_rate(ceiling), limit),
            ratio: format!("{:.2}", r / ceiling),
            goal: if writers == 256 { "50000/s".into() } else { String::new() },
        });
    }

    // Replay of everything appended so far.
    let size = bench.node.ledger.head(ChainId::License)?.size;
    let start = Instant::now();
    replay(bench.node.ledger.store(), &mut |_, _| {}).map_err(|d| anyhow::anyhow!("replay: {d}"))?;
    let r = rate(size as f64, start.elapsed());
    rows.push(Row {
        figure: format!("replay, {size} entries"),
        value: fmt_rate(r),
        limit: format!("{} Ed25519 1 core", fmt_rate(ed)),
        ratio: format!("{:.2}", r / ed),
        goal: "≥ 0.70".into(),
    });
    Ok(rows)
}

/// The processor's model name, as Linux reports it.
fn cpu_model() -> String {
    crate::procfs::field("/proc/cpuinfo", "model name").unwrap_or_else(|| "an unknown processor".into())
}

/// The machine's memory, as Linux reports it.
fn memory() -> String {
    crate::procfs::kib("/proc/meminfo", "MemTotal")
        .map_or_else(|| "unknown memory".into(), |kib| format!("{:.0} GiB", kib as f64 / (1u64 << 20) as f64))
}

/// Offline license verification: `count` licenses with real eddsa-jcs-2022
/// signatures, issued on a node and exported in one `build_bundles`, then
/// every bundle verified by a verifier reused across them (warm: the shared
/// checkpoint and snapshot notes are verified once) and by a new verifier
/// per bundle (cold: both notes again each time). Each warm verification
/// still checks the credential's own signature, which bounds it by one
/// Ed25519 verification; the figure is set against raw `verify_strict` of
/// a 64-byte message (what eddsa-jcs-2022 signs), measured in turns with
/// it.
fn license_rows(count: usize) -> Result<Vec<Row>> {
    use safebox_chain::credential::UtcTime;
    use safebox_chain::verify::{build_bundles, BundleVerifier, NodeVerifierKey};

    let count = count.max(1);
    eprintln!("signing and issuing {count} licenses for offline verification…");
    let bench = BenchNode::new()?;
    let credentials = bench_licenses(&bench, count)?;
    let ledger = &bench.node.ledger;
    let bundles: Vec<Vec<u8>> =
        build_bundles(ledger, &bench.node.dir.node_key()?, &credentials)?.iter().map(|b| b.to_json_bytes()).collect();
    let vkey = NodeVerifierKey::new(ledger.node_name(), ledger.node_key()).to_string();
    let now = UtcTime::parse("2024-06-01T00:00:00Z")?.timestamp();
    let check = |verdict: safebox_chain::verify::Verdict| -> Result<()> {
        match verdict.first_failure() {
            None => Ok(()),
            Some(failed) => anyhow::bail!("a bench bundle failed {}: {}", failed.name, failed.text()),
        }
    };

    // Raw Ed25519 is measured interleaved with the bundles, in turns of a
    // hundred each, so that other load on the machine weighs on both alike.
    let raw = RawSignatures::new(64);
    let measure = |fresh: bool| -> Result<(f64, f64)> {
        let mut verifier = BundleVerifier::trusting(&vkey)?;
        let (mut bundles_done, mut bundle_time) = (0usize, Duration::ZERO);
        let (mut raw_done, mut raw_time) = (0usize, Duration::ZERO);
        while bundles_done < count || bundle_time + raw_time < Duration::from_secs(4) {
            for turn in bundles.chunks(100) {
                let start = Instant::now();
                for bundle in turn {
                    if fresh {
                        verifier = BundleVerifier::trusting(&vkey)?;
                    }
                    check(black_box(verifier.verify(black_box(bundle), now)?))?;
                }
                bundle_time += start.elapsed();
                bundles_done += turn.len();
                let start = Instant::now();
                for i in raw_done..raw_done + 100 {
                    raw.verify(i);
                }
                raw_time += start.elapsed();
                raw_done += 100;
            }
        }
        Ok((rate(bundles_done as f64, bundle_time), rate(raw_done as f64, raw_time)))
    };
    eprintln!("verifying {count} bundles offline…");
    let (warm, warm_raw) = measure(false)?;
    let (cold, cold_raw) = measure(true)?;
    let size = bundles.iter().map(Vec::len).sum::<usize>() / bundles.len();
    Ok(vec![
        Row {
            figure: format!("offline license verify, warm, {count} bundles ({size} B)"),
            value: fmt_rate(warm),
            limit: format!("{} Ed25519 (interleaved)", fmt_rate(warm_raw)),
            ratio: format!("{:.2}", warm / warm_raw),
            goal: "≥ 0.60".into(),
        },
        Row {
            figure: "offline license verify, cold (new verifier each)".into(),
            value: fmt_rate(cold),
            limit: format!("{} Ed25519 (interleaved)", fmt_rate(cold_raw)),
            ratio: format!("{:.2}", cold / cold_raw),
            goal: String::new(),
        },
    ])
}

/// `count` licenses with real eddsa-jcs-2022 signatures by the bench
/// agency, issued on `bench`'s license chain.
pub(crate) fn bench_licenses(bench: &BenchNode, count: usize) -> Result<Vec<safebox_chain::credential::SignedLicense>> {
    use safebox_chain::credential::{
        credential_digest, sign_license, AreaCode, CivilDate, HolderCode, LicenseFields, LicenseIdentifier,
        LicenseTypeCode, UtcTime, VerificationMethod,
    };
    let type_code = LicenseTypeCode::parse("11100000000013338W011")?;
    let method = VerificationMethod::did_key(&keys::public_key(&bench.agency_key));
    let created = UtcTime::parse("2024-01-02T03:04:05Z")?;
    let holder = HolderCode::UnifiedSocialCreditCode(AgencyCode::with_check_character("91370100MA3C00000")?);
    let mut credentials = Vec::with_capacity(count);
    let mut entries = Vec::with_capacity(count);
    for i in 0..count {
        let fields = LicenseFields {
            identifier: LicenseIdentifier::new(&type_code, &bench.agency, &format!("B{i:08}"), 1)?,
            license_name: "营业执照".into(),
            license_number: format!("BENCH{i:08}"),
            holder_name: "济南示例科技有限公司".into(),
            holder_code: holder.clone(),
            issuing_agency: "bench agency".into(),
            issue_date: CivilDate::parse("2024-01-02")?,
            validity_start: CivilDate::parse("2024-01-02")?,
            validity_end: Some(CivilDate::parse("2044-01-01")?),
            jurisdiction_code: AreaCode::parse("370171")?,
            previous_identifier: None,
        };
        let credential = sign_license(fields, &bench.agency_key, &method, created)?;
        let license = credential.license();
        let issued = LicenseIssued {
            license: license.identifier().license_id(),
            agency: bench.agency.clone(),
            license_type: type_code.as_str().to_owned(),
            holder: Commitment([7; 32]),
            credential: credential_digest(&credential),
            valid_from: license.valid_from().timestamp(),
            valid_until: license.valid_until().map(|t| t.timestamp()),
            previous: None,
        };
        let entry = Entry::new(ChainId::License, &keys::public_key(&bench.agency_key), Payload::LicenseIssued(issued));
        entries.push(entry.sign(&bench.agency_key));
        credentials.push(credential);
    }
    bench.append_all(entries, 64);
    Ok(credentials)
}

fn print_table(rows: &[Row], cores: usize) {
    println!(
        "Safebox performance on {} ({cores} cores, {}; every limit measured in the same run)",
        cpu_model(),
        memory()
    );
    println!("{:<52} {:>14} {:>34} {:>6} {:>9}", "figure", "value", "limit", "ratio", "goal");
    for r in rows {
        println!("{:<52} {:>14} {:>34} {:>6} {:>9}", r.figure, r.value, r.limit, r.ratio, r.goal);
    }
}
