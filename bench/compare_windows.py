#!/usr/bin/python3
"""Compares flowsift's windows table (SPEC 3.1) with DuckDB's, both as CSV with a header row.

Usage: compare_windows.py FLOWSIFT_CSV DUCKDB_CSV

Rows are matched on (interface_id, window_start); both must have the same keys. Every column
must be equal as text, except distinct_srcaddr and distinct_dstaddr: flowsift counts addresses
exactly up to 2048 values and with a HyperLogLog (<= 2% relative error, SPEC 3.1) above, so
where DuckDB's exact count exceeds 2048 the two may differ by up to 2%. distinct_dstport is
always exact (docs/outputs.md), however many ports. Prints one JSON object (rows, equal, tolerance_rows: rows where
a distinct_* count was above 2048, max_rel_error among those, up to 5 mismatches) and exits 0
when the tables agree, 1 when they do not, 2 when it is run wrong.
"""
import csv
import json
import sys

EXACT_LIMIT = 2048  # pipeline/distinct.h kExactLimit
SKETCHED = ("distinct_srcaddr", "distinct_dstaddr")  # distinct_dstport: a bitmap, exact
TOLERANCE = 0.02  # SPEC 3.1


def read_table(path):
    """Returns (columns, rows by key, keys seen more than once): a window written as two rows
    (a split or merged aggregation) must not compare equal by keeping the last one."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        rows, repeated = {}, []
        for r in reader:
            key = (r["interface_id"], r["window_start"])
            if key in rows:
                repeated.append(key)
            rows[key] = r
        return reader.fieldnames or [], rows, repeated


def compare(flowsift_csv, duckdb_csv):
    """Returns the comparison as a dict (see the module doc)."""
    fs_cols, fs_rows, fs_repeated = read_table(flowsift_csv)
    db_cols, db_rows, db_repeated = read_table(duckdb_csv)
    mismatches = []
    for side, repeated in (("flowsift", fs_repeated), ("duckdb", db_repeated)):
        for key in repeated:
            mismatches.append(f"row {key[0]} {key[1]} more than once in {side}")
    if fs_cols != db_cols:
        mismatches.append(f"columns differ: {fs_cols} vs {db_cols}")
    for key in sorted(fs_rows.keys() ^ db_rows.keys()):
        side = "flowsift" if key in fs_rows else "duckdb"
        mismatches.append(f"row {key[0]} {key[1]} only in {side}")
    tolerance_rows = 0
    max_rel_error = 0.0
    for key in sorted(fs_rows.keys() & db_rows.keys()):
        fs, db = fs_rows[key], db_rows[key]
        approximate = False
        for col in fs_cols:
            if col not in db:
                continue
            if col in SKETCHED and int(db[col]) > EXACT_LIMIT:
                approximate = True
                rel = abs(int(fs[col]) - int(db[col])) / int(db[col])
                max_rel_error = max(max_rel_error, rel)
                if rel <= TOLERANCE:
                    continue
            if fs[col] != db[col]:
                mismatches.append(f"{key[0]} {key[1]} {col}: flowsift {fs[col]}, duckdb {db[col]}")
        tolerance_rows += approximate
    return {
        "rows": len(fs_rows) + len(fs_repeated),  # rows read, repeated keys too
        "duckdb_rows": len(db_rows) + len(db_repeated),
        "equal": not mismatches,
        "tolerance_rows": tolerance_rows,
        "max_rel_error": round(max_rel_error, 5),
        "mismatch_count": len(mismatches),
        "mismatches": mismatches[:5],
    }


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2  # not 1, which says the tables differ
    result = compare(sys.argv[1], sys.argv[2])
    print(json.dumps(result))
    return 0 if result["equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
