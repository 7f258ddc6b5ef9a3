import type * as OtelApi from '@opentelemetry/api';

/** `@opentelemetry/api` as a module. */
export type OtelApiModule = typeof OtelApi;

/**
 * `@opentelemetry/api` when the host has it installed, else undefined: it is an optional peer
 * dependency, and a host without it gets no spans and no trace context, at no cost.
 */
export function loadOtelApi(): OtelApiModule | undefined {
  try {
    // A static import would make the package fail to load in a host without it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@opentelemetry/api') as OtelApiModule;
  } catch {
    return undefined;
  }
}
