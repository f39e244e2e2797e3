//! The opening handshake (RFC 6455 §4): an HTTP/1.1 Upgrade request and a 101 response.
//!
//! Server side: [`Request::parse`] reads the request head with `httparse` (`Ok(None)` = need more
//! bytes), [`validate_request`] applies RFC 6455 §4.2.1, [`response_101`] answers it and
//! [`error_response`] refuses it with 400 or 426 and the reason. Client side:
//! [`client_request`] builds a request and [`Response::parse`] + [`check_response`] verify the
//! server's answer, including `Sec-WebSocket-Accept` ([`accept_key`]).

use crate::deflate::{parse_extensions, ExtensionOffer};
use crate::error::HandshakeError;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use sha1::{Digest, Sha1};

/// The GUID RFC 6455 §1.3 appends to the key before hashing.
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Largest request or response head accepted: browsers send well under 2 KiB.
pub const MAX_HEAD_LEN: usize = 8192;

/// Most header lines accepted in one head.
pub const MAX_HEADERS: usize = 64;

/// `Sec-WebSocket-Accept` for a key: base64(sha1(key + GUID)) (RFC 6455 §4.2.2 item 5.4).
pub fn accept_key(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.as_bytes());
    sha.update(GUID.as_bytes());
    BASE64.encode(sha.finalize())
}

/// Header lines as (name, value) in order, values decoded lossily (header values are ASCII in
/// practice; a stray byte should not make the head unreadable).
pub type Headers = Vec<(String, String)>;

fn collect_headers(headers: &[httparse::Header<'_>]) -> Headers {
    headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).trim().to_owned(),
            )
        })
        .collect()
}

fn values<'a>(headers: &'a Headers, name: &str) -> std::vec::IntoIter<&'a str> {
    let found: Vec<&'a str> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect();
    found.into_iter()
}

/// Whether any comma-separated token of any `name` header equals `token`, ignoring case.
fn has_token(headers: &Headers, name: &str, token: &str) -> bool {
    values(headers, name)
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

fn http_error(e: httparse::Error) -> HandshakeError {
    HandshakeError::Http(e.to_string())
}

/// A parsed HTTP request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Request method, e.g. `GET`.
    pub method: String,
    /// Request target, e.g. `/chat`.
    pub path: String,
    /// Minor HTTP version: 1 for HTTP/1.1.
    pub version: u8,
    /// Header lines in order.
    pub headers: Headers,
}

impl Request {
    /// Parses a request head from the start of `buf`. Returns it with the head's length, or
    /// `Ok(None)` if the head is not complete yet. A head over [`MAX_HEAD_LEN`] is an error
    /// whether complete or not, so a slow client cannot make the server buffer without end.
    pub fn parse(buf: &[u8]) -> Result<Option<(Request, usize)>, HandshakeError> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(buf).map_err(http_error)? {
            httparse::Status::Complete(n) if n <= MAX_HEAD_LEN => Ok(Some((
                Request {
                    method: req.method.unwrap_or_default().to_owned(),
                    path: req.path.unwrap_or_default().to_owned(),
                    version: req.version.unwrap_or_default(),
                    headers: collect_headers(req.headers),
                },
                n,
            ))),
            _ if buf.len() >= MAX_HEAD_LEN => Err(HandshakeError::TooLarge(MAX_HEAD_LEN)),
            _ => Ok(None),
        }
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        values(&self.headers, name).next()
    }

    /// Whether the client asked to upgrade to WebSocket at all (`Upgrade: websocket`), to tell
    /// a page request from a failed handshake.
    pub fn wants_websocket(&self) -> bool {
        has_token(&self.headers, "upgrade", "websocket")
    }
}

/// What a valid upgrade request asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upgrade {
    /// The client's `Sec-WebSocket-Key`.
    pub key: String,
    /// The `Sec-WebSocket-Accept` value that answers it.
    pub accept: String,
    /// `Sec-WebSocket-Protocol` tokens offered, in order.
    pub protocols: Vec<String>,
    /// `Sec-WebSocket-Extensions` offers, in order.
    pub extensions: Vec<ExtensionOffer>,
}

