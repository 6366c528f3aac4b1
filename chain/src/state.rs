//! The state both chains imply: the genesis keys, the agency registry (which
//! key signs for which agency, from which entry to which), each license's
//! status, and (in `service_state`) boxes, grants and uses. One pure
//! transition function serves the sequencer and replay, so replay rebuilds
//! exactly what the node stored.

use crate::entry::SignedEntry;
use crate::ids::{AgencyCode, LicenseId};
use crate::keys::{KeyId, PublicKey};
use crate::payload::Decision;
use crate::payload::{Genesis, LicenseIssued, LicenseStatusChange, Payload};
use crate::service_ids::{ApplicationId, BoxRef, DocumentRef, GrantId, MatterCode};
use crate::time::Timestamp;
use crate::ChainId;
use crate::{application_state, service_state};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::collections::BTreeMap;

/// Read access to projected state, as raw key/value bytes: committed state
/// in RocksDB, a write overlay, or replay's in-memory map.
pub trait StateRead {
    /// The stored value of `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError>;
}

/// State that can also be changed (an overlay or replay's map; committed
/// state changes only through the sequencer's write batch).
pub trait StateStore: StateRead {
    /// Sets `key`.
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>);
}

/// Writes staged over a read-only base: the sequencer applies a batch here,
/// and each entry first in a nested overlay, so that a refused entry leaves
/// no trace.
pub struct Overlay<'a, R: StateRead + ?Sized> {
    base: &'a R,
    writes: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl<'a, R: StateRead + ?Sized> Overlay<'a, R> {
    /// An empty overlay on `base`.
    pub fn new(base: &'a R) -> Self {
        Overlay { base, writes: BTreeMap::new() }
    }

    /// The staged writes, in key order.
    pub fn into_writes(self) -> BTreeMap<Vec<u8>, Vec<u8>> {
        self.writes
    }

    /// Stages writes taken from a nested overlay.
    pub fn extend(&mut self, writes: BTreeMap<Vec<u8>, Vec<u8>>) {
        self.writes.extend(writes);
    }
}

impl<R: StateRead + ?Sized> StateRead for Overlay<'_, R> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        match self.writes.get(key) {
            Some(value) => Ok(Some(value.clone())),
            None => self.base.get(key),
        }
    }
}

impl<R: StateRead + ?Sized> StateStore for Overlay<'_, R> {
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.writes.insert(key, value);
    }
}

/// An in-memory state, ordered so that it compares byte for byte with the
/// stored column family.
#[derive(Default, Debug, Clone, PartialEq)]
pub struct MemoryState(pub BTreeMap<Vec<u8>, Vec<u8>>);

impl StateRead for MemoryState {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.0.get(key).cloned())
    }
}

impl StateStore for MemoryState {
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.0.insert(key, value);
    }
}

/// Who a key belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "OwnerWire", into = "OwnerWire")]
pub enum KeyOwner {
    Root,
    Node,
    Agency(AgencyCode),
    /// The applicant of a box: signs the box's grants and withdrawals.
    Applicant(BoxRef),
}

/// The stored form of [`KeyOwner`]: `{"kind":"agency","agency":…}`,
/// `{"kind":"applicant","box":…}`, each owner's field named for what it is.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
enum OwnerWire {
    Root,
    Node,
    Agency {
        agency: AgencyCode,
    },
    Applicant {
        #[serde(rename = "box")]
        box_ref: BoxRef,
    },
}

impl From<OwnerWire> for KeyOwner {
    fn from(w: OwnerWire) -> Self {
        match w {
            OwnerWire::Root => KeyOwner::Root,
            OwnerWire::Node => KeyOwner::Node,
            OwnerWire::Agency { agency } => KeyOwner::Agency(agency),
            OwnerWire::Applicant { box_ref } => KeyOwner::Applicant(box_ref),
        }
    }
}

impl From<KeyOwner> for OwnerWire {
    fn from(o: KeyOwner) -> Self {
        match o {
            KeyOwner::Root => OwnerWire::Root,
            KeyOwner::Node => OwnerWire::Node,
            KeyOwner::Agency(agency) => OwnerWire::Agency { agency },
            KeyOwner::Applicant(box_ref) => OwnerWire::Applicant { box_ref },
        }
    }
}

