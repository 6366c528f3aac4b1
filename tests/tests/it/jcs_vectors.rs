//! RFC 8785 canonicalisation reproduces the cyberphone vectors byte for byte.

use safebox_chain::canonical::canonicalize;
use safebox_tests::vectors_dir;

#[test]
fn every_cyberphone_vector_canonicalises_exactly() {
    let dir = vectors_dir().join("cyberphone-json-canonicalization/testdata");
    let mut names: Vec<_> = std::fs::read_dir(dir.join("input")).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    assert_eq!(names.len(), 6);
    for input in names {
        let name = input.file_name().unwrap();
        let expected = std::fs::read(dir.join("output").join(name)).unwrap();
        let got = canonicalize(&std::fs::read(&input).unwrap()).unwrap();
        assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&expected), "{}", input.display());
    }
}
