import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config-error';
import { keepGeneratedSecrets } from './keep-generated-secrets';
import { loadConfig } from './load-config';

describe('keepGeneratedSecrets', () => {
  let root: string;
  let dataDir: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'herald-kept-'));
    dataDir = join(root, 'data');
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const keep = (env: Record<string, string> = {}) =>
    keepGeneratedSecrets(loadConfig({ HERALD_DATA_DIR: dataDir, ...env }));

  it('makes a token and a key once, in a 0700 folder of 0600 files', () => {
    const { config, kept } = keep();

    expect(config.adminToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(config.encryptionKeys).toHaveLength(1);
    expect(config.encryptionKeys[0]).toHaveLength(32);
    expect(kept).toEqual([
      { name: 'admin token', path: join(dataDir, 'admin-token'), generated: true },
      { name: 'encryption key', path: join(dataDir, 'encryption-key'), generated: true },
    ]);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'admin-token')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'encryption-key')).mode & 0o777).toBe(0o600);
  });

  it('reads the same values on later starts', () => {
    const first = keep().config;
    const { config, kept } = keep();

    expect(config.adminToken).toBe(first.adminToken);
    expect(config.encryptionKeys).toEqual(first.encryptionKeys);
    expect(kept.map((secret) => secret.generated)).toEqual([false, false]);
  });

  it('touches nothing when the environment sets both', () => {
    const { config, kept } = keep({
      HERALD_ADMIN_TOKEN: 'an-admin-token-of-some-length',
      HERALD_ENCRYPTION_KEY: 'ab'.repeat(32),
    });

    expect(kept).toEqual([]);
    expect(config.adminToken).toBe('an-admin-token-of-some-length');
    expect(() => statSync(dataDir)).toThrow();
  });

  it('keeps only what the environment leaves unset', () => {
    const { config, kept } = keep({ HERALD_ENCRYPTION_KEY: 'ab'.repeat(32) });

    expect(kept.map((secret) => secret.name)).toEqual(['admin token']);
    expect(config.encryptionKeys).toEqual([Buffer.from('ab'.repeat(32), 'hex')]);
  });

  it('refuses a kept file that holds no valid key, naming the file and not its content', () => {
    keep();
    writeFileSync(join(dataDir, 'encryption-key'), 'not-a-key\n');

    let thrown: unknown;
    try {
      keep();
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(ConfigError);
    const message = (thrown as ConfigError).message;
    expect(message).toContain(`HERALD_DATA_DIR: ${join(dataDir, 'encryption-key')}`);
    expect(message).not.toContain('not-a-key');
  });

  it('names HERALD_DATA_DIR when the folder cannot be made', () => {
    writeFileSync(join(root, 'file'), '');

    expect(() =>
      keepGeneratedSecrets(loadConfig({ HERALD_DATA_DIR: join(root, 'file', 'x') })),
    ).toThrow(/HERALD_DATA_DIR: cannot use/);
  });
});
