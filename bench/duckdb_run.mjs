// Runs one query of bench/sql/ with DuckDB (npm @duckdb/node-api) over flow-log files, for
// scripts/bench. Usage:
//   node bench/duckdb_run.mjs --modules DIR --sql FILE --threads N [--out CSV] INPUT...
// DIR holds node_modules/@duckdb/node-api (scripts/bench installs it in its cache). INPUTs are
// files or directories (searched recursively for *.log, *.gz, *.zst, *.txt, as flowsift does).
// The view `flows` reads every input with read_csv: delim ' ', header, explicit column types
// from the first file's header line, '-' as NULL; bench/sql/macros.sql is run first.
// Prints one JSON line {"query_s", "rows"}: query_s is the query alone (module load, connect,
// view and macros excluded, and the conversion of its result rows to JavaScript values). --out
// writes the result as CSV with a header row; without it (scripts/bench's timed runs) the rows
// are counted in DuckDB's vectors and never converted, so the process's peak RSS and CPU time
// are DuckDB's too.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// Types by field name (SPEC's formats, reference/flowlogs.md); every other field is VARCHAR.
const kTypes = {
  version: 'INTEGER', srcport: 'INTEGER', dstport: 'INTEGER', protocol: 'INTEGER',
  'tcp-flags': 'INTEGER', 'traffic-path': 'INTEGER',
  packets: 'BIGINT', bytes: 'BIGINT', start: 'BIGINT', end: 'BIGINT',
};
// Columns the queries use; a format without them gets NULLs.
const kUsed = ['interface_id', 'account_id', 'srcaddr', 'dstaddr', 'pkt_srcaddr', 'pkt_dstaddr',
  'dstport', 'packets', 'bytes', 'start', 'action', 'log_status'];
const kInputName = /\.(log|gz|zst|txt)$/;

function parseArgs(argv) {
  const args = { threads: 1, inputs: [] };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === '--modules') args.modules = argv[++i];
    else if (a === '--sql') args.sql = argv[++i];
    else if (a === '--threads') args.threads = Number(argv[++i]);
    else if (a === '--out') args.out = argv[++i];
    else args.inputs.push(a);
  }
  if (!args.modules || !args.sql || args.inputs.length === 0) {
    console.error('usage: duckdb_run.mjs --modules DIR --sql FILE --threads N [--out CSV] INPUT...');
    process.exit(2);
  }
  return args;
}

function listInputs(inputs) {
  const files = [];
  const walk = (p) => {
    const st = fs.statSync(p);
    if (!st.isDirectory()) { files.push(p); return; }
    for (const name of fs.readdirSync(p).sort()) {
      if (name.startsWith('.')) continue;
      const child = path.join(p, name);
      if (fs.statSync(child).isDirectory() || kInputName.test(name)) walk(child);
    }
  };
  inputs.forEach(walk);
  return files;
}

// The first line of a plain or gzip file.
async function headerLine(file) {
  let stream = fs.createReadStream(file);
  if (file.endsWith('.gz')) stream = stream.pipe(zlib.createGunzip());
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of lines) {
    stream.destroy();
    return line.trim();
  }
  return '';
}

const sqlString = (s) => `'${s.replaceAll("'", "''")}'`;

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const require = createRequire(path.join(path.resolve(args.modules), 'package.json'));
  const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);

  const files = listInputs(args.inputs);
  const fields = (await headerLine(files[0])).split(/ +/);
  const columns = fields.map((f) => `${sqlString(f.replaceAll('-', '_'))}: '${kTypes[f] ?? 'VARCHAR'}'`);
  const names = new Set(fields.map((f) => f.replaceAll('-', '_')));
  const missing = kUsed.filter((c) => !names.has(c)).map((c) => `, NULL::VARCHAR AS ${c}`);
  const source = `read_csv([${files.map(sqlString).join(', ')}], delim=' ', header=true, ` +
    `columns={${columns.join(', ')}}, nullstr='-', auto_detect=false)`;

  const instance = await DuckDBInstance.create(':memory:', { threads: String(args.threads) });
  const conn = await instance.connect();
  await conn.run(`CREATE VIEW flows AS SELECT *${missing.join('')} FROM ${source}`);
  const sqlDir = path.dirname(args.sql);
  await conn.run(fs.readFileSync(path.join(sqlDir, 'macros.sql'), 'utf8'));
  const query = fs.readFileSync(args.sql, 'utf8');

  // The query and its result in DuckDB's own vectors, as flowsift's time ends with its table
  // written. Turning the rows into JavaScript values (getRows) is the binding's work, not
  // DuckDB's: inside the timer it was 4.6-7.1 s of the 1.26 M-row day of 10,000 interfaces.
  const t0 = process.hrtime.bigint();
  const reader = await conn.runAndReadAll(query);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;

  // The rows as JavaScript values only for --out: for the 1.26 M windows of the day of 10,000
  // interfaces they took seconds of CPU and hundreds of MB, which /usr/bin/time counted as
  // DuckDB's peak RSS and CPU (365,100 rows: 642-750 MB peak against 504-531 MB without).
  if (args.out) {
    const text = (v) => (v === null ? '' : String(v));
    const rows = reader.getRows();
    const lines = [reader.columnNames().join(','), ...rows.map((r) => r.map(text).join(','))];
    fs.writeFileSync(args.out, lines.join('\n') + '\n');
  }
  console.log(JSON.stringify({ query_s: seconds, rows: reader.currentRowCount }));
}

main().catch((e) => { console.error(`duckdb_run: ${e.message}`); process.exit(1); });
