//! Online verification: against a node's own ledger and committed state,
//! read at its latest checkpoint.

use super::credential::{check_signature, check_validity, Signed};
use super::judge::{judge_issuance, owner_text, read_issuance, status_failure, status_text, Issuance};
use super::stored::LicenseView;
use super::verdict::{Basis, CheckName, Checks, Verdict};
use crate::hash::EntryHash;
use crate::ledger::Ledger;
use crate::state::{self, KeyOwner, LicenseRecord, LicenseStatus};
use crate::time::Timestamp;

/// Verifies a credential (its JSON text as presented) against the ledger:
/// every check, each with its detail or its reason, as of `now` and of the
/// license chain's latest checkpoint.
pub fn verify_online(ledger: &Ledger, credential_bytes: &[u8], now: Timestamp) -> Verdict {
    let mut checks = Checks::new();
    let (license, signed) = check_signature(credential_bytes, &mut checks);
    let Some(signed) = signed else {
        return checks.verdict(license, Basis::Node);
    };
    check_validity(&signed, now, &mut checks);
    let view = match LicenseView::open(ledger) {
        Ok(view) => view,
        Err(e) => {
            let reason = format!("cannot read the license chain: {e}");
            checks.skip(CheckName::IssuerKey, CheckName::OnChain, &reason);
            checks.skip(CheckName::Status, CheckName::OnChain, &reason);
            checks.fail(CheckName::OnChain, reason);
            return checks.verdict(license, Basis::Node);
        }
    };
    let issuance = find_issuance(&view, &signed);
    issuer_key(&view, &signed, issuance.as_ref().ok().map(|(i, _)| i.index), &mut checks);
    match &issuance {
        Err(reason) => checks.fail(CheckName::OnChain, reason.clone()),
        Ok((issuance, _)) => {
            let anchor = format!(
                "included under the node's signed checkpoint at license-chain size {} (root {})",
                view.head.size, view.head.root
            );
            checks.record(CheckName::OnChain, judge_issuance(issuance, &signed, &anchor));
        }
    }
    match issuance {
        Ok((_, record)) if checks.passed(CheckName::OnChain) => status(&record, view.head.size, &mut checks),
        _ => checks.skip(CheckName::Status, CheckName::OnChain, "the status of another credential is not this one's"),
    }
    checks.verdict(license, Basis::Node)
}

/// The license's issuance entry, read where the state says it stands and
/// proved under the checkpoint.
fn find_issuance(view: &LicenseView, signed: &Signed) -> Result<(Issuance, LicenseRecord), String> {
    let id = signed.identifier().license_id();
    let size = view.head.size;
    let record = state::license(view, &id)
        .map_err(|e| format!("cannot read the license's record: {e}"))?
        .ok_or_else(|| format!("license {id} is not on the license chain (size {size})"))?;
    let index = record.issued_at;
    let bytes = view.entry(index).map_err(|e| format!("cannot read license-chain entry {index}: {e}"))?;
    let issuance = read_issuance(&bytes, index, signed)?;
    let proof = view.prove(index).map_err(|e| format!("cannot prove license-chain entry {index}: {e}"))?;
    proof
        .verify(&EntryHash::of_entry(&bytes), &view.head.root)
        .map_err(|e| format!("license-chain entry {index} does not prove under the checkpoint at size {size}: {e}"))?;
    Ok((issuance, record))
}

/// The `issuer_key` check against the agency registry.
fn issuer_key(view: &LicenseView, signed: &Signed, issued_at: Option<u64>, checks: &mut Checks) {
    let issuer = signed.identifier().issuer();
    let key = signed.key_id.clone();
    let agency = match state::agency(view, issuer) {
        Ok(agency) => agency,
        Err(e) => return checks.fail(CheckName::IssuerKey, format!("cannot read the agency registry: {e}")),
    };
    let record = match state::key_record(view, &key) {
        Ok(record) => record,
        Err(e) => return checks.fail(CheckName::IssuerKey, format!("cannot read the key registry: {e}")),
    };
    let (agency, record) = match (agency, record) {
        (None, _) => {
            return checks.fail(
                CheckName::IssuerKey,
                format!(
                    "agency {issuer}, which the credential names as issuer, is not registered on the license chain"
                ),
            )
        }
        (Some(_), None) => {
            return checks.fail(CheckName::IssuerKey, format!("key {key} is not registered on the license chain"))
        }
        (Some(agency), Some(record)) => (agency, record),
    };
    if record.owner != KeyOwner::Agency(issuer.clone()) {
        return checks.fail(
            CheckName::IssuerKey,
            format!("key {key} is {}, not a key of agency {issuer}", owner_text(&record.owner)),
        );
    }
    let span = match record.active_until {
        Some(until) => format!("active from license-chain index {} until {until}", record.active_from),
        None => format!("active from license-chain index {}", record.active_from),
    };
    match issued_at {
        None => checks.skip(
            CheckName::IssuerKey,
            CheckName::OnChain,
            format!("key {key} is agency {issuer}'s ({span}), but no issuance of this license gives the index to judge it at"),
        ),
        Some(index) if !record.active_at(index) => checks.fail(
            CheckName::IssuerKey,
            format!("key {key} of agency {issuer} was {span}; the license was issued at index {index}, when it was not"),
        ),
        Some(index) => checks.pass(
            CheckName::IssuerKey,
            format!("key {key} is agency {issuer}'s ({}), {span}, so active at index {index} where the license was issued", agency.name),
        ),
    }
}

/// The `status` check from the license's record.
fn status(record: &LicenseRecord, size: u64, checks: &mut Checks) {
    let renewed = record.renewed_by.as_ref().map(|r| format!("; renewed by {r}")).unwrap_or_default();
    match record.status {
        LicenseStatus::Valid => checks.pass(
            CheckName::Status,
            format!("{} at license-chain size {size}{renewed}", status_text(LicenseStatus::Valid)),
        ),
        other => checks.fail(
            CheckName::Status,
            format!(
                "{} (license-chain size {size}){renewed}",
                status_failure(other, record.changed_at, record.reason.as_deref())
            ),
        ),
    }
}
