-- A scan query: sources that reached more than 100 distinct destination ports over the input
-- (shared/reference/performance.md's query (c)); a high-cardinality distinct count.
SELECT srcaddr, count(DISTINCT dstport) AS nports
FROM flows
GROUP BY srcaddr
HAVING count(DISTINCT dstport) > 100
ORDER BY nports DESC, srcaddr;
