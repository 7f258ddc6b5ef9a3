import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule } from '@bull-board/nestjs';
import { type DynamicModule, Module } from '@nestjs/common';
import { DELIVERY_QUEUE } from '../notifications';
import { adminTokenAuth } from './admin-token-auth.middleware';

/** Where the operator view is served. */
export const ADMIN_QUEUES_ROUTE = '/admin/queues';

/**
 * The operator view: Herald's Bull queues in bull-board at {@link ADMIN_QUEUES_ROUTE}, behind the
 * admin token. Needs the host's `BullModule.forRoot` and the queue the notifications module
 * registers.
 */
@Module({})
export class OperatorViewModule {
  /** Mounts bull-board, admitting only `adminToken` (Basic password or Bearer). */
  static forRoot(adminToken: string): DynamicModule {
    return {
      module: OperatorViewModule,
      imports: [
        BullBoardModule.forRoot({
          route: ADMIN_QUEUES_ROUTE,
          adapter: ExpressAdapter,
          middleware: adminTokenAuth(adminToken),
          boardOptions: { uiConfig: { boardTitle: 'Herald queues' } },
        }),
        BullBoardModule.forFeature({ name: DELIVERY_QUEUE, adapter: BullAdapter }),
      ],
    };
  }
}
