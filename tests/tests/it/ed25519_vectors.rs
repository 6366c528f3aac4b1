//! Ed25519 is verified strictly everywhere: Wycheproof's verdicts, and of
//! the speccheck cases exactly case 3 accepted (as ed25519-dalek's
//! `verify_strict` and libsodium do).

use safebox_chain::keys::{PublicKey, Signature};
use safebox_tests::vectors_dir;
use serde_json::Value;

fn verify(pk: &str, msg: &str, sig: &str) -> bool {
    let Ok(key) = PublicKey::from_bytes(&hex::decode(pk).unwrap()) else { return false };
    let Ok(sig) = Signature::from_bytes(&hex::decode(sig).unwrap()) else { return false };
    key.verify(&hex::decode(msg).unwrap(), &sig).is_ok()
}

#[test]
fn wycheproof_verdicts_are_reproduced() {
    let path = vectors_dir().join("wycheproof/testvectors_v1/ed25519_test.json");
    let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut count = 0;
    for group in doc["testGroups"].as_array().unwrap() {
        let pk = group["publicKey"]["pk"].as_str().unwrap();
        for t in group["tests"].as_array().unwrap() {
            let expected = match t["result"].as_str().unwrap() {
                "valid" => true,
                "invalid" => false,
                other => panic!("unexpected result {other}"),
            };
            let got = verify(pk, t["msg"].as_str().unwrap(), t["sig"].as_str().unwrap());
            assert_eq!(got, expected, "tcId {} ({})", t["tcId"], t["comment"]);
            count += 1;
        }
    }
    assert_eq!(count, 151);
}

#[test]
fn speccheck_accepts_only_the_mixed_order_case() {
    let path = vectors_dir().join("ed25519-speccheck/cases.json");
    let cases: Vec<Value> = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let accepted: Vec<usize> = cases
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            verify(c["pub_key"].as_str().unwrap(), c["message"].as_str().unwrap(), c["signature"].as_str().unwrap())
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(accepted, vec![3], "strict verification accepts only case 3");
}
