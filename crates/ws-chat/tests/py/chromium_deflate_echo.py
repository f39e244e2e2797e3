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
import os
import shutil
import subprocess
import sys
import tempfile
import time

from websockets.asyncio.client import connect

WAIT = 20

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
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    profile = tempfile.mkdtemp(prefix="ws-chat-chromium-")
    proc = subprocess.Popen(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.monotonic() + WAIT
        while not (os.path.exists(port_file) and len(open(port_file).read().split()) >= 2):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError("chromium did not start")
            await asyncio.sleep(0.1)
        port, path = open(port_file).read().split()[:2]
        async with connect(f"ws://127.0.0.1:{port}{path}", proxy=None, max_size=None, ping_interval=None,
                           compression=None, open_timeout=WAIT) as ws:
            next_id = 0

            async def call(method, params, session=None):
                nonlocal next_id
                next_id += 1
                msg = {"id": next_id, "method": method, "params": params}
                if session:
                    msg["sessionId"] = session
                await ws.send(json.dumps(msg))
                while True:
                    reply = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
                    if reply.get("id") == next_id:
                        if "error" in reply:
                            raise RuntimeError(f"{method}: {reply['error']}")
                        return reply["result"]

            # A blank page: nothing navigates away while the script runs (a page that loads
            # replaces the context an evaluation runs in).
            target = await call("Target.createTarget", {"url": "about:blank"})
            attached = await call("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
            session = attached["sessionId"]
            deadline = time.monotonic() + WAIT
            while True:
                ready = await call("Runtime.evaluate", {"expression": "document.readyState", "returnByValue": True}, session)
                if ready["result"].get("value") == "complete":
                    break
                if time.monotonic() > deadline:
                    raise AssertionError("page did not load")
                await asyncio.sleep(0.1)
            script = SCRIPT.replace("WS_URL", json.dumps(base.replace("http", "ws", 1) + "/echo"))
            result = await call("Runtime.evaluate", {"expression": script, "awaitPromise": True,
                                                     "returnByValue": True}, session)
            value = result["result"].get("value")
            assert isinstance(value, str), result
            outcome = json.loads(value)
            assert outcome.get("extensions", "").startswith("permessage-deflate"), outcome
            assert outcome.get("texts") and outcome.get("binary"), outcome
            print("ok 6 compressed messages echoed on one connection with context takeover")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


asyncio.run(main())
