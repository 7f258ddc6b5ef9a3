import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEnvironment } from './read-environment';

describe('readEnvironment', () => {
  let folder: string;
  const saved = { ...process.env };

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'herald-env-'));
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

  it('returns process.env when there is no .env file', () => {
    process.env.HERALD_SPEC_ONLY_IN_PROCESS = 'process';

    const env = readEnvironment(folder);

    expect(env.HERALD_SPEC_ONLY_IN_PROCESS).toBe('process');
    expect(env.PATH).toBe(process.env.PATH);
  });

  it('reads the .env file and lets process.env win', () => {
    writeFileSync(
      join(folder, '.env'),
      [
        '# comment',
        'HERALD_SPEC_ONLY_IN_FILE=file',
        'HERALD_SPEC_IN_BOTH=file',
        'HERALD_SPEC_QUOTED="a b"',
      ].join('\n'),
    );
    process.env.HERALD_SPEC_IN_BOTH = 'process';

    const env = readEnvironment(folder);

    expect(env.HERALD_SPEC_ONLY_IN_FILE).toBe('file');
    expect(env.HERALD_SPEC_IN_BOTH).toBe('process');
    expect(env.HERALD_SPEC_QUOTED).toBe('a b');
  });

  it('leaves process.env untouched', () => {
    writeFileSync(join(folder, '.env'), 'HERALD_SPEC_ONLY_IN_FILE=file\n');

    readEnvironment(folder);

    expect(process.env.HERALD_SPEC_ONLY_IN_FILE).toBeUndefined();
  });

  it('fails when .env exists but cannot be read', () => {
    // A folder named .env fails with EISDIR, which must not pass for a missing file.
    mkdirSync(join(folder, '.env'));

    expect(() => readEnvironment(folder)).toThrow(/EISDIR/);
  });
});
