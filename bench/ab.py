#!/usr/bin/python3
"""A/B of two flowsift builds (or flag sets) run at once: the method of the tuning sessions.

Usage: bench/ab.py A B [--data DIR] [--rounds N] [--warm-up N] [--settle S] [--json FILE]
       bench/ab.py A B --bench REGEX [--min-time S] [--rounds N] [--warm-up N] [--settle S]
                   [--json FILE]
  A, B     NAME=BINARY[,FLAG...], e.g. head=/tmp/fs_head  new=build/release/tools/flowsift,--no-detect
  --data   the input of `flowsift run` (default: the bench cache's v2-1G set, which
           `scripts/bench --quick` does not make: generate it with `flowsift gen --bytes 1G
           --seed 3 -o DIR` or run a full `scripts/bench` once)
  --rounds rounds (default 10); --settle: idle seconds before each round (default 3)
  --warm-up  untimed rounds first (default 1): the input read into the page cache and both
           binaries loaded, as scripts/bench's warm-up run does (the first timed round had
           read the input from disk, one side's run slower for it)
  --json   also write every round's timings and the summary there

Each round runs A and B at the same time, one thread each (`--threads 1`), each pinned to its
own CPU with `taskset`; the CPUs are swapped every round and the launch order every other
round, so neither side keeps a core or a head start. Both runs see the same spell of a noisy VM,
which alternating runs do not: there, ratios of runs minutes apart spread 10-30%
(docs/performance-history.md, "Twenty-third session"). The two share the L3 cache and memory
bandwidth, so this measures under contention, like a two-thread run.

It prints, for wall time and each stage's CPU time from the manifest's timings, the medians of A
and B and the median [min-max] of the per-round ratios B/A. Read every stage: a stage whose
code did not change moving is the method's noise or the code's layout (history, "Twenty-eighth
session"), not the change. Run A against a copy of itself first to see the machine's spread
(on the Intel Xeon of the twenty-ninth session it was larger than 10%), then both orders.

With --bench, A and B are two builds' `flowsift_bench` (Google Benchmark) and each round runs
the benchmarks whose names match REGEX (e.g. 'BM_Aggregate|BM_Detect', the serial nodes' work
alone; 'BM_ParseChunkAllFields') with A then B, B then A in the next round, one after the
other on the same CPU: a benchmark that runs for seconds gains nothing from running at once,
and two at once halve each other's memory bandwidth. It prints, per benchmark, the medians of
A's and B's time and the median [min-max] of the per-round ratios B/A (below 1: B is faster),
and in how many rounds B was faster. --min-time passes --benchmark_min_time.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

STAGES = ["wall_s", "parse_cpu_s", "aggregate_cpu_s", "detect_cpu_s", "read_cpu_s", "output_s"]


def bench_cache():
    """scripts/bench's cache of data sets and DuckDB: $FLOWSIFT_BENCH_CACHE, else
    $XDG_CACHE_HOME/flowsift-bench, else ~/.cache/flowsift-bench."""
    return os.environ.get("FLOWSIFT_BENCH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "flowsift-bench")


def parse_side(text):
    """'name=binary[,flag...]' -> (name, binary, [flags])."""
    if "=" not in text:
        raise ValueError(f"{text!r}: expected NAME=BINARY[,FLAG...]")
    name, rest = text.split("=", 1)
    parts = rest.split(",")
    if not name or not parts[0]:
        raise ValueError(f"{text!r}: expected NAME=BINARY[,FLAG...]")
    return name, parts[0], [p for p in parts[1:] if p]


def summarize(rounds):
    """rounds: [{"a": timings, "b": timings}] -> {stage: {a, b, ratio, lo, hi}} for the stages
    that both sides report with a nonzero time in every round (detect_cpu_s is 0 with --no-detect)."""
    out = {}
    for stage in STAGES:
        try:
            a = [r["a"][stage] for r in rounds]
            b = [r["b"][stage] for r in rounds]
        except KeyError:
            continue
        if not a or min(a) <= 0 or min(b) <= 0:
            continue
        ratios = [y / x for x, y in zip(a, b)]
        out[stage] = {"a": statistics.median(a), "b": statistics.median(b),
                      "ratio": statistics.median(ratios), "lo": min(ratios), "hi": max(ratios)}
    return out


# Google Benchmark's time units in nanoseconds.
UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def bench_times(report):
    """A Google Benchmark JSON report -> {benchmark name: real time in ms} (aggregate rows such as
    _mean are skipped: --benchmark_repetitions is not used here)."""
    out = {}
    for b in report.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration":
            continue
        out[b["name"]] = b["real_time"] * UNIT_NS[b.get("time_unit", "ns")] / 1e6
    return out


def summarize_bench(rounds):
    """rounds: [{"a": {name: ms}, "b": {name: ms}}] -> {name: {a, b, ratio, lo, hi, faster,
    rounds}} for the benchmarks both sides ran in every round."""
    names = set(rounds[0]["a"]) & set(rounds[0]["b"]) if rounds else set()
    for r in rounds[1:]:
        names &= set(r["a"]) & set(r["b"])
    out = {}
    for name in sorted(names):
        a = [r["a"][name] for r in rounds]
        b = [r["b"][name] for r in rounds]
        if min(a) <= 0 or min(b) <= 0:
            continue
        ratios = [y / x for x, y in zip(a, b)]
        out[name] = {"a": statistics.median(a), "b": statistics.median(b),
                     "ratio": statistics.median(ratios), "lo": min(ratios), "hi": max(ratios),
                     "faster": sum(r < 1 for r in ratios), "rounds": len(ratios)}
    return out


def render_bench(names, summary, n):
    width = max([len("benchmark")] + [len(k) for k in summary])
    lines = [f"{n} round(s), A and B alternated; B/A is the median of the per-round ratios of "
             "the real time [min-max]",
             f"{'benchmark':{width}s} {names[0] + ' ms':>12s} {names[1] + ' ms':>12s}   B/A"]
    for name, s in summary.items():
        lines.append(f"{name:{width}s} {s['a']:12.4g} {s['b']:12.4g}   "
                     f"{s['ratio']:.3f} [{s['lo']:.3f}-{s['hi']:.3f}], "
                     f"{names[1]} faster in {s['faster']} of {s['rounds']}")
    return "\n".join(lines)


def run_bench_round(sides, regex, min_time, k, pin):
    """One round of --bench: A then B (B then A when k is odd), each to a JSON report."""
    times = {}
    for idx in ([0, 1] if k % 2 == 0 else [1, 0]):
        name, binary, flags = sides[idx]
        cmd = [binary, f"--benchmark_filter={regex}", "--benchmark_format=json"] + flags
        if min_time is not None:
            cmd.append(f"--benchmark_min_time={min_time}")
        if pin:
            cmd = ["taskset", "-c", str(pin[0])] + cmd
        proc = subprocess.run(cmd, capture_output=True)
        try:
            report = json.loads(proc.stdout)
        except ValueError:
            report = None
        err = proc.stderr.decode(errors="replace").strip()[-500:]
        if proc.returncode != 0:
            raise RuntimeError(f"{name}: {binary} exited {proc.returncode}: {err}")
        times[idx] = bench_times(report) if report is not None else {}
        if not times[idx]:  # Google Benchmark prints no report when nothing matches
            raise RuntimeError(f"{name}: no benchmark matches {regex!r} ({err})")
    return {"a": times[0], "b": times[1]}


def render(names, summary, n):
    lines = [f"{n} round(s) at once; B/A is the median of the per-round ratios [min-max]",
             f"{'stage':16s} {names[0]:>10s} {names[1]:>10s}   B/A"]
    for stage, s in summary.items():
        lines.append(f"{stage:16s} {s['a']:10.3f} {s['b']:10.3f}   "
                     f"{s['ratio']:.3f} [{s['lo']:.3f}-{s['hi']:.3f}]")
    return "\n".join(lines)


def cpus():
    """Two CPUs this process may run on, or None when there are fewer (no pinning then)."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except AttributeError:
        return None
    return allowed[:2] if len(allowed) >= 2 else None


