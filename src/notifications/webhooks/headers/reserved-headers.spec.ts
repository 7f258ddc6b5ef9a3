import { isReservedHeader, withoutReservedHeaders } from './reserved-headers';

describe('reserved headers', () => {
  it.each(['Content-Type', 'traceparent', 'TraceState', 'webhook-id', 'Herald-Subscription-Id'])(
    'include %s, in any case',
    (name) => {
      expect(isReservedHeader(name)).toBe(true);
    },
  );

  it('leave custom headers alone', () => {
    expect(isReservedHeader('x-tenant')).toBe(false);
  });

  it('are dropped from stored headers, which are returned as they are when none is there', () => {
    const custom = { 'x-tenant': 'acme', authorization: 'Bearer abc' };

    expect(withoutReservedHeaders(custom)).toBe(custom);
    expect(
      withoutReservedHeaders({ ...custom, TraceParent: '00-x', 'content-type': 'text/plain' }),
    ).toEqual(custom);
  });
});
