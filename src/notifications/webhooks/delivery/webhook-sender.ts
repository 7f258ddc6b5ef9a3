import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { request, type Dispatcher } from 'undici';
import { toStorableText } from '../../common/postgres/storable-json';
import { HeraldMetrics } from '../../metrics/herald-metrics';
import { RESOLVED_OPTIONS } from '../../notifications.constants';
import type { ResolvedNotificationsOptions } from '../../notifications.options';
import { DestinationGuard } from '../destinations/destination-guard';
import { openSecrets, type OpenSecrets } from '../secrets/open-secrets';
import { SecretBox, SigningSecretError } from '../secrets/secret-box';
import type { AttemptResult } from './attempt-result';
import type { ClaimedDelivery } from './delivery-states/claimed';
import { signWebhook } from './webhook-signer';
import { withoutReservedHeaders } from '../headers/reserved-headers';
import type { TraceContext } from '../../tracing/trace-context';

const SNIPPET_BYTES = 4096;

/** A subscription whose signing secret cannot be opened is logged at `error` at most this often. */
const SECRET_ERROR_LOG_MS = 60_000;

/** What every delivery of one claim is sent with: they all belong to the same subscription. */
export interface Destination {
  /** The subscription's URL as checked, or why it is refused (the attempt fails with it). */
  url: URL | Error;
  /** The secrets signing now, or why they cannot be opened (the attempt fails unsent with it). */
  secrets: string[] | SigningSecretError;
}

/**
 * Makes one attempt's HTTP call: builds the body from the stored payload, signs it, POSTs it
 * through the guarded agent (pinned address, connect-time SSRF check) within the delivery timeout,
 * and says what it came to. It decides nothing: the result goes to the recorder.
 */
@Injectable()
export class WebhookSender {
  private readonly logger = new Logger('HeraldDispatcher');
  private readonly http: Dispatcher;
  /** The HTTP calls under way, each aborted by its timeout or by {@link interrupt}. */
  private readonly calls = new Set<AbortController>();
  /** The shutdown grace period ended: calls still running were aborted and count as interrupted. */
  private interrupted = false;
  private closed?: Promise<void>;
  /** When each subscription's unopenable secret was last logged at `error`. */
  private readonly secretErrorLogged = new Map<string, number>();

  constructor(
    @Inject(DestinationGuard) private readonly guard: DestinationGuard,
    @Inject(SecretBox) private readonly box: SecretBox,
    @Inject(HeraldMetrics) private readonly metrics: HeraldMetrics,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
  ) {
    this.http = guard.createDispatcher({
      connectTimeoutMs: Math.min(options.deliveryTimeout, 10_000),
    });
  }

  /** The checked URL and open secrets of a claim's subscription, worked out once per claim. */
  destination(delivery: ClaimedDelivery): Destination {
    let url: URL | Error;
    try {
      url = this.guard.checkUrl(delivery.url);
    } catch (error) {
      url = error instanceof Error ? error : new Error(String(error));
    }
    return { url, secrets: this.secrets(delivery) };
  }

