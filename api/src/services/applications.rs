//! Applications (申请): each required material of a matter is resolved
//! against the applicant's box — a valid e-license it holds, a document it
//! stores, or a document submitted now — and the matter's agency reviews
//! and decides. An approval issues the matter's license straight into the
//! box, where the next matter of a bundle finds it.
//!
//! Order, and what a crash leaves:
//! 1. every material is resolved and the entries are dry-run before
//!    anything is written, so a missing material or a refusal changes
//!    nothing;
//! 2. the grant to the agency (signed by the applicant) is appended;
//! 3. submitted documents are stored in the box;
//! 4. `application.opened` is appended.
//!
//! A crash after 2 or 3 leaves a grant nobody used and documents the
//! applicant owns anyway; the application exists only once 4 is durable.

use crate::catalog::{Catalog, MaterialSource, Matter};
use crate::services::error::ServiceError;
use crate::services::licenses::{HeldLicense, IssuedLicense, LicenseRequest};
use crate::services::uses::{UseReceipt, UseRequest};
use crate::services::GrantTerms;
use crate::Node;
use safebox_chain::application_state::{self, ApplicationRecord, ApplicationTotals};
use safebox_chain::credential::{AreaCode, CivilDate, HolderCode, UtcTime};
use safebox_chain::payload::{ApplicationDecided, ApplicationOpened, Decision, MaterialProvided, Payload};
use safebox_chain::state::Refusal;
use safebox_chain::verify::{self, Verdict};
use safebox_chain::{keys, Appended, ApplicationId, ChainId, Entry, GrantId, LicenseId, MatterCode, Purpose};
use safebox_chain::{DocumentRef, Timestamp};
use safebox_vault::{BoxId, DocumentType, NewDocument};
use std::collections::BTreeSet;

/// How long the grant an application gives its agency lasts.
pub const APPLICATION_GRANT_MS: u64 = 30 * 24 * 3600 * 1000;

/// A document the applicant submits with an application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    pub document: NewDocument,
    pub content: Vec<u8>,
}

/// Where a required material comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// A valid e-license the box holds.
    HeldLicense(LicenseId),
    /// A document the box already stores.
    StoredDocument(DocumentType),
    /// Submitted with this application.
    Submitted(DocumentType),
    /// Neither in the box nor submitted: the application cannot open.
    Missing { document_type: DocumentType, reason: String },
}

/// One required material and where it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedMaterial {
    pub name: String,
    pub resolution: Resolution,
}

/// An application opened.
#[derive(Clone, Debug)]
pub struct ApplicationReport {
    pub application: ApplicationId,
    pub matter: MatterCode,
    pub materials: Vec<ResolvedMaterial>,
    pub required: u64,
    pub reused: u64,
    pub submitted: u64,
    pub grant: Option<GrantId>,
    pub opened: Appended,
}

/// What the agency saw: every document read under the grant (each read
/// recorded on the service chain) and every reused license verified again.
#[derive(Clone, Debug)]
pub struct Review {
    pub documents: Vec<UseReceipt>,
    pub licenses: Vec<(LicenseId, Verdict)>,
}

impl Review {
    /// Whether every reused license still verifies.
    pub fn licenses_valid(&self) -> bool {
        self.licenses.iter().all(|(_, verdict)| verdict.is_valid())
    }
}

/// The agency's decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgencyDecision {
    /// Approve; a matter with an output license issues it to this holder.
    Approve {
        holder_name: String,
        holder_code: HolderCode,
        validity_end: Option<CivilDate>,
        jurisdiction: AreaCode,
    },
    Reject {
        reason: String,
    },
}

/// A decision recorded.
#[derive(Clone, Debug)]
pub struct DecisionReport {
    pub license: Option<IssuedLicense>,
    pub decided: Appended,
}

