#!/usr/bin/python3
"""Keeps scripts/bench honest without benchmarking: the report generator on a checked-in sample
of measurements, the windows comparison on small CSVs, and DuckDB's windows SQL against flowsift
on a tiny generated set (DuckDB from the bench cache: scripts/install-deps --duckdb).

Usage: report_test.py --source DIR [--flowsift BINARY] [unittest arguments]
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import unittest

ap = argparse.ArgumentParser()
ap.add_argument("--source", required=True)
ap.add_argument("--flowsift")
ap.add_argument("--flowsift-bench")
ARGS, UNITTEST_ARGS = ap.parse_known_args()
sys.path.insert(0, os.path.join(ARGS.source, "bench"))
import ab  # noqa: E402
import callgrind_stages  # noqa: E402
import compare_windows  # noqa: E402
import report  # noqa: E402

SAMPLE = os.path.join(ARGS.source, "tests", "bench", "sample_raw.jsonl")
DUCKDB_MODULES = os.path.join(ab.bench_cache(), "duckdb")


def add_versus_duckdb_runs(records, set_name, rounds, cpu, rss_kb, duckdb_rss_kb, rows):
    """Appends flowsift's default run and DuckDB's windows query on set_name, one of each per
    round: rounds is ((threads, walls, query seconds), ...), cpu(wall, threads) gives flowsift's
    (user, sys), rss_kb is flowsift's peak RSS per thread, rows the windows DuckDB returns."""
    for j, walls, queries in rounds:
        for rep, (wall, q) in enumerate(zip(walls, queries)):
            user, sys_s = cpu(wall, j)
            records.append({"kind": "run", "tool": "flowsift", "set": set_name, "threads": j,
                            "variant": "default", "rep": rep, "wall": wall, "user": user,
                            "sys": sys_s, "rss_kb": rss_kb * j, "out": None})
            records.append({"kind": "run", "tool": "duckdb", "set": set_name, "threads": j,
                            "variant": "windows", "rep": rep, "wall": q + 0.4, "user": q,
                            "sys": 0, "rss_kb": duckdb_rss_kb, "out": {"query_s": q, "rows": rows}})


