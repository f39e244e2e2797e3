"""Open the ws-chat page in two headless Chromium tabs, send a line from one, see it in the other.

Usage: chromium_chat.py HTTP_BASE [--deflate]
Drives Chromium through the DevTools protocol (itself a WebSocket, spoken here with the
`websockets` client). Prints "ok ..." lines; any failure raises. All waits are bounded.
"""

import asyncio
import sys

from devtools import headless


async def main():
    base = sys.argv[1]
    deflate = "--deflate" in sys.argv[2:]
    async with headless() as browser:
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


asyncio.run(main())
