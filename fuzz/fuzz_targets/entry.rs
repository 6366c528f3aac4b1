//! Fuzzes signed entries as clients submit them (any JSON text) and as they
//! are read back from storage or bundles (canonical RFC 8785 bytes).
//!
//! Properties:
//! - what `from_json` reads has canonical bytes that `from_canonical_bytes`
//!   reads back equal (so the short way to canonical bytes, splicing the
//!   signature into the signing bytes, agrees with JCS on every payload);
//! - `from_canonical_bytes` accepts only bytes that are exactly the
//!   canonical bytes of what it read;
//! - the same entry signed by a key of ours verifies and is prepared
//!   (`VerifiedEntry`) with those canonical bytes, and a changed signature
//!   or author does not verify.
#![no_main]

use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;
use safebox_chain::entry::{EntryError, VerifiedEntry, MAX_ENTRY_BYTES};
use safebox_chain::{keys, EntryHash, SignedEntry};

fuzz_target!(|data: &[u8]| {
    if let Ok(stored) = SignedEntry::from_canonical_bytes(data) {
        assert_eq!(stored.canonical_bytes(), data, "stored bytes are read only when canonical");
    }

    let Ok(entry) = SignedEntry::from_json(data) else { return };
    let canonical = entry.canonical_bytes();
    let read_back = SignedEntry::from_canonical_bytes(&canonical).expect("canonical bytes of an entry read back");
    assert_eq!(read_back, entry);
    assert_eq!(SignedEntry::from_json(&canonical).expect("canonical bytes are JSON of an entry"), entry);

    // The same entry, authored and signed by a key of ours.
    let key = SigningKey::from_bytes(&[0x5a; 32]);
    let public = keys::public_key(&key);
    let mut ours = entry.entry.clone();
    ours.author = public.id();
    let signed = ours.sign(&key);
    signed.verify(&public).expect("our signature verifies");
    match VerifiedEntry::new(signed.clone(), &public) {
        Ok(verified) => {
            assert_eq!(verified.bytes, signed.canonical_bytes(), "the short way equals JCS");
            assert_eq!(verified.leaf, EntryHash::of_entry(&verified.bytes));
            assert_eq!(SignedEntry::from_canonical_bytes(&verified.bytes).expect("reads back"), signed);
        }
        Err(EntryError::TooLarge(n)) => assert!(n > MAX_ENTRY_BYTES),
        Err(e) => panic!("our own signed entry was refused: {e}"),
    }
    let mut forged = signed.clone();
    forged.signature.0[data.len() % 64] ^= 1 << (data.len() % 8);
    assert!(forged.verify(&public).is_err(), "a changed signature verifies");
    let other = keys::public_key(&SigningKey::from_bytes(&[0xa5; 32]));
    assert!(signed.verify(&other).is_err(), "another key verifies");
});
