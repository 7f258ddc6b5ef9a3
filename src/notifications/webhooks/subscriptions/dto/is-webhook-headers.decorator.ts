import { registerDecorator, type ValidationArguments } from 'class-validator';
import { isReservedHeader } from '../../headers/reserved-headers';

/** At most this many custom headers per subscription. */
export const MAX_WEBHOOK_HEADERS = 20;
/** At most this many bytes of custom headers per subscription, names and values (UTF-8) together. */
export const MAX_WEBHOOK_HEADERS_BYTES = 4096;

/** An HTTP token (RFC 9110 §5.6.2), the grammar of a header name. */
const TOKEN_REGEX = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Visible ASCII, spaces and tabs: what every HTTP client sends unchanged in a header value. */
const VALUE_REGEX = /^[\t\x20-\x7e]*$/;

/** What is wrong with `value` as a subscription's headers, naming the header at fault; or nothing. */
export function webhookHeadersProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'headers must be an object of header names to string values';
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_WEBHOOK_HEADERS) {
    return `headers may hold at most ${MAX_WEBHOOK_HEADERS} headers`;
  }
  const seen = new Set<string>();
  let bytes = 0;
  for (const [name, headerValue] of entries) {
    const shown = JSON.stringify(name);
    if (!TOKEN_REGEX.test(name)) {
      return `headers: ${shown} is not a header name (an HTTP token: letters, digits and !#$%&'*+-.^_\`|~)`;
    }
    if (isReservedHeader(name)) {
      return `headers: ${shown} is set by Herald and may not be given (nor content-type, content-length, host, user-agent, connection headers, traceparent, tracestate, webhook-* or herald-*)`;
    }
    if (seen.has(name.toLowerCase())) {
      return `headers: ${shown} is given twice (header names are case-insensitive)`;
    }
    seen.add(name.toLowerCase());
    if (typeof headerValue !== 'string') {
      return `headers: the value of ${shown} must be a string`;
    }
    if (/[\r\n]/.test(headerValue)) {
      return `headers: the value of ${shown} must not contain CR or LF`;
    }
    if (!VALUE_REGEX.test(headerValue)) {
      return `headers: the value of ${shown} must hold visible ASCII characters, spaces and tabs only`;
    }
    bytes += Buffer.byteLength(name) + Buffer.byteLength(headerValue);
  }
  if (bytes > MAX_WEBHOOK_HEADERS_BYTES) {
    return `headers must be at most ${MAX_WEBHOOK_HEADERS_BYTES} bytes in all (names and values), not ${bytes}`;
  }
  return undefined;
}

/**
 * A subscription's custom headers: an object of at most {@link MAX_WEBHOOK_HEADERS} header names
 * (HTTP tokens, none that Herald sets) to values without CR, LF or other control characters, at
 * most {@link MAX_WEBHOOK_HEADERS_BYTES} bytes in all. The message names the header at fault.
 *
 * Used with `@AsSent()`, so that names like `constructor` reach the service as sent: the pipe then
 * validates a stand-in of the same type, and the service checks the contents with
 * {@link webhookHeadersProblem}.
 */
export function IsWebhookHeaders(): PropertyDecorator {
  return (target, propertyName) => {
    registerDecorator({
      name: 'isWebhookHeaders',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => webhookHeadersProblem(value) === undefined,
        defaultMessage: (args?: ValidationArguments) =>
          webhookHeadersProblem(args?.value) ?? 'headers are invalid',
      },
    });
  };
}
