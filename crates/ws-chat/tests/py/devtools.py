"""Headless Chromium driven through the DevTools protocol, for the ws-chat browser tests.

The protocol is itself a WebSocket, spoken here with the `websockets` client. `headless()`
starts Chromium with a fresh profile and the flags that keep it off the network, and yields a
`Browser`; every wait is bounded by WAIT seconds, and Chromium is stopped however the test ends.
"""

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time

from websockets.asyncio.client import connect

WAIT = 20


class Browser:
    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.pending = {}
        self.reader = asyncio.create_task(self._read())

    async def _read(self):
        async for raw in self.ws:
            msg = json.loads(raw)
            fut = self.pending.pop(msg.get("id"), None)
            if fut is not None and not fut.done():
                fut.set_result(msg)

    async def call(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        fut = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = fut
        await self.ws.send(json.dumps(msg))
        reply = await asyncio.wait_for(fut, WAIT)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    async def open_tab(self, url):
        target = await self.call("Target.createTarget", {"url": url})
        attached = await self.call("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
        return attached["sessionId"]

    async def eval(self, session, expression, await_promise=False):
        result = await self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                      "awaitPromise": await_promise}, session)
        return result["result"].get("value")

    async def wait_for(self, session, expression, what):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if await self.eval(session, expression):
                return
            await asyncio.sleep(0.1)
        status = await self.eval(session, "document.getElementById('status') && document.getElementById('status').textContent")
        raise AssertionError(f"timed out waiting for {what}; status: {status!r}")


@contextlib.asynccontextmanager
async def headless():
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
            browser = Browser(ws)
            try:
                yield browser
            finally:
                browser.reader.cancel()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)
