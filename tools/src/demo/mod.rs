//! `safebox demo`: the seed case end to end. An investor abroad opens a
//! company in Jinan through the whole "open a company" bundle; each matter
//! reuses what her box already holds, and the reduction in submitted
//! materials is read back from the service chain.
//!
//! One story, two ways to run it: on an embedded node (`--data DIR`, which
//! is left as a node `safebox serve` serves, with the proof bundles of the
//! licenses issued in `DIR/bundles/`), or against a running node over HTTP
//! (`--server URL --token ADMIN`), through the same routes any client uses.
//!
//! | file | concern |
//! |---|---|
//! | `mod.rs` | the story, told over a `Backend` |
//! | `embedded.rs` | `Backend` on a `Node` in this process |
//! | `remote.rs` | `Backend` over the HTTP API |

mod embedded;
mod remote;

use anyhow::{bail, Context, Result};
use safebox_api::catalog::{Catalog, MaterialSource};
use safebox_chain::credential::iso7064::mod11_2;
use safebox_chain::{AgencyCode, MatterCode};
use std::path::Path;

pub use embedded::Embedded;
pub use remote::Remote;

/// The seed case's applicant: a citizen ID with a correct check digit is
/// computed, not typed, so the demo never carries a real person's number.
const INVESTOR_NAME: &str = "林晓 (Lin Xiao)";
const INVESTOR_ID_FIRST17: &str = "31011519880304002";
const COMPANY_NAME: &str = "济南云帆数字科技有限公司";
const COMPANY_CODE_FIRST17: &str = "91370100MA3CJ8Y7T";
const JINAN_HIGH_TECH_ZONE: &str = "370171";

/// The agencies of the example catalog, by the code the catalog names.
const AGENCY_NAMES: [(&str, &str); 6] = [
    ("11370100MB28559107", "济南高新区市场监督管理局 (market regulation)"),
    ("11370100MB2855921B", "济南市公安局高新区分局 (public security)"),
    ("11370100MB2855932F", "中国人民银行济南分行 (central bank branch)"),
    ("11370100MB2855943K", "国家税务总局济南高新区税务局 (tax)"),
    ("11370100MB2855954P", "济南高新区社会保险事业中心 (social insurance)"),
    ("11370100MB2855965U", "济南高新区建设管理部 (construction)"),
];

/// The bundle the seed case goes through.
const OPEN_A_COMPANY: &str = "370100-YJS-KBQY";

/// How a material was, or would be, provided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Provided {
    HeldLicense(String),
    StoredDocument(String),
    Submitted(String),
    /// Not in the box: the document type to submit.
    Missing(String),
}

/// One material of a matter and how it is provided.
#[derive(Clone, Debug)]
pub struct Material {
    pub name: String,
    pub provided: Provided,
}

/// An application opened.
pub struct Applied {
    pub application: String,
    pub materials: Vec<Material>,
    pub required: u64,
    pub reused: u64,
    pub submitted: u64,
}

/// The totals the service chain records.
pub struct Totals {
    pub applications: u64,
    pub required: u64,
    pub reused: u64,
    pub submitted: u64,
    pub reduction_percent: f64,
}

/// A document the applicant submits.
pub struct Upload {
    pub document_type: String,
    pub name: String,
    pub media_type: String,
    pub content: Vec<u8>,
}

/// What the story needs from a node, embedded or remote.
pub trait Backend {
    fn catalog(&mut self) -> Result<Catalog>;
    /// Registers the agency unless it is; the license-chain index of a new
    /// registration.
    fn ensure_agency(&mut self, agency: &AgencyCode, name: &str) -> Result<Option<u64>>;
    /// Opens the applicant's box: its id and the service-chain index.
    fn open_box(&mut self, applicant_code: &str) -> Result<(String, u64)>;
    fn upload(&mut self, upload: Upload) -> Result<()>;
    fn plan(&mut self, matter: &MatterCode) -> Result<Vec<Material>>;
    fn apply(&mut self, matter: &MatterCode, submissions: Vec<Upload>) -> Result<Applied>;
    /// The agency's review: documents read, and whether every reused
    /// license still verifies.
    fn review(&mut self, agency: &AgencyCode, application: &str) -> Result<(usize, bool)>;
    /// Approves; the license issued (identifier, license-chain index).
    fn approve(
        &mut self,
        agency: &AgencyCode,
        application: &str,
        holder_name: &str,
        holder_code: &AgencyCode,
        jurisdiction: &str,
    ) -> Result<Option<(String, u64)>>;
    fn totals(&mut self) -> Result<Totals>;
    /// Proof bundles of the box's licenses: (identifier, bundle JSON).
    fn bundles(&mut self) -> Result<Vec<(String, Vec<u8>)>>;
    /// A bearer token for the applicant's box.
    fn applicant_token(&mut self) -> Result<String>;
    /// Where the story's end points the reader.
    fn epilogue(&self, bundles_dir: Option<&Path>);
}

