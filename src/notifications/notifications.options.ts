import { Registry } from 'prom-client';
import { type Clock, systemClock } from './clock';
import type { EventTypeSource, EventTypeView } from './event-types/event-type.types';
import { resolveEventTypes } from './event-types/resolve-event-types';
import type { RateLimitRule } from './limits/rate-limit-rule';
import { resolveWithDns, type ResolveHost } from './webhooks/destinations/destination-guard';
import { parseEncryptionKey } from './webhooks/secrets/secret-box';

/** A 32-byte AES key: the bytes, or text of them as base64 or 64 hex digits. */
export type EncryptionKey = Buffer | string;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

/** Options of {@link NotificationsModule}. Every field is optional; durations are milliseconds. */
export interface NotificationsModuleOptions {
  /** Bearer token of the admin API. Without it, only tenant API keys authenticate. */
  adminToken?: string;
  /** Run the sequencer in this process (one is active cluster-wide, the others stand by). Default true. */
  runSequencer?: boolean;
  /** Run the webhook delivery processors in this process. Default true. */
  runWorker?: boolean;
  /** How long events stay readable by cursor. Default 7 days. */
  retention?: number;
  /** Largest `wait` a long poll may ask for. Default 60 s. */
  longPollMaxWait?: number;
  /** Largest serialized event payload. Default 256 KiB. */
  maxPayloadBytes?: number;
  /** Events stamped per sequencer transaction. Default 1000. */
  sequencerBatchSize?: number;
  /** Least time between two batches while events keep coming (a lone event waits for none). Default 25 ms. */
  sequencerBatchInterval?: number;
  /** Fallback poll of the sequencer when no NOTIFY arrives. Default 2 s. */
  sequencerPollInterval?: number;
  /**
   * How long an authenticated API key is trusted without asking Postgres again. Revocations reach
   * every instance at once through NOTIFY; this bounds how long one can go unseen when a
   * notification is lost. Default 5 s.
   */
  apiKeyCacheTtl?: number;
  /** How often a standby sequencer tries to take the lock. Default 1 s. */
  sequencerStandbyInterval?: number;
  /** How often expired events are deleted. Default 60 s. */
  retentionInterval?: number;
  /** How often the long-poll listener checks the head for notifications it missed. Default 5 s. */
  longPollRecheckInterval?: number;
  /** How often a quiet event stream sends a heartbeat comment. Default 15 s. */
  streamHeartbeatInterval?: number;
  /**
   * Publishes (`POST /v1/events`) one API key may send per window, in this process; the admin
   * token has a bucket of its own. Default 1000 per second; `false` turns the limit off.
   */
  publishRateLimit?: RateLimitRule | false;
  /**
   * Management requests (tenants, API keys, subscriptions, deliveries, reading one event) one API
   * key may send per window, in this process; the admin token has a bucket of its own. Default
   * 100 per second; `false` turns the limit off.
   */
  managementRateLimit?: RateLimitRule | false;
  /**
   * Reads of events answered at once (`GET /v1/events` that did not hold, and each opening of
   * `GET /v1/events/stream`) one API key may send per window, in this process; the admin token has
   * a bucket of its own. Polls that hold count against `maxHeldPollsPerTenant` instead. Default
   * 100 per second; `false` turns the limit off.
   */
  readRateLimit?: RateLimitRule | false;
  /**
   * Bytes a page of events may hold (each event's serialized payload and topic, plus 160 bytes for
   * its other fields and the length of its `traceparent` when it has one), for long polls, stream catch-up and wake-ups alike; a page always holds at
   * least one event, whatever its size. Default 1 MiB.
   */
  maxPageBytes?: number;
  /** Long polls and event streams one tenant may hold open at once in this process. Default 1000. */
  maxHeldPollsPerTenant?: number;
  /** Subscriptions one tenant may have, enabled or not. Default 100. */
  maxSubscriptionsPerTenant?: number;
  /** Registry for Herald's Prometheus metrics. Default: a registry of the module's own. */
  metricsRegistry?: Registry;
  /**
   * AES-256 key (32 bytes) sealing webhook signing secrets at rest, or a list of them to rotate
   * keys: the first seals, any of them opens, and secrets found under another key are sealed again
   * under the first. Required when the worker runs or the HTTP routes are mounted; the module
   * never makes one up, since secrets sealed under a key that is lost cannot be opened.
   */
  encryptionKey?: EncryptionKey | readonly EncryptionKey[];
  /** How messages name where the encryption key comes from. Default "the encryptionKey option". */
  encryptionKeySource?: string;
  /** How often secrets sealed under an older key are sealed again under the first. Default 10 min. */
  resealInterval?: number;
  /** Delays between webhook attempts. Default 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
  retrySchedule?: number[];
  /** How many of those retries run as Bull delayed jobs before a delivery is parked in Postgres. Default 2. */
  fastRetries?: number;
  /** One webhook attempt's limit. Default 15 s. */
  deliveryTimeout?: number;
  /** A subscription with no success for this long is disabled. Default 5 days. */
  disableAfter?: number;
  /** CIDRs exempt from the private-address block of webhook destinations. Default none. */
  allowedDestinations?: string[];
  /**
   * Resolves webhook host names to every address they have; each address is checked, and the
   * socket connects only to checked ones. Default: `dns.lookup` with `all: true`.
   */
  resolveHost?: ResolveHost;
  /** How often due and orphaned deliveries are enqueued again. Default 30 s. */
  sweepInterval?: number;
  /** Attempts in flight at once for one subscription, per process. Default 10. */
  maxInFlightPerSubscription?: number;
  /** Attempts in flight at once in one worker process, all subscriptions together. Default 100. */
  maxInFlightPerWorker?: number;
  /**
   * Attempts in flight at once for one tenant's subscriptions together, per process, so one tenant
   * with many slow or hanging receivers leaves slots to the others. Default a quarter of
   * `maxInFlightPerWorker`, at least `maxInFlightPerSubscription` (and at most the worker's cap):
   * 25 with the defaults.
   */
  maxInFlightPerTenant?: number;
  /**
   * On shutdown, how long attempts in flight may take to finish; those still running then are
   * aborted and recorded as interrupted, due again at once. Default 10 s.
   */
  shutdownGrace?: number;
  /** How long the previous secret keeps signing after a rotation. Default 24 h. */
  secretRotationGrace?: number;
  /**
   * Where the Herald service is reached from a browser, e.g. `https://herald.example.com`: portal
   * links are `<publicUrl>/portal#token=…`. Default `http://localhost:3000`.
   */
  publicUrl?: string;
  /**
   * Event types declared in code: classes decorated with `@EventType`, or `{ name, description?,
   * schema?, deprecated? }` (`defineEventType` makes one with a payload type). A publish of a
   * declared topic with a schema must carry a payload that validates (`payload_invalid`). A bad
   * name, a name given twice or a schema that does not compile throws when the module is made.
   * Default none.
   */
  eventTypes?: readonly EventTypeSource[];
  /**
   * Refuse publishing to a topic that is not a declared event type (`unknown_event_type`), and
   * subscription patterns that match none. Herald's own `webhook.*` topics are exempt. Default false.
   */
  strictEventTypes?: boolean;
  /**
   * How often the event types declared at run time are read again, in case a NOTIFY of a change
   * was lost. Default 30 s.
   */
  eventTypeReloadInterval?: number;
  /** Time source; tests inject a controllable one. */
  clock?: Clock;
}

