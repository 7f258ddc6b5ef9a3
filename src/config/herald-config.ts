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
  adminToken: string;
  /** true when HERALD_ADMIN_TOKEN was unset and a token was generated for this run */
  adminTokenGenerated: boolean;
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
  /** Long polls and streams one tenant may hold open in one process (HERALD_MAX_POLLS_PER_TENANT). */
  maxHeldPollsPerTenant: number;
  /** Subscriptions one tenant may have (HERALD_MAX_SUBSCRIPTIONS_PER_TENANT). */
  maxSubscriptionsPerTenant: number;
  allowedDestinations: string[]; // CIDR strings, each validated and normalised
  sweepInterval: number; // ms
  shutdownGrace: number; // ms
  logLevel: LogLevel;
  /** AES-256 key sealing webhook signing secrets at rest (HERALD_ENCRYPTION_KEY). */
  encryptionKey: Buffer;
  /** true when HERALD_ENCRYPTION_KEY was unset and a key was generated for this run */
  encryptionKeyGenerated: boolean;
}
