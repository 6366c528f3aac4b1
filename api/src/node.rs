//! A node: one data folder, one RocksDB, both chains (and, as they land,
//! the vault and the services), opened together.

use crate::datadir::{DataDir, DataDirError, NodeConfig};
use safebox_chain::ledger::{AppendError, OpenError};
use safebox_chain::storage::{self, ChainStore, StorageError};
use safebox_chain::Ledger;
use std::sync::Arc;

/// Every column family of the node's database.
pub fn column_families() -> Vec<&'static str> {
    storage::COLUMN_FAMILIES.to_vec()
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
}

/// A running node.
pub struct Node {
    pub dir: DataDir,
    pub config: NodeConfig,
    pub ledger: Arc<Ledger>,
}

impl Node {
    /// Creates a data folder, its keys and both chains' genesis.
    pub fn init(dir: DataDir, name: &str) -> Result<Node, NodeError> {
        if !name.is_empty() && !name.contains(char::is_whitespace) && !name.contains('+') {
            // Checked again by the ledger; checked first here so that a bad
            // name leaves no folder behind.
        } else {
            return Err(NodeError::Open(OpenError::BadNodeName(name.to_owned())));
        }
        let keys = dir.create()?;
        let db = storage::open_db(&dir.db_path(), &column_families())?;
        let ledger = Ledger::open(ChainStore::new(db)?, name, keys.node)?;
        ledger.write_genesis(&keys.root)?;
        let config = NodeConfig { name: name.to_owned() };
        dir.write_config(&config)?;
        Ok(Node { dir, config, ledger })
    }

    /// Opens an initialised data folder.
    pub fn open(dir: DataDir) -> Result<Node, NodeError> {
        let config = dir.config()?;
        let node_key = dir.node_key()?;
        let db = storage::open_db(&dir.db_path(), &column_families())?;
        let ledger = Ledger::open(ChainStore::new(db)?, &config.name, node_key)?;
        Ok(Node { dir, config, ledger })
    }
}

/// Opens an initialised data folder's chains read-only, for audits.
pub fn open_read_only(dir: &DataDir) -> Result<ChainStore, NodeError> {
    dir.config()?;
    let db = storage::open_db_read_only(&dir.db_path(), &column_families())?;
    Ok(ChainStore::new(db)?)
}
