"""Headless Chromium sends a run of messages to ws-chat --deflate at /echo on one connection.

Usage: chromium_deflate_echo.py HTTP_BASE
Chromium compresses with zlib and a sync flush, with context takeover, so it never ends a
message with a BFINAL block (RFC 7692 section 7.2.3.4); what it does send is checked here:
repeated, large and binary messages on one connection, each compressed against the ones
before. Driven through the DevTools protocol (spoken with `websockets`). Prints "ok ..." lines;
any failure raises. All waits are bounded.
"""

import asyncio
import json
import sys
import time

from devtools import WAIT, headless


# Runs in the page: opens /echo, sends every message at once, resolves with what came back.
SCRIPT = """
new Promise((resolve) => {
  const texts = ["Hello", "Hello", "hello hello hello", "κόσμε ".repeat(20000), "Hello"];
  const bytes = new Uint8Array(300000).map((_, i) => i % 7);
  const ws = new WebSocket(WS_URL);
  ws.binaryType = "arraybuffer";
  const got = [];
  ws.onopen = () => { texts.forEach((t) => ws.send(t)); ws.send(bytes); };
  ws.onmessage = (e) => {
    got.push(e.data);
    if (got.length < texts.length + 1) return;
    const back = new Uint8Array(got[texts.length]);
    const same = back.length === bytes.length && back.every((b, i) => b === bytes[i]);
    resolve(JSON.stringify({
      extensions: ws.extensions,
      texts: texts.every((t, i) => got[i] === t),
      binary: same,
    }));
    ws.close(1000);
  };
  ws.onclose = (e) => resolve(JSON.stringify({closed: e.code, got: got.length}));
  setTimeout(() => resolve(JSON.stringify({timeout: got.length})), 15000);
})
"""


async def main():
    base = sys.argv[1]
    async with headless() as browser:
        # A blank page: nothing navigates away while the script runs (a page that loads
        # replaces the context an evaluation runs in).
        session = await browser.open_tab("about:blank")
        deadline = time.monotonic() + WAIT
        while await browser.eval(session, "document.readyState") != "complete":
            if time.monotonic() > deadline:
                raise AssertionError("page did not load")
            await asyncio.sleep(0.1)
        script = SCRIPT.replace("WS_URL", json.dumps(base.replace("http", "ws", 1) + "/echo"))
        value = await browser.eval(session, script, await_promise=True)
        assert isinstance(value, str), value
        outcome = json.loads(value)
        assert outcome.get("extensions", "").startswith("permessage-deflate"), outcome
        assert outcome.get("texts") and outcome.get("binary"), outcome
        print("ok 6 compressed messages echoed on one connection with context takeover")


asyncio.run(main())
