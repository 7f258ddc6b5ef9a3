import type { ArgumentMetadata } from '@nestjs/common';
import { PublishEventDto } from '../events/dto/publish-event.dto';
import { ReadEventsQuery } from '../events/dto/read-events.query';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import { createValidationPipe } from './validation.pipe';

const body: ArgumentMetadata = { type: 'body', metatype: PublishEventDto };
const query: ArgumentMetadata = { type: 'query', metatype: ReadEventsQuery };
const TENANT = '6f1c1f0e-8f5d-4c8a-9a3e-1b2c3d4e5f60';

describe('createValidationPipe', () => {
  const pipe = createValidationPipe();

  /** Runs the pipe and returns the NotificationsError it throws; fails on anything else. */
  async function rejection(
    value: unknown,
    metadata: ArgumentMetadata,
  ): Promise<NotificationsError> {
    try {
      await pipe.transform(value, metadata);
    } catch (error) {
      if (error instanceof NotificationsError) return error;
      throw error;
    }
    throw new Error('expected a NotificationsError, the value was accepted');
  }

  describe('with PublishEventDto', () => {
    it('passes a valid body through as a PublishEventDto', async () => {
      const result: unknown = await pipe.transform(
        { topic: 'order.shipped', payload: { orderId: 'o_1' }, tenantId: TENANT },
        body,
      );

      expect(result).toBeInstanceOf(PublishEventDto);
      expect(result).toEqual({
        topic: 'order.shipped',
        payload: { orderId: 'o_1' },
        tenantId: TENANT,
      });
    });

    it('refuses an unknown field with validation_failed naming it', async () => {
      const error = await rejection(
        { topic: 'order.shipped', payload: {}, priority: 'high' },
        body,
      );

      expect(error.code).toBe(NotificationsErrorCode.ValidationFailed);
      expect(error.message).toContain('priority');
      expect(error.message).not.toContain('topic');
    });

    it.each([['Order.Shipped'], ['order.'], ['order..shipped'], ['order.*'], ['a'.repeat(201)]])(
      'refuses the topic %j naming topic',
      async (topic) => {
        const error = await rejection({ topic, payload: {} }, body);

        expect(error.code).toBe(NotificationsErrorCode.ValidationFailed);
        expect(error.message).toMatch(/^topic /);
        expect(error.message).not.toContain('payload');
      },
    );

    it('names every invalid field', async () => {
      const error = await rejection({ topic: 42, payload: 'text', tenantId: 'nope' }, body);

      expect(error.code).toBe(NotificationsErrorCode.ValidationFailed);
      expect(error.message).toContain('topic');
      expect(error.message).toContain('payload');
      expect(error.message).toContain('tenantId');
    });

    it.each([
      [
        'a lone surrogate',
        '{"s":"\\ud800"}',
        /^payload\.s must not contain a lone UTF-16 surrogate/,
      ],
      ['U+0000', '{"s":"a\\u0000"}', /^payload\.s must not contain the character U\+0000/],
      ['a number too large', '{"n":[1e400]}', /^payload\.n\[0\] must be a finite number/],
      ['a __proto__ key', '{"__proto__":{"x":1}}', /^a key in payload must not be __proto__/],
      ['65 levels', `${'['.repeat(65)}${']'.repeat(65)}`, /^payload(\[0\]){64} is nested more/],
      ['a million levels', `${'['.repeat(1e6)}${']'.repeat(1e6)}`, /^payload(\[0\]){64}/],
    ])('refuses a payload with %s naming its path', async (_, payload, message) => {
      const parsed: unknown = JSON.parse(`{"topic":"a.b","payload":${payload}}`);

      const error = await rejection(parsed, body);

      expect(error.code).toBe(NotificationsErrorCode.ValidationFailed);
      expect(error.message).toMatch(message);
    });

    it('refuses a lone surrogate in any field, before the DTO is checked', async () => {
      const error = await rejection({ topic: 'a.b\udfff', payload: {} }, body);

      expect(error.message).toMatch(/^topic must not contain a lone UTF-16 surrogate/);
    });

    it.each([
      ['paired surrogates', '{"s":"a😀b"}'],
      [
        'keys Nest and class-transformer would drop',
        '{"constructor":"F","prototype":1,"toString":"x","a":[{"valueOf":{"constructor":2}}]}',
      ],
      ['big and tiny numbers', '{"n":[1e308,5e-324,12345678901234567890]}'],
    ])('hands on a payload with %s exactly as parsed', async (_, payload) => {
      const parsed = JSON.parse(`{"topic":"a.b","payload":${payload}}`) as { payload: unknown };
      const expected: unknown = JSON.parse(payload);

      const result = (await pipe.transform(parsed, body)) as PublishEventDto;

      expect(result).toBeInstanceOf(PublishEventDto);
      expect(result.payload).toBe(parsed.payload);
      expect(result.payload).toEqual(expected);
    });

    it('still validates the type of a payload it hands on as parsed', async () => {
      const error = await rejection({ topic: 'a.b', payload: [] }, body);

      expect(error.message).toBe(
        'payload must be a JSON object, not an array, a string, a number, a boolean or null',
      );
    });

    it.each(['constructor', 'prototype', 'toString', 'hasOwnProperty'])(
      'refuses an unknown field named %s, which Nest would drop unseen',
      async (field) => {
        const parsed: unknown = JSON.parse(`{"topic":"a.b","payload":{},"${field}":1}`);

        const error = await rejection(parsed, body);

        expect(error.message).toBe(`property ${field} should not exist`);
      },
    );

    it('refuses a body without its required fields', async () => {
      const error = await rejection({}, body);

      expect(error.code).toBe(NotificationsErrorCode.ValidationFailed);
      expect(error.message).toContain('topic');
      expect(error.message).toContain('payload');
    });
  });

  describe('with ReadEventsQuery', () => {
    it('splits comma-separated topics into a list', async () => {
      const result = (await pipe.transform({ topics: 'a.*,b' }, query)) as ReadEventsQuery;

      expect(result).toBeInstanceOf(ReadEventsQuery);
      expect(result.topics).toEqual(['a.*', 'b']);
    });

    it('trims spaces around each topic', async () => {
      const result = (await pipe.transform({ topics: 'a.* , b' }, query)) as ReadEventsQuery;

      expect(result.topics).toEqual(['a.*', 'b']);
    });

    it('converts wait and limit into numbers', async () => {
      const result = (await pipe.transform({ wait: '3', limit: '50' }, query)) as ReadEventsQuery;

      expect(result.wait).toBe(3);
      expect(result.limit).toBe(50);
    });

    it('keeps the cursor a string', async () => {
      const result = (await pipe.transform(
        { after: '9223372036854775807' },
        query,
      )) as ReadEventsQuery;

      expect(result.after).toBe('9223372036854775807');
    });

    it('accepts an empty query', async () => {
      const result = (await pipe.transform({}, query)) as ReadEventsQuery;

      expect(result).toBeInstanceOf(ReadEventsQuery);
      expect(result.topics).toBeUndefined();
      expect(result.wait).toBeUndefined();
    });

    it.each(['5000', '0', '1.5', 'ten'])('refuses limit %j naming limit', async (limit) => {
      const error = await rejection({ limit }, query);

      expect(error.code).toBe(NotificationsErrorCode.ValidationFailed);
      expect(error.message).toMatch(/^limit /);
      expect(error.message.split('; ').every((message) => message.startsWith('limit '))).toBe(true);
    });

    it.each(['-1', '2.5', 'soon'])('refuses wait %j naming wait', async (wait) => {
      const error = await rejection({ wait }, query);

      expect(error.code).toBe(NotificationsErrorCode.ValidationFailed);
      expect(error.message).toMatch(/^wait /);
    });

    it.each(['1e2', '0x10', ' 1', ''])(
      'refuses limit %j, which is not decimal digits',
      async (limit) => {
        const error = await rejection({ limit }, query);

        expect(error.code).toBe(NotificationsErrorCode.ValidationFailed);
        expect(error.message).toContain('limit must be an integer number');
      },
    );

    it('refuses U+0000 in a query parameter naming it', async () => {
      const error = await rejection({ after: '1\u0000' }, query);

      expect(error.message).toMatch(/^after must not contain the character U\+0000/);
    });

    it('refuses a bad topic pattern naming topics', async () => {
      const error = await rejection({ topics: 'order.*,Order' }, query);

      expect(error.code).toBe(NotificationsErrorCode.ValidationFailed);
      expect(error.message).toMatch(/^topics /);
    });

    it('refuses an unknown query parameter naming it', async () => {
      const error = await rejection({ topic: 'order.shipped' }, query);

      expect(error.code).toBe(NotificationsErrorCode.ValidationFailed);
      expect(error.message).toContain('topic');
      expect(error.message).toMatch(/property topic should not exist/);
    });
  });
});
