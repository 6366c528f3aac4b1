//! A node: one data folder, one RocksDB, both chains and the vault, opened
//! together. The services are `impl Node` blocks in `services`.

use crate::auth::{self, TokenStore};
use crate::datadir::{DataDir, DataDirError, NodeConfig};
use crate::services::box_index::{self, BoxIndex};
use ed25519_dalek::SigningKey;
use safebox_chain::ledger::{AppendError, OpenError};
use safebox_chain::storage::{self, ChainStore, StorageError};
use safebox_chain::Ledger;
use safebox_vault::{MasterKey, Rotation, Vault, VaultError};
use std::sync::Arc;

/// Every column family of the node's database: the chain's, the vault's
/// and the node's own box index.
pub fn column_families() -> Vec<&'static str> {
    let mut names = storage::COLUMN_FAMILIES.to_vec();
    names.extend(safebox_vault::COLUMN_FAMILIES);
    names.extend(box_index::COLUMN_FAMILIES);
    names.extend(auth::COLUMN_FAMILIES);
    names
}

/// Why a node could not be created or opened.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    #[error("database: {0}")]
    Storage(#[from] StorageError),
    #[error("ledger: {0}")]
    Open(#[from] OpenError),
    #[error("genesis: {0}")]
    Genesis(#[from] AppendError),
    #[error("vault: {0}")]
    Vault(#[from] VaultError),
    #[error("settling interrupted issuances: {0}")]
    Service(#[from] crate::services::ServiceError),
}

/// A running node.
pub struct Node {
    pub dir: DataDir,
    pub config: NodeConfig,
    pub ledger: Arc<Ledger>,
    pub vault: Arc<Vault>,
    /// The bearer tokens of the node's principals.
    pub tokens: TokenStore,
    /// Signs what the node itself records (boxes opened and erased).
    pub(crate) node_key: SigningKey,
    pub(crate) boxes: BoxIndex,
}

impl Node {
    /// Creates a data folder, its keys and both chains' genesis.
    pub fn init(dir: DataDir, name: &str) -> Result<Node, NodeError> {
        if name.is_empty() || name.contains(char::is_whitespace) || name.contains('+') {
            // Checked again by the ledger; checked first here so that a bad
            // name leaves no folder behind.
            return Err(NodeError::Open(OpenError::BadNodeName(name.to_owned())));
        }
        let keys = dir.create()?;
        let node = Self::assemble(dir, NodeConfig { name: name.to_owned() }, keys.node, keys.master)?;
        node.ledger.write_genesis(&keys.root)?;
        node.dir.write_config(&node.config)?;
        Ok(node)
    }

    /// Opens an initialised data folder (the vault finishes what a crash
    /// interrupted, and so do a master key rotation and a license issuance).
    pub fn open(dir: DataDir) -> Result<Node, NodeError> {
        let config = dir.config()?;
        let (node_key, master) = (dir.node_key()?, dir.master_key()?);
        let node = Self::assemble(dir, config, node_key, master)?;
        if node.dir.pending_master_key()?.is_some() {
            node.rotate_master()?;
        }
        // A credential stored for an issuance the crash cut short is kept
        // only if the chain recorded it.
        node.settle_pending_issuances()?;
        Ok(node)
    }

    /// Rewraps every box key under a new master key (documents are not
    /// re-encrypted). The new key is written to `master.key.new` first and
    /// replaces `master.key` only when every box is rewrapped; an
    /// interrupted rotation is resumed by the next `open` or call.
    pub fn rotate_master(&self) -> Result<Rotation, NodeError> {
        let new = match self.dir.pending_master_key()? {
            Some(key) => key,
            None => {
                let key = *MasterKey::generate().expose_bytes();
                self.dir.write_pending_master_key(&key)?;
                key
            }
        };
        let old = MasterKey::from_bytes(self.dir.master_key()?);
        let rotation = self.vault.rotate_master(&old, &MasterKey::from_bytes(new))?;
        self.dir.commit_pending_master_key()?;
        Ok(rotation)
    }

    fn assemble(dir: DataDir, config: NodeConfig, node_key: SigningKey, master: [u8; 32]) -> Result<Node, NodeError> {
        let db = storage::open_db(&dir.db_path(), &column_families())?;
        let boxes = BoxIndex::new(db.clone())?;
        let tokens = TokenStore::new(db.clone())?;
        let vault = Arc::new(Vault::open(db.clone(), MasterKey::from_bytes(master))?);
        let ledger = Ledger::open(ChainStore::new(db)?, &config.name, node_key.clone())?;
        Ok(Node { dir, config, ledger, vault, tokens, node_key, boxes })
    }
}

/// Opens an initialised data folder's chains read-only, for audits.
pub fn open_read_only(dir: &DataDir) -> Result<ChainStore, NodeError> {
    dir.config()?;
    let db = storage::open_db_read_only(&dir.db_path(), &column_families())?;
    Ok(ChainStore::new(db)?)
}
