#!/usr/bin/env python3
"""Writes a classic pcap of N Ethernet/IPv4/TCP packets (valid checksums) for benchmarks.

Usage: make-pcap.py OUT N [--flows mixed|one|syn-flood]

  mixed      (default) varied ports, sequence numbers and payload sizes over 1000 flows
  one        one connection: its handshake, then client data segments in order
  syn-flood  N SYNs, each from its own endpoint (a port scan or SYN flood): N distinct flows
"""
import struct
import sys


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(src: bytes, dst: bytes, sport: int, dport: int, seq: int, ack: int, flags: int,
          payload: bytes, ip_id: int) -> bytes:
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      5 << 4, flags, 512, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ip_id & 0xFFFF, 0x4000, 64, 6, 0,
                     src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    eth = bytes(6) + bytes(6) + b"\x08\x00"
    return eth + ip + tcp


def mixed(i: int) -> bytes:
    payload = bytes((i + k) & 0xFF for k in range(i % 64))
    return frame(bytes([127, 0, 0, 1]), bytes([127, 0, 0, 2]), 40000 + i % 1000, 10000,
                 i * 1000, i * 7, 0x18 if payload else 0x10, payload, i)


def write(out: str, count: int, frames) -> None:
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i, data in enumerate(frames):
            secs, usecs = 1_700_000_000 + i // 1_000_000, i % 1_000_000
            f.write(struct.pack("<IIII", secs, usecs, len(data), len(data)))
            f.write(data)


def main() -> None:
    args = sys.argv[1:]
    kind = "mixed"
    if "--flows" in args:
        at = args.index("--flows")
        kind = args[at + 1]
        del args[at:at + 2]
    out, count = args[0], int(args[1])
    if kind == "mixed":
        # Packets repeat with period 64 000, so build them once and reuse the bytes.
        period = min(count, 64_000)
        built = [mixed(i) for i in range(period)]
        write(out, count, (built[i % period] for i in range(count)))
    elif kind == "one":
        client, server = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
        # Payloads of 1..64 bytes, built once; only sequence numbers and checksums change.
        payloads = [bytes((i + k) & 0xFF for k in range(1 + i % 64)) for i in range(64)]

        def frames():
            isn, sisn = 1_000, 5_000
            yield frame(client, server, 40000, 10000, isn, 0, 0x02, b"", 0)
            yield frame(server, client, 10000, 40000, sisn, isn + 1, 0x12, b"", 0)
            yield frame(client, server, 40000, 10000, isn + 1, sisn + 1, 0x10, b"", 1)
            seq = isn + 1
            for i in range(count - 3):
                payload = payloads[i % 64]
                yield frame(client, server, 40000, 10000, seq, sisn + 1, 0x18, payload, i + 2)
                seq += len(payload)

        write(out, count, frames())
    elif kind == "syn-flood":
        server = bytes([10, 255, 255, 254])

        def frames():
            for i in range(count):
                src = bytes([10, (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF])
                sport = 1024 + (i >> 24)
                yield frame(src, server, sport, 10000, i * 2_654_435_761, 0, 0x02, b"", i)

        write(out, count, frames())
    else:
        sys.exit(f"unknown --flows {kind}: mixed, one or syn-flood")


if __name__ == "__main__":
    main()
