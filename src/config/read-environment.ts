import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';

/**
 * Returns the variables the service is configured from: the `.env` file in `cwd`, if there is
 * one, overlaid by `process.env`, so a variable set in the real environment always wins.
 * `process.env` itself is left untouched.
 *
 * @param cwd folder holding the `.env` file; the process's working directory by default
 */
export function readEnvironment(cwd: string = process.cwd()): Record<string, string | undefined> {
  return { ...readDotEnv(join(cwd, '.env')), ...process.env };
}

function readDotEnv(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    // A missing file is the normal case in production; any other failure should stop the start.
    // No instanceof Error here: under Jest, Node's own errors come from another realm.
    if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT') {
      return {};
    }
    throw error;
  }
  return parse(text);
}
