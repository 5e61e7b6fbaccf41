#!/usr/bin/python3
"""Turns scripts/bench's measurements into a results JSON, gnuplot PNGs and BENCHMARKS.md's
generated section.

Usage: report.py INPUT [--results FILE] [--plots DIR] [--markdown FILE] [--print]

INPUT is the raw JSON-lines file the script writes (kept as ~/.cache/flowsift-bench/
last-raw.jsonl) or a results JSON this program wrote (its "raw" member), so a report can be
remade without measuring again. --markdown replaces what lies between BENCH_BEGIN and
BENCH_END in FILE and keeps the rest; --print writes the section to stdout. Exits 1 (after
writing everything) when DuckDB's windows table differed from flowsift's on a set.

Standard library only (Debian's /usr/bin/python3); plots need gnuplot.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

import callgrind_stages  # bench/callgrind_stages.py, beside this file

BENCH_BEGIN = "<!-- bench:begin -->"
BENCH_END = "<!-- bench:end -->"


def load_records(path):
    with open(path) as f:
        text = f.read()
    try:  # a results JSON (indented, "raw" anywhere in it) is one object
        whole = json.loads(text)
    except json.JSONDecodeError:  # JSON lines
        whole = None
    if isinstance(whole, dict) and "raw" in whole:
        return whole["raw"]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def kernel_medians(benchmarks):
    """Google Benchmark's JSON benchmarks -> {name: median entry} (median aggregates only)."""
    out = {}
    for b in benchmarks:
        if b.get("aggregate_name", "median") != "median":
            continue
        out[b.get("run_name", b["name"])] = {
            "gbps": b.get("bytes_per_second", 0) / 1e9,
            # bench/*_bench.cc count records (or fields) in a "records/s" counter, addresses
            # (bench/addr_bench.cc) in "addrs/s", the rest with SetItemsProcessed.
            "items_per_second": b.get("records/s", b.get("addrs/s",
                                                         b.get("items_per_second", 0))),
            "ns": b.get("real_time", 0) if b.get("time_unit") == "ns" else None,
            "real_time": b.get("real_time", 0)}
    return out


def kernel_speed(k):
    """One number that is higher when a benchmark ran faster: its bytes/s, else its items/s,
    else the inverse of its time."""
    if k["gbps"]:
        return k["gbps"]
    if k["items_per_second"]:
        return k["items_per_second"]
    return 1 / k["real_time"] if k["real_time"] else 0


def summarize_kernels(meta):
    """The kernel microbenchmarks' medians. When scripts/bench ran them pinned to each CPU in
    turn ("kernels_by_cpu": {cpu: Google Benchmark JSON}), each benchmark's numbers are its
    faster CPU's, with every CPU's speed relative to that one in "by_cpu" (1.0 for the faster).
    The vCPUs of a cloud guest do not run at one speed: one can run a quarter slower than the
    other for a minute while the host runs something beside it (docs/performance-history.md,
    "Forty-sixth session"), so an unpinned run measured whichever the scheduler chose."""
    by_cpu = {cpu: kernel_medians(j.get("benchmarks", []))
              for cpu, j in meta.get("kernels_by_cpu", {}).items()}
    if not by_cpu:
        return [dict(name=name, **k)
                for name, k in kernel_medians(meta.get("kernels", {}).get("benchmarks", [])).items()]
    names = []
    for medians in by_cpu.values():
        names += [n for n in medians if n not in names]
    kernels = []
    for name in names:
        cells = {cpu: m[name] for cpu, m in by_cpu.items() if name in m}
        best_cpu = max(cells, key=lambda cpu: kernel_speed(cells[cpu]))
        best = cells[best_cpu]
        top = kernel_speed(best)
        kernels.append(dict(name=name, **best, cpu=best_cpu,
                            by_cpu={cpu: kernel_speed(k) / top if top else 1.0
                                    for cpu, k in cells.items()}))
    return kernels


