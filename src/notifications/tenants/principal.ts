import type { IncomingHttpHeaders } from 'node:http';

/** What a portal session allows beyond its tenant: see {@link Principal}. */
export interface PortalGrant {
  /** Every change (any method but GET and HEAD) is refused. */
  readonly readOnly: boolean;
  /** When the session ends, in milliseconds since the epoch (the module's clock). */
  readonly expiresAt: number;
}

/**
 * Who is calling: the operator with the admin token, or a tenant through one of its credentials:
 * an API key, or a portal session (`portal` set), which only the routes that admit it take.
 * `credentialId` is the key's or the session's id; revoking it ends what it holds open.
 */
export type Principal =
  | { readonly kind: 'admin' }
  | {
      readonly kind: 'tenant';
      readonly tenantId: string;
      readonly credentialId: string;
      readonly portal?: PortalGrant;
    };

/** Which principals a route admits. */
export type AccessLevel = 'admin' | 'tenant' | 'any';

/**
 * A request that went through {@link ApiKeyGuard}: what Herald reads of Express's and Fastify's
 * requests alike.
 */
export interface AuthenticatedRequest {
  method: string;
  headers: IncomingHttpHeaders;
  principal?: Principal;
}
