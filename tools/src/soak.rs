//! `safebox soak`: a bounded soak of a running node over its HTTP API. For
//! a fixed time, clients with kept-alive connections run a mixed workload
//! as fast as the node answers: reads (online license verification,
//! checkpoints, inclusion proofs, downloads) and writes (uploads, grants,
//! agencies' reads under a grant, license issues, suspensions and
//! resumptions). Every answer but the one the workload expects is an
//! error. The node's resident memory is sampled every few seconds (from
//! `/proc/<pid>/status` with `--pid`, else from the node's `/metrics`).
//!
//! The verdict fails on any error, and on resident memory growing after the
//! warm-up (the first fifth of the run) by more than the stated bound: the
//! node's caches and memtables are bounded (RocksDB's block cache 32 MiB,
//! memtables 64 MiB in all), so growth past them after warm-up is a leak.

use crate::http_client::{Connection, Reply};
use anyhow::{bail, Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often resident memory is sampled.
const SAMPLE_EVERY: Duration = Duration::from_secs(2);
/// Versions, grants and licenses a client keeps to draw its reads from.
const KEEP: usize = 16;
const MATTER: &str = "370100-SL-0001";
const PURPOSE: &str = "企业设立登记审查";
/// What the clients upload, and what their grants name.
const DOCUMENT_TYPES: [&str; 2] = ["id-card", "lease"];

pub struct SoakOptions {
    pub server: String,
    pub token: String,
    pub seconds: u64,
    pub clients: usize,
    pub pid: Option<u32>,
    /// Largest growth of resident memory after warm-up, in MB.
    pub max_growth_mb: f64,
}

/// The kinds of operation, in the order the report prints them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    Verify,
    Checkpoint,
    Proof,
    Download,
    Upload,
    Grant,
    Use,
    Issue,
    Status,
}

impl Op {
    const ALL: [Op; 9] =
        [Op::Verify, Op::Checkpoint, Op::Proof, Op::Download, Op::Upload, Op::Grant, Op::Use, Op::Issue, Op::Status];

    fn name(self) -> &'static str {
        match self {
            Op::Verify => "read: verify license",
            Op::Checkpoint => "read: checkpoint",
            Op::Proof => "read: inclusion proof",
            Op::Download => "read: download",
            Op::Upload => "write: upload",
            Op::Grant => "write: grant",
            Op::Use => "write: agency read (use)",
            Op::Issue => "write: issue license",
            Op::Status => "write: suspend/resume",
        }
    }

    /// Relative frequency: six reads for four writes.
    fn weight(self) -> u32 {
        match self {
            Op::Verify => 20,
            Op::Checkpoint => 10,
            Op::Proof => 15,
            Op::Download => 15,
            Op::Upload => 12,
            Op::Grant => 6,
            Op::Use => 10,
            Op::Issue => 7,
            Op::Status => 5,
        }
    }
}

/// What one client measured.
#[derive(Default)]
struct Tally {
    /// Latency of every answered operation, µs, by kind.
    latencies: BTreeMap<Op, Vec<u32>>,
    errors: BTreeMap<Op, u64>,
    /// The first few errors, as they were.
    examples: Vec<String>,
}

/// A license a client issued: its id, the credential's text, and whether
/// the client last suspended it.
struct Held {
    id: String,
    credential: Vec<u8>,
    suspended: bool,
}

/// One client: an applicant's box and the agency acting on it.
struct Client {
    number: usize,
    connection: Connection,
    authority: String,
    box_id: String,
    box_ref: String,
    token: String,
    agency: String,
    agency_token: String,
    rng: StdRng,
    /// (document, version, size) of recent uploads.
    versions: Vec<(String, u64, u64)>,
    /// (grant, document reference) of recent grants.
    grants: Vec<(String, String)>,
    licenses: Vec<Held>,
    /// The size of each chain at the last checkpoint read.
    sizes: [u64; 2],
    tally: Tally,
}

fn text(value: &Value, field: &str) -> Result<String> {
    value[field].as_str().map(str::to_owned).with_context(|| format!("no {field} in {value}"))
}

