import { Client } from 'pg';
import request from 'supertest';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { startTestApp, type TestApp } from './utils/test-app';

const SOME_UUID = '00000000-0000-4000-8000-000000000000';

/** One bad request, and the error it must get. */
interface BadRequest {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** Built from the case's own tenant. */
  path: (tenant: TestTenant) => string;
  as?: 'admin' | 'tenant';
  /** Raw query string, sent as written. */
  query?: string;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent exactly as written with this content type. */
  raw?: { body: string; type: string };
  status: number;
  code: string;
  /** A word the message must contain: the field, parameter or header at fault. */
  names?: string;
}

const tenants = () => '/v1/tenants';
const apiKeysOf = (t: TestTenant) => `/v1/tenants/${t.tenantId}/api-keys`;
const apiKey = (t: TestTenant) => `/v1/api-keys/${t.apiKeyId}`;
const portalSessionsOf = (t: TestTenant) => `/v1/tenants/${t.tenantId}/portal-sessions`;
const events = () => '/v1/events';
const event = () => `/v1/events/${SOME_UUID}`;
const subscriptions = () => '/v1/subscriptions';
const subscribe = (extra: object) => ({ url: 'http://127.0.0.1:9/hook', topics: ['*'], ...extra });
const subscription = () => `/v1/subscriptions/${SOME_UUID}`;
const HOOK = { url: 'https://example.com/hook', topics: ['a.b'] };

const TRUNCATED_JSON = { body: '{"name": "x", ', type: 'application/json' };
const json = (body: string) => ({ body, type: 'application/json' });
const malformed = { status: 400, code: 'malformed_json' };
const invalid = (names: string) => ({ status: 400, code: 'validation_failed', names });
const badQuery = (query: string, names: string, code = 'validation_failed') => ({
  method: 'get' as const,
  path: events,
  query,
  status: 400,
  code,
  names,
});

