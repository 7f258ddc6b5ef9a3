import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { get } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import request from 'supertest';
import { TOPIC_PATTERN_REGEX } from '../src/notifications/common/topics/topic';
import { countRows, type RowCounts } from './utils/count-rows';
import { createSubscription, type TestSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { jsonText, type JsonText } from './utils/json-text';
import { publishAndSequence } from './utils/publish-event';
import { readEvents } from './utils/read-events';
import { startRecordingReceiver, type RecordingReceiver } from './utils/recording-receiver';
import { useTestApp } from './utils/use-test-app';

// Every JSON value the body parser accepts, every query string and header value a client can
// send, gets a 2xx that gives back what was sent, or a 4xx that says what is wrong and writes
// nothing. Never a 5xx. Generated inputs include lone surrogates and U+0000 (as the escapes a
// client writes), numbers beyond a double, keys JS treats specially and nesting far past the limit.

/** Runs per property: enough to meet every kind of input, few enough for a busy 2-core machine. */
const RUNS = 40;
const MAX_PAYLOAD_BYTES = 256 * 1024;
const MAX_POSITION = 9223372036854775807n;
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

const { herald } = useTestApp();

type Response = request.Response;

/** The value as Herald gives it back: `JSON.parse`'s, with -0 stored (by Postgres) as 0. */
const asStored = (text: string): unknown =>
  JSON.parse(text, (_key, value: unknown) => (Object.is(value, -0) ? 0 : value));

/** A case every run tries first, described as the generators describe theirs. */
const known = (
  text: string,
  kind: JsonText['kind'],
  depth: number,
  unstorable = false,
): [JsonText] => [{ text, kind, depth, unstorable }];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What an HTTP client can put in a header value: tab, space, visible ASCII and Latin-1 bytes. */
const headerValue = fc.oneof(
  fc.stringMatching(/^[\x21-\x7e]{1,20}$/),
  fc
    .array(
      fc.oneof(
        fc.constantFrom('\t', ' '),
        fc.integer({ min: 0x21, max: 0x7e }).map((u) => String.fromCharCode(u)),
        fc.integer({ min: 0x80, max: 0xff }).map((u) => String.fromCharCode(u)),
      ),
      { maxLength: 20 },
    )
    .map((chars) => chars.join('')),
  fc.integer({ min: 250, max: 300 }).map((length) => 'k'.repeat(length)),
  // The UTF-8 bytes of a lone surrogate (ED A0 80) and of é, as a server reads them: Latin-1.
  fc.constantFrom('\u00ed\u00a0\u0080', 'caf\u00c3\u00a9', 'caf\u00e9', '1e5', '-1', '0x10'),
);

/** A header value as Node's parser hands it on: without the spaces and tabs around it. */
const trimOws = (value: string) => value.replace(/^[ \t]+|[ \t]+$/g, '');

/** Raw (still percent-encoded) query values a client might send. */
const queryValue = fc.oneof(
  fc.constantFrom(
    '1e5',
    '-1',
    '99999999999999999999',
    '9223372036854775807',
    '9223372036854775808',
    '0x10',
    '%201',
    '1%20',
    '',
    '0',
    '1',
    '00',
    '%00',
    '1%00',
    '%ED%A0%80',
    '%F0%9F%98%80',
    '%',
    '%zz',
    'a.b',
    'a.*',
    '*',
    'A',
    'a,,b',
    'pending',
    'failed',
    NO_SUCH_ID,
  ),
  fc.stringMatching(/^[0-9]{1,25}$/),
  fc
    .uint8Array({ maxLength: 12 })
    .map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
);

describe('JSON input: a 2xx gives back what was sent, a 4xx names what is wrong', () => {
  /** Asserts the answer is a client error in Herald's shape, naming `field`, and wrote nothing. */
  async function expectRefused(
    response: Pick<Response, 'status' | 'headers' | 'body'>,
    field: string | string[],
    before: RowCounts,
  ): Promise<void> {
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.headers['content-type']).toMatch(/application\/json/);
    expect(response.body).toEqual(
      expect.objectContaining({
        statusCode: response.status,
        error: expect.stringMatching(/\S/),
        message: expect.stringMatching(/\S/),
        code: expect.stringMatching(/^[a-z_]+$/),
      }),
    );
    // A long key is named by its start: messages cut paths short.
    const fields = (typeof field === 'string' ? [field] : field).map((each) => each.slice(0, 100));
    const names = new RegExp(fields.map((each) => `(^|\\W)${escapeRegExp(each)}`).join('|'));
    expect(response.body.message).toMatch(names);
    expect(await countRows(herald.dataSource)).toEqual(before);
  }

  /** Waits until every event is sequenced, and so has the deliveries it fans out to. */
  function sequenced(): Promise<void> {
    return expectEventually(async () => {
      const [row] = await herald.dataSource.query<{ pending: number }[]>(
        'SELECT count(*)::int AS pending FROM herald.events WHERE position IS NULL',
      );
      expect(row?.pending).toBe(0);
    });
  }

  function postJson(path: string, text: string, auth: Record<string, string>): request.Test {
    return request(herald.baseUrl)
      .post(path)
      .set(auth)
      .set('Content-Type', 'application/json')
      .send(text);
  }

  describe('a payload', () => {
    let tenant: TestTenant;
    let receiver: RecordingReceiver;

    beforeAll(async () => {
      tenant = await createTenant(herald);
      receiver = await startRecordingReceiver();
      await createSubscription(herald, tenant, receiver.url, ['json.payload']);
    });

    afterAll(async () => {
      await receiver?.close();
    });

    /** Objects mostly, and now and then an array, a string, a number, a literal. */
    const payloads = fc.oneof(
      { weight: 5, arbitrary: jsonText.object },
      { weight: 1, arbitrary: jsonText.value },
    );

    /** 400, 413 or 201: what the contract says of this payload. */
    function verdict(payload: JsonText): 400 | 413 | 201 {
      if (payload.kind !== 'object' || payload.unstorable) return 400;
      if (payload.depth > jsonText.maxDepth) return 400;
      const bytes = Buffer.byteLength(JSON.stringify(JSON.parse(payload.text)));
      return bytes > MAX_PAYLOAD_BYTES ? 413 : 201;
    }

    it('is read back as sent by id, by long poll, by webhook and by idempotent replay, or refused naming it', async () => {
      let cursor = (await readEvents(herald, tenant, {})).nextCursor;
      const published = new Map<string, unknown>();
      let refused = 0;
      const nested = (levels: number) => `${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}`;
      const examples = [
        known('{"s":"\\ud800"}', 'object', 1, true),
        known('{"s":"x\\udc00"}', 'object', 1, true),
        known('{"s":"\\udc00\\ud800"}', 'object', 1, true),
        known('{"s":"\\ud83d\\ude00 😀"}', 'object', 1),
        known('{"s":"a\\u0000b"}', 'object', 1, true),
        known('{"\\ud800":1}', 'object', 1, true),
        known('{"n":1e400}', 'object', 1, true),
        known('{"n":[-1e400]}', 'object', 2, true),
        known('{"n":-0,"m":-0.0,"u":1e-400}', 'object', 1),
        known('{"n":12345678901234567890,"m":9007199254740993}', 'object', 1),
        known('{"n":1.7976931348623157e308,"m":5e-324,"o":0.30000000000000004}', 'object', 1),
        known('{"constructor":"F","prototype":1,"toString":"x","a":[{"valueOf":{}}]}', 'object', 3),
        known('{"__proto__":{"x":1}}', 'object', 2, true),
        known(`{"a":${nested(jsonText.maxDepth)}}`, 'object', jsonText.maxDepth),
        known(`{"a":${nested(jsonText.maxDepth + 1)}}`, 'object', jsonText.maxDepth + 1),
        known(`{"a":${nested(100_000)}}`, 'object', 100_000),
        known(`{"${'k'.repeat(100_000)}":1}`, 'object', 1),
        known(`{"s":"${'s'.repeat(300_000)}"}`, 'object', 1),
        known('[]', 'array', 1),
        known('"text"', 'string', 0),
        known('1', 'number', 0),
        known('null', 'literal', 0),
        known('true', 'literal', 0),
      ];

      await fc.assert(
        fc.asyncProperty(payloads, async (payload) => {
          const body = `{"topic":"json.payload","payload":${payload.text}}`;
          const key = randomUUID();
          const before = await countRows(herald.dataSource);

          const response = await postJson('/v1/events', body, tenant.auth).set(
            'Idempotency-Key',
            key,
          );

          const expected = verdict(payload);
          if (expected !== 201) {
            expect(response.status).toBe(expected);
            expect(response.body.code).toBe(
              expected === 413 ? 'payload_too_large' : 'validation_failed',
            );
            await expectRefused(response, 'payload', before);
            refused += 1;
            return;
          }
          expect(response.status).toBe(201);
          const id = response.body.id as string;
          const sent = asStored(payload.text);

          const byId = await request(herald.baseUrl)
            .get(`/v1/events/${id}`)
            .set(tenant.auth)
            .expect(200);
          expect(byId.body.payload).toEqual(sent);

          // Held until the sequencer stamps it: the long poll is the wait.
          const polled = await request(herald.baseUrl)
            .get('/v1/events')
            .query({ after: cursor, topics: 'json.payload', limit: 1, wait: 20 })
            .set(tenant.auth)
            .expect(200);
          expect(polled.body.events.map((e: { id: string }) => e.id)).toEqual([id]);
          expect(polled.body.events[0].payload).toEqual(sent);
          cursor = polled.body.nextCursor as string;

          // The same key and the same body (compared as jsonb) is the same event.
          const replayed = await postJson('/v1/events', body, tenant.auth)
            .set('Idempotency-Key', key)
            .expect(201);
          expect(replayed.body.id).toBe(id);
          expect(replayed.headers['idempotent-replayed']).toBe('true');

          published.set(id, sent);
        }),
        { numRuns: RUNS, examples },
      );
      expect(refused).toBeGreaterThan(0);

      // The webhook body carries the stored JSON text itself.
      expect(published.size).toBeGreaterThan(0);
      const delivered = await expectEventually(
        () => {
          const bodies = new Map(receiver.requests.map((r) => [r.webhookId, r.body]));
          for (const id of published.keys()) expect(bodies.has(id)).toBe(true);
          return bodies;
        },
        { timeoutMs: 30_000 },
      );
      for (const [id, sent] of published) {
        expect((JSON.parse(delivered.get(id) ?? 'null') as { data: unknown }).data).toEqual(sent);
      }
    });

    it('in UTF-16, which can carry a lone surrogate as it is rather than escaped, is refused too', async () => {
      const text = '{"topic":"json.payload","payload":{"s":"a\ud800"}}';
      const utf16 = Buffer.alloc(text.length * 2);
      for (let i = 0; i < text.length; i++) utf16.writeUInt16LE(text.charCodeAt(i), i * 2);
      const before = await countRows(herald.dataSource);

      const answer = await fetch(`${herald.baseUrl}/v1/events`, {
        method: 'POST',
        headers: { ...tenant.auth, 'Content-Type': 'application/json; charset=utf-16le' },
        body: utf16,
      });
      const response = {
        status: answer.status,
        headers: { 'content-type': answer.headers.get('content-type') ?? '' },
        body: await answer.json(),
      };

      expect(response.status).toBe(400);
      await expectRefused(response, 'payload.s', before);
    });
  });

  describe('a tenant name', () => {
    const names = fc.oneof(
      { weight: 4, arbitrary: jsonText.string(20) },
      {
        weight: 1,
        arbitrary: fc.integer({ min: 195, max: 205 }).map((length) => ({
          text: JSON.stringify('n'.repeat(length)),
          kind: 'string' as const,
          depth: 0,
          unstorable: false,
        })),
      },
      { weight: 1, arbitrary: jsonText.value },
    );

    it('is stored exactly as sent, or refused naming it', async () => {
      const admin = { Authorization: `Bearer ${herald.adminToken}` };
      await fc.assert(
        fc.asyncProperty(names, async (name) => {
          const before = await countRows(herald.dataSource);

          const response = await postJson('/v1/tenants', `{"name":${name.text}}`, admin);

          const sent: unknown = name.kind === 'string' ? JSON.parse(name.text) : undefined;
          const valid =
            typeof sent === 'string' && !name.unstorable && sent.length >= 1 && sent.length <= 200;
          if (!valid) {
            expect(response.status).toBe(400);
            await expectRefused(response, 'name', before);
            return;
          }
          expect(response.status).toBe(201);
          expect(response.body.name).toBe(sent);
          const [row] = await herald.dataSource.query<{ name: string }[]>(
            'SELECT name FROM herald.tenants WHERE id = $1',
            [response.body.id],
          );
          expect(row?.name).toBe(sent);
        }),
        {
          numRuns: RUNS,
          examples: [
            known('"a\\ud800"', 'string', 0, true),
            known('"\\udfff"', 'string', 0, true),
            known('"a\\u0000"', 'string', 0, true),
            known('"😀 \\ud83d\\ude00"', 'string', 0),
            known('""', 'string', 0),
            known(JSON.stringify('n'.repeat(201)), 'string', 0),
            known('12', 'number', 0),
            known('["x"]', 'array', 1),
          ],
        },
      );
    });
  });

  describe('a subscription description', () => {
    let tenant: TestTenant;
    let receiver: RecordingReceiver;

    beforeAll(async () => {
      tenant = await createTenant(herald);
      receiver = await startRecordingReceiver();
    });

    afterAll(async () => {
      await receiver?.close();
    });

    const descriptions = fc.option(
      fc.oneof(
        { weight: 4, arbitrary: jsonText.string(30) },
        {
          weight: 1,
          arbitrary: fc.integer({ min: 495, max: 505 }).map((length) => ({
            text: JSON.stringify('d'.repeat(length)),
            kind: 'string' as const,
            depth: 0,
            unstorable: false,
          })),
        },
        { weight: 1, arbitrary: jsonText.value },
      ),
      { nil: undefined },
    );

    /** The description as sent (`null`, or left out, is none), or `undefined` when refused. */
    function stored(description: JsonText | undefined): string | null | undefined {
      if (description === undefined) return null;
      const sent: unknown = JSON.parse(description.text);
      if (sent === null) return null;
      return typeof sent === 'string' && !description.unstorable && sent.length <= 500
        ? sent
        : undefined;
    }

    const read = async (id: string) =>
      (await request(herald.baseUrl).get(`/v1/subscriptions/${id}`).set(tenant.auth).expect(200))
        .body as TestSubscription & { description: string | null };

    it('is read back as sent after create and after change, or refused naming it', async () => {
      await fc.assert(
        fc.asyncProperty(descriptions, descriptions, async (created, changed) => {
          const url = JSON.stringify(receiver.url);
          const field = created === undefined ? '' : `,"description":${created.text}`;
          const before = await countRows(herald.dataSource);

          const response = await postJson(
            '/v1/subscriptions',
            `{"url":${url},"topics":["json.sub"]${field}}`,
            tenant.auth,
          );

          const first = stored(created);
          if (first === undefined) {
            expect(response.status).toBe(400);
            await expectRefused(response, 'description', before);
            return;
          }
          expect(response.status).toBe(201);
          const id = response.body.id as string;
          try {
            expect((await read(id)).description).toBe(first);

            const beforeChange = await countRows(herald.dataSource);
            const change = await request(herald.baseUrl)
              .patch(`/v1/subscriptions/${id}`)
              .set(tenant.auth)
              .set('Content-Type', 'application/json')
              .send(changed === undefined ? '{}' : `{"description":${changed.text}}`);

            const second = changed === undefined ? first : stored(changed);
            if (second === undefined) {
              expect(change.status).toBe(400);
              await expectRefused(change, 'description', beforeChange);
              expect((await read(id)).description).toBe(first);
            } else {
              expect(change.status).toBe(200);
              expect(change.body.description).toBe(second);
              expect((await read(id)).description).toBe(second);
            }
          } finally {
            await request(herald.baseUrl)
              .delete(`/v1/subscriptions/${id}`)
              .set(tenant.auth)
              .expect(204);
          }
        }),
        {
          numRuns: RUNS,
          examples: [
            [known('"\\ud800"', 'string', 0, true)[0], undefined],
            [known('"ok"', 'string', 0)[0], known('"x\\udc00"', 'string', 0, true)[0]],
            [undefined, known('"\\u0000"', 'string', 0, true)[0]],
            [known('"😀"', 'string', 0)[0], known('null', 'literal', 0)[0]],
          ],
        },
      );
    });
  });

  describe('any body on any route that takes one', () => {
    let tenant: TestTenant;
    let receiver: RecordingReceiver;
    let subscription: TestSubscription;

    beforeAll(async () => {
      tenant = await createTenant(herald);
      receiver = await startRecordingReceiver();
      // Topics no event has: a replay that is accepted schedules nothing, so rows stay put.
      subscription = await createSubscription(herald, tenant, receiver.url, ['json.none']);
      await sequenced();
    });

    afterAll(async () => {
      await receiver?.close();
    });

    /** A route, who calls it, and the fields its answer may name. */
    interface Route {
      name: string;
      method: 'post' | 'patch' | 'delete';
      path: () => string;
      admin?: boolean;
      fields: string[];
    }

    const routes: Route[] = [
      {
        method: 'post',
        name: 'POST /v1/tenants',
        path: () => '/v1/tenants',
        admin: true,
        fields: ['name'],
      },
      {
        method: 'post',
        name: 'POST /v1/tenants/:id/api-keys',
        path: () => `/v1/tenants/${tenant.tenantId}/api-keys`,
        admin: true,
        fields: [],
      },
      {
        method: 'delete',
        name: 'DELETE /v1/api-keys/:id',
        path: () => `/v1/api-keys/${NO_SUCH_ID}`,
        admin: true,
        fields: [],
      },
      {
        method: 'post',
        name: 'POST /v1/tenants/:id/portal-sessions',
        path: () => `/v1/tenants/${tenant.tenantId}/portal-sessions`,
        admin: true,
        fields: ['ttl', 'readOnly'],
      },
      {
        method: 'delete',
        name: 'DELETE /v1/portal-sessions/:id',
        path: () => `/v1/portal-sessions/${NO_SUCH_ID}`,
        admin: true,
        fields: [],
      },
      {
        method: 'delete',
        name: 'DELETE /v1/tenants/:id/portal-sessions',
        path: () => `/v1/tenants/${tenant.tenantId}/portal-sessions`,
        admin: true,
        fields: [],
      },
      {
        method: 'post',
        name: 'POST /v1/events',
        path: () => '/v1/events',
        fields: ['topic', 'payload', 'tenantId'],
      },
      {
        method: 'post',
        name: 'POST /v1/subscriptions',
        path: () => '/v1/subscriptions',
        fields: ['url', 'topics', 'description', 'secret'],
      },
      {
        method: 'patch',
        name: 'PATCH /v1/subscriptions/:id',
        path: () => `/v1/subscriptions/${subscription.id}`,
        fields: ['url', 'topics', 'description', 'enabled'],
      },
      {
        method: 'post',
        name: 'POST /v1/subscriptions/:id/replay',
        path: () => `/v1/subscriptions/${subscription.id}/replay`,
        fields: ['after'],
      },
      {
        method: 'post',
        name: 'POST /v1/subscriptions/:id/test',
        path: () => `/v1/subscriptions/${subscription.id}/test`,
        fields: [],
      },
      {
        method: 'post',
        name: 'POST /v1/subscriptions/:id/secret/rotate',
        path: () => `/v1/subscriptions/${subscription.id}/secret/rotate`,
        fields: [],
      },
      {
        method: 'post',
        name: 'POST /v1/deliveries/:id/retry',
        path: () => `/v1/deliveries/${NO_SUCH_ID}/retry`,
        fields: [],
      },
    ];

    /** Bodies made of the route's own fields with any values, or of anything at all. */
    const bodies = (route: Route) =>
      fc.oneof(
        fc
          .uniqueArray(
            fc.tuple(fc.constantFrom(...route.fields, 'extra', 'topic', 'name'), jsonText.value),
            { selector: ([field]) => field, maxLength: 4 },
          )
          .map((members) => ({
            text: `{${members.map(([field, value]) => `"${field}":${value.text}`).join(',')}}`,
            keys: members.map(([field]) => field),
          })),
        jsonText.value.map((value) => {
          const parsed: unknown = JSON.parse(value.text);
          const keys = typeof parsed === 'object' && parsed !== null ? Object.keys(parsed) : [];
          return { text: value.text, keys };
        }),
      );

    it.each(routes.map((route) => [route.name, route]))(
      '%s: never a 5xx; a 4xx names a field and writes nothing',
      async (_, route) => {
        const auth = route.admin ? { Authorization: `Bearer ${herald.adminToken}` } : tenant.auth;
        const onSubscription = route.path().includes(subscription.id);
        /** The subscription and its secrets, which a refused request must leave as they were. */
        const state = async () => {
          const path = `/v1/subscriptions/${subscription.id}`;
          const [read, secrets] = await Promise.all([
            request(herald.baseUrl).get(path).set(tenant.auth).expect(200),
            request(herald.baseUrl).get(`${path}/secret`).set(tenant.auth).expect(200),
          ]);
          return { subscription: read.body as unknown, secrets: secrets.body as unknown };
        };
        await fc.assert(
          fc.asyncProperty(bodies(route), async (body) => {
            const before = await countRows(herald.dataSource);
            const stateBefore = onSubscription ? await state() : undefined;

            const response = await request(herald.baseUrl)
              [route.method](route.path())
              .set(auth)
              .set('Content-Type', 'application/json')
              .send(body.text);

            expect(response.status).toBeLessThan(500);
            if (response.status >= 400) {
              // 400s name a field, or say the body is not an object (the parser refuses a JSON
              // string or number, naming JSON); the ids of the 404s are made up.
              const named =
                response.status === 400
                  ? // A key that is no identifier is named as a JSON string, in a path.
                    [
                      ...route.fields,
                      ...body.keys,
                      ...body.keys.map((key) => JSON.stringify(key)),
                      'body',
                      'JSON',
                      'object',
                    ]
                  : [''];
              await expectRefused(response, named, before);
              if (stateBefore) expect(await state()).toEqual(stateBefore);
            } else {
              if (route.path() === '/v1/subscriptions') {
                await request(herald.baseUrl)
                  .delete(`/v1/subscriptions/${response.body.id}`)
                  .set(tenant.auth)
                  .expect(204);
              }
              // What it published gets its deliveries when sequenced; the next run counts after.
              await sequenced();
            }
          }),
          { numRuns: Math.ceil(RUNS / 2) },
        );
      },
    );
  });

  describe('any query value', () => {
    let tenant: TestTenant;
    let receiver: RecordingReceiver;
    let subscription: TestSubscription;
    let head: bigint;

    beforeAll(async () => {
      tenant = await createTenant(herald);
      receiver = await startRecordingReceiver();
      subscription = await createSubscription(herald, tenant, receiver.url, ['json.none']);
      // An event to read, so a long poll from 0 answers at once whatever `wait` says.
      await publishAndSequence(herald, tenant, 'json.query');
      head = BigInt((await readEvents(herald, tenant, {})).nextCursor);
    });

    afterAll(async () => {
      await receiver?.close();
    });

    type Decoded = string | string[] | undefined;
    const digits = (value: Decoded): value is string =>
      typeof value === 'string' && /^\d+$/.test(value);
    const intIn = (value: Decoded, min: number, max: number) =>
      digits(value) && Number(value) >= min && Number(value) <= max;

    /** Good; bad; a well-formed cursor that is not in the log; an id that is not the caller's. */
    type Verdict = 'ok' | 'bad' | 'not-in-log' | 'not-found';
    const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
    const cursorVerdict = (value: Decoded): Verdict => {
      if (typeof value !== 'string' || !/^\d{1,19}$/.test(value)) return 'bad';
      const position = BigInt(value);
      return position <= head && position <= MAX_POSITION ? 'ok' : 'not-in-log';
    };

    /** Each route's parameters, what a valid rest of the query is, and how each value is judged. */
    const routes: Record<
      string,
      { path: () => string; rest: string; params: Record<string, (v: Decoded) => Verdict> }
    > = {
      'GET /v1/events': {
        path: () => '/v1/events',
        rest: 'after=0',
        params: {
          after: cursorVerdict,
          limit: (v) => (intIn(v, 1, 1000) ? 'ok' : 'bad'),
          wait: (v) => (digits(v) && Number.isInteger(Number(v)) ? 'ok' : 'bad'),
          topics: (v) => {
            const topics = typeof v === 'string' ? v.split(',').map((t) => t.trim()) : (v ?? []);
            return topics.length <= 50 && topics.every((t) => TOPIC_PATTERN_REGEX.test(t))
              ? 'ok'
              : 'bad';
          },
          tenantId: (v) => (typeof v === 'string' && UUID.test(v) ? 'not-found' : 'bad'),
        },
      },
      'GET /v1/subscriptions': {
        path: () => '/v1/subscriptions',
        rest: '',
        params: { limit: (v) => (intIn(v, 1, 100) ? 'ok' : 'bad'), cursor: () => 'bad' },
      },
      'GET /v1/subscriptions/:id/deliveries': {
        path: () => `/v1/subscriptions/${subscription.id}/deliveries`,
        rest: '',
        params: {
          limit: (v) => (intIn(v, 1, 100) ? 'ok' : 'bad'),
          cursor: () => 'bad',
          status: (v) =>
            typeof v === 'string' && ['pending', 'succeeded', 'failed'].includes(v) ? 'ok' : 'bad',
        },
      },
    };
    const unknownParams = [
      'colour',
      'constructor',
      'toString',
      '__proto__',
      'after[]',
      'topics[a]',
    ];

    const queries = fc.constantFrom(...Object.keys(routes)).chain((route) =>
      fc.record({
        route: fc.constant(route),
        param: fc.oneof(
          { weight: 5, arbitrary: fc.constantFrom(...Object.keys(routes[route]?.params ?? {})) },
          { weight: 1, arbitrary: fc.constantFrom(...unknownParams) },
        ),
        values: fc.array(queryValue, { minLength: 1, maxLength: 2 }),
      }),
    );

    it('is answered 2xx when valid, else 400 naming the parameter; never 5xx', async () => {
      await fc.assert(
        fc.asyncProperty(queries, async ({ route: name, param, values }) => {
          const route = routes[name];
          if (!route) throw new Error(`no route ${name}`);
          const query = values.map((value) => `${param}=${value}`).join('&');
          const decoded = parseQuery(query)[param];
          // A long poll never waits here: `after=0` has an event to answer with, or `wait=0`.
          const rest = [route.rest, param === 'wait' ? '' : 'wait=0']
            .filter((part) => part && !part.startsWith(`${param}=`))
            .filter((part) => route.path() === '/v1/events' || !part.startsWith('wait'));
          const before = await countRows(herald.dataSource);

          const response = await request(herald.baseUrl)
            .get(`${route.path()}?${[...rest, query].join('&')}`)
            .set(tenant.auth);

          const judge = Object.hasOwn(route.params, param) ? route.params[param] : undefined;
          const verdict = judge ? judge(decoded) : 'bad';
          if (verdict === 'ok') {
            expect(response.status).toBe(200);
            return;
          }
          if (verdict === 'not-found') {
            expect(response.status).toBe(404);
            expect(response.body.code).toBe('tenant_not_found');
          } else if (verdict === 'not-in-log' && response.status === 200) {
            // The log grew meanwhile (the sequencer stamps what earlier tests published).
            head = BigInt((await readEvents(herald, tenant, {})).nextCursor);
            expect(BigInt(String(decoded))).toBeLessThanOrEqual(head);
            return;
          } else {
            expect(response.status).toBe(400);
            if (verdict === 'not-in-log') expect(response.body.code).toBe('invalid_cursor');
          }
          // An unknown tenant is named by its id ("Tenant … not found"), anything else by the
          // parameter.
          await expectRefused(response, verdict === 'not-found' ? String(decoded) : param, before);
        }),
        { numRuns: RUNS * 2 },
      );
    });

    /** Opens a stream: its status and type, and the body of an error (a stream is closed at once). */
    function openStream(
      path: string,
      headers: Record<string, string>,
    ): Promise<{ status: number; type: string; body: string }> {
      return new Promise((resolve, reject) => {
        const req = get(`${herald.baseUrl}${path}`, { headers }, (res) => {
          const answer = { status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '' };
          if (answer.status === 200) {
            res.destroy();
            resolve({ ...answer, body: '' });
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ ...answer, body: Buffer.concat(chunks).toString() }));
        });
        req.on('error', reject);
      });
    }

    it('GET /v1/events/stream: a bad after, topics or Last-Event-ID is a 400 before the stream starts', async () => {
      const streams = fc.oneof(
        fc.record({ param: fc.constantFrom('after', 'topics'), value: queryValue }),
        fc.record({ param: fc.constant('Last-Event-ID'), value: headerValue }),
      );
      await fc.assert(
        fc.asyncProperty(streams, async ({ param, value }) => {
          const header = param === 'Last-Event-ID';
          const path = `/v1/events/stream${header ? '' : `?${param}=${value}`}`;

          const response = await openStream(path, {
            ...tenant.auth,
            ...(header ? { 'Last-Event-ID': value } : {}),
          });

          const decoded = header ? trimOws(value) : parseQuery(`${param}=${value}`)[param];
          const judge = routes['GET /v1/events']?.params[param === 'topics' ? 'topics' : 'after'];
          if (judge?.(decoded) === 'ok') {
            expect(response.status).toBe(200);
            expect(response.type).toMatch(/text\/event-stream/);
            return;
          }
          expect(response.status).toBe(400);
          expect(response.type).toMatch(/application\/json/);
          expect(JSON.parse(response.body)).toEqual(
            expect.objectContaining({ statusCode: 400, message: expect.stringContaining(param) }),
          );
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe('an Idempotency-Key', () => {
    it('of 1 to 255 visible ASCII characters publishes once; any other is a 400 naming it', async () => {
      const tenant = await createTenant(herald);
      const body = '{"topic":"json.key","payload":{"n":1}}';
      const events = new Map<string, string>();
      await fc.assert(
        fc.asyncProperty(headerValue, async (value) => {
          const key = trimOws(value);
          const before = await countRows(herald.dataSource);

          const response = await postJson('/v1/events', body, tenant.auth).set(
            'Idempotency-Key',
            value,
          );

          if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
            expect(response.status).toBe(400);
            await expectRefused(response, 'Idempotency-Key', before);
            return;
          }
          expect(response.status).toBe(201);
          const first = events.get(key);
          if (first) expect(response.body.id).toBe(first);
          const again = await postJson('/v1/events', body, tenant.auth)
            .set('Idempotency-Key', key)
            .expect(201);
          expect(again.body.id).toBe(response.body.id);
          expect(again.headers['idempotent-replayed']).toBe('true');
          events.set(key, response.body.id as string);
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe('a replay cursor', () => {
    it('is a string of digits within a bigint, or a 400 naming after', async () => {
      const tenant = await createTenant(herald);
      const receiver = await startRecordingReceiver();
      try {
        const subscription = await createSubscription(herald, tenant, receiver.url, ['json.none']);
        const afters = fc.oneof(
          fc.stringMatching(/^[0-9]{1,25}$/).map((digits) => JSON.stringify(digits)),
          fc.constantFrom('"1e5"', '"-1"', '"0x10"', '" 1"', '""', '"9223372036854775808"'),
          jsonText.value.map((value) => value.text),
        );
        await fc.assert(
          fc.asyncProperty(afters, async (after) => {
            const before = await countRows(herald.dataSource);

            const response = await postJson(
              `/v1/subscriptions/${subscription.id}/replay`,
              `{"after":${after}}`,
              tenant.auth,
            );

            const sent: unknown = JSON.parse(after);
            if (
              typeof sent === 'string' &&
              /^\d{1,19}$/.test(sent) &&
              BigInt(sent) <= MAX_POSITION
            ) {
              expect(response.status).toBe(202);
              expect(response.body).toEqual({ scheduled: 0 });
              return;
            }
            expect(response.status).toBe(400);
            await expectRefused(response, 'after', before);
          }),
          { numRuns: RUNS },
        );
      } finally {
        await receiver.close();
      }
    });
  });
});