/** Options with every default filled in; the only place defaults live. */
export type ResolvedNotificationsOptions = Required<
  Omit<NotificationsModuleOptions, 'adminToken' | 'encryptionKey' | 'eventTypes'>
> &
  Pick<NotificationsModuleOptions, 'adminToken'> & {
    /** The event types declared in code, checked, sorted by name. */
    eventTypes: EventTypeView[];
    /** The encryption keys, parsed; the first seals. Empty when none was given. */
    encryptionKeys: Buffer[];
  };

/** Merges defaults into user options. */
export function resolveNotificationsOptions(
  options: NotificationsModuleOptions,
): ResolvedNotificationsOptions {
  const maxInFlightPerSubscription = options.maxInFlightPerSubscription ?? 10;
  const maxInFlightPerWorker = options.maxInFlightPerWorker ?? 100;
  return {
    adminToken: options.adminToken,
    runSequencer: options.runSequencer ?? true,
    runWorker: options.runWorker ?? true,
    retention: options.retention ?? 7 * DAY,
    longPollMaxWait: options.longPollMaxWait ?? 60 * SECOND,
    maxPayloadBytes: options.maxPayloadBytes ?? 256 * 1024,
    sequencerBatchSize: options.sequencerBatchSize ?? 1000,
    sequencerBatchInterval: options.sequencerBatchInterval ?? 25,
    sequencerPollInterval: options.sequencerPollInterval ?? 2 * SECOND,
    sequencerStandbyInterval: options.sequencerStandbyInterval ?? SECOND,
    apiKeyCacheTtl: options.apiKeyCacheTtl ?? 5 * SECOND,
    retentionInterval: options.retentionInterval ?? 60 * SECOND,
    longPollRecheckInterval: options.longPollRecheckInterval ?? 5 * SECOND,
    streamHeartbeatInterval: options.streamHeartbeatInterval ?? 15 * SECOND,
    publishRateLimit: options.publishRateLimit ?? { limit: 1000, window: SECOND },
    managementRateLimit: options.managementRateLimit ?? { limit: 100, window: SECOND },
    readRateLimit: options.readRateLimit ?? { limit: 100, window: SECOND },
    maxPageBytes: options.maxPageBytes ?? 1024 * 1024,
    maxHeldPollsPerTenant: options.maxHeldPollsPerTenant ?? 1000,
    maxSubscriptionsPerTenant: options.maxSubscriptionsPerTenant ?? 100,
    metricsRegistry: options.metricsRegistry ?? new Registry(),
    encryptionKeys: resolveEncryptionKeys(options.encryptionKey),
    encryptionKeySource: options.encryptionKeySource ?? 'the encryptionKey option',
    resealInterval: options.resealInterval ?? 10 * MINUTE,
    retrySchedule:
      options.retrySchedule ?? [5, 300, 1800, 7200, 18_000, 36_000, 36_000].map((s) => s * SECOND),
    fastRetries: options.fastRetries ?? 2,
    deliveryTimeout: options.deliveryTimeout ?? 15 * SECOND,
    disableAfter: options.disableAfter ?? 5 * DAY,
    allowedDestinations: options.allowedDestinations ?? [],
    resolveHost: options.resolveHost ?? resolveWithDns,
    sweepInterval: options.sweepInterval ?? 30 * SECOND,
    maxInFlightPerSubscription,
    maxInFlightPerWorker,
    maxInFlightPerTenant:
      options.maxInFlightPerTenant ??
      Math.min(
        maxInFlightPerWorker,
        Math.max(maxInFlightPerSubscription, Math.ceil(maxInFlightPerWorker / 4)),
      ),
    shutdownGrace: options.shutdownGrace ?? 10 * SECOND,
    secretRotationGrace: options.secretRotationGrace ?? DAY,
    publicUrl: resolvePublicUrl(options.publicUrl ?? 'http://localhost:3000'),
    eventTypes: resolveEventTypes(options.eventTypes ?? []),
    strictEventTypes: options.strictEventTypes ?? false,
    eventTypeReloadInterval: options.eventTypeReloadInterval ?? 30 * SECOND,
    clock: options.clock ?? systemClock,
  };
}

/** The URL links start with: http(s), no query or fragment, no trailing slash. */
function resolvePublicUrl(given: string): string {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new Error(`publicUrl "${given}" is not a URL`);
  }
  if (
    !['http:', 'https:'].includes(url.protocol) ||
    url.search ||
    url.hash ||
    given.includes('#')
  ) {
    throw new Error(`publicUrl "${given}" must be an http(s) URL without a query or fragment`);
  }
  return given.replace(/\/+$/, '');
}

function resolveEncryptionKeys(given: NotificationsModuleOptions['encryptionKey']): Buffer[] {
  if (given === undefined) return [];
  const keys = typeof given === 'string' || Buffer.isBuffer(given) ? [given] : given;
  return keys.map((key, index) => {
    if (Buffer.isBuffer(key)) {
      if (key.length === 32) return Buffer.from(key);
      throw new Error(`encryptionKey[${index}] has ${key.length} bytes; it must be 32`);
    }
    try {
      return parseEncryptionKey(key);
    } catch (error) {
      throw new Error(
        `encryptionKey[${index}]: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  });
}
