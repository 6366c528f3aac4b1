//! Who is calling: principals (admin, auditor, agency, applicant) and the
//! bearer tokens that stand for them. Knows nothing of HTTP; the HTTP layer
//! reads the `Authorization` header and asks here.
//!
//! | file | concern |
//! |---|---|
//! | `principal.rs` | `Principal` and its kinds |
//! | `tokens.rs` | `TokenStore`: random tokens stored only as hashes, revocable |

mod principal;
mod tokens;

pub use principal::{Principal, PrincipalKind};
pub use tokens::{AuthError, BearerToken, IssuedToken, TokenId, TokenInfo, TokenStore, CF_TOKENS, COLUMN_FAMILIES};