def summarize(records):
    """Groups the raw records into the results: sets, runs, limits, checks, kernels."""
    meta = next(r for r in records if r["kind"] == "meta")
    sets = {r["set"]: r for r in records if r["kind"] == "set"}
    groups = {}
    for r in records:
        if r["kind"] == "run":
            groups.setdefault((r["tool"], r["set"], r["threads"], r["variant"]), []).append(r)
    runs = []
    for (tool, set_name, threads, variant), reps in groups.items():
        # DuckDB's time is the query alone (bench/duckdb_run.mjs), without node's start-up and
        # module load; everything else is the process's wall time.
        secs = [r["out"]["query_s"] if tool == "duckdb" else r["wall"] for r in reps]
        text_bytes = sets[set_name]["bytes"]
        t = spread(secs)
        runs.append({
            "tool": tool, "set": set_name, "threads": threads, "variant": variant,
            "reps": len(reps), "seconds": t,
            # [round, seconds] of each repetition, for ratios between runs of the same round.
            "by_rep": sorted([r.get("rep", i), x] for i, (r, x) in enumerate(zip(reps, secs))),
            "gbps": {"median": text_bytes / t["median"] / 1e9, "min": text_bytes / t["max"] / 1e9,
                     "max": text_bytes / t["min"] / 1e9},
            "process_wall": statistics.median(r["wall"] for r in reps),
            "cpu": statistics.median(r["user"] + r["sys"] for r in reps),
            "rss_mb": statistics.median(r["rss_kb"] for r in reps) * 1024 / 1e6,
        })
    limits = []
    for r in records:
        if r["kind"] == "limit":
            t = spread(r["seconds"])
            limits.append({"name": r["name"], "threads": r["threads"], "bytes": r["bytes"],
                           "gbps": {"median": r["bytes"] / t["median"] / 1e9,
                                    "min": r["bytes"] / t["max"] / 1e9,
                                    "max": r["bytes"] / t["min"] / 1e9}})
    # bench/limits.cc chase: nanoseconds a dependent random load, by block size.
    latency = sorted(({"bytes": r["bytes"], "ns": spread(r["ns"])}
                      for r in records if r["kind"] == "latency"), key=lambda x: x["bytes"])
    checks = {r["set"]: r["result"] for r in records if r["kind"] == "check"}
    kernels = summarize_kernels(meta)
    machine = {k: v for k, v in meta.items() if k not in ("kind", "kernels", "kernels_by_cpu")}
    instructions = [r for r in records if r["kind"] == "instructions"]
    return {"machine": machine, "sets": sets, "runs": runs, "limits": limits, "checks": checks,
            "kernels": kernels, "instructions": instructions, "latency": latency}


def find_run(res, tool, set_name, threads, variant):
    for r in res["runs"]:
        if (r["tool"], r["set"], r["threads"], r["variant"]) == (tool, set_name, threads, variant):
            return r
    return None


def find_limit(res, name, threads=1):
    for lim in res["limits"]:
        if (lim["name"], lim["threads"]) == (name, threads):
            return lim
    return None


def speed_ratio(res, a, b):
    """How many times faster run a is than run b (b's seconds / a's), with min and max.

    When the run interleaved its repetitions (scripts/bench: round k ran every configuration
    once) the ratio is the median of the per-round ratios: two runs of a round are minutes apart,
    so a slow spell of the machine hits both. Otherwise (older results) it is the ratio of the
    medians, and min and max are those of the extreme pairs."""
    if a is None or b is None:
        return None
    rounds_a, rounds_b = dict(a.get("by_rep", [])), dict(b.get("by_rep", []))
    common = sorted(set(rounds_a) & set(rounds_b))
    if res["machine"].get("interleaved") and common:
        ratios = [rounds_b[k] / rounds_a[k] for k in common]
        return spread(ratios)
    sa, sb = a["seconds"], b["seconds"]
    return {"median": sb["median"] / sa["median"], "min": sb["min"] / sa["max"],
            "max": sb["max"] / sa["min"]}


# DuckDB's queries (bench/sql/NAME.sql) in the report's order, with what each computes.
DUCKDB_QUERIES = {"windows": "windows table", "groupby": "plain GROUP BY",
                  "scan": "distinct-ports scan"}


def duckdb_queries(res):
    """The DuckDB queries the run measured (older runs have no groupby), in report order."""
    seen = {r["variant"] for r in res["runs"] if r["tool"] == "duckdb"}
    return [q for q in DUCKDB_QUERIES if q in seen]


def main_sets(res):
    """The v2, gz and v5 sets of the run's main size, in that order."""
    size = next(s["set"] for s in res["sets"].values() if s["set"].startswith("gz-")).split("-")[1]
    return [f"{kind}-{size}" for kind in ("v2", "gz", "v5") if f"{kind}-{size}" in res["sets"]]


def fmt(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}"


