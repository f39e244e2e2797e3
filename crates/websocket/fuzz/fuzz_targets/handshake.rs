//! Any bytes as an HTTP Upgrade request: parsing, validation, extension negotiation and the
//! responses must never panic, and an accepted request must pass the client's own check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use websocket::deflate::negotiate;
use websocket::handshake::{check_response, error_response, response_101, validate_request, Request, Response};

fuzz_target!(|data: &[u8]| {
    let Ok(Some((req, _))) = Request::parse(data) else { return };
    match validate_request(&req) {
        Ok(up) => {
            let agreed = negotiate(&up.extensions);
            let bytes = response_101(&up.accept, agreed.as_ref().map(|(_, v)| v.as_str()));
            let (resp, _) = Response::parse(&bytes).unwrap().unwrap();
            check_response(&resp, &up.key, &["permessage-deflate"]).unwrap();
        }
        Err(err) => {
            let _ = error_response(&err);
        }
    }
});