/// A key known to the chains and the span of entries it may sign.
///
/// The span is counted on the chain where the owner's key is made and
/// ended: the license chain for the root, node and agency keys, the
/// service chain for applicant keys (opened and erased with their box).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    pub key: PublicKey,
    pub owner: KeyOwner,
    /// Index of the entry that made this key valid.
    pub active_from: u64,
    /// Index of the entry that ended it (rotation, retirement or erasure);
    /// the key signed validly strictly before it.
    pub active_until: Option<u64>,
}

impl KeyRecord {
    /// Whether the key could sign the entry at `index` of its chain.
    pub fn active_at(&self, index: u64) -> bool {
        index >= self.active_from && self.active_until.is_none_or(|until| index < until)
    }
}

/// A registered agency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyRecord {
    pub code: AgencyCode,
    pub name: String,
    /// The key that signs for the agency now.
    pub current_key: KeyId,
    /// Every key the agency has had, oldest first.
    pub keys: Vec<KeyId>,
    pub registered_at: u64,
    pub retired_at: Option<u64>,
}

/// A license's status (GB/T lifecycle; expiry is judged by time, not stored).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenseStatus {
    /// 有效
    Valid,
    /// 暂扣
    Suspended,
    /// 吊销 (final)
    Revoked,
    /// 注销 (final)
    Cancelled,
}

/// What the license chain says of one license.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseRecord {
    pub issued: LicenseIssued,
    pub status: LicenseStatus,
    /// License-chain index of the issuing (or renewing) entry.
    pub issued_at: u64,
    pub issued_time: Timestamp,
    /// The key that signed the issuance.
    pub issued_by: KeyId,
    /// Index of the last status change, and its reason.
    pub changed_at: Option<u64>,
    pub reason: Option<String>,
    /// The identifier of the version that renewed this one, if any.
    pub renewed_by: Option<LicenseId>,
}

