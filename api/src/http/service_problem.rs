//! Service errors as problem documents: each kind of failure has its status
//! and its stable `type`, and the service's own reason as the detail.

use super::problem::Problem;
use crate::services::ServiceError;
use axum::http::StatusCode;
use safebox_chain::state::Refusal;
use safebox_vault::VaultError;

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Self {
        let detail = e.to_string();
        let (status, kind, title) = match &e {
            ServiceError::Refused(refusal) => refusal_kind(refusal),
            ServiceError::Entry(_) => (StatusCode::BAD_REQUEST, "bad-entry", "The entry is not valid"),
            ServiceError::ClockSkew { .. } => {
                (StatusCode::BAD_REQUEST, "clock-skew", "The entry is dated too far from now")
            }
            ServiceError::WrongKind { .. } => {
                (StatusCode::BAD_REQUEST, "wrong-kind", "This route takes another kind of entry")
            }
            ServiceError::NoSuchBox(_) | ServiceError::NotOpened(_) | ServiceError::UnknownBoxRef(_) => {
                (StatusCode::NOT_FOUND, "not-found", "Not found")
            }
            ServiceError::SignsOnDevice(_) => {
                (StatusCode::CONFLICT, "signs-on-device", "The applicant signs on their own device")
            }
            ServiceError::StaleAgencyKey { .. } => {
                (StatusCode::CONFLICT, "stale-agency-key", "The agency key was ended")
            }
            ServiceError::NoSuchVersion { .. } => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ServiceError::Invalid { .. } => (StatusCode::BAD_REQUEST, "invalid", "The request is not valid"),
            ServiceError::Vault(v) => vault_kind(v),
            ServiceError::NoAgencyKey(_) => {
                (StatusCode::CONFLICT, "no-agency-key", "This node holds no key for the agency")
            }
            ServiceError::UnknownMatter(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ServiceError::MissingMaterial { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "missing-material", "A required material is missing")
            }
            ServiceError::Credential(_) => (StatusCode::BAD_REQUEST, "bad-credential", "The credential is not valid"),
            ServiceError::Keys(_) | ServiceError::Storage(_) => return Problem::internal(detail),
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            return Problem::internal(detail);
        }
        Problem::new(status, kind, title, detail)
    }
}

fn refusal_kind(refusal: &Refusal) -> (StatusCode, &'static str, &'static str) {
    match refusal {
        Refusal::UnknownLicense(_)
        | Refusal::UnknownApplication(_)
        | Refusal::UnknownAgency(_)
        | Refusal::UnknownBox(_)
        | Refusal::UnknownGrant(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
        Refusal::BoxErased(_) => (StatusCode::GONE, "erased", "The box was erased"),
        // The rules of the chains: the request is well formed, but what it
        // asks cannot stand on the chain now.
        _ => (StatusCode::CONFLICT, "refused", "Refused by the chain's rules"),
    }
}

fn vault_kind(e: &VaultError) -> (StatusCode, &'static str, &'static str) {
    match e {
        VaultError::NoSuchBox(_) | VaultError::NoSuchDocument { .. } | VaultError::NoSuchVersion { .. } => {
            (StatusCode::NOT_FOUND, "not-found", "Not found")
        }
        VaultError::Erased(_) => (StatusCode::GONE, "erased", "The box was erased"),
        VaultError::Invalid { .. } => (StatusCode::BAD_REQUEST, "invalid", "The request is not valid"),
        VaultError::Source(_) => (StatusCode::BAD_REQUEST, "upload-failed", "The upload could not be read"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error"),
    }
}
