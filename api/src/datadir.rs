//! The data folder of a node: its name, its key files and its database.
//!
//! ```text
//! DIR/node.json        {"name": …}; written last by `init`, so its presence
//!                      means the folder is complete
//! DIR/keys/node.key    node signing key      (mode 0600, folder 0700)
//! DIR/keys/root.key    root authority key    (mode 0600)
//! DIR/keys/master.key  vault master key      (mode 0600)
//! DIR/keys/master.key.new  the next master key while a rotation runs
//! DIR/keys/agencies/<code>.key  signing keys of the agencies this node
//!                      holds keys for (the embedded default)
//! DIR/db/              RocksDB
//! ```

use base64::prelude::*;
use ed25519_dalek::SigningKey;
use rand::RngCore;
use safebox_chain::AgencyCode;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

const SEED_PREFIX: &str = "safebox-ed25519-seed:";
const MASTER_PREFIX: &str = "safebox-master-key:";

/// Why a data folder could not be created or read.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("{0} is already initialised")]
    AlreadyInitialised(PathBuf),
    #[error("{0} is not empty and is not a Safebox data folder; choose another folder")]
    NotEmpty(PathBuf),
    #[error("{0} is not an initialised Safebox data folder (run `safebox init --data {0}` first)")]
    NotInitialised(PathBuf),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {reason}")]
    BadFile { path: PathBuf, reason: String },
}

/// What `node.json` records.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodeConfig {
    /// The node's name: checkpoint origins are `<name>/license` and
    /// `<name>/service`.
    pub name: String,
}

/// The paths of one data folder.
#[derive(Clone, Debug)]
pub struct DataDir {
    root: PathBuf,
}

/// The keys `init` creates.
pub struct NodeKeys {
    pub node: SigningKey,
    pub root: SigningKey,
    pub master: [u8; 32],
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DataDirError + '_ {
    move |source| DataDirError::Io { path: path.to_owned(), source }
}

