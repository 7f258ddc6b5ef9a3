import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import type { JsonSchema } from './event-type.types';

const DEFS = '#/$defs/';

/**
 * The validator of payload schemas: JSON Schema 2020-12 with the formats of ajv-formats (`uuid`,
 * `email`, `date-time`, …). Unknown keywords (`example`, `x-…`) are ignored, as the specification
 * says; a schema with an `$id` is not kept by id, so schemas never clash with each other; the first
 * error is enough to refuse a payload.
 */
export function createSchemaValidator(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, addUsedSchema: false, allErrors: false });
  addFormats(ajv);
  return ajv;
}

/** Compiles `schema`, or throws an Error whose message is ajv's reason. */
export function compileSchema(ajv: Ajv2020, schema: JsonSchema): ValidateFunction {
  // Checked against the meta-schema first, for a message that names the schema's own paths.
  if (!ajv.validateSchema(schema)) {
    throw new Error(ajv.errorsText(ajv.errors, { dataVar: 'schema' }));
  }
  try {
    return ajv.compile(schema);
  } catch (error) {
    throw new Error(error instanceof Error ? error.message : String(error));
  }
}

/**
 * The JSON Schema that a class's class-validator decorators describe (class-validator-jsonschema),
 * with the nested classes it refers to (`@ValidateNested()` with `@Type(() => Line)`) under `$defs`.
 */
export function schemaOfClass(type: { name: string }): JsonSchema {
  const all = validationMetadatasToSchemas({
    classTransformerMetadataStorage: defaultMetadataStorage,
    refPointerPrefix: DEFS,
  }) as Record<string, JsonSchema>;
  const own = all[type.name] ?? { type: 'object', properties: {} };
  const defs: Record<string, JsonSchema> = {};
  const pending = refsIn(own);
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    const referred = all[name];
    if (defs[name] || !referred) continue;
    defs[name] = referred;
    pending.push(...refsIn(referred));
  }
  return Object.keys(defs).length > 0 ? { ...own, $defs: defs } : own;
}

/** The `$defs` names a schema's `$ref`s point at. */
function refsIn(schema: unknown): string[] {
  if (Array.isArray(schema)) return schema.flatMap(refsIn);
  if (typeof schema !== 'object' || schema === null) return [];
  return Object.entries(schema).flatMap(([key, value]) =>
    key === '$ref' && typeof value === 'string' && value.startsWith(DEFS)
      ? [value.slice(DEFS.length)]
      : refsIn(value),
  );
}

/** The first failure of a payload, naming its path: `payload/amount must be >= 0`. */
export function describePayloadError(errors: ErrorObject[] | null | undefined): string {
  const [error] = errors ?? [];
  if (!error) return 'payload does not match the schema of its event type';
  const extra = (error.params as { additionalProperty?: unknown }).additionalProperty;
  const detail = typeof extra === 'string' ? ` (${extra})` : '';
  return `payload${error.instancePath} ${error.message ?? 'is invalid'}${detail}`;
}
