-- Run once per connection before the queries. is_internal(address text): SPEC 2.1's default
-- --internal networks 10.0.0.0/8, 192.168.0.0/16, 172.16.0.0/12 (second octet 16-31),
-- 100.64.0.0/10 (64-127) and fc00::/7 (first group fc00-fdff) on the address as written.
-- DuckDB's inet extension would do this, but it is downloaded at run time, which a benchmark
-- machine need not allow; flow logs write addresses canonically. One anchored RE2 pattern is
-- ~2x faster here than starts_with/split_part/CAST chains. A NULL (missing) address gives NULL,
-- so a FILTER with it counts the record on neither side, as flowsift does.
CREATE MACRO is_internal(a) AS regexp_matches(a,
  '^(10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.|100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.|[fF][cCdD][0-9a-fA-F]{2}:)');