def describe_set(name):
    kind, size = name.split("-")
    what = {"v2": "v2 plain text, one file", "gz": "v2, 5-minute .gz objects in S3 layout",
            "v5": "v5 custom format (pkt-* addresses), plain",
            "v2x4": "v2 plain text four times (4 hard links to one file: the same keys)",
            "day": "v2 plain text, a day of 10,000 interfaces (sparse windows)",
            "small": "v2 as many small .gz objects (a quiet account's S3 prefix)"}[kind]
    return f"{size}iB {what}"


def set_command(s):
    """How a set was made: `flowsift gen` arguments, or (repeat sets) what it repeats."""
    if s["set"].startswith("v2x4-"):
        return f"4 hard links to the file of v2-{s['set'].split('-')[1]}"
    return f"`flowsift gen --out DIR {s['gen']}`"


def settle_text(m):
    """The machine table's cell for scripts/bench --settle."""
    settle = m.get("settle_s")
    if settle is None:
        return "none (before `--settle`)"
    if settle == 0:
        return "none"
    return (f"{settle} s (`--settle`): this VM's kernel hands freed memory back to the "
            "hypervisor, so every run starts as a job on an idle machine does, its memory "
            "faulted in afresh")


def size_text(n):
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n >> 10} KiB"


def render_latency(res):
    """The pointer-chase table: a random load's latency by working-set size, when measured."""
    lat = res.get("latency", [])
    if not lat:
        return []
    out = ["", "### Random loads by working-set size (same run)", "",
           "One core's dependent loads of random 64-byte lines of one block "
           "(`flowsift_limits chase`, 2 MiB pages where the kernel allows): each load waits for "
           "the level that holds a block of that size. Where the time jumps is the cache this "
           "process gets on this machine; the aggregation and detection tables larger than that "
           "cost a memory access per update, which the row loops prefetch to overlap.", "",
           "| block | ns a load [min-max] |", "|---|---|"]
    for x in lat:
        ns = x["ns"]
        out.append(f"| {size_text(x['bytes'])} | **{fmt(ns['median'], 1)}** "
                   f"[{fmt(ns['min'], 1)}-{fmt(ns['max'], 1)}] |")
    return out


def render_instructions(res):
    """The callgrind table: instructions per record by stage, with and without detection."""
    ins = {r["variant"]: r for r in res.get("instructions", [])}
    variants = [v for v in ("default", "no-detect") if v in ins]
    if not variants:
        return []
    first = ins[variants[0]]
    labels = {"default": "with detection", "no-detect": "`--no-detect`"}
    commit = f", commit `{first['commit']}`" if first.get("commit") else ""
    out = ["", f"### Instructions per record (callgrind, {first['set']}, one thread{commit})", "",
           f"`valgrind --tool=callgrind flowsift run DIR -o OUT -j 1 [--no-detect]` on the "
           f"{first['set']} set ({first['records']:,} records), functions grouped by stage "
           "(`bench/callgrind_stages.py`). Instruction counts do not move with the machine's "
           "noise: compare them across runs and commits where wall times cannot be. valgrind "
           "runs the AVX2 target (it has no AVX-512); on a small set the output phase's share is "
           "larger than on 1 GiB.", "",
           "| stage | " + " | ".join(labels[v] for v in variants) + " |",
           "|---|" + "---|" * len(variants)]
    order = [name for name, _ in callgrind_stages.STAGES] + ["other"]
    for stage in order:
        if not any(ins[v]["stages"].get(stage) for v in variants):
            continue
        cells = [f"{ins[v]['stages'].get(stage, 0) / ins[v]['records']:,.0f}" for v in variants]
        out.append(f"| {stage} | " + " | ".join(cells) + " |")
    out.append("| **total** | " + " | ".join(
        f"**{ins[v]['total'] / ins[v]['records']:,.0f}**" for v in variants) + " |")
    return out


def versus_duckdb_rows(res, set_name, middle):
    """Table rows, one per thread count, of flowsift against DuckDB's windows query on a set:
    threads, flowsift's seconds and GB/s, the cells middle(flowsift run) gives, DuckDB's seconds
    and peak RSS, and the speed ratio."""
    out = []
    for j in (1, 2):
        fs = find_run(res, "flowsift", set_name, j, "default")
        dk = find_run(res, "duckdb", set_name, j, "windows")
        if fs is None:
            continue
        s = fs["seconds"]
        duck = (f"{fmt(dk['seconds']['median'])} | {dk['rss_mb']:.0f}" if dk else "- | -")
        ratio = speed_ratio(res, fs, dk)
        ratio_text = (f"{fmt(ratio['median'])}x [{fmt(ratio['min'])}-{fmt(ratio['max'])}]"
                      if ratio else "-")
        out.append(f"| {j} | {fmt(s['median'])} [{fmt(s['min'])}-{fmt(s['max'])}] | "
                   f"{fmt(fs['gbps']['median'])} | {middle(fs)} | {duck} | {ratio_text} |")
    return out