/// Why an entry was refused by the state rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("kind {kind} may not stand on the {chain} chain")]
    WrongChain { kind: &'static str, chain: ChainId },
    #[error("genesis must be the first entry of a chain, not index {0}")]
    GenesisNotFirst(u64),
    #[error("the first entry of a chain must be genesis")]
    MissingGenesis,
    #[error("genesis differs from the other chain's genesis")]
    GenesisMismatch,
    #[error("genesis must be signed by the root authority key it names")]
    GenesisNotSelfSigned,
    #[error("author key {0} is unknown")]
    UnknownKey(KeyId),
    #[error("{kind} must be signed by the root authority")]
    NotRoot { kind: &'static str },
    #[error("author key {key} is not valid at index {index}")]
    KeyNotActive { key: KeyId, index: u64 },
    #[error("author key {key} does not sign for agency {agency}")]
    NotTheAgency { key: KeyId, agency: AgencyCode },
    #[error("agency {0} is already registered")]
    AgencyExists(AgencyCode),
    #[error("agency {0} is not registered")]
    UnknownAgency(AgencyCode),
    #[error("agency {0} is retired")]
    AgencyRetired(AgencyCode),
    #[error("key {0} is already in use")]
    KeyInUse(KeyId),
    #[error("license {0} already exists")]
    LicenseExists(LicenseId),
    #[error("license {0} does not exist")]
    UnknownLicense(LicenseId),
    #[error("license {license} is {from:?}; {kind} is not allowed from that status")]
    IllegalTransition { license: LicenseId, from: LicenseStatus, kind: &'static str },
    #[error("a renewal must name the license it renews; an issuance must not")]
    RenewalLink,
    #[error("license {0} was already renewed")]
    AlreadyRenewed(LicenseId),
    #[error("validity ends before it starts")]
    EmptyValidity,
    #[error("{0} must not be empty")]
    Empty(&'static str),
    #[error("{kind} must be signed by the node key")]
    NotNode { kind: &'static str },
    #[error("box {0} is already open")]
    BoxExists(BoxRef),
    #[error("box {0} was never opened")]
    UnknownBox(BoxRef),
    #[error("box {0} has been erased")]
    BoxErased(BoxRef),
    #[error("author key {key} is not the applicant key of box {box_ref}")]
    NotTheApplicant { key: KeyId, box_ref: BoxRef },
    #[error("grant {0} already exists")]
    GrantExists(GrantId),
    #[error("no grant {0}: nothing was consented to")]
    UnknownGrant(GrantId),
    #[error("grant {0} was withdrawn by the applicant")]
    GrantWithdrawn(GrantId),
    #[error("grant {grant} expired at {expires} (ms since the epoch); the entry is dated {time}")]
    GrantExpired { grant: GrantId, expires: u64, time: u64 },
    #[error("a grant must expire after the time it is given")]
    ExpiryNotAfterGiven,
    #[error("document {0} is listed twice")]
    DuplicateDocument(DocumentRef),
    #[error("grant {grant} is not a grant of box {box_ref}")]
    GrantForOtherBox { grant: GrantId, box_ref: BoxRef },
    #[error("grant {grant} was given to agency {given_to}, not to {agency}")]
    GrantForOtherAgency { grant: GrantId, given_to: AgencyCode, agency: AgencyCode },
    #[error("grant {grant} is for matter {granted}, not for {matter}")]
    OtherMatter { grant: GrantId, granted: MatterCode, matter: MatterCode },
    #[error("grant {grant} is for another purpose than the one stated")]
    OtherPurpose { grant: GrantId },
    #[error("grant {grant} does not cover document {document}")]
    DocumentNotGranted { grant: GrantId, document: DocumentRef },
    #[error("license_size {claimed} must be between 1 and the license chain's size {size}")]
    LicenseSizeOutOfRange { claimed: u64, size: u64 },
    #[error("application {0} already exists")]
    ApplicationExists(ApplicationId),
    #[error("no application {0}")]
    UnknownApplication(ApplicationId),
    #[error("application {application} was already {decision:?}")]
    AlreadyDecided { application: ApplicationId, decision: Decision },
    #[error("the application lists documents but names no grant to read them under")]
    MissingGrant,
    #[error("license {license} does not stand on the license chain below size {size}")]
    LicenseNotBelow { license: LicenseId, size: u64 },
    #[error("license {license} was issued by agency {issuer}, not by {agency}")]
    LicenseOfOtherAgency { license: LicenseId, issuer: AgencyCode, agency: AgencyCode },
    #[error("a rejection names no license")]
    RejectionWithLicense,
}

/// Why state could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("storage: {0}")]
    Storage(String),
    #[error("stored state under {key} is corrupt: {reason}")]
    Corrupt { key: String, reason: String },
}

/// Either outcome of applying an entry that is not success.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    State(#[from] StateError),
}

/// State keys. Text, so that a dump of the column family reads plainly.
pub mod key {
    use super::*;
    pub fn genesis() -> Vec<u8> {
        b"genesis".to_vec()
    }
    pub fn chain_started(chain: ChainId) -> Vec<u8> {
        format!("started/{chain}").into_bytes()
    }
    pub fn key(id: &KeyId) -> Vec<u8> {
        format!("key/{id}").into_bytes()
    }
    pub fn agency(code: &AgencyCode) -> Vec<u8> {
        format!("agency/{code}").into_bytes()
    }
    pub fn license(id: &LicenseId) -> Vec<u8> {
        format!("license/{id}").into_bytes()
    }
    /// The license chain's size, for service entries that name a license
    /// index.
    pub fn license_size() -> Vec<u8> {
        b"size/license".to_vec()
    }
}

pub(crate) fn read<T: DeserializeOwned>(state: &impl StateRead, k: &[u8]) -> Result<Option<T>, StateError> {
    match state.get(k)? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StateError::Corrupt { key: String::from_utf8_lossy(k).into_owned(), reason: e.to_string() }),
    }
}

pub(crate) fn write<T: Serialize>(state: &mut impl StateStore, k: Vec<u8>, value: &T) {
    let bytes = serde_json::to_vec(value).expect("state records always serialise");
    state.put(k, bytes);
}

/// The genesis record, once written.
pub fn genesis(state: &impl StateRead) -> Result<Option<Genesis>, StateError> {
    read(state, &key::genesis())
}

/// A key's record.
pub fn key_record(state: &impl StateRead, id: &KeyId) -> Result<Option<KeyRecord>, StateError> {
    read(state, &key::key(id))
}

