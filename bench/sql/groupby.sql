-- A plain GROUP BY: bytes and packets by (interface, action) over the input
-- (shared/reference/performance.md's query (b)). Issue 4's 3 GB/s target was set as three times
-- DuckDB's speed on this query on the machine of that page; measured beside flowsift in the same
-- run, it carries the target to any machine as a ratio. It reads four columns and keeps a few
-- hundred groups (480 on the generated 1 GiB sets), where flowsift writes every output: the
-- yardstick, not equal work.
SELECT interface_id, action, sum(bytes) AS bytes, sum(packets) AS packets
FROM flows
GROUP BY ALL
ORDER BY bytes DESC, interface_id, action;
