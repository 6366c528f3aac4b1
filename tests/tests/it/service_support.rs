//! Shared pieces of the service tests: a node with one applicant's box, a
//! document in it and a grant to the test agency; a snapshot of everything
//! the chains hold, to prove that a refusal wrote nothing; and a writer that
//! checks the service chain when the first byte of a read reaches it.

use safebox_api::services::{GrantTerms, OpenedBox, ServiceError, UseRequest};
use safebox_chain::payload::Payload;
use safebox_chain::{ChainId, DocumentRef, GrantId, Ledger, MatterCode, Purpose, SignedEntry, Timestamp};
use safebox_tests::TestNode;
use safebox_vault::{DocumentMeta, DocumentType, NewDocument};
use std::io::{self, Write};

/// The applicant's code: it must never appear on a chain.
pub const APPLICANT_CODE: &str = "370102199001011234";
pub const MATTER: &str = "370100-SL-0001";
pub const PURPOSE: &str = "企业设立登记审查";
pub const CONTENT: &[u8] = b"ID card scan of the applicant, front and back";

/// A node with an open box holding an `id-card` document, and a live grant
/// of it to the test agency.
pub struct Scene {
    pub t: TestNode,
    pub opened: OpenedBox,
    pub document: DocumentRef,
    pub meta: DocumentMeta,
    pub grant: GrantId,
}

pub fn new_document(document_type: &str) -> NewDocument {
    NewDocument {
        document_type: DocumentType::new(document_type).unwrap(),
        name: format!("{document_type}-of-zhang-san.pdf"),
        media_type: "application/pdf".into(),
    }
}

pub fn matter() -> MatterCode {
    MatterCode::parse(MATTER).unwrap()
}

pub fn purpose() -> Purpose {
    Purpose::parse(PURPOSE).unwrap()
}

/// Milliseconds from now.
pub fn in_ms(ms: u64) -> Timestamp {
    Timestamp(Timestamp::now().0 + ms)
}

/// Terms granting `documents` to the test agency for an hour.
pub fn terms(t: &TestNode, documents: Vec<DocumentRef>) -> GrantTerms {
    GrantTerms { agency: t.agency.clone(), documents, matter: matter(), purpose: purpose(), expires: in_ms(3_600_000) }
}

impl Scene {
    pub fn new() -> Self {
        let t = TestNode::new();
        let opened = t.node.open_box(APPLICANT_CODE, None).expect("open box");
        let meta = t.node.upload_document(opened.box_id, &new_document("id-card"), CONTENT).expect("upload");
        let document = t.node.document_ref(opened.box_id, &meta.document_type).unwrap();
        let grant = t.node.give_grant(opened.box_id, terms(&t, vec![document])).expect("grant").grant;
        Scene { t, opened, document, meta, grant }
    }

    /// The test agency's request under the scene's grant.
    pub fn request(&self) -> UseRequest {
        UseRequest {
            box_ref: self.opened.box_ref,
            grant: self.grant,
            document: self.document,
            agency: self.t.agency.clone(),
            matter: matter(),
            purpose: purpose(),
        }
    }

    /// Reads as the test agency, returning the bytes.
    pub fn read(&self, request: &UseRequest) -> Result<Vec<u8>, ServiceError> {
        let mut out = Vec::new();
        self.t.node.read_with_agency_key(request, &self.t.agency_key, &mut out)?;
        Ok(out)
    }
}

/// Everything a refusal must leave as it was: both chains' sizes and every
/// state record.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    sizes: (u64, u64),
    state: Vec<(Vec<u8>, Vec<u8>)>,
}

pub fn snapshot(t: &TestNode) -> Snapshot {
    let ledger = &t.node.ledger;
    Snapshot {
        sizes: (ledger.head(ChainId::License).unwrap().size, ledger.head(ChainId::Service).unwrap().size),
        state: ledger.store().state_rows().map(Result::unwrap).collect(),
    }
}

/// Runs `attempt`, which must be refused: returns the error after checking
/// that nothing was written to the chains or to the reader's output.
pub fn refused_without_trace(
    t: &TestNode,
    attempt: impl FnOnce(&mut Vec<u8>) -> Result<(), ServiceError>,
) -> ServiceError {
    let before = snapshot(t);
    let mut out = Vec::new();
    let err = attempt(&mut out).expect_err("must be refused");
    assert_eq!(snapshot(t), before, "a refusal wrote to the chains: {err}");
    assert!(out.is_empty(), "a refused read handed out {} bytes", out.len());
    err
}

/// All service-chain entries, parsed.
pub fn service_entries(ledger: &Ledger) -> Vec<(Vec<u8>, SignedEntry)> {
    let size = ledger.head(ChainId::Service).unwrap().size;
    (0..size)
        .map(|i| {
            let bytes = ledger.entry(ChainId::Service, i).unwrap();
            let entry = SignedEntry::from_canonical_bytes(&bytes).unwrap();
            (bytes, entry)
        })
        .collect()
}

/// A reader's output that, when the first byte arrives, notes whether the
/// service chain already ends with a `document.used` entry past `before`.
pub struct ChainWitness<'a> {
    pub ledger: &'a Ledger,
    pub before: u64,
    pub use_on_chain_at_first_byte: Option<bool>,
    pub bytes: Vec<u8>,
}

impl<'a> ChainWitness<'a> {
    pub fn new(ledger: &'a Ledger) -> Self {
        let before = ledger.head(ChainId::Service).unwrap().size;
        ChainWitness { ledger, before, use_on_chain_at_first_byte: None, bytes: Vec::new() }
    }
}

impl Write for ChainWitness<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.use_on_chain_at_first_byte.is_none() && !buf.is_empty() {
            let size = self.ledger.head(ChainId::Service).unwrap().size;
            let recorded = size > self.before
                && self.ledger.entry(ChainId::Service, self.before).ok().is_some_and(|bytes| {
                    SignedEntry::from_canonical_bytes(&bytes)
                        .is_ok_and(|e| matches!(e.entry.payload, Payload::DocumentUsed(_)))
                });
            self.use_on_chain_at_first_byte = Some(recorded);
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