impl Node {
    /// Where each required material of `matter` would come from for box
    /// `box_id` if the applicant applied now with `submitted` document
    /// types: what a page shows before the applicant submits anything.
    pub fn resolve_materials(
        &self,
        matter: &Matter,
        box_id: BoxId,
        submitted: &BTreeSet<DocumentType>,
    ) -> Result<Vec<ResolvedMaterial>, ServiceError> {
        self.live_box(box_id)?;
        let held = self.box_licenses(box_id)?;
        let stored: BTreeSet<DocumentType> =
            self.vault.latest_documents(box_id)?.into_iter().map(|m| m.document_type).collect();
        let now = Timestamp::now();
        let mut resolved = Vec::new();
        for material in &matter.materials {
            let resolution = match &material.source {
                MaterialSource::License(license_type) => {
                    let copy = license_copy_type(license_type.as_str());
                    let of_type = held.iter().find(|h| h.license.license().identifier().type_code() == license_type);
                    let verdict =
                        of_type.map(|h| verify::verify_online(&self.ledger, &h.license.canonical_bytes(), now));
                    match (of_type, verdict) {
                        (Some(h), Some(v)) if v.is_valid() => {
                            Resolution::HeldLicense(h.license.license().identifier().license_id())
                        }
                        _ if submitted.contains(&copy) => Resolution::Submitted(copy),
                        (Some(_), Some(v)) => Resolution::Missing {
                            document_type: copy,
                            reason: match v.first_failure() {
                                Some(check) => {
                                    format!("the e-license held fails its {} check: {}", check.name, check.text())
                                }
                                None => "the e-license held does not verify".into(),
                            },
                        },
                        _ => Resolution::Missing {
                            document_type: copy,
                            reason: format!("no e-license of type {license_type} in the box, and no copy submitted"),
                        },
                    }
                }
                MaterialSource::Document(document_type) => {
                    if submitted.contains(document_type) {
                        Resolution::Submitted(document_type.clone())
                    } else if stored.contains(document_type) {
                        Resolution::StoredDocument(document_type.clone())
                    } else {
                        Resolution::Missing {
                            document_type: document_type.clone(),
                            reason: format!("no {document_type} in the box, and none submitted"),
                        }
                    }
                }
            };
            resolved.push(ResolvedMaterial { name: material.name.clone(), resolution });
        }
        Ok(resolved)
    }

