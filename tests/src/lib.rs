//! Shared helpers for Safebox's end-to-end tests: temporary nodes, a quick
//! way to fill the license chain, where the test vectors and the `safebox`
//! binary are.

use ed25519_dalek::SigningKey;
use safebox_api::datadir::DataDir;
use safebox_api::Node;
use safebox_chain::payload::{AgencyRegistered, LicenseIssued, Payload};
use safebox_chain::{keys, AgencyCode, Appended, ChainId, Commitment, CredentialDigest, Entry, LicenseId, Timestamp};
use std::path::PathBuf;
use std::sync::Arc;

/// The public test vectors: `$SAFEBOX_VECTORS`, or `../shared/vectors`
/// beside the repository. Panics with a clear message when absent, so that
/// a missing folder is never mistaken for a pass.
pub fn vectors_dir() -> PathBuf {
    let dir = std::env::var_os("SAFEBOX_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors"));
    assert!(
        dir.is_dir(),
        "test vectors not found at {}: set SAFEBOX_VECTORS to the shared vectors folder",
        dir.display()
    );
    dir
}

/// The `safebox` binary built beside this test executable
/// (`target/<profile>/safebox`), or `$SAFEBOX_BIN` when set: where several
/// checkouts share one target folder, the last build of any of them is the
/// one at that path, so a developer points this at their own build.
pub fn safebox_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("SAFEBOX_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps");
    let bin = profile_dir.join(format!("safebox{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.is_file(), "{} is missing: build it first (cargo build --release -p safebox)", bin.display());
    bin
}

/// A node in a temporary folder, with one registered agency.
pub struct TestNode {
    pub node: Arc<Node>,
    pub root: SigningKey,
    pub agency: AgencyCode,
    pub agency_key: SigningKey,
    _tmp: Option<tempfile::TempDir>,
}

/// The agency every test node registers: 济南高新区行政审批服务局 (a made-up
/// code with a correct GB 32100 check character).
pub fn test_agency_code() -> AgencyCode {
    AgencyCode::with_check_character("11370100MB2855910").expect("valid code prefix")
}

impl TestNode {
    /// A fresh node in a new temporary folder.
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        let mut node = Self::at(tmp.path().join("data"));
        node._tmp = Some(tmp);
        node
    }

    /// Opens the node at `path`, initialising it and registering the test
    /// agency the first time.
    pub fn at(path: PathBuf) -> Self {
        let dir = DataDir::new(path);
        let fresh = !dir.is_initialised();
        let node = if fresh { Node::init(dir, "test.safebox").expect("init") } else { Node::open(dir).expect("open") };
        let root = node.dir.root_key().expect("root key");
        let agency_key = SigningKey::from_bytes(&derived_key(root.as_bytes()));
        let agency = test_agency_code();
        if fresh {
            let entry = Entry::new(
                ChainId::License,
                &keys::public_key(&root),
                Payload::AgencyRegistered(AgencyRegistered {
                    agency: agency.clone(),
                    name: "济南高新区行政审批服务局".into(),
                    key: keys::public_key(&agency_key),
                }),
            );
            node.ledger.append(entry.sign(&root)).expect("register agency");
        }
        TestNode { node: Arc::new(node), root, agency, agency_key, _tmp: None }
    }

    /// Registers another agency (root-signed) with a key derived from
    /// `seed`, returning its code and key.
    pub fn register_agency(&self, first17: &str, seed: u8) -> (AgencyCode, SigningKey) {
        let code = AgencyCode::with_check_character(first17).expect("valid code prefix");
        let key = SigningKey::from_bytes(&[seed; 32]);
        let register = Payload::AgencyRegistered(AgencyRegistered {
            agency: code.clone(),
            name: format!("测试部门 {first17}"),
            key: keys::public_key(&key),
        });
        let entry = Entry::new(ChainId::License, &keys::public_key(&self.root), register).sign(&self.root);
        self.node.ledger.append(entry).expect("register agency");
        (code, key)
    }

    /// A license issuance by the test agency.
    pub fn issuance(&self, serial: &str) -> safebox_chain::SignedEntry {
        let issued = LicenseIssued {
            license: LicenseId::parse(&format!("TEST-{serial}")).expect("license id"),
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

    /// Appends `count` issuances from `writers` threads at once (so that
    /// they group-commit), returning every acknowledgement.
    pub fn issue_many(&self, prefix: &str, count: usize, writers: usize) -> Vec<Appended> {
        let per = count.div_ceil(writers.max(1));
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..writers.max(1))
                .map(|w| {
                    s.spawn(move || {
                        (w * per..((w + 1) * per).min(count))
                            .map(|i| self.node.ledger.append(self.issuance(&format!("{prefix}-{i}"))).expect("append"))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().expect("writer thread")).collect()
        })
    }
}

impl Default for TestNode {
    fn default() -> Self {
        Self::new()
    }
}

/// Test agency key, derived from the root key so that reopening a folder
/// finds the same agency key (test keys only).
fn derived_key(root: &[u8; 32]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::new().chain_update(b"safebox-test-agency-key").chain_update(root).finalize().into()
}

/// `safebox serve` running as a child process on an ephemeral port, killed
/// when dropped so that a failing assertion leaves no server behind.
pub struct Served {
    pub child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// What it printed before it listened (the admin token of `--init`).
    pub printed: Vec<String>,
}

impl Served {
    /// The admin token that `serve --init` printed.
    pub fn admin_token(&self) -> String {
        self.printed
            .iter()
            .find_map(|l| l.strip_prefix("admin token: "))
            .and_then(|rest| rest.split_whitespace().next())
            .expect("serve --init prints the admin token")
            .to_owned()
    }

    /// Starts `safebox serve --listen 127.0.0.1:0 --data DATA` with `extra`
    /// arguments, and waits for the address it prints.
    pub fn start(data: &std::path::Path, extra: &[&str]) -> Self {
        use std::io::{BufRead, BufReader};
        use std::process::{Command, Stdio};
        let mut child = Command::new(safebox_bin())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .arg("--data")
            .arg(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn safebox serve");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut printed = Vec::new();
        let base = loop {
            let line = lines.next().expect("serve prints the address it listens on").expect("utf-8 line");
            if let Some(url) = line.strip_prefix("listening on ") {
                break url.to_owned();
            }
            printed.push(line);
        };
        // Keep reading what the server prints, so that it never writes to a
        // closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Served { child, base, printed }
    }

    /// Stops the server (SIGKILL, as a crash would).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
