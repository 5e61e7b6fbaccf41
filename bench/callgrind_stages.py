#!/usr/bin/python3
"""Groups a `callgrind_annotate` listing of a `flowsift run` by pipeline stage, for
scripts/bench: one JSON line with the program's instruction total and each stage's.

Instruction counts do not move with a noisy machine's speed (two runs of the same binary on the
same input count the same), so they show where a change went when wall times cannot.

Usage: callgrind_annotate --threshold=100 OUT | callgrind_stages.py --set S --variant V
           --manifest OUT_DIR/manifest.json [--commit C]
"""
import argparse
import json
import re
import sys

# (stage, pattern over the function's name): the first match wins; what matches none is "other"
# (the dynamic loader, libc's startup, TBB's scheduler, ...).
STAGES = [
    ("parse: delimiter index (stage 1)", r"IndexDelimiters"),
    ("parse: integer columns", r"ParseUint"),
    ("parse: address columns", r"ParseAddr|ParseIPv|ParseFullIPv6|ParseDottedQuad"),
    ("parse: enum columns", r"ParseEnum"),
    ("parse: spans, row checks, interning",
     r"ChunkParser|flowsift::ParseChunk\b|CopySpans|ScanFastLines"),
    ("graph: reading, routing, per-chunk work", r"RunGraph|Aggregator::Route\b|FileReader|Reporter"
     r"|MappedFile|InflateChunk|ReadChunk"),
    ("distinct counters (windows, exposure, detection)", r"DistinctCounter|PortCounter"),
    ("aggregation: windows, talkers, exposure", r"Aggregator::|TalkerAgg|ExposureAgg|WindowAgg"),
    ("detection", r"Detector::|detect_internal::"),
    ("output: tables, findings, zstd", r"libzstd|ZSTD_|AppendCsv|AppendText|AppendJson|FindingJson"
     r"|CompressFrame|WriteTables|Export|nlohmann"),
    ("memory: allocation, clearing, copies", r"memset|memcpy|memmove|malloc|calloc|realloc"
     r"|\bfree\b|operator new|operator delete|mimalloc|\bmi_|AllocateTable|FreeTable"),
]
LINE = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$")


def stage_of(function):
    for name, pattern in STAGES:
        if re.search(pattern, function):
            return name
    return "other"


def parse(text):
    """(program total, {stage: instructions}) from callgrind_annotate's text."""
    total = None
    stages = {}
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        count = int(m.group(1).replace(",", ""))
        what = m.group(2)
        if "PROGRAM TOTALS" in what:
            total = count
            continue
        stage = stage_of(what)
        stages[stage] = stages.get(stage, 0) + count
    if total is None:
        raise ValueError("no PROGRAM TOTALS line: not callgrind_annotate output")
    # Functions below the listing's threshold count as "other", so the stages add up.
    stages["other"] = stages.get("other", 0) + total - sum(stages.values())
    return total, stages


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", required=True)
    ap.add_argument("--variant", required=True)
    ap.add_argument("--manifest", required=True, help="the run's manifest.json: its records")
    ap.add_argument("--commit", default="")
    args = ap.parse_args()
    total, stages = parse(sys.stdin.read())
    with open(args.manifest) as f:
        records = json.load(f)["totals"]["records"]
    print(json.dumps({"kind": "instructions", "set": args.set, "variant": args.variant,
                      "records": records, "commit": args.commit, "total": total,
                      "stages": stages}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
