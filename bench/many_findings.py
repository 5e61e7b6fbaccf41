#!/usr/bin/env python3
"""Writes a flow log with tens of thousands of findings: N external sources (default 30,000),
each rejected by K internal hosts (default 6) on admin ports within a few seconds, so that
every source is a scanner by the threshold random walk (scan_trw). For measuring the output
phase (findings evaluated, written as JSON, compressed): docs/performance-history.md, "Thirteenth session".

Usage: bench/many_findings.py OUT.log [--sources 30000] [--contacts 6]
"""
import argparse
import random

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--sources", type=int, default=30_000)
ap.add_argument("--contacts", type=int, default=6)
args = ap.parse_args()
random.seed(1)
start = 1700000000


def external_address():
    """A random public IPv4 address: outside flowsift's default internal ranges (10/8,
    172.16/12, 192.168/16, 100.64/10) and loopback, which 357 of 30,000 sources had been in."""
    while True:
        a, b = random.randint(1, 223), random.randint(0, 255)
        if a in (10, 127) or (a, b >> 4) == (172, 1) or (a, b) == (192, 168) or \
                (a == 100 and 64 <= b < 128):
            continue
        return f"{a}.{b}.{random.randint(0, 255)}.{random.randint(1, 254)}"


with open(args.out, "w") as f:
    f.write("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
            "bytes start end action log-status\n")
    for s in range(args.sources):
        src = external_address()
        for _ in range(args.contacts):
            dst = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
            t = start + s % 3000
            f.write(f"2 123456789012 eni-{s % 50:017x} {src} {dst} {random.randint(1024, 65000)} "
                    f"{random.choice([22, 23, 445, 3389, 8080])} 6 1 40 {t} {t + 5} REJECT OK\n")
