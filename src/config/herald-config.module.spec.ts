import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config-error';
import { heraldConfigModule, readConfig } from './herald-config.module';

describe('heraldConfigModule, read by readConfig', () => {
  let folder: string;
  let envFile: string;
  const saved = { ...process.env };

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'herald-env-'));
    envFile = join(folder, '.env');
  });

  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
    for (const name of Object.keys(process.env)) {
      if (!(name in saved)) {
        delete process.env[name];
      }
    }
    Object.assign(process.env, saved);
  });

  it('reads process.env when there is no .env file', async () => {
    process.env.HERALD_DATA_DIR = 'from-process';

    const config = await readConfig(envFile);

    expect(config.dataDir).toBe('from-process');
    expect(config.port).toBe(3000);
  });

  it('reads the .env file and lets process.env win', async () => {
    writeFileSync(
      envFile,
      ['# comment', 'PORT=4000', 'LOG_LEVEL=warn', 'HERALD_DATA_DIR="a b"'].join('\n'),
    );
    process.env.LOG_LEVEL = 'debug';

    const config = await readConfig(envFile);

    expect(config.port).toBe(4000);
    expect(config.logLevel).toBe('debug');
    expect(config.dataDir).toBe('a b');
  });

  it('leaves process.env untouched', async () => {
    writeFileSync(envFile, 'HERALD_DATA_DIR=file\n');
    const before = { ...process.env };

    await readConfig(envFile);

    expect(process.env).toEqual(before);
  });

  it('fails when .env exists but cannot be read', async () => {
    // A folder named .env fails with EISDIR, which must not pass for a missing file.
    mkdirSync(envFile);

    await expect(heraldConfigModule(envFile)).rejects.toThrow(/EISDIR/);
  });

  it('refuses an invalid environment, naming every bad variable at once', async () => {
    writeFileSync(envFile, 'PORT=eighty\n');
    process.env.HERALD_RETENTION = '1s';

    const error: unknown = await heraldConfigModule(envFile).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((problem) => problem.split(':')[0])).toEqual([
      'PORT',
      'HERALD_RETENTION',
    ]);
  });
});