    /// Applies for `matter` from box `box_id`, submitting `submissions`;
    /// everything else the matter requires is taken from the box.
    pub fn apply(
        &self,
        catalog: &Catalog,
        box_id: BoxId,
        matter: &MatterCode,
        submissions: Vec<Submission>,
    ) -> Result<ApplicationReport, ServiceError> {
        let matter = catalog.matter(matter).ok_or_else(|| ServiceError::UnknownMatter(matter.clone()))?;
        let (box_ref, _) = self.live_box(box_id)?;
        let submitted: BTreeSet<DocumentType> = submissions.iter().map(|s| s.document.document_type.clone()).collect();
        if submitted.len() != submissions.len() {
            return Err(ServiceError::Invalid { what: "submissions", reason: "a document type is given twice".into() });
        }
        let materials = self.resolve_materials(matter, box_id, &submitted)?;
        let needed: BTreeSet<&DocumentType> = materials.iter().filter_map(|m| m.resolution.document_type()).collect();
        if let Some(extra) = submitted.iter().find(|t| !needed.contains(t)) {
            return Err(ServiceError::Invalid {
                what: "submissions",
                reason: format!("{extra} is not a material of matter {}", matter.code),
            });
        }
        let mut provided = Vec::new();
        let mut documents = Vec::new();
        for material in &materials {
            let document_ref = |t: &DocumentType| self.document_ref(box_id, t);
            provided.push(match &material.resolution {
                Resolution::Missing { reason, .. } => {
                    return Err(ServiceError::MissingMaterial {
                        material: material.name.clone(),
                        reason: reason.clone(),
                    })
                }
                Resolution::HeldLicense(license) => MaterialProvided::License { license: license.clone() },
                Resolution::StoredDocument(t) => MaterialProvided::StoredDocument { document: document_ref(t)? },
                Resolution::Submitted(t) => MaterialProvided::SubmittedDocument { document: document_ref(t)? },
            });
            if let Some(document) = provided.last().and_then(MaterialProvided::document) {
                if !documents.contains(&document) {
                    documents.push(document);
                }
            }
        }
        let grant = match documents.is_empty() {
            true => None,
            false => {
                let terms = GrantTerms {
                    agency: matter.agency.clone(),
                    documents,
                    matter: matter.code.clone(),
                    purpose: review_purpose(&matter.code),
                    expires: Timestamp(Timestamp::now().0 + APPLICATION_GRANT_MS),
                };
                // Dry-runs the grant; the application's own rules are
                // checked by the node above (box, agency, licenses held).
                self.prepare_grant(box_id, terms.clone())?;
                Some(terms)
            }
        };
        if safebox_chain::state::agency(&self.ledger.store().state(), &matter.agency)?.is_none() {
            return Err(Refusal::UnknownAgency(matter.agency.clone()).into());
        }
        let grant = match grant {
            Some(terms) => Some(self.give_grant(box_id, terms)?.grant),
            None => None,
        };
        for submission in submissions {
            self.upload_document(box_id, &submission.document, submission.content.as_slice())?;
        }
        let opened = ApplicationOpened {
            application: ApplicationId::random(),
            box_ref,
            matter: matter.code.clone(),
            agency: matter.agency.clone(),
            grant,
            materials: provided,
        };
        let entry = self.applicant_entry(box_id, Payload::ApplicationOpened(opened.clone()))?;
        let appended = self.append_signed_in_vault(box_id, entry)?;
        let reused = opened.materials.iter().filter(|m| m.is_reuse()).count() as u64;
        let required = opened.materials.len() as u64;
        Ok(ApplicationReport {
            application: opened.application,
            matter: matter.code.clone(),
            materials,
            required,
            reused,
            submitted: required - reused,
            grant,
            opened: appended,
        })
    }

    /// An application's record on the service chain.
    pub fn application(&self, id: &ApplicationId) -> Result<ApplicationRecord, ServiceError> {
        application_state::application(&self.ledger.store().state(), id)?
            .ok_or_else(|| Refusal::UnknownApplication(*id).into())
    }

    /// The agency (whose key this node holds) reviews an application: it
    /// reads every document under the grant, each read recorded as a use,
    /// and verifies every reused license again.
    pub fn review_application(&self, id: &ApplicationId) -> Result<Review, ServiceError> {
        let record = self.application(id)?;
        let opened = &record.opened;
        let key = self.agency_signing_key(&opened.agency)?;
        let box_id = self.box_id_of(&opened.box_ref)?;
        let mut review = Review { documents: Vec::new(), licenses: Vec::new() };
        // Read and decrypt the box's licenses once, whatever the number of
        // license materials.
        let held = self.box_licenses(box_id)?;
        let mut read: Vec<DocumentRef> = Vec::new();
        for material in &opened.materials {
            match (material, material.document(), opened.grant) {
                (MaterialProvided::License { license }, _, _) => {
                    let verdict = self.verify_held_license(&held, license)?;
                    review.licenses.push((license.clone(), verdict));
                }
                (_, Some(document), Some(grant)) if !read.contains(&document) => {
                    read.push(document);
                    let request = UseRequest {
                        box_ref: opened.box_ref,
                        grant,
                        document,
                        agency: opened.agency.clone(),
                        matter: opened.matter.clone(),
                        purpose: review_purpose(&opened.matter),
                    };
                    review.documents.push(self.read_with_agency_key(&request, &key, &mut std::io::sink())?);
                }
                _ => {}
            }
        }
        Ok(review)
    }

