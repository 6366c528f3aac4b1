//! The service chain's rules: boxes, grants, uses and erasures, and the
//! state they leave. Called by `state::apply`, so the sequencer and replay
//! run the same rules.
//!
//! Replay reads the whole license chain before the service chain, so a
//! service entry is replayed against final key and agency records, not the
//! ones its append saw. Each rule that looks at the license chain is written
//! so that what held at append still holds against the final records:
//!
//! - an agency key is checked at the license index the use names
//!   (`license_size - 1`), which must lie inside the license chain as the
//!   rule sees it; later rotations and retirements end a key only after
//!   their own index, so they cannot change the answer;
//! - a grant's agency must be registered (never undone), not "not retired"
//!   (a retirement may come later on the license chain).
//!
//! Node policy that cannot be replayed (an entry's time is close to the
//! node's clock; an agency signs with its current key) is the node's
//! business, checked before it appends.

use crate::entry::SignedEntry;
use crate::ids::AgencyCode;
use crate::keys::KeyId;
use crate::payload::{BoxErased, BoxOpened, DocumentUsed, GrantGiven, GrantWithdrawn};
use crate::service_ids::{BoxRef, GrantId, MatterCode};
use crate::state::{
    self, end_key, key_record, read, require_owner, write, ApplyError, KeyOwner, KeyRecord, Refusal, StateError,
    StateRead, StateStore,
};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What the service chain says of one box.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoxRecord {
    /// The key that signs the applicant's grants and withdrawals.
    pub applicant_key: KeyId,
    /// Service-chain index of `box.opened`.
    pub opened_at: u64,
    /// Service-chain index of `box.erased`, once erased.
    pub erased_at: Option<u64>,
    /// How many uses were recorded: the access log is `use/<box>/0..uses`.
    pub uses: u64,
}

/// A grant and whether it still stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRecord {
    pub given: GrantGiven,
    /// Service-chain index of `grant.given`.
    pub given_at: u64,
    pub given_time: Timestamp,
    /// Service-chain index of `grant.withdrawn`, once withdrawn.
    pub withdrawn_at: Option<u64>,
}

/// State keys of the service chain (text, like the license chain's).
pub mod key {
    use super::*;
    pub fn boxes(b: &BoxRef) -> Vec<u8> {
        format!("box/{}", b.to_hex()).into_bytes()
    }
    pub fn grant(g: &GrantId) -> Vec<u8> {
        format!("grant/{g}").into_bytes()
    }
    /// The `n`th use of a box's documents (zero-padded so the rows sort in
    /// order); the value is the use entry's service-chain index.
    pub fn use_of(b: &BoxRef, n: u64) -> Vec<u8> {
        format!("use/{}/{n:020}", b.to_hex()).into_bytes()
    }
}

/// A box's record.
pub fn box_record(state: &impl StateRead, b: &BoxRef) -> Result<Option<BoxRecord>, StateError> {
    read(state, &key::boxes(b))
}

/// A grant's record.
pub fn grant(state: &impl StateRead, g: &GrantId) -> Result<Option<GrantRecord>, StateError> {
    read(state, &key::grant(g))
}

/// The service-chain indexes of every use of a box's documents, oldest
/// first: the applicant's access log, read without scanning the chain.
pub fn access_log(state: &impl StateRead, b: &BoxRef) -> Result<Vec<u64>, StateError> {
    let Some(record) = box_record(state, b)? else {
        return Ok(Vec::new());
    };
    (0..record.uses)
        .map(|n| {
            read(state, &key::use_of(b, n))?.ok_or_else(|| StateError::Corrupt {
                key: String::from_utf8_lossy(&key::use_of(b, n)).into_owned(),
                reason: "missing".into(),
            })
        })
        .collect()
}

