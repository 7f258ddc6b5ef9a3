import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { stdTimeFunctions, type LevelWithSilent } from 'pino';
import type { LogLevel } from '../config/herald-config';
import { assignRequestId } from './request-id';

/**
 * Paths pino replaces with `[redacted]` wherever they occur. The request and response serializers
 * below already keep headers and bodies out; this is the second lock, for a line someone later
 * logs with a header set or an object holding a secret.
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

/** Requests polled by machines every few seconds: logged only at `debug` when they succeed. */
const ROUTINE_PATHS = new Set(['/health', '/metrics']);

/** The parts of a request a log line may show: no headers (credentials), no body (payloads). */
interface LoggedRequest {
  id: unknown;
  method: string;
  url: string;
  remoteAddress?: string;
}

/**
 * nestjs-pino's settings for the standalone service: JSON lines on stdout at `level`, one per HTTP
 * request (method, path, status, time, request id) and everything Nest and Herald log, with
 * credentials and secrets redacted.
 */
export function buildLoggerParams(level: LogLevel): Params {
  return {
    pinoHttp: {
      level,
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      genReqId: assignRequestId,
      // Lines logged while handling a request carry its id, not the whole request again.
      quietReqLogger: true,
      serializers: {
        req: (req: LoggedRequest): LoggedRequest => ({
          id: req.id,
          method: req.method,
          url: req.url,
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: requestLogLevel,
    },
  };
}

function requestLogLevel(
  request: IncomingMessage,
  response: ServerResponse,
  error?: Error,
): LevelWithSilent {
  if (error || response.statusCode >= 500) return 'error';
  const path = (request.url ?? '').split('?')[0] ?? '';
  return ROUTINE_PATHS.has(path) && response.statusCode < 400 ? 'debug' : 'info';
}
