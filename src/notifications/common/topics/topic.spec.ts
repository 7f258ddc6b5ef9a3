import { TOPIC_MAX_LENGTH, TOPIC_PATTERN_REGEX, isTopic } from './topic';

describe('isTopic', () => {
  it('has a 200-character limit', () => {
    expect(TOPIC_MAX_LENGTH).toBe(200);
  });

  it.each([
    'order',
    'order.shipped',
    'order.eu.shipped',
    'a',
    '0',
    'snake_case.kebab-case.v2',
    'a'.repeat(TOPIC_MAX_LENGTH),
    `${'a'.repeat(98)}.${'b'.repeat(101)}`,
  ])('accepts %j', (topic) => {
    expect(isTopic(topic)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['too long', 'a'.repeat(TOPIC_MAX_LENGTH + 1)],
    ['too long with dots', `${'a'.repeat(100)}.${'b'.repeat(100)}`],
    ['uppercase', 'Order.shipped'],
    ['uppercase word', 'order.SHIPPED'],
    ['trailing dot', 'order.'],
    ['leading dot', '.order'],
    ['empty word', 'order..shipped'],
    ['a prefix pattern', 'order.*'],
    ['the wildcard', '*'],
    ['a space', 'order shipped'],
    ['a trailing newline', 'order\n'],
    ['a non-ASCII letter', 'commande.expédiée'],
    ['a slash', 'order/shipped'],
  ])('rejects %s (%j)', (_, topic) => {
    expect(isTopic(topic)).toBe(false);
  });
});

describe('TOPIC_PATTERN_REGEX', () => {
  it.each([
    '*',
    'order',
    'order.shipped',
    'order.*',
    'order.eu.*',
    'a-b_c.9.*',
    `${'a'.repeat(TOPIC_MAX_LENGTH - 2)}.*`,
    'a'.repeat(TOPIC_MAX_LENGTH),
  ])('accepts %j', (pattern) => {
    expect(TOPIC_PATTERN_REGEX.test(pattern)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['uppercase', 'Order.*'],
    ['trailing dot', 'order.'],
    ['empty word', 'order..*'],
    ['a star without a dot', 'order*'],
    ['a star in the middle', 'order.*.shipped'],
    ['a leading star word', '*.shipped'],
    ['two stars', '**'],
    ['a dot-star alone', '.*'],
    ['a star after a trailing dot', 'order.*.'],
    ['a trailing newline', 'order.*\n'],
  ])('rejects %s (%j)', (_, pattern) => {
    expect(TOPIC_PATTERN_REGEX.test(pattern)).toBe(false);
  });
});
