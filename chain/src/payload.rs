//! The typed kinds of entry and their bodies, for both chains.
//!
//! The wire form is `"kind": "<name>", "body": {...}` inside the entry
//! object. Each kind says which chain it belongs on; who may author it and
//! what it changes is the business of `state`.

use crate::hash::{Commitment, CredentialDigest};
use crate::ids::{AgencyCode, LicenseId};
use crate::keys::PublicKey;
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
        }
    }

    /// Whether this kind may stand on `chain`.
    pub fn allowed_on(&self, chain: ChainId) -> bool {
        match self {
            Payload::Genesis(_) => true,
            _ => chain == ChainId::License,
        }
    }
}