  /**
   * Sends one attempt of `delivery`, with `trace` as its `traceparent` and `tracestate` headers
   * when given; never throws: a failure is in the result.
   */
  async send(
    delivery: ClaimedDelivery,
    { url, secrets }: Destination,
    trace?: TraceContext,
  ): Promise<AttemptResult> {
    const startedAt = this.options.clock.now();
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    if (secrets instanceof SigningSecretError) {
      // Never sent unsigned: the attempt fails with the reason and follows the retry schedule, so
      // restoring the key lets a later attempt succeed.
      this.metrics.signingSecretFailures.inc();
      return { startedAt, error: secrets.message, durationMs: elapsed() };
    }
    const body = webhookBody(delivery);
    // The subscription's own headers first, without any name Herald sets (the API refuses them;
    // one stored by hand is dropped). The signature does not cover them.
    const headers = {
      ...withoutReservedHeaders(delivery.headers),
      ...trace,
      'content-type': 'application/json',
      'user-agent': 'Herald-Webhooks/1',
      // Which registration this is, for a receiver behind one URL; not signed, as the custom
      // headers are not: Standard Webhooks signs the id, the timestamp and the body.
      'herald-subscription-id': delivery.subscription_id,
      ...(delivery.subscription_uid === null
        ? {}
        : { 'herald-subscription-uid': delivery.subscription_uid }),
      ...signWebhook({
        id: delivery.event_id,
        // The receiver checks this against its own clock (Standard Webhooks' tolerance of a few
        // minutes), so it is the wall clock's time, not the module's clock.
        timestamp: new Date(),
        body,
        secrets,
      }),
    };
    // One controller per attempt, aborted by its own timer or by the shutdown's interrupt
    // (AbortSignal.timeout and AbortSignal.any took about 2 % of the thread at full load).
    const abort = new AbortController();
    const timer = setTimeout(
      () =>
        abort.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
      this.options.deliveryTimeout,
    );
    this.calls.add(abort);
    try {
      if (url instanceof Error) throw url;
      const response = await request(url, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.http,
        signal: abort.signal,
      });
      const snippet = await readSnippet(response.body);
      const retryAfter = response.headers['retry-after'];
      return {
        startedAt,
        statusCode: response.statusCode,
        retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
        snippet,
        durationMs: elapsed(),
      };
    } catch (error) {
      if (this.interrupted) {
        return { startedAt, interrupted: true, durationMs: elapsed() };
      }
      return { startedAt, error: describeCallError(error), durationMs: elapsed() };
    } finally {
      clearTimeout(timer);
      this.calls.delete(abort);
    }
  }

  /** Aborts every call still running; each is recorded as interrupted, due again at once. */
  interrupt(): void {
    this.interrupted = true;
    for (const call of this.calls)
      call.abort(new DOMException('The worker shut down', 'AbortError'));
  }

  /** Closes the HTTP agent, once however often it is called. */
  close(): Promise<void> {
    this.closed ??= this.http.close();
    return this.closed;
  }

  private secrets(delivery: ClaimedDelivery): string[] | SigningSecretError {
    let opened: OpenSecrets;
    try {
      opened = openSecrets(
        this.box,
        {
          subscriptionId: delivery.subscription_id,
          secret: delivery.secret,
          previousSecret: delivery.previous_secret,
          previousSecretExpiresAt: delivery.previous_secret_expires_at,
        },
        this.options.clock.now(),
      );
    } catch (error) {
      if (!(error instanceof SigningSecretError)) throw error;
      this.logSecretError(delivery.subscription_id, error);
      return error;
    }
    return opened.previousSecret ? [opened.secret, opened.previousSecret] : [opened.secret];
  }

  /** Logs at `error`, at most once a minute per subscription: an operator has a key to restore. */
  private logSecretError(subscriptionId: string, error: SigningSecretError): void {
    const now = this.options.clock.now().getTime();
    const last = this.secretErrorLogged.get(subscriptionId);
    if (last !== undefined && now - last < SECRET_ERROR_LOG_MS) return;
    for (const [id, at] of this.secretErrorLogged)
      if (now - at >= SECRET_ERROR_LOG_MS) this.secretErrorLogged.delete(id);
    this.secretErrorLogged.set(subscriptionId, now);
    this.logger.error(
      `Subscription ${subscriptionId}: ${error.message}; its deliveries fail and retry on schedule`,
    );
  }
}

/** The request body, built from the stored JSON text, so `data` is byte for byte what was published. */
function webhookBody(delivery: ClaimedDelivery): string {
  return `{"type":${JSON.stringify(delivery.topic)},"timestamp":${JSON.stringify(
    delivery.created_at.toISOString(),
  )},"data":${delivery.payload}}`;
}

/**
 * Reads at most `SNIPPET_BYTES` of a response body and lets go of the rest. Stream events rather
 * than an async iterator: most answers are empty, and the iterator's machinery cost more than the
 * reading (about 1 % of the thread at full load).
 */
function readSnippet(body: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      body.off('data', take);
      body.destroy();
      resolve(cutToSnippet(toStorableText(cutToSnippet(Buffer.concat(chunks)))));
    };
    const take = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= SNIPPET_BYTES) finish();
    };
    body.on('data', take).once('end', finish).on('error', reject);
  });
}

/**
 * The first `SNIPPET_BYTES` of `body` as text. A cut through a multi-byte character would decode to
 * U+FFFD, 3 bytes where 1 or 2 were kept, and overrun the limit; the decoder holds an incomplete
 * character back instead. Text made storable (U+0000 and invalid UTF-8 become U+FFFD) can grow
 * past the limit, so it is cut again, which is a no-op for most answers.
 */
function cutToSnippet(body: Buffer | string): string {
  if (typeof body === 'string' && Buffer.byteLength(body) <= SNIPPET_BYTES) return body;
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return new StringDecoder('utf8').write(bytes.subarray(0, SNIPPET_BYTES));
}

/**
 * Why a call failed, as an attempt records it: `<name>: <message>`, and `: <cause's message>`
 * when there is one (undici puts the socket's error there).
 */
function describeCallError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.name}: ${error.message}${cause}`;
}
