//! The service catalog (事项目录): matters with their agency, required
//! materials and output license, and bundles of matters done together
//! (一件事). Loaded from a JSON file at start; `catalog/example.json` ships
//! the seed case's "open a company" bundle and a construction permit.
//!
//! A material is satisfied by a license type (reused from the box when a
//! valid e-license of that type is there) or by a document type (read from
//! the box under a grant, or submitted now).

use safebox_chain::credential::LicenseTypeCode;
use safebox_chain::{AgencyCode, MatterCode};
use safebox_vault::DocumentType;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The example catalog that ships with the project.
pub const EXAMPLE: &str = include_str!("../../catalog/example.json");

/// Why a catalog was refused: where in the file, and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read the catalog {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("the catalog is not valid JSON of the expected shape: {0}")]
    Json(String),
    #[error("catalog {at}: {reason}")]
    Invalid { at: String, reason: String },
}

/// What satisfies a required material.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MaterialSource {
    /// An e-license of this type.
    License(LicenseTypeCode),
    /// A document of this type.
    Document(DocumentType),
}

/// One required material of a matter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Material {
    pub name: String,
    #[serde(flatten)]
    pub source: MaterialSource,
}

/// The license an approved application produces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutputLicense {
    pub license_type: LicenseTypeCode,
    pub name: String,
}

/// One government service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Matter {
    pub code: MatterCode,
    pub name: String,
    pub agency: AgencyCode,
    pub materials: Vec<Material>,
    pub output: Option<OutputLicense>,
}

/// Matters done together, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bundle {
    pub code: MatterCode,
    pub name: String,
    pub matters: Vec<MatterCode>,
}

/// A checked catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catalog {
    matters: BTreeMap<MatterCode, Matter>,
    bundles: BTreeMap<MatterCode, Bundle>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    matters: Vec<MatterFile>,
    #[serde(default)]
    bundles: Vec<BundleFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MatterFile {
    code: String,
    name: String,
    agency: String,
    materials: Vec<MaterialFile>,
    output: Option<OutputFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MaterialFile {
    name: String,
    license: Option<String>,
    document: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutputFile {
    license_type: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BundleFile {
    code: String,
    name: String,
    matters: Vec<String>,
}

fn invalid(at: impl Into<String>, reason: impl ToString) -> CatalogError {
    CatalogError::Invalid { at: at.into(), reason: reason.to_string() }
}

fn name(at: &str, text: &str) -> Result<String, CatalogError> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 200 || trimmed.chars().any(char::is_control) {
        return Err(invalid(at, "a name must be 1 to 200 characters without control characters"));
    }
    Ok(trimmed.to_owned())
}

impl Catalog {
    /// The example catalog.
    pub fn example() -> Self {
        Self::from_json(EXAMPLE.as_bytes()).expect("the shipped example catalog is valid")
    }

    /// Reads and checks a catalog file.
    pub fn load(path: &Path) -> Result<Self, CatalogError> {
        let bytes = std::fs::read(path)
            .map_err(|e| CatalogError::Read { path: path.display().to_string(), reason: e.to_string() })?;
        Self::from_json(&bytes)
    }

    /// Checks a catalog: every code, agency and license type well formed,
    /// every matter code unique, every material satisfied by exactly one
    /// license type or document type, every bundle naming known matters
    /// once each.
    pub fn from_json(bytes: &[u8]) -> Result<Self, CatalogError> {
        let file: CatalogFile = serde_json::from_slice(bytes).map_err(|e| CatalogError::Json(e.to_string()))?;
        let mut matters = BTreeMap::new();
        for (i, m) in file.matters.into_iter().enumerate() {
            let at = format!("matter {} ({})", i + 1, m.code.chars().take(64).collect::<String>());
            let code = MatterCode::parse(&m.code).map_err(|e| invalid(format!("{at} code"), e))?;
            let agency = AgencyCode::parse(&m.agency).map_err(|e| invalid(format!("{at} agency"), e))?;
            let mut materials = Vec::new();
            for (k, material) in m.materials.into_iter().enumerate() {
                let at = format!("{at} material {}", k + 1);
                let source = match (material.license, material.document) {
                    (Some(license), None) => MaterialSource::License(
                        LicenseTypeCode::parse(&license).map_err(|e| invalid(format!("{at} license"), e))?,
                    ),
                    (None, Some(document)) => MaterialSource::Document(
                        DocumentType::new(document).map_err(|e| invalid(format!("{at} document"), e))?,
                    ),
                    _ => return Err(invalid(at, "name exactly one of \"license\" (a license type) or \"document\"")),
                };
                materials.push(Material { name: name(&at, &material.name)?, source });
            }
            let output = match m.output {
                None => None,
                Some(o) => Some(OutputLicense {
                    license_type: LicenseTypeCode::parse(&o.license_type)
                        .map_err(|e| invalid(format!("{at} output license type"), e))?,
                    name: name(&format!("{at} output"), &o.name)?,
                }),
            };
            let matter = Matter { code: code.clone(), name: name(&at, &m.name)?, agency, materials, output };
            if matters.insert(code, matter).is_some() {
                return Err(invalid(at, "this matter code is already defined"));
            }
        }
        if matters.is_empty() {
            return Err(invalid("matters", "a catalog defines at least one matter"));
        }
        let mut bundles = BTreeMap::new();
        for (i, b) in file.bundles.into_iter().enumerate() {
            let at = format!("bundle {} ({})", i + 1, b.code.chars().take(64).collect::<String>());
            let code = MatterCode::parse(&b.code).map_err(|e| invalid(format!("{at} code"), e))?;
            let mut seen = BTreeSet::new();
            let mut steps = Vec::new();
            for step in b.matters {
                let step = MatterCode::parse(&step).map_err(|e| invalid(format!("{at} matters"), e))?;
                if !matters.contains_key(&step) {
                    return Err(invalid(&at, format!("matter {step} is not in the catalog")));
                }
                if !seen.insert(step.clone()) {
                    return Err(invalid(&at, format!("matter {step} appears twice")));
                }
                steps.push(step);
            }
            if steps.is_empty() {
                return Err(invalid(&at, "a bundle names at least one matter"));
            }
            let bundle = Bundle { code: code.clone(), name: name(&at, &b.name)?, matters: steps };
            if matters.contains_key(&code) || bundles.insert(code, bundle).is_some() {
                return Err(invalid(at, "this code is already used by a matter or a bundle"));
            }
        }
        Ok(Catalog { matters, bundles })
    }

    /// A matter by its code.
    pub fn matter(&self, code: &MatterCode) -> Option<&Matter> {
        self.matters.get(code)
    }

    /// A bundle by its code.
    pub fn bundle(&self, code: &MatterCode) -> Option<&Bundle> {
        self.bundles.get(code)
    }

    /// Every matter, by code.
    pub fn matters(&self) -> impl Iterator<Item = &Matter> {
        self.matters.values()
    }

    /// Every bundle, by code.
    pub fn bundles(&self) -> impl Iterator<Item = &Bundle> {
        self.bundles.values()
    }
}
