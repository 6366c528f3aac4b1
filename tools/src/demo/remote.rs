//! The demo's backend over the HTTP API: the admin's token registers the
//! agencies and opens the box, each agency acts with a token of its own,
//! the applicant with the token her box came with.

use super::{Applied, Backend, Material, Provided, Totals, Upload};
use crate::http_client::Http;
use anyhow::{bail, Context, Result};
use base64::prelude::*;
use safebox_api::catalog::Catalog;
use safebox_chain::{AgencyCode, MatterCode};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

pub struct Remote {
    http: Http,
    server: String,
    admin: String,
    agencies: BTreeMap<AgencyCode, String>,
    /// The box and its applicant token.
    applicant: Option<(String, String)>,
}

impl Remote {
    pub fn new(server: &str, admin_token: &str) -> Result<Self> {
        Ok(Remote {
            http: Http::new(server)?,
            server: server.trim_end_matches('/').to_owned(),
            admin: admin_token.to_owned(),
            agencies: BTreeMap::new(),
            applicant: None,
        })
    }

    fn applicant(&self) -> Result<(&str, &str)> {
        self.applicant.as_ref().map(|(b, t)| (b.as_str(), t.as_str())).context("the box is not open yet")
    }

    /// A token for `agency`, issued by the admin the first time.
    fn agency_token(&mut self, agency: &AgencyCode) -> Result<String> {
        if let Some(token) = self.agencies.get(agency) {
            return Ok(token.clone());
        }
        let body = json!({ "principal": { "kind": "agency", "agency": agency }, "label": "safebox demo" });
        let issued = self.http.json("POST", "/v1/tokens", Some(&self.admin), &body)?.json("issuing an agency token")?;
        let token = issued["token"].as_str().context("no token in the answer")?.to_owned();
        self.agencies.insert(agency.clone(), token.clone());
        Ok(token)
    }
}

fn text(value: &Value, field: &str) -> Result<String> {
    value[field].as_str().map(str::to_owned).with_context(|| format!("no {field} in the answer"))
}

fn number(value: &Value, field: &str) -> Result<u64> {
    value[field].as_u64().with_context(|| format!("no {field} in the answer"))
}

fn materials(value: &Value) -> Result<Vec<Material>> {
    let list = value.as_array().context("materials are not a list")?;
    list.iter()
        .map(|m| {
            let name = text(m, "name")?;
            let provided = match m["provided"].as_str() {
                Some("held_license") => Provided::HeldLicense(text(m, "license")?),
                Some("stored_document") => Provided::StoredDocument(text(m, "document_type")?),
                Some("submitted") => Provided::Submitted(text(m, "document_type")?),
                Some("missing") => Provided::Missing(text(m, "document_type")?),
                other => bail!("unknown provision {other:?}"),
            };
            Ok(Material { name, provided })
        })
        .collect()
}