def run_round(sides, data, workdir, k, pin):
    procs = {}
    order = [0, 1] if (k // 2) % 2 == 0 else [1, 0]
    for idx in order:
        name, binary, flags = sides[idx]
        stats = os.path.join(workdir, f"{name}.{k}.json")
        cmd = [binary, "run", data, "-o", os.path.join(workdir, f"out-{name}"), "--force",
               "--no-progress", "--threads", "1", "--stats-json", stats] + flags
        if pin:
            cmd = ["taskset", "-c", str(pin[(idx + k) % 2])] + cmd
        procs[idx] = (subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE),
                      stats)
    timings = []
    for idx in (0, 1):
        proc, stats = procs[idx]
        _, err = proc.communicate()
        if proc.returncode not in (0, 1) or not os.path.exists(stats):
            raise RuntimeError(f"{sides[idx][0]}: flowsift run exited {proc.returncode}: "
                               f"{err.decode(errors='replace').strip()[-500:]}")
        with open(stats) as f:
            timings.append(json.load(f)["timings"])
    return {"a": timings[0], "b": timings[1]}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[2:]))
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--data", default=os.path.join(bench_cache(), "data", "v2-1G"))
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--settle", type=float, default=3.0)
    ap.add_argument("--warm-up", type=int, default=1)
    ap.add_argument("--json")
    ap.add_argument("--bench", metavar="REGEX")
    ap.add_argument("--min-time", type=float)
    args = ap.parse_args(argv)
    try:
        sides = [parse_side(args.a), parse_side(args.b)]
    except ValueError as e:
        ap.error(str(e))
    if sides[0][0] == sides[1][0]:
        ap.error("A and B need different names")
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    if args.warm_up < 0:
        ap.error("--warm-up must be 0 or more")
    if args.bench is not None:
        return main_bench(sides, args)
    if not os.path.exists(args.data):
        ap.error(f"{args.data}: no such input (see --help for how to make the v2-1G set)")
    pin = cpus()
    if pin is None:
        print("ab: fewer than two CPUs: the runs are not pinned", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="flowsift-ab-") as workdir:
        rounds = run_rounds(
            args, lambda k: run_round(sides, args.data, workdir, k, pin),
            lambda r: f": wall {r['a']['wall_s']:.2f} s / {r['b']['wall_s']:.2f} s")
    if rounds is None:
        return 1
    summary = summarize(rounds)
    return report(args, render([sides[0][0], sides[1][0]], summary, len(rounds)),
                  {"data": args.data, "rounds": rounds, "summary": summary})


