import { NotificationsErrorCode } from '../notifications.errors';
import { STATUS_CODE } from './error-status';

/** How a body parser's refusal is answered. */
export interface BodyParserRefusal {
  status: number;
  message: string;
  code: string;
}

/**
 * What a body parser's refusal means to the client, for the parsers of Express (`body-parser`,
 * whose errors carry a `type`) and Fastify (`FST_ERR_CTP_*` codes) alike: a body that is not JSON
 * is `400 malformed_json`, one over the host's limit `413 payload_too_large`, an encoding or media
 * type the parser does not take `415 unsupported_media_type`. Undefined for anything else.
 */
export function bodyParserError(error: unknown): BodyParserRefusal | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const kind = 'type' in error ? error.type : 'code' in error ? error.code : undefined;
  const detail = 'message' in error && typeof error.message === 'string' ? error.message : '';
  // Express's parser says where the JSON broke; Fastify's says only what its code does.
  const where = 'type' in error && detail ? `: ${detail}` : '';
  switch (kind) {
    case 'entity.parse.failed':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        status: 400,
        message: `The body is not valid JSON${where}`,
        code: NotificationsErrorCode.MalformedJson,
      };
    case 'entity.too.large':
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        message: 'The body is larger than the server accepts',
        code: NotificationsErrorCode.PayloadTooLarge,
      };
    case 'encoding.unsupported':
    case 'charset.unsupported':
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, message: 'Unsupported body encoding', code: 'unsupported_media_type' };
  }
  // Any other refusal of either parser (an aborted or truncated body, a wrong Content-Length).
  const status = 'status' in error ? error.status : 'statusCode' in error ? error.statusCode : 0;
  const fromParser =
    typeof kind === 'string' && ('type' in error || kind.startsWith('FST_ERR_CTP_'));
  if (fromParser && typeof status === 'number' && status >= 400 && status < 500)
    return {
      status,
      message: detail || 'The body was refused',
      code: STATUS_CODE[status] ?? 'error',
    };
  return undefined;
}