def render_many_interfaces(res):
    """The day of 10,000 interfaces: flowsift and DuckDB's windows query, time and memory."""
    out = []
    for set_name in (s for s in res["sets"] if s.startswith("day-")):
        windows = res["checks"].get(set_name, {}).get("rows")
        count = f"{windows:,}" if windows else "?"
        out += ["", f"### Many interfaces: {describe_set(set_name)}", "",
                "A nightly job over a large account: every interface in every 10-minute window "
                f"of a day, {count} windows with a few records each (the main sets have "
                "200 interfaces over an hour). Time and memory follow the (interface, window) "
                "keys here, not the bytes. flowsift with every output and detection; DuckDB "
                "computing the windows table alone (its rows checked equal above).", "",
                "| threads | flowsift seconds | GB/s | peak RSS MB | RSS bytes per window | "
                "DuckDB seconds | DuckDB peak RSS MB | flowsift vs DuckDB |",
                "|---|---|---|---|---|---|---|---|"]
        out += versus_duckdb_rows(
            res, set_name, lambda fs: f"{fs['rss_mb']:.0f} | " +
            (f"{fs['rss_mb'] * 1e6 / windows:.0f}" if windows else "-"))
    return out


def render_small_objects(res):
    """Many small objects: flowsift and DuckDB's windows query, time per object and memory."""
    out = []
    for set_name in (s for s in res["sets"] if s.startswith("small-")):
        files = res["sets"][set_name]["files"]
        text = res["sets"][set_name]["bytes"]
        out += ["", f"### Many small objects: {describe_set(set_name)}", "",
                f"{files:,} `.gz` objects of {text / files / 1e3:,.0f} KB of text each: AWS "
                "writes a flow log's records every 5 minutes in as many objects as it takes, so "
                "a quiet account's prefix is thousands of objects of a few KB. Time here is per "
                "object (open, read, inflate set-up, a chunk and a batch each, a manifest entry) "
                "more than per byte. flowsift with every output and detection; DuckDB computing "
                "the windows table alone (its rows checked equal above).", "",
                "| threads | flowsift seconds | GB/s | ms of CPU per object | peak RSS MB | "
                "DuckDB seconds | DuckDB peak RSS MB | flowsift vs DuckDB |",
                "|---|---|---|---|---|---|---|---|"]
        out += versus_duckdb_rows(
            res, set_name, lambda fs: f"{fs['cpu'] * 1e3 / files:.3f} | {fs['rss_mb']:.0f}")
    return out


