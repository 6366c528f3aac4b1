//! Bearer tokens: random, shown once, stored only as hashes, revocable;
//! every malformed, unknown or revoked token is refused with its reason.

use safebox_api::auth::{AuthError, Principal, TokenId, CF_TOKENS};
use safebox_tests::TestNode;

#[test]
fn a_token_authenticates_as_its_principal_until_it_is_revoked() {
    let t = TestNode::new();
    let tokens = &t.node.tokens;
    let agency = tokens.issue(Principal::Agency { agency: t.agency.clone() }, "市场监管局 窗口 1").unwrap();
    let auditor = tokens.issue(Principal::Auditor, "auditor").unwrap();
    assert_ne!(agency.token, auditor.token);
    assert!(agency.token.as_str().starts_with("sbx_") && agency.token.as_str().len() == 47);
    let info = tokens.authenticate(agency.token.as_str()).unwrap();
    assert_eq!(info.principal, Principal::Agency { agency: t.agency.clone() });
    assert_eq!(info.id, agency.info.id);
    assert_eq!(tokens.authenticate(auditor.token.as_str()).unwrap().principal, Principal::Auditor);

    let revoked = tokens.revoke(&agency.info.id).unwrap().expect("known token");
    assert!(revoked.revoked.is_some());
    assert!(matches!(tokens.authenticate(agency.token.as_str()), Err(AuthError::Revoked)));
    // Revoking again keeps the first time; the other token still works.
    assert_eq!(tokens.revoke(&agency.info.id).unwrap().unwrap().revoked, revoked.revoked);
    assert!(tokens.authenticate(auditor.token.as_str()).is_ok());
    assert!(tokens.revoke(&TokenId([0; 8])).unwrap().is_none());
    let listed = tokens.list().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed.iter().filter(|i| i.revoked.is_some()).count(), 1);
}

#[test]
fn malformed_and_unknown_tokens_are_refused_with_their_reason() {
    let t = TestNode::new();
    let issued = t.node.tokens.issue(Principal::Admin, "admin").unwrap();
    // Change a character in the middle: the last one also carries two
    // padding bits, and changing those makes the token malformed, not
    // unknown.
    let mut altered: Vec<char> = issued.token.as_str().chars().collect();
    altered[10] = if altered[10] == 'A' { 'B' } else { 'A' };
    let altered: String = altered.into_iter().collect();
    for (presented, malformed) in [
        ("", true),
        ("Bearer x", true),
        ("sbx_", true),
        ("sbx_!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", true),
        (&issued.token.as_str()[..46], true),
        (&altered, false),
        (&issued.token.as_str().replace("sbx_", "SBX_"), true),
    ] {
        let err = t.node.tokens.authenticate(presented).unwrap_err();
        match (malformed, &err) {
            (true, AuthError::Malformed) | (false, AuthError::Unknown) => {}
            _ => panic!("{presented:?}: {err}"),
        }
    }
}

#[test]
fn the_database_holds_no_token_only_its_hash() {
    let t = TestNode::new();
    let issued = t.node.tokens.issue(Principal::Auditor, "auditor").unwrap();
    let db = t.node.ledger.store().db();
    let cf = db.cf_handle(CF_TOKENS).unwrap();
    let secret = issued.token.as_str().as_bytes();
    let encoded = &secret[4..];
    let mut rows = 0;
    for row in db.iterator_cf(&cf, rocksdb::IteratorMode::Start) {
        let (key, value) = row.unwrap();
        rows += 1;
        for haystack in [&key[..], &value[..]] {
            assert!(!haystack.windows(encoded.len()).any(|w| w == encoded), "the token is stored in clear");
        }
    }
    assert_eq!(rows, 2, "one record and one id row");
}