/// An agency's record.
pub fn agency(state: &impl StateRead, code: &AgencyCode) -> Result<Option<AgencyRecord>, StateError> {
    read(state, &key::agency(code))
}

/// A license's record.
pub fn license(state: &impl StateRead, id: &LicenseId) -> Result<Option<LicenseRecord>, StateError> {
    read(state, &key::license(id))
}

/// How many entries the license chain has (0 before its genesis).
pub fn license_size(state: &impl StateRead) -> Result<u64, StateError> {
    Ok(read(state, &key::license_size())?.unwrap_or(0))
}

/// The public key an entry must verify against, before any state rule is
/// checked: the root key a genesis names, or the author's registered key.
pub fn author_key(state: &impl StateRead, entry: &SignedEntry) -> Result<PublicKey, ApplyError> {
    if let Payload::Genesis(g) = &entry.entry.payload {
        return Ok(g.root_key);
    }
    key_record(state, &entry.entry.author)?
        .map(|r| r.key)
        .ok_or_else(|| Refusal::UnknownKey(entry.entry.author.clone()).into())
}

/// Applies the entry that will stand at `index` of its chain, or refuses it
/// and changes nothing. The signature has already been checked against
/// [`author_key`]; this checks that the author may do what the entry says.
pub fn apply(state: &mut impl StateStore, index: u64, entry: &SignedEntry) -> Result<(), ApplyError> {
    let e = &entry.entry;
    let chain = e.chain;
    if !e.payload.allowed_on(chain) {
        return Err(Refusal::WrongChain { kind: e.payload.kind(), chain }.into());
    }
    let started = state.get(&key::chain_started(chain))?.is_some();
    match (&e.payload, index, started) {
        (Payload::Genesis(_), i, _) if i != 0 => return Err(Refusal::GenesisNotFirst(i).into()),
        (Payload::Genesis(_), _, _) => {}
        (_, _, false) => return Err(Refusal::MissingGenesis.into()),
        _ => {}
    }
    apply_kind(state, index, entry)?;
    if chain == ChainId::License {
        write(state, key::license_size(), &(index + 1));
    }
    Ok(())
}

fn apply_kind(state: &mut impl StateStore, index: u64, entry: &SignedEntry) -> Result<(), ApplyError> {
    let e = &entry.entry;
    match &e.payload {
        Payload::Genesis(g) => apply_genesis(state, e.chain, e.author.clone(), g),
        Payload::AgencyRegistered(r) => {
            require_root(state, &e.author, "agency.registered")?;
            if r.name.trim().is_empty() {
                return Err(Refusal::Empty("agency name").into());
            }
            if agency(state, &r.agency)?.is_some() {
                return Err(Refusal::AgencyExists(r.agency.clone()).into());
            }
            let id = new_agency_key(state, &r.agency, r.key, index)?;
            let agency = AgencyRecord {
                code: r.agency.clone(),
                name: r.name.clone(),
                current_key: id.clone(),
                keys: vec![id],
                registered_at: index,
                retired_at: None,
            };
            write(state, key::agency(&r.agency), &agency);
            Ok(())
        }
        Payload::AgencyKeyRotated(r) => {
            require_root(state, &e.author, "agency.key_rotated")?;
            let mut agency = live_agency(state, &r.agency)?;
            let id = new_agency_key(state, &r.agency, r.key, index)?;
            end_key(state, &agency.current_key, index)?;
            agency.current_key = id.clone();
            agency.keys.push(id);
            write(state, key::agency(&r.agency), &agency);
            Ok(())
        }
        Payload::AgencyRetired(r) => {
            require_root(state, &e.author, "agency.retired")?;
            let mut agency = live_agency(state, &r.agency)?;
            end_key(state, &agency.current_key, index)?;
            agency.retired_at = Some(index);
            write(state, key::agency(&r.agency), &agency);
            Ok(())
        }
        Payload::LicenseIssued(l) => issue(state, index, entry, l, false),
        Payload::LicenseRenewed(l) => issue(state, index, entry, l, true),
        Payload::LicenseSuspended(c) => change(state, index, entry, c, "license.suspended"),
        Payload::LicenseResumed(c) => change(state, index, entry, c, "license.resumed"),
        Payload::LicenseRevoked(c) => change(state, index, entry, c, "license.revoked"),
        Payload::LicenseCancelled(c) => change(state, index, entry, c, "license.cancelled"),
        Payload::BoxOpened(o) => service_state::open_box(state, index, &e.author, o),
        Payload::GrantGiven(g) => service_state::give(state, index, entry, g),
        Payload::GrantWithdrawn(w) => service_state::withdraw(state, index, &e.author, w),
        Payload::DocumentUsed(u) => service_state::record_use(state, index, entry, u),
        Payload::BoxErased(x) => service_state::erase(state, index, &e.author, x),
        Payload::ApplicationOpened(o) => application_state::open(state, index, entry, o),
        Payload::ApplicationDecided(d) => application_state::decide(state, index, entry, d),
    }
}

