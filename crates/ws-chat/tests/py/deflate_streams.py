"""Compressed message streams from Python's `websockets` against ws-chat --deflate at /echo.

Usage: deflate_streams.py WS_BASE
`websockets` compresses each message with zlib and a sync flush, so it never ends a message
with a BFINAL block (RFC 7692 section 7.2.3.4); those messages are written under its feet with
zlib's own Z_FINISH output, on a connection whose client_no_context_takeover keeps the
library's compressor and the injected frames independent. Prints "ok ..." per check; any
failure raises. Every wait is bounded.
"""

import asyncio
import os
import sys
import zlib

from websockets.asyncio.client import connect
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

WAIT = 10
TEXTS = ["Hello", "Hello", "hello hello hello", "κόσμε " * 50, "Hello"]


def client(url, extensions):
    return connect(url, proxy=None, open_timeout=WAIT, close_timeout=WAIT, ping_interval=None,
                   max_size=None, extensions=extensions, compression=None)


async def recv(ws):
    return await asyncio.wait_for(ws.recv(), WAIT)


def masked_text_frame(payload, rsv1=True):
    """A client text frame with FIN and, for a compressed message, RSV1."""
    assert len(payload) < 126
    key = os.urandom(4)
    head = bytes([0xC1 if rsv1 else 0x81, 0x80 | len(payload)]) + key
    return head + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def bfinal(text):
    """`text` as raw DEFLATE ending with a BFINAL block, as zlib's Z_FINISH makes it."""
    c = zlib.compressobj(wbits=-15)
    return c.compress(text.encode()) + c.flush(zlib.Z_FINISH)


async def main():
    base = sys.argv[1] + "/echo"
    for name, factory in [
        ("context takeover", ClientPerMessageDeflateFactory()),
        ("no context takeover", ClientPerMessageDeflateFactory(
            client_no_context_takeover=True, server_no_context_takeover=True)),
    ]:
        async with client(base, [factory]) as ws:
            assert "permessage-deflate" in ws.response.headers["Sec-WebSocket-Extensions"]
            for text in TEXTS:
                await ws.send(text)
                assert await recv(ws) == text, text
        print(f"ok {len(TEXTS)} messages with {name}")

    factory = ClientPerMessageDeflateFactory(client_no_context_takeover=True)
    async with client(base, [factory]) as ws:
        for round_ in range(3):
            await ws.send(f"from websockets {round_}")
            assert await recv(ws) == f"from websockets {round_}"
            ws.transport.write(masked_text_frame(bfinal("Hello")))
            assert await recv(ws) == "Hello"
            # RFC 7692 section 7.2.3.4, byte for byte: the BFINAL block then one more octet.
            ws.transport.write(masked_text_frame(bytes.fromhex("f348cdc9c9070000")))
            assert await recv(ws) == "Hello"
    print("ok BFINAL messages between websockets' own, three times")


asyncio.run(main())