def render_section(res, plot_prefix):
    """BENCHMARKS.md's generated section, markers included."""
    m = res["machine"]
    flowsift_variants = sorted({r["variant"] for r in res["runs"] if r["tool"] == "flowsift"})
    out = [BENCH_BEGIN,
           "<!-- Generated by scripts/bench (bench/report.py); edits here are overwritten. -->",
           "",
           f"## Latest `scripts/bench` run: {m['date']}, commit `{m['commit']}`",
           "",
           f"`scripts/bench` ({m['mode']} mode), {m['reps']} repetitions per timing: medians with "
           "[min-max]. GB/s = 1e9 bytes of uncompressed text per second. Data in the page cache "
           "(a warm-up run first, and each timed run's inputs read again, untimed, just before "
           "it: some kernels evict files idle for a minute). flowsift: wall time of `flowsift "
           "run` (all outputs); DuckDB: query time inside one process (start-up and the result's "
           "conversion to JavaScript values excluded; its CPU s is the whole process's).",
           "",
           "| machine | |", "|---|---|",
           f"| CPU | {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB |",
           f"| SIMD target (`flowsift --version`) | {m['simd']} |",
           f"| heap pages (`flowsift --version`) | {m.get('heap_pages', '- (not recorded)')} |",
           f"| host, date | {m['host']}, {m['date']} |",
           f"| DuckDB | {m['duckdb']} (npm `@duckdb/node-api`) |",
           f"| load average (1, 5, 15 min) at the end | {m.get('loadavg_end', '-')} "
           "(other work on the machine; CPU s well below threads x seconds means it was busy) |",
           f"| idle before each timed run | {settle_text(m)} |",
           ""]
    if not m.get("no_detect_flag"):
        out += ["`flowsift run` has no `--no-detect` flag at this commit: only the default run "
                "(with detection where it exists) is measured.", ""]

    out += ["Data sets (`flowsift gen`):", "", "| set | command | text | files | on disk |",
            "|---|---|---|---|---|"]
    for s in res["sets"].values():
        out.append(f"| {describe_set(s['set'])} | {set_command(s)} | "
                   f"{s['bytes'] / 1e9:.2f} GB | {s['files']} | {s['disk_bytes'] / 1e9:.2f} GB |")

    out += ["", "### Throughput", "",
            "| set | tool | work | threads | GB/s | seconds [min-max] | CPU s | peak RSS MB |",
            "|---|---|---|---|---|---|---|---|"]
    for set_name in main_sets(res):
        rows = [r for r in res["runs"] if r["set"] == set_name and r["tool"] in ("flowsift", "duckdb")]
        rows.sort(key=lambda r: (r["tool"] != "flowsift", r["variant"], r["threads"]))
        for r in rows:
            work = {"default": "run, all outputs", "no-detect": "run --no-detect",
                    **DUCKDB_QUERIES}[r["variant"]]
            s = r["seconds"]
            out.append(f"| {set_name} | {r['tool']} | {work} | {r['threads']} | "
                       f"**{fmt(r['gbps']['median'])}** | {fmt(s['median'])} "
                       f"[{fmt(s['min'])}-{fmt(s['max'])}] | {fmt(r['cpu'], 1)} | "
                       f"{r['rss_mb']:.0f} |")

    paired = bool(m.get("interleaved"))
    how = "median of the per-round ratios [min-max]" if paired else "ratio of the medians"
    why = (" Each round ran every configuration of a data set once, so both sides of a ratio "
           "were measured a minute or two apart." if paired else "")

    def ratio_cell(r, digits=2):
        if r is None:
            return "-"
        return f"{fmt(r['median'], digits)}x [{fmt(r['min'], digits)}-{fmt(r['max'], digits)}]"

    out += ["", "### Ratios", "",
            f"Speed of `flowsift run` (all outputs) divided by the other's, same input and "
            f"threads: the {how}.{why}",
            "", "| flowsift vs | set | 1 thread | 2 threads |", "|---|---|---|---|"]

    def ratio(set_name, threads, other):
        fs = find_run(res, "flowsift", set_name, threads, "default")
        return fs["gbps"]["median"] / other if fs and other else None

    for set_name in main_sets(res):
        for query in duckdb_queries(res):
            cells = []
            for j in (1, 2):
                fs = find_run(res, "flowsift", set_name, j, "default")
                db = find_run(res, "duckdb", set_name, j, query)
                cells.append(ratio_cell(speed_ratio(res, fs, db)))
            out.append(f"| DuckDB, {query} | {set_name} | {cells[0]} | {cells[1]} |")
    if "groupby" in duckdb_queries(res):
        out += ["", "`windows` is the same table flowsift writes (equal work, checked below); "
                "`groupby` sums bytes and packets by (interface, action), four columns and a "
                "few hundred groups (`bench/sql/groupby.sql`): issue 4's 3 GB/s on two threads "
                "was three times DuckDB's speed on that query on the machine of "
                "`shared/reference/performance.md`, so 3x here is that target on this machine; "
                "`scan` counts distinct ports per source."]
    if "no-detect" in flowsift_variants:
        out += ["", "Detection's cost: time of `flowsift run` over `flowsift run --no-detect`, "
                f"minus one ({how}; SPEC target: within 25%):", "",
                "| set | 1 thread | 2 threads |", "|---|---|---|"]
        for set_name in main_sets(res):
            cells = []
            for j in (1, 2):
                r = speed_ratio(res, find_run(res, "flowsift", set_name, j, "no-detect"),
                                find_run(res, "flowsift", set_name, j, "default"))
                cells.append("-" if r is None else
                             f"{100 * (r['median'] - 1):+.0f}% [{100 * (r['min'] - 1):+.0f}% to "
                             f"{100 * (r['max'] - 1):+.0f}%]")
            out.append(f"| {set_name} | {cells[0]} | {cells[1]} |")
    gz = next((s for s in main_sets(res) if s.startswith("gz-")), None)
    v2 = next((s for s in main_sets(res) if s.startswith("v2-")), None)

    def share(set_name, threads, lim):  # flowsift's speed as a share of a limit's
        r = ratio(set_name, threads, lim and lim["gbps"]["median"])
        return f"{100 * r:.0f}%" if r else "-"

    out += ["", "Speed of `flowsift run` as a share of the machine's limits (same run; the "
            "1-core limits are doubled for 2 threads):", "",
            "| limit | set | 1 thread | 2 threads |", "|---|---|---|---|"]
    inflate = [find_limit(res, "inflate", j) for j in (1, 2)]
    out.append(f"| ISA-L inflate alone | {gz} | {share(gz, 1, inflate[0])} | "
               f"{share(gz, 2, inflate[1])} |")
    wc = find_run(res, "wc -l", v2, 1, "default")
    for label, lim in (("page-cache read via mmap", find_limit(res, "mmap")),
                       ("DRAM read", find_limit(res, "memread")), ("`wc -l`", wc)):
        double = lim and {"gbps": {"median": 2 * lim["gbps"]["median"]}}
        out.append(f"| {label} | {v2} | {share(v2, 1, lim)} | {share(v2, 2, double)} |")
    out += ["", f"1 -> 2 threads speed-up ({how}):", "", "| tool, work | " +
            " | ".join(main_sets(res)) + " |", "|---|" + "---|" * len(main_sets(res))]
    for tool, variant in [("flowsift", v) for v in flowsift_variants] + [
            ("duckdb", q) for q in duckdb_queries(res)]:
        cells = []
        for set_name in main_sets(res):
            a, b = (find_run(res, tool, set_name, j, variant) for j in (2, 1))
            cells.append(ratio_cell(speed_ratio(res, a, b)))
        out.append(f"| {tool} {variant} | " + " | ".join(cells) + " |")

    out += ["", "### Machine limits (same run)", "", "| limit | threads | GB/s [min-max] |",
            "|---|---|---|"]
    names = {"memread": "DRAM read, sum of u64 over 1 GiB (bench/limits.cc)",
             "mmap": f"page cache: mmap + first touch + sum of u64, {v2}",
             "inflate": f"ISA-L `isal_inflate` alone, {gz}, files shared by the threads"}
    for lim in res["limits"]:
        g = lim["gbps"]
        out.append(f"| {names[lim['name']]} | {lim['threads']} | **{fmt(g['median'])}** "
                   f"[{fmt(g['min'])}-{fmt(g['max'])}] |")
    if wc:
        g = wc["gbps"]
        out.append(f"| `wc -l` on {v2} | 1 | **{fmt(g['median'])}** "
                   f"[{fmt(g['min'])}-{fmt(g['max'])}] |")

    out += render_latency(res)

    out += ["", "### DuckDB's windows table equals flowsift's", "",
            "All 17 columns of every row exact, except distinct_srcaddr and distinct_dstaddr "
            "counts above 2048, where flowsift's HyperLogLog may differ by up to 2% (SPEC 3.1).",
            "",
            "| set | rows | equal | rows with a distinct count > 2048 | largest relative error there |",
            "|---|---|---|---|---|"]
    for set_name, c in res["checks"].items():
        equal = "yes" if c["equal"] else f"**NO**: {c['mismatch_count']} differences, e.g. " + \
            "; ".join(c["mismatches"][:2])
        out.append(f"| {set_name} | {c['rows']} | {equal} | {c['tolerance_rows']} | "
                   f"{100 * c['max_rel_error']:.2f}% |")

    scaling = sorted((r for r in res["runs"] if r["tool"] == "flowsift" and r["threads"] == 2
                      and r["variant"] == "default" and r["set"].startswith("v2-")),
                     key=lambda r: res["sets"][r["set"]]["bytes"])
    out += ["", "### Input size (v2 plain, 2 threads, `flowsift run`)", "",
            "| input | GB/s | seconds | peak RSS MB |", "|---|---|---|---|"]
    for r in scaling:
        out.append(f"| {res['sets'][r['set']]['bytes'] / 1e9:.2f} GB | {fmt(r['gbps']['median'])} | "
                   f"{fmt(r['seconds']['median'])} | {r['rss_mb']:.0f} |")
    # The generated sets of each size have more distinct keys (sources, ports) the larger they
    # are; a repeat set has the keys of one set and four times its input, so it alone tests
    # that memory follows the keys and not the input size.
    repeats = [r for r in res["runs"] if r["tool"] == "flowsift" and r["threads"] == 2
               and r["variant"] == "default" and r["set"].startswith("v2x4-")]
    for r in repeats:
        single = find_run(res, "flowsift", "v2-" + r["set"].split("-")[1], 2, "default")
        growth = (f" ({100 * (r['rss_mb'] / single['rss_mb'] - 1):+.0f}% against once)"
                  if single else "")
        out.append(f"| {res['sets'][r['set']]['bytes'] / 1e9:.2f} GB: the "
                   f"{r['set'].split('-')[1]}iB file four times, the same keys | "
                   f"{fmt(r['gbps']['median'])} | {fmt(r['seconds']['median'])} | "
                   f"{r['rss_mb']:.0f}{growth} |")
    if repeats:
        out += ["", "The generated sets hold more distinct keys (sources, ports, detection "
                "states) the larger they are, and peak RSS follows the keys. The last row has "
                "the keys of the main set and four times its input. Without detection its RSS "
                "is that of one pass (by hand, twelfth session: 146 and 144 MB of anonymous "
                "memory for one and eight passes of 256 MiB); with detection a source whose "
                "failed attempts in a window pass 64 (16 before `fc9071b`) gets per-port and "
                "per-destination states, "
                "and repeated records take more sources past that line: a bounded step (by "
                "hand at 16, 256 MiB: 240 MB once, 244 MB twice, 272 MB four times, 275 MB eight "
                "times), not growth with the input."]

    out += render_many_interfaces(res)
    out += render_small_objects(res)

    out += render_kernels(res)

    out += render_instructions(res)

    out += ["", f"![throughput by tool and threads]({plot_prefix}-throughput.png)",
            f"![throughput against input size]({plot_prefix}-size.png)",
            f"![peak RSS against input size]({plot_prefix}-rss.png)", "", BENCH_END]
    return "\n".join(out) + "\n"


