//! The typed kinds of entry and their bodies, for both chains.
//!
//! The wire form is `"kind": "<name>", "body": {...}` inside the entry
//! object. Each kind says which chain it belongs on; who may author it and
//! what it changes is the business of `state` (license chain) and
//! `service_state` (service chain).

use crate::hash::{Commitment, CredentialDigest};
use crate::ids::{AgencyCode, LicenseId};
use crate::keys::PublicKey;
use crate::service_ids::{ApplicationId, BoxRef, DocumentRef, GrantId, MatterCode, Purpose};
use crate::time::Timestamp;
use crate::ChainId;
use serde::{Deserialize, Serialize};

/// What an entry says. Serialised adjacently tagged as `kind` and `body`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body")]
pub enum Payload {
    /// First entry of each chain: the node's name, the root authority's key
    /// and the node's key. Signed by the root authority.
    #[serde(rename = "genesis")]
    Genesis(Genesis),
    #[serde(rename = "agency.registered")]
    AgencyRegistered(AgencyRegistered),
    #[serde(rename = "agency.key_rotated")]
    AgencyKeyRotated(AgencyKeyRotated),
    #[serde(rename = "agency.retired")]
    AgencyRetired(AgencyRetired),
    #[serde(rename = "license.issued")]
    LicenseIssued(LicenseIssued),
    #[serde(rename = "license.suspended")]
    LicenseSuspended(LicenseStatusChange),
    #[serde(rename = "license.resumed")]
    LicenseResumed(LicenseStatusChange),
    #[serde(rename = "license.revoked")]
    LicenseRevoked(LicenseStatusChange),
    #[serde(rename = "license.cancelled")]
    LicenseCancelled(LicenseStatusChange),
    /// A new version of a license; its `previous` names the one it renews.
    #[serde(rename = "license.renewed")]
    LicenseRenewed(LicenseIssued),
    /// A box and its applicant's key. Signed by the node.
    #[serde(rename = "box.opened")]
    BoxOpened(BoxOpened),
    /// The applicant's consent. Signed by the applicant's key.
    #[serde(rename = "grant.given")]
    GrantGiven(GrantGiven),
    /// The applicant takes a grant back. Signed by the applicant's key.
    #[serde(rename = "grant.withdrawn")]
    GrantWithdrawn(GrantWithdrawn),
    /// An agency read a document under a grant. Signed by the agency.
    #[serde(rename = "document.used")]
    DocumentUsed(DocumentUsed),
    /// The box was crypto-shredded. Signed by the node.
    #[serde(rename = "box.erased")]
    BoxErased(BoxErased),
    /// The applicant applies for a matter, saying how each required
    /// material is provided. Signed by the applicant's key.
    #[serde(rename = "application.opened")]
    ApplicationOpened(ApplicationOpened),
    /// The matter's agency approves or rejects. Signed by the agency.
    #[serde(rename = "application.decided")]
    ApplicationDecided(ApplicationDecided),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    pub node_name: String,
    pub root_key: PublicKey,
    pub node_key: PublicKey,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyRegistered {
    pub agency: AgencyCode,
    pub name: String,
    pub key: PublicKey,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyKeyRotated {
    pub agency: AgencyCode,
    /// The key that signs for the agency from this entry on; the previous
    /// key stays valid for what it signed before.
    pub key: PublicKey,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyRetired {
    pub agency: AgencyCode,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenseIssued {
    pub license: LicenseId,
    pub agency: AgencyCode,
    /// GB/T 36903 证照类型代码.
    pub license_type: String,
    /// Commitment to the holder (持证主体); never the holder's code itself.
    pub holder: Commitment,
    /// SHA-256 of the credential's canonical bytes.
    pub credential: CredentialDigest,
    pub valid_from: Timestamp,
    /// None for a license without an end date (长期).
    pub valid_until: Option<Timestamp>,
    /// 关联证照标识: on a renewal, the identifier this version renews.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<LicenseId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenseStatusChange {
    pub license: LicenseId,
    /// Why, in the agency's words (recorded, shown to verifiers).
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoxOpened {
    #[serde(rename = "box")]
    pub box_ref: BoxRef,
    /// The key that signs the applicant's grants and withdrawals.
    pub applicant_key: PublicKey,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantGiven {
    pub grant: GrantId,
    #[serde(rename = "box")]
    pub box_ref: BoxRef,
    /// The only agency that may read under this grant.
    pub agency: AgencyCode,
    /// The documents it may read (every version of each).
    pub documents: Vec<DocumentRef>,
    pub matter: MatterCode,
    pub purpose: Purpose,
    /// Uses are refused from this time on.
    pub expires: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantWithdrawn {
    pub grant: GrantId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentUsed {
    pub grant: GrantId,
    #[serde(rename = "box")]
    pub box_ref: BoxRef,
    /// The reading agency; its key signs the entry.
    pub agency: AgencyCode,
    pub document: DocumentRef,
    /// The vault's commitment to the exact version read (its content hash
    /// included), so the entry names the bytes that were handed out.
    pub version: Commitment,
    pub matter: MatterCode,
    pub purpose: Purpose,
    /// Size of the license chain the agency saw when it signed: its key must
    /// be active at license-chain index `license_size - 1`. Service entries
    /// have no license index of their own; this gives the agency key check
    /// one that replay reproduces.
    pub license_size: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoxErased {
    #[serde(rename = "box")]
    pub box_ref: BoxRef,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationOpened {
    pub application: ApplicationId,
    #[serde(rename = "box")]
    pub box_ref: BoxRef,
    pub matter: MatterCode,
    /// The agency that decides (the matter's agency in the catalog).
    pub agency: AgencyCode,
    /// The grant under which the agency reads the documents listed; needed
    /// when any material is a document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<GrantId>,
    /// How each required material of the matter is provided, in the
    /// catalog's order: the measure of reuse is counted from these.
    pub materials: Vec<MaterialProvided>,
}

/// How one required material was provided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case", deny_unknown_fields)]
pub enum MaterialProvided {
    /// An e-license the applicant already held (reused; verified by the
    /// node before it let the application open).
    License { license: LicenseId },
    /// A document that was already in the box (reused; read under the
    /// grant).
    StoredDocument { document: DocumentRef },
    /// A document submitted with this application (stored in the box, read
    /// under the grant, and reusable from then on).
    SubmittedDocument { document: DocumentRef },
}

impl MaterialProvided {
    /// Whether the applicant was spared submitting this material.
    pub fn is_reuse(&self) -> bool {
        !matches!(self, MaterialProvided::SubmittedDocument { .. })
    }

    /// The document the agency reads under the grant, if any.
    pub fn document(&self) -> Option<DocumentRef> {
        match self {
            MaterialProvided::License { .. } => None,
            MaterialProvided::StoredDocument { document } | MaterialProvided::SubmittedDocument { document } => {
                Some(*document)
            }
        }
    }
}

/// An agency's decision.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approved,
    Rejected,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationDecided {
    pub application: ApplicationId,
    pub decision: Decision,
    /// Why, in the agency's words (required for a rejection).
    pub reason: String,
    /// The license an approval produced, already on the license chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<LicenseId>,
    /// Size of the license chain the agency saw when it signed (as in
    /// `document.used`): its key must be active at `license_size - 1`, and
    /// the license it names must stand below it.
    pub license_size: u64,
}

impl Payload {
    /// The wire name of this kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::Genesis(_) => "genesis",
            Payload::AgencyRegistered(_) => "agency.registered",
            Payload::AgencyKeyRotated(_) => "agency.key_rotated",
            Payload::AgencyRetired(_) => "agency.retired",
            Payload::LicenseIssued(_) => "license.issued",
            Payload::LicenseSuspended(_) => "license.suspended",
            Payload::LicenseResumed(_) => "license.resumed",
            Payload::LicenseRevoked(_) => "license.revoked",
            Payload::LicenseCancelled(_) => "license.cancelled",
            Payload::LicenseRenewed(_) => "license.renewed",
            Payload::BoxOpened(_) => "box.opened",
            Payload::GrantGiven(_) => "grant.given",
            Payload::GrantWithdrawn(_) => "grant.withdrawn",
            Payload::DocumentUsed(_) => "document.used",
            Payload::BoxErased(_) => "box.erased",
            Payload::ApplicationOpened(_) => "application.opened",
            Payload::ApplicationDecided(_) => "application.decided",
        }
    }

    /// Whether this kind may stand on `chain`.
    pub fn allowed_on(&self, chain: ChainId) -> bool {
        match self {
            Payload::Genesis(_) => true,
            Payload::AgencyRegistered(_)
            | Payload::AgencyKeyRotated(_)
            | Payload::AgencyRetired(_)
            | Payload::LicenseIssued(_)
            | Payload::LicenseSuspended(_)
            | Payload::LicenseResumed(_)
            | Payload::LicenseRevoked(_)
            | Payload::LicenseCancelled(_)
            | Payload::LicenseRenewed(_) => chain == ChainId::License,
            Payload::BoxOpened(_)
            | Payload::GrantGiven(_)
            | Payload::GrantWithdrawn(_)
            | Payload::DocumentUsed(_)
            | Payload::BoxErased(_)
            | Payload::ApplicationOpened(_)
            | Payload::ApplicationDecided(_) => chain == ChainId::Service,
        }
    }
}
