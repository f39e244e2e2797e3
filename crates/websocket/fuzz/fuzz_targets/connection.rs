//! Any bytes into a server connection with permessage-deflate agreed and small limits: must
//! never panic, and whatever it queues to send must decode as valid server frames.
#![no_main]

use libfuzzer_sys::fuzz_target;
use websocket::deflate::DeflateParams;
use websocket::{Config, Connection, Decoder, DecoderConfig, Role};

fuzz_target!(|data: &[u8]| {
    let config = Config {
        role: Role::Server,
        max_frame_size: 1 << 16,
        max_message_size: 1 << 16,
        deflate: Some(DeflateParams::default()),
    };
    let mut conn = Connection::new(config, 7);
    let mut input = data;
    loop {
        match conn.receive(&mut input) {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(err) => {
                conn.fail(&err);
                break;
            }
        }
    }
    let mut sent = conn.output();
    let mut check = Decoder::new(DecoderConfig { allowed_rsv: 0b100, ..DecoderConfig::client() });
    while !sent.is_empty() {
        match check.decode(&mut sent) {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => panic!("server produced an invalid frame: {e}"),
        }
    }
});
