/**
 * How deep a value may nest objects and arrays, counting itself: a payload `{"a": {"b": []}}` is
 * three levels. Far below where `JSON.stringify`, class-transformer's copy or Postgres's jsonb
 * parser would run out of stack (a few thousand levels), and far above any real payload.
 */
export const MAX_JSON_DEPTH = 64;

/** Longest path a message quotes; keys may be long, and the field is named first anyway. */
const MAX_PATH_LENGTH = 200;

/** A member name that reads as `a.b` in a path; others are quoted, `a["b c"]`. */
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

// eslint-disable-next-line no-control-regex -- matching that control character is the point
const NUL = /\u0000/;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Everything {@link toStorableText} replaces: U+0000 and lone surrogates. */
const UNSTORABLE_CHARACTERS = new RegExp(`${NUL.source}|${LONE_SURROGATE.source}`, 'g');

/**
 * `text` with every character Postgres cannot store in a text column (U+0000, a lone UTF-16
 * surrogate) replaced by U+FFFD, for text that comes from outside and is kept for people to read
 * (a receiver's answer, an error message), where refusing it is not an option.
 */
export function toStorableText(text: string): string {
  return text.replace(UNSTORABLE_CHARACTERS, '\ufffd');
}

/** Where the walk starts: a named value, or a whole body or query whose keys name its fields. */
export interface UnstorableSearch {
  /** `payload`, or what the document is (`body`, `query`) when {@link document} is set. */
  name: string;
  /** The value is a body or query: its keys are field names, and it is not a level itself. */
  document?: boolean;
}

interface Container {
  value: object;
  depth: number;
  parent?: Container;
  key?: string | number;
}

/**
 * The first reason `value` could not be stored and read back as it is, or `undefined`: text
 * Postgres refuses (U+0000) or cannot hold (a lone UTF-16 surrogate: jsonb refuses it, a text
 * column silently turns it into U+FFFD), in a string or a key; a number JSON cannot hold
 * (`1e400` parses as Infinity, which serializes as `null`); nesting deeper than
 * {@link MAX_JSON_DEPTH}; or a key named `__proto__`, which becomes a prototype, not a key, when a
 * parsed body is copied (as Nest's validation does). The message starts with the path at fault.
 *
 * Iterative, so a body nested a million levels deep is refused rather than overflowing the stack.
 */
export function findUnstorable(value: unknown, search: UnstorableSearch): string | undefined {
  const root: Container | undefined = isContainer(value)
    ? { value, depth: search.document ? 0 : 1 }
    : undefined;
  if (!root) return scalarProblem(value, () => pathOf(search));
  const pending = [root];
  for (let at = pending.pop(); at; at = pending.pop()) {
    if (at.depth > MAX_JSON_DEPTH) {
      return `${pathOf(search, at)} is nested more than ${MAX_JSON_DEPTH} levels deep`;
    }
    const entries: [string | number, unknown][] = Array.isArray(at.value)
      ? at.value.map((item, index): [number, unknown] => [index, item])
      : Object.entries(at.value);
    for (const [key, item] of entries) {
      if (typeof key === 'string') {
        const problem = keyProblem(key);
        if (problem) return `a key in ${pathOf(search, at)} ${problem}`;
      }
      if (isContainer(item)) {
        pending.push({ value: item, depth: at.depth + 1, parent: at, key });
      } else {
        const problem = scalarProblem(item, () => pathOf(search, at, key));
        if (problem) return problem;
      }
    }
  }
  return undefined;
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function scalarProblem(value: unknown, path: () => string): string | undefined {
  if (typeof value === 'string') {
    const problem = textProblem(value);
    return problem && `${path()} ${problem}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return `${path()} must be a finite number: a number this large parses as ${value}, which JSON cannot hold`;
  }
  return undefined;
}

function keyProblem(key: string): string | undefined {
  if (key === '__proto__') return 'must not be __proto__';
  return textProblem(key);
}

function textProblem(text: string): string | undefined {
  if (NUL.test(text)) return 'must not contain the character U+0000, which Postgres cannot store';
  if (LONE_SURROGATE.test(text)) {
    return 'must not contain a lone UTF-16 surrogate (\\ud800 to \\udfff without its pair), which is not text Postgres can store';
  }
  return undefined;
}

/** The path of `container` (the root when omitted), or of its member `key`. */
function pathOf(search: UnstorableSearch, container?: Container, key?: string | number): string {
  const keys = key === undefined ? [] : [key];
  for (let at = container; at?.key !== undefined; at = at.parent) keys.unshift(at.key);
  let path = search.document ? '' : search.name;
  for (const each of keys) {
    if (typeof each === 'number') path += `[${each}]`;
    else if (IDENTIFIER.test(each)) path += path ? `.${each}` : each;
    else path += `[${JSON.stringify(each)}]`;
  }
  if (!path) return `the ${search.name}`;
  return path.length > MAX_PATH_LENGTH ? `${path.slice(0, MAX_PATH_LENGTH)}…` : path;
}