/// Percent-encodes a query value.
fn query(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Backend for Remote {
    fn catalog(&mut self) -> Result<Catalog> {
        let reply = self.http.request("GET", "/v1/catalog", None, None)?;
        if reply.status != 200 {
            bail!("reading the catalog: HTTP {}", reply.status);
        }
        Ok(Catalog::from_json(&reply.body)?)
    }

    fn ensure_agency(&mut self, agency: &AgencyCode, name: &str) -> Result<Option<u64>> {
        let reply =
            self.http.json("POST", "/v1/agencies", Some(&self.admin), &json!({ "code": agency, "name": name }))?;
        if reply.status == 409 {
            return Ok(None);
        }
        Ok(Some(number(&reply.json("registering an agency")?, "index")?))
    }

    fn open_box(&mut self, applicant_code: &str) -> Result<(String, u64)> {
        let body = json!({ "applicant_code": applicant_code });
        let opened = self.http.json("POST", "/v1/boxes", Some(&self.admin), &body)?.json("opening a box")?;
        let box_id = text(&opened, "box")?;
        self.applicant = Some((box_id.clone(), text(&opened, "token")?));
        Ok((box_id, number(&opened, "index")?))
    }

    fn upload(&mut self, upload: Upload) -> Result<()> {
        let (box_id, token) = self.applicant()?;
        let path =
            format!("/v1/boxes/{box_id}/documents?type={}&name={}", query(&upload.document_type), query(&upload.name));
        self.http
            .request("POST", &path, Some(token), Some((&upload.media_type, &upload.content)))?
            .json("uploading")?;
        Ok(())
    }

    fn plan(&mut self, matter: &MatterCode) -> Result<Vec<Material>> {
        let (box_id, token) = self.applicant()?;
        let plan = self.http.request("GET", &format!("/v1/boxes/{box_id}/plans/{matter}"), Some(token), None)?;
        materials(&plan.json("planning")?)
    }

    fn apply(&mut self, matter: &MatterCode, submissions: Vec<Upload>) -> Result<Applied> {
        let (box_id, token) = self.applicant()?;
        let submissions: Vec<Value> = submissions
            .into_iter()
            .map(|u| {
                json!({ "document_type": u.document_type, "name": u.name, "media_type": u.media_type,
                        "content": BASE64_STANDARD.encode(&u.content) })
            })
            .collect();
        let body = json!({ "matter": matter, "submissions": submissions });
        let report = self
            .http
            .json("POST", &format!("/v1/boxes/{box_id}/applications"), Some(token), &body)?
            .json("applying")?;
        Ok(Applied {
            application: text(&report, "application")?,
            materials: materials(&report["materials"])?,
            required: number(&report, "required")?,
            reused: number(&report, "reused")?,
            submitted: number(&report, "submitted")?,
        })
    }

    fn review(&mut self, agency: &AgencyCode, application: &str) -> Result<(usize, bool)> {
        let token = self.agency_token(agency)?;
        let path = format!("/v1/applications/{application}/review");
        let review = self.http.request("POST", &path, Some(&token), None)?.json("reviewing")?;
        let read = review["documents"].as_array().map_or(0, Vec::len);
        let valid = review["licenses"].as_array().is_some_and(|l| {
            l.iter()
                .all(|pair| pair[1]["checks"].as_array().is_some_and(|c| c.iter().all(|c| c["outcome"] == "passed")))
        });
        Ok((read, valid))
    }

    fn approve(
        &mut self,
        agency: &AgencyCode,
        application: &str,
        holder_name: &str,
        holder_code: &AgencyCode,
        jurisdiction: &str,
    ) -> Result<Option<(String, u64)>> {
        let token = self.agency_token(agency)?;
        let body = json!({
            "decision": "approve",
            "holder_name": holder_name,
            "holder_code": { "type": "001", "code": holder_code },
            "jurisdiction_code": jurisdiction,
        });
        let path = format!("/v1/applications/{application}/decision");
        let decided = self.http.json("POST", &path, Some(&token), &body)?.json("deciding")?;
        let Some(license) = decided.get("license").filter(|l| !l.is_null()) else {
            return Ok(None);
        };
        let id = text(license, "id")?;
        let identifier = id.strip_prefix("urn:gbt36904:").unwrap_or(&id).to_owned();
        let record =
            self.http.request("GET", &format!("/v1/licenses/{identifier}"), None, None)?.json("reading the license")?;
        Ok(Some((identifier, number(&record, "issued_at")?)))
    }

    fn totals(&mut self) -> Result<Totals> {
        let t = self.http.request("GET", "/v1/applications/totals", None, None)?.json("reading the totals")?;
        Ok(Totals {
            applications: number(&t, "applications")?,
            required: number(&t, "required")?,
            reused: number(&t, "reused")?,
            submitted: number(&t, "submitted")?,
            reduction_percent: t["reduction_percent"].as_f64().context("no reduction_percent")?,
        })
    }

    fn bundles(&mut self) -> Result<Vec<(String, Vec<u8>)>> {
        let (box_id, token) = self.applicant()?;
        let bundles = self
            .http
            .request("GET", &format!("/v1/boxes/{box_id}/bundles"), Some(token), None)?
            .json("exporting bundles")?;
        bundles
            .as_array()
            .context("bundles are not a list")?
            .iter()
            .map(|b| {
                let id = b["credential"]["id"].as_str().context("a bundle without a credential id")?;
                Ok((id.strip_prefix("urn:gbt36904:").unwrap_or(id).to_owned(), serde_json::to_vec(b)?))
            })
            .collect()
    }

    fn applicant_token(&mut self) -> Result<String> {
        Ok(self.applicant()?.1.to_owned())
    }

    fn epilogue(&self, bundles_dir: Option<&Path>) {
        if let Some(dir) = bundles_dir {
            println!("verify one offline:  safebox license verify {}/<identifier>.json", dir.display());
        }
        println!("the verify page:     {}/verify", self.server);
    }
}
