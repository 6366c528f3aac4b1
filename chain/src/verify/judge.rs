//! What online and offline verification judge alike, once each has
//! established its facts its own way: the issuance entry and what it must
//! say, the agency key entry, and how statuses read.

use super::credential::Signed;
use crate::entry::SignedEntry;
use crate::ids::AgencyCode;
use crate::keys::{KeyId, PublicKey, Signature};
use crate::payload::{LicenseIssued, Payload};
use crate::state::{KeyOwner, LicenseStatus};
use crate::time::Timestamp;
use crate::ChainId;

/// A `license.issued` or `license.renewed` entry of the credential's
/// license, at a known license-chain index.
pub(crate) struct Issuance {
    pub index: u64,
    pub kind: &'static str,
    pub issued: LicenseIssued,
    pub author: KeyId,
}

/// Reads an entry's bytes. Not `from_canonical_bytes`: the bytes are
/// proved to stand in the log (online, read from it; offline, by inclusion
/// under the node's checkpoint), and the log holds only what the node
/// verified and wrote in canonical form. Checking that form and the
/// author's signature again is replay's work, for every entry at once.
fn read_entry(bytes: &[u8]) -> Result<SignedEntry, crate::entry::EntryError> {
    SignedEntry::from_json(bytes)
}

/// Reads entry bytes as the issuance of the credential's license.
pub(crate) fn read_issuance(bytes: &[u8], index: u64, signed: &Signed) -> Result<Issuance, String> {
    let (kind, issued, author) = match read_issuance_directly(bytes) {
        Some(found) => found,
        None => {
            let entry = read_entry(bytes)
                .map_err(|e| format!("the issuance entry at license-chain index {index} cannot be read: {e}"))?;
            let kind = entry.entry.payload.kind();
            match entry.entry.payload {
                Payload::LicenseIssued(issued) | Payload::LicenseRenewed(issued) => (kind, issued, entry.entry.author),
                _ => {
                    return Err(format!("license-chain entry {index} is {kind}, not license.issued or license.renewed"))
                }
            }
        }
    };
    let id = signed.identifier().license_id();
    if issued.license != id {
        return Err(format!("license-chain entry {index} issues license {}, not {id}", issued.license));
    }
    Ok(Issuance { index, kind, issued, author })
}

/// An issuance read straight into its body's type, without the general
/// entry reader's detour through a JSON value: the same members, each
/// required, none unknown. Anything else (another kind, another shape)
/// gives `None`, and the general reader says what it is.
fn read_issuance_directly(bytes: &[u8]) -> Option<(&'static str, LicenseIssued, KeyId)> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Wire<'a> {
        author: KeyId,
        body: LicenseIssued,
        chain: ChainId,
        kind: &'a str,
        #[allow(dead_code)]
        sig: Signature,
        #[allow(dead_code)]
        time: Timestamp,
    }
    let wire: Wire = serde_json::from_slice(bytes).ok()?;
    let kind = match wire.kind {
        "license.issued" => "license.issued",
        "license.renewed" => "license.renewed",
        _ => return None,
    };
    (wire.chain == ChainId::License).then_some((kind, wire.body, wire.author))
}

/// The rest of `on_chain` once the issuance is established: by the
/// credential's agency, signed by the credential's key, recording this
/// credential's digest.
pub(crate) fn judge_issuance(issuance: &Issuance, signed: &Signed, anchor: &str) -> Result<String, String> {
    let Issuance { index, kind, issued, author } = issuance;
    let issuer = signed.identifier().issuer();
    if &issued.agency != issuer {
        return Err(format!(
            "the {kind} entry at license-chain index {index} is by agency {}, but the credential names {issuer}",
            issued.agency
        ));
    }
    let key = signed.key_id.clone();
    if *author != key {
        return Err(format!(
            "the {kind} entry at license-chain index {index} is signed by key {author}, not by the credential's key {key}"
        ));
    }
    if issued.credential != signed.digest {
        return Err(format!(
            "the license chain records credential digest {} for this license (entry {index}), but this credential's digest is {}: it is not the credential that was issued",
            issued.credential, signed.digest
        ));
    }
    Ok(format!(
        "{kind} at license-chain index {index}, signed by key {key}, records this credential's digest {}; {anchor}",
        signed.digest
    ))
}

/// What an `agency.registered` or `agency.key_rotated` entry says: which
/// key it introduced, for which agency.
#[derive(Clone)]
pub(crate) struct KeyEntry {
    pub kind: &'static str,
    pub agency: AgencyCode,
    pub key: PublicKey,
}

/// Reads entry bytes as an entry introducing an agency key.
pub(crate) fn read_key_entry(bytes: &[u8], index: u64) -> Result<KeyEntry, String> {
    let entry = read_entry(bytes)
        .map_err(|e| format!("the agency key entry at license-chain index {index} cannot be read: {e}"))?;
    let kind = entry.entry.payload.kind();
    match entry.entry.payload {
        Payload::AgencyRegistered(r) => Ok(KeyEntry { kind, agency: r.agency, key: r.key }),
        Payload::AgencyKeyRotated(r) => Ok(KeyEntry { kind, agency: r.agency, key: r.key }),
        _ => Err(format!("license-chain entry {index} is {kind}, which introduces no agency key")),
    }
}

/// Whether the key entry at `index` introduced the credential's key for its
/// issuing agency.
pub(crate) fn judge_key_entry(entry: &KeyEntry, index: u64, signed: &Signed) -> Result<(), String> {
    let KeyEntry { kind, agency, key } = entry;
    if *key != signed.key {
        return Err(format!(
            "the {kind} entry at license-chain index {index} introduces key {}, not the credential's key {}",
            key.id(),
            signed.key_id
        ));
    }
    let issuer = signed.identifier().issuer();
    if agency != issuer {
        return Err(format!(
            "key {} is agency {agency}'s (entry {index}), but the credential is issued in the name of agency {issuer}",
            signed.key_id
        ));
    }
    Ok(())
}

/// Whose key a key record says it is.
pub(crate) fn owner_text(owner: &KeyOwner) -> String {
    match owner {
        KeyOwner::Root => "the root authority's key".into(),
        KeyOwner::Node => "the node's key".into(),
        KeyOwner::Agency(code) => format!("a key of agency {code}"),
        KeyOwner::Applicant(_) => "an applicant's key".into(),
    }
}

/// A status as people read it.
pub(crate) fn status_text(status: LicenseStatus) -> &'static str {
    match status {
        LicenseStatus::Valid => "valid (有效)",
        LicenseStatus::Suspended => "suspended (暂扣)",
        LicenseStatus::Revoked => "revoked (吊销)",
        LicenseStatus::Cancelled => "cancelled (注销)",
    }
}

/// A failed status with where and why it changed.
pub(crate) fn status_failure(status: LicenseStatus, changed_at: Option<u64>, reason: Option<&str>) -> String {
    let at = changed_at.map(|i| format!(" at license-chain index {i}")).unwrap_or_default();
    let reason = reason.map(|r| format!(": {r}")).unwrap_or_default();
    format!("{}{at}{reason}", status_text(status))
}

/// An instant for a reason text.
pub(crate) fn when(time: Timestamp) -> String {
    super::credential::instant(time)
}
