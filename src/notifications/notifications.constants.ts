/** Postgres schema that holds every Herald table, so a host's own tables never collide with ours. */
export const HERALD_SCHEMA = 'herald';

/** Channel a publish NOTIFYs on commit; the active sequencer LISTENs to it. */
export const PUBLISHED_CHANNEL = 'herald_published';

/** Channel the sequencer NOTIFYs after stamping positions; long-poll waiters are woken from it. */
export const SEQUENCED_CHANNEL = 'herald_sequenced';

/** Channel revoking an API key NOTIFYs, with the key's id; every instance drops the key at once. */
export const API_KEY_REVOKED_CHANNEL = 'herald_api_key_revoked';

/** Channel a change of the event types declared at run time NOTIFYs; every instance reads them again. */
export const EVENT_TYPES_CHANNEL = 'herald_event_types';

/** Session advisory lock key (two int4 halves) held by the one active sequencer cluster-wide. */
export const SEQUENCER_LOCK_KEY: readonly [number, number] = [0x48524c44, 1];

/** Bull queue that carries webhook delivery hints. */
export const DELIVERY_QUEUE = 'herald-deliveries';

/** Injection token of the resolved (defaults merged) module options. */
export const RESOLVED_OPTIONS = Symbol('HERALD_RESOLVED_OPTIONS');

/** Route metadata key holding the {@link AccessLevel} a route admits. */
export const ACCESS_METADATA = 'herald:access';

/** Route metadata key: whether a route admits portal sessions (see `AdmitPortalSessions`). */
export const PORTAL_METADATA = 'herald:portal';

/** Injection token of whether the module mounts its HTTP controllers (the `http` extra). */
export const HTTP_MOUNTED = Symbol('HERALD_HTTP_MOUNTED');
