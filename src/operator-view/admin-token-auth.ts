import type { onRequestHookHandler } from 'fastify';
import { bearerToken, secretsEqual } from '../notifications';

/** The realm browsers show in their sign-in prompt. */
const REALM = 'Herald admin';

const BASIC = /^Basic ([A-Za-z0-9+/]+={0,2})$/;

/** The token an `Authorization` header carries: a bearer token, or a Basic password (any user). */
export function presentedToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const bearer = bearerToken(header);
  if (bearer !== undefined) return bearer;
  const basic = BASIC.exec(header);
  if (!basic) return undefined;
  const credentials = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = credentials.indexOf(':');
  return colon === -1 ? undefined : credentials.slice(colon + 1);
}

/**
 * A Fastify `onRequest` hook admitting to `route` and everything below it only the admin token, as
 * `Authorization: Bearer <token>` or as the password of HTTP Basic auth: a browser cannot add a
 * bearer header to a page it navigates to, but it prompts for Basic credentials and resends them
 * for the page's assets and API calls. Anything else (tenant keys included) is `401` with a Basic
 * challenge. The route Fastify matched is checked, not the URL as sent, so no spelling of the path
 * gets around it.
 */
export function adminTokenAuth(route: string, adminToken: string): onRequestHookHandler {
  const guards = (path: string) => path === route || path.startsWith(`${route}/`);
  return (request, reply, done) => {
    if (!guards(request.routeOptions.url ?? request.url.split('?')[0] ?? '')) return done();
    const token = presentedToken(request.headers.authorization);
    // Compared as digests in constant time, so neither the length nor a prefix leaks.
    if (token !== undefined && secretsEqual(token, adminToken)) return done();
    void reply
      .code(401)
      .headers({
        'WWW-Authenticate': `Basic realm="${REALM}", charset="UTF-8"`,
        'Cache-Control': 'no-store',
      })
      .send({
        statusCode: 401,
        error: 'Unauthorized',
        message:
          'The queues need the admin token: as the Basic auth password, or as a Bearer token',
        code: 'unauthorized',
      });
  };
}
