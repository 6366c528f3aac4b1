//! `safebox init`: create a data folder and write genesis.

use anyhow::Result;
use safebox_api::auth::Principal;
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
    let admin = node.tokens.issue(Principal::Admin, "admin (safebox init)")?;
    println!("admin token: {}", admin.token.as_str());
    println!("  shown once and stored only as a hash: keep it; it registers agencies, opens boxes and issues tokens");
    Ok(())
}
