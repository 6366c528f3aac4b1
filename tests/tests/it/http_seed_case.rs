//! The seed case over HTTP, end to end: the real `safebox` binary serves on
//! 127.0.0.1 with an ephemeral port, `safebox demo --server` drives the
//! whole "open a company" bundle through the API with the admin's, the
//! agencies' and the applicant's tokens, the applicant then streams a
//! document up and down and reads her access log, and `safebox audit`
//! replays what was served.

use safebox_tests::{safebox_bin, Served};
use std::io::Read;
use std::process::Command;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

fn after<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in:\n{text}"))
}

#[test]
fn the_seed_case_runs_over_http_and_the_served_data_audits_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Served::start(&data, &["--init", "--name", "jinan.example"]);
    let admin = server.admin_token();
    let base = server.base.clone();

    let bundles = tmp.path().join("bundles");
    let demo = Command::new(safebox_bin())
        .args(["demo", "--server", &base, "--token", &admin, "--bundles"])
        .arg(&bundles)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&demo.stdout).into_owned();
    assert!(demo.status.success(), "demo over HTTP failed: {}\n{out}", String::from_utf8_lossy(&demo.stderr));
    assert!(out.contains("this bundle: 14 materials required, 12 reused, 2 submitted"), "{out}");
    assert!(out.contains("node totals from the service chain: 5 applications"), "{out}");
    let files: Vec<_> = std::fs::read_dir(&bundles).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 5);
    let node: serde_json::Value = serde_json::from_str(
        &agent().get(format!("{base}/v1/node")).call().unwrap().body_mut().read_to_string().unwrap(),
    )
    .unwrap();
    let vkey = node["chains"][0]["verifier_key"].as_str().unwrap().to_owned();
    for bundle in &files {
        let verify = Command::new(safebox_bin())
            .args(["license", "verify"])
            .arg(bundle)
            .args(["--trust", &vkey])
            .output()
            .unwrap();
        assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
    }

    // The applicant's own view, with the token her box came with.
    let applicant = after(&out, "her applicant token: ").split_whitespace().next().unwrap().to_owned();
    let box_id = after(&out, "· 林晓 (Lin Xiao), abroad, opens her box ").split_whitespace().next().unwrap().to_owned();
    let agent = agent();
    let bearer = format!("Bearer {applicant}");
    let content: Vec<u8> = (0..3 * 1024 * 1024 + 17).map(|i| (i % 251) as u8).collect();
    let mut up = agent
        .post(format!("{base}/v1/boxes/{box_id}/documents?type=bank-statement&name=statement.pdf"))
        .header("authorization", &bearer)
        .header("content-type", "application/pdf")
        .send(&content[..])
        .unwrap();
    assert_eq!(up.status().as_u16(), 201, "{}", up.body_mut().read_to_string().unwrap());
    let meta: serde_json::Value = serde_json::from_str(&up.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(meta["size"], content.len() as u64);
    let document = meta["document"].as_str().unwrap();
    let mut down = agent
        .get(format!("{base}/v1/boxes/{box_id}/documents/{document}/versions/1"))
        .header("authorization", &bearer)
        .call()
        .unwrap();
    assert_eq!(down.status().as_u16(), 200);
    let mut got = Vec::new();
    down.body_mut().as_reader().read_to_end(&mut got).unwrap();
    assert!(got == content, "the download differs from the upload");
    let get_json = |path: &str| -> serde_json::Value {
        let mut response = agent.get(format!("{base}{path}")).header("authorization", &bearer).call().unwrap();
        serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
    };
    let log = get_json(&format!("/v1/boxes/{box_id}/access-log"));
    // Registration read 3 documents, every later matter 1.
    assert_eq!(log["uses"].as_array().unwrap().len(), 7, "{log}");
    let licenses = get_json(&format!("/v1/boxes/{box_id}/licenses"));
    assert_eq!(licenses.as_array().unwrap().len(), 5);
    let verified = agent
        .post(format!("{base}/v1/licenses/verify"))
        .header("content-type", "application/json")
        .send(serde_json::to_vec(&licenses[0]).unwrap().as_slice())
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let verified: serde_json::Value = serde_json::from_str(&verified).unwrap();
    assert_eq!(verified["mode"], "online");
    assert!(verified["verdict"]["checks"].as_array().unwrap().iter().all(|c| c["outcome"] == "passed"), "{verified}");

    server.kill();
    let audit = Command::new(safebox_bin()).args(["audit", "--data"]).arg(&data).output().unwrap();
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stdout));
}
