// The node's web page: verifies an e-license through POST /v1/licenses/verify
// (pasted, uploaded, or passed in the URL fragment), shows a license's
// on-chain record for the QR code's /verify?license=<id> link, and an
// applicant's box (licenses, documents, access log) after signing in with a
// token. Plain DOM, no dependencies. Untrusted text (credentials, problem
// details) only ever goes in through textContent, never innerHTML.
"use strict";

const TOKEN_KEY = "safebox.token";
const $ = (id) => document.getElementById(id);

// ---- building the DOM ----------------------------------------------------

// el("li", {"data-check": "status"}, child, "text", ...): an element with
// attributes and children (strings become text nodes).
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== null && v !== undefined) node.setAttribute(k, v);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

// Chinese and English side by side; the language switch hides one by CSS.
function bi(zh, en) {
  return [el("span", { class: "zh" }, zh), " ", el("span", { class: "en" }, en)];
}

function show(problemId, message) {
  const p = $(problemId);
  p.hidden = !message;
  p.textContent = message || "";
}

// Dates and times as the licenses mean them: Beijing time (UTC+8, no
// daylight saving), whatever the reader's own time zone.
const BEIJING = 8 * 3600 * 1000;
const pad = (n) => String(n).padStart(2, "0");

function date(ms) {
  if (ms === null || ms === undefined) return "—";
  const d = new Date(ms + BEIJING);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function time(ms) {
  const d = new Date(ms + BEIJING);
  return `${date(ms)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

// ---- talking to the node -------------------------------------------------

// Fetches JSON from the node. Any failure throws an Error whose message is
// what a person should read: the problem document's detail when the node
// answered with one (RFC 9457), otherwise what went wrong on the way.
async function api(path, options = {}) {
  const headers = Object.assign({ accept: "application/json" }, options.headers || {});
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let response;
  try {
    response = await fetch(path, { method: options.method || "GET", headers, body: options.body });
  } catch (e) {
    throw new Error(`无法连接节点 Cannot reach the node: ${e.message}`);
  }
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch (_) {
    // Not JSON: reported below if the status is an error.
  }
  if (!response.ok) {
    const detail = body && (body.detail || body.title);
    throw new Error(detail || `HTTP ${response.status} ${text.slice(0, 200)}`);
  }
  return body;
}

// For a fetch the view can do without: its error is still shown (in the
// section's problem line), and the view goes on with `fallback`.
function orReport(promise, problemId, fallback) {
  return promise.catch((e) => {
    show(problemId, e.message);
    return fallback;
  });
}

// ---- verification --------------------------------------------------------

const CHECK_NAMES = {
  signature: ["签名", "Signature"],
  issuer_key: ["签发机构密钥", "Issuer's key"],
  on_chain: ["证照链记录", "On the license chain"],
  status: ["状态", "Status"],
  validity: ["有效期", "Validity period"],
};

// What each outcome means, in plain words; the node's own text follows it.
const PLAIN = {
  signature: {
    passed: ["签名有效：证照自签发后未被改动。", "The signature holds: nothing was changed since the license was signed."],
    failed: ["签名无效：证照内容被改动过，或并非由其所称的机构签发。", "The signature does not hold: the license was altered, or was not signed by whom it names."],
  },
  issuer_key: {
    passed: ["签名密钥属于发证机构，且签发时有效。", "The signing key is the issuing agency's, and was active when the license was issued."],
    failed: ["签名密钥不属于发证机构，或签发时已停用。", "The signing key is not the issuing agency's, or was not active when the license was issued."],
  },
  on_chain: {
    passed: ["证照链记录了这份证照的签发。", "The license chain records the issuance of this very license."],
    failed: ["证照链上没有这份证照的签发记录（或记录的是另一份）。", "The license chain has no record of issuing this license (or records a different one)."],
  },
  status: {
    passed: ["发证机构未暂扣、吊销或注销该证照。", "The issuing agency has not suspended, revoked or cancelled it."],
    failed: ["发证机构已改变该证照的状态，它不再有效。", "The issuing agency changed its status: it is no longer in force."],
  },
  validity: {
    passed: ["当前处于有效期内。", "Today is within its period of validity."],
    failed: ["不在有效期内（尚未生效或已过期）。", "Outside its period of validity (not yet in force, or expired)."],
  },
};
// A check's name in both languages (a name this page does not know yet is
// shown as the node sends it).
const checkName = (name) => CHECK_NAMES[name] || [name, name];
const NOT_CHECKED = ["未检查：它所依赖的检查没有通过。", "Not checked: a check it rests on did not pass."];
const OUTCOMES = {
  passed: ["通过", "passed"],
  failed: ["未通过", "failed"],
  not_checked: ["未检查", "not checked"],
};
const STATUSES = {
  valid: ["有效", "VALID"],
  suspended: ["已暂扣", "SUSPENDED"],
  revoked: ["已吊销", "REVOKED"],
  cancelled: ["已注销", "CANCELLED"],
};

// The status a failed `status` check names: its reason starts with the
// status word ("revoked (吊销) at license-chain index …").
function failedStatus(check) {
  const word = (check.reason || "").split(" ")[0];
  return STATUSES[word] && word !== "valid" ? word : null;
}

// Verifies `text` (a credential or a proof bundle, as JSON) and shows the
// verdict. The node parses it: a malformed paste comes back as a problem
// document whose detail is shown like any other error.
async function verify(text) {
  show("verify-problem", null);
  if (!text.trim()) {
    show("verify-problem", "请先粘贴或上传证照。 Paste or upload a license first.");
    return;
  }
  $("result").replaceChildren(el("p", { class: "pending" }, bi("核验中…", "Verifying…")));
  try {
    const answer = await api("/v1/licenses/verify", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: text,
    });
    let record = null;
    const status = answer.verdict.checks.find((c) => c.name === "status");
    if (answer.mode === "online" && status && status.outcome === "failed" && answer.verdict.license) {
      // The agency's reason, exactly as it recorded it on the chain.
      record = await orReport(api(`/v1/licenses/${encodeURIComponent(answer.verdict.license)}`), "verify-problem", null);
    }
    $("result").replaceChildren(renderVerdict(answer, record, presented(text)));
  } catch (e) {
    $("result").replaceChildren();
    show("verify-problem", e.message);
  }
}

// What the credential says of itself, to tell the reader which license the
// verdict is about (trusted only as far as the verdict goes).
function presented(text) {
  try {
    const doc = JSON.parse(text);
    const vc = doc.format && doc.credential ? doc.credential : doc;
    const s = (vc && vc.credentialSubject) || {};
    return { name: s.licenseName, holder: s.holderName, agency: s.issuingAgency };
  } catch (_) {
    return {};
  }
}

function renderVerdict(answer, record, shown) {
  const verdict = answer.verdict;
  const valid = verdict.checks.length > 0 && verdict.checks.every((c) => c.outcome === "passed");
  const failed = verdict.checks.find((c) => c.outcome === "failed");
  const status = verdict.checks.find((c) => c.name === "status" && c.outcome === "failed");
  const changed = status ? failedStatus(status) : null;

  let headline;
  if (valid) headline = bi("有效", "VALID");
  else if (changed) headline = bi(...STATUSES[changed]);
  else headline = bi("无效", "INVALID");

  const box = el(
    "div",
    {
      id: "verdict",
      class: valid ? "verdict valid" : "verdict invalid",
      "data-valid": String(valid),
      "data-failed": failed ? failed.name : "",
      "data-status": changed || (valid ? "valid" : null),
      "data-license": verdict.license,
      "data-mode": answer.mode,
    },
    el("p", { class: "headline" }, headline),
  );
  if (failed) {
    box.append(el("p", { class: "failed-check" }, bi("未通过的检查：", "Failed check: "), bi(...checkName(failed.name))));
  }
  if (changed) {
    const reason = record && record.reason;
    box.append(
      el(
        "p",
        { class: "agency-reason" },
        bi("发证机构给出的理由：", "The issuing agency's reason: "),
        el("q", { id: "status-reason" }, reason || status.reason),
      ),
    );
  }
  if (verdict.license) box.append(el("p", { class: "license-id" }, bi("证照标识 ", "Identifier "), el("code", {}, verdict.license)));
  if (shown.name || shown.holder) {
    box.append(el("p", { class: "presented" }, bi("所出示证照：", "As presented: "), [shown.name, shown.holder, shown.agency].filter(Boolean).join(" · ")));
  }
  box.append(el("p", { class: "basis" }, basisText(answer)));

  const list = el("ul", { id: "checks" });
  for (const check of verdict.checks) {
    const plain = check.outcome === "not_checked" ? NOT_CHECKED : (PLAIN[check.name] || {})[check.outcome];
    list.append(
      el(
        "li",
        { "data-check": check.name, "data-outcome": check.outcome, class: check.outcome },
        el("span", { class: "check-name" }, bi(...checkName(check.name))),
        " ",
        el("span", { class: "outcome" }, bi(...(OUTCOMES[check.outcome] || [check.outcome, check.outcome]))),
        plain ? el("p", { class: "plain" }, bi(...plain)) : null,
        el("p", { class: "detail" }, check.detail || check.reason || check.why || ""),
      ),
    );
  }
  return el("div", {}, box, list);
}

function basisText(answer) {
  const basis = answer.verdict.basis || {};
  if (answer.mode === "online") return bi("依据：本节点的链上状态（在线核验）。", "Basis: this node's chains (online).");
  if (basis.kind === "trusted_key") return bi(`依据：离线核验包，经本节点密钥 ${basis.key} 核验。`, `Basis: an offline bundle, checked with this node's key ${basis.key}.`);
  return bi(`依据：离线核验包自带的节点密钥 ${basis.key || ""}（未独立确认）。`, `Basis: the node key the bundle names, ${basis.key || ""} (not independently trusted).`);
}

// ---- a license by its identifier (the QR code's link) --------------------

async function showRecord(license) {
  show("verify-problem", null);
  $("result").replaceChildren(el("p", { class: "pending" }, bi("查询中…", "Looking it up…")));
  try {
    const [record, agencies] = await Promise.all([
      api(`/v1/licenses/${encodeURIComponent(license)}`),
      orReport(api("/v1/agencies"), "verify-problem", []),
    ]);
    $("result").replaceChildren(renderRecord(license, record, agencyNames(agencies)));
  } catch (e) {
    $("result").replaceChildren();
    show("verify-problem", e.message);
  }
}

function renderRecord(license, record, names) {
  const issued = record.issued;
  const now = Date.now();
  const inWindow = now >= issued.valid_from && (issued.valid_until === null || now < issued.valid_until);
  const good = record.status === "valid" && inWindow;
  const [zh, en] = STATUSES[record.status] || [record.status, record.status];
  const box = el(
    "div",
    {
      id: "record",
      class: good ? "verdict valid" : "verdict invalid",
      "data-license": license,
      "data-status": record.status,
      "data-in-window": String(inWindow),
    },
    el("p", { class: "headline" }, bi(`链上状态：${zh}`, `On-chain status: ${en}`)),
  );
  if (!inWindow) box.append(el("p", { class: "failed-check" }, bi("不在有效期内。", "Outside its period of validity.")));
  if (record.reason) {
    box.append(el("p", { class: "agency-reason" }, bi("发证机构给出的理由：", "The issuing agency's reason: "), el("q", { id: "status-reason" }, record.reason)));
  }
  const rows = [
    [["证照标识", "Identifier"], el("code", {}, license)],
    [["发证机构", "Issuing agency"], `${names[issued.agency] || ""} ${issued.agency}`.trim()],
    [["证照类型代码", "License type code"], issued.license_type],
    [["有效期", "Valid"], [`${date(issued.valid_from)} — `, issued.valid_until === null ? bi("长期", "no end") : date(issued.valid_until)]],
    [["签发记录", "Issued"], `${time(record.issued_time)} · license chain #${record.issued_at}`],
  ];
  if (record.changed_at !== null && record.changed_at !== undefined) rows.push([["状态变更", "Status changed"], `license chain #${record.changed_at}`]);
  if (record.renewed_by) rows.push([["已换发为", "Renewed by"], el("code", {}, record.renewed_by)]);
  box.append(el("dl", {}, rows.map(([label, value]) => [el("dt", {}, bi(...label)), el("dd", {}, value)])));
  box.append(
    el(
      "p",
      { class: "hint" },
      bi(
        "仅凭标识只能查到链上状态；要核验签名，请在上方粘贴或上传证照文件。",
        "An identifier alone shows the chain's record; to check the signature, paste or upload the license above.",
      ),
    ),
  );
  return box;
}

function agencyNames(agencies) {
  const names = {};
  for (const a of agencies || []) names[a.code] = a.name;
  return names;
}

// ---- the applicant's box -------------------------------------------------

async function signIn(token) {
  show("box-problem", null);
  try {
    let me;
    try {
      me = await api("/v1/me", { token });
      if (me.kind !== "applicant") {
        throw new Error(`这不是申请人令牌（${me.kind}） This is not an applicant's token (${me.kind})`);
      }
    } catch (e) {
      // A token that does not sign in is not kept for the next load.
      sessionStorage.removeItem(TOKEN_KEY);
      throw e;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    $("signin").hidden = true;
    $("signed-in").hidden = false;
    $("box-id").textContent = me.box;
    await loadBox(token, me.box);
  } catch (e) {
    show("box-problem", e.message);
  }
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  $("signin").hidden = false;
  $("signed-in").hidden = true;
  $("box").replaceChildren();
  show("box-problem", null);
}

async function loadBox(token, box) {
  const path = `/v1/boxes/${encodeURIComponent(box)}`;
  const [licenses, documents, log, agencies, totals] = await Promise.all([
    api(`${path}/licenses`, { token }),
    api(`${path}/documents`, { token }),
    api(`${path}/access-log`, { token }),
    api("/v1/agencies"),
    orReport(api("/v1/applications/totals"), "box-problem", null),
  ]);
  const names = agencyNames(agencies);
  const docNames = {};
  for (const d of documents) docNames[d.document] = d.name;
  $("box").replaceChildren(
    renderLicenses(licenses),
    renderDocuments(documents),
    renderAccessLog(log, names, docNames),
    totals ? renderTotals(totals) : "",
  );
}

function renderLicenses(licenses) {
  const list = el("ul", { id: "licenses" });
  for (const vc of licenses) {
    const s = vc.credentialSubject || {};
    const id = String(vc.id || "").replace(/^urn:gbt36904:/, "");
    const button = el("button", { type: "button", class: "verify-license" }, bi("核验", "Verify"));
    button.addEventListener("click", () => {
      const text = JSON.stringify(vc, null, 2);
      $("credential").value = text;
      $("verify-section").scrollIntoView();
      verify(text);
    });
    list.append(
      el(
        "li",
        { "data-license": id },
        el("strong", {}, s.licenseName || id),
        " ",
        button,
        " ",
        el("a", { href: `/v1/licenses/${encodeURIComponent(id)}/qr.svg`, target: "_blank" }, bi("二维码", "QR code")),
        el("p", {}, [s.holderName, s.issuingAgency].filter(Boolean).join(" · "), ` · ${s.validityStart || ""} — `, s.validityEnd || bi("长期", "no end")),
        el("p", {}, el("code", {}, id)),
      ),
    );
  }
  return el("div", {}, el("h3", {}, bi(`我的证照（${licenses.length}）`, `My licenses (${licenses.length})`)), list);
}

function renderDocuments(documents) {
  const rows = documents.map((d) =>
    el("tr", { "data-document": d.document }, el("td", {}, d.name), el("td", {}, d.document_type), el("td", {}, String(d.version)), el("td", {}, `${d.size} B`), el("td", {}, time(d.uploaded_ms))),
  );
  return el(
    "div",
    {},
    el("h3", {}, bi(`我的材料（${documents.length}）`, `My documents (${documents.length})`)),
    el("div", { class: "table-wrap" }, el("table", { id: "documents" }, el("tr", {}, header(["名称", "Name"], ["类型", "Type"], ["版本", "Version"], ["大小", "Size"], ["上传（北京时间）", "Uploaded (UTC+8)"])), rows)),
  );
}

function renderAccessLog(log, names, docNames) {
  // Newest first: the reader wants to know who looked most recently.
  const uses = [...log.uses].sort((a, b) => b.time - a.time);
  const rows = uses.map((u) =>
    el(
      "tr",
      { "data-use": String(u.index), "data-agency": u.agency },
      el("td", {}, time(u.time)),
      el("td", {}, names[u.agency] || u.agency),
      el("td", {}, docNames[u.document] || u.document),
      el("td", {}, u.matter),
      el("td", {}, u.purpose),
    ),
  );
  return el(
    "div",
    {},
    el("h3", {}, bi(`谁用了我的材料（${uses.length}）`, `Who used my documents (${uses.length})`)),
    el(
      "p",
      { class: "hint" },
      bi("每次使用都先记入服务链，再读取材料；下列记录均附有链上包含证明。", "Every use is recorded on the service chain before the document is read; each row below comes with its inclusion proof."),
    ),
    el("div", { class: "table-wrap" }, el("table", { id: "access-log" }, el("tr", {}, header(["时间（北京时间）", "When (UTC+8)"], ["部门", "Agency"], ["材料", "Document"], ["事项", "Matter"], ["用途", "Purpose"])), rows)),
  );
}

function renderTotals(t) {
  return el(
    "p",
    { id: "totals", class: "hint" },
    bi(
      `本节点累计 ${t.applications} 件办件：需材料 ${t.required} 份，复用 ${t.reused} 份，新交 ${t.submitted} 份，少交 ${t.reduction_percent.toFixed(1)}%。`,
      `This node: ${t.applications} applications, ${t.required} materials required, ${t.reused} reused, ${t.submitted} submitted (${t.reduction_percent.toFixed(1)}% fewer).`,
    ),
  );
}

function header(...labels) {
  return labels.map((l) => el("th", {}, bi(...l)));
}

// ---- the URL: language, ?license=, #credential= / #bundle= / #token= -----

// base64url (RFC 4648 §5, padding optional) to a UTF-8 string.
function fromBase64url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(b64 + "===".slice((b64.length + 3) % 4));
  return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

function setLanguage(params) {
  const lang = ["zh", "en", "both"].includes(params.get("lang")) ? params.get("lang") : "both";
  document.documentElement.dataset.lang = lang;
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  // Each switch link keeps the rest of the address (the license asked for).
  for (const a of document.querySelectorAll("#languages a")) {
    const next = new URLSearchParams(params);
    next.set("lang", a.dataset.lang);
    a.href = `?${next}`;
    a.classList.toggle("current", a.dataset.lang === lang);
  }
}

// The fragment never reaches the node's logs, which is why links carry a
// credential (or a sign-in token) there and not in the query.
function fromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get("token");
  if (token) {
    // A sign-in link: keep the token in this tab only, and take it out of
    // the address bar and history at once.
    sessionStorage.setItem(TOKEN_KEY, token);
    fragment.delete("token");
    const rest = fragment.toString();
    history.replaceState(null, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
  }
  const encoded = fragment.get("credential") || fragment.get("bundle");
  if (!encoded) return false;
  let text;
  try {
    text = fromBase64url(encoded);
  } catch (e) {
    show("verify-problem", `链接中的证照无法解码 The license in the link cannot be decoded: ${e.message}`);
    return true;
  }
  $("credential").value = text;
  verify(text);
  return true;
}

function start() {
  const params = new URLSearchParams(location.search);
  setLanguage(params);
  $("verify-button").addEventListener("click", () => verify($("credential").value));
  $("file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    const text = await file.text();
    $("credential").value = text;
    verify(text);
  });
  $("signin").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("token").value.trim();
    $("token").value = "";
    if (token) signIn(token);
  });
  $("signout").addEventListener("click", signOut);
  window.addEventListener("hashchange", () => {
    fromFragment();
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token && $("signed-in").hidden) signIn(token);
  });

  if (!fromFragment() && params.get("license")) showRecord(params.get("license"));
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) signIn(token);
}

start();
