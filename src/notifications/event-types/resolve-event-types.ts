import { declaredEventType } from './event-type.decorator';
import { EVENT_TYPE_NAME_RULE, isEventTypeName } from './event-type-name';
import { compileSchema, createSchemaValidator, schemaOfClass } from './event-type-schema';
import type { EventTypeSource, EventTypeView } from './event-type.types';

/**
 * The module option `eventTypes` as catalog entries, sorted by name. A class without `@EventType`,
 * a bad name, a name given twice or a schema ajv cannot compile throws, naming it.
 */
export function resolveEventTypes(sources: readonly EventTypeSource[]): EventTypeView[] {
  const ajv = createSchemaValidator();
  const seen = new Set<string>();
  const views = sources.map((source, index) => {
    const at = `eventTypes[${index}]`;
    const isClass = typeof source === 'function';
    const declaration = isClass ? declaredEventType(source) : source;
    if (!declaration) {
      throw new Error(`${at}: class ${source.name} has no @EventType decorator`);
    }
    const { name } = declaration;
    if (!isEventTypeName(name)) {
      throw new Error(
        `${at}: ${JSON.stringify(name)} is not an event type name (${EVENT_TYPE_NAME_RULE})`,
      );
    }
    if (seen.has(name)) throw new Error(`${at}: event type ${name} is declared twice`);
    seen.add(name);
    const schema = declaration.schema ?? (isClass ? schemaOfClass(source) : null);
    if (schema !== null) {
      try {
        compileSchema(ajv, schema);
      } catch (error) {
        throw new Error(
          `${at}: the schema of event type ${name} does not compile: ${(error as Error).message}`,
        );
      }
    }
    return {
      name,
      description: declaration.description ?? null,
      schema,
      deprecated: declaration.deprecated ?? false,
      declaredIn: 'code' as const,
    };
  });
  return views.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
