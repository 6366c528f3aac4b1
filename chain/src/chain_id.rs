//! The two chains a node keeps, and how they are named in URLs and origins.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// Which of the node's two ledgers.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChainId {
    /// 证照链: agencies and every license's lifecycle.
    License,
    /// 服务链: boxes, applications, grants, uses and erasures.
    Service,
}

impl ChainId {
    /// Both chains, in a fixed order.
    pub const ALL: [ChainId; 2] = [ChainId::License, ChainId::Service];

    /// The name used in URLs, origins and entries.
    pub fn as_str(self) -> &'static str {
        match self {
            ChainId::License => "license",
            ChainId::Service => "service",
        }
    }

    /// One byte that prefixes this chain's storage keys.
    pub(crate) fn tag(self) -> u8 {
        match self {
            ChainId::License => b'L',
            ChainId::Service => b'S',
        }
    }
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A chain name that is neither `license` nor `service`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown chain {0:?}: expected \"license\" or \"service\"")]
pub struct UnknownChain(pub String);

impl FromStr for ChainId {
    type Err = UnknownChain;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "license" => Ok(ChainId::License),
            "service" => Ok(ChainId::Service),
            other => Err(UnknownChain(other.chars().take(64).collect())),
        }
    }
}
