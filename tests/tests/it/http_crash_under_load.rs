//! Crash under load: the real `safebox serve` on a real socket, writers
//! driving the HTTP API with real writes (uploads, grants, agency reads,
//! license issues, suspensions, resumptions, revocations), the node killed
//! with SIGKILL at random moments, again and again, and restarted on the
//! same data each time. After every restart:
//!
//! - every write the node acknowledged (2xx) is there: the document version
//!   with the same content hash and readable whole, the grant and the
//!   license at the index the node answered, the license with its status;
//! - a write in flight at the kill is whole or absent: every version listed
//!   reads back whole and is one the workload sent; every credential in a
//!   box is on the license chain and every issuance on the chain is in its
//!   holder's box; a status change is either applied or not;
//! - no chain shrinks, and what a chain held before is byte for byte there;
//! - `safebox audit` replays both chains clean.
//!
//! The workload is drawn from a seeded RNG and the seed is printed; set
//! `SAFEBOX_CRASH_SEED` to repeat a run's choices (the kill moments and the
//! interleaving still depend on timing).

use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use safebox_chain::AgencyCode;
use safebox_tests::{safebox_bin, Served};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How many times the node is killed.
const KILLS: usize = 12;
/// Writers at once, each with a box of its own.
const WRITERS: usize = 6;
const DOCUMENT_TYPES: [&str; 4] = ["id-card", "lease", "bank-statement", "site-photo"];
const MATTER: &str = "370100-SL-0001";
const PURPOSE: &str = "企业设立登记审查";
const LICENSE_PREFIX: &str = "e-license:";

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// What came of a request: an answer, or no answer (the node died, or the
/// connection broke before the whole answer came).
enum Outcome {
    Answered(u16, Vec<u8>),
    Lost,
}

struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    fn new(base: &str) -> Self {
        Client { agent: agent(), base: base.to_owned() }
    }

    fn finish(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Outcome {
        let Ok(mut response) = result else { return Outcome::Lost };
        let status = response.status().as_u16();
        match response.body_mut().with_config().limit(64 << 20).read_to_vec() {
            Ok(body) => Outcome::Answered(status, body),
            Err(_) => Outcome::Lost,
        }
    }

    fn post(&self, path: &str, token: Option<&str>, content_type: &str, body: &[u8]) -> Outcome {
        let mut request = self.agent.post(format!("{}{path}", self.base)).header("content-type", content_type);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        Self::finish(request.send(body))
    }

    fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Outcome {
        self.post(path, token, "application/json", &serde_json::to_vec(body).unwrap())
    }

    fn get(&self, path: &str, token: Option<&str>) -> Outcome {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        Self::finish(request.call())
    }

    /// A read the verification needs: it must be answered `expected`.
    fn must(&self, outcome: Outcome, expected: u16, what: &str) -> Vec<u8> {
        match outcome {
            Outcome::Answered(status, body) if status == expected => body,
            Outcome::Answered(status, body) => {
                panic!("{what}: HTTP {status}, expected {expected}: {}", String::from_utf8_lossy(&body))
            }
            Outcome::Lost => panic!("{what}: no answer from the restarted node at {}", self.base),
        }
    }

    fn get_json(&self, path: &str, token: Option<&str>) -> Value {
        serde_json::from_slice(&self.must(self.get(path, token), 200, path)).unwrap()
    }

    fn post_ok(&self, path: &str, token: Option<&str>, body: &Value) -> Value {
        let answered = match self.post_json(path, token, body) {
            Outcome::Answered(status, body) if (200..300).contains(&status) => body,
            other => self.must(other, 201, path),
        };
        serde_json::from_slice(&answered).unwrap()
    }
}

fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

fn text(value: &Value, field: &str) -> String {
    value[field].as_str().unwrap_or_else(|| panic!("no {field} in {value}")).to_owned()
}

