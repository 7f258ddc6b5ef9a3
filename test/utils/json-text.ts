import fc from 'fast-check';

/**
 * A piece of JSON text as a client could write it, with what the test knows about it without
 * asking the server: whether Herald can store it and give it back as `JSON.parse` reads it.
 */
export interface JsonText {
  /** The JSON text, escapes and all (`"\ud800"` is six characters between the quotes). */
  text: string;
  /** What it parses to: a string for a string, else anything. */
  kind: 'object' | 'array' | 'string' | 'number' | 'literal';
  /** Levels of objects and arrays, counting itself (0 for a scalar). */
  depth: number;
  /**
   * Something in it Herald must refuse at any depth: U+0000 or a lone surrogate in a string or a
   * key, a number that parses as ±Infinity, a `__proto__` key.
   */
  unstorable: boolean;
}

/** The most levels a payload may nest (Herald's `MAX_JSON_DEPTH`, restated as the contract). */
const MAX_DEPTH = 64;

/** Whether a JS string holds U+0000 or a UTF-16 surrogate without its pair. */
function isUnstorableText(text: string): boolean {
  // UTF-8 cannot encode a lone surrogate: the round trip turns it into U+FFFD.
  return text.includes('\u0000') || Buffer.from(text, 'utf8').toString('utf8') !== text;
}

const hex4 = (unit: number) => `\\u${unit.toString(16).padStart(4, '0')}`;

/** Characters any text may hold: ASCII, the rest of the BMP (no surrogates), astral ones. */
const cleanPiece = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((u) => String.fromCharCode(u)) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(0x01, 0x1f, 0x22, 0x5c, 0x7f, 0x2028, 0xfeff, 0xfffd, 0xffff)
      .map((u) => String.fromCharCode(u)),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0xe000, max: 0xffff }).map((u) => String.fromCharCode(u)),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
  },
);

/** Any code unit, U+0000 and lone surrogates often. */
const anyPiece = fc.oneof(
  cleanPiece,
  fc.constantFrom(0x00, 0xd800, 0xdbff, 0xdc00, 0xdfff).map((u) => String.fromCharCode(u)),
  fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
);

/** A JS string: mostly text Postgres can store, a quarter of the time any code units at all. */
const anyText = (maxLength = 12): fc.Arbitrary<string> =>
  fc
    .oneof(
      { weight: 3, arbitrary: fc.array(cleanPiece, { maxLength }) },
      { weight: 1, arbitrary: fc.array(anyPiece, { maxLength }) },
    )
    .map((pieces) => pieces.join(''));

/**
 * A JSON string literal for `value`: as `JSON.stringify` writes it (which escapes U+0000 and lone
 * surrogates as `\u0000`, `\ud800`), or with every code unit escaped (`\ud83d\ude00` for an emoji).
 */
const stringLiteral = (value: string, escapeAll: boolean): string =>
  escapeAll
    ? `"${[...Array(value.length).keys()].map((i) => hex4(value.charCodeAt(i))).join('')}"`
    : JSON.stringify(value);

/** A JSON string. */
const jsonString = (maxLength = 12): fc.Arbitrary<JsonText> =>
  fc.tuple(anyText(maxLength), fc.boolean()).map(([value, escapeAll]) => ({
    text: stringLiteral(value, escapeAll),
    kind: 'string',
    depth: 0,
    unstorable: isUnstorableText(value),
  }));

/** Numbers as a client could write them, beyond what a double holds included. */
const numberText = fc.oneof(
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .map((d) => (Object.is(d, -0) ? '-0' : JSON.stringify(d))),
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc
    .tuple(fc.integer({ min: -99, max: 99 }), fc.integer({ min: -400, max: 400 }), fc.boolean())
    .map(([mantissa, exponent, upper]) => `${mantissa}${upper ? 'E' : 'e'}${exponent}`),
  fc.constantFrom(
    '1e400',
    '-1e400',
    '1E+400',
    '0.1e-400',
    '-0',
    '-0.0',
    '0e0',
    '12345678901234567890',
    '9007199254740993',
    '1.7976931348623157e308',
    '1.7976931348623159e308',
    '5e-324',
    '2e-324',
    '0.30000000000000004',
    '1.0',
    '100e-2',
  ),
);

