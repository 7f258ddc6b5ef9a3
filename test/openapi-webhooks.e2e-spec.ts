import type {
  OpenAPIObject,
  ParameterObject,
  ReferenceObject,
  RequestBodyObject,
  SchemaObject,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsArray, IsInt, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import ts from 'typescript';
import { EventPayload, EventType, defineEventType } from '../src/notifications';
import { generateTypes } from './utils/generate-types';
import { validateOpenApi } from './utils/validate-openapi';
import { useTestApp } from './utils/use-test-app';

class WebhookOrderLine {
  @IsString()
  sku!: string;

  @IsInt()
  @Min(1)
  quantity!: number;
}

@EventType('order.created', { description: 'An order was placed' })
class WebhookOrderCreated extends EventPayload {
  @IsString()
  orderId!: string;

  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => WebhookOrderLine)
  lines!: WebhookOrderLine[];

  @IsOptional()
  @IsString()
  note?: string;
}

const InvoicePaid = defineEventType<{ invoiceId: string; amount: number }>({
  name: 'invoice.paid',
  description: 'An invoice was paid in full',
  schema: {
    type: 'object',
    required: ['invoiceId', 'amount'],
    properties: {
      invoiceId: { type: 'string', format: 'uuid' },
      amount: { type: 'number', minimum: 0, examples: [12.5] },
    },
    additionalProperties: false,
  },
});

const ORDER_LEGACY = { name: 'order.legacy', deprecated: true };

function isReference(value: object): value is ReferenceObject {
  return '$ref' in value;
}

/** The schema of a webhook's request body, and the component its `data` refers to. */
function webhookBody(doc: OpenAPIObject, name: string) {
  const post = doc.webhooks?.[name]?.post;
  if (!post) throw new Error(`no webhook ${name}`);
  const body = post.requestBody as RequestBodyObject;
  const envelope = body.content['application/json'].schema as SchemaObject;
  const data = envelope.properties?.data as ReferenceObject;
  const payload = doc.components?.schemas?.[data.$ref.replace('#/components/schemas/', '')];
  if (!payload || isReference(payload)) throw new Error(`${data.$ref} does not resolve`);
  return { post, envelope, ref: data.$ref, payload };
}

