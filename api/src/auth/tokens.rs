//! Bearer tokens: 256 random bits shown to their holder once, stored only
//! as their SHA-256, revocable by id, in the node's column family
//! `node.tokens`.
//!
//! | key | value |
//! |---|---|
//! | `h` ‖ SHA-256(token) (32) | the token's record (JSON) |
//! | `i` ‖ token id (8) | SHA-256(token) |
//!
//! A stolen database gives no usable token: the hash of a 256-bit random
//! value cannot be turned back into it. The token id (the first 8 bytes of
//! the hash) names a token in lists and revocations without revealing it.

use super::principal::Principal;
use base64::prelude::*;
use rand::RngCore;
use rocksdb::{WriteBatch, WriteOptions, DB};
use safebox_chain::storage::StorageError;
use safebox_chain::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;

pub const CF_TOKENS: &str = "node.tokens";

/// The column families of the token store.
pub const COLUMN_FAMILIES: [&str; 1] = [CF_TOKENS];

/// What every token starts with, so that a leaked one is recognisable
/// (secret scanners, logs).
const PREFIX: &str = "sbx_";
/// Longest label kept with a token.
const MAX_LABEL: usize = 200;

/// A token as its holder presents it: `sbx_` and 43 base64url characters.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(String);

impl BearerToken {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(…)")
    }
}

/// A token's public name: the first 8 bytes of its hash, in hex.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenId(pub [u8; 8]);

impl TokenId {
    pub fn parse(text: &str) -> Option<Self> {
        let mut bytes = [0u8; 8];
        (text.len() == 16 && !text.bytes().any(|b| b.is_ascii_uppercase()))
            .then(|| hex::decode_to_slice(text, &mut bytes).ok())
            .flatten()
            .map(|()| TokenId(bytes))
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl Serialize for TokenId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TokenId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        TokenId::parse(&text).ok_or_else(|| serde::de::Error::custom("a token id is 16 lowercase hex digits"))
    }
}

/// What the store keeps of a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: TokenId,
    pub principal: Principal,
    /// Who or what it was made for, in the issuer's words.
    pub label: String,
    pub created: Timestamp,
    pub revoked: Option<Timestamp>,
}

/// A token just made: the only moment its secret exists outside its holder.
#[derive(Debug)]
pub struct IssuedToken {
    pub token: BearerToken,
    pub info: TokenInfo,
}

/// Why a presented token does not authenticate.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token was presented")]
    Missing,
    #[error("the bearer token is not of the form sbx_<43 base64url characters>")]
    Malformed,
    #[error("the bearer token is not known to this node")]
    Unknown,
    #[error("the bearer token was revoked")]
    Revoked,
    #[error("token store: {0}")]
    Storage(String),
}

/// Tokens of one node.
pub struct TokenStore {
    db: Arc<DB>,
}

fn hash_key(hash: &[u8; 32]) -> Vec<u8> {
    [&b"h"[..], hash].concat()
}

fn id_key(id: &TokenId) -> Vec<u8> {
    [&b"i"[..], &id.0].concat()
}

fn id_of(hash: &[u8; 32]) -> TokenId {
    let mut id = [0u8; 8];
    id.copy_from_slice(&hash[..8]);
    TokenId(id)
}

fn synced() -> WriteOptions {
    let mut options = WriteOptions::default();
    options.set_sync(true);
    options
}

fn storage(e: impl ToString) -> AuthError {
    AuthError::Storage(e.to_string())
}

impl TokenStore {
    /// The store over a database opened with [`COLUMN_FAMILIES`].
    pub fn new(db: Arc<DB>) -> Result<Self, StorageError> {
        if db.cf_handle(CF_TOKENS).is_none() {
            return Err(StorageError::Db(format!("column family {CF_TOKENS} is missing")));
        }
        Ok(TokenStore { db })
    }

    fn cf(&self) -> Result<&rocksdb::ColumnFamily, AuthError> {
        self.db.cf_handle(CF_TOKENS).ok_or_else(|| storage("token store is missing"))
    }

    /// Makes a token for `principal`; its secret is returned once and
    /// stored nowhere.
    pub fn issue(&self, principal: Principal, label: &str) -> Result<IssuedToken, AuthError> {
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let token = BearerToken(format!("{PREFIX}{}", BASE64_URL_SAFE_NO_PAD.encode(secret)));
        let hash: [u8; 32] = Sha256::digest(token.0.as_bytes()).into();
        let label: String = label.chars().filter(|c| !c.is_control()).take(MAX_LABEL).collect();
        let info = TokenInfo { id: id_of(&hash), principal, label, created: Timestamp::now(), revoked: None };
        let mut batch = WriteBatch::default();
        let cf = self.cf()?;
        batch.put_cf(cf, hash_key(&hash), serde_json::to_vec(&info).map_err(storage)?);
        batch.put_cf(cf, id_key(&info.id), hash);
        self.db.write_opt(batch, &synced()).map_err(storage)?;
        Ok(IssuedToken { token, info })
    }

    /// The principal a presented token stands for.
    pub fn authenticate(&self, presented: &str) -> Result<TokenInfo, AuthError> {
        let encoded = presented.strip_prefix(PREFIX).ok_or(AuthError::Malformed)?;
        if encoded.len() != 43 || BASE64_URL_SAFE_NO_PAD.decode(encoded).is_err() {
            return Err(AuthError::Malformed);
        }
        let hash: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let bytes = self.db.get_cf(self.cf()?, hash_key(&hash)).map_err(storage)?.ok_or(AuthError::Unknown)?;
        let info: TokenInfo = serde_json::from_slice(&bytes).map_err(storage)?;
        match info.revoked {
            Some(_) => Err(AuthError::Revoked),
            None => Ok(info),
        }
    }

    /// Revokes a token by id; `None` when no such token exists.
    /// Revoking twice keeps the first time.
    pub fn revoke(&self, id: &TokenId) -> Result<Option<TokenInfo>, AuthError> {
        let cf = self.cf()?;
        let Some(hash) = self.db.get_cf(cf, id_key(id)).map_err(storage)? else {
            return Ok(None);
        };
        let bytes = self.db.get_cf(cf, [&b"h"[..], &hash].concat()).map_err(storage)?.ok_or(AuthError::Unknown)?;
        let mut info: TokenInfo = serde_json::from_slice(&bytes).map_err(storage)?;
        if info.revoked.is_none() {
            info.revoked = Some(Timestamp::now());
            let mut batch = WriteBatch::default();
            batch.put_cf(cf, [&b"h"[..], &hash].concat(), serde_json::to_vec(&info).map_err(storage)?);
            self.db.write_opt(batch, &synced()).map_err(storage)?;
        }
        Ok(Some(info))
    }

    /// Every token, revoked ones included, by id.
    pub fn list(&self) -> Result<Vec<TokenInfo>, AuthError> {
        let cf = self.cf()?;
        let mut out = Vec::new();
        for row in self.db.prefix_iterator_cf(cf, b"h") {
            let (key, value) = row.map_err(storage)?;
            if !key.starts_with(b"h") {
                break;
            }
            out.push(serde_json::from_slice::<TokenInfo>(&value).map_err(storage)?);
        }
        out.sort_by_key(|info| info.id);
        Ok(out)
    }
}
