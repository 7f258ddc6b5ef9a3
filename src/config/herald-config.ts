import { ValidateBy } from 'class-validator';
import { parseByteSize } from './byte-size';
import { parseDuration } from './duration';
import { Env } from './env.decorator';
import { parseRateLimit, type RateLimitSetting } from './rate-limit';
import {
  adminToken,
  between,
  boolean,
  cidr,
  count,
  databaseUrl,
  encryptionKeys,
  list,
  oneOf,
  otlpEndpoint,
  publicUrl,
  redisUrl,
} from './variable-parsers';

const ROLES = ['api', 'worker', 'sequencer'] as const;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A part of Herald that a process can run; `HERALD_ROLES` picks any combination. */
export type HeraldRole = (typeof ROLES)[number];

/** How much the service logs (`LOG_LEVEL`): pino's levels, most severe first, and `silent`. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Fast retries are the first retries of the schedule, so there cannot be more of them. */
function FitsRetrySchedule(): PropertyDecorator {
  return ValidateBy({
    name: 'fitsRetrySchedule',
    validator: {
      validate: (fast, args) => {
        const schedule = (args?.object as HeraldConfig).retrySchedule;
        // Either one refused is reported as itself, not blamed on the other.
        return typeof fast !== 'number' || !Array.isArray(schedule) || fast <= schedule.length;
      },
      defaultMessage: (args) =>
        `HERALD_FAST_RETRIES: ${args?.value} is more than the ` +
        `${(args?.object as HeraldConfig).retrySchedule.length} retries in HERALD_RETRY_SCHEDULE`,
    },
  });
}

/**
 * The standalone service's configuration, and its schema: each property is read from its
 * variable, with its default and its rule (docs/operations.md documents them), in the order
 * problems are listed. Built once at start by `loadConfig`. Durations are in milliseconds.
 */
export class HeraldConfig {
  @Env('PORT', '3000', between(count, '1', '65535'))
  port!: number;
  /** Where browsers reach the service: portal links start with it. */
  @Env('HERALD_PUBLIC_URL', '', publicUrl)
  publicUrl!: string;
  @Env('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/herald', databaseUrl)
  databaseUrl!: string;
  @Env('REDIS_URL', 'redis://127.0.0.1:6379', redisUrl)
  redisUrl!: string;
  @Env(
    'HERALD_ROLES',
    'api,worker,sequencer',
    (text) => new Set(list(oneOf(ROLES, 'a role'))(text)),
  )
  roles!: ReadonlySet<HeraldRole>;
  @Env('HERALD_RETRY_SCHEDULE', '5s,5m,30m,2h,5h,10h,10h', list(parseDuration))
  retrySchedule!: number[];
  /** How many retries of the schedule run in Bull; the later ones are parked in Postgres. */
  @Env('HERALD_FAST_RETRIES', '2', count)
  @FitsRetrySchedule()
  fastRetries!: number;
  @Env('HERALD_DELIVERY_TIMEOUT', '15s', between(parseDuration, '1s', '5m'))
  deliveryTimeout!: number;
  @Env('HERALD_DISABLE_AFTER', '5d', between(parseDuration, '1s'))
  disableAfter!: number;
  @Env('HERALD_RETENTION', '7d', between(parseDuration, '1m'))
  retention!: number;
  @Env('HERALD_LONGPOLL_MAX_WAIT', '60s', between(parseDuration, '1s', '5m'))
  longPollMaxWait!: number;
  /** Publishes per window and API key; false when off. */
  @Env('HERALD_RATE_LIMIT_PUBLISH', '1000/1s', parseRateLimit)
  publishRateLimit!: RateLimitSetting | false;
  /** Management requests per window and API key; false when off. */
  @Env('HERALD_RATE_LIMIT_MANAGEMENT', '100/1s', parseRateLimit)
  managementRateLimit!: RateLimitSetting | false;
  /** Reads of events answered at once, per window and API key; false when off. */
  @Env('HERALD_RATE_LIMIT_READ', '100/1s', parseRateLimit)
  readRateLimit!: RateLimitSetting | false;
  /** Bytes a page of events may hold, at least one event whatever its size. */
  @Env('HERALD_MAX_PAGE_BYTES', '1MiB', between(parseByteSize, '1KiB', '64MiB'))
  maxPageBytes!: number;
  /** Long polls and streams one tenant may hold open in one process. */
  @Env('HERALD_MAX_POLLS_PER_TENANT', '1000', between(count, '1'))
  maxHeldPollsPerTenant!: number;
  /** Subscriptions one tenant may have. */
  @Env('HERALD_MAX_SUBSCRIPTIONS_PER_TENANT', '100', between(count, '1'))
  maxSubscriptionsPerTenant!: number;
  /**
   * Webhook attempts one tenant may have in flight in one worker process; undefined (unset) leaves
   * the module's default, a share of the worker's slots.
   */
  @Env('HERALD_MAX_IN_FLIGHT_PER_TENANT', '', (text) =>
    text ? between(count, '1')(text) : undefined,
  )
  maxInFlightPerTenant!: number | undefined;
  /** CIDR ranges webhooks may reach although private, each validated and normalised. */
  @Env('HERALD_ALLOWED_DESTINATIONS', '', (text) => (text ? list(cidr)(text) : []))
  allowedDestinations!: string[];
  // Node fires a timer longer than 2^31-1 ms (about 24.8 days) after 1 ms, hence the ceiling.
  @Env('HERALD_SWEEP_INTERVAL', '30s', between(parseDuration, '100ms', '24d'))
  sweepInterval!: number;
  @Env('HERALD_SHUTDOWN_GRACE', '10s', between(parseDuration, '0s', '10m'))
  shutdownGrace!: number;
  /** Only declared event types may be published and subscribed to. */
  @Env('HERALD_STRICT_EVENT_TYPES', 'false', boolean)
  strictEventTypes!: boolean;
  @Env('LOG_LEVEL', 'info', oneOf(LOG_LEVELS, 'a log level'))
  logLevel!: LogLevel;
  /**
   * The OTLP/HTTP collector traces are exported to (`/v1/traces` is appended); undefined: none.
   * The exporter reads the other standard `OTEL_EXPORTER_OTLP_*` variables itself.
   */
  @Env('OTEL_EXPORTER_OTLP_ENDPOINT', '', otlpEndpoint)
  otlpEndpoint!: string | undefined;
  /** Where traces go, as is, instead of `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. */
  @Env('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', '', otlpEndpoint)
  otlpTracesEndpoint!: string | undefined;
  /** The `service.name` of exported spans. */
  @Env('OTEL_SERVICE_NAME', 'herald', (text) => text)
  serviceName!: string;
  /** Where a generated admin token and encryption key are kept. */
  @Env('HERALD_DATA_DIR', '.herald', (text) => text)
  dataDir!: string;
  /** Undefined until one is kept in `dataDir` (see keepGeneratedSecrets). */
  @Env('HERALD_ADMIN_TOKEN', '', adminToken)
  adminToken!: string | undefined;
  /**
   * AES-256 keys sealing webhook signing secrets at rest: the first seals, any opens. Empty until
   * one is kept in `dataDir` (see keepGeneratedSecrets).
   */
  @Env('HERALD_ENCRYPTION_KEY', '', encryptionKeys)
  encryptionKeys!: Buffer[];
}

/** A configuration whose admin token and encryption key are settled, from the environment or kept in `dataDir`. */
export type SettledConfig = HeraldConfig & { adminToken: string };