fn keep<T>(list: &mut Vec<T>, item: T) {
    if list.len() == KEEP {
        list.remove(0);
    }
    list.push(item);
}

/// An agency code with a correct check character and random digits, so
/// that each soak registers an agency of its own.
fn fresh_agency_code(rng: &mut StdRng) -> Result<String> {
    let first17 = format!("1137010{:010}", rng.gen_range(0..10_000_000_000u64));
    Ok(safebox_chain::AgencyCode::with_check_character(&first17)?.to_string())
}

impl Client {
    fn call(&mut self, method: &str, path: &str, token: Option<&str>, body: Option<(&str, &[u8])>) -> Result<Reply> {
        match self.connection.request(method, path, token, body) {
            Ok(reply) => Ok(reply),
            Err(e) => {
                // The connection is in an unknown state: a new one for the
                // next request.
                self.connection = Connection::open(&self.authority)?;
                Err(e)
            }
        }
    }

    /// A call whose answer must be `expected`; its JSON body.
    fn expect_json(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        expected: u16,
    ) -> Result<Value> {
        let bytes = body.map(serde_json::to_vec).transpose()?;
        let reply = self.call(method, path, token, bytes.as_deref().map(|b| ("application/json", b)))?;
        Self::expected(&reply, expected, path)?;
        Ok(serde_json::from_slice(&reply.body).unwrap_or(Value::Null))
    }

    fn expected(reply: &Reply, expected: u16, what: &str) -> Result<()> {
        if reply.status != expected {
            bail!(
                "{what}: HTTP {} (expected {expected}) {}",
                reply.status,
                String::from_utf8_lossy(&reply.body).chars().take(200).collect::<String>()
            );
        }
        Ok(())
    }

    /// Opens the client's box and gives it a document, a grant and a
    /// license to read.
    fn prepare(
        number: usize,
        authority: &str,
        admin: &str,
        agency: &str,
        agency_token: &str,
        seed: u64,
    ) -> Result<Client> {
        let mut rng = StdRng::seed_from_u64(seed);
        let connection = Connection::open(authority)?;
        let mut client = Client {
            number,
            connection,
            authority: authority.to_owned(),
            box_id: String::new(),
            box_ref: String::new(),
            token: String::new(),
            agency: agency.to_owned(),
            agency_token: agency_token.to_owned(),
            rng: StdRng::seed_from_u64(rng.next_u64()),
            versions: Vec::new(),
            grants: Vec::new(),
            licenses: Vec::new(),
            sizes: [1, 1],
            tally: Tally::default(),
        };
        let code = format!("{:018}", rng.gen_range(0..1_000_000_000_000_000_000u64));
        let opened =
            client.expect_json("POST", "/v1/boxes", Some(admin), Some(&json!({ "applicant_code": code })), 201)?;
        client.box_id = text(&opened, "box")?;
        client.box_ref = text(&opened, "box_ref")?;
        client.token = text(&opened, "token")?;
        // Both types a grant names, so that every agency read finds one.
        for document_type in DOCUMENT_TYPES {
            client.upload_of(document_type)?;
        }
        client.grant()?;
        client.issue()?;
        client.checkpoint()?;
        Ok(client)
    }

    fn run(&mut self, deadline: Instant, done: &AtomicU64, failed: &AtomicU64) {
        let total: u32 = Op::ALL.iter().map(|op| op.weight()).sum();
        while Instant::now() < deadline {
            let mut roll = self.rng.gen_range(0..total);
            let op = *Op::ALL
                .iter()
                .find(|op| {
                    if roll < op.weight() {
                        true
                    } else {
                        roll -= op.weight();
                        false
                    }
                })
                .expect("a roll below the total weight picks an operation");
            let started = Instant::now();
            let result = match op {
                Op::Verify => self.verify(),
                Op::Checkpoint => self.checkpoint(),
                Op::Proof => self.proof(),
                Op::Download => self.download(),
                Op::Upload => self.upload(),
                Op::Grant => self.grant(),
                Op::Use => self.use_document(),
                Op::Issue => self.issue(),
                Op::Status => self.change_status(),
            };
            let micros = started.elapsed().as_micros().min(u32::MAX as u128) as u32;
            match result {
                Ok(()) => {
                    self.tally.latencies.entry(op).or_default().push(micros);
                    done.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    *self.tally.errors.entry(op).or_default() += 1;
                    failed.fetch_add(1, Ordering::Relaxed);
                    if self.tally.examples.len() < 5 {
                        self.tally.examples.push(format!("client {}: {}: {e:#}", self.number, op.name()));
                    }
                }
            }
        }
    }

