import ipaddr from 'ipaddr.js';
import { parseEncryptionKey } from '../notifications';
import { ConfigError } from './config-error';
import { parseByteSize } from './byte-size';
import { parseDuration } from './duration';
import { parseRateLimit } from './rate-limit';
import type { HeraldConfig, HeraldRole, LogLevel } from './herald-config';

const ROLES: readonly HeraldRole[] = ['api', 'worker', 'sequencer'];
const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

/** The defaults of DESIGN.md's configuration table, written as an operator would write them. */
const DEFAULTS = {
  PORT: '3000',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/herald',
  REDIS_URL: 'redis://127.0.0.1:6379',
  HERALD_ROLES: 'api,worker,sequencer',
  HERALD_RETRY_SCHEDULE: '5s,5m,30m,2h,5h,10h,10h',
  HERALD_FAST_RETRIES: '2',
  HERALD_DELIVERY_TIMEOUT: '15s',
  HERALD_DISABLE_AFTER: '5d',
  HERALD_RETENTION: '7d',
  HERALD_LONGPOLL_MAX_WAIT: '60s',
  HERALD_RATE_LIMIT_PUBLISH: '1000/1s',
  HERALD_RATE_LIMIT_MANAGEMENT: '100/1s',
  HERALD_RATE_LIMIT_READ: '100/1s',
  HERALD_MAX_PAGE_BYTES: '1MiB',
  HERALD_MAX_POLLS_PER_TENANT: '1000',
  HERALD_MAX_SUBSCRIPTIONS_PER_TENANT: '100',
  // Empty: the module's default, a share of the worker's slots.
  HERALD_MAX_IN_FLIGHT_PER_TENANT: '',
  HERALD_ALLOWED_DESTINATIONS: '',
  HERALD_SWEEP_INTERVAL: '30s',
  HERALD_SHUTDOWN_GRACE: '10s',
  HERALD_DATA_DIR: '.herald',
  LOG_LEVEL: 'info',
} as const;

type DefaultedVariable = keyof typeof DEFAULTS;

const ADMIN_TOKEN_MIN_LENGTH = 16;

/** The token goes in an Authorization header, so it must be sendable there as it is. */
const HEADER_SAFE_TOKEN = /^[\x21-\x7e]+$/;

