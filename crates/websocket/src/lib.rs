/*!
RFC 6455 WebSocket protocol pieces with no I/O: frame codec, streaming decoder, message assembly,
incremental UTF-8 validation, close codes, the opening handshake and permessage-deflate (RFC 7692).

The same decoder serves a live server and a sniffer reading captured stream bytes, so nothing
here touches a socket: bytes go in, frames, messages and bytes to send come out.

# Brief overview

- [`FrameHeader`] parses and encodes the header on a partial buffer (`Ok(None)` = need more
  bytes) and [`FrameHeader::validate`] applies the per-frame rules.
- [`Decoder`] turns arbitrary chunks into [`Frame`]s with bounded buffering; [`mask`] unmasks
  eight bytes at a time.
- [`Assembler`] joins fragments into [`Message`]s, checking text as UTF-8 fragment by fragment
  ([`Utf8Validator`]) and inflating compressed messages ([`deflate`]).
- [`Connection`] adds the closing handshake and ping answers, and collects bytes to send; on
  request it keeps each frame's header and payload start as on the wire ([`WireFrame`]).
- [`Budget`] bounds the bytes all connections buffer together, charged at their inflated size.
- [`CloseCode`] and [`CLOSE_CODES`] name every status code; [`handshake`] parses and answers the
  HTTP Upgrade.
- Every [`ProtocolError`] knows the close code to fail the connection with.

# Example

```
use websocket::{Connection, Config, Role, Event, Message};

let mut server = Connection::new(Config::new(Role::Server), 0);
// RFC 6455 §5.7: a masked "Hello" from a client.
let mut input: &[u8] = &[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
let event = server.receive(&mut input).unwrap();
assert_eq!(event, Some(Event::Message(Message::Text("Hello".into()))));
server.send_text("Hello");
assert_eq!(server.output(), [0x81, 0x05, b'H', b'e', b'l', b'l', b'o']);
```
*/
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod budget;
pub mod close;
pub mod connection;
pub mod decoder;
pub mod deflate;
pub mod error;
pub mod frame;
pub mod handshake;
pub mod inspect;
pub mod mask;
pub mod message;
pub mod opcode;
pub mod utf8;

pub use budget::Budget;
pub use close::{CloseCode, CloseCodeInfo, CloseFrame, CloseRange, CLOSE_CODES};
pub use connection::{CloseState, Config, Connection, Event, FrameTrace, Role};
pub use decoder::{Decoder, DecoderConfig};
pub use error::{HandshakeError, ProtocolError};
pub use frame::{encode_frame, Frame, FrameHeader, MaskRule};
pub use inspect::WireFrame;
pub use message::{Assembler, Message};
pub use opcode::OpCode;
pub use utf8::Utf8Validator;