/// Checks a request against RFC 6455 §4.2.1 and returns what it asked for.
pub fn validate_request(req: &Request) -> Result<Upgrade, HandshakeError> {
    if req.method != "GET" {
        return Err(HandshakeError::Method(req.method.clone()));
    }
    if req.version < 1 {
        return Err(HandshakeError::Version(req.version));
    }
    match values(&req.headers, "host").count() {
        0 => return Err(HandshakeError::MissingHost),
        1 => {}
        _ => return Err(HandshakeError::DuplicateHost),
    }
    // The bytes after the head are the client's first frames: a body there would be taken for
    // frames (request smuggling), so any declared body is refused, however it is framed.
    if values(&req.headers, "transfer-encoding").next().is_some()
        || values(&req.headers, "content-length").any(|v| v != "0")
    {
        return Err(HandshakeError::RequestBody);
    }
    if !req.wants_websocket() {
        return Err(HandshakeError::NotUpgrade);
    }
    if !has_token(&req.headers, "connection", "upgrade") {
        return Err(HandshakeError::ConnectionNotUpgrade);
    }
    let versions: Vec<&str> = values(&req.headers, "sec-websocket-version").collect();
    if versions != ["13"] {
        return Err(HandshakeError::UnsupportedVersion(
            versions.first().map(|v| (*v).to_owned()),
        ));
    }
    let keys: Vec<&str> = values(&req.headers, "sec-websocket-key").collect();
    let key = match keys.as_slice() {
        [key] if key.len() == 24 && BASE64.decode(key).is_ok_and(|k| k.len() == 16) => {
            (*key).to_owned()
        }
        _ => {
            return Err(HandshakeError::BadKey(
                keys.first().map(|k| (*k).to_owned()),
            ))
        }
    };
    Ok(Upgrade {
        accept: accept_key(&key),
        key,
        protocols: values(&req.headers, "sec-websocket-protocol")
            .flat_map(|v| v.split(','))
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
        extensions: parse_extensions(values(&req.headers, "sec-websocket-extensions")),
    })
}

