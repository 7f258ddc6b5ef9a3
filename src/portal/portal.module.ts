import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { loadPortalAssets } from './portal-assets';
import { servePortal } from './serve-portal.middleware';

/** Where the portal is served. */
export const PORTAL_ROUTE = '/portal';

/**
 * The consumer portal at {@link PORTAL_ROUTE}: static HTML, one ES module and CSS that talk to the
 * public REST API with the API key the user types in. No routes of its own, so nothing to document.
 */
@Module({})
export class PortalModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(servePortal(loadPortalAssets())).forRoutes(PORTAL_ROUTE);
  }
}