/// `box.opened`: by the node; registers the applicant key for the box.
pub(crate) fn open_box(
    state: &mut impl StateStore,
    index: u64,
    author: &KeyId,
    o: &BoxOpened,
) -> Result<(), ApplyError> {
    require_node(state, author, "box.opened")?;
    if box_record(state, &o.box_ref)?.is_some() {
        return Err(Refusal::BoxExists(o.box_ref).into());
    }
    let id = o.applicant_key.id();
    if key_record(state, &id)?.is_some() {
        return Err(Refusal::KeyInUse(id).into());
    }
    let key = KeyRecord {
        key: o.applicant_key,
        owner: KeyOwner::Applicant(o.box_ref),
        active_from: index,
        active_until: None,
    };
    write(state, state::key::key(&id), &key);
    let record = BoxRecord { applicant_key: id, opened_at: index, erased_at: None, uses: 0 };
    write(state, key::boxes(&o.box_ref), &record);
    Ok(())
}

/// `grant.given`: by the box's applicant, to a registered agency, for at
/// least one document, expiring after it is given.
pub(crate) fn give(
    state: &mut impl StateStore,
    index: u64,
    entry: &SignedEntry,
    g: &GrantGiven,
) -> Result<(), ApplyError> {
    let time = entry.entry.time;
    live_box_of_applicant(state, &g.box_ref, &entry.entry.author)?;
    if grant(state, &g.grant)?.is_some() {
        return Err(Refusal::GrantExists(g.grant).into());
    }
    // Registration is never undone, so replay agrees; retirement is not
    // checked here (it may come later): a retired agency's key signs no use.
    if state::agency(state, &g.agency)?.is_none() {
        return Err(Refusal::UnknownAgency(g.agency.clone()).into());
    }
    if g.documents.is_empty() {
        return Err(Refusal::Empty("grant documents").into());
    }
    let mut seen = BTreeSet::new();
    if let Some(twice) = g.documents.iter().find(|d| !seen.insert(**d)) {
        return Err(Refusal::DuplicateDocument(*twice).into());
    }
    if g.expires <= time {
        return Err(Refusal::ExpiryNotAfterGiven.into());
    }
    let record = GrantRecord { given: g.clone(), given_at: index, given_time: time, withdrawn_at: None };
    write(state, key::grant(&g.grant), &record);
    Ok(())
}

/// A use is legal only under a grant of this box, by its applicant, not
/// withdrawn, not expired at the entry's time, to the author's agency, for
/// the same matter and purpose, listing the document; the agency key must
/// be active at the license index the entry names.
pub(crate) fn record_use(
    state: &mut impl StateStore,
    index: u64,
    entry: &SignedEntry,
    u: &DocumentUsed,
) -> Result<(), ApplyError> {
    let (author, time) = (&entry.entry.author, entry.entry.time);
    let mut record = live_box(state, &u.box_ref)?;
    require_agency_key_at(state, author, &u.agency, u.license_size)?;
    let grant = usable_grant(state, &u.grant, &u.box_ref, &u.agency, &u.matter, time)?;
    let given = &grant.given;
    if given.purpose != u.purpose {
        return Err(Refusal::OtherPurpose { grant: u.grant }.into());
    }
    if !given.documents.contains(&u.document) {
        return Err(Refusal::DocumentNotGranted { grant: u.grant, document: u.document }.into());
    }
    write(state, key::use_of(&u.box_ref, record.uses), &index);
    record.uses += 1;
    write(state, key::boxes(&u.box_ref), &record);
    Ok(())
}

/// `grant.withdrawn`: by the applicant of the grant's box, once.
pub(crate) fn withdraw(
    state: &mut impl StateStore,
    index: u64,
    author: &KeyId,
    w: &GrantWithdrawn,
) -> Result<(), ApplyError> {
    let mut grant = grant(state, &w.grant)?.ok_or(Refusal::UnknownGrant(w.grant))?;
    live_box_of_applicant(state, &grant.given.box_ref, author)?;
    if grant.withdrawn_at.is_some() {
        return Err(Refusal::GrantWithdrawn(w.grant).into());
    }
    grant.withdrawn_at = Some(index);
    write(state, key::grant(&w.grant), &grant);
    Ok(())
}