impl DataDir {
    /// The folder at `root` (not yet checked).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DataDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn config_path(&self) -> PathBuf {
        self.root.join("node.json")
    }
    pub fn keys_dir(&self) -> PathBuf {
        self.root.join("keys")
    }
    pub fn db_path(&self) -> PathBuf {
        self.root.join("db")
    }

    /// Whether `init` has completed here.
    pub fn is_initialised(&self) -> bool {
        self.config_path().is_file()
    }

    /// Creates the folder, its keys and its config. Refuses a folder that is
    /// initialised, or not empty.
    pub fn create(&self) -> Result<NodeKeys, DataDirError> {
        if self.is_initialised() {
            return Err(DataDirError::AlreadyInitialised(self.root.clone()));
        }
        if self.root.exists() {
            let mut entries = fs::read_dir(&self.root).map_err(io(&self.root))?;
            if entries.next().is_some() {
                return Err(DataDirError::NotEmpty(self.root.clone()));
            }
        }
        let keys_dir = self.keys_dir();
        fs::create_dir_all(&keys_dir).map_err(io(&keys_dir))?;
        restrict(&keys_dir, 0o700)?;
        let mut rng = rand::rngs::OsRng;
        let keys = NodeKeys {
            node: SigningKey::generate(&mut rng),
            root: SigningKey::generate(&mut rng),
            master: {
                let mut k = [0u8; 32];
                rng.fill_bytes(&mut k);
                k
            },
        };
        write_secret(&keys_dir.join("node.key"), SEED_PREFIX, keys.node.as_bytes())?;
        write_secret(&keys_dir.join("root.key"), SEED_PREFIX, keys.root.as_bytes())?;
        write_secret(&keys_dir.join("master.key"), MASTER_PREFIX, &keys.master)?;
        Ok(keys)
    }

    /// Marks the folder complete; `init` calls this after genesis is durable.
    pub fn write_config(&self, config: &NodeConfig) -> Result<(), DataDirError> {
        let path = self.config_path();
        let text = serde_json::to_vec_pretty(config).expect("config serialises");
        fs::write(&path, text).map_err(io(&path))
    }

    /// Reads `node.json`.
    pub fn config(&self) -> Result<NodeConfig, DataDirError> {
        if !self.is_initialised() {
            return Err(DataDirError::NotInitialised(self.root.clone()));
        }
        let path = self.config_path();
        let text = fs::read(&path).map_err(io(&path))?;
        serde_json::from_slice(&text).map_err(|e| DataDirError::BadFile { path, reason: e.to_string() })
    }

    /// Reads the node signing key.
    pub fn node_key(&self) -> Result<SigningKey, DataDirError> {
        self.signing_key("node.key")
    }

    /// Reads the root authority key.
    pub fn root_key(&self) -> Result<SigningKey, DataDirError> {
        self.signing_key("root.key")
    }

    fn signing_key(&self, file: &str) -> Result<SigningKey, DataDirError> {
        let path = self.keys_dir().join(file);
        let seed = read_secret(&path, SEED_PREFIX)?;
        Ok(SigningKey::from_bytes(&seed))
    }

    /// Reads the vault master key.
    pub fn master_key(&self) -> Result<[u8; 32], DataDirError> {
        read_secret(&self.keys_dir().join("master.key"), MASTER_PREFIX)
    }

    fn agency_key_path(&self, agency: &AgencyCode) -> PathBuf {
        // An agency code is 18 characters of GB 32100's alphabet: safe as a
        // file name.
        self.keys_dir().join("agencies").join(format!("{agency}.key"))
    }

    /// The signing key this node holds for `agency`, if it holds one.
    pub fn agency_key(&self, agency: &AgencyCode) -> Result<Option<SigningKey>, DataDirError> {
        let path = self.agency_key_path(agency);
        if !path.exists() {
            return Ok(None);
        }
        read_secret(&path, SEED_PREFIX).map(|seed| Some(SigningKey::from_bytes(&seed)))
    }

    /// Stores (durably, mode 0600) a new signing key for `agency`; refuses
    /// to replace one.
    pub fn write_agency_key(&self, agency: &AgencyCode, key: &SigningKey) -> Result<(), DataDirError> {
        let dir = self.keys_dir().join("agencies");
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        restrict(&dir, 0o700)?;
        write_secret(&self.agency_key_path(agency), SEED_PREFIX, key.as_bytes())?;
        sync_dir(&dir)
    }

    /// The next key of `agency` while a rotation runs, if one is.
    pub fn pending_agency_key(&self, agency: &AgencyCode) -> Result<Option<SigningKey>, DataDirError> {
        let path = self.agency_key_path(agency).with_extension("key.new");
        if !path.exists() {
            return Ok(None);
        }
        read_secret(&path, SEED_PREFIX).map(|seed| Some(SigningKey::from_bytes(&seed)))
    }

    /// Writes (durably) the next key of `agency` before the rotation is
    /// appended, so that the chain never names a key that exists nowhere.
    pub fn write_pending_agency_key(&self, agency: &AgencyCode, key: &SigningKey) -> Result<(), DataDirError> {
        let path = self.agency_key_path(agency).with_extension("key.new");
        write_secret(&path, SEED_PREFIX, key.as_bytes())?;
        sync_dir(&self.keys_dir().join("agencies"))
    }

    /// Makes the pending key of `agency` its key (after the rotation is on
    /// the chain).
    pub fn commit_pending_agency_key(&self, agency: &AgencyCode) -> Result<(), DataDirError> {
        let to = self.agency_key_path(agency);
        let from = to.with_extension("key.new");
        fs::rename(&from, &to).map_err(io(&from))?;
        sync_dir(&self.keys_dir().join("agencies"))
    }

    fn pending_master_path(&self) -> PathBuf {
        self.keys_dir().join("master.key.new")
    }

    /// The next master key of a rotation in progress, if one is.
    pub fn pending_master_key(&self) -> Result<Option<[u8; 32]>, DataDirError> {
        let path = self.pending_master_path();
        if !path.exists() {
            return Ok(None);
        }
        read_secret(&path, MASTER_PREFIX).map(Some)
    }

    /// Writes (durably) the next master key before any box is rewrapped to
    /// it, so that a crash mid-rotation never leaves boxes under a key that
    /// exists nowhere.
    pub fn write_pending_master_key(&self, key: &[u8; 32]) -> Result<(), DataDirError> {
        write_secret(&self.pending_master_path(), MASTER_PREFIX, key)?;
        sync_dir(&self.keys_dir())
    }

    /// Makes the pending key the master key (after every box is rewrapped).
    pub fn commit_pending_master_key(&self) -> Result<(), DataDirError> {
        let (from, to) = (self.pending_master_path(), self.keys_dir().join("master.key"));
        fs::rename(&from, &to).map_err(io(&from))?;
        sync_dir(&self.keys_dir())
    }
}

/// Makes a rename or a new file in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), DataDirError> {
    fs::File::open(dir).and_then(|f| f.sync_all()).map_err(io(dir))
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> Result<(), DataDirError> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(io(path))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> Result<(), DataDirError> {
    Ok(())
}

fn write_secret(path: &Path, prefix: &str, bytes: &[u8; 32]) -> Result<(), DataDirError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io(path))?;
    writeln!(file, "{prefix}{}", BASE64_STANDARD.encode(bytes)).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

fn read_secret(path: &Path, prefix: &str) -> Result<[u8; 32], DataDirError> {
    let text = fs::read_to_string(path).map_err(io(path))?;
    let bad = |reason: &str| DataDirError::BadFile { path: path.to_owned(), reason: reason.to_owned() };
    let encoded = text.trim().strip_prefix(prefix).ok_or_else(|| bad("not a Safebox key file"))?;
    let bytes = BASE64_STANDARD.decode(encoded).map_err(|_| bad("key is not base64"))?;
    bytes.try_into().map_err(|_| bad("key is not 32 bytes"))
}
