import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The service's security headers on every answer, through `helmet`: `nosniff`, no framing
 * (`X-Frame-Options: DENY` and CSP `frame-ancestors 'none'`, since the operator view and the portal
 * have destructive buttons and Swagger UI takes a bearer token), and helmet's default CSP for
 * Swagger UI and bull-board (scripts only from Herald itself), which both render under it.
 *
 * Left out: `upgrade-insecure-requests`, which would send a page served over plain http (a
 * service inside a private network) to https it may not have; and HSTS, which belongs to
 * whatever terminates TLS in front of the service. The portal sets its own stricter policy, and
 * Herald's `/v1` routes add `Cache-Control: no-store` themselves (as they do inside any host).
 */
export const SECURITY_HEADERS: HelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      frameAncestors: ["'none'"],
      upgradeInsecureRequests: null,
    },
  },
  frameguard: { action: 'deny' },
  strictTransportSecurity: false,
};

/**
 * Sets {@link SECURITY_HEADERS} on every answer, from the first hook on, so refusals and 404s
 * carry them too. helmet's middleware is built once: `@fastify/helmet` builds it again (parsing
 * the policy) for every request and leaves a closure on each reply for the whole of a held poll.
 */
export function useSecurityHeaders(fastify: FastifyInstance): void {
  const setHeaders = helmet(SECURITY_HEADERS);
  fastify.addHook('onRequest', (request, reply, done) => {
    // helmet 8 throws rather than passing an error on, so `next` is only ever called empty.
    setHeaders(request.raw, reply.raw, () => done());
  });
}
