//! The node's web page end to end in headless Chromium: `safebox demo`
//! fills a node, `safebox serve` serves it on an ephemeral port, an agency
//! revokes one license over HTTP, and Chromium loads the page for a valid,
//! a revoked and a tampered credential (passed in the URL fragment, as a
//! link would), a proof bundle, the QR code's `/verify?license=<id>` link,
//! a malformed paste, and the applicant's own box. Each run's DOM is dumped
//! after the page's fetches settle (`--virtual-time-budget` holds virtual
//! time while requests are pending), and the test reads the machine hooks
//! (`data-*` attributes) and the text a person would read.
//!
//! Chromium is required: `scripts/setup` installs it. When it cannot be
//! found the test fails and says so, rather than passing without looking.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use safebox_tests::{safebox_bin, Served};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The agency that issues business licenses in the demo's catalog.
const MARKET_REGULATION: &str = "11370100MB28559107";
const REASON: &str = "虚假登记";
const CHECKS: [&str; 5] = ["signature", "issuer_key", "on_chain", "status", "validity"];

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// A request's status and body (JSON, or the text as a JSON string).
fn call(request: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
    let mut response = request.unwrap();
    let text = response.body_mut().read_to_string().unwrap();
    (response.status().as_u16(), serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn get(base: &str, path: &str, token: &str) -> Value {
    let (status, body) =
        call(agent().get(format!("{base}{path}")).header("authorization", format!("Bearer {token}")).call());
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

fn post(base: &str, path: &str, token: Option<&str>, body: &[u8]) -> (u16, Value) {
    let mut request = agent().post(format!("{base}{path}")).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    call(request.send(body))
}

fn after<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(prefix))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in:\n{text}"))
}

/// Chromium on the PATH (Debian names it `chromium`, others
/// `chromium-browser`).
fn chromium() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    ["chromium", "chromium-browser"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "Chromium is not installed (neither `chromium` nor `chromium-browser` is on the PATH): \
                 the web page's end-to-end test needs it; run scripts/setup to install it"
            )
        })
}

