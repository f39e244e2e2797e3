#!/usr/bin/env python3
"""Writes a classic pcap of N Ethernet/IPv4/TCP packets (varied ports, sequence numbers and
payload sizes, valid checksums) for benchmarks. Usage: make-pcap.py OUT N"""
import struct
import sys


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def packet(i: int) -> bytes:
    payload = bytes((i + k) & 0xFF for k in range(i % 64))
    src, dst = bytes([127, 0, 0, 1]), bytes([127, 0, 0, 2])
    sport, dport = 40000 + i % 1000, 10000
    flags = 0x18 if payload else 0x10
    tcp = struct.pack("!HHIIBBHHH", sport, dport, (i * 1000) & 0xFFFFFFFF, (i * 7) & 0xFFFFFFFF,
                      5 << 4, flags, 512, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), i & 0xFFFF, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    eth = bytes(6) + bytes(6) + b"\x08\x00"
    return eth + ip + tcp


def main() -> None:
    out, count = sys.argv[1], int(sys.argv[2])
    # Packets repeat with period 64 000, so build them once and reuse the bytes.
    period = min(count, 64_000)
    frames = [packet(i) for i in range(period)]
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i in range(count):
            frame = frames[i % period]
            secs, usecs = 1_700_000_000 + i // 1_000_000, i % 1_000_000
            f.write(struct.pack("<IIII", secs, usecs, len(frame), len(frame)))
            f.write(frame)


if __name__ == "__main__":
    main()
