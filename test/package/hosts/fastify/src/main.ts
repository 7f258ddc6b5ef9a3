import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { HostModule } from './host.module';
import { readHostEnv } from './host-env';

async function main(): Promise<void> {
  const env = readHostEnv();
  const app = await NestFactory.create<NestFastifyApplication>(
    HostModule.forRoot(env),
    new FastifyAdapter(),
    { logger: ['error', 'warn'] },
  );
  app.enableShutdownHooks();
  await app.listen(env.port, '127.0.0.1');
  console.log(`listening on ${await app.getUrl()}`);
}

void main();
