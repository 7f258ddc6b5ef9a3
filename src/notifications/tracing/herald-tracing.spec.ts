import * as api from '@opentelemetry/api';
import { HeraldTracing } from './herald-tracing';
import { formatTraceContext, parseTraceContext } from './w3c-trace-context';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('HeraldTracing', () => {
  describe('without @opentelemetry/api installed', () => {
    let Tracing: typeof HeraldTracing;

    beforeAll(() => {
      jest.isolateModules(() => {
        jest.doMock('@opentelemetry/api', () => {
          throw new Error("Cannot find module '@opentelemetry/api'");
        });
        ({ HeraldTracing: Tracing } =
          jest.requireActual<typeof import('./herald-tracing')>('./herald-tracing'));
      });
    });
    afterAll(() => jest.dontMock('@opentelemetry/api'));

    it('loads, and every span is a no-op with no context, a received one included', async () => {
      const tracing = new Tracing();
      const span = tracing.start('herald publish', 'producer', 'active', {
        traceparent: TRACEPARENT,
      });
      expect(span.recording).toBe(false);
      expect(tracing.contextOf(span)).toBeUndefined();
      await expect(tracing.run(span, () => Promise.resolve('done'))).resolves.toBe('done');
      span.set({ 'herald.tenant.id': 't' });
      span.linkTo([TRACEPARENT]);
      span.fail(new Error('x'));
      span.end();
      const batch = tracing.startedAt('herald sequence', 'internal', 'root', performance.now());
      expect(batch.recording).toBe(false);
    });
  });

  describe('with the API and no SDK registered', () => {
    const tracing = new HeraldTracing();

    it('records nothing and has no context of its own', () => {
      const span = tracing.start('herald publish', 'producer', 'active');
      expect(span.recording).toBe(false);
      expect(tracing.contextOf(span)).toBeUndefined();
    });

    it('passes a received context on as it came', () => {
      const span = tracing.start('herald deliver', 'client', 'root', {
        traceparent: TRACEPARENT,
        tracestate: 'shop=checkout,other=1',
      });
      expect(span.recording).toBe(false);
      expect(tracing.contextOf(span)).toEqual({
        traceparent: TRACEPARENT,
        tracestate: 'shop=checkout,other=1',
      });
    });

    it('ignores an invalid received context', () => {
      const span = tracing.start('herald publish', 'producer', 'active', {
        traceparent: 'garbage',
      });
      expect(tracing.contextOf(span)).toBeUndefined();
    });
  });
});

describe('W3C trace context', () => {
  it.each([
    ['a version-00 traceparent', TRACEPARENT, true],
    ['an unsampled one', TRACEPARENT.replace(/01$/, '00'), true],
    ['a later version with more fields', `cc${TRACEPARENT.slice(2)}-what-comes-next`, true],
    ['version 00 with a fifth field', `${TRACEPARENT}-extra`, false],
    ['version ff', `ff${TRACEPARENT.slice(2)}`, false],
    ['upper-case hex', TRACEPARENT.toUpperCase(), false],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, false],
    ['an all-zero parent id', `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`, false],
    ['a short trace id', '00-4bf92f3577b34da6-00f067aa0ba902b7-01', false],
    ['nothing', '', false],
  ])('reads %s (%s) as valid: %s', (_case, traceparent, valid) => {
    expect(parseTraceContext(api, traceparent) !== undefined).toBe(valid);
  });

  it('formats what it parsed back as it was, tracestate included', () => {
    for (const traceparent of [TRACEPARENT, TRACEPARENT.replace(/01$/, '00')]) {
      const context = parseTraceContext(api, traceparent, 'shop=checkout');
      expect(context && formatTraceContext(context)).toEqual({
        traceparent,
        tracestate: 'shop=checkout',
      });
    }
    const bare = parseTraceContext(api, TRACEPARENT);
    expect(bare && formatTraceContext(bare)).toEqual({ traceparent: TRACEPARENT });
  });

  it('drops tracestate entries W3C does not allow', () => {
    const context = parseTraceContext(api, TRACEPARENT, 'ok=1,Not Valid=2');
    expect(context?.isRemote).toBe(true);
    expect(context && formatTraceContext(context).tracestate).toBe('ok=1');
  });
});