    fn verify(&mut self) -> Result<()> {
        let i = self.rng.gen_range(0..self.licenses.len());
        let credential = std::mem::take(&mut self.licenses[i].credential);
        let reply = self.call("POST", "/v1/licenses/verify", None, Some(("application/json", &credential)));
        self.licenses[i].credential = credential;
        let reply = reply?;
        Self::expected(&reply, 200, "verify")?;
        let answer: Value = serde_json::from_slice(&reply.body)?;
        // A suspended license fails its status check; every other check
        // must pass.
        let checks = answer["verdict"]["checks"].as_array().context("no checks in the verdict")?;
        if let Some(failed) = checks.iter().find(|c| c["outcome"] != "passed" && c["name"] != "status") {
            bail!("license {} does not verify: {failed}", self.licenses[i].id);
        }
        Ok(())
    }

    fn checkpoint(&mut self) -> Result<()> {
        let which = self.rng.gen_range(0..2);
        let chain = ["license", "service"][which];
        let reply = self.call("GET", &format!("/v1/chains/{chain}/checkpoint"), None, None)?;
        Self::expected(&reply, 200, "checkpoint")?;
        let note = String::from_utf8(reply.body)?;
        let size: u64 = note.lines().nth(1).and_then(|l| l.parse().ok()).context("no size in the checkpoint")?;
        if size < self.sizes[which] {
            bail!("the {chain} checkpoint went back from {} to {size}", self.sizes[which]);
        }
        self.sizes[which] = size;
        Ok(())
    }

    fn proof(&mut self) -> Result<()> {
        let which = self.rng.gen_range(0..2);
        let size = self.sizes[which];
        let index = self.rng.gen_range(0..size);
        let path = format!("/v1/chains/{}/proofs/inclusion?index={index}&size={size}", ["license", "service"][which]);
        self.expect_json("GET", &path, None, None, 200).map(drop)
    }

    fn download(&mut self) -> Result<()> {
        let (document, version, size) = self.versions[self.rng.gen_range(0..self.versions.len())].clone();
        let path = format!("/v1/boxes/{}/documents/{document}/versions/{version}", self.box_id);
        let token = self.token.clone();
        let reply = self.call("GET", &path, Some(&token), None)?;
        Self::expected(&reply, 200, "download")?;
        if reply.body.len() as u64 != size {
            bail!("{path}: {} bytes read back, {size} uploaded", reply.body.len());
        }
        Ok(())
    }

    fn upload(&mut self) -> Result<()> {
        let document_type = DOCUMENT_TYPES[self.rng.gen_range(0..DOCUMENT_TYPES.len())];
        self.upload_of(document_type)
    }

    fn upload_of(&mut self, document_type: &str) -> Result<()> {
        // Mostly a scanned page, sometimes a few chunks' worth.
        let size = if self.rng.gen_range(0..20) == 0 {
            self.rng.gen_range(256 << 10..1 << 20)
        } else {
            self.rng.gen_range(1..64 << 10)
        };
        let mut content = vec![0u8; size];
        self.rng.fill_bytes(&mut content);
        let path = format!("/v1/boxes/{}/documents?type={document_type}&name={document_type}.pdf", self.box_id);
        let token = self.token.clone();
        let reply = self.call("POST", &path, Some(&token), Some(("application/pdf", &content)))?;
        Self::expected(&reply, 201, "upload")?;
        let meta: Value = serde_json::from_slice(&reply.body)?;
        let version = meta["version"].as_u64().context("no version")?;
        keep(&mut self.versions, (text(&meta, "document")?, version, size as u64));
        Ok(())
    }

