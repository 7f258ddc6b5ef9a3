import { findUnstorable, MAX_JSON_DEPTH, toStorableText } from './storable-json';

const payload = { name: 'payload' };
const body = { name: 'body', document: true };

/** `levels` objects nested in one another: `{"a":{"a":...{}}}`. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let level = 1; level < levels; level++) value = { a: value };
  return value;
}

describe('findUnstorable', () => {
  it.each([
    ['an empty object', {}],
    ['text, paired surrogates (an emoji) and U+FFFD', { s: 'a 😀 \ufffd \u0001' }],
    ['big, tiny and negative numbers', { n: [1e308, -1.7976931348623157e308, 5e-324, -0, 0.1] }],
    ['integers beyond 2^53', { n: 12345678901234567000 }],
    ['null, booleans and empty containers', { a: null, b: true, c: false, d: [], e: {} }],
    ['keys that are not identifiers', { '': 1, 'a b': 2, constructor: 3, toString: 4 }],
    [`${MAX_JSON_DEPTH} levels`, nested(MAX_JSON_DEPTH)],
  ])('accepts %s', (_, value) => {
    expect(findUnstorable(value, payload)).toBeUndefined();
  });

  it.each([
    [
      'U+0000 in a string',
      { a: { b: 'x\u0000' } },
      /^payload\.a\.b must not contain the character U\+0000/,
    ],
    [
      'U+0000 in a key',
      { a: { 'x\u0000': 1 } },
      /^a key in payload\.a must not contain the character U\+0000/,
    ],
    [
      'a lone high surrogate',
      { a: ['ok', '\ud800'] },
      /^payload\.a\[1\] must not contain a lone UTF-16 surrogate/,
    ],
    [
      'a lone low surrogate',
      { a: '\udc00x' },
      /^payload\.a must not contain a lone UTF-16 surrogate/,
    ],
    ['surrogates in the wrong order', { a: '\udc00\ud800' }, /^payload\.a must not contain a lone/],
    ['a lone surrogate in a key', { '\udfff': 1 }, /^a key in payload must not contain a lone/],
    [
      'a key named __proto__',
      JSON.parse('{"a":{"__proto__":{}}}') as object,
      /^a key in payload\.a must not be __proto__/,
    ],
    ['Infinity', { big: Infinity }, /^payload\.big must be a finite number/],
    ['-Infinity', { big: [-Infinity] }, /^payload\.big\[0\] must be a finite number/],
    ['NaN', { n: NaN }, /^payload\.n must be a finite number/],
    [
      `${MAX_JSON_DEPTH + 1} levels`,
      nested(MAX_JSON_DEPTH + 1),
      /^payload(\.a)+ is nested more than 64 levels deep$/,
    ],
    ['a quoted key in the path', { 'a b': { c: '\u0000' } }, /^payload\["a b"\]\.c must not/],
  ])('refuses %s, naming the path', (_, value, message) => {
    expect(findUnstorable(value, payload)).toMatch(message);
  });

  it('names a scalar root by its name', () => {
    expect(findUnstorable('\ud800', payload)).toMatch(/^payload must not contain a lone/);
  });

  it('refuses a cycle as too deep instead of looping', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;

    expect(findUnstorable(cycle, payload)).toMatch(/nested more than 64 levels deep/);
  });

  it('walks a million levels without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`) as unknown;

    expect(findUnstorable({ payload: deep }, body)).toMatch(/^payload(\[0\]){64} is nested more/);
  });

  describe('in a document (a body or a query)', () => {
    it('names fields by their keys alone', () => {
      expect(findUnstorable({ name: 'a\u0000' }, body)).toMatch(/^name must not contain/);
      expect(findUnstorable({ payload: { a: '\ud800' } }, body)).toMatch(/^payload\.a must not/);
    });

    it('names the document for its own keys', () => {
      expect(findUnstorable({ '\u0000': 1 }, body)).toMatch(/^a key in the body must not/);
    });

    it('does not count the document as a level', () => {
      expect(findUnstorable({ payload: nested(MAX_JSON_DEPTH) }, body)).toBeUndefined();
      expect(findUnstorable({ payload: nested(MAX_JSON_DEPTH + 1) }, body)).toMatch(/nested/);
    });

    it('names array elements by index', () => {
      expect(findUnstorable([{ topic: '\ud800' }], body)).toMatch(/^\[0\]\.topic must not/);
    });
  });

  it('cuts a long path short', () => {
    const message = findUnstorable({ ['k'.repeat(500)]: '\u0000' }, payload) ?? '';

    expect(message).toMatch(/^payload\.k{192}… must not contain/);
  });
});

describe('toStorableText', () => {
  it.each([
    ['U+0000', 'ok\u0000', 'ok\ufffd'],
    ['a lone high surrogate', 'a\ud800b', 'a\ufffdb'],
    ['a lone low surrogate', '\udc00', '\ufffd'],
    ['every occurrence', '\u0000\u0000', '\ufffd\ufffd'],
  ])('replaces %s with U+FFFD', (_, text, storable) => {
    expect(toStorableText(text)).toBe(storable);
    expect(findUnstorable(toStorableText(text), { name: 'text' })).toBeUndefined();
  });

  it('keeps other text, surrogate pairs included, as it is', () => {
    expect(toStorableText('clé ✓ 😀 \t\n')).toBe('clé ✓ 😀 \t\n');
  });
});
