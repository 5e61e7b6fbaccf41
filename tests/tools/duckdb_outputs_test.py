#!/usr/bin/python3
"""DuckDB reads flowsift's outputs as they are: docs/duckdb.sql's four macros return every row
and column of the tables that flowsift wrote (compared value by value with the decompressed
files), on a generated set with every attack, on hand-made edge rows (an account with leading
zeros, `unknown`, interface names that need CSV quoting, IPv6) and on a quiet night whose
tables are headers alone; and DuckDB's read_json reads each SIEM export as NDJSON.

DuckDB is @duckdb/node-api in scripts/bench's cache (scripts/install-deps --duckdb puts it
there; scripts/test runs that). Without it the test fails and says so: it is never skipped.

Usage: duckdb_outputs_test.py --source DIR --flowsift BINARY [unittest arguments]
"""
import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

ap = argparse.ArgumentParser()
ap.add_argument("--source", required=True)
ap.add_argument("--flowsift", required=True)
ARGS, UNITTEST_ARGS = ap.parse_known_args()

CACHE = os.environ.get("FLOWSIFT_BENCH_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "flowsift-bench")
MODULES = os.path.join(CACHE, "duckdb")
MACROS = os.path.join(ARGS.source, "docs", "duckdb.sql")
QUERY = os.path.join(ARGS.source, "tests", "tools", "duckdb_query.mjs")

HEADER = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
          "bytes start end action log-status")


