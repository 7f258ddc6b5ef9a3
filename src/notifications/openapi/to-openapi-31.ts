/** A JSON value, as an OpenAPI document is made of. */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Keywords whose values are data, not schemas: copied as they are, never converted. */
const DATA_KEYWORDS = new Set(['example', 'examples', 'default', 'enum', 'const']);

/** Maps whose keys are names (a property called `example` is no keyword) and values schemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'schemas']);

/** Keywords that describe a schema rather than constrain it: they stay outside an `anyOf`. */
const ANNOTATIONS = new Set([
  'title',
  'description',
  'default',
  'example',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
  'externalDocs',
]);

/**
 * Rewrites the OpenAPI 3.0 idioms `@nestjs/swagger` emits into their OpenAPI 3.1 (JSON Schema
 * 2020-12) form, which 3.1 tools read: `nullable: true` becomes a type array
 * (`["string", "null"]`, with `null` added to an `enum`) or, beside a `$ref` or a composition,
 * `anyOf: [schema, { type: "null" }]`; a boolean `exclusiveMinimum`/`exclusiveMaximum` becomes
 * the number it qualified. Returns a new document and sets `openapi` to `3.1.0`; `document` is
 * left as it was.
 */
export function toOpenApi31<T extends object>(document: T): T & { openapi: string } {
  const converted = convert(document as Json);
  return { ...(converted as T), openapi: '3.1.0' };
}

function convert(value: Json): Json {
  if (Array.isArray(value)) return value.map(convert);
  if (value === null || typeof value !== 'object') return value;
  const copy: { [key: string]: Json } = {};
  for (const [key, child] of Object.entries(value)) {
    if (DATA_KEYWORDS.has(key)) copy[key] = child;
    else if (SCHEMA_MAPS.has(key) && isMap(child)) copy[key] = convertEach(child);
    else copy[key] = convert(child);
  }
  return exclusiveBounds(nullable(copy));
}

function convertEach(map: { [key: string]: Json }): { [key: string]: Json } {
  const copy: { [key: string]: Json } = {};
  for (const [name, schema] of Object.entries(map)) copy[name] = convert(schema);
  return copy;
}

function isMap(value: Json): value is { [key: string]: Json } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `nullable` is a keyword (a boolean) only in a schema; a property named so holds a schema. */
function nullable(schema: { [key: string]: Json }): { [key: string]: Json } {
  if (typeof schema.nullable !== 'boolean') return schema;
  const { nullable: isNullable, ...rest } = schema;
  const composed = '$ref' in rest || 'allOf' in rest || 'oneOf' in rest || 'anyOf' in rest;
  if (!isNullable || (!composed && rest.type === undefined)) return rest;
  if (!composed && typeof rest.type === 'string') {
    const values = rest.enum;
    return {
      ...rest,
      type: [rest.type, 'null'],
      ...(Array.isArray(values) && !values.includes(null) ? { enum: [...values, null] } : {}),
    };
  }
  const outer: { [key: string]: Json } = {};
  const inner: { [key: string]: Json } = {};
  for (const [key, child] of Object.entries(rest))
    (ANNOTATIONS.has(key) ? outer : inner)[key] = child;
  return { ...outer, anyOf: [inner, { type: 'null' }] };
}

function exclusiveBounds(schema: { [key: string]: Json }): { [key: string]: Json } {
  let result = schema;
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof result[exclusive] !== 'boolean') continue;
    const { [exclusive]: isExclusive, [bound]: limit, ...rest } = result;
    result =
      isExclusive && typeof limit === 'number'
        ? { ...rest, [exclusive]: limit }
        : { ...rest, ...(limit === undefined ? {} : { [bound]: limit }) };
  }
  return result;
}
