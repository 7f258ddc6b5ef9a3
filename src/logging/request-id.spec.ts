import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { requestIdOf } from './request-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function incoming(requestId?: string | string[]): IncomingMessage {
  const request = new IncomingMessage(new Socket());
  if (requestId !== undefined) request.headers['x-request-id'] = requestId;
  return request;
}

describe('requestIdOf', () => {
  it.each([
    '0190f1c2-7b5e-7c3a-9d2e-3f4a5b6c7d8e',
    '01J9ZQ3V8R6K2M4N5P7Q9S1T3V',
    'Root=1-5759e988-bd862e3fe1be46a994272793',
    'a',
    'x'.repeat(128),
  ])('keeps the sane incoming id %j', (id) => {
    expect(requestIdOf(incoming(id))).toBe(id);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['too long', 'x'.repeat(129)],
    ['with a space', 'abc def'],
    ['with a quote', 'abc"},"level":"fatal'],
    ['with a control character', 'abc\u0007'],
    ['repeated', ['a', 'b']],
  ])('generates a UUID when the incoming id is %s', (_case, id) => {
    expect(requestIdOf(incoming(id))).toMatch(UUID);
  });
});
