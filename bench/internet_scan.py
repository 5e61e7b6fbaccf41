#!/usr/bin/env python3
"""Writes a flow log of an internet-wide scan: N distinct external sources (default one million),
each probing K internal hosts on random ports (REJECT, one SYN), spread over an hour, plus
the web traffic of the same VPC. For measuring detection memory: docs/performance-history.md, "Detection".

Usage: bench/internet_scan.py OUT.log [--sources 1000000] [--probes 3]
"""
import argparse
import random

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--sources", type=int, default=1_000_000)
ap.add_argument("--probes", type=int, default=3)
args = ap.parse_args()
rng = random.Random(7)
start = 1700000000
with open(args.out, "w") as f:
    f.write("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
            "bytes start end action log-status\n")
    for i in range(args.sources):
        # Distinct public sources: 11.0.0.0 + i spread over 11.x-99.x (not RFC 1918).
        a = 11 + (i >> 24) % 89
        src = f"{a}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        t = start + i * 3600 // args.sources
        for k in range(args.probes):
            host = rng.randrange(1, 200)
            port = rng.randrange(1, 65536)
            f.write(f"2 123456789012 eni-{host:017x} {src} 10.0.{host >> 8}.{host & 255} "
                    f"{rng.randrange(32768, 61000)} {port} 6 1 44 {t} {t} REJECT OK\n")
