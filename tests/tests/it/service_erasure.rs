//! Erasure and what the chains keep: after a box is erased nothing of it can
//! be read, both chains still replay, and an erasure cut short by a crash
//! is completed by asking again. No chain entry names the applicant or
//! holds a document's name or content; a changed service entry is caught
//! by replay.

use crate::service_support::*;
use safebox_api::services::ServiceError;
use safebox_chain::payload::Payload;
use safebox_chain::replay::replay;
use safebox_chain::service_state;
use safebox_chain::state::Refusal;
use safebox_chain::storage::CF_ENTRIES;
use safebox_chain::ChainId;
use safebox_vault::VaultError;

#[test]
fn after_erasure_and_compaction_nothing_is_readable_and_both_chains_replay() {
    let s = Scene::new();
    s.read(&s.request()).unwrap();
    let (box_id, meta) = (s.opened.box_id, &s.meta);

    let appended = s.t.node.erase_box(box_id).unwrap().expect("erasure recorded");
    s.t.node.vault.compact().unwrap();

    let (_, last) = service_entries(&s.t.node.ledger).pop().unwrap();
    assert_eq!(last.entry.payload.kind(), "box.erased");
    assert_eq!(appended.index + 1, s.t.node.ledger.head(ChainId::Service).unwrap().size);

    let mut out = Vec::new();
    let err = s.t.node.vault.read_document(box_id, meta.document, meta.version, &mut out).unwrap_err();
    assert_eq!(err, VaultError::Erased(box_id));
    assert!(matches!(
        s.t.node.read_own_document(box_id, meta.document, meta.version, &mut out),
        Err(ServiceError::Vault(VaultError::Erased(_)))
    ));
    assert!(out.is_empty());
    let err = refused_without_trace(&s.t, |out| {
        s.t.node.read_with_agency_key(&s.request(), &s.t.agency_key, out).map(|_| ())
    });
    assert!(matches!(err, ServiceError::Refused(Refusal::BoxErased(_))), "{err}");
    // The box's commitments can no longer be computed, so nothing links
    // the chain's reference to anyone.
    assert!(s.t.node.vault.applicant_commitment(box_id, APPLICANT_CODE).is_err());
    assert!(matches!(s.t.node.box_ref(box_id), Err(ServiceError::Vault(VaultError::Erased(_)))));
    // Its applicant key signs nothing any more.
    assert!(s.t.node.give_grant(box_id, terms(&s.t, vec![s.document])).is_err());

    let report = replay(s.t.node.ledger.store(), &mut |_, _| {}).unwrap();
    assert_eq!(report.chains[1].size, s.t.node.ledger.head(ChainId::Service).unwrap().size);
    // Erasing again is answered, and records nothing more.
    assert!(s.t.node.erase_box(box_id).unwrap().is_none());
}

#[test]
fn an_erasure_cut_short_after_the_vault_is_recorded_when_asked_again() {
    let s = Scene::new();
    // The node stopped after destroying the keys, before box.erased.
    s.t.node.vault.erase_box(s.opened.box_id).unwrap();
    let state = s.t.node.ledger.store().state();
    assert_eq!(service_state::box_record(&state, &s.opened.box_ref).unwrap().unwrap().erased_at, None);

    let appended = s.t.node.erase_box(s.opened.box_id).unwrap().expect("erasure recorded now");
    let record = service_state::box_record(&s.t.node.ledger.store().state(), &s.opened.box_ref).unwrap().unwrap();
    assert_eq!(record.erased_at, Some(appended.index));
    assert!(s.t.node.erase_box(s.opened.box_id).unwrap().is_none());
    replay(s.t.node.ledger.store(), &mut |_, _| {}).unwrap();
}

#[test]
fn no_chain_entry_holds_the_applicants_code_or_a_documents_name_or_content() {
    let s = Scene::new();
    s.read(&s.request()).unwrap();
    s.t.node.withdraw_grant(s.opened.box_id, s.grant).unwrap();
    s.t.node.erase_box(s.opened.box_id).unwrap();
    let entries = service_entries(&s.t.node.ledger);
    let kinds: Vec<_> = entries.iter().map(|(_, e)| e.entry.payload.kind()).collect();
    assert_eq!(kinds, ["genesis", "box.opened", "grant.given", "document.used", "grant.withdrawn", "box.erased"]);
    for (bytes, _) in &entries {
        let text = String::from_utf8_lossy(bytes);
        for secret in [APPLICANT_CODE, "zhang-san", "id-card", std::str::from_utf8(CONTENT).unwrap()] {
            assert!(!text.contains(secret), "a service entry holds {secret:?}: {text}");
        }
    }
}

#[test]
fn replay_reports_a_changed_service_entry_at_its_index() {
    let s = Scene::new();
    s.read(&s.request()).unwrap();
    let ledger = &s.t.node.ledger;
    let (index, mut bytes) = service_entries(ledger)
        .into_iter()
        .enumerate()
        .find(|(_, (_, e))| matches!(e.entry.payload, Payload::DocumentUsed(_)))
        .map(|(i, (bytes, _))| (i as u64, bytes))
        .unwrap();
    // Change the matter code's last digit, keeping the JSON valid.
    let at = bytes.windows(MATTER.len()).position(|w| w == MATTER.as_bytes()).unwrap() + MATTER.len() - 1;
    bytes[at] = b'9';
    let db = ledger.store().db();
    let mut key = vec![b'S'];
    key.extend_from_slice(&index.to_be_bytes());
    db.put_cf(&db.cf_handle(CF_ENTRIES).unwrap(), key, bytes).unwrap();

    let discrepancy = replay(ledger.store(), &mut |_, _| {}).unwrap_err();
    assert_eq!((discrepancy.chain, discrepancy.index), (Some(ChainId::Service), Some(index)), "{discrepancy}");
}
