import { AsyncLocalStorage } from 'node:async_hooks';
import {
  pino,
  stdTimeFunctions,
  type DestinationStream,
  type Logger,
  type LoggerOptions,
} from 'pino';
import { build as prettyStream } from 'pino-pretty';
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
 * Where the service's lines go when no destination is given: readable lines (pino-pretty) when
 * `stdout` is a terminal, as under `npm start` in development; otherwise undefined, for pino's own
 * JSON lines on stdout (a pipe, a file, a log collector).
 */
export function terminalDestination(
  stdout: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout,
): DestinationStream | undefined {
  if (!stdout.isTTY) return undefined;
  return prettyStream({
    destination: stdout,
    // Written before the call returns, so a line logged just before process.exit is not lost.
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context,reqId,req,res,responseTime',
    messageFormat: readableMessage,
  });
}

/**
 * `[context] message`, then for a request line its method, URL, status and time, and last the
 * request's id: a request line carries it as `req.id`, a line logged on a request's behalf as `reqId`.
 */
function readableMessage(line: Record<string, unknown>, messageKey: string): string {
  const { context, reqId, req, res, responseTime } = line as Partial<{
    context: string;
    reqId: string;
    req: LoggedRequest;
    res: { statusCode: number };
    responseTime: number;
  }>;
  const id = reqId ?? req?.id;
  return [
    context && `[${context}]`,
    typeof line[messageKey] === 'string' ? line[messageKey] : '',
    req && `${req.method} ${req.url}`,
    res && String(res.statusCode),
    responseTime !== undefined && `${responseTime} ms`,
    id && `(${id})`,
  ]
    .filter(Boolean)
    .join(' ');
}

/**
 * The service's one pino logger at `level`, with credentials and secrets redacted, writing to
 * `destination`: by default JSON lines on stdout, or readable lines on a terminal (see
 * terminalDestination). Nest, Fastify and Herald all write through it; a line written while a
 * request is handled carries the request's id as `reqId`.
 */
export function createServiceLogger(
  level: LogLevel,
  destination: DestinationStream | undefined = terminalDestination(),
): Logger {
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
