"""Open the ws-chat page in two headless Chromium tabs, send a line from one, see it in the other.

Usage: chromium_chat.py HTTP_BASE [--deflate]
Drives Chromium through the DevTools protocol (itself a WebSocket, spoken here with the
`websockets` client). Prints "ok ..." lines; any failure raises. All waits are bounded.
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

    async def eval(self, session, expression):
        result = await self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
        return result["result"].get("value")

    async def wait_for(self, session, expression, what):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if await self.eval(session, expression):
                return
            await asyncio.sleep(0.1)
        status = await self.eval(session, "document.getElementById('status') && document.getElementById('status').textContent")
        raise AssertionError(f"timed out waiting for {what}; status: {status!r}")


async def main():
    base = sys.argv[1]
    deflate = "--deflate" in sys.argv[2:]
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
            connected = "document.getElementById('status').textContent.startsWith('connected')"
            one = await browser.open_tab(base + "/")
            await browser.wait_for(one, connected, "tab 1 to connect")
            two = await browser.open_tab(base + "/")
            await browser.wait_for(two, connected, "tab 2 to connect")
            status = await browser.eval(one, "document.getElementById('status').textContent")
            assert ("permessage-deflate" in status) == deflate, status
            print("ok both tabs connected")
            await browser.wait_for(one, "document.getElementById('log').textContent.includes('(2 online)')",
                                   "tab 1 to see tab 2 join")
            await browser.eval(one, "document.getElementById('msg').value = 'hello from tab one, κόσμε';"
                                    "document.getElementById('send').click(); true")
            await browser.wait_for(two, "document.getElementById('log').textContent.includes(': hello from tab one, κόσμε')",
                                   "the line in tab 2")
            print("ok message arrived in the second tab")
            browser.reader.cancel()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


asyncio.run(main())