class ReportTest(unittest.TestCase):
    def setUp(self):
        self.res = report.summarize(report.load_records(SAMPLE))
        self.section = report.render_section(self.res, "bench/results/sample")

    def test_medians_and_throughput(self):
        run = report.find_run(self.res, "flowsift", "v2-64M", 2, "default")
        # sample: walls 0.50, 0.40, 0.45 s over 64,000,000 bytes -> median 0.45 s.
        self.assertEqual(run["reps"], 3)
        self.assertAlmostEqual(run["seconds"]["median"], 0.45)
        self.assertAlmostEqual(run["gbps"]["median"], 0.064 / 0.45)
        self.assertAlmostEqual(run["gbps"]["min"], 0.064 / 0.50)
        # DuckDB is timed by its query time, not the process wall.
        db = report.find_run(self.res, "duckdb", "v2-64M", 2, "windows")
        self.assertAlmostEqual(db["seconds"]["median"], 1.6)

    def test_instructions_per_record_by_stage(self):
        # Stages in pipeline order, per record, both variants; a stage one variant lacks is 0.
        self.assertIn("### Instructions per record (callgrind, v2-64M, one thread, commit "
                      "`abc1234`)", self.section)
        self.assertIn("| stage | with detection | `--no-detect` |", self.section)
        self.assertIn("| parse: integer columns | 275 | 275 |", self.section)
        self.assertIn("| detection | 410 | 0 |", self.section)
        self.assertIn("| **total** | **2,400** | **1,900** |", self.section)
        self.assertLess(self.section.index("| parse: integer columns"),
                        self.section.index("| aggregation: windows"))

    def test_callgrind_stages_groups_functions_and_keeps_the_total(self):
        text = """--------------------------------------------------------------------------------
1,000,000 (100.0%)  PROGRAM TOTALS

--------------------------------------------------------------------------------
Ir                     file:function
--------------------------------------------------------------------------------
400,000 (40.00%)  ???:flowsift::Aggregator::AddRows(flowsift::ParsedBatch const&) [/x/flowsift]
200,000 (20.00%)  ???:flowsift::kernels::N_AVX2::ParseUintColumn(unsigned char const*) [/x]
100,000 (10.00%)  ???:flowsift::Detector::AddRows(flowsift::ParsedBatch const&) [/x/flowsift]
 50,000 ( 5.00%)  ???:flowsift::DistinctCounter::GrowTable(unsigned int) [/x/flowsift]
 50,000 ( 5.00%)  ./string/memset-vec-unaligned-erms.S:__memset_avx2_unaligned_erms [/lib/libc.so.6]
 10,000 ( 1.00%)  ???:_dl_relocate_object [/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2]
  8,000 ( 0.80%)  ???:flowsift::(anonymous namespace)::CopySpans(unsigned char const*) [/x]
  4,000 ( 0.40%)  ???:flowsift::(anonymous namespace)::ScanFastLines(unsigned int const*) [/x]
  2,000 ( 0.20%)  ???:flowsift::(anonymous namespace)::ChunkParser::InternBlock(unsigned long) [/x]
"""
        total, stages = callgrind_stages.parse(text)
        self.assertEqual(total, 1000000)
        self.assertEqual(stages["aggregation: windows, talkers, exposure"], 400000)
        self.assertEqual(stages["parse: integer columns"], 200000)
        self.assertEqual(stages["detection"], 100000)
        self.assertEqual(stages["distinct counters (windows, exposure, detection)"], 50000)
        self.assertEqual(stages["memory: allocation, clearing, copies"], 50000)
        # The parse's own loops outside the kernels, in and out of ChunkParser.
        self.assertEqual(stages["parse: spans, row checks, interning"], 14000)
        # The loader and everything under the listing's threshold: the stages add up.
        self.assertEqual(stages["other"], 186000)
        self.assertEqual(sum(stages.values()), total)
        with self.assertRaises(ValueError):
            callgrind_stages.parse("not callgrind output")

    def test_section_has_ratios_and_check(self):
        self.assertTrue(self.section.startswith(report.BENCH_BEGIN))
        self.assertTrue(self.section.rstrip().endswith(report.BENCH_END))
        # The sample's repetitions were not interleaved: ratios of medians, [min-max] from the
        # extreme pairs. flowsift 0.45 s vs DuckDB windows 1.6 s with 2 threads: 3.56x (1.5/0.5
        # to 1.7/0.4); 1 thread 0.8 vs 3.2 s: 4x (3.0/0.9 to 3.4/0.7).
        self.assertIn("| DuckDB, windows | v2-64M | 4.00x [3.33-4.86] | 3.56x [3.00-4.25] |",
                      self.section)
        self.assertIn("the ratio of the medians", self.section)
        self.assertIn("| flowsift default | 1.78x [1.40-2.25] |", self.section)
        self.assertNotIn("Detection's cost", self.section)
        self.assertIn("| v5-64M | 1400 | **NO**: 1 differences", self.section)
        self.assertIn("| gz-64M | 1400 | yes | 12 | 0.80% |", self.section)
        self.assertIn("no `--no-detect` flag", self.section)
        self.assertIn("| 0.26 GB | 0.37 | 0.70 | 150 |", self.section)
        # The repeat set: 4 x 64 MB in a median 1.7 s; RSS 139.8 MB against 133.1 MB once.
        self.assertIn("| 0.26 GB: the 64MiB file four times, the same keys | 0.15 | 1.70 | "
                      "140 (+5% against once) |", self.section)
        self.assertIn("| 64MiB v2 plain text four times (4 hard links to one file: the same "
                      "keys) | 4 hard links to the file of v2-64M | 0.26 GB | 4 | 0.06 GB |",
                      self.section)
        self.assertIn("![peak RSS against input size](bench/results/sample-rss.png)", self.section)
        # The sample predates --settle.
        self.assertIn("| idle before each timed run | none (before `--settle`) |", self.section)
        self.assertIn("| heap pages (`flowsift --version`) | - (not recorded) |", self.section)

    def test_groupby_yardstick_rows_only_when_measured(self):
        # The sample predates bench/sql/groupby.sql: no row, no note.
        self.assertNotIn("groupby", self.section)
        self.assertNotIn("plain GROUP BY", self.section)
        records = report.load_records(SAMPLE)
        for j, query_s in ((1, (1.2, 1.4, 1.6)), (2, (0.7, 0.8, 0.9))):
            for rep, q in enumerate(query_s):
                records.append({"kind": "run", "tool": "duckdb", "set": "v2-64M", "threads": j,
                                "variant": "groupby", "rep": rep, "wall": q + 0.4, "user": q,
                                "sys": 0, "rss_kb": 200000,
                                "out": {"query_s": q, "rows": 600}})
        section = report.render_section(report.summarize(records), "bench/results/sample")
        # flowsift 0.8 s vs DuckDB's group-by 1.4 s on 1 thread: 1.75x (1.2/0.9 to 1.6/0.7);
        # 0.45 s vs 0.8 s on 2 threads: 1.78x (0.7/0.5 to 0.9/0.4). Between windows and scan.
        row = "| DuckDB, groupby | v2-64M | 1.75x [1.33-2.29] | 1.78x [1.40-2.25] |"
        self.assertIn(row, section)
        self.assertLess(section.index("| DuckDB, windows | v2-64M"), section.index(row))
        self.assertLess(section.index(row), section.index("| DuckDB, scan | v2-64M"))
        self.assertIn("| v2-64M | duckdb | plain GROUP BY | 1 |", section)
        self.assertIn("issue 4's 3 GB/s on two threads was three times DuckDB's speed", section)
        self.assertIn("| duckdb groupby |", section)

    def test_many_interfaces_table_only_when_measured(self):
        # The sample predates the day-of-10,000-interfaces set: no table.
        self.assertNotIn("### Many interfaces", self.section)
        records = report.load_records(SAMPLE)
        records.append({"kind": "set", "set": "day-64M", "gen": "--bytes 64M --seed 3 "
                        "--interfaces 10000 --hours 24", "bytes": 64000000, "files": 1,
                        "disk_bytes": 64000000})
        records.append({"kind": "check", "set": "day-64M", "result": {
            "rows": 200000, "duckdb_rows": 200000, "equal": True, "tolerance_rows": 0,
            "max_rel_error": 0.0, "mismatch_count": 0, "mismatches": []}})
        add_versus_duckdb_runs(records, "day-64M", ((1, (2.0, 1.6, 1.8), (5.0, 4.0, 6.0)),
                                                    (2, (1.0, 1.2, 1.1), (3.0, 3.6, 3.3))),
                               cpu=lambda wall, j: (wall, 0), rss_kb=100000, duckdb_rss_kb=300000,
                               rows=200000)
        section = report.render_section(report.summarize(records), "bench/results/sample")
        self.assertIn("### Many interfaces: 64MiB v2 plain text, a day of 10,000 interfaces", section)
        self.assertIn("every 10-minute window of a day, 200,000 windows", section)
        # 1 thread: flowsift median 1.8 s (64 MB: 0.036 GB/s), 102.4 MB of RSS over 200,000
        # windows = 512 bytes each; DuckDB 5.0 s, 307 MB; ratios of medians (not interleaved):
        # 5.0/1.8 = 2.78x, 4.0/2.0 = 2.00x to 6.0/1.6 = 3.75x.
        self.assertIn("| 1 | 1.80 [1.60-2.00] | 0.04 | 102 | 512 | 5.00 | 307 | "
                      "2.78x [2.00-3.75] |", section)
        self.assertIn("| 2 | 1.10 [1.00-1.20] | 0.06 | 205 | 1024 | 3.30 | 307 |", section)
        self.assertIn("| 64MiB v2 plain text, a day of 10,000 interfaces (sparse windows) | "
                      "`flowsift gen --out DIR --bytes 64M --seed 3 --interfaces 10000 --hours 24`",
                      section)
        # After the input sizes, before the kernels.
        self.assertLess(section.index("### Input size"), section.index("### Many interfaces"))
        self.assertLess(section.index("### Many interfaces"), section.index("### Kernels"))

    def test_small_objects_table_only_when_measured(self):
        # The sample predates the many-small-objects set: no table.
        self.assertNotIn("### Many small objects", self.section)
        records = report.load_records(SAMPLE)
        records.append({"kind": "set", "set": "small-16M", "gen": "--bytes 16M --seed 3 "
                        "--files 1000 --compress gz", "bytes": 16000000, "files": 1000,
                        "disk_bytes": 5000000})
        add_versus_duckdb_runs(records, "small-16M",
                               ((1, (0.2, 0.3, 0.25), (1.0, 1.2, 0.9)),
                                (2, (0.15, 0.2, 0.1), (0.6, 0.8, 0.7))),
                               cpu=lambda wall, j: (wall * j, 0.05), rss_kb=50000,
                               duckdb_rss_kb=200000, rows=1000)
        section = report.render_section(report.summarize(records), "bench/results/sample")
        self.assertIn("### Many small objects: 16MiB v2 as many small .gz objects", section)
        self.assertIn("1,000 `.gz` objects of 16 KB of text each", section)
        # 1 thread: median wall 0.25 s (16 MB: 0.064 GB/s), CPU median 0.30 s over 1,000 objects
        # = 0.300 ms each, 51 MB; DuckDB 1.0 s; ratios of medians: 1.0/0.25 = 4.00x, 0.9/0.3 =
        # 3.00x to 1.2/0.2 = 6.00x.
        self.assertIn("| 1 | 0.25 [0.20-0.30] | 0.06 | 0.300 | 51 | 1.00 | 205 | "
                      "4.00x [3.00-6.00] |", section)
        # 2 threads: wall 0.15 s, CPU 2 * 0.15 + 0.05 = 0.35 s: 0.350 ms an object.
        self.assertIn("| 2 | 0.15 [0.10-0.20] | 0.11 | 0.350 | 102 | 0.70 | 205 |", section)
        self.assertLess(section.index("### Input size"), section.index("### Many small objects"))
        self.assertLess(section.index("### Many small objects"), section.index("### Kernels"))

    def test_latency_table_only_when_measured(self):
        # The sample predates `flowsift_limits chase`: no table.
        self.assertNotIn("Random loads by working-set size", self.section)
        records = report.load_records(SAMPLE)
        # Out of order on purpose: the table is by size.
        for kib, ns in ((16384, [118.0, 131.5, 112.25]), (256, [4.9, 5.3, 4.3]),
                        (4096, [17.4, 41.0, 26.4])):
            records.append({"kind": "latency", "name": "chase", "threads": 1,
                            "bytes": kib << 10, "ns": ns, "checksum": 1})
        res = report.summarize(records)
        self.assertEqual([x["bytes"] >> 10 for x in res["latency"]], [256, 4096, 16384])
        section = report.render_section(res, "bench/results/sample")
        rows = ["| 256 KiB | **4.9** [4.3-5.3] |", "| 4 MiB | **26.4** [17.4-41.0] |",
                "| 16 MiB | **118.0** [112.2-131.5] |"]
        for row in rows:
            self.assertIn(row, section)
        self.assertLess(section.index(rows[0]), section.index(rows[1]))
        self.assertLess(section.index(rows[1]), section.index(rows[2]))
        # After the machine's limits, before the DuckDB check.
        self.assertLess(section.index("### Machine limits"), section.index(rows[0]))
        self.assertLess(section.index(rows[2]), section.index("### DuckDB's windows table"))

    def test_interleaved_rounds_give_paired_ratios(self):
        records = report.load_records(SAMPLE)
        for r in records:
            if r["kind"] == "meta":
                r["interleaved"] = True
                r["no_detect_flag"] = True
                r["settle_s"] = 6
                r["heap_pages"] = "4 KiB (this VM's kernel reports free pages to its hypervisor)"
        for rep, wall in enumerate((0.5, 0.6, 0.7)):
            records.append({"kind": "run", "tool": "flowsift", "set": "v2-64M", "threads": 1,
                            "variant": "no-detect", "rep": rep, "wall": wall, "user": wall,
                            "sys": 0, "rss_kb": 100000, "out": None})
        res = report.summarize(records)
        section = report.render_section(res, "bench/results/sample")
        # Per round, DuckDB windows over flowsift: 3.0/0.8, 3.2/0.9, 3.4/0.7 (1 thread) and
        # 1.5/0.5, 1.6/0.4, 1.7/0.45 (2 threads): medians 3.75 and 3.78, not 4.00 and 3.56.
        self.assertIn("| DuckDB, windows | v2-64M | 3.75x [3.56-4.86] | 3.78x [3.00-4.00] |",
                      section)
        self.assertIn("the median of the per-round ratios [min-max]. Each round", section)
        self.assertIn("| idle before each timed run | 6 s (`--settle`): this VM's kernel", section)
        self.assertIn("| heap pages (`flowsift --version`) | 4 KiB (this VM's kernel reports free "
                      "pages to its hypervisor) |", section)
        # 1 -> 2 threads per round: 0.8/0.5, 0.9/0.4, 0.7/0.45.
        self.assertIn("| flowsift default | 1.60x [1.56-2.25] |", section)
        # Detection: 0.8/0.5, 0.9/0.6, 0.7/0.7 -> +50% (+0% to +60%); no 2-thread no-detect run.
        self.assertIn("| v2-64M | +50% [+0% to +60%] | - |", section)
        # A configuration that misses a round is paired over the rounds both have.
        a = report.find_run(res, "flowsift", "v2-64M", 1, "default")
        b = report.find_run(res, "duckdb", "v2-64M", 1, "windows")
        a = dict(a, by_rep=a["by_rep"][:2])
        self.assertAlmostEqual(report.speed_ratio(res, a, b)["median"], (3.0 / 0.8 + 3.2 / 0.9) / 2)

    def test_unpinned_kernels_keep_the_plain_table(self):
        names = [k["name"] for k in self.res["kernels"]]
        self.assertIn("BM_IndexDelimiters", names)
        self.assertIn("| benchmark | GB/s | M items/s |\n", self.section)
        self.assertNotIn("other CPU", self.section)

    def test_kernel_items_per_second_by_counter(self):
        # The address benchmarks count in "addrs/s": their M items/s had been "-".
        medians = report.kernel_medians([
            {"name": "BM_ParseAddrColumn/0_median", "run_name": "BM_ParseAddrColumn/0",
             "aggregate_name": "median", "time_unit": "us", "real_time": 500.0,
             "bytes_per_second": 3e9, "addrs/s": 2e8},
            {"name": "BM_Aggregate_median", "run_name": "BM_Aggregate", "aggregate_name": "median",
             "time_unit": "ms", "real_time": 2.0, "records/s": 1.3e7},
            {"name": "BM_DistinctAdd/420_median", "run_name": "BM_DistinctAdd/420",
             "aggregate_name": "median", "time_unit": "ns", "real_time": 7000.0,
             "items_per_second": 8.2e8}])
        self.assertEqual({k: v["items_per_second"] for k, v in medians.items()},
                         {"BM_ParseAddrColumn/0": 2e8, "BM_Aggregate": 1.3e7,
                          "BM_DistinctAdd/420": 8.2e8})

    def test_kernels_pinned_to_each_cpu_take_the_faster_one(self):
        def bench(name, aggregate, **values):
            return {"name": f"{name}_{aggregate}", "run_name": name, "aggregate_name": aggregate,
                    "time_unit": "ms", **values}
        records = report.load_records(SAMPLE)
        meta = next(r for r in records if r["kind"] == "meta")
        meta.pop("kernels", None)
        meta["kernels_by_cpu"] = {
            "0": {"benchmarks": [
                bench("BM_Parse", "median", bytes_per_second=1.5e9, real_time=40.0),
                bench("BM_Parse", "mean", bytes_per_second=9e9, real_time=1.0),  # not a median
                bench("BM_Detect", "median", real_time=120.0, **{"records/s": 20e6}),
                bench("BM_Sketch", "median", real_time=8.0)]},
            "1": {"benchmarks": [
                bench("BM_Parse", "median", bytes_per_second=2.0e9, real_time=30.0),
                bench("BM_Detect", "median", real_time=100.0, **{"records/s": 16e6}),
                bench("BM_Sketch", "median", real_time=10.0)]},
        }
        res = report.summarize(records)
        kernels = {k["name"]: k for k in res["kernels"]}
        self.assertEqual(list(kernels), ["BM_Parse", "BM_Detect", "BM_Sketch"])
        # Bytes/s first, then items/s, then time decide which CPU was faster.
        self.assertEqual(kernels["BM_Parse"]["cpu"], "1")
        self.assertAlmostEqual(kernels["BM_Parse"]["gbps"], 2.0)
        self.assertAlmostEqual(kernels["BM_Parse"]["by_cpu"]["0"], 0.75)
        self.assertEqual(kernels["BM_Detect"]["cpu"], "0")
        self.assertAlmostEqual(kernels["BM_Detect"]["by_cpu"]["1"], 0.8)
        self.assertEqual(kernels["BM_Sketch"]["cpu"], "0")
        self.assertAlmostEqual(kernels["BM_Sketch"]["by_cpu"]["1"], 0.8)
        self.assertNotIn("kernels_by_cpu", res["machine"])
        section = report.render_section(res, "bench/results/sample")
        self.assertIn("| benchmark | GB/s | M items/s | CPU | other CPU |", section)
        self.assertIn("| BM_Parse | 2.00 | - | 1 | 25% slower |", section)
        self.assertIn("| BM_Detect | - | 20.0 | 0 | 20% slower |", section)
        self.assertIn("pinned to CPU 0 and 1 in turn", section)
        self.assertIn("The largest gap in this run: BM_Parse, 25% slower on the other CPU.",
                      section)

    def test_results_json_reloads(self):
        # A results JSON is indented and its "raw" member comes after the summary.
        records = report.load_records(SAMPLE)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "results.json")
            with open(path, "w") as f:
                json.dump({**report.summarize(records), "raw": records}, f, indent=1)
            self.assertEqual(report.load_records(path), records)

    def test_unequal_windows_fail_the_run(self):
        # A set whose windows differ from DuckDB's had ended the bench with exit 0 and only a
        # **NO** in the page's check table, under ratios said to be of the same work.
        with tempfile.TemporaryDirectory() as d:
            doc = os.path.join(d, "BENCH.md")
            with open(doc, "w") as f:
                f.write(f"# Title\n{report.BENCH_BEGIN}\nold\n{report.BENCH_END}\n")

            def run(raw):
                return subprocess.run([sys.executable, os.path.join(ARGS.source, "bench",
                                                                    "report.py"), raw,
                                       "--markdown", doc], capture_output=True, text=True)
            proc = run(SAMPLE)  # v5-64M differs in the sample
            self.assertEqual(proc.returncode, 1, proc.stderr)
            self.assertIn("report: DuckDB's windows table differs from flowsift's on v5-64M: "
                          "1 differences", proc.stderr)
            with open(doc) as f:
                self.assertIn("| v5-64M | 1400 | **NO**", f.read())  # written all the same
            equal = os.path.join(d, "equal.jsonl")
            with open(SAMPLE) as f, open(equal, "w") as out:
                for line in f:
                    r = json.loads(line)
                    if r["kind"] == "check":
                        r["result"].update(equal=True, mismatch_count=0, mismatches=[])
                    out.write(json.dumps(r) + "\n")
            proc = run(equal)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(proc.stderr, "")

    def test_replace_keeps_the_rest(self):
        doc = f"# Title\nhand-written\n{report.BENCH_BEGIN}\nold\n{report.BENCH_END}\n## History\nkept\n"
        new = report.replace_section(doc, self.section)
        self.assertTrue(new.startswith("# Title\nhand-written\n" + report.BENCH_BEGIN))
        self.assertTrue(new.endswith(report.BENCH_END + "\n## History\nkept\n"))
        self.assertNotIn("\nold\n", new)
        self.assertEqual(report.replace_section(new, self.section), new)  # idempotent
        appended = report.replace_section("# Only\n", self.section)
        self.assertEqual(appended, "# Only\n\n" + self.section)


