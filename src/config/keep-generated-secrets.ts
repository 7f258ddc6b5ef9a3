import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseEncryptionKey } from '../notifications';
import { ConfigError } from './config-error';
import type { HeraldConfig, SettledConfig } from './herald-config';
import { checkAdminToken } from './variable-parsers';

/** A secret that came from `HERALD_DATA_DIR` rather than from the environment. */
export interface KeptSecret {
  /** What it is, as start-up lines name it. */
  name: 'admin token' | 'encryption key';
  /** The file it is kept in, absolute. */
  path: string;
  /** true when this start made it; false when an earlier start had. */
  generated: boolean;
}

/**
 * Fills what the environment left unset (the admin token, the encryption key) from files in
 * `config.dataDir`, making each once: the folder is created with mode 0700 and each file with 0600,
 * and later starts read the same values, so webhook secrets and the printed token survive restarts.
 * Two processes starting at once on one folder end up with the same values.
 *
 * @throws ConfigError when the folder cannot be written or a kept file does not hold a valid value
 */
export function keepGeneratedSecrets(config: HeraldConfig): {
  config: SettledConfig;
  kept: KeptSecret[];
} {
  const { adminToken } = config;
  if (adminToken !== undefined && config.encryptionKeys.length > 0) {
    return { config: { ...config, adminToken }, kept: [] };
  }
  const dir = resolve(config.dataDir);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  } catch (error) {
    throw new ConfigError([`HERALD_DATA_DIR: cannot use ${dir}: ${describe(error)}`]);
  }
  const kept: KeptSecret[] = [];
  let { encryptionKeys } = config;
  let settledToken = adminToken;
  if (settledToken === undefined) {
    const token = keep(
      dir,
      'admin-token',
      () => randomBytes(24).toString('base64url'),
      (text) => {
        const problem = checkAdminToken(text);
        if (problem) throw new Error(problem);
      },
    );
    settledToken = token.value;
    kept.push({ name: 'admin token', path: token.path, generated: token.generated });
  }
  if (encryptionKeys.length === 0) {
    const key = keep(
      dir,
      'encryption-key',
      () => randomBytes(32).toString('base64'),
      (text) => {
        parseEncryptionKey(text);
      },
    );
    encryptionKeys = [parseEncryptionKey(key.value)];
    kept.push({ name: 'encryption key', path: key.path, generated: key.generated });
  }
  return { config: { ...config, adminToken: settledToken, encryptionKeys }, kept };
}

/** Reads `dir/name`, or creates it atomically with a generated value when it does not exist. */
function keep(
  dir: string,
  name: string,
  generate: () => string,
  check: (text: string) => void,
): { value: string; path: string; generated: boolean } {
  const path = join(dir, name);
  let generated = false;
  try {
    // Written whole under another name, then linked into place: a process starting beside this
    // one either finds no file or the complete one, and the link fails if it won the race.
    const draft = join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}`);
    writeFileSync(draft, `${generate()}\n`, { mode: 0o600, flag: 'wx' });
    try {
      linkSync(draft, path);
      generated = true;
    } catch (error) {
      if (!isCode(error, 'EEXIST')) throw error;
    } finally {
      unlinkSync(draft);
    }
  } catch (error) {
    throw new ConfigError([`HERALD_DATA_DIR: cannot write ${path}: ${describe(error)}`]);
  }
  let value: string;
  try {
    value = readFileSync(path, 'utf8').trim();
    check(value);
  } catch (error) {
    // The message names the file, never its content.
    throw new ConfigError([
      `HERALD_DATA_DIR: ${path} does not hold a valid ${name.replace('-', ' ')}: ` +
        `${describe(error)} (fix or remove the file; removing the encryption key strands the ` +
        'signing secrets sealed with it)',
    ]);
  }
  return { value, path, generated };
}

/** No instanceof Error here: under Jest, Node's own errors come from another realm. */
function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}

function describe(error: unknown): string {
  return typeof error === 'object' && error !== null && 'message' in error
    ? String(error.message)
    : String(error);
}
