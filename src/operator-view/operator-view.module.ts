import { BullAdapter } from '@bull-board/api/bullAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { BullBoardModule } from '@bull-board/nestjs';
import { type DynamicModule, Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { DELIVERY_QUEUE } from '../notifications';
import { adminTokenAuth } from './admin-token-auth';

/** Where the operator view is served. */
export const ADMIN_QUEUES_ROUTE = '/admin/queues';

/** The admin token the operator view admits. */
const OPERATOR_VIEW_TOKEN = Symbol('OPERATOR_VIEW_TOKEN');

/**
 * The operator view: Herald's Bull queues in bull-board at {@link ADMIN_QUEUES_ROUTE}, behind the
 * admin token. Needs the host's `BullModule.forRoot` and the queue the notifications module
 * registers.
 */
@Module({})
export class OperatorViewModule implements OnModuleInit {
  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(OPERATOR_VIEW_TOKEN) private readonly adminToken: string,
  ) {}

  /** Mounts bull-board, admitting only `adminToken` (Basic password or Bearer). */
  static forRoot(adminToken: string): DynamicModule {
    return {
      module: OperatorViewModule,
      imports: [
        BullBoardModule.forRoot({
          route: ADMIN_QUEUES_ROUTE,
          adapter: FastifyAdapter,
          boardOptions: { uiConfig: { boardTitle: 'Herald queues' } },
        }),
        BullBoardModule.forFeature({ name: DELIVERY_QUEUE, adapter: BullAdapter }),
      ],
      providers: [{ provide: OPERATOR_VIEW_TOKEN, useValue: adminToken }],
    };
  }

  /** Guards the page and everything below it: its assets and the API its buttons call. */
  onModuleInit(): void {
    this.adapterHost.httpAdapter
      .getInstance<FastifyInstance>()
      .addHook('onRequest', adminTokenAuth(ADMIN_QUEUES_ROUTE, this.adminToken));
  }
}
