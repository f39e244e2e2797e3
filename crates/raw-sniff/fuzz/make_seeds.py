#!/usr/bin/env python3
"""Seeds for the fuzz targets, made from a real capture.

    python3 make_seeds.py CAPTURE.pcap SERVER_PORT

CAPTURE.pcap is an Ethernet capture on lo of real WebSocket traffic (ws-chat and a client,
see the README); every TCP connection to SERVER_PORT becomes one ws_tracker seed in the
target's record format (fuzz_targets/ws_tracker.rs), cut at MAX_SEED bytes, and the frames
themselves become the packets of the filter_parser seeds.
"""
import os
import struct
import sys

MAX_SEED = 16 * 1024
HERE = os.path.dirname(os.path.abspath(__file__))


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    at = 24
    while at + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[at : at + 16])
        yield data[at + 16 : at + 16 + incl]
        at += 16 + incl


def tcp(frame):
    """(src port, dst port, flags, payload) of an Ethernet/IPv4/TCP frame, else None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return None
    ihl = (frame[14] & 15) * 4
    total = struct.unpack(">H", frame[16:18])[0]
    t = 14 + ihl
    sport, dport = struct.unpack(">HH", frame[t : t + 4])
    off = (frame[t + 12] >> 4) * 4
    flags = frame[t + 13]
    return sport, dport, flags, frame[t + off : 14 + total]


def record(from_server, flags, payload):
    kind = 1 if flags & 0x02 else 3 if flags & 0x04 else 2 if flags & 0x01 else 0
    head = (4 if from_server else 0) | (kind << 3)
    return bytes([head, 0]) + struct.pack(">H", len(payload)) + payload


def main(path, port):
    conns = {}
    frames = []
    for frame in packets(path):
        seg = tcp(frame)
        if seg is None:
            continue
        frames.append(frame)
        sport, dport, flags, payload = seg
        from_server = sport == port
        client = dport if from_server else sport
        if not payload and not flags & 0x07:
            continue  # a bare ACK carries nothing the tracker reads
        conns.setdefault(client, []).append(record(from_server, flags, payload))
    out = os.path.join(HERE, "seeds", "ws_tracker")
    os.makedirs(out, exist_ok=True)
    for i, recs in enumerate(conns.values()):
        # Configuration byte 1: whole messages reported too.
        seed = b"\x01" + b"".join(recs)
        with open(os.path.join(out, f"lo-conn-{i:02}"), "wb") as f:
            f.write(seed[:MAX_SEED])
    out = os.path.join(HERE, "seeds", "filter_parser")
    os.makedirs(out, exist_ok=True)
    filters = [
        f"tcp port {port}",
        f"tcp dst port {port} and host 127.0.0.1",
        "not udp",
        "udp port 53 or icmp or icmp6",
        "ip6 and tcp",
        "src net 127.0.0.0/8 and not tcp",
        "dst portrange 1024-65535",
        "tcp[tcpflags] & tcp-syn != 0",
        "vlan and ip",
        "ether host 00:00:00:00:00:00",
        "(tcp or udp) and not port 22",
    ]
    for i, text in enumerate(filters):
        frame = frames[i * 7 % len(frames)]
        with open(os.path.join(out, f"filter-{i:02}"), "wb") as f:
            f.write(text.encode() + b"\0" + frame)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
