import type { RateLimitSetting } from './rate-limit';

/** A part of Herald that a process can run; `HERALD_ROLES` picks any combination. */
export type HeraldRole = 'api' | 'worker' | 'sequencer';

/** How much the service logs (`LOG_LEVEL`): pino's levels, most severe first, and `silent`. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * The standalone service's validated configuration, built once at start by `loadConfig`.
 * Durations are in milliseconds.
 */
export interface HeraldConfig {
  port: number;
  databaseUrl: string;
  redisUrl: string;
  /** HERALD_ADMIN_TOKEN; undefined until one is kept in `dataDir` (see keepGeneratedSecrets). */
  adminToken: string | undefined;
  roles: ReadonlySet<HeraldRole>;
  retrySchedule: number[]; // ms
  fastRetries: number;
  deliveryTimeout: number; // ms
  disableAfter: number; // ms
  retention: number; // ms
  longPollMaxWait: number; // ms
  /** Publishes per window and API key (HERALD_RATE_LIMIT_PUBLISH); false when off. */
  publishRateLimit: RateLimitSetting | false;
  /** Management requests per window and API key (HERALD_RATE_LIMIT_MANAGEMENT); false when off. */
  managementRateLimit: RateLimitSetting | false;
  /** Reads of events answered at once, per window and API key (HERALD_RATE_LIMIT_READ); false when off. */
  readRateLimit: RateLimitSetting | false;
  /** Bytes a page of events may hold, at least one event whatever its size (HERALD_MAX_PAGE_BYTES). */
  maxPageBytes: number;
  /** Long polls and streams one tenant may hold open in one process (HERALD_MAX_POLLS_PER_TENANT). */
  maxHeldPollsPerTenant: number;
  /** Subscriptions one tenant may have (HERALD_MAX_SUBSCRIPTIONS_PER_TENANT). */
  maxSubscriptionsPerTenant: number;
  /**
   * Webhook attempts one tenant may have in flight in one worker process
   * (HERALD_MAX_IN_FLIGHT_PER_TENANT); undefined leaves the module's default.
   */
  maxInFlightPerTenant: number | undefined;
  allowedDestinations: string[]; // CIDR strings, each validated and normalised
  sweepInterval: number; // ms
  shutdownGrace: number; // ms
  logLevel: LogLevel;
  /**
   * AES-256 keys sealing webhook signing secrets at rest (HERALD_ENCRYPTION_KEY): the first seals,
   * any opens. Empty until one is kept in `dataDir` (see keepGeneratedSecrets).
   */
  encryptionKeys: Buffer[];
  /** Where a generated admin token and encryption key are kept (HERALD_DATA_DIR). */
  dataDir: string;
}

/** A configuration whose admin token and encryption key are settled, from the environment or kept in `dataDir`. */
export type SettledConfig = HeraldConfig & { adminToken: string };