/// Runs the seed case on `backend`, writing bundles to `bundles_dir`.
pub fn run(backend: &mut dyn Backend, bundles_dir: Option<&Path>) -> Result<()> {
    let catalog = backend.catalog()?;
    let mut agencies: Vec<&AgencyCode> = catalog.matters().map(|m| &m.agency).collect();
    agencies.sort();
    agencies.dedup();
    for agency in agencies {
        let name = AGENCY_NAMES
            .iter()
            .find(|(code, _)| *code == agency.as_str())
            .map(|(_, name)| (*name).to_owned())
            .unwrap_or_else(|| format!("agency {agency}"));
        if let Some(index) = backend.ensure_agency(agency, &name)? {
            println!("· root authority registers {name} (license chain index {index})");
        }
    }
    let investor = format!("{INVESTOR_ID_FIRST17}{}", mod11_2(INVESTOR_ID_FIRST17).context("check digit")?);
    let company = AgencyCode::with_check_character(COMPANY_CODE_FIRST17)?;
    let (box_id, index) = backend.open_box(&investor)?;
    println!("· {INVESTOR_NAME}, abroad, opens her box {box_id} (service chain index {index})");
    backend.upload(Upload {
        document_type: "id-card".into(),
        name: "passport-scan.pdf".into(),
        media_type: "application/pdf".into(),
        content: b"%PDF-1.7 passport of the legal representative".to_vec(),
    })?;
    println!("  she stored her identity document in the box once, before this bundle");

    let bundle_code = MatterCode::parse(OPEN_A_COMPANY)?;
    let bundle = catalog.bundle(&bundle_code).context("the catalog has the open-a-company bundle")?;
    println!("\n{} — {} matters\n", bundle.name, bundle.matters.len());
    let (mut required, mut reused, mut submitted) = (0, 0, 0);
    for (step, code) in bundle.matters.iter().enumerate() {
        let matter = catalog.matter(code).context("bundle matters are in the catalog")?;
        println!("{}. {} [{}]", step + 1, matter.name, matter.code);
        let submissions = backend
            .plan(code)?
            .into_iter()
            .filter_map(|m| match m.provided {
                Provided::Missing(document_type) => Some(Upload {
                    name: format!("{document_type}.pdf"),
                    media_type: "application/pdf".into(),
                    content: format!("%PDF-1.7 {} for {COMPANY_NAME}", m.name).into_bytes(),
                    document_type,
                }),
                _ => None,
            })
            .collect();
        let applied = backend.apply(code, submissions)?;
        for material in &applied.materials {
            let how = match &material.provided {
                Provided::HeldLicense(license) => format!("reused e-license {license} (verified on the chain)"),
                Provided::StoredDocument(t) => format!("reused {t} from the box (read under a grant)"),
                Provided::Submitted(t) => format!("submitted now as {t}, kept in the box"),
                Provided::Missing(t) => bail!("material {} missing: no {t}", material.name),
            };
            println!("   - {}: {how}", material.name);
        }
        let (read, licenses_valid) = backend.review(&matter.agency, &applied.application)?;
        if !licenses_valid {
            bail!("a reused license no longer verifies");
        }
        let issued =
            backend.approve(&matter.agency, &applied.application, COMPANY_NAME, &company, JINAN_HIGH_TECH_ZONE)?;
        println!(
            "   required {}, reused {}, submitted {}; the agency read {read} document(s), each read recorded on the service chain",
            applied.required, applied.reused, applied.submitted
        );
        if let Some((license, index)) = issued {
            println!("   approved: {license} issued (license chain index {index}) into the box");
        }
        required += applied.required;
        reused += applied.reused;
        submitted += applied.submitted;
        println!();
    }
    let license_materials = bundle
        .matters
        .iter()
        .filter_map(|code| catalog.matter(code))
        .flat_map(|m| &m.materials)
        .filter(|m| matches!(m.source, MaterialSource::License(_)))
        .count();
    println!("this bundle: {required} materials required, {reused} reused, {submitted} submitted");
    println!(
        "  without the box, all {required} would have been submitted, {license_materials} of them licenses this bundle had just issued"
    );
    println!("  reduction in submitted materials: {:.1}%", percent(reused, required));
    let totals = backend.totals()?;
    println!(
        "node totals from the service chain: {} applications, {} materials required, {} reused, {} submitted: {:.1}% fewer submitted",
        totals.applications, totals.required, totals.reused, totals.submitted, totals.reduction_percent
    );
    if let Some(dir) = bundles_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for (identifier, bundle) in backend.bundles()? {
            let path = dir.join(format!("{identifier}.json"));
            std::fs::write(&path, bundle).with_context(|| format!("writing {}", path.display()))?;
            println!("proof bundle: {}", path.display());
        }
    }
    println!("\nher applicant token: {} (shown once)", backend.applicant_token()?);
    backend.epilogue(bundles_dir);
    Ok(())
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// `safebox demo --data DIR`.
pub fn run_embedded(data: &Path) -> Result<()> {
    let mut backend = Embedded::open(data)?;
    let result = run(&mut backend, Some(&data.join("bundles")));
    backend.shutdown();
    result
}

/// `safebox demo --server URL --token ADMIN [--bundles DIR]`.
pub fn run_remote(server: &str, token: &str, bundles: Option<&Path>) -> Result<()> {
    let mut backend = Remote::new(server, token)?;
    run(&mut backend, bundles)
}