HEADER = ("interface_id,account_id,window_start,window_end,records,nodata,skipdata,accepted,"
          "rejected,packets,bytes,rejected_bytes,bytes_out_external,bytes_in_external,"
          "distinct_srcaddr,distinct_dstaddr,distinct_dstport")
ROW_A = "eni-a,0123,600,1200,10,1,0,8,1,100,5000,40,300,200,{src},4,3"
ROW_B = "eni-b,unknown,0,600,2,0,0,2,0,5,70,0,0,0,1,1,1"


class CompareTest(unittest.TestCase):
    def compare(self, fs_rows, db_rows):
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for name, rows in (("fs.csv", fs_rows), ("db.csv", db_rows)):
                paths.append(os.path.join(d, name))
                with open(paths[-1], "w") as f:
                    f.write("\n".join([HEADER, *rows]) + "\n")
            return compare_windows.compare(*paths)

    def test_equal(self):
        r = self.compare([ROW_A.format(src=5), ROW_B], [ROW_B, ROW_A.format(src=5)])
        self.assertTrue(r["equal"], r)
        self.assertEqual((r["rows"], r["tolerance_rows"]), (2, 0))

    def test_exact_below_the_sketch_limit(self):
        r = self.compare([ROW_A.format(src=2048)], [ROW_A.format(src=2047)])
        self.assertFalse(r["equal"])
        self.assertIn("distinct_srcaddr: flowsift 2048, duckdb 2047", r["mismatches"][0])
        # 2048 values are still counted exactly (pipeline/distinct.h): no 2% there either.
        r = self.compare([ROW_A.format(src=2049)], [ROW_A.format(src=2048)])
        self.assertFalse(r["equal"])
        self.assertEqual(r["tolerance_rows"], 0)

    def test_two_percent_above_the_sketch_limit(self):
        r = self.compare([ROW_A.format(src=10150)], [ROW_A.format(src=10000)])
        self.assertTrue(r["equal"], r)
        self.assertEqual(r["tolerance_rows"], 1)
        self.assertAlmostEqual(r["max_rel_error"], 0.015)
        r = self.compare([ROW_A.format(src=10300)], [ROW_A.format(src=10000)])
        self.assertFalse(r["equal"])

    def test_distinct_dstport_is_exact_above_the_sketch_limit(self):
        # Only the addresses are sketched: a port count 1.5% off passed as "equal".
        row = "eni-a,0123,600,1200,10,1,0,8,1,100,5000,40,300,200,5,4,{ports}"
        r = self.compare([row.format(ports=10150)], [row.format(ports=10000)])
        self.assertFalse(r["equal"], r)
        self.assertIn("distinct_dstport: flowsift 10150, duckdb 10000", r["mismatches"][0])
        self.assertEqual(r["tolerance_rows"], 0)

    def test_a_window_twice_is_a_mismatch(self):
        # A window written as two rows (a split or merged aggregation) had compared equal: the
        # table read into a dict kept the last of them.
        r = self.compare([ROW_A.format(src=5), ROW_A.format(src=5), ROW_B],
                         [ROW_A.format(src=5), ROW_B])
        self.assertFalse(r["equal"])
        self.assertIn("row eni-a 600 more than once in flowsift", r["mismatches"][0])
        self.assertEqual(r["rows"], 3)

    def test_any_other_column_and_missing_rows(self):
        r = self.compare([ROW_A.format(src=5), ROW_B], [ROW_A.format(src=5).replace(",0123,", ",123,")])
        self.assertFalse(r["equal"])
        self.assertEqual(r["mismatch_count"], 2)  # account_id, and eni-b only in flowsift


