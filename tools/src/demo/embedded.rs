//! The demo's backend on a node in this process: the node's services
//! called directly, agencies' keys held by the node.

use super::{Applied, Backend, Material, Provided, Totals, Upload};
use anyhow::{Context, Result};
use safebox_api::auth::Principal;
use safebox_api::catalog::Catalog;
use safebox_api::datadir::DataDir;
use safebox_api::services::{AgencyDecision, Resolution, ResolvedMaterial, Submission};
use safebox_api::Node;
use safebox_chain::credential::{AreaCode, HolderCode};
use safebox_chain::{state, AgencyCode, ApplicationId, MatterCode};
use safebox_vault::{BoxId, DocumentType, NewDocument};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub struct Embedded {
    node: Node,
    data: PathBuf,
    catalog: Catalog,
    box_id: Option<BoxId>,
}

impl Embedded {
    /// Opens `data`, initialising it (and printing its admin token) when
    /// it is not a node yet.
    pub fn open(data: &Path) -> Result<Self> {
        let dir = DataDir::new(data);
        let node = if dir.is_initialised() {
            Node::open(dir).context("opening the data folder")?
        } else {
            println!("· initialising a node in {}", data.display());
            let node = Node::init(dir, "demo.safebox").context("initialising the data folder")?;
            let admin = node.tokens.issue(Principal::Admin, "admin (safebox demo)")?;
            println!("  admin token: {} (shown once; keep it)", admin.token.as_str());
            node
        };
        Ok(Embedded { node, data: data.to_owned(), catalog: Catalog::example(), box_id: None })
    }

    pub fn shutdown(&self) {
        self.node.ledger.shutdown();
    }

    fn box_id(&self) -> Result<BoxId> {
        self.box_id.context("the box is not open yet")
    }
}

fn document(upload: &Upload) -> Result<NewDocument> {
    Ok(NewDocument {
        document_type: DocumentType::new(upload.document_type.clone())?,
        name: upload.name.clone(),
        media_type: upload.media_type.clone(),
    })
}

fn material(m: ResolvedMaterial) -> Material {
    let provided = match m.resolution {
        Resolution::HeldLicense(license) => Provided::HeldLicense(license.to_string()),
        Resolution::StoredDocument(t) => Provided::StoredDocument(t.to_string()),
        Resolution::Submitted(t) => Provided::Submitted(t.to_string()),
        Resolution::Missing { document_type, .. } => Provided::Missing(document_type.to_string()),
    };
    Material { name: m.name, provided }
}

impl Backend for Embedded {
    fn catalog(&mut self) -> Result<Catalog> {
        Ok(self.catalog.clone())
    }

    fn ensure_agency(&mut self, agency: &AgencyCode, name: &str) -> Result<Option<u64>> {
        if state::agency(&self.node.ledger.store().state(), agency)?.is_some() {
            return Ok(None);
        }
        Ok(Some(self.node.register_agency(agency, name)?.index))
    }

    fn open_box(&mut self, applicant_code: &str) -> Result<(String, u64)> {
        let opened = self.node.open_box(applicant_code, None)?;
        self.box_id = Some(opened.box_id);
        Ok((opened.box_id.to_string(), opened.appended.index))
    }

    fn upload(&mut self, upload: Upload) -> Result<()> {
        self.node.upload_document(self.box_id()?, &document(&upload)?, upload.content.as_slice())?;
        Ok(())
    }

    fn plan(&mut self, matter: &MatterCode) -> Result<Vec<Material>> {
        let matter = self.catalog.matter(matter).context("no such matter")?;
        let resolved = self.node.resolve_materials(matter, self.box_id()?, &BTreeSet::new())?;
        Ok(resolved.into_iter().map(material).collect())
    }

    fn apply(&mut self, matter: &MatterCode, submissions: Vec<Upload>) -> Result<Applied> {
        let submissions = submissions
            .into_iter()
            .map(|u| Ok(Submission { document: document(&u)?, content: u.content }))
            .collect::<Result<Vec<_>>>()?;
        let report = self.node.apply(&self.catalog, self.box_id()?, matter, submissions)?;
        Ok(Applied {
            application: report.application.to_string(),
            materials: report.materials.into_iter().map(material).collect(),
            required: report.required,
            reused: report.reused,
            submitted: report.submitted,
        })
    }

    fn review(&mut self, _agency: &AgencyCode, application: &str) -> Result<(usize, bool)> {
        let review = self.node.review_application(&ApplicationId::parse(application)?)?;
        Ok((review.documents.len(), review.licenses_valid()))
    }

    fn approve(
        &mut self,
        _agency: &AgencyCode,
        application: &str,
        holder_name: &str,
        holder_code: &AgencyCode,
        jurisdiction: &str,
    ) -> Result<Option<(String, u64)>> {
        let decision = AgencyDecision::Approve {
            holder_name: holder_name.into(),
            holder_code: HolderCode::UnifiedSocialCreditCode(holder_code.clone()),
            validity_end: None,
            jurisdiction: AreaCode::parse(jurisdiction)?,
        };
        let report = self.node.decide_application(&self.catalog, &ApplicationId::parse(application)?, decision)?;
        Ok(report.license.map(|l| (l.license.license().identifier().to_string(), l.appended.index)))
    }

    fn totals(&mut self) -> Result<Totals> {
        let t = self.node.application_totals()?;
        Ok(Totals {
            applications: t.applications,
            required: t.required,
            reused: t.reused,
            submitted: t.submitted,
            reduction_percent: t.reduction_percent(),
        })
    }

    fn bundles(&mut self) -> Result<Vec<(String, Vec<u8>)>> {
        let held: Vec<_> = self.node.box_licenses(self.box_id()?)?.into_iter().map(|h| h.license).collect();
        let bundles = self.node.proof_bundles(&held)?;
        Ok(held.iter().zip(bundles).map(|(l, b)| (l.license().identifier().to_string(), b.to_json_bytes())).collect())
    }

    fn applicant_token(&mut self) -> Result<String> {
        let box_id = self.box_id()?;
        Ok(self
            .node
            .tokens
            .issue(Principal::Applicant { box_id }, "Lin Xiao (safebox demo)")?
            .token
            .as_str()
            .to_owned())
    }

    fn epilogue(&self, bundles_dir: Option<&Path>) {
        if let Some(dir) = bundles_dir {
            println!("verify one offline:  safebox license verify {}/<identifier>.json", dir.display());
        }
        println!("serve this node:     safebox serve --data {}", self.data.display());
    }
}
