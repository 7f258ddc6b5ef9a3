import { Client } from 'pg';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import type { DataSource } from 'typeorm';

/**
 * A dedicated connection with the DataSource's settings, for what a pooled connection cannot do
 * safely: hold a session advisory lock, or LISTEN.
 */
export function createPgClient(dataSource: DataSource, applicationName: string): Client {
  const options = dataSource.options;
  if (options.type !== 'postgres') throw new Error('Herald needs a postgres DataSource');
  return new Client({
    connectionString: options.url,
    host: options.host,
    port: options.port,
    user: options.username,
    password: options.password,
    database: options.database,
    ssl: toClientSsl(options.ssl),
    application_name: applicationName,
    keepAlive: true,
  });
}

// TypeORM takes server-side TlsOptions; a pg client needs only their client-side part.
function toClientSsl(
  ssl: boolean | TlsOptions | undefined,
): boolean | ConnectionOptions | undefined {
  if (ssl === undefined || typeof ssl === 'boolean') return ssl;
  const { ca, cert, key, passphrase, rejectUnauthorized, ciphers, minVersion } = ssl;
  return { ca, cert, key, passphrase, rejectUnauthorized, ciphers, minVersion };
}