describe('event types in the OpenAPI document', () => {
  const { herald } = useTestApp({
    notifications: { eventTypes: [WebhookOrderCreated, InvoicePaid, ORDER_LEGACY] },
  });
  const admin = () => ({ Authorization: `Bearer ${herald.adminToken}` });

  async function fetchDocument(): Promise<OpenAPIObject> {
    const response = await request(herald.baseUrl).get('/docs-json').expect(200);
    return response.body as OpenAPIObject;
  }

  it('lists every event type as a webhook of a valid OpenAPI 3.1 document', async () => {
    const doc = await fetchDocument();
    const result = await validateOpenApi(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(Object.keys(doc.webhooks ?? {})).toEqual(
      expect.arrayContaining(['invoice.paid', 'order.created', 'order.legacy', 'webhook.test']),
    );
  });

  it('sends each as the Standard Webhooks envelope, data a named schema of its payload', async () => {
    const doc = await fetchDocument();
    const { post, envelope, ref, payload } = webhookBody(doc, 'order.created');
    expect(post.summary).toBe('An order was placed');
    expect(post.description).toBe('An order was placed');
    expect(post.deprecated).toBeUndefined();
    expect(envelope.required).toEqual(['type', 'timestamp', 'data']);
    expect(envelope.properties?.type).toMatchObject({ type: 'string', enum: ['order.created'] });
    expect(envelope.properties?.timestamp).toMatchObject({ type: 'string', format: 'date-time' });
    expect(ref).toBe('#/components/schemas/OrderCreatedEvent');
    expect(payload.required).toEqual(expect.arrayContaining(['orderId', 'lines']));
    expect(Object.keys(payload.properties ?? {}).sort()).toEqual(['lines', 'note', 'orderId']);
    // The nested class sits in the payload's $defs, referred to through its component.
    const lines = payload.properties?.lines as SchemaObject;
    expect(lines.items).toEqual({
      $ref: '#/components/schemas/OrderCreatedEvent/$defs/WebhookOrderLine',
    });

    const headers = (post.parameters ?? []).filter(
      (param): param is ParameterObject => !isReference(param) && param.in === 'header',
    );
    expect(headers.filter((param) => param.required).map((param) => param.name)).toEqual(
      expect.arrayContaining(['webhook-id', 'webhook-timestamp', 'webhook-signature']),
    );

    const invoice = webhookBody(doc, 'invoice.paid');
    expect(invoice.ref).toBe('#/components/schemas/InvoicePaidEvent');
    expect(invoice.payload).toEqual(InvoicePaid.schema);
  });

  it('marks a deprecated type, and gives a type without a schema any object', async () => {
    const doc = await fetchDocument();
    const { post, payload } = webhookBody(doc, 'order.legacy');
    expect(post.deprecated).toBe(true);
    expect(post.summary).toBe('order.legacy');
    expect(payload).toEqual({ type: 'object', additionalProperties: true });
  });

  it('shows a type declared at run time at once, and drops it once deleted', async () => {
    const name = 'shipment.sent';
    const schema = {
      type: 'object',
      required: ['trackingId'],
      properties: { trackingId: { type: 'string' } },
    };
    try {
      await request(herald.baseUrl)
        .put(`/v1/event-types/${name}`)
        .set(admin())
        .send({ description: 'A parcel left the warehouse', schema })
        .expect(201);
      const doc = await fetchDocument();
      const { post, payload } = webhookBody(doc, name);
      expect(post.summary).toBe('A parcel left the warehouse');
      expect(payload).toEqual(schema);
      // Swagger UI reads the same document.
      const init = await request(herald.baseUrl).get('/docs/swagger-ui-init.js').expect(200);
      expect(init.text).toContain('ShipmentSentEvent');
    } finally {
      await request(herald.baseUrl).delete(`/v1/event-types/${name}`).set(admin());
    }
    const after = await fetchDocument();
    expect(after.webhooks?.[name]).toBeUndefined();
    expect(after.components?.schemas?.ShipmentSentEvent).toBeUndefined();
  });

  it('answers each catalog item with an example built from its schema', async () => {
    const tenant = await request(herald.baseUrl)
      .post('/v1/tenants')
      .set(admin())
      .send({ name: 'example reader' })
      .expect(201);
    const key = await request(herald.baseUrl)
      .post(`/v1/tenants/${tenant.body.id}/api-keys`)
      .set(admin())
      .expect(201);
    const page = await request(herald.baseUrl)
      .get('/v1/event-types')
      .set({ Authorization: `Bearer ${key.body.key}` })
      .expect(200);
    const examples = Object.fromEntries(
      (page.body.data as { name: string; example: unknown }[]).map((item) => [
        item.name,
        item.example,
      ]),
    );
    expect(examples).toEqual({
      'invoice.paid': { invoiceId: expect.stringMatching(/^[0-9a-f-]{36}$/), amount: 12.5 },
      'order.created': {
        orderId: expect.any(String),
        lines: [{ sku: expect.any(String), quantity: 1 }],
        note: expect.any(String),
      },
      'order.legacy': null,
    });
  });

  describe('a receiver generating its types with openapi-typescript', () => {
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'herald-openapi-ts-'));
    });

    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    /** Type-checks `snippet` beside the generated `herald.ts`; the compiler's messages. */
    async function compile(generated: string, snippet: string): Promise<string[]> {
      await writeFile(join(dir, 'herald.ts'), generated);
      const file = join(dir, `receiver-${Math.random().toString(36).slice(2)}.ts`);
      await writeFile(file, snippet);
      const program = ts.createProgram([file], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.CommonJS,
        skipLibCheck: true,
        types: [],
      });
      return ts
        .getPreEmitDiagnostics(program)
        .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    }

    it('gets a type for each payload, with its properties, that the compiler holds to', async () => {
      const generated = await generateTypes(await fetchDocument());
      expect(generated).toMatch(/OrderCreatedEvent: \{[^}]*orderId: string;/);
      expect(generated).toMatch(/InvoicePaidEvent: \{[^}]*amount: number;/);
      expect(generated).toContain('export type SchemaOrderCreatedEvent =');
      expect(generated).toContain('"order.created": {');

      const receiver = `
        import type { SchemaInvoicePaidEvent, SchemaOrderCreatedEvent, webhooks } from './herald';
        type Envelope = webhooks['order.created']['post']['requestBody']['content']['application/json'];
        export function handle(body: Envelope): string {
          const order: SchemaOrderCreatedEvent = body.data;
          const quantities: number[] = order.lines.map((line) => line.quantity);
          return body.type + order.orderId + quantities.length + (order.note ?? '');
        }
        export const paid: SchemaInvoicePaidEvent = { invoiceId: 'a', amount: 1 };
      `;
      expect(await compile(generated, receiver)).toEqual([]);

      const wrong = `
        import type { SchemaInvoicePaidEvent, SchemaOrderCreatedEvent } from './herald';
        export const order: SchemaOrderCreatedEvent = { orderId: 42, lines: [] };
        export const paid: SchemaInvoicePaidEvent = { invoiceId: 'a' };
      `;
      const errors = await compile(generated, wrong);
      expect(errors).toEqual([
        expect.stringMatching(/Type 'number' is not assignable to type 'string'/),
        expect.stringMatching(/Property 'amount' is missing/),
      ]);
    });
  });
});
