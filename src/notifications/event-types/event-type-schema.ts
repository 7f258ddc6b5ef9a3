import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { targetConstructorToSchema } from 'class-validator-jsonschema';
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
 * Classes are found by constructor, never by name: class-validator's metadata is shared by the
 * whole process, where two classes of one name (two `CreateDto`s) are common.
 */
export function schemaOfClass(type: ClassType): JsonSchema {
  const defs: Record<string, JsonSchema> = {};
  const named = new Map<ClassType, string>([[type, type.name]]);
  const own = describeClass(type, defs, named);
  return Object.keys(defs).length > 0 ? { ...own, $defs: defs } : own;
}

type ClassType = abstract new (...args: never[]) => unknown;

/** `type`'s own schema; the classes its properties nest go into `defs`, each once. */
function describeClass(
  type: ClassType,
  defs: Record<string, JsonSchema>,
  named: Map<ClassType, string>,
): JsonSchema {
  const schema = targetConstructorToSchema(type, {
    classTransformerMetadataStorage: defaultMetadataStorage,
    refPointerPrefix: DEFS,
  }) as JsonSchema;
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const [property, propertySchema] of Object.entries(properties)) {
    if (refsIn(propertySchema).length === 0) continue;
    const nested = defaultMetadataStorage.findTypeMetadata(type, property)?.typeFunction() as
      ClassType | undefined;
    if (nested === undefined) continue;
    let name = named.get(nested);
    if (name === undefined) {
      // Another class of the same name nested elsewhere gets a numbered one.
      const taken = new Set(named.values());
      name = nested.name;
      for (let n = 2; taken.has(name); n++) name = `${nested.name}${n}`;
      named.set(nested, name);
      defs[name] = describeClass(nested, defs, named);
    }
    properties[property] = renameRefs(propertySchema, nested.name, name);
  }
  return schema;
}

/** `schema` with its `$ref`s to `from` pointing at `to` instead. */
function renameRefs(schema: JsonSchema, from: string, to: string): JsonSchema {
  if (from === to) return schema;
  return JSON.parse(
    JSON.stringify(schema, (key, value: unknown) =>
      key === '$ref' && value === DEFS + from ? DEFS + to : value,
    ),
  ) as JsonSchema;
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