/// A license identifier as the path and the chain name it.
fn license_id(credential: &Value) -> String {
    let id = text(credential, "id");
    id.strip_prefix("urn:gbt36904:").unwrap_or(&id).to_owned()
}

/// An upload the node may have stored: what was sent, and where the node
/// said it stored it when it acknowledged.
struct Upload {
    document_type: String,
    hash: String,
    acked: Option<(String, u64)>,
}

/// A license this writer's box holds, as far as the writer knows.
struct License {
    status: &'static str,
    /// The status a change in flight at the kill would have set.
    pending: Option<&'static str>,
}

/// An acknowledged chain entry: chain, index, kind, and the body member
/// and value that identify it.
struct Acked {
    chain: &'static str,
    index: u64,
    kind: &'static str,
    field: &'static str,
    value: String,
}

/// One writer and its box: what it sent in the current round, and what it
/// knows the node holds from the rounds before.
struct Writer {
    number: usize,
    box_id: String,
    box_ref: String,
    token: String,
    agency: String,
    agency_token: String,
    rng: StdRng,
    /// Every version seen listed and read back whole: (document, version)
    /// → content hash.
    versions: BTreeMap<(String, u64), String>,
    /// Document types with at least one version stored.
    stored_types: BTreeSet<String>,
    /// Grants of the box on the chain, with the documents they name.
    grants: BTreeMap<String, Vec<String>>,
    licenses: BTreeMap<String, License>,
    /// Licenses whose credential the box holds.
    box_licenses: BTreeSet<String>,
    uses: u64,
    // This round.
    uploads: Vec<Upload>,
    acked: Vec<Acked>,
    grants_acked: BTreeSet<String>,
    grants_unknown: usize,
    issued_acked: BTreeSet<String>,
    issues_unknown: usize,
    /// Licenses issued or changed this round.
    touched: BTreeSet<String>,
    uses_acked: u64,
    uses_unknown: u64,
    writes_acked: usize,
    /// Writes sent and not acknowledged (in flight at a kill, or answered
    /// 503).
    in_doubt: usize,
    /// A request of this round went unanswered.
    cut_off: bool,
}

impl Writer {
    fn new_round(&mut self) {
        self.uploads.clear();
        self.acked.clear();
        self.grants_acked.clear();
        self.grants_unknown = 0;
        self.issued_acked.clear();
        self.issues_unknown = 0;
        self.touched.clear();
        self.uses_acked = 0;
        self.uses_unknown = 0;
    }

