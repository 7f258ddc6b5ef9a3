import ipaddr from 'ipaddr.js';
import { parseEncryptionKey } from '../notifications';
import type { Environment } from './env.decorator';

/**
 * The parsers of the configuration's variables: each takes the trimmed text and returns the typed
 * value, or throws an Error whose message says what is wrong (reported as `NAME: message`).
 */

const ADMIN_TOKEN_MIN_LENGTH = 16;

/** The token goes in an Authorization header, so it must be sendable there as it is. */
const HEADER_SAFE_TOKEN = /^[\x21-\x7e]+$/;

/** A whole number written in decimal digits. */
export function count(text: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new Error(`"${text}" is not a whole number`);
  }
  return value;
}

/** `true` or `false`, as written. */
export function boolean(text: string): boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new Error(`"${text}" is not true or false`);
}

/** `parse`, refusing values below `min` or above `max` (written as an operator would). */
export function between(
  parse: (text: string) => number,
  min: string,
  max?: string,
): (text: string) => number {
  return (text) => {
    const value = parse(text);
    if (value < parse(min) || (max !== undefined && value > parse(max))) {
      const range = max === undefined ? `at least ${min}` : `between ${min} and ${max}`;
      throw new Error(`"${text}" must be ${range}`);
    }
    return value;
  };
}

/** One of `choices`, exactly as written there; `what` names the kind, as in "a role". */
export function oneOf<T extends string>(choices: readonly T[], what: string): (text: string) => T {
  return (text) => {
    const choice = choices.find((candidate) => candidate === text);
    if (choice === undefined) {
      throw new Error(`"${text}" is not ${what} (use ${choices.join(', ')})`);
    }
    return choice;
  };
}

/**
 * A comma list, each entry trimmed and parsed, reporting all bad entries together rather than
 * stopping at the first.
 */
export function list<T>(parseItem: (item: string) => T): (text: string) => T[] {
  return (text) => {
    const items = text.split(',').map((item) => item.trim());
    const errors = items.includes('') ? [`"${text}" has an empty entry`] : [];
    const parsed: T[] = [];
    for (const item of items.filter((entry) => entry !== '')) {
      try {
        parsed.push(parseItem(item));
      } catch (error) {
        if (!(error instanceof Error)) throw error;
        errors.push(error.message);
      }
    }
    if (errors.length > 0) {
      throw new Error(errors.join('; '));
    }
    return parsed;
  };
}

/** Returns the CIDR with its host bits cleared and its address in canonical form. */
export function cidr(text: string): string {
  const hint = 'write an address and a prefix length, as in 10.0.0.0/8 or fd00::/8';
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(text);
  } catch {
    throw new Error(`"${text}" is not a CIDR (${hint})`);
  }
  const [address, prefixLength] = parsed;
  if (address.kind() === 'ipv4') {
    // ipaddr also reads forms such as "10/8" (which means 0.0.0.10/8); insist on the usual one.
    if (!ipaddr.IPv4.isValidCIDRFourPartDecimal(text)) {
      throw new Error(`"${text}" is not a CIDR (${hint})`);
    }
    return `${ipaddr.IPv4.networkAddressFromCIDR(text).toString()}/${prefixLength}`;
  }
  if (text.includes('%')) {
    throw new Error(`"${text}" has a zone index, which a destination range cannot use`);
  }
  return `${ipaddr.IPv6.networkAddressFromCIDR(text).toString()}/${prefixLength}`;
}

export function databaseUrl(text: string): string {
  const url = parseUrl(text, 'postgres://user@host:5432/database', ['postgres:', 'postgresql:']);
  const database = url.pathname.slice(1);
  if (database === '' || database.includes('/')) {
    throw new Error(
      `${describeUrl(url)} must name one database in its path, as in postgres://host:5432/herald`,
    );
  }
  return text;
}

export function redisUrl(text: string): string {
  parseUrl(text, 'redis://host:6379', ['redis:', 'rediss:']);
  return text;
}

/**
 * Where browsers reach the service (`HERALD_PUBLIC_URL`), for links to the portal; by default
 * `http://localhost:<PORT>`. A path is kept (a proxy's prefix), a trailing slash dropped.
 */
export function publicUrl(text: string, env: Environment): string {
  if (text === '') return `http://localhost:${env.PORT?.trim() || '3000'}`;
  const url = parseUrl(text, 'https://herald.example.com', ['http:', 'https:']);
  if (url.search !== '' || text.includes('#')) {
    throw new Error(`${describeUrl(url)} must have no query or fragment`);
  }
  return text.replace(/\/+$/, '');
}

/** An OTLP/HTTP endpoint, or undefined when blank (traces are then not exported). */
export function otlpEndpoint(text: string): string | undefined {
  if (text === '') return undefined;
  parseUrl(text, 'http://localhost:4318', ['http:', 'https:']);
  return text;
}

function parseUrl(text: string, example: string, schemes: string[]): URL {
  if (!URL.canParse(text)) {
    // Not echoed: an unparseable URL may still hold a password we cannot find to mask.
    throw new Error(`is not a URL (expected something like ${example})`);
  }
  const url = new URL(text);
  if (!schemes.includes(url.protocol)) {
    // Only the scheme is named: with an unexpected one we cannot tell where a password would be.
    const expected = schemes.map((scheme) => `${scheme}//`).join(' or ');
    throw new Error(`must start with ${expected}, not ${url.protocol}`);
  }
  return url;
}

/** Quotes a URL for an error message with its password masked, since messages reach logs. */
function describeUrl(url: URL): string {
  const masked = new URL(url.href);
  if (masked.password !== '') masked.password = '***';
  return `"${masked.href}"`;
}

/**
 * Why `token` cannot be the admin token, or undefined when it can. The token is a secret, so the
 * message describes it without repeating it.
 */
export function checkAdminToken(token: string): string | undefined {
  if (token.length < ADMIN_TOKEN_MIN_LENGTH) {
    return `must be at least ${ADMIN_TOKEN_MIN_LENGTH} characters (it has ${token.length})`;
  }
  if (!HEADER_SAFE_TOKEN.test(token)) {
    return 'must be printable ASCII without spaces, to fit in an HTTP header';
  }
  return undefined;
}

/** The admin token; unset (empty) is left for `keepGeneratedSecrets` to fill. */
export function adminToken(text: string): string | undefined {
  const problem = text === '' ? undefined : checkAdminToken(text);
  if (problem) throw new Error(problem);
  return text === '' ? undefined : text;
}

/**
 * The encryption keys, the sealing one first. Unset (empty) is left for `keepGeneratedSecrets` to
 * fill, except in production (`NODE_ENV=production`), which requires them.
 */
export function encryptionKeys(text: string, env: Environment): Buffer[] {
  if (text === '' && env.NODE_ENV?.trim() !== 'production') return [];
  if (text === '') {
    throw new Error(
      'is required when NODE_ENV=production: keep the key with your other secrets, since webhook ' +
        'secrets sealed under a lost key cannot be opened (generate one with: openssl rand -base64 32)',
    );
  }
  try {
    return list(parseEncryptionKey)(text);
  } catch {
    // The messages would describe key material; say what a key must look like instead.
    throw new Error(
      'must be 32 bytes written as base64 (44 characters) or hex (64), or a comma-separated list ' +
        'of such keys (generate one with: openssl rand -base64 32)',
    );
  }
}