def duckdb(*queries):
    """Each query's rows (objects in DuckDB's JSON form), docs/duckdb.sql read first."""
    if not os.path.isdir(os.path.join(MODULES, "node_modules", "@duckdb", "node-api")):
        raise AssertionError(f"DuckDB is not installed in {MODULES}: run scripts/install-deps "
                             "--duckdb (scripts/test does)")
    p = subprocess.run(["node", QUERY, "--modules", MODULES, "--init", MACROS, *queries],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(f"DuckDB failed: {p.stderr}")
    return [json.loads(line) for line in p.stdout.splitlines()]


def unzstd(path):
    return subprocess.run(["zstd", "-dcq", path], check=True, capture_output=True).stdout


def norm(v):
    """A value as text the way a CSV holds it (DuckDB's JSON form gives BIGINT as text and
    INTEGER as a number); lists element by element; NULL stays None."""
    if v is None:
        return None
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def run(inputs, out, *extra):
    p = subprocess.run([ARGS.flowsift, "run", *inputs, "-o", out, "--no-progress", *extra],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(f"flowsift run exited {p.returncode}: {p.stderr}")


def sql_text(s):
    return "'" + s.replace("'", "''") + "'"


class DuckDbReadsOutputs(unittest.TestCase):
    def check_tables(self, out, min_rows):
        """Every table's rows through its macro equal the file's, in order; returns the row
        counts by table."""
        tables = ("windows", "talkers", "exposure")
        got = duckdb(*(f"SELECT * FROM flowsift_{t}({sql_text(out)})" for t in tables),
                     f"SELECT * FROM flowsift_findings({sql_text(out)})")
        counts = {}
        for t, rows in zip(tables, got):
            text = unzstd(os.path.join(out, f"{t}.csv.zst")).decode()
            want = list(csv.DictReader(io.StringIO(text, newline="")))
            self.assertEqual(len(rows), len(want), t)
            for i, (a, b) in enumerate(zip(rows, want)):
                self.assertEqual(list(a), list(b), f"{t}: the macro's columns are not the file's")
                # An empty CSV field is NULL to DuckDB.
                self.assertEqual({k: norm(v) if v is not None else "" for k, v in a.items()}, b,
                                 f"{t} row {i + 1}")
            counts[t] = len(rows)
        lines = unzstd(os.path.join(out, "findings.jsonl.zst")).decode().splitlines()
        want = [json.loads(line) for line in lines]
        rows = got[3]
        self.assertEqual(len(rows), len(want), "findings")
        for a, b in zip(rows, want):
            self.assertEqual(set(a), set(b), "findings: the macro's columns are not the file's")
            for k in b:
                if k == "evidence":
                    self.assertEqual(json.loads(a[k]), b[k], f"finding {b['id']} evidence")
                else:
                    self.assertEqual(norm(a[k]), norm(b[k]), f"finding {b['id']} {k}")
        counts["findings"] = len(rows)
        for t, n in min_rows.items():
            self.assertGreaterEqual(counts[t], n, t)
        return counts

    def test_generated_attacks(self):
        with tempfile.TemporaryDirectory() as d:
            data, out = os.path.join(d, "data"), os.path.join(d, "out")
            subprocess.run([ARGS.flowsift, "gen", "-o", data, "--records", "60000", "--format",
                            "v5", "--attacks", "all", "--seed", "11"], check=True,
                           capture_output=True)
            run([data], out)
            counts = self.check_tables(out, {"windows": 20, "talkers": 20, "exposure": 5,
                                             "findings": 5})
            # What an analyst asks first, in SQL over the typed columns.
            by_type = duckdb(f"SELECT type, count(*) AS n FROM flowsift_findings({sql_text(out)}) "
                             "GROUP BY type ORDER BY type")[0]
            self.assertEqual(sum(int(r["n"]) for r in by_type), counts["findings"])
            self.assertGreaterEqual(len(by_type), 4, by_type)

            # Each SIEM export is NDJSON that read_json takes as it is (zstd by its name).
            for fmt, n in (("ocsf", counts["windows"] + counts["findings"]),
                           ("ecs", counts["windows"] + counts["findings"]),
                           ("splunk", counts["windows"] + counts["findings"])):
                path = os.path.join(d, f"events.{fmt}.jsonl.zst")
                subprocess.run([ARGS.flowsift, "export", out, "--as", fmt, "-o", path],
                               check=True, capture_output=True)
                got = duckdb(f"SELECT count(*) AS n FROM read_json({sql_text(path)}, "
                             "format = 'newline_delimited')")[0]
                self.assertEqual(int(got[0]["n"]), n, fmt)

    def test_edge_rows(self):
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "edges.log")
            rows = [
                "2 000123456789 eni-a\"b 10.0.0.1 8.8.8.8 1234 443 6 10 1000 1700000000 "
                "1700000060 ACCEPT OK",
                "2 unknown eni-c,d 8.8.8.8 10.0.0.1 443 22 6 10 1000 1700000000 1700000060 "
                "REJECT OK",
                "2 123456789012 eni-plain 2001:db8::1 2600:1f18::9 5353 53 17 1 80 1700000100 "
                "1700000110 ACCEPT OK",
                "2 123456789012 eni-plain - - - - - - - 1700000200 1700000260 - NODATA",
            ]
            with open(src, "w") as f:
                f.write(HEADER + "\n" + "\n".join(rows) + "\n")
            out = os.path.join(d, "out")
            run([src], out, "--internal", "10.0.0.0/8,2001:db8::/32")
            self.check_tables(out, {"windows": 3, "talkers": 3, "exposure": 1})
            accounts = duckdb(f"SELECT DISTINCT account_id FROM flowsift_windows({sql_text(out)}) "
                              "ORDER BY account_id")[0]
            self.assertEqual([r["account_id"] for r in accounts],
                             ["000123456789", "123456789012", "unknown"])
            names = duckdb(f"SELECT interface_id FROM flowsift_exposure({sql_text(out)})")[0]
            self.assertEqual([r["interface_id"] for r in names], ["eni-c,d"])

    def test_quiet_night(self):
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "quiet.log")
            with open(src, "w") as f:
                f.write(HEADER + "\n")
            out = os.path.join(d, "out")
            run([src], out)
            counts = self.check_tables(out, {})
            self.assertEqual(counts, {"windows": 0, "talkers": 0, "exposure": 0, "findings": 0})
            # The reason the macros exist: typed columns on a header-only table still sum.
            total = duckdb(f"SELECT coalesce(sum(bytes), 0) AS b FROM "
                           f"flowsift_windows({sql_text(out)})")[0]
            self.assertEqual(int(total[0]["b"]), 0)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], *UNITTEST_ARGS], verbosity=2)