    /// Writes until told to stop. Any answer but success or "overloaded"
    /// (503, whose work may still land) is a failure of the node: this
    /// workload sends only what the node must accept.
    fn run(&mut self, client: &Client, stop: &AtomicBool, progress: &AtomicUsize) {
        self.cut_off = false;
        // A request without an answer means the node was killed: this
        // writer's round is over.
        while !stop.load(Ordering::SeqCst) && !self.cut_off {
            let roll = self.rng.gen_range(0..100);
            let acked = match roll {
                0..35 => self.upload(client),
                35..50 => self.grant(client),
                50..60 => self.use_document(client),
                60..80 => self.issue(client),
                _ => self.change_status(client),
            };
            if acked {
                self.writes_acked += 1;
                progress.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    /// Whether the answer acknowledged the write; panics on an answer the
    /// workload must never get.
    fn judged(&mut self, what: &str, outcome: &Outcome, expected: u16) -> bool {
        match outcome {
            Outcome::Answered(status, _) if *status == expected => true,
            Outcome::Answered(503, _) => {
                self.in_doubt += 1;
                false
            }
            Outcome::Lost => {
                self.in_doubt += 1;
                self.cut_off = true;
                false
            }
            Outcome::Answered(status, body) => {
                panic!("writer {}: {what} answered {status}: {}", self.number, String::from_utf8_lossy(body))
            }
        }
    }

    fn upload(&mut self, client: &Client) -> bool {
        let document_type = DOCUMENT_TYPES[self.rng.gen_range(0..DOCUMENT_TYPES.len())].to_owned();
        // Mostly small, some across several 64 KiB chunks.
        let size = match self.rng.gen_range(0..100) {
            0..70 => self.rng.gen_range(0..4096),
            70..95 => self.rng.gen_range(4096..200_000),
            _ => self.rng.gen_range(200_000..700_000),
        };
        let mut content = vec![0u8; size];
        self.rng.fill_bytes(&mut content);
        let hash = blake3_hex(&content);
        let path = format!("/v1/boxes/{}/documents?type={document_type}&name={document_type}.bin", self.box_id);
        let outcome = client.post(&path, Some(&self.token), "application/octet-stream", &content);
        let mut upload = Upload { document_type, hash, acked: None };
        let acked = self.judged("an upload", &outcome, 201);
        if let (true, Outcome::Answered(_, body)) = (acked, &outcome) {
            let meta: Value = serde_json::from_slice(body).unwrap();
            assert_eq!(text(&meta, "content_hash"), upload.hash, "the node hashed what it was sent");
            upload.acked = Some((text(&meta, "document"), meta["version"].as_u64().unwrap()));
            self.stored_types.insert(upload.document_type.clone());
        }
        self.uploads.push(upload);
        acked
    }

    fn grant(&mut self, client: &Client) -> bool {
        let Some(document_type) = self.pick(&self.stored_types.iter().cloned().collect::<Vec<_>>()) else {
            return false;
        };
        let body = json!({ "agency": self.agency, "documents": [document_type], "matter": MATTER,
                           "purpose": PURPOSE, "valid_for_seconds": 3600 });
        let outcome = client.post_json(&format!("/v1/boxes/{}/grants", self.box_id), Some(&self.token), &body);
        if !self.judged("a grant", &outcome, 201) {
            self.grants_unknown += 1;
            return false;
        }
        let Outcome::Answered(_, body) = outcome else { unreachable!() };
        let given: Value = serde_json::from_slice(&body).unwrap();
        let grant = text(&given, "grant");
        let index = given["index"].as_u64().unwrap();
        self.acked.push(Acked { chain: "service", index, kind: "grant.given", field: "grant", value: grant.clone() });
        self.grants_acked.insert(grant);
        true
    }

    /// An agency reads a document under a grant known to be on the chain
    /// (from an earlier round): a `document.used` entry.
    fn use_document(&mut self, client: &Client) -> bool {
        let known: Vec<_> = self.grants.iter().map(|(g, d)| (g.clone(), d[0].clone())).collect();
        let Some((grant, document)) = self.pick(&known) else { return false };
        let body = json!({ "box": self.box_ref, "grant": grant, "document": document, "matter": MATTER,
                           "purpose": PURPOSE });
        let outcome = client.post_json("/v1/uses", Some(&self.agency_token), &body);
        if !self.judged("an agency's read", &outcome, 200) {
            self.uses_unknown += 1;
            return false;
        }
        self.uses_acked += 1;
        true
    }

    fn issue(&mut self, client: &Client) -> bool {
        let license_type = format!("{}00{}", self.agency, self.rng.gen_range(1..3));
        let body = json!({
            "box": self.box_ref, "license_type": license_type, "license_name": "开户许可",
            "holder_name": format!("济南测试企业{}", self.number),
            "holder_code": { "type": "001", "code": "91370100MA3CJ8Y7TM" },
            "validity_start": "2026-01-01", "jurisdiction_code": "370171",
        });
        let path = format!("/v1/agencies/{}/licenses", self.agency);
        let outcome = client.post_json(&path, Some(&self.agency_token), &body);
        if !self.judged("an issuance", &outcome, 201) {
            self.issues_unknown += 1;
            return false;
        }
        let Outcome::Answered(_, body) = outcome else { unreachable!() };
        let issued: Value = serde_json::from_slice(&body).unwrap();
        let license = license_id(&issued["credential"]);
        let index = issued["index"].as_u64().unwrap();
        self.acked.push(Acked {
            chain: "license",
            index,
            kind: "license.issued",
            field: "license",
            value: license.clone(),
        });
        self.licenses.insert(license.clone(), License { status: "valid", pending: None });
        self.touched.insert(license.clone());
        self.issued_acked.insert(license);
        true
    }

    fn change_status(&mut self, client: &Client) -> bool {
        let open: Vec<_> = self
            .licenses
            .iter()
            .filter(|(_, l)| l.pending.is_none() && matches!(l.status, "valid" | "suspended"))
            .map(|(id, l)| (id.clone(), l.status))
            .collect();
        let Some((license, status)) = self.pick(&open) else { return false };
        let revoke = self.rng.gen_range(0..100) < 25;
        let (change, kind, target) = match (status, revoke) {
            (_, true) => ("revoke", "license.revoked", "revoked"),
            ("valid", false) => ("suspend", "license.suspended", "suspended"),
            _ => ("resume", "license.resumed", "valid"),
        };
        let body = json!({ "change": change, "reason": format!("crash test, writer {}", self.number) });
        self.licenses.get_mut(&license).unwrap().pending = Some(target);
        let outcome = client.post_json(&format!("/v1/licenses/{license}/status"), Some(&self.agency_token), &body);
        if !self.judged(&format!("{change} of {license} ({status})"), &outcome, 200) {
            return false;
        }
        let Outcome::Answered(_, body) = outcome else { unreachable!() };
        let index = serde_json::from_slice::<Value>(&body).unwrap()["index"].as_u64().unwrap();
        self.acked.push(Acked { chain: "license", index, kind, field: "license", value: license.clone() });
        *self.licenses.get_mut(&license).unwrap() = License { status: target, pending: None };
        self.touched.insert(license);
        true
    }

    fn pick<T: Clone>(&mut self, from: &[T]) -> Option<T> {
        (!from.is_empty()).then(|| from[self.rng.gen_range(0..from.len())].clone())
    }

    /// After a restart: everything acknowledged is there and whole, and
    /// what was in flight is whole or absent. Learns what landed.
    fn verify(&mut self, client: &Client, chains: &Chains, round: usize) {
        let who = format!("round {round}, writer {}", self.number);
        let token = Some(self.token.as_str());
        // Documents: nothing acknowledged is lost, nothing listed is partial.
        let listed = client.get_json(&format!("/v1/boxes/{}/documents", self.box_id), token);
        let mut seen = BTreeMap::new();
        for meta in listed.as_array().unwrap() {
            let key = (text(meta, "document"), meta["version"].as_u64().unwrap());
            seen.insert(key, meta.clone());
        }
        for (key, hash) in &self.versions {
            let meta = seen.get(key).unwrap_or_else(|| panic!("{who}: version {key:?} seen before is gone"));
            assert_eq!(&text(meta, "content_hash"), hash, "{who}: version {key:?} changed");
        }
        for upload in &self.uploads {
            if let Some(key) = &upload.acked {
                let meta = seen.get(key).unwrap_or_else(|| panic!("{who}: acknowledged upload {key:?} is missing"));
                assert_eq!(text(meta, "content_hash"), upload.hash, "{who}: acknowledged upload {key:?} differs");
            }
        }
        let mut found_licenses = BTreeSet::new();
        for (key, meta) in &seen {
            if self.versions.contains_key(key) {
                continue;
            }
            let path = format!("/v1/boxes/{}/documents/{}/versions/{}", self.box_id, key.0, key.1);
            let bytes = client.must(client.get(&path, token), 200, &path);
            assert_eq!(bytes.len() as u64, meta["size"].as_u64().unwrap(), "{who}: {key:?} reads back short");
            let hash = blake3_hex(&bytes);
            assert_eq!(hash, text(meta, "content_hash"), "{who}: {key:?} does not read back as listed");
            let document_type = text(meta, "document_type");
            if document_type.starts_with(LICENSE_PREFIX) {
                // A credential in the box must be on the license chain.
                let credential: Value = serde_json::from_slice(&bytes).unwrap();
                let answer = client.post("/v1/licenses/verify", None, "application/json", &bytes);
                let verdict: Value = serde_json::from_slice(&client.must(answer, 200, "verify")).unwrap();
                let on_chain = verdict["verdict"]["checks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|c| c["name"] == "on_chain")
                    .cloned()
                    .unwrap();
                assert_eq!(
                    on_chain["outcome"], "passed",
                    "{who}: the box holds credential {} that is not on the license chain: {on_chain}",
                    credential["id"]
                );
                found_licenses.insert(license_id(&credential));
            } else {
                assert!(
                    self.uploads.iter().any(|u| u.document_type == document_type && u.hash == hash),
                    "{who}: version {key:?} holds content this round never sent"
                );
                self.stored_types.insert(document_type);
            }
            self.versions.insert(key.clone(), hash);
        }

        // Licenses: every acknowledged one is in the box; those in flight
        // that landed are in the box and on the chain, and are learnt.
        for license in &self.issued_acked {
            assert!(found_licenses.contains(license), "{who}: acknowledged license {license} is not in the box");
        }
        let landed = found_licenses.difference(&self.issued_acked).count();
        assert!(landed <= self.issues_unknown, "{who}: {landed} licenses in the box were never acknowledged");
        for license in &found_licenses {
            self.licenses.entry(license.clone()).or_insert(License { status: "valid", pending: None });
        }
        self.box_licenses.extend(found_licenses);
        // Each license's status as its chain entries set it; the node's
        // record of those touched this round says the same (replay checks
        // every record against the entries).
        let statuses = chains.statuses();
        for (id, license) in &mut self.licenses {
            let status = *statuses.get(id).unwrap_or_else(|| panic!("{who}: license {id} is not on the chain"));
            if license.pending.is_some() || self.touched.contains(id) {
                let record = client.get_json(&format!("/v1/licenses/{id}"), None);
                assert_eq!(record["status"], status, "{who}: the record of {id} disagrees with its entries");
            }
            let allowed: Vec<_> = [Some(license.status), license.pending].into_iter().flatten().collect();
            assert!(allowed.contains(&status), "{who}: license {id} is {status}, expected one of {allowed:?}");
            *license = License { status, pending: None };
        }

        // Grants: those acknowledged are on the chain; extras came from
        // requests in flight.
        let ours: BTreeMap<String, Vec<String>> = chains
            .of_kind("service", "grant.given")
            .filter(|body| body["box"] == self.box_ref.as_str())
            .map(|body| {
                let documents = body["documents"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_owned());
                (text(&body, "grant"), documents.collect())
            })
            .collect();
        for grant in self.grants.keys().chain(&self.grants_acked) {
            assert!(ours.contains_key(grant), "{who}: acknowledged grant {grant} is not on the service chain");
        }
        let extra = ours.len() - self.grants.len() - self.grants_acked.len();
        assert!(extra <= self.grants_unknown, "{who}: {extra} grants on the chain were never acknowledged");
        self.grants = ours;

        // Uses: each acknowledged read is in the access log.
        let log = client.get_json(&format!("/v1/boxes/{}/access-log", self.box_id), token);
        let uses = log["uses"].as_array().unwrap();
        let count = uses.len() as u64;
        assert!(
            (self.uses + self.uses_acked..=self.uses + self.uses_acked + self.uses_unknown).contains(&count),
            "{who}: the access log has {count} uses; before {}, acknowledged {}, in flight {}",
            self.uses,
            self.uses_acked,
            self.uses_unknown
        );
        for used in uses {
            let index = used["index"].as_u64().unwrap() as usize;
            assert_eq!(chains.kind("service", index), "document.used", "{who}: a use's index");
        }
        self.uses = count;

        // Every acknowledged entry stands where the node said.
        for acked in &self.acked {
            let entry = chains.entry(acked.chain, acked.index as usize, &who);
            assert_eq!(entry["kind"], acked.kind, "{who}: {} entry {}", acked.chain, acked.index);
            assert_eq!(
                entry["body"][acked.field],
                acked.value.as_str(),
                "{who}: {} entry {}",
                acked.chain,
                acked.index
            );
        }
        self.new_round();
    }
}

/// Both chains as the node serves them, read through the entry tiles.
#[derive(Default)]
struct Chains {
    license: Vec<Vec<u8>>,
    service: Vec<Vec<u8>>,
}

/// A tile index as tlog-tiles paths write it (`x001/234`).
fn tile_path(mut n: u64) -> String {
    let mut parts = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        parts.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    parts.reverse();
    parts.join("/")
}

impl Chains {
    fn read(client: &Client) -> Chains {
        Chains { license: Self::read_chain(client, "license"), service: Self::read_chain(client, "service") }
    }

    fn size(client: &Client, chain: &str) -> u64 {
        let note = client.must(client.get(&format!("/v1/chains/{chain}/checkpoint"), None), 200, "checkpoint");
        String::from_utf8(note).unwrap().lines().nth(1).unwrap().parse().unwrap()
    }

    fn read_chain(client: &Client, chain: &str) -> Vec<Vec<u8>> {
        let size = Self::size(client, chain);
        let mut entries = Vec::new();
        for tile in 0..size.div_ceil(256) {
            let width = (size - tile * 256).min(256);
            let partial = if width < 256 { format!(".p/{width}") } else { String::new() };
            let path = format!("/v1/chains/{chain}/tile/entries/{}{partial}", tile_path(tile));
            let bundle = client.must(client.get(&path, None), 200, &path);
            let mut rest = &bundle[..];
            while !rest.is_empty() {
                let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
                entries.push(rest[2..2 + len].to_vec());
                rest = &rest[2 + len..];
            }
        }
        assert_eq!(entries.len() as u64, size, "the {chain} chain's entry tiles hold its size");
        entries
    }

    fn chain(&self, chain: &str) -> &[Vec<u8>] {
        if chain == "license" {
            &self.license
        } else {
            &self.service
        }
    }

    fn entry(&self, chain: &str, index: usize, who: &str) -> Value {
        let bytes = self
            .chain(chain)
            .get(index)
            .unwrap_or_else(|| panic!("{who}: acknowledged {chain} entry {index} is beyond the chain's end"));
        serde_json::from_slice(bytes).unwrap()
    }

    /// Every license's status, from its issuance and status changes.
    fn statuses(&self) -> BTreeMap<String, &'static str> {
        let mut statuses = BTreeMap::new();
        for bytes in &self.license {
            let entry: Value = serde_json::from_slice(bytes).unwrap();
            let status = match entry["kind"].as_str().unwrap() {
                "license.issued" | "license.resumed" => "valid",
                "license.suspended" => "suspended",
                "license.revoked" => "revoked",
                "license.cancelled" => "cancelled",
                _ => continue,
            };
            statuses.insert(text(&entry["body"], "license"), status);
        }
        statuses
    }

    fn kind(&self, chain: &str, index: usize) -> String {
        text(&self.entry(chain, index, "an entry"), "kind")
    }

    fn of_kind<'a>(&'a self, chain: &str, kind: &'a str) -> impl Iterator<Item = Value> + 'a {
        self.chain(chain).iter().filter_map(move |bytes| {
            let entry: Value = serde_json::from_slice(bytes).unwrap();
            (entry["kind"] == kind).then(|| entry["body"].clone())
        })
    }

    /// What was there before is there still, byte for byte.
    fn extends(&self, before: &Chains, round: usize) {
        for (name, now, then) in
            [("license", &self.license, &before.license), ("service", &self.service, &before.service)]
        {
            assert!(
                now.len() >= then.len(),
                "round {round}: the {name} chain shrank from {} to {}",
                then.len(),
                now.len()
            );
            if let Some(i) = (0..then.len()).find(|&i| now[i] != then[i]) {
                panic!("round {round}: {name} entry {i} changed after the restart");
            }
        }
    }
}

fn audit(data: &Path, when: &str) {
    let audit = Command::new(safebox_bin()).args(["audit", "--data"]).arg(data).output().unwrap();
    assert!(
        audit.status.success(),
        "{when}: safebox audit failed: {}{}",
        String::from_utf8_lossy(&audit.stdout),
        String::from_utf8_lossy(&audit.stderr)
    );
}

/// The node's admin opens an agency and the writers' boxes.
fn prepare(client: &Client, admin: &str, seed: u64) -> Vec<Writer> {
    let agency = AgencyCode::with_check_character("11370100MB2855932").unwrap().to_string();
    client.post_ok("/v1/agencies", Some(admin), &json!({ "code": agency, "name": "济南高新区市场监督管理局" }));
    let principal = json!({ "principal": { "kind": "agency", "agency": agency }, "label": "crash test" });
    let agency_token = text(&client.post_ok("/v1/tokens", Some(admin), &principal), "token");
    (0..WRITERS)
        .map(|number| {
            let opened = client.post_ok(
                "/v1/boxes",
                Some(admin),
                &json!({ "applicant_code": format!("37010219900101{number:04}") }),
            );
            Writer {
                number,
                box_id: text(&opened, "box"),
                box_ref: text(&opened, "box_ref"),
                token: text(&opened, "token"),
                agency: agency.clone(),
                agency_token: agency_token.clone(),
                rng: StdRng::seed_from_u64(seed ^ (number as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
                versions: BTreeMap::new(),
                stored_types: BTreeSet::new(),
                grants: BTreeMap::new(),
                licenses: BTreeMap::new(),
                box_licenses: BTreeSet::new(),
                uses: 0,
                uploads: Vec::new(),
                acked: Vec::new(),
                grants_acked: BTreeSet::new(),
                grants_unknown: 0,
                issued_acked: BTreeSet::new(),
                issues_unknown: 0,
                touched: BTreeSet::new(),
                uses_acked: 0,
                uses_unknown: 0,
                writes_acked: 0,
                in_doubt: 0,
                cut_off: false,
            }
        })
        .collect()
}

/// Checks the restarted node against what every writer knows, and the
/// license chain against every box: the same licenses, each once.
fn verify_all(client: &Client, writers: &mut [Writer], before: &Chains, sizes: (u64, u64), round: usize) -> Chains {
    let chains = Chains::read(client);
    chains.extends(before, round);
    assert!(
        chains.license.len() as u64 >= sizes.0 && chains.service.len() as u64 >= sizes.1,
        "round {round}: a chain is shorter than a checkpoint served before the kill ({sizes:?})"
    );
    for writer in writers.iter_mut() {
        writer.verify(client, &chains, round);
    }
    let on_chain: BTreeSet<String> = chains.of_kind("license", "license.issued").map(|b| text(&b, "license")).collect();
    let in_boxes: BTreeSet<String> = writers.iter().flat_map(|w| w.box_licenses.iter().cloned()).collect();
    assert_eq!(
        on_chain.difference(&in_boxes).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "round {round}: licenses on the chain that no box holds"
    );
    assert_eq!(on_chain.len(), chains.of_kind("license", "license.issued").count(), "a license issued twice");
    chains
}

#[test]
fn acknowledged_http_writes_survive_sigkill_under_load_and_nothing_is_half_written() {
    let seed = std::env::var("SAFEBOX_CRASH_SEED")
        .ok()
        .map(|s| s.parse::<u64>().expect("SAFEBOX_CRASH_SEED is a number"))
        .unwrap_or_else(rand::random);
    println!("crash under load: seed {seed} (SAFEBOX_CRASH_SEED={seed} repeats the workload's choices)");
    let mut rng = StdRng::seed_from_u64(seed);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let started = Instant::now();

    let server = Served::start(&data, &["--init", "--name", "crash.example"]);
    let admin = server.admin_token();
    let mut writers = prepare(&Client::new(&server.base), &admin, seed);
    let mut server = Some(server);
    let mut chains = Chains::default();
    let mut total_acked = 0;
    let mut in_doubt_before = 0;

    for round in 0..KILLS {
        let served = server.take().expect("the node serves at the start of each round");
        let client = Client::new(&served.base);
        let stop = AtomicBool::new(false);
        let progress = AtomicUsize::new(0);
        let wait = Duration::from_millis(rng.gen_range(30..1500));
        let mut sizes = (0, 0);
        std::thread::scope(|s| {
            for writer in writers.iter_mut() {
                let (client, stop, progress) = (Client::new(&served.base), &stop, &progress);
                s.spawn(move || writer.run(&client, stop, progress));
            }
            // Once the writers are writing, a random while more, then the kill.
            let waiting = Instant::now();
            while progress.load(Ordering::SeqCst) < WRITERS {
                assert!(waiting.elapsed() < Duration::from_secs(60), "round {round}: the writers make no progress");
                std::thread::sleep(Duration::from_millis(5));
            }
            std::thread::sleep(wait);
            sizes = (Chains::size(&client, "license"), Chains::size(&client, "service"));
            served.kill();
            stop.store(true, Ordering::SeqCst);
        });
        let acked = progress.load(Ordering::SeqCst);
        total_acked += acked;
        let in_doubt: usize = writers.iter().map(|w| w.in_doubt).sum();
        let audited = Instant::now();
        audit(&data, &format!("after kill {round}"));
        let restarting = Instant::now();
        let restarted = Served::start(&data, &[]);
        let checking = Instant::now();
        // The checkpoint sizes seen just before the kill bound the chains.
        chains = verify_all(&Client::new(&restarted.base), &mut writers, &chains, sizes, round);
        println!(
            "round {round}: killed after {wait:?}: {acked} writes acknowledged, {} in doubt; \
             audit {:?}, restart {:?}, checks {:?}",
            in_doubt - in_doubt_before,
            restarting - audited,
            checking - restarting,
            checking.elapsed()
        );
        in_doubt_before = in_doubt;
        server = Some(restarted);
    }

    // Finally every version of every box reads back whole, once more.
    let served = server.take().unwrap();
    let client = Client::new(&served.base);
    for writer in &writers {
        let listed = client.get_json(&format!("/v1/boxes/{}/documents", writer.box_id), Some(&writer.token));
        for meta in listed.as_array().unwrap() {
            let path = format!(
                "/v1/boxes/{}/documents/{}/versions/{}",
                writer.box_id,
                text(meta, "document"),
                meta["version"]
            );
            let bytes = client.must(client.get(&path, Some(&writer.token)), 200, &path);
            assert_eq!(blake3_hex(&bytes), text(meta, "content_hash"), "{path} does not read back whole");
        }
    }
    served.kill();
    audit(&data, "at the end");
    let writes: usize = writers.iter().map(|w| w.writes_acked).sum();
    assert_eq!(writes, total_acked);
    assert!(total_acked >= KILLS * WRITERS, "the writers must have written: {total_acked} acknowledged");
    println!(
        "crash under load: {KILLS} kills, {total_acked} acknowledged writes, {} license and {} service entries, {:?}",
        chains.license.len(),
        chains.service.len(),
        started.elapsed()
    );
}
