//! The Safebox node: opens the data folder, composes the chains (and, as
//! they land, the vault and the services) and serves them over HTTP. The
//! only crate that knows HTTP.

pub mod datadir;
pub mod http;
pub mod node;

pub use node::Node;
