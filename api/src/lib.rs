//! The Safebox node: opens the data folder, composes the chains and the
//! vault into the services (a library in `services`) and serves them over
//! HTTP. The only crate that knows HTTP.

pub mod auth;
pub mod catalog;
pub mod datadir;
pub mod http;
pub mod node;
pub mod services;

pub use node::Node;