/// The 101 Switching Protocols response, with the agreed extension if any.
pub fn response_101(accept: &str, extensions: Option<&str>) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n"
    );
    if let Some(ext) = extensions {
        out.push_str(&format!("Sec-WebSocket-Extensions: {ext}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// A complete HTTP/1.1 response that closes the connection.
pub fn http_response(status: u16, content_type: &str, extra_headers: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n{extra_headers}\r\n",
        reason_phrase(status),
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// The response refusing a handshake: the status from [`HandshakeError::status`], the reason as
/// a text body, and on 426 the headers saying what to upgrade to (RFC 6455 §4.4, RFC 9110
/// §15.5.22).
pub fn error_response(err: &HandshakeError) -> Vec<u8> {
    let status = err.status();
    let extra = if status == 426 {
        "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
    } else {
        ""
    };
    http_response(
        status,
        "text/plain; charset=utf-8",
        extra,
        format!("{err}\n").as_bytes(),
    )
}

/// A client's upgrade request for `path` on `host`, with the key made from `nonce` (which
/// RFC 6455 §4.1 wants random per connection). Returns the bytes and the key.
pub fn client_request(
    host: &str,
    path: &str,
    nonce: [u8; 16],
    extensions: Option<&str>,
) -> (Vec<u8>, String) {
    let key = BASE64.encode(nonce);
    let mut out = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
    );
    if let Some(ext) = extensions {
        out.push_str(&format!("Sec-WebSocket-Extensions: {ext}\r\n"));
    }
    out.push_str("\r\n");
    (out.into_bytes(), key)
}

/// A parsed HTTP response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header lines in order.
    pub headers: Headers,
}

impl Response {
    /// Parses a response head; `Ok(None)` if incomplete.
    pub fn parse(buf: &[u8]) -> Result<Option<(Response, usize)>, HandshakeError> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut resp = httparse::Response::new(&mut headers);
        match resp.parse(buf).map_err(http_error)? {
            httparse::Status::Complete(n) => Ok(Some((
                Response {
                    status: resp.code.unwrap_or_default(),
                    headers: collect_headers(resp.headers),
                },
                n,
            ))),
            _ if buf.len() >= MAX_HEAD_LEN => Err(HandshakeError::TooLarge(MAX_HEAD_LEN)),
            _ => Ok(None),
        }
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        values(&self.headers, name).next()
    }
}

/// Checks a server's answer to our request with `key` (RFC 6455 §4.1, the client's checks).
/// Returns the accepted extensions, which must be among those offered.
pub fn check_response(
    resp: &Response,
    key: &str,
    offered: &[&str],
) -> Result<Vec<ExtensionOffer>, HandshakeError> {
    if resp.status != 101 {
        return Err(HandshakeError::Status(resp.status));
    }
    if !has_token(&resp.headers, "upgrade", "websocket") {
        return Err(HandshakeError::NotUpgrade);
    }
    if !has_token(&resp.headers, "connection", "upgrade") {
        return Err(HandshakeError::ConnectionNotUpgrade);
    }
    let expected = accept_key(key);
    let found = resp.header("sec-websocket-accept");
    if found != Some(expected.as_str()) {
        return Err(HandshakeError::BadAccept {
            found: found.map(str::to_owned),
            expected,
        });
    }
    let accepted = parse_extensions(values(&resp.headers, "sec-websocket-extensions"));
    if let Some(ext) = accepted
        .iter()
        .find(|e| !offered.contains(&e.name.as_str()))
    {
        return Err(HandshakeError::UnofferedExtension(ext.name.clone()));
    }
    Ok(accepted)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6455 §1.2, the example client handshake (Origin/Protocol lines kept).
    const RFC_REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";

    // Captured with tcpdump on lo: Python's websockets 17.4 opening /echo on `ws-chat --deflate`,
    // and the server's answer (the same capture as connection.rs's frames).
    const PYTHON_REQUEST: &[u8] = b"GET /echo HTTP/1.1\r\nHost: 127.0.0.1:42597\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: wRlojOq+991zQzUObG0k5w==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\nUser-Agent: Python/3.11 websockets/17.4\r\n\r\n";
    const SERVER_RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ogZouZdsopylH9qvB52P/js/Opc=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n";

    #[test]
    fn captured_python_handshake() {
        let (req, n) = Request::parse(PYTHON_REQUEST).unwrap().unwrap();
        assert_eq!(n, PYTHON_REQUEST.len());
        let up = validate_request(&req).unwrap();
        let (_, agreed) = crate::deflate::negotiate(&up.extensions).unwrap();
        assert_eq!(response_101(&up.accept, Some(&agreed)), SERVER_RESPONSE);
        let (resp, _) = Response::parse(SERVER_RESPONSE).unwrap().unwrap();
        assert_eq!(
            check_response(&resp, &up.key, &["permessage-deflate"])
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn rfc6455_section_1_3_accept_vector() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn rfc_request_validates_and_gets_the_rfc_response() {
        let (req, n) = Request::parse(RFC_REQUEST).unwrap().unwrap();
        assert_eq!(n, RFC_REQUEST.len());
        assert_eq!(
            (req.method.as_str(), req.path.as_str(), req.version),
            ("GET", "/chat", 1)
        );
        let up = validate_request(&req).unwrap();
        assert_eq!(up.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(up.protocols, ["chat", "superchat"]);
        let resp = response_101(&up.accept, None);
        assert_eq!(
            resp,
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
        );
    }

    #[test]
    fn every_prefix_is_incomplete() {
        for cut in 0..RFC_REQUEST.len() {
            assert_eq!(Request::parse(&RFC_REQUEST[..cut]), Ok(None), "cut {cut}");
        }
    }

    fn validate(text: &str) -> Result<Upgrade, HandshakeError> {
        validate_request(&Request::parse(text.as_bytes()).unwrap().unwrap().0)
    }

    const GOOD_HEADERS: &str = "Host: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

    #[test]
    fn connection_token_among_several_and_case_insensitive() {
        let text = "GET / HTTP/1.1\r\nHost: h\r\nUPGRADE: WebSocket\r\nconnection: keep-alive, UpGrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        assert!(validate(text).is_ok());
    }

    #[test]
    fn each_rule_refuses_with_its_status() {
        let cases: [(String, HandshakeError, u16); 9] = [
            (format!("POST / HTTP/1.1\r\n{GOOD_HEADERS}\r\n"), HandshakeError::Method("POST".into()), 400),
            (format!("GET / HTTP/1.0\r\n{GOOD_HEADERS}\r\n"), HandshakeError::Version(0), 400),
            (format!("GET / HTTP/1.1\r\n{}\r\n", GOOD_HEADERS.replace("Host: h\r\n", "")), HandshakeError::MissingHost, 400),
            (format!("GET / HTTP/1.1\r\n{}\r\n", GOOD_HEADERS.replace("Upgrade: websocket\r\n", "")), HandshakeError::NotUpgrade, 426),
            (
                format!("GET / HTTP/1.1\r\n{}\r\n", GOOD_HEADERS.replace("Connection: Upgrade", "Connection: keep-alive")),
                HandshakeError::ConnectionNotUpgrade,
                426,
            ),
            (
                format!("GET / HTTP/1.1\r\n{}\r\n", GOOD_HEADERS.replace("Version: 13", "Version: 8")),
                HandshakeError::UnsupportedVersion(Some("8".into())),
                426,
            ),
            (
                format!("GET / HTTP/1.1\r\n{}\r\n", GOOD_HEADERS.replace("dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ=")),
                HandshakeError::BadKey(Some("c2hvcnQ=".into())),
                400,
            ),
            (
                format!("GET / HTTP/1.1\r\n{GOOD_HEADERS}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"),
                HandshakeError::BadKey(Some("dGhlIHNhbXBsZSBub25jZQ==".into())),
                400,
            ),
            (
                format!("GET / HTTP/1.1\r\n{}\r\n", GOOD_HEADERS.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "")),
                HandshakeError::BadKey(None),
                400,
            ),
        ];
        for (text, expected, status) in cases {
            let err = validate(&text).unwrap_err();
            assert_eq!(err, expected, "{text}");
            assert_eq!(err.status(), status, "{text}");
            let resp = String::from_utf8(error_response(&err)).unwrap();
            assert!(resp.starts_with(&format!("HTTP/1.1 {status} ")), "{resp}");
            assert!(resp.ends_with(&format!("{err}\n")));
            assert_eq!(
                resp.contains("Sec-WebSocket-Version: 13\r\n"),
                status == 426
            );
        }
    }

    #[test]
    fn upgrade_with_a_body_is_refused() {
        // Hand-made: an attacker's request, not a capture. The bytes after the head would be
        // read as frames if the server did not refuse a body it will never consume as HTTP.
        for framing in [
            "Content-Length: 6\r\n",
            "Transfer-Encoding: chunked\r\n",
            "Transfer-Encoding: gzip, chunked\r\n",
            "Content-Length: 0\r\nContent-Length: 6\r\n",
        ] {
            let text = format!("GET / HTTP/1.1\r\n{GOOD_HEADERS}{framing}\r\n");
            let err = validate(&text).unwrap_err();
            assert_eq!(err, HandshakeError::RequestBody, "{framing}");
            assert_eq!(err.status(), 400);
        }
        // An empty body is no body: nothing after the head is taken from the frames.
        assert!(validate(&format!(
            "GET / HTTP/1.1\r\n{GOOD_HEADERS}Content-Length: 0\r\n\r\n"
        ))
        .is_ok());
    }

    #[test]
    fn duplicate_host_is_named_as_such() {
        let text = format!("GET / HTTP/1.1\r\n{GOOD_HEADERS}Host: other\r\n\r\n");
        let err = validate(&text).unwrap_err();
        assert_eq!(err, HandshakeError::DuplicateHost);
        assert_eq!(err.status(), 400);
        assert!(err.to_string().contains("duplicate Host"), "{err}");
    }

    #[test]
    fn oversized_head_is_refused_before_it_completes() {
        let mut text = b"GET / HTTP/1.1\r\nX: ".to_vec();
        text.resize(MAX_HEAD_LEN, b'a');
        assert_eq!(
            Request::parse(&text),
            Err(HandshakeError::TooLarge(MAX_HEAD_LEN))
        );
        assert!(matches!(
            Request::parse(b"\x00\x01garbage\r\n\r\n"),
            Err(HandshakeError::Http(_))
        ));
    }

    #[test]
    fn client_round_trip_and_accept_check() {
        let (bytes, key) = client_request("127.0.0.1:80", "/echo", *b"the sample nonce", None);
        assert_eq!(key, "dGhlIHNhbXBsZSBub25jZQ==");
        let (req, _) = Request::parse(&bytes).unwrap().unwrap();
        let up = validate_request(&req).unwrap();
        let resp_bytes = response_101(&up.accept, None);
        let (resp, n) = Response::parse(&resp_bytes).unwrap().unwrap();
        assert_eq!(n, resp_bytes.len());
        assert_eq!(check_response(&resp, &key, &[]), Ok(vec![]));
        let wrong = response_101("AAAAAAAAAAAAAAAAAAAAAAAAAAA=", None);
        let (resp, _) = Response::parse(&wrong).unwrap().unwrap();
        assert!(matches!(
            check_response(&resp, &key, &[]),
            Err(HandshakeError::BadAccept { .. })
        ));
        let with_ext = response_101(&up.accept, Some("permessage-deflate"));
        let (resp, _) = Response::parse(&with_ext).unwrap().unwrap();
        assert_eq!(
            check_response(&resp, &key, &[]),
            Err(HandshakeError::UnofferedExtension(
                "permessage-deflate".into()
            ))
        );
        assert_eq!(
            check_response(&resp, &key, &["permessage-deflate"])
                .unwrap()
                .len(),
            1
        );
        let (resp, _) = Response::parse(b"HTTP/1.1 404 Not Found\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(
            check_response(&resp, &key, &[]),
            Err(HandshakeError::Status(404))
        );
    }
}
