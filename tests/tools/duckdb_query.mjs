// Runs SQL with DuckDB (npm @duckdb/node-api) for tests/tools/duckdb_outputs_test.py. Usage:
//   node duckdb_query.mjs --modules DIR [--init FILE] QUERY...
// DIR holds node_modules/@duckdb/node-api (scripts/install-deps --duckdb installs it). FILE
// (docs/duckdb.sql) is run first, as `duckdb -c ".read FILE"` would. Prints one JSON line per
// QUERY: its rows as objects, DuckDB's JSON form (BIGINT as text, so no value loses digits).
// A query that fails prints its error and exits 1.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

async function main() {
  const argv = process.argv.slice(2);
  let modules = null;
  let init = null;
  const queries = [];
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === '--modules') modules = argv[++i];
    else if (argv[i] === '--init') init = argv[++i];
    else queries.push(argv[i]);
  }
  if (!modules || queries.length === 0) {
    console.error('usage: duckdb_query.mjs --modules DIR [--init FILE] QUERY...');
    process.exit(2);
  }
  const require = createRequire(path.join(path.resolve(modules), 'package.json'));
  const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await instance.connect();
  if (init) await conn.run(fs.readFileSync(init, 'utf8'));
  for (const q of queries) {
    const reader = await conn.runAndReadAll(q);
    console.log(JSON.stringify(reader.getRowObjectsJson()));
  }
}

main().catch((e) => { console.error(`duckdb_query: ${e.message}`); process.exit(1); });