class DuckDBTest(unittest.TestCase):
    """bench/sql/windows.sql == flowsift's windows table on a small v5 set (pkt-* addresses)."""

    def test_windows_sql_equals_flowsift(self):
        if not ARGS.flowsift:
            self.skipTest("no --flowsift binary")
        if not os.path.isdir(os.path.join(DUCKDB_MODULES, "node_modules", "@duckdb", "node-api")):
            self.fail(f"DuckDB is not installed in {DUCKDB_MODULES}: run scripts/install-deps "
                      "--duckdb (scripts/test does)")
        with tempfile.TemporaryDirectory() as d:
            data, out = os.path.join(d, "data"), os.path.join(d, "out")
            subprocess.run([ARGS.flowsift, "gen", "-o", data, "--records", "40000", "--format",
                            "v5", "--seed", "7", "--interfaces", "20"], check=True,
                           capture_output=True)
            subprocess.run([ARGS.flowsift, "run", data, "-o", out, "--no-progress"], check=True,
                           capture_output=True)
            fs_csv, db_csv = os.path.join(d, "fs.csv"), os.path.join(d, "db.csv")
            with open(fs_csv, "wb") as f:
                subprocess.run(["zstd", "-dcq", os.path.join(out, "windows.csv.zst")], stdout=f,
                               check=True)
            subprocess.run(["node", os.path.join(ARGS.source, "bench", "duckdb_run.mjs"),
                            "--modules", DUCKDB_MODULES, "--sql",
                            os.path.join(ARGS.source, "bench", "sql", "windows.sql"),
                            "--threads", "1", "--out", db_csv, data], check=True,
                           capture_output=True)
            r = compare_windows.compare(fs_csv, db_csv)
            self.assertTrue(r["equal"], json.dumps(r))
            self.assertGreater(r["rows"], 20)

            # bench/sql/groupby.sql (the yardstick) sums what the windows table sums: per
            # interface, bytes and packets over every action, and bytes of REJECT records.
            gb_csv = os.path.join(d, "groupby.csv")
            subprocess.run(["node", os.path.join(ARGS.source, "bench", "duckdb_run.mjs"),
                            "--modules", DUCKDB_MODULES, "--sql",
                            os.path.join(ARGS.source, "bench", "sql", "groupby.sql"),
                            "--threads", "2", "--out", gb_csv, data], check=True,
                           capture_output=True)
            want, got = {}, {}
            with open(fs_csv) as f:
                for row in csv.DictReader(f):
                    t = want.setdefault(row["interface_id"], [0, 0, 0])
                    t[0] += int(row["bytes"])
                    t[1] += int(row["packets"])
                    t[2] += int(row["rejected_bytes"])
            with open(gb_csv) as f:
                for row in csv.DictReader(f):
                    t = got.setdefault(row["interface_id"] or "-", [0, 0, 0])
                    t[0] += int(row["bytes"] or 0)
                    t[1] += int(row["packets"] or 0)
                    if row["action"] == "REJECT":
                        t[2] += int(row["bytes"] or 0)
            self.assertEqual(want, got)
            self.assertEqual(len(want), 20)

    def test_timed_run_counts_rows_without_converting_them(self):
        # scripts/bench times DuckDB without --out: its peak RSS and CPU (GNU time, the whole
        # process) had included turning every result row into JavaScript values, hundreds of MB
        # for the day of 10,000 interfaces, although the query time left that out.
        if not ARGS.flowsift:
            self.skipTest("no --flowsift binary")
        api = os.path.join(DUCKDB_MODULES, "node_modules", "@duckdb", "node-api")
        if not os.path.isdir(api):
            self.fail(f"DuckDB is not installed in {DUCKDB_MODULES}: run scripts/install-deps "
                      "--duckdb (scripts/test does)")
        with tempfile.TemporaryDirectory() as d:
            data = os.path.join(d, "data")
            subprocess.run([ARGS.flowsift, "gen", "-o", data, "--records", "20000", "--seed", "7",
                            "--interfaces", "20"], check=True, capture_output=True)
            # getRows, the conversion, fails in this process: a timed run must not call it.
            preload = os.path.join(d, "no_get_rows.cjs")
            with open(preload, "w") as f:
                f.write(f"require({json.dumps(api)}).DuckDBResultReader.prototype.getRows = "
                        "() => { throw new Error('getRows in a timed run'); };\n")
            run = [os.path.join(ARGS.source, "bench", "duckdb_run.mjs"), "--modules",
                   DUCKDB_MODULES, "--sql", os.path.join(ARGS.source, "bench", "sql", "windows.sql"),
                   "--threads", "1"]
            timed = subprocess.run(["node", "--require", preload, *run, data],
                                   capture_output=True, text=True)
            self.assertEqual(timed.returncode, 0, timed.stderr)
            out = json.loads(timed.stdout.splitlines()[-1])
            # The count is the rows --out writes (the conversion is allowed there).
            csv_path = os.path.join(d, "db.csv")
            subprocess.run(["node", *run, "--out", csv_path, data], check=True,
                           capture_output=True)
            with open(csv_path) as f:
                self.assertEqual(out["rows"], sum(1 for _ in csv.DictReader(f)))
            self.assertGreater(out["rows"], 20)