def render_kernels(res):
    """The kernel microbenchmarks' table; with the runs pinned to each CPU, the faster CPU's
    medians and how much slower the other ran."""
    kernels = res["kernels"]
    if not kernels:
        return []
    pinned = all("by_cpu" in k for k in kernels)
    out = ["", "### Kernels (`flowsift_bench`, medians)", ""]
    if pinned:
        cpus = sorted({cpu for k in kernels for cpu in k["by_cpu"]}, key=int)
        slowest = min(kernels, key=lambda k: min(k["by_cpu"].values()))
        gap = 1 - min(slowest["by_cpu"].values())
        out += [f"Each benchmark ran pinned to CPU {' and '.join(cpus)} in turn (`taskset`, one "
                "after the other): the table has the faster CPU's medians. This guest's vCPUs "
                "do not always run at one speed (one ran about a quarter slower than the other for "
                "minutes at a time in the forty-sixth session: the host runs other work beside "
                "it), and an unpinned run measured whichever the scheduler picked. The "
                f"largest gap in this run: {slowest['name']}, {pct(gap)} slower on the other "
                "CPU.", "",
                "| benchmark | GB/s | M items/s | CPU | other CPU |", "|---|---|---|---|---|"]
    else:
        out += ["| benchmark | GB/s | M items/s |", "|---|---|---|"]
    for k in kernels:
        row = (f"| {k['name']} | {fmt(k['gbps']) if k['gbps'] else '-'} | "
               f"{fmt(k['items_per_second'] / 1e6, 1) if k['items_per_second'] else '-'} |")
        if pinned:
            others = [v for cpu, v in k["by_cpu"].items() if cpu != k["cpu"]]
            row += f" {k['cpu']} | {', '.join(pct(1 - v) + ' slower' for v in others) or '-'} |"
        out.append(row)
    return out