/**
 * Validates the environment against DESIGN.md's configuration table and returns the typed
 * configuration. Empty values count as unset and take the default. An unset `HERALD_ADMIN_TOKEN`
 * or `HERALD_ENCRYPTION_KEY` is left for `keepGeneratedSecrets` to fill from `HERALD_DATA_DIR`,
 * except that production (`NODE_ENV=production`) requires the key.
 *
 * @param env variables to read, usually `readEnvironment()`
 * @throws ConfigError listing every invalid variable, not just the first
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): HeraldConfig {
  const problems: string[] = [];
  const invalid = new Set<DefaultedVariable>();

  function read<T>(name: DefaultedVariable, parse: (text: string) => T): T {
    try {
      return parse(valueOf(env, name) ?? DEFAULTS[name]);
    } catch (error) {
      if (!(error instanceof Error)) {
        throw error;
      }
      problems.push(`${name}: ${error.message}`);
      invalid.add(name);
      // The default stands in so the later checks still run and report; nothing returns it.
      return parse(DEFAULTS[name]);
    }
  }

  const port = read('PORT', parsePort);
  const databaseUrl = read('DATABASE_URL', parseDatabaseUrl);
  const redisUrl = read('REDIS_URL', parseRedisUrl);
  const roles = read('HERALD_ROLES', parseRoles);
  const retrySchedule = read('HERALD_RETRY_SCHEDULE', (text) => parseList(text, parseDuration));
  const fastRetries = read('HERALD_FAST_RETRIES', parseCount);
  const deliveryTimeout = read('HERALD_DELIVERY_TIMEOUT', durationWithin('1s', '5m'));
  const disableAfter = read('HERALD_DISABLE_AFTER', durationWithin('1s'));
  const retention = read('HERALD_RETENTION', durationWithin('1m'));
  const longPollMaxWait = read('HERALD_LONGPOLL_MAX_WAIT', durationWithin('1s', '5m'));
  const publishRateLimit = read('HERALD_RATE_LIMIT_PUBLISH', parseRateLimit);
  const managementRateLimit = read('HERALD_RATE_LIMIT_MANAGEMENT', parseRateLimit);
  const readRateLimit = read('HERALD_RATE_LIMIT_READ', parseRateLimit);
  const maxPageBytes = read('HERALD_MAX_PAGE_BYTES', byteSizeWithin('1KiB', '64MiB'));
  const maxHeldPollsPerTenant = read('HERALD_MAX_POLLS_PER_TENANT', parsePositiveCount);
  const maxSubscriptionsPerTenant = read('HERALD_MAX_SUBSCRIPTIONS_PER_TENANT', parsePositiveCount);
  const maxInFlightPerTenant = read('HERALD_MAX_IN_FLIGHT_PER_TENANT', (text) =>
    text === '' ? undefined : parsePositiveCount(text),
  );
  const allowedDestinations = read('HERALD_ALLOWED_DESTINATIONS', parseCidrList);
  // Node fires a timer longer than 2^31-1 ms (about 24.8 days) after 1 ms, hence the ceiling.
  const sweepInterval = read('HERALD_SWEEP_INTERVAL', durationWithin('100ms', '24d'));
  const shutdownGrace = read('HERALD_SHUTDOWN_GRACE', durationWithin('0s', '10m'));
  const logLevel = read('LOG_LEVEL', parseLogLevel);
  const dataDir = read('HERALD_DATA_DIR', (text) => text);

  const bothCountsValid =
    !invalid.has('HERALD_RETRY_SCHEDULE') && !invalid.has('HERALD_FAST_RETRIES');
  if (bothCountsValid && fastRetries > retrySchedule.length) {
    problems.push(
      `HERALD_FAST_RETRIES: ${fastRetries} is more than the ${retrySchedule.length} retries ` +
        'in HERALD_RETRY_SCHEDULE',
    );
  }

  const givenToken = valueOf(env, 'HERALD_ADMIN_TOKEN');
  const tokenProblem = givenToken === undefined ? undefined : checkAdminToken(givenToken);
  if (tokenProblem) problems.push(`HERALD_ADMIN_TOKEN: ${tokenProblem}`);

  const givenKeys = valueOf(env, 'HERALD_ENCRYPTION_KEY');
  let encryptionKeys: Buffer[] = [];
  if (givenKeys !== undefined) {
    try {
      encryptionKeys = parseList(givenKeys, parseEncryptionKey);
    } catch {
      // The messages would describe key material; say what a key must look like instead.
      problems.push(
        'HERALD_ENCRYPTION_KEY: must be 32 bytes written as base64 (44 characters) or hex (64), ' +
          'or a comma-separated list of such keys (generate one with: openssl rand -base64 32)',
      );
    }
  } else if (valueOf(env, 'NODE_ENV') === 'production') {
    problems.push(
      'HERALD_ENCRYPTION_KEY: is required when NODE_ENV=production: keep the key with your other ' +
        'secrets, since webhook secrets sealed under a lost key cannot be opened ' +
        '(generate one with: openssl rand -base64 32)',
    );
  }

  if (problems.length > 0) {
    throw new ConfigError(problems);
  }

  return {
    port,
    databaseUrl,
    redisUrl,
    adminToken: givenToken,
    roles,
    retrySchedule,
    fastRetries,
    deliveryTimeout,
    disableAfter,
    retention,
    longPollMaxWait,
    publishRateLimit,
    managementRateLimit,
    readRateLimit,
    maxPageBytes,
    maxHeldPollsPerTenant,
    maxSubscriptionsPerTenant,
    maxInFlightPerTenant,
    allowedDestinations,
    sweepInterval,
    shutdownGrace,
    logLevel,
    encryptionKeys,
    dataDir,
  };
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

/** Surrounding whitespace is a copy-paste accident, and blank means "use the default". */
function valueOf(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function parseCount(text: string): number {
  const count = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(count)) {
    throw new Error(`"${text}" is not a whole number`);
  }
  return count;
}

