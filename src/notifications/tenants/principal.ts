import type { IncomingHttpHeaders } from 'node:http';

/** Who is calling: the operator with the admin token, or a tenant through one of its API keys. */
export type Principal =
  | { readonly kind: 'admin' }
  | { readonly kind: 'tenant'; readonly tenantId: string; readonly apiKeyId: string };

/** Which principals a route admits. */
export type AccessLevel = 'admin' | 'tenant' | 'any';

/**
 * A request that went through {@link ApiKeyGuard}: what Herald reads of Express's and Fastify's
 * requests alike.
 */
export interface AuthenticatedRequest {
  headers: IncomingHttpHeaders;
  principal?: Principal;
}