fn apply_genesis(state: &mut impl StateStore, chain: ChainId, author: KeyId, g: &Genesis) -> Result<(), ApplyError> {
    if author != g.root_key.id() {
        return Err(Refusal::GenesisNotSelfSigned.into());
    }
    if g.node_name.is_empty() {
        return Err(Refusal::Empty("node name").into());
    }
    match genesis(state)? {
        Some(existing) if &existing != g => return Err(Refusal::GenesisMismatch.into()),
        Some(_) => {}
        None => {
            write(state, key::genesis(), g);
            for (key, owner) in [(g.root_key, KeyOwner::Root), (g.node_key, KeyOwner::Node)] {
                let record = KeyRecord { key, owner, active_from: 0, active_until: None };
                write(state, key::key(&key.id()), &record);
            }
        }
    }
    state.put(key::chain_started(chain), b"1".to_vec());
    Ok(())
}

/// Checks that `author` is a known key of `owner`; refuses with `not`
/// when it belongs to someone else.
pub(crate) fn require_owner(
    state: &impl StateRead,
    author: &KeyId,
    owner: KeyOwner,
    not: Refusal,
) -> Result<(), ApplyError> {
    match key_record(state, author)? {
        Some(record) if record.owner == owner => Ok(()),
        Some(_) => Err(not.into()),
        None => Err(Refusal::UnknownKey(author.clone()).into()),
    }
}

/// Records `key` as signing for `agency` from license index `index`;
/// refuses a key already known (every key belongs to one owner, once).
fn new_agency_key(
    state: &mut impl StateStore,
    agency: &AgencyCode,
    key: PublicKey,
    index: u64,
) -> Result<KeyId, ApplyError> {
    let id = key.id();
    if key_record(state, &id)?.is_some() {
        return Err(Refusal::KeyInUse(id).into());
    }
    let record = KeyRecord { key, owner: KeyOwner::Agency(agency.clone()), active_from: index, active_until: None };
    write(state, key::key(&id), &record);
    Ok(id)
}

fn require_root(state: &impl StateRead, author: &KeyId, kind: &'static str) -> Result<(), ApplyError> {
    require_owner(state, author, KeyOwner::Root, Refusal::NotRoot { kind })
}

fn live_agency(state: &impl StateRead, code: &AgencyCode) -> Result<AgencyRecord, ApplyError> {
    let agency = agency(state, code)?.ok_or_else(|| Refusal::UnknownAgency(code.clone()))?;
    if agency.retired_at.is_some() {
        return Err(Refusal::AgencyRetired(code.clone()).into());
    }
    Ok(agency)
}

pub(crate) fn end_key(state: &mut impl StateStore, id: &KeyId, index: u64) -> Result<(), ApplyError> {
    let mut record = key_record(state, id)?.ok_or_else(|| Refusal::UnknownKey(id.clone()))?;
    record.active_until = Some(index);
    write(state, key::key(id), &record);
    Ok(())
}

/// Checks that `author` is an active key of `agency` at `index`.
fn require_agency_key(
    state: &impl StateRead,
    author: &KeyId,
    agency_code: &AgencyCode,
    index: u64,
) -> Result<(), ApplyError> {
    let record = key_record(state, author)?.ok_or_else(|| Refusal::UnknownKey(author.clone()))?;
    if record.owner != KeyOwner::Agency(agency_code.clone()) {
        return Err(Refusal::NotTheAgency { key: author.clone(), agency: agency_code.clone() }.into());
    }
    live_agency(state, agency_code)?;
    if !record.active_at(index) {
        return Err(Refusal::KeyNotActive { key: author.clone(), index }.into());
    }
    Ok(())
}

