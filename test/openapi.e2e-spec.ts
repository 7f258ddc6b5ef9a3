import type {
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  RequestBodyObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import request from 'supertest';
import { type TestApp } from './utils/test-app';
import { validateOpenApi } from './utils/validate-openapi';
import { useTestApp } from './utils/use-test-app';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Every route the service mounts today, as OpenAPI writes it. */
const MOUNTED_ROUTES: [Method, string][] = [
  ['post', '/v1/tenants'],
  ['post', '/v1/tenants/{id}/api-keys'],
  ['delete', '/v1/api-keys/{id}'],
  ['post', '/v1/events'],
  ['get', '/v1/events'],
  ['get', '/v1/events/{id}'],
  ['get', '/health'],
];

const ERROR_SCHEMA_REF = '#/components/schemas/ErrorResponseDto';
const METHODS: readonly Method[] = ['get', 'post', 'put', 'patch', 'delete'];

interface Operation {
  method: Method;
  path: string;
  operation: OperationObject;
}

function operationsOf(doc: OpenAPIObject): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const operation = item[method];
      return operation ? [{ method, path, operation }] : [];
    }),
  );
}

function isReference(value: object): value is ReferenceObject {
  return '$ref' in value;
}

/** The component a `$ref` points at (only local `#/components/schemas/...` refs are used here). */
function resolveSchema(doc: OpenAPIObject, schema: SchemaObject | ReferenceObject): SchemaObject {
  if (!isReference(schema)) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  const target = doc.components?.schemas?.[name];
  if (!target || isReference(target)) throw new Error(`${schema.$ref} does not resolve`);
  return target;
}

/** The service's pages for people and Swagger's own files: not API endpoints, so not documented. */
const PAGES = ['/docs', '/portal', '/admin/queues'];

/** One line of Fastify's `printRoutes`: the tree's indent, a path segment and its methods. */
const ROUTE_LINE = /^((?:│ {3}| {4})*)(?:├── |└── )(\S+) \(([A-Z, ]+)\)$/;

/**
 * Routes the Fastify app really serves, read from its router's printed tree (each line's segment
 * continues its parent's), HEAD left out (Fastify adds one to every GET).
 */
function servedRoutes(herald: TestApp): [string, string][] {
  const tree = herald.app.getHttpAdapter().getInstance().printRoutes({ commonPrefix: false });
  const parents: string[] = [];
  const routes: [string, string][] = [];
  for (const line of tree.split('\n')) {
    const match = ROUTE_LINE.exec(line);
    if (!match) continue;
    const [, indent, segment, methods] = match;
    const depth = indent.length / 4;
    const path = (parents[depth - 1] ?? '') + segment;
    parents[depth] = path;
    if (PAGES.some((page) => path.startsWith(page))) continue;
    for (const method of methods.split(', ').filter((name) => name !== 'HEAD'))
      routes.push([method.toLowerCase(), path.replace(/:(\w+)/g, '{$1}')]);
  }
  return routes;
}