class AbTest(unittest.TestCase):
    """bench/ab.py, the at-once A/B: its arithmetic on fixed rounds, and two real rounds."""

    @staticmethod
    def ab(*args):
        return subprocess.run([sys.executable, os.path.join(ARGS.source, "bench", "ab.py"), *args],
                              capture_output=True, text=True)

    def ab_json(self, tmp, *args):
        """bench/ab.py with args, no idle time and --json into tmp: its stdout and the JSON."""
        out = os.path.join(tmp, "ab.json")
        proc = self.ab(*args, "--settle", "0", "--json", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out) as f:
            return proc.stdout, json.load(f)

    def assert_ratios(self, summary, ratio, lo, hi, a):
        """A summary row: median, min and max of the per-round ratios, and A's median."""
        for key, want in (("ratio", ratio), ("lo", lo), ("hi", hi), ("a", a)):
            self.assertAlmostEqual(summary[key], want, msg=key)

    @staticmethod
    def timings(wall, parse, agg, detect):
        return {"wall_s": wall, "parse_cpu_s": parse, "aggregate_cpu_s": agg,
                "detect_cpu_s": detect}

    def test_medians_of_per_round_ratios(self):
        rounds = [{"a": self.timings(2.0, 1.0, 1.0, 0.5), "b": self.timings(1.0, 1.0, 1.1, 0.0)},
                  {"a": self.timings(4.0, 1.0, 1.0, 0.5), "b": self.timings(3.0, 1.5, 1.2, 0.0)},
                  {"a": self.timings(3.0, 2.0, 1.0, 0.5), "b": self.timings(3.3, 1.0, 0.9, 0.0)}]
        s = ab.summarize(rounds)
        # per-round wall ratios 0.5, 0.75, 1.1: the median of the ratios, not the ratio of the
        # medians (3.0 / 3.0 = 1.0)
        self.assert_ratios(s["wall_s"], 0.75, 0.5, 1.1, a=3.0)
        self.assertAlmostEqual(s["parse_cpu_s"]["ratio"], 1.0)
        self.assertAlmostEqual(s["aggregate_cpu_s"]["ratio"], 1.1)
        self.assertNotIn("detect_cpu_s", s)  # B ran --no-detect: no ratio to a zero
        self.assertNotIn("read_cpu_s", s)  # not in these timings
        text = ab.render(["head", "new"], s, 3)
        self.assertIn("0.750 [0.500-1.100]", text)

    def test_sides(self):
        self.assertEqual(ab.parse_side("new=/x/flowsift,--no-detect,--window,60"),
                         ("new", "/x/flowsift", ["--no-detect", "--window", "60"]))
        for bad in ["/x/flowsift", "=/x", "new="]:
            with self.assertRaises(ValueError):
                ab.parse_side(bad)

    def test_cpus_swap_every_round_and_the_launch_order_every_other(self):
        # The schedule the doc promises: neither side keeps a CPU or a head start.
        launched = []

        class Proc:
            returncode = 0

            def __init__(self, cmd, **_):
                launched.append(cmd)
                with open(cmd[cmd.index("--stats-json") + 1], "w") as f:
                    json.dump({"timings": {"wall_s": 1.0}}, f)

            def communicate(self):
                return b"", b""

        sides = [("a", "/bin/a", []), ("b", "/bin/b", [])]
        real = ab.subprocess.Popen
        ab.subprocess.Popen = Proc
        try:
            with tempfile.TemporaryDirectory() as tmp:
                for k in range(4):
                    ab.run_round(sides, "DATA", tmp, k, [5, 7])
        finally:
            ab.subprocess.Popen = real
        # (first launched, its CPU, the other's CPU) per round.
        got = [(launched[i][3], launched[i][2], launched[i + 1][2]) for i in range(0, 8, 2)]
        self.assertEqual(got, [("/bin/a", "5", "7"), ("/bin/a", "7", "5"),
                               ("/bin/b", "7", "5"), ("/bin/b", "5", "7")])

    def test_two_rounds_of_flowsift(self):
        if not ARGS.flowsift:
            self.skipTest("no --flowsift")
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "data")
            subprocess.run([ARGS.flowsift, "gen", "-o", data, "--records", "20000"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            stdout, res = self.ab_json(tmp, f"a={ARGS.flowsift}", f"b={ARGS.flowsift},--no-detect",
                                       "--data", data, "--rounds", "2")
            self.assertIn("aggregate_cpu_s", stdout)
            self.assertEqual(len(res["rounds"]), 2)
            self.assertGreater(res["rounds"][0]["a"]["detect_cpu_s"], 0)
            self.assertEqual(res["rounds"][0]["b"]["detect_cpu_s"], 0)
            self.assertNotIn("detect_cpu_s", res["summary"])
            bad = self.ab(f"a={ARGS.flowsift}", f"b={ARGS.flowsift},--no-such-flag", "--data", data,
                          "--rounds", "1", "--settle", "0")
            self.assertEqual(bad.returncode, 1)
            self.assertIn("b: flowsift run exited", bad.stderr)

    def test_bench_mode_arithmetic(self):
        report = {"benchmarks": [
            {"name": "BM_Aggregate", "run_type": "iteration", "real_time": 250.0,
             "time_unit": "ms"},
            {"name": "BM_DistinctAdd/420", "run_type": "iteration", "real_time": 14000.0,
             "time_unit": "ns"},
            {"name": "BM_Aggregate_mean", "run_type": "aggregate", "real_time": 1.0,
             "time_unit": "ms"}]}
        self.assertEqual(ab.bench_times(report), {"BM_Aggregate": 250.0,
                                                  "BM_DistinctAdd/420": 0.014})
        rounds = [{"a": {"BM_A": 100.0, "BM_B": 10.0}, "b": {"BM_A": 90.0, "BM_B": 12.0}},
                  {"a": {"BM_A": 200.0, "BM_B": 10.0}, "b": {"BM_A": 210.0, "BM_B": 11.0}},
                  {"a": {"BM_A": 100.0, "BM_B": 10.0, "BM_C": 1.0},
                   "b": {"BM_A": 50.0, "BM_B": 10.0, "BM_C": 1.0}}]
        s = ab.summarize_bench(rounds)
        self.assertNotIn("BM_C", s)  # not in every round
        # per-round ratios 0.9, 1.05, 0.5: the median of the ratios
        self.assert_ratios(s["BM_A"], 0.9, 0.5, 1.05, a=100.0)
        self.assertEqual(s["BM_A"]["faster"], 2)
        self.assertEqual(s["BM_B"]["faster"], 0)
        self.assertAlmostEqual(s["BM_B"]["ratio"], 1.1)
        text = ab.render_bench(["head", "new"], s, 3)
        self.assertIn("0.900 [0.500-1.050], new faster in 2 of 3", text)

    def test_two_rounds_of_flowsift_bench(self):
        if not ARGS.flowsift_bench:
            self.skipTest("no --flowsift-bench")
        with tempfile.TemporaryDirectory() as tmp:
            stdout, res = self.ab_json(tmp, f"a={ARGS.flowsift_bench}", f"b={ARGS.flowsift_bench}",
                                       "--bench", "BM_DistinctAdd/420", "--min-time", "0.01",
                                       "--rounds", "2")
            self.assertIn("BM_DistinctAdd/420", stdout)
            self.assertEqual(len(res["rounds"]), 2)
            self.assertGreater(res["rounds"][1]["b"]["BM_DistinctAdd/420"], 0)
            self.assertEqual(res["summary"]["BM_DistinctAdd/420"]["rounds"], 2)
            bad = self.ab(f"a={ARGS.flowsift_bench}", f"b={ARGS.flowsift_bench}", "--bench",
                          "BM_NoSuchBenchmark", "--rounds", "1", "--settle", "0")
            self.assertEqual(bad.returncode, 1)
            self.assertIn("no benchmark matches", bad.stderr)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], *UNITTEST_ARGS], verbosity=2)
