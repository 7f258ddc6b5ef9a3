import { sample } from 'openapi-sampler';

/** Examples already built, per schema object: a catalog's schemas do not change once declared. */
const built = new WeakMap<object, unknown>();

/**
 * An example payload built from an event type's JSON Schema with `openapi-sampler`: its own
 * `examples`, `default`s and `enum`s where it has them, else a value of the right type and format
 * (`"user@example.com"` for an email). Null when there is no schema, or when the sampler cannot
 * read it (a reference it cannot resolve): the example only illustrates, the schema is what
 * validates.
 */
export function eventTypeExample(schema: object | null): unknown {
  if (schema === null) return null;
  if (built.has(schema)) return built.get(schema);
  let example: unknown;
  try {
    // The schema is also the document its own references (`#/$defs/…`) resolve against.
    example = sample(schema, { skipReadOnly: false, quiet: true }, schema) ?? null;
  } catch {
    example = null;
  }
  built.set(schema, example);
  return example;
}
