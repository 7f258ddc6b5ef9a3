/**
 * Whether readiness includes Redis. An api-only process answers publishes and long polls from
 * Postgres alone, so Redis being down must not take it out of a load balancer.
 */
export const HEALTH_CHECKS_REDIS = Symbol('HEALTH_CHECKS_REDIS');