describe('OpenAPI document and Swagger UI', () => {
  const { herald } = useTestApp();

  async function fetchDocument(): Promise<OpenAPIObject> {
    const response = await request(herald.baseUrl)
      .get('/docs-json')
      .expect(200)
      .expect('content-type', /application\/json/);
    return response.body as OpenAPIObject;
  }

  it('serves a valid OpenAPI 3.1 document at /docs-json', async () => {
    const doc = await fetchDocument();
    const result = await validateOpenApi(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(result.version).toBe('3.1');
    expect(doc.openapi).toBe('3.1.0');
  });

  it('writes nullable fields as JSON Schema 2020-12 does, with no OpenAPI 3.0 keyword left', async () => {
    const doc = await fetchDocument();
    const text = JSON.stringify(doc);
    expect(text).not.toContain('"nullable"');
    expect(text).not.toMatch(/"exclusive(Minimum|Maximum)":(true|false)/);
    const event = resolveSchema(doc, { $ref: '#/components/schemas/StoredEventDto' });
    expect(event.properties?.cursor).toMatchObject({ type: ['string', 'null'] });
  });

  it.each(MOUNTED_ROUTES)('documents %s %s, with each path parameter', async (method, path) => {
    const doc = await fetchDocument();
    const operation = doc.paths[path]?.[method];
    expect(operation).toBeDefined();
    expect(operation?.summary).toEqual(expect.any(String));
    const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
    const documented = (operation?.parameters ?? []).filter(
      (param): param is ParameterObject => !isReference(param) && param.in === 'path',
    );
    expect(documented.map((param) => [param.name, param.required])).toEqual(
      pathParams.map((name) => [name, true]),
    );
  });

  it('documents every route the server mounts, and nothing it does not', async () => {
    const doc = await fetchDocument();
    const served = servedRoutes(herald);
    const documented = operationsOf(doc).map(({ method, path }) => [method, path]);
    // The served list is read from the router; guard against reading nothing at all.
    expect(served).toEqual(expect.arrayContaining(MOUNTED_ROUTES));
    expect([...documented].sort()).toEqual([...served].sort());
  });

  it('gives every request body a JSON schema with its required fields', async () => {
    const doc = await fetchDocument();
    const withBody = operationsOf(doc).filter(({ operation }) => operation.requestBody);
    expect(withBody.map(({ method, path }) => `${method} ${path}`)).toEqual(
      expect.arrayContaining(['post /v1/tenants', 'post /v1/events']),
    );
    for (const { operation } of withBody) {
      const body = operation.requestBody as RequestBodyObject | ReferenceObject;
      expect(isReference(body)).toBe(false);
      const schema = (body as RequestBodyObject).content['application/json']?.schema;
      expect(schema).toBeDefined();
      expect(resolveSchema(doc, schema!).properties).toBeDefined();
    }
    const bodySchema = (path: string) =>
      resolveSchema(
        doc,
        (doc.paths[path]?.post?.requestBody as RequestBodyObject).content['application/json']
          .schema!,
      );
    expect(bodySchema('/v1/tenants').required).toEqual(['name']);
    expect(bodySchema('/v1/events').required).toEqual(expect.arrayContaining(['topic', 'payload']));
    expect(Object.keys(bodySchema('/v1/events').properties ?? {}).sort()).toEqual([
      'payload',
      'tenantId',
      'topic',
    ]);
  });

  it('documents the query of GET /v1/events and the Idempotency-Key header', async () => {
    const doc = await fetchDocument();
    const params = (operation: OperationObject | undefined) =>
      (operation?.parameters ?? []).filter(
        (param): param is ParameterObject => !isReference(param),
      );
    const query = params(doc.paths['/v1/events']?.get).filter((param) => param.in === 'query');
    expect(query.map((param) => param.name).sort()).toEqual(
      ['after', 'limit', 'tenantId', 'topics', 'wait'].sort(),
    );
    const headers = params(doc.paths['/v1/events']?.post).filter((param) => param.in === 'header');
    expect(headers.map((param) => param.name)).toEqual([
      'Idempotency-Key',
      'traceparent',
      'tracestate',
    ]);
  });

  it('answers every documented 4xx with the shared ErrorResponseDto', async () => {
    const doc = await fetchDocument();
    let errorResponses = 0;
    for (const { path, operation } of operationsOf(doc)) {
      const statuses = Object.keys(operation.responses).filter((status) => /^4/.test(status));
      if (path.startsWith('/v1/')) expect(statuses).toEqual(expect.arrayContaining(['400', '401']));
      for (const status of statuses) {
        const response = operation.responses[status] as ResponseObject;
        expect({ path, status, schema: response.content?.['application/json']?.schema }).toEqual({
          path,
          status,
          schema: { $ref: ERROR_SCHEMA_REF },
        });
        errorResponses += 1;
      }
    }
    expect(errorResponses).toBeGreaterThan(0);
    const errorSchema = resolveSchema(doc, { $ref: ERROR_SCHEMA_REF });
    expect(errorSchema.required).toEqual(
      expect.arrayContaining(['statusCode', 'error', 'message', 'code']),
    );

    // The document describes what the server really sends.
    const unauthorized = await request(herald.baseUrl).get('/v1/events').expect(401);
    expect(Object.keys(errorSchema.properties ?? {})).toEqual(
      expect.arrayContaining(Object.keys(unauthorized.body as object)),
    );
  });

  it('declares bearer auth and requires it on every /v1 route, not on /health', async () => {
    const doc = await fetchDocument();
    const schemes = Object.entries(doc.components?.securitySchemes ?? {}).filter(
      ([, scheme]) => !isReference(scheme) && scheme.type === 'http' && scheme.scheme === 'bearer',
    );
    expect(schemes).toHaveLength(1);
    const [schemeName] = schemes[0];
    for (const { path, operation } of operationsOf(doc)) {
      const names = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
      expect({ path, secured: names.includes(schemeName) }).toEqual({
        path,
        secured: path.startsWith('/v1/'),
      });
    }
  });

  it('serves Swagger UI at /docs, with the assets the page loads', async () => {
    const page = await request(herald.baseUrl)
      .get('/docs')
      .expect(200)
      .expect('content-type', /text\/html/);
    expect(page.text).toContain('<title>Swagger UI</title>');
    expect(page.text).toContain('id="swagger-ui"');
    const assets = [...page.text.matchAll(/(?:src|href)="(\.\/[^"]+\.(?:js|css))"/g)].map(
      (match) => new URL(match[1], `${herald.baseUrl}/docs`).pathname,
    );
    expect(assets).toEqual(expect.arrayContaining(['/docs/swagger-ui-init.js']));
    for (const asset of assets) await request(herald.baseUrl).get(asset).expect(200);
    const init = await request(herald.baseUrl).get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toContain('/v1/events');
  });
});