def main_bench(sides, args):
    pin = cpus()
    rounds = run_rounds(args, lambda k: run_bench_round(sides, args.bench, args.min_time, k, pin),
                        lambda r: "")
    if rounds is None:
        return 1
    summary = summarize_bench(rounds)
    return report(args, render_bench([sides[0][0], sides[1][0]], summary, len(rounds)),
                  {"bench": args.bench, "rounds": rounds, "summary": summary})


def run_rounds(args, one_round, describe):
    """one_round(k) for k in 0..args.rounds-1, args.settle idle seconds before each, with a
    progress line on stderr; None (after saying why) when a round fails. args.warm_up untimed
    rounds come first (their results dropped)."""
    for k in range(args.warm_up):
        try:
            one_round(k)
        except RuntimeError as e:
            print(f"ab: warm-up round {k + 1}: {e}", file=sys.stderr)
            return None
        print(f"ab: warm-up round {k + 1}/{args.warm_up} (untimed)", file=sys.stderr)
    rounds = []
    for k in range(args.rounds):
        time.sleep(args.settle)
        try:
            rounds.append(one_round(k))
        except RuntimeError as e:
            print(f"ab: round {k + 1}: {e}", file=sys.stderr)
            return None
        print(f"ab: round {k + 1}/{args.rounds}{describe(rounds[-1])}", file=sys.stderr)
    return rounds


def report(args, text, record):
    """Prints the summary and writes every round and it to --json; the exit code."""
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"a": args.a, "b": args.b, **record}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