    fn grant(&mut self) -> Result<()> {
        let body = json!({ "agency": self.agency, "documents": DOCUMENT_TYPES, "matter": MATTER,
                           "purpose": PURPOSE, "valid_for_seconds": 86_400 });
        let (path, token) = (format!("/v1/boxes/{}/grants", self.box_id), self.token.clone());
        let given = self.expect_json("POST", &path, Some(&token), Some(&body), 201)?;
        let grant = text(&given, "grant")?;
        // The grant's entry names the documents as the chain knows them.
        let index = given["index"].as_u64().context("no index")?;
        let reply = self.call("GET", &format!("/v1/chains/service/entries/{index}"), None, None)?;
        Self::expected(&reply, 200, "grant entry")?;
        let entry: Value = serde_json::from_slice(&reply.body)?;
        let documents = entry["body"]["documents"].as_array().context("no documents in the grant")?;
        let document = documents[self.rng.gen_range(0..documents.len())].as_str().context("a document ref")?;
        keep(&mut self.grants, (grant, document.to_owned()));
        Ok(())
    }

    fn use_document(&mut self) -> Result<()> {
        let (grant, document) = self.grants[self.rng.gen_range(0..self.grants.len())].clone();
        let body = json!({ "box": self.box_ref, "grant": grant, "document": document, "matter": MATTER,
                           "purpose": PURPOSE });
        let bytes = serde_json::to_vec(&body)?;
        let token = self.agency_token.clone();
        let reply = self.call("POST", "/v1/uses", Some(&token), Some(("application/json", &bytes)))?;
        Self::expected(&reply, 200, "use")?;
        if reply.body.is_empty() {
            bail!("an agency's read returned no bytes");
        }
        Ok(())
    }

    fn issue(&mut self) -> Result<()> {
        let body = json!({
            "box": self.box_ref, "license_type": format!("{}001", self.agency), "license_name": "开户许可",
            "holder_name": format!("济南压力测试企业{}", self.number),
            "holder_code": { "type": "001", "code": "91370100MA3CJ8Y7TM" },
            "validity_start": "2026-01-01", "jurisdiction_code": "370171",
        });
        let (path, token) = (format!("/v1/agencies/{}/licenses", self.agency), self.agency_token.clone());
        let issued = self.expect_json("POST", &path, Some(&token), Some(&body), 201)?;
        let credential = &issued["credential"];
        let id = text(credential, "id")?;
        let id = id.strip_prefix("urn:gbt36904:").unwrap_or(&id).to_owned();
        keep(&mut self.licenses, Held { id, credential: serde_json::to_vec(credential)?, suspended: false });
        Ok(())
    }

    fn change_status(&mut self) -> Result<()> {
        let i = self.rng.gen_range(0..self.licenses.len());
        let change = if self.licenses[i].suspended { "resume" } else { "suspend" };
        let body = json!({ "change": change, "reason": "soak" });
        let (path, token) = (format!("/v1/licenses/{}/status", self.licenses[i].id), self.agency_token.clone());
        self.expect_json("POST", &path, Some(&token), Some(&body), 200)?;
        self.licenses[i].suspended = !self.licenses[i].suspended;
        Ok(())
    }
}

/// Where resident memory is read from.
enum MemorySource {
    Proc(u32),
    Metrics { authority: String, token: String },
}

impl MemorySource {
    fn describe(&self) -> String {
        match self {
            MemorySource::Proc(pid) => format!("/proc/{pid}/status"),
            MemorySource::Metrics { .. } => "the node's /metrics".into(),
        }
    }