fn issue(
    state: &mut impl StateStore,
    index: u64,
    entry: &SignedEntry,
    l: &LicenseIssued,
    renewal: bool,
) -> Result<(), ApplyError> {
    require_agency_key(state, &entry.entry.author, &l.agency, index)?;
    if l.license_type.trim().is_empty() {
        return Err(Refusal::Empty("license type").into());
    }
    if l.valid_until.is_some_and(|until| until < l.valid_from) {
        return Err(Refusal::EmptyValidity.into());
    }
    if license(state, &l.license)?.is_some() {
        return Err(Refusal::LicenseExists(l.license.clone()).into());
    }
    match (&l.previous, renewal) {
        (None, false) => {}
        (Some(previous), true) => {
            let mut old = license(state, previous)?.ok_or_else(|| Refusal::UnknownLicense(previous.clone()))?;
            if old.issued.agency != l.agency {
                return Err(Refusal::NotTheAgency { key: entry.entry.author.clone(), agency: old.issued.agency }.into());
            }
            if matches!(old.status, LicenseStatus::Revoked | LicenseStatus::Cancelled) {
                return Err(Refusal::IllegalTransition {
                    license: previous.clone(),
                    from: old.status,
                    kind: "license.renewed",
                }
                .into());
            }
            if old.renewed_by.is_some() {
                return Err(Refusal::AlreadyRenewed(previous.clone()).into());
            }
            old.renewed_by = Some(l.license.clone());
            write(state, key::license(previous), &old);
        }
        _ => return Err(Refusal::RenewalLink.into()),
    }
    let record = LicenseRecord {
        issued: l.clone(),
        status: LicenseStatus::Valid,
        issued_at: index,
        issued_time: entry.entry.time,
        issued_by: entry.entry.author.clone(),
        changed_at: None,
        reason: None,
        renewed_by: None,
    };
    write(state, key::license(&l.license), &record);
    Ok(())
}

fn change(
    state: &mut impl StateStore,
    index: u64,
    entry: &SignedEntry,
    c: &LicenseStatusChange,
    kind: &'static str,
) -> Result<(), ApplyError> {
    let mut record = license(state, &c.license)?.ok_or_else(|| Refusal::UnknownLicense(c.license.clone()))?;
    require_agency_key(state, &entry.entry.author, &record.issued.agency, index)?;
    if c.reason.trim().is_empty() {
        return Err(Refusal::Empty("reason").into());
    }
    use LicenseStatus::*;
    let next = match (kind, record.status) {
        ("license.suspended", Valid) => Suspended,
        ("license.resumed", Suspended) => Valid,
        ("license.revoked", Valid | Suspended) => Revoked,
        ("license.cancelled", Valid | Suspended) => Cancelled,
        (_, from) => {
            return Err(Refusal::IllegalTransition { license: c.license.clone(), from, kind }.into());
        }
    };
    record.status = next;
    record.changed_at = Some(index);
    record.reason = Some(c.reason.clone());
    write(state, key::license(&c.license), &record);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Commitment;

    #[test]
    fn key_owners_keep_their_stored_form() {
        let agency = AgencyCode::with_check_character("11370100MB2855910").unwrap();
        let cases = [
            (KeyOwner::Root, r#"{"kind":"root"}"#.to_owned()),
            (KeyOwner::Node, r#"{"kind":"node"}"#.to_owned()),
            (KeyOwner::Agency(agency.clone()), format!(r#"{{"kind":"agency","agency":"{agency}"}}"#)),
            (
                KeyOwner::Applicant(BoxRef(Commitment([0; 32]))),
                format!(r#"{{"kind":"applicant","box":"{}"}}"#, Commitment([0; 32])),
            ),
        ];
        for (owner, json) in cases {
            assert_eq!(serde_json::to_string(&owner).unwrap(), json);
            assert_eq!(serde_json::from_str::<KeyOwner>(&json).unwrap(), owner);
        }
    }
}
