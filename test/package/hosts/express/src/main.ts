import { NestFactory } from '@nestjs/core';
import { HostModule } from './host.module';
import { readHostEnv } from './host-env';

async function main(): Promise<void> {
  const env = readHostEnv();
  const app = await NestFactory.create(HostModule.forRoot(env), { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(env.port, '127.0.0.1');
  console.log(`listening on ${await app.getUrl()}`);
}

void main();