// One line per case reads as a table.
// prettier-ignore
const CASES: [string, BadRequest][] = [
  // Malformed JSON, on every route: the body parser runs before routing.
  ['POST /v1/tenants: truncated JSON', { method: 'post', path: tenants, as: 'admin', raw: TRUNCATED_JSON, ...malformed }],
  ['POST /v1/tenants/:id/api-keys: truncated JSON', { method: 'post', path: apiKeysOf, as: 'admin', raw: TRUNCATED_JSON, ...malformed }],
  ['DELETE /v1/api-keys/:id: truncated JSON', { method: 'delete', path: apiKey, as: 'admin', raw: TRUNCATED_JSON, ...malformed }],
  ['POST /v1/events: truncated JSON', { method: 'post', path: events, raw: TRUNCATED_JSON, ...malformed }],
  ['GET /v1/events: truncated JSON', { method: 'get', path: events, raw: TRUNCATED_JSON, ...malformed }],
  ['GET /v1/events/:id: truncated JSON', { method: 'get', path: event, raw: TRUNCATED_JSON, ...malformed }],
  ['POST /v1/events: single quotes', { method: 'post', path: events, raw: json("{'topic': 'a.b', 'payload': {}}"), ...malformed }],
  ['POST /v1/events: trailing garbage', { method: 'post', path: events, raw: json('{"topic": "a.b", "payload": {}} x'), ...malformed }],
  ['POST /v1/events: a bare string', { method: 'post', path: events, raw: json('"a.b"'), ...malformed }],
  ['POST /v1/events: null', { method: 'post', path: events, raw: json('null'), ...malformed }],

  // Wrong types and missing fields.
  ['POST /v1/tenants: name is a number', { method: 'post', path: tenants, as: 'admin', json: { name: 123 }, ...invalid('name') }],
  ['POST /v1/tenants: name is an array', { method: 'post', path: tenants, as: 'admin', json: { name: ['a'] }, ...invalid('name') }],
  ['POST /v1/tenants: name is empty', { method: 'post', path: tenants, as: 'admin', json: { name: '' }, ...invalid('name') }],
  ['POST /v1/tenants: name is 201 characters', { method: 'post', path: tenants, as: 'admin', json: { name: 'n'.repeat(201) }, ...invalid('name') }],
  ['POST /v1/tenants: name is missing', { method: 'post', path: tenants, as: 'admin', json: {}, ...invalid('name') }],
  ['POST /v1/tenants: name with a NUL character', { method: 'post', path: tenants, as: 'admin', json: { name: 'a\u0000b' }, ...invalid('name') }],
  ['POST /v1/tenants: the body is an array', { method: 'post', path: tenants, as: 'admin', json: [{ name: 'x' }], ...invalid('name') }],
  ['POST /v1/tenants: no body at all', { method: 'post', path: tenants, as: 'admin', ...invalid('name') }],
  ['POST /v1/events: topic is a number', { method: 'post', path: events, json: { topic: 5, payload: {} }, ...invalid('topic') }],
  ['POST /v1/events: topic is an array', { method: 'post', path: events, json: { topic: ['a.b'], payload: {} }, ...invalid('topic') }],
  ['POST /v1/events: payload is a string', { method: 'post', path: events, json: { topic: 'a.b', payload: 'x' }, ...invalid('payload') }],
  ['POST /v1/events: payload is an array', { method: 'post', path: events, json: { topic: 'a.b', payload: [] }, ...invalid('payload') }],
  ['POST /v1/events: payload with a NUL character', { method: 'post', path: events, json: { topic: 'a.b', payload: { note: 'a\u0000b' } }, ...invalid('payload') }],
  ['POST /v1/events: tenantId is a number', { method: 'post', path: events, json: { topic: 'a.b', payload: {}, tenantId: 5 }, ...invalid('tenantId') }],
  ['POST /v1/events: the body is an array', { method: 'post', path: events, json: [{ topic: 'a.b', payload: {} }], ...invalid('topic') }],
  ['POST /v1/events: a text/plain body', { method: 'post', path: events, raw: { body: '{"topic":"a.b","payload":{}}', type: 'text/plain' }, ...invalid('topic') }],
  ['POST /v1/events: an unsupported charset', { method: 'post', path: events, raw: { body: '{"topic":"a.b","payload":{}}', type: 'application/json; charset=x-unknown' }, status: 415, code: 'unsupported_media_type' }],

  // A subscription's custom headers.
  ['POST /v1/subscriptions: headers is a string', { method: 'post', path: subscriptions, json: subscribe({ headers: 'x-api-key: k' }), ...invalid('headers') }],
  ['POST /v1/subscriptions: a header name with a space', { method: 'post', path: subscriptions, json: subscribe({ headers: { 'x api': 'k' } }), ...invalid('x api') }],
  ['POST /v1/subscriptions: a header value with CR LF', { method: 'post', path: subscriptions, json: subscribe({ headers: { 'x-api-key': 'k\r\nx-evil: 1' } }), ...invalid('x-api-key') }],
  ['POST /v1/subscriptions: a header Herald sets', { method: 'post', path: subscriptions, json: subscribe({ headers: { 'webhook-id': 'x' } }), ...invalid('webhook-id') }],
  ['POST /v1/subscriptions: 21 headers', { method: 'post', path: subscriptions, json: subscribe({ headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`x-h${i}`, 'v'])) }), ...invalid('headers') }],

  // A subscription's uid, and naming a subscription by id or uid.
  ['POST /v1/subscriptions: a uid with a space', { method: 'post', path: subscriptions, json: subscribe({ uid: 'a b' }), ...invalid('uid') }],
  ['POST /v1/subscriptions: a uid of 257 characters', { method: 'post', path: subscriptions, json: subscribe({ uid: 'u'.repeat(257) }), ...invalid('uid') }],
  ['POST /v1/subscriptions: a uid that is an object', { method: 'post', path: subscriptions, json: subscribe({ uid: { a: 1 } }), ...invalid('uid') }],
  ['GET /v1/subscriptions/:id: neither a UUID nor a uid', { method: 'get', path: () => '/v1/subscriptions/a%20b', ...invalid('id') }],
  ['DELETE /v1/subscriptions/:id: 257 characters', { method: 'delete', path: () => `/v1/subscriptions/${'u'.repeat(257)}`, ...invalid('id') }],

  // Unknown body fields.
  ['POST /v1/tenants: an unknown field', { method: 'post', path: tenants, as: 'admin', json: { name: 'x', plan: 'gold' }, ...invalid('plan') }],
  ['POST /v1/events: an unknown field', { method: 'post', path: events, json: { topic: 'a.b', payload: {}, priority: 1 }, ...invalid('priority') }],
  ['POST /v1/events: an id of our choosing', { method: 'post', path: events, json: { id: SOME_UUID, topic: 'a.b', payload: {} }, ...invalid('id') }],
  ['POST /v1/tenants/:id/api-keys: an unknown field (the route takes no body)', { method: 'post', path: apiKeysOf, as: 'admin', json: { label: 'ci' }, ...invalid('label') }],

  // Bad UUIDs in paths.
  ['POST /v1/tenants/:id/api-keys: id is not a UUID', { method: 'post', path: () => '/v1/tenants/not-a-uuid/api-keys', as: 'admin', ...invalid('id') }],
  ['POST /v1/tenants/:id/api-keys: id is a number', { method: 'post', path: () => '/v1/tenants/123/api-keys', as: 'admin', ...invalid('id') }],
  ['DELETE /v1/api-keys/:id: id is not a UUID', { method: 'delete', path: () => '/v1/api-keys/not-a-uuid', as: 'admin', ...invalid('id') }],
  ['DELETE /v1/api-keys/:id: a UUID with a suffix', { method: 'delete', path: (t) => `/v1/api-keys/${t.apiKeyId}x`, as: 'admin', ...invalid('id') }],
  ['GET /v1/events/:id: id is not a UUID', { method: 'get', path: () => '/v1/events/not-a-uuid', ...invalid('id') }],
  ['GET /v1/events/:id: id is an SQL fragment', { method: 'get', path: () => "/v1/events/'%20OR%201=1--", ...invalid('id') }],

  // A subscription's rateLimit: a whole number from 1 to 10,000, or null.
  ['POST /v1/subscriptions: rateLimit 0', { method: 'post', path: subscriptions, json: { ...HOOK, rateLimit: 0 }, ...invalid('rateLimit') }],
  ['POST /v1/subscriptions: rateLimit negative', { method: 'post', path: subscriptions, json: { ...HOOK, rateLimit: -5 }, ...invalid('rateLimit') }],
  ['POST /v1/subscriptions: rateLimit a fraction', { method: 'post', path: subscriptions, json: { ...HOOK, rateLimit: 2.5 }, ...invalid('rateLimit') }],
  ['POST /v1/subscriptions: rateLimit a string', { method: 'post', path: subscriptions, json: { ...HOOK, rateLimit: '5' }, ...invalid('rateLimit') }],
  ['POST /v1/subscriptions: rateLimit over 10,000', { method: 'post', path: subscriptions, json: { ...HOOK, rateLimit: 10_001 }, ...invalid('rateLimit') }],
  ['POST /v1/subscriptions: rateLimit beyond an int4', { method: 'post', path: subscriptions, json: { ...HOOK, rateLimit: 2 ** 53 }, ...invalid('rateLimit') }],
  ['PATCH /v1/subscriptions/:id: rateLimit 0', { method: 'patch', path: subscription, json: { rateLimit: 0 }, ...invalid('rateLimit') }],
  ['PATCH /v1/subscriptions/:id: rateLimit true', { method: 'patch', path: subscription, json: { rateLimit: true }, ...invalid('rateLimit') }],

  // Bad query values of GET /v1/events.
  ['GET /v1/events: after=abc', badQuery('after=abc', 'after')],
  ['GET /v1/events: after=-1', badQuery('after=-1', 'after')],
  ['GET /v1/events: after=1.5', badQuery('after=1.5', 'after')],
  ['GET /v1/events: after of 20 digits', badQuery('after=99999999999999999999', 'after')],
  ['GET /v1/events: after beyond a bigint', badQuery('after=9223372036854775808', 'after', 'invalid_cursor')],
  ['GET /v1/events: after ahead of the log', badQuery('after=1000000000', 'after', 'invalid_cursor')],
  ['GET /v1/events: after given twice', badQuery('after=1&after=2', 'after')],
  ['GET /v1/events: limit=0', badQuery('limit=0', 'limit')],
  ['GET /v1/events: limit=5000', badQuery('limit=5000', 'limit')],
  ['GET /v1/events: limit=x', badQuery('limit=x', 'limit')],
  ['GET /v1/events: limit=1.5', badQuery('limit=1.5', 'limit')],
  ['GET /v1/events: wait=-1', badQuery('wait=-1', 'wait')],
  ['GET /v1/events: wait=x', badQuery('wait=x', 'wait')],
  ['GET /v1/events: topics=Bad..Topic', badQuery('topics=Bad..Topic', 'topics')],
  ['GET /v1/events: topics with an empty entry', badQuery('topics=a.b,,c', 'topics')],
  ['GET /v1/events: topics=order.*.x', badQuery('topics=order.*.x', 'topics')],
  ['GET /v1/events: a topic of 201 characters', badQuery(`topics=${'a'.repeat(201)}`, 'topics')],
  ['GET /v1/events: 51 topics', badQuery(`topics=${Array.from({ length: 51 }, (_, i) => `t${i}`).join(',')}`, 'topics')],
  ['GET /v1/events: tenantId=abc', badQuery('tenantId=abc', 'tenantId')],
  ['GET /v1/events: an unknown parameter', badQuery('after=0&colour=red', 'colour')],
  ['GET /v1/events: admin without tenantId', { ...badQuery('after=0', 'tenantId'), as: 'admin' }],

  // Portal sessions.
  ['POST /v1/tenants/:id/portal-sessions: truncated JSON', { method: 'post', path: portalSessionsOf, as: 'admin', raw: TRUNCATED_JSON, ...malformed }],
  ['POST /v1/tenants/:id/portal-sessions: ttl of 59 s', { method: 'post', path: portalSessionsOf, as: 'admin', json: { ttl: 59 }, ...invalid('ttl') }],
  ['POST /v1/tenants/:id/portal-sessions: ttl over a day', { method: 'post', path: portalSessionsOf, as: 'admin', json: { ttl: 86_401 }, ...invalid('ttl') }],
  ['POST /v1/tenants/:id/portal-sessions: ttl of 90.5 s', { method: 'post', path: portalSessionsOf, as: 'admin', json: { ttl: 90.5 }, ...invalid('ttl') }],
  ['POST /v1/tenants/:id/portal-sessions: ttl is a string', { method: 'post', path: portalSessionsOf, as: 'admin', json: { ttl: '600' }, ...invalid('ttl') }],
  ['POST /v1/tenants/:id/portal-sessions: readOnly is a string', { method: 'post', path: portalSessionsOf, as: 'admin', json: { readOnly: 'true' }, ...invalid('readOnly') }],
  ['POST /v1/tenants/:id/portal-sessions: an unknown field', { method: 'post', path: portalSessionsOf, as: 'admin', json: { scope: 'all' }, ...invalid('scope') }],
  ['POST /v1/tenants/:id/portal-sessions: the body is an array', { method: 'post', path: portalSessionsOf, as: 'admin', json: [{ ttl: 60 }], ...invalid('should not exist') }],
  ['POST /v1/tenants/:id/portal-sessions: id is not a UUID', { method: 'post', path: () => '/v1/tenants/not-a-uuid/portal-sessions', as: 'admin', ...invalid('id') }],
  ['DELETE /v1/portal-sessions/:id: id is not a UUID', { method: 'delete', path: () => '/v1/portal-sessions/not-a-uuid', as: 'admin', ...invalid('id') }],
  ['DELETE /v1/portal-sessions/:id: a body', { method: 'delete', path: () => `/v1/portal-sessions/${SOME_UUID}`, as: 'admin', json: { force: true }, ...invalid('force') }],
  ['DELETE /v1/tenants/:id/portal-sessions: id is not a UUID', { method: 'delete', path: () => '/v1/tenants/not-a-uuid/portal-sessions', as: 'admin', ...invalid('id') }],
];