function parsePositiveCount(text: string): number {
  const count = parseCount(text);
  if (count < 1) {
    throw new Error(`"${text}" must be at least 1`);
  }
  return count;
}

function parsePort(text: string): number {
  const port = parseCount(text);
  if (port < 1 || port > 65535) {
    throw new Error(`"${text}" must be between 1 and 65535`);
  }
  return port;
}

function durationWithin(min: string, max?: string): (text: string) => number {
  const minMs = parseDuration(min);
  const maxMs = max === undefined ? Infinity : parseDuration(max);
  return (text) => {
    const ms = parseDuration(text);
    if (ms < minMs || ms > maxMs) {
      const range = max === undefined ? `at least ${min}` : `between ${min} and ${max}`;
      throw new Error(`"${text}" must be ${range}`);
    }
    return ms;
  };
}

function byteSizeWithin(min: string, max: string): (text: string) => number {
  const minBytes = parseByteSize(min);
  const maxBytes = parseByteSize(max);
  return (text) => {
    const bytes = parseByteSize(text);
    if (bytes < minBytes || bytes > maxBytes) {
      throw new Error(`"${text}" must be between ${min} and ${max}`);
    }
    return bytes;
  };
}

/**
 * Splits a comma list and parses every entry, reporting all bad entries together rather than
 * stopping at the first.
 */
function parseList<T>(text: string, parseItem: (item: string) => T): T[] {
  const items = text.split(',').map((item) => item.trim());
  const errors: string[] = [];
  if (items.includes('')) {
    errors.push(`"${text}" has an empty entry`);
  }
  const parsed: T[] = [];
  for (const item of items.filter((entry) => entry !== '')) {
    try {
      parsed.push(parseItem(item));
    } catch (error) {
      if (!(error instanceof Error)) {
        throw error;
      }
      errors.push(error.message);
    }
  }
  if (errors.length > 0) {
    throw new Error(errors.join('; '));
  }
  return parsed;
}

function parseRoles(text: string): ReadonlySet<HeraldRole> {
  return new Set(parseList(text, parseRole));
}

function parseRole(text: string): HeraldRole {
  const role = ROLES.find((candidate) => candidate === text);
  if (role === undefined) {
    throw new Error(`"${text}" is not a role (use ${ROLES.join(', ')})`);
  }
  return role;
}

function parseLogLevel(text: string): LogLevel {
  const level = LOG_LEVELS.find((candidate) => candidate === text);
  if (level === undefined) {
    throw new Error(`"${text}" is not a log level (use ${LOG_LEVELS.join(', ')})`);
  }
  return level;
}

function parseCidrList(text: string): string[] {
  return text === '' ? [] : parseList(text, normaliseCidr);
}

/** Returns the CIDR with its host bits cleared and its address in canonical form. */
function normaliseCidr(text: string): string {
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

function parseDatabaseUrl(text: string): string {
  const url = parseUrl(text, 'postgres://user@host:5432/database');
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(wrongScheme(url, 'postgres:// or postgresql://'));
  }
  const database = url.pathname.slice(1);
  if (database === '' || database.includes('/')) {
    throw new Error(
      `${describeUrl(url)} must name one database in its path, as in postgres://host:5432/herald`,
    );
  }
  return text;
}

function parseRedisUrl(text: string): string {
  const url = parseUrl(text, 'redis://host:6379');
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Error(wrongScheme(url, 'redis:// or rediss://'));
  }
  return text;
}

function parseUrl(text: string, example: string): URL {
  if (!URL.canParse(text)) {
    // Not echoed: an unparseable URL may still hold a password we cannot find to mask.
    throw new Error(`is not a URL (expected something like ${example})`);
  }
  return new URL(text);
}

/** Names only the scheme: with an unexpected scheme we cannot tell where a password would be. */
function wrongScheme(url: URL, expected: string): string {
  return `must start with ${expected}, not ${url.protocol}`;
}

/** Quotes a URL for an error message with its password masked, since messages reach logs. */
function describeUrl(url: URL): string {
  if (url.password === '') {
    return `"${url.href}"`;
  }
  const masked = new URL(url.href);
  masked.password = '***';
  return `"${masked.href}"`;
}
