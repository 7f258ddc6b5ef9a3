/**
 * The prom-client `Registry` served at `/metrics`: the service's own, handed to Herald's module
 * as its `metricsRegistry`, so Herald's metrics and the process's are scraped together.
 */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
