//! The vault's values as the chain names them. The two crates never see
//! each other's types; the node converts here, and only here.

use safebox_chain::{BoxRef, Commitment, DocumentRef, PublicKey};
use safebox_vault::{ApplicantCommitment, DocumentCommitment, DocumentId};

/// A box's chain reference: the vault's applicant commitment.
pub fn box_ref(c: ApplicantCommitment) -> BoxRef {
    BoxRef(commitment(c))
}

/// A keyed commitment to an applicant's or holder's code, as the chain
/// records it.
pub fn commitment(c: ApplicantCommitment) -> Commitment {
    Commitment(c.0)
}

/// A document's chain reference: the vault's keyed document id.
pub fn document_ref(d: DocumentId) -> DocumentRef {
    DocumentRef(d.0)
}

/// The vault's document id a chain reference names.
pub fn document_id(d: DocumentRef) -> DocumentId {
    DocumentId(d.0)
}

/// A version commitment as a use entry records it.
pub fn version(c: DocumentCommitment) -> Commitment {
    Commitment(c.0)
}

/// The applicant key the vault holds, as the chain records keys.
pub fn public_key(key: ed25519_dalek::VerifyingKey) -> PublicKey {
    PublicKey(key)
}
