//! `safebox init`: create a data folder and write genesis.

use anyhow::Result;
use safebox_api::datadir::DataDir;
use safebox_api::Node;
use safebox_chain::ChainId;
use std::path::Path;

pub fn run(data: &Path, name: &str) -> Result<()> {
    let node = Node::init(DataDir::new(data), name)?;
    println!("initialised {} as node {:?}", data.display(), node.config.name);
    println!("node key:  {}", node.ledger.node_key());
    for chain in ChainId::ALL {
        println!("origin:    {}", node.ledger.origin(chain));
    }
    println!("keys in {} (readable by the owner only)", node.dir.keys_dir().display());
    Ok(())
}
