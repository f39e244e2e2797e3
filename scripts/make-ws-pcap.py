#!/usr/bin/env python3
"""Writes a pcap of one long WebSocket conversation on loopback for benchmarks: the HTTP
Upgrade handshake, then text frames of SIZE bytes, client frames masked and server frames not,
one frame per TCP segment, until the frames add up to MEGABYTES. IP checksums are valid; TCP
checksums are left zero (computing them in Python would dominate the run, and decoders report
a zero TCP checksum rather than drop the segment).

usage: make-ws-pcap.py OUT MEGABYTES [SIZE]"""
import base64
import hashlib
import struct
import sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


class Flow:
    def __init__(self, out):
        self.out = out
        self.seq = {True: 1_000_000, False: 7_000_000}
        self.n = 0

    def segment(self, from_client: bool, payload: bytes, flags: int = 0x18) -> None:
        src, dst = (b"\x7f\0\0\x01", b"\x7f\0\0\x01")
        sport, dport = (40000, 8080) if from_client else (8080, 40000)
        seq, ack = self.seq[from_client], self.seq[not from_client]
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 512, 0, 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), self.n & 0xFFFF, 0x4000, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        frame = bytes(12) + b"\x08\x00" + ip + tcp
        secs, usecs = 1_700_000_000 + self.n // 100_000, (self.n * 10) % 1_000_000
        self.out.write(struct.pack("<IIII", secs, usecs, len(frame), len(frame)))
        self.out.write(frame)
        self.seq[from_client] = (seq + len(payload) + (1 if flags & 0x03 else 0)) & 0xFFFFFFFF
        self.n += 1


def frame(payload: bytes, key: bytes = b"") -> bytes:
    n = len(payload)
    head = bytes([0x81])
    mask_bit = 0x80 if key else 0
    if n < 126:
        head += bytes([mask_bit | n])
    elif n < 65536:
        head += bytes([mask_bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", n)
    if key:
        masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        return head + key + masked
    return head + payload


def main() -> None:
    out_path, megabytes = sys.argv[1], float(sys.argv[2])
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    text = (b"socklab websocket benchmark " * (size // 28 + 1))[:size]
    # A handful of keys, so masking differs between frames without masking every frame here.
    keys = [bytes([k, k * 3 & 255, k * 7 & 255, k * 11 & 255]) for k in range(1, 9)]
    client_frames = [frame(text, k) for k in keys]
    server_frame = frame(text)
    key = base64.b64encode(b"socklab-bench-16").decode()
    accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
    with open(out_path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        flow = Flow(f)
        flow.segment(True, b"", 0x02)
        flow.segment(False, b"", 0x12)
        flow.segment(True, b"", 0x10)
        flow.segment(True, (f"GET /echo HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\n"
                            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                            f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
        flow.segment(False, (f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                             f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        total, i = 0, 0
        while total < megabytes * 1e6:
            flow.segment(True, client_frames[i % len(client_frames)])
            flow.segment(False, server_frame)
            total += 2 * size
            i += 1


if __name__ == "__main__":
    main()