/// Loads `url` in headless Chromium (a fresh profile each time) and returns
/// the DOM once the page's fetches and timers have run.
fn dump_dom(browser: &Path, profiles: &Path, url: &str) -> String {
    let profile = tempfile::tempdir_in(profiles).unwrap();
    let out = tempfile::NamedTempFile::new().unwrap();
    let err = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(browser)
        .args(["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"])
        .args(["--virtual-time-budget=10000", "--dump-dom"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .stdin(Stdio::null())
        .stdout(out.reopen().unwrap())
        .stderr(err.reopen().unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    // Virtual time ends the page's run; this only guards against a browser
    // that hangs outright.
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("Chromium did not finish loading {url} in 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let dom = std::fs::read_to_string(out.path()).unwrap();
    let stderr = std::fs::read_to_string(err.path()).unwrap_or_default();
    assert!(status.success() && dom.contains("</html>"), "Chromium failed on {url} ({status}):\n{stderr}\n{dom}");
    dom
}

/// The attributes of the first start tag that contains `needle` (such as
/// `id="verdict"`), as Chromium serialises them (`name="value"`).
fn attributes(dom: &str, needle: &str) -> BTreeMap<String, String> {
    let at = dom.find(needle).unwrap_or_else(|| panic!("no {needle} in the page:\n{dom}"));
    let start = dom[..at].rfind('<').unwrap();
    let end = at + dom[at..].find('>').unwrap();
    let mut attributes = BTreeMap::new();
    let mut rest = &dom[start..end];
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].rsplit(' ').next().unwrap().to_owned();
        let value_end = eq + 2 + rest[eq + 2..].find('"').unwrap();
        attributes.insert(name, unescape(&rest[eq + 2..value_end]));
        rest = &rest[value_end + 1..];
    }
    attributes
}

fn attribute(dom: &str, needle: &str, name: &str) -> String {
    let attributes = attributes(dom, needle);
    attributes.get(name).cloned().unwrap_or_else(|| panic!("the element with {needle} has no {name}: {attributes:?}"))
}

/// The text inside the first element whose start tag contains `needle`, up
/// to the first `</tag>` (the page never nests an element in one of its own
/// kind where the test looks), tags removed.
fn text(dom: &str, needle: &str, tag: &str) -> String {
    let at = dom.find(needle).unwrap_or_else(|| panic!("no {needle} in the page:\n{dom}"));
    let open_end = at + dom[at..].find('>').unwrap() + 1;
    let close = open_end + dom[open_end..].find(&format!("</{tag}>")).unwrap();
    let mut out = String::new();
    let mut in_tag = false;
    for c in dom[open_end..close].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    unescape(&out)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

fn fragment_link(base: &str, member: &str, json: &[u8]) -> String {
    format!("{base}/verify#{member}={}", URL_SAFE_NO_PAD.encode(json))
}

fn license_id(credential: &Value) -> String {
    credential["id"].as_str().unwrap().trim_start_matches("urn:gbt36904:").to_owned()
}

#[test]
fn the_page_shows_each_check_for_valid_revoked_and_tampered_licenses_and_the_applicants_box() {
    let browser = chromium();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let demo = Command::new(safebox_bin()).args(["demo", "--data"]).arg(&data).output().unwrap();
    let out = String::from_utf8_lossy(&demo.stdout).into_owned();
    assert!(demo.status.success(), "demo failed: {}\n{out}", String::from_utf8_lossy(&demo.stderr));
    let admin = after(&out, "admin token: ").to_owned();
    let applicant = after(&out, "her applicant token: ").to_owned();

    let server = Served::start(&data, &[]);
    let base = server.base.as_str();
    let me = get(base, "/v1/me", &applicant);
    let box_id = me["box"].as_str().unwrap().to_owned();
    let licenses = get(base, &format!("/v1/boxes/{box_id}/licenses"), &applicant);
    let licenses = licenses.as_array().unwrap();
    let issued_by_market_regulation = |yes: bool| {
        licenses
            .iter()
            .find(|l| (l["credentialSubject"]["issuingAgencyCode"] == MARKET_REGULATION) == yes)
            .unwrap()
            .clone()
    };
    // The business license is revoked below; another stays valid.
    let (business, valid) = (issued_by_market_regulation(true), issued_by_market_regulation(false));
    let bundles = get(base, &format!("/v1/boxes/{box_id}/bundles"), &applicant);
    let valid_bundle = bundles
        .as_array()
        .unwrap()
        .iter()
        .find(|b| license_id(&b["credential"]) == license_id(&valid))
        .expect("a bundle of the valid license")
        .clone();

    // The market regulator revokes the business license, with its reason.
    let (status, issued) = post(
        base,
        "/v1/tokens",
        Some(&admin),
        json!({"principal": {"kind": "agency", "agency": MARKET_REGULATION}, "label": "web page test"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(status, 201, "{issued}");
    let agency = issued["token"].as_str().unwrap();
    let revoked_id = license_id(&business);
    let (status, body) = post(
        base,
        &format!("/v1/licenses/{revoked_id}/status"),
        Some(agency),
        json!({"change": "revoke", "reason": REASON}).to_string().as_bytes(),
    );
    assert_eq!(status, 200, "{body}");

    let profiles = tmp.path().join("chromium");
    std::fs::create_dir(&profiles).unwrap();
    let page = |url: &str| dump_dom(&browser, &profiles, url);

    // 1. A valid license: every check passed, VALID.
    let dom = page(&fragment_link(base, "credential", valid.to_string().as_bytes()));
    assert_eq!(attribute(&dom, "id=\"verdict\"", "data-valid"), "true");
    assert_eq!(attribute(&dom, "id=\"verdict\"", "data-failed"), "");
    assert_eq!(attribute(&dom, "id=\"verdict\"", "data-license"), license_id(&valid));
    for check in CHECKS {
        assert_eq!(attribute(&dom, &format!("data-check=\"{check}\""), "data-outcome"), "passed", "{check}");
    }
    assert_eq!(text(&dom, "class=\"headline\"", "p"), "有效 VALID");
    let signature = text(&dom, "data-check=\"signature\"", "li");
    assert!(signature.contains("签名有效") && signature.contains("The signature holds"), "{signature}");
    assert!(signature.contains("eddsa-jcs-2022 proof"), "the node's own detail is shown: {signature}");

    // 2. The revoked license: REVOKED, the status check failed, and the
    // agency's reason in its words.
    let dom = page(&fragment_link(base, "credential", business.to_string().as_bytes()));
    assert_eq!(attribute(&dom, "id=\"verdict\"", "data-valid"), "false");
    assert_eq!(attribute(&dom, "id=\"verdict\"", "data-failed"), "status");
    assert_eq!(attribute(&dom, "id=\"verdict\"", "data-status"), "revoked");
    assert_eq!(attribute(&dom, "data-check=\"status\"", "data-outcome"), "failed");
    for check in ["signature", "issuer_key", "on_chain", "validity"] {
        assert_eq!(attribute(&dom, &format!("data-check=\"{check}\""), "data-outcome"), "passed", "{check}");
    }
    assert_eq!(text(&dom, "class=\"headline\"", "p"), "已吊销 REVOKED");
    assert_eq!(text(&dom, "id=\"status-reason\"", "q"), REASON);
    assert!(text(&dom, "class=\"failed-check\"", "p").contains("状态 Status"));
    let status = text(&dom, "data-check=\"status\"", "li");
    assert!(status.contains("revoked (吊销)") && status.contains(REASON), "{status}");

    // 3. A tampered credential: INVALID, and it is the signature that failed.
    let mut tampered = valid.clone();
    tampered["credentialSubject"]["holderName"] = json!("济南某某冒名有限公司");
    let dom = page(&fragment_link(base, "credential", tampered.to_string().as_bytes()));
    assert_eq!(attribute(&dom, "id=\"verdict\"", "data-valid"), "false");
    assert_eq!(attribute(&dom, "id=\"verdict\"", "data-failed"), "signature");
    assert_eq!(attribute(&dom, "data-check=\"signature\"", "data-outcome"), "failed");
    for check in ["issuer_key", "on_chain", "status", "validity"] {
        assert_eq!(attribute(&dom, &format!("data-check=\"{check}\""), "data-outcome"), "not_checked", "{check}");
    }
    assert_eq!(text(&dom, "class=\"headline\"", "p"), "无效 INVALID");
    assert!(text(&dom, "class=\"failed-check\"", "p").contains("签名 Signature"));
    let signature = text(&dom, "data-check=\"signature\"", "li");
    assert!(signature.contains("签名无效") && signature.contains("signature does not verify"), "{signature}");

    // 4. The QR code's link: the chain's record by identifier alone.
    let dom = page(&format!("{base}/verify?license={revoked_id}"));
    assert_eq!(attribute(&dom, "id=\"record\"", "data-status"), "revoked");
    assert_eq!(attribute(&dom, "id=\"record\"", "data-license"), revoked_id);
    assert_eq!(text(&dom, "class=\"headline\"", "p"), "链上状态：已吊销 On-chain status: REVOKED");
    assert_eq!(text(&dom, "id=\"status-reason\"", "q"), REASON);
    assert!(text(&dom, "id=\"record\"", "div").contains("paste or upload the license"));
    let dom = page(&format!("{base}/verify?license={}", license_id(&valid)));
    assert_eq!(attribute(&dom, "id=\"record\"", "data-status"), "valid");
    assert_eq!(attribute(&dom, "id=\"record\"", "data-in-window"), "true");
    assert_eq!(text(&dom, "class=\"headline\"", "p"), "链上状态：有效 On-chain status: VALID");

    // 5. A proof bundle in the fragment is checked against the node's key.
    let dom = page(&fragment_link(base, "bundle", valid_bundle.to_string().as_bytes()));
    assert_eq!(attribute(&dom, "id=\"verdict\"", "data-mode"), "bundle");
    assert_eq!(attribute(&dom, "id=\"verdict\"", "data-valid"), "true");

    // 6. Errors show the node's problem detail, word for word.
    let (status, problem) = post(base, "/v1/licenses/verify", None, b"not json");
    assert_eq!(status, 400);
    let dom = page(&fragment_link(base, "credential", b"not json"));
    assert_eq!(text(&dom, "id=\"verify-problem\"", "p"), problem["detail"].as_str().unwrap());
    assert!(!attributes(&dom, "id=\"verify-problem\"").contains_key("hidden"));

    // 7. The applicant signs in (a sign-in link: the token goes into the
    // tab's sessionStorage and out of the address) and sees her box.
    let log = get(base, &format!("/v1/boxes/{box_id}/access-log"), &applicant);
    let uses = log["uses"].as_array().unwrap();
    let documents = get(base, &format!("/v1/boxes/{box_id}/documents"), &applicant);
    let dom = page(&format!("{base}/#token={applicant}"));
    assert_eq!(text(&dom, "id=\"box-id\"", "code"), box_id);
    assert!(attributes(&dom, "id=\"box-problem\"").contains_key("hidden"), "no error: {dom}");
    for license in licenses {
        assert!(
            dom.contains(&format!("data-license=\"{}\"", license_id(license))),
            "{} is listed",
            license_id(license)
        );
    }
    assert_eq!(dom.matches("class=\"verify-license\"").count(), licenses.len());
    assert_eq!(dom.matches("data-document=").count(), documents.as_array().unwrap().len());
    assert_eq!(dom.matches("data-use=").count(), uses.len());
    let agencies = get(base, "/v1/agencies", &applicant);
    let first = &uses[0];
    let name = agencies.as_array().unwrap().iter().find(|a| a["code"] == first["agency"]).unwrap()["name"].clone();
    let row = text(&dom, &format!("data-use=\"{}\"", first["index"]), "tr");
    assert!(row.contains(name.as_str().unwrap()), "the agency is named, not only coded: {row}");
    assert!(
        row.contains(first["matter"].as_str().unwrap()) && row.contains(first["purpose"].as_str().unwrap()),
        "{row}"
    );
}
