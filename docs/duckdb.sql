-- flowsift's four tables in DuckDB with their types given, not guessed (docs/outputs.md).
--
-- `SELECT * FROM 'OUT/windows.csv.zst'` guesses each column's type from the first rows, which
-- is fine at a prompt and fragile in a nightly job: a quiet night's table with a header alone
-- reads every column as text (`sum(bytes)` then fails), an empty findings file reads as one
-- column named `json`, and `account_id` reads as an integer when the first rows' accounts have
-- no leading zero (a later `unknown` fails the read, `000123456789` loses its zeros). These
-- macros read the same columns with the same types every night:
--
--   duckdb -c ".read docs/duckdb.sql" -c "SELECT * FROM flowsift_windows('OUT')"
--   duckdb -c ".read docs/duckdb.sql" -c "SELECT type, count(*) FROM flowsift_findings('OUT') GROUP BY type"
--
-- The columns are those of output format version 1 (manifest.json `format_version`), in the
-- files' order. tests/pipeline/tables_test.cc checks them against the headers flowsift writes,
-- and tests/tools/duckdb_outputs_test.py runs them in DuckDB on real outputs, value by value.

CREATE OR REPLACE MACRO flowsift_windows(out_dir) AS TABLE
  SELECT * FROM read_csv(out_dir || '/windows.csv.zst', header = true, auto_detect = false,
    columns = {'interface_id': 'VARCHAR', 'account_id': 'VARCHAR', 'window_start': 'BIGINT',
               'window_end': 'BIGINT', 'records': 'BIGINT', 'nodata': 'BIGINT',
               'skipdata': 'BIGINT', 'accepted': 'BIGINT', 'rejected': 'BIGINT',
               'packets': 'BIGINT', 'bytes': 'BIGINT', 'rejected_bytes': 'BIGINT',
               'bytes_out_external': 'BIGINT', 'bytes_in_external': 'BIGINT',
               'distinct_srcaddr': 'BIGINT', 'distinct_dstaddr': 'BIGINT',
               'distinct_dstport': 'BIGINT'});

CREATE OR REPLACE MACRO flowsift_talkers(out_dir) AS TABLE
  SELECT * FROM read_csv(out_dir || '/talkers.csv.zst', header = true, auto_detect = false,
    columns = {'window_start': 'BIGINT', 'rank': 'INTEGER', 'srcaddr': 'VARCHAR',
               'bytes': 'BIGINT', 'packets': 'BIGINT', 'flows': 'BIGINT'});

CREATE OR REPLACE MACRO flowsift_exposure(out_dir) AS TABLE
  SELECT * FROM read_csv(out_dir || '/exposure.csv.zst', header = true, auto_detect = false,
    columns = {'interface_id': 'VARCHAR', 'dst_port': 'INTEGER', 'protocol': 'INTEGER',
               'accepted_external': 'BIGINT', 'rejected_external': 'BIGINT',
               'distinct_external_sources': 'BIGINT'});

CREATE OR REPLACE MACRO flowsift_findings(out_dir) AS TABLE
  SELECT * FROM read_json(out_dir || '/findings.jsonl.zst', format = 'newline_delimited',
    columns = {'id': 'VARCHAR', 'type': 'VARCHAR', 'severity': 'INTEGER', 'mitre': 'VARCHAR[]',
               'src': 'VARCHAR', 'dst': 'VARCHAR', 'dst_port': 'INTEGER', 'protocol': 'INTEGER',
               'interfaces': 'VARCHAR[]', 'window_start': 'BIGINT', 'window_end': 'BIGINT',
               'first_seen': 'BIGINT', 'last_seen': 'BIGINT', 'flows': 'BIGINT',
               'packets': 'BIGINT', 'bytes': 'BIGINT', 'distinct_dst_ports': 'BIGINT',
               'distinct_dsts': 'BIGINT', 'evidence': 'JSON', 'summary': 'VARCHAR'});