interface RowCounts {
  tenants: number;
  apiKeys: number;
  revokedKeys: number;
  portalSessions: number;
  revokedPortalSessions: number;
  events: number;
  subscriptions: number;
}

describe('bad input gets a clear 4xx and changes nothing', () => {
  let db: TestDatabase;
  let herald: TestApp;
  let pg: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    herald = await startTestApp({ databaseUrl: db.url });
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await herald?.close();
    await db?.drop();
  });

  async function rowCounts(): Promise<RowCounts> {
    const { rows } = await pg.query<RowCounts>(`
      SELECT (SELECT count(*)::int FROM herald.tenants) AS "tenants",
             (SELECT count(*)::int FROM herald.api_keys) AS "apiKeys",
             (SELECT count(*)::int FROM herald.api_keys WHERE revoked_at IS NOT NULL) AS "revokedKeys",
             (SELECT count(*)::int FROM herald.portal_sessions) AS "portalSessions",
             (SELECT count(*)::int FROM herald.portal_sessions WHERE revoked_at IS NOT NULL)
               AS "revokedPortalSessions",
             (SELECT count(*)::int FROM herald.events) AS "events",
             (SELECT count(*)::int FROM herald.subscriptions) AS "subscriptions"`);
    return rows[0];
  }

  function send(tenant: TestTenant, bad: BadRequest): request.Test {
    const path = bad.path(tenant) + (bad.query === undefined ? '' : `?${bad.query}`);
    const auth =
      bad.as === 'admin' ? { Authorization: `Bearer ${herald.adminToken}` } : tenant.auth;
    const test = request(herald.baseUrl)[bad.method](path).set(auth);
    if (bad.raw) return test.set('Content-Type', bad.raw.type).send(bad.raw.body);
    if (bad.json !== undefined) return test.send(bad.json as object);
    return test;
  }

  it.each(CASES)('%s', async (_, bad) => {
    const tenant = await createTenant(herald);
    const before = await rowCounts();

    const response = await send(tenant, bad);

    expect({ status: response.status, code: response.body.code }).toEqual({
      status: bad.status,
      code: bad.code,
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.headers['content-type']).toMatch(/application\/json/);
    expect(response.body).toEqual(
      expect.objectContaining({
        statusCode: response.status,
        error: expect.stringMatching(/\S/),
        message: expect.stringMatching(/\S/),
        code: expect.any(String),
      }),
    );
    if (bad.names) expect(response.body.message).toMatch(new RegExp(`\\b${bad.names}\\b`));
    expect(await rowCounts()).toEqual(before);
  });
});