/** A JSON number. */
const jsonNumber: fc.Arbitrary<JsonText> = numberText.map((text) => ({
  text,
  kind: 'number',
  depth: 0,
  unstorable: !Number.isFinite(JSON.parse(text)),
}));

const literal: fc.Arbitrary<JsonText> = fc
  .constantFrom('true', 'false', 'null')
  .map((text) => ({ text, kind: 'literal', depth: 0, unstorable: false }));

/** A member name: names JS objects treat specially, long ones, and any text. */
const jsonKey: fc.Arbitrary<{ text: string; value: string; unstorable: boolean }> = fc
  .oneof(
    fc.constantFrom(
      'a',
      'id',
      '',
      'constructor',
      'prototype',
      'toString',
      'valueOf',
      'hasOwnProperty',
      '__defineGetter__',
      '__proto__',
    ),
    fc.integer({ min: 100, max: 3000 }).map((length) => 'k'.repeat(length)),
    anyText(8),
  )
  .chain((value) =>
    fc.boolean().map((escapeAll) => ({
      text: stringLiteral(value, escapeAll),
      value,
      unstorable: value === '__proto__' || isUnstorableText(value),
    })),
  );

/** An array of `items`. */
const arrayOf = (items: JsonText[]): JsonText => ({
  text: `[${items.map((item) => item.text).join(',')}]`,
  kind: 'array',
  depth: 1 + Math.max(0, ...items.map((item) => item.depth)),
  unstorable: items.some((item) => item.unstorable),
});

/** An object of `members`, whose keys are distinct once parsed (a repeated key keeps its last value). */
const objectOf = (members: [{ text: string; unstorable: boolean }, JsonText][]): JsonText => ({
  text: `{${members.map(([key, value]) => `${key.text}:${value.text}`).join(',')}}`,
  kind: 'object',
  depth: 1 + Math.max(0, ...members.map(([, value]) => value.depth)),
  unstorable: members.some(([key, value]) => key.unstorable || value.unstorable),
});

const { value: jsonTree } = fc.letrec<{
  value: JsonText;
  array: JsonText;
  object: JsonText;
}>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    jsonString(),
    jsonNumber,
    literal,
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 4 }).map(arrayOf),
  object: fc
    .uniqueArray(fc.tuple(jsonKey, tie('value')), {
      selector: ([key]) => key.value,
      maxLength: 4,
    })
    .map(objectOf),
}));

/** `inner` wrapped in `levels` arrays or single-member objects. */
function nest(inner: JsonText, levels: number, asArrays: boolean): JsonText {
  const open = asArrays ? '[' : '{"d":';
  const close = asArrays ? ']' : '}';
  return {
    text: `${open.repeat(levels)}${inner.text}${close.repeat(levels)}`,
    kind: levels === 0 ? inner.kind : asArrays ? 'array' : 'object',
    depth: inner.depth + levels,
    unstorable: inner.unstorable,
  };
}

/** Any JSON value, sometimes nested to about the limit, and now and then far beyond it. */
const jsonValue: fc.Arbitrary<JsonText> = fc
  .tuple(
    jsonTree,
    fc.oneof(
      { weight: 12, arbitrary: fc.constant(0) },
      { weight: 2, arbitrary: fc.integer({ min: MAX_DEPTH - 3, max: MAX_DEPTH + 1 }) },
      { weight: 1, arbitrary: fc.constantFrom(200, 100_000) },
    ),
    fc.boolean(),
  )
  .map(([inner, levels, asArrays]) => nest(inner, levels, asArrays || levels > 1000));

/** A JSON object holding any values: what a payload should be. */
const jsonObject: fc.Arbitrary<JsonText> = fc
  .uniqueArray(fc.tuple(jsonKey, jsonValue), { selector: ([key]) => key.value, maxLength: 5 })
  .map(objectOf);

/**
 * fast-check generators of JSON text as clients could send it: lone surrogates and U+0000 as
 * escapes, numbers beyond a double, keys JS treats specially, nesting about and far beyond
 * {@link jsonText.maxDepth} levels. Each comes with what Herald must make of it.
 */
export const jsonText = {
  /** The most levels a payload may nest (Herald's `MAX_JSON_DEPTH`, restated as the contract). */
  maxDepth: MAX_DEPTH,
  /** Any JSON value. */
  value: jsonValue,
  /** A JSON object: what a payload should be. */
  object: jsonObject,
  /** A JSON string of at most `maxLength` code units. */
  string: jsonString,
};
