import { errorCodes, type FastifyInstance } from 'fastify';

const { FST_ERR_CTP_INVALID_JSON_BODY, FST_ERR_CTP_INVALID_MEDIA_TYPE } = errorCodes;

/** The first character of a JSON body that is not whitespace. */
const FIRST_CHARACTER = /^[ \t\n\r]*([^ \t\n\r])/;

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;

/**
 * Reads `application/json` bodies as the service's contract has them, whatever the method:
 *
 * - the body is a JSON object or array (a bare string, number or `null` is `400 malformed_json`);
 *   an empty body is `{}`, so the route's validation names what is missing;
 * - in UTF-8, or UTF-16 (`charset=utf-16le`, `utf-16be`, or `utf-16` with its byte order mark),
 *   decoded as it is: a lone surrogate reaches validation, which refuses it naming the field; any
 *   other charset is `415`;
 * - parsed by `JSON.parse`, so a key such as `__proto__` is an own key like any other, which
 *   validation refuses as an unknown field rather than the parser as malformed;
 * - a `GET` with a body gets it read too, so a malformed one is refused there as anywhere.
 *
 * Refusals carry Fastify's parser codes, which Herald's routes and the service's filter answer in
 * the error shape. Bodies over `bodyLimit` are refused by Fastify (`413`).
 */
export function parseJsonBodies(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.addHttpMethod('GET', { hasBody: true, overrideExisting: true });
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit },
    (request, body: Buffer, done) => {
      const text = decode(body, request.headers['content-type'] ?? '');
      if (text === undefined) {
        done(new FST_ERR_CTP_INVALID_MEDIA_TYPE(request.headers['content-type']), undefined);
        return;
      }
      if (text.length === 0) {
        done(null, {});
        return;
      }
      const first = FIRST_CHARACTER.exec(text)?.[1];
      if (first !== '{' && first !== '[') {
        done(new FST_ERR_CTP_INVALID_JSON_BODY(), undefined);
        return;
      }
      try {
        done(null, JSON.parse(text));
      } catch {
        done(new FST_ERR_CTP_INVALID_JSON_BODY(), undefined);
      }
    },
  );
}

/** The body as text in the charset its `Content-Type` names, without a byte order mark. */
function decode(body: Buffer, contentType: string): string | undefined {
  const charset = (CHARSET.exec(contentType)?.[1] ?? 'utf-8').toLowerCase();
  switch (charset) {
    case 'utf-8':
    case 'utf8':
      return withoutBom(body.toString('utf8'));
    case 'utf-16le':
      return withoutBom(body.toString('utf16le'));
    case 'utf-16be':
      return withoutBom(swapBytes(body).toString('utf16le'));
    case 'utf-16':
      return body[0] === 0xfe && body[1] === 0xff
        ? swapBytes(body.subarray(2)).toString('utf16le')
        : withoutBom(body.toString('utf16le'));
    default:
      return undefined;
  }
}

function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function swapBytes(body: Buffer): Buffer {
  const copy = Buffer.from(body.subarray(0, body.length - (body.length % 2)));
  return copy.swap16();
}
