#!/usr/bin/env python3
"""tcpdump-lines.py RAW_SNIFF DIR... : how many of raw-sniff's default lines equal `tcpdump -n`'s.

For every capture in the directories (*.pcap, *.pcapng, *.pcap.*), both programs print one line
per packet (raw-sniff with --no-color, tcpdump with -n); the lines are paired packet by packet
and compared byte for byte. Only "plain" packets count: one IPv4 or IPv6 header carrying TCP,
UDP, ICMP or ICMPv6, under one link header, cut packets included (raw-sniff's own --json names
the layers). A file whose two outputs do not pair up (different numbers of packet lines) is
reported and left out.

Both programs run with the same TZ (default: TZ=UTC; set TZ to compare in another zone) and
the same extra flags (TCPDUMP_LINES_FLAGS, e.g. "-tt" or "-e").

Prints the share of identical lines, the share once differences tcpdump's own text explains
are set aside (its application-layer words after the transport, and raw-sniff's bad-checksum
notes, which tcpdump prints only with -v), then the most common kinds of difference with one
example each. With -v, every differing pair.
"""
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict

NETS = {"ip", "ipv6"}
TRANSPORTS = {"tcp", "udp", "icmp", "icmpv6"}
PACKET_LINE = re.compile(r"^(\d\d:\d\d:\d\d\.\d+ |\d+\.\d+ |\d{4}-\d\d-\d\d |[ 0-9]+\s|)")


def plain(layers):
    """One IP header (IPv6 extension headers allowed) carrying TCP, UDP or ICMP, under one link
    header; payload and cut packets included."""
    keys = [k for k in layers if k not in ("frame", "data", "truncated")]
    if len(keys) < 2 or keys[-1] not in TRANSPORTS or "error" in keys:
        return False
    nets = [k for k in keys if k in NETS]
    links = [k for k in keys if k not in NETS and k not in TRANSPORTS and k != "ipv6.ext"]
    return len(nets) == 1 and len(links) <= 1 and "vlan" not in links


def run(cmd, env):
    p = subprocess.run(cmd, capture_output=True, env=env, timeout=120)
    return p.stdout.decode("utf-8", "replace")


def packet_lines(text, indented_are_extra):
    lines = []
    for line in text.split("\n"):
        if not line:
            continue
        if line.startswith((" ", "\t")):
            # tcpdump's continuation lines (and raw-sniff's WebSocket lines): not packets.
            continue
        lines.append(line)
    return lines


def kind(ours, theirs):
    """A short name for how two lines differ: the first differing word of each."""
    a, b = ours.split(" "), theirs.split(" ")
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"word {i}: {x[:24]!r} vs {y[:24]!r}"
    return "length"


def without_checksum_notes(ours):
    return re.sub(r", bad (IP )?cksum 0x[0-9a-f]+ \(->0x[0-9a-f]+\)!", "", ours)


def explained(ours, theirs):
    """Whether the lines differ only in what tcpdump -n and raw-sniff choose to show: raw-sniff's
    bad-checksum notes (tcpdump checks sums only with -v) and tcpdump's application-layer words
    (after a TCP segment's length, or in place of UDP's `UDP, length N`)."""
    ours = without_checksum_notes(ours)
    if ours == theirs or theirs.startswith(ours + ": "):
        return True
    udp = re.search(r": UDP, length \d+$", ours)
    return bool(udp) and theirs.startswith(ours[: udp.start() + 2])


def main():
    args = sys.argv[1:]
    verbose = "-v" in args
    args = [a for a in args if a != "-v"]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    raw_sniff, dirs = args[0], args[1:]
    env = dict(os.environ)
    env.setdefault("TZ", "UTC")
    extra = os.environ.get("TCPDUMP_LINES_FLAGS", "").split()
    files = sorted(
        os.path.join(d, f)
        for d in dirs
        for f in os.listdir(d)
        if f.endswith((".pcap", ".pcapng")) or ".pcap." in f
    )
    total = same = near = sums = 0
    unpaired = []
    kinds = defaultdict(list)
    used_files = 0
    by_proto = defaultdict(lambda: [0, 0, 0])
    for f in files:
        try:
            js = run([raw_sniff, "-r", f, "--json"], env)
        except subprocess.TimeoutExpired:
            unpaired.append((f, "timeout"))
            continue
        layers = []
        for line in js.split("\n"):
            if line.startswith("{"):
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                if "frame" in obj:
                    layers.append(obj)
        wanted = [i for i, obj in enumerate(layers) if plain(obj)]
        if not wanted:
            continue
        ours = packet_lines(run([raw_sniff, "-r", f, "--no-color"] + extra, env), True)
        theirs = packet_lines(run(["tcpdump", "-n", "-r", f] + extra, env), False)
        if len(ours) != len(layers) or len(theirs) != len(layers):
            unpaired.append((f, f"{len(layers)} packets, {len(ours)} vs {len(theirs)} lines"))
            continue
        used_files += 1
        for i in wanted:
            total += 1
            proto = by_proto[[k for k in layers[i] if k in TRANSPORTS][-1]]
            proto[0] += 1
            if ours[i] == theirs[i]:
                same += 1
                near += 1
                proto[1] += 1
                proto[2] += 1
                continue
            if without_checksum_notes(ours[i]) == theirs[i]:
                sums += 1
            if explained(ours[i], theirs[i]):
                near += 1
                proto[2] += 1
                continue
            kinds[kind(ours[i], theirs[i])].append((f, i + 1, ours[i], theirs[i]))
    if total == 0:
        print("no plain packets found")
        sys.exit(1)
    print(f"plain IP packets: {total} in {used_files} files ({len(unpaired)} files unpaired)")
    print(f"identical to tcpdump -n: {same} ({100 * same / total:.1f}%)")
    print(f"identical but for checksum notes: {same + sums} ({100 * (same + sums) / total:.1f}%)")
    print(f"identical but for app-layer words and checksum notes: {near} ({100 * near / total:.1f}%)")
    for name, (n, s_, e) in sorted(by_proto.items()):
        print(f"  {name:7} {n:6} packets: {100 * s_ / n:5.1f}% identical, {100 * e / n:5.1f}% but for those")
    ranked = sorted(kinds.items(), key=lambda kv: -len(kv[1]))
    print("differences, most common first:")
    for k, cases in ranked[:25]:
        f, n, a, b = cases[0]
        print(f"  {len(cases):5}  {k}\n         {os.path.basename(f)} #{n}\n         ours:    {a}\n         tcpdump: {b}")
    if verbose:
        for k, cases in ranked:
            for f, n, a, b in cases:
                print(f"{os.path.basename(f)} #{n}\n  ours:    {a}\n  tcpdump: {b}")
    for f, why in unpaired[:10]:
        print(f"  unpaired: {os.path.basename(f)}: {why}")


if __name__ == "__main__":
    main()
