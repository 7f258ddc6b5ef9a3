import type { INestApplicationContext } from '@nestjs/common';
import type { OpenAPIObject, SchemaObject, WebhooksObject } from '@nestjs/swagger';
import { EventTypeCatalog } from '../event-types/event-type-catalog';
import type { EventTypeView } from '../event-types/event-type.types';
import { eventSchemaNames } from './event-schema-names';
import { OPERATIONAL_EVENT_TYPES } from './operational-event-types';
import { webhookPathItem } from './webhook-path-item';

/** What the document shows of an event type. */
type DocumentedEventType = Pick<EventTypeView, 'name' | 'description' | 'schema' | 'deprecated'>;

/** Any JSON object: the payload of an event type declared without a schema. */
const ANY_OBJECT: SchemaObject = { type: 'object', additionalProperties: true };

/** Where a payload schema's own `#…` references point once it sits in `components.schemas`. */
const COMPONENT_PREFIX = '#/components/schemas/';

/**
 * Returns `document` with a webhook for every event type of `source` (the app's catalog as it is
 * now: an app or module context that imports `NotificationsModule`; or a list of types) and for
 * Herald's own `webhook.*` events. Call it
 * on each request for the document (`SwaggerModule.setup`'s `patchDocumentOnRequest`), so that
 * types declared at run time show without a restart.
 *
 * Each webhook is under `webhooks` in an OpenAPI 3.1
 * document (`x-webhooks` in a 3.0 one, which has no such section), keyed by the event type's name,
 * a `post` whose body is the envelope Herald sends (`{ type, timestamp, data }`) and whose
 * parameters are the signature headers. Each payload schema goes into `components.schemas` under
 * a name of its own ({@link eventSchemaNames}) and `data` refers to it, so client generators
 * produce a named type per event. `document` itself is left as it was.
 */
export function addEventTypesToDocument(
  document: OpenAPIObject,
  source: INestApplicationContext | readonly DocumentedEventType[],
): OpenAPIObject & { 'x-webhooks'?: WebhooksObject } {
  const declared = isEventTypeList(source)
    ? source
    : source.get(EventTypeCatalog, { strict: false }).list();
  const eventTypes = [
    ...declared,
    ...OPERATIONAL_EVENT_TYPES.filter((own) => !declared.some(({ name }) => name === own.name)),
  ];
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

function isEventTypeList(
  source: INestApplicationContext | readonly DocumentedEventType[],
): source is readonly DocumentedEventType[] {
  return Array.isArray(source);
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

/** Maps whose keys are names (a property called `default` is no keyword) and values schemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions']);

function rewriteRefs(value: unknown, base: string): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, base));
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === '$ref' && typeof child === 'string' && child.startsWith('#')) {
      copy[key] = `${base}${child.slice(1)}`;
    } else if (DATA_KEYWORDS.has(key)) {
      copy[key] = child;
    } else if (SCHEMA_MAPS.has(key) && child !== null && typeof child === 'object') {
      copy[key] = Object.fromEntries(
        Object.entries(child as Record<string, unknown>).map(([name, schema]) => [
          name,
          rewriteRefs(schema, base),
        ]),
      );
    } else {
      copy[key] = rewriteRefs(child, base);
    }
  }
  return copy;
}
