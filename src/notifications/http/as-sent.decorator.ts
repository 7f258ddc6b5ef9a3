/** The properties each DTO class marked with {@link AsSent}. */
const AS_SENT = new WeakMap<object, string[]>();

/**
 * Marks a free-form JSON property (an event's payload) to be kept exactly as the body parser made
 * it: `createValidationPipe` validates it by its type alone and hands it on untouched. Nest's
 * validation would otherwise delete every `constructor` and `prototype` key in it, and
 * class-transformer's copy would skip members named like `Object.prototype`'s (`toString`,
 * `valueOf`, …), so `{"constructor": "Ferrari"}` would be stored as `{}`.
 */
export function AsSent(): PropertyDecorator {
  return (target, key) => {
    if (typeof key !== 'string') return;
    AS_SENT.set(target.constructor, [...(AS_SENT.get(target.constructor) ?? []), key]);
  };
}

/** The properties of `type` (or of a class it extends) marked with {@link AsSent}. */
export function asSentProperties(type: unknown): string[] {
  const keys: string[] = [];
  for (let at = type; typeof at === 'function'; at = Object.getPrototypeOf(at) as unknown) {
    keys.push(...(AS_SENT.get(at) ?? []));
  }
  return keys;
}
