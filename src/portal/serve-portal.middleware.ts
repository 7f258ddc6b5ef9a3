import type { NextFunction, Request, Response } from 'express';
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
 * Express middleware serving the portal's files below the path it is mounted on; any other path
 * falls through to the app (and its `404`).
 */
export function servePortal(
  assets: ReadonlyMap<string, PortalAsset>,
): (request: Request, response: Response, next: NextFunction) => void {
  return (request, response, next) => {
    const path = request.path === '/index.html' ? '/' : request.path;
    const asset = assets.get(path);
    if (!asset || (request.method !== 'GET' && request.method !== 'HEAD')) {
      next();
      return;
    }
    response
      .status(200)
      .set({
        'Content-Type': asset.contentType,
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        // Small files that change with each release: always revalidate, never serve stale code.
        'Cache-Control': 'no-cache',
      })
      .end(request.method === 'HEAD' ? undefined : asset.body);
  };
}
