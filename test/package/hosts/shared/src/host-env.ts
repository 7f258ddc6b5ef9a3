/** What the host reads from its environment; the test that starts it sets every one. */
export interface HostEnv {
  port: number;
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  adminToken: string;
  encryptionKey: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export function readHostEnv(): HostEnv {
  return {
    port: Number(required('PORT')),
    databaseUrl: required('DATABASE_URL'),
    redisUrl: required('REDIS_URL'),
    queuePrefix: required('QUEUE_PREFIX'),
    adminToken: required('ADMIN_TOKEN'),
    encryptionKey: required('ENCRYPTION_KEY'),
  };
}
