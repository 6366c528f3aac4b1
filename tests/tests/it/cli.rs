//! The `safebox` command end to end: `init`, `serve` on a real socket with
//! an ephemeral port, and `audit` of what it served.

use safebox_tests::{safebox_bin, Served};
use std::process::Command;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

#[test]
fn init_twice_is_refused_with_one_readable_line() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let first = Command::new(safebox_bin()).args(["init", "--data"]).arg(&data).output().unwrap();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stdout).contains("safebox.local/license"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for key in ["node.key", "root.key", "master.key"] {
            let mode = std::fs::metadata(data.join("keys").join(key)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{key} must be readable by the owner only");
        }
    }
    let second = Command::new(safebox_bin()).args(["init", "--data"]).arg(&data).output().unwrap();
    assert_eq!(second.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("already initialised"), "{stderr}");
}

#[test]
fn serve_answers_on_a_real_socket_and_audit_passes_after() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Served::start(&data, &["--init", "--name", "zone.example"]);
    let base = server.base.clone();
    let agent = agent();
    let mut response = agent.get(format!("{base}/v1/node")).call().unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let info: serde_json::Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(info["chains"][1]["origin"], "zone.example/service");

    let mut response = agent.get(format!("{base}/v1/chains/service/checkpoint")).call().unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let note = response.body_mut().read_to_string().unwrap();
    assert!(note.starts_with("zone.example/service\n1\n"), "{note}");
    assert!(note.contains("\n\u{2014} zone.example/service "), "a signed note carries its signature line: {note}");

    let response = agent.get(format!("{base}/v1/chains/bogus/checkpoint")).call().unwrap();
    assert_eq!(response.status().as_u16(), 404);

    server.kill();
    let audit = Command::new(safebox_bin()).args(["audit", "--data"]).arg(&data).output().unwrap();
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stdout));
    assert!(String::from_utf8_lossy(&audit.stdout).contains("intact"));
}

#[test]
fn rotate_master_rewraps_boxes_and_retires_the_old_key() {
    use safebox_api::datadir::DataDir;
    use safebox_api::Node;
    use safebox_vault::{DocumentType, NewDocument};

    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (box_id, meta) = {
        let node = Node::init(DataDir::new(&data), "rotate.test").unwrap();
        let opened = node.open_box("370102199001011234", None).unwrap();
        let new = NewDocument {
            document_type: DocumentType::new("lease").unwrap(),
            name: "租赁合同.pdf".into(),
            media_type: "application/pdf".into(),
        };
        let meta = node.upload_document(opened.box_id, &new, &b"lease text"[..]).unwrap();
        (opened.box_id, meta)
    };
    let old_key = std::fs::read(data.join("keys/master.key")).unwrap();

    let out = Command::new(safebox_bin()).args(["keys", "rotate-master", "--data"]).arg(&data).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 box keys rewrapped"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_ne!(std::fs::read(data.join("keys/master.key")).unwrap(), old_key, "the master key file must change");
    assert!(!data.join("keys/master.key.new").exists());

    // The node reads the document under the new key…
    let node = Node::open(DataDir::new(&data)).unwrap();
    let mut text = Vec::new();
    node.read_own_document(box_id, meta.document, meta.version, &mut text).unwrap();
    assert_eq!(text, b"lease text");
    drop(node);

    // …and the old key unwraps nothing any more.
    std::fs::write(data.join("keys/master.key"), &old_key).unwrap();
    let node = Node::open(DataDir::new(&data)).unwrap();
    assert!(node.read_own_document(box_id, meta.document, meta.version, &mut Vec::new()).is_err());
}
