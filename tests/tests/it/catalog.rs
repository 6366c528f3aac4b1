//! The service catalog: the shipped example holds the seed case's bundle
//! and a construction permit, and every malformed catalog is refused with
//! where and why.

use safebox_api::catalog::{Catalog, CatalogError, MaterialSource};
use safebox_chain::MatterCode;
use serde_json::{json, Value};

fn code(text: &str) -> MatterCode {
    MatterCode::parse(text).unwrap()
}

#[test]
fn the_example_holds_the_open_a_company_bundle_and_a_construction_permit() {
    let catalog = Catalog::example();
    let bundle = catalog.bundle(&code("370100-YJS-KBQY")).expect("open-a-company bundle");
    assert_eq!(bundle.matters.len(), 5, "registration, seal, bank account, tax, social insurance");
    // Every license a bundle step needs is produced by an earlier step:
    // what the bundle issues is reused, not submitted again.
    let mut issued = Vec::new();
    for step in &bundle.matters {
        let matter = catalog.matter(step).unwrap();
        for material in &matter.materials {
            if let MaterialSource::License(t) = &material.source {
                assert!(issued.contains(t), "{} needs {} before the bundle issues it", matter.code, t.as_str());
            }
        }
        issued.push(matter.output.clone().expect("every bundle step issues a license").license_type);
    }
    let permit = catalog.matter(&code("370100-ZJ-006")).expect("construction permit");
    assert!(permit.materials.iter().any(|m| matches!(m.source, MaterialSource::Document(_))));
    assert_eq!(catalog.matters().count(), 6);
}

fn refused(mutate: impl FnOnce(&mut Value)) -> CatalogError {
    let mut doc: Value = serde_json::from_str(safebox_api::catalog::EXAMPLE).unwrap();
    mutate(&mut doc);
    Catalog::from_json(&serde_json::to_vec(&doc).unwrap()).expect_err("must be refused")
}

fn assert_invalid(err: CatalogError, at: &str, reason: &str) {
    match &err {
        CatalogError::Invalid { at: a, reason: r } => {
            assert!(a.contains(at), "{err}");
            assert!(r.contains(reason), "{err}");
        }
        other => panic!("expected an Invalid error at {at}, got {other}"),
    }
}

#[test]
fn malformed_catalogs_are_refused_with_where_and_why() {
    assert_invalid(
        refused(|d| d["matters"][1]["code"] = d["matters"][0]["code"].clone()),
        "matter 2",
        "already defined",
    );
    assert_invalid(refused(|d| d["matters"][0]["agency"] = json!("11370100MB28559108")), "matter 1", "check character");
    assert_invalid(
        refused(|d| d["matters"][0]["materials"][0]["license"] = json!("11370100MB28559107001")),
        "material 1",
        "exactly one",
    );
    assert_invalid(refused(|d| d["matters"][0]["materials"][0] = json!({"name": "x"})), "material 1", "exactly one");
    assert_invalid(
        refused(|d| d["matters"][1]["materials"][0]["license"] = json!("TOO-SHORT")),
        "material 1 license",
        "21",
    );
    assert_invalid(refused(|d| d["bundles"][0]["matters"][2] = json!("370100-NOPE")), "bundle 1", "not in the catalog");
    assert_invalid(refused(|d| d["bundles"][0]["matters"][1] = json!("370100-SCJG-001")), "bundle 1", "twice");
    assert_invalid(refused(|d| d["bundles"][0]["code"] = json!("370100-SCJG-001")), "bundle 1", "already used");
    assert_invalid(refused(|d| d["matters"][0]["name"] = json!("  ")), "matter 1", "name");
    assert!(matches!(refused(|d| d["matters"][0]["extra"] = json!(1)), CatalogError::Json(_)));
    assert!(matches!(Catalog::from_json(b"not json"), Err(CatalogError::Json(_))));
    assert_invalid(Catalog::from_json(br#"{"matters": []}"#).unwrap_err(), "matters", "at least one");
}
