"""Open the ws-chat page in headless Chromium and check its frame inspector panel.

Usage: chromium_inspect.py HTTP_BASE [--deflate]
Sends chat lines from the page and reads the panel back: each line must be listed as the
masked frame the page sent (opcode, MASK=1, payload length and its 7/16/64-bit form, masking
key, masked bytes that unmask to the line) and as the unmasked frame the server sent back.
The header bits and the unmasking are checked here independently, from the bytes the panel
shows. With --deflate: RSV1 set, and a compressible line smaller on the wire than inflated.
Ends with a close 1000 from the page, named in the panel both ways. Driven through the
DevTools protocol; prints "ok ..." lines; any failure raises. All waits are bounded.
"""

import asyncio
import json
import re
import sys

from devtools import headless

FRAMES = ("JSON.stringify([...document.querySelectorAll('#frames .frame')]"
          ".map((li) => Object.assign({text: li.textContent}, li.dataset)))")


def length_form(n):
    return "7-bit" if n < 126 else "16-bit" if n < 65536 else "64-bit"


def check_header(frame, masked, compressed):
    """Decodes the header bytes here, and checks them against what the panel says."""
    header = bytes.fromhex(frame["header"])
    assert header[0] & 0x80, frame  # FIN
    assert bool(header[0] & 0x40) == compressed and frame["rsv1"] == str(int(compressed)), frame
    assert header[0] & 0x30 == 0 and frame["rsv2"] == frame["rsv3"] == "0", frame
    assert header[0] & 0x0F == 1 and frame["opcode"] == "1", frame
    assert bool(header[1] & 0x80) == masked and frame["mask"] == str(int(masked)), frame
    n = header[1] & 0x7F
    at = 2
    if n == 126:
        n, at = int.from_bytes(header[2:4], "big"), 4
    elif n == 127:
        n, at = int.from_bytes(header[2:10], "big"), 10
    assert frame["len"] == str(n) and frame["lenForm"] == length_form(n), frame
    key = header[at:at + 4] if masked else b""
    assert frame["key"] == key.hex() and len(header) == at + len(key), frame
    return n, key


async def main():
    base = sys.argv[1]
    deflate = "--deflate" in sys.argv[2:]
    async with headless() as browser:
        tab = await browser.open_tab(base + "/")
        await browser.wait_for(tab, "document.getElementById('status').textContent.startsWith('connected')",
                               "the chat to connect")
        await browser.wait_for(tab, "document.getElementById('inspect-status').textContent.startsWith('inspecting')",
                               "the inspector to attach")
        status = await browser.eval(tab, "document.getElementById('inspect-status').textContent")
        assert ("permessage-deflate" in status) == deflate, status
        conn = re.search(r"inspecting connection #(\d+) \(/chat", status).group(1)
        print("ok the panel inspects the page's own connection")

        lines = ["hello, inspector κόσμε", "x" * 200, "y" * 70000] if not deflate else \
            ["hello, inspector κόσμε", "compress me, " * 40]
        for text in lines:
            data = text.encode()
            before = json.loads(await browser.eval(tab, FRAMES))
            await browser.eval(tab, f"document.getElementById('msg').value = {json.dumps(text)};"
                                    "document.getElementById('send').click(); true")
            echo = f"guest-{conn}: {text}".encode()
            await browser.wait_for(tab, f"""(() => {{
                const f = [...document.querySelectorAll('#frames .frame')];
                return f.some((li) => li.dataset.from === 'page' && li.dataset.message === '{len(data)}')
                    && f.some((li) => li.dataset.from === 'server' && li.dataset.message === '{len(echo)}');
            }})()""", f"the frames of a {len(data)}-byte line in the panel")
            frames = json.loads(await browser.eval(tab, FRAMES))[: -len(before) or None]
            sent = [f for f in frames if f["from"] == "page" and f["message"] == str(len(data))]
            back = [f for f in frames if f["from"] == "server" and f["message"] == str(len(echo))]
            assert len(sent) == 1 and len(back) == 1, frames

            sent = sent[0]
            n, key = check_header(sent, masked=True, compressed=deflate)
            wire = bytes.fromhex(sent["masked"])
            unmasked = bytes(b ^ key[i % 4] for i, b in enumerate(wire))
            assert unmasked.hex() == sent["unmasked"], sent
            assert wire != unmasked, "masking changed the bytes"
            compressible = len(data) > 100
            if deflate:
                assert n < len(data) or not compressible, f"compressed {n} >= inflated {len(data)}"
            else:
                assert n == len(data) and unmasked == data[:len(unmasked)] and len(unmasked) == min(n, 64), sent
            assert "MASK" in sent["text"] and "masking key" in sent["text"], sent["text"]
            if n > 16:  # the panel shows 16 payload bytes and the length
                assert f"{n} bytes in all" in sent["text"], sent["text"]

            back = back[0]
            m, _ = check_header(back, masked=False, compressed=deflate)
            assert back["masked"] == "" and back["key"] == "", back
            payload = bytes.fromhex(back["unmasked"])
            if deflate:
                assert m < len(echo) or not compressible, f"echo compressed {m} of {len(echo)}"
            else:
                assert m == len(echo) and payload == echo[:len(payload)], back
            forms = f"{length_form(n)}/{length_form(m)}"
            if deflate:
                # Compressed sizes depend on Chromium's zlib: on stderr, not in the checked lines.
                print(f"{len(data)}-byte line: sent {n} compressed, echo {len(echo)} as {m}", file=sys.stderr)
                smaller = ", smaller compressed both ways" if compressible else ""
                print(f"ok {len(data)}-byte line: page frame masked, RSV1 both ways, {forms}{smaller}")
            else:
                print(f"ok {len(data)}-byte line: page frame masked, {n} bytes, {forms}")

        await browser.eval(tab, "chat.close(1000, 'bye'); true")
        await browser.wait_for(tab, """(() => {
            const f = [...document.querySelectorAll('#frames .frame')];
            return ['page', 'server'].every((from) => f.some((li) =>
                li.dataset.from === from && li.dataset.close === '1000 Normal Closure'));
        })()""", "both close frames in the panel")
        text = await browser.eval(tab, "document.getElementById('frames').textContent")
        assert "close code1000 Normal Closure" in text and 'reason "bye"' in text, text
        print("ok close 1000 Normal Closure shown both ways")


asyncio.run(main())