/// `box.erased`: by the node; ends the box and its applicant key, so no
/// grant, withdrawal or use of it stands from here on.
pub(crate) fn erase(state: &mut impl StateStore, index: u64, author: &KeyId, x: &BoxErased) -> Result<(), ApplyError> {
    require_node(state, author, "box.erased")?;
    let mut record = live_box(state, &x.box_ref)?;
    end_key(state, &record.applicant_key, index)?;
    record.erased_at = Some(index);
    write(state, key::boxes(&x.box_ref), &record);
    Ok(())
}

/// A grant that lets `agency` read from box `box_ref` for `matter` at
/// `time`: given for that box, agency and matter, not withdrawn, not
/// expired.
pub(crate) fn usable_grant(
    state: &impl StateRead,
    id: &GrantId,
    box_ref: &BoxRef,
    agency: &AgencyCode,
    matter: &MatterCode,
    time: Timestamp,
) -> Result<GrantRecord, ApplyError> {
    let grant = grant(state, id)?.ok_or(Refusal::UnknownGrant(*id))?;
    let given = &grant.given;
    if &given.box_ref != box_ref {
        return Err(Refusal::GrantForOtherBox { grant: *id, box_ref: *box_ref }.into());
    }
    if grant.withdrawn_at.is_some() {
        return Err(Refusal::GrantWithdrawn(*id).into());
    }
    if time >= given.expires {
        return Err(Refusal::GrantExpired { grant: *id, expires: given.expires.0, time: time.0 }.into());
    }
    if &given.agency != agency {
        return Err(Refusal::GrantForOtherAgency {
            grant: *id,
            given_to: given.agency.clone(),
            agency: agency.clone(),
        }
        .into());
    }
    if &given.matter != matter {
        return Err(Refusal::OtherMatter { grant: *id, granted: given.matter.clone(), matter: matter.clone() }.into());
    }
    Ok(grant)
}

/// `author` is a key of `agency`, active at the license index
/// `license_size - 1` that a service entry names, which must lie inside the
/// license chain as the rule sees it.
pub(crate) fn require_agency_key_at(
    state: &impl StateRead,
    author: &KeyId,
    agency: &AgencyCode,
    license_size: u64,
) -> Result<(), ApplyError> {
    let key = key_record(state, author)?.ok_or_else(|| Refusal::UnknownKey(author.clone()))?;
    if key.owner != KeyOwner::Agency(agency.clone()) {
        return Err(Refusal::NotTheAgency { key: author.clone(), agency: agency.clone() }.into());
    }
    let size = state::license_size(state)?;
    if license_size == 0 || license_size > size {
        return Err(Refusal::LicenseSizeOutOfRange { claimed: license_size, size }.into());
    }
    if !key.active_at(license_size - 1) {
        return Err(Refusal::KeyNotActive { key: author.clone(), index: license_size - 1 }.into());
    }
    Ok(())
}

fn require_node(state: &impl StateRead, author: &KeyId, kind: &'static str) -> Result<(), ApplyError> {
    require_owner(state, author, KeyOwner::Node, Refusal::NotNode { kind })
}

/// The record of a box that was opened and not erased.
pub(crate) fn live_box(state: &impl StateRead, b: &BoxRef) -> Result<BoxRecord, ApplyError> {
    let record = box_record(state, b)?.ok_or(Refusal::UnknownBox(*b))?;
    if record.erased_at.is_some() {
        return Err(Refusal::BoxErased(*b).into());
    }
    Ok(record)
}

/// A live box whose applicant key is `author`.
pub(crate) fn live_box_of_applicant(state: &impl StateRead, b: &BoxRef, author: &KeyId) -> Result<(), ApplyError> {
    if &live_box(state, b)?.applicant_key != author {
        return Err(Refusal::NotTheApplicant { key: author.clone(), box_ref: *b }.into());
    }
    Ok(())
}
