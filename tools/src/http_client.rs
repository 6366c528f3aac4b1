//! A small blocking HTTP/1.1 client for the remote demo, the HTTP benchmark
//! and the soak: one connection a request (`Connection: close`) or a
//! kept-alive connection, JSON or raw bodies, bearer tokens, chunked
//! responses. Plain
//! `http://` only: the demo talks to a node on a trusted network or through
//! a TLS-terminating proxy; pulling a TLS stack into the command for that
//! would add a C build to every fresh machine.

use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A node's base address.
pub struct Http {
    authority: String,
}

/// An answer: status and body.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON, or the problem document's detail as the error.
    pub fn json(self, what: &str) -> Result<serde_json::Value> {
        let value: serde_json::Value = serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null);
        if !(200..300).contains(&self.status) {
            bail!("{what}: HTTP {} {}", self.status, value.get("detail").and_then(|d| d.as_str()).unwrap_or(""));
        }
        Ok(value)
    }
}

impl Http {
    /// `http://host:port` (a trailing slash is allowed).
    pub fn new(url: &str) -> Result<Self> {
        let rest = url.strip_prefix("http://").context("the server address must start with http://")?;
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            bail!("the server address must be http://host:port, got {url}");
        }
        Ok(Http { authority: authority.to_owned() })
    }

    pub fn request(&self, method: &str, path: &str, token: Option<&str>, body: Option<(&str, &[u8])>) -> Result<Reply> {
        let mut stream =
            TcpStream::connect(&self.authority).with_context(|| format!("connecting to {}", self.authority))?;
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        let (head, bytes) = request_head(&self.authority, method, path, true, token, body);
        stream.write_all(head.as_bytes())?;
        stream.write_all(bytes)?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).with_context(|| format!("reading the answer to {method} {path}"))?;
        parse(&raw).with_context(|| format!("the answer to {method} {path}"))
    }

    pub fn json(&self, method: &str, path: &str, token: Option<&str>, body: &serde_json::Value) -> Result<Reply> {
        let bytes = serde_json::to_vec(body)?;
        self.request(method, path, token, Some(("application/json", &bytes)))
    }
}

fn parse(raw: &[u8]) -> Result<Reply> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").context("no end of headers")?;
    let head = std::str::from_utf8(&raw[..split]).context("headers are not text")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().context("no status line")?;
    let status = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).context("no status code")?;
    let chunked = lines.any(|l| {
        l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.to_ascii_lowercase().contains("chunked")
    });
    let body = &raw[split + 4..];
    let body = if chunked { dechunk(body)? } else { body.to_vec() };
    Ok(Reply { status, body })
}

fn dechunk(mut body: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n").context("chunk size line")?;
        let size_text = std::str::from_utf8(&body[..line_end])?.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).context("chunk size")?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if body.len() < size + 2 {
            bail!("the body ends inside a chunk");
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

/// One kept-alive connection: requests go one after the other on it, as a
/// client with a connection pool sends them.
pub struct Connection {
    reader: BufReader<TcpStream>,
    authority: String,
}

impl Connection {
    pub fn open(authority: &str) -> Result<Self> {
        let stream = TcpStream::connect(authority).with_context(|| format!("connecting to {authority}"))?;
        stream.set_nodelay(true)?;
        Ok(Connection { reader: BufReader::new(stream), authority: authority.to_owned() })
    }

    /// POSTs a JSON body and reads the answer.
    pub fn post_json(&mut self, path: &str, body: &[u8]) -> Result<Reply> {
        self.request("POST", path, None, Some(("application/json", body)))
    }

    /// Sends one request on the connection and reads the whole answer,
    /// whose length the server states (`Content-Length`) or which comes in
    /// chunks (a streamed download).
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, &[u8])>,
    ) -> Result<Reply> {
        let (head, bytes) = request_head(&self.authority, method, path, false, token, body);
        let stream = self.reader.get_mut();
        stream.write_all(head.as_bytes())?;
        stream.write_all(bytes)?;
        let mut status_line = String::new();
        if self.reader.read_line(&mut status_line)? == 0 {
            bail!("the server closed the connection");
        }
        let status = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).context("no status code")?;
        let (mut length, mut chunked) = (None, false);
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = value.to_ascii_lowercase().contains("chunked");
                }
            }
        }
        let body = match (chunked, length) {
            (true, _) => self.read_chunks()?,
            (false, Some(length)) => {
                let mut body = vec![0; length];
                self.reader.read_exact(&mut body)?;
                body
            }
            (false, None) => bail!("the answer states neither Content-Length nor chunks"),
        };
        Ok(Reply { status, body })
    }

    fn read_chunks(&mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line)?;
            let size_text = line.trim_end().split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_text, 16).context("chunk size")?;
            if size == 0 {
                // Trailers, then the empty line that ends the message.
                loop {
                    let mut trailer = String::new();
                    self.reader.read_line(&mut trailer)?;
                    if trailer.trim_end().is_empty() {
                        return Ok(out);
                    }
                }
            }
            let start = out.len();
            out.resize(start + size, 0);
            self.reader.read_exact(&mut out[start..])?;
            let mut crlf = [0u8; 2];
            self.reader.read_exact(&mut crlf)?;
        }
    }
}

/// A request's head (request line and headers, ending with the blank line)
/// and the body to send after it; `close` asks the server to close the
/// connection after answering.
fn request_head<'b>(
    authority: &str,
    method: &str,
    path: &str,
    close: bool,
    token: Option<&str>,
    body: Option<(&str, &'b [u8])>,
) -> (String, &'b [u8]) {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\n");
    if close {
        head.push_str("Connection: close\r\n");
    }
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    let bytes = match body {
        Some((content_type, bytes)) => {
            head.push_str(&format!("Content-Type: {content_type}\r\n"));
            bytes
        }
        None => &[],
    };
    head.push_str(&format!("Content-Length: {}\r\n\r\n", bytes.len()));
    (head, bytes)
}