def pct(x):
    return f"{100 * x:.0f}%"


def replace_section(markdown, section):
    """Replaces BENCH_BEGIN..BENCH_END in markdown (appends the section when there is none)."""
    begin, end = markdown.find(BENCH_BEGIN), markdown.find(BENCH_END)
    if begin < 0 or end < begin:
        return markdown.rstrip("\n") + "\n\n" + section
    tail = markdown[end + len(BENCH_END):]
    return markdown[:begin] + section.rstrip("\n") + tail


GNUPLOT_COMMON = """set terminal pngcairo size 960,540 font ',10'
set grid ytics
set key top left
"""


def plot(res, prefix):
    """Writes PREFIX-throughput.png, PREFIX-size.png and PREFIX-rss.png with gnuplot."""
    bars = []
    for set_name in main_sets(res):
        for tool, variant in [("flowsift", "default"), ("flowsift", "no-detect")] + [
                ("duckdb", q) for q in duckdb_queries(res)]:
            cells = [find_run(res, tool, set_name, j, variant) for j in (1, 2)]
            if any(cells):
                label = f"{tool} {variant if variant != 'default' else 'run'} {set_name}"
                bars.append((label, *(c["gbps"]["median"] if c else 0 for c in cells)))
    # The page-cache and DRAM limits are 10-100x higher and would flatten every other bar.
    for name, label in (("inflate", "ISA-L inflate (limit)"),):
        cells = [find_limit(res, name, j) for j in (1, 2)]
        bars.append((label, *(c["gbps"]["median"] if c else 0 for c in cells)))
    with open(prefix + "-throughput.dat", "w") as f:
        for b in bars:
            f.write(f'"{b[0]}" {b[1]:.4f} {b[2]:.4f}\n')
    scaling = sorted((r for r in res["runs"] if r["tool"] == "flowsift" and r["threads"] == 2
                      and r["variant"] == "default" and r["set"].startswith("v2-")),
                     key=lambda r: res["sets"][r["set"]]["bytes"])
    with open(prefix + "-size.dat", "w") as f:
        for r in scaling:
            f.write(f"{res['sets'][r['set']]['bytes'] / 1e9:.4f} {r['gbps']['median']:.4f} "
                    f"{r['rss_mb']:.1f}\n")
    name = os.path.basename(prefix)
    script = GNUPLOT_COMMON + f"""
set output '{prefix}-throughput.png'
set title 'Throughput by tool and threads ({name}; GB/s of uncompressed text, medians)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set xtics rotate by -35 scale 0 font ',9'
set ylabel 'GB/s'
set yrange [0:*]
set bmargin 9
set rmargin 10
plot '{prefix}-throughput.dat' using 2:xtic(1) title '1 thread', '' using 3 title '2 threads'
"""
    if scaling:  # gnuplot fails on an empty data file
        script += f"""
unset style
unset xtics
set xtics
set bmargin
set logscale x 2
set xlabel 'input (GB of text, v2 plain)'
set output '{prefix}-size.png'
set title 'flowsift run, 2 threads: throughput against input size'
plot '{prefix}-size.dat' using 1:2 with linespoints lw 2 pt 7 title 'GB/s'
set output '{prefix}-rss.png'
set title 'flowsift run, 2 threads: peak RSS against input size'
set ylabel 'peak RSS (MB)'
plot '{prefix}-size.dat' using 1:3 with linespoints lw 2 pt 7 title 'peak RSS'
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    for ext in ("-throughput.dat", "-size.dat"):
        os.remove(prefix + ext)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("--results", help="write the results JSON (summary and raw records) here")
    ap.add_argument("--plots", help="write the PNG plots into this directory")
    ap.add_argument("--markdown", help="regenerate the marked section of this file")
    ap.add_argument("--print", action="store_true", help="print the section to stdout")
    args = ap.parse_args()

    records = load_records(args.input)
    res = summarize(records)
    name = res["machine"]["name"]
    if args.results:
        with open(args.results, "w") as f:
            json.dump({**res, "raw": records}, f, indent=1)
            f.write("\n")
    plot_dir = args.plots or "bench/results"
    if args.plots:
        os.makedirs(plot_dir, exist_ok=True)
        plot(res, os.path.join(plot_dir, name))
    section = render_section(res, os.path.join(os.path.relpath(plot_dir), name))
    if args.markdown:
        with open(args.markdown) as f:
            text = f.read()
        with open(args.markdown, "w") as f:
            f.write(replace_section(text, section))
    if args.print or not args.markdown:
        sys.stdout.write(section)
    # A set whose windows differ: the results and the section are written (its row says NO),
    # but the run fails, as its ratios against DuckDB are not of the same work.
    unequal = [name for name, c in res["checks"].items() if not c["equal"]]
    for name in unequal:
        c = res["checks"][name]
        print(f"report: DuckDB's windows table differs from flowsift's on {name}: "
              f"{c['mismatch_count']} differences, e.g. {'; '.join(c['mismatches'][:2])}",
              file=sys.stderr)
    return 1 if unequal else 0


if __name__ == "__main__":
    sys.exit(main())