    /// Resident memory in bytes, if it can be read.
    fn sample(&self) -> Result<u64> {
        match self {
            MemorySource::Proc(pid) => {
                let status = format!("/proc/{pid}/status");
                let kib = crate::procfs::kib(&status, "VmRSS").with_context(|| format!("no VmRSS in {status}"))?;
                Ok(kib * 1024)
            }
            MemorySource::Metrics { authority, token } => {
                let reply = Connection::open(authority)?.request("GET", "/metrics", Some(token), None)?;
                Client::expected(&reply, 200, "/metrics")?;
                let text = String::from_utf8(reply.body)?;
                let bytes: u64 = text
                    .lines()
                    .find_map(|l| l.strip_prefix("safebox_process_resident_bytes "))
                    .and_then(|v| v.trim().parse().ok())
                    .context("the node's metrics have no safebox_process_resident_bytes")?;
                if bytes == 0 {
                    bail!("the node does not report its resident memory");
                }
                Ok(bytes)
            }
        }
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

const MB: f64 = 1e6;

/// Runs the soak; `Ok(true)` when the verdict passes.
pub fn run(options: &SoakOptions) -> Result<bool> {
    let authority = options
        .server
        .strip_prefix("http://")
        .context("the server address must start with http://")?
        .trim_end_matches('/')
        .to_owned();
    let clients = options.clients.max(1);
    let seed: u64 = rand::random();
    let mut rng = StdRng::seed_from_u64(seed);

    // The admin registers an agency of this soak's own and gives it a token.
    let mut admin = Connection::open(&authority)?;
    let agency = fresh_agency_code(&mut rng)?;
    let body = serde_json::to_vec(&json!({ "code": agency, "name": "压力测试登记机关" }))?;
    let reply = admin.request("POST", "/v1/agencies", Some(&options.token), Some(("application/json", &body)))?;
    Client::expected(&reply, 201, "registering the soak's agency")?;
    let principal = json!({ "principal": { "kind": "agency", "agency": agency }, "label": "safebox soak" });
    let body = serde_json::to_vec(&principal)?;
    let reply = admin.request("POST", "/v1/tokens", Some(&options.token), Some(("application/json", &body)))?;
    Client::expected(&reply, 201, "issuing the agency's token")?;
    let agency_token = text(&serde_json::from_slice(&reply.body)?, "token")?;
    let mut workers = (0..clients)
        .map(|n| Client::prepare(n, &authority, &options.token, &agency, &agency_token, rng.next_u64()))
        .collect::<Result<Vec<_>>>()
        .context("preparing the clients' boxes")?;

    let memory = match options.pid {
        Some(pid) => MemorySource::Proc(pid),
        None => MemorySource::Metrics { authority: authority.clone(), token: options.token.clone() },
    };
    let memory_note = match memory.sample() {
        Ok(_) => format!("memory from {}", memory.describe()),
        Err(e) => format!("memory not measured ({e:#})"),
    };
    println!("soak: {} s, {clients} clients, against {} ({memory_note}); seed {seed}", options.seconds, options.server);

    let started = Instant::now();
    let duration = Duration::from_secs(options.seconds);
    let deadline = started + duration;
    let (done, failed, stop) = (AtomicU64::new(0), AtomicU64::new(0), AtomicBool::new(false));
    let samples: Mutex<Vec<(Duration, u64)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for worker in workers.iter_mut() {
            let (done, failed) = (&done, &failed);
            s.spawn(move || worker.run(deadline, done, failed));
        }
        let (memory, samples, stop, done, failed) = (&memory, &samples, &stop, &done, &failed);
        let sampler = s.spawn(move || {
            let mut next_report = Duration::from_secs(30);
            while !stop.load(Ordering::SeqCst) {
                let at = started.elapsed();
                if let Ok(bytes) = memory.sample() {
                    samples.lock().unwrap_or_else(|e| e.into_inner()).push((at, bytes));
                }
                if at >= next_report {
                    let rss = samples.lock().unwrap_or_else(|e| e.into_inner()).last().map(|s| s.1 as f64 / MB);
                    println!(
                        "  {:>4} s: {} operations, {} errors{}",
                        at.as_secs(),
                        done.load(Ordering::Relaxed),
                        failed.load(Ordering::Relaxed),
                        rss.map(|r| format!(", resident {r:.0} MB")).unwrap_or_default()
                    );
                    next_report += Duration::from_secs(30);
                }
                // Sleep in short steps so that the end is not delayed.
                let wake = started.elapsed() + SAMPLE_EVERY;
                while started.elapsed() < wake && !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        });
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        // The clients end at the deadline; one last sample after them.
        stop.store(true, Ordering::SeqCst);
        let _ = sampler.join();
    });
    let elapsed = started.elapsed();
    if let Ok(bytes) = memory.sample() {
        samples.lock().unwrap_or_else(|e| e.into_inner()).push((elapsed, bytes));
    }
    let samples = samples.into_inner().unwrap_or_else(|e| e.into_inner());
    let report = report(&workers, elapsed, &samples, duration, options);
    print!("{}", report.text);
    Ok(report.pass)
}

struct Report {
    text: String,
    pass: bool,
}

fn report(
    workers: &[Client],
    elapsed: Duration,
    samples: &[(Duration, u64)],
    duration: Duration,
    options: &SoakOptions,
) -> Report {
    let mut out = String::new();
    let mut failures = Vec::new();
    let _ = writeln!(
        out,
        "{:<28}{:>10}{:>10}{:>8}{:>10}{:>10}{:>10}",
        "operation", "count", "per s", "errors", "p50 ms", "p99 ms", "max ms"
    );
    let (mut total, mut errors) = (0u64, 0u64);
    for op in Op::ALL {
        let mut latencies: Vec<u32> =
            workers.iter().flat_map(|w| w.tally.latencies.get(&op).into_iter().flatten().copied()).collect();
        latencies.sort_unstable();
        let failed: u64 = workers.iter().map(|w| w.tally.errors.get(&op).copied().unwrap_or(0)).sum();
        total += latencies.len() as u64;
        errors += failed;
        let _ = writeln!(
            out,
            "{:<28}{:>10}{:>10.0}{:>8}{:>10.2}{:>10.2}{:>10.2}",
            op.name(),
            latencies.len(),
            latencies.len() as f64 / elapsed.as_secs_f64(),
            failed,
            percentile(&latencies, 50.0),
            percentile(&latencies, 99.0),
            latencies.last().map_or(0.0, |m| *m as f64 / 1000.0),
        );
    }
    let _ = writeln!(
        out,
        "{:<28}{:>10}{:>10.0}{:>8}   in {:.1} s",
        "total",
        total,
        total as f64 / elapsed.as_secs_f64(),
        errors,
        elapsed.as_secs_f64()
    );
    for example in workers.iter().flat_map(|w| &w.tally.examples).take(5) {
        let _ = writeln!(out, "  error: {example}");
    }
    if errors > 0 {
        failures.push(format!("{errors} errors"));
    }
    if total == 0 {
        failures.push("no operation completed".into());
    }

    // Memory: the first fifth of the run is warm-up (caches and memtables
    // filling); past it, resident memory may not grow by more than the
    // bound over the highest warm-up sample.
    let warm_up = duration / 5;
    match (samples.first(), samples.last()) {
        (Some(first), Some(last)) => {
            let max = samples.iter().map(|s| s.1).max().unwrap_or(0);
            let warm = samples.iter().filter(|s| s.0 <= warm_up).map(|s| s.1).max().unwrap_or(first.1);
            let after = samples.iter().filter(|s| s.0 > warm_up).map(|s| s.1).max().unwrap_or(last.1);
            let growth = after.saturating_sub(warm) as f64 / MB;
            let _ = writeln!(
                out,
                "resident memory: first {:.0} MB, last {:.0} MB, max {:.0} MB ({} samples); \
                 after warm-up ({:.0} s) +{growth:.0} MB over its {:.0} MB (bound {:.0} MB)",
                first.1 as f64 / MB,
                last.1 as f64 / MB,
                max as f64 / MB,
                samples.len(),
                warm_up.as_secs_f64(),
                warm as f64 / MB,
                options.max_growth_mb
            );
            if growth > options.max_growth_mb {
                failures.push(format!("resident memory grew {growth:.0} MB after warm-up"));
            }
        }
        _ => {
            let _ = writeln!(out, "resident memory: not measured (give --pid, or a node whose /metrics reports it)");
        }
    }
    let pass = failures.is_empty();
    let _ =
        writeln!(out, "verdict: {}", if pass { "PASS".to_owned() } else { format!("FAIL ({})", failures.join(", ")) });
    Report { text: out, pass }
}
