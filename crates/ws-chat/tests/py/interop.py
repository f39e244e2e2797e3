"""Drive ws-chat with Python's `websockets` client, a peer this project did not write.

Usage: interop.py BASE_URL SCENARIO [--deflate]
BASE_URL is ws://127.0.0.1:PORT. Each check prints "ok NAME"; any failure raises and exits
non-zero. Every wait is bounded (open/close timeouts and asyncio.wait_for).
"""

import asyncio
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

WAIT = 10


def client(url, **kwargs):
    kwargs.setdefault("max_size", None)
    return connect(url, proxy=None, open_timeout=WAIT, close_timeout=WAIT, ping_interval=None, **kwargs)


async def recv(ws):
    return await asyncio.wait_for(ws.recv(), WAIT)


def check_extension(ws, deflate):
    ext = ws.response.headers.get("Sec-WebSocket-Extensions")
    if deflate:
        assert ext is not None and ext.startswith("permessage-deflate"), ext
    else:
        assert ext is None, ext


async def echo(base, deflate):
    async with client(base + "/echo") as ws:
        check_extension(ws, deflate)
        await ws.send("hello, κόσμε")
        assert await recv(ws) == "hello, κόσμε"
        print("ok text")
        await ws.send(bytes(range(256)))
        assert await recv(ws) == bytes(range(256))
        print("ok binary")
        big = bytes((i * 7) % 251 for i in range(200_000))
        await ws.send(big)
        assert await recv(ws) == big
        print("ok 64-bit length")
        await ws.send(["frag", "men", "ted ", "text"])
        assert await recv(ws) == "fragmented text"
        await ws.send([b"\x00" * 1000, b"\x01" * 70_000])
        assert await recv(ws) == b"\x00" * 1000 + b"\x01" * 70_000
        print("ok fragmented")
        pong = await ws.ping(b"payload")
        await asyncio.wait_for(pong, WAIT)
        print("ok ping/pong")
        await ws.send("")
        assert await recv(ws) == ""
        print("ok empty")
    for code in (1000, 1001, 3000, 4999):
        async with client(base + "/echo") as ws:
            await ws.close(code, "bye")
            # The server echoes the peer's code (RFC 6455 section 5.5.1).
            assert ws.close_code == code, (code, ws.close_code)
    print("ok close codes echoed")


async def limits(base, deflate):
    # The server runs with --max-message 64KiB.
    async with client(base + "/echo") as ws:
        await ws.send(b"x" * 65_536)
        assert len(await recv(ws)) == 65_536
        await ws.send(b"x" * 65_537)
        try:
            await recv(ws)
            raise AssertionError("expected close")
        except ConnectionClosed as e:
            assert e.rcvd is not None and e.rcvd.code == 1009, e
    print("ok 1009")
    async with client(base + "/echo") as ws:
        await ws.send(b"ok\xff", text=True)
        try:
            await recv(ws)
            raise AssertionError("expected close")
        except ConnectionClosed as e:
            assert e.rcvd is not None and e.rcvd.code == 1007, e
    print("ok 1007")
    async with client(base + "/echo") as ws:
        await ws.send([b"\xce", b"\xba\xff"], text=True)
        try:
            await recv(ws)
            raise AssertionError("expected close")
        except ConnectionClosed as e:
            assert e.rcvd is not None and e.rcvd.code == 1007, e
    print("ok 1007 fragmented")
    async with client(base + "/echo") as ws:
        # An unmasked frame, written under the library's feet: servers must refuse it (1002).
        ws.transport.write(b"\x81\x02hi")
        try:
            await recv(ws)
            raise AssertionError("expected close")
        except ConnectionClosed as e:
            assert e.rcvd is not None and e.rcvd.code == 1002, e
    print("ok 1002")


async def chat(base, deflate):
    async with client(base + "/chat") as a:
        check_extension(a, deflate)
        joined = await recv(a)
        assert joined.endswith("joined (1 online)"), joined
        async with client(base + "/chat") as b:
            assert (await recv(a)).endswith("joined (2 online)")
            assert (await recv(b)).endswith("joined (2 online)")
            for i in range(20):
                await a.send(f"line {i} from a")
            for i in range(20):
                line = await recv(b)
                assert line.endswith(f": line {i} from a"), line
                assert (await recv(a)) == line
            await b.send("hi from b")
            assert (await recv(a)).endswith(": hi from b")
        left = await recv(a)
        assert left.endswith("left (1 online)"), left
        await a.send(b"binary is not chat")
        try:
            while True:
                await recv(a)
        except ConnectionClosed as e:
            assert e.rcvd is not None and e.rcvd.code == 1003, e
    print("ok chat")


async def negotiation(base, deflate):
    # The server runs with --deflate: each offer below is accepted or declined per RFC 7692.
    both = ClientPerMessageDeflateFactory(server_no_context_takeover=True, client_no_context_takeover=True)
    async with client(base + "/echo", extensions=[both], compression=None) as ws:
        ext = ws.response.headers["Sec-WebSocket-Extensions"]
        assert "server_no_context_takeover" in ext and "client_no_context_takeover" in ext, ext
        for _ in range(3):
            await ws.send("same text again and again")
            assert await recv(ws) == "same text again and again"
    print("ok no_context_takeover")
    window = ClientPerMessageDeflateFactory(server_max_window_bits=10)
    async with client(base + "/echo", extensions=[window], compression=None) as ws:
        assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
        await ws.send("uncompressed")
        assert await recv(ws) == "uncompressed"
    print("ok server_max_window_bits=10 declined")
    full = ClientPerMessageDeflateFactory(server_max_window_bits=15, client_max_window_bits=9)
    async with client(base + "/echo", extensions=[full], compression=None) as ws:
        ext = ws.response.headers["Sec-WebSocket-Extensions"]
        assert "server_max_window_bits=15" in ext, ext
        text = "window " * 5000
        await ws.send(text)
        assert await recv(ws) == text
    print("ok max_window_bits")


async def main():
    base, scenario = sys.argv[1], sys.argv[2]
    deflate = "--deflate" in sys.argv[3:]
    await {"echo": echo, "limits": limits, "chat": chat, "negotiation": negotiation}[scenario](base, deflate)


asyncio.run(main())
