import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { loadPortalAssets } from './portal-assets';
import { servePortal } from './serve-portal';

/** Where the portal is served. */
export const PORTAL_ROUTE = '/portal';

/**
 * The consumer portal at {@link PORTAL_ROUTE}: static HTML, one ES module and CSS that talk to the
 * public REST API with the API key the user types in. Its files are plain Fastify routes, not
 * API endpoints, so nothing to document.
 */
@Module({})
export class PortalModule implements OnModuleInit {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    servePortal(
      this.adapterHost.httpAdapter.getInstance<FastifyInstance>(),
      PORTAL_ROUTE,
      loadPortalAssets(),
    );
  }
}
