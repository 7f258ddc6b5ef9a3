import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The folder of the portal's static files: `src/portal/public` under ts-node and jest,
 * `dist/portal/public` after `nest build` (nest-cli.json copies it as an asset).
 */
export const PORTAL_PUBLIC_DIR = join(__dirname, 'public');

/** One static file of the portal, read once at start. */
export interface PortalAsset {
  body: Buffer;
  contentType: string;
}

/** Every file the portal serves, by its path below `/portal`; nothing else is ever read. */
const FILES: Record<string, { file: string; contentType: string }> = {
  '/': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/portal.js': { file: 'portal.js', contentType: 'text/javascript; charset=utf-8' },
  '/portal.css': { file: 'portal.css', contentType: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', contentType: 'image/svg+xml' },
};

/** Reads the portal's files from `dir` into memory. */
export function loadPortalAssets(dir = PORTAL_PUBLIC_DIR): Map<string, PortalAsset> {
  return new Map(
    Object.entries(FILES).map(([path, { file, contentType }]) => [
      path,
      { body: readFileSync(join(dir, file)), contentType },
    ]),
  );
}
