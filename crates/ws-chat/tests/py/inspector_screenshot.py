"""Takes the screenshot of the page's frame inspector that the ws-chat README shows.

Usage: inspector_screenshot.py HTTP_BASE OUT.png
Opens the page in headless Chromium, lets a second tab join, sends two lines (one short, one
past 125 bytes so its length takes the 16-bit form) and captures the page at 1280x1150.
Not a test: run it by hand against `ws-chat --listen 127.0.0.1:0` to refresh the picture.
"""

import asyncio
import base64
import sys

from devtools import headless


async def main():
    base, out = sys.argv[1], sys.argv[2]
    async with headless() as browser:
        tab = await browser.open_tab(base + "/")
        await browser.call("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 1150, "deviceScaleFactor": 1, "mobile": False}, tab)
        await browser.wait_for(tab, "document.getElementById('inspect-status').textContent.startsWith('inspecting')",
                               "the inspector to attach")
        await browser.open_tab(base + "/")
        await browser.wait_for(tab, "document.getElementById('log').textContent.includes('(2 online)')",
                               "the second tab to join")
        long = ("A line longer than 125 bytes is announced as 126 in the 7-bit field, and its real "
                "length follows in the next 16 bits; the panel shows only its start.")
        assert len(long.encode()) > 125
        for text in ["Hello, inspector", long]:
            await browser.eval(tab, f"document.getElementById('msg').value = {text!r};"
                                    "document.getElementById('send').click(); true")
            await browser.wait_for(tab, f"document.getElementById('log').textContent.includes({text!r})",
                                   "the line to come back")
        shot = await browser.call("Page.captureScreenshot", {"format": "png"}, tab)
        with open(out, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        print(f"wrote {out}")


asyncio.run(main())
