import type { OpenAPIObject, SchemaObject, WebhooksObject } from '@nestjs/swagger';
import { eventSchemaNames } from './event-schema-names';
import { webhookPathItem, type DocumentedEventType } from './webhook-path-item';

/** An event type as the document shows it: the catalog's view. */
export interface EventTypeForDocument extends DocumentedEventType {
  /** The payload's JSON Schema (2020-12); null for any JSON object. */
  schema: object | null;
}

/** Any JSON object: the payload of an event type declared without a schema. */
const ANY_OBJECT: SchemaObject = { type: 'object', additionalProperties: true };

/** Where a payload schema's own `#…` references point once it sits in `components.schemas`. */
const COMPONENT_PREFIX = '#/components/schemas/';

/**
 * Returns `document` with a webhook for every event type: under `webhooks` in an OpenAPI 3.1
 * document (`x-webhooks` in a 3.0 one, which has no such section), keyed by the event type's name,
 * a `post` whose body is the envelope Herald sends (`{ type, timestamp, data }`) and whose
 * parameters are the signature headers. Each payload schema goes into `components.schemas` under
 * a name of its own ({@link eventSchemaNames}) and `data` refers to it, so client generators
 * produce a named type per event. `document` itself is left as it was.
 */
export function addEventTypesToDocument(
  document: OpenAPIObject,
  eventTypes: readonly EventTypeForDocument[],
): OpenAPIObject & { 'x-webhooks'?: WebhooksObject } {
  const existing = document.components?.schemas ?? {};
  const names = eventSchemaNames(
    eventTypes.map((eventType) => eventType.name),
    new Set(Object.keys(existing)),
  );
  const schemas = { ...existing };
  const webhooks: WebhooksObject = {};
  for (const eventType of eventTypes) {
    const name = names.get(eventType.name) ?? eventType.name;
    schemas[name] = eventType.schema === null ? ANY_OBJECT : placedSchema(eventType.schema, name);
    webhooks[eventType.name] = webhookPathItem(eventType, `${COMPONENT_PREFIX}${name}`);
  }
  const components = { ...document.components, schemas };
  if (document.openapi.startsWith('3.0')) {
    return { ...document, components, 'x-webhooks': webhooks };
  }
  return { ...document, components, webhooks: { ...document.webhooks, ...webhooks } };
}

/**
 * The schema as it reads under `components.schemas[name]`: a reference inside it (`#/$defs/…`,
 * `#`) was relative to the schema itself, and now resolves against the document, so it is
 * rewritten to go through the component. A schema with an `$id` sets its own base and is kept.
 */
function placedSchema(schema: object, name: string): SchemaObject {
  if ('$id' in schema) return schema as SchemaObject;
  return rewriteRefs(schema, `${COMPONENT_PREFIX}${name}`) as SchemaObject;
}

/** Keywords whose values are data: a `$ref` key inside them is not a reference. */
const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples', 'example']);

function rewriteRefs(value: unknown, base: string): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, base));
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === '$ref' && typeof child === 'string' && child.startsWith('#')) {
      copy[key] = `${base}${child.slice(1)}`;
    } else {
      copy[key] = DATA_KEYWORDS.has(key) ? child : rewriteRefs(child, base);
    }
  }
  return copy;
}
