import { Body, Controller, HttpCode, Inject, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { RAW_EVENTS_TABLE } from './measure-raw-inserts';
import { sendJson } from './send-json';

/**
 * What serves the ceiling: plain `node:http`, or Nest on Fastify (the service's own platform) with
 * one controller and nothing else.
 */
export type BarePublishServerKind = 'node-http' | 'nest-fastify';

/** A ceiling server listening on a loopback port. */
export interface BarePublishServer {
  baseUrl: string;
  close(): Promise<void>;
}

interface PublishBody {
  topic: string;
  payload: unknown;
}

interface Published {
  id: string;
  topic: string;
  createdAt: Date;
}

/** The raw baseline's insert, prepared, on a pool as large as Herald's. */
class BareInsert {
  private readonly pool: Pool;

  constructor(databaseUrl: string) {
    this.pool = new Pool({
      connectionString: databaseUrl,
      max: 10,
      application_name: 'herald-bench',
    });
  }

  async publish(body: PublishBody): Promise<Published> {
    const id = uuidv7();
    const { rows } = await this.pool.query<{ created_at: Date }>({
      name: 'bench_bare_insert',
      text: `INSERT INTO ${RAW_EVENTS_TABLE} (id, tenant_id, topic, payload) VALUES ($1, $2, $3, $4)
             RETURNING created_at`,
      values: [id, id, body.topic, JSON.stringify(body.payload)],
    });
    return { id, topic: body.topic, createdAt: rows[0].created_at };
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

function listenUrl(address: AddressInfo): string {
  return `http://127.0.0.1:${address.port}`;
}

async function startNodeHttp(insert: BareInsert): Promise<BarePublishServer> {
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      insert
        .publish(JSON.parse(Buffer.concat(chunks).toString()) as PublishBody)
        .then((published) => sendJson(res, 201, published))
        .catch((error: unknown) => sendJson(res, 500, { message: String(error) }));
    });
  };
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: listenUrl(server.address() as AddressInfo),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const BARE_INSERT = Symbol('BareInsert');

@Controller('v1/events')
class BareEventsController {
  constructor(@Inject(BARE_INSERT) private readonly insert: BareInsert) {}

  @Post()
  @HttpCode(201)
  publish(@Body() body: PublishBody): Promise<Published> {
    return this.insert.publish(body);
  }
}

async function startNestFastify(insert: BareInsert): Promise<BarePublishServer> {
  @Module({
    controllers: [BareEventsController],
    providers: [{ provide: BARE_INSERT, useValue: insert }],
  })
  class BarePublishModule {}

  const app = await NestFactory.create<NestFastifyApplication>(
    BarePublishModule,
    new FastifyAdapter(),
    { logger: false },
  );
  await app.listen(0, '127.0.0.1');
  return {
    baseUrl: listenUrl(app.getHttpServer().address() as AddressInfo),
    close: () => app.close(),
  };
}

/**
 * Starts a server that answers `POST /v1/events` with the raw baseline's single-row insert and
 * nothing of Herald's: no auth, validation, idempotency, tenant check, rate limit or logging.
 * Driven like Herald, it shows what the HTTP layer alone leaves of the raw insert rate.
 */
export async function startBarePublishServer(
  kind: BarePublishServerKind,
  databaseUrl: string,
): Promise<BarePublishServer> {
  const insert = new BareInsert(databaseUrl);
  try {
    const server = await (kind === 'node-http' ? startNodeHttp(insert) : startNestFastify(insert));
    return {
      baseUrl: server.baseUrl,
      close: async () => {
        await server.close();
        await insert.close();
      },
    };
  } catch (error) {
    await insert.close();
    throw error;
  }
}
