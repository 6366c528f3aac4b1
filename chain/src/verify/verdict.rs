//! The verdict on an e-license: one answer per check, each with its detail
//! or its reason, so that a verifier shows why and not only whether.

use crate::credential::LicenseIdentifier;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The checks of an e-license, in the order they are reported.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// The eddsa-jcs-2022 proof verifies with the key its
    /// `verificationMethod` names.
    Signature,
    /// That key is the issuing agency's, and was active where the license
    /// chain issued the license.
    IssuerKey,
    /// The license chain holds this credential's issuance, by that key,
    /// under a signed checkpoint.
    OnChain,
    /// The license's status (valid, suspended, revoked, cancelled).
    Status,
    /// The time of verification is within `validFrom`..`validUntil`.
    Validity,
}

impl CheckName {
    /// Every check, in report order.
    pub const ALL: [CheckName; 5] =
        [CheckName::Signature, CheckName::IssuerKey, CheckName::OnChain, CheckName::Status, CheckName::Validity];

    /// The wire name (`issuer_key`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Signature => "signature",
            CheckName::IssuerKey => "issuer_key",
            CheckName::OnChain => "on_chain",
            CheckName::Status => "status",
            CheckName::Validity => "validity",
        }
    }
}

impl fmt::Display for CheckName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How one check came out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// It holds; `detail` says what was established.
    Passed { detail: String },
    /// It does not hold; `reason` says why.
    Failed { reason: String },
    /// It could not be judged because a check it rests on failed; `why`
    /// names that check.
    NotChecked { why: String },
}

/// One check and its outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: CheckName,
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Check {
    /// Whether the check passed.
    pub fn passed(&self) -> bool {
        matches!(self.outcome, Outcome::Passed { .. })
    }

    /// Whether the check failed (a check not run has not failed).
    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Failed { .. })
    }

    /// The detail, reason or why, whichever the outcome carries.
    pub fn text(&self) -> &str {
        match &self.outcome {
            Outcome::Passed { detail } => detail,
            Outcome::Failed { reason } => reason,
            Outcome::NotChecked { why } => why,
        }
    }
}

/// Whose word the chain's facts rest on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Basis {
    /// Online: the node's own committed state and ledger.
    Node,
    /// Offline: the bundle's checkpoint and status snapshot verified with
    /// a node key the verifier was given (C2SP verifier key).
    TrustedKey { key: String },
    /// Offline: verified with the node key the bundle itself names. This
    /// shows that the bundle is whole and consistent, not that the node is
    /// one the verifier trusts.
    BundleKey { key: String },
}

impl fmt::Display for Basis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Basis::Node => f.write_str("the node's committed state"),
            Basis::TrustedKey { key } => write!(f, "trusted node key {key}"),
            Basis::BundleKey { key } => write!(f, "node key {key} taken from the bundle, not independently trusted"),
        }
    }
}

/// The verdict on one credential: every check, in [`CheckName::ALL`] order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The license's identifier, when the credential could be read.
    pub license: Option<LicenseIdentifier>,
    /// What the chain facts were verified against.
    pub basis: Basis,
    pub checks: Vec<Check>,
}

impl Verdict {
    /// Whether every check passed.
    pub fn is_valid(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(Check::passed)
    }

    /// The first check, in report order, that failed.
    pub fn first_failure(&self) -> Option<&Check> {
        self.checks.iter().find(|c| c.failed())
    }

    /// The check named `name`.
    pub fn check(&self, name: CheckName) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// Collects outcomes as the checks run (in whatever order their
/// dependencies need) and reports them in [`CheckName::ALL`] order.
pub(crate) struct Checks {
    outcomes: [Option<Outcome>; 5],
}

impl Checks {
    pub(crate) fn new() -> Self {
        Checks { outcomes: Default::default() }
    }

    fn slot(name: CheckName) -> usize {
        CheckName::ALL.iter().position(|n| *n == name).expect("every name is in ALL")
    }

    pub(crate) fn pass(&mut self, name: CheckName, detail: impl Into<String>) {
        self.outcomes[Self::slot(name)] = Some(Outcome::Passed { detail: detail.into() });
    }

    pub(crate) fn fail(&mut self, name: CheckName, reason: impl Into<String>) {
        self.outcomes[Self::slot(name)] = Some(Outcome::Failed { reason: reason.into() });
    }

    /// Records `name` as not checked because `after` did not hold.
    pub(crate) fn skip(&mut self, name: CheckName, after: CheckName, why: impl fmt::Display) {
        self.outcomes[Self::slot(name)] = Some(Outcome::NotChecked { why: format!("{after} failed: {why}") });
    }

    /// Records the outcome of `result`.
    pub(crate) fn record(&mut self, name: CheckName, result: Result<String, String>) {
        match result {
            Ok(detail) => self.pass(name, detail),
            Err(reason) => self.fail(name, reason),
        }
    }

    /// Whether `name` has passed.
    pub(crate) fn passed(&self, name: CheckName) -> bool {
        matches!(self.outcomes[Self::slot(name)], Some(Outcome::Passed { .. }))
    }

    /// The verdict; a check left unset is a bug in the caller, reported as
    /// not checked rather than a panic.
    pub(crate) fn verdict(self, license: Option<LicenseIdentifier>, basis: Basis) -> Verdict {
        let checks = CheckName::ALL
            .into_iter()
            .zip(self.outcomes)
            .map(|(name, outcome)| Check {
                name,
                outcome: outcome.unwrap_or(Outcome::NotChecked { why: "not reached".into() }),
            })
            .collect();
        Verdict { license, basis, checks }
    }
}
