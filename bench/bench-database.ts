import { Client, escapeIdentifier } from 'pg';

/** A database of the benchmark's own, on the local server; `drop()` it when done. */
export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Server the benchmark talks to: loopback only, never the `herald` database. */
const SERVER_URL = 'postgres://postgres@127.0.0.1:5432';

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: `${SERVER_URL}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates the empty database `herald_bench_<pid>`. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `herald_bench_${process.pid}`;
  // A leftover of a crashed run with a recycled pid would make CREATE fail.
  await adminQuery(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${escapeIdentifier(name)}`);
  return {
    name,
    url: `${SERVER_URL}/${name}`,
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`),
  };
}
