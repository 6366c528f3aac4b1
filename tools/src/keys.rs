//! `safebox keys`: key management on a stopped node.

use anyhow::Result;
use safebox_api::datadir::DataDir;
use safebox_api::Node;
use std::path::Path;

/// `safebox keys rotate-master`: a new vault master key, every box key
/// rewrapped under it.
pub fn rotate_master(data: &Path) -> Result<()> {
    let node = Node::open(DataDir::new(data))?;
    let rotation = node.rotate_master()?;
    println!(
        "master key rotated: {} box keys rewrapped ({} were already under the new key)",
        rotation.rewrapped, rotation.already
    );
    Ok(())
}