    /// The agency decides. An approval of a matter with an output license
    /// issues it into the applicant's box first, then records the decision
    /// naming it.
    pub fn decide_application(
        &self,
        catalog: &Catalog,
        id: &ApplicationId,
        decision: AgencyDecision,
    ) -> Result<DecisionReport, ServiceError> {
        let record = self.application(id)?;
        if let Some(done) = record.decided {
            return Err(Refusal::AlreadyDecided { application: *id, decision: done.decision }.into());
        }
        let opened = &record.opened;
        let matter =
            catalog.matter(&opened.matter).ok_or_else(|| ServiceError::UnknownMatter(opened.matter.clone()))?;
        let key = self.agency_signing_key(&opened.agency)?;
        let box_id = self.box_id_of(&opened.box_ref)?;
        let (decision, reason, license) = match decision {
            AgencyDecision::Reject { reason } => (Decision::Rejected, reason, None),
            AgencyDecision::Approve { holder_name, holder_code, validity_end, jurisdiction } => {
                let license = match &matter.output {
                    None => None,
                    Some(output) => {
                        let today = UtcTime::from_timestamp(Timestamp::now())
                            .ok()
                            .and_then(CivilDate::in_china)
                            .ok_or_else(|| ServiceError::Invalid { what: "clock", reason: "out of range".into() })?;
                        let request = LicenseRequest {
                            license_type: output.license_type.clone(),
                            license_name: output.name.clone(),
                            holder_name,
                            holder_code,
                            validity_start: today,
                            validity_end,
                            jurisdiction_code: jurisdiction,
                        };
                        Some(self.issue_license(&opened.agency, box_id, request)?)
                    }
                };
                (Decision::Approved, "approved".to_owned(), license)
            }
        };
        let decided = ApplicationDecided {
            application: *id,
            decision,
            reason,
            license: license.as_ref().map(|l| l.license.license().identifier().license_id()),
            license_size: self.ledger.head(ChainId::License)?.size,
        };
        let entry = Entry::new(ChainId::Service, &keys::public_key(&key), Payload::ApplicationDecided(decided));
        self.dry_run(&entry)?;
        let decided = self.ledger.append(entry.sign(&key))?;
        Ok(DecisionReport { license, decided })
    }

    /// Materials required, reused and submitted over every application on
    /// the service chain.
    pub fn application_totals(&self) -> Result<ApplicationTotals, ServiceError> {
        Ok(application_state::totals(&self.ledger.store().state())?)
    }

    /// Verifies the credential among `held` for `license` against the
    /// chain now.
    fn verify_held_license(&self, held: &[HeldLicense], license: &LicenseId) -> Result<Verdict, ServiceError> {
        let held =
            held.iter().find(|h| &h.license.license().identifier().license_id() == license).ok_or_else(|| {
                ServiceError::MissingMaterial {
                    material: license.to_string(),
                    reason: "the box no longer holds this license".into(),
                }
            })?;
        Ok(verify::verify_online(&self.ledger, &held.license.canonical_bytes(), Timestamp::now()))
    }
}

impl Resolution {
    /// The document type this material is read from, if it is a document.
    fn document_type(&self) -> Option<&DocumentType> {
        match self {
            Resolution::StoredDocument(t) | Resolution::Submitted(t) | Resolution::Missing { document_type: t, .. } => {
                Some(t)
            }
            Resolution::HeldLicense(_) => None,
        }
    }
}

/// The document type of a copy of a license submitted in place of an
/// e-license the box does not hold.
pub fn license_copy_type(license_type: &str) -> DocumentType {
    DocumentType::new(format!("license-copy:{license_type}")).expect("a license type code makes a valid document type")
}

/// The purpose every read for an application states.
fn review_purpose(matter: &MatterCode) -> Purpose {
    Purpose::parse(&format!("审查申请材料 (review of the application for {matter})"))
        .expect("a matter code of at most 64 characters makes a valid purpose")
}
