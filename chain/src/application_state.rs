//! The service chain's rules for applications: opened by the applicant,
//! decided once by the matter's agency; and the running totals of
//! materials required, reused and submitted that the node reports.
//!
//! The totals are state like any other, so replay recomputes them from the
//! signed entries: the reduction in submitted materials is a fact of the
//! chain, not a figure the node asserts.
//!
//! Like `service_state`, every look at the license chain is one that holds
//! against the final license records replay sees: a license that exists
//! keeps existing, and the decision's agency key is judged at the license
//! index the decision names.

use crate::entry::SignedEntry;
use crate::payload::{ApplicationDecided, ApplicationOpened, Decision, MaterialProvided};
use crate::service_ids::ApplicationId;
use crate::service_state::{live_box, live_box_of_applicant, require_agency_key_at, usable_grant};
use crate::state::{self, read, write, ApplyError, Refusal, StateError, StateRead, StateStore};
use crate::time::Timestamp;
use crate::LicenseId;
use serde::{Deserialize, Serialize};

/// What the service chain says of one application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationRecord {
    pub opened: ApplicationOpened,
    /// Service-chain index of `application.opened`.
    pub opened_at: u64,
    pub opened_time: Timestamp,
    /// The decision, once made.
    pub decided: Option<DecisionRecord>,
}

/// An agency's decision on an application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub decision: Decision,
    pub reason: String,
    pub license: Option<LicenseId>,
    /// Service-chain index of `application.decided`.
    pub decided_at: u64,
    pub decided_time: Timestamp,
}

/// Every application the service chain holds, counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationTotals {
    pub applications: u64,
    pub approved: u64,
    pub rejected: u64,
    /// Materials the matters required, summed over applications.
    pub required: u64,
    /// Of those, provided from the box: held e-licenses and stored
    /// documents.
    pub reused: u64,
    /// Of those, submitted with the application.
    pub submitted: u64,
}

impl ApplicationTotals {
    /// The share of required materials the applicants did not have to
    /// submit, in percent (0 when nothing was required).
    pub fn reduction_percent(&self) -> f64 {
        if self.required == 0 {
            0.0
        } else {
            100.0 * self.reused as f64 / self.required as f64
        }
    }
}

/// State keys of applications.
pub mod key {
    use super::*;
    pub fn application(id: &ApplicationId) -> Vec<u8> {
        format!("application/{id}").into_bytes()
    }
    pub fn totals() -> Vec<u8> {
        b"totals/applications".to_vec()
    }
}

/// An application's record.
pub fn application(state: &impl StateRead, id: &ApplicationId) -> Result<Option<ApplicationRecord>, StateError> {
    read(state, &key::application(id))
}

/// The totals over every application so far.
pub fn totals(state: &impl StateRead) -> Result<ApplicationTotals, StateError> {
    Ok(read(state, &key::totals())?.unwrap_or_default())
}

/// `application.opened`: by the applicant of a live box, to a registered
/// agency; each license it reuses exists on the license chain, and each
/// document it lists is covered by a usable grant of the box to that
/// agency for that matter.
pub(crate) fn open(
    state: &mut impl StateStore,
    index: u64,
    entry: &SignedEntry,
    o: &ApplicationOpened,
) -> Result<(), ApplyError> {
    let time = entry.entry.time;
    live_box_of_applicant(state, &o.box_ref, &entry.entry.author)?;
    if application(state, &o.application)?.is_some() {
        return Err(Refusal::ApplicationExists(o.application).into());
    }
    if state::agency(state, &o.agency)?.is_none() {
        return Err(Refusal::UnknownAgency(o.agency.clone()).into());
    }
    let grant = match &o.grant {
        Some(id) => Some(usable_grant(state, id, &o.box_ref, &o.agency, &o.matter, time)?),
        None => None,
    };
    for material in &o.materials {
        match (material, material.document(), &grant) {
            (MaterialProvided::License { license }, _, _) if state::license(state, license)?.is_none() => {
                return Err(Refusal::UnknownLicense(license.clone()).into());
            }
            (MaterialProvided::License { .. }, _, _) => {}
            (_, _, None) => return Err(Refusal::MissingGrant.into()),
            (_, Some(document), Some(grant)) if !grant.given.documents.contains(&document) => {
                return Err(Refusal::DocumentNotGranted { grant: grant.given.grant, document }.into());
            }
            _ => {}
        }
    }
    let record = ApplicationRecord { opened: o.clone(), opened_at: index, opened_time: time, decided: None };
    write(state, key::application(&o.application), &record);
    let mut totals = totals(state)?;
    let reused = o.materials.iter().filter(|m| m.is_reuse()).count() as u64;
    totals.applications += 1;
    totals.required += o.materials.len() as u64;
    totals.reused += reused;
    totals.submitted += o.materials.len() as u64 - reused;
    write(state, key::totals(), &totals);
    Ok(())
}

/// `application.decided`: once, by a key of the application's agency
/// active at the license index it names; an approval may name a license of
/// that agency standing below that index, a rejection names none and says
/// why.
pub(crate) fn decide(
    state: &mut impl StateStore,
    index: u64,
    entry: &SignedEntry,
    d: &ApplicationDecided,
) -> Result<(), ApplyError> {
    let mut record = application(state, &d.application)?.ok_or(Refusal::UnknownApplication(d.application))?;
    if let Some(done) = &record.decided {
        return Err(Refusal::AlreadyDecided { application: d.application, decision: done.decision }.into());
    }
    live_box(state, &record.opened.box_ref)?;
    let agency = &record.opened.agency;
    require_agency_key_at(state, &entry.entry.author, agency, d.license_size)?;
    match (d.decision, &d.license) {
        (Decision::Rejected, Some(_)) => return Err(Refusal::RejectionWithLicense.into()),
        (Decision::Rejected, None) if d.reason.trim().is_empty() => return Err(Refusal::Empty("reason").into()),
        (Decision::Approved, Some(license)) => {
            let issued = state::license(state, license)?
                .filter(|l| l.issued_at < d.license_size)
                .ok_or_else(|| Refusal::LicenseNotBelow { license: license.clone(), size: d.license_size })?;
            if &issued.issued.agency != agency {
                return Err(Refusal::LicenseOfOtherAgency {
                    license: license.clone(),
                    issuer: issued.issued.agency,
                    agency: agency.clone(),
                }
                .into());
            }
        }
        _ => {}
    }
    record.decided = Some(DecisionRecord {
        decision: d.decision,
        reason: d.reason.clone(),
        license: d.license.clone(),
        decided_at: index,
        decided_time: entry.entry.time,
    });
    write(state, key::application(&d.application), &record);
    let mut totals = totals(state)?;
    match d.decision {
        Decision::Approved => totals.approved += 1,
        Decision::Rejected => totals.rejected += 1,
    }
    write(state, key::totals(), &totals);
    Ok(())
}
