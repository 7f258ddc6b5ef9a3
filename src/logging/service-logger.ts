import { AsyncLocalStorage } from 'node:async_hooks';
import {
  pino,
  stdTimeFunctions,
  type DestinationStream,
  type Logger,
  type LoggerOptions,
} from 'pino';
import type { LogLevel } from '../config/herald-config';

/**
 * Paths pino replaces with `[redacted]` wherever they occur. The request and response serializers
 * below already keep headers and bodies out; this is the second lock, for a line someone later logs with a header
 * set or an object holding a secret.
 */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["webhook-signature"]',
  'res.headers["set-cookie"]',
  ...['authorization', 'cookie', 'secret', 'previousSecret', 'key', 'apiKey', 'token', 'password']
    .concat('signature', '["webhook-signature"]')
    .flatMap((field) => [field, `*.${field}`]),
];

/** The parts of a request a log line may show: no headers (credentials), no body (payloads). */
interface LoggedRequest {
  id: string;
  method: string;
  url: string;
  ip?: string;
}

/**
 * The id of the request being handled, for lines logged on its behalf. A string, not a child
 * logger: a held poll keeps only this while it waits.
 */
export const currentRequestId = new AsyncLocalStorage<string>();

/**
 * The service's one pino logger: JSON lines on stdout at `level`, with credentials and secrets
 * redacted (to `destination` instead, in tests). Nest, Fastify and Herald all write through it; a
 * line written while a request is handled carries the request's id as `reqId`.
 */
export function createServiceLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: LoggedRequest) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.ip,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    mixin: () => {
      const reqId = currentRequestId.getStore();
      return reqId === undefined ? {} : { reqId };
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
