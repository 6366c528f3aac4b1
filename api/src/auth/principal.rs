//! The principals of a node: whom a bearer token stands for.

use safebox_chain::AgencyCode;
use safebox_vault::BoxId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Whom a token stands for. An agency and an applicant are bound to the
/// one agency or box they act for; what each may do is the authorization
/// table's business.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Principal {
    /// Runs the node: registers agencies, opens boxes, issues tokens.
    Admin,
    /// Reads both chains and every proof; changes nothing.
    Auditor,
    /// Acts for one agency: issues and changes its licenses, decides its
    /// applications, reads documents under grants to it.
    Agency { agency: AgencyCode },
    /// Acts for one box: its documents, grants, licenses, applications and
    /// access log.
    Applicant {
        #[serde(rename = "box")]
        box_id: BoxId,
    },
}

/// The kind of a principal, without what it is bound to: the rows of the
/// authorization table.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    Admin,
    Auditor,
    Agency,
    Applicant,
}

impl PrincipalKind {
    pub const ALL: [PrincipalKind; 4] =
        [PrincipalKind::Admin, PrincipalKind::Auditor, PrincipalKind::Agency, PrincipalKind::Applicant];

    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Admin => "admin",
            PrincipalKind::Auditor => "auditor",
            PrincipalKind::Agency => "agency",
            PrincipalKind::Applicant => "applicant",
        }
    }
}

impl fmt::Display for PrincipalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Principal {
    pub fn kind(&self) -> PrincipalKind {
        match self {
            Principal::Admin => PrincipalKind::Admin,
            Principal::Auditor => PrincipalKind::Auditor,
            Principal::Agency { .. } => PrincipalKind::Agency,
            Principal::Applicant { .. } => PrincipalKind::Applicant,
        }
    }
}
