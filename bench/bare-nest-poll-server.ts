/**
 * The framework's baseline of the long-poll benchmark: what `raw-poll-server.ts` does, as a Nest
 * app on Fastify (the service's platform) with one controller and nothing else: no database, no
 * auth, no validation, no logging. A held poll is a pending promise, as in Herald. Its memory per
 * held poll and its time to open and park polls are what the fixed stack costs before any of
 * Herald's own work.
 * Run as its own process: `PORT=<port> ts-node bench/bare-nest-poll-server.ts`.
 */
import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Module, Post, Query, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { type BareEvent, type BarePage as Page, barePollMetrics } from './bare-poll';
import { GC_SIGNAL } from './spawn-server-process';

const held = new Set<(page: Page) => void>();
let head = 0;
let openConnections = 0;

@Controller()
class BarePollController {
  @Get('metrics')
  metrics(@Res() reply: FastifyReply): void {
    void reply.type('text/plain').send(barePollMetrics(held.size, openConnections));
  }

  @Post('v1/events')
  @HttpCode(201)
  publish(
    @Body() body: { topic: string; payload: unknown },
  ): Omit<BareEvent, 'cursor' | 'payload'> {
    head += 1;
    const event = {
      id: randomUUID(),
      topic: body.topic,
      payload: body.payload,
      cursor: String(head),
      createdAt: new Date().toISOString(),
    };
    const page = { events: [event], nextCursor: event.cursor };
    for (const answer of [...held]) answer(page);
    return { id: event.id, topic: event.topic, createdAt: event.createdAt };
  }

  @Get('v1/events')
  poll(
    @Query('after') after: string | undefined,
    @Query('wait') wait: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Page | Promise<Page> {
    const seconds = Number(wait ?? '30');
    if (after === undefined || seconds <= 0 || Number(after) < head) {
      return { events: [], nextCursor: String(head) };
    }
    return new Promise<Page>((resolve) => {
      const answer = (page: Page) => {
        clearTimeout(timer);
        held.delete(answer);
        resolve(page);
      };
      const timer = setTimeout(() => answer({ events: [], nextCursor: after }), seconds * 1000);
      held.add(answer);
      reply.raw.once('close', () => {
        if (held.delete(answer)) clearTimeout(timer);
      });
    });
  }
}

@Module({ controllers: [BarePollController] })
class BarePollModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(
    BarePollModule,
    new FastifyAdapter(),
    { logger: false },
  );
  app.getHttpServer().on('connection', (socket: Socket) => {
    openConnections += 1;
    socket.once('close', () => (openConnections -= 1));
  });
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  // The benchmark asks for a full collection before it samples memory (node runs with --expose-gc).
  process.on(GC_SIGNAL, () => (globalThis as { gc?: () => void }).gc?.());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
