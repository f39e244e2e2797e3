#!/usr/bin/env python3
"""Sends a bounded flood of TCP SYNs on loopback, each from its own source address
(127.1.0.0 upwards, so every SYN is a new flow), to 127.0.0.1:PORT, like a SYN flood or a
port scan seen by a sniffer. Stops after COUNT SYNs or SECONDS, whichever comes first, and
prints how many it sent and how fast. Loopback only; needs root (a raw socket).

Usage: syn-flood.py PORT COUNT SECONDS [--one-source]

With --one-source every SYN comes from 127.1.0.0 (one flow, as retransmissions would): the
same packets at the same rate, for a control.

Send to a port nothing listens on: the kernel answers each SYN with a RST, which a capture
filter such as `dst port PORT` leaves out, so the sniffer sees only the SYNs.
"""
import socket
import struct
import sys
import time


def fold(total: int) -> int:
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def words(data: bytes) -> int:
    return sum(struct.unpack(f"!{len(data) // 2}H", data))


class Syns:
    """SYN i comes from 127.a.b.c (a from 1) to 127.0.0.1:port. Only the source address and
    the IP ID change, so both checksums are the template's sum plus those words."""

    def __init__(self, port: int, one_source: bool):
        self.one_source = one_source
        self.tcp = struct.pack("!HHIIBBHHH", 40000, port, 1, 0, 5 << 4, 0x02, 64240, 0, 0)
        self.ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0x4000, 64, 6, 0, bytes(4),
                              bytes([127, 0, 0, 1]))
        self.tcp_sum = words(self.tcp) + words(bytes([127, 0, 0, 1]) + struct.pack("!BBH", 0, 6, 20))
        self.ip_sum = words(self.ip)

    def packet(self, i: int) -> bytes:
        ip_id = i & 0xFFFF
        if self.one_source:
            i = 0
        hi, lo = (127 << 8) | (1 + (i >> 16) % 254), i & 0xFFFF
        ip_ck = ~fold(self.ip_sum + hi + lo + ip_id) & 0xFFFF
        tcp_ck = ~fold(self.tcp_sum + hi + lo) & 0xFFFF
        return (self.ip[:4] + struct.pack("!H", ip_id) + self.ip[6:10] + struct.pack("!HHH", ip_ck, hi, lo)
                + self.ip[16:] + self.tcp[:16] + struct.pack("!H", tcp_ck) + self.tcp[18:])


def main() -> None:
    args = sys.argv[1:]
    one_source = "--one-source" in args
    if one_source:
        args.remove("--one-source")
    port, count, seconds = int(args[0]), int(args[1]), float(args[2])
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    syns = Syns(port, one_source)
    # Build in chunks so sending starts at once and memory stays small.
    start = time.monotonic()
    deadline = start + seconds
    sent = 0
    while sent < count and time.monotonic() < deadline:
        batch = [syns.packet(i) for i in range(sent, min(sent + 10_000, count))]
        for packet in batch:
            s.sendto(packet, ("127.0.0.1", 0))
        sent += len(batch)
    took = time.monotonic() - start
    sources = 1 if one_source else sent
    print(f"sent {sent} SYNs from {sources} source addresses in {took:.2f} s ({sent / took:.0f}/s)")


if __name__ == "__main__":
    main()
