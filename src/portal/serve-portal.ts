import type { FastifyInstance } from 'fastify';
import type { PortalAsset } from './portal-assets';

/**
 * Scripts, styles and API calls only from Herald itself, and no inline script: the page keeps an
 * API key in session storage, so injected markup must not be able to run or send anything.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the portal's files below `route` as `GET` (and `HEAD`) routes: the page at `route`,
 * `route/` and `route/index.html`, each other file at its own path. Any other path is the app's
 * `404`.
 */
export function servePortal(
  fastify: FastifyInstance,
  route: string,
  assets: ReadonlyMap<string, PortalAsset>,
): void {
  for (const [path, asset] of assets) {
    const urls = path === '/' ? [route, `${route}/`, `${route}/index.html`] : [`${route}${path}`];
    for (const url of urls)
      fastify.get(url, (_request, reply) =>
        reply
          .code(200)
          .headers({
            'Content-Type': asset.contentType,
            'Content-Security-Policy': CONTENT_SECURITY_POLICY,
            'X-Content-Type-Options': 'nosniff',
            'Referrer-Policy': 'no-referrer',
            // Small files that change with each release: always revalidate, never serve stale code.
            'Cache-Control': 'no-cache',
          })
          .send(asset.body),
      );
  }
}
